//! Property test: over random command sequences, the statistics' counters
//! always add up, and their gauges always match the engine.
//!
//! `SWITCHBOARD_SEED` sets the seed (printed on failure); `PROPTEST_CASES`
//! (or `SWITCHBOARD_CASES`) the number of cases.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use switchboard::stats::*;
use switchboard::*;

const T0: i64 = 1_700_000_000_000;
const AGENTS: u64 = 5;
const QUEUES: u64 = 3;
const CHANNELS: [Channel; 3] = [Channel::Voice, Channel::Chat, Channel::Sms];

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5747_5354)
}

fn config() -> Config {
    let cases = ["PROPTEST_CASES", "SWITCHBOARD_CASES"]
        .iter()
        .find_map(|v| std::env::var(v).ok().and_then(|s| s.parse().ok()))
        .unwrap_or(40);
    Config { cases, rng_seed: RngSeed::Fixed(seed()), failure_persistence: None, ..Config::default() }
}

#[derive(Clone, Debug)]
enum Op {
    Arrive { id: u64, channel: usize, queue: u64, region: u8 },
    Accept { agent: u64 },
    Reject { agent: u64 },
    Complete { agent: u64 },
    EndWrapUp { agent: u64 },
    Abandon { id: u64 },
    Cancel { id: u64 },
    Transfer { id: u64, queue: u64 },
    Login { agent: u64 },
    Logout { agent: u64 },
    Pause { agent: u64 },
    Resume { agent: u64 },
    SetQueues { agent: u64, mask: u8 },
    Advance { ms: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    let agent = 1..=AGENTS;
    let id = 1u64..=20;
    prop_oneof![
        6 => (id.clone(), 0..CHANNELS.len(), 1..=QUEUES, 0u8..4)
            .prop_map(|(id, channel, queue, region)| Op::Arrive { id, channel, queue, region }),
        5 => agent.clone().prop_map(|agent| Op::Accept { agent }),
        1 => agent.clone().prop_map(|agent| Op::Reject { agent }),
        4 => agent.clone().prop_map(|agent| Op::Complete { agent }),
        1 => agent.clone().prop_map(|agent| Op::EndWrapUp { agent }),
        2 => id.clone().prop_map(|id| Op::Abandon { id }),
        1 => id.clone().prop_map(|id| Op::Cancel { id }),
        1 => (id, 1..=QUEUES).prop_map(|(id, queue)| Op::Transfer { id, queue }),
        2 => agent.clone().prop_map(|agent| Op::Login { agent }),
        1 => agent.clone().prop_map(|agent| Op::Logout { agent }),
        1 => agent.clone().prop_map(|agent| Op::Pause { agent }),
        1 => agent.clone().prop_map(|agent| Op::Resume { agent }),
        1 => (agent, 1u8..8).prop_map(|(agent, mask)| Op::SetQueues { agent, mask }),
        4 => (0u32..40_000).prop_map(|ms| Op::Advance { ms }),
    ]
}

fn memberships(mask: u8) -> Vec<QueueMembership> {
    (1..=QUEUES).filter(|q| mask & (1 << (q - 1)) != 0).map(|q| QueueMembership::new(QueueId(q))).collect()
}

fn setup() -> Vec<Command> {
    let mut commands = vec![Command::AddSkill { skill: SkillId(1), name: "s1".into() }];
    for q in 1..=QUEUES {
        let mut queue = QueueConfig::new(QueueId(q), format!("q{q}"), CHANNELS)
            .with_wrap_up(Duration::from_secs(5 * (q - 1)))
            .with_max_waiting(8);
        if q == 2 {
            queue = queue.with_requirements(Requirements::from_pairs([(SkillId(1), Proficiency::MIN)]));
        }
        commands.push(Command::AddQueue(queue));
    }
    for a in 1..=AGENTS {
        let capacity = CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(40))
            .with_channel(Channel::Sms, ChannelCapacity::new(2).with_units(10));
        let mut config =
            AgentConfig::new(AgentId(a), capacity).with_skills(SkillSet::from_pairs([(SkillId(1), Proficiency::MAX)]));
        config.queues = memberships(a as u8 % 7 + 1);
        commands.push(Command::AddAgent(config));
    }
    commands
}

