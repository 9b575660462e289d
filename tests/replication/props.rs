//! Random command streams with random leader crashes and restarts: what survives equals one
//! engine fed the committed log, and every acknowledged command is in it exactly where it was
//! acknowledged.
//!
//! `SWITCHBOARD_SEED` sets the seed (printed on failure) and `SWITCHBOARD_REPLICATION_CASES` the
//! number of cases (4 by default: each case elects leaders in real time, about two seconds).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use switchboard::replication::openraft::{EntryPayload, RaftLogReader};
use switchboard::replication::{Input, SequencedEvent};
use switchboard::*;

use crate::cluster::{Cluster, Outcome, engine_config};
use crate::{arrive, at, staff};

#[derive(Clone, Debug)]
enum Op {
    Arrive(u64),
    /// The first pending offer is accepted.
    Accept,
    /// The first connected interaction is completed.
    Complete,
    /// Time passes by this many seconds, and timers fire.
    Wait(u8),
    /// The replica that is down (if one is) restarts with its log, its engine rebuilt from it;
    /// then the leader's process dies, and stays down until the next crash or the end.
    CrashLeader,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u64..12).prop_map(Op::Arrive),
        3 => Just(Op::Accept),
        2 => Just(Op::Complete),
        2 => (1u8..40).prop_map(Op::Wait),
        1 => Just(Op::CrashLeader),
    ]
}

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_5eed)
}

fn config() -> Config {
    let cases = std::env::var("SWITCHBOARD_REPLICATION_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(4);
    Config { cases, rng_seed: RngSeed::Fixed(seed()), failure_persistence: None, ..Config::default() }
}

async fn run(ops: &[Op]) -> Result<(), String> {
    // Elections after 150–300 ms: every step here retries through a change of leader, so a
    // spurious election costs time, not the test.
    let mut cluster = Cluster::start_with(&[1, 2, 3], switchboard::replication::Replica::test_config()).await;
    staff(&cluster, 2).await;
    let mut now = 10;
    let mut down = None;
    let mut acknowledged: Vec<(Input, Box<switchboard::replication::Applied>)> = Vec::new();
    for op in ops {
        now += 1;
        let leader = cluster.leader().await;
        let in_flight = cluster.replicas[&leader].in_flight_local();
        let input = match op {
            Op::Arrive(id) => Some(Input::Command { at: at(now), command: arrive(*id) }),
            Op::Accept => in_flight
                .offers
                .first()
                .map(|o| Input::Command { at: at(now), command: Command::Accept { agent: o.agent, offer: o.id } }),
            Op::Complete => in_flight.connected.first().map(|&(interaction, agent)| Input::Command {
                at: at(now),
                command: Command::Complete { agent, interaction },
            }),
            Op::Wait(secs) => {
                now += i64::from(*secs);
                Some(Input::Timeout { at: at(now) })
            }
            Op::CrashLeader => {
                if let Some(id) = down.take() {
                    let log = cluster.logs[&id].clone();
                    cluster.restart(id, log).await;
                }
                let leader = cluster.leader().await;
                cluster.kill(leader).await;
                down = Some(leader);
                None
            }
        };
        if let Some(input) = input {
            for outcome in cluster.propose(input.clone()).await {
                if let Outcome::Acknowledged(applied) = outcome {
                    acknowledged.push((input.clone(), applied));
                }
            }
        }
    }
    if let Some(id) = down {
        let log = cluster.logs[&id].clone();
        cluster.restart(id, log).await;
    }
    let last = cluster.converge().await;
    cluster.assert_identical();

    // One engine fed the committed log, in order.
    let leader = cluster.leader().await;
    let mut log = cluster.logs[&leader].clone();
    let entries = log.try_get_log_entries(1..=last).await.map_err(|e| e.to_string())?;
    if entries.len() as u64 != last {
        return Err(format!("the log holds {} entries up to {last}", entries.len()));
    }
    let mut reference = Engine::new(engine_config());
    let mut stream: Vec<SequencedEvent> = Vec::new();
    let mut by_index = std::collections::BTreeMap::new();
    for entry in entries {
        if let EntryPayload::Normal(input) = entry.payload {
            let _ = match &input {
                Input::Command { at, command } => reference.handle(command.clone(), *at),
                Input::Timeout { at } => reference.handle_timeout(*at),
                other => return Err(format!("unexpected input {other:?}")),
            };
            while let Some(event) = reference.poll_event() {
                stream.push(SequencedEvent::new(stream.len() as u64 + 1, event));
            }
            by_index.insert(entry.log_id.index, input);
        }
    }
    let replica = &cluster.replicas[&leader];
    if replica.engine_snapshot() != reference.snapshot() {
        return Err("the replicated engine differs from one engine fed the log".to_string());
    }
    if replica.events_after(0).map_err(|e| e.to_string())? != stream {
        return Err("the replicated event stream differs from one engine's".to_string());
    }
    for (input, applied) in &acknowledged {
        if by_index.get(&applied.index) != Some(input) {
            return Err(format!("acknowledged {input:?} is not at index {} of the log", applied.index));
        }
        for event in &applied.events {
            if stream.get(event.seq as usize - 1) != Some(event) {
                return Err(format!("acknowledged event {} differs from the stream's", event.seq));
            }
        }
    }
    cluster.shutdown().await;
    Ok(())
}

#[test]
fn the_replicas_equal_one_engine_fed_the_committed_log_through_crashes() {
    let seed = seed();
    let mut runner = TestRunner::new(config());
    let result = runner.run(&prop::collection::vec(op(), 5..30), |ops| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(run(&ops)).map_err(|e| TestCaseError::fail(format!("SWITCHBOARD_SEED={seed}: {e}")))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
