//! Report intervals aligned to the calendar in the host's time zone.

use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, LocalResult, NaiveDateTime, TimeZone, Timelike};
use serde::{Deserialize, Serialize};

use super::breakdown::BreakdownFigures;
use super::cost::CostSummary;
use super::error::StatsConfigError;
use super::figures::{AgentFigures, ContactFigures};
use crate::time::Timestamp;

const MINUTE_MS: i64 = 60_000;

/// The length of a report interval: a whole number of minutes dividing an
/// hour (15, 30, 60, …), or a calendar day.
///
/// # Example
/// ```
/// use switchboard::stats::IntervalLength;
///
/// assert_eq!(IntervalLength::minutes(15).unwrap(), IntervalLength::QUARTER_HOUR);
/// assert!(IntervalLength::minutes(45).is_err()); // does not divide an hour
/// assert_eq!(IntervalLength::DAY.as_minutes(), 1_440);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct IntervalLength(u16);

impl IntervalLength {
    /// 15 minutes, the usual wallboard and WFM interval.
    pub const QUARTER_HOUR: IntervalLength = IntervalLength(15);
    /// 30 minutes.
    pub const HALF_HOUR: IntervalLength = IntervalLength(30);
    /// 60 minutes.
    pub const HOUR: IntervalLength = IntervalLength(60);
    /// A calendar day, from local midnight to local midnight (23 or 25 hours
    /// on the days a daylight-saving zone changes its clocks).
    pub const DAY: IntervalLength = IntervalLength(1_440);

    /// An interval of `minutes`.
    ///
    /// # Errors
    /// [`StatsConfigError::InvalidIntervalLength`] unless `minutes` divides
    /// 60 or equals 1,440 (a day): intervals must tile every hour the same way.
    pub fn minutes(minutes: u16) -> Result<IntervalLength, StatsConfigError> {
        if minutes == 1_440 || (minutes > 0 && 60 % minutes == 0) {
            Ok(IntervalLength(minutes))
        } else {
            Err(StatsConfigError::InvalidIntervalLength(minutes))
        }
    }

    /// The length in minutes (1,440 for a day).
    pub fn as_minutes(self) -> u16 {
        self.0
    }
}

impl TryFrom<u16> for IntervalLength {
    type Error = StatsConfigError;
    fn try_from(value: u16) -> Result<Self, Self::Error> {
        IntervalLength::minutes(value)
    }
}

impl From<IntervalLength> for u16 {
    fn from(value: IntervalLength) -> u16 {
        value.0
    }
}

/// Where report intervals start and end: a length and a time zone.
///
/// Intervals are aligned to the local wall clock: with 15-minute intervals
/// in UTC+05:30, they start at :00, :15, :30 and :45 local time. Any chrono
/// [`TimeZone`] works: [`FixedOffset`] (the default) or [`chrono::Utc`] from
/// chrono itself, or a daylight-saving zone from a crate such as `chrono-tz`.
///
/// Daylight saving: sub-hour and hourly intervals are measured in real time
/// from their local start, so the repeated hour of an autumn change gives two
/// distinct intervals with the same local label, and the skipped hour of a
/// spring change gives none. A day runs from one local midnight to the next.
///
/// # Example
/// ```
/// use chrono::FixedOffset;
/// use switchboard::{Timestamp};
/// use switchboard::stats::{IntervalLength, IntervalSchedule};
///
/// let paris_winter = FixedOffset::east_opt(3600).unwrap();
/// let schedule = IntervalSchedule::new(IntervalLength::QUARTER_HOUR, paris_winter);
/// // 2026-01-05 08:20:00 UTC is 09:20 in Paris: the 09:15–09:30 local interval.
/// let t = Timestamp::from_secs(1_767_601_200);
/// let (start, end) = schedule.bounds(t);
/// assert_eq!(start, Timestamp::from_secs(1_767_601_200 - 5 * 60));
/// assert_eq!(end, Timestamp::from_secs(1_767_601_200 + 10 * 60));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntervalSchedule<Tz: TimeZone = FixedOffset> {
    length: IntervalLength,
    zone: Tz,
}

impl<Tz: TimeZone> IntervalSchedule<Tz> {
    /// Intervals of `length` aligned in `zone`.
    pub fn new(length: IntervalLength, zone: Tz) -> Self {
        IntervalSchedule { length, zone }
    }

    /// The interval length.
    pub fn length(&self) -> IntervalLength {
        self.length
    }

    /// The time zone.
    pub fn zone(&self) -> &Tz {
        &self.zone
    }

    /// The local date-time of an instant, or `None` outside chrono's range.
    fn local(&self, t: Timestamp) -> Option<DateTime<Tz>> {
        self.zone.timestamp_millis_opt(t.as_millis()).single()
    }

