//! The engine as a replicated state machine on [openraft](https://docs.rs/openraft), so that
//! losing a server loses no customer (feature `replication`).
//!
//! The engine is already the right shape for Raft: a deterministic state machine whose input is a
//! log of timestamped commands. Here that log is openraft's replicated log, and a host runs three
//! (or five) [`Replica`]s that keep routing through the loss of any minority.
//!
//! # What is replicated
//!
//! Each log entry is an [`Input`]: a command with the host time it is applied at, or a time-only
//! entry for [`Engine::handle_timeout`], exactly what the journal holds. Every replica applies the
//! committed entries, in log order, to its own [`Engine`] ([`EngineStateMachine`]), so every
//! replica holds the same engine; a snapshot is the engine's snapshot (with its format version)
//! and the event stream's position, so a replica that falls behind installs it.
//!
//! # Time
//!
//! Only the leader's host reads a clock: the time travels inside the entry, so every replica
//! fires the same timers at the same logical times. The rule for a new leader is the engine's own:
//! time never goes backwards. [`Replica::submit`] refuses a time earlier than the last applied
//! one with [`ReplicationError::ClockBehind`] before it proposes anything (a host whose clock lags
//! the old leader's waits, or submits at [`Replica::now`]); and an entry that still carries an
//! earlier time (two proposals racing) is refused by the engine with
//! [`CommandError::TimeWentBackwards`] on every replica alike. The host schedules
//! [`Replica::timeout`] at [`Replica::next_deadline`], as it calls `handle_timeout` at
//! `poll_timeout` on a single engine.
//!
//! # Events after a change of leader
//!
//! Every event gets a sequence number derived from the log ([`SequencedEvent::seq`]): from 1, one
//! per event, the same on every replica. A host delivers at least once and drops what it has
//! already delivered by number; [`Replica::events_after`] gives the stream from any point still in
//! the last [`EVENT_WINDOW`] events.
//!
//! In-flight work after a failover is **re-delivered, not withdrawn**: the new leader's host
//! calls [`Replica::in_flight`] (which first makes sure the new leader has applied everything
//! committed), which lists the pending offers (with their ids, agents and
//! expiry) and the connected interactions, and rings each offered agent again with the same
//! offer id. An agent who already answered the old leader's ring answers with the same offer id;
//! the engine accepts it once (a second `Accept` of that offer is refused as unknown, changing
//! nothing), and an offer nobody answers times out by the engine's own timer and re-queues the
//! interaction keeping its place. Withdrawing instead would re-queue every ringing customer and
//! ring a possibly different agent while the first may already be talking.
//!
//! # Reads
//!
//! [`Replica::read`] reads on the leader after confirming its leadership with a quorum
//! (linearizable). [`Replica::read_local`] reads a replica's own state, leader or follower, and
//! says how current it is (the last applied log index and engine time): a follower lags the
//! leader by the entries in flight, normally a heartbeat (50 ms with [`Replica::test_config`]).
//!
//! # Storage
//!
//! [`Replica::start_durable`] keeps a replica's log and vote in a file of checksummed JSON lines
//! (the journal's line format, with Raft's own records: see [`FileLog`]), `fsync`ed before
//! openraft counts an entry as stored, and its latest snapshot in a file beside it. A restarted
//! replica rebuilds its engine from the snapshot and the log after it; a damaged file is a
//! [`StoreError`] at start, so that replica does not join while the others go on. A last line
//! a crash cut short is cut off and reported ([`Recovery`]). [`MemoryLog`] keeps the log in
//! memory instead, for tests and for replicas that rejoin as new members.
//!
//! # Networks
//!
//! [`InProcessNetwork`] connects replicas in one process (tests, benches), and can cut links to
//! make partitions. Between processes, each replica listens with [`serve`] and reaches the others
//! with [`TcpNetwork`] at the addresses the membership records ([`Replica::initialize_at`]):
//! length-delimited JSON frames, one request and its answer at a time per connection, no
//! authentication (listen on loopback or a network only the replicas share).

