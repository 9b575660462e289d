//! The simulator's event calendar: what the simulated world does next, in
//! (time, scheduling order) order.
//!
//! Two parts, because most of what the world schedules is due either at once
//! or later:
//!
//! * happenings due at the current time (an agent who answers at once, a
//!   backlog at the start) go to a FIFO list, in O(1);
//! * the rest go to a priority queue ordered by (time, sequence number).
//!
//! A happening in the FIFO list was scheduled at the current time, so after
//! every happening of the priority queue due at that same time (those were
//! scheduled earlier, when the time was still before it): popping the queue
//! first while its head is due, then the list, gives exactly the (time,
//! sequence) order of a single priority queue.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::time::Timestamp;

/// A priority-queue entry: due time, scheduling sequence, and what.
type Entry<T> = Reverse<(Timestamp, u64, T)>;

/// Happenings of type `T` in (due time, scheduling order) order.
#[derive(Clone, Debug)]
pub(super) struct Calendar<T> {
    /// Due at `now`, in scheduling order.
    due_now: VecDeque<T>,
    /// The time `due_now` is due at.
    now: Timestamp,
    /// Due later (or, never in practice, earlier), by (time, sequence).
    later: BinaryHeap<Entry<T>>,
    next_seq: u64,
}

impl<T: Ord> Calendar<T> {
    /// An empty calendar whose current time is `now`.
    pub(super) fn new(now: Timestamp) -> Self {
        Calendar { due_now: VecDeque::new(), now, later: BinaryHeap::new(), next_seq: 0 }
    }

    /// Moves the current time to `now`. Everything due before it has been popped.
    pub(super) fn advance(&mut self, now: Timestamp) {
        if now != self.now {
            debug_assert!(self.due_now.is_empty(), "time moves on only when nothing is due at the current time");
            self.now = now;
        }
    }

    /// Schedules `what` at `at`, after everything already scheduled at `at`.
    pub(super) fn schedule(&mut self, at: Timestamp, what: T) {
        if at == self.now {
            self.due_now.push_back(what);
        } else {
            self.next_seq += 1;
            self.later.push(Reverse((at, self.next_seq, what)));
        }
    }

    /// When the next happening is due.
    pub(super) fn next_due(&self) -> Option<Timestamp> {
        let later = self.later.peek().map(|Reverse((at, _, _))| *at);
        match later {
            Some(at) if at <= self.now || self.due_now.is_empty() => Some(at),
            _ if !self.due_now.is_empty() => Some(self.now),
            _ => None,
        }
    }

    /// Takes the next happening.
    pub(super) fn pop(&mut self) -> Option<T> {
        let later_first = self.later.peek().is_some_and(|Reverse((at, _, _))| *at <= self.now);
        if !later_first {
            if let Some(what) = self.due_now.pop_front() {
                return Some(what);
            }
        }
        self.later.pop().map(|Reverse((_, _, what))| what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calendar pops in exactly the order of one binary heap keyed by
    /// (time, scheduling sequence), however scheduling, popping and time
    /// moving on without a pop (an engine timer firing first) interleave.
    #[test]
    fn pops_in_time_then_scheduling_order() {
        let t0 = Timestamp::from_millis(1_000);
        let mut calendar = Calendar::new(t0);
        let mut reference = BinaryHeap::new();
        let mut seq = 0u64;
        let mut now = t0;
        // A small deterministic generator.
        let mut x = 12_345u64;
        let mut draw = move |n: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        let mut popped = 0;
        for _ in 0..20_000 {
            // Schedule 0 to 2 happenings, due at once or up to 4 ms later.
            for _ in 0..draw(3) {
                let at = Timestamp::from_millis(now.as_millis() + draw(5) as i64);
                seq += 1;
                calendar.schedule(at, seq);
                reference.push(Reverse((at, seq)));
            }
            let next = reference.peek().map(|Reverse((at, _))| *at);
            assert_eq!(calendar.next_due(), next);
            let Some(next) = next else { continue };
            if draw(4) == 0 && next > now {
                // Time moves on for something else (an engine timer), not past the calendar.
                now = Timestamp::from_millis(now.as_millis() + draw((next.millis_since(now) + 1) as u64) as i64);
                calendar.advance(now);
                continue;
            }
            now = next;
            calendar.advance(now);
            let expected = reference.pop().map(|Reverse((_, seq))| seq);
            assert_eq!(calendar.pop(), expected);
            popped += 1;
        }
        assert!(popped > 10_000, "{popped}");
    }
}
