//! The command journal, checkpoints and replay.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::config::EngineConfig;
use crate::engine::{Engine, EngineSnapshot, RestoreError};
use crate::error::CommandError;
use crate::event::Event;
use crate::time::Timestamp;

/// One accepted command with its time and its place in the journal.
///
/// Sequence numbers are consecutive (1, 2, 3, …) across a journal's whole life, rotations
/// included, so a [`Checkpoint`] can say exactly which commands it already contains.
///
/// # Example
/// ```
/// use switchboard::{AgentId, Command, Timestamp};
/// use switchboard::host::{JournalEntry};
///
/// let entry = JournalEntry::new(1, Timestamp::from_millis(1_000), Command::Login { agent: AgentId(7) });
/// assert_eq!(entry.seq, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JournalEntry {
    /// The entry's sequence number.
    pub seq: u64,
    /// The time the engine applied the command at.
    pub at: Timestamp,
    /// The command, as applied (after customer lookup).
    pub command: Command,
}

impl JournalEntry {
    /// An entry.
    pub fn new(seq: u64, at: Timestamp, command: Command) -> Self {
        JournalEntry { seq, at, command }
    }
}

/// Why the journal could not record or read entries.
///
/// Errors met while *reading* a journal file name the line (from 1) and the byte offset where
/// it starts: the entries before it are intact, and truncating the file at `offset` keeps them.
/// Errors met while *appending* name the entry.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// Reading or writing the storage failed.
    #[error("journal i/o error")]
    Io(#[source] Arc<io::Error>),
    /// The entry could not be encoded; nothing was written.
    #[error("cannot encode journal entry {seq}: {message}")]
    Encode {
        /// The entry's sequence number.
        seq: u64,
        /// What the encoder said.
        message: String,
    },
    /// A line of a journal file is not a valid entry or header (not JSON, not the layout of its
    /// format, not UTF-8, empty, a second header). The entries before it are intact; the file
    /// needs a person to look at it (truncate it at `offset` to keep what precedes).
    #[error("journal line {line} (byte offset {offset}) is corrupt: {message}")]
    Corrupt {
        /// The line number, from 1.
        line: u64,
        /// The byte offset where the line starts.
        offset: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A line of a journal file fails its checksum: its bytes changed after they were written
    /// (a disk, a copy, an edit). The entries before it are intact (truncate the file at
    /// `offset` to keep them); a whole line is never thrown away without a person deciding so.
    #[error(
        "journal line {line} (byte offset {offset}) fails its checksum (stored crc32c {stored:08x}, computed {computed:08x}): the file is damaged"
    )]
    ChecksumMismatch {
        /// The line number, from 1.
        line: u64,
        /// The byte offset where the line starts.
        offset: u64,
        /// The checksum the line carries.
        stored: u32,
        /// The checksum of the line's entry as read.
        computed: u32,
    },
    /// A line of a journal file is longer than the reader accepts; it was not read whole, so a
    /// damaged file cannot exhaust memory. Raise `max_line_bytes` if the journal was written
    /// with a larger limit.
    #[error("journal line {line} (byte offset {offset}) is longer than {max_bytes} bytes")]
    LineTooLong {
        /// The line number, from 1.
        line: u64,
        /// The byte offset where the line starts.
        offset: u64,
        /// The longest line accepted, newline excluded.
        max_bytes: usize,
    },
    /// A journal file's header names a format version this version of switchboard cannot read
    /// (it was written by a newer one).
    #[error(
        "journal line {line} (byte offset {offset}) is the header of format version {version}, which this version of switchboard cannot read; upgrade it"
    )]
    UnsupportedVersion {
        /// The line number, from 1.
        line: u64,
        /// The byte offset where the line starts.
        offset: u64,
        /// The version the header names.
        version: u64,
    },
    /// A line of a journal file does not carry the next sequence number (an entry is missing or
    /// repeated).
    #[error("journal line {line} (byte offset {offset}): expected entry {expected}, found entry {found}")]
    Gap {
        /// The line number, from 1.
        line: u64,
        /// The byte offset where the line starts.
        offset: u64,
        /// The sequence number expected.
        expected: u64,
        /// The sequence number found.
        found: u64,
    },
    /// A line of a journal file follows the entry numbered `u64::MAX`: no sequence number is
    /// left for it, so the file is corrupt (no writer numbers an entry past the last number).
    #[error("journal line {line} (byte offset {offset}) follows entry {last}, the last sequence number there is")]
    SequenceOverflow {
        /// The line number, from 1.
        line: u64,
        /// The byte offset where the line starts.
        offset: u64,
        /// The sequence number of the entry before it (`u64::MAX`).
        last: u64,
    },
    /// A line of a journal file holds an entry earlier than the entry before it. The engine's
    /// time never runs backwards, so no writer produces such a file.
    #[error(
        "journal line {line} (byte offset {offset}): entry {seq} is at {at}, earlier than the entry before it, at {last}"
    )]
    TimeWentBackwards {
        /// The line number, from 1.
        line: u64,
        /// The byte offset where the line starts.
        offset: u64,
        /// The entry's sequence number.
        seq: u64,
        /// The time of the entry before it.
        last: Timestamp,
        /// The entry's time.
        at: Timestamp,
    },
    /// An entry was appended out of sequence: it does not follow the last one, or (with
    /// `expected` 1) it is numbered 0, while sequence numbers start at 1.
    #[error("journal expected entry {expected}, was given entry {found}")]
    OutOfSequence {
        /// The sequence number expected.
        expected: u64,
        /// The sequence number given.
        found: u64,
    },
    /// An entry was appended after the entry numbered `u64::MAX`: no sequence number is left.
    /// Start a new journal from a checkpoint (numbering cannot restart within one history).
    #[error("journal entry {last} is the last sequence number there is; no entry can follow it")]
    SequenceExhausted {
        /// The last sequence number recorded (`u64::MAX`).
        last: u64,
    },
    /// An entry was appended with a time earlier than the last entry's: replay would refuse it.
    #[error("journal entry {seq} is at {at}, earlier than the last entry, at {last}")]
    TimeOutOfOrder {
        /// The entry's sequence number.
        seq: u64,
        /// The last entry's time.
        last: Timestamp,
        /// The entry's time.
        at: Timestamp,
    },
    /// An entry's line would be longer than the journal's `max_line_bytes`, so its reader would
    /// refuse it; nothing was written.
    #[error("journal entry {seq} would take a line of {bytes} bytes, more than the limit of {max_bytes}")]
    EntryTooLong {
        /// The entry's sequence number.
        seq: u64,
        /// The length of its line, newline excluded.
        bytes: usize,
        /// The longest line allowed.
        max_bytes: usize,
    },
    /// An entry was appended while the previous one was neither committed nor retracted.
    #[error("journal entry {seq} is still staged; commit or retract it first")]
    Unresolved {
        /// The staged entry.
        seq: u64,
    },
    /// An earlier write failed, so the journal refuses further writes; reopen it to recover.
    #[error("the journal stopped after an earlier write failure; reopen it to recover")]
    Stopped,
}

