//! Table `municipalities` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "municipalities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub country: String,
    pub region_id: Uuid,
    /// The municipality that took over (merger or renumbering); this one no longer takes new
    /// needs.
    pub replaced_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
