//! Voice headroom for multitaskers (issue #11, item 4, third bullet).
//!
//! The reproduction: an agent who takes one exclusive call *or* up to three chats, a steady
//! chat backlog (a chat every 20 s, each handled in 60 to 180 s: more than one agent can
//! carry), and one call waiting from the 10th second. The agent never holds zero chats, so
//! the call, which needs an empty desk, is never offered to them. With
//! [`CapacityProfile::with_headroom`] on voice, the agent stops taking chats once the call has
//! waited the threshold, finishes the ones they hold, and gets the call.
//!
//! The desk is simulated from the events alone: every offer is accepted at once, and each chat
//! is completed its handle time after the accept (no wrap-up).

use std::collections::BTreeMap;
use std::time::Duration;

use switchboard::*;

const T0: i64 = 1_700_000_000_000;
const QUEUE: QueueId = QueueId(1);
const MULTITASKER: AgentId = AgentId(1);
const VOICE_ONLY: AgentId = AgentId(2);
const CALL: InteractionId = InteractionId(1);
/// The call arrives this many seconds in.
const CALL_AT: i64 = 10;
/// A chat arrives every this many seconds, from the start.
const CHAT_EVERY: i64 = 20;
/// Chat handle times, in seconds, in turn.
const CHAT_HANDLE: [i64; 5] = [60, 120, 180, 90, 150];
const LONGEST_CHAT: i64 = 180;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_millis(T0 + secs * 1_000)
}

fn secs_of(t: Timestamp) -> f64 {
    (t.as_millis() - T0) as f64 / 1_000.0
}

fn chat_id(n: i64) -> InteractionId {
    InteractionId(100 + n as u64)
}

fn handle_of(id: InteractionId) -> i64 {
    CHAT_HANDLE[((id.0 - 100) % CHAT_HANDLE.len() as u64) as usize]
}

/// One call or three chats, with or without voice headroom after `headroom` seconds.
fn multitasker(headroom: Option<u64>) -> AgentConfig {
    let mut cap = CapacityProfile::new(3)
        .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(3).with_exclusive(true))
        .with_channel(Channel::Chat, ChannelCapacity::new(3));
    if let Some(after) = headroom {
        cap = cap.with_headroom(Channel::Voice, Duration::from_secs(after));
    }
    AgentConfig::new(MULTITASKER, cap).with_queue(QueueMembership::new(QUEUE))
}

/// What happens besides the backlog and the call.
#[derive(Clone, Default)]
struct Scene {
    headroom: Option<u64>,
    /// Until when (seconds) chats keep arriving and the run goes on.
    until: i64,
    /// A voice-only agent logs in then.
    voice_agent_at: Option<i64>,
    /// The caller hangs up then.
    abandon_at: Option<i64>,
    /// The engine is snapshotted (through JSON) and restored then (after that second's commands).
    restore_at: Option<i64>,
}

/// A run: every event, and what `draining_for` said for the multitasker at each second.
struct Run {
    events: Vec<Event>,
    draining: BTreeMap<i64, Option<InteractionId>>,
}

impl Run {
    fn offers(&self) -> impl Iterator<Item = (Timestamp, &Offer)> {
        self.events.iter().filter_map(|e| match &e.kind {
            EventKind::InteractionOffered(o) => Some((e.at, o)),
            _ => None,
        })
    }

    fn call_offer(&self) -> Option<(Timestamp, &Offer)> {
        self.offers().find(|(_, o)| o.interaction == CALL)
    }

    fn chat_offers_to(&self, agent: AgentId) -> Vec<Timestamp> {
        self.offers().filter(|(_, o)| o.agent == agent && o.channel == Channel::Chat).map(|(t, _)| t).collect()
    }
}

