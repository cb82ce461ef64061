//! Needs: input and output shapes.

use broker_domain::lifecycle::Lifecycle;
use broker_domain::need::{CompetenceRequirement, Need, NeedDraft, RequirementDraft};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::support::SupportToolLinkDto;

/// Which ways of studying suit the people concerned.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryPreferenceDto {
    #[serde(default = "yes")]
    pub on_site: bool,
    #[serde(default = "yes")]
    pub distance: bool,
    #[serde(default)]
    pub part_time: bool,
}

fn yes() -> bool {
    true
}

/// One competence a need asks for: a taxonomy concept id, or a free-text label (resolved by the
/// service when it can), or both.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementInput {
    pub concept_id: Option<Uuid>,
    /// Free text, e.g. `svetsning MIG/MAG`.
    #[schema(example = "MIG/MAG-svetsning")]
    pub label: Option<String>,
    /// `must_have` (default) or `nice_to_have`.
    #[schema(value_type = Option<crate::dto::enums::Importance>, example = "must_have")]
    pub importance: Option<String>,
    /// EQF level 1..8.
    pub level: Option<i64>,
}

/// A new competence need.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedInput {
    /// Municipality code (kommunkod / kommunenummer).
    #[schema(example = "1438")]
    pub municipality: String,
    /// Platform to route the need through; defaults to the local platform covering the municipality.
    pub platform_id: Option<Uuid>,
    pub employer_id: Option<Uuid>,
    #[schema(example = "Svetsare till verkstad")]
    pub title: String,
    pub description: Option<String>,
    /// `upskilling`, `recruitment`, `apprenticeship` or `validation`.
    #[schema(value_type = crate::dto::enums::NeedPurpose, example = "recruitment")]
    pub purpose: String,
    #[schema(example = 3)]
    pub headcount: i64,
    pub needed_by: Option<NaiveDate>,
    /// When the need leaves the queues; defaults to the platform's need lifetime.
    pub expires_on: Option<NaiveDate>,
    pub wanted_level: Option<i64>,
    /// An occupation concept; its essential competences count as must-haves.
    pub occupation_id: Option<Uuid>,
    pub delivery: Option<DeliveryPreferenceDto>,
    #[serde(default)]
    pub competences: Vec<RequirementInput>,
    /// Support tools the need points to (REKAS, SYV Online, Validering Väst, other).
    #[serde(default)]
    pub support_tool_links: Vec<SupportToolLinkDto>,
    /// `open` (default) or `draft`.
    #[schema(value_type = Option<crate::dto::enums::NewNeedStatus>)]
    pub status: Option<String>,
}

impl NeedInput {
    pub fn to_draft(&self) -> NeedDraft {
        NeedDraft {
            municipality: self.municipality.clone(),
            platform_id: self.platform_id,
            employer_id: self.employer_id,
            title: self.title.clone(),
            description: self.description.clone(),
            purpose: self.purpose.clone(),
            headcount: self.headcount,
            needed_by: self.needed_by,
            expires_on: self.expires_on,
            wanted_level: self.wanted_level,
            occupation_id: self.occupation_id,
            delivery: self.delivery.map(|d| (d.on_site, d.distance, d.part_time)),
            competences: self
                .competences
                .iter()
                .map(|c| RequirementDraft {
                    concept_id: c.concept_id,
                    label: c.label.clone(),
                    importance: c.importance.clone(),
                    level: c.level,
                })
                .collect(),
            support_tool_links: crate::dto::support::drafts(&self.support_tool_links),
        }
    }
}

/// A partial update of a need; absent fields keep their value. `version` is the version you saw.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedPatch {
    pub version: i64,
    pub title: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<crate::dto::enums::NeedPurpose>)]
    pub purpose: Option<String>,
    pub headcount: Option<i64>,
    pub needed_by: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub wanted_level: Option<i64>,
    pub occupation_id: Option<Uuid>,
    pub delivery: Option<DeliveryPreferenceDto>,
    pub competences: Option<Vec<RequirementInput>>,
    /// Replaces every support-tool link.
    pub support_tool_links: Option<Vec<SupportToolLinkDto>>,
    /// `open` to open a draft.
    pub status: Option<String>,
}

