//! When a subscription starts and ends, and what state it is in at a given moment.
use chrono::{DateTime, Duration, Utc};

pub fn ends_at(starts_at: DateTime<Utc>, duration_days: i32) -> DateTime<Utc> {
    starts_at + Duration::days(i64::from(duration_days))
}

/// The period a renewal paid at `now` buys: it starts where the current one ends, so no day
/// is lost, or now when that is already past.
pub fn renewed(current_end: DateTime<Utc>, duration_days: i32, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let starts = current_end.max(now);
    (starts, ends_at(starts, duration_days))
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
    fn a_renewal_loses_no_day_before_the_end_and_starts_now_after_it() {
        let end = Utc.with_ymd_and_hms(2026, 12, 22, 10, 0, 0).unwrap();
        let early = end - Duration::days(2);
        assert_eq!(renewed(end, 30, early), (end, end + Duration::days(30)));
        assert_eq!(renewed(end, 30, end), (end, end + Duration::days(30)));
        let late = end + Duration::days(5);
        assert_eq!(renewed(end, 30, late), (late, late + Duration::days(30)));
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