fn run(scene: &Scene) -> Run {
    let mut engine = Engine::new(EngineConfig::default());
    let mut plan: BTreeMap<(Timestamp, u64), Command> = BTreeMap::new();
    let mut n = 0u64;
    let mut add = |plan: &mut BTreeMap<(Timestamp, u64), Command>, t: Timestamp, c: Command| {
        n += 1;
        plan.insert((t, n), c);
    };
    add(&mut plan, at(0), Command::AddQueue(QueueConfig::new(QUEUE, "support", [Channel::Voice, Channel::Chat])));
    add(&mut plan, at(0), Command::AddAgent(multitasker(scene.headroom)));
    add(
        &mut plan,
        at(0),
        Command::AddAgent(
            AgentConfig::new(VOICE_ONLY, CapacityProfile::single(Channel::Voice, 1))
                .with_queue(QueueMembership::new(QUEUE)),
        ),
    );
    add(&mut plan, at(0), Command::Login { agent: MULTITASKER });
    if let Some(t) = scene.voice_agent_at {
        add(&mut plan, at(t), Command::Login { agent: VOICE_ONLY });
    }
    for k in 0..=scene.until / CHAT_EVERY {
        let new = NewInteraction::new(chat_id(k), Channel::Chat, QUEUE, CustomerId(1_000 + k as u64));
        add(&mut plan, at(k * CHAT_EVERY), Command::Arrive(new));
    }
    add(&mut plan, at(CALL_AT), Command::Arrive(NewInteraction::new(CALL, Channel::Voice, QUEUE, CustomerId(1))));
    if let Some(t) = scene.abandon_at {
        add(&mut plan, at(t), Command::Abandon { interaction: CALL });
    }
    let mut out = Run { events: Vec::new(), draining: BTreeMap::new() };
    let end = at(scene.until);
    let mut probe = 0i64;
    let mut seq = 1_000_000u64;
    loop {
        let next_cmd = plan.keys().next().map(|(t, _)| *t);
        let next = match (next_cmd, engine.poll_timeout()) {
            (Some(c), Some(t)) => c.min(t),
            (Some(c), None) => c,
            (None, Some(t)) => t,
            (None, None) => break,
        };
        // Probe draining at whole seconds before moving past them.
        while at(probe) < next && at(probe) <= end {
            if at(probe) >= engine.now().unwrap_or(at(0)) {
                engine.handle_timeout(at(probe)).unwrap();
                collect(&mut engine, &mut out, &mut plan, &mut seq);
                if scene.restore_at == Some(probe) {
                    let json = serde_json::to_string(&engine.snapshot()).unwrap();
                    engine = Engine::restore(serde_json::from_str(&json).unwrap()).unwrap();
                }
                out.draining.insert(probe, engine.draining_for(MULTITASKER));
            }
            probe += 1;
        }
        if next > end {
            break;
        }
        if next_cmd == Some(next) {
            let (key, command) = plan.pop_first().unwrap();
            let shown = format!("{command:?}");
            engine.handle(command, key.0).unwrap_or_else(|e| panic!("{shown} at {}: {e}", secs_of(key.0)));
        } else {
            engine.handle_timeout(next).unwrap();
        }
        collect(&mut engine, &mut out, &mut plan, &mut seq);
    }
    out
}

/// Drains events, answering them as the desk would, and checks the invariants.
fn collect(engine: &mut Engine, out: &mut Run, plan: &mut BTreeMap<(Timestamp, u64), Command>, seq: &mut u64) {
    while let Some(event) = engine.poll_event() {
        if let EventKind::InteractionOffered(o) = &event.kind {
            *seq += 1;
            plan.insert((event.at, *seq), Command::Accept { agent: o.agent, offer: o.id });
            if o.channel == Channel::Chat {
                *seq += 1;
                let done = event.at + Duration::from_secs(handle_of(o.interaction) as u64);
                plan.insert((done, *seq), Command::Complete { agent: o.agent, interaction: o.interaction });
            }
        }
        out.events.push(event);
    }
    engine.check_invariants().unwrap();
}

/// Today's behaviour, and the reason for the option: without headroom the multitasker never
/// empties their desk under a chat backlog, so the call waits the whole hour.
#[test]
fn without_headroom_a_chat_backlog_keeps_the_call_from_the_multitasker_for_an_hour() {
    let r = run(&Scene { until: 3_600, ..Scene::default() });
    assert_eq!(r.call_offer().map(|(t, _)| secs_of(t)), None, "the call was offered");
    assert!(r.chat_offers_to(MULTITASKER).len() > 60, "the agent kept taking chats all hour");
    assert!(r.draining.values().all(Option::is_none), "nobody drains without headroom");
}

