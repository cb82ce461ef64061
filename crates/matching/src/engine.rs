//! Inverted indexes over offers, open needs and contacts, and explained, deterministic scoring.
//!
//! Every document gets a dense internal id (`u32`, reused after removal). Posting lists map a
//! concept id or an interned stemmed term to the sorted dense ids of the documents that carry
//! it; candidates for a query are the union of a few posting lists, never a scan of all
//! documents. Scores are `Σ weight·factor / Σ weight` over factors in 0..=1.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::fx::FxMap;
use crate::geography::{Geography, Proximity, Reach};
use crate::normalise::{detect_lang, fold, index_term, is_requirement_phrasing, word_spans};
use crate::sorted::{insert_sorted, remove_sorted};
use crate::taxonomy::{Lang, Taxonomy};

mod explain;
mod search;
pub use search::OfferHit;

// ---------------------------------------------------------------------------------------------
// Public documents
// ---------------------------------------------------------------------------------------------

/// How an offer is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// In a classroom or workplace.
    OnSite,
    /// Remote.
    Distance,
    /// A mix of both.
    Blended,
}

/// One scheduled run of an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceDoc {
    /// First day.
    pub start: NaiveDate,
    /// Four-digit municipality code where it takes place (on-site instances).
    pub municipality: Option<String>,
    /// Whether this instance is given remotely.
    pub distance: bool,
    /// Seats available, when known.
    pub seats: Option<u32>,
}

/// A training offer (course, programme) as indexed by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferDoc {
    /// Offer id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Competence concepts the offer teaches.
    pub concepts: Vec<Uuid>,
    /// Level (e.g. SeQF/NKR 1–8), when known.
    pub level: Option<u8>,
    /// How it is delivered.
    pub delivery: Delivery,
    /// Scheduled instances.
    pub instances: Vec<InstanceDoc>,
}

/// One competence requirement of a need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// The concept, when the requester picked one; otherwise `label` is resolved.
    pub concept_id: Option<Uuid>,
    /// The requirement as written.
    pub label: String,
    /// Must-have (weight 1.0) or nice-to-have (weight 0.4).
    pub must_have: bool,
    /// Wanted level for this requirement.
    pub level: Option<u8>,
}

/// Delivery preferences of a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeliveryPreference {
    /// On-site training is acceptable.
    pub on_site: bool,
    /// Distance training is acceptable.
    pub distance: bool,
    /// Part-time study is wanted (offers carry no pace, so this does not affect scores yet).
    pub part_time: bool,
}

/// A competence need of an employer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeedDoc {
    /// Need id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Four-digit municipality code of the workplace.
    pub municipality: String,
    /// Competence requirements.
    pub requirements: Vec<Requirement>,
    /// Occupation the need is about: its essential competences count as must-have.
    pub occupation: Option<Uuid>,
    /// Number of people to train.
    pub headcount: u32,
    /// Date by which the competence is needed.
    pub needed_by: Option<NaiveDate>,
    /// Wanted level.
    pub wanted_level: Option<u8>,
    /// Delivery preferences.
    pub delivery: Option<DeliveryPreference>,
}

/// A contact person (education coordinator, adviser) and what they cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDoc {
    /// Contact id.
    pub id: Uuid,
    /// Municipalities covered (empty: nationwide).
    pub municipalities: Vec<String>,
    /// Competence concepts covered.
    pub concepts: Vec<Uuid>,
    /// Free-text areas ("welding", "vård och omsorg").
    pub area_text: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Options and results
// ---------------------------------------------------------------------------------------------

/// Factor weights; each in 0..=1, at least one positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    /// Competence coverage.
    pub competence: f64,
    /// Text similarity.
    pub text: f64,
    /// Geography.
    pub geography: f64,
    /// Timing.
    pub timing: f64,
    /// Level fit.
    pub level: f64,
    /// Capacity (seats for the headcount).
    pub capacity: f64,
    /// Delivery mode fit.
    pub delivery: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            competence: 0.40,
            text: 0.10,
            geography: 0.15,
            timing: 0.10,
            level: 0.05,
            capacity: 0.10,
            delivery: 0.10,
        }
    }
}

/// An invalid [`Weights`] value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightsError {
    /// A weight is outside 0..=1 (or not a number).
    #[error("weight `{field}` must be between 0 and 1, got {value}")]
    OutOfRange {
        /// The offending field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// All weights are zero.
    #[error("at least one weight must be positive")]
    AllZero,
}

impl Weights {
    fn fields(&self) -> [(&'static str, f64); 7] {
        [
            ("competence", self.competence),
            ("text", self.text),
            ("geography", self.geography),
            ("timing", self.timing),
            ("level", self.level),
            ("capacity", self.capacity),
            ("delivery", self.delivery),
        ]
    }

    /// Checks that each weight lies in 0..=1 and that their sum is positive.
    ///
    /// # Errors
    /// [`WeightsError::OutOfRange`] naming the first bad field, or [`WeightsError::AllZero`].
    pub fn validate(&self) -> Result<(), WeightsError> {
        for (field, value) in self.fields() {
            if !(0.0..=1.0).contains(&value) {
                return Err(WeightsError::OutOfRange { field, value });
            }
        }
        if self.fields().iter().map(|f| f.1).sum::<f64>() <= 0.0 {
            return Err(WeightsError::AllZero);
        }
        Ok(())
    }
}

/// Options of one matching call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchOptions {
    /// Factor weights.
    pub weights: Weights,
    /// Suggestions scoring below this are dropped (default 0.35).
    ///
    /// # The score scale
    ///
    /// An offer's score is `relevance × (1 − λ + λ × logistics)`:
    ///
    /// - *relevance* (0..=1) is the weighted mean of the square root of the `competence` factor
    ///   (the share of the need's competence weight the offer shows evidence of teaching:
    ///   must-haves 1, nice-to-haves 0.4, unresolved labels at most 0.8 of theirs through their
    ///   words; the root lets teaching part of what is asked count, a quarter gives 0.5) and the
    ///   `text` factor (BM25 of the need's words over the offer's title, description and labels,
    ///   divided by what a document holding each query word once would earn, capped at 1);
    /// - *logistics* (0..=1) is the weighted mean of `geography`, `timing`, `level`, `capacity`
    ///   and `delivery`;
    /// - λ is the logistics factors' share of all weights (0.5 with the default weights).
    ///
    /// So logistics can halve a score (by default) but never lift it above its relevance, and an
    /// offer with nothing in common with the need scores 0. Besides, an offer is only scored at
    /// all when it shows evidence of teaching a must-have (a shared concept, or enough of an
    /// unresolved must-have label's words, weighed by rarity).
    ///
    /// With the default weights, `min_score` 0.35 means: relevance of at least 0.35 with
    /// perfect logistics, about 0.41 with typical logistics (0.7), 0.7 with the worst. For
    /// example an offer teaching all must-haves (relevance ≈ 0.8–1) passes wherever it is
    /// within reach; one teaching one of four must-haves (relevance ≈ 0.4–0.5) passes when
    /// place, time and seats fit reasonably; one with no competence in common has relevance
    /// at most 0.2 (text alone) and never passes.
    ///
    /// Contact and pooling suggestions keep the plain weighted mean of their factors.
    pub min_score: f64,
    /// At most this many suggestions (default 10).
    pub max_results: usize,
    /// The current date; instances starting before it are ignored.
    pub today: NaiveDate,
    /// How far from the need an on-site course may be (default: the need's region). Distance
    /// courses are not limited.
    #[serde(default)]
    pub reach: Reach,
    /// Language of [`Suggestion::explanation`]: its sentences and the concept labels it names.
    /// `None` (the default): English sentences naming concepts in the need's own language.
    /// [`Engine::explain`] renders the same [`Evidence::reasons`] in another language later.
    #[serde(default)]
    pub lang: Option<Lang>,
}

impl MatchOptions {
    /// Default weights, `min_score` 0.35, `max_results` 10, reach [`Reach::Region`],
    /// explanations in English.
    #[must_use]
    pub fn new(today: NaiveDate) -> Self {
        Self {
            weights: Weights::default(),
            min_score: 0.35,
            max_results: 10,
            today,
            reach: Reach::default(),
            lang: None,
        }
    }
}

/// What a suggestion points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    /// A training offer.
    Offer,
    /// A contact person.
    Contact,
    /// Another open need (pooling) or a need an offer could serve.
    Need,
}

/// One scored factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// `competence`, `text`, `geography`, `timing`, `level`, `capacity` or `delivery`.
    pub name: String,
    /// Score in 0..=1.
    pub score: f64,
    /// Weight used (0 when the factor did not apply).
    pub weight: f64,
}

/// The facts behind a suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// Must-have concepts the target covers.
    pub covered_must: Vec<Uuid>,
    /// Must-have concepts the target does not cover.
    pub missing_must: Vec<Uuid>,
    /// Nice-to-have concepts the target covers.
    pub covered_nice: Vec<Uuid>,
    /// Requirement labels that did not resolve to a concept.
    pub unresolved_labels: Vec<String>,
    /// The occupation whose competences were used.
    pub via_occupation: Option<Uuid>,
    /// Start of the chosen instance.
    pub starts_on: Option<NaiveDate>,
    /// Municipality of the chosen instance (or of the other need, for pooling).
    pub municipality: Option<String>,
    /// Words of the need (as the need wrote them) found in the target's title, description or
    /// labels; a word found only with a spelling difference is followed by `~`.
    #[serde(default)]
    pub matched_words: Vec<String>,
    /// What the explanation says, as data: [`Engine::explain`] renders it in any language.
    #[serde(default)]
    pub reasons: Vec<Reason>,
}

/// One statement of an explanation, rendered by [`Engine::explain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// The need's occupation supplied its essential competences.
    Occupation {
        /// The occupation.
        occupation: Uuid,
    },
    /// The target teaches (or covers) these of the need's `total` must-have competences.
    MustHave {
        /// Covered must-have concepts.
        covered: Vec<Uuid>,
        /// Number of must-have concepts.
        total: usize,
    },
    /// Must-have competences the target does not cover.
    Missing {
        /// The concepts.
        concepts: Vec<Uuid>,
    },
    /// Nice-to-have competences the target covers, of `total`.
    NiceToHave {
        /// Covered nice-to-have concepts.
        covered: Vec<Uuid>,
        /// Number of nice-to-have concepts.
        total: usize,
    },
    /// A requirement label that resolved to no concept, and which of its words the target's text
    /// holds (`~` after a word found with a spelling difference).
    LabelWords {
        /// The label as written.
        label: String,
        /// Its words found.
        words: Vec<String>,
    },
    /// The need states no competences; these of its words are in the target's text.
    TextOnly {
        /// The words found.
        words: Vec<String>,
    },
    /// The chosen run is given at a distance.
    Distance,
    /// The chosen run is on site in `municipality`.
    OnSite {
        /// Municipality code.
        municipality: String,
        /// How close it is to the need.
        proximity: Proximity,
    },
    /// The offer has no scheduled run yet.
    NoStartYet,
    /// When the chosen run starts, and the need's date.
    Starts {
        /// First day.
        on: NaiveDate,
        /// The need's needed-by date.
        needed_by: Option<NaiveDate>,
    },
    /// Seats of the chosen run for the need's head count.
    Seats {
        /// Seats, when known.
        seats: Option<u32>,
        /// People to train.
        headcount: u32,
    },
    /// Offered and wanted level.
    Level {
        /// The offer's level.
        offered: u8,
        /// The need's wanted level.
        wanted: u8,
    },
    /// Contact fallback: no course fits, a local contact can organise one.
    NoCourseFits,
    /// Competences a contact covers, of the need's `total`.
    ContactCovers {
        /// Covered concepts.
        covered: Vec<Uuid>,
        /// Number of the need's concepts.
        total: usize,
    },
    /// A contact's areas, when they share words with the need.
    ContactArea {
        /// The contact's areas as written.
        areas: Vec<String>,
    },
    /// Where a contact works relative to the need (`None`: nationwide).
    ContactPlace {
        /// Proximity of the contact's nearest municipality.
        proximity: Option<Proximity>,
    },
    /// Must-have competences another need shares, of `total`.
    SharesMust {
        /// Shared concepts.
        shared: Vec<Uuid>,
        /// Number of this need's must-have concepts.
        total: usize,
    },
    /// Competences another need shares (when this need has no must-haves).
    SharesAny {
        /// Shared concepts.
        shared: Vec<Uuid>,
    },
    /// Where another need is, for pooling.
    PoolPlace {
        /// Municipality code.
        municipality: String,
        /// Proximity to this need.
        proximity: Proximity,
    },
    /// Head count and date of another need, for pooling.
    PoolPeople {
        /// People to train.
        headcount: u32,
        /// Needed-by date.
        needed_by: Option<NaiveDate>,
    },
}

/// A ranked, explained suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// What `target_id` is.
    pub kind: SuggestionKind,
    /// The suggested offer, contact or need.
    pub target_id: Uuid,
    /// Overall score in 0..=1.
    pub score: f64,
    /// The factors behind the score.
    pub factors: Vec<Factor>,
    /// Short sentences in [`MatchOptions::lang`], rendered from [`Evidence::reasons`].
    pub explanation: String,
    /// The facts behind the score.
    pub evidence: Evidence,
}

/// Demand for an offer among the indexed open needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Demand {
    /// Open needs with at least one must-have (incl. occupation-essential) concept the offer teaches.
    pub open_needs: u32,
    /// Sum of their headcounts.
    pub headcount: u32,
}

// ---------------------------------------------------------------------------------------------
// Internal index structures
// ---------------------------------------------------------------------------------------------

/// Resolutions below this confidence leave a requirement unresolved.
const MIN_REQUIREMENT_CONFIDENCE: f64 = 0.6;
/// An occupation guessed from the title of a need without requirements needs this confidence.
const MIN_OCCUPATION_CONFIDENCE: f64 = 0.85;
const NICE_WEIGHT: f64 = 0.4;
/// Share of an unresolved label's weight that full text evidence can earn.
const UNRESOLVED_CREDIT: f64 = 0.8;
/// Without shared concepts, a candidate needs at least this text similarity.
const MIN_TEXT_ONLY: f64 = 0.15;
/// An offer for a need with requirements must earn at least this share of the competence
/// credit it could earn (unresolved labels can earn only [`UNRESOLVED_CREDIT`] of theirs).
/// Place, time, seats, level and delivery say whether an offer *can* serve a need, not whether
/// it teaches what is asked; without this floor they alone lift a truck course over the
/// threshold for a farrier need.
const MIN_RELEVANCE: f64 = 0.2;
/// Term postings longer than this share of the index are not used for candidate retrieval
/// (they would pull in a large part of the index and carry little signal).
const MAX_TERM_DF_SHARE: usize = 50;
/// Terms used for candidate retrieval per query (rarest first).
const MAX_RETRIEVAL_TERMS: usize = 8;
/// With concepts in the query, term retrieval only adds documents sharing a few rare terms.
const MAX_TERM_DF_SHARE_WITH_CONCEPTS: usize = 1_000;
/// Terms used for candidate retrieval when the query also has concepts.
const MAX_RETRIEVAL_TERMS_WITH_CONCEPTS: usize = 4;
/// Labels listed in explanations before "…".
const MAX_LISTED: usize = 5;

