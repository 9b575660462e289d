//! Commands: everything the host tells the engine. Plain data, serialisable,
//! so a journal of commands (with their times) replays the engine exactly.

use serde::{Deserialize, Serialize};

use crate::ids::{AgentId, CaseId, CustomerId, InteractionId, OfferId, QueueId, ReasonCode, SkillId};
use crate::model::agent::{AgentConfig, QueueMembership};
use crate::model::attributes::Attributes;
use crate::model::channel::Channel;
use crate::model::queue::QueueConfig;
use crate::model::skill::{Requirements, SkillSet};

/// A new interaction, as the host's channel delivers it.
///
/// # Example
/// ```
/// use switchboard::{Attributes, Channel, CustomerId, InteractionId, NewInteraction, QueueId};
///
/// let call = NewInteraction::new(InteractionId(1), Channel::Voice, QueueId(1), CustomerId(42))
///     .with_priority(5)
///     .with_attributes(Attributes::new().with("language", "fr"));
/// assert_eq!(call.priority, 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewInteraction {
    /// The interaction's id, chosen by the host; unique among live interactions.
    pub id: InteractionId,
    /// Its channel; the queue must accept it.
    pub channel: Channel,
    /// The queue it enters.
    pub queue: QueueId,
    /// The customer.
    pub customer: CustomerId,
    /// The case it belongs to, if any.
    pub case: Option<CaseId>,
    /// Requirements on top of the queue's.
    pub requirements: Requirements,
    /// Base priority, higher first.
    pub priority: i32,
    /// Host attributes carried into events.
    pub attributes: Attributes,
    /// Routing steps for this interaction, replacing its queue's
    /// ([`QueueConfig::steps`](crate::QueueConfig::steps)) in the queue it
    /// arrives in; `None` (the default) follows the queue's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<crate::model::step::RoutingStep>>,
    /// Agents it is offered to first, for a bounded wait (preferred or
    /// direct routing; see [`Preference`](crate::Preference)). `None` (the
    /// default): its queue's case-owner rule, if any, else none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<crate::model::preference::Preference>,
}

impl NewInteraction {
    /// An interaction with no case, no extra requirements, priority 0 and no attributes.
    pub fn new(id: InteractionId, channel: Channel, queue: QueueId, customer: CustomerId) -> Self {
        NewInteraction {
            id,
            channel,
            queue,
            customer,
            case: None,
            requirements: Requirements::none(),
            priority: 0,
            attributes: Attributes::new(),
            steps: None,
            preference: None,
        }
    }

    /// Sets the agents it is offered to first (see [`NewInteraction::preference`]).
    pub fn with_preference(mut self, preference: crate::model::preference::Preference) -> Self {
        self.preference = Some(preference);
        self
    }

    /// Sets routing steps of its own (see [`NewInteraction::steps`]).
    pub fn with_steps(mut self, steps: Vec<crate::model::step::RoutingStep>) -> Self {
        self.steps = Some(steps);
        self
    }

    /// Sets the case.
    pub fn with_case(mut self, case: CaseId) -> Self {
        self.case = Some(case);
        self
    }

    /// Sets extra requirements.
    pub fn with_requirements(mut self, requirements: Requirements) -> Self {
        self.requirements = requirements;
        self
    }

    /// Sets the base priority.
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Sets the attributes.
    pub fn with_attributes(mut self, attributes: Attributes) -> Self {
        self.attributes = attributes;
        self
    }
}

