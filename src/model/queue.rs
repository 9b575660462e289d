//! Queues: where interactions wait, and the rules that pick their agent.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::channel::Channel;
use super::skill::Requirements;
use crate::ids::QueueId;
use crate::sla::ServiceLevelTarget;

/// What happens to an interaction once every qualified agent has declined it
/// (rejected it or let its offer time out), when the engine never re-offers
/// work to its decliners
/// ([`EngineConfigBuilder::never_reoffer_to_decliners`](crate::EngineConfigBuilder::never_reoffer_to_decliners)).
///
/// "Every qualified agent" means every member of the queue who is logged in,
/// works the interaction's channel and satisfies its requirements; at least
/// one of them must have declined. The engine checks it each time an offer is
/// rejected or times out, and then emits
/// [`EventKind::DeclinedByAll`](crate::EventKind::DeclinedByAll) before doing
/// what this says. An agent who logs in later and qualifies can still be
/// offered the interaction while it waits.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{AllDeclined, Channel, QueueConfig, QueueId};
///
/// let q = QueueConfig::new(QueueId(1), "sales", [Channel::Voice])
///     .with_all_declined(AllDeclined::ForgetAfter(Duration::from_secs(120)));
/// assert_eq!(q.all_declined, AllDeclined::ForgetAfter(Duration::from_secs(120)));
/// assert_eq!(AllDeclined::default(), AllDeclined::Wait);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum AllDeclined {
    /// Keep waiting in the queue (for an agent who logs in later, or a
    /// reconfiguration); only the event says so.
    #[default]
    #[serde(alias = "Wait")]
    Wait,
    /// Keep waiting, and forget who declined after this span: then it is
    /// routed again to anyone, decliners included. A span of at least 1 ms.
    #[serde(alias = "ForgetAfter")]
    ForgetAfter(Duration),
    /// Transfer it to this queue, keeping its place in line and forgetting
    /// who declined. The queue must exist and take every channel of this
    /// one. If the transfer cannot be made then (the target is full, or the
    /// interaction's requirements there pass a limit), it keeps waiting, and
    /// the event says [`AllDeclined::Wait`].
    #[serde(alias = "Overflow")]
    Overflow(QueueId),
    /// End it with [`Outcome::Declined`](crate::Outcome::Declined).
    #[serde(alias = "End")]
    End,
}

/// Which agent gets an interaction when several available agents qualify.
///
/// Every strategy ends its ordering with the agent id (lowest first), so
/// ties are broken the same way every time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum AgentSelection {
    /// Agents holding no work first, then the one idle longest (since their
    /// last piece of work ended or they became ready).
    #[default]
    #[serde(alias = "LongestIdle")]
    LongestIdle,
    /// The highest sum of levels over the interaction's required skills; ties by longest idle.
    #[serde(alias = "MostProficient")]
    MostProficient,
    /// The lowest share of capacity units in use; ties by longest idle.
    #[serde(alias = "LeastOccupied")]
    LeastOccupied,
    /// The agent offered work from this queue longest ago (never first); ties by agent id.
    #[serde(alias = "RoundRobin")]
    RoundRobin,
    /// The fewest interactions accepted since login; ties by longest idle.
    #[serde(alias = "FewestContacts")]
    FewestContacts,
    /// The least talk time since login (FreeSWITCH's
    /// `agent-with-least-talk-time`): the time the agent held at least one
    /// connected interaction, counted when their last conversation ends
    /// (so a conversation still going does not count yet); ties by longest idle.
    #[serde(alias = "LeastTalkTime")]
    LeastTalkTime,
    /// A fixed order (Asterisk's `linear`, FreeSWITCH's `top-down`): the
    /// lowest [`QueueMembership::position`](crate::QueueMembership::position)
    /// first, then the lowest agent id, whether or not they are idle.
    #[serde(alias = "Linear")]
    Linear,
    /// The most spare capacity units (Salesforce Omni-Channel's most
    /// available): total units less those in use, so a bigger desk with more
    /// room wins even when a smaller one is emptier in share (that is
    /// [`AgentSelection::LeastOccupied`]); ties by longest idle.
    #[serde(alias = "MostAvailable")]
    MostAvailable,
    /// A seeded random rotation (Asterisk's `random`, as a fair lottery):
    /// each agent holds a *pass* per queue, and the lowest pass wins (then
    /// the lowest agent id). An offer from the queue moves the agent's pass
    /// to the queue's *clock* (the highest pass it has offered at, so an
    /// agent back from a long absence wins once, not a run) plus a random
    /// stride drawn from the engine's
    /// [`routing_seed`](crate::EngineConfigBuilder::routing_seed), the queue,
    /// the agent and the offer. So the order is random, every agent takes a
    /// fair share over time, and a replay makes the same draws. An agent
    /// never offered from the queue has pass 0 and comes first.
    #[serde(alias = "Random")]
    Random,
    /// [`AgentSelection::Random`] with strides divided by the membership's
    /// [`weight`](crate::QueueMembership::weight) (Asterisk's `wrandom`): over
    /// time an agent's share of offers is in proportion to their weight.
    #[serde(alias = "WeightedRandom")]
    WeightedRandom,
}

