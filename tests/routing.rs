//! Scenario tests for routing decisions: capacity, blending, priority, aging,
//! strategies, skills and delays.

use crate::common;

use common::*;
use switchboard::*;

#[test]
fn multitasking_agent_holds_three_chats_and_no_more() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat])));
    h.add_agent(agent(1, Channel::Chat, 3, &[1]));
    for i in 1..=4 {
        h.at(i as f64).arrive(i, Channel::Chat, 1);
    }
    assert_eq!(h.offer_pairs(), vec![(1, 1), (2, 1), (3, 1)]);
    assert_eq!(h.state(4), Some(InteractionState::Queued));
    assert_eq!(h.engine.agent(AgentId(1)).unwrap().load().count(Channel::Chat), 3);
    h.accept(1).accept(2).accept(3).at(10.0).complete(2);
    assert_eq!(h.offer_of(4).agent, AgentId(1), "a freed slot takes the next chat");
}

#[test]
fn weighted_units_and_exclusive_voice() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice, Channel::Chat, Channel::Email])));
    h.add_agent(blended_agent(1, &[1]));
    h.arrive(1, Channel::Chat, 1).arrive(2, Channel::Voice, 1);
    assert_eq!(h.offer_pairs(), vec![(1, 1)], "voice is exclusive: not offered beside a chat");
    h.arrive(3, Channel::Chat, 1).arrive(4, Channel::Chat, 1);
    // 3 chats = 90 units: no room for a 20-unit e-mail.
    h.arrive(5, Channel::Email, 1);
    assert_eq!(h.offer_pairs(), vec![(1, 1), (3, 1), (4, 1)]);
    h.accept(1).complete(1);
    // 2 chats = 60 units: room for the e-mail. The waiting call cannot reach agent 1 while they
    // chat (voice is exclusive), so it does not hold the e-mail back (issue #11).
    assert_eq!(h.offer_of(5).agent, AgentId(1));
    for i in [3, 4, 5] {
        h.accept(i).complete(i);
    }
    assert_eq!(h.offer_of(2).agent, AgentId(1), "once free, the call");
}

#[test]
fn blending_email_waits_while_a_call_waits() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    // The e-mail queue ranks higher for the agent, yet real-time work comes first.
    h.cmd(Command::AddQueue(queue(2, &[Channel::Email]).with_priority(10)));
    h.add_agent(blended_agent(1, &[1, 2]));
    h.arrive(1, Channel::Voice, 1).accept(1);
    h.at(1.0).arrive(2, Channel::Email, 2);
    h.at(2.0).arrive(3, Channel::Voice, 1);
    h.at(60.0).complete(1);
    assert_eq!(h.offer_of(3).agent, AgentId(1), "the waiting call before the older e-mail");
    assert_eq!(h.state(2), Some(InteractionState::Queued));
    h.accept(3).at(120.0).complete(3);
    assert_eq!(h.offer_of(2).agent, AgentId(1), "e-mail fills the idle time once no call waits");
}

/// Issue #11: a call the agent has no room for (they chat; voice is exclusive) does not hold
/// e-mail back from them; before, the e-mail waited as long as the call did.
#[test]
fn a_call_the_agent_has_no_room_for_does_not_hold_email_back() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice, Channel::Chat])));
    h.cmd(Command::AddQueue(queue(2, &[Channel::Email])));
    h.add_agent(blended_agent(1, &[1, 2]));
    h.arrive(1, Channel::Chat, 1).accept(1); // agent 1 chats: room for e-mail, not for voice
    h.arrive(2, Channel::Voice, 1); // waits: agent 1 qualifies but has no room
    h.arrive(3, Channel::Email, 2);
    assert_eq!(h.offer_of(3).agent, AgentId(1), "the call cannot reach agent 1 now");
}

