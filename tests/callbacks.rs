//! Queued callbacks (issue #13 §1): a waiting call converts into a callback that keeps its place
//! in line, frees the customer's line, and is routed as deferrable work; the statistics show one
//! journey with two legs. Hand-computed.

use crate::common;

use common::*;
use switchboard::stats::*;
use switchboard::*;

/// Queue 1 takes calls and callbacks. Agent 1 takes only callbacks; agent 2 only calls, busy.
fn desk() -> Harness {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice, Channel::Callback])));
    h.cmd(Command::AddAgent(agent(1, Channel::Callback, 1, &[1])));
    h
}

fn convert(h: &mut Harness, id: u64) -> Result<(), CommandError> {
    h.try_cmd(Command::ConvertToCallback { interaction: InteractionId(id) })
}

#[test]
fn a_callback_converted_later_keeps_its_place_ahead_of_one_converted_earlier() {
    let mut h = desk();
    h.arrive(1, Channel::Voice, 1); // place in line: 0 s
    h.at(60.0).arrive(2, Channel::Voice, 1); // place in line: 60 s
    h.at(70.0);
    convert(&mut h, 2).unwrap(); // a callback since 70 s
    h.at(90.0);
    convert(&mut h, 1).unwrap(); // a callback since 90 s, in line since 0 s
    let i = h.engine.interaction(InteractionId(1)).unwrap();
    assert_eq!((i.channel(), i.queue_entered_at()), (Channel::Callback, Timestamp::from_millis(T0)));
    // Agent 1 logs in at 100 s: the older place in line wins, not the earlier conversion.
    h.at(100.0).cmd(Command::Login { agent: AgentId(1) });
    let offer = h.offer_of(1);
    assert_eq!((offer.agent, offer.channel), (AgentId(1), Channel::Callback));
    assert_eq!(offer.explanation.waited, secs(100), "its wait counts from its place in line");
    assert_eq!(h.state(2), Some(InteractionState::Queued));
    let converted = h.log.iter().filter(|e| matches!(e.kind, EventKind::ConvertedToCallback { .. })).count();
    assert_eq!(converted, 2);
}

#[test]
fn a_ringing_call_is_withdrawn_when_converted_and_its_agent_is_free_again() {
    let mut h = desk();
    h.add_agent(agent(2, Channel::Voice, 1, &[1]));
    h.arrive(1, Channel::Voice, 1);
    let ringing = h.offer_of(1);
    assert_eq!(ringing.agent, AgentId(2));
    convert(&mut h, 1).unwrap();
    assert!(h.log.iter().any(|e| matches!(e.kind,
        EventKind::OfferWithdrawn { offer, reason: WithdrawReason::ConvertedToCallback, .. } if offer == ringing.id)));
    assert_eq!(h.presence(2), Presence::Available, "the call's agent is free");
    assert_eq!(h.engine.agent(AgentId(2)).unwrap().load().items(), 0);
    // Agent 1 takes the callback: accepts, then the host dials.
    h.cmd(Command::Login { agent: AgentId(1) });
    assert_eq!(h.offer_of(1).agent, AgentId(1));
    h.accept(1).complete(1);
    assert_eq!(h.outcome(1), Some(Outcome::Handled { agent: AgentId(1) }));
}

#[test]
fn bad_conversions_are_refused_and_change_nothing() {
    let mut h = desk();
    h.cmd(Command::AddQueue(queue(2, &[Channel::Voice, Channel::Email])));
    h.add_agent(agent(3, Channel::Voice, 1, &[2]));
    h.arrive(1, Channel::Email, 2); // deferrable
    h.arrive(2, Channel::Voice, 2); // queue 2 takes no callbacks; rings agent 3
    h.arrive(3, Channel::Voice, 2);
    h.accept(2); // connected
    let before = h.engine.snapshot();
    let cases: Vec<(u64, CommandError)> = vec![
        (1, CommandError::NotRealTime { interaction: InteractionId(1), channel: Channel::Email }),
        (3, CommandError::ChannelNotInQueue { queue: QueueId(2), channel: Channel::Callback }),
        (
            2,
            CommandError::WrongInteractionState {
                interaction: InteractionId(2),
                state: InteractionState::Connected { agent: AgentId(3) },
            },
        ),
        (9, CommandError::UnknownInteraction(InteractionId(9))),
    ];
    for (id, expected) in cases {
        assert_eq!(convert(&mut h, id), Err(expected), "interaction {id}");
        assert_eq!(h.engine.snapshot(), before, "interaction {id}: the refusal changed nothing");
    }
}