mod entry;
mod file_store;
mod log_store;
mod network;
mod state_machine;
mod tcp;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use openraft::error::{CheckIsLeaderError, ClientWriteError, Fatal, RaftError};
use openraft::storage::RaftLogStorage;
use openraft::{BasicNode, Raft, RaftNetworkFactory};

pub use entry::{Applied, Input, Receipt, SequencedEvent};
pub use file_store::{Recovery, StoreError};
pub use log_store::{FileLog, MemoryLog};
pub use network::{InProcessConnection, InProcessConnector, InProcessNetwork};
pub use openraft;
pub use state_machine::{EVENT_WINDOW, EngineStateMachine};
pub use tcp::{IDLE_TIMEOUT, MAX_CONNECTIONS, MAX_FRAME, TcpConnection, TcpNetwork, serve};

use crate::{
    AgentId, Command, CommandError, Engine, EngineConfig, EngineSnapshot, InteractionId, PendingOffer, Timestamp,
};

/// A replica's id in the cluster.
pub type NodeId = u64;

openraft::declare_raft_types!(
    /// The types openraft replicates: [`Input`]s in, [`Receipt`]s out, the engine's snapshot bytes.
    pub TypeConfig:
        D = Input,
        R = Receipt,
        SnapshotData = Vec<u8>,
);

