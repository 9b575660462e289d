//! The JSON-lines journal file: one entry per line, recovered after a crash.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::journal::{CommitPoint, Journal, JournalEntry, JournalError, check_next};
use crate::time::Timestamp;

/// When the JSON-lines journal hands its lines to the operating system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FlushPolicy {
    /// After every command: a crash of the process loses nothing the engine accepted.
    #[default]
    EveryCommand,
    /// At the end of every batch ([`CommitPoint::Batch`]): one write for many commands. The
    /// [`Driver`](crate::Driver) commits a batch before dispatching its events, so no effect is
    /// visible before its command is flushed; a crash in the middle of a batch loses that batch,
    /// whose effects nobody saw.
    EveryBatch,
}

/// How a [`JsonLinesJournal`] writes.
///
/// # Example
/// ```
/// use switchboard::{FlushPolicy, JsonLinesOptions};
///
/// let options = JsonLinesOptions::new().with_flush(FlushPolicy::EveryBatch).with_sync(true);
/// assert_eq!(options.flush(), FlushPolicy::EveryBatch);
/// assert!(options.sync());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JsonLinesOptions {
    flush: FlushPolicy,
    sync: bool,
    max_line_bytes: usize,
}

impl Default for JsonLinesOptions {
    /// Flush every command, no `fsync`, lines up to [`JsonLinesOptions::DEFAULT_MAX_LINE_BYTES`].
    fn default() -> Self {
        JsonLinesOptions { flush: FlushPolicy::EveryCommand, sync: false, max_line_bytes: Self::DEFAULT_MAX_LINE_BYTES }
    }
}

impl JsonLinesOptions {
    /// The longest line read back by default: 16 MiB.
    pub const DEFAULT_MAX_LINE_BYTES: usize = 16 << 20;

    /// The defaults.
    pub fn new() -> Self {
        JsonLinesOptions::default()
    }

    /// Sets the flush policy.
    pub fn with_flush(mut self, flush: FlushPolicy) -> Self {
        self.flush = flush;
        self
    }

    /// With `true`, every flush is followed by an `fsync` (`File::sync_data`), so entries survive
    /// a power loss, not only a crash of the process; each flush then costs a disk round trip.
    pub fn with_sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// Sets the longest line accepted when reading (a longer one is reported corrupt, so a
    /// damaged file cannot exhaust memory).
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max.max(1);
        self
    }

    /// The flush policy.
    pub fn flush(&self) -> FlushPolicy {
        self.flush
    }

    /// Whether flushes are followed by an `fsync`.
    pub fn sync(&self) -> bool {
        self.sync
    }

    /// The longest line accepted when reading.
    pub fn max_line_bytes(&self) -> usize {
        self.max_line_bytes
    }
}

/// What reading a journal found: how many whole entries, and what was dropped at the end.
///
/// An entry counts only once its line, newline included, is in the file. A last line without
/// its newline is a write cut short by a crash: it is dropped (its command's effects were never
/// dispatched) and reported here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RecoveryReport {
    /// Whole entries read.
    pub commands: u64,
    /// The first entry's sequence number.
    pub first_seq: Option<u64>,
    /// The last whole entry's sequence number.
    pub last_seq: Option<u64>,
    /// Bytes of whole entries: where the file is cut when a torn tail is dropped.
    pub valid_bytes: u64,
    /// Bytes of the incomplete last line dropped (0 if none).
    pub dropped_bytes: u64,
    /// The line number of the incomplete last line, if any.
    pub dropped_line: Option<u64>,
}

impl RecoveryReport {
    /// True when nothing was dropped.
    pub fn is_clean(&self) -> bool {
        self.dropped_bytes == 0
    }
}

impl fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "recovered {} command(s)", self.commands)?;
        if let (Some(first), Some(last)) = (self.first_seq, self.last_seq) {
            write!(f, " (entries {first} to {last}, {} bytes)", self.valid_bytes)?;
        }
        match self.dropped_line {
            Some(line) => write!(
                f,
                "; dropped {} byte(s) of an incomplete line {line}, a write cut short by a crash",
                self.dropped_bytes
            ),
            None => f.write_str("; nothing dropped"),
        }
    }
}

/// The entries of a journal file and the report of what was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovered {
    /// The whole entries, in order.
    pub entries: Vec<JournalEntry>,
    /// What was read and dropped.
    pub report: RecoveryReport,
}

