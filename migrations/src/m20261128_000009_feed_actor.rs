//! Who wrote, as the feed and webhooks may show it: the actor's role and organisation. The token
//! subject stays in `actor` (it keeps a person's own writes out of their feed) but is never
//! served, since identity providers often issue e-mail addresses as subjects.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table("feed_events")
                    .add_column(string_len_null("actor_role", 40))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("feed_events")
                    .add_column(uuid_null("actor_organisation_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["actor_organisation_id", "actor_role"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("feed_events")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
