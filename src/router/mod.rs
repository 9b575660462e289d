//! The routing index and the two routing decisions.
//!
//! Everything here is derived from the engine's state and can be rebuilt
//! from it (which is how snapshots restore it). The index is laid out so that
//! a decision's cost is set by the configuration (members per queue, queues
//! and channels per agent), not by how many interactions wait nor by how
//! many different requirement sets they carry:
//!
//! * Per queue, every member has a *slot*, and the queue keeps one
//!   [`Bitset`](bitset::Bitset) of slots per (skill, level) its members hold
//!   (who holds skill *s* at level *l* or above) and per channel they work.
//!   Whether members qualify for a requirement set is an AND of a few of
//!   those sets, one word per 64 members.
//! * Per (queue, channel), the *ready* agents (logged in, not paused, with
//!   room on the channel, asked in the channel's mode so that interruptible
//!   work is set aside for real-time channels: [`has_room`]) are a bitset
//!   per delay tier. Per queue and delay, the agents ready on any of its
//!   channels sit in one pool sorted by the queue's strategy key (an agent
//!   has one key per queue); a walk of the pool for a channel skips those
//!   not ready on it. An agent changing state moves in one pool per queue
//!   they serve, whatever is waiting.
//! * Per (queue, channel), waiting interactions sit in one ordered set keyed
//!   by (requirement set, place in line), so each requirement set's *list* is
//!   a range of it. Lists are created on their first interaction and dropped
//!   with their last. A list remembers how many members qualify for it; a list
//!   no member qualifies for is *parked*: no decision looks at it until an
//!   agent who qualifies joins. The heads of the other lists are kept in
//!   routing order.
//!
//! **Which agent?** For an interaction, the ready agents of its queue and
//! channel whose delay its wait has reached, ANDed with the requirement
//! bitsets, are exactly the qualified candidates; the best is the first in
//! strategy order (found by walking the pool, or by sorting the few
//! candidates when there are few).
//!
//! **Which interaction?** For an agent, in each (queue, channel) they are
//! ready for, the list heads are walked in routing order, skipping lists the
//! agent does not qualify for, and stopping as soon as no later head can win;
//! the best of those per-channel answers wins by (real-time first, the
//! agent's priority for the queue, effective priority, place in line,
//! arrival sequence).
//!
//! **Headroom.** An agent who drains for headroom (see [`headroom`]) takes
//! nothing in either decision; they are recorded with the interaction they
//! drain for and routed again when it leaves its list.
//!
//! [`RoutingIndex::Scan`](crate::RoutingIndex::Scan) answers both questions
//! by looking at everything instead ([`scan`]); tests hold the two to the
//! same events.

mod bitset;
mod check;
mod declines;
mod headroom;
mod heads;
mod scan;
pub(crate) mod select;
mod strategy;

use std::collections::{BTreeMap, BTreeSet};
use std::hash::BuildHasher;

use crate::config::{EngineConfig, RoutingIndex};
use crate::dense::DenseMap;
use crate::ids::{AgentId, IdHashKey, IdMap, InteractionId, QueueId, SkillId};
use crate::model::agent::Agent;
use crate::model::channel::{Channel, ChannelMode};
use crate::model::expression::Eligibility;
use crate::model::interaction::Interaction;
use crate::model::queue::QueueConfig;
use crate::model::skill::{Proficiency, Requirements};
use crate::time::{Timestamp, duration_millis};

use bitset::Bitset;
use heads::{Heads, Shape};
pub(crate) use strategy::{AgentKey, agent_key, random_stride};

/// Interned eligibility (requirement set and resolved rule).
pub(crate) type SigId = u32;

/// Whether `agent` has room for one more interaction of `channel`, asked in
/// the channel's mode (so work on interruptible channels is set aside for
/// real-time channels: see [`Load::has_room`](crate::Load::has_room)). The
/// one question about room that both routers, the index checks and the
/// engine's views ask. A channel the configuration does not know is asked as
/// deferrable (no agent lists one).
pub(crate) fn has_room(config: &EngineConfig, agent: &Agent, channel: Channel) -> bool {
    let mode = config.channel_mode(channel).unwrap_or(ChannelMode::Deferrable);
    agent.load.has_room(&agent.config.capacity, channel, mode)
}

/// Aging is expressed per minute; effective priorities are scaled by this
/// so that they stay integers.
const PRIORITY_SCALE: i128 = 60_000;

/// An interaction's place in its waiting list. Sorting ascending gives
/// routing order: overdue interactions first, earliest deadline first; then
/// highest static priority, earliest place in line, arrival sequence.
///
/// Forty bytes: it keeps what the order is worked out from (place in line,
/// priority with its step's boost, the queue's aging) rather than the
/// 128-bit static priority and the deadline themselves, and names the
/// interaction by its slot in the engine's dense storage (4 bytes, as queues
/// name members) rather than by id (8), with its requirement set in what is
/// left: an entry of a waiting set is the key alone (see [`Listed`]), where
/// a set, a deadline, a 128-bit priority and an id took 56 bytes. Every
/// waiting interaction has one in its waiting set, and every list's head one
/// more among the heads, so with thousands of requirement sets of one or two
/// interactions each, those bytes were about 40 per waiting interaction.
/// Comparing two keys multiplies instead: two widening multiplications.
///
/// Keys are compared only with keys of the same queue (within a waiting set
/// or the heads, whose queue is one): the same aging and the same bound on
/// waiting. Across queues, [`Standing`](select::Standing) ranks instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaitKey {
    /// Its place in line (ms).
    entered_ms: i64,
    /// Its arrival sequence: distinct for every live interaction (a snapshot
    /// with two alike is refused), so two keys never tie in routing order.
    seq: u64,
    /// Its priority, raised by the routing step it is in.
    priority: i64,
    /// Its queue's aging, points per minute.
    aging_per_minute: u32,
    /// Its slot in the engine's interactions ([`DenseMap::slot`]), fixed
    /// while it is live; [`WaitKey::NOWHERE`] for a key only ranked.
    pub(crate) at: u32,
    /// The signature it holds: the list it is in.
    pub(crate) sig: SigId,
    /// Whether it waited past its queue's bound.
    overdue: bool,
    /// As a head ([`heads::Combination`]): its list's minimum levels,
    /// three bits each, in what would be padding (a separate array made
    /// each head 48 bytes instead of 40). Zero in a waiting set or a
    /// ranking key.
    levels: u16,
}

const _: () = assert!(std::mem::size_of::<WaitKey>() == 40, "a waiting key is forty bytes");
const _: () = assert!(heads::LEVELS_INLINE * WaitKey::LEVEL_BITS <= 16, "a head's levels fit in its key's 16 bits");

/// An entry of a (queue, channel)'s waiting set: a key, ordered by
/// requirement set first, so that each set's list is a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Listed(pub(crate) WaitKey);

impl Ord for Listed {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.sig.cmp(&other.0.sig).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Listed {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl WaitKey {
    /// The slot of a key made only to rank an interaction, in no list.
    pub(crate) const NOWHERE: u32 = u32::MAX;

    /// Orders before every interaction's key: where a list's range starts
    /// (with its signature). Overdue, the earliest place in line, and a
    /// static priority above any an interaction can have (theirs is two
    /// `i32`s added).
    pub(crate) const MIN: WaitKey = WaitKey {
        entered_ms: i64::MIN,
        seq: 0,
        priority: i64::MAX,
        aging_per_minute: u32::MAX,
        at: 0,
        sig: 0,
        overdue: true,
        levels: 0,
    };

    /// The key of `i`, kept at slot `at` and holding signature `sig`, in
    /// `queue`'s lists.
    ///
    /// Linear aging keeps a static key: `p + r·(now − t) = (p − r·t) + r·now`,
    /// so the order within a queue never changes as time passes; becoming
    /// overdue is the one change of rank, made by a timer that moves the
    /// interaction.
    pub(crate) fn new(i: &Interaction, at: u32, sig: SigId, queue: &QueueConfig) -> Self {
        WaitKey {
            entered_ms: i.queue_entered_at.as_millis(),
            seq: i.seq,
            priority: i64::from(i.priority) + i64::from(i.step_boost(queue)),
            aging_per_minute: queue.aging.points_per_minute,
            at,
            sig,
            overdue: i.is_overdue(),
            levels: 0,
        }
    }

