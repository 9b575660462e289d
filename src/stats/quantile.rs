//! A streaming, mergeable, deterministic estimator of wait-time percentiles.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Sub-buckets per power of two: 2^6 = 64.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
/// Values below this are stored exactly, one bucket per millisecond.
const EXACT_BELOW: u64 = 2 * SUB;
/// Larger values are clamped (about 142,000 years), so bucket bounds never overflow.
const MAX_MS: u64 = 1 << 52;

/// A log-bucketed histogram of durations in milliseconds (the idea of
/// HdrHistogram and DDSketch, in integer arithmetic only).
///
/// **Error bound.** Every value below 128 ms is kept exactly. Above that, each
/// power of two is split into 64 equal buckets, so a bucket is at most 1/64 of
/// the values it holds wide, and a percentile is reported as the middle of its
/// bucket: the reported value differs from the true sample at that rank by at
/// most **1/128 of it (0.79 %)**. The rank is the nearest-rank definition:
/// the p-th percentile of n samples is the ⌈p·n⌉-th smallest.
///
/// Memory is one counter per bucket up to the largest value seen: about
/// 1,100 counters for waits up to an hour. Recording is O(1); reading a
/// percentile is O(buckets). No floating point is used in bucketing, so the
/// result is the same on every platform.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::stats::WaitSketch;
///
/// let mut waits = WaitSketch::new();
/// for secs in 1..=100 {
///     waits.record(Duration::from_secs(secs));
/// }
/// let p90 = waits.quantile(0.90).unwrap().as_millis() as f64;
/// assert!((p90 - 90_000.0).abs() <= 90_000.0 / 128.0);
/// assert_eq!(waits.count(), 100);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SparseSketch", into = "SparseSketch")]
pub struct WaitSketch {
    counts: Vec<u64>,
    total: u64,
}

/// The serialised form: only non-empty buckets, as (bucket, count) pairs.
#[derive(Serialize, Deserialize)]
struct SparseSketch {
    buckets: Vec<(u32, u64)>,
}

impl From<WaitSketch> for SparseSketch {
    fn from(s: WaitSketch) -> Self {
        let buckets = s
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (u32::try_from(i).unwrap_or(u32::MAX), *c))
            .collect();
        SparseSketch { buckets }
    }
}

impl From<SparseSketch> for WaitSketch {
    fn from(s: SparseSketch) -> Self {
        let mut sketch = WaitSketch::new();
        let max_index = index_of(MAX_MS);
        for (i, c) in s.buckets {
            // Indices past the largest bucket can only come from a foreign
            // file; clamp them rather than allocate without bound.
            sketch.add_at((i as usize).min(max_index), c);
        }
        sketch
    }
}

fn index_of(ms: u64) -> usize {
    let ms = ms.min(MAX_MS);
    if ms < EXACT_BELOW {
        return ms as usize;
    }
    let exp = 63 - ms.leading_zeros(); // ≥ 7
    let shift = exp - SUB_BITS; // ≥ 1
    let sub = (ms >> shift) - SUB; // 0..64
    (EXACT_BELOW + u64::from(shift - 1) * SUB + sub) as usize
}

/// The middle of a bucket, in milliseconds.
fn value_of(index: usize) -> u64 {
    let index = index as u64;
    if index < EXACT_BELOW {
        return index;
    }
    let k = index - EXACT_BELOW;
    let shift = k / SUB + 1;
    let lower = (SUB + k % SUB) << shift;
    lower + (1u64 << shift) / 2
}

impl WaitSketch {
    /// An empty sketch.
    pub fn new() -> Self {
        WaitSketch::default()
    }

    /// Records one duration.
    pub fn record(&mut self, value: Duration) {
        let ms = u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
        self.add_at(index_of(ms), 1);
    }

    fn add_at(&mut self, index: usize, count: u64) {
        if count == 0 {
            return;
        }
        if self.counts.len() <= index {
            self.counts.resize(index + 1, 0);
        }
        self.counts[index] = self.counts[index].saturating_add(count);
        self.total = self.total.saturating_add(count);
    }

    /// How many durations were recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The `q`-quantile (`q` from 0 to 1, clamped; 0.9 is the 90th
    /// percentile), within the error bound above; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        // Nearest rank, 1-based: ⌈q·n⌉, at least 1.
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Duration::from_millis(value_of(i)));
            }
        }
        None
    }

    /// The median.
    pub fn p50(&self) -> Option<Duration> {
        self.quantile(0.50)
    }

    /// The 90th percentile.
    pub fn p90(&self) -> Option<Duration> {
        self.quantile(0.90)
    }

    /// The 99th percentile.
    pub fn p99(&self) -> Option<Duration> {
        self.quantile(0.99)
    }

    /// Adds every sample of another sketch (another interval, another queue).
    /// Merging is exact: the result is the sketch of all samples together.
    pub fn merge(&mut self, other: &WaitSketch) {
        for (i, c) in other.counts.iter().enumerate() {
            self.add_at(i, *c);
        }
    }

    /// Forgets every sample, keeping the allocation.
    pub fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.total = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bounded() {
        let mut last = 0;
        for ms in [0u64, 1, 63, 64, 127, 128, 129, 255, 256, 1_000, 60_000, 3_600_000, MAX_MS, u64::MAX] {
            let i = index_of(ms);
            assert!(i >= last, "monotone at {ms}");
            last = i;
            let v = value_of(i);
            let err = v.abs_diff(ms.min(MAX_MS));
            assert!(err * 128 <= ms.min(MAX_MS), "{ms} -> {v}");
        }
        // Each bucket boundary maps to the next index.
        for ms in 128..20_000u64 {
            let (a, b) = (index_of(ms), index_of(ms + 1));
            assert!(b == a || b == a + 1);
        }
    }

    #[test]
    fn nearest_rank_and_merge() {
        let mut a = WaitSketch::new();
        assert_eq!(a.p50(), None);
        for ms in [10u64, 20, 30, 40] {
            a.record(Duration::from_millis(ms));
        }
        assert_eq!(a.quantile(0.5), Some(Duration::from_millis(20)));
        assert_eq!(a.quantile(0.51), Some(Duration::from_millis(30)));
        assert_eq!(a.quantile(0.0), Some(Duration::from_millis(10)));
        assert_eq!(a.quantile(1.0), Some(Duration::from_millis(40)));
        let mut b = WaitSketch::new();
        b.record(Duration::from_millis(5));
        b.merge(&a);
        assert_eq!(b.count(), 5);
        assert_eq!(b.p50(), Some(Duration::from_millis(20)));
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<WaitSketch>(&json).unwrap(), b);
        b.clear();
        assert!(b.is_empty());
    }

    #[test]
    fn error_bound_holds_on_a_spread_of_values() {
        let mut s = WaitSketch::new();
        let values: Vec<u64> = (0..2_000u64).map(|i| i * i * 7 + 3).collect();
        for v in &values {
            s.record(Duration::from_millis(*v));
        }
        for q in [0.01, 0.25, 0.5, 0.9, 0.99, 1.0] {
            let rank = ((q * values.len() as f64).ceil() as usize).max(1);
            let truth = values[rank - 1];
            let got = s.quantile(q).unwrap().as_millis() as u64;
            assert!(got.abs_diff(truth) * 128 <= truth, "q={q}: {got} vs {truth}");
        }
    }
}
