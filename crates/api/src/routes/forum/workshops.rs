//! Workshops: the forum's participants meet, discuss proposals and give input. Discussing a
//! proposal at a workshop moves it to `discussed` with the input attached.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use broker_domain::error::Validator;
use broker_domain::values::{Label, Name};
use broker_store::StoreError;
use broker_store::repo::workshops::{self, NewWorkshop, Participant, WorkshopRecord};
use broker_store::repo::{audit, forum, reference};
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::access::{Access, default_platforms};
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::forum::{
    DiscussionDto, DiscussionInput, ProposalActionInput, ProposalDto, WorkshopDto, WorkshopInput,
    WorkshopParticipantDto,
};
use crate::dto::{Page, Paging};
use crate::error::ApiError;
use crate::extract::ValidJson;

/// At most this many participants per workshop (the forum has about 60).
const MAX_PARTICIPANTS: usize = 500;

async fn dto(conn: &impl ConnectionTrait, w: &WorkshopRecord) -> Result<WorkshopDto, ApiError> {
    let discussions = workshops::inputs(conn, Some(w.id), None)
        .await?
        .into_iter()
        .map(|i| DiscussionDto {
            workshop_id: i.workshop_id,
            proposal_id: i.proposal_id,
            input: i.input,
            given_by: i.given_by,
            at: i.at,
        })
        .collect();
    Ok(WorkshopDto {
        id: w.id,
        platform_id: w.platform_id,
        group_id: w.group_id,
        title: w.title.clone(),
        held_on: w.held_on,
        participants: w
            .participants
            .iter()
            .map(|p| WorkshopParticipantDto {
                person_id: p.person_id,
                organisation_id: p.organisation_id,
                name: Some(p.name.clone()),
                role: p.role.clone(),
            })
            .collect(),
        discussions,
        created_at: w.created_at,
    })
}

/// A workshop the caller may read; someone else's is a 404.
async fn readable(
    state: &AppState,
    who: &Identity,
    id: Uuid,
) -> Result<(WorkshopRecord, Access), ApiError> {
    let w = workshops::get(state.store.conn(), id).await?;
    let access = Access::of(state.store.conn(), who, w.platform_id).await?;
    access.must_read("workshop")?;
    Ok((w, access))
}