fn as_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Words cached per language before the cache stops growing (bounds memory on odd input).
const WORD_CACHE_CAP: usize = 1_000_000;

/// Interned stemmed terms shared by all indexes, with a cache from raw word to term so that each
/// distinct word is stemmed once.
#[derive(Debug, Default)]
struct Lexicon {
    ids: FxMap<String, u32>,
    /// Per language (Sv, Nb, En): raw word as written -> term (None: stop word).
    words: [FxMap<Box<str>, Option<u32>>; 3],
    /// Term id -> term.
    terms: Vec<Box<str>>,
    /// (first char, length in chars) -> term ids, for typo-tolerant lookup.
    by_first: FxMap<(char, usize), Vec<u32>>,
    /// (second char, length in chars) -> term ids, for typo-tolerant lookup.
    by_second: FxMap<(char, usize), Vec<u32>>,
}

const fn lang_slot(lang: Lang) -> usize {
    match lang {
        Lang::Sv => 0,
        Lang::Nb => 1,
        Lang::En => 2,
    }
}

impl Lexicon {
    fn intern(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = as_u32(self.ids.len());
        self.ids.insert(term.to_owned(), id);
        self.terms.push(term.into());
        let len = term.chars().count();
        if typo_tolerance(len + 2) > 0 {
            let mut chars = term.chars();
            if let Some(c0) = chars.next() {
                self.by_first.entry((c0, len)).or_default().push(id);
            }
            if let Some(c1) = chars.next() {
                self.by_second.entry((c1, len)).or_default().push(id);
            }
        }
        id
    }

    /// Terms within the typo tolerance of `term` (OSA distance 1 for terms of 5 or more
    /// characters, 2 from 9) that `usable` accepts, not `term` itself. Only terms of a nearby
    /// length sharing the first or the second character, or with the first two swapped, are
    /// compared.
    fn fuzzy(&self, term: &str, usable: impl Fn(u32) -> bool) -> Vec<u32> {
        let len = term.chars().count();
        let max = typo_tolerance(len);
        if max == 0 {
            return Vec::new();
        }
        let mut chars = term.chars();
        let (Some(c0), Some(c1)) = (chars.next(), chars.next()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut consider = |id: u32| {
            let Some(cand) = self.terms.get(id as usize) else {
                return;
            };
            if &**cand != term && usable(id) && strsim::osa_distance(term, cand) <= max {
                out.push(id);
            }
        };
        for l in len.saturating_sub(max)..=len + max {
            for &id in self.by_first.get(&(c0, l)).map_or(&[][..], Vec::as_slice) {
                consider(id);
            }
            // Terms with another first character but the same second one (not seen above).
            for &id in self.by_second.get(&(c1, l)).map_or(&[][..], Vec::as_slice) {
                let first = self.terms.get(id as usize).and_then(|t| t.chars().next());
                if first != Some(c0) {
                    consider(id);
                }
            }
            // The first two letters swapped ("rtavers" for "travers").
            if c0 != c1 {
                for &id in self.by_first.get(&(c1, l)).map_or(&[][..], Vec::as_slice) {
                    let second = self.terms.get(id as usize).and_then(|t| t.chars().nth(1));
                    if second == Some(c0) {
                        consider(id);
                    }
                }
            }
        }
        out
    }

    /// Term ids of a text, interning new terms.
    fn intern_text(&mut self, text: &str, lang: Lang, out: &mut Vec<u32>) {
        for (start, end) in word_spans(text) {
            let word = &text[start..end];
            if let Some(&cached) = self.words[lang_slot(lang)].get(word) {
                out.extend(cached);
                continue;
            }
            let id = index_term(word, lang).map(|t| self.intern(&t));
            let cache = &mut self.words[lang_slot(lang)];
            if cache.len() < WORD_CACHE_CAP {
                cache.insert(word.into(), id);
            }
            out.extend(id);
        }
    }

    /// Term ids of a text without interning; terms not in the vocabulary go to `unknown`.
    fn lookup_text(&self, text: &str, lang: Lang, known: &mut Vec<u32>, unknown: &mut Vec<String>) {
        for (start, end) in word_spans(text) {
            let word = &text[start..end];
            if let Some(&cached) = self.words[lang_slot(lang)].get(word) {
                known.extend(cached);
                continue;
            }
            if let Some(term) = index_term(word, lang) {
                match self.ids.get(&term) {
                    Some(&id) => known.push(id),
                    None => unknown.push(term),
                }
            }
        }
    }

    /// Distinct words of a text (lower-cased, as written) with their known terms, each term
    /// once, using the word cache where it can.
    fn word_terms(&self, text: &str, lang: Lang) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> = Vec::new();
        for (start, end) in word_spans(text) {
            let word = &text[start..end];
            let id = match self.words[lang_slot(lang)].get(word) {
                Some(&cached) => cached,
                None => index_term(word, lang).and_then(|t| self.ids.get(&t).copied()),
            };
            if let Some(id) = id
                && !out.iter().any(|e| e.1 == id)
            {
                out.push((word.to_lowercase(), id));
            }
        }
        out
    }

    /// Term bag of a text, interning or looking up.
    fn bag(lex: &mut LexRef<'_>, text: &str, lang: Lang) -> TermVec {
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        match lex {
            LexRef::Intern(l) => l.intern_text(text, lang, &mut known),
            LexRef::Lookup(l) => l.lookup_text(text, lang, &mut known, &mut unknown),
        }
        TermVec::build(known, &unknown)
    }
}

/// Either a mutable lexicon (indexing) or a shared one (querying).
enum LexRef<'a> {
    Intern(&'a mut Lexicon),
    Lookup(&'a Lexicon),
}

/// A bag of terms: known term ids with their counts (sorted by id), the distinct terms not in
/// the vocabulary (they cannot match exactly but count in norms and may match with a typo), and
/// the number of words.
#[derive(Debug, Clone, Default)]
struct TermVec {
    known: Vec<(u32, f32)>,
    unknown: Vec<Box<str>>,
    unknown_sq: f32,
    len: f32,
}

fn log_tf(c: f32) -> f32 {
    1.0 + c.ln()
}

/// Largest OSA edit distance tolerated for a term of `chars` characters.
const fn typo_tolerance(chars: usize) -> usize {
    if chars >= 9 {
        2
    } else if chars >= 5 {
        1
    } else {
        0
    }
}

impl TermVec {
    fn build(mut ids: Vec<u32>, unknown: &[String]) -> Self {
        let len = (ids.len() + unknown.len()) as f32;
        ids.sort_unstable();
        let mut known: Vec<(u32, f32)> = Vec::with_capacity(ids.len());
        let mut i = 0;
        while i < ids.len() {
            let mut j = i + 1;
            while j < ids.len() && ids[j] == ids[i] {
                j += 1;
            }
            known.push((ids[i], (j - i) as f32));
            i = j;
        }
        let mut sorted: Vec<&String> = unknown.iter().collect();
        sorted.sort_unstable();
        let mut unknown_sq = 0.0;
        let mut distinct = Vec::new();
        let mut i = 0;
        while i < sorted.len() {
            let mut j = i + 1;
            while j < sorted.len() && sorted[j] == sorted[i] {
                j += 1;
            }
            let w = log_tf((j - i) as f32);
            unknown_sq += w * w;
            distinct.push(sorted[i].as_str().into());
            i = j;
        }
        Self {
            known,
            unknown: distinct,
            unknown_sq,
            len,
        }
    }

    fn contains(&self, id: u32) -> bool {
        self.known.binary_search_by_key(&id, |e| e.0).is_ok()
    }

    fn tf(&self, id: u32) -> f32 {
        self.known
            .binary_search_by_key(&id, |e| e.0)
            .ok()
            .and_then(|i| self.known.get(i))
            .map_or(0.0, |e| e.1)
    }
}

/// Dense-id slots for one kind of document.
#[derive(Debug)]
struct Slots<T> {
    items: Vec<Option<T>>,
    /// The id in each slot (nil when free), apart from the items so that turning many slots
    /// into ids does not touch every item.
    ids: Vec<Uuid>,
    by_id: HashMap<Uuid, u32>,
    free: Vec<u32>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            ids: Vec::new(),
            by_id: HashMap::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slots<T> {
    fn get(&self, slot: u32) -> Option<&T> {
        self.items.get(slot as usize).and_then(Option::as_ref)
    }

    /// The id in `slot`, if it is taken.
    fn id_of(&self, slot: u32) -> Option<Uuid> {
        self.ids
            .get(slot as usize)
            .copied()
            .filter(|id| !id.is_nil())
    }

    /// One past the highest slot ever used.
    fn capacity(&self) -> usize {
        self.items.len()
    }

    fn len(&self) -> usize {
        self.by_id.len()
    }

    fn by_id(&self, id: Uuid) -> Option<&T> {
        self.by_id.get(&id).and_then(|&slot| self.get(slot))
    }

    fn insert(&mut self, id: Uuid, item: T) -> u32 {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.items.push(None);
                self.ids.push(Uuid::nil());
                as_u32(self.items.len() - 1)
            }
        };
        if let Some(cell) = self.items.get_mut(slot as usize) {
            *cell = Some(item);
        }
        if let Some(cell) = self.ids.get_mut(slot as usize) {
            *cell = id;
        }
        self.by_id.insert(id, slot);
        slot
    }

    fn take(&mut self, id: Uuid) -> Option<(u32, T)> {
        let slot = self.by_id.remove(&id)?;
        if let Some(cell) = self.ids.get_mut(slot as usize) {
            *cell = Uuid::nil();
        }
        let item = self.items.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some((slot, item))
    }
}

/// Posting lists of one document kind.
#[derive(Debug, Default)]
struct Postings {
    concepts: FxMap<Uuid, Vec<u32>>,
    terms: Vec<Vec<u32>>,
    /// Sum of the documents' lengths in words (for BM25's average length).
    len_sum: f64,
}

impl Postings {
    fn add(&mut self, slot: u32, concepts: &[Uuid], terms: &TermVec) {
        self.len_sum += f64::from(terms.len);
        for c in concepts {
            insert_sorted(self.concepts.entry(*c).or_default(), slot);
        }
        for &(t, _) in &terms.known {
            let t = t as usize;
            if self.terms.len() <= t {
                self.terms.resize_with(t + 1, Vec::new);
            }
            if let Some(list) = self.terms.get_mut(t) {
                insert_sorted(list, slot);
            }
        }
    }

    fn remove(&mut self, slot: u32, concepts: &[Uuid], terms: &TermVec) {
        self.len_sum = (self.len_sum - f64::from(terms.len)).max(0.0);
        for c in concepts {
            if let Some(list) = self.concepts.get_mut(c) {
                remove_sorted(list, slot);
                if list.is_empty() {
                    self.concepts.remove(c);
                }
            }
        }
        for &(t, _) in &terms.known {
            if let Some(list) = self.terms.get_mut(t as usize) {
                remove_sorted(list, slot);
            }
        }
    }

    fn df(&self, term: u32) -> usize {
        self.terms.get(term as usize).map_or(0, Vec::len)
    }

    fn concept(&self, c: &Uuid) -> &[u32] {
        self.concepts.get(c).map_or(&[], Vec::as_slice)
    }

    fn term(&self, t: u32) -> &[u32] {
        self.terms.get(t as usize).map_or(&[], Vec::as_slice)
    }

    /// Candidate slots with the summed weight of the query concepts they carry (0 for
    /// documents found only through terms). Sorted by slot.
    ///
    /// `label_terms` (the words of unresolved requirement labels, which alone can show that a
    /// document teaches such a requirement) retrieve whenever their postings are not longer
    /// than a share of the index, besides the rarest of `terms`.
    fn weighted_candidates(
        &self,
        concepts: &[(Uuid, f64)],
        terms: &[u32],
        label_terms: &[u32],
        total_docs: usize,
    ) -> Vec<(u32, f64)> {
        let mut hits: Vec<(u32, f64)> = Vec::new();
        for (c, w) in concepts {
            hits.extend(self.concept(c).iter().map(|&s| (s, *w)));
        }
        let mut used = self.retrieval_terms(terms, total_docs, !concepts.is_empty());
        let label_cap = (total_docs / MAX_TERM_DF_SHARE).max(200);
        used.extend(label_terms.iter().filter(|&&t| self.df(t) <= label_cap));
        used.sort_unstable();
        used.dedup();
        for t in used {
            hits.extend(self.term(t).iter().map(|&s| (s, 0.0)));
        }
        hits.sort_unstable_by_key(|h| h.0);
        let mut out: Vec<(u32, f64)> = Vec::with_capacity(hits.len());
        for (slot, w) in hits {
            match out.last_mut() {
                Some(last) if last.0 == slot => last.1 += w,
                _ => out.push((slot, w)),
            }
        }
        out
    }

    /// The rarest usable query terms: postings not longer than a share of the index, fewer
    /// when concepts already drive retrieval.
    fn retrieval_terms(&self, terms: &[u32], total_docs: usize, have_concepts: bool) -> Vec<u32> {
        let (df_cap, max_terms) = if have_concepts {
            (
                (total_docs / MAX_TERM_DF_SHARE_WITH_CONCEPTS).max(100),
                MAX_RETRIEVAL_TERMS_WITH_CONCEPTS,
            )
        } else {
            (
                (total_docs / MAX_TERM_DF_SHARE).max(200),
                MAX_RETRIEVAL_TERMS,
            )
        };
        let mut usable: Vec<(usize, u32)> = terms
            .iter()
            .map(|&t| (self.df(t), t))
            .filter(|&(df, _)| df > 0 && df <= df_cap)
            .collect();
        usable.sort_unstable();
        usable.dedup();
        usable.into_iter().take(max_terms).map(|e| e.1).collect()
    }

