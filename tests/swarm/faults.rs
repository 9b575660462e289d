//! The fault injector: checkpoints, crashes and recovery, torn journal writes, clock jumps,
//! time going backwards and tampered snapshots. Each fault checks what the contract promises
//! about it, then lets the run go on as a host would after it.

use std::fs::OpenOptions;
use std::time::Duration;

use switchboard::host::*;
use switchboard::*;

use crate::checker::{Expect, FNV_OFFSET, hash_events};
use crate::classes::Class;
use crate::generator::Action;
use crate::run::{Failure, JournalKind, Run, Stored};
use crate::tamper;

const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 24 * HOUR_MS;
const YEAR_MS: u64 = 365 * DAY_MS;

impl Run {
    /// Draws this step's faults, each with its own chance, in a fixed order.
    pub fn inject_faults(&mut self) -> Result<(), Failure> {
        let k = self.setup.knobs.clone();
        if self.faults.chance(k.checkpoint_p) {
            self.checkpoint()?;
        }
        if self.faults.chance(k.tamper_p) {
            self.tamper()?;
        }
        if self.faults.chance(k.crash_p) {
            self.crash()?;
        }
        if self.faults.chance(k.tear_p) {
            self.torn_write()?;
        }
        if self.faults.chance(k.jump_p) {
            self.clock_jump()?;
        }
        if self.faults.chance(k.backwards_p) {
            self.time_backwards()?;
        }
        Ok(())
    }

    /// Takes a checkpoint and stores it as a host would: serialised.
    fn checkpoint(&mut self) -> Result<(), Failure> {
        let checkpoint = self.driver().checkpoint();
        if checkpoint.last_seq != self.driver().last_seq() {
            return Err(self.fail("the checkpoint's last_seq is not the driver's"));
        }
        let json = serde_json::to_string(&checkpoint).map_err(|e| self.fail(format!("checkpoint: {e}")))?;
        self.stored = Stored { json, hash: self.shadow.hash, events: self.shadow.tally.events };
        self.log.clear();
        self.counters.checkpoints += 1;
        Ok(())
    }

    /// The journal's entries after a crash, and a journal to go on writing: the same memory
    /// journal, or the file opened again (which must be clean and end at `last_seq`).
    fn reopen_journal(&self, last_seq: u64) -> Result<(Vec<JournalEntry>, Box<dyn Journal>), Failure> {
        match &self.journal {
            JournalKind::Memory(journal) => Ok((journal.entries(), Box::new(journal.clone()))),
            JournalKind::Lines { path, options, .. } => {
                let (journal, recovered) = JsonLinesJournal::open(path, *options)
                    .map_err(|e| self.fail(format!("reopening the journal: {e}")))?;
                let ends = recovered.report.last_seq.unwrap_or(0);
                if !recovered.report.is_clean() || ends != last_seq {
                    return Err(self.fail(format!(
                        "journal after a clean crash: {} (the driver accepted {last_seq})",
                        recovered.report
                    )));
                }
                Ok((recovered.entries, Box::new(journal)))
            }
        }
    }