#[test]
fn the_record_shows_one_journey_with_two_legs_and_the_call_is_neither_answered_nor_abandoned() {
    let mut stats = Statistics::new(StatsConfig::default());
    let mut h = desk();
    // All within the statistics' first interval (the test day starts 100 s before a quarter hour).
    h.arrive(1, Channel::Voice, 1);
    h.at(30.0);
    convert(&mut h, 1).unwrap();
    h.at(45.0).cmd(Command::Login { agent: AgentId(1) });
    h.accept(1);
    h.at(90.0).complete(1);
    // A snapshot after the conversion restores it as a callback.
    let restored = Engine::restore(h.engine.snapshot()).unwrap();
    assert_eq!(restored.snapshot(), h.engine.snapshot());
    for event in &h.log {
        stats.observe(event, &h.engine);
    }
    let record = stats.poll_record().unwrap();
    assert_eq!(record.channel, Channel::Callback);
    let leg = record.callback.expect("the record shows the conversion");
    assert_eq!((leg.converted_at, leg.from), (Timestamp::from_millis(T0 + 30_000), Channel::Voice));
    let exits: Vec<VisitExit> = record.visits.iter().map(|v| v.exit).collect();
    assert_eq!(exits, vec![VisitExit::ConvertedToCallback, VisitExit::Answered { agent: AgentId(1) }]);
    assert_eq!(record.outcome, Some(Outcome::Handled { agent: AgentId(1) }));

    // The call: offered, converted, neither answered nor abandoned, in no service-level formula.
    let voice = stats.channel(Channel::Voice).unwrap();
    let c = &voice.counters;
    assert_eq!((c.offered, c.converted_to_callback, c.answered, c.abandoned), (1, 1, 0, 0));
    assert_eq!(c.service_level, ServiceLevelCounts::default());
    // The callback: a new contact of the callback channel from the conversion, answered 15 s later.
    let callback = stats.channel(Channel::Callback).unwrap();
    assert_eq!((callback.counters.offered, callback.counters.answered), (1, 1));
    assert_eq!(callback.counters.answer_wait, secs(15));
    // The queue counts both legs; every contact that entered it left it one way.
    let q = stats.queue(QueueId(1)).unwrap();
    assert_eq!((q.counters.offered, q.counters.left()), (2, 2));
}

/// Queue 3 takes web callbacks: two dials, a minute apart. Agent 1 returns them.
fn web_callbacks(attempts: u32) -> Harness {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(3, &[Channel::Callback]).with_callback_attempts(attempts, secs(60))));
    h.add_agent(agent(1, Channel::Callback, 1, &[3]));
    h.arrive(1, Channel::Callback, 3);
    h
}

fn dial_fails(h: &mut Harness, reason: DialFailure) -> Result<(), CommandError> {
    h.try_cmd(Command::CallbackFailed { agent: AgentId(1), interaction: InteractionId(1), reason })
}

