//! The JSON-lines journal: flush policies, write-ahead of effects, recovery of a torn last line,
//! typed errors naming the line for corruption in the middle, and no panic on damaged files.
#![cfg(feature = "json")]

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use switchboard::host::*;
use switchboard::*;

use crate::common;
use common::TempDir;

const T0: i64 = 1_700_000_000_000;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_millis(T0 + secs * 1_000)
}

fn script() -> Vec<Command> {
    let mut commands = vec![
        Command::AddSkill { skill: SkillId(1), name: "french".into() },
        Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Chat, Channel::Voice])),
    ];
    for a in 1..=2 {
        let cap = CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(50));
        commands
            .push(Command::AddAgent(AgentConfig::new(AgentId(a), cap).with_queue(QueueMembership::new(QueueId(1)))));
        commands.push(Command::Login { agent: AgentId(a) });
    }
    for i in 1..=4 {
        let channel = if i % 2 == 0 { Channel::Voice } else { Channel::Chat };
        let new = NewInteraction::new(InteractionId(i), channel, QueueId(1), CustomerId(i))
            .with_attributes(Attributes::new().with("note", "naïve \"quoted\"\nnewline"));
        commands.push(Command::Arrive(new));
    }
    commands
}

/// Agents' desktops: every offer is delivered.
struct Desk;

impl ChannelAdapter for Desk {
    fn offer(&mut self, _offer: &Offer, _ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        Ok(())
    }
}

/// Writes the script through a driver into a journal file; returns the driver's final snapshot.
fn write_journal(path: &Path, options: JsonLinesOptions) -> EngineSnapshot {
    let (journal, recovered) = JsonLinesJournal::open(path, options).unwrap();
    assert!(recovered.entries.is_empty());
    let clock = ManualClock::new(t(0));
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .adapter([Channel::Chat, Channel::Voice], Desk)
        .journal(journal)
        .build()
        .unwrap();
    for (n, command) in script().into_iter().enumerate() {
        clock.set(t(n as i64));
        driver.submit(command).unwrap();
    }
    driver.engine().snapshot()
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect()
}

/// The header line of a version 2 journal (the one written now), newline included.
const HEADER: &str = "{\"format\":\"switchboard-journal\",\"version\":2}\n";

/// CRC-32C (Castagnoli), bit by bit: an implementation independent of the library's, so the
/// tests check the documented format rather than the code against itself.
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82f6_3b78 } else { crc >> 1 };
        }
    }
    !crc
}

/// A version 1 entry line around the JSON `entry`, newline included.
fn v1_json_line(entry: &str) -> String {
    format!("{{\"crc32c\":\"{:08x}\",\"entry\":{entry}}}\n", crc32c(entry.as_bytes()))
}

/// A version 1 entry line holding `entry`, as the journal writes it.
fn line(entry: &JournalEntry) -> String {
    v1_json_line(&serde_json::to_string(entry).unwrap())
}

/// A legacy (version 0) line: the bare entry.
fn legacy_line(entry: &JournalEntry) -> String {
    format!("{}\n", serde_json::to_string(entry).unwrap())
}

#[test]
fn every_command_is_on_disk_when_submit_returns_and_replays_exactly() {
    let dir = TempDir::new("journal-every");
    let path = dir.file("j.jsonl");
    let live = write_journal(&path, JsonLinesOptions::new());
    let recovered = JsonLinesJournal::read(&path).unwrap();
    assert!(recovered.report.is_clean());
    assert_eq!(recovered.report.commands, script().len() as u64);
    assert_eq!((recovered.report.first_seq, recovered.report.last_seq), (Some(1), Some(script().len() as u64)));
    assert_eq!(recovered.report.valid_bytes, fs::metadata(&path).unwrap().len());
    assert_eq!(
        recovered.entries.iter().map(|e| e.command.clone()).collect::<Vec<_>>(),
        script(),
        "commands survive the JSON round trip"
    );
    let (engine, _) = replay(Engine::new(EngineConfig::default()), 0, recovered.entries.clone(), |_| {}).unwrap();
    assert_eq!(engine.snapshot(), live);
    assert_eq!((recovered.report.version, recovered.report.legacy_commands), (Some(2), 0));
    // The header, then one JSON object per line: the checksum, then the entry with its sequence
    // number, time and command.
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(HEADER), "{text}");
    assert_eq!(crc32c(b"123456789"), 0xe306_9283, "the catalogue's check value for CRC-32C");
    for (line, entry) in lines(&path)[1..].iter().zip(&recovered.entries) {
        let json = serde_json::to_string(entry).unwrap();
        assert_eq!(line, &format!("{{\"crc32c\":\"{:08x}\",\"entry\":{json}}}", crc32c(json.as_bytes())));
    }
    let first: serde_json::Value = serde_json::from_str(&lines(&path)[1]).unwrap();
    assert_eq!(first["entry"]["seq"], 1);
    assert_eq!(first["entry"]["at"], T0);
    assert!(first["entry"]["command"]["add_skill"].is_object());
}

