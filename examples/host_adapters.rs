//! A small host around the driver: a telephony switch and a chat widget as channel adapters, a
//! CRM lookup that marks some customers as VIP, and a wallboard sink that prints a line
//! whenever a figure changes.
//!
//! The "world" (agents' phones and desktops, customers) is simulated on a manual clock, so the
//! run is instant and the same every time. In production the clock is `SystemClock` and the
//! adapters talk to real systems.
//!
//! Run with `cargo run --example host_adapters`.

use std::collections::BTreeSet;
use std::time::Duration;

use switchboard::host::*;
use switchboard::*;

const VOICE: QueueId = QueueId(1);
const CHAT: QueueId = QueueId(2);

/// The telephony switch: rings agents' phones; they pick up after a few seconds and talk for a
/// while. Agent 3's softphone is not registered, so offers to them cannot be delivered.
///
/// What the simulated phones will report later waits in an [`Agenda`]: `poll_command` hands out
/// what is due and `poll_timeout` tells the driver when the next thing is.
#[derive(Default)]
struct Switch {
    agenda: Agenda,
}

impl ChannelAdapter for Switch {
    fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        if offer.agent == AgentId(3) {
            return Err(AdapterError::new("softphone of a3 is not registered"));
        }
        let vip = ctx
            .engine()
            .interaction(offer.interaction)
            .is_some_and(|i| i.attributes().get(CustomerProfile::SEGMENT) == Some("vip"));
        println!(
            "    [switch] ringing {} for call {}{}",
            offer.agent,
            offer.interaction,
            if vip { " (VIP: screen pop)" } else { "" }
        );
        self.agenda.push(ctx.now() + Duration::from_secs(4), Command::Accept { agent: offer.agent, offer: offer.id });
        Ok(())
    }

    fn event(&mut self, event: &Event, _ctx: &mut AdapterContext<'_>) {
        match event.kind {
            EventKind::OfferAccepted { interaction, agent, .. } => {
                let talk = Duration::from_secs(60 + 15 * (interaction.0 % 4));
                self.agenda.push(event.at + talk, Command::Complete { agent, interaction });
            }
            EventKind::OfferWithdrawn { interaction, agent, reason, .. } => {
                println!("    [switch] stop ringing {agent} for call {interaction} ({reason:?})");
            }
            EventKind::InteractionEnded { interaction, outcome, .. } => {
                println!("    [switch] call {interaction} over: {outcome:?}");
            }
            _ => {}
        }
    }

    fn poll_command(&mut self, now: Timestamp) -> Option<Command> {
        self.agenda.pop_due(now).map(|(_, command)| command)
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.agenda.next_due()
    }
}

/// The chat widget: chats pop on the agent's desktop and are accepted at once; a chat lasts a
/// few minutes. Some customers give up while waiting.
#[derive(Default)]
struct Widget {
    agenda: Agenda,
    impatient: BTreeSet<InteractionId>,
}

impl ChannelAdapter for Widget {
    fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
        println!("    [widget] chat {} pops on {}'s desktop", offer.interaction, offer.agent);
        ctx.report(Command::Accept { agent: offer.agent, offer: offer.id });
        Ok(())
    }

    fn event(&mut self, event: &Event, _ctx: &mut AdapterContext<'_>) {
        match event.kind {
            EventKind::InteractionQueued { interaction, reason: QueueReason::Arrived, .. }
                if self.impatient.contains(&interaction) =>
            {
                // The customer closes the window after 40 s if nobody answered.
                self.agenda.push(event.at + Duration::from_secs(40), Command::Abandon { interaction });
            }
            EventKind::OfferAccepted { interaction, agent, .. } => {
                self.impatient.remove(&interaction);
                let length = Duration::from_secs(120 + 30 * (interaction.0 % 3));
                self.agenda.push(event.at + length, Command::Complete { agent, interaction });
            }
            _ => {}
        }
    }

    fn poll_command(&mut self, now: Timestamp) -> Option<Command> {
        // An abandon for a chat already answered is refused by the engine and changes nothing.
        self.agenda.pop_due(now).map(|(_, command)| command)
    }

    fn poll_timeout(&self) -> Option<Timestamp> {
        self.agenda.next_due()
    }
}

/// The CRM: a few customers are VIPs (priority +10, and their segment shown to agents).
fn crm(new: &NewInteraction, _now: Timestamp) -> Result<CustomerProfile, LookupError> {
    match new.customer.0 {
        7 | 11 => Ok(CustomerProfile::new().with_segment("vip").with_value("platinum").with_priority_boost(10)),
        13 => Err(LookupError::new("crm timed out")),
        _ => Ok(CustomerProfile::new().with_segment("standard")),
    }
}

/// The wallboard: recomputes its figures after every event and prints a line when one changes.
#[derive(Default)]
struct Wallboard {
    last: String,
}

impl EventSink for Wallboard {
    fn event(&mut self, event: &Event, engine: &Engine) {
        let mut available = 0;
        let mut busy = 0;
        let mut paused = 0;
        for agent in engine.agents() {
            match agent.presence() {
                Presence::Available => available += 1,
                Presence::Busy | Presence::WrapUp => busy += 1,
                Presence::Paused(_) => paused += 1,
                // Offline, or a presence added after this example was written.
                _ => {}
            }
        }
        let vip_waiting = engine
            .interactions()
            .filter(|i| i.state() == InteractionState::Queued && i.attributes().get("segment") == Some("vip"))
            .count();
        let totals = engine.totals();
        let line = format!(
            "waiting voice {} chat {} (vip {vip_waiting}) | agents ready {available} busy {busy} paused {paused} | handled {} abandoned {}",
            engine.waiting_count(VOICE),
            engine.waiting_count(CHAT),
            totals.handled,
            totals.abandoned,
        );
        if line != self.last {
            let clock = event.at.to_datetime().map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default();
            println!("{clock} | {line}");
            self.last = line;
        }
    }

