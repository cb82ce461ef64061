//! Table `course_requests` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "course_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub platform_id: Uuid,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub status: String,
    #[sea_orm(column_type = "Json")]
    pub competences: Json,
    pub total_headcount: i32,
    #[sea_orm(column_type = "Json")]
    pub municipalities: Json,
    pub wanted_start: Option<Date>,
    pub delivery_on_site: bool,
    pub delivery_distance: bool,
    pub delivery_part_time: bool,
    pub respond_by: Option<Date>,
    pub open_to_all: bool,
    pub commissioned_answer_id: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decision_reason: Option<String>,
    pub created_by: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
