//! The heads of a (queue, channel)'s waiting lists, grouped so that an agent
//! looks only at lists naming skills they hold.
//!
//! A list's requirement set names some skills at some levels. Lists are
//! grouped by the skills named, whatever the levels (a *combination*): an
//! agent can qualify only for combinations made of skills they hold, and
//! there are at most Σ C(held, j) of those for j up to the largest
//! combination waiting — a number set by the agent's configuration, not by
//! how many different requirement sets wait. When the (queue, channel) holds
//! fewer combinations than that, they are simply all looked at. Inside a
//! combination, heads are in routing order, and lists whose levels the agent
//! does not meet are skipped.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use smallvec::SmallVec;

use super::{SigId, WaitKey};
use crate::ids::{IdHashKey, SkillId};
use crate::model::skill::{Requirements, SkillSet};

/// Requirement sets naming up to this many skills carry their levels in the
/// heads, so that skipping a list whose levels an agent does not meet reads
/// nothing else.
pub(crate) const LEVELS_INLINE: usize = 4;

/// What the heads know of a requirement set: the skills it names (sorted)
/// and, when there are at most [`LEVELS_INLINE`], the minimum levels in the
/// same order (zero past the end); otherwise all zero.
///
/// Worked out from the set whenever a head moves, on the stack, rather
/// than kept per interned set: kept, it cost about 50 bytes a set (its
/// entry and its own allocation), which with thousands of sets of one or two
/// interactions each was 25 bytes per waiting interaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) skills: SmallVec<[SkillId; LEVELS_INLINE]>,
    pub(crate) levels: [u8; LEVELS_INLINE],
}

impl Shape {
    pub(crate) fn of(reqs: &Requirements) -> Shape {
        let skills: SmallVec<[SkillId; LEVELS_INLINE]> = reqs.iter().map(|r| r.skill).collect();
        let mut levels = [0; LEVELS_INLINE];
        if skills.len() <= LEVELS_INLINE {
            for (level, r) in levels.iter_mut().zip(reqs.iter()) {
                *level = r.min_level.level();
            }
        }
        Shape { skills, levels }
    }
}

/// The heads of one combination's lists, in routing order, each carrying
/// its list's levels ([`WaitKey::levels`]) and naming its signature.
///
/// A sorted vector while it holds at most [`FEW_MAX`] heads, a B-tree past
/// that. Most combinations hold a few heads (with 50,000 distinct sets
/// waiting in 20 queues, about 5 to 25 each), and a standard B-tree
/// allocates a whole leaf of eleven keys (456 bytes) for its first head and
/// an internal node (552) at its twelfth: about 100 bytes a head at these
/// sizes, against 40 to 50 in a vector sized to fit. The B-tree bounds what
/// an insertion costs when a combination holds hundreds (a set of k skills
/// has up to 5^k level vectors).
#[derive(Clone, Debug)]
pub(crate) struct Combination {
    heads: Repr,
}

#[derive(Clone, Debug)]
enum Repr {
    /// Sorted, without duplicates; grown by a quarter when full and shrunk
    /// once half empty, so its capacity stays under about twice its length
    /// (see [`Combination::insert`] and [`Combination::remove`]).
    Few(Vec<WaitKey>),
    Many(BTreeSet<WaitKey>),
}

/// The most heads a combination keeps in a vector: moving 128 keys of 40
/// bytes on an insertion costs about what a B-tree's descent does.
pub(crate) const FEW_MAX: usize = 128;

/// A combination in a B-tree goes back to a vector at this many heads (half
/// of [`FEW_MAX`], so that one head in and out never converts twice).
const FEW_AGAIN: usize = FEW_MAX / 2;

impl Combination {
    fn of(head: WaitKey) -> Combination {
        Combination { heads: Repr::Few(vec![head]) }
    }

