//! The host driver: dispatch to the right adapter, customer lookup, failing adapters (nothing is
//! lost), journaling only what the engine accepted, journal failures, clocks and limits.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard::host::*;
use switchboard::*;

const T0: i64 = 1_700_000_000_000;

fn t(secs: i64) -> Timestamp {
    Timestamp::from_millis(T0 + secs * 1_000)
}

/// What one adapter received, shared with the test.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<EventKind>>>);

impl Log {
    fn push(&self, kind: EventKind) {
        self.0.lock().unwrap().push(kind);
    }
    fn all(&self) -> Vec<EventKind> {
        self.0.lock().unwrap().clone()
    }
    /// The interactions named in what it received.
    fn interactions(&self) -> BTreeSet<InteractionId> {
        self.all().iter().filter_map(EventKind::interaction).collect()
    }
    fn offers(&self) -> Vec<Offer> {
        self.all()
            .into_iter()
            .filter_map(|k| match k {
                EventKind::InteractionOffered(o) => Some(o),
                _ => None,
            })
            .collect()
    }
}

/// A test adapter: records everything, fails offers to some agents, optionally accepts at once.
#[derive(Clone, Default)]
struct TestAdapter {
    log: Log,
    fail_for: BTreeSet<AgentId>,
    auto_accept: bool,
    /// Commands handed out by `poll_command`, with the time they become due.
    scripted: Arc<Mutex<Vec<(Timestamp, Command)>>>,
}

impl ChannelAdapter for TestAdapter {
    fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        self.log.push(EventKind::InteractionOffered(offer.clone()));
        if self.fail_for.contains(&offer.agent) {
            return Err(AdapterError::new(format!("desktop of {} unreachable", offer.agent)));
        }
        if self.auto_accept {
            ctx.report(Command::Accept { agent: offer.agent, offer: offer.id });
        }
        Ok(())
    }

    fn event(&mut self, event: &Event, _ctx: &mut AdapterContext<'_>) {
        self.log.push(event.kind.clone());
    }

    fn poll_command(&mut self, now: Timestamp) -> Option<Command> {
        let mut scripted = self.scripted.lock().unwrap();
        let due = scripted.iter().position(|(at, _)| *at <= now)?;
        Some(scripted.remove(due).1)
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.scripted.lock().unwrap().iter().map(|(at, _)| *at).min()
    }
}

/// A sink recording events and notices.
#[derive(Clone, Default)]
struct Recorder {
    events: Arc<Mutex<Vec<Event>>>,
    notices: Arc<Mutex<Vec<DriverNotice>>>,
}

impl EventSink for Recorder {
    fn event(&mut self, event: &Event, engine: &Engine) {
        assert!(engine.check_invariants().is_ok(), "sinks see a consistent engine");
        self.events.lock().unwrap().push(event.clone());
    }
    fn notice(&mut self, notice: &DriverNotice, _engine: &Engine) {
        self.notices.lock().unwrap().push(notice.clone());
    }
}

impl Recorder {
    fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }
    fn notices(&self) -> Vec<DriverNotice> {
        self.notices.lock().unwrap().clone()
    }
}

fn chat_agent(id: u64, queues: &[u64]) -> AgentConfig {
    let mut a = AgentConfig::new(AgentId(id), CapacityProfile::single(Channel::Chat, 1));
    for q in queues {
        a = a.with_queue(QueueMembership::new(QueueId(*q)));
    }
    a
}

fn voice_agent(id: u64, queues: &[u64]) -> AgentConfig {
    let mut a = AgentConfig::new(AgentId(id), CapacityProfile::single(Channel::Voice, 1));
    for q in queues {
        a = a.with_queue(QueueMembership::new(QueueId(*q)));
    }
    a
}

fn arrive(id: u64, channel: Channel, queue: u64, customer: u64) -> Command {
    Command::Arrive(NewInteraction::new(InteractionId(id), channel, QueueId(queue), CustomerId(customer)))
}

fn submit_all(driver: &mut Driver, commands: impl IntoIterator<Item = Command>) {
    for c in commands {
        let shown = format!("{c:?}");
        driver.submit(c).unwrap_or_else(|e| panic!("{shown}: {e}"));
    }
}

