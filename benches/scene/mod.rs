//! The contact center both scale benchmarks (`routing` and `memory`) build.
//!
//! 50 skills and 20 queues. Queue `q` has a *home* of 10 skills, a window
//! sliding over the 50 (queue 1 starts at skill 1, queue 2 at skill 3,
//! queue 3 at skill 6, …, wrapping round), so neighbouring queues share most
//! of their skills. Every agent serves 4 random queues and holds 8 distinct
//! skills drawn from the union of those queues' homes, at random levels 1–5;
//! capacity is one exclusive voice call or two chats. Queues have no
//! requirements of their own, aging 1 point a minute and the default
//! strategy.
//!
//! Interactions are voice (two in three) or chat, priority 0–2, and require
//! skills from their queue's home, in one of two [`Mode`]s:
//!
//! * [`Mode::Diverse`]: every interaction draws 1–3 distinct home skills at
//!   levels 1–5 (about 16,000 possible sets per queue, hundreds of thousands
//!   overall);
//! * [`Mode::Catalogue`]: 10 sets per queue are drawn once with the same
//!   generator (200 in all) and every interaction takes one of its queue's.
//!
//! A scene can also have 20 *unstaffed* queues (21–40, the same homes as 1–20,
//! nobody a member): interactions wait there without ever being routable, so
//! the cost of a decision can be measured beside a large backlog it must not
//! depend on.
//!
//! Staffed queues may also carry [`Rules`]: routing steps and exception
//! rules (`+r` in the tables), or eligibility expressions (`+e`) over agent
//! attributes (`team`, `language`, `tenure`) and the interaction's own
//! `language`.
//!
//! Everything is drawn from [`SimRng`] streams of one fixed seed, so every
//! run builds the same scene and sends the same arrivals. Agent attributes
//! and interaction languages have streams of their own, so a scene with
//! eligibility rules has the same agents (queues, skills) and the same
//! arrivals (queue, channel, priority, requirements) as the plain one.

// Shared by two bench binaries; each uses only part of it.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::Duration;

use switchboard::sim::SimRng;
use switchboard::*;

/// Skills registered.
pub const SKILLS: u64 = 50;
/// Staffed queues (ids 1–20); unstaffed ones, when present, are 21–40.
pub const QUEUES: u64 = 20;
/// Skills in a queue's home.
pub const HOME_SKILLS: u64 = 10;
/// Agents in a full-size scene.
pub const AGENTS: u64 = 10_000;
/// Queues each agent serves.
pub const QUEUES_PER_AGENT: usize = 4;
/// Skills each agent holds.
pub const SKILLS_PER_AGENT: usize = 8;
/// Requirement sets per queue in [`Mode::Catalogue`].
pub const CATALOGUE_PER_QUEUE: usize = 10;

const SEED: u64 = 0x9E37_79B9_7F4A_7C15;
/// One generator stream per purpose, so drawing more of one shifts no other.
const AGENT_STREAM: u64 = 1;
const CATALOGUE_STREAM: u64 = 2;
const ARRIVAL_STREAM: u64 = 3;
const ATTRIBUTE_STREAM: u64 = 4;
const LANGUAGE_STREAM: u64 = 5;

/// The agents' `team` attribute: one of these, drawn uniformly.
pub const TEAMS: [&str; 4] = ["tier1", "tier2", "tier3", "sales"];
/// Agents' and interactions' `language`: one of these, drawn uniformly.
pub const LANGUAGES: [&str; 5] = ["en", "es", "de", "fr", "pt"];
/// Agents' `tenure` in months: 0 to this, drawn uniformly.
pub const MAX_TENURE: u64 = 60;
/// The team routing step 0 of [`Rules::Eligibility`] asks for.
pub const STEP0_TEAM: &str = "tier2";
/// The tenure (months, exclusive) routing step 1 of [`Rules::Eligibility`] also accepts.
pub const STEP1_TENURE: i64 = 12;

