//! Course requests pooled from needs, their addressees, the providers' answers and the history
//! of each request.

use broker_domain::course_request::{
    Answer, AnswerResponse, AnswerStatus, CourseRequestAction, CourseRequestSpec,
    CourseRequestStatus,
};
use broker_domain::geo::MunicipalityCode;
use broker_domain::lifecycle::Lifecycle;
use broker_domain::need::{CompetenceRequirement, DeliveryPreference, Importance};
use broker_domain::values::{EqfLevel, Label, LongText, Money, Name};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::string_list;
use crate::entity::{
    course_request, course_request_addressee, course_request_answer, course_request_event,
    course_request_need,
};
use crate::{Page, StoreError};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt("course_request", e)
}

/// A stored course request.
#[derive(Debug, Clone)]
pub struct CourseRequestRecord {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub spec: CourseRequestSpec,
    pub status: CourseRequestStatus,
    pub commissioned_answer_id: Option<Uuid>,
    pub decision_reason: Option<String>,
    pub created_by: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

fn competences_json(list: &[CompetenceRequirement]) -> serde_json::Value {
    serde_json::Value::Array(
        list.iter()
            .map(|c| {
                json!({
                    "concept_id": c.concept_id,
                    "label": c.label.as_str(),
                    "importance": c.importance.as_str(),
                    "level": c.level.map(|l| l.get()),
                })
            })
            .collect(),
    )
}

fn competences_from(value: &serde_json::Value) -> Result<Vec<CompetenceRequirement>, StoreError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| {
            Ok(CompetenceRequirement {
                concept_id: c["concept_id"].as_str().and_then(|s| s.parse().ok()),
                label: Label::parse(c["label"].as_str().unwrap_or_default()).map_err(corrupt)?,
                importance: Importance::parse(c["importance"].as_str().unwrap_or_default())
                    .map_err(corrupt)?,
                level: c["level"]
                    .as_i64()
                    .map(EqfLevel::parse)
                    .transpose()
                    .map_err(corrupt)?,
            })
        })
        .collect()
}

/// Inserts a draft request with its needs and addressees. Call inside a transaction.
pub async fn insert(
    conn: &impl ConnectionTrait,
    id: Uuid,
    platform_id: Uuid,
    spec: &CourseRequestSpec,
    created_by: &str,
) -> Result<CourseRequestRecord, StoreError> {
    let now = Utc::now();
    let codes: Vec<&str> = spec.municipalities.iter().map(|m| m.as_str()).collect();
    course_request::Entity::insert(course_request::ActiveModel {
        id: Set(id),
        platform_id: Set(platform_id),
        title: Set(spec.title.as_str().to_owned()),
        description: Set(spec.description.as_ref().map(|d| d.as_str().to_owned())),
        status: Set(CourseRequestStatus::Draft.as_str().to_owned()),
        competences: Set(competences_json(&spec.competences)),
        total_headcount: Set(i32::try_from(spec.total_headcount).unwrap_or(i32::MAX)),
        municipalities: Set(super::json_list(&codes)),
        wanted_start: Set(spec.wanted_start),
        delivery_on_site: Set(spec.delivery.on_site),
        delivery_distance: Set(spec.delivery.distance),
        delivery_part_time: Set(spec.delivery.part_time),
        respond_by: Set(spec.respond_by),
        open_to_all: Set(spec.provider_ids.is_empty()),
        commissioned_answer_id: Set(None),
        decision_reason: Set(None),
        created_by: Set(created_by.to_owned()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
    })
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("course_request", "a course request with this id", e))?;
    let needs: Vec<_> = spec
        .need_ids
        .iter()
        .map(|n| course_request_need::ActiveModel {
            course_request_id: Set(id),
            need_id: Set(*n),
        })
        .collect();
    if !needs.is_empty() {
        course_request_need::Entity::insert_many(needs)
            .exec(conn)
            .await
            .map_err(|e| StoreError::from_insert("course_request", "need", e))?;
    }
    let addressees: Vec<_> = spec
        .provider_ids
        .iter()
        .map(|o| course_request_addressee::ActiveModel {
            course_request_id: Set(id),
            organisation_id: Set(*o),
        })
        .collect();
    if !addressees.is_empty() {
        course_request_addressee::Entity::insert_many(addressees)
            .exec(conn)
            .await
            .map_err(|e| StoreError::from_insert("course_request", "addressee", e))?;
    }
    get(conn, id).await
}

