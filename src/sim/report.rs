//! What a simulation run shows a manager: per queue, channel and interval
//! figures, the Erlang staffing recommendation beside what was staffed, and
//! the same across replications and between two routing configurations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

use super::limits::RunOptions;
use super::run::{RunSummary, Simulation};
use super::scenario::{ArrivalSpec, QueueSpec, Scenario, ScenarioError};
use crate::engine::Engine;
use crate::event::{Event, EventKind};
use crate::ids::{InteractionId, OfferId, QueueId};
use crate::model::agent::Presence;
use crate::model::channel::{Channel, ChannelMode};
use crate::model::interaction::Outcome;
use crate::sla::{ServiceLevelDefinition, ServiceLevelFormula, ServiceLevelTarget};
use crate::staffing::{ErlangA, ErlangC, ServiceTarget};
use crate::stats::{
    AgentCounters, ContactCounters, ContactFigures, IntervalLength, IntervalReport, QueueMeasurement, Scope,
    Statistics, StatsConfig,
};
use crate::time::Timestamp;

/// The figures of one queue or channel over a span of time.
///
/// **Which interval counts what.** `offered` counts each contact in the
/// interval it entered the queue; `answered`, `abandoned`, the service level
/// and ASA count each answer or abandon in the interval it happened (the
/// engine's [statistics convention](crate::stats::ContactCounters)), so one interval
/// may answer more than it was offered, from the contacts waiting at its
/// start. `prob_wait_pct` follows the *arrival cohort* instead: see there.
/// Over the whole measured period every contact that was answered or
/// abandoned was offered in it: those already waiting when it began are
/// counted as offered in its first interval (`carried_in`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Interactions that entered (arrivals and transfers in), and in the
    /// measured period's first interval also those carried in.
    pub offered: u64,
    /// Of `offered`, the contacts already in the queue (waiting or ringing)
    /// when the measured period began: warm-up arrivals and backlog not yet
    /// answered. Counted as offered in the period's first interval, so that
    /// answered and abandoned never exceed offered over the period. Zero
    /// without a warm-up: a backlog then arrives at the period's first
    /// instant and is offered like any arrival.
    #[serde(default)]
    pub carried_in: u64,
    /// Answered by an agent.
    pub answered: u64,
    /// Abandoned by the customer.
    pub abandoned: u64,
    /// Ended because the queue was closed ([`WhenClosed::End`](crate::WhenClosed::End)):
    /// real-time work that arrived outside the queue's business hours, or was
    /// still waiting at its closing time. Counted in `offered`, left out of
    /// the service level, as in the engine's statistics.
    #[serde(default)]
    pub closed: u64,
    /// Ended by a queue rule ([`Outcome::Diverted`](crate::Outcome::Diverted)):
    /// an admission rule, an exception rule or the queue's `when_empty` rule
    /// sent it to voicemail, a callback, a message or a disconnect. Counted
    /// in `offered`, as in the engine's statistics.
    #[serde(default)]
    pub diverted: u64,
    /// Service level in percent under the queue's target (answered within T ÷ offered).
    pub service_level_pct: Option<f64>,
    /// Average speed of answer, seconds.
    pub asa_secs: Option<f64>,
    /// Probability of waiting, percent, as Erlang C means it: the share of
    /// customers who did not reach an agent at once, among those whose wait
    /// ended in an answer or an abandon (the contacts whose experience is
    /// known; closed, diverted, transferred and still-waiting ones are left
    /// out). A customer reached an agent at once when the offer they accepted
    /// was made the instant they entered the queue; everyone who abandoned,
    /// and everyone answered after a missed or declined offer, waited.
    ///
    /// Each customer counts in the interval they entered the queue (the
    /// arrival cohort), whenever their wait ended; one already waiting when
    /// the measured period began counts in its first interval, having waited.
    /// So a row's P(wait) is about the customers it offered, and is never
    /// below their abandoned share.
    pub prob_wait_pct: Option<f64>,
    /// Average wait of everyone who left the queue (answered or abandoned), seconds.
    pub avg_wait_secs: Option<f64>,
    /// Longest wait, seconds.
    pub longest_wait_secs: f64,
    /// Average handle time (talk plus wrap-up), seconds.
    pub aht_secs: Option<f64>,
    /// Abandoned share of offered, percent.
    pub abandon_pct: Option<f64>,
}

impl Figures {
    /// The figures of `c`, whose `offered` already includes `carried_in`,
    /// with the probability of waiting of the matching arrival cohort.
    fn from_counters(c: &ContactCounters, carried_in: u64, cohort: Cohort) -> Figures {
        let pct = |num: u64, den: u64| (den > 0).then(|| 100.0 * num as f64 / den as f64);
        let left = c.answered + c.abandoned + c.short_abandoned;
        Figures {
            offered: c.offered,
            carried_in,
            answered: c.answered,
            abandoned: c.abandoned + c.short_abandoned,
            closed: c.closed,
            diverted: c.diverted,
            service_level_pct: None,
            asa_secs: c.average_speed_of_answer().map(|d| d.as_secs_f64()),
            prob_wait_pct: cohort.prob_wait_pct(),
            avg_wait_secs: (left > 0)
                .then(|| (c.answer_wait.as_millis() + c.abandon_wait.as_millis()) as f64 / 1000.0 / left as f64),
            longest_wait_secs: c.longest_wait.as_millis() as f64 / 1000.0,
            aht_secs: c.average_handle_time().map(|d| d.as_secs_f64()),
            abandon_pct: pct(c.abandoned + c.short_abandoned, c.offered),
        }
    }
}

