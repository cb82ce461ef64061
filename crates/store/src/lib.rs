//! Persistence for Kompetensmäklare: sea-orm entities (one per table, created by
//! `broker-migrations`) and repository functions grouped by aggregate.
//!
//! The same code runs on SQLite (the embedded default) and PostgreSQL. Repository functions take
//! `&impl ConnectionTrait` so callers can compose them inside one transaction; writes that belong
//! together (a need and its competences, a decision and the need it moves) are written in one.

pub mod entity;
mod error;
pub mod repo;
pub mod testing;

use std::time::Duration;

use broker_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, TransactionTrait,
};

pub use error::StoreError;
pub use sea_orm::DbErr;

/// A page of rows plus the number of rows matching in all pages.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// A connection pool with migrations applied.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects (creating the SQLite file when missing) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let sqlite = url.starts_with("sqlite:");
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false);
        if sqlite {
            // SQLite allows one writer; a single connection avoids `database is locked` when a
            // read transaction upgrades to a write, and SQLite reads are fast enough to share it.
            options.max_connections(1).min_connections(1);
        } else {
            options.max_connections(8).min_connections(0);
        }
        let db = Database::connect(options).await?;
        if sqlite {
            db.execute_unprepared(
                "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
            )
            .await?;
        }
        Migrator::up(&db, None).await?;
        Ok(Self { db })
    }

    /// Applies pending migrations only (for `broker migrate`); returns how many were pending.
    pub async fn migrate(url: &str) -> Result<usize, StoreError> {
        let db = Database::connect(
            ConnectOptions::new(url.to_owned())
                .sqlx_logging(false)
                .to_owned(),
        )
        .await?;
        let pending = Migrator::get_pending_migrations(&db).await?.len();
        Migrator::up(&db, None).await?;
        db.close().await?;
        Ok(pending)
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a transaction; dropping it without `commit` rolls back.
    pub async fn begin(&self) -> Result<DatabaseTransaction, StoreError> {
        Ok(self.db.begin().await?)
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.db.get_database_backend() {
            DatabaseBackend::Sqlite => "sqlite",
            DatabaseBackend::Postgres => "postgres",
            _ => "other",
        }
    }

    pub async fn close(self) -> Result<(), StoreError> {
        Ok(self.db.close().await?)
    }
}
