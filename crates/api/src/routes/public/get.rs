//! `GET /api/v1/public/offers/{id}`: one published offer.

use actix_web::{HttpRequest, HttpResponse, get, web};
use broker_domain::offer::OfferStatus;
use broker_store::repo::offers;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::listing::public_offers;
use super::{Media, Representation, conditional};
use crate::app::AppState;
use crate::dto::public::PublicOffer;
use crate::error::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OfferLangQuery {
    /// Language of labels: `sv`, `nb` or `en` (default: from `Accept-Language`, else `sv`).
    #[param(value_type = Option<crate::dto::enums::Language>)]
    pub lang: Option<String>,
}

/// One published offer (drafts and archived offers are 404 here); JSON, or a schema.org
/// `Course` with `Accept: application/ld+json`. Cacheable like the listing.
#[utoipa::path(
    operation_id = "getPublicOffer",
    tag = "public",
    params(("id" = Uuid, Path), OfferLangQuery),
    responses(
        (status = 200, description = "The offer (JSON), or a schema.org Course (JSON-LD)", content((PublicOffer = "application/json"), (crate::dto::public::JsonLdCourse = "application/ld+json"))),
        (status = 304, description = "The client's copy is current"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/offers/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: crate::extract::ValidQuery<OfferLangQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let media = Media::negotiate(&req)?;
    let lang = super::response_lang(&req, query.lang.as_deref())?;
    let offer = match offers::get(state.store.conn(), *id).await {
        Ok(o) if o.status == OfferStatus::Published => o,
        Ok(_) | Err(broker_store::StoreError::NotFound { .. }) => {
            return Err(ApiError::NotFound("offer"));
        }
        Err(e) => return Err(e.into()),
    };
    let places = state.matcher.places();
    let updated = super::as_of_today(Some(offer.updated_at));
    let item = public_offers(&state, std::slice::from_ref(&offer), &places, lang, None)
        .await?
        .pop()
        .ok_or(ApiError::NotFound("offer"))?;
    let rep = match media {
        Media::Json => Representation::json(&item, media, updated, lang)?,
        Media::JsonLd => Representation::json(
            &super::jsonld::course_document(&item, &places),
            media,
            updated,
            lang,
        )?,
    };
    Ok(conditional(&req, &rep, state.settings.public_cache_seconds))
}
