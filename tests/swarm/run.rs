//! One seed's run: the engine behind the host driver with a journal, fed by the generator,
//! hit by the fault injector, and checked after every driver call.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use switchboard::host::*;
use switchboard::*;

use crate::checker::{Expect, Shadow};
use crate::classes::{Class, Classes};
use crate::common::TempDir;
use crate::generator::{self, Action, Generator, Setup};
use crate::rng::{Rng, Stream, mix};

/// While missed offers neither pause the agent nor keep the offer from them, one step moves time
/// at most this many shortest offer timeouts, so that no step replays more ring-no-answer
/// cycles than this (known bug (c) makes that work O(elapsed / timeout)).
const RING_CYCLES_PER_STEP: u32 = 16;

/// The latest time a run reaches: the engine's last accepted time (the end of year 9999). Later
/// times are only ever submitted to check that they are refused.
pub const TIME_CEILING: Timestamp = Timestamp::MAX;

/// One refused command in this many has its snapshot compared as serialised bytes, not only as data.
const BYTES_EVERY: u64 = 8;

/// What the runner asks of a run.
#[derive(Clone, Debug)]
pub struct Options {
    pub classes: Classes,
    pub max_steps: u64,
    pub trace: bool,
}

/// How much of each thing a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub steps: u64,
    pub calls: u64,
    pub commands: u64,
    pub refused: u64,
    pub refusals_compared: u64,
    pub crashes: u64,
    pub torn_writes: u64,
    pub clock_jumps: u64,
    pub backwards: u64,
    pub checkpoints: u64,
    pub tampered: u64,
    pub events: u64,
    pub arrived: u64,
    pub handled: u64,
    pub drained: u64,
    pub untakeable: u64,
}

impl Counters {
    pub fn add(&mut self, o: &Counters) {
        self.steps += o.steps;
        self.calls += o.calls;
        self.commands += o.commands;
        self.refused += o.refused;
        self.refusals_compared += o.refusals_compared;
        self.crashes += o.crashes;
        self.torn_writes += o.torn_writes;
        self.clock_jumps += o.clock_jumps;
        self.backwards += o.backwards;
        self.checkpoints += o.checkpoints;
        self.tampered += o.tampered;
        self.events += o.events;
        self.arrived += o.arrived;
        self.handled += o.handled;
        self.drained += o.drained;
        self.untakeable += o.untakeable;
    }
}

/// What a passing run leaves: its fingerprint and its counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub hash: u64,
    pub counters: Counters,
}

/// Where and why a run failed.
#[derive(Clone, Debug)]
pub struct Failure {
    pub step: u64,
    pub message: String,
}

/// Progress the watchdog reads: the step, and a beat that moves on every driver call (a call
/// that never returns stops the beat).
#[derive(Debug, Default)]
pub struct Progress {
    pub step: AtomicU64,
    pub beat: AtomicU64,
}

/// The journal a run writes, kept across crashes.
pub enum JournalKind {
    /// The in-memory journal; the run keeps a handle that outlives every driver.
    Memory(MemoryJournal),
    /// A JSON-lines file in a temporary directory.
    Lines { _dir: TempDir, path: PathBuf, options: JsonLinesOptions },
}

/// The latest checkpoint, as stored: serialised, with where the event stream stood.
pub struct Stored {
    pub json: String,
    /// The shadow's event hash and count when it was taken.
    pub hash: u64,
    pub events: u64,
}

/// The channel adapter: delivers every offer, except (under `DeliveryFailure`) one in
/// `fail_one_in`, chosen by a hash of the offer id so that replay meets the same failures.
struct Desk {
    fail_one_in: u64,
    salt: u64,
    repaired: Arc<AtomicBool>,
}