    /// Bits per level in [`WaitKey::levels`]: proficiency is 1 to 5.
    const LEVEL_BITS: usize = 3;

    /// This key as a head among the heads, carrying its list's minimum
    /// levels ([`heads::Shape::levels`]).
    pub(crate) fn with_levels(self, levels: [u8; heads::LEVELS_INLINE]) -> WaitKey {
        let max = (1u8 << Self::LEVEL_BITS) - 1;
        let levels = levels
            .iter()
            .enumerate()
            .fold(0u16, |packed, (n, level)| packed | u16::from((*level).min(max)) << (n * Self::LEVEL_BITS));
        WaitKey { levels, ..self }
    }

    /// This key without a head's levels: as it is in its waiting set.
    pub(crate) fn plain(self) -> WaitKey {
        WaitKey { levels: 0, ..self }
    }

    /// The minimum levels a head carries (all zero for a key that is no head).
    pub(crate) fn levels(&self) -> [u8; heads::LEVELS_INLINE] {
        let mask = (1u16 << Self::LEVEL_BITS) - 1;
        std::array::from_fn(|n| ((self.levels >> (n * Self::LEVEL_BITS)) & mask) as u8)
    }

    /// The key of `i` in `queue`, to rank it only (in no list, at no slot).
    pub(crate) fn ranking(i: &Interaction, queue: &QueueConfig) -> Self {
        WaitKey::new(i, WaitKey::NOWHERE, 0, queue)
    }

    /// Where `sig`'s list starts in a waiting set.
    fn first_of(sig: SigId) -> Listed {
        Listed(WaitKey { sig, ..WaitKey::MIN })
    }

    /// The static part of its effective priority, negated (so that lower
    /// sorts first), scaled by [`PRIORITY_SCALE`]: `r·t − p`.
    fn neg_static_priority(&self) -> i128 {
        i128::from(self.aging_per_minute) * i128::from(self.entered_ms) - i128::from(self.priority) * PRIORITY_SCALE
    }

    /// The deadline it passed in `queue`, its own, if overdue: its place in
    /// line plus the queue's bound on waiting (none: its place in line).
    /// Times and spans are bounded (year 9999, 100 years), so it never
    /// saturates: within a queue, deadlines are in the order of places in
    /// line, which is how [`Ord`] ranks overdue keys.
    pub(crate) fn overdue_deadline(&self, queue: &QueueConfig) -> Option<i64> {
        self.overdue.then(|| self.entered_ms.saturating_add(queue.max_wait_ms().unwrap_or(0)))
    }

    /// Its place in line (ms).
    pub(crate) fn entered_ms(&self) -> i64 {
        self.entered_ms
    }

    /// Effective priority at `now`, scaled by [`PRIORITY_SCALE`].
    fn effective_scaled(&self, now: Timestamp) -> i128 {
        -self.neg_static_priority() + i128::from(self.aging_per_minute) * i128::from(now.as_millis())
    }

    /// Effective priority at `now`, in whole points (rounded down).
    pub(crate) fn effective_points(&self, now: Timestamp) -> i64 {
        let scaled = self.effective_scaled(now).div_euclid(PRIORITY_SCALE);
        i64::try_from(scaled).unwrap_or(if scaled < 0 { i64::MIN } else { i64::MAX })
    }
}

impl Ord for WaitKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Overdue first, earliest deadline first: within a queue, earliest
        // place in line first (see `overdue_deadline`).
        other
            .overdue
            .cmp(&self.overdue)
            .then_with(|| if self.overdue { self.entered_ms.cmp(&other.entered_ms) } else { std::cmp::Ordering::Equal })
            .then_with(|| self.neg_static_priority().cmp(&other.neg_static_priority()))
            .then(self.entered_ms.cmp(&other.entered_ms))
            .then(self.seq.cmp(&other.seq))
            // Never reached between live interactions (distinct sequences);
            // there so that equal in order is equal in every field.
            .then(self.at.cmp(&other.at))
            .then(self.sig.cmp(&other.sig))
            .then(self.priority.cmp(&other.priority))
            .then(self.aging_per_minute.cmp(&other.aging_per_minute))
            .then(self.levels.cmp(&other.levels))
    }
}

impl PartialOrd for WaitKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What [`Router::dequeue`] took an interaction out of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dequeued {
    /// A real-time list, which is now empty or not.
    RealTime {
        /// The list (its requirement set's) holds nothing more.
        emptied: bool,
    },
    /// A deferrable list.
    Deferrable,
    /// It was in no list.
    NotFound,
}

/// One requirement set's waiting list in a (queue, channel). Its head, its
/// first interaction in routing order, is the first entry of its range of
/// the waiting set ([`ChannelIndex::head_of`]), not kept here again: with
/// thousands of requirement sets most lists hold one or two interactions,
/// and a copy of the head took 48 of this entry's 56 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct List {
    /// How many interactions it holds.
    pub(crate) len: u32,
    /// Members who work the channel and satisfy the requirement set, ready
    /// or not. Zero parks the list: its head is not in the heads.
    pub(crate) qualified: u32,
}

/// Ready agents with one delay for the queue, on one channel.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tier {
    /// Their slots.
    pub(crate) ready: Bitset,
}

/// The agents with one delay for a queue who are ready on at least one of
/// its channels, sorted by the queue's strategy key, then agent id, each
/// with their slot. One pool per queue rather than per channel: an agent
/// has one key per queue, so a pool per channel held the same entries again
/// (half an agent's memory in the index) and moved them again on every
/// change of state.
///
/// A map rather than a set of `(key, id, slot)`: the slot, kept as the
/// value, sits in the B-tree node's array of values instead of padding each
/// key from 28 to 32 bytes, so a node of eleven entries takes 320 bytes
/// instead of 368 (and pools take about an eighth of an agent's memory).
pub(crate) type Pool = BTreeMap<(AgentKey, AgentId), u32>;

/// A queue an agent is a member of, as the index sees them, and on which
/// of their channels they are ready in it. Thirty-two bytes, the flags in
/// what would be padding: an agent's seats are all the index keeps per
/// agent besides their bits and pool entries. Their delay for the queue,
/// which places them in its tiers and pools, is read from their
/// membership ([`member_delay`]) rather than kept here again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seat {
    pub(crate) queue: QueueId,
    /// Their bit in the queue's bitsets.
    pub(crate) slot: u32,
    /// [`Seat::WORKS`], [`Seat::POOLED`], and for the agent's first
    /// [`Seat::CHANNEL_BITS`] channels (in their capacity profile's order)
    /// whether they are ready on it here. Readiness on any later channel is
    /// their bit in the channel's ready tier of their delay.
    flags: u32,
    /// Their strategy key in the queue's pool of their delay; meaningless
    /// unless [`Seat::POOLED`].
    pub(crate) key: AgentKey,
}

const _: () = assert!(std::mem::size_of::<Seat>() == 32, "the flags fit in the seat's padding");

/// `agent`'s delay for `queue` (ms), if they serve it: where the index
/// places them in the queue's ready tiers and pools. A seat's queue is
/// among its agent's memberships whenever the seat works or is pooled: a
/// change of memberships leaves the old queues (under the delays they had)
/// before it is requalified.
pub(crate) fn member_delay(agent: &Agent, queue: QueueId) -> Option<i64> {
    agent.config.queues.iter().find(|m| m.queue == queue).map(|m| duration_millis(m.delay))
}

impl Seat {
    /// They work each channel of their capacity profile in the queue: it is
    /// among their configured queues (when last requalified).
    const WORKS: u32 = 1 << 31;
    /// In the queue's pool of their delay under [`Seat::key`]: ready on at
    /// least one channel.
    const POOLED: u32 = 1 << 30;
    /// Channels whose readiness is a bit of the flags.
    const CHANNEL_BITS: usize = 30;

    fn new(queue: QueueId, slot: u32) -> Self {
        Seat { queue, slot, flags: 0, key: (0, 0) }
    }

    /// Whether they work their channels in the queue.
    pub(crate) fn works(&self) -> bool {
        self.flags & Seat::WORKS != 0
    }

    /// Whether they are in the queue's pool of their delay.
    pub(crate) fn pooled(&self) -> bool {
        self.flags & Seat::POOLED != 0
    }

