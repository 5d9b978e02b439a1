use sea_orm::entity::prelude::*;

/// A message to someone other than the person acting, written in the act's transaction and
/// delivered later by the outbox sender. `params` is the JSON of `services::outbox::Notice`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub chat_id: i64,
    pub user_id: Option<i32>,
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub params: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub lease_until: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub dedupe_key: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum OutboxStatus {
    /// Waiting for `next_attempt_at`.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Claimed by a sender until `lease_until`; a crashed sender's claim runs out.
    #[sea_orm(string_value = "sending")]
    Sending,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Given up: the recipient is unreachable, or Telegram refused the message for good.
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
