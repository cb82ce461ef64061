//! Network and broker meetings of a platform: participants, agenda items linked to the needs,
//! course requests and match decisions they discussed, outcomes and minutes.
//!
//! Brokers keep the meetings of the platforms they broker (another platform's meeting is a 404);
//! admins all. Other roles have no access (403).

use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use broker_application::access::NeedAccess;
use broker_domain::error::FieldError;
use broker_domain::forum::MeetingKind;
use broker_domain::meeting::{
    AgendaLink, AgendaLinkKind, MeetingDraft, MeetingMaterial, MeetingSpec,
};
use broker_store::repo::meetings::{self, MeetingFilter, MeetingRecord};
use broker_store::repo::{audit, course_requests, forum, matches, needs, reference};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::dto::meetings::{
    AgendaItemDto, MeetingDto, MeetingInput, MeetingParticipantDto, MeetingPatch,
};
use crate::dto::{Page, Paging, csv_param};
use crate::error::ApiError;
use crate::extract::ValidJson;

fn dto(r: &MeetingRecord) -> MeetingDto {
    let s = &r.spec;
    MeetingDto {
        id: r.id,
        platform_id: r.platform_id,
        group_id: s.group_id,
        kind: s.kind.as_str().to_owned(),
        title: s.title.to_string(),
        held_on: s.held_on,
        participants: s
            .participants
            .iter()
            .map(MeetingParticipantDto::from_participant)
            .collect(),
        agenda: s.agenda.iter().map(AgendaItemDto::from_item).collect(),
        minutes: s.minutes.as_ref().map(ToString::to_string),
        place: r.material.place.as_ref().map(ToString::to_string),
        documents: r
            .material
            .documents
            .iter()
            .map(|d| crate::dto::meetings::MeetingDocumentDto {
                title: d.title.to_string(),
                url: d.url.as_str().to_owned(),
            })
            .collect(),
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        updated_by: r.updated_by.clone(),
    }
}

/// Brokers of the platform and admins; another platform's meeting is a 404.
fn must_keep(who: &Identity, platform_id: Uuid) -> Result<(), ApiError> {
    match who.role() {
        Role::Admin => Ok(()),
        Role::Broker if who.has_platform(platform_id) => Ok(()),
        Role::Broker => Err(ApiError::NotFound("meeting")),
        _ => Err(ApiError::Forbidden(
            "meetings are kept by the platform's brokers".into(),
        )),
    }
}

/// Fills in participants' names from the register, then validates the meeting and every
/// reference in it (people, organisations, the group, and linked objects not in `known`, which
/// the caller must be able to see). Reports every failure at once. Links the meeting already
/// had stay valid even when their object moved out of sight (a need escalated since).
async fn checked_spec(
    state: &AppState,
    who: &Identity,
    platform_id: Uuid,
    mut draft: MeetingDraft,
    known: &BTreeSet<AgendaLink>,
) -> Result<MeetingSpec, ApiError> {
    let conn = state.store.conn();
    let mut errors = Vec::new();
    for (i, p) in draft.participants.iter_mut().enumerate() {
        if let Some(person) = p.person_id {
            match reference::get_person(conn, person).await {
                Ok(found) => {
                    p.name.get_or_insert(found.name);
                }
                Err(_) => errors.push(FieldError::new(
                    format!("participants[{i}].person_id"),
                    "no such person",
                )),
            }
        }
        if let Some(org) = p.organisation_id {
            match reference::get_organisation(conn, org).await {
                Ok(found) => {
                    p.name.get_or_insert(found.name);
                }
                Err(_) => errors.push(FieldError::new(
                    format!("participants[{i}].organisation_id"),
                    "no such organisation",
                )),
            }
        }
    }
    if let Some(group) = draft.group_id
        && !forum::groups_of(conn, platform_id)
            .await?
            .iter()
            .any(|g| g.id == group)
    {
        errors.push(FieldError::new("group_id", "not a group of this platform"));
    }
    let actor = who.actor();
    for (i, item) in draft.agenda.iter().enumerate() {
        let is_new = |kind: AgendaLinkKind, target_id: Uuid| {
            !known.contains(&AgendaLink { kind, target_id })
        };
        for id in item
            .need_ids
            .iter()
            .filter(|id| is_new(AgendaLinkKind::Need, **id))
        {
            let visible = match needs::get(conn, *id).await {
                Ok(n) => NeedAccess::may_see(&actor, &n.need),
                Err(_) => false,
            };
            if !visible {
                errors.push(FieldError::new(
                    format!("agenda[{i}].need_ids"),
                    format!("no need {id} visible to you"),
                ));
            }
        }
        for id in item
            .course_request_ids
            .iter()
            .filter(|id| is_new(AgendaLinkKind::CourseRequest, **id))
        {
            let visible = match course_requests::get(conn, *id).await {
                Ok(r) => who.has_platform(r.platform_id),
                Err(_) => false,
            };
            if !visible {
                errors.push(FieldError::new(
                    format!("agenda[{i}].course_request_ids"),
                    format!("no course request {id} on a platform you broker"),
                ));
            }
        }
        for id in item
            .decision_ids
            .iter()
            .filter(|id| is_new(AgendaLinkKind::Decision, **id))
        {
            let visible = match matches::get(conn, *id).await {
                Ok(m) => who.has_platform(m.platform_id),
                Err(_) => false,
            };
            if !visible {
                errors.push(FieldError::new(
                    format!("agenda[{i}].decision_ids"),
                    format!("no match {id} in a review queue you see"),
                ));
            }
        }
    }
    match MeetingSpec::parse(draft) {
        Ok(spec) if errors.is_empty() => Ok(spec),
        Ok(_) => Err(ApiError::Validation(errors)),
        Err(e) => {
            errors.extend(e.field_errors().iter().cloned());
            Err(ApiError::Validation(errors))
        }
    }
}

