//! Groups and memberships (local competence councils, the forum's bodies), proposals (tiltak)
//! with their gap entries and event history, recommendations with their follow-up, and meetings.

use broker_domain::forum::{
    Addressee, GapEntry, Proposal, ProposalAction, ProposalDecision, ProposalSpec, ProposalStatus,
    RecommendationAction, RecommendationStatus,
};
use broker_domain::lifecycle::Lifecycle;
use broker_domain::platform::{FocusArea, Group, GroupKind, Membership};
use broker_domain::values::{LongText, Name, Period};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::entity::{
    group, meeting, membership, proposal, proposal_event, proposal_gap_entry, recommendation,
    recommendation_event,
};
use crate::{Page, StoreError};

use crate::entity::group::Model as GroupRow;
use crate::entity::meeting::Model as MeetingRow;
use crate::entity::membership::Model as MembershipRow;
/// One step of a proposal's way through the forum.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalEvent {
    pub action: ProposalAction,
    pub from: ProposalStatus,
    pub to: ProposalStatus,
    /// What the step recorded besides the move (the workshop's input, the decision's reason).
    pub detail: serde_json::Value,
    pub actor: String,
    pub at: chrono::DateTime<Utc>,
}

/// One step in following up a recommendation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecommendationEvent {
    pub action: RecommendationAction,
    pub from: RecommendationStatus,
    pub to: RecommendationStatus,
    pub note: Option<String>,
    pub actor: String,
    pub at: chrono::DateTime<Utc>,
}

// ---------- groups ----------

async fn insert_group(conn: &impl ConnectionTrait, g: GroupRow) -> Result<GroupRow, StoreError> {
    let row = group::ActiveModel {
        id: Set(g.id),
        platform_id: Set(g.platform_id),
        name: Set(g.name),
        kind: Set(g.kind),
        focus_area: Set(g.focus_area),
        industry: Set(g.industry),
        period_start: Set(g.period_start),
        period_end: Set(g.period_end),
    };
    group::Entity::insert(row)
        .exec_with_returning(conn)
        .await
        .map_err(|e| StoreError::from_insert("group", "a group with this id", e))
}

/// A platform's groups, by name.
pub async fn groups_of(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
) -> Result<Vec<Group>, StoreError> {
    group::Entity::find()
        .filter(group::Column::PlatformId.eq(platform_id))
        .order_by_asc(group::Column::Name)
        .order_by_asc(group::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(group_from_row)
        .collect()
}

fn group_from_row(g: GroupRow) -> Result<Group, StoreError> {
    let corrupt = |e: broker_domain::DomainError| StoreError::corrupt("group", e);
    Ok(Group {
        id: g.id,
        platform_id: g.platform_id,
        kind: GroupKind::parse(&g.kind).map_err(corrupt)?,
        name: Name::parse(&g.name).map_err(corrupt)?,
        focus_area: g
            .focus_area
            .as_deref()
            .map(FocusArea::parse)
            .transpose()
            .map_err(corrupt)?,
        industry: g
            .industry
            .as_deref()
            .map(Name::parse)
            .transpose()
            .map_err(corrupt)?,
        period: Period {
            start: g.period_start,
            end: g.period_end,
        },
    })
}

/// Stores a validated group.
pub async fn create_group(conn: &impl ConnectionTrait, g: &Group) -> Result<Group, StoreError> {
    let row = insert_group(
        conn,
        GroupRow {
            id: g.id,
            platform_id: g.platform_id,
            name: g.name.as_str().to_owned(),
            kind: g.kind.as_str().to_owned(),
            focus_area: g.focus_area.map(|f| f.as_str().to_owned()),
            industry: g.industry.as_ref().map(|i| i.as_str().to_owned()),
            period_start: g.period.start,
            period_end: g.period.end,
        },
    )
    .await?;
    group_from_row(row)
}

pub async fn get_group(conn: &impl ConnectionTrait, id: Uuid) -> Result<Group, StoreError> {
    group::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("group"))
        .and_then(group_from_row)
}

