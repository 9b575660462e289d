//! The timer table: every deadline the engine keeps, in one place.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use crate::ids::{IdHashKey, IdMap, InteractionId, OfferId};
use crate::time::Timestamp;

/// What a timer is for. Timers due at the same millisecond fire in this
/// order: [`TimerKind::BusinessHours`] first (a queue is open or closed at
/// its hours to the millisecond), [`TimerKind::TimeToLive`] (an interaction whose time is up is
/// not offered at that instant), then [`TimerKind::MaxWait`] (a bound holds to
/// the millisecond), [`TimerKind::StepExpiry`] (a step change too) and
/// [`TimerKind::ExceptionRule`], then in the order of the other variants, then
/// in the order they were set. Routing runs after each timer, except that
/// the opening hours, times to live, bounds and step ends due at one instant
/// all fire before it runs, and so do the queue delays due at one instant;
/// the interactions they wake are then routed in their queues' serving
/// order, not in the order their timers were set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// A business-hours calendar opens or closes: the queues that follow it
    /// open or close ([`QueueConfig::calendar`](crate::QueueConfig::calendar)).
    #[serde(alias = "BusinessHours")]
    BusinessHours(crate::ids::CalendarId),
    /// An offer expires unanswered.
    #[serde(alias = "OfferTimeout")]
    OfferTimeout(OfferId),
    /// An interaction's wrap-up ends.
    #[serde(alias = "WrapUpEnd")]
    WrapUpEnd(InteractionId),
    /// A waiting interaction reaches the delay of some of its queue's agents.
    #[serde(alias = "QueueDelay")]
    QueueDelay(InteractionId),
    /// A waiting interaction reaches its queue's
    /// [`max_wait`](crate::QueueConfig::max_wait) and becomes overdue.
    #[serde(alias = "MaxWait")]
    MaxWait(InteractionId),
    /// A waiting interaction's routing step expires: it moves to the next
    /// ([`RoutingStep`](crate::RoutingStep)), keeping its place in line.
    #[serde(alias = "StepExpiry")]
    StepExpiry(InteractionId),
    /// An interaction reaches the time of one of its queue's exception rules
    /// ([`ExceptionRule`](crate::ExceptionRule)).
    #[serde(alias = "ExceptionRule")]
    ExceptionRule(InteractionId),
    /// An interaction reaches its queue's
    /// [`time_to_live`](crate::QueueConfig::time_to_live) unanswered and ends.
    #[serde(alias = "TimeToLive")]
    TimeToLive(InteractionId),
    /// An interaction every qualified agent declined forgets who declined it
    /// ([`AllDeclined::ForgetAfter`](crate::AllDeclined::ForgetAfter)).
    #[serde(alias = "ForgetDeclines")]
    ForgetDeclines(InteractionId),
    /// A scheduled callback reaches its due time and enters its queue
    /// ([`Command::ScheduleCallback`](crate::Command::ScheduleCallback)).
    #[serde(alias = "CallbackDue")]
    CallbackDue(InteractionId),
}

impl TimerKind {
    /// How many kinds there are (the ranks are `0..KINDS`).
    const KINDS: usize = 10;

    /// Whether the timer settles what may be routed at its instant: a queue
    /// opened or closed, an interaction's time up, a bound reached, a step
    /// ended. Those due at one instant all fire before anything is routed at
    /// it, so that no decision at that instant sees half of them. They are
    /// the four kinds ranked first ([`TimerKind::rank`]: opening hours, time
    /// to live, bound, step end), so at one instant they come before every
    /// other kind; defined by rank so that the two cannot disagree.
    fn settles_routing(self) -> bool {
        self.rank() <= TimerKind::StepExpiry(InteractionId(0)).rank()
    }

    /// Firing order among kinds at one instant; also each kind's own
    /// number (every kind has its rank), below [`TimerKind::KINDS`].
    fn rank(self) -> u8 {
        match self {
            // A bound is reached first at its instant, so that an agent freed at
            // the same millisecond (an offer timing out, a wrap-up ending) already
            // sees the interaction overdue: the bound holds to the millisecond.
            // So is a step change: what is decided at that instant sees the new step.
            // First of all, an interaction whose time is up: it is not offered at that instant.
            // Before all: a queue is closed (or open) at its opening hours to the millisecond.
            TimerKind::BusinessHours(_) => 0,
            TimerKind::TimeToLive(_) => 1,
            TimerKind::MaxWait(_) => 2,
            TimerKind::StepExpiry(_) => 3,
            TimerKind::ExceptionRule(_) => 4,
            TimerKind::OfferTimeout(_) => 5,
            TimerKind::WrapUpEnd(_) => 6,
            TimerKind::QueueDelay(_) => 7,
            TimerKind::ForgetDeclines(_) => 8,
            // Last: what else happens at its due time sees the queue as it was before it entered.
            TimerKind::CallbackDue(_) => 9,
        }
    }
}

