//! The named fault and hostility classes a run can switch on and off.
//!
//! Every fault the swarm injects and every kind of hostile input it sends belongs to one class,
//! so that a class that hits a known engine bug can be switched off until the fix lands, and a
//! failure can be narrowed down by switching classes off one at a time.

use std::collections::BTreeSet;
use std::fmt;

/// One class of faults or hostile input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    // ----- faults -----
    /// Throw the engine away at a random point and recover it from the latest checkpoint
    /// (through serde_json) plus the journal's tail.
    Crash,
    /// With a JSON-lines journal: cut the file in the middle of its last line, then recover;
    /// every whole command must survive.
    TornWrite,
    /// The clock jumps hours, days or years forward.
    ClockJump,
    /// Time goes backwards: the engine must refuse with a typed error and change nothing; the
    /// driver must hold the engine's time.
    TimeBackwards,
    /// The channel adapter fails to deliver some offers; the driver's failure policy steps in.
    DeliveryFailure,
    /// Snapshots with a corrupted field (dangling ids, broken totals, loads that do not match the
    /// work held, …) that restore must refuse.
    CorruptSnapshot,

    // ----- hostile input -----
    /// Ids that name nothing: agents, queues, skills, offers and interactions never created.
    UnknownIds,
    /// Ids that are taken, memberships listed twice, agents who log in twice, …
    Duplicates,
    /// Huge names, attributes and dispositions; extreme priorities and aging rates.
    HugeValues,
    /// `Duration::MAX`-like member delays, wrap-ups and offer timeouts, far beyond the run.
    HugeDurations,
    /// Clock jumps to the far future (past chrono's range, about year 262,000).
    FarFuture,
    /// Offer timeouts of a millisecond or two.
    TinyTimeouts,
    /// Small limits, so that every limit is reached.
    SmallLimits,
    /// Limits of `u32::MAX`.
    MaxLimits,
    /// Wrong-state commands: completing work that is not connected, accepting someone else's
    /// offer, removing a busy agent, transferring to the same queue, …
    WrongState,

    // ----- once known engine bugs, fixed in issue #9; kept as regression checks -----
    /// (a) Offer timeouts of zero milliseconds: a queue's `Duration::ZERO`, or the builder's
    /// `Duration::from_nanos(1)`, which rounds to 0 ms.
    ZeroOfferTimeout,
    /// (b) Times near `i64::MAX`, where offers expire and member delays wake at the end of time.
    EndOfTime,
    /// (c) Long clock jumps while missed offers neither pause the agent nor are kept from them:
    /// every ring-no-answer cycle of the jump is replayed.
    LongJumpNoPause,
    /// (d) Snapshots whose counters (offer, arrival and timer sequences, totals, contacts) stand
    /// at `u64::MAX`.
    CounterOverflow,
    /// (e) Snapshots of states no command can produce (unsorted decliners, places in line in the
    /// future, offers whose timer disagrees with their expiry), which restore should refuse.
    ForgedSnapshot,
    /// (f, found by the swarm) A small `max_signatures`: interned requirement sets are never
    /// freed and are not in the snapshot, so a restored engine accepts arrivals the original
    /// refuses, and a later replay of the journal from an older checkpoint is refused.
    SignatureLimit,
    /// (g, found by the swarm) Membership changes that give a queue a member delay none of its
    /// members had: the engine re-routes the queue's waiting interactions in waiting-list
    /// (requirement-signature id) order instead of place in line, and restore renumbers those
    /// ids, so a recovered engine offers differently from the live one.
    NewDelayTier,
    /// (h, found by the swarm) Strict blending: deferrable work must not wait beside an agent
    /// whose only real-time work waiting is work they declined (with never-reoffer). The engine
    /// re-examines blend-blocked agents only when real-time work leaves a list, so such an agent
    /// stays blocked; with this class off the checker tolerates that wait.
    StaleBlendBlock,
}

impl Class {
    /// Every class, in a fixed order.
    pub const ALL: [Class; 23] = [
        Class::Crash,
        Class::TornWrite,
        Class::ClockJump,
        Class::TimeBackwards,
        Class::DeliveryFailure,
        Class::CorruptSnapshot,
        Class::UnknownIds,
        Class::Duplicates,
        Class::HugeValues,
        Class::HugeDurations,
        Class::FarFuture,
        Class::TinyTimeouts,
        Class::SmallLimits,
        Class::MaxLimits,
        Class::WrongState,
        Class::ZeroOfferTimeout,
        Class::EndOfTime,
        Class::LongJumpNoPause,
        Class::CounterOverflow,
        Class::ForgedSnapshot,
        Class::SignatureLimit,
        Class::NewDelayTier,
        Class::StaleBlendBlock,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Class::Crash => "crash",
            Class::TornWrite => "torn-write",
            Class::ClockJump => "clock-jump",
            Class::TimeBackwards => "time-backwards",
            Class::DeliveryFailure => "delivery-failure",
            Class::CorruptSnapshot => "corrupt-snapshot",
            Class::UnknownIds => "unknown-ids",
            Class::Duplicates => "duplicates",
            Class::HugeValues => "huge-values",
            Class::HugeDurations => "huge-durations",
            Class::FarFuture => "far-future",
            Class::TinyTimeouts => "tiny-timeouts",
            Class::SmallLimits => "small-limits",
            Class::MaxLimits => "max-limits",
            Class::WrongState => "wrong-state",
            Class::ZeroOfferTimeout => "zero-offer-timeout",
            Class::EndOfTime => "end-of-time",
            Class::LongJumpNoPause => "long-jump-no-pause",
            Class::CounterOverflow => "counter-overflow",
            Class::ForgedSnapshot => "forged-snapshot",
            Class::SignatureLimit => "signature-limit",
            Class::NewDelayTier => "new-delay-tier",
            Class::StaleBlendBlock => "stale-blend-block",
        }
    }

    pub fn from_name(name: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Classes that hit engine bugs known and not fixed yet, each with the bug it hits. They are off
/// by default so that the swarm stays green while a fix is under way; switch them on with
/// `--with NAME` (or `--with known-bugs`) to check a fix, and take them off this list once it has
/// merged. Empty: (a) to (h), found while fixing issue #9, are fixed, and their classes run by
/// default as regression checks.
pub const KNOWN_BUG_CLASSES: [(Class, &str); 0] = [];

/// A set of switched-on classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classes(BTreeSet<Class>);

impl Classes {
    /// Every class except the known-bug ones.
    pub fn default_on() -> Self {
        let known: BTreeSet<Class> = KNOWN_BUG_CLASSES.iter().map(|(c, _)| *c).collect();
        Classes(Class::ALL.into_iter().filter(|c| !known.contains(c)).collect())
    }

    pub fn on(&self, class: Class) -> bool {
        self.0.contains(&class)
    }

    pub fn insert(&mut self, class: Class) {
        self.0.insert(class);
    }

    pub fn remove(&mut self, class: Class) {
        self.0.remove(&class);
    }

    /// The classes switched on beyond the defaults, and the defaults switched off, as the flags
    /// that reproduce this set (empty for the defaults).
    pub fn flags(&self) -> String {
        let default = Classes::default_on();
        let with: Vec<&str> = self.0.difference(&default.0).map(|c| c.name()).collect();
        let without: Vec<&str> = default.0.difference(&self.0).map(|c| c.name()).collect();
        let mut out = String::new();
        if !with.is_empty() {
            out.push_str(&format!(" --with {}", with.join(",")));
        }
        if !without.is_empty() {
            out.push_str(&format!(" --without {}", without.join(",")));
        }
        out
    }
}