    /// Whether `agent`, whose seat this is, is ready on `channel`, the
    /// `i`-th of their capacity profile, in the queue, whose index is `q`.
    pub(crate) fn ready_on(&self, q: &QueueIndex, i: usize, channel: Channel, agent: &Agent) -> bool {
        if !self.works() {
            return false;
        }
        if i < Seat::CHANNEL_BITS {
            return self.flags & (1 << i) != 0;
        }
        let Some(delay) = member_delay(agent, self.queue) else { return false };
        q.channels.get(&channel).and_then(|ch| ch.tiers.get(&delay)).is_some_and(|t| t.ready.contains(self.slot))
    }

    /// The ready bits of the flags (their first [`Seat::CHANNEL_BITS`] channels).
    fn ready_bits(&self) -> u32 {
        self.flags & ((1 << Seat::CHANNEL_BITS) - 1)
    }
}

/// Every agent's seats, in the order of their configuration's queues (any
/// other kept after them), kept at the agent's slot in the engine's dense
/// storage of agents ([`DenseMap::slot`]) in chunks of fixed size: 16
/// bytes an agent besides the seats, where a hash map's entry took 56
/// bytes at 1.64 times their number. No seats reads as an empty slice.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seats {
    chunks: Vec<Vec<Box<[Seat]>>>,
    /// One past the highest slot ever given seats: where [`Seats::iter`] stops, so that
    /// the index check of a small engine walks its few agents, not a whole chunk.
    cells: usize,
}

/// Agents per chunk of [`Seats`], as [`DenseMap`]'s.
const SEATS_CHUNK: usize = 1024;

impl Seats {
    /// The seats of the agent at `at`.
    pub(crate) fn get(&self, at: u32) -> &[Seat] {
        let at = at as usize;
        self.chunks.get(at / SEATS_CHUNK).and_then(|c| c.get(at % SEATS_CHUNK)).map_or(&[], |s| s)
    }

    /// The seats of the agent at `at`, to change in place.
    fn get_mut(&mut self, at: u32) -> &mut [Seat] {
        let at = at as usize;
        match self.chunks.get_mut(at / SEATS_CHUNK).and_then(|c| c.get_mut(at % SEATS_CHUNK)) {
            Some(seats) => seats,
            None => &mut [],
        }
    }

    /// Sets the seats of the agent at `at`.
    fn set(&mut self, at: u32, seats: Box<[Seat]>) {
        let at = at as usize;
        let chunk = at / SEATS_CHUNK;
        if seats.is_empty() && chunk >= self.chunks.len() {
            return;
        }
        if self.chunks.len() <= chunk {
            self.chunks.resize_with(chunk + 1, Vec::new);
        }
        let c = &mut self.chunks[chunk];
        if c.is_empty() {
            // A whole chunk at once: a vector grown by doubling would leave up to half of it unused.
            c.resize_with(SEATS_CHUNK, Box::default);
        }
        if !seats.is_empty() {
            self.cells = self.cells.max(at + 1);
        }
        c[at % SEATS_CHUNK] = seats;
    }

    /// Takes the seats of the agent at `at` out, leaving none.
    fn take(&mut self, at: u32) -> Box<[Seat]> {
        let at = at as usize;
        self.chunks
            .get_mut(at / SEATS_CHUNK)
            .and_then(|c| c.get_mut(at % SEATS_CHUNK))
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Every agent with seats, by slot: (slot, seats).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &[Seat])> {
        // Numbered by chunk: a chunk no agent with seats has reached is an empty vector.
        self.chunks
            .iter()
            .enumerate()
            .flat_map(|(c, chunk)| chunk.iter().enumerate().map(move |(i, seats)| (c * SEATS_CHUNK + i, seats)))
            .take_while(|(at, _)| *at < self.cells)
            .filter(|(_, s)| !s.is_empty())
            .map(|(at, s)| (u32::try_from(at).expect("slots fit in u32"), &**s))
    }
}

/// The seat in `queue` among `seats`, if a member.
pub(crate) fn seat_in(seats: &[Seat], queue: QueueId) -> Option<&Seat> {
    seats.iter().find(|s| s.queue == queue)
}

/// A queue's part of the index for one channel.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChannelIndex {
    /// Whether the channel is real-time (blending serves it first).
    pub(crate) realtime: bool,
    /// Members whose capacity profile lists the channel.
    pub(crate) works: Bitset,
    /// Ready agents by their delay (ms).
    pub(crate) tiers: BTreeMap<i64, Tier>,
    /// Every waiting interaction, by (requirement set, place in line).
    pub(crate) waiting: BTreeSet<Listed>,
    /// The lists, by requirement set.
    pub(crate) lists: BTreeMap<SigId, List>,
    /// The heads of the lists some member qualifies for, by the skills they name.
    pub(crate) heads: Heads,
}

/// An interned resolved eligibility rule: the expression, how many live
/// signatures carry it, and the queues that keep its bits. A rule's bits in
/// a queue are computed when its first list there is created and kept
/// while any live interaction carries the rule, so lists that empty and
/// fill again (an arrival offered at once, a step change into a new
/// requirement set) never evaluate it again.
#[derive(Clone, Debug, Default)]
pub(crate) struct InternedRule {
    pub(crate) rule: Option<crate::model::expression::Expression>,
    pub(crate) signatures: u32,
    pub(crate) queues: BTreeSet<QueueId>,
}

/// Interned resolved eligibility rule.
pub(crate) type RuleId = u32;

/// A slot of a queue that no member holds. No agent is kept there: the
/// engine reuses the places of removed agents, so they stay below the most
/// agents ever live at once, which `Limits::max_agents` (a `u32`) bounds.
pub(crate) const FREE: u32 = u32::MAX;

/// Rules no live interaction carries any more that keep their bits, the
/// least recently used first out: a queue whose calls are answered at once
/// (each the only carrier of its rule while it rings) would otherwise
/// evaluate the rule over all its members on every arrival. Bounded, so a
/// day of ever-new rules leaves at most this many behind.
const IDLE_RULES: usize = 64;

/// A queue's part of the index.
#[derive(Clone, Debug)]
pub(crate) struct QueueIndex {
    /// Who holds each slot, as their place in the engine's agents
    /// ([`DenseMap::slot`]; [`FREE`] for nobody): 4 bytes a member where
    /// an `Option<AgentId>` took 16, and no hashing to reach the agent.
    /// (Members' slots and delays are in their [`Seat`]s.)
    pub(crate) slots: Vec<u32>,
    /// Slots given back, reused lowest first.
    free_slots: BTreeSet<u32>,
    /// How many members have each delay, so that waiting interactions can be
    /// woken when they reach one.
    pub(crate) delays: BTreeMap<i64, u32>,
    /// Per skill, the members holding it at level 1 or above, 2 or above, …
    pub(crate) skills: BTreeMap<SkillId, [Bitset; 5]>,
    /// Per channel.
    pub(crate) channels: BTreeMap<Channel, ChannelIndex>,
    /// Per live rule that has had lists here, the members (slots) it admits.
    pub(crate) rules: BTreeMap<RuleId, Bitset>,
    /// Per delay, the members ready on any channel, in strategy order.
    pub(crate) pools: BTreeMap<i64, Pool>,
    /// Interactions waiting in the queue, on every channel.
    pub(crate) waiting: usize,
}

impl QueueIndex {
    fn new() -> Self {
        QueueIndex {
            slots: Vec::new(),
            free_slots: BTreeSet::new(),
            delays: BTreeMap::new(),
            skills: BTreeMap::new(),
            channels: BTreeMap::new(),
            rules: BTreeMap::new(),
            pools: BTreeMap::new(),
            waiting: 0,
        }
    }

    /// Where the member in `slot` is kept in the engine's agents, if any member holds it.
    pub(crate) fn member_at(&self, slot: u32) -> Option<u32> {
        self.slots.get(slot as usize).copied().filter(|at| *at != FREE)
    }

    /// The members holding `skill` at `level` or above, if any member holds it.
    fn holders(&self, skill: SkillId, level: Proficiency) -> Option<&Bitset> {
        let by_level = self.skills.get(&skill)?;
        Some(&by_level[usize::from(level.level()).clamp(1, 5) - 1])
    }

