//! Promo codes and discounts: codes staff create (percent or fixed, for all plans or some,
//! a validity window, total and per-customer limits, first purchase only, a minimum price),
//! one redemption per paid order (unique per code, customer and use number, so concurrent
//! checkouts cannot pass the per-customer limit), and on each order its list price, discount,
//! the code and which discount it was (the price column stays the price paid).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PromoCodes {
    Table,
    Id,
    Code,
    Kind,
    Value,
    PlanIds,
    ValidFrom,
    ValidUntil,
    MaxUses,
    PerUser,
    FirstPurchaseOnly,
    MinPrice,
    IsActive,
    Uses,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PromoRedemptions {
    Table,
    Id,
    PromoCodeId,
    UserId,
    Seq,
    OrderId,
    Discount,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Price,
    ListPrice,
    Discount,
    PromoCodeId,
    DiscountKind,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PromoCodes::Table)
                .col(pk_auto(PromoCodes::Id))
                // Upper case, as customers' input is normalised.
                .col(string(PromoCodes::Code).unique_key())
                // percent, fixed.
                .col(string(PromoCodes::Kind))
                // Whole percent (1 to 100) or paise.
                .col(big_integer(PromoCodes::Value))
                // Empty: every plan; else ",3,7," (plan ids).
                .col(string(PromoCodes::PlanIds).default(""))
                .col(timestamp_with_time_zone(PromoCodes::ValidFrom))
                .col(timestamp_with_time_zone_null(PromoCodes::ValidUntil))
                // NULL: no limit.
                .col(integer_null(PromoCodes::MaxUses))
                .col(integer(PromoCodes::PerUser).default(1))
                .col(boolean(PromoCodes::FirstPurchaseOnly).default(false))
                // Paise of list price at least.
                .col(big_integer(PromoCodes::MinPrice).default(0))
                .col(boolean(PromoCodes::IsActive).default(true))
                // Paid orders that used it: moved up by a conditional update, never past max_uses.
                .col(integer(PromoCodes::Uses).default(0))
                .col(big_integer(PromoCodes::CreatedBy))
                .col(timestamp_with_time_zone(PromoCodes::CreatedAt))
                .check(Expr::col(PromoCodes::Value).gt(0))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PromoRedemptions::Table)
                .col(pk_auto(PromoRedemptions::Id))
                .col(integer(PromoRedemptions::PromoCodeId))
                .col(integer(PromoRedemptions::UserId))
                // This customer's n-th use of the code: unique with the code and customer.
                .col(integer(PromoRedemptions::Seq))
                .col(integer(PromoRedemptions::OrderId).unique_key())
                .col(big_integer(PromoRedemptions::Discount))
                .col(timestamp_with_time_zone(PromoRedemptions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_promo_redemptions_code")
                        .from(PromoRedemptions::Table, PromoRedemptions::PromoCodeId)
                        .to(PromoCodes::Table, PromoCodes::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_promo_redemptions_order")
                        .from(PromoRedemptions::Table, PromoRedemptions::OrderId)
                        .to(Orders::Table, Orders::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_promo_redemptions_use")
                .table(PromoRedemptions::Table)
                .col(PromoRedemptions::PromoCodeId)
                .col(PromoRedemptions::UserId)
                .col(PromoRedemptions::Seq)
                .unique()
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Orders::Table).add_column(big_integer(Orders::ListPrice).default(0)).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Orders::Table).add_column(big_integer(Orders::Discount).default(0)).to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(Orders::Table).add_column(integer_null(Orders::PromoCodeId)).to_owned())
            .await?;
        // promo, referee; NULL without a discount.
        m.alter_table(Table::alter().table(Orders::Table).add_column(string_null(Orders::DiscountKind)).to_owned())
            .await?;
        // Orders before discounts were paid at their list price.
        m.exec_stmt(
            Query::update()
                .table(Orders::Table)
                .value(Orders::ListPrice, Expr::col(Orders::Price))
                .and_where(Expr::col(Orders::Id).gt(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Orders::DiscountKind, Orders::PromoCodeId, Orders::Discount, Orders::ListPrice] {
            m.alter_table(Table::alter().table(Orders::Table).drop_column(column).to_owned()).await?;
        }
        m.drop_table(Table::drop().table(PromoRedemptions::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(PromoCodes::Table).to_owned()).await
    }
}
