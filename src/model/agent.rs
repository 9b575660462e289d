//! Agents: who they are, what they can do and what they are doing.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::capacity::CapacityProfile;
use super::skill::SkillSet;
use crate::ids::{AgentId, QueueId, ReasonCode};

/// An agent's presence, as a wallboard shows it.
///
/// `Busy` means the agent holds at least one offer or live interaction; a
/// multitasking agent who is `Busy` may still have room for more work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Logged out; receives no offers.
    #[serde(alias = "Offline")]
    Offline,
    /// Logged in, not paused and holding no work.
    #[serde(alias = "Available")]
    Available,
    /// Logged in and holding at least one offer or live interaction.
    #[serde(alias = "Busy")]
    Busy,
    /// Logged in and holding only after-contact work.
    #[serde(alias = "WrapUp")]
    WrapUp,
    /// Logged in but not ready, for a reason (break, lunch, missed offer, …).
    #[serde(alias = "Paused")]
    Paused(ReasonCode),
}

/// One queue an agent serves, as in a routing profile.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{QueueId, QueueMembership};
///
/// // A backup agent: sees the sales queue at low priority, and only after 30 s of waiting.
/// let m = QueueMembership::new(QueueId(1)).with_priority(1).with_delay(Duration::from_secs(30));
/// assert_eq!(m.priority, Some(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueMembership {
    /// The queue.
    pub queue: QueueId,
    /// How this agent ranks the queue against their other queues (higher
    /// first); `None` uses the queue's own priority.
    pub priority: Option<i32>,
    /// How long an interaction must have waited in the queue before this agent sees it.
    #[serde(with = "crate::serde_forms::millis")]
    pub delay: Duration,
    /// The agent's place in the queue's fixed order, for
    /// [`AgentSelection::Linear`](crate::AgentSelection::Linear): the lowest first
    /// (then the lowest agent id). 0 by default.
    #[serde(default)]
    pub position: u32,
    /// The agent's weight for [`AgentSelection::WeightedRandom`](crate::AgentSelection::WeightedRandom):
    /// their share of offers grows in proportion to it. 1 to [`QueueMembership::MAX_WEIGHT`]; 1 by default.
    #[serde(default = "one")]
    pub weight: u32,
}

fn one() -> u32 {
    1
}

impl QueueMembership {
    /// Membership at the queue's own priority, with no delay.
    pub fn new(queue: QueueId) -> Self {
        QueueMembership { queue, priority: None, delay: Duration::ZERO, position: 0, weight: 1 }
    }

    /// Sets this agent's priority for the queue.
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = Some(priority);
        self
    }

    /// Sets the delay before this agent sees the queue's interactions.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The highest [`QueueMembership::weight`]: strides are divided by it, and stay at least 1.
    pub const MAX_WEIGHT: u32 = 10_000;

    /// Sets the agent's weight for weighted random selection ([`QueueMembership::weight`]).
    pub fn with_weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Sets the agent's place in the queue's fixed order ([`QueueMembership::position`]).
    pub fn with_position(mut self, position: u32) -> Self {
        self.position = position;
        self
    }
}

/// An agent's static description, given when the agent is added.
///
/// # Example
/// ```
/// use switchboard::{AgentConfig, AgentId, CapacityProfile, Channel, Proficiency, QueueId, QueueMembership, SkillId, SkillSet};
///
/// let agent = AgentConfig::new(AgentId(7), CapacityProfile::single(Channel::Chat, 3))
///     .with_skills(SkillSet::from_pairs([(SkillId(1), Proficiency::new(4).unwrap())]))
///     .with_queue(QueueMembership::new(QueueId(1)));
/// assert_eq!(agent.queues.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgentConfig {
    /// The agent's id, chosen by the host.
    pub id: AgentId,
    /// Skills and levels.
    pub skills: SkillSet,
    /// Capacity per channel.
    pub capacity: CapacityProfile,
    /// Queues served, with this agent's priority and delay for each.
    pub queues: Vec<QueueMembership>,
    /// Attributes (team, site, language, tenure) that eligibility
    /// expressions compare; each declared with
    /// [`Command::AddAgentAttribute`](crate::Command::AddAgentAttribute).
    #[serde(default)]
    pub attributes: super::expression::AgentAttributes,
    /// The agent's own wrap-up, replacing the mode and limit of every queue
    /// they serve ([`WrapUpRule`](crate::WrapUpRule)); `None` (the default): the queues'.
    #[serde(default)]
    pub wrap_up: Option<super::wrap_up::WrapUpRule>,
}

impl AgentConfig {
    /// An agent with a capacity profile and no skills or queues yet.
    pub fn new(id: AgentId, capacity: CapacityProfile) -> Self {
        AgentConfig {
            id,
            skills: SkillSet::default(),
            capacity,
            queues: Vec::new(),
            attributes: super::expression::AgentAttributes::default(),
            wrap_up: None,
        }
    }

    /// Sets the agent's own wrap-up (see [`AgentConfig::wrap_up`]).
    pub fn with_wrap_up(mut self, rule: super::wrap_up::WrapUpRule) -> Self {
        self.wrap_up = Some(rule);
        self
    }

    /// Sets the skills.
    pub fn with_skills(mut self, skills: SkillSet) -> Self {
        self.skills = skills;
        self
    }