/// Reads a JSON-lines journal entry by entry, checking sequence numbers.
///
/// It yields each whole entry; stops quietly at an incomplete last line (see
/// [`RecoveryReport`]); and stops with a [`JournalError::Corrupt`] or [`JournalError::Gap`]
/// naming the line if a whole line is not the next valid entry. It never panics on bad input.
///
/// # Example
/// ```
/// use switchboard::*;
///
/// let text = concat!(
///     r#"{"seq":1,"at":1000,"command":{"Login":{"agent":7}}}"#, "\n",
///     r#"{"seq":2,"at":2000,"command":{"Logout":{"agent":7}}}"#, "\n",
///     r#"{"seq":3,"at":3000,"comm"#, // a crash in the middle of a write
/// );
/// let mut reader = JsonLinesReader::new(text.as_bytes());
/// let entries: Vec<JournalEntry> = reader.by_ref().collect::<Result<_, _>>()?;
/// assert_eq!(entries.len(), 2);
/// assert_eq!(reader.report().dropped_line, Some(3));
///
/// let corrupt = "{\"seq\":1,\"at\":1000,\"command\":{\"Login\":{\"agent\":7}}}\nnot json\n";
/// let error = JsonLinesReader::new(corrupt.as_bytes()).collect::<Result<Vec<_>, _>>().unwrap_err();
/// assert!(matches!(error, JournalError::Corrupt { line: 2, .. }));
/// # Ok::<(), JournalError>(())
/// ```
#[derive(Debug)]
pub struct JsonLinesReader<R> {
    reader: R,
    max_line_bytes: usize,
    line: u64,
    buf: Vec<u8>,
    report: RecoveryReport,
    /// The time of the last entry read.
    last_at: Option<Timestamp>,
    done: bool,
}

impl<R: BufRead> JsonLinesReader<R> {
    /// A reader over JSON lines, accepting lines up to [`JsonLinesOptions::DEFAULT_MAX_LINE_BYTES`].
    pub fn new(reader: R) -> Self {
        JsonLinesReader {
            reader,
            max_line_bytes: JsonLinesOptions::DEFAULT_MAX_LINE_BYTES,
            line: 0,
            buf: Vec::new(),
            report: RecoveryReport::default(),
            last_at: None,
            done: false,
        }
    }

    /// Sets the longest line accepted.
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max.max(1);
        self
    }

    /// What has been read so far; complete once the iterator returned `None`.
    pub fn report(&self) -> &RecoveryReport {
        &self.report
    }

    /// Reads every entry.
    ///
    /// # Errors
    /// The first [`JournalError`] met: I/O, a corrupt line, or a sequence gap.
    pub fn read_all(mut self) -> Result<Recovered, JournalError> {
        let entries = self.by_ref().collect::<Result<Vec<_>, _>>()?;
        Ok(Recovered { entries, report: self.report })
    }

    /// Checks that `entry`, on the current line, follows the entry before it: the next sequence
    /// number (checked arithmetic: the numbers come from the file), not earlier in time.
    fn check_follows(&self, entry: &JournalEntry, offset: u64) -> Result<(), JournalError> {
        let line = self.line;
        let (Some(last), Some(last_at)) = (self.report.last_seq, self.last_at) else {
            // The first entry may carry any number (a journal started after a checkpoint
            // continues its numbering) but 0, which a checkpoint uses for "no entry".
            return match entry.seq {
                0 => Err(JournalError::Gap { line, offset, expected: 1, found: 0 }),
                _ => Ok(()),
            };
        };
        let expected = last.checked_add(1).ok_or(JournalError::SequenceOverflow { line, offset, last })?;
        if entry.seq != expected {
            return Err(JournalError::Gap { line, offset, expected, found: entry.seq });
        }
        if entry.at < last_at {
            return Err(JournalError::TimeWentBackwards { line, offset, seq: entry.seq, last: last_at, at: entry.at });
        }
        Ok(())
    }

    fn corrupt(&mut self, offset: u64, message: impl Into<String>) -> Option<Result<JournalEntry, JournalError>> {
        self.done = true;
        Some(Err(JournalError::Corrupt { line: self.line, offset, message: message.into() }))
    }
}

