//! The bot's text as the page shows it: Telegram's HTML turned into the same look in safe
//! HTML (only the tags Telegram knows, no attributes but a link's address), plain text and
//! MarkdownV2 escaped.
use super::rules;

/// `text` has passed `rules::check_text` for `parse_mode`, or is the playground's own.
pub fn page_html(text: &str, parse_mode: Option<&str>) -> String {
    match parse_mode {
        Some(mode) if mode.eq_ignore_ascii_case("html") => from_telegram_html(text),
        Some(mode) if mode.eq_ignore_ascii_case("markdownv2") => {
            escape(&rules::parse_markdown_v2(text).unwrap_or_else(|_| text.to_owned()))
        }
        _ => escape(text),
    }
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn from_telegram_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else { break };
        let tag = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        out.push_str(&tag_html(tag));
    }
    out.push_str(rest);
    out
}

fn tag_html(tag: &str) -> String {
    if let Some(name) = tag.strip_prefix('/') {
        return match name.trim().to_ascii_lowercase().as_str() {
            "tg-spoiler" | "tg-emoji" => "</span>".into(),
            name @ ("b" | "strong" | "i" | "em" | "u" | "ins" | "s" | "strike" | "del" | "span" | "a" | "code"
            | "pre" | "blockquote") => format!("</{name}>"),
            _ => String::new(),
        };
    }
    let name = tag.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
    match name.as_str() {
        "a" => match href(tag) {
            Some(url) => format!("<a href=\"{}\" target=\"_blank\" rel=\"noopener\">", escape(&url)),
            None => "<a>".into(),
        },
        "tg-spoiler" => "<span class=\"spoiler\">".into(),
        "span" if tag.contains("tg-spoiler") => "<span class=\"spoiler\">".into(),
        "tg-emoji" => "<span>".into(),
        "b" | "strong" | "i" | "em" | "u" | "ins" | "s" | "strike" | "del" | "span" | "code" | "pre" | "blockquote" => {
            format!("<{name}>")
        }
        _ => String::new(),
    }
}

/// A link's address, when it is one a browser may follow from here.
fn href(tag: &str) -> Option<String> {
    let after = &tag[tag.find("href=")? + 5..];
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    let url = &value[..value.find(quote)?];
    let url = url.replace("&amp;", "&").replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">");
    (url.starts_with("http://") || url.starts_with("https://") || url.starts_with("tg://")).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_telegram_formatting_and_drops_everything_else() {
        assert_eq!(page_html("<b>Hi</b> &lt;3 <i>you</i>", Some("HTML")), "<b>Hi</b> &lt;3 <i>you</i>");
        assert_eq!(
            page_html("<a href=\"https://t.me/x?start=ref_A&amp;b=1\" onclick=\"evil()\">go</a>", Some("HTML")),
            "<a href=\"https://t.me/x?start=ref_A&amp;b=1\" target=\"_blank\" rel=\"noopener\">go</a>"
        );
        assert_eq!(page_html("<a href=\"javascript:alert(1)\">x</a>", Some("HTML")), "<a>x</a>");
        assert_eq!(page_html("<tg-spoiler>pw</tg-spoiler>", Some("HTML")), "<span class=\"spoiler\">pw</span>");
        assert_eq!(page_html("<b>not html</b> & co", None), "&lt;b&gt;not html&lt;/b&gt; &amp; co");
        assert_eq!(page_html("Price: ₹135\\.50\\!", Some("MarkdownV2")), "Price: ₹135.50!");
    }
}
