//! Many instances over one database: started together on an empty database, both come up; an
//! offer published through one is listed and suggested by the other within two seconds; a
//! taxonomy import reaches both without a restart.

use std::time::{Duration, Instant};

use broker_api::auth::Role;
use broker_e2e::{Scope, Seed, TestApp, spawn_instances};
use serde_json::{Value, json};

/// How long a change may take to reach the other instance (the target).
const VISIBLE_WITHIN: Duration = Duration::from_secs(2);

async fn two_instances() -> (TestApp, TestApp) {
    let mut apps = spawn_instances(2, Seed::Reference, |s| {
        s.change_poll_ms = 200;
        s.taxonomy_poll_secs = 1;
    })
    .await;
    let b = apps.remove(1);
    (apps.remove(0), b)
}

async fn provider(app: &TestApp) -> String {
    app.new_provider("Vuxenutbildningen i test").await.1
}

/// Polls until `ready` holds, at most `within`; returns the last reply's body and the time taken.
async fn poll(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    within: Duration,
    ready: impl Fn(&Value) -> bool,
) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let reply = app.get(path, token).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        if ready(&reply.body) || started.elapsed() > within {
            return (reply.body, started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_together_on_an_empty_database_both_serve_the_same_reference_data() {
    let (a, b) = two_instances().await;
    for app in [&a, &b] {
        let ready = app.get("/readyz", None).await;
        assert_eq!(ready.status, 200, "{}", ready.text);
    }
    let platforms = |reply: Value| reply["items"].as_array().map(Vec::len).unwrap_or_default();
    let on_a = platforms(a.get("/api/v1/platforms", Some(&a.admin())).await.body);
    let on_b = platforms(b.get("/api/v1/platforms", Some(&b.admin())).await.body);
    assert!(on_a > 0, "reference data was seeded");
    assert_eq!(on_a, on_b, "seeded once, not twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_published_on_one_instance_is_listed_and_suggested_by_the_other() {
    let (a, b) = two_instances().await;
    let batch = a
        .send(
            a.client
                .post(a.url("/api/v1/offers/batch?publish=true"))
                .json(&json!([{
                    "title": "Kvällskurs i svetsning för Dals-Ed",
                    "delivery": "on_site",
                    "competence_labels": ["svetsning"],
                    "instances": [{"start": "2030-02-01", "municipality": "1438", "seats": 12}]
                }])),
            Some(&provider(&a).await),
        )
        .await;
    assert_eq!(batch.status, 201, "{}", batch.text);
    let offer_id = batch.body["items"][0]["id"].clone();

    let listed = |body: &Value| {
        body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|o| o["id"] == offer_id))
    };
    let (body, took) = poll(
        &b,
        "/api/v1/public/offers?q=kv%C3%A4llskurs",
        None,
        VISIBLE_WITHIN,
        listed,
    )
    .await;
    assert!(listed(&body), "not listed by the other instance: {body}");
    assert!(took <= VISIBLE_WITHIN, "took {took:?}");

    // A need entered on the other instance gets the course.
    let contact = b.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let need = b
        .post(
            "/api/v1/needs",
            Some(&contact),
            &broker_e2e::need_body("1438", "Svetsare till verkstaden"),
        )
        .await;
    assert_eq!(need.status, 201, "{}", need.text);
    let need_id = need.body["id"].as_str().unwrap_or_default().to_owned();
    let suggested = |body: &Value| {
        body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|m| m["target_id"] == offer_id))
    };
    let matches = b
        .eventually(
            &format!("/api/v1/needs/{need_id}/matches"),
            Some(&b.admin()),
            suggested,
        )
        .await;
    assert!(suggested(&matches.body), "{}", matches.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_withdrawn_on_one_instance_leaves_the_other_instances_listing() {
    let (a, b) = two_instances().await;
    let token = provider(&a).await;
    let batch = a
        .send(
            a.client
                .post(a.url("/api/v1/offers/batch?publish=true"))
                .json(&json!([{
                    "title": "Truckkort A+B helgkurs",
                    "delivery": "on_site",
                    "competence_labels": ["truckkörning"],
                    "instances": [{"start": "2030-03-01", "municipality": "1438"}]
                }])),
            Some(&token),
        )
        .await;
    assert_eq!(batch.status, 201, "{}", batch.text);
    let offer = &batch.body["items"][0];
    let id = offer["id"].as_str().unwrap_or_default().to_owned();
    let listed_total = |body: &Value| body["total"].as_u64().unwrap_or_default();
    let (body, _) = poll(
        &b,
        "/api/v1/public/offers?q=helgkurs",
        None,
        VISIBLE_WITHIN,
        |b| listed_total(b) == 1,
    )
    .await;
    assert_eq!(listed_total(&body), 1, "{body}");

    let archived = a
        .post(
            &format!("/api/v1/offers/{id}/archive"),
            Some(&token),
            &json!({"version": offer["version"]}),
        )
        .await;
    assert_eq!(archived.status, 200, "{}", archived.text);
    let (body, took) = poll(
        &b,
        "/api/v1/public/offers?q=helgkurs",
        None,
        VISIBLE_WITHIN,
        |b| listed_total(b) == 0,
    )
    .await;
    assert_eq!(listed_total(&body), 0, "still listed by the other instance: {body}");
    assert!(took <= VISIBLE_WITHIN, "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::expect_used, reason = "set-up failures are test failures")]
async fn a_taxonomy_import_reaches_every_running_instance() {
    let (a, b) = two_instances().await;
    let store = broker_store::Store::connect(&a.settings.database_url)
        .await
        .expect("store");
    let skill = broker_matching::esco::EscoSkill {
        uri: "http://data.europa.eu/esco/skill/e2e-instances-0001".to_owned(),
        concept_type: "KnowledgeSkillCompetence".to_owned(),
        skill_type: Some("skill/competence".to_owned()),
        preferred_label: "kvastbindning".to_owned(),
        alt_labels: Vec::new(),
        hidden_labels: Vec::new(),
        status: "released".to_owned(),
        modified: None,
        description: None,
    };
    broker_api::taxonomy_import::import_skills(&store, &[skill], "sv", false, "e2e")
        .await
        .expect("import");
    for app in [&a, &b] {
        let found = |body: &Value| {
            body["items"].as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|c| c["concept"]["label"].as_str() == Some("kvastbindning"))
            })
        };
        let (body, _) = poll(
            app,
            "/api/v1/competences?q=kvastbindning&lang=sv",
            Some(&app.admin()),
            Duration::from_secs(10),
            found,
        )
        .await;
        assert!(found(&body), "instance on port {} lacks the import: {body}", app.port);
    }
}
