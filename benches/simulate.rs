//! Simulation throughput: simulated arrivals per second of CPU time.
//!
//! `cargo bench --bench simulate`. Three workloads:
//!
//! * `single_queue_50_agents`: M/M/50 at 90 % occupancy for 56 hours (about
//!   50,000 arrivals);
//! * `single_queue_5000_agents`: M/M/5000 at the same 90 % occupancy for 3
//!   hours (about 270,000 arrivals), to show how the cost of an arrival grows
//!   with the number of agents;
//! * `builtin_day`: the built-in blended day.
//!
//! Each iteration sets up and runs a whole simulation, and the throughput is
//! in arrivals. The time measured is the CPU time of the benchmark's thread
//! (from `/proc/thread-self/schedstat` on Linux), not wall time, so that other
//! work on a shared machine does not show up as a slower simulator; where that
//! file cannot be read, it falls back to wall time.

use std::hint::black_box;
use std::time::Instant;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchboard::sim::{Scenario, Simulation};
use switchboard::{Engine, Event};

/// The calling thread's CPU time so far, in nanoseconds, if the system says.
fn thread_cpu_ns() -> Option<u64> {
    // The first field is the time spent on the CPU, in nanoseconds.
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// CPU time of the benchmark's thread, in nanoseconds (wall time where unavailable).
struct CpuTime {
    /// Whether the CPU clock can be read here; otherwise wall time is measured.
    cpu: bool,
    /// Lends its formatting: values are nanoseconds either way.
    wall: WallTime,
}

impl CpuTime {
    fn new() -> Self {
        let cpu = thread_cpu_ns().is_some();
        if !cpu {
            eprintln!("simulate: no per-thread CPU clock here, measuring wall time");
        }
        CpuTime { cpu, wall: WallTime }
    }
}

/// Where a measurement started: CPU nanoseconds or a wall-clock instant.
enum Start {
    Cpu(u64),
    Wall(Instant),
}

impl Measurement for CpuTime {
    type Intermediate = Start;
    type Value = u64;

    fn start(&self) -> Start {
        match self.cpu.then(thread_cpu_ns).flatten() {
            Some(ns) => Start::Cpu(ns),
            None => Start::Wall(Instant::now()),
        }
    }

    fn end(&self, start: Start) -> u64 {
        match start {
            Start::Cpu(from) => thread_cpu_ns().map_or(0, |to| to.saturating_sub(from)),
            Start::Wall(from) => u64::try_from(from.elapsed().as_nanos()).unwrap_or(u64::MAX),
        }
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a.saturating_add(*b)
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Values are nanoseconds, as for wall time, so its formatting (time and throughput) applies.
        self.wall.formatter()
    }
}

fn arrived(scenario: &Scenario) -> u64 {
    Simulation::new(scenario, 1).unwrap().run(&mut |_: &Event, _: &Engine| {}).arrived
}

fn simulate(c: &mut Criterion<CpuTime>) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    let single = Scenario::single_queue(50, 0.9 * 50.0 * 3600.0 / 180.0, 180.0, None, 56);
    let large = Scenario::single_queue(5000, 0.9 * 5000.0 * 3600.0 / 180.0, 180.0, None, 3);
    let day = Scenario::builtin_day();
    for (name, scenario) in
        [("single_queue_50_agents", &single), ("single_queue_5000_agents", &large), ("builtin_day", &day)]
    {
        group.throughput(Throughput::Elements(arrived(scenario)));
        group.bench_function(name, |b| {
            b.iter(|| Simulation::new(black_box(scenario), 1).unwrap().run(&mut |_: &Event, _: &Engine| {}))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime::new());
    targets = simulate
}
criterion_main!(benches);
