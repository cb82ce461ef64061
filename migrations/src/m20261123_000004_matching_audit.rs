//! Match suggestions and their outcomes, the audit trail, idempotency keys.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, fk, index, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "matches",
    "match_outcomes",
    "need_events",
    "audit_events",
    "idempotency_keys",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        let tables = vec![
            Table::create()
                .table("matches")
                .col(pk_uuid("id"))
                .col(uuid("need_id"))
                // `offer`, `contact` or `need`; target_id points into offers, persons or needs.
                .col(string_len("kind", 20))
                .col(uuid("target_id"))
                .col(uuid("platform_id"))
                .col(double("score"))
                .col(json("factors"))
                .col(json("evidence"))
                .col(text("explanation"))
                .col(string_len("status", 20))
                .col(text_null("reason"))
                .col(string_len_null("decided_by", 200))
                .col(timestamp_with_time_zone_null("decided_at"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("matches", "need_id", "needs", Cascade))
                .to_owned(),
            Table::create()
                .table("match_outcomes")
                .col(pk_uuid("id"))
                .col(uuid("match_id"))
                .col(string_len("kind", 40))
                .col(integer_null("count"))
                .col(text_null("note"))
                .col(string_len("recorded_by", 200))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk("match_outcomes", "match_id", "matches", Cascade))
                .to_owned(),
            // What happened to a need, visibly: escalations, routing, decisions.
            Table::create()
                .table("need_events")
                .col(pk_uuid("id"))
                .col(uuid("need_id"))
                .col(string_len("kind", 40))
                .col(json("detail"))
                .col(string_len("actor", 200))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("need_events", "need_id", "needs", Cascade))
                .to_owned(),
            Table::create()
                .table("audit_events")
                .col(pk_uuid("id"))
                .col(timestamp_with_time_zone("at"))
                .col(string_len("actor", 200))
                .col(string_len("action", 60))
                .col(string_len("entity", 40))
                .col(uuid_null("entity_id"))
                .col(json_null("before"))
                .col(json_null("after"))
                .to_owned(),
            Table::create()
                .table("idempotency_keys")
                .col(string_len("actor", 200))
                .col(string_len("key", 200))
                .col(string_len("request_hash", 64))
                .col(integer("status"))
                .col(json("body"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("actor").col("key"))
                .to_owned(),
        ];
        let indexes = vec![
            unique("matches", &["need_id", "kind", "target_id"]),
            index("matches", &["platform_id", "status"]),
            index("matches", &["target_id", "kind"]),
            index("match_outcomes", &["match_id"]),
            index("need_events", &["need_id"]),
            index("audit_events", &["entity", "entity_id"]),
            index("audit_events", &["at"]),
        ];
        create_all(manager, tables, indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
