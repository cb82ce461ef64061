//! Course offers, their taught competences and scheduled instances.

use std::collections::HashMap;

use broker_domain::geo::MunicipalityCode;
use broker_domain::lifecycle::Lifecycle;
use broker_domain::offer::{CourseInstance, Delivery, Offer, OfferAction, OfferSpec, OfferStatus};
use broker_domain::values::{EqfLevel, Label, Lang, LongText, Money, Name, Pace, WebUrl};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{json_list, string_list};
use crate::changes::{CHANGE_SEQ, ChangeCursor};
use crate::entity::{offer, offer_competence, offer_instance};
use crate::{Page, StoreError};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt("offer", e)
}

fn active_model(
    id: Uuid,
    spec: &OfferSpec,
    status: OfferStatus,
    today: NaiveDate,
) -> offer::ActiveModel {
    let labels: Vec<&str> = spec.competence_labels.iter().map(Label::as_str).collect();
    offer::ActiveModel {
        id: Set(id),
        provider_id: Set(spec.provider_id),
        language: Set(spec.language.code().to_owned()),
        title: Set(spec.title.as_str().to_owned()),
        description: Set(spec.description.as_ref().map(|d| d.as_str().to_owned())),
        competence_labels: Set(json_list(&labels)),
        level: Set(spec.level.map(|l| i16::from(l.get()))),
        delivery: Set(spec.delivery.as_str().to_owned()),
        cost_minor: Set(spec.cost.map(|c| c.minor)),
        currency: Set(spec.cost.map(|c| c.currency.code().to_owned())),
        validation_offered: Set(spec.validation_offered),
        link: Set(spec.link.as_ref().map(|l| l.as_str().to_owned())),
        support_tools: Set(super::support_tools::to_json(&spec.support_tools)),
        status: Set(status.as_str().to_owned()),
        next_start: Set(spec.next_start(today)),
        ..Default::default()
    }
}

fn competence_rows(id: Uuid, spec: &OfferSpec) -> Vec<offer_competence::ActiveModel> {
    let mut concepts = spec.competence_ids.clone();
    concepts.sort();
    concepts.dedup();
    concepts
        .iter()
        .map(|c| offer_competence::ActiveModel {
            offer_id: Set(id),
            concept_id: Set(*c),
        })
        .collect()
}

fn instance_rows(id: Uuid, spec: &OfferSpec) -> Vec<offer_instance::ActiveModel> {
    spec.instances
        .iter()
        .enumerate()
        .map(|(i, inst)| offer_instance::ActiveModel {
            id: Set(inst.id),
            offer_id: Set(id),
            position: Set(i16::try_from(i).unwrap_or(i16::MAX)),
            start_date: Set(inst.start),
            end_date: Set(inst.end),
            municipality_code: Set(inst.municipality.as_ref().map(|m| m.as_str().to_owned())),
            place: Set(inst.place.as_ref().map(|p| p.as_str().to_owned())),
            distance: Set(inst.distance),
            pace_percent: Set(i16::from(inst.pace.percent())),
            seats: Set(inst.seats.map(|s| i32::try_from(s).unwrap_or(i32::MAX))),
            application_deadline: Set(inst.application_deadline),
        })
        .collect()
}

/// Writes child rows in multi-row inserts of at most `per_statement` rows (both engines bound
/// the parameters of one statement).
async fn insert_children(
    conn: &impl ConnectionTrait,
    competences: Vec<offer_competence::ActiveModel>,
    instances: Vec<offer_instance::ActiveModel>,
) -> Result<(), StoreError> {
    for chunk in competences.chunks(1000) {
        offer_competence::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await
            .map_err(|e| StoreError::from_insert("offer", "competence", e))?;
    }
    for chunk in instances.chunks(500) {
        offer_instance::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await
            .map_err(|e| StoreError::from_insert("offer", "instance", e))?;
    }
    Ok(())
}

async fn write_children(
    conn: &impl ConnectionTrait,
    id: Uuid,
    spec: &OfferSpec,
) -> Result<(), StoreError> {
    offer_competence::Entity::delete_many()
        .filter(offer_competence::Column::OfferId.eq(id))
        .exec(conn)
        .await?;
    offer_instance::Entity::delete_many()
        .filter(offer_instance::Column::OfferId.eq(id))
        .exec(conn)
        .await?;
    insert_children(conn, competence_rows(id, spec), instance_rows(id, spec)).await
}

