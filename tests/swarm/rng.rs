//! Random numbers for the swarm: the crate's own `SimRng` (PCG, a named and portable
//! generator), one stream per purpose, so that changing how the workload is drawn does not
//! shift the faults of a seed, and the other way round.

use switchboard::sim::SimRng;

/// What a stream is for. The numbers are part of every recorded seed: never renumber them.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// The engine configuration, the topology and the per-seed swarm knobs.
    Setup = 1,
    /// The command stream (customers, agents, supervisors, hostile input).
    Workload = 2,
    /// How agents' desktops answer offers.
    Desktop = 3,
    /// When faults strike and what they do.
    Faults = 4,
}

/// A seeded stream with the few shapes of draw the swarm needs.
#[derive(Clone, Debug)]
pub struct Rng(SimRng);

impl Rng {
    pub fn new(seed: u64, stream: Stream) -> Self {
        Rng(SimRng::new(seed, stream as u64))
    }

    /// A uniform integer in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }

    /// A uniform integer in `lo..=hi` (`lo` when `hi < lo`), over the whole `u64` range too.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.below(span),
            None => self.u64(),
        }
    }

    /// A uniform `u64`, from two 32-bit draws (`SimRng` hands out bounded integers only).
    pub fn u64(&mut self) -> u64 {
        (self.0.below(1 << 32) << 32) | self.0.below(1 << 32)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.0.chance(p)
    }

    /// One element, or `None` from an empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.below(items.len() as u64) as usize)
    }

    /// One value by weight; `None` when every weight is zero.
    pub fn weighted<T: Copy>(&mut self, items: &[(u32, T)]) -> Option<T> {
        let total: u64 = items.iter().map(|(w, _)| u64::from(*w)).sum();
        let mut draw = self.below(total);
        for (w, item) in items {
            if draw < u64::from(*w) {
                return Some(*item);
            }
            draw -= u64::from(*w);
        }
        None
    }
}

/// SplitMix64's finaliser: spreads consecutive numbers (seeds, offer ids) over all 64 bits, so a
/// decision taken "one time in thirteen" does not follow the ids' own pattern.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
