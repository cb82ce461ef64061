//! The forum model's shapes: groups and memberships, routed needs and gaps, proposals (tiltak)
//! and their actions, workshops, recommendations.

use broker_domain::forum::{GapEntry, Proposal, RouteReason};
use broker_domain::lifecycle::Lifecycle;
use broker_domain::platform::{Group, Membership};
use broker_domain::values::Lang;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::dto::needs::NeedDto;

// ---------- groups and memberships ----------

/// A new group of a platform. The forum renews its structure every two years: a group for a new
/// period is a new group.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    pub platform_id: Uuid,
    /// steering_group, coordination_team, competence_group, participant_forum, working_group
    /// (forum); local_competence_council, working_group (local platform).
    #[schema(value_type = crate::dto::enums::GroupKind, example = "competence_group")]
    pub kind: String,
    #[schema(example = "Kompetansegruppe livslang læring")]
    pub name: String,
    /// For a competence group organised by focus area: work_life_relevance, lifelong_learning,
    /// inclusion_and_integration.
    #[schema(value_type = Option<crate::dto::enums::FocusArea>)]
    pub focus_area: Option<String>,
    /// For a competence group organised by industry: the taxonomy field it works with, e.g.
    /// `health_care`, `construction`, `industry_welding`.
    pub industry: Option<String>,
    #[schema(example = "2027-01-01")]
    pub period_start: NaiveDate,
    #[schema(example = "2028-12-31")]
    pub period_end: Option<NaiveDate>,
}

/// A group of a platform.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupDto {
    pub id: Uuid,
    pub platform_id: Uuid,
    #[schema(value_type = crate::dto::enums::GroupKind)]
    pub kind: String,
    pub name: String,
    #[schema(value_type = Option<crate::dto::enums::FocusArea>)]
    pub focus_area: Option<String>,
    pub industry: Option<String>,
    pub period_start: NaiveDate,
    pub period_end: Option<NaiveDate>,
    /// Whether today lies in the group's period.
    pub active: bool,
}

impl GroupDto {
    pub fn new(g: &Group, today: NaiveDate) -> Self {
        Self {
            id: g.id,
            platform_id: g.platform_id,
            kind: g.kind.as_str().to_owned(),
            name: g.name.as_str().to_owned(),
            focus_area: g.focus_area.map(|f| f.as_str().to_owned()),
            industry: g.industry.as_ref().map(|i| i.as_str().to_owned()),
            period_start: g.period.start,
            period_end: g.period.end,
            active: g.period.contains(today),
        }
    }
}

/// Groups, newest period first.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub items: Vec<GroupDto>,
}

/// A person (or an organisation) joining a group, on behalf of their organisation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembershipInput {
    pub person_id: Option<Uuid>,
    /// Defaults to the person's organisation.
    pub organisation_id: Option<Uuid>,
    /// chair, member, secretary, ... (default `member`).
    #[schema(example = "member")]
    pub role: Option<String>,
    /// Whether the organisation has given the member its mandate.
    #[serde(default)]
    pub mandate_given: bool,
    /// Defaults to today, or the group's start when that is later.
    pub member_from: Option<NaiveDate>,
    pub member_until: Option<NaiveDate>,
}

/// Ends a membership.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndMembershipInput {
    /// Last day of membership (default today).
    pub until: Option<NaiveDate>,
}

/// A membership.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipDto {
    pub id: Uuid,
    pub group_id: Uuid,
    pub person_id: Option<Uuid>,
    pub person_name: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub organisation_name: Option<String>,
    pub role: String,
    pub mandate_given: bool,
    pub member_from: NaiveDate,
    pub member_until: Option<NaiveDate>,
    /// Whether the membership holds today.
    pub active: bool,
}

impl MembershipDto {
    pub fn new(
        m: &Membership,
        person_name: Option<String>,
        organisation_name: Option<String>,
        today: NaiveDate,
    ) -> Self {
        Self {
            id: m.id,
            group_id: m.group_id,
            person_id: m.person_id,
            person_name,
            organisation_id: m.organisation_id,
            organisation_name,
            role: m.role.as_str().to_owned(),
            mandate_given: m.mandate_given,
            member_from: m.member_from,
            member_until: m.member_until,
            active: m.is_active_on(today),
        }
    }
}

/// A group's memberships.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipList {
    pub items: Vec<MembershipDto>,
}

// ---------- routing ----------

/// Where a need was routed and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteDto {
    pub group_id: Uuid,
    pub group_name: String,
    /// `industry` or `focus_area`.
    #[schema(value_type = crate::dto::enums::RouteBasis)]
    pub by: String,
    pub industry: Option<String>,
    pub focus_area: Option<String>,
    /// The rule in words (in the language asked for; English when none is).
    pub explanation: String,
}

