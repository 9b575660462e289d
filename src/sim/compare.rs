//! Replications and what-if comparisons.
//!
//! One run is one possible day. Several replications with different seeds
//! give a mean and a confidence interval for each figure. A what-if runs the
//! same seeds under a changed configuration: with common random numbers (the
//! same customers, arrival times, handle times and patience in both), the
//! paired differences are far less noisy than two independent runs.

use serde::{Deserialize, Serialize};

use super::limits::RunOptions;
use super::report::SimReport;
use super::scenario::{Scenario, ScenarioError};
use crate::model::channel::Channel;
use crate::model::queue::AgentSelection;

/// A mean and the half-width of its 95 % confidence interval over
/// replications: Student's t quantile for n − 1 degrees of freedom (computed
/// exactly for any n, no table), times the standard error.
///
/// With a single replication there is no interval: `half_width` is zero and
/// [`Estimate::interval`] is `None`, and the text reports print the mean
/// alone rather than "± 0.0".
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The mean over replications.
    pub mean: f64,
    /// Half-width of the 95 % confidence interval (zero with fewer than two replications).
    pub half_width: f64,
    /// Replications that had a value.
    pub n: usize,
}

/// Student's t quantile for a two-sided 95 % interval with `df` degrees of freedom.
fn t95(df: usize) -> f64 {
    // Every df ≥ 1 is valid input; the fallback (the normal quantile) is never taken.
    super::student::t_quantile(0.975, df as f64).unwrap_or(1.959_963_984_540_054)
}

impl Estimate {
    /// The estimate from per-replication values.
    ///
    /// # Example
    /// ```
    /// use switchboard::sim::Estimate;
    ///
    /// // Sample standard deviation 1 over 3 values: t(0.975, 2) / √3.
    /// let e = Estimate::of(&[1.0, 2.0, 3.0]);
    /// assert!((e.half_width - 4.302_652_729_749_462 / 3f64.sqrt()).abs() < 1e-12);
    /// assert_eq!(Estimate::of(&[5.0]).interval(), None);
    /// ```
    pub fn of(values: &[f64]) -> Estimate {
        let n = values.len();
        if n == 0 {
            return Estimate::default();
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Estimate { mean, half_width: 0.0, n };
        }
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
        Estimate { mean, half_width: t95(n - 1) * (var / n as f64).sqrt(), n }
    }

    /// The half-width of the 95 % confidence interval, when there is one (two or more replications).
    pub fn interval(&self) -> Option<f64> {
        (self.n >= 2).then_some(self.half_width)
    }

    /// "mean ± half-width" to `decimals` places; the mean alone from a
    /// single replication, "—" from none.
    pub fn display(&self, decimals: usize) -> String {
        match (self.n, self.interval()) {
            (0, _) => "—".to_string(),
            (_, Some(h)) => format!("{:.decimals$} ± {h:.decimals$}", self.mean),
            (_, None) => format!("{:.decimals$}", self.mean),
        }
    }
}

/// The figures of one queue across replications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueEstimates {
    /// The queue's name.
    pub queue: String,
    /// Offered per replication.
    pub offered: Estimate,
    /// Service level, percent.
    pub service_level_pct: Estimate,
    /// ASA, seconds.
    pub asa_secs: Estimate,
    /// Abandoned share, percent.
    pub abandon_pct: Estimate,
    /// Probability of waiting, percent.
    pub prob_wait_pct: Estimate,
}

/// Several replications of one scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Replications {
    /// Each run's report, in seed order.
    pub reports: Vec<SimReport>,
    /// Per queue, across runs.
    pub queues: Vec<QueueEstimates>,
    /// Agents' occupancy, percent.
    pub occupancy_pct: Estimate,
}

/// Runs a scenario once per seed and summarises the runs.
///
/// # Errors
/// [`ScenarioError`] when the scenario is invalid or the engine refuses it.
pub fn replicate(scenario: &Scenario, seeds: &[u64]) -> Result<Replications, ScenarioError> {
    replicate_with(scenario, seeds, |_| {})
}