    /// Adds `head`; false if it was there already.
    fn insert(&mut self, head: WaitKey) -> bool {
        match &mut self.heads {
            Repr::Few(heads) => {
                let Err(at) = heads.binary_search(&head) else { return false };
                if heads.len() == FEW_MAX {
                    let mut many: BTreeSet<WaitKey> = heads.drain(..).collect();
                    many.insert(head);
                    self.heads = Repr::Many(many);
                    return true;
                }
                if heads.len() == heads.capacity() {
                    // A quarter more, not double: most combinations stay small.
                    heads.reserve_exact((heads.len() / 4).max(1));
                }
                heads.insert(at, head);
                true
            }
            Repr::Many(heads) => heads.insert(head),
        }
    }

    /// Removes `head`; false if it was not there.
    fn remove(&mut self, head: &WaitKey) -> bool {
        match &mut self.heads {
            Repr::Few(heads) => {
                let Ok(at) = heads.binary_search(head) else { return false };
                heads.remove(at);
                // Give back what a larger past left, keeping room to grow.
                if heads.capacity() > 4 && heads.len() * 2 <= heads.capacity() {
                    heads.shrink_to(heads.len() + heads.len() / 4);
                }
                true
            }
            Repr::Many(heads) => {
                let removed = heads.remove(head);
                if heads.len() <= FEW_AGAIN {
                    let mut few = Vec::with_capacity(heads.len() + heads.len() / 4);
                    few.extend(std::mem::take(heads));
                    self.heads = Repr::Few(few);
                }
                removed
            }
        }
    }

    /// Whether it holds no head.
    fn is_empty(&self) -> bool {
        match &self.heads {
            Repr::Few(heads) => heads.is_empty(),
            Repr::Many(heads) => heads.is_empty(),
        }
    }

    /// The heads in routing order.
    pub(crate) fn iter(&self) -> CombinationIter<'_> {
        match &self.heads {
            Repr::Few(heads) => CombinationIter::Few(heads.iter()),
            Repr::Many(heads) => CombinationIter::Many(heads.iter()),
        }
    }
}

/// Two combinations are equal when they hold the same heads, however kept.
impl PartialEq for Combination {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Combination {}

impl<'a> IntoIterator for &'a Combination {
    type Item = &'a WaitKey;
    type IntoIter = CombinationIter<'a>;
    fn into_iter(self) -> CombinationIter<'a> {
        self.iter()
    }
}

/// The heads of a [`Combination`], in routing order.
pub(crate) enum CombinationIter<'a> {
    Few(std::slice::Iter<'a, WaitKey>),
    Many(std::collections::btree_set::Iter<'a, WaitKey>),
}

impl<'a> Iterator for CombinationIter<'a> {
    type Item = &'a WaitKey;
    fn next(&mut self) -> Option<&'a WaitKey> {
        match self {
            CombinationIter::Few(heads) => heads.next(),
            CombinationIter::Many(heads) => heads.next(),
        }
    }
}

/// The heads of the lists some member qualifies for, by combination.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Heads {
    combinations: HashMap<Box<[SkillId]>, Combination, IdHashKey>,
    /// How many combinations name each skill.
    skills: BTreeMap<SkillId, u32>,
    /// How many combinations have each size.
    sizes: BTreeMap<usize, u32>,
}

impl Heads {
    /// Adds the head of a list whose requirement set has shape `shape`.
    pub(crate) fn insert(&mut self, shape: &Shape, head: WaitKey) {
        let skills = &shape.skills[..];
        if let Some(combination) = self.combinations.get_mut(skills) {
            combination.insert(head.with_levels(shape.levels));
            return;
        }
        for skill in skills {
            *self.skills.entry(*skill).or_insert(0) += 1;
        }
        *self.sizes.entry(skills.len()).or_insert(0) += 1;
        self.combinations.insert(skills.into(), Combination::of(head.with_levels(shape.levels)));
    }

