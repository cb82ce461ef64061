//! Taxonomy search, text parsing and change feeds.

use broker_store::repo::taxonomy::ConceptRecord;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A label of a concept in one language.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabelDto {
    /// `sv`, `nb` or `en`.
    #[schema(value_type = crate::dto::enums::Language)]
    pub lang: String,
    pub text: String,
    /// The preferred label of its language (otherwise an alternative label).
    pub preferred: bool,
}

/// A competence or occupation concept with every label.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConceptDto {
    pub id: Uuid,
    /// `skill`, `knowledge`, `occupation`, ...
    pub kind: String,
    /// The preferred label in the requested language (falls back to sv, nb, en).
    pub label: String,
    pub esco_uri: Option<String>,
    pub description: Option<String>,
    pub labels: Vec<LabelDto>,
    pub deprecated: bool,
    /// The concept to use instead of a deprecated one.
    pub replaced_by: Option<Uuid>,
    /// Taxonomy version in which the concept last changed.
    pub changed_in_version: i32,
}

impl ConceptDto {
    pub fn from_record(c: &ConceptRecord, lang: &str) -> Self {
        Self {
            id: c.id,
            kind: c.kind.as_str().to_owned(),
            label: c.preferred_label(lang),
            esco_uri: c.esco_uri.clone(),
            description: c.description.clone(),
            labels: c
                .labels
                .iter()
                .map(|l| LabelDto {
                    lang: l.lang.clone(),
                    text: l.text.clone(),
                    preferred: l.preferred,
                })
                .collect(),
            deprecated: c.deprecated,
            replaced_by: c.replaced_by,
            changed_in_version: c.changed_in_version,
        }
    }
}

/// Search of the taxonomy: a title or label in someone's own words, or type-ahead.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// What the user typed, in Swedish, Norwegian or English: a title ("Maskinoperatör, kött",
    /// "Teckenspråkstolk/Dövblindtolk"), compounds, inflected forms and typos are understood.
    pub q: String,
    /// The query's language (`sv`, `nb`, `en`): labels in it count first, other languages as
    /// weaker evidence; also the language of the returned `label` (default `sv`). Without it,
    /// every language is searched alike.
    #[param(value_type = Option<crate::dto::enums::Language>)]
    pub lang: Option<String>,
    /// `retrieval` (default): the query is a whole title or label. `type_ahead`: the last word
    /// may be unfinished, and completions of it count.
    #[param(inline)]
    pub mode: Option<SearchModeParam>,
    /// At most this many hits, 1 to 50 (default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<usize>,
}

/// How a search reads its query.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchModeParam {
    /// The whole query is a title or label.
    Retrieval,
    /// The last word may be unfinished.
    TypeAhead,
}

impl From<SearchModeParam> for broker_matching::SearchMode {
    fn from(m: SearchModeParam) -> Self {
        match m {
            SearchModeParam::Retrieval => Self::Retrieval,
            SearchModeParam::TypeAhead => Self::TypeAhead,
        }
    }
}

/// One search hit: the concept and how the query matched it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompetenceHit {
    pub concept: ConceptDto,
    /// The label the query matched.
    pub matched_label: String,
    /// Language of the matched label.
    pub matched_lang: String,
    /// Calibrated confidence in 0..=1: 1 for an exact preferred label, 0.9 for a label equal
    /// word by word after stemming, at most 0.85 for partial, compound, typo or type-ahead
    /// matches.
    pub confidence: f64,
    /// How the query matched: `preferred`, `alternative`, `words`, `compound`, `fuzzy`, `prefix`.
    #[schema(value_type = crate::dto::enums::ResolutionMethod)]
    pub method: String,
}

/// Search results, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompetenceHits {
    pub items: Vec<CompetenceHit>,
}

/// Free text to find competences in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParseInput {
    /// A job ad, a need description, a course description (at most 20,000 characters).
    pub text: String,
    /// Language of the returned labels (`sv`, `nb`, `en`; default `sv`).
    #[schema(value_type = Option<crate::dto::enums::Language>)]
    pub lang: Option<String>,
}

/// A competence mentioned in the text.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundConceptDto {
    pub concept_id: Uuid,
    /// The concept's preferred label in the requested language.
    pub label: String,
    /// Character offset (Unicode scalar values) where the mention starts.
    pub start: usize,
    /// Character offset one past the mention.
    pub end: usize,
    /// The mention as written.
    pub matched_text: String,
    pub confidence: f64,
}

/// The competences found, in text order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParseResult {
    pub items: Vec<FoundConceptDto>,
}

/// An occupation with the competences it needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct OccupationDto {
    pub occupation: ConceptDto,
    /// Competences every practitioner needs.
    pub essential: Vec<ConceptRef>,
    /// Competences that are useful but not required.
    pub optional: Vec<ConceptRef>,
}

/// A reference to a concept with its label.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConceptRef {
    pub id: Uuid,
    pub label: String,
}

/// An occupation search hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct OccupationHit {
    #[serde(flatten)]
    pub occupation: OccupationDto,
    pub matched_label: String,
    /// Language of the matched label.
    pub matched_lang: String,
    /// Calibrated confidence in 0..=1: 1 for an exact preferred label, 0.9 for a label equal
    /// word by word after stemming, at most 0.85 for partial, compound, typo or type-ahead
    /// matches.
    pub confidence: f64,
    /// How the query matched: `preferred`, `alternative`, `words`, `compound`, `fuzzy`, `prefix`.
    #[schema(value_type = crate::dto::enums::ResolutionMethod)]
    pub method: String,
}

/// Occupation search results, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct OccupationHits {
    pub items: Vec<OccupationHit>,
}

/// Concepts changed after a taxonomy version.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// The version the client last saw (0 for everything).
    pub since: i32,
    pub lang: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// What changed since a version, and the version to ask from next time.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxonomyChanges {
    /// The current taxonomy version.
    pub version: i32,
    pub items: Vec<ConceptDto>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub next: Option<String>,
}
