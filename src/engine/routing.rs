//! Routing work and the shared state transitions every lifecycle path uses.

use std::collections::BTreeMap;

use super::{Engine, PendingOffer, TimerKind, Work};
use crate::event::{EventKind, MatchedSkill, Offer, OfferExplanation, QueueReason, RoutingTrigger, WithdrawReason};
use crate::ids::{AgentId, InteractionId, OfferId, QueueId};
use crate::model::interaction::{InteractionState, Outcome};
use crate::model::queue::AgentSelection;
use crate::router::select::Context;
use crate::router::{Dequeued, WaitKey};
use crate::time::Timestamp;

/// An interaction woken for routing: its place in the routing work, its
/// key in its queue's serving order, and its id.
type Woken = (usize, WaitKey, InteractionId);

impl Engine {
    /// Does all routing work queued by state changes, in order.
    pub(super) fn run_routing(&mut self, now: Timestamp) {
        self.routing = true;
        while let Some(work) = self.work.pop_front() {
            match work {
                Work::Interaction(id) => self.route_interaction(id, now),
                Work::Agent(id) => self.route_agent(id, now),
                Work::Queue(queue) => self.route_queue(queue),
                Work::Unblock => {
                    let blocked = std::mem::take(&mut self.router.blend_blocked);
                    self.work.extend(blocked.into_iter().map(Work::Agent));
                }
            }
        }
        self.routing = false;
        // Rewound, for the reason `Engine::poll_event` rewinds the events.
        self.work.clear();
    }

    fn route_interaction(&mut self, id: InteractionId, now: Timestamp) {
        let Some(i) = self.interactions.get(&id) else { return };
        if !i.is_queued() {
            return;
        }
        if self.router.is_closed(i.queue) {
            self.when_closed(id, now);
            return;
        }
        let sig = self.held_sig(i.id).expect("a queued interaction holds its signature");
        let ctx = Context::new(&self.agents, &self.interactions, &self.queues, &self.config, now);
        match self.router.select_agent(i, sig, &ctx) {
            Some(choice) => {
                let queue_priority = self.member_priority(choice.agent, i.queue);
                self.make_offer(
                    id,
                    choice.agent,
                    RoutingTrigger::InteractionWaiting,
                    choice.candidates,
                    queue_priority,
                    now,
                );
                self.fan_out(id, now);
            }
            None => {
                // A wake-up strictly after now: one at or before now would fire at once and loop.
                if let Some(wake) = self.router.next_delay_wake(i, now).filter(|wake| *wake > now) {
                    self.timers.set(TimerKind::QueueDelay(id), wake);
                }
                self.when_empty(id, now);
            }
        }
    }

    fn route_agent(&mut self, id: AgentId, now: Timestamp) {
        loop {
            let Some(agent) = self.agents.get(&id) else { return };
            if !agent.is_routable() {
                return;
            }
            let ctx = Context::new(&self.agents, &self.interactions, &self.queues, &self.config, now);
            let choice = self.router.select_interaction(agent, &ctx);
            let Some(choice) = choice else { return };
            self.make_offer(
                choice.interaction,
                id,
                RoutingTrigger::AgentReady,
                choice.candidates,
                choice.queue_priority,
                now,
            );
            self.fan_out(choice.interaction, now);
        }
    }

    /// An agent's priority for a queue: their membership's own, or the queue's.
    pub(super) fn member_priority(&self, agent: AgentId, queue: crate::ids::QueueId) -> i32 {
        self.agents[&agent]
            .config
            .queues
            .iter()
            .find(|m| m.queue == queue)
            .and_then(|m| m.priority)
            .unwrap_or(self.queues[&queue].priority)
    }

