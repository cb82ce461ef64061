//! The competence taxonomy: concepts and occupations with multilingual labels, resolution of
//! free-text labels to concepts (exact, stemmed, fuzzy), type-ahead search and phrase spotting in
//! free text.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::normalise::{self, fold};
use crate::retrieval::{Evidence as RetrievalEvidence, Retrieval, exact_key, split_alternatives};

/// A label language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Swedish.
    Sv,
    /// Norwegian bokmål.
    Nb,
    /// English.
    En,
}

impl Lang {
    /// Every supported language.
    pub const ALL: [Self; 3] = [Self::Sv, Self::Nb, Self::En];

    /// The ISO 639-1 code (`sv`, `nb`, `en`).
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Sv => "sv",
            Self::Nb => "nb",
            Self::En => "en",
        }
    }
}

/// One label of a concept or occupation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Language of the label.
    pub lang: Lang,
    /// The label text as written.
    pub text: String,
    /// Whether this is the preferred label in its language (otherwise an alternative label).
    pub preferred: bool,
}

/// A competence concept as loaded from the taxonomy source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConceptInput {
    /// Concept id.
    pub id: Uuid,
    /// Labels in any language.
    pub labels: Vec<Label>,
    /// Whether the concept is deprecated.
    pub deprecated: bool,
    /// The concept that replaces a deprecated one.
    pub replaced_by: Option<Uuid>,
    /// Where the concept comes from.
    #[serde(default)]
    pub source: ConceptSource,
}

/// An occupation with its essential and optional competence concepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccupationInput {
    /// Occupation id.
    pub id: Uuid,
    /// Labels in any language.
    pub labels: Vec<Label>,
    /// Essential competence concepts.
    pub essential: Vec<Uuid>,
    /// Optional competence concepts.
    pub optional: Vec<Uuid>,
    /// Where the occupation comes from.
    #[serde(default)]
    pub source: ConceptSource,
}

/// How a text was resolved to a concept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionMethod {
    /// The text equals (after folding or stemming) a preferred label.
    Preferred,
    /// The text equals (after folding or stemming) an alternative label.
    Alternative,
    /// The text and the label share words (stemmed), not all of them.
    Words,
    /// Words matched as parts of compounds ("Metodstatistiker" → "statistiker").
    Compound,
    /// The text is close to a label's words (typos).
    Fuzzy,
    /// The last word typed is the start of a label word (type-ahead).
    Prefix,
}

/// Where a concept comes from: a region's imported taxonomy wins over the starter taxonomy that
/// ships with the product where the two share a label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConceptSource {
    /// Imported from a published taxonomy (ESCO or a regional one).
    #[default]
    Imported,
    /// The starter taxonomy that ships with the product.
    Starter,
}

/// How a search reads its query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// The whole query is a title or label in someone's own words.
    #[default]
    Retrieval,
    /// The last word may be unfinished: completions of it count.
    TypeAhead,
}

/// A concept (or occupation) that a text resolved to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The concept id (the replacement when the matched concept is deprecated).
    pub concept_id: Uuid,
    /// The label that matched.
    pub label: String,
    /// Language of the matched label.
    pub lang: Lang,
    /// Confidence in 0..=1.
    pub confidence: f64,
    /// How it matched.
    pub method: ResolutionMethod,
}

/// A concept label spotted in free text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoundConcept {
    /// The concept id (the replacement when the matched concept is deprecated).
    pub concept_id: Uuid,
    /// Byte offset of the match in the input.
    pub start: usize,
    /// Byte offset one past the match in the input.
    pub end: usize,
    /// The matched slice of the input.
    pub matched_text: String,
    /// Confidence in 0..=1.
    pub confidence: f64,
}

