use actix_web::{HttpResponse, get, web};
use broker_store::repo::reference::{self, PlatformRecord};
use uuid::Uuid;

use crate::app::AppState;
use crate::dto::reference::PlatformDto;
use crate::error::ApiError;

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
#[utoipa::path(tag = "reference", responses((status = 200, body = PlatformList)))]
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
