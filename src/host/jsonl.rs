//! The JSON-lines journal file: a header naming the format version, then one checksummed
//! entry per line; recovered after a crash. The format is documented on [`JsonLinesJournal`].

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::iter::FusedIterator;
use std::path::{Path, PathBuf};

use crc::{CRC_32_ISCSI, Crc, Table};
use serde::Deserialize;

use super::journal::{CommitPoint, Journal, JournalEntry, JournalError, check_next};
use crate::time::Timestamp;

/// CRC-32C (Castagnoli; "CRC-32/ISCSI" in the CRC catalogue), the checksum of iSCSI, ext4 and
/// many logs: better than the zip CRC-32 at the burst errors storage makes. Sixteen lookup
/// tables (16 KiB) make it cheap enough to check every line on every read.
static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);

/// The header line of each checksummed version, without its newline: a header is exactly these
/// bytes. Version 2 is version 1's line format with the serialised naming of 0.1: enum variants
/// in snake_case and spans in milliseconds (`crate::serde_forms`); version 1 entries still read.
const HEADERS: [(u32, &[u8]); 2] =
    [(1, br#"{"format":"switchboard-journal","version":1}"#), (2, br#"{"format":"switchboard-journal","version":2}"#)];
/// How a header starts, whatever its version: how a reader tells a header from an entry, and so
/// a newer version (which it refuses) from damage.
const HEADER_PREFIX: &[u8] = br#"{"format":"switchboard-journal","#;
/// How a checksummed (version 1 or 2) entry line starts; the checksum's 8 lowercase hexadecimal digits follow.
const ENTRY_PREFIX: &[u8] = br#"{"crc32c":""#;
/// What follows the checksum; then the entry's JSON, then `}`.
const ENTRY_INFIX: &[u8] = br#"","entry":"#;

/// When the JSON-lines journal hands its lines to the operating system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlushPolicy {
    /// After every command: a crash of the process loses nothing the engine accepted.
    #[default]
    EveryCommand,
    /// At the end of every batch ([`CommitPoint::Batch`]): one write for many commands. The
    /// [`Driver`](crate::host::Driver) commits a batch before dispatching its events, so no effect is
    /// visible before its command is flushed; a crash in the middle of a batch loses that batch,
    /// whose effects nobody saw.
    EveryBatch,
}

/// How a [`JsonLinesJournal`] writes.
///
/// # Example
/// ```
/// use switchboard::host::{FlushPolicy, JsonLinesOptions};
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

    /// The least [`JsonLinesOptions::with_max_line_bytes`] accepts: room for the header line.
    pub const MIN_MAX_LINE_BYTES: usize = 64;

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

    /// Sets the longest line, newline excluded: the journal refuses to write a longer one
    /// ([`JournalError::EntryTooLong`]) and the reader stops at one ([`JournalError::LineTooLong`])
    /// without holding more than `max` bytes of it, so a damaged file cannot exhaust memory. At
    /// least [`JsonLinesOptions::MIN_MAX_LINE_BYTES`], so that the header always fits.
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max.max(Self::MIN_MAX_LINE_BYTES);
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

/// What reading a journal found: its format, how many whole entries, and what was dropped at
/// the end.
///
/// An entry counts only once its line, newline included, is in the file. A last line without
/// its newline is a write cut short by a crash: it is dropped (its command's effects were never
/// dispatched) and reported here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RecoveryReport {
    /// The format of the journal's last whole lines: `Some(1)` (checksummed, see
    /// [`JsonLinesJournal`]) once a header is read, `Some(0)` for a legacy journal without one,
    /// `None` when there was no whole line at all.
    pub version: Option<u32>,
    /// Whole entries read.
    pub commands: u64,
    /// How many of them were in the legacy format, without checksums.
    pub legacy_commands: u64,
    /// The first entry's sequence number.
    pub first_seq: Option<u64>,
    /// The last whole entry's sequence number.
    pub last_seq: Option<u64>,
    /// Bytes of whole lines (header and entries): where the file is cut when a torn tail is
    /// dropped.
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
        if self.legacy_commands > 0 {
            write!(f, ", {} in the legacy format without checksums", self.legacy_commands)?;
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
#[non_exhaustive]
pub struct Recovered {
    /// The whole entries, in order.
    pub entries: Vec<JournalEntry>,
    /// What was read and dropped.
    pub report: RecoveryReport,
}

/// The format of the lines being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// No whole line read yet: a header makes it checksummed, an entry makes it legacy.
    Unknown,
    /// Version 0: bare entries, no header, no checksums.
    Legacy,
    /// Versions 1 and 2 (the one named): checksummed entries after a header.
    Checksummed(u32),
}

/// What one line of input was.
enum Line {
    // Boxed: a journal entry carries a whole command, many times the size of the other lines.
    Entry(Box<JournalEntry>),
    Header,
    End,
}

/// The fields every header has, whatever its version.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u64,
}