#[test]
fn failed_dials_retry_after_the_delay_and_the_last_ends_the_callback() {
    let mut h = web_callbacks(3);
    let mut stats = Statistics::new(StatsConfig::default());
    for attempt in 1..=3u32 {
        let t = h.now;
        h.accept(1);
        h.at((t.millis_since(Timestamp::from_millis(T0)) / 1000) as f64 + 5.0);
        dial_fails(&mut h, if attempt < 3 { DialFailure::NoAnswer } else { DialFailure::Busy }).unwrap();
        assert_eq!(h.presence(1), Presence::Available, "attempt {attempt}: the agent is free at once");
        if attempt < 3 {
            let i = h.engine.interaction(InteractionId(1)).unwrap();
            assert_eq!((i.state(), i.dial_failures()), (InteractionState::Queued, attempt));
            assert_eq!(i.queue_entered_at(), Timestamp::from_millis(T0), "it keeps its place in line");
            // Nobody is offered it for a minute, though agent 1 is free.
            let why = h.engine.why_waiting(InteractionId(1)).unwrap();
            assert_eq!(why.qualified, 0);
            let now = (h.now.millis_since(Timestamp::from_millis(T0)) / 1000) as f64;
            h.at(now + 59.999);
            assert_eq!(h.state(1), Some(InteractionState::Queued));
            h.at(now + 60.0);
            assert!(matches!(h.state(1), Some(InteractionState::Offered { .. })), "attempt {attempt}: offered again");
        }
    }
    assert_eq!(h.outcome(1), Some(Outcome::CallbackFailed(DialFailure::Busy)));
    assert_eq!(h.engine.totals().callbacks_failed, 1);
    // The failed callback counts among the ended, so the totals add up on restore.
    let restored = Engine::restore(h.engine.snapshot()).expect("totals count failed callbacks as ended");
    assert_eq!(restored.snapshot(), h.engine.snapshot());
    let attempts: Vec<u32> = h
        .log
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::CallbackAttemptFailed { attempt, .. } => Some(attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, vec![1, 2, 3]);
    for event in &h.log {
        stats.observe(event, &h.engine);
    }
    let record = stats.poll_record().unwrap();
    assert_eq!(record.outcome, Some(Outcome::CallbackFailed(DialFailure::Busy)));
    assert_eq!(record.visits.len(), 3, "one visit per attempt");
    assert_eq!(record.talk, secs(15), "5 s of dialling each time");
}

#[test]
fn a_declined_offer_is_not_a_failed_dial() {
    let mut h = web_callbacks(2);
    let offer = h.offer_of(1);
    h.cmd(Command::Reject { agent: AgentId(1), offer: offer.id });
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().dial_failures(), 0);
    // Offered again (to the same agent, its only one); one failed dial still leaves one more.
    h.accept(1);
    dial_fails(&mut h, DialFailure::Voicemail).unwrap();
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().dial_failures(), 1);
}

#[test]
fn bad_failed_dials_are_refused_and_change_nothing() {
    let mut h = web_callbacks(3);
    h.cmd(Command::AddQueue(queue(4, &[Channel::Voice])));
    h.add_agent(agent(2, Channel::Voice, 1, &[4]));
    h.arrive(2, Channel::Voice, 4);
    h.accept(2);
    let before = h.engine.snapshot();
    let cases: Vec<(Command, CommandError)> = vec![
        (
            Command::CallbackFailed { agent: AgentId(2), interaction: InteractionId(2), reason: DialFailure::Busy },
            CommandError::NotACallback { interaction: InteractionId(2), channel: Channel::Voice },
        ),
        (
            Command::CallbackFailed { agent: AgentId(1), interaction: InteractionId(1), reason: DialFailure::Busy },
            CommandError::WrongInteractionState { interaction: InteractionId(1), state: h.state(1).unwrap() },
        ),
        (
            Command::CallbackFailed { agent: AgentId(1), interaction: InteractionId(2), reason: DialFailure::Busy },
            CommandError::NotAgentsInteraction { interaction: InteractionId(2), agent: AgentId(1) },
        ),
        (
            Command::AddQueue(queue(5, &[Channel::Callback]).with_callback_attempts(0, secs(60))),
            CommandError::NoCallbackAttempts(QueueId(5)),
        ),
    ];
    for (command, expected) in cases {
        let shown = format!("{command:?}");
        assert_eq!(h.try_cmd(command), Err(expected), "{shown}");
        assert_eq!(h.engine.snapshot(), before, "{shown} changed the engine");
    }
}