/// Linear aging: an interaction's effective priority grows with its wait,
/// so low-priority work cannot starve.
///
/// Effective priority = base priority + `points_per_minute` × minutes in
/// queue. Because the growth is linear and the same for every interaction of
/// a queue, a waiting list sorted once stays sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Aging {
    /// Priority points gained per minute of waiting; 0 turns aging off.
    pub points_per_minute: u32,
}

/// A queue's configuration.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{AgentSelection, Channel, QueueConfig, QueueId};
///
/// let q = QueueConfig::new(QueueId(1), "support", [Channel::Voice, Channel::Chat])
///     .with_strategy(AgentSelection::MostProficient)
///     .with_wrap_up(Duration::from_secs(30));
/// assert_eq!(q.channels.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueConfig {
    /// The queue's id, chosen by the host.
    pub id: QueueId,
    /// A human name for reports.
    pub name: String,
    /// Channels the queue accepts.
    pub channels: Vec<Channel>,
    /// Requirements every interaction of the queue has, on top of its own.
    pub requirements: Requirements,
    /// The service-level promise.
    pub service_level: ServiceLevelTarget,
    /// The queue's priority for agents whose membership does not set one (higher first).
    pub priority: i32,
    /// How an agent is chosen among several qualified ones.
    pub strategy: AgentSelection,
    /// After-contact work after each interaction: its limit (zero for none,
    /// unless untimed). How it ends is [`QueueConfig::wrap_up_mode`].
    #[serde(with = "crate::serde_forms::millis")]
    pub wrap_up: Duration,
    /// How wrap-up ends ([`WrapUpMode`](crate::WrapUpMode)): optional (the
    /// default: the agent may end it any time), time-boxed, forced or untimed.
    #[serde(default)]
    pub wrap_up_mode: crate::model::wrap_up::WrapUpMode,
    /// How much longer an agent may ask for, once, in a timed wrap-up
    /// ([`Command::ExtendWrapUp`](crate::Command::ExtendWrapUp)); `None` (the default): no extension.
    #[serde(default)]
    #[serde(with = "crate::serde_forms::option_millis")]
    pub wrap_up_extension: Option<Duration>,
    /// The disposition code recorded when a time-boxed or forced wrap-up
    /// ends without one ([`WrapUpMode`](crate::WrapUpMode)); `None`: none.
    #[serde(default)]
    pub default_disposition: Option<String>,
    /// Priority growth with waiting time.
    pub aging: Aging,
    /// Most interactions waiting in this queue; an arrival beyond it is refused.
    /// `None` uses the engine-wide limit.
    pub max_waiting: Option<u32>,
    /// How long an agent has to accept an offer from this queue; `None` uses the engine default.
    #[serde(default, with = "crate::serde_forms::option_millis")]
    pub offer_timeout: Option<Duration>,
    /// The longest an interaction of this queue should wait: once it has
    /// waited this long (counted from its place in line) it is *overdue*
    /// and ranks ahead of queue priority and of blending for every agent who
    /// can take it, earliest deadline first. `None` (the default): no bound.
    /// See [`Engine`](crate::Engine)'s routing rule for the whole order.
    #[serde(default)]
    #[serde(with = "crate::serde_forms::option_millis")]
    pub max_wait: Option<Duration>,
    /// An eligibility rule every agent must meet to take this queue's
    /// interactions, on top of its requirements (see [`Expression`](crate::Expression)).
    /// `None` (the default): the requirements alone.
    #[serde(default)]
    pub eligibility: Option<crate::model::expression::Expression>,
    /// Routing steps (see [`RoutingStep`](crate::RoutingStep)): requirements
    /// and priority that change while an interaction waits, keeping its
    /// place in line. Empty (the default): the queue's requirements throughout.
    #[serde(default)]
    pub steps: Vec<crate::model::step::RoutingStep>,
    /// How long an interaction may stay in this queue unanswered (waiting or
    /// ringing), counted from when it entered the queue: then it ends with
    /// [`Outcome::Expired`](crate::Outcome::Expired) (TaskRouter's task
    /// timeout). `None` (the default): no limit.
    #[serde(default)]
    #[serde(with = "crate::serde_forms::option_millis")]
    pub time_to_live: Option<Duration>,
    /// Exception rules ([`ExceptionRule`](crate::ExceptionRule)): alerts and
    /// moves after a time unanswered. None by default.
    #[serde(default)]
    pub exception_rules: Vec<crate::model::step::ExceptionRule>,
    /// The business-hours calendar the queue follows (added first with
    /// [`Command::AddCalendar`](crate::Command::AddCalendar)); `None` (the
    /// default): always open. While closed, nothing in the queue is offered.
    #[serde(default)]
    pub calendar: Option<crate::ids::CalendarId>,
    /// What happens to real-time work (calls, chats, video) that arrives
    /// while the queue is closed, or waits in it when it closes. Deferrable
    /// work (e-mail, callbacks) always waits for the opening.
    #[serde(default)]
    pub when_closed: WhenClosed,
    /// Admission rules ([`AdmissionRule`](crate::AdmissionRule)), checked
    /// when an interaction arrives: queue length, estimated wait, nobody to
    /// take it. None by default.
    #[serde(default)]
    pub admission_rules: Vec<crate::model::step::AdmissionRule>,
    /// What happens to waiting interactions once the queue has no member in
    /// a given state ([`WhenEmpty`](crate::WhenEmpty), Asterisk's
    /// `leavewhenempty`). `None` (the default): they wait.
    #[serde(default)]
    pub when_empty: Option<crate::model::step::WhenEmpty>,
    /// What happens once every qualified agent has declined an interaction
    /// (only when declined work is never re-offered to its decliners).
    #[serde(default)]
    pub all_declined: AllDeclined,
    /// Case-owner routing: an interaction of a case
    /// ([`NewInteraction::case`](crate::NewInteraction::case)) whose case has
    /// an owner is offered only to the owner for up to this long, then to
    /// the queue, keeping its place (a [`Preference`](crate::Preference) of
    /// kind [`PreferenceKind::CaseOwner`](crate::PreferenceKind::CaseOwner)).
    /// The owner is the agent who last accepted an interaction of the case,
    /// or who the host named since with
    /// [`Command::SetCaseOwner`](crate::Command::SetCaseOwner). An
    /// interaction's own preference wins over its case's. `None` (the
    /// default): cases do not steer routing.
    #[serde(default)]
    #[serde(with = "crate::serde_forms::option_millis")]
    pub case_owner_wait: Option<Duration>,
    /// Dials a callback of this queue gets before it ends
    /// [`Outcome::CallbackFailed`](crate::Outcome::CallbackFailed): each failed
    /// dial ([`Command::CallbackFailed`](crate::Command::CallbackFailed))
    /// before the last sends it back to its place in line, offered to nobody
    /// for [`callback_retry_after`](QueueConfig::callback_retry_after). 3 by default; at least 1.
    #[serde(default = "three")]
    pub callback_attempts: u32,
    /// How long after a failed dial the callback may be offered again. 5 minutes by default.
    #[serde(default = "five_minutes")]
    #[serde(with = "crate::serde_forms::millis")]
    pub callback_retry_after: Duration,
    /// Priority points a scheduled callback
    /// ([`Command::ScheduleCallback`](crate::Command::ScheduleCallback)) gains
    /// when it enters the queue at its due time, so that a customer promised
    /// a call at 14:00 is called before work that merely waits. 0 by default.
    #[serde(default)]
    pub scheduled_callback_boost: i32,
    /// Parallel offers (ring-all, a ring group): each interaction of this
    /// queue is offered to up to this many agents at once, the best by the
    /// queue's strategy (Asterisk `ringall`, TaskRouter `MaxReservedWorkers`).
    /// Capacity is reserved on each. The **first accept wins**: in the same
    /// step the others are withdrawn with
    /// [`WithdrawReason::Rescinded`](crate::WithdrawReason::Rescinded), and an
    /// accept of a withdrawn offer fails with
    /// [`CommandError::OfferNotPending`](crate::CommandError::OfferNotPending),
    /// so an interaction is never connected twice. A reject or timeout by one
    /// agent leaves the others ringing; when the last one declines, the
    /// interaction goes back to its place in line (or to the queue's
    /// [`AllDeclined`] rule) and rings a fresh group.
    ///
    /// The group is chosen when the interaction is routed, by the trigger that
    /// routed it (an arrival, or an agent freeing up: then that agent and up
    /// to `parallel_offers - 1` others with room); an agent who frees up while
    /// it rings does not join the group. 1 (the default) offers to one agent
    /// at a time; 1 to [`QueueConfig::MAX_PARALLEL_OFFERS`].
    #[serde(default = "one")]
    pub parallel_offers: u32,
}