async fn to_records(
    conn: &impl ConnectionTrait,
    rows: Vec<course_request::Model>,
) -> Result<Vec<CourseRequestRecord>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut needs: std::collections::HashMap<Uuid, Vec<Uuid>> = Default::default();
    let mut addressees: std::collections::HashMap<Uuid, Vec<Uuid>> = Default::default();
    for chunk in ids.chunks(500) {
        for n in course_request_need::Entity::find()
            .filter(course_request_need::Column::CourseRequestId.is_in(chunk.iter().copied()))
            .order_by_asc(course_request_need::Column::NeedId)
            .all(conn)
            .await?
        {
            needs
                .entry(n.course_request_id)
                .or_default()
                .push(n.need_id);
        }
        for a in course_request_addressee::Entity::find()
            .filter(course_request_addressee::Column::CourseRequestId.is_in(chunk.iter().copied()))
            .order_by_asc(course_request_addressee::Column::OrganisationId)
            .all(conn)
            .await?
        {
            addressees
                .entry(a.course_request_id)
                .or_default()
                .push(a.organisation_id);
        }
    }
    rows.into_iter()
        .map(|r| {
            let spec = CourseRequestSpec {
                title: Name::parse(&r.title).map_err(corrupt)?,
                description: r
                    .description
                    .as_deref()
                    .map(LongText::parse)
                    .transpose()
                    .map_err(corrupt)?,
                need_ids: needs.remove(&r.id).unwrap_or_default(),
                competences: competences_from(&r.competences)?,
                total_headcount: u32::try_from(r.total_headcount).map_err(corrupt)?,
                municipalities: string_list(&r.municipalities)
                    .iter()
                    .map(|c| MunicipalityCode::parse(c))
                    .collect::<Result<_, _>>()
                    .map_err(corrupt)?,
                wanted_start: r.wanted_start,
                delivery: DeliveryPreference {
                    on_site: r.delivery_on_site,
                    distance: r.delivery_distance,
                    part_time: r.delivery_part_time,
                },
                respond_by: r.respond_by,
                provider_ids: addressees.remove(&r.id).unwrap_or_default(),
            };
            Ok(CourseRequestRecord {
                id: r.id,
                platform_id: r.platform_id,
                spec,
                status: CourseRequestStatus::parse(&r.status).map_err(corrupt)?,
                commissioned_answer_id: r.commissioned_answer_id,
                decision_reason: r.decision_reason,
                created_by: r.created_by,
                version: r.version,
                created_at: r.created_at,
                updated_at: r.updated_at,
                sent_at: r.sent_at,
            })
        })
        .collect()
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<CourseRequestRecord, StoreError> {
    let row = course_request::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("course_request"))?;
    to_records(conn, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::not_found("course_request"))
}

/// Filters for listing requests. `scope_platforms` restricts to a broker's platforms;
/// `visible_to_provider` to the sent requests addressed to that provider or to everyone.
#[derive(Debug, Clone, Default)]
pub struct CourseRequestFilter {
    pub scope_platforms: Option<Vec<Uuid>>,
    pub visible_to_provider: Option<Uuid>,
    pub platform: Option<Uuid>,
    pub statuses: Vec<String>,
    /// Requests pooling this need.
    pub need: Option<Uuid>,
}

/// Newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    f: &CourseRequestFilter,
    limit: u64,
    offset: u64,
) -> Result<Page<CourseRequestRecord>, StoreError> {
    let mut cond = Condition::all();
    if let Some(p) = &f.scope_platforms {
        cond = cond.add(course_request::Column::PlatformId.is_in(p.clone()));
    }
    if let Some(provider) = f.visible_to_provider {
        cond = cond
            .add(course_request::Column::Status.ne(CourseRequestStatus::Draft.as_str()))
            .add(
                Condition::any()
                    .add(course_request::Column::OpenToAll.eq(true))
                    .add(
                        course_request::Column::Id.in_subquery(
                            Query::select()
                                .column(course_request_addressee::Column::CourseRequestId)
                                .from(course_request_addressee::Entity)
                                .and_where(
                                    course_request_addressee::Column::OrganisationId.eq(provider),
                                )
                                .to_owned(),
                        ),
                    ),
            );
    }
    if let Some(p) = f.platform {
        cond = cond.add(course_request::Column::PlatformId.eq(p));
    }
    if !f.statuses.is_empty() {
        cond = cond.add(course_request::Column::Status.is_in(f.statuses.clone()));
    }
    if let Some(n) = f.need {
        cond = cond.add(
            course_request::Column::Id.in_subquery(
                Query::select()
                    .column(course_request_need::Column::CourseRequestId)
                    .from(course_request_need::Entity)
                    .and_where(course_request_need::Column::NeedId.eq(n))
                    .to_owned(),
            ),
        );
    }
    let select = course_request::Entity::find()
        .filter(cond)
        .order_by_desc(course_request::Column::CreatedAt)
        .order_by_asc(course_request::Column::Id);
    let page = super::paginate(conn, select, limit, offset).await?;
    Ok(Page {
        items: to_records(conn, page.items).await?,
        total: page.total,
    })
}

