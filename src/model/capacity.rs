//! Agent capacity: how much work an agent can hold at once.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::channel::Channel;

/// How an agent may work one channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChannelCapacity {
    /// Most interactions of this channel at once (1 for voice, say 3 for chat). At least 1.
    pub max_concurrent: u32,
    /// Units of the agent's total capacity that one interaction of this channel uses.
    pub units: u32,
    /// While the agent holds an interaction of an exclusive channel nothing
    /// else is offered, and one is offered only to an agent holding nothing.
    pub exclusive: bool,
}

/// An agent's capacity across channels: per-channel caps, weighted units
/// against a total, and exclusivity.
///
/// The three together cover the usual platform models: "1 call or 3 chats"
/// (caps plus exclusive voice), "total 100, a call costs 100, a chat 30"
/// (weighted units), or any mix.
///
/// # Example
/// ```
/// use switchboard::{CapacityProfile, Channel};
///
/// // One call (exclusive), or up to three chats and two e-mails within 100 units.
/// let cap = CapacityProfile::new(100)
///     .with_channel(Channel::Voice, 1, 100, true)
///     .with_channel(Channel::Chat, 3, 30, false)
///     .with_channel(Channel::Email, 2, 20, false);
/// assert!(cap.validate().is_ok());
/// ```
///
/// # Headroom
///
/// A multitasker who takes "one call or three chats" has no room for a call
/// while they hold a single chat, and under a chat backlog a new chat comes
/// as soon as one ends: they may never reach the empty state a call needs.
/// [`CapacityProfile::with_headroom`] lets a channel claim its room back: once
/// work of that channel that the agent could be offered has waited long
/// enough, the agent is *draining* and is offered nothing new until they
/// have room for it. The rule, in full:
///
/// An agent is draining for headroom channel `c` (with threshold `after`) when
/// all of these hold:
/// 1. an interaction of channel `c` waits in one of the agent's queues;
/// 2. it could be offered to them once they have room: their member delay for
///    the queue is reached, they satisfy its requirements, and they have not
///    declined it (when declined work is never re-offered);
/// 3. it has waited at least `after` in the queue (since its place in line was
///    taken, the same clock member delays use);
/// 4. the agent has no room for one more interaction of `c` now.
///
/// A draining agent is offered no new work on any channel. They finish what
/// they hold; once they have room for `c`, condition 4 fails, they are routed
/// again and the waiting interaction reaches them by the normal rules
/// (real-time first). Draining stops as soon as any condition fails: the
/// interaction is offered to someone else, abandoned, cancelled or
/// transferred, the agent declines it, or they have room. Headroom is meant
/// for real-time channels (voice, video); it is off unless set.
///
/// [`Engine::draining_for`](crate::Engine::draining_for) says whether, and
/// for which interaction, an agent drains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityProfile {
    total_units: u32,
    #[serde(with = "super::channel::channel_map")]
    channels: BTreeMap<Channel, ChannelCapacity>,
    /// Per channel, how long its work may wait before the agent drains for it.
    #[serde(default, with = "super::channel::channel_map")]
    headroom: BTreeMap<Channel, Duration>,
}

/// Why a capacity profile is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapacityError {
    /// The total is zero, so the agent could take nothing.
    #[error("total capacity units must be at least 1")]
    ZeroTotal,
    /// No channel is listed.
    #[error("capacity lists no channel; add at least one")]
    NoChannels,
    /// A channel's concurrency cap is zero.
    #[error("channel {0} has max_concurrent 0; remove the channel instead")]
    ZeroConcurrency(Channel),
    /// One interaction of the channel costs more units than the total.
    #[error("channel {channel} costs {units} units but the total is {total}")]
    UnitsExceedTotal {
        /// The channel.
        channel: Channel,
        /// Its cost per interaction.
        units: u32,
        /// The agent's total.
        total: u32,
    },
    /// Headroom is set on a channel the profile does not list.
    #[error("headroom is set on channel {0}, which the profile does not list; add the channel or drop the headroom")]
    HeadroomWithoutChannel(Channel),
}

impl CapacityProfile {
    /// A profile with `total_units` and no channel yet.
    pub fn new(total_units: u32) -> Self {
        CapacityProfile { total_units, channels: BTreeMap::new(), headroom: BTreeMap::new() }
    }

    /// The common single-channel profile: up to `max_concurrent` of one
    /// channel, each costing one unit.
    pub fn single(channel: Channel, max_concurrent: u32) -> Self {
        CapacityProfile::new(max_concurrent).with_channel(channel, max_concurrent, 1, false)
    }

    /// Adds (or replaces) a channel.
    pub fn with_channel(mut self, channel: Channel, max_concurrent: u32, units: u32, exclusive: bool) -> Self {
        self.channels.insert(channel, ChannelCapacity { max_concurrent, units, exclusive });
        self
    }

