//! Scenario tests for agent attributes and eligibility expressions (issue #12, §2): rules over
//! skills, agent attributes, named agents and the interaction's own attributes, checked when
//! configured, indexed (never evaluated per decision), and kept when the agents change.

use crate::common;

use common::*;
use switchboard::*;

const SPANISH: SkillId = SkillId(7);

fn text(s: &str) -> Operand {
    Operand::Text(s.into())
}

fn team_is(team: &str) -> Expression {
    Expression::attribute("team", Comparison::Eq, text(team))
}

fn same_language() -> Expression {
    Expression::attribute("language", Comparison::Eq, Operand::Interaction("language".into()))
}

/// Skills and the three attributes the tests use declared; nothing else.
fn declared() -> Harness {
    let mut h = harness();
    h.cmd(Command::AddSkill { skill: SPANISH, name: "spanish".into() });
    for (name, kind) in
        [("team", AttributeKind::Text), ("language", AttributeKind::Text), ("tenure", AttributeKind::Number)]
    {
        h.cmd(Command::AddAgentAttribute { name: name.into(), kind });
    }
    h
}

fn voice_agent(id: u64, attributes: AgentAttributes) -> AgentConfig {
    agent(id, Channel::Voice, 1, &[1]).with_attributes(attributes)
}

fn call(id: u64, language: Option<&str>) -> NewInteraction {
    let new = NewInteraction::new(InteractionId(id), Channel::Voice, QueueId(1), CustomerId(id));
    match language {
        Some(l) => new.with_attributes(Attributes::new().with("language", l)),
        None => new,
    }
}

/// `agent.language == interaction.language`: each call goes to the agent who speaks its
/// customer's language, whoever has been idle longest; a call with no language waits (the
/// condition fails), and `why_waiting` says nobody qualifies.
#[test]
fn calls_go_to_the_agent_who_speaks_the_customers_language() {
    let mut h = declared();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_eligibility(same_language())));
    h.add_agent(voice_agent(1, AgentAttributes::new().with("language", "es")));
    h.at(1.0).add_agent(voice_agent(2, AgentAttributes::new().with("language", "de"))); // agent 1 idles longer
    h.at(2.0).arrive_with(call(1, Some("de")));
    assert_eq!(h.offer_of(1).agent, AgentId(2), "the German speaker, though agent 1 idled longer");
    h.arrive_with(call(2, Some("es")));
    assert_eq!(h.offer_of(2).agent, AgentId(1));
    h.arrive_with(call(3, None));
    h.arrive_with(call(4, Some("fr")));
    for id in [3, 4] {
        assert_eq!(h.state(id), Some(InteractionState::Queued));
        let why = h.engine.why_waiting(InteractionId(id)).unwrap();
        assert_eq!((why.members, why.qualified), (2, 0), "{why:?}");
    }
}

/// A step narrowed to a team (tier 2 for 20 s), then everyone: a call waits for the busy tier-2
/// agent and is answered by the idle tier-1 agent at exactly 20 s, keeping its place ahead of a
/// newer call.
#[test]
fn a_team_step_widens_to_everyone_at_its_end() {
    let mut h = declared();
    let steps = vec![
        RoutingStep::new(Requirements::none()).with_eligibility(team_is("tier2")).expiring_after(secs(20)),
        RoutingStep::new(Requirements::none()),
    ];
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_steps(steps)));
    h.add_agent(voice_agent(1, AgentAttributes::new().with("team", "tier1")));
    h.add_agent(voice_agent(2, AgentAttributes::new().with("team", "tier2")));
    // Agent 2 takes the first call; agent 1 (tier 1) stays idle.
    h.arrive(100, Channel::Voice, 1);
    assert_eq!(h.offer_of(100).agent, AgentId(2));
    h.accept(100);
    h.at(5.0).arrive(1, Channel::Voice, 1);
    h.at(10.0).arrive(2, Channel::Voice, 1);
    h.at(19.999);
    assert_eq!(h.state(1), Some(InteractionState::Queued), "tier 1 may not take it in step 0");
    h.at(25.0);
    let offer = h.offer_of(1);
    assert_eq!(offer.agent, AgentId(1));
    assert_eq!(offer.explanation.step, Some(1));
    let offered_at =
        h.log.iter().find(|e| matches!(&e.kind, EventKind::InteractionOffered(o) if o.interaction == InteractionId(1)));
    assert_eq!(offered_at.unwrap().at, Timestamp::from_millis(T0 + 25_000), "its step ended at 5 + 20 s");
    assert_eq!(h.state(2), Some(InteractionState::Queued), "the newer call waits its turn");
}

