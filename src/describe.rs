//! What a command or an event is about, in words a log may keep: its kind (the serialised
//! variant name) and the ids it names. One mapping for `Display` and for the `tracing` feature.
//!
//! Ids only: attribute values, customer and case ids, wrap-up codes, notes, skill and queue
//! names are left out. They are, or may be, personal data, and a log line is the last place to
//! find them (as `Debug` redacts attribute values). The interaction id is the key to join a log
//! line with the host's own, protected records.

use std::fmt;

use crate::command::Command;
use crate::event::{Event, EventKind};
use crate::ids::{AgentId, InteractionId, OfferId, QueueId};

/// The ids a command or an event names. `None` fields are left out of the span or event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ids {
    pub(crate) interaction: Option<u64>,
    pub(crate) agent: Option<u64>,
    pub(crate) queue: Option<u64>,
    pub(crate) offer: Option<u64>,
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

/// A command's variant name and the ids it names. Exhaustive on purpose: a new command must
/// decide here what it shows, and nothing free-text (names, codes, notes, attributes) may.
pub(crate) fn command_ids(command: &Command) -> (&'static str, Ids) {
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
        Command::ExtendWrapUp { agent, interaction } => {
            ("extend_wrap_up", none.agent(*agent).interaction(*interaction))
        }
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
pub(crate) fn event_ids(kind: &EventKind) -> (&'static str, Ids) {
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
        EventKind::WrapUpEnded { interaction, agent } => {
            ("wrap_up_ended", none.interaction(*interaction).agent(*agent))
        }
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

/// Writes ` i7 a1 q1 o3` (the ids present, each with its prefix), then the extra ids an event
/// names: the queue a transfer left, the interaction that interrupted work.
fn write_ids(f: &mut fmt::Formatter<'_>, ids: Ids) -> fmt::Result {
    if let Some(id) = ids.interaction {
        write!(f, " {}", InteractionId(id))?;
    }
    if let Some(id) = ids.agent {
        write!(f, " {}", AgentId(id))?;
    }
    if let Some(id) = ids.queue {
        write!(f, " {}", QueueId(id))?;
    }
    if let Some(id) = ids.offer {
        write!(f, " {}", OfferId(id))?;
    }
    Ok(())
}

/// One line a log may keep: the kind and the ids (`interaction_offered i7 a1 q1 o3`), never
/// attribute values, names, codes or notes.
///
/// ```
/// use switchboard::{AgentId, EventKind, InteractionId, QueueId};
///
/// let kind = EventKind::InteractionTransferred { interaction: InteractionId(7), from: QueueId(1), to: QueueId(2) };
/// assert_eq!(kind.to_string(), "interaction_transferred i7 q2 from q1");
/// ```
impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, ids) = event_ids(self);
        f.write_str(name)?;
        write_ids(f, ids)?;
        match self {
            EventKind::InteractionTransferred { from, .. } => write!(f, " from {from}"),
            EventKind::WorkInterrupted { by, .. } => write!(f, " by {by}"),
            _ => Ok(()),
        }
    }
}

/// The event's time, then its kind and ids:
/// `2026-01-01T09:00:02.000Z interaction_offered i7 a1 q1 o3`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.at, self.kind)
    }
}

/// The command's kind and the ids it names (`accept a4 o9`), never attribute values, names,
/// codes or notes.
///
/// ```
/// use switchboard::{AgentId, Command, OfferId};
///
/// assert_eq!(Command::Accept { agent: AgentId(4), offer: OfferId(9) }.to_string(), "accept a4 o9");
/// ```
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, ids) = command_ids(self);
        f.write_str(name)?;
        write_ids(f, ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn display_shows_kinds_and_ids_and_nothing_personal() {
        use crate::ids::CustomerId;
        use crate::time::Timestamp;
        let mut new =
            crate::command::NewInteraction::new(InteractionId(7), crate::Channel::Chat, QueueId(1), CustomerId(42));
        new.attributes.insert("name", "Ada Lovelace");
        let arrive = Command::Arrive(new);
        assert_eq!(arrive.to_string(), "arrive i7 q1");
        let code = Command::Disposition {
            agent: AgentId(2),
            interaction: InteractionId(7),
            code: "refund".into(),
            notes: Some("called about her card".into()),
        };
        assert_eq!(code.to_string(), "disposition i7 a2");
        let event = Event {
            at: Timestamp::from_millis(1_767_258_002_000),
            kind: EventKind::WorkInterrupted { interaction: InteractionId(5), agent: AgentId(2), by: InteractionId(7) },
        };
        assert_eq!(event.to_string(), "2026-01-01T09:00:02.000Z work_interrupted i5 a2 by i7");
    }
}