/// Groups of the given platforms (all platforms when `None`), optionally only those whose period
/// contains `active_on`, of one kind; ordered by period (newest first), then name.
pub async fn list_groups(
    conn: &impl ConnectionTrait,
    platforms: Option<&[Uuid]>,
    kind: Option<GroupKind>,
    active_on: Option<NaiveDate>,
) -> Result<Vec<Group>, StoreError> {
    let mut cond = Condition::all();
    if let Some(p) = platforms {
        cond = cond.add(group::Column::PlatformId.is_in(p.iter().copied()));
    }
    if let Some(k) = kind {
        cond = cond.add(group::Column::Kind.eq(k.as_str()));
    }
    if let Some(day) = active_on {
        cond = cond.add(group::Column::PeriodStart.lte(day)).add(
            Condition::any()
                .add(group::Column::PeriodEnd.is_null())
                .add(group::Column::PeriodEnd.gte(day)),
        );
    }
    group::Entity::find()
        .filter(cond)
        .order_by_desc(group::Column::PeriodStart)
        .order_by_asc(group::Column::Name)
        .order_by_asc(group::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(group_from_row)
        .collect()
}

// ---------- memberships ----------

async fn insert_membership(
    conn: &impl ConnectionTrait,
    m: MembershipRow,
) -> Result<MembershipRow, StoreError> {
    let row = membership::ActiveModel {
        id: Set(m.id),
        group_id: Set(m.group_id),
        person_id: Set(m.person_id),
        organisation_id: Set(m.organisation_id),
        role: Set(m.role),
        mandate_given: Set(m.mandate_given),
        member_from: Set(m.member_from),
        member_until: Set(m.member_until),
    };
    membership::Entity::insert(row)
        .exec_with_returning(conn)
        .await
        .map_err(|e| StoreError::from_insert("membership", "a membership with this id", e))
}

async fn members_of(
    conn: &impl ConnectionTrait,
    group_id: Uuid,
) -> Result<Vec<MembershipRow>, StoreError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::GroupId.eq(group_id))
        .order_by_asc(membership::Column::MemberFrom)
        .order_by_asc(membership::Column::Id)
        .all(conn)
        .await?)
}

fn membership_from_row(m: MembershipRow) -> Result<Membership, StoreError> {
    Ok(Membership {
        id: m.id,
        group_id: m.group_id,
        person_id: m.person_id,
        organisation_id: m.organisation_id,
        role: Name::parse(&m.role).map_err(|e| StoreError::corrupt("membership", e))?,
        mandate_given: m.mandate_given,
        member_from: m.member_from,
        member_until: m.member_until,
    })
}

/// Stores a validated membership.
pub async fn add_membership(
    conn: &impl ConnectionTrait,
    m: &Membership,
) -> Result<Membership, StoreError> {
    let row = insert_membership(
        conn,
        MembershipRow {
            id: m.id,
            group_id: m.group_id,
            person_id: m.person_id,
            organisation_id: m.organisation_id,
            role: m.role.as_str().to_owned(),
            mandate_given: m.mandate_given,
            member_from: m.member_from,
            member_until: m.member_until,
        },
    )
    .await?;
    membership_from_row(row)
}

/// A group's memberships, earliest first; only those holding on `active_on` when given.
pub async fn memberships_of(
    conn: &impl ConnectionTrait,
    group_id: Uuid,
    active_on: Option<NaiveDate>,
) -> Result<Vec<Membership>, StoreError> {
    Ok(members_of(conn, group_id)
        .await?
        .into_iter()
        .map(membership_from_row)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|m| active_on.is_none_or(|day| m.is_active_on(day)))
        .collect())
}

pub async fn get_membership(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Membership, StoreError> {
    membership::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("membership"))
        .and_then(membership_from_row)
}

/// Records the end of a membership that is still open; a concurrent end is a conflict.
pub async fn end_membership(
    conn: &impl ConnectionTrait,
    ended: &Membership,
) -> Result<Membership, StoreError> {
    let res = membership::Entity::update_many()
        .col_expr(
            membership::Column::MemberUntil,
            Expr::value(ended.member_until),
        )
        .filter(membership::Column::Id.eq(ended.id))
        .filter(membership::Column::MemberUntil.is_null())
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::Conflict {
            entity: "membership",
            reason: "it has ended already".to_owned(),
        });
    }
    get_membership(conn, ended.id).await
}

