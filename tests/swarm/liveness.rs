//! Liveness at the end of a run: arrivals stop, every agent logs in and is ready, every offer
//! is accepted the moment it rings, every conversation completes and every wrap-up ends; then
//! everything that waits must drain within a bound of simulated time and of steps.

use std::time::Duration;

use switchboard::*;

use crate::run::{Failure, Run, TIME_CEILING};

/// How far simulated time may run during the drain: long enough for any member delay the
/// workload draws except the `HugeDurations` ones, which the drain treats as never reached.
const DRAIN_HORIZON: Duration = Duration::from_secs(30 * 24 * 3600);

/// At most this many rounds of answering, completing and waiting.
const DRAIN_ROUNDS: u64 = 20_000;

impl Run {
    pub fn drain(&mut self) -> Result<(), Failure> {
        // Nothing fails any more: the desktops are reachable and answer at once.
        self.repaired.store(true, std::sync::atomic::Ordering::Relaxed);
        self.workload.clear_agenda();
        self.set_now(self.call_time());
        let horizon = self.time_ceiling().min(self.now + DRAIN_HORIZON);
        let before = self.shadow.tally;
        let agents: Vec<(AgentId, Presence)> = self.engine().agents().map(|a| (a.id(), a.presence())).collect();
        for (agent, presence) in agents {
            match presence {
                Presence::Offline => self.must(Command::Login { agent })?,
                Presence::Paused(_) => self.must(Command::Resume { agent })?,
                _ => {}
            }
        }
        let mut rounds = 0;
        while self.engine().interactions().next().is_some() {
            rounds += 1;
            self.step += 1;
            self.counters.steps += 1;
            if rounds > DRAIN_ROUNDS {
                return Err(
                    self.fail(format!("drain: still not empty after {DRAIN_ROUNDS} rounds: {}", self.waiting()))
                );
            }
            let cancelled = self.cancel_untakeable(horizon)?;
            let worked = self.work_everything()?;
            if cancelled || worked || self.engine().interactions().next().is_none() {
                continue;
            }
            // Nothing to answer or finish: what waits is waiting for a member's delay.
            match self.engine().poll_timeout() {
                Some(at) if at <= horizon => {
                    self.set_now(at.max(self.now));
                    self.tick()?;
                }
                next => {
                    return Err(self
                        .fail(format!("drain: stuck with no way forward (next timer {next:?}): {}", self.waiting())));
                }
            }
        }
        self.counters.drained += self.shadow.tally.handled - before.handled;
        self.check_drained()
    }

    /// Submits a command the drain needs; its refusal is a failure.
    fn must(&mut self, command: Command) -> Result<(), Failure> {
        let shown = format!("{command:?}");
        self.submit(command)?.map_err(|e| self.fail(format!("drain: {shown} was refused: {e}")))
    }

    /// Cancels what no agent could ever take, so that the rest must drain. The tester does it,
    /// not the engine: an interaction is untakeable when no agent (1) is a member of its queue
    /// whose delay is reached before the horizon, (2) works its channel, (3) holds every skill
    /// it requires at the level, and (4) has not declined it when declined work is never offered
    /// again. An offer that expires the moment it is made (`ZeroOfferTimeout`) cannot be
    /// accepted either, so its interaction is cancelled too.
    fn cancel_untakeable(&mut self, horizon: Timestamp) -> Result<bool, Failure> {
        let engine = self.engine();
        let never_reoffer = engine.config().never_reoffer_to_decliners();
        let now = self.call_time();
        let mut doomed = Vec::new();
        for i in engine.interactions() {
            let takeable = match i.state() {
                InteractionState::Queued => engine.agents().any(|a| {
                    let c = a.config();
                    let member = c.queues.iter().any(|m| {
                        m.queue == i.queue()
                            && i128::from(i.queue_entered_at().as_millis()) + m.delay.as_millis() as i128
                                <= i128::from(horizon.as_millis())
                    });
                    member
                        && c.capacity.channel(i.channel()).is_some()
                        && c.skills.satisfies(i.requirements())
                        && !(never_reoffer && i.declined_by().contains(&a.id()))
                }),
                InteractionState::Offered { offer, .. } => engine.offer(offer).is_some_and(|o| o.expires_at > now),
                _ => true,
            };
            if !takeable {
                doomed.push(i.id());
            }
        }
        for interaction in &doomed {
            self.must(Command::Cancel { interaction: *interaction })?;
            self.counters.untakeable += 1;
        }
        Ok(!doomed.is_empty())
    }

