//! Telegram's HTML, as its parse_mode accepts it: a few tags, properly nested, and `<`, `>`
//! and `&` written as entities everywhere else. Broadcast texts typed into the API or the
//! dashboard are checked here, so a bad one is refused before thousands of sends fail.
use std::fmt;

const TAGS: [&str; 14] =
    ["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre"];
const MORE_TAGS: [&str; 2] = ["blockquote", "tg-emoji"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HtmlError {
    /// A tag Telegram does not know, such as `<div>` or `<br>`.
    UnknownTag(String),
    /// `</b>` without its `<b>`, or crossing another tag.
    Unbalanced(String),
    /// A tag left open at the end.
    Unclosed(String),
    /// A bare `<`, `>` or `&`, or an entity Telegram does not know.
    BareCharacter,
    Empty,
    /// Visible characters (UTF-16 units, as Telegram counts) over the limit.
    TooLong {
        max: usize,
    },
}

impl fmt::Display for HtmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HtmlError::UnknownTag(tag) => write!(f, "unsupported tag <{tag}>"),
            HtmlError::Unbalanced(tag) => write!(f, "</{tag}> does not close an open <{tag}>"),
            HtmlError::Unclosed(tag) => write!(f, "<{tag}> is never closed"),
            HtmlError::BareCharacter => f.write_str("write <, > and & as &lt; &gt; &amp;"),
            HtmlError::Empty => f.write_str("the text is empty"),
            HtmlError::TooLong { max } => write!(f, "longer than {max} characters"),
        }
    }
}

/// Checks `text` and returns how long it is as the reader sees it (UTF-16 units).
pub fn check_html(text: &str, max: usize) -> Result<usize, HtmlError> {
    let mut open: Vec<String> = Vec::new();
    let mut visible = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>').ok_or(HtmlError::BareCharacter)?;
                let tag = &rest[1..end];
                rest = &rest[end + 1..];
                if let Some(name) = tag.strip_prefix('/') {
                    let name = name.trim().to_ascii_lowercase();
                    if open.pop().as_deref() != Some(name.as_str()) {
                        return Err(HtmlError::Unbalanced(name));
                    }
                } else {
                    let name: String =
                        tag.split(|c: char| c.is_whitespace()).next().unwrap_or_default().to_ascii_lowercase();
                    if !TAGS.contains(&name.as_str()) && !MORE_TAGS.contains(&name.as_str()) {
                        return Err(HtmlError::UnknownTag(name));
                    }
                    if name == "a" && !tag.contains("href=") {
                        return Err(HtmlError::UnknownTag("a without href".into()));
                    }
                    open.push(name);
                }
            }
            '>' => return Err(HtmlError::BareCharacter),
            '&' => {
                let end = rest.find(';').filter(|e| *e <= 10).ok_or(HtmlError::BareCharacter)?;
                let entity = &rest[1..end];
                let known = matches!(entity, "lt" | "gt" | "amp" | "quot")
                    || entity.strip_prefix("#x").is_some_and(|h| u32::from_str_radix(h, 16).is_ok())
                    || entity.strip_prefix('#').is_some_and(|d| d.parse::<u32>().is_ok());
                if !known {
                    return Err(HtmlError::BareCharacter);
                }
                visible.push('x');
                rest = &rest[end + 1..];
            }
            c => {
                visible.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if let Some(tag) = open.pop() {
        return Err(HtmlError::Unclosed(tag));
    }
    if visible.trim().is_empty() {
        return Err(HtmlError::Empty);
    }
    let length = visible.encode_utf16().count();
    if length > max {
        return Err(HtmlError::TooLong { max });
    }
    Ok(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_html_passes() {
        let text = "<b>Diwali sale</b>: <i>20%</i> off &amp; more, <a href=\"https://x.example\">see plans</a> &lt;3";
        assert_eq!(check_html(text, 4096), Ok("Diwali sale: 20% off x more, see plans x3".encode_utf16().count()));
        assert!(check_html("<blockquote>quote</blockquote> <tg-spoiler>s</tg-spoiler>", 4096).is_ok());
        assert!(check_html("नमस्ते &#128512;", 4096).is_ok());
    }

    #[test]
    fn what_telegram_refuses_is_refused() {
        assert_eq!(check_html("<div>x</div>", 4096), Err(HtmlError::UnknownTag("div".into())));
        assert_eq!(check_html("a<br>b", 4096), Err(HtmlError::UnknownTag("br".into())));
        assert_eq!(check_html("<b><i>x</b></i>", 4096), Err(HtmlError::Unbalanced("b".into())));
        assert_eq!(check_html("<b>x", 4096), Err(HtmlError::Unclosed("b".into())));
        assert_eq!(check_html("1 < 2", 4096), Err(HtmlError::BareCharacter));
        assert_eq!(check_html("fish & chips", 4096), Err(HtmlError::BareCharacter));
        assert_eq!(check_html("&nbsp;", 4096), Err(HtmlError::BareCharacter));
        assert_eq!(check_html("<b> </b>", 4096), Err(HtmlError::Empty));
        assert_eq!(check_html("<a>x</a>", 4096), Err(HtmlError::UnknownTag("a without href".into())));
    }

    #[test]
    fn length_is_what_the_reader_sees() {
        let long = format!("<b>{}</b>", "x".repeat(1024));
        assert_eq!(check_html(&long, 1024), Ok(1024));
        assert_eq!(check_html(&format!("{long}y"), 1024), Err(HtmlError::TooLong { max: 1024 }));
    }
}
