//! The `scenario` target: bytes to the simulator's loader (`Scenario::from_json`, which
//! parses and validates), and every accepted scenario simulated.
//!
//! Two decoders:
//!
//! * **JSON** (the input starts with `{`): the bytes are a scenario file.
//! * **Structured** (anything else): a byte interpreter builds a `Scenario` value from
//!   small pools of values whose parts refer to each other (or, when its first byte is odd,
//!   now and then an extreme or a nonsense), writes it as JSON and hands that text to the
//!   same loader, so the loader and the simulator see far more varied scenarios than byte
//!   mutations of a JSON file reach.
//!
//! The simulation checks the engine's invariants after each of the first [`CHECK_ALL`] events
//! and every [`CHECK_EVERY`] events after that.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use switchboard::sim::{
    ActionSpec, AdmissionRuleSpec, AgentAttributeSpec, AgentGroupSpec, ArrivalSpec, AttributeSpec, AttributeValueSpec,
    BreakSpec, CalendarSpec, CallbackOfferSpec, ChannelCapacitySpec, Distribution, ExceptionRuleSpec,
    GroupAttributeSpec, MembershipSpec, OverflowSpec, QueueSpec, RepeatSpec, RunOptions, Scenario, SimLimits,
    SkillLevel, SkillSpec, SlaSpec, StepSpec, TriggerSpec, WhenEmptySpec,
};
use switchboard::{
    AgentSelection, AttributeKind, AttributeValue, Blending, BusinessHours, Channel, ChannelMode, Comparison,
    Diversion, Engine, Event, Expression, LocalTime, Operand, QueueId, Staffed, WhenClosed, WrapUpMode,
};

use crate::harness::bytes::Bytes;
use crate::harness::{Mode, Outcome, guards};

/// The seed every accepted scenario is simulated with.
pub const SEED: u64 = 7;
/// Invariants are checked after each of the first this many events…
pub const CHECK_ALL: u64 = 256;
/// …and then after every this many.
pub const CHECK_EVERY: u64 = 64;

/// Runs one input of the `scenario` target.
pub fn run(data: &[u8], mode: Mode) -> Outcome {
    let text = if data.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        match std::str::from_utf8(data) {
            Ok(text) => text.to_string(),
            Err(_) => return Outcome::default(),
        }
    } else {
        match serde_json::to_string(&build(&mut Bytes::new(data))) {
            Ok(text) => text,
            Err(_) => return Outcome::default(),
        }
    };
    if crate::harness::tracing() {
        eprintln!("  scenario: {text}");
    }
    let Ok(scenario) = Scenario::from_json(&text) else {
        return Outcome::default();
    };
    if mode == Mode::Guarded {
        if let Err(bug) = guards::scenario(&scenario) {
            return Outcome { parsed: true, ..Outcome::guarded(bug) };
        }
    }
    if scenario.check_limits(&SimLimits::default()).is_ok() {
        if let Some(size) = absurd(&scenario) {
            // Running it would exhaust memory or never end (and take the fuzzer or the test
            // process with it): the default limits must refuse it before it runs.
            panic!("the default simulation limits accepted an absurd scenario: {size}");
        }
    }
    // Tighter than the defaults, so that one input stays quick in a debug or fuzzing build.
    if scenario.check_limits(&fuzz_limits()).is_err() {
        return Outcome { parsed: true, refused: 1, ..Outcome::default() };
    }
    simulate(&scenario)
}

/// The limits the harness runs scenarios under: the defaults, cut so that an accepted input
/// takes well under a second in a debug build.
pub fn fuzz_limits() -> SimLimits {
    let mut limits = SimLimits::default();
    limits.max_arrivals = 20_000;
    limits.max_backlog = 5_000;
    limits.max_agents = 500;
    limits.max_steps = 400_000;
    limits
}

/// Interactions (backlog plus expected arrivals at the peak rate) no loader should accept.
pub const ABSURD_INTERACTIONS: f64 = 1e8;
/// Agents no loader should accept.
pub const ABSURD_AGENTS: u64 = 10_000_000;
/// A period no loader should accept: ten years, in minutes.
pub const ABSURD_MINUTES: u32 = 10 * 366 * 1_440;

