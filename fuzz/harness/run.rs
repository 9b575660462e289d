//! A checked engine: every step is followed by the engine's own invariant
//! check and the contract's promises, and a panic here is a finding.

use switchboard::{Command, Engine, EngineSnapshot, Event, InteractionState, TimerKind, Timestamp};

use crate::harness::{Mode, Outcome, guards, tracing};

/// How many `handle_timeout(poll_timeout)` rounds a run ends with.
pub const FINAL_TICKS: usize = 64;

/// An engine driven through the run-loop rule with checks after every step.
pub struct Run {
    pub engine: Engine,
    pub mode: Mode,
    /// The state the run started from: replaying `accepted` on it must give the same engine.
    origin: EngineSnapshot,
    /// Every accepted command with its time, in order: a journal.
    accepted: Vec<(Timestamp, Command)>,
    /// Every event drained, in order.
    events: Vec<Event>,
    pub outcome: Outcome,
}

impl Run {
    /// A run over `engine`, whose events must already be drained.
    pub fn new(engine: Engine, mode: Mode) -> Run {
        let origin = engine.snapshot();
        Run { engine, mode, origin, accepted: Vec::new(), events: Vec::new(), outcome: Outcome::default() }
    }

    /// The latest time the engine has seen.
    pub fn now(&self) -> Option<Timestamp> {
        self.engine.now()
    }

    /// Applies one command and checks the result. Returns whether it was accepted.
    pub fn command(&mut self, now: Timestamp, command: Command) -> bool {
        if self.mode == Mode::Guarded {
            if let Err(bug) = guards::command(now, &command) {
                self.outcome.skip(bug);
                return false;
            }
        }
        self.outcome.steps += 1;
        if tracing() {
            eprintln!("  handle at {} ({now}): {command:?}", now.as_millis());
        }
        let before = self.engine.clone();
        let result = self.engine.handle(command.clone(), now);
        let emitted = self.drain();
        let ok = result.is_ok();
        if tracing() {
            eprintln!("    -> {result:?}, {} event(s)", emitted.len());
        }
        match result {
            Ok(()) => {
                self.outcome.accepted += 1;
                self.accepted.push((now, command));
            }
            Err(error) => {
                self.outcome.refused += 1;
                // "Errors change nothing": the engine is as `handle_timeout(now)` would have left it,
                // with the same events (the timers due by then fire; the command does nothing).
                let mut reference = before;
                let timeout = reference.handle_timeout(now);
                let mut expected = Vec::new();
                while let Some(e) = reference.poll_event() {
                    expected.push(e);
                }
                assert_eq!(
                    self.engine.snapshot(),
                    reference.snapshot(),
                    "refused command {command:?} at {now:?} ({error}) changed the engine"
                );
                assert_eq!(emitted, expected, "refused command {command:?} ({error}) emitted other events");
                if timeout.is_err() {
                    assert!(
                        matches!(
                            error,
                            switchboard::CommandError::TimeWentBackwards { .. }
                                | switchboard::CommandError::TimeOutOfRange { .. }
                        ),
                        "handle_timeout({now:?}) was refused but the command got {error}"
                    );
                }
            }
        }
        self.check();
        ok
    }

    /// `handle_timeout(now)` with checks.
    pub fn tick(&mut self, now: Timestamp) {
        if self.mode == Mode::Guarded {
            if let Err(bug) = guards::time(now) {
                self.outcome.skip(bug);
                return;
            }
        }
        self.outcome.steps += 1;
        if tracing() {
            eprintln!("  handle_timeout at {} ({now})", now.as_millis());
        }
        let before = self.engine.now();
        let result = self.engine.handle_timeout(now);
        let emitted = self.drain();
        if let Err(error) = result {
            let outside = now < Timestamp::EPOCH || now > Timestamp::MAX;
            assert!(
                outside || before.is_some_and(|b| now < b),
                "handle_timeout({now:?}) refused after {before:?}: {error}"
            );
            assert!(emitted.is_empty(), "a refused handle_timeout emitted events");
        }
        self.check();
    }

    /// Ticks at the next deadline, if any; returns false when there is none.
    pub fn tick_next(&mut self) -> bool {
        match self.engine.poll_timeout() {
            Some(t) => {
                self.tick(t);
                true
            }
            None => false,
        }
    }

