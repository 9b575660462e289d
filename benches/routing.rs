//! Routing decision latency at contact-center scale (issue #10, "Scale").
//!
//! The scene (see `benches/scene/mod.rs`): 10,000 agents, 50 skills, 20
//! overlapping queues; requirement sets either *diverse* (1–3 skills at
//! levels 1–5 drawn per interaction) or from a *catalogue* of 200.
//!
//! Two decisions, each timed with [`Instant`] around exactly one
//! [`Engine::handle`] call; the host's bookkeeping around it (draining events,
//! accepting the offer, topping the backlog up) is not timed:
//!
//! * `agent_frees`: every agent is busy and W interactions wait. Timed:
//!   `Complete` of one connected interaction, which makes the engine pick the
//!   agent's next interaction among everything waiting in their queues and
//!   offer it. Untimed: accept the offer, and arrivals until W wait again.
//! * `interaction_arrives`: every agent is idle. Timed: `Arrive`, which makes
//!   the engine pick an agent among the qualified ones and offer it. Untimed:
//!   accept and complete it (or cancel it if nobody qualifies). Measured with
//!   nothing else waiting (`idle`) and with W interactions waiting in 20
//!   unstaffed queues that nobody can take (`idle+W`), which a decision's
//!   cost should not depend on.
//! * `preferred_arrives` (plain rows, idle only): the same arrivals, each
//!   naming one preferred agent for 30 s (issue #13 §2), a ready member of
//!   the queue who qualifies, nearly always a different one, so each brings
//!   an eligibility rule the index has not seen. The offer must go to them.
//!   A summary line gives its cost against `interaction_arrives`.
//! * `ring_all_arrives` (plain rows, idle only): the same arrivals with the
//!   staffed queues ringing up to 5 agents at once (issue #13 §3,
//!   [`QueueConfig::parallel_offers`]): one decision makes 5 offers. Untimed:
//!   the first agent accepts, which rescinds the other 4. A summary line
//!   gives its cost against `interaction_arrives`.
//!
//! Each case prints samples, the share of decisions that made an offer, and
//! the median, p90, p99 and maximum in µs; then the growth from 100k to 1M
//! waiting, and the speed-up of the index over the reference scan router
//! ([`RoutingIndex::Scan`]) measured in the same run at 100k. The scan engine
//! is not built by replaying arrivals through it (slow once the scan is
//! real): the index engine's snapshot is restored with the configuration
//! changed (see `Scene::restored`). The index is restored from the same
//! snapshot too, after the scan's copy is dropped, and the speed-up compares
//! the two copies on the same decisions (`scan/r` against `index/r`): a
//! copy restored into a heap where the other copy still lives gets a worse
//! memory layout, which measurably slowed whichever copy came second (up to
//! 2x), and an engine that lived through the build has lists that a
//! restored one creates lazily on first use. The engine that lived through
//! the build (`index`) carries on to the larger backlogs.
//!
//! A case takes 20,000 samples on the index and 1,000 on the scan, or fewer
//! if its time budget (20 s, 15 s) runs out first, so the full run stays
//! near ten minutes however slow a router is; the table says how many. Run
//! with nothing else busy on the machine for tails worth comparing; the
//! `preempted` and `p99 cpu` columns show how much the scheduler got in.
//!
//! A small criterion group follows (mean time of a whole cycle, bookkeeping
//! included) so `cargo bench --bench routing -- <criterion options>` works
//! as usual; the latency table is the main output.
//!
//! The same workloads run again with routing rules on the staffed queues
//! (`benches/scene`'s [`Rules`]), index only, up to 100,000 waiting: rows
//! `+r` (3 routing steps and 2 exception rules per queue) and `+e`
//! (eligibility expressions: `language == interaction.language` on the
//! queue, and 3 steps narrowing it to `team == "tier2"`, then to `team ==
//! "tier2" or tenure > 12`, then not at all). A last table gives their cost
//! against the plain rows of the same run.
//!
//! * `cargo bench --bench routing`: the full run (100k and 1M waiting).
//! * `SWITCHBOARD_BENCH_QUICK=1 cargo bench --bench routing`: fewer samples, no 1M.
//! * `SWITCHBOARD_BENCH_RULES=plain,e` (any of `plain`, `r`, `e`, comma
//!   separated; default all three): only those rows, with either plan. The
//!   plain rows include the scan router's, which take most of a quick run.
//! * `cargo test --benches` or `cargo bench --bench routing -- --test`: a
//!   smoke run on a small scene (1,000 agents, 10,000 waiting), seconds long.

