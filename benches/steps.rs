//! What a routing step change costs (issue #12): one interaction moving to its next step, at
//! 10,000 and 100,000 waiting, beside the cost of an arrival into the same engine (the
//! baseline, measured in the same run).
//!
//! The scene: 50 skills, one voice queue whose interactions go through 16 steps (each but the
//! last 100 s long, each asking for a different skill and level, the last for none), 1,000
//! agents logged in and paused so that nothing is offered and the backlog stays. Interactions
//! arrive 1 ms apart, so each later millisecond fires exactly one step change; every step
//! change is one `handle_timeout` call, timed on its own. A step change takes the interaction
//! out of one waiting list and puts it in another (O(log n)), then asks for an agent.
//!
//! * `cargo bench --bench steps`: 10,000 and 100,000 waiting, 20,000 step changes each.
//! * `cargo test --benches`: a smoke run (1,000 waiting, 1,000 step changes).

use std::time::{Duration, Instant};

use switchboard::*;

const SKILLS: u64 = 50;
const AGENTS: u64 = 1_000;
const STEPS: usize = 16;
const STEP_SECS: u64 = 100;

fn engine_with_backlog(waiting: u64, arrivals_timed: usize) -> (Engine, Timestamp, Vec<u64>) {
    let mut engine = Engine::new(EngineConfig::default());
    let t0 = Timestamp::from_secs(1_700_000_000);
    for s in 1..=SKILLS {
        engine.handle(Command::AddSkill { skill: SkillId(s), name: format!("skill {s}") }, t0).unwrap();
    }
    let steps = (0..STEPS)
        .map(|k| {
            if k + 1 == STEPS {
                return RoutingStep::new(Requirements::none());
            }
            let level = Proficiency::new(5 - (k % 5) as u8).unwrap();
            RoutingStep::new(Requirements::from_pairs([(SkillId(1 + k as u64 % SKILLS), level)]))
                .expiring_after(Duration::from_secs(STEP_SECS))
        })
        .collect();
    let queue = QueueConfig::new(QueueId(1), "stepped", [Channel::Voice]).with_steps(steps);
    engine.handle(Command::AddQueue(queue), t0).unwrap();
    for a in 1..=AGENTS {
        let skills = SkillSet::from_pairs([(SkillId(1 + a % SKILLS), Proficiency::new(1 + (a % 5) as u8).unwrap())]);
        let config = AgentConfig::new(AgentId(a), CapacityProfile::single(Channel::Voice, 1))
            .with_skills(skills)
            .with_queue(QueueMembership::new(QueueId(1)));
        engine.handle(Command::AddAgent(config), t0).unwrap();
        engine.handle(Command::Login { agent: AgentId(a) }, t0).unwrap();
        engine.handle(Command::Pause { agent: AgentId(a), reason: ReasonCode(1) }, t0).unwrap();
    }
    while engine.poll_event().is_some() {}
    let mut arrival_ns = Vec::with_capacity(arrivals_timed);
    for i in 0..waiting {
        let at = t0 + Duration::from_millis(i);
        let new = NewInteraction::new(InteractionId(i + 1), Channel::Voice, QueueId(1), CustomerId(i));
        let timed = i >= waiting.saturating_sub(arrivals_timed as u64);
        let start = Instant::now();
        engine.handle(Command::Arrive(new), at).unwrap();
        if timed {
            arrival_ns.push(start.elapsed().as_nanos() as u64);
        }
        while engine.poll_event().is_some() {}
    }
    (engine, t0, arrival_ns)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1_000.0
}

struct Row {
    waiting: u64,
    step_median: f64,
    step_p99: f64,
    arrival_median: f64,
    arrival_p99: f64,
}

fn measure(waiting: u64, changes: usize) -> Row {
    let (mut engine, t0, mut arrivals) = engine_with_backlog(waiting, changes);
    let first = t0 + Duration::from_secs(STEP_SECS);
    let mut steps = Vec::with_capacity(changes);
    let mut moved = 0;
    for i in 0..changes as u64 {
        let at = first + Duration::from_millis(i);
        let start = Instant::now();
        engine.handle_timeout(at).unwrap();
        steps.push(start.elapsed().as_nanos() as u64);
        while let Some(e) = engine.poll_event() {
            moved += u64::from(matches!(e.kind, EventKind::StepChanged { .. }));
        }
    }
    assert_eq!(moved, changes as u64, "one step change per millisecond");
    assert_eq!(engine.waiting_count(QueueId(1)) as u64, waiting, "nothing offered, nothing lost");
    steps.sort_unstable();
    arrivals.sort_unstable();
    Row {
        waiting,
        step_median: percentile(&steps, 0.5),
        step_p99: percentile(&steps, 0.99),
        arrival_median: percentile(&arrivals, 0.5),
        arrival_p99: percentile(&arrivals, 0.99),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let test_mode = args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench");
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let plan: Vec<(u64, usize)> =
        if test_mode { vec![(1_000, 1_000)] } else { vec![(10_000, 20_000), (100_000, 20_000)] };
    let rows: Vec<Row> = plan.iter().map(|(w, n)| measure(*w, (*n).min(*w as usize))).collect();
    println!("routing step changes ({STEPS} steps of {STEP_SECS} s, {AGENTS} paused agents); wall time per call, µs");
    println!(
        "{:>10} {:>14} {:>12} {:>16} {:>14}",
        "waiting", "step median", "step p99", "arrival median", "arrival p99"
    );
    for r in &rows {
        println!(
            "{:>10} {:>14.2} {:>12.2} {:>16.2} {:>14.2}",
            r.waiting, r.step_median, r.step_p99, r.arrival_median, r.arrival_p99
        );
    }
    if let [small, big] = rows.as_slice() {
        println!(
            "growth {} → {} waiting: step change {:.2}× (median), arrival {:.2}×",
            small.waiting,
            big.waiting,
            big.step_median / small.step_median,
            big.arrival_median / small.arrival_median
        );
    }
}
