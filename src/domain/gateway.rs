//! Paying through a gateway: Razorpay does not accept links below ₹1, so a smaller
//! difference is rounded up to it; the rest stays in the wallet.
use super::Money;

pub const MIN_GATEWAY_AMOUNT: Money = Money::from_rupees(1);

/// What the customer pays to cover `shortfall`.
pub fn amount_for(shortfall: Money) -> Money {
    shortfall.max(MIN_GATEWAY_AMOUNT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_differences_round_up_to_the_gateway_minimum() {
        assert_eq!(amount_for(Money::from_paise(1)), Money::from_rupees(1));
        assert_eq!(amount_for(Money::from_paise(150)), Money::from_paise(150));
        assert_eq!(amount_for(Money::ZERO), Money::from_rupees(1));
    }
}