/// Confidence of an exact (folded) match of a preferred label.
const CONF_PREFERRED: f64 = 1.0;
/// Confidence of an exact (folded) match of an alternative label.
const CONF_ALTERNATIVE: f64 = 0.95;
/// Confidence of a match of every word of a label by its stem ("svetsningen" for "svetsning").
const CONF_STEMMED: f64 = 0.9;
/// Retrieval scores (0..=1) are scaled by this, so that partial matches rank below exact and
/// stemmed ones.
const PARTIAL_SCALE: f64 = 0.85;
/// A retrieval score at least this high means every word on both sides matched by its stem.
const FULL_MATCH: f32 = 0.999;
/// Penalty for deprecated concepts without a replacement.
const DEPRECATED_FACTOR: f64 = 0.8;
/// Starter-taxonomy concepts yield to imported ones that share their label.
const STARTER_FACTOR: f64 = 0.97;
/// Longest phrase (in content words) that [`Taxonomy::parse_text`] looks for.
const MAX_PHRASE_TOKENS: usize = 4;
/// A phrase in free text counts as naming a concept at this confidence: in effect every word of
/// a label, as written or inflected.
const MIN_PHRASE_CONFIDENCE: f64 = 0.85;
/// ... or, with typos corrected, at this one (what need requirements accept too).
const MIN_TYPO_PHRASE_CONFIDENCE: f64 = 0.6;
/// [`Taxonomy::resolve`] leaves out weaker candidates (search lists them, ranked).
const MIN_RESOLVE_CONFIDENCE: f64 = 0.5;
/// How much more of a label one mentioned concept must explain than another for the label to
/// name it rather than neither.
const MENTION_MARGIN: f64 = 0.05;
/// [`Taxonomy::leading_concept`] takes a concept this sure ...
const MIN_LEADING_CONFIDENCE: f64 = 0.25;
/// ... that is this many times as sure as the next one ...
const LEADING_RATIO: f64 = 1.15;
/// ... and whose label matches, in some form, at least this share (by rarity) of the label's
/// content words. A guess that leaves most of what is asked unexplained reads one common word
/// and ignores the rest ("machine learning with deep neural networks" is no CNC machining,
/// "programmering av industrirobotar i livsmedelsindustrin" no CNC programming); a need no
/// course teaches should then get none.
const MIN_LEADING_EXPLAINED: f64 = 0.3;
/// First words of a residual class ("Övriga jurister", "Other engineers"), folded.
const RESIDUAL_WORDS: &[&str] = &["ovriga", "ovrig", "ovrigt", "ovrige", "other"];
/// Results of [`Taxonomy::resolve`].
const RESOLVE_LIMIT: usize = 20;
/// Labels retrieved per requested result (several labels of one concept often match).
const LABELS_PER_RESULT: usize = 8;

#[derive(Debug, Clone)]
struct LabelEntry {
    owner: u32,
    text: String,
    lang: Lang,
    preferred: bool,
}

/// Label lookup structures for one kind of owner (concepts or occupations).
#[derive(Debug, Default)]
struct LabelIndex {
    labels: Vec<LabelEntry>,
    owner_ids: Vec<Uuid>,
    /// Owner index -> index of the owner it resolves to (itself unless replaced).
    target: Vec<u32>,
    /// Owner index -> deprecated without a usable replacement.
    dead: Vec<bool>,
    /// Owner index -> from the starter taxonomy.
    starter: Vec<bool>,
    by_id: HashMap<Uuid, u32>,
    /// Owner index -> its labels.
    owner_labels: Vec<Vec<u32>>,
    /// Folded label -> labels.
    exact: HashMap<String, Vec<u32>>,
    /// Ranked retrieval over all labels.
    retrieval: Retrieval,
}

/// One owner (concept or occupation) as the label index sees it.
struct OwnerInput<'a> {
    id: Uuid,
    labels: &'a [Label],
    deprecated: bool,
    replaced_by: Option<Uuid>,
    source: ConceptSource,
}

