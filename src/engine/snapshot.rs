//! Snapshots: the engine's whole state as plain data, and its validated restore.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::lifecycle::limit;
use super::{Engine, InvariantViolation, PendingOffer, Timer, TimerKind, Totals};
use crate::config::EngineConfig;
use crate::error::CommandError;
use crate::ids::{AgentId, InteractionId, OfferId, QueueId, SkillId};
use crate::model::agent::Agent;
use crate::model::interaction::{Interaction, InteractionState};
use crate::model::queue::QueueConfig;
use crate::router::SigId;
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
    /// Agent attributes declared, with their kinds.
    #[serde(default)]
    agent_attributes: Vec<(String, crate::model::expression::AttributeKind)>,
    /// Each queue's estimated wait (ms), for admission rules.
    #[serde(default)]
    hold_times: Vec<(QueueId, i64)>,
    /// Business-hours calendars, with their hours.
    #[serde(default)]
    calendars: Vec<(crate::ids::CalendarId, crate::model::calendar::BusinessHours)>,
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
    /// Agents refused work while draining for headroom, with the interaction they drained for.
    #[serde(default)]
    drained: Vec<(AgentId, InteractionId)>,
    /// Case owners (case, owner, since), by case.
    #[serde(default)]
    cases: Vec<(crate::ids::CaseId, AgentId, Timestamp)>,
    /// The clocks of queues with a random strategy.
    #[serde(default)]
    random_clocks: Vec<(QueueId, u64)>,
}

/// The first bytes of a compact snapshot: a name and a format version.
///
/// Postcard writes no field names, so any field added to the snapshot's types
/// changes the format: the version goes up with it (2: the fields of issue
/// #11, fair routing; 3: routing steps; 4: agent attributes, eligibility
/// expressions and business hours; 5: preferred, direct and case-owner
/// routing, wrap-up modes; 6: parallel offers and scheduled callbacks), and older bytes are refused with
/// [`CompactSnapshotError::BadHeader`] instead of misread. JSON snapshots read
/// older files through serde defaults.
#[cfg(feature = "compact")]
const COMPACT_MAGIC: &[u8; 8] = b"sbsnap\x00\x06";

/// Why bytes could not be read as a compact snapshot.
#[cfg(feature = "compact")]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompactSnapshotError {
    /// The bytes do not start with a compact snapshot's header (or are of another version).
    #[error("not a compact snapshot of this version (bad header)")]
    BadHeader,
    /// The bytes after the header do not decode as a snapshot.
    #[error("compact snapshot does not decode: {0}")]
    Decode(String),
    /// Bytes are left over after the snapshot.
    #[error("compact snapshot has {0} bytes left over")]
    TrailingBytes(usize),
}

#[cfg(feature = "compact")]
impl EngineSnapshot {
    /// The snapshot in a compact binary form: a header, then the same data
    /// as the JSON form in [postcard](https://postcard.jamesmunns.com)'s
    /// wire format (variable-length integers, no field names). A waiting
    /// interaction takes tens of bytes instead of about 360 in JSON.
    ///
    /// # Example
    /// ```
    /// use switchboard::{Engine, EngineConfig, EngineSnapshot};
    ///
    /// let engine = Engine::new(EngineConfig::default());
    /// let bytes = engine.snapshot().to_compact();
    /// let back = EngineSnapshot::from_compact(&bytes).unwrap();
    /// assert_eq!(back, engine.snapshot());
    /// let restored = Engine::restore(back).unwrap();
    /// # let _ = restored;
    /// ```
    pub fn to_compact(&self) -> Vec<u8> {
        let bytes = COMPACT_MAGIC.to_vec();
        postcard::to_extend(self, bytes).expect("every part of a snapshot has a known length, so it encodes")
    }

    /// Reads a snapshot written by [`EngineSnapshot::to_compact`]. Restore it
    /// with [`Engine::restore`], which checks it like any other snapshot.
    ///
    /// # Errors
    /// [`CompactSnapshotError`] when the header is not this version's, the
    /// bytes do not decode, or bytes are left over.
    pub fn from_compact(bytes: &[u8]) -> Result<EngineSnapshot, CompactSnapshotError> {
        let body = bytes.strip_prefix(COMPACT_MAGIC.as_slice()).ok_or(CompactSnapshotError::BadHeader)?;
        let (snapshot, rest) =
            postcard::take_from_bytes(body).map_err(|e| CompactSnapshotError::Decode(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CompactSnapshotError::TrailingBytes(rest.len()));
        }
        Ok(snapshot)
    }
}

