//! Response clocks: which calendar a response target counts on, the response
//! time on it, and the instant a waiting contact becomes overdue.

use std::time::Duration;

use crate::engine::Engine;
use crate::ids::{CalendarId, QueueId};
use crate::model::calendar::Calendar;
use crate::sla::{ResponseClock, ResponseTarget};
use crate::time::Timestamp;

/// The most opening and closing changes [`deadline`] walks before it gives
/// up: 2,048 changes are 1,024 openings, about four years of one opening
/// each weekday. A business-hours target further away than that is never
/// shown overdue (its response is still measured exactly).
pub(crate) const MAX_DEADLINE_CHANGES: usize = 2_048;

/// The calendar a target counts on for a contact of `queue`, as the engine
/// has it now: `None` for the wall clock, for a queue that follows no
/// calendar, and for a calendar id the engine does not know (the documented
/// fallback to the wall clock).
pub(crate) fn calendar_of<'e>(
    target: &ResponseTarget,
    queue: QueueId,
    engine: &'e Engine,
) -> Option<(CalendarId, &'e Calendar)> {
    let id = match target.clock() {
        ResponseClock::BusinessHours(id) => id,
        ResponseClock::QueueBusinessHours => engine.queue(queue)?.calendar?,
        ResponseClock::WallClock => return None,
    };
    engine.calendar(id).map(|c| (id, c))
}

/// Milliseconds in `[from, to)` on the clock: open time of the calendar, or
/// wall-clock time without one. Zero if `to` is not after `from`.
pub(crate) fn elapsed_ms(calendar: Option<&Calendar>, from: Timestamp, to: Timestamp) -> u64 {
    match calendar {
        // Whole milliseconds, at most the engine's range: the conversion cannot saturate.
        Some(c) => u64::try_from(c.open_between(from, to).as_millis()).unwrap_or(u64::MAX),
        None => u64::try_from(to.millis_since(from)).unwrap_or(0),
    }
}

/// The last instant at which a contact that arrived at `from` is still
/// within `within` on the clock: after it, [`elapsed_ms`] up to any later
/// instant exceeds `within`. `None` when that never happens (the calendar
/// never opens again), or lies more than [`MAX_DEADLINE_CHANGES`] changes
/// of the calendar ahead.
///
/// On the wall clock it is `from + within`. On a calendar it walks from
/// opening to closing: where an opening ends exactly as the span runs out,
/// the contact is still within until the next opening starts, since no
/// business time passes while closed.
pub(crate) fn deadline(calendar: Option<&Calendar>, from: Timestamp, within: Duration) -> Option<Timestamp> {
    let Some(calendar) = calendar else { return Some(from + within) };
    let mut left = u64::try_from(within.as_millis()).unwrap_or(u64::MAX);
    let mut at = from;
    let mut open = calendar.is_open(at);
    for _ in 0..MAX_DEADLINE_CHANGES {
        let next = calendar.next_change(at);
        if open {
            // Open for ever from here (up to the end of the engine's range).
            let Some(next) = next else { return Some(at + Duration::from_millis(left)) };
            let span = u64::try_from(next.millis_since(at)).unwrap_or(0);
            if span > left {
                return Some(at + Duration::from_millis(left));
            }
            left -= span;
        }
        at = next?;
        open = !open;
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::Weekday::*;

    use super::*;
    use crate::model::calendar::{BusinessHours, LocalTime};

    fn utc(text: &str) -> Timestamp {
        Timestamp::from_millis(chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis())
    }

    fn office() -> Calendar {
        BusinessHours::new("Europe/Berlin")
            .open_days([Mon, Tue, Wed, Thu, Fri], LocalTime::hm(9, 0), LocalTime::hm(18, 0))
            .check()
            .unwrap()
    }

    #[test]
    fn the_wall_clock_deadline_is_arrival_plus_the_span() {
        let from = utc("2026-01-09T16:00:00Z");
        assert_eq!(deadline(None, from, Duration::from_secs(7_200)), Some(utc("2026-01-09T18:00:00Z")));
        assert_eq!(elapsed_ms(None, from, utc("2026-01-09T18:00:00Z")), 7_200_000);
        assert_eq!(elapsed_ms(None, from, utc("2026-01-09T15:00:00Z")), 0);
    }

    #[test]
    fn business_deadlines_skip_closed_time_and_agree_with_elapsed_time() {
        let c = office();
        let h = |n: u64| Duration::from_secs(n * 3_600);
        // Friday 17:00 CET: 1 h left on Friday, then Monday from 09:00.
        let friday = utc("2026-01-09T16:00:00Z");
        let cases = [
            (Duration::ZERO, "2026-01-09T16:00:00Z"),
            (h(1), "2026-01-12T08:00:00Z"), // ends exactly at Friday's closing: within until Monday's opening
            (h(2), "2026-01-12T09:00:00Z"), // Monday 10:00 CET
            (h(10), "2026-01-13T08:00:00Z"), // Friday 1 h + Monday 9 h: within until Tuesday's opening
            (h(11), "2026-01-13T09:00:00Z"), // and 1 h of Tuesday
        ];
        for (within, expected) in cases {
            let d = deadline(Some(&c), friday, within).unwrap();
            assert_eq!(d, utc(expected), "{within:?}");
            let ms = u64::try_from(within.as_millis()).unwrap();
            assert_eq!(elapsed_ms(Some(&c), friday, d), ms);
            assert_eq!(elapsed_ms(Some(&c), friday, d + Duration::from_millis(1)), ms + 1, "late a millisecond after");
        }
        // Arriving on a Saturday: the clock starts on Monday 09:00 CET.
        assert_eq!(deadline(Some(&c), utc("2026-01-10T10:00:00Z"), h(2)), Some(utc("2026-01-12T10:00:00Z")));
        // Across the spring-forward weekend: Monday 10:00 CEST is 08:00 UTC.
        assert_eq!(deadline(Some(&c), utc("2026-03-27T16:00:00Z"), h(2)), Some(utc("2026-03-30T08:00:00Z")));
    }

    #[test]
    fn a_calendar_that_never_opens_or_a_far_span_has_no_deadline() {
        let never = BusinessHours::new("UTC").check().unwrap();
        assert_eq!(deadline(Some(&never), utc("2026-01-09T16:00:00Z"), Duration::from_secs(1)), None);
        assert_eq!(elapsed_ms(Some(&never), utc("2026-01-09T16:00:00Z"), utc("2026-02-09T16:00:00Z")), 0);
        let years = Duration::from_secs(10 * 365 * 24 * 3_600);
        assert_eq!(deadline(Some(&office()), utc("2026-01-09T16:00:00Z"), years), None);
        let always = BusinessHours::new("UTC")
            .open_days([Mon, Tue, Wed, Thu, Fri, Sat, Sun], LocalTime::hm(0, 0), LocalTime::END_OF_DAY)
            .check()
            .unwrap();
        let from = utc("2026-01-09T16:00:00Z");
        assert_eq!(deadline(Some(&always), from, Duration::from_secs(3_600)), Some(utc("2026-01-09T17:00:00Z")));
        assert_eq!(deadline(Some(&always), from, Duration::MAX), Some(from + Duration::MAX));
    }
}