    /// The bitsets whose intersection is the members an eligibility admits:
    /// the holders of each of its requirements, and its rule's (`rule`) bits.
    pub(crate) fn eligible_sets(&self, reqs: &Requirements, rule: Option<RuleId>) -> Vec<Option<&Bitset>> {
        let mut sets: Vec<Option<&Bitset>> = reqs.iter().map(|r| self.holders(r.skill, r.min_level)).collect();
        if let Some(rule) = rule {
            sets.push(self.rules.get(&rule));
        }
        sets
    }

    /// How many members working `ch` an eligibility with rule `rule` admits.
    fn count_qualified(&self, ch: &Bitset, reqs: &Requirements, rule: Option<RuleId>) -> u32 {
        Bitset::intersection_len(ch, &self.eligible_sets(reqs, rule))
    }

    /// Whether the member in `slot` works `ch` and an eligibility with rule `rule` admits them.
    fn slot_qualifies(&self, works: &Bitset, slot: u32, reqs: &Requirements, rule: Option<RuleId>) -> bool {
        works.contains(slot) && self.eligible_sets(reqs, rule).iter().all(|b| b.is_some_and(|b| b.contains(slot)))
    }

    /// Moves the member in `seat`, whose delay is `delay`, from the pool of
    /// that delay under key `had` (`None`: not pooled) to it under key
    /// `want` (`None`: out of it).
    fn repool(&mut self, seat: &Seat, delay: i64, agent: AgentId, had: Option<AgentKey>, want: Option<AgentKey>) {
        if let Some(old) = had {
            if let Some(pool) = self.pools.get_mut(&delay) {
                pool.remove(&(old, agent));
            }
        }
        if let Some(key) = want {
            self.pools.entry(delay).or_default().insert((key, agent), seat.slot);
        }
    }

    /// Whether rule `rule` admits the member in `slot`.
    pub(crate) fn rule_admits(&self, rule: RuleId, slot: u32) -> bool {
        self.rules.get(&rule).is_some_and(|bits| bits.contains(slot))
    }
}

impl ChannelIndex {
    fn new(realtime: bool) -> Self {
        ChannelIndex { realtime, ..ChannelIndex::default() }
    }

    /// Takes the member in `slot` out of the ready tier of `delay`. The
    /// tier stays, even empty, while a member has its delay: agents leave
    /// and rejoin it all day long.
    fn unready(&mut self, slot: u32, delay: i64) {
        if let Some(tier) = self.tiers.get_mut(&delay) {
            tier.ready.remove(slot);
        }
    }

    /// Puts the member in `slot` in the ready tier of `delay`.
    fn ready(&mut self, slot: u32, delay: i64) {
        self.tiers.entry(delay).or_default().ready.insert(slot);
    }

    /// The head of `sig`'s list: its first waiting interaction in routing order.
    pub(crate) fn head_of(&self, sig: SigId) -> Option<WaitKey> {
        self.waiting.range(WaitKey::first_of(sig)..).next().filter(|l| l.0.sig == sig).map(|l| l.0)
    }

    /// Moves a list's head from `old` to `new` (keys of its signature) in
    /// the heads, unless the list is parked. `shape` is its requirement set's.
    fn set_head(&mut self, shape: &Shape, old: WaitKey, new: WaitKey) {
        let Some(list) = self.lists.get(&old.sig) else { return };
        if list.qualified > 0 {
            self.heads.remove(shape, old);
            self.heads.insert(shape, new);
        }
    }

    /// Changes a list's count of qualified members, parking or unparking it.
    fn adjust_qualified(&mut self, sig: SigId, shape: &Shape, qualified: u32) {
        let head = self.head_of(sig);
        let Some(list) = self.lists.get_mut(&sig) else { return };
        let was = list.qualified;
        list.qualified = qualified;
        let Some(head) = head else { return };
        match (was > 0, qualified > 0) {
            (true, false) => self.heads.remove(shape, head),
            (false, true) => self.heads.insert(shape, head),
            _ => {}
        }
    }
}

/// The whole routing index.
#[derive(Clone, Debug)]
pub(crate) struct Router {
    /// Interned eligibilities' requirement sets, by signature (their rules
    /// are in `sig_rule`). A freed slot is emptied until reused; `sig_ids`
    /// says which slots are live.
    sigs: Vec<Requirements>,
    /// The rule of each signature, if it has one (read on every head an agent walks).
    sig_rule: Vec<Option<RuleId>>,
    /// Interned rules, by id; a freed id is empty until reused.
    rules: Vec<InternedRule>,
    rule_ids: BTreeMap<crate::model::expression::Expression, RuleId>,
    /// Freed rule ids, reused lowest first.
    free_rules: BTreeSet<RuleId>,
    /// Rules no signature carries that keep their bits, oldest first (at most [`IDLE_RULES`]).
    idle_rules: std::collections::VecDeque<RuleId>,
    /// Signatures by (requirement set, interned rule): a rule is kept once,
    /// in `rules`, however many requirement sets it goes with. A table of
    /// the ids alone, hashed by [`Router::sig_hash`] and compared with
    /// `sigs` and `sig_rule`: a map keyed by copies of the sets took about
    /// 45 bytes a set, against 5 here; thousands of sets of one or two
    /// waiting interactions each paid that per interaction. Lookups only: it
    /// is never iterated, so its order never shows.
    sig_ids: hashbrown::HashTable<SigId>,
    /// The key [`Router::sig_hash`] hashes with (the engine's id hash key).
    sig_hasher: IdHashKey,
    /// Live interactions holding each signature; the last one out frees it.
    /// Which one each holds, the engine keeps (in its interactions' tags),
    /// so that routing never searches the table of requirement sets.
    sig_holders: Vec<u32>,
    /// Freed signatures, reused lowest first so the numbering depends on the commands alone.
    free_sigs: BTreeSet<SigId>,
    /// The requirement sets of every routing step of an interaction that has
    /// more than one, kept interned while it is in its queue, so that a step
    /// change never meets the signature limit (it was checked on entry).
    reserved: IdMap<InteractionId, Vec<SigId>>,
    pub(crate) queues: BTreeMap<QueueId, QueueIndex>,
    /// Every queue each agent is a member of and where they are ready in
    /// it, in one place, so that an agent changing state touches the queues'
    /// structures only where their readiness or key changed.
    pub(crate) seats: Seats,
    /// Queues closed by their business hours: nothing in them is offered.
    closed: BTreeSet<QueueId>,
    /// Agents refused deferrable work because real-time work they qualify
    /// for was waiting; looked at again when real-time work leaves a list.
    pub(crate) blend_blocked: BTreeSet<AgentId>,
    /// Agents refused work because they drained for headroom, with the
    /// interaction they drained for; routed again when it leaves its list.
    pub(crate) drained: headroom::Drained,
    /// Channel modes, and whether decisions scan instead of using the index.
    config: EngineConfig,
}

impl Router {
    /// An empty index for an engine configured with `config`.
    pub(crate) fn new(config: &EngineConfig) -> Self {
        Router {
            sigs: Vec::new(),
            sig_rule: Vec::new(),
            rules: Vec::new(),
            rule_ids: BTreeMap::new(),
            free_rules: BTreeSet::new(),
            idle_rules: std::collections::VecDeque::new(),
            sig_ids: hashbrown::HashTable::new(),
            sig_hasher: IdHashKey(config.id_hash_key()),
            sig_holders: Vec::new(),
            free_sigs: BTreeSet::new(),
            reserved: IdMap::with_hasher(IdHashKey(config.id_hash_key())),
            queues: BTreeMap::new(),
            closed: BTreeSet::new(),
            seats: Seats::default(),
            blend_blocked: BTreeSet::new(),
            drained: headroom::Drained::default(),
            config: config.clone(),
        }
    }

    /// Whether decisions scan everything ([`RoutingIndex::Scan`]).
    fn scans(&self) -> bool {
        self.config.routing_index() == RoutingIndex::Scan
    }

    /// Whether `channel` is real-time (blending serves it first).
    fn is_realtime(&self, channel: Channel) -> bool {
        self.config.channel_mode(channel) == Some(ChannelMode::RealTime)
    }

