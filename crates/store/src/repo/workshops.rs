//! Forum workshops: meetings of kind `workshop`, their participants, and the input they gave on
//! the proposals they discussed.

use broker_domain::forum::MeetingKind;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::forum::{self, NewMeeting};
use crate::entity::{meeting, workshop_input};
use crate::{Page, StoreError};

/// What a workshop said about a proposal it discussed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkshopInput {
    pub id: Uuid,
    pub workshop_id: Uuid,
    pub proposal_id: Uuid,
    pub input: String,
    pub given_by: String,
    pub at: chrono::DateTime<Utc>,
}

impl From<workshop_input::Model> for WorkshopInput {
    fn from(m: workshop_input::Model) -> Self {
        Self {
            id: m.id,
            workshop_id: m.meeting_id,
            proposal_id: m.proposal_id,
            input: m.input,
            given_by: m.given_by,
            at: m.at,
        }
    }
}

/// Someone who took part, on behalf of an organisation when they had one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub person_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    pub name: String,
    /// The part they played; workshops stored before roles were kept have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A workshop to record.
#[derive(Debug, Clone)]
pub struct NewWorkshop {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub title: String,
    pub held_on: NaiveDate,
    pub participants: Vec<Participant>,
}

/// A stored workshop.
#[derive(Debug, Clone)]
pub struct WorkshopRecord {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub title: String,
    pub held_on: NaiveDate,
    pub participants: Vec<Participant>,
    pub created_at: DateTime<Utc>,
}

fn record(m: meeting::Model) -> Result<WorkshopRecord, StoreError> {
    let participants =
        serde_json::from_value(m.participants).map_err(|e| StoreError::corrupt("workshop", e))?;
    Ok(WorkshopRecord {
        id: m.id,
        platform_id: m.platform_id,
        group_id: m.group_id,
        title: m.title,
        held_on: m.held_on,
        participants,
        created_at: m.created_at,
    })
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    w: &NewWorkshop,
) -> Result<WorkshopRecord, StoreError> {
    let participants =
        serde_json::to_value(&w.participants).map_err(|e| StoreError::corrupt("workshop", e))?;
    let row = forum::insert_meeting(
        conn,
        NewMeeting {
            id: w.id,
            platform_id: w.platform_id,
            group_id: w.group_id,
            kind: MeetingKind::Workshop.as_str().to_owned(),
            title: w.title.clone(),
            held_on: w.held_on,
            participants,
            agenda: serde_json::json!([]),
        },
    )
    .await?;
    record(row)
}

/// A workshop by id; other kinds of meeting are not workshops and so not found.
pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<WorkshopRecord, StoreError> {
    meeting::Entity::find_by_id(id)
        .filter(meeting::Column::Kind.eq(MeetingKind::Workshop.as_str()))
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("workshop"))
        .and_then(record)
}

/// Workshops of the given platforms (all when `None`), newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    platforms: Option<&[Uuid]>,
    limit: u64,
    offset: u64,
) -> Result<Page<WorkshopRecord>, StoreError> {
    let mut cond = Condition::all().add(meeting::Column::Kind.eq(MeetingKind::Workshop.as_str()));
    if let Some(p) = platforms {
        cond = cond.add(meeting::Column::PlatformId.is_in(p.iter().copied()));
    }
    let select = meeting::Entity::find()
        .filter(cond)
        .order_by_desc(meeting::Column::HeldOn)
        .order_by_asc(meeting::Column::Id);
    let page = super::paginate(conn, select, limit, offset).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(record)
            .collect::<Result<_, _>>()?,
        total: page.total,
    })
}

/// Records the input a workshop gave on a proposal. Call in the transaction that moves the
/// proposal to `discussed`.
pub async fn add_input(
    conn: &impl ConnectionTrait,
    workshop_id: Uuid,
    proposal_id: Uuid,
    input: &str,
    given_by: &str,
) -> Result<WorkshopInput, StoreError> {
    let given = WorkshopInput {
        id: Uuid::now_v7(),
        workshop_id,
        proposal_id,
        input: input.to_owned(),
        given_by: given_by.to_owned(),
        at: Utc::now(),
    };
    workshop_input::Entity::insert(workshop_input::ActiveModel {
        id: Set(given.id),
        meeting_id: Set(given.workshop_id),
        proposal_id: Set(given.proposal_id),
        input: Set(given.input.clone()),
        given_by: Set(given.given_by.clone()),
        at: Set(given.at),
    })
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("workshop input", "this input", e))?;
    Ok(given)
}

/// Input given at a workshop, or on a proposal, in the order it was given.
pub async fn inputs(
    conn: &impl ConnectionTrait,
    workshop_id: Option<Uuid>,
    proposal_id: Option<Uuid>,
) -> Result<Vec<WorkshopInput>, StoreError> {
    let mut cond = Condition::all();
    if let Some(w) = workshop_id {
        cond = cond.add(workshop_input::Column::MeetingId.eq(w));
    }
    if let Some(p) = proposal_id {
        cond = cond.add(workshop_input::Column::ProposalId.eq(p));
    }
    Ok(workshop_input::Entity::find()
        .filter(cond)
        .order_by_asc(workshop_input::Column::At)
        .order_by_asc(workshop_input::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(WorkshopInput::from)
        .collect())
}
