//! Events: everything the engine tells the host. Plain data, serialisable,
//! drained in order with [`Engine::poll_event`](crate::Engine::poll_event).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ids::{AgentId, CaseId, CustomerId, InteractionId, OfferId, QueueId, SkillId};
use crate::model::agent::Presence;
use crate::model::attributes::Attributes;
use crate::model::channel::Channel;
use crate::model::interaction::Outcome;
use crate::model::queue::{AgentSelection, AllDeclined};
use crate::model::skill::Proficiency;
use crate::time::Timestamp;

/// One thing that happened, at the time it happened.
///
/// Events caused by a timer carry the timer's due time, even when the host
/// delivers time late.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// Why an interaction is (again) waiting in a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum QueueReason {
    /// It just arrived.
    #[serde(alias = "Arrived")]
    Arrived,
    /// Its offer was rejected.
    #[serde(alias = "OfferRejected")]
    OfferRejected,
    /// Its offer was not answered in time.
    #[serde(alias = "OfferTimedOut")]
    OfferTimedOut,
    /// Its offer was withdrawn because the agent paused or logged out.
    #[serde(alias = "OfferWithdrawn")]
    OfferWithdrawn,
    /// It was transferred here from another queue.
    #[serde(alias = "Transferred")]
    Transferred,
    /// A callback back in line after a failed dial
    /// ([`Command::CallbackFailed`](crate::Command::CallbackFailed)), offered to
    /// nobody until its queue's retry delay has passed.
    #[serde(alias = "CallbackRetry")]
    CallbackRetry,
    /// It was converted into a callback ([`Command::ConvertToCallback`](crate::Command::ConvertToCallback)):
    /// the callback enters its queue's callback list at the call's place in line.
    #[serde(alias = "ConvertedToCallback")]
    ConvertedToCallback,
    /// A scheduled callback ([`Command::ScheduleCallback`](crate::Command::ScheduleCallback))
    /// reached its due time and entered its queue.
    #[serde(alias = "CallbackDue")]
    CallbackDue,
}

/// Why a pending offer was withdrawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// The agent paused.
    #[serde(alias = "AgentPaused")]
    AgentPaused,
    /// The agent logged out.
    #[serde(alias = "AgentLoggedOut")]
    AgentLoggedOut,
    /// The customer left.
    #[serde(alias = "CustomerAbandoned")]
    CustomerAbandoned,
    /// The host cancelled the interaction.
    #[serde(alias = "Cancelled")]
    Cancelled,
    /// The interaction was transferred to another queue.
    #[serde(alias = "Transferred")]
    Transferred,
    /// The interaction reached its queue's time to live while the offer rang.
    #[serde(alias = "Expired")]
    Expired,
    /// A queue rule ended the interaction while the offer rang
    /// ([`ExceptionAction::End`](crate::ExceptionAction::End)).
    #[serde(alias = "Diverted")]
    Diverted,
    /// The call was converted into a callback ([`Command::ConvertToCallback`](crate::Command::ConvertToCallback)).
    #[serde(alias = "ConvertedToCallback")]
    ConvertedToCallback,
    /// Another agent accepted the interaction first, from a parallel offer
    /// ([`QueueConfig::parallel_offers`](crate::QueueConfig::parallel_offers)).
    #[serde(alias = "Rescinded")]
    Rescinded,
}

/// What started the routing decision behind an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum RoutingTrigger {
    /// The interaction was waiting (it arrived, came back, or reached an
    /// agent's delay) and the engine chose among available agents.
    #[serde(alias = "InteractionWaiting")]
    InteractionWaiting,
    /// The agent gained room and the engine chose among waiting interactions.
    #[serde(alias = "AgentReady")]
    AgentReady,
}

/// A required skill, the level required and the level the agent holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MatchedSkill {
    /// The skill.
    pub skill: SkillId,
    /// The minimum level required.
    pub required: Proficiency,
    /// The agent's level.
    pub held: Proficiency,
}