#[test]
fn events_reach_the_adapter_of_their_channel_and_every_sink() {
    let clock = ManualClock::new(t(0));
    let voice = TestAdapter::default();
    let chat = TestAdapter::default();
    let sink = Recorder::default();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .adapter([Channel::Voice], voice.clone())
        .adapter([Channel::Chat, Channel::Sms], chat.clone())
        .sink(sink.clone())
        .build()
        .unwrap();
    submit_all(
        &mut driver,
        [
            Command::AddQueue(QueueConfig::new(QueueId(1), "calls", [Channel::Voice])),
            Command::AddQueue(QueueConfig::new(QueueId(2), "chats", [Channel::Chat])),
            Command::AddAgent(voice_agent(1, &[1])),
            Command::AddAgent(chat_agent(2, &[2])),
            Command::Login { agent: AgentId(1) },
            Command::Login { agent: AgentId(2) },
            arrive(10, Channel::Voice, 1, 100),
            arrive(20, Channel::Chat, 2, 200),
        ],
    );
    let call = voice.log.offers();
    assert_eq!(call.len(), 1);
    assert_eq!((call[0].interaction, call[0].agent), (InteractionId(10), AgentId(1)));
    assert_eq!(chat.log.offers().len(), 1);
    assert_eq!(voice.log.interactions(), BTreeSet::from([InteractionId(10)]), "voice hears only of the call");
    assert_eq!(chat.log.interactions(), BTreeSet::from([InteractionId(20)]), "chat hears only of the chat");

    // Events that name only the interaction, including after it has left the engine.
    clock.set(t(5));
    driver.submit(Command::Accept { agent: AgentId(1), offer: call[0].id }).unwrap();
    clock.set(t(65));
    driver.submit(Command::Complete { agent: AgentId(1), interaction: InteractionId(10) }).unwrap();
    let tail: Vec<EventKind> =
        voice.log.all().into_iter().filter(|k| k.interaction().is_some()).rev().take(2).collect();
    assert!(matches!(tail[1], EventKind::InteractionCompleted { interaction: InteractionId(10), .. }));
    assert!(matches!(tail[0], EventKind::InteractionEnded { interaction: InteractionId(10), .. }));
    assert_eq!(chat.log.interactions(), BTreeSet::from([InteractionId(20)]));

    // Events about no interaction reach every adapter.
    for log in [&voice.log, &chat.log] {
        let agents_added = log.all().iter().filter(|k| matches!(k, EventKind::AgentAdded { .. })).count();
        assert_eq!(agents_added, 2);
    }
    // Sinks see everything, in order, once.
    let events = sink.events();
    assert_eq!(events.len() as u64, driver.stats().events_dispatched);
    assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(sink.notices().is_empty());
}

#[test]
fn a_channel_claimed_twice_is_refused() {
    let err = Driver::builder(Engine::new(EngineConfig::default()))
        .adapter([Channel::Voice], TestAdapter::default())
        .adapter([Channel::Chat, Channel::Voice], TestAdapter::default())
        .build()
        .unwrap_err();
    assert!(matches!(err, DriverError::ChannelTaken(Channel::Voice)));
}

/// One chat queue; agent 1's desktop is unreachable.
fn failing_setup(policy: OfferFailurePolicy) -> (Driver, ManualClock, MemoryJournal, Recorder) {
    let clock = ManualClock::new(t(0));
    let journal = MemoryJournal::new();
    let sink = Recorder::default();
    let chat = TestAdapter { fail_for: BTreeSet::from([AgentId(1)]), ..TestAdapter::default() };
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .adapter([Channel::Chat], chat)
        .journal(journal.clone())
        .sink(sink.clone())
        .offer_failure(policy)
        .build()
        .unwrap();
    submit_all(
        &mut driver,
        [
            Command::AddQueue(QueueConfig::new(QueueId(1), "chats", [Channel::Chat])),
            Command::AddAgent(chat_agent(1, &[1])),
            Command::AddAgent(chat_agent(2, &[1])),
            Command::Login { agent: AgentId(1) },
            arrive(1, Channel::Chat, 1, 11),
        ],
    );
    (driver, clock, journal, sink)
}

