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
use crate::event::EventKind;
use crate::time::Timestamp;

/// The ids a command or an event names. `None` fields are left out of the span or event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Ids {
    interaction: Option<u64>,
    agent: Option<u64>,
    queue: Option<u64>,
    offer: Option<u64>,
}

impl Ids {
    fn interaction(mut self, id: crate::ids::InteractionId) -> Self {
        self.interaction = Some(id.0);
        self
    }

    fn agent(mut self, id: crate::ids::AgentId) -> Self {
        self.agent = Some(id.0);
        self
    }

    fn queue(mut self, id: crate::ids::QueueId) -> Self {
        self.queue = Some(id.0);
        self
    }

    fn offer(mut self, id: crate::ids::OfferId) -> Self {
        self.offer = Some(id.0);
        self
    }
}

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

/// A command's variant name and the ids it names. Exhaustive on purpose: a new command must
/// decide here what it shows, and nothing free-text (names, codes, notes, attributes) may.
fn command_ids(command: &Command) -> (&'static str, Ids) {
    let none = Ids::default();
    match command {
        Command::AddSkill { .. } => ("AddSkill", none),
        Command::AddAgentAttribute { .. } => ("AddAgentAttribute", none),
        Command::AddCalendar { .. } => ("AddCalendar", none),
        Command::SetCalendar { .. } => ("SetCalendar", none),
        Command::AddQueue(queue) => ("AddQueue", none.queue(queue.id)),
        Command::UpdateQueue { queue, .. } => ("UpdateQueue", none.queue(queue.id)),
        Command::AddAgent(agent) => ("AddAgent", none.agent(agent.id)),
        Command::SetAgentSkills { agent, .. } => ("SetAgentSkills", none.agent(*agent)),
        Command::SetAgentAttributes { agent, .. } => ("SetAgentAttributes", none.agent(*agent)),
        Command::SetAgentQueues { agent, .. } => ("SetAgentQueues", none.agent(*agent)),
        Command::RemoveAgent { agent } => ("RemoveAgent", none.agent(*agent)),
        Command::Login { agent } => ("Login", none.agent(*agent)),
        Command::Logout { agent } => ("Logout", none.agent(*agent)),
        Command::Pause { agent, .. } => ("Pause", none.agent(*agent)),
        Command::Resume { agent } => ("Resume", none.agent(*agent)),
        Command::Arrive(new) => ("Arrive", none.interaction(new.id).queue(new.queue)),
        Command::Accept { agent, offer } => ("Accept", none.agent(*agent).offer(*offer)),
        Command::Reject { agent, offer } => ("Reject", none.agent(*agent).offer(*offer)),
        Command::Complete { agent, interaction } => ("Complete", none.agent(*agent).interaction(*interaction)),
        Command::EndWrapUp { agent, interaction } => ("EndWrapUp", none.agent(*agent).interaction(*interaction)),
        Command::Disposition { agent, interaction, .. } => {
            ("Disposition", none.agent(*agent).interaction(*interaction))
        }
        Command::Abandon { interaction } => ("Abandon", none.interaction(*interaction)),
        Command::Cancel { interaction } => ("Cancel", none.interaction(*interaction)),
        Command::Transfer { interaction, queue } => ("Transfer", none.interaction(*interaction).queue(*queue)),
        Command::ConvertToCallback { interaction } => ("ConvertToCallback", none.interaction(*interaction)),
        Command::ScheduleCallback { callback, .. } => {
            ("ScheduleCallback", none.interaction(callback.id).queue(callback.queue))
        }
        Command::CallbackFailed { agent, interaction, .. } => {
            ("CallbackFailed", none.agent(*agent).interaction(*interaction))
        }
        Command::SelfServed(contact) => ("SelfServed", none.interaction(contact.id)),
        Command::ExtendWrapUp { agent, interaction } => ("ExtendWrapUp", none.agent(*agent).interaction(*interaction)),
        Command::SetCaseOwner { agent, .. } => {
            let ids = match agent {
                Some(agent) => none.agent(*agent),
                None => none,
            };
            ("SetCaseOwner", ids)
        }
    }
}

