use sea_orm::entity::prelude::*;

/// Money on its way in from outside: a wallet top-up or the payment for one order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Short human reference customers and admins quote, e.g. `PAY7K3M9Q2X`.
    #[sea_orm(unique)]
    pub reference: String,
    pub user_id: i32,
    /// The pending order this payment completes, for purchases.
    pub order_id: Option<i32>,
    pub purpose: PaymentPurpose,
    pub method: PaymentChannel,
    /// Paise requested.
    pub amount: i64,
    /// Paise the gateway says arrived.
    pub paid_amount: Option<i64>,
    pub status: PaymentStatus,
    #[sea_orm(unique)]
    pub gateway_link_id: Option<String>,
    #[sea_orm(unique)]
    pub gateway_payment_id: Option<String>,
    pub link_url: Option<String>,
    pub payer_vpa: Option<String>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PaymentPurpose {
    #[sea_orm(string_value = "topup")]
    TopUp,
    #[sea_orm(string_value = "purchase")]
    Purchase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PaymentChannel {
    #[sea_orm(string_value = "upi")]
    Upi,
    #[sea_orm(string_value = "razorpay")]
    Razorpay,
    #[sea_orm(string_value = "stars")]
    Stars,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PaymentStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    /// The gateway reported a failure; not final, a later capture still counts.
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "paid")]
    Paid,
    /// Rejected by an admin (UPI claims).
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// A Razorpay link nobody paid, closed by reconciliation once its expiry and the
    /// late-capture window were over.
    #[sea_orm(string_value = "expired")]
    Expired,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