/// What makes a scenario absurd (far beyond any contact center, and beyond what a run can
/// hold in memory or finish), if anything: every loader must refuse these, whatever limits
/// it picks.
pub fn absurd(s: &Scenario) -> Option<String> {
    let hours = f64::from(s.duration_min) / 60.0;
    let interactions: f64 =
        s.arrivals.iter().map(|a| f64::from(a.backlog) + a.per_hour.iter().copied().fold(0.0, f64::max) * hours).sum();
    let agents: u64 = s.agent_groups.iter().map(|g| u64::from(g.count)).sum();
    if interactions > ABSURD_INTERACTIONS {
        Some(format!("{interactions:e} interactions"))
    } else if agents > ABSURD_AGENTS {
        Some(format!("{agents} agents"))
    } else if s.duration_min > ABSURD_MINUTES {
        Some(format!("{} minutes", s.duration_min))
    } else {
        None
    }
}

/// Simulates an accepted scenario, checking the engine along the way.
pub fn simulate(scenario: &Scenario) -> Outcome {
    let mut events = 0u64;
    let mut observer = |_: &Event, engine: &Engine| {
        events += 1;
        if events <= CHECK_ALL || events % CHECK_EVERY == 0 {
            if let Err(v) = engine.check_invariants() {
                panic!("{v}");
            }
        }
    };
    let report = RunOptions::new().limits(fuzz_limits()).simulate_with(scenario, SEED, &mut observer);
    let mut outcome = Outcome { parsed: true, ..Outcome::default() };
    if let Ok(report) = report {
        outcome.accepted = 1;
        outcome.steps = events as usize;
        // A report is plain data: it must encode.
        let _ = serde_json::to_string(&report);
    } else {
        outcome.refused = 1;
    }
    outcome
}

const CHANNELS: [Channel; 6] =
    [Channel::Voice, Channel::Chat, Channel::Email, Channel::Video, Channel::Callback, Channel::Custom(1)];

fn secs(b: &mut Bytes) -> f64 {
    b.mostly(&[30.0, 240.0, 1.0, 2.0, 600.0, 3_600.0], &[0.0, 0.001, 1e6, 1e300, -1.0, 5e-324])
}

fn distribution(b: &mut Bytes) -> Distribution {
    match b.below(4) {
        0 => Distribution::Fixed { secs: secs(b) },
        1 => Distribution::Exponential { mean_secs: secs(b) },
        2 => Distribution::LogNormal { mean_secs: secs(b), sd_secs: secs(b) },
        _ => Distribution::Samples { secs: (0..b.mostly(&[1, 2, 3], &[0])).map(|_| secs(b)).collect() },
    }
}

/// Requirements or skills among the `skills` declared (and, when wild, undeclared ones and
/// out-of-range levels).
fn levels(b: &mut Bytes, skills: u64) -> Vec<SkillLevel> {
    if skills == 0 {
        return Vec::new();
    }
    (0..b.below(3))
        .map(|_| SkillLevel {
            skill: b.mostly(&[0, 1, 2], &[7]) % skills.max(1) + u64::from(b.mostly(&[0u8], &[9])),
            level: b.mostly(&[1, 2, 3, 5], &[0, 6]),
        })
        .collect()
}

fn minutes(b: &mut Bytes) -> u32 {
    b.mostly(&[0, 15, 30, 60, 90, 120], &[1, 480, 1_440, 10_080, u32::MAX])
}