fn command_for(op: &Op, engine: &Engine) -> Option<Command> {
    let first_offer = |agent: u64| engine.agent(AgentId(agent)).and_then(|a| a.offers().next());
    Some(match *op {
        Op::Arrive { id, channel, queue, region } => {
            let mut attrs = Attributes::new();
            if region > 0 {
                attrs.insert("region", format!("r{region}"));
            }
            Command::Arrive(
                NewInteraction::new(InteractionId(id), CHANNELS[channel], QueueId(queue), CustomerId(id % 4))
                    .with_attributes(attrs),
            )
        }
        Op::Accept { agent } => Command::Accept { agent: AgentId(agent), offer: first_offer(agent)? },
        Op::Reject { agent } => Command::Reject { agent: AgentId(agent), offer: first_offer(agent)? },
        Op::Complete { agent } => {
            Command::Complete { agent: AgentId(agent), interaction: engine.agent(AgentId(agent))?.connected().next()? }
        }
        Op::EndWrapUp { agent } => {
            Command::EndWrapUp { agent: AgentId(agent), interaction: engine.agent(AgentId(agent))?.wrap_ups().next()? }
        }
        Op::Abandon { id } => Command::Abandon { interaction: InteractionId(id) },
        Op::Cancel { id } => Command::Cancel { interaction: InteractionId(id) },
        Op::Transfer { id, queue } => Command::Transfer { interaction: InteractionId(id), queue: QueueId(queue) },
        Op::Login { agent } => Command::Login { agent: AgentId(agent) },
        Op::Logout { agent } => Command::Logout { agent: AgentId(agent) },
        Op::Pause { agent } => Command::Pause { agent: AgentId(agent), reason: ReasonCode(1) },
        Op::Resume { agent } => Command::Resume { agent: AgentId(agent) },
        Op::SetQueues { agent, mask } => Command::SetAgentQueues { agent: AgentId(agent), queues: memberships(mask) },
        Op::Advance { .. } => return None,
    })
}

fn stats_config() -> StatsConfig {
    let sms = ResponseTarget::new(80, Duration::from_secs(30), ResponseMeasure::Answered);
    let target = ServiceLevelTarget::new(80, Duration::from_secs(10));
    let defs = ServiceLevelFormula::ALL.iter().enumerate().fold(QueueMeasurement::new(), |m, (i, f)| {
        m.with_service_level(ServiceLevelDefinition::new(*f, target).with_short_abandon(Duration::from_secs(i as u64)))
    });
    StatsConfig::builder()
        .intervals(IntervalLength::minutes(1).unwrap())
        .short_abandon(Duration::from_secs(2))
        .queue(QueueId(1), defs)
        .response_target(Channel::Sms, sms)
        .breakdown_by("region")
        .max_breakdown_values(2)
        .retention(RetentionPolicy::new(Duration::from_secs(120), 6).unwrap())
        .build()
        .unwrap()
}

/// Checks the one-interval identity and the service-level populations of a set of figures.
fn check_figures(f: &ContactFigures) -> Result<(), String> {
    let c = &f.counters;
    if f.in_queue.at_interval_start + c.offered != c.left() + f.in_queue.total() {
        return Err(format!("{:?}: at start + offered != left + in queue: {f:?}", f.scope));
    }
    let population = |s: &ServiceLevelCounts| s.answered + s.abandoned + s.short_abandoned + s.transferred_out;
    let first = f.service_levels.first().ok_or("no service level")?;
    for r in &f.service_levels {
        if population(&r.counts) != population(&first.counts) || r.counts.answered != first.counts.answered {
            return Err(format!("{:?}: definitions disagree on the population: {:?}", f.scope, f.service_levels));
        }
        if r.counts.answered_within > r.counts.answered || r.counts.abandoned_within > r.counts.abandoned {
            return Err(format!("{:?}: more within than in total: {r:?}", f.scope));
        }
    }
    if first.counts != c.service_level {
        return Err(format!("{:?}: primary definition differs from the counters", f.scope));
    }
    if f.answer_waits.count() != c.answered {
        return Err(format!("{:?}: {} answer waits for {} answered", f.scope, f.answer_waits.count(), c.answered));
    }
    Ok(())
}

/// Running sums over every closed report, per queue.
#[derive(Default)]
struct Totals {
    offered: u64,
    left: u64,
}

