//! Many instances over one database: started together on an empty database, both come up; an
//! offer published through one is listed and suggested by the other within two seconds; a
//! need entered on one pools with a need entered on the other; a taxonomy import reaches both
//! without a restart; matching jobs are shared (each done once, one left by a stopped instance
//! done by another) and a webhook delivery is sent once however many instances dispatch.
//! Structure changed through one instance (a platform's settings and active period, a new
//! contact person, a renamed municipality, a new cluster) takes effect on the other within a few
//! change polls, without a restart.

use std::time::{Duration, Instant};

use broker_api::auth::Role;
use broker_e2e::{Scope, Seed, TestApp, spawn_instances};
use serde_json::{Value, json};

/// How long a change may take to reach the other instance (the target).
const VISIBLE_WITHIN: Duration = Duration::from_secs(2);

async fn two_instances() -> (TestApp, TestApp) {
    two_instances_with(|_| {}).await
}

async fn two_instances_with(adjust: impl FnOnce(&mut broker_api::Settings)) -> (TestApp, TestApp) {
    let mut apps = spawn_instances(2, Seed::Reference, |s| {
        s.change_poll_ms = 200;
        s.taxonomy_poll_secs = 1;
        adjust(s);
    })
    .await;
    let b = apps.remove(1);
    (apps.remove(0), b)
}

async fn provider(app: &TestApp) -> String {
    app.new_provider("Vuxenutbildningen i test").await.1
}

/// Publishes one offer through `app` for a new provider; returns its id.
async fn publish(app: &TestApp, offer: Value) -> String {
    let batch = app
        .send(
            app.client
                .post(app.url("/api/v1/offers/batch?publish=true"))
                .json(&json!([offer])),
            Some(&provider(app).await),
        )
        .await;
    assert_eq!(batch.status, 201, "{}", batch.text);
    batch.body["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
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
    let offer_id = publish(
        &a,
        json!({
            "title": "Kvällskurs i svetsning för Dals-Ed",
            "delivery": "on_site",
            "competence_labels": ["svetsning"],
            "instances": [{"start": "2030-02-01", "municipality": "1438", "seats": 12}]
        }),
    )
    .await;

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
    let need_id = b
        .enter_welding_need("1438", "Svetsare till verkstaden")
        .await;
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
    assert_eq!(
        listed_total(&body),
        0,
        "still listed by the other instance: {body}"
    );
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
        assert!(
            found(&body),
            "instance on port {} lacks the import: {body}",
            app.port
        );
    }
}

/// A need that pools with another need of the same demand in a neighbouring municipality.
fn cnc_need(municipality: &str) -> Value {
    json!({
        "municipality": municipality,
        "title": "CNC-operatörer till verkstaden",
        "purpose": "recruitment",
        "headcount": 3,
        "needed_by": "2030-08-01",
        "competences": [{"label": "CNC-fräsning"}, {"label": "mätteknik"}]
    })
}

fn id_of(reply: &broker_e2e::Reply) -> String {
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

/// Whether a need's suggestions (of `kind`) include `target`.
fn suggests(target: &str) -> impl Fn(&Value) -> bool + '_ {
    move |body: &Value| {
        body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|m| m["target_id"] == target))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_entered_on_different_instances_pool_with_each_other() {
    let (a, b) = two_instances().await;
    let bengtsfors = a.token_for(Role::MunicipalContact, Scope::municipality("1460"));
    let dals_ed = b.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let theirs = a
        .post("/api/v1/needs", Some(&bengtsfors), &cnc_need("1460"))
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    let theirs = id_of(&theirs);
    // The other instance reads needs written elsewhere on its change poll (200 ms here).
    tokio::time::sleep(VISIBLE_WITHIN).await;
    let mine = b
        .post("/api/v1/needs", Some(&dals_ed), &cnc_need("1438"))
        .await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    let mine = id_of(&mine);

    let path = format!("/api/v1/needs/{mine}/matches?kind=need");
    let pooled = b
        .eventually(&path, Some(&b.admin()), suggests(&theirs))
        .await;
    assert!(suggests(&theirs)(&pooled.body), "{}", pooled.text);
    // The need it pools with is rescored (by whichever instance takes that job) and suggests it
    // back.
    let path = format!("/api/v1/needs/{theirs}/matches?kind=need");
    let back = a.eventually(&path, Some(&a.admin()), suggests(&mine)).await;
    assert!(suggests(&mine)(&back.body), "{}", back.text);
}