/// A timer, for snapshots: due time, kind and the sequence number that
/// orders timers of the same time and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Timer {
    /// When it fires.
    pub due: Timestamp,
    /// What for.
    pub kind: TimerKind,
    /// Scheduling order.
    pub seq: u64,
}

/// A heap entry: due time, kind rank and sequence (the firing order), and the kind.
type Entry = Reverse<(Timestamp, u8, u64, TimerKind)>;

/// Timers keyed by their kind, so each can be looked up, cancelled or moved.
///
/// Setting a timer pushes an entry on a binary heap and records the timer's
/// sequence number in a hash map; cancelling (or moving) it only forgets the
/// map entry, and the heap entry left behind is skipped when it reaches the
/// top. Most timers are cancelled long before they are due (an offer is
/// answered in seconds, its timeout set minutes ahead), and this makes that
/// a hash-map removal instead of a removal from the middle of an indexed
/// heap. The heap's top is always live, so the next deadline is a peek, and
/// the heap is rebuilt from the live timers whenever stale entries outnumber
/// them, so memory stays in proportion to the timers set.
///
/// Firing order comes from the heap's keys alone, which are unique, never
/// from hashing or from the order entries were pushed.
///
/// The engine cancels every timer an interaction might have when it ends or
/// leaves its queue (about seventeen per call handled), most of them of
/// kinds its configuration never sets (steps, exception rules, time to
/// live, callbacks). A count of live timers per kind makes each of those a
/// comparison instead of a hash-map probe.
#[derive(Clone, Debug, Default)]
pub(crate) struct TimerTable {
    /// Live timers: due time and sequence number. Looked up, never iterated in an order that shows.
    live: IdMap<TimerKind, (Timestamp, u64)>,
    /// How many of `live` are of each kind, by [`TimerKind::rank`].
    live_per_kind: [u32; TimerKind::KINDS],
    /// Every timer set, live or stale; the top is live.
    heap: BinaryHeap<Entry>,
    next_seq: u64,
}

/// Stale heap entries tolerated beside the live ones before a rebuild.
const STALE_SLACK: usize = 64;

impl TimerTable {
    /// An empty table hashing with `key`.
    pub(crate) fn new(key: IdHashKey) -> Self {
        TimerTable {
            live: IdMap::with_hasher(key),
            live_per_kind: [0; TimerKind::KINDS],
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// Sets (or moves) a timer.
    pub(crate) fn set(&mut self, kind: TimerKind, due: Timestamp) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let moved = self.live.insert(kind, (due, seq)).is_some();
        if !moved {
            self.live_per_kind[usize::from(kind.rank())] += 1;
        }
        self.heap.push(Reverse((due, kind.rank(), seq, kind)));
        if moved {
            // The old entry may have been the top.
            self.drop_stale_top();
            self.compact_if_stale();
        }
    }

    /// Cancels a timer if set.
    pub(crate) fn cancel(&mut self, kind: TimerKind) {
        if self.any_of(kind) && self.forget(kind) {
            self.drop_stale_top();
            self.compact_if_stale();
        }
    }

    /// The earliest deadline.
    pub(crate) fn next_due(&self) -> Option<Timestamp> {
        self.heap.peek().map(|Reverse((due, _, _, _))| *due)
    }

    /// Removes and returns the earliest timer if it is due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Timestamp) -> Option<(Timestamp, TimerKind)> {
        if self.next_due()? > now {
            return None;
        }
        let Reverse((due, _, _, kind)) = self.heap.pop()?;
        self.forget(kind);
        self.drop_stale_top();
        Some((due, kind))
    }

    /// Whether the earliest timer is due exactly at `due` and settles what may
    /// be routed at that instant ([`TimerKind::settles_routing`]): routing at
    /// `due` waits until it has fired.
    pub(crate) fn settles_routing_at(&self, due: Timestamp) -> bool {
        self.heap.peek().is_some_and(|Reverse((next, _, _, kind))| *next == due && kind.settles_routing())
    }

