//! Help and FAQ: questions and answers staff write in each language, shown as buttons in /help.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FaqEntries {
    Table,
    Id,
    Lang,
    Question,
    Answer,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(FaqEntries::Table)
                .col(pk_auto(FaqEntries::Id))
                .col(string(FaqEntries::Lang))
                .col(string(FaqEntries::Question))
                .col(text(FaqEntries::Answer))
                // Order within the language, from 1.
                .col(integer(FaqEntries::Position))
                .col(timestamp_with_time_zone(FaqEntries::CreatedAt))
                .col(timestamp_with_time_zone(FaqEntries::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_faq_lang_position")
                .table(FaqEntries::Table)
                .col(FaqEntries::Lang)
                .col(FaqEntries::Position)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(FaqEntries::Table).to_owned()).await
    }
}
