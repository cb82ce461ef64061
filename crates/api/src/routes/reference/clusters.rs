use actix_web::{HttpResponse, get, patch, post, web};
use broker_domain::geo::MunicipalityCluster;
use broker_domain::platform::parse_key;
use broker_store::repo::reference::{self, ClusterRecord};
use uuid::Uuid;

use super::{commit_structure, record, require_manages, resolve_municipalities};
use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::dto::reference::{ClusterDto, ClusterInput};
use crate::error::ApiError;
use crate::extract::ValidJson;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClusterList {
    pub items: Vec<ClusterDto>,
}

fn to_dto(c: ClusterRecord) -> ClusterDto {
    ClusterDto {
        id: c.id,
        key: c.key,
        name: c.name,
        region_id: c.region_id,
        municipalities: c.municipalities,
    }
}

/// Municipality clusters (shared labour-market areas) with their member codes.
#[utoipa::path(operation_id = "listClusters", tag = "reference", responses((status = 200, body = ClusterList)))]
#[get("/api/v1/clusters")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // From the structure cache every instance keeps current: no database read.
    let places = state.matcher.places();
    places.json_response("clusters", || ClusterList {
        items: places.clusters.iter().cloned().map(to_dto).collect(),
    })
}

/// Validates a cluster's name and members: at least two municipalities, all of one region.
async fn validated(
    state: &AppState,
    id: Uuid,
    input: &ClusterInput,
) -> Result<(MunicipalityCluster, Vec<String>), ApiError> {
    let conn = state.store.conn();
    let codes = resolve_municipalities(conn, "municipalities", &input.municipalities).await?;
    let regions: Vec<Uuid> = {
        let all = reference::list_municipalities(conn, None, None).await?;
        let mut r: Vec<Uuid> = all
            .iter()
            .filter(|m| codes.iter().any(|c| c == m.code()))
            .map(|m| m.municipality.region_id)
            .collect();
        r.sort();
        r.dedup();
        r
    };
    let [region] = regions[..] else {
        return Err(ApiError::field(
            "municipalities",
            "a cluster's municipalities belong to one region",
        ));
    };
    let cluster = MunicipalityCluster::parse(id, &input.name, region, &codes)?;
    Ok((cluster, codes))
}

fn refused() -> ApiError {
    ApiError::Forbidden(
        "clusters are managed by admins and the sub-regional broker of their municipalities".into(),
    )
}

/// Forms a municipality cluster (small municipalities sharing a labour-market area). Admins;
/// a sub-regional broker within its sub-region.
#[utoipa::path(
    operation_id = "createCluster",
    tag = "reference",
    request_body = ClusterInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ClusterDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/clusters")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<ClusterInput>,
) -> Result<HttpResponse, ApiError> {
    if !matches!(who.role(), Role::Admin | Role::Broker) {
        return Err(refused());
    }
    let key = parse_key(input.key.as_deref().unwrap_or_default())
        .map_err(|e| ApiError::from(e.under("key")))?;
    let id = Uuid::now_v7();
    let (cluster, codes) = validated(&state, id, &input).await?;
    require_manages(&state, &who, &codes, "clusters").await?;
    let rec = ClusterRecord {
        id,
        key,
        name: cluster.name.into_inner(),
        region_id: cluster.region_id,
        municipalities: codes,
    };
    let dto = to_dto(rec.clone());
    let txn = state.store.begin().await?;
    reference::insert_cluster(&txn, &rec).await?;
    record(
        &txn,
        &who,
        "cluster.create",
        "cluster",
        Some(id),
        None,
        serde_json::to_value(&dto).ok(),
    )
    .await?;
    commit_structure(&state, txn).await?;
    Ok(HttpResponse::Created().json(dto))
}

/// Renames a cluster or changes its members. Admins; a sub-regional broker for clusters within
/// its sub-region (before and after the change).
#[utoipa::path(
    operation_id = "updateCluster",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Cluster id")),
    request_body = ClusterInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ClusterDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/clusters/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<ClusterInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if !matches!(who.role(), Role::Admin | Role::Broker) {
        return Err(refused());
    }
    let current = reference::get_cluster(state.store.conn(), id).await?;
    require_manages(&state, &who, &current.municipalities, "clusters").await?;
    let (cluster, codes) = validated(&state, id, &input).await?;
    require_manages(&state, &who, &codes, "clusters").await?;
    let rec = ClusterRecord {
        id,
        key: current.key.clone(),
        name: cluster.name.into_inner(),
        region_id: cluster.region_id,
        municipalities: codes,
    };
    let before = serde_json::to_value(to_dto(current)).ok();
    let dto = to_dto(rec.clone());
    let txn = state.store.begin().await?;
    reference::update_cluster(&txn, &rec).await?;
    record(
        &txn,
        &who,
        "cluster.update",
        "cluster",
        Some(id),
        before,
        serde_json::to_value(&dto).ok(),
    )
    .await?;
    commit_structure(&state, txn).await?;
    Ok(HttpResponse::Ok().json(dto))
}
