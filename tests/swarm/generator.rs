//! The workload generator: from one seed, an engine configuration, a topology and a long
//! stream of commands, as customers, agents' desktops and supervisors would send them, mixed
//! with hostile input.
//!
//! Swarm testing: every seed also switches some kinds of command off (and weighs the rest
//! differently), because a workload that does everything a little explores less than many
//! workloads that each do a few things a lot.

use std::collections::BTreeMap;
use std::time::Duration;

use switchboard::host::*;
use switchboard::*;

use crate::classes::{Class, Classes};
use crate::rng::{Rng, Stream};

/// A typical "now": 2026-01-01T08:00:00Z.
const T_2026: i64 = 1_767_254_400_000;

/// Upper bounds on the world's size, so that a seed explores interactions between a few
/// things rather than memory; the engine's own limits are often lower (`SmallLimits`).
const MAX_SKILLS: u64 = 10;
const MAX_QUEUES: u64 = 8;
const MAX_AGENTS: u64 = 20;
const MAX_LIVE: usize = 150;

/// One kind of thing the workload does in a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Arrive,
    Complete,
    EndWrapUp,
    Disposition,
    Abandon,
    Cancel,
    Transfer,
    Pause,
    Resume,
    Login,
    Logout,
    SetSkills,
    SetQueues,
    AddAgent,
    RemoveAgent,
    AddQueue,
    AddSkill,
    /// A command that is probably wrong: unknown or duplicate ids, wrong states, huge values.
    Hostile,
    /// Several commands in one driver call.
    Batch,
    /// Time passes and the host ticks.
    Advance,
    /// The host wakes exactly at the engine's next deadline.
    AdvanceToDeadline,
}

/// How a desktop answers an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reaction {
    Accept,
    Reject,
    /// Another agent clicks "accept" on this offer (a hostile, wrong-agent answer).
    AcceptAsOther(AgentId),
}

/// The member delays mid-run membership changes may use without the engine re-routing a
/// queue's waiting work in an order restore does not keep (known bug (g)). A delay no member of
/// the queue has makes the engine re-route its waiting work list by list, lists ordered by
/// channel and then by requirement-signature id, which restore renumbers. So any delay is fine
/// in a queue where, on each channel, all waiting work needs the same (one list); otherwise only
/// a delay some other member already has.
#[derive(Clone, Debug, Default)]
pub struct Tiers {
    stable: std::collections::BTreeSet<QueueId>,
    delays: BTreeMap<QueueId, Vec<Duration>>,
}

impl Tiers {
    /// Whether a membership of `queue` with `delay` may be added.
    fn allow(&self, queue: QueueId, delay: Duration) -> bool {
        self.stable.contains(&queue)
            || self.delays.get(&queue).is_some_and(|d| d.iter().any(|x| x.as_millis() == delay.as_millis()))
    }
}

/// The answers desktops will give, by due time.
pub type Agenda = BTreeMap<(Timestamp, OfferId), (AgentId, Reaction)>;

/// Everything a seed fixes before the first command.
#[derive(Clone, Debug)]
pub struct Setup {
    pub config: EngineConfig,
    /// The channels the world uses: the built-in ones and the declared custom ones.
    pub channels: Vec<Channel>,
    pub t0: Timestamp,
    /// The first commands: skills, queues, agents and logins.
    pub topology: Vec<Command>,
    pub knobs: Knobs,
}

/// The per-seed swarm knobs.
#[derive(Clone, Debug)]
pub struct Knobs {
    pub steps: u64,
    /// `Some` to journal to a JSON-lines file with this flush policy; `None` for memory.
    pub jsonl: Option<FlushPolicy>,
    pub policy: OfferFailurePolicy,
    /// Chance per step of each fault.
    pub crash_p: f64,
    pub checkpoint_p: f64,
    pub tear_p: f64,
    pub jump_p: f64,
    pub backwards_p: f64,
    pub tamper_p: f64,
    /// One offer in `fail_one_in` is not delivered (0: all are).
    pub fail_one_in: u64,
    pub weights: Vec<(u32, Action)>,
}

/// Draws the configuration, topology and knobs of a seed, and the generator (which knows the
/// ids the topology used) for the rest of the run.
pub fn setup(seed: u64, classes: &Classes, max_steps: u64) -> (Setup, Generator) {
    let mut rng = Rng::new(seed, Stream::Setup);
    let (config, channels) = engine_config(&mut rng, classes);
    let t0 = start_time(&mut rng);
    let knobs = knobs(&mut rng, classes, max_steps);
    let mut g = Generator::new(seed, classes, &config, channels.clone());
    let topology = g.topology(&mut rng);
    (Setup { config, channels, t0, topology, knobs }, g)
}

fn engine_config(rng: &mut Rng, classes: &Classes) -> (EngineConfig, Vec<Channel>) {
    let mut b = EngineConfig::builder();
    let mut timeouts =
        vec![(3, 250u64), (10, 1_000), (10, 5_000), (20, 15_000), (10, 30_000), (5, 120_000), (2, 3_600_000)];
    if classes.on(Class::TinyTimeouts) {
        timeouts.extend([(4, 1), (3, 2), (3, 10)]);
    }
    let ms = rng.weighted(&timeouts).unwrap_or(15_000);
    b = b.offer_timeout(Duration::from_millis(ms));
    if classes.on(Class::ZeroOfferTimeout) && rng.chance(0.3) {
        // Under a millisecond, it would round to 0 ms in the engine: the builder must refuse it.
        let tiny = *rng.pick(&[Duration::ZERO, Duration::from_nanos(1), Duration::from_micros(999)]).unwrap();
        let refused = b.clone().offer_timeout(tiny).build();
        assert!(
            matches!(refused, Err(ConfigError::InvalidOfferTimeout { .. })),
            "the builder took an offer timeout of {tiny:?}: {refused:?}"
        );
    }
    if rng.chance(0.5) {
        b = b.missed_offer_pause(None);
    } else {
        b = b.missed_offer_pause(Some(ReasonCode(rng.range(0, 3))));
    }
    b = b.never_reoffer_to_decliners(rng.chance(0.3));
    let mut channels = Channel::BUILTIN.to_vec();
    for code in 1..=3u16 {
        if rng.chance(0.3) {
            let mode = if rng.chance(0.5) { ChannelMode::RealTime } else { ChannelMode::Deferrable };
            b = b.custom_channel(code, mode);
            channels.push(Channel::Custom(code));
        }
    }
    b = b.limits(limits(rng, classes));
    let config = b.build().expect("the swarm builds only valid configurations");
    (config, channels)
}

