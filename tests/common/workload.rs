//! A seeded contact-center workload for the routing guards of issue #10
//! (`tests/routing_replay.rs`, `tests/router_reference.rs`), written against the public API only.
//!
//! A workload has two halves:
//!
//! * **The plan**, [`generate`]: a `Vec<(Timestamp, Command)>` drawn from one seed with no
//!   engine in sight. It holds the topology (skills, queues with every [`AgentSelection`],
//!   priorities, aging, wrap-up and offer timeouts; agents with distinct skills, capacities,
//!   per-member priorities and delays), the customers (voice, video, chat, e-mail, SMS and
//!   callback arrivals with their own requirements, abandons, cancels and transfers) and the
//!   supervisors and agents (logins, pauses, resumes, logouts, skill and queue changes).
//! * **The desks**, [`Host`]: accepting, rejecting or ignoring an offer, completing a call,
//!   ending wrap-up early, resuming after a missed offer. These need ids the engine hands out
//!   (offer ids), so they are decided from the events alone, as a real host would: the same
//!   events give the same answers, whichever engine produced them. The commands a run actually
//!   sent, plan and answers merged in time order, are [`Recording::commands`].
//!
//! [`Host`] follows the run-loop rule: it moves time to the engine's `poll_timeout` whenever
//! that comes before the next command, and the caller drains `poll_event` after every step.
//! Plan commands that would be refused by then (abandoning a call already answered, resuming an
//! agent who is not paused, …) are skipped, judged from a [`Shadow`] kept from events alone, so
//! every command sent must succeed: a refusal means the events and the engine disagree.
//!
//! Random numbers come from SplitMix64, written out below: a named, portable algorithm whose
//! output can never change under us with a dependency upgrade, because the recorded fixtures
//! depend on every draw.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use switchboard::*;

/// The start of every workload: 2026-01-01T09:00:00Z.
pub const T0: i64 = 1_767_258_000_000;

/// Every agent-selection strategy. A new variant must be added here; the recorded fixtures use
/// the first [`FIXTURE_STRATEGIES`], so that adding one leaves them as they were.
pub const STRATEGIES: [AgentSelection; 10] = [
    AgentSelection::LongestIdle,
    AgentSelection::MostProficient,
    AgentSelection::LeastOccupied,
    AgentSelection::RoundRobin,
    AgentSelection::FewestContacts,
    AgentSelection::LeastTalkTime,
    AgentSelection::Linear,
    AgentSelection::MostAvailable,
    AgentSelection::Random,
    AgentSelection::WeightedRandom,
];

/// How many of [`STRATEGIES`] the recorded fixtures' queues use (those there when they were recorded).
pub const FIXTURE_STRATEGIES: usize = 5;
const STRATEGIES_FOR_FIXTURES: [AgentSelection; FIXTURE_STRATEGIES] =
    [STRATEGIES[0], STRATEGIES[1], STRATEGIES[2], STRATEGIES[3], STRATEGIES[4]];

/// The channel menus queues are built from: real-time only, deferrable only, and blended, over
/// voice, video and chat (real-time) and e-mail, SMS and callbacks (deferrable).
const QUEUE_CHANNELS: [&[Channel]; 8] = [
    &[Channel::Voice, Channel::Chat],
    &[Channel::Voice, Channel::Chat, Channel::Email],
    &[Channel::Chat, Channel::Email, Channel::Sms],
    &[Channel::Email, Channel::Sms, Channel::Callback],
    &[Channel::Voice, Channel::Video],
    &[Channel::Chat, Channel::Sms],
    &[Channel::Voice, Channel::Email, Channel::Callback],
    &[Channel::Chat, Channel::Video, Channel::Email],
];

/// The pause reasons the plan uses (the engine's own missed-offer reason is 0).
const PAUSE_REASONS: [ReasonCode; 3] = [ReasonCode(1), ReasonCode(2), ReasonCode(3)];

// ----- random numbers -----

/// SplitMix64 (Steele, Lea and Flood, 2014): tiny, portable and fixed forever.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0), by multiply-shift: no modulo bias worth the name.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi, "range {lo}..={hi}");
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// True `percent` times in a hundred.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A seed derived from two numbers, for independent streams (case `n` of a run, offer `n` of a desk).
pub fn mix(a: u64, b: u64) -> u64 {
    Rng::new(a ^ b.wrapping_mul(0xd605_bbb5_8c8a_bbb5)).next_u64()
}

