use actix_web::{HttpResponse, get, patch, web};
use broker_store::repo::audit;
use broker_store::repo::reference::{self, PlatformRecord};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::dto::reference::{PlatformDto, PlatformSettingsPatch};
use crate::error::ApiError;
use crate::extract::ValidJson;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PlatformList {
    pub items: Vec<PlatformDto>,
}

pub fn to_dto(p: PlatformRecord) -> PlatformDto {
    PlatformDto {
        id: p.id,
        key: p.key,
        name: p.name,
        model: p.model,
        region_id: p.region_id,
        cluster_id: p.cluster_id,
        broker_arrangement: p.broker_arrangement,
        parent_id: p.parent_id,
        municipalities: p.municipalities,
        settings: serde_json::to_value(p.settings).unwrap_or_default(),
    }
}

/// Platforms: local competence platforms (per municipality, cluster or sub-region) and forums.
#[utoipa::path(operation_id = "listPlatforms", tag = "reference", responses((status = 200, body = PlatformList)))]
#[get("/api/v1/platforms")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = reference::list_platforms(state.store.conn())
        .await?
        .into_iter()
        .map(to_dto)
        .collect();
    Ok(HttpResponse::Ok().json(PlatformList { items }))
}

/// One platform.
#[utoipa::path(
    operation_id = "getPlatform",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Platform id")),
    responses((status = 200, body = PlatformDto), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/platforms/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(to_dto(
        reference::get_platform(state.store.conn(), id.into_inner()).await?,
    )))
}

/// Changes a platform's matching settings: weights, `min_score`, limits and `reach` (how far
/// from a need an on-site course may be). Admins, and brokers of the platform. Fields left out
/// keep their value; a bad value is a 422 naming the field. The platform's needs are rematched.
#[utoipa::path(
    operation_id = "updatePlatformSettings",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Platform id")),
    request_body = PlatformSettingsPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PlatformDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/platforms/{id}/settings")]
pub async fn update_settings(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(body): ValidJson<PlatformSettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    match who.role() {
        Role::Admin => {}
        Role::Broker if who.has_platform(id) => {}
        Role::Broker => return Err(ApiError::NotFound("platform")),
        _ => {
            return Err(ApiError::Forbidden(
                "platform settings are changed by admins and the platform's brokers".into(),
            ));
        }
    }
    let current = reference::get_platform(state.store.conn(), id).await?;
    let before = current.settings;
    let settings = body.apply(before).validate()?;
    let txn = state.store.begin().await?;
    let updated = reference::update_platform_settings(&txn, id, settings).await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "platform.settings".into(),
            entity: "platform",
            entity_id: Some(id),
            before: serde_json::to_value(before).ok(),
            after: serde_json::to_value(settings).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    state.matcher.platform_changed(updated.clone());
    Ok(HttpResponse::Ok().json(to_dto(updated)))
}