    /// Whether the earliest timer is a queue delay due exactly at `due`:
    /// after a queue delay fires, routing at `due` waits for the others of
    /// that instant, so that the interactions they wake are routed together
    /// in their queues' serving order.
    pub(crate) fn queue_delay_at(&self, due: Timestamp) -> bool {
        self.heap
            .peek()
            .is_some_and(|Reverse((next, _, _, kind))| *next == due && matches!(kind, TimerKind::QueueDelay(_)))
    }

    /// When a timer is due, if set.
    pub(crate) fn due(&self, kind: TimerKind) -> Option<Timestamp> {
        if !self.any_of(kind) {
            return None;
        }
        self.live.get(&kind).map(|(due, _)| *due)
    }

    /// Whether any timer of `kind`'s kind is live.
    fn any_of(&self, kind: TimerKind) -> bool {
        self.live_per_kind[usize::from(kind.rank())] > 0
    }

    /// Forgets the live timer `kind`, if set; whether it was.
    fn forget(&mut self, kind: TimerKind) -> bool {
        let was = self.live.remove(&kind).is_some();
        if was {
            self.live_per_kind[usize::from(kind.rank())] -= 1;
        }
        was
    }

    /// All timers in firing order.
    pub(crate) fn to_vec(&self) -> Vec<Timer> {
        let mut all: Vec<Timer> =
            self.live.iter().map(|(kind, (due, seq))| Timer { due: *due, kind: *kind, seq: *seq }).collect();
        all.sort_by_key(|t| (t.due, t.kind.rank(), t.seq));
        all
    }

    /// The sequence number the next timer will get.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Replaces the table with snapshot timers (validated by the caller: one per kind).
    pub(crate) fn restore(&mut self, timers: &[Timer], next_seq: u64) {
        self.live.clear();
        self.live_per_kind = [0; TimerKind::KINDS];
        self.heap.clear();
        for t in timers {
            if self.live.insert(t.kind, (t.due, t.seq)).is_none() {
                self.live_per_kind[usize::from(t.kind.rank())] += 1;
            }
        }
        self.rebuild();
        self.next_seq = next_seq;
    }

    /// Number of timers set.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether a heap entry is a live timer's (not one cancelled or moved since).
    fn is_live(&self, Reverse((_, _, seq, kind)): &Entry) -> bool {
        self.live.get(kind).is_some_and(|(_, live_seq)| live_seq == seq)
    }

