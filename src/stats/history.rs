//! Unified contact history: every interaction of a customer, on every channel.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::StatsConfigError;
use super::record::{Disposition, InteractionRecord};
use crate::ids::{AgentId, CaseId, CustomerId, InteractionId, QueueId};
use crate::model::channel::Channel;
use crate::model::interaction::Outcome;
use crate::time::Timestamp;

/// One finished interaction in a customer's history.
///
/// The disposition notes may be personal data; `Debug` redacts them.
///
/// Not `#[non_exhaustive]`, unlike the engine's other records: a host's history
/// store builds entries from its own rows, so a new field is a deliberate
/// breaking change, named in the changelog.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The interaction.
    pub interaction: InteractionId,
    /// The customer.
    pub customer: CustomerId,
    /// Its case, if any.
    pub case: Option<CaseId>,
    /// Its channel.
    pub channel: Channel,
    /// The queue it was handled in (last answered in), or its last queue;
    /// `None` for a contact resolved in self-service.
    pub queue: Option<QueueId>,
    /// The agent who handled it last, or else who answered it, if any.
    pub agent: Option<AgentId>,
    /// When it arrived.
    pub arrived_at: Timestamp,
    /// When it ended.
    pub ended_at: Timestamp,
    /// How it ended.
    pub outcome: Outcome,
    /// The agent's wrap-up code and notes.
    pub disposition: Option<Disposition>,
}

impl HistoryEntry {
    /// The entry of a finished interaction's record; `None` if the record is of a live interaction.
    pub fn from_record(record: &InteractionRecord) -> Option<HistoryEntry> {
        Some(HistoryEntry {
            interaction: record.interaction,
            customer: record.customer,
            case: record.case,
            channel: record.channel,
            queue: record.handling_queue(),
            agent: record.handled_by().or(record.answered_by),
            arrived_at: record.arrived_at,
            ended_at: record.ended_at?,
            outcome: record.outcome?,
            disposition: record.disposition.clone(),
        })
    }
}

/// Where contact history is kept. The statistics call
/// [`record`](ContactHistory::record) for each interaction as it ends and
/// [`purge`](ContactHistory::purge) as time advances; hosts query it, for
/// example with [`recent`](ContactHistory::recent) when an offer is made, so
/// the agent sees the customer's e-mail of last week when the customer calls.
///
/// Implement it to keep history in the host's own store (a CRM, a database
/// cache). Methods are synchronous and must not fail: a store that can fail
/// should buffer and report on its own. [`InMemoryHistory`] is the default.
pub trait ContactHistory: Send {
    /// Stores a finished interaction. Entries arrive in the order the
    /// interactions ended.
    fn record(&mut self, entry: HistoryEntry);

    /// Forgets what the retention policy no longer keeps at `now`.
    fn purge(&mut self, now: Timestamp);

    /// Every kept interaction of a customer, in time order (by arrival, then id).
    fn customer(&self, customer: CustomerId) -> Vec<HistoryEntry>;

    /// Every kept interaction of a case, in time order (by arrival, then id).
    fn case(&self, case: CaseId) -> Vec<HistoryEntry>;

    /// The customer's `limit` most recent interactions (by end), newest first,
    /// leaving out any the retention policy no longer keeps at `now` (whether
    /// or not they were purged yet, so the answer does not depend on when
    /// [`purge`](ContactHistory::purge) ran).
    fn recent(&self, customer: CustomerId, now: Timestamp, limit: usize) -> Vec<HistoryEntry>;

    /// How many entries are kept.
    fn len(&self) -> usize;

    /// True when no entry is kept.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How long history is kept, and the most it may hold.
///
/// An entry is kept while `now − ended_at < keep_for`: with 60 days, an
/// interaction that ended at 09:00 on 1 March is gone from 09:00 on 30 April.
/// When more than `max_entries` are held, the oldest (by end) are evicted
/// first, so memory stays bounded whatever the traffic.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::stats::RetentionPolicy;
///
/// let policy = RetentionPolicy::new(Duration::from_secs(60 * 86_400), 1_000_000)?;
/// assert_eq!(policy.max_entries(), 1_000_000);
/// assert!(RetentionPolicy::new(Duration::ZERO, 10).is_err());
/// # Ok::<(), switchboard::stats::StatsConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RetentionPolicy {
    #[serde(with = "crate::serde_forms::millis")]
    keep_for: Duration,
    max_entries: usize,
}

