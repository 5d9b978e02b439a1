//! Every text in locales/ must be something Telegram accepts: HTML messages parse, and
//! button labels / popup texts (plain text) carry no markup.
use ottsonly::playground::rules::parse_html;

/// Keys whose text is shown as plain text (buttons, popups, command descriptions).
fn is_plain(key: &str) -> bool {
    key.starts_with("menu.")
        || key.starts_with("commands.")
        || key.starts_with("plans.button")
        || key.starts_with("pay.")
            && (key.ends_with("_name") || key.ends_with("_button") || key.ends_with("_description"))
        || key.starts_with("topup.") && key.ends_with("_button")
        || key.starts_with("upi.") && (key.ends_with("_button") || key == "upi.open_app")
        || matches!(key, "stars.description" | "stars.label" | "stars.expired" | "stars.unknown" | "stars.not_yours")
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

fn locale_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales")
}

/// Every text of one locale file, by flattened key (`menu.title`).
fn load_locale(file: &str) -> std::collections::BTreeMap<String, String> {
    let path = locale_dir().join(file);
    let source = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&source).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut texts = Vec::new();
    flatten("", &yaml, &mut texts);
    let count = texts.len();
    let map: std::collections::BTreeMap<_, _> = texts.into_iter().collect();
    assert_eq!(map.len(), count, "{file}: a key appears twice");
    map
}

/// The translations next to en.yml (file names), hi.yml among them.
fn translations() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(locale_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yml") && name != "en.yml")
        .collect();
    files.sort();
    assert!(files.iter().any(|f| f == "hi.yml"), "locales/hi.yml is missing: {files:?}");
    files
}

/// The `%{name}` placeholders of a text.
fn placeholders(text: &str) -> std::collections::BTreeSet<String> {
    let mut found = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("%{") {
        rest = &rest[start + 2..];
        match rest.find('}') {
            Some(end) => {
                found.insert(rest[..end].to_owned());
                rest = &rest[end + 1..];
            }
            None => break,
        }
    }
    found
}

