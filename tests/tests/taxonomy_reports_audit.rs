//! Taxonomy lookups, the gap report, the audit trail, exploring with other weights and need
//! expiry, through the HTTP API.

use broker_api::auth::Role;
use broker_e2e::{Scope, Seed, spawn_app, spawn_app_with, urlencode};
use serde_json::{Value, json};

fn labels_of(hit: &Value) -> Vec<String> {
    hit["concept"]["labels"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn competences_are_found_in_any_language_and_with_typos() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    for (query, expected_sv) in [
        ("MIG/MAG-svetsning", "MIG/MAG-svetsning"),
        ("MAG-sveising", "MIG/MAG-svetsning"),
        ("gas metal arc welding", "MIG/MAG-svetsning"),
        ("truckkort", "Truckkörning"),
        ("truckkörnig", "Truckkörning"),
    ] {
        let reply = app
            .get(
                &format!("/api/v1/competences?q={}&lang=sv", urlencode(query)),
                Some(&contact),
            )
            .await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.text);
        let top = &reply.body["items"][0];
        assert_eq!(
            top["concept"]["label"], expected_sv,
            "{query}: {}",
            reply.text
        );
        let confidence = top["confidence"].as_f64().unwrap_or(0.0);
        assert!(
            (0.0..=1.0).contains(&confidence) && confidence > 0.5,
            "{query}: {top}"
        );
        assert!(labels_of(top).len() >= 3, "every language's labels: {top}");
    }
    let exact = app
        .get("/api/v1/competences?q=Truckk%C3%B6rning", Some(&contact))
        .await;
    assert_eq!(exact.body["items"][0]["method"], "preferred");
    assert_eq!(exact.body["items"][0]["confidence"], 1.0);
    let typo = app
        .get("/api/v1/competences?q=truckk%C3%B6rnig", Some(&contact))
        .await;
    assert_eq!(typo.body["items"][0]["method"], "fuzzy");
    assert!(typo.body["items"][0]["confidence"].as_f64().unwrap_or(1.0) < 1.0);

    let id = exact.body["items"][0]["concept"]["id"]
        .as_str()
        .unwrap_or_default();
    let one = app
        .get(&format!("/api/v1/competences/{id}?lang=en"), Some(&contact))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["label"], "Forklift operation");

    for (path, field) in [
        ("/api/v1/competences?q=", "q"),
        ("/api/v1/competences?q=svets&limit=500", "limit"),
        ("/api/v1/competences?q=svets&lang=de", "lang"),
    ] {
        let bad = app.get(path, Some(&contact)).await;
        assert_eq!(bad.status, 422, "{path}: {}", bad.text);
        assert_eq!(bad.problem_fields(), vec![field], "{path}");
    }
    assert_eq!(
        app.get("/api/v1/competences?q=svets", None).await.status,
        401
    );
}

#[tokio::test]
async fn free_text_is_parsed_into_competences_with_positions() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let text = "Vi söker två medarbetare med truckkort och erfarenhet av MIG/MAG-svetsning.";
    let reply = app
        .post(
            "/api/v1/competences/parse",
            Some(&contact),
            &json!({"text": text}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let items = reply.body["items"].as_array().cloned().unwrap_or_default();
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"Truckkörning"), "{labels:?}");
    assert!(labels.contains(&"MIG/MAG-svetsning"), "{labels:?}");
    let chars: Vec<char> = text.chars().collect();
    for item in &items {
        let (start, end) = (
            item["start"].as_u64().unwrap_or(0) as usize,
            item["end"].as_u64().unwrap_or(0) as usize,
        );
        let slice: String = chars[start..end].iter().collect();
        assert_eq!(
            slice,
            item["matched_text"].as_str().unwrap_or_default(),
            "{item}"
        );
    }
    let unknown = app
        .post(
            "/api/v1/competences/parse",
            Some(&contact),
            &json!({"text": "x", "extra": 1}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    let huge = app
        .post(
            "/api/v1/competences/parse",
            Some(&contact),
            &json!({"text": "a".repeat(20_001)}),
        )
        .await;
    assert_eq!(huge.problem_fields(), vec!["text"]);
}

#[tokio::test]
async fn occupations_list_their_essential_and_optional_competences() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("3107"));
    let reply = app
        .get(
            "/api/v1/occupations?q=helsefagarbeider&lang=nb",
            Some(&contact),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let top = &reply.body["items"][0];
    assert_eq!(top["occupation"]["label"], "Helsefagarbeider", "{top}");
    let essential: Vec<&str> = top["essential"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["label"].as_str()).collect())
        .unwrap_or_default();
    assert!(essential.contains(&"Helsefag"), "{essential:?}");
    assert_eq!(essential.len(), 6, "{essential:?}");
    assert!(top["optional"].as_array().is_some_and(|o| !o.is_empty()));
}

