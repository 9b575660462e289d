//! The `tracing` feature (issue #14 item 7): one span per command, one event per engine event,
//! ids as fields and no personal data; and the engine's own events unchanged by it.
//!
//! The first test runs with and without the feature (`cargo test --test integration
//! tracing_feature::` and `cargo test --features tracing --test integration tracing_feature::`;
//! this file is the module `tracing_feature`, as `tracing` is the crate's name): both compare the engine's event stream,
//! byte for byte, with `tests/fixtures/routing-stream-default.jsonl`, recorded without the
//! feature, so the stream is the same with it off and on. The others need the feature: they
//! record every span and event with a small `Layer` and check them against the engine's events
//! and commands, using serde's names and fields as the independent answer.

use crate::workload;

use switchboard::*;
use workload::*;

/// The seed `tests/routing_replay.rs` recorded the default fixture with.
const FIXTURE_SEED: u64 = 10;

fn fixture_config() -> EngineConfig {
    EngineConfig::builder().routing_index(RoutingIndex::Indexed).build().unwrap()
}

/// The engine's events as the fixture stores them, one JSON line each.
fn lines(run: &Recording) -> Vec<String> {
    run.events.iter().map(|e| serde_json::to_string(e).unwrap()).collect()
}

/// The recorded stream in today's serialised form: recorded in format 1, each line is read and
/// written again ([`in_todays_format`]), which changes its naming, not what it says.
fn fixture() -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/routing-stream-default.jsonl");
    std::fs::read_to_string(path).unwrap().lines().map(in_todays_format).collect()
}

fn assert_same_stream(expected: &[String], actual: &[String], what: &str) {
    assert_eq!(expected.len(), actual.len(), "{what}: a different number of events");
    if let Some(i) = (0..expected.len()).find(|i| expected[*i] != actual[*i]) {
        panic!("{what}: event {} differs:\n- {}\n+ {}", i + 1, expected[i], actual[i]);
    }
}

/// With the feature off this is the plain engine; with it on, the spans and events are built
/// (a subscriber listens) and the stream must still be the one recorded without them.
#[test]
fn the_event_stream_is_the_recorded_one_with_the_feature_on_or_off() {
    let workload = generate(FIXTURE_SEED, &Shape::fixture());
    #[cfg(feature = "tracing")]
    let (run, _) = capture::during(|| record(fixture_config(), &workload));
    #[cfg(not(feature = "tracing"))]
    let run = record(fixture_config(), &workload);
    assert_same_stream(&fixture(), &lines(&run), "the fixture's workload");
}

#[cfg(feature = "tracing")]
mod capture {
    //! A `Layer` that keeps every span and event with its fields, as text.

    use std::collections::BTreeMap;
    use std::fmt;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
    use tracing_subscriber::registry::LookupSpan;