fn limits(rng: &mut Rng, classes: &Classes) -> Limits {
    if classes.on(Class::MaxLimits) && rng.chance(0.15) {
        return Limits::largest();
    }
    let mut l = Limits::default();
    if classes.on(Class::SmallLimits) && rng.chance(0.4) {
        // Each limit small half the time, so that one tight limit does not hide the others.
        let mut small =
            |default: u32, lo: u64, hi: u64| if rng.chance(0.5) { rng.range(lo, hi) as u32 } else { default };
        l.max_skills = small(l.max_skills, 1, 12);
        l.max_queues = small(l.max_queues, 1, 8);
        l.max_agents = small(l.max_agents, 1, 16);
        l.max_interactions = small(l.max_interactions, 1, 80);
        l.max_waiting_per_queue = small(l.max_waiting_per_queue, 1, 30);
        if classes.on(Class::SignatureLimit) {
            l.max_signatures = small(l.max_signatures, 1, 20);
        }
        l.max_requirements = small(l.max_requirements, 1, 4);
        l.max_queues_per_agent = small(l.max_queues_per_agent, 1, 6);
        l.max_attribute_bytes = small(l.max_attribute_bytes, 1, 200);
        l.max_aging_points_per_minute = small(l.max_aging_points_per_minute, 0, 60);
        l.max_name_bytes = small(l.max_name_bytes, 1, 40);
        l.max_missed_offers_in_a_row = small(l.max_missed_offers_in_a_row, 1, 5);
    }
    l
}

fn start_time(rng: &mut Rng) -> Timestamp {
    // Mostly today; sometimes the epoch, before it, or a thousand years ahead.
    let base = *rng.pick(&[T_2026, T_2026, T_2026, 0, -2_000_000_000_000, 33_000_000_000_000]).unwrap();
    Timestamp::from_millis(base + rng.range(0, 86_400_000) as i64)
}

fn knobs(rng: &mut Rng, classes: &Classes, max_steps: u64) -> Knobs {
    let on = |c: Class| classes.on(c);
    let rate = |rng: &mut Rng, class: Class, p: f64| if on(class) && rng.chance(0.8) { p } else { 0.0 };
    // A JSON-lines file in a temporary directory for some seeds (torn writes need one), the
    // shared in-memory journal for the others.
    let flush = if rng.chance(0.5) { FlushPolicy::EveryCommand } else { FlushPolicy::EveryBatch };
    let jsonl = rng.chance(0.4).then_some(flush);
    let policy = match rng.below(3) {
        0 => OfferFailurePolicy::PauseAgent(Driver::DELIVERY_FAILED),
        1 => OfferFailurePolicy::Reject,
        _ => OfferFailurePolicy::RejectAndPause(ReasonCode(9)),
    };
    let hostile = [Class::UnknownIds, Class::Duplicates, Class::WrongState, Class::HugeValues].into_iter().any(on);
    let base: [(u32, Action, bool); 21] = [
        (30, Action::Arrive, true),
        (14, Action::Complete, true),
        (3, Action::EndWrapUp, false),
        (2, Action::Disposition, false),
        (4, Action::Abandon, false),
        (2, Action::Cancel, false),
        (3, Action::Transfer, false),
        (3, Action::Pause, false),
        (5, Action::Resume, false),
        (4, Action::Login, false),
        (2, Action::Logout, false),
        (1, Action::SetSkills, false),
        (1, Action::SetQueues, false),
        (2, Action::AddAgent, false),
        (1, Action::RemoveAgent, false),
        (1, Action::AddQueue, false),
        (1, Action::AddSkill, false),
        (if hostile { 6 } else { 0 }, Action::Hostile, false),
        (3, Action::Batch, false),
        (22, Action::Advance, true),
        (4, Action::AdvanceToDeadline, false),
    ];
    // Swarm testing: each optional kind is switched off one seed in five, and the weight of
    // the others varies from a quarter to twice its base.
    let weights = base
        .iter()
        .map(|&(w, action, essential)| {
            let w = if !essential && rng.chance(0.2) { 0 } else { (w * rng.range(1, 8) as u32).div_ceil(4) };
            (w, action)
        })
        .collect();
    let steps = rng.range(max_steps / 8, max_steps).max(1);
    Knobs {
        steps,
        jsonl,
        policy,
        crash_p: rate(rng, Class::Crash, 0.004),
        checkpoint_p: 0.01,
        tear_p: if jsonl.is_some() { rate(rng, Class::TornWrite, 0.003) } else { 0.0 },
        jump_p: rate(rng, Class::ClockJump, 0.003),
        backwards_p: rate(rng, Class::TimeBackwards, 0.01),
        tamper_p: if [Class::CorruptSnapshot, Class::CounterOverflow, Class::ForgedSnapshot].into_iter().any(on) {
            0.003
        } else {
            0.0
        },
        fail_one_in: if on(Class::DeliveryFailure) && rng.chance(0.6) { rng.range(3, 20) } else { 0 },
        weights,
    }
}

/// The generator of commands: the world's ids and the agents' desktops.
#[derive(Clone, Debug)]
pub struct Generator {
    rng: Rng,
    desk: Rng,
    classes: Classes,
    limits: Limits,
    channels: Vec<Channel>,
    next_skill: u64,
    next_queue: u64,
    next_agent: u64,
    next_interaction: u64,
    /// Answers the desktops will give, by due time.
    agenda: Agenda,
}

