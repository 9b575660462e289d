//! Wrap-up (after-contact work): how it ends, per queue or per agent.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How an agent's wrap-up ends: the after-call-work modes contact centers
/// configure (Genesys's optional, mandatory with time-out, mandatory with
/// forced time-out and mandatory untimed). The limit is the queue's
/// [`wrap_up`](crate::QueueConfig::wrap_up), or the agent's own
/// ([`AgentConfig::wrap_up`](crate::AgentConfig::wrap_up)).
///
/// | mode | ends at the limit | the agent ends it early | disposition code |
/// | --- | --- | --- | --- |
/// | `Optional` | yes | any time (at once: skipped) | optional |
/// | `TimeBoxed` | yes | once they have given a code | the queue's default at the limit, if none |
/// | `Forced` | yes | never ([`CommandError::WrapUpForced`](crate::CommandError::WrapUpForced)) | the queue's default at the limit, if none |
/// | `Untimed` | no limit | once they have given a code | required ([`CommandError::DispositionRequired`](crate::CommandError::DispositionRequired)) |
///
/// A timed mode with a zero limit means no wrap-up. A wrap-up holds the
/// capacity its interaction held, for every queue alike (Asterisk's
/// `shared_lastcall`): an agent wrapping up a call on an exclusive channel
/// is offered nothing from any queue until it ends. A timed wrap-up may be
/// extended once ([`Command::ExtendWrapUp`](crate::Command::ExtendWrapUp)) by
/// the queue's [`wrap_up_extension`](crate::QueueConfig::wrap_up_extension).
/// Logging out ends every wrap-up at once, recording the default code where
/// the mode calls for one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum WrapUpMode {
    /// Ends at its limit or whenever the agent ends it; a code is optional. The default.
    #[default]
    #[serde(alias = "Optional")]
    Optional,
    /// Ends at its limit, or earlier by the agent once they have given a code.
    #[serde(alias = "TimeBoxed")]
    TimeBoxed,
    /// Ends at its limit and only then.
    #[serde(alias = "Forced")]
    Forced,
    /// Has no limit: ends when the agent ends it, once they have given a code.
    #[serde(alias = "Untimed")]
    Untimed,
}

impl WrapUpMode {
    /// Whether a disposition code must be given before the agent may end it.
    pub(crate) fn code_before_early_end(self) -> bool {
        matches!(self, WrapUpMode::TimeBoxed | WrapUpMode::Untimed)
    }

    /// Whether the queue's default code is recorded when it ends without one.
    pub(crate) fn default_code_at_end(self) -> bool {
        matches!(self, WrapUpMode::TimeBoxed | WrapUpMode::Forced)
    }
}

/// An agent's own wrap-up, replacing their queues' mode and limit (a trainee
/// who needs untimed wrap-up, say); the queues' extension and default code
/// still apply.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{AgentConfig, AgentId, CapacityProfile, Channel, WrapUpMode, WrapUpRule};
///
/// let trainee = AgentConfig::new(AgentId(9), CapacityProfile::single(Channel::Voice, 1))
///     .with_wrap_up(WrapUpRule::new(WrapUpMode::Untimed, Duration::ZERO));
/// assert_eq!(trainee.wrap_up.unwrap().mode, WrapUpMode::Untimed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WrapUpRule {
    /// How it ends.
    pub mode: WrapUpMode,
    /// Its limit (ignored when untimed; zero for none when timed).
    #[serde(with = "crate::serde_forms::millis")]
    pub limit: Duration,
}

impl WrapUpRule {
    /// A rule with this mode and limit.
    pub fn new(mode: WrapUpMode, limit: Duration) -> Self {
        WrapUpRule { mode, limit }
    }

    /// Whether an interaction completed under this rule goes into wrap-up.
    pub(crate) fn wraps_up(&self) -> bool {
        self.mode == WrapUpMode::Untimed || !self.limit.is_zero()
    }
}

/// Where an interaction's wrap-up stands, beyond its state: its mode, and
/// whether it has been extended. Kept only while it is in wrap-up and not
/// the default (optional, not extended).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct WrapUpState {
    pub(crate) mode: WrapUpMode,
    pub(crate) extended: bool,
}
