//! `tracing` spans and events (feature `tracing`): the engine seen from outside, ids only.
//!
//! An observer, never an input: nothing here reads engine state or feeds anything back, so the
//! engine's own events are byte for byte the same with the feature on or off, and with or
//! without a subscriber. Spans and events are at `DEBUG`: a busy center handles thousands of
//! commands a second, the events are already the host's own data (it drains them), and tracing
//! is for diagnosis, turned on with a filter such as `switchboard=debug`.
//!
//! Fields are ids, kinds and times only. Attribute values, customer ids, case ids, wrap-up
//! codes, notes, skill and queue names are left out: they are, or may be, personal data, and a
//! log pipeline is the last place to find them. The interaction id is the key to join a trace
//! with the host's own (protected) records.

use tracing::span::EnteredSpan;

use crate::command::Command;
use crate::describe::{command_ids, event_ids};
use crate::event::EventKind;
use crate::time::Timestamp;

/// Enters the span of one [`Engine::handle`](super::Engine::handle) call: name
/// `switchboard.command`, target `switchboard::command`, fields `kind` (the command's variant),
/// `now_ms` and the ids it names. Timers fired on the way and the events they cause are inside it.
pub(super) fn command_span(command: &Command, now: Timestamp) -> EnteredSpan {
    let (kind, ids) = command_ids(command);
    tracing::debug_span!(
        target: "switchboard::command",
        "switchboard.command",
        kind,
        now_ms = now.as_millis(),
        interaction = ids.interaction,
        agent = ids.agent,
        queue = ids.queue,
        offer = ids.offer,
    )
    .entered()
}

/// Enters the span of one [`Engine::handle_timeout`](super::Engine::handle_timeout) call: name
/// `switchboard.timeout`, target `switchboard::timeout`, field `now_ms`.
pub(super) fn timeout_span(now: Timestamp) -> EnteredSpan {
    tracing::debug_span!(target: "switchboard::timeout", "switchboard.timeout", now_ms = now.as_millis()).entered()
}

/// Emits one event for an engine event, as it is queued (so in drain order): target
/// `switchboard::event`, fields `kind` (the variant), `at_ms` (its time, a timer's due time for
/// timer events) and the ids it names, plus `from_queue` for a transfer and `by` (the
/// interrupting interaction) for interrupted work.
pub(super) fn event(at: Timestamp, kind: &EventKind) {
    let (name, ids) = event_ids(kind);
    let from_queue = match kind {
        EventKind::InteractionTransferred { from, .. } => Some(from.0),
        _ => None,
    };
    let by = match kind {
        EventKind::WorkInterrupted { by, .. } => Some(by.0),
        _ => None,
    };
    tracing::debug!(
        target: "switchboard::event",
        kind = name,
        at_ms = at.as_millis(),
        interaction = ids.interaction,
        agent = ids.agent,
        queue = ids.queue,
        offer = ids.offer,
        from_queue,
        by,
    );
}
