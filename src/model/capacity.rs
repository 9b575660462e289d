//! Agent capacity: how much work an agent can hold at once.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::channel::{Channel, ChannelMode};
use super::vecmap::VecMap;
use crate::ids::IdHashKey;

/// How an agent may work one channel: how many at once, the units each
/// uses of the agent's total, and whether the channel is exclusive.
///
/// A named value rather than positional arguments, so "1 call costing 100
/// units, exclusive" cannot be misread as "100 calls costing 1".
///
/// # Example
/// ```
/// use switchboard::{CapacityProfile, Channel, ChannelCapacity};
///
/// // One call (all 100 units, nothing else beside it) or up to three chats at 30 units.
/// let cap = CapacityProfile::new(100)
///     .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
///     .with_channel(Channel::Chat, ChannelCapacity::new(3).with_units(30));
/// assert_eq!(cap.channel(Channel::Chat).map(|c| c.max_concurrent), Some(3));
/// assert!(cap.validate().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelCapacity {
    /// Most interactions of this channel at once (1 for voice, say 3 for chat). At least 1.
    pub max_concurrent: u32,
    /// Units of the agent's total capacity that one interaction of this channel uses.
    pub units: u32,
    /// While the agent holds an interaction of an exclusive channel nothing
    /// else is offered, and one is offered only to an agent holding nothing.
    pub exclusive: bool,
}

impl ChannelCapacity {
    /// Up to `max_concurrent` at once, each using one unit, not exclusive.
    pub const fn new(max_concurrent: u32) -> Self {
        ChannelCapacity { max_concurrent, units: 1, exclusive: false }
    }

    /// Each interaction of the channel uses `units` of the agent's total.
    pub const fn with_units(mut self, units: u32) -> Self {
        self.units = units;
        self
    }

    /// Whether the channel is exclusive: nothing else beside it, and offered only to an agent holding nothing.
    pub const fn with_exclusive(mut self, exclusive: bool) -> Self {
        self.exclusive = exclusive;
        self
    }
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
/// use switchboard::{CapacityProfile, Channel, ChannelCapacity};
///
/// // One call (exclusive), or up to three chats and two e-mails within 100 units.
/// let cap = CapacityProfile::new(100)
///     .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
///     .with_channel(Channel::Chat, ChannelCapacity::new(3).with_units(30))
///     .with_channel(Channel::Email, ChannelCapacity::new(2).with_units(20));
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
///
/// # Interruptible work
///
/// [`CapacityProfile::with_interruptible`] is the other answer to the same
/// problem (Genesys's interruptible media types, Salesforce's interruptible
/// capacity): work held on an interruptible channel (a deferrable one, such
/// as e-mail) does not keep a real-time interaction from the agent. A call
/// may be offered on top of e-mail, and the e-mail pauses while the call
/// lasts. The rule, in full:
///
/// 1. **Room.** When the agent is asked for room on a real-time channel, the
///    interactions they hold on interruptible channels are set aside: they
///    count neither units, items, exclusivity nor per-channel counts for that
///    question. Room on any other channel is unchanged: everything held
///    counts, so while an exclusive call is up the agent takes no new work of
///    any kind. ([`Load::has_room`] is the one place this is decided.)
/// 2. **Pausing.** While the agent holds real-time work (connected or in
///    wrap-up), each interaction of theirs connected on an interruptible
///    channel is *interrupted*. It happens when they accept a real-time
///    interaction ([`EventKind::WorkInterrupted`](crate::EventKind::WorkInterrupted),
///    naming the interaction that interrupted it), and, for the rare
///    interruptible interaction accepted while real-time work is already held
///    (possible only beside non-exclusive real-time work), at its accept.
/// 3. **Resuming.** When the agent holds no real-time work any more (the last
///    call was completed with no wrap-up, or its wrap-up ended), each
///    interrupted interaction resumes ([`EventKind::WorkResumed`](crate::EventKind::WorkResumed)).
///    Wrap-up counts as holding the call: after-call work is part of
///    handling it, and the call's capacity is still reserved.
/// 4. **Leaving while paused.** Interrupted work is still connected: the
///    agent may complete it (or the host transfer it) while it is paused,
///    which ends the interruption without a `WorkResumed` (the completion
///    or transfer says what happened). Like any connected interaction, it
///    cannot be abandoned or cancelled. Logging out changes nothing: connected
///    work stays with the agent across logout, paused while they hold
///    real-time work and resumed when they hold none.
///
/// [`Interaction::interrupted_by`](crate::Interaction::interrupted_by) says
/// whether, and by what, an interaction is interrupted. Interruptible
/// channels must be listed and deferrable; the option is off unless set.
///
/// A profile is cheap to clone: clones share one allocation, and the engine
/// gives every agent whose profile equals another's that one's allocation
/// (contact centers give whole teams one profile), so an agent holds a
/// pointer to their profile rather than 80 bytes of it and its channels.
#[derive(Clone, PartialEq, Eq)]
pub struct CapacityProfile(Arc<Parts>);

/// What a [`CapacityProfile`] says, shared by its clones. Serialised as the
/// profile (which had these fields itself).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename = "CapacityProfile")]
struct Parts {
    total_units: u32,
    #[serde(with = "super::channel::channel_map")]
    channels: VecMap<Channel, ChannelCapacity>,
    /// Per channel, how long its work may wait before the agent drains for it.
    #[serde(default, with = "super::channel::channel_millis")]
    headroom: VecMap<Channel, Duration>,
    /// Channels whose work is set aside for real-time work, and paused by it.
    #[serde(default)]
    interruptible: BTreeSet<Channel>,
}

impl Serialize for CapacityProfile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for CapacityProfile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Parts::deserialize(d).map(|parts| CapacityProfile(Arc::new(parts)))
    }
}

