//! Hostile scenario files (issue #9): whatever a scenario says, loading it
//! never panics, nonsense is refused with the field named, work beyond the
//! limits is refused before running with the figure computed, and an
//! accepted scenario runs in bounded time without a wrap or an overflow.
//!
//! Tests run in the debug profile, where integer overflow panics: a silent
//! wrap in release is a failing test here.

#![cfg(feature = "sim")]

use crate::json;
use json::set;
use serde_json::{Value, json};
use switchboard::sim::*;

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(9)
}

/// A small valid scenario: one queue, five agents with a staggered break, one stream.
fn base() -> Value {
    json!({
        "name": "hostile", "start": "2026-03-02T08:00:00Z", "duration_min": 240, "interval_min": 30,
        "skills": [{ "id": 1, "name": "support" }],
        "queues": [{ "id": 1, "name": "q", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 },
                     "requirements": [{ "skill": 1, "level": 2 }] }],
        "agent_groups": [{ "name": "g", "count": 5, "skills": [{ "skill": 1, "level": 3 }], "total_units": 100,
            "capacity": [{ "channel": "Voice", "max": 1, "units": 100 }], "queues": [{ "queue": 1, "delay_secs": 0 }],
            "breaks": [{ "start_min": 100, "duration_min": 15, "stagger_min": 15, "stagger_groups": 2 }] }],
        "arrivals": [{ "queue": 1, "channel": "Voice", "per_hour": [60, 40],
            "handle": { "kind": "exponential", "mean_secs": 180 },
            "patience": { "kind": "log_normal", "mean_secs": 120, "sd_secs": 60 },
            "attributes": [{ "key": "language", "values": [{ "value": "en", "weight": 3 }, { "value": "fr", "weight": 1 }] }] }]
    })
}

fn scenario(v: &Value) -> Scenario {
    Scenario::from_json(&v.to_string()).expect("the base scenario and its valid variants load")
}

fn with(changes: &[(&str, Value)]) -> Value {
    let mut v = base();
    for (pointer, value) in changes {
        set(&mut v, pointer, value.clone());
    }
    v
}

#[test]
fn the_base_scenario_runs() {
    let report = simulate(&scenario(&base()), seed()).unwrap();
    assert!(report.interactions_arrived > 100, "seed {}", seed());
}

// ---------------------------------------------------------------------------
// 1. Work beyond the limits is refused before running, with the figure.

