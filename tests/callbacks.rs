//! Queued callbacks (issue #13 §1): a waiting call converts into a callback that keeps its place
//! in line, frees the customer's line, and is routed as deferrable work; the statistics show one
//! journey with two legs. Hand-computed.

mod common;

use common::*;
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
    assert_eq!(callback.counters.answer_wait_ms, 15_000);
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
    assert_eq!(record.talk_ms, 15_000, "5 s of dialling each time");
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