mod scene;

use std::fs::File;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use scene::{AGENTS, Mode, QUEUES, Rules, Scene, Spec, Staffing, thousands};
use switchboard::*;

/// How much to measure.
struct Plan {
    name: &'static str,
    agents: u64,
    /// Backlogs for `agent_frees`, smallest first; the first is also the scan's.
    frees: Vec<u64>,
    /// Backlogs in the unstaffed queues for `interaction_arrives`, smallest first (0 = idle).
    arrives: Vec<u64>,
    /// Backlogs the scan router is measured at.
    scan_at: Vec<u64>,
    index_samples: usize,
    index_budget: Duration,
    scan_samples: usize,
    scan_budget: Duration,
    /// Untimed decisions before each case's samples; the same for both
    /// routers, so their copies make the same decisions sample for sample.
    warm_up: usize,
}

impl Plan {
    fn full() -> Plan {
        Plan {
            name: "full",
            agents: AGENTS,
            frees: vec![100_000, 1_000_000],
            arrives: vec![0, 100_000, 1_000_000],
            scan_at: vec![0, 100_000],
            index_samples: 20_000,
            index_budget: Duration::from_secs(20),
            scan_samples: 1_000,
            scan_budget: Duration::from_secs(15),
            warm_up: 50,
        }
    }

    fn quick() -> Plan {
        Plan {
            name: "quick (SWITCHBOARD_BENCH_QUICK=1: no 1M, fewer samples)",
            frees: vec![100_000],
            arrives: vec![0, 100_000],
            index_samples: 2_000,
            index_budget: Duration::from_secs(10),
            scan_samples: 200,
            scan_budget: Duration::from_secs(10),
            warm_up: 20,
            ..Plan::full()
        }
    }

    fn smoke() -> Plan {
        Plan {
            name: "smoke (test mode: 1,000 agents, 10k waiting)",
            agents: 1_000,
            frees: vec![10_000],
            arrives: vec![0, 10_000],
            scan_at: vec![0, 10_000],
            index_samples: 200,
            index_budget: Duration::from_secs(5),
            scan_samples: 50,
            scan_budget: Duration::from_secs(5),
            warm_up: 5,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    AgentFrees,
    InteractionArrives,
    /// An arrival naming one preferred agent (issue #13 §2), idle agents only.
    PreferredArrives,
    /// An arrival in a queue ringing 5 agents at once (issue #13 §3), idle agents only.
    RingAllArrives,
}

/// How many agents `ring_all_arrives` rings at once.
const RING_ALL: u32 = 5;

impl Decision {
    fn name(self) -> &'static str {
        match self {
            Decision::AgentFrees => "agent_frees",
            Decision::InteractionArrives => "interaction_arrives",
            Decision::PreferredArrives => "preferred_arrives",
            Decision::RingAllArrives => "ring_all_arrives",
        }
    }
}

/// `index`: the engine that lived through the build; `/r`: a copy restored from a snapshot of it.
fn router_name(index: RoutingIndex, restored: bool) -> &'static str {
    match (index, restored) {
        (RoutingIndex::Scan, _) => "scan/r",
        (_, true) => "index/r",
        (_, false) => "index",
    }
}

/// How long this thread has waited, runnable, for a CPU (the scheduler's
/// run-queue delay, field 2 of `/proc/thread-self/schedstat`, in ns). On a
/// shared machine a timed call can be preempted for milliseconds; reading
/// this before and after each sample (outside the timed window) says which
/// samples were, and by how much. `None` where the file does not exist.
struct RunQueueWait(Option<File>);

