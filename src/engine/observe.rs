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
        Command::AddSkill { .. } => ("add_skill", none),
        Command::AddAgentAttribute { .. } => ("add_agent_attribute", none),
        Command::AddCalendar { .. } => ("add_calendar", none),
        Command::SetCalendar { .. } => ("set_calendar", none),
        Command::AddQueue(queue) => ("add_queue", none.queue(queue.id)),
        Command::UpdateQueue { queue, .. } => ("update_queue", none.queue(queue.id)),
        Command::AddAgent(agent) => ("add_agent", none.agent(agent.id)),
        Command::SetAgentSkills { agent, .. } => ("set_agent_skills", none.agent(*agent)),
        Command::SetAgentAttributes { agent, .. } => ("set_agent_attributes", none.agent(*agent)),
        Command::SetAgentQueues { agent, .. } => ("set_agent_queues", none.agent(*agent)),
        Command::RemoveAgent { agent } => ("remove_agent", none.agent(*agent)),
        Command::Login { agent } => ("login", none.agent(*agent)),
        Command::Logout { agent } => ("logout", none.agent(*agent)),
        Command::Pause { agent, .. } => ("pause", none.agent(*agent)),
        Command::Resume { agent } => ("resume", none.agent(*agent)),
        Command::Arrive(new) => ("arrive", none.interaction(new.id).queue(new.queue)),
        Command::Accept { agent, offer } => ("accept", none.agent(*agent).offer(*offer)),
        Command::Reject { agent, offer } => ("reject", none.agent(*agent).offer(*offer)),
        Command::Complete { agent, interaction } => ("complete", none.agent(*agent).interaction(*interaction)),
        Command::EndWrapUp { agent, interaction } => ("end_wrap_up", none.agent(*agent).interaction(*interaction)),
        Command::Disposition { agent, interaction, .. } => {
            ("disposition", none.agent(*agent).interaction(*interaction))
        }
        Command::Abandon { interaction } => ("abandon", none.interaction(*interaction)),
        Command::Cancel { interaction } => ("cancel", none.interaction(*interaction)),
        Command::Transfer { interaction, queue } => ("transfer", none.interaction(*interaction).queue(*queue)),
        Command::ConvertToCallback { interaction } => ("convert_to_callback", none.interaction(*interaction)),
        Command::ScheduleCallback { callback, .. } => {
            ("schedule_callback", none.interaction(callback.id).queue(callback.queue))
        }
        Command::CallbackFailed { agent, interaction, .. } => {
            ("callback_failed", none.agent(*agent).interaction(*interaction))
        }
        Command::SelfServed(contact) => ("self_served", none.interaction(contact.id)),
        Command::ExtendWrapUp { agent, interaction } => ("extend_wrap_up", none.agent(*agent).interaction(*interaction)),
        Command::SetCaseOwner { agent, .. } => {
            let ids = match agent {
                Some(agent) => none.agent(*agent),
                None => none,
            };
            ("set_case_owner", ids)
        }
    }
}

