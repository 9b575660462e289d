//! What the simulator knows about live interactions that the engine does
//! not: each customer's handle time, drawn when they arrive.
//!
//! The simulator numbers interactions itself, in arrival order, and most end
//! roughly in that order too; so a window over the ids, one slot each, is
//! looked up by subtraction instead of hashing, and stays small and
//! cache-friendly. An interaction that outlives many later ones (a stuck
//! e-mail) would hold the window open, so once the window is mostly ended
//! slots its oldest live entries move to a hash map, and memory stays in
//! proportion to the live interactions.

use std::collections::VecDeque;

use crate::ids::{IdMap, InteractionId};

/// The window may hold this many ended slots beyond twice the live ones before it sheds its oldest.
const SLACK: usize = 1_024;

/// Handle times (ms, at least 1) of live interactions, by id.
#[derive(Clone, Debug, Default)]
pub(super) struct HandleTimes {
    /// The id of `window[0]`.
    first: u64,
    /// Handle time by id from `first` on; 0 for an id that is not live here.
    window: VecDeque<u64>,
    /// Non-zero slots in `window`.
    live: usize,
    /// Live interactions older than the window. Looked up, never iterated.
    stragglers: IdMap<InteractionId, u64>,
}

impl HandleTimes {
    /// Records a new interaction's handle time (`handle_ms` ≥ 1; ids come in increasing order).
    pub(super) fn insert(&mut self, id: InteractionId, handle_ms: u64) {
        debug_assert!(handle_ms > 0, "0 marks an empty slot");
        let end = self.first.saturating_add(self.window.len() as u64);
        if id.0 < end {
            // Not newer than every id seen: never so in the simulator, but kept right anyway.
            match self.slot(id) {
                Some(slot) => {
                    let was_empty = *slot == 0;
                    *slot = handle_ms;
                    self.live += usize::from(was_empty);
                }
                None => {
                    self.stragglers.insert(id, handle_ms);
                }
            }
            return;
        }
        // Ids the engine refused never become live: their slots stay empty. After a
        // long run of refusals, the window starts afresh at this id instead.
        let gap = id.0 - end;
        if gap > (2 * self.live + SLACK) as u64 {
            while !self.window.is_empty() {
                self.shed_front();
            }
            self.first = id.0;
        } else {
            for _ in 0..gap {
                self.window.push_back(0);
            }
        }
        self.window.push_back(handle_ms);
        self.live += 1;
        while self.window.len() > 2 * self.live + SLACK {
            self.shed_front();
        }
    }

    /// The handle time of a live interaction.
    pub(super) fn get(&self, id: InteractionId) -> Option<u64> {
        let index = id.0.checked_sub(self.first).and_then(|i| usize::try_from(i).ok());
        match index.and_then(|i| self.window.get(i)) {
            Some(0) => None,
            Some(ms) => Some(*ms),
            None => self.stragglers.get(&id).copied(),
        }
    }

    /// Forgets an interaction that ended.
    pub(super) fn remove(&mut self, id: InteractionId) {
        match self.slot(id) {
            Some(slot) => {
                if *slot != 0 {
                    *slot = 0;
                    self.live -= 1;
                }
                while self.window.front() == Some(&0) {
                    self.window.pop_front();
                    self.first += 1;
                }
            }
            None => {
                self.stragglers.remove(&id);
            }
        }
    }

    fn slot(&mut self, id: InteractionId) -> Option<&mut u64> {
        let index = usize::try_from(id.0.checked_sub(self.first)?).ok()?;
        self.window.get_mut(index)
    }

    /// Moves the oldest slot out of the window, to the stragglers if live.
    fn shed_front(&mut self) {
        if let Some(ms) = self.window.pop_front() {
            if ms != 0 {
                self.stragglers.insert(InteractionId(self.first), ms);
                self.live -= 1;
            }
            self.first += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Agrees with a plain map under arrivals, refused ids, ends in any
    /// order, and an interaction that outlives thousands of later ones.
    #[test]
    fn agrees_with_a_map_and_stays_small() {
        let mut times = HandleTimes::default();
        let mut reference = BTreeMap::new();
        let mut x = 99u64;
        let mut draw = move |n: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        let mut next = 1u64;
        for step in 0..50_000u64 {
            if reference.len() < 100 || draw(2) == 0 {
                let id = InteractionId(next);
                next += 1 + u64::from(draw(10) == 0);
                let ms = 1 + draw(1_000);
                times.insert(id, ms);
                reference.insert(id, ms);
            } else {
                // End one of the oldest few, or, rarely, any.
                let live: Vec<InteractionId> = reference.keys().take(8).copied().collect();
                let id = if draw(50) == 0 {
                    *reference.keys().nth(draw(reference.len() as u64) as usize).unwrap()
                } else {
                    live[draw(live.len() as u64) as usize]
                };
                // Keep interaction 1 live throughout: it holds the window open.
                if id.0 != 1 {
                    times.remove(id);
                    reference.remove(&id);
                }
            }
            if step % 997 == 0 {
                for id in (0..next + 2).map(InteractionId) {
                    assert_eq!(times.get(id), reference.get(&id).copied(), "{id:?} at step {step}");
                }
                assert!(times.window.len() <= 2 * reference.len() + SLACK + 1, "the window stays small");
            }
        }
        assert_eq!(times.get(InteractionId(1)), reference.get(&InteractionId(1)).copied());
        assert!(times.stragglers.contains_key(&InteractionId(1)), "the long-lived one moved out of the window");
    }
}