impl LabelIndex {
    fn build<'a>(owners: impl Iterator<Item = OwnerInput<'a>>) -> Self {
        let mut idx = Self::default();
        let mut replaced: Vec<(Option<Uuid>, bool)> = Vec::new();
        for input in owners {
            let owner = match idx.by_id.get(&input.id) {
                Some(&o) => o,
                None => {
                    let o = u32::try_from(idx.owner_ids.len()).unwrap_or(u32::MAX);
                    idx.owner_ids.push(input.id);
                    idx.by_id.insert(input.id, o);
                    replaced.push((None, false));
                    idx.starter.push(false);
                    o
                }
            };
            if let Some(r) = replaced.get_mut(owner as usize) {
                *r = (input.replaced_by, input.deprecated);
            }
            if let Some(s) = idx.starter.get_mut(owner as usize) {
                *s = input.source == ConceptSource::Starter;
            }
            for label in input.labels {
                if fold(&label.text).is_empty() {
                    continue;
                }
                idx.labels.push(LabelEntry {
                    owner,
                    text: label.text.clone(),
                    lang: label.lang,
                    preferred: label.preferred,
                });
            }
        }
        // Replacement chains (bounded, cycles end at the last hop).
        let n = idx.owner_ids.len();
        idx.target = (0..n)
            .map(|o| u32::try_from(o).unwrap_or(u32::MAX))
            .collect();
        idx.dead = vec![false; n];
        for o in 0..n {
            let mut cur = o;
            let mut hops = 0;
            while let Some((Some(next_id), true)) = replaced.get(cur).copied() {
                match idx.by_id.get(&next_id) {
                    Some(&next) if hops < 8 => {
                        cur = next as usize;
                        hops += 1;
                    }
                    _ => break,
                }
            }
            idx.target[o] = u32::try_from(cur).unwrap_or(u32::MAX);
            idx.dead[o] = replaced.get(cur).is_some_and(|r| r.1);
        }
        idx.owner_labels = vec![Vec::new(); n];
        for (li, label) in idx.labels.iter().enumerate() {
            let li = u32::try_from(li).unwrap_or(u32::MAX);
            if let Some(list) = idx.owner_labels.get_mut(label.owner as usize) {
                list.push(li);
            }
            idx.exact
                .entry(exact_key(&label.text))
                .or_default()
                .push(li);
            // "hovmästare/hovmästarinna" is two labels in one.
            let alternatives = split_alternatives(&label.text);
            if alternatives.len() > 1 {
                for alternative in alternatives {
                    idx.exact
                        .entry(exact_key(alternative))
                        .or_default()
                        .push(li);
                }
            }
        }
        idx.retrieval = Retrieval::build(idx.labels.iter().map(|l| (l.lang, l.text.as_str())));
        idx
    }

    fn owner_count(&self) -> usize {
        self.owner_ids.len()
    }

    fn make(&self, li: u32, confidence: f64, method: ResolutionMethod) -> Option<Resolution> {
        let label = self.labels.get(li as usize)?;
        let owner = label.owner as usize;
        let target = *self.target.get(owner)? as usize;
        let mut confidence = confidence;
        if self.dead.get(owner).copied().unwrap_or(false) {
            confidence *= DEPRECATED_FACTOR;
        }
        Some(Resolution {
            concept_id: *self.owner_ids.get(target)?,
            label: label.text.clone(),
            lang: label.lang,
            confidence: confidence.clamp(0.0, 1.0),
            method,
        })
    }

    /// Method and confidence of a label that equals the text (folded, or every word stemmed).
    fn equal_method(&self, li: u32, base: f64) -> (ResolutionMethod, f64) {
        match self.labels.get(li as usize) {
            Some(l) if l.preferred => (ResolutionMethod::Preferred, base),
            _ => (
                ResolutionMethod::Alternative,
                base * CONF_ALTERNATIVE / CONF_PREFERRED,
            ),
        }
    }

    /// Ranked owners for a text: exact (folded) label matches first, then labels retrieved by
    /// their words. `lang` is the language asked for (others count as weaker evidence).
    fn rank(
        &self,
        text: &str,
        lang: Option<Lang>,
        complete_last: bool,
        limit: usize,
    ) -> Vec<Resolution> {
        self.rank_explained(text, lang, complete_last, limit)
            .into_iter()
            .map(|(r, _)| r)
            .collect()
    }

    /// As [`LabelIndex::rank`], each with the share (by rarity) of the text's content words that
    /// its label explains (1 for an exact match).
    fn rank_explained(
        &self,
        text: &str,
        lang: Option<Lang>,
        complete_last: bool,
        limit: usize,
    ) -> Vec<(Resolution, f64)> {
        if limit == 0 {
            return Vec::new();
        }
        let key = exact_key(text);
        if key.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(Resolution, f64)> = Vec::new();
        let alternatives = split_alternatives(text);
        let keys = std::iter::once(key).chain(
            alternatives
                .iter()
                .filter(|_| alternatives.len() > 1)
                .map(|a| exact_key(a)),
        );
        for list in keys.filter_map(|k| self.exact.get(&k)) {
            for &li in list {
                let (method, conf) = self.equal_method(li, CONF_PREFERRED);
                let conf = if self.lang_matches(li, lang) {
                    conf
                } else {
                    conf * CONF_STEMMED
                };
                found.extend(self.make(li, conf, method).map(|r| (r, 1.0)));
            }
        }
        let hits = self.retrieval.query(
            text,
            lang,
            complete_last,
            limit.saturating_mul(LABELS_PER_RESULT),
        );
        for hit in hits {
            let score = f64::from(hit.score);
            let (method, conf) = match hit.evidence {
                RetrievalEvidence::Words if hit.words >= FULL_MATCH => {
                    self.equal_method(hit.label, CONF_STEMMED)
                }
                RetrievalEvidence::Words => (ResolutionMethod::Words, score * PARTIAL_SCALE),
                RetrievalEvidence::Compound => (ResolutionMethod::Compound, score * PARTIAL_SCALE),
                RetrievalEvidence::Typo => (ResolutionMethod::Fuzzy, score * PARTIAL_SCALE),
                RetrievalEvidence::Prefix => (ResolutionMethod::Prefix, score * PARTIAL_SCALE),
            };
            let explained = f64::from(hit.explained);
            found.extend(self.make(hit.label, conf, method).map(|r| (r, explained)));
        }
        self.rank_and_dedup(found, limit)
    }

    /// Best first, one result per concept. A starter-taxonomy concept ranks as if its
    /// confidence were a little lower (it keeps its real confidence), so an imported concept
    /// with the same label comes first.
    fn rank_and_dedup(
        &self,
        mut found: Vec<(Resolution, f64)>,
        limit: usize,
    ) -> Vec<(Resolution, f64)> {
        let ranking = |r: &Resolution| {
            let starter = self
                .by_id
                .get(&r.concept_id)
                .and_then(|&o| self.starter.get(o as usize))
                .copied()
                .unwrap_or(false);
            if starter {
                r.confidence * STARTER_FACTOR
            } else {
                r.confidence
            }
        };
        // Among equals: on a partial match a residual class ("Övriga jurister") goes first,
        // being where a kind of jurist that no label names belongs; on an exact one the
        // owner with more names (a described occupation rather than a bare heading) does.
        let tie_breaks = |r: &Resolution| {
            let exact = matches!(
                r.method,
                ResolutionMethod::Preferred | ResolutionMethod::Alternative
            );
            if exact {
                let names = self
                    .by_id
                    .get(&r.concept_id)
                    .and_then(|&o| self.owner_labels.get(o as usize))
                    .map_or(0, Vec::len);
                (false, names)
            } else {
                let residual = fold(&r.label)
                    .split_whitespace()
                    .next()
                    .is_some_and(|w| RESIDUAL_WORDS.contains(&w));
                (residual, 0)
            }
        };
        // Ties are rare: their keys are worked out only when two results tie.
        found.sort_by(|(a, _), (b, _)| {
            ranking(b)
                .total_cmp(&ranking(a))
                .then(a.method.cmp(&b.method))
                .then_with(|| tie_breaks(b).cmp(&tie_breaks(a)))
                .then(a.concept_id.cmp(&b.concept_id))
                .then(a.label.cmp(&b.label))
        });
        let mut seen = std::collections::HashSet::new();
        found.retain(|(r, _)| seen.insert(r.concept_id));
        found.truncate(limit);
        found
    }

    fn lang_matches(&self, li: u32, lang: Option<Lang>) -> bool {
        lang.is_none_or(|l| self.labels.get(li as usize).is_some_and(|e| e.lang == l))
    }

    /// Best label of an owner in `lang`: preferred in lang, preferred in English, any preferred,
    /// any label.
    fn label_of(&self, owner: u32, lang: Lang) -> Option<&str> {
        let labels = self
            .owner_labels
            .get(owner as usize)
            .into_iter()
            .flatten()
            .filter_map(|&li| self.labels.get(li as usize));
        let mut best: Option<(u8, &LabelEntry)> = None;
        for l in labels {
            let rank = match (l.preferred, l.lang == lang, l.lang == Lang::En) {
                (true, true, _) => 0,
                (true, false, true) => 1,
                (true, false, false) => 2,
                (false, true, _) => 3,
                _ => 4,
            };
            if best.is_none_or(|(r, _)| rank < r) {
                best = Some((rank, l));
            }
        }
        best.map(|(_, l)| l.text.as_str())
    }
}