#[test]
fn a_failed_offer_is_withdrawn_requeued_in_its_place_and_the_agent_paused() {
    let (mut driver, clock, journal, sink) = failing_setup(OfferFailurePolicy::default());
    let engine = driver.engine();
    let i1 = engine.interaction(InteractionId(1)).unwrap();
    assert_eq!(i1.state(), InteractionState::Queued, "back in its queue, not lost");
    assert_eq!(i1.queue_entered_at(), t(0));
    assert_eq!(engine.agent(AgentId(1)).unwrap().presence(), Presence::Paused(Driver::DELIVERY_FAILED));
    assert_eq!(engine.totals().ended(), 0);
    assert!(sink.events().iter().any(|e| matches!(
        e.kind,
        EventKind::OfferWithdrawn { interaction: InteractionId(1), reason: WithdrawReason::AgentPaused, .. }
    )));
    assert!(sink.events().iter().any(|e| matches!(
        e.kind,
        EventKind::InteractionQueued { interaction: InteractionId(1), reason: QueueReason::OfferWithdrawn, .. }
    )));
    // The failure is a journaled command like any other.
    let last = journal.entries().pop().unwrap();
    assert_eq!(last.command, Command::Pause { agent: AgentId(1), reason: Driver::DELIVERY_FAILED });
    assert_eq!(last.at, t(0));
    let notices = sink.notices();
    assert!(matches!(
        &notices[..],
        [DriverNotice::OfferNotDelivered { cause: DeliveryFailure::Adapter(_), follow_up, .. }] if follow_up.len() == 1
    ));
    assert_eq!(driver.stats().deliveries_failed, 1);

    // A later chat waits behind it; the next agent gets the first one: its place in line was kept.
    clock.set(t(5));
    driver.submit(arrive(2, Channel::Chat, 1, 12)).unwrap();
    clock.set(t(10));
    driver.submit(Command::Login { agent: AgentId(2) }).unwrap();
    assert_eq!(
        driver.engine().interaction(InteractionId(1)).unwrap().state(),
        InteractionState::Offered { offer: OfferId(2), agent: AgentId(2) }
    );
    assert_eq!(driver.engine().interaction(InteractionId(2)).unwrap().state(), InteractionState::Queued);

    // Replaying the journal rebuilds exactly this state.
    let (replayed, _) = replay(Engine::new(EngineConfig::default()), 0, journal.entries(), |_| {}).unwrap();
    assert_eq!(replayed.snapshot(), driver.engine().snapshot());
}

#[test]
fn reject_and_pause_records_the_decline() {
    let (driver, _clock, journal, _sink) = failing_setup(OfferFailurePolicy::RejectAndPause(ReasonCode(77)));
    let entries = journal.entries();
    let tail: Vec<&Command> = entries.iter().rev().take(2).map(|e| &e.command).collect();
    assert_eq!(tail[0], &Command::Pause { agent: AgentId(1), reason: ReasonCode(77) });
    assert_eq!(tail[1], &Command::Reject { agent: AgentId(1), offer: OfferId(1) });
    let i1 = driver.engine().interaction(InteractionId(1)).unwrap();
    assert_eq!(i1.declined_by(), &[AgentId(1)]);
    assert_eq!(driver.engine().agent(AgentId(1)).unwrap().presence(), Presence::Paused(ReasonCode(77)));
}

#[test]
fn reject_only_keeps_the_agent_ready_and_the_follow_up_limit_bounds_a_stubborn_adapter() {
    // The adapter always fails and the engine re-offers to the only agent: the loop is bounded.
    let clock = ManualClock::new(t(0));
    let sink = Recorder::default();
    let chat = TestAdapter { fail_for: BTreeSet::from([AgentId(1)]), ..TestAdapter::default() };
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .adapter([Channel::Chat], chat)
        .sink(sink.clone())
        .offer_failure(OfferFailurePolicy::Reject)
        .max_follow_ups(5)
        .build()
        .unwrap();
    submit_all(
        &mut driver,
        [
            Command::AddQueue(QueueConfig::new(QueueId(1), "chats", [Channel::Chat])),
            Command::AddAgent(chat_agent(1, &[1])),
            Command::Login { agent: AgentId(1) },
        ],
    );
    let next = driver.submit(arrive(1, Channel::Chat, 1, 11)).unwrap();
    assert_eq!(next, Some(t(0)), "follow-ups wait: the next deadline is now");
    assert_eq!(driver.pending_follow_ups(), 1);
    assert!(sink.notices().iter().any(|n| matches!(n, DriverNotice::FollowUpsDeferred { pending: 1 })));
    assert_eq!(driver.stats().follow_ups, 5);
    assert!(matches!(driver.engine().interaction(InteractionId(1)).unwrap().state(), InteractionState::Offered { .. }));
    assert_eq!(driver.engine().agent(AgentId(1)).unwrap().presence(), Presence::Busy);
    // The host breaks the loop by pausing the agent; the interaction is still there.
    driver.submit(Command::Pause { agent: AgentId(1), reason: ReasonCode(3) }).unwrap();
    driver.tick().unwrap();
    assert_eq!(driver.engine().interaction(InteractionId(1)).unwrap().state(), InteractionState::Queued);
    assert_eq!(driver.pending_follow_ups(), 0);
}

#[test]
fn an_offer_on_a_channel_without_adapter_counts_as_a_failed_delivery() {
    let clock = ManualClock::new(t(0));
    let sink = Recorder::default();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock)
        .adapter([Channel::Voice], TestAdapter::default())
        .sink(sink.clone())
        .build()
        .unwrap();
    submit_all(
        &mut driver,
        [
            Command::AddQueue(QueueConfig::new(QueueId(1), "mail", [Channel::Email])),
            Command::AddAgent(
                AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Email, 3))
                    .with_queue(QueueMembership::new(QueueId(1))),
            ),
            Command::Login { agent: AgentId(1) },
            arrive(1, Channel::Email, 1, 1),
        ],
    );
    assert!(
        sink.notices()
            .iter()
            .any(|n| matches!(n, DriverNotice::OfferNotDelivered { cause: DeliveryFailure::NoAdapter, .. }))
    );
    assert_eq!(driver.engine().waiting_count(QueueId(1)), 1);
}

