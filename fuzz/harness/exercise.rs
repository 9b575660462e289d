//! A fixed workout for an engine that came from outside (a restored snapshot, a replayed
//! journal): a few rounds of the commands its own state suggests, each checked by [`Run`].

use std::time::Duration;

use switchboard::{
    AgentId, Channel, Command, CustomerId, InteractionId, InteractionState, NewInteraction, Presence, Timestamp,
};

use crate::harness::T0;
use crate::harness::run::Run;

/// Rounds of the workout.
pub const ROUNDS: u64 = 3;
/// Most entities of each kind touched per round, so a large state stays quick.
pub const PER_ROUND: usize = 8;

/// Drives `run` through a few rounds: deadlines, agents back to work, offers accepted or
/// rejected, work completed, one transfer, one abandon, and new arrivals in every queue.
pub fn exercise(run: &mut Run) {
    for round in 0..ROUNDS {
        run.tick_next();
        let now = run.now().unwrap_or(Timestamp::from_millis(T0)) + Duration::from_secs(1);
        let agents: Vec<(AgentId, Presence)> =
            run.engine.agents().take(PER_ROUND).map(|a| (a.id(), a.presence())).collect();
        for (agent, presence) in agents {
            match presence {
                Presence::Offline => run.command(now, Command::Login { agent }),
                Presence::Paused(_) => run.command(now, Command::Resume { agent }),
                _ => false,
            };
        }
        let offers: Vec<_> = run.engine.offers().take(PER_ROUND).map(|p| (p.agent, p.id)).collect();
        for (agent, offer) in offers {
            if (offer.0 + round) % 3 == 0 {
                run.command(now, Command::Reject { agent, offer });
            } else {
                run.command(now, Command::Accept { agent, offer });
            }
        }
        let live: Vec<_> = run.engine.interactions().take(PER_ROUND).map(|i| (i.id(), i.state())).collect();
        let queues: Vec<_> = run.engine.queues().map(|q| (q.id, q.channels.first().copied())).collect();
        let mut transferred = false;
        for (interaction, state) in live {
            match state {
                InteractionState::Connected { agent } => {
                    run.command(now, Command::Complete { agent, interaction });
                }
                InteractionState::WrapUp { agent } => {
                    run.command(now, Command::EndWrapUp { agent, interaction });
                }
                InteractionState::Queued if !transferred => {
                    transferred = true;
                    if let Some((queue, _)) = queues.iter().rev().find(|(_, c)| c.is_some()) {
                        run.command(now, Command::Transfer { interaction, queue: *queue });
                    }
                }
                InteractionState::Queued => {
                    run.command(now, Command::Abandon { interaction });
                }
                _ => {}
            }
        }
        let next_id = run.engine.interactions().map(|i| i.id().0).max().unwrap_or(0);
        for (n, (queue, channel)) in queues.iter().take(PER_ROUND).enumerate() {
            let id = InteractionId(next_id.saturating_add(1 + n as u64));
            let channel = channel.unwrap_or(Channel::Voice);
            run.command(now, Command::Arrive(NewInteraction::new(id, channel, *queue, CustomerId(id.0))));
        }
    }
}