    /// The process dies: the engine is thrown away and recovered from the latest checkpoint
    /// (sometimes from nothing: the whole journal) plus the journal's tail. The recovered
    /// engine, brought to the same time, must equal the live one byte for byte and must have
    /// emitted the same events.
    fn crash(&mut self) -> Result<(), Failure> {
        let driver = self.driver.take().expect("a driver runs between crashes");
        let live = snapshot_json(driver.engine());
        let live_now = driver.engine().now();
        let last_seq = driver.last_seq();
        let config = driver.engine().config().clone();
        drop(driver);
        let (entries, journal) = self.reopen_journal(last_seq)?;
        let from_scratch = self.faults.chance(0.2);
        let checkpoint = if from_scratch {
            Checkpoint::empty(config)
        } else {
            serde_json::from_str(&self.stored.json).map_err(|e| self.fail(format!("the stored checkpoint: {e}")))?
        };
        let mut replayed = Vec::new();
        let (mut engine, report) =
            checkpoint.recover(entries, |e| replayed.push(e)).map_err(|e| self.fail(format!("recovery: {e}")))?;
        if report.last_seq != last_seq {
            return Err(
                self.fail(format!("recovery ended at entry {} but the driver accepted {last_seq}", report.last_seq))
            );
        }
        if let Some(now) = live_now {
            engine.handle_timeout(now).map_err(|e| self.fail(format!("after recovery: {e}")))?;
            replayed.extend(std::iter::from_fn(|| engine.poll_event()));
        }
        let recovered = snapshot_json(&engine);
        if recovered != live {
            let diff = first_difference(&live, &recovered);
            return Err(self.fail(format!(
                "crash: the recovered engine differs from the live one (from scratch: {from_scratch}) {diff}"
            )));
        }
        // The replay re-emits the events since the checkpoint (all of them, from scratch).
        let split = replayed.len().checked_sub(self.log.len());
        let same_tail = split.is_some_and(|s| replayed[s..] == self.log[..]);
        let same_head = match split {
            Some(0) => !from_scratch || self.stored.events == 0,
            Some(s) => {
                from_scratch
                    && s as u64 == self.stored.events
                    && hash_events(FNV_OFFSET, &replayed[..s]) == self.stored.hash
            }
            None => false,
        };
        if !same_tail || !same_head {
            return Err(self.fail(format!(
                "crash: recovery emitted other events than the live run (from scratch: {from_scratch})"
            )));
        }
        self.driver = Some(self.build_driver(engine, report.last_seq, journal)?);
        self.counters.crashes += 1;
        Ok(())
    }

    /// The process dies while writing a command's journal line: the file ends in the middle of
    /// it. Opening the journal must drop exactly that line and keep every whole one, and the
    /// recovered engine must be the live one as if the command had never been submitted (the
    /// driver dispatches nothing before the line is written).
    fn torn_write(&mut self) -> Result<(), Failure> {
        let JournalKind::Lines { path, options, .. } = &self.journal else { return Ok(()) };
        let (path, options) = (path.clone(), *options);
        let Some(command) = self.some_command() else { return Ok(()) };
        let pre_engine = self.engine().clone();
        let pre_shadow = self.shadow.clone();
        let pre_log = self.log.len();
        let pre_agenda = self.workload.agenda();
        let pre_seq = self.driver().last_seq();
        let file_len = |this: &Run| std::fs::metadata(&path).map(|m| m.len()).map_err(|e| this.fail(e.to_string()));
        let pre_len = file_len(self)?;
        let now = self.call_time();
        let _refused_or_not = self.submit(command)?;
        if self.driver().last_seq() != pre_seq + 1 {
            return Ok(()); // refused, or followed by failure-policy commands: no single line to tear
        }
        let whole = JsonLinesJournal::read(&path).map_err(|e| self.fail(format!("reading the journal: {e}")))?.entries;
        let line = file_len(self)? - pre_len;
        let cut = pre_len + self.faults.range(1, line.saturating_sub(1).max(1));
        self.driver = None;
        let file = OpenOptions::new().write(true).open(&path).map_err(|e| self.fail(e.to_string()))?;
        file.set_len(cut).map_err(|e| self.fail(e.to_string()))?;
        drop(file);

        let (journal, recovered) =
            JsonLinesJournal::open(&path, options).map_err(|e| self.fail(format!("torn journal: {e}")))?;
        let r = recovered.report;
        let survived = recovered.entries == whole[..whole.len() - 1];
        // Line numbers count the format header, which versioned journals start with.
        let header_lines = u64::from(r.version.is_some_and(|v| v >= 1));
        if !survived
            || r.dropped_line != Some(whole.len() as u64 + header_lines)
            || r.dropped_bytes != cut - pre_len
            || r.last_seq.unwrap_or(0) != pre_seq
            || file_len(self)? != pre_len
        {
            return Err(self.fail(format!(
                "torn write at byte {cut} of line {}: {r} (whole lines kept: {survived})",
                whole.len()
            )));
        }
        let checkpoint: Checkpoint =
            serde_json::from_str(&self.stored.json).map_err(|e| self.fail(format!("the stored checkpoint: {e}")))?;
        let mut replayed = Vec::new();
        let (mut engine, report) = checkpoint
            .recover(recovered.entries, |e| replayed.push(e))
            .map_err(|e| self.fail(format!("recovery after a torn write: {e}")))?;
        engine.handle_timeout(now).map_err(|e| self.fail(e.to_string()))?;
        replayed.extend(std::iter::from_fn(|| engine.poll_event()));
        let mut expected = pre_engine;
        expected.handle_timeout(now).map_err(|e| self.fail(e.to_string()))?;
        let timers: Vec<Event> = std::iter::from_fn(|| expected.poll_event()).collect();
        let mut wanted_events = self.log[..pre_log].to_vec();
        wanted_events.extend(timers.iter().cloned());
        let (got, wanted) = (snapshot_json(&engine), snapshot_json(&expected));
        if got != wanted || replayed != wanted_events {
            let diff = first_difference(&wanted, &got);
            let events = first_event_difference(&wanted_events, &replayed);
            return Err(self.fail(format!(
                "torn write: recovery differs from the live run before the torn command; state {diff}\n  events {events}"
            )));
        }
        // The world forgets the torn command: nobody saw its effects.
        self.shadow = pre_shadow;
        self.log.truncate(pre_log);
        self.workload.set_agenda(pre_agenda);
        self.driver = Some(self.build_driver(engine, report.last_seq, Box::new(journal))?);
        self.absorb(timers, Expect::default())?;
        self.counters.torn_writes += 1;
        Ok(())
    }

