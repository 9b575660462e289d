//! The routing index and the two routing decisions.
//!
//! Everything here is derived from the engine's state and can be rebuilt
//! from it (which is how snapshots restore it). It answers two questions in
//! roughly logarithmic time:
//!
//! * **Which agent?** An interaction waits in a *group*: its queue, channel
//!   and requirement *signature*. Each group has a *pool* of the agents who
//!   could take it right now (routable, qualified, with room on the channel),
//!   split into tiers by the agent's delay for the queue and sorted by the
//!   queue's strategy key. The best agent is the first acceptable one of the
//!   tiers the interaction's wait has reached.
//! * **Which interaction?** An agent with room looks at the head of each
//!   group they are pooled in, across all their queues, and takes the best by
//!   (their priority for the queue, effective priority, place in line,
//!   arrival sequence).

pub(crate) mod select;
mod strategy;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{AgentId, IdMap, InteractionId, QueueId};
use crate::model::agent::Agent;
use crate::model::channel::Channel;
use crate::model::interaction::Interaction;
use crate::model::queue::QueueConfig;
use crate::model::skill::Requirements;
use crate::time::{Timestamp, duration_millis};

pub(crate) use strategy::{AgentKey, agent_key};

/// Interned requirement set.
pub(crate) type SigId = u32;

/// A waiting list: one queue, one channel, one requirement signature.
pub(crate) type GroupKey = (QueueId, Channel, SigId);

/// Aging is expressed per minute; effective priorities are scaled by this
/// so that they stay integers.
const PRIORITY_SCALE: i128 = 60_000;

/// An interaction's place in its waiting list. Sorting ascending gives
/// routing order: highest static priority, then earliest place in line,
/// then arrival sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WaitKey {
    neg_static_priority: i128,
    entered_ms: i64,
    seq: u64,
    pub(crate) id: InteractionId,
}

impl WaitKey {
    /// Linear aging keeps a static key: `p + r·(now − t) = (p − r·t) + r·now`,
    /// so the order within a queue never changes as time passes.
    pub(crate) fn new(i: &Interaction, aging_per_minute: u32) -> Self {
        let stat = i128::from(i.priority) * PRIORITY_SCALE
            - i128::from(aging_per_minute) * i128::from(i.queue_entered_at.as_millis());
        WaitKey { neg_static_priority: -stat, entered_ms: i.queue_entered_at.as_millis(), seq: i.seq, id: i.id }
    }

    /// Effective priority at `now`, scaled by [`PRIORITY_SCALE`].
    fn effective_scaled(&self, aging_per_minute: u32, now: Timestamp) -> i128 {
        -self.neg_static_priority + i128::from(aging_per_minute) * i128::from(now.as_millis())
    }

    /// Effective priority at `now`, in whole points (rounded down).
    pub(crate) fn effective_points(&self, aging_per_minute: u32, now: Timestamp) -> i64 {
        let scaled = self.effective_scaled(aging_per_minute, now).div_euclid(PRIORITY_SCALE);
        i64::try_from(scaled).unwrap_or(if scaled < 0 { i64::MIN } else { i64::MAX })
    }
}

/// What [`Router::dequeue`] took an interaction out of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dequeued {
    /// A real-time list, which is now empty or not.
    RealTime {
        /// The list holds nothing more.
        emptied: bool,
    },
    /// A deferrable list.
    Deferrable,
    /// It was in no list.
    NotFound,
}

/// One waiting list and the pool of agents who could take its interactions now.
#[derive(Clone, Debug, Default)]
pub(crate) struct Group {
    pub(crate) realtime: bool,
    pub(crate) waiting: BTreeSet<WaitKey>,
    /// Agents by their delay for the queue (ms), each tier sorted by strategy key.
    pub(crate) pool: BTreeMap<i64, BTreeSet<(AgentKey, AgentId)>>,
}

/// A queue's part of the index.
#[derive(Clone, Debug, Default)]
pub(crate) struct QueueIndex {
    /// Members and their delay (ms) for this queue.
    pub(crate) members: BTreeMap<AgentId, i64>,
    /// How many members have each delay, so that waiting interactions can be
    /// woken when they reach one.
    pub(crate) delays: BTreeMap<i64, u32>,
    pub(crate) groups: BTreeMap<(Channel, SigId), Group>,
    pub(crate) waiting: usize,
}

