//! Dense storage for the engine's agents and live interactions.
//!
//! A hash map keeps its values inline in buckets that grow by doubling, so
//! between two powers of two up to half of it is empty buckets the size of a
//! whole value (a 170-byte interaction, a 350-byte agent). [`DenseMap`]
//! keeps the values in fixed-size chunks allocated one at a time, and only a
//! small slot number in the hash map: what a value costs is its own size
//! plus about 20 bytes, at any count.
//!
//! Each entry also has a 32-bit *tag*, kept in what would be padding beside
//! its slot number: the engine keeps there the signature an interaction
//! holds in the routing index, which would otherwise take a hash map of
//! its own (another 20 bytes per waiting interaction).

use std::hash::Hash;

use crate::ids::{IdHashKey, IdMap};

/// Values per chunk: big enough that the outer vector stays tiny, small
/// enough that the last, partly used chunk is a rounding error at scale.
const CHUNK: usize = 1024;

/// Where a value is, and its tag.
#[derive(Clone, Copy, Debug)]
struct Entry {
    slot: u32,
    tag: u32,
}

/// A map from ids to values, stored densely (see the module docs). Like
/// [`IdMap`], for lookups only: code that iterates it must sort first, so
/// that the order of its slots never shows.
#[derive(Clone, Debug)]
pub(crate) struct DenseMap<K, V> {
    slots: IdMap<K, Entry>,
    chunks: Vec<Vec<Option<V>>>,
    /// Slots given back, reused last-freed first.
    free: Vec<u32>,
    /// Slots ever handed out (the cells in `chunks`).
    cells: usize,
}

impl<K: Copy + Eq + Hash, V> DenseMap<K, V> {
    /// An empty map whose index hashes with `key`.
    pub(crate) fn with_hasher(key: IdHashKey) -> Self {
        DenseMap { slots: IdMap::with_hasher(key), chunks: Vec::new(), free: Vec::new(), cells: 0 }
    }

    fn cell(&self, slot: u32) -> &Option<V> {
        let slot = slot as usize;
        &self.chunks[slot / CHUNK][slot % CHUNK]
    }

    fn cell_mut(&mut self, slot: u32) -> &mut Option<V> {
        let slot = slot as usize;
        &mut self.chunks[slot / CHUNK][slot % CHUNK]
    }

    /// The value of `id`.
    pub(crate) fn get(&self, id: &K) -> Option<&V> {
        let slot = self.slots.get(id)?.slot;
        self.cell(slot).as_ref()
    }

    /// Where the value of `id` is kept: a small number, fixed while `id`
    /// stays in the map (and reused after it leaves), so that other parts
    /// can keep their own records of `id` in a vector.
    pub(crate) fn slot(&self, id: &K) -> Option<u32> {
        Some(self.slots.get(id)?.slot)
    }

    /// The slot and value of `id` (one lookup).
    pub(crate) fn get_with_slot(&self, id: &K) -> Option<(u32, &V)> {
        let slot = self.slots.get(id)?.slot;
        Some((slot, self.cell(slot).as_ref()?))
    }

    /// The value kept in `slot`, if any.
    pub(crate) fn at_slot(&self, slot: u32) -> Option<&V> {
        let slot = slot as usize;
        self.chunks.get(slot / CHUNK)?.get(slot % CHUNK)?.as_ref()
    }

    /// Every value with its slot, in slot order.
    pub(crate) fn values_with_slots(&self) -> impl Iterator<Item = (u32, &V)> {
        self.chunks.iter().flatten().enumerate().filter_map(|(slot, v)| {
            let slot = u32::try_from(slot).expect("slots fit in u32");
            v.as_ref().map(|v| (slot, v))
        })
    }

    /// The value of `id`, to change.
    pub(crate) fn get_mut(&mut self, id: &K) -> Option<&mut V> {
        let slot = self.slots.get(id)?.slot;
        self.cell_mut(slot).as_mut()
    }

    /// The slot of `id` and its value, to change (one lookup).
    pub(crate) fn get_mut_with_slot(&mut self, id: &K) -> Option<(u32, &mut V)> {
        let slot = self.slots.get(id)?.slot;
        Some((slot, self.cell_mut(slot).as_mut()?))
    }

    /// The slot, value and tag of `id` (one lookup).
    pub(crate) fn get_placed(&self, id: &K) -> Option<(u32, &V, u32)> {
        let Entry { slot, tag } = *self.slots.get(id)?;
        Some((slot, self.cell(slot).as_ref()?, tag))
    }

