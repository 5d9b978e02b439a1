//! Renewals: an order may renew a subscription (the period moves on instead of a new
//! subscription starting); each renewal is a row keyed once per (subscription, period), so a
//! period is renewed once however many payments or job runs race for it. A plan says whether
//! renewing keeps the customer's login or hands out a new one; a subscription says whether it
//! renews itself from the wallet.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plans {
    Table,
    RenewalLogin,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    RenewsSubscriptionId,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    Period,
    AutoRenew,
}

#[derive(DeriveIden)]
enum Renewals {
    Table,
    Id,
    SubscriptionId,
    OrderId,
    Period,
    PeriodKey,
    FromEndsAt,
    StartsAt,
    EndsAt,
    StockItemId,
    ReplacedStockItemId,
    Auto,
    RefundedAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // `keep`: the shop renews the account, the customer keeps the login; `replace`: a
        // renewal takes a new login from stock.
        m.alter_table(
            Table::alter().table(Plans::Table).add_column(string(Plans::RenewalLogin).default("keep")).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Orders::Table).add_column(integer_null(Orders::RenewsSubscriptionId)).to_owned(),
        )
        .await?;
        // The number of the current period, from 1: a renewal moves it on by a conditional
        // update, so two renewals of one period cannot both win.
        m.alter_table(
            Table::alter().table(Subscriptions::Table).add_column(integer(Subscriptions::Period).default(1)).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Subscriptions::Table)
                .add_column(boolean(Subscriptions::AutoRenew).default(false))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Renewals::Table)
                .col(pk_auto(Renewals::Id))
                .col(integer(Renewals::SubscriptionId))
                .col(integer(Renewals::OrderId).unique_key())
                // The period this renewal ended (the new one is `period + 1`).
                .col(integer(Renewals::Period))
                // `<subscription>:<period>` while the renewal stands; NULL once refunded, so the
                // period can be renewed again.
                .col(string_null(Renewals::PeriodKey).unique_key())
                .col(timestamp_with_time_zone(Renewals::FromEndsAt))
                .col(timestamp_with_time_zone(Renewals::StartsAt))
                .col(timestamp_with_time_zone(Renewals::EndsAt))
                // The login for the new period; with `replace`, the one it replaced (retired
                // once the old period is over).
                .col(integer(Renewals::StockItemId))
                .col(integer_null(Renewals::ReplacedStockItemId))
                // Paid by auto-renew from the wallet.
                .col(boolean(Renewals::Auto).default(false))
                .col(timestamp_with_time_zone_null(Renewals::RefundedAt))
                .col(timestamp_with_time_zone(Renewals::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_renewals_subscription")
                        .from(Renewals::Table, Renewals::SubscriptionId)
                        .to(Subscriptions::Table, Subscriptions::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_renewals_subscription")
                .table(Renewals::Table)
                .col(Renewals::SubscriptionId)
                .col(Renewals::Period)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_renewals_starts_at").table(Renewals::Table).col(Renewals::StartsAt).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Renewals::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Subscriptions::Table).drop_column(Subscriptions::AutoRenew).to_owned())
            .await?;
        m.alter_table(Table::alter().table(Subscriptions::Table).drop_column(Subscriptions::Period).to_owned()).await?;
        m.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::RenewsSubscriptionId).to_owned()).await?;
        m.alter_table(Table::alter().table(Plans::Table).drop_column(Plans::RenewalLogin).to_owned()).await
    }
}
