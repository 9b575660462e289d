//! The checker: a shadow model fed by the commands the engine accepted and the events it
//! emitted, compared with the engine after every driver call.
//!
//! The shadow is written from the documented contract, not from the engine's code, so that it
//! is a second opinion: every interaction arrives once and ends once, offers go only to
//! logged-in, ready members of the queue who hold the skills and have room, after their delay,
//! and never back to a decliner when the engine is told so; no agent holds more than their
//! capacity; totals add up; time in events never runs backwards.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use switchboard::*;

/// An agent as the shadow knows them.
#[derive(Clone, Debug)]
struct ShadowAgent {
    skills: SkillSet,
    queues: Vec<QueueMembership>,
    capacity: CapacityProfile,
    presence: Presence,
}

/// A live interaction as the shadow knows it.
#[derive(Clone, Debug)]
struct ShadowInteraction {
    queue: QueueId,
    channel: Channel,
    own: Requirements,
    requirements: Requirements,
    declined: BTreeSet<AgentId>,
    offer: Option<OfferId>,
    agent: Option<AgentId>,
}

/// A change to an agent's configuration that an accepted command announced; applied when its
/// event (`AgentAdded` or `AgentUpdated`) comes by, so that offers made before it in the same
/// call are judged against the configuration they were made under.
#[derive(Clone, Debug)]
enum AgentChange {
    Added(AgentConfig),
    Skills(SkillSet),
    Queues(Vec<QueueMembership>),
}

/// What the accepted commands of one driver call announce, in order.
#[derive(Debug, Default)]
pub struct Expect {
    agents: BTreeMap<AgentId, VecDeque<AgentChange>>,
    arrivals: BTreeMap<InteractionId, VecDeque<Requirements>>,
    queues: BTreeMap<QueueId, VecDeque<QueueConfig>>,
}

impl Expect {
    /// Records an accepted command.
    pub fn accepted(&mut self, command: &Command) {
        match command {
            Command::AddAgent(config) => {
                self.agents.entry(config.id).or_default().push_back(AgentChange::Added(config.clone()));
            }
            Command::SetAgentSkills { agent, skills } => {
                self.agents.entry(*agent).or_default().push_back(AgentChange::Skills(skills.clone()));
            }
            Command::SetAgentQueues { agent, queues } => {
                self.agents.entry(*agent).or_default().push_back(AgentChange::Queues(queues.clone()));
            }
            Command::Arrive(new) => {
                self.arrivals.entry(new.id).or_default().push_back(new.requirements.clone());
            }
            Command::AddQueue(q) => self.queues.entry(q.id).or_default().push_back(q.clone()),
            _ => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.agents.values().all(VecDeque::is_empty)
            && self.arrivals.values().all(VecDeque::is_empty)
            && self.queues.values().all(VecDeque::is_empty)
    }
}

/// Counts of outcomes, as the events tell them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub arrived: u64,
    pub handled: u64,
    pub abandoned: u64,
    pub cancelled: u64,
    pub declined: u64,
    pub expired: u64,
    pub offers: u64,
    pub events: u64,
}

/// The shadow model. Cloned to roll back to a point before a torn write.
#[derive(Clone, Debug)]
pub struct Shadow {
    never_reoffer: bool,
    /// Whether offers may expire the moment they are made (`ZeroOfferTimeout`).
    zero_timeouts: bool,
    /// Whether blending is checked strictly (`StaleBlendBlock`): see `check_work_conserved`.
    strict_blending: bool,
    queues: BTreeMap<QueueId, QueueConfig>,
    agents: BTreeMap<AgentId, ShadowAgent>,
    live: BTreeMap<InteractionId, ShadowInteraction>,
    offers: BTreeMap<OfferId, (InteractionId, AgentId)>,
    last_offer: u64,
    last_at: Option<Timestamp>,
    pub tally: Tally,
    /// FNV-1a over the JSON of every event, in order: the run's fingerprint.
    pub hash: u64,
}

pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

pub fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash = (hash ^ u64::from(*b)).wrapping_mul(FNV_PRIME);
    }
    hash
}

