//! The two routing decisions.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::bitset::Bitset;
use super::heads::LEVELS_INLINE;
use super::{AgentKey, ChannelIndex, Router, SigId, WaitKey, agent_key};
use crate::ids::{AgentId, IdMap, InteractionId, QueueId};
use crate::model::agent::Agent;
use crate::model::interaction::Interaction;
use crate::model::queue::{AgentSelection, QueueConfig};
use crate::time::{Timestamp, duration_millis};

/// With this many candidates or fewer, the candidates are sorted rather than
/// the pool walked: a walk visits about pool ÷ candidates entries.
const SORT_CANDIDATES_UP_TO: u32 = 16;

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
    /// (Queue, channel) lists in which an interaction the agent could take was found and compared.
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

    pub(super) fn declined(&self, interaction: &Interaction, agent: AgentId) -> bool {
        self.never_reoffer_to_decliners && interaction.declined_by.binary_search(&agent).is_ok()
    }

    /// Whether `agent` may never be offered interaction `id` again.
    pub(crate) fn declined_id(&self, id: InteractionId, agent: AgentId) -> bool {
        self.never_reoffer_to_decliners && self.interactions.get(&id).is_some_and(|i| self.declined(i, agent))
    }
}

/// How an agent ranks an interaction they could take; the highest wins:
/// real-time first, their priority for the queue, effective priority, then
/// earlier place in line and earlier arrival.
pub(super) type Rank = (bool, i32, i128, Reverse<i64>, Reverse<u64>);

/// The rank of waiting `w` in a queue the agent joined with `priority`.
pub(super) fn rank(realtime: bool, priority: i32, w: &WaitKey, aging_per_minute: u32, now: Timestamp) -> Rank {
    (realtime, priority, w.effective_scaled(aging_per_minute, now), Reverse(w.entered_ms), Reverse(w.seq))
}

impl Router {
    /// Which agent should take waiting interaction `i` now?
    ///
    /// Among the ready members of its queue and channel whose delay the
    /// interaction's wait has reached and who satisfy its requirements, the
    /// lowest (strategy key, agent id) wins. Agents who declined it are skipped
    /// when the engine is configured so; for deferrable work, agents with
    /// real-time work waiting for them are skipped and remembered as
    /// blend-blocked (those ahead of the winner, in each delay tier). Agents
    /// who drain for headroom are skipped and recorded with their cause.
    pub(crate) fn select_agent(&mut self, i: &Interaction, sig: SigId, ctx: &Context<'_>) -> Option<AgentChoice> {
        if self.scans() {
            return self.scan_select_agent(i, ctx);
        }
        let waited_ms = ctx.now.millis_since(i.queue_entered_at);
        let q = self.queues.get(&i.queue)?;
        let ch = q.channels.get(&i.channel)?;
        let reqs = &self.sigs[sig as usize];
        let strategy = ctx.queues.get(&i.queue).map(|c| c.strategy).unwrap_or_default();
        let deferrable = !ch.realtime;
        let mut best: Option<(AgentKey, AgentId)> = None;
        let mut candidates = 0u32;
        let mut blocked = Vec::new();
        let mut drained = Vec::new();
        let no_reqs = crate::model::skill::Requirements::default();
        let holders: Vec<Option<&Bitset>> = reqs.iter().map(|r| q.holders(r.skill, r.min_level)).collect();
        let qualifies = |slot: u32| holders.iter().all(|h| h.is_some_and(|b| b.contains(slot)));
        for tier in ch.tiers.range(..=waited_ms).map(|(_, tier)| tier) {
            if tier.pool.is_empty() {
                continue;
            }
            let count = Bitset::intersection_len(&tier.ready, &holders);
            candidates = candidates.saturating_add(count);
            if count == 0 {
                continue;
            }
            // The tier's first acceptable candidate in (strategy key, id)
            // order competes for best; those passed over for blending are blocked.
            let mut take = |entry: (AgentKey, AgentId)| -> bool {
                if ctx.declined(i, entry.1) {
                    return false;
                }
                if let Some(cause) = self.candidate_drains(entry.1, ctx) {
                    drained.push((entry.1, cause));
                    return false;
                }
                if deferrable {
                    let agent = ctx.agents.get(&entry.1).expect("ready agents exist");
                    if self.realtime_waiting_for(agent, ctx) {
                        blocked.push(entry.1);
                        return false;
                    }
                }
                if best.is_none_or(|b| entry < b) {
                    best = Some(entry);
                }
                true
            };
            // Sorting costs an agent lookup per candidate; walking the pool, about
            // pool ÷ candidates cheap steps. Sort when candidates are few.
            let few = count <= SORT_CANDIDATES_UP_TO || u64::from(count).pow(2) * 20 <= tier.pool.len() as u64;
            if strategy == AgentSelection::MostProficient || few {
                // The pool's key; for the most proficient, the key for these requirements.
                let scored = if strategy == AgentSelection::MostProficient { reqs } else { &no_reqs };
                let mut sorted = Vec::with_capacity(count as usize);
                Bitset::for_each_common(&tier.ready, &holders, |slot| {
                    let id = q.slots.get(slot as usize).copied().flatten();
                    if let Some((id, agent)) = id.and_then(|id| ctx.agents.get(&id).map(|a| (id, a))) {
                        sorted.push((agent_key(strategy, agent, i.queue, scored), id));
                    }
                });
                sorted.sort_unstable();
                for entry in sorted {
                    if take(entry) {
                        break;
                    }
                }
            } else {
                for (key, id, slot) in &tier.pool {
                    if qualifies(*slot) && take((*key, *id)) {
                        break;
                    }
                }
            }
        }
        self.blend_blocked.extend(blocked);
        self.note_drained(drained);
        best.map(|(_, agent)| AgentChoice { agent, candidates })
    }