/// Issue #11: a call whose wait has not reached the agent's delay for its queue holds e-mail back
/// only when it reaches it within the blend horizon; when it does, the agent is kept free for it.
#[test]
fn the_blend_horizon_decides_which_calls_hold_email_back() {
    for (horizon, held) in [(0, false), (5, false), (15, true)] {
        let config = EngineConfig::builder().missed_offer_pause(None).blend_horizon(secs(horizon)).build().unwrap();
        let mut h = Harness::new(config);
        h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
        h.cmd(Command::AddQueue(queue(2, &[Channel::Email])));
        let blended = blended_agent(1, &[2]).with_queue(QueueMembership::new(QueueId(1)).with_delay(secs(10)));
        h.add_agent(blended);
        h.arrive(1, Channel::Voice, 1); // reaches agent 1 in 10 s
        h.arrive(2, Channel::Email, 2);
        let state = h.state(2);
        assert_eq!(state == Some(InteractionState::Queued), held, "horizon {horizon} s: {state:?}");
        h.at(10.0);
        assert_eq!(h.offers()[0].interaction, InteractionId(if held { 1 } else { 2 }), "horizon {horizon} s");
        if held {
            assert_eq!(h.offer_of(1).agent, AgentId(1), "kept free, the agent gets the call at 10 s");
        }
    }
}

/// Another agent takes the call that held the e-mail back: the e-mail goes at once.
#[test]
fn email_held_back_goes_when_the_call_leaves() {
    let config = EngineConfig::builder().missed_offer_pause(None).blend_horizon(secs(30)).build().unwrap();
    let mut h = Harness::new(config);
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    h.cmd(Command::AddQueue(queue(2, &[Channel::Email])));
    let blended = blended_agent(1, &[2]).with_queue(QueueMembership::new(QueueId(1)).with_delay(secs(20)));
    h.add_agent(blended);
    h.arrive(1, Channel::Voice, 1).arrive(2, Channel::Email, 2);
    assert_eq!(h.state(2), Some(InteractionState::Queued), "held back for the call due in 20 s");
    h.at(5.0).add_agent(agent(2, Channel::Voice, 1, &[1]));
    assert_eq!(h.offer_of(1).agent, AgentId(2));
    assert_eq!(h.offer_of(2).agent, AgentId(1), "unblocked when the call left the queue");
}

#[test]
fn higher_priority_first_then_place_in_line() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    for (id, prio, at) in [(1, 0, 0.0), (2, 5, 1.0), (3, 0, 2.0), (4, 5, 3.0)] {
        h.at(at).arrive_with(
            NewInteraction::new(InteractionId(id), Channel::Voice, QueueId(1), CustomerId(id)).with_priority(prio),
        );
    }
    assert_eq!(h.engine.waiting(QueueId(1)), [2, 4, 1, 3].map(InteractionId));
    h.at(5.0).add_agent(agent(1, Channel::Voice, 1, &[1]));
    for expected in [2, 4, 1, 3] {
        assert_eq!(h.offers().last().unwrap().interaction, InteractionId(expected));
        let last = h.offers().last().unwrap().interaction.0;
        h.accept(last).complete(last);
    }
}

#[test]
fn aging_lets_old_low_priority_work_overtake() {
    let mut h = harness();
    // 1 point per minute: a priority-0 e-mail that waited 10 minutes beats a fresh priority-5 one.
    h.cmd(Command::AddQueue(queue(1, &[Channel::Email]).with_aging(1)));
    h.arrive(1, Channel::Email, 1);
    h.at(600.0)
        .arrive_with(NewInteraction::new(InteractionId(2), Channel::Email, QueueId(1), CustomerId(2)).with_priority(5));
    h.at(601.0).arrive_with(
        NewInteraction::new(InteractionId(3), Channel::Email, QueueId(1), CustomerId(3)).with_priority(20),
    );
    assert_eq!(h.engine.waiting(QueueId(1)), [3, 1, 2].map(InteractionId));
    h.add_agent(agent(1, Channel::Email, 1, &[1]));
    assert_eq!(h.offer_of(3).explanation.effective_priority, 20);
    h.accept(3).complete(3);
    let o = h.offer_of(1);
    assert_eq!(o.explanation.effective_priority, 10, "0 + 1 point × 10 minutes");
    assert_eq!(h.offer_pairs(), vec![(3, 1), (1, 1)]);
}

#[test]
fn agent_serves_their_higher_priority_queue_first() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    h.cmd(Command::AddQueue(queue(2, &[Channel::Voice])));
    h.arrive(1, Channel::Voice, 1); // older, in the agent's secondary queue
    h.at(10.0).arrive(2, Channel::Voice, 2);
    let a = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1))
        .with_queue(QueueMembership::new(QueueId(1)).with_priority(1))
        .with_queue(QueueMembership::new(QueueId(2)).with_priority(2));
    h.add_agent(a);
    let o = h.offer_of(2);
    assert_eq!((o.agent, o.explanation.queue_priority), (AgentId(1), 2));
    assert_eq!(o.explanation.trigger, RoutingTrigger::AgentReady);
}

