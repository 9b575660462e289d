//! `Engine::check_configuration` (issue #12, §6): what can never work, found without changing
//! anything. One case per finding, from a configuration that has none.

use crate::common;

use common::*;
use switchboard::*;

const SKILL: SkillId = SkillId(1);

fn needs(min: u8) -> Requirements {
    Requirements::from_pairs([(SKILL, level(min))])
}

/// A queue and a member who serves it well: no findings.
fn base() -> (QueueConfig, AgentConfig) {
    let queue = queue(1, &[Channel::Chat]).with_requirements(needs(2)).with_time_to_live(secs(600));
    let member = agent(1, Channel::Chat, 2, &[1]).with_skills(SkillSet::from_pairs([(SKILL, level(3))]));
    (queue, member)
}

#[test]
fn each_finding_from_a_clean_configuration() {
    type Change = fn(&mut QueueConfig, &mut Option<AgentConfig>);
    let cases: Vec<(&str, Change, Vec<ConfigurationFinding>)> = vec![
        ("nothing wrong", |_, _| {}, vec![]),
        ("no members", |_, a| *a = None, vec![ConfigurationFinding::QueueWithoutMembers { queue: QueueId(1) }]),
        (
            "a channel no member works",
            |q, _| q.channels.push(Channel::Email),
            vec![ConfigurationFinding::ChannelNoMemberWorks { queue: QueueId(1), channel: Channel::Email }],
        ),
        (
            "requirements nobody meets",
            |q, _| q.requirements = needs(5),
            vec![ConfigurationFinding::NoMemberQualifies { queue: QueueId(1), step: None }],
        ),
        (
            "a step nobody meets",
            |q, _| {
                q.steps = vec![RoutingStep::new(needs(5)).expiring_after(secs(30)), RoutingStep::new(needs(1))];
            },
            vec![ConfigurationFinding::NoMemberQualifies { queue: QueueId(1), step: Some(0) }],
        ),
        (
            "a step after the time to live",
            |q, _| {
                q.steps = vec![RoutingStep::new(needs(1)).expiring_after(secs(600)), RoutingStep::new(needs(1))];
            },
            vec![ConfigurationFinding::StepAfterTimeToLive { queue: QueueId(1), step: 1 }],
        ),
        (
            "a rule after the time to live, and one after an end",
            |q, _| {
                q.exception_rules = vec![
                    ExceptionRule::new(secs(60), ExceptionAction::End(Diversion::Voicemail)),
                    ExceptionRule::new(secs(90), ExceptionAction::Alert),
                    ExceptionRule::new(secs(300), ExceptionAction::Alert),
                ];
            },
            vec![
                ConfigurationFinding::RuleNeverFires { queue: QueueId(1), rule: 1 },
                ConfigurationFinding::RuleNeverFires { queue: QueueId(1), rule: 2 },
            ],
        ),
        (
            "an eligibility rule nobody meets",
            |q, _| q.eligibility = Some(Expression::Agents(vec![AgentId(7)])),
            vec![ConfigurationFinding::NoMemberQualifies { queue: QueueId(1), step: None }],
        ),
        (
            "a bound after the time to live",
            |q, _| q.max_wait = Some(secs(900)),
            vec![ConfigurationFinding::BoundAfterTimeToLive { queue: QueueId(1) }],
        ),
        (
            "a delay after the time to live",
            |_, a| {
                let a = a.as_mut().unwrap();
                a.queues[0] = QueueMembership::new(QueueId(1)).with_delay(secs(600));
            },
            vec![ConfigurationFinding::DelayAfterTimeToLive { queue: QueueId(1), agent: AgentId(1) }],
        ),
    ];
    for (what, change, expected) in cases {
        let (mut queue, member) = base();
        let mut member = Some(member);
        change(&mut queue, &mut member);
        let mut h = harness();
        h.cmd(Command::AddSkill { skill: SKILL, name: "billing".into() });
        h.cmd(Command::AddQueue(queue));
        if let Some(member) = member {
            h.add_agent(member);
        }
        let before = h.engine.snapshot();
        let findings = h.engine.check_configuration();
        assert_eq!(findings, expected, "{what}");
        for f in &findings {
            assert!(f.to_string().contains("q1"), "{what}: the message names the queue: {f}");
        }
        assert_eq!(h.engine.snapshot(), before, "{what}: nothing changed");
    }
}
