//! One queue, two agents, a handful of calls and chats: the engine's run loop
//! in its simplest form, printing every event as it happens.
//!
//! Run with `cargo run --example quickstart`.

use std::time::Duration;

use switchboard::host::*;
use switchboard::*;

fn main() -> Result<(), CommandError> {
    let start = Timestamp::from_secs(1_767_258_000); // 2026-01-01 09:00 UTC
    let mut engine = Engine::new(EngineConfig::default());

    // Host actions waiting for their time, earliest first (first in, first out
    // among equal times).
    let mut agenda = Agenda::new();

    // Topology: one support queue for voice and chat, 30 s wrap-up.
    let support =
        QueueConfig::new(QueueId(1), "support", [Channel::Voice, Channel::Chat]).with_wrap_up(Duration::from_secs(30));
    agenda.push(start, Command::AddQueue(support));
    // Ada takes one call or up to two chats; Bob only chats, up to three.
    let ada = AgentConfig::new(
        AgentId(1),
        CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(50)),
    )
    .with_queue(QueueMembership::new(QueueId(1)));
    let bob = AgentConfig::new(AgentId(2), CapacityProfile::single(Channel::Chat, 3))
        .with_queue(QueueMembership::new(QueueId(1)));
    for agent in [ada, bob] {
        let id = agent.id;
        agenda.push(start, Command::AddAgent(agent));
        agenda.push(start, Command::Login { agent: id });
    }
    // Customers: (seconds after start, channel).
    let arrivals =
        [(5, Channel::Voice), (8, Channel::Chat), (9, Channel::Chat), (12, Channel::Voice), (20, Channel::Chat)];
    for (n, (secs, channel)) in arrivals.into_iter().enumerate() {
        let id = n as u64 + 1;
        let new = NewInteraction::new(InteractionId(id), channel, QueueId(1), CustomerId(100 + id));
        agenda.push(start + Duration::from_secs(secs), Command::Arrive(new));
    }

    // The run loop: the next thing to happen is the earlier of the next host
    // action and the engine's next deadline.
    while let Some(now) = [agenda.next_due(), engine.poll_timeout()].into_iter().flatten().min() {
        if let Some((_, command)) = agenda.pop_due(now) {
            engine.handle(command, now)?;
        } else {
            engine.handle_timeout(now)?;
        }
        // Drain every event, reacting as the agents' desktops would.
        while let Some(event) = engine.poll_event() {
            println!("{:>6.1}s  {}", event.at.millis_since(start) as f64 / 1000.0, describe(&event.kind));
            match event.kind {
                // Agents answer after 3 seconds.
                EventKind::InteractionOffered(offer) => {
                    let accept = Command::Accept { agent: offer.agent, offer: offer.id };
                    agenda.push(event.at + Duration::from_secs(3), accept);
                }
                // Calls last 2 minutes, chats 4.
                EventKind::OfferAccepted { interaction, agent, .. } => {
                    let talk = match engine.interaction(interaction).map(|i| i.channel()) {
                        Some(Channel::Voice) => 120,
                        _ => 240,
                    };
                    let complete = Command::Complete { agent, interaction };
                    agenda.push(event.at + Duration::from_secs(talk), complete);
                }
                _ => {}
            }
        }
    }
    let totals = engine.totals();
    println!("\n{} arrived, {} handled, {} abandoned", totals.arrived, totals.handled, totals.abandoned);
    Ok(())
}

fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::InteractionOffered(o) => format!(
            "{} ({}) offered to {} — {:?}, waited {:?}, {} candidate(s)",
            o.interaction, o.channel, o.agent, o.explanation.strategy, o.explanation.waited, o.explanation.candidates
        ),
        EventKind::AgentPresenceChanged { agent, presence, .. } => format!("{agent} is now {presence:?}"),
        EventKind::InteractionArrived { interaction, channel, .. } => format!("{interaction} arrives on {channel}"),
        other => format!("{other:?}"),
    }
}
