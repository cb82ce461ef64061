//! `GET /needs` lists newest first (`created_at DESC, id`): without an index in that order every
//! page sorted all the needs the caller may see (an admin: all of them). With 1,600 needs on
//! SQLite a page took a full scan and a sort of 1,600 rows, and the endpoint answered about
//! 1,400 requests/s.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_needs_created_at_desc_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table("needs")
                    .col(("created_at", IndexOrder::Desc))
                    .col("id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table("needs").to_owned())
            .await
    }
}
