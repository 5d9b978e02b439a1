//! Payment settings: `[payments]` in config.toml, gateway credentials from the environment.
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use url::Url;

use super::ConfigError;
use crate::domain::upi::is_valid_vpa;
use crate::domain::Money;

pub const DEFAULT_RAZORPAY_API_URL: &str = "https://api.razorpay.com";

#[derive(Debug, Clone)]
pub struct PaymentsConfig {
    pub min_topup: Money,
    pub max_topup: Money,
    /// How long a Razorpay link (and a Stars invoice) stays payable.
    pub link_expiry: Duration,
    /// How long a UPI payment can still be claimed with its UTR.
    pub upi_claim_window: Duration,
    /// Pending Razorpay links older than this are checked against the API.
    pub reconcile_after: Duration,
    /// Telegram Stars per rupee; None disables Stars.
    pub stars_per_rupee: Option<Decimal>,
    /// Base URL where our HTTP server is reachable from outside (UPI redirect, webhooks).
    pub public_url: Option<Url>,
    pub upi: Option<UpiConfig>,
    pub razorpay: Option<RazorpayConfig>,
}

#[derive(Debug, Clone)]
pub struct UpiConfig {
    pub vpa: String,
    pub payee_name: String,
}

#[derive(Clone)]
pub struct RazorpayConfig {
    pub key_id: String,
    pub key_secret: String,
    pub webhook_secret: String,
    pub api_url: Url,
}

impl std::fmt::Debug for RazorpayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach a log line.
        f.debug_struct("RazorpayConfig").field("key_id", &self.key_id).field("api_url", &self.api_url).finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PaymentsSection {
    min_topup: Option<Amount>,
    max_topup: Option<Amount>,
    link_expiry_minutes: Option<u64>,
    upi_claim_hours: Option<u64>,
    reconcile_after_minutes: Option<u64>,
    stars_per_rupee: Option<Amount>,
    public_url: Option<String>,
    upi_vpa: Option<String>,
    upi_payee_name: Option<String>,
    razorpay_api_url: Option<String>,
}

/// `50` or `"50.50"` in the file (amounts with paise as strings: TOML floats are inexact).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Amount {
    Whole(i64),
    Text(String),
}

impl Amount {
    fn text(&self) -> String {
        match self {
            Amount::Whole(n) => n.to_string(),
            Amount::Text(s) => s.clone(),
        }
    }
}

/// https, or plain http for a server on this machine (local testing).
fn is_public_base(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.has_host(),
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        _ => false,
    }
}

impl PaymentsConfig {
    pub(super) fn load(file: PaymentsSection, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let money = |key: &'static str, value: Option<Amount>, default: i64| -> Result<Money, ConfigError> {
            match value {
                None => Ok(Money::from_rupees(default)),
                Some(v) => Money::parse_rupees(&v.text())
                    .ok()
                    .filter(|m| m.is_positive())
                    .ok_or_else(|| ConfigError::invalid(key, format!("{:?} is not a rupee amount", v.text()))),
            }
        };
        let min_topup = money("payments.min_topup", file.min_topup, 50)?;
        let max_topup = money("payments.max_topup", file.max_topup, 10_000)?;
        if min_topup > max_topup {
            return Err(ConfigError::invalid("payments.min_topup", "must not be above payments.max_topup"));
        }
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let link_expiry_minutes = file.link_expiry_minutes.unwrap_or(30);
        // Razorpay refuses links that expire in less than 15 minutes.
        if !(15..=43_200).contains(&link_expiry_minutes) {
            return Err(ConfigError::invalid("payments.link_expiry_minutes", "must be from 15 to 43200"));
        }
        let stars_per_rupee =
            match file.stars_per_rupee {
                None => None,
                Some(v) => {
                    Some(v.text().parse::<Decimal>().ok().filter(|d| d.is_sign_positive() && !d.is_zero()).ok_or_else(
                        || ConfigError::invalid("payments.stars_per_rupee", "expected a positive number"),
                    )?)
                }
            };

        let public_url = match env("PUBLIC_URL").or(file.public_url) {
            None => None,
            Some(raw) => Some(
                Url::parse(raw.trim_end_matches('/'))
                    .ok()
                    .filter(is_public_base)
                    .ok_or_else(|| ConfigError::invalid("PUBLIC_URL", format!("{raw:?} is not an https URL")))?,
            ),
        };

        let upi = match env("UPI_VPA").or(file.upi_vpa) {
            None => None,
            Some(vpa) => {
                let vpa = vpa.trim().to_ascii_lowercase();
                if !is_valid_vpa(&vpa) {
                    return Err(ConfigError::invalid("UPI_VPA", format!("{vpa:?} is not a UPI ID like shop@okicici")));
                }
                let payee_name = env("UPI_PAYEE_NAME")
                    .or(file.upi_payee_name)
                    .ok_or_else(|| ConfigError::invalid("UPI_PAYEE_NAME", "required when UPI_VPA is set"))?;
                if public_url.is_none() {
                    return Err(ConfigError::invalid("PUBLIC_URL", "required for UPI (the Open UPI app button)"));
                }
                Some(UpiConfig { vpa, payee_name })
            }
        };

        let razorpay = match (env("RAZORPAY_KEY_ID"), env("RAZORPAY_KEY_SECRET"), env("RAZORPAY_WEBHOOK_SECRET")) {
            (None, None, None) => None,
            (Some(key_id), Some(key_secret), Some(webhook_secret)) => {
                let raw = env("RAZORPAY_API_URL")
                    .or(file.razorpay_api_url)
                    .unwrap_or_else(|| DEFAULT_RAZORPAY_API_URL.into());
                let api_url = Url::parse(&raw)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
                    .ok_or_else(|| {
                        ConfigError::invalid("RAZORPAY_API_URL", format!("{raw:?} is not an http(s) URL"))
                    })?;
                Some(RazorpayConfig { key_id, key_secret, webhook_secret, api_url })
            }
            (key_id, key_secret, _) => {
                let missing = if key_id.is_none() {
                    "RAZORPAY_KEY_ID"
                } else if key_secret.is_none() {
                    "RAZORPAY_KEY_SECRET"
                } else {
                    "RAZORPAY_WEBHOOK_SECRET"
                };
                return Err(ConfigError::invalid(
                    missing,
                    "Razorpay needs RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET and RAZORPAY_WEBHOOK_SECRET",
                ));
            }
        };

        Ok(PaymentsConfig {
            min_topup,
            max_topup,
            link_expiry: minutes(link_expiry_minutes),
            upi_claim_window: Duration::from_secs(file.upi_claim_hours.unwrap_or(24) * 3600),
            reconcile_after: minutes(file.reconcile_after_minutes.unwrap_or(10)),
            stars_per_rupee,
            public_url,
            upi,
            razorpay,
        })
    }

    /// No gateway configured, defaults otherwise (tests, and a shop that only credits by hand).
    pub fn without_gateways() -> Self {
        PaymentsConfig {
            min_topup: Money::from_rupees(50),
            max_topup: Money::from_rupees(10_000),
            link_expiry: Duration::from_secs(30 * 60),
            upi_claim_window: Duration::from_secs(24 * 3600),
            reconcile_after: Duration::from_secs(10 * 60),
            stars_per_rupee: None,
            public_url: None,
            upi: None,
            razorpay: None,
        }
    }
}