/// One queue in one report interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntervalRow {
    /// The interval's start (UTC, RFC 3339).
    pub start: String,
    /// The queue's name.
    pub queue: String,
    /// The figures.
    pub figures: Figures,
    /// Interactions waiting at the interval's end.
    pub waiting_at_end: u64,
    /// Agents logged in and serving the queue at the interval's end:
    /// `staffed_dedicated + staffed_shared`.
    pub staffed: u64,
    /// Of `staffed`, agents dedicated to the queue: it is the only queue they serve.
    #[serde(default)]
    pub staffed_dedicated: u64,
    /// Of `staffed`, agents eligible for the queue who also serve others, so
    /// that only part of their time is this queue's: `staffed` counts each
    /// of them in every queue they serve. Deferrable work counts too: an
    /// agent who takes an e-mail in idle time cannot take a call until it is
    /// done (unless the e-mail's channel is interruptible). Erlang's
    /// recommendation assumes agents who serve only the queue: compare it
    /// with `staffed_dedicated` plus the part of the shared agents' time the
    /// queue gets, not with `staffed`.
    #[serde(default)]
    pub staffed_shared: u64,
    /// Occupancy of the queue's member agents in the interval: busy and
    /// wrap-up time ÷ time available, busy or in wrap-up, percent.
    pub occupancy_pct: Option<f64>,
    /// Agents Erlang says the offered traffic needed for the queue's target
    /// (Erlang A when customers abandon, C otherwise; real-time queues only).
    pub erlang_agents: Option<u32>,
}

/// One queue or channel over the measured period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The queue's name or the channel.
    pub name: String,
    /// The target, e.g. "80% in 20s".
    pub target: String,
    /// The target's share in percent (80 in "80% in 20s"); `None` for a channel.
    #[serde(default)]
    pub target_pct: Option<f64>,
    /// True for a queue of deferrable work (e-mail, for example): a backlog
    /// worked in idle time, whose counts are of another scale than calls'.
    #[serde(default)]
    pub deferrable: bool,
    /// Interactions the scenario puts in the queue at the start of the
    /// period ([`ArrivalSpec::backlog`]); part of `offered` when there is no
    /// warm-up, of `carried_in` (those still waiting) when there is.
    #[serde(default)]
    pub backlog: u64,
    /// The figures.
    pub figures: Figures,
}

/// Everything one simulation run shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    /// The scenario's name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The first measured instant (after the warm-up).
    pub measured_from: Timestamp,
    /// The end of the period.
    pub end: Timestamp,
    /// Per queue, over the measured period.
    pub queues: Vec<SummaryRow>,
    /// Per channel, over the measured period.
    pub channels: Vec<SummaryRow>,
    /// Per queue and interval.
    pub intervals: Vec<IntervalRow>,
    /// Agents' occupancy over the measured period (busy and wrap-up ÷ staffed time, excluding pauses), percent.
    pub occupancy_pct: Option<f64>,
    /// Counts from the run.
    pub interactions_arrived: u64,
    /// Interactions still open when the period ended.
    pub open_at_end: u64,
    /// Arrivals the engine refused (a full queue, a limit reached); none arrived.
    pub arrivals_refused: u64,
    /// Repeat contacts about a case ([`RepeatSpec`](super::RepeatSpec)), part of `interactions_arrived`.
    #[serde(default)]
    pub repeat_contacts: u64,
    /// Offers made to a case's owner while the contact waited for them.
    #[serde(default)]
    pub case_owner_offers: u64,
    /// Callers who took a callback ([`CallbackOfferSpec`](super::CallbackOfferSpec)).
    #[serde(default)]
    pub callbacks_taken: u64,
    /// Ring-all offers withdrawn because another agent answered first.
    #[serde(default)]
    pub rescinded_offers: u64,
}

/// Customers of one arrival cohort (a queue or channel and the interval
/// they entered it) whose wait ended in an answer or an abandon, and those
/// of them who reached an agent at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cohort {
    /// Answered or abandoned.
    ended: u64,
    /// Answered by an offer made the instant they entered.
    at_once: u64,
}

impl Cohort {
    fn add(&mut self, other: Cohort) {
        self.ended = self.ended.saturating_add(other.ended);
        self.at_once = self.at_once.saturating_add(other.at_once);
    }

    fn prob_wait_pct(self) -> Option<f64> {
        (self.ended > 0).then(|| 100.0 * self.ended.saturating_sub(self.at_once) as f64 / self.ended as f64)
    }
}

/// One visit of an interaction to a queue, followed until its wait ends.
#[derive(Debug)]
struct Visit {
    queue: QueueId,
    channel: Channel,
    entered: Timestamp,
    /// Offers made the instant the visit began (a ring-all makes several).
    offers_at_entry: Vec<OfferId>,
    /// Answered: later offers and the end no longer concern this visit's wait.
    answered: bool,
}