/// Builds a situation for one strategy, with queue 1 using `strategy` and
/// queue 2 (longest idle) for setting the scene. Call 1 then arrives in queue 1.
fn strategy_scene(strategy: AgentSelection, scene: &str) -> Harness {
    let mut h = harness();
    h.cmd(Command::AddSkill { skill: SkillId(1), name: "billing".into() });
    let reqs = Requirements::from_pairs([(SkillId(1), level(1))]);
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat]).with_strategy(strategy).with_requirements(reqs)));
    h.cmd(Command::AddQueue(queue(2, &[Channel::Chat])));
    let skilled = |id: u64, lvl: u8, chats: u32| {
        agent(id, Channel::Chat, chats, &[1, 2]).with_skills(SkillSet::from_pairs([(SkillId(1), level(lvl))]))
    };
    match scene {
        // All idle; levels 3, 2, 5; logged in at 0, 10, 20 s.
        "levels" => {
            for (id, lvl, at) in [(1, 3, 0.0), (2, 2, 10.0), (3, 5, 20.0)] {
                h.at(at).add_agent(skilled(id, lvl, 3));
            }
        }
        // Each holds one chat; agent 2 can hold six, the others three.
        "load" => {
            for (id, chats, at) in [(1, 3, 0.0), (2, 6, 10.0), (3, 3, 20.0)] {
                h.at(at).add_agent(skilled(id, 3, chats));
            }
            for i in 201..=203 {
                h.at(30.0).arrive(i, Channel::Chat, 2).accept(i);
            }
        }
        // Agent 1 was offered from queue 1 first but has been idle for less time.
        "rotation" => {
            h.add_agent(skilled(1, 3, 1)).add_agent(skilled(2, 3, 1));
            h.arrive(101, Channel::Chat, 1).accept(101).arrive(102, Channel::Chat, 1).accept(102);
            h.at(40.0).complete(102);
            h.at(50.0).complete(101);
        }
        // Agent 1 took two contacts and has been idle for less time than agent 2, who took one.
        "contacts" => {
            h.add_agent(skilled(1, 3, 1)).add_agent(skilled(2, 3, 1));
            h.arrive(201, Channel::Chat, 2).accept(201).at(5.0).complete(201);
            h.arrive(202, Channel::Chat, 2).accept(202);
            h.arrive(203, Channel::Chat, 2).accept(203).at(7.0).complete(203);
            h.at(8.0).complete(202);
        }
        // Agent 1 talked 40 s (0–40 s) and has been idle since 40 s; agent 2 talked 5 s (45–50 s).
        "talk" => {
            h.add_agent(skilled(1, 3, 1)).add_agent(skilled(2, 3, 1));
            h.arrive(301, Channel::Chat, 2).accept(301);
            h.at(40.0).complete(301);
            h.at(45.0).arrive(302, Channel::Chat, 2).accept(302);
            h.at(50.0).complete(302);
        }
        // All idle, logged in at 0, 10, 20 s, at positions 3, 1, 2 of queue 1's fixed order.
        "positions" => {
            for (id, position, at) in [(1, 3, 0.0), (2, 1, 10.0), (3, 2, 20.0)] {
                let mut a =
                    agent(id, Channel::Chat, 3, &[2]).with_skills(SkillSet::from_pairs([(SkillId(1), level(3))]));
                a = a.with_queue(QueueMembership::new(QueueId(1)).with_position(position));
                h.at(at).add_agent(a);
            }
        }
        // Agent 1 can hold two chats and holds none (0 % used, 2 spare); agent 2 can hold six and
        // holds two (33 % used, 4 spare). Logged in at 0 and 10 s.
        "spare" => {
            h.add_agent(skilled(1, 3, 2));
            h.at(10.0).add_agent(skilled(2, 3, 6));
            h.cmd(Command::Logout { agent: AgentId(1) });
            for i in 401..=402 {
                h.arrive(i, Channel::Chat, 2).accept(i);
            }
            h.at(20.0).cmd(Command::Login { agent: AgentId(1) });
        }
        other => panic!("no scene {other}"),
    }
    h.at(60.0).arrive(1, Channel::Chat, 1);
    h
}

