//! The admin API: bearer tokens (stored hashed), idempotency keys for POSTs, and how each
//! audited act arrived (chat, a token, the dashboard).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    Role,
    TokenHash,
    Prefix,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    TokenId,
    Key,
    Fingerprint,
    Status,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Via,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(pk_auto(ApiTokens::Id))
                .col(string(ApiTokens::Name).unique_key())
                .col(string(ApiTokens::Role))
                // SHA-256 of the token, hex: the token itself is shown once and never stored.
                .col(string(ApiTokens::TokenHash).unique_key())
                // The token's first characters, to tell tokens apart in lists.
                .col(string(ApiTokens::Prefix))
                .col(big_integer(ApiTokens::CreatedBy))
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(pk_auto(IdempotencyKeys::Id))
                .col(integer(IdempotencyKeys::TokenId))
                .col(string(IdempotencyKeys::Key))
                // Method, path and body of the first request: a key reused for another request
                // is refused rather than answered with the wrong result.
                .col(string(IdempotencyKeys::Fingerprint))
                // NULL while the first request is still running.
                .col(integer_null(IdempotencyKeys::Status))
                .col(text_null(IdempotencyKeys::Body))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_idempotency_token_key")
                .table(IdempotencyKeys::Table)
                .col(IdempotencyKeys::TokenId)
                .col(IdempotencyKeys::Key)
                .unique()
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(AuditLog::Table).add_column(string_null(AuditLog::Via)).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(AuditLog::Table).drop_column(AuditLog::Via).to_owned()).await?;
        m.drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(ApiTokens::Table).to_owned()).await
    }
}
