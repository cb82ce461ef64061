//! The forum's work: the gap entries that motivate a proposal, the input workshops give on
//! proposals, and recommendations addressed to registered actors with their follow-up history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::support::{create_all, drop_all, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &[&str] = &[
    "proposal_gap_entries",
    "workshop_inputs",
    "recommendation_events",
];

/// Columns added to `recommendations`: who gave it and to whom, when the actor is registered.
const RECOMMENDATION_COLUMNS: &[&str] = &[
    "group_id",
    "addressee_organisation_id",
    "addressee_person_id",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::Cascade;
        let tables = vec![
            // A cell of the gap report (competence x area) that motivated a proposal.
            Table::create()
                .table("proposal_gap_entries")
                .col(uuid("proposal_id"))
                .col(uuid("competence_id"))
                // Municipality code, or a cluster or region key.
                .col(string_len("area", 60))
                .primary_key(
                    Index::create()
                        .col("proposal_id")
                        .col("competence_id")
                        .col("area"),
                )
                .foreign_key(&mut fk(
                    "proposal_gap_entries",
                    "proposal_id",
                    "proposals",
                    Cascade,
                ))
                .to_owned(),
            // What a workshop (a meeting of kind `workshop`) said about a proposal it discussed.
            Table::create()
                .table("workshop_inputs")
                .col(pk_uuid("id"))
                .col(uuid("meeting_id"))
                .col(uuid("proposal_id"))
                .col(text("input"))
                .col(string_len("given_by", 200))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk(
                    "workshop_inputs",
                    "meeting_id",
                    "meetings",
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    "workshop_inputs",
                    "proposal_id",
                    "proposals",
                    Cascade,
                ))
                .to_owned(),
            // Each follow-up step of a recommendation, with the note that came with it.
            Table::create()
                .table("recommendation_events")
                .col(pk_uuid("id"))
                .col(uuid("recommendation_id"))
                .col(string_len("action", 40))
                .col(string_len("from_status", 40))
                .col(string_len("to_status", 40))
                .col(text_null("note"))
                .col(string_len("actor", 200))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk(
                    "recommendation_events",
                    "recommendation_id",
                    "recommendations",
                    Cascade,
                ))
                .to_owned(),
        ];
        let indexes = vec![
            index("proposal_gap_entries", &["competence_id", "area"]),
            index("workshop_inputs", &["meeting_id"]),
            index("workshop_inputs", &["proposal_id"]),
            index("recommendation_events", &["recommendation_id"]),
        ];
        create_all(manager, tables, indexes).await?;
        // One column per statement: SQLite alters one column at a time. No foreign keys here
        // (SQLite cannot add them to an existing table); the API checks the references.
        for column in RECOMMENDATION_COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("recommendations")
                        .add_column(uuid_null(*column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(index("recommendations", &["addressee_organisation_id"]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_recommendations_addressee_organisation_id")
                    .table("recommendations")
                    .to_owned(),
            )
            .await?;
        for column in RECOMMENDATION_COLUMNS.iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table("recommendations")
                        .drop_column(*column)
                        .to_owned(),
                )
                .await?;
        }
        drop_all(manager, TABLES).await
    }
}
