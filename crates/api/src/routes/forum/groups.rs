//! Groups of a platform: the forum's steering group, coordination team, competence groups (by
//! focus area or industry), participant forum and working groups, or a local competence council;
//! each with a period.

use actix_web::{HttpResponse, get, post, web};
use broker_domain::forum::GroupScope;
use broker_domain::platform::{Group, GroupKind};
use broker_store::repo::{audit, forum, reference};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::access::{Access, default_platforms};
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::forum::{GroupDto, GroupInput, GroupList};
use crate::error::ApiError;
use crate::extract::ValidJson;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A group the caller may read; someone else's is a 404.
pub async fn readable_group(
    state: &AppState,
    who: &Identity,
    id: Uuid,
) -> Result<(Group, Access), ApiError> {
    let conn = state.store.conn();
    let group = forum::get_group(conn, id).await?;
    let access = Access::of(conn, who, group.platform_id)
        .await?
        .with_group_scope(conn, who, group.platform_id)
        .await?;
    if !access.can_read_group(group.kind) {
        return Err(ApiError::NotFound("group"));
    }
    Ok((group, access))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GroupQuery {
    /// The platform (required unless you are an admin or a broker).
    pub platform: Option<Uuid>,
    /// Only groups of this kind.
    pub kind: Option<String>,
    /// Only groups whose period contains this date (e.g. today's structure).
    pub active_on: Option<NaiveDate>,
}

/// Groups of a platform, newest period first.
#[utoipa::path(
    operation_id = "listGroups",
    tag = "forum",
    params(GroupQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = GroupList),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The platform named by `platform` is not visible to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/groups")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<GroupQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = query
        .kind
        .as_deref()
        .map(GroupKind::parse)
        .transpose()
        .map_err(|e| ApiError::from(e.under("kind")))?;
    let conn = state.store.conn();
    // Those who only form some of a platform's groups (a contact person its local council)
    // see just those.
    let mut only_scope = None;
    let platforms = match query.platform {
        Some(p) => {
            let access = Access::of(conn, &who, p)
                .await?
                .with_group_scope(conn, &who, p)
                .await?;
            if !access.can_read() {
                if access.group_scope == GroupScope::None {
                    access.must_read_platform()?;
                }
                only_scope = Some(access.group_scope);
            }
            Some(vec![p])
        }
        None => default_platforms(&who)?,
    };
    let today = today();
    let items = forum::list_groups(conn, platforms.as_deref(), kind, query.active_on)
        .await?
        .iter()
        .filter(|g| only_scope.is_none_or(|scope| scope.covers(g.kind)))
        .map(|g| GroupDto::new(g, today))
        .collect();
    Ok(HttpResponse::Ok().json(GroupList { items }))
}

/// Creates a group for a period. Renewing the structure means creating the new period's groups.
#[utoipa::path(
    operation_id = "createGroup",
    tag = "forum",
    request_body = GroupInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = GroupDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/groups")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<GroupInput>,
) -> Result<HttpResponse, ApiError> {
    let platform = reference::get_platform(state.store.conn(), input.platform_id)
        .await
        .map_err(|_| ApiError::field("platform_id", "no such platform"))?;
    let model = platform.model;
    let access = Access::of(state.store.conn(), &who, platform.id)
        .await?
        .with_group_scope(state.store.conn(), &who, platform.id)
        .await?;
    match GroupKind::parse(&input.kind) {
        Ok(kind) => access.must_manage_group(kind, "create groups of this kind")?,
        // An unknown kind is the input's fault (422 from parsing below) for those who may
        // create some group here; for the others it stays a refusal.
        Err(_) if access.group_scope != GroupScope::None => {}
        Err(_) => access.must_manage("create groups")?,
    }
    let group = Group::parse(
        uuid::Uuid::now_v7(),
        platform.id,
        model,
        &input.kind,
        &input.name,
        input.focus_area.as_deref(),
        input.industry.as_deref(),
        (input.period_start, input.period_end),
    )?;
    let txn = state.store.begin().await?;
    let saved = forum::create_group(&txn, &group).await?;
    let dto = GroupDto::new(&saved, today());
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "group.create".into(),
            entity: "group",
            entity_id: Some(saved.id),
            before: None,
            after: serde_json::to_value(&dto).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/groups/{}", saved.id)))
        .json(dto))
}

/// One group.
#[utoipa::path(
    operation_id = "getGroup",
    tag = "forum",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = GroupDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/groups/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = readable_group(&state, &who, *id).await?;
    Ok(HttpResponse::Ok().json(GroupDto::new(&group, today())))
}