/// Builds a scenario from bytes. The first byte's low bit makes it *wild*: without it, every
/// value is plausible and the parts refer to each other, so the simulator runs; with it, one
/// value in eight is an extreme or a nonsense the loader should refuse.
pub fn build(b: &mut Bytes) -> Scenario {
    let wild = b.u8() & 1 == 1;
    b.set_wild(wild);
    let start = DateTime::<Utc>::from_timestamp(
        b.mostly(&[1_772_438_400], &[0, -1, 253_402_300_799, 8_210_266_876_799, -8_334_601_228_800]),
        0,
    )
    .unwrap_or_default();
    let duration_min = b.mostly(&[60, 30, 120, 480], &[1, 720, 0, 1_440, 100_000, u32::MAX]);
    let skill_count = b.mostly(&[0, 1, 2, 3], &[4]) as u64;
    let skills = (0..skill_count).map(|i| SkillSpec { id: i, name: format!("skill {i}") }).collect();
    let queues: Vec<QueueSpec> = (0..1 + b.below(3))
        .map(|i| QueueSpec {
            id: b.mostly(&[i as u64], &[1, 7]),
            name: format!("queue {i}"),
            channels: (0..b.mostly(&[1, 2], &[0, 3])).map(|_| b.pick(&CHANNELS)).collect(),
            requirements: levels(b, skill_count),
            eligibility: None,
            sla: SlaSpec {
                percent: b.mostly(&[80, 90], &[0, 100, 255]),
                secs: b.mostly(&[20, 60, 14_400], &[0, u64::MAX]),
            },
            strategy: b.pick(&[
                AgentSelection::LongestIdle,
                AgentSelection::MostProficient,
                AgentSelection::LeastOccupied,
                AgentSelection::RoundRobin,
                AgentSelection::FewestContacts,
            ]),
            wrap_up_secs: b.mostly(&[0, 30, 10], &[1, 600, u64::MAX]),
            // From the index, not from bytes, so the corpus's inputs decode as before.
            wrap_up_mode: if i == 1 { WrapUpMode::Forced } else { WrapUpMode::Optional },
            case_owner_wait_secs: (i == 0).then_some(60),
            // Ring-all in the third queue, from the index too.
            parallel_offers: if i == 2 { 3 } else { 1 },
            priority: b.mostly(&[0, 1, -1], &[i32::MAX, i32::MIN]),
            aging_per_minute: b.mostly(&[0, 1], &[60, u32::MAX]),
            max_wait_secs: (b.below(4) == 0).then(|| b.mostly(&[60, 3_600], &[0, u64::MAX])),
            steps: (0..b.mostly(&[0, 0, 2], &[1, 3]))
                .map(|_| StepSpec {
                    requirements: levels(b, skill_count),
                    priority_boost: b.mostly(&[0, 1], &[i32::MAX, i32::MIN]),
                    expires_after_secs: (b.below(2) == 0).then(|| b.mostly(&[30, 60], &[0, u64::MAX])),
                    eligibility: None,
                })
                .collect(),
            time_to_live_secs: (b.below(4) == 0).then(|| b.mostly(&[120, 600], &[0, u64::MAX])),
            overflow: (0..b.mostly(&[0, 0, 1], &[2]))
                .map(|_| OverflowSpec {
                    after_secs: b.mostly(&[60, 120], &[0, u64::MAX]),
                    queue: b.mostly(&[0, 1], &[7, i as u64]),
                    keep_place: b.below(2) == 0,
                })
                .collect(),
            // The other queue rules are not drawn (yet): the corpus's inputs decode as before.
            exception_rules: Vec::new(),
            admission_rules: Vec::new(),
            when_empty: None,
            calendar: None,
            when_closed: WhenClosed::Wait,
        })
        .collect();
    let queue_ids: Vec<u64> = queues.iter().map(|q| q.id).collect();
    let agent_groups = (0..b.mostly(&[1, 2], &[0, 3]))
        .map(|i| AgentGroupSpec {
            name: format!("group {i}"),
            count: b.mostly(&[3, 1, 2, 5, 10], &[0, 40, 100_000]),
            skills: levels(b, skill_count),
            total_units: b.mostly(&[100], &[1, 3, 0, u32::MAX]),
            capacity: (0..b.mostly(&[1, 2, 3], &[0, 4]))
                .map(|_| ChannelCapacitySpec {
                    channel: b.pick(&CHANNELS),
                    max: b.mostly(&[1, 3], &[0, u32::MAX]),
                    units: b.mostly(&[1, 30, 100], &[0, u32::MAX]),
                    exclusive: b.bool(),
                })
                .collect(),
            queues: (0..b.mostly(&[1, 2], &[0, 3]))
                .map(|_| MembershipSpec {
                    queue: b.mostly(&queue_ids, &[7]),
                    priority: b.bool().then(|| b.mostly(&[0, 1, -1], &[i32::MAX])),
                    delay_secs: b.mostly(&[0, 30, 1_800], &[1, u64::MAX]),
                    position: 0,
                    weight: 1,
                })
                .collect(),
            shift_start_min: b.mostly(&[0], &[1, 30, 60, u32::MAX]),
            shift_end_min: b.mostly(&[None, Some(480)], &[Some(0), Some(1), Some(u32::MAX)]),
            breaks: (0..b.mostly(&[0, 1], &[2, 3]))
                .map(|_| BreakSpec {
                    start_min: minutes(b),
                    duration_min: b.mostly(&[15, 30], &[0, 1, u32::MAX]),
                    stagger_min: minutes(b),
                    stagger_groups: b.mostly(&[1, 2, 3], &[0, u32::MAX]),
                })
                .collect(),
            attributes: BTreeMap::new(),
        })
        .collect();
    let arrivals = (0..b.mostly(&[1, 2, 3], &[0, 4]))
        .map(|k| {
            let queue = &queues[b.below(queues.len())];
            let channels = if queue.channels.is_empty() { &CHANNELS[..] } else { &queue.channels[..] };
            // In the order the fields were always read, so the corpus decodes as before.
            let queue_id = b.mostly(&[queue.id], &[7]);
            let channel = b.mostly(channels, &CHANNELS);
            // Callers of the first stream are offered callbacks where that is valid (from what was
            // read: a real-time channel in a queue that takes callbacks).
            let callback_ok = k == 0
                && channel.builtin_mode() == Some(ChannelMode::RealTime)
                && queue.id == queue_id
                && queue.channels.contains(&Channel::Callback);
            ArrivalSpec {
                queue: queue_id,
                channel,
                per_hour: (0..b.mostly(&[1, 2, 3], &[0]))
                    .map(|_| b.mostly(&[10.0, 60.0, 0.0, 0.5, 120.0], &[500.0, 1e9, -1.0, 1e-300]))
                    .collect(),
                curve_interval_min: b.mostly(&[60, 30], &[1, 0, u32::MAX]),
                backlog: b.mostly(&[0, 1, 10], &[100, u32::MAX]),
                handle: distribution(b),
                patience: b.bool().then(|| distribution(b)),
                priority: b.mostly(&[0, 1, -1], &[i32::MAX, i32::MIN]),
                attributes: (0..b.below(2))
                    .map(|_| AttributeSpec {
                        key: "language".to_string(),
                        values: (0..b.mostly(&[1, 2], &[0, 3]))
                            .map(|i| AttributeValueSpec {
                                value: format!("value {i}"),
                                weight: b.mostly(&[1.0, 85.0, 15.0], &[0.0, -1.0, 1e308]),
                                requires: levels(b, skill_count),
                            })
                            .collect(),
                    })
                    .collect(),
                // The second stream's customers come back as the first's: repeat contacts of a
                // case (from the index, not from bytes, so the corpus decodes as before).
                repeat: (k == 1).then_some(RepeatSpec { share: 0.5, within_secs: 600, as_arrival: 0 }),
                // The first stream's callers are offered callbacks (often refused by validation:
                // not every drawn queue takes Callback, nor every channel is real-time).
                callback: callback_ok.then_some(CallbackOfferSpec { after_secs: 30, take_up: 0.5 }),
            }
        })
        .collect();
    let mut scenario = Scenario {
        name: "fuzz".to_string(),
        start,
        duration_min,
        warm_up_min: b.mostly(&[0, 15], &[1, duration_min]),
        interval_min: b.mostly(&[15, 30, 60], &[1, 0, 1_440, 1_441]),
        offer_timeout_secs: b.mostly(&[20, 15], &[1, 0, 3_600, u64::MAX]),
        missed_offer_probability: b.mostly(&[0.0, 0.02, 0.1], &[0.5, 1.0, -0.1, 1.1]),
        answer_delay: distribution(b),
        skills,
        agent_attributes: Vec::new(),
        calendars: Vec::new(),
        queues,
        agent_groups,
        arrivals,
        blending: if b.below(2) == 0 { Blending::RealTimeFirst } else { Blending::ServiceLevel },
        blend_horizon_secs: b.mostly(&[0, 10], &[u64::MAX]),
    };
    rules(b, &mut scenario, skill_count);
    scenario
}