    /// Keeps headroom for `channel`: once an interaction of `channel` that
    /// the agent could be offered has waited `after` in one of their queues
    /// and the agent has no room for it, the agent is offered no new work
    /// until they have room (see [Headroom](CapacityProfile#headroom)). Setting
    /// it again replaces the threshold. Meant for real-time channels; the
    /// channel must be listed (checked by [`CapacityProfile::validate`]), and
    /// `after` is a span the engine accepts (zero drains as soon as the
    /// interaction waits).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use switchboard::{CapacityProfile, Channel};
    ///
    /// // One call or three chats; a call that waited 30 s stops new chats.
    /// let cap = CapacityProfile::new(3)
    ///     .with_channel(Channel::Voice, 1, 3, true)
    ///     .with_channel(Channel::Chat, 3, 1, false)
    ///     .with_headroom(Channel::Voice, Duration::from_secs(30));
    /// assert_eq!(cap.headroom(Channel::Voice), Some(Duration::from_secs(30)));
    /// assert_eq!(cap.headroom(Channel::Chat), None);
    /// assert!(cap.validate().is_ok());
    /// ```
    pub fn with_headroom(mut self, channel: Channel, after: Duration) -> Self {
        self.headroom.insert(channel, after);
        self
    }

    /// How long work of `channel` waits before the agent drains for it, if
    /// headroom is kept for it ([`CapacityProfile::with_headroom`]).
    pub fn headroom(&self, channel: Channel) -> Option<Duration> {
        self.headroom.get(&channel).copied()
    }

    /// Every channel headroom is kept for, with its threshold, in channel order.
    pub fn headrooms(&self) -> impl Iterator<Item = (Channel, Duration)> + '_ {
        self.headroom.iter().map(|(c, after)| (*c, *after))
    }

    /// The total units.
    pub fn total_units(&self) -> u32 {
        self.total_units
    }

    /// The settings of one channel, if the agent works it.
    pub fn channel(&self, channel: Channel) -> Option<&ChannelCapacity> {
        self.channels.get(&channel)
    }

    /// The channels the agent works, in channel order.
    pub fn channels(&self) -> impl Iterator<Item = (Channel, &ChannelCapacity)> {
        self.channels.iter().map(|(c, cap)| (*c, cap))
    }

    /// Checks that the profile lets the agent take at least one interaction of every listed channel.
    ///
    /// # Errors
    /// A [`CapacityError`] naming the first problem found.
    pub fn validate(&self) -> Result<(), CapacityError> {
        if self.total_units == 0 {
            return Err(CapacityError::ZeroTotal);
        }
        if self.channels.is_empty() {
            return Err(CapacityError::NoChannels);
        }
        for (channel, cap) in &self.channels {
            if cap.max_concurrent == 0 {
                return Err(CapacityError::ZeroConcurrency(*channel));
            }
            if cap.units > self.total_units {
                return Err(CapacityError::UnitsExceedTotal {
                    channel: *channel,
                    units: cap.units,
                    total: self.total_units,
                });
            }
        }
        if let Some(channel) = self.headroom.keys().find(|c| !self.channels.contains_key(c)) {
            return Err(CapacityError::HeadroomWithoutChannel(*channel));
        }
        Ok(())
    }
}

/// What an agent currently holds against their capacity: offers, connected
/// interactions and wrap-ups all count, so reserving at offer time makes
/// double-booking impossible.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Load {
    #[serde(with = "super::channel::channel_map")]
    per_channel: BTreeMap<Channel, u32>,
    units: u32,
    exclusive_held: u32,
    items: u32,
}

impl Load {
    /// Interactions of `channel` held.
    pub fn count(&self, channel: Channel) -> u32 {
        self.per_channel.get(&channel).copied().unwrap_or(0)
    }

    /// Units used.
    pub fn units(&self) -> u32 {
        self.units
    }

    /// Interactions held on all channels.
    pub fn items(&self) -> u32 {
        self.items
    }