/// Folds events into a running hash, as the shadow does.
pub fn hash_events<'a>(mut hash: u64, events: impl IntoIterator<Item = &'a Event>) -> u64 {
    for e in events {
        hash = fnv(hash, &serde_json::to_vec(e).expect("events serialise"));
    }
    hash
}

impl Shadow {
    pub fn new(config: &EngineConfig, zero_timeouts: bool, strict_blending: bool) -> Self {
        Shadow {
            never_reoffer: config.never_reoffer_to_decliners(),
            zero_timeouts,
            strict_blending,
            queues: BTreeMap::new(),
            agents: BTreeMap::new(),
            live: BTreeMap::new(),
            offers: BTreeMap::new(),
            last_offer: 0,
            last_at: None,
            tally: Tally::default(),
            hash: FNV_OFFSET,
        }
    }

    /// Feeds the events of one driver call, whose accepted commands announced `expect`.
    ///
    /// # Errors
    /// What the events got wrong.
    pub fn feed(&mut self, events: &[Event], mut expect: Expect) -> Result<(), String> {
        for (n, event) in events.iter().enumerate() {
            self.event(event, &mut expect).map_err(|e| format!("event {n} of the call ({event:?}): {e}"))?;
        }
        self.hash = hash_events(self.hash, events);
        if !expect.is_empty() {
            return Err(format!("accepted commands announced changes no event reported: {expect:?}"));
        }
        Ok(())
    }

