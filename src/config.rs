//! Engine-wide settings, fixed when the engine is built.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{ConfigError, Limit};
use crate::ids::ReasonCode;
use crate::model::channel::{Channel, ChannelMode};
use crate::time::check_span;

/// Limits on everything the engine holds, so memory stays bounded and
/// reaching a limit is a typed refusal.
///
/// Fields missing from a serialised form take their defaults, so a snapshot
/// written before a limit existed still restores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Limits {
    /// Skills registered.
    pub max_skills: u32,
    /// Queues.
    pub max_queues: u32,
    /// Agents.
    pub max_agents: u32,
    /// Live interactions (waiting, offered, connected or in wrap-up).
    pub max_interactions: u32,
    /// Interactions waiting in one queue, unless the queue sets its own.
    pub max_waiting_per_queue: u32,
    /// Distinct requirement sets among the live interactions. A set stops
    /// counting when the last live interaction that needs it ends or moves.
    pub max_signatures: u32,
    /// Requirements on one interaction (queue's and own together).
    pub max_requirements: u32,
    /// Queues one agent serves.
    pub max_queues_per_agent: u32,
    /// Bytes of attribute keys and values on one interaction.
    pub max_attribute_bytes: u32,
    /// The fastest aging allowed, in priority points per minute.
    pub max_aging_points_per_minute: u32,
    /// Bytes of a skill's or a queue's name.
    pub max_name_bytes: u32,
    /// Offers an agent may let time out in a row (no accept between them)
    /// before the engine pauses them with [`EngineConfig::MISSED_OFFER`],
    /// even when [`EngineConfig::missed_offer_pause`] is `None`.
    ///
    /// Why: with offers that ring and time out again and again, a call after
    /// a long gap would otherwise replay every ring-no-answer cycle since
    /// the last call, so the work of one call would grow with the time
    /// elapsed. This bounds it by agents × this limit, which is therefore
    /// itself at most [`Limits::MAX_MISSED_OFFERS_IN_A_ROW`].
    pub max_missed_offers_in_a_row: u32,
    /// Routing steps in one list (a queue's or an interaction's own); at
    /// most [`Limits::MAX_STEPS`], since finding an interaction's step walks
    /// the list.
    pub max_steps: u32,
    /// Agent attributes declared ([`Command::AddAgentAttribute`](crate::Command::AddAgentAttribute)).
    pub max_agent_attributes: u32,
    /// Nodes in one eligibility expression ([`Expression::node_count`](crate::Expression::node_count));
    /// at most [`Limits::MAX_EXPRESSION_NODES`], since checking and evaluating one walks it.
    pub max_expression_nodes: u32,
    /// Agents one interaction's [`Preference`](crate::Preference) names.
    pub max_preferred_agents: u32,
    /// Cases whose owner the engine remembers (for case-owner routing).
    /// Past it, the case whose owner was set longest ago is forgotten, so
    /// memory stays bounded however many cases a day brings.
    pub max_cases: u32,
}

impl Limits {
    /// The highest [`Limits::max_missed_offers_in_a_row`] the builder accepts: above it,
    /// the work one call may do after a long silence stops being small.
    pub const MAX_MISSED_OFFERS_IN_A_ROW: u32 = 100;
    /// The highest [`Limits::max_steps`] the builder accepts.
    pub const MAX_STEPS: u32 = 256;
    /// The highest [`Limits::max_expression_nodes`] the builder accepts.
    pub const MAX_EXPRESSION_NODES: u32 = 1_024;
    /// The highest [`Limits::max_preferred_agents`] the builder accepts:
    /// each arrival with a preference looks at every agent it names.
    pub const MAX_PREFERRED_AGENTS: u32 = 256;