/// Resolves each participant's name and organisation from the registered person, checking that
/// every named person and organisation exists.
async fn participants(
    conn: &impl ConnectionTrait,
    input: &[WorkshopParticipantDto],
) -> Result<Vec<Participant>, ApiError> {
    let mut v = Validator::new();
    if input.is_empty() {
        v.fail("participants", "name at least one participant");
    }
    if input.len() > MAX_PARTICIPANTS {
        v.fail(
            "participants",
            format!("at most {MAX_PARTICIPANTS} participants"),
        );
    }
    let mut out = Vec::with_capacity(input.len());
    for (i, p) in input.iter().enumerate() {
        let field = format!("participants[{i}]");
        let person = match p.person_id {
            Some(id) => match reference::get_person(conn, id).await {
                Ok(person) => Some(person),
                Err(StoreError::NotFound { .. }) => {
                    v.fail(format!("{field}.person_id"), "no such person");
                    None
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let organisation = match p.organisation_id {
            Some(id) => match reference::get_organisation(conn, id).await {
                Ok(o) => Some(o),
                Err(StoreError::NotFound { .. }) => {
                    v.fail(format!("{field}.organisation_id"), "no such organisation");
                    None
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let name = p
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| person.as_ref().map(|x| x.name.clone()))
            .or_else(|| organisation.as_ref().map(|o| o.name.clone()));
        // The same rule as a meeting participant's role: a label, blank meaning none.
        let role = v.check(
            &format!("{field}.role"),
            p.role
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(Label::parse)
                .transpose(),
        );
        match name {
            Some(n) => {
                if let (Some(n), Some(role)) =
                    (v.check(&format!("{field}.name"), Name::parse(&n)), role)
                {
                    out.push(Participant {
                        role: role.map(Label::into_inner),
                        person_id: p.person_id,
                        organisation_id: p
                            .organisation_id
                            .or_else(|| person.as_ref().and_then(|x| x.organisation_id)),
                        name: n.into_inner(),
                    });
                }
            }
            None => v.fail(
                format!("{field}.name"),
                "name the participant, or give a person_id or organisation_id",
            ),
        }
    }
    v.finish()?;
    Ok(out)
}

/// Records a workshop with its participants. Members of the platform's groups and brokers may.
#[utoipa::path(
    operation_id = "createWorkshop",
    tag = "forum",
    request_body = WorkshopInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = WorkshopDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/workshops")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<WorkshopInput>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.store.conn();
    let platform = reference::get_platform(conn, input.platform_id)
        .await
        .map_err(|_| ApiError::field("platform_id", "no such platform"))?;
    Access::of(conn, &who, platform.id)
        .await?
        .must_read_platform()?;
    let mut v = Validator::new();
    let title = v.check("title", Name::parse(&input.title));
    if let Some(g) = input.group_id {
        match forum::get_group(conn, g).await {
            Ok(group) if group.platform_id == platform.id => {}
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                v.fail("group_id", "no such group on this platform");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let people = participants(conn, &input.participants).await;
    v.finish()?;
    let people = people?;
    let title = title.ok_or_else(|| ApiError::field("title", "invalid"))?;
    let txn = state.store.begin().await?;
    let saved = workshops::insert(
        &txn,
        &NewWorkshop {
            id: Uuid::now_v7(),
            platform_id: platform.id,
            group_id: input.group_id,
            title: title.into_inner(),
            held_on: input.held_on,
            participants: people,
        },
    )
    .await?;
    let body = dto(&txn, &saved).await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "workshop.create".into(),
            entity: "workshop",
            entity_id: Some(saved.id),
            before: None,
            after: serde_json::to_value(&body).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/workshops/{}", saved.id)))
        .json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WorkshopQuery {
    /// The platform (required unless you are an admin or a broker).
    pub platform: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Workshops, newest first, with what they discussed.
#[utoipa::path(
    operation_id = "listWorkshops",
    tag = "forum",
    params(WorkshopQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<WorkshopDto>),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/workshops")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<WorkshopQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let conn = state.store.conn();
    let platforms = match query.platform {
        Some(p) => {
            Access::of(conn, &who, p).await?.must_read_platform()?;
            Some(vec![p])
        }
        None => default_platforms(&who)?,
    };
    let page = workshops::list(conn, platforms.as_deref(), limit, offset).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for w in &page.items {
        items.push(dto(conn, w).await?);
    }
    Ok(HttpResponse::Ok().json(Page::new(items, page.total, limit, offset, &req)))
}

/// One workshop: participants, and the input it gave on each proposal it discussed.
#[utoipa::path(
    operation_id = "getWorkshop",
    tag = "forum",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WorkshopDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/workshops/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (w, _) = readable(&state, &who, *id).await?;
    Ok(HttpResponse::Ok().json(dto(state.store.conn(), &w).await?))
}

/// Records that the workshop discussed a proposal and the input it gave: the proposal moves to
/// `discussed` (the same step as the proposal's `discuss` action). Send the proposal's version.
#[utoipa::path(
    operation_id = "discussInWorkshop",
    tag = "forum",
    params(("id" = Uuid, Path)),
    request_body = DiscussionInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProposalDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/workshops/{id}/discussions")]
pub async fn discuss(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<DiscussionInput>,
) -> Result<HttpResponse, ApiError> {
    let (w, _) = readable(&state, &who, *id).await?;
    match forum::get_proposal(state.store.conn(), input.proposal_id).await {
        Ok(p) if p.proposal.platform_id == w.platform_id => {}
        Ok(_) | Err(StoreError::NotFound { .. }) => {
            return Err(ApiError::field(
                "proposal_id",
                "no such proposal on the workshop's platform",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let saved = super::proposals::act(
        &state,
        &who,
        input.proposal_id,
        ProposalActionInput::Discuss {
            version: input.version,
            workshop_id: w.id,
            input: input.input,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(super::proposals::dto(&saved)))
}