/// The largest counter (next offer id, arrival sequence, timer sequence,
/// totals) a snapshot may carry: 2^63. At a billion a second a counter takes
/// 292 years to get there, and below it the engine's `+ 1`s cannot overflow.
pub const MAX_SNAPSHOT_COUNTER: u64 = 1 << 63;

/// Why a snapshot was refused: it describes a state no sequence of commands
/// can produce. Each variant names what was wrong.
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
    /// A counter is above [`MAX_SNAPSHOT_COUNTER`], so counting on could overflow.
    #[error("counter {counter} is {value}, above the maximum of {max}")]
    CounterTooLarge {
        /// Which counter.
        counter: &'static str,
        /// Its value.
        value: u64,
        /// The maximum.
        max: u64,
    },
    /// The totals do not add up: every interaction that arrived is live or ended once.
    #[error("totals do not add up: {arrived} arrived, but {live} live and {ended:?} ended")]
    TotalsMismatch {
        /// Interactions that arrived.
        arrived: u64,
        /// Live interactions in the snapshot.
        live: u64,
        /// Interactions that ended (`None` if the sum overflows).
        ended: Option<u64>,
    },
    /// The configuration breaks the rules of [`EngineConfig::builder`].
    #[error(transparent)]
    Config(#[from] crate::error::ConfigError),
    /// A part of the state that the command creating it would have refused.
    #[error("{what} would be refused by its command: {error}")]
    Refused {
        /// Which part, e.g. `"queue q3"`.
        what: String,
        /// The error the command would have returned.
        error: CommandError,
    },
    /// A timer is missing, duplicated, due at or before `now`, or does not match what it is for.
    #[error("timer {timer:?}: {problem}")]
    BadTimer {
        /// The timer.
        timer: TimerKind,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A time is out of order: in the future of `now`, or an expiry not after it.
    #[error("{0}")]
    BadTime(String),
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
            agent_attributes: self.agent_attributes.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            calendars: self.calendars.iter().map(|(id, c)| (*id, c.business_hours().clone())).collect(),
            hold_times: self.hold_times.iter().map(|(q, ms)| (*q, *ms)).collect(),
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
            drained: self.router.drained.iter().collect(),
            cases: self.cases.iter().map(|(case, o)| (case, o.agent, o.since)).collect(),
            random_clocks: self.random_clocks.iter().map(|(q, c)| (*q, *c)).collect(),
        }
    }

    /// Rebuilds an engine from a snapshot, checking it first.
    ///
    /// Everything derivable is derived again (the routing index, the
    /// requirement signatures, every agent's load), and everything else is
    /// checked against the rules the commands enforce, so an engine restored
    /// from a snapshot behaves exactly like the engine that wrote it, and a
    /// snapshot edited into a state no command sequence can reach is refused.
    ///
    /// # Errors
    /// A [`RestoreError`] naming the first problem: a configuration, skill,
    /// queue, agent or interaction its command would refuse; repeated ids;
    /// dangling references; an agent over capacity; an interaction not exactly
    /// where its state says; a timer missing, repeated, already due or not
    /// matching its offer; counters above [`MAX_SNAPSHOT_COUNTER`] or behind
    /// the ids in use; totals that do not add up; or any other broken invariant.
    pub fn restore(snapshot: EngineSnapshot) -> Result<Engine, RestoreError> {
        let s = snapshot;
        s.config.validate()?;
        for (counter, value) in [
            ("next offer", s.next_offer),
            ("next arrival sequence", s.next_seq),
            ("next timer sequence", s.next_timer_seq),
            ("arrived", s.totals.arrived),
            ("handled", s.totals.handled),
            ("abandoned", s.totals.abandoned),
            ("cancelled", s.totals.cancelled),
            ("declined", s.totals.declined),
            ("expired", s.totals.expired),
            ("closed", s.totals.closed),
            ("diverted", s.totals.diverted),
            ("callbacks failed", s.totals.callbacks_failed),
            ("self-served", s.totals.self_served),
        ] {
            if value > MAX_SNAPSHOT_COUNTER {
                return Err(RestoreError::CounterTooLarge { counter, value, max: MAX_SNAPSHOT_COUNTER });
            }
        }
        let live = s.interactions.len() as u64;
        let ended = s
            .totals
            .handled
            .checked_add(s.totals.abandoned)
            .and_then(|n| n.checked_add(s.totals.cancelled))
            .and_then(|n| n.checked_add(s.totals.declined))
            .and_then(|n| n.checked_add(s.totals.expired))
            .and_then(|n| n.checked_add(s.totals.closed))
            .and_then(|n| n.checked_add(s.totals.diverted))
            .and_then(|n| n.checked_add(s.totals.callbacks_failed));
        if ended.and_then(|e| e.checked_add(live)) != Some(s.totals.arrived) {
            return Err(RestoreError::TotalsMismatch { arrived: s.totals.arrived, live, ended });
        }
        if let Some(now) = s.now {
            if !crate::time::in_range(now) {
                return Err(RestoreError::BadTime(format!("now {now} is outside the accepted range")));
            }
        }
        let now = s.now.unwrap_or(Timestamp::EPOCH);
        let refused = |what: String| move |error| RestoreError::Refused { what, error };

        let mut e = Engine::new(s.config);
        e.now = s.now;
        e.next_offer = s.next_offer;
        e.next_seq = s.next_seq;
        e.totals = s.totals;
        for (id, name) in s.skills {
            e.check_new_skill(id, &name).map_err(refused(format!("skill {id}")))?;
            e.skills.insert(id, name);
        }
        for (name, kind) in s.agent_attributes {
            e.check_new_agent_attribute(&name).map_err(refused(format!("agent attribute {name:?}")))?;
            e.agent_attributes.insert(name, kind);
        }
        for (id, hours) in s.calendars {
            if e.calendars.contains_key(&id) {
                return Err(RestoreError::DuplicateId(id.to_string()));
            }
            let calendar = hours.check().map_err(|error| {
                refused(format!("calendar {id}"))(CommandError::BadCalendar { calendar: id, error })
            })?;
            e.calendars.insert(id, calendar);
        }
        for q in s.queues {
            e.check_new_queue(&q).map_err(refused(format!("queue {}", q.id)))?;
            e.router.add_queue(q.id);
            e.queues.insert(q.id, q);
        }
        // Once all are in: a queue may overflow to one with a higher id.
        for q in e.queues.values() {
            e.check_all_declined(q).map_err(refused(format!("queue {}", q.id)))?;
            e.check_exception_rules(q).map_err(refused(format!("queue {}", q.id)))?;
            e.check_business_hours(q).map_err(refused(format!("queue {}", q.id)))?;
        }
        for (queue, ms) in s.hold_times {
            if !e.queues.contains_key(&queue) {
                return Err(RestoreError::UnknownReference(format!("an estimated wait for {queue}")));
            }
            if !(0..=crate::time::duration_millis(Timestamp::MAX_SPAN)).contains(&ms) {
                return Err(RestoreError::BadTime(format!("{queue}'s estimated wait of {ms} ms")));
            }
            if e.hold_times.insert(queue, ms).is_some() {
                return Err(RestoreError::DuplicateId(format!("the estimated wait of {queue}")));
            }
        }
        // Closed exactly when their calendars say so now (every change up to now has fired).
        for q in e.queues.values() {
            e.router.set_closed(q.id, e.closed_by_calendar(q, now));
        }
        // Commands cannot make a loop of moves (a target exists before its rule); a snapshot could.
        if let Some(queue) = e.move_loop() {
            return Err(refused(format!("queue {queue}"))(CommandError::MoveLoop { queue }));
        }
        for mut a in s.agents {
            e.check_agent(&a, now)?;
            e.profiles.share(&mut a.config.capacity);
            e.agents.insert(a.id(), a);
        }
        let mut seqs = BTreeSet::new();
        for i in s.interactions {
            e.check_interaction(&i, now)?;
            if !seqs.insert(i.seq) {
                return Err(RestoreError::DuplicateId(format!("arrival sequence {} (on {})", i.seq, i.id)));
            }
            e.interactions.insert(i.id, i);
        }
        for p in s.offers {
            let id = p.id;
            if !e.agents.contains_key(&p.agent) || !e.interactions.contains_key(&p.interaction) {
                return Err(RestoreError::UnknownReference(format!("{id} names {} and {}", p.agent, p.interaction)));
            }
            if id.0 >= e.next_offer {
                return Err(RestoreError::CounterBehind("offer"));
            }
            let i = &e.interactions[&p.interaction];
            if p.queue != i.queue || p.channel != i.channel {
                return Err(RestoreError::InteractionMisplaced(p.interaction));
            }
            if p.offered_at > now || p.expires_at <= now || p.offered_at >= p.expires_at {
                return Err(RestoreError::BadTime(format!(
                    "{id} offered at {} expiring at {} does not fit now {now}",
                    p.offered_at, p.expires_at
                )));
            }
            if e.offers.insert(id, p).is_some() {
                return Err(RestoreError::DuplicateId(id.to_string()));
            }
        }
        e.ringing = parallel_offers(&e)?;
        check_placement(&e)?;
        check_loads(&e)?;
        check_timers(&e, &s.timers, s.next_timer_seq)?;
        e.timers.restore(&s.timers, s.next_timer_seq);
        e.rebuild_index()?;
        for a in s.blend_blocked {
            // Logging out and pausing drop an agent from the blend-blocked, so only routable agents are there.
            if !e.agents.get(&a).is_some_and(|agent| agent.is_routable()) {
                return Err(RestoreError::UnknownReference(format!("blend-blocked {a}, not a routable agent")));
            }
            e.router.blend_blocked.insert(a);
        }
        let mut seen = BTreeSet::new();
        for (a, i) in s.drained {
            // As the engine keeps them: a routable agent, once, with a waiting interaction.
            if !seen.insert(a) {
                return Err(RestoreError::DuplicateId(format!("drained {a}")));
            }
            if !e.agents.get(&a).is_some_and(Agent::is_routable) {
                return Err(RestoreError::UnknownReference(format!("drained {a} is not a routable agent")));
            }
            if e.interactions.get(&i).is_none_or(|x| !x.is_queued()) {
                return Err(RestoreError::UnknownReference(format!("{a} drained for {i}, which does not wait")));
            }
            e.router.drained.note(a, i);
        }
        let max_cases = e.config.limits().max_cases;
        if s.cases.len() > max_cases as usize {
            return Err(RestoreError::Refused {
                what: "case owners".into(),
                error: limit(crate::error::Limit::Cases, max_cases),
            });
        }
        for (case, agent, since) in s.cases {
            if e.cases.get(case).is_some() {
                return Err(RestoreError::DuplicateId(format!("the owner of {case}")));
            }
            if !e.agents.contains_key(&agent) {
                return Err(RestoreError::UnknownReference(format!("{case} is owned by {agent}, who does not exist")));
            }
            if since > now {
                return Err(RestoreError::BadTime(format!("{case} has been owned since {since}, after now {now}")));
            }
            e.cases.set(case, Some(agent), since, max_cases);
        }
        for (queue, clock) in s.random_clocks {
            if !e.queues.contains_key(&queue) {
                return Err(RestoreError::UnknownReference(format!("the random clock of {queue}")));
            }
            if e.random_clocks.insert(queue, clock).is_some() {
                return Err(RestoreError::DuplicateId(format!("the random clock of {queue}")));
            }
        }
        e.check_invariants()?;
        Ok(e)
    }

    /// An agent as [`Command::AddAgent`](crate::Command::AddAgent) and the presence commands leave them.
    fn check_agent(&self, a: &Agent, now: Timestamp) -> Result<(), RestoreError> {
        let id = a.id();
        if self.agents.contains_key(&id) {
            return Err(RestoreError::DuplicateId(id.to_string()));
        }
        let max = self.config.limits().max_agents;
        if self.agents.len() >= max as usize {
            let error = limit(crate::error::Limit::Agents, max);
            return Err(RestoreError::Refused { what: format!("agent {id}"), error });
        }
        self.check_agent_config(&a.config)
            .map_err(|error| RestoreError::Refused { what: format!("agent {id}"), error })?;
        if !a.logged_in && (a.paused.is_some() || !a.held().offers.is_empty() || !a.held().wrap_ups.is_empty()) {
            return Err(RestoreError::InteractionMisplaced(
                a.held().wrap_ups.iter().next().copied().unwrap_or(InteractionId(0)),
            ));
        }
        if a.idle_since > now {
            return Err(RestoreError::BadTime(format!("{id} idle since {} after now {now}", a.idle_since)));
        }
        for (queue, offer) in a.held().last_offer.iter() {
            if !self.queues.contains_key(queue) {
                return Err(RestoreError::UnknownReference(format!("{id} was last offered work from {queue}")));
            }
            if *offer >= self.next_offer {
                return Err(RestoreError::CounterBehind("offer"));
            }
        }
        Ok(())
    }

    /// A live interaction as [`Command::Arrive`](crate::Command::Arrive) and
    /// [`Command::Transfer`](crate::Command::Transfer) leave it.
    fn check_interaction(&self, i: &Interaction, now: Timestamp) -> Result<(), RestoreError> {
        let id = i.id;
        let refused = |error| RestoreError::Refused { what: format!("interaction {id}"), error };
        if self.interactions.contains_key(&id) {
            return Err(RestoreError::DuplicateId(id.to_string()));
        }
        self.check_interaction_limits(&i.attributes).map_err(refused)?;
        let Some(queue) = self.queues.get(&i.queue) else {
            return Err(RestoreError::UnknownReference(format!("{id} is in {}", i.queue)));
        };
        let base = self.check_fits_queue(queue, i.channel, &i.own_requirements).map_err(refused)?;
        // A preference phase is the first steps of its own, never all of them.
        if let Some(phase) = i.preference_phase() {
            if phase.steps == 0 || i.own_steps().is_none_or(|s| usize::from(phase.steps) >= s.len()) {
                return Err(RestoreError::InteractionMisplaced(id));
            }
        }
        if let Some(steps) = i.own_steps() {
            self.check_steps(&base, steps).map_err(refused)?;
            self.check_step_expressions(&|k| format!("interaction {id} step {k} eligibility"), steps)
                .map_err(refused)?;
        }
        let steps = i.steps(queue);
        let requirements = match steps.get(usize::from(i.step)) {
            Some(step) => base.union(&step.requirements),
            None if i.step == 0 => base,
            None => return Err(RestoreError::InteractionMisplaced(id)),
        };
        if i.requirements != requirements {
            return Err(RestoreError::InteractionMisplaced(id));
        }
        // Times run from the epoch to year 9999 (`Timestamp::MAX`), as every
        // command's do: waits and routing order are worked out from these.
        if !crate::time::in_range(i.arrived_at) || !crate::time::in_range(i.queue_entered_at) {
            return Err(RestoreError::BadTime(format!(
                "{id} arrived at {} and entered its queue at {}, outside the accepted range",
                i.arrived_at, i.queue_entered_at
            )));
        }
        if i.joined_at().is_some_and(|joined| joined < i.queue_entered_at || joined > now) {
            return Err(RestoreError::BadTime(format!("{id} joined its queue outside its place in line and now")));
        }
        if i.seq >= self.next_seq {
            return Err(RestoreError::CounterBehind("arrival sequence"));
        }
        // A scheduled callback enters its queue later; the timers' check holds its due time ahead of now.
        let scheduled = matches!(i.state(), InteractionState::Scheduled { .. });
        if i.arrived_at > i.queue_entered_at || (i.queue_entered_at > now && !scheduled) {
            return Err(RestoreError::BadTime(format!(
                "{id} arrived at {} and entered its queue at {}, not in order before now {now}",
                i.arrived_at, i.queue_entered_at
            )));
        }
        if i.declined_by().windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err(RestoreError::DuplicateId(format!("{id}'s decliners are not sorted and distinct")));
        }
        Ok(())
    }

    /// Rebuilds the routing index from the state.
    fn rebuild_index(&mut self) -> Result<(), RestoreError> {
        // The index is the same whatever order agents are visited in: its parts are keyed, not appended.
        // Members and their skills first, while no list exists: requalifying
        // an agent costs O(lists in their queues), creating a list O(members ÷ 64).
        for (at, a) in self.agents.values_with_slots() {
            for m in &a.config.queues {
                self.router.add_member(at, m.queue, duration_millis(m.delay));
            }
        }
        for (at, a) in self.agents.values_with_slots() {
            self.router.requalify(at, a);
        }
        let mut live: Vec<&Interaction> = self.interactions.values().collect();
        live.sort_by_key(|i| i.seq);
        let max = self.config.limits().max_signatures;
        let mut held: Vec<(InteractionId, SigId)> = Vec::with_capacity(live.len());
        for i in &live {
            let queue = &self.queues[&i.queue];
            held.push((i.id, self.router.hold(None, &self.eligibility_in_step(i, queue, usize::from(i.step)))));
            let steps = i.steps(queue);
            if steps.len() > 1 {
                let sets = self.eligibility_sets(queue, &i.own_requirements, steps, &i.attributes);
                self.router.reserve(i.id, &sets);
            }
            if self.router.sig_count() > max as usize {
                let error = limit(crate::error::Limit::Signatures, max);
                return Err(RestoreError::Refused { what: format!("interaction {}", i.id), error });
            }
        }
        for (i, (_, sig)) in live.into_iter().zip(&held) {
            if i.is_queued() {
                let at = self.interactions.slot(&i.id).expect("live");
                self.router.enqueue(i, at, *sig, &self.queues[&i.queue], &self.agents);
            }
        }
        for (at, a) in self.agents.values_with_slots() {
            self.router.place_agent(at, a, &self.queues);
        }
        self.keep_held(held);
        Ok(())
    }

    /// Records the signature each restored interaction holds, and makes it
    /// share the index's copy of its requirement sets, as live ones do,
    /// instead of keeping the one read from the snapshot.
    fn keep_held(&mut self, held: Vec<(InteractionId, SigId)>) {
        for (id, sig) in held {
            self.interactions.set_tag(&id, sig);
            let shared = self.router.requirements(sig);
            let i = self.interactions.get_mut(&id).expect("live: listed above");
            if i.requirements == *shared {
                i.requirements = shared.clone();
            }
            if i.own_requirements == *shared {
                i.own_requirements = shared.clone();
            }
        }
    }
}

