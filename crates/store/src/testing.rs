//! Test support: a fresh, empty database per test, on SQLite by default or on PostgreSQL when
//! `BROKER_TEST_DATABASE_URL` points at a server (the CI's second pass).

use sea_orm::{ConnectionTrait, Database};

/// Environment variable naming a PostgreSQL server (any database on it) for the test suite.
pub const TEST_DATABASE_ENV: &str = "BROKER_TEST_DATABASE_URL";

/// A database that exists for one test. SQLite files live in a temporary directory removed on
/// drop; PostgreSQL databases are named `broker_test_*` and removed by `.ci/run` afterwards.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// Creates a fresh, empty database and returns its URL.
pub async fn fresh_database() -> Result<TestDatabase, String> {
    match std::env::var(TEST_DATABASE_ENV) {
        Ok(server) if !server.trim().is_empty() => {
            let name = format!("broker_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(server.as_str())
                .await
                .map_err(|e| format!("{TEST_DATABASE_ENV}: {e}"))?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .map_err(|e| e.to_string())?;
            admin.close().await.map_err(|e| e.to_string())?;
            let base = server
                .rsplit_once('/')
                .map_or(server.as_str(), |(base, _)| base);
            Ok(TestDatabase {
                url: format!("{base}/{name}"),
                _dir: None,
            })
        }
        _ => {
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            Ok(TestDatabase {
                url,
                _dir: Some(dir),
            })
        }
    }
}
