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
use crate::ids::{InteractionId, QueueId};
use crate::model::channel::ChannelMode;
use crate::sla::{ServiceLevelDefinition, ServiceLevelFormula, ServiceLevelTarget};
use crate::staffing::{ErlangA, ErlangC, ServiceTarget};
use crate::stats::{
    AgentCounters, ContactCounters, ContactFigures, IntervalLength, IntervalReport, QueueMeasurement, Scope,
    Statistics, StatsConfig,
};
use crate::time::Timestamp;

/// The figures of one queue or channel over a span of time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Interactions that entered.
    pub offered: u64,
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
    /// Share of customers who had to wait at all, percent.
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
    fn from_counters(c: &ContactCounters, answered_at_once: u64) -> Figures {
        let pct = |num: u64, den: u64| (den > 0).then(|| 100.0 * num as f64 / den as f64);
        let left = c.answered + c.abandoned + c.short_abandoned;
        Figures {
            offered: c.offered,
            answered: c.answered,
            abandoned: c.abandoned + c.short_abandoned,
            closed: c.closed,
            diverted: c.diverted,
            service_level_pct: None,
            asa_secs: c.average_speed_of_answer().map(|d| d.as_secs_f64()),
            prob_wait_pct: pct(left.saturating_sub(answered_at_once), left),
            avg_wait_secs: (left > 0).then(|| (c.answer_wait_ms + c.abandon_wait_ms) as f64 / 1000.0 / left as f64),
            longest_wait_secs: c.longest_wait_ms as f64 / 1000.0,
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
    /// Agents logged in and serving the queue at the interval's end.
    pub staffed: u64,
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

/// Feeds a run's events to [`Statistics`] and keeps the interval reports.
///
/// It also counts, per queue and interval of arrival, the customers
/// offered to an agent the moment they arrived: the probability of waiting
/// is one minus their share, as in Erlang C (finding an agent free), not
/// counting the seconds an offer rings.
struct Collector {
    stats: Statistics<FixedOffset>,
    reports: Vec<IntervalReport>,
    start: Timestamp,
    interval_ms: i64,
    arrived: BTreeMap<InteractionId, Timestamp>,
    at_once: BTreeMap<(i64, QueueId), u64>,
}

impl Collector {
    fn interval_of(&self, t: Timestamp) -> i64 {
        t.millis_since(self.start).div_euclid(self.interval_ms)
    }
}

impl super::run::Observer for Collector {
    fn observe(&mut self, event: &Event, engine: &Engine) {
        self.stats.observe(event, engine);
        while let Some(r) = self.stats.poll_report() {
            self.reports.push(r);
        }
        match &event.kind {
            EventKind::InteractionArrived { interaction, .. } => {
                self.arrived.insert(*interaction, event.at);
            }
            EventKind::InteractionOffered(offer) => {
                let arrived = self.arrived.remove(&offer.interaction);
                if arrived == Some(event.at) {
                    *self.at_once.entry((self.interval_of(event.at), offer.queue)).or_default() += 1;
                }
            }
            EventKind::InteractionEnded { interaction, .. } => {
                self.arrived.remove(interaction);
            }
            _ => {}
        }
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
    let mut collector = Collector {
        stats: statistics(scenario)?,
        reports: Vec::new(),
        start,
        interval_ms: i64::from(scenario.interval_min) * 60_000,
        arrived: BTreeMap::new(),
        at_once: BTreeMap::new(),
    };
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
    let measured_from = start + Duration::from_secs(u64::from(scenario.warm_up_min) * 60);
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
    // Looked up once per row: linear searches here would make the report
    // quadratic in the number of queues.
    let specs: BTreeMap<u64, &QueueSpec> = scenario.queues.iter().rev().map(|q| (q.id, q)).collect();
    let members = Members::of(scenario);
    let at_once = |r: &IntervalReport, f: &ContactFigures| match f.scope {
        Scope::Queue(q) => c.at_once.get(&(c.interval_of(r.start), q)).copied().unwrap_or(0),
        _ => 0,
    };
    let target_of = |id: u64| specs.get(&id).copied();
    let mut intervals = Vec::new();
    // Totals in the order queues first appear; `slot` finds a queue's entry without a scan.
    let mut queue_totals: Vec<(QueueId, String, ContactCounters, u64)> = Vec::new();
    let mut slot: BTreeMap<QueueId, usize> = BTreeMap::new();
    for r in &measured {
        let occupancy = members.occupancy(r);
        for f in &r.queues {
            let Scope::Queue(qid) = f.scope else { continue };
            let spec = target_of(qid.0);
            let name = f.name.clone().unwrap_or_else(|| qid.to_string());
            let mut figures = Figures::from_counters(&f.counters, at_once(r, f));
            figures.service_level_pct = primary_level(f);
            let erlang_agents = match spec {
                Some(q) => erlang.agents(scenario, q, f.counters.offered)?,
                None => None,
            };
            intervals.push(IntervalRow {
                start: r.start.to_string(),
                queue: name.clone(),
                erlang_agents,
                figures,
                waiting_at_end: f.in_queue.waiting,
                staffed: f.agents.staffed,
                occupancy_pct: occupancy.get(&qid.0).and_then(AgentCounters::occupancy).map(|o| 100.0 * o),
            });
            match slot.get(&qid) {
                Some(&k) => {
                    let t = &mut queue_totals[k];
                    t.2.merge(&f.counters);
                    t.3 += at_once(r, f);
                }
                None => {
                    slot.insert(qid, queue_totals.len());
                    queue_totals.push((qid, name, f.counters.clone(), at_once(r, f)));
                }
            }
        }
    }
    let queues = queue_totals
        .iter()
        .map(|(qid, name, c, once)| {
            let spec = target_of(qid.0);
            let mut figures = Figures::from_counters(c, *once);
            figures.service_level_pct = spec.and_then(|q| {
                let target = ServiceLevelTarget::new(q.sla.percent, Duration::from_secs(q.sla.secs));
                ServiceLevelDefinition::new(ServiceLevelFormula::OfOffered, target)
                    .level(&c.service_level)
                    .map(|l| l.percent())
            });
            SummaryRow {
                name: name.clone(),
                target: spec.map_or_else(String::new, |q| format!("{}% in {}s", q.sla.percent, q.sla.secs)),
                figures,
            }
        })
        .collect();
    let mut channel_totals: Vec<(String, ContactCounters)> = Vec::new();
    for r in &measured {
        for f in &r.channels {
            let Scope::Channel(ch) = f.scope else { continue };
            match channel_totals.iter_mut().find(|t| t.0 == ch.to_string()) {
                Some(t) => t.1.merge(&f.counters),
                None => channel_totals.push((ch.to_string(), f.counters.clone())),
            }
        }
    }
    let channels = channel_totals
        .into_iter()
        .map(|(name, c)| {
            let mut figures = Figures::from_counters(&c, 0);
            figures.prob_wait_pct = None;
            SummaryRow { name, target: String::new(), figures }
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

/// Which agents serve which queue, for the occupancy of each queue's agents.
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
    /// The distinct queues each group serves.
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

    /// The counters of each queue's member agents in one interval.
    fn occupancy(&self, r: &IntervalReport) -> BTreeMap<u64, AgentCounters> {
        let mut groups: BTreeMap<usize, AgentCounters> = BTreeMap::new();
        for a in &r.agents {
            let id = a.agent.0;
            if id == 0 || id >= self.end {
                continue;
            }
            // The last group starting at or before `id`.
            let k = self.firsts.partition_point(|(first, _)| *first <= id);
            if let Some(&(_, group)) = k.checked_sub(1).and_then(|k| self.firsts.get(k)) {
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
            let target = ServiceTarget::new(f64::from(q.sla.percent) / 100.0, q.sla.secs as f64);
            match &stream.patience {
                Some(p) => ErlangA::agents_for_service_level(per_hour, aht, p.mean(), &target).ok(),
                None => ErlangC::agents_for_service_level(per_hour, aht, &target).ok(),
            }
        };
        self.known.insert((q.id, offered), agents);
        Ok(agents)
    }
}

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
        let header = format!(
            "{:<24} {:>12} {:>8} {:>8} {:>6} {:>7} {:>8} {:>8} {:>8} {:>9} {:>7}",
            "", "target", "offered", "answered", "aband", "SL %", "ASA s", "P(wait)%", "avg wait", "longest s", "AHT s"
        );
        for (title, rows) in [("Queues", &self.queues), ("Channels", &self.channels)] {
            let _ = writeln!(out, "{title}\n{header}");
            for r in rows {
                let f = &r.figures;
                let _ = writeln!(
                    out,
                    "{:<24} {:>12} {:>8} {:>8} {:>6} {:>7} {:>8} {:>8} {:>8} {:>9.0} {:>7}",
                    r.name,
                    r.target,
                    f.offered,
                    f.answered,
                    f.abandoned,
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
        let _ = writeln!(out, "Intervals");
        let _ = writeln!(
            out,
            "{:<17} {:<24} {:>8} {:>8} {:>6} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6}",
            "start (UTC)",
            "queue",
            "offered",
            "answered",
            "aband",
            "SL %",
            "ASA s",
            "P(wait)%",
            "waiting",
            "staffed",
            "Erlang",
            "occ %"
        );
        for r in &self.intervals {
            let f = &r.figures;
            let _ = writeln!(
                out,
                "{:<17} {:<24} {:>8} {:>8} {:>6} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>6}",
                r.start.get(..16).unwrap_or(&r.start),
                r.queue,
                f.offered,
                f.answered,
                f.abandoned,
                opt(f.service_level_pct, 1),
                opt(f.asa_secs, 1),
                opt(f.prob_wait_pct, 1),
                r.waiting_at_end,
                r.staffed,
                r.erlang_agents.map_or_else(|| "—".to_string(), |n| n.to_string()),
                opt(r.occupancy_pct, 0)
            );
        }
        out
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
            "answered",
            "abandoned",
            "service_level_pct",
            "asa_secs",
            "prob_wait_pct",
            "avg_wait_secs",
            "longest_wait_secs",
            "aht_secs",
            "waiting_at_end",
            "staffed",
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
                f.answered.to_string(),
                f.abandoned.to_string(),
                o(f.service_level_pct),
                o(f.asa_secs),
                o(f.prob_wait_pct),
                o(f.avg_wait_secs),
                format!("{:.3}", f.longest_wait_secs),
                o(f.aht_secs),
                r.waiting_at_end.to_string(),
                r.staffed.to_string(),
                r.erlang_agents.map_or_else(String::new, |n| n.to_string()),
                o(r.occupancy_pct),
            ])?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8"))
    }
}