impl RunQueueWait {
    fn open() -> RunQueueWait {
        let file = File::open("/proc/thread-self/schedstat").ok();
        let wait = RunQueueWait(file);
        if wait.read().is_none() { RunQueueWait(None) } else { wait }
    }

    #[cfg(unix)]
    fn read(&self) -> Option<u64> {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 128];
        let n = self.0.as_ref()?.read_at(&mut buf, 0).ok()?;
        std::str::from_utf8(&buf[..n]).ok()?.split_whitespace().nth(1)?.parse().ok()
    }

    #[cfg(not(unix))]
    fn read(&self) -> Option<u64> {
        None
    }
}

/// One timed call.
#[derive(Clone, Copy)]
struct Sample {
    /// Wall-clock time of the `handle` call.
    wall_ns: u64,
    /// Run-queue wait around it (0 if unknown).
    wait_ns: u64,
}

/// `engine.handle(command)`, timed: [`Instant`] around exactly that call, the run-queue wait read outside it.
fn timed_handle(s: &mut Scene, command: Command, wait: &RunQueueWait) -> Sample {
    let before = wait.read();
    let start = Instant::now();
    s.engine.handle(command, s.now).expect("bench commands are valid");
    let took = start.elapsed();
    let after = wait.read();
    let wait_ns = match (before, after) {
        (Some(b), Some(a)) => a.saturating_sub(b),
        _ => 0,
    };
    Sample { wall_ns: took.as_nanos() as u64, wait_ns }
}

/// One `agent_frees` decision: the `Complete` call's sample and whether it made an offer.
fn agent_frees(s: &mut Scene, wait: &RunQueueWait) -> (Sample, bool) {
    let backlog = s.waiting();
    s.tick();
    let (agent, interaction) = s.connected.pop_front().expect("every agent holds work");
    let sample = timed_handle(s, Command::Complete { agent, interaction }, wait);
    let offered = s.settle() > 0;
    // Back to the same backlog (an arrival may be offered at once to an agent with a free chat slot).
    s.fill_staffed(backlog);
    (sample, offered)
}

/// One `interaction_arrives` decision: the `Arrive` call's sample and whether it made an offer.
fn interaction_arrives(s: &mut Scene, wait: &RunQueueWait) -> (Sample, bool) {
    s.tick();
    let queue = s.staffed_queue();
    let (command, id) = s.next_arrival(queue);
    let sample = timed_handle(s, command, wait);
    (sample, settle_arrival(s, id, None))
}

/// After a timed arrival: accepts its offer (checking it went to `preferred`, if named) and
/// completes everything, or cancels it if nobody qualified, so the staffed queues stay empty.
/// Returns whether it was offered.
fn settle_arrival(s: &mut Scene, id: InteractionId, preferred: Option<AgentId>) -> bool {
    s.arrived();
    let offered = s.settle() > 0;
    if let (Some(agent), true) = (preferred, offered) {
        assert!(s.connected.contains(&(agent, id)), "{id} went to its preferred agent {agent}");
    }
    if !offered {
        s.handle(Command::Cancel { interaction: id });
        s.left_line();
    }
    while let Some((agent, interaction)) = s.connected.pop_front() {
        s.handle(Command::Complete { agent, interaction });
    }
    offered
}

/// The available members of `queue` who meet `requirements` (found outside any timed call).
fn ready_and_qualified(s: &Scene, queue: QueueId, requirements: &Requirements) -> Vec<AgentId> {
    s.engine
        .agents()
        .filter(|a| {
            a.presence() == Presence::Available
                && a.config().queues.iter().any(|m| m.queue == queue)
                && a.config().skills.satisfies(requirements)
        })
        .map(|a| a.id())
        .collect()
}