/// Named agents first (a personal list), then the queue: with a number attribute too.
#[test]
fn named_agents_and_number_conditions() {
    let mut h = declared();
    let senior = Expression::attribute("tenure", Comparison::Gt, Operand::Number(12));
    let steps = vec![
        RoutingStep::new(Requirements::none())
            .with_eligibility(Expression::Agents(vec![AgentId(3)]))
            .expiring_after(secs(10)),
        RoutingStep::new(Requirements::none()).with_eligibility(senior),
    ];
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_steps(steps)));
    h.add_agent(voice_agent(1, AgentAttributes::new().with("tenure", 6)));
    h.add_agent(voice_agent(2, AgentAttributes::new().with("tenure", 30)));
    h.add_agent(voice_agent(3, AgentAttributes::new()));
    h.cmd(Command::Pause { agent: AgentId(3), reason: ReasonCode(1) });
    h.arrive(1, Channel::Voice, 1);
    h.at(9.0);
    assert_eq!(h.state(1), Some(InteractionState::Queued), "only agent 3 in step 0, and they are paused");
    h.at(10.0);
    assert_eq!(h.offer_of(1).agent, AgentId(2), "then the senior agent, not the junior one");
}

/// Changing an agent's attributes re-qualifies them for what already waits: a waiting call is
/// offered the moment its rule admits an idle agent.
#[test]
fn new_attributes_requalify_an_agent_for_waiting_work() {
    let mut h = declared();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_eligibility(team_is("vip"))));
    h.add_agent(voice_agent(1, AgentAttributes::new().with("team", "tier1")));
    h.arrive(1, Channel::Voice, 1);
    assert_eq!(h.state(1), Some(InteractionState::Queued));
    h.at(3.0)
        .cmd(Command::SetAgentAttributes { agent: AgentId(1), attributes: AgentAttributes::new().with("team", "vip") });
    assert_eq!(h.offer_of(1).agent, AgentId(1));
    // And the other way: moved out of the team, they are no longer offered its calls.
    h.accept(1).complete(1);
    h.cmd(Command::SetAgentAttributes { agent: AgentId(1), attributes: AgentAttributes::new() });
    h.arrive(2, Channel::Voice, 1);
    assert_eq!(h.state(2), Some(InteractionState::Queued));
}

/// Rules join the requirements: Spanish ≥ 4 *and* not a trainee; an OR of teams.
#[test]
fn rules_combine_with_requirements_and_with_each_other() {
    let mut h = declared();
    let rule = Expression::All(vec![
        Expression::Not(Box::new(team_is("trainees"))),
        Expression::Any(vec![team_is("tier1"), team_is("tier2"), team_is("trainees")]),
    ]);
    let q = queue(1, &[Channel::Voice])
        .with_requirements(Requirements::from_pairs([(SPANISH, level(4))]))
        .with_eligibility(rule);
    h.cmd(Command::AddQueue(q));
    let spanish = |l| SkillSet::from_pairs([(SPANISH, level(l))]);
    h.add_agent(voice_agent(1, AgentAttributes::new().with("team", "trainees")).with_skills(spanish(5)));
    h.add_agent(voice_agent(2, AgentAttributes::new().with("team", "tier1")).with_skills(spanish(3)));
    h.add_agent(voice_agent(3, AgentAttributes::new().with("team", "vip")).with_skills(spanish(5)));
    h.add_agent(voice_agent(4, AgentAttributes::new().with("team", "tier2")).with_skills(spanish(4)));
    h.arrive(1, Channel::Voice, 1);
    assert_eq!(h.offer_of(1).agent, AgentId(4), "the only one with Spanish ≥ 4 in tier 1 or 2");
}