#[test]
fn adapters_report_back_through_the_context_and_poll_command() {
    let clock = ManualClock::new(t(0));
    let voice = TestAdapter { auto_accept: true, ..TestAdapter::default() };
    let journal = MemoryJournal::new();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .adapter([Channel::Voice], voice.clone())
        .journal(journal.clone())
        .build()
        .unwrap();
    submit_all(
        &mut driver,
        [
            Command::AddQueue(QueueConfig::new(QueueId(1), "calls", [Channel::Voice])),
            Command::AddAgent(voice_agent(1, &[1])),
            Command::Login { agent: AgentId(1) },
        ],
    );
    // The customer hangs up at +40 s; the agent's phone reports it through poll_command.
    voice
        .scripted
        .lock()
        .unwrap()
        .push((t(40), Command::Complete { agent: AgentId(1), interaction: InteractionId(1) }));
    let next = driver.submit(arrive(1, Channel::Voice, 1, 5)).unwrap();
    assert_eq!(
        driver.engine().interaction(InteractionId(1)).unwrap().state(),
        InteractionState::Connected { agent: AgentId(1) },
        "accepted in the follow-up round"
    );
    assert_eq!(next, Some(t(40)), "the adapter's own deadline");
    assert_eq!(driver.next_deadline(), Some(t(40)));
    clock.set(t(40));
    assert_eq!(driver.tick().unwrap(), None);
    assert!(driver.engine().interaction(InteractionId(1)).is_none());
    assert_eq!(driver.engine().totals().handled, 1);
    let commands: Vec<Command> = journal.entries().into_iter().map(|e| e.command).collect();
    assert!(matches!(commands[commands.len() - 2], Command::Accept { .. }));
    assert!(matches!(commands[commands.len() - 1], Command::Complete { .. }));
}

#[test]
fn tick_fires_timers_when_the_deadline_passes() {
    let clock = ManualClock::new(t(0));
    let sink = Recorder::default();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .adapter([Channel::Chat], TestAdapter::default())
        .sink(sink.clone())
        .build()
        .unwrap();
    submit_all(
        &mut driver,
        [
            Command::AddQueue(QueueConfig::new(QueueId(1), "chats", [Channel::Chat])),
            Command::AddAgent(chat_agent(1, &[1])),
            Command::Login { agent: AgentId(1) },
        ],
    );
    let deadline = driver.submit(arrive(1, Channel::Chat, 1, 1)).unwrap().unwrap();
    assert_eq!(deadline, t(15));
    clock.set(t(14));
    driver.tick().unwrap();
    assert!(!sink.events().iter().any(|e| matches!(e.kind, EventKind::OfferTimedOut { .. })));
    clock.set(t(20));
    driver.tick().unwrap();
    let timed_out = sink.events().into_iter().find(|e| matches!(e.kind, EventKind::OfferTimedOut { .. })).unwrap();
    assert_eq!(timed_out.at, t(15), "stamped with the timer's own due time");
}

