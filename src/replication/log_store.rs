//! The replicated log, kept in memory or in a file.

// openraft's storage traits return its `StorageError` (over 200 bytes); the helpers here return
// what those methods return.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::RangeBounds;
use std::sync::Arc;

use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{AnyError, Entry, LogId, RaftLogReader, StorageError, StorageIOError, Vote};
use tokio::sync::Mutex;

use std::path::Path;

use super::file_store::{LogFile, Recovery, StoreError};
use super::{NodeId, TypeConfig};

/// A Raft log's contents: what [`MemoryLog`] holds, and what a file log rebuilds from its file.
#[derive(Default)]
pub(super) struct Log {
    /// The last entry removed by a purge (its successors are kept).
    pub(super) last_purged: Option<LogId<NodeId>>,
    pub(super) entries: BTreeMap<u64, Entry<TypeConfig>>,
    pub(super) committed: Option<LogId<NodeId>>,
    pub(super) vote: Option<Vote<NodeId>>,
}

impl Log {
    pub(super) fn state(&self) -> LogState<TypeConfig> {
        let last = self.entries.values().next_back().map(|entry| entry.log_id).or(self.last_purged);
        LogState { last_purged_log_id: self.last_purged, last_log_id: last }
    }

    /// Removes `[from, ∞)`: the entries a new leader's log disagrees with.
    pub(super) fn truncate(&mut self, from: u64) {
        drop(self.entries.split_off(&from));
    }

    /// Removes `(-∞, upto]`, entries a snapshot holds; a purge never goes back.
    pub(super) fn purge(&mut self, upto: LogId<NodeId>) -> Result<(), String> {
        if self.last_purged > Some(upto) {
            return Err(format!("purge up to {upto} after a purge up to {:?}", self.last_purged));
        }
        self.last_purged = Some(upto);
        // A purge up to the last possible index (only a forged record could hold it) empties the log.
        self.entries = match upto.index.checked_add(1) {
            Some(first_kept) => self.entries.split_off(&first_kept),
            None => BTreeMap::new(),
        };
        Ok(())
    }
}

/// A Raft log and vote held in memory, for tests and benches. Entries are "persisted" when they
/// are in the map. A replica whose process dies loses its vote and log with it, and must never
/// come back under the same id (it could vote twice in a term, or forget entries it
/// acknowledged): it rejoins as a new member under a new id, after the old one is removed from
/// the membership. Cloning gives another handle on the same log (a test that keeps the handle
/// across a "crash" models storage that survived it).
#[derive(Clone, Default)]
pub struct MemoryLog {
    log: Arc<Mutex<Log>>,
}

impl MemoryLog {
    /// An empty log.
    #[must_use]
    pub fn new() -> Self {
        MemoryLog::default()
    }
}

impl RaftLogReader<TypeConfig> for MemoryLog {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + openraft::OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<NodeId>> {
        let log = self.log.lock().await;
        Ok(log.entries.range(range).map(|(_, entry)| entry.clone()).collect())
    }
}

impl RaftLogStorage<TypeConfig> for MemoryLog {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<NodeId>> {
        Ok(self.log.lock().await.state())
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.log.lock().await.vote = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        Ok(self.log.lock().await.vote)
    }

