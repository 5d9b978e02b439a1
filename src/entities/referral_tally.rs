use sea_orm::entity::prelude::*;

/// A referrer's running figures for Refer & earn, moved in the same transaction as the act
/// that changes them (a sign-up with a referrer, a referred customer's first paid order or
/// the refund of their last one, a commission recorded, matured, cancelled or reversed), so
/// the screen reads one row however many referrals there are. No row: all zero. A full
/// recount of every row is `referrals::recount_tallies` (and the backfill of migration
/// `m20261208_000022_referral_tallies`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// Users this one referred.
    pub level1: i64,
    /// Of those, the ones with at least one order in status `paid`.
    pub level1_paying: i64,
    /// Users referred by those.
    pub level2: i64,
    pub level2_paying: i64,
    /// Paise: this user's commissions on hold (status pending).
    pub pending: i64,
    /// Paise: this user's commissions credited (status available).
    pub available: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