    /// Held interactions per channel, in channel order (channels with none are omitted).
    pub fn per_channel(&self) -> impl Iterator<Item = (Channel, u32)> + '_ {
        self.per_channel.iter().filter(|(_, n)| **n > 0).map(|(c, n)| (*c, *n))
    }

    /// True when one more interaction of `channel` fits the profile.
    pub fn has_room(&self, profile: &CapacityProfile, channel: Channel) -> bool {
        let Some(cap) = profile.channel(channel) else { return false };
        if self.exclusive_held > 0 {
            return false;
        }
        if cap.exclusive && self.items > 0 {
            return false;
        }
        self.count(channel) < cap.max_concurrent && self.units.saturating_add(cap.units) <= profile.total_units()
    }

    /// Reserves one interaction of `channel`. The caller has checked [`Load::has_room`].
    pub(crate) fn reserve(&mut self, profile: &CapacityProfile, channel: Channel) {
        let cap = profile.channel(channel).copied().unwrap_or(ChannelCapacity {
            max_concurrent: 0,
            units: 0,
            exclusive: false,
        });
        // Saturating: the caller checked room, and live interactions are bounded by a u32 limit.
        let n = self.per_channel.entry(channel).or_insert(0);
        *n = n.saturating_add(1);
        self.units = self.units.saturating_add(cap.units);
        self.items = self.items.saturating_add(1);
        if cap.exclusive {
            self.exclusive_held = self.exclusive_held.saturating_add(1);
        }
    }

    /// Releases one interaction of `channel`, reserved under `profile`.
    pub(crate) fn release(&mut self, profile: &CapacityProfile, channel: Channel) {
        let cap = profile.channel(channel).copied().unwrap_or(ChannelCapacity {
            max_concurrent: 0,
            units: 0,
            exclusive: false,
        });
        if let Some(n) = self.per_channel.get_mut(&channel) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_channel.remove(&channel);
            }
        }
        self.units = self.units.saturating_sub(cap.units);
        self.items = self.items.saturating_sub(1);
        if cap.exclusive {
            self.exclusive_held = self.exclusive_held.saturating_sub(1);
        }
    }

    /// True when the load is within the profile on every channel and in total.
    pub fn within(&self, profile: &CapacityProfile) -> bool {
        self.units <= profile.total_units()
            && self.per_channel.iter().all(|(c, n)| profile.channel(*c).is_some_and(|cap| *n <= cap.max_concurrent))
            && (self.exclusive_held == 0 || self.items == self.exclusive_held.min(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blended() -> CapacityProfile {
        CapacityProfile::new(100)
            .with_channel(Channel::Voice, 1, 100, true)
            .with_channel(Channel::Chat, 3, 30, false)
            .with_channel(Channel::Email, 2, 20, false)
    }

    #[test]
    fn caps_units_and_exclusivity() {
        let p = blended();
        let mut load = Load::default();
        // (action, channel, expected room for voice/chat/email after it)
        let steps: &[(Channel, [bool; 3])] = &[
            (Channel::Chat, [false, true, true]),
            (Channel::Chat, [false, true, true]),
            (Channel::Chat, [false, false, false]), // 90 units used
        ];
        assert!(load.has_room(&p, Channel::Voice));
        for (channel, expect) in steps {
            assert!(load.has_room(&p, *channel));
            load.reserve(&p, *channel);
            let got = [Channel::Voice, Channel::Chat, Channel::Email].map(|c| load.has_room(&p, c));
            assert_eq!(&got, expect, "after reserving {channel}");
            assert!(load.within(&p));
        }
        for _ in 0..3 {
            load.release(&p, Channel::Chat);
        }
        assert_eq!(load, Load::default());
        load.reserve(&p, Channel::Voice);
        assert!(!load.has_room(&p, Channel::Email), "voice is exclusive");
        assert!(!load.has_room(&p, Channel::Custom(1)), "unlisted channel");
    }

    #[test]
    fn validation_rejects_unusable_profiles() {
        let cases = [
            (CapacityProfile::new(0).with_channel(Channel::Voice, 1, 0, false), Err(CapacityError::ZeroTotal)),
            (CapacityProfile::new(1), Err(CapacityError::NoChannels)),
            (
                CapacityProfile::new(1).with_channel(Channel::Chat, 0, 1, false),
                Err(CapacityError::ZeroConcurrency(Channel::Chat)),
            ),
            (
                CapacityProfile::new(10).with_channel(Channel::Chat, 1, 11, false),
                Err(CapacityError::UnitsExceedTotal { channel: Channel::Chat, units: 11, total: 10 }),
            ),
            (
                blended().with_headroom(Channel::Video, Duration::from_secs(30)),
                Err(CapacityError::HeadroomWithoutChannel(Channel::Video)),
            ),
            (blended(), Ok(())),
            (blended().with_headroom(Channel::Voice, Duration::ZERO), Ok(())),
        ];
        for (profile, expected) in cases {
            assert_eq!(profile.validate(), expected, "{profile:?}");
        }
    }

    #[test]
    fn deserialising_refuses_a_channel_listed_twice() {
        let json = serde_json::to_string(&blended()).unwrap();
        assert_eq!(serde_json::from_str::<CapacityProfile>(&json).unwrap(), blended());
        let with_headroom = blended().with_headroom(Channel::Voice, Duration::from_secs(30));
        let json = serde_json::to_string(&with_headroom).unwrap();
        assert_eq!(serde_json::from_str::<CapacityProfile>(&json).unwrap(), with_headroom);
        // Profiles written before headroom existed read as having none.
        let old = r#"{"total_units":10,"channels":[["Chat",{"max_concurrent":1,"units":1,"exclusive":false}]]}"#;
        let read = serde_json::from_str::<CapacityProfile>(old).unwrap();
        assert_eq!(read, CapacityProfile::new(10).with_channel(Channel::Chat, 1, 1, false));
        assert_eq!(read.headrooms().count(), 0);
        let twice = r#"{"total_units":10,"channels":[["Chat",{"max_concurrent":1,"units":1,"exclusive":false}],["Chat",{"max_concurrent":2,"units":1,"exclusive":false}]]}"#;
        let err = serde_json::from_str::<CapacityProfile>(twice).unwrap_err().to_string();
        assert!(err.contains("listed twice"), "{err}");
    }
}
