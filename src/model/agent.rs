//! Agents: who they are, what they can do and what they are doing.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::capacity::CapacityProfile;
use super::skill::SkillSet;
use super::vecmap::VecMap;
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
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "AgentForm")]
pub struct Agent {
    pub(crate) config: AgentConfig,
    pub(crate) logged_in: bool,
    pub(crate) paused: Option<ReasonCode>,
    pub(crate) load: super::capacity::Load,
    pub(crate) idle_since: crate::time::Timestamp,
    pub(crate) reported_presence: Presence,
    /// Offers timed out since the last accept, login or resume.
    pub(crate) missed_in_a_row: u32,
    /// What they hold, have been offered and have taken, once they have been offered anything.
    held: HeldBox,
}

/// A handful of ids, kept sorted in a vector: an agent holds a few offers
/// and interactions at most, and a B-tree set took a 100-byte leaf for
/// them (kept once emptied) where this takes their own bytes. The first two
/// are kept inline, in the bytes a vector's pointer and length take anyway,
/// so that the sets an agent changes on every offer sit in their [`Held`]
/// rather than in heap blocks of their own (a cache miss each, per
/// decision, at thousands of agents). Serialised as the sorted list the set
/// was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IdSet<T>(SmallVec<[T; 2]>);

impl<T> Default for IdSet<T> {
    fn default() -> Self {
        IdSet(SmallVec::new_const())
    }
}

impl<T: Ord + Copy> IdSet<T> {
    const fn new() -> Self {
        IdSet(SmallVec::new_const())
    }

    /// Adds `id`; false if it was there.
    pub(crate) fn insert(&mut self, id: T) -> bool {
        match self.0.binary_search(&id) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, id);
                true
            }
        }
    }

    /// Takes `id` out; false if it was not there.
    pub(crate) fn remove(&mut self, id: &T) -> bool {
        match self.0.binary_search(id) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Whether `id` is there.
    pub(crate) fn contains(&self, id: &T) -> bool {
        self.0.binary_search(id).is_ok()
    }

    /// Whether there is none.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many there are.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The ids, in order.
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<'a, T> IntoIterator for &'a IdSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Serialize> Serialize for IdSet<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(&self.0)
    }
}

impl<T: Ord> From<BTreeSet<T>> for IdSet<T> {
    fn from(set: BTreeSet<T>) -> Self {
        IdSet(set.into_iter().collect())
    }
}

/// A per-queue figure of an agent (their last offer, their random pass),
/// one queue inline.
pub(crate) type PerQueue = VecMap<QueueId, u64, 1>;

/// What an agent holds (offers, connected interactions, wrap-ups), since
/// when they talk, their standing in the queues that offered them work, and
/// what they have taken (contacts, talk time). All of it is empty or zero
/// until the agent's first offer, so it is kept apart ([`HeldBox`]): an
/// agent who was never offered anything carries 8 bytes for it instead of
/// about 150.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Held {
    /// Pending offers.
    pub(crate) offers: IdSet<crate::ids::OfferId>,
    /// Connected interactions.
    pub(crate) connected: IdSet<crate::ids::InteractionId>,
    /// Interactions in wrap-up.
    pub(crate) wrap_ups: IdSet<crate::ids::InteractionId>,
    /// Since when the agent has held a connected interaction, if they do.
    pub(crate) talking_since: Option<crate::time::Timestamp>,
    /// Per queue, the id of the last offer it made them (round robin's key).
    pub(crate) last_offer: PerQueue,
    /// Their pass in each queue with a random strategy that has offered them work.
    pub(crate) passes: PerQueue,
    /// Interactions accepted since the agent logged in.
    pub(crate) contacts: u64,
    /// Talk time since login of conversations ended (ms): time holding at
    /// least one connected interaction.
    pub(crate) talk_ms: u64,
}

impl Held {
    const NOTHING: Held = Held {
        offers: IdSet::new(),
        connected: IdSet::new(),
        wrap_ups: IdSet::new(),
        talking_since: None,
        last_offer: VecMap::new(),
        passes: VecMap::new(),
        contacts: 0,
        talk_ms: 0,
    };
}

/// What an agent who was never offered anything holds.
static NOTHING_HELD: Held = Held::NOTHING;

/// An agent's [`Held`], boxed on the first offer and kept from then on
/// (emptied, not freed: agents take work all day, and the box and its
/// vectors are reused). Equal when what they hold is, boxed or not.
#[derive(Clone, Default)]
struct HeldBox(Option<Box<Held>>);

impl HeldBox {
    fn get(&self) -> &Held {
        self.0.as_deref().unwrap_or(&NOTHING_HELD)
    }

    fn get_mut(&mut self) -> &mut Held {
        self.0.get_or_insert_with(Box::default)
    }
}