    /// Removes the head of a list whose requirement set has shape `shape`,
    /// dropping its combination when it was the last.
    pub(crate) fn remove(&mut self, shape: &Shape, head: WaitKey) {
        let skills = &shape.skills[..];
        let Some(combination) = self.combinations.get_mut(skills) else { return };
        combination.remove(&head.with_levels(shape.levels));
        if !combination.is_empty() {
            return;
        }
        self.combinations.remove(skills);
        for skill in skills {
            decrement(&mut self.skills, *skill);
        }
        decrement(&mut self.sizes, skills.len());
    }

    /// Whether no list is headed here.
    pub(crate) fn is_empty(&self) -> bool {
        self.combinations.is_empty()
    }

    /// Every head, by combination (for checks).
    pub(crate) fn all(&self) -> impl Iterator<Item = (WaitKey, SigId)> + '_ {
        self.combinations.values().flatten().map(|head| (head.plain(), head.sig))
    }

    /// Calls `visit` with each combination (its skills and heads) an agent
    /// holding `held` could qualify for (every skill named is held, at some
    /// level), until it returns true; says whether it did. The order of
    /// combinations is unspecified: callers compare heads, never positions.
    ///
    /// `visit` also gets the agent's levels in the combination's skills, in
    /// its order, when it names at most [`LEVELS_INLINE`] (see [`held_levels`]).
    pub(crate) fn any_combination(
        &self,
        held: &SkillSet,
        mut visit: impl FnMut(&[SkillId], &Combination, Option<[u8; LEVELS_INLINE]>) -> bool,
    ) -> bool {
        let largest = self.sizes.last_key_value().map_or(0, |(size, _)| *size);
        let mut all = || {
            self.combinations.iter().any(|(skills, c)| {
                let levels = held_levels(held, skills);
                let holds_all = match levels {
                    Some(levels) => levels[..skills.len()].iter().all(|l| *l > 0),
                    None => skills.iter().all(|s| held.level(*s).is_some()),
                };
                holds_all && visit(skills, c, levels)
            })
        };
        if self.combinations.len() as u64 <= subsets_up_to(held.len(), largest) {
            return all();
        }
        let relevant: Vec<SkillId> =
            held.iter().map(|(skill, _)| skill).filter(|skill| self.skills.contains_key(skill)).collect();
        if self.combinations.len() as u64 <= subsets_up_to(relevant.len(), largest) {
            return all();
        }
        let mut chosen = Vec::with_capacity(largest);
        self.any_subset(&relevant, largest, &mut chosen, &mut |skills, c| visit(skills, c, held_levels(held, skills)))
    }

    /// Visits the combination of every subset of `items` (sorted) extending
    /// `chosen` with at most `largest` skills in all.
    fn any_subset(
        &self,
        items: &[SkillId],
        largest: usize,
        chosen: &mut Vec<SkillId>,
        visit: &mut impl FnMut(&[SkillId], &Combination) -> bool,
    ) -> bool {
        if let Some(c) = self.combinations.get(chosen.as_slice()) {
            if visit(chosen, c) {
                return true;
            }
        }
        if chosen.len() == largest {
            return false;
        }
        for (k, skill) in items.iter().enumerate() {
            chosen.push(*skill);
            let found = self.any_subset(&items[k + 1..], largest, chosen, visit);
            chosen.pop();
            if found {
                return true;
            }
        }
        false
    }
}

/// An agent's levels in `skills` (zero where not held), in their order, when
/// there are at most [`LEVELS_INLINE`] of them: what requirement sets that
/// small carry inline to compare with.
pub(crate) fn held_levels(held: &SkillSet, skills: &[SkillId]) -> Option<[u8; LEVELS_INLINE]> {
    if skills.len() > LEVELS_INLINE {
        return None;
    }
    let mut levels = [0; LEVELS_INLINE];
    for (level, skill) in levels.iter_mut().zip(skills) {
        *level = held.level(*skill).map_or(0, |l| l.level());
    }
    Some(levels)
}