#[test]
fn a_batch_is_flushed_before_its_effects_are_dispatched() {
    let dir = TempDir::new("journal-batch");
    let path = dir.file("j.jsonl");
    let options = JsonLinesOptions::new().with_flush(FlushPolicy::EveryBatch).with_sync(true);
    let journal = JsonLinesJournal::create(&path, options).unwrap();
    // The sink reads the file whenever it sees an event.
    let seen_on_disk = Arc::new(Mutex::new(Vec::new()));
    let record = seen_on_disk.clone();
    let file = path.clone();
    let sink = move |_: &Event, _: &Engine| {
        record.lock().unwrap().push(JsonLinesJournal::read(&file).unwrap().report.commands);
    };
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(ManualClock::new(t(0)))
        .adapter([Channel::Chat, Channel::Voice], Desk)
        .journal(journal)
        .sink(sink)
        .build()
        .unwrap();
    let report = driver.submit_batch(script()).unwrap();
    assert_eq!(report.accepted(), script().len());
    let seen = seen_on_disk.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|n| *n == script().len() as u64),
        "every effect was dispatched after the whole batch was on disk"
    );
}

#[test]
fn without_a_batch_commit_nothing_is_written_under_every_batch() {
    let dir = TempDir::new("journal-raw");
    let path = dir.file("j.jsonl");
    let mut journal =
        JsonLinesJournal::create(&path, JsonLinesOptions::new().with_flush(FlushPolicy::EveryBatch)).unwrap();
    for (n, command) in script().into_iter().take(3).enumerate() {
        journal.append(&JournalEntry::new(n as u64 + 1, t(0), command)).unwrap();
        journal.commit(CommitPoint::Command).unwrap();
    }
    assert_eq!(JsonLinesJournal::read(&path).unwrap().report.commands, 0, "held until the batch ends");
    // A retracted entry never reaches the file; sequence and staging are checked.
    journal.append(&JournalEntry::new(4, t(0), Command::Login { agent: AgentId(9) })).unwrap();
    assert!(matches!(
        journal.append(&JournalEntry::new(5, t(0), Command::Login { agent: AgentId(9) })),
        Err(JournalError::Unresolved { seq: 4 })
    ));
    journal.retract();
    assert!(matches!(
        journal.append(&JournalEntry::new(7, t(0), Command::Login { agent: AgentId(9) })),
        Err(JournalError::OutOfSequence { expected: 4, found: 7 })
    ));
    journal.commit(CommitPoint::Batch).unwrap();
    assert_eq!(JsonLinesJournal::read(&path).unwrap().report.commands, 3);
    assert!(JsonLinesJournal::create(&path, JsonLinesOptions::new()).is_err(), "create never clobbers a journal");
}

#[test]
fn a_line_cut_short_by_a_crash_is_dropped_reported_and_cut_off_on_open() {
    let dir = TempDir::new("journal-torn");
    let path = dir.file("j.jsonl");
    write_journal(&path, JsonLinesOptions::new());
    let whole = fs::metadata(&path).unwrap().len();
    let n = script().len() as u64;
    // A crash in the middle of writing the next entry.
    let next = JournalEntry::new(n + 1, t(99), Command::Logout { agent: AgentId(1) });
    let text = line(&next);
    let torn = &text.as_bytes()[..text.len() / 2];
    fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(torn).unwrap();

    let recovered = JsonLinesJournal::read(&path).unwrap();
    assert_eq!(recovered.report.commands, n);
    assert_eq!(recovered.report.dropped_bytes, torn.len() as u64);
    assert_eq!(recovered.report.dropped_line, Some(n + 2), "after the header and n entries");
    assert_eq!(recovered.report.valid_bytes, whole);
    let shown = recovered.report.to_string();
    assert!(shown.contains(&format!("recovered {n} command(s)")) && shown.contains("incomplete line"), "{shown}");

    // Opening cuts the torn tail off and continues the numbering.
    let (mut journal, reopened) = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap();
    assert_eq!(reopened, recovered);
    assert_eq!(fs::metadata(&path).unwrap().len(), whole);
    assert_eq!(journal.last_seq(), Some(n));
    journal.append(&next).unwrap();
    journal.commit(CommitPoint::Command).unwrap();
    drop(journal);
    let after = JsonLinesJournal::read(&path).unwrap();
    assert!(after.report.is_clean());
    assert_eq!(after.entries.last(), Some(&next));

    // A whole line without its newline counts as cut short too: the newline is the commit.
    let mut bytes = fs::read(&path).unwrap();
    bytes.pop();
    fs::write(&path, &bytes).unwrap();
    let recovered = JsonLinesJournal::read(&path).unwrap();
    assert_eq!(recovered.report.commands, n);
    assert_eq!(recovered.report.dropped_line, Some(n + 2));

    // A crash while `create` wrote the header: open finds no whole line, cuts the torn header
    // off and writes it again.
    fs::write(&path, &HEADER.as_bytes()[..20]).unwrap();
    let (journal, recovered) = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap();
    assert_eq!((recovered.report.version, recovered.report.dropped_line), (None, Some(1)));
    drop(journal);
    assert_eq!(fs::read_to_string(&path).unwrap(), HEADER);
}

