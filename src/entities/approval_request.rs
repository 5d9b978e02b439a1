use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A manual credit or debit above `admin.approval_threshold`, waiting for a second owner or
/// admin. No money moves until it is approved; approving moves it once, in the same
/// transaction (ledger key `admin:<request_key>`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: ApprovalKind,
    /// The customer whose wallet it is (`users.id`).
    pub user_id: i32,
    /// Paise, more than zero.
    pub amount: i64,
    /// What the customer reads once it is approved; may be empty.
    pub reason: String,
    /// Telegram id of the owner or admin who asked. They cannot decide it.
    pub requested_by: i64,
    /// The requesting message or event (`<chat>:<message>` in chat): a replay is this request.
    #[sea_orm(unique)]
    pub request_key: String,
    pub status: ApprovalStatus,
    /// Telegram id of whoever approved, rejected or cancelled it.
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    /// Why it was rejected.
    pub decision_reason: Option<String>,
    pub created_at: DateTimeUtc,
}

impl Model {
    /// The idempotency key of the ledger row an approval writes: the key a direct credit or
    /// debit of the same message has, so one message moves money at most once either way.
    pub fn ledger_key(&self) -> String {
        ledger_key(&self.request_key)
    }
}

/// `admin:<event key>`: the ledger key of a manual credit or debit made by one message.
pub fn ledger_key(event_key: &str) -> String {
    format!("admin:{event_key}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "lowercase")]
pub enum ApprovalKind {
    #[sea_orm(string_value = "credit")]
    Credit,
    #[sea_orm(string_value = "debit")]
    Debit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ApprovalStatus {
    /// Waiting for a second owner or admin.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Approved by someone other than the requester; the money moved in that transaction.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// Refused by someone other than the requester, with a reason; nothing moved.
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// Withdrawn by the requester; nothing moved.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
