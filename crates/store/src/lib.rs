//! Persistence for Kompetensmäklare: sea-orm entities (one per table, created by
//! `broker-migrations`) and repository functions grouped by aggregate.
//!
//! The same code runs on SQLite (the embedded default) and PostgreSQL. Repository functions take
//! `&impl ConnectionTrait` so callers can compose them inside one transaction; writes that belong
//! together (a need and its competences, a decision and the need it moves) are written in one.

pub mod changes;
pub mod entity;
mod error;
pub mod repo;
pub mod testing;

use std::time::Duration;

use broker_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

pub use error::StoreError;
pub use sea_orm::DbErr;

/// A page of rows plus the number of rows matching in all pages.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// Connection pools with migrations applied. On PostgreSQL one pool serves reads and writes; on
/// SQLite (in WAL mode) a pool of readers serves `conn()` and a single writer serves `begin()`,
/// so reads never queue behind each other or behind a write, and write transactions never race
/// for SQLite's one write lock.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    writer: DatabaseConnection,
    url: std::sync::Arc<str>,
}

/// Connections kept when none are configured: PostgreSQL's pool, or SQLite's readers.
const DEFAULT_POSTGRES_POOL: u32 = 16;
const DEFAULT_SQLITE_READERS: u32 = 8;

/// The advisory lock key under which instances migrate and seed one at a time ("kompmakl").
const SETUP_LOCK_KEY: i64 = 0x6b6f_6d70_6d61_6b6c;

/// Held while one instance migrates or seeds a shared database; see [`Store::lock_setup`].
#[derive(Debug)]
pub struct SetupLock {
    /// PostgreSQL: the connection holding the advisory lock.
    conn: Option<DatabaseConnection>,
    /// SQLite: the locked file beside the database (unlocked when closed).
    file: Option<std::fs::File>,
}

impl SetupLock {
    pub async fn release(self) -> Result<(), StoreError> {
        drop(self.file);
        if let Some(conn) = self.conn {
            conn.execute_unprepared(&format!("SELECT pg_advisory_unlock({SETUP_LOCK_KEY})"))
                .await?;
            conn.close().await?;
        }
        Ok(())
    }
}

impl Store {
    /// Connects with the default pool size (creating the SQLite file when missing) and applies
    /// pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, None).await
    }

    /// Connects with `pool_size` connections (PostgreSQL) or readers (SQLite) and applies pending
    /// migrations, one instance at a time.
    pub async fn connect_with(url: &str, pool_size: Option<u32>) -> Result<Self, StoreError> {
        // SQLite: lock before opening, so a second process never switches a file to WAL (which
        // needs the file to itself) while the first is still creating or migrating it.
        let early = match sqlite_path(url).filter(|_| url.starts_with("sqlite:")) {
            Some(path) => Some(lock_file(&format!("{path}.setup-lock")).await?),
            None => None,
        };
        let store = Self::open(url, pool_size).await?;
        let lock = match early {
            Some(file) => SetupLock {
                conn: None,
                file: Some(file),
            },
            None => store.lock_setup().await?,
        };
        let migrated = Migrator::up(&store.writer, None).await;
        lock.release().await?;
        migrated?;
        Ok(store)
    }

    async fn open(url: &str, pool_size: Option<u32>) -> Result<Self, StoreError> {
        let options = |max: u32| {
            let mut options = ConnectOptions::new(url.to_owned());
            options
                .connect_timeout(Duration::from_secs(10))
                .acquire_timeout(Duration::from_secs(30))
                .max_connections(max)
                .min_connections(0)
                .sqlx_logging(false)
                // Per connection: every pooled SQLite connection needs these, not only the first.
                .map_sqlx_sqlite_opts(|o| {
                    o.pragma("journal_mode", "WAL")
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(15))
                });
            options
        };
        if url.starts_with("sqlite:") {
            // The writer first: it creates the file and switches it to WAL before readers open it.
            let writer = Database::connect(options(1).min_connections(1).to_owned()).await?;
            if sqlite_path(url).is_none() {
                // In memory, every connection is a database of its own: the writer serves all.
                return Ok(Self {
                    db: writer.clone(),
                    writer,
                    url: url.into(),
                });
            }
            let readers = pool_size.unwrap_or(DEFAULT_SQLITE_READERS);
            let db = Database::connect(options(readers)).await?;
            Ok(Self {
                db,
                writer,
                url: url.into(),
            })
        } else {
            let db = Database::connect(options(pool_size.unwrap_or(DEFAULT_POSTGRES_POOL))).await?;
            Ok(Self {
                writer: db.clone(),
                db,
                url: url.into(),
            })
        }
    }

    /// Makes instances that share a database migrate and seed one at a time: two started
    /// together on an empty database must both come up. On PostgreSQL a session advisory lock on
    /// a connection of its own, so the pools stay free; on SQLite a lock on a file beside the
    /// database.
    pub async fn lock_setup(&self) -> Result<SetupLock, StoreError> {
        match self.db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let conn = self.dedicated_connection().await?;
                conn.execute_unprepared(&format!("SELECT pg_advisory_lock({SETUP_LOCK_KEY})"))
                    .await?;
                Ok(SetupLock {
                    conn: Some(conn),
                    file: None,
                })
            }
            _ => Ok(SetupLock {
                conn: None,
                file: match sqlite_path(&self.url) {
                    Some(path) => Some(lock_file(&format!("{path}.setup-lock")).await?),
                    None => None,
                },
            }),
        }
    }

    async fn dedicated_connection(&self) -> Result<DatabaseConnection, StoreError> {
        let mut options = ConnectOptions::new(self.url.to_string());
        options
            .max_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        Ok(Database::connect(options).await?)
    }

    /// Applies pending migrations only (for `broker migrate`); returns how many were pending.
    pub async fn migrate(url: &str) -> Result<usize, StoreError> {
        let store = Self::open(url, Some(1)).await?;
        let lock = store.lock_setup().await?;
        let pending = Migrator::get_pending_migrations(&store.writer).await;
        let migrated = match pending {
            Ok(p) => Migrator::up(&store.writer, None).await.map(|()| p.len()),
            Err(e) => Err(e),
        };
        lock.release().await?;
        let pending = migrated?;
        store.close().await?;
        Ok(pending)
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a write transaction (on SQLite, on the one writer); dropping it without `commit`
    /// rolls back. On SQLite it takes the write lock at `BEGIN` (waiting up to the busy timeout
    /// for another process's writer): a deferred transaction that reads and then writes fails at
    /// once with "database is locked" when another process wrote in between.
    pub async fn begin(&self) -> Result<DatabaseTransaction, StoreError> {
        if self.writer.get_database_backend() == DatabaseBackend::Sqlite {
            return Ok(self
                .writer
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                })
                .await?);
        }
        Ok(self.writer.begin().await?)
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
        if self.db.get_database_backend() == DatabaseBackend::Sqlite {
            self.writer.close().await?;
        }
        Ok(self.db.close().await?)
    }
}

/// The file of an `sqlite:` URL (`None` for an in-memory database).
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then_some(path)
}

/// Takes an exclusive lock on `path` (created when missing), waiting for other holders: the
/// SQLite counterpart of the advisory lock, across processes and within one.
async fn lock_file(path: &str) -> Result<std::fs::File, StoreError> {
    let setup_error = |e: std::io::Error| StoreError::corrupt("setup lock", e);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(setup_error)?;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(setup_error(e)),
        }
    }
}
