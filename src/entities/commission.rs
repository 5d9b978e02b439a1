use sea_orm::entity::prelude::*;

/// A referrer's share of one paid order's profit, at one level. Unique per (order, level).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commissions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub order_id: i32,
    /// 1: the buyer's referrer; 2: that referrer's referrer.
    pub level: i16,
    pub earner_id: i32,
    pub buyer_id: i32,
    /// Paise.
    pub amount: i64,
    pub status: CommissionStatus,
    /// Paise taken back from the wallet by a reversal.
    pub recovered: i64,
    pub created_at: DateTimeUtc,
    pub matured_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum CommissionStatus {
    /// Earned, inside the hold period: not in the wallet yet.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Credited to the wallet; withdrawable.
    #[sea_orm(string_value = "available")]
    Available,
    /// The order was refunded during the hold: never credited.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// The order was refunded after crediting: taken back with a ledger row.
    #[sea_orm(string_value = "reversed")]
    Reversed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
