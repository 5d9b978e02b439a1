//! Promo codes and discounts, as rules: what a code takes off a price, whether it may be used
//! on an order, the referee's first-purchase discount, and reading staff's `/promo add` line.
//! A discount never takes the price below ₹1 (a payment of nothing cannot be made), and the
//! larger of a code and the referee discount wins; they never add up.
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::money::Money;
use super::report;

/// The lowest price a discount leaves.
pub const MIN_PRICE_AFTER_DISCOUNT: Money = Money::from_paise(100);
/// Codes are 3 to 20 letters, digits, `-` or `_`.
pub const MAX_CODE_LEN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Off {
    /// Whole percent, 1 to 100.
    Percent(u32),
    Fixed(Money),
}

/// `20%` or `₹50`: how staff read a code's discount.
impl std::fmt::Display for Off {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Off::Percent(pct) => write!(f, "{pct}%"),
            Off::Fixed(amount) => write!(f, "{amount}"),
        }
    }
}

impl Terms {
    /// `#3, #7`, or None for every plan.
    pub fn plan_list(&self) -> Option<String> {
        self.plans.as_ref().map(|ids| ids.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(", "))
    }
}

/// What a code takes off `list_price`: rounded to the paisa, half up, and never so much that
/// less than ₹1 is left.
pub fn discount(off: Off, list_price: Money) -> Money {
    let raw = match off {
        Off::Percent(pct) => {
            let paise = Decimal::from(list_price.paise()) * Decimal::from(pct) / Decimal::ONE_HUNDRED;
            paise.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).to_i64().unwrap_or(0)
        }
        Off::Fixed(amount) => amount.paise(),
    };
    let most = (list_price.paise() - MIN_PRICE_AFTER_DISCOUNT.paise()).max(0);
    Money::from_paise(raw.clamp(0, most))
}

/// The referee discount (`rate`, a fraction) on `list_price`, with the same rounding and floor.
pub fn referee_discount(rate: Decimal, list_price: Money) -> Money {
    if rate <= Decimal::ZERO {
        return Money::ZERO;
    }
    let pct = (rate * Decimal::ONE_HUNDRED).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let paise = Decimal::from(list_price.paise()) * pct / Decimal::ONE_HUNDRED;
    let raw = paise.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).to_i64().unwrap_or(0);
    let most = (list_price.paise() - MIN_PRICE_AFTER_DISCOUNT.paise()).max(0);
    Money::from_paise(raw.clamp(0, most))
}

/// A code's terms, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub off: Off,
    /// None: every plan.
    pub plans: Option<Vec<i32>>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub max_uses: Option<u32>,
    pub per_user: u32,
    pub first_purchase_only: bool,
    pub min_price: Money,
    pub active: bool,
}

/// Why a code cannot be used on this order; each has its own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Disabled,
    NotYet,
    Expired,
    UsedUp,
    UsedByYou,
    NotForPlan,
    FirstPurchaseOnly,
    BelowMinimum,
    /// The referee discount is as large or larger: the code would not lower the price.
    NotBetter,
}

/// What the code is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Use {
    pub plan_id: i32,
    pub list_price: Money,
    pub now: DateTime<Utc>,
    /// Paid orders that used the code so far, in all and by this customer.
    pub uses: u32,
    pub uses_by_customer: u32,
    /// The customer has no paid order yet.
    pub first_purchase: bool,
}

pub fn check(terms: &Terms, usage: &Use) -> Result<(), Refusal> {
    if !terms.active {
        return Err(Refusal::Disabled);
    }
    if usage.now < terms.valid_from {
        return Err(Refusal::NotYet);
    }
    if terms.valid_until.is_some_and(|until| usage.now >= until) {
        return Err(Refusal::Expired);
    }
    if terms.plans.as_ref().is_some_and(|plans| !plans.contains(&usage.plan_id)) {
        return Err(Refusal::NotForPlan);
    }
    if usage.list_price < terms.min_price {
        return Err(Refusal::BelowMinimum);
    }
    if terms.first_purchase_only && !usage.first_purchase {
        return Err(Refusal::FirstPurchaseOnly);
    }
    if terms.max_uses.is_some_and(|max| usage.uses >= max) {
        return Err(Refusal::UsedUp);
    }
    if usage.uses_by_customer >= terms.per_user {
        return Err(Refusal::UsedByYou);
    }
    Ok(())
}

