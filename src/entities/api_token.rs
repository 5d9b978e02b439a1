use sea_orm::entity::prelude::*;

use super::user::Role;

/// A bearer token for the admin API. Only its SHA-256 is stored; it acts as `role`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub role: Role,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub prefix: String,
    /// Telegram id of the owner who made it (0: the command line).
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
