//! Table `course_request_answers` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "course_request_answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub course_request_id: Uuid,
    pub provider_id: Uuid,
    pub response: String,
    pub offer_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub proposal: Option<String>,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    pub seats: Option<i32>,
    pub start_date: Option<Date>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub status: String,
    pub answered_by: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
