//! The engine: a deterministic state machine of commands and time in, events out.

mod cases;
mod declines;
mod eligibility;
mod exceptions;
mod findings;
mod hours;
mod interrupt;
mod invariants;
mod lifecycle;
#[cfg(feature = "tracing")]
mod observe;
mod parallel;
mod reconfigure;
mod routing;
mod snapshot;
mod steps;
mod timers;
mod waiting;
mod wrap_up;

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::config::EngineConfig;
use crate::dense::DenseMap;
use crate::error::CommandError;
use crate::event::{Event, EventKind};
use crate::ids::{AgentId, IdMap, InteractionId, OfferId, QueueId, SkillId};
use crate::model::agent::Agent;
use crate::model::channel::Channel;
use crate::model::interaction::Interaction;
use crate::model::queue::QueueConfig;
use crate::router::Router;
use crate::time::Timestamp;

pub use cases::CaseView;
pub use findings::ConfigurationFinding;
pub use invariants::InvariantViolation;
#[cfg(feature = "compact")]
pub use snapshot::CompactSnapshotError;
pub use snapshot::{EngineSnapshot, MAX_SNAPSHOT_COUNTER, RestoreError};
use timers::TimerTable;
pub use timers::{Timer, TimerKind};
pub use waiting::WaitingExplanation;

/// A pending offer: an interaction offered to an agent, capacity reserved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PendingOffer {
    /// The offer's id.
    pub id: OfferId,
    /// The interaction.
    pub interaction: InteractionId,
    /// The agent.
    pub agent: AgentId,
    /// The queue it was routed from.
    pub queue: QueueId,
    /// The channel.
    pub channel: Channel,
    /// When it was made.
    pub offered_at: Timestamp,
    /// When it times out.
    pub expires_at: Timestamp,
}

/// Running totals of interactions, so that none is lost: `arrived` equals
/// the live interactions plus every terminal outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Totals {
    /// Interactions that arrived.
    pub arrived: u64,
    /// Ended handled by an agent.
    pub handled: u64,
    /// Ended abandoned by the customer.
    pub abandoned: u64,
    /// Ended cancelled by the host.
    pub cancelled: u64,
    /// Ended because every qualified agent declined ([`Outcome::Declined`](crate::Outcome::Declined)).
    #[serde(default)]
    pub declined: u64,
    /// Ended unanswered at their queue's time to live ([`Outcome::Expired`](crate::Outcome::Expired)).
    #[serde(default)]
    pub expired: u64,
    /// Ended because their queue was closed ([`Outcome::Closed`](crate::Outcome::Closed)).
    #[serde(default)]
    pub closed: u64,
    /// Ended by a queue's rule ([`Outcome::Diverted`](crate::Outcome::Diverted)).
    #[serde(default)]
    pub diverted: u64,
    /// Callbacks ended after their last failed dial ([`Outcome::CallbackFailed`](crate::Outcome::CallbackFailed)).
    #[serde(default)]
    pub callbacks_failed: u64,
    /// Contacts resolved in self-service before any queue
    /// ([`Command::SelfServed`](crate::Command::SelfServed)). Not in
    /// `arrived`: the engine never held them.
    #[serde(default)]
    pub self_served: u64,
}

impl Totals {
    /// Interactions that have ended, in any terminal state (saturating:
    /// restore refuses totals that do not add up, so it never saturates in an engine).
    pub fn ended(&self) -> u64 {
        self.handled
            .saturating_add(self.abandoned)
            .saturating_add(self.cancelled)
            .saturating_add(self.declined)
            .saturating_add(self.expired)
            .saturating_add(self.closed)
            .saturating_add(self.diverted)
            .saturating_add(self.callbacks_failed)
    }
}

/// Routing work waiting to be done after a state change, in FIFO order,
/// except that agents released while routing goes through it (from blending
/// or headroom) and the interactions of a [`Work::Queue`] item are put at
/// the front, so that they are routed where their cause stood, and that the
/// interactions woken by the timers of one instant are put in their queues'
/// serving order (`Engine::order_woken`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// Find an agent for a waiting interaction.
    Interaction(InteractionId),
    /// Find work for an agent with room.
    Agent(AgentId),
    /// Route every waiting interaction of a queue again, in the queue's
    /// serving order as it stands when routing reaches this item: after the
    /// timers that settle the instant (opening hours, time to live, bounds,
    /// step ends; a bound reached at an opening ranks the call overdue
    /// before the opening's calls are ordered).
    Queue(QueueId),
    /// Real-time work left a waiting list outside routing (in a command or a
    /// timer) while agents were held back from deferrable work (blending):
    /// they look again. (While routing goes on, they are put at the front at
    /// once instead.)
    Unblock,
}

