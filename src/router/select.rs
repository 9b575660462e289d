//! The two routing decisions.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::bitset::Bitset;
use super::declines::Pick;
use super::heads::LEVELS_INLINE;
use super::{AgentKey, ChannelIndex, QueueIndex, Router, Seat, SigId, WaitKey, agent_key};
use crate::config::Blending;
use crate::dense::DenseMap;
use crate::ids::{AgentId, InteractionId, QueueId};
use crate::model::agent::Agent;
use crate::model::channel::Channel;
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
    pub(crate) agents: &'a DenseMap<AgentId, Agent>,
    pub(crate) interactions: &'a DenseMap<InteractionId, Interaction>,
    pub(crate) queues: &'a BTreeMap<QueueId, QueueConfig>,
    pub(crate) never_reoffer_to_decliners: bool,
    pub(crate) blending: Blending,
    /// [`EngineConfig::blend_horizon`](crate::EngineConfig::blend_horizon), in ms.
    pub(crate) blend_horizon_ms: i64,
    pub(crate) now: Timestamp,
    /// Agents an agent choice passes over: those already ringing for the
    /// interaction (a parallel offer).
    pub(crate) ringing: &'a [AgentId],
}

impl<'a> Context<'a> {
    /// The context from the engine's state, borrowed field by field so the
    /// router (another field) can be borrowed mutably beside it.
    pub(crate) fn new(
        agents: &'a DenseMap<AgentId, Agent>,
        interactions: &'a DenseMap<InteractionId, Interaction>,
        queues: &'a BTreeMap<QueueId, QueueConfig>,
        config: &crate::config::EngineConfig,
        now: Timestamp,
    ) -> Self {
        Context {
            agents,
            interactions,
            queues,
            never_reoffer_to_decliners: config.never_reoffer_to_decliners(),
            blending: config.blending(),
            blend_horizon_ms: duration_millis(config.blend_horizon()),
            now,
            ringing: &[],
        }
    }

    /// The same context for choosing more agents of a parallel offer, passing over those ringing.
    pub(crate) fn passing_over(self, ringing: &'a [AgentId]) -> Self {
        Context { ringing, ..self }
    }

    /// Whether an agent choice for `interaction` passes over `agent`: they
    /// may never be offered it again, or they ring for it already.
    pub(super) fn passes_over(&self, interaction: &Interaction, agent: AgentId) -> bool {
        self.declined(interaction, agent) || self.ringing.contains(&agent)
    }

    pub(super) fn declined(&self, interaction: &Interaction, agent: AgentId) -> bool {
        self.never_reoffer_to_decliners && interaction.declined_by().binary_search(&agent).is_ok()
    }

    /// The interaction of listed key `w`.
    pub(super) fn listed(&self, w: &WaitKey) -> &'a Interaction {
        self.interactions.at_slot(w.at).expect("a listed interaction is live")
    }

    /// Whether `agent` may never be offered the interaction of listed key `w` again.
    pub(super) fn declined_listed(&self, w: &WaitKey, agent: AgentId) -> bool {
        self.never_reoffer_to_decliners && self.interactions.at_slot(w.at).is_some_and(|i| self.declined(i, agent))
    }
}

/// How an agent ranks an interaction against others of the same side
/// (real-time or deferrable); the highest wins: overdue first, earliest
/// deadline first; then their priority for the queue, effective priority,
/// earlier place in line and earlier arrival.
pub(super) type SideRank = (Option<Reverse<i64>>, i32, i128, Reverse<i64>, Reverse<u64>);

/// One interaction an agent could take, as the routing rule weighs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Standing {
    pub(super) rank: SideRank,
    pub(super) id: InteractionId,
    pub(super) realtime: bool,
    /// How long it has waited, from its place in line (ms).
    waited_ms: i64,
    /// Its queue's service-level threshold (ms): the response target of deferrable work.
    target_ms: i64,
}

