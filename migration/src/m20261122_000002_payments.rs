//! Payments (UPI, Razorpay, Telegram Stars), gateway events and UPI claims.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    Reference,
    UserId,
    OrderId,
    Purpose,
    Method,
    Amount,
    PaidAmount,
    Status,
    GatewayLinkId,
    GatewayPaymentId,
    LinkUrl,
    PayerVpa,
    ExpiresAt,
    CreatedAt,
    PaidAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GatewayEvents {
    Table,
    Id,
    Gateway,
    EventKey,
    Kind,
    PaymentId,
    Summary,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Payments::Table)
                .col(pk_auto(Payments::Id))
                .col(string_uniq(Payments::Reference))
                .col(integer(Payments::UserId))
                .col(integer_null(Payments::OrderId))
                .col(string(Payments::Purpose))
                .col(string(Payments::Method))
                .col(big_integer(Payments::Amount))
                .col(big_integer_null(Payments::PaidAmount))
                .col(string(Payments::Status))
                .col(string_null(Payments::GatewayLinkId).unique_key())
                // One gateway payment credits one of our payments, once.
                .col(string_null(Payments::GatewayPaymentId).unique_key())
                .col(string_null(Payments::LinkUrl))
                .col(string_null(Payments::PayerVpa))
                .col(timestamp_with_time_zone(Payments::ExpiresAt))
                .col(timestamp_with_time_zone(Payments::CreatedAt))
                .col(timestamp_with_time_zone_null(Payments::PaidAt))
                .col(timestamp_with_time_zone(Payments::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_payments_user")
                        .from(Payments::Table, Payments::UserId)
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_payments_order")
                        .from(Payments::Table, Payments::OrderId)
                        .to(Orders::Table, Orders::Id),
                )
                .check(Expr::col(Payments::Amount).gt(0))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_payments_status").table(Payments::Table).col(Payments::Status).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(GatewayEvents::Table)
                .col(pk_auto(GatewayEvents::Id))
                .col(string(GatewayEvents::Gateway))
                // The gateway's own event id (e.g. x-razorpay-event-id): a replay is a no-op.
                .col(string_uniq(GatewayEvents::EventKey))
                .col(string(GatewayEvents::Kind))
                .col(integer_null(GatewayEvents::PaymentId))
                .col(text(GatewayEvents::Summary))
                .col(timestamp_with_time_zone(GatewayEvents::ReceivedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(GatewayEvents::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Payments::Table).to_owned()).await
    }
}
