//! Business hours: when a contact center is open, as local wall-clock times in
//! its own time zone, with holidays and special days. [`BusinessHours`] is the
//! data, [`Calendar`] the validated form that answers in engine time; the
//! rules (daylight saving time, the end of the day, the engine's range) are
//! documented on [`BusinessHours`].

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, Offset, TimeZone, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::Timestamp;

/// Minutes in a day; a [`LocalTime`] of this many minutes is 24:00.
const MINUTES_PER_DAY: u16 = 1440;
const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_HOUR: i64 = 3_600_000;
/// How far from a local time, read as if it were UTC, its instant can lie:
/// chrono's offsets are under 24 h either way, and this is wider.
const GAP_SEARCH_MS: i64 = 27 * MS_PER_HOUR;
/// The first instant after [`Timestamp::MAX`], where the calendar's range ends.
const END_MS: i64 = Timestamp::MAX.as_millis() + 1;
/// Weekly-hours days `next_change` walks without seeing a change before it
/// concludes that the weekly hours alone never change (no weekly hours, or
/// open around the clock every day) and skips to the next dated exception.
/// Sixteen covers the day before and the day of the query and then every
/// weekday twice, so one day lost in a DST gap cannot hide a weekly opening.
const WALK_DAYS: u32 = 16;
/// From this local date on, the offset of every zone is constant: the tz
/// database bundled by `chrono-tz` 0.10 lists changes up to 2099 and keeps the
/// last offset after that (a test checks this for every zone, so a dependency
/// update that changes it fails loudly). From here, any seven days of weekly
/// hours hold exactly [`Calendar::weekly_ms`] of open time, which is what lets
/// [`Calendar::open_between`] count whole weeks instead of days.
const STEADY_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2100, 1, 3) {
    Some(date) => date,
    None => NaiveDate::MAX,
};
/// The earliest exception date accepted: the engine's first day.
const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};
/// The latest exception date accepted: the engine's last day.
const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    None => NaiveDate::MAX,
};
/// How much of an unknown time zone name or an unreadable time an error repeats.
const MAX_QUOTED_BYTES: usize = 64;

/// A local wall-clock time of day, to the minute, from 00:00 to 24:00 (the end
/// of the day, for closing times). Written `"HH:MM"` (24-hour clock) in
/// serialised forms and by [`Display`](fmt::Display), read by [`FromStr`].
///
/// [`LocalTime::hm`] does not check its arguments (so that it can be `const`):
/// [`BusinessHours::check`] refuses a time past 24:00 or a minute past 59, and
/// parsing refuses them at once.
///
/// # Example
/// ```
/// use switchboard::LocalTime;
///
/// let nine: LocalTime = "09:00".parse().unwrap();
/// assert_eq!(nine, LocalTime::hm(9, 0));
/// assert_eq!(nine.minutes_since_midnight(), 540);
/// assert_eq!(LocalTime::END_OF_DAY.to_string(), "24:00");
/// assert!("24:30".parse::<LocalTime>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    hour: u8,
    minute: u8,
}

impl LocalTime {
    /// 00:00, the start of the day.
    pub const MIDNIGHT: LocalTime = LocalTime { hour: 0, minute: 0 };
    /// 24:00, the end of the day (the next day's 00:00), for closing times.
    pub const END_OF_DAY: LocalTime = LocalTime { hour: 24, minute: 0 };

    /// `hour:minute`, unchecked (see the type's documentation).
    pub const fn hm(hour: u8, minute: u8) -> LocalTime {
        LocalTime { hour, minute }
    }

    /// The hour, 0 to 24.
    pub const fn hour(self) -> u8 {
        self.hour
    }

    /// The minute, 0 to 59.
    pub const fn minute(self) -> u8 {
        self.minute
    }

    /// Minutes since the start of the day: 0 for 00:00, 1440 for 24:00.
    pub const fn minutes_since_midnight(self) -> u16 {
        self.hour as u16 * 60 + self.minute as u16
    }

    /// Whether this is a time of day: 00:00 to 23:59, or 24:00.
    pub const fn is_valid(self) -> bool {
        (self.hour < 24 && self.minute < 60) || (self.hour == 24 && self.minute == 0)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

impl FromStr for LocalTime {
    type Err = CalendarError;

    /// Reads `"HH:MM"` (or `"H:MM"`), 24-hour clock, from 00:00 to 24:00.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let unreadable = || CalendarError::UnreadableTime { text: quoted(text) };
        let (hour, minute) = text.split_once(':').ok_or_else(unreadable)?;
        let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
            lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(hour, 1..=2) || !digits(minute, 2..=2) {
            return Err(unreadable());
        }
        let time = LocalTime::hm(hour.parse().map_err(|_| unreadable())?, minute.parse().map_err(|_| unreadable())?);
        if time.is_valid() { Ok(time) } else { Err(unreadable()) }
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One opening on a day: open from `open` (inclusive) to `close` (exclusive),
/// local wall-clock time. `close` must be after `open`; 24:00 closes at the
/// end of the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Opening {
    /// When it opens.
    pub open: LocalTime,
    /// When it closes: after `open`, at most 24:00.
    pub close: LocalTime,
}

impl Opening {
    /// Open from `open` to `close`.
    pub const fn new(open: LocalTime, close: LocalTime) -> Self {
        Opening { open, close }
    }
}

impl fmt::Display for Opening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.open, self.close)
    }
}

/// One opening of the weekly hours: every `day`, open from `open` to `close`,
/// local time. A day may have several (a lunch break is two openings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WeeklyOpening {
    /// The day of the week (`"Mon"` … `"Sun"` in serialised forms).
    pub day: Weekday,
    /// When it opens.
    pub open: LocalTime,
    /// When it closes: after `open`, at most 24:00.
    pub close: LocalTime,
}

impl WeeklyOpening {
    /// The opening's times, without the day.
    pub const fn opening(&self) -> Opening {
        Opening::new(self.open, self.close)
    }
}

/// The hours of one date, replacing its weekly hours: no openings for a
/// holiday (closed all day), or the special hours of that date.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DatedHours {
    /// The local date (`"2026-12-24"` in serialised forms).
    pub date: NaiveDate,
    /// The openings that date; empty (or missing) for closed all day.
    #[serde(default)]
    pub hours: Vec<Opening>,
}

/// When a contact center is open: weekly hours in an IANA time zone, with
/// dated exceptions (holidays, special hours). Plain data, as a host or a
/// scenario file writes it; [`BusinessHours::check`] validates it into a
/// [`Calendar`], which answers in engine time ([`Timestamp`], UTC
/// milliseconds): is it open now, when does that next change, and how much
/// business time lies between two instants.
///
/// Every opening and closing time is a local wall-clock time on a local date
/// in the time zone (the tz database is compiled in, through `chrono-tz`). A
/// date's exception, if it has one, replaces its weekday's weekly hours.
///
/// # Daylight saving time
///
/// Where the wall clock jumps:
///
/// * a time that does not exist locally (the spring-forward gap, e.g. 02:30 in
///   Berlin on the last Sunday of March) means the first instant after the
///   gap (03:00 summer time there); an opening that lies wholly inside a gap
///   therefore does not open that day;
/// * a time that exists twice (the fall-back overlap, e.g. 02:30 in Berlin on
///   the last Sunday of October) means its earlier occurrence.
///
/// Both rules apply to opening and closing times alike, so an opening from
/// 02:30 to 05:00 lasts 2 h on the spring-forward day, 2 h 30 min on an
/// ordinary day and 3 h 30 min on the fall-back day (it stays open through
/// the repeated hour), and one from 09:00 to 18:00 always lasts 9 h. A later
/// local time is never an earlier instant under these rules, so a day's
/// openings keep their order.
///
/// # The end of the day
///
/// A closing time of 24:00 is the end of the day (the next day's 00:00). An
/// opening that runs past midnight is written as two, until 24:00 and from
/// 00:00 the next day. Openings that touch, one closing when the next opens,
/// on one day or across midnight, are one stretch of open time: no change
/// happens between them.
///
/// # The engine's range
///
/// A calendar answers for the instants the engine accepts,
/// [`Timestamp::EPOCH`] to [`Timestamp::MAX`]: outside that range it is
/// closed, and no change is reported beyond [`Timestamp::MAX`]. Every query
/// is total: any `i64` timestamp is answered, and none panics.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use chrono::{NaiveDate, TimeZone, Utc, Weekday::*};
/// use switchboard::{BusinessHours, LocalTime, Opening, Timestamp};
///
/// let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
/// let utc = |m, d, h, min| Timestamp::from(Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap());
///
/// // Weekdays 09:00-18:00 in Berlin; closed on Christmas Day; Christmas Eve until 13:00.
/// let calendar = BusinessHours::new("Europe/Berlin")
///     .open_days([Mon, Tue, Wed, Thu, Fri], LocalTime::hm(9, 0), LocalTime::hm(18, 0))
///     .closed_on(date(12, 25))
///     .special(date(12, 24), [Opening::new(LocalTime::hm(9, 0), LocalTime::hm(13, 0))])
///     .check()?;
///
/// // Monday 2026-12-21, 10:00 in Berlin (CET, UTC+1) is 09:00 UTC.
/// assert!(calendar.is_open(utc(12, 21, 9, 0)));
/// assert_eq!(calendar.next_change(utc(12, 21, 9, 0)), Some(utc(12, 21, 17, 0)));
/// // Thursday the 24th closes at 13:00; Friday the 25th is a holiday; the weekend
/// // is closed: next opening Monday the 28th, 09:00 CET.
/// assert_eq!(calendar.next_change(utc(12, 24, 11, 0)), Some(utc(12, 24, 12, 0)));
/// assert_eq!(calendar.next_change(utc(12, 24, 12, 0)), Some(utc(12, 28, 8, 0)));
/// // Business time from Thursday noon to Monday noon (local): 1 h + 3 h.
/// let hour = Duration::from_secs(3_600);
/// assert_eq!(calendar.open_between(utc(12, 24, 11, 0), utc(12, 28, 11, 0)), 4 * hour);
///
/// // The same calendar as a scenario file would write it.
/// let json = serde_json::to_string(calendar.business_hours()).unwrap();
/// assert!(json.starts_with(r#"{"time_zone":"Europe/Berlin","weekly":[{"day":"Mon","open":"09:00","close":"18:00"}"#));
/// let read: BusinessHours = serde_json::from_str(&json).unwrap();
/// assert_eq!(read.check()?, calendar);
/// # Ok::<(), switchboard::CalendarError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BusinessHours {
    /// The IANA time zone the hours are in, spelled exactly as in the tz
    /// database (`"Europe/Moscow"`, `"America/New_York"`, `"UTC"`).
    pub time_zone: String,
    /// The weekly hours; a day with no opening is closed.
    #[serde(default)]
    pub weekly: Vec<WeeklyOpening>,
    /// Dates whose hours replace the weekly hours (at most one entry a date).
    #[serde(default)]
    pub exceptions: Vec<DatedHours>,
}