    /// One span (at its creation) or one event.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Captured {
        pub is_span: bool,
        /// The span's name, or the event's.
        pub name: String,
        pub target: String,
        pub level: tracing::Level,
        pub fields: BTreeMap<String, String>,
        /// For an event, the index in the capture of the span it happened in.
        pub parent: Option<usize>,
    }

    impl Captured {
        pub fn field(&self, name: &str) -> Option<&str> {
            self.fields.get(name).map(String::as_str)
        }
    }

    /// Where a span's record is in the capture, kept in the span's extensions.
    struct Index(usize);

    #[derive(Default)]
    struct Fields(BTreeMap<String, String>);

    impl Visit for Fields {
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_string(), value.to_string());
        }

        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.insert(field.name().to_string(), format!("{value:?}"));
        }
    }

    struct Recorder(Arc<Mutex<Vec<Captured>>>);

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            attrs.record(&mut fields);
            let meta = attrs.metadata();
            let mut log = self.0.lock().unwrap();
            log.push(Captured {
                is_span: true,
                name: meta.name().to_string(),
                target: meta.target().to_string(),
                level: *meta.level(),
                fields: fields.0,
                parent: None,
            });
            ctx.span(id).expect("a new span is in the registry").extensions_mut().insert(Index(log.len() - 1));
        }

        // A field recorded after creation would otherwise escape the personal-data check.
        fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            values.record(&mut fields);
            let span = ctx.span(id).expect("a recorded span is in the registry");
            let index = span.extensions().get::<Index>().expect("indexed when created").0;
            self.0.lock().unwrap()[index].fields.extend(fields.0);
        }

        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            let parent = ctx.event_span(event).and_then(|span| span.extensions().get::<Index>().map(|i| i.0));
            let meta = event.metadata();
            self.0.lock().unwrap().push(Captured {
                is_span: false,
                name: meta.name().to_string(),
                target: meta.target().to_string(),
                level: *meta.level(),
                fields: fields.0,
                parent,
            });
        }
    }

    /// Runs `f` with the recorder as this thread's subscriber (every level enabled); what it
    /// returned, and everything recorded.
    pub fn during<T>(f: impl FnOnce() -> T) -> (T, Vec<Captured>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Recorder(Arc::clone(&log)));
        let out = tracing::subscriber::with_default(subscriber, f);
        let captured = log.lock().unwrap().clone();
        (out, captured)
    }
}

#[cfg(feature = "tracing")]
mod with_the_feature {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use serde_json::Value;

    use super::capture::{Captured, during};
    use super::*;

    /// A serde enum value's variant name and its fields (empty for a unit variant).
    fn variant(value: Value) -> (String, serde_json::Map<String, Value>) {
        match value {
            Value::String(name) => (name, serde_json::Map::new()),
            Value::Object(outer) => {
                let (name, inner) = outer.into_iter().next().expect("an externally tagged variant");
                match inner {
                    Value::Object(fields) => (name, fields),
                    _ => (name, serde_json::Map::new()),
                }
            }
            other => panic!("not an enum: {other}"),
        }
    }

    /// The id fields a command or event must carry: its serde fields named like the tracing
    /// fields, with the renames the engine's types make (an offer's and a self-served contact's
    /// own `id`, a transfer's `from` and `to`, an interruption's `by`).
    fn expected_ids(name: &str, fields: &serde_json::Map<String, Value>) -> BTreeMap<String, String> {
        let mut ids = BTreeMap::new();
        for (key, value) in fields {
            let Some(number) = value.as_u64() else { continue };
            let field = match (name, key.as_str()) {
                (_, "interaction" | "agent" | "queue" | "offer") => key.as_str(),
                ("interaction_offered", "id") => "offer",
                ("self_served" | "arrive", "id") => "interaction",
                ("add_queue", "id") => "queue",
                ("add_agent", "id") => "agent",
                ("interaction_transferred", "to") => "queue",
                ("interaction_transferred", "from") => "from_queue",
                ("work_interrupted", "by") => "by",
                _ => continue,
            };
            ids.insert(field.to_string(), number.to_string());
        }
        ids
    }

    const ID_FIELDS: [&str; 6] = ["interaction", "agent", "queue", "offer", "from_queue", "by"];

    fn id_fields(captured: &Captured) -> BTreeMap<String, String> {
        ID_FIELDS.iter().filter_map(|f| captured.field(f).map(|v| (f.to_string(), v.to_string()))).collect()
    }

