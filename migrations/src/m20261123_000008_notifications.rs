//! Information reaching the right people: the event log every write appends to (in the same
//! transaction), the topics each event concerns, people's subscriptions to topics, and webhook
//! endpoints with their delivery outbox and attempt log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, fk, index, unique};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "feed_events",
    "feed_event_topics",
    "subscriptions",
    "webhook_endpoints",
    "webhook_deliveries",
    "webhook_attempts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        let tables = vec![
            // One row per write. The id is a UUIDv7, so ids sort by time and serve as the feed
            // cursor on both engines.
            Table::create()
                .table("feed_events")
                .col(pk_uuid("id"))
                .col(timestamp_with_time_zone("at"))
                .col(string_len("actor", 200))
                .col(string_len("action", 80))
                .col(string_len("entity", 60))
                .col(uuid_null("entity_id"))
                .col(string_len_null("title", 200))
                .to_owned(),
            // `kind:value` topic keys (see broker_domain::notify::Topic).
            Table::create()
                .table("feed_event_topics")
                .col(uuid("event_id"))
                .col(string_len("topic", 120))
                .primary_key(Index::create().col("event_id").col("topic"))
                .foreign_key(&mut fk(
                    "feed_event_topics",
                    "event_id",
                    "feed_events",
                    Cascade,
                ))
                .to_owned(),
            // A person (token subject) following a topic.
            Table::create()
                .table("subscriptions")
                .col(pk_uuid("id"))
                .col(string_len("subscriber", 200))
                .col(string_len("topic", 120))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
            // An organisation's endpoint. `topics` is a JSON list of topic keys; the
            // organisation's own topic is always included.
            Table::create()
                .table("webhook_endpoints")
                .col(pk_uuid("id"))
                .col(uuid("organisation_id"))
                .col(string_len("url", 2000))
                .col(string_len("secret", 200))
                .col(json("topics"))
                .col(boolean("active"))
                .col(string_len("created_by", 200))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk(
                    "webhook_endpoints",
                    "organisation_id",
                    "organisations",
                    Cascade,
                ))
                .to_owned(),
            // The outbox: written with the event, drained by the dispatcher.
            Table::create()
                .table("webhook_deliveries")
                .col(pk_uuid("id"))
                .col(uuid("endpoint_id"))
                .col(uuid("event_id"))
                .col(json("payload"))
                // pending, delivered, failed (attempts used up).
                .col(string_len("status", 20))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(integer_null("last_status_code"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .foreign_key(&mut fk(
                    "webhook_deliveries",
                    "endpoint_id",
                    "webhook_endpoints",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "webhook_deliveries",
                    "event_id",
                    "feed_events",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("webhook_attempts")
                .col(pk_uuid("id"))
                .col(uuid("delivery_id"))
                .col(integer("attempt"))
                .col(timestamp_with_time_zone("at"))
                .col(integer_null("status_code"))
                .col(text_null("error"))
                .col(big_integer("duration_ms"))
                .foreign_key(&mut fk(
                    "webhook_attempts",
                    "delivery_id",
                    "webhook_deliveries",
                    Cascade,
                ))
                .to_owned(),
        ];
        let indexes = vec![
            index("feed_events", &["at"]),
            index("feed_event_topics", &["topic", "event_id"]),
            unique("subscriptions", &["subscriber", "topic"]),
            index("webhook_endpoints", &["organisation_id"]),
            index("webhook_deliveries", &["status", "next_attempt_at"]),
            index("webhook_deliveries", &["endpoint_id", "created_at"]),
            index("webhook_attempts", &["delivery_id"]),
        ];
        create_all(manager, tables, indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
