//! Routing decisions at contact-center scale.
//!
//! Two cycles, each at two sizes (1,000 agents / 10,000 waiting and
//! 10,000 agents / 100,000 waiting; 20 skills, 20 queues):
//!
//! * `agent_frees`: an agent completes a call, the engine picks their next
//!   interaction among everything waiting in their queues and offers it, the
//!   agent accepts, and a new interaction arrives (and waits).
//! * `interaction_arrives`: with every agent idle, an interaction arrives and
//!   the engine picks an agent among the qualified ones; the agent accepts
//!   and completes.
//!
//! Run with `cargo bench --bench routing`. The small size is the baseline for
//! the large one: the ratio shows how a decision's cost grows with scale.

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use switchboard::sim::SimRng;
use switchboard::*;

const SKILLS: u64 = 20;

struct Scene {
    engine: Engine,
    now: Timestamp,
    rng: SimRng,
    next_id: u64,
    connected: VecDeque<(AgentId, InteractionId)>,
}

impl Scene {
    /// `agents` agents, each with four skills and the four matching queues;
    /// `busy` of them hold a call; `waiting` interactions wait.
    fn new(agents: u64, waiting: u64, all_busy: bool) -> Scene {
        let limits = Limits { max_interactions: 10_000_000, ..Limits::default() };
        let config = EngineConfig::builder().limits(limits).offer_timeout(Duration::from_secs(3_600)).build().unwrap();
        let mut s = Scene {
            engine: Engine::new(config),
            now: Timestamp::from_secs(1_700_000_000),
            rng: SimRng::new(0x9E37_79B9_7F4A_7C15, 0),
            next_id: 1,
            connected: VecDeque::new(),
        };
        for skill in 1..=SKILLS {
            s.handle(Command::AddSkill { skill: SkillId(skill), name: format!("skill {skill}") });
            let reqs = Requirements::from_pairs([(SkillId(skill), Proficiency::MIN)]);
            let queue = QueueConfig::new(QueueId(skill), format!("queue {skill}"), [Channel::Voice, Channel::Chat])
                .with_requirements(reqs)
                .with_aging(1);
            s.handle(Command::AddQueue(queue));
        }
        for a in 1..=agents {
            let mut skills = Vec::new();
            while skills.len() < 4 {
                let skill = 1 + s.rng.below(SKILLS);
                if !skills.iter().any(|(k, _)| *k == SkillId(skill)) {
                    skills.push((SkillId(skill), Proficiency::new(1 + s.rng.below(5) as u8).unwrap()));
                }
            }
            let capacity = CapacityProfile::new(100).with_channel(Channel::Voice, 1, 100, true).with_channel(
                Channel::Chat,
                2,
                50,
                false,
            );
            let mut config = AgentConfig::new(AgentId(a), capacity).with_skills(SkillSet::from_pairs(skills.clone()));
            for (skill, _) in &skills {
                config = config.with_queue(QueueMembership::new(QueueId(skill.0)));
            }
            s.handle(Command::AddAgent(config));
            s.handle(Command::Login { agent: AgentId(a) });
        }
        if all_busy {
            // Fill every agent, then build the backlog.
            while (s.connected.len() as u64) < agents && s.next_id < agents * 10 {
                s.arrive();
            }
        }
        for _ in 0..waiting {
            s.arrive();
        }
        s
    }

    fn handle(&mut self, command: Command) {
        self.engine.handle(command, self.now).expect("bench commands are valid");
        self.accept_offers();
    }

    /// Accepts every offer the engine made, as agents' desktops would.
    fn accept_offers(&mut self) {
        let mut offers = Vec::new();
        while let Some(e) = self.engine.poll_event() {
            if let EventKind::InteractionOffered(o) = e.kind {
                offers.push(o);
            }
        }
        for o in offers {
            self.engine.handle(Command::Accept { agent: o.agent, offer: o.id }, self.now).expect("offer is pending");
            while self.engine.poll_event().is_some() {}
            self.connected.push_back((o.agent, o.interaction));
        }
    }

    /// A new interaction for a random queue; half need a second skill.
    fn arrive(&mut self) {
        let id = InteractionId(self.next_id);
        self.next_id += 1;
        let queue = 1 + self.rng.below(SKILLS);
        let channel = if self.rng.below(3) == 0 { Channel::Chat } else { Channel::Voice };
        let mut new =
            NewInteraction::new(id, channel, QueueId(queue), CustomerId(id.0)).with_priority(self.rng.below(3) as i32);
        if self.rng.below(2) == 0 {
            let extra = 1 + self.rng.below(SKILLS);
            new = new.with_requirements(Requirements::from_pairs([(
                SkillId(extra),
                Proficiency::new(1 + self.rng.below(2) as u8).unwrap(),
            )]));
        }
        self.handle(Command::Arrive(new));
    }

    fn tick(&mut self) {
        self.now = self.now + Duration::from_millis(1);
    }

    /// One agent completes; the engine offers them their next interaction; a new one arrives.
    fn agent_frees(&mut self) {
        self.tick();
        let (agent, interaction) = self.connected.pop_front().expect("agents hold work");
        self.handle(Command::Complete { agent, interaction });
        self.arrive();
    }

    /// An interaction arrives to idle agents, is accepted and completed.
    fn interaction_arrives(&mut self) {
        self.tick();
        self.arrive();
        while let Some((agent, interaction)) = self.connected.pop_front() {
            self.handle(Command::Complete { agent, interaction });
        }
    }
}

fn routing(c: &mut Criterion) {
    let mut group = c.benchmark_group("routing");
    group.sample_size(30);
    for (agents, waiting) in [(1_000, 10_000), (10_000, 100_000)] {
        let mut scene = Scene::new(agents, waiting, true);
        assert!(!scene.engine.waiting(QueueId(1)).is_empty(), "a backlog to route from");
        group.bench_function(BenchmarkId::new("agent_frees", format!("{agents}a_{waiting}w")), |b| {
            b.iter(|| black_box(&mut scene).agent_frees())
        });
        let mut idle = Scene::new(agents, 0, false);
        group.bench_function(BenchmarkId::new("interaction_arrives", format!("{agents}a_idle")), |b| {
            b.iter(|| black_box(&mut idle).interaction_arrives())
        });
    }
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
