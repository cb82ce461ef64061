//! Recommendations the groups give to named actors (an organisation, a person, or an actor named
//! in words), and their follow-up: given -> acknowledged -> in_progress -> implemented, or
//! not_followed. The addressed organisation sees what was recommended to it and reports on it.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use broker_domain::error::Validator;
use broker_domain::forum::{Addressee, RecommendationAction, RecommendationStatus};
use broker_domain::lifecycle::Lifecycle;
use broker_domain::values::{LongText, optional_long_text};
use broker_store::StoreError;
use broker_store::repo::forum::{
    self, NewRecommendation, RecommendationFilter, RecommendationRecord,
};
use broker_store::repo::{audit, reference};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::access::{Access, default_platforms};
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::forum::{FollowUpDto, FollowUpInput, RecommendationDto, RecommendationInput};
use crate::dto::{Page, Paging, csv_param};
use crate::error::ApiError;
use crate::extract::ValidJson;

fn dto(r: &RecommendationRecord, follow_up: Option<Vec<FollowUpDto>>) -> RecommendationDto {
    RecommendationDto {
        id: r.id,
        platform_id: r.platform_id,
        group_id: r.group_id,
        proposal_id: r.proposal_id,
        addressee: r.addressee.name.as_str().to_owned(),
        addressee_organisation_id: r.addressee.organisation_id,
        addressee_person_id: r.addressee.person_id,
        text: r.text.clone(),
        status: r.status.as_str().to_owned(),
        version: r.version,
        allowed_actions: r
            .status
            .allowed_actions()
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        follow_up,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

async fn with_follow_up(
    state: &AppState,
    r: &RecommendationRecord,
) -> Result<RecommendationDto, ApiError> {
    let events = forum::recommendation_events(state.store.conn(), r.id)
        .await?
        .into_iter()
        .map(|e| FollowUpDto {
            action: e.action.as_str().to_owned(),
            from: e.from.as_str().to_owned(),
            to: e.to.as_str().to_owned(),
            note: e.note,
            actor: e.actor,
            at: e.at,
        })
        .collect();
    Ok(dto(r, Some(events)))
}

/// Whether the caller speaks for the addressed organisation.
fn is_addressee(who: &Identity, r: &RecommendationRecord) -> bool {
    r.addressee
        .organisation_id
        .is_some_and(|o| who.claims().organisation == Some(o))
}

/// A recommendation the caller may read (the platform's readers and the addressee); someone
/// else's is a 404.
async fn readable(
    state: &AppState,
    who: &Identity,
    id: Uuid,
) -> Result<(RecommendationRecord, Access), ApiError> {
    let r = forum::get_recommendation(state.store.conn(), id).await?;
    let access = Access::of(state.store.conn(), who, r.platform_id).await?;
    if !access.can_read() && !is_addressee(who, &r) {
        return Err(ApiError::NotFound("recommendation"));
    }
    Ok((r, access))
}

/// Gives a recommendation to a named actor on behalf of a group.
#[utoipa::path(
    operation_id = "createRecommendation",
    tag = "forum",
    request_body = RecommendationInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = RecommendationDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/recommendations")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<RecommendationInput>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.store.conn();
    let group = match forum::get_group(conn, input.group_id).await {
        Ok(g) => g,
        Err(StoreError::NotFound { .. }) => {
            return Err(ApiError::field("group_id", "no such group"));
        }
        Err(e) => return Err(e.into()),
    };
    Access::of(conn, &who, group.platform_id)
        .await?
        .must_work_in(Some(group.id), "give recommendations for this group")?;
    let mut v = Validator::new();
    let text = v.check("text", LongText::parse(&input.text));
    if let Some(p) = input.proposal_id {
        match forum::get_proposal(conn, p).await {
            Ok(p) if p.proposal.platform_id == group.platform_id => {}
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                v.fail("proposal_id", "no such proposal on the group's platform");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut registered_name = None;
    if let Some(o) = input.addressee_organisation_id {
        match reference::get_organisation(conn, o).await {
            Ok(org) => registered_name = Some(org.name),
            Err(StoreError::NotFound { .. }) => {
                v.fail("addressee_organisation_id", "no such organisation");
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(p) = input.addressee_person_id {
        match reference::get_person(conn, p).await {
            Ok(person) => registered_name = registered_name.or(Some(person.name)),
            Err(StoreError::NotFound { .. }) => {
                v.fail("addressee_person_id", "no such person");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let name = input.addressee.clone().or(registered_name);
    let addressee = v.check(
        "addressee",
        Addressee::parse(
            input.addressee_organisation_id,
            input.addressee_person_id,
            name.as_deref(),
        ),
    );
    v.finish()?;
    let (Some(text), Some(addressee)) = (text, addressee) else {
        return Err(ApiError::field("text", "invalid"));
    };
    let txn = state.store.begin().await?;
    let saved = forum::insert_recommendation(
        &txn,
        &NewRecommendation {
            id: Uuid::now_v7(),
            platform_id: group.platform_id,
            group_id: Some(group.id),
            proposal_id: input.proposal_id,
            addressee,
            text,
        },
    )
    .await?;
    let body = dto(&saved, Some(Vec::new()));
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "recommendation.create".into(),
            entity: "recommendation",
            entity_id: Some(saved.id),
            before: None,
            after: serde_json::to_value(&body).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/recommendations/{}", saved.id)))
        .json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecommendationQuery {
    /// The platform (required unless you are an admin or a broker, or ask for what was
    /// recommended to your own organisation).
    pub platform: Option<Uuid>,
    pub group: Option<Uuid>,
    pub proposal: Option<Uuid>,
    /// Recommendations addressed to this organisation.
    pub addressee_organisation: Option<Uuid>,
    /// Statuses, comma-separated.
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Recommendations, oldest first. An organisation sees those addressed to it by asking with
/// `addressee_organisation` set to its own id.
#[utoipa::path(
    operation_id = "listRecommendations",
    tag = "forum",
    params(RecommendationQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<RecommendationDto>),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/recommendations")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<RecommendationQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let statuses = csv_param(query.status.as_deref());
    for s in &statuses {
        RecommendationStatus::parse(s).map_err(|e| ApiError::from(e.under("status")))?;
    }
    let conn = state.store.conn();
    let own_organisation = query
        .addressee_organisation
        .is_some_and(|o| who.claims().organisation == Some(o));
    let scope_platforms = match query.platform {
        Some(p) => {
            let access = Access::of(conn, &who, p).await?;
            if !access.can_read() && !own_organisation {
                access.must_read_platform()?;
            }
            None
        }
        None if own_organisation => None,
        None => default_platforms(&who)?,
    };
    let filter = RecommendationFilter {
        scope_platforms,
        platform: query.platform,
        group: query.group,
        proposal: query.proposal,
        addressee_organisation: query.addressee_organisation,
        statuses,
    };
    let page = forum::list_recommendations(conn, &filter, limit, offset).await?;
    Ok(HttpResponse::Ok().json(Page::new(
        page.items.iter().map(|r| dto(r, None)).collect(),
        page.total,
        limit,
        offset,
        &req,
    )))
}

/// One recommendation with its follow-up history.
#[utoipa::path(
    operation_id = "getRecommendation",
    tag = "forum",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RecommendationDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/recommendations/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (r, _) = readable(&state, &who, *id).await?;
    Ok(HttpResponse::Ok().json(with_follow_up(&state, &r).await?))
}

/// Follows a recommendation up: `acknowledge`, `start`, `implement` or `decline`, with a note.
/// The giving group's members, brokers and the addressed organisation may. Send the `version`
/// you saw.
#[utoipa::path(
    operation_id = "followUpRecommendation",
    tag = "forum",
    params(("id" = Uuid, Path)),
    request_body = FollowUpInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RecommendationDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/recommendations/{id}/follow-up")]
pub async fn record_follow_up(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<FollowUpInput>,
) -> Result<HttpResponse, ApiError> {
    let (r, access) = readable(&state, &who, *id).await?;
    if !is_addressee(&who, &r) {
        access.must_work_in(r.group_id, "follow this recommendation up")?;
    }
    let mut v = Validator::new();
    let action = v.check("action", RecommendationAction::parse(&input.action));
    let note = v
        .check("note", optional_long_text(input.note.as_deref()))
        .flatten();
    let version = i32::try_from(input.version);
    if version.is_err() {
        v.fail("version", "out of range");
    }
    v.finish()?;
    let (Some(action), Ok(version)) = (action, version) else {
        return Err(ApiError::field("action", "invalid"));
    };
    let txn = state.store.begin().await?;
    let (before, after) = forum::follow_up_recommendation(
        &txn,
        *id,
        version,
        action,
        note.as_ref().map(LongText::as_str),
        who.subject(),
    )
    .await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: format!("recommendation.{}", action.as_str()),
            entity: "recommendation",
            entity_id: Some(*id),
            before: serde_json::to_value(dto(&before, None)).ok(),
            after: serde_json::to_value(dto(&after, None)).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(with_follow_up(&state, &after).await?))
}
