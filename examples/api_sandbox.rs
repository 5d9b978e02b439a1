//! The admin API and the dashboard over a demo shop, for trying them and for fuzzing the API in
//! CI: `cargo run --example api_sandbox -- sqlite://sandbox.db?mode=rwc 127.0.0.1:8088`
//! prints an owner API token on its first line and a dashboard sign-in link on its second,
//! then serves until stopped. No Telegram needed.
use chrono::Utc;

use ottsonly::entities::user::Role;
use ottsonly::http::{router, HttpState};
use ottsonly::services::tokens::{self, CreateOutcome};
use ottsonly::services::{db, Actor};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "sqlite://sandbox.db?mode=rwc".into());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8088".into());
    let conn = db::connect_and_migrate(&url).await.expect("open the database");
    ottsonly::demo::seed(&conn, Utc::now()).await.expect("seed the demo shop");
    let owner = Actor::new(ottsonly::demo::OWNER, Role::Owner, ottsonly::domain::Lang::En);
    let name = format!("sandbox-{}", Utc::now().timestamp());
    let secret = match tokens::create(&conn, &owner, &name, Role::Owner, Utc::now()).await.expect("token") {
        CreateOutcome::Created { secret, .. } => secret,
        other => panic!("{other:?}"),
    };
    println!("{secret}");
    let link = ottsonly::services::sign_in::create_link(&conn, &owner, Utc::now()).await.expect("a sign-in link");
    println!("http://{addr}/admin/login?token={link}");
    let state = HttpState::new(conn);
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("listen");
    eprintln!("admin API on http://{addr}/api/v1, docs at http://{addr}/api/docs, dashboard at http://{addr}/admin");
    axum::serve(listener, router(state)).await.expect("serve");
}
