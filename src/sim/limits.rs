//! How much work a scenario may ask for, and the options a run takes.
//!
//! A scenario is data, often from a file someone else wrote: a backlog of
//! four billion, a rate of a hundred million calls an hour or a horizon of
//! eight thousand years are all valid JSON. Each would run until killed or
//! exhaust memory. [`SimLimits`] bounds the work a run may take; the
//! simulator computes each figure from the scenario *before* running and
//! refuses a scenario beyond a limit with
//! [`ScenarioError::OverLimit`](super::ScenarioError::OverLimit), naming the
//! field, the figure and the limit to raise. The defaults are generous for a
//! real center (a month, half a million contacts, 20,000 agents) and keep any
//! accepted scenario to a few seconds in a release build; raise a limit
//! explicitly for a bigger study.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::compare::{Comparison, Replications, WhatIf};
use super::report::SimReport;
use super::run::{Observer, Simulation};
use super::scenario::{Scenario, ScenarioError};

/// Bounds on the work one simulation run may take.
///
/// Every figure is computed from the scenario before the run starts, except
/// [`max_steps`](SimLimits::max_steps), the run-time backstop for work no
/// figure predicts (offers missed over and over, say). Fields can be set one
/// by one (`limits.max_arrivals = 5_000_000`); [`SimLimits::scaled`] raises
/// them all at once.
///
/// # Example
/// ```
/// use switchboard::sim::{RunOptions, Scenario, ScenarioError, SimLimit, SimLimits};
///
/// // A year of a busy queue: more than the default horizon allows.
/// let year = Scenario::single_queue(10, 150.0, 180.0, None, 24 * 365);
/// let err = year.check_limits(&SimLimits::default()).unwrap_err();
/// assert!(matches!(err, ScenarioError::OverLimit { limit: SimLimit::DurationMin, .. }));
/// assert!(err.to_string().contains("raise SimLimits::max_duration_min"));
///
/// // Raised explicitly, it is accepted (and would run for a while).
/// let mut limits = SimLimits::default();
/// limits.max_duration_min = 24 * 60 * 366;
/// limits.max_arrivals = 2_000_000;
/// limits.max_steps = 50_000_000;
/// assert!(year.check_limits(&limits).is_ok());
/// let _options = RunOptions::new().limits(limits);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SimLimits {
    /// The longest period, in minutes (`duration_min`). Default 44,640 (31 days).
    pub max_duration_min: u64,
    /// Interactions the run is expected to create: the Poisson arrivals the
    /// rates give over the period (the sum of rate × time) plus every
    /// backlog. Default 500,000 (a busy month of a mid-sized center; about
    /// 15 steps each, a few seconds in all in a release build).
    pub max_arrivals: u64,
    /// Interactions waiting at the start, over all streams (`backlog`); they
    /// are all created at once. Default 100,000.
    pub max_backlog: u64,
    /// Agents over all groups (`count`). Default 20,000.
    pub max_agents: u64,
    /// Agents times the entries each carries (skills, channel capacities,
    /// queue memberships, breaks and attributes), summed over groups: the set-up work and
    /// the shift changes scheduled. Default 2,000,000.
    pub max_agent_entries: u64,
    /// Attribute values one arrival stream draws from, summed over its
    /// attributes (each arrival scans them). Default 1,000.
    pub max_attribute_values: u64,
    /// Report cells: intervals × (agents + 40 × (queues + channels + skills)),
    /// the memory the interval reports take, about 200 bytes a cell (an
    /// agent's figures take one cell; a queue's, a channel's or a skill's
    /// carry a wait-time sketch and take about 40). Default 2,000,000
    /// (a day in 15-minute intervals of 2,000 agents in 50 queues is half of that).
    pub max_report_cells: u64,
    /// Rate-curve pieces the arrival streams may walk through: for each
    /// stream with a positive rate, the period ÷ `curve_interval_min`. A
    /// stream draws once per piece even when no arrival comes (a tiny rate).
    /// Default 20,000,000 (well under a second).
    pub max_curve_pieces: u64,
    /// Steps at run time: each thing the simulated world does, each engine
    /// wake-up and each event. A run that reaches it stops with
    /// [`ScenarioError::OutOfSteps`](super::ScenarioError::OutOfSteps).
    /// Default 12,000,000: an arrival takes 13 to 16 steps in typical
    /// scenarios, so this leaves room for `max_arrivals`, and bounds a run to
    /// a few seconds in a release build.
    pub max_steps: u64,
}

