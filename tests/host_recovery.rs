//! Recovery: a checkpoint plus the journal's tail equals the live engine, a recovered driver
//! continues exactly as if nothing had happened, and restoring refuses snapshots that do not
//! validate.
#![cfg(feature = "json")]

use std::fs;
use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use switchboard::host::*;
use switchboard::*;

use crate::common;
use common::TempDir;

const T0: i64 = 1_700_000_000_000;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_millis(T0 + secs * 1_000)
}

/// Desktops: even agents accept at once, odd agents let offers ring, agent 3's desktop is down.
/// Stateless, so a recovered host behaves like the original.
struct Desks;

impl ChannelAdapter for Desks {
    fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        match offer.agent.0 {
            3 => Err(AdapterError::new("desktop down")),
            n if n % 2 == 0 => {
                ctx.report(Command::Accept { agent: offer.agent, offer: offer.id });
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<Event>>>);

impl EventSink for Events {
    fn event(&mut self, event: &Event, _: &Engine) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl Events {
    fn all(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }
}

/// One step of the host's script, interpreted against the live state (so it is deterministic).
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // a test's steps, each moved once
enum Step {
    Do(Command),
    CompleteOldest,
    EndOldestWrapUp,
    ResumeAll,
    Tick,
}

fn script() -> Vec<(i64, Step)> {
    let mut steps = vec![
        (
            0,
            Step::Do(Command::AddQueue(
                QueueConfig::new(QueueId(1), "support", [Channel::Chat, Channel::Voice])
                    .with_wrap_up(std::time::Duration::from_secs(20)),
            )),
        ),
        (0, Step::Do(Command::AddQueue(QueueConfig::new(QueueId(2), "mail", [Channel::Email])))),
    ];
    for a in 1..=5u64 {
        let cap = CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(40))
            .with_channel(Channel::Email, ChannelCapacity::new(2).with_units(20));
        let config = AgentConfig::new(AgentId(a), cap)
            .with_queue(QueueMembership::new(QueueId(1)))
            .with_queue(QueueMembership::new(QueueId(2)));
        steps.push((0, Step::Do(Command::AddAgent(config))));
        steps.push((1, Step::Do(Command::Login { agent: AgentId(a) })));
    }
    for i in 1..=40u64 {
        let at = 2 + (i as i64) * 7;
        let channel = [Channel::Chat, Channel::Voice, Channel::Email][(i % 3) as usize];
        let queue = if channel == Channel::Email { 2 } else { 1 };
        let new = NewInteraction::new(InteractionId(i), channel, QueueId(queue), CustomerId(1_000 + i % 9))
            .with_priority((i % 4) as i32);
        steps.push((at, Step::Do(Command::Arrive(new))));
        steps.push((at + 3, Step::CompleteOldest));
        steps.push((at + 4, Step::Tick));
        if i % 5 == 0 {
            steps.push((at + 5, Step::ResumeAll));
            steps.push((at + 5, Step::Do(Command::Abandon { interaction: InteractionId(i - 2) })));
        }
        if i % 7 == 0 {
            steps.push((at + 6, Step::EndOldestWrapUp));
            steps.push((at + 6, Step::Do(Command::Transfer { interaction: InteractionId(i - 1), queue: QueueId(1) })));
        }
    }
    steps.push((400, Step::Tick));
    steps
}

fn run(driver: &mut Driver, clock: &ManualClock, steps: &[(i64, Step)]) {
    for (at, step) in steps {
        clock.set(t(*at));
        let result = match step {
            Step::Do(command) => driver.submit(command.clone()).map(|_| ()),
            Step::Tick => driver.tick().map(|_| ()),
            Step::CompleteOldest => {
                let oldest = driver.engine().interactions().find_map(|i| match i.state() {
                    InteractionState::Connected { agent } => Some((agent, i.id())),
                    _ => None,
                });
                match oldest {
                    Some((agent, interaction)) => driver.submit(Command::Complete { agent, interaction }).map(|_| ()),
                    None => Ok(()),
                }
            }
            Step::EndOldestWrapUp => {
                let oldest = driver.engine().interactions().find_map(|i| match i.state() {
                    InteractionState::WrapUp { agent } => Some((agent, i.id())),
                    _ => None,
                });
                match oldest {
                    Some((agent, interaction)) => driver.submit(Command::EndWrapUp { agent, interaction }).map(|_| ()),
                    None => Ok(()),
                }
            }
            Step::ResumeAll => {
                let paused: Vec<AgentId> = driver
                    .engine()
                    .agents()
                    .filter(|a| matches!(a.presence(), Presence::Paused(_)))
                    .map(|a| a.id())
                    .collect();
                driver.submit_batch(paused.into_iter().map(|agent| Command::Resume { agent })).map(|_| ())
            }
        };
        match result {
            Ok(()) | Err(DriverError::Rejected(_)) => {}
            Err(e) => panic!("{step:?}: {e}"),
        }
        driver.engine().check_invariants().unwrap();
    }
}

fn driver(clock: &ManualClock, journal: JsonLinesJournal, events: &Events, engine: Engine, last_seq: u64) -> Driver {
    Driver::builder(engine)
        .clock(clock.clone())
        .adapter([Channel::Chat, Channel::Voice, Channel::Email], Desks)
        .sink(events.clone())
        .journal(journal)
        .resume_after(last_seq)
        .build()
        .unwrap()
}

#[test]
fn checkpoint_plus_journal_tail_equals_the_live_engine() {
    let dir = TempDir::new("recovery-tail");
    let path = dir.file("j.jsonl");
    let clock = ManualClock::new(t(0));
    let events = Events::default();
    let journal = JsonLinesJournal::create(&path, JsonLinesOptions::new()).unwrap();
    let mut live = driver(&clock, journal, &events, Engine::new(EngineConfig::default()), 0);
    let steps = script();
    let half = steps.len() / 2;
    run(&mut live, &clock, &steps[..half]);
    // The checkpoint goes through JSON, as it would on disk.
    let stored = serde_json::to_string(&live.checkpoint()).unwrap();
    let seen_at_checkpoint = events.all().len();
    run(&mut live, &clock, &steps[half..]);
    let live_snapshot = live.engine().snapshot();
    let live_events = events.all();
    let stats = live.stats();
    assert!(stats.deliveries_failed > 0 && stats.follow_ups > 0 && stats.commands_refused > 0, "{stats:?}");
    assert!(live.engine().totals().handled > 5 && live.engine().totals().abandoned > 0);
    let now = live.engine().now().unwrap();
    drop(live);

    let recovered = JsonLinesJournal::read(&path).unwrap();
    assert!(recovered.report.is_clean());
    let checkpoint: Checkpoint = serde_json::from_str(&stored).unwrap();
    assert!(checkpoint.last_seq > 0);
    let mut replayed_events = Vec::new();
    let (mut engine, report) =
        checkpoint.clone().recover(recovered.entries.clone(), |e| replayed_events.push(e)).unwrap();
    assert_eq!(report.skipped, checkpoint.last_seq);
    assert_eq!(report.last_seq, recovered.report.last_seq.unwrap());
    engine.handle_timeout(now).unwrap();
    while let Some(e) = engine.poll_event() {
        replayed_events.push(e);
    }
    assert_eq!(engine.snapshot(), live_snapshot, "snapshot + tail == live");
    assert_eq!(replayed_events, live_events[seen_at_checkpoint..], "the same events, in the same order");

    // And the whole journal from nothing gives the same too.
    let mut all_events = Vec::new();
    let (mut engine, _) =
        Checkpoint::empty(EngineConfig::default()).recover(recovered.entries, |e| all_events.push(e)).unwrap();
    engine.handle_timeout(now).unwrap();
    while let Some(e) = engine.poll_event() {
        all_events.push(e);
    }
    assert_eq!(engine.snapshot(), live_snapshot);
    assert_eq!(all_events, live_events);
}

#[test]
fn a_recovered_driver_continues_identically() {
    let steps = script();
    let crash_at = steps.len() * 2 / 3;

    // The reference: the whole day, no crash.
    let dir = TempDir::new("recovery-continue");
    let clock = ManualClock::new(t(0));
    let reference_events = Events::default();
    let reference_path = dir.file("reference.jsonl");
    let journal = JsonLinesJournal::create(&reference_path, JsonLinesOptions::new()).unwrap();
    let mut reference = driver(&clock, journal, &reference_events, Engine::new(EngineConfig::default()), 0);
    run(&mut reference, &clock, &steps);

    // The same day, with a checkpoint a third of the way and a crash two thirds of the way, in
    // the middle of a journal write.
    let path = dir.file("j.jsonl");
    let checkpoint_path = dir.file("checkpoint.json");
    let clock = ManualClock::new(t(0));
    let before_crash = Events::default();
    let journal = JsonLinesJournal::create(&path, JsonLinesOptions::new().with_flush(FlushPolicy::EveryBatch)).unwrap();
    let mut first = driver(&clock, journal, &before_crash, Engine::new(EngineConfig::default()), 0);
    run(&mut first, &clock, &steps[..steps.len() / 3]);
    fs::write(&checkpoint_path, serde_json::to_vec(&first.checkpoint()).unwrap()).unwrap();
    let seen_at_checkpoint = before_crash.all().len();
    run(&mut first, &clock, &steps[steps.len() / 3..crash_at]);
    drop(first);
    fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(br#"{"seq":999,"at":17000"#).unwrap();

    // Recovery: the checkpoint, the journal (its torn line cut off), the tail replayed.
    let checkpoint: Checkpoint = serde_json::from_slice(&fs::read(&checkpoint_path).unwrap()).unwrap();
    let (journal, recovered) = JsonLinesJournal::open(&path, JsonLinesOptions::new()).unwrap();
    assert_eq!(recovered.report.dropped_bytes, 21);
    let mut replayed = Vec::new();
    let (engine, report) = checkpoint.recover(recovered.entries, |e| replayed.push(e)).unwrap();
    let after_crash = Events::default();
    let mut second = driver(&clock, journal, &after_crash, engine, report.last_seq);
    run(&mut second, &clock, &steps[crash_at..]);

    assert_eq!(second.engine().snapshot(), reference.engine().snapshot());
    assert_eq!(second.last_seq(), reference.last_seq());
    assert_eq!(
        JsonLinesJournal::read(&path).unwrap().entries,
        JsonLinesJournal::read(&reference_path).unwrap().entries
    );
    // Events: the crashed host saw a prefix of the reference; what it saw up to the checkpoint,
    // then the replay, then the recovered host, is exactly the reference.
    let reference_events = reference_events.all();
    let seen_before = before_crash.all();
    assert_eq!(seen_before, reference_events[..seen_before.len()]);
    let mut stitched: Vec<Event> = seen_before[..seen_at_checkpoint].to_vec();
    stitched.extend(replayed);
    stitched.extend(after_crash.all());
    assert_eq!(stitched, reference_events);
}

/// A valid snapshot as JSON: two agents, one chat connected to agent 1, one offered to agent 2,
/// one waiting.
fn snapshot_json() -> Value {
    let mut engine = Engine::new(EngineConfig::default());
    let now = t(0);
    let commands = vec![
        Command::AddSkill { skill: SkillId(1), name: "english".into() },
        Command::AddQueue(QueueConfig::new(QueueId(1), "chats", [Channel::Chat])),
        Command::AddAgent(
            AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Chat, 1))
                .with_queue(QueueMembership::new(QueueId(1))),
        ),
        Command::AddAgent(
            AgentConfig::new(AgentId(2), CapacityProfile::single(Channel::Chat, 1))
                .with_queue(QueueMembership::new(QueueId(1))),
        ),
        Command::Login { agent: AgentId(1) },
        Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(1))),
        Command::Accept { agent: AgentId(1), offer: OfferId(1) },
        Command::Login { agent: AgentId(2) },
        Command::Arrive(NewInteraction::new(InteractionId(2), Channel::Chat, QueueId(1), CustomerId(2))),
        Command::Arrive(NewInteraction::new(InteractionId(3), Channel::Chat, QueueId(1), CustomerId(3))),
    ];
    for c in commands {
        engine.handle(c, now).unwrap();
    }
    serde_json::to_value(engine.snapshot()).unwrap()
}