#[test]
fn a_corrupt_line_in_the_middle_is_a_typed_error_naming_it() {
    let dir = TempDir::new("journal-corrupt");
    let path = dir.file("j.jsonl");
    write_journal(&path, JsonLinesOptions::new());
    let good = lines(&path);
    // Line 4 (the header, then entries 1 and 2, then entry 3) is the one damaged.
    let offset_of_line4 = (good[0].len() + good[1].len() + good[2].len() + 3) as u64;
    let entry3 = &good[3];
    let json3 = &entry3[entry3.find(",\"entry\":").unwrap() + 9..entry3.len() - 1];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"this is not json".to_vec()),
        ("truncated line", entry3.as_bytes()[..40].to_vec()),
        ("empty", Vec::new()),
        ("not utf-8", vec![0xff, 0xfe, b'{', b'}']),
        ("checksum with a sign", format!("{{\"crc32c\":\"+{}", &entry3[12..]).into_bytes()),
        ("uppercase checksum", entry3.replacen(&entry3[11..19], &entry3[11..19].to_uppercase(), 1).into_bytes()),
        ("a legacy line in a checksummed journal", json3.as_bytes().to_vec()),
        ("a second header", HEADER.trim_end().as_bytes().to_vec()),
        ("a damaged header", HEADER.trim_end().replace("version", "versioN").into_bytes()),
        // Checksums that match lines that are still wrong: a writer bug, or a person's edit.
        ("wrong shape", v1_json_line(r#"{"seq":3,"at":"yesterday","command":{}}"#).trim_end().as_bytes().to_vec()),
        (
            "unknown command",
            v1_json_line(r#"{"seq":3,"at":1,"command":{"Explode":{}}}"#).trim_end().as_bytes().to_vec(),
        ),
        ("entry not utf-8", {
            let mut bytes = b"{\"seq\":3,\"at\":1,\"command\":\"\xff\"}".to_vec();
            let crc = crc32c(&bytes);
            let mut line = format!("{{\"crc32c\":\"{crc:08x}\",\"entry\":").into_bytes();
            line.append(&mut bytes);
            line.push(b'}');
            line
        }),
    ];
    for (what, bad) in cases {
        let bytes = with_line_4(&good, &bad);
        fs::write(&path, &bytes).unwrap();
        match JsonLinesJournal::read(&path) {
            Err(JournalError::Corrupt { line: 4, offset, message }) => {
                assert_eq!(offset, offset_of_line4, "{what}");
                assert!(!message.is_empty());
            }
            other => panic!("{what}: expected a corrupt line 4, got {other:?}"),
        }
        let err = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap_err();
        assert!(err.to_string().contains("line 4"), "{what}: {err}");
        assert_eq!(fs::read(&path).unwrap(), bytes, "{what}: open leaves a corrupt file untouched");
    }

    // A changed byte in the entry, or in its checksum: the checksum fails, naming line and offset.
    let changed = entry3.replacen("\"at\":17", "\"at\":18", 1);
    assert_ne!(&changed, entry3);
    let mut flipped = entry3.clone().into_bytes();
    flipped[12] = if flipped[12] == b'0' { b'1' } else { b'0' };
    for (what, bad) in [("entry", changed.into_bytes()), ("checksum", flipped)] {
        let bytes = with_line_4(&good, &bad);
        fs::write(&path, &bytes).unwrap();
        match JsonLinesJournal::read(&path) {
            Err(JournalError::ChecksumMismatch { line: 4, offset, stored, computed }) => {
                assert_eq!(offset, offset_of_line4, "{what}");
                assert_ne!(stored, computed);
            }
            other => panic!("{what}: expected a checksum mismatch at line 4, got {other:?}"),
        }
        assert!(JsonLinesJournal::open(&path, JsonLinesOptions::new()).is_err());
        assert_eq!(fs::read(&path).unwrap(), bytes, "{what}: open leaves a damaged file untouched");
    }

    // The last line too: a line written whole (newline and all) that fails its checksum is
    // damage, not a crash artefact, and is never dropped quietly.
    let mut last = good.last().unwrap().clone().into_bytes();
    let at = last.len() - 3;
    last[at] ^= 0x01;
    let mut bytes: Vec<u8> = good[..good.len() - 1].iter().flat_map(|l| format!("{l}\n").into_bytes()).collect();
    bytes.extend_from_slice(&last);
    bytes.push(b'\n');
    fs::write(&path, &bytes).unwrap();
    let err = JsonLinesJournal::read(&path).unwrap_err();
    assert!(matches!(err, JournalError::ChecksumMismatch { line, .. } if line == good.len() as u64), "{err:?}");

    // A missing entry is a gap, named by line and offset.
    let without_third: Vec<&String> = good.iter().enumerate().filter(|(i, _)| *i != 3).map(|(_, l)| l).collect();
    fs::write(&path, without_third.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    match JsonLinesJournal::read(&path) {
        Err(JournalError::Gap { line: 4, offset, expected: 3, found: 4 }) => assert_eq!(offset, offset_of_line4),
        other => panic!("expected a gap at line 4, got {other:?}"),
    }

    // An overlong line cannot exhaust memory: it is refused after max_line_bytes.
    fs::write(&path, format!("{HEADER}{}\n{}\n", good[1], "x".repeat(1_000))).unwrap();
    let err = JsonLinesJournal::read_with(&path, JsonLinesOptions::new().with_max_line_bytes(500)).unwrap_err();
    let offset = (HEADER.len() + good[1].len() + 1) as u64;
    assert!(matches!(err, JournalError::LineTooLong { line: 3, offset: o, max_bytes: 500 } if o == offset), "{err:?}");
    // …even without a newline in sight: input that never ends still ends the reading.
    let endless = std::io::BufReader::new(std::io::repeat(b'x'));
    let err = JsonLinesReader::new(endless).with_max_line_bytes(4_096).read_all().unwrap_err();
    assert!(matches!(err, JournalError::LineTooLong { line: 1, offset: 0, max_bytes: 4_096 }), "{err:?}");
    let endless = std::io::BufReader::new(std::io::repeat(b'\n'));
    let err = JsonLinesReader::new(endless).read_all().unwrap_err();
    assert!(matches!(err, JournalError::Corrupt { line: 1, .. }), "{err:?}");
}

/// A journal written by a newer version of switchboard is refused, not misread.
#[test]
fn a_journal_of_an_unknown_format_version_is_refused() {
    let dir = TempDir::new("journal-version");
    let path = dir.file("j.jsonl");
    let entry = line(&login(1, 0));
    for (version, at_line) in [(3, 1), (0, 1), (99, 2)] {
        let header = format!("{{\"format\":\"switchboard-journal\",\"version\":{version},\"more\":true}}\n");
        let text = if at_line == 1 { format!("{header}{entry}") } else { format!("{HEADER}{header}{entry}") };
        fs::write(&path, &text).unwrap();
        let err = JsonLinesJournal::read(&path).unwrap_err();
        match err {
            JournalError::UnsupportedVersion { line, offset, version: v } => {
                assert_eq!((line, v), (at_line, version));
                assert_eq!(offset, if at_line == 1 { 0 } else { HEADER.len() as u64 });
            }
            other => panic!("version {version}: {other:?}"),
        }
        assert!(JsonLinesJournal::open(&path, JsonLinesOptions::new()).is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "open leaves it untouched");
    }
}

/// The journal refuses an entry whose line its reader would refuse; nothing is written.
#[test]
fn an_entry_too_long_for_the_line_limit_is_refused_before_it_is_written() {
    let dir = TempDir::new("journal-too-long");
    let path = dir.file("j.jsonl");
    let options = JsonLinesOptions::new().with_max_line_bytes(800);
    let journal = JsonLinesJournal::create(&path, options).unwrap();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(ManualClock::new(t(0)))
        .journal(journal)
        .build()
        .unwrap();
    driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat]))).unwrap();
    let long = NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(1))
        .with_attributes(Attributes::new().with("note", "x".repeat(800)));
    let refused = driver.submit(Command::Arrive(long)).unwrap_err();
    match &refused {
        DriverError::NotJournaled(JournalError::EntryTooLong { seq: 2, bytes, max_bytes: 800 }) => {
            assert!(*bytes > 800)
        }
        other => panic!("{other:?}"),
    }
    assert!(!refused.is_fatal());
    assert_eq!(driver.engine().waiting_count(QueueId(1)), 0, "a refused command changes nothing");
    drop(driver);
    let recovered = JsonLinesJournal::read_with(&path, options).unwrap();
    assert_eq!(recovered.report.commands, 1);
    // The limit has a floor: the header always fits.
    assert_eq!(JsonLinesOptions::new().with_max_line_bytes(1).max_line_bytes(), JsonLinesOptions::MIN_MAX_LINE_BYTES);
    assert!(HEADER.len() < JsonLinesOptions::MIN_MAX_LINE_BYTES);
}

