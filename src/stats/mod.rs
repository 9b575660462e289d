//! Measurement: live statistics, interval reports, interaction records,
//! breakdowns, costs and contact history — a pure consumer of the engine's
//! events.
//!
//! [`Statistics`] never touches routing: the host feeds it each event it
//! polls, and it costs nothing when unused. Everything it computes comes
//! from the events (plus, at the moment of each event, the engine's read-only
//! views for the configuration an event does not carry: a queue's name and
//! target, an agent's queues and skills, an interaction's requirements).
//!
//! What it gives, per queue, channel, skill and agent:
//!
//! * **Live figures** ([`Statistics::queue`], [`Statistics::channel`], …):
//!   [`ContactFigures`] (offered, answered, abandoned, service levels, ASA,
//!   handle time, waits) and [`AgentFigures`] (occupancy, presence).
//! * **Interval reports** ([`Statistics::poll_report`]): the same figures per
//!   quarter or half hour ([`IntervalLength`]), in the centre's time zone.
//! * **Interaction records** ([`Statistics::poll_record`]): one
//!   [`InteractionRecord`] per interaction from arrival to its end, with every
//!   queue visit, offer and transfer; CSV and JSON-lines export behind the
//!   `csv` and `json` features.
//! * **Contact history** ([`ContactHistory`]): each customer's contacts across
//!   channels, with retention ([`RetentionPolicy`]).
//! * **Breakdowns and costs**: figures by an interaction attribute
//!   (`StatsConfigBuilder::breakdown_by`) and a cost model ([`CostModel`]).
//!
//! Time counters (talk, wrap-up, waits, presence time) are [`Duration`]s, like
//! the figures built from them. They are sums of whole milliseconds, merged
//! across intervals with saturation at `u64::MAX` milliseconds, and their
//! serialised forms keep the names and values they always had: `talk_ms`,
//! `answer_wait_ms`, … in whole milliseconds, in JSON as in binary forms.
//!
//! # Example
//! ```
//! use std::time::Duration;
//! use switchboard::stats::{Statistics, StatsConfig};
//! use switchboard::*;
//!
//! let mut engine = Engine::new(EngineConfig::default());
//! let mut stats = Statistics::new(StatsConfig::default());
//! let t0 = Timestamp::from_secs(1_767_258_000);
//! let mut feed = |engine: &mut Engine, stats: &mut Statistics| {
//!     while let Some(event) = engine.poll_event() {
//!         stats.observe(&event, engine); // right after polling, before the next handle
//!     }
//! };
//! engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Voice])), t0)?;
//! let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1))
//!     .with_queue(QueueMembership::new(QueueId(1)));
//! engine.handle(Command::AddAgent(agent), t0)?;
//! engine.handle(Command::Login { agent: AgentId(1) }, t0)?;
//! engine.handle(Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Voice, QueueId(1), CustomerId(7))), t0)?;
//! feed(&mut engine, &mut stats);
//! let offer = engine.offers().next().unwrap().id;
//! engine.handle(Command::Accept { agent: AgentId(1), offer }, t0 + Duration::from_secs(12))?;
//! feed(&mut engine, &mut stats);
//!
//! let support = stats.queue(QueueId(1)).unwrap();
//! assert_eq!((support.counters.offered, support.counters.answered), (1, 1));
//! assert_eq!(support.counters.average_speed_of_answer(), Some(Duration::from_secs(12)));
//! # Ok::<(), CommandError>(())
//! ```

mod breakdown;
mod clock;
mod config;
mod cost;
mod error;
mod export;
mod figures;
mod history;
mod interval;
mod live;
mod quantile;
mod record;

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::Duration;

use chrono::{FixedOffset, TimeZone};
use serde::{Deserialize, Serialize};

pub use breakdown::{BreakdownFigures, BreakdownValue};
pub use config::{MAX_SERVICE_LEVEL_DEFINITIONS, QueueMeasurement, StatsConfig, StatsConfigBuilder};
pub use cost::{ChannelCost, ChannelCostLine, CostLine, CostModel, CostSummary, QueueCostLine};
#[cfg(any(feature = "json", feature = "csv"))]
pub use error::ExportError;
pub use error::StatsConfigError;
#[cfg(feature = "json")]
pub use export::write_json_lines;
#[cfg(feature = "csv")]
pub use export::{RECORD_CSV_COLUMNS, write_offers_csv, write_records_csv};
pub use figures::{
    AgentCounters, AgentCounts, AgentFigures, ContactCounters, ContactFigures, InQueue, ResponseReading, Scope,
    ServiceLevelReading,
};
pub use history::{ContactHistory, HistoryEntry, InMemoryHistory, RetentionPolicy};
pub use interval::{IntervalLength, IntervalReport, IntervalSchedule};
pub use quantile::WaitSketch;
pub use record::{
    CallbackRecord, Disposition, InteractionRecord, OfferRecord, OfferResult, QueueVisit, ResponseRecord,
    TransferRecord, VisitExit,
};

use crate::engine::Engine;
use crate::event::{Event, EventKind, Offer, QueueReason};
use crate::ids::{AgentId, IdMap, InteractionId, OfferId, QueueId, SkillId};
use crate::model::agent::Presence;
use crate::model::channel::{Channel, ChannelMode};
use crate::model::interaction::Outcome;
use crate::model::queue::{AllDeclined, WhenClosed};
use crate::model::step::ExceptionAction;
use crate::serde_forms::counter_millis;
use crate::sla::{ResponseMeasure, ServiceLevelDefinition};
use crate::time::Timestamp;
use breakdown::Breakdowns;
use live::{AgentProfile, AgentState, Change, Flow, Phase, QueueState, Stint, Tallies, Tracker};

fn ms_between(later: Timestamp, earlier: Timestamp) -> u64 {
    u64::try_from(later.millis_since(earlier)).unwrap_or(0)
}