/// The routing and queueing engine.
///
/// A pure state machine in the style of `quinn-proto`: it performs no I/O,
/// reads no clock, starts no thread and draws no random number. The host
/// passes in commands and the current time, and drains events and the next
/// deadline. The same commands at the same times always give the same events,
/// byte for byte.
///
/// # The run-loop rule
///
/// **After every `handle`, drain `poll_event` until `None`, then read
/// `poll_timeout` and call `handle_timeout` at that time (or earlier, if
/// another command arrives first).**
///
/// # Methods, in four groups
///
/// * **Inputs** (`&mut self`, time passed in): [`Engine::handle`],
///   [`Engine::handle_timeout`].
/// * **Outputs**: [`Engine::poll_event`] drains events in the order they
///   happened; [`Engine::poll_timeout`] is the next deadline.
/// * **Views** (`&self`, read-only): [`Engine::agent`], [`Engine::interaction`],
///   [`Engine::queue`], [`Engine::waiting`], [`Engine::offer`],
///   [`Engine::draining_for`], [`Engine::totals`], [`Engine::why_waiting`],
///   [`Engine::check_invariants`], and their plural forms.
/// * **Persistence**: [`Engine::snapshot`] and [`Engine::restore`].
///
/// # Time and timers
///
/// Time never runs backwards: an earlier `now` than one seen before is
/// refused with [`CommandError::TimeWentBackwards`]. Timers (offer timeouts,
/// wrap-up ends, queue delays, forgetting declines) fire at their own due time: `handle(cmd, now)`
/// first fires every timer due at or before `now`, in (due time, timer kind,
/// sequence) order and stamped with the due time, and only then applies the
/// command. So the state depends on the commands and their times alone, and a
/// journal of commands is enough to replay it.
///
/// Times run from [`Timestamp::EPOCH`] to [`Timestamp::MAX`] (the end of
/// year 9999), and configured spans from 1 ms to [`Timestamp::MAX_SPAN`]
/// (or zero where zero means "none"); anything else is refused with
/// [`CommandError::TimeOutOfRange`] or [`CommandError::InvalidSpan`]. So every
/// deadline lies strictly after the time that set it, and no timer can fire
/// at the instant it was armed.
///
/// # The work of one call is bounded
///
/// However far time jumps, one `handle` or `handle_timeout` fires at most:
/// one wrap-up end per interaction in wrap-up; one queue-delay wake per
/// waiting interaction and distinct member delay of its queue; and
/// [`Limits::max_missed_offers_in_a_row`](crate::Limits::max_missed_offers_in_a_row)
/// offer timeouts per logged-in agent, because an agent who lets that many
/// offers in a row time out is paused with [`EngineConfig::MISSED_OFFER`]
/// even when [`EngineConfig::missed_offer_pause`] is `None`. Each timer
/// causes routing work bounded by the agents and waiting lists it touches.
/// Without that pause, a desk that never answers would ring and time out
/// again and again, and a call after a long silence would replay every cycle.
///
/// # Errors change nothing
///
/// A command that fails returns a [`CommandError`] and leaves the engine as
/// [`Engine::handle_timeout`] at the same `now` would have: the timers due by
/// then belong to time, not to the command, and still fire; the command
/// itself changes nothing.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::*;
///
/// let mut engine = Engine::new(EngineConfig::default());
/// let t0 = Timestamp::from_secs(1_700_000_000);
/// engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Voice])), t0)?;
/// let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1))
///     .with_queue(QueueMembership::new(QueueId(1)));
/// engine.handle(Command::AddAgent(agent), t0)?;
/// engine.handle(Command::Login { agent: AgentId(1) }, t0)?;
/// engine.handle(Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Voice, QueueId(1), CustomerId(7))), t0)?;
///
/// let mut offer = None;
/// while let Some(event) = engine.poll_event() {
///     if let EventKind::InteractionOffered(o) = event.kind {
///         offer = Some(o.id);
///     }
/// }
/// assert_eq!(engine.poll_timeout(), Some(t0 + Duration::from_secs(15)), "the offer's timeout");
/// engine.handle(Command::Accept { agent: AgentId(1), offer: offer.unwrap() }, t0 + Duration::from_secs(3))?;
/// assert_eq!(engine.agent(AgentId(1)).unwrap().presence(), Presence::Busy);
/// # Ok::<(), CommandError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Engine {
    config: EngineConfig,
    now: Option<Timestamp>,
    skills: BTreeMap<SkillId, String>,
    /// Agent attributes declared, with their kinds.
    agent_attributes: BTreeMap<String, crate::model::expression::AttributeKind>,
    /// Each queue's estimated wait (ms): a running average of its answered
    /// interactions' waits (see [`AdmissionTrigger::EstimatedWait`](crate::AdmissionTrigger::EstimatedWait)).
    hold_times: BTreeMap<QueueId, i64>,
    /// Business-hours calendars queues may follow.
    calendars: BTreeMap<crate::ids::CalendarId, crate::model::calendar::Calendar>,
    queues: BTreeMap<QueueId, QueueConfig>,
    agents: DenseMap<AgentId, Agent>,
    /// The agents' capacity profiles, each held once however many agents
    /// hold it. Not in the snapshot: restore rebuilds it from the agents.
    profiles: crate::model::capacity::SharedProfiles,
    /// Hash maps, not ordered maps: interactions and offers come and go on
    /// every call, and B-tree inserts shift large values. Views and snapshots sort.
    interactions: DenseMap<InteractionId, Interaction>,
    offers: IdMap<OfferId, PendingOffer>,
    timers: TimerTable,
    next_offer: u64,
    next_seq: u64,
    totals: Totals,
    router: Router,
    /// Case owners, for case-owner routing.
    cases: cases::CaseOwners,
    /// Per queue with a random strategy, the highest pass it has offered at
    /// (see [`AgentSelection::Random`](crate::AgentSelection::Random)).
    random_clocks: BTreeMap<QueueId, u64>,
    /// Per interaction ringing more than one agent (a parallel offer), its
    /// offers other than the one its state names, in offer order. Not in the
    /// snapshot: restore rebuilds it from the pending offers.
    ringing: BTreeMap<InteractionId, Vec<OfferId>>,
    work: VecDeque<Work>,
    /// Whether `run_routing` is going through `work`: agents released then
    /// look before the rest of it (see `Engine::unlist`). False between calls.
    routing: bool,
    events: VecDeque<Event>,
}

