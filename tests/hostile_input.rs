//! Hostile and clumsy input (issue #9): each test is written from a reported failure and would
//! hang, panic or accept nonsense without its fix.

use crate::common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard::*;

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

fn t0() -> Timestamp {
    Timestamp::from_millis(common::T0)
}

fn chat_agent(id: u64, queue: u64) -> AgentConfig {
    AgentConfig::new(AgentId(id), CapacityProfile::single(Channel::Chat, 1))
        .with_queue(QueueMembership::new(QueueId(queue)))
}

fn chat(id: u64, queue: u64) -> Command {
    Command::Arrive(NewInteraction::new(InteractionId(id), Channel::Chat, QueueId(queue), CustomerId(id)))
}

/// An engine with one chat queue, `agents` logged-in agents and `chats` waiting or ringing chats.
fn ringing(config: EngineConfig, agents: u64, chats: u64) -> Engine {
    let mut engine = Engine::new(config);
    engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "chat", [Channel::Chat])), t0()).unwrap();
    for a in 1..=agents {
        engine.handle(Command::AddAgent(chat_agent(a, 1)), t0()).unwrap();
        engine.handle(Command::Login { agent: AgentId(a) }, t0()).unwrap();
    }
    for i in 1..=chats {
        engine.handle(chat(i, 1), t0()).unwrap();
    }
    while engine.poll_event().is_some() {}
    engine
}

// ----- 1. No hang inside handle or handle_timeout -----

#[test]
fn spans_that_would_round_to_zero_or_run_past_the_end_of_time_are_refused() {
    let cases: [(&str, QueueConfig, SpanError); 4] = [
        (
            "zero offer timeout",
            QueueConfig::new(QueueId(1), "q", [Channel::Chat]).with_offer_timeout(Duration::ZERO),
            SpanError::Zero,
        ),
        (
            "1 ns offer timeout",
            QueueConfig::new(QueueId(1), "q", [Channel::Chat]).with_offer_timeout(Duration::from_nanos(1)),
            SpanError::BelowOneMillisecond,
        ),
        (
            "0.5 ms wrap-up",
            QueueConfig::new(QueueId(1), "q", [Channel::Chat]).with_wrap_up(Duration::from_micros(500)),
            SpanError::BelowOneMillisecond,
        ),
        (
            "endless offer timeout",
            QueueConfig::new(QueueId(1), "q", [Channel::Chat]).with_offer_timeout(Duration::MAX),
            SpanError::TooLong,
        ),
    ];
    for (name, queue, expected) in cases {
        let mut engine = Engine::new(EngineConfig::default());
        match engine.handle(Command::AddQueue(queue), t0()) {
            Err(CommandError::InvalidSpan { error, .. }) => assert_eq!(error, expected, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        assert!(engine.queue(QueueId(1)).is_none(), "{name}: nothing changed");
    }
    let mut engine = Engine::new(EngineConfig::default());
    engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat])), t0()).unwrap();
    let endless = chat_agent(1, 1).with_queue(QueueMembership::new(QueueId(1)).with_delay(Duration::MAX));
    let mut endless = endless;
    endless.queues.remove(0);
    assert!(matches!(
        engine.handle(Command::AddAgent(endless), t0()),
        Err(CommandError::InvalidSpan { field: "membership delay", error: SpanError::TooLong, .. })
    ));
    for builder in [
        EngineConfig::builder().offer_timeout(Duration::ZERO),
        EngineConfig::builder().offer_timeout(Duration::from_nanos(1)),
    ] {
        assert!(matches!(builder.build(), Err(ConfigError::InvalidOfferTimeout { .. })));
    }
}

#[test]
fn times_outside_1970_to_9999_are_refused_and_change_nothing() {
    let mut engine = ringing(EngineConfig::default(), 1, 1);
    let before = engine.snapshot();
    for now in [Timestamp::from_millis(i64::MAX), Timestamp::from_millis(i64::MAX - 1), Timestamp::from_millis(-1)] {
        assert!(matches!(engine.handle_timeout(now), Err(CommandError::TimeOutOfRange { .. })));
        assert!(matches!(engine.handle(chat(9, 1), now), Err(CommandError::TimeOutOfRange { .. })));
    }
    assert_eq!(engine.snapshot(), before);
}

