//! Telegram Stars prices: rupees times the configured rate, rounded up to a whole star.
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::money::Money;

/// Stars for `amount` at `stars_per_rupee`; at least one. None if absurdly large.
pub fn stars_for(amount: Money, stars_per_rupee: Decimal) -> Option<u32> {
    let rupees = Decimal::new(amount.paise(), 2);
    let stars = rupees.checked_mul(stars_per_rupee)?.round_dp_with_strategy(0, RoundingStrategy::AwayFromZero);
    stars.to_u32().map(|s| s.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_to_whole_stars() {
        let rate = Decimal::new(5, 1); // 0.5 stars per rupee
        assert_eq!(stars_for(Money::from_rupees(135), rate), Some(68));
        assert_eq!(stars_for(Money::from_rupees(134), rate), Some(67));
        assert_eq!(stars_for(Money::from_paise(1), rate), Some(1));
        assert_eq!(stars_for(Money::from_rupees(100), Decimal::new(2, 0)), Some(200));
        assert_eq!(stars_for(Money::from_paise(13_550), Decimal::ONE), Some(136));
        assert_eq!(stars_for(Money::from_rupees(10_000_000), Decimal::new(1_000_000, 0)), None);
    }
}
