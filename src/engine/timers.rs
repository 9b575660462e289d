//! The timer table: every deadline the engine keeps, in one place.

use std::cmp::Reverse;

use priority_queue::PriorityQueue;
use serde::{Deserialize, Serialize};

use crate::ids::{IdHashKey, InteractionId, OfferId};
use crate::time::Timestamp;

/// What a timer is for. The variant order is the documented tie-break
/// between timers due at the same millisecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TimerKind {
    /// An offer expires unanswered.
    OfferTimeout(OfferId),
    /// An interaction's wrap-up ends.
    WrapUpEnd(InteractionId),
    /// A waiting interaction reaches the delay of some of its queue's agents.
    QueueDelay(InteractionId),
}

impl TimerKind {
    fn rank(self) -> u8 {
        match self {
            TimerKind::OfferTimeout(_) => 0,
            TimerKind::WrapUpEnd(_) => 1,
            TimerKind::QueueDelay(_) => 2,
        }
    }
}

/// A timer, for snapshots: due time, kind and the sequence number that
/// orders timers of the same time and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timer {
    /// When it fires.
    pub due: Timestamp,
    /// What for.
    pub kind: TimerKind,
    /// Scheduling order.
    pub seq: u64,
}

type Priority = Reverse<(Timestamp, u8, u64)>;

/// Timers keyed by their kind, so each can be cancelled or moved in O(log n).
/// Firing order comes from the priority alone, never from hashing.
#[derive(Clone, Debug, Default)]
pub(crate) struct TimerTable {
    queue: PriorityQueue<TimerKind, Priority, IdHashKey>,
    next_seq: u64,
}

impl TimerTable {
    /// An empty table hashing with `key`.
    pub(crate) fn new(key: IdHashKey) -> Self {
        TimerTable { queue: PriorityQueue::with_hasher(key), next_seq: 0 }
    }

    /// Sets (or moves) a timer.
    pub(crate) fn set(&mut self, kind: TimerKind, due: Timestamp) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(kind, Reverse((due, kind.rank(), seq)));
    }

    /// Cancels a timer if set.
    pub(crate) fn cancel(&mut self, kind: TimerKind) {
        self.queue.remove(&kind);
    }

    /// The earliest deadline.
    pub(crate) fn next_due(&self) -> Option<Timestamp> {
        self.queue.peek().map(|(_, Reverse((due, _, _)))| *due)
    }

    /// Removes and returns the earliest timer if it is due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Timestamp) -> Option<(Timestamp, TimerKind)> {
        if self.next_due()? > now {
            return None;
        }
        self.queue.pop().map(|(kind, Reverse((due, _, _)))| (due, kind))
    }

    /// When a timer is due, if set.
    pub(crate) fn due(&self, kind: TimerKind) -> Option<Timestamp> {
        self.queue.get_priority(&kind).map(|Reverse((due, _, _))| *due)
    }

    /// All timers in firing order.
    pub(crate) fn to_vec(&self) -> Vec<Timer> {
        let mut all: Vec<Timer> = self
            .queue
            .iter()
            .map(|(kind, Reverse((due, _, seq)))| Timer { due: *due, kind: *kind, seq: *seq })
            .collect();
        all.sort_by_key(|t| (t.due, t.kind.rank(), t.seq));
        all
    }

    /// The sequence number the next timer will get.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Replaces the table with snapshot timers (validated by the caller).
    pub(crate) fn restore(&mut self, timers: &[Timer], next_seq: u64) {
        self.queue.clear();
        for t in timers {
            self.queue.push(t.kind, Reverse((t.due, t.kind.rank(), t.seq)));
        }
        self.next_seq = next_seq;
    }

    /// Number of timers set.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
