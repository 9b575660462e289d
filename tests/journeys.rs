//! Scenario tests for customer journeys (issue #13, §2): preferred agents with a bounded wait,
//! direct-to-agent routing with the queue as backup, and case-owner routing; hand-computed.

use crate::common;

use common::*;
use switchboard::*;

fn call(id: u64) -> NewInteraction {
    NewInteraction::new(InteractionId(id), Channel::Voice, QueueId(1), CustomerId(id))
}

fn mail(id: u64, case: u64) -> NewInteraction {
    NewInteraction::new(InteractionId(id), Channel::Email, QueueId(2), CustomerId(50)).with_case(CaseId(case))
}

/// Queue 1 (voice) and two agents; agent 2 has been idle longest, so the queue alone picks agent 2.
fn two_voice_agents() -> Harness {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    h.add_agent(agent(2, Channel::Voice, 1, &[1]));
    h.at(1.0).add_agent(agent(1, Channel::Voice, 1, &[1]));
    h
}

#[test]
fn a_free_preferred_agent_gets_the_call_ahead_of_the_longest_idle_and_the_explanation_says_so() {
    let mut h = two_voice_agents();
    h.at(2.0).arrive_with(call(10).with_preference(Preference::agents([AgentId(1)], secs(30))));
    let offer = h.offer_of(10);
    assert_eq!(offer.agent, AgentId(1), "the preferred agent, though agent 2 was idle longer");
    assert_eq!(offer.explanation.preference, Some(PreferenceKind::Preferred));
    // Without a preference, the queue's rule picks agent 2: the preference made the difference.
    let mut plain = two_voice_agents();
    plain.at(2.0).arrive_with(call(10));
    assert_eq!(plain.offer_of(10).agent, AgentId(2));
    assert_eq!(plain.offer_of(10).explanation.preference, None);
}

/// The case: a preferred agent busy for longer than T, so the queue takes the call at
/// exactly T, keeping its place in line ahead of a newer call.
#[test]
fn a_busy_preferred_agent_keeps_the_call_for_exactly_the_wait_then_the_queue_takes_it_in_place() {
    let mut h = two_voice_agents();
    h.at(2.0).arrive(100, Channel::Voice, 1); // agent 2, idle longest, takes it
    h.accept(100);
    h.arrive(101, Channel::Voice, 1); // agent 1 takes it: now both are busy
    h.accept(101);
    assert_eq!((h.offer_of(100).agent, h.offer_of(101).agent), (AgentId(2), AgentId(1)));
    h.at(10.0).arrive_with(call(1).with_preference(Preference::agents([AgentId(1)], secs(30))));
    h.at(20.0).arrive(2, Channel::Voice, 1); // newer, no preference
    // Agent 2 frees up at 25 s: only call 2 is theirs to take; call 1 waits for agent 1.
    h.at(25.0).complete(100);
    assert_eq!(h.offer_of(2).agent, AgentId(2));
    h.accept(2);
    h.at(26.0).complete(2);
    h.at(39.999);
    assert_eq!(h.state(1), Some(InteractionState::Queued), "agent 1 still has it to themselves");
    let why = h.engine.why_waiting(InteractionId(1)).unwrap();
    assert_eq!(
        (why.preference, why.preferred_until),
        (Some(PreferenceKind::Preferred), Some(Timestamp::from_millis(T0 + 40_000)))
    );
    assert_eq!((why.qualified, why.ready), (1, 0), "agent 1 alone qualifies, and is busy");
    h.at(40.0);
    let offer = h.offer_of(1);
    assert_eq!(offer.agent, AgentId(2), "the queue takes it at exactly 30 s");
    assert_eq!(h.log.iter().rev().find(|e| matches!(e.kind, EventKind::InteractionOffered(_))).unwrap().at, h.now);
    assert_eq!(offer.explanation.preference, None);
    assert_eq!(offer.explanation.waited, secs(30), "its place in line is its arrival");
}