impl PartialEq for HeldBox {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for HeldBox {}

impl std::fmt::Debug for HeldBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// An agent's serialised form: the fields the agent had before what they
/// hold was boxed, in the same order, so snapshots and their compact form
/// stay byte for byte what they were.
#[derive(Serialize)]
#[serde(rename = "Agent")]
struct AgentRef<'a> {
    config: &'a AgentConfig,
    logged_in: bool,
    paused: Option<ReasonCode>,
    load: &'a super::capacity::Load,
    offers: &'a IdSet<crate::ids::OfferId>,
    connected: &'a IdSet<crate::ids::InteractionId>,
    wrap_ups: &'a IdSet<crate::ids::InteractionId>,
    idle_since: crate::time::Timestamp,
    contacts: u64,
    last_offer: &'a PerQueue,
    reported_presence: Presence,
    missed_in_a_row: u32,
    talk_ms: u64,
    talking_since: Option<crate::time::Timestamp>,
    passes: &'a PerQueue,
}

impl Serialize for Agent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let held = self.held.get();
        AgentRef {
            config: &self.config,
            logged_in: self.logged_in,
            paused: self.paused,
            load: &self.load,
            offers: &held.offers,
            connected: &held.connected,
            wrap_ups: &held.wrap_ups,
            idle_since: self.idle_since,
            contacts: held.contacts,
            last_offer: &held.last_offer,
            reported_presence: self.reported_presence,
            missed_in_a_row: self.missed_in_a_row,
            talk_ms: held.talk_ms,
            talking_since: held.talking_since,
            passes: &held.passes,
        }
        .serialize(s)
    }
}

/// An agent as read: [`AgentRef`]'s fields, owned, with the defaults of
/// fields added since the first format.
#[derive(Deserialize)]
#[serde(rename = "Agent")]
struct AgentForm {
    config: AgentConfig,
    logged_in: bool,
    paused: Option<ReasonCode>,
    load: super::capacity::Load,
    offers: BTreeSet<crate::ids::OfferId>,
    connected: BTreeSet<crate::ids::InteractionId>,
    wrap_ups: BTreeSet<crate::ids::InteractionId>,
    idle_since: crate::time::Timestamp,
    contacts: u64,
    last_offer: PerQueue,
    reported_presence: Presence,
    #[serde(default)]
    missed_in_a_row: u32,
    #[serde(default)]
    talk_ms: u64,
    #[serde(default)]
    talking_since: Option<crate::time::Timestamp>,
    #[serde(default)]
    passes: PerQueue,
}

impl From<AgentForm> for Agent {
    fn from(a: AgentForm) -> Self {
        let held = Held {
            offers: a.offers.into(),
            connected: a.connected.into(),
            wrap_ups: a.wrap_ups.into(),
            talking_since: a.talking_since,
            last_offer: a.last_offer,
            passes: a.passes,
            contacts: a.contacts,
            talk_ms: a.talk_ms,
        };
        Agent {
            config: a.config,
            logged_in: a.logged_in,
            paused: a.paused,
            load: a.load,
            idle_since: a.idle_since,
            reported_presence: a.reported_presence,
            missed_in_a_row: a.missed_in_a_row,
            held: HeldBox((held != Held::NOTHING).then(|| Box::new(held))),
        }
    }
}

impl Agent {
    pub(crate) fn new(config: AgentConfig, now: crate::time::Timestamp) -> Self {
        Agent {
            config,
            logged_in: false,
            paused: None,
            load: super::capacity::Load::default(),
            idle_since: now,
            reported_presence: Presence::Offline,
            missed_in_a_row: 0,
            held: HeldBox::default(),
        }
    }

    /// What they hold and have been offered.
    pub(crate) fn held(&self) -> &Held {
        self.held.get()
    }

    /// What they hold and have been offered, to change (boxed from the first change on).
    pub(crate) fn held_mut(&mut self) -> &mut Held {
        self.held.get_mut()
    }

    /// Zeroes what they have taken since login (contacts, talk time), boxing nothing.
    pub(crate) fn reset_taken(&mut self) {
        if let Some(held) = self.held.0.as_deref_mut() {
            held.contacts = 0;
            held.talk_ms = 0;
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
        } else if !self.held().offers.is_empty() || !self.held().connected.is_empty() {
            Presence::Busy
        } else if !self.held().wrap_ups.is_empty() {
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
        self.held().offers.iter().copied()
    }

    /// Connected interactions.
    pub fn connected(&self) -> impl Iterator<Item = crate::ids::InteractionId> + '_ {
        self.held().connected.iter().copied()
    }

