//! A stored version of the structure (regions, municipalities, clusters, platforms, contact
//! persons), bumped by every write to it: each instance caches the structure and compares this
//! version on its change poll, so a change made through one instance reaches the others without
//! a restart. One row, counted up in the writing transaction (`version = version + 1`), which
//! both engines do atomically.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_all(
            manager,
            vec![
                Table::create()
                    .table("structure_version")
                    // Always 1: the table holds one row.
                    .col(integer("id").primary_key())
                    .col(big_integer("version"))
                    .to_owned(),
            ],
            vec![],
        )
        .await?;
        let mut first = Query::insert();
        first
            .into_table("structure_version")
            .columns(["id", "version"])
            .values([1.into(), 0i64.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        manager.exec_stmt(first).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, &["structure_version"]).await
    }
}
