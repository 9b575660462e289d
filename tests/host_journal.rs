//! The JSON-lines journal: flush policies, write-ahead of effects, recovery of a torn last line,
//! typed errors naming the line for corruption in the middle, and no panic on damaged files.
#![cfg(feature = "json")]

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use switchboard::*;

mod common;
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
        let cap = CapacityProfile::new(100).with_channel(Channel::Voice, 1, 100, true).with_channel(
            Channel::Chat,
            2,
            50,
            false,
        );
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
    let (engine, _) = replay(Engine::new(EngineConfig::default()), 0, recovered.entries, |_| {}).unwrap();
    assert_eq!(engine.snapshot(), live);
    // One JSON object per line, with its sequence number, time and command.
    let first: serde_json::Value = serde_json::from_str(&lines(&path)[0]).unwrap();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["at"], T0);
    assert!(first["command"]["AddSkill"].is_object());
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
    let text = serde_json::to_string(&next).unwrap();
    let torn = &text.as_bytes()[..text.len() / 2];
    fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(torn).unwrap();

    let recovered = JsonLinesJournal::read(&path).unwrap();
    assert_eq!(recovered.report.commands, n);
    assert_eq!(recovered.report.dropped_bytes, torn.len() as u64);
    assert_eq!(recovered.report.dropped_line, Some(n + 1));
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
    assert_eq!(recovered.report.dropped_line, Some(n + 1));
}

