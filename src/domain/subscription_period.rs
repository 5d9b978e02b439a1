//! When a subscription starts and ends, and what state it is in at a given moment.
use chrono::{DateTime, Duration, Utc};

pub fn ends_at(starts_at: DateTime<Utc>, duration_days: i32) -> DateTime<Utc> {
    starts_at + Duration::days(i64::from(duration_days))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    Active { days_left: i64 },
    Expired,
    Cancelled,
}

pub fn state_at(ends_at: DateTime<Utc>, cancelled: bool, now: DateTime<Utc>) -> SubscriptionState {
    if cancelled {
        SubscriptionState::Cancelled
    } else if now >= ends_at {
        SubscriptionState::Expired
    } else {
        // A subscription with 2 h left still has "1 day" left, not 0.
        let secs = (ends_at - now).num_seconds();
        SubscriptionState::Active { days_left: (secs + 86_399) / 86_400 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn thirty_days_later() {
        let start = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        assert_eq!(ends_at(start, 30), Utc.with_ymd_and_hms(2026, 12, 22, 10, 0, 0).unwrap());
    }

    #[test]
    fn states() {
        let end = Utc.with_ymd_and_hms(2026, 12, 22, 10, 0, 0).unwrap();
        let before = end - Duration::hours(2);
        assert_eq!(state_at(end, false, before), SubscriptionState::Active { days_left: 1 });
        assert_eq!(state_at(end, false, end - Duration::days(3)), SubscriptionState::Active { days_left: 3 });
        assert_eq!(state_at(end, false, end), SubscriptionState::Expired);
        assert_eq!(state_at(end, true, before), SubscriptionState::Cancelled);
    }
}
