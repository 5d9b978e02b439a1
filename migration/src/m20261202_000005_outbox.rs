//! The outbox (every message to someone other than the person acting), per-user language and
//! reachability, and staff roles beyond admin.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    ChatId,
    UserId,
    Kind,
    Params,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    DedupeKey,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Language,
    UnreachableAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(pk_auto(Outbox::Id))
                .col(big_integer(Outbox::ChatId))
                // The recipient's user row when they have one: their language, reachability.
                .col(integer_null(Outbox::UserId))
                .col(string(Outbox::Kind))
                .col(text(Outbox::Params))
                .col(string(Outbox::Status).default("pending"))
                .col(integer(Outbox::Attempts).default(0))
                .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Outbox::LeaseUntil))
                // Set for messages that must be written at most once (e.g. one sold-out alert
                // per plan per window); NULL for the rest.
                .col(string_null(Outbox::DedupeKey).unique_key())
                .col(text_null(Outbox::LastError))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .col(timestamp_with_time_zone_null(Outbox::SentAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_due")
                .table(Outbox::Table)
                .col(Outbox::Status)
                .col(Outbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_outbox_chat")
                .table(Outbox::Table)
                .col(Outbox::ChatId)
                .col(Outbox::Status)
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(Users::Table).add_column(string(Users::Language).default("en")).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(timestamp_with_time_zone_null(Users::UnreachableAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::UnreachableAt).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::Language).to_owned()).await?;
        m.drop_table(Table::drop().table(Outbox::Table).to_owned()).await
    }
}