/// Feeds a run's events to [`Statistics`] and keeps the interval reports.
///
/// It also follows each visit of an interaction to a queue, for the
/// probability of waiting by arrival cohort ([`Figures::prob_wait_pct`]):
/// the statistics count answers in the interval they happen, which mixes the
/// customers of several intervals.
struct Collector {
    stats: Statistics<FixedOffset>,
    reports: Vec<IntervalReport>,
    interval_ms: i64,
    /// The number of the measured period's first interval: visits still
    /// waiting at its start belong to its cohort.
    first_measured: i64,
    visits: BTreeMap<InteractionId, Visit>,
    cohorts: BTreeMap<(i64, Scope), Cohort>,
}

impl Collector {
    fn new(stats: Statistics<FixedOffset>, scenario: &Scenario, measured_from: Timestamp) -> Collector {
        // Report intervals are aligned to the UTC clock (the statistics'
        // zone here), so intervals are numbered from the epoch.
        let interval_ms = (i64::from(scenario.interval_min) * 60_000).max(1);
        let first_measured = measured_from.as_millis().div_euclid(interval_ms)
            + i64::from(measured_from.as_millis().rem_euclid(interval_ms) != 0);
        Collector {
            stats,
            reports: Vec::new(),
            interval_ms,
            first_measured,
            visits: BTreeMap::new(),
            cohorts: BTreeMap::new(),
        }
    }

    fn interval_of(&self, t: Timestamp) -> i64 {
        t.as_millis().div_euclid(self.interval_ms)
    }

    /// The cohort of `scope` in the interval starting at `start`.
    fn cohort(&self, start: Timestamp, scope: &Scope) -> Cohort {
        self.cohorts.get(&(self.interval_of(start), scope.clone())).copied().unwrap_or_default()
    }

    fn enter(&mut self, interaction: InteractionId, queue: QueueId, channel: Channel, at: Timestamp) {
        let visit = Visit { queue, channel, entered: at, offers_at_entry: Vec::new(), answered: false };
        self.visits.insert(interaction, visit);
    }

    /// Counts the end of a visit's wait at `at` in its arrival cohort.
    fn wait_ended(&mut self, visit: (QueueId, Channel, Timestamp), at: Timestamp, at_once: bool) {
        let (queue, channel, entered) = visit;
        let entered_in = self.interval_of(entered);
        // A visit still waiting when the measured period began counts in its first interval.
        let cohort =
            if self.interval_of(at) >= self.first_measured { entered_in.max(self.first_measured) } else { entered_in };
        let one = Cohort { ended: 1, at_once: u64::from(at_once) };
        for scope in [Scope::Queue(queue), Scope::Channel(channel)] {
            self.cohorts.entry((cohort, scope)).or_default().add(one);
        }
    }

    fn follow(&mut self, event: &Event) {
        match &event.kind {
            EventKind::InteractionArrived { interaction, channel, queue, .. } => {
                self.enter(*interaction, *queue, *channel, event.at);
            }
            // A move (transfer, overflow) is a new visit of the queue it
            // enters, as the statistics count it; the one it left ended
            // without an answer or abandon, so it is in no cohort.
            EventKind::InteractionTransferred { interaction, to, .. } => {
                if let Some(channel) = self.visits.get(interaction).map(|v| v.channel) {
                    self.enter(*interaction, *to, channel, event.at);
                }
            }
            // The callback is a new contact of the callback channel, from the conversion.
            EventKind::ConvertedToCallback { interaction, queue, .. } => {
                self.enter(*interaction, *queue, Channel::Callback, event.at);
            }
            EventKind::InteractionOffered(offer) => {
                if let Some(v) = self.visits.get_mut(&offer.interaction) {
                    if !v.answered && v.entered == event.at {
                        v.offers_at_entry.push(offer.id);
                    }
                }
            }
            EventKind::OfferAccepted { offer, interaction, .. } => {
                let answered = self.visits.get_mut(interaction).filter(|v| !v.answered).map(|v| {
                    v.answered = true;
                    ((v.queue, v.channel, v.entered), v.offers_at_entry.contains(offer))
                });
                if let Some((visit, at_once)) = answered {
                    self.wait_ended(visit, event.at, at_once);
                }
            }
            EventKind::InteractionEnded { interaction, outcome, .. } => {
                let visit = self.visits.remove(interaction);
                if let (Some(v), Outcome::Abandoned { .. }) = (visit, outcome) {
                    if !v.answered {
                        self.wait_ended((v.queue, v.channel, v.entered), event.at, false);
                    }
                }
            }
            _ => {}
        }
    }
}

impl super::run::Observer for Collector {
    fn observe(&mut self, event: &Event, engine: &Engine) {
        self.stats.observe(event, engine);
        while let Some(r) = self.stats.poll_report() {
            self.reports.push(r);
        }
        self.follow(event);
    }
}