    /// Candidate slots: documents sharing a concept, plus documents sharing one of the rarest
    /// query terms. Sorted and deduplicated.
    fn candidates(&self, concepts: &[Uuid], terms: &[u32], total_docs: usize) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for c in concepts {
            out.extend_from_slice(self.concept(c));
        }
        for t in self.retrieval_terms(terms, total_docs, !concepts.is_empty()) {
            out.extend_from_slice(self.term(t));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Inverse document frequency given a posting list length.
fn idf(df: usize, n: usize) -> f32 {
    (1.0 + (n as f32 + 1.0) / (df as f32 + 1.0)).ln()
}

/// A query term vector with idf applied and its norm.
struct Query {
    /// (term, weight·idf) sorted by term.
    terms: Vec<(u32, f32)>,
    norm: f32,
}

impl Query {
    fn new(v: &TermVec, postings: &Postings, n: usize) -> Self {
        let terms: Vec<(u32, f32)> = v
            .known
            .iter()
            .map(|&(t, c)| (t, log_tf(c) * idf(postings.df(t), n)))
            .collect();
        let unknown_idf = idf(0, n);
        let norm_sq: f32 =
            terms.iter().map(|e| e.1 * e.1).sum::<f32>() + v.unknown_sq * unknown_idf * unknown_idf;
        Self {
            terms,
            norm: norm_sq.sqrt(),
        }
    }

    fn ids(&self) -> Vec<u32> {
        self.terms.iter().map(|e| e.0).collect()
    }

    /// Cosine similarity with a document vector (idf on both sides).
    fn cosine(&self, doc: &TermVec, postings: &Postings, n: usize) -> f64 {
        if self.norm <= 0.0 || doc.known.is_empty() {
            return 0.0;
        }
        let mut dot = 0.0f32;
        let mut dnorm_sq = 0.0f32;
        let mut qi = 0;
        for &(t, c) in &doc.known {
            let i = idf(postings.df(t), n);
            let dw = log_tf(c) * i;
            dnorm_sq += dw * dw;
            while qi < self.terms.len() && self.terms[qi].0 < t {
                qi += 1;
            }
            if let Some(&(qt, qw)) = self.terms.get(qi)
                && qt == t
            {
                dot += qw * dw;
            }
        }
        if dnorm_sq <= 0.0 {
            return 0.0;
        }
        f64::from(dot / (self.norm * dnorm_sq.sqrt())).clamp(0.0, 1.0)
    }
}

/// BM25 term-frequency saturation.
const BM25_K1: f32 = 1.2;
/// BM25 length normalisation.
const BM25_B: f32 = 0.75;
/// Weight of a query word found only with a spelling difference.
const FUZZY_WEIGHT: f32 = 0.8;

/// BM25's inverse document frequency (never negative).
fn bm25_idf(df: usize, n: usize) -> f32 {
    (1.0 + (n as f32 - df as f32 + 0.5).max(0.0) / (df as f32 + 0.5)).ln()
}

/// One word of a query: the indexed terms that count as it (the word itself, or terms within
/// the typo tolerance when the word itself is in no document) with their weights, and its idf.
#[derive(Debug, Clone)]
struct QueryWord {
    /// (term, weight) — weight 1 for the word itself, [`FUZZY_WEIGHT`] for a typo variant.
    terms: Vec<(u32, f32)>,
    idf: f32,
}

impl QueryWord {
    /// How the word occurs in a document: 1 found as written, [`FUZZY_WEIGHT`] found with a
    /// spelling difference, 0 not found.
    fn found_in(&self, doc: &TermVec) -> f32 {
        self.terms
            .iter()
            .filter(|(t, _)| doc.contains(*t))
            .map(|e| e.1)
            .fold(0.0, f32::max)
    }
}

/// A word of the need's text or labels resolved against a document collection.
fn query_word(
    lexicon: &Lexicon,
    postings: &Postings,
    n: usize,
    known: Option<u32>,
    text: &str,
) -> QueryWord {
    let df = known.map_or(0, |t| postings.df(t));
    if let Some(t) = known
        && df > 0
    {
        return QueryWord {
            terms: vec![(t, 1.0)],
            idf: bm25_idf(df, n),
        };
    }
    let variants = lexicon.fuzzy(text, |t| postings.df(t) > 0);
    let idf = variants
        .iter()
        .map(|&t| bm25_idf(postings.df(t), n))
        .fold(None, |m: Option<f32>, i| Some(m.map_or(i, |m| m.max(i))))
        .unwrap_or_else(|| bm25_idf(0, n));
    QueryWord {
        terms: variants.into_iter().map(|t| (t, FUZZY_WEIGHT)).collect(),
        idf,
    }
}

/// A label word resolved against a document collection: every stem of it (any language) that
/// some document holds counts as the word, and so do typo variants of its stems (at
/// [`FUZZY_WEIGHT`]). Its idf is that of its rarest exact stem, else of its rarest variant.
fn label_word(lexicon: &Lexicon, postings: &Postings, n: usize, word: &LabelWord) -> QueryWord {
    let mut terms: Vec<(u32, f32)> = Vec::new();
    let mut exact_idf: Option<f32> = None;
    for (i, stem) in word.stems.iter().enumerate() {
        let term = if i == 0 {
            word.term.or_else(|| lexicon.ids.get(stem).copied())
        } else {
            lexicon.ids.get(stem).copied()
        };
        if let Some(t) = term {
            let df = postings.df(t);
            if df > 0 && !terms.iter().any(|e| e.0 == t) {
                terms.push((t, 1.0));
                let i = bm25_idf(df, n);
                exact_idf = Some(exact_idf.map_or(i, |m: f32| m.max(i)));
            }
        }
    }
    let mut fuzzy_idf: Option<f32> = None;
    for stem in &word.stems {
        for t in lexicon.fuzzy(stem, |t| postings.df(t) > 0) {
            if !terms.iter().any(|e| e.0 == t) {
                terms.push((t, FUZZY_WEIGHT));
                let i = bm25_idf(postings.df(t), n);
                fuzzy_idf = Some(fuzzy_idf.map_or(i, |m: f32| m.max(i)));
            }
        }
    }
    QueryWord {
        terms,
        idf: exact_idf.or(fuzzy_idf).unwrap_or_else(|| bm25_idf(0, n)),
    }
}

/// The need's words as a BM25 query over one document collection.
#[derive(Debug)]
struct Bm25 {
    words: Vec<QueryWord>,
    /// Σ idf: what a document holding every query word once, at average length, earns.
    ideal: f32,
    avg_len: f32,
}

impl Bm25 {
    fn new(lexicon: &Lexicon, v: &TermVec, postings: &Postings, n: usize) -> Self {
        let mut words: Vec<QueryWord> = v
            .known
            .iter()
            .map(|&(t, _)| {
                let text = lexicon.terms.get(t as usize).map_or("", |b| &**b);
                query_word(lexicon, postings, n, Some(t), text)
            })
            .collect();
        words.extend(
            v.unknown
                .iter()
                .map(|u| query_word(lexicon, postings, n, None, u)),
        );
        let ideal = words.iter().map(|w| w.idf).sum();
        let avg_len = if n > 0 {
            (postings.len_sum / n as f64) as f32
        } else {
            1.0
        };
        Self {
            words,
            ideal,
            avg_len: avg_len.max(1.0),
        }
    }

    /// Every term the query can match, for candidate retrieval.
    fn ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .words
            .iter()
            .flat_map(|w| w.terms.iter().map(|e| e.0))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// BM25 of a document divided by [`Bm25::ideal`], capped at 1.
    fn score(&self, doc: &TermVec) -> f64 {
        if self.ideal <= 0.0 {
            return 0.0;
        }
        let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * doc.len / self.avg_len);
        let mut sum = 0.0f32;
        for w in &self.words {
            let mut best = 0.0f32;
            for &(t, weight) in &w.terms {
                let tf = doc.tf(t);
                if tf > 0.0 {
                    best = best.max(weight * tf * (BM25_K1 + 1.0) / (tf + norm));
                }
            }
            sum += w.idf * best;
        }
        f64::from(sum / self.ideal).clamp(0.0, 1.0)
    }
}

#[derive(Debug)]
struct OfferEntry {
    doc: OfferDoc,
    /// Dense geography id of each instance's municipality.
    instance_munis: Vec<Option<u32>>,
    /// Canonical concepts, sorted and deduplicated.
    concepts: Vec<Uuid>,
    terms: TermVec,
}

impl OfferEntry {
    fn teaches(&self, c: &Uuid) -> bool {
        self.concepts.binary_search(c).is_ok()
    }
}

/// Where a run of an offer takes place, resolved once when the offer is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunPlace {
    /// Given remotely ([`runs_remotely`]).
    Remote,
    /// On site in a municipality the geography knows (dense id).
    Known(u32),
    /// On site in a municipality the geography does not know (judged by its code).
    Unknown,
    /// On site, place not given.
    Unplaced,
}

/// A run of an offer as the ranking's first pass reads it.
#[derive(Debug, Clone, Copy)]
struct RunSummary {
    /// First day, as days from the common era (cheaper to compare and subtract than dates).
    start: i32,
    place: RunPlace,
    seats: Option<u32>,
}

impl RunSummary {
    const NONE: Self = Self {
        start: i32::MIN,
        place: RunPlace::Unplaced,
        seats: None,
    };

    fn of(offer: &OfferDoc, inst: &InstanceDoc, muni: Option<u32>) -> Self {
        let place = if runs_remotely(offer, inst) {
            RunPlace::Remote
        } else if inst.municipality.is_none() {
            RunPlace::Unplaced
        } else {
            muni.map_or(RunPlace::Unknown, RunPlace::Known)
        };
        Self {
            start: inst.start.num_days_from_ce(),
            place,
            seats: inst.seats,
        }
    }
}

/// Runs kept in an offer's [`ServeSummary`]; an offer with more is bounded from its document.
const SUMMARY_RUNS: usize = 2;