    /// Pops stale entries off the top, so that the top is live.
    fn drop_stale_top(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.is_live(top) {
                return;
            }
            self.heap.pop();
        }
    }

    /// Rebuilds the heap from the live timers once stale entries outnumber them.
    fn compact_if_stale(&mut self) {
        if self.heap.len() > 2 * self.live.len() + STALE_SLACK {
            self.rebuild();
        }
    }

    /// The heap of exactly the live timers. Their keys are unique, so the
    /// firing order does not depend on the order they are pushed in.
    fn rebuild(&mut self) {
        let mut entries = std::mem::take(&mut self.heap).into_vec();
        entries.clear();
        entries.extend(self.live.iter().map(|(kind, (due, seq))| Reverse((*due, kind.rank(), *seq, *kind))));
        self.heap = BinaryHeap::from(entries);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_rank_below_the_count_of_kinds() {
        let (i, o, c) = (InteractionId(1), OfferId(1), crate::ids::CalendarId(1));
        let all = [
            TimerKind::BusinessHours(c),
            TimerKind::OfferTimeout(o),
            TimerKind::WrapUpEnd(i),
            TimerKind::QueueDelay(i),
            TimerKind::MaxWait(i),
            TimerKind::StepExpiry(i),
            TimerKind::ExceptionRule(i),
            TimerKind::TimeToLive(i),
            TimerKind::ForgetDeclines(i),
            TimerKind::CallbackDue(i),
        ];
        let ranks: std::collections::BTreeSet<u8> = all.iter().map(|k| k.rank()).collect();
        assert_eq!(ranks.len(), TimerKind::KINDS);
        assert!(ranks.iter().all(|r| usize::from(*r) < TimerKind::KINDS));
    }

    #[test]
    fn fires_in_due_kind_sequence_order_and_cancels() {
        let mut t = TimerTable::default();
        let at = Timestamp::from_millis;
        t.set(TimerKind::QueueDelay(InteractionId(1)), at(10));
        t.set(TimerKind::WrapUpEnd(InteractionId(2)), at(10));
        t.set(TimerKind::OfferTimeout(OfferId(3)), at(10));
        t.set(TimerKind::OfferTimeout(OfferId(4)), at(5));
        t.set(TimerKind::OfferTimeout(OfferId(5)), at(7));
        t.cancel(TimerKind::OfferTimeout(OfferId(5)));
        t.set(TimerKind::OfferTimeout(OfferId(6)), at(10));
        assert_eq!(t.pop_due(at(4)), None);
        let fired: Vec<_> = std::iter::from_fn(|| t.pop_due(at(10))).collect();
        assert_eq!(
            fired,
            vec![
                (at(5), TimerKind::OfferTimeout(OfferId(4))),
                (at(10), TimerKind::OfferTimeout(OfferId(3))),
                (at(10), TimerKind::OfferTimeout(OfferId(6))),
                (at(10), TimerKind::WrapUpEnd(InteractionId(2))),
                (at(10), TimerKind::QueueDelay(InteractionId(1))),
            ]
        );
        assert_eq!(t.len(), 0);
    }

    /// Agrees with a plain ordered list of (due, rank, seq, kind) under
    /// random sets, moves, cancels, pops and restores, and keeps stale heap
    /// entries within bounds.
    #[test]
    fn agrees_with_a_sorted_reference() {
        use std::collections::BTreeMap;

        let mut t = TimerTable::new(IdHashKey(7));
        // kind -> (due, seq), the reference.
        let mut reference: BTreeMap<TimerKind, (Timestamp, u64)> = BTreeMap::new();
        let mut next_seq = 0u64;
        let mut now = 1_000i64;
        let mut x = 5u64;
        let mut draw = move |n: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        // Four kinds; time to live only one in 300 draws, so it is often
        // cancelled and looked up with none live: the per-kind counts must stay exact.
        let kind = |k: u64| match k % 4 {
            _ if k == 299 => TimerKind::TimeToLive(InteractionId(1)),
            0 => TimerKind::OfferTimeout(OfferId(k / 4)),
            1 => TimerKind::WrapUpEnd(InteractionId(k / 4)),
            _ => TimerKind::QueueDelay(InteractionId(k / 4)),
        };
        let first = |r: &BTreeMap<TimerKind, (Timestamp, u64)>| {
            r.iter().map(|(k, (due, seq))| (*due, k.rank(), *seq, *k)).min()
        };
        for step in 0..30_000 {
            match draw(10) {
                0..=3 => {
                    let k = kind(draw(300));
                    let due = Timestamp::from_millis(now + 1 + draw(50) as i64);
                    t.set(k, due);
                    reference.insert(k, (due, next_seq));
                    next_seq += 1;
                }
                4..=6 => {
                    let k = kind(draw(300));
                    t.cancel(k);
                    reference.remove(&k);
                }
                7 | 8 => {
                    now += draw(10) as i64;
                    let at = Timestamp::from_millis(now);
                    while let Some((due, _, _, k)) = first(&reference).filter(|(due, ..)| *due <= at) {
                        assert_eq!(t.pop_due(at), Some((due, k)), "step {step}");
                        reference.remove(&k);
                    }
                    assert_eq!(t.pop_due(at), None);
                }
                _ => {
                    // A snapshot and restore in the middle changes nothing.
                    let timers = t.to_vec();
                    let mut restored = TimerTable::new(IdHashKey(99));
                    restored.restore(&timers, t.next_seq());
                    assert_eq!(restored.to_vec(), timers);
                    t = restored;
                }
            }
            assert_eq!(t.next_due(), first(&reference).map(|(due, ..)| due), "step {step}");
            assert_eq!(t.len(), reference.len());
            assert!(t.heap.len() <= 3 * reference.len() + STALE_SLACK + 1, "stale entries stay bounded");
            let k = kind(draw(300));
            assert_eq!(t.due(k), reference.get(&k).map(|(due, _)| *due));
            let mut per_kind = [0u32; TimerKind::KINDS];
            for k in reference.keys() {
                per_kind[usize::from(k.rank())] += 1;
            }
            assert_eq!(t.live_per_kind, per_kind, "step {step}");
        }
        let expected: Vec<Timer> = {
            let mut all: Vec<_> =
                reference.iter().map(|(k, (due, seq))| Timer { due: *due, kind: *k, seq: *seq }).collect();
            all.sort_by_key(|t| (t.due, t.kind.rank(), t.seq));
            all
        };
        assert_eq!(t.to_vec(), expected);
    }
}
