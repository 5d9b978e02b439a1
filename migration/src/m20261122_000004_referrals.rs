//! The referral economy: commissions per paid order and level, withdrawals to UPI, fraud flags.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Commissions {
    Table,
    Id,
    OrderId,
    Level,
    EarnerId,
    BuyerId,
    Amount,
    Status,
    Recovered,
    CreatedAt,
    MaturedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum Withdrawals {
    Table,
    Id,
    UserId,
    Amount,
    Vpa,
    Status,
    OpenKey,
    PayoutUtr,
    Reason,
    DecidedBy,
    DecidedAt,
    PaidBy,
    PaidAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PayoutVpas {
    Table,
    Vpa,
    LastUserId,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum FraudFlags {
    Table,
    Id,
    UserId,
    Rule,
    Reason,
    Evidence,
    DedupeKey,
    Status,
    ResolvedBy,
    ResolvedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    ReferredBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Commissions::Table)
                .col(pk_auto(Commissions::Id))
                .col(integer(Commissions::OrderId))
                .col(small_integer(Commissions::Level))
                .col(integer(Commissions::EarnerId))
                .col(integer(Commissions::BuyerId))
                .col(big_integer(Commissions::Amount))
                .col(string(Commissions::Status))
                // Paise taken back by a reversal (less than `amount` when the wallet ran short).
                .col(big_integer(Commissions::Recovered).default(0))
                .col(timestamp_with_time_zone(Commissions::CreatedAt))
                .col(timestamp_with_time_zone_null(Commissions::MaturedAt))
                .col(timestamp_with_time_zone_null(Commissions::ClosedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_commissions_order")
                        .from(Commissions::Table, Commissions::OrderId)
                        .to(Orders::Table, Orders::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_commissions_earner")
                        .from(Commissions::Table, Commissions::EarnerId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        // One commission per order and level, however often a payment is settled.
        m.create_index(
            Index::create()
                .name("ux_commissions_order_level")
                .table(Commissions::Table)
                .col(Commissions::OrderId)
                .col(Commissions::Level)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_commissions_earner")
                .table(Commissions::Table)
                .col(Commissions::EarnerId)
                .col(Commissions::Status)
                .to_owned(),
        )
        .await?;

        // Referral stats and the signups-per-hour check count a referrer's referrals.
        m.create_index(
            Index::create()
                .name("ix_users_referred_by")
                .table(Users::Table)
                .col(Users::ReferredBy)
                .col(Users::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Withdrawals::Table)
                .col(pk_auto(Withdrawals::Id))
                .col(integer(Withdrawals::UserId))
                .col(big_integer(Withdrawals::Amount))
                .col(string(Withdrawals::Vpa))
                .col(string(Withdrawals::Status))
                // The user id while pending or approved, NULL once paid or rejected: one open
                // request per user, decided by the database.
                .col(integer_null(Withdrawals::OpenKey).unique_key())
                .col(string_null(Withdrawals::PayoutUtr).unique_key())
                .col(text_null(Withdrawals::Reason))
                .col(big_integer_null(Withdrawals::DecidedBy))
                .col(timestamp_with_time_zone_null(Withdrawals::DecidedAt))
                .col(big_integer_null(Withdrawals::PaidBy))
                .col(timestamp_with_time_zone_null(Withdrawals::PaidAt))
                .col(timestamp_with_time_zone(Withdrawals::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_withdrawals_user")
                        .from(Withdrawals::Table, Withdrawals::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_withdrawals_vpa").table(Withdrawals::Table).col(Withdrawals::Vpa).to_owned(),
        )
        .await?;
        // One row per UPI ID withdrawn to. Every request upserts its row first, so requests to
        // one UPI ID are decided one after the other and the shared-UPI check sees them all.
        m.create_table(
            Table::create()
                .table(PayoutVpas::Table)
                .col(string(PayoutVpas::Vpa).primary_key())
                .col(integer(PayoutVpas::LastUserId))
                .col(timestamp_with_time_zone(PayoutVpas::LastUsedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(FraudFlags::Table)
                .col(pk_auto(FraudFlags::Id))
                .col(integer(FraudFlags::UserId))
                .col(string(FraudFlags::Rule))
                .col(text(FraudFlags::Reason))
                .col(text(FraudFlags::Evidence))
                // What the flag is about (rule, user, detail): the same finding is raised once.
                .col(string(FraudFlags::DedupeKey).unique_key())
                .col(string(FraudFlags::Status))
                .col(big_integer_null(FraudFlags::ResolvedBy))
                .col(timestamp_with_time_zone_null(FraudFlags::ResolvedAt))
                .col(timestamp_with_time_zone(FraudFlags::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_fraud_flags_user")
                        .from(FraudFlags::Table, FraudFlags::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(FraudFlags::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(PayoutVpas::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Withdrawals::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("ix_users_referred_by").table(Users::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Commissions::Table).to_owned()).await
    }
}