    fn event(&mut self, event: &Event, expect: &mut Expect) -> Result<(), String> {
        self.tally.events += 1;
        if self.last_at.is_some_and(|last| event.at < last) {
            return Err(format!("time ran backwards: after {:?}", self.last_at));
        }
        self.last_at = Some(event.at);
        match &event.kind {
            EventKind::QueueAdded { queue } => {
                let config =
                    expect.queues.get_mut(queue).and_then(VecDeque::pop_front).ok_or("no AddQueue accepted")?;
                if self.queues.insert(*queue, config).is_some() {
                    return Err("queue added twice".into());
                }
            }
            EventKind::AgentAdded { agent } => match pop(expect, *agent)? {
                AgentChange::Added(config) => {
                    let a = ShadowAgent {
                        skills: config.skills,
                        queues: config.queues,
                        capacity: config.capacity,
                        presence: Presence::Offline,
                    };
                    if self.agents.insert(*agent, a).is_some() {
                        return Err("agent added twice".into());
                    }
                }
                other => return Err(format!("expected {other:?}")),
            },
            EventKind::AgentUpdated { agent } => {
                let change = pop(expect, *agent)?;
                let a = self.agents.get_mut(agent).ok_or("unknown agent")?;
                match change {
                    AgentChange::Skills(s) => a.skills = s,
                    AgentChange::Queues(q) => a.queues = q,
                    AgentChange::Added(_) => return Err("expected AgentAdded".into()),
                }
            }
            EventKind::AgentRemoved { agent } => {
                let a = self.agents.remove(agent).ok_or("unknown agent")?;
                if a.presence != Presence::Offline {
                    return Err(format!("removed while {:?}", a.presence));
                }
            }
            EventKind::AgentPresenceChanged { agent, previous, presence } => {
                let a = self.agents.get_mut(agent).ok_or("unknown agent")?;
                if a.presence != *previous || previous == presence {
                    return Err(format!("shadow presence {:?}", a.presence));
                }
                a.presence = *presence;
            }
            EventKind::InteractionArrived { interaction, channel, queue, .. } => {
                if self.live.contains_key(interaction) {
                    return Err("arrived while live".into());
                }
                let own =
                    expect.arrivals.get_mut(interaction).and_then(VecDeque::pop_front).ok_or("no Arrive accepted")?;
                let q = self.queues.get(queue).ok_or("unknown queue")?;
                if !q.channels.contains(channel) {
                    return Err("the queue does not take the channel".into());
                }
                let requirements = q.requirements.union(&own);
                let i = ShadowInteraction {
                    queue: *queue,
                    channel: *channel,
                    own,
                    requirements,
                    declined: BTreeSet::new(),
                    offer: None,
                    agent: None,
                };
                self.live.insert(*interaction, i);
                self.tally.arrived += 1;
            }
            EventKind::InteractionQueued { interaction, queue, .. } => {
                let i = self.live.get(interaction).ok_or("not live")?;
                if i.queue != *queue || i.offer.is_some() || i.agent.is_some() {
                    return Err(format!("queued from state {i:?}"));
                }
            }
            EventKind::InteractionOffered(offer) => self.offered(offer, event.at)?,
            EventKind::OfferAccepted { offer, interaction, agent } => {
                let i = self.resolve(*offer, *interaction, *agent)?;
                i.agent = Some(*agent);
            }
            EventKind::OfferRejected { offer, interaction, agent }
            | EventKind::OfferTimedOut { offer, interaction, agent } => {
                let i = self.resolve(*offer, *interaction, *agent)?;
                i.declined.insert(*agent);
            }
            EventKind::OfferWithdrawn { offer, interaction, agent, .. } => {
                self.resolve(*offer, *interaction, *agent)?;
            }
            EventKind::InteractionCompleted { interaction, agent }
            | EventKind::WrapUpStarted { interaction, agent, .. }
            | EventKind::WrapUpEnded { interaction, agent }
            | EventKind::Disposition { interaction, agent, .. } => {
                let i = self.live.get(interaction).ok_or("not live")?;
                if i.agent != Some(*agent) {
                    return Err(format!("held by {:?}", i.agent));
                }
            }
            EventKind::InteractionTransferred { interaction, from, to } => {
                let to_reqs = self.queues.get(to).ok_or("unknown target queue")?.requirements.clone();
                let i = self.live.get_mut(interaction).ok_or("not live")?;
                if i.queue != *from || i.offer.is_some() {
                    return Err(format!("transferred from state {i:?}"));
                }
                i.queue = *to;
                i.requirements = to_reqs.union(&i.own);
                i.agent = None;
            }
            EventKind::InteractionEnded { interaction, queue, channel, outcome } => {
                let i = self.live.remove(interaction).ok_or("ended twice, or never arrived")?;
                if i.queue != *queue || i.channel != *channel || i.offer.is_some() {
                    return Err(format!("ended from state {i:?}"));
                }
                match outcome {
                    Outcome::Handled { agent } if i.agent == Some(*agent) => self.tally.handled += 1,
                    Outcome::Handled { .. } => return Err(format!("handled, but held by {:?}", i.agent)),
                    Outcome::Abandoned { .. } if i.agent.is_none() => self.tally.abandoned += 1,
                    Outcome::Cancelled if i.agent.is_none() => self.tally.cancelled += 1,
                    Outcome::Declined if i.agent.is_none() => self.tally.declined += 1,
                    Outcome::Expired if i.agent.is_none() => self.tally.expired += 1,
                    _ => return Err(format!("{outcome:?} while connected to {:?}", i.agent)),
                }
            }
            EventKind::DeclinedByAll { interaction, queue, decliners, fallback } => {
                self.declined_by_all(*interaction, *queue, *decliners, *fallback)?;
            }
            other => return Err(format!("an event kind the checker does not know: {other:?}")),
        }
        Ok(())
    }

    /// `DeclinedByAll`: only when declined work is never re-offered, for an interaction just
    /// declined (no offer, no agent), and true: every logged-in member of the queue who works
    /// the channel and holds the skills declined it, and `decliners` of them did (at least one).
    /// The fallback is the queue's rule, or `Wait` when an overflow could not be made.
    fn declined_by_all(
        &self,
        interaction: InteractionId,
        queue: QueueId,
        decliners: u32,
        fallback: AllDeclined,
    ) -> Result<(), String> {
        if !self.never_reoffer {
            return Err("declined by all, though declined work may be offered again".into());
        }
        let i = self.live.get(&interaction).ok_or("not live")?;
        if i.queue != queue || i.offer.is_some() || i.agent.is_some() {
            return Err(format!("declined by all from state {i:?}"));
        }
        let qualified: Vec<AgentId> = self
            .agents
            .iter()
            .filter(|(_, a)| {
                a.presence != Presence::Offline
                    && a.queues.iter().any(|m| m.queue == queue)
                    && a.capacity.channel(i.channel).is_some()
                    && a.skills.satisfies(&i.requirements)
            })
            .map(|(id, _)| *id)
            .collect();
        if qualified.is_empty() || qualified.iter().any(|a| !i.declined.contains(a)) {
            return Err(format!("qualified agents {qualified:?}, declined {:?}", i.declined));
        }
        if decliners as usize != qualified.len() {
            return Err(format!("{decliners} decliners, but {} qualified agents declined", qualified.len()));
        }
        let rule = self.queues.get(&queue).ok_or("unknown queue")?.all_declined;
        if fallback != rule && !(matches!(rule, AllDeclined::Overflow(_)) && fallback == AllDeclined::Wait) {
            return Err(format!("fallback {fallback:?} but the queue says {rule:?}"));
        }
        Ok(())
    }