    /// The signature of an eligibility, if already interned.
    pub(crate) fn sig_of(&self, e: &Eligibility) -> Option<SigId> {
        let rule = match &e.rule {
            // An eligibility whose rule is not interned cannot be.
            Some(rule) => Some(*self.rule_ids.get(rule)?),
            None => None,
        };
        self.find_sig(&e.requirements, rule)
    }

    /// The signature interned for a requirement set and interned rule, if any.
    fn find_sig(&self, reqs: &Requirements, rule: Option<RuleId>) -> Option<SigId> {
        self.sig_ids.find(self.sig_hash(reqs, rule), |id| self.is_sig(*id, reqs, rule)).copied()
    }

    /// Whether signature `id` is the requirement set `reqs` with rule `rule`.
    fn is_sig(&self, id: SigId, reqs: &Requirements, rule: Option<RuleId>) -> bool {
        self.sigs[id as usize] == *reqs && self.sig_rule[id as usize] == rule
    }

    /// Where a requirement set and rule are hashed in `sig_ids`.
    fn sig_hash(&self, reqs: &Requirements, rule: Option<RuleId>) -> u64 {
        self.sig_hasher.hash_one((reqs, rule))
    }

    /// Number of live signatures: distinct requirement sets of live interactions.
    pub(crate) fn sig_count(&self) -> usize {
        self.sig_ids.len()
    }

    /// Takes a hold on the eligibility `e` for a live interaction, letting
    /// go of the signature it `held` before (after a transfer or a step
    /// change); the caller keeps the signature returned. The caller has
    /// checked the signature limit.
    pub(crate) fn hold(&mut self, held: Option<SigId>, e: &Eligibility) -> SigId {
        let sig = self.acquire(e);
        if let Some(old) = held {
            self.release(old);
        }
        sig
    }

    /// Interaction `id`, which held `held`, ended: it lets go of its requirement sets.
    pub(crate) fn let_go(&mut self, id: InteractionId, held: Option<SigId>) {
        if let Some(sig) = held {
            self.release(sig);
        }
        self.reserve(id, &[]);
    }

    /// The signatures interaction `id` keeps for its routing steps.
    pub(crate) fn reserved_by(&self, id: InteractionId) -> &[SigId] {
        self.reserved.get(&id).map_or(&[], Vec::as_slice)
    }

    /// Keeps the requirement sets of an interaction's routing steps interned
    /// (`sets` empty: none), letting go of those it kept before.
    pub(crate) fn reserve(&mut self, id: InteractionId, sets: &[Eligibility]) {
        let kept: Vec<SigId> = sets.iter().map(|e| self.acquire(e)).collect();
        let old = if kept.is_empty() { self.reserved.remove(&id) } else { self.reserved.insert(id, kept) };
        for sig in old.into_iter().flatten() {
            self.release(sig);
        }
    }

    /// How many requirement sets interaction `id` alone keeps interned (the
    /// one it holds, `held`, and its steps') that are not among `staying`:
    /// moving it to where it will carry `staying` frees that many signatures.
    pub(crate) fn freed_by_moving(&self, id: InteractionId, held: Option<SigId>, staying: &[Eligibility]) -> usize {
        let mut mine: BTreeMap<SigId, u32> = BTreeMap::new();
        for sig in held.iter().chain(self.reserved.get(&id).into_iter().flatten()) {
            *mine.entry(*sig).or_default() += 1;
        }
        mine.iter()
            .filter(|(sig, n)| {
                self.sig_holders[**sig as usize] == **n && !staying.iter().any(|e| self.sig_of(e) == Some(**sig))
            })
            .count()
    }

    /// How many of `sets` are not interned yet (counting each distinct set once).
    pub(crate) fn new_sigs_among(&self, sets: &[Eligibility]) -> usize {
        let mut fresh: Vec<&Eligibility> = sets.iter().filter(|e| self.sig_of(e).is_none()).collect();
        fresh.sort_unstable();
        fresh.dedup();
        fresh.len()
    }

    /// Takes a hold on an eligibility, interning it if new.
    fn acquire(&mut self, e: &Eligibility) -> SigId {
        if let Some(id) = self.sig_of(e) {
            let holders = &mut self.sig_holders[id as usize];
            *holders = holders.saturating_add(1);
            return id;
        }
        let rule = e.rule.as_ref().map(|rule| self.acquire_rule(rule));
        let id = match self.free_sigs.pop_first() {
            Some(id) => {
                self.sigs[id as usize] = e.requirements.clone();
                self.sig_rule[id as usize] = rule;
                self.sig_holders[id as usize] = 1;
                id
            }
            None => {
                let id = SigId::try_from(self.sigs.len())
                    .expect("live signatures are bounded by Limits::max_signatures, a u32");
                self.sigs.push(e.requirements.clone());
                self.sig_rule.push(rule);
                self.sig_holders.push(1);
                id
            }
        };
        let hash = self.sig_hash(&e.requirements, rule);
        let (sigs, sig_rule, hasher) = (&self.sigs, &self.sig_rule, &self.sig_hasher);
        self.sig_ids.insert_unique(hash, id, |id| hasher.hash_one((&sigs[*id as usize], sig_rule[*id as usize])));
        id
    }

    /// Lets go of one hold on a signature. The last hold frees it, so
    /// requirement sets seen once do not fill the signature table (or its
    /// limit) for the life of the process. Its lists went with their last
    /// interaction: no live interaction needs the set.
    fn release(&mut self, sig: SigId) {
        let holders = &mut self.sig_holders[sig as usize];
        *holders = holders.saturating_sub(1);
        if *holders > 0 {
            return;
        }
        let reqs = std::mem::take(&mut self.sigs[sig as usize]);
        let rule = self.sig_rule[sig as usize].take();
        let hash = self.sig_hash(&reqs, rule);
        if let Ok(entry) = self.sig_ids.find_entry(hash, |id| *id == sig) {
            entry.remove();
        }
        if let Some(rule) = rule {
            self.release_rule(rule);
        }
        self.free_sigs.insert(sig);
    }

    /// Takes a hold on a rule for a new signature, interning it if new.
    fn acquire_rule(&mut self, rule: &crate::model::expression::Expression) -> RuleId {
        if let Some(id) = self.rule_ids.get(rule).copied() {
            let entry = &mut self.rules[id as usize];
            if entry.signatures == 0 {
                self.idle_rules.retain(|idle| *idle != id);
            }
            entry.signatures = entry.signatures.saturating_add(1);
            return id;
        }
        let entry = InternedRule { rule: Some(rule.clone()), signatures: 1, queues: BTreeSet::new() };
        let id = match self.free_rules.pop_first() {
            Some(id) => {
                self.rules[id as usize] = entry;
                id
            }
            None => {
                self.rules.push(entry);
                RuleId::try_from(self.rules.len() - 1).expect("rules are bounded by Limits::max_signatures, a u32")
            }
        };
        self.rule_ids.insert(rule.clone(), id);
        id
    }

    /// A signature carrying `rule` was freed; after the last one the rule
    /// stays, idle, with its bits, until [`IDLE_RULES`] later idle rules
    /// push it out and free it and its bits in every queue.
    fn release_rule(&mut self, rule: RuleId) {
        let entry = &mut self.rules[rule as usize];
        entry.signatures = entry.signatures.saturating_sub(1);
        if entry.signatures > 0 {
            return;
        }
        self.idle_rules.push_back(rule);
        if self.idle_rules.len() > IDLE_RULES {
            let oldest = self.idle_rules.pop_front().expect("more than IDLE_RULES");
            self.free_rule(oldest);
        }
    }

    /// Frees an idle rule and its bits in every queue.
    fn free_rule(&mut self, rule: RuleId) {
        let entry = std::mem::take(&mut self.rules[rule as usize]);
        for queue in &entry.queues {
            if let Some(q) = self.queues.get_mut(queue) {
                q.rules.remove(&rule);
            }
        }
        if let Some(expression) = entry.rule {
            self.rule_ids.remove(&expression);
        }
        self.free_rules.insert(rule);
    }

    /// The rule of a signature, if it has one.
    pub(crate) fn rule_of(&self, sig: SigId) -> Option<RuleId> {
        self.sig_rule.get(sig as usize).copied().flatten()
    }