/// One `preferred_arrives` decision: an arrival naming one preferred agent for 30 s, a ready
/// member of its queue who qualifies (found outside the timed call, a different one nearly every
/// time, so each arrival carries a rule the index has not seen). The offer must go to them.
fn preferred_arrives(s: &mut Scene, wait: &RunQueueWait) -> (Sample, bool) {
    s.tick();
    let queue = s.staffed_queue();
    let (command, id) = s.next_arrival(queue);
    let Command::Arrive(new) = command else { unreachable!("next_arrival makes arrivals") };
    let qualified = ready_and_qualified(s, queue, &new.requirements);
    let preferred = qualified.get(id.0 as usize % qualified.len().max(1)).copied();
    let new = match preferred {
        Some(agent) => new.with_preference(Preference::agents([agent], Duration::from_secs(30))),
        None => new,
    };
    let sample = timed_handle(s, Command::Arrive(new), wait);
    (sample, settle_arrival(s, id, preferred))
}

/// One `ring_all_arrives` decision: an arrival in a staffed queue that rings up to
/// [`RING_ALL`] agents at once (the queues are set so around the case). It must ring that many,
/// or every ready agent who qualifies when fewer do; the first accepts, the others are rescinded.
fn ring_all_arrives(s: &mut Scene, wait: &RunQueueWait) -> (Sample, bool) {
    s.tick();
    let queue = s.staffed_queue();
    let (command, id) = s.next_arrival(queue);
    let Command::Arrive(new) = &command else { unreachable!("next_arrival makes arrivals") };
    let qualified = ready_and_qualified(s, queue, &new.requirements).len();
    let sample = timed_handle(s, command, wait);
    let rang = s.engine.offers().filter(|p| p.interaction == id).count();
    let expected = qualified.min(RING_ALL as usize);
    assert_eq!(rang, expected, "{id} rang {rang} agents, with {qualified} qualified");
    (sample, settle_arrival(s, id, None))
}

fn decide(s: &mut Scene, decision: Decision, wait: &RunQueueWait) -> (Sample, bool) {
    match decision {
        Decision::AgentFrees => agent_frees(s, wait),
        Decision::InteractionArrives => interaction_arrives(s, wait),
        Decision::PreferredArrives => preferred_arrives(s, wait),
        Decision::RingAllArrives => ring_all_arrives(s, wait),
    }
}

/// Summary of one case's samples.
struct Row {
    mode: Mode,
    /// The scene's routing rules it was measured with.
    rules: Rules,
    decision: Decision,
    waiting: u64,
    router: RoutingIndex,
    /// Measured on a copy restored from a snapshot, not on the engine that lived through the build.
    restored: bool,
    /// In the order taken, so two routers can be compared on the same decisions.
    samples: Vec<Sample>,
    offered: usize,
    stats: Stats,
    wall: Duration,
}

/// Percentiles of a set of samples, in nanoseconds.
struct Stats {
    median: u64,
    p90: u64,
    p99: u64,
    max: u64,
    /// Samples during which the thread waited for a CPU.
    delayed: usize,
    /// p99 of the wall time less the run-queue wait.
    p99_on_cpu: u64,
}

