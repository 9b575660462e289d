//! The `journal` target: arbitrary bytes as a JSON-lines journal file.
//!
//! Reading must never panic or hang, whatever the bytes; what it reports must add up; the
//! entries it recovers must survive re-encoding; and replaying them from an empty checkpoint
//! (the library's `Checkpoint::recover`, and a checked [`Run`]) must agree.

use switchboard::host::{Checkpoint, JournalEntry, JournalError, JsonLinesReader};
use switchboard::{Engine, EngineConfig};

use crate::harness::exercise::exercise;
use crate::harness::run::Run;
use crate::harness::{Mode, Outcome, guards};

/// Most entries replayed.
pub const MAX_ENTRIES: usize = 300;

/// Runs one input of the `journal` target.
pub fn run(data: &[u8], mode: Mode) -> Outcome {
    // The whole-file API.
    let all = JsonLinesReader::new(data).read_all();

    // Entry by entry: everything before the first error is recovered.
    let mut reader = JsonLinesReader::new(data);
    let mut entries = Vec::new();
    let mut error = None;
    for item in reader.by_ref() {
        match item {
            Ok(entry) => entries.push(entry),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let report = *reader.report();
    assert_eq!(report.commands, entries.len() as u64, "the report counts other entries than it yields");
    assert!(report.valid_bytes + report.dropped_bytes <= data.len() as u64, "the report counts bytes not there");
    assert_eq!(report.first_seq, entries.first().map(|e| e.seq));
    assert_eq!(report.last_seq, entries.last().map(|e| e.seq));
    for pair in entries.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq.saturating_add(1), "the reader let a sequence gap through");
    }
    match (&all, &error) {
        (Ok(recovered), None) => {
            assert_eq!(recovered.entries, entries, "read_all and the iterator disagree");
            assert_eq!(recovered.report, report);
            if report.is_clean() {
                assert_eq!(report.valid_bytes, data.len() as u64, "a clean read left bytes unaccounted");
            } else {
                assert_eq!(report.valid_bytes + report.dropped_bytes, data.len() as u64);
            }
        }
        (Err(_), Some(_)) => {}
        (all, error) => panic!("read_all gave {all:?} but the iterator stopped with {error:?}"),
    }
    if let Some(JournalError::Corrupt { offset, .. }) = &error {
        assert_eq!(*offset, report.valid_bytes, "a corrupt line's offset is not where the good bytes end");
    }

    // A short line limit must be a typed error, never a panic.
    let _ = JsonLinesReader::new(data).with_max_line_bytes(64).read_all();

    // The recovered entries survive re-encoding, byte for byte the way the journal writes them.
    let mut text = Vec::new();
    for entry in &entries {
        serde_json::to_writer(&mut text, entry).expect("an entry read from JSON encodes");
        text.push(b'\n');
    }
    let again = JsonLinesReader::new(&text[..]).read_all().expect("re-encoded entries read back");
    assert_eq!(again.entries, entries, "entries change through re-encoding");

    replay(entries, mode)
}

fn replay(mut entries: Vec<JournalEntry>, mode: Mode) -> Outcome {
    entries.truncate(MAX_ENTRIES);
    let mut guard = None;
    if mode == Mode::Guarded {
        if let Some(bad) = entries.iter().position(|e| guards::command(e.at, &e.command).is_err()) {
            guard = guards::command(entries[bad].at, &entries[bad].command).err();
            entries.truncate(bad);
        }
    }
    let config = EngineConfig::default();

    // The library's recovery: stops at the first gap or refused entry.
    let recovered = Checkpoint::empty(config.clone()).recover(entries.clone(), |_| {});
    if let Ok((engine, report)) = &recovered {
        if let Err(v) = engine.check_invariants() {
            panic!("{v}");
        }
        assert_eq!(report.applied + report.skipped, entries.len() as u64);
    }

    // The same entries through the checked loop (which also goes on past refusals).
    let mut run = Run::new(Engine::new(config), mode);
    run.outcome.parsed = true;
    for entry in &entries {
        run.command(entry.at, entry.command.clone());
    }
    if let Ok((engine, _)) = &recovered {
        if entries.first().is_some_and(|e| e.seq == 1) {
            assert_eq!(engine.snapshot(), run.engine.snapshot(), "recover and a plain replay disagree");
        }
    }
    exercise(&mut run);
    let mut outcome = run.finish();
    outcome.guard = outcome.guard.or(guard);
    outcome.skipped += usize::from(guard.is_some());
    outcome
}