impl Engine {
    /// A new engine with no skills, queues, agents or interactions.
    pub fn new(config: EngineConfig) -> Self {
        let key = crate::ids::IdHashKey(config.id_hash_key());
        let router = Router::new(&config);
        Engine {
            config,
            now: None,
            skills: BTreeMap::new(),
            agent_attributes: BTreeMap::new(),
            calendars: BTreeMap::new(),
            hold_times: BTreeMap::new(),
            queues: BTreeMap::new(),
            agents: DenseMap::with_hasher(key),
            profiles: Default::default(),
            interactions: DenseMap::with_hasher(key),
            offers: IdMap::with_hasher(key),
            timers: TimerTable::new(key),
            next_offer: 1,
            next_seq: 1,
            totals: Totals::default(),
            router,
            cases: cases::CaseOwners::default(),
            random_clocks: BTreeMap::new(),
            ringing: BTreeMap::new(),
            work: VecDeque::new(),
            routing: false,
            events: VecDeque::new(),
        }
    }

    // ----- Inputs -----

    /// Applies a command at time `now`, after firing every timer due by then.
    ///
    /// With the `tracing` feature, the call runs in a `switchboard.command` span (the command's
    /// kind, `now_ms` and the ids it names) and every event it queues is also a `tracing` event
    /// (target `switchboard::event`), ids only: see the README's Observability section.
    ///
    /// # Errors
    /// A [`CommandError`] saying what was wrong; the command changed nothing
    /// (see the type-level docs for timers due by `now`).
    pub fn handle(&mut self, command: Command, now: Timestamp) -> Result<(), CommandError> {
        #[cfg(feature = "tracing")]
        let _span = observe::command_span(&command, now);
        self.advance(now)?;
        self.apply(command, now)?;
        self.run_routing(now);
        Ok(())
    }

