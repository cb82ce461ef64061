//! Resolution of people's own words through the HTTP API: Swedish occupation titles after an
//! ESCO import that reaches the running server without a restart, symbols that stay distinct,
//! the requested language first, type-ahead as a mode, and phrases found in free text.

use std::path::Path;

use broker_api::auth::Role;
use broker_api::taxonomy_import::import_occupations_files;
use broker_e2e::{Scope, Seed, spawn_app_with, urlencode};
use serde_json::Value;

fn labels(body: &Value, key: &str) -> Vec<String> {
    body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i[key]["label"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_occupation_import_reaches_the_running_server_and_titles_resolve()
-> Result<(), Box<dyn std::error::Error>> {
    let app = spawn_app_with(Seed::Reference, |s| s.taxonomy_poll_secs = 1).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let before = app
        .get("/api/v1/occupations?q=statistiker&lang=sv", Some(&contact))
        .await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert!(
        !labels(&before.body, "occupation").contains(&"statistiker".to_owned()),
        "{}",
        before.text
    );

    // The CLI's import, on the server's database while the server runs.
    let store = broker_store::Store::connect(&app.settings.database_url).await?;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/matching/fixtures");
    import_occupations_files(
        &store,
        &fixtures.join("occupations-sv/occupations_sv.csv"),
        &fixtures.join("occupations-sv/occupationSkillRelations_sv.csv"),
        "sv",
    )
    .await?;

    let reply = app
        .eventually(
            "/api/v1/occupations?q=statistiker&lang=sv",
            Some(&contact),
            |b| labels(b, "occupation").first().map(String::as_str) == Some("statistiker"),
        )
        .await;
    assert_eq!(
        labels(&reply.body, "occupation")
            .first()
            .map(String::as_str),
        Some("statistiker"),
        "the import reached the running server: {}",
        reply.text
    );

    // A compound whose head the taxonomy knows, a slash title, a comma-qualified title and a
    // plural group name.
    for (query, expected, method) in [
        ("Metodstatistiker", "statistiker", "compound"),
        (
            "Teckenspråkstolk/Dövblindtolk",
            "teckenspråkstolk",
            "preferred",
        ),
        (
            "Statistikkontorist",
            "Statistikkontorister m.fl.",
            "preferred",
        ),
        ("Sjuksköterskor", "Sjuksköterskor", "preferred"),
    ] {
        let reply = app
            .get(
                &format!("/api/v1/occupations?q={}&lang=sv", urlencode(query)),
                Some(&contact),
            )
            .await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.text);
        let top = &reply.body["items"][0];
        assert_eq!(
            top["occupation"]["label"], expected,
            "{query}: {}",
            reply.text
        );
        assert_eq!(top["method"], method, "{query}: {top}");
        assert_eq!(top["matched_lang"], "sv", "{query}: {top}");
        let confidence = top["confidence"].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&confidence), "{query}: {top}");
    }
    Ok(())
}

#[tokio::test]
async fn symbols_languages_and_modes() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));

    // The README tour's own need label.
    let reply = app
        .get(
            &format!(
                "/api/v1/competences?q={}&lang=sv",
                urlencode("svetsning MIG/MAG")
            ),
            Some(&contact),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["items"][0]["concept"]["label"], "MIG/MAG-svetsning",
        "{}",
        reply.text
    );
    assert!(reply.body["items"][0]["confidence"].as_f64().unwrap_or(0.0) >= 0.85);

    // Type-ahead is a mode: an unfinished word completes.
    let typed = app
        .get(
            "/api/v1/competences?q=truckk&lang=sv&mode=type_ahead",
            Some(&contact),
        )
        .await;
    assert_eq!(typed.status, 200, "{}", typed.text);
    assert_eq!(
        typed.body["items"][0]["concept"]["label"], "Truckkörning",
        "{}",
        typed.text
    );
    assert_eq!(typed.body["items"][0]["method"], "prefix", "{}", typed.text);

    let bad = app
        .get("/api/v1/competences?q=svets&mode=guess", Some(&contact))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.problem_fields(), ["mode"], "{}", bad.text);

    // Free text: phrases in inflected forms and with typos are found; nothing is invented.
    let parsed = app
        .post(
            "/api/v1/competences/parse",
            Some(&contact),
            &serde_json::json!({
                "text": "Vi söker personal med truckkörnig och erfarenhet av MIG/MAG-svetsning.",
                "lang": "sv",
            }),
        )
        .await;
    assert_eq!(parsed.status, 200, "{}", parsed.text);
    let found: Vec<&str> = parsed.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(found.contains(&"Truckkörning"), "{}", parsed.text);
    assert!(found.contains(&"MIG/MAG-svetsning"), "{}", parsed.text);
}

#[tokio::test]
async fn a_region_can_run_without_the_starter_taxonomy() {
    let app = spawn_app_with(Seed::Reference, |s| s.starter_taxonomy = false).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let reply = app
        .get(
            "/api/v1/competences?q=Truckk%C3%B6rning&lang=sv",
            Some(&contact),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["items"], serde_json::json!([]), "{}", reply.text);
    // Still stored: a concept is readable by id (needs and offers that name one keep its labels).
    let with_starter = spawn_app_with(Seed::Reference, |_| {}).await;
    let found = with_starter
        .get(
            "/api/v1/competences?q=Truckk%C3%B6rning&lang=sv",
            Some(&contact),
        )
        .await;
    let id = found.body["items"][0]["concept"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!id.is_empty(), "{}", found.text);
    let by_id = app
        .get(&format!("/api/v1/competences/{id}?lang=sv"), Some(&contact))
        .await;
    assert_eq!(by_id.status, 200, "{}", by_id.text);
    assert_eq!(by_id.body["label"], "Truckkörning", "{}", by_id.text);
}