/// Where a waiting customer is in line, for an announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlaceInLine {
    /// The queue.
    pub queue: QueueId,
    /// 1 for next in line.
    pub position: usize,
    /// How many wait in the queue.
    pub waiting: usize,
    /// The estimated wait, if there is enough to estimate it from.
    #[serde(default, with = "crate::serde_forms::option_millis")]
    pub estimated_wait: Option<Duration>,
}

/// Live statistics, interval reports, interaction records and contact
/// history, computed from the engine's events.
///
/// # Feeding it
///
/// Call [`Statistics::observe`] with every event the engine emits, right
/// after polling it and before the next [`Engine::handle`] (the run-loop
/// rule), together with the engine: for the few facts an event does not
/// carry (a queue's name and target, an agent's queues and skills, an
/// interaction's requirements) the statistics read the engine's views at
/// that moment. Call [`Statistics::advance`] when the host wakes up without
/// an event (the run loop's timeout, a wallboard refresh, the end of an
/// interval from [`Statistics::next_interval_end`]) so that intervals close
/// and history is purged on time.
///
/// Statistics started after the engine count only what they observe:
/// contacts already live are not counted; agents and queues are picked up
/// from the engine when first seen.
///
/// # Reading it
///
/// * **Live figures** per queue, channel, skill and agent
///   ([`queue`](Statistics::queue), [`channel`](Statistics::channel),
///   [`skill`](Statistics::skill), [`agent`](Statistics::agent)) and per
///   attribute value ([`breakdown`](Statistics::breakdown)). Counters,
///   service levels, ASA, handle times, abandonment and wait percentiles are
///   **since the start of the current interval**; contacts waiting, oldest
///   wait and agents by state are **instantaneous**. See [`ContactCounters`]
///   for the interval in which each event is counted.
/// * **Interval reports**, one per closed interval, from
///   [`poll_report`](Statistics::poll_report).
/// * **Interaction records**, one per finished interaction, from
///   [`poll_record`](Statistics::poll_record).
/// * **Contact history** from [`history`](Statistics::history): when an
///   interaction is offered, look up the customer's recent history for the
///   agent (see the example).
/// * **Place in line** and estimated wait for announcements, from
///   [`place_in_line`](Statistics::place_in_line).
///
/// # Cost
///
/// Each event costs a few counter updates per dimension the contact counts
/// in (its queue, channel, each required skill, each breakdown key) plus
/// O(log n) upkeep of the oldest-wait sets; nothing rescans. Closing an
/// interval costs O(queues + channels + skills + agents + attribute values).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::stats::*;
/// use switchboard::*;
///
/// let mut engine = Engine::new(EngineConfig::default());
/// let mut stats = Statistics::new(StatsConfig::default());
/// let t0 = Timestamp::from_secs(1_700_000_000);
/// let mut run = |engine: &mut Engine, stats: &mut Statistics, command, now| -> Result<(), CommandError> {
///     engine.handle(command, now)?;
///     while let Some(event) = engine.poll_event() {
///         stats.observe(&event, engine);
///         if let EventKind::InteractionOffered(offer) = &event.kind {
///             // What the agent sees with the offer: the customer's last five contacts.
///             let _past = stats.history().map(|h| h.recent(offer.customer, event.at, 5));
///         }
///     }
///     Ok(())
/// };
/// run(&mut engine, &mut stats, Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Voice])), t0)?;
/// let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1)).with_queue(QueueMembership::new(QueueId(1)));
/// run(&mut engine, &mut stats, Command::AddAgent(agent), t0)?;
/// run(&mut engine, &mut stats, Command::Login { agent: AgentId(1) }, t0)?;
/// run(&mut engine, &mut stats, Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Voice, QueueId(1), CustomerId(7))), t0)?;
/// let offer = engine.offers().next().unwrap().id;
/// run(&mut engine, &mut stats, Command::Accept { agent: AgentId(1), offer }, t0 + Duration::from_secs(12))?;
///
/// let q = stats.queue(QueueId(1)).unwrap();
/// assert_eq!((q.counters.offered, q.counters.answered), (1, 1));
/// assert_eq!(q.counters.average_speed_of_answer(), Some(Duration::from_secs(12)));
/// assert_eq!(q.service_level().unwrap().percent(), 100.0); // 12 s ≤ 20 s
/// assert_eq!(q.agents.busy, 1);
/// # Ok::<(), CommandError>(())
/// ```
pub struct Statistics<Tz: TimeZone = FixedOffset> {
    config: StatsConfig<Tz>,
    now: Option<Timestamp>,
    interval: Option<(Timestamp, Timestamp)>,
    tallies: Tallies,
    /// Looked up on most events; iterated in id order only for reports and
    /// views, which sort (a B-tree's searches missed the cache on every
    /// event with thousands of agents).
    agents: IdMap<AgentId, AgentState>,
    live: IdMap<InteractionId, Tracker>,
    /// Whether each queue is closed by its calendar, as its last
    /// `QueueClosed` or `QueueOpened` said (queues with neither seen yet
    /// are judged by the engine's calendar).
    closed: BTreeMap<QueueId, bool>,
    cost: CostSummary,
    history: Option<Box<dyn ContactHistory>>,
    records: VecDeque<InteractionRecord>,
    reports: VecDeque<IntervalReport>,
    dropped_records: u64,
    dropped_reports: u64,
}

impl<Tz: TimeZone> fmt::Debug for Statistics<Tz> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Statistics")
            .field("now", &self.now)
            .field("interval", &self.interval)
            .field("queues", &self.tallies.queues.len())
            .field("agents", &self.agents.len())
            .field("live_interactions", &self.live.len())
            .field("history_entries", &self.history.as_ref().map(|h| h.len()))
            .field("pending_records", &self.records.len())
            .field("pending_reports", &self.reports.len())
            .finish_non_exhaustive()
    }
}