fn statistics(scenario: &Scenario) -> Result<Statistics<FixedOffset>, ScenarioError> {
    let invalid = |e: crate::stats::StatsConfigError| ScenarioError::Invalid {
        field: "interval_min".into(),
        problem: e.to_string(),
    };
    let length = u16::try_from(scenario.interval_min)
        .ok()
        .and_then(|m| IntervalLength::minutes(m).ok())
        .or((scenario.interval_min == 1_440).then_some(IntervalLength::DAY))
        .ok_or_else(|| ScenarioError::Invalid {
            field: "interval_min".into(),
            problem: "must divide an hour, or be 1440".into(),
        })?;
    let mut builder = StatsConfig::builder().intervals(length).keep_history(false).keep_records(false);
    for q in &scenario.queues {
        let target = ServiceLevelTarget::new(q.sla.percent, Duration::from_secs(q.sla.secs));
        let measurement = QueueMeasurement::new()
            .with_service_level(ServiceLevelDefinition::new(ServiceLevelFormula::OfOffered, target));
        builder = builder.queue(QueueId(q.id), measurement);
    }
    Ok(Statistics::new(builder.build().map_err(invalid)?))
}

fn primary_level(f: &ContactFigures) -> Option<f64> {
    f.service_levels.first().and_then(|r| r.level).map(|l| l.percent())
}

/// Runs one replication and builds its report.
///
/// # Errors
/// [`ScenarioError`] when the scenario is invalid or the engine refuses it.
///
/// # Example
/// ```
/// use switchboard::sim::{Scenario, simulate};
///
/// let scenario = Scenario::single_queue(10, 150.0, 180.0, Some(120.0), 4);
/// let report = simulate(&scenario, 7).unwrap();
/// assert_eq!(report, simulate(&scenario, 7).unwrap(), "same seed, same report");
/// assert!(report.queues[0].figures.offered > 400);
/// ```
pub fn simulate(scenario: &Scenario, seed: u64) -> Result<SimReport, ScenarioError> {
    simulate_with(scenario, seed, &mut |_: &Event, _: &Engine| {})
}

/// Like [`simulate`], also passing every event to `observer` (a progress bar, a log).
///
/// # Errors
/// [`ScenarioError`] when the scenario is invalid, beyond a default limit
/// ([`SimLimits`](super::SimLimits)), runs out of steps, or the engine refuses it.
pub fn simulate_with(
    scenario: &Scenario,
    seed: u64,
    observer: &mut dyn super::run::Observer,
) -> Result<SimReport, ScenarioError> {
    run_report(scenario, seed, &RunOptions::default(), observer)
}

/// One run and its report under `options`: what [`simulate_with`] and
/// [`RunOptions::simulate_with`] do.
pub(crate) fn run_report(
    scenario: &Scenario,
    seed: u64,
    options: &RunOptions,
    observer: &mut dyn super::run::Observer,
) -> Result<SimReport, ScenarioError> {
    let sim = Simulation::with_options(scenario, seed, options)?;
    let (start, end) = (sim.start(), sim.end());
    let measured_from = start + Duration::from_secs(u64::from(scenario.warm_up_min) * 60);
    let mut collector = Collector::new(statistics(scenario)?, scenario, measured_from);
    let summary = {
        let mut both = |e: &Event, engine: &Engine| {
            super::run::Observer::observe(&mut collector, e, engine);
            observer.observe(e, engine);
        };
        sim.run(&mut both)
    };
    collector.stats.advance(end);
    while let Some(r) = collector.stats.poll_report() {
        collector.reports.push(r);
    }
    let max_steps = options.limits.max_steps;
    if let Some(at) = summary.stopped_at {
        return Err(ScenarioError::OutOfSteps { max_steps, at });
    }
    let erlang = ErlangBudget {
        // The first stream into each queue gives its handle time and patience.
        streams: scenario.arrivals.iter().rev().map(|a| (a.queue, a)).collect(),
        max_load: options.limits.max_agents as f64,
        steps_left: max_steps.saturating_sub(summary.steps),
        known: BTreeMap::new(),
    };
    build(scenario, seed, measured_from, end, &collector, summary, erlang)
        .map_err(|()| ScenarioError::OutOfSteps { max_steps, at: end })
}