#[test]
fn agent_selection_strategies() {
    // (strategy, scene, its pick, longest idle's pick in the same scene)
    let cases = [
        (AgentSelection::MostProficient, "levels", 3, 1),
        (AgentSelection::LeastOccupied, "load", 2, 1),
        (AgentSelection::RoundRobin, "rotation", 1, 2),
        (AgentSelection::FewestContacts, "contacts", 2, 1),
        (AgentSelection::LeastTalkTime, "talk", 2, 1),
        (AgentSelection::Linear, "positions", 2, 1),
        (AgentSelection::MostAvailable, "spare", 2, 1),
        // The same scene under the share of capacity: the emptier small desk wins there.
        (AgentSelection::LeastOccupied, "spare", 1, 1),
    ];
    for (strategy, scene, expected, longest_idle) in cases {
        let h = strategy_scene(strategy, scene);
        let o = h.offer_of(1);
        assert_eq!(o.agent, AgentId(expected), "{strategy:?} in scene {scene}");
        assert_eq!(o.explanation.strategy, strategy);
        assert_eq!(o.explanation.trigger, RoutingTrigger::InteractionWaiting);
        let baseline = strategy_scene(AgentSelection::LongestIdle, scene).offer_of(1);
        assert_eq!(baseline.agent, AgentId(longest_idle), "longest idle in scene {scene}");
    }
    let o = strategy_scene(AgentSelection::MostProficient, "levels").offer_of(1);
    assert_eq!((o.explanation.score, o.explanation.candidates), (5, 3), "score of the winner; three agents compared");
}

#[test]
fn round_robin_rotates_through_agents() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat]).with_strategy(AgentSelection::RoundRobin)));
    for id in 1..=3 {
        h.add_agent(agent(id, Channel::Chat, 10, &[1]));
    }
    for i in 1..=7 {
        h.arrive(i, Channel::Chat, 1);
    }
    let agents: Vec<u64> = h.offer_pairs().iter().map(|(_, a)| *a).collect();
    assert_eq!(agents, [1, 2, 3, 1, 2, 3, 1]);
}

#[test]
fn skills_and_levels_are_respected() {
    let mut h = harness();
    h.cmd(Command::AddSkill { skill: SkillId(1), name: "french".into() });
    h.cmd(Command::AddSkill { skill: SkillId(2), name: "billing".into() });
    h.cmd(Command::AddQueue(
        queue(1, &[Channel::Voice]).with_requirements(Requirements::from_pairs([(SkillId(1), level(3))])),
    ));
    let skilled = |id, pairs: &[(u64, u8)]| {
        agent(id, Channel::Voice, 1, &[1])
            .with_skills(SkillSet::from_pairs(pairs.iter().map(|(s, l)| (SkillId(*s), level(*l)))))
    };
    h.add_agent(skilled(1, &[(1, 2), (2, 5)])); // french too low
    h.add_agent(skilled(2, &[(1, 5)])); // no billing
    h.arrive_with(
        NewInteraction::new(InteractionId(1), Channel::Voice, QueueId(1), CustomerId(1))
            .with_requirements(Requirements::from_pairs([(SkillId(2), level(1))])),
    );
    assert_eq!(h.state(1), Some(InteractionState::Queued), "nobody has french ≥ 3 and billing");
    h.at(30.0).add_agent(skilled(3, &[(1, 3), (2, 1)]));
    let o = h.offer_of(1);
    assert_eq!(o.agent, AgentId(3));
    assert_eq!(
        o.explanation.matched_skills.iter().map(|m| (m.skill, m.required, m.held)).collect::<Vec<_>>(),
        vec![(SkillId(1), level(3), level(3)), (SkillId(2), level(1), level(1))]
    );
    assert_eq!(o.explanation.waited, secs(30));
    // Raising agent 1's french makes them qualify for the next one.
    h.cmd(Command::SetAgentSkills {
        agent: AgentId(1),
        skills: SkillSet::from_pairs([(SkillId(1), level(4)), (SkillId(2), level(5))]),
    });
    h.arrive_with(
        NewInteraction::new(InteractionId(2), Channel::Voice, QueueId(1), CustomerId(2))
            .with_requirements(Requirements::from_pairs([(SkillId(2), level(1))])),
    );
    assert_eq!(h.offer_of(2).agent, AgentId(1));
}