impl Default for SimLimits {
    fn default() -> Self {
        SimLimits {
            max_duration_min: 31 * 24 * 60,
            max_arrivals: 500_000,
            max_backlog: 100_000,
            max_agents: 20_000,
            max_agent_entries: 2_000_000,
            max_attribute_values: 1_000,
            max_report_cells: 2_000_000,
            max_curve_pieces: 20_000_000,
            max_steps: 12_000_000,
        }
    }
}

impl SimLimits {
    /// Every limit multiplied by `factor` (saturating): `scaled(10)` for a
    /// study ten times the size of a big month.
    pub fn scaled(self, factor: u64) -> SimLimits {
        let x = |v: u64| v.saturating_mul(factor);
        SimLimits {
            max_duration_min: x(self.max_duration_min),
            max_arrivals: x(self.max_arrivals),
            max_backlog: x(self.max_backlog),
            max_agents: x(self.max_agents),
            max_agent_entries: x(self.max_agent_entries),
            max_attribute_values: x(self.max_attribute_values),
            max_report_cells: x(self.max_report_cells),
            max_curve_pieces: x(self.max_curve_pieces),
            max_steps: x(self.max_steps),
        }
    }

    /// The value of one limit.
    pub fn get(&self, limit: SimLimit) -> u64 {
        match limit {
            SimLimit::DurationMin => self.max_duration_min,
            SimLimit::Arrivals => self.max_arrivals,
            SimLimit::Backlog => self.max_backlog,
            SimLimit::Agents => self.max_agents,
            SimLimit::AgentEntries => self.max_agent_entries,
            SimLimit::AttributeValues => self.max_attribute_values,
            SimLimit::ReportCells => self.max_report_cells,
            SimLimit::CurvePieces => self.max_curve_pieces,
            SimLimit::Steps => self.max_steps,
        }
    }
}

/// One of the [`SimLimits`], as named in a
/// [`ScenarioError::OverLimit`](super::ScenarioError::OverLimit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum SimLimit {
    /// [`SimLimits::max_duration_min`].
    #[serde(alias = "DurationMin")]
    DurationMin,
    /// [`SimLimits::max_arrivals`].
    #[serde(alias = "Arrivals")]
    Arrivals,
    /// [`SimLimits::max_backlog`].
    #[serde(alias = "Backlog")]
    Backlog,
    /// [`SimLimits::max_agents`].
    #[serde(alias = "Agents")]
    Agents,
    /// [`SimLimits::max_agent_entries`].
    #[serde(alias = "AgentEntries")]
    AgentEntries,
    /// [`SimLimits::max_attribute_values`].
    #[serde(alias = "AttributeValues")]
    AttributeValues,
    /// [`SimLimits::max_report_cells`].
    #[serde(alias = "ReportCells")]
    ReportCells,
    /// [`SimLimits::max_curve_pieces`].
    #[serde(alias = "CurvePieces")]
    CurvePieces,
    /// [`SimLimits::max_steps`].
    #[serde(alias = "Steps")]
    Steps,
}

impl SimLimit {
    /// The [`SimLimits`] field that sets this limit, e.g. `max_arrivals`.
    pub fn field(self) -> &'static str {
        match self {
            SimLimit::DurationMin => "max_duration_min",
            SimLimit::Arrivals => "max_arrivals",
            SimLimit::Backlog => "max_backlog",
            SimLimit::Agents => "max_agents",
            SimLimit::AgentEntries => "max_agent_entries",
            SimLimit::AttributeValues => "max_attribute_values",
            SimLimit::ReportCells => "max_report_cells",
            SimLimit::CurvePieces => "max_curve_pieces",
            SimLimit::Steps => "max_steps",
        }
    }
}

impl fmt::Display for SimLimit {
    /// What the limit counts, e.g. "expected arrivals".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SimLimit::DurationMin => "period length in minutes",
            SimLimit::Arrivals => "expected arrivals",
            SimLimit::Backlog => "backlog",
            SimLimit::Agents => "agents",
            SimLimit::AgentEntries => "agent entries (agents × (skills + capacities + queues + breaks + attributes))",
            SimLimit::AttributeValues => "attribute values",
            SimLimit::ReportCells => "report cells (intervals × (agents + 40 × (queues + channels + skills)))",
            SimLimit::CurvePieces => "rate-curve pieces",
            SimLimit::Steps => "simulation steps",
        })
    }
}

