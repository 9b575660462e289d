//! Scenario tests for live reconfiguration (issue #12, §6): a queue's configuration replaced while
//! interactions wait in it, with frozen or restarted routing steps, nothing lost or duplicated, and
//! every refusal leaving the engine as it was.

use crate::common;

use common::*;
use switchboard::*;

const SPANISH: SkillId = SkillId(7);

fn spanish(min: u8) -> Requirements {
    Requirements::from_pairs([(SPANISH, level(min))])
}

fn with_spanish() -> Harness {
    let mut h = harness();
    h.cmd(Command::AddSkill { skill: SPANISH, name: "spanish".into() });
    h
}

fn speaker(id: u64, at: u8) -> AgentConfig {
    agent(id, Channel::Voice, 1, &[1]).with_skills(SkillSet::from_pairs([(SPANISH, level(at))]))
}

/// The example: a reconfiguration while 1,000 wait. The queue asks Spanish ≥ 4 and its
/// only agent has 2; lowering the requirement to 2 offers the oldest call at once, and the other
/// 999 keep their order. Nothing is lost or duplicated.
#[test]
fn a_reconfiguration_while_1000_wait() {
    let mut h = with_spanish();
    let strict = queue(1, &[Channel::Voice]).with_requirements(spanish(4));
    h.cmd(Command::AddQueue(strict.clone()));
    h.add_agent(speaker(1, 2));
    for id in 1..=1_000 {
        h.at(id as f64 / 10.0).arrive(id, Channel::Voice, 1);
    }
    let before = h.engine.waiting(QueueId(1));
    assert_eq!(before.len(), 1_000);
    h.at(200.0);
    let relaxed = strict.with_requirements(spanish(2));
    h.cmd(Command::UpdateQueue { queue: relaxed, steps: WaitingSteps::Keep });
    assert!(h.log.iter().any(|e| e.kind == EventKind::QueueUpdated { queue: QueueId(1) }));
    assert_eq!(h.offers().len(), 1);
    assert_eq!(h.offers()[0].interaction, InteractionId(1), "the oldest first");
    let after = h.engine.waiting(QueueId(1));
    assert_eq!(after, before[1..], "the rest in the same order");
    assert_eq!(
        h.engine.interaction(InteractionId(500)).unwrap().queue_entered_at(),
        Timestamp::from_millis(T0 + 50_000)
    );
    let totals = h.engine.totals();
    assert_eq!((totals.arrived, totals.ended()), (1_000, 0));
}

/// Steps freeze on entry unless the update says otherwise: a call 10 s into "Spanish ≥ 4 for 30 s,
/// then ≥ 2" keeps those steps under `Keep` (answered by the ≥ 2 agent at 30 s), and starts the
/// new steps from now under `Restart` ("≥ 4 for 60 s": still waiting at 30 s, answered at 70 s).
#[test]
fn waiting_steps_are_kept_or_restarted() {
    for (mode, offered_at) in [(WaitingSteps::Keep, 30.0), (WaitingSteps::Restart, 70.0)] {
        let mut h = with_spanish();
        let old = queue(1, &[Channel::Voice])
            .with_steps(vec![RoutingStep::new(spanish(4)).expiring_after(secs(30)), RoutingStep::new(spanish(2))]);
        h.cmd(Command::AddQueue(old.clone()));
        h.add_agent(speaker(1, 2));
        h.arrive(1, Channel::Voice, 1);
        h.at(10.0);
        let new =
            old.with_steps(vec![RoutingStep::new(spanish(4)).expiring_after(secs(60)), RoutingStep::new(spanish(2))]);
        h.cmd(Command::UpdateQueue { queue: new, steps: mode });
        h.at(100.0);
        let offered = h.log.iter().find(|e| matches!(e.kind, EventKind::InteractionOffered(_))).expect("offered");
        assert_eq!(offered.at, Timestamp::from_millis(T0 + (offered_at * 1000.0) as i64), "{mode:?}");
        assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().queue_entered_at(), Timestamp::from_millis(T0));
    }
}

/// A new strategy re-ranks the idle agents at once: under most-proficient the Spanish 5 agent gets
/// the next call though the Spanish 3 one has idled longer.
#[test]
fn a_new_strategy_applies_to_the_next_decision() {
    let mut h = with_spanish();
    let q = queue(1, &[Channel::Voice]).with_requirements(spanish(1));
    h.cmd(Command::AddQueue(q.clone()));
    h.add_agent(speaker(1, 3));
    h.at(5.0).add_agent(speaker(2, 5));
    h.cmd(Command::UpdateQueue { queue: q.with_strategy(AgentSelection::MostProficient), steps: WaitingSteps::Keep });
    h.arrive(1, Channel::Voice, 1);
    assert_eq!(h.offer_of(1).agent, AgentId(2));
}

/// Every refused update leaves the engine exactly as it was.
#[test]
fn refused_updates_change_nothing() {
    let mut h = with_spanish();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice, Channel::Email])));
    h.cmd(Command::AddQueue(
        queue(2, &[Channel::Voice, Channel::Email]).with_all_declined(AllDeclined::Overflow(QueueId(1))),
    ));
    h.arrive(1, Channel::Voice, 1);
    let looping = queue(1, &[Channel::Voice, Channel::Email]).with_all_declined(AllDeclined::Overflow(QueueId(2)));
    let cases: Vec<(QueueConfig, CommandError)> = vec![
        (queue(1, &[Channel::Voice]), CommandError::ChannelRemoved { queue: QueueId(1), channel: Channel::Email }),
        (queue(9, &[Channel::Voice]), CommandError::UnknownQueue(QueueId(9))),
        (looping, CommandError::MoveLoop { queue: QueueId(1) }),
        (
            queue(1, &[Channel::Voice, Channel::Email])
                .with_requirements(spanish(2).union(&Requirements::from_pairs([(SkillId(3), level(1))]))),
            CommandError::UnknownSkill(SkillId(3)),
        ),
    ];
    for (q, expected) in cases {
        let before = h.engine.snapshot();
        assert_eq!(h.try_cmd(Command::UpdateQueue { queue: q, steps: WaitingSteps::Keep }), Err(expected));
        assert_eq!(h.engine.snapshot(), before);
    }
}

/// A reconfiguration routes what waits in the queue's serving order, not in arrival order: lowering
/// the requirement offers the later call of priority 5 before the earlier one of priority 0.
#[test]
fn a_reconfiguration_offers_in_serving_order() {
    let mut h = with_spanish();
    let strict = queue(1, &[Channel::Voice]).with_requirements(spanish(4));
    h.cmd(Command::AddQueue(strict));
    h.add_agent(speaker(1, 2));
    h.at(1.0).arrive(1, Channel::Voice, 1);
    h.at(2.0)
        .arrive_with(NewInteraction::new(InteractionId(2), Channel::Voice, QueueId(1), CustomerId(2)).with_priority(5));
    assert!(h.offers().is_empty(), "nobody speaks Spanish at 4");
    let relaxed = queue(1, &[Channel::Voice]).with_requirements(spanish(2));
    h.at(3.0).cmd(Command::UpdateQueue { queue: relaxed, steps: WaitingSteps::Keep });
    assert_eq!(h.offer_pairs(), vec![(2, 1)], "the call of priority 5 first");
}