/// A competence requirement as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequirementDto {
    pub concept_id: Option<Uuid>,
    pub label: String,
    #[schema(value_type = crate::dto::enums::Importance)]
    pub importance: String,
    pub level: Option<u8>,
}

impl From<&CompetenceRequirement> for RequirementDto {
    fn from(c: &CompetenceRequirement) -> Self {
        Self {
            concept_id: c.concept_id,
            label: c.label.to_string(),
            importance: c.importance.as_str().to_owned(),
            level: c.level.map(|l| l.get()),
        }
    }
}

/// A competence need.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedDto {
    pub id: Uuid,
    /// draft, open, in_review, pooled (accepted into a pool with similar needs, awaiting its
    /// course), matched, fulfilled, withdrawn, expired.
    #[schema(value_type = crate::dto::enums::NeedStatus)]
    pub status: String,
    pub platform_id: Uuid,
    pub municipality: String,
    pub employer_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    #[schema(value_type = crate::dto::enums::NeedPurpose)]
    pub purpose: String,
    pub headcount: u32,
    pub needed_by: Option<NaiveDate>,
    pub expires_on: NaiveDate,
    pub wanted_level: Option<u8>,
    pub occupation_id: Option<Uuid>,
    pub delivery: DeliveryPreferenceDto,
    pub competences: Vec<RequirementDto>,
    pub support_tool_links: Vec<SupportToolLinkDto>,
    /// `local`, `cluster` or `subregional`: where the need is being brokered.
    #[schema(value_type = crate::dto::enums::EscalationLevel)]
    pub escalation_level: String,
    pub entered_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Send this back when you change or decide on the need.
    pub version: i32,
    /// Lifecycle actions allowed from the current status.
    pub allowed_actions: Vec<String>,
}

impl NeedDto {
    pub fn from_need(n: &Need, escalation_level: &str) -> Self {
        let s = &n.spec;
        Self {
            id: n.id,
            status: n.status.as_str().to_owned(),
            platform_id: n.platform_id,
            municipality: s.municipality.to_string(),
            employer_id: s.employer_id,
            title: s.title.to_string(),
            description: s.description.as_ref().map(ToString::to_string),
            purpose: s.purpose.as_str().to_owned(),
            headcount: s.headcount.get(),
            needed_by: s.needed_by,
            expires_on: n.expires_on,
            wanted_level: s.wanted_level.map(|l| l.get()),
            occupation_id: s.occupation_id,
            delivery: DeliveryPreferenceDto {
                on_site: s.delivery.on_site,
                distance: s.delivery.distance,
                part_time: s.delivery.part_time,
            },
            competences: s.competences.iter().map(RequirementDto::from).collect(),
            support_tool_links: crate::dto::support::dtos(&s.support_tools),
            escalation_level: escalation_level.to_owned(),
            entered_by: n.entered_by.clone(),
            created_at: n.created_at,
            updated_at: n.updated_at,
            version: n.version,
            allowed_actions: n
                .status
                .allowed_actions()
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
        }
    }
}

/// A lifecycle action on a need (`withdraw`, `fulfil`, ...), with the version you saw.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedActionInput {
    pub version: i64,
    pub reason: Option<String>,
}

/// Result of a batch: every row created, or nothing and a per-row report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchResult {
    pub created: usize,
    pub items: Vec<NeedDto>,
}

/// One failing row of a batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchRowError {
    /// 1-based row (CSV: data row after the header; JSON: array position + 1).
    pub row: usize,
    pub field: String,
    pub reason: String,
}

/// Something that happened to a need.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedEventDto {
    /// routed, escalated, withdraw, fulfil, match, ...
    pub kind: String,
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub detail: serde_json::Value,
    pub actor: String,
    pub at: DateTime<Utc>,
}
