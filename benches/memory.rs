//! Memory at contact-center scale (issue #10, "Scale"), counted, not estimated.
//!
//! This bench binary's global allocator is `stats_alloc`'s counting wrapper
//! around the system allocator, so "live bytes" is exactly the bytes
//! requested and not yet freed (the system allocator's own per-block
//! overhead, typically 8–16 bytes, is not included; live blocks are printed
//! beside the bytes so it can be added). On the scene of `benches/scene/mod.rs`:
//!
//! * **per agent**: live bytes after adding 10,000 agents (skills, four
//!   queues, logged in, nothing waiting) minus before, over 10,000;
//! * **per waiting interaction**: with every agent logged in and paused so
//!   nothing routes, live bytes after 100,000 (then 1,000,000) arrivals minus
//!   before, over the number waiting; for both requirement modes;
//! * **restore**: the wall time of `Engine::restore` of the backlog's snapshot
//!   (one run, for scale);
//! * **per waiting interaction in a snapshot**: the length of
//!   `serde_json::to_vec(&engine.snapshot())` (compact JSON) at that backlog
//!   minus its length with nothing waiting, over the number waiting; with
//!   feature `compact` (`cargo bench --all-features --bench memory`), the
//!   same for `EngineSnapshot::to_compact()`.
//!
//! The targets of issue #10 are printed beside each figure.
//!
//! * `cargo bench --bench memory`: 100k and 1M waiting.
//! * `SWITCHBOARD_BENCH_QUICK=1 cargo bench --bench memory`: 100k only.
//! * `cargo test --benches`: a smoke run (1,000 agents, 10,000 waiting).

mod scene;

use std::alloc::System;
use std::time::Instant;

use scene::{AGENTS, Mode, Rules, Scene, Spec, Staffing, thousands};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use switchboard::RoutingIndex;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Targets of issue #10.
const AGENT_TARGET_BYTES: f64 = 1_024.0;
const WAITING_TARGET_BYTES: f64 = 300.0;
const SNAPSHOT_TARGET_BYTES: f64 = 200.0;

/// Live bytes and live blocks right now.
#[derive(Clone, Copy)]
struct Live {
    bytes: i128,
    blocks: i128,
}

fn live() -> Live {
    let s = GLOBAL.stats();
    Live {
        // Reallocations are already folded into these two counters.
        bytes: s.bytes_allocated as i128 - s.bytes_deallocated as i128,
        blocks: s.allocations as i128 - s.deallocations as i128,
    }
}

struct Line {
    what: &'static str,
    mode: &'static str,
    count: u64,
    bytes_each: f64,
    blocks_each: Option<f64>,
    target: f64,
    total_mib: f64,
}

fn snapshot_len(s: &Scene) -> usize {
    serde_json::to_vec(&s.engine.snapshot()).expect("a snapshot serialises").len()
}

/// The compact snapshot's length, with feature `compact` (`cargo bench --all-features --bench memory`).
#[cfg(feature = "compact")]
fn compact_len(s: &Scene) -> Option<usize> {
    Some(s.engine.snapshot().to_compact().len())
}

#[cfg(not(feature = "compact"))]
fn compact_len(_: &Scene) -> Option<usize> {
    None
}

/// Wall time of restoring the scene's engine from its snapshot (taking the
/// snapshot is not counted): one measurement, for scale, not a statistic.
fn restore_secs(s: &Scene) -> f64 {
    let snapshot = s.engine.snapshot();
    let start = Instant::now();
    let restored = switchboard::Engine::restore(snapshot).expect("the scene's snapshot restores");
    let secs = start.elapsed().as_secs_f64();
    drop(restored);
    secs
}

