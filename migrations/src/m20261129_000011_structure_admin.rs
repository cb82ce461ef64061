//! The structure set up through the API (issue 13): a platform's active period (the pilot as a
//! trial) and a forum's mandate and goals; a municipality replaced by another (mergers and
//! renumbering); a meeting's place and documents; each municipality's pilot status with its
//! history; and room for country-qualified municipality keys (`NO-1438`), used when a new
//! municipality's four digits are already taken by the other country.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns holding a municipality key, widened from 4 to 7 characters (`NO-1438`).
const MUNICIPALITY_KEYS: &[(&str, &str)] = &[
    ("municipalities", "code"),
    ("cluster_municipalities", "municipality_code"),
    ("organisations", "municipality_code"),
    ("platform_municipalities", "municipality_code"),
    ("needs", "municipality_code"),
    ("offer_instances", "municipality_code"),
];

/// Columns added, one statement each (SQLite alters one column at a time).
fn added_columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        ("platforms", date_null("active_from")),
        ("platforms", date_null("active_to")),
        ("platforms", text_null("mandate")),
        ("platforms", json_null("goals")),
        ("municipalities", string_len_null("replaced_by", 7)),
        ("meetings", string_len_null("place", 200)),
        ("meetings", json_null("documents")),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut column) in added_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // SQLite does not enforce a text column's length; PostgreSQL does.
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for (table, column) in MUNICIPALITY_KEYS {
                manager
                    .get_connection()
                    .execute_unprepared(&format!(
                        "ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(7)"
                    ))
                    .await?;
            }
        }
        create_all(
            manager,
            vec![
                // One row per recorded status; the latest per municipality is its status now.
                Table::create()
                    .table("pilot_statuses")
                    .col(pk_uuid("id"))
                    .col(string_len("municipality_code", 7))
                    .col(string_len("status", 20))
                    .col(text_null("note"))
                    .col(date("as_of"))
                    .col(string_len("recorded_by", 200))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            ],
            vec![index("pilot_statuses", &["municipality_code"])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The widened key columns stay wide: narrowing them would fail on qualified keys.
        drop_all(manager, &["pilot_statuses"]).await?;
        for (table, column) in added_columns().into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(column.get_column_name())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
