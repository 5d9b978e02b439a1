//! Users, catalogue, stock, orders, subscriptions, wallet ledger, settings, audit log and
//! dialogue state. Money columns are BIGINT paise.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TelegramId,
    Username,
    FirstName,
    LastName,
    LanguageCode,
    ReferralCode,
    ReferredBy,
    Role,
    IsBlocked,
    Balance,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    Name,
    Description,
    Price,
    Cost,
    DurationDays,
    IsActive,
    SortOrder,
    SourceKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockItems {
    Table,
    Id,
    PlanId,
    Credential,
    Status,
    OrderId,
    CreatedAt,
    AssignedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    UserId,
    PlanId,
    Price,
    Cost,
    Status,
    PaymentMethod,
    CheckoutKey,
    CreatedAt,
    PaidAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    UserId,
    PlanId,
    OrderId,
    StockItemId,
    StartsAt,
    EndsAt,
    Status,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    UserId,
    Amount,
    BalanceAfter,
    Kind,
    Reference,
    IdempotencyKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorTelegramId,
    Action,
    Target,
    Details,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DialogueStates {
    Table,
    ChatId,
    State,
    UpdatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Restrict).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_auto(Users::Id))
                .col(big_integer_uniq(Users::TelegramId))
                .col(string_null(Users::Username))
                .col(string(Users::FirstName))
                .col(string_null(Users::LastName))
                .col(string_null(Users::LanguageCode))
                .col(string_uniq(Users::ReferralCode))
                .col(integer_null(Users::ReferredBy))
                .col(string(Users::Role).default("user"))
                .col(boolean(Users::IsBlocked).default(false))
                .col(big_integer(Users::Balance).default(0))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_users_referred_by",
                    (Users::Table, Users::ReferredBy),
                    (Users::Table, Users::Id),
                ))
                .check(Expr::col(Users::Balance).gte(0))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Plans::Table)
                .col(pk_auto(Plans::Id))
                .col(string(Plans::Name))
                .col(text(Plans::Description).default(""))
                .col(big_integer(Plans::Price))
                .col(big_integer(Plans::Cost))
                .col(integer(Plans::DurationDays))
                .col(boolean(Plans::IsActive).default(true))
                .col(integer(Plans::SortOrder).default(0))
                // The admin message that created the plan: a replayed update creates nothing.
                .col(string_null(Plans::SourceKey).unique_key())
                .col(timestamp_with_time_zone(Plans::CreatedAt))
                .check(Expr::col(Plans::Price).gt(0))
                .check(Expr::col(Plans::Cost).gte(0))
                .check(Expr::col(Plans::DurationDays).gt(0))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Orders::Table)
                .col(pk_auto(Orders::Id))
                .col(integer(Orders::UserId))
                .col(integer(Orders::PlanId))
                .col(big_integer(Orders::Price))
                .col(big_integer(Orders::Cost))
                .col(string(Orders::Status))
                .col(string(Orders::PaymentMethod))
                // Set while the order waits for confirmation, NULL afterwards: at most one open
                // checkout per user and plan, so two confirm screens cannot make two orders.
                .col(string_null(Orders::CheckoutKey).unique_key())
                .col(timestamp_with_time_zone(Orders::CreatedAt))
                .col(timestamp_with_time_zone_null(Orders::PaidAt))
                .col(timestamp_with_time_zone(Orders::UpdatedAt))
                .foreign_key(&mut fk("fk_orders_user", (Orders::Table, Orders::UserId), (Users::Table, Users::Id)))
                .foreign_key(&mut fk("fk_orders_plan", (Orders::Table, Orders::PlanId), (Plans::Table, Plans::Id)))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockItems::Table)
                .col(pk_auto(StockItems::Id))
                .col(integer(StockItems::PlanId))
                .col(text(StockItems::Credential))
                .col(string(StockItems::Status))
                .col(integer_null(StockItems::OrderId).unique_key())
                .col(timestamp_with_time_zone(StockItems::CreatedAt))
                .col(timestamp_with_time_zone_null(StockItems::AssignedAt))
                .foreign_key(&mut fk(
                    "fk_stock_plan",
                    (StockItems::Table, StockItems::PlanId),
                    (Plans::Table, Plans::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_stock_order",
                    (StockItems::Table, StockItems::OrderId),
                    (Orders::Table, Orders::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_stock_plan_credential")
                .table(StockItems::Table)
                .col(StockItems::PlanId)
                .col(StockItems::Credential)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_stock_plan_status")
                .table(StockItems::Table)
                .col(StockItems::PlanId)
                .col(StockItems::Status)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Subscriptions::Table)
                .col(pk_auto(Subscriptions::Id))
                .col(integer(Subscriptions::UserId))
                .col(integer(Subscriptions::PlanId))
                .col(integer_uniq(Subscriptions::OrderId))
                .col(integer_uniq(Subscriptions::StockItemId))
                .col(timestamp_with_time_zone(Subscriptions::StartsAt))
                .col(timestamp_with_time_zone(Subscriptions::EndsAt))
                .col(string(Subscriptions::Status))
                .foreign_key(&mut fk(
                    "fk_subs_user",
                    (Subscriptions::Table, Subscriptions::UserId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_subs_plan",
                    (Subscriptions::Table, Subscriptions::PlanId),
                    (Plans::Table, Plans::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_subs_order",
                    (Subscriptions::Table, Subscriptions::OrderId),
                    (Orders::Table, Orders::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_subs_stock",
                    (Subscriptions::Table, Subscriptions::StockItemId),
                    (StockItems::Table, StockItems::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_subs_user").table(Subscriptions::Table).col(Subscriptions::UserId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LedgerEntries::Table)
                .col(pk_auto(LedgerEntries::Id))
                .col(integer(LedgerEntries::UserId))
                .col(big_integer(LedgerEntries::Amount))
                .col(big_integer(LedgerEntries::BalanceAfter))
                .col(string(LedgerEntries::Kind))
                .col(string(LedgerEntries::Reference))
                .col(string_uniq(LedgerEntries::IdempotencyKey))
                .col(timestamp_with_time_zone(LedgerEntries::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_ledger_user",
                    (LedgerEntries::Table, LedgerEntries::UserId),
                    (Users::Table, Users::Id),
                ))
                .check(Expr::col(LedgerEntries::BalanceAfter).gte(0))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ledger_user")
                .table(LedgerEntries::Table)
                .col(LedgerEntries::UserId)
                .col(LedgerEntries::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(string(Settings::Key).primary_key())
                .col(text(Settings::Value))
                .col(timestamp_with_time_zone(Settings::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(pk_auto(AuditLog::Id))
                .col(big_integer(AuditLog::ActorTelegramId))
                .col(string(AuditLog::Action))
                .col(string(AuditLog::Target))
                .col(text(AuditLog::Details))
                .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DialogueStates::Table)
                .col(big_integer(DialogueStates::ChatId).primary_key())
                .col(text(DialogueStates::State))
                .col(timestamp_with_time_zone(DialogueStates::UpdatedAt))
                .to_owned(),
        )
        .await?;

        // Ledger rows are append-only: the database itself refuses to change or remove them.
        let backend = m.get_database_backend();
        let db = m.get_connection();
        match backend {
            sea_orm::DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'ledger_entries is append-only'; END; $$ LANGUAGE plpgsql;",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries \
                     FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries \
                     BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries \
                     BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            m.get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS ledger_entries_append_only() CASCADE")
                .await?;
        }
        for table in [
            DialogueStates::Table.into_iden(),
            AuditLog::Table.into_iden(),
            Settings::Table.into_iden(),
            LedgerEntries::Table.into_iden(),
            Subscriptions::Table.into_iden(),
            StockItems::Table.into_iden(),
            Orders::Table.into_iden(),
            Plans::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
