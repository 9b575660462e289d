//! A replica's durable storage: its Raft log and vote in a file of checksummed JSON lines (the
//! journal's line format), and its latest snapshot in a file beside it.
//!
//! The journal's file cannot be the Raft log as it is: a journal only ever appends the next
//! command, while a Raft log also holds terms, membership changes and leaders' blank entries,
//! and must drop a suffix a new leader disagrees with and a prefix a snapshot covers. So the log
//! file keeps the journal's framing (one `{"crc32c":"…","entry":…}` line per record, CRC-32C of
//! the JSON, a header line naming the format) and its recovery rule (a last line cut short by a
//! crash is cut off; damage anywhere else is an error), with records of its own: an entry, a
//! truncation, a purge, a vote. Opening the file replays the records. The commit point is not
//! kept (openraft does not need it: a restarted replica applies what the leader says is
//! committed), so every line in the file was synced before anything relied on it, and a line
//! that fails its checksum is damage, never an unsynced write.
//!
//! Entries and votes are written and `fsync`ed before openraft is told they are stored, so an
//! acknowledged command survives a power loss on a majority. The file is rewritten (to a new
//! file, then renamed) when purged entries make up most of it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use openraft::{BasicNode, Entry, LogId, SnapshotMeta, Vote};
use serde::{Deserialize, Serialize};

use super::log_store::Log;
use super::{NodeId, TypeConfig};
use crate::host::jsonl::{checksummed_line, crc32c, split_entry_line, sync_parent};

/// The log file's first line.
const LOG_HEADER: &[u8] = br#"{"format":"switchboard-raft-log","version":1}"#;
/// The log file's name in a replica's directory.
pub(super) const LOG_FILE: &str = "raft-log.jsonl";
/// The snapshot file's name in a replica's directory.
pub(super) const SNAPSHOT_FILE: &str = "snapshot.json";
/// Rewrite the log file when it holds this many more records than its live contents need.
const COMPACT_SLACK: usize = 4096;

/// Why a replica's storage could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing the file failed.
    #[error("replica storage i/o error on {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The log was purged past the snapshot beside it (or there is no snapshot): the entries in
    /// between are gone, so the engine cannot be rebuilt and the replica must not start.
    #[error("{dir}: the log is purged up to entry {purged_upto}, past the snapshot's {snapshot_upto:?}")]
    PurgedPastSnapshot {
        /// The replica's directory.
        dir: PathBuf,
        /// The last entry purged from the log.
        purged_upto: u64,
        /// The last entry the snapshot holds, if there is a snapshot.
        snapshot_upto: Option<u64>,
    },
    /// The file is damaged (or is not a replica's file): the replica must not start from it.
    #[error("{path} is damaged at line {line} (byte {offset}): {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The damaged line, from 1.
        line: u64,
        /// The byte where it starts.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// One line of the log file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Record {
    Entry(Box<Entry<TypeConfig>>),
    Truncate { from: u64 },
    Purge { upto: LogId<NodeId> },
    Vote(Vote<NodeId>),
}

impl Record {
    fn apply(self, log: &mut Log) -> Result<(), String> {
        match self {
            Record::Entry(entry) => {
                log.entries.insert(entry.log_id.index, *entry);
            }
            Record::Truncate { from } => log.truncate(from),
            Record::Purge { upto } => log.purge(upto)?,
            Record::Vote(vote) => log.vote = Some(vote),
        }
        Ok(())
    }
}

/// The log file, open for appending, and how many records it holds.
pub(super) struct LogFile {
    path: PathBuf,
    file: File,
    records: usize,
}

/// What opening a log file found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recovery {
    /// Records read back.
    pub records: usize,
    /// Bytes of an incomplete last line cut off (a write a crash interrupted), 0 if none.
    pub torn_bytes: u64,
}