/// For each of `need_ids` already in a request that still holds it (draft, sent, answered,
/// commissioned): the need and that request's id.
pub async fn holding(
    conn: &impl ConnectionTrait,
    need_ids: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    if need_ids.is_empty() {
        return Ok(Vec::new());
    }
    let links = course_request_need::Entity::find()
        .filter(course_request_need::Column::NeedId.is_in(need_ids.iter().copied()))
        .all(conn)
        .await?;
    let request_ids: Vec<Uuid> = links.iter().map(|l| l.course_request_id).collect();
    if request_ids.is_empty() {
        return Ok(Vec::new());
    }
    let holding: Vec<&str> = CourseRequestStatus::ALL
        .iter()
        .filter(|s| s.holds_its_needs())
        .map(|s| s.as_str())
        .collect();
    let live: std::collections::HashSet<Uuid> = course_request::Entity::find()
        .filter(course_request::Column::Id.is_in(request_ids))
        .filter(course_request::Column::Status.is_in(holding))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut out: Vec<(Uuid, Uuid)> = links
        .into_iter()
        .filter(|l| live.contains(&l.course_request_id))
        .map(|l| (l.need_id, l.course_request_id))
        .collect();
    out.sort();
    Ok(out)
}

/// What a transition records besides the new status.
#[derive(Debug, Clone, Default)]
pub struct TransitionDetail {
    /// The answer a commission chose.
    pub commissioned_answer_id: Option<Uuid>,
    /// Why the broker declined or cancelled.
    pub reason: Option<String>,
    /// Stored with the event.
    pub event: serde_json::Value,
}

/// Moves a request along its lifecycle (refusing illegal moves and, with `expected_version`,
/// stale ones) and records an event. Returns the status before and the request after.
pub async fn transition(
    conn: &impl ConnectionTrait,
    id: Uuid,
    expected_version: Option<i32>,
    action: CourseRequestAction,
    detail: TransitionDetail,
    actor: &str,
) -> Result<(CourseRequestStatus, CourseRequestRecord), StoreError> {
    let current = get(conn, id).await?;
    if let Some(v) = expected_version
        && v != current.version
    {
        return Err(StoreError::stale("course_request", current.version));
    }
    let from = current.status;
    let to = from.transition(action)?;
    let now = Utc::now();
    let mut update = course_request::Entity::update_many()
        .col_expr(course_request::Column::Status, Expr::value(to.as_str()))
        .col_expr(
            course_request::Column::Version,
            Expr::value(current.version + 1),
        )
        .col_expr(course_request::Column::UpdatedAt, Expr::value(now));
    if action == CourseRequestAction::Send {
        update = update.col_expr(course_request::Column::SentAt, Expr::value(now));
    }
    if let Some(answer) = detail.commissioned_answer_id {
        update = update.col_expr(
            course_request::Column::CommissionedAnswerId,
            Expr::value(answer),
        );
    }
    if let Some(reason) = &detail.reason {
        update = update.col_expr(
            course_request::Column::DecisionReason,
            Expr::value(reason.clone()),
        );
    }
    let res = update
        .filter(course_request::Column::Id.eq(id))
        .filter(course_request::Column::Version.eq(current.version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::stale("course_request", current.version));
    }
    course_request_event::Entity::insert(course_request_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        course_request_id: Set(id),
        action: Set(action.as_str().to_owned()),
        from_status: Set(from.as_str().to_owned()),
        to_status: Set(to.as_str().to_owned()),
        detail: Set(if detail.event.is_null() {
            json!({})
        } else {
            detail.event
        }),
        actor: Set(actor.to_owned()),
        at: Set(now),
    })
    .exec(conn)
    .await?;
    Ok((from, get(conn, id).await?))
}

/// One event in a request's history.
#[derive(Debug, Clone)]
pub struct CourseRequestEvent {
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub detail: serde_json::Value,
    pub actor: String,
    pub at: DateTime<Utc>,
}

