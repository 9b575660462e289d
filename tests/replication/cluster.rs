//! A cluster of replicas in one process, and a client that finds the leader.

use std::collections::BTreeMap;
use std::time::Duration;

use switchboard::replication::openraft::ServerState;
use switchboard::replication::{Applied, InProcessNetwork, Input, MemoryLog, NodeId, Replica, ReplicationError};
use switchboard::{Command, EngineConfig, Timestamp};

/// How long a test waits for an election or for replicas to converge.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Raft timing for tests: heartbeats every 50 ms as in `Replica::test_config`, but elections
/// only after 400–800 ms of silence, so that a test binary's parallel tests on a loaded 2-core
/// machine do not see leaders change when no leader died.
pub fn raft_config() -> switchboard::replication::openraft::Config {
    let mut config = Replica::test_config();
    config.election_timeout_min = 400;
    config.election_timeout_max = 800;
    config
}

/// Submits `command` to whichever of `replicas` leads, following hints and waiting out
/// elections, and returns the leader's answer: applied, or refused by the engine.
pub async fn submit_to_leader(
    replicas: &BTreeMap<NodeId, Replica>,
    command: Command,
    at: Timestamp,
) -> Result<Applied, ReplicationError> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        for replica in replicas.values() {
            if replica.raft().metrics().borrow().state != ServerState::Leader {
                continue;
            }
            match replica.submit(command.clone(), at).await {
                Err(ReplicationError::NotLeader { .. } | ReplicationError::Timeout { .. }) => {}
                answer => return answer,
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "no leader took {command:?} within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn engine_config() -> EngineConfig {
    EngineConfig::builder().missed_offer_pause(None).build().unwrap()
}

pub struct Cluster {
    /// The Raft timing its replicas start with.
    pub raft: switchboard::replication::openraft::Config,
    pub network: InProcessNetwork,
    pub replicas: BTreeMap<NodeId, Replica>,
    pub logs: BTreeMap<NodeId, MemoryLog>,
}

/// What the client knows of one proposal.
#[derive(Debug)]
pub enum Outcome {
    /// Applied at this index (the command's own refusal included).
    Acknowledged(Box<Applied>),
    /// Not known: the leader it went to was lost.
    Unknown,
}

impl Cluster {
    /// Starts replicas `ids` and forms a cluster of them.
    pub async fn start(ids: &[NodeId]) -> Cluster {
        Cluster::start_with(ids, raft_config()).await
    }

    /// Starts replicas `ids` with Raft timing `raft`, and forms a cluster of them.
    pub async fn start_with(ids: &[NodeId], raft: switchboard::replication::openraft::Config) -> Cluster {
        let mut cluster =
            Cluster { raft, network: InProcessNetwork::new(), replicas: BTreeMap::new(), logs: BTreeMap::new() };
        for &id in ids {
            cluster.add_replica(id).await;
        }
        cluster.replicas[&ids[0]].initialize(ids).await.unwrap();
        cluster.leader().await;
        cluster
    }

    /// Starts replica `id`, empty, reachable on the network (not yet a member).
    pub async fn add_replica(&mut self, id: NodeId) {
        self.restart(id, MemoryLog::new()).await;
    }

    /// Restarts replica `id` after a crash, with the log it had (its durable storage): its engine
    /// is rebuilt by applying the log again.
    pub async fn restart(&mut self, id: NodeId, log: MemoryLog) {
        let replica = Replica::start(id, engine_config(), self.raft.clone(), log.clone(), self.network.for_replica(id))
            .await
            .unwrap();
        self.network.connect(id, replica.raft().clone());
        self.replicas.insert(id, replica);
        self.logs.insert(id, log);
    }

    /// Kills replica `id`: it stops and nothing reaches it any more.
    pub async fn kill(&mut self, id: NodeId) {
        self.network.disconnect(id);
        let replica = self.replicas.remove(&id).unwrap();
        replica.shutdown().await.unwrap();
    }

    /// The leader, once the live replicas agree on one that is alive.
    pub async fn leader(&self) -> NodeId {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            for replica in self.replicas.values() {
                if let Some(leader) = replica.leader().await {
                    if let Some(l) = self.replicas.get(&leader) {
                        if l.raft().metrics().borrow().state == ServerState::Leader {
                            return leader;
                        }
                    }
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "no leader elected within {PATIENCE:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Proposes `input` to the leader, following hints and retrying after a lost leader, until
    /// it is acknowledged. A retry after an unknown outcome may find the first attempt applied.
    pub async fn propose(&self, input: Input) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let leader = self.leader().await;
            let replica = &self.replicas[&leader];
            let result = match input.clone() {
                Input::Command { at, command } => replica.submit(command, at).await,
                Input::Timeout { at } => replica.timeout(at).await,
                other => panic!("unexpected input {other:?}"),
            };
            match result {
                Ok(applied) => {
                    outcomes.push(Outcome::Acknowledged(Box::new(applied)));
                    return outcomes;
                }
                Err(ReplicationError::Rejected { applied, .. }) => {
                    outcomes.push(Outcome::Acknowledged(applied));
                    return outcomes;
                }
                Err(ReplicationError::NotLeader { .. }) => {}
                Err(ReplicationError::Timeout { .. } | ReplicationError::Stopped(_) | ReplicationError::Refused(_)) => {
                    outcomes.push(Outcome::Unknown)
                }
                Err(other) => panic!("unexpected error {other}"),
            }
            assert!(tokio::time::Instant::now() < deadline, "{input:?} not acknowledged within {PATIENCE:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Submits `command` at `at`, and returns what applying it did.
    pub async fn submit(&self, command: Command, at: Timestamp) -> Applied {
        match self.propose(Input::Command { at, command }).await.pop() {
            Some(Outcome::Acknowledged(applied)) => *applied,
            other => panic!("not acknowledged: {other:?}"),
        }
    }

    /// Submits `command` to the leader, however leadership moves, and returns its answer.
    pub async fn try_submit(&self, command: Command, at: Timestamp) -> Result<Applied, ReplicationError> {
        submit_to_leader(&self.replicas, command, at).await
    }

    /// Waits until every live replica has applied the same last index, and returns it.
    pub async fn converge(&self) -> u64 {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let leader = self.leader().await;
            let last = self.replicas[&leader].raft().metrics().borrow().last_log_index;
            let applied: Vec<Option<u64>> =
                self.replicas.values().map(|r| r.raft().metrics().borrow().last_applied.map(|id| id.index)).collect();
            if let Some(last) = last {
                if applied.iter().all(|&a| a == Some(last)) {
                    return last;
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "replicas did not converge: {applied:?} of {last:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Asserts that every live replica holds byte-identical state.
    pub fn assert_identical(&self) {
        let mut states = self.replicas.iter().map(|(id, r)| (*id, r.state_bytes().unwrap()));
        let (first_id, first) = states.next().unwrap();
        for (id, state) in states {
            assert!(state == first, "replica {id} differs from replica {first_id}");
        }
    }

    pub async fn shutdown(self) {
        for replica in self.replicas.values() {
            replica.shutdown().await.unwrap();
        }
    }
}