/// The reason for the checksums: before them, thousands of corrupted journals in a fuzz run
/// parsed as different, valid commands and replayed without error. Now every one-byte change
/// of a journal is refused (or, at the last newline, drops the last entry as a torn write):
/// never a different entry.
#[test]
fn no_single_byte_change_reads_as_a_different_journal() {
    let dir = TempDir::new("journal-flips");
    let path = dir.file("j.jsonl");
    write_journal(&path, JsonLinesOptions::new());
    let bytes = fs::read(&path).unwrap();
    let all = JsonLinesJournal::read(&path).unwrap().entries;
    let mut misread = 0;
    for i in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 1 << (i % 8);
        match JsonLinesReader::new(&damaged[..]).read_all() {
            Err(_) => {}
            Ok(read) if read.entries == all[..read.entries.len()] && !read.report.is_clean() => {}
            Ok(_) => misread += 1,
        }
    }
    assert_eq!(misread, 0, "one-byte changes read back as other entries");

    // The same changes to the legacy format, which has no checksums, do misread: the test can
    // tell.
    let legacy: Vec<u8> = all.iter().flat_map(|e| legacy_line(e).into_bytes()).collect();
    let misread = (0..legacy.len())
        .filter(|&i| {
            let mut damaged = legacy.clone();
            damaged[i] ^= 1 << (i % 8);
            matches!(JsonLinesReader::new(&damaged[..]).read_all(), Ok(read) if read.entries.len() == all.len() && read.entries != all)
        })
        .count();
    assert!(misread > 0, "the legacy format has no protection to test against");
}

