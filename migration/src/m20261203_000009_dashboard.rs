//! The web dashboard: one-time sign-in links sent in chat, and the sessions they open. Both
//! keep only a SHA-256 of their secret.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DashboardLinks {
    Table,
    Id,
    TokenHash,
    TelegramId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum DashboardSessions {
    Table,
    Id,
    TokenHash,
    CsrfToken,
    TelegramId,
    CreatedAt,
    ExpiresAt,
    EndedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DashboardLinks::Table)
                .col(pk_auto(DashboardLinks::Id))
                .col(string(DashboardLinks::TokenHash).unique_key())
                .col(big_integer(DashboardLinks::TelegramId))
                .col(timestamp_with_time_zone(DashboardLinks::CreatedAt))
                .col(timestamp_with_time_zone(DashboardLinks::ExpiresAt))
                // Set once, by the conditional update that redeems the link.
                .col(timestamp_with_time_zone_null(DashboardLinks::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DashboardSessions::Table)
                .col(pk_auto(DashboardSessions::Id))
                .col(string(DashboardSessions::TokenHash).unique_key())
                // Put in every form of the session; a POST without it is refused.
                .col(string(DashboardSessions::CsrfToken))
                .col(big_integer(DashboardSessions::TelegramId))
                .col(timestamp_with_time_zone(DashboardSessions::CreatedAt))
                .col(timestamp_with_time_zone(DashboardSessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(DashboardSessions::EndedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DashboardSessions::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(DashboardLinks::Table).to_owned()).await
    }
}
