//! Identifier newtypes. Hosts choose the numbers (except for offers, which the
//! engine numbers itself), so every command is self-contained and replayable.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

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
    /// An agent's pause reason ("aux code"), such as break, lunch or training, chosen by the host.
    ReasonCode, "r"
);

/// A small multiplicative hasher for id keys (and timer kinds: a tag and an
/// id). Fixed, so nothing in the engine depends on process randomness, and
/// far cheaper than SipHash on the hot path; the keys are engine offer ids and
/// host ids, so flooding resistance buys nothing here.
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
        self.0
    }
}

/// A hash map keyed by ids, with the fixed [`IdHasher`]. Lookups only: code
/// that iterates one must sort first, so that iteration order never shows.
pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