impl Generator {
    pub fn new(seed: u64, classes: &Classes, config: &EngineConfig, channels: Vec<Channel>) -> Self {
        Generator {
            rng: Rng::new(seed, Stream::Workload),
            desk: Rng::new(seed, Stream::Desktop),
            classes: classes.clone(),
            limits: config.limits().clone(),
            channels,
            next_skill: 1,
            next_queue: 1,
            next_agent: 1,
            next_interaction: 1,
            agenda: BTreeMap::new(),
        }
    }

    fn on(&self, class: Class) -> bool {
        self.classes.on(class)
    }

    /// The first commands, drawn from the setup stream (so that the workload stream starts the
    /// same whatever the topology).
    fn topology(&mut self, rng: &mut Rng) -> Vec<Command> {
        std::mem::swap(&mut self.rng, rng);
        let mut out = Vec::new();
        for _ in 0..self.rng.range(1, 6) {
            out.push(self.add_skill());
        }
        // Mostly the skills the engine will take (ids within its limit), so that agents are not
        // refused for naming a skill it refused.
        let max = u64::from(self.limits.max_skills);
        let skills: Vec<SkillId> =
            (1..self.next_skill).filter(|s| *s <= max || self.rng.chance(0.1)).map(SkillId).collect();
        let mut queues = Vec::new();
        for _ in 0..self.rng.range(1, 5) {
            let q = self.queue_config(QueueId(self.next_queue), &skills);
            self.next_queue += 1;
            queues.push(q.clone());
            out.push(Command::AddQueue(q));
        }
        let queue_refs: Vec<&QueueConfig> = queues.iter().collect();
        for _ in 0..self.rng.range(1, 10) {
            let a = self.agent_config(AgentId(self.next_agent), &skills, &queue_refs, None);
            self.next_agent += 1;
            let id = a.id;
            out.push(Command::AddAgent(a));
            if self.rng.chance(0.8) {
                out.push(Command::Login { agent: id });
            }
        }
        std::mem::swap(&mut self.rng, rng);
        out
    }

    // ----- the world's parts -----

    fn add_skill(&mut self) -> Command {
        let skill = SkillId(self.next_skill);
        self.next_skill += 1;
        Command::AddSkill { skill, name: self.name("skill") }
    }

    /// A name, sometimes huge or odd (`HugeValues`).
    fn name(&mut self, kind: &str) -> String {
        if self.on(Class::HugeValues) && self.rng.chance(0.02) {
            return "é\"\\\n\u{0}🦀".repeat(self.rng.range(1_000, 4_000) as usize);
        }
        format!("{kind}-{}", self.rng.below(1_000))
    }

    fn level(&mut self) -> Proficiency {
        let l = *self.rng.pick(&[1u8, 1, 2, 2, 3, 3, 4, 5]).unwrap();
        Proficiency::new(l).expect("levels are 1 to 5")
    }

    /// Up to `max` requirements; none half the time.
    fn requirements(&mut self, skills: &[SkillId], max: u64) -> Requirements {
        let n = if self.rng.chance(0.5) { 0 } else { self.rng.range(1, max) };
        let mut pairs = Vec::new();
        for _ in 0..n {
            if let Some(s) = self.rng.pick(skills).copied() {
                pairs.push((s, self.level()));
            }
        }
        Requirements::from_pairs(pairs)
    }

    /// A random duration from a menu of (weight, milliseconds), with `Duration::MAX` added under
    /// `HugeDurations`.
    fn duration(&mut self, menu: &[(u32, u64)]) -> Duration {
        if self.on(Class::HugeDurations) && self.rng.chance(0.02) {
            let huge = [Duration::MAX, Duration::from_secs(u64::MAX / 2), Duration::from_secs(3_650 * 86_400)];
            return *self.rng.pick(&huge).unwrap();
        }
        Duration::from_millis(self.rng.weighted(menu).unwrap_or(0))
    }

    fn queue_config(&mut self, id: QueueId, skills: &[SkillId]) -> QueueConfig {
        let n = self.rng.range(1, 3) as usize;
        let mut channels = Vec::new();
        while channels.len() < n {
            let c = *self.rng.pick(&self.channels).unwrap();
            if !channels.contains(&c) {
                channels.push(c);
            }
        }
        let strategies = [
            AgentSelection::LongestIdle,
            AgentSelection::MostProficient,
            AgentSelection::LeastOccupied,
            AgentSelection::RoundRobin,
            AgentSelection::FewestContacts,
        ];
        let name = self.name("queue");
        let mut q = QueueConfig::new(id, name, channels)
            .with_requirements(self.requirements(skills, 2))
            .with_strategy(*self.rng.pick(&strategies).unwrap())
            .with_priority(self.rng.range(0, 6) as i32 - 3)
            .with_service_level(ServiceLevelTarget::new(
                self.rng.range(1, 100) as u8,
                Duration::from_secs(self.rng.range(1, 120)),
            ))
            .with_wrap_up(self.duration(&[(8, 0), (1, 1), (3, 2_000), (3, 10_000), (2, 30_000), (1, 300_000)]));
        if self.rng.chance(0.35) {
            q = q.with_aging(self.rng.range(1, 10) as u32);
        }
        if self.rng.chance(0.35) {
            q = q.with_max_waiting(self.rng.range(1, 20) as u32);
        }
        if self.rng.chance(0.35) {
            let mut menu = vec![(2, 500u64), (3, 3_000), (3, 20_000), (1, 600_000)];
            if self.on(Class::TinyTimeouts) {
                menu.extend([(2, 1), (1, 2)]);
            }
            q = q.with_offer_timeout(self.duration(&menu).max(Duration::from_millis(1)));
        }
        if self.on(Class::ZeroOfferTimeout) && self.rng.chance(0.1) {
            q = q.with_offer_timeout(Duration::ZERO);
        }
        if self.on(Class::HugeValues) && self.rng.chance(0.05) {
            q = q.with_priority(*self.rng.pick(&[i32::MIN, i32::MAX]).unwrap());
            let max = self.limits.max_aging_points_per_minute;
            q = q.with_aging(*self.rng.pick(&[max, max.saturating_add(1), u32::MAX]).unwrap());
        }
        q
    }