impl Standing {
    /// Waiting `w` of `queue` (real-time or not), for an agent whose priority for the queue is `priority`.
    pub(super) fn new(
        realtime: bool,
        priority: i32,
        w: &WaitKey,
        id: InteractionId,
        queue: &QueueConfig,
        now: Timestamp,
    ) -> Self {
        Standing {
            rank: (
                w.overdue_deadline(queue).map(Reverse),
                priority,
                w.effective_scaled(now),
                Reverse(w.entered_ms()),
                Reverse(w.seq),
            ),
            id,
            realtime,
            waited_ms: now.as_millis().saturating_sub(w.entered_ms()).max(0),
            target_ms: duration_millis(queue.service_level.answer_within()),
        }
    }

    /// Interaction `i` of `queue`, ranked where it is in no list (for an
    /// agent whose priority for the queue is `priority`).
    pub(super) fn of(realtime: bool, priority: i32, i: &Interaction, queue: &QueueConfig, now: Timestamp) -> Self {
        Standing::new(realtime, priority, &WaitKey::ranking(i, queue), i.id, queue, now)
    }

    /// The better of two of the same side.
    pub(super) fn better(a: Option<Standing>, b: Standing) -> Standing {
        match a {
            Some(a) if a.rank > b.rank => a,
            _ => b,
        }
    }
}

/// Whether deferrable `e` goes before real-time `r`: steps 1 and 2 of the
/// routing rule. Overdue first, earliest deadline first; then [`Blending`]:
/// real-time first, or the larger share of its own target waited (equal
/// shares to real-time).
pub(super) fn deferrable_first(e: &Standing, r: &Standing, blending: Blending) -> bool {
    if e.rank.0 != r.rank.0 {
        return e.rank.0 > r.rank.0;
    }
    match blending {
        Blending::RealTimeFirst => false,
        Blending::ServiceLevel => {
            i128::from(e.waited_ms) * i128::from(r.target_ms) > i128::from(r.waited_ms) * i128::from(e.target_ms)
        }
    }
}

/// The one an agent takes of the best real-time and the best deferrable interaction they could take.
pub(super) fn choose(realtime: Option<Standing>, deferrable: Option<Standing>, blending: Blending) -> Option<Standing> {
    match (realtime, deferrable) {
        (Some(r), Some(e)) => Some(if deferrable_first(&e, &r, blending) { e } else { r }),
        (r, e) => r.or(e),
    }
}

