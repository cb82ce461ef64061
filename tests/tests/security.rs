//! The security probes that once succeeded, kept as tests so they stay closed: webhook targets
//! that are not public, control characters in every query parameter the contract lists and in
//! bodies, disguised titles and absurd dates, formula cells in CSV exports, token claims
//! (`nbf` included), oversized bodies, idempotency keys reused across roles and routes, and
//! what the feed tells about who wrote.

use broker_api::auth::Role;
use broker_e2e::{
    Reply, Scope, TEST_SECRET, TestApp, need_body as need, spawn_app, spawn_app_with,
    workspace_root,
};
use serde_json::{Value, json};
use uuid::Uuid;

fn assert_problem(reply: &Reply, status: u16, field: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/problem+json")),
        "a problem, not {:?}: {}",
        reply.header("content-type"),
        reply.text
    );
    assert_eq!(
        reply.problem_fields(),
        vec![field.to_owned()],
        "{}",
        reply.text
    );
}

async fn total_needs(app: &TestApp) -> u64 {
    app.get("/api/v1/needs", Some(&app.admin())).await.body["total"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

/// A token with exactly these claims, signed with the test secret (or `secret`).
fn token_with(app: &TestApp, claims: &Value, secret: &str) -> Result<String, String> {
    let mut claims = claims.clone();
    if let Some(c) = claims.as_object_mut() {
        c.entry("iss").or_insert(json!(app.settings.jwt.issuer));
        c.entry("aud").or_insert(json!(app.settings.jwt.audience));
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| e.to_string())
}

fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX)
}

fn contact_claims(sub: &str, role: &str) -> Value {
    json!({
        "sub": sub,
        "role": role,
        "municipalities": ["1438"],
        "exp": now() + 3600,
    })
}

/// The checked-in contract.
fn contract() -> Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_str(&std::fs::read_to_string(
        workspace_root().join("openapi/openapi.json"),
    )?)?)
}

/// A path template with every parameter replaced by an id nothing has, so the request's query or
/// body is what gets judged.
fn with_fresh_ids(template: &str) -> String {
    let mut path = template.to_owned();
    while let (Some(open), Some(close)) = (path.find('{'), path.find('}')) {
        path.replace_range(open..=close, &Uuid::new_v4().to_string());
    }
    path
}

#[tokio::test]
async fn every_query_parameter_in_the_contract_refuses_control_characters_by_name()
-> Result<(), Box<dyn std::error::Error>> {
    let app = spawn_app().await;
    let admin = app.admin();
    let spec = contract()?;
    let paths = spec["paths"].as_object().ok_or("spec has no paths")?;
    let mut probed = Vec::new();
    for (template, item) in paths {
        let Some(get) = item.get("get") else { continue };
        let path = with_fresh_ids(template);
        let parameters = get["parameters"].as_array().cloned().unwrap_or_default();
        for parameter in parameters.iter().filter(|p| p["in"] == "query") {
            let name = parameter["name"]
                .as_str()
                .ok_or("parameter without a name")?;
            for (probe, what) in [("a%00b", "NUL"), ("a%1Bb", "ESC"), ("%C2%85", "NEL")] {
                let url = format!("{path}?{name}={probe}");
                let reply = app.get(&url, Some(&admin)).await;
                assert_eq!(reply.status, 422, "{what} in {url}: {}", reply.text);
                assert_eq!(
                    reply.problem_fields(),
                    vec![name.to_owned()],
                    "{url}: {}",
                    reply.text
                );
            }
            probed.push(format!("{template}?{name}"));
        }
    }
    // The contract lists dozens of query parameters; a parse failure above would show as few.
    assert!(
        probed.len() > 40,
        "only {} probed: {probed:?}",
        probed.len()
    );
    // Parameters that are dates refuse absurd years by name, too.
    let reply = app
        .get("/api/v1/meetings?from=%2B10000-01-01", Some(&admin))
        .await;
    assert_problem(&reply, 422, "from");
    Ok(())
}

/// The schema a `$ref` points at (components only), or the schema itself.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &spec["components"]["schemas"][name],
        None => schema,
    }
}