#[tokio::test]
async fn taxonomy_changes_since_a_version_list_every_concept_from_zero() {
    let app = spawn_app().await;
    let admin = app.admin();
    let all = app
        .get("/api/v1/taxonomy/changes?since=0&limit=10", Some(&admin))
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    let version = all.body["version"].as_i64().unwrap_or(0);
    assert!(version >= 1);
    assert!(
        all.body["total"].as_u64().unwrap_or(0) >= 186 + 36,
        "{}",
        all.text
    );
    assert!(
        all.body["next"]
            .as_str()
            .is_some_and(|n| n.contains("since=0"))
    );
    let none = app
        .get(
            &format!("/api/v1/taxonomy/changes?since={version}"),
            Some(&admin),
        )
        .await;
    assert_eq!(none.body["total"], 0, "{}", none.text);
    let bad = app
        .get("/api/v1/taxonomy/changes?since=-1", Some(&admin))
        .await;
    assert_eq!(bad.problem_fields(), vec!["since"]);
}

#[tokio::test]
async fn the_gap_report_shows_unmatched_demand_by_area_as_json_and_csv() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1460"));
    // Nothing teaches this in an empty catalogue: the whole head count is a gap.
    let need = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({"municipality": "1460", "title": "Truckförare till lagret", "purpose": "recruitment",
                    "headcount": 5, "competences": [{"label": "truckkort"}, {"label": "kylteknik för ostlager"}]}),
        )
        .await;
    assert_eq!(need.status, 201, "{}", need.text);
    let broker = app.token_for(
        Role::Broker,
        Scope::platforms(&[app.platform_id("bengtsfors")]),
    );
    let report = app.get("/api/v1/reports/gap", Some(&broker)).await;
    assert_eq!(report.status, 200, "{}", report.text);
    let rows = report.body["items"].as_array().cloned().unwrap_or_default();
    let truck = rows
        .iter()
        .find(|r| r["competence"] == "Truckkörning")
        .unwrap_or_else(|| panic!("no truck row: {}", report.text));
    assert_eq!(truck["area"], "1460");
    assert_eq!(truck["area_name"], "Bengtsfors");
    assert_eq!(truck["headcount"], 5);
    assert_eq!(truck["unmatched_headcount"], 5);
    assert!(truck["competence_id"].is_string());
    let free = rows
        .iter()
        .find(|r| r["competence"] == "kylteknik för ostlager")
        .unwrap_or_else(|| panic!("free-text competences count too: {}", report.text));
    assert!(free["competence_id"].is_null());

    let by_cluster = app
        .get("/api/v1/reports/gap?by=cluster", Some(&broker))
        .await;
    assert_eq!(
        by_cluster.body["items"][0]["area_kind"], "cluster",
        "{}",
        by_cluster.text
    );
    assert_eq!(by_cluster.body["items"][0]["area"], "dalsland");
    let by_region = app
        .get("/api/v1/reports/gap?by=region", Some(&app.admin()))
        .await;
    assert_eq!(by_region.body["items"][0]["area_kind"], "region");

    let csv = app
        .send(
            app.client
                .get(app.url("/api/v1/reports/gap"))
                .header("Accept", "text/csv"),
            Some(&broker),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-type")
            .is_some_and(|c| c.starts_with("text/csv"))
    );
    let mut lines = csv.text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "competence_id,competence,area_kind,area,area_name,needs,headcount,unmatched_needs,unmatched_headcount"
        )
    );
    assert!(
        csv.text
            .contains(",Truckkörning,municipality,1460,Bengtsfors,1,5,1,5"),
        "{}",
        csv.text
    );

    // Another platform's broker sees none of it; employers are refused; bad grouping is named.
    let other = app.token_for(
        Role::Broker,
        Scope::platforms(&[app.platform_id("uddevalla")]),
    );
    assert_eq!(
        app.get("/api/v1/reports/gap", Some(&other)).await.body["total"],
        0
    );
    let employer = app.token_for(Role::Employer, Scope::default());
    assert_eq!(
        app.get("/api/v1/reports/gap", Some(&employer)).await.status,
        403
    );
    let bad = app
        .get("/api/v1/reports/gap?by=street", Some(&broker))
        .await;
    assert_eq!(bad.problem_fields(), vec!["by"]);
}