    /// An offer: to a ready member of the queue, qualified, after their delay, with the channel
    /// in their capacity, and never to a decliner when declined work is not re-offered.
    fn offered(&mut self, offer: &Offer, at: Timestamp) -> Result<(), String> {
        if offer.id.0 <= self.last_offer {
            return Err(format!("offer ids went from o{} to {}", self.last_offer, offer.id));
        }
        self.last_offer = offer.id.0;
        self.tally.offers += 1;
        let i = self.live.get_mut(&offer.interaction).ok_or("not live")?;
        if i.offer.is_some() || i.agent.is_some() || i.queue != offer.queue || i.channel != offer.channel {
            return Err(format!("offered from state {i:?}"));
        }
        let a = self.agents.get(&offer.agent).ok_or("unknown agent")?;
        if matches!(a.presence, Presence::Offline | Presence::Paused(_)) {
            return Err(format!("offered to an agent who is {:?}", a.presence));
        }
        let m = a.queues.iter().find(|m| m.queue == offer.queue).ok_or("offered to a non-member")?;
        if offer.explanation.waited.as_millis() < m.delay.as_millis() {
            return Err(format!(
                "offered after {:?}, before the member's delay of {:?}",
                offer.explanation.waited, m.delay
            ));
        }
        if a.capacity.channel(offer.channel).is_none() {
            return Err("offered on a channel the agent does not work".into());
        }
        if !a.skills.satisfies(&i.requirements) {
            return Err(format!("agent skills {:?} do not meet {:?}", a.skills, i.requirements));
        }
        if self.never_reoffer && i.declined.contains(&offer.agent) {
            return Err("offered again to an agent who declined it".into());
        }
        if offer.expires_at < at || (offer.expires_at == at && !self.zero_timeouts) {
            return Err(format!("expires at {} before it was made", offer.expires_at));
        }
        i.offer = Some(offer.id);
        self.offers.insert(offer.id, (offer.interaction, offer.agent));
        Ok(())
    }

    /// An offer answered, timed out or withdrawn: it must be pending, for this interaction and agent.
    fn resolve(
        &mut self,
        offer: OfferId,
        interaction: InteractionId,
        agent: AgentId,
    ) -> Result<&mut ShadowInteraction, String> {
        if self.offers.remove(&offer) != Some((interaction, agent)) {
            return Err(format!("{offer} is not pending for {interaction} and {agent}"));
        }
        let i = self.live.get_mut(&interaction).ok_or("not live")?;
        if i.offer != Some(offer) {
            return Err(format!("{interaction} holds offer {:?}", i.offer));
        }
        i.offer = None;
        Ok(i)
    }

    /// Compares the engine with the shadow, and checks what the engine promises of its state.
    ///
    /// # Errors
    /// The first difference or broken promise.
    pub fn check(&self, engine: &Engine) -> Result<(), String> {
        engine.check_invariants().map_err(|v| v.to_string())?;
        let t = engine.totals();
        let tally = &self.tally;
        if (t.arrived, t.handled, t.abandoned, t.cancelled, t.declined, t.expired)
            != (tally.arrived, tally.handled, tally.abandoned, tally.cancelled, tally.declined, tally.expired)
        {
            return Err(format!("totals {t:?} but the events count {tally:?}"));
        }
        let live = engine.interactions().count() as u64;
        if t.arrived != live + t.ended() {
            return Err(format!("arrived {} != live {live} + ended {}", t.arrived, t.ended()));
        }
        if let (Some(now), Some(last)) = (engine.now(), self.last_at) {
            if last > now {
                return Err(format!("an event at {last} is later than the engine's time {now}"));
            }
        }
        self.check_interactions(engine)?;
        self.check_agents(engine)?;
        self.check_work_conserved(engine)
    }