    /// Answers every offer, completes every conversation, ends every wrap-up and resumes anyone
    /// paused. True if it did anything.
    fn work_everything(&mut self) -> Result<bool, Failure> {
        let engine = self.engine();
        let paused: Vec<AgentId> =
            engine.agents().filter(|a| matches!(a.presence(), Presence::Paused(_))).map(|a| a.id()).collect();
        let offers: Vec<(AgentId, OfferId)> = engine.offers().map(|o| (o.agent, o.id)).collect();
        let mut done = !paused.is_empty() || !offers.is_empty();
        for agent in paused {
            self.must(Command::Resume { agent })?;
        }
        for (agent, offer) in offers {
            self.must(Command::Accept { agent, offer })?;
        }
        let held: Vec<(AgentId, InteractionId, bool)> = self
            .engine()
            .interactions()
            .filter_map(|i| match i.state() {
                InteractionState::Connected { agent } => Some((agent, i.id(), true)),
                InteractionState::WrapUp { agent } => Some((agent, i.id(), false)),
                _ => None,
            })
            .collect();
        done |= !held.is_empty();
        for (agent, interaction, connected) in held {
            if connected {
                self.must(Command::Complete { agent, interaction })?;
            } else if self.engine().interaction(interaction).is_some() {
                self.must(Command::EndWrapUp { agent, interaction })?;
            }
        }
        Ok(done)
    }

    /// After the drain: nothing live, nothing waiting, no timer left, everyone available.
    fn check_drained(&self) -> Result<(), Failure> {
        let engine = self.engine();
        let t = engine.totals();
        if t.arrived != t.ended() || engine.offers().next().is_some() {
            return Err(self.fail(format!("drained, but totals {t:?}")));
        }
        if let Some(q) = engine.queues().find(|q| engine.waiting_count(q.id) > 0) {
            return Err(self.fail(format!("drained, but {} counts {} waiting", q.id, engine.waiting_count(q.id))));
        }
        if let Some(at) = engine.poll_timeout() {
            return Err(self.fail(format!("drained, but a timer is still set for {}", at.as_millis())));
        }
        if let Some(a) = engine.agents().find(|a| a.presence() != Presence::Available) {
            return Err(self.fail(format!("drained, but {} is {:?}", a.id(), a.presence())));
        }
        Ok(())
    }

    /// The latest time the drain may reach.
    fn time_ceiling(&self) -> Timestamp {
        TIME_CEILING
    }

    /// What still waits and who could take it, for failure messages.
    fn waiting(&self) -> String {
        let engine = self.engine();
        let list: Vec<String> = engine
            .interactions()
            .take(6)
            .map(|i| {
                let members: Vec<String> = engine
                    .agents()
                    .filter_map(|a| {
                        let m = a.config().queues.iter().find(|m| m.queue == i.queue())?;
                        Some(format!(
                            "{} ({:?}, holding {}, delay {:?}, works {}: {}, qualified: {})",
                            a.id(),
                            a.presence(),
                            a.load().items(),
                            m.delay,
                            i.channel(),
                            a.config().capacity.channel(i.channel()).is_some(),
                            a.config().skills.satisfies(i.requirements())
                        ))
                    })
                    .collect();
                format!(
                    "{} {:?} in {} on {} since {} needing {:?}, members: [{}]",
                    i.id(),
                    i.state(),
                    i.queue(),
                    i.channel(),
                    i.queue_entered_at().as_millis(),
                    i.requirements(),
                    members.join(", ")
                )
            })
            .collect();
        let now = engine.now().map_or(0, |t| t.as_millis());
        format!("at {now}, {} live: {}", engine.interactions().count(), list.join("; "))
    }
}
