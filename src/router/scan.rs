//! The reference router: both decisions by looking at everything.
//!
//! Selected with [`RoutingIndex::Scan`](crate::RoutingIndex::Scan). It reads
//! nothing of the index but the engine's own state (agents, interactions,
//! queue configurations), applies the routing rule as written, and so costs
//! O(agents) or O(live interactions) per decision. Tests hold the index to
//! the same events; the routing benchmark measures the index against it.

use std::collections::{BTreeMap, BTreeSet};

use super::declines::Pick;
use super::select::{AgentChoice, Context, InteractionChoice, Standing, choose, deferrable_first};
use super::{AgentKey, Router, agent_key};
use crate::ids::AgentId;
use crate::model::agent::Agent;
use crate::model::interaction::Interaction;
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
                && super::has_room(&self.config, agent, i.channel)
                && self.admits(agent, i, ctx.interactions.tag(&i.id))
            {
                tiers
                    .entry(delay)
                    .or_default()
                    .push((agent_key(strategy, agent, i.queue, &i.requirements), agent.id()));
            }
        }
        let deferrable = !self.is_realtime(i.channel);
        let qcfg = &ctx.queues[&i.queue];
        let standing = Standing::of(!deferrable, 0, i, qcfg, ctx.now);
        let candidates = tiers.values().map(Vec::len).sum::<usize>();
        let mut pick = Pick::default();
        let mut blocked = Vec::new();
        let mut drained = Vec::new();
        for tier in tiers.values_mut() {
            tier.sort_unstable();
            for entry in tier.iter() {
                if ctx.passes_over(i, entry.1) {
                    continue;
                }
                if let Some(cause) = self.drain_cause(&ctx.agents[&entry.1], ctx) {
                    drained.push((entry.1, cause));
                    continue;
                }
                if deferrable && self.scan_held_back(&ctx.agents[&entry.1], &standing, ctx) {
                    blocked.push(entry.1);
                    continue;
                }
                if pick.consider(i, *entry) {
                    break;
                }
            }
        }
        self.blend_blocked.extend(blocked);
        self.note_drained(drained);
        let candidates = u32::try_from(candidates).unwrap_or(u32::MAX);
        pick.winner().map(|(_, agent)| AgentChoice { agent, candidates })
    }

    /// [`Router::select_interaction`] by scanning every live interaction.
    pub(super) fn scan_select_interaction(&mut self, agent: &Agent, ctx: &Context<'_>) -> Option<InteractionChoice> {
        if !agent.is_routable() {
            return None;
        }
        let (mut realtime, mut deferrable) = (None, None);
        let mut lists = BTreeSet::new();
        for i in ctx.interactions.values() {
            let Some(standing) = self.scan_standing(agent, i, 0, ctx) else { continue };
            lists.insert((i.queue, i.channel));
            let side = if standing.realtime { &mut realtime } else { &mut deferrable };
            *side = Some(Standing::better(*side, standing));
        }
        let mut chosen = choose(realtime, deferrable, ctx.blending)?;
        if !chosen.realtime && self.scan_held_back(agent, &chosen, ctx) {
            let Some(now) = realtime else {
                self.blend_blocked.insert(agent.id());
                return None;
            };
            chosen = now;
        }
        let candidates = u32::try_from(lists.len()).unwrap_or(u32::MAX);
        Some(InteractionChoice { interaction: chosen.id, queue_priority: chosen.rank.1, candidates })
    }

    /// How `i` stands for `agent`, if they could be offered it once its wait
    /// is `horizon_ms` longer: it is queued in one of their queues, they are
    /// routable with room on its channel, qualified, have not declined it
    /// (when declines are remembered) and its wait then reaches their delay.
    fn scan_standing(&self, agent: &Agent, i: &Interaction, horizon_ms: i64, ctx: &Context<'_>) -> Option<Standing> {
        if !i.is_queued() || !agent.is_routable() || self.closed.contains(&i.queue) {
            return None;
        }
        let m = agent.config.queues.iter().find(|m| m.queue == i.queue)?;
        let qcfg = ctx.queues.get(&i.queue)?;
        let cutoff = ctx.now.as_millis().saturating_sub(duration_millis(m.delay)).saturating_add(horizon_ms);
        if i.queue_entered_at.as_millis() > cutoff
            || !super::has_room(&self.config, agent, i.channel)
            || !self.admits(agent, i, ctx.interactions.tag(&i.id))
            || ctx.declined(i, agent.id())
        {
            return None;
        }
        Some(Standing::of(self.is_realtime(i.channel), m.priority.unwrap_or(qcfg.priority), i, qcfg, ctx.now))
    }

    /// [`Router::held_back`] by scanning.
    fn scan_held_back(&self, agent: &Agent, e: &Standing, ctx: &Context<'_>) -> bool {
        self.scan_realtime_within_horizon(agent, ctx).is_some_and(|r| !deferrable_first(e, &r, ctx.blending))
    }

    /// [`Router::realtime_within_horizon`] by scanning every live interaction.
    pub(super) fn scan_realtime_within_horizon(&self, agent: &Agent, ctx: &Context<'_>) -> Option<Standing> {
        let mut best = None;
        for i in ctx.interactions.values() {
            if !self.is_realtime(i.channel) {
                continue;
            }
            if let Some(standing) = self.scan_standing(agent, i, ctx.blend_horizon_ms, ctx) {
                best = Some(Standing::better(best, standing));
            }
        }
        best
    }
}