    /// Every limit at the largest value [`EngineConfig`]'s builder accepts: `u32::MAX`
    /// where nothing caps it, the named maximum where one does. For a host that enforces
    /// its own limits, and for tests that probe the engine at its edges.
    pub const fn largest() -> Self {
        Limits {
            max_skills: u32::MAX,
            max_queues: u32::MAX,
            max_agents: u32::MAX,
            max_interactions: u32::MAX,
            max_waiting_per_queue: u32::MAX,
            max_signatures: u32::MAX,
            max_requirements: u32::MAX,
            max_queues_per_agent: u32::MAX,
            max_attribute_bytes: u32::MAX,
            max_aging_points_per_minute: u32::MAX,
            max_name_bytes: u32::MAX,
            max_missed_offers_in_a_row: Limits::MAX_MISSED_OFFERS_IN_A_ROW,
            max_steps: Limits::MAX_STEPS,
            max_agent_attributes: u32::MAX,
            max_expression_nodes: Limits::MAX_EXPRESSION_NODES,
            max_preferred_agents: Limits::MAX_PREFERRED_AGENTS,
            max_cases: u32::MAX,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_skills: 10_000,
            max_queues: 10_000,
            max_agents: 100_000,
            max_interactions: 1_000_000,
            max_waiting_per_queue: 1_000_000,
            max_signatures: 100_000,
            max_requirements: 32,
            max_queues_per_agent: 256,
            max_attribute_bytes: 4_096,
            max_aging_points_per_minute: 1_000_000,
            max_name_bytes: 1_024,
            max_missed_offers_in_a_row: 3,
            max_steps: 16,
            max_agent_attributes: 256,
            max_expression_nodes: 64,
            max_preferred_agents: 16,
            max_cases: 1_000_000,
        }
    }
}

/// Engine-wide settings. Topology (skills, queues, agents) arrives as
/// commands instead, so that it is journaled with everything else.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{Channel, ChannelMode, EngineConfig};
///
/// let config = EngineConfig::builder()
///     .offer_timeout(Duration::from_secs(20))
///     .never_reoffer_to_decliners(true)
///     .custom_channel(1, ChannelMode::Deferrable) // e.g. a ticketing system
///     .build()
///     .unwrap();
/// assert_eq!(config.channel_mode(Channel::Custom(1)), Some(ChannelMode::Deferrable));
/// ```
///
/// Deserialising checks the same rules as [`EngineConfigBuilder::build`], so
/// a configuration read from a snapshot or a file is never one the builder
/// would refuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "EngineConfigFields")]
pub struct EngineConfig {
    #[serde(with = "crate::serde_forms::millis")]
    offer_timeout: Duration,
    missed_offer_pause: Option<ReasonCode>,
    never_reoffer_to_decliners: bool,
    custom_channels: BTreeMap<u16, ChannelMode>,
    limits: Limits,
    id_hash_key: u64,
    routing_index: RoutingIndex,
    blending: Blending,
    #[serde(with = "crate::serde_forms::millis")]
    blend_horizon: Duration,
    routing_seed: u64,
}

/// How an agent who could take both chooses between real-time work (voice,
/// chat, video) and deferrable work (e-mail, fax, callbacks): step 2 of the
/// routing rule in [`Engine`](crate::Engine)'s documentation. Overdue work
/// (see [`QueueConfig::max_wait`](crate::QueueConfig::max_wait)) comes
/// first under either.
///
/// # Example
/// ```
/// use switchboard::{Blending, EngineConfig};
///
/// let config = EngineConfig::builder().blending(Blending::ServiceLevel).build().unwrap();
/// assert_eq!(config.blending(), Blending::ServiceLevel);
/// assert_eq!(EngineConfig::default().blending(), Blending::RealTimeFirst);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Blending {
    /// Strict real-time first (the default): an agent is offered deferrable
    /// work only when no real-time work they could be offered now (or within
    /// the [blend horizon](EngineConfigBuilder::blend_horizon)) waits.
    #[default]
    #[serde(alias = "RealTimeFirst")]
    RealTimeFirst,
    /// Each side against its own target: the real-time interaction the agent
    /// would be offered and the deferrable one are compared by the share of
    /// their queue's service-level threshold
    /// ([`ServiceLevelTarget::answer_within`](crate::ServiceLevelTarget::answer_within),
    /// the response target for deferrable queues) that they have waited; the
    /// deferrable one wins only when its share is strictly larger. Equal
    /// shares (and two zero thresholds) go to real-time work.
    #[serde(alias = "ServiceLevel")]
    ServiceLevel,
}

