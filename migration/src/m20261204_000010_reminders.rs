//! Expiry reminders look up active subscriptions by their end: an index keeps that cheap with
//! many subscriptions.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Status,
    EndsAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_subscriptions_status_ends_at")
                .table(Subscriptions::Table)
                .col(Subscriptions::Status)
                .col(Subscriptions::EndsAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx_subscriptions_status_ends_at").table(Subscriptions::Table).to_owned())
            .await
    }
}
