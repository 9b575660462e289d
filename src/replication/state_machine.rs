//! The engine as openraft's state machine: entries in, events out, snapshots of the engine.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    AnyError, BasicNode, Entry, EntryPayload, LogId, RaftSnapshotBuilder, SnapshotMeta, StorageError, StorageIOError,
    StoredMembership,
};
use serde::{Deserialize, Serialize};

use std::path::{Path, PathBuf};

use super::entry::{Applied, Input, Receipt, SequencedEvent};
use super::file_store::{self, StoreError};
use super::{NodeId, TypeConfig};
use crate::{CommandError, Engine, EngineConfig, EngineSnapshot, Timestamp};

/// How many of the latest events each replica keeps for [`Replica::events_after`](super::Replica::events_after).
pub const EVENT_WINDOW: usize = 65_536;

/// The bytes of a replica's snapshot: the engine's snapshot and where the event stream stands.
#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    format_version: u32,
    /// The sequence number the next event gets.
    next_event_seq: u64,
    engine: EngineSnapshot,
}

impl SnapshotFile {
    /// Bumped when the layout changes; older or newer bytes are refused, not misread.
    const FORMAT_VERSION: u32 = 1;
}

/// A snapshot this replica built or installed.
struct StoredSnapshot {
    meta: SnapshotMeta<NodeId, BasicNode>,
    data: Vec<u8>,
}

/// Everything the state machine holds, behind one lock.
pub(crate) struct Machine {
    pub(crate) engine: Engine,
    pub(crate) last_applied: Option<LogId<NodeId>>,
    membership: StoredMembership<NodeId, BasicNode>,
    pub(crate) next_event_seq: u64,
    /// The latest events, oldest first, at most [`EVENT_WINDOW`].
    pub(crate) recent: VecDeque<SequencedEvent>,
    /// The outcomes of the latest entries, by log index, oldest first, at most [`EVENT_WINDOW`].
    outcomes: VecDeque<(u64, Result<(), CommandError>)>,
    snapshot: Option<StoredSnapshot>,
    snapshots_built: u64,
    /// Where snapshots are kept durably, if anywhere.
    dir: Option<PathBuf>,
}

impl Machine {
    fn apply_input(&mut self, index: u64, input: &Input) -> Receipt {
        let result = match input {
            Input::Command { at, command } => self.engine.handle(command.clone(), *at),
            Input::Timeout { at } => self.engine.handle_timeout(*at),
        };
        let first = self.next_event_seq;
        while let Some(event) = self.engine.poll_event() {
            if self.recent.len() == EVENT_WINDOW {
                self.recent.pop_front();
            }
            self.recent.push_back(SequencedEvent { seq: self.next_event_seq, event });
            self.next_event_seq += 1;
        }
        self.record(index, result);
        Receipt { index, events: (first, self.next_event_seq) }
    }

    /// Keeps the outcome of entry `index` for its proposer, and forgets the oldest beyond the window.
    fn record(&mut self, index: u64, result: Result<(), CommandError>) {
        if self.outcomes.len() == EVENT_WINDOW {
            self.outcomes.pop_front();
        }
        self.outcomes.push_back((index, result));
    }

    /// The receipt of an entry that does nothing to the engine (a blank entry, a membership change).
    fn no_input(&mut self, index: u64) -> Receipt {
        self.record(index, Ok(()));
        Receipt { index, events: (self.next_event_seq, self.next_event_seq) }
    }

    /// What the entry of `receipt` did, while its outcome and events are in the windows.
    pub(crate) fn applied(&self, receipt: Receipt) -> Option<Applied> {
        let (first, next) = receipt.events;
        let at = self.outcomes.binary_search_by_key(&receipt.index, |(index, _)| *index).ok()?;
        let result = self.outcomes[at].1.clone();
        let oldest = self.recent.front().map_or(self.next_event_seq, |e| e.seq);
        if first < oldest && first < next {
            return None;
        }
        let skip = usize::try_from(first.saturating_sub(oldest)).ok()?;
        let count = usize::try_from(next - first).ok()?;
        let events: Vec<SequencedEvent> = self.recent.iter().skip(skip).take(count).cloned().collect();
        (events.len() == count).then_some(Applied { index: receipt.index, result, events })
    }

    /// The state's bytes: what a snapshot holds and what replicas compare.
    pub(crate) fn state_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&SnapshotFile {
            format_version: SnapshotFile::FORMAT_VERSION,
            next_event_seq: self.next_event_seq,
            engine: self.engine.snapshot(),
        })
    }
}

