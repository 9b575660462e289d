//! Interruptible work (issue #11, item 4, third bullet, second option).
//!
//! The desk: one agent who takes one exclusive call *or* one e-mail. Without the option, an
//! agent holding an e-mail has no room for a call, so the call waits until the e-mail is done.
//! With [`CapacityProfile::with_interruptible`] on e-mail, the call is offered on top of the
//! e-mail at once, the e-mail pauses ([`EventKind::WorkInterrupted`]) and resumes
//! ([`EventKind::WorkResumed`]) when the agent holds no real-time work any more: when the call
//! is completed without wrap-up, or when its wrap-up ends.
//!
//! Every offer is accepted the moment it is made; everything else is scripted.

use std::collections::BTreeMap;
use std::time::Duration;

use switchboard::stats::*;
use switchboard::*;

const T0: i64 = 1_700_000_000_000;
const VOICE_Q: QueueId = QueueId(1);
const EMAIL_Q: QueueId = QueueId(2);
const AGENT: AgentId = AgentId(1);
const EMAIL: InteractionId = InteractionId(1);
const CALL: InteractionId = InteractionId(2);
const EMAIL_2: InteractionId = InteractionId(3);
const CALL_2: InteractionId = InteractionId(4);

fn at(secs: i64) -> Timestamp {
    Timestamp::from_millis(T0 + secs * 1_000)
}

fn secs_of(t: Timestamp) -> i64 {
    (t.as_millis() - T0) / 1_000
}

/// One exclusive call or one e-mail, with the e-mail interruptible or not.
fn profile(interruptible: bool) -> CapacityProfile {
    let cap = CapacityProfile::new(1)
        .with_channel(Channel::Voice, ChannelCapacity::new(1).with_exclusive(true))
        .with_channel(Channel::Email, ChannelCapacity::new(1));
    if interruptible { cap.with_interruptible(Channel::Email) } else { cap }
}

