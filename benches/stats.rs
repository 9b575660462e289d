//! The cost statistics add per event.
//!
//! A busy engine (200 agents, 20 queues, 5 skills, voice, chat and e-mail;
//! arrivals, answers, rejections, abandons, transfers, wrap-ups) is driven
//! once to record a journal of commands. Each benchmark replays that journal
//! into a fresh engine, draining every event:
//!
//! * `engine_only`: the engine alone (the baseline);
//! * `engine_with_stats`: plus [`Statistics::observe`] on every event, with
//!   the default configuration (15-minute intervals, records, in-memory history);
//! * `engine_with_full_stats`: plus four service-level definitions per
//!   queue, a breakdown by an attribute, and a cost model.
//!
//! Throughput is in events per second, so the difference of the per-event
//! times is the cost statistics add per event. Run with
//! `cargo bench --bench stats -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchboard::sim::SimRng;
use switchboard::stats::*;
use switchboard::*;

const AGENTS: u64 = 200;
const QUEUES: u64 = 20;
const SKILLS: u64 = 5;
const INTERACTIONS: u64 = 6_000;

const CHANNELS: [Channel; 3] = [Channel::Voice, Channel::Chat, Channel::Email];

fn setup() -> Vec<Command> {
    let level = |l| Proficiency::new(l).unwrap();
    let mut commands: Vec<Command> =
        (1..=SKILLS).map(|s| Command::AddSkill { skill: SkillId(s), name: format!("skill{s}") }).collect();
    for q in 1..=QUEUES {
        let queue = QueueConfig::new(QueueId(q), format!("q{q}"), CHANNELS)
            .with_requirements(Requirements::from_pairs([(SkillId(q % SKILLS + 1), level(1))]))
            .with_wrap_up(Duration::from_secs(10))
            .with_offer_timeout(Duration::from_secs(30));
        commands.push(Command::AddQueue(queue));
    }
    for a in 1..=AGENTS {
        let capacity = CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(3).with_units(30))
            .with_channel(Channel::Email, ChannelCapacity::new(2).with_units(20));
        let skills = SkillSet::from_pairs((1..=SKILLS).map(|s| (SkillId(s), level(((a + s) % 5 + 1) as u8))));
        let mut config = AgentConfig::new(AgentId(a), capacity).with_skills(skills);
        for k in 0..3 {
            config = config.with_queue(QueueMembership::new(QueueId((a + k * 7) % QUEUES + 1)));
        }
        commands.push(Command::AddAgent(config));
        commands.push(Command::Login { agent: AgentId(a) });
    }
    commands
}