/// Memberships in any group of `platform_id` held on `day` by the person or on behalf of the
/// organisation, with the group each belongs to. Used to decide what a member may see and do.
pub async fn memberships_held(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    person_id: Option<Uuid>,
    organisation_id: Option<Uuid>,
    day: NaiveDate,
) -> Result<Vec<(Membership, Group)>, StoreError> {
    if person_id.is_none() && organisation_id.is_none() {
        return Ok(Vec::new());
    }
    let mut who = Condition::any();
    if let Some(p) = person_id {
        who = who.add(membership::Column::PersonId.eq(p));
    }
    if let Some(o) = organisation_id {
        who = who.add(membership::Column::OrganisationId.eq(o));
    }
    let groups = list_groups(conn, Some(&[platform_id]), None, None).await?;
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let rows = membership::Entity::find()
        .filter(who)
        .filter(membership::Column::GroupId.is_in(groups.iter().map(|g| g.id)))
        .order_by_asc(membership::Column::Id)
        .all(conn)
        .await?;
    let mut held = Vec::new();
    for row in rows {
        let m = membership_from_row(row)?;
        if let Some(g) = groups.iter().find(|g| g.id == m.group_id)
            && m.is_active_on(day)
        {
            held.push((m, g.clone()));
        }
    }
    Ok(held)
}

// ---------- proposals ----------

/// A new proposal (starts as a draft).
#[derive(Debug, Clone)]
pub struct NewProposal {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub spec: ProposalSpec,
}

