//! "Login not working": a customer's report on an active subscription (at most one open per
//! subscription: `open_key`), which staff answer by replacing the login, replying or closing
//! it; a report open too long is raised again once (`escalated_at`). A login replaced as
//! faulty is marked so on its stock row.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginReports {
    Table,
    Id,
    SubscriptionId,
    UserId,
    Reason,
    Note,
    ScreenshotFileId,
    Status,
    OpenKey,
    OldStockItemId,
    NewStockItemId,
    CreatedAt,
    EscalatedAt,
    ClosedAt,
    ClosedBy,
}

#[derive(DeriveIden)]
enum StockItems {
    Table,
    FaultyAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LoginReports::Table)
                .col(pk_auto(LoginReports::Id))
                .col(integer(LoginReports::SubscriptionId))
                .col(integer(LoginReports::UserId))
                // wrong_password, screen_limit, expired_early, other.
                .col(string(LoginReports::Reason))
                .col(text_null(LoginReports::Note))
                .col(string_null(LoginReports::ScreenshotFileId))
                // open, replaced, resolved.
                .col(string(LoginReports::Status).default("open"))
                // The subscription's id while open, NULL once closed: one open report each.
                .col(string_null(LoginReports::OpenKey).unique_key())
                // The login reported, and the one that replaced it.
                .col(integer(LoginReports::OldStockItemId))
                .col(integer_null(LoginReports::NewStockItemId))
                .col(timestamp_with_time_zone(LoginReports::CreatedAt))
                .col(timestamp_with_time_zone_null(LoginReports::EscalatedAt))
                .col(timestamp_with_time_zone_null(LoginReports::ClosedAt))
                // Telegram id of the staff member who closed it.
                .col(big_integer_null(LoginReports::ClosedBy))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_login_reports_subscription")
                        .from(LoginReports::Table, LoginReports::SubscriptionId)
                        .to(Subscriptions::Table, Subscriptions::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_login_reports_user")
                        .from(LoginReports::Table, LoginReports::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_login_reports_status_created")
                .table(LoginReports::Table)
                .col(LoginReports::Status)
                .col(LoginReports::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_login_reports_user")
                .table(LoginReports::Table)
                .col(LoginReports::UserId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(StockItems::Table)
                .add_column(timestamp_with_time_zone_null(StockItems::FaultyAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(StockItems::Table).drop_column(StockItems::FaultyAt).to_owned()).await?;
        m.drop_table(Table::drop().table(LoginReports::Table).to_owned()).await
    }
}
