//! Match suggestions, decisions and outcomes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A suggestion with its factor breakdown and a readable explanation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchDto {
    pub id: Uuid,
    pub need_id: Uuid,
    /// `offer`, `contact` or `need` (demand pooling).
    #[schema(value_type = crate::dto::enums::MatchKind)]
    pub kind: String,
    /// The offer, contact person or other need suggested.
    pub target_id: Uuid,
    /// Title of the offer or need, or the contact's name.
    pub target_label: Option<String>,
    pub platform_id: Uuid,
    /// 0..1.
    pub score: f64,
    /// Each factor's value (0..1) and weight.
    #[schema(value_type = Vec<crate::dto::matches::FactorDto>)]
    pub factors: serde_json::Value,
    pub explanation: String,
    /// Structured evidence: covered and missing competences, matched words, chosen instance.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub evidence: serde_json::Value,
    /// suggested, deferred, accepted, rejected, superseded.
    #[schema(value_type = crate::dto::enums::MatchStatus)]
    pub status: String,
    /// Send this back with a decision; a stale version gets 409.
    pub version: i32,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A broker's decision on a suggestion.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `accept`, `reject` or `defer`.
    #[schema(value_type = crate::dto::enums::MatchDecision, example = "accept")]
    pub decision: String,
    /// Required when rejecting.
    pub reason: Option<String>,
    /// The version of the suggestion you saw.
    pub version: i64,
}

/// What came of an accepted match.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    pub enrolled: Option<i64>,
    #[serde(default)]
    pub course_commissioned: bool,
    pub note: Option<String>,
}

/// A recorded outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutcomeDto {
    pub id: Uuid,
    pub match_id: Uuid,
    pub enrolled: Option<u32>,
    pub course_commissioned: bool,
    pub note: Option<String>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

/// Per-request weight overrides for a broker exploring (each 0..1).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WeightParams {
    pub w_competence: Option<f64>,
    pub w_text: Option<f64>,
    pub w_geography: Option<f64>,
    pub w_timing: Option<f64>,
    pub w_level: Option<f64>,
    pub w_capacity: Option<f64>,
    pub w_delivery: Option<f64>,
    /// Minimum score, 0..1.
    pub min_score: Option<f64>,
    /// Language of the explanations (default: from `Accept-Language`, else English sentences).
    #[param(inline)]
    pub lang: Option<ExplanationLang>,
}

/// A language explanations are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExplanationLang {
    Sv,
    Nb,
    En,
}

impl ExplanationLang {
    /// The ISO 639-1 code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Sv => "sv",
            Self::Nb => "nb",
            Self::En => "en",
        }
    }
}

impl WeightParams {
    pub fn is_empty(&self) -> bool {
        [
            self.w_competence,
            self.w_text,
            self.w_geography,
            self.w_timing,
            self.w_level,
            self.w_capacity,
            self.w_delivery,
            self.min_score,
        ]
        .iter()
        .all(Option::is_none)
    }
}

/// One scored factor of a suggestion (the contract's view of `broker_matching::Factor`).
#[derive(Debug, ToSchema)]
pub struct FactorDto {
    /// `competence`, `text`, `geography`, `timing`, `level`, `capacity` or `delivery`.
    #[schema(value_type = crate::dto::enums::MatchFactor)]
    pub name: String,
    /// Score in 0..=1.
    pub score: f64,
    /// Weight used (0 when the factor did not apply).
    pub weight: f64,
}
