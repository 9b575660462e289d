//! Parallel offers (ring-all, a ring group): one interaction offered to
//! several agents at once, the first accept winning
//! (see [`QueueConfig::parallel_offers`](crate::QueueConfig::parallel_offers)).
//!
//! The interaction's state names one of its offers, the earliest still
//! ringing; the others wait in [`Engine::ringing`]. Every path that takes an
//! offer back goes through [`Engine::forget_ringing`], so the state always
//! names a live offer while any rings, and the interaction goes back to its
//! place in line only when the last one is gone.

use super::Engine;
use crate::event::{EventKind, RoutingTrigger, WithdrawReason};
use crate::ids::{AgentId, InteractionId, OfferId};
use crate::model::interaction::InteractionState;
use crate::router::select::Context;
use crate::time::Timestamp;

impl Engine {
    /// Every offer of an interaction still ringing, the one its state names first.
    pub(super) fn offers_of(&self, iid: InteractionId) -> Vec<OfferId> {
        let Some(InteractionState::Offered { offer, .. }) = self.interactions.get(&iid).map(|i| i.state()) else {
            return Vec::new();
        };
        let mut offers = vec![offer];
        offers.extend(self.ringing.get(&iid).into_iter().flatten().copied());
        offers
    }

    /// Whether any offer of an interaction still rings (after one was taken back).
    pub(super) fn still_ringing(&self, iid: InteractionId) -> bool {
        matches!(
            self.interactions.get(&iid).map(|i| i.state()),
            Some(InteractionState::Offered { offer, .. }) if self.offers.contains_key(&offer)
        )
    }

    /// Forgets offer `offer` of interaction `iid`, just taken back: when its
    /// state named it and others still ring, it names the earliest of them.
    pub(super) fn forget_ringing(&mut self, iid: InteractionId, offer: OfferId) {
        let Some(others) = self.ringing.get_mut(&iid) else { return };
        if let Some(pos) = others.iter().position(|o| *o == offer) {
            others.remove(pos);
        } else if let Some(i) = self.interactions.get_mut(&iid) {
            if matches!(i.state(), InteractionState::Offered { offer: named, .. } if named == offer) {
                let next = others.remove(0);
                let agent = self.offers.get(&next).expect("a ringing offer is pending").agent;
                i.set_state(InteractionState::Offered { offer: next, agent });
            }
        }
        if others.is_empty() {
            self.ringing.remove(&iid);
        }
    }

    /// Rings more agents for an interaction just offered, up to its queue's
    /// [`parallel_offers`](crate::QueueConfig::parallel_offers): each the
    /// best by the routing rule among those not ringing for it already.
    pub(super) fn fan_out(&mut self, iid: InteractionId, now: Timestamp) {
        let Some(i) = self.interactions.get(&iid) else { return };
        let group = self.queues[&i.queue].parallel_offers as usize;
        if group <= 1 || !matches!(i.state(), InteractionState::Offered { .. }) {
            return;
        }
        let mut ringing: Vec<AgentId> = self.offers_of(iid).iter().map(|o| self.offers[o].agent).collect();
        while ringing.len() < group {
            let i = &self.interactions[&iid];
            let sig = self.held_sig(iid).expect("a live interaction holds its signature");
            let ctx =
                Context::new(&self.agents, &self.interactions, &self.queues, &self.config, now).passing_over(&ringing);
            let Some(choice) = self.router.select_agent(i, sig, &ctx) else { break };
            let queue_priority = self.member_priority(choice.agent, i.queue);
            self.make_offer(
                iid,
                choice.agent,
                RoutingTrigger::InteractionWaiting,
                choice.candidates,
                queue_priority,
                now,
            );
            ringing.push(choice.agent);
        }
    }

    /// Withdraws every offer of an interaction for `reason`, releasing each
    /// agent's capacity (their routing work queued). Returns the agents,
    /// whose presence the caller refreshes once the interaction has gone
    /// where it goes next.
    pub(super) fn withdraw_ringing(
        &mut self,
        iid: InteractionId,
        reason: WithdrawReason,
        now: Timestamp,
    ) -> Vec<AgentId> {
        let mut agents = Vec::new();
        for offer in self.offers_of(iid) {
            let p = self.drop_offer(offer, now);
            self.emit(now, EventKind::OfferWithdrawn { offer, interaction: iid, agent: p.agent, reason });
            agents.push(p.agent);
        }
        agents
    }

    /// Withdraws `others`, the offers of an interaction still ringing when
    /// another of its offers was accepted, with [`WithdrawReason::Rescinded`].
    pub(super) fn rescind(&mut self, iid: InteractionId, others: Vec<OfferId>, now: Timestamp) {
        for offer in others {
            let p = self.drop_offer(offer, now);
            let reason = WithdrawReason::Rescinded;
            self.emit(now, EventKind::OfferWithdrawn { offer, interaction: iid, agent: p.agent, reason });
            self.refresh_agent(p.agent, now);
        }
    }
}
