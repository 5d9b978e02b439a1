//! Broadcasts: who an announcement goes to, what it may contain, and how far it has got.
mod html;

use std::fmt;

use serde::{Deserialize, Serialize};
use std::time::Duration;

use crate::domain::Lang;

pub use html::{check_html, HtmlError};

/// Telegram's ceiling for messages to different chats; `broadcast.rate_per_sec` stays under it.
pub const MAX_RATE_PER_SEC: u32 = 30;
pub const DEFAULT_RATE_PER_SEC: u32 = 25;
/// The "expired in the last N days" audience looks back at most this far.
pub const MAX_EXPIRED_DAYS: u32 = 365;
/// A message's visible text, and a photo's caption (Telegram's limits).
pub const MAX_TEXT_CHARS: usize = 4096;
pub const MAX_CAPTION_CHARS: usize = 1024;
pub const MAX_BUTTON_CHARS: usize = 64;

/// Who a broadcast goes to. Customers who turned offers off, blocked customers and those
/// the bot cannot reach are always left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    /// With a subscription running now.
    Active,
    /// Whose last subscription ended in the last `days` days, and with none running.
    Expired {
        days: u32,
    },
    /// No paid order yet.
    NeverBought,
    Language(Lang),
}

impl Audience {
    /// The stored form: `everyone`, `active`, `expired:30`, `never_bought`, `lang:hi`.
    pub fn code(&self) -> String {
        match self {
            Audience::Everyone => "everyone".into(),
            Audience::Active => "active".into(),
            Audience::Expired { days } => format!("expired:{days}"),
            Audience::NeverBought => "never_bought".into(),
            Audience::Language(lang) => format!("lang:{}", lang.code()),
        }
    }

    pub fn parse(code: &str) -> Option<Audience> {
        Some(match code.trim() {
            "everyone" => Audience::Everyone,
            "active" => Audience::Active,
            "never_bought" => Audience::NeverBought,
            other => match other.split_once(':')? {
                ("expired", days) => {
                    let days: u32 = days.parse().ok()?;
                    if !(1..=MAX_EXPIRED_DAYS).contains(&days) {
                        return None;
                    }
                    Audience::Expired { days }
                }
                ("lang", code) => Lang::ALL.into_iter().find(|l| l.code() == code).map(Audience::Language)?,
                _ => return None,
            },
        })
    }
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// What every recipient gets: Telegram HTML (a photo's caption when there is a photo), and
/// an optional URL button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub text: String,
    pub photo_file_id: Option<String>,
    pub button: Option<Button>,
}

impl Content {
    /// Checks text typed into the API or the dashboard (chat messages come from Telegram
    /// already checked): Telegram's HTML, within the limit for a message or a caption.
    pub fn check(&self) -> Result<(), HtmlError> {
        let max = if self.photo_file_id.is_some() { MAX_CAPTION_CHARS } else { MAX_TEXT_CHARS };
        if self.photo_file_id.is_some() && self.text.trim().is_empty() {
            return Ok(());
        }
        check_html(&self.text, max).map(drop)
    }
}

/// A URL button under the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: String,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonError {
    /// Not `Label | https://…`.
    Shape,
    LabelTooLong,
    /// Telegram opens http(s) and tg:// links only.
    Url,
}

impl Button {
    /// `Label | https://example.com` as an admin types it.
    pub fn parse(input: &str) -> Result<Button, ButtonError> {
        let (text, url) = input.split_once('|').ok_or(ButtonError::Shape)?;
        Button::new(text, url)
    }

    pub fn new(text: &str, url: &str) -> Result<Button, ButtonError> {
        let (text, url) = (text.trim(), url.trim());
        if text.is_empty() || url.is_empty() {
            return Err(ButtonError::Shape);
        }
        if text.chars().count() > MAX_BUTTON_CHARS {
            return Err(ButtonError::LabelTooLong);
        }
        let parsed = url::Url::parse(url).map_err(|_| ButtonError::Url)?;
        let web = matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some_and(|h| !h.is_empty());
        if !(web || parsed.scheme() == "tg") {
            return Err(ButtonError::Url);
        }
        Ok(Button { text: text.to_owned(), url: url.to_owned() })
    }
}

