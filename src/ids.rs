//! Identifier newtypes. Hosts choose the numbers (except for offers, which the
//! engine numbers itself), so every command is self-contained and replayable.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};

use serde::{Deserialize, Serialize};

/// Declares a `u64` identifier newtype with the traits every id needs.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id_type!(
    /// Identifies one interaction (a call, a chat, an e-mail, …), chosen by the host.
    InteractionId, "i"
);
id_type!(
    /// Identifies one agent, chosen by the host.
    AgentId, "a"
);
id_type!(
    /// Identifies one queue, chosen by the host.
    QueueId, "q"
);
id_type!(
    /// Identifies one skill, chosen by the host.
    SkillId, "s"
);
id_type!(
    /// Identifies one customer across all channels, chosen by the host.
    CustomerId, "c"
);
id_type!(
    /// Identifies a case (a customer matter that may span several interactions and channels).
    CaseId, "case"
);
id_type!(
    /// Identifies one offer of an interaction to an agent; numbered by the engine in order.
    OfferId, "o"
);
id_type!(
    /// Identifies one business-hours calendar, chosen by the host.
    CalendarId, "cal"
);
id_type!(
    /// An agent's pause reason ("aux code"), such as break, lunch or training, chosen by the host.
    ReasonCode, "r"
);

/// A small multiplicative hasher for id keys (and timer kinds: a tag and an
/// id). Fixed, so nothing in the engine depends on process randomness, and
/// far cheaper than SipHash on the hot path.
///
/// Ids often come from outside (telephony call ids, CRM keys), with structure:
/// sequential, strided, or with all their entropy in the high bits. A plain
/// multiply leaves the low bits of the hash a function of the low bits of the
/// id alone, and the table picks buckets by the low bits, so ids that are
/// multiples of 2^32 would all share one bucket and every lookup would walk
/// them all. `finish` therefore ends with the murmur3 64-bit finaliser, a
/// bijection in which every output bit depends on every input bit: distinct
/// ids keep distinct hashes and structured ids spread evenly (tested below).
/// No fixed function can stop someone who chooses raw ids *deliberately* to
/// collide, knowing the function. Against that, the hasher starts from a key
/// ([`IdHashKey`], set with `EngineConfigBuilder::id_hash_key`): with a key the
/// attacker does not know, they cannot aim ids at one bucket. Iteration order
/// never shows in the engine's output, so the key changes no result.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdHasher(u64);

impl IdHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.mix(n as u64);
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Builds [`IdHasher`]s starting from a key (zero by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IdHashKey(pub(crate) u64);

impl BuildHasher for IdHashKey {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

/// A hash map keyed by ids, with the [`IdHasher`]. Lookups only: code
/// that iterates one must sort first, so that iteration order never shows.
pub(crate) type IdMap<K, V> = HashMap<K, V, IdHashKey>;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::hash::BuildHasher;

    use super::*;

    /// Share of 2^16 buckets that 2^16 ids fill; a random function fills about 63 %.
    fn bucket_fill(ids: impl Iterator<Item = u64>) -> f64 {
        let build = IdHashKey::default();
        let buckets: BTreeSet<u64> = ids.map(|id| build.hash_one(InteractionId(id)) & 0xffff).collect();
        buckets.len() as f64 / 65_536.0
    }

    #[test]
    fn structured_ids_spread_over_the_buckets() {
        let n = 1u64 << 16;
        let cases: [(&str, Box<dyn Iterator<Item = u64>>); 5] = [
            ("sequential", Box::new(0..n)),
            ("multiples of 2^32", Box::new((0..n).map(|k| k << 32))),
            ("multiples of 2^48", Box::new((0..n).map(|k| k << 48))),
            ("stride 1000", Box::new((0..n).map(|k| k * 1000))),
            ("high and low halves equal", Box::new((0..n).map(|k| k << 32 | k))),
        ];
        for (name, ids) in cases {
            let fill = bucket_fill(ids);
            assert!(fill > 0.55, "{name}: ids fill only {:.1} % of the buckets", fill * 100.0);
        }
    }

    #[test]
    fn a_key_moves_every_id() {
        let (plain, keyed) = (IdHashKey(0), IdHashKey(0x1234_5678_9abc_def0));
        let moved = (0..1_000u64).filter(|id| plain.hash_one(AgentId(*id)) != keyed.hash_one(AgentId(*id))).count();
        assert_eq!(moved, 1_000);
    }
}