/// The desk's set-up: queues (calls with `wrap_up` seconds of wrap-up) and the agent, logged in.
fn setup(cap: CapacityProfile, wrap_up: u64) -> Vec<(i64, Command)> {
    vec![
        (0, Command::AddQueue(QueueConfig::new(VOICE_Q, "calls", [Channel::Voice]).with_wrap_up(secs(wrap_up)))),
        (0, Command::AddQueue(QueueConfig::new(EMAIL_Q, "e-mail", [Channel::Email]))),
        (
            0,
            Command::AddAgent(
                AgentConfig::new(AGENT, cap)
                    .with_queue(QueueMembership::new(VOICE_Q))
                    .with_queue(QueueMembership::new(EMAIL_Q)),
            ),
        ),
        (0, Command::Login { agent: AGENT }),
    ]
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn arrive(id: InteractionId) -> Command {
    let (channel, queue) =
        if id == CALL || id == CALL_2 { (Channel::Voice, VOICE_Q) } else { (Channel::Email, EMAIL_Q) };
    Command::Arrive(NewInteraction::new(id, channel, queue, CustomerId(id.0)))
}

fn complete(id: InteractionId) -> Command {
    Command::Complete { agent: AGENT, interaction: id }
}

/// A run: every event, the records the statistics closed, and the most the agent held at once.
struct Run {
    events: Vec<Event>,
    records: BTreeMap<InteractionId, InteractionRecord>,
    most_held: u32,
}

/// Runs `script` (commands at whole seconds, in order), accepting every offer at once,
/// checking the invariants after every step, and (if `restore_at`) replacing the engine by
/// its snapshot, through JSON, after the commands of that second.
fn run(script: &[(i64, Command)], until: i64, restore_at: Option<i64>) -> Run {
    let mut engine = Engine::new(EngineConfig::default());
    let mut stats = Statistics::new(StatsConfig::default());
    let mut out = Run { events: Vec::new(), records: BTreeMap::new(), most_held: 0 };
    let mut by_second: BTreeMap<i64, Vec<Command>> = BTreeMap::new();
    for (t, c) in script {
        by_second.entry(*t).or_default().push(c.clone());
    }
    for second in 0..=until {
        for command in by_second.remove(&second).unwrap_or_default() {
            let shown = format!("{command:?}");
            engine.handle(command, at(second)).unwrap_or_else(|e| panic!("{shown} at {second} s: {e}"));
            drain(&mut engine, &mut stats, &mut out);
        }
        engine.handle_timeout(at(second)).unwrap();
        drain(&mut engine, &mut stats, &mut out);
        if restore_at == Some(second) {
            let json = serde_json::to_string(&engine.snapshot()).unwrap();
            engine = Engine::restore(serde_json::from_str(&json).unwrap()).unwrap();
        }
    }
    while let Some(r) = stats.poll_record() {
        out.records.insert(r.interaction, r);
    }
    out
}

/// Drains events, accepting offers at once, until the engine has nothing more to say.
fn drain(engine: &mut Engine, stats: &mut Statistics, out: &mut Run) {
    loop {
        let mut offers = Vec::new();
        while let Some(event) = engine.poll_event() {
            stats.observe(&event, engine);
            if let EventKind::InteractionOffered(o) = &event.kind {
                offers.push((event.at, Command::Accept { agent: o.agent, offer: o.id }));
            }
            out.events.push(event);
        }
        engine.check_invariants().unwrap();
        if let Some(a) = engine.agent(AGENT) {
            // Never more than the e-mail and a call on top of it.
            out.most_held = out.most_held.max(a.load().items());
            assert!(a.load().within(&a.config().capacity), "over capacity: {:?}", a.load());
        }
        if offers.is_empty() {
            return;
        }
        for (t, accept) in offers {
            engine.handle(accept, t).unwrap();
        }
    }
}

/// What happened to the desk's interactions, as (second, what) lines such as
/// `(10, "interrupted 1 by 2")`.
fn trace(events: &[Event]) -> Vec<(i64, String)> {
    events
        .iter()
        .filter_map(|e| {
            let what = match &e.kind {
                EventKind::OfferAccepted { interaction, .. } => format!("accepted {}", interaction.0),
                EventKind::WorkInterrupted { interaction, agent, by } => {
                    assert_eq!(*agent, AGENT);
                    format!("interrupted {} by {}", interaction.0, by.0)
                }
                EventKind::WorkResumed { interaction, agent } => {
                    assert_eq!(*agent, AGENT);
                    format!("resumed {}", interaction.0)
                }
                EventKind::InteractionCompleted { interaction, .. } => format!("completed {}", interaction.0),
                EventKind::WrapUpEnded { interaction, .. } => format!("wrap-up ended {}", interaction.0),
                EventKind::InteractionTransferred { interaction, .. } => format!("transferred {}", interaction.0),
                _ => return None,
            };
            Some((secs_of(e.at), what))
        })
        .collect()
}

/// Expected `trace` lines.
type Trace = &'static [(i64, &'static str)];

/// Commands at whole seconds.
type Script = Vec<(i64, Command)>;

/// `trace` against expected lines.
fn assert_trace(events: &[Event], expected: &[(i64, &str)], case: &str) {
    let got = trace(events);
    let got: Vec<(i64, &str)> = got.iter().map(|(t, s)| (*t, s.as_str())).collect();
    assert_eq!(got, expected, "{case}");
}