/// A customer's input as a code: trimmed, upper case; None when it cannot be one.
pub fn normalize(input: &str) -> Option<String> {
    let code = input.trim().to_ascii_uppercase();
    let ok = (3..=MAX_CODE_LEN).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(code)
}

/// `/promo add` parsed: the code and its terms (validity from `now` unless `from=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub code: String,
    pub terms: Terms,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("the code must be 3 to 20 letters, digits, - or _")]
    Code,
    #[error("say how much off: 20% or 50 (rupees)")]
    Off,
    #[error("unknown option {0}")]
    Option(String),
    #[error("{0} needs a value such as {1}")]
    Value(&'static str, &'static str),
    #[error("the code ends before it starts")]
    Window,
}

/// `CODE 20%|50 [plans=1,2] [from=2026-12-01] [until=2026-12-31] [uses=100] [per_user=1]
/// [first] [min=99]`: dates are IST days (`until` includes its day).
pub fn parse_draft(line: &str, now: DateTime<Utc>) -> Result<Draft, DraftError> {
    let mut words = line.split_whitespace();
    let code = words.next().and_then(normalize).ok_or(DraftError::Code)?;
    let off = match words.next() {
        Some(word) if word.ends_with('%') => {
            let pct = word.trim_end_matches('%').parse::<u32>().map_err(|_| DraftError::Off)?;
            if !(1..=100).contains(&pct) {
                return Err(DraftError::Off);
            }
            Off::Percent(pct)
        }
        Some(word) => match Money::parse_rupees(word) {
            Ok(amount) if amount.is_positive() => Off::Fixed(amount),
            _ => return Err(DraftError::Off),
        },
        None => return Err(DraftError::Off),
    };
    let mut terms = Terms {
        off,
        plans: None,
        valid_from: now,
        valid_until: None,
        max_uses: None,
        per_user: 1,
        first_purchase_only: false,
        min_price: Money::ZERO,
        active: true,
    };
    let date = |value: &str, name: &'static str| {
        NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| DraftError::Value(name, "2026-12-31"))
    };
    let whole = |value: &str, name: &'static str| {
        value.parse::<u32>().ok().filter(|n| *n > 0).ok_or(DraftError::Value(name, "10"))
    };
    for word in words {
        let (name, value) = word.split_once('=').unwrap_or((word, ""));
        match name.to_ascii_lowercase().as_str() {
            "first" if value.is_empty() => terms.first_purchase_only = true,
            "plans" | "plan" => {
                let ids: Option<Vec<i32>> =
                    value.split(',').map(|id| id.trim().trim_start_matches('#').parse::<i32>().ok()).collect();
                terms.plans = Some(ids.filter(|ids| !ids.is_empty()).ok_or(DraftError::Value("plans", "1,2"))?);
            }
            "from" => terms.valid_from = report::ist_midnight(date(value, "from")?),
            "until" => {
                let day = date(value, "until")?;
                terms.valid_until = Some(report::ist_midnight(day.succ_opt().unwrap_or(day)));
            }
            "uses" => terms.max_uses = Some(whole(value, "uses")?),
            "per_user" => terms.per_user = whole(value, "per_user")?,
            "min" => {
                terms.min_price =
                    Money::parse_rupees(value).ok().filter(|m| m.paise() >= 0).ok_or(DraftError::Value("min", "99"))?;
            }
            _ => return Err(DraftError::Option(word.to_owned())),
        }
    }
    if terms.valid_until.is_some_and(|until| until <= terms.valid_from) {
        return Err(DraftError::Window);
    }
    Ok(Draft { code, terms })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn rupees(r: i64) -> Money {
        Money::from_rupees(r)
    }

    #[test]
    fn discounts_round_to_the_paisa_and_leave_a_rupee() {
        assert_eq!(discount(Off::Percent(20), rupees(149)), Money::from_paise(2980));
        assert_eq!(discount(Off::Percent(15), Money::from_paise(9999)), Money::from_paise(1500)); // 1499.85
        assert_eq!(discount(Off::Fixed(rupees(50)), rupees(149)), rupees(50));
        assert_eq!(discount(Off::Fixed(rupees(500)), rupees(149)), rupees(148));
        assert_eq!(discount(Off::Percent(100), rupees(149)), rupees(148));
        assert_eq!(discount(Off::Percent(50), Money::from_paise(100)), Money::ZERO);
        assert_eq!(referee_discount(Decimal::new(10, 2), rupees(149)), Money::from_paise(1490));
        assert_eq!(referee_discount(Decimal::ZERO, rupees(149)), Money::ZERO);
        assert_eq!(referee_discount(Decimal::new(125, 3), rupees(99)), Money::from_paise(1238));
        // 12.5%
    }

    fn terms() -> Terms {
        Terms {
            off: Off::Percent(20),
            plans: Some(vec![3]),
            valid_from: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            valid_until: Some(Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap()),
            max_uses: Some(2),
            per_user: 1,
            first_purchase_only: true,
            min_price: rupees(100),
            active: true,
        }
    }

    fn usage() -> Use {
        Use {
            plan_id: 3,
            list_price: rupees(149),
            now: Utc.with_ymd_and_hms(2026, 12, 10, 0, 0, 0).unwrap(),
            uses: 1,
            uses_by_customer: 0,
            first_purchase: true,
        }
    }

    #[test]
    fn each_refusal_has_its_reason() {
        assert_eq!(check(&terms(), &usage()), Ok(()));
        assert_eq!(check(&Terms { active: false, ..terms() }, &usage()), Err(Refusal::Disabled));
        let early = Use { now: terms().valid_from - Duration::seconds(1), ..usage() };
        assert_eq!(check(&terms(), &early), Err(Refusal::NotYet));
        let late = Use { now: terms().valid_until.unwrap(), ..usage() };
        assert_eq!(check(&terms(), &late), Err(Refusal::Expired));
        assert_eq!(check(&terms(), &Use { plan_id: 4, ..usage() }), Err(Refusal::NotForPlan));
        assert_eq!(check(&terms(), &Use { list_price: rupees(99), ..usage() }), Err(Refusal::BelowMinimum));
        assert_eq!(check(&terms(), &Use { first_purchase: false, ..usage() }), Err(Refusal::FirstPurchaseOnly));
        assert_eq!(check(&terms(), &Use { uses: 2, ..usage() }), Err(Refusal::UsedUp));
        assert_eq!(check(&terms(), &Use { uses_by_customer: 1, ..usage() }), Err(Refusal::UsedByYou));
        let open = Terms { plans: None, max_uses: None, first_purchase_only: false, ..terms() };
        assert_eq!(check(&open, &Use { plan_id: 99, uses: 1000, first_purchase: false, ..usage() }), Ok(()));
    }

    #[test]
    fn staff_lines_are_read_with_every_option() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 6, 0, 0).unwrap();
        let draft = parse_draft("diwali20 20% plans=1,#2 until=2026-12-31 uses=100 per_user=2 first min=99", now);
        let draft = draft.unwrap();
        assert_eq!(draft.code, "DIWALI20");
        assert_eq!(draft.terms.off, Off::Percent(20));
        assert_eq!(draft.terms.plans, Some(vec![1, 2]));
        assert_eq!(draft.terms.valid_from, now);
        // The end of 31 December in India.
        assert_eq!(draft.terms.valid_until, Some(Utc.with_ymd_and_hms(2026, 12, 31, 18, 30, 0).unwrap()));
        assert_eq!((draft.terms.max_uses, draft.terms.per_user), (Some(100), 2));
        assert!(draft.terms.first_purchase_only);
        assert_eq!(draft.terms.min_price, rupees(99));
        let fixed = parse_draft("FLAT50 50 from=2026-12-05", now).unwrap();
        assert_eq!(fixed.terms.off, Off::Fixed(rupees(50)));
        assert_eq!(fixed.terms.valid_from, Utc.with_ymd_and_hms(2026, 12, 4, 18, 30, 0).unwrap());
        assert_eq!(parse_draft("X 10%", now), Err(DraftError::Code));
        assert_eq!(parse_draft("GOOD", now), Err(DraftError::Off));
        assert_eq!(parse_draft("GOOD 0%", now), Err(DraftError::Off));
        assert_eq!(parse_draft("GOOD 101%", now), Err(DraftError::Off));
        assert_eq!(parse_draft("GOOD 10% colour=red", now), Err(DraftError::Option("colour=red".into())));
        assert_eq!(parse_draft("GOOD 10% uses=0", now), Err(DraftError::Value("uses", "10")));
        assert_eq!(parse_draft("GOOD 10% until=2026-12-01", now), Err(DraftError::Window));
        assert_eq!(normalize(" diwali-20 "), Some("DIWALI-20".into()));
        assert_eq!(normalize("a b"), None);
    }
}
