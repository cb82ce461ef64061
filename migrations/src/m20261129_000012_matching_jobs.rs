//! Matching recomputations as durable jobs shared by every instance over one database: a write
//! enqueues its job in its own transaction (a crash after commit loses nothing), repeated changes
//! to one need or offer coalesce into one row, and instances claim due jobs under a lease (a job
//! claimed by an instance that died is retried once its lease runs out). Also indexes
//! `needs.updated_at`, which every instance polls to keep its matching index current.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, index, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                Table::create()
                    .table("matching_jobs")
                    .col(pk_uuid("id"))
                    // need (with the needs it pools with), rescore (that need only), offer, all.
                    .col(string_len("kind", 10))
                    // The need or offer; the nil UUID for `all`.
                    .col(uuid("target_id"))
                    // Not claimed by other instances before this (the writer's own fast path
                    // claims its job at once; others take it only if that instance died).
                    .col(timestamp_with_time_zone("run_after"))
                    // Bumped by every enqueue, so a change made while the job runs reruns it.
                    .col(integer("generation"))
                    .col(string_len_null("claimed_by", 80))
                    .col(timestamp_with_time_zone_null("claimed_until"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            ],
            vec![
                unique("matching_jobs", &["kind", "target_id"]),
                index("matching_jobs", &["run_after"]),
                index("needs", &["updated_at"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_needs_updated_at")
                    .table("needs")
                    .to_owned(),
            )
            .await?;
        drop_all(manager, &["matching_jobs"]).await
    }
}