impl Stats {
    fn of(samples: &[Sample]) -> Stats {
        let mut wall: Vec<u64> = samples.iter().map(|s| s.wall_ns).collect();
        let mut on_cpu: Vec<u64> = samples.iter().map(|s| s.wall_ns.saturating_sub(s.wait_ns)).collect();
        wall.sort_unstable();
        on_cpu.sort_unstable();
        Stats {
            median: percentile(&wall, 0.5),
            p90: percentile(&wall, 0.9),
            p99: percentile(&wall, 0.99),
            max: *wall.last().expect("at least one sample"),
            delayed: samples.iter().filter(|s| s.wait_ns > 0).count(),
            p99_on_cpu: percentile(&on_cpu, 0.99),
        }
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Times up to `samples` decisions (fewer if `budget` runs out first), after `warm_up` untimed ones.
fn measure(s: &mut Scene, mode: Mode, decision: Decision, warm_up: usize, samples: usize, budget: Duration) -> Row {
    let start = Instant::now();
    let wait = RunQueueWait::open();
    for _ in 0..warm_up {
        decide(s, decision, &wait);
    }
    let mut taken: Vec<Sample> = Vec::with_capacity(samples);
    let mut offered = 0;
    let timed = Instant::now();
    while taken.len() < samples && (taken.len() < 10 || timed.elapsed() < budget) {
        let (sample, offer) = decide(s, decision, &wait);
        taken.push(sample);
        offered += usize::from(offer);
    }
    // A case where nothing is offered times a decision that finds nobody: not what it claims to measure.
    assert!(offered > 0, "{}{} {}: no decision made an offer", mode.name(), s.spec.rules.mark(), decision.name());
    Row {
        mode,
        rules: s.spec.rules,
        decision,
        waiting: s.waiting(),
        router: s.spec.index,
        restored: false,
        stats: Stats::of(&taken),
        samples: taken,
        offered,
        wall: start.elapsed(),
    }
}

fn us(ns: u64) -> String {
    format!("{:.2}", ns as f64 / 1_000.0)
}

fn waiting_label(decision: Decision, waiting: u64) -> String {
    match (decision, waiting) {
        (Decision::AgentFrees, w) => thousands(w),
        (Decision::InteractionArrives, 0) => "idle".to_string(),
        (Decision::InteractionArrives, w) => format!("idle+{}", thousands(w)),
        (Decision::PreferredArrives | Decision::RingAllArrives, _) => "idle".to_string(),
    }
}

fn header() -> String {
    format!(
        "{:<12} {:<20} {:>17} {:<7} {:>7} {:>8} {:>10} {:>10} {:>10} {:>10} {:>9} {:>11} {:>7}",
        "mode",
        "decision",
        "waiting",
        "router",
        "samples",
        "offered",
        "median µs",
        "p90 µs",
        "p99 µs",
        "max µs",
        "preempted",
        "p99 cpu µs",
        "wall s"
    )
}

fn row_line(r: &Row) -> String {
    format!(
        "{:<12} {:<20} {:>17} {:<7} {:>7} {:>7.1}% {:>10} {:>10} {:>10} {:>10} {:>8.1}% {:>11} {:>7.1}",
        mode_label(r),
        r.decision.name(),
        waiting_label(r.decision, r.waiting),
        router_name(r.router, r.restored),
        r.samples.len(),
        100.0 * r.offered as f64 / r.samples.len() as f64,
        us(r.stats.median),
        us(r.stats.p90),
        us(r.stats.p99),
        us(r.stats.max),
        100.0 * r.stats.delayed as f64 / r.samples.len() as f64,
        us(r.stats.p99_on_cpu),
        r.wall.as_secs_f64(),
    )
}

/// The mode, marked `+r` or `+e` when measured with routing rules.
fn mode_label(r: &Row) -> String {
    format!("{}{}", r.mode.name(), r.rules.mark())
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 { "n/a".to_string() } else { format!("{:.2}×", a as f64 / b as f64) }
}

fn print_summary(rows: &[Row]) {
    let find = |mode, decision, waiting, router, restored| {
        rows.iter().find(|r| {
            r.rules == Rules::None
                && r.mode == mode
                && r.decision == decision
                && r.waiting == waiting
                && r.router == router
                && r.restored == restored
        })
    };
    let index_rows =
        || rows.iter().filter(|r| r.router == RoutingIndex::Indexed && !r.restored && r.rules == Rules::None);

    println!();
    println!("growth with the backlog (index): ratio of medians and of p99s");
    println!("{:<10} {:<20} {:>37} {:>10} {:>10} {:>10}", "mode", "decision", "from → to", "median", "p99", "p99 cpu");
    for big in index_rows() {
        let small = match big.decision {
            // 1M against 100k; for arrivals also 100k elsewhere against idle.
            Decision::AgentFrees => big.waiting / 10,
            Decision::InteractionArrives if big.waiting >= 1_000_000 => big.waiting / 10,
            Decision::InteractionArrives if big.waiting > 0 => 0,
            Decision::InteractionArrives | Decision::PreferredArrives | Decision::RingAllArrives => continue,
        };
        let Some(small) = find(big.mode, big.decision, small, RoutingIndex::Indexed, false) else { continue };
        println!(
            "{:<10} {:<20} {:>37} {:>10} {:>10} {:>10}",
            big.mode.name(),
            big.decision.name(),
            format!("{} → {}", waiting_label(small.decision, small.waiting), waiting_label(big.decision, big.waiting)),
            ratio(big.stats.median, small.stats.median),
            ratio(big.stats.p99, small.stats.p99),
            ratio(big.stats.p99_on_cpu, small.stats.p99_on_cpu),
        );
    }

    // The arrival variants against plain arrivals on the same scene.
    let variants = [
        (Decision::PreferredArrives, "a preferred agent".to_string()),
        (Decision::RingAllArrives, format!("a ring-all of {RING_ALL}")),
    ];
    for (decision, what) in variants {
        println!();
        println!("cost of {what} (index, idle agents): {} / interaction_arrives, same scene", decision.name());
        for row in rows.iter().filter(|r| r.decision == decision) {
            let Some(plain) = find(row.mode, Decision::InteractionArrives, 0, RoutingIndex::Indexed, false) else {
                continue;
            };
            println!(
                "{:<10} {:>10} / {:>10} µs median, {:>10} / {:>10} µs p99: {} / {}",
                row.mode.name(),
                us(row.stats.median),
                us(plain.stats.median),
                us(row.stats.p99),
                us(plain.stats.p99),
                ratio(row.stats.median, plain.stats.median),
                ratio(row.stats.p99, plain.stats.p99),
            );
        }
    }

    println!();
    println!(
        "speed-up of the index over the scan router (scan time / index time), on the same decisions: \
         scan/r against index/r, copies restored from one snapshot that get the same commands"
    );
    println!(
        "{:<10} {:<20} {:>17} {:>7} {:>7} {:>10} {:>10} {:>10}",
        "mode", "decision", "waiting", "paired", "offers", "median", "p99", "p99 cpu"
    );
    for scan in rows.iter().filter(|r| r.router == RoutingIndex::Scan) {
        let Some(index) = find(scan.mode, scan.decision, scan.waiting, RoutingIndex::Indexed, true) else { continue };
        let paired = scan.samples.len().min(index.samples.len());
        let (scan_stats, index_stats) = (Stats::of(&scan.samples[..paired]), Stats::of(&index.samples[..paired]));
        println!(
            "{:<10} {:<20} {:>17} {:>7} {:>7} {:>10} {:>10} {:>10}",
            scan.mode.name(),
            scan.decision.name(),
            waiting_label(scan.decision, scan.waiting),
            paired,
            // Same commands, so the same number of offers, unless the routers disagree.
            if scan.samples.len() != index.samples.len() {
                "-"
            } else if scan.offered == index.offered {
                "same"
            } else {
                "DIFFER"
            },
            ratio(scan_stats.median, index_stats.median),
            ratio(scan_stats.p99, index_stats.p99),
            ratio(scan_stats.p99_on_cpu, index_stats.p99_on_cpu),
        );
    }

    println!();
    println!("cost of routing rules (index): time with rules / plain time, same run; µs median / p99 beside");
    println!(
        "{:<12} {:<20} {:>17} {:>17} {:>17} {:>10} {:>10} {:>10}",
        "mode", "decision", "waiting", "plain µs", "rules µs", "median", "p99", "p99 cpu"
    );
    for ruled in rows.iter().filter(|r| r.rules != Rules::None) {
        let Some(plain) = find(ruled.mode, ruled.decision, ruled.waiting, RoutingIndex::Indexed, false) else {
            continue;
        };
        let pair = |st: &Stats| format!("{} / {}", us(st.median), us(st.p99));
        println!(
            "{:<12} {:<20} {:>17} {:>17} {:>17} {:>10} {:>10} {:>10}",
            mode_label(ruled),
            ruled.decision.name(),
            waiting_label(ruled.decision, ruled.waiting),
            pair(&plain.stats),
            pair(&ruled.stats),
            ratio(ruled.stats.median, plain.stats.median),
            ratio(ruled.stats.p99, plain.stats.p99),
            ratio(ruled.stats.p99_on_cpu, plain.stats.p99_on_cpu),
        );
    }
}

/// The criterion group: the mean time of a whole cycle (the timed call plus the bookkeeping), on the index.
fn criterion_cycle(c: &mut Criterion, s: &mut Scene, mode: Mode, decision: Decision) {
    let name = format!("{}/{}/{}", decision.name(), mode.name(), waiting_label(decision, s.waiting()).replace(',', ""));
    let mut group = c.benchmark_group("routing");
    let wait = RunQueueWait(None);
    group.bench_function(name, |b| b.iter(|| black_box(decide(s, decision, &wait).1)));
    group.finish();
}

/// Measures one mode: both decisions, every size, index and scan. With
/// `rules`, the same workloads with the scene's routing rules, on the index
/// alone, up to 100,000 waiting (beside the plain rows, issue #12).
fn run_mode(plan: &Plan, mode: Mode, rules: Rules, c: &mut Criterion, rows: &mut Vec<Row>) {
    let plain = rules == Rules::None;
    let label = format!("{}{}", mode.name(), rules.mark());
    let spec = |unstaffed_queues| Spec {
        mode,
        agents: plan.agents,
        staffing: Staffing::Ready,
        unstaffed_queues,
        index: RoutingIndex::Indexed,
        rules,
    };
    let sizes = |all: &[u64]| -> Vec<u64> { all.iter().copied().filter(|w| plain || *w <= 100_000).collect() };
    // Every staffed queue has members each step admits, for every language (panics otherwise).
    let staffed = |s: &Scene| {
        if rules == Rules::Eligibility {
            let fewest = s.assert_rules_staffed();
            eprintln!("  [{label}] every queue, language and step: at least {fewest} members qualify");
        }
    };
    let case = |s: &mut Scene, decision: Decision, samples: usize, restored: bool, rows: &mut Vec<Row>| {
        let budget = match s.spec.index {
            RoutingIndex::Scan => plan.scan_budget,
            _ => plan.index_budget,
        };
        let mut row = measure(s, mode, decision, plan.warm_up, samples, budget);
        row.restored = restored;
        eprintln!("{}", row_line(&row));
        let taken = row.samples.len();
        rows.push(row);
        taken
    };
    // Where the scan is measured: the scan and then the index on copies restored from one snapshot, one at a time.
    let with_scan = |s: &Scene, decision: Decision, rows: &mut Vec<Row>| {
        if plain && plan.scan_at.contains(&s.waiting()) {
            let json = s.snapshot_json();
            let start = Instant::now();
            let mut scan = s.restored(&json, RoutingIndex::Scan);
            eprintln!("  [{label}] scan engine restored from the index's snapshot in {:.1} s", secs(start));
            let paired = case(&mut scan, decision, plan.scan_samples, true, rows);
            drop(scan);
            let mut index = s.restored(&json, RoutingIndex::Indexed);
            case(&mut index, decision, paired, true, rows);
        }
    };

    // agent_frees: every agent busy, the backlog grown from one size to the next.
    let start = Instant::now();
    let mut s = Scene::new(spec(false));
    staffed(&s);
    let frees = sizes(&plan.frees);
    for &w in &frees {
        let grow = Instant::now();
        s.fill_staffed(w);
        assert_eq!(s.engine_waiting(), w, "the harness counts what waits");
        eprintln!(
            "  [{label}] agent_frees scene: {} waiting, {} idle agents, built in {:.1} s",
            thousands(w),
            s.idle_agents(),
            secs(if w == frees[0] { start } else { grow })
        );
        with_scan(&s, Decision::AgentFrees, rows);
        case(&mut s, Decision::AgentFrees, plan.index_samples, false, rows);
        if plain {
            criterion_cycle(c, &mut s, mode, Decision::AgentFrees);
        }
    }
    drop(s);

    // interaction_arrives: every agent idle, a backlog (if any) in the unstaffed queues.
    let start = Instant::now();
    let mut s = Scene::new(spec(true));
    staffed(&s);
    let arrives = sizes(&plan.arrives);
    for &w in &arrives {
        let grow = Instant::now();
        s.fill_unstaffed(w);
        assert_eq!(s.engine_waiting(), w, "the harness counts what waits");
        eprintln!(
            "  [{label}] interaction_arrives scene: {} waiting elsewhere, built in {:.1} s",
            thousands(w),
            secs(if w == arrives[0] { start } else { grow })
        );
        with_scan(&s, Decision::InteractionArrives, rows);
        case(&mut s, Decision::InteractionArrives, plan.index_samples, false, rows);
        if w == 0 && plain {
            criterion_cycle(c, &mut s, mode, Decision::InteractionArrives);
            // Beside it, on the same scene: the same arrivals naming a preferred agent.
            case(&mut s, Decision::PreferredArrives, plan.index_samples, false, rows);
            // And the same arrivals ringing 5 agents at once.
            s.set_parallel_offers(RING_ALL);
            case(&mut s, Decision::RingAllArrives, plan.index_samples, false, rows);
            s.set_parallel_offers(1);
        }
    }
}

/// The rule sets to measure, from `SWITCHBOARD_BENCH_RULES` (`plain`, `r`,
/// `e`, comma separated; all three when unset or empty), in that order.
fn rule_sets() -> Vec<Rules> {
    let chosen = std::env::var("SWITCHBOARD_BENCH_RULES").unwrap_or_default();
    let names: Vec<&str> =
        chosen.split(',').map(|n| n.trim().trim_start_matches('+')).filter(|n| !n.is_empty()).collect();
    let all = [("plain", Rules::None), ("r", Rules::Steps), ("e", Rules::Eligibility)];
    for name in &names {
        assert!(
            all.iter().any(|(n, _)| n == name),
            "SWITCHBOARD_BENCH_RULES: unknown {name:?}, expected plain, r or e (comma separated)"
        );
    }
    all.iter().filter(|(n, _)| names.is_empty() || names.contains(n)).map(|(_, rules)| *rules).collect()
}

fn secs(since: Instant) -> f64 {
    since.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    // As criterion decides: without `--bench` (as under `cargo test --benches`) or with `--test`, a smoke run.
    let test_mode = flag("--test") || !flag("--bench");
    let quick = std::env::var("SWITCHBOARD_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let plan = if test_mode {
        Plan::smoke()
    } else if quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    if flag("--list") {
        for mode in Mode::ALL {
            for w in &plan.frees {
                println!("routing/agent_frees/{}/{w}: benchmark", mode.name());
            }
            println!("routing/interaction_arrives/{}/idle: benchmark", mode.name());
        }
        return;
    }

    let start = Instant::now();
    let title = format!(
        "routing decision latency, plan {}: {} agents, {} skills, {} queues; one engine.handle call per sample",
        plan.name,
        thousands(plan.agents),
        scene::SKILLS,
        QUEUES
    );
    eprintln!("{title}\n{}", header());
    let mut rows = Vec::new();
    for rules in rule_sets() {
        for mode in Mode::ALL {
            run_mode(&plan, mode, rules, &mut c, &mut rows);
        }
    }
    // The whole table again in one piece, after criterion's output.
    println!();
    println!("{title}");
    println!("{}", header());
    for row in &rows {
        println!("{}", row_line(row));
    }
    println!(
        "router: index = the engine that lived through the build; /r = a copy restored from its snapshot \
         at that backlog (scan/r and index/r get the same commands)\n\
         offered: decisions that made an offer; preempted: samples during which the thread waited for a CPU \
         (run-queue delay from /proc/thread-self/schedstat); p99 cpu: p99 of the wall time less that wait"
    );
    print_summary(&rows);
    println!();
    println!("total run time {:.0} s", secs(start));
    c.final_summary();
}
