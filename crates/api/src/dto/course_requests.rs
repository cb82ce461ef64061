//! Course requests: input and output shapes. Providers get the same shape with the fields that
//! identify needs, employers, people and other addressees left out.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::needs::{DeliveryPreferenceDto, RequirementDto};

/// A broker pools needs into one request to education providers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseRequestInput {
    /// The platform that owns the request; defaults to the needs' platform when they share one.
    pub platform_id: Option<Uuid>,
    #[schema(example = "CNC-operatörer i Dalsland")]
    pub title: String,
    pub description: Option<String>,
    /// The pooled needs (1 to 50), open or in review, on platforms you broker.
    pub need_ids: Vec<Uuid>,
    /// Defaults to the earliest `needed_by` of the needs.
    pub wanted_start: Option<NaiveDate>,
    /// Defaults to what every need accepts.
    pub delivery: Option<DeliveryPreferenceDto>,
    /// Answers wanted by this day.
    pub respond_by: Option<NaiveDate>,
    /// Education providers to ask; empty or absent asks every provider.
    #[serde(default)]
    pub provider_ids: Vec<Uuid>,
}

/// A municipality by code and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MunicipalityRef {
    pub code: String,
    pub name: String,
}

/// A course request. Providers see it without `need_ids`, `addressed_to` and `created_by`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseRequestDto {
    pub id: Uuid,
    pub platform_id: Uuid,
    /// draft, sent, answered, commissioned, declined, cancelled.
    #[schema(value_type = crate::dto::enums::CourseRequestStatus)]
    pub status: String,
    pub title: String,
    pub description: Option<String>,
    /// The union of the pooled needs' competences.
    pub competences: Vec<RequirementDto>,
    /// How many people in all.
    pub total_headcount: u32,
    /// Where the people are.
    pub municipalities: Vec<MunicipalityRef>,
    pub wanted_start: Option<NaiveDate>,
    pub delivery: DeliveryPreferenceDto,
    pub respond_by: Option<NaiveDate>,
    /// Whether every education provider may answer (no named addressees).
    pub open_to_all: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addressed_to: Option<Vec<Uuid>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need_ids: Option<Vec<Uuid>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// How many answers arrived (providers: whether they answered, 0 or 1).
    pub answers: usize,
    pub commissioned_answer_id: Option<Uuid>,
    pub decision_reason: Option<String>,
    /// Send this back with `send` and `decide`.
    pub version: i32,
    /// Lifecycle actions allowed from the current status.
    pub allowed_actions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Sends a draft request to its providers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    pub version: i64,
}

/// A provider answers a request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// `offer` (we can give it) or `decline` (we cannot).
    #[schema(value_type = crate::dto::enums::AnswerResponse, example = "offer")]
    pub response: String,
    /// One of your offers that would serve the request.
    pub offer_id: Option<Uuid>,
    /// Or a course you propose to set up.
    pub proposal: Option<String>,
    /// Price in minor units (öre/øre) for the whole group.
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    pub seats: Option<i64>,
    pub start: Option<NaiveDate>,
    pub note: Option<String>,
}

/// A provider's answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnswerDto {
    pub id: Uuid,
    pub course_request_id: Uuid,
    pub provider_id: Uuid,
    pub provider_name: Option<String>,
    /// `offer` or `decline`.
    #[schema(value_type = crate::dto::enums::AnswerResponse)]
    pub response: String,
    pub offer_id: Option<Uuid>,
    pub proposal: Option<String>,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    pub seats: Option<u32>,
    pub start: Option<NaiveDate>,
    pub note: Option<String>,
    /// `submitted`, `chosen` or `not_chosen`.
    #[schema(value_type = crate::dto::enums::AnswerStatus)]
    pub status: String,
    pub answered_by: String,
    pub created_at: DateTime<Utc>,
}

/// The answers to a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnswerList {
    pub items: Vec<AnswerDto>,
}

/// The broker's decision on a request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideInput {
    pub version: i64,
    /// `commission` (choose `answer_id`), `decline` (no answer fits; a reason is required) or
    /// `cancel` (withdraw the request).
    #[schema(value_type = crate::dto::enums::CourseRequestDecision, example = "commission")]
    pub decision: String,
    pub answer_id: Option<Uuid>,
    pub reason: Option<String>,
}

/// One step in a request's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourseRequestEventDto {
    /// send, receive_answer, commission, decline, cancel.
    #[schema(value_type = crate::dto::enums::CourseRequestAction)]
    pub action: String,
    #[schema(value_type = crate::dto::enums::CourseRequestStatus)]
    pub from: String,
    #[schema(value_type = crate::dto::enums::CourseRequestStatus)]
    pub to: String,
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub detail: serde_json::Value,
    pub actor: String,
    pub at: DateTime<Utc>,
}