    /// Which waiting interaction should `agent` take now?
    ///
    /// In every (queue, channel) the agent is ready for, the best waiting
    /// interaction they qualify for, have not declined (when declines are
    /// remembered) and whose wait has reached their delay; then the best of
    /// those by [`Rank`]. Deferrable work is taken only when no real-time
    /// work the agent qualifies for is waiting in their queues (otherwise the
    /// agent is remembered as blend-blocked). An agent who drains for
    /// headroom takes nothing (both routers; see [`Router::drain_cause`]).
    pub(crate) fn select_interaction(&mut self, agent: &Agent, ctx: &Context<'_>) -> Option<InteractionChoice> {
        if self.drain_holds_back(agent, ctx) {
            return None;
        }
        if self.scans() {
            return self.scan_select_interaction(agent, ctx);
        }
        let mut best: Option<(Rank, InteractionId)> = None;
        let mut candidates = 0u32;
        for place in self.places.get(&agent.id()).into_iter().flatten() {
            if place.ready.is_none() {
                continue;
            }
            let Some(ch) = self.queues.get(&place.queue).and_then(|q| q.channels.get(&place.channel)) else { continue };
            if ch.heads.is_empty() {
                continue;
            }
            let Some(m) = agent.config.queues.iter().find(|m| m.queue == place.queue) else { continue };
            let Some(qcfg) = ctx.queues.get(&place.queue) else { continue };
            let cutoff = ctx.now.as_millis().saturating_sub(duration_millis(m.delay));
            let Some(w) = self.best_waiting_for(ch, agent, cutoff, ctx) else { continue };
            candidates = candidates.saturating_add(1);
            let rank =
                rank(ch.realtime, m.priority.unwrap_or(qcfg.priority), &w, qcfg.aging.points_per_minute, ctx.now);
            if best.as_ref().is_none_or(|(b, _)| rank > *b) {
                best = Some((rank, w.id));
            }
        }
        let (rank, interaction) = best?;
        if !rank.0 && self.realtime_waiting_for(agent, ctx) {
            self.blend_blocked.insert(agent.id());
            return None;
        }
        Some(InteractionChoice { interaction, queue_priority: rank.1, candidates })
    }

