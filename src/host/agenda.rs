//! The agenda: commands (or anything else) a host or a test will submit later, by time.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};

use crate::command::Command;
use crate::time::Timestamp;

/// A time-ordered schedule of future commands: what a host, an adapter or a test has decided
/// will happen later (the agent picks up in 4 s, the customer hangs up at 09:02:10, the next
/// arrival of a script).
///
/// Items come out in time order, and **first in, first out among equal times**: an insertion
/// sequence breaks ties, so the order never depends on the items themselves and the same pushes
/// always give the same pops. It is plain data — no clock, no thread, no timer: the host asks
/// [`next_due`](Agenda::next_due) when to wake (taking the earliest of it and
/// [`Driver::next_deadline`](crate::host::Driver::next_deadline) or
/// [`Engine::poll_timeout`](crate::Engine::poll_timeout)) and takes what is due with
/// [`pop_due`](Agenda::pop_due) or [`drain_due`](Agenda::drain_due).
///
/// In a [`ChannelAdapter`](crate::host::ChannelAdapter), return `pop_due(now)`'s command from
/// [`poll_command`](crate::host::ChannelAdapter::poll_command) and `next_due()` from
/// [`poll_timeout`](crate::host::ChannelAdapter::poll_timeout): the driver then applies each command at
/// its own time, even when the host calls it late.
///
/// The items are generic (a command by default) so a test can schedule its own reactions.
/// With serde items the agenda serialises — as its items in order — so a host can checkpoint it
/// beside the engine; ties keep their order through a round trip.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::host::*;
/// use switchboard::*;
///
/// let start = Timestamp::from_secs(1_767_258_000); // 2026-01-01 09:00 UTC
/// let mut engine = Engine::new(EngineConfig::default());
/// let mut agenda = Agenda::new();
/// agenda.push(start, Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Chat])));
/// let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Chat, 1))
///     .with_queue(QueueMembership::new(QueueId(1)));
/// agenda.push(start, Command::AddAgent(agent));
/// agenda.push(start, Command::Login { agent: AgentId(1) });
/// let chat = NewInteraction::new(InteractionId(7), Channel::Chat, QueueId(1), CustomerId(42));
/// agenda.push(start + Duration::from_secs(5), Command::Arrive(chat));
///
/// // The run loop: wake at the earlier of the agenda and the engine.
/// while let Some(now) = [agenda.next_due(), engine.poll_timeout()].into_iter().flatten().min() {
///     if agenda.next_due() == Some(now) {
///         for (at, command) in agenda.drain_due(now) {
///             engine.handle(command, at)?;
///         }
///     } else {
///         engine.handle_timeout(now)?;
///     }
///     while let Some(event) = engine.poll_event() {
///         match event.kind {
///             // The agent answers 3 s after the chat pops up, and chats for 2 minutes.
///             EventKind::InteractionOffered(offer) => agenda
///                 .push(event.at + Duration::from_secs(3), Command::Accept { agent: offer.agent, offer: offer.id }),
///             EventKind::OfferAccepted { interaction, agent, .. } => {
///                 agenda.push(event.at + Duration::from_secs(120), Command::Complete { agent, interaction })
///             }
///             _ => {}
///         }
///     }
/// }
/// assert_eq!(engine.totals().handled, 1);
/// assert!(agenda.is_empty());
/// # Ok::<(), CommandError>(())
/// ```
#[derive(Clone)]
pub struct Agenda<T = Command> {
    /// Keyed by (due time, insertion sequence): the sequence makes keys unique and ties FIFO.
    items: BTreeMap<(Timestamp, u64), T>,
    /// The sequence of the next push.
    next_seq: u64,
}

impl<T> Agenda<T> {
    /// An empty agenda.
    pub fn new() -> Self {
        Agenda { items: BTreeMap::new(), next_seq: 0 }
    }

