//! The hand-made seeds of each corpus: real inputs, written by the library itself, so the
//! fuzzers start from the formats as they are. `tests/fuzz_corpus.rs` checks that the
//! committed `fuzz/corpus/<target>/seed-*` files are these, and that each still reaches the
//! engine; regenerate them with
//! `cargo test --test fuzz_corpus -- --ignored write_seeds`.

use std::time::Duration;

use switchboard::host::*;
use switchboard::sim::{BUILTIN_DAY, Scenario};
use switchboard::*;

/// One seed: its target, its file name and its bytes.
pub struct Seed {
    /// The target's name.
    pub target: &'static str,
    /// The file name under `fuzz/corpus/<target>/`.
    pub name: &'static str,
    /// The contents.
    pub bytes: Vec<u8>,
}

/// Every seed.
pub fn all() -> Vec<Seed> {
    let day = Day::run();
    let seed = |target, name, bytes| Seed { target, name, bytes };
    vec![
        seed("commands", "seed-quickstart.json", json_stream(&quickstart())),
        seed("commands", "seed-day.json", json_stream(&day.log)),
        seed("commands", "seed-structured.bin", structured(0x40, 1)),
        seed("commands", "seed-structured-limits.bin", structured(0x20 | 0x40 | 0x04, 2)),
        seed("journal", "seed-day.jsonl", journal_file(&day.log)),
        seed("journal", "seed-torn.jsonl", {
            let mut bytes = journal_file(&day.log[..6]);
            bytes.truncate(bytes.len() - 20);
            bytes
        }),
        seed("snapshot", "seed-empty.json", to_json(&Engine::new(EngineConfig::default()).snapshot())),
        seed("snapshot", "seed-midday.json", to_json(&day.midday)),
        seed("snapshot", "seed-ringing.json", to_json(&ringing())),
        seed("snapshot", "seed-edited.bin", edited_snapshot()),
        seed("scenario", "seed-builtin-day.json", BUILTIN_DAY.as_bytes().to_vec()),
        seed("scenario", "seed-readme-desk.json", readme_scenario().into_bytes()),
        seed("scenario", "seed-erlang-a.json", to_json(&Scenario::single_queue(5, 50.0, 300.0, Some(180.0), 2))),
        seed("scenario", "seed-structured.bin", scenario_structured()),
    ]
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("seeds encode")
}

/// `[[millis, command], …]`, one step per line.
fn json_stream(steps: &[(Timestamp, Command)]) -> Vec<u8> {
    let lines: Vec<String> = steps
        .iter()
        .map(|(t, c)| format!("[{},{}]", t.as_millis(), serde_json::to_string(c).expect("commands encode")))
        .collect();
    format!("[\n{}\n]\n", lines.join(",\n")).into_bytes()
}

/// Bytes for the structured decoders: a flags byte, then a fixed pseudo-random tail.
fn structured(flags: u8, salt: u64) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ salt;
    let mut out = vec![flags, 0];
    for _ in 0..254 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push((x >> 32) as u8);
    }
    out
}

/// A structured `snapshot` input that builds a busy engine (40 operations after the
/// ready-made topology) and whose edits still restore to an engine with work to do: the first
/// such input of a fixed series.
fn edited_snapshot() -> Vec<u8> {
    (0..1_000)
        .map(|salt| {
            let mut bytes = structured(0x40, salt);
            bytes.insert(0, 40);
            bytes
        })
        .find(|bytes| {
            // Guarded, so the search never runs into a known bug; nothing skipped, so strict is the same.
            let outcome = crate::harness::snapshot::run(bytes, crate::harness::Mode::Guarded);
            outcome.restored && outcome.accepted >= 10 && outcome.skipped == 0
        })
        .expect("one of a thousand edited snapshots restores")
}

/// A structured `scenario` input that the loader accepts and the simulator runs: the first
/// such one of a fixed series.
fn scenario_structured() -> Vec<u8> {
    (0..1_000)
        .map(|salt| structured(0x00, salt))
        .find(|bytes| {
            let outcome = crate::harness::scenario::run(bytes, crate::harness::Mode::Guarded);
            outcome.steps >= 30 && outcome.skipped == 0
        })
        .expect("one of a thousand structured scenarios runs")
}