fn level(l: i64) -> Proficiency {
    Proficiency::new(l as u8).expect("workload levels are 1 to 5")
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn secs(s: i64) -> i64 {
    s * 1_000
}

// ----- the plan -----

/// The size and make-up of a workload.
#[derive(Clone, Debug)]
pub struct Shape {
    pub skills: u64,
    pub queues: u64,
    pub agents: u64,
    /// How long customers keep arriving.
    pub minutes: i64,
    /// Mean gap between arrivals (uniform on 0 to twice this).
    pub arrival_gap_ms: i64,
    /// Queue `q` uses the strategies and channel menus in turn, so every strategy is there;
    /// otherwise both are drawn at random.
    pub every_strategy: bool,
    /// The strategies queues use: all of [`STRATEGIES`], or the fixtures' first few.
    pub strategies: &'static [AgentSelection],
    /// Some queues bound their waits (`max_wait`) and service-level thresholds vary (issue #11);
    /// drawn from a stream of their own, so workloads without them are unchanged.
    pub bounds: bool,
    /// Multitaskers who work voice or video beside other channels keep headroom for them
    /// ([`CapacityProfile::with_headroom`]), with thresholds drawn from a stream of their own,
    /// so that the rest of the workload is the same with or without it.
    pub headroom: bool,
    /// Agents who work e-mail beside a real-time channel may have it interruptible
    /// ([`CapacityProfile::with_interruptible`]), drawn from a stream of their own, so that the
    /// rest of the workload is the same with or without it.
    pub interruptible: bool,
    /// Some queues have routing steps (issue #12): requirements and priority that change while
    /// an interaction waits; drawn from a stream of their own.
    pub steps: bool,
    /// Agents carry attributes (team, tenure, language) that change during the run, and some
    /// queues and steps carry eligibility expressions over them, over skills, named agents and
    /// the interaction's language (issue #12 §2); drawn from a stream of their own.
    pub expressions: bool,
    /// Some queues follow business hours that open and close every few minutes, with every
    /// [`WhenClosed`] rule (issue #12 §4); drawn from a stream of their own.
    pub calendars: bool,
    /// Supervisors replace queue configurations during the run ([`Command::UpdateQueue`]):
    /// priority, aging, strategy, bounds, requirements, rules and steps (restarted when they
    /// change); drawn from a stream of their own.
    pub reconfigure: bool,
    /// Some arrivals name preferred agents, some queues prefer a case's owner, and the host
    /// names case owners now and then (issue #13 §2); drawn from a stream of their own.
    pub preferences: bool,
}

impl Shape {
    /// The recorded fixtures' shape: a few thousand events.
    pub fn fixture() -> Shape {
        Shape {
            skills: 8,
            queues: 7,
            agents: 22,
            minutes: 45,
            arrival_gap_ms: 4_500,
            every_strategy: true,
            strategies: &STRATEGIES_FOR_FIXTURES,
            bounds: false,
            headroom: false,
            interruptible: false,
            steps: false,
            expressions: false,
            calendars: false,
            reconfigure: false,
            preferences: false,
        }
    }

    /// A small random shape for the differential test: few agents and queues, so that
    /// decisions are contested and ties happen.
    pub fn small(rng: &mut Rng) -> Shape {
        Shape {
            skills: rng.range(2, 6) as u64,
            queues: rng.range(1, 5) as u64,
            agents: rng.range(2, 9) as u64,
            minutes: rng.range(3, 12),
            arrival_gap_ms: rng.range(2_000, 15_000),
            every_strategy: rng.percent(20),
            strategies: &STRATEGIES,
            bounds: rng.percent(60),
            headroom: false,
            interruptible: false,
            steps: false,
            expressions: false,
            calendars: false,
            reconfigure: false,
            preferences: false,
        }
    }
}

/// A generated workload: the plan, and the seed its desks answer from.
#[derive(Clone, Debug)]
pub struct Workload {
    pub seed: u64,
    pub shape: Shape,
    /// Setup first, then everything exogenous, in time order.
    pub plan: Vec<(Timestamp, Command)>,
    /// After this, nothing more is sent and no timer is followed.
    pub cutoff: Timestamp,
}

/// The capacity profiles agents are drawn from: voice only, blended, chat multitasker,
/// digital (weighted units), video and voice, and omni.
fn capacity(kind: u64) -> CapacityProfile {
    match kind % 6 {
        0 => CapacityProfile::single(Channel::Voice, 1),
        1 => CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(3).with_units(30))
            .with_channel(Channel::Email, ChannelCapacity::new(2).with_units(20))
            .with_channel(Channel::Callback, ChannelCapacity::new(1).with_units(40)),
        2 => CapacityProfile::single(Channel::Chat, 3).with_channel(Channel::Sms, ChannelCapacity::new(2)),
        3 => CapacityProfile::new(10)
            .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(4))
            .with_channel(Channel::Email, ChannelCapacity::new(3).with_units(2))
            .with_channel(Channel::Sms, ChannelCapacity::new(3))
            .with_channel(Channel::Callback, ChannelCapacity::new(1).with_units(5)),
        4 => CapacityProfile::new(1)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_exclusive(true))
            .with_channel(Channel::Video, ChannelCapacity::new(1).with_exclusive(true)),
        _ => CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Video, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(40))
            .with_channel(Channel::Email, ChannelCapacity::new(3).with_units(20))
            .with_channel(Channel::Sms, ChannelCapacity::new(2).with_units(10))
            .with_channel(Channel::Callback, ChannelCapacity::new(1).with_units(30)),
    }
}

/// Headroom on voice and video for a profile that works them beside other channels, three
/// times in four, after 0 to 60 s (drawn from `seed` alone).
fn with_headroom(cap: CapacityProfile, seed: u64) -> CapacityProfile {
    let mut rng = Rng::new(seed);
    let others = cap.channels().filter(|(c, _)| !matches!(c, Channel::Voice | Channel::Video)).count();
    let mut out = cap.clone();
    for channel in [Channel::Voice, Channel::Video] {
        if others > 0 && cap.channel(channel).is_some() && rng.percent(75) {
            out = out.with_headroom(channel, Duration::from_secs(rng.pick(&[0, 5, 20, 60])));
        }
    }
    out
}

/// E-mail interruptible, half the time, for a profile that works it beside a real-time
/// channel (drawn from `seed` alone).
fn with_interruptible(cap: CapacityProfile, seed: u64) -> CapacityProfile {
    let realtime = cap.channels().any(|(c, _)| c.builtin_mode() == Some(ChannelMode::RealTime));
    if realtime && cap.channel(Channel::Email).is_some() && Rng::new(seed).percent(50) {
        cap.with_interruptible(Channel::Email)
    } else {
        cap
    }
}

fn random_skills(rng: &mut Rng, skills: u64) -> SkillSet {
    let mut pairs = Vec::new();
    for s in 1..=skills {
        if rng.percent(65) {
            pairs.push((SkillId(s), level(rng.range(1, 5))));
        }
    }
    SkillSet::from_pairs(pairs)
}

fn random_requirements(rng: &mut Rng, skills: u64, max: i64, top_level: i64) -> Requirements {
    let n = rng.range(0, max);
    Requirements::from_pairs(
        (0..n).map(|_| (SkillId(rng.range(1, skills as i64) as u64), level(rng.range(1, top_level)))),
    )
}

fn random_membership(rng: &mut Rng, queue: QueueId) -> QueueMembership {
    let mut m = QueueMembership::new(queue);
    if rng.percent(35) {
        m = m.with_priority(rng.range(-2, 4) as i32);
    }
    if rng.percent(25) {
        m = m.with_delay(Duration::from_secs(rng.pick(&[5, 15, 30, 60])));
    }
    // A place for linear queues, from the draws above (no draw of its own, so that the
    // fixtures' workload stays as recorded): several agents share one, and ids break ties.
    let m = m.with_position(m.priority.map_or(9, |p| (p + 2) as u32));
    m.with_weight(m.delay.as_secs() as u32 % 7 + 1)
}

/// A queue the agent can serve at least one channel of, preferably.
fn pick_queue(
    rng: &mut Rng,
    queues: &[QueueConfig],
    cap: &CapacityProfile,
    taken: &[QueueMembership],
) -> Option<QueueId> {
    let free: Vec<&QueueConfig> = queues.iter().filter(|q| taken.iter().all(|m| m.queue != q.id)).collect();
    let fitting: Vec<&QueueConfig> =
        free.iter().copied().filter(|q| q.channels.iter().any(|c| cap.channel(*c).is_some())).collect();
    // Now and then a membership the agent cannot serve at all: the router must ignore it.
    let from = if fitting.is_empty() || rng.percent(5) { &free } else { &fitting };
    if from.is_empty() { None } else { Some(from[rng.below(from.len() as u64) as usize].id) }
}