#[test]
fn the_lookup_enriches_arrivals_before_they_are_journaled() {
    let clock = ManualClock::new(t(0));
    let journal = MemoryJournal::new();
    let sink = Recorder::default();
    let calls = Arc::new(Mutex::new(0));
    let counted = calls.clone();
    let crm = move |new: &NewInteraction, _now: Timestamp| -> Result<CustomerProfile, LookupError> {
        *counted.lock().unwrap() += 1;
        match new.customer.0 {
            1 => Ok(CustomerProfile::new().with_segment("vip").with_language("fr").with_priority_boost(10)),
            2 => Err(LookupError::new("crm timed out")),
            3 => Ok(CustomerProfile::new().with("notes", "x".repeat(5_000))),
            _ => Ok(CustomerProfile::new()),
        }
    };
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock)
        .lookup(crm)
        .journal(journal.clone())
        .sink(sink.clone())
        .build()
        .unwrap();
    driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "chats", [Channel::Chat]))).unwrap();
    let own = NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(1))
        .with_priority(2)
        .with_attributes(Attributes::new().with("language", "de").with("ivr", "billing"));
    driver.submit(Command::Arrive(own)).unwrap();
    driver.submit(arrive(2, Channel::Chat, 1, 2)).unwrap();
    driver.submit(arrive(3, Channel::Chat, 1, 3)).unwrap();
    assert!(driver.submit(arrive(1, Channel::Chat, 1, 1)).is_err(), "a duplicate is refused");
    assert_eq!(*calls.lock().unwrap(), 3, "the duplicate did not bother the CRM");

    let i1 = driver.engine().interaction(InteractionId(1)).unwrap();
    assert_eq!(i1.priority(), 12);
    assert_eq!(i1.attributes().get("segment"), Some("vip"));
    assert_eq!(i1.attributes().get("language"), Some("de"), "the channel's own attribute wins");
    assert_eq!(i1.attributes().get("ivr"), Some("billing"));
    assert!(driver.engine().interaction(InteractionId(2)).unwrap().attributes().is_empty());
    assert!(driver.engine().interaction(InteractionId(3)).unwrap().attributes().is_empty());
    let notices = sink.notices();
    assert!(matches!(&notices[0], DriverNotice::LookupFailed { interaction: InteractionId(2), .. }));
    assert!(matches!(&notices[1], DriverNotice::LookupTooLarge { interaction: InteractionId(3), limit: 4096, .. }));
    assert_eq!(driver.stats().lookups_failed, 2);

    // The journal holds the enriched command, so replay needs no CRM.
    let Command::Arrive(journaled) = &journal.entries()[1].command else { panic!("an arrival") };
    assert_eq!(journaled.attributes.get("segment"), Some("vip"));
    assert_eq!(journaled.priority, 12);
    let (replayed, _) = replay(Engine::new(EngineConfig::default()), 0, journal.entries(), |_| {}).unwrap();
    assert_eq!(replayed.snapshot(), driver.engine().snapshot());
    assert_eq!(*calls.lock().unwrap(), 3);
}

#[test]
fn refused_commands_are_not_journaled_and_change_nothing() {
    let clock = ManualClock::new(t(0));
    let journal = MemoryJournal::new();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .journal(journal.clone())
        .build()
        .unwrap();
    driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat]))).unwrap();
    let before = driver.engine().snapshot();
    let err = driver.submit(Command::Login { agent: AgentId(9) }).unwrap_err();
    assert!(matches!(err, DriverError::Rejected(CommandError::UnknownAgent(AgentId(9)))));
    assert!(!err.is_fatal());
    assert_eq!(driver.engine().snapshot(), before);
    let report = driver
        .submit_batch([
            Command::AddQueue(QueueConfig::new(QueueId(1), "again", [Channel::Chat])),
            Command::AddAgent(chat_agent(1, &[1])),
            Command::Resume { agent: AgentId(1) },
        ])
        .unwrap();
    assert_eq!(report.accepted(), 1);
    assert!(matches!(report.results[0], Err(DriverError::Rejected(CommandError::DuplicateQueue(_)))));
    assert!(matches!(report.results[2], Err(DriverError::Rejected(CommandError::AgentNotLoggedIn(_)))));
    let seqs: Vec<u64> = journal.entries().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2], "only accepted commands, numbered without gaps");
    assert_eq!(driver.last_seq(), 2);
    assert_eq!(driver.stats().commands_refused, 3);
}

#[test]
fn a_clock_that_steps_back_is_held_at_the_engine_time() {
    let clock = ManualClock::new(t(100));
    let journal = MemoryJournal::new();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .journal(journal.clone())
        .build()
        .unwrap();
    driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat]))).unwrap();
    clock.set(t(40)); // NTP stepped the clock back
    driver.submit(Command::AddAgent(chat_agent(1, &[1]))).unwrap();
    driver.tick().unwrap();
    assert_eq!(journal.entries()[1].at, t(100));
    assert_eq!(driver.engine().now(), Some(t(100)));
}

/// A journal that fails on demand.
#[derive(Clone, Default)]
struct FlakyJournal {
    inner: MemoryJournal,
    fail_append: Arc<Mutex<bool>>,
    fail_commit: Arc<Mutex<bool>>,
}

impl Journal for FlakyJournal {
    fn append(&mut self, entry: &JournalEntry) -> Result<(), JournalError> {
        if *self.fail_append.lock().unwrap() {
            return Err(JournalError::Encode { seq: entry.seq, message: "cannot encode".into() });
        }
        self.inner.append(entry)
    }
    fn retract(&mut self) {
        self.inner.retract()
    }
    fn commit(&mut self, point: CommitPoint) -> Result<(), JournalError> {
        if *self.fail_commit.lock().unwrap() {
            return Err(std::io::Error::other("disk full").into());
        }
        self.inner.commit(point)
    }
}

