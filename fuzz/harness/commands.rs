//! The `commands` target: a stream of timed commands into an engine.
//!
//! Two decoders share one checked run loop ([`Run`]):
//!
//! * **JSON** (the input starts with `[` or `{`): `[[millis, command], …]`, the commands in
//!   their serde form at absolute times in milliseconds, on an engine with the default
//!   configuration; or `{"config": <EngineConfig>, "steps": [[millis, command], …]}` for
//!   another configuration (deserialised as a host would, without the builder's checks).
//!   Readable seeds and reproducers.
//! * **Structured** (anything else): a byte interpreter. The first bytes choose the engine's
//!   configuration (including tiny limits, so refusals are common) and whether to start from
//!   a small ready-made topology; then each operation reads an opcode, a time step and its
//!   arguments. Ids come from small pools, and offers and interactions are mostly picked
//!   among those that exist, so most commands do something. Short inputs are valid programs
//!   (an exhausted input reads as zeros), which is what lets libFuzzer grow them.

use std::time::Duration;

use switchboard::{
    AdmissionRule, AdmissionTrigger, AgentAttributes, AgentConfig, AgentId, AgentSelection, AttributeKind, Attributes,
    BusinessHours, CalendarId, CapacityProfile, CaseId, Channel, ChannelCapacity, ChannelMode, Command, Comparison,
    CustomerId, Diversion, Engine, EngineConfig, ExceptionAction, ExceptionRule, Expression, InteractionId,
    InteractionState, Limits, LocalTime, NewInteraction, OfferId, Operand, Preference, Proficiency, QueueConfig,
    QueueId, QueueMembership, ReasonCode, Requirements, RoutingStep, ServiceLevelTarget, SkillId, SkillSet, Staffed,
    Timestamp, WhenClosed, WhenEmpty, WrapUpMode, WrapUpRule,
};

use crate::harness::bytes::Bytes;
use crate::harness::run::Run;
use crate::harness::{Mode, Outcome, T0, guards};

/// Most operations one input runs.
pub const MAX_OPS: usize = 300;

/// Runs one input of the `commands` target.
pub fn run(data: &[u8], mode: Mode) -> Outcome {
    match data.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => match serde_json::from_slice::<Vec<(i64, Command)>>(data) {
            Ok(steps) => json(EngineConfig::default(), steps, mode),
            Err(_) => Outcome::default(),
        },
        Some(b'{') => match serde_json::from_slice::<Configured>(data) {
            Ok(Configured { config, steps }) => json(config, steps, mode),
            Err(_) => Outcome::default(),
        },
        _ => structured(data, mode),
    }
}

/// The JSON form with a configuration.
#[derive(serde::Deserialize)]
struct Configured {
    config: EngineConfig,
    steps: Vec<(i64, Command)>,
}

fn json(config: EngineConfig, steps: Vec<(i64, Command)>, mode: Mode) -> Outcome {
    if mode == Mode::Guarded {
        if let Err(bug) = guards::config(&config) {
            return Outcome::guarded(bug);
        }
    }
    let mut run = Run::new(Engine::new(config), mode);
    run.outcome.parsed = true;
    for (millis, command) in steps.into_iter().take(MAX_OPS) {
        run.command(Timestamp::from_millis(millis), command);
    }
    run.finish()
}

fn structured(data: &[u8], mode: Mode) -> Outcome {
    let mut b = Bytes::new(data);
    let flags = b.u8();
    let Some(config) = config(flags, &mut b) else {
        return Outcome::default();
    };
    if mode == Mode::Guarded {
        if let Err(bug) = guards::config(&config) {
            return Outcome::guarded(bug);
        }
    }
    let mut run = Run::new(Engine::new(config), mode);
    run.outcome.parsed = true;
    if flags & 0x40 != 0 {
        bootstrap(&mut run);
    }
    for _ in 0..MAX_OPS {
        if b.is_empty() {
            break;
        }
        op(&mut run, &mut b);
    }
    run.finish()
}

