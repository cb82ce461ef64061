//! Inverted indexes over offers, open needs and contacts, and explained, deterministic scoring.
//!
//! Every document gets a dense internal id (`u32`, reused after removal). Posting lists map a
//! concept id or an interned stemmed term to the sorted dense ids of the documents that carry
//! it; candidates for a query are the union of a few posting lists, never a scan of all
//! documents. Scores are `Σ weight·factor / Σ weight` over factors in 0..=1.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::fx::FxMap;
use crate::geography::{Geography, Proximity};
use crate::normalise::{detect_lang, index_term, index_terms, word_spans};
use crate::taxonomy::{Lang, Taxonomy};

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
    pub min_score: f64,
    /// At most this many suggestions (default 10).
    pub max_results: usize,
    /// The current date; instances starting before it are ignored.
    pub today: NaiveDate,
}

impl MatchOptions {
    /// Default weights, `min_score` 0.35, `max_results` 10.
    #[must_use]
    pub fn new(today: NaiveDate) -> Self {
        Self {
            weights: Weights::default(),
            min_score: 0.35,
            max_results: 10,
            today,
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
    /// Short English sentences.
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
const UNRESOLVED_CREDIT: f64 = 0.6;
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

fn insert_sorted(list: &mut Vec<u32>, id: u32) {
    // Fast path: new dense ids are usually the largest (bulk loads append).
    if list.last().is_none_or(|&last| last < id) {
        list.push(id);
        return;
    }
    if let Err(pos) = list.binary_search(&id) {
        list.insert(pos, id);
    }
}

fn remove_sorted(list: &mut Vec<u32>, id: u32) {
    if let Ok(pos) = list.binary_search(&id) {
        list.remove(pos);
    }
}

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
        id
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

/// A bag of terms: known term ids with log-tf weights (sorted by id) and the squared weight of
/// terms not in the vocabulary (they cannot match but still count in the norm).
#[derive(Debug, Clone, Default)]
struct TermVec {
    known: Vec<(u32, f32)>,
    unknown_sq: f32,
}

fn log_tf(c: u32) -> f32 {
    1.0 + (c as f32).ln()
}

impl TermVec {
    fn build(mut ids: Vec<u32>, unknown: &[String]) -> Self {
        ids.sort_unstable();
        let mut known: Vec<(u32, f32)> = Vec::with_capacity(ids.len());
        let mut i = 0;
        while i < ids.len() {
            let mut j = i + 1;
            while j < ids.len() && ids[j] == ids[i] {
                j += 1;
            }
            known.push((ids[i], log_tf(as_u32(j - i))));
            i = j;
        }
        let mut unknown: Vec<&String> = unknown.iter().collect();
        unknown.sort_unstable();
        let mut unknown_sq = 0.0;
        let mut i = 0;
        while i < unknown.len() {
            let mut j = i + 1;
            while j < unknown.len() && unknown[j] == unknown[i] {
                j += 1;
            }
            let w = log_tf(as_u32(j - i));
            unknown_sq += w * w;
            i = j;
        }
        Self { known, unknown_sq }
    }

    fn contains(&self, id: u32) -> bool {
        self.known.binary_search_by_key(&id, |e| e.0).is_ok()
    }
}

/// Dense-id slots for one kind of document.
#[derive(Debug)]
struct Slots<T> {
    items: Vec<Option<T>>,
    by_id: HashMap<Uuid, u32>,
    free: Vec<u32>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            by_id: HashMap::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slots<T> {
    fn get(&self, slot: u32) -> Option<&T> {
        self.items.get(slot as usize).and_then(Option::as_ref)
    }

    fn len(&self) -> usize {
        self.by_id.len()
    }

    fn insert(&mut self, id: Uuid, item: T) -> u32 {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.items.push(None);
                as_u32(self.items.len() - 1)
            }
        };
        if let Some(cell) = self.items.get_mut(slot as usize) {
            *cell = Some(item);
        }
        self.by_id.insert(id, slot);
        slot
    }

    fn take(&mut self, id: Uuid) -> Option<(u32, T)> {
        let slot = self.by_id.remove(&id)?;
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
}

impl Postings {
    fn add(&mut self, slot: u32, concepts: &[Uuid], terms: &TermVec) {
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
    fn weighted_candidates(
        &self,
        concepts: &[(Uuid, f64)],
        terms: &[u32],
        total_docs: usize,
    ) -> Vec<(u32, f64)> {
        let mut hits: Vec<(u32, f64)> = Vec::new();
        for (c, w) in concepts {
            hits.extend(self.concept(c).iter().map(|&s| (s, *w)));
        }
        for t in self.retrieval_terms(terms, total_docs, !concepts.is_empty()) {
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
            .map(|&(t, w)| (t, w * idf(postings.df(t), n)))
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
        for &(t, w) in &doc.known {
            let i = idf(postings.df(t), n);
            let dw = w * i;
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

/// A requirement label that did not resolve to a concept.
#[derive(Debug, Clone)]
struct Unresolved {
    label: String,
    must: bool,
    /// Stemmed terms of the label (None: not in the vocabulary).
    terms: Vec<Option<u32>>,
}

/// Everything about a need that scoring uses, computed once per need.
#[derive(Debug, Clone)]
struct NeedProfile {
    /// Must-have concepts in requirement order (then occupation-essential), deduplicated.
    must: Vec<Uuid>,
    /// Nice-to-have concepts not already must-have.
    nice: Vec<Uuid>,
    unresolved: Vec<Unresolved>,
    via_occupation: Option<Uuid>,
    terms: TermVec,
    /// Language for labels in explanations.
    lang: Lang,
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
    offer_postings: Postings,
    needs: Slots<NeedEntry>,
    need_postings: Postings,
    /// Must-have (incl. occupation-essential) concept -> needs, for demand.
    need_must: FxMap<Uuid, Vec<u32>>,
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
            offer_postings: Postings::default(),
            needs: Slots::default(),
            need_postings: Postings::default(),
            need_must: FxMap::default(),
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
        let slot = self.offers.insert(id, entry);
        self.offer_postings.add(slot, &concepts, &terms);
    }

    /// Removes an offer (no-op when unknown).
    pub fn remove_offer(&mut self, id: Uuid) {
        if let Some((slot, entry)) = self.offers.take(id) {
            self.offer_postings
                .remove(slot, &entry.concepts, &entry.terms);
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
        }
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
        let lang = detect_lang(&all_text).unwrap_or(Lang::Sv);
        let explain_lang = detect_lang(&all_text).unwrap_or(Lang::En);
        let terms = Lexicon::bag(lex, &all_text, lang);
        let unresolved = unresolved_raw
            .into_iter()
            .map(|(label, must)| {
                let terms = index_terms(&label, lang)
                    .iter()
                    .map(|t| match lex {
                        LexRef::Intern(l) => Some(l.intern(t)),
                        LexRef::Lookup(l) => l.ids.get(t).copied(),
                    })
                    .collect();
                Unresolved { label, must, terms }
            })
            .collect();
        let wanted_level = need
            .wanted_level
            .or_else(|| need.requirements.iter().filter_map(|r| r.level).max());
        NeedProfile {
            must,
            nice,
            unresolved,
            via_occupation,
            terms,
            lang: explain_lang,
            label_hint,
            wanted_level,
            muni: self.geography.id_of(&need.municipality),
        }
    }

    fn concept_name(&self, c: Uuid, profile: &NeedProfile) -> String {
        self.taxonomy
            .concept_label(c, profile.lang)
            .map(str::to_owned)
            .or_else(|| profile.label_hint.get(&c).cloned())
            .unwrap_or_else(|| c.to_string())
    }

    fn list_names(&self, ids: &[Uuid], profile: &NeedProfile) -> String {
        let mut names: Vec<String> = ids
            .iter()
            .take(MAX_LISTED)
            .map(|&c| self.concept_name(c, profile))
            .collect();
        if ids.len() > MAX_LISTED {
            names.push(format!("and {} more", ids.len() - MAX_LISTED));
        }
        names.join(", ")
    }

    // -----------------------------------------------------------------------------------------
    // Offer scoring
    // -----------------------------------------------------------------------------------------

    fn geography_of_instance(
        &self,
        need: &NeedDoc,
        need_muni: Option<u32>,
        inst: &InstanceDoc,
        inst_muni: Option<u32>,
        offer: &OfferDoc,
    ) -> (f64, Option<Proximity>) {
        let prefers_distance = need.delivery.is_some_and(|d| d.distance);
        if inst.distance || (offer.delivery == Delivery::Distance && inst.municipality.is_none()) {
            return (if prefers_distance { 1.0 } else { 0.9 }, None);
        }
        match &inst.municipality {
            Some(m) => {
                let p = match (need_muni, inst_muni) {
                    (Some(a), Some(b)) => self.geography.proximity_ids(a, b),
                    _ => self.geography.proximity(&need.municipality, m),
                };
                let s = match p {
                    Proximity::Same => 1.0,
                    Proximity::Cluster => 0.8,
                    Proximity::Region => 0.6,
                    Proximity::Far => 0.1,
                };
                (s, Some(p))
            }
            None => (0.3, None),
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
            let distance = offer.delivery == Delivery::Distance;
            let prefers_distance = need.delivery.is_some_and(|d| d.distance);
            let geography = if distance {
                if prefers_distance { 1.0 } else { 0.9 }
            } else {
                0.3
            };
            return Some(InstanceFit {
                instance: None,
                geography,
                proximity: None,
                timing: 0.5,
                capacity: 0.6,
            });
        }
        let mut best: Option<(f64, InstanceFit<'a>)> = None;
        for (i, inst) in offer.instances.iter().enumerate() {
            if inst.start < opts.today {
                continue;
            }
            let inst_muni = entry.instance_munis.get(i).copied().flatten();
            let (geography, proximity) =
                self.geography_of_instance(need, need_muni, inst, inst_muni, offer);
            let timing = match need.needed_by {
                Some(by) if inst.start <= by => 1.0,
                Some(by) => {
                    let late = (inst.start - by).num_days() as f64;
                    0.8 * 0.5f64.powf(late / 30.0)
                }
                None => 0.7,
            };
            let capacity = match inst.seats {
                Some(_) if need.headcount == 0 => 1.0,
                Some(s) if s >= need.headcount => 1.0,
                Some(s) => f64::from(s) / f64::from(need.headcount),
                None => 0.6,
            };
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

    fn delivery_fit(need: &NeedDoc, offer: &OfferDoc) -> f64 {
        let Some(pref) = need.delivery.filter(|p| p.on_site || p.distance) else {
            return 1.0;
        };
        match offer.delivery {
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
    /// offer cannot serve (all instances past) or is not relevant: it shows no evidence for any
    /// must-have, or earns less than [`MIN_RELEVANCE`] of the competence credit it could.
    fn offer_parts<'a>(
        &self,
        need: &NeedDoc,
        profile: &NeedProfile,
        offer: &'a OfferEntry,
        concept_weight: Option<f64>,
        opts: &MatchOptions,
    ) -> Option<OfferParts<'a>> {
        let fit = self.best_instance(need, profile.muni, offer, opts)?;
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
        for u in &profile.unresolved {
            let weight = if u.must { 1.0 } else { NICE_WEIGHT };
            total += weight;
            attainable += weight * UNRESOLVED_CREDIT;
            any_must |= u.must;
            if !u.terms.is_empty() {
                let hits = u
                    .terms
                    .iter()
                    .filter(|t| t.is_some_and(|t| offer.terms.contains(t)))
                    .count();
                got += weight * UNRESOLVED_CREDIT * hits as f64 / u.terms.len() as f64;
                must_evidence |= u.must && hits > 0;
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
        let competence = if total > 0.0 { got / total } else { 0.0 };
        let w = &opts.weights;
        let scores = [
            competence,
            0.0,
            fit.geography,
            fit.timing,
            Self::level_fit(profile.wanted_level, offer.doc.level),
            fit.capacity,
            Self::delivery_fit(need, &offer.doc),
        ];
        let weights = [
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
        ];
        Some(OfferParts {
            offer,
            fit,
            scores,
            weights,
        })
    }

    /// Scores candidate offers for a need and returns the explained top `opts.max_results`.
    ///
    /// Two passes keep this cheap: every candidate gets the factors that need no text
    /// similarity; the text factor (a cosine over idf-weighted terms, the costly part) is then
    /// computed only for candidates whose upper bound (text = 1) can still reach the current
    /// top-k lower bound and `min_score`. Explanations are built for the final top-k only.
    #[expect(
        clippy::too_many_arguments,
        reason = "internal; the callers differ only in these inputs"
    )]
    fn rank_offers<'a>(
        &self,
        need: &NeedDoc,
        profile: &NeedProfile,
        query: &Query,
        candidates: impl Iterator<Item = (&'a OfferEntry, Uuid, Option<f64>)>,
        postings: &Postings,
        n_docs: usize,
        opts: &MatchOptions,
        kind: SuggestionKind,
    ) -> Vec<Suggestion> {
        let k = opts.max_results;
        if k == 0 {
            return Vec::new();
        }
        let mut parts: Vec<(OfferParts<'a>, Uuid, f64, f64)> = Vec::new();
        for (offer, target, concept_weight) in candidates {
            if let Some(p) = self.offer_parts(need, profile, offer, concept_weight, opts) {
                let lower = combine_arrays(&p.scores, &p.weights);
                let mut with_text = p.scores;
                with_text[1] = 1.0;
                let upper = combine_arrays(&with_text, &p.weights);
                parts.push((p, target, lower, upper));
            }
        }
        // k-th best lower bound among candidates that cannot be dropped by the text gate.
        let mut safe_lower: Vec<f64> = parts
            .iter()
            .filter(|p| p.0.scores[0] > 0.0)
            .map(|p| p.2)
            .collect();
        let mut threshold = opts.min_score;
        if safe_lower.len() >= k {
            let (_, kth, _) = safe_lower.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
            threshold = threshold.max(*kth);
        }
        let mut scored: Vec<(f64, Uuid, OfferParts<'a>)> = Vec::new();
        for (mut p, target, _, upper) in parts {
            if upper + 1e-12 < threshold {
                continue;
            }
            let text = query.cosine(&p.offer.terms, postings, n_docs);
            if p.scores[0] <= 0.0 && text < MIN_TEXT_ONLY {
                continue;
            }
            p.scores[1] = text;
            let score = combine_arrays(&p.scores, &p.weights);
            if score >= opts.min_score {
                scored.push((score, target, p));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(k);
        scored
            .into_iter()
            .map(|(score, target, p)| self.explain_offer(need, profile, &p, score, kind, target))
            .collect()
    }

    /// Builds factors, evidence and the explanation of a scored offer.
    fn explain_offer(
        &self,
        need: &NeedDoc,
        profile: &NeedProfile,
        p: &OfferParts<'_>,
        score: f64,
        kind: SuggestionKind,
        target_id: Uuid,
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
        let text_hits: Vec<&str> = profile
            .unresolved
            .iter()
            .filter(|u| {
                u.terms
                    .iter()
                    .any(|t| t.is_some_and(|t| offer.terms.contains(t)))
            })
            .map(|u| u.label.as_str())
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

        let mut parts: Vec<String> = Vec::new();
        if let Some(occ) = profile.via_occupation {
            let name = self
                .taxonomy
                .occupation_label(occ, profile.lang)
                .unwrap_or("the occupation");
            parts.push(format!(
                "matched on the occupation's essential competences ({name})"
            ));
        }
        if !profile.must.is_empty() {
            let mut s = format!(
                "teaches {} of {} must-have competences",
                covered_must.len(),
                profile.must.len()
            );
            if !covered_must.is_empty() {
                let _ = write!(s, ": {}", self.list_names(&covered_must, profile));
            }
            parts.push(s);
            if !missing_must.is_empty() {
                parts.push(format!(
                    "missing: {}",
                    self.list_names(&missing_must, profile)
                ));
            }
        }
        if !covered_nice.is_empty() {
            parts.push(format!(
                "also covers {} of {} nice-to-have: {}",
                covered_nice.len(),
                profile.nice.len(),
                self.list_names(&covered_nice, profile)
            ));
        }
        if !text_hits.is_empty() {
            parts.push(format!("description mentions {}", text_hits.join(", ")));
        }
        if !profile.has_requirements() {
            parts.push("no competence requirements given; matched on text".into());
        }
        match fit.instance {
            Some(inst)
                if inst.distance
                    || offer.doc.delivery == Delivery::Distance && inst.municipality.is_none() =>
            {
                parts.push("distance course".into());
            }
            Some(inst) => {
                let place = inst.municipality.as_deref().unwrap_or("an unknown place");
                parts.push(match fit.proximity {
                    Some(Proximity::Same) => format!("on site in {place}, the same municipality"),
                    Some(Proximity::Cluster) => format!("on site in {place}, in the same cluster"),
                    Some(Proximity::Region) => format!("on site in {place}, in the same region"),
                    _ => format!("on site in {place}, outside the region"),
                });
            }
            None => parts.push("no scheduled start yet".into()),
        }
        if let Some(inst) = fit.instance {
            parts.push(match need.needed_by {
                Some(by) if inst.start <= by => {
                    format!("starts {}, before the needed-by date {by}", inst.start)
                }
                Some(by) => format!(
                    "starts {}, {} days after the needed-by date {by}",
                    inst.start,
                    (inst.start - by).num_days()
                ),
                None => format!("starts {}", inst.start),
            });
            match inst.seats {
                Some(s) => parts.push(format!("{s} seats for {} people", need.headcount)),
                None => parts.push("seats unknown".into()),
            }
        }
        if let (Some(wanted), Some(l)) = (profile.wanted_level, offer.doc.level) {
            parts.push(if wanted == l {
                format!("level {l} as wanted")
            } else {
                format!("level {l}, wanted {wanted}")
            });
        }

        Suggestion {
            kind,
            target_id,
            score,
            factors,
            explanation: parts.join("; "),
            evidence: Evidence {
                covered_must,
                missing_must,
                covered_nice,
                unresolved_labels: profile.unresolved.iter().map(|u| u.label.clone()).collect(),
                via_occupation: profile.via_occupation,
                starts_on: fit.instance.map(|i| i.start),
                municipality: fit.instance.and_then(|i| i.municipality.clone()),
            },
        }
    }

    /// Ranked, explained training offers for a need.
    #[must_use]
    pub fn suggest_offers(&self, need: &NeedDoc, opts: &MatchOptions) -> Vec<Suggestion> {
        let profile = self.profile(need, &mut LexRef::Lookup(&self.lexicon));
        let n = self.offers.len();
        let query = Query::new(&profile.terms, &self.offer_postings, n);
        let mut retrieval_terms = query.ids();
        for u in &profile.unresolved {
            retrieval_terms.extend(u.terms.iter().flatten());
        }
        let weighted: Vec<(Uuid, f64)> = profile
            .must
            .iter()
            .map(|&c| (c, 1.0))
            .chain(profile.nice.iter().map(|&c| (c, NICE_WEIGHT)))
            .collect();
        let candidates = self
            .offer_postings
            .weighted_candidates(&weighted, &retrieval_terms, n);
        let iter = candidates
            .into_iter()
            .filter_map(|(slot, w)| self.offers.get(slot).map(|o| (o, o.doc.id, Some(w))));
        self.rank_offers(
            need,
            &profile,
            &query,
            iter,
            &self.offer_postings,
            n,
            opts,
            SuggestionKind::Offer,
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
            let query = Query::new(&need.profile.terms, &self.need_postings, n);
            out.extend(self.rank_offers(
                &need.doc,
                &need.profile,
                &query,
                std::iter::once((&entry, need.doc.id, None)),
                &self.need_postings,
                n,
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
    fn contact_geography(
        &self,
        need: &NeedDoc,
        contact: &ContactDoc,
    ) -> (f64, Option<Proximity>, &'static str) {
        if contact.municipalities.is_empty() {
            return (0.5, None, "nationwide");
        }
        let best = contact
            .municipalities
            .iter()
            .map(|m| self.geography.proximity(&need.municipality, m))
            .min()
            .unwrap_or(Proximity::Far);
        match best {
            Proximity::Same => (1.0, Some(best), "covers the need's municipality"),
            Proximity::Cluster => (0.8, Some(best), "covers the need's cluster"),
            Proximity::Region => (0.6, Some(best), "covers the need's region"),
            Proximity::Far => (0.1, Some(best), "works elsewhere"),
        }
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
        let w = &opts.weights;
        let probe = MatchOptions {
            max_results: 1,
            ..opts.clone()
        };
        let no_offer_fits = self.suggest_offers(need, &probe).is_empty();
        let profile = self.profile(need, &mut LexRef::Lookup(&self.lexicon));
        let n = self.contacts.len();
        let query = Query::new(&profile.terms, &self.contact_postings, n);
        let mut retrieval_terms = query.ids();
        for u in &profile.unresolved {
            retrieval_terms.extend(u.terms.iter().flatten());
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
            let (geography, proximity, geo_text) = self.contact_geography(need, &contact.doc);
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
            let mut parts = Vec::new();
            if fallback {
                parts.push("no course fits this need; a local contact can organise one".to_owned());
            }
            let covered_all: Vec<Uuid> =
                covered_must.iter().chain(&covered_nice).copied().collect();
            if !covered_all.is_empty() {
                parts.push(format!(
                    "covers {} of {} competences: {}",
                    covered_all.len(),
                    profile.must.len() + profile.nice.len(),
                    self.list_names(&covered_all, &profile)
                ));
            }
            if area_hits > 0 || cos > 0.0 {
                parts.push(format!("area: {}", contact.doc.area_text.join(", ")));
            }
            parts.push(geo_text.to_owned());
            out.push(Suggestion {
                kind: SuggestionKind::Contact,
                target_id: contact.doc.id,
                score,
                factors,
                explanation: parts.join("; "),
                evidence: Evidence {
                    covered_must,
                    missing_must,
                    covered_nice,
                    unresolved_labels: profile.unresolved.iter().map(|u| u.label.clone()).collect(),
                    via_occupation: profile.via_occupation,
                    starts_on: None,
                    municipality: None,
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
        let candidates = self
            .need_postings
            .candidates(&profile.all_concepts(), &query.ids(), n);
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
            let mut parts = Vec::new();
            if !profile.must.is_empty() {
                let mut s = format!(
                    "shares {} of {} must-have competences",
                    shared.len(),
                    profile.must.len()
                );
                if !shared.is_empty() {
                    let _ = write!(s, ": {}", self.list_names(&shared, &profile));
                }
                parts.push(s);
            } else if !shared_any.is_empty() {
                parts.push(format!(
                    "shares competences: {}",
                    self.list_names(&shared_any, &profile)
                ));
            }
            parts.push(match proximity {
                Proximity::Cluster => format!(
                    "municipality {} in the same cluster",
                    other.doc.municipality
                ),
                _ => format!("municipality {} in the same region", other.doc.municipality),
            });
            parts.push(match other.doc.needed_by {
                Some(by) => format!("{} people needed by {by}", other.doc.headcount),
                None => format!("{} people", other.doc.headcount),
            });
            out.push((
                proximity,
                Suggestion {
                    kind: SuggestionKind::Need,
                    target_id: other.doc.id,
                    score,
                    factors,
                    explanation: parts.join("; "),
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
        let mut demand = Demand::default();
        for slot in needs {
            let Some(need) = self.needs.get(slot) else {
                continue;
            };
            if let Some(r) = region
                && self.geography.region_of(&need.doc.municipality) != Some(r)
            {
                continue;
            }
            demand.open_needs += 1;
            demand.headcount = demand.headcount.saturating_add(need.doc.headcount);
        }
        demand
    }
}

/// Factor names in the order of [`OfferParts::scores`].
const FACTOR_NAMES: [&str; 7] = [
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

/// Weighted mean of parallel score and weight arrays (0 when all weights are zero).
fn combine_arrays(scores: &[f64; 7], weights: &[f64; 7]) -> f64 {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let sum: f64 = scores
        .iter()
        .zip(weights)
        .map(|(s, w)| w * s.clamp(0.0, 1.0))
        .sum();
    (sum / total).clamp(0.0, 1.0)
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