/// Checks that an entry numbered `seq` at `at` may follow the last entry recorded (`None` for an
/// empty journal): the rules every journal applies on append, so that it never records what a
/// reader or replay would refuse.
pub(crate) fn check_next(last: Option<(u64, Timestamp)>, seq: u64, at: Timestamp) -> Result<(), JournalError> {
    let Some((last_seq, last_at)) = last else {
        // An empty journal may start anywhere (a journal started after a checkpoint
        // continues its numbering), but not at 0: a checkpoint's 0 means "no entry".
        return if seq == 0 { Err(JournalError::OutOfSequence { expected: 1, found: 0 }) } else { Ok(()) };
    };
    let expected = last_seq.checked_add(1).ok_or(JournalError::SequenceExhausted { last: last_seq })?;
    if seq != expected {
        return Err(JournalError::OutOfSequence { expected, found: seq });
    }
    if at < last_at {
        return Err(JournalError::TimeOutOfOrder { seq, last: last_at, at });
    }
    Ok(())
}

impl From<io::Error> for JournalError {
    fn from(e: io::Error) -> Self {
        JournalError::Io(Arc::new(e))
    }
}

/// When [`Journal::commit`] is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommitPoint {
    /// The engine accepted the staged command: it belongs in the journal.
    Command,
    /// The end of a round of commands, just before their effects are dispatched: whatever the
    /// flush policy, every committed entry must now be as durable as the journal makes it.
    Batch,
}

