//! Long random runs through the host driver, journaled to a JSON-lines file: replaying the
//! journal into a fresh engine, and a mid-run checkpoint plus the journal's tail, both rebuild
//! exactly the live engine's state and event stream.
//!
//! `SWITCHBOARD_SEED` sets the seed (printed on failure); `SWITCHBOARD_CASES` (or
//! `PROPTEST_CASES`) the number of cases — raise it for long soaks.
#![cfg(feature = "json")]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use switchboard::host::*;
use switchboard::*;

use crate::common;
use common::TempDir;

const T0: i64 = 1_700_000_000_000;
const AGENTS: u64 = 7;
const QUEUES: u64 = 4;

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x4057_5eed)
}

fn config() -> Config {
    let cases = ["SWITCHBOARD_CASES", "PROPTEST_CASES"]
        .iter()
        .find_map(|var| std::env::var(var).ok().and_then(|s| s.parse().ok()))
        .unwrap_or(24);
    Config { cases, rng_seed: RngSeed::Fixed(seed()), failure_persistence: None, ..Config::default() }
}

/// One step of a random run. Ids are small so that commands collide (and fail) often; `k`
/// picks among what exists at the time (pending offers, connected interactions, …).
#[derive(Clone, Debug)]
enum Op {
    Arrive {
        id: u64,
        channel: u8,
        queue: u64,
        priority: i32,
        customer: u64,
        skill_level: u8,
    },
    Accept {
        k: usize,
    },
    AcceptAsOther {
        k: usize,
        agent: u64,
    },
    Reject {
        k: usize,
    },
    Complete {
        k: usize,
    },
    EndWrapUp {
        k: usize,
    },
    Disposition {
        k: usize,
    },
    Abandon {
        id: u64,
    },
    Cancel {
        id: u64,
    },
    Transfer {
        id: u64,
        queue: u64,
    },
    Login {
        agent: u64,
    },
    Logout {
        agent: u64,
    },
    Pause {
        agent: u64,
        reason: u64,
    },
    Resume {
        agent: u64,
    },
    AddAgent {
        agent: u64,
    },
    RemoveAgent {
        agent: u64,
    },
    SetSkills {
        agent: u64,
        level: u8,
    },
    AddQueue {
        queue: u64,
    },
    /// A probably wrong command with random ids.
    Stray {
        agent: u64,
        offer: u64,
        id: u64,
    },
    /// Time passes; the host ticks.
    Advance {
        ms: u64,
    },
    /// The system clock steps back (the driver holds the engine's time).
    ClockBack {
        ms: u64,
    },
    /// Several commands in one batch.
    Batch(Vec<Op>),
    Checkpoint,
}

fn simple_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1..60u64, 0..4u8, 1..=QUEUES, -3..6i32, 0..30u64, 0..4u8).prop_map(|(id, channel, queue, priority, customer, skill_level)| Op::Arrive { id, channel, queue, priority, customer, skill_level }),
        4 => any::<usize>().prop_map(|k| Op::Accept { k }),
        1 => (any::<usize>(), 1..=AGENTS).prop_map(|(k, agent)| Op::AcceptAsOther { k, agent }),
        2 => any::<usize>().prop_map(|k| Op::Reject { k }),
        4 => any::<usize>().prop_map(|k| Op::Complete { k }),
        1 => any::<usize>().prop_map(|k| Op::EndWrapUp { k }),
        1 => any::<usize>().prop_map(|k| Op::Disposition { k }),
        1 => (1..60u64).prop_map(|id| Op::Abandon { id }),
        1 => (1..60u64).prop_map(|id| Op::Cancel { id }),
        1 => (1..60u64, 1..=QUEUES).prop_map(|(id, queue)| Op::Transfer { id, queue }),
        2 => (1..=AGENTS).prop_map(|agent| Op::Login { agent }),
        1 => (1..=AGENTS).prop_map(|agent| Op::Logout { agent }),
        1 => (1..=AGENTS, 1..4u64).prop_map(|(agent, reason)| Op::Pause { agent, reason }),
        3 => (1..=AGENTS).prop_map(|agent| Op::Resume { agent }),
        1 => (1..=AGENTS + 1).prop_map(|agent| Op::AddAgent { agent }),
        1 => (1..=AGENTS).prop_map(|agent| Op::RemoveAgent { agent }),
        1 => (1..=AGENTS, 0..6u8).prop_map(|(agent, level)| Op::SetSkills { agent, level }),
        1 => (1..=QUEUES + 1).prop_map(|queue| Op::AddQueue { queue }),
        1 => (1..=AGENTS + 2, 0..40u64, 1..60u64).prop_map(|(agent, offer, id)| Op::Stray { agent, offer, id }),
        6 => (0..30_000u64).prop_map(|ms| Op::Advance { ms }),
        1 => (1..5_000u64).prop_map(|ms| Op::ClockBack { ms }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        40 => simple_op(),
        2 => prop::collection::vec(simple_op(), 2..6).prop_map(Op::Batch),
        1 => Just(Op::Checkpoint),
    ]
}