    /// Interactions in wrap-up.
    pub fn wrap_ups(&self) -> impl Iterator<Item = crate::ids::InteractionId> + '_ {
        self.held().wrap_ups.iter().copied()
    }

    /// Their pass in a queue with a random strategy
    /// ([`AgentSelection::Random`](crate::AgentSelection::Random)): 0 until offered work from it.
    pub fn pass(&self, queue: QueueId) -> u64 {
        self.held().passes.get(&queue).copied().unwrap_or(0)
    }

    /// Talk time since login: the time they held at least one connected
    /// interaction, counted once their last conversation ended (what
    /// [`AgentSelection::LeastTalkTime`](crate::AgentSelection::LeastTalkTime) ranks by).
    pub fn talk_time(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.held().talk_ms)
    }

    /// Keeps the talk time: a conversation starts when the first connected
    /// interaction arrives, and is counted when the last one leaves.
    pub(crate) fn note_talk(&mut self, now: crate::time::Timestamp) {
        let held = self.held();
        match (held.connected.is_empty(), held.talking_since) {
            (false, None) => self.held_mut().talking_since = Some(now),
            (true, Some(since)) => {
                let ms = u64::try_from(now.millis_since(since)).unwrap_or(0);
                let held = self.held_mut();
                held.talk_ms = held.talk_ms.saturating_add(ms);
                held.talking_since = None;
            }
            _ => {}
        }
    }

    /// When the agent last became free of all work, or ready.
    pub fn idle_since(&self) -> crate::time::Timestamp {
        self.idle_since
    }

    /// Interactions accepted since the agent last logged in (zero before
    /// their first login): what
    /// [`AgentSelection::FewestContacts`](crate::AgentSelection::FewestContacts) ranks by.
    pub fn contacts(&self) -> u64 {
        self.held().contacts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{InteractionId, OfferId};
    use crate::model::channel::Channel;
    use crate::time::Timestamp;

    /// An agent's fields as they were declared before what they hold was
    /// boxed, serialised by derive as they were.
    #[derive(Serialize)]
    struct Before {
        config: AgentConfig,
        logged_in: bool,
        paused: Option<ReasonCode>,
        load: crate::model::capacity::Load,
        offers: BTreeSet<OfferId>,
        connected: BTreeSet<InteractionId>,
        wrap_ups: BTreeSet<InteractionId>,
        idle_since: Timestamp,
        contacts: u64,
        last_offer: PerQueue,
        reported_presence: Presence,
        missed_in_a_row: u32,
        talk_ms: u64,
        talking_since: Option<Timestamp>,
        passes: PerQueue,
    }

    fn before(a: &Agent) -> Before {
        let held = a.held();
        Before {
            config: a.config.clone(),
            logged_in: a.logged_in,
            paused: a.paused,
            load: a.load.clone(),
            offers: held.offers.iter().copied().collect(),
            connected: held.connected.iter().copied().collect(),
            wrap_ups: held.wrap_ups.iter().copied().collect(),
            idle_since: a.idle_since,
            contacts: held.contacts,
            last_offer: held.last_offer.clone(),
            reported_presence: a.reported_presence,
            missed_in_a_row: a.missed_in_a_row,
            talk_ms: held.talk_ms,
            talking_since: held.talking_since,
            passes: held.passes.clone(),
        }
    }

    #[test]
    fn serialised_as_before_and_equal_whether_boxed_or_not() {
        let config = AgentConfig::new(AgentId(4), CapacityProfile::single(Channel::Chat, 3))
            .with_queue(QueueMembership::new(QueueId(2)));
        let fresh = Agent::new(config, Timestamp::from_secs(10));
        let mut busy = fresh.clone();
        {
            let held = busy.held_mut();
            for o in [9, 3, 5] {
                held.offers.insert(OfferId(o));
            }
            held.connected.insert(InteractionId(7));
            held.wrap_ups.insert(InteractionId(2));
            held.talking_since = Some(Timestamp::from_secs(11));
            held.last_offer.insert(QueueId(2), 9);
            held.passes.insert(QueueId(2), 1 << 20);
            held.contacts = 4;
            held.talk_ms = 90_000;
        }
        busy.paused = Some(ReasonCode(3));
        for agent in [&fresh, &busy] {
            let json = serde_json::to_string(agent).unwrap();
            assert_eq!(json, serde_json::to_string(&before(agent)).unwrap());
            #[cfg(feature = "compact")]
            assert_eq!(postcard::to_allocvec(agent).unwrap(), postcard::to_allocvec(&before(agent)).unwrap());
            assert_eq!(&serde_json::from_str::<Agent>(&json).unwrap(), agent, "{json}");
        }
        assert_eq!(busy.offers().collect::<Vec<_>>(), [OfferId(3), OfferId(5), OfferId(9)]);
        assert_ne!(busy, fresh);
        // Emptied, the box stays but the agent is the one who never held anything.
        let mut emptied = fresh.clone();
        emptied.held_mut().offers.insert(OfferId(1));
        assert!(emptied.held_mut().offers.remove(&OfferId(1)));
        assert!(emptied.held.0.is_some());
        assert_eq!(emptied, fresh);
        let read: Agent = serde_json::from_str(&serde_json::to_string(&emptied).unwrap()).unwrap();
        assert!(read.held.0.is_none(), "nothing held is read back unboxed");
    }
}