/// Reads a journal entry by entry, from a file or from any bytes, checking checksums, sequence
/// numbers and times.
///
/// It reads both formats, the current one and the legacy one (see [`JsonLinesJournal`]); yields
/// each whole entry; stops quietly at an incomplete last line (see [`RecoveryReport`]); and
/// stops with a [`JournalError`] naming the line and its byte offset if a whole line is not the
/// next valid entry: [`ChecksumMismatch`](JournalError::ChecksumMismatch),
/// [`Corrupt`](JournalError::Corrupt), [`LineTooLong`](JournalError::LineTooLong),
/// [`UnsupportedVersion`](JournalError::UnsupportedVersion), [`Gap`](JournalError::Gap),
/// [`SequenceOverflow`](JournalError::SequenceOverflow) or
/// [`TimeWentBackwards`](JournalError::TimeWentBackwards). After an error or the end it yields
/// nothing more.
///
/// It reads any [`BufRead`]: a byte slice (`&[u8]`) is one, and [`std::io::BufReader`] makes one
/// of any [`Read`] (a file, a socket, a replica's stream). Whatever the bytes, it never panics,
/// holds at most one line of at most `max_line_bytes` in memory, and every call to `next`
/// consumes a line or ends the reading, so it cannot hang on input that ends.
///
/// # Example
/// ```
/// use switchboard::host::*;
/// use switchboard::*;
///
/// // A version 1 journal (the naming of before 0.1), which still reads.
/// let text = concat!(
///     r#"{"format":"switchboard-journal","version":1}"#, "\n",
///     r#"{"crc32c":"b8bcfdee","entry":{"seq":1,"at":1000,"command":{"Login":{"agent":7}}}}"#, "\n",
///     r#"{"crc32c":"05b52cbd","entry":{"seq":2,"at":2000,"command":{"Logout":{"agent":7}}}}"#, "\n",
///     r#"{"crc32c":"3f0c2a9e","entry":{"seq":3,"at":3000,"comm"#, // a crash in the middle of a write
/// );
/// let mut reader = JsonLinesReader::new(text.as_bytes());
/// let entries: Vec<JournalEntry> = reader.by_ref().collect::<Result<_, _>>()?;
/// assert_eq!(entries.len(), 2);
/// assert_eq!(reader.report().version, Some(1));
/// assert_eq!(reader.report().dropped_line, Some(4));
///
/// // A damaged line (agent 7 became agent 8) fails its checksum instead of replaying as
/// // another command.
/// let damaged = text.replacen(r#"{"agent":7}}}}"#, r#"{"agent":8}}}}"#, 1);
/// let error = JsonLinesReader::new(damaged.as_bytes()).read_all().unwrap_err();
/// assert!(matches!(error, JournalError::ChecksumMismatch { line: 2, offset: 45, .. }));
///
/// // A journal in the legacy format (no header, no checksums) still reads.
/// let legacy = "{\"seq\":1,\"at\":1000,\"command\":{\"Login\":{\"agent\":7}}}\n";
/// let recovered = JsonLinesReader::new(std::io::BufReader::new(legacy.as_bytes())).read_all()?;
/// assert_eq!((recovered.report.version, recovered.report.legacy_commands), (Some(0), 1));
/// # Ok::<(), JournalError>(())
/// ```
#[derive(Debug)]
pub struct JsonLinesReader<R> {
    reader: R,
    max_line_bytes: usize,
    line: u64,
    buf: Vec<u8>,
    report: RecoveryReport,
    format: Format,
    /// The time of the last entry read.
    last_at: Option<Timestamp>,
    done: bool,
}