impl<Tz: TimeZone> Statistics<Tz> {
    /// Statistics with the in-memory contact history (unless the
    /// configuration turns history off).
    pub fn new(config: StatsConfig<Tz>) -> Self {
        let history: Option<Box<dyn ContactHistory>> =
            config.keep_history.then(|| Box::new(InMemoryHistory::new(config.retention)) as Box<dyn ContactHistory>);
        Statistics::build(config, history)
    }

    /// Statistics keeping contact history in the host's own store.
    pub fn with_history(config: StatsConfig<Tz>, history: Box<dyn ContactHistory>) -> Self {
        Statistics::build(config, Some(history))
    }

    fn build(config: StatsConfig<Tz>, history: Option<Box<dyn ContactHistory>>) -> Self {
        let breakdowns = Breakdowns::new(&config.breakdowns, config.max_breakdown_values);
        Statistics {
            config,
            now: None,
            interval: None,
            tallies: Tallies { breakdowns, ..Tallies::default() },
            agents: IdMap::default(),
            live: IdMap::default(),
            closed: BTreeMap::new(),
            cost: CostSummary::default(),
            history,
            records: VecDeque::new(),
            reports: VecDeque::new(),
            dropped_records: 0,
            dropped_reports: 0,
        }
    }

    // ----- Inputs -----

    /// Counts one event. Call it for every event, in order, right after
    /// polling it (see the type-level docs).
    ///
    /// An event earlier than one seen before is counted at the latest time
    /// seen (events from one engine never go back in time).
    pub fn observe(&mut self, event: &Event, engine: &Engine) {
        let at = self.advance_to(event.at);
        match &event.kind {
            EventKind::QueueAdded { queue } => self.ensure_queue(*queue, engine),
            // Opening hours change no counter: what they do to contacts has
            // events of its own. They are kept to tell a closed queue's move
            // (an overflow) from the host's transfer.
            EventKind::QueueOpened { queue, .. } => {
                self.closed.insert(*queue, false);
            }
            EventKind::QueueClosed { queue, .. } => {
                self.closed.insert(*queue, true);
            }
            EventKind::QueueUpdated { .. } => {}
            EventKind::AgentAdded { agent } | EventKind::AgentUpdated { agent } => {
                self.refresh_agent(*agent, engine, at);
            }
            EventKind::AgentRemoved { agent } => {
                if let Some(state) = self.agents.get_mut(agent) {
                    self.tallies.place_agent(&state.profile, Some(state.presence), None);
                    state.accrue(at);
                    state.presence = Presence::Offline;
                    state.removed = true;
                }
            }
            EventKind::AgentPresenceChanged { agent, previous, presence } => {
                self.presence_changed(*agent, *previous, *presence, engine, at);
            }
            EventKind::InteractionArrived { interaction, channel, queue, customer, case, priority, attributes } => {
                let mut record = InteractionRecord::new(*interaction, *customer, *channel, *queue, at);
                record.case = *case;
                record.priority = *priority;
                record.attributes = attributes.clone();
                let values = self.tallies.breakdowns.values_of(attributes);
                let tracker = Tracker {
                    record,
                    values,
                    stint: None,
                    visit: None,
                    talking: None,
                    wrapping: None,
                    responded: false,
                    interrupted: None,
                    overflowing: false,
                    entering: None,
                };
                self.live.insert(*interaction, tracker);
            }
            EventKind::CallbackScheduled { interaction, due, .. } => {
                if let Some(t) = self.live.get_mut(interaction) {
                    t.record.scheduled_for = Some(*due);
                }
            }
            EventKind::InteractionQueued { interaction, queue, reason } => {
                self.queued(*interaction, *queue, *reason, engine, at);
            }
            // Overdue changes the interaction's rank, not its measures: its wait is still measured from its place in line.
            EventKind::InteractionOverdue { .. } => {}
            // A step changes who may take it, not what is measured.
            EventKind::StepChanged { .. } => {}
            // An alert changes nothing measured; a move is measured by the
            // transfer that follows it, an overflow since a rule made it.
            EventKind::ExceptionRaised { interaction, action, applied, .. }
            | EventKind::AdmissionRuleApplied { interaction, action, applied, .. }
            | EventKind::WhenEmptyApplied { interaction, action, applied, .. } => {
                if *applied && matches!(action, ExceptionAction::Move { .. }) {
                    self.overflowing(*interaction);
                }
            }
            EventKind::InteractionOffered(offer) => self.offered(offer, at),
            EventKind::OfferAccepted { offer, interaction, agent } => {
                self.accepted(*offer, *interaction, *agent, engine, at);
            }
            EventKind::OfferRejected { offer, interaction, agent } => {
                self.offer_ended(*offer, *interaction, *agent, OfferResult::Rejected, at);
            }
            EventKind::OfferTimedOut { offer, interaction, agent } => {
                self.offer_ended(*offer, *interaction, *agent, OfferResult::TimedOut, at);
            }
            EventKind::OfferWithdrawn { offer, interaction, agent, reason } => {
                self.offer_ended(*offer, *interaction, *agent, OfferResult::Withdrawn(*reason), at);
            }
            EventKind::InteractionCompleted { interaction, agent } => {
                self.completed(*interaction, *agent, engine, at);
            }
            EventKind::WrapUpStarted { interaction, agent, .. } => {
                if let Some(t) = self.live.get_mut(interaction) {
                    t.wrapping = Some((*agent, at));
                }
            }
            EventKind::WrapUpEnded { interaction, agent } => self.wrap_up_ended(*interaction, *agent, at),
            // Wrap-up time is measured from its start to its end, however long it was meant to be.
            EventKind::WrapUpExtended { .. } => {}
            EventKind::SelfServed(contact) => self.self_served(contact, at),
            EventKind::ConvertedToCallback { interaction, from, .. } => self.converted(*interaction, *from, at),
            EventKind::CallbackAttemptFailed { interaction, .. } => self.dial_failed(*interaction, at),
            EventKind::Disposition { interaction, agent, code, notes } => {
                if let Some(t) = self.live.get_mut(interaction) {
                    t.record.disposition =
                        Some(Disposition { agent: *agent, code: code.clone(), notes: notes.clone() });
                }
            }
            EventKind::InteractionTransferred { interaction, from, to } => {
                self.transferred(*interaction, *from, *to, engine, at);
            }
            EventKind::InteractionEnded { interaction, queue, outcome, .. } => {
                self.ended(*interaction, *queue, *outcome, at);
            }
            // Says only that nobody logged in will take it: what the queue does
            // about it comes as its own events (a re-queue, a transfer, the
            // end). The transfer of an overflow is the engine's.
            EventKind::DeclinedByAll { interaction, fallback, .. } => {
                if matches!(fallback, AllDeclined::Overflow(_)) {
                    self.overflowing(*interaction);
                }
            }
            // Paused work stays connected: its talk time runs on, and the
            // record adds up the time it spent paused (see `interrupted`).
            EventKind::WorkInterrupted { interaction, .. } => {
                if let Some(t) = self.live.get_mut(interaction) {
                    t.interrupted.get_or_insert(at);
                }
            }
            EventKind::WorkResumed { interaction, .. } => self.end_interruption(*interaction, at),
        }
    }