impl Router {
    /// Which agent should take waiting interaction `i` now?
    ///
    /// Among the ready members of its queue and channel whose delay the
    /// interaction's wait has reached and who satisfy its requirements, the
    /// lowest (declined it, strategy key, agent id) wins: agents who declined
    /// it are a last resort (see [`declines`](super::declines)), and are
    /// skipped when the engine is configured so; for deferrable work, agents
    /// with real-time work waiting for them are skipped and remembered as
    /// blend-blocked (those ahead of the winner, in each delay tier).
    /// Agents who drain for headroom are skipped and recorded with their cause.
    pub(crate) fn select_agent(&mut self, i: &Interaction, sig: SigId, ctx: &Context<'_>) -> Option<AgentChoice> {
        // A queue closed by its business hours offers nothing.
        if self.closed.contains(&i.queue) {
            return None;
        }
        if self.scans() {
            return self.scan_select_agent(i, ctx);
        }
        let waited_ms = ctx.now.millis_since(i.queue_entered_at);
        let q = self.queues.get(&i.queue)?;
        let ch = q.channels.get(&i.channel)?;
        let reqs = &self.sigs[sig as usize];
        let qcfg = ctx.queues.get(&i.queue)?;
        let strategy = qcfg.strategy;
        let deferrable = !ch.realtime;
        // How the interaction stands against real-time work, whoever takes it.
        let standing = Standing::of(ch.realtime, 0, i, qcfg, ctx.now);
        let mut pick = Pick::default();
        let mut candidates = 0u32;
        let mut blocked = Vec::new();
        let mut drained = Vec::new();
        let no_reqs = crate::model::skill::Requirements::default();
        let holders = q.eligible_sets(reqs, self.rule_of(sig));
        let qualifies = |slot: u32| holders.iter().all(|h| h.is_some_and(|b| b.contains(slot)));
        for (delay, tier) in ch.tiers.range(..=waited_ms) {
            if tier.ready.is_empty() {
                continue;
            }
            let count = Bitset::intersection_len(&tier.ready, &holders);
            candidates = candidates.saturating_add(count);
            if count == 0 {
                continue;
            }
            // The tier's first acceptable non-decliner in (strategy key, id)
            // order competes for best (its decliners before it, for last
            // resort); those passed over for blending are blocked.
            let mut take = |entry: (AgentKey, AgentId)| -> bool {
                if ctx.passes_over(i, entry.1) {
                    return false;
                }
                if let Some(cause) = self.candidate_drains(entry.1, ctx) {
                    drained.push((entry.1, cause));
                    return false;
                }
                if deferrable {
                    let agent = ctx.agents.get(&entry.1).expect("ready agents exist");
                    if self.held_back(agent, &standing, ctx) {
                        blocked.push(entry.1);
                        return false;
                    }
                }
                pick.consider(i, entry)
            };
            // Sorting costs an agent lookup per candidate; walking the pool, about
            // pool ÷ candidates cheap steps. Sort when candidates are few.
            // The queue's pool of this delay holds every member ready on some channel of it.
            let pool = q.pools.get(delay);
            let pooled = pool.map_or(0, |p| p.len() as u64);
            let few = count <= SORT_CANDIDATES_UP_TO || u64::from(count).pow(2) * 20 <= pooled;
            if strategy == AgentSelection::MostProficient || few {
                // The pool's key; for the most proficient, the key for these requirements.
                let scored = if strategy == AgentSelection::MostProficient { reqs } else { &no_reqs };
                let mut sorted = Vec::with_capacity(count as usize);
                Bitset::for_each_common(&tier.ready, &holders, |slot| {
                    if let Some(agent) = q.member_at(slot).and_then(|at| ctx.agents.at_slot(at)) {
                        sorted.push((agent_key(strategy, agent, i.queue, scored), agent.id()));
                    }
                });
                sorted.sort_unstable();
                for entry in sorted {
                    if take(entry) {
                        break;
                    }
                }
            } else {
                for ((key, id), slot) in pool.into_iter().flatten() {
                    if tier.ready.contains(*slot) && qualifies(*slot) && take((*key, *id)) {
                        break;
                    }
                }
            }
        }
        self.blend_blocked.extend(blocked);
        self.note_drained(drained);
        pick.winner().map(|(_, agent)| AgentChoice { agent, candidates })
    }

