//! Broadcasts: an admin's announcement to an audience of customers. One row per broadcast
//! (queued, running, paused, cancelled or done; one runs at a time) and one per recipient,
//! written when it is confirmed (unique per broadcast and user), so a restart resumes where
//! it stopped and nobody is sent it twice.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Broadcasts {
    Table,
    Id,
    CreatedBy,
    Text,
    PhotoFileId,
    ButtonText,
    ButtonUrl,
    Audience,
    Status,
    Total,
    ProgressChatId,
    ProgressMessageId,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum BroadcastRecipients {
    Table,
    Id,
    BroadcastId,
    UserId,
    ChatId,
    Status,
    Attempts,
    NextAttemptAt,
    Error,
    SentAt,
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
                .table(Broadcasts::Table)
                .col(pk_auto(Broadcasts::Id))
                .col(big_integer(Broadcasts::CreatedBy))
                .col(text(Broadcasts::Text))
                .col(string_null(Broadcasts::PhotoFileId))
                .col(string_null(Broadcasts::ButtonText))
                .col(string_null(Broadcasts::ButtonUrl))
                .col(string(Broadcasts::Audience))
                .col(string(Broadcasts::Status))
                .col(integer(Broadcasts::Total))
                .col(big_integer_null(Broadcasts::ProgressChatId))
                .col(integer_null(Broadcasts::ProgressMessageId))
                .col(timestamp_with_time_zone(Broadcasts::CreatedAt))
                .col(timestamp_with_time_zone_null(Broadcasts::StartedAt))
                .col(timestamp_with_time_zone_null(Broadcasts::FinishedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_broadcasts_status").table(Broadcasts::Table).col(Broadcasts::Status).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BroadcastRecipients::Table)
                .col(pk_auto(BroadcastRecipients::Id))
                .col(integer(BroadcastRecipients::BroadcastId))
                .col(integer(BroadcastRecipients::UserId))
                .col(big_integer(BroadcastRecipients::ChatId))
                // pending, sending (handed to Telegram), sent, failed, blocked, unknown (was
                // being sent when the sender stopped: not sent again).
                .col(string(BroadcastRecipients::Status))
                .col(integer(BroadcastRecipients::Attempts))
                .col(timestamp_with_time_zone(BroadcastRecipients::NextAttemptAt))
                .col(text_null(BroadcastRecipients::Error))
                .col(timestamp_with_time_zone_null(BroadcastRecipients::SentAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_broadcast_recipients_broadcast")
                        .from(BroadcastRecipients::Table, BroadcastRecipients::BroadcastId)
                        .to(Broadcasts::Table, Broadcasts::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_broadcast_recipients_user")
                        .from(BroadcastRecipients::Table, BroadcastRecipients::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_broadcast_recipients_user")
                .table(BroadcastRecipients::Table)
                .col(BroadcastRecipients::BroadcastId)
                .col(BroadcastRecipients::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_broadcast_recipients_due")
                .table(BroadcastRecipients::Table)
                .col(BroadcastRecipients::BroadcastId)
                .col(BroadcastRecipients::Status)
                .col(BroadcastRecipients::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(BroadcastRecipients::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Broadcasts::Table).to_owned()).await
    }
}