    /// Moves the statistics' clock to `now`: closes every interval that ends
    /// by then (its report becomes available from [`poll_report`](Self::poll_report))
    /// and purges contact history. A time earlier than one seen before changes nothing.
    pub fn advance(&mut self, now: Timestamp) {
        self.advance_to(now);
    }

    fn advance_to(&mut self, now: Timestamp) -> Timestamp {
        let now = match self.now {
            Some(last) if now < last => return last,
            _ => now,
        };
        let (mut start, mut end) = *self.interval.get_or_insert_with(|| self.config.schedule.bounds(now));
        while now >= end {
            self.close_interval(start, end);
            let next = self.config.schedule.bounds(end);
            // A schedule always moves forward; guard against a zone that would not.
            (start, end) = if next.1 > end { next } else { (end, end + Duration::from_secs(60)) };
            self.interval = Some((start, end));
        }
        self.now = Some(now);
        if let Some(h) = self.history.as_mut() {
            h.purge(now);
        }
        now
    }

    fn close_interval(&mut self, start: Timestamp, end: Timestamp) {
        for state in self.agents.values_mut() {
            state.accrue(end);
        }
        let report = IntervalReport {
            start,
            end,
            local_start: self.config.schedule.local_start(start),
            queues: self.tallies.queues.iter().map(|(id, q)| q.figures(*id, start, end)).collect(),
            channels: self
                .tallies
                .channels
                .iter()
                .map(|(c, t)| t.figures(Scope::Channel(*c), self.config.formula, start, end))
                .collect(),
            skills: self
                .tallies
                .skills
                .iter()
                .map(|(s, t)| t.figures(Scope::Skill(*s), self.config.formula, start, end))
                .collect(),
            agents: self.agents_by_id().map(|(id, a)| a.figures(id, start, end)).collect(),
            breakdowns: self.tallies.breakdowns.all_figures(self.config.formula, start),
            cost: std::mem::take(&mut self.cost),
        };
        if self.reports.len() >= self.config.max_pending_reports {
            self.reports.pop_front();
            self.dropped_reports += 1;
        }
        self.reports.push_back(report);
        self.tallies.reset();
        self.agents.retain(|_, a| !a.removed);
        for a in self.agents.values_mut() {
            a.counters = AgentCounters::default();
        }
    }

    // ----- Event handlers -----

    fn ensure_queue(&mut self, queue: QueueId, engine: &Engine) {
        if self.tallies.queues.contains_key(&queue) {
            return;
        }
        let config = engine.queue(queue);
        let measurement = self.config.queues.get(&queue);
        let definitions = match measurement {
            Some(m) if !m.service_levels.is_empty() => m.service_levels.clone(),
            _ => vec![
                ServiceLevelDefinition::new(self.config.formula, config.map(|c| c.service_level).unwrap_or_default())
                    .with_short_abandon(self.config.short_abandon),
            ],
        };
        let channels: Vec<Channel> = config.map(|c| c.channels.clone()).unwrap_or_default();
        let responses = channels.iter().filter_map(|c| Some((*c, self.config.response_target(queue, *c)?))).collect();
        let name = config.map_or_else(|| queue.to_string(), |c| c.name.clone());
        self.tallies.queues.insert(queue, QueueState::new(name, definitions, responses));
    }

    fn refresh_agent(&mut self, agent: AgentId, engine: &Engine, at: Timestamp) {
        let profile = engine.agent(agent).map(AgentProfile::of).unwrap_or_default();
        for q in &profile.queues {
            self.ensure_queue(*q, engine);
        }
        match self.agents.get_mut(&agent) {
            Some(state) => {
                self.tallies.place_agent(&state.profile, Some(state.presence), None);
                self.tallies.place_agent(&profile, None, Some(state.presence));
                state.profile = profile;
                state.removed = false;
            }
            None => {
                self.tallies.place_agent(&profile, None, Some(Presence::Offline));
                self.agents.insert(agent, AgentState::new(profile, Presence::Offline, at));
            }
        }
    }