impl LogFile {
    /// Opens (or creates) the log file in `dir` and reads its records into a log.
    pub(super) fn open(dir: &Path) -> Result<(LogFile, Log, Recovery), StoreError> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let path = dir.join(LOG_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_error(&path)(e)),
        };
        let mut log = Log::default();
        let mut recovery = Recovery::default();
        let mut good_end = 0usize;
        let mut line_no = 0u64;
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            line_no += 1;
            let corrupt = |reason: &str| StoreError::Corrupt {
                path: path.clone(),
                line: line_no,
                offset: good_end as u64,
                reason: reason.to_string(),
            };
            let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
                // A crash in the middle of the last write: the records before it are whole.
                recovery.torn_bytes = rest.len() as u64;
                break;
            };
            let line = &rest[..newline];
            if line_no == 1 {
                if line != LOG_HEADER {
                    return Err(corrupt("not a switchboard Raft log (or a version this build does not read)"));
                }
            } else {
                let (stored, json) = split_entry_line(line).ok_or_else(|| corrupt("not a checksummed record line"))?;
                if crc32c(json) != stored {
                    return Err(corrupt("checksum mismatch"));
                }
                let record: Record = serde_json::from_slice(json).map_err(|e| corrupt(&e.to_string()))?;
                record.apply(&mut log).map_err(|e| corrupt(&e))?;
                recovery.records += 1;
            }
            good_end += newline + 1;
            rest = &rest[newline + 1..];
        }
        let mut file = OpenOptions::new().create(true).append(true).open(&path).map_err(io_error(&path))?;
        if recovery.torn_bytes > 0 {
            file.set_len(good_end as u64).map_err(io_error(&path))?;
        }
        if good_end == 0 {
            file.set_len(0).map_err(io_error(&path))?;
            file.write_all(&[LOG_HEADER, b"\n"].concat()).map_err(io_error(&path))?;
            file.sync_all().map_err(io_error(&path))?;
            sync_parent(&path).map_err(io_error(&path))?;
        } else if recovery.torn_bytes > 0 {
            file.sync_all().map_err(io_error(&path))?;
        }
        let records = recovery.records;
        Ok((LogFile { path, file, records }, log, recovery))
    }

    fn write(&mut self, records: &[Record], sync: bool) -> io::Result<()> {
        let mut bytes = Vec::new();
        for record in records {
            let json = serde_json::to_vec(record).map_err(io::Error::other)?;
            bytes.extend_from_slice(&checksummed_line(&json));
            bytes.push(b'\n');
        }
        self.file.write_all(&bytes)?;
        if sync {
            self.file.sync_data()?;
        }
        self.records += records.len();
        Ok(())
    }

    pub(super) fn append(&mut self, entries: &[Entry<TypeConfig>]) -> io::Result<()> {
        let records: Vec<Record> = entries.iter().map(|e| Record::Entry(Box::new(e.clone()))).collect();
        self.write(&records, true)
    }

    pub(super) fn truncate(&mut self, from: u64) -> io::Result<()> {
        self.write(&[Record::Truncate { from }], true)
    }

    pub(super) fn save_vote(&mut self, vote: Vote<NodeId>) -> io::Result<()> {
        self.write(&[Record::Vote(vote)], true)
    }

    /// Records the purge, and rewrites the file when most of it is purged entries.
    pub(super) fn purge(&mut self, upto: LogId<NodeId>, log: &Log) -> io::Result<()> {
        self.write(&[Record::Purge { upto }], true)?;
        if self.records > 2 * (log.entries.len() + 3) + COMPACT_SLACK {
            self.rewrite(log)?;
        }
        Ok(())
    }

    /// Writes `log`'s contents to a new file and puts it in place of the old one.
    fn rewrite(&mut self, log: &Log) -> io::Result<()> {
        let fresh = self.path.with_extension("jsonl.new");
        let mut file = File::create(&fresh)?;
        let mut records = Vec::new();
        if let Some(vote) = log.vote {
            records.push(Record::Vote(vote));
        }
        if let Some(upto) = log.last_purged {
            records.push(Record::Purge { upto });
        }
        records.extend(log.entries.values().map(|e| Record::Entry(Box::new(e.clone()))));
        let mut bytes = [LOG_HEADER, b"\n"].concat();
        for record in &records {
            let json = serde_json::to_vec(record).map_err(io::Error::other)?;
            bytes.extend_from_slice(&checksummed_line(&json));
            bytes.push(b'\n');
        }
        file.write_all(&bytes)?;
        file.sync_all()?;
        fs::rename(&fresh, &self.path)?;
        sync_parent(&self.path)?;
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.records = records.len();
        Ok(())
    }
}

