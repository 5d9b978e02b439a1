//! Telegram updates received by webhook, kept a day: each `update_id` is handled once, by
//! whichever instance claims it first. A claim is a lease: if its instance dies before the
//! update is handled, Telegram's retry takes the lease over once it has run out.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TelegramUpdates {
    Table,
    UpdateId,
    LeaseUntil,
    HandledAt,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(TelegramUpdates::Table)
                .col(big_integer(TelegramUpdates::UpdateId).primary_key())
                .col(timestamp_with_time_zone(TelegramUpdates::LeaseUntil))
                .col(timestamp_with_time_zone_null(TelegramUpdates::HandledAt))
                .col(timestamp_with_time_zone(TelegramUpdates::ReceivedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_telegram_updates_received")
                .table(TelegramUpdates::Table)
                .col(TelegramUpdates::ReceivedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TelegramUpdates::Table).to_owned()).await
    }
}