fn handle_ms(rng: &mut Rng, channel: Channel) -> i64 {
    match channel {
        Channel::Voice => rng.range(secs(30), secs(200)),
        Channel::Video => rng.range(secs(60), secs(240)),
        Channel::Chat => rng.range(secs(40), secs(260)),
        Channel::Email => rng.range(secs(20), secs(140)),
        Channel::Sms => rng.range(secs(10), secs(70)),
        _ => rng.range(secs(30), secs(150)),
    }
}

const TEAMS: [&str; 3] = ["tier1", "tier2", "vip"];
const LANGUAGES: [&str; 3] = ["en", "fr", "de"];

/// Random agent attributes: a team, a tenure in months and a language, each usually there.
fn random_agent_attributes(rng: &mut Rng) -> AgentAttributes {
    let mut attrs = AgentAttributes::new();
    if rng.percent(85) {
        attrs = attrs.with("team", rng.pick(&TEAMS));
    }
    if rng.percent(85) {
        attrs = attrs.with("tenure", rng.range(0, 48));
    }
    if rng.percent(85) {
        attrs = attrs.with("language", rng.pick(&LANGUAGES));
    }
    attrs
}

/// A random eligibility expression over skills, the declared attributes, named agents and the
/// interaction's language, nested up to `depth`.
fn random_expression(rng: &mut Rng, skills: u64, agents: u64, depth: u32) -> Expression {
    let leaf_only = depth == 0;
    match rng.below(if leaf_only { 6 } else { 9 }) {
        0 => Expression::Skill { skill: SkillId(rng.range(1, skills as i64) as u64), at_least: level(rng.range(1, 4)) },
        1 => Expression::attribute(
            "team",
            if rng.percent(70) { Comparison::Eq } else { Comparison::Ne },
            Operand::Text(rng.pick(&TEAMS).into()),
        ),
        2 => Expression::attribute(
            "team",
            Comparison::In,
            Operand::List(
                TEAMS.iter().filter(|_| rng.percent(60)).map(|t| (*t).into()).chain(["tier1".into()]).collect(),
            ),
        ),
        3 => Expression::attribute(
            "tenure",
            if rng.percent(50) { Comparison::Gt } else { Comparison::Lt },
            Operand::Number(rng.range(0, 40)),
        ),
        4 => Expression::attribute("language", Comparison::Eq, Operand::Interaction("language".into())),
        5 => Expression::Agents((0..rng.range(1, 3)).map(|_| AgentId(rng.range(1, agents as i64) as u64)).collect()),
        6 => Expression::Not(Box::new(random_expression(rng, skills, agents, depth - 1))),
        7 => Expression::All((0..rng.range(0, 2)).map(|_| random_expression(rng, skills, agents, depth - 1)).collect()),
        _ => Expression::Any((0..rng.range(1, 2)).map(|_| random_expression(rng, skills, agents, depth - 1)).collect()),
    }
}

/// Opening hours in UTC for the workloads' day (a Thursday from 09:00): open and closed in turns
/// of 1 to 6 minutes through the first half hour, then open to the end of the day. At most
/// [`BusinessHours::MAX_OPENINGS_PER_DAY`] openings, which the engine accepts: short turns drew
/// nine now and then, and the engine rightly refused the calendar.
fn flickering_hours(rng: &mut Rng) -> BusinessHours {
    let mut hours = BusinessHours::new("UTC");
    let mut minute = rng.range(0, 3) as u8;
    let mut openings = 0;
    while minute < 30 && openings + 1 < BusinessHours::MAX_OPENINGS_PER_DAY {
        let close = minute + rng.range(1, 6) as u8;
        hours = hours.open(chrono::Weekday::Thu, LocalTime::hm(9, minute), LocalTime::hm(9, close));
        minute = close + rng.range(1, 6) as u8;
        openings += 1;
    }
    hours.open(chrono::Weekday::Thu, LocalTime::hm(9, minute.min(59)), LocalTime::END_OF_DAY)
}