/// Engine-wide settings from the flags byte and the bytes after it.
pub fn config(flags: u8, b: &mut Bytes) -> Option<EngineConfig> {
    let mut builder = EngineConfig::builder().offer_timeout(b.pick(&OFFER_TIMEOUTS));
    builder = match flags & 3 {
        0 => builder,
        1 => builder.missed_offer_pause(None),
        _ => builder.missed_offer_pause(Some(ReasonCode(b.below(3) as u64))),
    };
    builder = builder.never_reoffer_to_decliners(flags & 4 != 0);
    if flags & 8 != 0 {
        builder = builder.custom_channel(1, ChannelMode::RealTime);
    }
    if flags & 16 != 0 {
        builder = builder.custom_channel(2, ChannelMode::Deferrable);
    }
    if flags & 32 != 0 {
        let mut small = || 1 + b.below(4) as u32;
        // Field by field, in the order the corpus was written for (each read takes bytes).
        let mut limits = Limits::default();
        limits.max_skills = small();
        limits.max_queues = small();
        limits.max_agents = small();
        limits.max_interactions = small();
        limits.max_waiting_per_queue = small();
        limits.max_signatures = small();
        limits.max_requirements = small();
        limits.max_queues_per_agent = small();
        limits.max_attribute_bytes = [1, 16, 64, 4096][b.below(4)];
        limits.max_aging_points_per_minute = [1, 60, 1_000_000, u32::MAX][b.below(4)];
        limits.max_name_bytes = [1, 16, 1024, u32::MAX][b.below(4)];
        limits.max_missed_offers_in_a_row = 1 + b.below(4) as u32;
        limits.max_steps = 1 + b.below(4) as u32;
        limits.max_agent_attributes = 1 + b.below(4) as u32;
        limits.max_expression_nodes = 1 + b.below(4) as u32;
        // Fixed, so that the bytes read stay those the corpus was written for.
        limits.max_preferred_agents = 2;
        limits.max_cases = 2;
        builder = builder.limits(limits);
    }
    builder.build().ok()
}

/// Two skills, a real-time and a deferrable queue, four agents logged in.
pub fn bootstrap(run: &mut Run) {
    let t = Timestamp::from_millis(T0);
    for s in 1..=2 {
        run.command(t, Command::AddSkill { skill: SkillId(s), name: format!("skill {s}") });
    }
    run.command(t, Command::AddAgentAttribute { name: "team".into(), kind: AttributeKind::Text });
    run.command(t, Command::AddAgentAttribute { name: "tenure".into(), kind: AttributeKind::Number });
    run.command(t, Command::AddQueue(QueueConfig::new(QueueId(1), "live", [Channel::Voice, Channel::Chat])));
    run.command(
        t,
        Command::AddQueue(
            QueueConfig::new(QueueId(2), "later", [Channel::Email]).with_wrap_up(Duration::from_secs(30)).with_aging(1),
        ),
    );
    for a in 1..=4u64 {
        let capacity = CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(3).with_units(30))
            .with_channel(Channel::Email, ChannelCapacity::new(1).with_units(10));
        let level = Proficiency::new(1 + (a % 5) as u8).unwrap_or(Proficiency::MIN);
        let config = AgentConfig::new(AgentId(a), capacity)
            .with_skills(SkillSet::from_pairs([(SkillId(1 + a % 2), level)]))
            .with_queue(QueueMembership::new(QueueId(1)))
            .with_queue(QueueMembership::new(QueueId(2)).with_delay(Duration::from_secs(a)));
        run.command(t, Command::AddAgent(config));
        run.command(t, Command::Login { agent: AgentId(a) });
    }
}

const OFFER_TIMEOUTS: [Duration; 8] = [
    Duration::from_secs(15),
    Duration::from_secs(1),
    Duration::from_millis(1),
    Duration::from_secs(3_600),
    Duration::from_micros(500),
    Duration::ZERO,
    Duration::from_secs(20),
    Duration::from_secs(u64::MAX),
];