    fn presence_changed(
        &mut self,
        agent: AgentId,
        previous: Presence,
        presence: Presence,
        engine: &Engine,
        at: Timestamp,
    ) {
        if !self.agents.contains_key(&agent) {
            let profile = engine.agent(agent).map(AgentProfile::of).unwrap_or_default();
            for q in &profile.queues {
                self.ensure_queue(*q, engine);
            }
            self.tallies.place_agent(&profile, None, Some(previous));
            self.agents.insert(agent, AgentState::new(profile, previous, at));
        }
        let Some(state) = self.agents.get_mut(&agent) else { return };
        state.accrue(at);
        self.tallies.place_agent(&state.profile, Some(state.presence), Some(presence));
        state.presence = presence;
        state.since = at;
    }

    fn queued(&mut self, id: InteractionId, queue: QueueId, reason: QueueReason, engine: &Engine, at: Timestamp) {
        if matches!(
            reason,
            QueueReason::Arrived
                | QueueReason::Transferred
                | QueueReason::ConvertedToCallback
                | QueueReason::CallbackRetry
                | QueueReason::CallbackDue
        ) {
            self.ensure_queue(queue, engine);
        }
        let Some(t) = self.live.get_mut(&id) else { return };
        let channel = t.record.channel;
        match reason {
            // A callback is a new contact of the callback channel, entering the queue at its conversion.
            // A callback back after a failed dial is a new attempt: a new contact too.
            // A scheduled callback is offered when it enters, at its due time.
            QueueReason::Arrived
            | QueueReason::Transferred
            | QueueReason::ConvertedToCallback
            | QueueReason::CallbackRetry
            | QueueReason::CallbackDue => {
                let moved = match reason {
                    QueueReason::Transferred => Some(t.entering.take().unwrap_or(Flow::Transfer)),
                    _ => None,
                };
                let skills: Vec<SkillId> = engine
                    .interaction(id)
                    .map(|i| i.requirements().iter().map(|r| r.skill).collect())
                    .unwrap_or_default();
                let response = self.config.response_target(queue, channel);
                // When it becomes overdue, on the target's clock and the calendar as it is now.
                let deadline = response.and_then(|r| {
                    let calendar = clock::calendar_of(&r, queue, engine).map(|(_, c)| c);
                    clock::deadline(calendar, t.record.scheduled_for.unwrap_or(t.record.arrived_at), r.within())
                });
                let stint = Stint { queue, entered_at: at, skills, phase: Phase::Waiting, response, deadline };
                self.tallies.count(id, &stint, channel, &t.values, Change::Enter(moved));
                t.stint = Some(stint);
                t.record.last_queue = Some(queue);
                t.record.visit_count += 1;
                t.visit = None;
                if t.record.visits.len() < self.config.max_offers_per_record {
                    t.visit = Some(t.record.visits.len());
                    t.record.visits.push(QueueVisit { queue, entered_at: at, left_at: None, exit: VisitExit::InQueue });
                }
            }
            QueueReason::OfferRejected | QueueReason::OfferTimedOut | QueueReason::OfferWithdrawn => {
                if let Some(stint) = t.stint.as_mut().filter(|s| s.phase == Phase::Ringing) {
                    self.tallies.count(id, stint, channel, &t.values, Change::Unring);
                    stint.phase = Phase::Waiting;
                }
            }
        }
    }

    fn offered(&mut self, offer: &Offer, at: Timestamp) {
        if let Some(a) = self.agents.get_mut(&offer.agent) {
            a.counters.offers += 1;
        }
        let Some(t) = self.live.get_mut(&offer.interaction) else { return };
        if let Some(stint) = t.stint.as_mut().filter(|s| s.phase == Phase::Waiting) {
            self.tallies.count(offer.interaction, stint, t.record.channel, &t.values, Change::Ring);
            stint.phase = Phase::Ringing;
        }
        t.record.offer_count += 1;
        if t.record.offers.len() < self.config.max_offers_per_record {
            t.record.offers.push(OfferRecord {
                offer: offer.id,
                agent: offer.agent,
                queue: offer.queue,
                offered_at: at,
                ended_at: None,
                result: OfferResult::Pending,
            });
        }
    }

    fn offer_ended(&mut self, offer: OfferId, id: InteractionId, agent: AgentId, result: OfferResult, at: Timestamp) {
        if let Some(a) = self.agents.get_mut(&agent) {
            match result {
                OfferResult::Accepted => a.counters.accepted += 1,
                OfferResult::Rejected => a.counters.rejected += 1,
                OfferResult::TimedOut => a.counters.missed += 1,
                OfferResult::Withdrawn(_) => a.counters.withdrawn += 1,
                OfferResult::Pending => {}
            }
        }
        let Some(t) = self.live.get_mut(&id) else { return };
        if let Some(o) = t.record.offers.iter_mut().rev().find(|o| o.offer == offer) {
            o.ended_at = Some(at);
            o.result = result;
        }
    }

    fn accepted(&mut self, offer: OfferId, id: InteractionId, agent: AgentId, engine: &Engine, at: Timestamp) {
        self.offer_ended(offer, id, agent, OfferResult::Accepted, at);
        let Some(t) = self.live.get_mut(&id) else { return };
        let channel = t.record.channel;
        if let Some(stint) = t.stint.as_mut().filter(|s| s.phase.in_queue()) {
            let wait_ms = ms_between(at, stint.entered_at);
            self.tallies.count(id, stint, channel, &t.values, Change::Answer { wait_ms });
            stint.phase = Phase::Answered;
            if let Some(v) = t.visit.and_then(|i| t.record.visits.get_mut(i)) {
                v.left_at = Some(at);
                v.exit = VisitExit::Answered { agent };
            }
            t.record.answered_in = Some(stint.queue);
        }
        if t.record.answered_at.is_none() {
            t.record.answered_at = Some(at);
            t.record.answered_by = Some(agent);
        }
        t.talking = Some((agent, at));
        Self::respond(&mut self.tallies, id, t, ResponseMeasure::Answered, engine, at);
    }