    /// A capacity profile, its channels mostly among `wanted` (the channels of the agent's
    /// queues), so that most agents can take most of their queues' work.
    fn capacity(&mut self, wanted: &[Channel]) -> CapacityProfile {
        let pick = |g: &mut Generator| {
            let from = if wanted.is_empty() || g.rng.chance(0.15) { &g.channels } else { wanted };
            *g.rng.pick(from).unwrap()
        };
        match self.rng.below(4) {
            0 => {
                let c = pick(self);
                CapacityProfile::single(c, self.rng.range(1, 3) as u32)
            }
            1 => CapacityProfile::new(100)
                .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
                .with_channel(Channel::Chat, ChannelCapacity::new(3).with_units(30))
                .with_channel(Channel::Email, ChannelCapacity::new(2).with_units(20)),
            _ => {
                let total = self.rng.range(1, 100) as u32;
                let mut p = CapacityProfile::new(total);
                for _ in 0..self.rng.range(1, 3) {
                    let c = pick(self);
                    let units = self.rng.range(0, u64::from(total)) as u32;
                    p = p.with_channel(
                        c,
                        ChannelCapacity::new(self.rng.range(1, 4) as u32)
                            .with_units(units)
                            .with_exclusive(self.rng.chance(0.15)),
                    );
                }
                p
            }
        }
    }

    /// Skills, mostly at the higher levels: requirements are mostly at the lower ones.
    fn skill_set(&mut self, skills: &[SkillId]) -> SkillSet {
        let mut pairs = Vec::new();
        for s in skills {
            if self.rng.chance(0.7) {
                let l = *self.rng.pick(&[1u8, 2, 3, 3, 4, 4, 5, 5]).unwrap();
                pairs.push((*s, Proficiency::new(l).expect("levels are 1 to 5")));
            }
        }
        SkillSet::from_pairs(pairs)
    }

    /// Memberships of some of `queues`, within `tiers` if given (a queue whose tiers allow no
    /// delay is left out).
    fn memberships(&mut self, queues: &[QueueId], tiers: Option<&Tiers>) -> Vec<QueueMembership> {
        let mut out = Vec::new();
        for q in queues {
            if self.rng.chance(0.6) {
                let mut m = QueueMembership::new(*q);
                if self.rng.chance(0.4) {
                    m = m.with_priority(self.rng.range(0, 5) as i32 - 2);
                }
                let delay = match tiers {
                    Some(tiers) if !tiers.stable.contains(q) => {
                        match tiers.delays.get(q).and_then(|d| self.rng.pick(d)) {
                            Some(d) => *d,
                            None => continue,
                        }
                    }
                    _ => self.duration(&[(14, 0), (3, 1_000), (2, 8_000), (1, 60_000), (1, 1)]),
                };
                out.push(m.with_delay(delay));
            }
        }
        if self.rng.chance(0.3) {
            out.reverse(); // membership order is the host's, not the engine's
        }
        if self.rng.chance(0.9) {
            out.truncate(self.limits.max_queues_per_agent as usize); // mostly within the limit
        }
        out
    }

    fn agent_config(
        &mut self,
        id: AgentId,
        skills: &[SkillId],
        queues: &[&QueueConfig],
        tiers: Option<&Tiers>,
    ) -> AgentConfig {
        let ids: Vec<QueueId> = queues.iter().map(|q| q.id).collect();
        let memberships = self.memberships(&ids, tiers);
        let mut wanted: Vec<Channel> = Vec::new();
        for q in queues.iter().filter(|q| memberships.iter().any(|m| m.queue == q.id)) {
            for c in &q.channels {
                if !wanted.contains(c) {
                    wanted.push(*c);
                }
            }
        }
        let skills = self.staffed_skills(skills, queues, &memberships);
        let mut a = AgentConfig::new(id, self.capacity(&wanted)).with_skills(skills);
        a.queues = memberships;
        a
    }

    /// Random skills, mostly topped up to meet the requirements of the agent's queues, as
    /// agents are staffed.
    fn staffed_skills(
        &mut self,
        skills: &[SkillId],
        queues: &[&QueueConfig],
        memberships: &[QueueMembership],
    ) -> SkillSet {
        let mut pairs: Vec<(SkillId, Proficiency)> = self.skill_set(skills).iter().collect();
        for q in queues.iter().filter(|q| memberships.iter().any(|m| m.queue == q.id)) {
            for r in q.requirements.iter() {
                if self.rng.chance(0.8) {
                    pairs.push((r.skill, r.min_level.max(self.level())));
                }
            }
        }
        // `from_pairs` keeps the last level of a skill listed twice: keep the higher one.
        pairs.sort();
        SkillSet::from_pairs(pairs)
    }

    /// A supervisor's change to an agent's queues: mostly one queue joined or left, sometimes a
    /// whole new routing profile.
    fn changed_memberships(&mut self, engine: &Engine, agent: AgentId) -> Option<Vec<QueueMembership>> {
        let tiers = self.delay_tiers(engine, Some(agent));
        let queues = Self::queue_ids(engine);
        let mut current = engine.agent(agent)?.config().queues.clone();
        // The engine re-adds the memberships an agent keeps, too: keep only those that fit.
        if let Some(tiers) = &tiers {
            current.retain(|m| tiers.allow(m.queue, m.delay));
        }
        if self.rng.chance(0.25) {
            return Some(self.memberships(&queues, tiers.as_ref()));
        }
        let joinable: Vec<QueueId> = queues.iter().copied().filter(|q| current.iter().all(|m| m.queue != *q)).collect();
        if current.is_empty() || (!joinable.is_empty() && self.rng.chance(0.6)) {
            let q = *self.rng.pick(&joinable)?;
            // Usually a membership to that queue (within the tiers), retried a few times.
            for _ in 0..4 {
                if let Some(m) = self.memberships(&[q], tiers.as_ref()).pop() {
                    current.push(m);
                    break;
                }
            }
        } else {
            current.remove(self.rng.below(current.len() as u64) as usize);
        }
        Some(current)
    }

