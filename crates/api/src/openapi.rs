//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::dto::enums;
use crate::error::{Problem, ProblemField};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kompetensmäklare API",
        description = "Pairs employers' competence needs with course offers and municipal contacts, with explained match suggestions, a broker review queue, gap reports, and public offer listings. Supports the Fyrbodal local-platform model and the Kompetanseforum Østfold forum model.",
        license(name = "MIT OR Apache-2.0")
    ),
    // Enums only query parameters name (IntoParams does not collect schemas).
    components(schemas(
        Problem,
        ProblemField,
        enums::AreaKind,
        enums::WebhookDeliveryStatus,
        enums::Country,
        enums::Language,
        enums::MatchSort,
        enums::PublicSort,
        enums::ReportInterval
    )),
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
    complete_responses(&mut api);
    operation_roles(&mut api);
    api
}

/// Every operation of the document, mutably.
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

/// What each error status means in this API, for responses whose handler names no reason.
fn problem_description(status: &str) -> Option<&'static str> {
    Some(match status {
        "400" => "The request could not be read: malformed JSON, or a body that is not valid UTF-8",
        "401" => {
            "A valid bearer token is required: none was sent, or it is malformed, expired or signed \
             with an unknown key"
        }
        "403" => "The token's role or scope does not allow this",
        "404" => "No such resource, or it is not visible to the caller",
        "406" => "None of the media types in `Accept` can be served",
        "409" => {
            "Conflict with the current state: a stale `version`, a duplicate, or a lifecycle \
             change the object cannot make from its state (`code` says which)"
        }
        "413" => "The request body is larger than the configured limit",
        "415" => "The request body's `Content-Type` is not one this operation reads",
        "422" => "The request has invalid fields; `errors` lists each field and why",
        "429" => "Too many requests from this client; `Retry-After` says when to try again",
        "500" => "Internal error; the body stays generic and the cause is logged",
        "503" => "The service is not ready (database unreachable, or still starting)",
        _ => return None,
    })
}

/// Descriptions for success and redirect statuses that name nothing more specific.
fn success_description(status: &str) -> &'static str {
    match status {
        "200" => "Success",
        "201" => "Created",
        "202" => "Accepted: the work continues in the background",
        "204" => "Done; no content",
        "304" => "Not modified: the representation still matches the `If-None-Match` tag",
        _ => "Response",
    }
}

/// Secured operations whose handlers check no role or scope: any valid token may call them, so
/// they never answer 403 (the taxonomy, and the caller's own subscriptions and feed).
const OPEN_TO_EVERY_ROLE: &[&str] = &[
    "searchCompetences",
    "getCompetence",
    "parseCompetences",
    "searchOccupations",
    "listTaxonomyChanges",
    "listMySubscriptions",
    "subscribe",
    "unsubscribe",
    "getMyFeed",
];

/// Makes the responses complete and true to the server, uniformly:
/// - every response has a description (OpenAPI requires one);
/// - the error statuses the shared machinery can produce are declared with the problem schema:
///   401 where a bearer token is required (the token extractor) and 403 unless the operation is
///   open to every role (the role and scope checks), 404 where the path names an object, 400/413/415 where a body is read (malformed
///   JSON, the body limit, the media type), and 422 wherever a body, query or path is decoded.
fn complete_responses(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

    let problem_response = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in &mut api.paths.paths {
        for op in operations(item) {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let params = op.parameters.as_deref().unwrap_or_default();
            let param_in = |place: ParameterIn| {
                params
                    .iter()
                    .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
            };
            let has_path = path.contains('{') || param_in(ParameterIn::Path);
            let has_query = param_in(ParameterIn::Query);
            let has_body = op.request_body.is_some();
            let mut wanted: Vec<&str> = Vec::new();
            if has_body {
                wanted.extend(["400", "413", "415"]);
            }
            if secured {
                wanted.push("401");
                let id = op.operation_id.as_deref().unwrap_or_default();
                if !OPEN_TO_EVERY_ROLE.contains(&id) {
                    wanted.push("403");
                }
            }
            if has_path {
                wanted.push("404");
            }
            if has_body || has_query || has_path {
                wanted.push("422");
            }
            let responses = &mut op.responses.responses;
            for status in wanted {
                if let Some(description) = problem_description(status) {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem_response(description));
                }
            }
            for (status, response) in responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if response.description.is_empty() {
                    response.description = problem_description(status)
                        .unwrap_or_else(|| success_description(status))
                        .to_owned();
                }
            }
        }
    }
}