pub async fn events(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<CourseRequestEvent>, StoreError> {
    Ok(course_request_event::Entity::find()
        .filter(course_request_event::Column::CourseRequestId.eq(id))
        .order_by_asc(course_request_event::Column::At)
        .order_by_asc(course_request_event::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|e| CourseRequestEvent {
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            detail: e.detail,
            actor: e.actor,
            at: e.at,
        })
        .collect())
}

/// A provider's stored answer.
#[derive(Debug, Clone)]
pub struct AnswerRecord {
    pub id: Uuid,
    pub course_request_id: Uuid,
    pub provider_id: Uuid,
    pub answer: Answer,
    pub status: AnswerStatus,
    pub answered_by: String,
    pub created_at: DateTime<Utc>,
}

fn answer_record(a: course_request_answer::Model) -> Result<AnswerRecord, StoreError> {
    let bad = |e: broker_domain::DomainError| StoreError::corrupt("course_request_answer", e);
    let price = match (a.price_minor, a.currency.as_deref()) {
        (Some(minor), Some(currency)) => Some(Money::parse(minor, currency).map_err(bad)?),
        _ => None,
    };
    Ok(AnswerRecord {
        id: a.id,
        course_request_id: a.course_request_id,
        provider_id: a.provider_id,
        answer: Answer {
            response: AnswerResponse::parse(&a.response).map_err(bad)?,
            offer_id: a.offer_id,
            proposal: a
                .proposal
                .as_deref()
                .map(LongText::parse)
                .transpose()
                .map_err(bad)?,
            price,
            seats: a.seats.and_then(|s| u32::try_from(s).ok()),
            start: a.start_date,
            note: a
                .note
                .as_deref()
                .map(LongText::parse)
                .transpose()
                .map_err(bad)?,
        },
        status: AnswerStatus::parse(&a.status).map_err(bad)?,
        answered_by: a.answered_by,
        created_at: a.created_at,
    })
}

/// Stores a provider's answer; a provider answers a request once (a second answer is a conflict).
pub async fn insert_answer(
    conn: &impl ConnectionTrait,
    course_request_id: Uuid,
    provider_id: Uuid,
    answer: &Answer,
    actor: &str,
) -> Result<AnswerRecord, StoreError> {
    let row = course_request_answer::Entity::insert(course_request_answer::ActiveModel {
        id: Set(Uuid::now_v7()),
        course_request_id: Set(course_request_id),
        provider_id: Set(provider_id),
        response: Set(answer.response.as_str().to_owned()),
        offer_id: Set(answer.offer_id),
        proposal: Set(answer.proposal.as_ref().map(|p| p.as_str().to_owned())),
        price_minor: Set(answer.price.map(|p| p.minor)),
        currency: Set(answer.price.map(|p| p.currency.code().to_owned())),
        seats: Set(answer.seats.map(|s| i32::try_from(s).unwrap_or(i32::MAX))),
        start_date: Set(answer.start),
        note: Set(answer.note.as_ref().map(|n| n.as_str().to_owned())),
        status: Set(AnswerStatus::Submitted.as_str().to_owned()),
        answered_by: Set(actor.to_owned()),
        created_at: Set(Utc::now()),
    })
    .exec_with_returning(conn)
    .await
    .map_err(|e| {
        StoreError::from_insert(
            "course_request_answer",
            "an answer from this provider to this request",
            e,
        )
    })?;
    answer_record(row)
}

/// A request's answers, oldest first; only `provider`'s when given.
pub async fn answers(
    conn: &impl ConnectionTrait,
    course_request_id: Uuid,
    provider: Option<Uuid>,
) -> Result<Vec<AnswerRecord>, StoreError> {
    let mut q = course_request_answer::Entity::find()
        .filter(course_request_answer::Column::CourseRequestId.eq(course_request_id));
    if let Some(p) = provider {
        q = q.filter(course_request_answer::Column::ProviderId.eq(p));
    }
    q.order_by_asc(course_request_answer::Column::CreatedAt)
        .order_by_asc(course_request_answer::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(answer_record)
        .collect()
}

/// Marks `chosen` as chosen and every other submitted answer as not chosen (`None`: all of them).
pub async fn settle_answers(
    conn: &impl ConnectionTrait,
    course_request_id: Uuid,
    chosen: Option<Uuid>,
) -> Result<(), StoreError> {
    if let Some(id) = chosen {
        course_request_answer::Entity::update_many()
            .col_expr(
                course_request_answer::Column::Status,
                Expr::value(AnswerStatus::Chosen.as_str()),
            )
            .filter(course_request_answer::Column::Id.eq(id))
            .filter(course_request_answer::Column::CourseRequestId.eq(course_request_id))
            .exec(conn)
            .await?;
    }
    let mut others = course_request_answer::Entity::update_many()
        .col_expr(
            course_request_answer::Column::Status,
            Expr::value(AnswerStatus::NotChosen.as_str()),
        )
        .filter(course_request_answer::Column::CourseRequestId.eq(course_request_id))
        .filter(course_request_answer::Column::Status.eq(AnswerStatus::Submitted.as_str()));
    if let Some(id) = chosen {
        others = others.filter(course_request_answer::Column::Id.ne(id));
    }
    others.exec(conn).await?;
    Ok(())
}