/// Why snapshot bytes could not be installed.
#[derive(Debug, thiserror::Error)]
enum SnapshotReadError {
    #[error("replica snapshot is not readable")]
    Decode(#[source] serde_json::Error),
    #[error("replica snapshot has format version {0}, this build reads {expected}", expected = SnapshotFile::FORMAT_VERSION)]
    Version(u32),
    #[error("replica snapshot holds an engine that does not restore")]
    Restore(#[source] crate::RestoreError),
}

fn read_snapshot(bytes: &[u8]) -> Result<(Engine, u64), SnapshotReadError> {
    let file: SnapshotFile = serde_json::from_slice(bytes).map_err(SnapshotReadError::Decode)?;
    if file.format_version != SnapshotFile::FORMAT_VERSION {
        return Err(SnapshotReadError::Version(file.format_version));
    }
    let engine = Engine::restore(file.engine).map_err(SnapshotReadError::Restore)?;
    Ok((engine, file.next_event_seq))
}

/// The replicated engine: openraft applies committed entries to it, in log order, on every
/// replica. Cloning gives another handle on the same state.
#[derive(Clone)]
pub struct EngineStateMachine {
    machine: Arc<Mutex<Machine>>,
}

impl EngineStateMachine {
    /// A state machine holding a new engine with `config`, its snapshots in memory only.
    #[must_use]
    pub fn new(config: EngineConfig) -> Self {
        EngineStateMachine::with(Engine::new(config), 1, None)
    }

    fn with(engine: Engine, next_event_seq: u64, dir: Option<PathBuf>) -> Self {
        EngineStateMachine {
            machine: Arc::new(Mutex::new(Machine {
                engine,
                last_applied: None,
                membership: StoredMembership::default(),
                next_event_seq,
                recent: VecDeque::new(),
                outcomes: VecDeque::new(),
                snapshot: None,
                snapshots_built: 0,
                dir,
            })),
        }
    }

    /// A state machine whose snapshots are kept in `dir`: it starts from the snapshot there (a
    /// restarted replica then applies its log after it), or from a new engine with `config`.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the snapshot file is damaged or holds an engine that does not
    /// restore; [`StoreError::Io`] if it cannot be read.
    pub fn open(config: EngineConfig, dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = dir.as_ref();
        let Some((meta, data, data_offset)) = file_store::read_snapshot(dir)? else {
            return Ok(EngineStateMachine::with(Engine::new(config), 1, Some(dir.to_path_buf())));
        };
        let (engine, next_event_seq) = read_snapshot(&data).map_err(|e| StoreError::Corrupt {
            path: dir.join(file_store::SNAPSHOT_FILE),
            line: 2,
            offset: data_offset,
            reason: e.to_string(),
        })?;
        let machine = EngineStateMachine::with(engine, next_event_seq, Some(dir.to_path_buf()));
        {
            let mut m = machine.lock();
            m.last_applied = meta.last_log_id;
            m.membership = meta.last_membership.clone();
            m.snapshot = Some(StoredSnapshot { meta, data });
        }
        Ok(machine)
    }

    /// The state, locked. A panic while it was held (none is expected: the engine returns
    /// errors) leaves data that is still consistent per entry, so the poison is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Machine> {
        self.machine.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The time of the last entry applied, if any.
    #[must_use]
    pub fn now(&self) -> Option<Timestamp> {
        self.lock().engine.now()
    }
}

impl RaftSnapshotBuilder<TypeConfig> for EngineStateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<NodeId>> {
        let mut machine = self.lock();
        let data = machine.state_bytes().map_err(|e| StorageIOError::read_state_machine(AnyError::new(&e)))?;
        machine.snapshots_built += 1;
        let snapshot_id = match machine.last_applied {
            Some(last) => format!("{}-{}-{}", last.leader_id, last.index, machine.snapshots_built),
            None => format!("--{}", machine.snapshots_built),
        };
        let meta = SnapshotMeta {
            last_log_id: machine.last_applied,
            last_membership: machine.membership.clone(),
            snapshot_id,
        };
        if let Some(dir) = &machine.dir {
            file_store::write_snapshot(dir, &meta, &data)
                .map_err(|e| StorageIOError::write_snapshot(Some(meta.signature()), &e))?;
        }
        machine.snapshot = Some(StoredSnapshot { meta: meta.clone(), data: data.clone() });
        Ok(Snapshot { meta, snapshot: Box::new(data) })
    }
}

impl RaftStateMachine<TypeConfig> for EngineStateMachine {
    type SnapshotBuilder = Self;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<LogId<NodeId>>, StoredMembership<NodeId, BasicNode>), StorageError<NodeId>> {
        let machine = self.lock();
        Ok((machine.last_applied, machine.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Receipt>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + openraft::OptionalSend,
        I::IntoIter: openraft::OptionalSend,
    {
        if self.machine.is_poisoned() {
            // An engine that panicked half-way through an entry may differ from the others'
            // engines: stop this replica rather than let it diverge.
            let message = "the engine panicked while applying an entry; this replica stops";
            return Err(StorageIOError::write_state_machine(AnyError::error(message)).into());
        }
        let mut machine = self.lock();
        let mut responses = Vec::new();
        for entry in entries {
            machine.last_applied = Some(entry.log_id);
            let index = entry.log_id.index;
            match entry.payload {
                EntryPayload::Blank => responses.push(machine.no_input(index)),
                EntryPayload::Normal(ref input) => responses.push(machine.apply_input(index, input)),
                EntryPayload::Membership(membership) => {
                    machine.membership = StoredMembership::new(Some(entry.log_id), membership);
                    responses.push(machine.no_input(index));
                }
            }
        }
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Vec<u8>>, StorageError<NodeId>> {
        Ok(Box::default())
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<NodeId, BasicNode>,
        snapshot: Box<Vec<u8>>,
    ) -> Result<(), StorageError<NodeId>> {
        // Read everything before changing anything: a damaged snapshot leaves the replica as it was.
        let (engine, next_event_seq) =
            read_snapshot(&snapshot).map_err(|e| StorageIOError::read_snapshot(Some(meta.signature()), &e))?;
        let mut machine = self.lock();
        if let Some(dir) = &machine.dir {
            file_store::write_snapshot(dir, meta, &snapshot)
                .map_err(|e| StorageIOError::write_snapshot(Some(meta.signature()), &e))?;
        }
        machine.engine = engine;
        machine.next_event_seq = next_event_seq;
        machine.last_applied = meta.last_log_id;
        machine.membership = meta.last_membership.clone();
        // Events before the snapshot were never applied here: the windows start again.
        machine.recent.clear();
        machine.outcomes.clear();
        machine.snapshot = Some(StoredSnapshot { meta: meta.clone(), data: *snapshot });
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<TypeConfig>>, StorageError<NodeId>> {
        let machine = self.lock();
        Ok(machine.snapshot.as_ref().map(|s| Snapshot { meta: s.meta.clone(), snapshot: Box::new(s.data.clone()) }))
    }
}

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, LogId, Membership};

    use super::*;
    use crate::{AgentConfig, AgentId, CapacityProfile, Channel, Command};

    fn meta(index: u64) -> SnapshotMeta<NodeId, BasicNode> {
        SnapshotMeta {
            last_log_id: Some(LogId::new(CommittedLeaderId::new(1, 1), index)),
            last_membership: StoredMembership::new(None, Membership::new(vec![[1].into()], None)),
            snapshot_id: format!("test-{index}"),
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }

    /// A machine with one agent added at t = 5 s.
    fn machine_with_an_agent() -> EngineStateMachine {
        let machine = EngineStateMachine::new(EngineConfig::default());
        let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1));
        let receipt = machine
            .lock()
            .apply_input(1, &Input::Command { at: Timestamp::from_secs(5), command: Command::AddAgent(agent) });
        let applied = machine.lock().applied(receipt).expect("in the window");
        assert_eq!(applied.result, Ok(()));
        assert_eq!(applied.events.first().map(|e| e.seq), Some(1));
        machine
    }

    #[test]
    fn a_damaged_or_foreign_snapshot_is_a_typed_error_and_changes_nothing() {
        let mut machine = machine_with_an_agent();
        let before = machine.lock().state_bytes().unwrap();
        let good = before.clone();
        let mut newer: serde_json::Value = serde_json::from_slice(&good).unwrap();
        newer["format_version"] = serde_json::json!(2);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty", Vec::new(), "not readable"),
            ("truncated", good[..good.len() / 2].to_vec(), "not readable"),
            ("a newer format", serde_json::to_vec(&newer).unwrap(), "format version 2"),
        ];
        for (what, bytes, says) in cases {
            let result = block_on(machine.install_snapshot(&meta(9), Box::new(bytes)));
            let error = result.expect_err(what).to_string();
            assert!(error.contains(says), "{what}: {error}");
            assert_eq!(machine.lock().state_bytes().unwrap(), before, "{what} changed the state");
            assert_eq!(machine.lock().last_applied, None);
        }
    }

    #[test]
    fn an_outcome_out_of_the_window_is_not_guessed() {
        let machine = machine_with_an_agent();
        let mut machine = machine.lock();
        let first = machine.apply_input(2, &Input::Timeout { at: Timestamp::from_secs(6) });
        assert_eq!(machine.applied(first).map(|a| a.result), Some(Ok(())));
        for index in 3..(EVENT_WINDOW as u64 + 3) {
            machine.apply_input(index, &Input::Timeout { at: Timestamp::from_secs(6) });
        }
        assert_eq!(machine.applied(first), None, "an entry out of the window has no known outcome");
        let late = machine.apply_input(99_999, &Input::Timeout { at: Timestamp::from_secs(1) });
        let refused = machine.applied(late).unwrap().result;
        assert!(matches!(refused, Err(CommandError::TimeWentBackwards { .. })), "{refused:?}");
    }

    #[test]
    fn a_snapshot_round_trips_with_the_event_stream_position() {
        let mut source = machine_with_an_agent();
        let snapshot = block_on(source.build_snapshot()).unwrap();
        let mut target = EngineStateMachine::new(EngineConfig::default());
        block_on(target.install_snapshot(&meta(1), snapshot.snapshot)).unwrap();
        assert_eq!(target.lock().state_bytes().unwrap(), source.lock().state_bytes().unwrap());
        assert_eq!(target.lock().next_event_seq, source.lock().next_event_seq);
        assert_eq!(target.now(), Some(Timestamp::from_secs(5)));
    }
}