// ----- scheduled callbacks (issue #13 §1) -----

/// Queue 1 of [`desk`] with a boost of 50 for scheduled callbacks, and agent 1 logged in, busy
/// with callback 100 until `complete(100)`.
fn scheduled_desk() -> Harness {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice, Channel::Callback]).with_scheduled_callback_boost(50)));
    h.add_agent(agent(1, Channel::Callback, 1, &[1]));
    h
}

fn callback(id: u64) -> NewInteraction {
    NewInteraction::new(InteractionId(id), Channel::Callback, QueueId(1), CustomerId(id))
}

fn schedule(h: &mut Harness, id: u64, due_secs: i64) -> Result<(), CommandError> {
    let due = Timestamp::from_millis(T0 + due_secs * 1000);
    h.try_cmd(Command::ScheduleCallback { callback: callback(id), due })
}

#[test]
fn a_scheduled_callback_enters_at_its_time_and_not_before() {
    let mut h = scheduled_desk();
    schedule(&mut h, 1, 600).unwrap();
    let due = Timestamp::from_millis(T0 + 600_000);
    assert_eq!(h.state(1), Some(InteractionState::Scheduled { due }));
    assert!(h.log.iter().any(|e| matches!(e.kind, EventKind::CallbackScheduled { due: d, .. } if d == due)));
    assert_eq!(h.engine.totals().arrived, 1, "counted as it arrives");
    assert!(h.engine.waiting(QueueId(1)).is_empty(), "but in no waiting list");
    // Agent 1 is idle the whole time: nothing is offered before 600 s.
    h.at(599.999);
    assert!(h.offers().is_empty());
    assert_eq!(h.engine.poll_timeout(), Some(due));
    h.at(600.0);
    let offer = h.offer_of(1);
    assert_eq!(h.log.iter().rev().find(|e| matches!(e.kind, EventKind::InteractionOffered(_))).unwrap().at, due);
    assert_eq!(offer.explanation.waited, secs(0), "its place in line is its due time");
    assert!(
        h.log.iter().any(|e| matches!(e.kind, EventKind::InteractionQueued { reason: QueueReason::CallbackDue, .. }))
    );
}

#[test]
fn a_due_callback_is_boosted_ahead_of_older_callbacks() {
    let mut h = scheduled_desk();
    h.arrive_with(callback(100)).accept(100); // agent 1 busy
    h.arrive_with(callback(2)); // waits from 0 s, priority 0
    schedule(&mut h, 1, 60).unwrap();
    h.at(60.0);
    let i = h.engine.interaction(InteractionId(1)).unwrap();
    assert_eq!((i.state(), i.priority()), (InteractionState::Queued, 50));
    // Agent 1 frees at 90 s: the due callback (in line 30 s, priority 50) goes before the one
    // in line for 90 s (priority 0).
    h.at(90.0).complete(100);
    assert_eq!(h.offer_of(1).agent, AgentId(1));
    assert_eq!(h.state(2), Some(InteractionState::Queued));
    // Without the boost, the older one would have gone first.
    let mut plain = harness();
    plain.cmd(Command::AddQueue(queue(1, &[Channel::Voice, Channel::Callback])));
    plain.add_agent(agent(1, Channel::Callback, 1, &[1]));
    plain.arrive_with(callback(100)).accept(100);
    plain.arrive_with(callback(2));
    schedule(&mut plain, 1, 60).unwrap();
    plain.at(90.0).complete(100);
    assert_eq!(plain.state(1), Some(InteractionState::Queued));
    assert_eq!(plain.offer_of(2).agent, AgentId(1));
}

#[test]
fn a_scheduled_callback_cancelled_before_its_time_ends_once_and_is_never_offered() {
    let mut h = scheduled_desk();
    schedule(&mut h, 1, 600).unwrap();
    h.at(100.0).cmd(Command::Cancel { interaction: InteractionId(1) });
    assert_eq!(h.outcome(1), Some(Outcome::Cancelled));
    assert_eq!(h.engine.poll_timeout(), None, "its due timer is gone");
    h.at(700.0);
    assert!(h.offers().is_empty());
    assert_eq!((h.engine.totals().arrived, h.engine.totals().ended()), (1, 1));
}

