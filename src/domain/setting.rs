//! The shop's runtime settings: which keys exist, what each accepts, and its default.
//! Values are stored as normalised text; typed reads live in `services::settings`.
use std::str::FromStr;

use rust_decimal::Decimal;

use super::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKey {
    L1Rate,
    L2Rate,
    HoldHours,
    JobsIntervalSeconds,
    WithdrawalMinAmount,
    /// Withdrawals above this need two different approvers.
    WithdrawalApprovalThreshold,
    /// Manual credits and debits above this need a second owner or admin to approve.
    AdminApprovalThreshold,
    MaxSignupsPerHour,
    LowConversionMinReferrals,
    LowConversionRate,
    /// A referred customer's discount on their first paid order, in %.
    RefereeDiscount,
    /// How long before the end auto-renew buys the next period.
    AutoRenewHours,
    /// A login report open longer than this is raised to admins again.
    ReportSlaHours,
    /// How long a gift link can be claimed.
    GiftClaimDays,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// 0 to 100, up to two decimals: `30` means 30%.
    Percent,
    /// Whole numbers in a range.
    Whole { min: i64, max: i64 },
    /// Rupees, more than zero.
    Rupees,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown setting")]
    UnknownKey,
    #[error("expected a percentage from 0 to 100")]
    BadPercent,
    #[error("expected a whole number from {min} to {max}")]
    BadWhole { min: i64, max: i64 },
    #[error("expected an amount in rupees, more than zero")]
    BadRupees,
}

impl SettingKey {
    pub const ALL: [SettingKey; 14] = [
        SettingKey::L1Rate,
        SettingKey::L2Rate,
        SettingKey::HoldHours,
        SettingKey::JobsIntervalSeconds,
        SettingKey::WithdrawalMinAmount,
        SettingKey::WithdrawalApprovalThreshold,
        SettingKey::AdminApprovalThreshold,
        SettingKey::MaxSignupsPerHour,
        SettingKey::LowConversionMinReferrals,
        SettingKey::LowConversionRate,
        SettingKey::RefereeDiscount,
        SettingKey::AutoRenewHours,
        SettingKey::ReportSlaHours,
        SettingKey::GiftClaimDays,
    ];

    /// Settings that bind the admins themselves (the two-person thresholds): owners only.
    pub fn is_safeguard(self) -> bool {
        matches!(self, SettingKey::AdminApprovalThreshold | SettingKey::WithdrawalApprovalThreshold)
    }

    pub fn key(self) -> &'static str {
        match self {
            SettingKey::L1Rate => "referral.l1_rate",
            SettingKey::L2Rate => "referral.l2_rate",
            SettingKey::HoldHours => "referral.hold_hours",
            SettingKey::JobsIntervalSeconds => "jobs.interval_seconds",
            SettingKey::WithdrawalMinAmount => "withdrawal.min_amount",
            SettingKey::WithdrawalApprovalThreshold => "withdrawal.approval_threshold",
            SettingKey::AdminApprovalThreshold => "admin.approval_threshold",
            SettingKey::MaxSignupsPerHour => "fraud.max_signups_per_hour",
            SettingKey::LowConversionMinReferrals => "fraud.low_conversion_min_referrals",
            SettingKey::LowConversionRate => "fraud.low_conversion_rate",
            SettingKey::RefereeDiscount => "referral.referee_discount",
            SettingKey::AutoRenewHours => "renewal.auto_hours_before",
            SettingKey::ReportSlaHours => "support.report_sla_hours",
            SettingKey::GiftClaimDays => "gifts.claim_days",
        }
    }

    /// The business default, in stored form.
    pub fn default_value(self) -> &'static str {
        match self {
            SettingKey::L1Rate => "30",
            SettingKey::L2Rate => "10",
            SettingKey::HoldHours => "24",
            SettingKey::JobsIntervalSeconds => "60",
            SettingKey::WithdrawalMinAmount => "500.00",
            SettingKey::WithdrawalApprovalThreshold => "5000.00",
            SettingKey::AdminApprovalThreshold => "2000.00",
            SettingKey::MaxSignupsPerHour => "20",
            SettingKey::LowConversionMinReferrals => "20",
            SettingKey::LowConversionRate => "5",
            SettingKey::RefereeDiscount => "0",
            SettingKey::AutoRenewHours => "24",
            SettingKey::ReportSlaHours => "4",
            SettingKey::GiftClaimDays => "30",
        }
    }

    fn kind(self) -> Kind {
        match self {
            SettingKey::L1Rate | SettingKey::L2Rate | SettingKey::LowConversionRate | SettingKey::RefereeDiscount => {
                Kind::Percent
            }
            SettingKey::AutoRenewHours | SettingKey::ReportSlaHours => Kind::Whole { min: 1, max: 24 * 14 },
            SettingKey::GiftClaimDays => Kind::Whole { min: 1, max: 365 },
            SettingKey::HoldHours => Kind::Whole { min: 0, max: 24 * 90 },
            SettingKey::JobsIntervalSeconds => Kind::Whole { min: 1, max: 3600 },
            SettingKey::WithdrawalMinAmount
            | SettingKey::WithdrawalApprovalThreshold
            | SettingKey::AdminApprovalThreshold => Kind::Rupees,
            SettingKey::MaxSignupsPerHour | SettingKey::LowConversionMinReferrals => {
                Kind::Whole { min: 1, max: 1_000_000 }
            }
        }
    }

    /// Checks an admin's input and returns the value to store.
    pub fn normalise(self, input: &str) -> Result<String, SettingError> {
        let input = input.trim();
        match self.kind() {
            Kind::Percent => {
                let number = input.strip_suffix('%').unwrap_or(input).trim();
                let value = Decimal::from_str(number).map_err(|_| SettingError::BadPercent)?.normalize();
                if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED || value.scale() > 2 {
                    return Err(SettingError::BadPercent);
                }
                Ok(value.to_string())
            }
            Kind::Whole { min, max } => match input.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
                _ => Err(SettingError::BadWhole { min, max }),
            },
            Kind::Rupees => match Money::parse_rupees(input) {
                Ok(amount) if amount.is_positive() => Ok(amount.plain()),
                _ => Err(SettingError::BadRupees),
            },
        }
    }
}

