//! Configuration: `config.toml` for non-secret defaults, environment variables on top.
//! Secrets (the bot token) come only from the environment.
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;

#[cfg(test)]
use crate::domain::Money;

use serde::Deserialize;
use url::Url;

mod payments;
mod send_limits;
mod webhook;

pub use payments::{PaymentsConfig, RazorpayConfig, UpiConfig, DEFAULT_RAZORPAY_API_URL};
pub use send_limits::SendLimits;
pub use webhook::WebhookConfig;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://ottsonly.db?mode=rwc";
pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";

#[derive(Clone)]
pub struct Config {
    pub telegram_token: String,
    pub telegram_api_url: Url,
    pub database_url: String,
    pub http_addr: SocketAddr,
    pub admin_ids: BTreeSet<i64>,
    /// Where admin alerts go; `None` means every admin in a private chat.
    pub admin_chat_id: Option<i64>,
    /// Who customers contact, shown in /help; None shows a generic phrase from locales/.
    pub support_contact: Option<String>,
    /// Where support tickets and login reports go; `None` means each support member, admin
    /// and owner privately.
    pub support_chat_id: Option<i64>,
    pub shop_name: String,
    /// How long a dashboard sign-in lasts (`admin.session_hours`, ADMIN_SESSION_HOURS).
    pub session_hours: u32,
    /// Days before a subscription ends that its reminders go out (`reminders.days_before`,
    /// REMINDERS_DAYS_BEFORE), largest first.
    pub reminder_days: Vec<u32>,
    pub payments: PaymentsConfig,
    pub send_limits: SendLimits,
    /// Bearer token `GET /metrics` asks for (METRICS_TOKEN, a secret); None: open.
    pub metrics_token: Option<String>,
    /// Set (TELEGRAM_WEBHOOK_URL): Telegram posts updates to us instead of long polling.
    pub telegram_webhook: Option<WebhookConfig>,
    /// BACKUP_DIR: a daily backup is written there (and sent to the owners); None: off.
    pub backup_dir: Option<std::path::PathBuf>,
    /// BACKUP_KEEP: how many daily backups stay on disk.
    pub backup_keep: usize,
    /// How long a stop waits for the updates in hand (`shutdown.grace_seconds`,
    /// SHUTDOWN_GRACE_SECONDS).
    pub shutdown_grace: std::time::Duration,
}

/// Shown in logs and panics: the bot token (and a database password) never are. The
/// exhaustive pattern makes a new field a compile error here until it is decided whether it
/// may be printed.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Config {
            telegram_token: _,
            telegram_api_url,
            database_url,
            http_addr,
            admin_ids,
            admin_chat_id,
            support_contact,
            support_chat_id,
            shop_name,
            session_hours,
            reminder_days,
            payments,
            send_limits,
            metrics_token,
            telegram_webhook,
            backup_dir,
            backup_keep,
            shutdown_grace,
        } = self;
        f.debug_struct("Config")
            .field("telegram_token", &REDACTED)
            .field("telegram_api_url", &telegram_api_url.as_str())
            .field("database_url", &without_password(database_url))
            .field("http_addr", http_addr)
            .field("admin_ids", admin_ids)
            .field("admin_chat_id", admin_chat_id)
            .field("support_contact", support_contact)
            .field("support_chat_id", support_chat_id)
            .field("shop_name", shop_name)
            .field("session_hours", session_hours)
            .field("reminder_days", reminder_days)
            // Its Razorpay credentials print without the key secret and webhook secret.
            .field("payments", payments)
            .field("metrics_token", &metrics_token.as_ref().map(|_| REDACTED))
            .field("telegram_webhook", telegram_webhook)
            .field("backup_dir", backup_dir)
            .field("backup_keep", backup_keep)
            .field("shutdown_grace", shutdown_grace)
            .field("send_limits", send_limits)
            .finish()
    }
}

/// Printed (as a bare word) in place of a secret.
struct Redacted;