/// Publishes a welding course in Dals-Ed through `app` and waits until `other` lists it too.
async fn welding_course(app: &TestApp, other: &TestApp) -> String {
    let offer = publish(
        app,
        json!({
            "title": "Svetsning MIG/MAG för industrin",
            "delivery": "on_site",
            "competence_labels": ["svetsning"],
            "instances": [{"start": "2030-02-01", "municipality": "1438", "seats": 12}]
        }),
    )
    .await;
    let listed = |body: &Value| {
        body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|o| o["id"] == offer.as_str()))
    };
    let (body, _) = poll(
        other,
        "/api/v1/public/offers?q=svetsning",
        None,
        VISIBLE_WITHIN,
        listed,
    )
    .await;
    assert!(listed(&body), "{body}");
    offer
}

/// Every suggestion of a need, whatever its status, as `(id, kind, target, status, version)`.
async fn all_suggestions(app: &TestApp, need: &str) -> Vec<(String, String, String, String, i64)> {
    let reply = app
        .get(
            &format!(
                "/api/v1/needs/{need}/matches?status=suggested,deferred,accepted,rejected,superseded"
            ),
            Some(&app.admin()),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut rows: Vec<_> = reply.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let text = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (
                text("id"),
                text("kind"),
                text("target_id"),
                text("status"),
                m["version"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// Waits until no matching job is queued or running.
#[expect(
    clippy::expect_used,
    reason = "a store that cannot be read is a test failure"
)]
async fn jobs_drained(store: &broker_store::Store, within: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < within {
        let pending = broker_store::repo::matching_jobs::pending(store.conn())
            .await
            .expect("jobs readable");
        if pending == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::expect_used, reason = "set-up failures are test failures")]
async fn a_need_is_matched_once_and_its_suggestions_do_not_flap_between_instances() {
    use broker_store::repo::matching_jobs::{self, JobKind};
    let (a, b) = two_instances().await;
    let store = broker_store::Store::connect(&a.settings.database_url)
        .await
        .expect("store");
    let offer = welding_course(&a, &b).await;
    let need = a
        .enter_welding_need("1438", "Svetsare till verkstaden")
        .await;
    let path = format!("/api/v1/needs/{need}/matches");
    let first = a
        .eventually(&path, Some(&a.admin()), suggests(&offer))
        .await;
    assert!(suggests(&offer)(&first.body), "{}", first.text);
    assert!(
        jobs_drained(&store, Duration::from_secs(10)).await,
        "jobs left undone"
    );

    // Both instances recompute the need again and again (whichever claims each job): the
    // suggestions stay exactly as first written (one row per target, never superseded and
    // rewritten by an instance that sees the data differently).
    let written = all_suggestions(&a, &need).await;
    assert!(!written.is_empty());
    let mut targets: Vec<_> = written.iter().map(|s| (&s.1, &s.2)).collect();
    targets.dedup();
    assert_eq!(
        targets.len(),
        written.len(),
        "one suggestion per target: {written:?}"
    );
    for s in &written {
        assert_eq!((s.3.as_str(), s.4), ("suggested", 1), "rewritten: {s:?}");
    }
    let id = need.parse().expect("uuid");
    for _ in 0..10 {
        let txn = store.begin().await.expect("begin");
        matching_jobs::enqueue(&txn, JobKind::Rescore, id, chrono::Duration::zero())
            .await
            .expect("enqueue");
        txn.commit().await.expect("commit");
        assert!(
            jobs_drained(&store, Duration::from_secs(5)).await,
            "job left undone"
        );
        assert_eq!(all_suggestions(&a, &need).await, written, "changed on A");
        assert_eq!(all_suggestions(&b, &need).await, written, "changed on B");
    }
    store.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::expect_used, reason = "set-up failures are test failures")]
async fn a_job_left_by_a_stopped_instance_is_done_by_another_once_its_lease_runs_out() {
    use broker_store::repo::matching_jobs::{self, JobKind};
    let (a, b) = two_instances().await;
    let store = broker_store::Store::connect(&a.settings.database_url)
        .await
        .expect("store");
    let offer = welding_course(&a, &b).await;
    let need_id = a.enter_welding_need("1438", "Svetsare till Dals-Ed").await;
    let path = format!("/api/v1/needs/{need_id}/matches");
    let first = a
        .eventually(&path, Some(&a.admin()), suggests(&offer))
        .await;
    assert!(suggests(&offer)(&first.body), "{}", first.text);
    assert!(
        jobs_drained(&store, Duration::from_secs(10)).await,
        "jobs left undone"
    );

    // An instance committed a change to the need (its suggestions are gone) and its job, claimed
    // it, and stopped before running it.
    let id = need_id.parse().expect("uuid");
    let txn = store.begin().await.expect("begin");
    broker_store::repo::matches::supersede_pending(&txn, None, Some(id))
        .await
        .expect("supersede");
    matching_jobs::enqueue(&txn, JobKind::Rescore, id, chrono::Duration::zero())
        .await
        .expect("enqueue");
    txn.commit().await.expect("commit");
    let txn = store.begin().await.expect("begin");
    let claimed = matching_jobs::claim(
        &txn,
        JobKind::Rescore,
        id,
        "stopped-instance",
        chrono::Duration::seconds(2),
    )
    .await
    .expect("claim");
    txn.commit().await.expect("commit");
    assert!(claimed.is_some());
    let leased_at = Instant::now();

    // While the lease holds, no other instance runs it.
    let now = a.get(&path, Some(&a.admin())).await;
    assert!(
        !suggests(&offer)(&now.body),
        "run under another's lease: {}",
        now.text
    );
    // Once it runs out, a live instance does the job: the suggestion is back, the job gone.
    let back = b
        .eventually(&path, Some(&b.admin()), suggests(&offer))
        .await;
    assert!(suggests(&offer)(&back.body), "{}", back.text);
    assert!(
        leased_at.elapsed() >= Duration::from_secs(2),
        "ran under another's lease"
    );
    assert!(
        jobs_drained(&store, Duration::from_secs(10)).await,
        "the job stayed queued"
    );
    store.close().await.expect("close");
}

/// A webhook receiver that answers 200 and records each delivery id it gets.
#[expect(
    clippy::expect_used,
    reason = "a receiver that cannot start is a test failure"
)]
async fn delivery_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("receiver binds");
    let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let log = std::sync::Arc::clone(&log);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Headers, then the body by its length.
                let (head_end, length) = loop {
                    let Ok(n) = socket.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (i + 4, length);
                    }
                };
                while buf.len() < head_end + length {
                    match socket.read(&mut chunk).await {
                        Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => break,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
                if let Some(id) = head
                    .lines()
                    .find_map(|l| l.strip_prefix("x-kompetens-delivery:"))
                {
                    log.lock().expect("log").push(id.trim().to_owned());
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::expect_used, reason = "a poisoned log is a test failure")]
async fn each_webhook_delivery_is_sent_once_by_two_dispatching_instances() {
    let (a, b) = two_instances_with(|s| {
        // Both dispatchers look for due deliveries often, so they race for each one.
        s.webhook_interval_ms = 20;
        s.webhook_timeout_secs = 2;
        // The receiver listens on 127.0.0.1.
        s.webhook_allow_private_targets = true;
    })
    .await;
    let (url, received) = delivery_receiver().await;
    let (_, org_token) = a.new_provider("Dals-Eds Mekaniska").await;
    let hook = a
        .post(
            "/api/v1/webhooks",
            Some(&org_token),
            &json!({"url": url, "topics": [{"kind": "municipality", "value": "1438"}]}),
        )
        .await;
    assert_eq!(hook.status, 201, "{}", hook.text);
    let contact = b.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    for (app, title) in [(&a, "Svetsare"), (&b, "Truckförare"), (&a, "Plåtslagare")] {
        let need = app
            .post(
                "/api/v1/needs",
                Some(&contact),
                &broker_e2e::need_body("1438", title),
            )
            .await;
        assert_eq!(need.status, 201, "{}", need.text);
    }
    // The registration and the three needs: four deliveries, each sent once.
    let started = Instant::now();
    while received.lock().expect("log").len() < 4 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Time for a second send of any of them to arrive.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ids = received.lock().expect("log").clone();
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() >= 4, "deliveries missing: {ids:?}");
    assert_eq!(
        distinct.len(),
        ids.len(),
        "a delivery was sent twice: {ids:?}"
    );
}