    /// The tiers mid-run membership changes must keep to (`NewDelayTier` off), leaving out
    /// `changing`'s own memberships (the engine drops an agent's memberships before adding the
    /// new ones); `None` when they may add any.
    fn delay_tiers(&self, engine: &Engine, changing: Option<AgentId>) -> Option<Tiers> {
        if self.on(Class::NewDelayTier) {
            return None;
        }
        let mut tiers = Tiers::default();
        let mut lists: BTreeMap<(QueueId, Channel), Vec<&Requirements>> = BTreeMap::new();
        for i in engine.interactions().filter(|i| i.state() == InteractionState::Queued) {
            let list = lists.entry((i.queue(), i.channel())).or_default();
            if !list.contains(&i.requirements()) {
                list.push(i.requirements());
            }
        }
        for q in engine.queues() {
            if lists.range((q.id, Channel::Voice)..).take_while(|((id, _), _)| *id == q.id).all(|(_, l)| l.len() <= 1) {
                tiers.stable.insert(q.id);
            }
        }
        for a in engine.agents().filter(|a| Some(a.id()) != changing) {
            for m in &a.config().queues {
                tiers.delays.entry(m.queue).or_default().push(m.delay);
            }
        }
        Some(tiers)
    }

    // ----- views of the engine the workload aims at -----

    fn skills(&self, engine: &Engine) -> Vec<SkillId> {
        (1..self.next_skill).map(SkillId).filter(|s| engine.skill_name(*s).is_some()).collect()
    }

    fn queue_ids(engine: &Engine) -> Vec<QueueId> {
        engine.queues().map(|q| q.id).collect()
    }

    fn agents_where(engine: &Engine, f: impl Fn(&Agent) -> bool) -> Vec<AgentId> {
        engine.agents().filter(|a| f(a)).map(|a| a.id()).collect()
    }

    fn interactions_where(engine: &Engine, f: impl Fn(&Interaction) -> bool) -> Vec<(InteractionId, InteractionState)> {
        engine.interactions().filter(|i| f(i)).map(|i| (i.id(), i.state())).collect()
    }

    /// An interaction id: usually fresh; sometimes an old one, which is live (a duplicate) or
    /// has ended (a legitimate reuse).
    fn interaction_id(&mut self) -> InteractionId {
        if self.next_interaction > 1 && self.rng.chance(0.06) {
            return InteractionId(self.rng.range(1, self.next_interaction - 1));
        }
        let id = InteractionId(self.next_interaction);
        self.next_interaction += 1;
        id
    }

    fn unknown_agent(&mut self) -> AgentId {
        AgentId(*self.rng.pick(&[0, u64::MAX, MAX_AGENTS + 1_000]).unwrap())
    }

    // ----- the stream -----

    pub fn action(&mut self, weights: &[(u32, Action)]) -> Action {
        self.rng.weighted(weights).unwrap_or(Action::Advance)
    }

    /// How long until the next step, before the runner's caps.
    pub fn advance(&mut self) -> Duration {
        let ms = match self.rng.below(20) {
            0..=5 => self.rng.range(0, 50),
            6..=13 => self.rng.range(50, 5_000),
            14..=18 => self.rng.range(5_000, 120_000),
            _ => self.rng.range(120_000, 1_800_000),
        };
        Duration::from_millis(ms)
    }