/// Builds the report. `Err(())` when the Erlang searches would take more
/// steps than the run has left.
fn build(
    scenario: &Scenario,
    seed: u64,
    measured_from: Timestamp,
    end: Timestamp,
    c: &Collector,
    run: RunSummary,
    mut erlang: ErlangBudget<'_>,
) -> Result<SimReport, ()> {
    let measured: Vec<&IntervalReport> =
        c.reports.iter().filter(|r| r.start >= measured_from && r.end <= end).collect();
    let first_start = measured.first().map(|r| r.start);
    // Looked up once per row: linear searches here would make the report
    // quadratic in the number of queues.
    let specs: BTreeMap<u64, &QueueSpec> = scenario.queues.iter().rev().map(|q| (q.id, q)).collect();
    let members = Members::of(scenario);
    let target_of = |id: u64| specs.get(&id).copied();
    let mut intervals = Vec::new();
    // Totals in the order queues first appear; `slot` finds a queue's entry without a scan.
    let mut queue_totals: Vec<(QueueId, Totals)> = Vec::new();
    let mut slot: BTreeMap<QueueId, usize> = BTreeMap::new();
    for r in &measured {
        let first = Some(r.start) == first_start;
        let occupancy = members.occupancy(r);
        let staffing = members.staffing(r);
        for f in &r.queues {
            let Scope::Queue(qid) = f.scope else { continue };
            let spec = target_of(qid.0);
            let name = f.name.clone().unwrap_or_else(|| qid.to_string());
            let (counters, carried_in) = counted(f, first);
            let cohort = c.cohort(r.start, &f.scope);
            let mut figures = Figures::from_counters(&counters, carried_in, cohort);
            figures.service_level_pct = primary_level(f);
            // Erlang sizes for the traffic that arrived, not the backlog carried in.
            let erlang_agents = match spec {
                Some(q) => erlang.agents(scenario, q, f.counters.offered)?,
                None => None,
            };
            let staffed = staffing.get(&qid.0).copied().unwrap_or_default();
            intervals.push(IntervalRow {
                start: r.start.to_string(),
                queue: name.clone(),
                erlang_agents,
                figures,
                waiting_at_end: f.in_queue.waiting,
                staffed: f.agents.staffed,
                staffed_dedicated: staffed.dedicated,
                staffed_shared: staffed.shared,
                occupancy_pct: occupancy.get(&qid.0).and_then(AgentCounters::occupancy).map(|o| 100.0 * o),
            });
            match slot.get(&qid) {
                Some(&k) => queue_totals[k].1.add(&counters, carried_in, cohort),
                None => {
                    slot.insert(qid, queue_totals.len());
                    queue_totals.push((qid, Totals { name, counters, carried_in, cohort }));
                }
            }
        }
    }
    let backlog = Backlog::of(scenario);
    let queues = queue_totals
        .iter()
        .map(|(qid, t)| {
            let spec = target_of(qid.0);
            let mut figures = Figures::from_counters(&t.counters, t.carried_in, t.cohort);
            figures.service_level_pct = spec.and_then(|q| {
                let target = ServiceLevelTarget::new(q.sla.percent, Duration::from_secs(q.sla.secs));
                ServiceLevelDefinition::new(ServiceLevelFormula::OfOffered, target)
                    .level(&t.counters.service_level)
                    .map(|l| l.percent())
            });
            SummaryRow {
                name: t.name.clone(),
                target: spec.map_or_else(String::new, |q| format!("{}% in {}s", q.sla.percent, q.sla.secs)),
                target_pct: spec.map(|q| f64::from(q.sla.percent)),
                deferrable: spec.is_some_and(|q| !q.channels.iter().copied().any(real_time)),
                backlog: backlog.queues.get(&qid.0).copied().unwrap_or(0),
                figures,
            }
        })
        .collect();
    let mut channel_totals: Vec<(Channel, Totals)> = Vec::new();
    for r in &measured {
        let first = Some(r.start) == first_start;
        for f in &r.channels {
            let Scope::Channel(ch) = f.scope else { continue };
            let (counters, carried_in) = counted(f, first);
            let cohort = c.cohort(r.start, &f.scope);
            match channel_totals.iter_mut().find(|t| t.0 == ch) {
                Some(t) => t.1.add(&counters, carried_in, cohort),
                None => channel_totals.push((ch, Totals { name: ch.to_string(), counters, carried_in, cohort })),
            }
        }
    }
    let channels = channel_totals
        .into_iter()
        .map(|(ch, t)| SummaryRow {
            figures: Figures::from_counters(&t.counters, t.carried_in, t.cohort),
            name: t.name,
            target: String::new(),
            target_pct: None,
            deferrable: !real_time(ch),
            backlog: backlog.channels.get(&ch).copied().unwrap_or(0),
        })
        .collect();
    let mut agents = AgentCounters::default();
    for r in &measured {
        for a in &r.agents {
            agents.merge(&a.counters);
        }
    }
    Ok(SimReport {
        scenario: scenario.name.clone(),
        seed,
        measured_from,
        end,
        queues,
        channels,
        intervals,
        occupancy_pct: agents.occupancy().map(|o| 100.0 * o),
        interactions_arrived: run.arrived,
        open_at_end: run.open_at_end,
        arrivals_refused: run.refused_arrivals,
        repeat_contacts: run.repeat_contacts,
        case_owner_offers: run.case_owner_offers,
        callbacks_taken: run.callbacks_taken,
        rescinded_offers: run.rescinded_offers,
    })
}

/// True for a channel the engine treats as real-time (voice, chat, …) by default, as the simulator configures it.
fn real_time(channel: Channel) -> bool {
    crate::config::EngineConfig::default().channel_mode(channel) == Some(ChannelMode::RealTime)
}

/// A row's counters, with the contacts already in queue when the measured
/// period began counted as offered in its first interval: they are answered
/// or abandoned in it, and would otherwise make answered exceed offered.
fn counted(f: &ContactFigures, first_measured: bool) -> (ContactCounters, u64) {
    let mut counters = f.counters.clone();
    let carried_in = if first_measured { f.in_queue.at_interval_start } else { 0 };
    counters.offered = counters.offered.saturating_add(carried_in);
    (counters, carried_in)
}

/// A queue's or channel's counts summed over the measured intervals.
struct Totals {
    name: String,
    counters: ContactCounters,
    carried_in: u64,
    cohort: Cohort,
}

impl Totals {
    fn add(&mut self, counters: &ContactCounters, carried_in: u64, cohort: Cohort) {
        self.counters.merge(counters);
        self.carried_in = self.carried_in.saturating_add(carried_in);
        self.cohort.add(cohort);
    }
}

