//! Course requests: a broker pools needs into one request to education providers, sends it,
//! providers answer, the broker commissions one answer (or declines them all, or cancels).
//!
//! Brokers see the requests of the platforms they broker (another platform's is a 404);
//! providers see sent requests addressed to them or to every provider, with the head count and
//! the municipalities but nothing that identifies a need, an employer or a person.
//!
//! Those rules and the decision workflow live in [`broker_application::course_requests`]; these
//! handlers decode, call one use case, add the audit entry and the matcher's wake-up, and encode.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use broker_application::course_requests::{
    self as request_cases, AnsweredCourseRequest, CourseRequestView, DecideCourseRequest,
    DecidedCourseRequest, MovedCourseRequest, NewCourseRequest, PlatformDirectory,
};
use broker_domain::course_request::{AnswerDraft, CourseRequestDraft, CourseRequestStatus};
use broker_store::repo::course_requests::{
    self, AnswerRecord, CourseRequestFilter, CourseRequestRecord,
};
use broker_store::repo::{audit, reference};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::course_requests::{
    AnswerDto, AnswerInput, AnswerList, CourseRequestDto, CourseRequestEventDto,
    CourseRequestInput, DecideInput, MunicipalityRef, SendInput,
};
use crate::dto::needs::{DeliveryPreferenceDto, RequirementDto};
use crate::dto::{Page, Paging, csv_param};
use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::matcher::Matcher;

/// The platforms a new request may name are the ones the matcher knows.
impl PlatformDirectory for Matcher {
    fn knows_platform(&self, id: Uuid) -> bool {
        self.platform(id).is_some()
    }
}

async fn municipality_names(
    conn: &impl ConnectionTrait,
) -> Result<HashMap<String, String>, ApiError> {
    Ok(reference::list_municipalities(conn, None, None)
        .await?
        .into_iter()
        .map(|m| (m.code().to_owned(), m.name().to_owned()))
        .collect())
}

async fn to_dto(
    conn: &impl ConnectionTrait,
    r: &CourseRequestRecord,
    viewer: CourseRequestView,
    names: &HashMap<String, String>,
) -> Result<CourseRequestDto, ApiError> {
    let answer_count = course_requests::answers(conn, r.id, viewer.answers_of())
        .await?
        .len();
    let full = viewer == CourseRequestView::Broker;
    let s = &r.spec;
    let allowed_actions = viewer.allowed_actions(r.status, answer_count);
    Ok(CourseRequestDto {
        id: r.id,
        platform_id: r.platform_id,
        status: r.status.as_str().to_owned(),
        title: s.title.to_string(),
        description: s.description.as_ref().map(ToString::to_string),
        competences: s.competences.iter().map(RequirementDto::from).collect(),
        total_headcount: s.total_headcount,
        municipalities: s
            .municipalities
            .iter()
            .map(|m| MunicipalityRef {
                code: m.to_string(),
                name: names.get(m.as_str()).cloned().unwrap_or_default(),
            })
            .collect(),
        wanted_start: s.wanted_start,
        delivery: DeliveryPreferenceDto {
            on_site: s.delivery.on_site,
            distance: s.delivery.distance,
            part_time: s.delivery.part_time,
        },
        respond_by: s.respond_by,
        open_to_all: s.provider_ids.is_empty(),
        addressed_to: full.then(|| s.provider_ids.clone()),
        need_ids: full.then(|| s.need_ids.clone()),
        created_by: full.then(|| r.created_by.clone()),
        answers: answer_count,
        commissioned_answer_id: r.commissioned_answer_id,
        decision_reason: r.decision_reason.clone(),
        version: r.version,
        allowed_actions,
        created_at: r.created_at,
        updated_at: r.updated_at,
        sent_at: r.sent_at,
    })
}

fn answer_dto(a: &AnswerRecord, provider_name: Option<String>) -> AnswerDto {
    AnswerDto {
        id: a.id,
        course_request_id: a.course_request_id,
        provider_id: a.provider_id,
        provider_name,
        response: a.answer.response.as_str().to_owned(),
        offer_id: a.answer.offer_id,
        proposal: a.answer.proposal.as_ref().map(ToString::to_string),
        price_minor: a.answer.price.map(|p| p.minor),
        currency: a.answer.price.map(|p| p.currency.code().to_owned()),
        seats: a.answer.seats,
        start: a.answer.start,
        note: a.answer.note.as_ref().map(ToString::to_string),
        status: a.status.as_str().to_owned(),
        answered_by: a.answered_by.clone(),
        created_at: a.created_at,
    }
}

