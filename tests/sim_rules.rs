//! The simulator's scenario format with eligibility rules and business hours
//! (issue #12): agent attributes dealt across groups, queue and step rules
//! over them and the interaction's attributes, calendars that close queues
//! for part of the day, and the typed errors each new field gives.

#![cfg(feature = "sim")]

use std::collections::BTreeMap;
use std::time::Duration;

use crate::json;
use json::{load, with};
use serde_json::{Value, json};
use switchboard::sim::*;
use switchboard::{
    AgentId, BusinessHours, CommandError, Diversion, Engine, Event, EventKind, ExpressionError, InteractionId, Outcome,
    QueueId, Timestamp,
};

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(5)
}

fn utc(text: &str) -> Timestamp {
    let t = chrono::DateTime::parse_from_rfc3339(text).expect("a test time");
    Timestamp::from_millis(t.timestamp_millis())
}

// ---------------------------------------------------------------------------
// Business hours.

/// Monday 06:00 to 14:00 UTC. Voice (queue 1) and e-mail (queue 2) follow a
/// calendar open 08:00 to 12:00 UTC; queue 3 is an after-hours voice queue
/// without one. Agents are there all period, and plentiful.
fn office() -> Value {
    json!({
        "name": "office hours", "start": "2026-03-02T06:00:00Z", "duration_min": 480, "interval_min": 30,
        "skills": [],
        "calendars": [{ "id": 1, "hours": { "time_zone": "UTC",
            "weekly": [{ "day": "Mon", "open": "08:00", "close": "12:00" }] } }],
        "queues": [
            { "id": 3, "name": "After hours", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 } },
            { "id": 1, "name": "Sales", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 },
              "calendar": 1, "when_closed": "End" },
            { "id": 2, "name": "Mail", "channels": ["Email"], "sla": { "percent": 90, "secs": 14400 }, "calendar": 1 }
        ],
        "agent_groups": [{ "name": "desk", "count": 8, "skills": [], "total_units": 100,
            "capacity": [{ "channel": "Voice", "max": 1, "units": 100 }, { "channel": "Email", "max": 1, "units": 100 }],
            "queues": [{ "queue": 1 }, { "queue": 2 }, { "queue": 3 }] }],
        "arrivals": [
            { "queue": 1, "channel": "Voice", "per_hour": [40], "handle": { "kind": "exponential", "mean_secs": 120 } },
            { "queue": 2, "channel": "Email", "per_hour": [10], "handle": { "kind": "fixed", "secs": 60 } }
        ]
    })
}

/// What the engine did with each interaction of a run.
#[derive(Default)]
struct Log {
    arrived: BTreeMap<InteractionId, (Timestamp, QueueId)>,
    /// Outcome, queue it ended in and when.
    ended: BTreeMap<InteractionId, (Outcome, QueueId, Timestamp)>,
    /// Queue and time of each offer.
    offers: Vec<(QueueId, Timestamp, AgentId, InteractionId)>,
    moved: Vec<(InteractionId, QueueId, QueueId, Timestamp)>,
}

impl Log {
    fn observe(&mut self, e: &Event) {
        match &e.kind {
            EventKind::InteractionArrived { interaction, queue, .. } => {
                self.arrived.insert(*interaction, (e.at, *queue));
            }
            EventKind::InteractionEnded { interaction, queue, outcome, .. } => {
                self.ended.insert(*interaction, (*outcome, *queue, e.at));
            }
            EventKind::InteractionOffered(offer) => {
                self.offers.push((offer.queue, e.at, offer.agent, offer.interaction))
            }
            EventKind::InteractionTransferred { interaction, from, to } => {
                self.moved.push((*interaction, *from, *to, e.at))
            }
            _ => {}
        }
    }
}

fn run(scenario: &Scenario) -> (SimReport, Log) {
    let mut log = Log::default();
    let report = simulate_with(scenario, seed(), &mut |e: &Event, _: &Engine| log.observe(e))
        .unwrap_or_else(|e| panic!("seed {}: {e}", seed()));
    (report, log)
}

fn figures<'r>(report: &'r SimReport, queue: &str) -> &'r Figures {
    &report.queues.iter().find(|q| q.name == queue).unwrap_or_else(|| panic!("no row for {queue}")).figures
}