/// The README's embedding example, as a command stream.
fn quickstart() -> Vec<(Timestamp, Command)> {
    let now = Timestamp::from_secs(1_767_258_000);
    let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Chat, 3))
        .with_queue(QueueMembership::new(QueueId(1)));
    vec![
        (now, Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Voice, Channel::Chat]))),
        (now, Command::AddAgent(agent)),
        (now, Command::Login { agent: AgentId(1) }),
        (now, Command::Arrive(NewInteraction::new(InteractionId(7), Channel::Chat, QueueId(1), CustomerId(42)))),
        (now + Duration::from_secs(2), Command::Accept { agent: AgentId(1), offer: OfferId(1) }),
    ]
}

/// The README's quick start up to the offer: one chat ringing, its timeout set.
fn ringing() -> EngineSnapshot {
    let mut engine = Engine::new(EngineConfig::default());
    for (at, command) in quickstart().into_iter().take(4) {
        engine.handle(command, at).expect("the quick start's commands are accepted");
    }
    while engine.poll_event().is_some() {}
    engine.snapshot()
}

/// The README's example scenario (the first JSON block after "A scenario is JSON").
fn readme_scenario() -> String {
    let readme = include_str!("../../README.md");
    let after = &readme[readme.find("A scenario is JSON").expect("the README shows a scenario")..];
    let start = after.find("```json\n").expect("as a JSON block") + "```json\n".len();
    let len = after[start..].find("```").expect("a closed block");
    after[start..start + len].to_string()
}

/// A journal file as `JsonLinesJournal` writes it, through a `Driver` with no channel adapter.
fn journal_file(steps: &[(Timestamp, Command)]) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("switchboard-fuzz-seed-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let (journal, _) = JsonLinesJournal::open(&path, JsonLinesOptions::new()).expect("a temporary journal opens");
    let clock = ManualClock::new(steps.first().map_or(Timestamp::EPOCH, |s| s.0));
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .journal(journal)
        .build()
        .expect("a driver builds");
    for (at, command) in steps {
        clock.set(*at);
        driver.tick().expect("time moves forward");
        // Without channel adapters the driver cannot deliver offers: it journals that as a
        // command of its own (pausing the agent), and later accepts are refused. Both are
        // what a real journal holds.
        if let Err(e) = driver.submit(command.clone()) {
            assert!(!e.is_fatal(), "the journal failed: {e}");
        }
    }
    drop(driver);
    let bytes = std::fs::read(&path).expect("the journal reads back");
    let _ = std::fs::remove_file(&path);
    bytes
}

/// A short blended day, run through a real engine so that offers are answered by id.
struct Day {
    engine: Engine,
    log: Vec<(Timestamp, Command)>,
    midday: EngineSnapshot,
}

