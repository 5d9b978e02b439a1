//! Shared by the benches: smoke mode, scratch databases, ratio lines.
#![allow(dead_code)]
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use ottsonly::services::db::connect_and_migrate;

/// `OTTSONLY_BENCH_SMOKE=1`: tiny sizes, seconds to run, so CI can check a bench still runs.
pub fn smoke() -> bool {
    std::env::var("OTTSONLY_BENCH_SMOKE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `big` normally, `small` in smoke mode.
pub fn size<T>(big: T, small: T) -> T {
    if smoke() {
        small
    } else {
        big
    }
}

/// A fresh SQLite file in `dir`, migrated.
pub async fn sqlite(dir: &std::path::Path, name: &str) -> DatabaseConnection {
    let url = format!("sqlite://{}?mode=rwc", dir.join(format!("{name}.db")).display());
    connect_and_migrate(&url).await.expect("sqlite")
}

/// A scratch PostgreSQL database on the server of TEST_DATABASE_URL, created empty (dropped
/// first if a previous run left it); None without TEST_DATABASE_URL.
pub struct Scratch {
    admin: DatabaseConnection,
    pub name: String,
    pub url: String,
}

impl Scratch {
    pub async fn create(name: &str) -> Option<Scratch> {
        let admin_url = std::env::var("TEST_DATABASE_URL").ok()?;
        let admin = Database::connect(&admin_url).await.expect("postgres");
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.expect("drop");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create");
        let mut url = url::Url::parse(&admin_url).expect("url");
        url.set_path(&format!("/{name}"));
        Some(Scratch { admin, name: name.to_owned(), url: url.to_string() })
    }

    pub async fn migrated(&self) -> DatabaseConnection {
        connect_and_migrate(&self.url).await.expect("bench db")
    }

    pub async fn drop(self) {
        self.admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await.ok();
    }
}

/// Events per second.
pub fn rate(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// One result line: `label: what figure unit (reference: ... ) ratio`.
pub fn ratio_line(label: &str, what: &str, ours: f64, reference_name: &str, reference: f64, unit: &str) {
    println!(
        "{label:>8}: {what}: {ours:.1} {unit} vs {reference_name} {reference:.1} {unit}: ratio {:.2}x",
        ours / reference
    );
}
