//! Competence needs and course offers.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "needs",
    "need_competences",
    "offers",
    "offer_competences",
    "offer_instances",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        let tables = vec![
            Table::create()
                .table("needs")
                .col(pk_uuid("id"))
                .col(uuid("platform_id"))
                .col(string_len("municipality_code", 4))
                .col(uuid_null("employer_id"))
                .col(string_len("entered_by", 200))
                .col(string_len("title", 200))
                .col(text_null("description"))
                .col(string_len("purpose", 30))
                .col(integer("headcount"))
                .col(date_null("needed_by"))
                .col(date("expires_on"))
                .col(small_integer_null("wanted_level"))
                .col(uuid_null("occupation_id"))
                .col(boolean("delivery_on_site"))
                .col(boolean("delivery_distance"))
                .col(boolean("delivery_part_time"))
                .col(json("support_tools"))
                .col(string_len("status", 20))
                // `local`, `cluster` or `subregional`.
                .col(string_len("escalation_level", 20))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("needs", "platform_id", "platforms", Restrict))
                .foreign_key(&mut fk(
                    "needs",
                    "municipality_code",
                    "municipalities",
                    Restrict,
                ))
                .foreign_key(&mut fk("needs", "employer_id", "organisations", SetNull))
                .foreign_key(&mut fk("needs", "occupation_id", "concepts", Restrict))
                .to_owned(),
            Table::create()
                .table("need_competences")
                .col(uuid("need_id"))
                .col(small_integer("position"))
                .col(uuid_null("concept_id"))
                .col(string_len("label", 120))
                .col(string_len("importance", 20))
                .col(small_integer_null("level"))
                .primary_key(Index::create().col("need_id").col("position"))
                .foreign_key(&mut fk("need_competences", "need_id", "needs", Cascade))
                .foreign_key(&mut fk(
                    "need_competences",
                    "concept_id",
                    "concepts",
                    Restrict,
                ))
                .to_owned(),
            Table::create()
                .table("offers")
                .col(pk_uuid("id"))
                .col(uuid("provider_id"))
                .col(string_len("language", 2))
                .col(string_len("title", 200))
                .col(text_null("description"))
                .col(json("competence_labels"))
                .col(small_integer_null("level"))
                .col(string_len("delivery", 20))
                .col(big_integer_null("cost_minor"))
                .col(string_len_null("currency", 3))
                .col(boolean("validation_offered"))
                .col(string_len_null("link", 2000))
                .col(json("support_tools"))
                .col(string_len("status", 20))
                // Earliest instance start on or after today at the last write; listings sort on it.
                .col(date_null("next_start"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("published_at"))
                .foreign_key(&mut fk("offers", "provider_id", "organisations", Restrict))
                .to_owned(),
            Table::create()
                .table("offer_competences")
                .col(uuid("offer_id"))
                .col(uuid("concept_id"))
                .primary_key(Index::create().col("offer_id").col("concept_id"))
                .foreign_key(&mut fk("offer_competences", "offer_id", "offers", Cascade))
                .foreign_key(&mut fk(
                    "offer_competences",
                    "concept_id",
                    "concepts",
                    Restrict,
                ))
                .to_owned(),
            Table::create()
                .table("offer_instances")
                .col(pk_uuid("id"))
                .col(uuid("offer_id"))
                .col(small_integer("position"))
                .col(date("start_date"))
                .col(date_null("end_date"))
                .col(string_len_null("municipality_code", 4))
                .col(string_len_null("place", 200))
                .col(boolean("distance"))
                .col(small_integer("pace_percent"))
                .col(integer_null("seats"))
                .col(date_null("application_deadline"))
                .foreign_key(&mut fk("offer_instances", "offer_id", "offers", Cascade))
                .foreign_key(&mut fk(
                    "offer_instances",
                    "municipality_code",
                    "municipalities",
                    Restrict,
                ))
                .to_owned(),
        ];
        let indexes = vec![
            index("needs", &["municipality_code", "status"]),
            index("needs", &["platform_id", "status"]),
            index("needs", &["status", "expires_on"]),
            index("need_competences", &["concept_id"]),
            index("offers", &["status", "next_start"]),
            index("offers", &["provider_id"]),
            index("offers", &["updated_at"]),
            index("offer_competences", &["concept_id"]),
            index("offer_instances", &["offer_id"]),
            index("offer_instances", &["municipality_code"]),
        ];
        create_all(manager, tables, indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
