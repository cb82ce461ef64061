//! Table `offer_instances` (see the migrations for what each column means).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offer_instances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub offer_id: Uuid,
    pub position: i16,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub municipality_code: Option<String>,
    pub place: Option<String>,
    pub distance: bool,
    pub pace_percent: i16,
    pub seats: Option<i32>,
    pub application_deadline: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