fn print(lines: &[Line]) {
    println!(
        "{:<40} {:<10} {:>10} {:>12} {:>12} {:>9} {:>6} {:>11}",
        "what", "mode", "count", "bytes each", "blocks each", "target", "", "total MiB"
    );
    for l in lines {
        println!(
            "{:<40} {:<10} {:>10} {:>12.1} {:>12} {:>9} {:>6} {:>11.1}",
            l.what,
            l.mode,
            thousands(l.count),
            l.bytes_each,
            l.blocks_each.map_or("-".to_string(), |b| format!("{b:.2}")),
            format!("≤ {}", l.target),
            if l.bytes_each <= l.target { "ok" } else { "OVER" },
            l.total_mib,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let test_mode = flag("--test") || !flag("--bench");
    let quick = std::env::var("SWITCHBOARD_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let (agents, sizes, plan): (u64, Vec<u64>, &str) = if test_mode {
        (1_000, vec![10_000], "smoke (test mode: 1,000 agents, 10k waiting)")
    } else if quick {
        (AGENTS, vec![100_000], "quick (SWITCHBOARD_BENCH_QUICK=1: no 1M)")
    } else {
        (AGENTS, vec![100_000, 1_000_000], "full")
    };
    if flag("--list") {
        return;
    }
    let start = Instant::now();
    let mib = |bytes: i128| bytes as f64 / (1024.0 * 1024.0);
    let mut lines = Vec::new();

    // Per agent: skills and queues first, then the agents.
    let spec = |mode, staffing| Spec {
        mode,
        agents,
        staffing,
        unstaffed_queues: false,
        index: RoutingIndex::Indexed,
        rules: Rules::None,
    };
    let mut s = Scene::configure(spec(Mode::Catalogue, Staffing::Ready));
    let before = live();
    s.staff();
    let after = live();
    lines.push(Line {
        what: "per agent (ready, nothing waiting)",
        mode: "-",
        count: agents,
        bytes_each: (after.bytes - before.bytes) as f64 / agents as f64,
        blocks_each: Some((after.blocks - before.blocks) as f64 / agents as f64),
        target: AGENT_TARGET_BYTES,
        total_mib: mib(after.bytes - before.bytes),
    });
    drop(s);
    eprintln!("  agents measured ({:.1} s)", start.elapsed().as_secs_f64());

    // Per waiting interaction, agents paused so nothing routes.
    let mut snapshot_lines = Vec::new();
    let mut restores = Vec::new();
    for mode in Mode::ALL {
        let mut s = Scene::new(spec(mode, Staffing::Paused));
        let empty_snapshot = snapshot_len(&s);
        let empty_compact = compact_len(&s);
        let before = live();
        for &w in &sizes {
            let grow = Instant::now();
            s.fill_staffed(w);
            let after = live();
            assert_eq!(s.engine_waiting(), w, "nothing routes to paused agents");
            let grown = after.bytes - before.bytes;
            lines.push(Line {
                what: "per waiting interaction (agents paused)",
                mode: mode.name(),
                count: w,
                bytes_each: grown as f64 / w as f64,
                blocks_each: Some((after.blocks - before.blocks) as f64 / w as f64),
                target: WAITING_TARGET_BYTES,
                total_mib: mib(grown),
            });
            let snapshot = snapshot_len(&s);
            snapshot_lines.push(Line {
                what: "per waiting in the JSON snapshot",
                mode: mode.name(),
                count: w,
                bytes_each: (snapshot - empty_snapshot) as f64 / w as f64,
                blocks_each: None,
                target: SNAPSHOT_TARGET_BYTES,
                total_mib: mib(snapshot as i128),
            });
            if let (Some(compact), Some(empty)) = (compact_len(&s), empty_compact) {
                snapshot_lines.push(Line {
                    what: "per waiting in the compact snapshot",
                    mode: mode.name(),
                    count: w,
                    bytes_each: (compact - empty) as f64 / w as f64,
                    blocks_each: None,
                    target: SNAPSHOT_TARGET_BYTES,
                    total_mib: mib(compact as i128),
                });
            }
            restores.push((mode.name(), w, restore_secs(&s)));
            eprintln!("  {}: {} waiting measured ({:.1} s)", mode.name(), thousands(w), grow.elapsed().as_secs_f64());
        }
    }
    lines.extend(snapshot_lines);

    println!();
    println!(
        "memory, plan {plan}: {} agents, {} skills, {} queues; live bytes counted by the allocator \
         (requested sizes, without the allocator's per-block overhead)",
        thousands(agents),
        scene::SKILLS,
        scene::QUEUES
    );
    print(&lines);
    println!("(total MiB: the growth measured; for snapshots, the whole snapshot's length)");
    println!();
    println!("restoring the engine from its snapshot (Engine::restore, checks included; wall time, one run)");
    println!("{:<10} {:>10} {:>10} {:>16}", "mode", "waiting", "seconds", "µs per waiting");
    for (mode, waiting, secs) in &restores {
        println!("{:<10} {:>10} {:>10.2} {:>16.1}", mode, thousands(*waiting), secs, secs * 1e6 / *waiting as f64);
    }
    println!();
    println!("total run time {:.0} s", start.elapsed().as_secs_f64());
}