/// The bit of a term in a [`ServeSummary`]'s term signature.
fn term_bit(term: u32) -> u64 {
    1 << (u64::from(term).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// A dense copy of what bounds an offer's score besides its competences: level, delivery, runs
/// and a signature of its text. When many offers teach a need's competence, the ranking bounds
/// every one of them from these (one cache line per offer, read in slot order) and reads the
/// full entries only of those whose bound can still reach the top.
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
struct ServeSummary {
    /// [`term_bit`] of every term of the text: a query word none of whose terms' bits are set
    /// is not in it.
    term_bits: u64,
    /// Length of the text in words, and the highest count of a term in it (for BM25's bound).
    len: f32,
    max_tf: f32,
    level: Option<u8>,
    delivery: Delivery,
    /// Number of runs (all of them, saturating; more than [`SUMMARY_RUNS`] are not copied).
    run_count: u8,
    runs: [RunSummary; SUMMARY_RUNS],
}

const _: () = assert!(std::mem::size_of::<ServeSummary>() == 64);

impl ServeSummary {
    const EMPTY: Self = Self {
        term_bits: 0,
        len: 0.0,
        max_tf: 0.0,
        level: None,
        delivery: Delivery::OnSite,
        run_count: 0,
        runs: [RunSummary::NONE; SUMMARY_RUNS],
    };

    fn of(entry: &OfferEntry) -> Self {
        let doc = &entry.doc;
        let mut runs = [RunSummary::NONE; SUMMARY_RUNS];
        for (i, (slot, inst)) in runs.iter_mut().zip(&doc.instances).enumerate() {
            *slot = RunSummary::of(doc, inst, entry.instance_munis.get(i).copied().flatten());
        }
        Self {
            term_bits: entry
                .terms
                .known
                .iter()
                .fold(0, |bits, &(t, _)| bits | term_bit(t)),
            len: entry.terms.len,
            max_tf: entry.terms.known.iter().map(|e| e.1).fold(0.0, f32::max),
            level: doc.level,
            delivery: doc.delivery,
            run_count: u8::try_from(doc.instances.len()).unwrap_or(u8::MAX),
            runs,
        }
    }
}

/// A requirement label that did not resolve to a concept.
#[derive(Debug, Clone)]
struct Unresolved {
    label: String,
    must: bool,
    /// Its content words.
    words: Vec<LabelWord>,
}

/// A content word of an unresolved label.
#[derive(Debug, Clone)]
struct LabelWord {
    /// As written, lower-cased.
    text: String,
    /// Its stems: in the need's language first, then the other languages (a label is too short
    /// to trust the need's guessed language; an English label in a Swedish need is common).
    stems: Vec<String>,
    /// The term id of the stem in the need's language (None: not in the vocabulary).
    term: Option<u32>,
}

/// Share of an unresolved label's word weight (idf) a document must hold for the label to count
/// as taught: one generic word of a three-word label is not evidence.
const LABEL_EVIDENCE: f64 = 0.5;

/// An unresolved label as a query over one document collection.
#[derive(Debug)]
struct LabelQuery {
    words: Vec<(String, QueryWord)>,
    idf_sum: f32,
}

impl LabelQuery {
    /// The idf-weighted share of the label's words found in `doc` (typo variants at
    /// [`FUZZY_WEIGHT`]) and the words found (`~` after one found with a spelling difference).
    fn evidence(&self, doc: &TermVec) -> (f64, Vec<String>) {
        if self.idf_sum <= 0.0 {
            return (0.0, Vec::new());
        }
        let mut got = 0.0f32;
        let mut found = Vec::new();
        for (text, w) in &self.words {
            let f = w.found_in(doc);
            if f > 0.0 {
                got += f * w.idf;
                if f < 1.0 {
                    found.push(format!("{text}~"));
                } else {
                    found.push(text.clone());
                }
            }
        }
        (f64::from(got / self.idf_sum).clamp(0.0, 1.0), found)
    }

    /// Whether `doc` holds enough of the label to count as evidence, and how much.
    fn share(&self, doc: &TermVec) -> f64 {
        let (share, _) = self.evidence(doc);
        if share + 1e-9 >= LABEL_EVIDENCE {
            share
        } else {
            0.0
        }
    }
}

/// Content words of a requirement label with their stems in every language.
fn label_words(label: &str, lang: Lang, lex: &mut LexRef<'_>) -> Vec<LabelWord> {
    let mut words: Vec<LabelWord> = Vec::new();
    // "kunna engelska" asks for English: phrasing words go unless they are all there is.
    let spans: Vec<(usize, usize)> = word_spans(label).collect();
    let phrasing =
        |&(start, end): &(usize, usize)| is_requirement_phrasing(&fold(&label[start..end]));
    let keep_phrasing = spans
        .iter()
        .all(|s| phrasing(s) || index_term(&label[s.0..s.1], lang).is_none());
    for (start, end) in spans {
        if !keep_phrasing && phrasing(&(start, end)) {
            continue;
        }
        let raw = &label[start..end];
        let Some(stem) = index_term(raw, lang) else {
            continue;
        };
        if words.iter().any(|w| w.stems.first() == Some(&stem)) {
            continue;
        }
        let term = match lex {
            LexRef::Intern(l) => Some(l.intern(&stem)),
            LexRef::Lookup(l) => l.ids.get(&stem).copied(),
        };
        let mut stems = vec![stem];
        for other in Lang::ALL {
            if other != lang
                && let Some(s) = index_term(raw, other)
                && !stems.contains(&s)
            {
                stems.push(s);
            }
        }
        words.push(LabelWord {
            text: raw.to_lowercase(),
            stems,
            term,
        });
    }
    words
}

/// A need's text and unresolved labels as queries over one document collection.
#[derive(Debug)]
struct NeedQuery {
    bm25: Bm25,
    /// In the order of [`NeedProfile::unresolved`].
    labels: Vec<LabelQuery>,
    /// In the order of [`NeedProfile::concept_labels`].
    concept_labels: Vec<LabelQuery>,
}

impl NeedQuery {
    /// Terms of the unresolved labels' words (as written, in any language, or typo variants).
    fn label_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .labels
            .iter()
            .chain(&self.concept_labels)
            .flat_map(|l| {
                l.words
                    .iter()
                    .flat_map(|(_, w)| w.terms.iter().map(|e| e.0))
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Everything about a need that scoring uses, computed once per need.
#[derive(Debug, Clone)]
struct NeedProfile {
    /// Must-have concepts in requirement order (then occupation-essential), deduplicated.
    must: Vec<Uuid>,
    /// Nice-to-have concepts not already must-have.
    nice: Vec<Uuid>,
    unresolved: Vec<Unresolved>,
    /// Must-have and nice-to-have concepts with the requirement label that named them.
    concept_labels: Vec<(Uuid, Unresolved)>,
    via_occupation: Option<Uuid>,
    terms: TermVec,
    /// Distinct words of the title, labels and description (lower-cased, as written) with their
    /// terms, for naming the words a target shares.
    words: Vec<(String, u32)>,
    /// The text's guessed language (English when unclear), for naming concepts in English
    /// explanations.
    names_lang: Lang,
    /// Label fallback for concepts the taxonomy does not know.
    label_hint: HashMap<Uuid, String>,
    wanted_level: Option<u8>,
    /// Dense geography id of the need's municipality.
    muni: Option<u32>,
}

impl NeedProfile {
    fn all_concepts(&self) -> Vec<Uuid> {
        self.must.iter().chain(&self.nice).copied().collect()
    }

    fn has_requirements(&self) -> bool {
        !self.must.is_empty() || !self.nice.is_empty() || !self.unresolved.is_empty()
    }
}

#[derive(Debug)]
struct NeedEntry {
    doc: NeedDoc,
    profile: NeedProfile,
    /// Sorted must + nice (for pooling similarity).
    concept_set: Vec<Uuid>,
}

#[derive(Debug)]
struct ContactEntry {
    doc: ContactDoc,
    concepts: Vec<Uuid>,
    terms: TermVec,
}

/// Terms of a document for the text factor: title + description, stemmed in the document's
/// guessed language (Swedish when unclear).
fn doc_lang(text: &str) -> Lang {
    detect_lang(text).unwrap_or(Lang::Sv)
}

/// Title + description joined, with its guessed language (Swedish when unclear).
fn doc_text(title: &str, description: &str) -> (String, Lang) {
    let mut joined = String::with_capacity(title.len() + description.len() + 1);
    joined.push_str(title);
    joined.push(' ');
    joined.push_str(description);
    let lang = doc_lang(&joined);
    (joined, lang)
}

// ---------------------------------------------------------------------------------------------
// Engine
// ---------------------------------------------------------------------------------------------

/// The matching engine: taxonomy, geography and incrementally maintained indexes.
#[derive(Debug)]
pub struct Engine {
    taxonomy: Arc<Taxonomy>,
    geography: Geography,
    lexicon: Lexicon,
    offers: Slots<OfferEntry>,
    /// By offer slot.
    offer_summaries: Vec<ServeSummary>,
    offer_postings: Postings,
    needs: Slots<NeedEntry>,
    need_postings: Postings,
    /// Must-have (incl. occupation-essential) concept -> needs, for demand.
    need_must: FxMap<Uuid, Vec<u32>>,
    /// Municipality code (trimmed) -> needs, ascending: pooling reads only nearby ones.
    needs_by_municipality: FxMap<String, Vec<u32>>,
    contacts: Slots<ContactEntry>,
    contact_postings: Postings,
}

/// Per-instance scores of an offer for a need.
#[derive(Debug, Clone, Copy)]
struct InstanceFit<'a> {
    instance: Option<&'a InstanceDoc>,
    geography: f64,
    proximity: Option<Proximity>,
    timing: f64,
    capacity: f64,
}

impl Engine {
    /// An empty engine over a taxonomy and a geography.
    #[must_use]
    pub fn new(taxonomy: Arc<Taxonomy>, geography: Geography) -> Self {
        Self {
            taxonomy,
            geography,
            lexicon: Lexicon::default(),
            offers: Slots::default(),
            offer_summaries: Vec::new(),
            offer_postings: Postings::default(),
            needs: Slots::default(),
            need_postings: Postings::default(),
            need_must: FxMap::default(),
            needs_by_municipality: FxMap::default(),
            contacts: Slots::default(),
            contact_postings: Postings::default(),
        }
    }

    /// The taxonomy.
    #[must_use]
    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// The geography.
    #[must_use]
    pub fn geography(&self) -> &Geography {
        &self.geography
    }

    /// Number of indexed offers.
    #[must_use]
    pub fn offer_count(&self) -> usize {
        self.offers.len()
    }

    /// Number of indexed open needs.
    #[must_use]
    pub fn need_count(&self) -> usize {
        self.needs.len()
    }

    /// Number of indexed contacts.
    #[must_use]
    pub fn contact_count(&self) -> usize {
        self.contacts.len()
    }

    fn canonical_set(&self, concepts: &[Uuid]) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = concepts
            .iter()
            .map(|&c| self.taxonomy.canonical(c))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    fn offer_entry(&self, doc: OfferDoc, lex: &mut LexRef<'_>) -> OfferEntry {
        let concepts = self.canonical_set(&doc.concepts);
        let (text, lang) = doc_text(&doc.title, &doc.description);
        let terms = Lexicon::bag(lex, &text, lang);
        let instance_munis = doc
            .instances
            .iter()
            .map(|i| {
                i.municipality
                    .as_deref()
                    .and_then(|m| self.geography.id_of(m))
            })
            .collect();
        OfferEntry {
            doc,
            instance_munis,
            concepts,
            terms,
        }
    }

    /// Adds or replaces an offer.
    pub fn upsert_offer(&mut self, offer: OfferDoc) {
        self.remove_offer(offer.id);
        let mut lexicon = std::mem::take(&mut self.lexicon);
        let entry = self.offer_entry(offer, &mut LexRef::Intern(&mut lexicon));
        self.lexicon = lexicon;
        let id = entry.doc.id;
        let (concepts, terms) = (entry.concepts.clone(), entry.terms.clone());
        let summary = ServeSummary::of(&entry);
        let slot = self.offers.insert(id, entry);
        let at = slot as usize;
        if self.offer_summaries.len() <= at {
            self.offer_summaries.resize(at + 1, ServeSummary::EMPTY);
        }
        if let Some(cell) = self.offer_summaries.get_mut(at) {
            *cell = summary;
        }
        self.offer_postings.add(slot, &concepts, &terms);
    }

    /// Removes an offer (no-op when unknown).
    pub fn remove_offer(&mut self, id: Uuid) {
        if let Some((slot, entry)) = self.offers.take(id) {
            self.offer_postings
                .remove(slot, &entry.concepts, &entry.terms);
            if let Some(cell) = self.offer_summaries.get_mut(slot as usize) {
                *cell = ServeSummary::EMPTY;
            }
        }
    }

    /// Adds or replaces a contact.
    pub fn upsert_contact(&mut self, contact: ContactDoc) {
        self.remove_contact(contact.id);
        let concepts = self.canonical_set(&contact.concepts);
        let area = contact.area_text.join(" ");
        let lang = doc_lang(&area);
        let mut lexicon = std::mem::take(&mut self.lexicon);
        let terms = Lexicon::bag(&mut LexRef::Intern(&mut lexicon), &area, lang);
        self.lexicon = lexicon;
        let id = contact.id;
        let slot = self.contacts.insert(
            id,
            ContactEntry {
                doc: contact,
                concepts: concepts.clone(),
                terms: terms.clone(),
            },
        );
        self.contact_postings.add(slot, &concepts, &terms);
    }

    /// Removes a contact (no-op when unknown).
    pub fn remove_contact(&mut self, id: Uuid) {
        if let Some((slot, entry)) = self.contacts.take(id) {
            self.contact_postings
                .remove(slot, &entry.concepts, &entry.terms);
        }
    }

    /// Adds or replaces an open need (used for pooling, offer → needs and demand).
    pub fn upsert_need(&mut self, need: NeedDoc) {
        self.remove_need(need.id);
        let mut lexicon = std::mem::take(&mut self.lexicon);
        let profile = self.profile(&need, &mut LexRef::Intern(&mut lexicon));
        self.lexicon = lexicon;
        let mut concept_set = profile.all_concepts();
        concept_set.sort_unstable();
        concept_set.dedup();
        let id = need.id;
        let must = profile.must.clone();
        let terms = profile.terms.clone();
        let municipality = need.municipality.trim().to_owned();
        let slot = self.needs.insert(
            id,
            NeedEntry {
                doc: need,
                profile,
                concept_set: concept_set.clone(),
            },
        );
        self.need_postings.add(slot, &concept_set, &terms);
        for c in must {
            insert_sorted(self.need_must.entry(c).or_default(), slot);
        }
        insert_sorted(
            self.needs_by_municipality.entry(municipality).or_default(),
            slot,
        );
    }

    /// An open need the engine holds, as it was last upserted.
    #[must_use]
    pub fn need(&self, id: Uuid) -> Option<&NeedDoc> {
        self.needs.by_id(id).map(|entry| &entry.doc)
    }

    /// Removes an open need (no-op when unknown).
    pub fn remove_need(&mut self, id: Uuid) {
        if let Some((slot, entry)) = self.needs.take(id) {
            self.need_postings
                .remove(slot, &entry.concept_set, &entry.profile.terms);
            for c in &entry.profile.must {
                if let Some(list) = self.need_must.get_mut(c) {
                    remove_sorted(list, slot);
                    if list.is_empty() {
                        self.need_must.remove(c);
                    }
                }
            }
            let municipality = entry.doc.municipality.trim();
            if let Some(list) = self.needs_by_municipality.get_mut(municipality) {
                remove_sorted(list, slot);
                if list.is_empty() {
                    self.needs_by_municipality.remove(municipality);
                }
            }
        }
    }

    /// The needs `need` may pool with before scoring: those sharing a concept or one of the
    /// rarer query terms, in a municipality of its cluster or region (never its own). When the
    /// nearby municipalities hold fewer needs than the shared concepts and terms list, they are
    /// read instead and checked against those lists: thousands of needs for one competence in
    /// one municipality are not enumerated for each new need there. Ascending.
    fn pooling_candidates(&self, need: &NeedDoc, concepts: &[Uuid], terms: &[u32]) -> Vec<u32> {
        let n = self.needs.len();
        let own = need.municipality.trim();
        let mut lists: Vec<&[u32]> = concepts
            .iter()
            .map(|c| self.need_postings.concept(c))
            .collect();
        for t in self
            .need_postings
            .retrieval_terms(terms, n, !concepts.is_empty())
        {
            lists.push(self.need_postings.term(t));
        }
        let shared: usize = lists.iter().map(|l| l.len()).sum();
        let mut nearby: Vec<u32> = Vec::new();
        for (municipality, slots) in &self.needs_by_municipality {
            if municipality != own
                && matches!(
                    self.geography.proximity(own, municipality),
                    Proximity::Cluster | Proximity::Region
                )
            {
                nearby.extend_from_slice(slots);
                if nearby.len() >= shared {
                    let mut all = lists.concat();
                    all.sort_unstable();
                    all.dedup();
                    return all;
                }
            }
        }
        // Each slot is in one municipality's list, so the union has no duplicates.
        nearby.sort_unstable();
        nearby.retain(|slot| lists.iter().any(|l| l.binary_search(slot).is_ok()));
        nearby
    }

    /// Whether one offer's text holds every content word of `label` as written: the catalogue
    /// then knows what the words ask for ("translation memory software"), and a best guess at a
    /// concept from one of them ("memory" of memory care) would only hide the course that does.
    fn an_offer_holds_every_word(&self, label: &str, lex: &mut LexRef<'_>) -> bool {
        let lang = detect_lang(label).unwrap_or(Lang::Sv);
        let words = label_words(label, lang, lex);
        // Each word's terms in the offers' vocabulary (its stem in any language).
        let mut word_terms: Vec<Vec<u32>> = Vec::with_capacity(words.len());
        for w in &words {
            let terms: Vec<u32> = w
                .stems
                .iter()
                .enumerate()
                .filter_map(|(i, stem)| {
                    let term = if i == 0 { w.term } else { None };
                    term.or_else(|| self.lexicon.ids.get(stem).copied())
                })
                .filter(|&t| self.offer_postings.df(t) > 0)
                .collect();
            if terms.is_empty() {
                return false;
            }
            word_terms.push(terms);
        }
        // The offers holding the rarest word are the only ones that can hold them all.
        let Some(rarest) = word_terms.iter().min_by_key(|terms| {
            terms
                .iter()
                .map(|&t| self.offer_postings.df(t))
                .sum::<usize>()
        }) else {
            return false;
        };
        rarest
            .iter()
            .flat_map(|&t| self.offer_postings.term(t))
            .filter_map(|&slot| self.offers.get(slot))
            .any(|o| {
                word_terms
                    .iter()
                    .all(|terms| terms.iter().any(|&t| o.terms.contains(t)))
            })
    }

    /// Resolves a need's requirements and occupation into concept sets.
    fn profile(&self, need: &NeedDoc, lex: &mut LexRef<'_>) -> NeedProfile {
        let tax = &*self.taxonomy;
        let mut must: Vec<Uuid> = Vec::new();
        let mut nice: Vec<Uuid> = Vec::new();
        let mut unresolved_raw: Vec<(String, bool)> = Vec::new();
        let mut label_hint = HashMap::new();
        let mut label_text = String::new();
        for r in &need.requirements {
            label_text.push_str(&r.label);
            label_text.push_str(". ");
            let concept = match r.concept_id {
                Some(c) => Some(tax.canonical(c)),
                None => tax
                    .resolve_best(&r.label)
                    .filter(|res| res.confidence >= MIN_REQUIREMENT_CONFIDENCE)
                    .or_else(|| tax.mentioned_concept(&r.label))
                    .or_else(|| {
                        tax.leading_concept(&r.label)
                            .filter(|_| !self.an_offer_holds_every_word(&r.label, lex))
                    })
                    .map(|res| res.concept_id),
            };
            match concept {
                Some(c) => {
                    if !r.label.trim().is_empty() {
                        label_hint
                            .entry(c)
                            .or_insert_with(|| r.label.trim().to_owned());
                    }
                    let list = if r.must_have { &mut must } else { &mut nice };
                    if !list.contains(&c) {
                        list.push(c);
                    }
                }
                None if !r.label.trim().is_empty() => {
                    unresolved_raw.push((r.label.trim().to_owned(), r.must_have))
                }
                None => {}
            }
        }
        let occupation = need.occupation.or_else(|| {
            if need.requirements.is_empty() {
                tax.resolve_occupation(&need.title)
                    .filter(|r| r.confidence >= MIN_OCCUPATION_CONFIDENCE)
                    .map(|r| r.concept_id)
            } else {
                None
            }
        });
        let mut via_occupation = None;
        if let Some(occ) = occupation.and_then(|id| tax.occupation(id)) {
            via_occupation = Some(occ.id);
            for &c in &occ.essential {
                let c = tax.canonical(c);
                if !must.contains(&c) {
                    must.push(c);
                }
            }
            for &c in &occ.optional {
                let c = tax.canonical(c);
                if !nice.contains(&c) {
                    nice.push(c);
                }
            }
        }
        nice.retain(|c| !must.contains(c));
        let mut all_text =
            String::with_capacity(need.title.len() + need.description.len() + label_text.len() + 2);
        all_text.push_str(&need.title);
        all_text.push(' ');
        all_text.push_str(&label_text);
        all_text.push(' ');
        all_text.push_str(&need.description);
        let detected = detect_lang(&all_text);
        let lang = detected.unwrap_or(Lang::Sv);
        let terms = Lexicon::bag(lex, &all_text, lang);
        let words = match lex {
            LexRef::Intern(l) => l.word_terms(&all_text, lang),
            LexRef::Lookup(l) => l.word_terms(&all_text, lang),
        };
        let unresolved: Vec<Unresolved> = unresolved_raw
            .into_iter()
            .map(|(label, must)| {
                let words = label_words(&label, lang, lex);
                Unresolved { label, must, words }
            })
            .collect();
        // Resolved requirements keep their own words too: an offer whose text holds them shows
        // evidence even when its labels resolved to another concept (or to none).
        let concept_labels: Vec<(Uuid, Unresolved)> = must
            .iter()
            .map(|c| (c, true))
            .chain(nice.iter().map(|c| (c, false)))
            .filter_map(|(c, is_must)| {
                let label = label_hint.get(c)?.clone();
                let words = label_words(&label, lang, lex);
                (!words.is_empty()).then_some((
                    *c,
                    Unresolved {
                        label,
                        must: is_must,
                        words,
                    },
                ))
            })
            .collect();
        let wanted_level = need
            .wanted_level
            .or_else(|| need.requirements.iter().filter_map(|r| r.level).max());
        NeedProfile {
            must,
            nice,
            unresolved,
            concept_labels,
            via_occupation,
            terms,
            words,
            names_lang: detected.unwrap_or(Lang::En),
            label_hint,
            wanted_level,
            muni: self.geography.id_of(&need.municipality),
        }
    }

    /// The need's text and unresolved labels as queries over `postings` (offers, or needs when
    /// an offer is matched the other way round: label evidence is always weighed by offers).
    fn need_query(&self, profile: &NeedProfile, postings: &Postings, n: usize) -> NeedQuery {
        let lex = &self.lexicon;
        let offers = &self.offer_postings;
        let n_offers = self.offers.len();
        let query = |u: &Unresolved| {
            let words: Vec<(String, QueryWord)> = u
                .words
                .iter()
                .map(|w| (w.text.clone(), label_word(lex, offers, n_offers, w)))
                .collect();
            let idf_sum = words.iter().map(|(_, w)| w.idf).sum();
            LabelQuery { words, idf_sum }
        };
        NeedQuery {
            bm25: Bm25::new(lex, &profile.terms, postings, n),
            labels: profile.unresolved.iter().map(query).collect(),
            concept_labels: profile
                .concept_labels
                .iter()
                .map(|(_, u)| query(u))
                .collect(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Offer scoring
    // -----------------------------------------------------------------------------------------

    /// Geography score of one run, or `None` when an on-site run lies beyond `reach`.
    fn geography_of_instance(
        &self,
        need: &NeedDoc,
        need_muni: Option<u32>,
        inst: &InstanceDoc,
        inst_muni: Option<u32>,
        offer: &OfferDoc,
        reach: Reach,
    ) -> Option<(f64, Option<Proximity>)> {
        if runs_remotely(offer, inst) {
            return Some((remote_geography(need), None));
        }
        match &inst.municipality {
            Some(m) => {
                let within = match (need_muni, inst_muni) {
                    (Some(a), Some(b)) => self.geography.within_reach_ids(a, b, reach),
                    _ => self.geography.within_reach(&need.municipality, m, reach),
                };
                if !within {
                    return None;
                }
                let p = match (need_muni, inst_muni) {
                    (Some(a), Some(b)) => self.geography.proximity_ids(a, b),
                    _ => self.geography.proximity(&need.municipality, m),
                };
                Some((proximity_score(p), Some(p)))
            }
            // On site, place not given: it cannot be ruled out, nor counted as near.
            None => Some((UNPLACED_GEOGRAPHY, None)),
        }
    }

    fn best_instance<'a>(
        &self,
        need: &NeedDoc,
        need_muni: Option<u32>,
        entry: &'a OfferEntry,
        opts: &MatchOptions,
    ) -> Option<InstanceFit<'a>> {
        let offer = &entry.doc;
        let w = &opts.weights;
        if offer.instances.is_empty() {
            let geography = if offer.delivery == Delivery::Distance {
                remote_geography(need)
            } else {
                UNPLACED_GEOGRAPHY
            };
            return Some(InstanceFit {
                instance: None,
                geography,
                proximity: None,
                timing: UNSCHEDULED_TIMING,
                capacity: UNSCHEDULED_CAPACITY,
            });
        }
        let mut best: Option<(f64, InstanceFit<'a>)> = None;
        for (i, inst) in offer.instances.iter().enumerate() {
            if inst.start < opts.today {
                continue;
            }
            let inst_muni = entry.instance_munis.get(i).copied().flatten();
            let Some((geography, proximity)) =
                self.geography_of_instance(need, need_muni, inst, inst_muni, offer, opts.reach)
            else {
                continue;
            };
            let timing = timing_fit(need.needed_by, inst.start);
            let capacity = capacity_fit(inst.seats, need.headcount);
            let value = w.geography * geography + w.timing * timing + w.capacity * capacity;
            let fit = InstanceFit {
                instance: Some(inst),
                geography,
                proximity,
                timing,
                capacity,
            };
            let better = match &best {
                None => true,
                Some((v, b)) => {
                    value > *v + 1e-12
                        || ((value - *v).abs() <= 1e-12
                            && b.instance.is_some_and(|bi| inst.start < bi.start))
                }
            };
            if better {
                best = Some((value, fit));
            }
        }
        best.map(|b| b.1)
    }

    fn delivery_fit(need: &NeedDoc, delivery: Delivery) -> f64 {
        let Some(pref) = need.delivery.filter(|p| p.on_site || p.distance) else {
            return 1.0;
        };
        match delivery {
            Delivery::OnSite => {
                if pref.on_site {
                    1.0
                } else {
                    0.2
                }
            }
            Delivery::Distance => {
                if pref.distance {
                    1.0
                } else {
                    0.2
                }
            }
            Delivery::Blended => {
                if pref.on_site && pref.distance {
                    1.0
                } else {
                    0.7
                }
            }
        }
    }

    fn level_fit(wanted: Option<u8>, offered: Option<u8>) -> f64 {
        match (wanted, offered) {
            (Some(w), Some(o)) => match w.abs_diff(o) {
                0 => 1.0,
                1 => 0.7,
                2 => 0.3,
                _ => 0.0,
            },
            _ => 0.6,
        }
    }

    /// The cheap numeric part of an offer's score for a need (text left at 0); `None` when the
    /// offer cannot serve (all runs past, or on site beyond reach) or is not relevant: it shows
    /// no evidence for any must-have (no shared concept, and no unresolved must-have label with
    /// [`LABEL_EVIDENCE`] of its words in the offer), or earns less than [`MIN_RELEVANCE`] of
    /// the competence credit it could.
    fn offer_parts<'a>(
        &self,
        need: &NeedDoc,
        profile: &NeedProfile,
        query: &NeedQuery,
        offer: &'a OfferEntry,
        concept_weight: Option<f64>,
        opts: &MatchOptions,
    ) -> Option<OfferParts<'a>> {
        let mut total = profile.must.len() as f64 + NICE_WEIGHT * profile.nice.len() as f64;
        let mut attainable = total;
        let mut got = match concept_weight {
            Some(w) => w,
            None => {
                let covered_must = profile.must.iter().filter(|c| offer.teaches(c)).count();
                let covered_nice = profile.nice.iter().filter(|c| offer.teaches(c)).count();
                covered_must as f64 + NICE_WEIGHT * covered_nice as f64
            }
        };
        let mut any_must = !profile.must.is_empty();
        let mut must_evidence = profile.must.iter().any(|c| offer.teaches(c));
        for (u, q) in profile.unresolved.iter().zip(&query.labels) {
            let weight = if u.must { 1.0 } else { NICE_WEIGHT };
            total += weight;
            attainable += weight * UNRESOLVED_CREDIT;
            any_must |= u.must;
            let share = q.share(&offer.terms);
            got += weight * UNRESOLVED_CREDIT * share;
            must_evidence |= u.must && share > 0.0;
        }
        // A requirement whose concept the offer does not teach still counts, as text, when the
        // offer holds enough of the requirement's own words.
        for ((c, u), q) in profile.concept_labels.iter().zip(&query.concept_labels) {
            if offer.teaches(c) {
                continue;
            }
            let share = q.share(&offer.terms);
            if share > 0.0 {
                let weight = if u.must { 1.0 } else { NICE_WEIGHT };
                got += weight * UNRESOLVED_CREDIT * share;
                must_evidence |= u.must;
            }
        }
        // Relevance gates: an offer that teaches none of the must-haves, or too little of what
        // is asked, is no suggestion however close, soon and roomy it is.
        if profile.has_requirements()
            && ((any_must && !must_evidence)
                || attainable <= 0.0
                || got / attainable + 1e-12 < MIN_RELEVANCE)
        {
            return None;
        }
        let fit = self.best_instance(need, profile.muni, offer, opts)?;
        let competence = if total > 0.0 { got / total } else { 0.0 };
        let weights = offer_weights(profile, opts);
        let scores = [
            competence,
            0.0,
            fit.geography,
            fit.timing,
            Self::level_fit(profile.wanted_level, offer.doc.level),
            fit.capacity,
            Self::delivery_fit(need, offer.doc.delivery),
        ];
        Some(OfferParts {
            offer,
            fit,
            scores,
            weights,
        })
    }

    /// Per-need constants of [`OfferBounds`].
    fn offer_bounds<'n>(
        &self,
        need: &'n NeedDoc,
        profile: &NeedProfile,
        query: &NeedQuery,
        opts: &MatchOptions,
    ) -> OfferBounds<'n> {
        // The same total and label credit as `offer_parts`, every label's words all found.
        let mut total = profile.must.len() as f64 + NICE_WEIGHT * profile.nice.len() as f64;
        let mut label_credit = 0.0;
        for u in &profile.unresolved {
            let weight = if u.must { 1.0 } else { NICE_WEIGHT };
            total += weight;
            label_credit += weight * UNRESOLVED_CREDIT;
        }
        for (_, u) in &profile.concept_labels {
            let weight = if u.must { 1.0 } else { NICE_WEIGHT };
            label_credit += weight * UNRESOLVED_CREDIT;
        }
        let geography = &self.geography;
        let reach = profile.muni.map_or_else(Vec::new, |a| {
            (0..as_u32(geography.len()))
                .map(|b| {
                    geography
                        .within_reach_ids(a, b, opts.reach)
                        .then(|| proximity_score(geography.proximity_ids(a, b)))
                })
                .collect()
        });
        let bm25 = &query.bm25;
        let text_words = bm25
            .words
            .iter()
            .filter(|w| !w.terms.is_empty())
            .map(|w| {
                let mask = w.terms.iter().fold(0, |bits, &(t, _)| bits | term_bit(t));
                let weight = w.terms.iter().map(|e| e.1).fold(0.0, f32::max);
                (mask, f64::from(w.idf) * f64::from(weight))
            })
            .collect();
        let weights = offer_weights(profile, opts).map(|w| w.max(0.0));
        OfferBounds {
            need,
            today: opts.today.num_days_from_ce(),
            needed_by: need.needed_by.map(|d| d.num_days_from_ce()),
            relevance_weight: weights[0] + weights[1],
            logistics_weight: weights[2..].iter().sum(),
            text_words,
            text_ideal: f64::from(bm25.ideal),
            avg_len: bm25.avg_len,
            weights,
            total,
            label_credit,
            wanted_level: profile.wanted_level,
            reach,
            remote: remote_geography(need),
        }
    }

    /// Scores candidate offers for a need and returns the explained top `opts.max_results`.
    ///
    /// Candidates come with an upper bound of their score ([`OfferBounds`]) and are scored
    /// exactly in descending order of it: the cheap factors first ([`Engine::offer_parts`]), the
    /// text factor (BM25, the costly part) only when the score with text 1 can still enter the
    /// top-k found so far and reach `min_score`. Once a bound falls below the k-th score (or
    /// `min_score`), no candidate left can enter, so with thousands of offers teaching a
    /// need's competence only the few near the top are read at all. Explanations are built for
    /// the final top-k only. `resolve` gives a candidate's entry, target id and concept weight
    /// (when retrieval summed it) by its key.
    #[expect(
        clippy::too_many_arguments,
        reason = "internal; the need, its queries, the candidates and how to read them"
    )]
    fn rank_offers<'a>(
        &self,
        need: &NeedDoc,
        profile: &NeedProfile,
        query: &NeedQuery,
        pending: Vec<Pending>,
        resolve: impl Fn(u32) -> Option<(&'a OfferEntry, Uuid, Option<f64>)>,
        opts: &MatchOptions,
        kind: SuggestionKind,
    ) -> Vec<Suggestion> {
        let k = opts.max_results;
        if k == 0 {
            return Vec::new();
        }
        let mut pending = std::collections::BinaryHeap::from(pending);
        // The best k so far; its top is the worst of them.
        let mut top: std::collections::BinaryHeap<Ranked<'a>> =
            std::collections::BinaryHeap::with_capacity(k.min(pending.len()));
        while let Some(candidate) = pending.pop() {
            let threshold = match top.peek() {
                Some(worst) if top.len() >= k => worst.score.max(opts.min_score),
                _ => opts.min_score,
            };
            if candidate.bound + BOUND_SLACK < threshold {
                break;
            }
            let Some((offer, target, concept_weight)) = resolve(candidate.key) else {
                continue;
            };
            let Some(mut p) = self.offer_parts(need, profile, query, offer, concept_weight, opts)
            else {
                continue;
            };
            let mut with_text = p.scores;
            with_text[1] = 1.0;
            if combine_offer(&with_text, &p.weights) + 1e-12 < threshold {
                continue;
            }
            let text = query.bm25.score(&p.offer.terms);
            if p.scores[0] <= 0.0 && text < MIN_TEXT_ONLY {
                continue;
            }
            p.scores[1] = text;
            let score = combine_offer(&p.scores, &p.weights);
            if !(score > 0.0 && score >= opts.min_score) {
                continue;
            }
            let ranked = Ranked {
                score,
                target,
                parts: p,
            };
            if top.len() < k {
                top.push(ranked);
            } else if let Some(mut worst) = top.peek_mut()
                && ranked < *worst
            {
                *worst = ranked;
            }
        }
        top.into_sorted_vec()
            .into_iter()
            .map(|r| {
                self.explain_offer(
                    need, profile, query, &r.parts, r.score, kind, r.target, opts.lang,
                )
            })
            .collect()
    }

    /// Words of the need's text (as written, lower-cased, each once) whose terms `doc` holds.
    fn shared_words(profile: &NeedProfile, doc: &TermVec) -> Vec<String> {
        profile
            .words
            .iter()
            .filter(|(_, t)| doc.contains(*t))
            .map(|(w, _)| w.clone())
            .collect()
    }

    /// Builds factors, evidence and the explanation of a scored offer.
    #[expect(
        clippy::too_many_arguments,
        reason = "internal; everything the explanation names"
    )]
    fn explain_offer(
        &self,
        need: &NeedDoc,
        profile: &NeedProfile,
        query: &NeedQuery,
        p: &OfferParts<'_>,
        score: f64,
        kind: SuggestionKind,
        target_id: Uuid,
        lang: Option<Lang>,
    ) -> Suggestion {
        let offer = p.offer;
        let fit = p.fit;
        let covered_must: Vec<Uuid> = profile
            .must
            .iter()
            .copied()
            .filter(|c| offer.teaches(c))
            .collect();
        let missing_must: Vec<Uuid> = profile
            .must
            .iter()
            .copied()
            .filter(|c| !offer.teaches(c))
            .collect();
        let covered_nice: Vec<Uuid> = profile
            .nice
            .iter()
            .copied()
            .filter(|c| offer.teaches(c))
            .collect();
        let factors: Vec<Factor> = FACTOR_NAMES
            .iter()
            .zip(p.scores.iter().zip(&p.weights))
            .map(|(name, (&score, &weight))| Factor {
                name: (*name).to_owned(),
                score,
                weight,
            })
            .collect();

        let mut reasons: Vec<Reason> = Vec::new();
        let mut matched_words: Vec<String> = Vec::new();
        if let Some(occupation) = profile.via_occupation {
            reasons.push(Reason::Occupation { occupation });
        }
        if !profile.must.is_empty() {
            reasons.push(Reason::MustHave {
                covered: covered_must.clone(),
                total: profile.must.len(),
            });
            if !missing_must.is_empty() {
                reasons.push(Reason::Missing {
                    concepts: missing_must.clone(),
                });
            }
        }
        if !covered_nice.is_empty() {
            reasons.push(Reason::NiceToHave {
                covered: covered_nice.clone(),
                total: profile.nice.len(),
            });
        }
        let untaught = profile
            .concept_labels
            .iter()
            .zip(&query.concept_labels)
            .filter(|((c, _), _)| !offer.teaches(c))
            .map(|((_, u), q)| (u, q));
        for (u, q) in profile.unresolved.iter().zip(&query.labels).chain(untaught) {
            let (share, words) = q.evidence(&offer.terms);
            if share + 1e-9 >= LABEL_EVIDENCE && !words.is_empty() {
                for w in &words {
                    if !matched_words.contains(w) {
                        matched_words.push(w.clone());
                    }
                }
                reasons.push(Reason::LabelWords {
                    label: u.label.clone(),
                    words,
                });
            }
        }
        let text_words = Self::shared_words(profile, &offer.terms);
        if !profile.has_requirements() {
            reasons.push(Reason::TextOnly {
                words: text_words.iter().take(MAX_LISTED).cloned().collect(),
            });
        }
        for w in text_words {
            if !matched_words.contains(&w) && !matched_words.contains(&format!("{w}~")) {
                matched_words.push(w);
            }
        }
        match fit.instance {
            Some(inst)
                if inst.distance
                    || offer.doc.delivery == Delivery::Distance && inst.municipality.is_none() =>
            {
                reasons.push(Reason::Distance);
            }
            Some(inst) => {
                if let Some(m) = &inst.municipality {
                    reasons.push(Reason::OnSite {
                        municipality: m.clone(),
                        proximity: fit.proximity.unwrap_or(Proximity::Far),
                    });
                }
            }
            None => reasons.push(Reason::NoStartYet),
        }
        if let Some(inst) = fit.instance {
            reasons.push(Reason::Starts {
                on: inst.start,
                needed_by: need.needed_by,
            });
            reasons.push(Reason::Seats {
                seats: inst.seats,
                headcount: need.headcount,
            });
        }
        if let (Some(wanted), Some(offered)) = (profile.wanted_level, offer.doc.level) {
            reasons.push(Reason::Level { offered, wanted });
        }

        Suggestion {
            kind,
            target_id,
            score,
            factors,
            explanation: self.render(&reasons, lang, profile, &profile.label_hint),
            evidence: Evidence {
                covered_must,
                missing_must,
                covered_nice,
                unresolved_labels: profile.unresolved.iter().map(|u| u.label.clone()).collect(),
                via_occupation: profile.via_occupation,
                starts_on: fit.instance.map(|i| i.start),
                municipality: fit.instance.and_then(|i| i.municipality.clone()),
                matched_words,
                reasons,
            },
        }
    }

    /// Ranked, explained training offers for a need.
    ///
    /// An offer is suggested only when it shows evidence of teaching a must-have of the need (a
    /// shared concept, or enough of an unresolved must-have label's words), when a run of it
    /// is at a distance or on site within [`MatchOptions::reach`], and when its score reaches
    /// [`MatchOptions::min_score`] (see there for the scale).
    #[must_use]
    pub fn suggest_offers(&self, need: &NeedDoc, opts: &MatchOptions) -> Vec<Suggestion> {
        let profile = self.profile(need, &mut LexRef::Lookup(&self.lexicon));
        let query = self.need_query(&profile, &self.offer_postings, self.offers.len());
        let candidates = self.offer_candidates(&profile, &query);
        let bounds = self.offer_bounds(need, &profile, &query, opts);
        let mut pending: Vec<Pending> = Vec::with_capacity(candidates.len());
        // Summaries are copied a batch at a time: the copies do not wait for one another, so
        // their cache misses overlap instead of coming one per candidate.
        const BATCH: usize = 16;
        let mut batch = [None; BATCH];
        for (chunk_at, chunk) in candidates.chunks(BATCH).enumerate() {
            for (cell, &(slot, _)) in batch.iter_mut().zip(chunk) {
                *cell = self.offer_summaries.get(slot as usize).copied();
            }
            for (i, (summary, &(slot, w))) in batch.iter().zip(chunk).enumerate() {
                let bound = match summary {
                    Some(summary) if summary.run_count as usize <= SUMMARY_RUNS => {
                        let runs = summary.runs.iter().take(summary.run_count as usize);
                        bounds.bound(summary, w, runs.copied())
                    }
                    // Too many runs to copy: read them from the entry.
                    Some(summary) => self.offers.get(slot).and_then(|entry| {
                        let runs = entry.doc.instances.iter().enumerate().map(|(i, inst)| {
                            let muni = entry.instance_munis.get(i).copied().flatten();
                            RunSummary::of(&entry.doc, inst, muni)
                        });
                        bounds.bound(summary, w, runs)
                    }),
                    None => Some(f64::INFINITY),
                };
                if let Some(bound) = bound
                    && bound + BOUND_SLACK >= opts.min_score
                {
                    pending.push(Pending {
                        bound,
                        key: as_u32(chunk_at * BATCH + i),
                    });
                }
            }
        }
        self.rank_offers(
            need,
            &profile,
            &query,
            pending,
            |i| {
                let &(slot, w) = candidates.get(i as usize)?;
                self.offers.get(slot).map(|o| (o, o.doc.id, Some(w)))
            },
            opts,
            SuggestionKind::Offer,
        )
    }

    /// The offers that may suggest themselves for a need: those carrying its concepts (with
    /// their summed weight, nice-to-haves weighing [`NICE_WEIGHT`]) or its rarer words.
    fn offer_candidates(&self, profile: &NeedProfile, query: &NeedQuery) -> Vec<(u32, f64)> {
        let weighted: Vec<(Uuid, f64)> = profile
            .must
            .iter()
            .map(|&c| (c, 1.0))
            .chain(profile.nice.iter().map(|&c| (c, NICE_WEIGHT)))
            .collect();
        self.offer_postings.weighted_candidates(
            &weighted,
            &query.bm25.ids(),
            &query.label_ids(),
            self.offers.len(),
        )
    }

    /// Open needs that an offer could serve, ranked as [`Engine::suggest_offers`] would rank
    /// the offer for each need.
    #[must_use]
    pub fn suggest_needs_for_offer(
        &self,
        offer: &OfferDoc,
        opts: &MatchOptions,
    ) -> Vec<Suggestion> {
        let entry = self.offer_entry(offer.clone(), &mut LexRef::Lookup(&self.lexicon));
        let n = self.needs.len();
        let term_ids: Vec<u32> = entry.terms.known.iter().map(|e| e.0).collect();
        let candidates = self.need_postings.candidates(&entry.concepts, &term_ids, n);
        let mut out: Vec<Suggestion> = Vec::new();
        let one = MatchOptions {
            max_results: 1,
            ..opts.clone()
        };
        for slot in candidates {
            let Some(need) = self.needs.get(slot) else {
                continue;
            };
            // An offer none of whose runs can serve the need (past, or on site beyond reach) is
            // no suggestion: its query over the offers need not be built.
            if self
                .best_instance(&need.doc, need.profile.muni, &entry, opts)
                .is_none()
            {
                continue;
            }
            // The text factor compares the need with the offers, as when the need asks.
            let query = self.need_query(&need.profile, &self.offer_postings, self.offers.len());
            let only = Pending {
                bound: f64::INFINITY,
                key: 0,
            };
            out.extend(self.rank_offers(
                &need.doc,
                &need.profile,
                &query,
                vec![only],
                |_| Some((&entry, need.doc.id, None)),
                &one,
                SuggestionKind::Need,
            ));
        }
        rank(&mut out, opts.max_results);
        out
    }

    // -----------------------------------------------------------------------------------------
    // Contacts
    // -----------------------------------------------------------------------------------------

    /// How well a contact's municipalities cover the need's place; `None` for nationwide
    /// contacts (no municipalities listed).
    fn contact_geography(&self, need: &NeedDoc, contact: &ContactDoc) -> (f64, Option<Proximity>) {
        if contact.municipalities.is_empty() {
            return (0.5, None);
        }
        let best = contact
            .municipalities
            .iter()
            .map(|m| self.geography.proximity(&need.municipality, m))
            .min()
            .unwrap_or(Proximity::Far);
        let score = match best {
            Proximity::Same => 1.0,
            Proximity::Cluster => 0.8,
            Proximity::Region => 0.6,
            Proximity::Far => 0.1,
        };
        (score, Some(best))
    }

    /// Contacts who cover the need's competences (or area text) in its municipality, cluster or
    /// region, or nationwide. Contacts who only work in other regions are never suggested: a
    /// contact is who organises something locally.
    ///
    /// When no offer fits the need, the contacts of its municipality (or, when it has none, of
    /// its cluster) are suggested even without a competence match, judged on place and area
    /// text (competence weight 0): they are who can organise training locally when no course
    /// exists.
    #[must_use]
    pub fn suggest_contacts(&self, need: &NeedDoc, opts: &MatchOptions) -> Vec<Suggestion> {
        let probe = MatchOptions {
            max_results: 1,
            ..opts.clone()
        };
        let no_offer_fits = self.suggest_offers(need, &probe).is_empty();
        self.contacts_for(need, opts, no_offer_fits)
    }

    /// [`Engine::suggest_offers`] and [`Engine::suggest_contacts`] together: whether an offer
    /// fits is read off the offers' ranking instead of ranking them again (with many offers
    /// teaching a need's competence, ranking is most of a recomputation's time).
    #[must_use]
    pub fn suggest_offers_and_contacts(
        &self,
        need: &NeedDoc,
        opts: &MatchOptions,
    ) -> (Vec<Suggestion>, Vec<Suggestion>) {
        if opts.max_results == 0 {
            return (Vec::new(), self.suggest_contacts(need, opts));
        }
        let offers = self.suggest_offers(need, opts);
        let contacts = self.contacts_for(need, opts, offers.is_empty());
        (offers, contacts)
    }

    /// [`Engine::suggest_contacts`], told whether any offer fits the need.
    fn contacts_for(
        &self,
        need: &NeedDoc,
        opts: &MatchOptions,
        no_offer_fits: bool,
    ) -> Vec<Suggestion> {
        let w = &opts.weights;
        let profile = self.profile(need, &mut LexRef::Lookup(&self.lexicon));
        let n = self.contacts.len();
        let query = Query::new(&profile.terms, &self.contact_postings, n);
        let mut retrieval_terms = query.ids();
        for u in &profile.unresolved {
            retrieval_terms.extend(u.words.iter().filter_map(|w| w.term));
        }
        let mut candidates =
            self.contact_postings
                .candidates(&profile.all_concepts(), &retrieval_terms, n);
        // Contacts are few (one or two per municipality): the fallback looks at all of them.
        let fallback_place = if no_offer_fits {
            let nearest = self
                .contacts
                .items
                .iter()
                .flatten()
                .filter_map(|c| self.contact_geography(need, &c.doc).1)
                .min();
            nearest.filter(|p| matches!(p, Proximity::Same | Proximity::Cluster))
        } else {
            None
        };
        if fallback_place.is_some() {
            candidates.extend(
                self.contacts
                    .items
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.is_some())
                    .map(|(slot, _)| as_u32(slot)),
            );
            candidates.sort_unstable();
            candidates.dedup();
        }
        let mut out = Vec::new();
        for slot in candidates {
            let Some(contact) = self.contacts.get(slot) else {
                continue;
            };
            let (geography, proximity) = self.contact_geography(need, &contact.doc);
            if proximity == Some(Proximity::Far) {
                continue;
            }
            let covers = |c: &Uuid| contact.concepts.binary_search(c).is_ok();
            let covered_must: Vec<Uuid> = profile.must.iter().copied().filter(covers).collect();
            let missing_must: Vec<Uuid> = profile
                .must
                .iter()
                .copied()
                .filter(|c| !covers(c))
                .collect();
            let covered_nice: Vec<Uuid> = profile.nice.iter().copied().filter(covers).collect();
            let total = profile.must.len() as f64 + NICE_WEIGHT * profile.nice.len() as f64;
            let competence = if total > 0.0 {
                (covered_must.len() as f64 + NICE_WEIGHT * covered_nice.len() as f64) / total
            } else {
                0.0
            };
            // Area texts are short: score by the share of the contact's area terms the need
            // mentions, blended with cosine.
            let cos = query.cosine(&contact.terms, &self.contact_postings, n);
            let area_hits = contact
                .terms
                .known
                .iter()
                .filter(|(t, _)| query.terms.binary_search_by_key(t, |e| e.0).is_ok())
                .count();
            let area_share = if contact.terms.known.is_empty() {
                0.0
            } else {
                area_hits as f64 / contact.terms.known.len() as f64
            };
            let text = cos.max(area_share * 0.8);
            let fallback = fallback_place.is_some() && proximity == fallback_place;
            if competence <= 0.0 && text < MIN_TEXT_ONLY && !fallback {
                continue;
            }
            let factors_with = |competence_weight: f64| {
                vec![
                    Factor {
                        name: "competence".into(),
                        score: competence,
                        weight: competence_weight,
                    },
                    Factor {
                        name: "text".into(),
                        score: text,
                        weight: w.text,
                    },
                    Factor {
                        name: "geography".into(),
                        score: geography,
                        weight: w.geography,
                    },
                ]
            };
            let mut factors = factors_with(if total > 0.0 { w.competence } else { 0.0 });
            let mut score = combine(&factors);
            if fallback {
                let by_place = factors_with(0.0);
                let place_score = combine(&by_place);
                if place_score > score {
                    factors = by_place;
                    score = place_score;
                }
            }
            if score < opts.min_score {
                continue;
            }
            let mut reasons = Vec::new();
            if fallback {
                reasons.push(Reason::NoCourseFits);
            }
            let covered_all: Vec<Uuid> =
                covered_must.iter().chain(&covered_nice).copied().collect();
            if !covered_all.is_empty() {
                reasons.push(Reason::ContactCovers {
                    covered: covered_all,
                    total: profile.must.len() + profile.nice.len(),
                });
            }
            if area_hits > 0 || cos > 0.0 {
                reasons.push(Reason::ContactArea {
                    areas: contact.doc.area_text.clone(),
                });
            }
            reasons.push(Reason::ContactPlace { proximity });
            let matched_words = Self::shared_words(&profile, &contact.terms);
            out.push(Suggestion {
                kind: SuggestionKind::Contact,
                target_id: contact.doc.id,
                score,
                factors,
                explanation: self.render(&reasons, opts.lang, &profile, &profile.label_hint),
                evidence: Evidence {
                    covered_must,
                    missing_must,
                    covered_nice,
                    unresolved_labels: profile.unresolved.iter().map(|u| u.label.clone()).collect(),
                    via_occupation: profile.via_occupation,
                    starts_on: None,
                    municipality: None,
                    matched_words,
                    reasons,
                },
            });
        }
        rank(&mut out, opts.max_results);
        out
    }

    // -----------------------------------------------------------------------------------------
    // Pooling
    // -----------------------------------------------------------------------------------------

    /// Similar open needs in other municipalities of the same cluster (ranked first) or the same
    /// region, for pooling into one training. Never the need itself or needs in its municipality.
    #[must_use]
    pub fn suggest_pooling(&self, need: &NeedDoc, opts: &MatchOptions) -> Vec<Suggestion> {
        let w = &opts.weights;
        let profile = self.profile(need, &mut LexRef::Lookup(&self.lexicon));
        let n = self.needs.len();
        let query = Query::new(&profile.terms, &self.need_postings, n);
        let mine = weighted_set(&profile);
        let candidates = self.pooling_candidates(need, &profile.all_concepts(), &query.ids());
        let mut out: Vec<(Proximity, Suggestion)> = Vec::new();
        for slot in candidates {
            let Some(other) = self.needs.get(slot) else {
                continue;
            };
            if other.doc.id == need.id || other.doc.municipality.trim() == need.municipality.trim()
            {
                continue;
            }
            let proximity = self
                .geography
                .proximity(&need.municipality, &other.doc.municipality);
            let geography = match proximity {
                Proximity::Cluster => 1.0,
                Proximity::Region => 0.6,
                Proximity::Same | Proximity::Far => continue,
            };
            let theirs = weighted_set(&other.profile);
            let competence = weighted_jaccard(&mine, &theirs);
            let text = query.cosine(&other.profile.terms, &self.need_postings, n);
            if competence <= 0.0 && text < MIN_TEXT_ONLY {
                continue;
            }
            let timing = match (need.needed_by, other.doc.needed_by) {
                (Some(a), Some(b)) => {
                    let diff = (a - b).num_days().unsigned_abs() as f64;
                    if diff <= 30.0 {
                        1.0
                    } else {
                        (-(diff - 30.0) / 90.0).exp()
                    }
                }
                _ => 0.7,
            };
            let level = Self::level_fit(profile.wanted_level, other.profile.wanted_level);
            let factors = vec![
                Factor {
                    name: "competence".into(),
                    score: competence,
                    weight: w.competence,
                },
                Factor {
                    name: "text".into(),
                    score: text,
                    weight: w.text,
                },
                Factor {
                    name: "geography".into(),
                    score: geography,
                    weight: w.geography,
                },
                Factor {
                    name: "timing".into(),
                    score: timing,
                    weight: w.timing,
                },
                Factor {
                    name: "level".into(),
                    score: level,
                    weight: w.level,
                },
            ];
            let score = combine(&factors);
            if score < opts.min_score {
                continue;
            }
            let shared: Vec<Uuid> = profile
                .must
                .iter()
                .copied()
                .filter(|c| other.profile.must.contains(c))
                .collect();
            let shared_any: Vec<Uuid> = profile
                .all_concepts()
                .into_iter()
                .filter(|c| other.concept_set.binary_search(c).is_ok())
                .collect();
            let mut reasons = Vec::new();
            if !profile.must.is_empty() {
                reasons.push(Reason::SharesMust {
                    shared: shared.clone(),
                    total: profile.must.len(),
                });
            } else if !shared_any.is_empty() {
                reasons.push(Reason::SharesAny { shared: shared_any });
            }
            reasons.push(Reason::PoolPlace {
                municipality: other.doc.municipality.clone(),
                proximity,
            });
            reasons.push(Reason::PoolPeople {
                headcount: other.doc.headcount,
                needed_by: other.doc.needed_by,
            });
            let matched_words = Self::shared_words(&profile, &other.profile.terms);
            out.push((
                proximity,
                Suggestion {
                    kind: SuggestionKind::Need,
                    target_id: other.doc.id,
                    score,
                    factors,
                    explanation: self.render(&reasons, opts.lang, &profile, &profile.label_hint),
                    evidence: Evidence {
                        covered_must: shared,
                        missing_must: profile
                            .must
                            .iter()
                            .copied()
                            .filter(|c| !other.profile.must.contains(c))
                            .collect(),
                        covered_nice: profile
                            .nice
                            .iter()
                            .copied()
                            .filter(|c| other.concept_set.binary_search(c).is_ok())
                            .collect(),
                        unresolved_labels: profile
                            .unresolved
                            .iter()
                            .map(|u| u.label.clone())
                            .collect(),
                        via_occupation: profile.via_occupation,
                        starts_on: other.doc.needed_by,
                        municipality: Some(other.doc.municipality.clone()),
                        matched_words,
                        reasons,
                    },
                },
            ));
        }
        out.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(b.1.score.total_cmp(&a.1.score))
                .then(a.1.target_id.cmp(&b.1.target_id))
        });
        out.truncate(opts.max_results);
        out.into_iter().map(|e| e.1).collect()
    }

    // -----------------------------------------------------------------------------------------
    // Demand
    // -----------------------------------------------------------------------------------------

    /// Indexed open needs (optionally only in `region`) with at least one must-have concept
    /// (incl. occupation-essential) that the offer teaches, and their total headcount.
    #[must_use]
    pub fn demand_for_offer(&self, offer_id: Uuid, region: Option<&str>) -> Demand {
        let Some(&slot) = self.offers.by_id.get(&offer_id) else {
            return Demand::default();
        };
        let Some(offer) = self.offers.get(slot) else {
            return Demand::default();
        };
        let mut needs: Vec<u32> = Vec::new();
        for c in &offer.concepts {
            if let Some(list) = self.need_must.get(c) {
                needs.extend_from_slice(list);
            }
        }
        needs.sort_unstable();
        needs.dedup();
        // By dense ids: an offer can have thousands of needs to check.
        let wanted_region = region.map(|r| self.geography.region_id(r));
        let mut demand = Demand::default();
        for slot in needs {
            let Some(need) = self.needs.get(slot) else {
                continue;
            };
            if let Some(wanted) = wanted_region {
                let need_region = need
                    .profile
                    .muni
                    .and_then(|m| self.geography.region_id_of(m));
                if wanted.is_none() || need_region != wanted {
                    continue;
                }
            }
            demand.open_needs += 1;
            demand.headcount = demand.headcount.saturating_add(need.doc.headcount);
        }
        demand
    }
}