/// The reproduction, with and without the option, with and without wrap-up after the call:
/// the e-mail arrives first; the call comes 10 s later and lasts 60 s; the script completes
/// the e-mail at 300 s.
#[test]
fn a_call_is_offered_on_top_of_email_which_pauses_until_the_call_is_over() {
    // (interruptible, call wrap-up in s, when the script completes the call, expected trace)
    let cases: [(bool, u64, i64, Trace); 4] = [
        // Without the option the call waits until the e-mail is done.
        (false, 0, 360, &[(0, "accepted 1"), (300, "completed 1"), (300, "accepted 2"), (360, "completed 2")]),
        (
            false,
            20,
            360,
            &[
                (0, "accepted 1"),
                (300, "completed 1"),
                (300, "accepted 2"),
                (360, "completed 2"),
                (380, "wrap-up ended 2"),
            ],
        ),
        // With it the call is offered at once; the e-mail resumes when the call ends...
        (
            true,
            0,
            70,
            &[
                (0, "accepted 1"),
                (10, "accepted 2"),
                (10, "interrupted 1 by 2"),
                (70, "completed 2"),
                (70, "resumed 1"),
                (300, "completed 1"),
            ],
        ),
        // ... or, after wrap-up, when the wrap-up ends: after-call work is part of the call.
        (
            true,
            20,
            70,
            &[
                (0, "accepted 1"),
                (10, "accepted 2"),
                (10, "interrupted 1 by 2"),
                (70, "completed 2"),
                (90, "wrap-up ended 2"),
                (90, "resumed 1"),
                (300, "completed 1"),
            ],
        ),
    ];
    for (interruptible, wrap_up, call_done, expected) in cases {
        let case = format!("interruptible {interruptible}, wrap-up {wrap_up} s");
        let mut script = setup(profile(interruptible), wrap_up);
        script.extend([(0, arrive(EMAIL)), (10, arrive(CALL)), (call_done, complete(CALL)), (300, complete(EMAIL))]);
        let r = run(&script, 400, None);
        assert_trace(&r.events, expected, &case);
        assert_eq!(r.most_held, if interruptible { 2 } else { 1 }, "{case}");
        let email = &r.records[&EMAIL];
        let paused = if interruptible { secs((call_done + wrap_up as i64 - 10) as u64) } else { Duration::ZERO };
        assert_eq!(email.interrupted, paused, "{case}");
        assert_eq!(email.talk, secs(300), "{case}: the pause is inside the e-mail's handle time");
        assert_eq!(r.records[&CALL].interrupted, Duration::ZERO, "{case}");
    }
}

/// While the call is up the agent takes nothing new, not even the second e-mail they would
/// have room for beside the first (the call is exclusive, and room for work that is not
/// real-time counts everything held). A second call waits too, and is offered when the first
/// ends: the e-mail resumes for as long as the agent holds no call (here, until they accept
/// the next one at once) and pauses again. The second e-mail comes after both calls.
#[test]
fn nothing_new_reaches_the_agent_while_the_call_is_up() {
    // One exclusive call, or up to two e-mails (interruptible).
    let cap = CapacityProfile::new(2)
        .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(2).with_exclusive(true))
        .with_channel(Channel::Email, ChannelCapacity::new(2))
        .with_interruptible(Channel::Email);
    let mut script = setup(cap, 0);
    script.extend([
        (0, arrive(EMAIL)),
        (10, arrive(CALL)),
        (20, arrive(EMAIL_2)),
        (30, arrive(CALL_2)),
        (70, complete(CALL)),
        (130, complete(CALL_2)),
        (300, complete(EMAIL)),
        (400, complete(EMAIL_2)),
    ]);
    let r = run(&script, 500, None);
    assert_trace(
        &r.events,
        &[
            (0, "accepted 1"),
            (10, "accepted 2"),
            (10, "interrupted 1 by 2"),
            (70, "completed 2"),
            (70, "resumed 1"),
            (70, "accepted 4"),
            (70, "interrupted 1 by 4"),
            (130, "completed 4"),
            (130, "resumed 1"),
            (130, "accepted 3"),
            (300, "completed 1"),
            (400, "completed 3"),
        ],
        "two calls and two e-mails",
    );
    assert_eq!(r.most_held, 2);
    assert_eq!(r.records[&EMAIL].interrupted, secs(120));
}

