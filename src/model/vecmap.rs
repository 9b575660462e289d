//! A map of a handful of entries as a sorted vector.
//!
//! An agent's per-channel settings and counts, and their last offer per
//! queue, hold two to eight entries each. A `BTreeMap` of them allocates a
//! whole B-tree leaf (eleven keys and values, about 100–190 bytes) on the
//! first insert, and keeps it once emptied; a sorted vector holds exactly
//! its entries, and its lookups are a few comparisons. Entries are kept in
//! key order, so iteration, equality and serialisation are those of the
//! `BTreeMap` it replaces: the serde forms (a map, or through
//! [`channel_map`](super::channel::channel_map) a list of pairs) are byte for
//! byte the same.
//!
//! A map may keep its first `N` entries inline, in the 16 bytes a vector's
//! pointer and length take anyway (a `SmallVec` with the `union` layout is
//! the 24 bytes of a `Vec`): the maps an agent changes on every offer (their
//! load per channel, their last offer per queue) then sit in the agent's own
//! cache lines instead of a heap block of their own, which at thousands of
//! agents is a cache miss per map per decision.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::SmallVec;

/// A map kept as a vector sorted by key, for a handful of entries, the
/// first `N` of them inline.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct VecMap<K, V, const N: usize = 0>(SmallVec<[(K, V); N]>);

impl<K, V, const N: usize> Default for VecMap<K, V, N> {
    fn default() -> Self {
        VecMap(SmallVec::new_const())
    }
}

impl<K: Ord + Copy, V, const N: usize> VecMap<K, V, N> {
    /// An empty map (allocates nothing).
    pub(crate) const fn new() -> Self {
        VecMap(SmallVec::new_const())
    }

    fn find(&self, key: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// The value of `key`, if present.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// The value of `key`, if present, to change.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    /// Whether `key` is present.
    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it replaces. Grows the
    /// vector by one entry at a time once past its inline room: these maps
    /// hold a handful.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.reserve_exact(1);
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`, inserted with `make` if absent.
    pub(crate) fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.reserve_exact(1);
                self.0.insert(i, (key, make()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Takes `key` out, returning its value. Keeps the vector's room: the
    /// entry is likely to come back (a load's channel, say).
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    /// The entries, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The keys, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    /// Whether there is none.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Ord + Copy, V, const N: usize> FromIterator<(K, V)> for VecMap<K, V, N> {
    /// Later entries replace earlier ones with the same key, as in a `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut map = VecMap::new();
        for (k, v) in entries {
            map.insert(k, v);
        }
        map
    }
}

/// Formatted as a map, as the `BTreeMap` it replaces was.
impl<K: fmt::Debug, V: fmt::Debug, const N: usize> fmt::Debug for VecMap<K, V, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter().map(|(k, v)| (k, v))).finish()
    }
}

/// Serialised as a map in key order, exactly as a `BTreeMap`.
impl<K: Serialize, V: Serialize, const N: usize> Serialize for VecMap<K, V, N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Read as a map, as a `BTreeMap` is: a key given twice keeps its last value.
impl<'de, K: Deserialize<'de> + Ord + Copy, V: Deserialize<'de>, const N: usize> Deserialize<'de> for VecMap<K, V, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<K, V>::deserialize(d)?;
        Ok(VecMap(map.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn behaves_and_serialises_as_a_btree_map() {
        let pairs = [(5u64, 50u64), (1, 10), (3, 30), (1, 11), (9, 90)];
        let mut tree = BTreeMap::new();
        let mut vec = VecMap::new();
        for (k, v) in pairs {
            assert_eq!(vec.insert(k, v), tree.insert(k, v));
        }
        assert_eq!(vec.remove(&3), tree.remove(&3));
        assert_eq!(vec.remove(&4), tree.remove(&4));
        *vec.get_or_insert_with(7, || 0) += 70;
        *tree.entry(7).or_insert(0) += 70;
        assert_eq!(vec.iter().collect::<Vec<_>>(), tree.iter().collect::<Vec<_>>());
        assert_eq!(format!("{vec:?}"), format!("{tree:?}"));
        let json = serde_json::to_string(&vec).unwrap();
        assert_eq!(json, serde_json::to_string(&tree).unwrap());
        assert_eq!(serde_json::from_str::<VecMap<u64, u64>>(&json).unwrap(), vec);
        assert_eq!(vec.get(&9), Some(&90));
        assert!(!vec.contains_key(&3));
    }
}
