//! Errors of the measurement layer.

use crate::ids::{CalendarId, QueueId};
use crate::model::channel::Channel;

/// Why a statistics configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsConfigError {
    /// Report intervals must divide an hour or be a whole day.
    #[error("interval of {0} minutes: use a divisor of 60 (15, 30, 60, …) or 1440 for a day")]
    InvalidIntervalLength(u16),
    /// A limit is zero, so nothing could be kept.
    #[error("{0} must be at least 1")]
    ZeroLimit(&'static str),
    /// A retention of zero would keep nothing; turn history off instead.
    #[error("history retention must be longer than zero; use keep_history(false) to turn history off")]
    ZeroRetention,
    /// A cost rate is negative, infinite or NaN.
    #[error("the cost of channel {0} must be finite and not negative")]
    InvalidCost(Channel),
    /// A breakdown attribute key is empty.
    #[error("breakdown attribute keys must not be empty")]
    EmptyBreakdownKey,
    /// A breakdown attribute key is listed twice.
    #[error("breakdown attribute key {0:?} is listed twice")]
    DuplicateBreakdownKey(String),
    /// A queue has more service-level definitions than allowed.
    #[error("queue {queue} has {count} service-level definitions; at most {max} are allowed")]
    TooManyDefinitions {
        /// The queue.
        queue: QueueId,
        /// How many were given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// A response target counts the business hours of a calendar the engine
    /// does not have (from [`StatsConfig::check_calendars`](crate::stats::StatsConfig::check_calendars)).
    /// Unchecked, such a target counts wall-clock time.
    #[error("the {channel} response target{} counts the business hours of calendar {calendar}, which the engine does not have", .queue.map(|q| format!(" of queue {q}")).unwrap_or_default())]
    UnknownCalendar {
        /// The calendar.
        calendar: CalendarId,
        /// The queue whose own target it is; `None` for a statistics-wide target.
        queue: Option<QueueId>,
        /// The target's channel.
        channel: Channel,
    },
}

/// Why exporting records failed.
#[cfg(any(feature = "json", feature = "csv"))]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Writing failed.
    #[error("writing the export failed")]
    Io(#[from] std::io::Error),
    /// JSON encoding failed.
    #[cfg(feature = "json")]
    #[error("JSON encoding failed")]
    Json(#[from] serde_json::Error),
    /// CSV encoding failed.
    #[cfg(feature = "csv")]
    #[error("CSV encoding failed")]
    Csv(#[from] csv::Error),
}