const DURATIONS: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_millis(1),
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(3_600),
    Duration::from_micros(500),
    Duration::from_secs(u64::MAX),
];

const CHANNELS: [Channel; 11] = [
    Channel::Voice,
    Channel::Chat,
    Channel::Email,
    Channel::Sms,
    Channel::Social,
    Channel::Video,
    Channel::Callback,
    Channel::Fax,
    Channel::Custom(1),
    Channel::Custom(2),
    Channel::Custom(3),
];

const PRIORITIES: [i32; 8] = [0, 1, -1, 2, 5, 100, i32::MAX, i32::MIN];

fn skill(b: &mut Bytes) -> SkillId {
    SkillId(1 + b.below(5) as u64)
}

fn queue(b: &mut Bytes) -> QueueId {
    QueueId(1 + b.below(4) as u64)
}

fn agent(b: &mut Bytes) -> AgentId {
    AgentId(1 + b.below(6) as u64)
}

fn interaction(b: &mut Bytes) -> InteractionId {
    InteractionId(1 + b.below(16) as u64)
}

fn level(b: &mut Bytes) -> Proficiency {
    Proficiency::new(1 + b.below(5) as u8).unwrap_or(Proficiency::MIN)
}

fn requirements(b: &mut Bytes) -> Requirements {
    let n = b.below(4);
    Requirements::from_pairs((0..n).map(|_| (skill(b), level(b))).collect::<Vec<_>>())
}

fn skills(b: &mut Bytes) -> SkillSet {
    let n = b.below(4);
    SkillSet::from_pairs((0..n).map(|_| (skill(b), level(b))).collect::<Vec<_>>())
}

