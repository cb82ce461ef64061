use actix_web::{HttpResponse, get, patch, post, web};
use broker_domain::geo::MunicipalityCode;
use broker_domain::values::Name;
use broker_store::repo::reference;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{commit_structure, record, require_admin, resolve_municipality};
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::reference::{MunicipalityDto, MunicipalityInput, MunicipalityPatch};
use crate::error::ApiError;
use crate::extract::ValidJson;

/// A municipality as the API shows it, with its region key and cluster keys.
pub fn to_dto(
    m: reference::MunicipalityRecord,
    regions: &[reference::RegionRecord],
    clusters: &[reference::ClusterRecord],
) -> MunicipalityDto {
    let reference::MunicipalityRecord {
        municipality: m,
        replaced_by,
    } = m;
    MunicipalityDto {
        clusters: clusters
            .iter()
            .filter(|c| c.municipalities.iter().any(|code| code == m.code.as_str()))
            .map(|c| c.key.clone())
            .collect(),
        region: regions
            .iter()
            .find(|r| r.region.id == m.region_id)
            .map(|r| r.key.clone())
            .unwrap_or_default(),
        qualified_code: m.code.qualified(m.country),
        replaced_by: replaced_by.map(MunicipalityCode::into_inner),
        code: m.code.into_inner(),
        name: m.name.into_inner(),
        country: m.country.code().to_owned(),
        region_id: m.region_id,
    }
}

/// The audit and feed snapshot: the municipality's own topic is read from `municipality`.
fn snapshot(dto: &MunicipalityDto) -> Option<serde_json::Value> {
    let mut s = serde_json::to_value(dto).ok()?;
    if let Some(o) = s.as_object_mut() {
        o.insert("municipality".into(), dto.code.clone().into());
    }
    Some(s)
}

async fn dto_of(
    conn: &impl sea_orm::ConnectionTrait,
    m: reference::MunicipalityRecord,
) -> Result<MunicipalityDto, ApiError> {
    let regions = reference::list_regions(conn).await?;
    let clusters = reference::list_clusters(conn).await?;
    Ok(to_dto(m, &regions, &clusters))
}

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
    // From the structure cache every instance keeps current: no database read.
    let places = state.matcher.places();
    let regions = &places.regions;
    let region_id = match &query.region {
        Some(key) => Some(
            regions
                .iter()
                .find(|r| &r.key == key)
                .map(|r| r.region.id)
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
    let key = format!("municipalities?country={country:?}&region={region_id:?}");
    places.json_response(&key, || {
        let items: Vec<MunicipalityDto> = places
            .municipalities
            .iter()
            .filter(|m| {
                country
                    .as_deref()
                    .is_none_or(|c| m.municipality.country.code() == c)
            })
            .filter(|m| region_id.is_none_or(|r| m.municipality.region_id == r))
            .map(|m| to_dto(m.clone(), regions, &places.clusters))
            .collect();
        MunicipalityList {
            total: items.len(),
            items,
        }
    })
}

/// Adds a municipality (admins): its official four digits (or the qualified form) in a region,
/// taking the region's country. When the other country already has a municipality with the
/// same digits, the new one is keyed by its qualified code (`NO-1438`), and the bare digits
/// become ambiguous: callers then write the qualified form.
#[utoipa::path(
    operation_id = "createMunicipality",
    tag = "reference",
    request_body = MunicipalityInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = MunicipalityDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/municipalities")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<MunicipalityInput>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&who, "municipalities")?;
    let mut v = broker_domain::error::Validator::new();
    let code = v.check("code", MunicipalityCode::parse(&input.code));
    let name = v.check("name", Name::parse(&input.name));
    v.finish()?;
    let (Some(code), Some(name)) = (code, name) else {
        return Err(ApiError::field("code", "invalid municipality"));
    };
    let conn = state.store.conn();
    let region = reference::list_regions(conn)
        .await?
        .into_iter()
        .find(|r| r.key == input.region)
        .ok_or_else(|| ApiError::field("region", "unknown region key"))?;
    let country = region.region.country;
    if code.country().is_some_and(|c| c != country) {
        return Err(ApiError::field(
            "code",
            format!(
                "the region is in {}; the code names another country",
                country.code()
            ),
        ));
    }
    let same_digits = reference::municipalities_with_digits(conn, code.digits()).await?;
    if same_digits
        .iter()
        .any(|m| m.municipality.country == country)
    {
        return Err(ApiError::Conflict(format!(
            "{} already has municipality {}",
            country.code(),
            code.digits()
        )));
    }
    let key = MunicipalityCode::key(country, code.digits(), !same_digits.is_empty());
    let txn = state.store.begin().await?;
    reference::insert_municipality(&txn, &key, name.as_str(), country.code(), region.region.id)
        .await?;
    let row = reference::get_municipality(&txn, &key).await?;
    let dto = dto_of(&txn, row).await?;
    record(
        &txn,
        &who,
        "municipality.create",
        "municipality",
        None,
        None,
        snapshot(&dto),
    )
    .await?;
    commit_structure(&state, txn).await?;
    Ok(HttpResponse::Created().json(dto))
}

/// Renames a municipality or records what replaced it (a merger or a renumbering: create the
/// new municipality first, then name it here). Admins.
#[utoipa::path(
    operation_id = "updateMunicipality",
    tag = "reference",
    params(("code" = String, Path, description = "Municipality code (`1438` or `SE-1438`)")),
    request_body = MunicipalityPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = MunicipalityDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/municipalities/{code}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Identity,
    code: web::Path<String>,
    ValidJson(patch): ValidJson<MunicipalityPatch>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&who, "municipalities")?;
    let conn = state.store.conn();
    let current = resolve_municipality(conn, "code", &code).await?;
    let name = match &patch.name {
        Some(n) => Name::parse(n)
            .map_err(|e| ApiError::from(e.under("name")))?
            .into_inner(),
        None => current.name().to_owned(),
    };
    let replaced_by = match &patch.replaced_by {
        Some(raw) => {
            let successor = resolve_municipality(conn, "replaced_by", raw).await?;
            if successor.code() == current.code() {
                return Err(ApiError::field(
                    "replaced_by",
                    "a municipality cannot replace itself",
                ));
            }
            Some(successor.code().to_owned())
        }
        None => current.replaced_by.as_ref().map(|c| c.as_str().to_owned()),
    };
    let before = dto_of(conn, current.clone()).await?;
    let txn = state.store.begin().await?;
    let row =
        reference::update_municipality(&txn, current.code(), &name, replaced_by.as_deref()).await?;
    let dto = dto_of(&txn, row).await?;
    record(
        &txn,
        &who,
        "municipality.update",
        "municipality",
        None,
        snapshot(&before),
        snapshot(&dto),
    )
    .await?;
    commit_structure(&state, txn).await?;
    Ok(HttpResponse::Ok().json(dto))
}