    /// Offers a queued interaction to an agent with room, reserving capacity.
    pub(super) fn make_offer(
        &mut self,
        iid: InteractionId,
        aid: AgentId,
        trigger: RoutingTrigger,
        candidates: u32,
        queue_priority: i32,
        now: Timestamp,
    ) {
        let (overdue, step) = match self.interactions.get(&iid) {
            Some(i) => (i.is_overdue(), (!i.steps(&self.queues[&i.queue]).is_empty()).then_some(i.step)),
            None => (false, None),
        };
        self.leave_queue(iid);
        let offer_id = OfferId(self.next_offer);
        // Cannot overflow: restore refuses counters above 2^63, and one offer adds one.
        self.next_offer += 1;
        let i = self.interactions.get_mut(&iid).expect("make_offer: routed interactions exist");
        let q = &self.queues[&i.queue];
        let agent = self.agents.get_mut(&aid).expect("make_offer: routed agents exist");
        if matches!(q.strategy, AgentSelection::Random | AgentSelection::WeightedRandom) {
            // The agent's pass moves to the queue's clock plus a random stride (see AgentSelection::Random).
            let weight = match q.strategy {
                AgentSelection::WeightedRandom => {
                    agent.config.queues.iter().find(|m| m.queue == q.id).map_or(1, |m| m.weight)
                }
                _ => 1,
            };
            let clock = self.random_clocks.entry(q.id).or_default();
            *clock = (*clock).max(agent.pass(q.id));
            let stride = crate::router::random_stride(self.config.routing_seed(), q.id, aid, offer_id.0, weight);
            agent.held_mut().passes.insert(q.id, clock.saturating_add(stride));
        }
        let expires_at = now + q.offer_timeout.unwrap_or(self.config.offer_timeout());
        if matches!(i.state(), InteractionState::Offered { .. }) {
            // One more agent of a parallel offer: the state names the earliest.
            self.ringing.entry(iid).or_default().push(offer_id);
        } else {
            i.set_state(InteractionState::Offered { offer: offer_id, agent: aid });
        }
        i.offers = i.offers.saturating_add(1);
        agent.load.reserve(&agent.config.capacity, i.channel);
        let held = agent.held_mut();
        held.offers.insert(offer_id);
        held.last_offer.insert(i.queue, offer_id.0);
        let matched_skills = i
            .requirements
            .iter()
            .filter_map(|r| {
                agent.config.skills.level(r.skill).map(|held| MatchedSkill {
                    skill: r.skill,
                    required: r.min_level,
                    held,
                })
            })
            .collect();
        let explanation = OfferExplanation {
            trigger,
            strategy: q.strategy,
            matched_skills,
            score: agent.config.skills.score(&i.requirements),
            waited: now.saturating_duration_since(i.queue_entered_at),
            queue_priority,
            effective_priority: WaitKey::ranking(i, q).effective_points(now),
            candidates,
            overdue,
            step,
            preference: i.preferring(),
        };
        let offer = Offer {
            id: offer_id,
            interaction: iid,
            agent: aid,
            queue: i.queue,
            channel: i.channel,
            customer: i.customer,
            expires_at,
            explanation,
        };
        self.offers.insert(
            offer_id,
            PendingOffer {
                id: offer_id,
                interaction: iid,
                agent: aid,
                queue: i.queue,
                channel: i.channel,
                offered_at: now,
                expires_at,
            },
        );
        self.timers.set(TimerKind::OfferTimeout(offer_id), expires_at);
        self.emit(now, EventKind::InteractionOffered(offer));
        self.refresh_agent(aid, now);
    }

    /// Re-places an agent in the routing index and reports a presence change.
    pub(super) fn refresh_agent(&mut self, id: AgentId, now: Timestamp) {
        let Some((at, agent)) = self.agents.get_mut_with_slot(&id) else { return };
        agent.note_talk(now);
        let presence = agent.presence();
        let previous = agent.reported_presence;
        agent.reported_presence = presence;
        self.router.place_agent(at, agent, &self.queues);
        if presence != previous {
            self.emit(now, EventKind::AgentPresenceChanged { agent: id, previous, presence });
        }
    }

    /// Puts an interaction in its queue's waiting list (keeping its place in
    /// line) and asks for an agent.
    pub(super) fn enter_queue(&mut self, iid: InteractionId, reason: QueueReason, now: Timestamp) {
        let step_changed = self.list(iid, now);
        let queue = self.interactions[&iid].queue;
        if step_changed {
            let step = self.interactions[&iid].step;
            self.emit(now, EventKind::StepChanged { interaction: iid, queue, step });
        }
        self.emit(now, EventKind::InteractionQueued { interaction: iid, queue, reason });
        self.work.push_back(Work::Interaction(iid));
    }