/// Why this agent and this interaction: enough for a supervisor to explain
/// any routing decision after the fact.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OfferExplanation {
    /// What started the decision.
    pub trigger: RoutingTrigger,
    /// The queue's agent-selection strategy.
    pub strategy: AgentSelection,
    /// Every requirement with the agent's level.
    pub matched_skills: Vec<MatchedSkill>,
    /// The agent's proficiency score: the sum of their levels over the required skills.
    pub score: u32,
    /// How long the interaction had waited since its place in line was set.
    #[serde(with = "crate::serde_forms::millis")]
    pub waited: Duration,
    /// The agent's priority for the queue.
    pub queue_priority: i32,
    /// The interaction's effective priority (base plus aging), in whole points.
    pub effective_priority: i64,
    /// How many candidates were compared. For
    /// [`RoutingTrigger::InteractionWaiting`], the agents who could have taken
    /// it: ready (logged in, not paused, room on the channel), qualified, and
    /// whose delay for the queue the wait had reached. For
    /// [`RoutingTrigger::AgentReady`], the (queue, channel) pairs in which the
    /// agent could have taken an interaction.
    pub candidates: u32,
    /// Whether the interaction had waited past its queue's
    /// [`max_wait`](crate::QueueConfig::max_wait), which put it ahead of
    /// queue priority and blending. Left out of the serialised form when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub overdue: bool,
    /// The routing step the interaction was in, when its queue (or the
    /// interaction itself) has [steps](crate::RoutingStep); left out of the
    /// serialised form otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u16>,
    /// The preference it was offered under, when made in its preference
    /// phase (preferred agents, direct, or its case's owner; see
    /// [`Preference`](crate::Preference)); left out of the serialised form otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<crate::model::preference::PreferenceKind>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An offer of one interaction to one agent; the agent's capacity is reserved until it is answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Offer {
    /// The offer's id, numbered by the engine.
    pub id: OfferId,
    /// The interaction.
    pub interaction: InteractionId,
    /// The agent.
    pub agent: AgentId,
    /// The queue it is routed from.
    pub queue: QueueId,
    /// The channel.
    pub channel: Channel,
    /// The customer.
    pub customer: CustomerId,
    /// When the offer times out if not accepted.
    pub expires_at: Timestamp,
    /// Why this agent and this interaction.
    pub explanation: OfferExplanation,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A queue was created.
    #[serde(alias = "QueueAdded")]
    QueueAdded {
        /// The queue.
        queue: QueueId,
    },
    /// The interaction's queue has no member in the state its
    /// [`WhenEmpty`](crate::WhenEmpty) rule names; `applied` says whether the
    /// rule's action could be made.
    #[serde(alias = "WhenEmptyApplied")]
    WhenEmptyApplied {
        /// The interaction.
        interaction: InteractionId,
        /// Its queue.
        queue: QueueId,
        /// What the rule does.
        action: crate::model::step::ExceptionAction,
        /// Whether it was done.
        applied: bool,
    },
    /// An admission rule of the interaction's queue held when it arrived
    /// ([`AdmissionRule`](crate::AdmissionRule)); `applied` says whether its
    /// action could be made (a move the target cannot take now, or a
    /// requirement change the limits refuse, is not).
    #[serde(alias = "AdmissionRuleApplied")]
    AdmissionRuleApplied {
        /// The interaction.
        interaction: InteractionId,
        /// Its queue.
        queue: QueueId,
        /// The rule, from 0.
        rule: u16,
        /// What the rule does.
        action: crate::model::step::ExceptionAction,
        /// Whether it was done.
        applied: bool,
    },
    /// A queue's configuration was replaced
    /// ([`Command::UpdateQueue`](crate::Command::UpdateQueue)).
    #[serde(alias = "QueueUpdated")]
    QueueUpdated {
        /// The queue.
        queue: QueueId,
    },
    /// A queue opened by its business-hours calendar
    /// ([`QueueConfig::calendar`](crate::QueueConfig::calendar)), or because the calendar that
    /// kept it closed was taken away (`closes_at: None`): what waits in it is routed again.
    #[serde(alias = "QueueOpened")]
    QueueOpened {
        /// The queue.
        queue: QueueId,
        /// When it closes next, if its calendar says.
        closes_at: Option<crate::time::Timestamp>,
    },
    /// A queue closed by its business-hours calendar
    /// ([`QueueConfig::calendar`](crate::QueueConfig::calendar)): nothing in
    /// it is offered until it opens, and its real-time work follows its
    /// [`WhenClosed`](crate::WhenClosed) rule.
    #[serde(alias = "QueueClosed")]
    QueueClosed {
        /// The queue.
        queue: QueueId,
        /// When it opens next, if its calendar says.
        opens_at: Option<crate::time::Timestamp>,
    },
    /// An agent was added (logged out).
    #[serde(alias = "AgentAdded")]
    AgentAdded {
        /// The agent.
        agent: AgentId,
    },
    /// An agent's skills or queues changed.
    #[serde(alias = "AgentUpdated")]
    AgentUpdated {
        /// The agent.
        agent: AgentId,
    },
    /// An agent was removed.
    #[serde(alias = "AgentRemoved")]
    AgentRemoved {
        /// The agent.
        agent: AgentId,
    },
    /// An agent's presence changed.
    #[serde(alias = "AgentPresenceChanged")]
    AgentPresenceChanged {
        /// The agent.
        agent: AgentId,
        /// The presence before.
        previous: Presence,
        /// The presence now.
        presence: Presence,
    },
    /// A new interaction arrived.
    #[serde(alias = "InteractionArrived")]
    InteractionArrived {
        /// The interaction.
        interaction: InteractionId,
        /// Its channel.
        channel: Channel,
        /// Its queue.
        queue: QueueId,
        /// The customer.
        customer: CustomerId,
        /// Its case.
        case: Option<CaseId>,
        /// Its base priority.
        priority: i32,
        /// The host's attributes.
        attributes: Attributes,
    },
    /// An interaction is waiting in a queue.
    #[serde(alias = "InteractionQueued")]
    InteractionQueued {
        /// The interaction.
        interaction: InteractionId,
        /// The queue.
        queue: QueueId,
        /// Why.
        reason: QueueReason,
    },
    /// A waiting interaction reached its queue's
    /// [`max_wait`](crate::QueueConfig::max_wait): from now on it ranks
    /// ahead of queue priority and blending, earliest deadline first.
    #[serde(alias = "InteractionOverdue")]
    InteractionOverdue {
        /// The interaction.
        interaction: InteractionId,
        /// The queue whose bound it reached.
        queue: QueueId,
        /// How long it has waited (since its place in line).
        #[serde(with = "crate::serde_forms::millis")]
        waited: Duration,
    },
    /// A waiting interaction moved to another routing step
    /// ([`RoutingStep`](crate::RoutingStep)): its requirements and priority
    /// are now the step's; its place in line is unchanged.
    #[serde(alias = "StepChanged")]
    StepChanged {
        /// The interaction.
        interaction: InteractionId,
        /// Its queue.
        queue: QueueId,
        /// The step it is in now, from 0.
        step: u16,
    },
    /// An exception rule of the interaction's queue applied
    /// ([`ExceptionRule`](crate::ExceptionRule)). For a move, the
    /// `InteractionTransferred` event follows when it was made.
    #[serde(alias = "ExceptionRaised")]
    ExceptionRaised {
        /// The interaction.
        interaction: InteractionId,
        /// The queue whose rule it is.
        queue: QueueId,
        /// The rule, from 0.
        rule: u16,
        /// What it does.
        action: crate::model::step::ExceptionAction,
        /// Whether it was carried out (a move the target cannot take now is not).
        applied: bool,
        /// How long the interaction has left before it misses the first of
        /// its queue's deadlines: the service-level threshold, the
        /// [`max_wait`](crate::QueueConfig::max_wait) bound and the
        /// [`time_to_live`](crate::QueueConfig::time_to_live); zero once one
        /// is missed. What a supervisor alerted needs to know first.
        #[serde(default)]
        #[serde(with = "crate::serde_forms::millis")]
        left: std::time::Duration,
    },
    /// An interaction was offered to an agent.
    #[serde(alias = "InteractionOffered")]
    InteractionOffered(Offer),
    /// The agent accepted; the interaction is connected.
    #[serde(alias = "OfferAccepted")]
    OfferAccepted {
        /// The offer.
        offer: OfferId,
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
    },
    /// The agent declined.
    #[serde(alias = "OfferRejected")]
    OfferRejected {
        /// The offer.
        offer: OfferId,
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
    },
    /// The agent did not answer in time.
    #[serde(alias = "OfferTimedOut")]
    OfferTimedOut {
        /// The offer.
        offer: OfferId,
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
    },
    /// The engine withdrew a pending offer.
    #[serde(alias = "OfferWithdrawn")]
    OfferWithdrawn {
        /// The offer.
        offer: OfferId,
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: WithdrawReason,
    },
    /// The conversation ended; wrap-up follows if the queue has one.
    #[serde(alias = "InteractionCompleted")]
    InteractionCompleted {
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
    },
    /// After-contact work started.
    #[serde(alias = "WrapUpStarted")]
    WrapUpStarted {
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
        /// When it ends unless the agent ends it first; `None` when untimed
        /// ([`WrapUpMode::Untimed`](crate::WrapUpMode::Untimed)).
        until: Option<Timestamp>,
    },
    /// A waiting real-time interaction became a callback
    /// ([`Command::ConvertToCallback`](crate::Command::ConvertToCallback)):
    /// the customer's line is free, and a `Callback` keeps its place in line.
    #[serde(alias = "ConvertedToCallback")]
    ConvertedToCallback {
        /// The interaction (the same id: one journey, two legs).
        interaction: InteractionId,
        /// Its queue.
        queue: QueueId,
        /// The channel it was on.
        from: Channel,
    },
    /// A callback arrived scheduled ([`Command::ScheduleCallback`](crate::Command::ScheduleCallback)),
    /// right after its `InteractionArrived`: it enters its queue at `due`.
    #[serde(alias = "CallbackScheduled")]
    CallbackScheduled {
        /// The interaction.
        interaction: InteractionId,
        /// Its queue.
        queue: QueueId,
        /// When it enters the queue.
        due: Timestamp,
    },
    /// The host's dial of a callback failed ([`Command::CallbackFailed`](crate::Command::CallbackFailed)):
    /// the agent is free again, and the callback goes back to its place in
    /// line for another attempt or, after its queue's last, ends.
    #[serde(alias = "CallbackAttemptFailed")]
    CallbackAttemptFailed {
        /// The interaction.
        interaction: InteractionId,
        /// The agent who dialled.
        agent: AgentId,
        /// Which attempt failed, from 1.
        attempt: u32,
        /// Why.
        reason: crate::model::interaction::DialFailure,
    },
    /// A contact was resolved in self-service before any queue
    /// ([`Command::SelfServed`](crate::Command::SelfServed)).
    #[serde(alias = "SelfServed")]
    SelfServed(crate::model::interaction::SelfServedContact),
    /// The agent extended their wrap-up ([`Command::ExtendWrapUp`](crate::Command::ExtendWrapUp)).
    #[serde(alias = "WrapUpExtended")]
    WrapUpExtended {
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
        /// When it ends now.
        until: Timestamp,
    },
    /// After-contact work ended.
    #[serde(alias = "WrapUpEnded")]
    WrapUpEnded {
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
    },
    /// The agent recorded a wrap-up code (and notes) for an interaction.
    #[serde(alias = "Disposition")]
    Disposition {
        /// The interaction.
        interaction: InteractionId,
        /// The agent.
        agent: AgentId,
        /// The wrap-up code.
        code: String,
        /// The notes, if any.
        notes: Option<String>,
    },
    /// An interaction moved to another queue, keeping its place in line.
    #[serde(alias = "InteractionTransferred")]
    InteractionTransferred {
        /// The interaction.
        interaction: InteractionId,
        /// The queue it left.
        from: QueueId,
        /// The queue it entered.
        to: QueueId,
    },
    /// Every qualified agent has declined an interaction (rejected it or let
    /// its offer time out) and declined work is never re-offered to its
    /// decliners: nobody logged in can be offered it. Emitted right after the
    /// [`EventKind::OfferRejected`] or [`EventKind::OfferTimedOut`] that made
    /// it so, and before the events of the fallback (a re-queue, a transfer,
    /// or the end).
    #[serde(alias = "DeclinedByAll")]
    DeclinedByAll {
        /// The interaction.
        interaction: InteractionId,
        /// The queue it was declined in.
        queue: QueueId,
        /// How many qualified agents (logged-in members of the queue who work
        /// its channel and satisfy its requirements) declined it: all of them.
        decliners: u32,
        /// What the engine does about it: the queue's
        /// [`QueueConfig::all_declined`](crate::QueueConfig::all_declined), or
        /// [`AllDeclined::Wait`] when an overflow could not be made.
        fallback: AllDeclined,
    },
    /// Work on an interruptible channel paused because its agent holds
    /// real-time work (see
    /// [Interruptible work](crate::CapacityProfile#interruptible-work)).
    /// Emitted right after the [`EventKind::OfferAccepted`] of the real-time
    /// interaction (one per interrupted interaction, in id order), or of the
    /// interruptible one when it is accepted beside real-time work. The
    /// interaction stays connected.
    #[serde(alias = "WorkInterrupted")]
    WorkInterrupted {
        /// The interaction paused.
        interaction: InteractionId,
        /// Its agent.
        agent: AgentId,
        /// The real-time interaction that paused it.
        by: InteractionId,
    },
    /// Interrupted work resumed: its agent holds no real-time work any more
    /// (the last one was completed without wrap-up, or its wrap-up ended).
    /// Emitted right after the events that let the agent go of their last
    /// real-time interaction (its [`EventKind::InteractionEnded`], or its
    /// [`EventKind::InteractionTransferred`] and
    /// [`EventKind::InteractionQueued`]), one per interaction, in id order.
    /// Interrupted work that is
    /// completed or transferred while paused does not resume: its own event
    /// ends the interruption.
    #[serde(alias = "WorkResumed")]
    WorkResumed {
        /// The interaction resumed.
        interaction: InteractionId,
        /// Its agent.
        agent: AgentId,
    },
    /// An interaction ended; emitted exactly once per interaction.
    #[serde(alias = "InteractionEnded")]
    InteractionEnded {
        /// The interaction.
        interaction: InteractionId,
        /// Its last queue.
        queue: QueueId,
        /// Its channel.
        channel: Channel,
        /// How it ended.
        outcome: Outcome,
    },
}

