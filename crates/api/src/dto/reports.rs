//! Report inputs and rows.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Which needs the gap report covers and how it groups them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GapQuery {
    /// Group by `municipality` (default), `cluster` or `region`.
    #[param(value_type = Option<crate::dto::enums::AreaKind>)]
    pub by: Option<String>,
    /// Only needs routed to this platform.
    pub platform: Option<Uuid>,
    /// Only this competence concept.
    pub competence: Option<Uuid>,
    /// Only rows with people in needs no course offer is in sight for.
    pub unmatched_only: Option<bool>,
    /// Language of competence labels (`sv`, `nb`, `en`; default `sv`).
    #[param(value_type = Option<crate::dto::enums::Language>)]
    pub lang: Option<String>,
    /// Rows per page, 1 to 200 (default 50). CSV returns every row.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Demand for one competence in one area.
#[derive(Debug, Serialize, ToSchema)]
pub struct GapRowDto {
    /// The taxonomy concept, when the competence is one.
    pub competence_id: Option<Uuid>,
    /// The concept's label, or the free text the needs stated.
    pub competence: String,
    /// `municipality`, `cluster` or `region`.
    #[schema(value_type = crate::dto::enums::AreaKind)]
    pub area_kind: String,
    /// Municipality code, cluster key or region key.
    pub area: String,
    pub area_name: String,
    /// Active needs asking for the competence there.
    pub needs: u32,
    /// People those needs concern.
    pub headcount: u32,
    /// Needs with no course offer suggested or accepted.
    pub unmatched_needs: u32,
    /// People in those needs: the gap.
    pub unmatched_headcount: u32,
}

/// Which platforms and dates the activity report covers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// Only this platform (default: every platform).
    pub platform: Option<Uuid>,
    /// First day, `YYYY-MM-DD` (default: 1 January of the year of `to`). Days are UTC dates.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub from: Option<String>,
    /// Last day, inclusive (default: today).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub to: Option<String>,
    /// Split into `month`, `quarter` or `year` periods, or `all` (default) for one row per
    /// platform.
    #[param(value_type = Option<crate::dto::enums::ReportInterval>)]
    pub interval: Option<String>,
}

/// One platform's work in one period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityRowDto {
    pub platform_id: Uuid,
    pub platform: String,
    pub period_start: chrono::NaiveDate,
    pub period_end: chrono::NaiveDate,
    /// Needs entered in the period.
    pub needs_entered: u32,
    /// Needs that moved to `matched` (a suggestion accepted) in the period.
    pub needs_matched: u32,
    /// Needs marked fulfilled in the period.
    pub needs_fulfilled: u32,
    /// Of the needs entered, how many a broker has decided on so far.
    pub needs_reviewed: u32,
    /// Median days from entry to the first decision on a suggestion, over `needs_reviewed`.
    pub median_days_to_first_review: Option<f64>,
    pub decisions_accepted: u32,
    pub decisions_rejected: u32,
    /// accepted / (accepted + rejected) among decisions in the period; deferrals excluded.
    pub acceptance_rate: Option<f64>,
    /// Proposals created in the period, by their current status.
    pub proposals_by_status: std::collections::BTreeMap<String, u32>,
    /// Course requests sent to providers in the period.
    pub course_requests_sent: u32,
    /// Course requests that got their first answer in the period.
    pub course_requests_answered: u32,
}

/// The activity report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityReport {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// `all`, `month`, `quarter` or `year`.
    #[schema(value_type = crate::dto::enums::ReportInterval)]
    pub interval: String,
    pub items: Vec<ActivityRowDto>,
    /// How far each municipality of the reported platforms had come in the pilot at `to`.
    pub pilot: Vec<PilotRowDto>,
}

/// A municipality's pilot status at the end of the report's period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PilotRowDto {
    pub municipality: String,
    pub municipality_name: String,
    /// `not_started`, `starting`, `working` or `established`; null when none was recorded.
    pub status: Option<String>,
    pub note: Option<String>,
    pub as_of: Option<chrono::NaiveDate>,
    /// Statuses recorded for days inside the period.
    pub changes_in_period: u32,
}
