//! Reference data: regions, municipalities, clusters, organisations, people, platforms.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, fk, index, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "regions",
    "municipalities",
    "clusters",
    "cluster_municipalities",
    "organisations",
    "persons",
    "platforms",
    "platform_municipalities",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        let tables = vec![
            Table::create()
                .table("regions")
                .col(pk_uuid("id"))
                .col(string_len_uniq("key", 60))
                .col(string_len("name", 200))
                .col(string_len("country", 2))
                .to_owned(),
            // Official codes (kommunkod / kommunenummer) are the key: every other table and every
            // API client refers to municipalities by code.
            Table::create()
                .table("municipalities")
                .col(string_len("code", 4).primary_key())
                .col(string_len("name", 200))
                .col(string_len("country", 2))
                .col(uuid("region_id"))
                .foreign_key(&mut fk("municipalities", "region_id", "regions", Restrict))
                .to_owned(),
            Table::create()
                .table("clusters")
                .col(pk_uuid("id"))
                .col(string_len_uniq("key", 60))
                .col(string_len("name", 200))
                .col(uuid("region_id"))
                .foreign_key(&mut fk("clusters", "region_id", "regions", Restrict))
                .to_owned(),
            Table::create()
                .table("cluster_municipalities")
                .col(uuid("cluster_id"))
                .col(string_len("municipality_code", 4))
                .primary_key(Index::create().col("cluster_id").col("municipality_code"))
                .foreign_key(&mut fk(
                    "cluster_municipalities",
                    "cluster_id",
                    "clusters",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "cluster_municipalities",
                    "municipality_code",
                    "municipalities",
                    Restrict,
                ))
                .to_owned(),
            Table::create()
                .table("organisations")
                .col(pk_uuid("id"))
                .col(string_len("name", 200))
                .col(string_len("kind", 40))
                .col(string_len("country", 2))
                // Stored as digits only; unique so the same legal entity is not registered twice.
                .col(string_len_null("org_number", 12).unique_key())
                .col(string_len_null("municipality_code", 4))
                .col(string_len_null("website", 2000))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(
                    "organisations",
                    "municipality_code",
                    "municipalities",
                    Restrict,
                ))
                .to_owned(),
            Table::create()
                .table("persons")
                .col(pk_uuid("id"))
                .col(string_len("name", 200))
                .col(string_len_null("email", 320))
                .col(string_len_null("phone", 40))
                .col(uuid_null("organisation_id"))
                // Roles, municipality codes, competence concept ids and free-text areas: small
                // lists read with the person, never queried on their own.
                .col(json("roles"))
                .col(json("municipalities"))
                .col(json("areas"))
                .col(json("area_text"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(
                    "persons",
                    "organisation_id",
                    "organisations",
                    SetNull,
                ))
                .to_owned(),
            Table::create()
                .table("platforms")
                .col(pk_uuid("id"))
                .col(string_len_uniq("key", 60))
                .col(string_len("name", 200))
                .col(string_len("model", 20))
                .col(uuid("region_id"))
                .col(uuid_null("cluster_id"))
                .col(string_len_null("broker_arrangement", 20))
                // Escalation target: a local platform escalates to its cluster platform, which
                // escalates to the sub-regional one.
                .col(uuid_null("parent_id"))
                .col(json("settings"))
                .col(json("contact_person_ids"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("platforms", "region_id", "regions", Restrict))
                .foreign_key(&mut fk("platforms", "cluster_id", "clusters", SetNull))
                .foreign_key(&mut fk("platforms", "parent_id", "platforms", SetNull))
                .to_owned(),
            Table::create()
                .table("platform_municipalities")
                .col(uuid("platform_id"))
                .col(string_len("municipality_code", 4))
                .primary_key(Index::create().col("platform_id").col("municipality_code"))
                .foreign_key(&mut fk(
                    "platform_municipalities",
                    "platform_id",
                    "platforms",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "platform_municipalities",
                    "municipality_code",
                    "municipalities",
                    Restrict,
                ))
                .to_owned(),
        ];
        let indexes = vec![
            index("municipalities", &["region_id"]),
            index("platform_municipalities", &["municipality_code"]),
            index("cluster_municipalities", &["municipality_code"]),
            unique("organisations", &["name", "country"]),
        ];
        create_all(manager, tables, indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
