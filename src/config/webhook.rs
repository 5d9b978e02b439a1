//! Telegram webhook mode: where Telegram posts updates, and the secrets that prove it is
//! Telegram. Both secrets are the same on every instance (derived from the bot token unless
//! TELEGRAM_WEBHOOK_SECRET is set), so any instance behind the load balancer accepts a post.
use sha2::{Digest, Sha256};
use url::Url;

use super::ConfigError;

#[derive(Clone)]
pub struct WebhookConfig {
    /// `TELEGRAM_WEBHOOK_URL`: the public base; updates go to `<it>/<path_secret>`.
    pub base: Url,
    /// The `X-Telegram-Bot-Api-Secret-Token` Telegram sends (1 to 256 of A-Z a-z 0-9 _ -).
    pub header_secret: String,
    /// The last path segment: a request that does not know it never reaches a handler.
    pub path_secret: String,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig").field("base", &self.base.as_str()).finish_non_exhaustive()
    }
}

fn digest(label: &str, secret: &str) -> String {
    hex::encode(Sha256::digest(format!("ottsonly:{label}:{secret}").as_bytes()))
}

impl WebhookConfig {
    /// The URL given to `setWebhook`.
    pub fn url(&self) -> Url {
        let mut url = self.base.clone();
        let path = format!("{}/{}", url.path().trim_end_matches('/'), self.path_secret);
        url.set_path(&path);
        url
    }

    pub(super) fn load(
        env: &dyn Fn(&str) -> Option<String>,
        token: &str,
        public_url: Option<&Url>,
    ) -> Result<Option<WebhookConfig>, ConfigError> {
        let Some(raw) = env("TELEGRAM_WEBHOOK_URL") else { return Ok(None) };
        let invalid = |why: &str| ConfigError::invalid("TELEGRAM_WEBHOOK_URL", format!("{raw:?} {why}"));
        let base = Url::parse(raw.trim_end_matches('/')).map_err(|_| invalid("is not a URL"))?;
        let local = matches!(base.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if !(base.scheme() == "https" || base.scheme() == "http" && local) {
            return Err(invalid("must be https (Telegram posts only to https)"));
        }
        if let Some(public) = public_url {
            if !base.as_str().starts_with(public.as_str().trim_end_matches('/')) {
                return Err(invalid(&format!("must be under PUBLIC_URL ({public})")));
            }
        }
        let header_secret = match env("TELEGRAM_WEBHOOK_SECRET") {
            Some(secret) => {
                let ok = (1..=256).contains(&secret.len())
                    && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !ok {
                    return Err(ConfigError::invalid(
                        "TELEGRAM_WEBHOOK_SECRET",
                        "1 to 256 characters of A-Z, a-z, 0-9, _ and -",
                    ));
                }
                secret
            }
            None => digest("header", token)[..48].to_owned(),
        };
        let path_secret = digest("path", &header_secret)[..32].to_owned();
        Ok(Some(WebhookConfig { base, header_secret, path_secret }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)], public: Option<&str>) -> Result<Option<WebhookConfig>, ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let env = move |key: &str| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let public = public.map(|p| Url::parse(p).unwrap());
        WebhookConfig::load(&env, "123:token", public.as_ref())
    }

    #[test]
    fn off_unless_set_and_the_same_secrets_on_every_instance() {
        assert!(load(&[], None).unwrap().is_none());
        let a = load(&[("TELEGRAM_WEBHOOK_URL", "https://shop.example/telegram")], None).unwrap().unwrap();
        let b = load(&[("TELEGRAM_WEBHOOK_URL", "https://shop.example/telegram/")], None).unwrap().unwrap();
        assert_eq!((&a.header_secret, &a.path_secret), (&b.header_secret, &b.path_secret));
        assert_eq!(a.url().as_str(), format!("https://shop.example/telegram/{}", a.path_secret));
        assert_ne!(a.header_secret, a.path_secret);
        let own = load(
            &[("TELEGRAM_WEBHOOK_URL", "https://shop.example/tg"), ("TELEGRAM_WEBHOOK_SECRET", "s3cr3t_-X")],
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(own.header_secret, "s3cr3t_-X");
    }

    #[test]
    fn refuses_plain_http_urls_outside_public_url_and_bad_secrets() {
        assert!(load(&[("TELEGRAM_WEBHOOK_URL", "http://shop.example/tg")], None).is_err());
        assert!(load(&[("TELEGRAM_WEBHOOK_URL", "http://127.0.0.1:8080/tg")], None).is_ok());
        assert!(load(&[("TELEGRAM_WEBHOOK_URL", "https://other.example/tg")], Some("https://shop.example")).is_err());
        assert!(load(&[("TELEGRAM_WEBHOOK_URL", "https://shop.example/tg")], Some("https://shop.example")).is_ok());
        assert!(load(
            &[("TELEGRAM_WEBHOOK_URL", "https://shop.example/tg"), ("TELEGRAM_WEBHOOK_SECRET", "no spaces")],
            None
        )
        .is_err());
        assert!(load(&[("TELEGRAM_WEBHOOK_URL", "not a url")], None).is_err());
    }
}
