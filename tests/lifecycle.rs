//! Scenario tests for every lifecycle path of an interaction and an agent.

use crate::common;

use common::*;
use switchboard::*;

fn one_queue_wrap_up(wrap: u64) -> Harness {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice, Channel::Chat]).with_wrap_up(secs(wrap))));
    h
}

#[test]
fn arrive_offer_accept_complete_wrap_up_available() {
    let mut h = one_queue_wrap_up(30);
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.new_events();
    h.at(1.0).arrive(10, Channel::Voice, 1);
    let offer = h.offer_of(10);
    assert_eq!(offer.agent, AgentId(1));
    assert_eq!(h.state(10), Some(InteractionState::Offered { offer: offer.id, agent: AgentId(1) }));
    assert_eq!(h.presence(1), Presence::Busy);

    h.at(4.0).accept(10);
    assert_eq!(h.state(10), Some(InteractionState::Connected { agent: AgentId(1) }));
    h.at(100.0).complete(10);
    assert_eq!(h.state(10), Some(InteractionState::WrapUp { agent: AgentId(1) }));
    assert_eq!(h.presence(1), Presence::WrapUp);
    assert_eq!(h.engine.poll_timeout(), Some(h.now + secs(30)), "the wrap-up timer is the next deadline");

    h.at(129.0);
    assert_eq!(h.presence(1), Presence::WrapUp);
    h.at(130.0);
    assert_eq!(h.presence(1), Presence::Available);
    assert_eq!(h.outcome(10), Some(Outcome::Handled { agent: AgentId(1) }));
    assert!(h.engine.interaction(InteractionId(10)).is_none());

    let kinds: Vec<&'static str> = h
        .new_events()
        .iter()
        .map(|k| match k {
            EventKind::InteractionArrived { .. } => "arrived",
            EventKind::InteractionQueued { .. } => "queued",
            EventKind::InteractionOffered(_) => "offered",
            EventKind::AgentPresenceChanged { presence: Presence::Busy, .. } => "busy",
            EventKind::AgentPresenceChanged { presence: Presence::WrapUp, .. } => "wrap-up",
            EventKind::AgentPresenceChanged { presence: Presence::Available, .. } => "available",
            EventKind::OfferAccepted { .. } => "accepted",
            EventKind::InteractionCompleted { .. } => "completed",
            EventKind::WrapUpStarted { .. } => "wrap-up started",
            EventKind::WrapUpEnded { .. } => "wrap-up ended",
            EventKind::InteractionEnded { .. } => "ended",
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "arrived",
            "queued",
            "offered",
            "busy",
            "accepted",
            "completed",
            "wrap-up started",
            "wrap-up",
            "wrap-up ended",
            "ended",
            "available"
        ]
    );
    let wrap_end = h.log.iter().find(|e| matches!(e.kind, EventKind::WrapUpEnded { .. })).unwrap();
    assert_eq!(wrap_end.at, Timestamp::from_millis(T0 + 130_000), "timer events carry their due time");
}

#[test]
fn agent_ends_wrap_up_early_and_takes_the_next_interaction() {
    let mut h = one_queue_wrap_up(60);
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.arrive(1, Channel::Voice, 1).accept(1).at(10.0).complete(1);
    h.arrive(2, Channel::Voice, 1);
    assert_eq!(h.state(2), Some(InteractionState::Queued), "wrap-up holds the agent's capacity");
    h.at(20.0).cmd(Command::EndWrapUp { agent: AgentId(1), interaction: InteractionId(1) });
    assert_eq!(h.offer_of(2).agent, AgentId(1));
    assert_eq!(h.engine.timer(TimerKind::WrapUpEnd(InteractionId(1))), None, "the wrap-up timer is cancelled");
}

#[test]
fn no_wrap_up_means_the_agent_is_free_at_once() {
    let mut h = one_queue_wrap_up(0);
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.arrive(1, Channel::Voice, 1).accept(1).at(5.0).complete(1);
    assert_eq!(h.presence(1), Presence::Available);
    assert_eq!(h.outcome(1), Some(Outcome::Handled { agent: AgentId(1) }));
}

