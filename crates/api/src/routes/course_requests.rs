//! Course requests: a broker pools needs into one request to education providers, sends it,
//! providers answer, the broker commissions one answer (or declines them all, or cancels).
//!
//! Brokers see the requests of the platforms they broker (another platform's is a 404);
//! providers see sent requests addressed to them or to every provider, with the head count and
//! the municipalities but nothing that identifies a need, an employer or a person.

use std::collections::{BTreeSet, HashMap};

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use broker_application::access::NeedAccess;
use broker_domain::course_request::{
    Answer, AnswerDraft, AnswerResponse, CourseRequestAction, CourseRequestDraft,
    CourseRequestSpec, CourseRequestStatus, PooledNeed,
};
use broker_domain::error::FieldError;
use broker_domain::lifecycle::Lifecycle;
use broker_domain::need::{NeedAction, NeedStatus};
use broker_domain::offer::OfferStatus;
use broker_store::repo::course_requests::{
    self, AnswerRecord, CourseRequestFilter, CourseRequestRecord, TransitionDetail,
};
use broker_store::repo::{audit, needs, offers, reference};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::dto::course_requests::{
    AnswerDto, AnswerInput, AnswerList, CourseRequestDto, CourseRequestEventDto,
    CourseRequestInput, DecideInput, MunicipalityRef, SendInput,
};
use crate::dto::needs::{DeliveryPreferenceDto, RequirementDto};
use crate::dto::{Page, Paging, csv_param};
use crate::error::ApiError;
use crate::extract::ValidJson;

/// How the caller sees a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Viewer {
    /// An admin or a broker of the request's platform: everything.
    Broker,
    /// An education provider the request is addressed to: no need, employer or person details.
    Provider(Uuid),
}

fn own_organisation(who: &Identity) -> Result<Uuid, ApiError> {
    who.claims()
        .organisation
        .ok_or_else(|| ApiError::Forbidden("the token names no organisation".into()))
}

/// Someone else's request is a 404; roles without a view of course requests get 403.
fn viewer(who: &Identity, r: &CourseRequestRecord) -> Result<Viewer, ApiError> {
    match who.role() {
        Role::Admin => Ok(Viewer::Broker),
        Role::Broker if who.has_platform(r.platform_id) => Ok(Viewer::Broker),
        Role::Broker => Err(ApiError::NotFound("course_request")),
        Role::Provider => {
            let org = own_organisation(who)?;
            if r.status.visible_to_providers() && r.spec.addresses(org) {
                Ok(Viewer::Provider(org))
            } else {
                Err(ApiError::NotFound("course_request"))
            }
        }
        Role::MunicipalContact | Role::Employer => Err(ApiError::Forbidden(
            "course requests are for brokers and education providers".into(),
        )),
    }
}

/// Only the request's broker (or an admin) changes it.
fn must_broker(who: &Identity, r: &CourseRequestRecord) -> Result<(), ApiError> {
    match viewer(who, r)? {
        Viewer::Broker => Ok(()),
        Viewer::Provider(_) => Err(ApiError::Forbidden(
            "only the request's broker changes it; providers answer".into(),
        )),
    }
}

async fn municipality_names(
    conn: &impl ConnectionTrait,
) -> Result<HashMap<String, String>, ApiError> {
    Ok(reference::list_municipalities(conn, None, None)
        .await?
        .into_iter()
        .map(|m| (m.code, m.name))
        .collect())
}

