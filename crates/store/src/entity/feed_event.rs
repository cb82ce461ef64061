//! Table `feed_events` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "feed_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub title: Option<String>,
    /// The writer's role (`broker`, `municipal_contact`, ...); none for background jobs.
    pub actor_role: Option<String>,
    pub actor_organisation_id: Option<Uuid>,
    /// Commit order, the feed's first sort key (then `id`): on PostgreSQL the inserting
    /// transaction's id, on SQLite one more than the largest before; 0 for events recorded
    /// before it was kept. Set by the insert itself, so a model built before insert holds 0.
    pub commit_seq: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
