//! Declines (issue #11, items 1 and 2): a rejected or missed interaction goes to
//! the best *other* available agent first, its decliners are a last resort, and
//! when every qualified agent has declined it (with never-reoffer) the engine says
//! so and applies the queue's `AllDeclined` rule.
//!
//! Every scenario runs with the routing index and with the reference scan router.

use crate::common;

use common::*;
use switchboard::stats::*;
use switchboard::*;

const INDEXES: [RoutingIndex; 2] = [RoutingIndex::Indexed, RoutingIndex::Scan];

fn config(index: RoutingIndex) -> EngineConfigBuilder {
    EngineConfig::builder().routing_index(index)
}

/// How agent 1 turns down the first offer.
#[derive(Clone, Copy, Debug)]
enum Decline {
    Reject,
    /// Let it ring out (with no missed-offer pause).
    TimeOut,
}

fn decline(h: &mut Harness, interaction: u64, how: Decline) {
    let offer = h.offer_of(interaction);
    match how {
        Decline::Reject => {
            h.cmd(Command::Reject { agent: offer.agent, offer: offer.id });
        }
        Decline::TimeOut => {
            let due = (offer.expires_at.as_millis() - T0) as f64 / 1000.0;
            h.at(due);
            assert!(
                h.log.iter().any(|e| matches!(e.kind, EventKind::OfferTimedOut { offer: o, .. } if o == offer.id)),
                "the offer timed out"
            );
        }
    }
}

/// A voice queue needing skill 1; agent 1 holds it at level 5, agent 2 at level 1, so
/// agent 1 wins the first offer under either strategy (longest idle: logged in first;
/// most proficient: the higher level).
fn two_agents(config: EngineConfig, strategy: AgentSelection) -> Harness {
    let mut h = Harness::new(config);
    h.cmd(Command::AddSkill { skill: SkillId(1), name: "billing".into() });
    let reqs = Requirements::from_pairs([(SkillId(1), level(1))]);
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_requirements(reqs).with_strategy(strategy)));
    h.add_agent(agent(1, Channel::Voice, 1, &[1]).with_skills(SkillSet::from_pairs([(SkillId(1), level(5))])));
    h.at(1.0).add_agent(agent(2, Channel::Voice, 1, &[1]).with_skills(SkillSet::from_pairs([(SkillId(1), level(1))])));
    h.at(2.0).arrive(10, Channel::Voice, 1);
    assert_eq!(h.offer_of(10).agent, AgentId(1), "agent 1 is offered it first");
    h
}

/// Reproductions (a) and (b): agent 1 rejects (default configuration) or lets the offer time
/// out (no missed-offer pause); agent 2 is idle and gets the next offer, not agent 1.
#[test]
fn a_declined_interaction_goes_to_the_other_idle_agent_first() {
    let cases = [(Decline::Reject, Some(EngineConfig::MISSED_OFFER)), (Decline::TimeOut, None)];
    for index in INDEXES {
        for strategy in [AgentSelection::LongestIdle, AgentSelection::MostProficient] {
            for (how, pause) in cases {
                let setting = format!("{index:?}, {strategy:?}, {how:?}");
                let mut h = two_agents(config(index).missed_offer_pause(pause).build().unwrap(), strategy);
                decline(&mut h, 10, how);
                assert_eq!(h.offer_pairs(), [(10, 1), (10, 2)], "{setting}: the next offer goes to agent 2");
                let offer = h.offer_of(10);
                assert_eq!(offer.explanation.candidates, 2, "{setting}: both were candidates, agent 1 last");
                assert_eq!(h.engine.interaction(InteractionId(10)).unwrap().declined_by(), &[AgentId(1)]);
            }
        }
    }
}