    /// Files an interaction in its queue's waiting list, in the step its
    /// time in the queue has reached, with its bound and step timers,
    /// keeping its place in line. Returns whether its step changed.
    pub(super) fn list(&mut self, iid: InteractionId, now: Timestamp) -> bool {
        let step_changed = self.settle_step(iid, now);
        // Its signature is its entry's tag (see `held_sig`).
        let (at, i, sig) = self.interactions.get_mut_placed(&iid).expect("list: interaction exists");
        i.set_state(InteractionState::Queued);
        let q = &self.queues[&i.queue];
        // Overdue is decided afresh in each queue (a transfer brings another
        // bound); the place in line, and so the deadline, is kept.
        let deadline = i.wait_deadline(q);
        i.set_overdue(deadline.is_some_and(|d| d <= now));
        self.router.enqueue(i, at, sig, q, &self.agents);
        if let Some(deadline) = deadline.filter(|d| *d > now) {
            self.timers.set(TimerKind::MaxWait(iid), deadline);
        }
        step_changed
    }

    /// A waiting interaction reached its queue's bound: it moves to the
    /// front of its queue's lists (earliest deadline first) and is routed
    /// again, now ahead of queue priority and blending.
    pub(super) fn become_overdue(&mut self, iid: InteractionId, at: Timestamp) {
        // Its signature is its entry's tag (see `held_sig`).
        let Some((slot, i, sig)) = self.interactions.get_placed(&iid) else { return };
        if !i.is_queued() || i.is_overdue() {
            return;
        }
        let q = &self.queues[&i.queue];
        self.router.dequeue(i, slot, sig, q);
        let i = self.interactions.get_mut(&iid).expect("looked up above");
        i.set_overdue(true);
        self.router.enqueue(i, slot, sig, q, &self.agents);
        let (queue, waited) = (i.queue, at.saturating_duration_since(i.queue_entered_at));
        self.emit(at, EventKind::InteractionOverdue { interaction: iid, queue, waited });
        self.work.push_back(Work::Interaction(iid));
    }

    /// Takes a queued interaction out of its waiting list.
    pub(super) fn leave_queue(&mut self, iid: InteractionId) {
        let Some(i) = self.interactions.get(&iid) else { return };
        if !i.is_queued() {
            return;
        }
        self.unlist(iid);
        self.timers.cancel(TimerKind::QueueDelay(iid));
        self.timers.cancel(TimerKind::MaxWait(iid));
        // A re-queue finds its step afresh from its time in the queue.
        self.timers.cancel(TimerKind::StepExpiry(iid));
        // Overdue describes a wait in a queue; a re-queue decides it afresh.
        if let Some(i) = self.interactions.get_mut(&iid) {
            i.set_overdue(false);
        }
    }

    /// Takes a queued interaction out of its waiting list (to leave the
    /// queue, or to move to another list of it), and has the agents it
    /// affected look again.
    pub(super) fn unlist(&mut self, iid: InteractionId) {
        // Its signature is its entry's tag (see `held_sig`).
        let (at, i, sig) = self.interactions.get_placed(&iid).expect("unlist: interaction exists");
        // Agents held back from deferrable work look again whenever real-time
        // work leaves a list: what held them back (the real-time interaction
        // they would be offered within the blend horizon) may have gone.
        let unblock = match self.router.dequeue(i, at, sig, &self.queues[&i.queue]) {
            Dequeued::RealTime { .. } => !self.router.blend_blocked.is_empty(),
            Dequeued::Deferrable | Dequeued::NotFound => false,
        };
        // Agents who drained for it (headroom) may have stopped draining.
        let drained = self.router.drained.take(iid);
        if self.routing {
            // Released while routing goes on (the interaction left its list
            // during routing: offered, moved, ended): they look before the
            // interactions still to be routed, which, when a queue is routed
            // in order, rank behind the ones they skipped. Agents who drained
            // first, then those held back, as a command's work has them.
            let blocked = if unblock { std::mem::take(&mut self.router.blend_blocked) } else { Default::default() };
            for agent in drained.into_iter().chain(blocked).rev() {
                self.work.push_front(Work::Agent(agent));
            }
        } else {
            // Released by a command or a timer: after the work it queued.
            self.work.extend(drained.into_iter().map(Work::Agent));
            if unblock {
                self.work.push_back(Work::Unblock);
            }
        }
    }

