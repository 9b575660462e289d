//! The reference router: both decisions by looking at everything.
//!
//! Selected with [`RoutingIndex::Scan`](crate::RoutingIndex::Scan). It reads
//! nothing of the index but the engine's own state (agents, interactions,
//! queue configurations), applies the routing rule as written, and so costs
//! O(agents) or O(live interactions) per decision. Tests hold the index to
//! the same events; the routing benchmark measures the index against it.

use std::collections::{BTreeMap, BTreeSet};

use super::select::{AgentChoice, Context, InteractionChoice, Rank, rank};
use super::{AgentKey, Router, WaitKey, agent_key};
use crate::ids::{AgentId, InteractionId};
use crate::model::agent::Agent;
use crate::model::interaction::{Interaction, InteractionState};
use crate::time::duration_millis;

impl Router {
    /// [`Router::select_agent`] by scanning every agent.
    pub(super) fn scan_select_agent(&mut self, i: &Interaction, ctx: &Context<'_>) -> Option<AgentChoice> {
        let waited_ms = ctx.now.millis_since(i.queue_entered_at);
        let strategy = ctx.queues.get(&i.queue)?.strategy;
        // Qualified agents with room whose delay is reached, by delay tier, in (key, id) order.
        let mut tiers: BTreeMap<i64, Vec<(AgentKey, AgentId)>> = BTreeMap::new();
        for agent in ctx.agents.values() {
            let Some(m) = agent.config.queues.iter().find(|m| m.queue == i.queue) else { continue };
            let delay = duration_millis(m.delay);
            if delay <= waited_ms
                && agent.is_routable()
                && agent.load.has_room(&agent.config.capacity, i.channel)
                && agent.config.skills.satisfies(&i.requirements)
            {
                tiers
                    .entry(delay)
                    .or_default()
                    .push((agent_key(strategy, agent, i.queue, &i.requirements), agent.id()));
            }
        }
        let deferrable = !self.is_realtime(i.channel);
        let candidates = tiers.values().map(Vec::len).sum::<usize>();
        let mut best: Option<(AgentKey, AgentId)> = None;
        let mut blocked = Vec::new();
        let mut drained = Vec::new();
        for tier in tiers.values_mut() {
            tier.sort_unstable();
            for entry in tier.iter() {
                if ctx.declined(i, entry.1) {
                    continue;
                }
                if let Some(cause) = self.drain_cause(&ctx.agents[&entry.1], ctx) {
                    drained.push((entry.1, cause));
                    continue;
                }
                if deferrable && self.scan_realtime_waiting_for(&ctx.agents[&entry.1], ctx) {
                    blocked.push(entry.1);
                    continue;
                }
                if best.is_none_or(|b| *entry < b) {
                    best = Some(*entry);
                }
                break;
            }
        }
        self.blend_blocked.extend(blocked);
        self.note_drained(drained);
        let candidates = u32::try_from(candidates).unwrap_or(u32::MAX);
        best.map(|(_, agent)| AgentChoice { agent, candidates })
    }

    /// [`Router::select_interaction`] by scanning every live interaction.
    pub(super) fn scan_select_interaction(&mut self, agent: &Agent, ctx: &Context<'_>) -> Option<InteractionChoice> {
        if !agent.is_routable() {
            return None;
        }
        let mut best: Option<(Rank, InteractionId)> = None;
        let mut lists = BTreeSet::new();
        for i in ctx.interactions.values() {
            if i.state != InteractionState::Queued {
                continue;
            }
            let Some(m) = agent.config.queues.iter().find(|m| m.queue == i.queue) else { continue };
            let Some(qcfg) = ctx.queues.get(&i.queue) else { continue };
            let cutoff = ctx.now.as_millis().saturating_sub(duration_millis(m.delay));
            if i.queue_entered_at.as_millis() > cutoff
                || !agent.load.has_room(&agent.config.capacity, i.channel)
                || !agent.config.skills.satisfies(&i.requirements)
                || ctx.declined(i, agent.id())
            {
                continue;
            }
            lists.insert((i.queue, i.channel));
            let realtime = self.is_realtime(i.channel);
            let w = WaitKey::new(i, qcfg.aging.points_per_minute);
            let rank = rank(realtime, m.priority.unwrap_or(qcfg.priority), &w, qcfg.aging.points_per_minute, ctx.now);
            if best.as_ref().is_none_or(|(b, _)| rank > *b) {
                best = Some((rank, i.id));
            }
        }
        let (rank, interaction) = best?;
        if !rank.0 && self.scan_realtime_waiting_for(agent, ctx) {
            self.blend_blocked.insert(agent.id());
            return None;
        }
        let candidates = u32::try_from(lists.len()).unwrap_or(u32::MAX);
        Some(InteractionChoice { interaction, queue_priority: rank.1, candidates })
    }

    /// [`Router::realtime_waiting_for`] by scanning every live interaction.
    pub(super) fn scan_realtime_waiting_for(&self, agent: &Agent, ctx: &Context<'_>) -> bool {
        ctx.interactions.values().any(|i| {
            i.state == InteractionState::Queued
                && self.is_realtime(i.channel)
                && agent.config.queues.iter().any(|m| m.queue == i.queue)
                && agent.config.capacity.channel(i.channel).is_some()
                && agent.config.skills.satisfies(&i.requirements)
                && !ctx.declined(i, agent.id())
        })
    }
}