/// As the struct it was, with these fields of its own.
impl std::fmt::Debug for CapacityProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Parts { total_units, channels, headroom, interruptible } = &*self.0;
        f.debug_struct("CapacityProfile")
            .field("total_units", total_units)
            .field("channels", channels)
            .field("headroom", headroom)
            .field("interruptible", interruptible)
            .finish()
    }
}

/// The capacity profiles an engine's agents hold, each once, with how many
/// agents hold it: an agent added with a profile equal to one held gets
/// that one's allocation ([`SharedProfiles::share`]), and the last agent to
/// let go of one drops it ([`SharedProfiles::release`]). Rebuilt from the
/// agents on restore; never serialised.
#[derive(Clone, Debug, Default)]
pub(crate) struct SharedProfiles(HashMap<Arc<Parts>, u32, IdHashKey>);

impl SharedProfiles {
    /// Makes `profile` the shared copy of it, counting one more holder.
    pub(crate) fn share(&mut self, profile: &mut CapacityProfile) {
        if let Some((shared, _)) = self.0.get_key_value(&*profile.0) {
            profile.0 = Arc::clone(shared);
        }
        *self.0.entry(Arc::clone(&profile.0)).or_insert(0) += 1;
    }

    /// One holder of `profile` let go of it.
    pub(crate) fn release(&mut self, profile: &CapacityProfile) {
        if let Some(holders) = self.0.get_mut(&*profile.0) {
            *holders -= 1;
            if *holders == 0 {
                self.0.remove(&*profile.0);
            }
        }
    }

    /// How many distinct profiles are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
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
    /// A channel is made interruptible but the profile does not list it.
    #[error("channel {0} is interruptible but the profile does not list it; add the channel or drop the option")]
    InterruptibleWithoutChannel(Channel),
    /// A real-time channel is made interruptible: only deferrable work can
    /// pause for a live customer.
    #[error("channel {0} is real-time and cannot be interruptible; only deferrable channels can")]
    InterruptibleRealTime(Channel),
}

impl CapacityProfile {
    /// A profile with `total_units` and no channel yet.
    pub fn new(total_units: u32) -> Self {
        CapacityProfile(Arc::new(Parts {
            total_units,
            channels: VecMap::new(),
            headroom: VecMap::new(),
            interruptible: BTreeSet::new(),
        }))
    }

    /// The common single-channel profile: up to `max_concurrent` of one
    /// channel, each costing one unit.
    pub fn single(channel: Channel, max_concurrent: u32) -> Self {
        CapacityProfile::new(max_concurrent).with_channel(channel, ChannelCapacity::new(max_concurrent))
    }

