//! Which expiry reminder a subscription is due, if any. Reminders go out `days_before` its end
//! (default 3 and 1 days) and once more on the day it ends. A run sends only the nearest one
//! due, so a subscription bought with two days left gets the 1-day reminder, not the 3-day
//! one too late; the sender keys each by (subscription, period end, reminder), so every
//! reminder goes out once per period however many times or places the job runs.
use chrono::{DateTime, Duration, Utc};

/// How long after the end the "expired today" reminder may still go out (a job that was down).
pub const EXPIRED_GRACE: Duration = Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// The period ends within this many days.
    DaysBefore(u32),
    /// The period has just ended.
    Expired,
}

impl Reminder {
    /// Part of the reminder's unique key: `3d`, `1d`, `expired`.
    pub fn key(self) -> String {
        match self {
            Reminder::DaysBefore(days) => format!("{days}d"),
            Reminder::Expired => "expired".into(),
        }
    }
}

/// The reminder due at `now` for a period ending at `ends_at`.
pub fn due(ends_at: DateTime<Utc>, days_before: &[u32], now: DateTime<Utc>) -> Option<Reminder> {
    if now >= ends_at {
        return (now - ends_at < EXPIRED_GRACE).then_some(Reminder::Expired);
    }
    let left = ends_at - now;
    days_before
        .iter()
        .copied()
        .filter(|days| *days > 0 && left <= Duration::days(i64::from(*days)))
        .min()
        .map(Reminder::DaysBefore)
}

/// `3,1` (any order, spaces allowed) as days, largest first; None when a part is not a whole
/// number of days from 1 to 30.
pub fn parse_days(text: &str) -> Option<Vec<u32>> {
    let mut days: Vec<u32> = text
        .split(',')
        .map(|part| part.trim().parse::<u32>().ok().filter(|d| (1..=30).contains(d)))
        .collect::<Option<_>>()?;
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    Some(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn end() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 20, 10, 0, 0).unwrap()
    }

    #[test]
    fn the_nearest_reminder_is_due() {
        let days = [3, 1];
        assert_eq!(due(end(), &days, end() - Duration::days(5)), None);
        assert_eq!(due(end(), &days, end() - Duration::days(3)), Some(Reminder::DaysBefore(3)));
        assert_eq!(due(end(), &days, end() - Duration::hours(50)), Some(Reminder::DaysBefore(3)));
        assert_eq!(due(end(), &days, end() - Duration::hours(24)), Some(Reminder::DaysBefore(1)));
        assert_eq!(due(end(), &days, end() - Duration::minutes(1)), Some(Reminder::DaysBefore(1)));
        assert_eq!(due(end(), &days, end()), Some(Reminder::Expired));
        assert_eq!(due(end(), &days, end() + Duration::hours(23)), Some(Reminder::Expired));
        assert_eq!(due(end(), &days, end() + Duration::hours(24)), None);
        assert_eq!(due(end(), &[], end() - Duration::hours(1)), None);
    }

    #[test]
    fn days_are_parsed_strictly() {
        assert_eq!(parse_days("3,1"), Some(vec![3, 1]));
        assert_eq!(parse_days(" 1, 7 ,3,3"), Some(vec![7, 3, 1]));
        assert_eq!(parse_days("0"), None);
        assert_eq!(parse_days("3,x"), None);
        assert_eq!(parse_days("31"), None);
        assert_eq!(Reminder::DaysBefore(3).key(), "3d");
        assert_eq!(Reminder::Expired.key(), "expired");
    }
}
