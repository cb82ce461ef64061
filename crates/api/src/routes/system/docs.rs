//! `GET /openapi.json` and `GET /docs`: the spec and a full reference with try-it, rendered by a
//! vendored Swagger UI (`crates/api/assets/swagger-ui`, Apache-2.0) that the binary serves itself:
//! no CDN, no build-time download, no request leaving the host.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

/// The vendored Swagger UI version; part of the asset URLs, so they can be cached for a year.
const SWAGGER_UI: &str = "5.35.0";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi_json))
        .route("/docs", web::get().to(docs_page))
        .route(
            &format!("/docs/swagger-ui-{SWAGGER_UI}/swagger-ui-bundle.js"),
            web::get().to(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_bytes!("../../../assets/swagger-ui/swagger-ui-bundle.js"),
                )
            }),
        )
        .route(
            &format!("/docs/swagger-ui-{SWAGGER_UI}/swagger-ui.css"),
            web::get().to(|| async {
                asset(
                    "text/css; charset=utf-8",
                    include_bytes!("../../../assets/swagger-ui/swagger-ui.css"),
                )
            }),
        )
        .route(
            &format!("/docs/swagger-ui-{SWAGGER_UI}/LICENSE"),
            web::get().to(|| async {
                asset(
                    "text/plain; charset=utf-8",
                    include_bytes!("../../../assets/swagger-ui/LICENSE"),
                )
            }),
        );
}

fn asset(content_type: &'static str, body: &'static [u8]) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body)
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json"))
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .body(crate::openapi::spec_json())
}

async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "public, max-age=300"))
        .body(include_str!("docs.html").replace("{SWAGGER_UI}", SWAGGER_UI))
}