/// Draws a workload from a seed.
pub fn generate(seed: u64, shape: &Shape) -> Workload {
    let mut rng = Rng::new(mix(seed, 1));
    let mut bounds_rng = Rng::new(mix(seed, 11));
    let mut steps_rng = Rng::new(mix(seed, 13));
    let mut expr_rng = Rng::new(mix(seed, 17));
    let mut hours_rng = Rng::new(mix(seed, 19));
    let mut reconfigure_rng = Rng::new(mix(seed, 23));
    let mut prefer_rng = Rng::new(mix(seed, 29));
    let mut plan: Vec<(i64, Command)> = Vec::new();
    let start = T0;
    let end = start + shape.minutes * 60_000;

    // Topology.
    for s in 1..=shape.skills {
        plan.push((start, Command::AddSkill { skill: SkillId(s), name: format!("skill-{s}") }));
    }
    if shape.calendars {
        for c in 1..=2u64 {
            plan.push((
                start,
                Command::AddCalendar { calendar: CalendarId(c), hours: flickering_hours(&mut hours_rng) },
            ));
        }
    }
    if shape.expressions {
        for (name, kind) in
            [("team", AttributeKind::Text), ("tenure", AttributeKind::Number), ("language", AttributeKind::Text)]
        {
            plan.push((start, Command::AddAgentAttribute { name: name.into(), kind }));
        }
    }
    let mut queues = Vec::new();
    for q in 1..=shape.queues {
        let (strategy, channels) = if shape.every_strategy {
            let strategies = shape.strategies;
            (strategies[(q - 1) as usize % strategies.len()], QUEUE_CHANNELS[(q + 2) as usize % QUEUE_CHANNELS.len()])
        } else {
            (rng.pick(shape.strategies), rng.pick(&QUEUE_CHANNELS))
        };
        let mut queue = QueueConfig::new(QueueId(q), format!("queue-{q}"), channels.iter().copied())
            .with_strategy(strategy)
            .with_priority(rng.range(-1, 3) as i32)
            .with_requirements(random_requirements(&mut rng, shape.skills, 2, 2));
        if rng.percent(60) {
            queue = queue.with_wrap_up(Duration::from_secs(rng.range(5, 30) as u64));
        }
        if rng.percent(50) {
            queue = queue.with_aging(rng.range(1, 12) as u32);
        }
        if rng.percent(40) {
            queue = queue.with_offer_timeout(Duration::from_secs(rng.range(8, 20) as u64));
        }
        if shape.steps && steps_rng.percent(60) {
            // 2–3 steps: each but the last expires after 2–40 s; requirements usually widen.
            let n = steps_rng.range(2, 4);
            let steps = (0..n)
                .map(|k| {
                    let mut step = RoutingStep::new(random_requirements(&mut steps_rng, shape.skills, 2, 5 - k))
                        .with_priority_boost(steps_rng.range(-1, 3) as i32);
                    if k + 1 < n {
                        step = step.expiring_after(Duration::from_millis(steps_rng.range(2_000, 40_000) as u64));
                    }
                    step
                })
                .collect();
            queue = queue.with_steps(steps);
        }
        if shape.expressions {
            if expr_rng.percent(40) {
                queue = queue.with_eligibility(random_expression(&mut expr_rng, shape.skills, shape.agents, 2));
            }
            // Steps but the last may narrow to a team, named agents or any expression.
            let n = queue.steps.len();
            for step in queue.steps.iter_mut().take(n.saturating_sub(1)) {
                if expr_rng.percent(60) {
                    step.eligibility = Some(random_expression(&mut expr_rng, shape.skills, shape.agents, 1));
                }
            }
        }
        if shape.steps && steps_rng.percent(12) {
            // Admission: a length cap, nobody unpaused to take it, a long estimated wait.
            let mut admission = Vec::new();
            let cap = steps_rng.range(6, 15) as u32;
            let target = queues.iter().find(|t: &&QueueConfig| queue.channels.iter().all(|c| t.channels.contains(c)));
            let full = match target {
                Some(t) if steps_rng.percent(50) => {
                    ExceptionAction::Move { queue: t.id, keep_place: steps_rng.percent(50) }
                }
                _ => ExceptionAction::End(Diversion::Message),
            };
            admission.push(AdmissionRule::new(AdmissionTrigger::QueueLength(cap), full));
            if steps_rng.percent(50) {
                let estimated = Duration::from_secs(steps_rng.range(10, 90) as u64);
                admission.push(AdmissionRule::new(
                    AdmissionTrigger::EstimatedWait(estimated),
                    ExceptionAction::SetPriority(3),
                ));
            }
            if steps_rng.percent(40) {
                let nobody = AdmissionTrigger::NoAgents(steps_rng.pick(&[
                    Staffed::Qualified,
                    Staffed::LoggedIn,
                    Staffed::Unpaused,
                ]));
                admission.push(AdmissionRule::new(nobody, ExceptionAction::End(Diversion::Voicemail)));
            }
            queue = queue.with_admission_rules(admission);
        }
        if shape.steps && steps_rng.percent(40) {
            // Leave when empty: nobody logged in (or unpaused) any more.
            let nobody = steps_rng.pick(&[Staffed::LoggedIn, Staffed::Unpaused]);
            let target = queues.iter().find(|t: &&QueueConfig| queue.channels.iter().all(|c| t.channels.contains(c)));
            let action = match target {
                Some(t) if steps_rng.percent(50) => ExceptionAction::Move { queue: t.id, keep_place: true },
                _ => ExceptionAction::End(Diversion::Voicemail),
            };
            queue = queue.with_when_empty(WhenEmpty::new(nobody, action));
        }
        if shape.steps && steps_rng.percent(30) {
            queue = queue.with_time_to_live(Duration::from_secs(steps_rng.range(30, 300) as u64));
        }
        if shape.steps && steps_rng.percent(40) {
            // An alert, and an overflow to an earlier queue that takes all this one's channels.
            let mut rules = vec![ExceptionRule::new(
                Duration::from_millis(steps_rng.range(1_000, 60_000) as u64),
                ExceptionAction::Alert,
            )];
            let target = queues.iter().find(|t: &&QueueConfig| queue.channels.iter().all(|c| t.channels.contains(c)));
            if let Some(target) = target {
                let keep_place = steps_rng.percent(50);
                let after = Duration::from_millis(steps_rng.range(5_000, 90_000) as u64);
                rules.push(ExceptionRule::new(after, ExceptionAction::Move { queue: target.id, keep_place }));
            }
            // Escalation, a dropped requirement, a callback offered instead of waiting on.
            let after = |rng: &mut Rng| Duration::from_millis(rng.range(3_000, 80_000) as u64);
            if steps_rng.percent(40) {
                rules.push(ExceptionRule::new(
                    after(&mut steps_rng),
                    ExceptionAction::SetPriority(steps_rng.range(-1, 6) as i32),
                ));
            }
            if steps_rng.percent(30) {
                let drop = vec![SkillId(steps_rng.range(1, shape.skills as i64) as u64)];
                let add = random_requirements(&mut steps_rng, shape.skills, 1, 2);
                rules
                    .push(ExceptionRule::new(after(&mut steps_rng), ExceptionAction::ChangeRequirements { add, drop }));
            }
            if steps_rng.percent(15) {
                rules.push(ExceptionRule::new(after(&mut steps_rng), ExceptionAction::End(Diversion::Callback)));
            }
            queue = queue.with_exception_rules(rules);
        }
        if shape.calendars && hours_rng.percent(60) {
            let calendar = CalendarId(hours_rng.range(1, 2) as u64);
            let target = queues.iter().find(|t: &&QueueConfig| queue.channels.iter().all(|c| t.channels.contains(c)));
            let rule = match (hours_rng.below(3), target) {
                (0, _) => WhenClosed::Wait,
                (1, Some(t)) => WhenClosed::Move(t.id),
                _ => WhenClosed::End,
            };
            queue = queue.with_calendar(calendar, rule);
        }
        if shape.bounds {
            if bounds_rng.percent(50) {
                queue = queue.with_max_wait(Duration::from_secs(bounds_rng.range(0, 90) as u64));
            }
            let threshold = Duration::from_secs(bounds_rng.range(0, 600) as u64);
            queue = queue.with_service_level(ServiceLevelTarget::new(80, threshold));
        }
        if shape.preferences && prefer_rng.percent(50) {
            queue = queue.with_case_owner_wait(Duration::from_secs(prefer_rng.range(5, 90) as u64));
        }
        queues.push(queue.clone());
        plan.push((start, Command::AddQueue(queue)));
    }
    let mut agents: Vec<AgentConfig> = Vec::new();
    for a in 1..=shape.agents {
        let mut cap = capacity(rng.below(6));
        if shape.headroom {
            cap = with_headroom(cap, mix(seed, 1_000 + a));
        }
        if shape.interruptible {
            cap = with_interruptible(cap, mix(seed, 2_000 + a));
        }
        let mut config = AgentConfig::new(AgentId(a), cap).with_skills(random_skills(&mut rng, shape.skills));
        if shape.expressions {
            config = config.with_attributes(random_agent_attributes(&mut expr_rng));
        }
        for _ in 0..rng.range(1, 4) {
            if let Some(q) = pick_queue(&mut rng, &queues, &config.capacity, &config.queues) {
                config.queues.push(random_membership(&mut rng, q));
            }
        }
        agents.push(config);
    }
    // Staffing: every queue gets members who can work one of its channels and hold its
    // requirements (skills raised where needed), as long as some agent can work its channels.
    let staff = if shape.every_strategy { 4 } else { 2 };
    for q in &queues {
        let fits = |a: &AgentConfig| q.channels.iter().any(|c| a.capacity.channel(*c).is_some());
        let serves = |a: &AgentConfig| {
            fits(a) && a.skills.satisfies(&q.requirements) && a.queues.iter().any(|m| m.queue == q.id)
        };
        for _ in 0..staff {
            let others: Vec<usize> = (0..agents.len()).filter(|i| fits(&agents[*i]) && !serves(&agents[*i])).collect();
            if agents.iter().filter(|a| serves(a)).count() >= staff || others.is_empty() {
                break;
            }
            let agent = &mut agents[others[rng.below(others.len() as u64) as usize]];
            if agent.queues.iter().all(|m| m.queue != q.id) {
                let m = random_membership(&mut rng, q.id);
                agent.queues.push(m);
            }
            let mut pairs: BTreeMap<SkillId, Proficiency> = agent.skills.iter().collect();
            for r in q.requirements.iter() {
                if pairs.get(&r.skill).is_none_or(|l| *l < r.min_level) {
                    pairs.insert(r.skill, level(rng.range(i64::from(r.min_level.level()), 5)));
                }
            }
            agent.skills = SkillSet::from_pairs(pairs);
        }
    }
    for config in &agents {
        plan.push((start, Command::AddAgent(config.clone())));
        // Most log in at once; some start their shift later.
        let login =
            if rng.percent(85) { start + rng.range(0, secs(20)) } else { start + rng.range(secs(60), secs(600)) };
        plan.push((login, Command::Login { agent: config.id }));
    }

    // Agents and supervisors during the run: pauses, logouts, skill and queue changes.
    for config in &agents {
        let mut skills = config.skills.clone();
        let mut memberships = config.queues.clone();
        let mut t = start + rng.range(secs(60), secs(8 * 60));
        while t < end {
            let a = config.id;
            match rng.below(100) {
                0..=39 => {
                    plan.push((t, Command::Pause { agent: a, reason: rng.pick(&PAUSE_REASONS) }));
                    t += rng.range(secs(15), secs(180));
                    plan.push((t, Command::Resume { agent: a }));
                }
                40..=54 => {
                    plan.push((t, Command::Logout { agent: a }));
                    t += rng.range(secs(30), secs(300));
                    plan.push((t, Command::Login { agent: a }));
                }
                55..=77 => {
                    for _ in 0..rng.range(1, 2) {
                        let s = SkillId(rng.range(1, shape.skills as i64) as u64);
                        let mut pairs: BTreeMap<SkillId, Proficiency> = skills.iter().collect();
                        if pairs.contains_key(&s) && rng.percent(40) {
                            pairs.remove(&s);
                        } else {
                            pairs.insert(s, level(rng.range(1, 5)));
                        }
                        skills = SkillSet::from_pairs(pairs);
                    }
                    plan.push((t, Command::SetAgentSkills { agent: a, skills: skills.clone() }));
                }
                _ => {
                    match rng.below(3) {
                        0 => {
                            if let Some(q) = pick_queue(&mut rng, &queues, &config.capacity, &memberships) {
                                memberships.push(random_membership(&mut rng, q));
                            }
                        }
                        1 if memberships.len() > 1 => {
                            memberships.remove(rng.below(memberships.len() as u64) as usize);
                        }
                        _ if !memberships.is_empty() => {
                            let i = rng.below(memberships.len() as u64) as usize;
                            memberships[i] = random_membership(&mut rng, memberships[i].queue);
                        }
                        _ => {}
                    }
                    plan.push((t, Command::SetAgentQueues { agent: a, queues: memberships.clone() }));
                }
            }
            t += rng.range(secs(90), secs(12 * 60));
        }
    }

    // Supervisors retune queues: priority, aging, strategy, bounds, requirements, rules and steps.
    if shape.reconfigure {
        let mut t = start + reconfigure_rng.range(secs(20), secs(120));
        while t < end {
            let rng = &mut reconfigure_rng;
            let k = rng.below(queues.len() as u64) as usize;
            let mut q = queues[k].clone();
            q.priority = rng.range(-1, 3) as i32;
            q.aging.points_per_minute = rng.pick(&[0, 1, 5, 20]);
            q.strategy = rng.pick(&STRATEGIES);
            q.max_wait = rng.percent(40).then(|| Duration::from_secs(rng.range(0, 90) as u64));
            if rng.percent(40) {
                q.requirements = random_requirements(rng, shape.skills, 2, 3);
            }
            if shape.expressions && rng.percent(40) {
                q.eligibility = rng.percent(70).then(|| random_expression(rng, shape.skills, shape.agents, 2));
            }
            let mut steps = WaitingSteps::Keep;
            if !q.steps.is_empty() && rng.percent(50) {
                for step in q.steps.iter_mut() {
                    if step.expires_after.is_some() {
                        step.expires_after = Some(Duration::from_millis(rng.range(2_000, 40_000) as u64));
                    }
                    step.priority_boost = rng.range(-1, 3) as i32;
                }
                steps = WaitingSteps::Restart;
            }
            queues[k] = q.clone();
            plan.push((t, Command::UpdateQueue { queue: q, steps }));
            t += reconfigure_rng.range(secs(30), secs(240));
        }
    }

    // Supervisors move agents between teams, and tenure grows.
    if shape.expressions {
        for config in &agents {
            let mut t = start + expr_rng.range(secs(30), secs(10 * 60));
            while t < end {
                let attributes = random_agent_attributes(&mut expr_rng);
                plan.push((t, Command::SetAgentAttributes { agent: config.id, attributes }));
                t += expr_rng.range(secs(60), secs(15 * 60));
            }
        }
    }

    // The host names case owners now and then, or clears one.
    if shape.preferences {
        let mut t = start + prefer_rng.range(secs(10), secs(120));
        while t < end {
            let agent = prefer_rng.percent(80).then(|| AgentId(prefer_rng.range(1, shape.agents as i64) as u64));
            plan.push((t, Command::SetCaseOwner { case: CaseId(prefer_rng.range(1, 5) as u64), agent }));
            t += prefer_rng.range(secs(30), secs(180));
        }
    }

    // Customers.
    let mut t = start + secs(20);
    let mut next_id = 1u64;
    while t < end {
        let id = InteractionId(next_id);
        next_id += 1;
        let queue = &queues[rng.below(queues.len() as u64) as usize];
        let channel = rng.pick(&queue.channels);
        let realtime = channel.builtin_mode() == Some(ChannelMode::RealTime);
        let top_level = if rng.percent(10) { 4 } else { 3 };
        let mut new = NewInteraction::new(id, channel, queue.id, CustomerId(rng.range(1, 400) as u64))
            .with_requirements(random_requirements(&mut rng, shape.skills, 2, top_level));
        if rng.percent(30) {
            new = new.with_priority(rng.range(-2, 5) as i32);
        }
        if rng.percent(10) {
            new = new.with_case(CaseId(rng.range(1, 50) as u64));
        }
        if rng.percent(15) {
            new = new.with_attributes(Attributes::new().with("language", rng.pick(&["en", "fr", "de"])));
        }
        if shape.preferences {
            // A few cases, so that they come back on other channels and meet their owners.
            if prefer_rng.percent(40) {
                new = new.with_case(CaseId(prefer_rng.range(1, 5) as u64));
            }
            if prefer_rng.percent(25) {
                let named: Vec<AgentId> = (0..prefer_rng.range(1, 2))
                    .map(|_| AgentId(prefer_rng.range(1, shape.agents as i64) as u64))
                    .collect();
                let wait = Duration::from_millis(prefer_rng.range(1_000, 90_000) as u64);
                new = new.with_preference(Preference::agents(named, wait));
            }
        }
        plan.push((t, Command::Arrive(new)));
        // What the customer (or the host) may do later; skipped if it no longer applies.
        // Some callers hang up within seconds: now and then while the offer rings.
        let patience = match (realtime, rng.percent(15)) {
            (true, true) => rng.range(1_000, secs(12)),
            (true, false) => rng.range(secs(15), secs(240)),
            (false, _) => rng.range(secs(120), secs(1_800)),
        };
        match rng.below(100) {
            0..=34 => plan.push((t + patience, Command::Abandon { interaction: id })),
            35..=37 => plan.push((t + patience, Command::Cancel { interaction: id })),
            _ => {}
        }
        if rng.percent(10) {
            let targets: Vec<QueueId> =
                queues.iter().filter(|q| q.id != queue.id && q.channels.contains(&channel)).map(|q| q.id).collect();
            if !targets.is_empty() {
                let to = rng.pick(&targets);
                plan.push((t + rng.range(secs(2), secs(200)), Command::Transfer { interaction: id, queue: to }));
            }
        }
        t += rng.range(0, 2 * shape.arrival_gap_ms).max(1);
    }

    // Stable: commands at the same time keep the order they were drawn in.
    plan.sort_by_key(|(t, _)| *t);
    Workload {
        seed,
        shape: shape.clone(),
        plan: plan.into_iter().map(|(t, c)| (at(t), c)).collect(),
        cutoff: at(end + secs(20 * 60)),
    }
}