fn one() -> u32 {
    1
}

fn three() -> u32 {
    3
}

fn five_minutes() -> Duration {
    Duration::from_secs(300)
}

impl QueueConfig {
    /// The most agents one interaction may ring at once ([`QueueConfig::parallel_offers`]).
    pub const MAX_PARALLEL_OFFERS: u32 = 64;

    /// A queue with the given channels, no extra requirements, 80/20
    /// service level, priority 0, longest-idle selection, no wrap-up, and
    /// [`AllDeclined::Wait`].
    pub fn new(id: QueueId, name: impl Into<String>, channels: impl IntoIterator<Item = Channel>) -> Self {
        QueueConfig {
            id,
            name: name.into(),
            channels: channels.into_iter().collect(),
            requirements: Requirements::none(),
            service_level: ServiceLevelTarget::default(),
            priority: 0,
            strategy: AgentSelection::default(),
            wrap_up: Duration::ZERO,
            aging: Aging::default(),
            max_waiting: None,
            offer_timeout: None,
            max_wait: None,
            eligibility: None,
            calendar: None,
            when_closed: WhenClosed::Wait,
            steps: Vec::new(),
            time_to_live: None,
            exception_rules: Vec::new(),
            admission_rules: Vec::new(),
            when_empty: None,
            case_owner_wait: None,
            callback_attempts: 3,
            callback_retry_after: Duration::from_secs(300),
            scheduled_callback_boost: 0,
            parallel_offers: 1,
            wrap_up_mode: crate::model::wrap_up::WrapUpMode::Optional,
            wrap_up_extension: None,
            default_disposition: None,
            all_declined: AllDeclined::Wait,
        }
    }