impl BusinessHours {
    /// The most openings one weekday (in the weekly hours) or one dated
    /// exception may have, so a day's openings are a short list: eight is a
    /// split shift with room to spare. The weekly hours hold at most 7 × 8.
    pub const MAX_OPENINGS_PER_DAY: usize = 8;
    /// The most dated exceptions: a few years of holidays and special days.
    /// Queries skip from one exception to the next, so their cost grows with
    /// this bound, not with how far apart the dates are.
    pub const MAX_EXCEPTIONS: usize = 1000;

    /// Hours in `time_zone` (an IANA name), closed until openings are added.
    pub fn new(time_zone: impl Into<String>) -> Self {
        BusinessHours { time_zone: time_zone.into(), weekly: Vec::new(), exceptions: Vec::new() }
    }

    /// Adds a weekly opening: every `day`, from `open` to `close`.
    pub fn open(mut self, day: Weekday, open: LocalTime, close: LocalTime) -> Self {
        self.weekly.push(WeeklyOpening { day, open, close });
        self
    }

    /// Adds the same weekly opening on each of `days`.
    pub fn open_days(mut self, days: impl IntoIterator<Item = Weekday>, open: LocalTime, close: LocalTime) -> Self {
        self.weekly.extend(days.into_iter().map(|day| WeeklyOpening { day, open, close }));
        self
    }

    /// Closes all day on `date` (a holiday), whatever the weekly hours say.
    pub fn closed_on(self, date: NaiveDate) -> Self {
        self.special(date, [])
    }

    /// Opens on `date` at these hours only, instead of the weekly hours.
    pub fn special(mut self, date: NaiveDate, hours: impl IntoIterator<Item = Opening>) -> Self {
        self.exceptions.push(DatedHours { date, hours: hours.into_iter().collect() });
        self
    }

    /// Validates the hours into a [`Calendar`] to query: the time zone is
    /// known, every time is a time of day, every opening closes after it
    /// opens, no two openings of one day overlap (touching is fine), no date
    /// has two exceptions, exception dates are within the engine's range
    /// (1970-01-01 to 9999-12-31), and the bounds
    /// [`MAX_OPENINGS_PER_DAY`](Self::MAX_OPENINGS_PER_DAY) and
    /// [`MAX_EXCEPTIONS`](Self::MAX_EXCEPTIONS) hold. Weekdays are checked
    /// Monday first, then exceptions in the order listed; the first problem
    /// found is the error.
    pub fn check(&self) -> Result<Calendar, CalendarError> {
        Calendar::try_from(self.clone())
    }
}

/// Which day's hours an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScheduleDay {
    /// A weekday of the weekly hours.
    Weekly(Weekday),
    /// A dated exception.
    Dated(NaiveDate),
}

impl fmt::Display for ScheduleDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleDay::Weekly(day) => write!(f, "weekly hours on {day}"),
            ScheduleDay::Dated(date) => write!(f, "hours on {date}"),
        }
    }
}

/// Why business hours were refused, or a time of day could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The time zone is not an IANA name the bundled tz database knows.
    #[error(
        "time zone {name:?} is not in the tz database; use an IANA name spelled exactly, such as \"Europe/Berlin\" or \"UTC\""
    )]
    UnknownTimeZone {
        /// The name given (its first 64 bytes).
        name: String,
    },
    /// A time could not be read as a time of day.
    #[error("time {text:?} is not a time of day; write HH:MM on the 24-hour clock, from 00:00 to 24:00")]
    UnreadableTime {
        /// The text given (its first 64 bytes).
        text: String,
    },
    /// A time is past 24:00, or its minute is past 59 (from [`LocalTime::hm`]).
    #[error("{day}: time {time} is not a time of day; use 00:00 to 23:59, or 24:00 to close at the end of the day")]
    TimeOutOfRange {
        /// Whose hours.
        day: ScheduleDay,
        /// The time given.
        time: LocalTime,
    },
    /// An opening does not close after it opens (an opening past midnight is
    /// two: until 24:00, and from 00:00 the next day).
    #[error(
        "{day}: opening {opening} does not close after it opens; split one past midnight into one until 24:00 and one from 00:00 the next day"
    )]
    ClosesBeforeOpening {
        /// Whose hours.
        day: ScheduleDay,
        /// The opening.
        opening: Opening,
    },
    /// Two openings of one day overlap.
    #[error("{day}: openings {first} and {second} overlap; merge them into one")]
    OverlappingOpenings {
        /// Whose hours.
        day: ScheduleDay,
        /// The opening that opens first.
        first: Opening,
        /// The opening that opens before `first` closes.
        second: Opening,
    },
    /// A day has more openings than [`BusinessHours::MAX_OPENINGS_PER_DAY`].
    #[error("{day}: {count} openings, above the maximum of {max}; merge some")]
    TooManyOpenings {
        /// Whose hours.
        day: ScheduleDay,
        /// How many openings it has.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// Two exceptions are for the same date.
    #[error("two exceptions are for {date}; keep one")]
    DuplicateDate {
        /// The date.
        date: NaiveDate,
    },
    /// An exception's date is outside the engine's range, 1970-01-01 to 9999-12-31.
    #[error("exception date {date} is outside the engine's range, 1970-01-01 to 9999-12-31")]
    DateOutOfRange {
        /// The date.
        date: NaiveDate,
    },
    /// More exceptions than [`BusinessHours::MAX_EXCEPTIONS`].
    #[error("{count} exceptions, above the maximum of {max}; drop past dates")]
    TooManyExceptions {
        /// How many are listed.
        count: usize,
        /// The maximum.
        max: usize,
    },
}

