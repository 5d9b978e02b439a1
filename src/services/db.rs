//! Opening the database and bringing its schema up to date.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Connects to `url` (`sqlite://…` or `postgres://…`) and runs pending migrations.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options.connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30)).sqlx_logging(false);
    if !url.starts_with("sqlite:") {
        options.max_connections(10);
    }
    // SQLite keeps SeaORM's default of one pooled connection: writers are serialised by the
    // pool instead of failing with SQLITE_BUSY, and an open transaction is never starved.
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}