    /// Fires every timer due at or before `now`.
    ///
    /// With the `tracing` feature, the call runs in a `switchboard.timeout` span (`now_ms`).
    ///
    /// # Errors
    /// [`CommandError::TimeWentBackwards`] if `now` is earlier than a time seen before; nothing changes.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Result<(), CommandError> {
        #[cfg(feature = "tracing")]
        let _span = observe::timeout_span(now);
        self.advance(now)
    }

    fn advance(&mut self, now: Timestamp) -> Result<(), CommandError> {
        if !crate::time::in_range(now) {
            return Err(CommandError::TimeOutOfRange { now, min: Timestamp::EPOCH, max: Timestamp::MAX });
        }
        if let Some(last) = self.now {
            if now < last {
                return Err(CommandError::TimeWentBackwards { last, now });
            }
        }
        while let Some((due, kind)) = self.timers.pop_due(now) {
            self.now = Some(due);
            self.fire(kind, due);
            // What settles routing at one instant (opening hours, time to
            // live, bounds reached, steps ended) all applies before anything
            // is routed at it, so that no decision at that instant sees half
            // of it: a queue opening at the instant a bound is reached offers
            // the interaction as overdue. Queue delays reached at one instant
            // wake their interactions together, for the same reason.
            if self.timers.settles_routing_at(due)
                || (matches!(kind, TimerKind::QueueDelay(_)) && self.timers.queue_delay_at(due))
            {
                continue;
            }
            self.order_woken();
            self.run_routing(due);
        }
        self.now = Some(now);
        Ok(())
    }

    /// The signature live interaction `iid` holds in the routing index
    /// (the engine keeps it in the interaction's tag).
    fn held_sig(&self, iid: InteractionId) -> Option<crate::router::SigId> {
        self.interactions.tag(&iid)
    }

    /// Makes live interaction `iid` hold eligibility `e` in the routing
    /// index instead of what it held; the signature it now holds. The
    /// caller has checked the signature limit.
    fn hold(&mut self, iid: InteractionId, e: &crate::model::expression::Eligibility) -> crate::router::SigId {
        let sig = self.router.hold(self.held_sig(iid), e);
        self.interactions.set_tag(&iid, sig);
        sig
    }

    // ----- Outputs -----

    /// The next event, in the order things happened; `None` when drained.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front();
        if self.events.is_empty() {
            // Back to the start of the buffer: a drained ring buffer keeps its place, so the
            // next events would be written a little further on each time, walking the whole
            // capacity (grown by the largest burst: thousands of logins, megabytes) and missing
            // the cache on every event. `clear` rewinds it, keeping the capacity.
            self.events.clear();
        }
        event
    }

    /// The next deadline: call [`Engine::handle_timeout`] then. `None` when no timer is set.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.timers.next_due()
    }

    // ----- Views -----

    /// The latest time the engine has seen.
    pub fn now(&self) -> Option<Timestamp> {
        self.now
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// One agent.
    pub fn agent(&self, id: AgentId) -> Option<&Agent> {
        self.agents.get(&id)
    }

    /// All agents, by id. Sorts them: O(n log n).
    pub fn agents(&self) -> impl Iterator<Item = &Agent> {
        let mut all: Vec<&Agent> = self.agents.values().collect();
        all.sort_unstable_by_key(|a| a.id());
        all.into_iter()
    }

    /// One live interaction (`None` once it has ended).
    pub fn interaction(&self, id: InteractionId) -> Option<&Interaction> {
        self.interactions.get(&id)
    }

    /// All live interactions, by id. Sorts them: O(n log n).
    pub fn interactions(&self) -> impl Iterator<Item = &Interaction> {
        let mut all: Vec<&Interaction> = self.interactions.values().collect();
        all.sort_unstable_by_key(|i| i.id);
        all.into_iter()
    }

    /// One queue's configuration.
    pub fn queue(&self, id: QueueId) -> Option<&QueueConfig> {
        self.queues.get(&id)
    }

    /// All queues, by id.
    pub fn queues(&self) -> impl Iterator<Item = &QueueConfig> {
        self.queues.values()
    }

    /// The name a skill was registered with.
    pub fn skill_name(&self, id: SkillId) -> Option<&str> {
        self.skills.get(&id).map(String::as_str)
    }

    /// The interactions waiting in a queue, in the order the queue would
    /// serve them at the latest time seen (effective priority, then place in
    /// line, then arrival). Agents' delays, exclusions and skills can make an
    /// individual agent take them in another order. Costs O(n log n).
    pub fn waiting(&self, queue: QueueId) -> Vec<InteractionId> {
        self.router.waiting_in_order(queue, &self.interactions)
    }

    /// How many interactions wait in a queue. O(1).
    pub fn waiting_count(&self, queue: QueueId) -> usize {
        self.router.queues.get(&queue).map_or(0, |q| q.waiting)
    }

    /// One pending offer.
    pub fn offer(&self, id: OfferId) -> Option<&PendingOffer> {
        self.offers.get(&id)
    }

    /// All pending offers, by id. Sorts them: O(n log n).
    pub fn offers(&self) -> impl Iterator<Item = &PendingOffer> {
        let mut all: Vec<&PendingOffer> = self.offers.values().collect();
        all.sort_unstable_by_key(|p| p.id);
        all.into_iter()
    }

    /// A business-hours calendar ([`Command::AddCalendar`](crate::Command::AddCalendar)).
    pub fn calendar(&self, id: crate::ids::CalendarId) -> Option<&crate::model::calendar::Calendar> {
        self.calendars.get(&id)
    }

    /// Running totals.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// The waiting interaction an agent keeps headroom for, at the latest
    /// time seen: `Some` while the agent is *draining* (offered no new work
    /// until they have room for it), `None` otherwise, and for an agent who
    /// is unknown, logged out or paused. The rule is on
    /// [`CapacityProfile::with_headroom`](crate::CapacityProfile::with_headroom);
    /// when several interactions qualify, the first of the agent's queues (in
    /// their configured order), then of the headroom channels (in channel
    /// order), then in the queue's routing order is named. Costs about one
    /// routing decision for an agent with headroom and no room, nothing otherwise.
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use switchboard::*;
    ///
    /// let mut engine = Engine::new(EngineConfig::default());
    /// let t0 = Timestamp::from_secs(1_700_000_000);
    /// let q = QueueConfig::new(QueueId(1), "sales", [Channel::Voice, Channel::Chat]);
    /// engine.handle(Command::AddQueue(q), t0)?;
    /// // One call or three chats; a call waiting 30 s stops new chats.
    /// let cap = CapacityProfile::new(3)
    ///     .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(3).with_exclusive(true))
    ///     .with_channel(Channel::Chat, ChannelCapacity::new(3))
    ///     .with_headroom(Channel::Voice, Duration::from_secs(30));
    /// let agent = AgentConfig::new(AgentId(1), cap).with_queue(QueueMembership::new(QueueId(1)));
    /// engine.handle(Command::AddAgent(agent), t0)?;
    /// engine.handle(Command::Login { agent: AgentId(1) }, t0)?;
    /// engine.handle(Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(1))), t0)?;
    /// engine.handle(Command::Arrive(NewInteraction::new(InteractionId(2), Channel::Voice, QueueId(1), CustomerId(2))), t0)?;
    /// engine.handle(Command::Accept { agent: AgentId(1), offer: OfferId(1) }, t0)?;
    /// // The chat went to the agent, so the call waits: not yet long enough to drain.
    /// assert_eq!(engine.draining_for(AgentId(1)), None);
    /// engine.handle_timeout(t0 + Duration::from_secs(30))?;
    /// assert_eq!(engine.draining_for(AgentId(1)), Some(InteractionId(2)));
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn draining_for(&self, agent: AgentId) -> Option<InteractionId> {
        let agent = self.agents.get(&agent).filter(|a| a.is_routable())?;
        let ctx = crate::router::select::Context::new(
            &self.agents,
            &self.interactions,
            &self.queues,
            &self.config,
            self.now.unwrap_or_default(),
        );
        self.router.drain_cause(agent, &ctx)
    }

    /// When a timer is due, if set.
    pub fn timer(&self, kind: TimerKind) -> Option<Timestamp> {
        self.timers.due(kind)
    }

    /// The one place events enter the outbox, so the `tracing` feature sees each once, in order.
    fn emit(&mut self, at: Timestamp, kind: EventKind) {
        #[cfg(feature = "tracing")]
        observe::event(at, &kind);
        self.events.push_back(Event { at, kind });
    }
}