#[test]
fn member_delay_holds_back_a_backup_agent() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    let backup = AgentConfig::new(AgentId(9), CapacityProfile::single(Channel::Voice, 1))
        .with_queue(QueueMembership::new(QueueId(1)).with_delay(secs(30)));
    h.add_agent(backup);
    h.at(5.0).arrive(1, Channel::Voice, 1);
    assert_eq!(h.state(1), Some(InteractionState::Queued));
    assert_eq!(h.engine.poll_timeout(), Some(h.now + secs(30)), "woken when the delay is reached");
    h.at(34.9);
    assert_eq!(h.state(1), Some(InteractionState::Queued));
    h.at(35.0);
    let o = h.offer_of(1);
    assert_eq!((o.agent, o.explanation.waited), (AgentId(9), secs(30)));
    // A backup agent freed while a fresh call waits does not take it before the delay.
    h.accept(1);
    h.at(40.0).arrive(2, Channel::Voice, 1);
    h.at(50.0).complete(1);
    assert_eq!(h.state(2), Some(InteractionState::Queued));
    h.at(70.0);
    assert_eq!(h.offer_of(2).agent, AgentId(9));
}

#[test]
fn membership_added_later_with_a_delay_still_wakes_waiting_work() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat])));
    h.arrive(1, Channel::Chat, 1);
    let a = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Chat, 1))
        .with_queue(QueueMembership::new(QueueId(1)).with_delay(secs(60)));
    h.at(10.0).add_agent(a);
    assert_eq!(h.state(1), Some(InteractionState::Queued));
    h.at(60.0);
    assert_eq!(h.offer_of(1).agent, AgentId(1));
}

#[test]
fn an_available_agent_never_idles_beside_a_call_they_can_take() {
    // Ten agents, twenty calls at once: ten offered at once, one per agent, the rest wait in order.
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    for a in 1..=10 {
        h.add_agent(agent(a, Channel::Voice, 1, &[1]));
    }
    for i in 1..=20 {
        h.arrive(i, Channel::Voice, 1);
    }
    let pairs = h.offer_pairs();
    assert_eq!(pairs.len(), 10);
    let mut agents: Vec<u64> = pairs.iter().map(|p| p.1).collect();
    agents.sort_unstable();
    agents.dedup();
    assert_eq!(agents.len(), 10, "no agent double-booked");
    assert_eq!(h.engine.waiting(QueueId(1)), (11..=20).map(InteractionId).collect::<Vec<_>>());
}

/// Requirement sets naming more skills than the index keeps levels for inline
/// (four) are still matched level by level, by the index as by the scan: a
/// freed agent passes over an older interaction whose levels they do not meet.
#[test]
fn large_requirement_sets_are_matched_level_by_level() {
    for index in [RoutingIndex::Indexed, RoutingIndex::Scan] {
        for skills in [4u64, 5, 6] {
            let config = EngineConfig::builder().missed_offer_pause(None).routing_index(index).build().unwrap();
            let mut h = Harness::new(config);
            for s in 1..=6 {
                h.cmd(Command::AddSkill { skill: SkillId(s), name: format!("skill {s}") });
            }
            h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
            let holding = |id, at: u8| {
                agent(id, Channel::Voice, 1, &[1])
                    .with_skills(SkillSet::from_pairs((1..=6).map(|s| (SkillId(s), level(at)))))
            };
            h.add_agent(holding(1, 3)).add_agent(holding(2, 5));
            h.arrive(1, Channel::Voice, 1).arrive(2, Channel::Voice, 1).accept(1).accept(2);
            let needing = |id, at: u8| {
                NewInteraction::new(InteractionId(id), Channel::Voice, QueueId(1), CustomerId(id))
                    .with_requirements(Requirements::from_pairs((1..=skills).map(|s| (SkillId(s), level(at)))))
            };
            h.at(1.0).arrive_with(needing(3, 4));
            h.at(2.0).arrive_with(needing(4, 2));
            h.at(10.0).complete(1);
            let o = h.offer_of(4);
            assert_eq!(o.agent, AgentId(1), "{index:?}, {skills} skills: agent 1 meets only the newer set's levels");
            assert_eq!(h.state(3), Some(InteractionState::Queued), "{index:?}, {skills} skills");
            h.at(20.0).complete(2);
            assert_eq!(h.offer_of(3).agent, AgentId(2), "{index:?}, {skills} skills");
        }
    }
}