    /// Follows a business-hours calendar, with a rule for real-time work while closed.
    pub fn with_calendar(mut self, calendar: crate::ids::CalendarId, when_closed: WhenClosed) -> Self {
        self.calendar = Some(calendar);
        self.when_closed = when_closed;
        self
    }

    /// Sets the eligibility rule (see [`Expression`](crate::Expression)).
    pub fn with_eligibility(mut self, rule: crate::model::expression::Expression) -> Self {
        self.eligibility = Some(rule);
        self
    }

    /// Sets the requirements.
    pub fn with_requirements(mut self, requirements: Requirements) -> Self {
        self.requirements = requirements;
        self
    }

    /// Sets the service-level target.
    pub fn with_service_level(mut self, target: ServiceLevelTarget) -> Self {
        self.service_level = target;
        self
    }

    /// Sets the queue priority.
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Sets the agent-selection strategy.
    pub fn with_strategy(mut self, strategy: AgentSelection) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets the wrap-up time.
    pub fn with_wrap_up(mut self, wrap_up: Duration) -> Self {
        self.wrap_up = wrap_up;
        self
    }

    /// Sets linear aging, in priority points per minute.
    pub fn with_aging(mut self, points_per_minute: u32) -> Self {
        self.aging = Aging { points_per_minute };
        self
    }

    /// Sets how wrap-up ends, the extension an agent may ask for once, and
    /// the code recorded when a time-boxed or forced wrap-up ends without one.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use switchboard::{Channel, QueueConfig, QueueId, WrapUpMode};
    ///
    /// // 60 s of wrap-up the agent cuts short only with a code; 30 s more on request; "no code" otherwise.
    /// let q = QueueConfig::new(QueueId(1), "sales", [Channel::Voice])
    ///     .with_wrap_up(Duration::from_secs(60))
    ///     .with_wrap_up_mode(WrapUpMode::TimeBoxed, Some(Duration::from_secs(30)), Some("no code".into()));
    /// assert_eq!(q.wrap_up_mode, WrapUpMode::TimeBoxed);
    /// ```
    pub fn with_wrap_up_mode(
        mut self,
        mode: crate::model::wrap_up::WrapUpMode,
        extension: Option<Duration>,
        default_disposition: Option<String>,
    ) -> Self {
        self.wrap_up_mode = mode;
        self.wrap_up_extension = extension;
        self.default_disposition = default_disposition;
        self
    }

    /// Sets how many dials a callback gets and how long after a failed one it
    /// may be offered again (see [`QueueConfig::callback_attempts`]).
    pub fn with_callback_attempts(mut self, attempts: u32, retry_after: Duration) -> Self {
        self.callback_attempts = attempts;
        self.callback_retry_after = retry_after;
        self
    }

