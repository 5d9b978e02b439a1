//! Gifts: an order bought as a gift takes its login from stock when paid but starts no
//! subscription; its gift row holds a code for the link, valid until `expires_at`. The first
//! other person to open the link claims it (a conditional update on `claimed_by`), and the
//! subscription starts then, theirs. Refunding an unclaimed gift marks it refunded and puts
//! the login back on sale (nobody saw it).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Gifts {
    Table,
    Id,
    OrderId,
    Code,
    BuyerId,
    PlanId,
    StockItemId,
    DurationDays,
    ExpiresAt,
    ClaimedBy,
    ClaimedAt,
    RefundedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    IsGift,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Orders::Table).add_column(boolean(Orders::IsGift).default(false)).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Gifts::Table)
                .col(pk_auto(Gifts::Id))
                .col(integer(Gifts::OrderId).unique_key())
                .col(string(Gifts::Code).unique_key())
                .col(integer(Gifts::BuyerId))
                .col(integer(Gifts::PlanId))
                .col(integer(Gifts::StockItemId))
                // The plan's duration when bought: what the claimer gets, from the claim.
                .col(integer(Gifts::DurationDays))
                .col(timestamp_with_time_zone(Gifts::ExpiresAt))
                .col(integer_null(Gifts::ClaimedBy))
                .col(timestamp_with_time_zone_null(Gifts::ClaimedAt))
                .col(timestamp_with_time_zone_null(Gifts::RefundedAt))
                .col(timestamp_with_time_zone(Gifts::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_gifts_order")
                        .from(Gifts::Table, Gifts::OrderId)
                        .to(Orders::Table, Orders::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_gifts_buyer").table(Gifts::Table).col(Gifts::BuyerId).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Gifts::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::IsGift).to_owned()).await
    }
}