    /// Releases one interaction of capacity from an agent, who then looks for work.
    pub(super) fn release(&mut self, aid: AgentId, iid: InteractionId, now: Timestamp) {
        self.unreserve(aid, iid, now);
        self.work.push_back(Work::Agent(aid));
    }

    /// Releases one interaction of capacity from an agent; the caller queues
    /// the agent's routing work.
    fn unreserve(&mut self, aid: AgentId, iid: InteractionId, now: Timestamp) {
        let channel = self.interactions[&iid].channel;
        let agent = self.agents.get_mut(&aid).expect("release: agent holding work exists");
        agent.load.release(&agent.config.capacity, channel);
        let held = agent.held_mut();
        held.connected.remove(&iid);
        held.wrap_ups.remove(&iid);
        if agent.load.items() == 0 {
            agent.idle_since = now;
        }
    }

    /// Cancels a pending offer, releasing the agent's capacity; the agent
    /// then looks for work. The caller decides where the interaction goes next.
    pub(super) fn drop_offer(&mut self, offer: OfferId, now: Timestamp) -> PendingOffer {
        let pending = self.take_back_offer(offer, now);
        self.work.push_back(Work::Agent(pending.agent));
        pending
    }

    /// [`Engine::drop_offer`] without queueing the agent's routing work: after
    /// a decline, the interaction must look for another agent before its
    /// decliner looks for work, or the decliner gets it straight back.
    pub(super) fn take_back_offer(&mut self, offer: OfferId, now: Timestamp) -> PendingOffer {
        let pending = self.offers.remove(&offer).expect("take_back_offer: offer is pending");
        self.timers.cancel(TimerKind::OfferTimeout(offer));
        if let Some(agent) = self.agents.get_mut(&pending.agent) {
            agent.held_mut().offers.remove(&offer);
        }
        self.unreserve(pending.agent, pending.interaction, now);
        self.forget_ringing(pending.interaction, offer);
        pending
    }

    /// Withdraws every pending offer of an agent, sending each interaction
    /// back to its place in line (unless other agents still ring for it).
    pub(super) fn withdraw_offers(&mut self, aid: AgentId, reason: WithdrawReason, now: Timestamp) {
        let offers: Vec<OfferId> = self.agents[&aid].held().offers.iter().copied().collect();
        for offer in offers {
            let p = self.drop_offer(offer, now);
            self.emit(now, EventKind::OfferWithdrawn { offer, interaction: p.interaction, agent: aid, reason });
            if !self.still_ringing(p.interaction) {
                self.enter_queue(p.interaction, QueueReason::OfferWithdrawn, now);
            }
        }
    }

    /// Ends an interaction that holds no capacity and is in no waiting list.
    pub(super) fn end_interaction(&mut self, iid: InteractionId, outcome: Outcome, now: Timestamp) {
        let held = self.held_sig(iid);
        let i = self.interactions.remove(&iid).expect("end_interaction: interaction is live");
        self.router.let_go(iid, held);
        self.timers.cancel(TimerKind::QueueDelay(iid));
        self.timers.cancel(TimerKind::MaxWait(iid));
        self.timers.cancel(TimerKind::StepExpiry(iid));
        self.timers.cancel(TimerKind::TimeToLive(iid));
        self.timers.cancel(TimerKind::ExceptionRule(iid));
        self.timers.cancel(TimerKind::WrapUpEnd(iid));
        self.timers.cancel(TimerKind::ForgetDeclines(iid));
        self.timers.cancel(TimerKind::CallbackDue(iid));
        match outcome {
            Outcome::Handled { .. } => self.totals.handled += 1,
            Outcome::Abandoned { .. } => self.totals.abandoned += 1,
            Outcome::Cancelled => self.totals.cancelled += 1,
            Outcome::Declined => self.totals.declined += 1,
            Outcome::Expired => self.totals.expired += 1,
            Outcome::Closed => self.totals.closed += 1,
            Outcome::Diverted(_) => self.totals.diverted += 1,
            Outcome::CallbackFailed(_) => self.totals.callbacks_failed += 1,
            // Never held, so never ended here: counted when recorded.
            Outcome::SelfServed(_) => {}
        }
        self.emit(now, EventKind::InteractionEnded { interaction: iid, queue: i.queue, channel: i.channel, outcome });
    }