fn restore(value: Value) -> Result<Engine, RestoreError> {
    let snapshot: EngineSnapshot = serde_json::from_value(value).expect("still a well-formed snapshot");
    Engine::restore(snapshot)
}

fn agent_mut(v: &mut Value, id: u64) -> &mut Value {
    v["agents"].as_array_mut().unwrap().iter_mut().find(|a| a["config"]["id"] == id).unwrap()
}

#[test]
fn restore_refuses_snapshots_that_do_not_validate() {
    let valid = snapshot_json();
    assert!(restore(valid.clone()).is_ok());

    // An agent over capacity: two chats held against a cap of one.
    let mut v = valid.clone();
    let a1 = agent_mut(&mut v, 1);
    a1["load"]["per_channel"] = json!([["chat", 2]]);
    a1["load"]["units"] = json!(2);
    a1["load"]["items"] = json!(2);
    assert!(matches!(restore(v), Err(RestoreError::AgentOverCapacity(AgentId(1)))));

    // An interaction in two places: connected to agent 1, and also listed by agent 2.
    let mut v = valid.clone();
    agent_mut(&mut v, 2)["connected"] = json!([1]);
    assert!(matches!(restore(v), Err(RestoreError::InteractionMisplaced(_))));

    // A waiting interaction an agent claims to hold.
    let mut v = valid.clone();
    agent_mut(&mut v, 1)["connected"] = json!([1, 3]);
    assert!(matches!(restore(v), Err(RestoreError::InteractionMisplaced(InteractionId(3)))));

    // Unknown references: a queue, a skill, an agent behind an offer.
    let mut v = valid.clone();
    agent_mut(&mut v, 2)["config"]["queues"][0]["queue"] = json!(99);
    assert!(matches!(restore(v), Err(RestoreError::Refused { error: CommandError::UnknownQueue(QueueId(99)), .. })));
    let mut v = valid.clone();
    agent_mut(&mut v, 2)["config"]["skills"] = json!({ "42": 3 });
    assert!(matches!(restore(v), Err(RestoreError::Refused { error: CommandError::UnknownSkill(SkillId(42)), .. })));
    let mut v = valid.clone();
    v["interactions"][2]["queue"] = json!(7);
    assert!(matches!(restore(v), Err(RestoreError::UnknownReference(_))));
    let mut v = valid.clone();
    v["offers"][0]["agent"] = json!(77);
    assert!(matches!(restore(v), Err(RestoreError::UnknownReference(_))));

    // Duplicate ids.
    let mut v = valid.clone();
    let copy = v["agents"][0].clone();
    v["agents"].as_array_mut().unwrap().push(copy);
    assert!(matches!(restore(v), Err(RestoreError::DuplicateId(_))));

    // A counter behind the ids in use.
    let mut v = valid.clone();
    v["next_offer"] = json!(1);
    assert!(matches!(restore(v), Err(RestoreError::CounterBehind(_))));

    // Totals that lose an interaction.
    let mut v = valid.clone();
    v["totals"]["arrived"] = json!(2);
    assert!(matches!(restore(v), Err(RestoreError::TotalsMismatch { arrived: 2, live: 3, .. })));

    // Through a checkpoint, the same refusal is a typed replay error.
    let mut v = valid;
    agent_mut(&mut v, 2)["connected"] = json!([1]);
    let checkpoint = Checkpoint::new(10, serde_json::from_value(v).unwrap());
    let stored = serde_json::to_string(&checkpoint).unwrap();
    let back: Checkpoint = serde_json::from_str(&stored).unwrap();
    assert!(matches!(
        back.recover(Vec::new(), |_| {}),
        Err(ReplayError::Restore(RestoreError::InteractionMisplaced(_)))
    ));
}

