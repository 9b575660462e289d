//! Guards against the engine's known bugs, used only in [`Mode::Guarded`](crate::harness::Mode).
//!
//! Each guard names an open bug ([`Bug`]). With the guards on, the harness skips inputs that
//! would hit them, so a fuzzing run looks for new bugs instead of rediscovering known ones.
//! Every bug has reproducers under `fuzz/regressions/`; delete its guard once it is fixed and
//! they replay clean.

use std::fmt;
use std::time::Duration;

use serde_json::Value;
use switchboard::sim::Scenario;
use switchboard::{Command, Engine, EngineConfig, Timestamp};

/// A known, reported engine bug that a guard steers around.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bug {
    /// An offer timeout under a millisecond rounds to 0 ms: the offer expires the instant it
    /// is made and `handle_timeout` re-offers forever.
    SubMillisecondOfferTimeout,
    /// Near `i64::MAX` the saturating time arithmetic makes deadlines equal `now`, and
    /// `handle_timeout` loops.
    TimeNearEnd,
    /// A snapshot's counters near `u64::MAX` overflow on the next id.
    HugeSnapshotNumber,
    /// The scenario loader accepts any size: a large backlog, rate, head count or horizon runs
    /// (next to) forever.
    HugeScenario,
    /// `Engine::restore` accepts states no run of commands can reach: an interaction that
    /// arrived after `now`, a timer already overdue at `now`, an offer whose expiry is not its
    /// timer's due time (see `check_time` in `run.rs`).
    ImpossibleRestore,
    /// Found by these fuzzers: a break whose start, stagger and duration add up past
    /// `u32::MAX` minutes overflows in `Simulation::new` (src/sim/run.rs:211-212).
    BreakOverflow,
    /// Found by these fuzzers: a positive arrival rate so small that the next arrival is
    /// beyond `i64::MAX` ms overflows in `schedule_next_arrival` (src/sim/run.rs:251).
    TinyArrivalRate,
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bug::SubMillisecondOfferTimeout => "sub-millisecond offer timeout",
            Bug::TimeNearEnd => "time near the end of i64",
            Bug::HugeSnapshotNumber => "snapshot number near u64::MAX",
            Bug::HugeScenario => "huge scenario",
            Bug::ImpossibleRestore => "restore accepts an impossible state",
            Bug::BreakOverflow => "scenario break past u32::MAX minutes",
            Bug::TinyArrivalRate => "tiny positive arrival rate",
        })
    }
}

/// Times beyond ±2^52 ms (about 140,000 years) are skipped.
pub const TIME_LIMIT_MS: i64 = 1 << 52;
/// Offer timeouts under this are skipped.
pub const SMALLEST_OFFER_TIMEOUT: Duration = Duration::from_millis(1);
/// Integers in a snapshot beyond ±2^62 are skipped.
pub const SNAPSHOT_NUMBER_LIMIT: u64 = 1 << 62;

fn ensure(ok: bool, bug: Bug) -> Result<(), Bug> {
    if ok { Ok(()) } else { Err(bug) }
}

/// A time far enough from the ends of `i64`.
pub fn time(t: Timestamp) -> Result<(), Bug> {
    ensure(t.as_millis().unsigned_abs() <= TIME_LIMIT_MS as u64, Bug::TimeNearEnd)
}

fn offer_timeout(d: Duration) -> Result<(), Bug> {
    ensure(d >= SMALLEST_OFFER_TIMEOUT, Bug::SubMillisecondOfferTimeout)
}

/// A command at a time that hits no known bug.
pub fn command(now: Timestamp, command: &Command) -> Result<(), Bug> {
    time(now)?;
    match command {
        Command::AddQueue(q) => q.offer_timeout.map_or(Ok(()), offer_timeout),
        _ => Ok(()),
    }
}

/// A configuration that hits no known bug.
pub fn config(config: &EngineConfig) -> Result<(), Bug> {
    offer_timeout(config.offer_timeout())
}

/// A restored engine that hits no known bug.
pub fn engine(engine: &Engine) -> Result<(), Bug> {
    config(engine.config())?;
    for q in engine.queues() {
        q.offer_timeout.map_or(Ok(()), offer_timeout)?;
    }
    engine.now().map_or(Ok(()), time)
}

/// A snapshot (as JSON) whose integers are all far from the ends of `u64` and `i64`.
pub fn snapshot_json(value: &Value) -> Result<(), Bug> {
    match value {
        Value::Number(n) => ensure(
            n.as_u64().is_none_or(|u| u <= SNAPSHOT_NUMBER_LIMIT)
                && n.as_i64().is_none_or(|i| i.unsigned_abs() <= SNAPSHOT_NUMBER_LIMIT),
            Bug::HugeSnapshotNumber,
        ),
        Value::Array(items) => items.iter().try_for_each(snapshot_json),
        Value::Object(fields) => fields.values().try_for_each(snapshot_json),
        _ => Ok(()),
    }
}

/// Scenarios longer than this are skipped.
pub const SCENARIO_MAX_MINUTES: u32 = 1_440;
/// Most agents in a guarded scenario.
pub const SCENARIO_MAX_AGENTS: u64 = 50;
/// Most interactions (backlog plus expected arrivals at the peak rate) in a guarded scenario.
pub const SCENARIO_MAX_INTERACTIONS: f64 = 5_000.0;

/// A scenario small enough to run in well under a second.
pub fn scenario(s: &Scenario) -> Result<(), Bug> {
    let hours = f64::from(s.duration_min) / 60.0;
    let agents: u64 = s.agent_groups.iter().map(|g| u64::from(g.count)).sum();
    let breaks: u64 = s.agent_groups.iter().map(|g| u64::from(g.count) * g.breaks.len() as u64).sum();
    let interactions: f64 =
        s.arrivals.iter().map(|a| f64::from(a.backlog) + a.per_hour.iter().copied().fold(0.0, f64::max) * hours).sum();
    ensure(
        s.duration_min <= SCENARIO_MAX_MINUTES
            && agents <= SCENARIO_MAX_AGENTS
            && breaks <= 10 * SCENARIO_MAX_AGENTS
            && interactions <= SCENARIO_MAX_INTERACTIONS,
        Bug::HugeScenario,
    )?;
    offer_timeout(Duration::from_secs(s.offer_timeout_secs))?;
    time(Timestamp::from(s.start))?;
    let break_end = |b: &switchboard::sim::BreakSpec| {
        u64::from(b.start_min) + u64::from(b.stagger_min) * u64::from(b.stagger_groups) + u64::from(b.duration_min)
    };
    ensure(
        s.agent_groups.iter().flat_map(|g| &g.breaks).all(|b| break_end(b) <= u64::from(u32::MAX)),
        Bug::BreakOverflow,
    )?;
    ensure(s.arrivals.iter().flat_map(|a| &a.per_hour).all(|r| *r == 0.0 || *r >= 1e-6), Bug::TinyArrivalRate)
}