    /// Work conservation, by scanning every waiting interaction against every agent (the
    /// reference the engine's indexes must agree with): nothing waits while a ready member of
    /// its queue, past their delay, qualified, not a decliner (when decliners are never offered
    /// it again) and with room could take it, except deferrable work held back for an agent
    /// who has real-time work they qualify for waiting in their queues (blending). Unless
    /// blending is checked strictly, work the agent declined counts as blocking them too (known
    /// bug (h): the engine un-blocks agents only when real-time work leaves a list).
    fn check_work_conserved(&self, engine: &Engine) -> Result<(), String> {
        let Some(now) = engine.now() else { return Ok(()) };
        let config = engine.config();
        let realtime = |c: Channel| config.channel_mode(c) == Some(ChannelMode::RealTime);
        let declined = |i: &Interaction, a: AgentId| self.never_reoffer && i.declined_by().contains(&a);
        let queued: Vec<&Interaction> =
            engine.interactions().filter(|i| i.state() == InteractionState::Queued).collect();
        for a in
            engine.agents().filter(|a| matches!(a.presence(), Presence::Available | Presence::Busy | Presence::WrapUp))
        {
            let c = a.config();
            let mut held: Vec<Channel> = a.offers().filter_map(|o| engine.offer(o).map(|p| p.channel)).collect();
            held.extend(a.connected().chain(a.wrap_ups()).filter_map(|i| engine.interaction(i).map(|i| i.channel())));
            let qualified = |i: &Interaction| {
                c.queues.iter().any(|m| m.queue == i.queue())
                    && c.capacity.channel(i.channel()).is_some()
                    && c.skills.satisfies(i.requirements())
                    && !declined(i, a.id())
            };
            let blocks = |i: &Interaction| {
                c.queues.iter().any(|m| m.queue == i.queue())
                    && c.capacity.channel(i.channel()).is_some()
                    && c.skills.satisfies(i.requirements())
                    && (!self.strict_blending || !declined(i, a.id()))
            };
            let blocked = queued.iter().any(|i| realtime(i.channel()) && blocks(i));
            for i in &queued {
                let Some(m) = c.queues.iter().find(|m| m.queue == i.queue()) else { continue };
                let waited = i128::from(now.millis_since(i.queue_entered_at()));
                let could =
                    waited >= m.delay.as_millis() as i128 && qualified(i) && has_room(&c.capacity, &held, i.channel());
                if could && (realtime(i.channel()) || !blocked) {
                    return Err(format!(
                        "{} waits in {} on {} while {} could take it (holding {held:?})",
                        i.id(),
                        i.queue(),
                        i.channel(),
                        a.id()
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_interactions(&self, engine: &Engine) -> Result<(), String> {
        let ids: Vec<InteractionId> = engine.interactions().map(|i| i.id()).collect();
        if !ids.iter().eq(self.live.keys()) {
            return Err(format!("engine holds {ids:?} but the events say {:?}", self.live.keys().collect::<Vec<_>>()));
        }
        for i in engine.interactions() {
            let s = &self.live[&i.id()];
            let (offer, agent) = match i.state() {
                InteractionState::Queued | InteractionState::Scheduled { .. } => (None, None),
                InteractionState::Offered { offer, .. } => (Some(offer), None),
                InteractionState::Connected { agent } | InteractionState::WrapUp { agent } => (None, Some(agent)),
                other => return Err(format!("{} is in {other:?}, a state the checker does not know", i.id())),
            };
            if i.queue() != s.queue || i.requirements() != &s.requirements || offer != s.offer || agent != s.agent {
                return Err(format!(
                    "{} is {:?} in {} needing {:?}; the shadow says {s:?}",
                    i.id(),
                    i.state(),
                    i.queue(),
                    i.requirements()
                ));
            }
        }
        let offers: Vec<(OfferId, InteractionId, AgentId)> =
            engine.offers().map(|p| (p.id, p.interaction, p.agent)).collect();
        let shadow: Vec<(OfferId, InteractionId, AgentId)> =
            self.offers.iter().map(|(o, (i, a))| (*o, *i, *a)).collect();
        if offers != shadow {
            return Err(format!("pending offers {offers:?} but the events say {shadow:?}"));
        }
        Ok(())
    }

    /// Presence as reported, and capacity recomputed from the work held, independently of the
    /// engine's own load bookkeeping.
    fn check_agents(&self, engine: &Engine) -> Result<(), String> {
        let ids: Vec<AgentId> = engine.agents().map(|a| a.id()).collect();
        if !ids.iter().eq(self.agents.keys()) {
            return Err(format!("engine has agents {ids:?}, the events {:?}", self.agents.keys().collect::<Vec<_>>()));
        }
        for a in engine.agents() {
            let s = &self.agents[&a.id()];
            if a.presence() != s.presence {
                return Err(format!("{} is {:?} but was last reported {:?}", a.id(), a.presence(), s.presence));
            }
            let mut channels: Vec<Channel> = a
                .offers()
                .map(|o| engine.offer(o).map(|p| p.channel))
                .collect::<Option<_>>()
                .ok_or("an agent holds an offer that is not pending")?;
            for i in a.connected().chain(a.wrap_ups()) {
                channels.push(engine.interaction(i).ok_or("an agent holds an interaction that is not live")?.channel());
            }
            within_capacity(&s.capacity, &channels).map_err(|e| format!("{}: {e}", a.id()))?;
            if !matches!(a.presence(), Presence::Available | Presence::Busy | Presence::WrapUp)
                && a.offers().next().is_some()
            {
                return Err(format!("{} is {:?} and holds offers", a.id(), a.presence()));
            }
        }
        Ok(())
    }
}

fn pop(expect: &mut Expect, agent: AgentId) -> Result<AgentChange, String> {
    expect.agents.get_mut(&agent).and_then(VecDeque::pop_front).ok_or_else(|| "no accepted command announced it".into())
}

/// Whether one more interaction of `channel` fits beside the work `held`, as documented for
/// capacity: the channel is worked and under its cap, the units fit the total, nothing is
/// taken beside exclusive work, and exclusive work is taken only by an agent holding nothing.
fn has_room(profile: &CapacityProfile, held: &[Channel], channel: Channel) -> bool {
    let Some(cap) = profile.channel(channel) else { return false };
    let exclusive_held = held.iter().any(|h| profile.channel(*h).is_some_and(|c| c.exclusive));
    if exclusive_held || (cap.exclusive && !held.is_empty()) {
        return false;
    }
    let count = held.iter().filter(|h| **h == channel).count() as u64;
    let units: u64 = held.iter().filter_map(|h| profile.channel(*h)).map(|c| u64::from(c.units)).sum();
    count < u64::from(cap.max_concurrent) && units + u64::from(cap.units) <= u64::from(profile.total_units())
}

/// Whether work on these channels fits a capacity profile: each channel worked and under its
/// cap, units within the total, and an exclusive channel's interaction held alone.
fn within_capacity(profile: &CapacityProfile, channels: &[Channel]) -> Result<(), String> {
    let mut per: BTreeMap<Channel, u32> = BTreeMap::new();
    let mut units: u64 = 0;
    for c in channels {
        let cap = profile.channel(*c).ok_or_else(|| format!("holds {c} work but does not work {c}"))?;
        *per.entry(*c).or_default() += 1;
        units += u64::from(cap.units);
        if cap.exclusive && channels.len() > 1 {
            return Err(format!("holds exclusive {c} work beside other work: {channels:?}"));
        }
    }
    for (c, n) in &per {
        let max = profile.channel(*c).map_or(0, |cap| cap.max_concurrent);
        if *n > max {
            return Err(format!("holds {n} {c} but at most {max}"));
        }
    }
    if units > u64::from(profile.total_units()) {
        return Err(format!("uses {units} units of {}", profile.total_units()));
    }
    Ok(())
}
