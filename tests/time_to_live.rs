//! Scenario tests for a queue's time to live (issue #12, §5): an interaction unanswered for that
//! long in the queue ends with `Outcome::Expired`, counted once.

use crate::common;

use common::*;
use switchboard::stats::*;
use switchboard::*;

fn ttl_queue(secs_: u64) -> QueueConfig {
    queue(1, &[Channel::Chat]).with_time_to_live(secs(secs_)).with_offer_timeout(secs(600))
}

#[test]
fn an_unanswered_interaction_expires_at_its_time_to_live() {
    let mut h = harness();
    h.cmd(Command::AddQueue(ttl_queue(120)));
    h.arrive(1, Channel::Chat, 1);
    h.at(119.999);
    assert_eq!(h.state(1), Some(InteractionState::Queued));
    h.at(120.0);
    assert_eq!(h.outcome(1), Some(Outcome::Expired));
    let ended = h.log.iter().find(|e| matches!(e.kind, EventKind::InteractionEnded { .. })).unwrap();
    assert_eq!(ended.at, Timestamp::from_millis(T0 + 120_000), "at its due time exactly");
    assert_eq!(h.engine.totals().expired, 1);
    assert_eq!(h.engine.totals().ended(), 1);
}

/// Ringing counts as unanswered: the offer is withdrawn, the agent freed, the interaction expired.
#[test]
fn a_ringing_interaction_expires_and_the_offer_is_withdrawn() {
    let mut h = harness();
    h.cmd(Command::AddQueue(ttl_queue(60)));
    h.arrive(1, Channel::Chat, 1);
    h.at(50.0).add_agent(agent(1, Channel::Chat, 1, &[1]));
    let offer = h.offer_of(1);
    h.at(60.0);
    assert!(h.log.iter().any(|e| matches!(
        e.kind,
        EventKind::OfferWithdrawn { offer: o, reason: WithdrawReason::Expired, .. } if o == offer.id
    )));
    assert_eq!(h.outcome(1), Some(Outcome::Expired));
    assert_eq!(h.presence(1), Presence::Available, "the agent's capacity is back");
}

/// Answered in time, it no longer expires; a transfer starts the target's clock afresh.
#[test]
fn answering_stops_the_clock_and_a_transfer_restarts_it() {
    let mut h = harness();
    h.cmd(Command::AddQueue(ttl_queue(60)));
    h.cmd(Command::AddQueue(queue(2, &[Channel::Chat]).with_time_to_live(secs(100))));
    h.add_agent(agent(1, Channel::Chat, 1, &[1]));
    h.arrive(1, Channel::Chat, 1).accept(1);
    assert_eq!(h.engine.timer(TimerKind::TimeToLive(InteractionId(1))), None);
    h.at(200.0).complete(1);
    assert_eq!(h.outcome(1), Some(Outcome::Handled { agent: AgentId(1) }));

    h.arrive(2, Channel::Chat, 2); // nobody serves queue 2
    h.at(250.0).cmd(Command::Transfer { interaction: InteractionId(2), queue: QueueId(1) });
    h.cmd(Command::Pause { agent: AgentId(1), reason: ReasonCode(1) });
    let offer = h.offer_of(2);
    assert!(h.log.iter().any(|e| matches!(e.kind, EventKind::OfferWithdrawn { offer: o, .. } if o == offer.id)));
    assert_eq!(h.engine.timer(TimerKind::TimeToLive(InteractionId(2))), Some(h.now + secs(60)), "60 s in queue 1");
    h.at(310.0);
    assert_eq!(h.outcome(2), Some(Outcome::Expired));
}

#[test]
fn a_zero_or_sub_millisecond_time_to_live_is_refused() {
    for ttl in [std::time::Duration::ZERO, std::time::Duration::from_micros(10)] {
        let mut h = harness();
        let refused = h.try_cmd(Command::AddQueue(queue(1, &[Channel::Chat]).with_time_to_live(ttl)));
        assert!(matches!(refused, Err(CommandError::InvalidSpan { field: "queue time_to_live", .. })), "{refused:?}");
        assert!(h.engine.queue(QueueId(1)).is_none());
    }
}

/// Statistics count an expired contact once, apart from cancels, and out of the service level.
#[test]
fn statistics_count_expired_contacts() {
    let mut s = Lab::new(StatsConfig::default());
    s.cmd(Command::AddQueue(ttl_queue(30)));
    s.cmd(Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(1))));
    s.at(31.0);
    let figures = s.stats.queue(QueueId(1)).expect("the queue is measured");
    assert_eq!((figures.counters.offered, figures.counters.expired, figures.counters.left()), (1, 1, 1));
    assert_eq!(figures.counters.cancelled, 0);
}

/// A snapshot with an interaction waiting under a time to live restores to the same events.
#[test]
fn restore_keeps_the_clock() {
    let run = |restore: bool| {
        let mut h = harness();
        h.cmd(Command::AddQueue(ttl_queue(90)));
        h.arrive(1, Channel::Chat, 1);
        h.at(45.0);
        if restore {
            h.engine = Engine::restore(h.engine.snapshot()).expect("restores");
        }
        h.at(100.0);
        h.log.iter().filter(|e| e.at > Timestamp::from_millis(T0 + 45_000)).cloned().collect::<Vec<_>>()
    };
    let plain = run(false);
    assert!(plain.iter().any(|e| matches!(e.kind, EventKind::InteractionEnded { outcome: Outcome::Expired, .. })));
    assert_eq!(run(true), plain);
}