fn login(seq: u64, secs: i64) -> JournalEntry {
    JournalEntry::new(seq, t(secs), Command::Login { agent: AgentId(seq) })
}

/// Sequence numbers and times read from a file are checked with checked arithmetic: a file
/// saying `u64::MAX` is a typed error naming the line, never an overflow; so are entries that
/// repeat, go back, start at 0 or go back in time.
#[test]
fn sequence_numbers_and_times_from_the_file_are_checked() {
    // In both formats: the checks do not depend on the checksums.
    type Encode = fn(&JournalEntry) -> String;
    let formats: [(&str, Encode); 2] = [(HEADER, line), ("", legacy_line)];
    for (header, encode) in formats {
        let h = u64::from(!header.is_empty());
        let read = |entries: &[JournalEntry]| {
            let text: String = std::iter::once(header.to_owned()).chain(entries.iter().map(encode)).collect();
            JsonLinesReader::new(text.as_bytes()).read_all()
        };
        let second_line = (header.len() + encode(&login(u64::MAX, 0)).len()) as u64;

        // The last number there is reads; nothing can follow it (a saturating add used to
        // accept `u64::MAX` twice).
        let last = read(&[login(u64::MAX - 1, 0), login(u64::MAX, 1)]).unwrap();
        assert_eq!(last.report.last_seq, Some(u64::MAX));
        let err = read(&[login(u64::MAX, 0), login(u64::MAX, 1)]).unwrap_err();
        assert!(
            matches!(err, JournalError::SequenceOverflow { line, last: u64::MAX, offset } if line == 2 + h && offset == second_line),
            "{err:?}"
        );
        let err = read(&[login(u64::MAX, 0), login(0, 1)]).unwrap_err();
        assert!(matches!(err, JournalError::SequenceOverflow { .. }), "{err:?}");

        // Repeated, going back, numbered 0.
        let err = read(&[login(5, 0), login(6, 1), login(6, 2)]).unwrap_err();
        assert!(matches!(err, JournalError::Gap { line, expected: 7, found: 6, .. } if line == 3 + h), "{err:?}");
        let err = read(&[login(5, 0), login(4, 1)]).unwrap_err();
        assert!(matches!(err, JournalError::Gap { line, expected: 6, found: 4, .. } if line == 2 + h), "{err:?}");
        let err = read(&[login(0, 0)]).unwrap_err();
        assert!(
            matches!(err, JournalError::Gap { line, offset, expected: 1, found: 0 } if line == 1 + h && offset == header.len() as u64),
            "{err:?}"
        );

        // Times never go back (equal times are fine: several commands in one millisecond).
        read(&[login(1, 3), login(2, 3)]).unwrap();
        let err = read(&[login(1, 3), login(2, 2)]).unwrap_err();
        assert!(matches!(err, JournalError::TimeWentBackwards { line, seq: 2, .. } if line == 2 + h), "{err:?}");
        assert!(err.to_string().contains(&format!("line {}", 2 + h)), "{err}");
    }

    // The writer refuses the same things, so it never writes a file the reader refuses.
    let dir = TempDir::new("journal-seq");
    let path = dir.file("j.jsonl");
    let mut journal = JsonLinesJournal::create(&path, JsonLinesOptions::new()).unwrap();
    let zero = journal.append(&login(0, 0));
    assert!(matches!(zero, Err(JournalError::OutOfSequence { expected: 1, found: 0 })), "{zero:?}");
    journal.append(&login(u64::MAX, 5)).unwrap();
    journal.commit(CommitPoint::Command).unwrap();
    let after = journal.append(&login(u64::MAX, 6));
    assert!(matches!(after, Err(JournalError::SequenceExhausted { last: u64::MAX })), "{after:?}");
    drop(journal);
    let (mut journal, recovered) = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap();
    assert_eq!(recovered.report.last_seq, Some(u64::MAX));
    assert!(matches!(journal.append(&login(u64::MAX, 6)), Err(JournalError::SequenceExhausted { .. })));

    let path = dir.file("k.jsonl");
    let mut journal = JsonLinesJournal::create(&path, JsonLinesOptions::new()).unwrap();
    journal.append(&login(1, 5)).unwrap();
    journal.commit(CommitPoint::Command).unwrap();
    drop(journal);
    // Reopened, the journal remembers the last entry's time.
    let (mut journal, _) = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap();
    let back = journal.append(&login(2, 4));
    assert!(matches!(back, Err(JournalError::TimeOutOfOrder { seq: 2, .. })), "{back:?}");
    journal.append(&login(2, 5)).unwrap();
}

