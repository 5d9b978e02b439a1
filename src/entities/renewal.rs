use sea_orm::entity::prelude::*;

/// One paid renewal of a subscription: period `period` ended at `from_ends_at` and the next
/// runs from `starts_at` to `ends_at`. `period_key` is unique while the renewal stands, so a
/// period is renewed once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "renewals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subscription_id: i32,
    #[sea_orm(unique)]
    pub order_id: i32,
    pub period: i32,
    #[sea_orm(unique)]
    pub period_key: Option<String>,
    pub from_ends_at: DateTimeUtc,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub stock_item_id: i32,
    pub replaced_stock_item_id: Option<i32>,
    pub auto: bool,
    pub refunded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

impl Model {
    pub fn key(subscription_id: i32, period: i32) -> String {
        format!("{subscription_id}:{period}")
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