    /// Raises scheduled callbacks' priority by `points` when they enter the
    /// queue (see [`QueueConfig::scheduled_callback_boost`]).
    pub fn with_scheduled_callback_boost(mut self, points: i32) -> Self {
        self.scheduled_callback_boost = points;
        self
    }

    /// Offers each interaction to up to `agents` agents at once, first accept
    /// wins (see [`QueueConfig::parallel_offers`]).
    pub fn with_parallel_offers(mut self, agents: u32) -> Self {
        self.parallel_offers = agents;
        self
    }

    /// Prefers the owner of an interaction's case for up to `wait` (see
    /// [`QueueConfig::case_owner_wait`]).
    pub fn with_case_owner_wait(mut self, wait: Duration) -> Self {
        self.case_owner_wait = Some(wait);
        self
    }

    /// Sets the queue's own waiting limit.
    pub fn with_max_waiting(mut self, max_waiting: u32) -> Self {
        self.max_waiting = Some(max_waiting);
        self
    }

    /// Sets the queue's own offer timeout.
    pub fn with_offer_timeout(mut self, timeout: Duration) -> Self {
        self.offer_timeout = Some(timeout);
        self
    }

    /// Bounds the wait of this queue's interactions (see [`QueueConfig::max_wait`]).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use switchboard::{Channel, QueueConfig, QueueId};
    ///
    /// // E-mail may wait, but never more than four hours before it jumps the line.
    /// let email = QueueConfig::new(QueueId(4), "e-mail", [Channel::Email]).with_max_wait(Duration::from_secs(4 * 3600));
    /// assert_eq!(email.max_wait, Some(Duration::from_secs(14_400)));
    /// ```
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = Some(max_wait);
        self
    }

    /// Sets the routing steps (see [`RoutingStep`](crate::RoutingStep)).
    pub fn with_steps(mut self, steps: Vec<crate::model::step::RoutingStep>) -> Self {
        self.steps = steps;
        self
    }

    /// Sets the rule for waiting interactions once the queue is empty (see [`WhenEmpty`](crate::WhenEmpty)).
    pub fn with_when_empty(mut self, rule: crate::model::step::WhenEmpty) -> Self {
        self.when_empty = Some(rule);
        self
    }

    /// Sets the admission rules (see [`AdmissionRule`](crate::AdmissionRule)).
    pub fn with_admission_rules(mut self, rules: Vec<crate::model::step::AdmissionRule>) -> Self {
        self.admission_rules = rules;
        self
    }

    /// Sets the exception rules (see [`ExceptionRule`](crate::ExceptionRule)).
    pub fn with_exception_rules(mut self, rules: Vec<crate::model::step::ExceptionRule>) -> Self {
        self.exception_rules = rules;
        self
    }

    /// Sets the time to live (see [`QueueConfig::time_to_live`]).
    pub fn with_time_to_live(mut self, ttl: Duration) -> Self {
        self.time_to_live = Some(ttl);
        self
    }

    /// The bound of [`QueueConfig::max_wait`] in milliseconds, if any.
    pub(crate) fn max_wait_ms(&self) -> Option<i64> {
        self.max_wait.map(crate::time::duration_millis)
    }

    /// Sets what happens once every qualified agent has declined an interaction.
    pub fn with_all_declined(mut self, all_declined: AllDeclined) -> Self {
        self.all_declined = all_declined;
        self
    }
}

/// What happens to real-time work in a queue that is closed
/// ([`QueueConfig::when_closed`]): work arriving while it is closed, and
/// work waiting in it at closing time. Ringing offers and connected work
/// are left alone; deferrable work always waits for the opening.
///
/// # Example
/// ```
/// use switchboard::{CalendarId, Channel, QueueConfig, QueueId, WhenClosed};
///
/// // Calls after hours go to the answering service's queue, keeping their place.
/// let sales = QueueConfig::new(QueueId(1), "sales", [Channel::Voice, Channel::Email])
///     .with_calendar(CalendarId(1), WhenClosed::Move(QueueId(9)));
/// assert_eq!(sales.when_closed, WhenClosed::Move(QueueId(9)));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum WhenClosed {
    /// It waits (or is queued) for the opening; nothing is offered meanwhile (the default).
    #[default]
    #[serde(alias = "Wait")]
    Wait,
    /// It ends with [`Outcome::Closed`](crate::Outcome::Closed): the host
    /// plays the closed message, takes a voicemail or offers a callback.
    #[serde(alias = "End")]
    End,
    /// It moves to another queue (an after-hours or partner queue), keeping
    /// its place in line; if that queue cannot take it now (full), it waits.
    /// The target must exist when the queue is added and take all its channels.
    #[serde(alias = "Move")]
    Move(crate::ids::QueueId),
}