/// The scenario's backlog ([`ArrivalSpec::backlog`]) per queue and per channel.
struct Backlog {
    queues: BTreeMap<u64, u64>,
    channels: BTreeMap<Channel, u64>,
}

impl Backlog {
    fn of(scenario: &Scenario) -> Backlog {
        let mut backlog = Backlog { queues: BTreeMap::new(), channels: BTreeMap::new() };
        for a in scenario.arrivals.iter().filter(|a| a.backlog > 0) {
            let n = u64::from(a.backlog);
            *backlog.queues.entry(a.queue).or_default() += n;
            *backlog.channels.entry(a.channel).or_default() += n;
        }
        backlog
    }
}

/// Agents logged in and serving one queue, split by whether it is their only one.
#[derive(Clone, Copy, Debug, Default)]
struct Staffed {
    dedicated: u64,
    shared: u64,
}

/// Which agents serve which queue, for the occupancy and the staffing of
/// each queue.
///
/// Agents are numbered group by group, in scenario order, from 1 (see
/// `Simulation::new`). Per interval, each agent's counters go to its group
/// (a binary search), then each group's to the queues it serves: linear in
/// agents and memberships, where testing every agent against every queue
/// would multiply them.
struct Members {
    /// The first agent id of each group that has agents, ascending, and the group's index.
    firsts: Vec<(u64, usize)>,
    /// One past the last agent id.
    end: u64,
    /// The distinct queues each group serves: dedicated to the queue when it
    /// is the only one ([`IntervalRow::staffed_dedicated`]).
    queues: Vec<Vec<u64>>,
}

impl Members {
    fn of(scenario: &Scenario) -> Members {
        let mut firsts = Vec::new();
        let mut next = 1u64;
        for (k, g) in scenario.agent_groups.iter().enumerate() {
            if g.count > 0 {
                firsts.push((next, k));
            }
            next = next.saturating_add(u64::from(g.count));
        }
        let queues = scenario
            .agent_groups
            .iter()
            .map(|g| {
                let mut q: Vec<u64> = g.queues.iter().map(|m| m.queue).collect();
                q.sort_unstable();
                q.dedup();
                q
            })
            .collect();
        Members { firsts, end: next, queues }
    }

    /// The group of agent `id`, if a scenario group made it.
    fn group_of(&self, id: u64) -> Option<usize> {
        if id == 0 || id >= self.end {
            return None;
        }
        // The last group starting at or before `id`.
        let k = self.firsts.partition_point(|(first, _)| *first <= id);
        k.checked_sub(1).and_then(|k| self.firsts.get(k)).map(|&(_, group)| group)
    }

    /// The counters of each queue's member agents in one interval.
    fn occupancy(&self, r: &IntervalReport) -> BTreeMap<u64, AgentCounters> {
        let mut groups: BTreeMap<usize, AgentCounters> = BTreeMap::new();
        for a in &r.agents {
            if let Some(group) = self.group_of(a.agent.0) {
                groups.entry(group).or_default().merge(&a.counters);
            }
        }
        let mut queues: BTreeMap<u64, AgentCounters> = BTreeMap::new();
        for (group, counters) in &groups {
            for q in &self.queues[*group] {
                queues.entry(*q).or_default().merge(counters);
            }
        }
        queues
    }

    /// Each queue's member agents logged in at the end of one interval,
    /// dedicated and shared.
    fn staffing(&self, r: &IntervalReport) -> BTreeMap<u64, Staffed> {
        let mut groups: BTreeMap<usize, u64> = BTreeMap::new();
        for a in r.agents.iter().filter(|a| a.presence != Presence::Offline) {
            if let Some(group) = self.group_of(a.agent.0) {
                *groups.entry(group).or_default() += 1;
            }
        }
        let mut queues: BTreeMap<u64, Staffed> = BTreeMap::new();
        for (group, logged_in) in &groups {
            let served = &self.queues[*group];
            for q in served {
                let staffed = queues.entry(*q).or_default();
                let slot = if served.len() == 1 { &mut staffed.dedicated } else { &mut staffed.shared };
                *slot = slot.saturating_add(*logged_in);
            }
        }
        queues
    }
}

/// Erlang staffing searches for the report, bounded: each costs about as
/// many steps as the agents it tries (the offered load plus a margin), so
/// they are charged to what is left of [`SimLimits::max_steps`](super::SimLimits::max_steps),
/// remembered per queue and count offered (many intervals share one), and
/// left out beyond [`SimLimits::max_agents`](super::SimLimits::max_agents) Erlangs.
struct ErlangBudget<'s> {
    streams: BTreeMap<u64, &'s ArrivalSpec>,
    max_load: f64,
    steps_left: u64,
    known: BTreeMap<(u64, u64), Option<u32>>,
}