/// The whole routing index.
#[derive(Clone, Debug, Default)]
pub(crate) struct Router {
    /// Interned requirement sets, by signature. A freed slot keeps its old
    /// set until reused; `sig_ids` says which slots are live.
    sigs: Vec<Requirements>,
    sig_ids: BTreeMap<Requirements, SigId>,
    /// Live interactions holding each signature; the last one out frees it.
    sig_holders: Vec<u32>,
    /// The (queue, channel) of every waiting list of each signature, so a freed signature takes its lists along.
    sig_groups: Vec<BTreeSet<(QueueId, Channel)>>,
    /// Freed signatures, reused lowest first so the numbering depends on the commands alone.
    free_sigs: BTreeSet<SigId>,
    pub(crate) queues: BTreeMap<QueueId, QueueIndex>,
    /// Where each agent currently sits: group → (delay tier, key).
    pub(crate) placements: IdMap<AgentId, BTreeMap<GroupKey, (i64, AgentKey)>>,
    /// The groups each agent is qualified for by skills, channel and
    /// membership, with their delay: what changes only with configuration,
    /// so the hot path looks at these groups alone.
    qualified: IdMap<AgentId, BTreeMap<GroupKey, i64>>,
    /// Agents refused deferrable work because real-time work they qualify
    /// for was waiting; looked at again when a real-time list empties.
    pub(crate) blend_blocked: BTreeSet<AgentId>,
}

impl Router {
    /// An empty index whose hash maps start from `key`.
    pub(crate) fn new(key: crate::ids::IdHashKey) -> Self {
        Router { placements: IdMap::with_hasher(key), qualified: IdMap::with_hasher(key), ..Router::default() }
    }

    /// The signature of a requirement set, if already interned.
    pub(crate) fn sig_of(&self, reqs: &Requirements) -> Option<SigId> {
        self.sig_ids.get(reqs).copied()
    }

    /// Number of live signatures: distinct requirement sets of live interactions.
    pub(crate) fn sig_count(&self) -> usize {
        self.sig_ids.len()
    }

    /// Takes a hold on a requirement set for one live interaction, interning
    /// it if new. The caller has checked the signature limit.
    pub(crate) fn acquire(&mut self, reqs: &Requirements) -> SigId {
        if let Some(id) = self.sig_ids.get(reqs) {
            let holders = &mut self.sig_holders[*id as usize];
            *holders = holders.saturating_add(1);
            return *id;
        }
        let id = match self.free_sigs.pop_first() {
            Some(id) => {
                self.sigs[id as usize] = reqs.clone();
                self.sig_holders[id as usize] = 1;
                id
            }
            None => {
                let id = SigId::try_from(self.sigs.len())
                    .expect("live signatures are bounded by Limits::max_signatures, a u32");
                self.sigs.push(reqs.clone());
                self.sig_holders.push(1);
                self.sig_groups.push(BTreeSet::new());
                id
            }
        };
        self.sig_ids.insert(reqs.clone(), id);
        id
    }

    /// Lets go of one hold on a signature. The last hold frees it, with its
    /// waiting lists (all empty: no live interaction needs the set) and every
    /// agent's place in them, so requirement sets seen once do not fill the
    /// index (or the signature limit) for the life of the process.
    pub(crate) fn release(&mut self, sig: SigId) {
        let holders = &mut self.sig_holders[sig as usize];
        *holders = holders.saturating_sub(1);
        if *holders > 0 {
            return;
        }
        let reqs = std::mem::take(&mut self.sigs[sig as usize]);
        self.sig_ids.remove(&reqs);
        self.free_sigs.insert(sig);
        for (queue, channel) in std::mem::take(&mut self.sig_groups[sig as usize]) {
            let Some(q) = self.queues.get_mut(&queue) else { continue };
            let group = q.groups.remove(&(channel, sig));
            debug_assert!(group.is_none_or(|g| g.waiting.is_empty()), "a freed signature's lists are empty");
            let gk = (queue, channel, sig);
            for agent in q.members.keys() {
                if let Some(qualified) = self.qualified.get_mut(agent) {
                    qualified.remove(&gk);
                }
                if let Some(placed) = self.placements.get_mut(agent) {
                    placed.remove(&gk);
                }
            }
        }
    }

    /// The requirement set of a signature.
    pub(crate) fn requirements(&self, sig: SigId) -> &Requirements {
        &self.sigs[sig as usize]
    }

    pub(crate) fn add_queue(&mut self, queue: QueueId) {
        self.queues.entry(queue).or_default();
    }

    /// Records an agent's memberships (delays per queue).
    pub(crate) fn add_member(&mut self, agent: AgentId, queue: QueueId, delay_ms: i64) {
        let q = self.queues.entry(queue).or_default();
        if q.members.insert(agent, delay_ms).is_none() {
            *q.delays.entry(delay_ms).or_insert(0) += 1;
        }
    }