    /// Ends an interaction's wrap-up (by timer, by the agent, or by logout).
    pub(super) fn finish_wrap_up(&mut self, iid: InteractionId, aid: AgentId, now: Timestamp) {
        self.timers.cancel(TimerKind::WrapUpEnd(iid));
        self.emit(now, EventKind::WrapUpEnded { interaction: iid, agent: aid });
        self.release(aid, iid, now);
        self.end_interaction(iid, Outcome::Handled { agent: aid }, now);
        // The end of a call's wrap-up may let the agent's paused work resume.
        self.sync_interruptions(aid, None, now);
        self.refresh_agent(aid, now);
    }

    /// Puts the interactions that the timers due at one instant woke for routing
    /// (steps ended, queue delays reached) in their queues' serving order,
    /// in the places of the routing work they held: timers of one kind fire
    /// in the order they were set, and a call of lower priority whose timer
    /// was set first must not be offered to the agent its wait has just
    /// reached, or its step relaxed to, ahead of one of higher priority.
    /// Runs after every timer that routing follows; after a single one it
    /// changes only the order in which an offer timeout that pauses the agent
    /// re-queues their other offers (serving order, where a pause command
    /// keeps first-in, first-out), which the paused agent cannot take.
    pub(super) fn order_woken(&mut self) {
        if self.work.iter().filter(|w| matches!(w, Work::Interaction(_))).nth(1).is_none() {
            return;
        }
        let mut woken: BTreeMap<QueueId, Vec<Woken>> = BTreeMap::new();
        for (place, work) in self.work.iter().enumerate() {
            let Work::Interaction(iid) = *work else { continue };
            let Some(i) = self.interactions.get(&iid).filter(|i| i.is_queued()) else { continue };
            let Some(queue) = self.queues.get(&i.queue) else { continue };
            woken.entry(i.queue).or_default().push((place, WaitKey::ranking(i, queue), iid));
        }
        for items in woken.values_mut().filter(|items| items.len() > 1) {
            let places: Vec<usize> = items.iter().map(|(place, _, _)| *place).collect();
            items.sort_by_key(|(_, rank, _)| *rank);
            for (place, (_, _, iid)) in places.into_iter().zip(items.iter()) {
                self.work[place] = Work::Interaction(*iid);
            }
        }
    }

    /// Routes every waiting interaction of a queue again (its queue delay
    /// timers re-examined), after it opened, closed or its members changed.
    /// The queue is ranked when routing reaches it, not now: a timer due at
    /// the same instant may still change a call's rank.
    pub(super) fn rewake_queue(&mut self, queue: QueueId) {
        self.work.push_back(Work::Queue(queue));
    }

    /// Puts the waiting interactions of `queue` at the front of the routing
    /// work, in the queue's serving order (overdue first, effective priority,
    /// place in line, arrival), never in the index's internal order of lists:
    /// that order is not fair, and a restored engine numbers its lists
    /// differently. At the front, so that they are routed where the queue's
    /// item stood among the other work. (Deferrable work that real-time work
    /// holds back meanwhile is offered when the real-time work is: see
    /// `unlist`.)
    fn route_queue(&mut self, queue: QueueId) {
        let waiting = self.router.waiting_in_order(queue, &self.interactions);
        for &iid in &waiting {
            self.timers.cancel(TimerKind::QueueDelay(iid));
        }
        for iid in waiting.into_iter().rev() {
            self.work.push_front(Work::Interaction(iid));
        }
    }
}