/// Agent attributes, eligibility rules and business hours, drawn last so that inputs
/// written before they existed build the same scenarios: an exhausted input reads as
/// zeros, which draws none of them.
fn rules(b: &mut Bytes, s: &mut Scenario, skills: u64) {
    if b.below(2) == 1 {
        s.agent_attributes = vec![
            AgentAttributeSpec { name: "language".into(), kind: AttributeKind::Text },
            AgentAttributeSpec {
                name: "tenure".into(),
                kind: b.mostly(&[AttributeKind::Number], &[AttributeKind::Text]),
            },
        ];
        for g in &mut s.agent_groups {
            if b.bool() {
                let languages = (0..b.mostly(&[1, 2], &[0, 3])).map(|i| AttributeValue::Text(format!("value {i}")));
                g.attributes.insert("language".into(), GroupAttributeSpec::RoundRobin(languages.collect()));
            }
            if b.bool() {
                let tenure = match b.mostly(&[3, 30], &[i64::MIN, -1]) {
                    // A text value for a number attribute: validation refuses it.
                    -1 => AttributeValue::Text("long".into()),
                    months => AttributeValue::Number(months),
                };
                g.attributes.insert(b.mostly(&["tenure"], &["undeclared"]).into(), GroupAttributeSpec::Same(tenure));
            }
        }
        for q in &mut s.queues {
            q.eligibility = expression(b, skills);
            for step in &mut q.steps {
                step.eligibility = expression(b, skills);
            }
        }
    }
    if b.below(2) == 1 {
        let zone = b.mostly(&["UTC", "Europe/Lisbon", "America/New_York"], &["Mars/Olympus", ""]);
        let opens = b.mostly(&[0u8, 1, 2], &[0, 23]);
        let closes = b.mostly(&[1u8, 3, 24], &[0, 25]);
        let days = [chrono::Weekday::Mon, chrono::Weekday::Tue, chrono::Weekday::Wed, chrono::Weekday::Thu];
        s.calendars = vec![CalendarSpec {
            id: 1,
            hours: BusinessHours::new(zone).open_days(days, LocalTime::hm(8 + opens, 0), LocalTime::hm(8 + closes, 0)),
        }];
        let first = s.queues[0].id;
        for (i, q) in s.queues.iter_mut().enumerate() {
            if b.bool() {
                q.calendar = Some(b.mostly(&[1], &[2]));
                q.when_closed = match b.below(3) {
                    0 => WhenClosed::Wait,
                    1 => WhenClosed::End,
                    _ if i > 0 => WhenClosed::Move(QueueId(first)),
                    _ => WhenClosed::Move(QueueId(b.mostly(&[first], &[7]))),
                };
            }
        }
    }
    if b.below(2) == 1 {
        // Queue rules: exception, admission and leave-when-empty, now and then refused
        // (a move to the queue itself or an unknown one, a zero span, an unknown skill).
        let first = s.queues[0].id;
        for q in s.queues.iter_mut() {
            let action = |b: &mut Bytes| match b.below(5) {
                0 => ActionSpec::Alert,
                1 => ActionSpec::Move { queue: b.mostly(&[first], &[q.id, 99]), keep_place: b.bool() },
                2 => ActionSpec::SetPriority(b.mostly(&[1, 5], &[i32::MIN])),
                3 => {
                    ActionSpec::ChangeRequirements { add: levels(b, skills), drop: vec![b.mostly(&[1], &[skills + 7])] }
                }
                _ => ActionSpec::End(b.mostly(&[Diversion::Voicemail, Diversion::Message], &[Diversion::Disconnect])),
            };
            if b.bool() {
                let after_secs = b.mostly(&[30, 120], &[0, u64::MAX]);
                q.exception_rules = vec![ExceptionRuleSpec { after_secs, action: action(b) }];
            }
            if b.bool() {
                let when = match b.below(3) {
                    0 => TriggerSpec::QueueLength(b.mostly(&[3, 10], &[0])),
                    1 => TriggerSpec::EstimatedWaitSecs(b.mostly(&[30], &[u64::MAX])),
                    _ => {
                        TriggerSpec::NoAgents(b.mostly(&[Staffed::LoggedIn], &[Staffed::Qualified, Staffed::Unpaused]))
                    }
                };
                q.admission_rules = vec![AdmissionRuleSpec { when, action: action(b) }];
            }
            if b.bool() {
                let nobody = b.mostly(&[Staffed::LoggedIn], &[Staffed::Unpaused]);
                q.when_empty = Some(WhenEmptySpec { nobody, action: action(b) });
            }
        }
    }
}

/// An eligibility rule, or none: the customer's language, a tenure, a skill, named agents.
fn expression(b: &mut Bytes, skills: u64) -> Option<Expression> {
    let condition = |b: &mut Bytes| match b.below(4) {
        0 => Expression::attribute("language", Comparison::Eq, Operand::Interaction("language".into())),
        1 => Expression::attribute(
            "tenure",
            b.mostly(&[Comparison::Gt, Comparison::Lt], &[Comparison::In]),
            Operand::Number(b.mostly(&[6, 12], &[i64::MAX])),
        ),
        2 => Expression::Skill {
            skill: switchboard::SkillId(b.mostly(&[0, 1], &[9]) % skills.max(1)),
            at_least: switchboard::Proficiency::new(b.mostly(&[1, 3], &[5])).unwrap_or(switchboard::Proficiency::MIN),
        },
        _ => Expression::Agents((1..=u64::from(b.mostly(&[1u8, 3], &[0]))).map(switchboard::AgentId).collect()),
    };
    match b.below(4) {
        0 | 1 => None,
        2 => Some(condition(b)),
        _ => Some(Expression::Any(vec![condition(b), Expression::Not(Box::new(condition(b)))])),
    }
}