/// Every agent's load is exactly the work they hold, and within their capacity.
fn check_loads(e: &Engine) -> Result<(), RestoreError> {
    for a in e.agents() {
        if !a.load.within(&a.config.capacity) {
            return Err(RestoreError::AgentOverCapacity(a.id()));
        }
        let mut load = crate::model::capacity::Load::default();
        for channel in e.held_channels(a) {
            load.reserve(&a.config.capacity, channel);
        }
        // As the invariants check it, with interruptible work set aside for
        // real-time work and the rest fitting in full.
        if !e.load_fits(a) {
            return Err(RestoreError::AgentOverCapacity(a.id()));
        }
        if load != a.load {
            return Err(RestoreError::Invariant(InvariantViolation(format!(
                "{} load {:?} is not the work they hold, {load:?}",
                a.id(),
                a.load
            ))));
        }
    }
    Ok(())
}

/// Exactly the timers the state calls for, none due yet, each once.
fn check_timers(e: &Engine, timers: &[Timer], next_seq: u64) -> Result<(), RestoreError> {
    let now = e.now;
    let mut kinds = BTreeSet::new();
    let mut seqs = BTreeSet::new();
    for t in timers {
        let bad = |problem| Err(RestoreError::BadTimer { timer: t.kind, problem });
        if !kinds.insert(t.kind) {
            return bad("set twice");
        }
        if t.seq >= next_seq {
            return Err(RestoreError::CounterBehind("timer"));
        }
        if !seqs.insert(t.seq) {
            return bad("shares its sequence number with another timer");
        }
        match now {
            None => return bad("set before the engine saw any time"),
            Some(now) if t.due <= now => return bad("due at or before now, so it should have fired"),
            Some(now) if t.due > now + Timestamp::MAX_SPAN => return bad("due further ahead than any span allows"),
            Some(_) => {}
        }
        let state = |i| e.interactions.get(&i).map(|i: &Interaction| i.state());
        match t.kind {
            TimerKind::OfferTimeout(o) => match e.offers.get(&o) {
                None => return bad("times out an offer that is not pending"),
                Some(p) if p.expires_at != t.due => return bad("is not due when its offer expires"),
                Some(_) => {}
            },
            TimerKind::WrapUpEnd(i) => {
                if !matches!(state(i), Some(InteractionState::WrapUp { .. })) {
                    return bad("ends the wrap-up of an interaction not in wrap-up");
                }
            }
            TimerKind::QueueDelay(i) => {
                if state(i) != Some(InteractionState::Queued) {
                    return bad("wakes an interaction that is not queued");
                }
            }
            TimerKind::MaxWait(i) => {
                let Some(i) = e.interactions.get(&i).filter(|i| i.is_queued()) else {
                    return bad("bounds the wait of an interaction that is not queued");
                };
                if i.is_overdue() || deadline(e, i) != Some(t.due) {
                    return bad("is not due when the interaction's wait reaches its queue's max_wait");
                }
            }
            TimerKind::StepExpiry(i) => {
                let Some(i) = e.interactions.get(&i).filter(|i| i.is_queued()) else {
                    return bad("ends the routing step of an interaction that is not queued");
                };
                if step_end(e, i) != Some(t.due) {
                    return bad("is not due when the interaction's routing step ends");
                }
            }
            TimerKind::TimeToLive(i) => {
                let Some(i) = e.interactions.get(&i).filter(|i| unanswered(i)) else {
                    return bad("ends an interaction that is not waiting or ringing");
                };
                if time_to_live_end(e, i) != Some(t.due) {
                    return bad("is not due when the interaction's time to live in its queue runs out");
                }
            }
            TimerKind::ExceptionRule(i) => {
                let Some(i) = e.interactions.get(&i).filter(|i| unanswered(i)) else {
                    return bad("applies an exception rule to an interaction that is not waiting or ringing");
                };
                if next_rule(e, i) != Some(t.due) {
                    return bad("is not due when the interaction's next exception rule is");
                }
            }
            TimerKind::ForgetDeclines(i) => {
                if state(i).is_none() {
                    return bad("forgets the declines of an interaction that is not live");
                }
            }
            TimerKind::CallbackDue(i) => {
                if state(i) != Some(InteractionState::Scheduled { due: t.due }) {
                    return bad("is not due when a scheduled callback is");
                }
            }
            TimerKind::BusinessHours(c) => match (e.calendars.get(&c), now) {
                (None, _) => return bad("follows a calendar that does not exist"),
                (Some(cal), Some(now)) if cal.next_change(now) != Some(t.due) => {
                    return bad("is not due when its calendar next opens or closes");
                }
                _ => {}
            },
        }
    }
    for (id, cal) in &e.calendars {
        if e.now.and_then(|now| cal.next_change(now)).is_some() && !kinds.contains(&TimerKind::BusinessHours(*id)) {
            return Err(RestoreError::BadTimer { timer: TimerKind::BusinessHours(*id), problem: "missing" });
        }
    }
    for p in e.offers.values() {
        if !kinds.contains(&TimerKind::OfferTimeout(p.id)) {
            return Err(RestoreError::BadTimer { timer: TimerKind::OfferTimeout(p.id), problem: "missing" });
        }
    }
    let longest_delays = longest_member_delays(e);
    for i in e.interactions.values() {
        // Every wrap-up but an untimed one ends by its timer.
        if matches!(i.state(), InteractionState::WrapUp { .. }) {
            let untimed = i.wrap_up_state().mode == crate::model::wrap_up::WrapUpMode::Untimed;
            match (untimed, kinds.contains(&TimerKind::WrapUpEnd(i.id))) {
                (false, false) => {
                    return Err(RestoreError::BadTimer { timer: TimerKind::WrapUpEnd(i.id), problem: "missing" });
                }
                (true, true) => {
                    let problem = "ends an untimed wrap-up";
                    return Err(RestoreError::BadTimer { timer: TimerKind::WrapUpEnd(i.id), problem });
                }
                _ => {}
            }
        } else if i.wrap_up_state() != crate::model::wrap_up::WrapUpState::default() {
            return Err(RestoreError::InteractionMisplaced(i.id));
        }
        if let InteractionState::Scheduled { due } = i.state() {
            if i.channel != crate::Channel::Callback || i.queue_entered_at != due || i.step != 0 {
                return Err(RestoreError::InteractionMisplaced(i.id));
            }
            if !kinds.contains(&TimerKind::CallbackDue(i.id)) {
                return Err(RestoreError::BadTimer { timer: TimerKind::CallbackDue(i.id), problem: "missing" });
            }
        }
        let queued = i.is_queued();
        if unanswered(i) && next_rule(e, i).is_some() && !kinds.contains(&TimerKind::ExceptionRule(i.id)) {
            return Err(RestoreError::BadTimer { timer: TimerKind::ExceptionRule(i.id), problem: "missing" });
        }
        if unanswered(i) && time_to_live_end(e, i).is_some() && !kinds.contains(&TimerKind::TimeToLive(i.id)) {
            return Err(RestoreError::BadTimer { timer: TimerKind::TimeToLive(i.id), problem: "missing" });
        }
        // A waiting interaction some member's delay has not reached yet is woken when it
        // is: the engine sets that timer whenever it routes the interaction and finds nobody.
        // Not in a queue closed by its calendar: nothing is routed there, so no timer is set,
        // and the opening routes every waiting interaction again.
        if queued
            && !e.router.is_closed(i.queue)
            && delay_ahead(e, &longest_delays, i)
            && !kinds.contains(&TimerKind::QueueDelay(i.id))
        {
            return Err(RestoreError::BadTimer { timer: TimerKind::QueueDelay(i.id), problem: "missing" });
        }
        if queued && !step_is_current(e, i) {
            return Err(RestoreError::InteractionMisplaced(i.id));
        }
        if queued && step_end(e, i).is_some() && !kinds.contains(&TimerKind::StepExpiry(i.id)) {
            return Err(RestoreError::BadTimer { timer: TimerKind::StepExpiry(i.id), problem: "missing" });
        }
        if queued && !i.is_overdue() && deadline(e, i).is_some() && !kinds.contains(&TimerKind::MaxWait(i.id)) {
            return Err(RestoreError::BadTimer { timer: TimerKind::MaxWait(i.id), problem: "missing" });
        }
        // Overdue is set when the bound is reached and kept until the interaction leaves the queue.
        if i.is_overdue() && !(queued && deadline(e, i).is_some_and(|d| e.now.is_some_and(|now| d <= now))) {
            return Err(RestoreError::InteractionMisplaced(i.id));
        }
    }
    Ok(())
}