    /// Adds (or replaces) a channel.
    pub fn with_channel(mut self, channel: Channel, capacity: ChannelCapacity) -> Self {
        Arc::make_mut(&mut self.0).channels.insert(channel, capacity);
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
    /// use switchboard::{CapacityProfile, Channel, ChannelCapacity};
    ///
    /// // One call or three chats; a call that waited 30 s stops new chats.
    /// let cap = CapacityProfile::new(3)
    ///     .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(3).with_exclusive(true))
    ///     .with_channel(Channel::Chat, ChannelCapacity::new(3))
    ///     .with_headroom(Channel::Voice, Duration::from_secs(30));
    /// assert_eq!(cap.headroom(Channel::Voice), Some(Duration::from_secs(30)));
    /// assert_eq!(cap.headroom(Channel::Chat), None);
    /// assert!(cap.validate().is_ok());
    /// ```
    pub fn with_headroom(mut self, channel: Channel, after: Duration) -> Self {
        Arc::make_mut(&mut self.0).headroom.insert(channel, after);
        self
    }

    /// How long work of `channel` waits before the agent drains for it, if
    /// headroom is kept for it ([`CapacityProfile::with_headroom`]).
    pub fn headroom(&self, channel: Channel) -> Option<Duration> {
        self.0.headroom.get(&channel).copied()
    }

    /// Every channel headroom is kept for, with its threshold, in channel order.
    pub fn headrooms(&self) -> impl Iterator<Item = (Channel, Duration)> + '_ {
        self.0.headroom.iter().map(|(c, after)| (*c, *after))
    }

    /// Makes work on `channel` interruptible: it does not keep real-time work
    /// from the agent, and pauses while the agent holds real-time work (see
    /// [Interruptible work](CapacityProfile#interruptible-work)). Setting it
    /// again changes nothing. The channel must be listed and deferrable
    /// (checked by [`CapacityProfile::validate`] for built-in channels, and
    /// by the engine, which knows the modes of custom channels, when the agent
    /// is added).
    ///
    /// # Example
    /// ```
    /// use switchboard::{CapacityError, CapacityProfile, Channel, ChannelCapacity};
    ///
    /// // One exclusive call or one e-mail; a call may be offered on top of the e-mail.
    /// let cap = CapacityProfile::new(1)
    ///     .with_channel(Channel::Voice, ChannelCapacity::new(1).with_exclusive(true))
    ///     .with_channel(Channel::Email, ChannelCapacity::new(1))
    ///     .with_interruptible(Channel::Email);
    /// assert!(cap.is_interruptible(Channel::Email));
    /// assert!(cap.validate().is_ok());
    ///
    /// // Only listed, deferrable channels can be interruptible.
    /// let voice = cap.clone().with_interruptible(Channel::Voice);
    /// assert_eq!(voice.validate(), Err(CapacityError::InterruptibleRealTime(Channel::Voice)));
    /// let fax = cap.with_interruptible(Channel::Fax);
    /// assert_eq!(fax.validate(), Err(CapacityError::InterruptibleWithoutChannel(Channel::Fax)));
    /// ```
    pub fn with_interruptible(mut self, channel: Channel) -> Self {
        Arc::make_mut(&mut self.0).interruptible.insert(channel);
        self
    }

    /// Whether work on `channel` is interruptible ([`CapacityProfile::with_interruptible`]).
    pub fn is_interruptible(&self, channel: Channel) -> bool {
        self.0.interruptible.contains(&channel)
    }

    /// Every interruptible channel, in channel order.
    pub fn interruptibles(&self) -> impl Iterator<Item = Channel> + '_ {
        self.0.interruptible.iter().copied()
    }

    /// The profile with no interruptible channel (for comparisons in tests).
    #[cfg(test)]
    fn without_interruptibles(mut self) -> Self {
        Arc::make_mut(&mut self.0).interruptible.clear();
        self
    }

    /// The total units.
    pub fn total_units(&self) -> u32 {
        self.0.total_units
    }

    /// The settings of one channel, if the agent works it.
    pub fn channel(&self, channel: Channel) -> Option<&ChannelCapacity> {
        self.0.channels.get(&channel)
    }

    /// The channels the agent works, in channel order.
    pub fn channels(&self) -> impl Iterator<Item = (Channel, &ChannelCapacity)> {
        self.0.channels.iter().map(|(c, cap)| (*c, cap))
    }

    /// Checks that the profile lets the agent take at least one interaction of every listed channel.
    ///
    /// # Errors
    /// A [`CapacityError`] naming the first problem found.
    pub fn validate(&self) -> Result<(), CapacityError> {
        if self.0.total_units == 0 {
            return Err(CapacityError::ZeroTotal);
        }
        if self.0.channels.is_empty() {
            return Err(CapacityError::NoChannels);
        }
        for (channel, cap) in self.0.channels.iter() {
            if cap.max_concurrent == 0 {
                return Err(CapacityError::ZeroConcurrency(*channel));
            }
            if cap.units > self.0.total_units {
                return Err(CapacityError::UnitsExceedTotal {
                    channel: *channel,
                    units: cap.units,
                    total: self.0.total_units,
                });
            }
        }
        if let Some(channel) = self.0.headroom.keys().find(|c| !self.0.channels.contains_key(c)) {
            return Err(CapacityError::HeadroomWithoutChannel(*channel));
        }
        for channel in &self.0.interruptible {
            if !self.0.channels.contains_key(channel) {
                return Err(CapacityError::InterruptibleWithoutChannel(*channel));
            }
            if channel.builtin_mode() == Some(ChannelMode::RealTime) {
                return Err(CapacityError::InterruptibleRealTime(*channel));
            }
        }
        Ok(())
    }
}