/// How the engine finds the candidates of a routing decision. Both ways give
/// the same decisions and the same events, byte for byte; they differ only in
/// cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum RoutingIndex {
    /// The routing index (the default): a decision's cost depends on the
    /// configuration (members per queue, queues per agent), not on how many
    /// interactions wait. See the README's scale table.
    #[default]
    #[serde(alias = "Indexed")]
    Indexed,
    /// A deliberately simple router that looks at every agent and every
    /// waiting interaction for each decision: cost linear in both. It is the
    /// reference the index is tested against and the baseline of the routing
    /// benchmark; do not use it in production.
    #[serde(alias = "Scan")]
    Scan,
}

/// The serialised form of [`EngineConfig`], checked on the way in.
#[derive(Deserialize)]
struct EngineConfigFields {
    #[serde(with = "crate::serde_forms::millis")]
    offer_timeout: Duration,
    missed_offer_pause: Option<ReasonCode>,
    never_reoffer_to_decliners: bool,
    custom_channels: BTreeMap<u16, ChannelMode>,
    limits: Limits,
    #[serde(default)]
    id_hash_key: u64,
    #[serde(default)]
    routing_index: RoutingIndex,
    #[serde(default)]
    blending: Blending,
    #[serde(default)]
    #[serde(with = "crate::serde_forms::millis")]
    blend_horizon: Duration,
    #[serde(default)]
    routing_seed: u64,
}

impl TryFrom<EngineConfigFields> for EngineConfig {
    type Error = ConfigError;
    fn try_from(f: EngineConfigFields) -> Result<Self, ConfigError> {
        let config = EngineConfig {
            offer_timeout: f.offer_timeout,
            missed_offer_pause: f.missed_offer_pause,
            never_reoffer_to_decliners: f.never_reoffer_to_decliners,
            custom_channels: f.custom_channels,
            limits: f.limits,
            id_hash_key: f.id_hash_key,
            routing_index: f.routing_index,
            blending: f.blending,
            blend_horizon: f.blend_horizon,
            routing_seed: f.routing_seed,
        };
        config.validate()?;
        Ok(config)
    }
}

impl Default for EngineConfig {
    /// 15 s offer timeout; a missed offer pauses the agent with
    /// [`EngineConfig::MISSED_OFFER`]; declined work may be offered again; default limits.
    fn default() -> Self {
        EngineConfig {
            offer_timeout: Duration::from_secs(15),
            missed_offer_pause: Some(EngineConfig::MISSED_OFFER),
            never_reoffer_to_decliners: false,
            custom_channels: BTreeMap::new(),
            limits: Limits::default(),
            id_hash_key: 0,
            routing_index: RoutingIndex::Indexed,
            blending: Blending::RealTimeFirst,
            blend_horizon: Duration::ZERO,
            routing_seed: 0,
        }
    }
}

impl EngineConfig {
    /// The reason code the default configuration pauses an agent with after a missed offer.
    pub const MISSED_OFFER: ReasonCode = ReasonCode(0);

    /// A builder starting from the defaults.
    pub fn builder() -> EngineConfigBuilder {
        EngineConfigBuilder { config: EngineConfig::default(), duplicate_channel: None }
    }

    /// How long an agent has to accept an offer, unless the queue sets its own.
    pub fn offer_timeout(&self) -> Duration {
        self.offer_timeout
    }

    /// The pause reason applied to an agent who lets an offer time out, if any.
    pub fn missed_offer_pause(&self) -> Option<ReasonCode> {
        self.missed_offer_pause
    }

