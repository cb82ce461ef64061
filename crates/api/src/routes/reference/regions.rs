use actix_web::{HttpResponse, get, patch, post, web};
use broker_domain::geo::Country;
use broker_domain::platform::parse_key;
use broker_domain::values::Name;
use broker_store::repo::reference;
use uuid::Uuid;

use super::{commit_structure, record, require_admin};
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::reference::{RegionDto, RegionInput, RegionPatch};
use crate::error::ApiError;
use crate::extract::ValidJson;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RegionList {
    pub items: Vec<RegionDto>,
}

fn to_dto(r: reference::RegionRecord) -> RegionDto {
    RegionDto {
        id: r.region.id,
        key: r.key,
        name: r.region.name.into_inner(),
        country: r.region.country.code().to_owned(),
    }
}

/// Regions served (Fyrbodal, Østfold).
#[utoipa::path(operation_id = "listRegions", tag = "reference", responses((status = 200, body = RegionList)))]
#[get("/api/v1/regions")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // From the structure cache every instance keeps current: no database read.
    let places = state.matcher.places();
    places.json_response("regions", || RegionList {
        items: places.regions.iter().cloned().map(to_dto).collect(),
    })
}

/// Adds a region (e.g. a merged county for Kompetanseforum 2.0). Admins.
#[utoipa::path(
    operation_id = "createRegion",
    tag = "reference",
    request_body = RegionInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = RegionDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/regions")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<RegionInput>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&who, "regions")?;
    let mut v = broker_domain::error::Validator::new();
    let key = v.check("key", parse_key(&input.key));
    let name = v.check("name", Name::parse(&input.name));
    let country = v.check("country", Country::parse(&input.country));
    v.finish()?;
    let (Some(key), Some(name), Some(country)) = (key, name, country) else {
        return Err(ApiError::field("key", "invalid region"));
    };
    let id = Uuid::now_v7();
    let txn = state.store.begin().await?;
    reference::insert_region(&txn, id, &key, name.as_str(), country.code()).await?;
    let dto = to_dto(reference::get_region(&txn, id).await?);
    record(
        &txn,
        &who,
        "region.create",
        "region",
        Some(id),
        None,
        serde_json::to_value(&dto).ok(),
    )
    .await?;
    commit_structure(&state, txn).await?;
    Ok(HttpResponse::Created().json(dto))
}

/// Renames a region. Admins.
#[utoipa::path(
    operation_id = "updateRegion",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Region id")),
    request_body = RegionPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RegionDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/regions/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<RegionPatch>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&who, "regions")?;
    let id = id.into_inner();
    let name = Name::parse(&input.name).map_err(|e| ApiError::from(e.under("name")))?;
    let conn = state.store.conn();
    let before = to_dto(reference::get_region(conn, id).await?);
    // Followers of the region's municipalities hear of it (a region is no topic of its own).
    let municipalities: Vec<String> = reference::list_municipalities(conn, None, Some(id))
        .await?
        .into_iter()
        .map(|m| m.code().to_owned())
        .collect();
    let snapshot = |dto: &RegionDto| {
        serde_json::to_value(dto).ok().map(|mut s| {
            if let Some(o) = s.as_object_mut() {
                o.insert("municipalities".into(), municipalities.clone().into());
            }
            s
        })
    };
    let txn = state.store.begin().await?;
    let dto = to_dto(reference::rename_region(&txn, id, name.as_str()).await?);
    record(
        &txn,
        &who,
        "region.update",
        "region",
        Some(id),
        snapshot(&before),
        snapshot(&dto),
    )
    .await?;
    commit_structure(&state, txn).await?;
    Ok(HttpResponse::Ok().json(dto))
}