/// A write-ahead log of accepted commands.
///
/// The [`Driver`](crate::host::Driver) calls, for each command: [`append`](Journal::append) (stage the
/// entry: encode it, write nothing that replay would see), then, once the engine has handled the
/// command, either [`retract`](Journal::retract) (the engine refused it) or
/// [`commit`](Journal::commit) with [`CommitPoint::Command`]; and at the end of each round of
/// commands, before dispatching their events, `commit(CommitPoint::Batch)`. So the journal only
/// ever holds commands the engine accepted, and holds them before anyone sees their effects.
///
/// # Example
/// ```
/// use switchboard::host::*;
/// use switchboard::*;
///
/// let journal = MemoryJournal::new();
/// let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
///     .clock(ManualClock::new(Timestamp::from_secs(0)))
///     .journal(journal.clone())
///     .build()?;
/// driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat])))?;
/// assert!(driver.submit(Command::Login { agent: AgentId(9) }).is_err()); // refused: not journaled
/// assert_eq!(journal.entries().len(), 1);
/// assert_eq!(journal.entries()[0].seq, 1);
/// # Ok::<(), DriverError>(())
/// ```
pub trait Journal: Send {
    /// Stages an entry: checks and encodes it. Nothing staged may survive a crash as an entry.
    ///
    /// # Errors
    /// A [`JournalError`] if the entry cannot be recorded: it cannot be encoded or is too long
    /// ([`JournalError::Encode`], [`JournalError::EntryTooLong`]); it does not follow the last
    /// entry in sequence or in time ([`JournalError::OutOfSequence`],
    /// [`JournalError::SequenceExhausted`], [`JournalError::TimeOutOfOrder`]); an entry is still
    /// staged, or the journal stopped. Nothing is staged and the driver does not apply the
    /// command. A journal never records what its reader or [`replay`] would refuse.
    fn append(&mut self, entry: &JournalEntry) -> Result<(), JournalError>;

    /// Drops the staged entry, if any: the engine refused the command.
    fn retract(&mut self);

    /// At [`CommitPoint::Command`], records the staged entry; at [`CommitPoint::Batch`], makes
    /// every recorded entry durable. Flush policies decide which of the two flushes.
    ///
    /// # Errors
    /// A [`JournalError`] if the storage fails. The driver then stops: the engine has applied a
    /// command the journal may not hold.
    fn commit(&mut self, point: CommitPoint) -> Result<(), JournalError>;
}

impl<J: Journal + ?Sized> Journal for Box<J> {
    fn append(&mut self, entry: &JournalEntry) -> Result<(), JournalError> {
        (**self).append(entry)
    }
    fn retract(&mut self) {
        (**self).retract()
    }
    fn commit(&mut self, point: CommitPoint) -> Result<(), JournalError> {
        (**self).commit(point)
    }
}

#[derive(Debug, Default)]
struct MemoryInner {
    entries: Vec<JournalEntry>,
    staged: Option<JournalEntry>,
}

/// A journal in memory, for tests and for hosts that replicate entries themselves.
///
/// Clones share the same entries, so a test can keep one handle and give another to the driver.
///
/// # Example
/// ```
/// use switchboard::host::*;
/// use switchboard::*;
///
/// let mut journal = MemoryJournal::new();
/// let entry = JournalEntry::new(1, Timestamp::from_secs(1), Command::Login { agent: AgentId(1) });
/// journal.append(&entry)?;
/// journal.commit(CommitPoint::Command)?;
/// journal.append(&JournalEntry::new(2, Timestamp::from_secs(2), Command::Logout { agent: AgentId(1) }))?;
/// journal.retract();
/// assert_eq!(journal.entries(), vec![entry]);
/// # Ok::<(), JournalError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryJournal {
    inner: Arc<Mutex<MemoryInner>>,
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        MemoryJournal::default()
    }

    fn lock(&self) -> MutexGuard<'_, MemoryInner> {
        // The data stays consistent even if a holder panicked: every update is a single push or swap.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The committed entries, in order.
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.lock().entries.clone()
    }

    /// The committed entries after sequence number `seq`, in order.
    pub fn entries_after(&self, seq: u64) -> Vec<JournalEntry> {
        self.lock().entries.iter().filter(|e| e.seq > seq).cloned().collect()
    }

    /// How many entries are committed.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// True when no entry is committed.
    pub fn is_empty(&self) -> bool {
        self.lock().entries.is_empty()
    }
}

