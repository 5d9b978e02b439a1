use sea_orm::entity::prelude::*;

/// Every event a gateway sent us, once: its own id is the unique key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gateway_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub gateway: String,
    #[sea_orm(unique)]
    pub event_key: String,
    pub kind: String,
    pub payment_id: Option<i32>,
    pub summary: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