#[tokio::test]
async fn a_need_with_a_course_in_sight_is_not_a_gap() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1488"));
    let need = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({"municipality": "1488", "title": "MIG/MAG-svetsare", "purpose": "recruitment", "headcount": 4,
                    "needed_by": "2027-12-01", "competences": [{"label": "MIG/MAG-svetsning"}]}),
        )
        .await;
    let id = need.body["id"].as_str().unwrap_or_default().to_owned();
    app.eventually(
        &format!("/api/v1/needs/{id}/matches?kind=offer"),
        Some(&contact),
        |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
    )
    .await;
    let report = app
        .get(
            "/api/v1/reports/gap?unmatched_only=false&limit=200",
            Some(&contact),
        )
        .await;
    let welding = report.body["items"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["competence"] == "MIG/MAG-svetsning" && r["area"] == "1488")
                .cloned()
        })
        .unwrap_or_else(|| panic!("{}", report.text));
    assert!(welding["headcount"].as_u64().unwrap_or(0) >= 4, "{welding}");
    // At least our need (4 people) has a course in sight, so the gap is smaller than the demand.
    assert!(
        welding["unmatched_headcount"].as_u64().unwrap_or(99)
            <= welding["headcount"].as_u64().unwrap_or(0) - 4,
        "{welding}"
    );
}

#[tokio::test]
async fn every_write_is_in_the_audit_trail_which_only_admins_read() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let need = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({"municipality": "1438", "title": "Barnskötare", "purpose": "upskilling", "headcount": 2,
                    "competences": [{"label": "barnskötsel"}]}),
        )
        .await;
    let id = need.body["id"].as_str().unwrap_or_default().to_owned();
    let withdraw = app
        .post(
            &format!("/api/v1/needs/{id}/withdraw"),
            Some(&contact),
            &json!({"version": need.body["version"], "reason": "solved internally"}),
        )
        .await;
    assert_eq!(withdraw.status, 200, "{}", withdraw.text);
    let admin = app.admin();
    let trail = app
        .get(
            &format!("/api/v1/audit?entity=need&entity_id={id}"),
            Some(&admin),
        )
        .await;
    assert_eq!(trail.status, 200, "{}", trail.text);
    let items = trail.body["items"].as_array().cloned().unwrap_or_default();
    let actions: Vec<&str> = items.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        vec!["need.withdraw", "need.create"],
        "newest first: {}",
        trail.text
    );
    assert!(items[1]["before"].is_null());
    assert_eq!(items[0]["before"]["status"], "open");
    assert_eq!(items[0]["after"]["status"], "withdrawn");
    assert!(items.iter().all(|e| {
        e["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("municipal_contact"))
    }));
    assert_eq!(app.get("/api/v1/audit", Some(&contact)).await.status, 403);
    assert_eq!(app.get("/api/v1/audit", None).await.status, 401);
    let bad = app.get("/api/v1/audit?since=yesterday", Some(&admin)).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
}

