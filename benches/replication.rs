//! Commands through a replicated engine: three replicas on an in-process network and three
//! over TCP on localhost ports, beside the bare engine in the same run.
//!
//! `cargo bench --features replication --bench replication`. One sample is one command (an
//! arrival, an accept or a completion, in turn, over 10 agents), submitted to the leader and
//! awaited until applied: its commit latency. Before criterion's own figures, the bench prints
//! p50 and p99 of 2,000 single commands for each, and their ratios to the bare engine's.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use switchboard::replication::openraft::ServerState;
use switchboard::replication::{InProcessNetwork, MemoryLog, Replica, TcpNetwork, serve};
use switchboard::*;

const AGENTS: u64 = 10;

fn config() -> EngineConfig {
    EngineConfig::builder().missed_offer_pause(None).build().unwrap()
}

fn setup() -> Vec<Command> {
    let mut commands = vec![Command::AddQueue(QueueConfig::new(QueueId(1), "sales", [Channel::Voice]))];
    for a in 1..=AGENTS {
        let agent = AgentConfig::new(AgentId(a), CapacityProfile::single(Channel::Voice, 1))
            .with_queue(QueueMembership::new(QueueId(1)));
        commands.push(Command::AddAgent(agent));
        commands.push(Command::Login { agent: AgentId(a) });
    }
    commands
}

/// The `n`th command of the stream: interaction `n / 3` arrives, is accepted, is completed.
/// Offer ids follow arrivals (one offer each, every agent free again before the next).
fn command(n: u64) -> Command {
    let id = n / 3 + 1;
    let agent = AgentId((id - 1) % AGENTS + 1);
    match n % 3 {
        0 => Command::Arrive(NewInteraction::new(InteractionId(id), Channel::Voice, QueueId(1), CustomerId(id))),
        1 => Command::Accept { agent, offer: OfferId(id) },
        _ => Command::Complete { agent, interaction: InteractionId(id) },
    }
}

fn time(n: u64) -> Timestamp {
    Timestamp::from_millis(1_700_000_000_000 + n as i64)
}

struct Bare {
    engine: Engine,
    next: u64,
}

impl Bare {
    fn new() -> Self {
        let mut engine = Engine::new(config());
        for c in setup() {
            engine.handle(c, time(0)).unwrap();
        }
        while engine.poll_event().is_some() {}
        Bare { engine, next: 0 }
    }

    fn step(&mut self) {
        let n = self.next;
        self.next += 1;
        self.engine.handle(command(n), time(n + 1)).expect("the stream is valid");
        while self.engine.poll_event().is_some() {}
    }
}

struct Cluster {
    replicas: Vec<Replica>,
    servers: Vec<tokio::task::JoinHandle<()>>,
    leader: usize,
    next: u64,
}

impl Cluster {
    /// Three replicas on an in-process network, or over TCP on localhost ports.
    async fn start(tcp: bool) -> Self {
        let network = InProcessNetwork::new();
        let mut replicas = Vec::new();
        let mut servers = Vec::new();
        let mut members = Vec::new();
        for id in 1..=3 {
            let replica = if tcp {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                members.push((id, listener.local_addr().unwrap().to_string()));
                let replica = Replica::start(id, config(), Replica::test_config(), MemoryLog::new(), TcpNetwork::new())
                    .await
                    .unwrap();
                servers.push(serve(listener, replica.raft().clone()));
                replica
            } else {
                members.push((id, format!("replica-{id}")));
                let replica =
                    Replica::start(id, config(), Replica::test_config(), MemoryLog::new(), network.for_replica(id))
                        .await
                        .unwrap();
                network.connect(id, replica.raft().clone());
                replica
            };
            replicas.push(replica);
        }
        replicas[0].initialize_at(&members).await.unwrap();
        replicas[0].wait_for_leader(Duration::from_secs(10)).await.unwrap();
        let leader = loop {
            if let Some(i) = replicas.iter().position(|r| r.raft().metrics().borrow().state == ServerState::Leader) {
                break i;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        for c in setup() {
            replicas[leader].submit(c, time(0)).await.unwrap();
        }
        Cluster { replicas, servers, leader, next: 0 }
    }

    async fn step(&mut self) {
        let n = self.next;
        self.next += 1;
        self.replicas[self.leader].submit(command(n), time(n + 1)).await.expect("the stream is valid");
    }
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (samples[samples.len() / 2], samples[samples.len() * 99 / 100])
}

fn sample(runtime: &tokio::runtime::Runtime, cluster: &mut Cluster) -> (Duration, Duration) {
    let samples = runtime.block_on(async {
        let mut samples = Vec::new();
        for _ in 0..2_000 {
            let t = Instant::now();
            cluster.step().await;
            samples.push(t.elapsed());
        }
        samples
    });
    percentiles(samples)
}

fn replication(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut bare = Bare::new();
    let mut in_process = runtime.block_on(Cluster::start(false));
    let mut tcp = runtime.block_on(Cluster::start(true));

    let bare_samples: Vec<Duration> = (0..2_000)
        .map(|_| {
            let t = Instant::now();
            bare.step();
            t.elapsed()
        })
        .collect();
    let (b50, b99) = percentiles(bare_samples);
    println!("replication: bare engine p50 {b50:?} p99 {b99:?}");
    for (name, cluster) in [("in process", &mut in_process), ("over localhost TCP", &mut tcp)] {
        let (c50, c99) = sample(&runtime, cluster);
        println!(
            "replication: 3 replicas {name} p50 {c50:?} p99 {c99:?}; ratio to the bare engine {:.0}× / {:.0}×",
            c50.as_secs_f64() / b50.as_secs_f64(),
            c99.as_secs_f64() / b99.as_secs_f64()
        );
    }

    let mut group = c.benchmark_group("replication");
    group.bench_function("bare_engine", |b| b.iter(|| bare.step()));
    for (name, cluster) in [("three_replicas_in_process", &mut in_process), ("three_replicas_tcp", &mut tcp)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let t = Instant::now();
                    for _ in 0..iters {
                        cluster.step().await;
                    }
                    t.elapsed()
                })
            })
        });
    }
    group.finish();
    runtime.block_on(async {
        for cluster in [&in_process, &tcp] {
            for server in &cluster.servers {
                server.abort();
            }
            for r in &cluster.replicas {
                r.shutdown().await.unwrap();
            }
        }
    });
}

criterion_group!(benches, replication);
criterion_main!(benches);
