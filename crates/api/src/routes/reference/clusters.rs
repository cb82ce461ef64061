use actix_web::{HttpResponse, get, web};
use broker_store::repo::reference;

use crate::app::AppState;
use crate::dto::reference::ClusterDto;
use crate::error::ApiError;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClusterList {
    pub items: Vec<ClusterDto>,
}

/// Municipality clusters (shared labour-market areas) with their member codes.
#[utoipa::path(operation_id = "listClusters", tag = "reference", responses((status = 200, body = ClusterList)))]
#[get("/api/v1/clusters")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = reference::list_clusters(state.store.conn())
        .await?
        .into_iter()
        .map(|c| ClusterDto {
            id: c.id,
            key: c.key,
            name: c.name,
            region_id: c.region_id,
            municipalities: c.municipalities,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ClusterList { items }))
}