/// Reproduction (c): when nobody else can take it, the decliner is offered it again at once
/// (default rule: decliners are the last resort, not excluded).
#[test]
fn the_decliner_gets_it_again_when_nobody_else_qualifies() {
    for index in INDEXES {
        for other in ["absent", "unskilled", "busy", "paused"] {
            let mut h = Harness::new(config(index).build().unwrap());
            h.cmd(Command::AddSkill { skill: SkillId(1), name: "billing".into() });
            let reqs = Requirements::from_pairs([(SkillId(1), level(2))]);
            h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_requirements(reqs)));
            let skilled = SkillSet::from_pairs([(SkillId(1), level(3))]);
            h.add_agent(agent(1, Channel::Voice, 1, &[1]).with_skills(skilled.clone()));
            match other {
                "absent" => {}
                "unskilled" => {
                    h.add_agent(agent(2, Channel::Voice, 1, &[1]));
                }
                "busy" | "paused" => {
                    // Agent 2 takes call 9 while agent 1 holds call 8; for "paused", agent 2
                    // then completes it and pauses.
                    h.at(0.5).arrive(8, Channel::Voice, 1).accept(8);
                    h.at(0.6).add_agent(agent(2, Channel::Voice, 1, &[1]).with_skills(skilled.clone()));
                    h.arrive(9, Channel::Voice, 1).accept(9);
                    assert_eq!(h.offer_pairs(), [(8, 1), (9, 2)]);
                    h.complete(8);
                    if other == "paused" {
                        h.complete(9).cmd(Command::Pause { agent: AgentId(2), reason: ReasonCode(3) });
                    }
                }
                _ => unreachable!(),
            }
            h.at(1.0).arrive(10, Channel::Voice, 1);
            assert_eq!(h.offer_of(10).agent, AgentId(1), "{index:?}, other {other}");
            decline(&mut h, 10, Decline::Reject);
            let again = h.offer_of(10);
            assert_eq!(again.agent, AgentId(1), "{index:?}, other {other}: offered again to the decliner");
            assert_eq!(h.offers().iter().filter(|o| o.interaction == InteractionId(10)).count(), 2);
            h.cmd(Command::Accept { agent: AgentId(1), offer: again.id });
        }
    }
}

/// Queue 1 (voice and chat, skill 1 at level 2) with agents 1 and 2 qualified and logged in,
/// agent 3 logged in but unskilled, agent 4 qualified but logged out. Queue 2 (voice and chat)
/// has agent 5, logged out. Interaction 10 arrives: agent 1 rejects it and agent 2 lets it
/// time out, so every qualified agent has declined it.
fn all_declined(index: RoutingIndex, rule: AllDeclined) -> Harness {
    let mut h = Harness::new(config(index).missed_offer_pause(None).never_reoffer_to_decliners(true).build().unwrap());
    h.cmd(Command::AddSkill { skill: SkillId(1), name: "billing".into() });
    h.cmd(Command::AddQueue(queue(2, &[Channel::Voice, Channel::Chat])));
    let reqs = Requirements::from_pairs([(SkillId(1), level(2))]);
    h.cmd(Command::AddQueue(
        queue(1, &[Channel::Voice, Channel::Chat]).with_requirements(reqs).with_all_declined(rule),
    ));
    let skilled = || SkillSet::from_pairs([(SkillId(1), level(2))]);
    h.add_agent(agent(1, Channel::Voice, 1, &[1]).with_skills(skilled()));
    h.at(1.0).add_agent(agent(2, Channel::Voice, 1, &[1]).with_skills(skilled()));
    h.add_agent(agent(3, Channel::Voice, 1, &[1]));
    h.cmd(Command::AddAgent(agent(4, Channel::Voice, 1, &[1]).with_skills(skilled())));
    h.cmd(Command::AddAgent(agent(5, Channel::Voice, 1, &[2])));
    h.at(2.0).arrive(10, Channel::Voice, 1);
    decline(&mut h, 10, Decline::Reject);
    assert_eq!(h.offer_of(10).agent, AgentId(2), "agent 1 declined: agent 2 is next");
    h.new_events();
    decline(&mut h, 10, Decline::TimeOut);
    h
}

fn kinds(events: &[EventKind]) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|k| match k {
            EventKind::OfferTimedOut { .. } => Some("timed out"),
            EventKind::DeclinedByAll { .. } => Some("declined by all"),
            EventKind::InteractionQueued { .. } => Some("queued"),
            EventKind::InteractionTransferred { .. } => Some("transferred"),
            EventKind::InteractionOffered(_) => Some("offered"),
            EventKind::InteractionEnded { .. } => Some("ended"),
            _ => None,
        })
        .collect()
}

