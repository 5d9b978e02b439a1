//! Referral codes: short, upper-case, and free of look-alike characters (0/O, 1/I/L).
use rand::Rng;

pub const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const LENGTH: usize = 8;

pub fn generate(rng: &mut impl Rng) -> String {
    (0..LENGTH).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// Normalises a code from a deep link (`ref_ab12cd34`), or None when it cannot be one of ours.
pub fn normalize(input: &str) -> Option<String> {
    let code = input.trim().to_ascii_uppercase();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_use_only_unambiguous_characters() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let code = generate(&mut rng);
            assert_eq!(code.len(), LENGTH);
            assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
            assert_eq!(normalize(&code), Some(code.clone()));
        }
    }

    #[test]
    fn normalize_accepts_lower_case_and_refuses_garbage() {
        assert_eq!(normalize("abcdefgh"), Some("ABCDEFGH".into()));
        assert_eq!(normalize("ABCDEFG0"), None);
        assert_eq!(normalize("short"), None);
        assert_eq!(normalize("ÄBCDEFGH"), None);
        assert_eq!(normalize(""), None);
    }
}