#[derive(Clone, Copy, Debug)]
struct Knobs {
    never_reoffer: bool,
    pause_on_miss: bool,
    policy: u8,
    batch_flush: bool,
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (any::<bool>(), any::<bool>(), 0..3u8, any::<bool>()).prop_map(
        |(never_reoffer, pause_on_miss, policy, batch_flush)| Knobs {
            never_reoffer,
            pause_on_miss,
            policy,
            batch_flush,
        },
    )
}

fn engine_config(knobs: Knobs) -> EngineConfig {
    EngineConfig::builder()
        .never_reoffer_to_decliners(knobs.never_reoffer)
        .missed_offer_pause(if knobs.pause_on_miss { Some(ReasonCode(0)) } else { None })
        .offer_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A channel adapter whose behaviour depends only on the offer: some deliveries fail, some
/// offers are accepted at once, others ring until answered or timed out.
struct Flaky {
    fail_every: u64,
    accept_every: u64,
    down: BTreeSet<AgentId>,
}

impl ChannelAdapter for Flaky {
    fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        if offer.id.0 % self.fail_every == 0 || self.down.contains(&offer.agent) {
            return Err(AdapterError::new("delivery failed"));
        }
        if offer.id.0 % self.accept_every == 0 {
            ctx.report(Command::Accept { agent: offer.agent, offer: offer.id });
        }
        Ok(())
    }

    fn event(&mut self, event: &Event, ctx: &mut AdapterContext<'_>) {
        // Some customers hang up as soon as they are queued again: a reported follow-up.
        if let EventKind::InteractionQueued { interaction, reason: QueueReason::OfferTimedOut, .. } = event.kind {
            if interaction.0 % 11 == 0 {
                ctx.report(Command::Abandon { interaction });
            }
        }
    }
}

fn crm(new: &NewInteraction, _now: Timestamp) -> Result<CustomerProfile, LookupError> {
    match new.customer.0 {
        c if c % 7 == 6 => Err(LookupError::new("crm down")),
        c if c % 4 == 0 => Ok(CustomerProfile::new().with_segment("vip").with_priority_boost(5)),
        c if c % 5 == 1 => Ok(CustomerProfile::new().with_language("fr").with_value("silver")),
        _ => Ok(CustomerProfile::new()),
    }
}

fn agent_config(id: u64) -> AgentConfig {
    let cap = match id % 3 {
        0 => CapacityProfile::single(Channel::Voice, 1),
        1 => CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(3).with_units(30))
            .with_channel(Channel::Email, ChannelCapacity::new(2).with_units(20)),
        _ => CapacityProfile::new(4)
            .with_channel(Channel::Chat, ChannelCapacity::new(2))
            .with_channel(Channel::Email, ChannelCapacity::new(4)),
    };
    let mut config = AgentConfig::new(AgentId(id), cap);
    for q in 1..=QUEUES {
        if (id + q) % 3 != 0 {
            config = config.with_queue(QueueMembership::new(QueueId(q)).with_priority((q % 2) as i32));
        }
    }
    if id % 2 == 0 {
        config = config.with_skills(SkillSet::from_pairs([(SkillId(1), Proficiency::new(3).unwrap())]));
    }
    config
}