impl ChannelAdapter for Desk {
    fn offer(&mut self, offer: &Offer, _ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        let broken = self.fail_one_in > 0 && !self.repaired.load(Ordering::Relaxed);
        if broken && mix(self.salt ^ offer.id.0) % self.fail_one_in == 0 {
            return Err(AdapterError::new("the agent's desktop does not answer"));
        }
        Ok(())
    }
}

pub struct Run {
    pub seed: u64,
    pub opts: Options,
    pub setup: Setup,
    pub workload: Generator,
    pub faults: Rng,
    pub clock: ManualClock,
    /// The tester's clock: where the ManualClock stands, except while time is set back.
    pub now: Timestamp,
    pub driver: Option<Driver>,
    pub journal: JournalKind,
    sink: Arc<Mutex<Vec<Event>>>,
    pub repaired: Arc<AtomicBool>,
    pub shadow: Shadow,
    /// The events since the latest checkpoint.
    pub log: Vec<Event>,
    pub stored: Stored,
    pub counters: Counters,
    pub step: u64,
    progress: Arc<Progress>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs one seed to the end: setup, the workload with its faults, then the drain.
///
/// # Errors
/// The first failure, with its step.
pub fn run(seed: u64, opts: &Options, progress: Arc<Progress>) -> Result<Outcome, Failure> {
    let mut run = Run::new(seed, opts.clone(), progress)?;
    run.start()?;
    while run.step < run.setup.knobs.steps {
        run.progress.step.store(run.step, Ordering::Relaxed);
        run.inject_faults()?;
        run.answer_offers()?;
        run.work()?;
        run.step += 1;
        run.counters.steps += 1;
    }
    run.drain()?;
    Ok(run.outcome())
}

impl Run {
    fn new(seed: u64, opts: Options, progress: Arc<Progress>) -> Result<Self, Failure> {
        let (setup, workload) = generator::setup(seed, &opts.classes, opts.max_steps);
        let fail = |message: String| Failure { step: 0, message };
        let journal = match setup.knobs.jsonl {
            None => JournalKind::Memory(MemoryJournal::new()),
            Some(flush) => {
                let dir = TempDir::new("swarm");
                let path = dir.file("journal.jsonl");
                JournalKind::Lines { _dir: dir, path, options: JsonLinesOptions::new().with_flush(flush) }
            }
        };
        let shadow = Shadow::new(
            &setup.config,
            opts.classes.on(Class::ZeroOfferTimeout),
            opts.classes.on(Class::StaleBlendBlock),
        );
        let empty = serde_json::to_string(&Checkpoint::empty(setup.config.clone())).map_err(|e| fail(e.to_string()))?;
        let stored = Stored { json: empty, hash: shadow.hash, events: 0 };
        let clock = ManualClock::new(setup.t0);
        let mut run = Run {
            seed,
            now: setup.t0,
            faults: Rng::new(seed, Stream::Faults),
            workload,
            clock,
            driver: None,
            journal,
            sink: Arc::default(),
            repaired: Arc::default(),
            shadow,
            log: Vec::new(),
            stored,
            counters: Counters::default(),
            step: 0,
            progress,
            opts,
            setup,
        };
        let journal: Box<dyn Journal> = match &run.journal {
            JournalKind::Memory(j) => Box::new(j.clone()),
            JournalKind::Lines { path, options, .. } => {
                Box::new(JsonLinesJournal::create(path, *options).map_err(|e| fail(e.to_string()))?)
            }
        };
        let engine = Engine::new(run.setup.config.clone());
        run.driver = Some(run.build_driver(engine, 0, journal)?);
        Ok(run)
    }

    /// A driver around `engine`, continuing the journal after `last_seq`.
    pub fn build_driver(&self, engine: Engine, last_seq: u64, journal: Box<dyn Journal>) -> Result<Driver, Failure> {
        let sink = self.sink.clone();
        let desk =
            Desk { fail_one_in: self.setup.knobs.fail_one_in, salt: mix(self.seed), repaired: self.repaired.clone() };
        Driver::builder(engine)
            .clock(self.clock.clone())
            .adapter(self.setup.channels.clone(), desk)
            .sink(move |event: &Event, _: &Engine| lock(&sink).push(event.clone()))
            .journal(journal)
            .offer_failure(self.setup.knobs.policy)
            .resume_after(last_seq)
            .build()
            .map_err(|e| self.fail(format!("building the driver: {e}")))
    }

