//! Competence needs and their requirements.

use std::collections::HashMap;

use broker_domain::geo::MunicipalityCode;
use broker_domain::lifecycle::Lifecycle;
use broker_domain::need::{
    CompetenceRequirement, DeliveryPreference, Importance, Need, NeedAction, NeedPurpose, NeedSpec,
    NeedStatus,
};
use broker_domain::values::{EqfLevel, Headcount, Label, LongText, Name};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entity::{need, need_competence, need_event};
use crate::{Page, StoreError};

/// A need with where it is being brokered (`local`, `cluster` or `subregional`).
#[derive(Debug, Clone)]
pub struct NeedRecord {
    pub need: Need,
    pub escalation_level: String,
}

/// A need to insert: validated content plus routing decided by the caller.
#[derive(Debug, Clone)]
pub struct NewNeed {
    pub id: Uuid,
    pub spec: NeedSpec,
    pub platform_id: Uuid,
    pub entered_by: String,
    pub status: NeedStatus,
    pub expires_on: NaiveDate,
}

fn active_model(
    id: Uuid,
    spec: &NeedSpec,
    platform_id: Uuid,
    status: NeedStatus,
    expires_on: NaiveDate,
) -> need::ActiveModel {
    need::ActiveModel {
        id: Set(id),
        platform_id: Set(platform_id),
        municipality_code: Set(spec.municipality.as_str().to_owned()),
        employer_id: Set(spec.employer_id),
        title: Set(spec.title.as_str().to_owned()),
        description: Set(spec.description.as_ref().map(|d| d.as_str().to_owned())),
        purpose: Set(spec.purpose.as_str().to_owned()),
        headcount: Set(i32::try_from(spec.headcount.get()).unwrap_or(i32::MAX)),
        needed_by: Set(spec.needed_by),
        expires_on: Set(expires_on),
        wanted_level: Set(spec.wanted_level.map(|l| i16::from(l.get()))),
        occupation_id: Set(spec.occupation_id),
        delivery_on_site: Set(spec.delivery.on_site),
        delivery_distance: Set(spec.delivery.distance),
        delivery_part_time: Set(spec.delivery.part_time),
        support_tools: Set(super::support_tools::to_json(&spec.support_tools)),
        status: Set(status.as_str().to_owned()),
        ..Default::default()
    }
}

/// A need's competence rows as stored.
fn competence_rows(id: Uuid, spec: &NeedSpec) -> Vec<need_competence::Model> {
    spec.competences
        .iter()
        .enumerate()
        .map(|(i, c)| need_competence::Model {
            need_id: id,
            position: i16::try_from(i).unwrap_or(i16::MAX),
            concept_id: c.concept_id,
            label: c.label.as_str().to_owned(),
            importance: c.importance.as_str().to_owned(),
            level: c.level.map(|l| i16::from(l.get())),
        })
        .collect()
}

/// Inserts a new need's competence rows (one statement) and returns them.
async fn insert_competences(
    conn: &impl ConnectionTrait,
    id: Uuid,
    spec: &NeedSpec,
) -> Result<Vec<need_competence::Model>, StoreError> {
    let rows = competence_rows(id, spec);
    if !rows.is_empty() {
        need_competence::Entity::insert_many(rows.iter().map(|r| need_competence::ActiveModel {
            need_id: Set(r.need_id),
            position: Set(r.position),
            concept_id: Set(r.concept_id),
            label: Set(r.label.clone()),
            importance: Set(r.importance.clone()),
            level: Set(r.level),
        }))
        .exec(conn)
        .await
        .map_err(|e| StoreError::from_insert("need", "competence", e))?;
    }
    Ok(rows)
}

/// Replaces a changed need's competence rows.
async fn replace_competences(
    conn: &impl ConnectionTrait,
    id: Uuid,
    spec: &NeedSpec,
) -> Result<(), StoreError> {
    need_competence::Entity::delete_many()
        .filter(need_competence::Column::NeedId.eq(id))
        .exec(conn)
        .await?;
    insert_competences(conn, id, spec).await.map(drop)
}

