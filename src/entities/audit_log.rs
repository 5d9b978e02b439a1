use sea_orm::entity::prelude::*;

/// What an admin did, to what, with which details. Written in the same transaction as the act.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub actor_telegram_id: i64,
    pub action: String,
    pub target: String,
    pub details: String,
    pub created_at: DateTimeUtc,
    /// How the act arrived: `chat`, `token:<name>`, `dashboard` or `system` (NULL before the
    /// API existed).
    pub via: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