/// Two busy agents, three waiting calls; agent 3 logs in and is offered the oldest.
/// Agents are never offered work they declined or missed, so the call stays queued.
fn three_waiting() -> Harness {
    let mut h = Harness::new(
        EngineConfig::builder().missed_offer_pause(None).never_reoffer_to_decliners(true).build().unwrap(),
    );
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.arrive(1, Channel::Voice, 1).accept(1);
    h.at(10.0).arrive(2, Channel::Voice, 1);
    h.at(20.0).arrive(3, Channel::Voice, 1);
    h.at(30.0).arrive(4, Channel::Voice, 1);
    h.at(40.0).add_agent(agent(3, Channel::Voice, 1, &[1]));
    assert_eq!(h.offer_of(2).agent, AgentId(3));
    h
}

#[test]
fn rejected_and_timed_out_interactions_keep_their_place_in_line() {
    for how in ["reject", "timeout", "pause", "logout"] {
        let mut h = three_waiting();
        let offer = h.offer_of(2);
        match how {
            "reject" => {
                h.cmd(Command::Reject { agent: AgentId(3), offer: offer.id });
            }
            "timeout" => {
                h.at(40.0 + 15.0);
            }
            "pause" => {
                h.cmd(Command::Pause { agent: AgentId(3), reason: ReasonCode(7) });
            }
            _ => {
                h.cmd(Command::Logout { agent: AgentId(3) });
            }
        }
        assert_eq!(h.state(2), Some(InteractionState::Queued), "{how}");
        let entered = h.engine.interaction(InteractionId(2)).unwrap().queue_entered_at();
        assert_eq!(entered, Timestamp::from_millis(T0 + 10_000), "{how}: place in line kept");
        assert_eq!(h.engine.waiting(QueueId(1))[0], InteractionId(2), "{how}: still first in line");
        // Agent 1 frees up: the requeued call is served before the later ones.
        h.at(70.0).complete(1);
        let offer = h.offer_of(2);
        assert_eq!(offer.agent, AgentId(1), "{how}");
        assert_eq!(offer.explanation.waited, secs(60), "{how}: wait counts from the original entry");
    }
}

#[test]
fn missed_offer_pauses_the_agent_when_configured() {
    let cases = [(Some(ReasonCode(99)), Presence::Paused(ReasonCode(99))), (None, Presence::Available)];
    for (pause, expected) in cases {
        let mut h = Harness::new(EngineConfig::builder().missed_offer_pause(pause).build().unwrap());
        h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_offer_timeout(secs(8))));
        h.add_agent(agent(1, Channel::Voice, 1, &[1]));
        h.arrive(1, Channel::Voice, 1);
        let offer = h.offer_of(1);
        assert_eq!(offer.expires_at, h.now + secs(8), "the queue's own offer timeout");
        h.at(8.0);
        assert!(h.log.iter().any(|e| matches!(e.kind, EventKind::OfferTimedOut { .. })));
        // With no pause the agent is offered the call again at once (nobody else qualifies).
        let offers = h.offers().len();
        assert_eq!(h.presence(1), if pause.is_some() { expected } else { Presence::Busy });
        assert_eq!(offers, if pause.is_some() { 1 } else { 2 });
        let late = h.try_cmd(Command::Accept { agent: AgentId(1), offer: offer.id });
        assert_eq!(late, Err(CommandError::OfferNotPending(offer.id)), "an expired offer cannot be accepted");
    }
}

#[test]
fn declined_work_is_not_reoffered_to_the_decliner_when_configured() {
    for never in [false, true] {
        let mut h = Harness::new(
            EngineConfig::builder().missed_offer_pause(None).never_reoffer_to_decliners(never).build().unwrap(),
        );
        h.cmd(Command::AddQueue(queue(1, &[Channel::Chat])));
        h.add_agent(agent(1, Channel::Chat, 1, &[1]));
        h.arrive(1, Channel::Chat, 1);
        let first = h.offer_of(1);
        h.cmd(Command::Reject { agent: AgentId(1), offer: first.id });
        assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().declined_by(), &[AgentId(1)]);
        if never {
            assert_eq!(h.state(1), Some(InteractionState::Queued), "agent 1 declined; nobody else qualifies");
            h.add_agent(agent(2, Channel::Chat, 1, &[1]));
            assert_eq!(h.offer_of(1).agent, AgentId(2));
        } else {
            assert_eq!(h.offer_of(1).agent, AgentId(1), "offered again to the only agent");
        }
    }
}

