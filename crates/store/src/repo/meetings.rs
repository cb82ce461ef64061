//! Network and broker meetings: the `meetings` row, its participants, agenda items with the
//! needs, course requests and decisions they discuss, and the minutes with the meeting's version.

use std::collections::HashMap;

use broker_domain::forum::MeetingKind;
use broker_domain::meeting::{
    AgendaItem, AgendaLink, AgendaLinkKind, MeetingDocument, MeetingMaterial, MeetingSpec,
    Participant,
};
use broker_domain::values::{Label, LongText, Name};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::entity::{
    meeting, meeting_agenda_item, meeting_agenda_link, meeting_material, meeting_minutes,
    meeting_participant,
};
use crate::repo::forum;
use crate::{Page, StoreError};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt("meeting", e)
}

/// A stored meeting.
#[derive(Debug, Clone)]
pub struct MeetingRecord {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub spec: MeetingSpec,
    /// Where it is held and its documents.
    pub material: MeetingMaterial,
    /// Send it back when changing the meeting.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
}

async fn write_children(
    conn: &impl ConnectionTrait,
    id: Uuid,
    spec: &MeetingSpec,
) -> Result<(), StoreError> {
    meeting_participant::Entity::delete_many()
        .filter(meeting_participant::Column::MeetingId.eq(id))
        .exec(conn)
        .await?;
    // Links go with their items (cascade).
    meeting_agenda_item::Entity::delete_many()
        .filter(meeting_agenda_item::Column::MeetingId.eq(id))
        .exec(conn)
        .await?;
    let participants: Vec<_> = spec
        .participants
        .iter()
        .enumerate()
        .map(|(i, p)| meeting_participant::ActiveModel {
            meeting_id: Set(id),
            position: Set(i16::try_from(i).unwrap_or(i16::MAX)),
            person_id: Set(p.person_id),
            organisation_id: Set(p.organisation_id),
            name: Set(p.name.as_ref().map(|n| n.as_str().to_owned())),
            role: Set(p.role.as_ref().map(|r| r.as_str().to_owned())),
        })
        .collect();
    if !participants.is_empty() {
        meeting_participant::Entity::insert_many(participants)
            .exec(conn)
            .await
            .map_err(|e| StoreError::from_insert("meeting", "participant", e))?;
    }
    for (i, item) in spec.agenda.iter().enumerate() {
        let item_id = Uuid::now_v7();
        meeting_agenda_item::Entity::insert(meeting_agenda_item::ActiveModel {
            id: Set(item_id),
            meeting_id: Set(id),
            position: Set(i16::try_from(i).unwrap_or(i16::MAX)),
            title: Set(item.title.as_str().to_owned()),
            outcome: Set(item.outcome.as_ref().map(|o| o.as_str().to_owned())),
        })
        .exec(conn)
        .await?;
        let links: Vec<_> = item
            .links
            .iter()
            .map(|l| meeting_agenda_link::ActiveModel {
                agenda_item_id: Set(item_id),
                kind: Set(l.kind.as_str().to_owned()),
                target_id: Set(l.target_id),
            })
            .collect();
        if !links.is_empty() {
            meeting_agenda_link::Entity::insert_many(links)
                .exec(conn)
                .await
                .map_err(|e| StoreError::from_insert("meeting", "agenda link", e))?;
        }
    }
    Ok(())
}

/// Inserts a meeting with its participants, agenda and minutes. Call inside a transaction.
pub async fn insert(
    conn: &impl ConnectionTrait,
    id: Uuid,
    platform_id: Uuid,
    spec: &MeetingSpec,
    actor: &str,
) -> Result<MeetingRecord, StoreError> {
    // The JSON columns of `meetings` predate the participant and agenda tables; they stay empty
    // for meetings written here, and the tables are the record.
    forum::insert_meeting(
        conn,
        forum::NewMeeting {
            id,
            platform_id,
            group_id: spec.group_id,
            kind: spec.kind.as_str().to_owned(),
            title: spec.title.as_str().to_owned(),
            held_on: spec.held_on,
            participants: serde_json::json!([]),
            agenda: serde_json::json!([]),
        },
    )
    .await?;
    write_children(conn, id, spec).await?;
    meeting_minutes::Entity::insert(meeting_minutes::ActiveModel {
        meeting_id: Set(id),
        minutes: Set(spec.minutes.as_ref().map(|m| m.as_str().to_owned())),
        version: Set(1),
        updated_by: Set(actor.to_owned()),
        updated_at: Set(Utc::now()),
    })
    .exec(conn)
    .await?;
    get(conn, id).await
}