#[test]
fn an_offer_at_the_end_of_time_rings_until_then_and_never_loops() {
    let config =
        EngineConfig::builder().offer_timeout(Duration::from_millis(1)).missed_offer_pause(None).build().unwrap();
    let mut engine = Engine::new(config);
    engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "chat", [Channel::Chat])), Timestamp::MAX).unwrap();
    engine.handle(Command::AddAgent(chat_agent(1, 1)), Timestamp::MAX).unwrap();
    engine.handle(Command::Login { agent: AgentId(1) }, Timestamp::MAX).unwrap();
    engine.handle(chat(1, 1), Timestamp::MAX).unwrap();
    engine.handle_timeout(Timestamp::MAX).unwrap();
    let events = std::iter::from_fn(|| engine.poll_event()).count();
    assert!(events < 10, "{events} events at the last millisecond");
    let deadline = engine.poll_timeout().expect("the offer's timeout");
    assert!(deadline > Timestamp::MAX, "the deadline lies past the end, not at it");
    assert!(matches!(engine.handle_timeout(deadline), Err(CommandError::TimeOutOfRange { .. })));
    engine.check_invariants().unwrap();
}

#[test]
fn a_member_delay_waking_past_the_end_of_time_never_loops() {
    let mut engine = Engine::new(EngineConfig::default());
    let start = Timestamp::MAX - Duration::from_secs(10);
    engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "chat", [Channel::Chat])), start).unwrap();
    let late = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Chat, 1))
        .with_queue(QueueMembership::new(QueueId(1)).with_delay(Timestamp::MAX_SPAN));
    engine.handle(Command::AddAgent(late), start).unwrap();
    engine.handle(Command::Login { agent: AgentId(1) }, start).unwrap();
    engine.handle(chat(1, 1), start).unwrap();
    engine.handle_timeout(Timestamp::MAX).unwrap();
    assert_eq!(engine.interaction(InteractionId(1)).map(Interaction::state), Some(InteractionState::Queued));
    assert!(engine.poll_timeout().is_some_and(|t| t > Timestamp::MAX));
}

// ----- 5. Bounded work per call -----

/// Ten years of ring-no-answer with 1 ms offers and no pause on a miss: without the bound this replays
/// 3·10^11 cycles in one call; with it, each agent misses `max_missed_offers_in_a_row` offers and is paused.
#[test]
fn a_ten_year_jump_costs_a_bounded_number_of_cycles() {
    let config =
        EngineConfig::builder().offer_timeout(Duration::from_millis(1)).missed_offer_pause(None).build().unwrap();
    let max_misses = u64::from(config.limits().max_missed_offers_in_a_row);
    let (agents, chats) = (5, 5);
    let mut engine = ringing(config, agents, chats);
    let started = Instant::now();
    engine.handle_timeout(t0() + 10 * YEAR).unwrap();
    let elapsed = started.elapsed();
    let events: Vec<Event> = std::iter::from_fn(|| engine.poll_event()).collect();
    let timeouts = events.iter().filter(|e| matches!(e.kind, EventKind::OfferTimedOut { .. })).count() as u64;
    assert!(timeouts <= agents * max_misses, "{timeouts} timeouts for {agents} agents");
    for a in 1..=agents {
        let agent = engine.agent(AgentId(a)).unwrap();
        assert_eq!(agent.presence(), Presence::Paused(EngineConfig::MISSED_OFFER), "agent {a}");
    }
    assert_eq!(engine.waiting_count(QueueId(1)), chats as usize, "every chat kept its place in line");
    // A generous wall-clock bound in the debug profile: the unbounded engine never returns at all.
    assert!(elapsed < Duration::from_secs(5), "the jump took {elapsed:?}");
    engine.check_invariants().unwrap();
}