/// How far a broadcast has got, from its recipients' states.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub total: u64,
    pub sent: u64,
    pub failed: u64,
    pub blocked: u64,
    /// In flight when a sender stopped: counted as done, never resent.
    pub unknown: u64,
    /// Left out by a cancel.
    pub skipped: u64,
}

impl Progress {
    pub fn done(&self) -> u64 {
        self.sent + self.failed + self.blocked + self.unknown + self.skipped
    }

    pub fn remaining(&self) -> u64 {
        self.total.saturating_sub(self.done())
    }

    /// Time left at `rate_per_sec`, rounded up to whole seconds.
    pub fn time_left(&self, rate_per_sec: u32) -> Duration {
        let rate = u64::from(rate_per_sec.max(1));
        Duration::from_secs(self.remaining().div_ceil(rate))
    }

    /// Whole percent done, 0 to 100.
    pub fn percent(&self) -> u64 {
        if self.total == 0 {
            return 100;
        }
        self.done() * 100 / self.total
    }
}

/// Retries after other errors than 429 and 403, before a recipient is given up as failed.
pub const MAX_ATTEMPTS: i32 = 3;

/// The wait before retry `attempt` (1-based) of a failed send: 2 s, 4 s, 8 s…
pub fn retry_delay(attempt: i32) -> Duration {
    Duration::from_secs(1u64 << attempt.clamp(1, 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_round_trip_through_their_codes() {
        let all = [
            Audience::Everyone,
            Audience::Active,
            Audience::Expired { days: 30 },
            Audience::NeverBought,
            Audience::Language(Lang::Hi),
            Audience::Language(Lang::En),
        ];
        for audience in all {
            assert_eq!(Audience::parse(&audience.code()), Some(audience), "{audience}");
        }
    }

    #[test]
    fn unknown_audiences_are_refused() {
        for code in ["", "all", "expired:0", "expired:366", "expired:x", "lang:fr", "lang"] {
            assert_eq!(Audience::parse(code), None, "{code}");
        }
    }

    #[test]
    fn a_button_is_a_label_and_a_link() {
        assert_eq!(
            Button::parse(" Shop now | https://shop.example.com/plans "),
            Ok(Button { text: "Shop now".into(), url: "https://shop.example.com/plans".into() })
        );
        assert!(Button::parse("Open | tg://resolve?domain=ottshop").is_ok());
        assert_eq!(Button::parse("no link here"), Err(ButtonError::Shape));
        assert_eq!(Button::parse(" | https://a.example"), Err(ButtonError::Shape));
        assert_eq!(Button::parse("Go | ftp://files.example"), Err(ButtonError::Url));
        assert_eq!(Button::parse("Go | javascript:alert(1)"), Err(ButtonError::Url));
        assert_eq!(Button::parse("Go | https://"), Err(ButtonError::Url));
        assert_eq!(Button::parse(&format!("{} | https://a.example", "x".repeat(65))), Err(ButtonError::LabelTooLong));
    }

    #[test]
    fn progress_counts_what_is_left_and_how_long_it_takes() {
        let p = Progress { total: 1000, sent: 700, failed: 10, blocked: 40, unknown: 0, skipped: 0 };
        assert_eq!(p.remaining(), 250);
        assert_eq!(p.time_left(25), Duration::from_secs(10));
        assert_eq!(p.time_left(30), Duration::from_secs(9));
        assert_eq!(p.percent(), 75);
        assert_eq!(Progress::default().percent(), 100);
        let over = Progress { total: 10, sent: 12, ..Progress::default() };
        assert_eq!(over.remaining(), 0);
    }

    #[test]
    fn retries_back_off() {
        assert_eq!(retry_delay(1), Duration::from_secs(2));
        assert_eq!(retry_delay(2), Duration::from_secs(4));
        assert_eq!(retry_delay(99), Duration::from_secs(256));
    }
}