/// Records a meeting of a platform: kind, date, participants, agenda items linked to needs,
/// course requests and match decisions, their outcomes and the minutes.
#[utoipa::path(
    operation_id = "createMeeting",
    tag = "meetings",
    request_body = MeetingInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = MeetingDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/meetings")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<MeetingInput>,
) -> Result<HttpResponse, ApiError> {
    must_keep(&who, input.platform_id)?;
    if state.matcher.platform(input.platform_id).is_none() {
        return Err(ApiError::field("platform_id", "no such platform"));
    }
    let spec = checked_spec(
        &state,
        &who,
        input.platform_id,
        input.to_draft(),
        &BTreeSet::new(),
    )
    .await?;
    let material = MeetingMaterial::parse(
        input.place.as_deref(),
        &crate::dto::meetings::MeetingDocumentDto::pairs(&input.documents),
    )?;
    let id = Uuid::now_v7();
    let txn = state.store.begin().await?;
    meetings::insert(&txn, id, input.platform_id, &spec, who.subject()).await?;
    meetings::set_material(&txn, id, &material).await?;
    let body = dto(&meetings::get(&txn, id).await?);
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "meeting.create".into(),
            entity: "meeting",
            entity_id: Some(id),
            before: None,
            after: serde_json::to_value(&body).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/meetings/{id}")))
        .json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MeetingQuery {
    pub platform: Option<Uuid>,
    /// Kinds, comma-separated (network_meeting, broker_meeting, start_up, workshop, ...).
    pub kind: Option<String>,
    /// Held on or after this day.
    pub from: Option<NaiveDate>,
    /// Held on or before this day.
    pub to: Option<NaiveDate>,
    /// Meetings whose agenda discussed this need.
    pub need: Option<Uuid>,
    /// Meetings whose agenda discussed this course request.
    pub course_request: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Meetings of the caller's platforms, most recent first.
#[utoipa::path(
    operation_id = "listMeetings",
    tag = "meetings",
    params(MeetingQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<MeetingDto>),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/meetings")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<MeetingQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    who.require(&[Role::Broker])?;
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let kinds = csv_param(query.kind.as_deref());
    for k in &kinds {
        MeetingKind::parse(k).map_err(|e| ApiError::from(e.under("kind")))?;
    }
    if query.need.is_some() && query.course_request.is_some() {
        return Err(ApiError::field(
            "need",
            "filter by a need or by a course request, not both",
        ));
    }
    let filter = MeetingFilter {
        scope_platforms: (who.role() == Role::Broker).then(|| who.claims().platforms.clone()),
        platform: query.platform,
        kinds,
        from: query.from,
        to: query.to,
        discussed: query.need.map(|n| (AgendaLinkKind::Need, n)).or(query
            .course_request
            .map(|c| (AgendaLinkKind::CourseRequest, c))),
    };
    let page = meetings::list(state.store.conn(), &filter, limit, offset).await?;
    Ok(HttpResponse::Ok().json(Page::new(
        page.items.iter().map(dto).collect(),
        page.total,
        limit,
        offset,
        &req,
    )))
}

/// One meeting.
#[utoipa::path(
    operation_id = "getMeeting",
    tag = "meetings",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MeetingDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/meetings/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let record = meetings::get(state.store.conn(), *id).await?;
    must_keep(&who, record.platform_id)?;
    Ok(HttpResponse::Ok().json(dto(&record)))
}

/// Changes a meeting: minutes and outcomes after it was held, participants, agenda (absent
/// fields keep their value). Send the `version` you saw: a stale one gets 409.
#[utoipa::path(
    operation_id = "updateMeeting",
    tag = "meetings",
    params(("id" = Uuid, Path)),
    request_body = MeetingPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = MeetingDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/meetings/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(p): ValidJson<MeetingPatch>,
) -> Result<HttpResponse, ApiError> {
    let current = meetings::get(state.store.conn(), *id).await?;
    must_keep(&who, current.platform_id)?;
    let before = dto(&current);
    let draft = MeetingDraft {
        kind: p.kind.clone().unwrap_or_else(|| before.kind.clone()),
        title: p.title.clone().unwrap_or_else(|| before.title.clone()),
        held_on: p.held_on.or(Some(before.held_on)),
        group_id: p.group_id.or(before.group_id),
        participants: p
            .participants
            .as_ref()
            .unwrap_or(&before.participants)
            .iter()
            .map(MeetingParticipantDto::to_draft)
            .collect(),
        agenda: p
            .agenda
            .as_ref()
            .unwrap_or(&before.agenda)
            .iter()
            .map(AgendaItemDto::to_draft)
            .collect(),
        minutes: p.minutes.clone().or_else(|| before.minutes.clone()),
    };
    let spec = checked_spec(
        &state,
        &who,
        current.platform_id,
        draft,
        &current.spec.links(),
    )
    .await?;
    let version =
        i32::try_from(p.version).map_err(|_| ApiError::field("version", "out of range"))?;
    let documents = p.documents.as_ref().unwrap_or(&before.documents);
    let material = MeetingMaterial::parse(
        p.place.as_deref().or(before.place.as_deref()),
        &crate::dto::meetings::MeetingDocumentDto::pairs(documents),
    )?;
    let txn = state.store.begin().await?;
    meetings::replace(&txn, *id, version, &spec, who.subject()).await?;
    meetings::set_material(&txn, *id, &material).await?;
    let body = dto(&meetings::get(&txn, *id).await?);
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "meeting.update".into(),
            entity: "meeting",
            entity_id: Some(*id),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&body).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(body))
}