/// Factor names in the order of [`OfferParts::scores`]; every factor a match carries is one of these.
pub const FACTOR_NAMES: [&str; 7] = [
    "competence",
    "text",
    "geography",
    "timing",
    "level",
    "capacity",
    "delivery",
];

/// Numeric scores of one offer for one need, in [`FACTOR_NAMES`] order.
#[derive(Debug, Clone, Copy)]
struct OfferParts<'a> {
    offer: &'a OfferEntry,
    fit: InstanceFit<'a>,
    scores: [f64; 7],
    weights: [f64; 7],
}

/// Factor weights of an offer for a need, in [`FACTOR_NAMES`] order: competence counts only
/// when the need states requirements.
fn offer_weights(profile: &NeedProfile, opts: &MatchOptions) -> [f64; 7] {
    let w = &opts.weights;
    [
        if profile.has_requirements() {
            w.competence
        } else {
            0.0
        },
        w.text,
        w.geography,
        w.timing,
        w.level,
        w.capacity,
        w.delivery,
    ]
}

/// Room left between an offer's bound and the score it is compared with: the bound adds the
/// same terms as the exact score in another order, so it may differ from it by rounding.
const BOUND_SLACK: f64 = 1e-9;

/// A candidate offer waiting to be scored, with an upper bound of its score; ordered by bound
/// (ties: smaller key first out of a max-heap).
#[derive(Debug, Clone, Copy)]
struct Pending {
    bound: f64,
    /// What the ranking's `resolve` reads the candidate by.
    key: u32,
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bound
            .total_cmp(&other.bound)
            .then(other.key.cmp(&self.key))
    }
}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Pending {}