#[test]
fn talk_time_and_contacts_count_since_login() {
    // Two chats overlapping (0–30 s and 10–50 s) are one conversation of 50 s and two contacts; a
    // logout and login start both counts again.
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat])));
    h.add_agent(agent(1, Channel::Chat, 2, &[1]));
    h.arrive(1, Channel::Chat, 1).accept(1);
    h.at(10.0).arrive(2, Channel::Chat, 1).accept(2);
    h.at(30.0).complete(1);
    assert_eq!(h.engine.agent(AgentId(1)).unwrap().talk_time(), secs(0), "still talking: not counted yet");
    h.at(50.0).complete(2);
    assert_eq!(h.engine.agent(AgentId(1)).unwrap().talk_time(), secs(50));
    let restored = Engine::restore(h.engine.snapshot()).unwrap();
    assert_eq!(restored.agent(AgentId(1)).unwrap().talk_time(), secs(50), "kept in snapshots");
    assert_eq!(h.engine.agent(AgentId(1)).unwrap().contacts(), 2);
    assert_eq!(restored.agent(AgentId(1)).unwrap().contacts(), 2, "kept in snapshots");
    h.cmd(Command::Logout { agent: AgentId(1) }).cmd(Command::Login { agent: AgentId(1) });
    assert_eq!(h.engine.agent(AgentId(1)).unwrap().talk_time(), secs(0));
    assert_eq!(h.engine.agent(AgentId(1)).unwrap().contacts(), 0);
}

/// Which of three idle chat agents (weights given) takes each of `calls` chats, one after another,
/// each answered and finished at once, in a queue with `strategy` and the engine's `seed`.
fn random_picks(strategy: AgentSelection, seed: u64, weights: [u32; 3], calls: u64) -> Vec<u64> {
    let config = EngineConfig::builder().missed_offer_pause(None).routing_seed(seed).build().unwrap();
    let mut h = Harness::new(config);
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat]).with_strategy(strategy)));
    for (k, weight) in weights.iter().enumerate() {
        let membership = QueueMembership::new(QueueId(1)).with_weight(*weight);
        h.add_agent(
            AgentConfig::new(AgentId(k as u64 + 1), CapacityProfile::single(Channel::Chat, 1)).with_queue(membership),
        );
    }
    let mut picks = Vec::new();
    for id in 1..=calls {
        h.arrive(id, Channel::Chat, 1);
        picks.push(h.offer_of(id).agent.0);
        h.accept(id).complete(id);
    }
    picks
}

fn shares(picks: &[u64]) -> [usize; 3] {
    let mut n = [0; 3];
    for p in picks {
        n[*p as usize - 1] += 1;
    }
    n
}

#[test]
fn random_selection_is_seeded_fair_and_weighted() {
    let random = random_picks(AgentSelection::Random, 1, [1, 2, 3], 600);
    // Every agent, never offered yet, comes first once; then a random order, not a rotation.
    assert_eq!(&random[..3], &[1, 2, 3]);
    let rotation: Vec<u64> = (0..600).map(|k| k % 3 + 1).collect();
    assert_ne!(random, rotation);
    assert!(random.windows(2).any(|w| w[0] == w[1]), "a random order repeats an agent now and then");
    // Fair: each about a third (weights are ignored without `WeightedRandom`).
    for n in shares(&random) {
        assert!((170..=230).contains(&n), "{:?}", shares(&random));
    }
    // Seeded: the same seed draws the same, another seed another order.
    assert_eq!(random_picks(AgentSelection::Random, 1, [1, 2, 3], 600), random);
    assert_ne!(random_picks(AgentSelection::Random, 2, [1, 2, 3], 600), random);
    // Weighted: shares in proportion to 1 : 2 : 3, so about 100, 200 and 300 of 600.
    let weighted = shares(&random_picks(AgentSelection::WeightedRandom, 1, [1, 2, 3], 600));
    for (n, want) in weighted.iter().zip([100, 200, 300]) {
        assert!(n.abs_diff(want) <= 30, "{weighted:?}");
    }
}

#[test]
fn a_weight_outside_1_to_10000_is_refused() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Chat])));
    for weight in [0, 10_001] {
        let membership = QueueMembership::new(QueueId(1)).with_weight(weight);
        let error = h.try_cmd(Command::AddAgent(agent(1, Channel::Chat, 1, &[]).with_queue(membership))).unwrap_err();
        assert_eq!(error, CommandError::BadWeight { agent: AgentId(1), queue: QueueId(1), weight });
    }
}

