//! Telegram's parse modes, checked the way the Bot API checks them. Each parser returns the
//! visible text, or the reason Telegram would give for refusing the message.

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
