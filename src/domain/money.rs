//! Rupee amounts as integer paise. Parsing goes through `rust_decimal` so "135.50" is exact;
//! there is no floating point anywhere on a money path.
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not an amount")]
    NotANumber,
    #[error("at most two decimal places (paise)")]
    TooPrecise,
    #[error("must not be negative")]
    Negative,
    #[error("too large")]
    TooLarge,
}

/// The largest amount we accept from people: ₹1 crore. Keeps every sum far from i64 limits.
pub const MAX_INPUT: Money = Money::from_rupees(10_000_000);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_paise(paise: i64) -> Self {
        Money(paise)
    }

    pub const fn from_rupees(rupees: i64) -> Self {
        Money(rupees * 100)
    }

    pub const fn paise(self) -> i64 {
        self.0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// What is still missing to pay `price` from `self`, or zero.
    pub fn shortfall_for(self, price: Money) -> Money {
        Money((price.0 - self.0).max(0))
    }

    /// Parses what a person types: `135`, `135.5`, `135.50`, `₹135`, `Rs 1,350`.
    pub fn parse_rupees(input: &str) -> Result<Money, MoneyError> {
        let cleaned: String = input
            .trim()
            .trim_start_matches('₹')
            .trim_start_matches("Rs.")
            .trim_start_matches("Rs")
            .trim_start_matches("INR")
            .chars()
            .filter(|c| *c != ',' && !c.is_whitespace())
            .collect();
        let digits = cleaned.strip_prefix('-').unwrap_or(&cleaned);
        let well_formed = !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.matches('.').count() <= 1
            && digits.chars().any(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(MoneyError::NotANumber);
        }
        let value = Decimal::from_str(&cleaned).map_err(|_| MoneyError::NotANumber)?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        let value = value.normalize();
        if value.scale() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        let paise =
            value.checked_mul(Decimal::ONE_HUNDRED).and_then(|p| i64::try_from(p).ok()).ok_or(MoneyError::TooLarge)?;
        let money = Money(paise);
        if money > MAX_INPUT {
            return Err(MoneyError::TooLarge);
        }
        Ok(money)
    }

    /// `135.00`: two decimals, no symbol, no grouping (for links and gateways).
    pub fn plain(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// `₹1,35,000`, `₹135.50`, `-₹42`: Indian digit grouping, paise only when there are some.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let rupees = group_indian(abs / 100);
        match abs % 100 {
            0 => write!(f, "{sign}₹{rupees}"),
            paise => write!(f, "{sign}₹{rupees}.{paise:02}"),
        }
    }
}

fn group_indian(n: u64) -> String {
    let digits = n.to_string();
    if digits.len() <= 3 {
        return digits;
    }
    let (head, last3) = digits.split_at(digits.len() - 3);
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = head;
    while rest.len() > 2 {
        let (h, t) = rest.split_at(rest.len() - 2);
        groups.push(t);
        rest = h;
    }
    groups.push(rest);
    groups.reverse();
    format!("{},{}", groups.join(","), last3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_whole_and_decimal_rupees() {
        assert_eq!(Money::parse_rupees("135"), Ok(Money::from_paise(13_500)));
        assert_eq!(Money::parse_rupees("135.5"), Ok(Money::from_paise(13_550)));
        assert_eq!(Money::parse_rupees("135.50"), Ok(Money::from_paise(13_550)));
        assert_eq!(Money::parse_rupees("0.01"), Ok(Money::from_paise(1)));
        assert_eq!(Money::parse_rupees(" ₹1,350 "), Ok(Money::from_paise(135_000)));
        assert_eq!(Money::parse_rupees("Rs 42"), Ok(Money::from_paise(4_200)));
        assert_eq!(Money::parse_rupees("42.000"), Ok(Money::from_paise(4_200)));
        assert_eq!(Money::parse_rupees("0"), Ok(Money::ZERO));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        assert_eq!(Money::parse_rupees(""), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("abc"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("1e3"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("+5"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("NaN"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("."), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("1.2.3"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("١٢٣"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_rupees("135.505"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse_rupees("-5"), Err(MoneyError::Negative));
        assert_eq!(Money::parse_rupees("99999999999999999999"), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse_rupees("10000001"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn formats_with_indian_grouping() {
        assert_eq!(Money::from_paise(13_500).to_string(), "₹135");
        assert_eq!(Money::from_paise(13_550).to_string(), "₹135.50");
        assert_eq!(Money::from_paise(5).to_string(), "₹0.05");
        assert_eq!(Money::from_rupees(1_000).to_string(), "₹1,000");
        assert_eq!(Money::from_rupees(135_000).to_string(), "₹1,35,000");
        assert_eq!(Money::from_rupees(12_345_678).to_string(), "₹1,23,45,678");
        assert_eq!(Money::from_paise(-4_200).to_string(), "-₹42");
    }

    #[test]
    fn plain_has_two_decimals() {
        assert_eq!(Money::from_paise(13_500).plain(), "135.00");
        assert_eq!(Money::from_paise(7).plain(), "0.07");
        assert_eq!(Money::from_paise(-150).plain(), "-1.50");
    }

    #[test]
    fn shortfall_is_never_negative() {
        let price = Money::from_rupees(135);
        assert_eq!(Money::from_rupees(100).shortfall_for(price), Money::from_rupees(35));
        assert_eq!(Money::from_rupees(200).shortfall_for(price), Money::ZERO);
    }

    #[test]
    fn parse_then_plain_round_trips() {
        for s in ["0.00", "0.01", "1.10", "135.00", "99999.99"] {
            assert_eq!(Money::parse_rupees(s).map(Money::plain).as_deref(), Ok(s));
        }
    }
}
