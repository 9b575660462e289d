//! Scenario tests for parallel offers (issue #13, §3): ring-all and ring groups, first accept
//! wins, the others rescinded in the same step; hand-computed.

use crate::common;

use common::*;
use switchboard::*;

/// Voice queue 1 ringing up to `k` agents at once, and agents 1..=n, agent 1 idle longest.
fn ring_desk(k: u32, n: u64) -> Harness {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_parallel_offers(k)));
    for id in 1..=n {
        h.at(id as f64).add_agent(agent(id, Channel::Voice, 1, &[1]));
    }
    h.at(10.0);
    h
}

/// The offers of an interaction still pending, as (offer, agent).
fn ringing(h: &Harness, interaction: u64) -> Vec<(OfferId, u64)> {
    h.engine.offers().filter(|p| p.interaction == InteractionId(interaction)).map(|p| (p.id, p.agent.0)).collect()
}

fn withdrawn(events: &[EventKind]) -> Vec<(u64, WithdrawReason)> {
    events
        .iter()
        .filter_map(|e| match e {
            EventKind::OfferWithdrawn { agent, reason, .. } => Some((agent.0, *reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_ring_all_of_three_where_two_accept_in_the_same_millisecond_connects_once() {
    let mut h = ring_desk(3, 4);
    h.new_events();
    h.arrive(1, Channel::Voice, 1);
    // The three longest idle ring, in the strategy's order; agent 4 does not.
    assert_eq!(h.offer_pairs(), vec![(1, 1), (1, 2), (1, 3)]);
    let offers = ringing(&h, 1);
    assert_eq!(offers.iter().map(|o| o.1).collect::<Vec<_>>(), vec![1, 2, 3]);
    for agent in 1..=3 {
        assert_eq!(h.engine.agent(AgentId(agent)).unwrap().offers().count(), 1, "capacity reserved on {agent}");
    }
    assert_eq!(h.presence(4), Presence::Available);
    h.new_events();
    // Agents 2 and 3 press "answer" in the same millisecond: 2 is handled first and wins.
    h.cmd(Command::Accept { agent: AgentId(2), offer: offers[1].0 });
    let step = h.new_events();
    assert!(matches!(step[0], EventKind::OfferAccepted { agent: AgentId(2), .. }), "{step:?}");
    assert_eq!(withdrawn(&step), vec![(1, WithdrawReason::Rescinded), (3, WithdrawReason::Rescinded)]);
    let late = h.try_cmd(Command::Accept { agent: AgentId(3), offer: offers[2].0 });
    assert_eq!(late, Err(CommandError::OfferNotPending(offers[2].0)));
    assert_eq!(h.state(1), Some(InteractionState::Connected { agent: AgentId(2) }));
    assert_eq!((h.presence(1), h.presence(3)), (Presence::Available, Presence::Available));
    assert!(ringing(&h, 1).is_empty());
    // Every offer counts, and the rescinded ones free their agents for the next call.
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().offers(), 3);
    h.arrive(2, Channel::Voice, 1);
    assert_eq!(ringing(&h, 2).iter().map(|o| o.1).collect::<Vec<_>>(), vec![4, 1, 3]);
}

#[test]
fn a_reject_keeps_the_others_ringing_and_the_last_decline_sends_it_back_in_line() {
    let mut h = ring_desk(2, 3);
    h.arrive(1, Channel::Voice, 1);
    let offers = ringing(&h, 1);
    assert_eq!(offers.iter().map(|o| o.1).collect::<Vec<_>>(), vec![1, 2]);
    h.new_events();
    h.cmd(Command::Reject { agent: AgentId(1), offer: offers[0].0 });
    let step = h.new_events();
    assert!(!step.iter().any(|e| matches!(e, EventKind::InteractionQueued { .. })), "{step:?}");
    assert!(matches!(h.state(1), Some(InteractionState::Offered { agent: AgentId(2), .. })));
    // Agent 1 is free again, but does not join the ringing group: agent 2 still has it alone.
    assert_eq!(ringing(&h, 1).iter().map(|o| o.1).collect::<Vec<_>>(), vec![2]);
    // Agent 2 lets it time out (15 s after the offer): back in line, ringing a fresh group
    // (agent 3, who has not declined it, then agent 1, who has, as the last resort).
    h.at(25.0);
    assert_eq!(ringing(&h, 1).iter().map(|o| o.1).collect::<Vec<_>>(), vec![3, 1]);
    assert!(
        h.log.iter().any(|e| matches!(e.kind, EventKind::InteractionQueued { reason: QueueReason::OfferTimedOut, .. }))
    );
}

#[test]
fn leaving_while_ringing_withdraws_every_offer_and_ends_once() {
    type Leave = fn(&mut Harness, u64);
    let cases: [(&str, Leave, WithdrawReason, Outcome); 2] = [
        (
            "abandon",
            |h, id| {
                h.cmd(Command::Abandon { interaction: InteractionId(id) });
            },
            WithdrawReason::CustomerAbandoned,
            Outcome::Abandoned { while_offered: true },
        ),
        (
            "cancel",
            |h, id| {
                h.cmd(Command::Cancel { interaction: InteractionId(id) });
            },
            WithdrawReason::Cancelled,
            Outcome::Cancelled,
        ),
    ];
    for (name, leave, reason, outcome) in cases {
        let mut h = ring_desk(3, 3);
        h.arrive(1, Channel::Voice, 1);
        h.new_events();
        leave(&mut h, 1);
        let step = h.new_events();
        assert_eq!(withdrawn(&step), vec![(1, reason), (2, reason), (3, reason)], "{name}");
        let ended = step.iter().filter(|e| matches!(e, EventKind::InteractionEnded { .. })).count();
        assert_eq!((ended, h.outcome(1)), (1, Some(outcome)), "{name}");
        assert_eq!(h.engine.totals().ended(), 1, "{name}");
        for agent in 1..=3 {
            assert_eq!(h.presence(agent), Presence::Available, "{name}: agent {agent} released");
        }
    }
}

#[test]
fn an_agent_logging_out_leaves_the_others_ringing() {
    let mut h = ring_desk(3, 3);
    h.arrive(1, Channel::Voice, 1);
    h.new_events();
    h.cmd(Command::Logout { agent: AgentId(1) });
    let step = h.new_events();
    assert_eq!(withdrawn(&step), vec![(1, WithdrawReason::AgentLoggedOut)]);
    assert!(!step.iter().any(|e| matches!(e, EventKind::InteractionQueued { .. })));
    assert_eq!(ringing(&h, 1).iter().map(|o| o.1).collect::<Vec<_>>(), vec![2, 3]);
    h.accept(1);
    assert_eq!(h.state(1), Some(InteractionState::Connected { agent: AgentId(3) }), "the latest offer's agent");
}

#[test]
fn a_multitasking_agent_rings_once_for_one_chat() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat]).with_parallel_offers(3)));
    h.add_agent(agent(1, Channel::Chat, 3, &[1]));
    h.at(1.0).add_agent(agent(2, Channel::Chat, 3, &[1]));
    h.at(2.0).arrive(1, Channel::Chat, 1);
    assert_eq!(ringing(&h, 1).iter().map(|o| o.1).collect::<Vec<_>>(), vec![1, 2], "each agent once");
    // The next chat rings both again: each has room for two more.
    h.arrive(2, Channel::Chat, 1);
    assert_eq!(ringing(&h, 2).iter().map(|o| o.1).collect::<Vec<_>>(), vec![1, 2]);
}