/// How long a structure change may take to reach the other instance: a few change polls.
const STRUCTURE_WITHIN: Duration = Duration::from_secs(2);

/// A store handle on the instances' database, to wait for the shared job queue.
#[expect(clippy::expect_used, reason = "set-up failures are test failures")]
async fn store_of(app: &TestApp) -> broker_store::Store {
    broker_store::Store::connect(&app.settings.database_url)
        .await
        .expect("store")
}

/// Enters a need through `app`; returns its id and the platform it was routed to.
async fn need_on(app: &TestApp, municipality: &str, need: &Value) -> (String, String) {
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality(municipality));
    let created = app.post("/api/v1/needs", Some(&contact), need).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let platform = created.body["platform_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (id_of(&created), platform)
}

/// A need for MIG/MAG welders in Dals-Ed.
fn welders_in_dals_ed() -> Value {
    json!({"municipality": "1438", "title": "Svetsare", "purpose": "recruitment", "headcount": 2,
           "needed_by": "2030-06-30", "competences": [{"label": "MIG/MAG-svetsning"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::expect_used, reason = "set-up failures are test failures")]
async fn a_platforms_settings_changed_on_one_instance_are_used_by_the_other() {
    let (a, b) = two_instances().await;
    let store = store_of(&a).await;
    // An on-site course in Halden (Norway): outside Dals-Ed's region, so not suggested for a
    // Dals-Ed need while the platform's reach is the region (the default).
    let halden = publish(
        &a,
        json!({
            "title": "MIG/MAG-sveising i Halden",
            "delivery": "on_site",
            "language": "nb",
            "competence_labels": ["MIG/MAG-svetsning"],
            "instances": [{"start": "2030-03-01", "municipality": "3101", "seats": 10}]
        }),
    )
    .await;
    let (before, platform) = need_on(&b, "1438", &welders_in_dals_ed()).await;
    assert_eq!(platform, a.platform_id("dals-ed").to_string());
    assert!(
        jobs_drained(&store, Duration::from_secs(10)).await,
        "jobs left undone"
    );
    let path = |need: &str| format!("/api/v1/needs/{need}/matches?kind=offer");
    let not_yet = b.get(&path(&before), Some(&b.admin())).await;
    assert!(!suggests(&halden)(&not_yet.body), "{}", not_yet.text);

    // Dals-Ed's platform reaches anywhere now, changed through A.
    let changed = a
        .patch(
            &format!("/api/v1/platforms/{platform}/settings"),
            Some(&a.admin()),
            &json!({"reach": "anywhere"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    // The rematch the change enqueued is done (by either instance) before B takes a new need,
    // so that need is matched by B alone, with the settings B holds.
    tokio::time::sleep(STRUCTURE_WITHIN).await;
    assert!(
        jobs_drained(&store, Duration::from_secs(10)).await,
        "the rematch was left undone"
    );
    let (after, _) = need_on(&b, "1438", &welders_in_dals_ed()).await;
    let matched = b
        .eventually(&path(&after), Some(&b.admin()), suggests(&halden))
        .await;
    assert!(
        suggests(&halden)(&matched.body),
        "B matched with the old reach: {}",
        matched.text
    );
    store.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platforms_active_period_changed_on_one_instance_routes_the_others_needs() {
    let (a, b) = two_instances().await;
    let dals_ed = a.platform_id("dals-ed");
    let need = broker_e2e::need_body("1438", "Svetsare till verkstaden");
    assert_eq!(need_on(&b, "1438", &need).await.1, dals_ed.to_string());

    // Dals-Ed's trial ended yesterday (set through A): B routes its needs to the Dalsland
    // cluster platform above it.
    let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let ended = a
        .patch(
            &format!("/api/v1/platforms/{dals_ed}"),
            Some(&a.admin()),
            &json!({"active_period": {"active_from": null, "active_to": yesterday}}),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert_eq!(ended.body["active"], false, "{}", ended.text);
    tokio::time::sleep(STRUCTURE_WITHIN).await;
    assert_eq!(
        need_on(&b, "1438", &need).await.1,
        a.platform_id("dalsland").to_string(),
        "B routed to the ended trial"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::expect_used, reason = "set-up failures are test failures")]
async fn a_contact_appointed_on_one_instance_is_suggested_by_the_other() {
    let (a, b) = two_instances().await;
    let store = store_of(&a).await;
    let appointed = a
        .post(
            "/api/v1/contacts",
            Some(&a.admin()),
            &json!({
                "name": "Kim Kvastbindare",
                "email": "kim@dals-ed.example",
                "municipalities": ["1438"],
                "area_text": ["kvastbindning"]
            }),
        )
        .await;
    assert_eq!(appointed.status, 201, "{}", appointed.text);
    let contact = id_of(&appointed);
    tokio::time::sleep(STRUCTURE_WITHIN).await;
    assert!(
        jobs_drained(&store, Duration::from_secs(10)).await,
        "the rematch was left undone"
    );
    // A need entered on B after that is matched by B alone: the new contact is among its
    // suggestions.
    let (need, _) = need_on(
        &b,
        "1438",
        &json!({"municipality": "1438", "title": "Kvastbindare", "purpose": "upskilling",
                "headcount": 1, "competences": [{"label": "kvastbindning"}]}),
    )
    .await;
    let path = format!("/api/v1/needs/{need}/matches?kind=contact");
    let matched = b
        .eventually(&path, Some(&b.admin()), suggests(&contact))
        .await;
    assert!(
        suggests(&contact)(&matched.body),
        "B does not know the new contact: {}",
        matched.text
    );
    store.close().await.expect("close");
}

/// Whether the public filters name municipality `code` `name` and offer cluster `cluster`.
fn filters_show(code: &str, name: &str, cluster: &str) -> impl Fn(&Value) -> bool {
    let (code, name, cluster) = (code.to_owned(), name.to_owned(), cluster.to_owned());
    move |body: &Value| {
        let renamed = body["municipalities"].as_array().is_some_and(|items| {
            items
                .iter()
                .any(|m| m["value"] == code.as_str() && m["labels"]["sv"] == name.as_str())
        });
        let clustered = body["clusters"]
            .as_array()
            .is_some_and(|items| items.iter().any(|c| c["value"] == cluster.as_str()));
        renamed && clustered
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn places_changed_on_one_instance_reach_the_others_public_listing() {
    let (a, b) = two_instances().await;
    let admin = a.admin();
    // B has served (and cached) a listing before the change.
    let first = b.get("/api/v1/public/offers?municipality=1438", None).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let unknown = b
        .get("/api/v1/public/offers?cluster=ed-och-bengtsfors", None)
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    // Reference lists are rendered once per loaded structure: both have rendered theirs.
    let names_dals_eds = |name: &'static str| {
        move |body: &Value| {
            body["items"].as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|m| m["code"] == "1438" && m["name"] == name)
            })
        }
    };
    let has_cluster = |body: &Value| {
        body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|c| c["key"] == "ed-och-bengtsfors"))
    };
    let municipalities = "/api/v1/municipalities?region=fyrbodal";
    for app in [&a, &b] {
        let listed = app.get(municipalities, None).await;
        assert!(names_dals_eds("Dals-Ed")(&listed.body), "{}", listed.text);
        let clusters = app.get("/api/v1/clusters", None).await;
        assert!(!has_cluster(&clusters.body), "{}", clusters.text);
    }

    let renamed = a
        .patch(
            "/api/v1/municipalities/1438",
            Some(&admin),
            &json!({"name": "Dals-Eds kommun"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let cluster = a
        .post(
            "/api/v1/clusters",
            Some(&admin),
            &json!({"key": "ed-och-bengtsfors", "name": "Ed och Bengtsfors",
                    "municipalities": ["1438", "1460"]}),
        )
        .await;
    assert_eq!(cluster.status, 201, "{}", cluster.text);
    let shown = filters_show("1438", "Dals-Eds kommun", "ed-och-bengtsfors");

    // The instance that made the change shows it at once.
    let on_a = a.get("/api/v1/public/filters", None).await;
    assert!(shown(&on_a.body), "A: {}", on_a.text);
    // The other within a few change polls.
    let (on_b, took) = poll(&b, "/api/v1/public/filters", None, STRUCTURE_WITHIN, &shown).await;
    assert!(shown(&on_b), "B: {on_b}");
    assert!(took <= STRUCTURE_WITHIN, "took {took:?}");
    let on_a = a.get(municipalities, None).await;
    assert!(
        names_dals_eds("Dals-Eds kommun")(&on_a.body),
        "A: {}",
        on_a.text
    );
    let on_a = a.get("/api/v1/clusters", None).await;
    assert!(has_cluster(&on_a.body), "A: {}", on_a.text);
    let (on_b, _) = poll(
        &b,
        municipalities,
        None,
        STRUCTURE_WITHIN,
        names_dals_eds("Dals-Eds kommun"),
    )
    .await;
    assert!(names_dals_eds("Dals-Eds kommun")(&on_b), "B: {on_b}");
    let (on_b, _) = poll(&b, "/api/v1/clusters", None, STRUCTURE_WITHIN, has_cluster).await;
    assert!(has_cluster(&on_b), "B: {on_b}");
    let listed = b
        .get("/api/v1/public/offers?cluster=ed-och-bengtsfors", None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
}

/// On PostgreSQL another instance is woken by the change itself (`LISTEN`/`NOTIFY`), not by its
/// poll: with the poll a minute apart, an offer published on one instance is listed by the
/// other within [`VISIBLE_WITHIN`]. SQLite has no such channel; there its 200 ms poll does it.
#[tokio::test]
async fn another_instance_hears_of_a_change_without_waiting_for_its_poll() {
    let on_postgres =
        std::env::var("BROKER_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"));
    let (a, b) = two_instances_with(|s| {
        if on_postgres {
            s.change_poll_ms = 60_000;
        }
    })
    .await;
    // Both instances have made their first catch-up; the next poll is a minute away.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let offer_id = publish(
        &a,
        json!({
            "title": "Morgonkurs i hydraulik",
            "delivery": "on_site",
            "competence_labels": ["hydraulik"],
            "instances": [{"start": "2030-03-01", "municipality": "1438", "seats": 8}]
        }),
    )
    .await;
    let listed = |body: &Value| {
        body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|o| o["id"] == offer_id))
    };
    let (body, took) = poll(
        &b,
        "/api/v1/public/offers?q=morgonkurs",
        None,
        VISIBLE_WITHIN,
        listed,
    )
    .await;
    assert!(listed(&body), "not listed by the other instance: {body}");
    assert!(took <= VISIBLE_WITHIN, "took {took:?}");
}

/// A needs listing one instance keeps in memory follows needs written on the other: a new need
/// and a change to it show within the change poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_needs_listing_on_one_instance_follows_needs_written_on_the_other() {
    let (a, b) = two_instances().await;
    let admin = b.admin();
    let (empty, _) = poll(&b, "/api/v1/needs", Some(&admin), Duration::ZERO, |_| true).await;
    assert_eq!(empty["total"], 0, "{empty}");
    let (id, _) = need_on(&a, "1438", &welders_in_dals_ed()).await;
    let (listed, took) = poll(&b, "/api/v1/needs", Some(&admin), VISIBLE_WITHIN, |body| {
        body["total"] == 1
    })
    .await;
    assert_eq!(
        listed["items"][0]["id"],
        id.as_str(),
        "after {took:?}: {listed}"
    );

    let contact = a.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let withdrawn = a
        .post(
            &format!("/api/v1/needs/{id}/withdraw"),
            Some(&contact),
            &json!({"version": listed["items"][0]["version"]}),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let (closed, took) = poll(&b, "/api/v1/needs", Some(&admin), VISIBLE_WITHIN, |body| {
        body["items"][0]["status"] == "withdrawn"
    })
    .await;
    assert_eq!(
        closed["items"][0]["status"], "withdrawn",
        "after {took:?}: {closed}"
    );
}
