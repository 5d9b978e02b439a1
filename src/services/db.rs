//! Opening the database and bringing its schema up to date.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement, TransactionTrait,
};

/// Connects to `url` (`sqlite://…` or `postgres://…`) and runs pending migrations.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let (url, synchronous) = crate::config::sqlite_synchronous(url).map_err(DbErr::Custom)?;
    let url = url.as_str();
    let mut options = ConnectOptions::new(url);
    options.connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30)).sqlx_logging(false);
    if !url.starts_with("sqlite:") {
        options.max_connections(10);
    }
    if let Some(synchronous) = synchronous {
        options.map_sqlx_sqlite_opts(move |sqlite| sqlite.synchronous(synchronous));
    }
    // SQLite keeps SeaORM's default of one pooled connection: writers are serialised by the
    // pool instead of failing with SQLITE_BUSY, and an open transaction is never starved.
    let db = Database::connect(options).await?;
    if url.starts_with("sqlite:") {
        // Write-ahead logging: one sync per commit instead of several, and readers (a backup,
        // the dashboard) never wait for a writer. It stays set in the file.
        db.execute_unprepared("PRAGMA journal_mode=WAL").await?;
    }
    migrate(&db).await?;
    Ok(db)
}

/// Our own key for the migration lock ("ottsmig" in ASCII).
const MIGRATION_LOCK: i64 = 0x006f_7474_736d_6967;

/// Runs pending migrations. On PostgreSQL several instances may start at once: each takes a
/// transaction-level advisory lock first (released at commit, so it is safe with a pool; the
/// non-blocking form, retried, so no pooled connection waits on a lock), and one migrates
/// while the others wait and then find nothing pending.
async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    loop {
        let txn = db.begin().await?;
        let locked = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_try_advisory_xact_lock({MIGRATION_LOCK}) AS locked"),
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "locked"))
            .transpose()?
            .unwrap_or(false);
        if locked {
            Migrator::up(&txn, None).await?;
            return txn.commit().await;
        }
        txn.rollback().await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn synchronous_of(db: &DatabaseConnection) -> i64 {
        let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA synchronous")).await.unwrap();
        row.unwrap().try_get_by_index::<i64>(0).unwrap()
    }

    #[tokio::test]
    async fn a_sqlite_url_may_ask_for_synchronous_normal() {
        let dir = tempfile::tempdir().unwrap();
        let url = |name: &str, extra: &str| format!("sqlite://{}?mode=rwc{extra}", dir.path().join(name).display());
        // SQLite's own numbers: 2 is FULL, 1 is NORMAL.
        assert_eq!(synchronous_of(&connect_and_migrate(&url("full.db", "")).await.unwrap()).await, 2);
        let normal = connect_and_migrate(&url("normal.db", "&synchronous=normal")).await.unwrap();
        assert_eq!(synchronous_of(&normal).await, 1);
        assert!(connect_and_migrate(&url("bad.db", "&synchronous=off")).await.is_err());
    }
}
