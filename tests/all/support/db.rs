//! Test databases: a fresh SQLite file always, and a fresh PostgreSQL database when
//! TEST_DATABASE_URL is set. Every test runs its body once per backend.
use rand::Rng;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use ottsonly::services::db::connect_and_migrate;

pub struct TestDb {
    pub conn: DatabaseConnection,
    pub url: String,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// (server URL, database name) of a PostgreSQL database to drop afterwards.
    drop_after: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.drop_after.take() else { return };
        // Drop runs outside async context: a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let conn = connect_and_migrate(&url).await.expect("sqlite test db");
        TestDb { conn, url, backend: "sqlite", _dir: Some(dir), drop_after: None }
    }

    /// A new, empty PostgreSQL database next to the one TEST_DATABASE_URL names.
    pub async fn postgres(admin_url: &str) -> TestDb {
        let admin = Database::connect(admin_url).await.expect("connect TEST_DATABASE_URL");
        let name = format!("ottsonly_t_{:016x}", rand::rng().random::<u64>());
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        let _ = admin.close().await;
        let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let conn = connect_and_migrate(&url).await.expect("postgres test db");
        TestDb { conn, url, backend: "postgres", _dir: None, drop_after: Some((admin_url.to_owned(), name)) }
    }

    /// Opens another connection pool to the same database (a process restart).
    pub async fn reconnect(&self) -> DatabaseConnection {
        connect_and_migrate(&self.url).await.expect("reconnect")
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.trim().is_empty())
}

/// SQLite, plus PostgreSQL when TEST_DATABASE_URL is set.
pub async fn all() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite().await];
    if let Some(url) = postgres_url() {
        dbs.push(TestDb::postgres(&url).await);
    }
    dbs
}

/// PostgreSQL only: writes to one table held back by a transaction on a connection of its
/// own (`LOCK TABLE … IN EXCLUSIVE MODE`: reads go on, INSERT/UPDATE/DELETE wait), until
/// released. A test uses it to stop a transaction just before its next write to that table,
/// and runs another transaction to its end at exactly that point: a race made certain.
pub struct WriteGate {
    txn: sea_orm::DatabaseTransaction,
    _pool: DatabaseConnection,
}

impl WriteGate {
    pub async fn release(self) {
        self.txn.rollback().await.expect("release the write gate");
    }
}

impl TestDb {
    pub async fn hold_writes(&self, table: &str) -> WriteGate {
        use sea_orm::TransactionTrait;
        assert_eq!(self.backend, "postgres", "write gates are for PostgreSQL");
        let pool = Database::connect(&self.url).await.expect("gate connection");
        let txn = pool.begin().await.expect("gate transaction");
        txn.execute_unprepared(&format!("LOCK TABLE {table} IN EXCLUSIVE MODE")).await.expect("lock table");
        WriteGate { txn, _pool: pool }
    }

    /// PostgreSQL only: waits until at least `n` sessions of this database wait for a lock.
    pub async fn wait_for_lock_waiters(&self, n: i64) {
        let sql = "SELECT count(*) AS waiting FROM pg_stat_activity \
                   WHERE datname = current_database() AND wait_event_type = 'Lock'";
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let row = self
                .conn
                .query_one_raw(sea_orm::Statement::from_string(sea_orm::DatabaseBackend::Postgres, sql))
                .await
                .expect("pg_stat_activity")
                .expect("a row");
            let waiting: i64 = row.try_get("", "waiting").expect("count");
            if waiting >= n {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {n} lock waiter(s), {waiting} now");
            // Polling the server's view of its sessions: nothing to be notified by.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}