    /// A command the workload would send now, for the torn write to cut.
    fn some_command(&mut self) -> Option<Command> {
        for action in [Action::Arrive, Action::Complete, Action::Login, Action::Resume, Action::Arrive] {
            let (workload, engine) = self.aim();
            if let Some(command) = workload.command(action, engine) {
                return Some(command);
            }
        }
        None
    }

    /// The clock jumps forward by hours, days or years (or, under `FarFuture`, past chrono's
    /// range; under `EndOfTime`, to the last milliseconds of i64).
    fn clock_jump(&mut self) -> Result<(), Failure> {
        let now = self.now.as_millis();
        let mut kinds = vec![0, 1, 2];
        if self.on(Class::FarFuture) {
            kinds.push(3);
        }
        if self.on(Class::EndOfTime) {
            kinds.push(4);
        }
        let target = match *self.faults.pick(&kinds).unwrap() {
            0 => now.saturating_add(self.faults.range(HOUR_MS, 12 * HOUR_MS) as i64),
            1 => now.saturating_add(self.faults.range(DAY_MS, 30 * DAY_MS) as i64),
            2 => now.saturating_add(self.faults.range(YEAR_MS, 30 * YEAR_MS) as i64),
            3 => now
                .saturating_add(YEAR_MS as i64)
                .max(self.faults.range(1_000_000_000_000_000, 8_700_000_000_000_000) as i64),
            // The last day the engine accepts (set_now stops the clock at its end).
            _ => Timestamp::MAX.as_millis() - self.faults.range(0, DAY_MS) as i64,
        };
        if target <= now {
            return Ok(());
        }
        if self.ring_cap().is_some() {
            // Missed offers ring again and again through a long jump (known bug (c)): everyone
            // goes home first, so that no offer rings through the night.
            let on: Vec<AgentId> =
                self.engine().agents().filter(|a| a.presence() != Presence::Offline).map(|a| a.id()).collect();
            for agent in on {
                let _ = self.submit(Command::Logout { agent })?; // a refusal is checked like any other
            }
        }
        self.set_now(Timestamp::from_millis(target));
        self.tick()?;
        self.counters.clock_jumps += 1;
        Ok(())
    }