/// Reproduction (d): with never-reoffer, once every qualified agent has declined, the event
/// says so (before the fallback's own events) and each `AllDeclined` rule does what it says.
#[test]
fn when_every_qualified_agent_declined_the_event_and_the_queue_rule_follow() {
    let forget = secs(60);
    let rules =
        [AllDeclined::Wait, AllDeclined::ForgetAfter(forget), AllDeclined::Overflow(QueueId(2)), AllDeclined::End];
    for index in INDEXES {
        for rule in rules {
            let setting = format!("{index:?}, {rule:?}");
            let mut h = all_declined(index, rule);
            let events = h.new_events();
            let declined = events.iter().find_map(|k| match k {
                EventKind::DeclinedByAll { interaction, queue, decliners, fallback } => {
                    Some((*interaction, *queue, *decliners, *fallback))
                }
                _ => None,
            });
            assert_eq!(declined, Some((InteractionId(10), QueueId(1), 2, rule)), "{setting}");
            let expected: &[&str] = match rule {
                AllDeclined::Wait | AllDeclined::ForgetAfter(_) => &["timed out", "declined by all", "queued"],
                AllDeclined::Overflow(_) => &["timed out", "declined by all", "transferred", "queued"],
                _ => &["timed out", "declined by all", "ended"],
            };
            assert_eq!(kinds(&events), expected, "{setting}");
            let timed_out_at = h.now;

            match rule {
                AllDeclined::Wait => {
                    let why = h.engine.why_waiting(InteractionId(10)).expect("still waiting");
                    assert!(why.declined_by_all, "{setting}");
                    assert_eq!(why.declined_by, [AgentId(1), AgentId(2)]);
                    assert_eq!((why.members, why.qualified, why.logged_in, why.ready), (4, 3, 2, 2), "{setting}");
                    assert_eq!(h.engine.poll_timeout(), None, "{setting}: no timer, nothing more to do");
                    // A day later it still waits, in silence; a qualified agent who logs in gets it.
                    h.at(86_400.0);
                    assert_eq!(h.state(10), Some(InteractionState::Queued));
                    h.cmd(Command::Login { agent: AgentId(4) });
                    assert_eq!(h.offer_of(10).agent, AgentId(4), "{setting}");
                }
                AllDeclined::ForgetAfter(span) => {
                    let why = h.engine.why_waiting(InteractionId(10)).expect("still waiting");
                    assert!(why.declined_by_all, "{setting}");
                    let due = timed_out_at + span;
                    assert_eq!(h.engine.timer(TimerKind::ForgetDeclines(InteractionId(10))), Some(due));
                    // The forget timer survives a snapshot.
                    h.engine = Engine::restore(h.engine.snapshot()).expect("restores");
                    h.at((due.as_millis() - 1 - T0) as f64 / 1000.0);
                    assert_eq!(h.state(10), Some(InteractionState::Queued), "{setting}: not yet");
                    h.at((due.as_millis() - T0) as f64 / 1000.0);
                    let offer = h.offer_of(10);
                    assert!([AgentId(1), AgentId(2)].contains(&offer.agent), "{setting}: offered to a former decliner");
                    assert_eq!(h.engine.interaction(InteractionId(10)).unwrap().declined_by(), &[] as &[AgentId]);
                    let at =
                        h.log.iter().rev().find(|e| matches!(e.kind, EventKind::InteractionOffered(_))).unwrap().at;
                    assert_eq!(at, due, "{setting}: at the forget timer's due time");
                }
                AllDeclined::Overflow(to) => {
                    let i = h.engine.interaction(InteractionId(10)).unwrap();
                    assert_eq!(i.queue(), to, "{setting}");
                    assert_eq!(i.queue_entered_at(), Timestamp::from_millis(T0 + 2_000), "{setting}: place kept");
                    assert!(i.declined_by().is_empty(), "{setting}: declines forgotten");
                    // Agent 5 is logged out: it waits in queue 2, not declined by all there.
                    let why = h.engine.why_waiting(InteractionId(10)).expect("waits in queue 2");
                    assert_eq!((why.queue, why.declined_by_all, why.logged_in), (to, false, 0), "{setting}");
                    h.cmd(Command::Login { agent: AgentId(5) });
                    assert_eq!(h.offer_of(10).agent, AgentId(5), "{setting}");
                }
                _ => {
                    assert_eq!(h.outcome(10), Some(Outcome::Declined), "{setting}");
                    assert!(h.engine.why_waiting(InteractionId(10)).is_none());
                    let totals = h.engine.totals();
                    assert_eq!((totals.arrived, totals.declined, totals.ended()), (1, 1, 1), "{setting}");
                    let restored = Engine::restore(h.engine.snapshot()).expect("totals with declined add up");
                    assert_eq!(restored.totals(), totals);
                }
            }
        }
    }
}

