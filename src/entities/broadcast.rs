use sea_orm::entity::prelude::*;

/// An announcement to an audience of customers; its recipients are `broadcast_recipient` rows.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "broadcasts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The staff member's Telegram id: progress and the final report go to them.
    pub created_by: i64,
    /// Telegram HTML: a message's text, or a photo's caption.
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub photo_file_id: Option<String>,
    pub button_text: Option<String>,
    pub button_url: Option<String>,
    /// `domain::broadcast::Audience`, as its code (`everyone`, `expired:30`, `lang:hi`…).
    pub audience: String,
    pub status: BroadcastStatus,
    /// Recipients written at confirmation.
    pub total: i32,
    pub progress_chat_id: Option<i64>,
    pub progress_message_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum BroadcastStatus {
    /// Waiting for the one running before it.
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "running")]
    Running,
    /// Stopped by staff until resumed; later broadcasts keep waiting.
    #[sea_orm(string_value = "paused")]
    Paused,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    #[sea_orm(string_value = "done")]
    Done,
}

impl BroadcastStatus {
    pub fn is_over(self) -> bool {
        matches!(self, BroadcastStatus::Cancelled | BroadcastStatus::Done)
    }

    pub fn code(self) -> &'static str {
        match self {
            BroadcastStatus::Queued => "queued",
            BroadcastStatus::Running => "running",
            BroadcastStatus::Paused => "paused",
            BroadcastStatus::Cancelled => "cancelled",
            BroadcastStatus::Done => "done",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
