//! Channels: how a customer reaches the contact center.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether the customer waits live on the line or a reply can wait.
///
/// Blending gives real-time work precedence: deferrable work is offered to an
/// agent only when no real-time work that agent qualifies for is waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelMode {
    /// The customer is waiting live (voice, chat, video).
    #[serde(alias = "RealTime")]
    RealTime,
    /// A reply can wait (e-mail, fax, callbacks, SMS and social messages).
    #[serde(alias = "Deferrable")]
    Deferrable,
}

/// A channel of contact.
///
/// The built-in channels have a fixed [`ChannelMode`]; a host adds its own
/// channel kinds as [`Channel::Custom`] and declares their mode in
/// [`EngineConfig`](crate::EngineConfig).
///
/// # Example
/// ```
/// use switchboard::{Channel, ChannelMode};
///
/// assert_eq!(Channel::Voice.builtin_mode(), Some(ChannelMode::RealTime));
/// assert_eq!(Channel::Email.builtin_mode(), Some(ChannelMode::Deferrable));
/// assert_eq!(Channel::Custom(7).builtin_mode(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A telephone call.
    #[serde(alias = "Voice")]
    Voice,
    /// A live web or in-app chat.
    #[serde(alias = "Chat")]
    Chat,
    /// An e-mail.
    #[serde(alias = "Email")]
    Email,
    /// A text message.
    #[serde(alias = "Sms")]
    Sms,
    /// A message on a social network or messaging app.
    #[serde(alias = "Social")]
    Social,
    /// A video call.
    #[serde(alias = "Video")]
    Video,
    /// A web callback request: the agent calls the customer back.
    #[serde(alias = "Callback")]
    Callback,
    /// A fax.
    #[serde(alias = "Fax")]
    Fax,
    /// A channel kind the host defines; its mode comes from the engine configuration.
    #[serde(alias = "Custom")]
    Custom(u16),
}

impl Channel {
    /// Every built-in channel, in a fixed order.
    pub const BUILTIN: [Channel; 8] = [
        Channel::Voice,
        Channel::Chat,
        Channel::Email,
        Channel::Sms,
        Channel::Social,
        Channel::Video,
        Channel::Callback,
        Channel::Fax,
    ];

    /// The mode of a built-in channel; `None` for [`Channel::Custom`].
    pub const fn builtin_mode(self) -> Option<ChannelMode> {
        match self {
            Channel::Voice | Channel::Chat | Channel::Video => Some(ChannelMode::RealTime),
            Channel::Email | Channel::Sms | Channel::Social | Channel::Callback | Channel::Fax => {
                Some(ChannelMode::Deferrable)
            }
            Channel::Custom(_) => None,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Voice => f.write_str("voice"),
            Channel::Chat => f.write_str("chat"),
            Channel::Email => f.write_str("email"),
            Channel::Sms => f.write_str("sms"),
            Channel::Social => f.write_str("social"),
            Channel::Video => f.write_str("video"),
            Channel::Callback => f.write_str("callback"),
            Channel::Fax => f.write_str("fax"),
            Channel::Custom(code) => write!(f, "custom{code}"),
        }
    }
}

/// Serialises a map keyed by channel as a list of (channel, value) pairs, so
/// formats whose map keys must be strings (JSON) can hold custom channels.
pub(crate) mod channel_map {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Channel;
    use crate::model::vecmap::VecMap;

    pub(crate) fn serialize<V: Serialize, S: Serializer, const N: usize>(
        map: &VecMap<Channel, V, N>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter())
    }

    pub(crate) fn deserialize<'de, V: Deserialize<'de>, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<VecMap<Channel, V, N>, D::Error> {
        let pairs: Vec<(Channel, V)> = Vec::deserialize(d)?;
        let mut map = VecMap::new();
        for (channel, value) in pairs {
            // A channel listed twice would silently keep one of two settings.
            if map.insert(channel, value).is_some() {
                return Err(serde::de::Error::custom(format_args!("channel {channel} is listed twice")));
            }
        }
        Ok(map)
    }
}

/// A per-channel map of spans, as [`channel_map`] with each span in milliseconds
/// ([`crate::serde_forms::millis`]).
pub(crate) mod channel_millis {
    use std::time::Duration;

    use serde::{Deserializer, Serializer};

    use super::{Channel, channel_map};
    use crate::model::vecmap::VecMap;
    use crate::serde_forms::Millis;

    pub(crate) fn serialize<S: Serializer>(map: &VecMap<Channel, Duration>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(map.iter().map(|(channel, span)| (channel, Millis(*span))))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<VecMap<Channel, Duration>, D::Error> {
        let spans: VecMap<Channel, Millis> = channel_map::deserialize(d)?;
        Ok(spans.iter().map(|(channel, span)| (*channel, span.0)).collect())
    }
}