fn queue_config(b: &mut Bytes) -> QueueConfig {
    let id = queue(b);
    let n = b.below(4);
    let channels: Vec<Channel> = (0..n).map(|_| b.pick(&CHANNELS)).collect();
    let mut q = QueueConfig::new(id, format!("queue {}", id.0), channels);
    // Case-owner routing in odd queues, drawn from bytes already read so that the
    // corpus decodes into the same commands otherwise.
    if id.0 % 2 == 1 {
        q = q.with_case_owner_wait(Duration::from_secs(30));
    }
    // Parallel offers in queue 2, from the id too: ring 3 agents at once.
    if id.0 == 2 {
        q = q.with_parallel_offers(3);
    }
    // Wrap-up modes, from the id too: time-boxed with an extension, or forced.
    q = match id.0 % 3 {
        1 => q.with_wrap_up_mode(WrapUpMode::TimeBoxed, Some(Duration::from_secs(5)), Some("auto".into())),
        2 => q.with_wrap_up_mode(WrapUpMode::Forced, None, None),
        _ => q,
    };
    let knobs = b.u8();
    if knobs & 1 != 0 {
        q = q.with_requirements(requirements(b));
    }
    if knobs & 2 != 0 {
        q = q.with_service_level(ServiceLevelTarget::new(b.u8(), b.pick(&DURATIONS)));
    }
    if knobs & 4 != 0 {
        q = q.with_priority(b.pick(&PRIORITIES));
    }
    q = q.with_strategy(b.pick(&[
        AgentSelection::LongestIdle,
        AgentSelection::MostProficient,
        AgentSelection::LeastOccupied,
        AgentSelection::RoundRobin,
        AgentSelection::FewestContacts,
    ]));
    // The strategies added later, in queue 4 in place of three of the first (no byte of their
    // own, so the corpus decodes as before).
    if id.0 == 4 {
        q.strategy = match q.strategy {
            AgentSelection::LongestIdle => AgentSelection::LeastTalkTime,
            AgentSelection::MostProficient => AgentSelection::Linear,
            AgentSelection::LeastOccupied => AgentSelection::MostAvailable,
            AgentSelection::RoundRobin => AgentSelection::Random,
            AgentSelection::FewestContacts => AgentSelection::WeightedRandom,
            other => other,
        };
    }
    if knobs & 8 != 0 {
        q = q.with_wrap_up(b.pick(&DURATIONS));
    }
    if knobs & 16 != 0 {
        q = q.with_aging(b.pick(&[0, 1, 60, 1_000_000, 1_000_001, u32::MAX]));
    }
    if knobs & 32 != 0 {
        q = q.with_max_waiting(b.below(4) as u32);
    }
    if knobs & 64 != 0 {
        q = q.with_offer_timeout(b.pick(&OFFER_TIMEOUTS));
    }
    if knobs & 128 != 0 {
        // Routing steps and a wait bound, any of them malformed (zero or huge spans, an
        // expiring last step, a middle step that never expires).
        let steps = (0..b.below(4))
            .map(|_| {
                // Read in the corpus's order: requirements, eligibility, boost, expiry.
                let mut step = RoutingStep::new(requirements(b));
                step.eligibility = if b.bool() { Some(expression(b, 2)) } else { None };
                step.priority_boost = b.pick(&PRIORITIES);
                step.expires_after = if b.bool() { Some(b.pick(&DURATIONS)) } else { None };
                step
            })
            .collect();
        q = q.with_steps(steps);
        if b.bool() {
            q = q.with_max_wait(b.pick(&DURATIONS));
        }
        if b.bool() {
            q = q.with_time_to_live(b.pick(&DURATIONS));
        }
        if b.bool() {
            let action = rule_action(b);
            q = q.with_exception_rules(vec![ExceptionRule::new(b.pick(&DURATIONS), action)]);
        }
        if b.bool() {
            let when = match b.below(3) {
                0 => AdmissionTrigger::QueueLength(b.below(3) as u32),
                1 => AdmissionTrigger::EstimatedWait(b.pick(&DURATIONS)),
                _ => AdmissionTrigger::NoAgents(b.pick(&[Staffed::Qualified, Staffed::LoggedIn, Staffed::Unpaused])),
            };
            q = q.with_admission_rules(vec![AdmissionRule::new(when, rule_action(b))]);
        }
        if b.bool() {
            let nobody = b.pick(&[Staffed::Qualified, Staffed::LoggedIn, Staffed::Unpaused]);
            q = q.with_when_empty(WhenEmpty::new(nobody, rule_action(b)));
        }
    }
    if b.bool() {
        q = q.with_eligibility(expression(b, 2));
    }
    if b.bool() {
        let rule = match b.below(3) {
            0 => WhenClosed::Wait,
            1 => WhenClosed::End,
            _ => WhenClosed::Move(queue(b)),
        };
        q = q.with_calendar(CalendarId(b.below(3) as u64), rule);
    }
    q
}

/// An exception or admission rule's action, now and then one the engine refuses (a move to the
/// queue itself or an unknown one, a requirement on an unknown skill).
fn rule_action(b: &mut Bytes) -> ExceptionAction {
    match b.below(5) {
        0 => ExceptionAction::Alert,
        1 => ExceptionAction::Move { queue: queue(b), keep_place: b.bool() },
        2 => ExceptionAction::SetPriority(b.pick(&PRIORITIES)),
        3 => ExceptionAction::ChangeRequirements { add: requirements(b), drop: vec![skill(b)] },
        _ => ExceptionAction::End(b.pick(&[Diversion::Voicemail, Diversion::Callback, Diversion::Message])),
    }
}