#[test]
fn replay_refuses_a_journal_that_does_not_follow_the_checkpoint() {
    let clock = ManualClock::new(t(0));
    let journal = MemoryJournal::new();
    let mut driver =
        Driver::builder(Engine::new(EngineConfig::default())).clock(clock).journal(journal.clone()).build().unwrap();
    driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat]))).unwrap();
    driver.submit(Command::AddQueue(QueueConfig::new(QueueId(2), "r", [Channel::Chat]))).unwrap();
    let checkpoint = driver.checkpoint();
    driver.submit(Command::AddQueue(QueueConfig::new(QueueId(3), "s", [Channel::Chat]))).unwrap();
    driver.submit(Command::AddQueue(QueueConfig::new(QueueId(4), "t", [Channel::Chat]))).unwrap();
    let entries = journal.entries();

    // A missing entry after the checkpoint.
    let gap: Vec<JournalEntry> = entries.iter().filter(|e| e.seq != 3).cloned().collect();
    assert!(matches!(checkpoint.clone().recover(gap, |_| {}), Err(ReplayError::Gap { expected: 3, found: 4 })));
    // The journal of another engine: its commands are refused, naming the entry.
    let mut wrong = entries.clone();
    wrong[2].command = Command::AddQueue(QueueConfig::new(QueueId(1), "again", [Channel::Chat]));
    assert!(matches!(
        checkpoint.clone().recover(wrong, |_| {}),
        Err(ReplayError::Rejected { seq: 3, error: CommandError::DuplicateQueue(QueueId(1)), .. })
    ));
    // The tail alone (a rotated journal) is enough.
    let (engine, report) = checkpoint.recover(journal.entries_after(2), |_| {}).unwrap();
    assert_eq!((report.skipped, report.applied, report.last_seq), (0, 2, 4));
    assert_eq!(engine.snapshot(), driver.engine().snapshot());
}

