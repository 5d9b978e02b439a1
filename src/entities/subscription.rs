use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub plan_id: i32,
    #[sea_orm(unique)]
    pub order_id: i32,
    #[sea_orm(unique)]
    pub stock_item_id: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub status: SubscriptionStatus,
    /// The current period's number, from 1; each renewal moves it on by one.
    pub period: i32,
    /// Renew from the wallet `renewal.auto_hours_before` the end.
    pub auto_renew: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum SubscriptionStatus {
    /// Active until `ends_at`; whether it has expired is derived from the clock.
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
