//! Headroom: agents who stop taking new work so that waiting work of a
//! channel they keep headroom for can reach them (see
//! [`CapacityProfile::with_headroom`](crate::CapacityProfile::with_headroom)
//! for the rule).
//!
//! Whether an agent drains is worked out when a decision needs it, never
//! kept up to date as time passes: an interaction crossing its threshold only
//! takes offers *away* from agents, so nothing has to happen at that moment,
//! and no timer is set. What must happen is the reverse: an agent refused work
//! because they drained must be routed again when they stop. They stop when
//! they get room (releasing work always routes the agent again), or when the
//! interaction they drained for leaves its waiting list. So every refusal
//! records the agent with the interaction that caused it, their *cause*
//! ([`Drained`]); when an interaction leaves its list, the agents recorded
//! with it are routed again, and those still draining (for another
//! interaction) are recorded again with their new cause.
//!
//! The cause is defined so that both routers find the same one: over the
//! agent's queue memberships in their configured order, then the headroom
//! channels in channel order, the first (queue, channel) holding an
//! interaction that makes the agent drain, and in it the first such
//! interaction in the queue's routing order.
//!
//! Cost: nothing for an agent without headroom, nor for one with room on every
//! headroom channel. Otherwise, per (queue, headroom channel) of the agent,
//! the walk of list heads [`Router::select_interaction`] makes, with the
//! cutoff moved back by the threshold.

use std::collections::{BTreeMap, BTreeSet};

use super::select::Context;
use super::{Router, WaitKey};
use crate::ids::{AgentId, InteractionId};
use crate::model::agent::Agent;
use crate::time::duration_millis;

/// Agents refused work because they drained, each with the interaction
/// they drained for. An agent is recorded with at most one interaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Drained {
    by_agent: BTreeMap<AgentId, InteractionId>,
    by_interaction: BTreeSet<(InteractionId, AgentId)>,
}

impl Drained {
    /// Records that `agent` was refused work while draining for `cause`.
    pub(crate) fn note(&mut self, agent: AgentId, cause: InteractionId) {
        if let Some(old) = self.by_agent.insert(agent, cause) {
            self.by_interaction.remove(&(old, agent));
        }
        self.by_interaction.insert((cause, agent));
    }

    /// Forgets `agent` (routed and not draining, paused, logged out or removed).
    pub(crate) fn forget(&mut self, agent: AgentId) {
        if let Some(old) = self.by_agent.remove(&agent) {
            self.by_interaction.remove(&(old, agent));
        }
    }

    /// Takes the agents recorded with `cause`, in id order: it left its
    /// waiting list, so they may have stopped draining.
    pub(crate) fn take(&mut self, cause: InteractionId) -> Vec<AgentId> {
        let agents: Vec<AgentId> = self
            .by_interaction
            .range((cause, AgentId(0))..)
            .take_while(|(i, _)| *i == cause)
            .map(|(_, a)| *a)
            .collect();
        for a in &agents {
            self.by_interaction.remove(&(cause, *a));
            self.by_agent.remove(a);
        }
        agents
    }

    /// Every record, by agent.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (AgentId, InteractionId)> + '_ {
        self.by_agent.iter().map(|(a, i)| (*a, *i))
    }

    /// Whether the two views of the records agree.
    pub(crate) fn consistent(&self) -> bool {
        self.by_agent.len() == self.by_interaction.len()
            && self.by_interaction.iter().all(|(i, a)| self.by_agent.get(a) == Some(i))
    }
}

