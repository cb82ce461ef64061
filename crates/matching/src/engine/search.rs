//! Free-text search over the indexed (published) offers, for public listings and search boxes.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Engine, Lang, index_term, word_spans};

/// Resolutions of the whole query below this confidence are not used as concepts.
const MIN_QUERY_CONFIDENCE: f64 = 0.8;
/// Concept labels spotted inside the query below this confidence are ignored.
const MIN_PHRASE_CONFIDENCE: f64 = 0.6;
/// Share of the score earned by taught concepts when the query has both concepts and words.
const CONCEPT_SHARE: f64 = 0.6;

/// An offer found by [`Engine::search_offers`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferHit {
    /// The offer.
    pub offer_id: Uuid,
    /// Relevance in 0..=1: the share of the query's concepts the offer teaches and of the
    /// query's words found in its title or description.
    pub score: f64,
}

impl Engine {
    /// Offers that teach one of the query's competences or mention one of its words, best first
    /// (ties by id).
    ///
    /// The query's concepts are `concepts` plus what the taxonomy finds in `text` (the whole text
    /// resolved like a requirement label, and labels spotted inside it). A query is too short to
    /// guess its language, so each word is stemmed as Swedish, Norwegian and English and counts
    /// as found when any of those stems occurs in the offer. Words match with OR semantics; the
    /// score ranks offers that match more of the query higher.
    #[must_use]
    pub fn search_offers(&self, text: &str, concepts: &[Uuid]) -> Vec<OfferHit> {
        let mut hits = self.search_offers_unranked(text, concepts);
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.offer_id.cmp(&b.offer_id))
        });
        hits
    }

    /// [`Engine::search_offers`]'s hits in no particular order, for callers that order (and
    /// page) them themselves: sorting tens of thousands of hits of a common word is wasted there.
    #[must_use]
    pub fn search_offers_unranked(&self, text: &str, concepts: &[Uuid]) -> Vec<OfferHit> {
        let mut wanted: Vec<Uuid> = concepts.to_vec();
        if let Some(r) = self
            .taxonomy
            .resolve_best(text)
            .filter(|r| r.confidence >= MIN_QUERY_CONFIDENCE)
        {
            wanted.push(r.concept_id);
        }
        wanted.extend(
            self.taxonomy
                .parse_text(text)
                .into_iter()
                .filter(|f| f.confidence >= MIN_PHRASE_CONFIDENCE)
                .map(|f| f.concept_id),
        );
        let wanted = self.canonical_set(&wanted);
        // Each content word of the query: the ids of its stems known to the index (may be empty:
        // a word no offer uses still counts against coverage).
        let words: Vec<Vec<u32>> = word_spans(text)
            .filter_map(|(start, end)| {
                let word = &text[start..end];
                let stems: Vec<String> = Lang::ALL
                    .iter()
                    .filter_map(|&lang| index_term(word, lang))
                    .collect();
                if stems.is_empty() {
                    return None;
                }
                let mut ids: Vec<u32> = stems
                    .iter()
                    .filter_map(|s| self.lexicon.ids.get(s.as_str()).copied())
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                Some(ids)
            })
            .collect();
        if wanted.is_empty() && words.is_empty() {
            return Vec::new();
        }
        // Score by counting, per slot, the query's concepts and words whose posting lists hold
        // it: the same shares as checking each offer, without reading the offers.
        let postings = &self.offer_postings;
        let capacity = self.offers.capacity();
        let mut taught = vec![0u32; capacity];
        let mut found = vec![0u32; capacity];
        // The last word (numbered from 1) that counted a slot: a word's stems count it once.
        let mut counted_for = vec![0u32; capacity];
        let mut touched: Vec<u32> = Vec::new();
        for c in &wanted {
            for &slot in postings.concept(c) {
                let s = slot as usize;
                if taught[s] == 0 && found[s] == 0 {
                    touched.push(slot);
                }
                taught[s] += 1;
            }
        }
        for (word, ids) in (1u32..).zip(&words) {
            for &t in ids {
                for &slot in postings.term(t) {
                    let s = slot as usize;
                    if counted_for[s] == word {
                        continue;
                    }
                    counted_for[s] = word;
                    if taught[s] == 0 && found[s] == 0 {
                        touched.push(slot);
                    }
                    found[s] += 1;
                }
            }
        }
        touched
            .into_iter()
            .filter_map(|slot| {
                let s = slot as usize;
                let concept_share =
                    (!wanted.is_empty()).then(|| share(taught[s] as usize, wanted.len()));
                let word_share = (!words.is_empty()).then(|| share(found[s] as usize, words.len()));
                let score = match (concept_share, word_share) {
                    (Some(c), Some(w)) => CONCEPT_SHARE * c + (1.0 - CONCEPT_SHARE) * w,
                    (Some(c), None) => c,
                    (None, Some(w)) => w,
                    (None, None) => 0.0,
                };
                (score > 0.0).then_some(OfferHit {
                    offer_id: self.offers.id_of(slot)?,
                    score,
                })
            })
            .collect()
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 / whole as f64
}