/// A scored offer; ordered as suggestions are ranked (higher score first, then smaller id), so
/// the top of a max-heap of them is the one ranked last.
#[derive(Debug, Clone, Copy)]
struct Ranked<'a> {
    score: f64,
    target: Uuid,
    parts: OfferParts<'a>,
}

impl Ord for Ranked<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.target.cmp(&other.target))
    }
}

impl PartialOrd for Ranked<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Ranked<'_> {}

/// An upper bound of any candidate offer's score for one need, read from the offer's
/// [`ServeSummary`] and the weight of the need's concepts it teaches: text as BM25 would score
/// every query word the signature may hold at the text's highest term count, every
/// requirement label's words as all found, the relevance gates as passed; geography, timing,
/// capacity, level and delivery are exact (the best run's). `None` exactly when
/// [`Engine::offer_parts`] finds no run that can serve (all past, or on site beyond reach).
struct OfferBounds<'n> {
    need: &'n NeedDoc,
    /// Today and the need's date, as days from the common era.
    today: i32,
    needed_by: Option<i32>,
    /// [`combine_offer`]'s weights, clamped, and their sums.
    relevance_weight: f64,
    logistics_weight: f64,
    /// Per BM25 query word with terms: the [`term_bit`]s of its terms, and its idf times the
    /// highest weight of its terms.
    text_words: Vec<(u64, f64)>,
    text_ideal: f64,
    avg_len: f32,
    weights: [f64; 7],
    /// The need's competence weight, as `offer_parts` sums it.
    total: f64,
    /// Competence credit requirement labels can add at most.
    label_credit: f64,
    wanted_level: Option<u8>,
    /// Geography of an on-site run by municipality id, `None` beyond reach; empty when the
    /// need's municipality is unknown (runs are then judged by code, so none is ruled out).
    reach: Vec<Option<f64>>,
    remote: f64,
}

