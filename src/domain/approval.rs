//! The two-person rule: money moved by hand above a threshold (`admin.approval_threshold`
//! for credits and debits, `withdrawal.approval_threshold` for withdrawals) needs a second,
//! different owner or admin before it moves.
use super::Money;

/// True when `amount` is above `threshold`: at or below it, one person decides.
pub fn needs_second_approval(amount: Money, threshold: Money) -> bool {
    amount > threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_amounts_above_the_threshold_need_a_second_approver() {
        let threshold = Money::from_rupees(2000);
        assert!(!needs_second_approval(Money::from_paise(199_999), threshold));
        assert!(!needs_second_approval(threshold, threshold));
        assert!(needs_second_approval(Money::from_paise(200_001), threshold));
    }
}
