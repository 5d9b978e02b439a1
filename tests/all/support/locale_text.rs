//! Texts from `locales/<lang>.yml`, so a test expects the translator's words.
use std::fmt::Display;

/// The raw text of `key`, placeholders and all.
pub fn text(lang: &str, key: &str) -> String {
    let path = format!("{}/locales/{lang}.yml", env!("CARGO_MANIFEST_DIR"));
    let yaml: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut value = &yaml;
    for part in key.split('.') {
        value = &value[part];
    }
    value.as_str().unwrap_or_else(|| panic!("{lang}: no text {key}")).to_owned()
}

/// The text of `key` with its placeholders filled, as the bot's `t!` fills them. Every
/// placeholder must be given.
pub fn tr(lang: &str, key: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut text = text(lang, key);
    for (name, arg) in args {
        let placeholder = format!("%{{{name}}}");
        assert!(text.contains(&placeholder), "{lang}.{key} has no %{{{name}}}");
        text = text.replace(&placeholder, &arg.to_string());
    }
    assert!(!text.contains("%{"), "{lang}.{key}: a placeholder was not filled: {text}");
    text
}