/// The longest delay (ms) of any member, per queue, so that checking the
/// timers of a restored backlog costs O(agents + interactions), not their product
/// (a backlog of 100,000 with 10,000 agents took 24 s to restore).
fn longest_member_delays(e: &Engine) -> BTreeMap<QueueId, i64> {
    let mut longest: BTreeMap<QueueId, i64> = BTreeMap::new();
    for m in e.agents.values().flat_map(|a| &a.config.queues) {
        let delay = longest.entry(m.queue).or_insert(0);
        *delay = (*delay).max(duration_millis(m.delay));
    }
    longest
}

/// Whether a member of `i`'s queue has a delay its wait has not reached yet
/// (`longest`: [`longest_member_delays`]).
fn delay_ahead(e: &Engine, longest: &BTreeMap<QueueId, i64>, i: &Interaction) -> bool {
    let waited = e.now.map_or(0, |now| now.millis_since(i.queue_entered_at));
    longest.get(&i.queue).is_some_and(|delay| *delay > waited)
}

/// Whether an interaction waits or rings (the states a time to live applies to).
fn unanswered(i: &Interaction) -> bool {
    matches!(i.state(), InteractionState::Queued | InteractionState::Offered { .. })
}

/// When an interaction's next exception rule is due, if any rule is still ahead.
fn next_rule(e: &Engine, i: &Interaction) -> Option<Timestamp> {
    let waited = e.now?.millis_since(i.joined_queue_at());
    super::exceptions::next_rule_due(i, e.queues.get(&i.queue)?, waited)
}

