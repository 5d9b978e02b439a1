//! Indexes for queries that run on every sale, settlement or job run and read whole tables
//! without them (found by `benches/growth.rs` on a shop of 100,000 customers):
//! - the staff alert of every sale and payment finds the owners and admins by `role`;
//! - the maturity job leaves out blocked earners (`is_blocked`) in its select and in each
//!   commission's conditional update, and picks pending commissions oldest first;
//! - `/refer` and the low-conversion check count the referrals with a paid order, and the
//!   referee discount asks whether a customer has bought before (orders by user and status).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Role,
    IsBlocked,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    UserId,
    Status,
}

#[derive(DeriveIden)]
enum Commissions {
    Table,
    Id,
    Status,
}

/// (index name, table, columns).
fn indexes() -> Vec<(&'static str, DynIden, Vec<DynIden>)> {
    vec![
        ("ix_users_role", Users::Table.into_iden(), vec![Users::Role.into_iden()]),
        ("ix_users_blocked", Users::Table.into_iden(), vec![Users::IsBlocked.into_iden()]),
        (
            "ix_orders_user_status",
            Orders::Table.into_iden(),
            vec![Orders::UserId.into_iden(), Orders::Status.into_iden()],
        ),
        (
            "ix_commissions_status_id",
            Commissions::Table.into_iden(),
            vec![Commissions::Status.into_iden(), Commissions::Id.into_iden()],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in indexes() {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(column);
            }
            m.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in indexes() {
            m.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        Ok(())
    }
}