#[test]
fn an_accept_resets_the_missed_offer_count() {
    let config =
        EngineConfig::builder().offer_timeout(Duration::from_secs(1)).missed_offer_pause(None).build().unwrap();
    let mut engine = ringing(config, 1, 1);
    let mut now = t0();
    for missed in 1..=2 {
        now = now + Duration::from_secs(1);
        engine.handle_timeout(now).unwrap();
        assert_eq!(engine.agent(AgentId(1)).unwrap().missed_offers_in_a_row(), missed);
    }
    let offer = engine.offers().next().unwrap().id;
    engine.handle(Command::Accept { agent: AgentId(1), offer }, now).unwrap();
    assert_eq!(engine.agent(AgentId(1)).unwrap().missed_offers_in_a_row(), 0);
}

// ----- 2. and 4. A strict restore -----

fn snapshot_json() -> Value {
    let mut engine = Engine::new(EngineConfig::default());
    let commands = vec![
        Command::AddSkill { skill: SkillId(1), name: "billing".into() },
        Command::AddQueue(QueueConfig::new(QueueId(1), "chat", [Channel::Chat]).with_wrap_up(Duration::from_secs(30))),
        Command::AddAgent(chat_agent(1, 1)),
        Command::AddAgent(chat_agent(2, 1)),
        Command::Login { agent: AgentId(1) },
        Command::Login { agent: AgentId(2) },
        chat(1, 1),
        chat(2, 1),
        chat(3, 1),
    ];
    for c in commands {
        engine.handle(c, t0()).unwrap();
    }
    let offer = engine.offers().next().unwrap().id;
    engine.handle(Command::Accept { agent: AgentId(1), offer }, t0()).unwrap();
    engine.handle(Command::Complete { agent: AgentId(1), interaction: InteractionId(1) }, t0()).unwrap();
    serde_json::to_value(engine.snapshot()).unwrap()
}

fn restore(value: Value) -> Result<Result<Engine, RestoreError>, String> {
    let snapshot: EngineSnapshot = serde_json::from_value(value).map_err(|e| e.to_string())?;
    Ok(Engine::restore(snapshot))
}

type Edit = fn(&mut Value);