    /// Whether an interaction is never offered again to an agent who rejected it or let it time out.
    pub fn never_reoffer_to_decliners(&self) -> bool {
        self.never_reoffer_to_decliners
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The key the engine's hash tables of ids start from (see [`EngineConfigBuilder::id_hash_key`]).
    pub fn id_hash_key(&self) -> u64 {
        self.id_hash_key
    }

    /// How routing decisions find their candidates (see [`RoutingIndex`]).
    pub fn routing_index(&self) -> RoutingIndex {
        self.routing_index
    }

    /// How agents choose between real-time and deferrable work (see [`Blending`]).
    pub fn blending(&self) -> Blending {
        self.blending
    }

    /// How far ahead deferrable work is held back for real-time work (see
    /// [`EngineConfigBuilder::blend_horizon`]).
    pub fn blend_horizon(&self) -> Duration {
        self.blend_horizon
    }

    /// The seed of the random agent-selection strategies
    /// ([`AgentSelection::Random`](crate::AgentSelection::Random) and
    /// [`AgentSelection::WeightedRandom`](crate::AgentSelection::WeightedRandom));
    /// part of the configuration, and so of snapshots, so a replay makes the same draws.
    pub fn routing_seed(&self) -> u64 {
        self.routing_seed
    }

    /// The mode of a channel: built-in, or declared custom. `None` for an undeclared custom channel.
    pub fn channel_mode(&self, channel: Channel) -> Option<ChannelMode> {
        match channel {
            Channel::Custom(code) => self.custom_channels.get(&code).copied(),
            builtin => builtin.builtin_mode(),
        }
    }
}

/// Builds an [`EngineConfig`], checking it once at the end.
#[derive(Clone, Debug)]
pub struct EngineConfigBuilder {
    config: EngineConfig,
    duplicate_channel: Option<u16>,
}

impl EngineConfigBuilder {
    /// Sets the default offer timeout.
    pub fn offer_timeout(mut self, timeout: Duration) -> Self {
        self.config.offer_timeout = timeout;
        self
    }

    /// Sets (or with `None`, turns off) pausing an agent who misses an offer.
    pub fn missed_offer_pause(mut self, reason: Option<ReasonCode>) -> Self {
        self.config.missed_offer_pause = reason;
        self
    }

    /// When true, an interaction is never offered again to an agent who declined it or let it time out.
    ///
    /// Either way, an agent who declined an interaction (rejected it, or let
    /// its offer time out) is its **last resort**: it goes to the best *other*
    /// available agent first, and back to a decliner only when no other
    /// qualified agent with room is available. When `never` is false (the
    /// default) that is all: with nobody else, the decliner is offered it
    /// again at once (or once they are ready again, if a missed offer paused
    /// them).
    ///
    /// When `never` is true, decliners are never offered it again, and once
    /// every qualified agent (every logged-in member of its queue who works
    /// its channel and satisfies its requirements) has declined it, the engine
    /// emits [`EventKind::DeclinedByAll`](crate::EventKind::DeclinedByAll) and
    /// applies the queue's [`AllDeclined`](crate::AllDeclined) rule: keep
    /// waiting (the default), forget the declines after a time, overflow to
    /// another queue, or end with [`Outcome::Declined`](crate::Outcome::Declined).
    /// [`Engine::why_waiting`](crate::Engine::why_waiting) says when a waiting
    /// interaction is in that state.
    pub fn never_reoffer_to_decliners(mut self, never: bool) -> Self {
        self.config.never_reoffer_to_decliners = never;
        self
    }

    /// Declares a host-defined channel kind and its mode.
    pub fn custom_channel(mut self, code: u16, mode: ChannelMode) -> Self {
        if self.config.custom_channels.insert(code, mode).is_some() {
            self.duplicate_channel = Some(code);
        }
        self
    }

    /// Sets a secret key for the engine's hash tables of ids (zero by default).
    ///
    /// Structured ids (sequential, strided, high bits only) spread well
    /// without a key. Set one, from your own random source at start-up, if
    /// untrusted parties choose raw interaction or agent ids (a telephony
    /// call id passed straight through, say): without it, someone who knows
    /// the hash function could pick ids that all land in one bucket and make
    /// every lookup slow. The key changes no result, only memory layout:
    /// nothing the engine outputs depends on hash order.
    pub fn id_hash_key(mut self, key: u64) -> Self {
        self.config.id_hash_key = key;
        self
    }

    /// Chooses how routing decisions find their candidates; the default,
    /// [`RoutingIndex::Indexed`], is the one to use. [`RoutingIndex::Scan`]
    /// exists for differential tests and benchmark baselines.
    pub fn routing_index(mut self, index: RoutingIndex) -> Self {
        self.config.routing_index = index;
        self
    }

    /// Chooses how agents weigh real-time against deferrable work (see [`Blending`]).
    pub fn blending(mut self, blending: Blending) -> Self {
        self.config.blending = blending;
        self
    }