    /// Forgets an agent's membership of a queue. Call [`Router::place_agent`] afterwards.
    pub(crate) fn remove_member(&mut self, agent: AgentId, queue: QueueId) {
        let Some(q) = self.queues.get_mut(&queue) else { return };
        if let Some(delay) = q.members.remove(&agent) {
            if let Some(n) = q.delays.get_mut(&delay) {
                *n -= 1;
                if *n == 0 {
                    q.delays.remove(&delay);
                }
            }
        }
    }

    /// Puts an interaction in its waiting list, creating the list (and
    /// filling its pool from the queue's members) the first time.
    pub(crate) fn enqueue(
        &mut self,
        i: &Interaction,
        sig: SigId,
        queue: &QueueConfig,
        realtime: bool,
        agents: &IdMap<AgentId, Agent>,
    ) {
        let gkey = (i.channel, sig);
        let exists = self.queues.get(&i.queue).is_some_and(|q| q.groups.contains_key(&gkey));
        if !exists {
            self.create_group(i.queue, i.channel, sig, queue, realtime, agents);
        }
        let q = self.queues.get_mut(&i.queue).expect("enqueue: queue index exists for every configured queue");
        let g = q.groups.get_mut(&gkey).expect("enqueue: group was just ensured");
        if g.waiting.insert(WaitKey::new(i, queue.aging.points_per_minute)) {
            q.waiting += 1;
        }
    }

    fn create_group(
        &mut self,
        queue: QueueId,
        channel: Channel,
        sig: SigId,
        qcfg: &QueueConfig,
        realtime: bool,
        agents: &IdMap<AgentId, Agent>,
    ) {
        let reqs = self.sigs[sig as usize].clone();
        let q = self.queues.entry(queue).or_default();
        let mut group = Group { realtime, ..Group::default() };
        for (agent_id, delay) in &q.members {
            let Some(agent) = agents.get(agent_id) else { continue };
            if qualifies(agent, channel, &reqs) {
                self.qualified.entry(*agent_id).or_default().insert((queue, channel, sig), *delay);
            }
            if eligible(agent, channel, &reqs) {
                let key = agent_key(qcfg.strategy, agent, queue, &reqs);
                group.pool.entry(*delay).or_default().insert((key, *agent_id));
                self.placements.entry(*agent_id).or_default().insert((queue, channel, sig), (*delay, key));
            }
        }
        q.groups.insert((channel, sig), group);
        self.sig_groups[sig as usize].insert((queue, channel));
    }

    /// Takes an interaction out of its waiting list, saying what kind of list it left.
    pub(crate) fn dequeue(&mut self, i: &Interaction, sig: SigId, aging_per_minute: u32) -> Dequeued {
        let Some(q) = self.queues.get_mut(&i.queue) else { return Dequeued::NotFound };
        let Some(g) = q.groups.get_mut(&(i.channel, sig)) else { return Dequeued::NotFound };
        if !g.waiting.remove(&WaitKey::new(i, aging_per_minute)) {
            return Dequeued::NotFound;
        }
        q.waiting -= 1;
        if g.realtime { Dequeued::RealTime { emptied: g.waiting.is_empty() } } else { Dequeued::Deferrable }
    }

    /// Moves an agent to the right place in every pool of their queues:
    /// in a pool exactly when routable, qualified and with room on its
    /// channel, with a fresh strategy key.
    pub(crate) fn place_agent(&mut self, agent: &Agent, queues: &BTreeMap<QueueId, QueueConfig>) {
        let id = agent.id();
        let routable = agent.is_routable();
        // Taken out and put back so the pools can be changed while walking them; no allocation.
        let qualified = self.qualified.get_mut(&id).map(std::mem::take).unwrap_or_default();
        let mut placed = self.placements.get_mut(&id).map(std::mem::take).unwrap_or_default();
        for (gk, delay) in &qualified {
            let (queue, channel, sig) = *gk;
            let want = (routable && agent.load.has_room(&agent.config.capacity, channel)).then(|| {
                let strategy = queues.get(&queue).map(|q| q.strategy).unwrap_or_default();
                (*delay, agent_key(strategy, agent, queue, &self.sigs[sig as usize]))
            });
            let have = placed.get(gk).copied();
            if want == have {
                continue;
            }
            let g = self
                .queues
                .get_mut(&queue)
                .and_then(|q| q.groups.get_mut(&(channel, sig)))
                .expect("place_agent: qualified groups exist");
            if let Some(old) = have {
                if let Some(tier) = g.pool.get_mut(&old.0) {
                    tier.remove(&(old.1, id));
                    if tier.is_empty() {
                        // Dropping empty tiers keeps tier scans short.
                        g.pool.remove(&old.0);
                    }
                }
            }
            match want {
                Some(new) => {
                    g.pool.entry(new.0).or_default().insert((new.1, id));
                    placed.insert(*gk, new);
                }
                None => {
                    placed.remove(gk);
                }
            }
        }
        // An agent's entry stays even when empty: a busy agent leaves every
        // pool and comes back many times a day, and the map is reused.
        match self.placements.get_mut(&id) {
            Some(slot) => *slot = placed,
            None if !placed.is_empty() => {
                self.placements.insert(id, placed);
            }
            None => {}
        }
        if let Some(slot) = self.qualified.get_mut(&id) {
            *slot = qualified;
        }
    }

