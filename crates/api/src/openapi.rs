//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{Problem, ProblemField};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kompetensmäklare API",
        description = "Pairs employers' competence needs with course offers and municipal contacts, with explained match suggestions, a broker review queue, gap reports, and public offer listings. Supports the Fyrbodal local-platform model and the Kompetanseforum Østfold forum model.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem, ProblemField)),
    modifiers(&BearerAuth),
    tags(
        (name = "system", description = "Liveness, readiness, documentation"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Builds the spec from the same route list the server uses.
pub fn spec() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::api)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    api
}

/// The spec as pretty JSON with a trailing newline, exactly as checked in at `openapi/openapi.json`.
pub fn spec_json() -> String {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut s = spec()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    })
    .clone()
}
