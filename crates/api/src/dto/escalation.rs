//! Escalation: a broker's request to move a need up, and what a run of the job did.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A broker escalates a need one step up its platform chain.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateInput {
    /// The version of the need you saw.
    pub version: i64,
    /// Why, for the need's history (required).
    #[schema(example = "Ingen lokal anordnare; klustret har fler med samma behov")]
    pub reason: String,
}

/// Runs the escalation job now, as if today were `as_of`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationRunInput {
    /// The day to evaluate for (default: today). Lets an operator or a test see what the job
    /// does after N days without waiting for them.
    pub as_of: Option<NaiveDate>,
}

/// One need the job moved up.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalatedNeed {
    pub need_id: Uuid,
    pub from_platform_id: Uuid,
    pub to_platform_id: Uuid,
    /// `cluster` or `subregional`.
    #[schema(value_type = crate::dto::enums::EscalationLevel)]
    pub level: String,
    /// `unmatched`, `pooled` or `manual`.
    #[schema(value_type = crate::dto::enums::EscalationReason)]
    pub reason: String,
    /// e.g. `escalated to Dalslands kompetensplattform: unmatched for 21 days`.
    pub text: String,
    /// Pending suggestions moved into the higher platform's review queue.
    pub suggestions_moved: u64,
}

/// What one run of the escalation job did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EscalationReport {
    pub as_of: NaiveDate,
    /// Active needs on platforms that have a higher one.
    pub checked: usize,
    pub escalated: Vec<EscalatedNeed>,
}
