use sea_orm::entity::prelude::*;

/// A request to pay commission out to a UPI ID. The amount is reserved (debited with a
/// ledger row) when the request is made, and released again only if it is rejected.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "withdrawals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    /// Paise.
    pub amount: i64,
    /// Lower-cased UPI ID.
    pub vpa: String,
    pub status: WithdrawalStatus,
    /// The user id while pending or approved: one open request per user.
    #[sea_orm(unique)]
    pub open_key: Option<i32>,
    /// Unique: one bank transfer pays one withdrawal.
    #[sea_orm(unique)]
    pub payout_utr: Option<String>,
    pub reason: Option<String>,
    /// Above `withdrawal.approval_threshold`: who gave the first of the two approvals (the
    /// request stays pending until someone else gives the second, recorded in `decided_by`).
    pub first_approved_by: Option<i64>,
    pub first_approved_at: Option<DateTimeUtc>,
    /// Who approved (the second approver when two were needed) or rejected it.
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub paid_by: Option<i64>,
    pub paid_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum WithdrawalStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    /// An admin approved it; the payout is on its way.
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// Approved, but the payout bounced or was never sent: the amount went back to the wallet.
    #[sea_orm(string_value = "payout_failed")]
    PayoutFailed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
