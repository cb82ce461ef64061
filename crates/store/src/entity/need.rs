//! Table `needs` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "needs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub platform_id: Uuid,
    pub municipality_code: String,
    pub employer_id: Option<Uuid>,
    pub entered_by: String,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub purpose: String,
    pub headcount: i32,
    pub needed_by: Option<Date>,
    pub expires_on: Date,
    pub wanted_level: Option<i16>,
    pub occupation_id: Option<Uuid>,
    pub delivery_on_site: bool,
    pub delivery_distance: bool,
    pub delivery_part_time: bool,
    #[sea_orm(column_type = "Json")]
    pub support_tools: Json,
    pub status: String,
    pub escalation_level: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
