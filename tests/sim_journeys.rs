//! The simulator's scenario format for customer journeys (issue #13): repeat contacts of a case
//! on another channel, queues that prefer the case's owner, wrap-up modes, and the typed errors
//! each new field gives.

#![cfg(feature = "sim")]

use crate::json;
use json::{load, with};
use serde_json::{Value, json};
use switchboard::sim::*;

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(5)
}

/// Four hours: customers e-mail (queue 2), and half of those handled call back about the same
/// case within 20 minutes (queue 1, a voice stream of no arrivals of its own). Both queues wait
/// for the case's owner: an hour for e-mail, two minutes for voice. Ten agents work both.
fn repeat_callers() -> Value {
    json!({
        "name": "repeat callers", "start": "2026-03-02T08:00:00Z", "duration_min": 240, "interval_min": 30,
        "skills": [],
        "queues": [
            { "id": 1, "name": "Voice", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 },
              "case_owner_wait_secs": 120, "wrap_up_secs": 30, "wrap_up_mode": "Forced" },
            { "id": 2, "name": "Mail", "channels": ["Email"], "sla": { "percent": 90, "secs": 3600 },
              "case_owner_wait_secs": 3600 }
        ],
        "agent_groups": [{ "name": "desk", "count": 10, "skills": [], "total_units": 100,
            "capacity": [{ "channel": "Voice", "max": 1, "units": 100 }, { "channel": "Email", "max": 1, "units": 100 }],
            "queues": [{ "queue": 1 }, { "queue": 2 }] }],
        "arrivals": [
            { "queue": 1, "channel": "Voice", "per_hour": [0], "handle": { "kind": "exponential", "mean_secs": 180 } },
            { "queue": 2, "channel": "Email", "per_hour": [30], "handle": { "kind": "fixed", "secs": 300 },
              "repeat": { "share": 0.5, "within_secs": 1200, "as_arrival": 0 } }
        ]
    })
}

#[test]
fn handled_contacts_come_back_about_their_case_and_meet_its_owner() {
    let scenario = load(&repeat_callers());
    let report = simulate(&scenario, seed()).unwrap();
    // About 120 e-mails, about half of the handled ones call back (those whose window ends
    // after the period do not).
    let mails = report.interactions_arrived - report.repeat_contacts;
    assert!((80..=160).contains(&mails), "{mails} e-mails");
    assert!(
        report.repeat_contacts * 100 >= mails * 30 && report.repeat_contacts * 100 <= mails * 60,
        "{} repeats of {mails} e-mails",
        report.repeat_contacts
    );
    // The owner is usually free within two minutes: most calls are offered to them first.
    assert!(
        report.case_owner_offers * 2 > report.repeat_contacts,
        "{} of {}",
        report.case_owner_offers,
        report.repeat_contacts
    );
    let text = report.to_text();
    assert!(text.contains(&format!("{} repeat contacts about a case", report.repeat_contacts)), "{text}");
    // Seeded: the same seed gives the same report.
    assert_eq!(simulate(&scenario, seed()).unwrap(), report);
    // Without the case-owner waits, nobody is offered anything as a case's owner.
    let plain = load(&with(
        repeat_callers(),
        &[("/queues/0/case_owner_wait_secs", Value::Null), ("/queues/1/case_owner_wait_secs", Value::Null)],
    ));
    let plain = simulate(&plain, seed()).unwrap();
    assert_eq!(plain.case_owner_offers, 0);
    assert_eq!(plain.repeat_contacts, report.repeat_contacts, "the same customers come back either way");
}

#[test]
fn a_scenario_without_repeats_reads_as_before() {
    let scenario = load(&with(repeat_callers(), &[("/arrivals/1/repeat", Value::Null)]));
    let report = simulate(&scenario, seed()).unwrap();
    assert_eq!((report.repeat_contacts, report.case_owner_offers), (0, 0));
    assert!(!report.to_text().contains("repeat contacts"));
}

#[test]
fn bad_journey_fields_are_typed_errors_naming_the_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/arrivals/1/repeat/share", json!(1.5), "arrivals[1].repeat.share"),
        ("/arrivals/1/repeat/share", json!(-0.1), "arrivals[1].repeat.share"),
        ("/arrivals/1/repeat/within_secs", json!(0), "arrivals[1].repeat.within_secs"),
        ("/arrivals/1/repeat/as_arrival", json!(9), "arrivals[1].repeat.as_arrival"),
        ("/queues/0/wrap_up_mode", json!("Untimed"), "queues[0].wrap_up_mode"),
        ("/queues/0/case_owner_wait_secs", json!(0), "queues[0].case_owner_wait_secs"),
    ];
    for (pointer, value, field) in cases {
        let text = with(repeat_callers(), &[(pointer, value.clone())]).to_string();
        match Scenario::from_json(&text) {
            Err(ScenarioError::Invalid { field: f, .. }) => assert_eq!(f, field, "{pointer} = {value}"),
            other => panic!("{pointer} = {value}: {other:?}"),
        }
    }
    // A membership weight out of range is the engine's refusal, naming the group.
    let scenario = load(&with(repeat_callers(), &[("/agent_groups/0/queues/0/weight", json!(0))]));
    assert!(
        matches!(simulate(&scenario, seed()), Err(ScenarioError::Refused { ref what, .. }) if what == "agent_groups[0]")
    );
}

