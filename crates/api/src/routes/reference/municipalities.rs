use actix_web::{HttpResponse, get, web};
use broker_store::repo::reference;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::AppState;
use crate::dto::reference::MunicipalityDto;
use crate::error::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MunicipalityQuery {
    /// `SE` or `NO`.
    #[param(value_type = Option<crate::dto::enums::Country>)]
    pub country: Option<String>,
    /// Region key (`fyrbodal`, `ostfold`).
    pub region: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MunicipalityList {
    pub items: Vec<MunicipalityDto>,
    pub total: usize,
}

/// Municipalities with their official codes, ordered by code.
#[utoipa::path(
    operation_id = "listMunicipalities",
    tag = "reference",
    params(MunicipalityQuery),
    responses((status = 200, body = MunicipalityList), (status = 422, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/municipalities")]
pub async fn list(
    state: web::Data<AppState>,
    query: crate::extract::ValidQuery<MunicipalityQuery>,
) -> Result<HttpResponse, ApiError> {
    let country = match query
        .country
        .as_deref()
        .map(|c| c.trim().to_ascii_uppercase())
    {
        Some(c) if c == "SE" || c == "NO" => Some(c),
        Some(_) => return Err(ApiError::field("country", "must be SE or NO")),
        None => None,
    };
    let regions = reference::list_regions(state.store.conn()).await?;
    let region_id = match &query.region {
        Some(key) => Some(
            regions
                .iter()
                .find(|r| &r.key == key)
                .map(|r| r.id)
                .ok_or_else(|| {
                    ApiError::field(
                        "region",
                        format!(
                            "unknown region; known: {}",
                            regions
                                .iter()
                                .map(|r| r.key.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?,
        ),
        None => None,
    };
    let clusters = reference::list_clusters(state.store.conn()).await?;
    let items: Vec<MunicipalityDto> =
        reference::list_municipalities(state.store.conn(), country.as_deref(), region_id)
            .await?
            .into_iter()
            .map(|m| MunicipalityDto {
                clusters: clusters
                    .iter()
                    .filter(|c| c.municipalities.contains(&m.code))
                    .map(|c| c.key.clone())
                    .collect(),
                region: regions
                    .iter()
                    .find(|r| r.id == m.region_id)
                    .map(|r| r.key.clone())
                    .unwrap_or_default(),
                code: m.code,
                name: m.name,
                country: m.country,
                region_id: m.region_id,
            })
            .collect();
    Ok(HttpResponse::Ok().json(MunicipalityList {
        total: items.len(),
        items,
    }))
}