impl ErlangBudget<'_> {
    /// Agents Erlang recommends for a real-time queue that was offered
    /// `offered` interactions in one report interval, from the scenario's mean
    /// handle time (plus wrap-up) and patience. `Err(())` when the search
    /// would take more steps than are left.
    fn agents(&mut self, scenario: &Scenario, q: &QueueSpec, offered: u64) -> Result<Option<u32>, ()> {
        if let Some(known) = self.known.get(&(q.id, offered)) {
            return Ok(*known);
        }
        let Some(stream) = self.streams.get(&q.id).copied() else { return Ok(None) };
        if crate::config::EngineConfig::default().channel_mode(stream.channel) != Some(ChannelMode::RealTime) {
            return Ok(None);
        }
        let per_hour = offered as f64 * 60.0 / f64::from(scenario.interval_min);
        let aht = stream.handle.mean() + q.wrap_up_secs as f64;
        let load = per_hour * aht / 3_600.0;
        let agents = if load > self.max_load {
            None
        } else {
            // The staffing search's bound on the agents it tries (`search_limit` in `staffing`).
            let cost = (load + 10.0 * load.sqrt() + 100.0).ceil() as u64;
            self.steps_left = self.steps_left.checked_sub(cost).ok_or(())?;
            let target = ServiceTarget::new(f64::from(q.sla.percent) / 100.0, Duration::from_secs(q.sla.secs));
            // The means as spans, to the nanosecond. One that is no span (NaN,
            // negative, beyond `Duration::MAX`) leaves the recommendation out,
            // as the search's own error for an invalid mean would.
            let span = |secs: f64| Duration::try_from_secs_f64(secs).ok();
            match (span(aht), &stream.patience) {
                (None, _) => None,
                (Some(aht), Some(p)) => {
                    span(p.mean()).and_then(|p| ErlangA::agents_for_service_level(per_hour, aht, p, &target).ok())
                }
                (Some(aht), None) => ErlangC::agents_for_service_level(per_hour, aht, &target).ok(),
            }
        };
        self.known.insert((q.id, offered), agents);
        Ok(agents)
    }
}

/// How to read the tables, printed under them: each column that is not
/// self-explanatory, and which interval counts what.
const LEGEND: &str = "
How to read it
  offered    contacts that entered, in the interval they entered (the first measured interval also counts
             those already waiting when it began); answered, abandoned, SL % and ASA count each answer or
             abandon in the interval it happened, so an interval may answer more than it was offered.
  aband %    abandoned / offered.
  SL %       answered within the target / contacts whose wait ended: answered, abandoned or moved to
             another queue (those ended by a closed queue or a queue rule are left out).
  P(wait)%   customers who did not reach an agent at once (Erlang C's probability of waiting), of those
             answered or abandoned: an abandon waited, and an answer waited unless the offer it took was made
             the instant the customer entered. Counted by arrival: an interval's P(wait) is about the customers
             who entered in it, whenever they were answered.
  dedicated  agents logged in at the interval's end who serve only this queue; shared: those who also
             serve others (e-mail included: an agent on an e-mail cannot take a call), counted in each.
  Erlang     agents Erlang C (Erlang A when customers abandon) needs for the interval's arrivals and the
             target, if they served only this queue: compare with dedicated plus the shared agents' part.
";

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map_or_else(|| "—".to_string(), |v| format!("{v:.decimals$}"))
}

impl SimReport {
    /// One line naming the queues whose `count` is not zero, with it; none when all are.
    fn write_endings(&self, out: &mut String, what: &str, count: impl Fn(&SummaryRow) -> u64) {
        let by_queue: Vec<String> =
            self.queues.iter().filter(|q| count(q) > 0).map(|q| format!("{} {}", q.name, count(q))).collect();
        if !by_queue.is_empty() {
            let _ = writeln!(out, "{what}: {}\n", by_queue.join(", "));
        }
    }