// ----- what the events say -----

/// Where a live interaction is, as its events tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Between events of one step (arrived, withdrawn, transferred, wrap-up ended): never seen
    /// between steps.
    Moving,
    Waiting,
    Offered {
        offer: OfferId,
        agent: AgentId,
    },
    Connected(AgentId),
    WrapUp(AgentId),
}

/// A live interaction, as its events (and its `Arrive` command) tell it.
#[derive(Clone, Debug)]
pub struct Live {
    pub queue: QueueId,
    pub channel: Channel,
    pub priority: i32,
    /// Its own requirements, from the `Arrive` command; the queue's are added on top.
    pub own: Requirements,
    /// Its place in line: when it arrived (kept across re-queues and transfers).
    pub entered: Timestamp,
    /// When it entered its current queue (arrival, or its last transfer): routing steps count from here.
    pub joined: Timestamp,
    /// Arrival order, from 1: the engine's arrival sequence.
    pub seq: u64,
    pub place: Place,
    /// Agents who rejected it or let it time out.
    pub declined: BTreeSet<AgentId>,
    /// The host's attributes, from its `InteractionArrived` event.
    pub attributes: Attributes,
    /// The agents it prefers and until when, if its preference applied (issue #13 §2).
    pub preferred: Option<Preferring>,
}