/// Stores a new need and returns it as stored, without reading it back: the insert returns the
/// row, and the competence rows are what was written.
pub async fn insert(conn: &impl ConnectionTrait, n: &NewNeed) -> Result<NeedRecord, StoreError> {
    let now = Utc::now();
    let mut row = active_model(n.id, &n.spec, n.platform_id, n.status, n.expires_on);
    row.entered_by = Set(n.entered_by.clone());
    row.escalation_level = Set("local".to_owned());
    row.version = Set(1);
    row.created_at = Set(now);
    row.updated_at = Set(now);
    let stored = need::Entity::insert(row)
        .exec_with_returning(conn)
        .await
        .map_err(|e| StoreError::from_insert("need", "a need with this id", e))?;
    let competences = insert_competences(conn, n.id, &n.spec).await?;
    to_record(stored, competences)
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt("need", e)
}

fn to_record(m: need::Model, comps: Vec<need_competence::Model>) -> Result<NeedRecord, StoreError> {
    let competences = comps
        .into_iter()
        .map(|c| {
            Ok(CompetenceRequirement {
                concept_id: c.concept_id,
                label: Label::parse(&c.label).map_err(corrupt)?,
                importance: Importance::parse(&c.importance).map_err(corrupt)?,
                level: c
                    .level
                    .map(|l| EqfLevel::parse(i64::from(l)))
                    .transpose()
                    .map_err(corrupt)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let spec = NeedSpec {
        municipality: MunicipalityCode::parse(&m.municipality_code).map_err(corrupt)?,
        platform_id: Some(m.platform_id),
        employer_id: m.employer_id,
        title: Name::parse(&m.title).map_err(corrupt)?,
        description: m
            .description
            .as_deref()
            .map(LongText::parse)
            .transpose()
            .map_err(corrupt)?,
        purpose: NeedPurpose::parse(&m.purpose).map_err(corrupt)?,
        headcount: Headcount::parse(i64::from(m.headcount)).map_err(corrupt)?,
        needed_by: m.needed_by,
        expires_on: Some(m.expires_on),
        wanted_level: m
            .wanted_level
            .map(|l| EqfLevel::parse(i64::from(l)))
            .transpose()
            .map_err(corrupt)?,
        occupation_id: m.occupation_id,
        delivery: DeliveryPreference {
            on_site: m.delivery_on_site,
            distance: m.delivery_distance,
            part_time: m.delivery_part_time,
        },
        competences,
        support_tools: super::support_tools::from_json("need", &m.support_tools)?,
    };
    Ok(NeedRecord {
        need: Need {
            id: m.id,
            spec,
            status: NeedStatus::parse(&m.status).map_err(corrupt)?,
            platform_id: m.platform_id,
            entered_by: m.entered_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
            expires_on: m.expires_on,
            version: m.version,
        },
        escalation_level: m.escalation_level,
    })
}

async fn with_competences(
    conn: &impl ConnectionTrait,
    rows: Vec<need::Model>,
) -> Result<Vec<NeedRecord>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut by_need: HashMap<Uuid, Vec<need_competence::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let comps = need_competence::Entity::find()
            .filter(need_competence::Column::NeedId.is_in(chunk.iter().copied()))
            .order_by_asc(need_competence::Column::Position)
            .all(conn)
            .await?;
        for c in comps {
            by_need.entry(c.need_id).or_default().push(c);
        }
    }
    rows.into_iter()
        .map(|r| {
            let c = by_need.remove(&r.id).unwrap_or_default();
            to_record(r, c)
        })
        .collect()
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<NeedRecord, StoreError> {
    let row = need::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("need"))?;
    with_competences(conn, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::not_found("need"))
}

pub async fn get_many(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<NeedRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = need::Entity::find()
        .filter(need::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(need::Column::Id)
        .all(conn)
        .await?;
    with_competences(conn, rows).await
}

/// The platform each of `ids` is on (needs that do not exist are left out): one read where
/// loading whole needs would read their competences too.
pub async fn platforms_of(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Uuid>, StoreError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(Uuid, Uuid)> = need::Entity::find()
            .select_only()
            .column(need::Column::Id)
            .column(need::Column::PlatformId)
            .filter(need::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Filters for listing needs. `Some(list)` scopes restrict to the caller's reach; the other
/// fields are the client's filters.
#[derive(Debug, Clone, Default)]
pub struct NeedFilter {
    pub scope_municipalities: Option<Vec<String>>,
    pub scope_platforms: Option<Vec<Uuid>>,
    pub scope_employer: Option<Uuid>,
    pub municipalities: Vec<String>,
    pub platform: Option<Uuid>,
    pub statuses: Vec<String>,
    pub competence: Option<Uuid>,
    pub purpose: Option<String>,
    pub employer: Option<Uuid>,
    pub occupation: Option<Uuid>,
}

/// Needs matching the filter, newest first (ties by id).
pub async fn list(
    conn: &impl ConnectionTrait,
    f: &NeedFilter,
    limit: u64,
    offset: u64,
) -> Result<Page<NeedRecord>, StoreError> {
    let mut cond = Condition::all();
    if let Some(m) = &f.scope_municipalities {
        cond = cond.add(need::Column::MunicipalityCode.is_in(m.clone()));
    }
    if let Some(p) = &f.scope_platforms {
        cond = cond.add(need::Column::PlatformId.is_in(p.clone()));
    }
    if let Some(e) = f.scope_employer {
        cond = cond.add(need::Column::EmployerId.eq(e));
    }
    if !f.municipalities.is_empty() {
        cond = cond.add(need::Column::MunicipalityCode.is_in(f.municipalities.clone()));
    }
    if let Some(p) = f.platform {
        cond = cond.add(need::Column::PlatformId.eq(p));
    }
    if !f.statuses.is_empty() {
        cond = cond.add(need::Column::Status.is_in(f.statuses.clone()));
    }
    if let Some(p) = &f.purpose {
        cond = cond.add(need::Column::Purpose.eq(p.clone()));
    }
    if let Some(e) = f.employer {
        cond = cond.add(need::Column::EmployerId.eq(e));
    }
    if let Some(o) = f.occupation {
        cond = cond.add(need::Column::OccupationId.eq(o));
    }
    if let Some(c) = f.competence {
        cond = cond.add(
            Condition::any().add(need::Column::OccupationId.eq(c)).add(
                need::Column::Id.in_subquery(
                    Query::select()
                        .column(need_competence::Column::NeedId)
                        .from(need_competence::Entity)
                        .and_where(need_competence::Column::ConceptId.eq(c))
                        .to_owned(),
                ),
            ),
        );
    }
    let select = need::Entity::find()
        .filter(cond)
        .order_by_desc(need::Column::CreatedAt)
        .order_by_asc(need::Column::Id);
    let page = super::paginate(conn, select, limit, offset).await?;
    Ok(Page {
        items: with_competences(conn, page.items).await?,
        total: page.total,
    })
}

/// Needs still waiting for an answer (open, in review or pooled), for the matching engine.
pub async fn active(conn: &impl ConnectionTrait) -> Result<Vec<NeedRecord>, StoreError> {
    let rows = need::Entity::find()
        .filter(need::Column::Status.is_in(NeedStatus::ACTIVE.iter().map(|s| s.as_str())))
        .order_by_asc(need::Column::Id)
        .all(conn)
        .await?;
    with_competences(conn, rows).await
}

/// The ids of every active need (what a full rematch goes through, in batches).
pub async fn active_ids(conn: &impl ConnectionTrait) -> Result<Vec<Uuid>, StoreError> {
    Ok(need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .filter(need::Column::Status.is_in(NeedStatus::ACTIVE.iter().map(|s| s.as_str())))
        .order_by_asc(need::Column::Id)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Replaces a need's content when `expected_version` is current; bumps the version.
pub async fn replace(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: i32,
    spec: &NeedSpec,
    status: NeedStatus,
    expires_on: NaiveDate,
) -> Result<NeedRecord, StoreError> {
    let current = get(conn, id).await?;
    let mut row = active_model(id, spec, current.need.platform_id, status, expires_on);
    row.id = sea_orm::ActiveValue::NotSet;
    row.version = Set(expected_version + 1);
    row.updated_at = Set(Utc::now());
    let res = need::Entity::update_many()
        .set(row)
        .filter(need::Column::Id.eq(id))
        .filter(need::Column::Version.eq(expected_version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::stale("need", current.need.version));
    }
    replace_competences(conn, id, spec).await?;
    get(conn, id).await
}

/// Moves a need along its lifecycle. With `expected_version`, refuses a stale one.
/// Returns the status before and the need after.
pub async fn transition(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i32>,
    action: NeedAction,
) -> Result<(NeedStatus, NeedRecord), StoreError> {
    let current = get(conn, id).await?;
    let before = current.need.status;
    if let Some(v) = expected_version
        && v != current.need.version
    {
        return Err(StoreError::stale("need", current.need.version));
    }
    let after = before.transition(action)?;
    let res = need::Entity::update_many()
        .col_expr(need::Column::Status, Expr::value(after.as_str()))
        .col_expr(need::Column::Version, Expr::value(current.need.version + 1))
        .col_expr(need::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(need::Column::Id.eq(id))
        .filter(need::Column::Version.eq(current.need.version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::stale("need", current.need.version));
    }
    Ok((before, get(conn, id).await?))
}

/// Moves a need to a higher brokering level and onto that level's platform, when
/// `expected_version` is still current (an edit or another escalation in between wins).
pub async fn escalate(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: i32,
    level: &str,
    platform_id: Uuid,
) -> Result<NeedRecord, StoreError> {
    let res = need::Entity::update_many()
        .col_expr(need::Column::EscalationLevel, Expr::value(level))
        .col_expr(need::Column::PlatformId, Expr::value(platform_id))
        .col_expr(need::Column::Version, Expr::value(expected_version + 1))
        .col_expr(need::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(need::Column::Id.eq(id))
        .filter(need::Column::Version.eq(expected_version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        let current = get(conn, id).await?;
        return Err(StoreError::stale("need", current.need.version));
    }
    get(conn, id).await
}

/// Active needs whose expiry date has passed.
pub async fn due_for_expiry(
    conn: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(need::Entity::find()
        .filter(need::Column::Status.is_in(NeedStatus::ACTIVE.iter().map(|s| s.as_str())))
        .filter(need::Column::ExpiresOn.lt(today))
        .all(conn)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect())
}

/// Something that happened to a need (routing, escalation, decisions), shown on the need.
#[derive(Debug, Clone)]
pub struct NeedEvent {
    pub kind: String,
    pub detail: serde_json::Value,
    pub actor: String,
    pub at: DateTime<Utc>,
}

pub async fn add_event(
    conn: &impl ConnectionTrait,
    need_id: Uuid,
    kind: &str,
    detail: serde_json::Value,
    actor: &str,
) -> Result<(), StoreError> {
    need_event::Entity::insert(need_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        need_id: Set(need_id),
        kind: Set(kind.to_owned()),
        detail: Set(detail),
        actor: Set(actor.to_owned()),
        at: Set(Utc::now()),
    })
    .exec(conn)
    .await?;
    Ok(())
}

pub async fn events(
    conn: &impl ConnectionTrait,
    need_id: Uuid,
) -> Result<Vec<NeedEvent>, StoreError> {
    Ok(need_event::Entity::find()
        .filter(need_event::Column::NeedId.eq(need_id))
        .order_by_asc(need_event::Column::At)
        .order_by_asc(need_event::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|e| NeedEvent {
            kind: e.kind,
            detail: e.detail,
            actor: e.actor,
            at: e.at,
        })
        .collect())
}
