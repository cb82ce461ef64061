//! Offers: input and output shapes.

use broker_domain::lifecycle::Lifecycle;
use broker_domain::offer::{CourseInstance, InstanceDraft, Offer, OfferDraft};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::support::SupportToolLinkDto;

/// One scheduled run of a course.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceInput {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    /// Municipality code where it is held (omit for pure distance).
    pub municipality: Option<String>,
    /// Street address or venue.
    pub place: Option<String>,
    #[serde(default)]
    pub distance: bool,
    /// Study pace, percent of full time (default 100).
    pub pace_percent: Option<i64>,
    pub seats: Option<i64>,
    pub application_deadline: Option<NaiveDate>,
}

impl From<&InstanceInput> for InstanceDraft {
    fn from(i: &InstanceInput) -> Self {
        InstanceDraft {
            id: None,
            start: i.start,
            end: i.end,
            municipality: i.municipality.clone(),
            place: i.place.clone(),
            distance: i.distance,
            pace_percent: i.pace_percent,
            seats: i.seats,
            application_deadline: i.application_deadline,
        }
    }
}

/// A new course offer. Competences may be given as concept ids, as labels (resolved by the
/// service), or both.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    /// The offering organisation; providers may omit it (their token's organisation is used).
    pub provider_id: Option<Uuid>,
    #[schema(example = "MIG/MAG-svetsning grundkurs")]
    pub title: String,
    pub description: Option<String>,
    /// Teaching language: sv, nb or en.
    #[schema(value_type = Option<crate::dto::enums::Language>)]
    pub language: Option<String>,
    #[serde(default)]
    pub competence_ids: Vec<Uuid>,
    #[serde(default)]
    pub competence_labels: Vec<String>,
    /// EQF level 1..8.
    pub level: Option<i64>,
    /// on_site, distance or blended.
    #[schema(value_type = crate::dto::enums::DeliveryMode, example = "on_site")]
    pub delivery: String,
    /// Cost in minor units (öre/øre).
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    #[serde(default)]
    pub validation_offered: bool,
    pub link: Option<String>,
    /// Support tools by name only (the older form); `support_tool_links` carries URL and note.
    #[serde(default)]
    pub support_tools: Vec<String>,
    #[serde(default)]
    pub support_tool_links: Vec<SupportToolLinkDto>,
    #[serde(default)]
    pub instances: Vec<InstanceInput>,
}

impl OfferInput {
    pub fn to_draft(&self, provider_id: Option<Uuid>) -> OfferDraft {
        OfferDraft {
            provider_id: provider_id.or(self.provider_id),
            title: self.title.clone(),
            description: self.description.clone(),
            language: self.language.clone(),
            competence_ids: self.competence_ids.clone(),
            competence_labels: self.competence_labels.clone(),
            level: self.level,
            delivery: self.delivery.clone(),
            cost_minor: self.cost_minor,
            currency: self.currency.clone(),
            validation_offered: self.validation_offered,
            link: self.link.clone(),
            support_tools: self.support_tools.clone(),
            support_tool_links: crate::dto::support::drafts(&self.support_tool_links),
            instances: self.instances.iter().map(InstanceDraft::from).collect(),
        }
    }
}

/// A partial update of an offer; absent fields keep their value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferPatch {
    pub version: i64,
    pub title: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<crate::dto::enums::Language>)]
    pub language: Option<String>,
    pub competence_ids: Option<Vec<Uuid>>,
    pub competence_labels: Option<Vec<String>>,
    pub level: Option<i64>,
    pub delivery: Option<String>,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub validation_offered: Option<bool>,
    pub link: Option<String>,
    /// Tool names only; links of tools still listed keep their URL and note.
    pub support_tools: Option<Vec<String>>,
    /// Replaces every support-tool link.
    pub support_tool_links: Option<Vec<SupportToolLinkDto>>,
    pub instances: Option<Vec<InstanceInput>>,
}

/// A scheduled instance as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceDto {
    pub id: Uuid,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub municipality: Option<String>,
    pub place: Option<String>,
    pub distance: bool,
    pub pace_percent: u8,
    pub seats: Option<u32>,
    pub application_deadline: Option<NaiveDate>,
}

impl From<&CourseInstance> for InstanceDto {
    fn from(i: &CourseInstance) -> Self {
        Self {
            id: i.id,
            start: i.start,
            end: i.end,
            municipality: i.municipality.as_ref().map(ToString::to_string),
            place: i.place.as_ref().map(ToString::to_string),
            distance: i.distance,
            pace_percent: i.pace.percent(),
            seats: i.seats,
            application_deadline: i.application_deadline,
        }
    }
}

/// A competence an offer teaches, with its label.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TaughtCompetence {
    pub concept_id: Uuid,
    pub label: String,
}

/// A course offer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferDto {
    pub id: Uuid,
    /// draft, published or archived.
    #[schema(value_type = crate::dto::enums::OfferStatus)]
    pub status: String,
    pub provider_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    #[schema(value_type = crate::dto::enums::Language)]
    pub language: String,
    pub competences: Vec<TaughtCompetence>,
    pub competence_labels: Vec<String>,
    pub level: Option<u8>,
    #[schema(value_type = crate::dto::enums::DeliveryMode)]
    pub delivery: String,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub validation_offered: bool,
    pub link: Option<String>,
    /// The tools of `support_tool_links`, by name.
    pub support_tools: Vec<String>,
    pub support_tool_links: Vec<SupportToolLinkDto>,
    pub instances: Vec<InstanceDto>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub allowed_actions: Vec<String>,
}

impl OfferDto {
    pub fn from_offer(o: &Offer, label_of: impl Fn(Uuid) -> String) -> Self {
        let s = &o.spec;
        Self {
            id: o.id,
            status: o.status.as_str().to_owned(),
            provider_id: s.provider_id,
            title: s.title.to_string(),
            description: s.description.as_ref().map(ToString::to_string),
            language: s.language.code().to_owned(),
            competences: s
                .competence_ids
                .iter()
                .map(|id| TaughtCompetence {
                    concept_id: *id,
                    label: label_of(*id),
                })
                .collect(),
            competence_labels: s
                .competence_labels
                .iter()
                .map(ToString::to_string)
                .collect(),
            level: s.level.map(|l| l.get()),
            delivery: s.delivery.as_str().to_owned(),
            cost_minor: s.cost.map(|c| c.minor),
            currency: s.cost.map(|c| c.currency.code().to_owned()),
            validation_offered: s.validation_offered,
            link: s.link.as_ref().map(|l| l.as_str().to_owned()),
            support_tools: broker_domain::support::tools_of(&s.support_tools)
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            support_tool_links: crate::dto::support::dtos(&s.support_tools),
            instances: s.instances.iter().map(InstanceDto::from).collect(),
            created_at: o.created_at,
            updated_at: o.updated_at,
            published_at: o.published_at,
            version: o.version,
            allowed_actions: o
                .status
                .allowed_actions()
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
        }
    }
}

/// A lifecycle action with the version you saw.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    pub version: i64,
}

/// Result of an offers batch: every row created.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferBatchResult {
    pub created: usize,
    pub items: Vec<OfferDto>,
}