/// What an agent currently holds against their capacity: offers, connected
/// interactions and wrap-ups all count, so reserving at offer time makes
/// double-booking impossible.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Load {
    /// Two channels inline (voice and chat, say): the count changes on
    /// every offer and release.
    #[serde(with = "super::channel::channel_map")]
    per_channel: VecMap<Channel, u32, 2>,
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

    /// True when one more interaction of `channel`, whose mode is `mode`,
    /// fits the profile.
    ///
    /// For a real-time channel, interactions held on the profile's
    /// interruptible channels are set aside: they count neither units, items,
    /// exclusivity nor per-channel counts (see
    /// [Interruptible work](CapacityProfile#interruptible-work)). For any
    /// other channel (and for a channel that is itself interruptible),
    /// everything held counts. Without interruptible channels the mode makes
    /// no difference.
    ///
    /// # Example
    /// ```
    /// use switchboard::{CapacityProfile, Channel, ChannelCapacity, ChannelMode, Load};
    ///
    /// let cap = CapacityProfile::new(1)
    ///     .with_channel(Channel::Voice, ChannelCapacity::new(1).with_exclusive(true))
    ///     .with_channel(Channel::Email, ChannelCapacity::new(1))
    ///     .with_interruptible(Channel::Email);
    /// // Nothing held: room for either.
    /// let idle = Load::default();
    /// assert!(idle.has_room(&cap, Channel::Voice, ChannelMode::RealTime));
    /// assert!(idle.has_room(&cap, Channel::Email, ChannelMode::Deferrable));
    /// ```
    pub fn has_room(&self, profile: &CapacityProfile, channel: Channel, mode: ChannelMode) -> bool {
        let Some(cap) = profile.channel(channel) else { return false };
        let held = if mode == ChannelMode::RealTime && !profile.is_interruptible(channel) {
            self.totals().without(self.interruptible_totals(profile))
        } else {
            self.totals()
        };
        if held.exclusive > 0 {
            return false;
        }
        if cap.exclusive && held.items > 0 {
            return false;
        }
        self.count(channel) < cap.max_concurrent && held.units.saturating_add(cap.units) <= profile.total_units()
    }

    /// Units, items and exclusive items held in all.
    fn totals(&self) -> Held {
        Held { units: self.units, items: self.items, exclusive: self.exclusive_held }
    }

    /// Units, items and exclusive items held on the profile's interruptible channels.
    fn interruptible_totals(&self, profile: &CapacityProfile) -> Held {
        let mut held = Held::default();
        for channel in profile.interruptibles() {
            let n = self.count(channel);
            let Some(cap) = profile.channel(channel).filter(|_| n > 0) else { continue };
            held.units = held.units.saturating_add(n.saturating_mul(cap.units));
            held.items = held.items.saturating_add(n);
            if cap.exclusive {
                held.exclusive = held.exclusive.saturating_add(n);
            }
        }
        held
    }

    /// Reserves one interaction of `channel`. The caller has checked [`Load::has_room`].
    pub(crate) fn reserve(&mut self, profile: &CapacityProfile, channel: Channel) {
        let cap = profile.channel(channel).copied().unwrap_or(ChannelCapacity {
            max_concurrent: 0,
            units: 0,
            exclusive: false,
        });
        // Saturating: the caller checked room, and live interactions are bounded by a u32 limit.
        let n = self.per_channel.get_or_insert_with(channel, || 0);
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

    /// True when the load is within the profile on every channel and in
    /// total. Work on interruptible channels is measured apart from the
    /// rest (real-time work may be taken on top of it, see
    /// [Interruptible work](CapacityProfile#interruptible-work)): each part
    /// must fit on its own.
    pub fn within(&self, profile: &CapacityProfile) -> bool {
        let interruptible = self.interruptible_totals(profile);
        self.per_channel.iter().all(|(c, n)| profile.channel(*c).is_some_and(|cap| *n <= cap.max_concurrent))
            && interruptible.fits(profile)
            && self.totals().without(interruptible).fits(profile)
    }

    /// True when the load is within the profile with nothing set aside (as
    /// work that is not real-time must be: it was taken when everything held counted).
    pub(crate) fn within_in_full(&self, profile: &CapacityProfile) -> bool {
        self.per_channel.iter().all(|(c, n)| profile.channel(*c).is_some_and(|cap| *n <= cap.max_concurrent))
            && self.totals().fits(profile)
    }
}

