use sea_orm::entity::prelude::*;

/// A Telegram update received by webhook: claimed until `lease_until`, done at `handled_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "telegram_updates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub update_id: i64,
    pub lease_until: DateTimeUtc,
    pub handled_at: Option<DateTimeUtc>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