/// Everything a host can ask of the engine. Pass each to
/// [`Engine::handle`](crate::Engine::handle) with the current time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
// A queue's whole configuration rides inline: commands are built, handled once
// and dropped (or journaled as text), never kept by the thousand, and boxing it
// would make every host write `Box::new` for the rarest command.
#[allow(clippy::large_enum_variant)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// Registers a skill with a human name.
    #[serde(alias = "AddSkill")]
    AddSkill {
        /// The skill's id, chosen by the host.
        skill: SkillId,
        /// Its name, for reports.
        name: String,
    },
    /// Declares an agent attribute (team, site, language, tenure) and the
    /// kind of its values, so that agents may carry it and eligibility
    /// expressions may compare it ([`Expression`](crate::Expression)).
    #[serde(alias = "AddAgentAttribute")]
    AddAgentAttribute {
        /// Its name, as agents and expressions write it.
        name: String,
        /// The kind of its values.
        kind: crate::model::expression::AttributeKind,
    },
    /// Adds a business-hours calendar that queues may follow
    /// ([`QueueConfig::calendar`](crate::QueueConfig::calendar)).
    #[serde(alias = "AddCalendar")]
    AddCalendar {
        /// Its id, chosen by the host.
        calendar: crate::ids::CalendarId,
        /// Its opening hours, checked into a [`Calendar`](crate::Calendar).
        hours: crate::model::calendar::BusinessHours,
    },
    /// Replaces a calendar's hours (a holiday added, summer hours). Queues
    /// that follow it open or close at once if the new hours say so, with
    /// the same effects as at a scheduled opening or closing.
    #[serde(alias = "SetCalendar")]
    SetCalendar {
        /// The calendar.
        calendar: crate::ids::CalendarId,
        /// Its new hours.
        hours: crate::model::calendar::BusinessHours,
    },
    /// Creates a queue.
    #[serde(alias = "AddQueue")]
    AddQueue(QueueConfig),
    /// Replaces a queue's configuration while interactions wait in it (live
    /// reconfiguration). Everything queue-wide applies at once to what is
    /// live in the queue (requirements, eligibility rule, priority and aging,
    /// strategy, bounds, time to live, exception and admission rules,
    /// calendar), and what waits is re-filed in its lists keeping its place
    /// in line; nothing is lost, duplicated or re-offered twice. Routing
    /// steps follow `steps`. A channel cannot be removed; every check of
    /// [`Command::AddQueue`] applies, and the moves of all queues must stay
    /// free of loops.
    #[serde(alias = "UpdateQueue")]
    UpdateQueue {
        /// The new configuration; its id names the queue.
        queue: QueueConfig,
        /// What interactions already in the queue do with its routing steps.
        steps: WaitingSteps,
    },
    /// Adds an agent, logged out.
    #[serde(alias = "AddAgent")]
    AddAgent(AgentConfig),
    /// Replaces an agent's skills. Pending offers stay; future routing uses the new skills.
    #[serde(alias = "SetAgentSkills")]
    SetAgentSkills {
        /// The agent.
        agent: AgentId,
        /// The new skills.
        skills: SkillSet,
    },
    /// Replaces an agent's attributes (each declared with
    /// [`Command::AddAgentAttribute`], with a value of its kind). Pending
    /// offers stay; future routing uses the new attributes.
    #[serde(alias = "SetAgentAttributes")]
    SetAgentAttributes {
        /// The agent.
        agent: AgentId,
        /// The new attributes.
        attributes: crate::model::expression::AgentAttributes,
    },
    /// Replaces the queues an agent serves. Pending offers stay.
    #[serde(alias = "SetAgentQueues")]
    SetAgentQueues {
        /// The agent.
        agent: AgentId,
        /// The new memberships.
        queues: Vec<QueueMembership>,
    },
    /// Removes an agent who is logged out and holds no work.
    #[serde(alias = "RemoveAgent")]
    RemoveAgent {
        /// The agent.
        agent: AgentId,
    },
    /// Logs an agent in, ready for work.
    #[serde(alias = "Login")]
    Login {
        /// The agent.
        agent: AgentId,
    },
    /// Logs an agent out: pending offers are withdrawn (their interactions go
    /// back to their place in line), wrap-ups end at once, and connected
    /// interactions stay with the agent until completed.
    #[serde(alias = "Logout")]
    Logout {
        /// The agent.
        agent: AgentId,
    },
    /// Makes an agent not ready: pending offers are withdrawn (back to their
    /// place in line); connected work and wrap-ups continue. Pausing a paused
    /// agent changes the reason.
    #[serde(alias = "Pause")]
    Pause {
        /// The agent.
        agent: AgentId,
        /// Why (break, lunch, training, …).
        reason: ReasonCode,
    },
    /// Makes a paused agent ready again.
    #[serde(alias = "Resume")]
    Resume {
        /// The agent.
        agent: AgentId,
    },
    /// A new interaction arrives.
    #[serde(alias = "Arrive")]
    Arrive(NewInteraction),
    /// The agent accepts an offer; the interaction is connected.
    #[serde(alias = "Accept")]
    Accept {
        /// The agent.
        agent: AgentId,
        /// The offer.
        offer: OfferId,
    },
    /// The agent declines an offer; the interaction goes back to its place in line.
    #[serde(alias = "Reject")]
    Reject {
        /// The agent.
        agent: AgentId,
        /// The offer.
        offer: OfferId,
    },
    /// The conversation is over (either side hung up or closed); the
    /// agent's wrap-up starts if the queue has one.
    #[serde(alias = "Complete")]
    Complete {
        /// The agent.
        agent: AgentId,
        /// The interaction.
        interaction: InteractionId,
    },
    /// The agent finishes wrap-up before its timer.
    #[serde(alias = "EndWrapUp")]
    EndWrapUp {
        /// The agent.
        agent: AgentId,
        /// The interaction whose wrap-up ends.
        interaction: InteractionId,
    },
    /// The agent records the outcome of a connected or wrapping-up
    /// interaction: a wrap-up (disposition) code and optional notes, kept in
    /// the contact history. May be given more than once; the last one counts.
    #[serde(alias = "Disposition")]
    Disposition {
        /// The agent.
        agent: AgentId,
        /// The interaction.
        interaction: InteractionId,
        /// The host's wrap-up code (e.g. "resolved", "sale", "escalated").
        code: String,
        /// Free-text notes; may be personal data.
        notes: Option<String>,
    },
    /// The customer leaves while waiting or while the offer rings.
    #[serde(alias = "Abandon")]
    Abandon {
        /// The interaction.
        interaction: InteractionId,
    },
    /// The host withdraws a waiting or offered interaction (spam, duplicate, resolved elsewhere).
    #[serde(alias = "Cancel")]
    Cancel {
        /// The interaction.
        interaction: InteractionId,
    },
    /// Moves a waiting, offered or connected interaction to another queue,
    /// keeping its place in line. A connected interaction's agent is freed at once, without wrap-up.
    #[serde(alias = "Transfer")]
    Transfer {
        /// The interaction.
        interaction: InteractionId,
        /// The queue it moves to.
        queue: QueueId,
    },
    /// Converts a waiting (or ringing) real-time interaction into a queued
    /// callback that **keeps its place in line**: the customer hangs up, the
    /// interaction's channel becomes [`Channel::Callback`](crate::Channel::Callback)
    /// (deferrable work, blended into idle time) in the same queue, with the
    /// same place in line, requirements, steps and rules, and a ringing
    /// offer is withdrawn ([`WithdrawReason::ConvertedToCallback`](crate::WithdrawReason::ConvertedToCallback)).
    /// The queue must take `Callback`. The callback's offer is agent-first:
    /// the agent accepts, then the host dials. The statistics count the call
    /// as converted (neither answered nor abandoned, left out of every
    /// service-level formula) and the callback as a new contact of the
    /// callback channel from the conversion.
    #[serde(alias = "ConvertToCallback")]
    ConvertToCallback {
        /// The interaction.
        interaction: InteractionId,
    },
    /// A callback the customer asked for at a given time (a scheduled
    /// callback). It arrives now, as [`Command::Arrive`] checks and counts it
    /// (it must be on channel `Callback`, and its queue must take that
    /// channel and have room), but it is in no waiting list and offered to
    /// nobody: its state is [`InteractionState::Scheduled`](crate::InteractionState::Scheduled).
    /// At `due` it enters its queue ([`QueueReason::CallbackDue`](crate::QueueReason::CallbackDue)),
    /// its place in line and the clocks of its steps, preference, rules and
    /// time to live starting then, its priority raised by the queue's
    /// [`scheduled_callback_boost`](crate::QueueConfig::scheduled_callback_boost);
    /// the queue's admission rules apply then, as to an arrival. Before
    /// `due`, `Cancel` and `Abandon` end it (not while offered: never
    /// offered); `Transfer` is refused. The statistics count it as offered
    /// when it enters, and measure its wait and response from `due`.
    #[serde(alias = "ScheduleCallback")]
    ScheduleCallback {
        /// The callback (channel `Callback`).
        callback: NewInteraction,
        /// When it enters its queue: after now, and at most
        /// [`Timestamp::MAX_SPAN`](crate::Timestamp::MAX_SPAN) ahead.
        due: crate::time::Timestamp,
    },
    /// The host's dial of a callback its agent accepted failed (no answer,
    /// busy): the agent is free again at once, without wrap-up. Before the
    /// queue's last attempt ([`QueueConfig::callback_attempts`](crate::QueueConfig::callback_attempts))
    /// the callback goes back to its place in line, offered to nobody for the
    /// queue's [`callback_retry_after`](crate::QueueConfig::callback_retry_after),
    /// then to its queue's steps afresh; after the last it ends
    /// [`Outcome::CallbackFailed`](crate::Outcome::CallbackFailed). An agent
    /// rejecting or missing the offer is not a failed attempt.
    #[serde(alias = "CallbackFailed")]
    CallbackFailed {
        /// The agent who dialled.
        agent: AgentId,
        /// The callback.
        interaction: InteractionId,
        /// Why the dial failed.
        reason: crate::model::interaction::DialFailure,
    },
    /// Records a contact resolved in self-service before any queue (an IVR
    /// menu, a FAQ, a bot): the engine counts it
    /// ([`Totals::self_served`](crate::Totals::self_served)) and emits
    /// [`EventKind::SelfServed`](crate::EventKind::SelfServed), from which the
    /// statistics make its record, contact-history entry, cost and the
    /// channel's deflection rate. It never enters a queue.
    #[serde(alias = "SelfServed")]
    SelfServed(crate::model::interaction::SelfServedContact),
    /// The agent extends their wrap-up of an interaction, once, by its
    /// queue's [`wrap_up_extension`](crate::QueueConfig::wrap_up_extension).
    #[serde(alias = "ExtendWrapUp")]
    ExtendWrapUp {
        /// The agent.
        agent: AgentId,
        /// The interaction in wrap-up.
        interaction: InteractionId,
    },
    /// Names the owner of a case (or, with `None`, clears it): the agent
    /// its next interactions prefer in queues with a
    /// [`case_owner_wait`](crate::QueueConfig::case_owner_wait). Accepting
    /// an interaction of a case makes the accepting agent its owner, so the
    /// latest of the two wins. The agent must exist.
    #[serde(alias = "SetCaseOwner")]
    SetCaseOwner {
        /// The case.
        case: CaseId,
        /// Its owner, or `None` for none.
        agent: Option<AgentId>,
    },
}

/// What [`Command::UpdateQueue`] does to the routing steps of interactions
/// already in the queue (those that arrived with steps of their own keep
/// them either way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum WaitingSteps {
    /// They keep the steps they entered with, frozen (Asterisk's queue
    /// rules): the new steps apply to interactions that enter later.
    #[default]
    #[serde(alias = "Keep")]
    Keep,
    /// They start the new steps from the first, counted from now, keeping
    /// their place in line. Their time to live and exception rules count
    /// from now too (a fresh visit of the queue's rules).
    #[serde(alias = "Restart")]
    Restart,
}
