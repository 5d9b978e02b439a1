use sea_orm::entity::prelude::*;

/// A UPI ID withdrawn to. Each withdrawal request upserts its row before checking who else
/// uses the UPI ID, which makes concurrent requests to one UPI ID wait for each other.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_vpas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub vpa: String,
    pub last_user_id: i32,
    pub last_used_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
