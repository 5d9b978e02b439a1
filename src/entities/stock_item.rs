use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub credential: String,
    pub status: StockStatus,
    pub order_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub assigned_at: Option<DateTimeUtc>,
    /// Set when staff replaced this login because it stopped working.
    pub faulty_at: Option<DateTimeUtc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum StockStatus {
    #[sea_orm(string_value = "available")]
    Available,
    #[sea_orm(string_value = "assigned")]
    Assigned,
    #[sea_orm(string_value = "retired")]
    Retired,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