#[test]
fn a_preference_keeps_the_queues_steps_on_their_own_clock() {
    // Steps: skill 7 at 4+ for 20 s, then anyone. Preferred agent 1 for 30 s. Agent 2 (skill 7 at
    // 4) is free; agent 1 is busy. So: nobody before 30 s (agent 2 is not preferred), agent 2 at 30 s.
    let mut h = harness();
    h.cmd(Command::AddSkill { skill: SkillId(7), name: "spanish".into() });
    let spanish = |l| Requirements::from_pairs([(SkillId(7), level(l))]);
    h.cmd(Command::AddQueue(
        queue(1, &[Channel::Voice])
            .with_steps(vec![RoutingStep::new(spanish(4)).expiring_after(secs(20)), RoutingStep::default()]),
    ));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]).with_skills(SkillSet::from_pairs([(SkillId(7), level(5))])));
    h.arrive_with(
        call(100).with_steps(vec![RoutingStep::default()]).with_preference(Preference::direct(AgentId(1), secs(1))),
    );
    h.accept(100);
    h.add_agent(agent(2, Channel::Voice, 1, &[1]).with_skills(SkillSet::from_pairs([(SkillId(7), level(4))])));
    h.arrive_with(call(1).with_preference(Preference::agents([AgentId(1)], secs(30))));
    h.at(29.0);
    assert_eq!(h.state(1), Some(InteractionState::Queued));
    assert_eq!(h.engine.why_waiting(InteractionId(1)).unwrap().qualified, 1, "only agent 1, who is busy");
    h.at(30.0);
    let offer = h.offer_of(1);
    assert_eq!(offer.agent, AgentId(2));
    // The queue's step 1 began at 20 s; the interaction's own steps are the queue's split at 30 s.
    assert_eq!(h.engine.interaction(InteractionId(1)).unwrap().step(), 2);
}

#[test]
fn nobody_preferred_could_take_it_so_the_queue_takes_it_at_once() {
    let mut h = two_voice_agents();
    h.cmd(Command::AddAgent(agent(3, Channel::Voice, 1, &[1]))); // never logged in
    h.cmd(Command::AddAgent(agent(4, Channel::Chat, 1, &[1]))); // works chat only
    h.at(2.0).arrive_with(call(10).with_preference(Preference::agents([AgentId(3), AgentId(4)], secs(60))));
    assert_eq!(h.offer_of(10).agent, AgentId(2), "offered at once, as if it had no preference");
    assert_eq!(h.offer_of(10).explanation.preference, None);
}

#[test]
fn direct_routing_reaches_one_agent_and_the_queue_is_the_backup() {
    let mut h = two_voice_agents();
    h.at(2.0).arrive_with(call(10).with_preference(Preference::direct(AgentId(1), secs(20))));
    let offer = h.offer_of(10);
    assert_eq!((offer.agent, offer.explanation.preference), (AgentId(1), Some(PreferenceKind::Direct)));
    h.accept(10);
    // Agent 1 is on call 10: call 11 for them waits 20 s, though agent 2 is free, then agent 2 gets it.
    h.at(3.0).arrive_with(call(11).with_preference(Preference::direct(AgentId(1), secs(20))));
    h.at(22.999);
    assert_eq!(h.state(11), Some(InteractionState::Queued));
    h.at(23.0);
    assert_eq!(h.offer_of(11).agent, AgentId(2));
    assert_eq!(h.offer_of(11).explanation.preference, None);
}

/// Queue 2 takes e-mail and prefers a case's owner for an hour; agents 1 and 2 work it.
fn case_desk() -> Harness {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(2, &[Channel::Email]).with_case_owner_wait(secs(3600))));
    h.add_agent(agent(2, Channel::Email, 1, &[2]));
    h.at(1.0).add_agent(agent(1, Channel::Email, 1, &[2]));
    h
}

#[test]
fn an_email_of_a_case_reaches_its_owner_and_falls_back_when_the_owner_is_offline() {
    let mut h = case_desk();
    // Agent 2 (idle longest) answers the first e-mail of case 9 and so owns it.
    h.at(2.0).arrive_with(mail(1, 9)).accept(1).complete(1);
    assert_eq!(h.offer_of(1).agent, AgentId(2));
    let case = h.engine.case(CaseId(9));
    assert_eq!((case.owner, case.owner_since), (Some(AgentId(2)), Some(Timestamp::from_millis(T0 + 2_000))));
    // The next e-mail of the case goes to agent 2, though agent 1 has now been idle longer.
    h.at(100.0).arrive_with(mail(2, 9));
    let offer = h.offer_of(2);
    assert_eq!((offer.agent, offer.explanation.preference), (AgentId(2), Some(PreferenceKind::CaseOwner)));
    assert_eq!(h.engine.case(CaseId(9)).interactions, vec![InteractionId(2)]);
    h.accept(2).complete(2);
    // The owner logs out: the case's next e-mail goes to the queue at once.
    h.at(200.0).cmd(Command::Logout { agent: AgentId(2) });
    h.arrive_with(mail(3, 9));
    let offer = h.offer_of(3);
    assert_eq!((offer.agent, offer.explanation.preference), (AgentId(1), None));
    // Answering makes agent 1 the owner.
    h.accept(3);
    assert_eq!(h.engine.case(CaseId(9)).owner, Some(AgentId(1)));
}

