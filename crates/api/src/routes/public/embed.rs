//! `GET /embed/offers.js`: the embeddable offer widget (`crates/api/static/offers.js`), a small
//! dependency-free script partners load with a `<script>` tag.

use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse, get};

use super::{Representation, conditional};

const SCRIPT: &str = include_str!("../../../static/offers.js");
/// Browsers and CDNs keep the script an hour; the ETag makes the revalidation after that cheap.
const SCRIPT_MAX_AGE: u32 = 3600;

static REPRESENTATION: LazyLock<Representation> = LazyLock::new(|| {
    Representation::new(
        SCRIPT.as_bytes().to_vec(),
        "text/javascript; charset=utf-8",
        None,
        None,
        "",
    )
});

/// The offer widget. Paste `<div data-kompetens-offers data-municipality="1485" data-lang="sv"
/// data-limit="5"></div>` and `<script src=".../embed/offers.js" async></script>`.
#[utoipa::path(
    operation_id = "getOfferWidgetScript",
    tag = "public",
    responses(
        (status = 200, description = "The widget script", body = String, content_type = "text/javascript"),
        (status = 304, description = "The client's copy is current"),
        (status = 429, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/offers.js")]
pub async fn script(req: HttpRequest) -> HttpResponse {
    let mut res = conditional(&req, &REPRESENTATION, SCRIPT_MAX_AGE);
    let headers = res.headers_mut();
    headers.insert(
        actix_web::http::header::X_CONTENT_TYPE_OPTIONS,
        actix_web::http::header::HeaderValue::from_static("nosniff"),
    );
    // Pages that isolate themselves (COEP) may still load the script.
    headers.insert(
        actix_web::http::header::HeaderName::from_static("cross-origin-resource-policy"),
        actix_web::http::header::HeaderValue::from_static("cross-origin"),
    );
    res
}