/// Inserts new offers with their competences and instances in multi-row inserts (a provider's
/// catalogue in a few statements), all with `status`. Returns them as stored. Call inside a
/// transaction.
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    offers: &[(Uuid, &OfferSpec)],
    status: OfferStatus,
    today: NaiveDate,
) -> Result<Vec<Offer>, StoreError> {
    let now = Utc::now();
    let published_at = (status == OfferStatus::Published).then_some(now);
    for chunk in offers.chunks(200) {
        offer::Entity::insert_many(chunk.iter().map(|(id, spec)| {
            let mut row = active_model(*id, spec, status, today);
            row.version = Set(1);
            row.created_at = Set(now);
            row.updated_at = Set(now);
            row.published_at = Set(published_at);
            row
        }))
        .exec(conn)
        .await
        .map_err(|e| StoreError::from_insert("offer", "an offer with this id", e))?;
    }
    insert_children(
        conn,
        offers
            .iter()
            .flat_map(|(id, spec)| competence_rows(*id, spec))
            .collect(),
        offers
            .iter()
            .flat_map(|(id, spec)| instance_rows(*id, spec))
            .collect(),
    )
    .await?;
    Ok(offers
        .iter()
        .map(|(id, spec)| {
            let mut spec = (*spec).clone();
            spec.competence_ids.sort();
            spec.competence_ids.dedup();
            Offer {
                id: *id,
                spec,
                status,
                created_at: now,
                updated_at: now,
                published_at,
                version: 1,
            }
        })
        .collect())
}

/// Inserts an offer with its competences and instances. Call inside a transaction.
pub async fn insert(
    conn: &impl ConnectionTrait,
    id: Uuid,
    spec: &OfferSpec,
    status: OfferStatus,
    today: NaiveDate,
) -> Result<Offer, StoreError> {
    let now = Utc::now();
    let mut row = active_model(id, spec, status, today);
    row.version = Set(1);
    row.created_at = Set(now);
    row.updated_at = Set(now);
    row.published_at = Set((status == OfferStatus::Published).then_some(now));
    offer::Entity::insert(row)
        .exec(conn)
        .await
        .map_err(|e| StoreError::from_insert("offer", "an offer with this id", e))?;
    write_children(conn, id, spec).await?;
    get(conn, id).await
}