impl RouteDto {
    pub fn new(group_id: Uuid, group_name: &str, reason: &RouteReason, lang: Lang) -> Self {
        let (by, industry, focus_area) = match reason {
            RouteReason::Industry { industry } => ("industry", Some(industry.clone()), None),
            RouteReason::FocusArea { focus_area } => {
                ("focus_area", None, Some(focus_area.as_str().to_owned()))
            }
        };
        Self {
            group_id,
            group_name: group_name.to_owned(),
            by: by.to_owned(),
            industry,
            focus_area,
            explanation: reason.explain(lang),
        }
    }
}

/// A need and the competence group it is routed to (none when no group fits).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoutedNeedDto {
    pub need: NeedDto,
    pub route: Option<RouteDto>,
}

/// One cell of a group's gap: a competence no offer covers, in a municipality, with head count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupGapDto {
    pub competence_id: Uuid,
    pub competence_label: String,
    /// Municipality code: send it with `competence_id` as a proposal's gap entry.
    pub area: String,
    pub headcount: u32,
    pub need_ids: Vec<Uuid>,
}

/// A group's gap, largest head count first.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupGaps {
    pub group_id: Uuid,
    pub items: Vec<GroupGapDto>,
}

// ---------- proposals ----------

/// A gap-report cell that motivated a proposal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GapEntryDto {
    /// A competence concept.
    pub competence_id: Uuid,
    /// A municipality code (`3105`) or a cluster or region key (`nedre-glomma`, `ostfold`).
    #[schema(example = "3105")]
    pub area: String,
}

impl From<&GapEntry> for GapEntryDto {
    fn from(g: &GapEntry) -> Self {
        Self {
            competence_id: g.competence_id,
            area: g.area.clone(),
        }
    }
}

/// A new proposal (tiltak), drafted by a group.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalInput {
    /// The group drafting it; the proposal belongs to that group's platform.
    pub group_id: Uuid,
    #[schema(example = "Fagbrev i prosessfaget for voksne")]
    pub title: String,
    pub description: Option<String>,
    /// Needs that motivated it.
    #[serde(default)]
    pub need_ids: Vec<Uuid>,
    /// Gap entries that motivated it.
    #[serde(default)]
    pub gap_entries: Vec<GapEntryDto>,
}

/// A go / no-go decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionDto {
    pub go: bool,
    pub decided_by: String,
    pub decided_by_group_id: Option<Uuid>,
    pub decided_on: NaiveDate,
    pub rationale: Option<String>,
}

/// A proposal and where it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalDto {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    /// draft, submitted, discussed, refined, decided_go, decided_no_go, responsibility_accepted,
    /// responsibility_declined, in_progress, completed, evaluated.
    #[schema(value_type = crate::dto::enums::ProposalStatus)]
    pub status: String,
    pub need_ids: Vec<Uuid>,
    pub gap_entries: Vec<GapEntryDto>,
    pub decision: Option<DecisionDto>,
    pub responsible_organisation_id: Option<Uuid>,
    /// Organisations that declined responsibility, in order.
    pub declined_by: Vec<Uuid>,
    pub effects: Option<String>,
    /// Send this back with the next action.
    pub version: i32,
    /// Actions allowed from the current status.
    pub allowed_actions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ProposalDto {
    pub fn new(p: &Proposal, created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> Self {
        Self {
            id: p.id,
            platform_id: p.platform_id,
            group_id: p.group_id,
            title: p.title.as_str().to_owned(),
            description: p.description.as_ref().map(|d| d.as_str().to_owned()),
            status: p.status.as_str().to_owned(),
            need_ids: p.need_ids.clone(),
            gap_entries: p.gap_entries.iter().map(GapEntryDto::from).collect(),
            decision: p.decision.as_ref().map(|d| DecisionDto {
                go: d.go,
                decided_by: d.decided_by.as_str().to_owned(),
                decided_by_group_id: d.decided_by_group_id,
                decided_on: d.decided_on,
                rationale: d.rationale.as_ref().map(|r| r.as_str().to_owned()),
            }),
            responsible_organisation_id: p.responsible_organisation_id,
            declined_by: p.declined_by.clone(),
            effects: p.effects.as_ref().map(|e| e.as_str().to_owned()),
            version: p.version,
            allowed_actions: p
                .status
                .allowed_actions()
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            created_at,
            updated_at,
        }
    }
}

/// One step of a proposal's road. Each action carries what it records; `version` is the
/// version you saw (a stale one gets 409 and changes nothing).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProposalActionInput {
    /// The group hands the draft in.
    Submit { version: i64, note: Option<String> },
    /// A workshop discussed it and gave input.
    Discuss {
        version: i64,
        workshop_id: Uuid,
        input: String,
    },
    /// The group refined it after the workshop.
    Refine {
        version: i64,
        changes: String,
        title: Option<String>,
        description: Option<String>,
    },
    /// The forum decided to pursue it.
    DecideGo {
        version: i64,
        /// Who decided, in words; defaults to the deciding group's name.
        decided_by: Option<String>,
        /// The deciding group (e.g. the steering group).
        decided_by_group_id: Option<Uuid>,
        /// Default today.
        decided_on: Option<NaiveDate>,
        rationale: Option<String>,
    },
    /// The forum decided not to pursue it (final).
    DecideNoGo {
        version: i64,
        decided_by: Option<String>,
        decided_by_group_id: Option<Uuid>,
        decided_on: Option<NaiveDate>,
        rationale: Option<String>,
    },
    /// An organisation takes responsibility for carrying it out.
    AcceptResponsibility {
        version: i64,
        organisation_id: Uuid,
        note: Option<String>,
    },
    /// The organisation it was introduced to declines; it may be offered to another.
    DeclineResponsibility {
        version: i64,
        organisation_id: Uuid,
        reason: Option<String>,
    },
    /// The responsible organisation starts it.
    Start { version: i64, note: Option<String> },
    /// It has been carried out.
    Complete { version: i64, note: Option<String> },
    /// Its effects are recorded.
    Evaluate { version: i64, effects: String },
}