/// A figure in an error message: exact up to ten million, then in scientific
/// notation (`1.2e8`), which is easier to read at a glance.
pub(crate) fn figure(value: u64) -> String {
    if value < 10_000_000 { value.to_string() } else { format!("{:.1e}", value as f64) }
}

/// How to run a scenario: today, the [`SimLimits`] it must stay within.
///
/// Like `std::fs::OpenOptions`, it is built and then used: its methods run
/// the simulation, replications or a comparison with these options. The
/// free functions ([`simulate`](super::simulate), [`replicate`](super::replicate),
/// [`compare`](super::compare), [`Simulation::new`]) use the defaults.
///
/// # Example
/// ```
/// use switchboard::sim::{RunOptions, Scenario, ScenarioError, SimLimit, SimLimits};
///
/// let scenario = Scenario::single_queue(10, 150.0, 180.0, None, 4);
/// let mut small = SimLimits::default();
/// small.max_arrivals = 100;
/// let err = RunOptions::new().limits(small).simulate(&scenario, 1).unwrap_err();
/// assert!(matches!(err, ScenarioError::OverLimit { limit: SimLimit::Arrivals, value: 600, max: 100, .. }));
/// assert!(RunOptions::new().simulate(&scenario, 1).is_ok());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunOptions {
    /// The limits a scenario must stay within.
    pub limits: SimLimits,
}

impl RunOptions {
    /// The default options.
    pub fn new() -> RunOptions {
        RunOptions::default()
    }

    /// Sets the limits.
    pub fn limits(mut self, limits: SimLimits) -> RunOptions {
        self.limits = limits;
        self
    }

    /// Sets up a [`Simulation`] of `scenario` with `seed` under these options.
    ///
    /// # Errors
    /// [`ScenarioError`] when the scenario is invalid, beyond a limit, or the
    /// engine refuses its topology.
    pub fn simulation<'s>(&self, scenario: &'s Scenario, seed: u64) -> Result<Simulation<'s>, ScenarioError> {
        Simulation::with_options(scenario, seed, self)
    }

    /// Runs one replication and builds its report, like [`simulate`](super::simulate).
    ///
    /// # Errors
    /// [`ScenarioError`] when the scenario is invalid, beyond a limit, runs
    /// out of steps, or the engine refuses it.
    pub fn simulate(&self, scenario: &Scenario, seed: u64) -> Result<SimReport, ScenarioError> {
        super::report::run_report(scenario, seed, self, &mut |_: &crate::Event, _: &crate::Engine| {})
    }

    /// Like [`RunOptions::simulate`], also passing every event to `observer`.
    ///
    /// # Errors
    /// As [`RunOptions::simulate`].
    pub fn simulate_with(
        &self,
        scenario: &Scenario,
        seed: u64,
        observer: &mut dyn Observer,
    ) -> Result<SimReport, ScenarioError> {
        super::report::run_report(scenario, seed, self, observer)
    }

    /// Runs a scenario once per seed and summarises the runs, like [`replicate`](super::replicate).
    ///
    /// # Errors
    /// As [`RunOptions::simulate`].
    pub fn replicate(&self, scenario: &Scenario, seeds: &[u64]) -> Result<Replications, ScenarioError> {
        super::compare::replicate_opts(scenario, seeds, self, |_| {})
    }

    /// Runs the baseline and the what-if on the same seeds, like [`compare`](super::compare).
    ///
    /// # Errors
    /// As [`RunOptions::simulate`], for either scenario.
    pub fn compare(&self, scenario: &Scenario, what_if: &WhatIf, seeds: &[u64]) -> Result<Comparison, ScenarioError> {
        super::compare::compare_opts(scenario, what_if, seeds, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_at_a_glance() {
        assert_eq!(figure(9_999_999), "9999999");
        assert_eq!(figure(120_000_000), "1.2e8");
        assert_eq!(figure(u64::MAX), "1.8e19");
    }

    #[test]
    fn scaling_saturates_and_get_reads_every_limit() {
        let big = SimLimits::default().scaled(u64::MAX);
        for limit in [
            SimLimit::DurationMin,
            SimLimit::Arrivals,
            SimLimit::Backlog,
            SimLimit::Agents,
            SimLimit::AgentEntries,
            SimLimit::AttributeValues,
            SimLimit::ReportCells,
            SimLimit::CurvePieces,
            SimLimit::Steps,
        ] {
            assert_eq!(big.get(limit), u64::MAX, "{limit}");
            assert!(limit.field().starts_with("max_"));
        }
    }
}