/// When an interaction's time to live in its queue runs out, if its queue has one.
fn time_to_live_end(e: &Engine, i: &Interaction) -> Option<Timestamp> {
    Some(i.joined_queue_at() + e.queues.get(&i.queue)?.time_to_live?)
}

/// Whether a queued interaction is in the routing step its time in the queue has reached.
fn step_is_current(e: &Engine, i: &Interaction) -> bool {
    let Some(queue) = e.queues.get(&i.queue) else { return false };
    let now = e.now.unwrap_or(i.joined_queue_at());
    i.steps(queue).is_empty() || i.step_due(queue, now).0 == usize::from(i.step)
}

/// When a queued interaction's routing step ends, if it has steps and its step is not the last.
fn step_end(e: &Engine, i: &Interaction) -> Option<Timestamp> {
    let (step, end) = i.step_due(e.queues.get(&i.queue)?, e.now?);
    (step == usize::from(i.step)).then_some(())?;
    end
}

/// When a queued interaction's wait reaches its queue's `max_wait`, if the queue has one.
fn deadline(e: &Engine, i: &Interaction) -> Option<Timestamp> {
    i.wait_deadline(e.queues.get(&i.queue)?)
}

/// The offers of each interaction ringing several agents, other than the
/// one its state names (see `Engine::ringing`), which must be the earliest;
/// each agent rings for it once.
fn parallel_offers(e: &Engine) -> Result<BTreeMap<InteractionId, Vec<OfferId>>, RestoreError> {
    let mut ringing: BTreeMap<InteractionId, Vec<OfferId>> = BTreeMap::new();
    let mut offers: Vec<&PendingOffer> = e.offers.values().collect();
    offers.sort_unstable_by_key(|p| p.id);
    for p in offers {
        let named = match e.interactions.get(&p.interaction).map(|i| i.state()) {
            Some(InteractionState::Offered { offer, .. }) => offer,
            _ => continue,
        };
        if named == p.id {
            continue;
        }
        let named_agent = e.offers.get(&named).map(|n| n.agent);
        let others = ringing.entry(p.interaction).or_default();
        let twice = named_agent == Some(p.agent) || others.iter().any(|o| e.offers[o].agent == p.agent);
        if named > p.id || twice {
            return Err(RestoreError::InteractionMisplaced(p.interaction));
        }
        others.push(p.id);
    }
    Ok(ringing)
}

/// Every interaction is exactly where its state says, once.
fn check_placement(e: &Engine) -> Result<(), RestoreError> {
    let mut held: BTreeMap<InteractionId, u32> = BTreeMap::new();
    let mut offers_seen: BTreeSet<OfferId> = BTreeSet::new();
    for a in e.agents() {
        for iid in a.held().connected.iter().chain(&a.held().wrap_ups) {
            *held.entry(*iid).or_default() += 1;
        }
        for o in &a.held().offers {
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
        let ok = match i.state() {
            InteractionState::Queued | InteractionState::Scheduled { .. } => n == 0,
            InteractionState::Offered { offer, agent } => {
                let parallel = e.ringing.get(&i.id).map_or(0, Vec::len);
                n as usize == 1 + parallel
                    && e.offers.get(&offer).is_some_and(|p| p.agent == agent && p.interaction == i.id)
            }
            InteractionState::Connected { agent } => {
                n == 1 && e.agents.get(&agent).is_some_and(|a| a.held().connected.contains(&i.id))
            }
            InteractionState::WrapUp { agent } => {
                n == 1 && e.agents.get(&agent).is_some_and(|a| a.held().wrap_ups.contains(&i.id))
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