/// With 30 s of voice headroom, the call reaches the agent within 30 s plus the longest chat
/// they could be holding, and no chat is offered to them while they drain.
#[test]
fn with_headroom_the_call_is_offered_within_the_threshold_plus_the_longest_chat() {
    let r = run(&Scene { headroom: Some(30), until: 3_600, ..Scene::default() });
    let (offered, offer) = r.call_offer().expect("the call is offered");
    assert_eq!(offer.agent, MULTITASKER);
    let bound = CALL_AT + 30 + LONGEST_CHAT;
    assert!(offered <= at(bound), "offered at {} s, after the bound of {bound} s", secs_of(offered));
    let drain_from = at(CALL_AT + 30);
    assert!(
        r.chat_offers_to(MULTITASKER).iter().all(|t| *t < drain_from || *t > offered),
        "a chat was offered while the agent drained: {:?}",
        r.chat_offers_to(MULTITASKER).iter().map(|t| secs_of(*t)).collect::<Vec<_>>()
    );
    // The view agrees: draining from the threshold until the call is theirs, and not before.
    for (s, cause) in &r.draining {
        let expected = (at(*s) >= drain_from && at(*s) < offered).then_some(CALL);
        assert_eq!(*cause, expected, "draining_for at {s} s");
    }
    assert!(r.chat_offers_to(MULTITASKER).iter().any(|t| *t < drain_from), "chats before the threshold");
}

/// Draining stops the moment the call is taken by someone else (or the caller hangs up): the
/// multitasker is routed again at once and gets chats from the backlog.
#[test]
fn draining_stops_when_the_call_goes_elsewhere_or_is_abandoned() {
    let elsewhere = run(&Scene { headroom: Some(30), until: 600, voice_agent_at: Some(100), ..Scene::default() });
    let (offered, offer) = elsewhere.call_offer().expect("the call is offered");
    assert_eq!((offer.agent, offered), (VOICE_ONLY, at(100)));
    assert_eq!(elsewhere.draining[&99], Some(CALL));
    assert_eq!(elsewhere.draining[&100], None);
    let chats = elsewhere.chat_offers_to(MULTITASKER);
    assert!(!chats.iter().any(|t| *t >= at(CALL_AT + 30) && *t < at(100)), "no chat while draining");
    assert!(chats.contains(&at(100)), "chats again as soon as the call went: {chats:?}");

    let abandoned = run(&Scene { headroom: Some(30), until: 600, abandon_at: Some(100), ..Scene::default() });
    assert!(abandoned.call_offer().is_none());
    assert_eq!(abandoned.draining[&99], Some(CALL));
    assert_eq!(abandoned.draining[&100], None);
    assert!(abandoned.chat_offers_to(MULTITASKER).contains(&at(100)), "chats again as soon as the caller hung up");
}

/// A snapshot taken while the agent drains, restored, gives exactly the events of the run
/// that was never interrupted (the record of who drains for what is part of the snapshot).
#[test]
fn snapshot_and_restore_mid_drain_changes_nothing() {
    for scene in [
        Scene { headroom: Some(30), until: 600, ..Scene::default() },
        Scene { headroom: Some(30), until: 600, voice_agent_at: Some(100), ..Scene::default() },
    ] {
        let straight = run(&scene);
        for restore_at in [45, 61, 99] {
            let restored = run(&Scene { restore_at: Some(restore_at), ..scene.clone() });
            assert_eq!(straight.draining[&restore_at], Some(CALL), "restored at {restore_at}: mid-drain");
            assert_eq!(restored.events, straight.events, "restored at {restore_at} s");
            assert_eq!(restored.draining, straight.draining, "restored at {restore_at} s");
        }
    }
}

/// Headroom on a channel the profile does not list, or an unusable threshold, is refused
/// when the agent is added, naming the problem; headroom is not set unless asked for.
#[test]
fn bad_headroom_is_a_typed_error() {
    let mut engine = Engine::new(EngineConfig::default());
    let t = at(0);
    engine.handle(Command::AddQueue(QueueConfig::new(QUEUE, "support", [Channel::Voice, Channel::Chat])), t).unwrap();
    let chat_only = CapacityProfile::single(Channel::Chat, 3).with_headroom(Channel::Voice, Duration::from_secs(30));
    let err = engine.handle(Command::AddAgent(AgentConfig::new(AgentId(9), chat_only)), t).unwrap_err();
    assert_eq!(
        err,
        CommandError::InvalidCapacity {
            agent: AgentId(9),
            error: CapacityError::HeadroomWithoutChannel(Channel::Voice)
        }
    );
    let sub_ms = multitasker(None).capacity.with_headroom(Channel::Voice, Duration::from_micros(300));
    let err = engine.handle(Command::AddAgent(AgentConfig::new(AgentId(9), sub_ms)), t).unwrap_err();
    assert!(matches!(err, CommandError::InvalidSpan { field: "capacity headroom", .. }), "{err:?}");
    assert!(engine.agent(AgentId(9)).is_none());
    assert_eq!(multitasker(None).capacity.headrooms().count(), 0);
    assert_eq!(engine.draining_for(AgentId(9)), None, "unknown agents do not drain");
}
