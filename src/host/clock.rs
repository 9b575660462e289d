//! Clocks: where the driver reads the time it passes to the engine.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::time::{Timestamp, duration_millis};

/// A source of the current time, read by the [`Driver`](crate::host::Driver) before each call into the engine.
///
/// The driver never lets time run backwards: if the clock reads earlier than a time the engine
/// has already seen (a system clock stepped back by NTP), the driver uses the engine's latest time
/// instead.
///
/// # Example
/// ```
/// use switchboard::{Timestamp};
/// use switchboard::host::{Clock, ManualClock};
///
/// fn stamp(clock: &dyn Clock) -> i64 {
///     clock.now().as_millis()
/// }
/// assert_eq!(stamp(&ManualClock::new(Timestamp::from_millis(42))), 42);
/// ```
pub trait Clock: Send {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The operating system's wall clock ([`SystemTime`]), in milliseconds since the Unix epoch.
///
/// # Example
/// ```
/// use switchboard::{Timestamp};
/// use switchboard::host::{Clock, SystemClock};
///
/// assert!(SystemClock.now() > Timestamp::from_secs(1_600_000_000));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => Timestamp::from_millis(duration_millis(since)),
            // A clock set before 1970: negative milliseconds.
            Err(before) => Timestamp::from_millis(duration_millis(before.duration()).saturating_neg()),
        }
    }
}

/// A clock that moves only when told to, for tests, simulations and examples.
///
/// Clones share the same time, so a test can keep one handle and give another to the driver.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{Timestamp};
/// use switchboard::host::{Clock, ManualClock};
///
/// let clock = ManualClock::new(Timestamp::from_secs(100));
/// let handle = clock.clone();
/// handle.advance(Duration::from_millis(1_500));
/// assert_eq!(clock.now(), Timestamp::from_millis(101_500));
/// clock.set(Timestamp::from_secs(7));
/// assert_eq!(handle.now(), Timestamp::from_secs(7));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicI64::new(start.as_millis())))
    }

    /// Sets the time (it may go backwards; the driver holds the engine at its latest time).
    pub fn set(&self, now: Timestamp) {
        self.0.store(now.as_millis(), Ordering::SeqCst);
    }

    /// Moves the time forward by `by` and returns the new time.
    pub fn advance(&self, by: Duration) -> Timestamp {
        let ms = duration_millis(by);
        let step = |t: i64| Some(t.saturating_add(ms));
        // `step` always returns `Some`, so `fetch_update` cannot fail; both arms carry the old value.
        let before = self.0.fetch_update(Ordering::SeqCst, Ordering::SeqCst, step).unwrap_or_else(|old| old);
        Timestamp::from_millis(before.saturating_add(ms))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

impl<C: Clock + Sync + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}