    /// Schedules `item` at `at`, after everything already scheduled at the same time. Any time is
    /// accepted, in the past too: an item already due comes out on the next
    /// [`pop_due`](Agenda::pop_due).
    pub fn push(&mut self, at: Timestamp, item: T) {
        if self.next_seq == u64::MAX {
            // 2^64 pushes cannot happen in practice, but the sequence must never wrap: a reused
            // key would overwrite an item. Renumbering keeps the order and frees the range.
            self.renumber();
        }
        self.items.insert((at, self.next_seq), item);
        self.next_seq += 1;
    }

    /// When the earliest item is due, if any: the time to wake up at.
    #[must_use]
    pub fn next_due(&self) -> Option<Timestamp> {
        self.items.keys().next().map(|&(at, _)| at)
    }

    /// Takes the earliest item if it is due by `now` (at or before), with its time.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<(Timestamp, T)> {
        let entry = self.items.first_entry().filter(|e| e.key().0 <= now)?;
        let ((at, _), item) = entry.remove_entry();
        Some((at, item))
    }

    /// Takes every item due by `now`, earliest first, as the iterator is consumed; what the
    /// iterator has not yielded when dropped stays scheduled.
    pub fn drain_due(&mut self, now: Timestamp) -> impl Iterator<Item = (Timestamp, T)> + '_ {
        std::iter::from_fn(move || self.pop_due(now))
    }

    /// The scheduled items, earliest first, without taking them.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, &T)> + '_ {
        self.items.iter().map(|(&(at, _), item)| (at, item))
    }

    /// Keeps only the items for which `keep` returns true (to cancel what no longer applies —
    /// an answer to an offer that was withdrawn); the others keep their order.
    pub fn retain(&mut self, mut keep: impl FnMut(Timestamp, &T) -> bool) {
        self.items.retain(|&(at, _), item| keep(at, item));
    }

    /// How many items are scheduled.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Drops every item.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    fn renumber(&mut self) {
        let items = std::mem::take(&mut self.items);
        self.next_seq = 0;
        for ((at, _), item) in items {
            self.items.insert((at, self.next_seq), item);
            self.next_seq += 1;
        }
    }
}

impl<T> Default for Agenda<T> {
    fn default() -> Self {
        Agenda::new()
    }
}

/// Equal when the same items are scheduled at the same times in the same order (however many
/// pushes it took to get there).
impl<T: PartialEq> PartialEq for Agenda<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for Agenda<T> {}

impl<T: fmt::Debug> fmt::Debug for Agenda<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The sequence numbers are bookkeeping; what matters is the items in order.
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> Extend<(Timestamp, T)> for Agenda<T> {
    fn extend<I: IntoIterator<Item = (Timestamp, T)>>(&mut self, items: I) {
        for (at, item) in items {
            self.push(at, item);
        }
    }
}

impl<T> FromIterator<(Timestamp, T)> for Agenda<T> {
    fn from_iter<I: IntoIterator<Item = (Timestamp, T)>>(items: I) -> Self {
        let mut agenda = Agenda::new();
        agenda.extend(items);
        agenda
    }
}