/// Property names of an object schema, through `oneOf`/`anyOf`/`allOf` variants.
fn collect_properties(spec: &Value, schema: &Value, out: &mut std::collections::BTreeSet<String>) {
    let schema = resolve(spec, schema);
    if let Some(p) = schema["properties"].as_object() {
        out.extend(p.keys().cloned());
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for variant in schema[key].as_array().into_iter().flatten() {
            collect_properties(spec, variant, out);
        }
    }
}

#[tokio::test]
async fn every_json_body_in_the_contract_refuses_control_characters_by_field()
-> Result<(), Box<dyn std::error::Error>> {
    let app = spawn_app().await;
    let admin = app.admin();
    let spec = contract()?;
    let mut probed = Vec::new();
    for (template, item) in spec["paths"].as_object().ok_or("no paths")? {
        for method in ["post", "put", "patch"] {
            let schema = &item[method]["requestBody"]["content"]["application/json"]["schema"];
            if schema.is_null() {
                continue;
            }
            let path = with_fresh_ids(template);
            // Every property of the body in turn carries a NUL, whatever its declared type: the
            // rule holds before the body is read into its shape.
            let (object, list) = if schema["type"] == "array" {
                (resolve(&spec, &schema["items"]), true)
            } else {
                (resolve(&spec, schema), false)
            };
            let mut properties = std::collections::BTreeSet::new();
            collect_properties(&spec, object, &mut properties);
            assert!(!properties.is_empty(), "{method} {template}: no properties");
            for property in properties {
                let body = json!({ property.clone(): "a\u{0}b" });
                let (body, field) = if list {
                    (json!([body]), format!("[0].{property}"))
                } else {
                    (body, property.clone())
                };
                let url = app.url(&path);
                let request = match method {
                    "post" => app.client.post(url),
                    "put" => app.client.put(url),
                    _ => app.client.patch(url),
                };
                let reply = app.send(request.json(&body), Some(&admin)).await;
                assert_problem(&reply, 422, &field);
                probed.push(format!("{method} {template} {field}"));
            }
        }
    }
    assert!(probed.len() > 150, "only {} probed", probed.len());
    Ok(())
}

