use sea_orm::entity::prelude::*;

/// One append-only wallet movement. The database refuses UPDATE and DELETE on this table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    /// Signed paise: credits positive, debits negative.
    pub amount: i64,
    pub balance_after: i64,
    pub kind: LedgerKind,
    /// Human-readable pointer to what caused it, e.g. `order:42`.
    pub reference: String,
    /// One row per external event: a repeat of the same event is a no-op.
    #[sea_orm(unique)]
    pub idempotency_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum LedgerKind {
    #[sea_orm(string_value = "purchase")]
    Purchase,
    #[sea_orm(string_value = "admin_credit")]
    AdminCredit,
    #[sea_orm(string_value = "admin_debit")]
    AdminDebit,
    /// Money that arrived through a payment (UPI, Razorpay, Stars).
    #[sea_orm(string_value = "payment")]
    Payment,
    /// A refunded order's price, back in the wallet.
    #[sea_orm(string_value = "refund")]
    Refund,
    /// A referral commission that finished its hold.
    #[sea_orm(string_value = "commission")]
    Commission,
    /// A credited commission taken back because its order was refunded.
    #[sea_orm(string_value = "commission_reversal")]
    CommissionReversal,
    /// Money reserved for a withdrawal request.
    #[sea_orm(string_value = "withdrawal")]
    Withdrawal,
    /// A rejected withdrawal's reservation, back in the wallet.
    #[sea_orm(string_value = "withdrawal_release")]
    WithdrawalRelease,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
