//! What the replicated log holds, and what applying an entry gives back.

use serde::{Deserialize, Serialize};

use crate::{Command, CommandError, Event, Timestamp};

/// One entry of the replicated log: exactly what the journal holds.
///
/// The time travels inside the entry: only the leader's host reads a clock,
/// so every replica applies the same command, and fires the same timers, at
/// the same logical time.
// The command rides inline, as in `Command` itself: an entry is built, replicated and applied
// once, and a box would cost every entry an allocation to save the rare timeout a few bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Input {
    /// [`Engine::handle`](crate::Engine::handle) of `command` at `at`.
    Command {
        /// The host time the leader applied it at.
        at: Timestamp,
        /// The command.
        command: Command,
    },
    /// [`Engine::handle_timeout`](crate::Engine::handle_timeout) at `at`: timers due by then fire.
    Timeout {
        /// The host time.
        at: Timestamp,
    },
}

impl Input {
    /// The host time the entry carries.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        match self {
            Input::Command { at, .. } | Input::Timeout { at } => *at,
        }
    }
}

/// An engine event with its place in the replicated event stream.
///
/// Sequence numbers start at 1 and grow by one per event, in the order the
/// engine queued them. They are derived from the log alone (every replica
/// applies the same entries to the same engine), so they are the same on
/// every replica and continue without a gap after a change of leader: a host
/// delivers at least once and drops what it has seen by `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SequencedEvent {
    /// The event's number in the stream.
    pub seq: u64,
    /// The event.
    pub event: Event,
}

impl SequencedEvent {
    /// `event` numbered `seq`.
    #[must_use]
    pub fn new(seq: u64, event: Event) -> Self {
        SequencedEvent { seq, event }
    }
}

/// What openraft hands back to the replica that proposed an entry: where the entry's effects
/// are in that replica's state machine. The typed outcome and the events stay in the state
/// machine (a [`CommandError`] is not sent between replicas); [`Replica::submit`](super::Replica::submit)
/// turns a receipt into an [`Applied`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub(crate) index: u64,
    /// The first event's number, and the number after the last.
    pub(crate) events: (u64, u64),
}

impl Receipt {
    /// The entry's index in the replicated log.
    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }
}

/// What applying one log entry did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// The entry's index in the replicated log.
    pub index: u64,
    /// The command's own outcome (always `Ok` for a timeout or a Raft-internal entry): a
    /// refused command changed nothing, on every replica alike.
    pub result: Result<(), CommandError>,
    /// The events the entry produced, timers due before the command included (those fire even
    /// when the command itself is refused).
    pub events: Vec<SequencedEvent>,
}