    /// Counts the response to deferrable work once, when its measure is
    /// reached, on its target's clock (see [`ResponseClock`](crate::ResponseClock)),
    /// and notes it in the record.
    fn respond(
        tallies: &mut Tallies,
        id: InteractionId,
        t: &mut Tracker,
        measure: ResponseMeasure,
        engine: &Engine,
        at: Timestamp,
    ) {
        let Some(stint) = t.stint.as_ref() else { return };
        let Some(target) = stint.response.filter(|r| r.measure() == measure) else { return };
        if t.responded {
            return;
        }
        t.responded = true;
        let calendar = clock::calendar_of(&target, stint.queue, engine);
        // A scheduled callback's clock starts when it is due, not when it was scheduled.
        let arrived = t.record.scheduled_for.unwrap_or(t.record.arrived_at);
        let response = Duration::from_millis(clock::elapsed_ms(calendar.map(|(_, c)| c), arrived, at));
        let within = target.is_within(response);
        t.record.response = Some(ResponseRecord {
            queue: stint.queue,
            target,
            at,
            calendar: calendar.map(|(id, _)| id),
            response,
            wall: Duration::from_millis(ms_between(at, arrived)),
            within,
        });
        tallies.count(id, stint, t.record.channel, &t.values, Change::Respond { within });
    }

    /// Ends a conversation (by completion or by a transfer away).
    /// Adds the time an interrupted interaction spent paused to its record.
    fn end_interruption(&mut self, id: InteractionId, at: Timestamp) {
        let Some(t) = self.live.get_mut(&id) else { return };
        let Some(since) = t.interrupted.take() else { return };
        t.record.interrupted = counter_millis::add(t.record.interrupted, Duration::from_millis(ms_between(at, since)));
    }

    fn end_talk(&mut self, id: InteractionId, at: Timestamp) {
        // Completed or transferred while paused: the interruption ends with the talk.
        self.end_interruption(id, at);
        let Some(t) = self.live.get_mut(&id) else { return };
        let Some((agent, since)) = t.talking.take() else { return };
        let ms = ms_between(at, since);
        t.record.talk = counter_millis::add(t.record.talk, Duration::from_millis(ms));
        if let Some(stint) = t.stint.as_ref() {
            self.tallies.count(id, stint, t.record.channel, &t.values, Change::Talk { ms });
        }
        if let Some(a) = self.agents.get_mut(&agent) {
            a.counters.handled += 1;
            a.counters.talk = counter_millis::add(a.counters.talk, Duration::from_millis(ms));
        }
    }

    fn completed(&mut self, id: InteractionId, _agent: AgentId, engine: &Engine, at: Timestamp) {
        self.end_talk(id, at);
        if let Some(t) = self.live.get_mut(&id) {
            Self::respond(&mut self.tallies, id, t, ResponseMeasure::Completed, engine, at);
        }
    }

    fn wrap_up_ended(&mut self, id: InteractionId, agent: AgentId, at: Timestamp) {
        let Some(t) = self.live.get_mut(&id) else { return };
        let Some((_, since)) = t.wrapping.take() else { return };
        let ms = ms_between(at, since);
        t.record.wrap = counter_millis::add(t.record.wrap, Duration::from_millis(ms));
        if let Some(stint) = t.stint.as_ref() {
            self.tallies.count(id, stint, t.record.channel, &t.values, Change::Wrap { ms });
        }
        if let Some(a) = self.agents.get_mut(&agent) {
            a.counters.wrap_ups += 1;
            a.counters.wrap = counter_millis::add(a.counters.wrap, Duration::from_millis(ms));
        }
    }

    /// Ends a visit that was not answered, counting `change` (abandon, cancel, decline, transfer out).
    fn leave_unanswered(&mut self, id: InteractionId, exit: VisitExit, at: Timestamp, change: impl Fn(u64) -> Change) {
        let Some(t) = self.live.get_mut(&id) else { return };
        let Some(stint) = t.stint.as_mut().filter(|s| s.phase.in_queue()) else { return };
        let wait_ms = ms_between(at, stint.entered_at);
        self.tallies.count(id, stint, t.record.channel, &t.values, change(wait_ms));
        stint.phase = Phase::Left;
        if let Some(v) = t.visit.and_then(|i| t.record.visits.get_mut(i)) {
            v.left_at = Some(at);
            v.exit = exit;
        }
    }

    /// A callback's dial failed: the agent's talk (the dialling) ends, and
    /// its answered visit is over; a retry enters the queue as a new contact.
    fn dial_failed(&mut self, id: InteractionId, at: Timestamp) {
        self.end_talk(id, at);
        if let Some(t) = self.live.get_mut(&id) {
            t.stint = None;
            t.visit = None;
        }
    }

    /// A call became a callback: its visit ends converted (neither answered
    /// nor abandoned), and the record's channel is the callback's from now on.
    fn converted(&mut self, id: InteractionId, from: Channel, at: Timestamp) {
        self.leave_unanswered(id, VisitExit::ConvertedToCallback, at, |_| Change::Convert);
        let Some(t) = self.live.get_mut(&id) else { return };
        t.stint = None;
        t.visit = None;
        t.record.channel = Channel::Callback;
        t.record.callback = Some(record::CallbackRecord { converted_at: at, from });
    }

    /// A queue rule has decided to move `id`: its next transfer is an overflow.
    fn overflowing(&mut self, id: InteractionId) {
        if let Some(t) = self.live.get_mut(&id) {
            t.overflowing = true;
        }
    }

