//! Snapshots: the engine's whole state as plain data, and its validated restore.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Engine, InvariantViolation, PendingOffer, Timer, TimerKind, Totals};
use crate::config::EngineConfig;
use crate::ids::{AgentId, InteractionId, OfferId, SkillId};
use crate::model::agent::Agent;
use crate::model::channel::ChannelMode;
use crate::model::interaction::{Interaction, InteractionState};
use crate::model::queue::QueueConfig;
use crate::time::{Timestamp, duration_millis};

/// The engine's whole state as plain, serialisable data. The routing index
/// is not in it: it is derived, and rebuilt on restore.
///
/// Take a snapshot after draining events: undelivered events are not part of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineSnapshot {
    config: EngineConfig,
    now: Option<Timestamp>,
    skills: Vec<(SkillId, String)>,
    queues: Vec<QueueConfig>,
    agents: Vec<Agent>,
    interactions: Vec<Interaction>,
    offers: Vec<PendingOffer>,
    timers: Vec<Timer>,
    next_timer_seq: u64,
    next_offer: u64,
    next_seq: u64,
    totals: Totals,
    blend_blocked: Vec<AgentId>,
}

/// Why a snapshot was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// Two entries share an id.
    #[error("duplicate id in snapshot: {0}")]
    DuplicateId(String),
    /// Something refers to an id the snapshot does not contain.
    #[error("dangling reference: {0}")]
    UnknownReference(String),
    /// An agent holds more than their capacity allows.
    #[error("agent {0} is over capacity")]
    AgentOverCapacity(AgentId),
    /// An interaction is held in two places (or in none that matches its state).
    #[error("interaction {0} is in two places, or not where its state says")]
    InteractionMisplaced(InteractionId),
    /// A counter would hand out an id already used.
    #[error("counter {0} is behind the ids in use")]
    CounterBehind(&'static str),
    /// Another invariant does not hold.
    #[error(transparent)]
    Invariant(#[from] InvariantViolation),
}

impl Engine {
    /// The whole state as plain data, for persistence or comparison.
    ///
    /// # Example
    /// ```
    /// use switchboard::{Engine, EngineConfig};
    ///
    /// let engine = Engine::new(EngineConfig::default());
    /// let restored = Engine::restore(engine.snapshot()).unwrap();
    /// assert_eq!(restored.snapshot(), engine.snapshot());
    /// ```
    pub fn snapshot(&self) -> EngineSnapshot {
        EngineSnapshot {
            config: self.config.clone(),
            now: self.now,
            skills: self.skills.iter().map(|(k, v)| (*k, v.clone())).collect(),
            queues: self.queues.values().cloned().collect(),
            agents: self.agents().cloned().collect(),
            interactions: self.interactions().cloned().collect(),
            offers: self.offers().cloned().collect(),
            timers: self.timers.to_vec(),
            next_timer_seq: self.timers.next_seq(),
            next_offer: self.next_offer,
            next_seq: self.next_seq,
            totals: self.totals,
            blend_blocked: self.router.blend_blocked.iter().copied().collect(),
        }
    }

    /// Rebuilds an engine from a snapshot, checking it first.
    ///
    /// # Errors
    /// A [`RestoreError`] if ids repeat, references dangle, an agent is over
    /// capacity, an interaction is not exactly where its state says, or any
    /// other invariant fails.
    pub fn restore(snapshot: EngineSnapshot) -> Result<Engine, RestoreError> {
        let s = snapshot;
        let mut e = Engine::new(s.config);
        e.now = s.now;
        e.next_offer = s.next_offer;
        e.next_seq = s.next_seq;
        e.totals = s.totals;
        for (id, name) in s.skills {
            if e.skills.insert(id, name).is_some() {
                return Err(RestoreError::DuplicateId(id.to_string()));
            }
        }
        for q in s.queues {
            let id = q.id;
            if e.queues.insert(id, q).is_some() {
                return Err(RestoreError::DuplicateId(id.to_string()));
            }
            e.router.add_queue(id);
        }
        for a in s.agents {
            let id = a.id();
            for m in &a.config.queues {
                if !e.queues.contains_key(&m.queue) {
                    return Err(RestoreError::UnknownReference(format!("{id} serves {}", m.queue)));
                }
            }
            if let Some((s, _)) = a.config.skills.iter().find(|(s, _)| !e.skills.contains_key(s)) {
                return Err(RestoreError::UnknownReference(format!("{id} holds {s}")));
            }
            if !a.load.within(&a.config.capacity) {
                return Err(RestoreError::AgentOverCapacity(id));
            }
            if e.agents.insert(id, a).is_some() {
                return Err(RestoreError::DuplicateId(id.to_string()));
            }
        }
        for i in s.interactions {
            let id = i.id;
            if !e.queues.contains_key(&i.queue) {
                return Err(RestoreError::UnknownReference(format!("{id} is in {}", i.queue)));
            }
            if i.seq >= e.next_seq {
                return Err(RestoreError::CounterBehind("arrival sequence"));
            }
            if e.interactions.insert(id, i).is_some() {
                return Err(RestoreError::DuplicateId(id.to_string()));
            }
        }
        for p in s.offers {
            let id = p.id;
            if !e.agents.contains_key(&p.agent) || !e.interactions.contains_key(&p.interaction) {
                return Err(RestoreError::UnknownReference(format!("{id} names {} and {}", p.agent, p.interaction)));
            }
            if id.0 >= e.next_offer {
                return Err(RestoreError::CounterBehind("offer"));
            }
            if e.offers.insert(id, p).is_some() {
                return Err(RestoreError::DuplicateId(id.to_string()));
            }
        }
        check_placement(&e)?;
        for t in &s.timers {
            let known = match t.kind {
                TimerKind::OfferTimeout(o) => e.offers.contains_key(&o),
                TimerKind::WrapUpEnd(i) | TimerKind::QueueDelay(i) => e.interactions.contains_key(&i),
            };
            if !known {
                return Err(RestoreError::UnknownReference(format!("timer {:?}", t.kind)));
            }
            if t.seq >= s.next_timer_seq {
                return Err(RestoreError::CounterBehind("timer"));
            }
        }
        e.timers.restore(&s.timers, s.next_timer_seq);
        e.rebuild_index();
        for a in s.blend_blocked {
            if !e.agents.contains_key(&a) {
                return Err(RestoreError::UnknownReference(format!("blend-blocked {a}")));
            }
            e.router.blend_blocked.insert(a);
        }
        e.check_invariants()?;
        Ok(e)
    }

    /// Rebuilds the routing index from the state.
    fn rebuild_index(&mut self) {
        // The index is the same whatever order agents are visited in: its parts are keyed, not appended.
        for a in self.agents.values() {
            for m in &a.config.queues {
                self.router.add_member(a.id(), m.queue, duration_millis(m.delay));
            }
        }
        let mut queued: Vec<&Interaction> =
            self.interactions.values().filter(|i| i.state == InteractionState::Queued).collect();
        queued.sort_by_key(|i| i.seq);
        for i in queued {
            let sig = self.router.intern(&i.requirements);
            let realtime = self.config.channel_mode(i.channel) == Some(ChannelMode::RealTime);
            self.router.enqueue(i, sig, &self.queues[&i.queue], realtime, &self.agents);
        }
        for a in self.agents.values() {
            self.router.requalify(a);
            self.router.place_agent(a, &self.queues);
        }
    }
}

/// Every interaction is exactly where its state says, once.
fn check_placement(e: &Engine) -> Result<(), RestoreError> {
    let mut held: BTreeMap<InteractionId, u32> = BTreeMap::new();
    let mut offers_seen: BTreeSet<OfferId> = BTreeSet::new();
    for a in e.agents() {
        for iid in a.connected.iter().chain(&a.wrap_ups) {
            *held.entry(*iid).or_default() += 1;
        }
        for o in &a.offers {
            let Some(p) = e.offers.get(o) else {
                return Err(RestoreError::UnknownReference(format!("{} holds {o}", a.id())));
            };
            if !offers_seen.insert(*o) || p.agent != a.id() {
                return Err(RestoreError::InteractionMisplaced(p.interaction));
            }
            *held.entry(p.interaction).or_default() += 1;
        }
    }
    for i in e.interactions() {
        let n = held.remove(&i.id).unwrap_or(0);
        let ok = match i.state {
            InteractionState::Queued => n == 0,
            InteractionState::Offered { offer, agent } => {
                n == 1 && e.offers.get(&offer).is_some_and(|p| p.agent == agent && p.interaction == i.id)
            }
            InteractionState::Connected { agent } => {
                n == 1 && e.agents.get(&agent).is_some_and(|a| a.connected.contains(&i.id))
            }
            InteractionState::WrapUp { agent } => {
                n == 1 && e.agents.get(&agent).is_some_and(|a| a.wrap_ups.contains(&i.id))
            }
        };
        if !ok {
            return Err(RestoreError::InteractionMisplaced(i.id));
        }
    }
    if let Some((iid, _)) = held.into_iter().next() {
        return Err(RestoreError::UnknownReference(format!("an agent holds {iid}, which is not live")));
    }
    if e.offers.len() != offers_seen.len() {
        let orphan = e.offers().find(|p| !offers_seen.contains(&p.id)).map(|p| p.interaction);
        return Err(RestoreError::InteractionMisplaced(orphan.unwrap_or(InteractionId(0))));
    }
    Ok(())
}