async fn to_dto(
    conn: &impl ConnectionTrait,
    r: &CourseRequestRecord,
    viewer: Viewer,
    names: &HashMap<String, String>,
) -> Result<CourseRequestDto, ApiError> {
    let own = match viewer {
        Viewer::Broker => None,
        Viewer::Provider(org) => Some(org),
    };
    let answer_count = course_requests::answers(conn, r.id, own).await?.len();
    let full = viewer == Viewer::Broker;
    let s = &r.spec;
    let allowed_actions = match viewer {
        Viewer::Broker => r
            .status
            .allowed_actions()
            .into_iter()
            .filter(|a| *a != CourseRequestAction::ReceiveAnswer)
            .map(|a| a.as_str().to_owned())
            .collect(),
        Viewer::Provider(_) => {
            let open = r
                .status
                .transition(CourseRequestAction::ReceiveAnswer)
                .is_ok();
            if open && answer_count == 0 {
                vec!["answer".to_owned()]
            } else {
                Vec::new()
            }
        }
    };
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
    who.require(&[Role::Broker])?;
    let conn = state.store.conn();
    let today = Utc::now().date_naive();
    let found = needs::get_many(conn, &input.need_ids).await?;
    let mut errors = Vec::new();
    let mut pooled = Vec::new();
    let actor = who.actor();
    for (i, id) in input.need_ids.iter().enumerate() {
        match found.iter().find(|n| n.need.id == *id) {
            Some(n) if NeedAccess::may_see(&actor, &n.need) => {
                if n.need.status.is_active() {
                    pooled.push(n);
                } else {
                    errors.push(FieldError::new(
                        format!("need_ids[{i}]"),
                        format!(
                            "the need is {}; only open, in-review or pooled needs go into a course request",
                            n.need.status
                        ),
                    ));
                }
            }
            _ => errors.push(FieldError::new(
                format!("need_ids[{i}]"),
                "no such need on a platform you broker",
            )),
        }
    }
    let platform_id = match input.platform_id {
        Some(p) => Some(p),
        None => {
            let platforms: BTreeSet<Uuid> = pooled.iter().map(|n| n.need.platform_id).collect();
            match platforms.len() {
                0 => None,
                1 => platforms.into_iter().next(),
                _ => {
                    errors.push(FieldError::new(
                        "platform_id",
                        "the needs sit on several platforms; name the one that owns the request",
                    ));
                    None
                }
            }
        }
    };
    if let Some(p) = platform_id
        && state.matcher.platform(p).is_none()
    {
        errors.push(FieldError::new("platform_id", "no such platform"));
    }
    for (i, org) in input.provider_ids.iter().enumerate() {
        match reference::get_organisation(conn, *org).await {
            Ok(o) if o.kind == "education_provider" => {}
            Ok(_) => errors.push(FieldError::new(
                format!("provider_ids[{i}]"),
                "the organisation is not an education provider",
            )),
            Err(_) => errors.push(FieldError::new(
                format!("provider_ids[{i}]"),
                "no such organisation",
            )),
        }
    }
    let draft = CourseRequestDraft {
        title: input.title.clone(),
        description: input.description.clone(),
        need_ids: input.need_ids.clone(),
        wanted_start: input.wanted_start,
        delivery: input.delivery.map(|d| (d.on_site, d.distance, d.part_time)),
        respond_by: input.respond_by,
        provider_ids: input.provider_ids.clone(),
    };
    let pooled_needs: Vec<PooledNeed> = pooled
        .iter()
        .map(|n| PooledNeed {
            id: n.need.id,
            municipality: n.need.spec.municipality.clone(),
            headcount: n.need.spec.headcount,
            competences: n.need.spec.competences.clone(),
            needed_by: n.need.spec.needed_by,
            delivery: n.need.spec.delivery,
        })
        .collect();
    let spec = match CourseRequestSpec::pool(draft, &pooled_needs, today) {
        Ok(spec) => Some(spec),
        Err(e) => {
            // Needs left out above are already reported, with a clearer reason.
            let fresh: Vec<FieldError> = e
                .field_errors()
                .iter()
                .filter(|f| !errors.iter().any(|known| known.field == f.field))
                .cloned()
                .collect();
            errors.extend(fresh);
            None
        }
    };
    let (Some(spec), Some(platform_id), true) = (spec, platform_id, errors.is_empty()) else {
        if errors.is_empty() {
            errors.push(FieldError::new(
                "need_ids",
                "name at least one need to pool",
            ));
        }
        return Err(ApiError::Validation(errors));
    };
    if !who.has_platform(platform_id) {
        return Err(ApiError::Forbidden(
            "you do not broker the platform named by platform_id".into(),
        ));
    }
    let txn = state.store.begin().await?;
    if let Some((need, request)) = course_requests::holding(&txn, &spec.need_ids)
        .await?
        .into_iter()
        .next()
    {
        return Err(ApiError::Conflict(format!(
            "need {need} is already pooled in course request {request}"
        )));
    }
    let id = Uuid::now_v7();
    let record = course_requests::insert(&txn, id, platform_id, &spec, who.subject()).await?;
    for need in &spec.need_ids {
        needs::add_event(
            &txn,
            *need,
            "pooled",
            serde_json::json!({"course_request_id": id, "title": spec.title.as_str(), "total_headcount": spec.total_headcount}),
            who.subject(),
        )
        .await?;
    }
    let names = municipality_names(&txn).await?;
    let body = to_dto(&txn, &record, Viewer::Broker, &names).await?;
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
    let mut filter = CourseRequestFilter {
        platform: query.platform,
        statuses,
        need: query.need,
        ..Default::default()
    };
    let viewer = match who.role() {
        Role::Admin => Viewer::Broker,
        Role::Broker => {
            filter.scope_platforms = Some(who.claims().platforms.clone());
            Viewer::Broker
        }
        Role::Provider => {
            let org = own_organisation(&who)?;
            filter.visible_to_provider = Some(org);
            // Providers do not learn which requests pool a given need.
            filter.need = None;
            Viewer::Provider(org)
        }
        Role::MunicipalContact | Role::Employer => {
            return Err(ApiError::Forbidden(
                "course requests are for brokers and education providers".into(),
            ));
        }
    };
    let conn = state.store.conn();
    let page = course_requests::list(conn, &filter, limit, offset).await?;
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
    let record = course_requests::get(conn, *id).await?;
    let viewer = viewer(&who, &record)?;
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
    let current = course_requests::get(state.store.conn(), *id).await?;
    must_broker(&who, &current)?;
    let version =
        i32::try_from(input.version).map_err(|_| ApiError::field("version", "out of range"))?;
    let txn = state.store.begin().await?;
    let (from, after) = course_requests::transition(
        &txn,
        *id,
        Some(version),
        CourseRequestAction::Send,
        TransitionDetail {
            event: serde_json::json!({"open_to_all": current.spec.provider_ids.is_empty(), "addressed_to": current.spec.provider_ids}),
            ..Default::default()
        },
        who.subject(),
    )
    .await?;
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
    let body = to_dto(&txn, &after, Viewer::Broker, &names).await?;
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
    let conn = state.store.conn();
    let current = course_requests::get(conn, *id).await?;
    let org = match viewer(&who, &current)? {
        Viewer::Provider(org) => org,
        Viewer::Broker => {
            return Err(ApiError::Forbidden(
                "education providers answer course requests".into(),
            ));
        }
    };
    let answer = Answer::parse(
        AnswerDraft {
            response: input.response.clone(),
            offer_id: input.offer_id,
            proposal: input.proposal.clone(),
            price_minor: input.price_minor,
            currency: input.currency.clone(),
            seats: input.seats,
            start: input.start,
            note: input.note.clone(),
        },
        Utc::now().date_naive(),
    )?;
    if let Some(offer_id) = answer.offer_id {
        match offers::get(conn, offer_id).await {
            Ok(o) if o.spec.provider_id == org && o.status != OfferStatus::Archived => {}
            _ => {
                return Err(ApiError::field(
                    "offer_id",
                    "not one of your current (draft or published) offers",
                ));
            }
        }
    }
    if !course_requests::answers(conn, *id, Some(org))
        .await?
        .is_empty()
    {
        return Err(ApiError::Conflict(
            "your organisation has already answered this request".into(),
        ));
    }
    let txn = state.store.begin().await?;
    let (from, after) = course_requests::transition(
        &txn,
        *id,
        None,
        CourseRequestAction::ReceiveAnswer,
        TransitionDetail {
            event: serde_json::json!({"provider_id": org, "response": answer.response.as_str()}),
            ..Default::default()
        },
        who.subject(),
    )
    .await?;
    let saved = course_requests::insert_answer(&txn, *id, org, &answer, who.subject()).await?;
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
    let record = course_requests::get(conn, *id).await?;
    let own = match viewer(&who, &record)? {
        Viewer::Broker => None,
        Viewer::Provider(org) => Some(org),
    };
    let rows = course_requests::answers(conn, *id, own).await?;
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
    let conn = state.store.conn();
    let current = course_requests::get(conn, *id).await?;
    must_broker(&who, &current)?;
    let version =
        i32::try_from(input.version).map_err(|_| ApiError::field("version", "out of range"))?;
    let reason = broker_domain::values::optional_long_text(input.reason.as_deref())
        .map_err(|e| ApiError::from(e.under("reason")))?
        .map(|r| r.into_inner());
    let action = match input.decision.as_str() {
        "commission" => CourseRequestAction::Commission,
        "decline" => CourseRequestAction::Decline,
        "cancel" => CourseRequestAction::Cancel,
        other => {
            return Err(ApiError::field(
                "decision",
                format!("`{other}` is not one of: commission, decline, cancel"),
            ));
        }
    };
    // The lifecycle speaks first: a refused move is a 409 whatever else the request says.
    current.status.transition(action)?;
    let chosen = match action {
        CourseRequestAction::Commission => {
            let answer_id = input
                .answer_id
                .ok_or_else(|| ApiError::field("answer_id", "name the answer to commission"))?;
            let chosen = course_requests::answers(conn, *id, None)
                .await?
                .into_iter()
                .find(|a| a.id == answer_id)
                .ok_or_else(|| ApiError::field("answer_id", "not an answer to this request"))?;
            if chosen.answer.response == AnswerResponse::Decline {
                return Err(ApiError::field(
                    "answer_id",
                    "that answer declined; commission an answer that offers the course",
                ));
            }
            Some(chosen)
        }
        CourseRequestAction::Decline if reason.is_none() => {
            return Err(ApiError::field("reason", "say why no answer fits"));
        }
        _ => {
            if input.answer_id.is_some() {
                return Err(ApiError::field(
                    "answer_id",
                    "only a commission names an answer",
                ));
            }
            None
        }
    };
    let txn = state.store.begin().await?;
    let (from, after) = course_requests::transition(
        &txn,
        *id,
        Some(version),
        action,
        TransitionDetail {
            commissioned_answer_id: chosen.as_ref().map(|a| a.id),
            reason: reason.clone(),
            event: serde_json::json!({"answer_id": chosen.as_ref().map(|a| a.id), "reason": reason}),
        },
        who.subject(),
    )
    .await?;
    course_requests::settle_answers(&txn, *id, chosen.as_ref().map(|a| a.id)).await?;
    let mut touched = Vec::new();
    for need_id in &after.spec.need_ids {
        let need = needs::get(&txn, *need_id).await?;
        let detail = match &chosen {
            Some(a) => {
                let moved = need.need.status.transition(NeedAction::Match).is_ok();
                if moved {
                    needs::transition(&txn, *need_id, None, NeedAction::Match).await?;
                    touched.push(*need_id);
                }
                serde_json::json!({
                    "course_request_id": *id,
                    "title": after.spec.title.as_str(),
                    "answer_id": a.id,
                    "provider_id": a.provider_id,
                    "offer_id": a.answer.offer_id,
                    "status": if moved { NeedStatus::Matched.as_str() } else { need.need.status.as_str() },
                })
            }
            None => serde_json::json!({
                "course_request_id": *id,
                "title": after.spec.title.as_str(),
                "reason": reason,
            }),
        };
        let kind = match action {
            CourseRequestAction::Commission => "commissioned",
            CourseRequestAction::Decline => "course_request_declined",
            _ => "course_request_cancelled",
        };
        needs::add_event(&txn, *need_id, kind, detail, who.subject()).await?;
    }
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
    let body = to_dto(&txn, &after, Viewer::Broker, &names).await?;
    for need_id in &touched {
        crate::matcher::enqueue_need(&txn, *need_id).await?;
    }
    txn.commit().await.map_err(ApiError::internal)?;
    for need_id in touched {
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
    let record = course_requests::get(conn, *id).await?;
    must_broker(&who, &record)?;
    let items: Vec<CourseRequestEventDto> = course_requests::events(conn, *id)
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