#[test]
fn journal_failures_refuse_or_stop_without_dispatching_unjournaled_effects() {
    let clock = ManualClock::new(t(0));
    let journal = FlakyJournal::default();
    let sink = Recorder::default();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .journal(journal.clone())
        .sink(sink.clone())
        .build()
        .unwrap();
    driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat]))).unwrap();

    // Staging fails: the command is not applied, the driver carries on.
    *journal.fail_append.lock().unwrap() = true;
    let before = driver.engine().snapshot();
    let err = driver.submit(Command::AddAgent(chat_agent(1, &[1]))).unwrap_err();
    assert!(matches!(err, DriverError::NotJournaled(JournalError::Encode { seq: 2, .. })));
    assert!(!err.is_fatal());
    assert_eq!(driver.engine().snapshot(), before);
    *journal.fail_append.lock().unwrap() = false;
    driver.submit(Command::AddAgent(chat_agent(1, &[1]))).unwrap();

    // Committing fails: the driver stops, and nobody saw the command's effects.
    *journal.fail_commit.lock().unwrap() = true;
    let seen = sink.events().len();
    let err = driver.submit(Command::Login { agent: AgentId(1) }).unwrap_err();
    assert!(matches!(err, DriverError::JournalFailed(JournalError::Io(_))));
    assert!(err.is_fatal() && driver.is_stopped());
    assert_eq!(sink.events().len(), seen, "effects of an unjournaled command are not dispatched");
    assert!(matches!(driver.tick(), Err(DriverError::Stopped)));
    assert!(matches!(driver.submit(Command::Logout { agent: AgentId(1) }), Err(DriverError::Stopped)));

    // Recovery from the journal: the state the world saw.
    let (recovered, report) =
        Checkpoint::empty(EngineConfig::default()).recover(journal.inner.entries(), |_| {}).unwrap();
    assert_eq!(report.last_seq, 2);
    assert_eq!(recovered.agent(AgentId(1)).unwrap().presence(), Presence::Offline);
}

#[cfg(feature = "json")]
#[test]
fn custom_channels_are_journaled_as_json() {
    // Maps keyed by channel are written as lists of pairs, so a custom channel is no obstacle to JSON.
    let path = std::env::temp_dir().join(format!("switchboard-host-driver-custom-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let config = EngineConfig::builder().custom_channel(7, ChannelMode::Deferrable).build().unwrap();
    let journal = JsonLinesJournal::create(&path, JsonLinesOptions::new()).unwrap();
    let mut driver =
        Driver::builder(Engine::new(config.clone())).clock(ManualClock::new(t(0))).journal(journal).build().unwrap();
    let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Custom(7), 2));
    driver.submit(Command::AddAgent(agent)).unwrap();
    assert!(driver.engine().agent(AgentId(1)).is_some());
    drop(driver);
    let recovered = JsonLinesJournal::read(&path).unwrap();
    assert_eq!(recovered.entries.len(), 1);
    assert_eq!(recovered.entries.len() as u64, recovered.report.commands);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_driver_is_send_and_clocks_behave() {
    fn assert_send<T: Send>(_: &T) {}
    let driver = Driver::builder(Engine::new(EngineConfig::default())).build().unwrap();
    assert_send(&driver);
    let now = SystemClock.now();
    assert!(now > Timestamp::from_secs(1_600_000_000));
    let manual = ManualClock::new(t(0));
    assert_eq!(manual.advance(Duration::from_millis(250)), Timestamp::from_millis(T0 + 250));
    let shared: Arc<ManualClock> = Arc::new(manual.clone());
    assert_eq!(shared.now(), manual.now());
}

/// A desk that answers from an [`Agenda`]: it accepts each offer `answer_after` later, and, with
/// `cancel_when_missed`, forgets the answer if the offer times out first.
#[derive(Clone)]
struct AgendaDesk {
    agenda: Arc<Mutex<Agenda>>,
    answer_after: Duration,
    cancel_when_missed: bool,
}

impl AgendaDesk {
    fn new(answer_after_secs: u64) -> Self {
        AgendaDesk {
            agenda: Arc::default(),
            answer_after: Duration::from_secs(answer_after_secs),
            cancel_when_missed: false,
        }
    }
}

impl ChannelAdapter for AgendaDesk {
    fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        let accept = Command::Accept { agent: offer.agent, offer: offer.id };
        self.agenda.lock().unwrap().push(ctx.now() + self.answer_after, accept);
        Ok(())
    }

    fn event(&mut self, event: &Event, _ctx: &mut AdapterContext<'_>) {
        if let EventKind::OfferTimedOut { offer, .. } = event.kind {
            if self.cancel_when_missed {
                self.agenda
                    .lock()
                    .unwrap()
                    .retain(|_, c| !matches!(c, Command::Accept { offer: o, .. } if *o == offer));
            }
        }
    }

    fn poll_command(&mut self, now: Timestamp) -> Option<Command> {
        self.agenda.lock().unwrap().pop_due(now).map(|(_, command)| command)
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.agenda.lock().unwrap().next_due()
    }
}