/// Like [`replicate`], calling `done` after each run (for a progress bar).
///
/// # Errors
/// [`ScenarioError`] when the scenario is invalid or the engine refuses it.
pub fn replicate_with(
    scenario: &Scenario,
    seeds: &[u64],
    done: impl FnMut(&SimReport),
) -> Result<Replications, ScenarioError> {
    replicate_opts(scenario, seeds, &RunOptions::default(), done)
}

/// [`replicate_with`] under `options`.
pub(crate) fn replicate_opts(
    scenario: &Scenario,
    seeds: &[u64],
    options: &RunOptions,
    mut done: impl FnMut(&SimReport),
) -> Result<Replications, ScenarioError> {
    // Checked once up front, so that a scenario beyond a limit fails before the first run.
    scenario.validate()?;
    scenario.check_limits(&options.limits)?;
    let mut reports = Vec::with_capacity(seeds.len().min(1_024));
    for seed in seeds {
        let r = options.simulate(scenario, *seed)?;
        done(&r);
        reports.push(r);
    }
    Ok(summarise(reports))
}

impl Replications {
    /// Summarises runs already made (one report per seed).
    pub fn from_reports(reports: Vec<SimReport>) -> Replications {
        summarise(reports)
    }
}

fn summarise(reports: Vec<SimReport>) -> Replications {
    let names: Vec<String> =
        reports.first().map(|r| r.queues.iter().map(|q| q.name.clone()).collect()).unwrap_or_default();
    let queues = names
        .into_iter()
        .map(|name| {
            let rows: Vec<_> = reports.iter().filter_map(|r| r.queues.iter().find(|q| q.name == name)).collect();
            let est = |f: &dyn Fn(&super::report::Figures) -> Option<f64>| {
                Estimate::of(&rows.iter().filter_map(|q| f(&q.figures)).collect::<Vec<_>>())
            };
            QueueEstimates {
                offered: est(&|f| Some(f.offered as f64)),
                service_level_pct: est(&|f| f.service_level_pct),
                asa_secs: est(&|f| f.asa_secs),
                abandon_pct: est(&|f| f.abandon_pct),
                prob_wait_pct: est(&|f| f.prob_wait_pct),
                queue: name,
            }
        })
        .collect();
    let occupancy_pct = Estimate::of(&reports.iter().filter_map(|r| r.occupancy_pct).collect::<Vec<_>>());
    Replications { reports, queues, occupancy_pct }
}

/// A change to try before deploying it. Every field left `None` stays as the scenario has it.
///
/// # Example
/// ```
/// use switchboard::AgentSelection;
/// use switchboard::sim::{Scenario, WhatIf};
///
/// let what_if = WhatIf { strategy: Some(AgentSelection::MostProficient), ..WhatIf::named("most proficient") };
/// let changed = what_if.apply(&Scenario::builtin_day());
/// assert!(changed.queues.iter().all(|q| q.strategy == AgentSelection::MostProficient));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIf {
    /// A name for the report.
    pub name: String,
    /// Every queue's agent-selection strategy.
    #[serde(default)]
    pub strategy: Option<AgentSelection>,
    /// The offer timeout.
    #[serde(default)]
    pub offer_timeout_secs: Option<u64>,
    /// How many chats each chat agent may hold at once.
    #[serde(default)]
    pub chat_capacity: Option<u32>,
    /// Agents added to (or, negative, removed from) every group.
    #[serde(default)]
    pub extra_agents_per_group: Option<i32>,
    /// How agents weigh real-time against deferrable work ([`Blending`](crate::Blending)).
    #[serde(default)]
    pub blending: Option<crate::config::Blending>,
    /// Offer queued callbacks to every stream of calls (voice and video)
    /// ([`CallbackOfferSpec`](super::CallbackOfferSpec)): their queues take
    /// `Callback`, and every agent who takes calls can return them, one at a
    /// time, at a call's units.
    #[serde(default)]
    pub callback: Option<super::scenario::CallbackOfferSpec>,
}

impl WhatIf {
    /// A what-if that changes nothing yet.
    pub fn named(name: impl Into<String>) -> Self {
        WhatIf { name: name.into(), ..WhatIf::default() }
    }