impl<R: BufRead> Iterator for JsonLinesReader<R> {
    type Item = Result<JournalEntry, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.buf.clear();
        let limit = u64::try_from(self.max_line_bytes).unwrap_or(u64::MAX).saturating_add(1);
        let read = (&mut self.reader).take(limit).read_until(b'\n', &mut self.buf);
        let n = match read {
            Ok(0) => {
                self.done = true;
                return None;
            }
            Ok(n) => n,
            Err(e) => {
                self.done = true;
                return Some(Err(e.into()));
            }
        };
        self.line += 1;
        let offset = self.report.valid_bytes;
        let whole = self.buf.last() == Some(&b'\n');
        let body_len = if whole { n - 1 } else { n };
        if body_len > self.max_line_bytes {
            let max = self.max_line_bytes;
            return self.corrupt(offset, format!("line longer than {max} bytes"));
        }
        if !whole {
            // End of file in the middle of a line: a write cut short. Drop it and stop.
            self.report.dropped_bytes = n as u64;
            self.report.dropped_line = Some(self.line);
            self.done = true;
            return None;
        }
        let body = &self.buf[..body_len];
        if body.iter().all(u8::is_ascii_whitespace) {
            return self.corrupt(offset, "empty line");
        }
        let entry = match std::str::from_utf8(body) {
            Err(e) => return self.corrupt(offset, format!("not UTF-8: {e}")),
            Ok(text) => match serde_json::from_str::<JournalEntry>(text) {
                Ok(entry) => entry,
                Err(e) => return self.corrupt(offset, format!("not a journal entry: {e}")),
            },
        };
        if let Err(e) = self.check_follows(&entry, offset) {
            self.done = true;
            return Some(Err(e));
        }
        self.last_at = Some(entry.at);
        self.report.commands += 1;
        self.report.first_seq.get_or_insert(entry.seq);
        self.report.last_seq = Some(entry.seq);
        self.report.valid_bytes += n as u64;
        Some(Ok(entry))
    }
}

/// A journal file of JSON lines: one entry per line, `{"seq":…,"at":…,"command":…}`.
///
/// Open it with [`JsonLinesJournal::open`], which reads back the entries already there, cuts off
/// an incomplete last line left by a crash (and reports it), and appends after them. Lines are
/// handed to the operating system per command or per batch ([`FlushPolicy`]), optionally with an
/// `fsync` ([`JsonLinesOptions::with_sync`]). After a write error the journal stops (every later
/// call fails with [`JournalError::Stopped`]); reopen it to recover.
///
/// # Example
/// ```
/// use switchboard::*;
///
/// let path = std::env::temp_dir().join(format!("switchboard-doc-{}.jsonl", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let (journal, recovered) = JsonLinesJournal::open(&path, JsonLinesOptions::new())?;
/// assert!(recovered.entries.is_empty());
/// let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
///     .clock(ManualClock::new(Timestamp::from_secs(1_700_000_000)))
///     .journal(journal)
///     .build()
///     .unwrap();
/// driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat]))).unwrap();
/// drop(driver);
///
/// let recovered = JsonLinesJournal::read(&path)?;
/// assert_eq!(recovered.report.commands, 1);
/// let (engine, _) = replay(Engine::new(EngineConfig::default()), 0, recovered.entries, |_| {}).unwrap();
/// assert!(engine.queue(QueueId(1)).is_some());
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), JournalError>(())
/// ```
#[derive(Debug)]
pub struct JsonLinesJournal {
    file: File,
    path: PathBuf,
    options: JsonLinesOptions,
    /// The staged entry's sequence number, time and encoded line.
    staged: Option<(u64, Timestamp, Vec<u8>)>,
    /// Committed lines not yet handed to the file.
    pending: Vec<u8>,
    /// Committed lines handed to the file but not yet flushed and synced.
    unsynced: bool,
    /// The sequence number and time of the last committed entry.
    last: Option<(u64, Timestamp)>,
    stopped: bool,
}

impl JsonLinesJournal {
    /// Bytes of committed lines kept before they are written, whatever the policy.
    const WRITE_BUFFER_BYTES: usize = 64 << 10;

