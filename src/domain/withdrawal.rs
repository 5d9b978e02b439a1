//! Withdrawal rules: what may be paid out, and which amounts and UPI IDs are accepted.
use super::money::Money;
use super::upi;

/// Commission money that may leave the shop: the wallet balance, but never more than the
/// commission made available minus what was withdrawn or is reserved. Top-ups and refunds
/// are spendable on plans, not withdrawable.
pub fn withdrawable(balance: Money, commission_available: Money, withdrawn_or_reserved: Money) -> Money {
    let earned_left = Money::from_paise((commission_available.paise() - withdrawn_or_reserved.paise()).max(0));
    balance.min(earned_left).max(Money::ZERO)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    BelowMinimum { min: Money },
    AboveWithdrawable { withdrawable: Money },
}

pub fn check_amount(amount: Money, min: Money, withdrawable: Money) -> Result<(), AmountError> {
    if amount > withdrawable {
        return Err(AmountError::AboveWithdrawable { withdrawable });
    }
    if amount < min {
        return Err(AmountError::BelowMinimum { min });
    }
    Ok(())
}

/// A UPI ID as typed, lower-cased; None when it is not one.
pub fn normalise_vpa(input: &str) -> Option<String> {
    let vpa = input.trim().to_lowercase();
    upi::is_valid_vpa(&vpa).then_some(vpa)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs(r: i64) -> Money {
        Money::from_rupees(r)
    }

    #[test]
    fn withdrawable_is_the_smaller_of_balance_and_commission_left() {
        assert_eq!(withdrawable(rs(1000), rs(700), rs(0)), rs(700)); // top-ups are not withdrawable
        assert_eq!(withdrawable(rs(300), rs(700), rs(0)), rs(300)); // spent some on plans
        assert_eq!(withdrawable(rs(1000), rs(700), rs(500)), rs(200));
        assert_eq!(withdrawable(rs(1000), rs(700), rs(900)), rs(0)); // a reversal after paying out
        assert_eq!(withdrawable(rs(0), rs(700), rs(0)), rs(0));
    }

    #[test]
    fn amounts_between_minimum_and_withdrawable() {
        assert_eq!(check_amount(rs(500), rs(500), rs(600)), Ok(()));
        assert_eq!(check_amount(rs(600), rs(500), rs(600)), Ok(()));
        assert_eq!(check_amount(rs(499), rs(500), rs(600)), Err(AmountError::BelowMinimum { min: rs(500) }));
        assert_eq!(
            check_amount(rs(601), rs(500), rs(600)),
            Err(AmountError::AboveWithdrawable { withdrawable: rs(600) })
        );
        assert_eq!(
            check_amount(rs(500), rs(500), rs(100)),
            Err(AmountError::AboveWithdrawable { withdrawable: rs(100) })
        );
    }

    #[test]
    fn upi_ids_are_lower_cased() {
        assert_eq!(normalise_vpa(" Ravi.Kumar@OkAxis "), Some("ravi.kumar@okaxis".into()));
        assert_eq!(normalise_vpa("ravi"), None);
        assert_eq!(normalise_vpa("ravi@1bank"), None);
    }
}