/// Business hours around the fuzzed times (2026, from `T0`), now and then malformed: an unknown
/// zone, an opening that closes before it opens, overlapping openings, a holiday.
fn business_hours(b: &mut Bytes) -> BusinessHours {
    let zone = b.pick(&["UTC", "Europe/Moscow", "America/New_York", "Nowhere/Land"]);
    let mut hours = BusinessHours::new(zone);
    for _ in 0..b.below(4) {
        let day = b.pick(&[chrono::Weekday::Mon, chrono::Weekday::Thu, chrono::Weekday::Sun]);
        let open = LocalTime::hm(b.pick(&[0, 8, 9, 23, 24, 25]), b.pick(&[0, 30, 59, 60]));
        let close = LocalTime::hm(b.pick(&[0, 9, 17, 24]), b.pick(&[0, 1, 30]));
        hours = hours.open(day, open, close);
    }
    if b.bool() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1 + b.below(28) as u32).unwrap_or_default();
        hours = hours.closed_on(date);
    }
    hours
}

fn capacity(b: &mut Bytes) -> CapacityProfile {
    if b.bool() {
        return CapacityProfile::single(b.pick(&CHANNELS), 1 + b.below(3) as u32);
    }
    let mut c = CapacityProfile::new(b.pick(&[100, 1, 2, 3, 0, u32::MAX]));
    for _ in 0..b.below(4) {
        // Read in the same order as before the named struct: channel, count, units, exclusive.
        let channel = b.pick(&CHANNELS);
        let capacity = ChannelCapacity::new(b.pick(&[1, 2, 3, 0, u32::MAX]))
            .with_units(b.pick(&[1, 30, 100, 0, u32::MAX]))
            .with_exclusive(b.bool());
        c = c.with_channel(channel, capacity);
    }
    c
}

fn memberships(b: &mut Bytes) -> Vec<QueueMembership> {
    let n = b.below(4);
    (0..n)
        .map(|_| {
            let mut m = QueueMembership::new(queue(b)).with_delay(b.pick(&DURATIONS));
            if b.bool() {
                m = m.with_priority(b.pick(&PRIORITIES));
            }
            // A weight and a position from what was read (the corpus decodes as before), out of
            // range (0, above 10,000) at the extreme priorities.
            let p = m.priority.unwrap_or(1);
            let weight = match p {
                i32::MAX => 20_000,
                i32::MIN => 0,
                p => p.unsigned_abs() % 3 + 1,
            };
            m.with_weight(weight).with_position(p.unsigned_abs())
        })
        .collect()
}

fn agent_config(b: &mut Bytes) -> AgentConfig {
    let mut a = AgentConfig::new(agent(b), capacity(b)).with_skills(skills(b));
    a.queues = memberships(b);
    if b.bool() {
        a.attributes = agent_attributes(b);
    }
    // A trainee with untimed wrap-up, from bytes already read (the corpus decodes as before).
    if a.id.0 == 5 {
        a = a.with_wrap_up(WrapUpRule::new(WrapUpMode::Untimed, Duration::ZERO));
    }
    a
}

/// Agent attributes, now and then undeclared, of the wrong kind or huge.
fn agent_attributes(b: &mut Bytes) -> AgentAttributes {
    let mut attrs = AgentAttributes::new();
    for _ in 0..b.below(3) {
        attrs = match b.below(5) {
            0 => attrs.with("team", b.pick(&["tier1", "tier2", ""])),
            1 => attrs.with("tenure", b.pick(&[0i64, 12, -1, i64::MAX])),
            2 => attrs.with("team", 3i64),
            3 => attrs.with("site", "berlin"),
            _ => attrs.with("team", "x".repeat(b.pick(&[100, 5_000]))),
        };
    }
    attrs
}