    /// Whether the engine is moving `channel` work from `from` to `to`
    /// because `from` is closed: real-time work in a closed queue whose
    /// [`WhenClosed::Move`](crate::WhenClosed::Move) goes to `to`. Closed as
    /// the last `QueueClosed`/`QueueOpened` said, or, with neither seen
    /// (statistics started later than the engine), as its calendar says at `at`.
    fn closed_move(&self, from: QueueId, to: QueueId, channel: Channel, engine: &Engine, at: Timestamp) -> bool {
        let Some(queue) = engine.queue(from) else { return false };
        if queue.when_closed != WhenClosed::Move(to)
            || engine.config().channel_mode(channel) != Some(ChannelMode::RealTime)
        {
            return false;
        }
        match self.closed.get(&from) {
            Some(closed) => *closed,
            None => queue.calendar.and_then(|c| engine.calendar(c)).is_some_and(|c| !c.is_open(at)),
        }
    }

    fn transferred(&mut self, id: InteractionId, from: QueueId, to: QueueId, engine: &Engine, at: Timestamp) {
        let Some(t) = self.live.get_mut(&id) else { return };
        let after_answer = t.talking.is_some();
        // Engine moves are of unanswered contacts only: a rule's or an
        // overflow's was announced by its own event, a closed queue's is
        // known by the queue being closed.
        let rule = std::mem::take(&mut t.overflowing);
        let channel = t.record.channel;
        let flow = if !after_answer && (rule || self.closed_move(from, to, channel, engine, at)) {
            Flow::Overflow
        } else {
            Flow::Transfer
        };
        if after_answer {
            self.end_talk(id, at);
        } else {
            self.leave_unanswered(id, VisitExit::Transferred { to }, at, |_| Change::TransferOut(flow));
        }
        let cap = self.config.max_offers_per_record;
        let Some(t) = self.live.get_mut(&id) else { return };
        t.stint = None;
        t.visit = None;
        t.entering = Some(flow);
        t.record.transfer_count += 1;
        let overflow = flow == Flow::Overflow;
        t.record.overflow_count += u32::from(overflow);
        if t.record.transfers.len() < cap {
            t.record.transfers.push(TransferRecord { at, from, to, after_answer, overflow });
        }
    }

    fn ended(&mut self, id: InteractionId, queue: QueueId, outcome: Outcome, at: Timestamp) {
        match outcome {
            Outcome::Abandoned { .. } => {
                self.leave_unanswered(id, VisitExit::Abandoned, at, |wait_ms| Change::Abandon { wait_ms });
            }
            Outcome::Cancelled => self.leave_unanswered(id, VisitExit::Cancelled, at, |_| Change::Cancel),
            Outcome::Declined => self.leave_unanswered(id, VisitExit::Declined, at, |_| Change::Decline),
            Outcome::Expired => self.leave_unanswered(id, VisitExit::Expired, at, |_| Change::Expire),
            Outcome::Closed => self.leave_unanswered(id, VisitExit::Closed, at, |_| Change::Close),
            Outcome::Diverted(to) => self.leave_unanswered(id, VisitExit::Diverted(to), at, |_| Change::Divert),
            // Handled and failed callbacks ended talking (their talk was counted
            // at the completion or at the failed dial); self-service was never live.
            Outcome::Handled { .. } | Outcome::CallbackFailed(_) | Outcome::SelfServed(_) => {}
        }
        let Some(mut t) = self.live.remove(&id) else { return };
        let record = &mut t.record;
        record.ended_at = Some(at);
        record.outcome = Some(outcome);
        record.last_queue = Some(queue);
        record.cost = self.config.cost.cost(record.channel, record.handle_time());
        if let Outcome::Handled { .. } = outcome {
            let booked = t.stint.as_ref().map_or(queue, |s| s.queue);
            if let Some(q) = self.tallies.queues.get_mut(&booked) {
                q.note_handle_time(counter_millis::of(record.handle_time()));
            }
        }
        self.file(t.record);
    }

    /// A contact resolved in self-service: counted for its channel and
    /// attribute values (never a queue), costed, and filed like any ended one.
    fn self_served(&mut self, contact: &crate::model::interaction::SelfServedContact, at: Timestamp) {
        self.tallies.channels.entry(contact.channel).or_default().counters.self_served += 1;
        if !self.tallies.breakdowns.is_empty() {
            let values = self.tallies.breakdowns.values_of(&contact.attributes);
            self.tallies.breakdowns.apply(&values, |c| c.self_served += 1);
        }
        let mut record = InteractionRecord::self_served(contact, at);
        record.cost = self.config.cost.self_served_cost(contact.channel);
        self.file(record);
    }

    /// Books an ended interaction's cost, adds it to the contact history and keeps its record.
    fn file(&mut self, record: InteractionRecord) {
        self.cost.book(&record);
        if let Some(h) = self.history.as_mut() {
            if let Some(entry) = HistoryEntry::from_record(&record) {
                h.record(entry);
            }
        }
        if self.config.keep_records {
            if self.records.len() >= self.config.max_pending_records {
                self.records.pop_front();
                self.dropped_records += 1;
            }
            self.records.push_back(record);
        }
    }

    // ----- Outputs -----

    /// The next closed interval's report, oldest first; `None` when drained.
    #[must_use]
    pub fn poll_report(&mut self) -> Option<IntervalReport> {
        self.reports.pop_front()
    }

    /// The next finished interaction's record, in the order they ended; `None` when drained.
    #[must_use]
    pub fn poll_record(&mut self) -> Option<InteractionRecord> {
        self.records.pop_front()
    }

    /// When the current interval ends: call [`advance`](Self::advance) then
    /// to close it on time even if no event comes. `None` before the first event.
    pub fn next_interval_end(&self) -> Option<Timestamp> {
        self.interval.map(|(_, end)| end)
    }

    /// Reports dropped because more than the configured maximum waited to be polled.
    pub fn dropped_reports(&self) -> u64 {
        self.dropped_reports
    }

    /// Records dropped because more than the configured maximum waited to be polled.
    pub fn dropped_records(&self) -> u64 {
        self.dropped_records
    }

