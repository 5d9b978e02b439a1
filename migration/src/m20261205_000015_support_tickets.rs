//! Support tickets: a customer's conversation with the shop's helpers, relayed both ways and
//! stored. A customer has at most one open ticket (`open_key`); their next message goes to
//! it, and a new one starts once it is closed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SupportTickets {
    Table,
    Id,
    UserId,
    Status,
    OpenKey,
    Subject,
    CreatedAt,
    UpdatedAt,
    ClosedAt,
    ClosedBy,
}

#[derive(DeriveIden)]
enum SupportMessages {
    Table,
    Id,
    TicketId,
    FromStaff,
    AuthorTelegramId,
    Text,
    PhotoFileId,
    CreatedAt,
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
                .table(SupportTickets::Table)
                .col(pk_auto(SupportTickets::Id))
                .col(integer(SupportTickets::UserId))
                // open, closed.
                .col(string(SupportTickets::Status).default("open"))
                // The customer's id while open, NULL once closed: one open ticket each.
                .col(string_null(SupportTickets::OpenKey).unique_key())
                // The start of the first message, for lists.
                .col(string(SupportTickets::Subject))
                .col(timestamp_with_time_zone(SupportTickets::CreatedAt))
                .col(timestamp_with_time_zone(SupportTickets::UpdatedAt))
                .col(timestamp_with_time_zone_null(SupportTickets::ClosedAt))
                // Telegram id of who closed it: the customer or a staff member.
                .col(big_integer_null(SupportTickets::ClosedBy))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_support_tickets_user")
                        .from(SupportTickets::Table, SupportTickets::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_support_tickets_status")
                .table(SupportTickets::Table)
                .col(SupportTickets::Status)
                .col(SupportTickets::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_support_tickets_user")
                .table(SupportTickets::Table)
                .col(SupportTickets::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SupportMessages::Table)
                .col(pk_auto(SupportMessages::Id))
                .col(integer(SupportMessages::TicketId))
                .col(boolean(SupportMessages::FromStaff))
                .col(big_integer(SupportMessages::AuthorTelegramId))
                .col(text_null(SupportMessages::Text))
                .col(string_null(SupportMessages::PhotoFileId))
                .col(timestamp_with_time_zone(SupportMessages::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_support_messages_ticket")
                        .from(SupportMessages::Table, SupportMessages::TicketId)
                        .to(SupportTickets::Table, SupportTickets::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_support_messages_ticket")
                .table(SupportMessages::Table)
                .col(SupportMessages::TicketId)
                .col(SupportMessages::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SupportMessages::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(SupportTickets::Table).to_owned()).await
    }
}
