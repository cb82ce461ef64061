//! Waking the other instances when something they keep in memory changed. On PostgreSQL every
//! write transaction that changes offers, needs, jobs, structure or the taxonomy sends `NOTIFY`
//! on [`CHANNEL`] (delivered when it commits, never when it rolls back, and folded to one per
//! transaction); each instance listens and catches up at once. The change log and versions stay
//! the truth: a notification only says "look now", so one lost while reconnecting costs no more
//! than waiting for the next poll. SQLite has no such channel: instances there poll.

use sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::{Store, StoreError};

/// The channel changes are announced on.
pub const CHANNEL: &str = "broker_changes";

/// Announces, inside a write transaction, that it changed something other instances cache.
pub async fn announce(conn: &impl ConnectionTrait) -> Result<(), StoreError> {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_unprepared("NOTIFY broker_changes").await?;
    }
    Ok(())
}

/// A live subscription to [`CHANNEL`] on its own connection.
pub struct ChangeListener(sea_orm::sqlx::postgres::PgListener);

impl ChangeListener {
    /// Waits for the next announcement. After a lost connection the listener reconnects;
    /// announcements made meanwhile are lost, which the caller's poll covers.
    pub async fn next(&mut self) -> Result<(), StoreError> {
        self.0
            .recv()
            .await
            .map(|_| ())
            .map_err(|e| StoreError::Db(sea_orm::DbErr::Custom(e.to_string())))
    }
}

impl Store {
    /// Listens for other instances' changes: `None` on SQLite, which has no channel.
    pub async fn listen_for_changes(&self) -> Result<Option<ChangeListener>, StoreError> {
        if self.conn().get_database_backend() != DatabaseBackend::Postgres {
            return Ok(None);
        }
        let pool = self.conn().get_postgres_connection_pool();
        let failed =
            |e: sea_orm::sqlx::Error| StoreError::Db(sea_orm::DbErr::Custom(e.to_string()));
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool)
            .await
            .map_err(failed)?;
        listener.listen(CHANNEL).await.map_err(failed)?;
        Ok(Some(ChangeListener(listener)))
    }
}
