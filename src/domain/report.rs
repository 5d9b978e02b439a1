//! The calendar of reports: India Standard Time, the periods of /stats, the date ranges of
//! exports, and one day of the daily series. Pure: no I/O, no database.
use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

use super::Money;

/// India Standard Time (UTC+05:30, no daylight saving): every day boundary of a report.
pub fn ist() -> FixedOffset {
    FixedOffset::east_opt(5 * 3600 + 1800).unwrap_or(FixedOffset::east_opt(0).expect("UTC"))
}

/// The day in India at `at`.
pub fn ist_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&ist()).date_naive()
}

/// Midnight IST at the start of `date`, as UTC (18:30 UTC the day before).
pub fn ist_midnight(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::MIN);
    // A fixed offset has exactly one instant for every local time.
    ist().from_local_datetime(&local).single().map(|at| at.with_timezone(&Utc)).unwrap_or_else(|| local.and_utc())
}

/// What /stats covers: today, the last 7 or 30 days (today included), or everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Today,
    Days7,
    Days30,
    All,
}

impl Period {
    pub const ALL: [Period; 4] = [Period::Today, Period::Days7, Period::Days30, Period::All];

    /// `today`, `7d`, `30d`, `all` (any case; `7` and `30` too).
    pub fn parse(input: &str) -> Option<Period> {
        match input.trim().to_ascii_lowercase().as_str() {
            "today" | "1d" => Some(Period::Today),
            "7d" | "7" | "week" => Some(Period::Days7),
            "30d" | "30" | "month" => Some(Period::Days30),
            "all" => Some(Period::All),
            _ => None,
        }
    }

    /// The name `parse` reads, for links and APIs.
    pub fn code(self) -> &'static str {
        match self {
            Period::Today => "today",
            Period::Days7 => "7d",
            Period::Days30 => "30d",
            Period::All => "all",
        }
    }

    /// IST days covered, today included; None for all time.
    pub fn days(self) -> Option<u32> {
        match self {
            Period::Today => Some(1),
            Period::Days7 => Some(7),
            Period::Days30 => Some(30),
            Period::All => None,
        }
    }

    /// The first instant of the period (midnight IST of its first day); None for all time.
    pub fn start(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let days = self.days()?;
        let first = ist_date(now).checked_sub_days(Days::new(u64::from(days) - 1))?;
        Some(ist_midnight(first))
    }

    /// How many days the chart next to this period's figures shows: a single bar says
    /// little, and all time is shown as its last 90 days.
    pub fn chart_days(self) -> u32 {
        match self {
            Period::Today | Period::Days7 => 7,
            Period::Days30 => 30,
            Period::All => 90,
        }
    }
}

/// The longest daily series a report draws (a year and a day).
pub const MAX_DAYS: u32 = 366;

/// One IST day of the daily series: paid orders' revenue and how many were paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayPoint {
    pub date: NaiveDate,
    pub revenue: Money,
    pub orders: u64,
}

/// `from` to `to`, both IST days and both included (an export's range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("{0:?} is not a date like 2026-12-01")]
    BadDate(String),
    #[error("the range ends before it starts")]
    Reversed,
}

impl DateRange {
    /// Two dates like `2026-12-01`; `to` may equal `from` (one day).
    pub fn parse(from: &str, to: &str) -> Result<DateRange, RangeError> {
        let date = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| RangeError::BadDate(s.trim().to_owned()))
        };
        DateRange::new(date(from)?, date(to)?)
    }

    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<DateRange, RangeError> {
        if to < from {
            return Err(RangeError::Reversed);
        }
        Ok(DateRange { from, to })
    }

    /// The instants covered: from midnight IST of `from` (included) to midnight IST after
    /// `to` (excluded).
    pub fn bounds(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        (ist_midnight(self.from), ist_midnight(end))
    }
}

/// `2026-12-01 14:05:09`: an instant as an IST wall-clock time a spreadsheet reads as a date.
pub fn ist_timestamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&ist()).format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn days_begin_at_midnight_in_india() {
        // 18:29 UTC is 23:59 IST; a minute later it is the next day in India.
        assert_eq!(ist_date(utc(2026, 12, 9, 18, 29)), NaiveDate::from_ymd_opt(2026, 12, 9).unwrap());
        assert_eq!(ist_date(utc(2026, 12, 9, 18, 30)), NaiveDate::from_ymd_opt(2026, 12, 10).unwrap());
        assert_eq!(ist_midnight(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()), utc(2026, 12, 9, 18, 30));
    }

    #[test]
    fn periods_start_at_midnight_ist_and_include_today() {
        let now = utc(2026, 12, 10, 6, 30); // 12:00 IST on 10 Dec
        assert_eq!(Period::Today.start(now), Some(utc(2026, 12, 9, 18, 30)));
        assert_eq!(Period::Days7.start(now), Some(utc(2026, 12, 3, 18, 30)));
        assert_eq!(Period::Days30.start(now), Some(utc(2026, 11, 10, 18, 30)));
        assert_eq!(Period::All.start(now), None);
        // Just after midnight IST, "today" is the new day already.
        assert_eq!(Period::Today.start(utc(2026, 12, 9, 18, 31)), Some(utc(2026, 12, 9, 18, 30)));
    }

    #[test]
    fn periods_parse_as_typed() {
        for period in Period::ALL {
            assert_eq!(Period::parse(period.code()), Some(period));
            assert_eq!(Period::parse(&period.code().to_uppercase()), Some(period));
        }
        assert_eq!(Period::parse(" 30 "), Some(Period::Days30));
        assert_eq!(Period::parse("yesterday"), None);
        assert_eq!(Period::parse(""), None);
    }

    #[test]
    fn a_range_covers_whole_ist_days_both_included() {
        let range = DateRange::parse("2026-12-01", "2026-12-31").unwrap();
        assert_eq!(range.bounds(), (utc(2026, 11, 30, 18, 30), utc(2026, 12, 31, 18, 30)));
        let one = DateRange::parse("2026-12-01", "2026-12-01").unwrap();
        assert_eq!(one.bounds(), (utc(2026, 11, 30, 18, 30), utc(2026, 12, 1, 18, 30)));
        assert_eq!(DateRange::parse("2026-12-02", "2026-12-01"), Err(RangeError::Reversed));
        assert_eq!(DateRange::parse("1/12/2026", "2026-12-01"), Err(RangeError::BadDate("1/12/2026".into())));
        assert_eq!(DateRange::parse("2026-02-30", "2026-03-01"), Err(RangeError::BadDate("2026-02-30".into())));
    }

    #[test]
    fn timestamps_are_ist_wall_clock() {
        assert_eq!(ist_timestamp(utc(2026, 12, 9, 18, 35)), "2026-12-10 00:05:00");
    }
}