fn decrement<K: Ord>(counts: &mut BTreeMap<K, u32>, key: K) {
    if let Some(n) = counts.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

/// How many subsets of `n` things have at most `k` of them (saturating).
fn subsets_up_to(n: usize, k: usize) -> u64 {
    let mut total = 0u64;
    let mut choose = 1u64; // C(n, j)
    for j in 0..=k.min(n) {
        total = total.saturating_add(choose);
        choose = choose.saturating_mul((n - j) as u64) / (j as u64 + 1);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::skill::Proficiency;

    #[test]
    fn subset_counts() {
        assert_eq!(subsets_up_to(8, 3), 1 + 8 + 28 + 56);
        assert_eq!(subsets_up_to(2, 5), 4);
        assert_eq!(subsets_up_to(0, 3), 1);
        assert_eq!(subsets_up_to(200, 32), u64::MAX, "saturates");
    }

    fn key(n: u64) -> WaitKey {
        let n32 = u32::try_from(n).expect("small");
        WaitKey {
            entered_ms: n as i64,
            seq: n,
            priority: 0,
            aging_per_minute: 0,
            at: n32,
            sig: n32,
            overdue: false,
            levels: 0,
        }
    }

    /// Both ways of choosing combinations (all of them, or the subsets of the
    /// agent's skills) visit exactly those made of held skills.
    #[test]
    fn visits_exactly_the_combinations_of_held_skills() {
        let s = |ids: &[u64]| ids.iter().map(|i| SkillId(*i)).collect::<Vec<_>>();
        let mut heads = Heads::default();
        let combos = [s(&[]), s(&[1]), s(&[2]), s(&[1, 2]), s(&[1, 3]), s(&[2, 3, 4]), s(&[5]), s(&[1, 2, 5])];
        for (n, c) in combos.iter().enumerate() {
            heads.insert(&Shape { skills: c.clone().into(), levels: [0; LEVELS_INLINE] }, key(n as u64));
        }
        for held in [vec![1u64, 2], vec![1, 2, 3, 4], vec![], vec![9], vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]] {
            let set = SkillSet::from_pairs(held.iter().map(|i| (SkillId(*i), Proficiency::MIN)));
            let mut seen = Vec::new();
            heads.any_combination(&set, |_, c, _| {
                seen.extend(c.iter().map(|head| head.sig));
                false
            });
            seen.sort_unstable();
            let expected: Vec<u32> = combos
                .iter()
                .enumerate()
                .filter(|(_, c)| c.iter().all(|s| held.contains(&s.0)))
                .map(|(n, _)| n as u32)
                .collect();
            assert_eq!(seen, expected, "held {held:?}");
        }
        heads.remove(&Shape { skills: s(&[1, 2, 5]).into(), levels: [0; LEVELS_INLINE] }, key(7));
        assert_eq!(heads.sizes.get(&3), Some(&1));
        assert_eq!(heads.skills.get(&SkillId(5)), Some(&1));
    }

    /// A head carries its list's levels in its key, every level from 0 to 5
    /// at every position, and is removed by the same key and levels.
    #[test]
    fn a_head_carries_its_levels_and_is_removed_by_them() {
        let mut heads = Heads::default();
        let mut shapes = Vec::new();
        for n in 0..6u8 {
            let levels = [n, 5 - n, n % 3, 5];
            let shape = Shape { skills: vec![SkillId(1), SkillId(2), SkillId(3), SkillId(4)].into(), levels };
            heads.insert(&shape, key(u64::from(n)));
            shapes.push(shape);
        }
        heads.any_combination(&SkillSet::from_pairs((1..=4).map(|i| (SkillId(i), Proficiency::MIN))), |_, c, _| {
            let carried: Vec<[u8; LEVELS_INLINE]> = c.iter().map(|head| head.levels()).collect();
            assert_eq!(carried, shapes.iter().map(|s| s.levels).collect::<Vec<_>>());
            assert!(c.iter().all(|head| head.plain() == key(head.seq) && head.plain().levels() == [0; 4]));
            false
        });
        for (n, shape) in shapes.iter().enumerate() {
            heads.remove(shape, key(n as u64));
        }
        assert!(heads.is_empty());
    }

    mod combination {
        use super::super::{Combination, FEW_MAX};
        use super::key;
        use crate::proptest_config::{config, seed};
        use proptest::prelude::*;
        use std::collections::BTreeSet;

        const SEED: u64 = 0x00c0_ffee;

        proptest! {
            #![proptest_config(config(seed(SEED), 64))]

            /// A combination holds and orders exactly what a B-tree set
            /// would, as it grows past [`FEW_MAX`] into one and shrinks back,
            /// and keeps a vector's capacity within reach of its length.
            #[test]
            fn holds_what_a_set_would(ops in proptest::collection::vec((any::<u8>(), 0..(2 * FEW_MAX as u64)), 1_000..2_000)) {
                let mut model = BTreeSet::new();
                let mut c = Combination::of(key(0));
                model.insert(key(0));
                let half = ops.len() / 2;
                for (k, (coin, n)) in ops.into_iter().enumerate() {
                    // Three adds in four in the first half (about 190 of the
                    // 256 keys held), one in eight in the second (about 30):
                    // every run becomes a B-tree and nearly every one a
                    // vector again.
                    let add = if k < half { coin < 192 } else { coin < 32 };
                    let (got, want) = if add {
                        (c.insert(key(n)), model.insert(key(n)))
                    } else {
                        (c.remove(&key(n)), model.remove(&key(n)))
                    };
                    prop_assert_eq!(got, want, "SWITCHBOARD_SEED={}", seed(SEED));
                    prop_assert!(c.iter().eq(model.iter()), "SWITCHBOARD_SEED={}", seed(SEED));
                    prop_assert_eq!(c.is_empty(), model.is_empty());
                    if let super::super::Repr::Few(v) = &c.heads {
                        prop_assert!(v.len() <= FEW_MAX);
                        prop_assert!(v.capacity() <= (v.len() * 2).max(8), "capacity {} for {}", v.capacity(), v.len());
                    }
                }
            }
        }

        /// Crossing the bound converts, and equality ignores how heads are kept.
        #[test]
        fn converts_both_ways_and_compares_by_heads() {
            let mut c = Combination::of(key(0));
            for n in 1..=FEW_MAX as u64 {
                assert!(c.insert(key(n)));
            }
            assert!(matches!(c.heads, super::super::Repr::Many(_)), "{} heads", FEW_MAX + 1);
            let mut few = Combination::of(key(0));
            for n in 1..FEW_MAX as u64 / 2 {
                few.insert(key(n));
            }
            for n in (FEW_MAX as u64 / 2..=FEW_MAX as u64).rev() {
                assert!(matches!(c.heads, super::super::Repr::Many(_)), "still a B-tree above half");
                assert!(c.remove(&key(n)));
            }
            assert!(matches!(c.heads, super::super::Repr::Few(_)), "a vector again at half");
            assert_eq!(c, few);
            // A B-tree and a vector with the same heads are equal, and unequal
            // once one holds a head more.
            let mut tree = Combination::of(key(0));
            for n in 1..=FEW_MAX as u64 {
                tree.insert(key(n));
            }
            tree.remove(&key(FEW_MAX as u64));
            assert!(matches!(tree.heads, super::super::Repr::Many(_)), "{FEW_MAX} heads, from above");
            let vector = Combination { heads: super::super::Repr::Few((0..FEW_MAX as u64).map(key).collect()) };
            assert_eq!(tree, vector);
            assert_eq!(vector, tree);
            tree.remove(&key(0));
            assert_ne!(tree, vector);
            assert!(!c.remove(&key(FEW_MAX as u64)));
        }
    }
}
