//! Table `offers` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub provider_id: Uuid,
    pub language: String,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Json")]
    pub competence_labels: Json,
    pub level: Option<i16>,
    pub delivery: String,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub validation_offered: bool,
    pub link: Option<String>,
    #[sea_orm(column_type = "Json")]
    pub support_tools: Json,
    pub status: String,
    pub next_start: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