    /// Sets the attributes.
    pub fn with_attributes(mut self, attributes: super::expression::AgentAttributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// Adds a queue membership.
    pub fn with_queue(mut self, membership: QueueMembership) -> Self {
        self.queues.push(membership);
        self
    }
}

/// A live agent, as the engine holds it.
///
/// # Example
/// ```
/// # use switchboard::*;
/// # let mut engine = Engine::new(EngineConfig::default());
/// # let t = Timestamp::from_secs(0);
/// engine.handle(Command::AddAgent(AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Chat, 3))), t).unwrap();
/// engine.handle(Command::Login { agent: AgentId(1) }, t).unwrap();
/// let agent = engine.agent(AgentId(1)).unwrap();
/// assert_eq!(agent.presence(), Presence::Available);
/// assert_eq!(agent.load().items(), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub(crate) config: AgentConfig,
    pub(crate) logged_in: bool,
    pub(crate) paused: Option<ReasonCode>,
    pub(crate) load: super::capacity::Load,
    pub(crate) offers: std::collections::BTreeSet<crate::ids::OfferId>,
    pub(crate) connected: std::collections::BTreeSet<crate::ids::InteractionId>,
    pub(crate) wrap_ups: std::collections::BTreeSet<crate::ids::InteractionId>,
    pub(crate) idle_since: crate::time::Timestamp,
    pub(crate) contacts: u64,
    pub(crate) last_offer: super::vecmap::VecMap<QueueId, u64>,
    pub(crate) reported_presence: Presence,
    /// Offers timed out since the last accept, login or resume.
    #[serde(default)]
    pub(crate) missed_in_a_row: u32,
    /// Talk time since login of conversations ended (ms): time holding at
    /// least one connected interaction.
    #[serde(default)]
    pub(crate) talk_ms: u64,
    /// Since when the agent has held a connected interaction, if they do.
    #[serde(default)]
    pub(crate) talking_since: Option<crate::time::Timestamp>,
    /// Their pass in each queue with a random strategy that has offered them work.
    #[serde(default)]
    pub(crate) passes: super::vecmap::VecMap<QueueId, u64>,
}

impl Agent {
    pub(crate) fn new(config: AgentConfig, now: crate::time::Timestamp) -> Self {
        Agent {
            config,
            logged_in: false,
            paused: None,
            load: super::capacity::Load::default(),
            offers: Default::default(),
            connected: Default::default(),
            wrap_ups: Default::default(),
            idle_since: now,
            contacts: 0,
            last_offer: Default::default(),
            reported_presence: Presence::Offline,
            missed_in_a_row: 0,
            talk_ms: 0,
            talking_since: None,
            passes: Default::default(),
        }
    }

    /// Offers the agent let time out since their last accept, login or
    /// resume; at [`Limits::max_missed_offers_in_a_row`](crate::Limits::max_missed_offers_in_a_row)
    /// the engine pauses them.
    pub fn missed_offers_in_a_row(&self) -> u32 {
        self.missed_in_a_row
    }

    /// The id.
    pub fn id(&self) -> AgentId {
        self.config.id
    }

    /// The agent's configuration: skills, capacity and queues.
    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    /// The presence, derived from login, pause and the work held.
    pub fn presence(&self) -> Presence {
        if !self.logged_in {
            Presence::Offline
        } else if let Some(reason) = self.paused {
            Presence::Paused(reason)
        } else if !self.offers.is_empty() || !self.connected.is_empty() {
            Presence::Busy
        } else if !self.wrap_ups.is_empty() {
            Presence::WrapUp
        } else {
            Presence::Available
        }
    }

    /// True when the agent may receive new offers (logged in and not paused).
    pub fn is_routable(&self) -> bool {
        self.logged_in && self.paused.is_none()
    }

    /// The work held against capacity (offers, connected interactions and wrap-ups).
    pub fn load(&self) -> &super::capacity::Load {
        &self.load
    }

    /// Pending offers.
    pub fn offers(&self) -> impl Iterator<Item = crate::ids::OfferId> + '_ {
        self.offers.iter().copied()
    }

    /// Connected interactions.
    pub fn connected(&self) -> impl Iterator<Item = crate::ids::InteractionId> + '_ {
        self.connected.iter().copied()
    }

    /// Interactions in wrap-up.
    pub fn wrap_ups(&self) -> impl Iterator<Item = crate::ids::InteractionId> + '_ {
        self.wrap_ups.iter().copied()
    }

    /// Their pass in a queue with a random strategy
    /// ([`AgentSelection::Random`](crate::AgentSelection::Random)): 0 until offered work from it.
    pub fn pass(&self, queue: QueueId) -> u64 {
        self.passes.get(&queue).copied().unwrap_or(0)
    }

    /// Talk time since login: the time they held at least one connected
    /// interaction, counted once their last conversation ended (what
    /// [`AgentSelection::LeastTalkTime`](crate::AgentSelection::LeastTalkTime) ranks by).
    pub fn talk_time(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.talk_ms)
    }

    /// Keeps the talk time: a conversation starts when the first connected
    /// interaction arrives, and is counted when the last one leaves.
    pub(crate) fn note_talk(&mut self, now: crate::time::Timestamp) {
        match (self.connected.is_empty(), self.talking_since) {
            (false, None) => self.talking_since = Some(now),
            (true, Some(since)) => {
                let ms = u64::try_from(now.millis_since(since)).unwrap_or(0);
                self.talk_ms = self.talk_ms.saturating_add(ms);
                self.talking_since = None;
            }
            _ => {}
        }
    }

    /// When the agent last became free of all work, or ready.
    pub fn idle_since(&self) -> crate::time::Timestamp {
        self.idle_since
    }

    /// Interactions accepted since the agent was added.
    pub fn contacts(&self) -> u64 {
        self.contacts
    }
}