/// Units, items and exclusive items of some part of a load.
#[derive(Clone, Copy, Debug, Default)]
struct Held {
    units: u32,
    items: u32,
    exclusive: u32,
}

impl Held {
    /// This part without `other`, a part of it.
    fn without(self, other: Held) -> Held {
        Held {
            units: self.units.saturating_sub(other.units),
            items: self.items.saturating_sub(other.items),
            exclusive: self.exclusive.saturating_sub(other.exclusive),
        }
    }

    /// Whether this part fits the profile's total and exclusivity.
    fn fits(self, profile: &CapacityProfile) -> bool {
        self.units <= profile.total_units() && (self.exclusive == 0 || self.items == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blended() -> CapacityProfile {
        CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(3).with_units(30))
            .with_channel(Channel::Email, ChannelCapacity::new(2).with_units(20))
    }

    /// Room on a built-in channel, asked in its own mode.
    fn room(load: &Load, p: &CapacityProfile, channel: Channel) -> bool {
        load.has_room(p, channel, channel.builtin_mode().expect("built-in"))
    }

    #[test]
    fn interruptible_work_is_set_aside_only_for_real_time_channels() {
        // One exclusive call or two e-mails (interruptible); chat 2 x 30 units beside e-mail.
        let p = CapacityProfile::new(100)
            .with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(100).with_exclusive(true))
            .with_channel(Channel::Chat, ChannelCapacity::new(2).with_units(30))
            .with_channel(Channel::Email, ChannelCapacity::new(2).with_units(40))
            .with_channel(Channel::Sms, ChannelCapacity::new(1).with_units(20))
            .with_interruptible(Channel::Email);
        let plain = p.clone().without_interruptibles();
        // (held, [voice, chat, email, sms] room with the option, the same without it)
        let cases: &[(&[Channel], [bool; 4], [bool; 4])] = &[
            (&[], [true, true, true, true], [true, true, true, true]),
            (&[Channel::Email], [true, true, true, true], [false, true, true, true]),
            (&[Channel::Email, Channel::Email], [true, true, false, true], [false, false, false, true]),
            (&[Channel::Email, Channel::Sms], [false, true, true, false], [false, true, true, false]),
            (&[Channel::Email, Channel::Email, Channel::Voice], [false, false, false, false], [false; 4]),
            (&[Channel::Email, Channel::Email, Channel::Chat], [false, true, false, false], [false; 4]),
        ];
        for (held, with, without) in cases {
            let mut load = Load::default();
            for c in *held {
                load.reserve(&p, *c);
            }
            let channels = [Channel::Voice, Channel::Chat, Channel::Email, Channel::Sms];
            assert_eq!(channels.map(|c| room(&load, &p, c)), *with, "with the option, holding {held:?}");
            assert_eq!(channels.map(|c| room(&load, &plain, c)), *without, "without it, holding {held:?}");
            assert!(load.within(&p), "holding {held:?}");
        }
        // Asked as deferrable, nothing is set aside, whatever the channel.
        let mut load = Load::default();
        load.reserve(&p, Channel::Email);
        assert!(!load.has_room(&p, Channel::Voice, ChannelMode::Deferrable));
        // Two e-mails and a call: within (each part fits); a second call is not.
        load.reserve(&p, Channel::Email);
        load.reserve(&p, Channel::Voice);
        assert!(load.within(&p));
        load.reserve(&p, Channel::Voice);
        assert!(!load.within(&p));
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
        assert!(room(&load, &p, Channel::Voice));
        for (channel, expect) in steps {
            assert!(room(&load, &p, *channel));
            load.reserve(&p, *channel);
            let got = [Channel::Voice, Channel::Chat, Channel::Email].map(|c| room(&load, &p, c));
            assert_eq!(&got, expect, "after reserving {channel}");
            assert!(load.within(&p));
        }
        for _ in 0..3 {
            load.release(&p, Channel::Chat);
        }
        assert_eq!(load, Load::default());
        load.reserve(&p, Channel::Voice);
        assert!(!room(&load, &p, Channel::Email), "voice is exclusive");
        assert!(!load.has_room(&p, Channel::Custom(1), ChannelMode::Deferrable), "unlisted channel");
    }

