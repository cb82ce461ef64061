//! A commit-ordered feed cursor. Event ids are UUIDv7s taken before commit, so on PostgreSQL a
//! slow transaction's event could commit behind a cursor a poller had already passed. Events
//! now also carry `commit_seq`: on PostgreSQL the inserting transaction's id (the feed only
//! shows ids below the oldest transaction still running), on SQLite, whose writers take turns,
//! one more than the largest so far. The feed orders by (commit_seq, id). Existing rows keep 0:
//! they stay ordered by id among themselves, before every new event.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_feed_events_commit_seq_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("feed_events")
                    .add_column(big_integer("commit_seq").default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("feed_events", &["commit_seq", "id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The index first: SQLite refuses to drop an indexed column.
        manager
            .drop_index(Index::drop().name(INDEX).table("feed_events").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("feed_events")
                    .drop_column("commit_seq")
                    .to_owned(),
            )
            .await
    }
}
