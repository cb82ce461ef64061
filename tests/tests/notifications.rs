//! Information reaching the right people: subscriptions and `/me/feed`, webhooks (signatures,
//! retries with backoff, the delivery log, giving up, redelivery, and the outbox surviving a
//! stopped dispatcher), and the activity report.
#![expect(
    clippy::expect_used,
    reason = "a test whose receiver or second server cannot start should stop loudly"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use broker_api::auth::Role;
use broker_domain::notify::RetryPolicy;
use broker_e2e::{Reply, Scope, Seed, TestApp, need_body as need, spawn_app, spawn_app_with};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

fn id_of(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

async fn organisation(app: &TestApp, name: &str) -> (Uuid, String) {
    organisation_of_kind(app, name, "employer").await
}

async fn organisation_of_kind(app: &TestApp, name: &str, kind: &str) -> (Uuid, String) {
    let created = app
        .post(
            "/api/v1/organisations",
            Some(&app.admin()),
            &json!({"name": name, "kind": kind, "country": "SE", "municipality": "1438"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id: Uuid = id_of(&created).parse().unwrap_or_default();
    (id, app.token_for(Role::Provider, Scope::organisation(id)))
}

/// What a receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A minimal HTTP receiver on a random port: answers with the scripted statuses in order, then
/// 200, and records every request.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<u16>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds");
        let url = format!(
            "http://{}/hooks/kompetens",
            listener.local_addr().expect("addr")
        );
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        tokio::spawn(async move {
            let mut script = script.into_iter();
            while let Ok((mut socket, _)) = listener.accept().await {
                let Some(request) = read_request(&mut socket).await else {
                    continue;
                };
                log.lock().expect("log").push(request);
                let status = script.next().unwrap_or(200);
                let reply = format!(
                    "HTTP/1.1 {status} Scripted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        Self { url, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().expect("log").clone()
    }

    /// Waits until at least `n` requests arrived.
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        self.wait_until(|got| got.len() >= n, within).await
    }

    /// Waits until what arrived satisfies `done`.
    async fn wait_until(
        &self,
        done: impl Fn(&[Received]) -> bool,
        within: Duration,
    ) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            let got = self.received();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_string();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        headers,
        body: buf[header_end..].to_vec(),
    })
}

fn verifies(secret: &str, r: &Received) -> bool {
    let timestamp = r
        .headers
        .get("x-kompetens-timestamp")
        .cloned()
        .unwrap_or_default();
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&r.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    r.headers.get("x-kompetens-signature") == Some(&expected)
}

fn quick_retries(attempts: u32) -> impl FnOnce(&mut broker_api::Settings) {
    move |s| {
        s.webhook_interval_ms = 50;
        s.webhook_retry = RetryPolicy {
            base_secs: 1,
            max_delay_secs: 2,
            max_attempts: attempts,
        };
        s.webhook_timeout_secs = 2;
        // The test receivers listen on 127.0.0.1.
        s.webhook_allow_private_targets = true;
    }
}

#[tokio::test]
async fn a_contact_following_a_neighbour_municipality_sees_its_new_needs_in_the_feed() {
    let app = spawn_app().await;
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let bengtsfors = app.token_for(Role::MunicipalContact, Scope::municipality("1460"));

    // Bad topics are refused with the field named; nothing is stored.
    for (body, field) in [
        (json!({"kind": "colour", "value": "red"}), "kind"),
        (
            json!({"kind": "municipality", "value": "Bengtsfors"}),
            "value",
        ),
        (json!({"kind": "municipality", "value": "9999"}), "value"),
        (
            json!({"kind": "platform", "value": Uuid::new_v4().to_string()}),
            "value",
        ),
        (
            json!({"kind": "competence", "value": Uuid::new_v4().to_string()}),
            "value",
        ),
        (json!({"kind": "focus_area", "value": "sport"}), "value"),
        (
            json!({"kind": "municipality", "value": "1460", "extra": 1}),
            "extra",
        ),
    ] {
        let refused = app
            .post("/api/v1/me/subscriptions", Some(&dals_ed), &body)
            .await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.text);
        assert_eq!(refused.problem_fields(), vec![field.to_owned()], "{body}");
    }
    let none = app.get("/api/v1/me/subscriptions", Some(&dals_ed)).await;
    assert_eq!(none.body["items"], json!([]));

    let follow = json!({"kind": "municipality", "value": "1460"});
    let created = app
        .post("/api/v1/me/subscriptions", Some(&dals_ed), &follow)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["topic"], "municipality:1460");
    let again = app
        .post("/api/v1/me/subscriptions", Some(&dals_ed), &follow)
        .await;
    assert_eq!(
        again.status, 200,
        "following twice returns the same subscription"
    );
    assert_eq!(again.body["id"], created.body["id"]);

    // Bengtsfors enters a need: it reaches Dals-Ed's feed, not Bengtsfors' own.
    let theirs = app
        .post(
            "/api/v1/needs",
            Some(&bengtsfors),
            &need("1460", "Svetsare till verkstaden"),
        )
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    let theirs = id_of(&theirs);
    let feed = app.get("/api/v1/me/feed", Some(&dals_ed)).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    let items = feed.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{}", feed.text);
    assert_eq!(items[0]["action"], "need.create");
    assert_eq!(items[0]["entity_id"], theirs.as_str());
    assert_eq!(items[0]["title"], "Svetsare till verkstaden");
    assert_eq!(items[0]["link"], format!("/api/v1/needs/{theirs}"));
    assert_eq!(items[0]["matched_topics"], json!(["municipality:1460"]));
    assert_eq!(feed.body["has_more"], false);
    // The feed names what changed, never the object's contents.
    assert!(items[0].get("after").is_none() && items[0].get("headcount").is_none());

    // Bengtsfors follows itself but does not hear its own writes.
    app.post("/api/v1/me/subscriptions", Some(&bengtsfors), &follow)
        .await;
    let own = app.get("/api/v1/me/feed", Some(&bengtsfors)).await;
    assert_eq!(own.body["items"], json!([]), "{}", own.text);

    // Polling with `after` returns only what is new.
    let newest = feed.body["newest"].as_str().unwrap_or_default().to_owned();
    let nothing_new = app
        .get(&format!("/api/v1/me/feed?after={newest}"), Some(&dals_ed))
        .await;
    assert_eq!(nothing_new.body["items"], json!([]));
    assert_eq!(
        nothing_new.body["newest"],
        newest.as_str(),
        "the cursor stays put"
    );
    let second = app
        .post(
            "/api/v1/needs",
            Some(&bengtsfors),
            &need("1460", "Fler svetsare"),
        )
        .await;
    let withdrawn = app
        .post(
            &format!("/api/v1/needs/{}/withdraw", id_of(&second)),
            Some(&bengtsfors),
            &json!({"version": second.body["version"], "reason": "inskrivet två gånger"}),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let new = app
        .get(&format!("/api/v1/me/feed?after={newest}"), Some(&dals_ed))
        .await;
    let actions: Vec<&str> = new.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["need.withdraw", "need.create"],
        "newest first"
    );

    // Paging back with `limit` and `before`.
    let first_page = app.get("/api/v1/me/feed?limit=2", Some(&dals_ed)).await;
    assert_eq!(first_page.body["has_more"], true);
    let oldest = first_page.body["oldest"].as_str().unwrap_or_default();
    let rest = app
        .get(&format!("/api/v1/me/feed?before={oldest}"), Some(&dals_ed))
        .await;
    assert_eq!(rest.body["items"][0]["entity_id"], theirs.as_str());
    assert_eq!(rest.body["has_more"], false);

    // A need elsewhere does not reach the feed.
    let uddevalla = app.token_for(Role::MunicipalContact, Scope::municipality("1485"));
    app.post(
        "/api/v1/needs",
        Some(&uddevalla),
        &need("1485", "Svetsare i Uddevalla"),
    )
    .await;
    let after_all = app
        .get(&format!("/api/v1/me/feed?after={newest}"), Some(&dals_ed))
        .await;
    assert_eq!(after_all.body["items"].as_array().map(Vec::len), Some(2));

    // Unsubscribing: someone else's subscription is not found; one's own goes.
    let sub = id_of(&created);
    let theirs_sub = app
        .delete(
            &format!("/api/v1/me/subscriptions/{sub}"),
            Some(&bengtsfors),
        )
        .await;
    assert_eq!(theirs_sub.status, 404);
    let gone = app
        .delete(&format!("/api/v1/me/subscriptions/{sub}"), Some(&dals_ed))
        .await;
    assert_eq!(gone.status, 204);
    let empty = app.get("/api/v1/me/feed", Some(&dals_ed)).await;
    assert_eq!(empty.body["items"], json!([]));
    assert_eq!(app.get("/api/v1/me/feed", None).await.status, 401);
}

#[tokio::test]
async fn a_broker_following_a_competence_and_a_platform_hears_of_needs_and_decisions() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let uddevalla = app.platform_id("uddevalla");
    let broker = app.token_for(Role::Broker, Scope::platforms(&[uddevalla]));
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1485"));
    let welding = app
        .get("/api/v1/competences?q=svetsning&limit=1", Some(&broker))
        .await;
    let concept = welding.body["items"][0]["concept"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!concept.is_empty(), "{}", welding.text);
    let on_competence = app
        .post(
            "/api/v1/me/subscriptions",
            Some(&broker),
            &json!({"kind": "competence", "value": concept}),
        )
        .await;
    assert_eq!(on_competence.status, 201, "{}", on_competence.text);
    let entered = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({
                "municipality": "1485",
                "title": "Svetsare MIG/MAG",
                "purpose": "upskilling",
                "headcount": 3,
                "competences": [{"concept_id": concept, "label": "svetsning"}]
            }),
        )
        .await;
    assert_eq!(entered.status, 201, "{}", entered.text);
    let feed = app.get("/api/v1/me/feed", Some(&broker)).await;
    assert_eq!(
        feed.body["items"][0]["action"], "need.create",
        "{}",
        feed.text
    );
    assert_eq!(
        feed.body["items"][0]["matched_topics"],
        json!([format!("competence:{concept}")])
    );

    // The platform's followers hear of decisions on its suggestions.
    let contact_follows = app
        .post(
            "/api/v1/me/subscriptions",
            Some(&contact),
            &json!({"kind": "platform", "value": uddevalla.to_string()}),
        )
        .await;
    assert_eq!(contact_follows.status, 201);
    let need = id_of(&entered);
    let suggestions = app
        .eventually(
            &format!("/api/v1/needs/{need}/matches"),
            Some(&broker),
            |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    let first = &suggestions.body["items"][0];
    let decided = app
        .post(
            &format!(
                "/api/v1/matches/{}/decision",
                first["id"].as_str().unwrap_or_default()
            ),
            Some(&broker),
            &json!({"decision": "reject", "reason": "för långt bort", "version": first["version"]}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.text);
    let heard = app.get("/api/v1/me/feed", Some(&contact)).await;
    assert_eq!(
        heard.body["items"][0]["action"], "match.reject",
        "{}",
        heard.text
    );
    assert_eq!(heard.body["items"][0]["entity"], "match");
}

#[tokio::test]
async fn webhooks_are_signed_retried_with_backoff_and_logged() {
    let app = spawn_app_with(Seed::Reference, quick_retries(4)).await;
    let receiver = Receiver::start(vec![500, 503]).await;
    let (org, org_token) = organisation(&app, "Dals-Eds Mekaniska").await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));

    let created = app
        .post(
            "/api/v1/webhooks",
            Some(&org_token),
            &json!({"url": receiver.url, "topics": [{"kind": "municipality", "value": "1438"}]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let hook = id_of(&created);
    let secret = created.body["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(secret.len(), 64);
    assert_eq!(
        created.body["topics"],
        json!([format!("municipality:1438"), format!("organisation:{org}")])
    );
    // The secret is shown once.
    let shown = app
        .get(&format!("/api/v1/webhooks/{hook}"), Some(&org_token))
        .await;
    assert!(shown.body.get("secret").is_none(), "{}", shown.text);

    // The endpoint's own registration concerns its organisation, so it is delivered first. The
    // receiver fails the first two attempts; the third, after the backoff, gets through.
    let registered = receiver.wait_for(3, Duration::from_secs(15)).await;
    assert_eq!(registered.len(), 3);
    // Then a need in Dals-Ed goes out on the first attempt.
    let entered = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &need("1438", "Svetsare till Dals-Ed"),
        )
        .await;
    assert_eq!(entered.status, 201, "{}", entered.text);
    let got = receiver.wait_for(4, Duration::from_secs(15)).await;
    assert!(got.len() >= 4, "got {} requests", got.len());
    for r in &got {
        assert!(verifies(&secret, r), "signature of {:?}", r.headers);
        assert_eq!(
            r.headers.get("content-type").map(String::as_str),
            Some("application/json")
        );
    }
    // Tampering breaks the signature.
    let mut tampered = got[0].clone();
    tampered.body.push(b' ');
    assert!(!verifies(&secret, &tampered));

    let log = app
        .eventually(
            &format!("/api/v1/webhooks/{hook}/deliveries"),
            Some(&org_token),
            |b| {
                b["items"].as_array().is_some_and(|items| {
                    items.len() == 2 && items.iter().all(|d| d["status"] == "delivered")
                })
            },
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    let deliveries = log.body["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(deliveries.len(), 2, "{}", log.text);
    // Newest first: the need, then the registration.
    let need_delivery = &deliveries[0];
    assert_eq!(need_delivery["payload"]["action"], "need.create");
    assert_eq!(need_delivery["payload"]["entity_id"], entered.body["id"]);
    assert_eq!(deliveries[1]["payload"]["action"], "webhook.create");
    // The first delivery took the two failures: attempts 500, 503, 200, a second apart or more.
    let registration = &deliveries[1];
    let attempts = registration["attempt_log"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let codes: Vec<i64> = attempts
        .iter()
        .filter_map(|a| a["status_code"].as_i64())
        .collect();
    assert_eq!(codes, vec![500, 503, 200], "{registration}");
    assert_eq!(registration["attempts"], 3);
    assert_eq!(
        attempts[0]["error"],
        "receiver answered 500 Internal Server Error"
    );
    let at = |i: usize| {
        attempts[i]["at"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .unwrap_or_default()
    };
    assert!(
        (at(1) - at(0)).num_milliseconds() >= 1000,
        "backoff after the first failure"
    );
    assert!(
        (at(2) - at(1)).num_milliseconds() >= 2000,
        "doubled after the second"
    );
    // Retries carry the same delivery id, so receivers can drop duplicates.
    let ids: Vec<&str> = got
        .iter()
        .filter_map(|r| r.headers.get("x-kompetens-delivery").map(String::as_str))
        .collect();
    assert_eq!(ids.iter().filter(|i| **i == registration["id"]).count(), 3);
    let body: Value = serde_json::from_slice(&got[3].body).unwrap_or_default();
    assert_eq!(
        body["topics"],
        json!([
            "municipality:1438",
            format!("platform:{}", app.platform_id("dals-ed"))
        ])
    );
    assert_eq!(
        got[3].headers.get("x-kompetens-event").map(String::as_str),
        Some("need.create")
    );

    // Filters and scope on the log.
    let delivered = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?status=failed"),
            Some(&org_token),
        )
        .await;
    assert_eq!(delivered.body["total"], 0);
    let bad = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?status=lost"),
            Some(&org_token),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.problem_fields(), vec!["status".to_owned()]);
    let (_, stranger) = organisation(&app, "Annan AB").await;
    for path in [
        format!("/api/v1/webhooks/{hook}"),
        format!("/api/v1/webhooks/{hook}/deliveries"),
    ] {
        assert_eq!(app.get(&path, Some(&stranger)).await.status, 404, "{path}");
    }
    let listed = app.get("/api/v1/webhooks", Some(&stranger)).await;
    assert_eq!(listed.body["items"], json!([]));
    let mine = app.get("/api/v1/webhooks", Some(&org_token)).await;
    assert_eq!(mine.body["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_dead_receiver_is_given_up_after_the_last_attempt_and_can_be_redelivered() {
    let app = spawn_app_with(Seed::Reference, quick_retries(2)).await;
    let (_, org_token) = organisation(&app, "Tyst mottagare AB").await;
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let dead_url = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    let created = app
        .post(
            "/api/v1/webhooks",
            Some(&org_token),
            &json!({"url": dead_url}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let hook = id_of(&created);
    let log = app
        .eventually(
            &format!("/api/v1/webhooks/{hook}/deliveries"),
            Some(&org_token),
            |b| b["items"][0]["status"] == "failed",
        )
        .await;
    let delivery = &log.body["items"][0];
    assert_eq!(delivery["status"], "failed", "{}", log.text);
    assert_eq!(delivery["attempts"], 2);
    assert_eq!(delivery["attempt_log"][0]["error"], "could not connect");
    assert!(delivery["next_attempt_at"].is_null());

    // The partner fixes the endpoint and asks for the delivery again.
    let receiver = Receiver::start(vec![]).await;
    let moved = app
        .patch(
            &format!("/api/v1/webhooks/{hook}"),
            Some(&org_token),
            &json!({"url": receiver.url, "rotate_secret": true}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let new_secret = moved.body["secret"].as_str().unwrap_or_default().to_owned();
    assert_ne!(
        new_secret,
        created.body["secret"].as_str().unwrap_or_default()
    );
    let delivery_id = delivery["id"].as_str().unwrap_or_default();
    let again = app
        .post(
            &format!("/api/v1/webhooks/{hook}/deliveries/{delivery_id}/redeliver"),
            Some(&org_token),
            &json!({}),
        )
        .await;
    assert_eq!(again.status, 202, "{}", again.text);
    let is_it = |r: &Received| {
        r.headers.get("x-kompetens-delivery").map(String::as_str) == Some(delivery_id)
    };
    let got = receiver
        .wait_until(|got| got.iter().any(is_it), Duration::from_secs(10))
        .await;
    let redelivered = got
        .iter()
        .find(|r| r.headers.get("x-kompetens-delivery").map(String::as_str) == Some(delivery_id))
        .cloned();
    let log_now = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries"),
            Some(&org_token),
        )
        .await;
    let redelivered = redelivered.unwrap_or_else(|| {
        panic!(
            "the failed delivery arrives after redelivery; got {got:?}; log {}",
            log_now.text
        )
    });
    assert!(
        verifies(&new_secret, &redelivered),
        "signed with the rotated secret"
    );
    let log = app
        .eventually(
            &format!("/api/v1/webhooks/{hook}/deliveries?status=delivered"),
            Some(&org_token),
            |b| b["total"].as_u64().unwrap_or(0) >= 1,
        )
        .await;
    let done = log.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|d| d["id"] == delivery_id).cloned())
        .unwrap_or(Value::Null);
    assert_eq!(
        done["attempts"], 3,
        "the log keeps the failed attempts: {done}"
    );
}

#[tokio::test]
async fn webhook_registration_refuses_bad_input_and_other_organisations() {
    let app = spawn_app().await;
    let (org, org_token) = organisation(&app, "Webbkrokar AB").await;
    let (other, _) = organisation(&app, "Andra AB").await;
    for (body, field) in [
        (json!({"url": "not a url"}), "url"),
        (json!({"url": "ftp://example.org/hook"}), "url"),
        (json!({"url": "http://127.0.0.1:9000/hook"}), "url"),
        (json!({"url": "http://localhost/hook"}), "url"),
        (
            json!({"url": "http://169.254.169.254/latest/meta-data"}),
            "url",
        ),
        (json!({"url": "http://[::1]/hook"}), "url"),
        (
            json!({"url": "https://example.org/h", "topics": [{"kind": "municipality", "value": "12"}]}),
            "topics[0].value",
        ),
        (
            json!({"url": "https://example.org/h", "topics": [{"kind": "x", "value": "1"}]}),
            "topics[0].kind",
        ),
        (
            json!({"url": "https://example.org/h", "secret": "mine"}),
            "secret",
        ),
    ] {
        let refused = app.post("/api/v1/webhooks", Some(&org_token), &body).await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.text);
        assert_eq!(refused.problem_fields(), vec![field.to_owned()], "{body}");
    }
    let for_other = app
        .post(
            "/api/v1/webhooks",
            Some(&org_token),
            &json!({"url": "https://example.org/h", "organisation_id": other}),
        )
        .await;
    assert_eq!(for_other.status, 403);
    let no_org = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let refused = app
        .post(
            "/api/v1/webhooks",
            Some(&no_org),
            &json!({"url": "https://example.org/h"}),
        )
        .await;
    assert_eq!(refused.status, 403);
    let admin_without_org = app
        .post(
            "/api/v1/webhooks",
            Some(&app.admin()),
            &json!({"url": "https://example.org/h"}),
        )
        .await;
    assert_eq!(
        admin_without_org.problem_fields(),
        vec!["organisation_id".to_owned()]
    );
    let by_admin = app
        .post(
            "/api/v1/webhooks",
            Some(&app.admin()),
            &json!({"url": "https://example.org/h", "organisation_id": org}),
        )
        .await;
    assert_eq!(by_admin.status, 201, "{}", by_admin.text);
    let listed = app.get("/api/v1/webhooks", Some(&org_token)).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    // Removing it takes its log along; it is gone for everyone.
    let hook = id_of(&by_admin);
    let removed = app
        .delete(&format!("/api/v1/webhooks/{hook}"), Some(&org_token))
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{hook}"), Some(&app.admin()))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn events_wait_in_the_outbox_while_no_dispatcher_runs_and_go_out_when_one_starts() {
    // The first server never dispatches: as if the process stopped right after the write.
    let app = spawn_app_with(Seed::Reference, |s| {
        s.webhook_interval_ms = 0;
        s.webhook_allow_private_targets = true;
    })
    .await;
    let receiver = Receiver::start(vec![]).await;
    let (_, org_token) = organisation(&app, "Uthållig AB").await;
    let created = app
        .post(
            "/api/v1/webhooks",
            Some(&org_token),
            &json!({"url": receiver.url, "topics": [{"kind": "municipality", "value": "1438"}]}),
        )
        .await;
    let hook = id_of(&created);
    let secret = created.body["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let entered = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &need("1438", "Undersköterskor"),
        )
        .await;
    assert_eq!(entered.status, 201);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty());
    let pending = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?status=pending"),
            Some(&org_token),
        )
        .await;
    assert_eq!(pending.body["total"], 2, "{}", pending.text);

    // A new process on the same database picks them up.
    let mut settings = app.settings.clone();
    settings.bind = "127.0.0.1:0".parse().expect("address");
    settings.webhook_interval_ms = 50;
    settings.webhook_allow_private_targets = true;
    let second = broker_api::Application::build(settings)
        .await
        .expect("second server");
    tokio::spawn(second.run_until_stopped());
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|r| verifies(&secret, r)));
    let actions: Vec<String> = got
        .iter()
        .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
        .filter_map(|b| b["action"].as_str().map(str::to_owned))
        .collect();
    assert!(actions.contains(&"need.create".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn the_activity_report_counts_entries_decisions_and_reviews_per_platform() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let uddevalla = app.platform_id("uddevalla");
    let broker = app.token_for(Role::Broker, Scope::platforms(&[uddevalla]));
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1485"));
    // A provider's published offer, so suggestions appear for the brokers to decide on.
    let (provider_org, _) =
        organisation_of_kind(&app, "Lernia Uddevalla", "education_provider").await;
    let provider = app.token_for(Role::Provider, Scope::organisation(provider_org));
    let offer = app
        .post(
            "/api/v1/offers",
            Some(&provider),
            &json!({
                "provider_id": provider_org,
                "title": "Svetsning MIG/MAG grundkurs",
                "language": "sv",
                "delivery": "on_site",
                "competence_labels": ["svetsning"],
                "instances": [{"municipality": "1485", "start": "2027-02-01", "end": "2027-05-01", "seats": 12}]
            }),
        )
        .await;
    assert_eq!(offer.status, 201, "{}", offer.text);
    let published = app
        .post(
            &format!("/api/v1/offers/{}/publish", id_of(&offer)),
            Some(&provider),
            &json!({"version": offer.body["version"]}),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.text);

    let mut needs = Vec::new();
    for title in ["Svetsare A", "Svetsare B", "Svetsare C"] {
        let n = app
            .post("/api/v1/needs", Some(&contact), &need("1485", title))
            .await;
        assert_eq!(n.status, 201, "{}", n.text);
        needs.push(id_of(&n));
    }
    let mut decide = Vec::new();
    for (need, decision) in needs.iter().zip(["accept", "reject"]) {
        let s = app
            .eventually(
                &format!("/api/v1/needs/{need}/matches?kind=offer"),
                Some(&broker),
                |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
            )
            .await;
        let first = s.body["items"][0].clone();
        assert!(first.is_object(), "{}", s.text);
        decide.push((first, decision));
    }
    for (m, decision) in decide {
        let done = app
            .post(
                &format!(
                    "/api/v1/matches/{}/decision",
                    m["id"].as_str().unwrap_or_default()
                ),
                Some(&broker),
                &json!({"decision": decision, "reason": "bedömt", "version": m["version"]}),
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.text);
    }

    let report = app
        .get(
            &format!("/api/v1/reports/activity?platform={uddevalla}"),
            Some(&broker),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    let row = &report.body["items"][0];
    assert_eq!(report.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(row["platform_id"], uddevalla.to_string());
    assert_eq!(row["needs_entered"], 3, "{row}");
    assert_eq!(row["needs_reviewed"], 2);
    assert_eq!(row["needs_matched"], 1);
    assert_eq!(row["decisions_accepted"], 1);
    assert_eq!(row["decisions_rejected"], 1);
    assert_eq!(row["acceptance_rate"], 0.5);
    let median = row["median_days_to_first_review"].as_f64().unwrap_or(-1.0);
    assert!(
        (0.0..0.01).contains(&median),
        "reviewed within seconds: {median}"
    );

    // By month: this month's row holds it all.
    let monthly = app
        .get(
            &format!("/api/v1/reports/activity?platform={uddevalla}&interval=month"),
            Some(&broker),
        )
        .await;
    let rows = monthly.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!rows.is_empty());
    assert_eq!(
        rows.last().map(|r| r["needs_entered"].clone()),
        Some(json!(3))
    );

    let csv = app
        .send(
            app.client
                .get(app.url(&format!("/api/v1/reports/activity?platform={uddevalla}")))
                .header("accept", "text/csv"),
            Some(&broker),
        )
        .await;
    assert_eq!(csv.status, 200);
    let mut lines = csv.text.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("platform_id,platform,period_start,period_end,needs_entered"),
        "{header}"
    );
    assert!(header.contains("proposals_evaluated"));
    let data = lines.next().unwrap_or_default();
    assert!(data.contains(",3,1,0,2,"), "{data}");

    for (query, field) in [
        ("from=2026-05-01&to=2026-01-01", "from"),
        ("interval=week", "interval"),
        ("platform=00000000-0000-0000-0000-000000000000", "platform"),
        ("from=yesterday", "from"),
        ("platform=nope", "platform"),
        ("colour=red", "colour"),
    ] {
        let bad = app
            .get(&format!("/api/v1/reports/activity?{query}"), Some(&broker))
            .await;
        assert_eq!(bad.status, 422, "{query}: {}", bad.text);
        assert_eq!(bad.problem_fields(), vec![field.to_owned()], "{query}");
    }
    let employer = app.token_for(Role::Employer, Scope::organisation(provider_org));
    assert_eq!(
        app.get("/api/v1/reports/activity", Some(&employer))
            .await
            .status,
        403
    );
}

/// A receiver that accepts connections and reads the request, then never answers.
async fn hanging_receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("hanging receiver binds");
    let url = format!("http://{}/hooks/slow", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = read_request(&mut socket).await;
            // Kept open and silent until the test ends.
            open.push(socket);
        }
    });
    url
}

#[tokio::test]
async fn a_hanging_receiver_delays_only_its_own_events() {
    let app = spawn_app_with(Seed::Reference, |s| {
        quick_retries(3)(s);
        s.webhook_timeout_secs = 10;
    })
    .await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let follows_1438 = json!([{"kind": "municipality", "value": "1438"}]);
    let (_, slow_token) = organisation(&app, "Långsamma AB").await;
    for _ in 0..3 {
        let url = hanging_receiver().await;
        let created = app
            .post(
                "/api/v1/webhooks",
                Some(&slow_token),
                &json!({"url": url, "topics": follows_1438}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    let healthy = Receiver::start(Vec::new()).await;
    let (_, healthy_token) = organisation(&app, "Snabba AB").await;
    let created = app
        .post(
            "/api/v1/webhooks",
            Some(&healthy_token),
            &json!({"url": healthy.url, "topics": follows_1438}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    healthy.wait_for(1, Duration::from_secs(5)).await;
    let before = healthy.received().len();

    for title in ["Svetsare", "Truckförare", "Undersköterska"] {
        let entered = app
            .post("/api/v1/needs", Some(&contact), &need("1438", title))
            .await;
        assert_eq!(entered.status, 201, "{}", entered.text);
    }
    // Each hanging endpoint now holds three events for 10 s each; one after another the
    // healthy endpoint would wait 90 s. Served side by side, it hears within seconds.
    let started = std::time::Instant::now();
    let got = healthy.wait_for(before + 3, Duration::from_secs(6)).await;
    assert!(
        got.len() >= before + 3,
        "the healthy endpoint got {} of 3 events in {:?}",
        got.len() - before,
        started.elapsed()
    );
}

#[tokio::test]
async fn the_dispatcher_checks_the_address_it_actually_connects_to() {
    // Private targets are not allowed here, as in production.
    let app = spawn_app_with(Seed::Reference, |s| {
        quick_retries(1)(s);
        s.webhook_allow_private_targets = false;
    })
    .await;
    let receiver = Receiver::start(Vec::new()).await;
    let port = receiver
        .url
        .rsplit(':')
        .next()
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let (_, token) = organisation(&app, "Omdirigerade AB").await;
    let store = broker_store::Store::connect(&app.settings.database_url)
        .await
        .expect("store");
    // Registered under public-looking names; afterwards the targets change under them, as a
    // DNS answer can between registration and delivery. The dispatcher must notice.
    let mut hooks = Vec::new();
    for target in [
        format!("http://localhost:{port}/hooks/kompetens"),
        format!("http://127.0.0.1:{port}/hooks/kompetens"),
        format!("http://[::ffff:127.0.0.1]:{port}/hooks/kompetens"),
    ] {
        let created = app
            .post(
                "/api/v1/webhooks",
                Some(&token),
                &json!({"url": "https://hooks.example.org/k", "topics": [{"kind": "municipality", "value": "1438"}]}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id: Uuid = id_of(&created).parse().expect("id");
        broker_store::repo::webhooks::update_endpoint(
            store.conn(),
            id,
            broker_store::repo::webhooks::EndpointChange {
                url: Some(target),
                topics: None,
                active: None,
                secret: None,
            },
        )
        .await
        .expect("retarget");
        hooks.push(id);
    }
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let entered = app
        .post("/api/v1/needs", Some(&contact), &need("1438", "Svetsare"))
        .await;
    assert_eq!(entered.status, 201, "{}", entered.text);
    for hook in hooks {
        let log = app
            .eventually(
                &format!("/api/v1/webhooks/{hook}/deliveries"),
                Some(&token),
                |b| {
                    b["items"].as_array().is_some_and(|items| {
                        items.iter().any(|d| {
                            d["payload"]["action"] == "need.create"
                                && d["attempts"].as_i64() >= Some(1)
                        })
                    })
                },
            )
            .await;
        // The endpoint's own registration went out before the retargeting; judge the need.
        let items: Vec<Value> = log.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["payload"]["action"] == "need.create")
            .cloned()
            .collect();
        assert_eq!(items.len(), 1, "{}", log.text);
        for d in &items {
            assert_eq!(d["status"], "failed", "{d}");
            assert_eq!(
                d["last_error"],
                broker_api::webhooks::REFUSED_TARGET,
                "no receiver detail for a refused target: {d}"
            );
            assert!(d["last_status_code"].is_null(), "{d}");
        }
    }
    assert!(
        receiver.received().is_empty(),
        "nothing reached the loopback listener"
    );
}

#[tokio::test]
async fn a_poller_behind_by_more_than_a_page_follows_newest_and_sees_every_entry_once() {
    let app = spawn_app().await;
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let bengtsfors = app.token_for(Role::MunicipalContact, Scope::municipality("1460"));
    let follow = json!({"kind": "municipality", "value": "1460"});
    let followed = app
        .post("/api/v1/me/subscriptions", Some(&dals_ed), &follow)
        .await;
    assert_eq!(followed.status, 201, "{}", followed.text);
    let create = |title: String| {
        let app = &app;
        let bengtsfors = &bengtsfors;
        async move {
            let created = app
                .post("/api/v1/needs", Some(bengtsfors), &need("1460", &title))
                .await;
            assert_eq!(created.status, 201, "{}", created.text);
            id_of(&created)
        }
    };
    let newest_is = |id: String| move |body: &Value| body["items"][0]["entity_id"] == id.as_str();

    let first = create("Svetsare 0".into()).await;
    let start = app
        .eventually("/api/v1/me/feed", Some(&dals_ed), newest_is(first.clone()))
        .await;
    assert_eq!(start.body["items"][0]["entity_id"], first.as_str());
    let mut cursor = start.body["newest"].as_str().unwrap_or_default().to_owned();

    // Seven needs while the poller is away, more than two pages of three.
    let mut expected = Vec::new();
    for i in 1..=7 {
        expected.push(create(format!("Svetsare {i}")).await);
    }
    let last = expected.last().cloned().unwrap_or_default();
    app.eventually("/api/v1/me/feed", Some(&dals_ed), newest_is(last))
        .await;

    // The first page after the cursor holds the three right after it, newest first.
    let page = app
        .get(
            &format!("/api/v1/me/feed?after={cursor}&limit=3"),
            Some(&dals_ed),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let ids = |page: &Reply| -> Vec<String> {
        page.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["entity_id"].as_str().map(str::to_owned))
            .collect()
    };
    let oldest_three: Vec<String> = expected[..3].iter().rev().cloned().collect();
    assert_eq!(ids(&page), oldest_three, "{}", page.text);
    assert_eq!(page.body["has_more"], true);

    // Following `newest` page by page sees every entry exactly once, in order.
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = app
            .get(
                &format!("/api/v1/me/feed?after={cursor}&limit=3"),
                Some(&dals_ed),
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = ids(&page);
        assert!(items.len() <= 3, "{}", page.text);
        seen.extend(items.into_iter().rev());
        cursor = page.body["newest"].as_str().unwrap_or_default().to_owned();
        pages += 1;
        if page.body["has_more"] != true {
            break;
        }
        assert!(pages < 10, "paging does not end: {}", page.text);
    }
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
    let caught_up = app
        .get(&format!("/api/v1/me/feed?after={cursor}"), Some(&dals_ed))
        .await;
    assert_eq!(caught_up.body["items"], json!([]), "{}", caught_up.text);
    assert_eq!(caught_up.body["newest"], cursor.as_str());

    // A cursor no entry has is refused with the field named, as is one that is no id.
    for (query, field) in [
        (format!("after={}", Uuid::now_v7()), "after"),
        (format!("before={}", Uuid::now_v7()), "before"),
        ("after=yesterday".to_owned(), "after"),
    ] {
        let refused = app
            .get(&format!("/api/v1/me/feed?{query}"), Some(&dals_ed))
            .await;
        assert_eq!(refused.status, 422, "{query}: {}", refused.text);
        assert_eq!(refused.problem_fields(), vec![field.to_owned()], "{query}");
    }
}