/// Two hours of a queue too small for its calls: impatient callers (a minute on average) and
/// four agents. The queue takes callbacks, and the agents return them between calls.
fn busy_line() -> Value {
    json!({
        "name": "busy line", "start": "2026-03-02T08:00:00Z", "duration_min": 120, "interval_min": 30,
        "skills": [],
        "queues": [
            { "id": 1, "name": "Support", "channels": ["Voice", "Callback"], "sla": { "percent": 80, "secs": 20 } }
        ],
        "agent_groups": [{ "name": "desk", "count": 4, "skills": [], "total_units": 100,
            "capacity": [{ "channel": "Voice", "max": 1, "units": 100 }, { "channel": "Callback", "max": 1, "units": 100 }],
            "queues": [{ "queue": 1 }] }],
        "arrivals": [
            { "queue": 1, "channel": "Voice", "per_hour": [90], "handle": { "kind": "exponential", "mean_secs": 180 },
              "patience": { "kind": "exponential", "mean_secs": 60 },
              "callback": { "after_secs": 10, "take_up": 0.8 } }
        ]
    })
}

/// The abandoned calls of a report, over every channel.
fn abandoned(report: &SimReport) -> u64 {
    report.channels.iter().map(|c| c.figures.abandoned).sum()
}

#[test]
fn callers_who_take_a_callback_no_longer_abandon() {
    let offered = simulate(&load(&busy_line()), seed()).unwrap();
    let without = simulate(&load(&with(busy_line(), &[("/arrivals/0/callback", Value::Null)])), seed()).unwrap();
    assert_eq!(without.callbacks_taken, 0);
    // Most callers still waiting after 10 s take the callback; abandonment falls.
    assert!(offered.callbacks_taken > 20, "{} callbacks", offered.callbacks_taken);
    assert!(
        abandoned(&offered) < abandoned(&without),
        "{} abandoned with callbacks, {} without",
        abandoned(&offered),
        abandoned(&without)
    );
    let callbacks = offered.channels.iter().find(|c| c.name == "callback").expect("a callback row");
    assert!(callbacks.figures.answered > 0, "the agents returned calls");
    assert!(offered.to_text().contains(&format!("{} callers took a callback", offered.callbacks_taken)));
    assert!(!without.to_text().contains("took a callback"));
}

#[test]
fn bad_callback_offers_are_typed_errors_naming_the_field() {
    let cases: Vec<(Vec<(&str, Value)>, &str)> = vec![
        (vec![("/arrivals/0/callback/take_up", json!(1.5))], "arrivals[0].callback.take_up"),
        (vec![("/arrivals/0/callback/after_secs", json!(0))], "arrivals[0].callback.after_secs"),
        (vec![("/queues/0/channels", json!(["Voice"]))], "arrivals[0].callback"),
        (
            vec![("/queues/0/channels", json!(["Email", "Callback"])), ("/arrivals/0/channel", json!("Email"))],
            "arrivals[0].callback",
        ),
    ];
    for (changes, field) in cases {
        match Scenario::from_json(&with(busy_line(), &changes).to_string()) {
            Err(ScenarioError::Invalid { field: f, .. }) => assert_eq!(f, field, "{changes:?}"),
            other => panic!("{changes:?}: {other:?}"),
        }
    }
}

/// Two hours of one voice queue where agents take 8 s on average to pick up (exponential):
/// ringing three at once, the first of three answers, so calls are answered sooner than when
/// one agent rings at a time, and each answer rescinds the other offers.
#[test]
fn ring_all_answers_sooner_when_agents_are_slow_to_pick_up() {
    let desk = |parallel: u32| {
        json!({
            "name": "slow pick-up", "start": "2026-03-02T08:00:00Z", "duration_min": 120, "interval_min": 30,
            "skills": [],
            "answer_delay": { "kind": "exponential", "mean_secs": 8 },
            "queues": [{ "id": 1, "name": "Voice", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 },
                         "parallel_offers": parallel }],
            "agent_groups": [{ "name": "desk", "count": 12, "skills": [], "total_units": 100,
                "capacity": [{ "channel": "Voice", "max": 1, "units": 100 }], "queues": [{ "queue": 1 }] }],
            "arrivals": [{ "queue": 1, "channel": "Voice", "per_hour": [120],
                           "handle": { "kind": "exponential", "mean_secs": 180 } }]
        })
    };
    let single = simulate(&load(&desk(1)), seed()).unwrap();
    let ring = simulate(&load(&desk(3)), seed()).unwrap();
    assert_eq!(single.rescinded_offers, 0);
    let answered = ring.queues[0].figures.answered;
    assert!(answered > 100, "{answered} answered");
    // Most answers found other agents free to ring beside the first.
    assert!(ring.rescinded_offers > answered, "{} rescinded for {answered} answers", ring.rescinded_offers);
    let asa = |r: &SimReport| r.queues[0].figures.asa_secs.unwrap();
    assert!(asa(&ring) < asa(&single) * 0.7, "ASA {:.1} s ringing 3, {:.1} s ringing 1", asa(&ring), asa(&single));
    assert!(ring.to_text().contains("ring-all offers withdrawn"), "the report says so");
}

#[test]
fn a_ring_group_of_zero_is_a_typed_scenario_error() {
    let mut scenario = repeat_callers();
    scenario["queues"][0]["parallel_offers"] = json!(0);
    let err = serde_json::from_value::<Scenario>(scenario).unwrap().validate().unwrap_err();
    assert!(err.to_string().contains("queues[0].parallel_offers"), "{err}");
}