/// At most [`MAX_QUOTED_BYTES`] of `text`, cut at a character boundary.
fn quoted(text: &str) -> String {
    let mut end = text.len().min(MAX_QUOTED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// One day's openings as minutes since midnight, `(open, close)`, sorted,
/// with touching openings merged.
type DayMinutes = Vec<(u16, u16)>;

/// Checks one day's openings and returns them sorted and merged.
fn day_minutes(day: ScheduleDay, openings: &[Opening]) -> Result<DayMinutes, CalendarError> {
    if openings.len() > BusinessHours::MAX_OPENINGS_PER_DAY {
        return Err(CalendarError::TooManyOpenings {
            day,
            count: openings.len(),
            max: BusinessHours::MAX_OPENINGS_PER_DAY,
        });
    }
    for opening in openings {
        for time in [opening.open, opening.close] {
            if !time.is_valid() {
                return Err(CalendarError::TimeOutOfRange { day, time });
            }
        }
        if opening.close <= opening.open {
            return Err(CalendarError::ClosesBeforeOpening { day, opening: *opening });
        }
    }
    let mut sorted = openings.to_vec();
    sorted.sort_by_key(|o| (o.open, o.close));
    for pair in sorted.windows(2) {
        if pair[1].open < pair[0].close {
            return Err(CalendarError::OverlappingOpenings { day, first: pair[0], second: pair[1] });
        }
    }
    let mut minutes: DayMinutes = Vec::with_capacity(sorted.len());
    for opening in sorted {
        let (open, close) = (opening.open.minutes_since_midnight(), opening.close.minutes_since_midnight());
        match minutes.last_mut() {
            Some(last) if last.1 == open => last.1 = close,
            _ => minutes.push((open, close)),
        }
    }
    Ok(minutes)
}

/// Validated business hours, ready to query in engine time: built by
/// [`BusinessHours::check`] (or `TryFrom`), and serialised as its
/// [`BusinessHours`] (deserialising one checks it).
///
/// All queries are pure, total and bounded: they never panic, whatever the
/// timestamp. [`is_open`](Self::is_open) looks at three local days;
/// [`next_change`](Self::next_change) walks day by day and skips from one
/// dated exception to the next where the weekly hours alone cannot change
/// anything, so its cost does not grow with how far ahead the change lies;
/// [`open_between`](Self::open_between) adds up day by day
/// until 2100 and whole weeks after. The rules they follow (daylight saving
/// time, the end of the day, the engine's range) are on [`BusinessHours`].
///
/// # Example
/// ```
/// use std::time::Duration;
/// use chrono::{TimeZone, Utc, Weekday};
/// use switchboard::{BusinessHours, LocalTime, Timestamp};
///
/// let utc = |d, h| Timestamp::from(Utc.with_ymd_and_hms(2026, 6, d, h, 0, 0).unwrap());
/// // Moscow (UTC+3 all year), Saturdays 10:00-14:00.
/// let saturdays = BusinessHours::new("Europe/Moscow")
///     .open(Weekday::Sat, LocalTime::hm(10, 0), LocalTime::hm(14, 0))
///     .check()?;
/// // Monday 2026-06-01: closed; it opens Saturday the 6th at 10:00 MSK, 07:00 UTC.
/// assert!(!saturdays.is_open(utc(1, 12)));
/// assert_eq!(saturdays.next_change(utc(1, 12)), Some(utc(6, 7)));
/// assert_eq!(saturdays.open_between(utc(1, 0), utc(8, 0)), Duration::from_secs(4 * 3_600));
/// # Ok::<(), switchboard::CalendarError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BusinessHours", into = "BusinessHours")]
pub struct Calendar {
    /// What it was built from, for serialising.
    hours: BusinessHours,
    zone: Tz,
    /// Weekly openings by weekday, Monday first.
    weekly: [DayMinutes; 7],
    /// Dated exceptions, replacing the weekly openings of their date.
    exceptions: BTreeMap<NaiveDate, DayMinutes>,
    /// Open milliseconds in a week of weekly hours, counted on the wall clock
    /// (no DST change): what seven days of weekly hours hold from [`STEADY_FROM`] on.
    weekly_ms: i64,
}

impl TryFrom<BusinessHours> for Calendar {
    type Error = CalendarError;

    /// Validates as [`BusinessHours::check`] does.
    fn try_from(hours: BusinessHours) -> Result<Self, Self::Error> {
        let zone: Tz =
            hours.time_zone.parse().map_err(|_| CalendarError::UnknownTimeZone { name: quoted(&hours.time_zone) })?;
        let mut weekly: [DayMinutes; 7] = Default::default();
        for (index, slot) in weekly.iter_mut().enumerate() {
            let day = weekday_from_monday(index);
            let openings: Vec<Opening> =
                hours.weekly.iter().filter(|w| w.day == day).map(WeeklyOpening::opening).collect();
            *slot = day_minutes(ScheduleDay::Weekly(day), &openings)?;
        }
        if hours.exceptions.len() > BusinessHours::MAX_EXCEPTIONS {
            return Err(CalendarError::TooManyExceptions {
                count: hours.exceptions.len(),
                max: BusinessHours::MAX_EXCEPTIONS,
            });
        }
        let mut exceptions = BTreeMap::new();
        for dated in &hours.exceptions {
            let date = dated.date;
            if !(FIRST_DATE..=LAST_DATE).contains(&date) {
                return Err(CalendarError::DateOutOfRange { date });
            }
            let minutes = day_minutes(ScheduleDay::Dated(date), &dated.hours)?;
            if exceptions.insert(date, minutes).is_some() {
                return Err(CalendarError::DuplicateDate { date });
            }
        }
        let weekly_ms = weekly.iter().flatten().map(|&(open, close)| i64::from(close - open) * MS_PER_MINUTE).sum();
        Ok(Calendar { hours, zone, weekly, exceptions, weekly_ms })
    }
}

impl From<Calendar> for BusinessHours {
    fn from(calendar: Calendar) -> Self {
        calendar.hours
    }
}

/// Monday for 0, Sunday for 6 (and past it).
fn weekday_from_monday(index: usize) -> Weekday {
    match index {
        0 => Weekday::Mon,
        1 => Weekday::Tue,
        2 => Weekday::Wed,
        3 => Weekday::Thu,
        4 => Weekday::Fri,
        5 => Weekday::Sat,
        _ => Weekday::Sun,
    }
}

/// An offset in milliseconds east of UTC.
fn offset_ms(offset: impl Offset) -> i64 {
    i64::from(offset.fix().local_minus_utc()) * 1000
}

impl Calendar {
    /// The business hours it was built from.
    pub fn business_hours(&self) -> &BusinessHours {
        &self.hours
    }

    /// Whether it is open at `at`. Closed outside the engine's range,
    /// [`Timestamp::EPOCH`] to [`Timestamp::MAX`].
    ///
    /// Looks at three local days: a handful of time-zone look-ups.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let t = at.as_millis();
        if !crate::time::in_range(at) {
            return false;
        }
        let Some(date) = self.local_date(t) else { return false };
        [date.pred_opt(), Some(date), date.succ_opt()]
            .into_iter()
            .flatten()
            .any(|day| self.intervals(day).any(|(start, end)| start <= t && t < end))
    }

    /// The first instant strictly after `after` at which it opens or closes,
    /// so [`is_open`](Self::is_open) is the same from `after` until then and
    /// different at it; `None` if that never happens again up to
    /// [`Timestamp::MAX`] (no opening ahead, or open around the clock from
    /// here on). Before [`Timestamp::EPOCH`] it is closed, so if it is open at
    /// the epoch, that is the change for any earlier `after`.
    ///
    /// Walks day by day from `after`: a change is found within a week unless
    /// the weekly hours never change (none at all, or every day 00:00-24:00);
    /// after sixteen days of weekly hours without a change it
    /// skips to the next dated exception, or concludes `None` if there is
    /// none (sixteen days: the day before and the day of `after`, then every
    /// weekday twice, so that one day lost in a DST gap cannot hide a weekly
    /// opening). At most about 16 days per exception, whatever the dates.
    pub fn next_change(&self, after: Timestamp) -> Option<Timestamp> {
        let mut t = after.as_millis();
        if t >= Timestamp::MAX.as_millis() {
            return None;
        }
        if t < Timestamp::EPOCH.as_millis() {
            if self.is_open(Timestamp::EPOCH) {
                return Some(Timestamp::EPOCH);
            }
            t = Timestamp::EPOCH.as_millis();
        }
        let change = self.change_after(t, self.is_open(Timestamp::from_millis(t)))?;
        (change < END_MS).then_some(Timestamp::from_millis(change))
    }

    /// The first change after `t` (in the range), given whether it is open at `t`.
    fn change_after(&self, t: i64, open: bool) -> Option<i64> {
        let mut date = self.local_date(t)?.pred_opt()?;
        // While open: the end of the stretch of open time holding `t`, once found.
        let mut open_until: Option<i64> = None;
        let mut weekly_days = 0;
        loop {
            if self.instant(date, 0)? >= END_MS {
                return None;
            }
            if self.exceptions.contains_key(&date) {
                weekly_days = 0;
            } else {
                weekly_days += 1;
                if weekly_days > WALK_DAYS {
                    // Weekly hours alone never change: skip to the next exception.
                    let (&next, _) = self.exceptions.range((Bound::Excluded(date), Bound::Unbounded)).next()?;
                    if open && open_until.is_some() {
                        // Open around the clock until that date begins.
                        open_until = Some(self.instant(next, 0)?);
                    }
                    date = next;
                    weekly_days = 0;
                    continue;
                }
            }
            for (start, end) in self.intervals(date) {
                if !open {
                    if start > t {
                        return Some(start);
                    }
                    continue;
                }
                match open_until {
                    None if start <= t && t < end => open_until = Some(end),
                    None => {}
                    Some(until) if start > until => return Some(until),
                    Some(until) => open_until = Some(until.max(end)),
                }
            }
            let next = date.succ_opt()?;
            if let Some(until) = open_until {
                if until < self.instant(next, 0)? {
                    // Closed before the day ends; later days open later still.
                    return Some(until);
                }
            }
            date = next;
        }
    }

    /// Business time in `[from, to)`: how long it is open between the two
    /// instants, in whole milliseconds like every engine time. Only the part
    /// within the engine's range counts.
    ///
    /// **`to` before `from` gives zero**, as does `to == from`: an empty span,
    /// never a negative one or an error. Additive:
    /// `open_between(a, b) + open_between(b, c)` is `open_between(a, c)` for
    /// `a <= b <= c`.
    ///
    /// Exact across DST changes: it adds up each local day's openings as
    /// instants, day by day. From 2100 on, when the bundled tz database has
    /// no more offset changes and every week of weekly hours holds the same
    /// open time, it counts whole weeks between dated exceptions in one step.
    /// So the cost is at most one step per day up to 2100 (about 47,500 days
    /// from the epoch), one per exception, and a few weeks of days at each end.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use chrono::{TimeZone, Utc};
    /// use switchboard::{BusinessHours, LocalTime, Timestamp};
    ///
    /// let utc = |d, h| Timestamp::from(Utc.with_ymd_and_hms(2026, 6, d, h, 0, 0).unwrap());
    /// let office = BusinessHours::new("UTC")
    ///     .open_days([chrono::Weekday::Mon], LocalTime::hm(9, 0), LocalTime::hm(17, 0))
    ///     .check()?;
    /// // Monday 2026-06-01, 08:00 to 10:00: one hour of it open.
    /// assert_eq!(office.open_between(utc(1, 8), utc(1, 10)), Duration::from_secs(3_600));
    /// // Backwards: an empty span.
    /// assert_eq!(office.open_between(utc(1, 10), utc(1, 8)), Duration::ZERO);
    /// # Ok::<(), switchboard::CalendarError>(())
    /// ```
    pub fn open_between(&self, from: Timestamp, to: Timestamp) -> Duration {
        // Never negative: each opening adds `max(0, …)`, and `from >= to` adds nothing.
        Duration::from_millis(u64::try_from(self.open_millis(from, to, true)).unwrap_or(0))
    }

    /// [`Calendar::open_between`] in milliseconds, with whole weeks counted
    /// at once (`weeks`) or day by day (tests compare the two).
    fn open_millis(&self, from: Timestamp, to: Timestamp, weeks: bool) -> i64 {
        let clamp = |t: Timestamp| t.as_millis().clamp(Timestamp::EPOCH.as_millis(), END_MS);
        let (from, to) = (clamp(from), clamp(to));
        if from >= to {
            return 0;
        }
        let (Some(first), Some(last)) = (self.local_date(from).and_then(|d| d.pred_opt()), self.local_date(to)) else {
            return 0;
        };
        let mut total = 0;
        let mut date = first;
        while let Some(day_start) = self.instant(date, 0) {
            if day_start >= to {
                break;
            }
            if weeks && date >= STEADY_FROM && day_start >= from && !self.exceptions.contains_key(&date) {
                // Days up to the next exception, and wholly before `to`'s date, hold
                // whole weeks of weekly hours at a constant offset.
                let next_exception = self.exceptions.range(date..).next().map_or(last, |(&d, _)| d);
                let whole_weeks = (next_exception.min(last) - date).num_days() / 7;
                if whole_weeks > 0 {
                    if let Some(after) = date.checked_add_days(chrono::Days::new(7 * whole_weeks.unsigned_abs())) {
                        total += whole_weeks * self.weekly_ms;
                        date = after;
                        continue;
                    }
                }
            }
            for (start, end) in self.intervals(date) {
                total += (end.min(to) - start.max(from)).max(0);
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }

    /// The openings of `date`: its exception's, or its weekday's.
    fn minutes_on(&self, date: NaiveDate) -> &[(u16, u16)] {
        match self.exceptions.get(&date) {
            Some(minutes) => minutes,
            None => &self.weekly[date.weekday().num_days_from_monday() as usize],
        }
    }

    /// The openings of `date` as instants `[start, end)`, in order, leaving
    /// out those that fall wholly in a DST gap.
    fn intervals(&self, date: NaiveDate) -> impl Iterator<Item = (i64, i64)> + '_ {
        self.minutes_on(date).iter().filter_map(move |&(open, close)| {
            let start = self.instant(date, open)?;
            let end = self.instant(date, close)?;
            (start < end).then_some((start, end))
        })
    }

    /// The instant (UTC ms) of `minute` (0 to 1440) past the start of local
    /// `date`, by the module's DST rules. `None` only outside chrono's range.
    fn instant(&self, date: NaiveDate, minute: u16) -> Option<i64> {
        let (date, minute) = if minute >= MINUTES_PER_DAY { (date.succ_opt()?, 0) } else { (date, minute) };
        let local = date.and_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)?;
        let local_ms = local.and_utc().timestamp_millis();
        match self.zone.offset_from_local_datetime(&local) {
            LocalResult::Single(offset) => Some(local_ms - offset_ms(offset)),
            // The earlier occurrence: the larger offset.
            LocalResult::Ambiguous(a, b) => Some((local_ms - offset_ms(a)).min(local_ms - offset_ms(b))),
            LocalResult::None => self.gap_end(local_ms),
        }
    }

    /// The first instant whose wall-clock time is at or after `local_ms`, for a
    /// local time that does not exist: the end of the gap it falls in, found
    /// by bisection (the wall clock only moves forward around a gap).
    fn gap_end(&self, local_ms: i64) -> Option<i64> {
        let (mut before, mut after) = (local_ms - GAP_SEARCH_MS, local_ms + GAP_SEARCH_MS);
        while after - before > 1 {
            let mid = before + (after - before) / 2;
            if self.wall_clock_ms(mid)? >= local_ms {
                after = mid;
            } else {
                before = mid;
            }
        }
        Some(after)
    }

    /// The wall-clock time at instant `t`, as milliseconds since a local epoch.
    fn wall_clock_ms(&self, t: i64) -> Option<i64> {
        let utc = DateTime::from_timestamp_millis(t)?.naive_utc();
        Some(t + offset_ms(self.zone.offset_from_utc_datetime(&utc)))
    }

    /// The local date at instant `t`.
    fn local_date(&self, t: i64) -> Option<NaiveDate> {
        Some(DateTime::from_timestamp_millis(t)?.with_timezone(&self.zone).date_naive())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use chrono::Weekday::*;

    const HOUR: i64 = MS_PER_HOUR;
    const MIN: i64 = MS_PER_MINUTE;

    /// `ms` milliseconds of business time, as [`Calendar::open_between`] gives it.
    fn span(ms: i64) -> Duration {
        Duration::from_millis(u64::try_from(ms).expect("a test's span is not negative"))
    }

    fn hm(hour: u8, minute: u8) -> LocalTime {
        LocalTime::hm(hour, minute)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// An instant given in UTC.
    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
        Timestamp::from(Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap())
    }

    fn ms(t: Timestamp, delta: i64) -> Timestamp {
        Timestamp::from_millis(t.as_millis() + delta)
    }

    const WEEKDAYS: [Weekday; 5] = [Mon, Tue, Wed, Thu, Fri];

    fn berlin_office() -> Calendar {
        BusinessHours::new("Europe/Berlin").open_days(WEEKDAYS, hm(9, 0), hm(18, 0)).check().unwrap()
    }

    #[test]
    fn local_time_reads_and_writes_hh_mm() {
        let good = [("00:00", 0), ("9:05", 545), ("09:00", 540), ("23:59", 1439), ("24:00", 1440)];
        for (text, minutes) in good {
            let time: LocalTime = text.parse().unwrap();
            assert_eq!(time.minutes_since_midnight(), minutes, "{text}");
            let json = serde_json::to_string(&time).unwrap();
            assert_eq!(serde_json::from_str::<LocalTime>(&json).unwrap(), time, "{text} round-trips");
        }
        assert_eq!(hm(9, 5).to_string(), "09:05");
        let bad = [
            "", "9", "9am", "09:0", "09:000", "009:00", "24:01", "24:30", "25:00", "09:60", "-1:00", "+9:00", "0９:00",
        ];
        for text in bad {
            assert_eq!(
                text.parse::<LocalTime>(),
                Err(CalendarError::UnreadableTime { text: text.to_owned() }),
                "{text:?} is refused"
            );
            assert!(serde_json::from_str::<LocalTime>(&format!("{text:?}")).is_err(), "{text:?} in JSON");
        }
        let long = "9".repeat(1000);
        assert!(matches!(long.parse::<LocalTime>(), Err(CalendarError::UnreadableTime { text }) if text.len() == 64));
    }

    #[test]
    fn weekly_hours_open_and_close_at_the_edges() {
        let cal = berlin_office();
        // Monday 2026-11-23, CET (UTC+1): 09:00 local is 08:00 UTC, 18:00 is 17:00.
        let open = utc(2026, 11, 23, 8, 0);
        let close = utc(2026, 11, 23, 17, 0);
        let cases = [
            (ms(open, -1), false),
            (open, true),
            (ms(close, -1), true),
            (close, false),
            (utc(2026, 11, 28, 10, 0), false), // Saturday
            (utc(2026, 11, 29, 10, 0), false), // Sunday
            // Monday 2026-06-22, CEST (UTC+2): 09:00 local is 07:00 UTC.
            (utc(2026, 6, 22, 6, 59), false),
            (utc(2026, 6, 22, 7, 0), true),
            (utc(2026, 6, 22, 16, 0), false),
        ];
        for (at, open) in cases {
            assert_eq!(cal.is_open(at), open, "at {at}");
        }
    }

    #[test]
    fn next_change_walks_the_week() {
        let cal = berlin_office();
        // From Sunday 2026-11-22 noon UTC, the changes of a week: Mon to Fri, 08:00 and 17:00 UTC.
        let mut expected = Vec::new();
        for day in 23..=27 {
            expected.push(utc(2026, 11, day, 8, 0));
            expected.push(utc(2026, 11, day, 17, 0));
        }
        expected.push(utc(2026, 11, 30, 8, 0));
        let mut at = utc(2026, 11, 22, 12, 0);
        for want in expected {
            let next = cal.next_change(at).unwrap();
            assert_eq!(next, want, "after {at}");
            assert_ne!(cal.is_open(ms(next, -1)), cal.is_open(next), "flips at {next}");
            at = next;
        }
        // Strictly after: at a change, the next one.
        assert_eq!(cal.next_change(utc(2026, 11, 23, 8, 0)), Some(utc(2026, 11, 23, 17, 0)));
        assert_eq!(cal.next_change(utc(2026, 11, 23, 7, 59)), Some(utc(2026, 11, 23, 8, 0)));
        // A week of business time: 5 × 9 h.
        assert_eq!(cal.open_between(utc(2026, 11, 22, 0, 0), utc(2026, 11, 29, 0, 0)), span(45 * HOUR));
    }

    /// Berlin, 2026: summer time starts Sunday 29 March (02:00 CET → 03:00 CEST, at
    /// 01:00 UTC) and ends Sunday 25 October (03:00 CEST → 02:00 CET, at 01:00 UTC).
    fn berlin_sundays() -> Calendar {
        BusinessHours::new("Europe/Berlin")
            .open(Sun, hm(2, 30), hm(5, 0))
            .open(Sun, hm(9, 0), hm(12, 0))
            .open_days(WEEKDAYS, hm(9, 0), hm(18, 0))
            .check()
            .unwrap()
    }

    #[test]
    fn dst_gap_and_overlap_follow_the_rules() {
        let cal = berlin_sundays();
        // (instant, open?) worked by hand.
        let cases = [
            // An ordinary Sunday, 22 March, CET: 02:30-05:00 is 01:30-04:00 UTC, 09:00-12:00 is 08:00-11:00.
            (utc(2026, 3, 22, 1, 29), false),
            (utc(2026, 3, 22, 1, 30), true),
            (utc(2026, 3, 22, 3, 59), true),
            (utc(2026, 3, 22, 4, 0), false),
            (utc(2026, 3, 22, 8, 0), true),
            // Spring forward, 29 March: 02:30 does not exist, so it opens when the gap
            // ends, 03:00 CEST = 01:00 UTC; 05:00 CEST = 03:00 UTC; 09:00 CEST = 07:00 UTC.
            (utc(2026, 3, 29, 0, 59), false),
            (utc(2026, 3, 29, 1, 0), true),
            (utc(2026, 3, 29, 2, 59), true),
            (utc(2026, 3, 29, 3, 0), false),
            (utc(2026, 3, 29, 6, 59), false),
            (utc(2026, 3, 29, 7, 0), true),
            (utc(2026, 3, 29, 10, 0), false),
            // Monday after: 09:00 CEST = 07:00 UTC.
            (utc(2026, 3, 30, 7, 0), true),
            // Fall back, 25 October: 02:30 happens twice, the first is 02:30 CEST = 00:30 UTC;
            // 05:00 CET = 04:00 UTC (open through the repeated hour); 09:00 CET = 08:00 UTC.
            (utc(2026, 10, 25, 0, 29), false),
            (utc(2026, 10, 25, 0, 30), true),
            (utc(2026, 10, 25, 1, 30), true), // 02:30 CET, the second time
            (utc(2026, 10, 25, 3, 59), true),
            (utc(2026, 10, 25, 4, 0), false),
            (utc(2026, 10, 25, 7, 59), false),
            (utc(2026, 10, 25, 8, 0), true),
            (utc(2026, 10, 25, 11, 0), false),
        ];
        for (at, open) in cases {
            assert_eq!(cal.is_open(at), open, "at {at}");
        }
        let changes = [
            (utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 1, 0)),
            (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 3, 0)),
            (utc(2026, 3, 29, 3, 0), utc(2026, 3, 29, 7, 0)),
            (utc(2026, 3, 29, 7, 0), utc(2026, 3, 29, 10, 0)),
            (utc(2026, 3, 29, 10, 0), utc(2026, 3, 30, 7, 0)),
            (utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 0, 30)),
            (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 4, 0)),
            (utc(2026, 10, 25, 4, 0), utc(2026, 10, 25, 8, 0)),
            (utc(2026, 10, 25, 8, 0), utc(2026, 10, 25, 11, 0)),
            (utc(2026, 10, 25, 11, 0), utc(2026, 10, 26, 8, 0)),
        ];
        for (after, next) in changes {
            assert_eq!(cal.next_change(after), Some(next), "after {after}");
        }
        // Business time over each weekend, Saturday 00:00 UTC to Monday 00:00 UTC.
        let weekend = |m, d| cal.open_between(utc(2026, m, d, 0, 0), utc(2026, m, d + 2, 0, 0));
        assert_eq!(weekend(3, 21), span(5 * HOUR + 30 * MIN), "ordinary: 2 h 30 + 3 h");
        assert_eq!(weekend(3, 28), span(5 * HOUR), "spring forward: 2 h + 3 h");
        assert_eq!(weekend(10, 24), span(6 * HOUR + 30 * MIN), "fall back: 3 h 30 + 3 h");
        // The week across the change: 5 × 9 h on weekdays, then Sunday's 5 h.
        assert_eq!(cal.open_between(utc(2026, 3, 23, 0, 0), utc(2026, 3, 30, 0, 0)), span(50 * HOUR));
        // Mid-opening to mid-opening across the fall-back night: Friday from 16:00 CEST
        // (14:00 UTC) to 18:00 CEST is 2 h, Saturday is closed, Sunday 3 h 30 + 3 h,
        // Monday 09:00-13:00 CET (08:00-12:00 UTC) is 4 h.
        assert_eq!(cal.open_between(utc(2026, 10, 23, 14, 0), utc(2026, 10, 26, 12, 0)), span(12 * HOUR + 30 * MIN));
    }

    #[test]
    fn openings_inside_a_gap_or_closing_in_one() {
        let spring = date(2026, 3, 29);
        let cal = BusinessHours::new("Europe/Berlin")
            // Closes in the gap: at its end, 03:00 CEST = 01:00 UTC.
            .special(spring, [Opening::new(hm(0, 0), hm(2, 30))])
            // Wholly inside the gap the next year: never opens.
            .special(date(2027, 3, 28), [Opening::new(hm(2, 10), hm(2, 40))])
            .check()
            .unwrap();
        assert_eq!(cal.open_between(utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0)), span(2 * HOUR));
        assert_eq!(cal.next_change(utc(2026, 3, 28, 12, 0)), Some(utc(2026, 3, 28, 23, 0)));
        assert_eq!(cal.next_change(utc(2026, 3, 28, 23, 0)), Some(utc(2026, 3, 29, 1, 0)));
        assert_eq!(cal.next_change(utc(2026, 3, 29, 1, 0)), None, "the 2027 opening never happens");
        assert_eq!(cal.open_between(utc(2027, 3, 27, 0, 0), utc(2027, 3, 29, 0, 0)), Duration::ZERO);
        // Two openings of one day that meet in the gap are one stretch.
        let cal = BusinessHours::new("Europe/Berlin")
            .special(spring, [Opening::new(hm(1, 0), hm(2, 10)), Opening::new(hm(2, 40), hm(4, 0))])
            .check()
            .unwrap();
        assert_eq!(cal.next_change(utc(2026, 3, 29, 0, 0)), Some(utc(2026, 3, 29, 2, 0)), "01:00 CET to 04:00 CEST");
        assert_eq!(cal.open_between(utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0)), span(2 * HOUR));
    }

    #[test]
    fn holidays_and_special_hours_in_moscow() {
        // Moscow is UTC+3 all year: 09:00-18:00 is 06:00-15:00 UTC.
        let cal = BusinessHours::new("Europe/Moscow")
            .open_days(WEEKDAYS, hm(9, 0), hm(18, 0))
            .closed_on(date(2026, 6, 12)) // Russia Day, a Friday
            .special(date(2026, 12, 31), [Opening::new(hm(9, 0), hm(15, 0))])
            .special(date(2026, 11, 7), [Opening::new(hm(10, 0), hm(14, 0))]) // a working Saturday
            .check()
            .unwrap();
        for hour in 0..24 {
            assert!(!cal.is_open(utc(2026, 6, 12, hour, 0)), "the holiday at {hour}:00 UTC");
        }
        assert!(cal.is_open(utc(2026, 6, 11, 6, 0)));
        // Thursday's close, then the holiday and the weekend are skipped to Monday 09:00.
        assert_eq!(cal.next_change(utc(2026, 6, 11, 12, 0)), Some(utc(2026, 6, 11, 15, 0)));
        assert_eq!(cal.next_change(utc(2026, 6, 11, 15, 0)), Some(utc(2026, 6, 15, 6, 0)));
        assert_eq!(cal.open_between(utc(2026, 6, 8, 0, 0), utc(2026, 6, 15, 0, 0)), span(36 * HOUR));
        // New Year's Eve closes at 15:00 MSK, 12:00 UTC.
        assert!(cal.is_open(utc(2026, 12, 31, 11, 59)));
        assert!(!cal.is_open(utc(2026, 12, 31, 12, 0)));
        assert_eq!(cal.next_change(utc(2026, 12, 31, 6, 0)), Some(utc(2026, 12, 31, 12, 0)));
        // A working Saturday, 10:00-14:00 MSK, after an ordinary Friday.
        assert_eq!(cal.next_change(utc(2026, 11, 6, 15, 0)), Some(utc(2026, 11, 7, 7, 0)));
        assert_eq!(cal.next_change(utc(2026, 11, 7, 7, 0)), Some(utc(2026, 11, 7, 11, 0)));
        assert_eq!(cal.next_change(utc(2026, 11, 7, 11, 0)), Some(utc(2026, 11, 9, 6, 0)));
    }

    #[test]
    fn openings_across_midnight_touch() {
        // A night shift, Monday 22:00 to Tuesday 06:00 Berlin, written as two openings,
        // and a lunch break written as two openings that touch.
        let cal = BusinessHours::new("Europe/Berlin")
            .open(Mon, hm(22, 0), LocalTime::END_OF_DAY)
            .open(Tue, LocalTime::MIDNIGHT, hm(6, 0))
            .open(Wed, hm(9, 0), hm(12, 0))
            .open(Wed, hm(12, 0), hm(18, 0))
            .check()
            .unwrap();
        // Monday 2026-11-23 22:00 CET = 21:00 UTC; no change at midnight.
        assert_eq!(cal.next_change(utc(2026, 11, 23, 12, 0)), Some(utc(2026, 11, 23, 21, 0)));
        assert_eq!(cal.next_change(utc(2026, 11, 23, 21, 0)), Some(utc(2026, 11, 24, 5, 0)));
        assert!(cal.is_open(utc(2026, 11, 23, 23, 0)));
        assert_eq!(cal.next_change(utc(2026, 11, 25, 8, 0)), Some(utc(2026, 11, 25, 17, 0)));
    }

    #[test]
    fn every_error_from_a_table_of_bad_hours() {
        let base = || BusinessHours::new("Europe/Berlin");
        let nine_to_six = |day| base().open(day, hm(9, 0), hm(18, 0));
        let xmas = date(2026, 12, 25);
        let opening = |a, b| Opening::new(a, b);
        let cases: Vec<(BusinessHours, CalendarError)> = vec![
            (
                BusinessHours::new("Mars/Olympus_Mons"),
                CalendarError::UnknownTimeZone { name: "Mars/Olympus_Mons".into() },
            ),
            (BusinessHours::new("europe/berlin"), CalendarError::UnknownTimeZone { name: "europe/berlin".into() }),
            (
                base().open(Tue, hm(25, 0), hm(26, 0)),
                CalendarError::TimeOutOfRange { day: ScheduleDay::Weekly(Tue), time: hm(25, 0) },
            ),
            (
                base().open(Wed, hm(9, 0), hm(24, 1)),
                CalendarError::TimeOutOfRange { day: ScheduleDay::Weekly(Wed), time: hm(24, 1) },
            ),
            (
                base().special(xmas, [opening(hm(9, 60), hm(12, 0))]),
                CalendarError::TimeOutOfRange { day: ScheduleDay::Dated(xmas), time: hm(9, 60) },
            ),
            (
                base().open(Mon, hm(18, 0), hm(9, 0)),
                CalendarError::ClosesBeforeOpening {
                    day: ScheduleDay::Weekly(Mon),
                    opening: opening(hm(18, 0), hm(9, 0)),
                },
            ),
            (
                base().open(Mon, hm(9, 0), hm(9, 0)),
                CalendarError::ClosesBeforeOpening {
                    day: ScheduleDay::Weekly(Mon),
                    opening: opening(hm(9, 0), hm(9, 0)),
                },
            ),
            (
                base().special(xmas, [opening(LocalTime::END_OF_DAY, LocalTime::END_OF_DAY)]),
                CalendarError::ClosesBeforeOpening {
                    day: ScheduleDay::Dated(xmas),
                    opening: opening(LocalTime::END_OF_DAY, LocalTime::END_OF_DAY),
                },
            ),
            (
                nine_to_six(Fri).open(Fri, hm(12, 0), hm(20, 0)),
                CalendarError::OverlappingOpenings {
                    day: ScheduleDay::Weekly(Fri),
                    first: opening(hm(9, 0), hm(18, 0)),
                    second: opening(hm(12, 0), hm(20, 0)),
                },
            ),
            (
                nine_to_six(Sat).open(Sat, hm(9, 0), hm(18, 0)),
                CalendarError::OverlappingOpenings {
                    day: ScheduleDay::Weekly(Sat),
                    first: opening(hm(9, 0), hm(18, 0)),
                    second: opening(hm(9, 0), hm(18, 0)),
                },
            ),
            (
                base().special(xmas, [opening(hm(10, 0), hm(11, 0)), opening(hm(8, 0), hm(10, 30))]),
                CalendarError::OverlappingOpenings {
                    day: ScheduleDay::Dated(xmas),
                    first: opening(hm(8, 0), hm(10, 30)),
                    second: opening(hm(10, 0), hm(11, 0)),
                },
            ),
            (
                (0..9).fold(base(), |h, k| h.open(Thu, hm(k, 0), hm(k, 30))),
                CalendarError::TooManyOpenings { day: ScheduleDay::Weekly(Thu), count: 9, max: 8 },
            ),
            (
                base().special(xmas, (0..9).map(|k| opening(hm(k, 0), hm(k, 30)))),
                CalendarError::TooManyOpenings { day: ScheduleDay::Dated(xmas), count: 9, max: 8 },
            ),
            (base().closed_on(xmas).closed_on(xmas), CalendarError::DuplicateDate { date: xmas }),
            (base().closed_on(date(1969, 7, 20)), CalendarError::DateOutOfRange { date: date(1969, 7, 20) }),
            (base().closed_on(date(10_000, 1, 1)), CalendarError::DateOutOfRange { date: date(10_000, 1, 1) }),
            (
                (0..1001).fold(base(), |h, k| h.closed_on(date(2026, 1, 1) + chrono::Days::new(k))),
                CalendarError::TooManyExceptions { count: 1001, max: 1000 },
            ),
        ];
        for (hours, error) in cases {
            assert_eq!(hours.check(), Err(error.clone()), "{hours:?}");
            assert!(!error.to_string().is_empty());
        }
        // The bounds themselves are accepted, and touching openings are not an overlap.
        assert!((0..8).fold(base(), |h, k| h.open(Thu, hm(k, 0), hm(k + 1, 0))).check().is_ok());
        assert!((0..1000).fold(base(), |h, k| h.closed_on(date(2026, 1, 1) + chrono::Days::new(k))).check().is_ok());
        assert!(base().closed_on(date(1970, 1, 1)).closed_on(date(9999, 12, 31)).check().is_ok());
        // A scenario file: unreadable times are refused as it is read, with the text.
        let json = r#"{"time_zone":"UTC","weekly":[{"day":"Mon","open":"9am","close":"18:00"}]}"#;
        let error = serde_json::from_str::<BusinessHours>(json).unwrap_err().to_string();
        assert!(error.contains("\"9am\" is not a time of day"), "{error}");
        // Deserialising a calendar checks it.
        let json = r#"{"time_zone":"UTC","weekly":[{"day":"Mon","open":"18:00","close":"09:00"}]}"#;
        let error = serde_json::from_str::<Calendar>(json).unwrap_err().to_string();
        assert!(error.contains("does not close after it opens"), "{error}");
    }

    #[test]
    fn scenario_json_round_trips() {
        let json = r#"{
            "time_zone": "Europe/Moscow",
            "weekly": [
                { "day": "Mon", "open": "09:00", "close": "13:00" },
                { "day": "Monday", "open": "14:00", "close": "24:00" }
            ],
            "exceptions": [
                { "date": "2026-06-12" },
                { "date": "2026-12-31", "hours": [{ "open": "09:00", "close": "15:00" }] }
            ]
        }"#;
        let hours: BusinessHours = serde_json::from_str(json).unwrap();
        let expected = BusinessHours::new("Europe/Moscow")
            .open(Mon, hm(9, 0), hm(13, 0))
            .open(Mon, hm(14, 0), LocalTime::END_OF_DAY)
            .closed_on(date(2026, 6, 12))
            .special(date(2026, 12, 31), [Opening::new(hm(9, 0), hm(15, 0))]);
        assert_eq!(hours, expected);
        let calendar: Calendar = serde_json::from_str(json).unwrap();
        assert_eq!(calendar, expected.check().unwrap());
        let written = serde_json::to_string(&calendar).unwrap();
        assert!(written.contains(r#"{"day":"Mon","open":"14:00","close":"24:00"}"#), "{written}");
        assert_eq!(serde_json::from_str::<Calendar>(&written).unwrap(), calendar);
    }

    #[test]
    fn edge_instants_are_answered() {
        let never = BusinessHours::new("Europe/Berlin").check().unwrap();
        let always =
            BusinessHours::new("Pacific/Kiritimati") // UTC+14
                .open_days([Mon, Tue, Wed, Thu, Fri, Sat, Sun], LocalTime::MIDNIGHT, LocalTime::END_OF_DAY)
                .check()
                .unwrap();
        let office = berlin_office();
        let far_west = BusinessHours::new("Etc/GMT+12") // UTC-12
            .open_days([Mon, Tue, Wed, Thu, Fri, Sat, Sun], hm(9, 0), hm(17, 0))
            .check()
            .unwrap();
        let edges = [
            Timestamp::from_millis(i64::MIN),
            Timestamp::from_millis(-1),
            Timestamp::EPOCH,
            Timestamp::from_millis(1),
            ms(Timestamp::MAX, -1),
            Timestamp::MAX,
            ms(Timestamp::MAX, 1),
            Timestamp::from_millis(i64::MAX),
        ];
        let day_after = |t: Timestamp| Timestamp::from_millis(t.as_millis().saturating_add(24 * HOUR));
        for cal in [&never, &always, &office, &far_west] {
            for &a in &edges {
                let open = cal.is_open(a);
                if let Some(next) = cal.next_change(a) {
                    assert!(next > a && next <= Timestamp::MAX, "{next} after {a}");
                    assert_ne!(cal.is_open(next), open);
                }
                assert_eq!(cal.open_between(a, a), Duration::ZERO);
                assert_eq!(cal.open_between(a, Timestamp::from_millis(i64::MIN)), Duration::ZERO, "from after to");
                let day = cal.open_between(a, day_after(a));
                assert!(day <= span(24 * HOUR), "{day:?} in a day from {a}");
            }
            let everything = cal.open_between(Timestamp::from_millis(i64::MIN), Timestamp::from_millis(i64::MAX));
            let split = utc(2345, 6, 7, 8, 9);
            let halves = cal.open_between(Timestamp::EPOCH, split) + cal.open_between(split, Timestamp::MAX);
            assert_eq!(everything, halves + Duration::from_millis(u64::from(cal.is_open(Timestamp::MAX))));
        }
        // Never open: nothing ever changes.
        for &a in &edges {
            assert!(!never.is_open(a));
            assert_eq!(never.next_change(a), None);
            assert_eq!(never.open_between(Timestamp::from_millis(i64::MIN), a), Duration::ZERO);
        }
        // Always open within the engine's range, closed outside it.
        let whole_range = Timestamp::MAX.as_millis() + 1;
        assert!(always.is_open(Timestamp::EPOCH) && always.is_open(Timestamp::MAX));
        assert!(!always.is_open(Timestamp::from_millis(-1)) && !always.is_open(ms(Timestamp::MAX, 1)));
        assert_eq!(always.next_change(Timestamp::from_millis(i64::MIN)), Some(Timestamp::EPOCH));
        assert_eq!(always.next_change(Timestamp::EPOCH), None);
        assert_eq!(always.next_change(utc(2026, 1, 1, 0, 0)), None);
        let everything = always.open_between(Timestamp::from_millis(i64::MIN), Timestamp::from_millis(i64::MAX));
        assert_eq!(everything, span(whole_range));
        // At the epoch it is 1969-12-31 12:00 in UTC-12, open 09:00-17:00: 5 h of it left.
        assert!(far_west.is_open(Timestamp::EPOCH));
        assert_eq!(far_west.next_change(Timestamp::from_millis(-5)), Some(Timestamp::EPOCH));
        assert_eq!(far_west.next_change(Timestamp::EPOCH), Some(Timestamp::from_millis(5 * HOUR)));
        // 9999-12-31 23:59:59.999 UTC is 11:59 local, open until 17:00, beyond the range.
        assert!(far_west.is_open(Timestamp::MAX));
        assert_eq!(far_west.next_change(ms(Timestamp::MAX, -HOUR)), None);
        // The office's business time, counted in weeks from 2100, matches a day-by-day count.
        let (from, to) = (utc(2090, 1, 1, 0, 0), utc(2190, 1, 1, 0, 0));
        assert_eq!(office.open_between(from, to), span(office.open_millis(from, to, false)));
    }

    #[test]
    fn whole_weeks_match_day_by_day_around_exceptions() {
        let cal = BusinessHours::new("America/New_York")
            .open_days(WEEKDAYS, hm(8, 30), hm(17, 0))
            .open(Sat, hm(1, 0), hm(3, 0))
            .closed_on(date(2100, 12, 24))
            .special(date(2101, 7, 4), [Opening::new(hm(10, 0), hm(11, 0))])
            .closed_on(date(2300, 1, 1))
            .check()
            .unwrap();
        let spans = [
            (utc(2099, 6, 1, 13, 17), utc(2102, 1, 1, 0, 0)),
            (utc(2100, 1, 1, 0, 0), utc(2100, 1, 20, 5, 0)),
            (utc(2100, 12, 20, 14, 0), utc(2101, 7, 9, 21, 30)),
            (utc(2150, 3, 3, 3, 3), utc(2310, 2, 28, 12, 0)),
        ];
        for (from, to) in spans {
            assert_eq!(cal.open_between(from, to), span(cal.open_millis(from, to, false)), "{from} to {to}");
        }
    }

    /// The whole-week count assumes that no zone changes its offset from
    /// [`STEADY_FROM`] on; check every zone the tz database has, at dates
    /// spread over every season and on to 9999.
    #[test]
    fn no_zone_changes_its_offset_after_2100() {
        let start = STEADY_FROM.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis() - 2 * 24 * HOUR;
        let samples: Vec<i64> = (0..120)
            .map(|k| start + k * 29 * 24 * HOUR)
            .chain((0..400).map(|k| start + k * 7207 * 24 * HOUR + 11 * HOUR))
            .filter(|&t| t <= Timestamp::MAX.as_millis())
            .collect();
        for zone in chrono_tz::TZ_VARIANTS {
            let offset = |t: i64| {
                offset_ms(zone.offset_from_utc_datetime(&DateTime::from_timestamp_millis(t).unwrap().naive_utc()))
            };
            let first = offset(start);
            for &t in &samples {
                assert_eq!(offset(t), first, "{} changes its offset after 2100", zone.name());
            }
        }
    }

    #[test]
    fn a_skipped_day_and_midnight_changes() {
        // Samoa skipped Friday 2011-12-30: Thursday 24:00 (UTC-10) was Saturday 00:00 (UTC+14).
        let apia = BusinessHours::new("Pacific/Apia")
            .open_days([Mon, Tue, Wed, Thu, Fri, Sat, Sun], LocalTime::MIDNIGHT, LocalTime::END_OF_DAY)
            .check()
            .unwrap();
        assert_eq!(apia.next_change(utc(2011, 12, 29, 0, 0)), None, "open around the clock across the skip");
        assert_eq!(apia.open_between(utc(2011, 12, 29, 0, 0), utc(2012, 1, 1, 0, 0)), span(72 * HOUR));
        let fridays = BusinessHours::new("Pacific/Apia").open(Fri, hm(9, 0), hm(17, 0)).check().unwrap();
        // Thursday 29th, 09:00 UTC-10 is 19:00 UTC: the next Friday is 6 January 2012 (UTC+14).
        assert_eq!(fridays.next_change(utc(2011, 12, 29, 19, 0)), Some(utc(2012, 1, 5, 19, 0)));
        // Santiago's clocks change at midnight: on 2026-09-06, 00:00 does not exist (UTC-4 → UTC-3),
        // so the day opens at 01:00 local, 04:00 UTC.
        let santiago = BusinessHours::new("America/Santiago").open(Sun, LocalTime::MIDNIGHT, hm(2, 0)).check().unwrap();
        assert_eq!(santiago.next_change(utc(2026, 9, 5, 12, 0)), Some(utc(2026, 9, 6, 4, 0)));
        assert_eq!(santiago.next_change(utc(2026, 9, 6, 4, 0)), Some(utc(2026, 9, 6, 5, 0)));
    }

    #[test]
    fn far_exceptions_are_reached_without_walking_the_years() {
        let far = date(9000, 1, 1);
        let cal = BusinessHours::new("UTC").special(far, [Opening::new(hm(9, 0), hm(10, 0))]).check().unwrap();
        let opens = Timestamp::from(far.and_hms_opt(9, 0, 0).unwrap().and_utc());
        assert_eq!(cal.next_change(Timestamp::EPOCH), Some(opens));
        assert_eq!(cal.next_change(opens), Some(ms(opens, HOUR)));
        assert_eq!(cal.next_change(ms(opens, HOUR)), None);
        assert_eq!(cal.open_between(Timestamp::EPOCH, Timestamp::MAX), span(HOUR));
        // Around the clock with a far holiday: the change is that holiday.
        let cal = BusinessHours::new("UTC")
            .open_days([Mon, Tue, Wed, Thu, Fri, Sat, Sun], LocalTime::MIDNIGHT, LocalTime::END_OF_DAY)
            .closed_on(far)
            .check()
            .unwrap();
        let midnight = Timestamp::from(far.and_hms_opt(0, 0, 0).unwrap().and_utc());
        assert_eq!(cal.next_change(Timestamp::EPOCH), Some(midnight));
        assert_eq!(cal.next_change(midnight), Some(ms(midnight, 24 * HOUR)));
        assert_eq!(cal.next_change(ms(midnight, 24 * HOUR)), None);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;
        use proptest::test_runner::Config;

        fn seed() -> u64 {
            crate::proptest_config::seed(0xca1e_da25)
        }

        fn config() -> Config {
            crate::proptest_config::config(seed(), 64)
        }

        /// Zones with DST at 02:00 or 03:00, at midnight, by 30 minutes, none, a skipped day.
        const ZONES: [&str; 8] = [
            "Europe/Berlin",
            "America/New_York",
            "America/Santiago",
            "Australia/Lord_Howe",
            "Europe/Moscow",
            "Pacific/Apia",
            "Asia/Kolkata",
            "UTC",
        ];
        /// 2010-01-01 to 2030-01-01 UTC, where all those zones have changes.
        const SPAN: std::ops::Range<i64> = 1_262_304_000_000..1_893_456_000_000;

        /// A day's openings from sorted cut points: (cut 0, cut 1), (cut 2, cut 3), ...
        /// Cuts on the half hour, biased to midnight and the DST hours.
        fn day() -> impl Strategy<Value = Vec<Opening>> {
            let cut = prop_oneof![
                Just(0u16),
                Just(1440u16),
                Just(120u16),
                Just(150u16),
                Just(180u16),
                (0u16..=48).prop_map(|h| h * 30)
            ];
            proptest::collection::btree_set(cut, 0..6).prop_map(|cuts| {
                let cuts: Vec<u16> = cuts.into_iter().collect();
                let time = |m: u16| LocalTime::hm((m / 60) as u8, (m % 60) as u8);
                cuts.chunks_exact(2).map(|pair| Opening::new(time(pair[0]), time(pair[1]))).collect()
            })
        }

        fn calendar() -> impl Strategy<Value = Calendar> {
            let weekly = proptest::collection::vec(day(), 7);
            let exceptions = proptest::collection::vec((0i64..7300, day()), 0..6);
            (0..ZONES.len(), weekly, exceptions, any::<bool>()).prop_map(|(zone, weekly, exceptions, around)| {
                let mut hours = BusinessHours::new(ZONES[zone]);
                for (index, openings) in weekly.into_iter().enumerate() {
                    for o in openings {
                        hours = hours.open(weekday_from_monday(index), o.open, o.close);
                    }
                }
                if around {
                    // Now and then open around the clock, so only exceptions change anything.
                    hours.weekly.clear();
                    hours = hours.open_days(
                        [Mon, Tue, Wed, Thu, Fri, Sat, Sun],
                        LocalTime::MIDNIGHT,
                        LocalTime::END_OF_DAY,
                    );
                }
                let mut seen = std::collections::BTreeSet::new();
                for (days, openings) in exceptions {
                    let d = date(2010, 1, 1) + chrono::Days::new(days as u64);
                    if seen.insert(d) {
                        hours = hours.special(d, openings);
                    }
                }
                hours.check().expect("generated hours are valid")
            })
        }

        fn instant() -> impl Strategy<Value = Timestamp> {
            prop_oneof![
                8 => SPAN.prop_map(Timestamp::from_millis),
                // On a whole hour, where changes are.
                4 => (SPAN.start / HOUR..SPAN.end / HOUR).prop_map(|h| Timestamp::from_millis(h * HOUR)),
                1 => any::<i64>().prop_map(Timestamp::from_millis),
            ]
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn open_is_constant_until_the_next_change(cal in calendar(), t in instant(), probes in proptest::collection::vec(0.0f64..1.0, 3)) {
                let open = cal.is_open(t);
                match cal.next_change(t) {
                    Some(next) => {
                        prop_assert!(next > t, "SWITCHBOARD_SEED={}: change {} not after {}", seed(), next, t);
                        let span = next.as_millis().saturating_sub(t.as_millis());
                        for p in probes {
                            let probe = ms(t, ((span as f64 * p) as i64).clamp(0, span - 1));
                            prop_assert_eq!(cal.is_open(probe), open, "SWITCHBOARD_SEED={}: at {} between {} and {}", seed(), probe, t, next);
                        }
                        prop_assert_eq!(cal.is_open(ms(next, -1)), open, "SWITCHBOARD_SEED={}: just before {}", seed(), next);
                        prop_assert_ne!(cal.is_open(next), open, "SWITCHBOARD_SEED={}: no flip at {}", seed(), next);
                        let business = cal.open_between(t, next);
                        prop_assert_eq!(business, if open { super::span(span) } else { Duration::ZERO }, "SWITCHBOARD_SEED={}: business time from {} to {}", seed(), t, next);
                    }
                    None => {
                        for days in [1, 9, 40, 400] {
                            let probe = Timestamp::from_millis(t.as_millis().saturating_add(days * 24 * HOUR + 1));
                            if crate::time::in_range(probe) && crate::time::in_range(t) {
                                prop_assert_eq!(cal.is_open(probe), open, "SWITCHBOARD_SEED={}: no change after {}, but at {}", seed(), t, probe);
                            }
                        }
                    }
                }
            }

            #[test]
            fn business_time_adds_up(cal in calendar(), mut points in proptest::collection::vec(instant(), 3)) {
                points.sort();
                let (a, b, c) = (points[0], points[1], points[2]);
                let ab = cal.open_between(a, b);
                let bc = cal.open_between(b, c);
                prop_assert_eq!(ab + bc, cal.open_between(a, c), "SWITCHBOARD_SEED={}: {} {} {}", seed(), a, b, c);
                prop_assert!(ab <= span(b.as_millis().saturating_sub(a.as_millis())));
                prop_assert_eq!(cal.open_between(c, a), Duration::ZERO, "from after to");
            }
        }
    }
}
