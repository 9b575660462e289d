//! Scenario tests for admission rules and the remaining rule actions (issue #12, §3 and §5):
//! queue length, estimated wait and nobody-to-take-it on arrival; priority changes, requirement
//! changes and typed ends while waiting or ringing.

use crate::common;

use common::*;
use switchboard::*;

const SPANISH: SkillId = SkillId(7);

fn admission(when: AdmissionTrigger, action: ExceptionAction) -> Vec<AdmissionRule> {
    vec![AdmissionRule::new(when, action)]
}

fn applied_admissions(h: &Harness) -> Vec<(InteractionId, u16, bool)> {
    h.log
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::AdmissionRuleApplied { interaction, rule, applied, .. } => Some((interaction, rule, applied)),
            _ => None,
        })
        .collect()
}

/// The example: the 40th caller is refused. With 39 calls waiting, the next one ends
/// `Diverted(Message)`, is counted once, and the 39 keep waiting.
#[test]
fn the_40th_caller_is_refused() {
    let mut h = harness();
    let rules = admission(AdmissionTrigger::QueueLength(39), ExceptionAction::End(Diversion::Message));
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_admission_rules(rules)));
    for id in 1..=39 {
        h.arrive(id, Channel::Voice, 1);
    }
    assert!(applied_admissions(&h).is_empty(), "39 callers queue");
    h.arrive(40, Channel::Voice, 1);
    assert_eq!(h.outcome(40), Some(Outcome::Diverted(Diversion::Message)));
    assert_eq!(applied_admissions(&h), vec![(InteractionId(40), 0, true)]);
    assert_eq!(h.engine.waiting(QueueId(1)).len(), 39);
    let totals = h.engine.totals();
    assert_eq!((totals.arrived, totals.diverted), (40, 1));
}

/// Asterisk's `joinempty`, with its kinds of reasons: nobody qualified, nobody logged in, nobody
/// unpaused. A row per (who is there, which rule) and whether the caller is diverted.
#[test]
fn nobody_to_take_it_on_arrival() {
    // (agent: none / logged out / paused / ready, rule, diverted?)
    #[derive(Clone, Copy, Debug)]
    enum There {
        Nobody,
        Unqualified,
        LoggedOut,
        Paused,
        Ready,
    }
    let cases = [
        (There::Nobody, Staffed::Qualified, true),
        (There::Unqualified, Staffed::Qualified, true),
        (There::LoggedOut, Staffed::Qualified, false),
        (There::LoggedOut, Staffed::LoggedIn, true),
        (There::Paused, Staffed::LoggedIn, false),
        (There::Paused, Staffed::Unpaused, true),
        (There::Ready, Staffed::Unpaused, false),
    ];
    for (there, staffed, diverted) in cases {
        let mut h = harness();
        h.cmd(Command::AddSkill { skill: SPANISH, name: "spanish".into() });
        let rules = admission(AdmissionTrigger::NoAgents(staffed), ExceptionAction::End(Diversion::Voicemail));
        let q = queue(1, &[Channel::Voice])
            .with_requirements(Requirements::from_pairs([(SPANISH, level(3))]))
            .with_admission_rules(rules);
        h.cmd(Command::AddQueue(q));
        let speaker = |at| agent(1, Channel::Voice, 1, &[1]).with_skills(SkillSet::from_pairs([(SPANISH, level(at))]));
        match there {
            There::Nobody => {}
            There::Unqualified => {
                h.add_agent(speaker(2));
            }
            There::LoggedOut => {
                h.cmd(Command::AddAgent(speaker(4)));
            }
            There::Paused => {
                h.add_agent(speaker(4));
                h.cmd(Command::Pause { agent: AgentId(1), reason: ReasonCode(1) });
            }
            There::Ready => {
                h.add_agent(speaker(4));
                // Busy counts as staffed: ready, but on another call.
                h.arrive(100, Channel::Voice, 1).accept(100);
            }
        }
        h.arrive(1, Channel::Voice, 1);
        let expected = if diverted { Some(Outcome::Diverted(Diversion::Voicemail)) } else { None };
        assert_eq!(h.outcome(1), expected, "{there:?} with {staffed:?}");
    }
}