    pub fn fail(&self, message: impl Into<String>) -> Failure {
        Failure { step: self.step, message: message.into() }
    }

    pub fn driver(&self) -> &Driver {
        self.driver.as_ref().expect("a driver runs between crashes")
    }

    pub fn driver_mut(&mut self) -> &mut Driver {
        self.driver.as_mut().expect("a driver runs between crashes")
    }

    pub fn engine(&self) -> &Engine {
        self.driver().engine()
    }

    /// The generator and the engine it aims at, borrowed together.
    pub fn aim(&mut self) -> (&mut Generator, &Engine) {
        (&mut self.workload, self.driver.as_ref().expect("a driver runs between crashes").engine())
    }

    pub fn on(&self, class: Class) -> bool {
        self.opts.classes.on(class)
    }

    /// The time the driver will apply a call at: the clock, held at the engine's latest time.
    pub fn call_time(&self) -> Timestamp {
        let clock = self.clock.now();
        self.engine().now().map_or(clock, |last| last.max(clock))
    }

    fn trace(&self, what: impl FnOnce() -> String) {
        if self.opts.trace {
            eprintln!("[{} @ {}] {}", self.step, self.call_time().as_millis(), what());
        }
    }

    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut *lock(&self.sink))
    }

    // ----- checked driver calls -----

    /// The setup: the whole topology in one batch at the start time.
    fn start(&mut self) -> Result<(), Failure> {
        let topology = self.setup.topology.clone();
        self.submit_batch(topology)
    }

    /// Submits one host command and checks everything after it. A refused command must leave
    /// the engine as `handle_timeout` at the same time would (the engine's "errors change
    /// nothing", whose timers due by then still fire), byte for byte, with the same events.
    ///
    /// # Errors
    /// A failure if anything is wrong; the command's own refusal is the inner `Err`.
    pub fn submit(&mut self, command: Command) -> Result<Result<(), CommandError>, Failure> {
        let now = self.call_time();
        let pre = self.engine().clone();
        let follow_ups = self.driver().stats().follow_ups;
        let shown = if self.opts.trace { format!("{command:?}") } else { String::new() };
        let result = self.driver_mut().submit(command.clone());
        let events = self.take_events();
        self.trace(|| format!("{shown} -> {result:?}"));
        self.counters.commands += 1;
        let mut expect = Expect::default();
        let outcome = match result {
            Ok(_) => {
                expect.accepted(&command);
                Ok(())
            }
            Err(DriverError::Rejected(error)) => {
                self.counters.refused += 1;
                if matches!(error, CommandError::TimeWentBackwards { .. }) {
                    return Err(self.fail(format!("the driver passed a time backwards: {error}")));
                }
                // Follow-ups of failed deliveries (commands of their own) change the engine after
                // the refusal; the comparison only holds without them.
                if self.driver().stats().follow_ups == follow_ups {
                    self.compare_refusal(pre, now, &events, &command, &error)?;
                }
                Err(error)
            }
            Err(e) => return Err(self.fail(format!("{command:?}: unexpected driver error {e}"))),
        };
        self.absorb(events, expect)?;
        Ok(outcome)
    }

    fn compare_refusal(
        &mut self,
        mut twin: Engine,
        now: Timestamp,
        events: &[Event],
        command: &Command,
        error: &CommandError,
    ) -> Result<(), Failure> {
        self.counters.refusals_compared += 1;
        // A time the engine does not accept changes nothing at all, not even due timers.
        if !matches!(error, CommandError::TimeOutOfRange { .. }) {
            twin.handle_timeout(now).map_err(|e| self.fail(format!("the twin's handle_timeout: {e}")))?;
        }
        let twin_events: Vec<Event> = std::iter::from_fn(|| twin.poll_event()).collect();
        // Equal snapshots (plain, ordered data) serialise to equal bytes; one refusal in
        // `BYTES_EVERY` is compared as bytes too, which checks that claim and costs the JSON.
        let same = twin_events == events && twin.snapshot() == self.engine().snapshot();
        let bytes = !same || self.counters.refusals_compared % BYTES_EVERY == 0;
        let (alone, refused) = if bytes {
            (crate::faults::snapshot_json(&twin), crate::faults::snapshot_json(self.engine()))
        } else {
            Default::default()
        };
        if !same || alone != refused {
            return Err(self.fail(format!(
                "refused {command:?} ({error}) changed the engine: it differs from handle_timeout({}) alone {}",
                now.as_millis(),
                crate::faults::first_difference(&alone, &refused)
            )));
        }
        Ok(())
    }

    /// Submits several commands in one call. Checked against a twin engine fed the same
    /// commands one by one: the driver adds nothing but journaling and dispatch.
    pub fn submit_batch(&mut self, commands: Vec<Command>) -> Result<(), Failure> {
        let now = self.call_time();
        let mut twin = self.engine().clone();
        let follow_ups = self.driver().stats().follow_ups;
        let report = self.driver_mut().submit_batch(commands.clone());
        let events = self.take_events();
        let report = report.map_err(|e| self.fail(format!("batch: unexpected driver error {e}")))?;
        self.trace(|| format!("batch {commands:?} -> {:?}", report.results));
        let plain = self.driver().stats().follow_ups == follow_ups;
        let mut expect = Expect::default();
        for (command, result) in commands.iter().zip(&report.results) {
            self.counters.commands += 1;
            let alone = twin.handle(command.clone(), now);
            match result {
                Ok(()) => expect.accepted(command),
                Err(DriverError::Rejected(_)) => self.counters.refused += 1,
                Err(e) => return Err(self.fail(format!("batch: {command:?}: unexpected driver error {e}"))),
            }
            let same = match (result, &alone) {
                (Ok(()), Ok(())) => true,
                (Err(DriverError::Rejected(a)), Err(b)) => a == b,
                _ => false,
            };
            if plain && !same {
                return Err(self.fail(format!("batch: {command:?} gave {result:?} in the driver but {alone:?} alone")));
            }
        }
        if plain {
            let twin_events: Vec<Event> = std::iter::from_fn(|| twin.poll_event()).collect();
            if twin_events != events || twin.snapshot() != self.engine().snapshot() {
                return Err(self.fail("batch: the driver's engine differs from the commands applied one by one"));
            }
        }
        self.absorb(events, expect)
    }

    /// The host ticks: timers due by the clock's time fire.
    pub fn tick(&mut self) -> Result<(), Failure> {
        let result = self.driver_mut().tick();
        let events = self.take_events();
        self.trace(|| format!("tick -> {} events", events.len()));
        result.map_err(|e| self.fail(format!("tick: unexpected driver error {e}")))?;
        self.absorb(events, Expect::default())
    }

    /// Feeds a call's events to the shadow and the desktops, and checks the engine.
    pub fn absorb(&mut self, events: Vec<Event>, expect: Expect) -> Result<(), Failure> {
        self.progress.beat.fetch_add(1, Ordering::Relaxed);
        if self.opts.trace {
            for e in &events {
                eprintln!("      {} {:?}", e.at.as_millis(), e.kind);
            }
        }
        self.counters.calls += 1;
        self.shadow.feed(&events, expect).map_err(|e| self.fail(e))?;
        self.shadow.check(self.engine()).map_err(|e| self.fail(e))?;
        let agents: Vec<AgentId> = self.engine().agents().map(|a| a.id()).collect();
        for e in &events {
            if let EventKind::InteractionOffered(offer) = &e.kind {
                self.workload.on_offer(offer, e.at, &agents);
            }
        }
        self.log.extend(events);
        Ok(())
    }

    // ----- time -----

    /// The most one step may move time, if anything bounds it (see `RING_CYCLES_PER_STEP`).
    pub fn ring_cap(&self) -> Option<Duration> {
        let config = self.engine().config();
        if self.on(Class::LongJumpNoPause)
            || config.missed_offer_pause().is_some()
            || config.never_reoffer_to_decliners()
        {
            return None;
        }
        let shortest = self.engine().queues().filter_map(|q| q.offer_timeout).chain([config.offer_timeout()]).min()?;
        Some(shortest.max(Duration::from_millis(1)).saturating_mul(RING_CYCLES_PER_STEP))
    }

    /// Moves the clock forward (within the ring cap) and, mostly, ticks.
    fn advance(&mut self, dt: Duration, tick: bool) -> Result<(), Failure> {
        let dt = self.ring_cap().map_or(dt, |cap| dt.min(cap));
        self.set_now(self.now + dt);
        if tick { self.tick() } else { Ok(()) }
    }

    /// Sets the clock, which stops at `TIME_CEILING`, the engine's last accepted time.
    pub fn set_now(&mut self, now: Timestamp) {
        let now = now.min(TIME_CEILING);
        self.now = now.max(self.now);
        self.clock.set(self.now);
    }

    // ----- the workload -----

    /// The desktops' answers that are due.
    fn answer_offers(&mut self) -> Result<(), Failure> {
        let due = self.workload.due_answers(self.now, 6);
        if due.len() > 1 && self.faults.chance(0.2) {
            return self.submit_batch(due);
        }
        for command in due {
            // Late answers are refused (the offer rang out or was withdrawn): part of the workload.
            let _ = self.submit(command)?;
        }
        Ok(())
    }

    /// One step of the workload.
    fn work(&mut self) -> Result<(), Failure> {
        let weights = self.setup.knobs.weights.clone();
        let action = self.workload.action(&weights);
        match action {
            Action::Advance => {
                let mut dt = self.workload.advance();
                // Half the time the clock stops at the next desktop answer, so answers come in time.
                if let Some(next) = self.workload.next_answer().filter(|_| self.faults.chance(0.5)) {
                    dt = dt.min(next.saturating_duration_since(self.now));
                }
                let tick = self.faults.chance(0.7);
                self.advance(dt, tick)
            }
            // Jumps longer than a day are the clock-jump fault's business.
            Action::AdvanceToDeadline => match self.driver().next_deadline() {
                Some(at) if at > self.now && at <= self.now + Duration::from_secs(86_400) => {
                    self.advance(at.saturating_duration_since(self.now), true)
                }
                _ => self.tick(),
            },
            Action::Batch => {
                let (workload, engine) = self.aim();
                let commands = workload.batch(engine, &weights);
                if commands.is_empty() { Ok(()) } else { self.submit_batch(commands) }
            }
            action => {
                let (workload, engine) = self.aim();
                match workload.command(action, engine) {
                    // A refusal is part of the workload; `submit` has checked it.
                    Some(command) => self.submit(command).map(|_| ()),
                    None => Ok(()),
                }
            }
        }
    }

    fn outcome(&self) -> Outcome {
        let snapshot = serde_json::to_vec(&self.engine().snapshot()).expect("snapshots serialise");
        let mut counters = self.counters;
        counters.events = self.shadow.tally.events;
        counters.arrived = self.shadow.tally.arrived;
        counters.handled = self.shadow.tally.handled;
        // The events and the final state, so that two runs of a seed agree on both.
        Outcome { hash: crate::checker::fnv(self.shadow.hash, &snapshot), counters }
    }
}