impl RetentionPolicy {
    /// Keep entries for `keep_for` after they end, at most `max_entries`.
    ///
    /// # Errors
    /// [`StatsConfigError::ZeroRetention`] for a zero `keep_for`, and
    /// [`StatsConfigError::ZeroLimit`] for a zero `max_entries`.
    pub fn new(keep_for: Duration, max_entries: usize) -> Result<RetentionPolicy, StatsConfigError> {
        if keep_for.is_zero() {
            return Err(StatsConfigError::ZeroRetention);
        }
        if max_entries == 0 {
            return Err(StatsConfigError::ZeroLimit("history max_entries"));
        }
        Ok(RetentionPolicy { keep_for, max_entries })
    }

    /// How long an entry is kept after its interaction ended.
    pub fn keep_for(&self) -> Duration {
        self.keep_for
    }

    /// The most entries kept.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Whether an entry that ended at `ended_at` is still kept at `now`.
    pub fn keeps(&self, ended_at: Timestamp, now: Timestamp) -> bool {
        now.saturating_duration_since(ended_at) < self.keep_for
    }
}

impl Default for RetentionPolicy {
    /// 60 days, at most 100,000 entries.
    fn default() -> Self {
        RetentionPolicy { keep_for: Duration::from_secs(60 * 86_400), max_entries: 100_000 }
    }
}

/// Contact history in memory, bounded by a [`RetentionPolicy`].
///
/// Entries are held in the order they were recorded (the order interactions
/// ended), indexed by customer and by case. Recording, purging and eviction
/// are O(log n) per entry; a customer's or a case's history costs O(k log k)
/// for its k entries. Purging is deterministic: it depends only on the
/// entries and the `now` passed in.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::stats::*;
/// use switchboard::*;
///
/// let mut history = InMemoryHistory::new(RetentionPolicy::new(Duration::from_secs(86_400), 100)?);
/// let entry = |id, ended| HistoryEntry {
///     interaction: InteractionId(id),
///     customer: CustomerId(7),
///     case: None,
///     channel: Channel::Email,
///     queue: Some(QueueId(1)),
///     agent: Some(AgentId(3)),
///     arrived_at: Timestamp::from_secs(ended - 60),
///     ended_at: Timestamp::from_secs(ended),
///     outcome: Outcome::Handled { agent: AgentId(3) },
///     disposition: None,
/// };
/// history.record(entry(1, 1_000));
/// history.record(entry(2, 50_000));
/// // When the customer calls a day after the first e-mail ended, only the second is recent.
/// let now = Timestamp::from_secs(1_000 + 86_400);
/// let recent = history.recent(CustomerId(7), now, 5);
/// assert_eq!(recent.iter().map(|e| e.interaction).collect::<Vec<_>>(), vec![InteractionId(2)]);
/// history.purge(now);
/// assert_eq!(history.len(), 1);
/// # Ok::<(), StatsConfigError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct InMemoryHistory {
    policy: RetentionPolicy,
    entries: VecDeque<HistoryEntry>,
    /// The sequence number of `entries[0]`.
    first_seq: u64,
    by_customer: BTreeMap<CustomerId, VecDeque<u64>>,
    by_case: BTreeMap<CaseId, VecDeque<u64>>,
    dropped: u64,
}

impl InMemoryHistory {
    /// An empty history with a policy.
    pub fn new(policy: RetentionPolicy) -> Self {
        InMemoryHistory { policy, ..InMemoryHistory::default() }
    }

    /// The policy.
    pub fn policy(&self) -> RetentionPolicy {
        self.policy
    }

    /// Entries removed so far, by retention or by the cap.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn entry(&self, seq: u64) -> Option<&HistoryEntry> {
        self.entries.get(usize::try_from(seq.checked_sub(self.first_seq)?).ok()?)
    }

    fn pop_oldest(&mut self) {
        let Some(entry) = self.entries.pop_front() else { return };
        // The oldest entry overall is the oldest of its customer and of its case.
        if let Some(seqs) = self.by_customer.get_mut(&entry.customer) {
            seqs.pop_front();
            if seqs.is_empty() {
                self.by_customer.remove(&entry.customer);
            }
        }
        if let Some(case) = entry.case {
            if let Some(seqs) = self.by_case.get_mut(&case) {
                seqs.pop_front();
                if seqs.is_empty() {
                    self.by_case.remove(&case);
                }
            }
        }
        self.first_seq += 1;
        self.dropped += 1;
    }

    fn in_time_order<'a>(&'a self, seqs: Option<&'a VecDeque<u64>>) -> Vec<HistoryEntry> {
        let mut out: Vec<HistoryEntry> = seqs.into_iter().flatten().filter_map(|s| self.entry(*s)).cloned().collect();
        out.sort_by_key(|e| (e.arrived_at, e.interaction));
        out
    }
}