#[tokio::test]
async fn a_broker_explores_other_weights_without_changing_the_queue() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1488"));
    let need = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({"municipality": "1488", "title": "MIG/MAG-svetsare", "purpose": "recruitment", "headcount": 4,
                    "needed_by": "2027-12-01", "competences": [{"label": "MIG/MAG-svetsning"}]}),
        )
        .await;
    let id = need.body["id"].as_str().unwrap_or_default().to_owned();
    let stored = app
        .eventually(
            &format!("/api/v1/needs/{id}/matches"),
            Some(&contact),
            |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    let platform = app
        .get(&format!("/api/v1/needs/{id}/explore"), Some(&contact))
        .await;
    assert_eq!(platform.status, 200, "{}", platform.text);
    let geo_only = app
        .get(
            &format!("/api/v1/needs/{id}/explore?w_competence=0&w_text=0&w_timing=0&w_level=0&w_capacity=0&w_delivery=0&w_geography=1&min_score=0"),
            Some(&contact),
        )
        .await;
    assert_eq!(geo_only.status, 200, "{}", geo_only.text);
    assert_eq!(geo_only.body["weights"]["geography"], 1.0);
    assert_eq!(geo_only.body["weights"]["competence"], 0.0);
    let scores = |b: &Value| -> Vec<f64> {
        b["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["score"].as_f64()).collect())
            .unwrap_or_default()
    };
    assert_ne!(
        scores(&platform.body),
        scores(&geo_only.body),
        "weights change the ranking"
    );
    assert!(
        geo_only.body["items"][0]["explanation"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    let after = app
        .get(&format!("/api/v1/needs/{id}/matches"), Some(&contact))
        .await;
    assert_eq!(
        after.body["items"], stored.body["items"],
        "exploring stores nothing"
    );
    // Explanations in the language asked for.
    let swedish = app
        .get(
            &format!("/api/v1/needs/{id}/explore?lang=sv"),
            Some(&contact),
        )
        .await;
    assert_eq!(swedish.status, 200, "{}", swedish.text);
    let first = swedish.body["items"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["kind"] == "offer"))
        .and_then(|s| s["explanation"].as_str())
        .unwrap_or_default();
    assert!(first.contains("lär ut 1 av 1"), "{}", swedish.text);
    let bad_lang = app
        .get(
            &format!("/api/v1/needs/{id}/explore?lang=de"),
            Some(&contact),
        )
        .await;
    assert_eq!(bad_lang.status, 422, "{}", bad_lang.text);
    assert_eq!(bad_lang.problem_fields(), ["lang"], "{}", bad_lang.text);
    let bad = app
        .get(
            &format!("/api/v1/needs/{id}/explore?w_text=2&min_score=-1"),
            Some(&contact),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.problem_fields(), vec!["w_text", "min_score"]);
    let other = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    assert_eq!(
        app.get(&format!("/api/v1/needs/{id}/explore"), Some(&other))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn needs_past_their_expiry_date_leave_the_queues() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let create = |expires: &str| {
        json!({"municipality": "1438", "title": format!("Behov till {expires}"), "purpose": "recruitment",
               "headcount": 1, "expires_on": expires, "competences": [{"label": "truckkort"}]})
    };
    let soon = app
        .post("/api/v1/needs", Some(&contact), &create("2027-01-31"))
        .await;
    let later = app
        .post("/api/v1/needs", Some(&contact), &create("2027-06-30"))
        .await;
    assert_eq!(soon.status, 201, "{}", soon.text);
    let admin = app.admin();
    let run = app
        .post(
            "/api/v1/admin/jobs/expiry",
            Some(&admin),
            &json!({"as_of": "2027-02-01"}),
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    assert_eq!(run.body["expired"], json!([soon.body["id"]]));
    let soon_id = soon.body["id"].as_str().unwrap_or_default();
    let expired = app
        .get(&format!("/api/v1/needs/{soon_id}"), Some(&contact))
        .await;
    assert_eq!(expired.body["status"], "expired");
    let later_id = later.body["id"].as_str().unwrap_or_default();
    assert_eq!(
        app.get(&format!("/api/v1/needs/{later_id}"), Some(&contact))
            .await
            .body["status"],
        "open"
    );
    let events = app
        .get(&format!("/api/v1/needs/{soon_id}/events"), Some(&contact))
        .await;
    assert!(
        events
            .body
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["kind"] == "expire")),
        "{}",
        events.text
    );
    // Running again changes nothing; only admins may run it.
    let again = app
        .post(
            "/api/v1/admin/jobs/expiry",
            Some(&admin),
            &json!({"as_of": "2027-02-01"}),
        )
        .await;
    assert_eq!(again.body["expired"], json!([]));
    assert_eq!(
        app.post("/api/v1/admin/jobs/expiry", Some(&contact), &json!({}))
            .await
            .status,
        403
    );
}