#[tokio::test]
async fn control_characters_in_a_path_segment_are_a_client_error() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/needs/a%00b",
        "/api/v1/municipalities/a%00b",
        "/api/v1/offers/%00",
        "/api/v1/public/offers/a%00b",
    ] {
        let reply = app.get(path, Some(&app.admin())).await;
        assert!(
            matches!(reply.status, 400 | 404 | 422),
            "{path}: {} {}",
            reply.status,
            reply.text
        );
        assert!(
            reply
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/problem+json")),
            "{path}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn bodies_with_control_characters_disguised_text_or_absurd_dates_are_refused_and_nothing_is_stored()
 {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let mut labelled = need("1438", "Svetsare");
    labelled["competences"] = json!([{"label": "svets\u{0}ning"}]);
    let mut nul_in_description = need("1438", "Svetsare");
    nul_in_description["description"] = json!("rad ett\u{0}");
    let mut far_future = need("1438", "Svetsare");
    far_future["needed_by"] = json!("9999-12-31");
    let mut five_digit_year = need("1438", "Svetsare");
    five_digit_year["expires_on"] = json!("+10000-01-01");
    let mut long_ago = need("1438", "Svetsare");
    long_ago["needed_by"] = json!("0001-01-01");
    for (body, field) in [
        (need("1438", "Svets\u{0}are"), "title"),
        (need("1438", "Svets\u{7}are"), "title"),
        (need("1438", "Svetsare\u{202E}exe.pdf"), "title"),
        (need("1438", "\u{2067}Svetsare\u{2069}"), "title"),
        (need("1438", "\u{200B}\u{200B}\u{200B}"), "title"),
        (need("1438", "\u{FEFF}\u{2060} \u{00AD}"), "title"),
        (labelled, "competences[0].label"),
        (nul_in_description, "description"),
        (far_future, "needed_by"),
        (five_digit_year, "expires_on"),
        (long_ago, "needed_by"),
    ] {
        let reply = app.post("/api/v1/needs", Some(&contact), &body).await;
        assert_problem(&reply, 422, field);
    }
    assert_eq!(total_needs(&app).await, 0, "nothing was stored");

    // The same rules hold in every body and in CSV batches.
    let organisation = app
        .post(
            "/api/v1/organisations",
            Some(&app.admin()),
            &json!({"name": "Svets AB", "kind": "employer", "country": "SE", "municipality": "1438", "website": "https://svets.example/\u{0}"}),
        )
        .await;
    assert_problem(&organisation, 422, "website");
    let csv = "municipality,title,purpose,headcount,must_have\n1438,Svets\u{0}are,recruitment,2,svetsning\n";
    let batch = app
        .send(
            app.client
                .post(app.url("/api/v1/needs/batch"))
                .header("Content-Type", "text/csv")
                .body(csv),
            Some(&contact),
        )
        .await;
    assert_problem(&batch, 422, "rows[1].title");
    assert_eq!(total_needs(&app).await, 0, "nothing was stored");

    // Ordinary text with line breaks, tabs and joiners is fine.
    let mut fine = need("1438", "Kock \u{200D}👩‍🍳 till köket");
    fine["description"] = json!("Rad ett\nRad två\tmed tabb");
    fine["needed_by"] = json!("2027-03-01");
    let created = app.post("/api/v1/needs", Some(&contact), &fine).await;
    assert_eq!(created.status, 201, "{}", created.text);
}

#[tokio::test]
async fn csv_exports_never_hand_a_spreadsheet_a_formula() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let formula = "=HYPERLINK(\"http://evil.example\",\"klicka\")";
    let mut body = need("1438", "Rekrytering");
    body["competences"] = json!([{"label": formula}, {"label": "@SUM(1+1)"}]);
    let created = app.post("/api/v1/needs", Some(&contact), &body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let csv = app
        .send(
            app.client
                .get(app.url("/api/v1/reports/gap"))
                .header("Accept", "text/csv"),
            Some(&app.admin()),
        )
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    let mut reader = csv_rows(&csv.text);
    let rows: Vec<Vec<String>> = reader.drain(1..).collect();
    // Labels are stored lower-cased; what matters is the leading apostrophe.
    let labels: Vec<String> = rows.iter().map(|r| r[1].to_lowercase()).collect();
    assert!(
        labels.contains(&format!("'{}", formula.to_lowercase())),
        "{}",
        csv.text
    );
    assert!(labels.contains(&"'@sum(1+1)".to_owned()), "{}", csv.text);
    for cell in rows.iter().flatten() {
        assert!(
            !cell.starts_with(['=', '+', '@', '\t', '\r']),
            "a live formula cell: {cell}"
        );
    }
}

/// Splits simple CSV (quoted cells with doubled quotes) into rows of cells.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn tokens_are_refused_unless_every_claim_holds() -> Result<(), String> {
    let app = spawn_app().await;
    let valid = contact_claims("idp|kerstin", "municipal_contact");
    let with = |key: &str, value: Value| {
        let mut c = valid.clone();
        c[key] = value;
        c
    };
    let without = |key: &str| {
        let mut c = valid.clone();
        if let Some(o) = c.as_object_mut() {
            o.remove(key);
        }
        c
    };
    let cases = [
        (
            token_with(&app, &with("nbf", json!(now() + 3600)), TEST_SECRET)?,
            "the token is not valid yet (its `nbf` is ahead)",
        ),
        (
            token_with(&app, &with("exp", json!(now() - 3600)), TEST_SECRET)?,
            "the token has expired",
        ),
        (
            token_with(
                &app,
                &with("iss", json!("https://evil.example")),
                TEST_SECRET,
            )?,
            "the token's issuer is not accepted",
        ),
        (
            token_with(&app, &with("aud", json!("someone-else")), TEST_SECRET)?,
            "the token's audience is not accepted",
        ),
        (
            token_with(&app, &valid, "another-secret-another-secret-0123456789")?,
            "the token's signature is invalid",
        ),
        (
            token_with(&app, &without("exp"), TEST_SECRET)?,
            "the token lacks the `exp` claim",
        ),
        (
            token_with(&app, &without("sub"), TEST_SECRET)?,
            "the token lacks the `sub` claim",
        ),
        (
            token_with(&app, &with("role", json!("superuser")), TEST_SECRET)?,
            "the token's claims are malformed (check `role` and the lists)",
        ),
        (
            // alg "none": header {"alg":"none","typ":"JWT"} and no signature.
            format!(
                "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
                token_with(&app, &valid, TEST_SECRET)?
                    .split('.')
                    .nth(1)
                    .unwrap_or_default()
            ),
            "",
        ),
        ("not-a-jwt".to_owned(), "the token is not a JWT"),
    ];
    for (token, detail) in &cases {
        let reply = app.get("/api/v1/needs", Some(token)).await;
        assert_eq!(reply.status, 401, "{detail}: {}", reply.text);
        assert!(
            reply
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/problem+json"))
        );
        if !detail.is_empty() {
            assert_eq!(reply.body["detail"], *detail, "{}", reply.text);
        }
    }
    // Within the leeway, and once `nbf` has passed, the same claims are accepted.
    let started = token_with(&app, &with("nbf", json!(now() - 10)), TEST_SECRET)?;
    assert_eq!(app.get("/api/v1/needs", Some(&started)).await.status, 200);
    Ok(())
}

#[tokio::test]
async fn an_oversized_body_is_a_problem_on_every_route() {
    let app = spawn_app_with(broker_e2e::Seed::Reference, |s| s.body_limit_bytes = 2048).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let mut big = need("1438", "Svetsare");
    big["description"] = json!("x".repeat(4096));
    let csv = format!(
        "municipality,title,purpose,headcount,description\n1438,Svetsare,recruitment,2,{}\n",
        "x".repeat(4096)
    );
    for (path, content_type, body) in [
        ("/api/v1/needs", "application/json", big.to_string()),
        (
            "/api/v1/needs/batch",
            "application/json",
            json!([big]).to_string(),
        ),
        ("/api/v1/needs/batch", "text/csv", csv),
        ("/api/v1/offers", "application/json", big.to_string()),
    ] {
        let reply = app
            .send(
                app.client
                    .post(app.url(path))
                    .header("Content-Type", content_type)
                    .body(body),
                Some(&contact),
            )
            .await;
        assert_eq!(reply.status, 413, "{path} {content_type}: {}", reply.text);
        assert!(
            reply
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/problem+json")),
            "{path} {content_type}: {:?} {}",
            reply.header("content-type"),
            reply.text
        );
        assert_eq!(reply.body["status"], 413);
    }
    assert_eq!(total_needs(&app).await, 0);
}

async fn send_keyed(app: &TestApp, token: &str, path: &str, body: &Value) -> Reply {
    app.send(
        app.client
            .post(app.url(path))
            .header("Idempotency-Key", "same-key-1")
            .json(body),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn an_idempotency_key_replays_only_for_the_same_subject_role_and_route() -> Result<(), String>
{
    let app = spawn_app().await;
    let as_contact = token_with(
        &app,
        &contact_claims("idp|anna", "municipal_contact"),
        TEST_SECRET,
    )?;
    let as_admin = token_with(&app, &contact_claims("idp|anna", "admin"), TEST_SECRET)?;
    let body = need("1438", "Svetsare");
    let first = send_keyed(&app, &as_contact, "/api/v1/needs", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let replayed = send_keyed(&app, &as_contact, "/api/v1/needs", &body).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.body["id"], first.body["id"]);

    // The same subject in another role is another caller: a new need, no replay.
    let other_role = send_keyed(&app, &as_admin, "/api/v1/needs", &body).await;
    assert_eq!(other_role.status, 201, "{}", other_role.text);
    assert_eq!(other_role.header("idempotent-replayed"), None);
    assert_ne!(other_role.body["id"], first.body["id"]);

    // The same key on another route is not a conflict with the first.
    let batch = send_keyed(&app, &as_contact, "/api/v1/needs/batch", &json!([body])).await;
    assert_eq!(batch.status, 201, "{}", batch.text);
    assert_eq!(batch.header("idempotent-replayed"), None);
    assert_eq!(total_needs(&app).await, 3);
    Ok(())
}

#[tokio::test]
async fn the_feed_names_the_writers_role_never_their_identity_nor_a_drafts_title()
-> Result<(), String> {
    let app = spawn_app().await;
    let follower = app.token_for(Role::Provider, Scope::default());
    let followed = app
        .post(
            "/api/v1/me/subscriptions",
            Some(&follower),
            &json!({"kind": "municipality", "value": "1438"}),
        )
        .await;
    assert_eq!(followed.status, 201, "{}", followed.text);
    let writer = token_with(
        &app,
        &contact_claims("anna.lindqvist@dalsed.se", "municipal_contact"),
        TEST_SECRET,
    )?;
    let mut draft = need("1438", "Hemlig omställning på bruket");
    draft["status"] = json!("draft");
    let drafted = app.post("/api/v1/needs", Some(&writer), &draft).await;
    assert_eq!(drafted.status, 201, "{}", drafted.text);
    let open = app
        .post("/api/v1/needs", Some(&writer), &need("1438", "Svetsare"))
        .await;
    assert_eq!(open.status, 201, "{}", open.text);

    let feed = app.get("/api/v1/me/feed", Some(&follower)).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    let items = feed.body["items"].as_array().cloned().unwrap_or_default();
    let entry = |id: &Value| {
        items
            .iter()
            .find(|i| i["entity_id"] == *id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (draft_entry, open_entry) = (entry(&drafted.body["id"]), entry(&open.body["id"]));
    assert_eq!(draft_entry["action"], "need.create", "{}", feed.text);
    assert!(draft_entry["title"].is_null(), "{draft_entry}");
    assert_eq!(open_entry["title"], "Svetsare");
    for e in [&draft_entry, &open_entry] {
        assert_eq!(e["actor"], "municipal_contact", "{e}");
    }
    assert!(!feed.text.contains("anna.lindqvist"), "{}", feed.text);
    assert!(!feed.text.contains("Hemlig"), "{}", feed.text);
    Ok(())
}

#[tokio::test]
async fn webhook_targets_that_are_not_public_are_refused_in_every_spelling() {
    let app = spawn_app().await;
    let created = app
        .post(
            "/api/v1/organisations",
            Some(&app.admin()),
            &json!({"name": "Krokar AB", "kind": "employer", "country": "SE", "municipality": "1438"}),
        )
        .await;
    let org: Uuid = created.body["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    let token = app.token_for(Role::Employer, Scope::organisation(org));
    // The machine's own name resolves to loopback here, as it does on most hosts.
    let own_name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    let port = app.port;
    let refused = [
        format!("http://[::ffff:0.0.0.0]:{port}/"),
        "http://[::ffff:169.254.169.254]/latest/meta-data".to_owned(),
        "http://[::ffff:7f00:1]/".to_owned(),
        "http://[::127.0.0.1]/".to_owned(),
        "http://[64:ff9b::7f00:1]/".to_owned(),
        "http://[64:ff9b::a9fe:a9fe]/".to_owned(),
        "http://[2002:7f00:1::1]/".to_owned(),
        "http://[fe80::1]/".to_owned(),
        "http://[fd00::1]/".to_owned(),
        "http://[::]/".to_owned(),
        "http://100.64.0.1/".to_owned(),
        "http://0.0.0.0/".to_owned(),
        "http://0177.0.0.1/".to_owned(),
        "http://2130706433/".to_owned(),
        "http://127.1/".to_owned(),
        "http://224.0.0.1/".to_owned(),
        "http://198.18.0.1/".to_owned(),
        "http://localhost./".to_owned(),
        "http://api.localhost/".to_owned(),
        format!("http://{own_name}:{port}/"),
        "https://user:secret@example.org/hook".to_owned(),
    ];
    for url in &refused {
        let reply = app
            .post("/api/v1/webhooks", Some(&token), &json!({"url": url}))
            .await;
        assert_problem(&reply, 422, "url");
    }
    let listed = app.get("/api/v1/webhooks", Some(&token)).await;
    assert_eq!(listed.body["items"], json!([]), "{}", listed.text);
    // A public name is accepted (the dispatcher checks again at each delivery).
    let fine = app
        .post(
            "/api/v1/webhooks",
            Some(&token),
            &json!({"url": "https://hooks.example.org/kompetens"}),
        )
        .await;
    assert_eq!(fine.status, 201, "{}", fine.text);
}