/// An event's variant name and the ids it names (for a transfer, `queue` is the queue entered).
/// Exhaustive on purpose, like [`command_ids`].
fn event_ids(kind: &EventKind) -> (&'static str, Ids) {
    let none = Ids::default();
    match kind {
        EventKind::QueueAdded { queue } => ("queue_added", none.queue(*queue)),
        EventKind::QueueUpdated { queue } => ("queue_updated", none.queue(*queue)),
        EventKind::QueueOpened { queue, .. } => ("queue_opened", none.queue(*queue)),
        EventKind::QueueClosed { queue, .. } => ("queue_closed", none.queue(*queue)),
        EventKind::WhenEmptyApplied { interaction, queue, .. } => {
            ("when_empty_applied", none.interaction(*interaction).queue(*queue))
        }
        EventKind::AdmissionRuleApplied { interaction, queue, .. } => {
            ("admission_rule_applied", none.interaction(*interaction).queue(*queue))
        }
        EventKind::AgentAdded { agent } => ("agent_added", none.agent(*agent)),
        EventKind::AgentUpdated { agent } => ("agent_updated", none.agent(*agent)),
        EventKind::AgentRemoved { agent } => ("agent_removed", none.agent(*agent)),
        EventKind::AgentPresenceChanged { agent, .. } => ("agent_presence_changed", none.agent(*agent)),
        EventKind::InteractionArrived { interaction, queue, .. } => {
            ("interaction_arrived", none.interaction(*interaction).queue(*queue))
        }
        EventKind::InteractionQueued { interaction, queue, .. } => {
            ("interaction_queued", none.interaction(*interaction).queue(*queue))
        }
        EventKind::InteractionOverdue { interaction, queue, .. } => {
            ("interaction_overdue", none.interaction(*interaction).queue(*queue))
        }
        EventKind::StepChanged { interaction, queue, .. } => {
            ("step_changed", none.interaction(*interaction).queue(*queue))
        }
        EventKind::ExceptionRaised { interaction, queue, .. } => {
            ("exception_raised", none.interaction(*interaction).queue(*queue))
        }
        EventKind::InteractionOffered(offer) => (
            "interaction_offered",
            none.interaction(offer.interaction).agent(offer.agent).queue(offer.queue).offer(offer.id),
        ),
        EventKind::OfferAccepted { offer, interaction, agent } => {
            ("offer_accepted", none.interaction(*interaction).agent(*agent).offer(*offer))
        }
        EventKind::OfferRejected { offer, interaction, agent } => {
            ("offer_rejected", none.interaction(*interaction).agent(*agent).offer(*offer))
        }
        EventKind::OfferTimedOut { offer, interaction, agent } => {
            ("offer_timed_out", none.interaction(*interaction).agent(*agent).offer(*offer))
        }
        EventKind::OfferWithdrawn { offer, interaction, agent, .. } => {
            ("offer_withdrawn", none.interaction(*interaction).agent(*agent).offer(*offer))
        }
        EventKind::InteractionCompleted { interaction, agent } => {
            ("interaction_completed", none.interaction(*interaction).agent(*agent))
        }
        EventKind::WrapUpStarted { interaction, agent, .. } => {
            ("wrap_up_started", none.interaction(*interaction).agent(*agent))
        }
        EventKind::ConvertedToCallback { interaction, queue, .. } => {
            ("converted_to_callback", none.interaction(*interaction).queue(*queue))
        }
        EventKind::CallbackScheduled { interaction, queue, .. } => {
            ("callback_scheduled", none.interaction(*interaction).queue(*queue))
        }
        EventKind::CallbackAttemptFailed { interaction, agent, .. } => {
            ("callback_attempt_failed", none.interaction(*interaction).agent(*agent))
        }
        EventKind::SelfServed(contact) => ("self_served", none.interaction(contact.id)),
        EventKind::WrapUpExtended { interaction, agent, .. } => {
            ("wrap_up_extended", none.interaction(*interaction).agent(*agent))
        }
        EventKind::WrapUpEnded { interaction, agent } => ("wrap_up_ended", none.interaction(*interaction).agent(*agent)),
        EventKind::Disposition { interaction, agent, .. } => {
            ("disposition", none.interaction(*interaction).agent(*agent))
        }
        EventKind::InteractionTransferred { interaction, to, .. } => {
            ("interaction_transferred", none.interaction(*interaction).queue(*to))
        }
        EventKind::DeclinedByAll { interaction, queue, .. } => {
            ("declined_by_all", none.interaction(*interaction).queue(*queue))
        }
        EventKind::WorkInterrupted { interaction, agent, .. } => {
            ("work_interrupted", none.interaction(*interaction).agent(*agent))
        }
        EventKind::WorkResumed { interaction, agent } => ("work_resumed", none.interaction(*interaction).agent(*agent)),
        EventKind::InteractionEnded { interaction, queue, .. } => {
            ("interaction_ended", none.interaction(*interaction).queue(*queue))
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
        assert_eq!(name, "interaction_transferred");
        assert_eq!(ids, Ids { interaction: Some(3), queue: Some(2), ..Ids::default() });
    }

    #[test]
    fn an_accept_names_its_agent_and_offer() {
        let (name, ids) = command_ids(&Command::Accept { agent: AgentId(4), offer: OfferId(9) });
        assert_eq!(name, "accept");
        assert_eq!(ids, Ids { agent: Some(4), offer: Some(9), ..Ids::default() });
    }
}
