//! The checked-in `openapi/openapi.json` must equal the spec generated from the code.

#[test]
fn checked_in_openapi_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let generated = broker_api::openapi::spec_json();
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    if checked_in != generated {
        let first_difference = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or(0, |i| i + 1);
        panic!(
            "openapi/openapi.json is out of date (first difference at line {first_difference}).\n\
             Regenerate it with: cargo run -p broker-api --bin broker -- openapi --out openapi/openapi.json"
        );
    }
}

/// The contract check the test client runs on every response is not vacuous: it refuses a
/// wrong shape, an undeclared status and an undeclared media type, and passes a conforming body.
#[test]
fn the_contract_check_refuses_drift() {
    use broker_e2e::contract::check;
    use serde_json::json;
    let need = "/api/v1/needs/0190a8f4-0000-7000-8000-000000000000";
    let wrong_shape = check("GET", need, 200, "application/json", &json!({"id": 5}));
    assert!(wrong_shape.is_some_and(|e| e.contains("$.id") && e.contains("required")));
    let undeclared = check("GET", need, 418, "application/json", &json!({}));
    assert!(undeclared.is_some_and(|e| e.contains("418 is not declared")));
    let wrong_media = check("GET", need, 200, "text/html", &json!("<p>"));
    assert!(wrong_media.is_some_and(|e| e.contains("text/html")));
    let problem = json!({
        "type": "https://kompetensmaklare.se/problems/not_found",
        "title": "No such resource",
        "status": 404,
        "code": "not_found"
    });
    assert_eq!(
        check("GET", need, 404, "application/problem+json", &problem),
        None
    );
    let bad_enum = json!({"items": [{"id": "x"}], "total": 1, "limit": 1, "offset": 0});
    assert!(check("GET", "/api/v1/needs", 200, "application/json", &bad_enum).is_some());
}

/// The errors every client meets (no token, a malformed id, a body of the wrong type or
/// malformed JSON) come back as the problems the contract declares; `send` checks each.
#[tokio::test]
async fn routine_errors_are_declared_problems() {
    let app = broker_e2e::spawn_app().await;
    let admin = app.admin();
    let no_token = app.get("/api/v1/needs", None).await;
    assert_eq!(no_token.status, 401);
    let bad_id = app.get("/api/v1/needs/not-a-uuid", Some(&admin)).await;
    assert!(
        bad_id.status == 400 || bad_id.status == 422,
        "{}",
        bad_id.text
    );
    assert_eq!(
        bad_id.header("content-type"),
        Some("application/problem+json")
    );
    let plain = app
        .send(
            app.client
                .post(app.url("/api/v1/needs"))
                .header("content-type", "text/plain")
                .body("hello"),
            Some(&admin),
        )
        .await;
    assert_eq!(plain.status, 415, "{}", plain.text);
    let malformed = app
        .send(
            app.client
                .post(app.url("/api/v1/needs"))
                .header("content-type", "application/json")
                .body("{\"title\": "),
            Some(&admin),
        )
        .await;
    assert_eq!(malformed.status, 400, "{}", malformed.text);
    let missing = app
        .get(
            "/api/v1/needs/0190a8f4-0000-7000-8000-000000000000",
            Some(&admin),
        )
        .await;
    assert_eq!(missing.status, 404);
}
