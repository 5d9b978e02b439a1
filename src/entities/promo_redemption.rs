use sea_orm::entity::prelude::*;

/// One paid order that used a code: its customer's `seq`-th use (unique with the code and the
/// customer, so the per-customer limit holds under concurrent checkouts).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promo_redemptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub promo_code_id: i32,
    pub user_id: i32,
    pub seq: i32,
    #[sea_orm(unique)]
    pub order_id: i32,
    /// Paise.
    pub discount: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