#[test]
fn a_corrupt_line_in_the_middle_is_a_typed_error_naming_it() {
    let dir = TempDir::new("journal-corrupt");
    let path = dir.file("j.jsonl");
    write_journal(&path, JsonLinesOptions::new());
    let good = lines(&path);
    let offset_of_line3 = (good[0].len() + good[1].len() + 2) as u64;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"this is not json".to_vec()),
        ("truncated object", good[2].as_bytes()[..20].to_vec()),
        ("empty", Vec::new()),
        ("not utf-8", vec![0xff, 0xfe, b'{', b'}']),
        ("wrong shape", br#"{"seq":3,"at":"yesterday","command":{}}"#.to_vec()),
        ("unknown command", br#"{"seq":3,"at":1,"command":{"Explode":{}}}"#.to_vec()),
    ];
    for (what, bad) in cases {
        let mut bytes = Vec::new();
        for (i, line) in good.iter().enumerate() {
            bytes.extend_from_slice(if i == 2 { &bad } else { line.as_bytes() });
            bytes.push(b'\n');
        }
        fs::write(&path, &bytes).unwrap();
        match JsonLinesJournal::read(&path) {
            Err(JournalError::Corrupt { line: 3, offset, message }) => {
                assert_eq!(offset, offset_of_line3, "{what}");
                assert!(!message.is_empty());
            }
            other => panic!("{what}: expected a corrupt line 3, got {other:?}"),
        }
        let err = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap_err();
        assert!(err.to_string().contains("line 3"), "{what}: {err}");
        assert_eq!(fs::read(&path).unwrap(), bytes, "{what}: open leaves a corrupt file untouched");
    }

    // A missing entry is a gap, named by line.
    let without_third: Vec<&String> = good.iter().enumerate().filter(|(i, _)| *i != 2).map(|(_, l)| l).collect();
    fs::write(&path, without_third.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    match JsonLinesJournal::read(&path) {
        Err(JournalError::Gap { line: 3, offset, expected: 3, found: 4 }) => assert_eq!(offset, offset_of_line3),
        other => panic!("expected a gap at line 3, got {other:?}"),
    }

    // An overlong line cannot exhaust memory.
    fs::write(&path, format!("{}\n{}\n", good[0], "x".repeat(1_000))).unwrap();
    let err = JsonLinesJournal::read_with(&path, JsonLinesOptions::new().with_max_line_bytes(500)).unwrap_err();
    assert!(matches!(err, JournalError::Corrupt { line: 2, .. }), "{err}");
}

/// One journal line holding `entry`, as the journal writes it.
fn line(entry: &JournalEntry) -> String {
    format!("{}\n", serde_json::to_string(entry).unwrap())
}

fn login(seq: u64, secs: i64) -> JournalEntry {
    JournalEntry::new(seq, t(secs), Command::Login { agent: AgentId(seq) })
}

/// Sequence numbers and times read from a file are checked with checked arithmetic: a file
/// saying `u64::MAX` is a typed error naming the line, never an overflow; so are entries that
/// repeat, go back, start at 0 or go back in time.
#[test]
fn sequence_numbers_and_times_from_the_file_are_checked() {
    let read = |entries: &[JournalEntry]| {
        let text: String = entries.iter().map(line).collect();
        JsonLinesReader::new(text.as_bytes()).read_all()
    };
    let second_line = line(&login(u64::MAX, 0)).len() as u64;

    // The last number there is reads; nothing can follow it (a saturating add used to accept
    // `u64::MAX` twice).
    let last = read(&[login(u64::MAX - 1, 0), login(u64::MAX, 1)]).unwrap();
    assert_eq!(last.report.last_seq, Some(u64::MAX));
    let err = read(&[login(u64::MAX, 0), login(u64::MAX, 1)]).unwrap_err();
    assert!(
        matches!(err, JournalError::SequenceOverflow { line: 2, last: u64::MAX, offset } if offset == second_line),
        "{err:?}"
    );
    let err = read(&[login(u64::MAX, 0), login(0, 1)]).unwrap_err();
    assert!(matches!(err, JournalError::SequenceOverflow { line: 2, .. }), "{err:?}");

    // Repeated, going back, numbered 0.
    let err = read(&[login(5, 0), login(6, 1), login(6, 2)]).unwrap_err();
    assert!(matches!(err, JournalError::Gap { line: 3, expected: 7, found: 6, .. }), "{err:?}");
    let err = read(&[login(5, 0), login(4, 1)]).unwrap_err();
    assert!(matches!(err, JournalError::Gap { line: 2, expected: 6, found: 4, .. }), "{err:?}");
    let err = read(&[login(0, 0)]).unwrap_err();
    assert!(matches!(err, JournalError::Gap { line: 1, offset: 0, expected: 1, found: 0 }), "{err:?}");

    // Times never go back (equal times are fine: several commands in one millisecond).
    read(&[login(1, 3), login(2, 3)]).unwrap();
    let err = read(&[login(1, 3), login(2, 2)]).unwrap_err();
    assert!(matches!(err, JournalError::TimeWentBackwards { line: 2, seq: 2, .. }), "{err:?}");
    assert!(err.to_string().contains("line 2"), "{err}");

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
        let whole = bytes[..cut].iter().filter(|b| **b == b'\n').count();
        assert_eq!(recovered.entries, all[..whole], "cut at {cut}");
        assert_eq!(recovered.report.valid_bytes + recovered.report.dropped_bytes, cut as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary damage gives entries or a typed error, never a panic; what is read is a prefix.
    #[test]
    fn damaged_journals_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let dir = TempDir::new("journal-damage");
        let path = dir.file("j.jsonl");
        write_journal(&path, JsonLinesOptions::new());
        let mut bytes = fs::read(&path).unwrap();
        let all = JsonLinesJournal::read(&path).unwrap().entries;
        for (at, byte, how) in edits {
            if bytes.is_empty() { break; }
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] = byte,
                1 => { bytes.insert(i, byte); }
                _ => { bytes.remove(i); }
            }
        }
        let mut reader = JsonLinesReader::new(&bytes[..]);
        let mut read = Vec::new();
        for entry in reader.by_ref() {
            match entry {
                Ok(entry) => read.push(entry),
                Err(e) => { prop_assert!(!e.to_string().is_empty()); break; }
            }
        }
        // Entries read back are consecutive, whatever they say.
        prop_assert!(read.windows(2).all(|w| w[1].seq == w[0].seq + 1));
        prop_assert!(read.len() <= all.len() + 8);
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
    let cap = CapacityProfile::new(100).with_channel(Channel::Email, 3, 20, false);
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
    let (engine, _) = replay(Engine::new(EngineConfig::default()), 0, recovered.entries, |_| {}).unwrap();
    assert_eq!(engine.snapshot(), snapshot);
}
