//! Service-level targets.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A queue's promise: `target_percent` of interactions answered within `answer_within`.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::ServiceLevelTarget;
///
/// let sla = ServiceLevelTarget::new(80, Duration::from_secs(20)); // "80/20"
/// assert_eq!(sla.target_percent(), 80);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ServiceLevelTarget {
    target_percent: u8,
    answer_within: Duration,
}

impl ServiceLevelTarget {
    /// A target of `target_percent` (clamped to 0–100) answered within `answer_within`.
    pub fn new(target_percent: u8, answer_within: Duration) -> Self {
        ServiceLevelTarget { target_percent: target_percent.min(100), answer_within }
    }

    /// The share to answer in time, in percent.
    pub fn target_percent(&self) -> u8 {
        self.target_percent
    }

    /// The answer-time threshold.
    pub fn answer_within(&self) -> Duration {
        self.answer_within
    }
}

impl Default for ServiceLevelTarget {
    /// The industry's classic 80/20.
    fn default() -> Self {
        ServiceLevelTarget::new(80, Duration::from_secs(20))
    }
}
