//! The simulator against queueing theory: single-queue M/M/c and M/M/c+M
//! runs must agree with Erlang C and Erlang A.
//!
//! ## Tolerance
//!
//! Waiting times of successive customers are correlated, so the usual
//! binomial confidence interval would be too narrow. We use **batch means**:
//! the measured period (after a one-hour warm-up) is cut into `BATCHES`
//! equal batches by arrival time; each batch gives one estimate of each
//! figure, the batch estimates are close to independent and normal when a
//! batch is much longer than the system's relaxation time, and the 99.9 %
//! confidence half-width is `t(0.9995, BATCHES−1) · s / √BATCHES`. A figure
//! agrees with theory when the theoretical value lies inside that interval
//! widened by 0.005 (for the remaining warm-up bias and millisecond
//! rounding). Each case also requires the half-width itself to be small, so
//! that a run too short or too noisy cannot pass by being vague.
//!
//! Seeds are fixed, so the test is deterministic; `SWITCHBOARD_SEED` changes
//! it, and the `#[ignore]`d long version runs bigger systems for longer.
//!
//! ## Debug and release builds
//!
//! The precision a case must reach sets how many calls it simulates: 1.25 million
//! for the three full tests, about 4 s of a release build but three minutes of a
//! debug build, which was most of the README's test command. A simulation gives
//! the same events in either build (no wall clock, `libm` for the samplers), so
//! the full tests are ignored in debug builds and run in an optimised one (CI
//! runs `cargo test --profile soak --test sim_erlang`, release at opt-level 1;
//! `--release` runs them too); a debug build runs
//! the five-agent centers with fewer calls, so the test command still checks
//! both formulas on every run.

#![cfg(feature = "sim")]

use std::collections::BTreeMap;
use std::time::Duration;

use switchboard::sim::{RunOptions, Scenario, SimLimits};
use switchboard::staffing::{ErlangA, ErlangC};
use switchboard::*;

const BATCHES: usize = 20;
/// Student's t quantile for 99.9 % two-sided confidence with 19 degrees of freedom.
const T_19: f64 = 3.883;
const SLA_SECS: f64 = 20.0;

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_123)
}

/// Per-batch counts of what happened to customers who arrived in the batch.
#[derive(Clone, Copy, Default, Debug)]
struct Batch {
    arrived: f64,
    waited: f64,
    answered: f64,
    answered_in_time: f64,
    answer_wait_secs: f64,
    abandoned: f64,
}

struct Measured {
    prob_wait: Vec<f64>,
    service_level: Vec<f64>,
    asa: Vec<f64>,
    abandon: Vec<f64>,
}

fn simulate(agents: u32, calls_per_hour: f64, aht: f64, patience: Option<f64>, hours: u32, seed: u64) -> Measured {
    let scenario = Scenario::single_queue(agents, calls_per_hour, aht, patience, hours);
    // Statistical runs last weeks of simulated time, far beyond the default
    // limits meant for real days: they raise them explicitly.
    let options = RunOptions::new().limits(SimLimits::default().scaled(1_000));
    let sim = options.simulation(&scenario, seed).expect("valid scenario");
    let measure_from = sim.start().as_millis() + i64::from(scenario.warm_up_min) * 60_000;
    let batch_ms = (sim.end().as_millis() - measure_from) / BATCHES as i64;
    let mut arrived_at: BTreeMap<InteractionId, i64> = BTreeMap::new();
    let mut batches = [Batch::default(); BATCHES];
    let batch_of = |t: i64| -> Option<usize> {
        (t >= measure_from).then(|| ((t - measure_from) / batch_ms) as usize).filter(|b| *b < BATCHES)
    };
    let mut observe = |e: &Event, _: &Engine| match &e.kind {
        EventKind::InteractionArrived { interaction, .. } => {
            if let Some(b) = batch_of(e.at.as_millis()) {
                batches[b].arrived += 1.0;
                arrived_at.insert(*interaction, e.at.as_millis());
            }
        }
        EventKind::OfferAccepted { interaction, .. } => {
            if let Some(t0) = arrived_at.remove(interaction) {
                let b = batch_of(t0).unwrap();
                let wait = (e.at.as_millis() - t0) as f64 / 1000.0;
                batches[b].answered += 1.0;
                batches[b].answer_wait_secs += wait;
                batches[b].waited += f64::from(wait > 0.0);
                batches[b].answered_in_time += f64::from(wait <= SLA_SECS);
            }
        }
        EventKind::InteractionEnded { interaction, outcome: Outcome::Abandoned { .. }, .. } => {
            if let Some(t0) = arrived_at.remove(interaction) {
                let b = batch_of(t0).unwrap();
                batches[b].abandoned += 1.0;
                batches[b].waited += 1.0;
            }
        }
        _ => {}
    };
    sim.run(&mut observe);
    Measured {
        prob_wait: batches.iter().map(|b| b.waited / b.arrived).collect(),
        service_level: batches.iter().map(|b| b.answered_in_time / b.arrived).collect(),
        asa: batches.iter().map(|b| b.answer_wait_secs / b.answered).collect(),
        abandon: batches.iter().map(|b| b.abandoned / b.arrived).collect(),
    }
}