/// A preference that applied on arrival, as the test's host judged it.
#[derive(Clone, Debug)]
pub struct Preferring {
    pub agents: Vec<AgentId>,
    pub wait: Duration,
    /// When it ends: arrival plus the wait (set when the arrival is seen).
    pub until: Timestamp,
    /// Its queue's routing steps on arrival: it keeps them as its own in that queue.
    pub steps: Vec<RoutingStep>,
}

impl Live {
    /// The agent whose capacity it holds, if any.
    pub fn holder(&self) -> Option<AgentId> {
        match self.place {
            Place::Offered { agent, .. } | Place::Connected(agent) | Place::WrapUp(agent) => Some(agent),
            Place::Moving | Place::Waiting => None,
        }
    }
}

/// The state of the world as the events tell it, with no look inside the engine.
#[derive(Clone, Debug, Default)]
pub struct Shadow {
    pub presence: BTreeMap<AgentId, Presence>,
    pub live: BTreeMap<InteractionId, Live>,
    /// Pending offers.
    pub offers: BTreeMap<OfferId, Offer>,
    /// The last offer id each agent had from each queue.
    pub last_offer: BTreeMap<(AgentId, QueueId), u64>,
    arrivals: u64,
    /// `Arrive` commands sent whose `InteractionArrived` has not been seen yet.
    sent: BTreeMap<InteractionId, Requirements>,
    /// The queue an `UpdateQueue` about to be applied restarts the steps of.
    restarting: Option<QueueId>,
    /// Preferences the host judged to apply to `Arrive` commands about to be sent.
    pub preferring: BTreeMap<InteractionId, Preferring>,
    /// Each agent's pass in each random queue, and each such queue's clock, as a test that
    /// follows the offers works them out (see `AgentSelection::Random`).
    pub passes: BTreeMap<(AgentId, QueueId), u64>,
    pub random_clocks: BTreeMap<QueueId, u64>,
}

impl Shadow {
    /// Notes a command about to be sent (the requirements of an arrival are not in its event).
    pub fn sent(&mut self, command: &Command) {
        match command {
            Command::Arrive(new) => {
                self.sent.insert(new.id, new.requirements.clone());
            }
            Command::UpdateQueue { queue, steps } => {
                self.restarting = (*steps == WaitingSteps::Restart).then_some(queue.id);
            }
            _ => {}
        }
    }

