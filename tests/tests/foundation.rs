//! Foundation: the service starts on a fresh database, answers health checks, serves the
//! reference data, and refuses bad input with specific problems.

use broker_api::auth::Role;
use broker_e2e::{Scope, Seed, spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn health_and_readiness_answer_json() {
    let app = spawn_app().await;
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.body["status"], "ready");
    assert!(ready.body["database"] == "sqlite" || ready.body["database"] == "postgres");
    assert!(
        health.header("x-request-id").is_some(),
        "every response carries its request id"
    );
}

#[tokio::test]
async fn all_26_municipalities_are_listed_with_official_codes() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/municipalities", None).await;
    assert_eq!(reply.status, 200);
    let items = reply.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 26);
    let find = |code: &str| {
        items
            .iter()
            .find(|m| m["code"] == code)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(find("1438")["name"], "Dals-Ed");
    assert_eq!(find("1438")["country"], "SE");
    assert!(
        find("1438")["clusters"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("dalsland")))
    );
    assert_eq!(find("3118")["name"], "Indre Østfold");
    assert_eq!(find("3118")["region"], "ostfold");
    let norway = app.get("/api/v1/municipalities?country=NO", None).await;
    assert_eq!(norway.body["total"], 12);
    let bad = app.get("/api/v1/municipalities?country=DK", None).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.problem_fields(), vec!["country"]);
    assert_eq!(bad.header("content-type"), Some("application/problem+json"));
}

#[tokio::test]
async fn regions_clusters_and_platforms_describe_both_models() {
    let app = spawn_app().await;
    let regions = app.get("/api/v1/regions", None).await;
    assert_eq!(regions.body["items"].as_array().map(Vec::len), Some(2));
    let clusters = app.get("/api/v1/clusters", None).await;
    let dalsland = clusters.body["items"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["key"] == "dalsland").cloned())
        .unwrap_or_default();
    assert_eq!(dalsland["municipalities"].as_array().map(Vec::len), Some(5));
    let platforms = app.get("/api/v1/platforms", None).await;
    let items = platforms.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let by_key = |k: &str| {
        items
            .iter()
            .find(|p| p["key"] == k)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(by_key("dals-ed")["model"], "local_platform");
    assert_eq!(by_key("dals-ed")["broker_arrangement"], "cluster");
    assert_eq!(by_key("dals-ed")["parent_id"], by_key("dalsland")["id"]);
    assert_eq!(by_key("uddevalla")["broker_arrangement"], "municipal");
    assert_eq!(by_key("fyrbodal")["broker_arrangement"], "subregional");
    assert_eq!(by_key("ostfold-forum")["model"], "forum");
    assert_eq!(
        by_key("ostfold-forum")["municipalities"]
            .as_array()
            .map(Vec::len),
        Some(12)
    );
    let one = app
        .get(
            &format!("/api/v1/platforms/{}", app.platform_id("tanum")),
            None,
        )
        .await;
    assert_eq!(one.body["municipalities"], json!(["1435"]));
    let missing = app
        .get(
            "/api/v1/platforms/00000000-0000-0000-0000-000000000000",
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    let malformed = app.get("/api/v1/platforms/not-a-uuid", None).await;
    assert_eq!(malformed.status, 422, "{}", malformed.text);
}

#[tokio::test]
async fn organisation_numbers_are_checked_and_unique() {
    let app = spawn_app().await;
    let admin = app.admin();
    let bad_luhn = app
        .post("/api/v1/organisations", Some(&admin), &json!({"name": "Test AB", "kind": "employer", "country": "SE", "org_number": "556012-5791"}))
        .await;
    assert_eq!(bad_luhn.status, 422, "{}", bad_luhn.text);
    assert_eq!(bad_luhn.problem_fields(), vec!["org_number"]);
    assert!(
        bad_luhn.text.to_lowercase().contains("luhn"),
        "{}",
        bad_luhn.text
    );
    let bad_mod11 =
        app.post("/api/v1/organisations", Some(&admin), &json!({"name": "Test AS", "kind": "employer", "country": "NO", "org_number": "974760674"})).await;
    assert_eq!(bad_mod11.status, 422);
    assert!(bad_mod11.text.contains("11"), "{}", bad_mod11.text);
    let ok = app
        .post(
            "/api/v1/organisations",
            Some(&admin),
            &json!({"name": "Test AB", "kind": "employer", "country": "SE", "org_number": "556012-5790", "municipality": "1485"}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(ok.body["org_number"], "5560125790");
    assert_eq!(ok.body["org_number_formatted"], "556012-5790");
    let again = app.post("/api/v1/organisations", Some(&admin), &json!({"name": "Other AB", "kind": "employer", "country": "SE", "org_number": "5560125790"})).await;
    assert_eq!(again.status, 409, "{}", again.text);
    let unknown_field = app
        .post(
            "/api/v1/organisations",
            Some(&admin),
            &json!({"name": "X", "kind": "employer", "country": "SE", "colour": "red"}),
        )
        .await;
    assert_eq!(unknown_field.status, 422, "{}", unknown_field.text);
    assert!(unknown_field.text.contains("colour"));
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1485"));
    let forbidden = app
        .post(
            "/api/v1/organisations",
            Some(&contact),
            &json!({"name": "Y", "kind": "employer", "country": "SE"}),
        )
        .await;
    assert_eq!(forbidden.status, 403);
    let anonymous = app
        .post(
            "/api/v1/organisations",
            None,
            &json!({"name": "Y", "kind": "employer", "country": "SE"}),
        )
        .await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("www-authenticate").is_some());
    let fetched = app
        .get(
            &format!(
                "/api/v1/organisations/{}",
                ok.body["id"].as_str().unwrap_or_default()
            ),
            Some(&contact),
        )
        .await;
    assert_eq!(fetched.body["name"], "Test AB");
}

#[tokio::test]
async fn demo_data_is_visible_through_the_api() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let admin = app.admin();
    let orgs = app
        .get(
            "/api/v1/organisations?kind=education_provider&limit=5",
            Some(&admin),
        )
        .await;
    assert_eq!(orgs.status, 200, "{}", orgs.text);
    assert!(orgs.body["total"].as_u64().unwrap_or(0) >= 10);
    assert_eq!(orgs.body["items"].as_array().map(Vec::len), Some(5));
    assert!(
        orgs.body["next"]
            .as_str()
            .is_some_and(|n| n.contains("offset=5"))
    );
}

#[tokio::test]
async fn unknown_routes_and_bad_paging_get_problems_not_500s() {
    let app = spawn_app().await;
    let admin = app.admin();
    let missing = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
    let bad_limit = app.get("/api/v1/organisations?limit=0", Some(&admin)).await;
    assert_eq!(bad_limit.status, 422);
    assert_eq!(bad_limit.problem_fields(), vec!["limit"]);
    let bad_token = app.get("/api/v1/organisations", Some("not-a-jwt")).await;
    assert_eq!(bad_token.status, 401);
}
