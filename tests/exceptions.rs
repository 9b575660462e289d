//! Scenario tests for exception rules (issue #12, §3): alerts and overflows after a time
//! unanswered in a queue.

use crate::common;

use common::*;
use switchboard::*;

fn overflow(after: u64, to: u64, keep_place: bool) -> ExceptionRule {
    ExceptionRule::new(secs(after), ExceptionAction::Move { queue: QueueId(to), keep_place })
}

/// Queue 9 is the overflow; queue 1 alerts at 60 s and moves its calls there at 120 s.
fn overflowing(h: &mut Harness, keep_place: bool) {
    h.cmd(Command::AddQueue(queue(9, &[Channel::Voice])));
    let rules = vec![ExceptionRule::new(secs(60), ExceptionAction::Alert), overflow(120, 9, keep_place)];
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_exception_rules(rules)));
}

/// The example: an overflow after 120 s that keeps its place in the target queue, so it
/// is answered there ahead of calls that were already waiting, but arrived later.
#[test]
fn an_overflow_after_120_s_keeps_its_place_in_the_target() {
    let mut h = harness();
    overflowing(&mut h, true);
    h.arrive(1, Channel::Voice, 1);
    h.at(30.0).arrive(2, Channel::Voice, 9); // already waiting in the overflow queue
    h.at(60.0);
    let alert = h.log.iter().find(|e| matches!(e.kind, EventKind::ExceptionRaised { rule: 0, .. })).expect("an alert");
    assert_eq!(alert.at, Timestamp::from_millis(T0 + 60_000));
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().queue(), QueueId(1), "an alert moves nothing");
    h.at(120.0);
    let i = h.engine.interaction(InteractionId(1)).unwrap();
    assert_eq!((i.queue(), i.queue_entered_at()), (QueueId(9), Timestamp::from_millis(T0)));
    assert_eq!(h.engine.waiting(QueueId(9)), [1, 2].map(InteractionId), "ahead of the later call");
    h.add_agent(agent(1, Channel::Voice, 1, &[9]));
    assert_eq!(h.offer_of(1).agent, AgentId(1));
}

/// Entering at the back instead: behind the call already waiting there.
#[test]
fn an_overflow_can_enter_at_the_back() {
    let mut h = harness();
    overflowing(&mut h, false);
    h.arrive(1, Channel::Voice, 1);
    h.at(30.0).arrive(2, Channel::Voice, 9);
    h.at(120.0);
    let i = h.engine.interaction(InteractionId(1)).unwrap();
    assert_eq!((i.queue(), i.queue_entered_at()), (QueueId(9), h.now));
    assert_eq!(h.engine.waiting(QueueId(9)), [2, 1].map(InteractionId));
}

/// A ringing call overflows too: the offer is withdrawn first. Answered calls do not.
#[test]
fn ringing_calls_overflow_and_answered_ones_do_not() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(9, &[Channel::Voice])));
    let rules = vec![overflow(120, 9, true)];
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_exception_rules(rules).with_offer_timeout(secs(600))));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.arrive(1, Channel::Voice, 1);
    let offer = h.offer_of(1);
    h.at(120.0);
    assert!(h.log.iter().any(|e| matches!(
        e.kind,
        EventKind::OfferWithdrawn { offer: o, reason: WithdrawReason::Transferred, .. } if o == offer.id
    )));
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().queue(), QueueId(9));
    h.arrive(2, Channel::Voice, 1).accept(2);
    h.at(300.0);
    assert_eq!(h.engine.interaction(InteractionId(2)).unwrap().queue(), QueueId(1), "answered: no rule applies");
    assert_eq!(h.engine.timer(TimerKind::ExceptionRule(InteractionId(2))), None);
}