/// One voice queue and agent 1 logged in at t(0), an adapter, a journal and a sink; a call
/// arrives at t(5) and is offered to agent 1 (the offer times out at t(20)).
fn desk_setup(desk: impl ChannelAdapter + 'static) -> (Driver, ManualClock, MemoryJournal, Recorder) {
    let clock = ManualClock::new(t(0));
    let journal = MemoryJournal::new();
    let sink = Recorder::default();
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .adapter([Channel::Voice], desk)
        .journal(journal.clone())
        .sink(sink.clone())
        .build()
        .unwrap();
    submit_all(
        &mut driver,
        [
            Command::AddQueue(QueueConfig::new(QueueId(1), "calls", [Channel::Voice])),
            Command::AddAgent(voice_agent(1, &[1])),
            Command::Login { agent: AgentId(1) },
        ],
    );
    clock.set(t(5));
    submit_all(&mut driver, [arrive(1, Channel::Voice, 1, 7)]);
    (driver, clock, journal, sink)
}

fn timed_commands(journal: &MemoryJournal) -> Vec<(Timestamp, Command)> {
    journal.entries().into_iter().map(|e| (e.at, e.command)).collect()
}

/// Issue #14 item 5: an accept an adapter had due at 09:00:08 was applied at 09:00:15 — after the
/// command the host submitted then — because only `tick` asked adapters. Now every call first
/// catches up on the adapters' deadlines, each at its own time, and the journal is the one a
/// host ticking punctually would have written.
#[test]
fn submit_applies_the_adapters_due_commands_first_each_at_its_own_time() {
    let host_command = || Command::AddAgent(voice_agent(2, &[1]));
    // (when the host submits, what the case is about)
    let cases = [
        (8, "at the very deadline: the adapter's command first, as timers come before commands"),
        (15, "the issue's case"),
        (25, "after the offer would have timed out at t(20)"),
        (3_600, "an hour late"),
    ];
    for (late, about) in cases {
        let (mut driver, clock, journal, sink) = desk_setup(AgendaDesk::new(3));
        assert_eq!(driver.next_deadline(), Some(t(8)), "{about}: the adapter's deadline");
        clock.set(t(late));
        driver.submit(host_command()).unwrap();

        let tail = timed_commands(&journal).split_off(4);
        let accept = Command::Accept { agent: AgentId(1), offer: OfferId(1) };
        assert_eq!(tail, vec![(t(8), accept), (t(late), host_command())], "{about}");
        let accepted: Vec<Timestamp> = sink
            .events()
            .into_iter()
            .filter(|e| matches!(e.kind, EventKind::OfferAccepted { .. }))
            .map(|e| e.at)
            .collect();
        assert_eq!(accepted, [t(8)], "{about}");
        assert_eq!(
            driver.engine().interaction(InteractionId(1)).unwrap().state(),
            InteractionState::Connected { agent: AgentId(1) },
            "{about}"
        );
        assert!(sink.notices().is_empty(), "{about}: nothing refused: {:?}", sink.notices());

        // The same as a host that ticked at the deadline, then submitted late.
        let (mut punctual, punctual_clock, punctual_journal, punctual_sink) = desk_setup(AgendaDesk::new(3));
        punctual_clock.set(t(8));
        punctual.tick().unwrap();
        punctual_clock.set(t(late));
        punctual.submit(host_command()).unwrap();
        assert_eq!(timed_commands(&journal), timed_commands(&punctual_journal), "{about}");
        assert_eq!(sink.events(), punctual_sink.events(), "{about}");
        assert_eq!(driver.engine().snapshot(), punctual.engine().snapshot(), "{about}");

        // And the journal replays to the same state.
        let (replayed, _) = replay(Engine::new(EngineConfig::default()), 0, journal.entries(), |_| {}).unwrap();
        assert_eq!(replayed.snapshot(), driver.engine().snapshot(), "{about}");
    }
}

/// `submit_batch` and `tick` catch up the same way: what the adapter had due goes first, at its time.
#[test]
fn every_driver_call_catches_up_on_adapter_deadlines() {
    type Call = fn(&mut Driver) -> Result<(), DriverError>;
    let calls: [(&str, Call); 3] = [
        ("submit", |d| d.submit(Command::AddAgent(voice_agent(2, &[1]))).map(drop)),
        ("submit_batch", |d| d.submit_batch([Command::AddAgent(voice_agent(2, &[1]))]).map(drop)),
        ("tick", |d| d.tick().map(drop)),
    ];
    for (name, call) in calls {
        let (mut driver, clock, journal, _sink) = desk_setup(AgendaDesk::new(3));
        clock.set(t(15));
        call(&mut driver).unwrap();
        let accept = timed_commands(&journal).into_iter().find(|(_, c)| matches!(c, Command::Accept { .. }));
        assert_eq!(accept.map(|(at, _)| at), Some(t(8)), "{name}");
    }
}