    /// The scenario with this change applied.
    pub fn apply(&self, scenario: &Scenario) -> Scenario {
        let mut s = scenario.clone();
        s.name = format!("{} — {}", scenario.name, self.name);
        if let Some(strategy) = self.strategy {
            s.queues.iter_mut().for_each(|q| q.strategy = strategy);
        }
        if let Some(t) = self.offer_timeout_secs {
            s.offer_timeout_secs = t;
        }
        if let Some(blending) = self.blending {
            s.blending = blending;
        }
        for g in &mut s.agent_groups {
            if let Some(n) = self.chat_capacity {
                for c in g.capacity.iter_mut().filter(|c| c.channel == Channel::Chat) {
                    c.max = n;
                    // Keep the chats within the agent's total.
                    c.units = c.units.min(g.total_units / n.max(1));
                }
            }
            if let Some(extra) = self.extra_agents_per_group {
                g.count = g.count.saturating_add_signed(extra);
            }
        }
        if let Some(offer) = self.callback {
            let calls = |c: Channel| matches!(c, Channel::Voice | Channel::Video);
            let mut queues = Vec::new();
            for a in s.arrivals.iter_mut().filter(|a| calls(a.channel)) {
                a.callback = Some(offer);
                queues.push(a.queue);
            }
            for q in s.queues.iter_mut().filter(|q| queues.contains(&q.id)) {
                if !q.channels.contains(&Channel::Callback) {
                    q.channels.push(Channel::Callback);
                }
            }
            for g in &mut s.agent_groups {
                let call = g.capacity.iter().find(|c| calls(c.channel)).copied();
                let has = g.capacity.iter().any(|c| c.channel == Channel::Callback);
                if let (Some(call), false) = (call, has) {
                    g.capacity.push(super::scenario::ChannelCapacitySpec {
                        channel: Channel::Callback,
                        max: 1,
                        ..call
                    });
                }
            }
        }
        s
    }
}

/// One figure of one queue under the baseline and the what-if.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// The queue's name.
    pub queue: String,
    /// The figure.
    pub figure: String,
    /// Under the baseline.
    pub baseline: Estimate,
    /// Under the what-if.
    pub what_if: Estimate,
    /// The paired difference (what-if minus baseline, same seeds).
    pub difference: Estimate,
}

/// A baseline and a what-if run on the same seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The what-if's name.
    pub what_if: String,
    /// The seeds both ran on.
    pub seeds: Vec<u64>,
    /// Per queue and figure.
    pub rows: Vec<ComparisonRow>,
}

/// Runs the baseline and the what-if on the same seeds and compares them.
///
/// # Errors
/// [`ScenarioError`] when either scenario is invalid or the engine refuses it.
pub fn compare(scenario: &Scenario, what_if: &WhatIf, seeds: &[u64]) -> Result<Comparison, ScenarioError> {
    compare_opts(scenario, what_if, seeds, &RunOptions::default())
}

/// [`compare`] under `options`.
pub(crate) fn compare_opts(
    scenario: &Scenario,
    what_if: &WhatIf,
    seeds: &[u64],
    options: &RunOptions,
) -> Result<Comparison, ScenarioError> {
    // Both checked before either runs: a what-if beyond a limit fails at once.
    let changed = what_if.apply(scenario);
    for s in [scenario, &changed] {
        s.validate()?;
        s.check_limits(&options.limits)?;
    }
    let base = options.replicate(scenario, seeds)?;
    let alt = options.replicate(&changed, seeds)?;
    let mut rows = Vec::new();
    type Pick = fn(&super::report::Figures) -> Option<f64>;
    let figures: [(&str, Pick); 4] = [
        ("service level %", |f| f.service_level_pct),
        ("ASA s", |f| f.asa_secs),
        ("abandoned %", |f| f.abandon_pct),
        ("P(wait) %", |f| f.prob_wait_pct),
    ];
    for q in &base.queues {
        for (figure, pick) in figures {
            let per_seed = |r: &Replications| -> Vec<Option<f64>> {
                r.reports
                    .iter()
                    .map(|rep| rep.queues.iter().find(|x| x.name == q.queue).and_then(|x| pick(&x.figures)))
                    .collect()
            };
            let (b, a) = (per_seed(&base), per_seed(&alt));
            let diffs: Vec<f64> = b.iter().zip(&a).filter_map(|(b, a)| Some((*a)? - (*b)?)).collect();
            rows.push(ComparisonRow {
                queue: q.queue.clone(),
                figure: figure.to_string(),
                baseline: Estimate::of(&b.iter().flatten().copied().collect::<Vec<_>>()),
                what_if: Estimate::of(&a.iter().flatten().copied().collect::<Vec<_>>()),
                difference: Estimate::of(&diffs),
            });
        }
    }
    Ok(Comparison { what_if: what_if.name.clone(), seeds: seeds.to_vec(), rows })
}

