//! Time as the engine sees it: a plain number the host passes in.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A point in time: milliseconds since the Unix epoch, UTC.
///
/// The engine never reads a clock; the host passes a `Timestamp` with every
/// call. It is a plain `i64` newtype (not `std::time::Instant`) so that it can
/// be serialised in journals and snapshots and built from a number in tests
/// and simulations.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::Timestamp;
///
/// let t = Timestamp::from_millis(1_000);
/// assert_eq!(t + Duration::from_secs(2), Timestamp::from_millis(3_000));
/// assert_eq!(Timestamp::from_millis(3_000).saturating_duration_since(t), Duration::from_secs(2));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z: the earliest time the engine accepts.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// 9999-12-31T23:59:59.999Z: the latest time the engine accepts.
    ///
    /// Why a bound below `i64::MAX`: every deadline the engine sets is a time
    /// it accepted plus a configured span of at most [`Timestamp::MAX_SPAN`],
    /// so with both bounded no deadline can saturate at the end of `i64` and
    /// fire at the very instant that set it (which would loop forever).
    pub const MAX: Timestamp = Timestamp(253_402_300_799_999);

    /// The longest span the engine accepts in a configuration (offer
    /// timeouts, wrap-up times, member delays): 100 years of 365.25 days.
    pub const MAX_SPAN: Duration = Duration::from_millis(3_155_760_000_000);

    /// A timestamp `millis` milliseconds after the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    /// A timestamp `secs` seconds after the Unix epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(1_000))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub const fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Converts to a chrono date-time, or `None` if out of chrono's range.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        Utc.timestamp_millis_opt(self.0).single()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Timestamp(value.timestamp_millis())
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    /// Saturates at the end of time rather than overflowing.
    fn add(self, rhs: Duration) -> Timestamp {
        let ms = i64::try_from(rhs.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    /// Saturates at the beginning of time rather than overflowing.
    fn sub(self, rhs: Duration) -> Timestamp {
        let ms = i64::try_from(rhs.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_sub(ms))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(dt) => write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
            None => write!(f, "{}ms", self.0),
        }
    }
}

impl From<std::time::SystemTime> for Timestamp {
    /// The system time to the millisecond (rounded toward the past), as a
    /// host's clock reads it; saturating at the ends of `i64`. The engine
    /// still refuses times outside [`Timestamp::EPOCH`] to [`Timestamp::MAX`].
    fn from(t: std::time::SystemTime) -> Self {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => Timestamp(ms(after)),
            // Before 1970: toward the past, so a time 0.5 ms before the epoch is -1 ms.
            Err(before) => {
                let d = before.duration();
                let whole = ms(d);
                let rounded = if d.subsec_nanos() % 1_000_000 == 0 { whole } else { whole.saturating_add(1) };
                Timestamp(rounded.saturating_neg())
            }
        }
    }
}

/// Whether the engine accepts this time: within [`Timestamp::EPOCH`, `Timestamp::MAX`].
pub(crate) fn in_range(t: Timestamp) -> bool {
    (Timestamp::EPOCH..=Timestamp::MAX).contains(&t)
}

/// What is wrong with a configured span, if anything: a span that is not zero but
/// rounds down to zero milliseconds would silently mean "none" (or, for an
/// offer timeout, "expire at once"), and one beyond [`Timestamp::MAX_SPAN`]
/// could push a deadline past the end of time.
pub(crate) fn check_span(span: Duration, zero_allowed: bool) -> Result<(), SpanError> {
    if span.is_zero() && !zero_allowed {
        return Err(SpanError::Zero);
    }
    if !span.is_zero() && span.as_millis() == 0 {
        return Err(SpanError::BelowOneMillisecond);
    }
    if span > Timestamp::MAX_SPAN {
        return Err(SpanError::TooLong);
    }
    Ok(())
}

/// Why a configured span was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SpanError {
    /// Zero where zero makes no sense (an offer timeout).
    #[error("must be at least 1 ms")]
    Zero,
    /// Not zero, but under one millisecond, the engine's resolution: it would round to zero.
    #[error("is under 1 ms, the engine's resolution, and would round to zero; use zero or at least 1 ms")]
    BelowOneMillisecond,
    /// Longer than [`Timestamp::MAX_SPAN`].
    #[error("is longer than the 100-year maximum span")]
    TooLong,
}

/// Whole milliseconds in a span, saturating at `i64::MAX`.
pub(crate) fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_times_convert_to_the_millisecond_toward_the_past() {
        use std::time::{SystemTime, UNIX_EPOCH};
        let cases: [(SystemTime, i64); 5] = [
            (UNIX_EPOCH, 0),
            (UNIX_EPOCH + Duration::from_micros(1_700_000_000_000_999), 1_700_000_000_000),
            (UNIX_EPOCH - Duration::from_millis(5), -5),
            (UNIX_EPOCH - Duration::from_micros(500), -1),
            (UNIX_EPOCH - Duration::from_micros(5_001), -6),
        ];
        for (t, ms) in cases {
            assert_eq!(Timestamp::from(t), Timestamp::from_millis(ms), "{t:?}");
        }
    }

    #[test]
    fn chrono_round_trip_and_display() {
        let dt = Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap();
        let t = Timestamp::from(dt);
        assert_eq!(t.to_datetime(), Some(dt));
        assert_eq!(t.to_string(), "2026-11-23T09:30:00.000Z");
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp::from_millis(i64::MAX - 1);
        assert_eq!(t + Duration::from_secs(10), Timestamp::from_millis(i64::MAX));
        assert_eq!(Timestamp::from_millis(5).saturating_duration_since(Timestamp::from_millis(9)), Duration::ZERO);
        assert_eq!(Timestamp::from_millis(5).millis_since(Timestamp::from_millis(9)), -4);
    }
}