/// How interactions' requirement sets are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// 1–3 home skills at levels 1–5, drawn afresh for every interaction.
    Diverse,
    /// One of the queue's 10 sets drawn once.
    Catalogue,
}

impl Mode {
    /// Both modes, in the order the tables print them.
    pub const ALL: [Mode; 2] = [Mode::Diverse, Mode::Catalogue];

    /// The name printed in tables.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Diverse => "diverse",
            Mode::Catalogue => "catalogue",
        }
    }
}

/// The routing rules of the staffed queues (unstaffed queues never have any).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
    /// None: the queues' plain configuration.
    None,
    /// 3 routing steps (the queue's first home skill at 4 or above for 30 s,
    /// then at 2 or above for 30 s, then none) and 2 exception rules (an
    /// alert at 60 s, and from queue 2 on an overflow to the queue before at
    /// 120 s, keeping the place in line). Marked `+r`.
    Steps,
    /// Eligibility expressions (issue #12 §2), marked `+e`: the queue's rule
    /// `language == interaction.language`, and 3 routing steps that add no
    /// requirements but narrow the rule, then widen it: `team == "tier2"`
    /// for 30 s, then `team == "tier2" or tenure > 12` for 30 s, then the
    /// queue's rule alone. Agents carry a `team`, a `language` and a
    /// `tenure` ([`TEAMS`], [`LANGUAGES`], 0–[`MAX_TENURE`] months) and
    /// interactions a `language`, all drawn uniformly. No exception rules.
    Eligibility,
}

impl Rules {
    /// The mark after the mode in tables: `""`, `"+r"` or `"+e"`.
    pub fn mark(self) -> &'static str {
        match self {
            Rules::None => "",
            Rules::Steps => "+r",
            Rules::Eligibility => "+e",
        }
    }
}

/// The step's own rule of step `step` (0–2) of [`Rules::Eligibility`]
/// (the queue's, [`eligibility_queue`], applies on top).
pub fn eligibility_step(step: usize) -> Option<Expression> {
    let team = || Expression::attribute("team", Comparison::Eq, Operand::Text(STEP0_TEAM.into()));
    match step {
        0 => Some(team()),
        1 => Some(Expression::Any(vec![
            team(),
            Expression::attribute("tenure", Comparison::Gt, Operand::Number(STEP1_TENURE)),
        ])),
        _ => None,
    }
}

/// The queue-level rule of [`Rules::Eligibility`].
pub fn eligibility_queue() -> Expression {
    Expression::attribute("language", Comparison::Eq, Operand::Interaction("language".into()))
}

/// What agents do once added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Staffing {
    /// Logged in and ready: work is routed to them.
    Ready,
    /// Logged in and paused: nothing routes, everything that arrives waits.
    Paused,
}

/// What to build.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// How requirement sets are drawn.
    pub mode: Mode,
    /// How many agents (10,000 for the full-size scene).
    pub agents: u64,
    /// Whether agents are ready or paused.
    pub staffing: Staffing,
    /// Whether to add the 20 unstaffed queues.
    pub unstaffed_queues: bool,
    /// How the engine finds a decision's candidates.
    pub index: RoutingIndex,
    /// The routing rules of the staffed queues (issue #12), if any.
    pub rules: Rules,
}

/// An engine and the bookkeeping of the host driving it: the next id, the
/// arrival generator, and which agent holds which interaction.
pub struct Scene {
    /// The engine under measurement.
    pub engine: Engine,
    /// The scene's clock; [`Scene::tick`] moves it on by a millisecond.
    pub now: Timestamp,
    /// What was built.
    pub spec: Spec,
    rng: SimRng,
    /// Interactions' languages, under [`Rules::Eligibility`].
    language_rng: SimRng,
    /// Requirement sets per staffed queue (index `q - 1`), for [`Mode::Catalogue`].
    catalogue: Vec<Vec<Requirements>>,
    next_id: u64,
    /// Interactions waiting (arrived or re-queued, not yet offered), by the harness's count.
    waiting: u64,
    /// Connected interactions, oldest first.
    pub connected: VecDeque<(AgentId, InteractionId)>,
}