async fn to_records(
    conn: &impl ConnectionTrait,
    rows: Vec<meeting::Model>,
) -> Result<Vec<MeetingRecord>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut participants: HashMap<Uuid, Vec<meeting_participant::Model>> = HashMap::new();
    let mut items: HashMap<Uuid, Vec<meeting_agenda_item::Model>> = HashMap::new();
    let mut links: HashMap<Uuid, Vec<meeting_agenda_link::Model>> = HashMap::new();
    let mut minutes: HashMap<Uuid, meeting_minutes::Model> = HashMap::new();
    let mut materials: HashMap<Uuid, meeting_material::Model> = HashMap::new();
    for chunk in ids.chunks(500) {
        for m in meeting_material::Entity::find()
            .filter(meeting_material::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            materials.insert(m.id, m);
        }
        for p in meeting_participant::Entity::find()
            .filter(meeting_participant::Column::MeetingId.is_in(chunk.iter().copied()))
            .order_by_asc(meeting_participant::Column::Position)
            .all(conn)
            .await?
        {
            participants.entry(p.meeting_id).or_default().push(p);
        }
        let chunk_items = meeting_agenda_item::Entity::find()
            .filter(meeting_agenda_item::Column::MeetingId.is_in(chunk.iter().copied()))
            .order_by_asc(meeting_agenda_item::Column::Position)
            .all(conn)
            .await?;
        let item_ids: Vec<Uuid> = chunk_items.iter().map(|i| i.id).collect();
        for item_chunk in item_ids.chunks(500) {
            for l in meeting_agenda_link::Entity::find()
                .filter(meeting_agenda_link::Column::AgendaItemId.is_in(item_chunk.iter().copied()))
                .order_by_asc(meeting_agenda_link::Column::Kind)
                .order_by_asc(meeting_agenda_link::Column::TargetId)
                .all(conn)
                .await?
            {
                links.entry(l.agenda_item_id).or_default().push(l);
            }
        }
        for i in chunk_items {
            items.entry(i.meeting_id).or_default().push(i);
        }
        for m in meeting_minutes::Entity::find()
            .filter(meeting_minutes::Column::MeetingId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            minutes.insert(m.meeting_id, m);
        }
    }
    rows.into_iter()
        .map(|m| {
            let participants = participants
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|p| {
                    Ok(Participant {
                        person_id: p.person_id,
                        organisation_id: p.organisation_id,
                        name: p
                            .name
                            .as_deref()
                            .map(Name::parse)
                            .transpose()
                            .map_err(corrupt)?,
                        role: p
                            .role
                            .as_deref()
                            .map(Label::parse)
                            .transpose()
                            .map_err(corrupt)?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let agenda = items
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|i| {
                    Ok(AgendaItem {
                        title: Name::parse(&i.title).map_err(corrupt)?,
                        links: links
                            .remove(&i.id)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|l| {
                                Ok(AgendaLink {
                                    kind: AgendaLinkKind::parse(&l.kind).map_err(corrupt)?,
                                    target_id: l.target_id,
                                })
                            })
                            .collect::<Result<Vec<_>, StoreError>>()?,
                        outcome: i
                            .outcome
                            .as_deref()
                            .map(LongText::parse)
                            .transpose()
                            .map_err(corrupt)?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let notes = minutes.remove(&m.id);
            let material = materials
                .remove(&m.id)
                .map(material_of)
                .transpose()?
                .unwrap_or_default();
            Ok(MeetingRecord {
                material,
                id: m.id,
                platform_id: m.platform_id,
                spec: MeetingSpec {
                    kind: MeetingKind::parse(&m.kind).map_err(corrupt)?,
                    title: Name::parse(&m.title).map_err(corrupt)?,
                    held_on: m.held_on,
                    group_id: m.group_id,
                    participants,
                    agenda,
                    minutes: notes
                        .as_ref()
                        .and_then(|n| n.minutes.as_deref())
                        .map(LongText::parse)
                        .transpose()
                        .map_err(corrupt)?,
                },
                // A meeting written before the minutes table existed has never been changed.
                version: notes.as_ref().map_or(1, |n| n.version),
                created_at: m.created_at,
                updated_at: notes.as_ref().map(|n| n.updated_at),
                updated_by: notes.map(|n| n.updated_by),
            })
        })
        .collect()
}

fn material_of(m: meeting_material::Model) -> Result<MeetingMaterial, StoreError> {
    let documents = m
        .documents
        .as_ref()
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .map(|d| {
            let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or_default();
            Ok(MeetingDocument {
                title: Name::parse(text("title")).map_err(corrupt)?,
                url: broker_domain::values::WebUrl::parse(text("url")).map_err(corrupt)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(MeetingMaterial {
        place: m
            .place
            .as_deref()
            .map(Name::parse)
            .transpose()
            .map_err(corrupt)?,
        documents,
    })
}

/// Writes a meeting's place and documents (validated by the caller).
pub async fn set_material(
    conn: &impl ConnectionTrait,
    id: Uuid,
    material: &MeetingMaterial,
) -> Result<(), StoreError> {
    let documents: Vec<serde_json::Value> = material
        .documents
        .iter()
        .map(|d| serde_json::json!({"title": d.title.as_str(), "url": d.url.as_str()}))
        .collect();
    meeting_material::Entity::update_many()
        .col_expr(
            meeting_material::Column::Place,
            Expr::value(material.place.as_ref().map(|p| p.as_str().to_owned())),
        )
        .col_expr(
            meeting_material::Column::Documents,
            Expr::value(serde_json::Value::Array(documents)),
        )
        .filter(meeting_material::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<MeetingRecord, StoreError> {
    let row = meeting::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("meeting"))?;
    to_records(conn, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::not_found("meeting"))
}

/// Filters for listing meetings; `scope_platforms` restricts to a broker's platforms.
#[derive(Debug, Clone, Default)]
pub struct MeetingFilter {
    pub scope_platforms: Option<Vec<Uuid>>,
    pub platform: Option<Uuid>,
    pub kinds: Vec<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Meetings whose agenda discussed this object.
    pub discussed: Option<(AgendaLinkKind, Uuid)>,
}

/// Most recent first.
pub async fn list(
    conn: &impl ConnectionTrait,
    f: &MeetingFilter,
    limit: u64,
    offset: u64,
) -> Result<Page<MeetingRecord>, StoreError> {
    let mut cond = Condition::all();
    if let Some(p) = &f.scope_platforms {
        cond = cond.add(meeting::Column::PlatformId.is_in(p.clone()));
    }
    if let Some(p) = f.platform {
        cond = cond.add(meeting::Column::PlatformId.eq(p));
    }
    if !f.kinds.is_empty() {
        cond = cond.add(meeting::Column::Kind.is_in(f.kinds.clone()));
    }
    if let Some(d) = f.from {
        cond = cond.add(meeting::Column::HeldOn.gte(d));
    }
    if let Some(d) = f.to {
        cond = cond.add(meeting::Column::HeldOn.lte(d));
    }
    if let Some((kind, target)) = f.discussed {
        cond = cond.add(
            meeting::Column::Id.in_subquery(
                Query::select()
                    .column(meeting_agenda_item::Column::MeetingId)
                    .from(meeting_agenda_item::Entity)
                    .and_where(
                        meeting_agenda_item::Column::Id.in_subquery(
                            Query::select()
                                .column(meeting_agenda_link::Column::AgendaItemId)
                                .from(meeting_agenda_link::Entity)
                                .and_where(meeting_agenda_link::Column::Kind.eq(kind.as_str()))
                                .and_where(meeting_agenda_link::Column::TargetId.eq(target))
                                .to_owned(),
                        ),
                    )
                    .to_owned(),
            ),
        );
    }
    let select = meeting::Entity::find()
        .filter(cond)
        .order_by_desc(meeting::Column::HeldOn)
        .order_by_asc(meeting::Column::Id);
    let page = super::paginate(conn, select, limit, offset).await?;
    Ok(Page {
        items: to_records(conn, page.items).await?,
        total: page.total,
    })
}

/// Replaces a meeting's content when `expected_version` is current; bumps the version.
pub async fn replace(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: i32,
    spec: &MeetingSpec,
    actor: &str,
) -> Result<MeetingRecord, StoreError> {
    let current = get(conn, id).await?;
    if current.version != expected_version {
        return Err(StoreError::stale("meeting", current.version));
    }
    let now = Utc::now();
    let bumped = meeting_minutes::Entity::update_many()
        .col_expr(
            meeting_minutes::Column::Minutes,
            Expr::value(spec.minutes.as_ref().map(|m| m.as_str().to_owned())),
        )
        .col_expr(
            meeting_minutes::Column::Version,
            Expr::value(expected_version + 1),
        )
        .col_expr(meeting_minutes::Column::UpdatedBy, Expr::value(actor))
        .col_expr(meeting_minutes::Column::UpdatedAt, Expr::value(now))
        .filter(meeting_minutes::Column::MeetingId.eq(id))
        .filter(meeting_minutes::Column::Version.eq(expected_version))
        .exec(conn)
        .await?
        .rows_affected;
    if bumped == 0 {
        // No minutes row yet (a meeting written elsewhere): the insert is the version check,
        // a concurrent first change hits the primary key.
        meeting_minutes::Entity::insert(meeting_minutes::ActiveModel {
            meeting_id: Set(id),
            minutes: Set(spec.minutes.as_ref().map(|m| m.as_str().to_owned())),
            version: Set(expected_version + 1),
            updated_by: Set(actor.to_owned()),
            updated_at: Set(now),
        })
        .exec(conn)
        .await
        .map_err(|_| StoreError::stale("meeting", expected_version + 1))?;
    }
    meeting::Entity::update_many()
        .col_expr(meeting::Column::Kind, Expr::value(spec.kind.as_str()))
        .col_expr(meeting::Column::Title, Expr::value(spec.title.as_str()))
        .col_expr(meeting::Column::HeldOn, Expr::value(spec.held_on))
        .col_expr(meeting::Column::GroupId, Expr::value(spec.group_id))
        .filter(meeting::Column::Id.eq(id))
        .exec(conn)
        .await?;
    write_children(conn, id, spec).await?;
    get(conn, id).await
}
