use sea_orm::entity::prelude::*;

/// "I've paid": a UPI payment's UTR, waiting for an admin to check the bank statement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "upi_claims")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub payment_id: i32,
    pub user_id: i32,
    pub utr: String,
    /// `utr` while pending or approved, NULL when rejected (unique: one live use per UTR).
    #[sea_orm(unique)]
    pub utr_key: Option<String>,
    pub screenshot_file_id: Option<String>,
    pub status: ClaimStatus,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    /// The user id while open: one open claim per user.
    #[sea_orm(unique)]
    pub open_key: Option<i32>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ClaimStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