#[test]
fn restore_refuses_every_state_no_command_sequence_can_reach() {
    let valid = snapshot_json();
    assert!(matches!(restore(valid.clone()), Ok(Ok(_))));
    // (what, edit, the refusal expected: a RestoreError variant name, or "serde" when decoding refuses it)
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("offer counter at u64::MAX", |v| v["next_offer"] = json!(u64::MAX), "CounterTooLarge"),
        ("arrival counter at u64::MAX", |v| v["next_seq"] = json!(u64::MAX), "CounterTooLarge"),
        ("timer counter at u64::MAX", |v| v["next_timer_seq"] = json!(u64::MAX), "CounterTooLarge"),
        (
            "totals that overflow when summed",
            |v| {
                v["totals"]["handled"] = json!(1u64 << 62);
                v["totals"]["abandoned"] = json!(1u64 << 62);
                v["totals"]["cancelled"] = json!(1u64 << 62);
            },
            "TotalsMismatch",
        ),
        (
            "a missing offer timer",
            |v| {
                let timers = v["timers"].as_array_mut().unwrap();
                timers.retain(|t| t["kind"].get("offer_timeout").is_none());
            },
            "BadTimer",
        ),
        (
            "a timer set twice",
            |v| {
                let timers = v["timers"].as_array_mut().unwrap();
                let mut copy = timers[0].clone();
                copy["seq"] = json!(99);
                timers.push(copy);
                v["next_timer_seq"] = json!(100);
            },
            "BadTimer",
        ),
        ("a timer due before now", |v| v["timers"][0]["due"] = json!(common::T0 - 1), "BadTimer"),
        (
            "a wrap-up without its timer",
            |v| {
                let timers = v["timers"].as_array_mut().unwrap();
                timers.retain(|t| t["kind"].get("wrap_up_end").is_none());
            },
            "BadTimer",
        ),
        ("a zero offer timeout", |v| v["config"]["offer_timeout"] = json!(0), "serde"),
        ("a zero limit", |v| v["config"]["limits"]["max_queues"] = json!(0), "serde"),
        (
            "a zero queue offer timeout",
            |v| {
                v["queues"][0]["offer_timeout"] = json!(0);
            },
            "Refused",
        ),
        ("zero capacity", |v| v["agents"][1]["config"]["capacity"]["total_units"] = json!(0), "Refused"),
        (
            "a duplicate membership",
            |v| {
                let queues = v["agents"][1]["config"]["queues"].as_array_mut().unwrap();
                let copy = queues[0].clone();
                queues.push(copy);
            },
            "Refused",
        ),
        (
            "a requirement on an unknown skill",
            |v| {
                v["interactions"][2]["own_requirements"] = json!([{ "skill": 9, "min_level": 1 }]);
                v["interactions"][2]["requirements"] = json!([{ "skill": 9, "min_level": 1 }]);
            },
            "Refused",
        ),
        (
            "an interaction on a channel its queue does not take",
            |v| v["interactions"][2]["channel"] = json!("voice"),
            "Refused",
        ),
        (
            "requirements that are not the queue's plus its own",
            |v| {
                v["interactions"][2]["requirements"] = json!([{ "skill": 1, "min_level": 1 }]);
            },
            "InteractionMisplaced",
        ),
        ("an arrival before the epoch", |v| v["interactions"][2]["arrived_at"] = json!(-1), "BadTime"),
        (
            "a place in line at the start of time",
            |v| {
                v["interactions"][2]["arrived_at"] = json!(i64::MIN);
                v["interactions"][2]["queue_entered_at"] = json!(i64::MIN);
            },
            "BadTime",
        ),
        (
            "duplicate arrival sequence numbers",
            |v| v["interactions"][2]["seq"] = v["interactions"][1]["seq"].clone(),
            "DuplicateId",
        ),
        ("a megabyte skill name", |v| v["skills"][0][1] = json!("x".repeat(1 << 20)), "Refused"),
        ("unsorted decliners", |v| v["interactions"][2]["declined_by"] = json!([2, 1]), "DuplicateId"),
        ("an agent idle since the future", |v| v["agents"][1]["idle_since"] = json!(common::T0 + 1), "BadTime"),
        ("now before the epoch", |v| v["now"] = json!(-5), "BadTime"),
    ];
    for (what, edit, expected) in cases {
        let mut v = valid.clone();
        edit(&mut v);
        let got = match restore(v) {
            Err(serde) => format!("serde: {serde}"),
            Ok(Ok(_)) => "accepted".to_string(),
            Ok(Err(e)) => format!("{e:?}"),
        };
        let ok = match expected {
            "serde" => got.starts_with("serde"),
            variant => got.starts_with(variant),
        };
        assert!(ok, "{what}: expected {expected}, got {got}");
    }
}

#[test]
fn counters_at_the_snapshot_maximum_keep_counting() {
    let mut v = snapshot_json();
    v["next_offer"] = json!(MAX_SNAPSHOT_COUNTER);
    v["next_seq"] = json!(MAX_SNAPSHOT_COUNTER);
    v["next_timer_seq"] = json!(MAX_SNAPSHOT_COUNTER);
    let mut engine = restore(v).unwrap().unwrap();
    let later = t0() + Duration::from_secs(40);
    engine.handle(chat(4, 1), later).unwrap();
    engine.handle(Command::Cancel { interaction: InteractionId(4) }, later).unwrap();
    engine.check_invariants().unwrap();
    assert!(engine.offers().any(|o| o.id == OfferId(MAX_SNAPSHOT_COUNTER)), "offers numbered on from the maximum");
}

// ----- 3. Requirement sets are freed with the last interaction that needs them -----