#[test]
fn customer_abandons_while_queued_or_while_offered() {
    let mut h = one_queue_wrap_up(0);
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.arrive(1, Channel::Voice, 1);
    h.arrive(2, Channel::Voice, 1);
    h.at(5.0).cmd(Command::Abandon { interaction: InteractionId(2) });
    assert_eq!(h.outcome(2), Some(Outcome::Abandoned { while_offered: false }));
    assert_eq!(h.engine.waiting_count(QueueId(1)), 0);

    h.at(6.0).cmd(Command::Abandon { interaction: InteractionId(1) });
    assert_eq!(h.outcome(1), Some(Outcome::Abandoned { while_offered: true }));
    assert!(
        h.log
            .iter()
            .any(|e| matches!(e.kind, EventKind::OfferWithdrawn { reason: WithdrawReason::CustomerAbandoned, .. }))
    );
    assert_eq!(h.presence(1), Presence::Available, "capacity released");
    let mut want = Totals::default();
    (want.arrived, want.abandoned) = (2, 2);
    assert_eq!(h.engine.totals(), want);

    h.arrive(3, Channel::Voice, 1).accept(3);
    let refused = h.try_cmd(Command::Abandon { interaction: InteractionId(3) });
    assert!(
        matches!(refused, Err(CommandError::WrongInteractionState { .. })),
        "a connected call is completed, not abandoned"
    );
}

#[test]
fn host_cancels_a_waiting_interaction() {
    let mut h = one_queue_wrap_up(0);
    h.arrive(1, Channel::Chat, 1);
    h.cmd(Command::Cancel { interaction: InteractionId(1) });
    assert_eq!(h.outcome(1), Some(Outcome::Cancelled));
    assert_eq!(h.engine.totals().cancelled, 1);
}

#[test]
fn transfer_keeps_place_in_line_and_frees_the_agent() {
    let mut h = one_queue_wrap_up(30);
    h.cmd(Command::AddQueue(queue(2, &[Channel::Voice])));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.add_agent(agent(2, Channel::Voice, 1, &[2]));
    h.arrive(1, Channel::Voice, 1).accept(1); // agent 1
    h.arrive(2, Channel::Voice, 2).accept(2); // agent 2
    h.at(10.0).arrive(3, Channel::Voice, 2); // waits in queue 2
    // Agent 1 transfers their call (arrived at 0) to queue 2: it goes ahead of call 3.
    h.at(20.0).cmd(Command::Transfer { interaction: InteractionId(1), queue: QueueId(2) });
    assert_eq!(h.presence(1), Presence::Available, "a transfer frees the agent without wrap-up");
    assert_eq!(h.engine.waiting(QueueId(2)), vec![InteractionId(1), InteractionId(3)]);
    assert!(h.log.iter().any(|e| e.kind
        == EventKind::InteractionTransferred { interaction: InteractionId(1), from: QueueId(1), to: QueueId(2) }));

    // A queued interaction moves too, and the target's agents serve it.
    h.cmd(Command::Transfer { interaction: InteractionId(3), queue: QueueId(1) });
    assert_eq!(h.offer_of(3).agent, AgentId(1));
    let refused = h.try_cmd(Command::Transfer { interaction: InteractionId(1), queue: QueueId(2) });
    assert_eq!(refused, Err(CommandError::SameQueue { interaction: InteractionId(1), queue: QueueId(2) }));
}

#[test]
fn pause_withdraws_offers_but_not_connected_work() {
    let mut h = one_queue_wrap_up(0);
    h.add_agent(agent(1, Channel::Chat, 2, &[1]));
    h.arrive(1, Channel::Chat, 1).accept(1);
    h.arrive(2, Channel::Chat, 1);
    assert_eq!(h.offer_of(2).agent, AgentId(1));
    h.at(3.0).cmd(Command::Pause { agent: AgentId(1), reason: ReasonCode(4) });
    assert_eq!(h.presence(1), Presence::Paused(ReasonCode(4)));
    assert_eq!(h.state(1), Some(InteractionState::Connected { agent: AgentId(1) }), "connected work continues");
    assert_eq!(h.state(2), Some(InteractionState::Queued), "the pending offer went back to the queue");
    // Another agent logs in and takes it; agent 1 can still complete their chat while paused.
    h.add_agent(agent(2, Channel::Chat, 2, &[1]));
    assert_eq!(h.offer_of(2).agent, AgentId(2));
    h.at(9.0).complete(1);
    assert_eq!(h.presence(1), Presence::Paused(ReasonCode(4)));
    h.arrive(3, Channel::Chat, 1);
    assert_eq!(h.offer_of(3).agent, AgentId(2));
    h.cmd(Command::Resume { agent: AgentId(1) });
    assert_eq!(h.presence(1), Presence::Available);
    h.arrive(4, Channel::Chat, 1);
    assert_eq!(h.offer_of(4).agent, AgentId(1), "resumed agent is the longest idle");
}

