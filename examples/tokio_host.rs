//! A host loop on tokio: the engine owned by one task, commands arriving on a channel, and
//! `tokio::time::sleep_until` the engine's `poll_timeout`, with the engine's `tracing` spans
//! and events printed.
//!
//! Run with `cargo run --features tracing --example tokio_host`. The host's own lines go to
//! stdout and the engine's spans and events (feature `tracing`, level `DEBUG`) to stderr; add
//! `2>/dev/null` for the host's alone.
//!
//! The runtime's clock is paused (`start_paused = true`): tokio jumps to the next timer
//! whenever every task is waiting, so a minute of calls runs in an instant and prints the same
//! lines every time. A production host drops `start_paused` and changes nothing else.
//!
//! The cast, each a task: the telephony (calls arrive, one caller hangs up), the agents'
//! desktops (one per offer: ring, answer, talk, hang up) and the host loop, the only one that
//! touches the engine. Time meets the engine in one place, [`TimeBase`]: the engine's time is a
//! [`Timestamp`] (a number, journaled and replayable), tokio's an opaque `Instant`.

use std::time::Duration;

use switchboard::*;
use tokio::sync::mpsc::Sender;
use tokio::time::{Instant, sleep, sleep_until};

/// 2026-01-01 09:00 UTC, when the runtime starts.
const START: Timestamp = Timestamp::from_secs(1_767_258_000);
/// How many calls the telephony places; the host stops when all have ended.
const CALLS: u64 = 3;
/// Agent 2 is away from their desk until then: an offer rings out, the engine pauses them, and
/// they resume when back.
const AGENT_2_BACK: Duration = Duration::from_secs(20);

/// The engine's time and tokio's, tied together at one instant.
#[derive(Clone, Copy, Debug)]
struct TimeBase {
    start: Instant,
    start_at: Timestamp,
}

impl TimeBase {
    /// The engine time now.
    fn now(&self) -> Timestamp {
        self.start_at + self.start.elapsed()
    }

    /// The tokio instant of an engine time. A time before the start maps to the start, which
    /// `sleep_until` treats as already passed: the deadline is due.
    fn instant(&self, at: Timestamp) -> Instant {
        self.start + Duration::from_millis(u64::try_from(at.millis_since(self.start_at)).unwrap_or(0))
    }