    /// The report as readable terminal tables.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ =
            writeln!(out, "{} — seed {}, measured {} to {}", self.scenario, self.seed, self.measured_from, self.end);
        let _ = writeln!(
            out,
            "{} interactions arrived, {} still open at the end, agent occupancy {}%\n",
            self.interactions_arrived,
            self.open_at_end,
            opt(self.occupancy_pct, 1)
        );
        if self.arrivals_refused > 0 {
            let _ = writeln!(out, "{} arrivals refused by the engine (full queue or limit)\n", self.arrivals_refused);
        }
        // Only when callers took callbacks, so that reports of scenarios without them read as before.
        if self.callbacks_taken > 0 {
            let _ = writeln!(
                out,
                "{} callers took a callback, kept their place in line, and hung up instead of waiting\n",
                self.callbacks_taken
            );
        }
        // Only when queues rang several agents at once, so that other reports read as before.
        if self.rescinded_offers > 0 {
            let _ = writeln!(
                out,
                "{} ring-all offers withdrawn because another agent answered first\n",
                self.rescinded_offers
            );
        }
        // Only when customers came back, so that reports of scenarios without repeats read as before.
        if self.repeat_contacts > 0 {
            let _ = writeln!(
                out,
                "{} repeat contacts about a case; {} offers made to the case's owner while the contact waited for them\n",
                self.repeat_contacts, self.case_owner_offers
            );
        }
        // Each only when a queue ended someone that way, so that reports of
        // scenarios without business hours or queue rules read as before.
        self.write_endings(&mut out, "Ended because the queue was closed", |q| q.figures.closed);
        self.write_endings(&mut out, "Ended by a queue rule (diverted)", |q| q.figures.diverted);
        self.write_endings(&mut out, "Backlog waiting at the start of the period", |q| q.backlog);
        self.write_endings(
            &mut out,
            "Waiting when the measured period began, counted as offered in its first interval",
            |q| q.figures.carried_in,
        );
        self.write_summary_tables(&mut out);
        self.write_interval_table(&mut out);
        out.push_str(LEGEND);
        out
    }

    /// The queues' and channels' tables over the measured period.
    fn write_summary_tables(&self, out: &mut String) {
        let header = format!(
            "{:<24} {:>12} {:>8} {:>8} {:>6} {:>7} {:>7} {:>8} {:>8} {:>8} {:>9} {:>7}",
            "",
            "target",
            "offered",
            "answered",
            "aband",
            "aband %",
            "SL %",
            "ASA s",
            "P(wait)%",
            "avg wait",
            "longest s",
            "AHT s"
        );
        for (title, rows) in [("Queues", &self.queues), ("Channels", &self.channels)] {
            let _ = writeln!(out, "{title}\n{header}");
            for r in rows {
                let f = &r.figures;
                let _ = writeln!(
                    out,
                    "{:<24} {:>12} {:>8} {:>8} {:>6} {:>7} {:>7} {:>8} {:>8} {:>8} {:>9.0} {:>7}",
                    r.name,
                    r.target,
                    f.offered,
                    f.answered,
                    f.abandoned,
                    opt(f.abandon_pct, 1),
                    opt(f.service_level_pct, 1),
                    opt(f.asa_secs, 1),
                    opt(f.prob_wait_pct, 1),
                    opt(f.avg_wait_secs, 1),
                    f.longest_wait_secs,
                    opt(f.aht_secs, 0)
                );
            }
            let _ = writeln!(out);
        }
    }

    /// One row per queue and interval.
    fn write_interval_table(&self, out: &mut String) {
        let _ = writeln!(out, "Intervals");
        let _ = writeln!(
            out,
            "{:<17} {:<24} {:>8} {:>8} {:>6} {:>7} {:>7} {:>8} {:>8} {:>8} {:>9} {:>6} {:>6} {:>6}",
            "start (UTC)",
            "queue",
            "offered",
            "answered",
            "aband",
            "aband %",
            "SL %",
            "ASA s",
            "P(wait)%",
            "waiting",
            "dedicated",
            "shared",
            "Erlang",
            "occ %"
        );
        for r in &self.intervals {
            let f = &r.figures;
            let _ = writeln!(
                out,
                "{:<17} {:<24} {:>8} {:>8} {:>6} {:>7} {:>7} {:>8} {:>8} {:>8} {:>9} {:>6} {:>6} {:>6}",
                r.start.get(..16).unwrap_or(&r.start),
                r.queue,
                f.offered,
                f.answered,
                f.abandoned,
                opt(f.abandon_pct, 1),
                opt(f.service_level_pct, 1),
                opt(f.asa_secs, 1),
                opt(f.prob_wait_pct, 1),
                r.waiting_at_end,
                r.staffed_dedicated,
                r.staffed_shared,
                r.erlang_agents.map_or_else(|| "—".to_string(), |n| n.to_string()),
                opt(r.occupancy_pct, 0)
            );
        }
    }

    /// The report as pretty JSON (the same seed gives the same bytes).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports contain only serialisable data")
    }

    /// The interval rows as CSV.
    ///
    /// # Errors
    /// A CSV error if writing fails (it does not for in-memory output).
    pub fn intervals_csv(&self) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "start",
            "queue",
            "offered",
            "carried_in",
            "answered",
            "abandoned",
            "abandon_pct",
            "service_level_pct",
            "asa_secs",
            "prob_wait_pct",
            "avg_wait_secs",
            "longest_wait_secs",
            "aht_secs",
            "waiting_at_end",
            "staffed",
            "staffed_dedicated",
            "staffed_shared",
            "erlang_agents",
            "occupancy_pct",
        ])?;
        let o = |x: Option<f64>| x.map_or_else(String::new, |v| format!("{v:.3}"));
        for r in &self.intervals {
            let f = &r.figures;
            w.write_record([
                r.start.clone(),
                r.queue.clone(),
                f.offered.to_string(),
                f.carried_in.to_string(),
                f.answered.to_string(),
                f.abandoned.to_string(),
                o(f.abandon_pct),
                o(f.service_level_pct),
                o(f.asa_secs),
                o(f.prob_wait_pct),
                o(f.avg_wait_secs),
                format!("{:.3}", f.longest_wait_secs),
                o(f.aht_secs),
                r.waiting_at_end.to_string(),
                r.staffed.to_string(),
                r.staffed_dedicated.to_string(),
                r.staffed_shared.to_string(),
                r.erlang_agents.map_or_else(String::new, |n| n.to_string()),
                o(r.occupancy_pct),
            ])?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_never_wait_less_than_nobody() {
        assert_eq!(Cohort::default().prob_wait_pct(), None);
        assert_eq!(Cohort { ended: 4, at_once: 1 }.prob_wait_pct(), Some(75.0));
        // More at once than ended cannot happen; if it did, P(wait) would be 0, not negative.
        assert_eq!(Cohort { ended: 1, at_once: 2 }.prob_wait_pct(), Some(0.0));
    }
}
