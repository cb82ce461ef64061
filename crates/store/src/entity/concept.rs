//! Table `concepts` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "concepts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub esco_uri: Option<String>,
    pub key: Option<String>,
    pub field: Option<String>,
    #[sea_orm(column_type = "Json")]
    pub labels: Json,
    #[sea_orm(column_type = "Json")]
    pub essential: Json,
    #[sea_orm(column_type = "Json")]
    pub optional: Json,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub deprecated: bool,
    pub replaced_by: Option<Uuid>,
    pub created_in_version: i32,
    pub changed_in_version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