/// Added to the text bound: it sums in `f64` what BM25 sums in `f32`.
const TEXT_BOUND_SLACK: f64 = 1e-4;

impl OfferBounds<'_> {
    /// At least [`Bm25::score`] of the offer's text.
    fn text_bound(&self, offer: &ServeSummary) -> f64 {
        if self.text_ideal <= 0.0 {
            return 0.0;
        }
        // A word's BM25 term grows with its count: the text's highest count bounds them all.
        let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * offer.len / self.avg_len);
        let tf = offer.max_tf;
        let saturated = f64::from(tf * (BM25_K1 + 1.0) / (tf + norm));
        let sum: f64 = self
            .text_words
            .iter()
            .filter(|(bits, _)| offer.term_bits & bits != 0)
            .map(|(_, weight)| weight * saturated)
            .sum();
        (sum / self.text_ideal + TEXT_BOUND_SLACK).min(1.0)
    }

    /// [`combine_offer`] of an offer's factors, given its logistics as the weighted sum of
    /// their scores (equal up to rounding: sums and quotients are taken in another order).
    fn combine(&self, competence: f64, text: f64, logistics_sum: f64) -> f64 {
        let w = &self.weights;
        let (competence, text) = (competence.clamp(0.0, 1.0).sqrt(), text.clamp(0.0, 1.0));
        let relevance = if self.relevance_weight > 0.0 {
            (w[0] * competence + w[1] * text) / self.relevance_weight
        } else {
            f64::midpoint(competence, text)
        };
        let total = self.relevance_weight + self.logistics_weight;
        if self.logistics_weight <= 0.0 || total <= 0.0 {
            return relevance.clamp(0.0, 1.0);
        }
        let lambda = self.logistics_weight / total;
        let logistics = logistics_sum / self.logistics_weight;
        (relevance * (1.0 - lambda + lambda * logistics)).clamp(0.0, 1.0)
    }

    fn bound(
        &self,
        offer: &ServeSummary,
        concept_weight: f64,
        runs: impl Iterator<Item = RunSummary>,
    ) -> Option<f64> {
        let w = &self.weights;
        let competence = if self.total > 0.0 {
            (concept_weight + self.label_credit) / self.total
        } else {
            0.0
        };
        let fixed = w[4] * Engine::level_fit(self.wanted_level, offer.level)
            + w[6] * Engine::delivery_fit(self.need, offer.delivery);
        let best_run = if offer.run_count == 0 {
            let geography = if offer.delivery == Delivery::Distance {
                self.remote
            } else {
                UNPLACED_GEOGRAPHY
            };
            w[2] * geography + w[3] * UNSCHEDULED_TIMING + w[5] * UNSCHEDULED_CAPACITY
        } else {
            let mut best: Option<f64> = None;
            for run in runs {
                if run.start < self.today {
                    continue;
                }
                let geography = match run.place {
                    RunPlace::Remote => self.remote,
                    RunPlace::Known(id) if !self.reach.is_empty() => {
                        match self.reach.get(id as usize) {
                            Some(Some(g)) => *g,
                            Some(None) => continue,
                            None => 1.0,
                        }
                    }
                    RunPlace::Known(_) | RunPlace::Unknown => 1.0,
                    RunPlace::Unplaced => UNPLACED_GEOGRAPHY,
                };
                let value = w[2] * geography
                    + w[3] * timing_fit_days(self.needed_by, run.start)
                    + w[5] * capacity_fit(run.seats, self.need.headcount);
                best = Some(best.map_or(value, |b: f64| b.max(value)));
            }
            best?
        };
        Some(self.combine(competence, self.text_bound(offer), best_run + fixed))
    }
}

