//! `GET /api/v1/public/offers`: published offers for partner websites, as JSON with facet counts
//! or as schema.org JSON-LD.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{Listing, ListingQuery, Media, Representation, Validator, cache_key, conditional};
use crate::app::AppState;
use crate::dto::Page;
use crate::dto::public::{PublicOffer, PublicOfferPage};
use crate::error::ApiError;

/// Published offers with filters, relevance or start-date order, paging and facet counts; no
/// token. `Accept: application/ld+json` gives a schema.org `ItemList` of `Course`s instead.
/// Cacheable: strong `ETag`, `Last-Modified`, `304` on `If-None-Match`/`If-Modified-Since`.
#[utoipa::path(
    operation_id = "listPublicOffers",
    tag = "public",
    params(ListingQuery),
    responses(
        (status = 200, description = "A page of offers (JSON), or an ItemList of Courses (JSON-LD)", content((PublicOfferPage = "application/json"), (crate::dto::public::JsonLdCourseList = "application/ld+json"))),
        (status = 304, description = "The client's copy (ETag / date) is current"),
        (status = 406, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is invalid; `errors` names it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit; see `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/offers")]
pub async fn list(
    state: web::Data<AppState>,
    public: web::Data<super::PublicState>,
    query: crate::extract::ValidQuery<ListingQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let media = Media::negotiate(&req)?;
    // A bad `lang` is reported with the other parameters by `Listing::parse`.
    let lang = super::response_lang(&req, query.lang.as_deref()).unwrap_or("sv");
    let max_age = state.settings.public_cache_seconds;
    let validator = Validator::current(&state);
    let key = cache_key(&req, media.content_type(), lang);
    if let Some(rep) = public.cache.get(&key, &validator) {
        return Ok(conditional(&req, &rep, max_age));
    }
    let listing = Listing::parse(&state, &query, &req).await?;
    let rep = match media {
        Media::Json => {
            let (items, total, facets) = listing.public_page_and_facets(&state).await?;
            let page: Page<PublicOffer> =
                Page::new(items, total, listing.limit, listing.offset, &req);
            let body = PublicOfferPage {
                items: page.items,
                total: page.total,
                limit: page.limit,
                offset: page.offset,
                next: page.next,
                sort: listing.sort.as_str().to_owned(),
                resolved_competences: listing.resolved_competences(&state),
                facets,
            };
            Representation::json(
                &body,
                media,
                super::as_of_today(validator.latest_change),
                listing.lang,
            )?
        }
        Media::JsonLd => {
            let (items, total) = listing.public_page(&state).await?;
            let base = state.settings.public_base_url.trim_end_matches('/');
            let self_url = match req.query_string() {
                "" => format!("{base}{}", req.path()),
                q => format!("{base}{}?{q}", req.path()),
            };
            let doc = super::jsonld::item_list(&items, &listing, total, &self_url);
            Representation::json(
                &doc,
                media,
                super::as_of_today(validator.latest_change),
                listing.lang,
            )?
        }
    };
    let rep = Arc::new(rep);
    public.cache.put(key, validator, Arc::clone(&rep));
    Ok(conditional(&req, &rep, max_age))
}