fn level(rng: &mut SimRng) -> Proficiency {
    Proficiency::new(1 + rng.below(5) as u8).expect("1 to 5 are proficiencies")
}

/// The home skills of queue `queue` (1-based; unstaffed queue `q + 20` has queue `q`'s home).
pub fn home_skills(queue: u64) -> Vec<SkillId> {
    let q = (queue - 1) % QUEUES;
    let start = q * SKILLS / QUEUES;
    (0..HOME_SKILLS).map(|j| SkillId((start + j) % SKILLS + 1)).collect()
}

/// 1–3 distinct home skills of `queue` at levels 1–5.
fn draw_requirements(rng: &mut SimRng, queue: u64) -> Requirements {
    let home = home_skills(queue);
    let n = 1 + rng.below(3) as usize;
    let mut picked: Vec<(SkillId, Proficiency)> = Vec::with_capacity(n);
    while picked.len() < n {
        let skill = home[rng.below(home.len() as u64) as usize];
        if !picked.iter().any(|(k, _)| *k == skill) {
            picked.push((skill, level(rng)));
        }
    }
    Requirements::from_pairs(picked)
}

/// The engine configuration of every scene: limits raised so that a million
/// interactions, and as many distinct requirement sets, fit; offers that
/// never time out during a run (they are accepted at once anyway).
pub fn config(index: RoutingIndex) -> EngineConfig {
    let mut limits = Limits::default();
    (limits.max_interactions, limits.max_signatures) = (4_000_000, 4_000_000);
    EngineConfig::builder()
        .limits(limits)
        .offer_timeout(Duration::from_secs(3_600))
        .routing_index(index)
        .build()
        .expect("a valid configuration")
}

impl Scene {
    /// Skills and queues only: no agents yet (add them with [`Scene::staff`]).
    pub fn configure(spec: Spec) -> Scene {
        let mut catalogue_rng = SimRng::new(SEED, CATALOGUE_STREAM);
        let catalogue = (1..=QUEUES)
            .map(|q| {
                let mut sets: Vec<Requirements> = Vec::with_capacity(CATALOGUE_PER_QUEUE);
                while sets.len() < CATALOGUE_PER_QUEUE {
                    let set = draw_requirements(&mut catalogue_rng, q);
                    if !sets.contains(&set) {
                        sets.push(set);
                    }
                }
                sets
            })
            .collect();
        let mut s = Scene {
            engine: Engine::new(config(spec.index)),
            now: Timestamp::from_secs(1_700_000_000),
            spec,
            rng: SimRng::new(SEED, ARRIVAL_STREAM),
            language_rng: SimRng::new(SEED, LANGUAGE_STREAM),
            catalogue,
            next_id: 1,
            waiting: 0,
            connected: VecDeque::new(),
        };
        for skill in 1..=SKILLS {
            s.handle(Command::AddSkill { skill: SkillId(skill), name: format!("skill {skill}") });
        }
        if spec.rules == Rules::Eligibility {
            for (name, kind) in
                [("team", AttributeKind::Text), ("language", AttributeKind::Text), ("tenure", AttributeKind::Number)]
            {
                s.handle(Command::AddAgentAttribute { name: name.into(), kind });
            }
        }
        let queues = if spec.unstaffed_queues { 2 * QUEUES } else { QUEUES };
        for q in 1..=queues {
            let name = if q <= QUEUES { format!("queue {q}") } else { format!("unstaffed {q}") };
            let mut queue = QueueConfig::new(QueueId(q), name, [Channel::Voice, Channel::Chat]).with_aging(1);
            if spec.rules == Rules::Steps && q <= QUEUES {
                let skill = home_skills(q)[0];
                let at = |level| Requirements::from_pairs([(skill, Proficiency::new(level).expect("1 to 5"))]);
                queue = queue.with_steps(vec![
                    RoutingStep::new(at(4)).expiring_after(Duration::from_secs(30)),
                    RoutingStep::new(at(2)).expiring_after(Duration::from_secs(30)),
                    RoutingStep::new(Requirements::none()),
                ]);
                let mut rules = vec![ExceptionRule::new(Duration::from_secs(60), ExceptionAction::Alert)];
                if q > 1 {
                    let overflow = ExceptionAction::Move { queue: QueueId(q - 1), keep_place: true };
                    rules.push(ExceptionRule::new(Duration::from_secs(120), overflow));
                }
                queue = queue.with_exception_rules(rules);
            }
            if spec.rules == Rules::Eligibility && q <= QUEUES {
                let step = |k: usize, expiry: Option<u64>| {
                    let mut step = RoutingStep::new(Requirements::none());
                    if let Some(rule) = eligibility_step(k) {
                        step = step.with_eligibility(rule);
                    }
                    match expiry {
                        Some(secs) => step.expiring_after(Duration::from_secs(secs)),
                        None => step,
                    }
                };
                queue = queue.with_eligibility(eligibility_queue()).with_steps(vec![
                    step(0, Some(30)),
                    step(1, Some(30)),
                    step(2, None),
                ]);
            }
            s.handle(Command::AddQueue(queue));
        }
        s
    }