/// Pools needs into a draft course request: competences united, head counts summed,
/// municipalities listed. Brokers only, from needs on platforms they broker that are still open
/// or in review and not already in another live request.
#[utoipa::path(
    operation_id = "createCourseRequest",
    tag = "course_requests",
    request_body = CourseRequestInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = CourseRequestDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json", description = "A need is already in a live course request"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/course-requests")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<CourseRequestInput>,
) -> Result<HttpResponse, ApiError> {
    let command = NewCourseRequest {
        platform_id: input.platform_id,
        draft: CourseRequestDraft {
            title: input.title,
            description: input.description,
            need_ids: input.need_ids,
            wanted_start: input.wanted_start,
            delivery: input.delivery.map(|d| (d.on_site, d.distance, d.part_time)),
            respond_by: input.respond_by,
            provider_ids: input.provider_ids,
        },
    };
    let txn = state.store.begin().await?;
    let record = request_cases::create(
        &txn,
        state.matcher.as_ref(),
        &who.actor(),
        command,
        Utc::now().date_naive(),
    )
    .await?;
    let id = record.id;
    let names = municipality_names(&txn).await?;
    let body = to_dto(&txn, &record, CourseRequestView::Broker, &names).await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "course_request.create".into(),
            entity: "course_request",
            entity_id: Some(id),
            before: None,
            after: serde_json::to_value(&body).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/course-requests/{id}")))
        .json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CourseRequestQuery {
    pub platform: Option<Uuid>,
    /// Statuses, comma-separated (draft, sent, answered, commissioned, declined, cancelled).
    pub status: Option<String>,
    /// Requests pooling this need (brokers).
    pub need: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Course requests visible to the caller, newest first: a broker's platforms' requests, or the
/// sent requests addressed to the calling provider (or to every provider).
#[utoipa::path(
    operation_id = "listCourseRequests",
    tag = "course_requests",
    params(CourseRequestQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<CourseRequestDto>),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/course-requests")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<CourseRequestQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let statuses = csv_param(query.status.as_deref());
    for s in &statuses {
        CourseRequestStatus::parse(s).map_err(|e| ApiError::from(e.under("status")))?;
    }
    let filter = CourseRequestFilter {
        platform: query.platform,
        statuses,
        need: query.need,
        ..Default::default()
    };
    let conn = state.store.conn();
    let (page, viewer) = request_cases::list(conn, &who.actor(), filter, limit, offset).await?;
    let names = municipality_names(conn).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for r in &page.items {
        items.push(to_dto(conn, r, viewer, &names).await?);
    }
    Ok(HttpResponse::Ok().json(Page::new(items, page.total, limit, offset, &req)))
}

/// One course request.
#[utoipa::path(
    operation_id = "getCourseRequest",
    tag = "course_requests",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CourseRequestDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/course-requests/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.store.conn();
    let request_cases::SeenCourseRequest {
        request: record,
        view: viewer,
    } = request_cases::get(conn, &who.actor(), *id).await?;
    let names = municipality_names(conn).await?;
    Ok(HttpResponse::Ok().json(to_dto(conn, &record, viewer, &names).await?))
}

/// Sends a draft request to its providers. Send the `version` you saw.
#[utoipa::path(
    operation_id = "sendCourseRequest",
    tag = "course_requests",
    params(("id" = Uuid, Path)),
    request_body = SendInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CourseRequestDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json", description = "Not a draft, or changed since `version`")
    )
)]
#[post("/api/v1/course-requests/{id}/send")]
pub async fn send(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<SendInput>,
) -> Result<HttpResponse, ApiError> {
    let txn = state.store.begin().await?;
    let MovedCourseRequest { from, after } =
        request_cases::send(&txn, &who.actor(), *id, input.version).await?;
    record_transition(
        &txn,
        &who,
        "send",
        *id,
        from,
        after.status,
        serde_json::json!({}),
    )
    .await?;
    let names = municipality_names(&txn).await?;
    let body = to_dto(&txn, &after, CourseRequestView::Broker, &names).await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(body))
}

async fn record_transition(
    conn: &impl ConnectionTrait,
    who: &Identity,
    action: &str,
    id: Uuid,
    from: CourseRequestStatus,
    to: CourseRequestStatus,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: format!("course_request.{action}"),
            entity: "course_request",
            entity_id: Some(id),
            before: Some(serde_json::json!({"status": from.as_str()})),
            after: Some(serde_json::json!({"status": to.as_str(), "detail": detail})),
        },
    )
    .await?;
    Ok(())
}