impl<R: BufRead> JsonLinesReader<R> {
    /// A reader over a journal's bytes, accepting lines up to
    /// [`JsonLinesOptions::DEFAULT_MAX_LINE_BYTES`].
    pub fn new(reader: R) -> Self {
        JsonLinesReader {
            reader,
            max_line_bytes: JsonLinesOptions::DEFAULT_MAX_LINE_BYTES,
            line: 0,
            buf: Vec::new(),
            report: RecoveryReport::default(),
            format: Format::Unknown,
            last_at: None,
            done: false,
        }
    }

    /// Sets the longest line accepted (at least [`JsonLinesOptions::MIN_MAX_LINE_BYTES`]).
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max.max(JsonLinesOptions::MIN_MAX_LINE_BYTES);
        self
    }

    /// What has been read so far; complete once the iterator returned `None`.
    pub fn report(&self) -> &RecoveryReport {
        &self.report
    }

    /// Reads every entry.
    ///
    /// # Errors
    /// The first [`JournalError`] met: I/O, or a whole line that is not the next valid entry.
    pub fn read_all(mut self) -> Result<Recovered, JournalError> {
        let entries = self.by_ref().collect::<Result<Vec<_>, _>>()?;
        Ok(Recovered { entries, report: self.report })
    }

    /// Reads and checks one line.
    fn next_line(&mut self) -> Result<Line, JournalError> {
        self.buf.clear();
        // One byte more than the limit: enough to tell a line that is too long, never more.
        let limit = u64::try_from(self.max_line_bytes).unwrap_or(u64::MAX).saturating_add(1);
        let n = (&mut self.reader).take(limit).read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(Line::End);
        }
        self.line += 1;
        let (line, offset) = (self.line, self.report.valid_bytes);
        let whole = self.buf.last() == Some(&b'\n');
        let body_len = if whole { n - 1 } else { n };
        if body_len > self.max_line_bytes {
            return Err(JournalError::LineTooLong { line, offset, max_bytes: self.max_line_bytes });
        }
        if !whole {
            // End of input in the middle of a line: a write cut short by a crash. The newline
            // is what commits a line, so this one never was: drop it and stop.
            self.report.dropped_bytes = n as u64;
            self.report.dropped_line = Some(line);
            return Ok(Line::End);
        }
        let body = &self.buf[..body_len];
        let corrupt = |message: &str| JournalError::Corrupt { line, offset, message: message.to_owned() };
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(corrupt("empty line"));
        }
        if body.starts_with(HEADER_PREFIX) {
            let version = serde_json::from_slice::<Header>(body)
                .ok()
                .filter(|h| h.format == "switchboard-journal")
                .ok_or_else(|| corrupt("malformed journal header"))?
                .version;
            let Some(&(version, header)) = HEADERS.iter().find(|(v, _)| u64::from(*v) == version) else {
                return Err(JournalError::UnsupportedVersion { line, offset, version });
            };
            if body != header {
                // Each version's header is exactly its bytes: anything else is damage.
                return Err(corrupt("malformed journal header"));
            }
            if matches!(self.format, Format::Checksummed(before) if before >= version) {
                // A header comes first, or after older lines when a journal was upgraded in
                // place (legacy lines, or a lower version's); never twice for one version.
                return Err(corrupt("a second journal header"));
            }
            self.format = Format::Checksummed(version);
            self.report.version = Some(version);
            self.report.valid_bytes += n as u64;
            return Ok(Line::Header);
        }
        let json = match self.format {
            Format::Checksummed(_) => {
                let Some((stored, json)) = split_entry_line(body) else {
                    return Err(corrupt(r#"not a journal line: expected {"crc32c":"<8 hex digits>","entry":{…}}"#));
                };
                // The checksum is checked before anything is parsed: damaged bytes are never
                // interpreted.
                let computed = CRC32C.checksum(json);
                if stored != computed {
                    return Err(JournalError::ChecksumMismatch { line, offset, stored, computed });
                }
                json
            }
            Format::Unknown | Format::Legacy if body.starts_with(ENTRY_PREFIX) => {
                return Err(corrupt("a checksummed entry without a journal header before it"));
            }
            Format::Unknown | Format::Legacy => body,
        };
        let text = std::str::from_utf8(json).map_err(|e| corrupt(&format!("not UTF-8: {e}")))?;
        let entry =
            serde_json::from_str::<JournalEntry>(text).map_err(|e| corrupt(&format!("not a journal entry: {e}")))?;
        self.check_follows(&entry, offset)?;
        if !matches!(self.format, Format::Checksummed(_)) {
            self.format = Format::Legacy;
            self.report.version = Some(0);
            self.report.legacy_commands += 1;
        }
        self.last_at = Some(entry.at);
        self.report.commands += 1;
        self.report.first_seq.get_or_insert(entry.seq);
        self.report.last_seq = Some(entry.seq);
        self.report.valid_bytes += n as u64;
        Ok(Line::Entry(Box::new(entry)))
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
}

impl<R: BufRead> Iterator for JsonLinesReader<R> {
    type Item = Result<JournalEntry, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Loops only past header lines, each of which consumed a line of input.
        while !self.done {
            match self.next_line() {
                Ok(Line::Entry(entry)) => return Some(Ok(*entry)),
                Ok(Line::Header) => {}
                Ok(Line::End) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

impl<R: BufRead> FusedIterator for JsonLinesReader<R> {}

/// Splits a checksummed entry line into its stored checksum and the entry's JSON bytes; `None` if
/// the line does not have the layout exactly. The replicated log's file reads its lines with it.
pub(crate) fn split_entry_line(body: &[u8]) -> Option<(u32, &[u8])> {
    let rest = body.strip_prefix(ENTRY_PREFIX)?;
    let (hex, rest) = rest.split_at_checked(8)?;
    let json = rest.strip_prefix(ENTRY_INFIX)?.strip_suffix(b"}")?;
    // Digit by digit: `u32::from_str_radix` would also take a sign.
    let mut stored = 0u32;
    for &digit in hex {
        let value = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => return None,
        };
        stored = (stored << 4) | u32::from(value);
    }
    Some((stored, json))
}

/// `{"crc32c":"<checksum of json>","entry":<json>}`, without its newline: the journal's line,
/// and the replicated log file's.
pub(crate) fn checksummed_line(json: &[u8]) -> Vec<u8> {
    let mut line = Vec::with_capacity(ENTRY_PREFIX.len() + 8 + ENTRY_INFIX.len() + json.len() + 2);
    line.extend_from_slice(ENTRY_PREFIX);
    line.extend_from_slice(format!("{:08x}", CRC32C.checksum(json)).as_bytes());
    line.extend_from_slice(ENTRY_INFIX);
    line.extend_from_slice(json);
    line.push(b'}');
    line
}

/// The CRC-32C of `bytes`, as the journal's lines carry it (the replicated
/// log checks its records and snapshot with it).
#[cfg(feature = "replication")]
pub(crate) fn crc32c(bytes: &[u8]) -> u32 {
    CRC32C.checksum(bytes)
}

/// Encodes an entry as a checksummed line, newline included.
fn encode_line(entry: &JournalEntry, max_line_bytes: usize) -> Result<Vec<u8>, JournalError> {
    let json =
        serde_json::to_vec(entry).map_err(|e| JournalError::Encode { seq: entry.seq, message: e.to_string() })?;
    let mut line = checksummed_line(&json);
    if line.len() > max_line_bytes {
        // The reader would refuse it: better to refuse the command than to write a journal that
        // does not read back.
        return Err(JournalError::EntryTooLong { seq: entry.seq, bytes: line.len(), max_bytes: max_line_bytes });
    }
    line.push(b'\n');
    Ok(line)
}

/// Makes a new file's directory entry durable, so that an `fsync`ed journal is found after a
/// power loss.
#[cfg(unix)]
pub(crate) fn sync_parent(path: &Path) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    File::open(dir)?.sync_all()
}

/// Directories cannot be opened for `fsync` here; the file's own sync is what there is.
#[cfg(not(unix))]
pub(crate) fn sync_parent(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// A journal file of JSON lines: a header naming the format version, then one checksummed entry
/// per line.
///
/// Open it with [`JsonLinesJournal::open`], which reads back the entries already there, cuts off
/// an incomplete last line left by a crash (and reports it), and appends after them. Lines are
/// handed to the operating system per command or per batch ([`FlushPolicy`]), optionally with an
/// `fsync` ([`JsonLinesOptions::with_sync`]). After a write error the journal stops (every later
/// call fails with [`JournalError::Stopped`]); reopen it to recover.
///
/// # Format (version 2)
///
/// UTF-8 text, one record per line, each line ended by `\n`:
///
/// ```text
/// {"format":"switchboard-journal","version":2}
/// {"crc32c":"…","entry":{"seq":1,"at":1000,"command":{"login":{"agent":7}}}}
/// {"crc32c":"…","entry":{"seq":2,"at":2000,"command":{"logout":{"agent":7}}}}
/// ```
///
/// * **The header**, the first line, is exactly `{"format":"switchboard-journal","version":2}`.
///   A reader refuses a version it does not know ([`JournalError::UnsupportedVersion`]) rather
///   than misread it.
/// * **Names and units**: the commands' serialised form, as everywhere in switchboard's files:
///   field names and enum variants in snake_case (`"strategy":"longest_idle"`), spans in whole
///   milliseconds (`"wrap_up":30000`), times in milliseconds since the Unix epoch.
/// * **An entry line** is `{"crc32c":"`, the CRC-32C (Castagnoli) of the entry's JSON bytes as
///   8 lowercase hexadecimal digits, `","entry":`, the entry's JSON (a [`JournalEntry`]: its
///   sequence number, its time in milliseconds since the Unix epoch, the command), and `}`. Each
///   line is itself JSON (`jq .entry` reads a journal). The checksum is checked before the entry
///   is parsed: a damaged line is a [`JournalError::ChecksumMismatch`] naming the line and its
///   byte offset, never a different command.
/// * **Sequence numbers** are consecutive, starting anywhere but 0 (a journal started after a
///   checkpoint continues its numbering); **times** never go back. The journal refuses to append
///   anything else, and the reader stops at it.
/// * **The newline commits an entry.** A last line without it is a write cut short by a crash:
///   it is dropped and reported in the [`RecoveryReport`], and [`open`](JsonLinesJournal::open)
///   cuts it off. A whole line that fails its checks is corruption wherever it is, even last: an
///   error naming it, since only a person should throw away a line that was written whole.
/// * **No line is longer than `max_line_bytes`** ([`JsonLinesOptions::with_max_line_bytes`],
///   newline excluded): the journal refuses to write one ([`JournalError::EntryTooLong`]) and
///   the reader stops at one ([`JournalError::LineTooLong`]) without reading it whole.
///
/// # Version 1
///
/// The same lines under the header `{"format":"switchboard-journal","version":1}`, with the
/// naming of before 0.1: variants in CamelCase (`{"Login":{"agent":7}}`) and spans as
/// `{"secs":30,"nanos":0}`. They still read, entry for entry. [`open`](JsonLinesJournal::open)
/// upgrades such a file in place: it appends a version 2 header, and the entries after it are
/// written in version 2 (a header may follow a lower version's lines, once per version).
///
/// # The legacy format (version 0)
///
/// Journals written before the format had a version have no header and no checksums: each line
/// is a bare entry, `{"seq":1,"at":1000,"command":{"Login":{"agent":7}}}`. They still read, with
/// the same checks except the checksum ([`RecoveryReport::version`] is `Some(0)` and
/// [`RecoveryReport::legacy_commands`] counts them). [`open`](JsonLinesJournal::open) upgrades
/// such a file in place: it appends a header, and the entries after it are checksummed (a
/// header may follow legacy lines, once). Versions of switchboard from before the header cannot
/// read a journal that has one.
///
/// # Example
/// ```
/// use switchboard::host::*;
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
/// let text = std::fs::read_to_string(&path).unwrap();
/// assert!(text.starts_with("{\"format\":\"switchboard-journal\",\"version\":2}\n{\"crc32c\":\""));
/// assert!(text.contains(r#""strategy":"longest_idle""#));
/// let recovered = JsonLinesJournal::read(&path)?;
/// assert_eq!((recovered.report.version, recovered.report.commands), (Some(2), 1));
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
    /// The format version this journal writes (see the type's documentation). It reads this one,
    /// version 1 (the same lines with format 1's naming) and the legacy format, version 0.
    pub const FORMAT_VERSION: u32 = 2;

    /// Bytes of committed lines kept before they are written, whatever the policy.
    const WRITE_BUFFER_BYTES: usize = 64 << 10;

    /// Creates a new journal file holding only the header; fails if the file exists. Its first
    /// entry may have any sequence number but 0 (a journal started after a checkpoint continues
    /// its numbering).
    ///
    /// # Errors
    /// [`JournalError::Io`], e.g. if the file already exists.
    pub fn create(path: impl AsRef<Path>, options: JsonLinesOptions) -> Result<Self, JournalError> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().append(true).create_new(true).open(&path)?;
        let mut journal = JsonLinesJournal::with_file(file, path, options, None);
        journal.write_header(true)?;
        Ok(journal)
    }

    /// Opens a journal file for appending, creating it if missing. Reads back the entries
    /// already there; if the last line is incomplete (a crash during a write), cuts it off and
    /// says so in the [`RecoveryReport`]. Writes the header if the file has none: a new or empty
    /// file gets one, and a legacy file is upgraded in place (its entries stay as they are, the
    /// next ones are checksummed). The next entry appended must follow the last one read.
    ///
    /// # Errors
    /// A [`JournalError`] naming the line (see [`JsonLinesReader`]) if a whole line is not the
    /// next valid entry, and the file is left untouched; [`JournalError::Io`] otherwise.
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
        let mut journal = JsonLinesJournal::with_file(file, path, options, last);
        match recovered.report.version {
            Some(JsonLinesJournal::FORMAT_VERSION) => {}
            Some(_) => journal.write_header(false)?,
            None => journal.write_header(true)?,
        }
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

    /// Writes the header line at once (synced, with `sync`). With `new_file`, also makes the
    /// file's directory entry durable.
    fn write_header(&mut self, new_file: bool) -> Result<(), JournalError> {
        let (_, header) = HEADERS[HEADERS.len() - 1];
        self.pending.extend_from_slice(header);
        self.pending.push(b'\n');
        self.flush_now()?;
        if new_file && self.options.sync {
            sync_parent(&self.path)?;
        }
        Ok(())
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
        let line = encode_line(entry, self.options.max_line_bytes)?;
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