#[test]
fn every_translation_has_the_keys_and_placeholders_of_en() {
    let en = load_locale("en.yml");
    assert!(en.len() > 50, "en.yml has only {} texts", en.len());
    let mut problems = Vec::new();
    for file in translations() {
        let other = load_locale(&file);
        for (key, text) in &en {
            match other.get(key) {
                None => problems.push(format!("{file} lacks {key}")),
                Some(translated) => {
                    let (want, got) = (placeholders(text), placeholders(translated));
                    if want != got {
                        problems.push(format!("{file}: {key} has placeholders {got:?}, en.yml {want:?}"));
                    }
                }
            }
        }
        for key in other.keys().filter(|key| !en.contains_key(*key)) {
            problems.push(format!("{file} has {key}, which en.yml lacks"));
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// The tags of a text (`<b>`, `</b>`, `<a href="…">`), sorted: a translation may reorder them.
fn tags(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        let end = rest.find('>').map_or(rest.len(), |end| end + 1);
        found.push(&rest[..end]);
        rest = &rest[end..];
    }
    found.sort_unstable();
    found
}

#[test]
fn every_translation_keeps_the_markup_and_line_breaks_of_en() {
    let en = load_locale("en.yml");
    let mut problems = Vec::new();
    for file in translations() {
        for (key, translated) in load_locale(&file) {
            let Some(text) = en.get(&key) else { continue };
            if tags(text) != tags(&translated) {
                problems.push(format!("{file}: {key} has tags {:?}, en.yml {:?}", tags(&translated), tags(text)));
            }
            let newlines = |s: &str| (s.matches('\n').count(), s.len() - s.trim_start_matches('\n').len());
            if newlines(text) != newlines(&translated) {
                problems.push(format!("{file}: {key} has other line breaks than en.yml (count, leading)"));
            }
            if key.starts_with("commands.") && !(3..=256).contains(&translated.chars().count()) {
                problems.push(format!("{file}: {key} must be 3 to 256 characters for Telegram"));
            }
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

// Locale keys the code uses: a light Rust lexer (strings, comments, char literals) and a look at
// each `t!(…)`. Its first argument is
// - a string literal: that key;
// - `format!("prefix{x}suffix", …)`: expanded from `FORMAT_KEYS` below, or else with every bare
//   word literal (`"start"`) earlier in the same function (the `["start", "plans"].map(…)` idiom);
// - a variable: the key-like literals of the last `let` binding it earlier in the same function
//   (`let key = if … { "admin.cancelled" } else { "admin.nothing_to_cancel" };`).
// Anything else is reported, so a new kind of dynamic key gets a resolver here instead of
// being skipped silently.

/// `t!(format!(pattern, …))` whose values do not come from literals next to it.
fn format_keys(pattern: &str) -> Option<Vec<String>> {
    use ottsonly::domain::setting::SettingKey;
    match pattern {
        "settings.help_{}" => {
            Some(SettingKey::ALL.iter().map(|k| format!("settings.help_{}", k.key().replace('.', "_"))).collect())
        }
        "commands.{}" => Some(ottsonly::bot::commands::all_names().iter().map(|c| format!("commands.{c}")).collect()),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Ident(String),
    Punct(char),
}

fn lex(source: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if c == '"' {
            let mut text = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    text.push(chars[i]);
                    i += 1;
                }
                line += usize::from(at(i) == '\n');
                text.push(at(i));
                i += 1;
            }
            i += 1;
            tokens.push((Tok::Str(text), start_line));
        } else if c == '\'' {
            if at(i + 1) == '\\' {
                // '\n', '\'', '\u{..}'
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                // A lifetime or label: the name follows as an identifier.
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let hashes = chars[i..].iter().take_while(|c| **c == '#').count();
            if matches!(word.as_str(), "r" | "br") && at(i + hashes) == '"' {
                // Raw string: r"…", r#"…"#.
                i += hashes + 1;
                let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                let rest: String = chars[i..].iter().collect();
                let len = rest.find(&close).unwrap_or(rest.len());
                let text = &rest[..len];
                line += text.matches('\n').count();
                i += text.chars().count() + close.chars().count();
                tokens.push((Tok::Str(text.to_owned()), start_line));
            } else if word == "b" && at(i) == '"' {
                // b"…": lexed as the string that follows.
            } else {
                tokens.push((Tok::Ident(word), start_line));
            }
        } else {
            tokens.push((Tok::Punct(c), start_line));
            i += 1;
        }
    }
    tokens
}

fn looks_like_key(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        && !s.contains("..")
        && !s.ends_with('.')
}

/// Keys with the line that uses them.
type KeyLines = Vec<(String, usize)>;
/// Lines with a `t!` whose key is unknown, and what that `t!` looks like.
type Unresolved = Vec<(usize, String)>;

/// The locale keys `source` uses, each with its line; or, for a `t!` whose key this cannot
/// work out, the line and a description.
fn keys_used(source: &str) -> (KeyLines, Unresolved) {
    let tokens = lex(source);
    let tok = |i: usize| tokens.get(i).map(|(t, _)| t);
    let ident = |i: usize, name: &str| matches!(tok(i), Some(Tok::Ident(w)) if w == name);
    let punct = |i: usize, c: char| tok(i) == Some(&Tok::Punct(c));
    let (mut keys, mut unresolved) = (Vec::new(), Vec::new());
    for i in 0..tokens.len() {
        if !(ident(i, "t") && punct(i + 1, '!') && punct(i + 2, '(')) {
            continue;
        }
        let line = tokens[i].1;
        // The enclosing function starts at the last `fn` before this call.
        let fn_start = (0..i).rev().find(|&j| ident(j, "fn")).unwrap_or(0);
        let arg = i + 3;
        match tok(arg) {
            Some(Tok::Str(key)) => keys.push((key.clone(), line)),
            Some(Tok::Ident(w)) if w == "format" && punct(arg + 1, '!') && punct(arg + 2, '(') => {
                let Some(Tok::Str(pattern)) = tok(arg + 3) else {
                    unresolved.push((line, "t!(format!(…)) without a literal pattern".to_owned()));
                    continue;
                };
                let expanded = format_keys(pattern).or_else(|| {
                    let open = pattern.find('{')?;
                    let close = open + pattern[open..].find('}')?;
                    let (prefix, suffix) = (&pattern[..open], &pattern[close + 1..]);
                    if suffix.contains('{') {
                        return None;
                    }
                    let words: Vec<String> = tokens[fn_start..i]
                        .iter()
                        .filter_map(|(t, _)| match t {
                            Tok::Str(s) if looks_like_key(s) && !s.contains('.') => {
                                Some(format!("{prefix}{s}{suffix}"))
                            }
                            _ => None,
                        })
                        .collect();
                    (!words.is_empty()).then_some(words)
                });
                match expanded {
                    Some(expanded) => keys.extend(expanded.into_iter().map(|k| (k, line))),
                    None => unresolved.push((line, format!("t!(format!({pattern:?}, …))"))),
                }
            }
            Some(Tok::Ident(var)) if !punct(arg + 1, '!') => {
                // The last `let … var … = <expr>;` before the call in this function.
                let binding = (fn_start..i).rev().filter(|&j| ident(j, "let")).find_map(|j| {
                    let eq = (j..i).find(|&k| punct(k, '=') && !punct(k + 1, '=') && !punct(k - 1, '='))?;
                    (j..eq).any(|k| ident(k, var)).then_some(eq)
                });
                let mut literals = Vec::new();
                if let Some(eq) = binding {
                    let mut depth = 0i32;
                    for (t, _) in &tokens[eq + 1..i] {
                        match t {
                            Tok::Punct('(' | '[' | '{') => depth += 1,
                            Tok::Punct(')' | ']' | '}') => depth -= 1,
                            Tok::Punct(';') if depth <= 0 => break,
                            Tok::Str(s) if looks_like_key(s) => literals.push((s.clone(), line)),
                            _ => {}
                        }
                    }
                }
                if literals.is_empty() {
                    unresolved.push((line, format!("t!({var}): no `let {var} = …` with key literals before it")));
                }
                keys.extend(literals);
            }
            _ => unresolved.push((line, "t!(…) with an argument this test does not understand".to_owned())),
        }
    }
    (keys, unresolved)
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_key_scanner_finds_literal_and_dynamic_keys() {
    let source = r#"
        // t!("in.comment") /* t!("in.block_comment") */
        fn one(x: bool) -> String {
            let s = "t!(\"in.string\")";
            let c = '"';
            let key = if x { "admin.cancelled" } else { "admin.nothing_to_cancel" };
            let (a, b) = match x { true => ("p.one", "q.one"), false => ("p.two", "q.two") };
            format!("{}{}{}{}", t!("plain.key"), t!(
                "split.key", n = 1), t!(key), t!(b, x = c))
        }
        fn two() -> Vec<String> {
            ["start", "help"].into_iter().map(|c| t!(format!("commands.{c}")).into_owned()).collect()
        }
        fn three(other: &str) -> String { t!(other).into_owned() }
    "#;
    let (keys, unresolved) = keys_used(source);
    let keys: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "plain.key",
            "split.key",
            "admin.cancelled",
            "admin.nothing_to_cancel",
            "p.one",
            "q.one",
            "p.two",
            "q.two",
            "commands.start",
            "commands.help"
        ]
    );
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert!(unresolved[0].1.contains("t!(other)"), "{unresolved:?}");
}

/// Key-like string literals in the dashboard's own sections (`dashboard.…`, `dashboard_ops.…`).
fn dashboard_keys(source: &str) -> KeyLines {
    lex(source)
        .into_iter()
        .filter_map(|(t, line)| match t {
            Tok::Str(s) if looks_like_key(&s) && s.starts_with("dashboard") && s.contains('.') => Some((s, line)),
            _ => None,
        })
        .collect()
}

#[test]
fn every_locale_key_the_code_uses_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let locales: Vec<(String, std::collections::BTreeMap<String, String>)> =
        std::iter::once("en.yml".to_owned()).chain(translations()).map(|f| (f.clone(), load_locale(&f))).collect();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    let (mut problems, mut used) = (Vec::new(), std::collections::BTreeSet::new());
    for path in &files {
        let shown = path.strip_prefix(root).unwrap_or(path).display().to_string();
        let source = std::fs::read_to_string(path).unwrap();
        let (mut keys, mut unresolved) = keys_used(&source);
        if shown.starts_with("src/http/dashboard/") {
            // Pages hand their keys (table headers, tabs, the menu) to the layout's helpers,
            // which translate them: every key-like literal of the dashboard's own sections is a
            // key, so a `t!(key)` on a parameter or loop variable there is covered.
            keys.extend(dashboard_keys(&source));
            unresolved.retain(|(_, what)| what.contains("format!"));
        }
        for (line, what) in unresolved {
            problems.push(format!("{shown}:{line}: cannot tell which key {what} uses; teach tests/all/locales.rs"));
        }
        for (key, line) in keys {
            for (file, texts) in &locales {
                if !texts.contains_key(&key) {
                    problems.push(format!("{shown}:{line}: {key} is missing from locales/{file}"));
                }
            }
            used.insert(key);
        }
    }
    assert!(used.len() > 100, "found only {} keys in src/: is the scanner broken?", used.len());
    assert!(
        ["commands.start", "settings.help_referral_l1_rate", "admin.nothing_to_cancel"]
            .iter()
            .all(|k| used.contains(*k)),
        "dynamic keys were not found: is the scanner broken?"
    );
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}