    /// Whether `agent` may take interaction `i`, which holds `held`: they
    /// meet that eligibility (its requirements alone, if it holds none).
    /// What the scan router and the checks ask; the index answers from bits instead.
    pub(crate) fn admits(&self, agent: &Agent, i: &Interaction, held: Option<SigId>) -> bool {
        match held {
            Some(sig) => self.sig_admits(sig, &agent.config),
            None => agent.config.skills.satisfies(&i.requirements),
        }
    }

    /// The requirement set of a signature.
    pub(crate) fn requirements(&self, sig: SigId) -> &Requirements {
        &self.sigs[sig as usize]
    }

    /// The rule of a signature, as an expression, if it has one.
    pub(crate) fn rule_expression(&self, sig: SigId) -> Option<&crate::model::expression::Expression> {
        self.rule_of(sig).and_then(|r| self.rules.get(r as usize)).and_then(|r| r.rule.as_ref())
    }

    /// Whether an agent with this configuration meets signature `sig`'s
    /// requirements and rule (what the scan router and the checks ask).
    pub(crate) fn sig_admits(&self, sig: SigId, agent: &crate::model::agent::AgentConfig) -> bool {
        agent.skills.satisfies(self.requirements(sig))
            && self.rule_expression(sig).is_none_or(|rule| rule.admits(agent.id, &agent.skills, &agent.attributes))
    }

