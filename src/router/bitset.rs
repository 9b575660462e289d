//! A growable set of small integers (a queue's member slots), one bit each.
//!
//! The index keeps, per queue, one of these for every (skill, level) its
//! members hold and for every channel they work; whether an agent qualifies
//! for a requirement set is then an AND of a few of them, and how many
//! members qualify is a popcount: a cost set by the number of members (one
//! word per 64), never by how many different requirement sets are waiting.

/// Bits of member slots. Words past the end are zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Bitset {
    words: Vec<u64>,
    /// How many bits are set, kept as bits change: a routing decision asks how many
    /// members are ready, and with no requirement to AND that is this count, not a
    /// popcount of a word per 64 members (at 5,000 members, 79 words and their cache misses).
    ones: u32,
}

impl Bitset {
    /// Sets bit `i`, growing as needed, to exactly the words needed: a
    /// queue keeps five of these per skill its members hold, and growth by
    /// doubling left those of a queue just past a power of two members up
    /// to half empty. Removing keeps the room (see [`Bitset::remove`]), so
    /// the room grows only when a bit past every earlier one is set.
    pub(crate) fn insert(&mut self, i: u32) {
        let (word, bit) = split(i);
        if word >= self.words.len() {
            self.words.reserve_exact(word + 1 - self.words.len());
            self.words.resize(word + 1, 0);
        }
        if self.words[word] & bit == 0 {
            self.words[word] |= bit;
            self.ones += 1;
        }
    }

    /// Clears bit `i`. Trailing zero words are dropped (their capacity kept:
    /// ready sets empty and fill all day long).
    pub(crate) fn remove(&mut self, i: u32) {
        let (word, bit) = split(i);
        if let Some(w) = self.words.get_mut(word) {
            if *w & bit != 0 {
                *w &= !bit;
                self.ones -= 1;
            }
        }
        while self.words.last() == Some(&0) {
            self.words.pop();
        }
    }

    /// Whether bit `i` is set.
    pub(crate) fn contains(&self, i: u32) -> bool {
        let (word, bit) = split(i);
        self.words.get(word).is_some_and(|w| w & bit != 0)
    }

    /// Whether no bit is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Number of bits set.
    pub(crate) fn len(&self) -> u32 {
        self.ones
    }

    /// Number of bits set in the intersection of `first` and every set in
    /// `rest`, without building it (an absent set is empty).
    pub(crate) fn intersection_len(first: &Bitset, rest: &[Option<&Bitset>]) -> u32 {
        if rest.iter().any(Option::is_none) {
            return 0;
        }
        if rest.is_empty() {
            return first.len();
        }
        let len = rest.iter().flatten().map(|b| b.words.len()).fold(first.words.len(), usize::min);
        (0..len).map(|k| rest.iter().flatten().fold(first.words[k], |acc, b| acc & b.words[k]).count_ones()).sum()
    }

    /// Calls `f` with each bit set in `first` and in every set of `rest`, in
    /// increasing order, without building the intersection (an absent set is empty).
    pub(crate) fn for_each_common(first: &Bitset, rest: &[Option<&Bitset>], mut f: impl FnMut(u32)) {
        if rest.iter().any(Option::is_none) {
            return;
        }
        let len = rest.iter().flatten().map(|b| b.words.len()).fold(first.words.len(), usize::min);
        for k in 0..len {
            let mut w = rest.iter().flatten().fold(first.words[k], |acc, b| acc & b.words[k]);
            let base = u32::try_from(k).expect("slots are u32, so word indexes fit") * 64;
            while w != 0 {
                f(base + w.trailing_zeros());
                w &= w - 1;
            }
        }
    }

    /// The set bits, in increasing order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(k, &word)| {
            let base = u32::try_from(k).expect("slots are u32, so word indexes fit") * 64;
            let mut w = word;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros();
                w &= w - 1;
                Some(base + bit)
            })
        })
    }

    /// Words held (trailing zero words are dropped).
    #[cfg(test)]
    pub(crate) fn words(&self) -> usize {
        self.words.len()
    }
}

fn split(i: u32) -> (usize, u64) {
    ((i / 64) as usize, 1u64 << (i % 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(bits: &[u32]) -> Bitset {
        let mut b = Bitset::default();
        for i in bits {
            b.insert(*i);
        }
        b
    }

    #[test]
    fn insert_remove_contains_iter() {
        let mut b = of(&[0, 3, 64, 200]);
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![0, 3, 64, 200]);
        assert!(b.contains(64) && !b.contains(65) && !b.contains(100_000));
        b.remove(200);
        assert_eq!(b.words(), 2, "trailing zero words are dropped");
        b.remove(1_000_000);
        for i in [0, 3, 64] {
            b.remove(i);
        }
        assert!(b.is_empty() && b.words() == 0);
    }

    /// The kept count is the popcount, whatever order bits are set and cleared in, twice or
    /// never set (a routing decision reads it as the number of ready members).
    #[test]
    fn the_kept_count_is_the_popcount() {
        let mut b = Bitset::default();
        let mut x = 7u64;
        for _ in 0..5_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let slot = ((x >> 33) % 300) as u32;
            if (x >> 20) % 3 == 0 {
                b.remove(slot);
            } else {
                b.insert(slot);
            }
            assert_eq!(b.len(), b.iter().count() as u32);
            assert_eq!(Bitset::intersection_len(&b, &[]), b.len());
        }
    }

    #[test]
    fn intersections_agree_with_sets() {
        let a = of(&[1, 2, 3, 70, 130]);
        let b = of(&[2, 3, 70]);
        let c = of(&[3, 70, 131]);
        let mut both = Vec::new();
        Bitset::for_each_common(&a, &[Some(&b), Some(&c)], |i| both.push(i));
        assert_eq!(both, vec![3, 70]);
        assert_eq!(Bitset::intersection_len(&a, &[Some(&b), Some(&c)]), 2);
        assert_eq!(Bitset::intersection_len(&a, &[]), a.len());
        assert_eq!(Bitset::intersection_len(&a, &[Some(&b), None]), 0, "an absent set is empty");
        let mut none = Vec::new();
        Bitset::for_each_common(&a, &[None], |i| none.push(i));
        assert!(none.is_empty());
        let mut all = Vec::new();
        Bitset::for_each_common(&a, &[], |i| all.push(i));
        assert_eq!(all, a.iter().collect::<Vec<_>>());
    }
}
