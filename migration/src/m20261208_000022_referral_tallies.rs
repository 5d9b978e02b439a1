//! Refer & earn figures kept per referrer instead of counted on every view: `/refer` counted
//! all of a referrer's referrals (two levels), the paying ones, and summed their commissions
//! each time, so it grew with the referrer (`benches/growth.rs`: 10,000 referrals cost 8x
//! (SQLite) and 29x (PostgreSQL) what 100 did). `referral_tallies` holds one row per
//! referrer, moved by the services in the transaction of each act that changes a figure
//! (ARCHITECTURE.md, invariants); this migration fills it with a recount of the data as it
//! is. Also an index of withdrawals by (user, status): the screen still sums those per user.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReferralTallies {
    Table,
    UserId,
    Level1,
    Level1Paying,
    Level2,
    Level2Paying,
    Pending,
    Available,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Withdrawals {
    Table,
    UserId,
    Status,
}

/// Every referrer's figures, counted from `users`, `orders` and `commissions`: the
/// definitions the services keep the rows to (a paying referral has an order in status
/// `paid`; `pending` and `available` sum the commissions in those statuses). Runs unchanged
/// on SQLite and PostgreSQL; `referrals::recount_tallies` in the app runs the same statement.
pub const RECOUNT: &str = "\
INSERT INTO referral_tallies (user_id, level1, level1_paying, level2, level2_paying, pending, available) \
SELECT r.id, \
 (SELECT COUNT(*) FROM users a WHERE a.referred_by = r.id), \
 (SELECT COUNT(*) FROM users a WHERE a.referred_by = r.id \
   AND EXISTS (SELECT 1 FROM orders o WHERE o.user_id = a.id AND o.status = 'paid')), \
 (SELECT COUNT(*) FROM users b WHERE b.referred_by IN (SELECT a.id FROM users a WHERE a.referred_by = r.id)), \
 (SELECT COUNT(*) FROM users b WHERE b.referred_by IN (SELECT a.id FROM users a WHERE a.referred_by = r.id) \
   AND EXISTS (SELECT 1 FROM orders o WHERE o.user_id = b.id AND o.status = 'paid')), \
 (SELECT CAST(COALESCE(SUM(c.amount), 0) AS BIGINT) FROM commissions c \
   WHERE c.earner_id = r.id AND c.status = 'pending'), \
 (SELECT CAST(COALESCE(SUM(c.amount), 0) AS BIGINT) FROM commissions c \
   WHERE c.earner_id = r.id AND c.status = 'available') \
FROM users r \
WHERE EXISTS (SELECT 1 FROM users a WHERE a.referred_by = r.id) \
 OR EXISTS (SELECT 1 FROM commissions c WHERE c.earner_id = r.id)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReferralTallies::Table)
                .col(integer(ReferralTallies::UserId).primary_key())
                .col(big_integer(ReferralTallies::Level1).default(0))
                .col(big_integer(ReferralTallies::Level1Paying).default(0))
                .col(big_integer(ReferralTallies::Level2).default(0))
                .col(big_integer(ReferralTallies::Level2Paying).default(0))
                .col(big_integer(ReferralTallies::Pending).default(0))
                .col(big_integer(ReferralTallies::Available).default(0))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_referral_tallies_user")
                        .from(ReferralTallies::Table, ReferralTallies::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.get_connection().execute_unprepared(RECOUNT).await?;
        m.create_index(
            Index::create()
                .name("ix_withdrawals_user_status")
                .table(Withdrawals::Table)
                .col(Withdrawals::UserId)
                .col(Withdrawals::Status)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_withdrawals_user_status").table(Withdrawals::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(ReferralTallies::Table).to_owned()).await?;
        Ok(())
    }
}
