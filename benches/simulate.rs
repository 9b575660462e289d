//! Simulation throughput: simulated interactions per second of wall time.
//!
//! `cargo bench --bench simulate`. Two workloads: a 50-agent single queue
//! (M/M/50 at 90 % occupancy, about 50,000 calls) and the built-in blended day.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchboard::sim::{Scenario, Simulation};
use switchboard::{Engine, Event};

fn arrived(scenario: &Scenario) -> u64 {
    Simulation::new(scenario, 1).unwrap().run(&mut |_: &Event, _: &Engine| {}).arrived
}

fn simulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(10);
    let single = Scenario::single_queue(50, 0.9 * 50.0 * 3600.0 / 180.0, 180.0, None, 56);
    let day = Scenario::builtin_day();
    for (name, scenario) in [("single_queue_50_agents", &single), ("builtin_day", &day)] {
        group.throughput(Throughput::Elements(arrived(scenario)));
        group.bench_function(name, |b| {
            b.iter(|| Simulation::new(black_box(scenario), 1).unwrap().run(&mut |_: &Event, _: &Engine| {}))
        });
    }
    group.finish();
}

criterion_group!(benches, simulate);
criterion_main!(benches);
