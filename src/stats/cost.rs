//! Cost per contact and per handled minute, per channel.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::StatsConfigError;
use super::record::InteractionRecord;
use crate::ids::QueueId;
use crate::model::channel::Channel;
use crate::serde_forms::counter_millis;

/// What a channel costs, in the host's currency (any unit, e.g. euros).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelCost {
    /// Charged once per interaction, whatever its outcome (telephony, licences, …).
    pub per_contact: f64,
    /// Charged per minute of handling (talk plus wrap-up), prorated to the millisecond.
    pub per_handled_minute: f64,
    /// Charged once per contact resolved in self-service on the channel (an
    /// IVR minute, a bot licence), instead of the two above. 0 by default.
    #[serde(default)]
    pub per_self_served: f64,
}

impl ChannelCost {
    /// A cost per contact and per handled minute; self-service costs nothing.
    pub fn new(per_contact: f64, per_handled_minute: f64) -> Self {
        ChannelCost { per_contact, per_handled_minute, per_self_served: 0.0 }
    }

    /// Sets the cost of a contact resolved in self-service.
    pub fn with_self_served(mut self, cost: f64) -> Self {
        self.per_self_served = cost;
        self
    }
}

/// Costs per channel. A channel without an entry costs nothing and its
/// interactions get no cost.
///
/// An interaction costs `per_contact + per_handled_minute × (talk + wrap-up
/// minutes)` of its channel. It is booked when it ends, in the interval it
/// ends in, to its channel and to the queue it was last answered in (or its
/// last queue, if never answered).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::Channel;
/// use switchboard::stats::{ChannelCost, CostModel};
///
/// let model = CostModel::new()
///     .with_channel(Channel::Voice, ChannelCost::new(0.25, 1.0))?
///     .with_channel(Channel::Email, ChannelCost::new(0.05, 0.5))?;
/// // A 3-minute call with 1 minute of wrap-up: 0.25 + 4 × 1.0.
/// assert_eq!(model.cost(Channel::Voice, Duration::from_secs(240)), Some(4.25));
/// assert_eq!(model.cost(Channel::Chat, Duration::from_secs(240)), None);
/// # Ok::<(), switchboard::stats::StatsConfigError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    channels: Vec<(Channel, ChannelCost)>,
}

impl CostModel {
    /// A model where everything is free.
    pub fn new() -> Self {
        CostModel::default()
    }

    /// Sets the cost of a channel.
    ///
    /// # Errors
    /// [`StatsConfigError::InvalidCost`] if a rate is negative, infinite or NaN.
    pub fn with_channel(mut self, channel: Channel, cost: ChannelCost) -> Result<Self, StatsConfigError> {
        let valid = |x: f64| x.is_finite() && x >= 0.0;
        if !valid(cost.per_contact) || !valid(cost.per_handled_minute) || !valid(cost.per_self_served) {
            return Err(StatsConfigError::InvalidCost(channel));
        }
        match self.channels.binary_search_by_key(&channel, |(c, _)| *c) {
            Ok(i) => self.channels[i].1 = cost,
            Err(i) => self.channels.insert(i, (channel, cost)),
        }
        Ok(self)
    }

    /// The rates of a channel.
    pub fn channel(&self, channel: Channel) -> Option<ChannelCost> {
        self.channels.binary_search_by_key(&channel, |(c, _)| *c).ok().map(|i| self.channels[i].1)
    }

    /// The cost of one interaction of `channel` handled (talk, hold and wrap-up) for `handled`.
    pub fn cost(&self, channel: Channel, handled: Duration) -> Option<f64> {
        let c = self.channel(channel)?;
        // In milliseconds, the statistics' resolution, as the cost was always computed.
        Some(c.per_contact + c.per_handled_minute * handled.as_millis() as f64 / 60_000.0)
    }

    /// The cost of one contact of `channel` resolved in self-service.
    pub fn self_served_cost(&self, channel: Channel) -> Option<f64> {
        self.channel(channel).map(|c| c.per_self_served)
    }

    /// True when no channel has a cost.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }
}

/// Contacts, handling time and cost of one channel or queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CostLine {
    /// Interactions that ended.
    pub contacts: u64,
    /// Their talk plus wrap-up time. Serialised as `handled_ms`, in whole milliseconds.
    #[serde(rename = "handled_ms", with = "counter_millis")]
    pub handled: Duration,
    /// Their cost.
    pub cost: f64,
}

