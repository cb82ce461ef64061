//! Table `cluster_municipalities` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster_municipalities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cluster_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub municipality_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
