//! Referral commissions: a rate of the order's profit (price minus cost at the time of sale),
//! rounded to whole rupees, half up. No profit, no commission.
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::money::Money;

/// Referral levels: the buyer's referrer is level 1, that referrer's referrer level 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    One,
    Two,
}

/// `rate` x (price - cost), rounded to whole rupees with .5 going up; zero when there is no
/// profit or the rate is not positive.
pub fn commission(price: Money, cost: Money, rate: Decimal) -> Money {
    let profit = price.paise() - cost.paise();
    if profit <= 0 || rate <= Decimal::ZERO {
        return Money::ZERO;
    }
    let rupees = Decimal::new(profit, 2) * rate;
    let whole = rupees.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    whole.to_i64().map(Money::from_rupees).unwrap_or(Money::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::setting::{percent_to_fraction, SettingKey};

    fn rupees(r: i64) -> Money {
        Money::from_rupees(r)
    }

    /// The rates a shop starts with (`referral.l1_rate` / `l2_rate` defaults).
    fn default_rate(level: Level) -> Decimal {
        let key = match level {
            Level::One => SettingKey::L1Rate,
            Level::Two => SettingKey::L2Rate,
        };
        percent_to_fraction(key.default_value()).expect("a valid default")
    }

    #[test]
    fn the_business_example_pays_28_and_9() {
        // The ₹135 plan costing ₹42: profit ₹93.
        assert_eq!(commission(rupees(135), rupees(42), default_rate(Level::One)), rupees(28)); // 27.9
        assert_eq!(commission(rupees(135), rupees(42), default_rate(Level::Two)), rupees(9));
        // 9.3
    }

    #[test]
    fn table_of_cases() {
        let pct = |p: i64| Decimal::new(p, 2);
        let cases = [
            // price (paise), cost (paise), rate, expected rupees
            (13_500, 4_200, pct(30), 28),
            (13_500, 4_200, pct(10), 9),
            (10_000, 5_000, pct(25), 13), // 12.5 rounds up
            (10_000, 7_000, pct(5), 2),   // 1.5 rounds up
            (10_000, 9_000, pct(5), 1),   // 0.5 rounds up
            (10_000, 9_100, pct(5), 0),   // 0.45 rounds down
            (19_900, 0, pct(30), 60),     // 59.7
            (13_550, 4_200, pct(30), 28), // profit 93.50 -> 28.05
            (10_000, 10_000, pct(30), 0), // no profit
            (10_000, 12_000, pct(30), 0), // a loss pays nothing
            (10_000, 5_000, pct(0), 0),
            (10_000, 5_000, pct(-10), 0),
            (10_000, 5_000, pct(100), 50),
        ];
        for (price, cost, rate, expected) in cases {
            assert_eq!(
                commission(Money::from_paise(price), Money::from_paise(cost), rate),
                rupees(expected),
                "price {price} cost {cost} rate {rate}"
            );
        }
    }
}