    // ----- Views -----

    /// The configuration.
    pub fn config(&self) -> &StatsConfig<Tz> {
        &self.config
    }

    /// The latest time seen (from an event or [`advance`](Self::advance)).
    pub fn now(&self) -> Option<Timestamp> {
        self.now
    }

    /// The current interval: start (inclusive) and end (exclusive).
    pub fn interval(&self) -> Option<(Timestamp, Timestamp)> {
        self.interval
    }

    fn view_times(&self) -> (Timestamp, Timestamp) {
        let now = self.now.unwrap_or_default();
        (self.interval.map_or(now, |(s, _)| s), now)
    }

    /// A queue's live figures.
    pub fn queue(&self, queue: QueueId) -> Option<ContactFigures> {
        let (start, now) = self.view_times();
        self.tallies.queues.get(&queue).map(|q| q.figures(queue, start, now))
    }

    /// Every queue's live figures, by queue id.
    pub fn queues(&self) -> Vec<ContactFigures> {
        let (start, now) = self.view_times();
        self.tallies.queues.iter().map(|(id, q)| q.figures(*id, start, now)).collect()
    }

    /// A channel's live figures, across queues.
    pub fn channel(&self, channel: Channel) -> Option<ContactFigures> {
        let (start, now) = self.view_times();
        self.tallies.channels.get(&channel).map(|t| t.figures(Scope::Channel(channel), self.config.formula, start, now))
    }

    /// Every channel's live figures.
    pub fn channels(&self) -> Vec<ContactFigures> {
        let (start, now) = self.view_times();
        self.tallies
            .channels
            .iter()
            .map(|(c, t)| t.figures(Scope::Channel(*c), self.config.formula, start, now))
            .collect()
    }

    /// The live figures of contacts requiring a skill (and of agents holding it).
    pub fn skill(&self, skill: SkillId) -> Option<ContactFigures> {
        let (start, now) = self.view_times();
        self.tallies.skills.get(&skill).map(|t| t.figures(Scope::Skill(skill), self.config.formula, start, now))
    }

    /// Every skill's live figures.
    pub fn skills(&self) -> Vec<ContactFigures> {
        let (start, now) = self.view_times();
        self.tallies.skills.iter().map(|(s, t)| t.figures(Scope::Skill(*s), self.config.formula, start, now)).collect()
    }

    /// An agent's live figures, presence time included up to the latest time seen.
    pub fn agent(&self, agent: AgentId) -> Option<AgentFigures> {
        let (start, now) = self.view_times();
        self.agents.get(&agent).filter(|a| !a.removed).map(|a| a.figures(agent, start, now))
    }

    /// Every agent's live figures, by agent id.
    pub fn agents(&self) -> Vec<AgentFigures> {
        let (start, now) = self.view_times();
        self.agents_by_id().filter(|(_, a)| !a.removed).map(|(id, a)| a.figures(id, start, now)).collect()
    }

    /// Every agent's state, by agent id. Sorts them: O(n log n).
    fn agents_by_id(&self) -> impl Iterator<Item = (AgentId, &AgentState)> {
        let mut all: Vec<(AgentId, &AgentState)> = self.agents.iter().map(|(id, a)| (*id, a)).collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        all.into_iter()
    }

    /// The live figures of one breakdown key, by value (empty if the key is not configured).
    pub fn breakdown(&self, key: &str) -> Vec<BreakdownFigures> {
        let (start, _) = self.view_times();
        self.tallies.breakdowns.figures(key, self.config.formula, start)
    }

    /// Costs of the interactions that ended since the start of the interval.
    pub fn cost(&self) -> &CostSummary {
        &self.cost
    }

    /// The record so far of a live interaction.
    pub fn live_record(&self, interaction: InteractionId) -> Option<&InteractionRecord> {
        self.live.get(&interaction).map(|t| &t.record)
    }

    /// The contact history, unless turned off.
    pub fn history(&self) -> Option<&dyn ContactHistory> {
        self.history.as_deref()
    }

    /// The contact history, mutably (for a host's own maintenance).
    pub fn history_mut(&mut self) -> Option<&mut (dyn ContactHistory + 'static)> {
        self.history.as_deref_mut()
    }

    /// Where a waiting interaction is in its queue's line, and an estimated
    /// wait, for an announcement ("you are number 3; about 2 minutes").
    ///
    /// The position is in the order the queue would serve its waiting
    /// interactions (the engine's [`Engine::waiting`], O(n log n) in the
    /// queue's length). The estimate is **position × recent handle time ÷
    /// agents serving the queue**, where recent handle time is an
    /// exponentially weighted average (weight 1/8) of the talk plus wrap-up
    /// time of the queue's recently handled contacts, and agents serving are
    /// its members logged in and not paused. It assumes every serving agent
    /// frees up at that rate for this queue: it ignores skills, agents'
    /// other queues and priorities, concurrent chats, delays and
    /// abandonment, so treat it as an announcement, not a promise. `None`
    /// when no contact of the queue was handled yet or nobody serves it.
    ///
    /// `None` when the interaction is not waiting (ringing, connected or ended).
    pub fn place_in_line(&self, engine: &Engine, interaction: InteractionId) -> Option<PlaceInLine> {
        let i = engine.interaction(interaction)?;
        if !i.is_queued() {
            return None;
        }
        let queue = i.queue();
        let order = engine.waiting(queue);
        let position = order.iter().position(|x| *x == interaction)? + 1;
        let estimated_wait = self.tallies.queues.get(&queue).and_then(|q| {
            let handle_ms = q.recent_handle_ms?;
            let serving = q.tally.agents.serving();
            (serving > 0).then(|| Duration::from_millis(position as u64 * handle_ms / serving))
        });
        Some(PlaceInLine { queue, position, waiting: order.len(), estimated_wait })
    }
}
