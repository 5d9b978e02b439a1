use migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

/// Whether the database answers.
pub async fn database_ok(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Whether this instance can serve: the database answers and every migration it knows of
/// has run (an instance started while another migrates waits until then).
pub async fn ready(db: &DatabaseConnection) -> Readiness {
    if !database_ok(db).await {
        return Readiness::DatabaseDown;
    }
    match Migrator::get_pending_migrations(db).await {
        Ok(pending) if pending.is_empty() => Readiness::Ready,
        Ok(pending) => Readiness::Migrating { pending: pending.len() },
        Err(_) => Readiness::DatabaseDown,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    DatabaseDown,
    Migrating { pending: usize },
}