    /// Which waiting interaction should `agent` take now?
    ///
    /// In every (queue, channel) the agent is ready for, the best waiting
    /// interaction they qualify for, have not declined (when declines are
    /// remembered) and whose wait has reached their delay; the best of those
    /// on each side (real-time, deferrable) by [`SideRank`]; then one of the
    /// two by [`choose`]. Deferrable work is not taken when real-time work
    /// the agent could be offered within the blend horizon beats it
    /// (the agent is then remembered as blend-blocked).
    /// An agent who drains for headroom takes nothing (both routers; see
    /// [`Router::drain_cause`]).
    pub(crate) fn select_interaction(&mut self, agent: &Agent, ctx: &Context<'_>) -> Option<InteractionChoice> {
        if self.drain_holds_back(agent, ctx) {
            return None;
        }
        if self.scans() {
            return self.scan_select_interaction(agent, ctx);
        }
        let (mut realtime, mut deferrable) = (None, None);
        let mut candidates = 0u32;
        let seats = ctx.agents.slot(&agent.id()).map_or(&[][..], |at| self.seats.get(at));
        for (seat, q, _, channel) in self.ready_places(seats, agent) {
            let Some(ch) = q.channels.get(&channel) else { continue };
            if ch.heads.is_empty() {
                continue;
            }
            let Some(m) = agent.config.queues.iter().find(|m| m.queue == seat.queue) else { continue };
            let Some(qcfg) = ctx.queues.get(&seat.queue) else { continue };
            let cutoff = ctx.now.as_millis().saturating_sub(duration_millis(m.delay));
            let Some(w) = self.best_waiting_for(seat.queue, ch, agent, cutoff, ctx) else { continue };
            candidates = candidates.saturating_add(1);
            let priority = m.priority.unwrap_or(qcfg.priority);
            let standing = Standing::new(ch.realtime, priority, &w, ctx.listed(&w).id, qcfg, ctx.now);
            let side = if ch.realtime { &mut realtime } else { &mut deferrable };
            *side = Some(Standing::better(*side, standing));
        }
        let mut chosen = choose(realtime, deferrable, ctx.blending)?;
        // With no horizon, the real-time work that could hold it back is
        // exactly what it was just chosen over.
        if !chosen.realtime && ctx.blend_horizon_ms > 0 && self.held_back(agent, &chosen, ctx) {
            // Holding deferrable work back for real-time work still to come
            // never idles an agent that real-time work waits for now.
            let Some(now) = realtime else {
                self.blend_blocked.insert(agent.id());
                return None;
            };
            chosen = now;
        }
        Some(InteractionChoice { interaction: chosen.id, queue_priority: chosen.rank.1, candidates })
    }

