//! `GET /api/v1/public/filters`: every valid filter value of the public listing, with labels in
//! sv, nb and en, so partners can build their own filter controls.

use actix_web::{HttpRequest, HttpResponse, get, web};
use broker_domain::offer::Delivery;
use broker_matching::CatalogueFilter;

use super::listing::{ListingSort, delivery_labels, language_labels, level_labels};
use super::{Representation, Validator, conditional};
use crate::app::AppState;
use crate::dto::public::{
    CompetenceOption, FilterOption, Labels, MunicipalityOption, PublicFilters,
};
use crate::error::ApiError;

/// Regions, clusters and municipalities (with how many published offers each has), the
/// competences published offers teach, deliveries, EQF levels, teaching languages and sort
/// orders; labels in sv, nb and en. Cacheable like the listing.
#[utoipa::path(
    operation_id = "listPublicFilters",
    tag = "public",
    responses(
        (status = 200, body = PublicFilters),
        (status = 304, description = "The client's copy is current"),
        (status = 429, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filters")]
pub async fn filters(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let validator = Validator::current(&state);
    let places = state.matcher.places();
    let counts = state
        .matcher
        .with_catalogue(|c| c.facets(&CatalogueFilter::default()));
    let offers_in = |code: &str| {
        counts
            .municipalities
            .iter()
            .find(|(c, _)| c == code)
            .map_or(0, |(_, n)| *n)
    };
    let region_key = |id| {
        places
            .regions
            .iter()
            .find(|r| r.region.id == id)
            .map(|r| r.key.clone())
            .unwrap_or_default()
    };
    let mut competences: Vec<CompetenceOption> = counts
        .concepts
        .iter()
        .map(|(id, n)| {
            let concept = state.matcher.concept(*id);
            let label = |lang: &str| {
                concept
                    .as_ref()
                    .map(|c| c.preferred_label(lang))
                    .unwrap_or_default()
            };
            CompetenceOption {
                value: *id,
                labels: Labels {
                    sv: label("sv"),
                    nb: label("nb"),
                    en: label("en"),
                },
                esco_uri: concept.as_ref().and_then(|c| c.esco_uri.clone()),
                offers: *n,
            }
        })
        .collect();
    competences.sort_by(|a, b| a.labels.sv.cmp(&b.labels.sv));
    let body = PublicFilters {
        regions: places
            .regions
            .iter()
            .map(|r| FilterOption {
                value: r.key.clone(),
                labels: Labels::same(r.region.name.as_str()),
            })
            .collect(),
        clusters: places
            .clusters
            .iter()
            .map(|c| FilterOption {
                value: c.key.clone(),
                labels: Labels::same(&c.name),
            })
            .collect(),
        municipalities: places
            .municipalities
            .iter()
            .map(|m| MunicipalityOption {
                value: m.code().to_owned(),
                labels: Labels::same(m.name()),
                region: region_key(m.municipality.region_id),
                clusters: places
                    .clusters
                    .iter()
                    .filter(|c| c.municipalities.iter().any(|code| code == m.code()))
                    .map(|c| c.key.clone())
                    .collect(),
                offers: offers_in(m.code()),
            })
            .collect(),
        competences,
        deliveries: Delivery::ALL
            .iter()
            .map(|d| FilterOption {
                value: d.as_str().to_owned(),
                labels: delivery_labels(*d),
            })
            .collect(),
        levels: (1..=8)
            .map(|l| FilterOption {
                value: l.to_string(),
                labels: level_labels(l),
            })
            .collect(),
        languages: ["sv", "nb", "en"]
            .iter()
            .map(|l| FilterOption {
                value: (*l).to_owned(),
                labels: language_labels(l),
            })
            .collect(),
        sorts: ListingSort::ALL
            .iter()
            .map(|s| FilterOption {
                value: s.as_str().to_owned(),
                labels: s.labels(),
            })
            .collect(),
    };
    let body = serde_json::to_vec(&body).map_err(ApiError::internal)?;
    let rep = Representation::new(body, "application/json", validator.latest_change, None, "");
    Ok(conditional(&req, &rep, state.settings.public_cache_seconds))
}