    /// Seconds since the start, for printing.
    fn secs(&self, at: Timestamp) -> f64 {
        at.millis_since(self.start_at) as f64 / 1000.0
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> Result<(), CommandError> {
    // No timestamps: the clock is paused, and `now_ms`/`at_ms` already say when.
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with_writer(std::io::stderr)
        .without_time()
        .init();

    let time = TimeBase { start: Instant::now(), start_at: START };
    let mut engine = Engine::new(EngineConfig::default());
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Command>(64);

    // The topology is the host's configuration, handled before anything arrives.
    let support = QueueConfig::new(QueueId(1), "support", [Channel::Voice]).with_wrap_up(Duration::from_secs(10));
    let mut setup = vec![Command::AddQueue(support)];
    for id in [AgentId(1), AgentId(2)] {
        let agent = AgentConfig::new(id, CapacityProfile::single(Channel::Voice, 1))
            .with_queue(QueueMembership::new(QueueId(1)));
        setup.extend([Command::AddAgent(agent), Command::Login { agent: id }]);
    }
    for command in setup {
        engine.handle(command, time.now())?;
        drain(&mut engine, &time, &tx);
    }
    tokio::spawn(telephony(tx.clone()));

    // The run-loop rule: handle what comes first, a command or the deadline; drain every event;
    // read the deadline again.
    loop {
        let deadline = engine.poll_timeout();
        tokio::select! {
            // Commands first when both are ready at once, so that the order never depends on
            // select!'s random pick (the engine fires due timers before a command anyway).
            biased;
            Some(command) = rx.recv() => {
                let name = command_name(&command);
                if let Err(error) = engine.handle(command, time.now()) {
                    println!("{:>6.1}s  host: {name} refused: {error}", time.secs(time.now()));
                }
            }
            // A disabled branch's future is still built, so `None` needs an instant too.
            () = sleep_until(deadline.map_or(time.start, |at| time.instant(at))), if deadline.is_some() => {
                engine.handle_timeout(time.now())?;
            }
        }
        drain(&mut engine, &time, &tx);
        if engine.totals().ended() == CALLS {
            break;
        }
    }
    let totals = engine.totals();
    println!(
        "{:>6.1}s  host: done: {} arrived, {} handled, {} abandoned",
        time.secs(time.now()),
        totals.arrived,
        totals.handled,
        totals.abandoned
    );
    Ok(())
}

/// Drains every event, printing it and doing what a channel adapter would: ringing the
/// agent's desktop for an offer, bringing a paused agent back.
fn drain(engine: &mut Engine, time: &TimeBase, tx: &Sender<Command>) {
    while let Some(event) = engine.poll_event() {
        println!("{:>6.1}s  {}", time.secs(event.at), describe(&event.kind));
        match event.kind {
            EventKind::InteractionOffered(offer) => {
                let away = offer.agent == AgentId(2) && event.at < START + AGENT_2_BACK;
                if !away {
                    tokio::spawn(desktop(tx.clone(), offer.agent, offer.id, offer.interaction));
                }
            }
            // The engine pauses an agent who lets an offer ring out; they resume when back at
            // their desk (only agent 2 is away).
            EventKind::AgentPresenceChanged {
                agent, presence: Presence::Paused(EngineConfig::MISSED_OFFER), ..
            } => {
                let back = time.instant(START + AGENT_2_BACK);
                let tx = tx.clone();
                tokio::spawn(async move {
                    sleep_until(back).await;
                    let _ = tx.send(Command::Resume { agent }).await;
                });
            }
            _ => {}
        }
    }
}

/// The telephony: three calls, and the third caller hangs up after waiting 20 s.
async fn telephony(tx: Sender<Command>) {
    let arrivals = [(0, 1), (1, 2), (5, 3)];
    let mut elapsed = 0;
    for (secs, id) in arrivals {
        sleep(Duration::from_secs(secs - elapsed)).await;
        elapsed = secs;
        let call = NewInteraction::new(InteractionId(id), Channel::Voice, QueueId(1), CustomerId(100 + id));
        let _ = tx.send(Command::Arrive(call)).await;
    }
    sleep(Duration::from_secs(20)).await;
    let _ = tx.send(Command::Abandon { interaction: InteractionId(3) }).await;
}

/// One agent's desktop for one offer: rings 2 s, talks 30 s, hangs up (wrap-up follows).
async fn desktop(tx: Sender<Command>, agent: AgentId, offer: OfferId, interaction: InteractionId) {
    sleep(Duration::from_secs(2)).await;
    let _ = tx.send(Command::Accept { agent, offer }).await;
    sleep(Duration::from_secs(30)).await;
    let _ = tx.send(Command::Complete { agent, interaction }).await;
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Arrive(_) => "arrive",
        Command::Accept { .. } => "accept",
        Command::Complete { .. } => "complete",
        Command::Abandon { .. } => "abandon",
        Command::Resume { .. } => "resume",
        _ => "command",
    }
}

fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::InteractionOffered(o) => format!("{} offered to {} ({})", o.interaction, o.agent, o.id),
        EventKind::AgentPresenceChanged { agent, presence, .. } => format!("{agent} is now {presence:?}"),
        EventKind::InteractionArrived { interaction, queue, .. } => format!("{interaction} arrives in {queue}"),
        EventKind::InteractionQueued { interaction, reason, .. } => format!("{interaction} waits ({reason:?})"),
        EventKind::OfferAccepted { interaction, agent, .. } => format!("{agent} answers {interaction}"),
        EventKind::OfferTimedOut { interaction, agent, .. } => format!("{agent} let {interaction} ring out"),
        EventKind::InteractionCompleted { interaction, agent } => format!("{agent} hangs up {interaction}"),
        EventKind::WrapUpStarted { agent, .. } => format!("{agent} wraps up"),
        EventKind::WrapUpEnded { agent, .. } => format!("{agent} ends wrap-up"),
        EventKind::InteractionEnded { interaction, outcome, .. } => format!("{interaction} ended: {outcome:?}"),
        EventKind::QueueAdded { queue } => format!("{queue} added"),
        EventKind::AgentAdded { agent } => format!("{agent} added"),
        other => format!("{other:?}"),
    }
}
