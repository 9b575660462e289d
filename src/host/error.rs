//! Why a driver call failed: its own module, because both the driver and the notices it sends
//! its sinks ([`DriverNotice::FollowUpFailed`](super::DriverNotice::FollowUpFailed)) name it, and
//! the plugs must not depend on the driver that depends on them.

use crate::error::CommandError;
use crate::model::channel::Channel;

use super::journal::JournalError;

/// Why a driver call failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The engine refused the command; it changed nothing and was not journaled.
    #[error(transparent)]
    Rejected(#[from] CommandError),
    /// The journal could not stage the command (it cannot be encoded, is out of sequence, or —
    /// with [`JournalError::SequenceExhausted`], with or without a journal — no sequence number
    /// is left for it); the command was not applied.
    #[error("the journal refused the command, which was not applied: {0}")]
    NotJournaled(JournalError),
    /// The journal failed after the engine applied a command. The command's effects were not
    /// dispatched and the driver stopped: recover from the last checkpoint and the journal.
    #[error("journal failure; the driver stopped, recover from the last checkpoint and the journal: {0}")]
    JournalFailed(JournalError),
    /// An earlier journal failure stopped the driver.
    #[error("the driver stopped after a journal failure; recover from the last checkpoint and the journal")]
    Stopped,
    /// Two adapters were registered for the same channel.
    #[error("channel {0} already has an adapter")]
    ChannelTaken(Channel),
}

impl DriverError {
    /// True when the driver stopped and must be rebuilt by recovery; false when only the command
    /// at hand was refused (and changed nothing).
    pub fn is_fatal(&self) -> bool {
        matches!(self, DriverError::JournalFailed(_) | DriverError::Stopped)
    }
}