fn run(ops: &[Op]) -> Result<(), String> {
    let mut engine = Engine::new(EngineConfig::builder().missed_offer_pause(None).build().unwrap());
    let mut stats = Statistics::new(stats_config());
    let mut now = Timestamp::from_millis(T0);
    let mut transfers = 0u64;
    let mut records = 0u64;
    let mut closed: BTreeMap<QueueId, Totals> = BTreeMap::new();
    let drain = |engine: &mut Engine, stats: &mut Statistics, transfers: &mut u64| {
        while let Some(e) = engine.poll_event() {
            if matches!(e.kind, EventKind::InteractionTransferred { .. }) {
                *transfers += 1;
            }
            stats.observe(&e, engine);
        }
    };
    for c in setup() {
        engine.handle(c, now).map_err(|e| format!("setup: {e}"))?;
        drain(&mut engine, &mut stats, &mut transfers);
    }
    for (step, op) in ops.iter().enumerate() {
        if let Op::Advance { ms } = op {
            now = now + Duration::from_millis(u64::from(*ms));
            engine.handle_timeout(now).map_err(|e| e.to_string())?;
        } else if let Some(command) = command_for(op, &engine) {
            let _ = engine.handle(command, now);
        }
        drain(&mut engine, &mut stats, &mut transfers);
        stats.advance(now);
        let fail = |msg: String| format!("step {step} ({op:?}): {msg}");

        while let Some(report) = stats.poll_report() {
            for f in report.queues.iter().chain(&report.channels).chain(&report.skills) {
                check_figures(f).map_err(fail)?;
            }
            for f in &report.queues {
                let Scope::Queue(q) = f.scope else { return Err(fail("queue row without a queue".into())) };
                let t = closed.entry(q).or_default();
                t.offered += f.counters.offered;
                t.left += f.counters.left();
            }
            for a in &report.agents {
                if a.counters.staffed() > report.end.saturating_duration_since(report.start) {
                    return Err(fail(format!("agent staffed longer than the interval: {a:?}")));
                }
            }
        }
        while stats.poll_record().is_some() {
            records += 1;
        }

        let mut offered_everywhere = 0;
        for f in stats.queues().iter().chain(&stats.channels()).chain(&stats.skills()) {
            check_figures(f).map_err(fail)?;
        }
        for f in stats.queues() {
            let Scope::Queue(q) = f.scope else { unreachable!() };
            // Gauges match the engine.
            let waiting = engine.waiting_count(q) as u64;
            let ringing = engine.offers().filter(|o| o.queue == q).count() as u64;
            if (f.in_queue.waiting, f.in_queue.ringing) != (waiting, ringing) {
                return Err(fail(format!(
                    "{q}: stats say {:?}, engine {waiting} waiting {ringing} ringing",
                    f.in_queue
                )));
            }
            let mut agents = AgentCounts::default();
            for a in engine.agents().filter(|a| a.config().queues.iter().any(|m| m.queue == q)) {
                match a.presence() {
                    Presence::Offline => {}
                    Presence::Available => agents.available += 1,
                    Presence::Busy => agents.busy += 1,
                    Presence::WrapUp => agents.wrap_up += 1,
                    Presence::Paused(_) => agents.paused += 1,
                    other => return Err(fail(format!("{}: presence {other:?} the checker does not know", a.id()))),
                }
            }
            agents.staffed = agents.available + agents.busy + agents.wrap_up + agents.paused;
            if f.agents != agents {
                return Err(fail(format!("{q}: stats agents {:?}, engine {agents:?}", f.agents)));
            }
            // Since the start, over every interval: offered = left + in queue now.
            let t = closed.get(&q).map_or((0, 0), |t| (t.offered, t.left));
            let offered = t.0 + f.counters.offered;
            if offered != t.1 + f.counters.left() + f.in_queue.total() {
                return Err(fail(format!("{q}: since start, offered {offered} != left + in queue")));
            }
            offered_everywhere += offered;
        }
        let totals = engine.totals();
        if offered_everywhere != totals.arrived + transfers {
            return Err(fail(format!(
                "offered {offered_everywhere} != arrived {} + transfers {transfers}",
                totals.arrived
            )));
        }
        if records != totals.ended() {
            return Err(fail(format!("{records} records for {} ended interactions", totals.ended())));
        }
        let history = stats.history().ok_or("history is on")?;
        if history.len() > 6 {
            return Err(fail(format!("history holds {} entries over its cap", history.len())));
        }
        let values = stats.breakdown("region");
        if values.iter().filter(|v| matches!(v.value, BreakdownValue::Value(_))).count() > 2 {
            return Err(fail("more breakdown values than allowed".into()));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn counters_always_add_up(ops in prop::collection::vec(op(), 1..160)) {
        if let Err(e) = run(&ops) {
            panic!("seed {}: {e}", seed());
        }
    }
}