/// The estimated wait is Asterisk's `holdtime`: the first answer after 40 s sets it to 40 s, a
/// second after 8 s to (3 × 40 + 8) ÷ 4 = 32 s. A rule at 35 s overflows a caller only while the
/// estimate is at least 35 s, keeping its place in the target queue. A transfer in is no arrival.
#[test]
fn a_long_estimated_wait_overflows_on_arrival() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(9, &[Channel::Voice])));
    let rules = admission(
        AdmissionTrigger::EstimatedWait(secs(35)),
        ExceptionAction::Move { queue: QueueId(9), keep_place: true },
    );
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_admission_rules(rules)));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.cmd(Command::Pause { agent: AgentId(1), reason: ReasonCode(1) });
    h.arrive(1, Channel::Voice, 1);
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().queue(), QueueId(1), "no estimate yet");
    h.at(40.0).cmd(Command::Resume { agent: AgentId(1) });
    h.accept(1); // waited 40 s: the estimate is 40 s
    h.at(41.0).arrive(2, Channel::Voice, 1);
    let moved = h.engine.interaction(InteractionId(2)).unwrap();
    assert_eq!((moved.queue(), moved.queue_entered_at()), (QueueId(9), Timestamp::from_millis(T0 + 41_000)));
    assert_eq!(applied_admissions(&h), vec![(InteractionId(2), 0, true)]);
    h.at(42.0).complete(1);
    h.cmd(Command::Pause { agent: AgentId(1), reason: ReasonCode(1) });
    h.arrive_with(NewInteraction::new(InteractionId(3), Channel::Voice, QueueId(9), CustomerId(3)));
    h.cmd(Command::Transfer { interaction: InteractionId(3), queue: QueueId(1) });
    assert_eq!(h.engine.interaction(InteractionId(3)).unwrap().queue(), QueueId(1), "a transfer is no arrival");
    h.at(50.0).cmd(Command::Resume { agent: AgentId(1) });
    h.accept(3); // waited 8 s: (3 × 40 + 8) ÷ 4 = 32 s
    h.at(51.0).arrive(4, Channel::Voice, 1);
    assert_eq!(h.engine.interaction(InteractionId(4)).unwrap().queue(), QueueId(1), "32 s < 35 s: it stays");
}

/// Escalation while waiting: after 30 s a call's priority is raised to 10, so the agent who frees
/// up at 35 s takes it ahead of a newer call of priority 5.
#[test]
fn an_exception_rule_raises_priority() {
    let mut h = harness();
    let rules = vec![ExceptionRule::new(secs(30), ExceptionAction::SetPriority(10))];
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_exception_rules(rules)));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.arrive(100, Channel::Voice, 1).accept(100);
    h.arrive(1, Channel::Voice, 1);
    h.at(10.0)
        .arrive_with(NewInteraction::new(InteractionId(2), Channel::Voice, QueueId(1), CustomerId(2)).with_priority(5));
    h.at(29.0);
    assert_eq!(h.engine.waiting(QueueId(1)), [2, 1].map(InteractionId), "priority 5 first");
    h.at(30.0);
    assert_eq!(h.engine.waiting(QueueId(1)), [1, 2].map(InteractionId), "escalated to 10");
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().queue_entered_at(), Timestamp::from_millis(T0));
    h.at(35.0).complete(100);
    assert_eq!(h.offers().last().unwrap().interaction, InteractionId(1));
}

/// Dropping a requirement after 20 s: a Spanish call goes to the idle agent without Spanish at
/// exactly 20 s.
#[test]
fn an_exception_rule_drops_a_requirement() {
    let mut h = harness();
    h.cmd(Command::AddSkill { skill: SPANISH, name: "spanish".into() });
    let rules = vec![ExceptionRule::new(
        secs(20),
        ExceptionAction::ChangeRequirements { add: Requirements::none(), drop: vec![SPANISH] },
    )];
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_exception_rules(rules)));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    let spanish = NewInteraction::new(InteractionId(1), Channel::Voice, QueueId(1), CustomerId(1))
        .with_requirements(Requirements::from_pairs([(SPANISH, level(3))]));
    h.arrive_with(spanish);
    h.at(19.999);
    assert_eq!(h.state(1), Some(InteractionState::Queued));
    h.at(25.0);
    let offered = h.log.iter().find(|e| matches!(e.kind, EventKind::InteractionOffered(_))).unwrap();
    assert_eq!(offered.at, Timestamp::from_millis(T0 + 20_000));
    assert!(h.engine.interaction(InteractionId(1)).unwrap().requirements().is_empty());
}