    /// Creates a new, empty journal file; fails if the file exists. Its first entry may have
    /// any sequence number (a journal started after a checkpoint continues its numbering).
    ///
    /// # Errors
    /// [`JournalError::Io`], e.g. if the file already exists.
    pub fn create(path: impl AsRef<Path>, options: JsonLinesOptions) -> Result<Self, JournalError> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().append(true).create_new(true).open(&path)?;
        Ok(JsonLinesJournal::with_file(file, path, options, None))
    }

    /// Opens a journal file for appending, creating it if missing. Reads back the entries
    /// already there; if the last line is incomplete (a crash during a write), cuts it off and
    /// says so in the [`RecoveryReport`]. The next entry appended must follow the last one read.
    ///
    /// # Errors
    /// [`JournalError::Corrupt`] or [`JournalError::Gap`] naming the line if a whole line is not
    /// the next valid entry (the file is left untouched); [`JournalError::Io`] otherwise.
    pub fn open(path: impl AsRef<Path>, options: JsonLinesOptions) -> Result<(Self, Recovered), JournalError> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().read(true).append(true).create(true).open(&path)?;
        let recovered =
            JsonLinesReader::new(BufReader::new(&file)).with_max_line_bytes(options.max_line_bytes).read_all()?;
        if !recovered.report.is_clean() {
            file.set_len(recovered.report.valid_bytes)?;
            file.sync_all()?;
        }
        let last = recovered.entries.last().map(|e| (e.seq, e.at));
        let journal = JsonLinesJournal::with_file(file, path, options, last);
        Ok((journal, recovered))
    }

    /// Reads a journal file without changing it.
    ///
    /// # Errors
    /// As [`JsonLinesJournal::open`].
    pub fn read(path: impl AsRef<Path>) -> Result<Recovered, JournalError> {
        JsonLinesJournal::read_with(path, JsonLinesOptions::default())
    }

    /// Reads a journal file without changing it, with the options' line limit.
    ///
    /// # Errors
    /// As [`JsonLinesJournal::open`].
    pub fn read_with(path: impl AsRef<Path>, options: JsonLinesOptions) -> Result<Recovered, JournalError> {
        let file = File::open(path)?;
        JsonLinesReader::new(BufReader::new(file)).with_max_line_bytes(options.max_line_bytes).read_all()
    }

    fn with_file(file: File, path: PathBuf, options: JsonLinesOptions, last: Option<(u64, Timestamp)>) -> Self {
        JsonLinesJournal {
            file,
            path,
            options,
            staged: None,
            pending: Vec::new(),
            unsynced: false,
            last,
            stopped: false,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options.
    pub fn options(&self) -> &JsonLinesOptions {
        &self.options
    }

    /// The sequence number of the last committed entry, if any.
    pub fn last_seq(&self) -> Option<u64> {
        self.last.map(|(seq, _)| seq)
    }

    /// Writes pending lines to the file.
    fn write_pending(&mut self) -> Result<(), JournalError> {
        if !self.pending.is_empty() {
            if let Err(e) = self.file.write_all(&self.pending) {
                self.stopped = true;
                return Err(e.into());
            }
            self.pending.clear();
            self.unsynced = true;
        }
        Ok(())
    }

    /// Writes pending lines and, with `sync`, waits for the disk.
    fn flush_now(&mut self) -> Result<(), JournalError> {
        self.write_pending()?;
        if self.unsynced {
            let synced = if self.options.sync { self.file.sync_data() } else { self.file.flush() };
            if let Err(e) = synced {
                self.stopped = true;
                return Err(e.into());
            }
            self.unsynced = false;
        }
        Ok(())
    }
}

impl Journal for JsonLinesJournal {
    fn append(&mut self, entry: &JournalEntry) -> Result<(), JournalError> {
        if self.stopped {
            return Err(JournalError::Stopped);
        }
        if let Some((seq, _, _)) = &self.staged {
            return Err(JournalError::Unresolved { seq: *seq });
        }
        check_next(self.last, entry.seq, entry.at)?;
        let mut line =
            serde_json::to_vec(entry).map_err(|e| JournalError::Encode { seq: entry.seq, message: e.to_string() })?;
        line.push(b'\n');
        self.staged = Some((entry.seq, entry.at, line));
        Ok(())
    }

    fn retract(&mut self) {
        self.staged = None;
    }

    fn commit(&mut self, point: CommitPoint) -> Result<(), JournalError> {
        if self.stopped {
            return Err(JournalError::Stopped);
        }
        match point {
            CommitPoint::Command => {
                let Some((seq, at, line)) = self.staged.take() else { return Ok(()) };
                self.pending.extend_from_slice(&line);
                self.last = Some((seq, at));
                match self.options.flush {
                    FlushPolicy::EveryCommand => self.flush_now(),
                    FlushPolicy::EveryBatch if self.pending.len() >= Self::WRITE_BUFFER_BYTES => self.write_pending(),
                    FlushPolicy::EveryBatch => Ok(()),
                }
            }
            CommitPoint::Batch => self.flush_now(),
        }
    }
}

impl Drop for JsonLinesJournal {
    fn drop(&mut self) {
        // Best effort for committed lines of an unfinished batch; a stopped journal writes nothing more.
        if !self.stopped {
            let _ = self.flush_now();
        }
    }
}
