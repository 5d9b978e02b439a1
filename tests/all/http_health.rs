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
        };
        let base = serve(state).await;
        let ok = reqwest::get(format!("{base}/health")).await.unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.json::<serde_json::Value>().await.unwrap(), serde_json::json!({ "status": "ok" }));

        db.conn.clone().close().await.unwrap();
        let down = reqwest::get(format!("{base}/health")).await.unwrap();
        assert_eq!(down.status(), 503, "{}", db.backend);

        let missing = reqwest::get(format!("{base}/nope")).await.unwrap();
        assert_eq!(missing.status(), 404);
    }
}