    /// One command for `action`, aimed at what the engine holds now; `None` if there is
    /// nothing to aim at (no connected interaction to complete, …).
    pub fn command(&mut self, action: Action, engine: &Engine) -> Option<Command> {
        match action {
            Action::Arrive => self.arrive(engine),
            Action::Complete => {
                let (i, s) = *self.rng.pick(&Self::interactions_where(engine, |i| {
                    matches!(i.state(), InteractionState::Connected { .. })
                }))?;
                let InteractionState::Connected { agent } = s else { return None };
                Some(Command::Complete { agent, interaction: i })
            }
            Action::EndWrapUp => {
                let (i, s) = *self.rng.pick(&Self::interactions_where(engine, |i| {
                    matches!(i.state(), InteractionState::WrapUp { .. })
                }))?;
                let InteractionState::WrapUp { agent } = s else { return None };
                Some(Command::EndWrapUp { agent, interaction: i })
            }
            Action::Disposition => {
                let held = Self::interactions_where(engine, |i| {
                    matches!(i.state(), InteractionState::Connected { .. } | InteractionState::WrapUp { .. })
                });
                let (i, s) = *self.rng.pick(&held)?;
                let (InteractionState::Connected { agent } | InteractionState::WrapUp { agent }) = s else {
                    return None;
                };
                let code = if self.on(Class::HugeValues) && self.rng.chance(0.1) {
                    "x".repeat(self.rng.range(100, 10_000) as usize)
                } else {
                    (*self.rng.pick(&["resolved", "sale", "escalated"]).unwrap()).to_string()
                };
                let notes = self.rng.chance(0.3).then(|| "called back".to_string());
                Some(Command::Disposition { agent, interaction: i, code, notes })
            }
            Action::Abandon | Action::Cancel => {
                let waiting = Self::interactions_where(engine, |i| {
                    matches!(i.state(), InteractionState::Queued | InteractionState::Offered { .. })
                });
                let (interaction, _) = *self.rng.pick(&waiting)?;
                Some(if action == Action::Abandon {
                    Command::Abandon { interaction }
                } else {
                    Command::Cancel { interaction }
                })
            }
            Action::Transfer => {
                let (interaction, _) = *self.rng.pick(&Self::interactions_where(engine, |_| true))?;
                let queue = *self.rng.pick(&Self::queue_ids(engine))?;
                Some(Command::Transfer { interaction, queue })
            }
            Action::Pause => {
                let agent = *self.rng.pick(&Self::agents_where(engine, |a| a.presence() != Presence::Offline))?;
                Some(Command::Pause { agent, reason: ReasonCode(self.rng.range(1, 5)) })
            }
            Action::Resume => {
                let agent =
                    *self.rng.pick(&Self::agents_where(engine, |a| matches!(a.presence(), Presence::Paused(_))))?;
                Some(Command::Resume { agent })
            }
            Action::Login => {
                let agent = *self.rng.pick(&Self::agents_where(engine, |a| a.presence() == Presence::Offline))?;
                Some(Command::Login { agent })
            }
            Action::Logout => {
                let agent = *self.rng.pick(&Self::agents_where(engine, |a| a.presence() != Presence::Offline))?;
                Some(Command::Logout { agent })
            }
            Action::SetSkills => {
                let agent = *self.rng.pick(&Self::agents_where(engine, |_| true))?;
                let memberships = engine.agent(agent)?.config().queues.clone();
                let queues: Vec<&QueueConfig> = engine.queues().collect();
                let skills = self.staffed_skills(&self.skills(engine), &queues, &memberships);
                Some(Command::SetAgentSkills { agent, skills })
            }
            Action::SetQueues => {
                let agent = *self.rng.pick(&Self::agents_where(engine, |_| true))?;
                let queues = self.changed_memberships(engine, agent)?;
                Some(Command::SetAgentQueues { agent, queues })
            }
            Action::AddAgent => {
                // A new id while there are some left, else the id of an agent removed earlier.
                let id = if self.next_agent <= MAX_AGENTS {
                    self.next_agent += 1;
                    AgentId(self.next_agent - 1)
                } else {
                    let free: Vec<AgentId> =
                        (1..=MAX_AGENTS).map(AgentId).filter(|a| engine.agent(*a).is_none()).collect();
                    *self.rng.pick(&free)?
                };
                let tiers = self.delay_tiers(engine, None);
                let queues: Vec<&QueueConfig> = engine.queues().collect();
                Some(Command::AddAgent(self.agent_config(id, &self.skills(engine), &queues, tiers.as_ref())))
            }
            Action::RemoveAgent => {
                let idle = Self::agents_where(engine, |a| a.presence() == Presence::Offline && a.load().items() == 0);
                let agent = *self.rng.pick(&idle)?;
                Some(Command::RemoveAgent { agent })
            }
            Action::AddQueue if self.next_queue <= MAX_QUEUES => {
                let q = self.queue_config(QueueId(self.next_queue), &self.skills(engine));
                self.next_queue += 1;
                Some(Command::AddQueue(q))
            }
            Action::AddSkill if self.next_skill <= MAX_SKILLS => Some(self.add_skill()),
            Action::Hostile => Some(self.hostile(engine)),
            Action::AddQueue | Action::AddSkill => None,
            Action::Batch | Action::Advance | Action::AdvanceToDeadline => None,
        }
    }

    /// Two to five commands for one driver call.
    pub fn batch(&mut self, engine: &Engine, weights: &[(u32, Action)]) -> Vec<Command> {
        let mut out = Vec::new();
        for _ in 0..self.rng.range(2, 5) {
            let action = self.action(weights);
            if !matches!(action, Action::Batch | Action::Advance | Action::AdvanceToDeadline) {
                out.extend(self.command(action, engine));
            }
        }
        out
    }

    fn arrive(&mut self, engine: &Engine) -> Option<Command> {
        if engine.interactions().nth(MAX_LIVE).is_some() {
            return None;
        }
        // Mostly work some member of the queue works the channel of, as contact centers staff
        // their queues; sometimes any queue and channel.
        let served: Vec<(QueueId, Channel)> = engine
            .queues()
            .flat_map(|q| q.channels.iter().map(move |c| (q.id, *c)))
            .filter(|(q, c)| {
                engine.agents().any(|a| {
                    a.config().queues.iter().any(|m| m.queue == *q) && a.config().capacity.channel(*c).is_some()
                })
            })
            .collect();
        let queue = self.rng.pick(&engine.queues().collect::<Vec<_>>()).map(|q| (*q).clone())?;
        let (queue, channel) = match self.rng.pick(&served).copied() {
            Some((q, c)) if self.rng.chance(0.85) => (engine.queue(q).expect("served queues exist").clone(), c),
            _ if self.rng.chance(0.95) => {
                let c = *self.rng.pick(&queue.channels).unwrap();
                (queue, c)
            }
            _ => {
                let c = *self.rng.pick(&self.channels).unwrap();
                (queue, c)
            }
        };
        let id = self.interaction_id();
        let customer = CustomerId(self.rng.range(1, 40));
        let requirements = self.own_requirements(engine, &queue, channel);
        let mut new = NewInteraction::new(id, channel, queue.id, customer)
            .with_requirements(requirements)
            .with_priority(self.rng.range(0, 10) as i32 - 5);
        if self.rng.chance(0.3) {
            new = new.with_case(CaseId(self.rng.range(1, 20)));
        }
        if self.rng.chance(0.3) {
            let region = *self.rng.pick(&["north", "south", "fr", "vip"]).unwrap();
            new = new.with_attributes(Attributes::new().with("region", region));
        }
        if self.on(Class::HugeValues) && self.rng.chance(0.03) {
            new = new.with_priority(*self.rng.pick(&[i32::MIN, i32::MAX]).unwrap());
            let big = "v".repeat(self.rng.range(100, 6_000) as usize);
            new = new.with_attributes(Attributes::new().with("notes", big));
        }
        Some(Command::Arrive(new))
    }