    /// The slot of `id`, its value to change, and its tag (one lookup).
    pub(crate) fn get_mut_placed(&mut self, id: &K) -> Option<(u32, &mut V, u32)> {
        let Entry { slot, tag } = *self.slots.get(id)?;
        Some((slot, self.cell_mut(slot).as_mut()?, tag))
    }

    /// Whether `id` has a value.
    pub(crate) fn contains_key(&self, id: &K) -> bool {
        self.slots.contains_key(id)
    }

    /// How many values it holds.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The tag of `id` (0 until set).
    pub(crate) fn tag(&self, id: &K) -> Option<u32> {
        Some(self.slots.get(id)?.tag)
    }

    /// Sets the tag of `id`, if it has a value.
    pub(crate) fn set_tag(&mut self, id: &K, tag: u32) {
        if let Some(entry) = self.slots.get_mut(id) {
            entry.tag = tag;
        }
    }

    /// Sets the value of `id`, returning the one it replaces (its tag stays).
    pub(crate) fn insert(&mut self, id: K, value: V) -> Option<V> {
        if let Some(&Entry { slot, .. }) = self.slots.get(&id) {
            return self.cell_mut(slot).replace(value);
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let next = self.cells;
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    self.chunks.push(Vec::with_capacity(CHUNK));
                }
                self.chunks.last_mut().expect("a chunk with room was just ensured").push(None);
                self.cells += 1;
                u32::try_from(next).expect("fewer than 2^32 live values: the engine's limits bound them")
            }
        };
        *self.cell_mut(slot) = Some(value);
        self.slots.insert(id, Entry { slot, tag: 0 });
        None
    }

    /// Takes the value of `id` out.
    pub(crate) fn remove(&mut self, id: &K) -> Option<V> {
        let slot = self.slots.remove(id)?.slot;
        self.free.push(slot);
        self.cell_mut(slot).take()
    }

    /// Every value, in no meaningful order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.chunks.iter().flatten().flatten()
    }
}

/// Like `HashMap`'s: for ids the caller knows are present.
impl<K: Copy + Eq + Hash, V> std::ops::Index<&K> for DenseMap<K, V> {
    type Output = V;
    fn index(&self, id: &K) -> &V {
        self.get(id).expect("the id is in the map")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::InteractionId;

    #[test]
    fn behaves_like_a_map_across_chunks_and_reused_slots() {
        let mut dense = DenseMap::with_hasher(IdHashKey(7));
        let mut reference = std::collections::BTreeMap::new();
        // Fill three chunks, empty every third id, refill: slots are reused.
        for n in 0..(3 * CHUNK as u64) {
            assert_eq!(dense.insert(InteractionId(n), n), reference.insert(InteractionId(n), n));
        }
        for n in (0..(3 * CHUNK as u64)).step_by(3) {
            assert_eq!(dense.remove(&InteractionId(n)), reference.remove(&InteractionId(n)));
        }
        assert_eq!(dense.remove(&InteractionId(0)), None, "removed twice");
        for n in (10_000..10_000 + CHUNK as u64).rev() {
            assert_eq!(dense.insert(InteractionId(n), n), reference.insert(InteractionId(n), n));
        }
        assert_eq!(dense.insert(InteractionId(1), 99), reference.insert(InteractionId(1), 99), "replaces");
        *dense.get_mut(&InteractionId(2)).unwrap() += 1;
        dense.set_tag(&InteractionId(2), 5);
        dense.set_tag(&InteractionId(3), 6);
        assert_eq!(dense.insert(InteractionId(2), 4), Some(3));
        assert_eq!((dense.tag(&InteractionId(2)), dense.tag(&InteractionId(4))), (Some(5), Some(0)));
        assert_eq!(dense.tag(&InteractionId(3)), None, "removed: no tag");
        reference.insert(InteractionId(2), 4);

        assert_eq!(dense.len(), reference.len());
        assert_eq!(dense.chunks.len(), 3, "freed slots were reused before a chunk was added");
        for (id, v) in &reference {
            assert_eq!(dense.get(id), Some(v));
            assert!(dense.contains_key(id));
        }
        let mut values: Vec<u64> = dense.values().copied().collect();
        values.sort_unstable();
        let mut expected: Vec<u64> = reference.values().copied().collect();
        expected.sort_unstable();
        assert_eq!(values, expected);
        assert_eq!(dense.get(&InteractionId(3)), None);
    }
}