#[test]
fn requirement_sets_seen_once_do_not_fill_the_signature_limit() {
    let mut limits = Limits::default();
    limits.max_signatures = 2;
    let mut engine = Engine::new(EngineConfig::builder().limits(limits).build().unwrap());
    engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "email", [Channel::Email])), t0()).unwrap();
    for s in 1..=50u64 {
        engine.handle(Command::AddSkill { skill: SkillId(s), name: format!("s{s}") }, t0()).unwrap();
        let needs = Requirements::from_pairs([(SkillId(s), Proficiency::MIN)]);
        let new =
            NewInteraction::new(InteractionId(s), Channel::Email, QueueId(1), CustomerId(s)).with_requirements(needs);
        engine.handle(Command::Arrive(new), t0()).unwrap_or_else(|e| panic!("set {s}: {e}"));
        engine.handle(Command::Cancel { interaction: InteractionId(s) }, t0()).unwrap();
        engine.check_invariants().unwrap();
    }
}

// ----- 7. Names are bounded -----

#[test]
fn megabyte_names_are_refused() {
    let mut engine = Engine::new(EngineConfig::default());
    let huge = "x".repeat(1 << 20);
    let limit = Err(CommandError::LimitReached { what: Limit::NameBytes, limit: 1_024 });
    assert_eq!(engine.handle(Command::AddSkill { skill: SkillId(1), name: huge.clone() }, t0()), limit);
    assert_eq!(engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), huge, [Channel::Chat])), t0()), limit);
    let twice = QueueConfig::new(QueueId(1), "q", [Channel::Chat, Channel::Chat]);
    assert_eq!(
        engine.handle(Command::AddQueue(twice), t0()),
        Err(CommandError::DuplicateChannel { queue: QueueId(1), channel: Channel::Chat })
    );
}

// ----- 8. Ids from outside: structured or crafted -----

/// Ids that are multiples of 2^32 (one bucket under a bare multiplicative hash) route as any others,
/// and a secret hash key changes nothing the engine outputs.
#[test]
fn the_id_hash_key_changes_no_result() {
    let run = |key: u64| {
        let config = EngineConfig::builder().id_hash_key(key).build().unwrap();
        let mut engine = Engine::new(config);
        let mut now = t0();
        engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "chat", [Channel::Chat])), now).unwrap();
        for a in 1..=20u64 {
            engine.handle(Command::AddAgent(chat_agent(a << 32, 1)), now).unwrap();
            engine.handle(Command::Login { agent: AgentId(a << 32) }, now).unwrap();
        }
        let mut events = Vec::new();
        for i in 1..=200u64 {
            now = now + Duration::from_secs(7);
            engine.handle(chat(i << 32, 1), now).unwrap();
            events.extend(std::iter::from_fn(|| engine.poll_event()));
            let offers: Vec<PendingOffer> = engine.offers().cloned().collect();
            for (n, o) in offers.into_iter().enumerate() {
                match n % 3 {
                    0 => engine.handle(Command::Accept { agent: o.agent, offer: o.id }, now).unwrap(),
                    1 => engine.handle(Command::Reject { agent: o.agent, offer: o.id }, now).unwrap(),
                    _ => {}
                }
            }
            let connected: Vec<(AgentId, InteractionId)> =
                engine.agents().flat_map(|a| a.connected().map(move |i| (a.id(), i))).collect();
            for (agent, interaction) in connected.into_iter().step_by(2) {
                engine.handle(Command::Complete { agent, interaction }, now).unwrap();
            }
            events.extend(std::iter::from_fn(|| engine.poll_event()));
            engine.check_invariants().unwrap();
        }
        (serde_json::to_string(&events).unwrap(), engine.totals())
    };
    let (plain, totals) = run(0);
    assert!(totals.handled > 50, "the run routed work: {totals:?}");
    assert_eq!(run(0x9e37_79b9_7f4a_7c15), (plain, totals));
}

// ----- Found by the swarm tester -----

fn offered_in_order(engine: &mut Engine) -> Vec<InteractionId> {
    std::iter::from_fn(|| engine.poll_event())
        .filter_map(|e| match e.kind {
            EventKind::InteractionOffered(o) => Some(o.interaction),
            _ => None,
        })
        .collect()
}