impl ContactHistory for InMemoryHistory {
    fn record(&mut self, entry: HistoryEntry) {
        let seq = self.first_seq + self.entries.len() as u64;
        self.by_customer.entry(entry.customer).or_default().push_back(seq);
        if let Some(case) = entry.case {
            self.by_case.entry(case).or_default().push_back(seq);
        }
        self.entries.push_back(entry);
        while self.entries.len() > self.policy.max_entries {
            self.pop_oldest();
        }
    }

    fn purge(&mut self, now: Timestamp) {
        while self.entries.front().is_some_and(|e| !self.policy.keeps(e.ended_at, now)) {
            self.pop_oldest();
        }
    }

    fn customer(&self, customer: CustomerId) -> Vec<HistoryEntry> {
        self.in_time_order(self.by_customer.get(&customer))
    }

    fn case(&self, case: CaseId) -> Vec<HistoryEntry> {
        self.in_time_order(self.by_case.get(&case))
    }

    fn recent(&self, customer: CustomerId, now: Timestamp, limit: usize) -> Vec<HistoryEntry> {
        self.by_customer
            .get(&customer)
            .into_iter()
            .flat_map(|seqs| seqs.iter().rev())
            .filter_map(|s| self.entry(*s))
            .filter(|e| self.policy.keeps(e.ended_at, now))
            .take(limit)
            .cloned()
            .collect()
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u64, customer: u64, case: Option<u64>, arrived: i64, ended: i64) -> HistoryEntry {
        HistoryEntry {
            interaction: InteractionId(id),
            customer: CustomerId(customer),
            case: case.map(CaseId),
            channel: Channel::Chat,
            queue: Some(QueueId(1)),
            agent: None,
            arrived_at: Timestamp::from_secs(arrived),
            ended_at: Timestamp::from_secs(ended),
            outcome: Outcome::Cancelled,
            disposition: None,
        }
    }

    fn ids(entries: &[HistoryEntry]) -> Vec<u64> {
        entries.iter().map(|e| e.interaction.0).collect()
    }

    #[test]
    fn cap_evicts_oldest_and_indexes_follow() {
        let mut h = InMemoryHistory::new(RetentionPolicy::new(Duration::from_secs(1_000), 3).unwrap());
        h.record(entry(1, 1, Some(9), 0, 10));
        h.record(entry(2, 2, Some(9), 5, 20));
        h.record(entry(3, 1, None, 1, 30)); // arrived before 2, ended after
        h.record(entry(4, 1, Some(9), 25, 40));
        assert_eq!(h.len(), 3);
        assert_eq!(h.dropped(), 1);
        assert_eq!(ids(&h.customer(CustomerId(1))), vec![3, 4]);
        assert_eq!(ids(&h.case(CaseId(9))), vec![2, 4]);
        assert_eq!(ids(&h.recent(CustomerId(1), Timestamp::from_secs(40), 1)), vec![4]);
        assert!(h.customer(CustomerId(5)).is_empty());
    }

    #[test]
    fn retention_is_exclusive_at_keep_for() {
        let mut h = InMemoryHistory::new(RetentionPolicy::new(Duration::from_secs(100), 10).unwrap());
        h.record(entry(1, 1, Some(1), 0, 10));
        h.record(entry(2, 1, Some(1), 0, 50));
        h.purge(Timestamp::from_secs(109));
        assert_eq!(h.len(), 2);
        assert_eq!(ids(&h.recent(CustomerId(1), Timestamp::from_secs(110), 10)), vec![2]);
        h.purge(Timestamp::from_secs(110));
        assert_eq!(ids(&h.customer(CustomerId(1))), vec![2]);
        h.purge(Timestamp::from_secs(1_000));
        assert!(h.is_empty());
        assert!(h.case(CaseId(1)).is_empty());
        assert_eq!(h.dropped(), 2);
    }
}