/// A provider answers a sent request: an existing offer of theirs or a proposal, with price,
/// seats and start, or a decline. One answer per provider.
#[utoipa::path(
    operation_id = "answerCourseRequest",
    tag = "course_requests",
    params(("id" = Uuid, Path)),
    request_body = AnswerInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = AnswerDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json", description = "Already answered, or the request no longer takes answers"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/course-requests/{id}/answers")]
pub async fn answer(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<AnswerInput>,
) -> Result<HttpResponse, ApiError> {
    let draft = AnswerDraft {
        response: input.response,
        offer_id: input.offer_id,
        proposal: input.proposal,
        price_minor: input.price_minor,
        currency: input.currency,
        seats: input.seats,
        start: input.start,
        note: input.note,
    };
    let txn = state.store.begin().await?;
    let AnsweredCourseRequest {
        from,
        after,
        answer: saved,
    } = request_cases::answer(&txn, &who.actor(), *id, draft, Utc::now().date_naive()).await?;
    let org = saved.provider_id;
    let provider_name = reference::get_organisation(&txn, org)
        .await
        .ok()
        .map(|o| o.name);
    let body = answer_dto(&saved, provider_name);
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "course_request.answer".into(),
            entity: "course_request",
            entity_id: Some(*id),
            before: Some(serde_json::json!({"status": from.as_str()})),
            after: Some(serde_json::json!({"status": after.status.as_str(), "answer": body})),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/course-requests/{id}/answers")))
        .json(body))
}

/// The answers to a request: all of them for its broker, their own for a provider.
#[utoipa::path(
    operation_id = "listCourseRequestAnswers",
    tag = "course_requests",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AnswerList),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/course-requests/{id}/answers")]
pub async fn answers(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.store.conn();
    let rows = request_cases::answers(conn, &who.actor(), *id).await?;
    let providers: Vec<Uuid> = rows.iter().map(|a| a.provider_id).collect();
    let names: HashMap<Uuid, String> = reference::organisations_by_ids(conn, &providers)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let items = rows
        .iter()
        .map(|a| answer_dto(a, names.get(&a.provider_id).cloned()))
        .collect();
    Ok(HttpResponse::Ok().json(AnswerList { items }))
}

/// The broker decides: `commission` one answer (the pooled needs become matched and each gets
/// an event linking it to the course), `decline` every answer with a reason, or `cancel` the
/// request. Send the `version` you saw; illegal moves are refused with 409.
#[utoipa::path(
    operation_id = "decideCourseRequest",
    tag = "course_requests",
    params(("id" = Uuid, Path)),
    request_body = DecideInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CourseRequestDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json", description = "Not allowed from the current status, or changed since `version`"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/course-requests/{id}/decide")]
pub async fn decide(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<DecideInput>,
) -> Result<HttpResponse, ApiError> {
    let command = DecideCourseRequest {
        version: input.version,
        decision: input.decision,
        answer_id: input.answer_id,
        reason: input.reason,
    };
    let txn = state.store.begin().await?;
    let DecidedCourseRequest {
        action,
        from,
        after,
        chosen,
        reason,
        matched_needs,
    } = request_cases::decide(&txn, &who.actor(), *id, command).await?;
    record_transition(
        &txn,
        &who,
        action.as_str(),
        *id,
        from,
        after.status,
        serde_json::json!({"answer_id": chosen.as_ref().map(|a| a.id), "reason": reason}),
    )
    .await?;
    let names = municipality_names(&txn).await?;
    let body = to_dto(&txn, &after, CourseRequestView::Broker, &names).await?;
    for need_id in &matched_needs {
        broker_store::repo::matching_jobs::enqueue_need(&txn, *need_id).await?;
    }
    txn.commit().await.map_err(ApiError::internal)?;
    for need_id in matched_needs {
        state
            .matcher
            .need_changed(need_id, std::time::Duration::ZERO)
            .await;
    }
    Ok(HttpResponse::Ok().json(body))
}

/// The request's history: sent, answers arriving, the decision (brokers only).
#[utoipa::path(
    operation_id = "listCourseRequestEvents",
    tag = "course_requests",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<CourseRequestEventDto>),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/course-requests/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.store.conn();
    let items: Vec<CourseRequestEventDto> = request_cases::events(conn, &who.actor(), *id)
        .await?
        .into_iter()
        .map(|e| CourseRequestEventDto {
            action: e.action,
            from: e.from_status,
            to: e.to_status,
            detail: e.detail,
            actor: e.actor,
            at: e.at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}
