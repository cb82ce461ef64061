//! The local platform model (Fyrbodal): course requests pooled from needs and the providers'
//! answers, and what network and broker meetings record (participants, agenda items linked to
//! needs, course requests and decisions, minutes).

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "course_requests",
    "course_request_needs",
    "course_request_addressees",
    "course_request_answers",
    "course_request_events",
    "meeting_participants",
    "meeting_agenda_items",
    "meeting_agenda_links",
    "meeting_minutes",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        let tables = vec![
            Table::create()
                .table("course_requests")
                .col(pk_uuid("id"))
                // The platform whose broker owns the request (scope for brokers).
                .col(uuid("platform_id"))
                .col(string_len("title", 200))
                .col(text_null("description"))
                .col(string_len("status", 20))
                // [{concept_id, label, importance, level}]: the union of the needs' competences.
                .col(json("competences"))
                .col(integer("total_headcount"))
                // Municipality codes of the pooled needs, sorted.
                .col(json("municipalities"))
                .col(date_null("wanted_start"))
                .col(boolean("delivery_on_site"))
                .col(boolean("delivery_distance"))
                .col(boolean("delivery_part_time"))
                .col(date_null("respond_by"))
                // No addressee rows and this true: every education provider may answer.
                .col(boolean("open_to_all"))
                .col(uuid_null("commissioned_answer_id"))
                .col(text_null("decision_reason"))
                .col(string_len("created_by", 200))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(timestamp_with_time_zone_null("sent_at"))
                .foreign_key(&mut fk(
                    "course_requests",
                    "platform_id",
                    "platforms",
                    Restrict,
                ))
                .to_owned(),
            Table::create()
                .table("course_request_needs")
                .col(uuid("course_request_id"))
                .col(uuid("need_id"))
                .primary_key(Index::create().col("course_request_id").col("need_id"))
                .foreign_key(&mut fk(
                    "course_request_needs",
                    "course_request_id",
                    "course_requests",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "course_request_needs",
                    "need_id",
                    "needs",
                    Restrict,
                ))
                .to_owned(),
            Table::create()
                .table("course_request_addressees")
                .col(uuid("course_request_id"))
                .col(uuid("organisation_id"))
                .primary_key(
                    Index::create()
                        .col("course_request_id")
                        .col("organisation_id"),
                )
                .foreign_key(&mut fk(
                    "course_request_addressees",
                    "course_request_id",
                    "course_requests",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "course_request_addressees",
                    "organisation_id",
                    "organisations",
                    Restrict,
                ))
                .to_owned(),
            Table::create()
                .table("course_request_answers")
                .col(pk_uuid("id"))
                .col(uuid("course_request_id"))
                .col(uuid("provider_id"))
                // `offer` or `decline`.
                .col(string_len("response", 20))
                .col(uuid_null("offer_id"))
                .col(text_null("proposal"))
                .col(big_integer_null("price_minor"))
                .col(string_len_null("currency", 3))
                .col(integer_null("seats"))
                .col(date_null("start_date"))
                .col(text_null("note"))
                // `submitted`, `chosen` or `not_chosen`.
                .col(string_len("status", 20))
                .col(string_len("answered_by", 200))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(
                    "course_request_answers",
                    "course_request_id",
                    "course_requests",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "course_request_answers",
                    "provider_id",
                    "organisations",
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "course_request_answers",
                    "offer_id",
                    "offers",
                    SetNull,
                ))
                .to_owned(),
            Table::create()
                .table("course_request_events")
                .col(pk_uuid("id"))
                .col(uuid("course_request_id"))
                .col(string_len("action", 40))
                .col(string_len("from_status", 20))
                .col(string_len("to_status", 20))
                .col(json("detail"))
                .col(string_len("actor", 200))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk(
                    "course_request_events",
                    "course_request_id",
                    "course_requests",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("meeting_participants")
                .col(uuid("meeting_id"))
                .col(small_integer("position"))
                .col(uuid_null("person_id"))
                .col(uuid_null("organisation_id"))
                .col(string_len_null("name", 200))
                .col(string_len_null("role", 120))
                .primary_key(Index::create().col("meeting_id").col("position"))
                .foreign_key(&mut fk(
                    "meeting_participants",
                    "meeting_id",
                    "meetings",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "meeting_participants",
                    "person_id",
                    "persons",
                    SetNull,
                ))
                .foreign_key(&mut fk(
                    "meeting_participants",
                    "organisation_id",
                    "organisations",
                    SetNull,
                ))
                .to_owned(),
            Table::create()
                .table("meeting_agenda_items")
                .col(pk_uuid("id"))
                .col(uuid("meeting_id"))
                .col(small_integer("position"))
                .col(string_len("title", 200))
                .col(text_null("outcome"))
                .foreign_key(&mut fk(
                    "meeting_agenda_items",
                    "meeting_id",
                    "meetings",
                    Cascade,
                ))
                .to_owned(),
            // What an agenda item discussed: `need`, `course_request` or `decision` (a match id).
            // No foreign key on target_id: it points into one of three tables by kind.
            Table::create()
                .table("meeting_agenda_links")
                .col(uuid("agenda_item_id"))
                .col(string_len("kind", 20))
                .col(uuid("target_id"))
                .primary_key(
                    Index::create()
                        .col("agenda_item_id")
                        .col("kind")
                        .col("target_id"),
                )
                .foreign_key(&mut fk(
                    "meeting_agenda_links",
                    "agenda_item_id",
                    "meeting_agenda_items",
                    Cascade,
                ))
                .to_owned(),
            // The minutes and the version clients send back when they change a meeting; kept
            // beside `meetings` so meetings written elsewhere (forum workshops) stay as they are.
            Table::create()
                .table("meeting_minutes")
                .col(uuid("meeting_id").primary_key())
                .col(text_null("minutes"))
                .col(integer("version"))
                .col(string_len("updated_by", 200))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk(
                    "meeting_minutes",
                    "meeting_id",
                    "meetings",
                    Cascade,
                ))
                .to_owned(),
        ];
        let indexes = vec![
            index("course_requests", &["platform_id", "status"]),
            index("course_requests", &["status", "open_to_all"]),
            index("course_request_needs", &["need_id"]),
            index("course_request_addressees", &["organisation_id"]),
            index("course_request_answers", &["course_request_id"]),
            crate::support::unique(
                "course_request_answers",
                &["course_request_id", "provider_id"],
            ),
            index("course_request_events", &["course_request_id"]),
            index("meeting_participants", &["person_id"]),
            index("meeting_agenda_items", &["meeting_id"]),
            index("meeting_agenda_links", &["kind", "target_id"]),
        ];
        create_all(manager, tables, indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