/// The snapshot file's first line: its format, the meta, and the checksum of the data after it.
#[derive(Serialize, Deserialize)]
struct SnapshotHeader {
    format: String,
    version: u32,
    crc32c: u32,
    meta: SnapshotMeta<NodeId, BasicNode>,
}

const SNAPSHOT_FORMAT: &str = "switchboard-raft-snapshot";

/// Writes a snapshot to `dir` (to a new file, then renamed over the old one).
pub(super) fn write_snapshot(dir: &Path, meta: &SnapshotMeta<NodeId, BasicNode>, data: &[u8]) -> io::Result<()> {
    let header =
        SnapshotHeader { format: SNAPSHOT_FORMAT.to_string(), version: 1, crc32c: crc32c(data), meta: meta.clone() };
    let mut bytes = serde_json::to_vec(&header).map_err(io::Error::other)?;
    bytes.push(b'\n');
    bytes.extend_from_slice(data);
    let path = dir.join(SNAPSHOT_FILE);
    let fresh = path.with_extension("json.new");
    let mut file = File::create(&fresh)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    fs::rename(&fresh, &path)?;
    sync_parent(&path)
}

/// A snapshot as its file holds it: the meta, the engine's bytes, and where they start in the file.
pub(super) type SnapshotFile = (SnapshotMeta<NodeId, BasicNode>, Vec<u8>, u64);

