use actix_web::{HttpResponse, get, web};
use broker_store::repo::reference;

use crate::app::AppState;
use crate::dto::reference::RegionDto;
use crate::error::ApiError;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RegionList {
    pub items: Vec<RegionDto>,
}

/// Regions served (Fyrbodal, Østfold).
#[utoipa::path(operation_id = "listRegions", tag = "reference", responses((status = 200, body = RegionList)))]
#[get("/api/v1/regions")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = reference::list_regions(state.store.conn())
        .await?
        .into_iter()
        .map(|r| RegionDto {
            id: r.id,
            key: r.key,
            name: r.name,
            country: r.country,
        })
        .collect();
    Ok(HttpResponse::Ok().json(RegionList { items }))
}
