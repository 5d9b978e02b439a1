//! What a referrer may learn about the people who joined through their link.

/// The first two characters of a name and stars: `Rahul` -> `Ra***`.
pub fn mask_name(name: &str) -> String {
    let visible: String = name.trim().chars().take(2).collect();
    if visible.is_empty() {
        return "***".into();
    }
    format!("{visible}***")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_name("Rahul Sharma"), "Ra***");
        assert_eq!(mask_name("A"), "A***");
        assert_eq!(mask_name("  "), "***");
        assert_eq!(mask_name("प्रिया"), "प्***");
    }
}
