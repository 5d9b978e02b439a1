//! The two-person rule: manual credits and debits above `admin.approval_threshold` wait in
//! `approval_requests` for a second owner or admin; withdrawals above
//! `withdrawal.approval_threshold` record their first approver before a second, different one
//! approves them.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApprovalRequests {
    Table,
    Id,
    Kind,
    UserId,
    Amount,
    Reason,
    RequestedBy,
    RequestKey,
    Status,
    DecidedBy,
    DecidedAt,
    DecisionReason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Withdrawals {
    Table,
    FirstApprovedBy,
    FirstApprovedAt,
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
                .table(ApprovalRequests::Table)
                .col(pk_auto(ApprovalRequests::Id))
                // `credit` or `debit`.
                .col(string(ApprovalRequests::Kind))
                // The customer whose wallet it is.
                .col(integer(ApprovalRequests::UserId))
                // Paise, more than zero.
                .col(big_integer(ApprovalRequests::Amount))
                // What the customer reads when it is approved; may be empty.
                .col(text(ApprovalRequests::Reason))
                // Telegram id of the owner or admin who asked.
                .col(big_integer(ApprovalRequests::RequestedBy))
                // The requesting message or event: a replay of it is this request again. An
                // approved request's ledger row is keyed `admin:<request_key>`, the key a direct
                // credit of that message would have had, so one message moves money once.
                .col(string(ApprovalRequests::RequestKey).unique_key())
                // pending, approved, rejected, cancelled.
                .col(string(ApprovalRequests::Status).default("pending"))
                .col(big_integer_null(ApprovalRequests::DecidedBy))
                .col(timestamp_with_time_zone_null(ApprovalRequests::DecidedAt))
                // Why it was rejected.
                .col(text_null(ApprovalRequests::DecisionReason))
                .col(timestamp_with_time_zone(ApprovalRequests::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_approval_requests_user")
                        .from(ApprovalRequests::Table, ApprovalRequests::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_approval_requests_status")
                .table(ApprovalRequests::Table)
                .col(ApprovalRequests::Status)
                .col(ApprovalRequests::Id)
                .to_owned(),
        )
        .await?;
        // Set by the first approval of a withdrawal above the threshold; the second approval
        // (`decided_by`) must come from someone else.
        m.alter_table(
            Table::alter()
                .table(Withdrawals::Table)
                .add_column(big_integer_null(Withdrawals::FirstApprovedBy))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Withdrawals::Table)
                .add_column(timestamp_with_time_zone_null(Withdrawals::FirstApprovedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Withdrawals::Table).drop_column(Withdrawals::FirstApprovedAt).to_owned())
            .await?;
        m.alter_table(Table::alter().table(Withdrawals::Table).drop_column(Withdrawals::FirstApprovedBy).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ApprovalRequests::Table).to_owned()).await
    }
}
