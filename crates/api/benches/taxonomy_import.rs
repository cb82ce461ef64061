//! Import speed of `broker taxonomy import-esco`: a synthetic ESCO skills file with 14,000
//! concepts (about the size of ESCO's skills pillar; see `support/esco_synth.rs`) into a fresh
//! SQLite file and, when a server is named, a fresh PostgreSQL database. Measured: the first
//! language (read, parse, insert), a second language merged into the same concepts, and an
//! unchanged re-import. Database creation and migrations are outside the timed part.
//!
//! ```sh
//! cargo bench -p broker-api --bench taxonomy_import
//! # PostgreSQL too (each measurement creates and drops a broker_bench_* database):
//! BROKER_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo bench -p broker-api --bench taxonomy_import
//! ```

#[path = "support/esco_synth.rs"]
mod esco_synth;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use broker_api::taxonomy_import::import_skills_file;
use broker_store::Store;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use sea_orm::{ConnectionTrait, Database};

const CONCEPTS: usize = 14_000;

/// Where a fresh database is made.
#[derive(Clone)]
enum Backend {
    Sqlite,
    /// URL of any database on the server (used to create and drop the bench databases).
    Postgres(String),
}

impl Backend {
    fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// A migrated, empty database for one measurement.
struct BenchDb {
    store: Store,
    /// (server URL, database name) to drop afterwards, for PostgreSQL.
    server: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

async fn fresh(backend: &Backend) -> BenchDb {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            );
            let store = Store::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("sqlite: {e}"));
            BenchDb {
                store,
                server: None,
                _dir: Some(dir),
            }
        }
        Backend::Postgres(server) => {
            let name = format!("broker_bench_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(server.as_str())
                .await
                .unwrap_or_else(|e| panic!("{server}: {e}"));
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap_or_else(|e| panic!("create database: {e}"));
            let _ = admin.close().await;
            let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
            let store = Store::connect(&format!("{base}/{name}"))
                .await
                .unwrap_or_else(|e| panic!("postgres: {e}"));
            BenchDb {
                store,
                server: Some((server.clone(), name)),
                _dir: None,
            }
        }
    }
}

async fn discard(db: BenchDb) {
    let _ = db.store.close().await;
    if let Some((server, name)) = db.server
        && let Ok(admin) = Database::connect(server.as_str()).await
    {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        let _ = admin.close().await;
    }
}

async fn import(store: &Store, path: &Path, lang: &str) -> Duration {
    let started = Instant::now();
    let report = import_skills_file(store, path, lang, true)
        .await
        .unwrap_or_else(|e| panic!("import {}: {e}", path.display()));
    let elapsed = started.elapsed();
    assert_eq!(report.read, CONCEPTS, "{report}");
    elapsed
}

/// Which import is timed; the earlier ones run untimed as set-up.
#[derive(Clone, Copy)]
enum Step {
    FirstLanguage,
    SecondLanguage,
    UnchangedReimport,
}

fn bench_backend(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    backend: &Backend,
    sv: &Path,
    en: &Path,
) {
    let mut group = c.benchmark_group(format!("taxonomy_import/{}", backend.name()));
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    for (id, step) in [
        ("first_language_14k", Step::FirstLanguage),
        ("second_language_merge_14k", Step::SecondLanguage),
        ("unchanged_reimport_14k", Step::UnchangedReimport),
    ] {
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let db = fresh(backend).await;
                        total += match step {
                            Step::FirstLanguage => import(&db.store, sv, "sv").await,
                            Step::SecondLanguage => {
                                import(&db.store, sv, "sv").await;
                                import(&db.store, en, "en").await
                            }
                            Step::UnchangedReimport => {
                                import(&db.store, sv, "sv").await;
                                import(&db.store, en, "en").await;
                                import(&db.store, en, "en").await
                            }
                        };
                        discard(db).await;
                    }
                    total
                })
            });
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let write = |lang: &str| -> PathBuf {
        let path = dir.path().join(format!("skills_{lang}.csv"));
        let text = esco_synth::skills_csv(CONCEPTS, lang);
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("write: {e}"));
        eprintln!(
            "synthetic {} : {CONCEPTS} concepts, {:.1} MB",
            path.display(),
            text.len() as f64 / 1e6
        );
        path
    };
    let (sv, en) = (write("sv"), write("en"));

    let mut group = c.benchmark_group("taxonomy_import/parse");
    group.sample_size(10);
    let text = std::fs::read(&sv).unwrap_or_else(|e| panic!("read: {e}"));
    group.bench_function("read_skills_14k", |b| {
        b.iter(|| broker_matching::esco::read_skills(text.as_slice()).map(|s| s.len()))
    });
    group.finish();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let mut backends = vec![Backend::Sqlite];
    match std::env::var("BROKER_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var(broker_store::testing::TEST_DATABASE_ENV))
    {
        Ok(url) if !url.trim().is_empty() => backends.push(Backend::Postgres(url)),
        _ => eprintln!("BROKER_BENCH_POSTGRES_URL not set: PostgreSQL skipped"),
    }
    for backend in &backends {
        bench_backend(c, &rt, backend, &sv, &en);
    }
}

criterion_group!(import_benches, benches);
criterion_main!(import_benches);