    /// Time goes backwards. The engine refuses with `TimeWentBackwards` naming both times
    /// (or `TimeOutOfRange` before 1970),
    /// emits nothing and changes nothing; the driver holds the engine at its latest time.
    fn time_backwards(&mut self) -> Result<(), Failure> {
        let Some(last) = self.engine().now() else { return Ok(()) };
        let back = *self.faults.pick(&[1, 1_000, DAY_MS, 40 * YEAR_MS, u64::MAX]).unwrap();
        let earlier = last - Duration::from_millis(back);
        if earlier >= last {
            return Ok(());
        }
        let mut engine = self.engine().clone();
        let before = snapshot_json(&engine);
        let command = self.some_command().unwrap_or(Command::Login { agent: AgentId(u64::MAX) });
        // Before 1970 is outside the engine's times altogether, which it checks first.
        let expected = if earlier < Timestamp::EPOCH {
            CommandError::TimeOutOfRange { now: earlier, min: Timestamp::EPOCH, max: Timestamp::MAX }
        } else {
            CommandError::TimeWentBackwards { last, now: earlier }
        };
        let timeout = engine.handle_timeout(earlier);
        let handled = engine.handle(command.clone(), earlier);
        if timeout.as_ref().err() != Some(&expected) || handled.as_ref().err() != Some(&expected) {
            return Err(
                self.fail(format!("time went back to {}: got {timeout:?} and {handled:?}", earlier.as_millis()))
            );
        }
        if engine.poll_event().is_some() || snapshot_json(&engine) != before {
            return Err(self.fail("a refused earlier time changed the engine"));
        }
        // The host's clock steps back: the driver applies the command at the engine's time.
        self.clock.set(earlier);
        let seq = self.driver().last_seq();
        let accepted = self.submit(command)?.is_ok();
        self.clock.set(self.now);
        if let (true, JournalKind::Memory(journal)) = (accepted, &self.journal) {
            let at = journal.entries_after(seq).first().map(|e| e.at);
            if at != Some(last) {
                return Err(
                    self.fail(format!("with the clock set back, a command was journaled at {at:?}, not at {last}"))
                );
            }
        }
        self.counters.backwards += 1;
        Ok(())
    }

    /// Restores tampered copies of the latest checkpoint's snapshot (the run goes on untouched).
    fn tamper(&mut self) -> Result<(), Failure> {
        let checkpoint = self.driver().checkpoint();
        tamper::check(&checkpoint.engine, &mut self.faults, &self.opts.classes).map_err(|e| self.fail(e))?;
        self.counters.tampered += 1;
        Ok(())
    }
}

/// Where two event streams first differ, for failure messages.
pub fn first_event_difference(wanted: &[Event], got: &[Event]) -> String {
    match wanted.iter().zip(got).position(|(a, b)| a != b) {
        Some(k) => format!("differ at {k} of {}: expected {:?}, got {:?}", wanted.len(), wanted[k], got[k]),
        None if wanted.len() == got.len() => "are the same".to_string(),
        None => format!("have lengths {} and {} (expected first)", wanted.len(), got.len()),
    }
}

/// Where two JSON texts first differ, with some context, for failure messages.
pub fn first_difference(a: &str, b: &str) -> String {
    let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    // Byte positions moved back or forward to character boundaries (the JSON may hold any text).
    let around = |s: &str| {
        let mut start = at.saturating_sub(160).min(s.len());
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + 160).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        s[start..end].to_string()
    };
    format!("at byte {at}:\n  expected …{}…\n  got      …{}…", around(a), around(b))
}

pub fn snapshot_json(engine: &Engine) -> String {
    serde_json::to_string(&engine.snapshot()).expect("snapshots serialise")
}