    async fn save_committed(&mut self, committed: Option<LogId<NodeId>>) -> Result<(), StorageError<NodeId>> {
        self.log.lock().await.committed = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<NodeId>>, StorageError<NodeId>> {
        Ok(self.log.lock().await.committed)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + openraft::OptionalSend,
        I::IntoIter: openraft::OptionalSend,
    {
        let mut log = self.log.lock().await;
        for entry in entries {
            log.entries.insert(entry.log_id.index, entry);
        }
        callback.log_io_completed(Ok(()));
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.log.lock().await.truncate(log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.log
            .lock()
            .await
            .purge(log_id)
            .map_err(|message| StorageIOError::write_logs(AnyError::error(message)).into())
    }
}

/// A Raft log and vote kept durably in a directory: entries and votes are `fsync`ed before
/// openraft counts them as stored, and a replica restarted on the same directory finds them, with
/// [`EngineStateMachine::open`] finding its snapshot.
///
/// The file, `raft-log.jsonl`, is the journal's line format: a header line naming the format and
/// version, then one `{"crc32c":"…","entry":…}` line per record (the CRC-32C of the record's
/// JSON). The journal itself cannot be a Raft log (it only ever appends the next command, while a
/// Raft log holds terms, membership changes and blank entries, and drops a suffix a new leader
/// disagrees with and a prefix a snapshot covers), so the records are Raft's: an entry, a
/// truncation, a purge, a vote. Opening the file replays them; a last line a crash cut short is
/// cut off and reported, damage anywhere else is a [`StoreError::Corrupt`] naming the line. The
/// commit point is not kept: every line was synced before anything relied on it. When purged
/// entries make up most of the file, it is rewritten to a new file and renamed over the old one.
/// The snapshot is `snapshot.json` beside it: a header line with its format, meta and checksum,
/// then the engine's bytes. Writes and `fsync`s run on tokio's blocking pool, so a slow disk does not hold up
/// the runtime's workers (and with them heartbeats). Cloning gives another handle on the same
/// log.
///
/// [`EngineStateMachine::open`]: super::EngineStateMachine::open
#[derive(Clone)]
pub struct FileLog {
    inner: Arc<std::sync::Mutex<(LogFile, Log)>>,
}

type Guard<'a> = std::sync::MutexGuard<'a, (LogFile, Log)>;

impl FileLog {
    /// Opens the log in `dir` (creating it if need be), reading back what is there.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the file is damaged anywhere but in a last line a crash cut
    /// short (which is cut off and reported); [`StoreError::Io`] if it cannot be read or written.
    pub fn open(dir: impl AsRef<Path>) -> Result<(FileLog, Recovery), StoreError> {
        let (file, log, recovery) = LogFile::open(dir.as_ref())?;
        Ok((FileLog { inner: Arc::new(std::sync::Mutex::new((file, log))) }, recovery))
    }

    /// The log, locked. A write that panicked half-way leaves a log whose file may not match:
    /// refused, so that openraft stops the replica.
    fn lock(&self) -> Result<Guard<'_>, StorageError<NodeId>> {
        self.inner.lock().map_err(|_| write_error(&std::io::Error::other("the log's lock was poisoned by a panic")))
    }

    /// The last entry purged from the log, if any.
    pub(super) fn purged_upto(&self) -> Option<LogId<NodeId>> {
        self.lock().ok().and_then(|inner| inner.1.last_purged)
    }

    /// Runs `write` on the log from tokio's blocking pool, and waits for it.
    async fn on_disk<T, F>(&self, write: F) -> Result<T, StorageError<NodeId>>
    where
        T: Send + 'static,
        F: FnOnce(&mut LogFile, &mut Log) -> Result<T, StorageError<NodeId>> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let task = tokio::task::spawn_blocking(move || {
            let mut guard = inner
                .lock()
                .map_err(|_| write_error(&std::io::Error::other("the log's lock was poisoned by a panic")))?;
            let (file, log) = &mut *guard;
            write(file, log)
        });
        task.await.map_err(|e| write_error(&std::io::Error::other(e)))?
    }
}

fn write_error(e: &std::io::Error) -> StorageError<NodeId> {
    StorageIOError::write_logs(AnyError::new(e)).into()
}

impl RaftLogReader<TypeConfig> for FileLog {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + openraft::OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<NodeId>> {
        let inner = self.lock()?;
        Ok(inner.1.entries.range(range).map(|(_, entry)| entry.clone()).collect())
    }
}

impl RaftLogStorage<TypeConfig> for FileLog {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<NodeId>> {
        Ok(self.lock()?.1.state())
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        let vote = *vote;
        self.on_disk(move |file, log| {
            file.save_vote(vote).map_err(|e| write_error(&e))?;
            log.vote = Some(vote);
            Ok(())
        })
        .await
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        Ok(self.lock()?.1.vote)
    }

    /// Kept in memory only: openraft does not need it, a restarted replica applies what the
    /// leader says is committed.
    async fn save_committed(&mut self, committed: Option<LogId<NodeId>>) -> Result<(), StorageError<NodeId>> {
        self.lock()?.1.committed = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<NodeId>>, StorageError<NodeId>> {
        Ok(self.lock()?.1.committed)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + openraft::OptionalSend,
        I::IntoIter: openraft::OptionalSend,
    {
        let entries: Vec<Entry<TypeConfig>> = entries.into_iter().collect();
        // Written and synced before openraft hears that they are stored.
        let written = self
            .on_disk(move |file, log| {
                file.append(&entries).map_err(|e| write_error(&e))?;
                for entry in entries {
                    log.entries.insert(entry.log_id.index, entry);
                }
                Ok(())
            })
            .await;
        match written {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(error) => {
                callback.log_io_completed(Err(std::io::Error::other(error.to_string())));
                Err(error)
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.on_disk(move |file, log| {
            file.truncate(log_id.index).map_err(|e| write_error(&e))?;
            log.truncate(log_id.index);
            Ok(())
        })
        .await
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.on_disk(move |file, log| {
            log.purge(log_id).map_err(|message| StorageIOError::write_logs(AnyError::error(message)))?;
            file.purge(log_id, log).map_err(|e| write_error(&e))
        })
        .await
    }
}
