//! Network and broker meetings: input and output shapes.

use broker_domain::meeting::{
    AgendaItem, AgendaItemDraft, AgendaLinkKind, MeetingDraft, Participant, ParticipantDraft,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Someone at the meeting: a registered person, an organisation, or just a name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingParticipantDto {
    pub person_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    /// Filled in from the person or organisation when left out.
    pub name: Option<String>,
    /// e.g. `kontaktperson`, `klustermäklare`, `SYV`.
    pub role: Option<String>,
}

impl MeetingParticipantDto {
    pub fn from_participant(p: &Participant) -> Self {
        Self {
            person_id: p.person_id,
            organisation_id: p.organisation_id,
            name: p.name.as_ref().map(ToString::to_string),
            role: p.role.as_ref().map(ToString::to_string),
        }
    }

    pub fn to_draft(&self) -> ParticipantDraft {
        ParticipantDraft {
            person_id: self.person_id,
            organisation_id: self.organisation_id,
            name: self.name.clone(),
            role: self.role.clone(),
        }
    }
}

/// One agenda point and what it discussed: needs, course requests and decisions (match ids).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgendaItemDto {
    #[schema(example = "CNC-behov i Dals-Ed och Bengtsfors")]
    pub title: String,
    #[serde(default)]
    pub need_ids: Vec<Uuid>,
    #[serde(default)]
    pub course_request_ids: Vec<Uuid>,
    /// Match suggestions whose decision was discussed.
    #[serde(default)]
    pub decision_ids: Vec<Uuid>,
    /// What was concluded.
    pub outcome: Option<String>,
}

impl AgendaItemDto {
    pub fn from_item(i: &AgendaItem) -> Self {
        let of = |kind: AgendaLinkKind| {
            i.links
                .iter()
                .filter(|l| l.kind == kind)
                .map(|l| l.target_id)
                .collect()
        };
        Self {
            title: i.title.to_string(),
            need_ids: of(AgendaLinkKind::Need),
            course_request_ids: of(AgendaLinkKind::CourseRequest),
            decision_ids: of(AgendaLinkKind::Decision),
            outcome: i.outcome.as_ref().map(ToString::to_string),
        }
    }

    pub fn to_draft(&self) -> AgendaItemDraft {
        AgendaItemDraft {
            title: self.title.clone(),
            need_ids: self.need_ids.clone(),
            course_request_ids: self.course_request_ids.clone(),
            decision_ids: self.decision_ids.clone(),
            outcome: self.outcome.clone(),
        }
    }
}

/// A document of a meeting: a title and an https link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingDocumentDto {
    #[schema(example = "Presentation startmöte")]
    pub title: String,
    #[schema(example = "https://www.fyrbodal.se/startmote.pdf")]
    pub url: String,
}

impl MeetingDocumentDto {
    pub fn pairs(docs: &[Self]) -> Vec<(String, String)> {
        docs.iter()
            .map(|d| (d.title.clone(), d.url.clone()))
            .collect()
    }
}

/// A new meeting of a platform.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    pub platform_id: Uuid,
    /// A group of the platform (e.g. its local competence council).
    pub group_id: Option<Uuid>,
    /// `network_meeting`, `broker_meeting`, `start_up`, `workshop` or `steering_group_meeting`.
    #[schema(value_type = crate::dto::enums::MeetingKind, example = "broker_meeting")]
    pub kind: String,
    #[schema(example = "Mäklarträff Dalsland")]
    pub title: String,
    /// The day the meeting was (or will be) held; required.
    #[schema(value_type = NaiveDate, required = true)]
    pub held_on: Option<NaiveDate>,
    #[serde(default)]
    pub participants: Vec<MeetingParticipantDto>,
    #[serde(default)]
    pub agenda: Vec<AgendaItemDto>,
    pub minutes: Option<String>,
    /// Where the meeting is held (e.g. `Utvecklingscentrum, Bengtsfors`).
    pub place: Option<String>,
    /// The meeting's documents (links).
    #[serde(default)]
    pub documents: Vec<MeetingDocumentDto>,
}

impl MeetingInput {
    pub fn to_draft(&self) -> MeetingDraft {
        MeetingDraft {
            kind: self.kind.clone(),
            title: self.title.clone(),
            held_on: self.held_on,
            group_id: self.group_id,
            participants: self
                .participants
                .iter()
                .map(MeetingParticipantDto::to_draft)
                .collect(),
            agenda: self.agenda.iter().map(AgendaItemDto::to_draft).collect(),
            minutes: self.minutes.clone(),
        }
    }
}

/// A partial change: absent fields keep their value; `participants` and `agenda` replace the
/// whole list. `version` is the version you saw.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingPatch {
    pub version: i64,
    pub group_id: Option<Uuid>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub held_on: Option<NaiveDate>,
    pub participants: Option<Vec<MeetingParticipantDto>>,
    pub agenda: Option<Vec<AgendaItemDto>>,
    pub minutes: Option<String>,
    pub place: Option<String>,
    /// Replaces the whole list.
    pub documents: Option<Vec<MeetingDocumentDto>>,
}

/// A meeting with its participants, agenda and minutes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingDto {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    #[schema(value_type = crate::dto::enums::MeetingKind)]
    pub kind: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub participants: Vec<MeetingParticipantDto>,
    pub agenda: Vec<AgendaItemDto>,
    pub minutes: Option<String>,
    pub place: Option<String>,
    pub documents: Vec<MeetingDocumentDto>,
    /// Send this back when you change the meeting.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
}