#[test]
fn an_agent_freeing_up_rings_with_the_others_free_then() {
    // Both agents busy; a call waits. Agent 1 frees up: the call rings agent 1 alone (agent 2 is
    // still busy); agent 2 freeing up a second later does not join the ringing group.
    let mut h = ring_desk(2, 2);
    h.arrive(100, Channel::Voice, 1);
    let o = ringing(&h, 100);
    h.cmd(Command::Accept { agent: AgentId(1), offer: o[0].0 });
    h.arrive(101, Channel::Voice, 1).accept(101);
    assert_eq!(h.state(101), Some(InteractionState::Connected { agent: AgentId(2) }));
    h.at(11.0).arrive(1, Channel::Voice, 1);
    assert_eq!(h.state(1), Some(InteractionState::Queued));
    h.at(12.0).complete(100);
    assert_eq!(ringing(&h, 1).iter().map(|o| o.1).collect::<Vec<_>>(), vec![1]);
    assert_eq!(h.offer_of(1).explanation.trigger, RoutingTrigger::AgentReady);
    h.at(13.0).complete(101);
    assert_eq!(ringing(&h, 1).iter().map(|o| o.1).collect::<Vec<_>>(), vec![1]);
}

#[test]
fn a_ring_group_of_zero_or_too_many_is_refused_and_changes_nothing() {
    for k in [0, QueueConfig::MAX_PARALLEL_OFFERS + 1, u32::MAX] {
        let mut h = harness();
        h.at(0.0);
        let before = h.engine.snapshot();
        let refused = h.try_cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_parallel_offers(k)));
        assert_eq!(
            refused,
            Err(CommandError::BadParallelOffers {
                queue: QueueId(1),
                parallel_offers: k,
                max: QueueConfig::MAX_PARALLEL_OFFERS
            })
        );
        assert_eq!(h.engine.snapshot(), before, "k = {k}");
    }
}

#[test]
fn a_snapshot_mid_ring_restores_into_the_same_future() {
    let run = |restore: bool| {
        let mut h = ring_desk(3, 4);
        h.arrive(1, Channel::Voice, 1);
        let o = ringing(&h, 1);
        h.at(11.0).cmd(Command::Reject { agent: AgentId(1), offer: o[0].0 });
        if restore {
            h.restart_from_snapshot();
        }
        h.cmd(Command::Reject { agent: AgentId(2), offer: o[1].0 });
        h.at(40.0);
        h.log.iter().skip_while(|e| e.at < Timestamp::from_millis(T0 + 11_000)).cloned().collect::<Vec<_>>()
    };
    let straight = run(false);
    assert!(straight.iter().any(|e| matches!(e.kind, EventKind::OfferTimedOut { .. })));
    assert_eq!(run(true), straight);
}