fn queue_config(id: u64) -> QueueConfig {
    let channels: &[Channel] = match id % 4 {
        1 => &[Channel::Voice, Channel::Chat],
        2 => &[Channel::Email],
        3 => &[Channel::Chat, Channel::Email],
        _ => &[Channel::Voice],
    };
    let mut q = QueueConfig::new(QueueId(id), format!("q{id}"), channels.iter().copied());
    if id == 1 {
        q = q.with_wrap_up(Duration::from_secs(8));
    }
    if id == 2 {
        q = q.with_aging(30);
    }
    q
}

fn setup() -> Vec<Command> {
    let mut commands = vec![
        Command::AddSkill { skill: SkillId(1), name: "billing".into() },
        Command::AddSkill { skill: SkillId(2), name: "french".into() },
    ];
    for q in 1..=QUEUES {
        commands.push(Command::AddQueue(queue_config(q)));
    }
    for a in 1..=AGENTS {
        commands.push(Command::AddAgent(agent_config(a)));
        if a % 3 != 0 {
            commands.push(Command::Login { agent: AgentId(a) });
        }
    }
    commands
}

/// Turns a command-producing op into a command, against the live state.
fn command(op: &Op, engine: &Engine) -> Option<Command> {
    let nth = |v: Vec<(AgentId, InteractionId)>, k: usize| if v.is_empty() { None } else { Some(v[k % v.len()]) };
    let held = |engine: &Engine, pick: fn(InteractionState) -> Option<AgentId>| {
        engine.interactions().filter_map(|i| pick(i.state()).map(|a| (a, i.id()))).collect::<Vec<_>>()
    };
    let offers: Vec<&PendingOffer> = engine.offers().collect();
    Some(match *op {
        Op::Arrive { id, channel, queue, priority, customer, skill_level } => {
            let channel = [Channel::Voice, Channel::Chat, Channel::Email, Channel::Sms][channel as usize];
            let mut new = NewInteraction::new(InteractionId(id), channel, QueueId(queue), CustomerId(customer))
                .with_priority(priority);
            if let Some(level) = Proficiency::new(skill_level) {
                new = new.with_requirements(Requirements::from_pairs([(SkillId(1), level)]));
            }
            if customer % 3 == 0 {
                new = new.with_attributes(Attributes::new().with("language", "de"));
            }
            Command::Arrive(new)
        }
        Op::Accept { k } if !offers.is_empty() => {
            let o = offers[k % offers.len()];
            Command::Accept { agent: o.agent, offer: o.id }
        }
        Op::AcceptAsOther { k, agent } if !offers.is_empty() => {
            Command::Accept { agent: AgentId(agent), offer: offers[k % offers.len()].id }
        }
        Op::Reject { k } if !offers.is_empty() => {
            let o = offers[k % offers.len()];
            Command::Reject { agent: o.agent, offer: o.id }
        }
        Op::Accept { .. } | Op::AcceptAsOther { .. } | Op::Reject { .. } => return None,
        Op::Complete { k } => {
            let (agent, interaction) = nth(
                held(engine, |s| match s {
                    InteractionState::Connected { agent } => Some(agent),
                    _ => None,
                }),
                k,
            )?;
            Command::Complete { agent, interaction }
        }
        Op::EndWrapUp { k } => {
            let (agent, interaction) = nth(
                held(engine, |s| match s {
                    InteractionState::WrapUp { agent } => Some(agent),
                    _ => None,
                }),
                k,
            )?;
            Command::EndWrapUp { agent, interaction }
        }
        Op::Disposition { k } => {
            let (agent, interaction) = nth(
                held(engine, |s| match s {
                    InteractionState::Connected { agent } | InteractionState::WrapUp { agent } => Some(agent),
                    _ => None,
                }),
                k,
            )?;
            Command::Disposition {
                agent,
                interaction,
                code: "resolved".into(),
                notes: (k % 2 == 0).then(|| "called back".into()),
            }
        }
        Op::Abandon { id } => Command::Abandon { interaction: InteractionId(id) },
        Op::Cancel { id } => Command::Cancel { interaction: InteractionId(id) },
        Op::Transfer { id, queue } => Command::Transfer { interaction: InteractionId(id), queue: QueueId(queue) },
        Op::Login { agent } => Command::Login { agent: AgentId(agent) },
        Op::Logout { agent } => Command::Logout { agent: AgentId(agent) },
        Op::Pause { agent, reason } => Command::Pause { agent: AgentId(agent), reason: ReasonCode(reason) },
        Op::Resume { agent } => Command::Resume { agent: AgentId(agent) },
        Op::AddAgent { agent } => Command::AddAgent(agent_config(agent)),
        Op::RemoveAgent { agent } => Command::RemoveAgent { agent: AgentId(agent) },
        Op::SetSkills { agent, level } => {
            let skills = match Proficiency::new(level) {
                Some(level) => SkillSet::from_pairs([(SkillId(1), level)]),
                None => SkillSet::from_pairs([]),
            };
            Command::SetAgentSkills { agent: AgentId(agent), skills }
        }
        Op::AddQueue { queue } => Command::AddQueue(queue_config(queue)),
        Op::Stray { agent, offer, id } => match id % 3 {
            0 => Command::Accept { agent: AgentId(agent), offer: OfferId(offer) },
            1 => Command::Complete { agent: AgentId(agent), interaction: InteractionId(id) },
            _ => Command::EndWrapUp { agent: AgentId(agent), interaction: InteractionId(id) },
        },
        Op::Advance { .. } | Op::ClockBack { .. } | Op::Batch(_) | Op::Checkpoint => return None,
    })
}

