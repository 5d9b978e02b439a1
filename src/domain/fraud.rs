//! Fraud rules as plain predicates over counts and IDs; the services gather the facts.
use rust_decimal::Decimal;

/// More than `max` referrals for one referrer within the last hour.
pub fn too_many_signups(referrals_last_hour: u64, max: u64) -> bool {
    referrals_last_hour > max
}

/// At least `min_referrals` referrals, and fewer than `rate` (a fraction) of them paying.
pub fn low_conversion(referrals: u64, paying: u64, min_referrals: u64, rate: Decimal) -> bool {
    referrals > 0 && referrals >= min_referrals && Decimal::from(paying) < Decimal::from(referrals) * rate
}

/// A payer's UPI ID equal to the referrer's withdrawal UPI ID (case does not matter in UPI).
pub fn same_upi(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    !a.is_empty() && a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signups_per_hour() {
        assert!(!too_many_signups(20, 20));
        assert!(too_many_signups(21, 20));
    }

    #[test]
    fn conversion() {
        let five = Decimal::new(5, 2);
        assert!(low_conversion(20, 0, 20, five));
        assert!(!low_conversion(20, 1, 20, five)); // exactly 5%
        assert!(low_conversion(40, 1, 20, five)); // 2.5%
        assert!(!low_conversion(19, 0, 20, five)); // too few to judge
        assert!(!low_conversion(0, 0, 0, five));
    }

    #[test]
    fn upi_ids() {
        assert!(same_upi("Ravi@OkAxis", "ravi@okaxis"));
        assert!(!same_upi("ravi@okaxis", "ravi@ybl"));
        assert!(!same_upi("", ""));
    }
}

/// Paying referrals as a whole percentage of all referrals (0 when there are none).
pub fn conversion_percent(paying: u64, referrals: u64) -> u64 {
    if referrals == 0 {
        return 0;
    }
    (paying.min(referrals) * 100 + referrals / 2) / referrals
}

#[cfg(test)]
mod conversion_tests {
    use super::conversion_percent;

    #[test]
    fn rounds_to_whole_percent() {
        assert_eq!(conversion_percent(0, 0), 0);
        assert_eq!(conversion_percent(2, 3), 67);
        assert_eq!(conversion_percent(1, 3), 33);
        assert_eq!(conversion_percent(3, 3), 100);
    }
}