impl Journal for MemoryJournal {
    fn append(&mut self, entry: &JournalEntry) -> Result<(), JournalError> {
        let mut inner = self.lock();
        if let Some(staged) = &inner.staged {
            return Err(JournalError::Unresolved { seq: staged.seq });
        }
        check_next(inner.entries.last().map(|e| (e.seq, e.at)), entry.seq, entry.at)?;
        inner.staged = Some(entry.clone());
        Ok(())
    }

    fn retract(&mut self) {
        self.lock().staged = None;
    }

    fn commit(&mut self, point: CommitPoint) -> Result<(), JournalError> {
        if point == CommitPoint::Command {
            let mut inner = self.lock();
            if let Some(entry) = inner.staged.take() {
                inner.entries.push(entry);
            }
        }
        Ok(())
    }
}

/// The engine's state together with the last journal entry it contains: recovery is a
/// checkpoint plus the journal entries after it.
///
/// Take one with [`Driver::checkpoint`](crate::host::Driver::checkpoint), store it (serde; write it to
/// a temporary file and rename it over the old one, so a crash never leaves half a checkpoint),
/// and recover with [`Checkpoint::recover`].
///
/// Its serialised form starts with `"format_version"` ([`Checkpoint::FORMAT_VERSION`]): a
/// checkpoint names the naming of the snapshot inside it, so a later switchboard reads it and an
/// older one refuses it instead of misreading it. Checkpoints written before the field (format
/// 1, the naming of before 0.1) still read.
///
/// # Example
/// ```
/// use switchboard::host::*;
/// use switchboard::*;
///
/// let journal = MemoryJournal::new();
/// let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
///     .clock(ManualClock::new(Timestamp::from_secs(0)))
///     .journal(journal.clone())
///     .build()?;
/// driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat])))?;
/// let checkpoint = driver.checkpoint();
/// driver.submit(Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(1))))?;
///
/// // After a crash: the checkpoint, then the journal's tail.
/// let (engine, report) = checkpoint.recover(journal.entries(), |_event| {}).unwrap();
/// assert_eq!((report.skipped, report.applied, report.last_seq), (1, 1, 2));
/// assert_eq!(engine.snapshot(), driver.engine().snapshot());
/// # Ok::<(), DriverError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "CheckpointFile")]
#[non_exhaustive]
pub struct Checkpoint {
    /// The sequence number of the last journal entry the snapshot contains (0 for none).
    pub last_seq: u64,
    /// The engine's state.
    pub engine: EngineSnapshot,
}

// By hand rather than derived: the version goes first, and a derived `into` form would clone the
// whole snapshot on every write.
impl Serialize for Checkpoint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut fields = s.serialize_struct("Checkpoint", 3)?;
        fields.serialize_field("format_version", &Checkpoint::FORMAT_VERSION)?;
        fields.serialize_field("last_seq", &self.last_seq)?;
        fields.serialize_field("engine", &self.engine)?;
        fields.end()
    }
}

/// A checkpoint as stored, version included.
#[derive(Deserialize)]
struct CheckpointFile {
    /// Missing in checkpoints written before it existed: format 1.
    #[serde(default = "CheckpointFile::format_1")]
    format_version: u32,
    last_seq: u64,
    engine: EngineSnapshot,
}

impl CheckpointFile {
    fn format_1() -> u32 {
        1
    }
}

/// A checkpoint from a later version of switchboard.
#[derive(Debug, thiserror::Error)]
#[error(
    "the checkpoint is in format version {0}, newer than the {max} this version of switchboard reads; upgrade it",
    max = Checkpoint::FORMAT_VERSION
)]
struct UnsupportedCheckpointVersion(u32);

impl TryFrom<CheckpointFile> for Checkpoint {
    type Error = UnsupportedCheckpointVersion;

    fn try_from(file: CheckpointFile) -> Result<Self, Self::Error> {
        if !(1..=Checkpoint::FORMAT_VERSION).contains(&file.format_version) {
            return Err(UnsupportedCheckpointVersion(file.format_version));
        }
        Ok(Checkpoint::new(file.last_seq, file.engine))
    }
}