    /// Every step is one span, every engine event one `tracing` event inside its step's span,
    /// in the same order, with the same kind, time and ids.
    fn check(run: &Recording, captured: &[Captured]) {
        let spans: Vec<usize> = (0..captured.len()).filter(|i| captured[*i].is_span).collect();
        let events: Vec<&Captured> = captured.iter().filter(|c| !c.is_span).collect();
        assert_eq!(spans.len(), run.steps.len(), "one span per handle or handle_timeout call");
        assert_eq!(events.len(), run.events.len(), "one tracing event per engine event");

        for (step, &span) in run.steps.iter().zip(&spans) {
            let span = &captured[span];
            assert_eq!(span.level, tracing::Level::DEBUG);
            match &step.step {
                Step::Timeout(t) => {
                    assert_eq!(
                        (span.name.as_str(), span.target.as_str()),
                        ("switchboard.timeout", "switchboard::timeout")
                    );
                    assert_eq!(span.field("now_ms"), Some(t.as_millis().to_string().as_str()));
                    assert_eq!(span.fields.len(), 1, "{span:?}");
                }
                Step::Command(t, command) => {
                    assert_eq!(
                        (span.name.as_str(), span.target.as_str()),
                        ("switchboard.command", "switchboard::command")
                    );
                    assert_eq!(span.field("now_ms"), Some(t.as_millis().to_string().as_str()));
                    let (name, fields) = variant(serde_json::to_value(command).unwrap());
                    assert_eq!(span.field("kind"), Some(name.as_str()));
                    let mut ids = expected_ids(&name, &fields);
                    // The two commands whose ids sit one level down in their serde form.
                    match command {
                        Command::UpdateQueue { queue, .. } => {
                            ids.insert("queue".into(), queue.id.0.to_string());
                        }
                        Command::ScheduleCallback { callback, .. } => {
                            ids.insert("interaction".into(), callback.id.0.to_string());
                            ids.insert("queue".into(), callback.queue.0.to_string());
                        }
                        _ => {}
                    }
                    assert_eq!(id_fields(span), ids, "{command:?}");
                    assert_eq!(span.fields.len(), 2 + ids.len(), "only kind, now_ms and ids: {span:?}");
                }
            }
        }

        for (i, (event, traced)) in run.events.iter().zip(&events).enumerate() {
            assert_eq!(traced.target, "switchboard::event");
            assert_eq!(traced.level, tracing::Level::DEBUG);
            let (name, fields) = variant(serde_json::to_value(&event.kind).unwrap());
            assert_eq!(traced.field("kind"), Some(name.as_str()), "event {i}");
            assert_eq!(traced.field("at_ms"), Some(event.at.as_millis().to_string().as_str()), "event {i}");
            let ids = expected_ids(&name, &fields);
            assert_eq!(id_fields(traced), ids, "event {i}: {event:?}");
            assert_eq!(traced.fields.len(), 2 + ids.len(), "only kind, at_ms and ids: {traced:?}");
            assert_eq!(
                traced.field("interaction").map(str::to_string),
                event.kind.interaction().map(|i| i.0.to_string()),
                "event {i}: the interaction EventKind::interaction names"
            );
            let step = run.steps.partition_point(|s| s.first_event <= i).checked_sub(1).expect("made by a step");
            assert_eq!(traced.parent, Some(spans[step]), "event {i} is inside its step's span");
        }
    }

    #[test]
    fn one_span_per_command_and_one_event_per_engine_event_with_their_ids() {
        let workload = generate(FIXTURE_SEED, &Shape::fixture());
        let (run, captured) = during(|| record(fixture_config(), &workload));
        check(&run, &captured);
    }

    /// Every optional part of the workload on (steps, rules, calendars, reconfiguration,
    /// preferences, …), for event and command kinds the fixture does not reach.
    #[test]
    fn every_part_of_a_rich_workload_is_traced_with_its_ids() {
        let shape = Shape {
            bounds: true,
            headroom: true,
            interruptible: true,
            steps: true,
            expressions: true,
            calendars: true,
            reconfigure: true,
            preferences: true,
            ..Shape::fixture()
        };
        let workload = generate(14, &shape);
        let (run, captured) = during(|| record(EngineConfig::default(), &workload));
        check(&run, &captured);
        let plain = record(EngineConfig::default(), &workload);
        assert_same_stream(&lines(&plain), &lines(&run), "the rich workload, with and without a subscriber");
    }