/// Engine timers due before an adapter's deadline are fired and dispatched first, so the adapter
/// sees the offer time out and can take back its answer — as it would with punctual ticks —
/// instead of answering an offer that is gone.
#[test]
fn engine_timers_before_an_adapter_deadline_reach_the_adapter_first() {
    let desk = AgendaDesk { cancel_when_missed: true, ..AgendaDesk::new(25) };
    let (mut driver, clock, journal, sink) = desk_setup(desk.clone());
    assert_eq!(driver.next_deadline(), Some(t(20)), "the offer's timeout comes before the answer at t(30)");
    clock.set(t(40));
    driver.submit(Command::AddAgent(voice_agent(2, &[1]))).unwrap();
    let timed_out: Vec<Timestamp> =
        sink.events().into_iter().filter(|e| matches!(e.kind, EventKind::OfferTimedOut { .. })).map(|e| e.at).collect();
    assert_eq!(timed_out, [t(20)]);
    assert!(desk.agenda.lock().unwrap().is_empty(), "the desk took its answer back");
    assert!(sink.notices().is_empty(), "no stale accept was tried: {:?}", sink.notices());
    assert!(!timed_commands(&journal).iter().any(|(_, c)| matches!(c, Command::Accept { .. })));
}

/// An adapter whose `poll_timeout` and `poll_command` disagree, or that never stops, cannot make a
/// call spin, panic or apply anything before the engine's time.
#[derive(Clone)]
struct OddAdapter {
    deadline: Option<Timestamp>,
    /// How many commands it hands out in all (`usize::MAX`: without end).
    commands: usize,
    /// The times it was asked at when it handed one out.
    handed_out: Arc<Mutex<Vec<Timestamp>>>,
}

impl ChannelAdapter for OddAdapter {
    fn offer(&mut self, _offer: &Offer, _ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        Ok(())
    }

    fn poll_command(&mut self, now: Timestamp) -> Option<Command> {
        self.commands = self.commands.checked_sub(1)?;
        self.handed_out.lock().unwrap().push(now);
        Some(Command::Login { agent: AgentId(1) })
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.deadline
    }
}

#[test]
fn odd_adapters_neither_spin_nor_panic_nor_go_back_in_time() {
    // (what the adapter does, its deadline, how many commands it hands out, when it is asked for them)
    let cases: [(&str, Option<Timestamp>, usize, &[i64]); 6] = [
        ("a deadline that passed with nothing to say", Some(t(10)), 0, &[]),
        ("a deadline before the engine's time: raised to it", Some(t(-100)), 1, &[5]),
        ("a deadline before the epoch: raised to the engine's time", Some(Timestamp::from_millis(i64::MIN)), 1, &[5]),
        ("no deadline, but something to say: asked at the call's time", None, 1, &[15]),
        ("a deadline in the future: asked only at the call's time", Some(t(30)), 1, &[15]),
        ("never stops: bounded by max_follow_ups", Some(t(10)), usize::MAX, &[10, 10, 10, 10]),
    ];
    for (about, deadline, commands, asked) in cases {
        // The engine has seen t(5) before the driver's first call, at t(15).
        let mut engine = Engine::new(EngineConfig::default());
        engine.handle(Command::AddAgent(voice_agent(1, &[])), t(0)).unwrap();
        engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "calls", [Channel::Voice])), t(5)).unwrap();
        let clock = ManualClock::new(t(15));
        let journal = MemoryJournal::new();
        let odd = OddAdapter { deadline, commands, handed_out: Arc::default() };
        let mut driver = Driver::builder(engine)
            .clock(clock.clone())
            .adapter([Channel::Voice], OddAdapter { deadline: None, commands: 0, handed_out: Arc::default() })
            .adapter([Channel::Chat], odd.clone())
            .journal(journal.clone())
            .max_follow_ups(4)
            .build()
            .unwrap();
        driver.submit(Command::AddQueue(QueueConfig::new(QueueId(2), "chats", [Channel::Chat]))).unwrap();
        let got: Vec<i64> = odd.handed_out.lock().unwrap().iter().map(|at| at.millis_since(t(0)) / 1_000).collect();
        assert_eq!(got, asked, "{about}");
        let entries = timed_commands(&journal);
        let login = entries.iter().find(|(_, c)| matches!(c, Command::Login { .. })).map(|(at, _)| *at);
        assert_eq!(login, asked.first().map(|&secs| t(secs)), "{about}: the first login applied when asked");
        assert!(entries.windows(2).all(|w| w[0].0 <= w[1].0), "{about}: journal times never go back");
        assert!(
            matches!(entries.last(), Some((at, Command::AddQueue(_))) if *at == t(15)),
            "{about}: the host's command applied last, at its time"
        );
    }
}