/// Every role a token can carry.
const EVERY_ROLE: &[&str] = &[
    "admin",
    "broker",
    "municipal_contact",
    "provider",
    "employer",
];
/// No token needed.
const ANYONE: &[&str] = &["anyone"];

/// Who may call each operation, by role (`anyone` needs no token). Read off the handlers and
/// the access checks they call; the end-to-end authorisation matrix checks that no role listed
/// here is refused with 403. Where an organisation's token is what counts (webhooks), the roles
/// that carry one are listed.
#[rustfmt::skip]
const OPERATION_ROLES: &[(&str, &[&str])] = &[
    ("actOnProposal", EVERY_ROLE),
    ("addMatchOutcome", &["admin", "broker"]),
    ("addMembership", &["admin", "broker", "municipal_contact"]),
    ("answerCourseRequest", &["provider"]),
    ("appointContact", &["admin", "broker"]),
    ("archiveOffer", &["admin", "provider"]),
    ("createCluster", &["admin", "broker"]),
    ("createCourseRequest", &["admin", "broker"]),
    ("createGroup", &["admin", "broker", "municipal_contact"]),
    ("createMeeting", &["admin", "broker"]),
    ("createMunicipality", &["admin"]),
    ("createNeed", &["admin", "municipal_contact", "employer"]),
    ("createNeedsBatch", &["admin", "municipal_contact", "employer"]),
    ("createOffer", &["admin", "provider"]),
    ("createOffersBatch", &["admin", "provider"]),
    ("createOrganisation", &["admin"]),
    ("createPlatform", &["admin", "broker"]),
    ("createProposal", EVERY_ROLE),
    ("createRecommendation", EVERY_ROLE),
    ("createRegion", &["admin"]),
    ("createWebhook", &["admin", "provider", "employer"]),
    ("createWorkshop", EVERY_ROLE),
    ("decideCourseRequest", &["admin", "broker"]),
    ("decideMatch", &["admin", "broker"]),
    ("deleteWebhook", &["admin", "provider", "employer"]),
    ("discussInWorkshop", EVERY_ROLE),
    ("endMembership", &["admin", "broker", "municipal_contact"]),
    ("escalateNeed", &["admin", "broker"]),
    ("exploreNeed", &["admin", "broker", "municipal_contact", "employer"]),
    ("followUpRecommendation", EVERY_ROLE),
    ("fulfilNeed", &["admin", "broker", "municipal_contact", "employer"]),
    ("getActivityReport", &["admin", "broker", "municipal_contact", "provider"]),
    ("getCompetence", EVERY_ROLE),
    ("getCourseRequest", &["admin", "broker", "provider"]),
    ("getGapReport", &["admin", "broker", "municipal_contact", "provider"]),
    ("getGroup", EVERY_ROLE),
    ("getGroupGaps", EVERY_ROLE),
    ("getLiveness", ANYONE),
    ("getMatch", &["admin", "broker"]),
    ("getMeeting", &["admin", "broker"]),
    ("getMyFeed", EVERY_ROLE),
    ("getNeed", &["admin", "broker", "municipal_contact", "employer"]),
    ("getOffer", EVERY_ROLE),
    ("getOfferWidgetScript", ANYONE),
    ("getOrganisation", EVERY_ROLE),
    ("getPilotStatus", EVERY_ROLE),
    ("getPlatform", EVERY_ROLE),
    ("getProposal", EVERY_ROLE),
    ("getPublicOffer", ANYONE),
    ("getPublicOffersFeed", ANYONE),
    ("getPublicOffersPage", ANYONE),
    ("getReadiness", ANYONE),
    ("getRecommendation", EVERY_ROLE),
    ("getWebhook", &["admin", "provider", "employer"]),
    ("getWorkshop", EVERY_ROLE),
    ("listAuditEntries", &["admin"]),
    ("listClusters", EVERY_ROLE),
    ("listContacts", EVERY_ROLE),
    ("listCourseRequestAnswers", &["admin", "broker", "provider"]),
    ("listCourseRequestEvents", &["admin", "broker"]),
    ("listCourseRequests", &["admin", "broker", "provider"]),
    ("listGroupNeeds", EVERY_ROLE),
    ("listGroups", EVERY_ROLE),
    ("listMeetings", &["admin", "broker"]),
    ("listMemberships", EVERY_ROLE),
    ("listMunicipalities", EVERY_ROLE),
    ("listMySubscriptions", EVERY_ROLE),
    ("listNeedEvents", &["admin", "broker", "municipal_contact", "employer"]),
    ("listNeedMatches", &["admin", "broker", "municipal_contact", "employer"]),
    ("listNeeds", &["admin", "broker", "municipal_contact", "employer"]),
    ("listOfferDemand", EVERY_ROLE),
    ("listOffers", EVERY_ROLE),
    ("listOrganisations", EVERY_ROLE),
    ("listPlatforms", EVERY_ROLE),
    ("listProposalEvents", EVERY_ROLE),
    ("listProposals", EVERY_ROLE),
    ("listPublicFilters", ANYONE),
    ("listPublicOffers", ANYONE),
    ("listRecommendations", EVERY_ROLE),
    ("listRegions", EVERY_ROLE),
    ("listReviewQueue", &["admin", "broker"]),
    ("listTaxonomyChanges", EVERY_ROLE),
    ("listWebhookDeliveries", &["admin", "provider", "employer"]),
    ("listWebhooks", &["admin", "provider", "employer"]),
    ("listWorkshops", EVERY_ROLE),
    ("parseCompetences", EVERY_ROLE),
    ("publishOffer", &["admin", "provider"]),
    ("recordPilotStatus", &["admin", "broker"]),
    ("redeliverWebhookDelivery", &["admin", "provider", "employer"]),
    ("removeContact", &["admin", "broker"]),
    ("runEscalationJob", &["admin"]),
    ("runExpiryJob", &["admin"]),
    ("searchCompetences", EVERY_ROLE),
    ("searchOccupations", EVERY_ROLE),
    ("sendCourseRequest", &["admin", "broker"]),
    ("setPlatformMandate", &["admin"]),
    ("subscribe", EVERY_ROLE),
    ("unsubscribe", EVERY_ROLE),
    ("updateCluster", &["admin", "broker"]),
    ("updateContact", &["admin", "broker"]),
    ("updateMeeting", &["admin", "broker"]),
    ("updateMunicipality", &["admin"]),
    ("updateNeed", &["admin", "municipal_contact", "employer"]),
    ("updateOffer", &["admin", "provider"]),
    ("updatePlatform", &["admin", "broker"]),
    ("updatePlatformSettings", &["admin", "broker"]),
    ("updateRegion", &["admin"]),
    ("updateWebhook", &["admin", "provider", "employer"]),
    ("withdrawNeed", &["admin", "broker", "municipal_contact", "employer"]),
];