/// Reads the snapshot in `dir`, if there is one.
pub(super) fn read_snapshot(dir: &Path) -> Result<Option<SnapshotFile>, StoreError> {
    let path = dir.join(SNAPSHOT_FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(&path)(e)),
    };
    let corrupt = |line: u64, offset: u64, reason: &str| StoreError::Corrupt {
        path: path.clone(),
        line,
        offset,
        reason: reason.to_string(),
    };
    let newline = bytes.iter().position(|&b| b == b'\n').ok_or_else(|| corrupt(1, 0, "no header line"))?;
    let header: SnapshotHeader =
        serde_json::from_slice(&bytes[..newline]).map_err(|e| corrupt(1, 0, &format!("header: {e}")))?;
    if header.format != SNAPSHOT_FORMAT || header.version != 1 {
        return Err(corrupt(1, 0, "not a switchboard Raft snapshot (or a version this build does not read)"));
    }
    let data = bytes[newline + 1..].to_vec();
    if crc32c(&data) != header.crc32c {
        return Err(corrupt(2, newline as u64 + 1, "checksum mismatch"));
    }
    Ok(Some((header.meta, data, newline as u64 + 1)))
}

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, EntryPayload};

    use super::*;
    use crate::Timestamp;
    use crate::replication::Input;

    fn dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("switchboard-raftlog-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn entry(term: u64, index: u64) -> Entry<TypeConfig> {
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(term, 1), index),
            payload: EntryPayload::Normal(Input::Timeout { at: Timestamp::from_secs(index as i64) }),
        }
    }

    fn indexes(log: &Log) -> Vec<(u64, u64)> {
        log.entries.values().map(|e| (e.log_id.leader_id.term, e.log_id.index)).collect()
    }

    #[test]
    fn what_was_written_reads_back_after_a_restart() {
        let dir = dir("reopen");
        let (mut file, mut log, recovery) = LogFile::open(&dir).unwrap();
        assert_eq!(recovery, Recovery::default());
        let entries: Vec<_> = (1..=6).map(|i| entry(1, i)).collect();
        file.append(&entries).unwrap();
        let vote = Vote::new_committed(2, 1);
        file.save_vote(vote).unwrap();
        // A new leader disagrees from 5 on; then 5 and 6 of its term; then a snapshot covers 1–2.
        file.truncate(5).unwrap();
        file.append(&[entry(2, 5), entry(2, 6)]).unwrap();
        log.purge(LogId::new(CommittedLeaderId::new(1, 1), 2)).unwrap();
        file.purge(LogId::new(CommittedLeaderId::new(1, 1), 2), &log).unwrap();
        drop(file);

        let (_, log, recovery) = LogFile::open(&dir).unwrap();
        assert_eq!(recovery.records, 6 + 1 + 1 + 2 + 1);
        assert_eq!(indexes(&log), vec![(1, 3), (1, 4), (2, 5), (2, 6)]);
        assert_eq!(log.vote, Some(vote));
        assert_eq!(log.committed, None, "the commit point is not kept");
        assert_eq!(log.last_purged.map(|p| p.index), Some(2));
        assert_eq!(log.state().last_log_id.map(|l| l.index), Some(6));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_last_line_cut_short_is_cut_off_and_damage_elsewhere_is_an_error() {
        let dir = dir("torn");
        let (mut file, _, _) = LogFile::open(&dir).unwrap();
        file.append(&[entry(1, 1), entry(1, 2), entry(1, 3)]).unwrap();
        drop(file);
        let path = dir.join(LOG_FILE);
        let whole = fs::read(&path).unwrap();

        // A crash in the middle of writing entry 3.
        fs::write(&path, &whole[..whole.len() - 10]).unwrap();
        let (_, log, recovery) = LogFile::open(&dir).unwrap();
        assert_eq!(indexes(&log), vec![(1, 1), (1, 2)]);
        assert!(recovery.torn_bytes > 0);
        let (_, log, recovery) = LogFile::open(&dir).unwrap();
        assert_eq!((indexes(&log).len(), recovery.torn_bytes), (2, 0), "the torn tail was cut off for good");

        // A flipped byte in entry 1's line (line 2, after the header): refused, with where.
        let mut damaged = whole.clone();
        let second_line = whole.iter().position(|&b| b == b'\n').unwrap() + 1;
        damaged[second_line + 40] ^= 0x01;
        fs::write(&path, &damaged).unwrap();
        match LogFile::open(&dir) {
            Err(StoreError::Corrupt { line, offset, .. }) => assert_eq!((line, offset), (2, second_line as u64)),
            other => panic!("expected Corrupt, got {:?}", other.map(|(_, _, r)| r)),
        }
        fs::write(&path, b"{\"format\":\"something else\"}\n").unwrap();
        assert!(matches!(LogFile::open(&dir), Err(StoreError::Corrupt { line: 1, .. })));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_mostly_purged_file_is_rewritten_with_the_same_contents() {
        let dir = dir("compact");
        let (mut file, mut log, _) = LogFile::open(&dir).unwrap();
        let entries: Vec<_> = (1..=5000).map(|i| entry(1, i)).collect();
        file.append(&entries).unwrap();
        for e in entries {
            log.entries.insert(e.log_id.index, e);
        }
        let before = fs::metadata(dir.join(LOG_FILE)).unwrap().len();
        let upto = LogId::new(CommittedLeaderId::new(1, 1), 4990);
        log.purge(upto).unwrap();
        file.purge(upto, &log).unwrap();
        let after = fs::metadata(dir.join(LOG_FILE)).unwrap().len();
        assert!(after * 100 < before, "rewritten: {before} → {after} bytes");
        file.append(&[entry(1, 5001)]).unwrap();
        drop(file);
        let (_, reread, _) = LogFile::open(&dir).unwrap();
        assert_eq!(reread.entries.len(), 11);
        assert_eq!(reread.last_purged, Some(upto));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_damaged_snapshot_file_is_an_error() {
        let dir = dir("snapshot");
        fs::create_dir_all(&dir).unwrap();
        let meta = SnapshotMeta {
            last_log_id: Some(LogId::new(CommittedLeaderId::new(1, 1), 7)),
            last_membership: Default::default(),
            snapshot_id: "s".to_string(),
        };
        write_snapshot(&dir, &meta, b"engine bytes").unwrap();
        let (read_meta, data, _) = read_snapshot(&dir).unwrap().unwrap();
        assert_eq!((read_meta, data.as_slice()), (meta, &b"engine bytes"[..]));
        let path = dir.join(SNAPSHOT_FILE);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x20;
        fs::write(&path, &bytes).unwrap();
        assert!(matches!(read_snapshot(&dir), Err(StoreError::Corrupt { line: 2, .. })));
        fs::remove_dir_all(&dir).unwrap();
    }
}
