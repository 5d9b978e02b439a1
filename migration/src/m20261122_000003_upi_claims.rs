//! UPI claims: a customer says "I've paid" with the bank's 12-digit UTR; an admin decides.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UpiClaims {
    Table,
    Id,
    PaymentId,
    UserId,
    Utr,
    UtrKey,
    ScreenshotFileId,
    Status,
    Reason,
    DecidedBy,
    OpenKey,
    CreatedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UpiClaims::Table)
                .col(pk_auto(UpiClaims::Id))
                .col(integer(UpiClaims::PaymentId))
                .col(integer(UpiClaims::UserId))
                .col(string(UpiClaims::Utr))
                // The UTR while the claim is open or approved, NULL once rejected: a UTR is
                // accepted once across all users, and a wrongly rejected one can be sent again.
                .col(string_null(UpiClaims::UtrKey).unique_key())
                .col(string_null(UpiClaims::ScreenshotFileId))
                .col(string(UpiClaims::Status))
                .col(text_null(UpiClaims::Reason))
                .col(big_integer_null(UpiClaims::DecidedBy))
                // The user id while the claim is open, NULL once decided: one open claim per user.
                .col(integer_null(UpiClaims::OpenKey).unique_key())
                .col(timestamp_with_time_zone(UpiClaims::CreatedAt))
                .col(timestamp_with_time_zone_null(UpiClaims::DecidedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_upi_claims_payment")
                        .from(UpiClaims::Table, UpiClaims::PaymentId)
                        .to(Payments::Table, Payments::Id),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(UpiClaims::Table).to_owned()).await
    }
}
