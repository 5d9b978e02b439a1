//! Every text in locales/ must be something Telegram accepts: HTML messages parse, and
//! button labels / popup texts (plain text) carry no markup.
use crate::support::telegram_markup::parse_html;

/// Keys whose text is shown as plain text (buttons, popups, command descriptions).
fn is_plain(key: &str) -> bool {
    key.starts_with("menu.")
        || key.starts_with("commands.")
        || key.starts_with("plans.button")
        || key.starts_with("pay.")
            && (key.ends_with("_name") || key.ends_with("_button") || key.ends_with("_description"))
        || key.starts_with("topup.") && key.ends_with("_button")
        || key.starts_with("upi.") && (key.ends_with("_button") || key == "upi.open_app")
        || matches!(key, "stars.description" | "stars.label" | "stars.expired" | "stars.unknown")
        || key.ends_with("_button")
        || matches!(key, "withdraw.use_last" | "refer.share_text" | "flags.block_reason" | "withdrawals.status_pending")
        || matches!(
            key,
            "plans.buy"
                | "checkout.confirm_button"
                | "checkout.cancel_button"
                | "checkout.pay_difference"
                | "checkout.pay_full"
                | "stale_button"
        )
}

fn flatten(prefix: &str, value: &serde_yaml::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (k, v) in map {
                let k = k.as_str().unwrap_or_default();
                let key = if prefix.is_empty() { k.to_owned() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        serde_yaml::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => panic!("{prefix}: unexpected {other:?}"),
    }
}

#[test]
fn every_locale_text_is_valid_for_telegram() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let yaml: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut texts = Vec::new();
        flatten("", &yaml, &mut texts);
        for (key, text) in texts {
            if key.starts_with("http.") {
                // Web pages, not Telegram messages.
                continue;
            }
            // Placeholders are filled with escaped values at run time.
            let filled = fill_placeholders(&text);
            if is_plain(&key) {
                assert!(
                    !filled.contains('<') && !filled.contains("&amp;"),
                    "{}: {key} is plain text: {text}",
                    path.display()
                );
            } else if let Err(err) = parse_html(&filled) {
                panic!("{}: {key}: {err}: {text}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "found only {checked} texts");
}

fn fill_placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("%{") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('X');
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}