impl Checkpoint {
    /// The checkpoint of a new, empty engine: recovery from it replays the whole journal.
    pub fn empty(config: EngineConfig) -> Self {
        Checkpoint::new(0, Engine::new(config).snapshot())
    }

    /// The checkpoint of `engine`, a snapshot that contains the journal's entries up to
    /// and including `last_seq` (0 for none).
    pub fn new(last_seq: u64, engine: EngineSnapshot) -> Self {
        Checkpoint { last_seq, engine }
    }

    /// The format version a checkpoint is written in: 2, the serialised naming of 0.1 (variants
    /// in snake_case, spans in milliseconds), the same as the JSON-lines journal's. It reads this
    /// one and format 1.
    pub const FORMAT_VERSION: u32 = 2;

    /// Restores the engine, then replays the journal entries after the checkpoint, passing each
    /// event to `on_event`. Entries the checkpoint already contains are skipped.
    ///
    /// After it, the host calls [`Engine::handle_timeout`] (or [`Driver::tick`](crate::host::Driver::tick))
    /// with the current time as usual.
    ///
    /// # Errors
    /// [`ReplayError::Restore`] if the snapshot does not validate; otherwise as [`Replayer::apply`].
    pub fn recover(
        self,
        entries: impl IntoIterator<Item = JournalEntry>,
        on_event: impl FnMut(Event),
    ) -> Result<(Engine, ReplayReport), ReplayError> {
        let engine = Engine::restore(self.engine)?;
        replay(engine, self.last_seq, entries, on_event)
    }
}

/// What a replay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ReplayReport {
    /// Entries applied to the engine.
    pub applied: u64,
    /// Entries skipped because the starting state already contained them.
    pub skipped: u64,
    /// The sequence number of the last entry the engine now contains.
    pub last_seq: u64,
}

