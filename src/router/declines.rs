//! Declines: how having declined an interaction ranks an agent for it, and
//! whether every qualified agent has declined it.
//!
//! **Decliners are a last resort.** An agent who rejected an interaction or
//! let its offer time out is offered it again only when no other acceptable
//! agent is available, and never when the engine is configured with
//! [`never_reoffer_to_decliners`](crate::EngineConfigBuilder::never_reoffer_to_decliners).
//! So the agent choice for an interaction is the lowest of
//!
//! 1. has not declined it (non-decliners first),
//! 2. the queue's strategy key,
//! 3. the agent id,
//!
//! among the acceptable candidates of every delay tier reached. Both
//! routers walk each tier in (strategy key, id) order and hand each
//! acceptable candidate to a [`Pick`], which stops the tier's walk at its
//! first non-decliner.

use super::bitset::Bitset;
use super::{AgentKey, Router, SigId};
use crate::dense::DenseMap;
use crate::ids::AgentId;
use crate::model::agent::Agent;
use crate::model::interaction::Interaction;

/// Whether `agent` has declined `i` (rejected it or let it time out),
/// whatever the configuration says about offering it to them again.
pub(super) fn has_declined(i: &Interaction, agent: AgentId) -> bool {
    !i.declined_by().is_empty() && i.declined_by().binary_search(&agent).is_ok()
}

/// The best acceptable agent for one interaction found so far: the lowest
/// (strategy key, id) among those who have not declined it, and apart the
/// lowest among those who have, the last resort.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Pick {
    best: Option<(AgentKey, AgentId)>,
    last_resort: Option<(AgentKey, AgentId)>,
}

impl Pick {
    /// Considers an acceptable candidate of `i` (qualified, with room, delay
    /// reached, not excluded by declines or blending). Returns whether a
    /// walk in (key, id) order may stop: it may at the first non-decliner,
    /// and must go on past a decliner, looking for someone else.
    pub(super) fn consider(&mut self, i: &Interaction, entry: (AgentKey, AgentId)) -> bool {
        let declined = has_declined(i, entry.1);
        let slot = if declined { &mut self.last_resort } else { &mut self.best };
        if slot.is_none_or(|b| entry < b) {
            *slot = Some(entry);
        }
        !declined
    }

    /// The winner: the best non-decliner, or else the best decliner.
    pub(super) fn winner(&self) -> Option<(AgentKey, AgentId)> {
        self.best.or(self.last_resort)
    }
}

impl Router {
    /// Whether every qualified agent has declined `i` (which holds
    /// signature `sig`): every member of its queue who is logged in, works its
    /// channel and satisfies its requirements is among its decliners, and
    /// there is at least one. Returns how many they are, or `None`.
    ///
    /// Costs O(members of the queue who work the channel and qualify), from
    /// the queue's bitsets; with [`RoutingIndex::Scan`](crate::RoutingIndex::Scan),
    /// O(agents). It runs when an offer is declined, not on routing decisions.
    pub(crate) fn declined_by_all(
        &self,
        i: &Interaction,
        sig: SigId,
        agents: &DenseMap<AgentId, Agent>,
    ) -> Option<u32> {
        if i.declined_by().is_empty() {
            return None;
        }
        if self.scans() {
            return self.scan_declined_by_all(i, sig, agents);
        }
        let q = self.queues.get(&i.queue)?;
        let ch = q.channels.get(&i.channel)?;
        // The requirements from the bitsets; a rule is evaluated here, since the interaction,
        // being declined, may have left the last list that kept the rule's bits.
        let rule = self.rule_expression(sig);
        let holders: Vec<Option<&Bitset>> =
            self.sigs[sig as usize].iter().map(|r| q.holders(r.skill, r.min_level)).collect();
        let (mut declined, mut others) = (0u32, false);
        Bitset::for_each_common(&ch.works, &holders, |slot| {
            let agent = q.member_at(slot).and_then(|at| agents.at_slot(at));
            let agent = agent.filter(|a| rule.is_none_or(|r| r.admits(a.id(), &a.config.skills, &a.config.attributes)));
            match agent {
                Some(a) if a.logged_in && has_declined(i, a.id()) => declined += 1,
                Some(a) if a.logged_in => others = true,
                _ => {}
            }
        });
        (!others && declined > 0).then_some(declined)
    }

    /// [`Router::declined_by_all`] by scanning every agent.
    fn scan_declined_by_all(&self, i: &Interaction, sig: SigId, agents: &DenseMap<AgentId, Agent>) -> Option<u32> {
        let (mut declined, mut others) = (0u32, false);
        for a in agents.values() {
            let qualified = a.logged_in
                && a.config.queues.iter().any(|m| m.queue == i.queue)
                && a.config.capacity.channel(i.channel).is_some()
                && self.admits(a, i, Some(sig));
            if !qualified {
                continue;
            }
            if has_declined(i, a.id()) {
                declined += 1;
            } else {
                others = true;
            }
        }
        (!others && declined > 0).then_some(declined)
    }
}
