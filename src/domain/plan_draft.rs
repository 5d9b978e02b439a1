//! Validating a new plan as an admin types it, in one line or step by step.
use super::money::{Money, MoneyError};

pub const MAX_NAME_LEN: usize = 100;
pub const MAX_DAYS: i32 = 3650;
pub const MAX_DESCRIPTION_LEN: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDraft {
    pub price: Money,
    pub cost: Money,
    pub duration_days: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanDraftError {
    #[error("price: {0}")]
    Price(MoneyError),
    #[error("price must be more than zero")]
    FreePrice,
    #[error("cost: {0}")]
    Cost(MoneyError),
    #[error("days must be a whole number from 1 to 3650")]
    Days,
    #[error("name must not be empty")]
    EmptyName,
    #[error("name is too long")]
    LongName,
    #[error("expected: <price> <cost> <days> <name>")]
    Missing,
    #[error("description is too long (at most 1000 characters)")]
    LongDescription,
}

pub fn parse_price(input: &str) -> Result<Money, PlanDraftError> {
    let price = Money::parse_rupees(input).map_err(PlanDraftError::Price)?;
    if !price.is_positive() {
        return Err(PlanDraftError::FreePrice);
    }
    Ok(price)
}

pub fn parse_cost(input: &str) -> Result<Money, PlanDraftError> {
    Money::parse_rupees(input).map_err(PlanDraftError::Cost)
}

pub fn parse_days(input: &str) -> Result<i32, PlanDraftError> {
    match input.trim().parse::<i32>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(days),
        _ => Err(PlanDraftError::Days),
    }
}

pub fn parse_name(input: &str) -> Result<String, PlanDraftError> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        Err(PlanDraftError::EmptyName)
    } else if name.chars().count() > MAX_NAME_LEN {
        Err(PlanDraftError::LongName)
    } else {
        Ok(name)
    }
}

/// Trimmed description, line breaks kept; empty clears it.
pub fn parse_description(input: &str) -> Result<String, PlanDraftError> {
    let description = input.trim().to_owned();
    if description.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(PlanDraftError::LongDescription);
    }
    Ok(description)
}

/// `135.50 42 30 Netflix Premium 4K`
pub fn parse_line(args: &str) -> Result<PlanDraft, PlanDraftError> {
    let mut parts = args.split_whitespace();
    let (Some(price), Some(cost), Some(days)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(PlanDraftError::Missing);
    };
    let name: Vec<&str> = parts.collect();
    if name.is_empty() {
        return Err(PlanDraftError::Missing);
    }
    Ok(PlanDraft {
        price: parse_price(price)?,
        cost: parse_cost(cost)?,
        duration_days: parse_days(days)?,
        name: parse_name(&name.join(" "))?,
    })
}

/// What an admin changes on an existing plan; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<Money>,
    pub cost: Option<Money>,
    pub duration_days: Option<i32>,
    pub active: Option<bool>,
    /// Lower first in the customers' list.
    pub sort_order: Option<i32>,
    /// Renewing keeps the customer's login (true) or hands out a new one from stock (false).
    pub keeps_login: Option<bool>,
}

impl PlanChanges {
    /// The same changes, normalised, or the first field that is not acceptable.
    pub fn validated(self) -> Result<PlanChanges, (&'static str, PlanDraftError)> {
        let money = |m: Money| {
            if m.paise() < 0 {
                Err(MoneyError::Negative)
            } else if m > super::money::MAX_INPUT {
                Err(MoneyError::TooLarge)
            } else {
                Ok(m)
            }
        };
        let name = self.name.map(|n| parse_name(&n)).transpose().map_err(|e| ("name", e))?;
        let description =
            self.description.map(|d| parse_description(&d)).transpose().map_err(|e| ("description", e))?;
        let price = match self.price {
            Some(p) if !p.is_positive() => return Err(("price", PlanDraftError::FreePrice)),
            Some(p) => Some(money(p).map_err(|e| ("price", PlanDraftError::Price(e)))?),
            None => None,
        };
        let cost = self.cost.map(money).transpose().map_err(|e| ("cost", PlanDraftError::Cost(e)))?;
        if let Some(days) = self.duration_days {
            if !(1..=MAX_DAYS).contains(&days) {
                return Err(("duration_days", PlanDraftError::Days));
            }
        }
        Ok(PlanChanges { name, description, price, cost, ..self })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_line() {
        assert_eq!(
            parse_line("135.50 42 30 Netflix  Premium 4K"),
            Ok(PlanDraft {
                price: Money::from_paise(13_550),
                cost: Money::from_rupees(42),
                duration_days: 30,
                name: "Netflix Premium 4K".into(),
            })
        );
    }

    #[test]
    fn reports_the_bad_field() {
        assert_eq!(parse_line("135 42 30"), Err(PlanDraftError::Missing));
        assert_eq!(parse_line(""), Err(PlanDraftError::Missing));
        assert_eq!(parse_line("abc 42 30 X"), Err(PlanDraftError::Price(MoneyError::NotANumber)));
        assert_eq!(parse_line("0 0 30 X"), Err(PlanDraftError::FreePrice));
        assert_eq!(parse_line("135 -1 30 X"), Err(PlanDraftError::Cost(MoneyError::Negative)));
        assert_eq!(parse_line("135 42 0 X"), Err(PlanDraftError::Days));
        assert_eq!(parse_line("135 42 3651 X"), Err(PlanDraftError::Days));
        assert_eq!(parse_line("135 42 1.5 X"), Err(PlanDraftError::Days));
        assert_eq!(parse_name(&"n".repeat(101)), Err(PlanDraftError::LongName));
        assert_eq!(parse_description(&"d".repeat(1001)), Err(PlanDraftError::LongDescription));
        assert_eq!(parse_description("  Netflix + Prime\n4 screens \n"), Ok("Netflix + Prime\n4 screens".into()));
    }

    #[test]
    fn plan_changes_are_checked_field_by_field() {
        let ok = PlanChanges {
            name: Some("  Prime   Video ".into()),
            price: Some(Money::from_rupees(99)),
            ..Default::default()
        };
        assert_eq!(ok.validated().unwrap().name.as_deref(), Some("Prime Video"));
        let free = PlanChanges { price: Some(Money::ZERO), ..Default::default() };
        assert_eq!(free.validated().unwrap_err().0, "price");
        let negative = PlanChanges { cost: Some(Money::from_paise(-1)), ..Default::default() };
        assert_eq!(negative.validated().unwrap_err().0, "cost");
        let forever = PlanChanges { duration_days: Some(MAX_DAYS + 1), ..Default::default() };
        assert_eq!(forever.validated().unwrap_err().0, "duration_days");
        let blank = PlanChanges { name: Some("   ".into()), ..Default::default() };
        assert_eq!(blank.validated().unwrap_err(), ("name", PlanDraftError::EmptyName));
        assert_eq!(PlanChanges::default().validated(), Ok(PlanChanges::default()));
    }
}
