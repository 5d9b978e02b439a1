use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub telegram_id: i64,
    pub username: Option<String>,
    pub first_name: String,
    pub last_name: Option<String>,
    pub language_code: Option<String>,
    #[sea_orm(unique)]
    pub referral_code: String,
    pub referred_by: Option<i32>,
    pub role: Role,
    pub is_blocked: bool,
    /// Paise. Changes only together with a `ledger_entry` row in the same transaction.
    pub balance: i64,
    pub created_at: DateTimeUtc,
    /// `en` or `hi`: every message to this user is rendered in it.
    pub language: String,
    /// Set when Telegram said the user blocked the bot (or the chat is gone); cleared when
    /// they write to us again.
    pub unreachable_at: Option<DateTimeUtc>,
    /// Offers and announcements (broadcasts); off when the customer turned them off in /me.
    pub wants_offers: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Role {
    #[sea_orm(string_value = "user")]
    User,
    /// Sees users, orders, subscriptions and queues; moves no money and approves nothing.
    #[sea_orm(string_value = "support")]
    Support,
    #[sea_orm(string_value = "admin")]
    Admin,
    /// Everything an admin does, plus granting and revoking staff roles.
    #[sea_orm(string_value = "owner")]
    Owner,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