const REDACTED: Redacted = Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:<redacted>@host/db`; other URLs as they are.
fn without_password(database_url: &str) -> String {
    match Url::parse(database_url) {
        Ok(url) if url.password().is_some() => {
            let (scheme, host) = (url.scheme(), &url[url::Position::BeforeHost..]);
            format!("{scheme}://{}:<redacted>@{host}", url.username())
        }
        _ => database_url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} is not set: export {0}=<token from @BotFather>")]
    Missing(&'static str),
    #[error("invalid {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
    #[error("cannot read config file {path}: {reason}")]
    File { path: String, reason: String },
}

impl ConfigError {
    fn invalid(key: &'static str, reason: impl ToString) -> Self {
        ConfigError::Invalid { key, reason: reason.to_string() }
    }
}

/// The shape of `config.toml`. Every field is optional; absent means the built-in default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    telegram: TelegramSection,
    #[serde(default)]
    database: DatabaseSection,
    #[serde(default)]
    http: HttpSection,
    #[serde(default)]
    admin: AdminSection,
    #[serde(default)]
    shop: ShopSection,
    #[serde(default)]
    payments: payments::PaymentsSection,
    #[serde(default)]
    reminders: RemindersSection,
    #[serde(default)]
    shutdown: ShutdownSection,
    #[serde(default)]
    broadcast: BroadcastSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BroadcastSection {
    rate_per_sec: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShutdownSection {
    grace_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RemindersSection {
    days_before: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TelegramSection {
    api_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseSection {
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSection {
    addr: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminSection {
    #[serde(default)]
    ids: Vec<i64>,
    chat_id: Option<i64>,
    session_hours: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShopSection {
    name: Option<String>,
    support_contact: Option<String>,
    support_chat_id: Option<i64>,
}

impl Config {
    /// Reads `OTTSONLY_CONFIG` (default `./config.toml`, absent file = defaults) and the process
    /// environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        let path = std::env::var("OTTSONLY_CONFIG").unwrap_or_else(|_| "config.toml".into());
        Self::load(Path::new(&path), |key| std::env::var(key).ok())
    }

    /// Only the database URL, for the command-line tools (no bot token needed).
    pub fn database_url_from_env() -> Result<String, ConfigError> {
        let path = std::env::var("OTTSONLY_CONFIG").unwrap_or_else(|_| "config.toml".into());
        let file = read_file(Path::new(&path))?;
        let url = std::env::var("DATABASE_URL")
            .ok()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .or(file.database.url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        validate_database_url(&url)?;
        Ok(url)
    }

    /// `env` looks a variable up; tests pass a map instead of the process environment.
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let file = read_file(path)?;
        let env = |key: &str| env(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let telegram_token = env("TELOXIDE_TOKEN").ok_or(ConfigError::Missing("TELOXIDE_TOKEN"))?;

        let api_url =
            env("TELEGRAM_API_URL").or(file.telegram.api_url).unwrap_or_else(|| DEFAULT_TELEGRAM_API_URL.into());
        let telegram_api_url = Url::parse(&api_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| ConfigError::invalid("TELEGRAM_API_URL", format!("{api_url:?} is not an http(s) URL")))?;

        let database_url = env("DATABASE_URL").or(file.database.url).unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        validate_database_url(&database_url)?;

        let http_addr = env("HTTP_ADDR").or(file.http.addr).unwrap_or_else(|| DEFAULT_HTTP_ADDR.into());
        let http_addr = http_addr.parse::<SocketAddr>().map_err(|_| {
            ConfigError::invalid("HTTP_ADDR", format!("{http_addr:?} is not host:port, e.g. 127.0.0.1:8080"))
        })?;

        let admin_ids = match env("ADMIN_IDS") {
            Some(list) => parse_ids(&list)?,
            None => file.admin.ids.into_iter().collect(),
        };

        let admin_chat_id = match env("ADMIN_CHAT_ID") {
            Some(id) => Some(
                id.parse::<i64>()
                    .map_err(|_| ConfigError::invalid("ADMIN_CHAT_ID", format!("{id:?} is not a chat id")))?,
            ),
            None => file.admin.chat_id,
        };

        let session_hours = match env("ADMIN_SESSION_HOURS") {
            Some(hours) => hours.parse::<u32>().ok().filter(|h| (1..=720).contains(h)).ok_or_else(|| {
                ConfigError::invalid("ADMIN_SESSION_HOURS", format!("{hours:?} is not a number of hours from 1 to 720"))
            })?,
            None => match file.admin.session_hours {
                Some(hours) if !(1..=720).contains(&hours) => {
                    return Err(ConfigError::invalid("admin.session_hours", format!("{hours} is not 1 to 720 hours")));
                }
                hours => hours.unwrap_or(crate::services::sign_in::DEFAULT_SESSION_HOURS),
            },
        };

        let days = env("REMINDERS_DAYS_BEFORE").or(file.reminders.days_before).unwrap_or_else(|| "3,1".into());
        let reminder_days = crate::domain::reminder::parse_days(&days).ok_or_else(|| {
            ConfigError::invalid(
                "REMINDERS_DAYS_BEFORE",
                format!("{days:?} is not a list of days from 1 to 30, e.g. 3,1"),
            )
        })?;

        let support_contact = env("SUPPORT_CONTACT").or(file.shop.support_contact);
        let support_chat_id = match env("SUPPORT_CHAT_ID") {
            Some(id) => Some(
                id.parse::<i64>()
                    .map_err(|_| ConfigError::invalid("SUPPORT_CHAT_ID", format!("{id:?} is not a chat id")))?,
            ),
            None => file.shop.support_chat_id,
        };

        let shop_name = env("SHOP_NAME").or(file.shop.name).unwrap_or_else(|| "OTTsOnly".into());

        let payments = PaymentsConfig::load(file.payments, &env)?;
        let grace = match env("SHUTDOWN_GRACE_SECONDS") {
            Some(n) => n.parse::<u64>().ok().filter(|n| (1..=300).contains(n)).ok_or_else(|| {
                ConfigError::invalid("SHUTDOWN_GRACE_SECONDS", format!("{n:?} is not a number from 1 to 300"))
            })?,
            None => match file.shutdown.grace_seconds {
                Some(n) if (1..=300).contains(&n) => n,
                Some(n) => {
                    return Err(ConfigError::invalid("shutdown.grace_seconds", format!("{n} is not from 1 to 300")));
                }
                None => 10,
            },
        };
        let shutdown_grace = std::time::Duration::from_secs(grace);
        let backup_keep =
            match env("BACKUP_KEEP") {
                None => 7,
                Some(n) => n.parse::<usize>().ok().filter(|n| (1..=365).contains(n)).ok_or_else(|| {
                    ConfigError::invalid("BACKUP_KEEP", format!("{n:?} is not a number from 1 to 365"))
                })?,
            };
        let telegram_webhook = WebhookConfig::load(&env, &telegram_token, payments.public_url.as_ref())?;
        let send_limits = send_limits(&env, file.broadcast, &telegram_api_url)?;
        Ok(Config {
            telegram_token,
            telegram_api_url,
            database_url,
            http_addr,
            admin_ids,
            admin_chat_id,
            support_contact,
            support_chat_id,
            shop_name,
            session_hours,
            reminder_days,
            payments,
            send_limits,
            metrics_token: env("METRICS_TOKEN"),
            telegram_webhook,
            backup_dir: env("BACKUP_DIR").map(std::path::PathBuf::from),
            backup_keep,
            shutdown_grace,
        })
    }
}

/// Telegram's limits, with `broadcast.rate_per_sec` (BROADCAST_RATE_PER_SEC, 1 to 30) and,
/// against a local stand-in only, TELEGRAM_RATE_SCALE.
fn send_limits(
    env: &impl Fn(&str) -> Option<String>,
    file: BroadcastSection,
    api_url: &Url,
) -> Result<SendLimits, ConfigError> {
    use crate::domain::broadcast::{DEFAULT_RATE_PER_SEC, MAX_RATE_PER_SEC};
    let valid = |n: u32| (1..=MAX_RATE_PER_SEC).contains(&n);
    let rate = match env("BROADCAST_RATE_PER_SEC") {
        Some(n) => n.parse::<u32>().ok().filter(|n| valid(*n)).ok_or_else(|| {
            ConfigError::invalid(
                "BROADCAST_RATE_PER_SEC",
                format!("{n:?} is not a number from 1 to {MAX_RATE_PER_SEC}"),
            )
        })?,
        None => match file.rate_per_sec {
            Some(n) if !valid(n) => {
                return Err(ConfigError::invalid(
                    "broadcast.rate_per_sec",
                    format!("{n} is not from 1 to {MAX_RATE_PER_SEC} (Telegram allows about 30 a second)"),
                ));
            }
            n => n.unwrap_or(DEFAULT_RATE_PER_SEC),
        },
    };
    let limits = SendLimits { broadcast_per_second: rate, ..SendLimits::telegram() };
    let Some(scale) = env("TELEGRAM_RATE_SCALE") else { return Ok(limits) };
    let scale = scale.parse::<u32>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
        ConfigError::invalid("TELEGRAM_RATE_SCALE", format!("{scale:?} is not a number from 1 to 100"))
    })?;
    if api_url.host_str() == Some("api.telegram.org") && scale != 1 {
        return Err(ConfigError::invalid(
            "TELEGRAM_RATE_SCALE",
            String::from("is for a local Bot API stand-in; Telegram itself allows only its own limits"),
        ));
    }
    Ok(limits.scaled(scale))
}

/// `config.toml`, or the defaults when there is none.
fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str::<FileConfig>(&text)
            .map_err(|e| ConfigError::File { path: path.display().to_string(), reason: e.message().to_owned() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(ConfigError::File { path: path.display().to_string(), reason: e.to_string() }),
    }
}

fn validate_database_url(database_url: &str) -> Result<(), ConfigError> {
    let invalid =
        || ConfigError::invalid("DATABASE_URL", "expected sqlite://<file>?mode=rwc or postgres://user@host/db");
    if database_url.starts_with("sqlite:") {
        return sqlite_synchronous(database_url).map(|_| ()).map_err(|why| ConfigError::invalid("DATABASE_URL", why));
    }
    let url = Url::parse(database_url).map_err(|_| invalid())?;
    if matches!(url.scheme(), "postgres" | "postgresql") && url.has_host() {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// Takes our own `synchronous=full|normal` out of a SQLite URL (sqlx refuses parameters it
/// does not know). `normal` syncs the write-ahead log at checkpoints instead of at every
/// commit: cheaper commits on a slow disk, and a power cut (not a crash of the process) may
/// lose the last commits. The default stays `full`.
pub fn sqlite_synchronous(url: &str) -> Result<(String, Option<sea_orm::sqlx::sqlite::SqliteSynchronous>), String> {
    let Some((base, query)) = url.split_once('?').filter(|_| url.starts_with("sqlite:")) else {
        return Ok((url.to_owned(), None));
    };
    let mut synchronous = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("synchronous", "full")) => synchronous = Some(sea_orm::sqlx::sqlite::SqliteSynchronous::Full),
            Some(("synchronous", "normal")) => synchronous = Some(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal),
            Some(("synchronous", other)) => {
                return Err(format!("synchronous={other} in the database URL: expected full or normal"));
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    Ok((url, synchronous))
}

fn parse_ids(list: &str) -> Result<BTreeSet<i64>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ConfigError::invalid("ADMIN_IDS", format!("{s:?} is not a Telegram user id")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)], file: Option<&str>) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        if let Some(text) = file {
            std::fs::write(&path, text).unwrap();
        }
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load(&path, |k| vars.get(k).cloned())
    }

    #[test]
    fn missing_token_names_the_variable() {
        assert_eq!(load(&[], None).unwrap_err(), ConfigError::Missing("TELOXIDE_TOKEN"));
    }

    #[test]
    fn defaults_without_a_file() {
        let config = load(&[("TELOXIDE_TOKEN", "1:x")], None).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.telegram_api_url.as_str(), "https://api.telegram.org/");
        assert_eq!(config.http_addr.to_string(), DEFAULT_HTTP_ADDR);
        assert!(config.admin_ids.is_empty());
    }

    #[test]
    fn environment_overrides_the_file() {
        let file = "[admin]\nids = [1, 2]\nchat_id = -100\n[http]\naddr = \"0.0.0.0:9000\"\n";
        let config = load(&[("TELOXIDE_TOKEN", "1:x"), ("ADMIN_IDS", "7, 8")], Some(file)).unwrap();
        assert_eq!(config.admin_ids, BTreeSet::from([7, 8]));
        assert_eq!(config.admin_chat_id, Some(-100));
        assert_eq!(config.http_addr.to_string(), "0.0.0.0:9000");
    }

    #[test]
    fn bad_values_name_their_key() {
        let bad = |key: &'static str, value: &str| match load(&[("TELOXIDE_TOKEN", "1:x"), (key, value)], None) {
            Err(ConfigError::Invalid { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{key}={value}: {other:?}"),
        };
        bad("ADMIN_IDS", "12,abc");
        bad("ADMIN_CHAT_ID", "x");
        bad("TELEGRAM_API_URL", "not a url");
        bad("TELEGRAM_API_URL", "ftp://example.com");
        bad("HTTP_ADDR", "8080");
        bad("DATABASE_URL", "mysql://x");
        bad("DATABASE_URL", "postgres://");
        bad("DATABASE_URL", "postgres://user@:99999/db");
    }

    #[test]
    fn debug_output_shows_no_secrets() {
        let token = "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
        let vars = [
            ("TELOXIDE_TOKEN", token),
            ("DATABASE_URL", "postgres://shop:db-pass-42@db.internal:5432/ottsonly"),
            ("RAZORPAY_KEY_ID", "rzp_live_keyid"),
            ("RAZORPAY_KEY_SECRET", "rzp-key-secret-value"),
            ("RAZORPAY_WEBHOOK_SECRET", "rzp-webhook-secret-value"),
            ("ADMIN_IDS", "7"),
        ];
        let config = load(&vars, None).unwrap();
        assert_eq!(config.telegram_token, token, "the token itself is kept");
        for shown in [format!("{config:?}"), format!("{config:#?}")] {
            for secret in [
                token,
                "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
                "db-pass-42",
                "rzp-key-secret-value",
                "rzp-webhook-secret-value",
            ] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(shown.contains("telegram_token: <redacted>"), "{shown}");
            assert!(shown.contains("postgres://shop:<redacted>@db.internal:5432/ottsonly"), "{shown}");
            assert!(
                shown.contains("rzp_live_keyid") && shown.contains("admin_ids"),
                "the rest is still shown: {shown}"
            );
        }
        let plain = load(&[("TELOXIDE_TOKEN", token)], None).unwrap();
        assert!(format!("{plain:?}").contains(DEFAULT_DATABASE_URL));
    }

    #[test]
    fn a_broken_file_is_reported() {
        assert!(matches!(load(&[("TELOXIDE_TOKEN", "1:x")], Some("[nope")), Err(ConfigError::File { .. })));
        assert!(matches!(
            load(&[("TELOXIDE_TOKEN", "1:x")], Some("[shop]\ntypo = 1\n")),
            Err(ConfigError::File { .. })
        ));
    }
}

#[cfg(test)]
mod payment_tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)], file: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, file).unwrap();
        let mut vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        vars.insert("TELOXIDE_TOKEN".into(), "1:x".into());
        Config::load(&path, |k| vars.get(k).cloned())
    }

    #[test]
    fn sqlite_synchronous_is_taken_out_of_the_url() {
        use sea_orm::sqlx::sqlite::SqliteSynchronous;
        let parsed = |url: &str| sqlite_synchronous(url).map(|(url, sync)| (url, sync.map(|s| s as u8)));
        assert_eq!(parsed("sqlite://a.db?mode=rwc"), Ok(("sqlite://a.db?mode=rwc".into(), None)));
        assert_eq!(
            parsed("sqlite://a.db?mode=rwc&synchronous=normal"),
            Ok(("sqlite://a.db?mode=rwc".into(), Some(SqliteSynchronous::Normal as u8)))
        );
        assert_eq!(
            parsed("sqlite://a.db?synchronous=full"),
            Ok(("sqlite://a.db".into(), Some(SqliteSynchronous::Full as u8)))
        );
        assert!(parsed("sqlite://a.db?synchronous=off").is_err(), "only full or normal");
        assert_eq!(
            parsed("postgres://h/db?synchronous=normal"),
            Ok(("postgres://h/db?synchronous=normal".into(), None))
        );
    }

    fn invalid_key(result: Result<Config, ConfigError>) -> &'static str {
        match result {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_shipped_config_file_loads() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"));
        let config = Config::load(path, |k| (k == "TELOXIDE_TOKEN").then(|| "1:x".to_owned())).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.payments.max_topup, Money::from_rupees(10_000));
    }

    #[test]
    fn defaults_and_file_values() {
        let config = load(&[], "").unwrap();
        assert_eq!(config.payments.min_topup, Money::from_rupees(50));
        assert_eq!(config.payments.link_expiry, std::time::Duration::from_secs(1800));
        assert!(config.payments.upi.is_none() && config.payments.razorpay.is_none());
        let config = load(&[], "[payments]\nmin_topup = \"99.50\"\nmax_topup = 5000\nupi_claim_hours = 2\n").unwrap();
        assert_eq!(config.payments.min_topup, Money::from_paise(9_950));
        assert_eq!(config.payments.max_topup, Money::from_rupees(5_000));
        assert_eq!(config.payments.upi_claim_window, std::time::Duration::from_secs(7200));
    }

    #[test]
    fn upi_needs_a_valid_vpa_a_name_and_a_public_url() {
        let ok = load(
            &[("UPI_VPA", "Shop@OKICICI"), ("UPI_PAYEE_NAME", "OTT Shop"), ("PUBLIC_URL", "https://shop.example/")],
            "",
        )
        .unwrap();
        let upi = ok.payments.upi.unwrap();
        assert_eq!(upi.vpa, "shop@okicici");
        assert_eq!(ok.payments.public_url.unwrap().as_str(), "https://shop.example/");
        assert_eq!(
            invalid_key(load(&[("UPI_VPA", "not-a-vpa"), ("UPI_PAYEE_NAME", "x"), ("PUBLIC_URL", "https://a.b")], "")),
            "UPI_VPA"
        );
        assert_eq!(invalid_key(load(&[("UPI_VPA", "shop@ybl"), ("PUBLIC_URL", "https://a.b")], "")), "UPI_PAYEE_NAME");
        assert_eq!(invalid_key(load(&[("UPI_VPA", "shop@ybl"), ("UPI_PAYEE_NAME", "x")], "")), "PUBLIC_URL");
        assert_eq!(invalid_key(load(&[("PUBLIC_URL", "ftp://x")], "")), "PUBLIC_URL");
        assert_eq!(invalid_key(load(&[("PUBLIC_URL", "http://shop.example")], "")), "PUBLIC_URL");
        assert!(load(&[("PUBLIC_URL", "http://127.0.0.1:8080")], "").is_ok());
    }

    #[test]
    fn razorpay_needs_all_three_secrets() {
        let all = [("RAZORPAY_KEY_ID", "rzp_test_1"), ("RAZORPAY_KEY_SECRET", "s"), ("RAZORPAY_WEBHOOK_SECRET", "w")];
        let config = load(&all, "").unwrap();
        let razorpay = config.payments.razorpay.unwrap();
        assert_eq!(razorpay.api_url.as_str(), "https://api.razorpay.com/");
        assert!(!format!("{razorpay:?}").contains("\"s\""), "secrets are not printed");
        assert_eq!(invalid_key(load(&all[..2], "")), "RAZORPAY_WEBHOOK_SECRET");
        assert_eq!(invalid_key(load(&all[1..], "")), "RAZORPAY_KEY_ID");
        let mut bad_url = all.to_vec();
        bad_url.push(("RAZORPAY_API_URL", "nope"));
        assert_eq!(invalid_key(load(&bad_url, "")), "RAZORPAY_API_URL");
    }

    #[test]
    fn bad_payment_settings_name_their_key() {
        assert_eq!(invalid_key(load(&[], "[payments]\nmin_topup = \"abc\"\n")), "payments.min_topup");
        assert_eq!(invalid_key(load(&[], "[payments]\nmin_topup = 500\nmax_topup = 100\n")), "payments.min_topup");
        assert_eq!(invalid_key(load(&[], "[payments]\nstars_per_rupee = \"-1\"\n")), "payments.stars_per_rupee");
        assert_eq!(invalid_key(load(&[], "[payments]\nlink_expiry_minutes = 5\n")), "payments.link_expiry_minutes");
    }

    #[test]
    fn dashboard_sessions_last_1_to_720_hours() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let env = |key: &str| (key == "TELOXIDE_TOKEN").then(|| "1:x".to_owned());
        std::fs::write(&path, "[admin]\nsession_hours = 0\n").unwrap();
        assert!(matches!(Config::load(&path, env), Err(ConfigError::Invalid { key: "admin.session_hours", .. })));
        std::fs::write(&path, "[admin]\nsession_hours = 48\n").unwrap();
        assert_eq!(Config::load(&path, env).unwrap().session_hours, 48);
        std::fs::write(&path, "").unwrap();
        assert_eq!(Config::load(&path, env).unwrap().session_hours, 12);
    }
}
