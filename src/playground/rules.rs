//! What Telegram's Bot API refuses in what a bot sends: malformed HTML or MarkdownV2, empty
//! or over-long text, callback data over 64 bytes, button URLs that are not http(s)/tg://,
//! invalid command lists and invoices. The playground's stand-in and the tests' fake Bot API
//! both check every send here, so both refuse exactly what Telegram would. Each check returns
//! the description Telegram gives after "Bad Request: ".
use serde_json::Value;

const HTML_TAGS: [&str; 15] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
];

/// The visible text of `text` in Telegram's HTML, or the reason Telegram gives for refusing it.
pub fn parse_html(text: &str) -> Result<String, String> {
    let mut visible = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>').ok_or("Unclosed start tag")?;
                let tag = &rest[1..end];
                rest = &rest[end + 1..];
                if let Some(name) = tag.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    match open.pop() {
                        Some(top) if top == name => {}
                        _ => return Err(format!("Unmatched end tag \"{name}\"")),
                    }
                } else {
                    let name = tag.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
                    if !HTML_TAGS.contains(&name.as_str()) && name != "tg-emoji" {
                        return Err(format!("Unsupported start tag \"{name}\""));
                    }
                    if name == "a" && !tag.contains("href=") {
                        return Err("Anchor tag without href".into());
                    }
                    open.push(name);
                }
            }
            '>' => return Err("Character '>' must be escaped as &gt;".into()),
            '&' => {
                let end = rest.find(';').filter(|e| *e <= 10).ok_or("Character '&' must be escaped as &amp;")?;
                let entity = &rest[1..end];
                let ch = match entity {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    _ => entity
                        .strip_prefix('#')
                        .and_then(|n| match n.strip_prefix('x') {
                            Some(hex) => u32::from_str_radix(hex, 16).ok(),
                            None => n.parse().ok(),
                        })
                        .and_then(char::from_u32)
                        .ok_or_else(|| format!("Unsupported HTML entity \"&{entity};\""))?,
                };
                visible.push(ch);
                rest = &rest[end + 1..];
            }
            c => {
                visible.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    match open.pop() {
        Some(tag) => Err(format!("Can't find end tag corresponding to start tag \"{tag}\"")),
        None => Ok(visible),
    }
}

const MD_RESERVED: &str = "_*[]()~`>#+-=|{}.!";

