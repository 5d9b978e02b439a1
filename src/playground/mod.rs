//! `ottsonly playground [--demo]`: the real bot, with no token and no Telegram, against a
//! built-in Bot API stand-in, and a chat page at `/playground` where one person can be a
//! customer, a second customer or the owner. Nothing in the bot is special-cased: the
//! stand-in speaks the Bot API (and Razorpay's API) over HTTP as the real ones do, and
//! refuses what they would refuse.
pub mod bot_api;
mod page;
pub mod razorpay;
mod render;
pub mod rules;

use sea_orm::{EntityTrait, PaginatorTrait};

use crate::app::{self, StartupError};
use crate::config::{Config, ConfigError};
use bot_api::{BotApi, Persona};

/// `playground` or `playground --demo`; None when the arguments are not the playground's.
pub fn parse_args(args: &[String]) -> Option<Result<bool, String>> {
    match args {
        [first, rest @ ..] if first == "playground" => Some(match rest {
            [] => Ok(false),
            [flag] if flag == "--demo" => Ok(true),
            _ => Err("usage: ottsonly playground [--demo]".to_owned()),
        }),
        _ => None,
    }
}

pub const CUSTOMER: i64 = 3_001;
pub const SECOND_CUSTOMER: i64 = 3_002;
pub const OWNER: i64 = crate::demo::OWNER;

pub fn personas() -> Vec<Persona> {
    vec![
        Persona { id: CUSTOMER, first_name: "Riya".into(), role: "customer" },
        Persona { id: SECOND_CUSTOMER, first_name: "Kabir".into(), role: "second customer" },
        Persona { id: OWNER, first_name: "Owner".into(), role: "owner" },
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum PlaygroundError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("cannot start the Bot API stand-in: {0}")]
    Standin(std::io::Error),
    #[error("cannot make a temporary database: {0}")]
    TempDir(std::io::Error),
    #[error("cannot seed the demo shop: {0}")]
    Seed(sea_orm::DbErr),
}

/// The environment as the playground's bot sees it: the real one, with Telegram, the
/// gateways and the staff replaced by the stand-ins and the personas.
fn playground_env(key: &str, standin: &str, database_url: &str, public_url: Option<&str>) -> Option<String> {
    match key {
        // The first reading, which finds where we listen, has UPI off: it needs PUBLIC_URL.
        "UPI_VPA" if public_url.is_none() => None,
        "PUBLIC_URL" => public_url.map(str::to_owned),
        "TELOXIDE_TOKEN" => Some("playground:token".into()),
        "TELEGRAM_API_URL" => Some(standin.into()),
        "DATABASE_URL" => Some(database_url.into()),
        "ADMIN_IDS" => Some(OWNER.to_string()),
        "UPI_VPA" => Some("playground.shop@okaxis".into()),
        "UPI_PAYEE_NAME" => Some("Playground Shop".into()),
        "RAZORPAY_KEY_ID" => Some(razorpay::KEY_ID.into()),
        "RAZORPAY_KEY_SECRET" => Some(razorpay::KEY_SECRET.into()),
        "RAZORPAY_WEBHOOK_SECRET" => Some(razorpay::WEBHOOK_SECRET.into()),
        "RAZORPAY_API_URL" => Some(standin.into()),
        // Staff alerts and tickets go to the owner persona; updates come by polling.
        "ADMIN_CHAT_ID" | "SUPPORT_CHAT_ID" | "TELEGRAM_WEBHOOK_URL" | "TELEGRAM_RATE_SCALE" | "BACKUP_DIR" => None,
        other => std::env::var(other).ok(),
    }
}

pub async fn run(demo: bool) -> Result<(), PlaygroundError> {
    // A temporary SQLite database unless DATABASE_URL names one.
    let temp = tempfile::tempdir().map_err(PlaygroundError::TempDir)?;
    let database_url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", temp.path().join("playground.db").display()));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(PlaygroundError::Standin)?;
    let standin = format!("http://{}", listener.local_addr().map_err(PlaygroundError::Standin)?);
    let path = std::env::var("OTTSONLY_CONFIG").unwrap_or_else(|_| "config.toml".into());
    let path = std::path::Path::new(&path);
    let first = Config::load(path, |key| playground_env(key, &standin, &database_url, None))?;
    let page_base = format!("http://{}", loopback(first.http_addr));
    let mut config = Config::load(path, |key| playground_env(key, &standin, &database_url, Some(&page_base)))?;
    // Stars are on in the playground, so an invoice can be tried.
    config.payments.stars_per_rupee.get_or_insert(rust_decimal::Decimal::ONE);

    let api = BotApi::new(personas());
    let rzp = razorpay::Razorpay::new(format!("{page_base}/playground/razorpay"));
    let standin_routes = api.router().merge(rzp.router());
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, standin_routes).await {
            log::error!("the Bot API stand-in stopped: {err}");
        }
    });

    if demo {
        seed(&database_url).await?;
    }
    let shop_name = config.shop_name.clone();
    let upi_vpa = config.payments.upi.as_ref().map(|u| u.vpa.clone()).unwrap_or_default();
    let webhook_url = format!("{page_base}/webhooks/razorpay");
    let where_db = if std::env::var("DATABASE_URL").is_ok() { "DATABASE_URL" } else { "a temporary SQLite file" };
    println!(
        "\nottsonly playground{}: open {page_base}/playground (database: {where_db}; Ctrl-C stops)\n",
        if demo { " with the demo shop" } else { "" }
    );
    let routes: app::ExtraRoutes = Box::new(move |db| {
        page::router(page::PageState {
            api,
            razorpay: rzp,
            db,
            webhook_url,
            webhook_secret: razorpay::WEBHOOK_SECRET.into(),
            demo,
            shop_name,
            upi_vpa,
            http: reqwest::Client::new(),
        })
    });
    app::run_with(config, Some(routes)).await?;
    drop(temp);
    Ok(())
}

/// Where a browser on this machine reaches an address we listen on.
fn loopback(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

/// The demo shop, into an empty database only.
async fn seed(database_url: &str) -> Result<(), PlaygroundError> {
    let db = crate::services::db::connect_and_migrate(database_url).await.map_err(PlaygroundError::Seed)?;
    let people = crate::entities::user::Entity::find().count(&db).await.map_err(PlaygroundError::Seed)?;
    if people > 0 {
        log::warn!("the database has {people} people already: the demo shop is not seeded into it");
    } else {
        crate::demo::seed(&db, chrono::Utc::now()).await.map_err(PlaygroundError::Seed)?;
        log::info!("demo shop seeded");
    }
    db.close().await.map_err(PlaygroundError::Seed)?;
    Ok(())
}