    /// Runs commands at their times (seconds from the start) on a new engine, recording as
    /// [`record`] does; every command must be taken.
    fn run_commands(config: EngineConfig, commands: Vec<(u64, Command)>) -> Recording {
        let t0 = Timestamp::from_millis(T0);
        let mut engine = Engine::new(config);
        let mut run = Recording::default();
        for (secs, command) in commands {
            let t = t0 + Duration::from_secs(secs);
            run.commands.push((t, command.clone()));
            run.steps.push(StepRecord { step: Step::Command(t, command.clone()), first_event: run.events.len() });
            if let Err(e) = engine.handle(command.clone(), t) {
                panic!("{command:?} at {secs} s refused: {e}");
            }
            run.events.extend(std::iter::from_fn(|| engine.poll_event()));
        }
        run
    }

    /// The commands and events the workloads do not reach: self-service, wrap-up extension,
    /// declined by all, callbacks converted, failed and scheduled, an agent removed.
    #[test]
    fn callbacks_self_service_and_the_rarer_kinds_are_traced_with_their_ids() {
        let mut queue = QueueConfig::new(QueueId(1), "support", [Channel::Voice, Channel::Callback])
            .with_wrap_up(Duration::from_secs(30))
            .with_callback_attempts(2, Duration::from_secs(60));
        queue.wrap_up_extension = Some(Duration::from_secs(20));
        let member = |id, channel| {
            AgentConfig::new(AgentId(id), CapacityProfile::single(channel, 1))
                .with_queue(QueueMembership::new(QueueId(1)))
        };
        let call = |id, channel| NewInteraction::new(InteractionId(id), channel, QueueId(1), CustomerId(500 + id));
        let (a1, a2) = (AgentId(1), AgentId(2));
        let commands = vec![
            (0, Command::AddQueue(queue)),
            (0, Command::AddAgent(member(1, Channel::Voice))),
            (0, Command::AddAgent(member(2, Channel::Callback))),
            (0, Command::AddAgent(member(3, Channel::Voice))),
            (0, Command::RemoveAgent { agent: AgentId(3) }),
            (0, Command::Login { agent: a1 }),
            (
                1,
                Command::SelfServed(SelfServedContact::new(
                    InteractionId(100),
                    Channel::Voice,
                    CustomerId(9),
                    SelfService::Ivr,
                )),
            ),
            (2, Command::Arrive(call(1, Channel::Voice))),
            (3, Command::Accept { agent: a1, offer: OfferId(1) }),
            (10, Command::Complete { agent: a1, interaction: InteractionId(1) }),
            (11, Command::ExtendWrapUp { agent: a1, interaction: InteractionId(1) }),
            (12, Command::EndWrapUp { agent: a1, interaction: InteractionId(1) }),
            (13, Command::Arrive(call(2, Channel::Voice))),
            (14, Command::Reject { agent: a1, offer: OfferId(2) }),
            (15, Command::ConvertToCallback { interaction: InteractionId(2) }),
            (16, Command::Login { agent: a2 }),
            (17, Command::Accept { agent: a2, offer: OfferId(3) }),
            (18, Command::CallbackFailed { agent: a2, interaction: InteractionId(2), reason: DialFailure::NoAnswer }),
            (
                19,
                Command::ScheduleCallback {
                    callback: call(3, Channel::Callback),
                    due: Timestamp::from_millis(T0 + 3_600_000),
                },
            ),
            (20, Command::Cancel { interaction: InteractionId(3) }),
            (21, Command::Cancel { interaction: InteractionId(2) }),
        ];
        let config = EngineConfig::builder().never_reoffer_to_decliners(true).build().unwrap();
        let (run, captured) = during(|| run_commands(config, commands));
        check(&run, &captured);
        for kind in [
            "agent_removed",
            "self_served",
            "wrap_up_extended",
            "declined_by_all",
            "converted_to_callback",
            "callback_attempt_failed",
            "callback_scheduled",
        ] {
            assert!(captured.iter().any(|c| !c.is_span && c.field("kind") == Some(kind)), "no {kind} event");
        }
    }