/// Why a replicated command or read did not happen as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicationError {
    /// This replica is not the leader; `leader` is the one it knows of, if any. Nothing was proposed.
    #[error("replica is not the leader (leader: {leader:?})")]
    NotLeader {
        /// The leader this replica knows of.
        leader: Option<NodeId>,
    },
    /// The command was proposed but not known to be applied within `after`: it may still be
    /// applied (read the event stream to know), or be lost with the leader that proposed it.
    #[error("no answer within {after:?}")]
    Timeout {
        /// How long the replica waited.
        after: Duration,
    },
    /// The engine refused the command: it changed nothing, on every replica alike. `applied`
    /// holds the entry's index and any events of timers that fell due before it.
    #[error("the engine refused the command")]
    Rejected {
        /// Why.
        #[source]
        error: CommandError,
        /// What applying the entry did (no change from the command itself).
        applied: Box<Applied>,
    },
    /// The host time is earlier than the time the replicated engine has reached: time never goes
    /// backwards, not even across a change of leader. Nothing was proposed.
    #[error("host time {at} is earlier than the replicated engine's time {last}")]
    ClockBehind {
        /// The time the engine has reached.
        last: Timestamp,
        /// The time given.
        at: Timestamp,
    },
    /// The events after `after` are no longer all in this replica's window (the oldest it keeps is
    /// `oldest`): read the engine's state instead.
    #[error("events after {after} are gone; the oldest kept is {oldest}")]
    EventsGone {
        /// The sequence number asked after.
        after: u64,
        /// The oldest sequence number kept.
        oldest: u64,
    },
    /// The replica's durable storage is damaged or unreadable: it does not start.
    #[error("replica storage cannot be used")]
    Store(#[from] StoreError),
    /// This replica's Raft node has stopped: it was shut down, or its storage failed (openraft
    /// stops a node rather than run on after a storage error).
    #[error("the replica's Raft node has stopped")]
    Stopped(#[source] Box<Fatal<NodeId>>),
    /// The Raft configuration given to [`Replica::start`] is invalid.
    #[error("invalid Raft configuration")]
    Config(#[source] Box<openraft::ConfigError>),
    /// Raft refused or could not complete a cluster operation: forming a cluster that is already
    /// formed, a membership change, a quorum that could not be reached, a node's task that
    /// failed. The source is openraft's own error.
    #[error("Raft refused the operation")]
    Refused(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The replica's state could not be encoded as snapshot bytes.
    #[error("the replica's state cannot be encoded")]
    Encode(#[source] serde_json::Error),
}

impl From<Fatal<NodeId>> for ReplicationError {
    fn from(fatal: Fatal<NodeId>) -> Self {
        ReplicationError::Stopped(Box::new(fatal))
    }
}

fn refused(error: impl std::error::Error + Send + Sync + 'static) -> ReplicationError {
    ReplicationError::Refused(Box::new(error))
}

/// A value read from one replica's own engine, and how current that engine is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalRead<R> {
    /// The value.
    pub value: R,
    /// The index of the last log entry this replica applied (`None` before the first).
    pub applied_index: Option<u64>,
    /// The engine's time (`None` before the first command).
    pub engine_time: Option<Timestamp>,
}

/// The work in flight on a replica's engine, for a new leader's host to re-deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InFlight {
    /// Pending offers, by offer id: ring each agent again, with the same offer id.
    pub offers: Vec<PendingOffer>,
    /// Connected interactions and their agents, by interaction id.
    pub connected: Vec<(InteractionId, AgentId)>,
    /// The sequence number the next event will get: the lists are as of every event before it.
    pub next_event_seq: u64,
}

/// One replica: a [`Raft`] node whose state machine is an [`Engine`].
///
/// # Example
///
/// A single replica is a cluster of one (three or five in production, see the module docs):
///
/// ```
/// use switchboard::replication::{InProcessNetwork, MemoryLog, Replica};
/// use switchboard::{AgentId, Command, EngineConfig, Timestamp};
///
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// let network = InProcessNetwork::new();
/// let replica = Replica::start(1, EngineConfig::default(), Replica::test_config(), MemoryLog::new(), network.for_replica(1)).await?;
/// network.connect(1, replica.raft().clone());
/// replica.initialize(&[1]).await?;
/// replica.wait_for_leader(std::time::Duration::from_secs(5)).await?;
///
/// let applied = replica.submit(Command::Login { agent: AgentId(7) }, Timestamp::from_secs(10)).await;
/// // No agent 7 is configured: the engine refuses, on every replica alike.
/// assert!(applied.is_err());
/// replica.shutdown().await?;
/// # Ok::<(), switchboard::replication::ReplicationError>(())
/// # }).unwrap();
/// ```
pub struct Replica {
    id: NodeId,
    raft: Raft<TypeConfig>,
    machine: EngineStateMachine,
    write_timeout: Duration,
}

impl Replica {
    /// Timing for replicas in one process or on one host: heartbeats every 50 ms, elections after
    /// 150–300 ms of silence.
    #[must_use]
    pub fn test_config() -> openraft::Config {
        openraft::Config {
            cluster_name: "switchboard".to_string(),
            heartbeat_interval: 50,
            election_timeout_min: 150,
            election_timeout_max: 300,
            ..openraft::Config::default()
        }
    }

    /// Starts replica `id` with a new engine of `engine` configuration, its log in `log`
    /// ([`MemoryLog`], or a [`FileLog`]), sending through `network`. Every replica of a cluster
    /// must start with the same engine configuration; the cluster is formed by
    /// [`Replica::initialize`] on one of them.
    ///
    /// # Errors
    /// [`ReplicationError::Config`] if the Raft configuration is invalid;
    /// [`ReplicationError::Stopped`] if the node cannot start (its storage fails).
    pub async fn start<L, N>(
        id: NodeId,
        engine: EngineConfig,
        raft_config: openraft::Config,
        log: L,
        network: N,
    ) -> Result<Replica, ReplicationError>
    where
        L: RaftLogStorage<TypeConfig>,
        N: RaftNetworkFactory<TypeConfig>,
    {
        Replica::start_with(id, EngineStateMachine::new(engine), raft_config, log, network).await
    }

    /// Starts (or restarts) replica `id` on its storage in `dir`: its log and vote
    /// ([`FileLog`]) and its latest snapshot. A restarted replica rebuilds its engine from the
    /// snapshot and the log after it, then catches up with the others; a new directory starts a
    /// new engine of `engine` configuration.
    ///
    /// # Errors
    /// [`ReplicationError::Store`] if the log or the snapshot in `dir` is damaged, cannot be
    /// read, or the log was purged past the snapshot: the replica refuses to start, and so to
    /// join, while the others continue without it. The errors of [`Replica::start`] too.
    pub async fn start_durable<N>(
        id: NodeId,
        engine: EngineConfig,
        raft_config: openraft::Config,
        dir: impl AsRef<std::path::Path>,
        network: N,
    ) -> Result<(Replica, Recovery), ReplicationError>
    where
        N: RaftNetworkFactory<TypeConfig>,
    {
        let (log, recovery) = FileLog::open(dir.as_ref())?;
        let machine = EngineStateMachine::open(engine, dir.as_ref())?;
        let snapshot_upto = machine.lock().last_applied.map(|id| id.index);
        if let Some(purged) = log.purged_upto() {
            if snapshot_upto.is_none_or(|upto| upto < purged.index) {
                let dir = dir.as_ref().to_path_buf();
                return Err(StoreError::PurgedPastSnapshot { dir, purged_upto: purged.index, snapshot_upto }.into());
            }
        }
        let replica = Replica::start_with(id, machine, raft_config, log, network).await?;
        Ok((replica, recovery))
    }

    async fn start_with<L, N>(
        id: NodeId,
        machine: EngineStateMachine,
        raft_config: openraft::Config,
        log: L,
        network: N,
    ) -> Result<Replica, ReplicationError>
    where
        L: RaftLogStorage<TypeConfig>,
        N: RaftNetworkFactory<TypeConfig>,
    {
        let raft_config = Arc::new(raft_config.validate().map_err(|e| ReplicationError::Config(Box::new(e)))?);
        let write_timeout = Duration::from_millis(raft_config.election_timeout_max.saturating_mul(10));
        let raft = Raft::new(id, raft_config, network, log, machine.clone()).await?;
        Ok(Replica { id, raft, machine, write_timeout })
    }

    /// This replica's id.
    #[must_use]
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The Raft node, for membership changes and metrics.
    #[must_use]
    pub fn raft(&self) -> &Raft<TypeConfig> {
        &self.raft
    }

    /// Forms a new cluster of `members` (this replica among them), each reachable through the
    /// network under its id. Call it once, on one replica.
    ///
    /// # Errors
    /// [`ReplicationError::Refused`] if the cluster is already formed or Raft refuses.
    pub async fn initialize(&self, members: &[NodeId]) -> Result<(), ReplicationError> {
        let nodes: BTreeMap<NodeId, BasicNode> =
            members.iter().map(|&id| (id, BasicNode::new(format!("replica-{id}")))).collect();
        self.raft.initialize(nodes).await.map_err(refused)
    }

    /// Forms a new cluster of `members`, each reachable at its address (`"127.0.0.1:21001"` for
    /// [`TcpNetwork`]). Call it once, on one replica.
    ///
    /// # Errors
    /// [`ReplicationError::Refused`] if the cluster is already formed or Raft refuses.
    pub async fn initialize_at(&self, members: &[(NodeId, String)]) -> Result<(), ReplicationError> {
        let nodes: BTreeMap<NodeId, BasicNode> = members.iter().map(|(id, addr)| (*id, BasicNode::new(addr))).collect();
        self.raft.initialize(nodes).await.map_err(refused)
    }

    /// Waits until the cluster has a leader, and returns its id.
    ///
    /// # Errors
    /// [`ReplicationError::Timeout`] if none is elected within `within`.
    pub async fn wait_for_leader(&self, within: Duration) -> Result<NodeId, ReplicationError> {
        let metrics = self
            .raft
            .wait(Some(within))
            .metrics(|m| m.current_leader.is_some(), "a leader")
            .await
            .map_err(|_| ReplicationError::Timeout { after: within })?;
        metrics.current_leader.ok_or(ReplicationError::Timeout { after: within })
    }

    /// The leader this replica knows of.
    pub async fn leader(&self) -> Option<NodeId> {
        self.raft.current_leader().await
    }

    /// Replicates `command` at host time `at` and returns what applying it did.
    ///
    /// # Errors
    /// [`ReplicationError::NotLeader`] on a follower (with the leader to ask),
    /// [`ReplicationError::ClockBehind`] for a time before the engine's,
    /// [`ReplicationError::Rejected`] with the engine's [`CommandError`],
    /// [`ReplicationError::Timeout`] when the outcome is not known in time,
    /// [`ReplicationError::EventsGone`] when the command was applied but its outcome and events
    /// have already left this replica's window (more than [`EVENT_WINDOW`] events or entries
    /// since: read the engine's state to know where things stand).
    pub async fn submit(&self, command: Command, at: Timestamp) -> Result<Applied, ReplicationError> {
        self.propose(Input::Command { at, command }).await
    }

    /// Replicates a time-only entry: every replica fires the timers due by `at`.
    ///
    /// # Errors
    /// As [`Replica::submit`].
    pub async fn timeout(&self, at: Timestamp) -> Result<Applied, ReplicationError> {
        self.propose(Input::Timeout { at }).await
    }

    async fn propose(&self, input: Input) -> Result<Applied, ReplicationError> {
        if let Some(last) = self.machine.now() {
            if input.at() < last {
                return Err(ReplicationError::ClockBehind { last, at: input.at() });
            }
        }
        let written = tokio::time::timeout(self.write_timeout, self.raft.client_write(input))
            .await
            .map_err(|_| ReplicationError::Timeout { after: self.write_timeout })?;
        match written {
            Ok(response) => {
                let receipt = response.data;
                let applied = {
                    let machine = self.machine.lock();
                    machine.applied(receipt).ok_or_else(|| ReplicationError::EventsGone {
                        after: receipt.events.0.saturating_sub(1),
                        oldest: machine.recent.front().map_or(machine.next_event_seq, |e| e.seq),
                    })?
                };
                match applied.result.clone() {
                    Ok(()) => Ok(applied),
                    Err(error) => Err(ReplicationError::Rejected { error, applied: Box::new(applied) }),
                }
            }
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward))) => {
                Err(ReplicationError::NotLeader { leader: forward.leader_id })
            }
            Err(RaftError::APIError(other)) => Err(refused(other)),
            Err(RaftError::Fatal(fatal)) => Err(fatal.into()),
        }
    }

    /// The replicated engine's time on this replica: a new leader's host submits at or after it.
    #[must_use]
    pub fn now(&self) -> Option<Timestamp> {
        self.machine.now()
    }

    /// When the leader's host should call [`Replica::timeout`] next (the engine's `poll_timeout`).
    #[must_use]
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.machine.lock().engine.poll_timeout()
    }

    /// Reads the engine on the leader, after a quorum confirms it still leads and it has applied
    /// everything committed before the read: linearizable.
    ///
    /// # Errors
    /// [`ReplicationError::NotLeader`] on a follower; [`ReplicationError::Refused`] if no quorum
    /// confirms the leadership; [`ReplicationError::Stopped`] if Raft stopped.
    pub async fn read<R>(&self, read: impl FnOnce(&Engine) -> R) -> Result<R, ReplicationError> {
        match self.raft.ensure_linearizable().await {
            Ok(_) => Ok(read(&self.machine.lock().engine)),
            Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(forward))) => {
                Err(ReplicationError::NotLeader { leader: forward.leader_id })
            }
            Err(RaftError::APIError(other)) => Err(refused(other)),
            Err(RaftError::Fatal(fatal)) => Err(fatal.into()),
        }
    }

    /// Reads this replica's own engine, leader or follower, with how current it is. `read` runs
    /// under the replica's lock: it must not call back into this replica.
    pub fn read_local<R>(&self, read: impl FnOnce(&Engine) -> R) -> LocalRead<R> {
        let machine = self.machine.lock();
        LocalRead {
            value: read(&machine.engine),
            applied_index: machine.last_applied.map(|id| id.index),
            engine_time: machine.engine.now(),
        }
    }

    /// The events numbered after `seq`, oldest first (all of the window for 0).
    ///
    /// # Errors
    /// [`ReplicationError::EventsGone`] if some of them are no longer in the window.
    pub fn events_after(&self, seq: u64) -> Result<Vec<SequencedEvent>, ReplicationError> {
        let machine = self.machine.lock();
        let oldest = machine.recent.front().map_or(machine.next_event_seq, |e| e.seq);
        if seq.saturating_add(1) < oldest {
            return Err(ReplicationError::EventsGone { after: seq, oldest });
        }
        Ok(machine.recent.iter().filter(|e| e.seq > seq).cloned().collect())
    }

    /// The sequence number the next event will get.
    #[must_use]
    pub fn next_event_seq(&self) -> u64 {
        self.machine.lock().next_event_seq
    }

    /// The work in flight, read on the leader once it has applied everything committed before
    /// (as [`Replica::read`]): what a new leader's host re-delivers. A new leader applies the old
    /// leader's last entries only after its own first entry commits, so its local state alone
    /// ([`Replica::in_flight_local`]) could miss an offer the old leader had just made.
    ///
    /// # Errors
    /// As [`Replica::read`].
    pub async fn in_flight(&self) -> Result<InFlight, ReplicationError> {
        self.read(|_| ()).await?;
        Ok(self.in_flight_local())
    }

    /// The work in flight on this replica's own engine, however current it is.
    #[must_use]
    pub fn in_flight_local(&self) -> InFlight {
        let machine = self.machine.lock();
        let mut offers: Vec<PendingOffer> = machine.engine.offers().cloned().collect();
        offers.sort_by_key(|offer| offer.id);
        let mut connected: Vec<(InteractionId, AgentId)> = machine
            .engine
            .interactions()
            .filter_map(|i| match i.state() {
                crate::InteractionState::Connected { agent } => Some((i.id(), agent)),
                _ => None,
            })
            .collect();
        connected.sort();
        InFlight { offers, connected, next_event_seq: machine.next_event_seq }
    }

    /// This replica's engine state, as its snapshot holds it: equal on replicas that applied the
    /// same entries.
    #[must_use]
    pub fn engine_snapshot(&self) -> EngineSnapshot {
        self.machine.lock().engine.snapshot()
    }

    /// The bytes this replica's Raft snapshot would hold now (the engine and the event stream's
    /// position): byte-identical on replicas that applied the same entries.
    ///
    /// # Errors
    /// [`ReplicationError::Encode`] if the state cannot be encoded.
    pub fn state_bytes(&self) -> Result<Vec<u8>, ReplicationError> {
        self.machine.lock().state_bytes().map_err(ReplicationError::Encode)
    }

    /// Stops this replica's Raft node.
    ///
    /// # Errors
    /// [`ReplicationError::Refused`] if its task failed.
    pub async fn shutdown(&self) -> Result<(), ReplicationError> {
        self.raft.shutdown().await.map_err(refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_raft_configuration_is_a_typed_error_that_names_its_cause() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let mut config = Replica::test_config();
        config.election_timeout_min = 500;
        config.election_timeout_max = 100;
        let network = InProcessNetwork::new();
        let started = runtime.block_on(Replica::start(
            1,
            EngineConfig::default(),
            config,
            MemoryLog::new(),
            network.for_replica(1),
        ));
        let Err(error) = started else { panic!("an election timeout range of 500–100 ms was accepted") };
        assert!(matches!(error, ReplicationError::Config(_)), "{error:?}");
        let cause = std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default();
        assert!(cause.contains("election"), "the cause says what is wrong: {cause}");
    }
}