    fn moved(&mut self, id: InteractionId, place: Place) {
        if let Some(live) = self.live.get_mut(&id) {
            live.place = place;
        }
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &Event) {
        match &event.kind {
            EventKind::AgentAdded { agent } => {
                self.presence.insert(*agent, Presence::Offline);
            }
            EventKind::AgentRemoved { agent } => {
                self.presence.remove(agent);
            }
            EventKind::AgentPresenceChanged { agent, presence, .. } => {
                self.presence.insert(*agent, *presence);
            }
            EventKind::InteractionArrived { interaction, channel, queue, priority, attributes, .. } => {
                self.arrivals += 1;
                let own = self.sent.remove(interaction).unwrap_or_default();
                let live = Live {
                    queue: *queue,
                    channel: *channel,
                    priority: *priority,
                    own,
                    entered: event.at,
                    joined: event.at,
                    seq: self.arrivals,
                    place: Place::Moving,
                    declined: BTreeSet::new(),
                    attributes: attributes.clone(),
                    preferred: self
                        .preferring
                        .remove(interaction)
                        .map(|p| Preferring { until: event.at + p.wait, ..p }),
                };
                self.live.insert(*interaction, live);
            }
            EventKind::InteractionQueued { interaction, queue, .. } => {
                if let Some(live) = self.live.get_mut(interaction) {
                    live.queue = *queue;
                    live.place = Place::Waiting;
                }
            }
            EventKind::InteractionOffered(offer) => {
                self.moved(offer.interaction, Place::Offered { offer: offer.id, agent: offer.agent });
                self.offers.insert(offer.id, offer.clone());
                self.last_offer.insert((offer.agent, offer.queue), offer.id.0);
            }
            EventKind::OfferAccepted { offer, interaction, agent } => {
                self.offers.remove(offer);
                self.moved(*interaction, Place::Connected(*agent));
            }
            EventKind::OfferRejected { offer, interaction, agent }
            | EventKind::OfferTimedOut { offer, interaction, agent } => {
                self.offers.remove(offer);
                self.moved(*interaction, Place::Moving);
                if let Some(live) = self.live.get_mut(interaction) {
                    live.declined.insert(*agent);
                }
            }
            EventKind::OfferWithdrawn { offer, interaction, .. } => {
                self.offers.remove(offer);
                self.moved(*interaction, Place::Moving);
            }
            EventKind::WrapUpStarted { interaction, agent, .. } => self.moved(*interaction, Place::WrapUp(*agent)),
            EventKind::WrapUpEnded { interaction, .. } => self.moved(*interaction, Place::Moving),
            EventKind::ExceptionRaised {
                interaction,
                action: ExceptionAction::Move { keep_place: false, .. },
                applied: true,
                ..
            } => {
                // It enters the target at the back: a new place in line.
                if let Some(live) = self.live.get_mut(interaction) {
                    live.entered = event.at;
                }
            }
            EventKind::ExceptionRaised { interaction, action, applied: true, .. }
            | EventKind::AdmissionRuleApplied { interaction, action, applied: true, .. }
            | EventKind::WhenEmptyApplied { interaction, action, applied: true, .. } => {
                // Priority and requirement changes, as the rule says.
                if let Some(live) = self.live.get_mut(interaction) {
                    match action {
                        ExceptionAction::SetPriority(p) => live.priority = *p,
                        ExceptionAction::ChangeRequirements { add, drop } => {
                            let kept =
                                live.own.iter().filter(|r| !drop.contains(&r.skill)).map(|r| (r.skill, r.min_level));
                            live.own = Requirements::from_pairs(kept).union(add);
                        }
                        _ => {}
                    }
                }
            }
            // Restarted steps count from now, for everything live in the queue.
            EventKind::QueueUpdated { queue } if self.restarting == Some(*queue) => {
                self.restarting = None;
                // Those with a preference keep the steps they arrived with, as their own.
                for live in self.live.values_mut().filter(|l| l.queue == *queue && l.preferred.is_none()) {
                    live.joined = event.at;
                }
            }
            EventKind::InteractionTransferred { interaction, to, .. } => {
                if let Some(live) = self.live.get_mut(interaction) {
                    live.queue = *to;
                    live.joined = event.at;
                    live.place = Place::Moving;
                    // A move ends its preference, with the steps it kept.
                    live.preferred = None;
                }
            }
            EventKind::InteractionEnded { interaction, .. } => {
                self.live.remove(interaction);
            }
            _ => {}
        }
    }

    pub fn presence(&self, agent: AgentId) -> Presence {
        self.presence.get(&agent).copied().unwrap_or(Presence::Offline)
    }

    /// The channels of the work an agent holds (offers, connected and wrap-up), one per item.
    pub fn held(&self, agent: AgentId) -> Vec<Channel> {
        self.live.values().filter(|l| l.holder() == Some(agent)).map(|l| l.channel).collect()
    }

    fn place(&self, id: InteractionId) -> Option<Place> {
        self.live.get(&id).map(|l| l.place)
    }

    /// Whether the engine will accept `command` now, as far as the events tell.
    pub fn applies(&self, command: &Command) -> bool {
        match command {
            Command::Login { agent } => self.presence(*agent) == Presence::Offline,
            Command::Logout { agent } | Command::Pause { agent, .. } => self.presence(*agent) != Presence::Offline,
            Command::Resume { agent } => matches!(self.presence(*agent), Presence::Paused(_)),
            Command::Accept { agent, offer } | Command::Reject { agent, offer } => {
                self.offers.get(offer).is_some_and(|o| o.agent == *agent)
            }
            Command::Complete { agent, interaction } => self.place(*interaction) == Some(Place::Connected(*agent)),
            Command::EndWrapUp { agent, interaction } => self.place(*interaction) == Some(Place::WrapUp(*agent)),
            Command::Disposition { agent, interaction, .. } => {
                matches!(self.place(*interaction), Some(Place::Connected(a) | Place::WrapUp(a)) if a == *agent)
            }
            Command::Abandon { interaction } | Command::Cancel { interaction } => {
                matches!(self.place(*interaction), Some(Place::Waiting | Place::Offered { .. }))
            }
            Command::Transfer { interaction, queue } => {
                self.live.get(interaction).is_some_and(|l| l.queue != *queue && !matches!(l.place, Place::WrapUp(_)))
            }
            _ => true,
        }
    }
}

// ----- the desks, and the run loop -----

/// What to do next.
// One step at a time, moved once: a command inline costs nothing that boxing would save.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Call `handle_timeout` at the engine's deadline.
    Timeout(Timestamp),
    /// Call `handle` with this command.
    Command(Timestamp, Command),
}