/// Agents who work 40 channels: the index keeps readiness on an agent's first
/// 30 channels as bits of their seats and reads it from the ready tiers past
/// them. Both routers make the same offers, and the index checks out after
/// every command (the harness checks), through pauses, a change of queues,
/// a restore and a removal.
#[test]
fn agents_with_forty_channels_route_as_the_scan_router_does() {
    let channels: Vec<Channel> = (1..=40).map(Channel::Custom).collect();
    let run = |index: RoutingIndex| {
        let mut config = EngineConfig::builder().missed_offer_pause(None).routing_index(index);
        for code in 1..=40 {
            config = config.custom_channel(code, ChannelMode::Deferrable);
        }
        let mut h = Harness::new(config.build().unwrap());
        h.cmd(Command::AddQueue(queue(1, &channels))).cmd(Command::AddQueue(queue(2, &channels)));
        for (id, queues) in [(1, &[1, 2][..]), (2, &[2, 1][..]), (3, &[2][..])] {
            let mut cap = CapacityProfile::new(2);
            for c in &channels {
                cap = cap.with_channel(*c, ChannelCapacity::new(1));
            }
            let mut a = AgentConfig::new(AgentId(id), cap);
            for q in queues {
                a = a.with_queue(QueueMembership::new(QueueId(*q)));
            }
            h.add_agent(a);
        }
        let mut next = 0;
        let mut arrive = |h: &mut Harness, at: f64, code: u16, queue: u64| {
            next += 1;
            h.at(at).arrive(next, Channel::Custom(code), queue);
            next
        };
        for (k, code) in [35, 2, 40, 31, 30, 35, 1, 38].into_iter().enumerate() {
            arrive(&mut h, k as f64, code, 1 + k as u64 % 2);
        }
        h.accept(1).accept(2).at(10.0).complete(1);
        h.cmd(Command::Pause { agent: AgentId(2), reason: ReasonCode(1) });
        arrive(&mut h, 11.0, 33, 2);
        h.cmd(Command::Resume { agent: AgentId(2) });
        h.cmd(Command::SetAgentQueues { agent: AgentId(1), queues: vec![QueueMembership::new(QueueId(2))] });
        arrive(&mut h, 12.0, 39, 1);
        h.restart_from_snapshot();
        h.at(13.0).complete(2);
        arrive(&mut h, 14.0, 32, 2);
        h.cmd(Command::Logout { agent: AgentId(3) });
        for o in h.offers() {
            if o.agent == AgentId(3) && h.state(o.interaction.0).is_some_and(|s| !matches!(s, InteractionState::Queued))
            {
                let _ = h.try_cmd(Command::Complete { agent: AgentId(3), interaction: o.interaction });
            }
        }
        let _ = h.try_cmd(Command::RemoveAgent { agent: AgentId(3) });
        arrive(&mut h, 15.0, 36, 2);
        h.offer_pairs()
    };
    let indexed = run(RoutingIndex::Indexed);
    assert_eq!(indexed, run(RoutingIndex::Scan));
    assert!(indexed.len() >= 6, "{indexed:?}");
    // Offers on channels past the 30th (35, 40, 31, 38, 39, 33, 32, 36 are some of them).
    assert!(indexed.iter().any(|(i, _)| *i == 1) && indexed.iter().any(|(i, _)| *i == 3), "{indexed:?}");
}

/// Two calls reach an agent's member delay at the same millisecond: the one of higher priority is
/// offered, though the other's delay timer was set first (the engine used to route each woken
/// call as its timer fired).
#[test]
fn calls_that_reach_a_member_delay_at_one_instant_are_offered_in_priority_order() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    let delayed = QueueMembership::new(QueueId(1)).with_delay(secs(10));
    h.add_agent(AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1)).with_queue(delayed));
    h.at(0.0).arrive(1, Channel::Voice, 1);
    h.arrive_with(NewInteraction::new(InteractionId(2), Channel::Voice, QueueId(1), CustomerId(2)).with_priority(5));
    assert!(h.offers().is_empty(), "the agent's delay is not reached");
    h.at(10.0);
    assert_eq!(h.offer_pairs(), vec![(2, 1)], "the call of priority 5 first");
}