/// The competence taxonomy with its lookup indexes. Build once, share behind an `Arc`.
#[derive(Debug, Default)]
pub struct Taxonomy {
    concepts: LabelIndex,
    occupations: LabelIndex,
    occupation_docs: Vec<OccupationInput>,
    occupation_by_id: HashMap<Uuid, usize>,
    /// Per-concept label cache for explanations: concept id -> owner index.
    concept_deprecated: Vec<bool>,
    /// Best resolutions already computed (the taxonomy never changes once built): a need's
    /// labels are resolved when it is indexed and again for each kind of suggestion, and many
    /// needs share labels.
    best_memo: ResolutionMemo,
}

/// A bounded memo of label -> best resolution (cleared when full).
#[derive(Debug, Default)]
struct ResolutionMemo(std::sync::Mutex<HashMap<(MemoKind, String), Option<Resolution>>>);

/// What a memoised answer was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum MemoKind {
    Concept,
    Occupation,
    Mentioned,
    Leading,
}

impl ResolutionMemo {
    const CAPACITY: usize = 20_000;

    fn get_or(
        &self,
        kind: MemoKind,
        text: &str,
        compute: impl FnOnce() -> Option<Resolution>,
    ) -> Option<Resolution> {
        let key = (kind, text.to_owned());
        if let Ok(memo) = self.0.lock()
            && let Some(found) = memo.get(&key)
        {
            return found.clone();
        }
        let found = compute();
        if let Ok(mut memo) = self.0.lock() {
            if memo.len() >= Self::CAPACITY {
                memo.clear();
            }
            memo.insert(key, found.clone());
        }
        found
    }
}