    /// The earliest instant at or after a local wall-clock time (skipping a
    /// daylight-saving gap hour by hour).
    fn instant_of(&self, naive: NaiveDateTime) -> Option<Timestamp> {
        for hours in 0..4 {
            let candidate = naive + ChronoDuration::hours(hours);
            match self.zone.from_local_datetime(&candidate) {
                LocalResult::Single(dt) | LocalResult::Ambiguous(dt, _) => {
                    return Some(Timestamp::from_millis(dt.timestamp_millis()));
                }
                LocalResult::None => continue,
            }
        }
        None
    }

    /// The interval holding `t`: its start (inclusive) and end (exclusive).
    ///
    /// Outside chrono's range of dates, intervals fall back to UTC alignment.
    pub fn bounds(&self, t: Timestamp) -> (Timestamp, Timestamp) {
        let ms = t.as_millis();
        let Some(local) = self.local(t) else {
            let len = i64::from(self.length.0) * MINUTE_MS;
            let start = ms - ms.rem_euclid(len);
            return (Timestamp::from_millis(start), Timestamp::from_millis(start.saturating_add(len)));
        };
        if self.length == IntervalLength::DAY {
            let date = local.date_naive();
            let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists on every date");
            let start = self.instant_of(midnight).filter(|s| *s <= t);
            let next = date.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).and_then(|n| self.instant_of(n));
            match (start, next) {
                (Some(start), Some(end)) if end > t => return (start, end),
                _ => {
                    // A zone whose midnight is skipped and whose day is odd:
                    // fall back to the local hour arithmetic below.
                    let elapsed = i64::from(local.num_seconds_from_midnight()) * 1_000
                        + i64::from(local.timestamp_subsec_millis());
                    let start = ms - elapsed;
                    return (Timestamp::from_millis(start), Timestamp::from_millis(start + 1_440 * MINUTE_MS));
                }
            }
        }
        let len_min = i64::from(self.length.0);
        let into_interval_ms = (i64::from(local.minute()) % len_min) * MINUTE_MS
            + i64::from(local.second()) * 1_000
            + i64::from(local.timestamp_subsec_millis() % 1_000);
        let start = ms - into_interval_ms;
        (Timestamp::from_millis(start), Timestamp::from_millis(start + len_min * MINUTE_MS))
    }

    /// The local date-time of the interval start, with its offset.
    pub fn local_start(&self, start: Timestamp) -> Option<DateTime<FixedOffset>> {
        self.local(start).map(|dt| dt.fixed_offset())
    }
}