/// An eligibility expression, nested up to `depth`, now and then malformed (an empty `any`,
/// an undeclared attribute, a value of the wrong kind, an order on text).
fn expression(b: &mut Bytes, depth: u32) -> Expression {
    let text = |s: &str| Operand::Text(s.into());
    match b.below(if depth == 0 { 7 } else { 10 }) {
        0 => Expression::Skill { skill: skill(b), at_least: level(b) },
        1 => Expression::attribute("team", b.pick(&[Comparison::Eq, Comparison::Ne, Comparison::Lt]), text("tier1")),
        2 => Expression::attribute(
            "tenure",
            b.pick(&[Comparison::Gt, Comparison::Lt, Comparison::Eq]),
            Operand::Number(12),
        ),
        3 => Expression::attribute("team", Comparison::In, Operand::List(vec!["tier1".into(), "tier2".into()])),
        4 => Expression::attribute(
            b.pick(&["team", "tenure", "site"]),
            Comparison::Eq,
            Operand::Interaction(b.pick(&["language", "region", ""]).into()),
        ),
        5 => Expression::Agents((0..b.below(3)).map(|_| agent(b)).collect()),
        6 => Expression::attribute("tenure", Comparison::Eq, text("long")),
        7 => Expression::Not(Box::new(expression(b, depth - 1))),
        8 => Expression::All((0..b.below(3)).map(|_| expression(b, depth - 1)).collect()),
        _ => Expression::Any((0..b.below(3)).map(|_| expression(b, depth - 1)).collect()),
    }
}

fn new_interaction(b: &mut Bytes) -> NewInteraction {
    let mut new = NewInteraction::new(interaction(b), b.pick(&CHANNELS), queue(b), CustomerId(b.below(4) as u64));
    let knobs = b.u8();
    if knobs & 1 != 0 {
        new = new.with_case(CaseId(b.below(3) as u64));
    }
    if knobs & 2 != 0 {
        new = new.with_requirements(requirements(b));
    }
    if knobs & 4 != 0 {
        new = new.with_priority(b.pick(&PRIORITIES));
    }
    if knobs & 8 != 0 {
        let mut attributes = Attributes::new();
        for _ in 0..1 + b.below(2) {
            let key = b.pick(&["language", "region", "segment", ""]);
            let value = match b.below(4) {
                0 => "x".repeat(b.pick(&[100, 5_000])),
                n => ["fr", "north", "vip"][n - 1].to_string(),
            };
            attributes.insert(key, value);
        }
        new = new.with_attributes(attributes);
    }
    if knobs & 16 != 0 {
        // From bits read above, so that the corpus decodes into the same commands otherwise:
        // preferred agents (some unknown, some not members) or one direct agent.
        let first = AgentId(1 + new.customer.0 % 6);
        let wait = if knobs & 32 != 0 { Duration::from_millis(1) } else { Duration::from_secs(30) };
        new = new.with_preference(if knobs & 64 != 0 {
            Preference::direct(first, wait)
        } else {
            Preference::agents([first, AgentId(first.0 % 6 + 1)], wait)
        });
    }
    new
}

/// The next command's time: mostly now or a little later, sometimes the next deadline (or
/// just around it), sometimes backwards or at the ends of time.
fn time(run: &Run, b: &mut Bytes) -> Timestamp {
    let now = run.now().unwrap_or(Timestamp::from_millis(T0));
    let deadline = run.engine.poll_timeout().unwrap_or(now);
    let ms = |t: Timestamp, d: i64| Timestamp::from_millis(t.as_millis().saturating_add(d));
    match b.u8() % 16 {
        0..=5 => now,
        6 => ms(now, 1),
        7 => ms(now, 1_000),
        8 => ms(now, i64::from(b.u8()) * 1_000),
        9 => ms(now, i64::from(b.u16())),
        10 => ms(now, i64::from(b.u16()) * 1_000),
        11 => deadline,
        12 => ms(deadline, -1),
        13 => ms(deadline, 1),
        14 => ms(now, -1),
        _ => Timestamp::from_millis(b.pick(&[i64::MAX, i64::MAX - 1, i64::MIN, 0, -1, 1 << 53])),
    }
}

/// Live interactions and their states, by id.
fn live(engine: &Engine) -> Vec<(InteractionId, InteractionState)> {
    engine.interactions().map(|i| (i.id(), i.state())).collect()
}

