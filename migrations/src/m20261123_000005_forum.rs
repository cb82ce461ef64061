//! Groups and memberships (local councils, the forum's structure), proposals, recommendations,
//! meetings.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "groups",
    "memberships",
    "proposals",
    "proposal_events",
    "recommendations",
    "meetings",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        let tables = vec![
            Table::create()
                .table("groups")
                .col(pk_uuid("id"))
                .col(uuid("platform_id"))
                .col(string_len("name", 200))
                .col(string_len("kind", 40))
                .col(string_len_null("focus_area", 60))
                .col(string_len_null("industry", 120))
                .col(date("period_start"))
                .col(date_null("period_end"))
                .foreign_key(&mut fk("groups", "platform_id", "platforms", Cascade))
                .to_owned(),
            Table::create()
                .table("memberships")
                .col(pk_uuid("id"))
                .col(uuid("group_id"))
                .col(uuid_null("person_id"))
                .col(uuid_null("organisation_id"))
                .col(string_len("role", 60))
                .col(boolean("mandate_given"))
                .col(date("member_from"))
                .col(date_null("member_until"))
                .foreign_key(&mut fk("memberships", "group_id", "groups", Cascade))
                .foreign_key(&mut fk("memberships", "person_id", "persons", SetNull))
                .foreign_key(&mut fk(
                    "memberships",
                    "organisation_id",
                    "organisations",
                    SetNull,
                ))
                .to_owned(),
            Table::create()
                .table("proposals")
                .col(pk_uuid("id"))
                .col(uuid("platform_id"))
                .col(uuid_null("group_id"))
                .col(string_len("title", 200))
                .col(text_null("description"))
                .col(string_len("status", 40))
                .col(json("need_ids"))
                .col(json("detail"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("proposals", "platform_id", "platforms", Cascade))
                .foreign_key(&mut fk("proposals", "group_id", "groups", SetNull))
                .to_owned(),
            Table::create()
                .table("proposal_events")
                .col(pk_uuid("id"))
                .col(uuid("proposal_id"))
                .col(string_len("action", 40))
                .col(string_len("from_status", 40))
                .col(string_len("to_status", 40))
                .col(json("detail"))
                .col(string_len("actor", 200))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk(
                    "proposal_events",
                    "proposal_id",
                    "proposals",
                    Cascade,
                ))
                .to_owned(),
            Table::create()
                .table("recommendations")
                .col(pk_uuid("id"))
                .col(uuid("platform_id"))
                .col(uuid_null("proposal_id"))
                .col(string_len("addressee", 200))
                .col(text("text"))
                .col(string_len("status", 40))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk(
                    "recommendations",
                    "platform_id",
                    "platforms",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "recommendations",
                    "proposal_id",
                    "proposals",
                    SetNull,
                ))
                .to_owned(),
            Table::create()
                .table("meetings")
                .col(pk_uuid("id"))
                .col(uuid("platform_id"))
                .col(uuid_null("group_id"))
                .col(string_len("kind", 40))
                .col(string_len("title", 200))
                .col(date("held_on"))
                .col(json("participants"))
                .col(json("agenda"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("meetings", "platform_id", "platforms", Cascade))
                .foreign_key(&mut fk("meetings", "group_id", "groups", SetNull))
                .to_owned(),
        ];
        let indexes = vec![
            index("groups", &["platform_id"]),
            index("memberships", &["group_id"]),
            index("proposals", &["platform_id", "status"]),
            index("proposal_events", &["proposal_id"]),
            index("recommendations", &["platform_id", "status"]),
            index("meetings", &["platform_id", "held_on"]),
        ];
        create_all(manager, tables, indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_all(manager, TABLES).await
    }
}