/// The event comes only when *every* qualified, logged-in agent declined: one decline of two
/// is no event, and without never-reoffer there is never one.
#[test]
fn no_event_while_someone_qualified_has_not_declined() {
    for index in INDEXES {
        for never in [true, false] {
            let mut h =
                Harness::new(config(index).missed_offer_pause(None).never_reoffer_to_decliners(never).build().unwrap());
            h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_all_declined(AllDeclined::End)));
            h.add_agent(agent(1, Channel::Voice, 1, &[1]));
            h.at(1.0).add_agent(agent(2, Channel::Voice, 1, &[1]));
            h.arrive(10, Channel::Voice, 1);
            h.accept(10);
            h.at(2.0).arrive(11, Channel::Voice, 1);
            assert_eq!(h.offer_of(11).agent, AgentId(2));
            decline(&mut h, 11, Decline::Reject);
            // Agent 1 is busy but logged in and has not declined: no event, it waits (or,
            // without never-reoffer, goes back to agent 2 at once).
            assert!(!h.log.iter().any(|e| matches!(e.kind, EventKind::DeclinedByAll { .. })), "{index:?} {never}");
            if never {
                let why = h.engine.why_waiting(InteractionId(11)).unwrap();
                assert!(!why.declined_by_all);
                assert_eq!((why.logged_in, why.ready), (2, 1), "agent 2 declined and is ready; agent 1 is full");
                assert_eq!(why.declined_by, [AgentId(2)]);
            } else {
                assert_eq!(h.offer_of(11).agent, AgentId(2));
            }
        }
    }
}

/// Overflow and forget rules are checked when the queue is added, with typed errors, and a
/// refused queue is not added.
#[test]
fn all_declined_rules_are_checked_when_the_queue_is_added() {
    let mut h = harness();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    let cases = [
        (
            AllDeclined::Overflow(QueueId(9)),
            CommandError::UnknownOverflowQueue { queue: QueueId(2), overflow: QueueId(9) },
        ),
        (AllDeclined::Overflow(QueueId(2)), CommandError::OverflowToItself(QueueId(2))),
        (
            AllDeclined::Overflow(QueueId(1)),
            CommandError::OverflowRefusesChannel { queue: QueueId(2), overflow: QueueId(1), channel: Channel::Chat },
        ),
    ];
    for (rule, expected) in cases {
        let q = queue(2, &[Channel::Voice, Channel::Chat]).with_all_declined(rule);
        assert_eq!(h.try_cmd(Command::AddQueue(q)), Err(expected));
        assert!(h.engine.queue(QueueId(2)).is_none());
    }
    let zero = queue(2, &[Channel::Voice]).with_all_declined(AllDeclined::ForgetAfter(secs(0)));
    assert!(matches!(h.try_cmd(Command::AddQueue(zero)), Err(CommandError::InvalidSpan { .. })));
    let ok = queue(2, &[Channel::Voice]).with_all_declined(AllDeclined::Overflow(QueueId(1)));
    h.cmd(Command::AddQueue(ok));
    // A queue may overflow to one with a higher id: restore checks after adding them all.
    h.cmd(Command::AddQueue(queue(3, &[Channel::Voice])));
    let mut snapshot = serde_json::to_value(h.engine.snapshot()).unwrap();
    snapshot["queues"][0]["all_declined"] = serde_json::json!({ "Overflow": 3 });
    let restored = Engine::restore(serde_json::from_value(snapshot).unwrap()).expect("restores");
    assert_eq!(restored.queue(QueueId(1)).unwrap().all_declined, AllDeclined::Overflow(QueueId(3)));
}

/// Old queue configurations and totals (without the new fields) still read.
#[test]
fn configurations_without_the_new_fields_still_read() {
    let q: QueueConfig = serde_json::from_value({
        let mut v = serde_json::to_value(queue(1, &[Channel::Voice])).unwrap();
        v.as_object_mut().unwrap().remove("all_declined");
        v
    })
    .unwrap();
    assert_eq!(q.all_declined, AllDeclined::Wait);
    let totals: Totals = serde_json::from_str(r#"{"arrived":3,"handled":1,"abandoned":1,"cancelled":1}"#).unwrap();
    assert_eq!((totals.declined, totals.ended()), (0, 3));
}

/// An interaction ended as declined by all is counted once, as declined, in the statistics.
#[test]
fn an_ended_declined_interaction_is_counted_as_declined() {
    let mut h = all_declined(RoutingIndex::Indexed, AllDeclined::End);
    let mut stats = Statistics::new(StatsConfig::default());
    for event in &h.log {
        stats.observe(event, &h.engine);
    }
    let c = stats.queue(QueueId(1)).unwrap().counters;
    assert_eq!((c.offered, c.declined, c.left(), c.cancelled, c.abandoned), (1, 1, 1, 0, 0));
    let record = std::iter::from_fn(|| stats.poll_record()).find(|r| r.interaction == InteractionId(10)).unwrap();
    assert_eq!(record.outcome, Some(Outcome::Declined));
    assert_eq!(record.visits.last().unwrap().exit, VisitExit::Declined);
    h.new_events();
}
