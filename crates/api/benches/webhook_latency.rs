//! Webhook delivery latency for a healthy endpoint, alone and while three endpoints of another
//! organisation hang (accept the connection, never answer; 10 s timeout). Latency is from just
//! before the need is created to the healthy receiver reading the event. A real in-process
//! server on SQLite, dispatcher polling every 100 ms. Figures in `bench/README.md`.
//!
//! Run: `cargo bench -p broker-api --bench webhook_latency`

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use broker_api::auth::{Claims, Role};
use broker_api::{Application, Settings};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";
const EVENTS: usize = 40;

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// Reads one request; returns the need id of a `need.create` event.
async fn read_event(socket: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
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
    let head = String::from_utf8_lossy(&buf[..header_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body: Value = serde_json::from_slice(&buf[header_end..]).ok()?;
    (body["action"] == "need.create")
        .then(|| body["entity_id"].as_str().map(str::to_owned))
        .flatten()
}

#[expect(
    clippy::expect_used,
    reason = "a bench whose receiver cannot bind stops"
)]
async fn healthy_receiver(arrivals: Arrivals) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let arrivals = Arc::clone(&arrivals);
            tokio::spawn(async move {
                let event = read_event(&mut socket).await;
                let now = Instant::now();
                let _ = socket
                    .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                    .await;
                if let Some(id) = event
                    && let Ok(mut map) = arrivals.lock()
                {
                    map.insert(id, now);
                }
            });
        }
    });
    url
}

#[expect(
    clippy::expect_used,
    reason = "a bench whose receiver cannot bind stops"
)]
async fn hanging_receiver() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = read_event(&mut socket).await;
            open.push(socket);
        }
    });
    url
}

#[expect(clippy::expect_used, reason = "minting with a fixed key cannot fail")]
fn token(settings: &Settings, role: Role, organisation: Option<uuid::Uuid>) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    broker_api::auth::mint_hs256(
        SECRET,
        &Claims {
            sub: format!("bench-{}", role.as_str()),
            role,
            municipalities: vec!["1438".to_owned()],
            platforms: Vec::new(),
            organisation,
            exp: now + 3600,
            iat: Some(now),
            iss: settings.jwt.issuer.clone(),
            aud: settings.jwt.audience.clone(),
        },
    )
    .expect("token")
}

#[expect(clippy::expect_used, reason = "a failed set-up request ends the bench")]
async fn post(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> Value {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

#[expect(
    clippy::expect_used,
    reason = "a bench that cannot start its server stops"
)]
async fn scenario(hanging: usize) -> Vec<Duration> {
    let database = broker_store::testing::fresh_database()
        .await
        .expect("database");
    let mut settings = Settings {
        database_url: database.url.clone(),
        bind: "127.0.0.1:0".parse().expect("address"),
        public_rate_limit: 0,
        webhook_interval_ms: 100,
        webhook_timeout_secs: 10,
        webhook_allow_private_targets: true,
        ..Settings::default()
    };
    settings.jwt.secret = Some(SECRET.to_owned().into());
    let app = Application::build(settings.clone()).await.expect("server");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let admin = token(&settings, Role::Admin, None);
    let organisation = |name: &'static str| {
        let client = client.clone();
        let (base, admin) = (base.clone(), admin.clone());
        async move {
            let created = post(
                &client,
                &format!("{base}/api/v1/organisations"),
                &admin,
                &json!({"name": name, "kind": "employer", "country": "SE", "municipality": "1438"}),
            )
            .await;
            created["id"].as_str().and_then(|s| s.parse().ok())
        }
    };
    let follows = json!([{"kind": "municipality", "value": "1438"}]);
    let slow = token(
        &settings,
        Role::Employer,
        organisation("Långsamma AB").await,
    );
    for _ in 0..hanging {
        let url = hanging_receiver().await;
        post(
            &client,
            &format!("{base}/api/v1/webhooks"),
            &slow,
            &json!({"url": url, "topics": follows}),
        )
        .await;
    }
    let arrivals: Arrivals = Arc::default();
    let url = healthy_receiver(Arc::clone(&arrivals)).await;
    let healthy = token(&settings, Role::Employer, organisation("Snabba AB").await);
    post(
        &client,
        &format!("{base}/api/v1/webhooks"),
        &healthy,
        &json!({"url": url, "topics": follows}),
    )
    .await;
    let contact = token(&settings, Role::MunicipalContact, None);
    let mut sent = HashMap::new();
    for i in 0..EVENTS {
        let started = Instant::now();
        let need = post(
            &client,
            &format!("{base}/api/v1/needs"),
            &contact,
            &json!({"municipality": "1438", "title": format!("Svetsare {i}"), "purpose": "recruitment", "headcount": 1, "competences": [{"label": "svetsning"}]}),
        )
        .await;
        sent.insert(need["id"].as_str().unwrap_or_default().to_owned(), started);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && arrivals.lock().map_or(0, |a| a.len()) < EVENTS {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let arrived = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let mut latencies: Vec<Duration> = sent
        .iter()
        .map(|(id, started)| {
            arrived
                .get(id)
                .map_or(Duration::from_secs(30), |at| at.duration_since(*started))
        })
        .collect();
    latencies.sort();
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[expect(clippy::expect_used, reason = "a bench without a runtime stops")]
fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for hanging in [0, 3] {
        let latencies = rt.block_on(scenario(hanging));
        println!(
            "webhook latency, {hanging} hanging endpoints, {} events: p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            latencies.len(),
            percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.95).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        );
    }
}