/// Paused work may be completed (the reply was sent just before the call) or transferred:
/// the interruption ends without a `WorkResumed`. The agent may log out with the call up:
/// connected work stays with them, paused until the call ends.
#[test]
fn paused_work_can_be_completed_or_transferred_and_logging_out_keeps_it_paused() {
    let back_office = QueueId(9);
    // (what, extra queue channel, the script after the call arrives at 10 s, expected trace)
    let cases: [(&str, Option<Channel>, Script, Trace); 4] = [
        (
            "e-mail completed while paused",
            None,
            vec![(40, complete(EMAIL)), (70, complete(CALL))],
            &[
                (0, "accepted 1"),
                (10, "accepted 2"),
                (10, "interrupted 1 by 2"),
                (40, "completed 1"),
                (70, "completed 2"),
                (90, "wrap-up ended 2"),
            ],
        ),
        (
            // To a queue nobody serves, so it stays there.
            "e-mail transferred while paused",
            Some(Channel::Email),
            vec![(40, Command::Transfer { interaction: EMAIL, queue: back_office }), (70, complete(CALL))],
            &[
                (0, "accepted 1"),
                (10, "accepted 2"),
                (10, "interrupted 1 by 2"),
                (40, "transferred 1"),
                (70, "completed 2"),
                (90, "wrap-up ended 2"),
            ],
        ),
        (
            "call transferred away",
            Some(Channel::Voice),
            vec![(40, Command::Transfer { interaction: CALL, queue: back_office }), (300, complete(EMAIL))],
            &[
                (0, "accepted 1"),
                (10, "accepted 2"),
                (10, "interrupted 1 by 2"),
                (40, "transferred 2"),
                (40, "resumed 1"),
                (300, "completed 1"),
            ],
        ),
        (
            // Logged out, so the call has no wrap-up and ends at once.
            "logged out with the call up",
            None,
            vec![(30, Command::Logout { agent: AGENT }), (70, complete(CALL)), (300, complete(EMAIL))],
            &[
                (0, "accepted 1"),
                (10, "accepted 2"),
                (10, "interrupted 1 by 2"),
                (70, "completed 2"),
                (70, "resumed 1"),
                (300, "completed 1"),
            ],
        ),
    ];
    for (case, extra, rest, expected) in cases {
        let mut script = setup(profile(true), 20);
        if let Some(channel) = extra {
            script.push((0, Command::AddQueue(QueueConfig::new(back_office, "back office", [channel]))));
        }
        script.extend([(0, arrive(EMAIL)), (10, arrive(CALL))]);
        script.extend(rest);
        let r = run(&script, 400, None);
        assert_trace(&r.events, expected, case);
        if case == "e-mail completed while paused" {
            assert_eq!((r.records[&EMAIL].interrupted, r.records[&EMAIL].talk), (secs(30), secs(40)));
        }
    }

    // Paused work cannot be abandoned or cancelled, like any connected interaction; the
    // refusal changes nothing.
    let mut engine = mid_call();
    assert_eq!(engine.interaction(EMAIL).unwrap().interrupted_by(), Some(CALL));
    assert_eq!(engine.interaction(CALL).unwrap().interrupted_by(), None);
    engine.handle_timeout(at(20)).unwrap();
    let before = engine.snapshot();
    for command in [Command::Abandon { interaction: EMAIL }, Command::Cancel { interaction: EMAIL }] {
        let err = engine.handle(command, at(20)).unwrap_err();
        assert!(matches!(err, CommandError::WrongInteractionState { interaction: EMAIL, .. }), "{err}");
    }
    assert_eq!(engine.snapshot(), before);
}

/// An engine 10 s in: the agent holds the e-mail, paused by the call on top of it.
fn mid_call() -> Engine {
    let mut engine = Engine::new(EngineConfig::default());
    for (t, c) in setup(profile(true), 0).into_iter().chain([(0, arrive(EMAIL)), (10, arrive(CALL))]) {
        engine.handle(c, at(t)).unwrap();
        while let Some(e) = engine.poll_event() {
            if let EventKind::InteractionOffered(o) = e.kind {
                engine.handle(Command::Accept { agent: o.agent, offer: o.id }, at(t)).unwrap();
            }
        }
    }
    engine
}

/// A non-exclusive real-time channel: e-mail accepted while a chat is up pauses at once
/// (interrupted by the chat), and resumes when the chat ends.
#[test]
fn interruptible_work_accepted_beside_real_time_work_pauses_at_once() {
    let cap = CapacityProfile::new(2)
        .with_channel(Channel::Chat, ChannelCapacity::new(1))
        .with_channel(Channel::Email, ChannelCapacity::new(1))
        .with_interruptible(Channel::Email);
    let chat = InteractionId(7);
    let script = vec![
        (0, Command::AddQueue(QueueConfig::new(VOICE_Q, "chat and e-mail", [Channel::Chat, Channel::Email]))),
        (0, Command::AddAgent(AgentConfig::new(AGENT, cap).with_queue(QueueMembership::new(VOICE_Q)))),
        (0, Command::Login { agent: AGENT }),
        (0, Command::Arrive(NewInteraction::new(chat, Channel::Chat, VOICE_Q, CustomerId(7)))),
        (5, Command::Arrive(NewInteraction::new(EMAIL, Channel::Email, VOICE_Q, CustomerId(1)))),
        (60, complete(chat)),
        (100, complete(EMAIL)),
    ];
    let r = run(&script, 120, None);
    assert_trace(
        &r.events,
        &[
            (0, "accepted 7"),
            (5, "accepted 1"),
            (5, "interrupted 1 by 7"),
            (60, "completed 7"),
            (60, "resumed 1"),
            (100, "completed 1"),
        ],
        "e-mail beside a chat",
    );
    assert_eq!(r.records[&EMAIL].interrupted, secs(55));
}

