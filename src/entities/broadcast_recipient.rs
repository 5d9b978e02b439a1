use sea_orm::entity::prelude::*;

/// One customer of a broadcast: unique per (broadcast, user).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "broadcast_recipients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub broadcast_id: i32,
    pub user_id: i32,
    pub chat_id: i64,
    pub status: RecipientStatus,
    /// Failed attempts so far (429s are not counted: they are Telegram asking us to wait).
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum RecipientStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Handed to Telegram; the answer is not in yet.
    #[sea_orm(string_value = "sending")]
    Sending,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Refused for good, or still failing after the last retry.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// The customer blocked the bot (or the chat is gone): marked unreachable.
    #[sea_orm(string_value = "blocked")]
    Blocked,
    /// Was being sent when its sender stopped, so it may have arrived: never sent again.
    #[sea_orm(string_value = "unknown")]
    Unknown,
    /// The broadcast was cancelled before it got to them.
    #[sea_orm(string_value = "skipped")]
    Skipped,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