/// Whatever the queue does with its real-time work while closed, nothing is
/// offered from it outside its hours, and e-mail waits for the opening.
#[test]
fn a_queue_closed_for_part_of_the_day_follows_its_rule() {
    let calendar = load(&office()).calendars[0].hours.check().unwrap();
    let (opens, closes) = (utc("2026-03-02T08:00:00Z"), utc("2026-03-02T12:00:00Z"));
    let sales = QueueId(1);
    for when_closed in [json!("End"), json!("Wait"), json!({ "Move": 3 })] {
        let scenario = load(&with(office(), &[("/queues/1/when_closed", when_closed.clone())]));
        let (report, log) = run(&scenario);
        let case = format!("{when_closed}, seed {}", seed());
        let arrived_closed: Vec<InteractionId> = log
            .arrived
            .iter()
            .filter(|(_, (at, q))| *q == sales && !calendar.is_open(*at))
            .map(|(id, _)| *id)
            .collect();
        assert!(arrived_closed.len() > 50, "{case}: calls before 08:00 and after 12:00");
        assert!(log.arrived.values().any(|(at, q)| *q == sales && calendar.is_open(*at)), "{case}");

        // Closed queues offer nothing.
        for (queue, at, _, id) in &log.offers {
            if *queue == sales || *queue == QueueId(2) {
                assert!(calendar.is_open(*at), "{case}: interaction {id} offered from closed queue {queue} at {at}");
            }
        }
        // E-mail that came before the opening waits for it (it is offered only while open, above), and
        // none ends closed.
        let mail = figures(&report, "Mail");
        assert_eq!(mail.closed, 0, "{case}");
        assert!(mail.answered > 10, "{case}");

        let closed: Vec<(&InteractionId, Timestamp)> = log
            .ended
            .iter()
            .filter(|(_, (outcome, ..))| *outcome == Outcome::Closed)
            .map(|(id, (_, _, at))| (id, *at))
            .collect();
        // Only real-time work of the queue that ends it, and only while it is closed.
        for (id, at) in &closed {
            assert_eq!(log.ended[id].1, sales, "{case}: {id}");
            assert!(!calendar.is_open(*at), "{case}: {id} ended closed at {at}, during opening hours");
            let (arrived, _) = log.arrived[id];
            // It arrived while closed and ended at once, or was still waiting at the closing.
            assert!(
                (arrived == *at && !calendar.is_open(arrived)) || (*at == closes && calendar.is_open(arrived)),
                "{case}: {id} arrived at {arrived} and ended closed at {at}"
            );
        }
        let sales_figures = figures(&report, "Sales");
        assert_eq!(sales_figures.closed, closed.len() as u64, "{case}: the report counts them");
        match when_closed.as_str() {
            Some("End") => {
                // Every call while closed ends at once: none waits, none is answered.
                for id in &arrived_closed {
                    let (arrived, _) = log.arrived[id];
                    assert_eq!(log.ended.get(id), Some(&(Outcome::Closed, sales, arrived)), "{case}: {id}");
                }
                assert!(report.to_text().contains("Ended because the queue was closed: Sales"), "{case}");
                // No call waits at the opening, so the agents take the e-mail that waited for it.
                assert!(log.offers.iter().any(|(q, at, ..)| *q == QueueId(2) && *at == opens), "{case}");
                assert!(sales_figures.answered > 50, "{case}: calls in opening hours are answered");
            }
            Some("Wait") => {
                assert!(closed.is_empty(), "{case}");
                // Calls before the opening are offered at the opening; those after the closing wait.
                let early = arrived_closed.iter().filter(|id| log.arrived[id].0 < opens).count();
                let at_opening = log.offers.iter().filter(|(q, at, ..)| *q == sales && *at == opens).count();
                assert_eq!(at_opening, early.min(8), "{case}: eight agents take the first calls at 08:00");
                assert!(report.open_at_end as usize >= arrived_closed.len() - early, "{case}");
                assert!(!report.to_text().contains("queue was closed"), "{case}");
            }
            _ => {
                assert!(closed.is_empty(), "{case}");
                // Every call while closed moves to the after-hours queue at once and is answered there.
                for id in &arrived_closed {
                    let (arrived, _) = log.arrived[id];
                    assert!(log.moved.contains(&(*id, sales, QueueId(3), arrived)), "{case}: {id}");
                }
                assert!(figures(&report, "After hours").answered >= arrived_closed.len() as u64 - 10, "{case}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Eligibility rules.

/// One voice queue whose rule wants the customer's language; customers draw
/// a language, agents are dealt one round-robin (two each) and all sit in
/// Lisbon.
fn languages() -> Value {
    json!({
        "name": "languages", "start": "2026-03-02T08:00:00Z", "duration_min": 240, "interval_min": 30,
        "skills": [{ "id": 1, "name": "support" }],
        "agent_attributes": [{ "name": "language", "kind": "text" }, { "name": "site", "kind": "text" },
                             { "name": "tenure_months", "kind": "number" }],
        "queues": [{ "id": 1, "name": "Support", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 },
            "requirements": [{ "skill": 1, "level": 1 }],
            "eligibility": { "all": [
                { "attribute": { "name": "language", "op": "eq", "value": { "interaction": "language" } } },
                { "attribute": { "name": "site", "op": "in", "value": { "list": [{ "text": "lisbon" }] } } }
            ] } }],
        "agent_groups": [{ "name": "desk", "count": 6, "skills": [{ "skill": 1, "level": 3 }], "total_units": 100,
            "capacity": [{ "channel": "Voice", "max": 1, "units": 100 }], "queues": [{ "queue": 1 }],
            "attributes": { "language": ["en", "es", "fr"], "site": "lisbon", "tenure_months": [3, 30] } }],
        "arrivals": [{ "queue": 1, "channel": "Voice", "per_hour": [60],
            "handle": { "kind": "exponential", "mean_secs": 180 },
            "patience": { "kind": "exponential", "mean_secs": 300 },
            "attributes": [{ "key": "language", "values": [
                { "value": "en", "weight": 3 }, { "value": "es", "weight": 2 }, { "value": "fr", "weight": 1 }] }] }]
    })
}

#[test]
fn every_answered_call_is_taken_by_an_agent_of_its_language() {
    let scenario = load(&languages());
    let mut answered: BTreeMap<String, u64> = BTreeMap::new();
    let mut agents_seen = BTreeMap::new();
    let mut observer = |e: &Event, engine: &Engine| {
        if let EventKind::OfferAccepted { interaction, agent, .. } = &e.kind {
            let customer = engine.interaction(*interaction).unwrap().attributes().get("language").unwrap().to_string();
            let attrs = &engine.agent(*agent).unwrap().config().attributes;
            let speaks = attrs.get("language").cloned();
            assert_eq!(speaks, Some(customer.as_str().into()), "seed {}: {interaction} taken by {agent}", seed());
            assert_eq!(attrs.get("site"), Some(&"lisbon".into()));
            *answered.entry(customer).or_default() += 1;
            agents_seen.insert(*agent, attrs.clone());
        }
    };
    let report = simulate_with(&scenario, seed(), &mut observer).unwrap();
    assert_eq!(answered.keys().collect::<Vec<_>>(), ["en", "es", "fr"], "seed {}: {answered:?}", seed());
    assert_eq!(answered.values().sum::<u64>(), report.queues[0].figures.answered);
    // Dealt round-robin by agent number: 1 en, 2 es, 3 fr, 4 en…; tenure alternates 3, 30.
    for (agent, attrs) in &agents_seen {
        let n = agent.0 - 1;
        assert_eq!(attrs.get("language"), Some(&["en", "es", "fr"][n as usize % 3].into()), "{agent}");
        assert_eq!(attrs.get("tenure_months"), Some(&[3i64, 30][n as usize % 2].into()), "{agent}");
    }
    assert_eq!(agents_seen.len(), 6, "seed {}: every agent answers", seed());
}

/// A step's rule applies only while the interaction is in that step: for its
/// first minute a call may go only to the seniors (tenure above 12 months),
/// then to anyone.
#[test]
fn a_step_rule_holds_only_in_its_step() {
    let v = with(
        languages(),
        &[
            ("/queues/0/eligibility", Value::Null),
            (
                "/queues/0/steps",
                json!([
                    { "eligibility": { "attribute": { "name": "tenure_months", "op": "gt", "value": { "number": 12 } } },
                      "expires_after_secs": 60 },
                    {}
                ]),
            ),
            ("/arrivals/0/per_hour", json!([100])),
        ],
    );
    let (report, log) = run(&load(&v));
    // Agents 2, 4 and 6 have 30 months.
    let senior = |a: AgentId| a.0 % 2 == 0;
    let mut to_others = 0;
    for (_, at, agent, id) in &log.offers {
        let (arrived, _) = log.arrived[id];
        if !senior(*agent) {
            to_others += 1;
            assert!(*at >= arrived + Duration::from_secs(60), "seed {}: {id} offered to {agent} at {at}", seed());
        }
    }
    assert!(to_others > 10, "seed {}: the load spills over to the juniors after a minute", seed());
    assert!(report.queues[0].figures.answered > 200);
}

// ---------------------------------------------------------------------------
// Bad input: typed errors naming the field.

enum Expect {
    /// A parse error at this path.
    Parse(&'static str),
    /// A validation error naming this field.
    Invalid(String),
    /// The engine's refusal while setting up this part of the scenario.
    Refused(&'static str, fn(&CommandError) -> bool),
}

/// `languages()` with a calendar and a second queue that may take the first's closed calls.
fn rules() -> Value {
    with(
        languages(),
        &[
            (
                "/calendars",
                json!([{ "id": 1, "hours": { "time_zone": "Europe/Lisbon",
                "weekly": [{ "day": "Mon", "open": "09:00", "close": "11:00" }],
                "exceptions": [{ "date": "2026-12-25", "hours": [] }] } }]),
            ),
            (
                "/queues/1",
                json!({ "id": 2, "name": "Later", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 },
                                  "calendar": 1, "when_closed": { "Move": 1 } }),
            ),
            ("/agent_groups/0/queues/1", json!({ "queue": 2 })),
        ],
    )
}

#[test]
fn bad_rules_and_hours_give_typed_errors_naming_the_field() {
    let megabyte = "x".repeat(1 << 20);
    let unknown_attribute: fn(&CommandError) -> bool = |e| {
        matches!(e, CommandError::BadExpression { part, error: ExpressionError::UnknownAttribute(name) }
            if part == "queue q1 eligibility" && name == "team")
    };
    let cases: Vec<(&str, Value, Expect)> = vec![
        // Agent attributes.
        (
            "an unknown kind",
            with(rules(), &[("/agent_attributes/0/kind", json!("colour"))]),
            Expect::Parse("agent_attributes[0].kind"),
        ),
        (
            "a kind in capitals",
            with(rules(), &[("/agent_attributes/0/kind", json!("Text"))]),
            Expect::Parse("agent_attributes[0].kind"),
        ),
        (
            "a misspelt field",
            with(rules(), &[("/agent_attributes/0/knd", json!("text"))]),
            Expect::Parse("agent_attributes[0].knd"),
        ),
        (
            "an attribute declared twice",
            with(rules(), &[("/agent_attributes/2/name", json!("language"))]),
            Expect::Invalid(String::from("agent_attributes[2].name")),
        ),
        (
            "a megabyte attribute name",
            with(rules(), &[("/agent_attributes/3", json!({ "name": megabyte, "kind": "text" }))]),
            Expect::Refused("agent_attributes[3]", |e| matches!(e, CommandError::LimitReached { .. })),
        ),
        // Agent groups' values.
        (
            "an undeclared attribute",
            with(rules(), &[("/agent_groups/0/attributes/team", json!("tier2"))]),
            Expect::Invalid(String::from("agent_groups[0].attributes.team")),
        ),
        (
            "an undeclared megabyte name, shortened in the path",
            with(rules(), &[(&format!("/agent_groups/0/attributes/{megabyte}"), json!("x"))]),
            Expect::Invalid(format!("agent_groups[0].attributes.{}…", &megabyte[..64])),
        ),
        (
            "a number for a text attribute, in a list",
            with(rules(), &[("/agent_groups/0/attributes/language", json!(["en", 7]))]),
            Expect::Invalid(String::from("agent_groups[0].attributes.language[1]")),
        ),
        (
            "text for a number attribute",
            with(rules(), &[("/agent_groups/0/attributes/tenure_months", json!("long"))]),
            Expect::Invalid(String::from("agent_groups[0].attributes.tenure_months")),
        ),
        (
            "an empty list",
            with(rules(), &[("/agent_groups/0/attributes/language", json!([]))]),
            Expect::Invalid(String::from("agent_groups[0].attributes.language")),
        ),
        (
            "a fraction",
            with(rules(), &[("/agent_groups/0/attributes/tenure_months", json!(1.5))]),
            Expect::Parse("agent_groups[0].attributes.tenure_months"),
        ),
        (
            "a number beyond i64",
            with(rules(), &[("/agent_groups/0/attributes/tenure_months", json!([3, 1e30]))]),
            Expect::Parse("agent_groups[0].attributes.tenure_months[1]"),
        ),
        (
            "the engine's tagged form",
            with(rules(), &[("/agent_groups/0/attributes/site", json!({ "text": "lisbon" }))]),
            Expect::Parse("agent_groups[0].attributes.site"),
        ),
        (
            "a megabyte value",
            with(rules(), &[("/agent_groups/0/attributes/site", json!(megabyte))]),
            Expect::Refused("agent_groups[0]", |e| matches!(e, CommandError::LimitReached { .. })),
        ),
        // Eligibility rules: the engine's checks, naming the queue.
        (
            "a rule on an undeclared attribute",
            with(rules(), &[("/queues/0/eligibility/all/1/attribute/name", json!("team"))]),
            Expect::Refused("queues[0]", unknown_attribute),
        ),
        (
            "an order on text",
            with(
                rules(),
                &[(
                    "/queues/0/eligibility",
                    json!({ "attribute": { "name": "site", "op": "lt", "value": { "text": "m" } } }),
                )],
            ),
            Expect::Refused("queues[0]", |e| {
                matches!(e, CommandError::BadExpression { error: ExpressionError::OrderOnText { .. }, .. })
            }),
        ),
        (
            "a value of the wrong kind",
            with(
                rules(),
                &[(
                    "/queues/0/eligibility",
                    json!({ "attribute": { "name": "tenure_months", "op": "gt", "value": { "text": "12" } } }),
                )],
            ),
            Expect::Refused("queues[0]", |e| {
                matches!(e, CommandError::BadExpression { error: ExpressionError::KindMismatch { .. }, .. })
            }),
        ),
        (
            "an empty any",
            with(rules(), &[("/queues/0/eligibility", json!({ "any": [] }))]),
            Expect::Refused("queues[0]", |e| {
                matches!(e, CommandError::BadExpression { error: ExpressionError::Empty(_), .. })
            }),
        ),
        (
            "a step rule on an unknown skill",
            with(
                rules(),
                &[("/queues/1/steps", json!([{ "eligibility": { "skill": { "skill": 9, "at_least": 2 } } }]))],
            ),
            Expect::Refused(
                "queues[1]",
                |e| matches!(e, CommandError::BadExpression { part, error: ExpressionError::UnknownSkill(_) } if part == "queue q2 step 0 eligibility"),
            ),
        ),
        (
            "an unknown operator",
            with(rules(), &[("/queues/0/eligibility/all/0/attribute/op", json!("=="))]),
            Expect::Parse("queues[0].eligibility.all[0].attribute.op"),
        ),
        (
            "a level out of range in a rule",
            with(rules(), &[("/queues/0/eligibility", json!({ "skill": { "skill": 1, "at_least": 9 } }))]),
            Expect::Parse("queues[0].eligibility.skill.at_least"),
        ),
        (
            "a fraction in a rule",
            with(
                rules(),
                &[(
                    "/queues/0/eligibility",
                    json!({ "attribute": { "name": "tenure_months", "op": "gt", "value": { "number": 1e300 } } }),
                )],
            ),
            Expect::Parse("queues[0].eligibility.attribute.value.number"),
        ),
        // Calendars.
        (
            "a bad time zone",
            with(rules(), &[("/calendars/0/hours/time_zone", json!("Mars/Olympus"))]),
            Expect::Invalid(String::from("calendars[0].hours.time_zone")),
        ),
        (
            "a megabyte time zone",
            with(rules(), &[("/calendars/0/hours/time_zone", json!(megabyte))]),
            Expect::Invalid(String::from("calendars[0].hours.time_zone")),
        ),
        (
            "an opening that closes before it opens",
            with(rules(), &[("/calendars/0/hours/weekly/0/close", json!("08:00"))]),
            Expect::Invalid(String::from("calendars[0].hours")),
        ),
        (
            "a time past 24:00",
            with(rules(), &[("/calendars/0/hours/weekly/0/open", json!("25:00"))]),
            Expect::Parse("calendars[0].hours.weekly[0].open"),
        ),
        (
            "a misspelt weekly",
            with(rules(), &[("/calendars/0/hours/weekley", json!([]))]),
            Expect::Parse("calendars[0].hours.weekley"),
        ),
        (
            "a misspelt exception field",
            with(rules(), &[("/calendars/0/hours/exceptions/0/hour", json!([]))]),
            Expect::Parse("calendars[0].hours.exceptions[0].hour"),
        ),
        (
            "a day that is not one",
            with(rules(), &[("/calendars/0/hours/weekly/0/day", json!("Someday"))]),
            Expect::Parse("calendars[0].hours.weekly[0].day"),
        ),
        (
            "a calendar listed twice",
            with(rules(), &[("/calendars/1", json!({ "id": 1, "hours": { "time_zone": "UTC" } }))]),
            Expect::Invalid(String::from("calendars[1].id")),
        ),
        ("a huge id", with(rules(), &[("/calendars/0/id", json!(1e30))]), Expect::Parse("calendars[0].id")),
        // Queues' calendars and closed rules.
        (
            "an unknown calendar",
            with(rules(), &[("/queues/1/calendar", json!(7))]),
            Expect::Invalid(String::from("queues[1].calendar")),
        ),
        (
            "a closed rule without a calendar",
            with(rules(), &[("/queues/0/when_closed", json!("End"))]),
            Expect::Invalid(String::from("queues[0].when_closed")),
        ),
        (
            "a move to a queue listed later",
            with(rules(), &[("/queues/0/calendar", json!(1)), ("/queues/0/when_closed", json!({ "Move": 2 }))]),
            Expect::Invalid(String::from("queues[0].when_closed")),
        ),
        (
            "a move to itself",
            with(rules(), &[("/queues/1/when_closed", json!({ "Move": 2 }))]),
            Expect::Invalid(String::from("queues[1].when_closed")),
        ),
        (
            "a rule in upper case",
            with(rules(), &[("/queues/1/when_closed", json!("END"))]),
            Expect::Parse("queues[1].when_closed"),
        ),
        (
            "a move to a queue without the channel",
            with(rules(), &[("/queues/0/channels", json!(["Chat"])), ("/arrivals/0/queue", json!(2))]),
            Expect::Refused("queues[1]", |e| matches!(e, CommandError::BadClosedTarget { .. })),
        ),
        // Exception rules, admission rules and the when-empty rule.
        (
            "an exception rule due at once",
            with(rules(), &[("/queues/1/exception_rules", json!([{ "after_secs": 0, "action": "Alert" }]))]),
            Expect::Invalid(String::from("queues[1].exception_rules[0].after_secs")),
        ),
        (
            "an exception rule due after more than a year",
            with(rules(), &[("/queues/1/exception_rules", json!([{ "after_secs": 1e12 as u64, "action": "Alert" }]))]),
            Expect::Invalid(String::from("queues[1].exception_rules[0].after_secs")),
        ),
        (
            "negative seconds",
            with(rules(), &[("/queues/1/exception_rules", json!([{ "after_secs": -1, "action": "Alert" }]))]),
            Expect::Parse("queues[1].exception_rules[0].after_secs"),
        ),
        (
            "fractional seconds",
            with(rules(), &[("/queues/1/exception_rules", json!([{ "after_secs": 1.5, "action": "Alert" }]))]),
            Expect::Parse("queues[1].exception_rules[0].after_secs"),
        ),
        (
            "the engine's duration form",
            with(
                rules(),
                &[("/queues/1/exception_rules", json!([{ "after": { "secs": 60, "nanos": 0 }, "action": "Alert" }]))],
            ),
            Expect::Parse("queues[1].exception_rules[0].after"),
        ),
        (
            "a move to a later queue",
            with(
                rules(),
                &[("/queues/0/exception_rules", json!([{ "after_secs": 60, "action": { "Move": { "queue": 2 } } }]))],
            ),
            Expect::Invalid(String::from("queues[0].exception_rules[0].action.Move.queue")),
        ),
        (
            "a move to an unknown queue",
            with(
                rules(),
                &[("/queues/1/exception_rules", json!([{ "after_secs": 60, "action": { "Move": { "queue": 9 } } }]))],
            ),
            Expect::Invalid(String::from("queues[1].exception_rules[0].action.Move.queue")),
        ),
        (
            "a misspelt field in a move",
            with(
                rules(),
                &[(
                    "/queues/1/exception_rules",
                    json!([{ "after_secs": 60, "action": { "Move": { "queue": 1, "keep": true } } }]),
                )],
            ),
            Expect::Parse("queues[1].exception_rules[0].action.Move.keep"),
        ),
        (
            "a requirement change adding an unknown skill",
            with(
                rules(),
                &[(
                    "/queues/1/exception_rules",
                    json!([{ "after_secs": 60,
                "action": { "ChangeRequirements": { "add": [{ "skill": 7, "level": 2 }] } } }]),
                )],
            ),
            Expect::Invalid(String::from("queues[1].exception_rules[0].action.ChangeRequirements.add[0].skill")),
        ),
        (
            "a requirement change dropping an unknown skill",
            with(
                rules(),
                &[(
                    "/queues/1/exception_rules",
                    json!([{ "after_secs": 60,
                "action": { "ChangeRequirements": { "drop": [1, 7] } } }]),
                )],
            ),
            Expect::Invalid(String::from("queues[1].exception_rules[0].action.ChangeRequirements.drop[1]")),
        ),
        (
            "a requirement change at level 6",
            with(
                rules(),
                &[(
                    "/queues/1/exception_rules",
                    json!([{ "after_secs": 60,
                "action": { "ChangeRequirements": { "add": [{ "skill": 1, "level": 6 }] } } }]),
                )],
            ),
            Expect::Invalid(String::from("queues[1].exception_rules[0].action.ChangeRequirements.add[0].level")),
        ),
        (
            "an unknown diversion",
            with(rules(), &[("/queues/1/exception_rules", json!([{ "after_secs": 60, "action": { "End": "Fax" } }]))]),
            Expect::Parse("queues[1].exception_rules[0].action.End"),
        ),
        (
            "an estimated wait of more than a year",
            with(
                rules(),
                &[(
                    "/queues/0/admission_rules",
                    json!([{ "when": { "EstimatedWaitSecs": 1e12 as u64 },
                "action": { "End": "Callback" } }]),
                )],
            ),
            Expect::Invalid(String::from("queues[0].admission_rules[0].when.EstimatedWaitSecs")),
        ),
        (
            "a NaN estimated wait",
            with(
                rules(),
                &[(
                    "/queues/0/admission_rules",
                    json!([{ "when": { "EstimatedWaitSecs": "NaN" },
                "action": { "End": "Callback" } }]),
                )],
            ),
            Expect::Parse("queues[0].admission_rules[0].when.EstimatedWaitSecs"),
        ),
        (
            "a negative queue length",
            with(
                rules(),
                &[("/queues/0/admission_rules", json!([{ "when": { "QueueLength": -1 }, "action": "Alert" }]))],
            ),
            Expect::Parse("queues[0].admission_rules[0].when.QueueLength"),
        ),
        (
            "an admission move to a later queue",
            with(
                rules(),
                &[(
                    "/queues/0/admission_rules",
                    json!([{ "when": { "NoAgents": "LoggedIn" },
                "action": { "Move": { "queue": 2 } } }]),
                )],
            ),
            Expect::Invalid(String::from("queues[0].admission_rules[0].action.Move.queue")),
        ),
        (
            "an unknown staffing state",
            with(rules(), &[("/queues/0/when_empty", json!({ "nobody": "Asleep", "action": { "End": "Voicemail" } }))]),
            Expect::Parse("queues[0].when_empty.nobody"),
        ),
        (
            "a when-empty move to itself",
            with(
                rules(),
                &[("/queues/1/when_empty", json!({ "nobody": "Unpaused", "action": { "Move": { "queue": 2 } } }))],
            ),
            Expect::Invalid(String::from("queues[1].when_empty.action.Move.queue")),
        ),
        (
            "a rule's move to a queue without the channel",
            with(
                rules(),
                &[
                    ("/queues/0/channels", json!(["Chat"])),
                    ("/arrivals/0/queue", json!(2)),
                    ("/queues/1/when_closed", json!("Wait")),
                    ("/queues/1/exception_rules", json!([{ "after_secs": 60, "action": { "Move": { "queue": 1 } } }])),
                ],
            ),
            Expect::Refused("queues[1]", |e| matches!(e, CommandError::BadMoveTarget { .. })),
        ),
    ];
    for (name, v, expect) in cases {
        let loaded = Scenario::from_json(&v.to_string());
        match (expect, loaded) {
            (Expect::Parse(path), Err(ScenarioError::Parse { path: p, message, .. })) => {
                assert_eq!(p, path, "{name}: {message}")
            }
            (Expect::Invalid(field), Err(ScenarioError::Invalid { field: f, problem })) => {
                assert_eq!(f, field, "{name}: {problem}");
                assert!(problem.len() < 400, "{name}: the message stays short: {problem}");
            }
            (Expect::Refused(what, error), Ok(s)) => match Simulation::new(&s, 1) {
                Err(ScenarioError::Refused { what: w, error: e }) => {
                    assert_eq!(w, what, "{name}: {e}");
                    assert!(error(&e), "{name}: {e:?}");
                }
                Err(other) => panic!("{name}: {other}"),
                Ok(_) => panic!("{name}: accepted"),
            },
            (_, other) => panic!("{name}: {:?}", other.map(|_| "accepted")),
        }
    }
    // The base of those cases is fine, and the message of a refusal names the queue.
    let base = load(&rules());
    assert!(Simulation::new(&base, 1).is_ok());
    let bad = load(&with(rules(), &[("/queues/0/eligibility/all/1/attribute/name", json!("team"))]));
    let message = Simulation::new(&bad, 1).err().unwrap().to_string();
    assert!(message.contains("queues[0]") && message.contains("queue q1 eligibility"), "{message}");
}

#[test]
fn rules_and_hours_round_trip_and_leave_other_scenarios_as_they_were() {
    let s = load(&rules());
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(Scenario::from_json(&json), Ok(s.clone()));
    assert!(
        json.contains(r#""attributes":{"language":["en","es","fr"],"site":"lisbon","tenure_months":[3,30]}"#),
        "{json}"
    );
    assert!(json.contains(r#""when_closed":{"move":1}"#), "{json}");
    // A scenario without them writes none of their fields.
    let day = serde_json::to_string(&Scenario::builtin_day()).unwrap();
    for field in ["agent_attributes", "calendars", "eligibility", "calendar", "when_closed", "\"attributes\":{"] {
        assert!(!day.contains(field), "{field}");
    }
    let hours: BusinessHours = serde_json::from_value(rules()["calendars"][0]["hours"].clone()).unwrap();
    assert_eq!(s.calendars[0].hours, hours, "the engine's own JSON");
}

// ---------------------------------------------------------------------------
// Any bytes: loading never panics, and what loads runs in bounded time.

#[test]
fn mutated_rule_scenarios_never_panic() {
    let mut limits = SimLimits::default();
    limits.max_arrivals = 1_000;
    limits.max_steps = 10_000;
    let options = RunOptions::new().limits(limits);
    let texts = [rules().to_string(), office().to_string()];
    let extremes =
        ["0", "-1", "1e308", "NaN", "\"\"", "[]", "{}", "null", "\"End\"", "\"24:00\"", "9223372036854775808"];
    let mut rng = SimRng::new(seed(), 78);
    for case in 0..300 {
        let text = &texts[case % 2];
        let mut bytes = text.clone().into_bytes();
        match case % 3 {
            // A value replaced: the bytes after a colon up to the next comma or brace.
            0 => {
                let colons: Vec<usize> = text.match_indices(':').map(|(i, _)| i + 1).collect();
                let at = colons[rng.below(colons.len() as u64) as usize];
                let end = at + text[at..].find([',', '}', ']']).unwrap_or(0);
                let with = extremes[rng.below(extremes.len() as u64) as usize];
                bytes.splice(at..end, with.bytes());
            }
            1 => {
                for _ in 0..=rng.below(3) {
                    let at = rng.below(bytes.len() as u64) as usize;
                    bytes[at] = rng.below(256) as u8;
                }
            }
            _ => bytes.truncate(rng.below(bytes.len() as u64) as usize),
        }
        let outcome = std::panic::catch_unwind(|| {
            let Ok(text) = std::str::from_utf8(&bytes) else { return };
            if let Ok(s) = Scenario::from_json(text) {
                let _ = options.simulate(&s, 1);
            }
        });
        assert!(outcome.is_ok(), "seed {} case {case}: {}", seed(), String::from_utf8_lossy(&bytes));
    }
}

// ---------------------------------------------------------------------------
// Admission, exception and when-empty rules.

/// Two identical voice queues, each with one agent of its own and more calls
/// than it can take; only "Capped" has a length cap.
fn capped() -> Value {
    json!({
        "name": "capped", "start": "2026-03-02T08:00:00Z", "duration_min": 180, "interval_min": 30,
        "skills": [],
        "queues": [
            { "id": 1, "name": "Capped", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 },
              "admission_rules": [{ "when": { "QueueLength": 2 }, "action": { "End": "Message" } }] },
            { "id": 2, "name": "Open", "channels": ["Voice"], "sla": { "percent": 80, "secs": 20 } }
        ],
        "agent_groups": [
            { "name": "capped desk", "count": 1, "skills": [], "total_units": 1,
              "capacity": [{ "channel": "Voice", "max": 1, "units": 1 }], "queues": [{ "queue": 1 }] },
            { "name": "open desk", "count": 1, "skills": [], "total_units": 1,
              "capacity": [{ "channel": "Voice", "max": 1, "units": 1 }], "queues": [{ "queue": 2 }] }
        ],
        "arrivals": [
            { "queue": 1, "channel": "Voice", "per_hour": [30], "handle": { "kind": "exponential", "mean_secs": 240 } },
            { "queue": 2, "channel": "Voice", "per_hour": [30], "handle": { "kind": "exponential", "mean_secs": 240 } }
        ]
    })
}

#[test]
fn a_length_cap_diverts_arrivals_of_its_queue_only() {
    let scenario = load(&capped());
    let (report, log) = run(&scenario);
    let case = format!("seed {}", seed());
    let diverted: Vec<_> = log.ended.iter().filter(|(_, (o, ..))| matches!(o, Outcome::Diverted(_))).collect();
    assert!(diverted.len() > 5, "{case}: the cap turns callers away ({})", diverted.len());
    for (id, (outcome, queue, at)) in &diverted {
        assert_eq!(*outcome, Outcome::Diverted(Diversion::Message), "{case}: {id}");
        assert_eq!(*queue, QueueId(1), "{case}: {id}");
        // Turned away on arrival, not after waiting.
        assert_eq!(log.arrived[id].0, *at, "{case}: {id}");
    }
    let (capped_row, open) = (figures(&report, "Capped"), figures(&report, "Open"));
    assert!(capped_row.diverted > 0 && capped_row.diverted <= diverted.len() as u64, "{case}: {capped_row:?}");
    assert_eq!(open.diverted, 0, "{case}");
    assert!(open.longest_wait_secs > capped_row.longest_wait_secs, "{case}: the open queue grows unbounded");
    let text = report.to_text();
    assert!(text.contains(&format!("Ended by a queue rule (diverted): Capped {}\n", capped_row.diverted)), "{text}");
    // Without the rule, nothing is diverted and the line is not printed.
    let mut plain = capped();
    plain["queues"][0].as_object_mut().unwrap().remove("admission_rules");
    let (report, log) = run(&load(&plain));
    assert!(log.ended.values().all(|(o, ..)| !matches!(o, Outcome::Diverted(_))), "{case}");
    assert!(!report.to_text().contains("diverted"), "{case}");
}

#[test]
fn when_the_last_agent_logs_out_waiting_callers_go_to_voicemail() {
    let v = with(
        capped(),
        &[
            ("/queues/0/admission_rules", json!([])),
            ("/queues/0/when_empty", json!({ "nobody": "LoggedIn", "action": { "End": "Voicemail" } })),
            ("/agent_groups/0/count", json!(2)),
            ("/agent_groups/0/shift_end_min", json!(60)),
        ],
    );
    let scenario = load(&v);
    let (report, log) = run(&scenario);
    let case = format!("seed {}", seed());
    let logout = utc("2026-03-02T09:00:00Z");
    let diverted: Vec<_> = log.ended.iter().filter(|(_, (o, ..))| matches!(o, Outcome::Diverted(_))).collect();
    assert!(diverted.len() > 10, "{case}: two hours of calls after the last logout ({})", diverted.len());
    for (id, (outcome, queue, at)) in &diverted {
        assert_eq!(*outcome, Outcome::Diverted(Diversion::Voicemail), "{case}: {id}");
        assert_eq!(*queue, QueueId(1), "{case}: {id}");
        assert!(*at >= logout, "{case}: {id} diverted at {at}, before the last logout");
    }
    // Every call of the queue arriving after the logout ends at once.
    for (id, (at, queue)) in &log.arrived {
        if *queue == QueueId(1) && *at > logout {
            assert_eq!(log.ended.get(id), Some(&(Outcome::Diverted(Diversion::Voicemail), QueueId(1), *at)), "{case}");
        }
    }
    assert!(log.offers.iter().all(|(q, at, ..)| *q != QueueId(1) || *at < logout), "{case}");
    assert_eq!(figures(&report, "Capped").diverted, diverted.len() as u64, "{case}");
    assert_eq!(figures(&report, "Open").diverted, 0, "{case}");
}

#[test]
fn exception_rules_read_as_documented_and_overflow_still_moves() {
    let v = with(
        capped(),
        &[
            ("/queues/0/admission_rules", json!([])),
            ("/queues/1/overflow", json!([{ "after_secs": 600, "queue": 1 }])),
            (
                "/queues/1/exception_rules",
                json!([
                    { "after_secs": 30, "action": "Alert" },
                    { "after_secs": 60, "action": { "SetPriority": 5 } },
                    { "after_secs": 90, "action": { "ChangeRequirements": { "add": [], "drop": [] } } },
                    { "after_secs": 300, "action": { "End": "Callback" } }
                ]),
            ),
        ],
    );
    let scenario = load(&v);
    let json = serde_json::to_string(&scenario).unwrap();
    // Written in snake_case, though the scenario above says "Alert" (the names of before 0.1 still read).
    assert!(json.contains(r#""action":"alert""#), "{json}");
    assert!(json.contains(r#"{"set_priority":5}"#), "{json}");
    assert!(json.contains(r#"{"end":"callback"}"#), "{json}");
    assert_eq!(Scenario::from_json(&json), Ok(scenario.clone()));
    let (report, log) = run(&scenario);
    let case = format!("seed {}", seed());
    // The callback at 300 s comes before the overflow at 600 s: nothing moves, and waits end at 300 s.
    assert!(log.moved.is_empty(), "{case}");
    let callbacks: Vec<_> =
        log.ended.iter().filter(|(_, (o, ..))| *o == Outcome::Diverted(Diversion::Callback)).collect();
    assert!(!callbacks.is_empty(), "{case}");
    for (id, (_, queue, at)) in &callbacks {
        assert_eq!(*queue, QueueId(2), "{case}");
        assert_eq!(*at, log.arrived[id].0 + Duration::from_secs(300), "{case}: {id}");
    }
    assert_eq!(figures(&report, "Open").diverted, callbacks.len() as u64, "{case}");
    // With the callback later than the overflow, the overflow moves as before.
    let later = load(&with(v, &[("/queues/1/exception_rules/3/after_secs", json!(900))]));
    let (_, log) = run(&later);
    assert!(log.moved.iter().all(|(_, from, to, _)| (*from, *to) == (QueueId(2), QueueId(1))), "{case}");
    assert!(!log.moved.is_empty(), "{case}");
}