#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<Event>>>);

impl EventSink for Events {
    fn event(&mut self, event: &Event, _: &Engine) {
        self.0.lock().unwrap().push(event.clone());
    }
}

fn check(result: Result<impl Sized, DriverError>) -> Result<(), String> {
    match result {
        Ok(_) | Err(DriverError::Rejected(_)) => Ok(()),
        Err(e) => Err(format!("unexpected driver error: {e}")),
    }
}

/// Runs the ops live; returns an error message on any mismatch.
fn run(ops: &[Op], knobs: Knobs) -> Result<(), String> {
    let dir = TempDir::new("replay-props");
    let path = dir.file("journal.jsonl");
    let flush = if knobs.batch_flush { FlushPolicy::EveryBatch } else { FlushPolicy::EveryCommand };
    let journal =
        JsonLinesJournal::create(&path, JsonLinesOptions::new().with_flush(flush)).map_err(|e| e.to_string())?;
    let policy = match knobs.policy {
        0 => OfferFailurePolicy::PauseAgent(Driver::DELIVERY_FAILED),
        1 => OfferFailurePolicy::Reject,
        _ => OfferFailurePolicy::RejectAndPause(ReasonCode(9)),
    };
    let clock = ManualClock::new(Timestamp::from_millis(T0));
    let events = Events::default();
    let mut driver = Driver::builder(Engine::new(engine_config(knobs)))
        .clock(clock.clone())
        .adapter([Channel::Voice], Flaky { fail_every: 5, accept_every: 3, down: BTreeSet::new() })
        .adapter([Channel::Chat, Channel::Sms], Flaky { fail_every: 7, accept_every: 2, down: BTreeSet::new() })
        .adapter([Channel::Email], Flaky { fail_every: 1_000, accept_every: 4, down: BTreeSet::from([AgentId(4)]) })
        .lookup(crm)
        .sink(events.clone())
        .journal(journal)
        .offer_failure(policy)
        .max_follow_ups(64)
        .build()
        .map_err(|e| e.to_string())?;
    check(driver.submit_batch(setup()))?;

    let mut checkpoint: Option<(String, usize)> = None;
    let mut real_time = T0;
    for op in ops {
        match op {
            Op::Advance { ms } => {
                real_time += *ms as i64;
                clock.set(Timestamp::from_millis(real_time));
                check(driver.tick())?;
            }
            Op::ClockBack { ms } => clock.set(Timestamp::from_millis(real_time - *ms as i64)),
            Op::Checkpoint => {
                let stored = serde_json::to_string(&driver.checkpoint()).map_err(|e| e.to_string())?;
                checkpoint = Some((stored, events.0.lock().unwrap().len()));
            }
            Op::Batch(ops) => {
                let commands: Vec<Command> = ops.iter().filter_map(|op| command(op, driver.engine())).collect();
                check(driver.submit_batch(commands))?;
            }
            op => {
                if let Some(c) = command(op, driver.engine()) {
                    check(driver.submit(c))?;
                }
            }
        }
        driver.engine().check_invariants().map_err(|v| format!("after {op:?}: {v}"))?;
    }
    // Let the day end: everything due fires.
    real_time += 600_000;
    clock.set(Timestamp::from_millis(real_time));
    check(driver.tick())?;

    let live = driver.engine().snapshot();
    let live_events = events.0.lock().unwrap().clone();
    let now = driver.engine().now().ok_or("the engine has a time")?;
    let last_seq = driver.last_seq();
    let config = driver.engine().config().clone();
    drop(driver);

    let recovered = JsonLinesJournal::read(&path).map_err(|e| e.to_string())?;
    if !recovered.report.is_clean() || recovered.report.last_seq.unwrap_or(0) != last_seq {
        return Err(format!("journal: {} but the driver accepted {last_seq}", recovered.report));
    }

    // A fresh engine and the whole journal.
    let mut replayed_events = Vec::new();
    let (mut engine, _) = replay(Engine::new(config), 0, recovered.entries.clone(), |e| replayed_events.push(e))
        .map_err(|e| format!("replay: {e}"))?;
    engine.handle_timeout(now).map_err(|e| e.to_string())?;
    while let Some(e) = engine.poll_event() {
        replayed_events.push(e);
    }
    if engine.snapshot() != live {
        return Err("replayed state differs from the live state".into());
    }
    if replayed_events != live_events {
        let at = replayed_events.iter().zip(&live_events).position(|(a, b)| a != b);
        return Err(format!(
            "replayed events differ (live {}, replayed {}, first difference at {at:?})",
            live_events.len(),
            replayed_events.len()
        ));
    }

    // The checkpoint and the journal's tail.
    if let Some((stored, seen)) = checkpoint {
        let checkpoint: Checkpoint = serde_json::from_str(&stored).map_err(|e| e.to_string())?;
        let mut tail_events = Vec::new();
        let (mut engine, _) =
            checkpoint.recover(recovered.entries, |e| tail_events.push(e)).map_err(|e| format!("recover: {e}"))?;
        engine.handle_timeout(now).map_err(|e| e.to_string())?;
        while let Some(e) = engine.poll_event() {
            tail_events.push(e);
        }
        if engine.snapshot() != live {
            return Err("checkpoint + tail differs from the live state".into());
        }
        if tail_events != live_events[seen..] {
            return Err("checkpoint + tail events differ from the live events".into());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn replaying_the_journal_rebuilds_the_live_engine(ops in prop::collection::vec(op(), 50..400), knobs in knobs()) {
        let seed = seed();
        run(&ops, knobs).map_err(|e| TestCaseError::fail(format!("SWITCHBOARD_SEED={seed}: {e}")))?;
    }
}