    /// How far ahead deferrable work is held back for real-time work; zero
    /// (the default) holds it back only for real-time work the agent could
    /// be offered *now*.
    ///
    /// An agent who is free for deferrable work is held back when a
    /// real-time interaction waits that they qualify for, have room for on
    /// its channel now, and whose wait reaches their delay for its queue
    /// (see [`QueueMembership`](crate::QueueMembership)) within this
    /// horizon, and when that interaction beats the deferrable one under the
    /// [`Blending`] rule. Real-time work the agent has no room for, or whose
    /// delay is further away, never holds deferrable work back. Held-back
    /// deferrable work gives way to the best real-time work the agent could
    /// take now, if any: holding back never idles an agent a call waits for
    /// (under [`Blending::ServiceLevel`] that call may have lost to the
    /// deferrable work, and the work it is held back for may be another).
    ///
    /// # Example
    /// ```
    /// use std::time::Duration;
    /// use switchboard::EngineConfig;
    ///
    /// // Keep agents free for calls that reach them within the next 10 s.
    /// let config = EngineConfig::builder().blend_horizon(Duration::from_secs(10)).build().unwrap();
    /// assert_eq!(config.blend_horizon(), Duration::from_secs(10));
    /// ```
    pub fn blend_horizon(mut self, horizon: Duration) -> Self {
        self.config.blend_horizon = horizon;
        self
    }