/// A proposal with its bookkeeping.
#[derive(Debug, Clone)]
pub struct ProposalRecord {
    pub proposal: Proposal,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the proposal's actions recorded, kept in the `detail` column.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ProposalState {
    #[serde(default)]
    decision: Option<StoredDecision>,
    #[serde(default)]
    responsible_organisation_id: Option<Uuid>,
    #[serde(default)]
    declined_by: Vec<Uuid>,
    #[serde(default)]
    effects: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredDecision {
    go: bool,
    decided_by: String,
    decided_by_group_id: Option<Uuid>,
    decided_on: NaiveDate,
    rationale: Option<String>,
}

fn proposal_state(p: &Proposal) -> serde_json::Value {
    let state = ProposalState {
        decision: p.decision.as_ref().map(|d| StoredDecision {
            go: d.go,
            decided_by: d.decided_by.as_str().to_owned(),
            decided_by_group_id: d.decided_by_group_id,
            decided_on: d.decided_on,
            rationale: d.rationale.as_ref().map(|r| r.as_str().to_owned()),
        }),
        responsible_organisation_id: p.responsible_organisation_id,
        declined_by: p.declined_by.clone(),
        effects: p.effects.as_ref().map(|e| e.as_str().to_owned()),
    };
    serde_json::to_value(state).unwrap_or_else(|_| serde_json::json!({}))
}

fn proposal_record(
    row: proposal::Model,
    gaps: Vec<proposal_gap_entry::Model>,
) -> Result<ProposalRecord, StoreError> {
    let corrupt = |e: broker_domain::DomainError| StoreError::corrupt("proposal", e);
    let state: ProposalState = serde_json::from_value(row.detail.clone())
        .map_err(|e| StoreError::corrupt("proposal", e))?;
    let decision = state
        .decision
        .map(|d| -> Result<ProposalDecision, StoreError> {
            Ok(ProposalDecision {
                go: d.go,
                decided_by: Name::parse(&d.decided_by).map_err(corrupt)?,
                decided_by_group_id: d.decided_by_group_id,
                decided_on: d.decided_on,
                rationale: d
                    .rationale
                    .as_deref()
                    .map(LongText::parse)
                    .transpose()
                    .map_err(corrupt)?,
            })
        })
        .transpose()?;
    let mut gap_entries = gaps
        .into_iter()
        .map(|g| GapEntry::parse(g.competence_id, &g.area).map_err(corrupt))
        .collect::<Result<Vec<_>, _>>()?;
    gap_entries.sort();
    Ok(ProposalRecord {
        proposal: Proposal {
            id: row.id,
            platform_id: row.platform_id,
            group_id: row.group_id,
            title: Name::parse(&row.title).map_err(corrupt)?,
            description: row
                .description
                .as_deref()
                .map(LongText::parse)
                .transpose()
                .map_err(corrupt)?,
            status: ProposalStatus::parse(&row.status).map_err(corrupt)?,
            need_ids: super::uuid_list(&row.need_ids),
            gap_entries,
            responsible_organisation_id: state.responsible_organisation_id,
            declined_by: state.declined_by,
            decision,
            effects: state
                .effects
                .as_deref()
                .map(LongText::parse)
                .transpose()
                .map_err(corrupt)?,
            version: row.version,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn with_gaps(
    conn: &impl ConnectionTrait,
    rows: Vec<proposal::Model>,
) -> Result<Vec<ProposalRecord>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut gaps = proposal_gap_entry::Entity::find()
        .filter(proposal_gap_entry::Column::ProposalId.is_in(rows.iter().map(|r| r.id)))
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let (mine, rest): (Vec<_>, Vec<_>) =
                gaps.drain(..).partition(|g| g.proposal_id == row.id);
            gaps = rest;
            proposal_record(row, mine)
        })
        .collect()
}

/// Inserts a draft with its gap entries. Call inside a transaction.
pub async fn insert_proposal(
    conn: &impl ConnectionTrait,
    p: &NewProposal,
) -> Result<ProposalRecord, StoreError> {
    let now = Utc::now();
    let row = proposal::ActiveModel {
        id: Set(p.id),
        platform_id: Set(p.platform_id),
        group_id: Set(p.group_id),
        title: Set(p.spec.title.as_str().to_owned()),
        description: Set(p.spec.description.as_ref().map(|d| d.as_str().to_owned())),
        status: Set(ProposalStatus::Draft.as_str().to_owned()),
        need_ids: Set(super::json_list(&p.spec.need_ids)),
        detail: Set(serde_json::to_value(ProposalState::default())
            .unwrap_or_else(|_| serde_json::json!({}))),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    proposal::Entity::insert(row)
        .exec(conn)
        .await
        .map_err(|e| StoreError::from_insert("proposal", "a proposal with this id", e))?;
    let gaps: Vec<_> = p
        .spec
        .gap_entries
        .iter()
        .map(|g| proposal_gap_entry::ActiveModel {
            proposal_id: Set(p.id),
            competence_id: Set(g.competence_id),
            area: Set(g.area.clone()),
        })
        .collect();
    if !gaps.is_empty() {
        proposal_gap_entry::Entity::insert_many(gaps)
            .exec(conn)
            .await
            .map_err(|e| StoreError::from_insert("proposal", "gap entry", e))?;
    }
    get_proposal(conn, p.id).await
}

pub async fn get_proposal(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<ProposalRecord, StoreError> {
    let row = proposal::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("proposal"))?;
    with_gaps(conn, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::not_found("proposal"))
}

/// Filters for listing proposals; `scope_platforms` restricts to what the caller may read.
#[derive(Debug, Clone, Default)]
pub struct ProposalFilter {
    pub scope_platforms: Option<Vec<Uuid>>,
    pub platform: Option<Uuid>,
    pub group: Option<Uuid>,
    pub statuses: Vec<String>,
}

/// Proposals matching the filter, oldest first (ties by id).
pub async fn list_proposals(
    conn: &impl ConnectionTrait,
    f: &ProposalFilter,
    limit: u64,
    offset: u64,
) -> Result<Page<ProposalRecord>, StoreError> {
    let mut cond = Condition::all();
    if let Some(p) = &f.scope_platforms {
        cond = cond.add(proposal::Column::PlatformId.is_in(p.clone()));
    }
    if let Some(p) = f.platform {
        cond = cond.add(proposal::Column::PlatformId.eq(p));
    }
    if let Some(g) = f.group {
        cond = cond.add(proposal::Column::GroupId.eq(g));
    }
    if !f.statuses.is_empty() {
        cond = cond.add(proposal::Column::Status.is_in(f.statuses.clone()));
    }
    let select = proposal::Entity::find()
        .filter(cond)
        .order_by_asc(proposal::Column::CreatedAt)
        .order_by_asc(proposal::Column::Id);
    let page = super::paginate(conn, select, limit, offset).await?;
    Ok(Page {
        items: with_gaps(conn, page.items).await?,
        total: page.total,
    })
}

/// Stores a proposal after the domain applied `action` to it (`after`, moved from `from`), when
/// the stored version is still `seen_version`; bumps the version and appends an event with
/// `event_detail`. Call inside a transaction.
pub async fn save_proposal_action(
    conn: &impl ConnectionTrait,
    seen_version: i32,
    from: ProposalStatus,
    after: &Proposal,
    action: ProposalAction,
    event_detail: serde_json::Value,
    actor: &str,
) -> Result<ProposalRecord, StoreError> {
    let now = Utc::now();
    let res = proposal::Entity::update_many()
        .col_expr(proposal::Column::Status, Expr::value(after.status.as_str()))
        .col_expr(proposal::Column::Title, Expr::value(after.title.as_str()))
        .col_expr(
            proposal::Column::Description,
            Expr::value(after.description.as_ref().map(|d| d.as_str().to_owned())),
        )
        .col_expr(proposal::Column::Detail, Expr::value(proposal_state(after)))
        .col_expr(proposal::Column::Version, Expr::value(seen_version + 1))
        .col_expr(proposal::Column::UpdatedAt, Expr::value(now))
        .filter(proposal::Column::Id.eq(after.id))
        .filter(proposal::Column::Version.eq(seen_version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        let current = get_proposal(conn, after.id).await?;
        return Err(StoreError::stale("proposal", current.proposal.version));
    }
    proposal_event::Entity::insert(proposal_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        proposal_id: Set(after.id),
        action: Set(action.as_str().to_owned()),
        from_status: Set(from.as_str().to_owned()),
        to_status: Set(after.status.as_str().to_owned()),
        detail: Set(event_detail),
        actor: Set(actor.to_owned()),
        at: Set(now),
    })
    .exec(conn)
    .await?;
    get_proposal(conn, after.id).await
}

pub async fn proposal_events(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<ProposalEvent>, StoreError> {
    let corrupt = |e: broker_domain::DomainError| StoreError::corrupt("proposal event", e);
    proposal_event::Entity::find()
        .filter(proposal_event::Column::ProposalId.eq(id))
        .order_by_asc(proposal_event::Column::At)
        .order_by_asc(proposal_event::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|e| {
            Ok(ProposalEvent {
                action: ProposalAction::parse(&e.action).map_err(corrupt)?,
                from: ProposalStatus::parse(&e.from_status).map_err(corrupt)?,
                to: ProposalStatus::parse(&e.to_status).map_err(corrupt)?,
                detail: e.detail,
                actor: e.actor,
                at: e.at,
            })
        })
        .collect()
}

// ---------- recommendations ----------

/// A new recommendation (starts as `given`).
#[derive(Debug, Clone)]
pub struct NewRecommendation {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub proposal_id: Option<Uuid>,
    pub addressee: Addressee,
    pub text: LongText,
}

/// A recommendation and where its follow-up stands.
#[derive(Debug, Clone)]
pub struct RecommendationRecord {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub proposal_id: Option<Uuid>,
    pub addressee: Addressee,
    pub text: String,
    pub status: RecommendationStatus,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn recommendation_record(r: recommendation::Model) -> Result<RecommendationRecord, StoreError> {
    let corrupt = |e: broker_domain::DomainError| StoreError::corrupt("recommendation", e);
    Ok(RecommendationRecord {
        id: r.id,
        platform_id: r.platform_id,
        group_id: r.group_id,
        proposal_id: r.proposal_id,
        addressee: Addressee {
            organisation_id: r.addressee_organisation_id,
            person_id: r.addressee_person_id,
            name: Name::parse(&r.addressee).map_err(corrupt)?,
        },
        text: r.text,
        status: RecommendationStatus::parse(&r.status).map_err(corrupt)?,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

pub async fn insert_recommendation(
    conn: &impl ConnectionTrait,
    r: &NewRecommendation,
) -> Result<RecommendationRecord, StoreError> {
    let now = Utc::now();
    let row = recommendation::ActiveModel {
        id: Set(r.id),
        platform_id: Set(r.platform_id),
        proposal_id: Set(r.proposal_id),
        addressee: Set(r.addressee.name.as_str().to_owned()),
        text: Set(r.text.as_str().to_owned()),
        status: Set(RecommendationStatus::Given.as_str().to_owned()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        group_id: Set(r.group_id),
        addressee_organisation_id: Set(r.addressee.organisation_id),
        addressee_person_id: Set(r.addressee.person_id),
    };
    recommendation::Entity::insert(row)
        .exec_with_returning(conn)
        .await
        .map_err(|e| StoreError::from_insert("recommendation", "a recommendation with this id", e))
        .and_then(recommendation_record)
}

pub async fn get_recommendation(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<RecommendationRecord, StoreError> {
    recommendation::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("recommendation"))
        .and_then(recommendation_record)
}

/// Filters for listing recommendations.
#[derive(Debug, Clone, Default)]
pub struct RecommendationFilter {
    pub scope_platforms: Option<Vec<Uuid>>,
    pub platform: Option<Uuid>,
    pub group: Option<Uuid>,
    pub proposal: Option<Uuid>,
    pub addressee_organisation: Option<Uuid>,
    pub statuses: Vec<String>,
}

/// Recommendations matching the filter, oldest first.
pub async fn list_recommendations(
    conn: &impl ConnectionTrait,
    f: &RecommendationFilter,
    limit: u64,
    offset: u64,
) -> Result<Page<RecommendationRecord>, StoreError> {
    let mut cond = Condition::all();
    if let Some(p) = &f.scope_platforms {
        cond = cond.add(recommendation::Column::PlatformId.is_in(p.clone()));
    }
    if let Some(p) = f.platform {
        cond = cond.add(recommendation::Column::PlatformId.eq(p));
    }
    if let Some(g) = f.group {
        cond = cond.add(recommendation::Column::GroupId.eq(g));
    }
    if let Some(p) = f.proposal {
        cond = cond.add(recommendation::Column::ProposalId.eq(p));
    }
    if let Some(o) = f.addressee_organisation {
        cond = cond.add(recommendation::Column::AddresseeOrganisationId.eq(o));
    }
    if !f.statuses.is_empty() {
        cond = cond.add(recommendation::Column::Status.is_in(f.statuses.clone()));
    }
    let select = recommendation::Entity::find()
        .filter(cond)
        .order_by_asc(recommendation::Column::CreatedAt)
        .order_by_asc(recommendation::Column::Id);
    let page = super::paginate(conn, select, limit, offset).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(recommendation_record)
            .collect::<Result<_, _>>()?,
        total: page.total,
    })
}

/// Moves a recommendation's follow-up along when `seen_version` is current, with an event
/// carrying the note. Returns the state before and after. Call inside a transaction.
pub async fn follow_up_recommendation(
    conn: &impl ConnectionTrait,
    id: Uuid,
    seen_version: i32,
    action: RecommendationAction,
    note: Option<&str>,
    actor: &str,
) -> Result<(RecommendationRecord, RecommendationRecord), StoreError> {
    let before = get_recommendation(conn, id).await?;
    if before.version != seen_version {
        return Err(StoreError::stale("recommendation", before.version));
    }
    let to = before.status.transition(action)?;
    let now = Utc::now();
    let res = recommendation::Entity::update_many()
        .col_expr(recommendation::Column::Status, Expr::value(to.as_str()))
        .col_expr(
            recommendation::Column::Version,
            Expr::value(seen_version + 1),
        )
        .col_expr(recommendation::Column::UpdatedAt, Expr::value(now))
        .filter(recommendation::Column::Id.eq(id))
        .filter(recommendation::Column::Version.eq(seen_version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        let current = get_recommendation(conn, id).await?;
        return Err(StoreError::stale("recommendation", current.version));
    }
    recommendation_event::Entity::insert(recommendation_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        recommendation_id: Set(id),
        action: Set(action.as_str().to_owned()),
        from_status: Set(before.status.as_str().to_owned()),
        to_status: Set(to.as_str().to_owned()),
        note: Set(note.map(str::to_owned)),
        actor: Set(actor.to_owned()),
        at: Set(now),
    })
    .exec(conn)
    .await?;
    Ok((before, get_recommendation(conn, id).await?))
}

pub async fn recommendation_events(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<RecommendationEvent>, StoreError> {
    let corrupt = |e: broker_domain::DomainError| StoreError::corrupt("recommendation event", e);
    recommendation_event::Entity::find()
        .filter(recommendation_event::Column::RecommendationId.eq(id))
        .order_by_asc(recommendation_event::Column::At)
        .order_by_asc(recommendation_event::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|e| {
            Ok(RecommendationEvent {
                action: RecommendationAction::parse(&e.action).map_err(corrupt)?,
                from: RecommendationStatus::parse(&e.from_status).map_err(corrupt)?,
                to: RecommendationStatus::parse(&e.to_status).map_err(corrupt)?,
                note: e.note,
                actor: e.actor,
                at: e.at,
            })
        })
        .collect()
}

// ---------- meetings ----------

/// A meeting (network or broker meeting, forum workshop) with participants and agenda items.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub kind: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub participants: serde_json::Value,
    pub agenda: serde_json::Value,
}

pub(crate) async fn insert_meeting(
    conn: &impl ConnectionTrait,
    m: NewMeeting,
) -> Result<MeetingRow, StoreError> {
    let row = meeting::ActiveModel {
        id: Set(m.id),
        platform_id: Set(m.platform_id),
        group_id: Set(m.group_id),
        kind: Set(m.kind),
        title: Set(m.title),
        held_on: Set(m.held_on),
        participants: Set(m.participants),
        agenda: Set(m.agenda),
        created_at: Set(Utc::now()),
    };
    meeting::Entity::insert(row)
        .exec_with_returning(conn)
        .await
        .map_err(|e| StoreError::from_insert("meeting", "a meeting with this id", e))
}