/// Every malformed expression or attribute is a typed error at configuration time, and the
/// command that fails changes nothing.
#[test]
fn bad_expressions_and_attributes_are_refused_and_change_nothing() {
    let mut h = declared();
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice])));
    h.add_agent(voice_agent(1, AgentAttributes::new()));
    let unknown = Expression::attribute("site", Comparison::Eq, text("x"));
    let mismatch = Expression::attribute("tenure", Comparison::Eq, text("long"));
    let bad_queue = |id, e: Expression| Command::AddQueue(queue(id, &[Channel::Voice]).with_eligibility(e));
    let bad_step = |e: Expression| {
        Command::Arrive(call(9, None).with_steps(vec![RoutingStep::new(Requirements::none()).with_eligibility(e)]))
    };
    let cases: Vec<(Command, CommandError)> = vec![
        (
            bad_queue(2, unknown.clone()),
            CommandError::BadExpression {
                part: "queue q2 eligibility".into(),
                error: ExpressionError::UnknownAttribute("site".into()),
            },
        ),
        (
            bad_queue(3, Expression::Any(vec![])),
            CommandError::BadExpression { part: "queue q3 eligibility".into(), error: ExpressionError::Empty("any") },
        ),
        (
            bad_queue(4, Expression::Skill { skill: SkillId(99), at_least: level(1) }),
            CommandError::BadExpression {
                part: "queue q4 eligibility".into(),
                error: ExpressionError::UnknownSkill(SkillId(99)),
            },
        ),
        (
            Command::AddQueue(queue(5, &[Channel::Voice]).with_steps(vec![
                RoutingStep::new(Requirements::none()).with_eligibility(mismatch.clone()).expiring_after(secs(5)),
                RoutingStep::new(Requirements::none()),
            ])),
            CommandError::BadExpression {
                part: "queue q5 step 0 eligibility".into(),
                error: ExpressionError::KindMismatch {
                    name: "tenure".into(),
                    expected: AttributeKind::Number,
                    found: AttributeKind::Text,
                },
            },
        ),
        (
            bad_step(Expression::attribute("team", Comparison::Gt, text("a"))),
            CommandError::BadExpression {
                part: "interaction i9 step 0 eligibility".into(),
                error: ExpressionError::OrderOnText { name: "team".into() },
            },
        ),
        (
            bad_step(Expression::All(vec![Expression::All(vec![]); 64])),
            CommandError::BadExpression {
                part: "interaction i9 step 0 eligibility".into(),
                error: ExpressionError::TooLarge { nodes: 65, limit: 64 },
            },
        ),
        (
            Command::AddAgentAttribute { name: "team".into(), kind: AttributeKind::Number },
            CommandError::DuplicateAgentAttribute("team".into()),
        ),
        (
            Command::AddAgent(voice_agent(2, AgentAttributes::new().with("site", "berlin"))),
            CommandError::BadAgentAttribute {
                agent: AgentId(2),
                name: "site".into(),
                problem: "not declared: declare it with AddAgentAttribute first".into(),
            },
        ),
        (
            Command::SetAgentAttributes {
                agent: AgentId(1),
                attributes: AgentAttributes::new().with("tenure", "long"),
            },
            CommandError::BadAgentAttribute {
                agent: AgentId(1),
                name: "tenure".into(),
                problem: "declared number but given text".into(),
            },
        ),
        (
            Command::SetAgentAttributes {
                agent: AgentId(1),
                attributes: AgentAttributes::new().with("team", "x".repeat(1 << 20)),
            },
            CommandError::LimitReached { what: Limit::AttributeBytes, limit: 4_096 },
        ),
        (
            Command::SetAgentAttributes { agent: AgentId(8), attributes: AgentAttributes::new() },
            CommandError::UnknownAgent(AgentId(8)),
        ),
    ];
    for (command, expected) in cases {
        let before = h.engine.snapshot();
        let shown = format!("{command:?}");
        assert_eq!(h.try_cmd(command), Err(expected), "{}", &shown[..shown.len().min(200)]);
        assert_eq!(h.engine.snapshot(), before, "a refused command changed the engine");
    }
}

/// A snapshot taken while calls wait under rules restores to an engine that routes them the same.
#[test]
fn rules_survive_a_snapshot_and_restore() {
    let mut h = declared();
    let steps = vec![
        RoutingStep::new(Requirements::none()).with_eligibility(same_language()).expiring_after(secs(30)),
        RoutingStep::new(Requirements::none()),
    ];
    h.cmd(Command::AddQueue(queue(1, &[Channel::Voice]).with_steps(steps)));
    h.add_agent(voice_agent(1, AgentAttributes::new().with("language", "es")));
    h.arrive_with(call(100, Some("es"))).accept(100);
    h.arrive_with(call(1, Some("de")));
    h.arrive_with(call(2, Some("es")));
    h.at(10.0);
    let json = serde_json::to_string(&h.engine.snapshot()).unwrap();
    let mut restored = Engine::restore(serde_json::from_str(&json).unwrap()).unwrap();
    restored.check_invariants().unwrap();
    assert_eq!(restored.snapshot(), h.engine.snapshot());
    // The German call relaxes at 30 s; the Spanish one was waiting for agent 1 since 0 s and
    // keeps its place ahead of it: the engine and the restored one agree.
    let complete = Command::Complete { agent: AgentId(1), interaction: InteractionId(100) };
    let at = Timestamp::from_millis(T0 + 40_000);
    h.now = at;
    h.cmd(complete.clone());
    restored.handle(complete, at).unwrap();
    let events: Vec<Event> = std::iter::from_fn(|| restored.poll_event()).collect();
    let tail = &h.log[h.log.len() - events.len()..];
    assert_eq!(events, tail);
    assert_eq!(h.offer_of(1).agent, AgentId(1), "call 1 is older: after relaxing it is first");
}