/// Something that happened to a proposal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalEventDto {
    #[schema(value_type = crate::dto::enums::ProposalAction)]
    pub action: String,
    #[schema(value_type = crate::dto::enums::ProposalStatus)]
    pub from: String,
    #[schema(value_type = crate::dto::enums::ProposalStatus)]
    pub to: String,
    /// What the action recorded (workshop input, changes, decision, organisation, effects).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub detail: serde_json::Value,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// A proposal's history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalEvents {
    pub items: Vec<ProposalEventDto>,
}

// ---------- workshops ----------

/// Someone taking part in a workshop.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkshopParticipantDto {
    pub person_id: Option<Uuid>,
    /// Defaults to the person's organisation.
    pub organisation_id: Option<Uuid>,
    /// Defaults to the person's (or organisation's) name.
    pub name: Option<String>,
    /// The part they play, as in meetings: e.g. `arbeidsgiver`, `NAV-rådgiver`, `ordstyrer`.
    pub role: Option<String>,
}

/// A new workshop of a platform.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkshopInput {
    pub platform_id: Uuid,
    /// The group holding it (usually the participant forum).
    pub group_id: Option<Uuid>,
    #[schema(example = "Felles workshop: forslag til tiltak")]
    pub title: String,
    pub held_on: NaiveDate,
    pub participants: Vec<WorkshopParticipantDto>,
}

/// Input a workshop gave on a proposal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscussionDto {
    pub workshop_id: Uuid,
    pub proposal_id: Uuid,
    pub input: String,
    pub given_by: String,
    pub at: DateTime<Utc>,
}

/// A workshop with its participants and what it said about which proposals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkshopDto {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub title: String,
    pub held_on: NaiveDate,
    pub participants: Vec<WorkshopParticipantDto>,
    pub discussions: Vec<DiscussionDto>,
    pub created_at: DateTime<Utc>,
}

/// A proposal discussed at a workshop: moves it to `discussed` with the input attached.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscussionInput {
    pub proposal_id: Uuid,
    /// The proposal's version you saw.
    pub version: i64,
    pub input: String,
}

// ---------- recommendations ----------

/// A recommendation to a named actor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationInput {
    /// The group giving it; the recommendation belongs to that group's platform.
    pub group_id: Uuid,
    /// The proposal it follows from, if any.
    pub proposal_id: Option<Uuid>,
    pub addressee_organisation_id: Option<Uuid>,
    pub addressee_person_id: Option<Uuid>,
    /// The actor's name; defaults to the registered organisation's or person's name.
    pub addressee: Option<String>,
    pub text: String,
}

/// A follow-up step: acknowledge, start, implement or decline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    #[schema(value_type = crate::dto::enums::RecommendationAction, example = "acknowledge")]
    pub action: String,
    pub version: i64,
    pub note: Option<String>,
}

/// One follow-up step.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpDto {
    #[schema(value_type = crate::dto::enums::RecommendationAction)]
    pub action: String,
    #[schema(value_type = crate::dto::enums::RecommendationStatus)]
    pub from: String,
    #[schema(value_type = crate::dto::enums::RecommendationStatus)]
    pub to: String,
    pub note: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// A recommendation and its follow-up.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecommendationDto {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub proposal_id: Option<Uuid>,
    pub addressee: String,
    pub addressee_organisation_id: Option<Uuid>,
    pub addressee_person_id: Option<Uuid>,
    pub text: String,
    /// given, acknowledged, in_progress, implemented, not_followed.
    #[schema(value_type = crate::dto::enums::RecommendationStatus)]
    pub status: String,
    pub version: i32,
    pub allowed_actions: Vec<String>,
    /// Present on single reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<Vec<FollowUpDto>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