fn add_queue(id: u64) -> Command {
    Command::AddQueue(QueueConfig::new(QueueId(id), format!("q{id}"), [Channel::Chat]))
}

/// Sequence numbers come from files: a checkpoint or journal saying `u64::MAX` must give typed
/// errors, never an overflow (a panic in debug builds, a wrap to 0 in release builds).
#[test]
fn the_last_sequence_number_is_a_typed_error_not_an_overflow() {
    // A checkpoint that claims every sequence number already contains every entry.
    let checkpoint = Checkpoint::new(u64::MAX, Engine::new(EngineConfig::default()).snapshot());
    let entries = vec![JournalEntry::new(1, t(1), add_queue(1)), JournalEntry::new(2, t(2), add_queue(2))];
    let (engine, report) = checkpoint.recover(entries, |_| {}).unwrap();
    assert_eq!((report.skipped, report.applied, report.last_seq), (2, 0, u64::MAX));
    assert!(engine.queue(QueueId(1)).is_none());

    // The entry numbered u64::MAX applies; nothing can follow it.
    let mut replayer = Replayer::new(Engine::new(EngineConfig::default()), u64::MAX - 1);
    replayer.apply(JournalEntry::new(u64::MAX, t(1), add_queue(1)), |_| {}).unwrap();
    let next = replayer.apply(JournalEntry::new(u64::MAX, t(2), add_queue(2)), |_| {});
    assert!(matches!(next, Err(ReplayError::SequenceExhausted { last: u64::MAX, found: u64::MAX })), "{next:?}");
    let next = replayer.apply(JournalEntry::new(0, t(2), add_queue(2)), |_| {});
    assert!(matches!(next, Err(ReplayError::SequenceExhausted { last: u64::MAX, found: 0 })), "{next:?}");
    assert_eq!(replayer.report().last_seq, u64::MAX);
    assert!(replayer.engine().queue(QueueId(2)).is_none(), "a refused entry changes nothing");

    // The in-memory journal refuses an entry after u64::MAX instead of overflowing.
    let mut journal = MemoryJournal::new();
    journal.append(&JournalEntry::new(u64::MAX, t(1), add_queue(1))).unwrap();
    journal.commit(CommitPoint::Command).unwrap();
    let after = journal.append(&JournalEntry::new(u64::MAX, t(2), add_queue(2)));
    assert!(matches!(after, Err(JournalError::SequenceExhausted { last: u64::MAX })), "{after:?}");
    assert_eq!(journal.len(), 1);

    // A driver resumed after u64::MAX refuses commands (typed, not fatal) and says where it is.
    for with_journal in [true, false] {
        let builder = Driver::builder(Engine::new(EngineConfig::default())).clock(ManualClock::new(t(3)));
        let builder = if with_journal { builder.journal(journal.clone()) } else { builder };
        let mut driver = builder.resume_after(u64::MAX).build().unwrap();
        assert_eq!(driver.last_seq(), u64::MAX);
        assert_eq!(driver.checkpoint().last_seq, u64::MAX);
        let refused = driver.submit(add_queue(3)).unwrap_err();
        assert!(
            matches!(refused, DriverError::NotJournaled(JournalError::SequenceExhausted { last: u64::MAX })),
            "{refused:?}"
        );
        assert!(!refused.is_fatal());
        assert!(driver.engine().queue(QueueId(3)).is_none(), "a refused command changes nothing");
        assert_eq!(driver.stats().commands_refused, 1);
    }

    // One number left: one command, then refusals.
    let journal = MemoryJournal::new();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(ManualClock::new(t(0)))
        .journal(journal.clone())
        .resume_after(u64::MAX - 1)
        .build()
        .unwrap();
    driver.submit(add_queue(1)).unwrap();
    assert_eq!(driver.last_seq(), u64::MAX);
    assert_eq!(journal.entries().last().map(|e| e.seq), Some(u64::MAX));
    assert!(matches!(
        driver.submit(add_queue(2)),
        Err(DriverError::NotJournaled(JournalError::SequenceExhausted { last: u64::MAX }))
    ));
}