/// An event's variant name and the ids it names (for a transfer, `queue` is the queue entered).
/// Exhaustive on purpose, like [`command_ids`].
fn event_ids(kind: &EventKind) -> (&'static str, Ids) {
    let none = Ids::default();
    match kind {
        EventKind::QueueAdded { queue } => ("QueueAdded", none.queue(*queue)),
        EventKind::QueueUpdated { queue } => ("QueueUpdated", none.queue(*queue)),
        EventKind::QueueOpened { queue, .. } => ("QueueOpened", none.queue(*queue)),
        EventKind::QueueClosed { queue, .. } => ("QueueClosed", none.queue(*queue)),
        EventKind::WhenEmptyApplied { interaction, queue, .. } => {
            ("WhenEmptyApplied", none.interaction(*interaction).queue(*queue))
        }
        EventKind::AdmissionRuleApplied { interaction, queue, .. } => {
            ("AdmissionRuleApplied", none.interaction(*interaction).queue(*queue))
        }
        EventKind::AgentAdded { agent } => ("AgentAdded", none.agent(*agent)),
        EventKind::AgentUpdated { agent } => ("AgentUpdated", none.agent(*agent)),
        EventKind::AgentRemoved { agent } => ("AgentRemoved", none.agent(*agent)),
        EventKind::AgentPresenceChanged { agent, .. } => ("AgentPresenceChanged", none.agent(*agent)),
        EventKind::InteractionArrived { interaction, queue, .. } => {
            ("InteractionArrived", none.interaction(*interaction).queue(*queue))
        }
        EventKind::InteractionQueued { interaction, queue, .. } => {
            ("InteractionQueued", none.interaction(*interaction).queue(*queue))
        }
        EventKind::InteractionOverdue { interaction, queue, .. } => {
            ("InteractionOverdue", none.interaction(*interaction).queue(*queue))
        }
        EventKind::StepChanged { interaction, queue, .. } => {
            ("StepChanged", none.interaction(*interaction).queue(*queue))
        }
        EventKind::ExceptionRaised { interaction, queue, .. } => {
            ("ExceptionRaised", none.interaction(*interaction).queue(*queue))
        }
        EventKind::InteractionOffered(offer) => (
            "InteractionOffered",
            none.interaction(offer.interaction).agent(offer.agent).queue(offer.queue).offer(offer.id),
        ),
        EventKind::OfferAccepted { offer, interaction, agent } => {
            ("OfferAccepted", none.interaction(*interaction).agent(*agent).offer(*offer))
        }
        EventKind::OfferRejected { offer, interaction, agent } => {
            ("OfferRejected", none.interaction(*interaction).agent(*agent).offer(*offer))
        }
        EventKind::OfferTimedOut { offer, interaction, agent } => {
            ("OfferTimedOut", none.interaction(*interaction).agent(*agent).offer(*offer))
        }
        EventKind::OfferWithdrawn { offer, interaction, agent, .. } => {
            ("OfferWithdrawn", none.interaction(*interaction).agent(*agent).offer(*offer))
        }
        EventKind::InteractionCompleted { interaction, agent } => {
            ("InteractionCompleted", none.interaction(*interaction).agent(*agent))
        }
        EventKind::WrapUpStarted { interaction, agent, .. } => {
            ("WrapUpStarted", none.interaction(*interaction).agent(*agent))
        }
        EventKind::ConvertedToCallback { interaction, queue, .. } => {
            ("ConvertedToCallback", none.interaction(*interaction).queue(*queue))
        }
        EventKind::CallbackScheduled { interaction, queue, .. } => {
            ("CallbackScheduled", none.interaction(*interaction).queue(*queue))
        }
        EventKind::CallbackAttemptFailed { interaction, agent, .. } => {
            ("CallbackAttemptFailed", none.interaction(*interaction).agent(*agent))
        }
        EventKind::SelfServed(contact) => ("SelfServed", none.interaction(contact.id)),
        EventKind::WrapUpExtended { interaction, agent, .. } => {
            ("WrapUpExtended", none.interaction(*interaction).agent(*agent))
        }
        EventKind::WrapUpEnded { interaction, agent } => ("WrapUpEnded", none.interaction(*interaction).agent(*agent)),
        EventKind::Disposition { interaction, agent, .. } => {
            ("Disposition", none.interaction(*interaction).agent(*agent))
        }
        EventKind::InteractionTransferred { interaction, to, .. } => {
            ("InteractionTransferred", none.interaction(*interaction).queue(*to))
        }
        EventKind::DeclinedByAll { interaction, queue, .. } => {
            ("DeclinedByAll", none.interaction(*interaction).queue(*queue))
        }
        EventKind::WorkInterrupted { interaction, agent, .. } => {
            ("WorkInterrupted", none.interaction(*interaction).agent(*agent))
        }
        EventKind::WorkResumed { interaction, agent } => ("WorkResumed", none.interaction(*interaction).agent(*agent)),
        EventKind::InteractionEnded { interaction, queue, .. } => {
            ("InteractionEnded", none.interaction(*interaction).queue(*queue))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AgentId, InteractionId, OfferId, QueueId};

    #[test]
    fn a_transfer_names_the_queue_entered() {
        let kind =
            EventKind::InteractionTransferred { interaction: InteractionId(3), from: QueueId(1), to: QueueId(2) };
        let (name, ids) = event_ids(&kind);
        assert_eq!(name, "InteractionTransferred");
        assert_eq!(ids, Ids { interaction: Some(3), queue: Some(2), ..Ids::default() });
    }

    #[test]
    fn an_accept_names_its_agent_and_offer() {
        let (name, ids) = command_ids(&Command::Accept { agent: AgentId(4), offer: OfferId(9) });
        assert_eq!(name, "Accept");
        assert_eq!(ids, Ids { agent: Some(4), offer: Some(9), ..Ids::default() });
    }
}
