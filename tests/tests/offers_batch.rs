//! A provider's whole catalogue in one request: `POST /api/v1/offers/batch` takes a JSON array
//! or CSV, stores all rows or none, names every failing row, and publishes on request; public
//! listings over the loaded catalogue page, count and search in memory.

use std::collections::BTreeSet;

use broker_api::auth::Role;
use broker_e2e::{Reply, Scope, Seed, TestApp, spawn_app_with};
use serde_json::{Value, json};

async fn provider(app: &TestApp) -> (uuid::Uuid, String) {
    app.new_provider("Yrkesutbildning i test").await
}

async fn post_batch(app: &TestApp, token: &str, query: &str, body: &Value) -> Reply {
    app.send(
        app.client
            .post(app.url(&format!("/api/v1/offers/batch{query}")))
            .json(body),
        Some(token),
    )
    .await
}

async fn post_csv(app: &TestApp, token: &str, query: &str, csv: &str) -> Reply {
    app.send(
        app.client
            .post(app.url(&format!("/api/v1/offers/batch{query}")))
            .header("Content-Type", "text/csv")
            .body(csv.to_owned()),
        Some(token),
    )
    .await
}

/// How many offers of the provider exist, in any status.
async fn stored(app: &TestApp, org: uuid::Uuid, token: &str) -> u64 {
    let reply = app
        .get(
            &format!("/api/v1/offers?provider={org}&status=draft,published,archived&limit=1"),
            Some(token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["total"].as_u64().unwrap_or(u64::MAX)
}

fn offer(title: &str, start: &str, municipality: &str) -> Value {
    json!({
        "title": title,
        "delivery": "on_site",
        "competence_labels": ["svetsning"],
        "instances": [{"start": start, "municipality": municipality, "seats": 10}]
    })
}

#[tokio::test]
async fn a_published_batch_is_stored_and_listed_at_once() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let (org, token) = provider(&app).await;
    // A broker follows the provider (one's own writes are not in one's own feed).
    let broker = app.token_for(Role::Broker, Scope::default());
    let follow = app
        .post(
            "/api/v1/me/subscriptions",
            Some(&broker),
            &json!({"kind": "organisation", "value": org}),
        )
        .await;
    assert_eq!(follow.status, 201, "{}", follow.text);
    let reply = post_batch(
        &app,
        &token,
        "?publish=true",
        &json!([
            offer("Svetsning steg 1", "2030-01-10", "1438"),
            offer("Svetsning steg 2", "2030-02-10", "1438"),
            offer("Svetsning steg 3", "2030-03-10", "1485"),
        ]),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["created"], 3);
    let statuses: BTreeSet<&str> = reply.body["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|o| o["status"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(statuses, BTreeSet::from(["published"]));

    // No waiting for the matching queue: the listing shows them on the next request.
    let listed = app
        .get(
            "/api/v1/public/offers?municipality=1438&sort=start_date",
            None,
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let titles: Vec<&str> = listed.body["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|o| o["title"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(titles, ["Svetsning steg 1", "Svetsning steg 2"]);
    assert_eq!(listed.body["total"], 2);

    // Every offer is audited like a single create, and followers of the provider hear of it.
    for item in reply.body["items"].as_array().into_iter().flatten() {
        let id = item["id"].as_str().unwrap_or_default();
        let trail = app
            .get(
                &format!("/api/v1/audit?entity=offer&entity_id={id}"),
                Some(&app.admin()),
            )
            .await;
        assert_eq!(trail.status, 200, "{}", trail.text);
        assert_eq!(
            trail.body["items"][0]["action"], "offer.create",
            "{}",
            trail.text
        );
        assert_eq!(trail.body["items"][0]["after"]["title"], item["title"]);
    }
    let feed = app.get("/api/v1/me/feed", Some(&broker)).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    let created: Vec<&str> = feed.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|e| e["action"] == "offer.create")
                .filter_map(|e| e["title"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(created.len(), 3, "{}", feed.text);
}

#[tokio::test]
async fn a_batch_with_failing_rows_stores_nothing_and_names_every_failing_row() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let (org, token) = provider(&app).await;
    let before = stored(&app, org, &token).await;
    let mut untitled = offer("", "2030-01-10", "1438");
    untitled["title"] = json!("");
    let reply = post_batch(
        &app,
        &token,
        "",
        &json!([
            offer("Svetsning grund", "2030-01-10", "1438"),
            untitled,
            offer("Svetsning fortsättning", "2030-01-10", "9999"),
        ]),
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    let fields = reply.problem_fields();
    assert!(fields.contains(&"rows[2].title".to_owned()), "{fields:?}");
    assert!(
        fields.contains(&"rows[3].instances[0].municipality".to_owned()),
        "{fields:?}"
    );
    assert!(
        fields.iter().all(|f| !f.starts_with("rows[1]")),
        "{fields:?}"
    );
    assert_eq!(stored(&app, org, &token).await, before, "all or nothing");
}

#[tokio::test]
async fn publishing_a_batch_needs_a_scheduled_instance_on_every_offer() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let (_org, token) = provider(&app).await;
    let unscheduled = json!({"title": "Svetsning utan datum", "delivery": "on_site",
                             "competence_labels": ["svetsning"]});
    let reply = post_batch(&app, &token, "?publish=true", &json!([unscheduled])).await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert_eq!(reply.problem_fields(), ["rows[1].instances"]);
    // As drafts they are fine.
    let drafts = post_batch(&app, &token, "", &json!([unscheduled])).await;
    assert_eq!(drafts.status, 201, "{}", drafts.text);
    assert_eq!(drafts.body["items"][0]["status"], "draft");
}

#[tokio::test]
async fn csv_rows_sharing_a_ref_are_one_offer_with_several_instances() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let (_org, token) = provider(&app).await;
    let csv = "ref,title,delivery,competences,start,municipality,seats\n\
               a,Truckkort A+B,on_site,truckkörning,2030-04-01,1438,8\n\
               a,,,,2030-09-01,1485,8\n\
               b,Svetsning MIG/MAG,on_site,svetsning;MIG/MAG-svetsning,2030-05-01,1438,6\n";
    let reply = post_csv(&app, &token, "?publish=true", csv).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["created"], 2);
    let truck = &reply.body["items"][0];
    assert_eq!(truck["title"], "Truckkort A+B");
    let starts: Vec<&str> = truck["instances"]
        .as_array()
        .map(|list| list.iter().filter_map(|i| i["start"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(starts, ["2030-04-01", "2030-09-01"]);

    let bad = "title,delivery,start,municipality,seats\n\
               Svetsning,on_site,2030-13-01,1438,many\n";
    let reply = post_csv(&app, &token, "", bad).await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    let fields = reply.problem_fields();
    assert!(fields.contains(&"rows[1].start".to_owned()), "{fields:?}");
    assert!(fields.contains(&"rows[1].seats".to_owned()), "{fields:?}");

    let unknown = post_csv(&app, &token, "", "title,colour\nSvetsning,red\n").await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert_eq!(unknown.problem_fields(), ["header.colour"]);
}

#[tokio::test]
async fn only_providers_and_admins_load_offers_and_batches_are_bounded() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let broker = app.token_for(Role::Broker, Scope::default());
    let refused = post_batch(
        &app,
        &broker,
        "",
        &json!([offer("Svetsning", "2030-01-10", "1438")]),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.text);

    let (_org, token) = provider(&app).await;
    let too_many: Vec<Value> = (0..1001)
        .map(|i| offer(&format!("Kurs {i}"), "2030-01-10", "1438"))
        .collect();
    let reply = post_batch(&app, &token, "", &Value::Array(too_many)).await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert_eq!(reply.problem_fields(), ["rows"]);

    let bad_flag = post_batch(&app, &token, "?publish=maybe", &json!([])).await;
    assert_eq!(bad_flag.status, 422, "{}", bad_flag.text);
    assert_eq!(bad_flag.problem_fields(), ["publish"]);
}

#[tokio::test]
async fn a_common_word_over_a_large_catalogue_pages_counts_and_facets_every_match() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let (_org, token) = provider(&app).await;
    // 3,000 offers with "kurs" in every title, in three batches; every third one in 1485.
    for batch in 0..3 {
        let offers: Vec<Value> = (0..1000)
            .map(|i| {
                let n = batch * 1000 + i;
                let place = if n % 3 == 0 { "1485" } else { "1438" };
                let day = 1 + n % 28;
                offer(
                    &format!("Kurs nummer {n}"),
                    &format!("2030-02-{day:02}"),
                    place,
                )
            })
            .collect();
        let reply = post_batch(&app, &token, "?publish=true", &Value::Array(offers)).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let first = app
        .get("/api/v1/public/offers?q=kurs&limit=100", None)
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["total"], 3000);
    let municipality_counts: Vec<(String, u64)> = first.body["facets"]["municipality"]
        .as_array()
        .map(|values| {
            values
                .iter()
                .map(|v| {
                    (
                        v["value"].as_str().unwrap_or_default().to_owned(),
                        v["count"].as_u64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        municipality_counts,
        [("1438".to_owned(), 2000), ("1485".to_owned(), 1000)]
    );
    let second = app
        .get("/api/v1/public/offers?q=kurs&limit=100&offset=100", None)
        .await;
    assert_eq!(second.status, 200, "{}", second.text);
    let ids = |r: &Reply| -> BTreeSet<String> {
        r.body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|o| o["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(ids(&first).len(), 100);
    assert!(ids(&first).is_disjoint(&ids(&second)), "pages overlap");

    let narrowed = app
        .get(
            &format!(
                "/api/v1/public/offers?q={}&municipality=1485&sort=start_date&limit=5",
                broker_e2e::urlencode("kurs kurset")
            ),
            None,
        )
        .await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.text);
    assert_eq!(narrowed.body["total"], 1000);
    let starts: Vec<&str> = narrowed.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|o| o["instances"][0]["start"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let mut sorted = starts.clone();
    sorted.sort_unstable();
    assert_eq!(starts, sorted, "soonest first");
    assert_eq!(starts.first().copied(), Some("2030-02-01"));
}

#[tokio::test]
async fn every_offer_of_a_batch_reaches_a_need_entered_before_it() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let need_id = app
        .enter_welding_need("1438", "Svetsare till verkstaden")
        .await;
    let (_, token) = provider(&app).await;
    // Loaded after the need: the offers' own jobs, run as one batch, must bring each to it.
    let titles: Vec<String> = (1..=5).map(|n| format!("Svetskurs del {n}")).collect();
    let batch: Vec<Value> = titles
        .iter()
        .map(|t| offer(t, "2030-03-01", "1438"))
        .collect();
    let loaded = post_batch(&app, &token, "?publish=true", &json!(batch)).await;
    assert_eq!(loaded.status, 201, "{}", loaded.text);
    let suggested_titles = |body: &Value| -> BTreeSet<String> {
        body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["kind"] == "offer")
            .filter_map(|m| m["target_label"].as_str().map(str::to_owned))
            .collect()
    };
    let expected: BTreeSet<String> = titles.iter().cloned().collect();
    let reply = app
        .eventually(
            &format!("/api/v1/needs/{need_id}/matches?kind=offer"),
            Some(&app.admin()),
            |body| suggested_titles(body).is_superset(&expected),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        suggested_titles(&reply.body).is_superset(&expected),
        "{}",
        reply.text
    );
}
