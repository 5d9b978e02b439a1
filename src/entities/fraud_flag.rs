use sea_orm::entity::prelude::*;

/// A fraud rule's finding about a user, for an admin to review. While a user has an open
/// flag, their withdrawals cannot be approved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fraud_flags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub rule: FraudRule,
    /// One line for admins.
    pub reason: String,
    /// JSON: the facts behind the finding.
    pub evidence: String,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub status: FlagStatus,
    pub resolved_by: Option<i64>,
    pub resolved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum FraudRule {
    /// One UPI ID used for withdrawals by more than one user.
    #[sea_orm(string_value = "shared_upi")]
    SharedUpi,
    /// Too many referrals within an hour.
    #[sea_orm(string_value = "rapid_signups")]
    RapidSignups,
    /// Many referrals, few of them paying.
    #[sea_orm(string_value = "low_conversion")]
    LowConversion,
    /// A referee paid with the referrer's own withdrawal UPI ID.
    #[sea_orm(string_value = "own_referee")]
    OwnReferee,
    /// A refund took back a commission the wallet no longer held (withdrawn or reserved).
    #[sea_orm(string_value = "clawback_shortfall")]
    ClawbackShortfall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum FlagStatus {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "resolved")]
    Resolved,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