/// (mean, 99.9 % half-width) of batch estimates.
fn interval(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, T_19 * (var / n).sqrt())
}

#[track_caller]
fn agrees(name: &str, case: &str, xs: &[f64], theory: f64, bias: f64, max_half_width: f64) {
    let (mean, hw) = interval(xs);
    println!("{case:<40} {name:<14} sim {mean:>9.4} ± {hw:.4}   theory {theory:>9.4}");
    assert!(hw <= max_half_width, "{case}: {name} too noisy to judge (± {hw:.4}); simulate longer");
    assert!(
        (mean - theory).abs() <= hw + bias,
        "{case}: {name} = {mean:.4} ± {hw:.4} disagrees with theory {theory:.4} (seed {})",
        seed()
    );
}

/// Simulates about `calls` customers of an N-agent queue at the given occupancy and compares with theory.
fn check(agents: u32, occupancy: f64, aht: f64, patience: Option<f64>, calls: f64) {
    let calls_per_hour = occupancy * f64::from(agents) * 3600.0 / aht;
    let hours = (calls / calls_per_hour).ceil() as u32 + 1;
    let case = format!("N={agents} ρ={occupancy} patience={patience:?}");
    let m = simulate(agents, calls_per_hour, aht, patience, hours, seed());
    match patience {
        None => {
            let c = ErlangC::new(calls_per_hour, Duration::from_secs_f64(aht), agents);
            agrees("P(wait)", &case, &m.prob_wait, c.prob_wait().unwrap(), 0.005, 0.06);
            agrees(
                "SL(20s)",
                &case,
                &m.service_level,
                c.service_level(Duration::from_secs_f64(SLA_SECS)).unwrap(),
                0.005,
                0.06,
            );
            let asa = c.asa().unwrap().as_secs_f64();
            agrees("ASA (s)", &case, &m.asa, asa, 0.005 * asa.max(1.0), 0.35 * asa.max(1.0));
        }
        Some(p) => {
            let a = ErlangA::new(calls_per_hour, Duration::from_secs_f64(aht), Duration::from_secs_f64(p), agents);
            agrees("P(wait)", &case, &m.prob_wait, a.prob_wait().unwrap(), 0.005, 0.06);
            agrees(
                "SL(20s)",
                &case,
                &m.service_level,
                a.service_level(Duration::from_secs_f64(SLA_SECS)).unwrap(),
                0.005,
                0.06,
            );
            agrees("P(abandon)", &case, &m.abandon, a.prob_abandon().unwrap(), 0.005, 0.03);
            let asa = a.asa().unwrap().as_secs_f64();
            agrees("ASA (s)", &case, &m.asa, asa, 0.005 * asa.max(1.0), 0.35 * asa.max(1.0));
        }
    }
}

#[test]
fn erlang_c_five_agents_debug_sized() {
    check(5, 0.7, 180.0, None, 60_000.0);
}

#[test]
fn erlang_a_five_agents_debug_sized() {
    check(5, 0.9, 180.0, Some(120.0), 60_000.0);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "sized for an optimised build: cargo test --profile soak --test sim_erlang (CI), or --release"
)]
fn erlang_c_small_and_medium_centers() {
    check(5, 0.7, 180.0, None, 150_000.0);
    check(50, 0.9, 180.0, None, 400_000.0);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "sized for an optimised build: cargo test --profile soak --test sim_erlang (CI), or --release"
)]
fn erlang_a_with_impatient_callers() {
    check(5, 0.9, 180.0, Some(120.0), 150_000.0);
    check(50, 0.95, 180.0, Some(90.0), 150_000.0);
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "sized for an optimised build: cargo test --profile soak --test sim_erlang (CI), or --release"
)]
fn erlang_large_center() {
    check(500, 0.95, 180.0, Some(120.0), 400_000.0);
}

#[test]
#[ignore = "long: about a minute in release; run with --ignored"]
fn erlang_long_runs() {
    for (n, rho, p) in
        [(5, 0.95, None), (50, 0.8, None), (500, 0.95, None), (500, 0.9, Some(60.0)), (50, 1.1, Some(120.0))]
    {
        check(n, rho, 180.0, p, 2_000_000.0);
    }
}