impl Taxonomy {
    /// Builds the taxonomy and its indexes.
    #[must_use]
    pub fn build(concepts: Vec<ConceptInput>, occupations: Vec<OccupationInput>) -> Self {
        let concept_index = LabelIndex::build(concepts.iter().map(|c| OwnerInput {
            id: c.id,
            labels: &c.labels,
            deprecated: c.deprecated,
            replaced_by: c.replaced_by,
            source: c.source,
        }));
        let occupation_index = LabelIndex::build(occupations.iter().map(|o| OwnerInput {
            id: o.id,
            labels: &o.labels,
            deprecated: false,
            replaced_by: None,
            source: o.source,
        }));
        let mut concept_deprecated = vec![false; concept_index.owner_count()];
        for c in &concepts {
            if let Some(&o) = concept_index.by_id.get(&c.id)
                && let Some(d) = concept_deprecated.get_mut(o as usize)
            {
                *d = c.deprecated;
            }
        }
        let mut occupation_docs: Vec<OccupationInput> = Vec::with_capacity(occupations.len());
        let mut occupation_by_id = HashMap::new();
        for o in occupations {
            if let Some(&i) = occupation_by_id.get(&o.id) {
                if let Some(slot) = occupation_docs.get_mut(i) {
                    *slot = o;
                }
            } else {
                occupation_by_id.insert(o.id, occupation_docs.len());
                occupation_docs.push(o);
            }
        }
        Self {
            concepts: concept_index,
            occupations: occupation_index,
            occupation_docs,
            occupation_by_id,
            concept_deprecated,
            best_memo: ResolutionMemo::default(),
        }
    }