impl Comparison {
    /// The comparison as a terminal table.
    pub fn to_text(&self) -> String {
        let seeds = match self.seeds.len() {
            1 => "1 seed, same customers in both; no confidence interval from a single run".to_string(),
            n => format!("{n} seeds, same customers in both; 95% confidence intervals"),
        };
        let mut out = format!("What-if: {} ({seeds})\n", self.what_if);
        out += &format!("{:<24} {:<16} {:>18} {:>18} {:>18}\n", "queue", "figure", "baseline", "what-if", "difference");
        let show = |e: &Estimate| e.display(2);
        for r in &self.rows {
            out += &format!(
                "{:<24} {:<16} {:>18} {:>18} {:>18}\n",
                r.queue,
                r.figure,
                show(&r.baseline),
                show(&r.what_if),
                show(&r.difference)
            );
        }
        out
    }
}

impl Replications {
    /// The summary as a terminal table.
    pub fn to_text(&self) -> String {
        let n = self.reports.len();
        let mut out = if n > 1 {
            format!(
                "{n} replications; means and 95% confidence intervals (Student's t, {} degrees of freedom)\n",
                n - 1
            )
        } else {
            format!("{n} replication; no confidence interval from a single run\n")
        };
        out += &format!(
            "{:<24} {:>16} {:>16} {:>16} {:>16} {:>16}\n",
            "queue", "offered", "SL %", "ASA s", "abandoned %", "P(wait) %"
        );
        let show = |e: &Estimate| e.display(1);
        for q in &self.queues {
            out += &format!(
                "{:<24} {:>16} {:>16} {:>16} {:>16} {:>16}\n",
                q.queue,
                show(&q.offered),
                show(&q.service_level_pct),
                show(&q.asa_secs),
                show(&q.abandon_pct),
                show(&q.prob_wait_pct)
            );
        }
        out += &format!("agent occupancy {}%\n", show(&self.occupancy_pct));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_use_students_t_for_any_replication_count() {
        // n values alternating ±1 around 10 have sample sd √(n/(n−1)); the
        // half-width is t(0.975, n−1)·sd/√n. The t values are mpmath's; the
        // old table stopped at n = 31 and used 1.96 beyond, 2–4 % too narrow.
        let cases = [
            (2, 12.706204736174693),
            (3, 4.302652729749462),
            (6, 2.5705818356363148),
            (31, 2.0422724563012379),
            (32, 2.039513446396408),
            (101, 1.9839715185235519),
            (1_001, 1.962339080826408),
        ];
        for (n, t) in cases {
            let values: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { 9.0 } else { 11.0 }).collect();
            let e = Estimate::of(&values);
            let mean = values.iter().sum::<f64>() / n as f64;
            let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt();
            let want = t * sd / (n as f64).sqrt();
            assert!((e.half_width - want).abs() <= 1e-12 * want, "n {n}: {} want {want}", e.half_width);
            assert_eq!(e.interval(), Some(e.half_width));
        }
    }

    #[test]
    fn one_replication_has_no_interval() {
        let one = Estimate::of(&[5.0]);
        assert_eq!((one.mean, one.n, one.interval()), (5.0, 1, None));
        assert_eq!(one.display(1), "5.0", "no \"± 0.0\"");
        assert_eq!(Estimate::of(&[4.0, 6.0]).display(1), "5.0 ± 12.7");
        assert_eq!(Estimate::of(&[]).display(1), "—");
    }
}
