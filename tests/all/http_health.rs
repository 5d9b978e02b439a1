use migration::{Migrator, MigratorTrait};
use ottsonly::http::{router, HttpState};

use crate::support::db;

async fn serve(state: HttpState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn health_follows_the_database() {
    for db in db::all().await {
        let state = HttpState {
            db: db.conn.clone(),
            razorpay_webhook_secret: None,
            outbox_wake: Default::default(),
            upi: None,
            telegram: None,
            dashboard: Default::default(),
            metrics_token: None,
            telegram_webhook: Default::default(),
        };
        let base = serve(state).await;
        let ok = reqwest::get(format!("{base}/health")).await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.json::<serde_json::Value>().await.unwrap(), serde_json::json!({ "status": "ok" }));
        let ready = reqwest::get(format!("{base}/health/ready")).await.unwrap();
        assert_eq!(ready.status(), 200);
        assert_eq!(ready.json::<serde_json::Value>().await.unwrap(), serde_json::json!({ "status": "ready" }));

        // A migration not yet run (another instance is migrating): not ready, but alive.
        Migrator::down(&db.conn, Some(1)).await.unwrap();
        let migrating = reqwest::get(format!("{base}/health/ready")).await.unwrap();
        assert_eq!(migrating.status(), 503, "{}", db.backend);
        assert_eq!(migrating.json::<serde_json::Value>().await.unwrap()["pending_migrations"], 1);
        assert_eq!(reqwest::get(format!("{base}/health/live")).await.unwrap().status(), 200);
        Migrator::up(&db.conn, None).await.unwrap();
        assert_eq!(reqwest::get(format!("{base}/health/ready")).await.unwrap().status(), 200);

        db.conn.clone().close().await.unwrap();
        let down = reqwest::get(format!("{base}/health")).await.unwrap();
        assert_eq!(down.status(), 503, "{}", db.backend);
        assert_eq!(reqwest::get(format!("{base}/health/ready")).await.unwrap().status(), 503);
        let live = reqwest::get(format!("{base}/health/live")).await.unwrap();
        assert_eq!(live.status(), 200, "alive while the database is down");

        let missing = reqwest::get(format!("{base}/nope")).await.unwrap();
        assert_eq!(missing.status(), 404);
    }
}