/// A snapshot taken mid-interruption (or mid-wrap-up, still interrupted) and restored gives
/// the same events as not restoring.
#[test]
fn snapshot_and_restore_mid_interruption_changes_nothing() {
    let mut script = setup(profile(true), 20);
    script.extend([
        (0, arrive(EMAIL)),
        (10, arrive(CALL)),
        (20, arrive(EMAIL_2)),
        (70, complete(CALL)),
        (300, complete(EMAIL)),
        (400, complete(EMAIL_2)),
    ]);
    let plain = run(&script, 500, None);
    for second in [10, 30, 75, 90, 200] {
        let restored = run(&script, 500, Some(second));
        assert_eq!(restored.events, plain.events, "restored at {second} s");
    }
}

/// A snapshot edited so that the paused e-mail is not paused (or a waiting one is) is refused.
#[test]
fn restore_refuses_interruptions_against_the_rule() {
    let engine = mid_call();
    let json = serde_json::to_string(&engine.snapshot()).unwrap();
    assert!(Engine::restore(serde_json::from_str(&json).unwrap()).is_ok());
    let paused = r#""interrupted_by":2"#;
    assert_eq!(json.matches(paused).count(), 1, "{json}");
    let edited = json.replace(paused, r#""interrupted_by":null"#);
    assert!(Engine::restore(serde_json::from_str(&edited).unwrap()).is_err(), "paused work not marked paused");
    let edited = json.replace(r#""interrupted_by":null"#, paused);
    assert!(Engine::restore(serde_json::from_str(&edited).unwrap()).is_err(), "the call marked paused");
}

/// Bad profiles are typed errors, from the profile and from the engine (which knows the modes of
/// custom channels), and the refused command changes nothing.
#[test]
fn bad_interruptible_profiles_are_typed_errors() {
    let config = EngineConfig::builder()
        .custom_channel(1, ChannelMode::RealTime)
        .custom_channel(2, ChannelMode::Deferrable)
        .build()
        .unwrap();
    let base = CapacityProfile::new(2)
        .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(2).with_exclusive(true))
        .with_channel(Channel::Email, ChannelCapacity::new(2))
        .with_channel(Channel::Custom(1), ChannelCapacity::new(1))
        .with_channel(Channel::Custom(2), ChannelCapacity::new(1));
    let cases: [(Channel, Option<CapacityError>); 6] = [
        (Channel::Voice, Some(CapacityError::InterruptibleRealTime(Channel::Voice))),
        (Channel::Fax, Some(CapacityError::InterruptibleWithoutChannel(Channel::Fax))),
        (Channel::Custom(1), Some(CapacityError::InterruptibleRealTime(Channel::Custom(1)))),
        (Channel::Custom(3), Some(CapacityError::InterruptibleWithoutChannel(Channel::Custom(3)))),
        (Channel::Email, None),
        (Channel::Custom(2), None),
    ];
    for (channel, expected) in cases {
        let mut engine = Engine::new(config.clone());
        engine.handle_timeout(at(0)).unwrap();
        let before = engine.snapshot();
        let cap = base.clone().with_interruptible(channel);
        let got = engine.handle(Command::AddAgent(AgentConfig::new(AGENT, cap)), at(0));
        match expected {
            Some(error) => {
                assert_eq!(got, Err(CommandError::InvalidCapacity { agent: AGENT, error }), "{channel}");
                assert_eq!(engine.snapshot(), before, "{channel}: a refused command changes nothing");
            }
            None => assert_eq!(got, Ok(()), "{channel}"),
        }
    }
}
