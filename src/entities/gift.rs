use sea_orm::entity::prelude::*;

/// A paid order bought as a gift: its login is held for whoever claims `code` first (not the
/// buyer) before `expires_at`; the subscription starts at the claim.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gifts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub order_id: i32,
    #[sea_orm(unique)]
    pub code: String,
    pub buyer_id: i32,
    pub plan_id: i32,
    pub stock_item_id: i32,
    pub duration_days: i32,
    pub expires_at: DateTimeUtc,
    pub claimed_by: Option<i32>,
    pub claimed_at: Option<DateTimeUtc>,
    pub refunded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