/// Adds who may call each operation to its description (for people reading `/docs`) and as
/// `x-roles` (for tools and the authorisation test).
fn operation_roles(api: &mut utoipa::openapi::OpenApi) {
    for item in api.paths.paths.values_mut() {
        for op in operations(item) {
            let Some((_, roles)) = OPERATION_ROLES
                .iter()
                .find(|(id, _)| op.operation_id.as_deref() == Some(*id))
            else {
                continue;
            };
            let who = if *roles == ANYONE {
                "anyone, no token needed".to_owned()
            } else {
                roles.join(", ")
            };
            let line = format!("**Who may call:** {who}.");
            op.description = Some(match op.description.take() {
                Some(d) if !d.is_empty() => format!("{d}\n\n{line}"),
                _ => line,
            });
            let extension = utoipa::openapi::extensions::ExtensionsBuilder::new()
                .add("x-roles", serde_json::json!(roles))
                .build();
            match &mut op.extensions {
                Some(existing) => existing.merge(extension),
                None => op.extensions = Some(extension),
            }
        }
    }
}

/// `listNeeds`, not `needs_list`: a lower-case ASCII start, then letters and digits only.
#[cfg(test)]
fn is_camel_case(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_alphanumeric())
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
    fn every_operation_says_who_may_call_it() {
        let api = super::spec();
        let mut named = std::collections::HashSet::new();
        for (path, item) in &api.paths.paths {
            for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(
                    op.extensions
                        .as_ref()
                        .is_some_and(|e| e.get("x-roles").is_some()),
                    "{path} ({id}): add a row to OPERATION_ROLES"
                );
                named.insert(id);
            }
        }
        for (id, roles) in super::OPERATION_ROLES {
            assert!(
                named.contains(*id),
                "OPERATION_ROLES names `{id}`, which no longer exists"
            );
            assert!(!roles.is_empty(), "{id}: nobody may call it?");
        }
    }

    #[test]
    fn operation_ids_are_unique_readable_camel_case() {
        let api = super::spec();
        let mut ids = std::collections::HashSet::new();
        for (path, item) in &api.paths.paths {
            for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(
                    super::is_camel_case(&id),
                    "{path}: operation id `{id}` is not camelCase; set `operation_id = \"verbNoun\"` in its #[utoipa::path]"
                );
                assert!(ids.insert(id.clone()), "{id} repeats (at {path})");
            }
        }
    }

    #[test]
    fn every_response_has_a_description() {
        let api = super::spec();
        for (path, item) in &api.paths.paths {
            for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
                .into_iter()
                .flatten()
            {
                for (status, response) in &op.responses.responses {
                    if let utoipa::openapi::RefOr::T(r) = response {
                        assert!(!r.description.is_empty(), "{path} {status}: no description");
                    }
                }
            }
        }
    }

    /// utoipa keys schemas by their bare type name and silently lets the last one win, so two
    /// `ToSchema` types called `DeliveryDto` in different modules publish one wrong shape. This
    /// scans the crate's sources for every schema name and refuses repeats.
    #[test]
    fn schema_names_are_unique_across_modules() {
        fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    rust_files(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        rust_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut seen: std::collections::HashMap<String, String> = Default::default();
        let mut check = |name: String, file: &std::path::Path| {
            let here = file.display().to_string();
            if let Some(first) = seen.insert(name.clone(), here.clone()) {
                panic!("schema `{name}` is declared in {first} and in {here}");
            }
        };
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let line = line.trim();
                if line.starts_with("#[derive(") && line.contains("ToSchema") {
                    let item = lines[i + 1..]
                        .iter()
                        .map(|l| l.trim())
                        .find(|l| !l.starts_with("#[") && !l.starts_with("///"))
                        .unwrap_or_default();
                    let name = item
                        .split_whitespace()
                        .skip_while(|w| *w != "struct" && *w != "enum")
                        .nth(1)
                        .unwrap_or_default()
                        .split(['<', '{', '(', ';'])
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    assert!(
                        !name.is_empty(),
                        "{}: no type after line {}",
                        file.display(),
                        i + 1
                    );
                    check(name, file);
                }
                if let Some(rest) = line
                    .strip_suffix(" =")
                    .or_else(|| line.split_once(" = ").map(|(name, _)| name))
                    && lines[..i]
                        .iter()
                        .rev()
                        .take_while(|l| l.trim().starts_with("///"))
                        .count()
                        > 0
                    && lines[..i]
                        .iter()
                        .rev()
                        .find(|l| !l.trim().starts_with("///"))
                        .is_some_and(|l| l.trim() == "schema_enum! {")
                {
                    check(rest.trim().to_owned(), file);
                }
            }
        }
        assert!(seen.contains_key("NeedDto") && seen.contains_key("NeedStatus"));
    }

    /// A `$ref` to a schema nobody registered makes the document invalid; utoipa does not
    /// collect schemas that only query parameters name, so they are listed in `ApiDoc`.
    #[test]
    fn every_schema_reference_resolves() {
        fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, v) in map {
                        match (key.as_str(), v.as_str()) {
                            ("$ref", Some(r)) => out.push(r.to_owned()),
                            _ => refs(v, out),
                        }
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let doc: serde_json::Value = serde_json::from_str(&super::spec_json()).unwrap_or_default();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 100, "the document has its references");
        for r in found {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} does not resolve"
            );
        }
    }
}