impl EventKind {
    /// The interaction an event concerns, if any (configuration and agent
    /// presence events concern none). The match is exhaustive on purpose: a
    /// new event kind must decide here.
    ///
    /// # Example
    /// ```
    /// use switchboard::{EventKind, InteractionId, QueueId, QueueReason};
    ///
    /// let queued = EventKind::InteractionQueued { interaction: InteractionId(4), queue: QueueId(1), reason: QueueReason::Arrived };
    /// assert_eq!(queued.interaction(), Some(InteractionId(4)));
    /// assert_eq!(EventKind::QueueAdded { queue: QueueId(1) }.interaction(), None);
    /// ```
    pub fn interaction(&self) -> Option<InteractionId> {
        match self {
            EventKind::QueueAdded { .. }
            | EventKind::QueueOpened { .. }
            | EventKind::QueueUpdated { .. }
            | EventKind::QueueClosed { .. }
            | EventKind::AgentAdded { .. }
            | EventKind::AgentUpdated { .. }
            | EventKind::AgentRemoved { .. }
            | EventKind::AgentPresenceChanged { .. } => None,
            EventKind::InteractionArrived { interaction, .. }
            | EventKind::InteractionQueued { interaction, .. }
            | EventKind::InteractionOverdue { interaction, .. }
            | EventKind::StepChanged { interaction, .. }
            | EventKind::ExceptionRaised { interaction, .. }
            | EventKind::AdmissionRuleApplied { interaction, .. }
            | EventKind::WhenEmptyApplied { interaction, .. }
            | EventKind::OfferAccepted { interaction, .. }
            | EventKind::OfferRejected { interaction, .. }
            | EventKind::OfferTimedOut { interaction, .. }
            | EventKind::OfferWithdrawn { interaction, .. }
            | EventKind::InteractionCompleted { interaction, .. }
            | EventKind::WrapUpStarted { interaction, .. }
            | EventKind::WrapUpExtended { interaction, .. }
            | EventKind::ConvertedToCallback { interaction, .. }
            | EventKind::CallbackScheduled { interaction, .. }
            | EventKind::CallbackAttemptFailed { interaction, .. }
            | EventKind::WrapUpEnded { interaction, .. }
            | EventKind::Disposition { interaction, .. }
            | EventKind::InteractionTransferred { interaction, .. }
            | EventKind::DeclinedByAll { interaction, .. }
            | EventKind::WorkInterrupted { interaction, .. }
            | EventKind::WorkResumed { interaction, .. }
            | EventKind::InteractionEnded { interaction, .. } => Some(*interaction),
            EventKind::InteractionOffered(offer) => Some(offer.interaction),
            EventKind::SelfServed(contact) => Some(contact.id),
        }
    }
}
