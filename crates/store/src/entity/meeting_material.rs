//! Table `meetings`, the place and documents columns only (added by the structure migration).
//! Kept apart from [`super::meeting`] so writers of the original columns stay as they are.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub place: Option<String>,
    /// A JSON list of `{title, url}`.
    #[sea_orm(column_type = "Json", nullable)]
    pub documents: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