/// A move the target cannot take now (it is full) is not made; the event says so.
#[test]
fn a_move_to_a_full_queue_is_not_made() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(9, &[Channel::Voice]).with_max_waiting(1)));
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_exception_rules(vec![overflow(30, 9, true)])));
    h.arrive(5, Channel::Voice, 9);
    h.arrive(1, Channel::Voice, 1);
    h.at(30.0);
    assert!(h.log.iter().any(|e| matches!(e.kind, EventKind::ExceptionRaised { applied: false, .. })));
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().queue(), QueueId(1));
}

/// Rules are checked when the queue is added: typed errors, nothing changed.
#[test]
fn bad_rules_are_typed_errors() {
    let cases = [
        (overflow(30, 1, true), "itself"),
        (overflow(30, 7, true), "which does not exist yet: add it first"),
        (overflow(30, 8, true), "which does not take all its channels"),
    ];
    for (rule, problem) in cases {
        let mut h = harness();
        h.cmd(Command::AddQueue(queue(8, &[Channel::Chat])));
        let refused =
            h.try_cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_exception_rules(vec![rule.clone()])));
        let target = match rule.action {
            ExceptionAction::Move { queue, .. } => queue,
            _ => unreachable!(),
        };
        assert_eq!(refused, Err(CommandError::BadMoveTarget { queue: QueueId(1), rule: 0, target, problem }));
        assert!(h.engine.queue(QueueId(1)).is_none());
    }
    let mut h = harness();
    let zero = ExceptionRule::new(secs(0), ExceptionAction::Alert);
    let refused = h.try_cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_exception_rules(vec![zero])));
    assert!(matches!(refused, Err(CommandError::InvalidSpan { field: "exception rule after", .. })), "{refused:?}");
}

/// A snapshot between the alert and the move restores to the same events; a hand-made snapshot
/// whose moves loop is refused.
#[test]
fn restore_keeps_the_rules_and_refuses_loops() {
    let run = |restore: bool| {
        let mut h = harness();
        overflowing(&mut h, true);
        h.arrive(1, Channel::Voice, 1);
        h.at(90.0);
        if restore {
            h.engine = Engine::restore(h.engine.snapshot()).expect("restores");
        }
        h.at(200.0);
        h.log.iter().filter(|e| e.at > Timestamp::from_millis(T0 + 90_000)).cloned().collect::<Vec<_>>()
    };
    let plain = run(false);
    assert!(plain.iter().any(|e| matches!(e.kind, EventKind::InteractionTransferred { .. })));
    assert_eq!(run(true), plain);

    let mut h = harness();
    overflowing(&mut h, true);
    let mut snapshot = serde_json::to_value(h.engine.snapshot()).unwrap();
    let queues = snapshot["queues"].as_array_mut().unwrap();
    let nine = queues.iter_mut().find(|q| q["id"] == 9).unwrap();
    nine["exception_rules"] = serde_json::to_value(vec![overflow(10, 1, true)]).unwrap();
    let snapshot: EngineSnapshot = serde_json::from_value(snapshot).unwrap();
    let refused = Engine::restore(snapshot).map(|_| ()).unwrap_err();
    assert!(refused.to_string().contains("loop"), "{refused}");
}

/// Seed 004: the alert says how long is left before the interaction misses its queue's first
/// deadline (here the 4-hour response threshold of an e-mail queue, before its 6-hour time to live).
#[test]
fn an_alert_says_how_long_is_left() {
    let mut h = harness();
    let rules = vec![ExceptionRule::new(secs(3 * 3600), ExceptionAction::Alert)];
    let q = queue(1, &[Channel::Email])
        .with_service_level(ServiceLevelTarget::new(90, secs(4 * 3600)))
        .with_time_to_live(secs(6 * 3600))
        .with_exception_rules(rules);
    h.cmd(Command::AddQueue(q));
    h.arrive(1, Channel::Email, 1);
    h.at(3.0 * 3600.0);
    let left = h.log.iter().find_map(|e| match e.kind {
        EventKind::ExceptionRaised { left, .. } => Some(left),
        _ => None,
    });
    assert_eq!(left, Some(secs(3600)), "one hour before the response target is missed");
}