    /// The first interaction of `ch`, in routing order, that `agent`
    /// qualifies for, has not declined and that entered at or before `cutoff`.
    ///
    /// Looks only at combinations of skills the agent holds; in each, walks
    /// the list heads in routing order, skipping lists whose levels the agent
    /// does not meet, and stops at the first head no better than the best
    /// found so far: every later interaction ranks below it.
    pub(super) fn best_waiting_for(
        &self,
        ch: &ChannelIndex,
        agent: &Agent,
        cutoff: i64,
        ctx: &Context<'_>,
    ) -> Option<WaitKey> {
        let mut best: Option<WaitKey> = None;
        ch.heads.any_combination(&agent.config.skills, |_, combination, held| {
            for (head, sig, levels) in combination {
                if best.is_some_and(|b| *head >= b) {
                    break;
                }
                if !self.meets(agent, held, *sig, levels) {
                    continue;
                }
                // Usually the head itself is the one: no need to look into the list.
                if head.entered_ms <= cutoff && !ctx.declined_id(head.id, agent.id()) {
                    best = Some(*head);
                    continue;
                }
                for (_, w) in ch.waiting.range((*sig, *head)..).take_while(|(s, _)| s == sig) {
                    if best.is_some_and(|b| *w >= b) {
                        break;
                    }
                    if w.entered_ms <= cutoff && !ctx.declined_id(w.id, agent.id()) {
                        best = Some(*w);
                        break;
                    }
                }
            }
            false
        });
        best
    }

    /// Whether a real-time interaction that `agent` is qualified for (skills
    /// and channel, whatever their current load or delay) waits in one of
    /// their queues, and may be offered to them (they have not declined it,
    /// when declined work is never re-offered).
    pub(crate) fn realtime_waiting_for(&self, agent: &Agent, ctx: &Context<'_>) -> bool {
        if self.scans() {
            return self.scan_realtime_waiting_for(agent, ctx);
        }
        agent.config.queues.iter().any(|m| {
            self.queues.get(&m.queue).is_some_and(|q| {
                q.channels.iter().any(|(channel, ch)| {
                    ch.realtime
                        && agent.config.capacity.channel(*channel).is_some()
                        && self.qualified_waiting(ch, agent, ctx)
                })
            })
        })
    }

    /// Whether `ch` holds an interaction `agent` satisfies and has not declined.
    fn qualified_waiting(&self, ch: &ChannelIndex, agent: &Agent, ctx: &Context<'_>) -> bool {
        ch.heads.any_combination(&agent.config.skills, |_, combination, held| {
            combination.iter().any(|(head, sig, levels)| {
                self.meets(agent, held, *sig, levels)
                    && ch
                        .waiting
                        .range((*sig, *head)..)
                        .take_while(|(s, _)| s == sig)
                        .any(|(_, w)| !ctx.declined_id(w.id, agent.id()))
            })
        })
    }

    /// Whether `agent`, holding `held` of a combination's skills, meets the
    /// levels of requirement set `sig` (read inline when the set is small).
    fn meets(
        &self,
        agent: &Agent,
        held: Option<[u8; LEVELS_INLINE]>,
        sig: SigId,
        levels: &[u8; LEVELS_INLINE],
    ) -> bool {
        match held {
            Some(held) => levels.iter().zip(held).all(|(need, have)| *need <= have),
            None => agent.config.skills.satisfies(&self.sigs[sig as usize]),
        }
    }

    /// The next time a member delay of `i`'s queue will be reached, if any.
    pub(crate) fn next_delay_wake(&self, i: &Interaction, now: Timestamp) -> Option<Timestamp> {
        let waited_ms = now.millis_since(i.queue_entered_at);
        let q = self.queues.get(&i.queue)?;
        let (delay, _) = q.delays.range(waited_ms.saturating_add(1)..).next()?;
        Some(Timestamp::from_millis(i.queue_entered_at.as_millis().saturating_add(*delay)))
    }
}
