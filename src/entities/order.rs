use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub plan_id: i32,
    /// Paise: the price paid, the list price less the discount.
    pub price: i64,
    /// Paise, copied from the plan when the order was opened.
    pub cost: i64,
    pub status: OrderStatus,
    pub payment_method: PaymentMethod,
    /// `user:plan` while pending, NULL afterwards (unique: one open checkout per user and plan).
    #[sea_orm(unique)]
    pub checkout_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// Set when this order renews that subscription instead of starting a new one.
    pub renews_subscription_id: Option<i32>,
    /// Paise, copied from the plan when the order was opened.
    pub list_price: i64,
    /// Paise off the list price.
    pub discount: i64,
    pub promo_code_id: Option<i32>,
    pub discount_kind: Option<DiscountKind>,
    /// Bought as a gift: paying it creates a gift (a link to claim), not a subscription.
    pub is_gift: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DiscountKind {
    /// A promo code the customer entered.
    #[sea_orm(string_value = "promo")]
    Promo,
    /// A referred customer's first paid order (`referral.referee_discount`).
    #[sea_orm(string_value = "referee")]
    Referee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum OrderStatus {
    /// Opened from a confirm screen, no money has moved.
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "paid")]
    Paid,
    /// Cancelled by the customer or because the plan sold out; no money moved.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    #[sea_orm(string_value = "refunded")]
    Refunded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PaymentMethod {
    #[sea_orm(string_value = "wallet")]
    Wallet,
    /// Renewed by auto-renew, from the wallet.
    #[sea_orm(string_value = "auto_renew")]
    AutoRenew,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