/// Feeds a workload to an engine: the plan, and the desks' answers to what the events say.
#[derive(Clone, Debug)]
pub struct Host {
    seed: u64,
    cutoff: Timestamp,
    /// Commands not sent yet, by (time, order of scheduling).
    pending: BTreeMap<(Timestamp, u64), Command>,
    scheduled: u64,
    pub shadow: Shadow,
}

impl Host {
    pub fn new(workload: &Workload) -> Self {
        let pending: BTreeMap<(Timestamp, u64), Command> =
            workload.plan.iter().enumerate().map(|(i, (t, c))| ((*t, i as u64), c.clone())).collect();
        Host {
            seed: workload.seed,
            cutoff: workload.cutoff,
            scheduled: pending.len() as u64,
            pending,
            shadow: Shadow::default(),
        }
    }

    fn schedule(&mut self, t: Timestamp, command: Command) {
        self.pending.insert((t, self.scheduled), command);
        self.scheduled += 1;
    }

    /// The next step, given the engine's `poll_timeout`: its deadline when that comes first
    /// (or at the same time), otherwise the next command that still applies.
    pub fn next_step(&mut self, deadline: Option<Timestamp>) -> Option<Step> {
        loop {
            let next = self.pending.first_key_value().map(|((t, _), _)| *t).filter(|t| *t <= self.cutoff);
            match (deadline.filter(|d| *d <= self.cutoff), next) {
                (Some(d), next) if next.is_none_or(|t| d <= t) => return Some(Step::Timeout(d)),
                (_, Some(_)) => {
                    let ((t, _), command) = self.pending.pop_first().expect("peeked above");
                    if self.shadow.applies(&command) {
                        self.shadow.sent(&command);
                        return Some(Step::Command(t, command));
                    }
                }
                (_, None) => return None,
            }
        }
    }

    /// Takes in one event: the shadow follows it, and the desks decide what to answer.
    pub fn observe(&mut self, event: &Event) {
        self.shadow.apply(event);
        let t = event.at.as_millis();
        match &event.kind {
            EventKind::InteractionOffered(offer) => {
                let mut rng = Rng::new(mix(self.seed, offer.id.0));
                // Some desks miss offers more than others.
                let ignore = if offer.agent.0 % 5 == 0 { 25 } else { 9 };
                let roll = rng.below(100);
                // Offer timeouts are 8 s or more: answers come in time.
                let delay = rng.range(300, 7_500);
                let answer = if roll < ignore {
                    None
                } else if roll < ignore + 13 {
                    Some(Command::Reject { agent: offer.agent, offer: offer.id })
                } else {
                    Some(Command::Accept { agent: offer.agent, offer: offer.id })
                };
                if let Some(command) = answer {
                    self.schedule(at(t + delay), command);
                }
            }
            EventKind::OfferAccepted { offer, interaction, agent } => {
                let mut rng = Rng::new(mix(self.seed ^ 0xacce, offer.0));
                let channel = self.shadow.live.get(interaction).map_or(Channel::Voice, |l| l.channel);
                let handle = handle_ms(&mut rng, channel);
                if rng.percent(25) {
                    let code = rng.pick(&["resolved", "sale", "escalated"]).to_string();
                    let notes = rng.percent(30).then(|| "called back".to_string());
                    let disposition = Command::Disposition { agent: *agent, interaction: *interaction, code, notes };
                    self.schedule(at(t + handle / 2), disposition);
                }
                self.schedule(at(t + handle), Command::Complete { agent: *agent, interaction: *interaction });
            }
            EventKind::WrapUpStarted { interaction, agent, until } => {
                let mut rng = Rng::new(mix(self.seed ^ 0x3a9, interaction.0 ^ (t as u64)));
                // An untimed wrap-up lasts until the desk ends it: 30 s here.
                let untimed = until.is_none();
                let until = until.map_or(t + 30_000, |u| u.as_millis());
                if untimed || rng.percent(40) {
                    let span = until - t;
                    let early = t + span * rng.range(10, 90) / 100;
                    self.schedule(at(early), Command::EndWrapUp { agent: *agent, interaction: *interaction });
                }
            }
            EventKind::AgentPresenceChanged {
                agent, presence: Presence::Paused(EngineConfig::MISSED_OFFER), ..
            } => {
                let mut rng = Rng::new(mix(self.seed ^ 0x9a05e, agent.0 ^ (t as u64)));
                self.schedule(at(t + rng.range(secs(3), secs(40))), Command::Resume { agent: *agent });
            }
            _ => {}
        }
    }
}

/// One step of a recorded run.
#[derive(Clone, Debug)]
pub struct StepRecord {
    pub step: Step,
    /// The index in [`Recording::events`] of the step's first event.
    pub first_event: usize,
}

/// What a run sent and what came out.
#[derive(Clone, Debug, Default)]
pub struct Recording {
    /// Every command sent, with its time: the plan's that still applied and the desks' answers.
    pub commands: Vec<(Timestamp, Command)>,
    pub events: Vec<Event>,
    pub steps: Vec<StepRecord>,
}

impl Recording {
    /// The step that produced event `index`.
    pub fn step_of(&self, index: usize) -> Option<&StepRecord> {
        let i = self.steps.partition_point(|s| s.first_event <= index);
        i.checked_sub(1).map(|i| &self.steps[i])
    }
}

/// Runs a workload on a new engine with `config`. Panics if the engine refuses a command the
/// events said it would take.
pub fn record(config: EngineConfig, workload: &Workload) -> Recording {
    let mut engine = Engine::new(config);
    let mut host = Host::new(workload);
    let mut out = Recording::default();
    while let Some(step) = host.next_step(engine.poll_timeout()) {
        let result = match &step {
            Step::Timeout(t) => engine.handle_timeout(*t),
            Step::Command(t, command) => {
                out.commands.push((*t, command.clone()));
                engine.handle(command.clone(), *t)
            }
        };
        if let Err(e) = result {
            panic!("seed {}: {step:?} refused: {e}", workload.seed);
        }
        out.steps.push(StepRecord { step, first_event: out.events.len() });
        while let Some(event) = engine.poll_event() {
            host.observe(&event);
            out.events.push(event);
        }
    }
    out
}

/// A fixture line in today's serialised form: the fixtures were recorded in format 1 (variants
/// in CamelCase, spans as `{secs, nanos}`), and reading a line and writing it again turns it into
/// format 2 without changing what it says. A line that does not read stays as it is, and
/// shows as the difference.
pub fn in_todays_format(line: &str) -> String {
    serde_json::from_str::<Event>(line).map_or_else(|_| line.to_owned(), |e| serde_json::to_string(&e).unwrap())
}
