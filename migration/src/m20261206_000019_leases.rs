//! Leases: work only one instance should do at a time (reporting stock in metrics) is held by
//! name until `until`, renewed by its holder, and taken over by another once it runs out.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Leases {
    Table,
    Name,
    Holder,
    Until,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Leases::Table)
                .col(string(Leases::Name).primary_key())
                .col(string(Leases::Holder))
                .col(timestamp_with_time_zone(Leases::Until))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Leases::Table).to_owned()).await
    }
}