#[test]
fn work_beyond_the_limits_is_refused_before_running_with_the_figure() {
    let u32_max = Value::from(u32::MAX);
    let cases: Vec<(Value, SimLimit, &str, u64)> = vec![
        (with(&[("/arrivals/0/backlog", u32_max.clone())]), SimLimit::Backlog, "arrivals[0].backlog", u32::MAX.into()),
        // 25 million an hour for four hours: a hundred million arrivals.
        (with(&[("/arrivals/0/per_hour", json!([25e6]))]), SimLimit::Arrivals, "arrivals[0].per_hour", 100_000_000),
        // A thousand million minutes: about 1,900 years, still inside the engine's times.
        (with(&[("/duration_min", json!(1_000_000_000))]), SimLimit::DurationMin, "duration_min", 1_000_000_000),
        (
            with(&[("/agent_groups/0/count", u32_max.clone())]),
            SimLimit::Agents,
            "agent_groups[0].count",
            u32::MAX.into(),
        ),
        // 0.1 per hour in the first hour, then 200,000 an hour for three hours.
        (
            with(&[("/arrivals/0/per_hour", json!([0.1, 200_000])), ("/arrivals/0/curve_interval_min", json!(60))]),
            SimLimit::Arrivals,
            "arrivals[0].per_hour",
            600_001,
        ),
        (
            with(&[
                ("/agent_groups/0/count", json!(15_000)),
                ("/agent_groups/1", base()["agent_groups"][0].clone()),
                ("/agent_groups/1/count", json!(6_000)),
            ]),
            SimLimit::Agents,
            "agent_groups",
            21_000,
        ),
        (
            with(&[
                ("/agent_groups/0/count", json!(19_000)),
                ("/agent_groups/0/breaks", json!(vec![json!({"start_min": 10, "duration_min": 1}); 200])),
            ]),
            SimLimit::AgentEntries,
            "agent_groups[0]",
            19_000 * 203,
        ),
        (
            with(&[("/arrivals/0/attributes/0/values", json!(vec![json!({"value": "v", "weight": 1}); 1_001]))]),
            SimLimit::AttributeValues,
            "arrivals[0].attributes",
            1_001,
        ),
        // A month in one-minute intervals: 44,640 intervals × (5 agents + 40 × (1 queue + 1 channel + 1 skill)).
        (
            with(&[
                ("/duration_min", json!(44_640)),
                ("/interval_min", json!(1)),
                ("/arrivals/0/per_hour", json!([1])),
            ]),
            SimLimit::ReportCells,
            "interval_min",
            44_640 * 125,
        ),
        // A tiny rate walked minute by minute over a month, 500 times.
        (
            {
                let mut v = with(&[("/duration_min", json!(44_640)), ("/interval_min", json!(60))]);
                let stream = json!({ "queue": 1, "channel": "Voice", "per_hour": [1e-6], "curve_interval_min": 1,
                                     "handle": { "kind": "fixed", "secs": 60 } });
                v["arrivals"] = Value::Array(vec![stream; 500]);
                v
            },
            SimLimit::CurvePieces,
            "arrivals",
            500 * 44_640,
        ),
    ];
    for (v, limit, field, value) in cases {
        let s = scenario(&v);
        let err = simulate(&s, seed()).unwrap_err();
        let max = SimLimits::default().get(limit);
        assert_eq!(err, ScenarioError::OverLimit { limit, field: field.to_string(), value, max }, "{err}");
        let message = err.to_string();
        assert!(message.starts_with(&format!("{field}: ")), "{message}");
        assert!(message.ends_with(&format!("raise SimLimits::{}", limit.field())), "{message}");
        // Raised explicitly, the same scenario passes the check (it is not run: it would take long).
        let mut raised = SimLimits::default().scaled(u64::MAX);
        raised.max_steps = 1;
        assert_eq!(s.check_limits(&raised), Ok(()), "{field}");
        let tight = RunOptions::new().limits(SimLimits::default());
        assert!(matches!(tight.simulate(&s, 1), Err(ScenarioError::OverLimit { .. })));
    }
}

#[test]
fn the_message_gives_the_figure_and_the_fix() {
    let s = scenario(&with(&[("/arrivals/0/per_hour", json!([3e7]))]));
    assert_eq!(
        s.check_limits(&SimLimits::default()).unwrap_err().to_string(),
        "arrivals[0].per_hour: expected arrivals 1.2e8 exceeds the limit of 500000; raise SimLimits::max_arrivals"
    );
}

#[test]
fn a_run_that_takes_too_many_steps_stops_with_a_typed_error() {
    // Every offer is missed and nobody gives up: interactions are offered
    // again and again, work no figure of the scenario predicts.
    let v = with(&[("/missed_offer_probability", json!(1.0)), ("/offer_timeout_secs", json!(1))]);
    let mut v = v;
    v["arrivals"][0].as_object_mut().unwrap().remove("patience");
    let s = scenario(&v);
    let mut limits = SimLimits::default();
    limits.max_steps = 5_000;
    let options = RunOptions::new().limits(limits);
    match options.simulate(&s, seed()) {
        Err(ScenarioError::OutOfSteps { max_steps: 5_000, at }) => {
            assert!(at >= switchboard::Timestamp::from(s.start) && at.to_string().starts_with("2026-03-02"));
        }
        other => panic!("seed {}: {other:?}", seed()),
    }
    let summary =
        options.simulation(&s, seed()).unwrap().run(&mut |_: &switchboard::Event, _: &switchboard::Engine| {});
    assert!(summary.steps >= 5_000);
    assert!(summary.stopped_at.is_some());
    // Under the default limits it finishes: four hours of five agents missing offers is not much.
    let full = Simulation::new(&s, seed()).unwrap().run(&mut |_: &switchboard::Event, _: &switchboard::Engine| {});
    assert_eq!(full.stopped_at, None);
}