    /// The members of `queue`, in slot order, from the engine's `agents`.
    pub(crate) fn members<'a>(
        &'a self,
        queue: QueueId,
        agents: &'a DenseMap<AgentId, Agent>,
    ) -> impl Iterator<Item = &'a Agent> + 'a {
        self.queues.get(&queue).into_iter().flat_map(move |q| q.slots.iter().filter_map(|at| agents.at_slot(*at)))
    }

    /// Whether `queue` is closed by its business hours.
    pub(crate) fn is_closed(&self, queue: QueueId) -> bool {
        self.closed.contains(&queue)
    }

    /// Opens or closes `queue`.
    pub(crate) fn set_closed(&mut self, queue: QueueId, closed: bool) {
        if closed {
            self.closed.insert(queue);
        } else {
            self.closed.remove(&queue);
        }
    }

    /// The queues closed by their business hours.
    pub(crate) fn closed_queues(&self) -> &BTreeSet<QueueId> {
        &self.closed
    }

    pub(crate) fn add_queue(&mut self, queue: QueueId) {
        self.queue_mut(queue);
    }

    /// A queue's part of the index, created empty if new.
    fn queue_mut(&mut self, queue: QueueId) -> &mut QueueIndex {
        self.queues.entry(queue).or_insert_with(QueueIndex::new)
    }

    /// Makes the agent kept at `at` in the engine's agents a member of a
    /// queue with a delay, in a free slot holding no skill yet: call
    /// [`Router::requalify`] afterwards.
    pub(crate) fn add_member(&mut self, at: u32, queue: QueueId, delay_ms: i64) {
        if seat_in(self.seats.get(at), queue).is_some() {
            return;
        }
        let q = self.queue_mut(queue);
        let slot = match q.free_slots.pop_first() {
            Some(slot) => {
                q.slots[slot as usize] = at;
                slot
            }
            None => {
                let slot = u32::try_from(q.slots.len()).expect("members are bounded by Limits::max_agents, a u32");
                q.slots.push(at);
                slot
            }
        };
        *q.delays.entry(delay_ms).or_insert(0) += 1;
        let old = self.seats.get(at);
        let mut seats = Vec::with_capacity(old.len() + 1);
        seats.extend_from_slice(old);
        seats.push(Seat::new(queue, slot));
        self.seats.set(at, seats.into_boxed_slice());
    }

    /// Ends the membership of the agent `agent`, kept at `at` in the
    /// engine's agents, of a queue where their delay was `delay_ms` (the
    /// membership may already be gone from their configuration): out of
    /// its ready tiers, its bits cleared (lists they qualified for counting
    /// one fewer), slot freed.
    pub(crate) fn remove_member(&mut self, at: u32, agent: AgentId, queue: QueueId, delay_ms: i64) {
        if !self.queues.contains_key(&queue) {
            return;
        }
        let Some(member) = seat_in(self.seats.get(at), queue).copied() else { return };
        self.set_member_bits(queue, member.slot, None);
        self.unready_everywhere(agent, &member, delay_ms);
        let seats: Box<[Seat]> = self.seats.get(at).iter().filter(|s| s.queue != queue).copied().collect();
        self.seats.set(at, seats);
        let q = self.queues.get_mut(&queue).expect("looked up above");
        q.slots[member.slot as usize] = FREE;
        q.free_slots.insert(member.slot);
        while q.slots.last() == Some(&FREE) {
            let last = u32::try_from(q.slots.len() - 1).expect("slots fit in u32");
            q.slots.pop();
            q.free_slots.remove(&last);
        }
        if let Some(n) = q.delays.get_mut(&delay_ms) {
            *n -= 1;
            if *n == 0 {
                q.delays.remove(&delay_ms);
                q.pools.remove(&delay_ms);
                for ch in q.channels.values_mut() {
                    ch.tiers.remove(&delay_ms);
                }
            }
        }
    }

    /// Sets (or with `None`, clears) the skill, channel and rule bits of
    /// the member in `slot`, and updates how many members qualify for each
    /// list of the queue. Costs O(lists in the queue × requirements), plus
    /// one evaluation of each rule with lists in the queue: it runs on
    /// configuration changes, never on a routing decision.
    fn set_member_bits(&mut self, queue: QueueId, slot: u32, agent: Option<&Agent>) {
        let Some(q) = self.queues.get(&queue) else { return };
        let sigs = &self.sigs;
        let before: Vec<Vec<bool>> = q
            .channels
            .values()
            .map(|ch| {
                ch.lists
                    .keys()
                    .map(|sig| q.slot_qualifies(&ch.works, slot, &sigs[*sig as usize], self.sig_rule[*sig as usize]))
                    .collect()
            })
            .collect();
        let q = self.queues.get_mut(&queue).expect("looked up above");
        for (rule, bits) in q.rules.iter_mut() {
            let rule = self.rules[*rule as usize].rule.as_ref();
            match (agent, rule) {
                (Some(a), Some(rule)) if rule.admits(a.id(), &a.config.skills, &a.config.attributes) => {
                    bits.insert(slot);
                }
                _ => bits.remove(slot),
            }
        }
        for by_level in q.skills.values_mut() {
            for bits in by_level.iter_mut() {
                bits.remove(slot);
            }
        }
        q.skills.retain(|_, by_level| !by_level[0].is_empty());
        for ch in q.channels.values_mut() {
            ch.works.remove(slot);
        }
        if let Some(agent) = agent {
            for (skill, level) in agent.config.skills.iter() {
                let by_level = q.skills.entry(skill).or_default();
                for bits in by_level.iter_mut().take(usize::from(level.level())) {
                    bits.insert(slot);
                }
            }
            for (channel, _) in agent.config.capacity.channels() {
                let realtime = self.config.channel_mode(channel) == Some(ChannelMode::RealTime);
                q.channels.entry(channel).or_insert_with(|| ChannelIndex::new(realtime)).works.insert(slot);
            }
        }
        let q = self.queues.get(&queue).expect("looked up above");
        let mut changes = Vec::new();
        for ((channel, ch), before) in q.channels.iter().zip(before.iter().map(Some).chain(std::iter::repeat(None))) {
            for (k, (sig, list)) in ch.lists.iter().enumerate() {
                let was = before.and_then(|b| b.get(k)).copied().unwrap_or(false);
                let is = q.slot_qualifies(&ch.works, slot, &sigs[*sig as usize], self.sig_rule[*sig as usize]);
                if was != is {
                    let qualified = if is { list.qualified + 1 } else { list.qualified.saturating_sub(1) };
                    changes.push((*channel, *sig, qualified));
                }
            }
        }
        let q = self.queues.get_mut(&queue).expect("looked up above");
        for (channel, sig, qualified) in changes {
            if let Some(ch) = q.channels.get_mut(&channel) {
                ch.adjust_qualified(sig, &Shape::of(&self.sigs[sig as usize]), qualified);
            }
        }
    }

    /// Puts an interaction in its waiting list, creating the list the first
    /// time (and, for an eligibility with a rule, the rule's bits in the
    /// queue: one evaluation per member, read from `agents`).
    pub(crate) fn enqueue(
        &mut self,
        i: &Interaction,
        at: u32,
        sig: SigId,
        queue: &QueueConfig,
        agents: &DenseMap<AgentId, Agent>,
    ) {
        let realtime = self.is_realtime(i.channel);
        self.queue_mut(i.queue);
        let q = self.queues.get_mut(&i.queue).expect("created above");
        let key = WaitKey::new(i, at, sig, queue);
        let ch_exists = q.channels.contains_key(&i.channel);
        if !ch_exists {
            q.channels.insert(i.channel, ChannelIndex::new(realtime));
        }
        if q.channels[&i.channel].waiting.contains(&Listed(key)) {
            return;
        }
        let new_list = !q.channels[&i.channel].lists.contains_key(&sig);
        let e = &self.sigs[sig as usize];
        let rule = self.sig_rule[sig as usize];
        if let (true, Some(id)) = (new_list, rule) {
            let entry = &mut self.rules[id as usize];
            if let (false, Some(expression)) = (q.rules.contains_key(&id), &entry.rule) {
                let admits =
                    |agent: &Agent| expression.admits(agent.id(), &agent.config.skills, &agent.config.attributes);
                let mut bits = Bitset::default();
                match expression.named_agents() {
                    // A named agent set (preferred agents, a case's owner):
                    // only they can be admitted, so only their seats are looked at.
                    Some(named) => {
                        for id in named {
                            let Some((at, agent)) = agents.get_with_slot(id) else { continue };
                            if let Some(seat) = seat_in(self.seats.get(at), i.queue) {
                                if admits(agent) {
                                    bits.insert(seat.slot);
                                }
                            }
                        }
                    }
                    None => {
                        for (slot, at) in q.slots.iter().enumerate() {
                            let Some(agent) = agents.at_slot(*at) else { continue };
                            if admits(agent) {
                                bits.insert(u32::try_from(slot).expect("slots fit in u32"));
                            }
                        }
                    }
                }
                q.rules.insert(id, bits);
                entry.queues.insert(i.queue);
            }
        }
        let ch = &q.channels[&i.channel];
        let qualified = if new_list { Some(q.count_qualified(&ch.works, e, rule)) } else { None };
        let ch = q.channels.get_mut(&i.channel).expect("ensured above");
        // A new list has no head to compare with: no lookup for it.
        let head = if new_list { None } else { ch.head_of(sig) };
        ch.waiting.insert(Listed(key));
        q.waiting += 1;
        match qualified {
            Some(qualified) => {
                ch.lists.insert(sig, List { len: 1, qualified });
                if qualified > 0 {
                    ch.heads.insert(&Shape::of(e), key);
                }
            }
            None => {
                let list = ch.lists.get_mut(&sig).expect("the list exists");
                list.len += 1;
                if let Some(head) = head.filter(|head| key < *head) {
                    ch.set_head(&Shape::of(e), head, key);
                }
            }
        }
    }

    /// Takes an interaction out of its waiting list, saying what kind of list
    /// it left; a list left empty is dropped.
    pub(crate) fn dequeue(&mut self, i: &Interaction, at: u32, sig: SigId, queue: &QueueConfig) -> Dequeued {
        let Some(q) = self.queues.get_mut(&i.queue) else { return Dequeued::NotFound };
        let Some(ch) = q.channels.get_mut(&i.channel) else { return Dequeued::NotFound };
        let key = WaitKey::new(i, at, sig, queue);
        if !ch.waiting.remove(&Listed(key)) {
            return Dequeued::NotFound;
        }
        q.waiting -= 1;
        let list = ch.lists.get_mut(&sig).expect("a waiting interaction's list exists");
        list.len -= 1;
        let emptied = list.len == 0;
        if emptied {
            let list = ch.lists.remove(&sig).expect("looked up above");
            if list.qualified > 0 {
                ch.heads.remove(&Shape::of(&self.sigs[sig as usize]), key);
            }
        } else {
            // It was the head exactly when everything left comes after it.
            let next = ch.head_of(sig).expect("a non-empty list has a head");
            if key < next {
                ch.set_head(&Shape::of(&self.sigs[sig as usize]), key, next);
            }
        }
        if ch.realtime { Dequeued::RealTime { emptied } } else { Dequeued::Deferrable }
    }

    /// Moves an agent, kept at `at` in the engine's agents, to the right
    /// place in the ready tiers of every queue and channel they work: ready
    /// exactly when routable and with room on the channel, and pooled in
    /// each queue, with a fresh strategy key, exactly when ready on one of its
    /// channels. Costs O(queues × channels of the agent), whatever is waiting.
    pub(crate) fn place_agent(&mut self, at: u32, agent: &Agent, queues: &BTreeMap<QueueId, QueueConfig>) {
        let id = agent.id();
        let routable = agent.is_routable();
        let no_requirements = Requirements::default();
        let seats = self.seats.get_mut(at);
        if seats.is_empty() {
            return;
        }
        // Room is worked out once per channel (the first CHANNEL_BITS as bits), the key once per queue.
        let mut rooms = 0u32;
        if routable {
            for (i, (channel, _)) in agent.config.capacity.channels().take(Seat::CHANNEL_BITS).enumerate() {
                if has_room(&self.config, agent, channel) {
                    rooms |= 1 << i;
                }
            }
        }
        for seat in seats.iter_mut().filter(|s| s.works()) {
            let Some(q) = self.queues.get_mut(&seat.queue) else { continue };
            let Some(delay) = member_delay(agent, seat.queue) else { continue };
            let had = seat.pooled().then_some(seat.key);
            let changed = seat.ready_bits() ^ rooms;
            if changed != 0 {
                for (i, (channel, _)) in agent.config.capacity.channels().take(Seat::CHANNEL_BITS).enumerate() {
                    if changed & (1 << i) == 0 {
                        continue;
                    }
                    if let Some(ch) = q.channels.get_mut(&channel) {
                        if rooms & (1 << i) != 0 {
                            ch.ready(seat.slot, delay);
                        } else {
                            ch.unready(seat.slot, delay);
                        }
                    }
                }
            }
            let mut pooled = rooms != 0;
            // Channels past the bits: their readiness is their tier's bit.
            for (i, (channel, _)) in agent.config.capacity.channels().enumerate().skip(Seat::CHANNEL_BITS) {
                let room = routable && has_room(&self.config, agent, channel);
                pooled |= room;
                if room != seat.ready_on(q, i, channel, agent) {
                    if let Some(ch) = q.channels.get_mut(&channel) {
                        if room {
                            ch.ready(seat.slot, delay);
                        } else {
                            ch.unready(seat.slot, delay);
                        }
                    }
                }
            }
            let want = pooled.then(|| {
                let strategy = queues.get(&seat.queue).map(|q| q.strategy).unwrap_or_default();
                agent_key(strategy, agent, seat.queue, &no_requirements)
            });
            if want != had {
                q.repool(seat, delay, id, had, want);
            }
            if let Some(key) = want {
                seat.key = key;
            }
            seat.flags = Seat::WORKS | if pooled { Seat::POOLED } else { 0 } | rooms;
        }
    }

    /// Takes the agent in `seat`, whose delay for its queue is `delay`, out
    /// of the queue's ready tiers and pool. One ready on no channel is in
    /// neither; one ready on some is taken out of every channel's tier of
    /// their delay (their slot is theirs alone).
    fn unready_everywhere(&mut self, agent: AgentId, seat: &Seat, delay: i64) {
        if !seat.pooled() {
            return;
        }
        let Some(q) = self.queues.get_mut(&seat.queue) else { return };
        for ch in q.channels.values_mut() {
            ch.unready(seat.slot, delay);
        }
        q.repool(seat, delay, agent, Some(seat.key), None);
    }

    /// Re-reads the skills and channels of an agent, kept at `at` in the
    /// engine's agents, into the bitsets of every queue they are a member
    /// of, after their configuration changed (or they were added). Call
    /// [`Router::place_agent`] afterwards.
    pub(crate) fn requalify(&mut self, at: u32, agent: &Agent) {
        let id = agent.id();
        let old_seats = self.seats.take(at);
        for seat in old_seats.iter() {
            // A seat outside the memberships is never pooled (see `member_delay`).
            if let Some(delay) = member_delay(agent, seat.queue) {
                self.unready_everywhere(id, seat, delay);
            }
        }
        // Seats in the order of the configuration's queues (any other kept after them).
        let mut seats = Vec::with_capacity(old_seats.len());
        for m in &agent.config.queues {
            let Some(member) = old_seats.iter().find(|s| s.queue == m.queue).copied() else { continue };
            seats.push(Seat { flags: Seat::WORKS, ..member });
            self.set_member_bits(m.queue, member.slot, Some(agent));
        }
        seats.extend(
            old_seats
                .iter()
                .filter(|s| !agent.config.queues.iter().any(|m| m.queue == s.queue))
                .map(|s| Seat { flags: 0, ..*s }),
        );
        self.seats.set(at, seats.into_boxed_slice());
    }

    /// Forgets an agent entirely (they are removed): `at` is where the
    /// engine kept them.
    pub(crate) fn forget_agent(&mut self, at: u32, agent: &Agent) {
        for m in &agent.config.queues {
            self.remove_member(at, agent.id(), m.queue, duration_millis(m.delay));
        }
        self.seats.set(at, Box::default());
        self.blend_blocked.remove(&agent.id());
        self.drained.forget(agent.id());
    }

    /// The interactions waiting in a queue, in routing order (for views, and
    /// to route a whole queue again):
    /// overdue ones first, earliest deadline first, then by effective
    /// priority, place in line and arrival. Aging keeps that order as time
    /// passes (see [`WaitKey::new`]).
    pub(crate) fn waiting_in_order(
        &self,
        queue: QueueId,
        interactions: &DenseMap<InteractionId, Interaction>,
    ) -> Vec<InteractionId> {
        let Some(q) = self.queues.get(&queue) else { return Vec::new() };
        // One queue's keys: their order is the queue's at any time.
        let mut all: Vec<WaitKey> = q.channels.values().flat_map(|ch| ch.waiting.iter()).map(|l| l.0).collect();
        all.sort_unstable();
        all.into_iter().filter_map(|w| interactions.at_slot(w.at)).map(|i| i.id).collect()
    }

    /// Whether interaction `i` (with signature `sig`) is in its waiting list.
    pub(crate) fn is_waiting(&self, i: &Interaction, at: u32, sig: SigId, queue: &QueueConfig) -> bool {
        let key = WaitKey::new(i, at, sig, queue);
        self.queues
            .get(&i.queue)
            .and_then(|q| q.channels.get(&i.channel))
            .is_some_and(|ch| ch.waiting.contains(&Listed(key)))
    }

    /// Interactions waiting in every queue: by the queues' counts, and by the lists' entries.
    pub(crate) fn waiting_counts(&self) -> (usize, usize) {
        let counted = self.queues.values().map(|q| q.waiting).sum();
        let listed = self.queues.values().flat_map(|q| q.channels.values()).map(|ch| ch.waiting.len()).sum();
        (counted, listed)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::Config;

    use super::{Listed, PRIORITY_SCALE, WaitKey};
    use crate::time::{Timestamp, duration_millis};

    fn seed() -> u64 {
        crate::proptest_config::seed(0x0bad_cafe)
    }

    fn config() -> Config {
        crate::proptest_config::config(seed(), 512)
    }

    /// Slots are numbered across chunks, also past a chunk that no agent with seats reached
    /// (an empty vector), and the walk ends at the highest slot ever given seats.
    #[test]
    fn seats_are_listed_by_slot_across_chunks() {
        let seat =
            |queue: u64| super::Seat { queue: crate::ids::QueueId(queue), slot: 0, flags: 0, key: Default::default() };
        let mut seats = super::Seats::default();
        let far = 2 * super::SEATS_CHUNK as u32 + 5;
        seats.set(3, Box::new([seat(1)]));
        seats.set(far, Box::new([seat(2), seat(3)]));
        seats.set(7, Box::new([]));
        let listed: Vec<(u32, Vec<u64>)> =
            seats.iter().map(|(at, s)| (at, s.iter().map(|s| s.queue.0).collect())).collect();
        assert_eq!(listed, vec![(3, vec![1]), (far, vec![2, 3])]);
        assert_eq!(seats.get(far).len(), 2);
        let _ = seats.take(far);
        assert_eq!(seats.iter().count(), 1, "taken seats are not listed");
    }

    /// The routing order as it was first kept, field by field: the deadline
    /// passed (`i64::MAX` for none), the static priority negated, place in
    /// line, sequence (then the id, which live interactions never reach:
    /// their sequences are distinct).
    fn spelled_out(w: &WaitKey, bound: Option<i64>) -> (i64, i128, i64, u64) {
        let deadline = match (w.overdue, bound) {
            (true, Some(bound)) => w.entered_ms + bound,
            (true, None) => w.entered_ms,
            (false, _) => i64::MAX,
        };
        let stat = i128::from(w.priority) * PRIORITY_SCALE - i128::from(w.aging_per_minute) * i128::from(w.entered_ms);
        (deadline, -stat, w.entered_ms, w.seq)
    }

    /// Places in line as a restored engine may hold them: from any arrival
    /// (unbounded below) to a callback due a whole span after the last time.
    fn entered() -> impl Strategy<Value = i64> {
        let latest = Timestamp::MAX.as_millis() + duration_millis(Timestamp::MAX_SPAN);
        prop_oneof![
            4 => 0..3i64,
            4 => 0..latest,
            1 => Just(i64::MIN),
            1 => Just(latest),
            1 => i64::MIN..0,
        ]
    }

    fn key(aging_per_minute: u32) -> impl Strategy<Value = WaitKey> {
        let priority = prop_oneof![
            -1..2i64,
            any::<i32>().prop_map(i64::from),
            Just(2 * i64::from(i32::MIN)),
            Just(2 * i64::from(i32::MAX))
        ];
        // Levels as a head carries them, or none (a key in a waiting set).
        let levels = prop_oneof![Just(0u16), 0..2u16, 0..0x1000u16];
        (entered(), 0..3u64, priority, 0..3u32, 0..3u32, any::<bool>(), levels).prop_map(
            move |(entered_ms, seq, priority, at, sig, overdue, levels)| WaitKey {
                entered_ms,
                seq,
                priority,
                aging_per_minute,
                at,
                sig,
                overdue,
                levels,
            },
        )
    }

    fn queue() -> impl Strategy<Value = (u32, Option<i64>)> {
        (
            prop_oneof![Just(0u32), Just(1), Just(u32::MAX), any::<u32>()],
            prop_oneof![
                Just(None),
                Just(Some(1)),
                Just(Some(duration_millis(Timestamp::MAX_SPAN))),
                (1..1_000_000i64).prop_map(Some)
            ],
        )
    }

    proptest! {
        #![proptest_config(config())]

        /// Two keys of one queue (same aging, same bound on waiting) order
        /// exactly as the deadline and the 128-bit static priority they no
        /// longer keep would order them, and are equal exactly when alike.
        #[test]
        fn keys_order_as_deadline_then_static_priority(
            (a, b, bound) in queue().prop_flat_map(|(aging, bound)| (key(aging), key(aging), Just(bound)))
        ) {
            // Past the sequence, only keys no two live interactions share.
            let rest = |w: &WaitKey| (w.at, w.sig, w.priority, w.aging_per_minute);
            let expected = spelled_out(&a, bound).cmp(&spelled_out(&b, bound)).then(rest(&a).cmp(&rest(&b)));
            prop_assert_eq!(a.cmp(&b), expected, "SWITCHBOARD_SEED={}: {:?} against {:?}", seed(), a, b);
            prop_assert_eq!(a == b, a.cmp(&b).is_eq(), "SWITCHBOARD_SEED={}", seed());
            // In a waiting set: by requirement set, then routing order; each
            // set's range starts at `first_of`.
            let listed = (a.sig, expected).cmp(&(b.sig, std::cmp::Ordering::Equal));
            prop_assert_eq!(Listed(a).cmp(&Listed(b)), if a.sig == b.sig { expected } else { listed });
            prop_assert!(WaitKey::first_of(a.sig) <= Listed(a), "SWITCHBOARD_SEED={}: start after {:?}", seed(), a);
            prop_assert!(WaitKey::first_of(a.sig + 1) > Listed(a), "SWITCHBOARD_SEED={}: next start before {:?}", seed(), a);
        }
    }
}