    /// Sets the seed of the random agent-selection strategies (0 by default;
    /// see [`EngineConfig::routing_seed`]).
    pub fn routing_seed(mut self, seed: u64) -> Self {
        self.config.routing_seed = seed;
        self
    }

    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Checks and returns the configuration.
    ///
    /// # Errors
    /// [`ConfigError`] for an offer timeout under 1 ms or over
    /// [`Timestamp::MAX_SPAN`](crate::Timestamp::MAX_SPAN), a zero limit or a
    /// custom channel declared twice.
    pub fn build(self) -> Result<EngineConfig, ConfigError> {
        if let Some(code) = self.duplicate_channel {
            return Err(ConfigError::DuplicateCustomChannel(code));
        }
        self.config.validate()?;
        Ok(self.config)
    }
}

impl EngineConfig {
    /// The builder's rules, shared with deserialisation.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        check_span(self.offer_timeout, false)
            .map_err(|error| ConfigError::InvalidOfferTimeout { timeout: self.offer_timeout, error })?;
        check_span(self.blend_horizon, true)
            .map_err(|error| ConfigError::InvalidBlendHorizon { horizon: self.blend_horizon, error })?;
        let l = &self.limits;
        let limits = [
            (l.max_skills, Limit::Skills),
            (l.max_queues, Limit::Queues),
            (l.max_agents, Limit::Agents),
            (l.max_interactions, Limit::Interactions),
            (l.max_waiting_per_queue, Limit::Interactions),
            (l.max_signatures, Limit::Signatures),
            (l.max_requirements, Limit::RequirementsPerInteraction),
            (l.max_queues_per_agent, Limit::QueuesPerAgent),
            (l.max_attribute_bytes, Limit::AttributeBytes),
            (l.max_name_bytes, Limit::NameBytes),
            (l.max_missed_offers_in_a_row, Limit::MissedOffersInARow),
            (l.max_steps, Limit::Steps),
            (l.max_agent_attributes, Limit::AgentAttributes),
            (l.max_expression_nodes, Limit::ExpressionNodes),
            (l.max_preferred_agents, Limit::PreferredAgents),
            (l.max_cases, Limit::Cases),
        ];
        if let Some((_, which)) = limits.iter().find(|(value, _)| *value == 0) {
            return Err(ConfigError::ZeroLimit(*which));
        }
        if l.max_steps > Limits::MAX_STEPS {
            return Err(ConfigError::LimitTooHigh { what: Limit::Steps, value: l.max_steps, max: Limits::MAX_STEPS });
        }
        if l.max_expression_nodes > Limits::MAX_EXPRESSION_NODES {
            return Err(ConfigError::LimitTooHigh {
                what: Limit::ExpressionNodes,
                value: l.max_expression_nodes,
                max: Limits::MAX_EXPRESSION_NODES,
            });
        }
        if l.max_preferred_agents > Limits::MAX_PREFERRED_AGENTS {
            return Err(ConfigError::LimitTooHigh {
                what: Limit::PreferredAgents,
                value: l.max_preferred_agents,
                max: Limits::MAX_PREFERRED_AGENTS,
            });
        }
        if l.max_missed_offers_in_a_row > Limits::MAX_MISSED_OFFERS_IN_A_ROW {
            return Err(ConfigError::LimitTooHigh {
                what: Limit::MissedOffersInARow,
                value: l.max_missed_offers_in_a_row,
                max: Limits::MAX_MISSED_OFFERS_IN_A_ROW,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SpanError;

    #[test]
    fn builder_rejects_nonsense() {
        let zero_agents = Limits { max_agents: 0, ..Limits::default() };
        let cases = [
            (
                EngineConfig::builder().offer_timeout(Duration::ZERO),
                ConfigError::InvalidOfferTimeout { timeout: Duration::ZERO, error: SpanError::Zero },
            ),
            (
                EngineConfig::builder().offer_timeout(Duration::from_nanos(1)),
                ConfigError::InvalidOfferTimeout {
                    timeout: Duration::from_nanos(1),
                    error: SpanError::BelowOneMillisecond,
                },
            ),
            (
                EngineConfig::builder().limits(Limits { max_missed_offers_in_a_row: u32::MAX, ..Limits::default() }),
                ConfigError::LimitTooHigh { what: Limit::MissedOffersInARow, value: u32::MAX, max: 100 },
            ),
            (
                EngineConfig::builder().offer_timeout(Duration::MAX),
                ConfigError::InvalidOfferTimeout { timeout: Duration::MAX, error: SpanError::TooLong },
            ),
            (EngineConfig::builder().limits(zero_agents), ConfigError::ZeroLimit(Limit::Agents)),
            (
                EngineConfig::builder().blend_horizon(Duration::from_micros(10)),
                ConfigError::InvalidBlendHorizon {
                    horizon: Duration::from_micros(10),
                    error: SpanError::BelowOneMillisecond,
                },
            ),
            (
                EngineConfig::builder().blend_horizon(Duration::MAX),
                ConfigError::InvalidBlendHorizon { horizon: Duration::MAX, error: SpanError::TooLong },
            ),
            (
                EngineConfig::builder()
                    .custom_channel(3, ChannelMode::RealTime)
                    .custom_channel(3, ChannelMode::Deferrable),
                ConfigError::DuplicateCustomChannel(3),
            ),
        ];
        for (builder, expected) in cases {
            assert_eq!(builder.build(), Err(expected));
        }
        assert_eq!(EngineConfig::builder().build(), Ok(EngineConfig::default()));
    }

    #[test]
    fn the_largest_limits_are_accepted_and_one_more_is_not() {
        let largest = EngineConfig::builder().limits(Limits::largest()).build();
        assert_eq!(largest.map(|c| c.limits().clone()), Ok(Limits::largest()));
        let mut over = Limits::largest();
        over.max_steps += 1;
        assert!(matches!(
            EngineConfig::builder().limits(over).build(),
            Err(ConfigError::LimitTooHigh { what: Limit::Steps, .. })
        ));
    }

    #[test]
    fn deserialising_checks_what_the_builder_checks() {
        let json = serde_json::to_value(EngineConfig::default()).unwrap();
        let mut zero_timeout = json.clone();
        zero_timeout["offer_timeout"] = serde_json::json!({ "secs": 0, "nanos": 1 });
        let err = serde_json::from_value::<EngineConfig>(zero_timeout).unwrap_err().to_string();
        assert!(err.contains("offer timeout"), "{err}");
        let mut zero_limit = json.clone();
        zero_limit["limits"]["max_agents"] = serde_json::json!(0);
        let err = serde_json::from_value::<EngineConfig>(zero_limit).unwrap_err().to_string();
        assert!(err.contains("agents"), "{err}");
        let mut old = json;
        old["limits"].as_object_mut().unwrap().remove("max_name_bytes");
        assert_eq!(serde_json::from_value::<EngineConfig>(old).unwrap(), EngineConfig::default());
    }
}