/// The figures of one closed interval: the same figures a wallboard shows,
/// per queue, channel, skill, agent and attribute value, plus costs.
///
/// Counters cover the interval (see [`ContactCounters`](crate::stats::ContactCounters)
/// for which interval each event is counted in); instantaneous figures
/// (waiting, agents by state, presence) are as at the interval's end. Rows
/// are sorted by id; queues, channels, skills and agents known to the
/// statistics appear even when idle, attribute values only when they had
/// contacts.
///
/// # Example
/// ```
/// use switchboard::stats::*;
/// use switchboard::*;
///
/// let mut stats = Statistics::new(StatsConfig::builder().intervals(IntervalLength::HALF_HOUR).build()?);
/// let nine = Timestamp::from_secs(1_767_603_600); // 2026-01-05 09:00 UTC
/// stats.advance(nine);
/// // The host's run loop wakes at the interval end even if nothing happens.
/// stats.advance(stats.next_interval_end().unwrap());
/// let report = stats.poll_report().unwrap();
/// assert_eq!((report.start, report.end.millis_since(report.start)), (nine, 30 * 60 * 1000));
/// # Ok::<(), StatsConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IntervalReport {
    /// The start (inclusive).
    pub start: Timestamp,
    /// The end (exclusive).
    pub end: Timestamp,
    /// The start on the host's local calendar, if representable.
    pub local_start: Option<DateTime<FixedOffset>>,
    /// Per queue.
    pub queues: Vec<ContactFigures>,
    /// Per channel.
    pub channels: Vec<ContactFigures>,
    /// Per skill required.
    pub skills: Vec<ContactFigures>,
    /// Per agent.
    pub agents: Vec<AgentFigures>,
    /// Per host attribute value.
    pub breakdowns: Vec<BreakdownFigures>,
    /// Costs of the interactions that ended in the interval.
    pub cost: CostSummary,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Utc};

    fn ts(dt: DateTime<Utc>) -> Timestamp {
        Timestamp::from(dt)
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Timestamp {
        ts(Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap())
    }

    #[test]
    fn lengths_must_tile_an_hour_or_be_a_day() {
        for ok in [1u16, 5, 10, 15, 20, 30, 60, 1_440] {
            assert!(IntervalLength::minutes(ok).is_ok(), "{ok}");
        }
        for bad in [0u16, 7, 45, 90, 120, 1_439] {
            assert_eq!(IntervalLength::minutes(bad), Err(StatsConfigError::InvalidIntervalLength(bad)));
        }
        assert!(serde_json::from_str::<IntervalLength>("45").is_err());
        assert_eq!(serde_json::from_str::<IntervalLength>("30").unwrap(), IntervalLength::HALF_HOUR);
    }

    #[test]
    fn aligned_in_a_half_hour_offset_zone() {
        let india = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
        let s = IntervalSchedule::new(IntervalLength::HOUR, india);
        // 10:10 UTC = 15:40 IST: the 15:00–16:00 IST interval = 09:30–10:30 UTC.
        let (start, end) = s.bounds(utc(2026, 3, 2, 10, 10, 0));
        assert_eq!((start, end), (utc(2026, 3, 2, 9, 30, 0), utc(2026, 3, 2, 10, 30, 0)));
        assert_eq!(s.bounds(start), (start, end), "the start belongs to its interval");
        assert_eq!(s.bounds(end).0, end, "the end starts the next one");
        let day = IntervalSchedule::new(IntervalLength::DAY, india);
        // Local midnight IST is 18:30 UTC the day before.
        assert_eq!(day.bounds(utc(2026, 3, 2, 10, 10, 0)), (utc(2026, 3, 1, 18, 30, 0), utc(2026, 3, 2, 18, 30, 0)));
        assert_eq!(day.local_start(utc(2026, 3, 1, 18, 30, 0)).unwrap().to_rfc3339(), "2026-03-02T00:00:00+05:30");
    }

    /// A toy daylight-saving zone: UTC+1 in winter, UTC+2 from 2026-03-29
    /// 01:00 UTC to 2026-10-25 01:00 UTC (the EU rule for that year).
    #[derive(Clone, Copy, Debug)]
    struct ToyEurope;

    impl ToyEurope {
        fn summer(utc_ms: i64) -> bool {
            (utc(2026, 3, 29, 1, 0, 0).as_millis()..utc(2026, 10, 25, 1, 0, 0).as_millis()).contains(&utc_ms)
        }
    }

    impl TimeZone for ToyEurope {
        type Offset = FixedOffset;
        fn from_offset(_: &FixedOffset) -> Self {
            ToyEurope
        }
        fn offset_from_local_date(&self, _: &NaiveDate) -> LocalResult<FixedOffset> {
            unimplemented!("not used")
        }
        fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<FixedOffset> {
            let winter = FixedOffset::east_opt(3600).unwrap();
            let summer = FixedOffset::east_opt(7200).unwrap();
            let as_winter = Self::summer(local.and_utc().timestamp_millis() - 3_600_000);
            let as_summer = Self::summer(local.and_utc().timestamp_millis() - 7_200_000);
            match (as_winter, as_summer) {
                (false, false) => LocalResult::Single(winter),
                (true, true) => LocalResult::Single(summer),
                (false, true) => LocalResult::Ambiguous(summer, winter),
                (true, false) => LocalResult::None,
            }
        }
        fn offset_from_utc_date(&self, _: &NaiveDate) -> FixedOffset {
            unimplemented!("not used")
        }
        fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> FixedOffset {
            let secs = if Self::summer(utc.and_utc().timestamp_millis()) { 7200 } else { 3600 };
            FixedOffset::east_opt(secs).unwrap()
        }
    }

    #[test]
    fn daylight_saving_days_are_23_and_25_hours() {
        let day = IntervalSchedule::new(IntervalLength::DAY, ToyEurope);
        let (start, end) = day.bounds(utc(2026, 3, 29, 12, 0, 0));
        assert_eq!(start, utc(2026, 3, 28, 23, 0, 0));
        assert_eq!(end, utc(2026, 3, 29, 22, 0, 0));
        let (start, end) = day.bounds(utc(2026, 10, 25, 12, 0, 0));
        assert_eq!((start, end), (utc(2026, 10, 24, 22, 0, 0), utc(2026, 10, 25, 23, 0, 0)));
        assert_eq!(end.millis_since(start), 25 * 3_600_000);
        // The repeated local hour 02:00–03:00 gives two distinct hourly intervals.
        let hour = IntervalSchedule::new(IntervalLength::HOUR, ToyEurope);
        let first = hour.bounds(utc(2026, 10, 25, 0, 30, 0));
        let second = hour.bounds(utc(2026, 10, 25, 1, 30, 0));
        assert_eq!(first, (utc(2026, 10, 25, 0, 0, 0), utc(2026, 10, 25, 1, 0, 0)));
        assert_eq!(second, (utc(2026, 10, 25, 1, 0, 0), utc(2026, 10, 25, 2, 0, 0)));
    }
}