    /// Resolves a label to concepts, best first: exact (folded) labels, labels equal word by word
    /// after stemming, then labels retrieved by shared words, compound parts and typo-corrected
    /// words, each with a confidence. Empty when nothing is plausible. Deprecated concepts
    /// resolve to their replacement when it is known. Every language counts alike.
    #[must_use]
    pub fn resolve(&self, text: &str) -> Vec<Resolution> {
        self.resolve_in(text, None)
    }

    /// As [`Taxonomy::resolve`], with `lang` first and other languages as weaker evidence.
    #[must_use]
    pub fn resolve_in(&self, text: &str, lang: Option<Lang>) -> Vec<Resolution> {
        let mut found = self.concepts.rank(text, lang, false, RESOLVE_LIMIT);
        found.retain(|r| r.confidence >= MIN_RESOLVE_CONFIDENCE);
        found
    }

    /// The best resolution of a label, if any.
    #[must_use]
    pub fn resolve_best(&self, text: &str) -> Option<Resolution> {
        self.best_memo.get_or(MemoKind::Concept, text, || {
            self.resolve(text).into_iter().next()
        })
    }

    /// The one concept a longer label mentions among other words ("tank-ADR för chaufförer",
    /// "drift av servrar i molnet"), found as [`Taxonomy::parse_text`] finds concepts in free
    /// text. A label that mentions two different concepts names neither.
    #[must_use]
    pub fn mentioned_concept(&self, label: &str) -> Option<Resolution> {
        self.best_memo.get_or(MemoKind::Mentioned, label, || {
            let found = self.parse_text(label);
            let first = found.first()?;
            let named = if found.iter().any(|f| f.concept_id != first.concept_id) {
                self.dominant_mention(label, &found)?
            } else {
                first
            };
            let resolution = self.resolve_best(&named.matched_text)?;
            (resolution.concept_id == named.concept_id).then_some(Resolution {
                confidence: named.confidence,
                ..resolution
            })
        })
    }

