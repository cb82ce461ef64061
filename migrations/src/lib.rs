//! Schema migrations. Every table is created here (never by `schema sync`), with the same
//! statements on SQLite and PostgreSQL: types are limited to what both engines store faithfully
//! (uuid, text, integer, double, boolean, date, timestamptz, json).

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_reference;
mod m20261123_000002_taxonomy;
mod m20261123_000003_needs_offers;
mod m20261123_000004_matching_audit;
mod m20261123_000005_forum;
mod m20261123_000006_fyrbodal;
mod m20261123_000007_forum_work;
mod m20261123_000008_notifications;
mod m20261128_000009_feed_actor;
mod m20261129_000011_structure_admin;
mod m20261129_000012_matching_jobs;
mod m20261129_000013_feed_commit_order;
mod m20261129_000014_structure_version;
mod m20261129_000015_needs_newest_first;
mod m20261130_000016_change_order;
mod support;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_reference::Migration),
            Box::new(m20261123_000002_taxonomy::Migration),
            Box::new(m20261123_000003_needs_offers::Migration),
            Box::new(m20261123_000004_matching_audit::Migration),
            Box::new(m20261123_000005_forum::Migration),
            Box::new(m20261123_000006_fyrbodal::Migration),
            Box::new(m20261123_000007_forum_work::Migration),
            Box::new(m20261123_000008_notifications::Migration),
            Box::new(m20261128_000009_feed_actor::Migration),
            Box::new(m20261129_000011_structure_admin::Migration),
            Box::new(m20261129_000012_matching_jobs::Migration),
            Box::new(m20261129_000013_feed_commit_order::Migration),
            Box::new(m20261129_000014_structure_version::Migration),
            Box::new(m20261129_000015_needs_newest_first::Migration),
            Box::new(m20261130_000016_change_order::Migration),
        ]
    }
}
