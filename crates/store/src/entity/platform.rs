//! Table `platforms` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "platforms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub model: String,
    pub region_id: Uuid,
    pub cluster_id: Option<Uuid>,
    pub broker_arrangement: Option<String>,
    pub parent_id: Option<Uuid>,
    #[sea_orm(column_type = "Json")]
    pub settings: Json,
    #[sea_orm(column_type = "Json")]
    pub contact_person_ids: Json,
    pub created_at: DateTimeUtc,
    /// First and last day the platform works (a pilot is a trial); open-ended when null.
    pub active_from: Option<Date>,
    pub active_to: Option<Date>,
    /// A forum's mandate, in its own words.
    pub mandate: Option<String>,
    /// A forum's goals: a JSON list of strings.
    #[sea_orm(column_type = "Json", nullable)]
    pub goals: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