    /// Of several concepts a label mentions, the one whose labels explain clearly more of the
    /// whole label than any other's: "programmera i Python" is about Python (a label "Programmering
    /// i Python" covers both words), "truckkort och TIG-svetsning" about neither.
    fn dominant_mention<'a>(
        &self,
        label: &str,
        found: &'a [FoundConcept],
    ) -> Option<&'a FoundConcept> {
        let whole = self.concepts.rank(label, None, false, RESOLVE_LIMIT * 2);
        let explained = |f: &FoundConcept| {
            whole
                .iter()
                .find(|r| r.concept_id == f.concept_id)
                .map_or(0.0, |r| r.confidence)
        };
        let best = found
            .iter()
            .max_by(|a, b| explained(a).total_cmp(&explained(b)))?;
        let runner_up = found
            .iter()
            .filter(|f| f.concept_id != best.concept_id)
            .map(explained)
            .fold(0.0, f64::max);
        let listed = found
            .iter()
            .filter(|f| f.concept_id != best.concept_id)
            .any(|f| {
                let (a, b) = if f.start < best.start {
                    (f, best)
                } else {
                    (best, f)
                };
                label.get(a.end..b.start).is_some_and(only_joins)
            });
        (!listed && explained(best) - runner_up >= MENTION_MARGIN).then_some(best)
    }

    /// The concept a label in someone's own words most likely asks for when no label matches it
    /// well: words of theirs that no label has ("murare till nybygge") keep every confidence
    /// low, but when one concept explains clearly more of the label than any other, it is the
    /// one meant. `None` when the best is weak, has a close rival or leaves most of the label's
    /// words unexplained.
    #[must_use]
    pub fn leading_concept(&self, label: &str) -> Option<Resolution> {
        self.best_memo.get_or(MemoKind::Leading, label, || {
            let ranked = self.concepts.rank_explained(label, None, false, 2);
            let (best, explained) = ranked.first()?;
            let runner_up = ranked.get(1).map_or(0.0, |(r, _)| r.confidence);
            // Shared letters alone ("hovslagning", "matlagning") are no reading of the words.
            (best.method != ResolutionMethod::Fuzzy
                && best.confidence >= MIN_LEADING_CONFIDENCE
                && *explained >= MIN_LEADING_EXPLAINED
                && best.confidence >= LEADING_RATIO * runner_up)
                .then(|| best.clone())
        })
    }

    /// Type-ahead search: as [`Taxonomy::resolve`], with the last word possibly unfinished. At
    /// most `limit` results, one per concept.
    #[must_use]
    pub fn search(&self, query: &str, limit: usize) -> Vec<Resolution> {
        self.concepts.rank(query, None, true, limit)
    }

    /// Search in one mode, `lang` first.
    #[must_use]
    pub fn search_in(
        &self,
        query: &str,
        lang: Option<Lang>,
        mode: SearchMode,
        limit: usize,
    ) -> Vec<Resolution> {
        self.concepts
            .rank(query, lang, mode == SearchMode::TypeAhead, limit)
    }

    /// Resolves a text to an occupation (`concept_id` is the occupation id).
    #[must_use]
    pub fn resolve_occupation(&self, text: &str) -> Option<Resolution> {
        self.best_memo.get_or(MemoKind::Occupation, text, || {
            self.occupations
                .rank(text, None, false, 1)
                .into_iter()
                .next()
                .filter(|r| r.confidence >= MIN_RESOLVE_CONFIDENCE)
        })
    }

    /// Type-ahead search over occupations.
    #[must_use]
    pub fn search_occupations(&self, query: &str, limit: usize) -> Vec<Resolution> {
        self.occupations.rank(query, None, true, limit)
    }

    /// Occupation search in one mode, `lang` first.
    #[must_use]
    pub fn search_occupations_in(
        &self,
        query: &str,
        lang: Option<Lang>,
        mode: SearchMode,
        limit: usize,
    ) -> Vec<Resolution> {
        self.occupations
            .rank(query, lang, mode == SearchMode::TypeAhead, limit)
    }

    /// Finds concepts named in free text such as a job ad: phrases of one to four content words
    /// that the resolver maps to a concept with high confidence (exactly, by stems, compound
    /// parts or corrected typos). Matches do not overlap; at each position the longest wins.
    #[must_use]
    pub fn parse_text(&self, text: &str) -> Vec<FoundConcept> {
        let content: Vec<normalise::Token> = normalise::tokens(text)
            .into_iter()
            .filter(|t| !t.stop && !t.folded.is_empty())
            .collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < content.len() {
            let mut matched = None;
            for len in (1..=MAX_PHRASE_TOKENS.min(content.len() - i)).rev() {
                let start = content[i].start;
                let end = content[i + len - 1].end;
                let span = phrase_end(text, end);
                let window = &text[start..span];
                if len == 1 && content[i].folded.len() < 2 && !window.contains(['+', '#']) {
                    // Single letters ("C", "R") are too ambiguous in free text.
                    continue;
                }
                let best = self
                    .concepts
                    .rank(window, None, false, 1)
                    .into_iter()
                    .next()
                    .filter(|r| {
                        r.confidence
                            >= if r.method == ResolutionMethod::Fuzzy {
                                MIN_TYPO_PHRASE_CONFIDENCE
                            } else {
                                MIN_PHRASE_CONFIDENCE
                            }
                    });
                if let Some(r) = best {
                    matched = Some((len, span, r));
                    break;
                }
            }
            match matched {
                Some((len, end, r)) => {
                    let start = content[i].start;
                    out.push(FoundConcept {
                        concept_id: r.concept_id,
                        start,
                        end,
                        matched_text: text[start..end].to_owned(),
                        confidence: r.confidence,
                    });
                    i += len;
                }
                None => i += 1,
            }
        }
        out
    }

    /// An occupation by id.
    #[must_use]
    pub fn occupation(&self, id: Uuid) -> Option<&OccupationInput> {
        self.occupation_by_id
            .get(&id)
            .and_then(|&i| self.occupation_docs.get(i))
    }

    /// Number of concepts (including deprecated ones).
    #[must_use]
    pub fn concept_count(&self) -> usize {
        self.concepts.owner_count()
    }

    /// Number of occupations.
    #[must_use]
    pub fn occupation_count(&self) -> usize {
        self.occupation_docs.len()
    }

    /// Whether the concept id is known.
    #[must_use]
    pub fn contains_concept(&self, id: Uuid) -> bool {
        self.concepts.by_id.contains_key(&id)
    }

    /// Whether a known concept is deprecated.
    #[must_use]
    pub fn is_deprecated(&self, id: Uuid) -> bool {
        self.concepts
            .by_id
            .get(&id)
            .and_then(|&o| self.concept_deprecated.get(o as usize))
            .copied()
            .unwrap_or(false)
    }

    /// The id a concept resolves to: its replacement (followed through chains) when deprecated
    /// and replaced, otherwise itself. Unknown ids are returned unchanged.
    #[must_use]
    pub fn canonical(&self, id: Uuid) -> Uuid {
        self.concepts
            .by_id
            .get(&id)
            .and_then(|&o| self.concepts.target.get(o as usize))
            .and_then(|&t| self.concepts.owner_ids.get(t as usize))
            .copied()
            .unwrap_or(id)
    }

    /// Display label of a concept: the preferred label in `lang`, else in English, else any.
    #[must_use]
    pub fn concept_label(&self, id: Uuid, lang: Lang) -> Option<&str> {
        let &o = self.concepts.by_id.get(&id)?;
        self.concepts.label_of(o, lang)
    }

    /// Display label of an occupation: the preferred label in `lang`, else in English, else any.
    #[must_use]
    pub fn occupation_label(&self, id: Uuid, lang: Lang) -> Option<&str> {
        let &o = self.occupations.by_id.get(&id)?;
        self.occupations.label_of(o, lang)
    }
}

/// Words that join the items of a list: concepts listed side by side are asked for alike.
const LIST_JOINS: &[&str] = &["och", "og", "and", "samt", "eller", "or"];

/// Whether the text between two mentions only joins them as items of a list ("X och Y", "X, Y").
fn only_joins(between: &str) -> bool {
    let words: Vec<&str> = between
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    (words.is_empty() && between.contains(','))
        || (words.len() == 1
            && words
                .iter()
                .all(|w| *w == "&" || LIST_JOINS.contains(&fold(w).as_str())))
}

/// Extends a phrase's end over a trailing symbol suffix ("C++", "C#") that the word tokenizer
/// leaves out.
fn phrase_end(text: &str, end: usize) -> usize {
    let rest = &text[end..];
    let extra = rest
        .char_indices()
        .take_while(|(_, c)| *c == '+' || *c == '#')
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    end + extra
}
