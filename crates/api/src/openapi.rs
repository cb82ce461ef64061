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
    unique_operation_ids(&mut api);
    api
}

/// utoipa names operations after their handler function, so `list` or `get` recur across
/// resources; client generators need them unique. A recurring name gets its tag in front
/// (`needs_list`), and the path too if the tag does not settle it.
fn unique_operation_ids(api: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    fn operations(
        item: &mut utoipa::openapi::PathItem,
    ) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ]
        .into_iter()
        .filter_map(Option::as_mut)
    }
    let slug = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
            .trim_matches('_')
            .to_owned()
    };
    for round in 0..2 {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for item in api.paths.paths.values_mut() {
            for op in operations(item) {
                if let Some(id) = &op.operation_id {
                    *seen.entry(id.clone()).or_default() += 1;
                }
            }
        }
        for (path, item) in &mut api.paths.paths {
            for op in operations(item) {
                let Some(id) = op.operation_id.clone() else {
                    continue;
                };
                if seen.get(&id).copied().unwrap_or(0) < 2 {
                    continue;
                }
                let prefix = if round == 0 {
                    op.tags
                        .as_ref()
                        .and_then(|t| t.first())
                        .map(|t| slug(t))
                        .unwrap_or_default()
                } else {
                    slug(path.trim_start_matches("/api/v1/"))
                };
                if !prefix.is_empty() {
                    op.operation_id = Some(format!("{prefix}_{id}"));
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn operation_ids_are_unique() {
        let api = super::spec();
        let mut ids = std::collections::HashSet::new();
        for (path, item) in &api.paths.paths {
            for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(ids.insert(id.clone()), "{id} repeats (at {path})");
            }
        }
    }
}