/// Ending with a typed outcome while the offer rings: the offer is withdrawn (`Diverted`) and
/// the host is told to offer a callback.
#[test]
fn an_exception_rule_ends_a_ringing_call_with_a_callback_offer() {
    let mut h = harness();
    let rules = vec![ExceptionRule::new(secs(120), ExceptionAction::End(Diversion::Callback))];
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_exception_rules(rules).with_offer_timeout(secs(600))));
    h.arrive(1, Channel::Voice, 1);
    h.at(110.0).add_agent(agent(1, Channel::Voice, 1, &[1]));
    assert!(matches!(h.state(1), Some(InteractionState::Offered { .. })));
    h.at(120.0);
    assert_eq!(h.outcome(1), Some(Outcome::Diverted(Diversion::Callback)));
    assert!(h.log.iter().any(|e| matches!(e.kind, EventKind::OfferWithdrawn { reason: WithdrawReason::Diverted, .. })));
    assert_eq!(h.presence(1), Presence::Available);
    assert_eq!(h.engine.totals().diverted, 1);
}

/// Malformed rules are typed errors when the queue is added; the command changes nothing.
#[test]
fn bad_rule_actions_are_refused() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    let cases: Vec<(QueueConfig, CommandError)> = vec![
        (
            queue(2, &[Channel::Voice]).with_exception_rules(vec![ExceptionRule::new(
                secs(5),
                ExceptionAction::ChangeRequirements {
                    add: Requirements::from_pairs([(SkillId(99), level(1))]),
                    drop: vec![],
                },
            )]),
            CommandError::UnknownSkill(SkillId(99)),
        ),
        (
            queue(3, &[Channel::Voice]).with_admission_rules(admission(
                AdmissionTrigger::QueueLength(3),
                ExceptionAction::Move { queue: QueueId(3), keep_place: true },
            )),
            CommandError::BadMoveTarget { queue: QueueId(3), rule: 0, target: QueueId(3), problem: "itself" },
        ),
        (
            queue(4, &[Channel::Voice]).with_admission_rules(admission(
                AdmissionTrigger::EstimatedWait(std::time::Duration::from_micros(10)),
                ExceptionAction::Alert,
            )),
            CommandError::InvalidSpan {
                field: "admission rule estimated wait",
                span: std::time::Duration::from_micros(10),
                error: SpanError::BelowOneMillisecond,
            },
        ),
    ];
    for (q, expected) in cases {
        let before = h.engine.snapshot();
        assert_eq!(h.try_cmd(Command::AddQueue(q)), Err(expected));
        assert_eq!(h.engine.snapshot(), before);
    }
}

/// Asterisk's `leavewhenempty`: when the last member logs out, the calls waiting in the queue go
/// to voicemail at that instant; while a member is merely paused (`LoggedIn`) they keep waiting.
#[test]
fn waiting_calls_leave_when_the_queue_empties() {
    let mut h = harness();
    let rule = WhenEmpty::new(Staffed::LoggedIn, ExceptionAction::End(Diversion::Voicemail));
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_when_empty(rule)));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]));
    h.arrive(100, Channel::Voice, 1).accept(100);
    h.arrive(1, Channel::Voice, 1);
    h.at(10.0).arrive(2, Channel::Voice, 1);
    h.cmd(Command::Pause { agent: AgentId(1), reason: ReasonCode(1) });
    assert_eq!(h.engine.waiting(QueueId(1)).len(), 2, "paused is still logged in");
    h.at(20.0).cmd(Command::Logout { agent: AgentId(1) });
    for id in [1, 2] {
        assert_eq!(h.outcome(id), Some(Outcome::Diverted(Diversion::Voicemail)));
    }
    let applied = h.log.iter().filter(|e| matches!(e.kind, EventKind::WhenEmptyApplied { applied: true, .. }));
    assert!(applied.clone().all(|e| e.at == Timestamp::from_millis(T0 + 20_000)));
    assert_eq!(applied.count(), 2);
    // The connected call stays with its agent until completed.
    assert_eq!(h.state(100), Some(InteractionState::Connected { agent: AgentId(1) }));
}

/// A leave-when-empty rule that changes priority applies once and stops: it must not route the
/// interaction again for nothing (the fuzzer found this looping, its events growing without end).
#[test]
fn a_when_empty_priority_change_applies_once() {
    let mut h = harness();
    let rule = WhenEmpty::new(Staffed::LoggedIn, ExceptionAction::SetPriority(5));
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_when_empty(rule)));
    h.arrive(1, Channel::Voice, 1);
    let applied = h.log.iter().filter(|e| matches!(e.kind, EventKind::WhenEmptyApplied { .. })).count();
    assert_eq!(applied, 2, "once to change it, once more finding it already so");
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().priority(), 5);
}