/// An offer's relevance from its factors in [`FACTOR_NAMES`] order: the weighted mean of the
/// square root of the competence factor and the text factor (their plain mean when both weights
/// are 0). The square root lets a course teaching part of what is asked count: a quarter of
/// the competence weight gives 0.5, all of it 1, none 0.
fn relevance_of(scores: &[f64; 7], weights: &[f64; 7]) -> f64 {
    let s = |i: usize| scores.get(i).copied().unwrap_or(0.0).clamp(0.0, 1.0);
    let w = |i: usize| weights.get(i).copied().unwrap_or(0.0).max(0.0);
    let relevance_weight = w(0) + w(1);
    if relevance_weight > 0.0 {
        (w(0) * s(0).sqrt() + w(1) * s(1)) / relevance_weight
    } else {
        f64::midpoint(s(0).sqrt(), s(1))
    }
}

/// An offer's score from its factors in [`FACTOR_NAMES`] order: relevance ([`relevance_of`])
/// times `1 − λ + λ × logistics`, logistics being the weighted mean of the other factors and λ
/// their share of all weights. See [`MatchOptions::min_score`].
fn combine_offer(scores: &[f64; 7], weights: &[f64; 7]) -> f64 {
    let s = |i: usize| scores.get(i).copied().unwrap_or(0.0).clamp(0.0, 1.0);
    let w = |i: usize| weights.get(i).copied().unwrap_or(0.0).max(0.0);
    let relevance_weight = w(0) + w(1);
    let relevance = relevance_of(scores, weights);
    let logistics_weight: f64 = (2..7).map(w).sum();
    let total = relevance_weight + logistics_weight;
    if logistics_weight <= 0.0 || total <= 0.0 {
        return relevance.clamp(0.0, 1.0);
    }
    let logistics = (2..7).map(|i| w(i) * s(i)).sum::<f64>() / logistics_weight;
    let lambda = logistics_weight / total;
    (relevance * (1.0 - lambda + lambda * logistics)).clamp(0.0, 1.0)
}

/// Factor scores and weights in [`FACTOR_NAMES`] order.
fn factor_arrays(factors: &[Factor]) -> ([f64; 7], [f64; 7]) {
    let mut scores = [0.0; 7];
    let mut weights = [0.0; 7];
    for f in factors {
        if let Some(i) = FACTOR_NAMES.iter().position(|n| *n == f.name)
            && let (Some(s), Some(w)) = (scores.get_mut(i), weights.get_mut(i))
        {
            *s = f.score;
            *w = f.weight;
        }
    }
    (scores, weights)
}

/// An offer suggestion's score recomputed from its factors (as [`Suggestion::factors`] lists
/// them): `relevance × (1 − λ + λ × logistics)`, see [`MatchOptions::min_score`].
#[must_use]
pub fn offer_score(factors: &[Factor]) -> f64 {
    let (scores, weights) = factor_arrays(factors);
    combine_offer(&scores, &weights)
}

/// An offer suggestion's relevance from its factors: the weighted mean of √competence and
/// text, see [`MatchOptions::min_score`]. Its score never exceeds it.
#[must_use]
pub fn offer_relevance(factors: &[Factor]) -> f64 {
    let (scores, weights) = factor_arrays(factors);
    relevance_of(&scores, &weights)
}

/// Geography of an on-site run whose place is not given (and of an offer with no run that is
/// not a distance offer): it cannot be ruled out, nor counted as near.
const UNPLACED_GEOGRAPHY: f64 = 0.3;
/// Timing of an offer with no scheduled run.
const UNSCHEDULED_TIMING: f64 = 0.5;
/// Capacity of an offer with no scheduled run.
const UNSCHEDULED_CAPACITY: f64 = 0.6;

/// Whether a run is given remotely: it says so, or it is a distance offer's run without a place.
fn runs_remotely(offer: &OfferDoc, inst: &InstanceDoc) -> bool {
    inst.distance || (offer.delivery == Delivery::Distance && inst.municipality.is_none())
}

/// Geography of a remote run: full when the need prefers distance training.
fn remote_geography(need: &NeedDoc) -> f64 {
    if need.delivery.is_some_and(|d| d.distance) {
        1.0
    } else {
        0.9
    }
}

/// Geography of an on-site run within reach, by how close it is.
const fn proximity_score(p: Proximity) -> f64 {
    match p {
        Proximity::Same => 1.0,
        Proximity::Cluster => 0.8,
        Proximity::Region => 0.6,
        Proximity::Far => 0.1,
    }
}

/// Timing of a run starting on `start`: 1 when it starts by `needed_by`, else 0.8 halving every
/// 30 days late; 0.7 when the need has no date.
fn timing_fit(needed_by: Option<NaiveDate>, start: NaiveDate) -> f64 {
    timing_fit_days(
        needed_by.map(|d| d.num_days_from_ce()),
        start.num_days_from_ce(),
    )
}

/// [`timing_fit`] with dates as days from the common era (as the offers' summaries hold them).
fn timing_fit_days(needed_by: Option<i32>, start: i32) -> f64 {
    match needed_by {
        Some(by) if start <= by => 1.0,
        Some(by) => 0.8 * 0.5f64.powf(f64::from(start - by) / 30.0),
        None => 0.7,
    }
}

/// Capacity of a run: the share of the head count its seats take (0.6 when seats are unknown).
fn capacity_fit(seats: Option<u32>, headcount: u32) -> f64 {
    match seats {
        Some(_) if headcount == 0 => 1.0,
        Some(s) if s >= headcount => 1.0,
        Some(s) => f64::from(s) / f64::from(headcount),
        None => 0.6,
    }
}

/// Weighted mean of the factors (0 when all weights are zero).
fn combine(factors: &[Factor]) -> f64 {
    let total: f64 = factors.iter().map(|f| f.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    (factors
        .iter()
        .map(|f| f.weight * f.score.clamp(0.0, 1.0))
        .sum::<f64>()
        / total)
        .clamp(0.0, 1.0)
}

/// Sorts by score descending then target id ascending, and truncates.
fn rank(out: &mut Vec<Suggestion>, max: usize) {
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.target_id.cmp(&b.target_id))
    });
    out.truncate(max);
}

fn weighted_set(p: &NeedProfile) -> Vec<(Uuid, f64)> {
    let mut v: Vec<(Uuid, f64)> = p
        .must
        .iter()
        .map(|&c| (c, 1.0))
        .chain(p.nice.iter().map(|&c| (c, NICE_WEIGHT)))
        .collect();
    v.sort_by_key(|e| e.0);
    v.dedup_by(|a, b| a.0 == b.0);
    v
}

/// Σ min(w) / Σ max(w) over the union of two sorted weighted sets.
fn weighted_jaccard(a: &[(Uuid, f64)], b: &[(Uuid, f64)]) -> f64 {
    let (mut i, mut j) = (0, 0);
    let (mut num, mut den) = (0.0, 0.0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                num += x.1.min(y.1);
                den += x.1.max(y.1);
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                den += x.1;
                i += 1;
            }
            (Some(_), Some(y)) => {
                den += y.1;
                j += 1;
            }
            (Some(x), None) => {
                den += x.1;
                i += 1;
            }
            (None, Some(y)) => {
                den += y.1;
                j += 1;
            }
            (None, None) => break,
        }
    }
    if den > 0.0 { num / den } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typo_tolerance_grows_with_word_length() {
        assert_eq!(typo_tolerance(4), 0);
        assert_eq!(typo_tolerance(5), 1);
        assert_eq!(typo_tolerance(8), 1);
        assert_eq!(typo_tolerance(9), 2);
    }

    #[test]
    fn fuzzy_lookup_finds_one_edit_and_skips_short_words() {
        let mut lex = Lexicon::default();
        let ids: Vec<u32> = ["svetsning", "travers", "kran", "kram", "tig"]
            .iter()
            .map(|t| lex.intern(t))
            .collect();
        let all = |_: u32| true;
        assert_eq!(lex.fuzzy("svetsing", all), vec![ids[0]]);
        // A transposition is one edit (OSA), also of the first two letters.
        assert_eq!(lex.fuzzy("rtavers", all), vec![ids[1]]);
        assert_eq!(lex.fuzzy("travesr", all), vec![ids[1]]);
        assert!(lex.fuzzy("kram", all).is_empty(), "four letters: no typos");
        assert!(
            lex.fuzzy("travers", all).is_empty(),
            "the word itself is not a variant"
        );
        assert!(lex.fuzzy("svetsing", |_| false).is_empty());
    }

    fn doc(terms: &[(u32, f32)], len: f32) -> TermVec {
        TermVec {
            known: terms.to_vec(),
            unknown: Vec::new(),
            unknown_sq: 0.0,
            len,
        }
    }

    fn word(t: u32, idf: f32) -> QueryWord {
        QueryWord {
            terms: vec![(t, 1.0)],
            idf,
        }
    }

    #[test]
    fn bm25_is_one_for_every_word_once_at_average_length_and_saturates() {
        let q = Bm25 {
            words: vec![word(1, 2.0), word(2, 1.0)],
            ideal: 3.0,
            avg_len: 10.0,
        };
        let both = q.score(&doc(&[(1, 1.0), (2, 1.0)], 10.0));
        assert!((both - 1.0).abs() < 1e-6, "{both}");
        let rare_only = q.score(&doc(&[(1, 1.0)], 10.0));
        let common_only = q.score(&doc(&[(2, 1.0)], 10.0));
        assert!(rare_only > common_only, "idf weighs rare words more");
        assert!((rare_only - 2.0 / 3.0).abs() < 1e-6);
        // Longer documents earn less for the same word; repetition earns more but saturates.
        assert!(q.score(&doc(&[(1, 1.0)], 40.0)) < rare_only);
        let thrice = q.score(&doc(&[(1, 3.0)], 10.0));
        assert!(thrice > rare_only && thrice < rare_only * 2.2);
        assert!((0.0..=1.0).contains(&q.score(&doc(&[(1, 50.0), (2, 50.0)], 1.0))));
    }

    #[test]
    fn one_generic_word_of_a_label_is_no_evidence() {
        // "applying chromatography software": only "software" (common) is in the offer.
        let label = LabelQuery {
            words: vec![
                ("applying".into(), word(1, 2.5)),
                ("chromatography".into(), word(2, 3.5)),
                ("software".into(), word(3, 1.2)),
            ],
            idf_sum: 7.2,
        };
        let offer = doc(&[(3, 2.0), (9, 1.0)], 10.0);
        let (share, found) = label.evidence(&offer);
        assert_eq!(found, vec!["software".to_owned()]);
        assert!(share < LABEL_EVIDENCE);
        assert!(label.share(&offer) <= 0.0);
        let teaching = doc(&[(2, 1.0), (3, 1.0)], 10.0);
        assert!(label.share(&teaching) >= LABEL_EVIDENCE);
    }

    proptest! {
        /// Logistics never lift an offer above its relevance, and more competence or better
        /// logistics never lower its score.
        #[test]
        fn offer_scores_are_relevance_modulated_by_logistics(
            scores in prop::array::uniform7(0.0f64..=1.0),
            weights in prop::array::uniform7(0.0f64..=1.0),
            bump in 0.0f64..=0.5,
            which in 0usize..7,
        ) {
            prop_assume!(weights.iter().sum::<f64>() > 0.0);
            let score = combine_offer(&scores, &weights);
            prop_assert!((0.0..=1.0).contains(&score));
            prop_assert!(score <= relevance_of(&scores, &weights) + 1e-12);
            let mut better = scores;
            better[which] = (better[which] + bump).min(1.0);
            prop_assert!(combine_offer(&better, &weights) + 1e-12 >= score);
            let mut none = scores;
            none[0] = 0.0;
            none[1] = 0.0;
            prop_assert!(combine_offer(&none, &weights) <= 1e-12);
        }
    }
}

/// The bounded ranking against a straightforward one on a catalogue where thousands of offers
/// teach each competence (the scale run's shape), with every kind of run, reach, option and
/// requirement the bound has to get right.
#[cfg(test)]
mod bounded_ranking_tests;
