//! The languages the shop speaks. Every text is in `locales/<code>.yml`.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Hi,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Hi];

    /// The locale code: `en`, `hi` (as stored in `users.language`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
        }
    }

    /// A stored code; anything unknown reads as English.
    pub fn from_code(code: &str) -> Lang {
        match code {
            "hi" => Lang::Hi,
            _ => Lang::En,
        }
    }

    /// A new user's language from their Telegram app's `language_code`: Hindi for `hi`
    /// (and `hi-IN` and the like), English for everything else.
    pub fn from_telegram(language_code: Option<&str>) -> Lang {
        match language_code.map(str::to_ascii_lowercase) {
            Some(code) if code == "hi" || code.starts_with("hi-") => Lang::Hi,
            _ => Lang::En,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hindi_apps_get_hindi_everything_else_english() {
        assert_eq!(Lang::from_telegram(Some("hi")), Lang::Hi);
        assert_eq!(Lang::from_telegram(Some("HI-in")), Lang::Hi);
        assert_eq!(Lang::from_telegram(Some("en")), Lang::En);
        assert_eq!(Lang::from_telegram(Some("hindi")), Lang::En);
        assert_eq!(Lang::from_telegram(None), Lang::En);
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), lang);
        }
        assert_eq!(Lang::from_code("fr"), Lang::En);
    }
}