impl Day {
    fn run() -> Day {
        let mut d = Day {
            engine: Engine::new(EngineConfig::default()),
            log: Vec::new(),
            midday: Engine::new(EngineConfig::default()).snapshot(),
        };
        let fr = Proficiency::new(3).expect("3 is a level");
        d.at(0, Command::AddSkill { skill: SkillId(1), name: "billing".into() });
        d.at(0, Command::AddSkill { skill: SkillId(2), name: "french".into() });
        d.at(
            0,
            Command::AddQueue(
                QueueConfig::new(QueueId(1), "support", [Channel::Voice, Channel::Chat])
                    .with_wrap_up(Duration::from_secs(30))
                    .with_strategy(AgentSelection::MostProficient),
            ),
        );
        d.at(
            0,
            Command::AddQueue(
                QueueConfig::new(QueueId(2), "e-mail", [Channel::Email])
                    .with_aging(1)
                    .with_max_waiting(100)
                    .with_offer_timeout(Duration::from_secs(60)),
            ),
        );
        let ada = AgentConfig::new(
            AgentId(1),
            CapacityProfile::new(100)
                .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
                .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(50))
                .with_channel(Channel::Email, ChannelCapacity::new(1).with_units(10)),
        )
        .with_skills(SkillSet::from_pairs([(SkillId(1), Proficiency::MAX), (SkillId(2), fr)]))
        .with_queue(QueueMembership::new(QueueId(1)))
        .with_queue(QueueMembership::new(QueueId(2)).with_priority(-1).with_delay(Duration::from_secs(30)));
        let bob = AgentConfig::new(AgentId(2), CapacityProfile::single(Channel::Chat, 3))
            .with_skills(SkillSet::from_pairs([(SkillId(1), Proficiency::MIN)]))
            .with_queue(QueueMembership::new(QueueId(1)));
        d.at(0, Command::AddAgent(ada));
        d.at(0, Command::AddAgent(bob));
        d.at(0, Command::Login { agent: AgentId(1) });
        d.at(0, Command::Login { agent: AgentId(2) });
        d.arrive(5, 1, Channel::Voice, QueueId(1), |n| n);
        d.accept(7, AgentId(1));
        d.arrive(8, 2, Channel::Chat, QueueId(1), |n| n);
        d.arrive(9, 3, Channel::Email, QueueId(2), |n| n.with_case(CaseId(9)));
        d.arrive(10, 4, Channel::Chat, QueueId(1), |n| {
            n.with_requirements(Requirements::from_pairs([(SkillId(2), fr)]))
                .with_attributes(Attributes::new().with("language", "fr"))
        });
        d.reject(11, AgentId(2));
        d.accept(12, AgentId(2));
        d.arrive(13, 5, Channel::Voice, QueueId(1), |n| n.with_priority(2));
        d.at(14, Command::Pause { agent: AgentId(2), reason: ReasonCode(2) });
        d.at(20, Command::Complete { agent: AgentId(1), interaction: InteractionId(1) });
        d.at(
            21,
            Command::Disposition {
                agent: AgentId(1),
                interaction: InteractionId(1),
                code: "resolved".into(),
                notes: Some("refund issued".into()),
            },
        );
        d.midday = d.engine.snapshot();
        d.at(22, Command::EndWrapUp { agent: AgentId(1), interaction: InteractionId(1) });
        d.accept(23, AgentId(1));
        d.at(25, Command::Cancel { interaction: InteractionId(3) });
        d.at(30, Command::Resume { agent: AgentId(2) });
        d.accept(31, AgentId(2));
        d.arrive(40, 6, Channel::Chat, QueueId(1), |n| n);
        d.at(41, Command::Abandon { interaction: InteractionId(6) });
        d.arrive(42, 7, Channel::Email, QueueId(2), |n| n);
        d.at(43, Command::Transfer { interaction: InteractionId(7), queue: QueueId(1) });
        let live: Vec<_> = d.engine.interactions().map(|i| (i.id(), i.state())).collect();
        for (interaction, state) in live {
            if let InteractionState::Connected { agent } = state {
                d.at(90, Command::Complete { agent, interaction });
            }
        }
        d.at(200, Command::Logout { agent: AgentId(2) });
        d.at(201, Command::SetAgentQueues { agent: AgentId(2), queues: vec![QueueMembership::new(QueueId(2))] });
        d.at(202, Command::SetAgentSkills { agent: AgentId(2), skills: SkillSet::default() });
        d.at(203, Command::RemoveAgent { agent: AgentId(2) });
        d
    }

    /// Applies a command `secs` after the start; keeps it if the engine accepts it.
    fn at(&mut self, secs: u64, command: Command) {
        let t = Timestamp::from_secs(1_767_258_000) + Duration::from_secs(secs);
        if self.engine.handle(command.clone(), t).is_ok() {
            self.log.push((t, command));
        }
        while self.engine.poll_event().is_some() {}
    }

    fn arrive(
        &mut self,
        secs: u64,
        id: u64,
        channel: Channel,
        queue: QueueId,
        f: impl Fn(NewInteraction) -> NewInteraction,
    ) {
        let new = f(NewInteraction::new(InteractionId(id), channel, queue, CustomerId(100 + id)));
        self.at(secs, Command::Arrive(new));
    }

    fn pending(&self, agent: AgentId) -> Option<OfferId> {
        self.engine.offers().find(|p| p.agent == agent).map(|p| p.id)
    }

    fn accept(&mut self, secs: u64, agent: AgentId) {
        if let Some(offer) = self.pending(agent) {
            self.at(secs, Command::Accept { agent, offer });
        }
    }

    fn reject(&mut self, secs: u64, agent: AgentId) {
        if let Some(offer) = self.pending(agent) {
            self.at(secs, Command::Reject { agent, offer });
        }
    }
}