    /// An arrival's own requirements: mostly some of the skills of an agent who serves the
    /// queue on the channel (at or below their levels), sometimes anything.
    fn own_requirements(&mut self, engine: &Engine, queue: &QueueConfig, channel: Channel) -> Requirements {
        let servers: Vec<&Agent> = engine
            .agents()
            .filter(|a| {
                a.config().queues.iter().any(|m| m.queue == queue.id) && a.config().capacity.channel(channel).is_some()
            })
            .collect();
        match self.rng.pick(&servers) {
            Some(agent) if self.rng.chance(0.8) => {
                let held: Vec<(SkillId, Proficiency)> = agent.config().skills.iter().collect();
                let mut pairs = Vec::new();
                for _ in 0..self.rng.range(0, 2) {
                    if let Some((skill, level)) = self.rng.pick(&held).copied() {
                        let below = Proficiency::new(self.rng.range(1, u64::from(level.level())) as u8);
                        pairs.push((skill, below.unwrap_or(Proficiency::MIN)));
                    }
                }
                Requirements::from_pairs(pairs)
            }
            _ => self.requirements(&self.skills(engine), 2),
        }
    }

    /// A command that is probably wrong, from the hostile classes switched on.
    fn hostile(&mut self, engine: &Engine) -> Command {
        let mut kinds = Vec::new();
        for (class, kind) in [
            (Class::UnknownIds, 0),
            (Class::UnknownIds, 1),
            (Class::Duplicates, 2),
            (Class::Duplicates, 3),
            (Class::WrongState, 4),
            (Class::WrongState, 5),
            (Class::HugeValues, 6),
        ] {
            if self.on(class) {
                kinds.push(kind);
            }
        }
        match self.rng.pick(&kinds).copied().unwrap_or(0) {
            0 => self.unknown_ids(engine),
            1 => self.unknown_ids_in_config(engine),
            2 => self.duplicate(engine),
            3 => self.duplicate_in_config(engine),
            4 | 5 => self.wrong_state(engine),
            _ => self.huge(engine),
        }
    }

    fn unknown_ids(&mut self, engine: &Engine) -> Command {
        let agent = self.unknown_agent();
        let known_agent = self.rng.pick(&Self::agents_where(engine, |_| true)).copied().unwrap_or(agent);
        let interaction = InteractionId(*self.rng.pick(&[0, u64::MAX, self.next_interaction + 500]).unwrap());
        let offer = OfferId(*self.rng.pick(&[0, u64::MAX, 1 << 40]).unwrap());
        let queue = QueueId(*self.rng.pick(&[0, u64::MAX, MAX_QUEUES + 7]).unwrap());
        match self.rng.below(10) {
            0 => Command::Accept { agent: known_agent, offer },
            1 => Command::Reject { agent, offer },
            2 => Command::Complete { agent: known_agent, interaction },
            3 => Command::Abandon { interaction },
            4 => Command::Transfer { interaction, queue },
            5 => Command::Login { agent },
            6 => Command::Pause { agent, reason: ReasonCode(u64::MAX) },
            7 => Command::RemoveAgent { agent },
            8 => {
                Command::Arrive(NewInteraction::new(self.interaction_id(), Channel::Chat, queue, CustomerId(u64::MAX)))
            }
            _ => {
                let Some(q) = engine.queues().next() else { return Command::Resume { agent } };
                // An undeclared custom channel, or a skill nobody registered.
                let new = NewInteraction::new(self.interaction_id(), Channel::Custom(u16::MAX), q.id, CustomerId(1));
                if self.rng.chance(0.5) {
                    Command::Arrive(new)
                } else {
                    let reqs = Requirements::from_pairs([(SkillId(u64::MAX), Proficiency::MAX)]);
                    let mut new = new.with_requirements(reqs);
                    new.channel = q.channels[0];
                    Command::Arrive(new)
                }
            }
        }
    }

    fn unknown_ids_in_config(&mut self, engine: &Engine) -> Command {
        let ghost_skill = SkillId(self.next_skill + 100);
        let ghost_queue = QueueId(self.next_queue + 100);
        let agent = self.rng.pick(&Self::agents_where(engine, |_| true)).copied();
        match (self.rng.below(4), agent) {
            (0, Some(agent)) => {
                Command::SetAgentSkills { agent, skills: SkillSet::from_pairs([(ghost_skill, Proficiency::MIN)]) }
            }
            (1, Some(agent)) => Command::SetAgentQueues { agent, queues: vec![QueueMembership::new(ghost_queue)] },
            (2, _) => {
                let q = QueueConfig::new(QueueId(self.next_queue), "ghost", [Channel::Custom(u16::MAX)]);
                Command::AddQueue(q)
            }
            _ => {
                let cap = CapacityProfile::single(Channel::Chat, 1);
                Command::AddAgent(
                    AgentConfig::new(AgentId(self.next_agent), cap).with_queue(QueueMembership::new(ghost_queue)),
                )
            }
        }
    }

    fn duplicate(&mut self, engine: &Engine) -> Command {
        if let Some((id, _)) = self.rng.pick(&Self::interactions_where(engine, |_| true)).copied() {
            if let Some(q) = engine.queues().next() {
                return Command::Arrive(NewInteraction::new(id, q.channels[0], q.id, CustomerId(1)));
            }
        }
        let logged_in = Self::agents_where(engine, |a| a.presence() != Presence::Offline);
        match self.rng.pick(&logged_in) {
            Some(agent) => Command::Login { agent: *agent },
            None => Command::AddSkill { skill: SkillId(1), name: "again".into() },
        }
    }