#[test]
fn cut_at_every_byte_the_journal_recovers_exactly_the_whole_lines() {
    let dir = TempDir::new("journal-cuts");
    let path = dir.file("j.jsonl");
    write_journal(&path, JsonLinesOptions::new());
    let bytes = fs::read(&path).unwrap();
    let all = JsonLinesJournal::read(&path).unwrap().entries;
    for cut in 0..=bytes.len() {
        let recovered = JsonLinesReader::new(&bytes[..cut]).read_all().unwrap();
        // Whole lines, less the header.
        let whole = bytes[..cut].iter().filter(|b| **b == b'\n').count().saturating_sub(1);
        assert_eq!(recovered.entries, all[..whole], "cut at {cut}");
        assert_eq!(recovered.report.valid_bytes + recovered.report.dropped_bytes, cut as u64);
    }
}

/// A damaged journal file: the script's journal with a few bytes replaced, inserted or removed.
fn damage(bytes: &mut Vec<u8>, edits: Vec<(prop::sample::Index, u8, u8)>) {
    for (at, byte, how) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = at.index(bytes.len());
        match how {
            0 => bytes[i] = byte,
            1 => bytes.insert(i, byte),
            _ => {
                bytes.remove(i);
            }
        }
    }
}

/// Reads bytes to the end, as a fuzz target does; returns the entries before the first error.
fn read_to_the_end(bytes: &[u8], max_line_bytes: usize) -> (Vec<JournalEntry>, Option<JournalError>) {
    let mut read = Vec::new();
    for entry in JsonLinesReader::new(bytes).with_max_line_bytes(max_line_bytes) {
        match entry {
            Ok(entry) => read.push(entry),
            Err(e) => return (read, Some(e)),
        }
    }
    (read, None)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary damage gives entries or a typed error naming a line, never a panic; what is
    /// read is a prefix of what was written, never a different entry.
    #[test]
    fn damaged_journals_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let dir = TempDir::new("journal-damage");
        let path = dir.file("j.jsonl");
        write_journal(&path, JsonLinesOptions::new());
        let mut bytes = fs::read(&path).unwrap();
        let all = JsonLinesJournal::read(&path).unwrap().entries;
        damage(&mut bytes, edits);
        let (read, error) = read_to_the_end(&bytes, JsonLinesOptions::DEFAULT_MAX_LINE_BYTES);
        if let Some(e) = error {
            prop_assert!(e.to_string().contains("line "), "{}", e);
        }
        prop_assert_eq!(&read[..], &all[..read.len()]);
    }

    /// Arbitrary bytes, as a fuzz target feeds them — alone, after a header, or after whole
    /// entries — end in entries or a typed error, never a panic or a hang.
    #[test]
    fn arbitrary_bytes_never_panic(
        noise in prop::collection::vec(any::<u8>(), 0..600),
        prefix in 0usize..3,
        max_line_bytes in prop::sample::select(vec![64usize, 200, 4_096]),
    ) {
        let mut bytes = match prefix {
            0 => Vec::new(),
            1 => HEADER.as_bytes().to_vec(),
            _ => format!("{HEADER}{}", line(&login(1, 0))).into_bytes(),
        };
        bytes.extend_from_slice(&noise);
        let (read, error) = read_to_the_end(&bytes, max_line_bytes);
        prop_assert!(read.len() <= 1 + noise.len() / 40);
        if let Some(e) = error {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

/// Voice desktops answer at once; chat offers ring until they time out; no adapter serves
/// e-mail, so the driver pauses the agent (a journaled follow-up).
struct AnsweringDesk;

impl ChannelAdapter for AnsweringDesk {
    fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        if offer.channel == Channel::Voice {
            ctx.report(Command::Accept { agent: offer.agent, offer: offer.id });
        }
        Ok(())
    }
}

/// A morning through a driver that journals accepts, completions, dispositions, transfers,
/// pauses and an offer that could not be delivered; the committed legacy fixture
/// (`tests/fixtures/journal-v0.jsonl`) was written by it with the unversioned format.
fn legacy_scenario(journal: impl Journal + 'static) -> EngineSnapshot {
    let clock = ManualClock::new(t(0));
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .adapter([Channel::Voice, Channel::Chat], AnsweringDesk)
        .journal(journal)
        .build()
        .unwrap();
    let mut commands = script();
    commands.push(Command::AddQueue(
        QueueConfig::new(QueueId(2), "mail", [Channel::Email]).with_wrap_up(std::time::Duration::from_secs(30)),
    ));
    commands.push(Command::AddQueue(QueueConfig::new(QueueId(3), "escalations", [Channel::Email])));
    let cap = CapacityProfile::new(100).with_channel(Channel::Email, ChannelCapacity::new(3).with_units(20));
    commands.push(Command::AddAgent(AgentConfig::new(AgentId(3), cap).with_queue(QueueMembership::new(QueueId(2)))));
    commands.push(Command::Login { agent: AgentId(3) });
    commands.push(Command::Arrive(NewInteraction::new(InteractionId(10), Channel::Email, QueueId(2), CustomerId(10))));
    for (n, command) in commands.into_iter().enumerate() {
        clock.set(t(n as i64));
        driver.submit(command).unwrap();
    }
    let mut at = 100;
    let mut step = |driver: &mut Driver, command: Command| {
        at += 7;
        clock.set(t(at));
        driver.tick().unwrap();
        driver.submit(command).unwrap();
    };
    step(&mut driver, Command::Resume { agent: AgentId(3) });
    step(&mut driver, Command::Transfer { interaction: InteractionId(10), queue: QueueId(3) });
    let connected: Vec<(AgentId, InteractionId)> = driver
        .engine()
        .interactions()
        .filter_map(|i| match i.state() {
            InteractionState::Connected { agent } => Some((agent, i.id())),
            _ => None,
        })
        .collect();
    assert!(!connected.is_empty());
    for (agent, interaction) in connected {
        step(
            &mut driver,
            Command::Disposition { agent, interaction, code: "resolved".into(), notes: Some("ok ✓".into()) },
        );
        step(&mut driver, Command::Complete { agent, interaction });
    }
    step(&mut driver, Command::Abandon { interaction: InteractionId(1) });
    step(&mut driver, Command::Pause { agent: AgentId(2), reason: ReasonCode(4) });
    step(&mut driver, Command::Logout { agent: AgentId(3) });
    driver.engine().snapshot()
}

const LEGACY_FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/journal-v0.jsonl");

#[test]
fn a_journal_in_the_legacy_format_still_reads_and_replays() {
    let live = MemoryJournal::new();
    let snapshot = legacy_scenario(live.clone());
    let recovered = JsonLinesJournal::read(LEGACY_FIXTURE).unwrap();
    assert!(recovered.report.is_clean());
    assert_eq!(recovered.entries, live.entries(), "the fixture holds what the scenario journals");
    assert_eq!((recovered.report.version, recovered.report.legacy_commands), (Some(0), recovered.report.commands));
    assert!(recovered.report.to_string().contains("25 in the legacy format"), "{}", recovered.report);
    let (engine, _) = replay(Engine::new(EngineConfig::default()), 0, recovered.entries, |_| {}).unwrap();
    assert_eq!(engine.snapshot(), snapshot);
}

/// Opening a legacy journal upgrades it in place: a crash's torn tail is cut off, a header is
/// appended, and the entries after it are checksummed; the whole file reads and replays.
#[test]
fn opening_a_legacy_journal_upgrades_it_in_place() {
    let dir = TempDir::new("journal-upgrade");
    let path = dir.file("j.jsonl");
    let legacy = fs::read(LEGACY_FIXTURE).unwrap();
    let mut torn = legacy.clone();
    torn.extend_from_slice(br#"{"seq":26,"at":1700000150000,"comm"#);
    fs::write(&path, &torn).unwrap();

    let (journal, recovered) = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap();
    assert_eq!((recovered.report.version, recovered.report.dropped_line), (Some(0), Some(26)));
    let n = recovered.report.commands;
    let (engine, report) = replay(Engine::new(EngineConfig::default()), 0, recovered.entries.clone(), |_| {}).unwrap();
    let clock = ManualClock::new(engine.now().unwrap());
    let mut driver = Driver::builder(engine)
        .clock(clock.clone())
        .adapter([Channel::Voice, Channel::Chat], AnsweringDesk)
        .journal(journal)
        .resume_after(report.last_seq)
        .build()
        .unwrap();
    clock.advance(std::time::Duration::from_secs(5));
    driver.submit(Command::Resume { agent: AgentId(2) }).unwrap();
    let call = NewInteraction::new(InteractionId(20), Channel::Voice, QueueId(1), CustomerId(20));
    driver.submit(Command::Arrive(call)).unwrap();
    let live = driver.engine().snapshot();
    let last_seq = driver.last_seq();
    drop(driver);

    let bytes = fs::read(&path).unwrap();
    assert!(bytes.starts_with(&legacy), "the legacy entries stay as they were");
    assert!(bytes[legacy.len()..].starts_with(HEADER.as_bytes()), "then the header");
    let upgraded = JsonLinesJournal::read(&path).unwrap();
    assert_eq!(upgraded.report.version, Some(2));
    assert_eq!(upgraded.report.legacy_commands, n);
    assert!(upgraded.report.commands >= n + 2, "the resume and the arrival");
    assert_eq!(upgraded.report.last_seq, Some(last_seq));
    assert_eq!(upgraded.entries[..n as usize], recovered.entries[..]);
    let (engine, _) = replay(Engine::new(EngineConfig::default()), 0, upgraded.entries, |_| {}).unwrap();
    assert_eq!(engine.snapshot(), live);

    // Reopened, it is a version 1 journal: no second header.
    let (journal, reopened) = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap();
    drop(journal);
    assert_eq!(reopened.report, upgraded.report);
    assert_eq!(fs::read(&path).unwrap(), bytes);

    // A damaged entry after the upgrade fails its checksum.
    let mut damaged = bytes.clone();
    let at = bytes.len() - 5;
    damaged[at] ^= 0x02;
    fs::write(&path, &damaged).unwrap();
    assert!(matches!(JsonLinesJournal::read(&path), Err(JournalError::ChecksumMismatch { .. })));
}

/// The journal `good` with its fourth line replaced by `bad`.
fn with_line_4(good: &[String], bad: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (i, line) in good.iter().enumerate() {
        bytes.extend_from_slice(if i == 3 { bad } else { line.as_bytes() });
        bytes.push(b'\n');
    }
    bytes
}

/// The fixtures `tests/fixtures/journal-v1.jsonl` and `checkpoint-v1.json` were written by
/// [`legacy_scenario`] in format 1 (before 0.1's naming: CamelCase variants, spans as
/// `{secs, nanos}`), through a `JsonLinesJournal` and `Checkpoint::new(last entry, snapshot)`.
const V1_JOURNAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/journal-v1.jsonl");
const V1_CHECKPOINT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/checkpoint-v1.json");

#[test]
fn a_version_1_journal_still_reads_replays_and_is_upgraded_in_place() {
    let live = MemoryJournal::new();
    let snapshot = legacy_scenario(live.clone());
    let v1 = fs::read_to_string(V1_JOURNAL).unwrap();
    assert!(v1.contains(r#"{"AddSkill":"#) && v1.contains(r#""wrap_up":{"secs":30,"nanos":0}"#), "format 1's naming");
    let recovered = JsonLinesJournal::read(V1_JOURNAL).unwrap();
    assert!(recovered.report.is_clean());
    assert_eq!((recovered.report.version, recovered.report.legacy_commands), (Some(1), 0));
    assert_eq!(recovered.entries, live.entries(), "the fixture holds what the scenario journals");
    let (engine, _) = replay(Engine::new(EngineConfig::default()), 0, recovered.entries.clone(), |_| {}).unwrap();
    assert_eq!(engine.snapshot(), snapshot);

    // Opened for appending, it gains a version 2 header; what follows is written in version 2.
    let dir = TempDir::new("journal-v1-upgrade");
    let path = dir.file("j.jsonl");
    fs::write(&path, &v1).unwrap();
    let (mut journal, _) = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap();
    let last = recovered.entries.last().unwrap();
    let next = JournalEntry::new(last.seq + 1, last.at, Command::Resume { agent: AgentId(2) });
    journal.append(&next).unwrap();
    journal.commit(CommitPoint::Command).unwrap();
    drop(journal);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(&v1), "the version 1 lines stay as they were");
    assert!(text[v1.len()..].starts_with(HEADER) && text.ends_with("{\"resume\":{\"agent\":2}}}}\n"), "{text}");
    let upgraded = JsonLinesJournal::read(&path).unwrap();
    assert_eq!(upgraded.report.version, Some(2));
    assert_eq!(upgraded.entries[..recovered.entries.len()], recovered.entries[..]);
    assert_eq!(upgraded.entries.last(), Some(&next));
    // A version 1 header after version 2's is damage, not an upgrade.
    let backwards = format!("{text}{}", v1.lines().next().unwrap());
    fs::write(&path, format!("{backwards}\n")).unwrap();
    assert!(matches!(JsonLinesJournal::read(&path), Err(JournalError::Corrupt { .. })));
}

#[test]
fn a_version_1_checkpoint_still_recovers_and_is_written_with_its_version() {
    let journal = MemoryJournal::new();
    let snapshot = legacy_scenario(journal.clone());
    let v1 = fs::read_to_string(V1_CHECKPOINT).unwrap();
    assert!(!v1.contains("format_version"), "written before the field existed");
    let checkpoint: Checkpoint = serde_json::from_str(&v1).unwrap();
    assert_eq!(checkpoint.engine, snapshot);
    assert_eq!(checkpoint.last_seq, journal.entries().last().unwrap().seq);
    let (engine, report) = checkpoint.clone().recover(journal.entries(), |_| {}).unwrap();
    assert_eq!((engine.snapshot(), report.applied), (snapshot, 0));

    let written = serde_json::to_string(&checkpoint).unwrap();
    assert!(written.starts_with(r#"{"format_version":2,"last_seq":"#), "{}", &written[..80]);
    assert!(!written.contains(r#""secs":"#) && written.contains(r#""strategy":"longest_idle""#));
    assert_eq!(serde_json::from_str::<Checkpoint>(&written).unwrap(), checkpoint);
    // A later format, or a nonsense one, is refused, not misread.
    for version in [0, 3, u32::MAX] {
        let other = written.replacen(r#""format_version":2"#, &format!(r#""format_version":{version}"#), 1);
        let error = serde_json::from_str::<Checkpoint>(&other).unwrap_err().to_string();
        assert!(error.contains(&format!("format version {version}")), "{error}");
    }
}