/// Entries must be consecutive everywhere, including those a checkpoint already contains, and
/// replay refuses a journal whose times go backwards.
#[test]
fn replay_refuses_sequence_numbers_that_go_back_and_times_that_go_backwards() {
    // Entries 1, 2, 3, then 2 again: the repeat is before the checkpoint (at 3), yet refused.
    let entries: Vec<JournalEntry> =
        [1, 2, 3, 2, 3, 4].iter().map(|&seq| JournalEntry::new(seq, t(seq as i64), add_queue(seq))).collect();
    let mut replayer = Replayer::new(Engine::new(EngineConfig::default()), 3);
    let mut results = entries.into_iter().map(|entry| replayer.apply(entry, |_| {}));
    assert!(results.by_ref().take(3).all(|r| r.is_ok()));
    let repeated = results.next().unwrap();
    assert!(matches!(repeated, Err(ReplayError::Gap { expected: 4, found: 2 })), "{repeated:?}");
    drop(results);
    let report = replayer.report();
    assert_eq!((report.applied, report.skipped, report.last_seq), (0, 3, 3));

    // Sequence numbers start at 1: an entry numbered 0 is not "already contained".
    let zero = replay(Engine::new(EngineConfig::default()), 0, [JournalEntry::new(0, t(0), add_queue(1))], |_| {});
    assert!(matches!(zero, Err(ReplayError::Gap { expected: 1, found: 0 })), "{zero:?}");
    let mut journal = MemoryJournal::new();
    let zero = journal.append(&JournalEntry::new(0, t(0), add_queue(1)));
    assert!(matches!(zero, Err(JournalError::OutOfSequence { expected: 1, found: 0 })), "{zero:?}");

    // Times going backwards: the engine refuses the entry, naming it.
    let entries = [JournalEntry::new(1, t(5), add_queue(1)), JournalEntry::new(2, t(4), add_queue(2))];
    let back = replay(Engine::new(EngineConfig::default()), 0, entries, |_| {});
    assert!(
        matches!(back, Err(ReplayError::Rejected { seq: 2, error: CommandError::TimeWentBackwards { .. }, .. })),
        "{back:?}"
    );
    // …and the in-memory journal never records such an entry in the first place.
    journal.append(&JournalEntry::new(1, t(5), add_queue(1))).unwrap();
    journal.commit(CommitPoint::Command).unwrap();
    let back = journal.append(&JournalEntry::new(2, t(4), add_queue(2)));
    assert!(matches!(back, Err(JournalError::TimeOutOfOrder { seq: 2, .. })), "{back:?}");
}