/// A live interaction (mostly) or one from the pool, with the agent it is with (if any).
fn some_interaction(run: &Run, b: &mut Bytes) -> (InteractionId, Option<AgentId>) {
    let live = live(&run.engine);
    match b.choose(&live) {
        Some((id, state)) if b.u8() % 8 != 0 => {
            let agent = match *state {
                InteractionState::Offered { agent, .. }
                | InteractionState::Connected { agent }
                | InteractionState::WrapUp { agent } => Some(agent),
                _ => None,
            };
            (*id, agent)
        }
        _ => (interaction(b), None),
    }
}

/// An (agent, offer) pair: mostly a pending offer and its own agent.
fn some_offer(run: &Run, b: &mut Bytes) -> (AgentId, OfferId) {
    let offers: Vec<(AgentId, OfferId)> = run.engine.offers().map(|p| (p.agent, p.id)).collect();
    match b.choose(&offers) {
        Some(&(a, o)) => match b.u8() % 8 {
            0 => (agent(b), o),
            1 => (a, OfferId(o.0 + 1)),
            _ => (a, o),
        },
        None => (agent(b), OfferId(b.below(8) as u64)),
    }
}

/// One operation: a command, a timeout, or a snapshot-and-restore.
pub fn op(run: &mut Run, b: &mut Bytes) {
    let code = b.u8() % 28;
    let at = time(run, b);
    let command = match code {
        0 => Command::AddSkill { skill: skill(b), name: b.pick(&["billing", "", "técnico"]).to_string() },
        1 => Command::AddQueue(queue_config(b)),
        2 => Command::AddAgent(agent_config(b)),
        3 => Command::SetAgentSkills { agent: agent(b), skills: skills(b) },
        4 => Command::SetAgentQueues { agent: agent(b), queues: memberships(b) },
        5 => Command::RemoveAgent { agent: agent(b) },
        6 => Command::Login { agent: agent(b) },
        7 => Command::Logout { agent: agent(b) },
        8 => Command::Pause { agent: agent(b), reason: ReasonCode(b.below(3) as u64) },
        9 => Command::Resume { agent: agent(b) },
        10 | 11 => Command::Arrive(new_interaction(b)),
        12 | 13 => {
            let (agent, offer) = some_offer(run, b);
            Command::Accept { agent, offer }
        }
        14 => {
            let (agent, offer) = some_offer(run, b);
            Command::Reject { agent, offer }
        }
        15..=17 => {
            let (interaction, with) = some_interaction(run, b);
            let agent = match with {
                Some(a) if b.u8() % 8 != 0 => a,
                _ => agent(b),
            };
            match code {
                15 => Command::Complete { agent, interaction },
                16 => Command::EndWrapUp { agent, interaction },
                _ => Command::Disposition {
                    agent,
                    interaction,
                    code: b.pick(&["resolved", "sale", ""]).to_string(),
                    notes: b.bool().then(|| "called back".to_string()),
                },
            }
        }
        18 => Command::Abandon { interaction: some_interaction(run, b).0 },
        19 => Command::Cancel { interaction: some_interaction(run, b).0 },
        20 => Command::Transfer { interaction: some_interaction(run, b).0, queue: queue(b) },
        21 => {
            run.tick_next();
            return;
        }
        22 => {
            run.tick(at);
            return;
        }
        23 => Command::AddAgentAttribute {
            name: b.pick(&["team", "site", "", "language"]).into(),
            kind: b.pick(&[AttributeKind::Text, AttributeKind::Number]),
        },
        24 => Command::SetAgentAttributes { agent: agent(b), attributes: agent_attributes(b) },
        25 => Command::AddCalendar { calendar: CalendarId(b.below(3) as u64), hours: business_hours(b) },
        26 => Command::SetCalendar { calendar: CalendarId(b.below(3) as u64), hours: business_hours(b) },
        _ => {
            run.restore_roundtrip();
            return;
        }
    };
    run.command(at, command);
}
