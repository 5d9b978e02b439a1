//! Gift links: the code in `/start gift_CODE`, and who may claim a gift.
use chrono::{DateTime, Utc};
use rand::Rng;

use super::referral_code::ALPHABET;

/// Long enough that nobody guesses a gift (it carries a login): 31^12, about 2^59.
pub const LENGTH: usize = 12;

pub fn generate(rng: &mut impl Rng) -> String {
    (0..LENGTH).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// The code of a gift link's payload, upper-cased, or None when it cannot be one of ours.
pub fn normalize(input: &str) -> Option<String> {
    let code = input.trim().to_ascii_uppercase();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// A gift as the claim sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GiftState {
    pub buyer_id: i32,
    pub claimed_by: Option<i32>,
    pub refunded: bool,
    pub expires_at: DateTime<Utc>,
}

/// Why a gift cannot be claimed by this person now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// The buyer opened their own link: it is for someone else.
    OwnGift,
    /// This person claimed it already.
    AlreadyYours,
    /// Someone else claimed it first.
    Taken,
    /// The buyer got their money back.
    Refunded,
    Expired,
}

/// Whether `claimer` may claim the gift at `now`. The claim itself is decided again by a
/// conditional update; this says why not.
pub fn check(gift: &GiftState, claimer: i32, now: DateTime<Utc>) -> Result<(), ClaimRefusal> {
    match gift.claimed_by {
        Some(id) if id == claimer => return Err(ClaimRefusal::AlreadyYours),
        Some(_) => return Err(ClaimRefusal::Taken),
        None => {}
    }
    if gift.refunded {
        return Err(ClaimRefusal::Refunded);
    }
    if gift.buyer_id == claimer {
        return Err(ClaimRefusal::OwnGift);
    }
    if now >= gift.expires_at {
        return Err(ClaimRefusal::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap()
    }

    fn open() -> GiftState {
        GiftState { buyer_id: 1, claimed_by: None, refunded: false, expires_at: now() + Duration::days(30) }
    }

    #[test]
    fn anyone_but_the_buyer_claims_an_open_gift_before_it_expires() {
        assert_eq!(check(&open(), 2, now()), Ok(()));
        assert_eq!(check(&open(), 1, now()), Err(ClaimRefusal::OwnGift));
        let expiry = open().expires_at;
        assert_eq!(check(&open(), 2, expiry - Duration::seconds(1)), Ok(()));
        assert_eq!(check(&open(), 2, expiry), Err(ClaimRefusal::Expired));
    }

    #[test]
    fn a_claimed_gift_is_yours_or_taken_and_a_refunded_one_is_gone() {
        let claimed = GiftState { claimed_by: Some(2), ..open() };
        assert_eq!(check(&claimed, 2, now()), Err(ClaimRefusal::AlreadyYours));
        assert_eq!(check(&claimed, 3, now()), Err(ClaimRefusal::Taken));
        assert_eq!(check(&claimed, 1, now()), Err(ClaimRefusal::Taken));
        let refunded = GiftState { refunded: true, ..open() };
        assert_eq!(check(&refunded, 2, now()), Err(ClaimRefusal::Refunded));
        assert_eq!(check(&refunded, 1, now()), Err(ClaimRefusal::Refunded));
    }

    #[test]
    fn codes_are_long_unambiguous_and_normalised() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let code = generate(&mut rng);
            assert_eq!(code.len(), LENGTH);
            assert_eq!(normalize(&code.to_ascii_lowercase()), Some(code.clone()));
        }
        assert_eq!(normalize("ABCDEFGH"), None);
        assert_eq!(normalize("ABCDEFGHJKM0"), None);
        assert_eq!(normalize(""), None);
    }
}