/// Why a replay stopped. The engine holds every entry before the one named.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The checkpoint's snapshot does not validate.
    #[error("checkpoint does not restore")]
    Restore(#[from] RestoreError),
    /// The journal does not continue where the engine stands or where its previous entry left
    /// off: an entry is missing or repeated, or (with `expected` 1) numbered 0.
    #[error("journal gap: expected entry {expected}, found entry {found}")]
    Gap {
        /// The sequence number expected.
        expected: u64,
        /// The sequence number found.
        found: u64,
    },
    /// An entry follows the entry numbered `u64::MAX`: no sequence number is left for it, so the
    /// journal is corrupt.
    #[error("journal entry {found} follows entry {last}, the last sequence number there is")]
    SequenceExhausted {
        /// The sequence number of the entry before it (`u64::MAX`).
        last: u64,
        /// The sequence number found.
        found: u64,
    },
    /// The engine refused a journaled command: the journal does not belong to this starting
    /// state (another checkpoint, another configuration) or was edited.
    #[error("journal entry {seq} (at {at}) was refused on replay: {error}")]
    Rejected {
        /// The entry's sequence number.
        seq: u64,
        /// Its time.
        at: Timestamp,
        /// The engine's reason.
        error: CommandError,
    },
    /// Reading the journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Feeds journal entries, one at a time, into an engine — a fresh one, or one restored from a
/// checkpoint — checking their sequence. For a whole journal at once, see [`replay`].
///
/// Replay needs nothing but the commands: `handle` fires every timer due before a command at
/// the timer's own due time, so the state and the events come out the same as live.
///
/// # Example
/// ```
/// use switchboard::host::*;
/// use switchboard::*;
///
/// let mut replayer = Replayer::new(Engine::new(EngineConfig::default()), 0);
/// let add = Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat]));
/// replayer.apply(JournalEntry::new(1, Timestamp::from_secs(5), add), |event| println!("{event:?}")).unwrap();
/// let gap = replayer.apply(JournalEntry::new(3, Timestamp::from_secs(6), Command::Login { agent: AgentId(1) }), |_| {});
/// assert!(matches!(gap, Err(ReplayError::Gap { expected: 2, found: 3 })));
/// let (engine, report) = replayer.finish();
/// assert_eq!(report.last_seq, 1);
/// assert!(engine.queue(QueueId(1)).is_some());
/// ```
#[derive(Debug)]
pub struct Replayer {
    engine: Engine,
    report: ReplayReport,
    /// The sequence number of the last entry seen, skipped or applied: every entry must follow
    /// it, so a journal that repeats or goes back is refused even before the starting point.
    previous: Option<u64>,
}

impl Replayer {
    /// A replayer over `engine`, which already contains the entries up to `after_seq` (0 for a
    /// fresh engine).
    pub fn new(engine: Engine, after_seq: u64) -> Self {
        Replayer { engine, report: ReplayReport { applied: 0, skipped: 0, last_seq: after_seq }, previous: None }
    }

    /// Applies one entry and passes its events to `on_event`. Entries the engine already
    /// contains (numbered up to the starting `after_seq`, before the first one applied) are
    /// skipped. Every entry must follow the one before it, skipped or applied; sequence numbers
    /// start at 1.
    ///
    /// # Errors
    /// [`ReplayError::Gap`] if the entry does not follow the previous one or the starting point;
    /// [`ReplayError::SequenceExhausted`] if it follows the entry numbered `u64::MAX`;
    /// [`ReplayError::Rejected`] if the engine refuses the command (its events, from timers due
    /// by then, are still passed on) — for instance with
    /// [`CommandError::TimeWentBackwards`] if the entry is earlier than the one before it. Either
    /// way the engine is unchanged by the entry.
    pub fn apply(&mut self, entry: JournalEntry, mut on_event: impl FnMut(Event)) -> Result<(), ReplayError> {
        // The numbers come from a file: checked arithmetic, so `u64::MAX` is an error, not a panic
        // in debug builds or a wrap to 0 in release builds.
        let next = |last: u64| last.checked_add(1).ok_or(ReplayError::SequenceExhausted { last, found: entry.seq });
        let expected = match self.previous {
            Some(previous) => Some(next(previous)?),
            // The first entry may be any the engine already contains, or the next one.
            None if entry.seq == 0 => Some(1),
            None if entry.seq <= self.report.last_seq => None,
            None => Some(next(self.report.last_seq)?),
        };
        if let Some(expected) = expected {
            if entry.seq != expected {
                return Err(ReplayError::Gap { expected, found: entry.seq });
            }
        }
        if entry.seq <= self.report.last_seq {
            // Only before the first entry applied: afterwards `last_seq` is the previous entry.
            self.previous = Some(entry.seq);
            self.report.skipped += 1;
            return Ok(());
        }
        let result = self.engine.handle(entry.command, entry.at);
        while let Some(event) = self.engine.poll_event() {
            on_event(event);
        }
        result.map_err(|error| ReplayError::Rejected { seq: entry.seq, at: entry.at, error })?;
        self.previous = Some(entry.seq);
        self.report.applied += 1;
        self.report.last_seq = entry.seq;
        Ok(())
    }

    /// The engine so far.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// What was done so far.
    pub fn report(&self) -> ReplayReport {
        self.report
    }

    /// The engine and the report.
    pub fn finish(self) -> (Engine, ReplayReport) {
        (self.engine, self.report)
    }
}

/// Replays journal entries into `engine`, which already contains the entries up to `after_seq`
/// (0 for a fresh engine), passing every event to `on_event`.
///
/// After it, the host calls [`Engine::handle_timeout`] with the current time as usual.
///
/// # Errors
/// As [`Replayer::apply`]; the error names the entry.
///
/// # Example
/// ```
/// use switchboard::host::*;
/// use switchboard::*;
///
/// let entries = vec![
///     JournalEntry::new(1, Timestamp::from_secs(1), Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat]))),
///     JournalEntry::new(2, Timestamp::from_secs(2), Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(1)))),
/// ];
/// let mut events = Vec::new();
/// let (engine, report) = replay(Engine::new(EngineConfig::default()), 0, entries, |e| events.push(e)).unwrap();
/// assert_eq!(report.applied, 2);
/// assert_eq!(engine.waiting_count(QueueId(1)), 1);
/// assert_eq!(events.len(), 3); // queue added, arrived, queued
/// ```
pub fn replay(
    engine: Engine,
    after_seq: u64,
    entries: impl IntoIterator<Item = JournalEntry>,
    mut on_event: impl FnMut(Event),
) -> Result<(Engine, ReplayReport), ReplayError> {
    let mut replayer = Replayer::new(engine, after_seq);
    for entry in entries {
        replayer.apply(entry, &mut on_event)?;
    }
    Ok(replayer.finish())
}
