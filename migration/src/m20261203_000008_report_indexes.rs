//! Indexes for reports: the figures of a period read paid orders by `paid_at` and new users
//! by `created_at`; exports page through a date range in (`created_at`, `id`) order. Without
//! them both would read whole tables.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Status,
    PaidAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Withdrawals {
    Table,
    Id,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Commissions {
    Table,
    Id,
    CreatedAt,
}

/// (index name, table, columns).
fn indexes() -> Vec<(&'static str, DynIden, Vec<DynIden>)> {
    vec![
        ("ix_orders_paid", Orders::Table.into_iden(), vec![Orders::PaidAt.into_iden(), Orders::Status.into_iden()]),
        (
            "ix_orders_created_id",
            Orders::Table.into_iden(),
            vec![Orders::CreatedAt.into_iden(), Orders::Id.into_iden()],
        ),
        ("ix_users_created", Users::Table.into_iden(), vec![Users::CreatedAt.into_iden()]),
        (
            "ix_ledger_created_id",
            LedgerEntries::Table.into_iden(),
            vec![LedgerEntries::CreatedAt.into_iden(), LedgerEntries::Id.into_iden()],
        ),
        (
            "ix_withdrawals_created_id",
            Withdrawals::Table.into_iden(),
            vec![Withdrawals::CreatedAt.into_iden(), Withdrawals::Id.into_iden()],
        ),
        (
            "ix_commissions_created_id",
            Commissions::Table.into_iden(),
            vec![Commissions::CreatedAt.into_iden(), Commissions::Id.into_iden()],
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