impl FromStr for SettingKey {
    type Err = SettingError;

    fn from_str(key: &str) -> Result<Self, Self::Err> {
        let key = key.trim().to_ascii_lowercase();
        SettingKey::ALL.into_iter().find(|k| k.key() == key).ok_or(SettingError::UnknownKey)
    }
}

/// A stored percentage as a fraction: `30` -> 0.30.
pub fn percent_to_fraction(stored: &str) -> Option<Decimal> {
    Decimal::from_str(stored).ok().map(|p| p / Decimal::ONE_HUNDRED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_accepted_as_it_is() {
        for key in SettingKey::ALL {
            assert_eq!(key.normalise(key.default_value()).as_deref(), Ok(key.default_value()), "{}", key.key());
            assert_eq!(key.key().parse::<SettingKey>(), Ok(key));
        }
    }

    #[test]
    fn values_are_checked_and_normalised() {
        assert_eq!(SettingKey::L1Rate.normalise("25%"), Ok("25".into()));
        assert_eq!(SettingKey::L1Rate.normalise("12.50"), Ok("12.5".into()));
        assert_eq!(SettingKey::L1Rate.normalise("101"), Err(SettingError::BadPercent));
        assert_eq!(SettingKey::L1Rate.normalise("-1"), Err(SettingError::BadPercent));
        assert_eq!(SettingKey::L1Rate.normalise("12.345"), Err(SettingError::BadPercent));
        assert_eq!(SettingKey::L1Rate.normalise("lots"), Err(SettingError::BadPercent));
        assert_eq!(SettingKey::HoldHours.normalise("0"), Ok("0".into()));
        assert_eq!(SettingKey::HoldHours.normalise("1.5"), Err(SettingError::BadWhole { min: 0, max: 2160 }));
        assert_eq!(SettingKey::JobsIntervalSeconds.normalise("0"), Err(SettingError::BadWhole { min: 1, max: 3600 }));
        assert_eq!(SettingKey::WithdrawalMinAmount.normalise("₹250"), Ok("250.00".into()));
        assert_eq!(SettingKey::WithdrawalMinAmount.normalise("0"), Err(SettingError::BadRupees));
        assert_eq!(SettingKey::AdminApprovalThreshold.normalise("2500"), Ok("2500.00".into()));
        assert_eq!(SettingKey::WithdrawalApprovalThreshold.normalise("-1"), Err(SettingError::BadRupees));
        assert_eq!("admin.approval_threshold".parse::<SettingKey>(), Ok(SettingKey::AdminApprovalThreshold));
        assert_eq!("Referral.L1_Rate".parse::<SettingKey>(), Ok(SettingKey::L1Rate));
        assert_eq!("referral.l3_rate".parse::<SettingKey>(), Err(SettingError::UnknownKey));
        assert_eq!(percent_to_fraction("30"), Some(Decimal::new(30, 2)));
    }
}