    #[test]
    fn validation_rejects_unusable_profiles() {
        let cases = [
            (
                CapacityProfile::new(0).with_channel(Channel::Voice, ChannelCapacity::new(1).with_units(0)),
                Err(CapacityError::ZeroTotal),
            ),
            (CapacityProfile::new(1), Err(CapacityError::NoChannels)),
            (
                CapacityProfile::new(1).with_channel(Channel::Chat, ChannelCapacity::new(0)),
                Err(CapacityError::ZeroConcurrency(Channel::Chat)),
            ),
            (
                CapacityProfile::new(10).with_channel(Channel::Chat, ChannelCapacity::new(1).with_units(11)),
                Err(CapacityError::UnitsExceedTotal { channel: Channel::Chat, units: 11, total: 10 }),
            ),
            (
                blended().with_headroom(Channel::Video, Duration::from_secs(30)),
                Err(CapacityError::HeadroomWithoutChannel(Channel::Video)),
            ),
            (blended().with_interruptible(Channel::Fax), Err(CapacityError::InterruptibleWithoutChannel(Channel::Fax))),
            (blended().with_interruptible(Channel::Chat), Err(CapacityError::InterruptibleRealTime(Channel::Chat))),
            (blended().with_interruptible(Channel::Email), Ok(())),
            (blended(), Ok(())),
            (blended().with_headroom(Channel::Voice, Duration::ZERO), Ok(())),
        ];
        for (profile, expected) in cases {
            assert_eq!(profile.validate(), expected, "{profile:?}");
        }
    }

    #[test]
    fn equal_profiles_share_one_allocation_while_held() {
        let mut shared = SharedProfiles::default();
        let (mut a, mut b) = (blended(), blended());
        let mut c = blended().with_interruptible(Channel::Email);
        for p in [&mut a, &mut b, &mut c] {
            shared.share(p);
        }
        assert!(Arc::ptr_eq(&a.0, &b.0), "equal profiles share");
        assert!(!Arc::ptr_eq(&a.0, &c.0), "different ones do not");
        assert_eq!(shared.len(), 2);
        shared.release(&a);
        assert_eq!(shared.len(), 2, "b still holds it");
        shared.release(&b);
        assert_eq!(shared.len(), 1, "the last holder let go");
        // Changing a clone leaves the shared profile as it was.
        let changed = b.clone().with_channel(Channel::Sms, ChannelCapacity::new(1));
        assert_ne!(changed, b);
        assert_eq!(b, blended());
        // Debug shows the fields, as when they were the profile's own.
        let debug = format!("{:?}", CapacityProfile::single(Channel::Chat, 2));
        assert!(debug.starts_with("CapacityProfile { total_units: 2, channels: {Chat: "), "{debug}");
        assert!(debug.ends_with("headroom: {}, interruptible: {} }"), "{debug}");
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
        assert_eq!(read, CapacityProfile::new(10).with_channel(Channel::Chat, ChannelCapacity::new(1)));
        assert_eq!(read.headrooms().count(), 0);
        assert_eq!(read.interruptibles().count(), 0);
        let interruptible = blended().with_interruptible(Channel::Email);
        let json = serde_json::to_string(&interruptible).unwrap();
        assert_eq!(serde_json::from_str::<CapacityProfile>(&json).unwrap(), interruptible);
        let twice = r#"{"total_units":10,"channels":[["Chat",{"max_concurrent":1,"units":1,"exclusive":false}],["Chat",{"max_concurrent":2,"units":1,"exclusive":false}]]}"#;
        let err = serde_json::from_str::<CapacityProfile>(twice).unwrap_err().to_string();
        assert!(err.contains("listed twice"), "{err}");
    }
}
