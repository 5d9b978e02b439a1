use sea_orm::DatabaseConnection;

/// Whether the database answers.
pub async fn database_ok(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}