// ---------------------------------------------------------------------------
// 2. No wrap, no overflow: nonsense is refused, extremes that make sense run.

#[test]
fn numbers_that_would_wrap_or_overflow_are_refused_with_the_field_named() {
    let u32_max = Value::from(u32::MAX);
    let u64_max = Value::from(u64::MAX);
    let cases: Vec<(Value, &str)> = vec![
        // Break times in u32 minutes: start + slot × stagger and start + duration used to wrap.
        (with(&[("/agent_groups/0/breaks/0/start_min", json!(u32::MAX - 10))]), "agent_groups[0].breaks[0].start_min"),
        (with(&[("/agent_groups/0/breaks/0/stagger_min", u32_max.clone())]), "agent_groups[0].breaks[0].start_min"),
        (with(&[("/agent_groups/0/breaks/0/duration_min", u32_max.clone())]), "agent_groups[0].breaks[0].start_min"),
        // An exponential gap at 1e-300 an hour overflowed the arrival time.
        (with(&[("/arrivals/0/per_hour", json!([60, 1e-300]))]), "arrivals[0].per_hour[1]"),
        (with(&[("/offer_timeout_secs", u64_max.clone())]), "offer_timeout_secs"),
        (with(&[("/offer_timeout_secs", json!(0))]), "offer_timeout_secs"),
        (with(&[("/queues/0/sla/secs", u64_max.clone())]), "queues[0].sla.secs"),
        (with(&[("/queues/0/wrap_up_secs", u64_max.clone())]), "queues[0].wrap_up_secs"),
        (with(&[("/agent_groups/0/queues/0/delay_secs", u64_max)]), "agent_groups[0].queues[0].delay_secs"),
        (with(&[("/arrivals/0/handle", json!({"kind": "fixed", "secs": 1e300}))]), "arrivals[0].handle.secs"),
        (with(&[("/arrivals/0/handle", json!({"kind": "fixed", "secs": 1e7 * 4.0}))]), "arrivals[0].handle.secs"),
        (
            with(&[("/arrivals/0/patience", json!({"kind": "log_normal", "mean_secs": 60, "sd_secs": 1e300}))]),
            "arrivals[0].patience.sd_secs",
        ),
        // The period must lie within the times the engine accepts, 1970 to the end of 9999.
        (with(&[("/start", json!("+262142-12-31T23:00:00Z"))]), "start"),
        (with(&[("/start", json!("9999-12-31T23:00:00Z"))]), "duration_min"),
        (with(&[("/duration_min", json!(u32::MAX))]), "duration_min"),
        (with(&[("/start", json!("1969-12-31T23:00:00Z"))]), "start"),
    ];
    for (v, field) in cases {
        match Scenario::from_json(&v.to_string()) {
            Err(ScenarioError::Invalid { field: f, problem }) => assert_eq!(f, field, "{problem}"),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn extremes_that_make_sense_run_without_a_wrap() {
    let year = 365 * 24 * 3_600;
    let cases: Vec<Value> = vec![
        with(&[("/offer_timeout_secs", json!(year))]),
        with(&[("/queues/0/sla/secs", json!(year)), ("/queues/0/wrap_up_secs", json!(year))]),
        with(&[("/agent_groups/0/queues/0/delay_secs", json!(year))]),
        with(&[
            ("/arrivals/0/handle", json!({"kind": "fixed", "secs": year})),
            ("/arrivals/0/patience", json!({"kind": "samples", "secs": [0, year]})),
        ]),
        with(&[("/arrivals/0/handle", json!({"kind": "log_normal", "mean_secs": 0.001, "sd_secs": year}))]),
        with(&[("/answer_delay", json!({"kind": "exponential", "mean_secs": year}))]),
        // The slowest rate allowed, walked minute by minute: no arrival, no overflow.
        with(&[("/arrivals/0/per_hour", json!([1e-6])), ("/arrivals/0/curve_interval_min", json!(1))]),
        with(&[("/arrivals/0/per_hour", json!([0, 0, 0])), ("/arrivals/0/curve_interval_min", json!(u32::MAX))]),
        with(&[("/agent_groups/0/shift_start_min", json!(239)), ("/agent_groups/0/shift_end_min", json!(u32::MAX))]),
        // The last break slot ends exactly at the period's end.
        with(&[
            ("/agent_groups/0/breaks/0/start_min", json!(210)),
            ("/agent_groups/0/breaks/0/duration_min", json!(15)),
        ]),
        with(&[
            ("/queues/0/priority", json!(i32::MIN)),
            ("/arrivals/0/priority", json!(i32::MAX)),
            ("/queues/0/aging_per_minute", json!(1_000_000)),
        ]),
        // The first and last days the engine accepts.
        with(&[("/start", json!("1970-01-01T00:00:00Z"))]),
        with(&[("/start", json!("9999-12-31T00:00:00Z")), ("/duration_min", json!(480))]),
        with(&[("/missed_offer_probability", json!(1.0))]),
        with(&[
            ("/arrivals/0/attributes/0/values/0/weight", json!(0)),
            ("/arrivals/0/attributes/0/values/1/weight", json!(1e300)),
        ]),
    ];
    for (k, v) in cases.iter().enumerate() {
        let s = scenario(v);
        let report = simulate(&s, seed()).unwrap_or_else(|e| panic!("case {k}, seed {}: {e}", seed()));
        assert!(report.open_at_end <= report.interactions_arrived, "case {k}");
    }
}

// ---------------------------------------------------------------------------
// 3. Unknown fields are refused, wherever they are.

#[test]
fn a_misspelt_field_is_refused_with_its_path() {
    let cases: &[(&str, &str)] = &[
        ("/warmup_min", "warmup_min"),
        ("/skills/0/nme", "skills[0].nme"),
        ("/queues/0/wrap_up_sec", "queues[0].wrap_up_sec"),
        ("/queues/0/sla/percnt", "queues[0].sla.percnt"),
        ("/queues/0/requirements/0/lvl", "queues[0].requirements[0].lvl"),
        ("/agent_groups/0/shift_end", "agent_groups[0].shift_end"),
        ("/agent_groups/0/capacity/0/exclusiv", "agent_groups[0].capacity[0].exclusiv"),
        ("/agent_groups/0/queues/0/delay", "agent_groups[0].queues[0].delay"),
        ("/agent_groups/0/breaks/0/stagger", "agent_groups[0].breaks[0].stagger"),
        ("/arrivals/0/pattience", "arrivals[0].pattience"),
        ("/arrivals/0/attributes/0/vals", "arrivals[0].attributes[0].vals"),
        ("/arrivals/0/attributes/0/values/0/wieght", "arrivals[0].attributes[0].values[0].wieght"),
        // Inside a distribution (an internally tagged enum in the JSON).
        ("/arrivals/0/handle/mean", "arrivals[0].handle.mean"),
        // A field of another kind of distribution.
        ("/arrivals/0/handle/sd_secs", "arrivals[0].handle.sd_secs"),
        ("/arrivals/0/patience/secs", "arrivals[0].patience.secs"),
        ("/answer_delay", "answer_delay.mean_secs"),
    ];
    for (pointer, path) in cases {
        let mut v = base();
        if *pointer == "/answer_delay" {
            v["answer_delay"] = json!({"kind": "fixed", "secs": 1, "mean_secs": 2});
        } else {
            set(&mut v, pointer, json!(1));
        }
        match Scenario::from_json(&v.to_string()) {
            Err(ScenarioError::Parse { path: p, message, .. }) => {
                assert_eq!(p, *path, "{message}");
                let name = path.rsplit('.').next().unwrap();
                assert!(message.contains(name), "{message}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    // A what-if is input too.
    let err = serde_json::from_str::<WhatIf>(r#"{"name": "x", "stratgy": "RoundRobin"}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `stratgy`"), "{err}");
}

#[test]
fn distributions_load_in_any_field_order_and_round_trip() {
    for (json, expected) in [
        (r#"{"secs": [1, 2.5], "kind": "samples"}"#, Distribution::Samples { secs: vec![1.0, 2.5] }),
        (r#"{"kind": "fixed", "secs": 3}"#, Distribution::Fixed { secs: 3.0 }),
        (
            r#"{"sd_secs": 1, "mean_secs": 2, "kind": "log_normal"}"#,
            Distribution::LogNormal { mean_secs: 2.0, sd_secs: 1.0 },
        ),
        (r#"{"mean_secs": 7, "kind": "exponential"}"#, Distribution::Exponential { mean_secs: 7.0 }),
    ] {
        let d: Distribution = serde_json::from_str(json).unwrap();
        assert_eq!(d, expected);
        assert_eq!(serde_json::from_str::<Distribution>(&serde_json::to_string(&d).unwrap()).unwrap(), d);
    }
    for bad in [
        r#"{"mean_secs": 7, "kind": "fixed"}"#,
        r#"{"kind": "fixed", "secs": [1]}"#,
        r#"{"kind": "samples", "secs": 1}"#,
        r#"{"kind": "log_normal", "mean_secs": 1}"#,
        r#"{"kind": "exponential"}"#,
        r#"{"secs": 1}"#,
        r#"{"kind": "fixed", "secs": 1, "secs": 2}"#,
        r#"{"kind": "gamma", "secs": 1}"#,
        r#"[1, 2]"#,
    ] {
        assert!(serde_json::from_str::<Distribution>(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------------------
// 4. Errors name the field path; numbers are validated.

#[test]
fn a_bad_number_in_the_file_is_refused_with_its_path() {
    // (text replaced in the base scenario's JSON, replacement, path)
    let cases: &[(&str, &str, &str)] = &[
        ("\"mean_secs\":180", "\"mean_secs\":NaN", "arrivals[0].handle.mean_secs"),
        ("\"mean_secs\":180", "\"mean_secs\":1e999", "arrivals[0].handle.mean_secs"),
        ("\"mean_secs\":180", "\"mean_secs\":\"180\"", "arrivals[0].handle.mean_secs"),
        ("\"mean_secs\":180", "\"mean_secs\":-Infinity", "arrivals[0].handle.mean_secs"),
        ("\"sd_secs\":60", "\"sd_secs\":null", "arrivals[0].patience.sd_secs"),
        ("\"per_hour\":[60,40]", "\"per_hour\":[60,1e400]", "arrivals[0].per_hour[1]"),
        // Whole seconds: an offer timeout of 0.0001 s would be 0 ms in the engine.
        ("\"duration_min\":240", "\"duration_min\":240,\"offer_timeout_secs\":0.0001", "offer_timeout_secs"),
        ("\"count\":5", "\"count\":-5", "agent_groups[0].count"),
        ("\"count\":5", "\"count\":5e9", "agent_groups[0].count"),
        ("\"level\":3", "\"level\":300", "agent_groups[0].skills[0].level"),
        ("\"percent\":80", "\"percent\":80.5", "queues[0].sla.percent"),
        ("\"weight\":3", "\"weight\":true", "arrivals[0].attributes[0].values[0].weight"),
        ("\"start\":\"2026-03-02T08:00:00Z\"", "\"start\":\"yesterday\"", "start"),
        ("\"channels\":[\"Voice\"]", "\"channels\":[\"Pigeon\"]", "queues[0].channels[0]"),
    ];
    let text = base().to_string();
    for (from, to, path) in cases {
        assert!(text.contains(from), "{from}");
        match Scenario::from_json(&text.replacen(from, to, 1)) {
            Err(e @ ScenarioError::Parse { .. }) => {
                let ScenarioError::Parse { path: p, line, column, .. } = &e else { unreachable!() };
                assert_eq!(p, path, "{e}");
                assert!(*line == 1 && *column > 0);
                assert!(e.to_string().contains(path), "{e}");
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    match Scenario::from_json(&format!("{text} {{}}")) {
        Err(ScenarioError::Parse { message, .. }) => assert!(message.contains("trailing"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn nonsense_numbers_are_refused_with_the_field_named() {
    type Breakage = Box<dyn Fn(&mut Scenario)>;
    let cases: Vec<(Breakage, &str)> = vec![
        (Box::new(|s| s.missed_offer_probability = f64::NAN), "missed_offer_probability"),
        (Box::new(|s| s.missed_offer_probability = -0.1), "missed_offer_probability"),
        (Box::new(|s| s.arrivals[0].per_hour = vec![1.0, f64::INFINITY]), "arrivals[0].per_hour[1]"),
        (Box::new(|s| s.arrivals[0].per_hour = vec![-1.0]), "arrivals[0].per_hour[0]"),
        (Box::new(|s| s.arrivals[0].per_hour = vec![]), "arrivals[0].per_hour"),
        // A mean of a tenth of a millisecond: nearly every draw would round to 0 ms.
        (
            Box::new(|s| s.arrivals[0].handle = Distribution::Exponential { mean_secs: 0.0001 }),
            "arrivals[0].handle.mean_secs",
        ),
        (
            Box::new(|s| s.arrivals[0].handle = Distribution::Exponential { mean_secs: f64::NAN }),
            "arrivals[0].handle.mean_secs",
        ),
        (
            Box::new(|s| s.arrivals[0].patience = Some(Distribution::LogNormal { mean_secs: 60.0, sd_secs: f64::NAN })),
            "arrivals[0].patience.sd_secs",
        ),
        (
            Box::new(|s| s.arrivals[0].handle = Distribution::Samples { secs: vec![1.0, f64::NAN] }),
            "arrivals[0].handle.secs[1]",
        ),
        (Box::new(|s| s.arrivals[0].handle = Distribution::Samples { secs: vec![] }), "arrivals[0].handle.secs"),
        (Box::new(|s| s.answer_delay = Distribution::Fixed { secs: -1.0 }), "answer_delay.secs"),
        (Box::new(|s| s.queues[0].sla.percent = 101), "queues[0].sla.percent"),
        (Box::new(|s| s.queues[0].requirements[0].level = 0), "queues[0].requirements[0].level"),
        (Box::new(|s| s.agent_groups[0].skills[0].level = 6), "agent_groups[0].skills[0].level"),
        (
            Box::new(|s| s.arrivals[0].attributes[0].values[1].requires = vec![SkillLevel { skill: 1, level: 9 }]),
            "arrivals[0].attributes[0].values[1].requires[0].level",
        ),
        (
            Box::new(|s| s.arrivals[0].attributes[0].values[0].weight = f64::INFINITY),
            "arrivals[0].attributes[0].values[0].weight",
        ),
        // Each weight is finite; their sum is not.
        (
            Box::new(|s| s.arrivals[0].attributes[0].values.iter_mut().for_each(|v| v.weight = f64::MAX)),
            "arrivals[0].attributes[0].values",
        ),
        (Box::new(|s| s.agent_groups[0].breaks[0].stagger_groups = 0), "agent_groups[0].breaks[0].stagger_groups"),
        (Box::new(|s| s.agent_groups[0].breaks[0].duration_min = 0), "agent_groups[0].breaks[0].duration_min"),
        (Box::new(|s| s.arrivals[0].curve_interval_min = 0), "arrivals[0].curve_interval_min"),
        (Box::new(|s| s.interval_min = 0), "interval_min"),
        (Box::new(|s| s.interval_min = 45), "interval_min"),
    ];
    let base = scenario(&base());
    for (break_it, field) in cases {
        let mut s = base.clone();
        break_it(&mut s);
        match simulate(&s, 1) {
            Err(ScenarioError::Invalid { field: f, problem }) => assert_eq!(f, field, "{problem}"),
            other => panic!("{field}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// 5. Any bytes: the loader never panics, and what it accepts runs in bounded time.

/// What the fuzz target does: load, and if that succeeds, run.
fn load_and_run(bytes: &[u8], options: &RunOptions) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    if let Ok(s) = Scenario::from_json(text) {
        // Any outcome but a panic or a hang is fine.
        let _ = options.simulate(&s, 1);
    }
}

#[test]
fn mutated_scenarios_never_panic() {
    // Small limits keep the debug-profile runs short; the defaults bound a release run the same way.
    let mut limits = SimLimits::default();
    limits.max_arrivals = 2_000;
    limits.max_steps = 20_000;
    let options = RunOptions::new().limits(limits);
    let text = base().to_string();
    let numbers: Vec<(usize, usize)> = {
        let b = text.as_bytes();
        let mut spans = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
                let start = i;
                while i < b.len() && (b[i].is_ascii_digit() || b".eE+-".contains(&b[i])) {
                    i += 1;
                }
                spans.push((start, i));
            } else {
                i += 1;
            }
        }
        spans
    };
    let extremes = [
        "0",
        "1",
        "-1",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "9223372036854775807",
        "1e308",
        "1e-300",
        "0.0001",
        "5e-324",
        "-0",
        "255",
        "1440",
        "60",
        "3.5",
    ];
    let mut rng = SimRng::new(seed(), 77);
    for case in 0..600 {
        let mut bytes = text.clone().into_bytes();
        match case % 3 {
            // A number replaced by an extreme.
            0 => {
                let (a, b) = numbers[rng.below(numbers.len() as u64) as usize];
                let with = extremes[rng.below(extremes.len() as u64) as usize];
                bytes.splice(a..b, with.bytes());
            }
            // A few bytes overwritten.
            1 => {
                for _ in 0..=rng.below(3) {
                    let at = rng.below(bytes.len() as u64) as usize;
                    bytes[at] = rng.below(256) as u8;
                }
            }
            // Truncated.
            _ => bytes.truncate(rng.below(bytes.len() as u64) as usize),
        }
        let outcome = std::panic::catch_unwind(|| load_and_run(&bytes, &options));
        assert!(outcome.is_ok(), "seed {} case {case}: {}", seed(), String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn the_builtin_day_is_within_the_default_limits() {
    let day = Scenario::builtin_day();
    assert_eq!(day.validate(), Ok(()));
    assert_eq!(day.check_limits(&SimLimits::default()), Ok(()));
    assert_eq!(Scenario::from_json(BUILTIN_DAY), Ok(day));
}

// ---------------------------------------------------------------------------
// Nothing the scenario sends goes missing: arrivals the engine refuses are counted.

#[test]
fn arrivals_the_engine_refuses_are_counted_not_dropped() {
    let huge = "x".repeat(5_000); // beyond the engine's 4,096 attribute bytes
    let v = with(&[("/arrivals/0/attributes/0/values/0/value", json!(huge))]);
    let report = simulate(&scenario(&v), seed()).unwrap();
    assert!(report.arrivals_refused > 0, "seed {}", seed());
    assert!(report.to_text().contains("arrivals refused"));
    let clean = simulate(&scenario(&base()), seed()).unwrap();
    assert_eq!(clean.arrivals_refused, 0);
    assert!(!clean.to_text().contains("arrivals refused"));
}
