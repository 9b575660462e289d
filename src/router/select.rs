//! The two routing decisions.

use std::collections::BTreeMap;

use super::{Router, SigId};
use crate::ids::{AgentId, IdMap, InteractionId, QueueId};
use crate::model::agent::Agent;
use crate::model::interaction::Interaction;
use crate::model::queue::QueueConfig;
use crate::time::{Timestamp, duration_millis};

/// The agent chosen for an interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AgentChoice {
    pub(crate) agent: AgentId,
    /// Qualified agents with room whose delay the interaction's wait has reached.
    pub(crate) candidates: u32,
}

/// The interaction chosen for an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InteractionChoice {
    pub(crate) interaction: InteractionId,
    pub(crate) queue_priority: i32,
    /// Waiting lists whose head was compared.
    pub(crate) candidates: u32,
}

/// Read-only context both decisions need.
pub(crate) struct Context<'a> {
    pub(crate) agents: &'a IdMap<AgentId, Agent>,
    pub(crate) interactions: &'a IdMap<InteractionId, Interaction>,
    pub(crate) queues: &'a BTreeMap<QueueId, QueueConfig>,
    pub(crate) never_reoffer_to_decliners: bool,
    pub(crate) now: Timestamp,
}

impl<'a> Context<'a> {
    /// The context from the engine's state, borrowed field by field so the
    /// router (another field) can be borrowed mutably beside it.
    pub(crate) fn new(
        agents: &'a IdMap<AgentId, Agent>,
        interactions: &'a IdMap<InteractionId, Interaction>,
        queues: &'a BTreeMap<QueueId, QueueConfig>,
        config: &crate::config::EngineConfig,
        now: Timestamp,
    ) -> Self {
        Context { agents, interactions, queues, never_reoffer_to_decliners: config.never_reoffer_to_decliners(), now }
    }

    fn declined(&self, interaction: &Interaction, agent: AgentId) -> bool {
        self.never_reoffer_to_decliners && interaction.declined_by.binary_search(&agent).is_ok()
    }

    /// Whether `agent` may never be offered interaction `id` again.
    pub(crate) fn declined_id(&self, id: InteractionId, agent: AgentId) -> bool {
        self.never_reoffer_to_decliners && self.interactions.get(&id).is_some_and(|i| self.declined(i, agent))
    }
}

impl Router {
    /// Which agent should take waiting interaction `i` now?
    ///
    /// Looks at the pool tiers whose delay the interaction's wait has
    /// reached and takes the lowest (strategy key, agent id) among the first
    /// acceptable agent of each tier. Agents who declined it are skipped when
    /// the engine is configured so; for deferrable work, agents with
    /// real-time work waiting for them are skipped and remembered as
    /// blend-blocked.
    pub(crate) fn select_agent(&mut self, i: &Interaction, sig: SigId, ctx: &Context<'_>) -> Option<AgentChoice> {
        let waited_ms = ctx.now.millis_since(i.queue_entered_at);
        let group = self.queues.get(&i.queue)?.groups.get(&(i.channel, sig))?;
        let deferrable = !group.realtime;
        let mut best: Option<(super::AgentKey, AgentId)> = None;
        let mut candidates = 0u32;
        let mut blocked = Vec::new();
        for (_, tier) in group.pool.range(..=waited_ms) {
            candidates = candidates.saturating_add(u32::try_from(tier.len()).unwrap_or(u32::MAX));
            for entry in tier {
                if ctx.declined(i, entry.1) {
                    continue;
                }
                if deferrable {
                    let agent = ctx.agents.get(&entry.1).expect("pooled agents exist");
                    if self.realtime_waiting_for(agent, ctx) {
                        blocked.push(entry.1);
                        continue;
                    }
                }
                if best.is_none_or(|b| *entry < b) {
                    best = Some(*entry);
                }
                break;
            }
        }
        self.blend_blocked.extend(blocked);
        best.map(|(_, agent)| AgentChoice { agent, candidates })
    }

    /// Which waiting interaction should `agent` take now?
    ///
    /// Compares the head of every waiting list the agent is pooled for, by
    /// (the agent's priority for the queue, effective priority, place in
    /// line, arrival sequence). Real-time work always beats deferrable work;
    /// deferrable work is taken only when no real-time work the agent
    /// qualifies for is waiting in their queues (otherwise the agent is
    /// remembered as blend-blocked).
    pub(crate) fn select_interaction(&mut self, agent: &Agent, ctx: &Context<'_>) -> Option<InteractionChoice> {
        let placements = self.placements.get(&agent.id())?;
        // (realtime, queue priority, effective priority, earlier place, earlier seq) — highest wins.
        type Rank = (bool, i32, i128, std::cmp::Reverse<i64>, std::cmp::Reverse<u64>);
        let mut best: Option<(Rank, InteractionId)> = None;
        let mut candidates = 0u32;
        for (queue, channel, sig) in placements.keys() {
            let Some(g) = self.queues.get(queue).and_then(|q| q.groups.get(&(*channel, *sig))) else { continue };
            if g.waiting.is_empty() {
                continue;
            }
            let Some(membership) = agent.config.queues.iter().find(|m| m.queue == *queue) else { continue };
            let Some(qcfg) = ctx.queues.get(queue) else { continue };
            let cutoff = ctx.now.as_millis().saturating_sub(duration_millis(membership.delay));
            let head = g.waiting.iter().find(|w| {
                w.entered_ms <= cutoff && !ctx.interactions.get(&w.id).is_some_and(|i| ctx.declined(i, agent.id()))
            });
            let Some(head) = head else { continue };
            candidates = candidates.saturating_add(1);
            let rank: Rank = (
                g.realtime,
                membership.priority.unwrap_or(qcfg.priority),
                head.effective_scaled(qcfg.aging.points_per_minute, ctx.now),
                std::cmp::Reverse(head.entered_ms),
                std::cmp::Reverse(head.seq),
            );
            if best.as_ref().is_none_or(|(b, _)| rank > *b) {
                best = Some((rank, head.id));
            }
        }
        let (rank, interaction) = best?;
        if !rank.0 && self.realtime_waiting_for(agent, ctx) {
            self.blend_blocked.insert(agent.id());
            return None;
        }
        Some(InteractionChoice { interaction, queue_priority: rank.1, candidates })
    }

    /// The next time a member delay of `i`'s queue will be reached, if any.
    pub(crate) fn next_delay_wake(&self, i: &Interaction, now: Timestamp) -> Option<Timestamp> {
        let waited_ms = now.millis_since(i.queue_entered_at);
        let q = self.queues.get(&i.queue)?;
        let (delay, _) = q.delays.range(waited_ms.saturating_add(1)..).next()?;
        Some(Timestamp::from_millis(i.queue_entered_at.as_millis().saturating_add(*delay)))
    }
}