    /// Adds the agents, logs them in, and pauses them if the spec says so.
    pub fn staff(&mut self) {
        let mut rng = SimRng::new(SEED, AGENT_STREAM);
        let mut attribute_rng = SimRng::new(SEED, ATTRIBUTE_STREAM);
        for a in 1..=self.spec.agents {
            let mut queues: Vec<u64> = Vec::with_capacity(QUEUES_PER_AGENT);
            while queues.len() < QUEUES_PER_AGENT {
                let q = 1 + rng.below(QUEUES);
                if !queues.contains(&q) {
                    queues.push(q);
                }
            }
            let mut union: Vec<SkillId> = queues.iter().flat_map(|q| home_skills(*q)).collect();
            union.sort_unstable();
            union.dedup();
            let mut skills: Vec<(SkillId, Proficiency)> = Vec::with_capacity(SKILLS_PER_AGENT);
            while skills.len() < SKILLS_PER_AGENT {
                let skill = union[rng.below(union.len() as u64) as usize];
                if !skills.iter().any(|(k, _)| *k == skill) {
                    skills.push((skill, level(&mut rng)));
                }
            }
            let capacity = CapacityProfile::new(100)
                .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
                .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(50));
            let mut config = AgentConfig::new(AgentId(a), capacity).with_skills(SkillSet::from_pairs(skills));
            for q in queues {
                config = config.with_queue(QueueMembership::new(QueueId(q)));
            }
            if self.spec.rules == Rules::Eligibility {
                let team = TEAMS[attribute_rng.below(TEAMS.len() as u64) as usize];
                let language = LANGUAGES[attribute_rng.below(LANGUAGES.len() as u64) as usize];
                let tenure = attribute_rng.below(MAX_TENURE + 1) as i64;
                config = config.with_attributes(
                    AgentAttributes::new().with("team", team).with("language", language).with("tenure", tenure),
                );
            }
            self.handle(Command::AddAgent(config));
            self.handle(Command::Login { agent: AgentId(a) });
            if self.spec.staffing == Staffing::Paused {
                self.handle(Command::Pause { agent: AgentId(a), reason: ReasonCode(1) });
            }
        }
    }

    /// Under [`Rules::Eligibility`], panics unless every staffed queue has,
    /// for every language, members whom each routing step's rule admits
    /// (resolved as the engine resolves it, checked with the engine's own
    /// [`Expression::admits`] on the agents it holds): otherwise interactions
    /// of that language would never be offered in that step and a bench
    /// would time nothing. Returns the fewest such members found.
    pub fn assert_rules_staffed(&self) -> usize {
        if self.spec.rules != Rules::Eligibility {
            return usize::MAX;
        }
        let mut fewest = usize::MAX;
        for q in 1..=QUEUES {
            let members: Vec<&Agent> =
                self.engine.agents().filter(|a| a.config().queues.iter().any(|m| m.queue == QueueId(q))).collect();
            for language in LANGUAGES {
                let same = Expression::attribute("language", Comparison::Eq, Operand::Text(language.into()));
                for step in 0..3 {
                    let rule = match eligibility_step(step) {
                        Some(own) => Expression::All(vec![same.clone(), own]),
                        None => same.clone(),
                    };
                    let admitted = members
                        .iter()
                        .filter(|a| rule.admits(a.id(), &a.config().skills, &a.config().attributes))
                        .count();
                    assert!(admitted > 0, "queue {q}, language {language}, step {step}: no member qualifies");
                    fewest = fewest.min(admitted);
                }
            }
        }
        fewest
    }

    /// [`Scene::configure`] then [`Scene::staff`].
    pub fn new(spec: Spec) -> Scene {
        let mut s = Scene::configure(spec);
        s.staff();
        s
    }

    /// The engine's snapshot in its serialised form, for [`Scene::restored`].
    pub fn snapshot_json(&self) -> serde_json::Value {
        serde_json::to_value(self.engine.snapshot()).expect("a snapshot serialises")
    }

    /// This scene's state, as serialised in `json` by [`Scene::snapshot_json`],
    /// in an engine using `index`: the snapshot's configuration is changed in
    /// its serialised form (the snapshot has no setter for it) and the result
    /// restored, which checks it and rebuilds the routing structures from
    /// scratch. The host's bookkeeping (generator, ids, connected work) is
    /// copied, so copies restored from one snapshot see the same commands
    /// and, the engine being deterministic, make the same decisions.
    pub fn restored(&self, json: &serde_json::Value, index: RoutingIndex) -> Scene {
        let mut json = json.clone();
        json["config"]["routing_index"] = serde_json::to_value(index).expect("an index serialises");
        let snapshot: EngineSnapshot = serde_json::from_value(json).expect("the edited snapshot deserialises");
        let engine = Engine::restore(snapshot).expect("the edited snapshot restores");
        assert_eq!(engine.config().routing_index(), index, "the restored engine uses the new index");
        Scene {
            engine,
            now: self.now,
            spec: Spec { index, ..self.spec },
            rng: self.rng.clone(),
            language_rng: self.language_rng.clone(),
            catalogue: self.catalogue.clone(),
            next_id: self.next_id,
            waiting: self.waiting,
            connected: self.connected.clone(),
        }
    }

    /// Moves the clock on by a millisecond.
    pub fn tick(&mut self) {
        self.now = self.now + Duration::from_millis(1);
    }

    /// Interactions waiting, by the harness's count (staffed and unstaffed queues).
    pub fn waiting(&self) -> u64 {
        self.waiting
    }

    /// Interactions waiting, by the engine's count.
    pub fn engine_waiting(&self) -> u64 {
        self.engine.queues().map(|q| self.engine.waiting_count(q.id) as u64).sum()
    }

    /// A random staffed queue.
    pub fn staffed_queue(&mut self) -> QueueId {
        QueueId(1 + self.rng.below(QUEUES))
    }

    /// A random unstaffed queue (the scene must have them).
    pub fn unstaffed_queue(&mut self) -> QueueId {
        assert!(self.spec.unstaffed_queues, "the scene has unstaffed queues");
        QueueId(QUEUES + 1 + self.rng.below(QUEUES))
    }

    /// The next interaction for `queue`, as an `Arrive` command. Count it
    /// with [`Scene::arrived`] once handled.
    pub fn next_arrival(&mut self, queue: QueueId) -> (Command, InteractionId) {
        let id = InteractionId(self.next_id);
        self.next_id += 1;
        let channel = if self.rng.below(3) == 0 { Channel::Chat } else { Channel::Voice };
        let priority = self.rng.below(3) as i32;
        let requirements = match self.spec.mode {
            Mode::Diverse => draw_requirements(&mut self.rng, queue.0),
            Mode::Catalogue => {
                let sets = &self.catalogue[((queue.0 - 1) % QUEUES) as usize];
                sets[self.rng.below(sets.len() as u64) as usize].clone()
            }
        };
        let mut new = NewInteraction::new(id, channel, queue, CustomerId(id.0))
            .with_priority(priority)
            .with_requirements(requirements);
        if self.spec.rules == Rules::Eligibility {
            let language = LANGUAGES[self.language_rng.below(LANGUAGES.len() as u64) as usize];
            new = new.with_attributes(Attributes::new().with("language", language));
        }
        (Command::Arrive(new), id)
    }

    /// Counts an interaction that arrived (it waits until [`Scene::settle`] sees it offered).
    pub fn arrived(&mut self) {
        self.waiting += 1;
    }

    /// Counts an interaction taken out of line other than by an offer (cancelled).
    pub fn left_line(&mut self) {
        self.waiting -= 1;
    }

    /// Applies a command, then settles.
    pub fn handle(&mut self, command: Command) -> u64 {
        self.engine.handle(command, self.now).expect("bench commands are valid");
        self.settle()
    }

    /// Drains every event and accepts every offer, as agents' desktops
    /// would, until the engine is quiet. Returns the number of offers.
    pub fn settle(&mut self) -> u64 {
        let mut offers = Vec::new();
        let mut accepted = 0;
        loop {
            while let Some(e) = self.engine.poll_event() {
                if let EventKind::InteractionOffered(o) = e.kind {
                    offers.push((o.agent, o.id, o.interaction));
                }
            }
            if offers.is_empty() {
                return accepted;
            }
            for (agent, offer, interaction) in offers.drain(..) {
                // A parallel offer another agent of its group accepted first was rescinded.
                if self.engine.offer(offer).is_none() {
                    continue;
                }
                self.engine.handle(Command::Accept { agent, offer }, self.now).expect("the offer is pending");
                self.connected.push_back((agent, interaction));
                self.waiting -= 1;
                accepted += 1;
            }
        }
    }

    /// Sets every staffed queue to ring up to `agents` agents at once
    /// ([`QueueConfig::parallel_offers`](switchboard::QueueConfig::parallel_offers)).
    pub fn set_parallel_offers(&mut self, agents: u32) {
        for q in 1..=QUEUES {
            let queue = self.engine.queue(QueueId(q)).expect("staffed queues exist").clone();
            let update = Command::UpdateQueue { queue: queue.with_parallel_offers(agents), steps: WaitingSteps::Keep };
            self.handle(update);
        }
    }

    /// One arrival in `queue`, settled.
    pub fn arrive(&mut self, queue: QueueId) {
        let (command, _) = self.next_arrival(queue);
        self.engine.handle(command, self.now).expect("bench arrivals are valid");
        self.arrived();
        self.settle();
    }

    /// Arrivals in random staffed queues, a millisecond apart, until
    /// `waiting` interactions wait. With agents ready, this first fills
    /// every agent (what they accept does not wait).
    pub fn fill_staffed(&mut self, waiting: u64) {
        while self.waiting < waiting {
            self.tick();
            let q = self.staffed_queue();
            self.arrive(q);
        }
    }

    /// Arrivals in random unstaffed queues, a millisecond apart, until `waiting` interactions wait.
    pub fn fill_unstaffed(&mut self, waiting: u64) {
        while self.waiting < waiting {
            self.tick();
            let q = self.unstaffed_queue();
            self.arrive(q);
        }
    }

    /// Agents holding no work.
    pub fn idle_agents(&self) -> u64 {
        self.engine.agents().filter(|a| a.load().items() == 0).count() as u64
    }
}

/// `n` with thousands separated by commas, for the benches' tables.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