    fn notice(&mut self, notice: &DriverNotice, _engine: &Engine) {
        match notice {
            DriverNotice::OfferNotDelivered { offer, cause, follow_up } => {
                let paused = follow_up
                    .iter()
                    .any(|c| matches!(c, Command::Pause { reason, .. } if *reason == Driver::DELIVERY_FAILED));
                println!(
                    "    [wallboard] offer of {} to {} not delivered ({cause}){}",
                    offer.interaction,
                    offer.agent,
                    if paused { "; agent paused, interaction back at its place in line" } else { "" }
                );
            }
            DriverNotice::LookupFailed { interaction, error } => {
                println!("    [wallboard] CRM lookup for {interaction} failed ({error}); routed without it");
            }
            DriverNotice::FollowUpFailed { command, error } => {
                println!("    [wallboard] adapter report refused: {command:?}: {error}");
            }
            other => println!("    [wallboard] {other:?}"),
        }
    }
}

fn main() -> Result<(), DriverError> {
    let start = Timestamp::from_secs(1_767_258_000); // 2026-01-01 09:00 UTC
    let clock = ManualClock::new(start);
    let journal = MemoryJournal::new();
    let widget = Widget { impatient: BTreeSet::from([InteractionId(111)]), ..Widget::default() };
    let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
        .clock(clock.clone())
        .adapter([Channel::Voice], Switch::default())
        .adapter([Channel::Chat], widget)
        .lookup(crm)
        .sink(Wallboard::default())
        .journal(journal.clone())
        .build()?;

    // Topology, journaled like everything else.
    let ada = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Voice, 1))
        .with_queue(QueueMembership::new(VOICE));
    let bob = AgentConfig::new(
        AgentId(2),
        CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(50)),
    )
    .with_queue(QueueMembership::new(VOICE))
    .with_queue(QueueMembership::new(CHAT).with_priority(-1));
    let cyd = AgentConfig::new(AgentId(3), CapacityProfile::single(Channel::Voice, 1))
        .with_queue(QueueMembership::new(VOICE));
    let dee =
        AgentConfig::new(AgentId(4), CapacityProfile::single(Channel::Chat, 3)).with_queue(QueueMembership::new(CHAT));
    let mut setup = vec![
        Command::AddQueue(QueueConfig::new(VOICE, "voice support", [Channel::Voice])),
        Command::AddQueue(
            QueueConfig::new(CHAT, "chat support", [Channel::Chat]).with_wrap_up(Duration::from_secs(10)),
        ),
    ];
    for agent in [cyd, ada, bob, dee] {
        let id = agent.id;
        setup.push(Command::AddAgent(agent));
        setup.push(Command::Login { agent: id });
    }
    let report = driver.submit_batch(setup)?;
    assert_eq!(report.accepted(), 10);

    // Customers arriving: (seconds after 09:00, id, channel, customer).
    let arrivals = [
        (5, 101, Channel::Voice, 3),
        (9, 102, Channel::Chat, 4),
        (12, 103, Channel::Voice, 5),
        (14, 104, Channel::Voice, 6),
        (20, 105, Channel::Voice, 7),
        (22, 106, Channel::Chat, 8),
        (25, 107, Channel::Chat, 9),
        (31, 108, Channel::Chat, 10),
        (33, 109, Channel::Voice, 11),
        (40, 110, Channel::Chat, 13),
        (45, 111, Channel::Chat, 12),
    ];
    // The host's own agenda: customers arriving and a supervisor's action, each at its time.
    let mut agenda = Agenda::new();
    for (secs, id, channel, customer) in arrivals {
        let queue = if channel == Channel::Voice { VOICE } else { CHAT };
        let new = NewInteraction::new(InteractionId(id), channel, queue, CustomerId(customer));
        agenda.push(start + Duration::from_secs(secs), Command::Arrive(new));
    }
    // At 09:05 a supervisor fixes agent 3's phone and makes them ready again.
    agenda.push(start + Duration::from_secs(300), Command::Resume { agent: AgentId(3) });

    // The host's run loop: sleep until the next arrival or the driver's deadline, whichever is first.
    // The adapters keep their own agendas, whose deadlines are in `next_deadline`; a submit
    // applies what they have due by then before the host's command.
    while let Some(next) = [agenda.next_due(), driver.next_deadline()].into_iter().flatten().min() {
        clock.set(next);
        for (_, command) in agenda.drain_due(next) {
            match driver.submit(command) {
                Ok(_) => {}
                Err(e) if !e.is_fatal() => println!("    [host] refused: {e}"),
                Err(fatal) => return Err(fatal),
            }
        }
        driver.tick()?;
    }

    let stats = driver.stats();
    let totals = driver.engine().totals();
    println!();
    println!("arrived {}, handled {}, abandoned {}", totals.arrived, totals.handled, totals.abandoned);
    println!(
        "driver: {} commands accepted, {} refused, {} follow-ups, {} deliveries failed, {} lookups failed; journal holds {} entries",
        stats.commands_accepted,
        stats.commands_refused,
        stats.follow_ups,
        stats.deliveries_failed,
        stats.lookups_failed,
        journal.len()
    );
    assert_eq!(totals.arrived, totals.handled + totals.abandoned, "nothing lost");
    Ok(())
}