    /// Every (queue, channel) an agent with `seats` is ready in, in the order
    /// of their seats, then of their channels, skipping queues closed by
    /// their business hours: (seat, queue's index, the channel's place in
    /// their capacity profile, channel).
    fn ready_places<'s>(
        &'s self,
        seats: &'s [Seat],
        agent: &'s Agent,
    ) -> impl Iterator<Item = (&'s Seat, &'s QueueIndex, usize, Channel)> + 's {
        seats
            .iter()
            .filter(|seat| seat.pooled() && !self.closed.contains(&seat.queue))
            .filter_map(|seat| Some((seat, self.queues.get(&seat.queue)?)))
            .flat_map(move |(seat, q)| {
                agent
                    .config
                    .capacity
                    .channels()
                    .enumerate()
                    .filter(move |(i, (channel, _))| seat.ready_on(q, *i, *channel, agent))
                    .map(move |(i, (channel, _))| (seat, q, i, channel))
            })
    }

    /// The first interaction of `queue`'s `ch`, in routing order, that
    /// `agent` qualifies for, has not declined and that entered at or
    /// before `cutoff`.
    ///
    /// Looks only at combinations of skills the agent holds; in each, walks
    /// the list heads in routing order, skipping lists whose levels the agent
    /// does not meet (or whose rule does not admit them: one bit), and stops
    /// at the first head no better than the best found so far: every later
    /// interaction ranks below it.
    pub(super) fn best_waiting_for(
        &self,
        queue: QueueId,
        ch: &ChannelIndex,
        agent: &Agent,
        cutoff: i64,
        ctx: &Context<'_>,
    ) -> Option<WaitKey> {
        let mut best: Option<WaitKey> = None;
        // The agent's slot in the queue, looked up at the first list with a rule.
        let mut slot: Option<Option<(&QueueIndex, u32)>> = None;
        ch.heads.any_combination(&agent.config.skills, |_, combination, held| {
            for headed in combination {
                // As it is in the waiting set, so that it names the same entry there.
                let head = &headed.plain();
                let sig = &head.sig;
                if best.is_some_and(|b| *head >= b) {
                    break;
                }
                if !self.meets(agent, held, headed) {
                    continue;
                }
                if let Some(rule) = self.sig_rule[*sig as usize] {
                    let at = *slot.get_or_insert_with(|| {
                        let seat = super::seat_in(self.seats.get(ctx.agents.slot(&agent.id())?), queue)?;
                        Some((self.queues.get(&queue)?, seat.slot))
                    });
                    if !at.is_some_and(|(q, slot)| q.rule_admits(rule, slot)) {
                        continue;
                    }
                }
                // Usually the head itself is the one: no need to look into the list.
                if head.entered_ms <= cutoff && !ctx.declined_listed(head, agent.id()) {
                    best = Some(*head);
                    continue;
                }
                for super::Listed(w) in ch.waiting.range(super::Listed(*head)..).take_while(|l| l.0.sig == *sig) {
                    if best.is_some_and(|b| *w >= b) {
                        break;
                    }
                    if w.entered_ms <= cutoff && !ctx.declined_listed(w, agent.id()) {
                        best = Some(*w);
                        break;
                    }
                }
            }
            false
        });
        best
    }

    /// Whether blending holds waiting interaction `i` back from `agent` now
    /// (for views: "why still waiting"); never for real-time work.
    pub(crate) fn blend_holds_back(&self, agent: &Agent, i: &Interaction, ctx: &Context<'_>) -> bool {
        let Some(q) = ctx.queues.get(&i.queue) else { return false };
        !self.is_realtime(i.channel) && self.held_back(agent, &Standing::of(false, 0, i, q, ctx.now), ctx)
    }

    /// Whether deferrable work standing as `e` is held back from `agent`:
    /// a real-time interaction they could be offered within the blend
    /// horizon beats it (see [`Router::realtime_within_horizon`]).
    pub(super) fn held_back(&self, agent: &Agent, e: &Standing, ctx: &Context<'_>) -> bool {
        self.realtime_within_horizon(agent, ctx).is_some_and(|r| !deferrable_first(e, &r, ctx.blending))
    }

    /// The best real-time interaction (by [`SideRank`]) that `agent` could be
    /// offered now or within the blend horizon: in a (queue, channel) they are
    /// ready for (so with room on the channel now), qualified for, not
    /// declined (when declines are remembered), and whose wait reaches their
    /// delay for the queue within the horizon.
    pub(super) fn realtime_within_horizon(&self, agent: &Agent, ctx: &Context<'_>) -> Option<Standing> {
        if self.scans() {
            return self.scan_realtime_within_horizon(agent, ctx);
        }
        let mut best = None;
        let seats = ctx.agents.slot(&agent.id()).map_or(&[][..], |at| self.seats.get(at));
        for (seat, q, _, channel) in self.ready_places(seats, agent) {
            let Some(ch) = q.channels.get(&channel) else { continue };
            if !ch.realtime || ch.heads.is_empty() {
                continue;
            }
            let Some(m) = agent.config.queues.iter().find(|m| m.queue == seat.queue) else { continue };
            let Some(qcfg) = ctx.queues.get(&seat.queue) else { continue };
            let cutoff =
                ctx.now.as_millis().saturating_sub(duration_millis(m.delay)).saturating_add(ctx.blend_horizon_ms);
            let Some(w) = self.best_waiting_for(seat.queue, ch, agent, cutoff, ctx) else { continue };
            let priority = m.priority.unwrap_or(qcfg.priority);
            let standing = Standing::new(true, priority, &w, ctx.listed(&w).id, qcfg, ctx.now);
            best = Some(Standing::better(best, standing));
        }
        best
    }

    /// Whether `agent`, holding `held` of a combination's skills, meets the
    /// levels of the requirement set whose list `head` heads (read from the
    /// head when the set is small).
    fn meets(&self, agent: &Agent, held: Option<[u8; LEVELS_INLINE]>, head: &WaitKey) -> bool {
        match held {
            Some(held) => head.levels().iter().zip(held).all(|(need, have)| *need <= have),
            None => agent.config.skills.satisfies(&self.sigs[head.sig as usize]),
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