    /// Replaces the engine by the restore of its own snapshot, which must succeed and be exact.
    pub fn restore_roundtrip(&mut self) {
        if tracing() {
            eprintln!("  snapshot and restore");
        }
        let snapshot = self.engine.snapshot();
        let json = serde_json::to_vec(&snapshot).expect("a snapshot always encodes");
        let decoded: EngineSnapshot = serde_json::from_slice(&json).expect("an encoded snapshot decodes");
        assert_eq!(decoded, snapshot, "a snapshot changes through JSON");
        let restored = match Engine::restore(decoded) {
            Ok(engine) => engine,
            Err(e) => panic!("an engine's own snapshot is refused on restore: {e}"),
        };
        assert_eq!(restored.snapshot(), snapshot, "restore(snapshot).snapshot() differs");
        self.engine = restored;
    }

    fn drain(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(e) = self.engine.poll_event() {
            out.push(e);
        }
        self.events.extend(out.iter().cloned());
        out
    }

    fn check(&self) {
        if let Err(v) = self.engine.check_invariants() {
            panic!("{v}");
        }
        if let Err(e) = check_time(&self.engine) {
            panic!("{e}");
        }
    }

    /// Ends the run: a bounded number of timeouts at their deadlines, then the
    /// contract's central promise: replaying the accepted commands alone, at their
    /// times, from the same starting state, gives the same events and the same state.
    pub fn finish(mut self) -> Outcome {
        for _ in 0..FINAL_TICKS {
            if !self.tick_next() {
                break;
            }
        }
        let mut replayed = Engine::restore(self.origin.clone()).expect("the run's origin restored once already");
        let mut events = Vec::new();
        for (at, command) in &self.accepted {
            if let Err(e) = replayed.handle(command.clone(), *at) {
                panic!("accepted command {command:?} at {at:?} is refused on replay: {e}");
            }
            while let Some(e) = replayed.poll_event() {
                events.push(e);
            }
        }
        if let Some(now) = self.engine.now() {
            replayed.handle_timeout(now).expect("the run's last time is not before its last command");
            while let Some(e) = replayed.poll_event() {
                events.push(e);
            }
        }
        assert_eq!(replayed.snapshot(), self.engine.snapshot(), "replaying the accepted commands gives another state");
        if events != self.events {
            let first = events.iter().zip(&self.events).position(|(a, b)| a != b);
            panic!(
                "replaying the accepted commands gives other events ({} vs {} live); first difference at {first:?}",
                events.len(),
                self.events.len()
            );
        }
        self.outcome
    }
}

/// What the contract implies about time, beyond `check_invariants`: nothing overdue (timers
/// fire at their due time), nothing from the future, and every pending offer and wrap-up
/// has the timer that will end it (or an agent could be held forever).
///
/// # Errors
/// What does not hold.
pub fn check_time(engine: &Engine) -> Result<(), String> {
    let Some(now) = engine.now() else { return Ok(()) };
    if let Some(due) = engine.poll_timeout() {
        if due < now {
            return Err(format!("a timer due at {due:?} is still set at {now:?}"));
        }
    }
    for p in engine.offers() {
        if p.offered_at > now {
            return Err(format!("offer {} made at {:?}, after now {now:?}", p.id, p.offered_at));
        }
        if p.offered_at > p.expires_at {
            return Err(format!("offer {} expires before it was made", p.id));
        }
        let timer = engine.timer(TimerKind::OfferTimeout(p.id));
        if timer != Some(p.expires_at) {
            return Err(format!("offer {} expires at {:?} but its timer is {timer:?}", p.id, p.expires_at));
        }
    }
    for i in engine.interactions() {
        if i.arrived_at() > now || i.queue_entered_at() > now {
            return Err(format!("{} arrived at {:?}, after now {now:?}", i.id(), i.arrived_at()));
        }
        if let InteractionState::WrapUp { .. } = i.state() {
            if engine.timer(TimerKind::WrapUpEnd(i.id())).is_none() {
                return Err(format!("{} is in wrap-up with no timer to end it", i.id()));
            }
        }
    }
    Ok(())
}