    /// Attribute values, notes, codes and customer ids go into the engine (and its events), but
    /// nowhere into spans or events.
    #[test]
    fn ids_are_fields_and_personal_data_is_not() {
        let t0 = Timestamp::from_secs(1_767_258_000);
        let customer = CustomerId(987_654_321);
        let (refused, captured) = during(|| {
            let mut engine = Engine::new(EngineConfig::default());
            let queue = QueueConfig::new(QueueId(1), "Lovelace VIP line", [Channel::Voice]);
            let agent = AgentConfig::new(AgentId(5), CapacityProfile::single(Channel::Voice, 1))
                .with_queue(QueueMembership::new(QueueId(1)));
            let call = NewInteraction::new(InteractionId(7), Channel::Voice, QueueId(1), customer).with_attributes(
                Attributes::new().with("customer_name", "Ada Lovelace").with("phone", "+44 20 7946 0958"),
            );
            let commands = [
                Command::AddSkill { skill: SkillId(3), name: "Ada's skill".into() },
                Command::AddQueue(queue),
                Command::AddAgent(agent),
                Command::Login { agent: AgentId(5) },
                Command::Arrive(call),
                Command::Accept { agent: AgentId(5), offer: OfferId(1) },
                Command::Disposition {
                    agent: AgentId(5),
                    interaction: InteractionId(7),
                    code: "refund-for-ada".into(),
                    notes: Some("Ada Lovelace's card ends 4242".into()),
                },
                Command::Complete { agent: AgentId(5), interaction: InteractionId(7) },
            ];
            for (s, command) in commands.into_iter().enumerate() {
                engine.handle(command, t0 + Duration::from_secs(s as u64)).unwrap();
            }
            // A refused command is traced too (its span), and changes nothing.
            let refused = engine.handle(Command::Login { agent: AgentId(99) }, t0 + Duration::from_secs(60));
            let mut arrived = None;
            while let Some(event) = engine.poll_event() {
                if let EventKind::InteractionArrived { attributes, .. } = event.kind {
                    arrived = Some(attributes);
                }
            }
            assert_eq!(arrived.unwrap().get("customer_name"), Some("Ada Lovelace"), "the engine carries it");
            refused
        });
        assert!(refused.is_err());

        let arrive = captured.iter().find(|c| c.is_span && c.field("kind") == Some("arrive")).unwrap();
        assert_eq!(
            id_fields(arrive),
            BTreeMap::from([("interaction".into(), "7".into()), ("queue".into(), "1".into())])
        );
        let offered = captured.iter().find(|c| c.field("kind") == Some("interaction_offered")).unwrap();
        let expected = [("interaction", "7"), ("agent", "5"), ("queue", "1"), ("offer", "1")];
        assert_eq!(id_fields(offered), expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        let login = captured.iter().rfind(|c| c.is_span && c.field("kind") == Some("login")).unwrap();
        assert_eq!(login.field("agent"), Some("99"), "the refused command's span");

        for secret in ["ada", "lovelace", "4242", "7946", "refund", "987654321", "VIP"] {
            for c in &captured {
                for (name, value) in &c.fields {
                    assert!(!value.contains(secret), "{secret:?} leaked into field {name} of {c:?}");
                }
                assert!(!c.name.contains(secret) && !c.target.contains(secret), "{secret:?} in {c:?}");
            }
        }
        for c in &captured {
            for name in c.fields.keys() {
                assert!(
                    ["kind", "now_ms", "at_ms"].contains(&name.as_str()) || ID_FIELDS.contains(&name.as_str()),
                    "an unexpected field {name} in {c:?}"
                );
            }
        }
    }
}