#[test]
fn bad_scheduled_callbacks_are_refused_and_change_nothing() {
    let mut h = scheduled_desk();
    schedule(&mut h, 1, 600).unwrap();
    h.at(10.0);
    let before = h.engine.snapshot();
    let now = h.now;
    let at = |s: i64| Timestamp::from_millis(T0 + s * 1000);
    let call = NewInteraction::new(InteractionId(5), Channel::Voice, QueueId(1), CustomerId(5));
    let cases: Vec<(&str, Command, CommandError)> = vec![
        (
            "not a callback",
            Command::ScheduleCallback { callback: call, due: at(60) },
            CommandError::NotACallback { interaction: InteractionId(5), channel: Channel::Voice },
        ),
        (
            "due now",
            Command::ScheduleCallback { callback: callback(6), due: now },
            CommandError::CallbackDueNotAhead { interaction: InteractionId(6), due: now, now },
        ),
        (
            "due in the past",
            Command::ScheduleCallback { callback: callback(6), due: at(1) },
            CommandError::CallbackDueNotAhead { interaction: InteractionId(6), due: at(1), now },
        ),
        (
            "due after the end of time",
            Command::ScheduleCallback { callback: callback(6), due: Timestamp::from_millis(i64::MAX) },
            CommandError::TimeOutOfRange {
                now: Timestamp::from_millis(i64::MAX),
                min: now,
                max: now + Timestamp::MAX_SPAN,
            },
        ),
        (
            "a duplicate id",
            Command::ScheduleCallback { callback: callback(1), due: at(60) },
            CommandError::DuplicateInteraction(InteractionId(1)),
        ),
        (
            "transfer before its time",
            Command::Transfer { interaction: InteractionId(1), queue: QueueId(1) },
            CommandError::SameQueue { interaction: InteractionId(1), queue: QueueId(1) },
        ),
    ];
    for (name, command, expected) in cases {
        assert_eq!(h.try_cmd(command), Err(expected), "{name}");
        assert_eq!(h.engine.snapshot(), before, "{name} changed the engine");
    }
    // A transfer to another queue that takes callbacks is refused too: it is not in line yet.
    h.cmd(Command::AddQueue(queue(2, &[Channel::Callback])));
    let refused = h.try_cmd(Command::Transfer { interaction: InteractionId(1), queue: QueueId(2) });
    assert_eq!(
        refused,
        Err(CommandError::WrongInteractionState {
            interaction: InteractionId(1),
            state: InteractionState::Scheduled { due: at(600) }
        })
    );
}

#[test]
fn a_snapshot_before_the_due_time_restores_into_the_same_future_and_the_record_measures_from_due() {
    let run = |restore: bool| {
        let mut h = scheduled_desk();
        schedule(&mut h, 1, 600).unwrap();
        h.at(300.0);
        if restore {
            h.restart_from_snapshot();
        }
        h.at(610.0).accept(1);
        h.at(700.0).complete(1);
        h.log.clone()
    };
    let straight = run(false);
    assert_eq!(run(true), straight);
    let mut stats = Statistics::new(StatsConfig::default());
    let engine = Engine::new(EngineConfig::default());
    for event in &straight {
        stats.observe(event, &engine);
    }
    let record = stats.poll_record().unwrap();
    assert_eq!(record.scheduled_for, Some(Timestamp::from_millis(T0 + 600_000)));
    assert_eq!(record.arrived_at, Timestamp::from_millis(T0));
    let callback = stats.channel(Channel::Callback).unwrap();
    assert_eq!((callback.counters.offered, callback.counters.answered), (1, 1));
    assert_eq!(callback.counters.answer_wait, secs(10), "waited from its due time, not from when it was scheduled");
}