/// Serialised as the list of `(time, item)` pairs in order: JSON maps cannot have tuple keys,
/// and the sequence numbers need not survive, only the order they give.
impl<T: Serialize> Serialize for Agenda<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Pushes the pairs in the order read, so ties come out in the order they were saved (and any
/// order of times is accepted: there is nothing to validate).
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Agenda<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<(Timestamp, T)>::deserialize(deserializer)?;
        Ok(items.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn items_come_out_by_time_then_in_insertion_order() {
        // (name, pushes as (time, item), the items in the order they come out)
        type Case = (&'static str, &'static [(i64, &'static str)], &'static [&'static str]);
        let cases: &[Case] = &[
            ("empty", &[], &[]),
            ("one", &[(5, "a")], &["a"]),
            ("out of order", &[(9, "late"), (1, "early"), (5, "middle")], &["early", "middle", "late"]),
            (
                "ties are FIFO",
                &[(5, "first"), (5, "second"), (1, "before"), (5, "third")],
                &["before", "first", "second", "third"],
            ),
            ("extreme times", &[(i64::MAX, "max"), (i64::MIN, "min"), (0, "zero")], &["min", "zero", "max"]),
        ];
        for (name, pushes, want) in cases {
            let mut agenda = Agenda::new();
            for &(ms, item) in *pushes {
                agenda.push(at(ms), item);
            }
            assert_eq!(agenda.len(), pushes.len(), "{name}");
            let got: Vec<&str> = agenda.drain_due(at(i64::MAX)).map(|(_, item)| item).collect();
            assert_eq!(got, *want, "{name}");
            assert!(agenda.is_empty(), "{name}");
            assert_eq!(agenda.next_due(), None, "{name}");
        }
    }

    #[test]
    fn only_what_is_due_comes_out() {
        let mut agenda: Agenda<&str> =
            [(at(10), "a"), (at(20), "b"), (at(20), "c"), (at(30), "d")].into_iter().collect();
        let cases: &[(i64, &[&str], Option<i64>)] = &[
            (9, &[], Some(10)),
            (10, &["a"], Some(20)),
            (25, &["b", "c"], Some(30)),
            // Time may be asked out of order; nothing is due before the earliest item.
            (0, &[], Some(30)),
            (i64::MAX, &["d"], None),
        ];
        for &(now, want, next) in cases {
            let got: Vec<&str> = agenda.drain_due(at(now)).map(|(_, item)| item).collect();
            assert_eq!(got, want, "at {now}");
            assert_eq!(agenda.next_due(), next.map(at), "after {now}");
        }
    }

    #[test]
    fn pop_due_gives_each_item_its_own_time() {
        let mut agenda = Agenda::new();
        agenda.push(at(8), 'a');
        agenda.push(at(3), 'b');
        assert_eq!(agenda.pop_due(at(15)), Some((at(3), 'b')));
        assert_eq!(agenda.pop_due(at(15)), Some((at(8), 'a')));
        assert_eq!(agenda.pop_due(at(15)), None);
    }

    #[test]
    fn a_drain_dropped_early_keeps_the_rest() {
        let mut agenda: Agenda<u32> = (0..5).map(|n| (at(1), n)).collect();
        let first: Vec<u32> = agenda.drain_due(at(1)).take(2).map(|(_, n)| n).collect();
        assert_eq!(first, [0, 1]);
        assert_eq!(agenda.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [2, 3, 4]);
    }

    #[test]
    fn retain_cancels_and_keeps_the_order() {
        let mut agenda: Agenda<u32> = (0..6).map(|n| (at(i64::from(n % 2)), n)).collect();
        agenda.retain(|_, n| n % 3 != 0);
        assert_eq!(
            agenda.iter().map(|(t, n)| (t.as_millis(), *n)).collect::<Vec<_>>(),
            [(0, 2), (0, 4), (1, 1), (1, 5)]
        );
        agenda.clear();
        assert!(agenda.is_empty());
    }

    #[test]
    fn an_exhausted_sequence_renumbers_without_losing_order() {
        let mut agenda = Agenda::new();
        agenda.push(at(1), "a");
        agenda.push(at(1), "b");
        agenda.next_seq = u64::MAX;
        agenda.push(at(1), "c");
        agenda.push(at(0), "d");
        let got: Vec<&str> = agenda.drain_due(at(1)).map(|(_, item)| item).collect();
        assert_eq!(got, ["d", "a", "b", "c"]);
    }

    #[cfg(feature = "json")]
    #[test]
    fn serde_keeps_the_items_and_their_order() {
        let mut agenda = Agenda::new();
        agenda.push(at(5), Command::Login { agent: crate::AgentId(2) });
        agenda.push(at(1), Command::Login { agent: crate::AgentId(1) });
        agenda.push(at(5), Command::Logout { agent: crate::AgentId(2) });
        let json = serde_json::to_string(&agenda).unwrap();
        let back: Agenda = serde_json::from_str(&json).unwrap();
        assert_eq!(back.iter().collect::<Vec<_>>(), agenda.iter().collect::<Vec<_>>());
        assert!(serde_json::from_str::<Agenda>("{\"not\": \"a list\"}").is_err());
    }
}
