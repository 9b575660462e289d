//! The simulator's report: deterministic by seed, complete, and comparable across configurations.

#![cfg(feature = "sim")]

use switchboard::AgentSelection;
use switchboard::sim::*;

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(3)
}

#[test]
fn one_seed_gives_a_byte_identical_report_twice() {
    let day = Scenario::builtin_day();
    let a = simulate(&day, seed()).unwrap().to_json();
    let b = simulate(&day, seed()).unwrap().to_json();
    assert_eq!(a, b, "seed {}", seed());
    let other = simulate(&day, seed() + 1).unwrap().to_json();
    assert_ne!(a, other, "a different seed gives a different day");
}

#[test]
fn the_builtin_day_report_covers_every_queue_channel_and_interval() {
    let day = Scenario::builtin_day();
    let r = simulate(&day, seed()).unwrap();
    let names: Vec<&str> = r.queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["Billing (voice)", "Tech support (voice)", "Chat", "E-mail"]);
    assert_eq!(r.channels.len(), 3);
    assert_eq!(r.intervals.len(), 4 * (720 / 30), "four queues, 24 half-hours");
    for q in &r.queues {
        let f = &q.figures;
        assert!(f.offered > 300, "{}: {f:?}", q.name);
        assert_eq!(f.offered, r.intervals.iter().filter(|i| i.queue == q.name).map(|i| i.figures.offered).sum::<u64>());
        assert!(f.answered + f.abandoned <= f.offered);
        assert!(f.service_level_pct.is_some_and(|sl| (0.0..=100.0).contains(&sl)));
        assert!(f.aht_secs.is_some_and(|aht| aht > 100.0));
    }
    let voice = r.intervals.iter().filter(|i| i.queue.contains("voice"));
    assert!(voice.clone().all(|i| i.erlang_agents.is_some()), "Erlang staffing for every voice interval");
    assert!(
        r.intervals.iter().filter(|i| i.queue == "E-mail").all(|i| i.erlang_agents.is_none()),
        "not for deferrable work"
    );
    assert!(r.occupancy_pct.is_some_and(|o| o > 20.0 && o < 100.0));
    assert!(r.intervals.iter().all(|i| i.occupancy_pct.is_some_and(|o| (0.0..=100.0).contains(&o))));
    let text = r.to_text();
    assert!(text.contains("Billing (voice)") && text.contains("Erlang"));
    let csv = r.intervals_csv().unwrap();
    assert_eq!(csv.lines().count(), 1 + r.intervals.len());
    assert!(csv.starts_with("start,queue,offered,"));
}

#[test]
fn a_what_if_sees_the_same_customers() {
    let day = Scenario::builtin_day();
    let seeds = [seed(), seed() + 1];
    let nothing = WhatIf::named("no change");
    let same = compare(&day, &nothing, &seeds).unwrap();
    assert!(same.rows.iter().all(|r| r.difference.mean == 0.0), "no change, no difference");
    let what_if = WhatIf { strategy: Some(AgentSelection::RoundRobin), ..WhatIf::named("round robin") };
    let base = simulate(&day, seeds[0]).unwrap();
    let alt = simulate(&what_if.apply(&day), seeds[0]).unwrap();
    for (b, a) in base.queues.iter().zip(&alt.queues) {
        assert_eq!(b.figures.offered, a.figures.offered, "{}: common random numbers give the same arrivals", b.name);
    }
    let cmp = compare(&day, &what_if, &seeds).unwrap();
    assert_eq!(cmp.rows.len(), 4 * 4);
    assert!(cmp.to_text().contains("round robin"));
}

#[test]
fn replications_give_confidence_intervals() {
    let scenario = Scenario::single_queue(20, 360.0, 180.0, Some(120.0), 6);
    let reps = replicate(&scenario, &[1, 2, 3, 4]).unwrap();
    assert_eq!(reps.reports.len(), 4);
    let q = &reps.queues[0];
    assert_eq!(q.service_level_pct.n, 4);
    assert!(q.service_level_pct.half_width > 0.0);
    assert!(reps.to_text().contains("95% confidence"));
}

#[test]
fn bad_scenarios_are_refused_with_the_field_named() {
    let day = Scenario::builtin_day();
    type Breakage = Box<dyn Fn(&mut Scenario)>;
    let cases: Vec<(Breakage, &str)> = vec![
        (Box::new(|s| s.duration_min = 0), "duration_min"),
        (Box::new(|s| s.warm_up_min = s.duration_min), "warm_up_min"),
        (Box::new(|s| s.missed_offer_probability = 1.5), "missed_offer_probability"),
        (Box::new(|s| s.arrivals[0].per_hour = vec![f64::NAN]), "arrivals[0].per_hour[0]"),
        (
            Box::new(|s| s.arrivals[1].handle = Distribution::Exponential { mean_secs: -1.0 }),
            "arrivals[1].handle.mean_secs",
        ),
        (Box::new(|s| s.agent_groups[0].shift_start_min = 9_999), "agent_groups[0].shift_start_min"),
        (Box::new(|s| s.interval_min = 7), "interval_min"),
        (Box::new(|s| s.arrivals[0].queue = 99), "arrivals[0].queue"),
        (Box::new(|s| s.arrivals[0].channel = switchboard::Channel::Fax), "arrivals[0].channel"),
    ];
    for (break_it, field) in cases {
        let mut s = day.clone();
        break_it(&mut s);
        let err = simulate(&s, 1).unwrap_err();
        assert!(matches!(&err, ScenarioError::Invalid { field: f, .. } if f == field), "{field}: {err}");
    }
    assert!(matches!(Scenario::from_json("{ not json"), Err(ScenarioError::Parse { .. })));
    let round_trip = Scenario::from_json(&serde_json::to_string(&day).unwrap()).unwrap();
    assert_eq!(round_trip, day);
}

#[test]
fn the_readme_scenario_is_complete_and_runs() {
    let readme = include_str!("../README.md");
    let start = readme.find("```json\n").expect("the README shows a scenario") + "```json\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let scenario = Scenario::from_json(&readme[start..end]).unwrap();
    let report = simulate(&scenario, 1).unwrap();
    if std::env::var_os("SWITCHBOARD_PRINT").is_some() {
        println!("{}", report.to_text());
    }
    assert_eq!(report.queues.len(), 4);
    assert!(report.queues.iter().all(|q| q.figures.offered > 0));
    // The chat line follows a calendar that closes at 14:00 and ends the chats after it.
    let chat = report.queues.iter().find(|q| q.name == "Support (chat)").unwrap();
    assert!(chat.figures.closed > 0 && chat.figures.answered > 0, "{:?}", chat.figures);
    assert!(report.queues.iter().filter(|q| q.figures.closed > 0).count() == 1);
}
