//! Needs and offers in commit order, for the instances that follow each other's writes.
//!
//! Instances used to poll `updated_at > last read - 10 s`: writers stamp `updated_at` from their
//! own clocks before commit, so a slower transaction could commit a change stamped before one
//! already read, and every poll read the last ten seconds again to catch it. Under steady writes
//! that is thousands of rows per poll, all but a few already known, from a scan the `OR` of the
//! keyset defeated (at 200 needs/s about a fifth of the database's time).
//!
//! Every written row of `needs` and `offers` now carries `change_seq`, set by the database
//! itself so no write path can forget it:
//! - PostgreSQL: the writing transaction's id. A poller reads only ids below the oldest
//!   transaction still running (the feed's horizon), so nothing can commit behind its cursor.
//! - SQLite: the next value of a counter kept in `change_counter`. Writers take turns, so this
//!   order is the commit order; a counter, not `max + 1`, so a deleted row's number is never
//!   handed out again.
//!
//! Existing rows keep 0: every instance loads them at start-up before following changes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::support::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["needs", "offers"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(big_integer("change_seq").default(0))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(index(table, &["change_seq", "id"]))
                .await?;
        }
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(
                "CREATE FUNCTION broker_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN NEW.change_seq := pg_current_xact_id()::text::bigint; RETURN NEW; END $$",
            )
            .await?;
            for table in TABLES {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {table}_change_seq BEFORE INSERT OR UPDATE ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION broker_change_seq()"
                ))
                .await?;
            }
            return Ok(());
        }
        db.execute_unprepared(
            "CREATE TABLE change_counter (id INTEGER PRIMARY KEY CHECK (id = 1), \
             value INTEGER NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO change_counter (id, value) VALUES (1, 0)")
            .await?;
        for table in TABLES {
            let numbered = format!(
                "BEGIN \
                   UPDATE change_counter SET value = value + 1 WHERE id = 1; \
                   UPDATE {table} SET change_seq = (SELECT value FROM change_counter WHERE id = 1) \
                    WHERE rowid = NEW.rowid; \
                 END"
            );
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_change_seq_insert AFTER INSERT ON {table} {numbered}"
            ))
            .await?;
            // The guard keeps the trigger's own update from numbering the row again.
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {table}_change_seq_update AFTER UPDATE ON {table} \
                 WHEN NEW.change_seq = OLD.change_seq {numbered}"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for table in TABLES {
            if postgres {
                db.execute_unprepared(&format!("DROP TRIGGER {table}_change_seq ON {table}"))
                    .await?;
            } else {
                for when in ["insert", "update"] {
                    db.execute_unprepared(&format!("DROP TRIGGER {table}_change_seq_{when}"))
                        .await?;
                }
            }
            // The index first: SQLite refuses to drop an indexed column.
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("idx_{table}_change_seq_id"))
                        .table(table)
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("change_seq")
                        .to_owned(),
                )
                .await?;
        }
        if postgres {
            db.execute_unprepared("DROP FUNCTION broker_change_seq()")
                .await?;
        } else {
            db.execute_unprepared("DROP TABLE change_counter").await?;
        }
        Ok(())
    }
}