fn to_offer(
    m: offer::Model,
    concepts: Vec<Uuid>,
    instances: Vec<offer_instance::Model>,
) -> Result<Offer, StoreError> {
    let instances = instances
        .into_iter()
        .map(|i| {
            Ok(CourseInstance {
                id: i.id,
                start: i.start_date,
                end: i.end_date,
                municipality: i
                    .municipality_code
                    .as_deref()
                    .map(MunicipalityCode::parse)
                    .transpose()
                    .map_err(corrupt)?,
                place: i
                    .place
                    .as_deref()
                    .map(Name::parse)
                    .transpose()
                    .map_err(corrupt)?,
                distance: i.distance,
                pace: Pace::parse(i64::from(i.pace_percent)).map_err(corrupt)?,
                seats: i.seats.and_then(|s| u32::try_from(s).ok()),
                application_deadline: i.application_deadline,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let cost = match (m.cost_minor, m.currency.as_deref()) {
        (Some(minor), Some(cur)) => Some(Money::parse(minor, cur).map_err(corrupt)?),
        _ => None,
    };
    let spec = OfferSpec {
        provider_id: m.provider_id,
        title: Name::parse(&m.title).map_err(corrupt)?,
        description: m
            .description
            .as_deref()
            .map(LongText::parse)
            .transpose()
            .map_err(corrupt)?,
        language: Lang::parse(&m.language).map_err(corrupt)?,
        competence_ids: concepts,
        competence_labels: string_list(&m.competence_labels)
            .iter()
            .map(|l| Label::parse(l))
            .collect::<Result<_, _>>()
            .map_err(corrupt)?,
        level: m
            .level
            .map(|l| EqfLevel::parse(i64::from(l)))
            .transpose()
            .map_err(corrupt)?,
        delivery: Delivery::parse(&m.delivery).map_err(corrupt)?,
        cost,
        validation_offered: m.validation_offered,
        link: m
            .link
            .as_deref()
            .map(WebUrl::parse)
            .transpose()
            .map_err(corrupt)?,
        support_tools: super::support_tools::from_json("offer", &m.support_tools)?,
        instances,
    };
    Ok(Offer {
        id: m.id,
        spec,
        status: OfferStatus::parse(&m.status).map_err(corrupt)?,
        created_at: m.created_at,
        updated_at: m.updated_at,
        published_at: m.published_at,
        version: m.version,
    })
}

async fn with_children(
    conn: &impl ConnectionTrait,
    rows: Vec<offer::Model>,
) -> Result<Vec<Offer>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut concepts: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut instances: HashMap<Uuid, Vec<offer_instance::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for c in offer_competence::Entity::find()
            .filter(offer_competence::Column::OfferId.is_in(chunk.iter().copied()))
            .order_by_asc(offer_competence::Column::ConceptId)
            .all(conn)
            .await?
        {
            concepts.entry(c.offer_id).or_default().push(c.concept_id);
        }
        for i in offer_instance::Entity::find()
            .filter(offer_instance::Column::OfferId.is_in(chunk.iter().copied()))
            .order_by_asc(offer_instance::Column::Position)
            .all(conn)
            .await?
        {
            instances.entry(i.offer_id).or_default().push(i);
        }
    }
    rows.into_iter()
        .map(|r| {
            let c = concepts.remove(&r.id).unwrap_or_default();
            let i = instances.remove(&r.id).unwrap_or_default();
            to_offer(r, c, i)
        })
        .collect()
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<Offer, StoreError> {
    let row = offer::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("offer"))?;
    with_children(conn, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::not_found("offer"))
}

pub async fn get_many(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Offer>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = offer::Entity::find()
            .filter(offer::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        out.extend(with_children(conn, rows).await?);
    }
    Ok(out)
}

/// How to order an offer list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OfferSort {
    /// Soonest next start first; offers without a future start last.
    #[default]
    StartDate,
    /// Most recently changed first.
    Updated,
    /// Title A-Z.
    Title,
    /// Most recently published first (feeds).
    Published,
}

/// Filters for listing offers; scope fields restrict to the caller's reach.
#[derive(Debug, Clone, Default)]
pub struct OfferFilter {
    pub scope_provider: Option<Uuid>,
    pub provider: Option<Uuid>,
    pub statuses: Vec<String>,
    /// Offers with an instance in one of these municipalities.
    pub municipalities: Vec<String>,
    /// Also include offers with a distance instance when filtering by municipality.
    pub include_distance: bool,
    /// Offers teaching any of these concepts.
    pub competences: Vec<Uuid>,
    pub deliveries: Vec<String>,
    pub levels: Vec<i16>,
    /// Offers with an instance starting on or after this date (the same instance that is in
    /// `municipalities`, when those are given).
    pub starts_from: Option<NaiveDate>,
    /// Offers with an instance starting on or before this date (likewise).
    pub starts_to: Option<NaiveDate>,
    pub language: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
}

fn condition(f: &OfferFilter) -> Condition {
    let mut cond = Condition::all();
    if let Some(p) = f.scope_provider {
        cond = cond.add(offer::Column::ProviderId.eq(p));
    }
    if let Some(p) = f.provider {
        cond = cond.add(offer::Column::ProviderId.eq(p));
    }
    if !f.statuses.is_empty() {
        cond = cond.add(offer::Column::Status.is_in(f.statuses.clone()));
    }
    // Place and start dates must hold for the same instance: "starts in Uddevalla after today",
    // not "held in Uddevalla once, and somewhere after today".
    if !f.municipalities.is_empty() || f.starts_from.is_some() || f.starts_to.is_some() {
        let mut inst = Condition::all();
        if !f.municipalities.is_empty() {
            let mut place = Condition::any()
                .add(offer_instance::Column::MunicipalityCode.is_in(f.municipalities.clone()));
            if f.include_distance {
                place = place.add(offer_instance::Column::Distance.eq(true));
            }
            inst = inst.add(place);
        }
        if let Some(d) = f.starts_from {
            inst = inst.add(offer_instance::Column::StartDate.gte(d));
        }
        if let Some(d) = f.starts_to {
            inst = inst.add(offer_instance::Column::StartDate.lte(d));
        }
        cond = cond.add(
            offer::Column::Id.in_subquery(
                Query::select()
                    .column(offer_instance::Column::OfferId)
                    .from(offer_instance::Entity)
                    .cond_where(inst)
                    .to_owned(),
            ),
        );
    }
    if !f.competences.is_empty() {
        cond = cond.add(
            offer::Column::Id.in_subquery(
                Query::select()
                    .column(offer_competence::Column::OfferId)
                    .from(offer_competence::Entity)
                    .and_where(offer_competence::Column::ConceptId.is_in(f.competences.clone()))
                    .to_owned(),
            ),
        );
    }
    if !f.deliveries.is_empty() {
        cond = cond.add(offer::Column::Delivery.is_in(f.deliveries.clone()));
    }
    if !f.levels.is_empty() {
        cond = cond.add(offer::Column::Level.is_in(f.levels.clone()));
    }
    if let Some(l) = &f.language {
        cond = cond.add(offer::Column::Language.eq(l.clone()));
    }
    if let Some(t) = f.updated_since {
        cond = cond.add(offer::Column::UpdatedAt.gt(t));
    }
    cond
}

/// Offers matching the filter, in a stable order.
pub async fn list(
    conn: &impl ConnectionTrait,
    f: &OfferFilter,
    sort: OfferSort,
    limit: u64,
    offset: u64,
) -> Result<Page<Offer>, StoreError> {
    let mut select = offer::Entity::find().filter(condition(f));
    select = match sort {
        OfferSort::StartDate => select
            .order_by(offer::Column::NextStart.is_null(), sea_orm::Order::Asc)
            .order_by_asc(offer::Column::NextStart),
        OfferSort::Updated => select.order_by_desc(offer::Column::UpdatedAt),
        OfferSort::Title => select.order_by_asc(offer::Column::Title),
        OfferSort::Published => select.order_by_desc(offer::Column::PublishedAt),
    };
    let select = select.order_by_asc(offer::Column::Id);
    let page = super::paginate(conn, select, limit, offset).await?;
    Ok(Page {
        items: with_children(conn, page.items).await?,
        total: page.total,
    })
}

/// Every published offer, for the matching engine.
pub async fn published(conn: &impl ConnectionTrait) -> Result<Vec<Offer>, StoreError> {
    let rows = offer::Entity::find()
        .filter(offer::Column::Status.eq(OfferStatus::Published.as_str()))
        .order_by_asc(offer::Column::Id)
        .all(conn)
        .await?;
    with_children(conn, rows).await
}

/// Replaces an offer's content when `expected_version` is current; bumps the version.
pub async fn replace(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: i32,
    spec: &OfferSpec,
    today: NaiveDate,
) -> Result<Offer, StoreError> {
    let current = get(conn, id).await?;
    if current.status == OfferStatus::Published {
        spec.check_publishable()?;
    }
    let mut row = active_model(id, spec, current.status, today);
    row.id = sea_orm::ActiveValue::NotSet;
    row.version = Set(expected_version + 1);
    row.updated_at = Set(Utc::now());
    let res = offer::Entity::update_many()
        .set(row)
        .filter(offer::Column::Id.eq(id))
        .filter(offer::Column::Version.eq(expected_version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::stale("offer", current.version));
    }
    write_children(conn, id, spec).await?;
    get(conn, id).await
}

/// Publishes, unpublishes or archives. Publishing checks the offer is complete.
pub async fn transition(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i32>,
    action: OfferAction,
) -> Result<(OfferStatus, Offer), StoreError> {
    let current = get(conn, id).await?;
    if let Some(v) = expected_version
        && v != current.version
    {
        return Err(StoreError::stale("offer", current.version));
    }
    let after = current.status.transition(action)?;
    if after == OfferStatus::Published {
        current.spec.check_publishable()?;
    }
    let now = Utc::now();
    let mut update = offer::Entity::update_many()
        .col_expr(offer::Column::Status, Expr::value(after.as_str()))
        .col_expr(offer::Column::Version, Expr::value(current.version + 1))
        .col_expr(offer::Column::UpdatedAt, Expr::value(now));
    if after == OfferStatus::Published {
        update = update.col_expr(offer::Column::PublishedAt, Expr::value(now));
    }
    let res = update
        .filter(offer::Column::Id.eq(id))
        .filter(offer::Column::Version.eq(current.version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::stale("offer", current.version));
    }
    Ok((current.status, get(conn, id).await?))
}

/// One offer's change, as the change poller sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferChange {
    pub id: Uuid,
    pub published: bool,
    pub version: i32,
    /// Where this change sits in the commit order.
    pub position: ChangeCursor,
}

/// Offers changed after `after` in commit order (see [`ChangeCursor`]), at most `limit`: how an
/// instance follows offers written by others (keyset paging over an indexed column).
pub async fn changes_since(
    conn: &impl ConnectionTrait,
    after: ChangeCursor,
    limit: u64,
) -> Result<Vec<OfferChange>, StoreError> {
    let rows: Vec<(Uuid, String, i32, i64)> = offer::Entity::find()
        .select_only()
        .column(offer::Column::Id)
        .column(offer::Column::Status)
        .column(offer::Column::Version)
        .expr(Expr::col(CHANGE_SEQ))
        .filter(after.after(conn.get_database_backend()))
        .order_by(Expr::col(CHANGE_SEQ), sea_orm::Order::Asc)
        .order_by_asc(offer::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, status, version, seq)| OfferChange {
            id,
            published: status == OfferStatus::Published.as_str(),
            version,
            position: ChangeCursor { seq, id },
        })
        .collect())
}