    /// Takes an agent out of one pool, dropping the tier if it empties so tier scans stay short.
    fn unpool(&mut self, gk: &GroupKey, placed: &(i64, AgentKey), agent: AgentId) {
        let (queue, channel, sig) = *gk;
        let Some(g) = self.queues.get_mut(&queue).and_then(|q| q.groups.get_mut(&(channel, sig))) else { return };
        if let Some(tier) = g.pool.get_mut(&placed.0) {
            tier.remove(&(placed.1, agent));
            if tier.is_empty() {
                g.pool.remove(&placed.0);
            }
        }
    }

    /// Recomputes which groups an agent qualifies for, after their skills,
    /// capacity or queues changed. Call [`Router::place_agent`] afterwards.
    pub(crate) fn requalify(&mut self, agent: &Agent) {
        let mut qualified = BTreeMap::new();
        for m in &agent.config.queues {
            let Some(qi) = self.queues.get(&m.queue) else { continue };
            for (channel, sig) in qi.groups.keys() {
                if qualifies(agent, *channel, &self.sigs[*sig as usize]) {
                    qualified.insert((m.queue, *channel, *sig), duration_millis(m.delay));
                }
            }
        }
        // Leave no placement behind in a group the agent no longer qualifies
        // for, or under an old delay: place_agent only walks qualified groups.
        let placed = self.placements.remove(&agent.id()).unwrap_or_default();
        let mut kept = BTreeMap::new();
        for (gk, p) in placed {
            if qualified.get(&gk) == Some(&p.0) {
                kept.insert(gk, p);
            } else {
                self.unpool(&gk, &p, agent.id());
            }
        }
        if !kept.is_empty() {
            self.placements.insert(agent.id(), kept);
        }
        self.qualified.insert(agent.id(), qualified);
    }

    /// Forgets an agent entirely (they are removed).
    pub(crate) fn forget_agent(&mut self, agent: &Agent, queues: &BTreeMap<QueueId, QueueConfig>) {
        let mut gone = agent.clone();
        gone.logged_in = false;
        self.place_agent(&gone, queues);
        for m in &agent.config.queues {
            self.remove_member(agent.id(), m.queue);
        }
        self.blend_blocked.remove(&agent.id());
        self.qualified.remove(&agent.id());
    }

    /// The interactions waiting in a queue, in routing order at `now` (for views).
    pub(crate) fn waiting_in_order(&self, queue: QueueId, aging_per_minute: u32, now: Timestamp) -> Vec<InteractionId> {
        let Some(q) = self.queues.get(&queue) else { return Vec::new() };
        let mut all: Vec<(Reverse<i128>, i64, u64, InteractionId)> = q
            .groups
            .values()
            .flat_map(|g| g.waiting.iter())
            .map(|w| (Reverse(w.effective_scaled(aging_per_minute, now)), w.entered_ms, w.seq, w.id))
            .collect();
        all.sort_unstable();
        all.into_iter().map(|(_, _, _, id)| id).collect()
    }

    /// Whether a real-time interaction that `agent` is qualified for (skills
    /// and channel, whatever their current load) waits in one of their
    /// queues, and may be offered to them (they have not declined it, when
    /// declined work is never re-offered).
    pub(crate) fn realtime_waiting_for(&self, agent: &Agent, ctx: &select::Context<'_>) -> bool {
        self.qualified.get(&agent.id()).into_iter().flatten().any(|((queue, channel, sig), _)| {
            self.queues.get(queue).and_then(|q| q.groups.get(&(*channel, *sig))).is_some_and(|g| {
                g.realtime && !g.waiting.is_empty() && g.waiting.iter().any(|w| !ctx.declined_id(w.id, agent.id()))
            })
        })
    }
}

/// Whether an agent's configuration lets them serve `channel` and `reqs` at all.
fn qualifies(agent: &Agent, channel: Channel, reqs: &Requirements) -> bool {
    agent.config.capacity.channel(channel).is_some() && agent.config.skills.satisfies(reqs)
}

/// Whether an agent belongs in a pool for `channel` and `reqs` right now.
fn eligible(agent: &Agent, channel: Channel, reqs: &Requirements) -> bool {
    agent.is_routable() && agent.load.has_room(&agent.config.capacity, channel) && agent.config.skills.satisfies(reqs)
}
