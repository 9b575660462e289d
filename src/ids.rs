//! Identifier newtypes. Hosts choose the numbers (except for offers, which the
//! engine numbers itself), so every command is self-contained and replayable.

use std::fmt;

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