/// Drives an engine once, deciding commands from what it sees, and returns the journal.
fn record_journal() -> Vec<(Command, Timestamp)> {
    let mut engine = Engine::new(EngineConfig::builder().missed_offer_pause(None).build().unwrap());
    let mut rng = SimRng::new(0x9E37_79B9_7F4A_7C15, 0);
    let mut now = Timestamp::from_secs(1_700_000_000);
    let mut journal = Vec::new();
    let submit = |engine: &mut Engine, journal: &mut Vec<(Command, Timestamp)>, command: Command, now| {
        if engine.handle(command.clone(), now).is_ok() {
            journal.push((command, now));
        }
        while engine.poll_event().is_some() {}
    };
    for c in setup() {
        submit(&mut engine, &mut journal, c, now);
    }
    let mut next_id = 1;
    while next_id <= INTERACTIONS || engine.interactions().next().is_some() {
        now = now + Duration::from_millis(250 + rng.below(500));
        // Arrivals: about three a second while the day lasts.
        if next_id <= INTERACTIONS {
            for _ in 0..rng.below(3) {
                let region = ["north", "south", "east", "west"][rng.below(4) as usize];
                let new = NewInteraction::new(
                    InteractionId(next_id),
                    CHANNELS[rng.below(3) as usize],
                    QueueId(rng.below(QUEUES) + 1),
                    CustomerId(rng.below(2_000)),
                )
                .with_attributes(Attributes::new().with("region", region));
                submit(&mut engine, &mut journal, Command::Arrive(new), now);
                next_id += 1;
            }
        }
        // Agents answer most offers after a few seconds, reject a few.
        let offers: Vec<PendingOffer> = engine.offers().cloned().collect();
        for o in offers {
            if now.millis_since(o.offered_at) < 2_000 {
                continue;
            }
            let command = if rng.below(20) == 0 {
                Command::Reject { agent: o.agent, offer: o.id }
            } else {
                Command::Accept { agent: o.agent, offer: o.id }
            };
            submit(&mut engine, &mut journal, command, now);
        }
        // Conversations end after about a minute; some customers give up; some contacts move.
        let live: Vec<(InteractionId, InteractionState)> = engine.interactions().map(|i| (i.id(), i.state())).collect();
        for (id, state) in live {
            match state {
                InteractionState::Connected { agent } if rng.below(60) == 0 => {
                    submit(&mut engine, &mut journal, Command::Complete { agent, interaction: id }, now);
                }
                InteractionState::Connected { .. } if rng.below(2_000) == 0 => {
                    let queue = QueueId(rng.below(QUEUES) + 1);
                    submit(&mut engine, &mut journal, Command::Transfer { interaction: id, queue }, now);
                }
                InteractionState::Queued if rng.below(200) == 0 => {
                    submit(&mut engine, &mut journal, Command::Abandon { interaction: id }, now);
                }
                _ => {}
            }
        }
        engine.handle_timeout(now).unwrap();
        while engine.poll_event().is_some() {}
    }
    journal
}

/// Replays the journal, optionally into statistics; returns the number of events.
fn replay(journal: &[(Command, Timestamp)], mut stats: Option<&mut Statistics>) -> u64 {
    let mut engine = Engine::new(EngineConfig::builder().missed_offer_pause(None).build().unwrap());
    let mut events = 0;
    for (command, now) in journal {
        engine.handle(command.clone(), *now).expect("the journal replays");
        while let Some(event) = engine.poll_event() {
            events += 1;
            if let Some(stats) = stats.as_deref_mut() {
                stats.observe(&event, &engine);
            }
            black_box(&event);
        }
        if let Some(stats) = stats.as_deref_mut() {
            while let Some(record) = stats.poll_record() {
                black_box(record);
            }
            while let Some(report) = stats.poll_report() {
                black_box(report);
            }
        }
    }
    events
}

fn full_config() -> StatsConfig {
    let target = ServiceLevelTarget::new(80, Duration::from_secs(20));
    let defs = ServiceLevelFormula::ALL
        .iter()
        .fold(QueueMeasurement::new(), |m, f| m.with_service_level(ServiceLevelDefinition::new(*f, target)));
    let cost = CostModel::new()
        .with_channel(Channel::Voice, ChannelCost::new(0.3, 0.9))
        .and_then(|m| m.with_channel(Channel::Chat, ChannelCost::new(0.1, 0.4)))
        .and_then(|m| m.with_channel(Channel::Email, ChannelCost::new(0.05, 0.3)))
        .unwrap();
    let mut builder = StatsConfig::builder().breakdown_by("region").cost(cost);
    for q in 1..=QUEUES {
        builder = builder.queue(QueueId(q), defs.clone());
    }
    builder.build().unwrap()
}

fn bench(c: &mut Criterion) {
    let journal = record_journal();
    let events = replay(&journal, None);
    eprintln!("journal: {} commands, {} events per replay", journal.len(), events);
    let mut group = c.benchmark_group("stats");
    group.throughput(Throughput::Elements(events));
    group.sample_size(20);
    group.bench_function("engine_only", |b| b.iter(|| replay(&journal, None)));
    group.bench_function("engine_with_stats", |b| {
        b.iter(|| {
            let mut stats = Statistics::new(StatsConfig::default());
            replay(&journal, Some(&mut stats))
        })
    });
    group.bench_function("engine_with_full_stats", |b| {
        b.iter(|| {
            let mut stats = Statistics::new(full_config());
            replay(&journal, Some(&mut stats))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
