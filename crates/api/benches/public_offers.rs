//! Response time of the public listing through a real in-process server with the demo data on
//! SQLite: a listing built from scratch (server cache off), the same listing from the server's
//! cache, and `304 Not Modified` revalidations with and without that cache. Figures in
//! `bench/README.md`.

use std::time::Duration;

use broker_api::{Application, Settings};
use criterion::{Criterion, criterion_group, criterion_main};
use reqwest::header::{ETAG, IF_NONE_MATCH};
use tokio::runtime::Runtime;

const LISTING: &str = "/api/v1/public/offers?municipality=1485&limit=20";
const SEARCH: &str = "/api/v1/public/offers?q=svetsning%20mig&region=fyrbodal&limit=20";

struct Server {
    base: String,
    _database: broker_store::testing::TestDatabase,
}

#[expect(
    clippy::expect_used,
    reason = "a bench that cannot start its server stops"
)]
fn start(rt: &Runtime, cache_seconds: u32) -> Server {
    rt.block_on(async {
        let database = broker_store::testing::fresh_database()
            .await
            .expect("database");
        let mut settings = Settings {
            database_url: database.url.clone(),
            bind: "127.0.0.1:0".parse().expect("address"),
            public_rate_limit: 0,
            public_cache_seconds: cache_seconds,
            ..Settings::default()
        };
        settings.jwt.secret = Some(
            "bench-secret-bench-secret-bench-secret-0123"
                .to_owned()
                .into(),
        );
        broker_api::demo::seed_if_empty(&settings)
            .await
            .expect("demo data");
        let app = Application::build(settings).await.expect("server");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Server {
            base,
            _database: database,
        }
    })
}

#[expect(clippy::expect_used, reason = "a failed request ends the bench")]
fn fetch(rt: &Runtime, client: &reqwest::Client, url: &str, tag: Option<&str>) -> (u16, String) {
    rt.block_on(async {
        let mut request = client.get(url);
        if let Some(tag) = tag {
            request = request.header(IF_NONE_MATCH, tag);
        }
        let response = request.send().await.expect("response");
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.bytes().await.expect("body");
        assert!(status == 304 || !body.is_empty());
        (status, etag)
    })
}

#[expect(clippy::expect_used, reason = "a bench that cannot start stops")]
fn public_listing(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let uncached = start(&rt, 0);
    let cached = start(&rt, 60);
    let client = reqwest::Client::new();
    let mut group = c.benchmark_group("public_offers");
    group.measurement_time(Duration::from_secs(5));
    for (name, path) in [("listing", LISTING), ("search", SEARCH)] {
        let cold = format!("{}{path}", uncached.base);
        let warm = format!("{}{path}", cached.base);
        let (status, tag) = fetch(&rt, &client, &cold, None);
        assert_eq!(status, 200);
        let (_, warm_tag) = fetch(&rt, &client, &warm, None);
        group.bench_function(format!("{name}/uncached_200"), |b| {
            b.iter(|| assert_eq!(fetch(&rt, &client, &cold, None).0, 200));
        });
        group.bench_function(format!("{name}/uncached_304"), |b| {
            b.iter(|| assert_eq!(fetch(&rt, &client, &cold, Some(&tag)).0, 304));
        });
        group.bench_function(format!("{name}/cached_200"), |b| {
            b.iter(|| assert_eq!(fetch(&rt, &client, &warm, None).0, 200));
        });
        group.bench_function(format!("{name}/cached_304"), |b| {
            b.iter(|| assert_eq!(fetch(&rt, &client, &warm, Some(&warm_tag)).0, 304));
        });
    }
    group.finish();
}

criterion_group!(benches, public_listing);
criterion_main!(benches);