    fn duplicate_in_config(&mut self, engine: &Engine) -> Command {
        let queues = Self::queue_ids(engine);
        match self.rng.below(3) {
            0 => match engine.queues().next() {
                Some(q) => Command::AddQueue(q.clone()),
                None => Command::AddSkill { skill: SkillId(1), name: "again".into() },
            },
            1 => match engine.agents().next() {
                Some(a) => Command::AddAgent(a.config().clone()),
                None => Command::AddSkill { skill: SkillId(1), name: "again".into() },
            },
            _ => {
                let agent = self.rng.pick(&Self::agents_where(engine, |_| true)).copied().unwrap_or(AgentId(1));
                let q = queues.first().copied().unwrap_or(QueueId(1));
                Command::SetAgentQueues { agent, queues: vec![QueueMembership::new(q), QueueMembership::new(q)] }
            }
        }
    }

    /// Commands that name real things in the wrong state: what races between a desktop, a
    /// switch and a supervisor produce.
    fn wrong_state(&mut self, engine: &Engine) -> Command {
        let agents = Self::agents_where(engine, |_| true);
        let any_agent = self.rng.pick(&agents).copied().unwrap_or(AgentId(1));
        let live = Self::interactions_where(engine, |_| true);
        let Some((interaction, state)) = self.rng.pick(&live).copied() else {
            return Command::Resume { agent: any_agent };
        };
        match self.rng.below(9) {
            0 => Command::Complete { agent: any_agent, interaction },
            1 => Command::EndWrapUp { agent: any_agent, interaction },
            2 => Command::Disposition { agent: any_agent, interaction, code: "x".into(), notes: None },
            3 => Command::Cancel { interaction },
            4 => Command::Transfer { interaction, queue: engine.interaction(interaction).unwrap().queue() },
            5 => match state {
                InteractionState::Offered { offer, .. } => Command::Accept { agent: any_agent, offer },
                _ => Command::Abandon { interaction },
            },
            6 => Command::RemoveAgent { agent: any_agent },
            7 => Command::Resume { agent: any_agent },
            _ => {
                // An unusable capacity profile.
                let cap = match self.rng.below(4) {
                    0 => CapacityProfile::new(0).with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(0)),
                    1 => CapacityProfile::new(5),
                    2 => CapacityProfile::new(5).with_channel(Channel::Chat, ChannelCapacity::new(0)),
                    _ => CapacityProfile::new(5).with_channel(Channel::Chat, ChannelCapacity::new(1).with_units(6)),
                };
                Command::AddAgent(AgentConfig::new(AgentId(self.next_agent), cap))
            }
        }
    }

    fn huge(&mut self, engine: &Engine) -> Command {
        let queues = Self::queue_ids(engine);
        match self.rng.below(4) {
            0 => {
                let max = self.limits.max_requirements.min(40);
                let reqs = Requirements::from_pairs(
                    (0..=u64::from(max)).map(|s| (SkillId(s + 1), Proficiency::new(1 + (s % 5) as u8).unwrap())),
                );
                let q = queues.first().copied().unwrap_or(QueueId(1));
                let channel = engine.queue(q).map_or(Channel::Voice, |q| q.channels[0]);
                Command::Arrive(
                    NewInteraction::new(self.interaction_id(), channel, q, CustomerId(2)).with_requirements(reqs),
                )
            }
            1 => {
                let max = self.limits.max_queues_per_agent.min(300) as usize;
                let ms = (0..=max as u64)
                    .map(|q| QueueMembership::new(QueueId(q % (queues.len() as u64 + 1) + 1)))
                    .collect();
                Command::SetAgentQueues { agent: AgentId(1), queues: ms }
            }
            2 => {
                let q = QueueConfig::new(QueueId(self.next_queue), "a", [Channel::Chat])
                    .with_aging(self.limits.max_aging_points_per_minute.saturating_add(1));
                Command::AddQueue(q)
            }
            _ => Command::AddQueue(QueueConfig::new(QueueId(self.next_queue), "no channels", [])),
        }
    }

    // ----- desktops -----

    /// A desktop sees an offer ring: decide now when (and whether) it answers.
    pub fn on_offer(&mut self, offer: &Offer, at: Timestamp, engine_agents: &[AgentId]) {
        let ring_ms = offer.expires_at.millis_since(at).clamp(0, 600_000) as u64;
        let draw = self.desk.below(100);
        let reaction = match draw {
            0..=69 => Reaction::Accept,
            70..=81 => Reaction::Reject,
            82..=84 if self.on(Class::WrongState) => match self.desk.pick(engine_agents) {
                Some(other) => Reaction::AcceptAsOther(*other),
                None => return,
            },
            _ => return, // nobody answers: the offer rings out
        };
        // Mostly in time; sometimes just too late.
        let delay = self.desk.range(0, ring_ms + ring_ms / 4);
        let due = at + Duration::from_millis(delay);
        self.agenda.insert((due, offer.id), (offer.agent, reaction));
    }

    /// The answers due by `now`, at most `max`, earliest first.
    pub fn due_answers(&mut self, now: Timestamp, max: usize) -> Vec<Command> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some((&(due, offer), &(agent, reaction))) = self.agenda.iter().next() else { break };
            if due > now {
                break;
            }
            self.agenda.remove(&(due, offer));
            out.push(match reaction {
                Reaction::Accept => Command::Accept { agent, offer },
                Reaction::Reject => Command::Reject { agent, offer },
                Reaction::AcceptAsOther(other) => Command::Accept { agent: other, offer },
            });
        }
        out
    }

    /// When the next answer is due, if any.
    pub fn next_answer(&self) -> Option<Timestamp> {
        self.agenda.keys().next().map(|(due, _)| *due)
    }

    /// The desktops' pending answers, to roll back to after a torn write.
    pub fn agenda(&self) -> Agenda {
        self.agenda.clone()
    }

    pub fn set_agenda(&mut self, agenda: Agenda) {
        self.agenda = agenda;
    }

    /// Desktops forget everything (the drain answers offers itself).
    pub fn clear_agenda(&mut self) {
        self.agenda.clear();
    }
}
