//! Table `course_request_needs` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "course_request_needs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub course_request_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub need_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