impl Router {
    /// The interaction `agent` drains for at `ctx.now`, if they drain (see
    /// the module docs for which one). Does not look at whether the agent is
    /// routable.
    pub(crate) fn drain_cause(&self, agent: &Agent, ctx: &Context<'_>) -> Option<InteractionId> {
        let profile = &agent.config.capacity;
        // Nearly every agent leaves here: no headroom, or room for every headroom channel.
        if profile.headrooms().all(|(channel, _)| super::has_room(&self.config, agent, channel)) {
            return None;
        }
        if self.scans() {
            return self.scan_drain_cause(agent, ctx);
        }
        // A closed queue offers nothing: nobody drains for its calls.
        for m in agent.config.queues.iter().filter(|m| !self.closed.contains(&m.queue)) {
            let Some(q) = self.queues.get(&m.queue) else { continue };
            for (channel, after) in profile.headrooms() {
                if super::has_room(&self.config, agent, channel) {
                    continue;
                }
                let Some(ch) = q.channels.get(&channel) else { continue };
                if ch.heads.is_empty() {
                    continue;
                }
                let wait_ms = duration_millis(m.delay).max(duration_millis(after));
                let cutoff = ctx.now.as_millis().saturating_sub(wait_ms);
                if let Some(w) = self.best_waiting_for(m.queue, ch, agent, cutoff, ctx) {
                    return Some(ctx.listed(&w).id);
                }
            }
        }
        None
    }

    /// [`Router::drain_cause`] by scanning every live interaction.
    pub(super) fn scan_drain_cause(&self, agent: &Agent, ctx: &Context<'_>) -> Option<InteractionId> {
        let profile = &agent.config.capacity;
        for m in agent.config.queues.iter().filter(|m| !self.closed.contains(&m.queue)) {
            let Some(qcfg) = ctx.queues.get(&m.queue) else { continue };
            for (channel, after) in profile.headrooms() {
                if super::has_room(&self.config, agent, channel) {
                    continue;
                }
                let wait_ms = duration_millis(m.delay).max(duration_millis(after));
                let cutoff = ctx.now.as_millis().saturating_sub(wait_ms);
                let first = ctx
                    .interactions
                    .values()
                    .filter(|i| {
                        i.is_queued()
                            && i.queue == m.queue
                            && i.channel == channel
                            && i.queue_entered_at.as_millis() <= cutoff
                            && self.admits(agent, i, ctx.interactions.tag(&i.id))
                            && !ctx.declined(i, agent.id())
                    })
                    .map(|i| (WaitKey::ranking(i, qcfg), i.id))
                    .min();
                if let Some((_, id)) = first {
                    return Some(id);
                }
            }
        }
        None
    }

    /// Whether `agent`, about to be routed, is held back because they drain;
    /// records them with their cause if so, and forgets any record if not.
    pub(crate) fn drain_holds_back(&mut self, agent: &Agent, ctx: &Context<'_>) -> bool {
        match self.drain_cause(agent, ctx) {
            Some(cause) => {
                self.drained.note(agent.id(), cause);
                true
            }
            None => {
                self.drained.forget(agent.id());
                false
            }
        }
    }

    /// The interaction candidate `agent` drains for, when choosing an agent
    /// for other work (see [`Router::drain_cause`]).
    pub(crate) fn candidate_drains(&self, agent: AgentId, ctx: &Context<'_>) -> Option<InteractionId> {
        ctx.agents.get(&agent).and_then(|a| self.drain_cause(a, ctx))
    }

    /// Records candidates passed over because they drained.
    pub(crate) fn note_drained(&mut self, drained: Vec<(AgentId, InteractionId)>) {
        for (agent, cause) in drained {
            self.drained.note(agent, cause);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_one_cause_per_agent_and_hands_them_back_by_cause() {
        let mut d = Drained::default();
        d.note(AgentId(2), InteractionId(7));
        d.note(AgentId(1), InteractionId(7));
        d.note(AgentId(3), InteractionId(8));
        d.note(AgentId(3), InteractionId(7));
        d.note(AgentId(4), InteractionId(9));
        d.forget(AgentId(4));
        assert!(d.consistent());
        assert_eq!(d.take(InteractionId(8)), vec![]);
        assert_eq!(d.take(InteractionId(7)), vec![AgentId(1), AgentId(2), AgentId(3)]);
        assert_eq!(d.iter().count(), 0);
        assert!(d.consistent());
    }
}
