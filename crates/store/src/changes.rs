//! Waking the other instances when something they keep in memory changed. On PostgreSQL every
//! write transaction that changes offers, needs, jobs, structure or the taxonomy sends `NOTIFY`
//! on [`CHANNEL`] (delivered when it commits, never when it rolls back, and folded to one per
//! transaction); each instance listens and catches up at once. The change log and versions stay
//! the truth: a notification only says "look now", so one lost while reconnecting costs no more
//! than waiting for the next poll. SQLite has no such channel: instances there poll.

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use uuid::Uuid;

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

/// A place in the commit order of writes to needs and offers: their `change_seq` (set by the
/// database on every write, see the `change_order` migration) and id. A poller reads the rows
/// after its cursor and moves it to the last one read; nothing can later commit behind it, so
/// each change is read once and no poll reads again what it already has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangeCursor {
    pub seq: i64,
    pub id: Uuid,
}

impl ChangeCursor {
    /// Where to follow changes from when everything stored is about to be loaded: every change
    /// committed before the load is in it, and changes committed during it are read again
    /// (harmless: a poller compares versions).
    pub async fn start(conn: &impl ConnectionTrait) -> Result<Self, StoreError> {
        let backend = conn.get_database_backend();
        let sql = if backend == DatabaseBackend::Postgres {
            let horizon = sea_orm::sea_query::Query::select()
                .expr(visible_horizon())
                .to_string(sea_orm::sea_query::PostgresQueryBuilder);
            format!("SELECT ({horizon}) - 1 AS seq")
        } else {
            "SELECT value AS seq FROM change_counter WHERE id = 1".to_owned()
        };
        let row = conn
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
            .ok_or_else(|| StoreError::corrupt("change_counter", "missing"))?;
        let seq: i64 = row.try_get("", "seq")?;
        Ok(Self {
            seq,
            id: Uuid::max(),
        })
    }

    /// The filter for rows of a table after this cursor whose writes have all committed.
    pub(crate) fn after(self, backend: DatabaseBackend) -> SimpleExpr {
        let position = Expr::tuple([
            Expr::col(CHANGE_SEQ),
            Expr::col(sea_orm::sea_query::Alias::new("id")),
        ]);
        let after = position.gt(Expr::tuple([Expr::val(self.seq), Expr::val(self.id)]));
        if backend == DatabaseBackend::Postgres {
            after.and(Expr::col(CHANGE_SEQ).lt(visible_horizon()))
        } else {
            after
        }
    }
}

/// The column the database numbers every write to needs and offers in (not in the entities:
/// only the change pollers read it, and nothing writes it but the database's triggers).
pub(crate) const CHANGE_SEQ: ChangeSeq = ChangeSeq;

#[derive(Debug, Clone, Copy)]
pub(crate) struct ChangeSeq;

impl sea_orm::sea_query::Iden for ChangeSeq {
    fn unquoted(&self) -> &str {
        "change_seq"
    }
}

/// PostgreSQL: the visibility limit of everything read in commit order (the feed, and needs and
/// offers by `change_seq`): the oldest transaction of this database still running when the
/// statement's snapshot was taken (or, with none, the first id not yet handed out). Every
/// transaction of this database below it has finished, so no row can still appear below it;
/// rows at or above it wait.
///
/// This is `pg_snapshot_xmin(pg_current_snapshot())` without the transactions of other
/// databases on the same server (they cannot write our rows), so a long transaction
/// elsewhere (another database being migrated or seeded) does not hold readers back. A
/// transaction counts as another database's only when `pg_stat_activity` shows its backend
/// connected there (matching the 32-bit xid it reports); one not found there counts as ours,
/// which errs on the side of waiting. Part of the reading statement, so the limit and the rows
/// read come from the same snapshot.
pub(crate) fn visible_horizon() -> Expr {
    Expr::cust(
        "(SELECT COALESCE(MIN(running.xid::text::bigint), \
                          pg_snapshot_xmax(pg_current_snapshot())::text::bigint) \
            FROM pg_snapshot_xip(pg_current_snapshot()) AS running(xid) \
           WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity AS elsewhere \
                              WHERE elsewhere.datname <> current_database() \
                                AND elsewhere.backend_xid::text::bigint \
                                    = running.xid::text::bigint % 4294967296))",
    )
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