#[test]
fn logout_withdraws_offers_ends_wrap_ups_and_keeps_connected_work() {
    let mut h = one_queue_wrap_up(60);
    h.add_agent(agent(1, Channel::Chat, 3, &[1]));
    h.arrive(1, Channel::Chat, 1).accept(1);
    h.arrive(2, Channel::Chat, 1).accept(2);
    h.at(5.0).complete(2); // in wrap-up
    h.arrive(3, Channel::Chat, 1); // offered
    assert_eq!(h.offer_of(3).agent, AgentId(1));
    h.at(6.0).cmd(Command::Logout { agent: AgentId(1) });
    assert_eq!(h.presence(1), Presence::Offline);
    assert_eq!(h.state(1), Some(InteractionState::Connected { agent: AgentId(1) }));
    assert_eq!(h.outcome(2), Some(Outcome::Handled { agent: AgentId(1) }), "wrap-up ended at logout");
    assert_eq!(h.state(3), Some(InteractionState::Queued));
    // Completing after logout skips wrap-up.
    h.at(8.0).complete(1);
    assert_eq!(h.outcome(1), Some(Outcome::Handled { agent: AgentId(1) }));
    assert_eq!(h.engine.agent(AgentId(1)).unwrap().load().items(), 0);
    h.cmd(Command::RemoveAgent { agent: AgentId(1) });
    assert!(h.engine.agent(AgentId(1)).is_none());
}

#[test]
fn disposition_is_recorded_while_connected_or_in_wrap_up() {
    let mut h = one_queue_wrap_up(30);
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.arrive(1, Channel::Voice, 1);
    let early = h.try_cmd(Command::Disposition {
        agent: AgentId(1),
        interaction: InteractionId(1),
        code: "sale".into(),
        notes: None,
    });
    assert!(matches!(early, Err(CommandError::WrongInteractionState { .. })), "not before it is connected");
    h.accept(1).complete(1);
    h.cmd(Command::Disposition {
        agent: AgentId(1),
        interaction: InteractionId(1),
        code: "sale".into(),
        notes: Some("upgrade".into()),
    });
    assert!(h.log.iter().any(|e| matches!(&e.kind, EventKind::Disposition { code, .. } if code == "sale")));
    let other = h.try_cmd(Command::Disposition {
        agent: AgentId(2),
        interaction: InteractionId(1),
        code: "x".into(),
        notes: None,
    });
    assert_eq!(other, Err(CommandError::UnknownAgent(AgentId(2))));
}

/// An agent who serves a queue, added after a whole chunk of agents (1,024) who serve none: the
/// index check numbered the agents' seats past the chunk nobody with seats had reached as if it
/// were not there, and `check_invariants` reported that agent 0 had a seat in a queue they do
/// not serve. Commands go to the engine directly, with one check at the end: the harness checks
/// after every command, which for a thousand agents is slow in a debug build.
#[test]
fn an_agent_with_a_queue_after_a_thousand_without_holds_the_invariants() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    let now = h.now;
    for id in 0..1_024 {
        h.engine.handle(Command::AddAgent(agent(id, Channel::Voice, 1, &[])), now).unwrap();
    }
    h.engine.handle(Command::AddAgent(agent(5_000, Channel::Voice, 1, &[1])), now).unwrap();
    h.engine.handle(Command::Login { agent: AgentId(5_000) }, now).unwrap();
    h.engine.check_invariants().unwrap();
    h.at(1.0).arrive(10, Channel::Voice, 1);
    assert_eq!(h.offer_of(10).agent, AgentId(5_000));
}
