//! The competence and occupation taxonomy, versioned so clients can ask what changed.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &["taxonomy_versions", "concepts"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            Table::create()
                .table("taxonomy_versions")
                .col(integer("version").primary_key())
                .col(string_len("source", 200))
                .col(json("counts"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
            Table::create()
                .table("concepts")
                .col(pk_uuid("id"))
                // `competence` or `occupation`.
                .col(string_len("kind", 20))
                .col(string_len_null("esco_uri", 500).unique_key())
                .col(string_len_null("key", 120).unique_key())
                .col(string_len_null("field", 60))
                // [{lang, text, preferred}] in sv, nb and en.
                .col(json("labels"))
                .col(json("essential"))
                .col(json("optional"))
                .col(text_null("description"))
                .col(boolean("deprecated").default(false))
                .col(uuid_null("replaced_by"))
                .col(integer("created_in_version"))
                .col(integer("changed_in_version"))
                .to_owned(),
        ];
        let indexes = vec![
            index("concepts", &["kind", "deprecated"]),
            index("concepts", &["changed_in_version"]),
        ];
        create_all(manager, tables, indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