impl CostLine {
    fn add(&mut self, handled: Duration, cost: f64) {
        self.contacts = self.contacts.saturating_add(1);
        self.handled = counter_millis::add(self.handled, handled);
        self.cost += cost;
    }

    /// Cost ÷ contacts.
    pub fn cost_per_contact(&self) -> Option<f64> {
        (self.contacts > 0).then(|| self.cost / self.contacts as f64)
    }
}

/// A channel's line in a [`CostSummary`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelCostLine {
    /// The channel.
    pub channel: Channel,
    /// Its figures.
    pub line: CostLine,
}

/// A queue's line in a [`CostSummary`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueCostLine {
    /// The queue.
    pub queue: QueueId,
    /// Its figures.
    pub line: CostLine,
}

/// Costs of the interactions that ended in an interval, per channel and per
/// queue. Every ended interaction counts in `contacts`, priced or not, so the
/// channel shares cover all contacts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CostSummary {
    /// Every interaction that ended.
    pub total: CostLine,
    /// Per channel, by channel.
    pub channels: Vec<ChannelCostLine>,
    /// Per queue where it was booked, by queue.
    pub queues: Vec<QueueCostLine>,
}

impl CostSummary {
    /// Books one ended interaction.
    pub(crate) fn book(&mut self, record: &InteractionRecord) {
        let handled = record.handle_time();
        let cost = record.cost.unwrap_or(0.0);
        self.total.add(handled, cost);
        let channel = record.channel;
        let i = match self.channels.binary_search_by_key(&channel, |l| l.channel) {
            Ok(i) => i,
            Err(i) => {
                self.channels.insert(i, ChannelCostLine { channel, line: CostLine::default() });
                i
            }
        };
        self.channels[i].line.add(handled, cost);
        // A contact resolved in self-service reached no queue.
        let Some(queue) = record.handling_queue() else { return };
        let i = match self.queues.binary_search_by_key(&queue, |l| l.queue) {
            Ok(i) => i,
            Err(i) => {
                self.queues.insert(i, QueueCostLine { queue, line: CostLine::default() });
                i
            }
        };
        self.queues[i].line.add(handled, cost);
    }

    /// A channel's line.
    pub fn channel(&self, channel: Channel) -> Option<&CostLine> {
        self.channels.iter().find(|l| l.channel == channel).map(|l| &l.line)
    }

    /// A queue's line.
    pub fn queue(&self, queue: QueueId) -> Option<&CostLine> {
        self.queues.iter().find(|l| l.queue == queue).map(|l| &l.line)
    }

    /// A channel's share of all contacts, from 0 to 1.
    pub fn share_of_contacts(&self, channel: Channel) -> Option<f64> {
        let n = self.channel(channel)?.contacts;
        (self.total.contacts > 0).then(|| n as f64 / self.total.contacts as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CustomerId, InteractionId};
    use crate::time::Timestamp;

    #[test]
    fn invalid_rates_are_refused_and_lines_add_up() {
        assert_eq!(
            CostModel::new().with_channel(Channel::Sms, ChannelCost::new(-1.0, 0.0)),
            Err(StatsConfigError::InvalidCost(Channel::Sms))
        );
        assert!(CostModel::new().with_channel(Channel::Sms, ChannelCost::new(0.0, f64::NAN)).is_err());
        let model = CostModel::new().with_channel(Channel::Voice, ChannelCost::new(1.0, 2.0)).unwrap();
        let mut summary = CostSummary::default();
        for (id, channel, talk) in
            [(1, Channel::Voice, 30_000), (2, Channel::Voice, 90_000), (3, Channel::Chat, 60_000)]
        {
            let mut r = InteractionRecord::new(InteractionId(id), CustomerId(1), channel, QueueId(7), Timestamp::EPOCH);
            r.talk = Duration::from_millis(talk);
            r.cost = model.cost(channel, Duration::from_millis(talk));
            summary.book(&r);
        }
        let voice = summary.channel(Channel::Voice).unwrap();
        assert_eq!((voice.contacts, voice.handled, voice.cost), (2, Duration::from_secs(120), 6.0));
        assert_eq!(voice.cost_per_contact(), Some(3.0));
        assert_eq!(summary.share_of_contacts(Channel::Chat), Some(1.0 / 3.0));
        assert_eq!(summary.queue(QueueId(7)).unwrap().contacts, 3);
        assert_eq!(summary.total.cost, 6.0);
    }
}