/// (g) When an agent brings a member delay new to a queue, its waiting work is woken in the queue's
/// serving order, not in the index's order of lists (which put a later arrival with common
/// requirements ahead of an earlier one with rarer requirements).
#[test]
fn a_new_member_delay_wakes_waiting_work_in_place_in_line_order() {
    let mut engine = Engine::new(EngineConfig::default());
    let t = t0();
    engine.handle(Command::AddSkill { skill: SkillId(1), name: "billing".into() }, t).unwrap();
    engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "chat", [Channel::Chat])), t).unwrap();
    let billing = Requirements::from_pairs([(SkillId(1), Proficiency::MIN)]);
    for (id, needs) in [(1, Requirements::none()), (2, billing), (3, Requirements::none())] {
        let new = NewInteraction::new(InteractionId(id), Channel::Chat, QueueId(1), CustomerId(id));
        engine.handle(Command::Arrive(new.with_requirements(needs)), t).unwrap();
    }
    let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Chat, 3))
        .with_skills(SkillSet::from_pairs([(SkillId(1), Proficiency::MIN)]))
        .with_queue(QueueMembership::new(QueueId(1)).with_delay(Duration::from_secs(8)));
    engine.handle(Command::AddAgent(agent), t).unwrap();
    engine.handle(Command::Login { agent: AgentId(1) }, t).unwrap();
    assert!(offered_in_order(&mut engine).is_empty(), "not before the delay");
    engine.handle_timeout(t + Duration::from_secs(8)).unwrap();
    assert_eq!(offered_in_order(&mut engine), [1, 2, 3].map(InteractionId));
}

/// (h) With never-reoffer, an agent held back from e-mail by a waiting chat looks again when that
/// chat goes, even though the chat list still holds one they declined (which no longer holds them back).
///
/// Since issue #11 only real-time work the agent could be offered within the blend horizon holds
/// e-mail back, so the chat that holds it back here is one whose wait reaches the agent's delay
/// within the horizon (the agent has chat room: a chat they have no room for holds nothing back).
#[test]
fn deferrable_work_does_not_wait_beside_an_agent_held_back_only_by_work_they_declined() {
    let config = EngineConfig::builder()
        .never_reoffer_to_decliners(true)
        .blend_horizon(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut engine = Engine::new(config);
    let t = t0();
    let later = t + Duration::from_secs(30);
    engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "chat", [Channel::Chat])), t).unwrap();
    engine.handle(Command::AddQueue(QueueConfig::new(QueueId(2), "email", [Channel::Email])), t).unwrap();
    let capacity = CapacityProfile::new(2)
        .with_channel(Channel::Chat, ChannelCapacity::new(1))
        .with_channel(Channel::Email, ChannelCapacity::new(1));
    let agent = AgentConfig::new(AgentId(1), capacity)
        .with_queue(QueueMembership::new(QueueId(1)).with_delay(Duration::from_secs(30)))
        .with_queue(QueueMembership::new(QueueId(2)));
    engine.handle(Command::AddAgent(agent), t).unwrap();
    engine.handle(Command::Login { agent: AgentId(1) }, t).unwrap();
    engine.handle(chat(1, 1), t).unwrap();
    engine.handle_timeout(later).unwrap(); // chat 1 reaches the agent's delay and rings
    let offer = engine.offers().next().expect("chat 1 rings").id;
    engine.handle(Command::Reject { agent: AgentId(1), offer }, later).unwrap(); // never offered to agent 1 again
    engine.handle(chat(3, 1), later).unwrap(); // reaches the agent's delay in 30 s: within the horizon
    let email = NewInteraction::new(InteractionId(4), Channel::Email, QueueId(2), CustomerId(4));
    engine.handle(Command::Arrive(email), later).unwrap();
    assert_eq!(engine.interaction(InteractionId(4)).unwrap().state(), InteractionState::Queued, "held back by chat 3");
    engine.handle(Command::Abandon { interaction: InteractionId(3) }, later).unwrap();
    assert!(
        matches!(
            engine.interaction(InteractionId(4)).unwrap().state(),
            InteractionState::Offered { agent: AgentId(1), .. }
        ),
        "only declined chat 1 waits now, so the e-mail goes to agent 1"
    );
    engine.check_invariants().unwrap();
}
