//! Groups and memberships (local competence councils, the forum's bodies), proposals (tiltak)
//! with their event history, recommendations and meetings.

use broker_domain::forum::{ProposalAction, ProposalStatus};
use broker_domain::lifecycle::Lifecycle;
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::StoreError;
use crate::entity::{group, meeting, membership, proposal, proposal_event, recommendation};

pub use crate::entity::group::Model as GroupRow;
pub use crate::entity::meeting::Model as MeetingRow;
pub use crate::entity::membership::Model as MembershipRow;
pub use crate::entity::proposal::Model as ProposalRow;
pub use crate::entity::proposal_event::Model as ProposalEventRow;
pub use crate::entity::recommendation::Model as RecommendationRow;

pub async fn insert_group(
    conn: &impl ConnectionTrait,
    g: GroupRow,
) -> Result<GroupRow, StoreError> {
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

pub async fn groups_of(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
) -> Result<Vec<GroupRow>, StoreError> {
    Ok(group::Entity::find()
        .filter(group::Column::PlatformId.eq(platform_id))
        .order_by_asc(group::Column::Name)
        .order_by_asc(group::Column::Id)
        .all(conn)
        .await?)
}

pub async fn insert_membership(
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

pub async fn members_of(
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

/// A new proposal (starts as a draft).
#[derive(Debug, Clone)]
pub struct NewProposal {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub need_ids: Vec<Uuid>,
}

pub async fn insert_proposal(
    conn: &impl ConnectionTrait,
    p: NewProposal,
) -> Result<ProposalRow, StoreError> {
    let now = Utc::now();
    let row = proposal::ActiveModel {
        id: Set(p.id),
        platform_id: Set(p.platform_id),
        group_id: Set(p.group_id),
        title: Set(p.title),
        description: Set(p.description),
        status: Set(ProposalStatus::Draft.as_str().to_owned()),
        need_ids: Set(super::json_list(&p.need_ids)),
        detail: Set(serde_json::json!({})),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    proposal::Entity::insert(row)
        .exec_with_returning(conn)
        .await
        .map_err(|e| StoreError::from_insert("proposal", "a proposal with this id", e))
}

pub async fn get_proposal(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<ProposalRow, StoreError> {
    proposal::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("proposal"))
}

pub async fn proposals_of(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
) -> Result<Vec<ProposalRow>, StoreError> {
    Ok(proposal::Entity::find()
        .filter(proposal::Column::PlatformId.eq(platform_id))
        .order_by_asc(proposal::Column::CreatedAt)
        .order_by_asc(proposal::Column::Id)
        .all(conn)
        .await?)
}

/// Moves a proposal along its lifecycle, storing the action's detail (workshop input, decision,
/// responsible organisation, effects) and an event. Refuses illegal moves and stale versions.
pub async fn apply_proposal_action(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: i32,
    action: ProposalAction,
    detail: serde_json::Value,
    actor: &str,
) -> Result<ProposalRow, StoreError> {
    let current = get_proposal(conn, id).await?;
    if current.version != expected_version {
        return Err(StoreError::Conflict {
            entity: "proposal",
            reason: format!(
                "it is now version {}; reload and try again",
                current.version
            ),
        });
    }
    let from =
        ProposalStatus::parse(&current.status).map_err(|e| StoreError::corrupt("proposal", e))?;
    let to = from.transition(action)?;
    let mut merged = current.detail.clone();
    if let (Some(m), serde_json::Value::Object(d)) = (merged.as_object_mut(), &detail) {
        m.insert(
            action.as_str().to_owned(),
            serde_json::Value::Object(d.clone()),
        );
    }
    let now = Utc::now();
    let res = proposal::Entity::update_many()
        .col_expr(proposal::Column::Status, Expr::value(to.as_str()))
        .col_expr(proposal::Column::Detail, Expr::value(merged))
        .col_expr(proposal::Column::Version, Expr::value(current.version + 1))
        .col_expr(proposal::Column::UpdatedAt, Expr::value(now))
        .filter(proposal::Column::Id.eq(id))
        .filter(proposal::Column::Version.eq(current.version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::Conflict {
            entity: "proposal",
            reason: "changed at the same moment; reload and try again".to_owned(),
        });
    }
    proposal_event::Entity::insert(proposal_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        proposal_id: Set(id),
        action: Set(action.as_str().to_owned()),
        from_status: Set(from.as_str().to_owned()),
        to_status: Set(to.as_str().to_owned()),
        detail: Set(detail),
        actor: Set(actor.to_owned()),
        at: Set(now),
    })
    .exec(conn)
    .await?;
    get_proposal(conn, id).await
}

pub async fn proposal_events(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<ProposalEventRow>, StoreError> {
    Ok(proposal_event::Entity::find()
        .filter(proposal_event::Column::ProposalId.eq(id))
        .order_by_asc(proposal_event::Column::At)
        .order_by_asc(proposal_event::Column::Id)
        .all(conn)
        .await?)
}

pub async fn insert_recommendation(
    conn: &impl ConnectionTrait,
    r: RecommendationRow,
) -> Result<RecommendationRow, StoreError> {
    let row = recommendation::ActiveModel {
        id: Set(r.id),
        platform_id: Set(r.platform_id),
        proposal_id: Set(r.proposal_id),
        addressee: Set(r.addressee),
        text: Set(r.text),
        status: Set(r.status),
        version: Set(r.version),
        created_at: Set(r.created_at),
        updated_at: Set(r.updated_at),
    };
    recommendation::Entity::insert(row)
        .exec_with_returning(conn)
        .await
        .map_err(|e| StoreError::from_insert("recommendation", "a recommendation with this id", e))
}

pub async fn recommendations_of(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
) -> Result<Vec<RecommendationRow>, StoreError> {
    Ok(recommendation::Entity::find()
        .filter(recommendation::Column::PlatformId.eq(platform_id))
        .order_by_asc(recommendation::Column::CreatedAt)
        .order_by_asc(recommendation::Column::Id)
        .all(conn)
        .await?)
}

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

pub async fn insert_meeting(
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

pub async fn meetings_of(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
) -> Result<Vec<MeetingRow>, StoreError> {
    Ok(meeting::Entity::find()
        .filter(meeting::Column::PlatformId.eq(platform_id))
        .order_by_desc(meeting::Column::HeldOn)
        .order_by_asc(meeting::Column::Id)
        .all(conn)
        .await?)
}
