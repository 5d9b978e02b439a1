//! Short payment references people can read out and quote: `PAY` + 8 unambiguous characters.
use rand::Rng;

use super::referral_code::ALPHABET;

pub const PREFIX: &str = "PAY";

pub fn generate(rng: &mut impl Rng) -> String {
    let body: String = (0..8).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{PREFIX}{body}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn readable_and_distinct() {
        let mut rng = rand::rng();
        let refs: std::collections::HashSet<_> = (0..1000).map(|_| super::generate(&mut rng)).collect();
        assert_eq!(refs.len(), 1000);
        assert!(refs.iter().all(|r| r.len() == 11 && r.starts_with("PAY") && !r[3..].contains(['0', 'O', '1', 'I'])));
    }
}
