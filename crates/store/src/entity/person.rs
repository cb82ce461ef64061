//! Table `persons` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "persons")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organisation_id: Option<Uuid>,
    #[sea_orm(column_type = "Json")]
    pub roles: Json,
    #[sea_orm(column_type = "Json")]
    pub municipalities: Json,
    #[sea_orm(column_type = "Json")]
    pub areas: Json,
    #[sea_orm(column_type = "Json")]
    pub area_text: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