/// The visible text of `text` in MarkdownV2, or the reason Telegram gives for refusing it.
pub fn parse_markdown_v2(text: &str) -> Result<String, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut visible = String::new();
    let mut open: Vec<&str> = Vec::new();
    let mut in_link_text = false;
    let mut i = 0;
    let reserved = |c: char| format!("Character '{c}' is reserved and must be escaped with the preceding '\\'");
    while i < chars.len() {
        let c = chars[i];
        let at_line_start = i == 0 || chars[i - 1] == '\n';
        match c {
            '\\' => {
                let next = *chars.get(i + 1).ok_or("Can't parse entities: unexpected end after '\\'")?;
                visible.push(next);
                i += 2;
            }
            '`' => {
                let fence = chars[i..].iter().take_while(|c| **c == '`').count();
                let fence = if fence >= 3 { 3 } else { 1 };
                i += fence;
                loop {
                    let c = *chars.get(i).ok_or("Can't find end of code entity")?;
                    if c == '\\' {
                        visible.push(*chars.get(i + 1).ok_or("Can't find end of code entity")?);
                        i += 2;
                    } else if c == '`' {
                        if chars[i..].iter().take(fence).filter(|c| **c == '`').count() == fence {
                            i += fence;
                            break;
                        }
                        return Err(reserved('`'));
                    } else {
                        visible.push(c);
                        i += 1;
                    }
                }
            }
            '*' | '~' => {
                toggle(&mut open, if c == '*' { "*" } else { "~" });
                i += 1;
            }
            '_' => {
                if chars.get(i + 1) == Some(&'_') {
                    toggle(&mut open, "__");
                    i += 2;
                } else {
                    toggle(&mut open, "_");
                    i += 1;
                }
            }
            '|' if chars.get(i + 1) == Some(&'|') => {
                toggle(&mut open, "||");
                i += 2;
            }
            '[' if !in_link_text => {
                in_link_text = true;
                i += 1;
            }
            ']' if in_link_text => {
                in_link_text = false;
                if chars.get(i + 1) != Some(&'(') {
                    return Err(reserved(']'));
                }
                i += 2;
                loop {
                    match chars.get(i) {
                        None => return Err("Can't find end of a URL".into()),
                        Some('\\') => i += 2,
                        Some(')') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
            }
            '>' if at_line_start => i += 1,
            c if MD_RESERVED.contains(c) => return Err(reserved(c)),
            c => {
                visible.push(c);
                i += 1;
            }
        }
    }
    if in_link_text {
        return Err(reserved('['));
    }
    match open.pop() {
        Some(entity) => Err(format!("Can't find end of {entity} entity")),
        None => Ok(visible),
    }
}

fn toggle(open: &mut Vec<&'static str>, entity: &'static str) {
    if open.last() == Some(&entity) {
        open.pop();
    } else {
        open.push(entity);
    }
}

/// setMyCommands: at most 100, names of 1 to 32 of a-z, 0-9 and _, descriptions 1 to 256.
pub fn check_commands(params: &Value) -> Result<(), String> {
    let commands = params["commands"].as_array().ok_or("commands required")?;
    if commands.len() > 100 {
        return Err("too many commands".to_owned());
    }
    for c in commands {
        let name = c["command"].as_str().unwrap_or_default();
        let description = c["description"].as_str().unwrap_or_default();
        let valid_name = (1..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid_name {
            return Err("BOT_COMMAND_INVALID".to_owned());
        }
        if !(1..=256).contains(&description.chars().count()) {
            return Err("BOT_COMMAND_DESCRIPTION_INVALID".to_owned());
        }
    }
    Ok(())
}

/// A message text in `parse_mode`: well-formed, not empty, at most 4096 visible characters
/// (UTF-16 units, as Telegram counts); `too_long` is the description for the last.
pub fn check_text(text: &str, parse_mode: Option<&str>, too_long: &str) -> Result<(), String> {
    let visible = match parse_mode {
        None => text.to_owned(),
        Some(mode) if mode.eq_ignore_ascii_case("html") => {
            parse_html(text).map_err(|e| format!("can't parse entities: {e}"))?
        }
        Some(mode) if mode.eq_ignore_ascii_case("markdownv2") => {
            parse_markdown_v2(text).map_err(|e| format!("can't parse entities: {e}"))?
        }
        Some(other) => return Err(format!("unsupported parse_mode {other}")),
    };
    if visible.trim().is_empty() {
        return Err("message text is empty".to_owned());
    }
    if visible.encode_utf16().count() > 4096 {
        return Err(too_long.to_owned());
    }
    Ok(())
}

/// What the reader sees of a text sent as HTML (the text itself when it is not valid HTML).
pub fn rendered(text: &str) -> String {
    parse_html(text).unwrap_or_else(|_| text.to_owned())
}

/// An inline keyboard: at most 100 buttons, each with a label and either callback data of
/// 1 to 64 bytes or an http(s)/tg:// URL.
pub fn check_markup(markup: Option<&Value>) -> Result<(), String> {
    let Some(markup) = markup else { return Ok(()) };
    let Some(rows) = markup.get("inline_keyboard") else { return Ok(()) };
    let rows = rows.as_array().ok_or("inline keyboard must be an array")?;
    let buttons: usize = rows.iter().map(|r| r.as_array().map_or(0, Vec::len)).sum();
    if buttons > 100 {
        return Err("BUTTONS_TOO_MUCH".to_owned());
    }
    for row in rows {
        for button in row.as_array().ok_or("inline keyboard row must be an array")? {
            if button["text"].as_str().unwrap_or_default().trim().is_empty() {
                return Err("BUTTON_TEXT_EMPTY".to_owned());
            }
            if let Some(data) = button.get("callback_data") {
                let data = data.as_str().unwrap_or_default();
                if data.is_empty() || data.len() > 64 {
                    return Err("BUTTON_DATA_INVALID".to_owned());
                }
            } else if let Some(url) = button.get("url") {
                let url = url.as_str().unwrap_or_default();
                if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("tg://")) {
                    return Err("BUTTON_URL_INVALID".to_owned());
                }
            } else {
                return Err("can't find field \"text\" or button kind".to_owned());
            }
        }
    }
    Ok(())
}

/// A Stars invoice: one price in XTR, no provider token, Telegram's lengths. Returns the total.
pub fn check_invoice(params: &Value) -> Result<i64, String> {
    let title = params["title"].as_str().unwrap_or_default();
    let description = params["description"].as_str().unwrap_or_default();
    let payload = params["payload"].as_str().unwrap_or_default();
    if !(1..=32).contains(&title.chars().count()) {
        return Err("INVOICE_TITLE_INVALID".to_owned());
    }
    if !(1..=255).contains(&description.chars().count()) {
        return Err("INVOICE_DESCRIPTION_INVALID".to_owned());
    }
    if !(1..=128).contains(&payload.len()) {
        return Err("INVOICE_PAYLOAD_INVALID".to_owned());
    }
    let prices = params["prices"].as_array().cloned().unwrap_or_default();
    if params["currency"] != "XTR"
        || prices.len() != 1
        || params["provider_token"].as_str().is_some_and(|t| !t.is_empty())
    {
        return Err("CURRENCY_INVALID".to_owned());
    }
    let total = prices[0]["amount"].as_i64().filter(|a| *a > 0).ok_or("CURRENCY_TOTAL_AMOUNT_INVALID")?;
    // A deep-link parameter: up to 64 of A-Z, a-z, 0-9, _ and -.
    let start_parameter = params["start_parameter"].as_str().unwrap_or_default();
    let valid_start = start_parameter.len() <= 64
        && start_parameter.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid_start {
        return Err("START_PARAM_INVALID".to_owned());
    }
    Ok(total)
}

/// A photo's or a document's caption: like a text, but at most 1024 visible characters.
pub fn check_caption(caption: &str, parse_mode: Option<&str>) -> Result<(), String> {
    if caption.is_empty() {
        return Ok(());
    }
    check_text(caption, parse_mode, "message caption is too long")?;
    if rendered(caption).encode_utf16().count() > 1024 {
        return Err("message caption is too long".to_owned());
    }
    Ok(())
}

/// The toast of an answered button press.
pub fn check_callback_answer(params: &Value) -> Result<(), String> {
    if params["text"].as_str().unwrap_or_default().chars().count() > 200 {
        return Err("MESSAGE_TOO_LONG".to_owned());
    }
    Ok(())
}

/// A pre-checkout answer: a refusal must say why.
pub fn check_pre_checkout_answer(params: &Value) -> Result<bool, String> {
    let ok = params["ok"].as_bool().ok_or("ok is required")?;
    if !ok && params["error_message"].as_str().unwrap_or_default().is_empty() {
        return Err("error_message is required when ok is false".to_owned());
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_accepts_what_telegram_accepts() {
        assert_eq!(parse_html("<b>Hi</b> &lt;3 &amp; <code>a&quot;b</code>").unwrap(), "Hi <3 & a\"b");
        assert_eq!(parse_html("<a href=\"https://t.me\">x</a> &#8377;").unwrap(), "x ₹");
    }

    #[test]
    fn html_refuses_what_telegram_refuses() {
        for bad in ["<b>open", "a < b", "a > b", "Tom & Jerry", "<div>x</div>", "<b><i>x</b></i>", "</b>", "&nbsp;"] {
            assert!(parse_html(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn markdown_v2_needs_reserved_characters_escaped() {
        assert_eq!(parse_markdown_v2("*Price:* ₹135\\.50\\!").unwrap(), "Price: ₹135.50!");
        assert_eq!(parse_markdown_v2("`a.b-c` [link](https://x.y/a\\)b)").unwrap(), "a.b-c link");
        for bad in ["Price: 135.50", "Hello!", "*bold", "a-b", "(x)", "[x]", "`code", "_it"] {
            assert!(parse_markdown_v2(bad).is_err(), "{bad}");
        }
    }
}