#[test]
fn the_host_names_a_case_owner_and_removing_the_agent_forgets_it() {
    let mut h = case_desk();
    h.cmd(Command::SetCaseOwner { case: CaseId(4), agent: Some(AgentId(1)) });
    h.at(5.0).arrive_with(mail(1, 4));
    assert_eq!(h.offer_of(1).agent, AgentId(1));
    h.accept(1).complete(1);
    h.cmd(Command::SetCaseOwner { case: CaseId(4), agent: None });
    assert_eq!(h.engine.case(CaseId(4)).owner, None);
    h.cmd(Command::SetCaseOwner { case: CaseId(4), agent: Some(AgentId(1)) });
    h.cmd(Command::Logout { agent: AgentId(1) }).cmd(Command::RemoveAgent { agent: AgentId(1) });
    assert_eq!(h.engine.case(CaseId(4)).owner, None, "a removed agent owns no case");
    h.arrive_with(mail(2, 4));
    assert_eq!(h.offer_of(2).agent, AgentId(2));
}

#[test]
fn an_interactions_own_preference_wins_over_its_case_owner() {
    let mut h = case_desk();
    h.cmd(Command::SetCaseOwner { case: CaseId(4), agent: Some(AgentId(2)) });
    h.at(5.0).arrive_with(mail(1, 4).with_preference(Preference::agents([AgentId(1)], secs(10))));
    let offer = h.offer_of(1);
    assert_eq!((offer.agent, offer.explanation.preference), (AgentId(1), Some(PreferenceKind::Preferred)));
}

#[test]
fn bad_preferences_and_case_owners_are_refused_and_change_nothing() {
    let mut h = two_voice_agents();
    h.cmd(Command::AddQueue(queue(3, &[Channel::Voice])));
    let before = h.engine.snapshot();
    let too_many = (1..=17).map(AgentId).collect::<Vec<_>>();
    type Expected = fn(&CommandError) -> bool;
    let cases: Vec<(&str, Command, Expected)> = vec![
        (
            "unknown preferred agent",
            Command::Arrive(call(1).with_preference(Preference::agents([AgentId(1), AgentId(99)], secs(5)))),
            |e| matches!(e, CommandError::UnknownAgent(AgentId(99))),
        ),
        ("no agent", Command::Arrive(call(1).with_preference(Preference::agents([], secs(5)))), |e| {
            matches!(e, CommandError::EmptyPreference(InteractionId(1)))
        }),
        ("zero wait", Command::Arrive(call(1).with_preference(Preference::agents([AgentId(1)], secs(0)))), |e| {
            matches!(e, CommandError::InvalidSpan { field: "preference wait", .. })
        }),
        ("too many agents", Command::Arrive(call(1).with_preference(Preference::agents(too_many, secs(5)))), |e| {
            matches!(e, CommandError::LimitReached { what: Limit::PreferredAgents, limit: 16 })
        }),
        (
            "direct to an agent not in the queue",
            Command::Arrive(
                NewInteraction::new(InteractionId(1), Channel::Voice, QueueId(3), CustomerId(1))
                    .with_preference(Preference::direct(AgentId(1), secs(5))),
            ),
            |e| matches!(e, CommandError::DirectAgentNotInQueue { agent: AgentId(1), queue: QueueId(3), .. }),
        ),
        ("case owner unknown", Command::SetCaseOwner { case: CaseId(1), agent: Some(AgentId(99)) }, |e| {
            matches!(e, CommandError::UnknownAgent(AgentId(99)))
        }),
        (
            "case-owner wait of zero",
            Command::AddQueue(queue(4, &[Channel::Voice]).with_case_owner_wait(secs(0))),
            |e| matches!(e, CommandError::InvalidSpan { field: "queue case_owner_wait", .. }),
        ),
    ];
    for (name, command, expected) in cases {
        let error = h.try_cmd(command).expect_err(name);
        assert!(expected(&error), "{name}: {error}");
        assert_eq!(h.engine.snapshot(), before, "{name} changed the engine");
    }
}

#[test]
fn a_snapshot_mid_preference_restores_into_the_same_future() {
    let run = |restore_at: Option<f64>| {
        let mut h = case_desk();
        h.cmd(Command::SetCaseOwner { case: CaseId(4), agent: Some(AgentId(1)) });
        h.at(2.0).arrive_with(mail(100, 5)).accept(100); // agent 2 busy
        h.arrive_with(mail(101, 6)).accept(101); // agent 1 busy
        h.at(3.0).arrive_with(mail(1, 4)); // prefers agent 1 for an hour
        h.arrive_with(mail(2, 7).with_preference(Preference::direct(AgentId(2), secs(60))));
        if let Some(t) = restore_at {
            h.at(t);
            h.restart_from_snapshot();
        }
        h.at(10.0).complete(100); // agent 2 frees: call 2 is theirs
        h.at(20.0).complete(101); // agent 1 frees: call 1 is theirs
        h.offer_pairs()
    };
    let straight = run(None);
    assert_eq!(&straight[2..], &[(2, 2), (1, 1)]);
    assert_eq!(run(Some(5.0)), straight);
}
