//! The discrete-event simulation loop. Its only model of routing is the
//! engine itself: it feeds commands at simulated times and reacts to the
//! events it polls, as customers and agents' desktops would.

use std::time::Duration;

use super::calendar::Calendar;
use super::customers::HandleTimes;
use super::limits::RunOptions;
use super::random::SimRng;
use super::rules::{ActionSpec, TriggerSpec};
use super::scenario::{ArrivalSpec, Scenario, ScenarioError, SkillLevel};
use crate::command::{Command, NewInteraction};
use crate::config::{EngineConfig, Limits};
use crate::engine::Engine;
use crate::event::{Event, EventKind};
use crate::ids::{AgentId, CalendarId, CustomerId, InteractionId, OfferId, QueueId, ReasonCode, SkillId};
use crate::model::agent::{AgentConfig, QueueMembership};
use crate::model::attributes::Attributes;
use crate::model::capacity::{CapacityProfile, ChannelCapacity};
use crate::model::expression::AgentAttributes;
use crate::model::interaction::InteractionState;
use crate::model::queue::{Aging, QueueConfig};
use crate::model::skill::{Proficiency, Requirements, SkillSet};
use crate::model::step::{AdmissionRule, AdmissionTrigger, ExceptionAction, ExceptionRule, WhenEmpty};
use crate::sla::ServiceLevelTarget;
use crate::time::Timestamp;

/// The pause reason the simulator uses for scheduled breaks.
pub const BREAK_REASON: ReasonCode = ReasonCode(1);

/// Something that watches a simulation's events as they happen (statistics, a log, a chart).
pub trait Observer {
    /// Called for every event, in order, with the engine as it is after the event's command.
    fn observe(&mut self, event: &Event, engine: &Engine);
}

impl<F: FnMut(&Event, &Engine)> Observer for F {
    fn observe(&mut self, event: &Event, engine: &Engine) {
        self(event, engine)
    }
}

/// What the simulated world does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    /// The next arrival of stream `n`.
    Arrival(usize),
    /// One interaction of stream `n`'s backlog, waiting at the start.
    Backlog(usize),
    /// An agent answers an offer.
    Answer(AgentId, OfferId),
    /// The conversation ends.
    HangUp(AgentId, InteractionId),
    /// The customer gives up.
    GiveUp(InteractionId),
    /// A customer comes back about a case, as a contact of stream `n`.
    Repeat(usize, crate::ids::CaseId, CustomerId),
    /// A waiting caller of stream `n` is offered a callback.
    CallbackOffer(usize, InteractionId),
    /// Shift and break changes.
    Login(AgentId),
    Logout(AgentId),
    BreakStart(AgentId),
    BreakEnd(AgentId),
    /// An agent paused for missing an offer gets back to work.
    MissedOfferPauseEnds(AgentId),
}

/// Counts from one run, for progress and sanity checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Interactions that arrived during the period.
    pub arrived: u64,
    /// Arrivals the engine refused (a full queue, a limit reached): counted
    /// here so that no customer the scenario sent goes missing from the report.
    pub refused_arrivals: u64,
    /// Commands the engine accepted.
    pub commands: u64,
    /// Events the engine emitted.
    pub events: u64,
    /// Interactions still live when the period ended.
    pub open_at_end: u64,
    /// Steps taken, as [`SimLimits::max_steps`](super::SimLimits::max_steps) counts them.
    pub steps: u64,
    /// When the run stopped early, having reached
    /// [`SimLimits::max_steps`](super::SimLimits::max_steps): the simulated
    /// time it stopped at. `None` when it ran the whole period.
    pub stopped_at: Option<Timestamp>,
    /// Repeat contacts that arrived ([`RepeatSpec`](super::RepeatSpec)), part of `arrived`.
    pub repeat_contacts: u64,
    /// Offers made to a case's owner while the contact waited for them
    /// ([`PreferenceKind::CaseOwner`](crate::PreferenceKind::CaseOwner)).
    pub case_owner_offers: u64,
    /// Callers who took a callback ([`CallbackOfferSpec`](super::CallbackOfferSpec)).
    pub callbacks_taken: u64,
    /// Offers of a ring-all withdrawn because another agent answered first
    /// ([`QueueSpec::parallel_offers`](super::QueueSpec::parallel_offers)).
    pub rescinded_offers: u64,
}

/// RNG stream numbers: one per purpose, so draws for one purpose never shift another's.
const BEHAVIOUR_STREAM: u64 = 1;
fn stream(arrival: usize, purpose: u64) -> u64 {
    1_000 + arrival as u64 * 16 + purpose
}

/// One simulation run: a scenario, a seed and the engine they drive.
pub struct Simulation<'s> {
    scenario: &'s Scenario,
    engine: Engine,
    start: Timestamp,
    end: Timestamp,
    now: Timestamp,
    calendar: Calendar<Happening>,
    next_interaction: u64,
    arrival_rngs: Vec<[SimRng; 4]>,
    behaviour: SimRng,
    /// Handle times of live interactions: looked up, never iterated.
    customers: HandleTimes,
    /// First contacts of streams with repeat contacts: their stream, case and customer.
    cases: std::collections::BTreeMap<InteractionId, (usize, crate::ids::CaseId, CustomerId)>,
    /// Per stream, the draws of its repeat contacts (a stream of their own).
    repeat_rngs: Vec<SimRng>,
    /// Per stream, the draws of its callers' callback take-up (a stream of their own).
    callback_rngs: Vec<SimRng>,
    /// Callers who took a callback: no longer on the line, so they do not abandon.
    called_back: std::collections::BTreeSet<InteractionId>,
    summary: RunSummary,
    max_steps: u64,
}

impl<'s> Simulation<'s> {
    /// Sets up the engine for a scenario: skills, queues, agents (logged in
    /// at their shift start) and the first arrival of each stream, under the
    /// default [`RunOptions`].
    ///
    /// # Errors
    /// [`ScenarioError`] when the scenario is invalid, beyond a default limit
    /// ([`SimLimits`](super::SimLimits)), or the engine refuses its topology.
    pub fn new(scenario: &'s Scenario, seed: u64) -> Result<Self, ScenarioError> {
        Simulation::with_options(scenario, seed, &RunOptions::default())
    }

    /// Like [`Simulation::new`], under the given options: the scenario is
    /// validated and checked against the options' limits before anything is
    /// set up.
    ///
    /// # Errors
    /// [`ScenarioError`] when the scenario is invalid, beyond a limit, or the
    /// engine refuses its topology.
    pub fn with_options(scenario: &'s Scenario, seed: u64, options: &RunOptions) -> Result<Self, ScenarioError> {
        scenario.validate()?;
        scenario.check_limits(&options.limits)?;
        let limits = Limits { max_interactions: 10_000_000, max_waiting_per_queue: 10_000_000, ..Limits::default() };
        let config = EngineConfig::builder()
            .offer_timeout(Duration::from_secs(scenario.offer_timeout_secs))
            .blending(scenario.blending)
            .blend_horizon(Duration::from_secs(scenario.blend_horizon_secs))
            // The run's seed also draws the random agent-selection strategies.
            .routing_seed(seed)
            .limits(limits)
            .build()
            .map_err(|e| ScenarioError::Invalid { field: "engine".into(), problem: e.to_string() })?;
        let start = Timestamp::from(scenario.start);
        let mut sim = Simulation {
            scenario,
            engine: Engine::new(config),
            start,
            end: start + Duration::from_secs(u64::from(scenario.duration_min) * 60),
            now: start,
            calendar: Calendar::new(start),
            next_interaction: 1,
            arrival_rngs: (0..scenario.arrivals.len())
                .map(|i| [0, 1, 2, 3].map(|purpose| SimRng::new(seed, stream(i, purpose))))
                .collect(),
            behaviour: SimRng::new(seed, BEHAVIOUR_STREAM),
            customers: HandleTimes::default(),
            cases: std::collections::BTreeMap::new(),
            repeat_rngs: (0..scenario.arrivals.len()).map(|i| SimRng::new(seed, stream(i, 4))).collect(),
            callback_rngs: (0..scenario.arrivals.len()).map(|i| SimRng::new(seed, stream(i, 5))).collect(),
            called_back: std::collections::BTreeSet::new(),
            summary: RunSummary::default(),
            max_steps: options.limits.max_steps,
        };
        sim.build_topology()?;
        Ok(sim)
    }

    /// The engine being driven.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// When the simulated period starts.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// When the simulated period ends.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// Runs one set-up command; a refusal names `what` was set up, as the
    /// scenario's path (`queues[1]`).
    fn setup(&mut self, what: impl FnOnce() -> String, command: Command) -> Result<(), ScenarioError> {
        self.engine.handle(command, self.start).map_err(|error| ScenarioError::Refused { what: what(), error })?;
        self.summary.commands += 1;
        Ok(())
    }

    fn build_topology(&mut self) -> Result<(), ScenarioError> {
        let s = self.scenario;
        for (i, skill) in s.skills.iter().enumerate() {
            let add = Command::AddSkill { skill: SkillId(skill.id), name: skill.name.clone() };
            self.setup(|| format!("skills[{i}]"), add)?;
        }
        for (i, a) in s.agent_attributes.iter().enumerate() {
            let add = Command::AddAgentAttribute { name: a.name.clone(), kind: a.kind };
            self.setup(|| format!("agent_attributes[{i}]"), add)?;
        }
        for (i, c) in s.calendars.iter().enumerate() {
            let add = Command::AddCalendar { calendar: CalendarId(c.id), hours: c.hours.clone() };
            self.setup(|| format!("calendars[{i}]"), add)?;
        }
        for (i, q) in s.queues.iter().enumerate() {
            let config = QueueConfig {
                id: QueueId(q.id),
                name: q.name.clone(),
                channels: q.channels.clone(),
                requirements: requirements(&q.requirements, "queue requirements")?,
                service_level: ServiceLevelTarget::new(q.sla.percent, Duration::from_secs(q.sla.secs)),
                priority: q.priority,
                strategy: q.strategy,
                wrap_up: Duration::from_secs(q.wrap_up_secs),
                wrap_up_mode: q.wrap_up_mode,
                aging: Aging { points_per_minute: q.aging_per_minute },
                max_waiting: None,
                offer_timeout: None,
                max_wait: q.max_wait_secs.map(Duration::from_secs),
                case_owner_wait: q.case_owner_wait_secs.map(Duration::from_secs),
                callback_attempts: 3,
                callback_retry_after: Duration::from_secs(300),
                scheduled_callback_boost: 0,
                parallel_offers: q.parallel_offers,
                wrap_up_extension: None,
                default_disposition: None,
                time_to_live: q.time_to_live_secs.map(Duration::from_secs),
                eligibility: q.eligibility.clone(),
                calendar: q.calendar.map(CalendarId),
                when_closed: q.when_closed,
                admission_rules: q
                    .admission_rules
                    .iter()
                    .map(|r| {
                        let when = match r.when {
                            TriggerSpec::QueueLength(n) => AdmissionTrigger::QueueLength(n),
                            TriggerSpec::EstimatedWaitSecs(secs) => {
                                AdmissionTrigger::EstimatedWait(Duration::from_secs(secs))
                            }
                            TriggerSpec::NoAgents(staffed) => AdmissionTrigger::NoAgents(staffed),
                        };
                        Ok(AdmissionRule::new(when, action(&r.action)?))
                    })
                    .collect::<Result<_, ScenarioError>>()?,
                when_empty: match &q.when_empty {
                    Some(rule) => Some(WhenEmpty::new(rule.nobody, action(&rule.action)?)),
                    None => None,
                },
                // The overflows' moves first, then the other rules, each list in order.
                exception_rules: q
                    .overflow
                    .iter()
                    .map(|o| {
                        Ok(ExceptionRule::new(
                            Duration::from_secs(o.after_secs),
                            ExceptionAction::Move { queue: QueueId(o.queue), keep_place: o.keep_place },
                        ))
                    })
                    .chain(
                        q.exception_rules
                            .iter()
                            .map(|r| Ok(ExceptionRule::new(Duration::from_secs(r.after_secs), action(&r.action)?))),
                    )
                    .collect::<Result<_, ScenarioError>>()?,
                steps: q
                    .steps
                    .iter()
                    .map(|step| {
                        Ok(crate::model::step::RoutingStep {
                            requirements: requirements(&step.requirements, "queue step requirements")?,
                            eligibility: step.eligibility.clone(),
                            priority_boost: step.priority_boost,
                            expires_after: step.expires_after_secs.map(Duration::from_secs),
                        })
                    })
                    .collect::<Result<_, ScenarioError>>()?,
                all_declined: crate::AllDeclined::Wait,
            };
            self.setup(|| format!("queues[{i}]"), Command::AddQueue(config))?;
        }
        let mut next_agent = 1;
        for (k, g) in s.agent_groups.iter().enumerate() {
            let mut capacity = CapacityProfile::new(g.total_units);
            for c in &g.capacity {
                capacity = capacity.with_channel(
                    c.channel,
                    ChannelCapacity::new(c.max).with_units(c.units).with_exclusive(c.exclusive),
                );
            }
            let skills = SkillSet::from_pairs(
                g.skills
                    .iter()
                    .map(|l| Ok((SkillId(l.skill), level(l, "agent skills")?)))
                    .collect::<Result<Vec<_>, ScenarioError>>()?,
            );
            let shift_end = g.shift_end_min.unwrap_or(s.duration_min);
            for n in 0..g.count {
                let id = AgentId(next_agent);
                next_agent += 1;
                let mut attributes = AgentAttributes::new();
                for (name, values) in &g.attributes {
                    // Validation refuses empty lists, the only way to have no value.
                    if let Some(value) = values.value_for(n) {
                        attributes = attributes.with(name.clone(), value.clone());
                    }
                }
                let mut config =
                    AgentConfig::new(id, capacity.clone()).with_skills(skills.clone()).with_attributes(attributes);
                for m in &g.queues {
                    let mut membership = QueueMembership::new(QueueId(m.queue))
                        .with_delay(Duration::from_secs(m.delay_secs))
                        .with_position(m.position)
                        .with_weight(m.weight);
                    membership.priority = m.priority;
                    config = config.with_queue(membership);
                }
                self.setup(|| format!("agent_groups[{k}]"), Command::AddAgent(config))?;
                self.schedule(self.minute(g.shift_start_min), Happening::Login(id));
                self.schedule(self.minute(shift_end), Happening::Logout(id));
                for b in &g.breaks {
                    // In u64: a product of two u32 minutes cannot wrap there (validation
                    // also keeps every break within the period).
                    let slot = u64::from(n % b.stagger_groups);
                    let at = u64::from(b.start_min).saturating_add(slot.saturating_mul(u64::from(b.stagger_min)));
                    let back = at.saturating_add(u64::from(b.duration_min));
                    // A break outside this agent's shift is skipped.
                    if at >= u64::from(g.shift_start_min) && back <= u64::from(shift_end) {
                        self.schedule(self.minute(at), Happening::BreakStart(id));
                        self.schedule(self.minute(back), Happening::BreakEnd(id));
                    }
                }
            }
        }
        for (i, a) in s.arrivals.iter().enumerate() {
            for _ in 0..a.backlog {
                self.schedule(self.start, Happening::Backlog(i));
            }
            self.schedule_next_arrival(i, self.start);
        }
        Ok(())
    }

    /// `min` minutes after the start; `Timestamp + Duration` saturates at the end of time.
    fn minute(&self, min: impl Into<u64>) -> Timestamp {
        self.start + Duration::from_secs(min.into().saturating_mul(60))
    }

    /// Schedules `what` at `at`. Nothing at or after the end of the period
    /// ever happens (the run stops there), so it is not kept.
    fn schedule(&mut self, at: Timestamp, what: Happening) {
        if at < self.end {
            self.calendar.schedule(at, what);
        }
    }

    /// The next arrival of a stream after `from`: a non-homogeneous Poisson
    /// process with piecewise-constant rates, drawn piece by piece (the
    /// exponential is memoryless, so restarting at a piece boundary is exact).
    ///
    /// A stream whose rate is tiny crosses every piece of the curve without
    /// an arrival; `SimLimits::max_curve_pieces` bounds that walk.
    fn schedule_next_arrival(&mut self, i: usize, from: Timestamp) {
        let spec = &self.scenario.arrivals[i];
        // Validation keeps `curve_interval_min` ≥ 1; `max(1)` keeps a division by zero impossible anyway.
        let piece_ms = i64::from(spec.curve_interval_min.max(1)) * 60_000;
        let mut t = from.millis_since(self.start);
        let end = self.end.millis_since(self.start);
        while t < end {
            let piece = usize::try_from(t / piece_ms).unwrap_or(usize::MAX);
            let rate = spec.per_hour.get(piece).or(spec.per_hour.last()).copied().unwrap_or(0.0);
            if rate <= 0.0 && piece >= spec.per_hour.len().saturating_sub(1) {
                // The last rate holds to the end: no arrival will ever come.
                return;
            }
            let piece_end = (t / piece_ms).saturating_add(1).saturating_mul(piece_ms);
            if rate > 0.0 {
                // Compared as a float: a gap drawn at a tiny rate can exceed any i64 (and
                // `as i64` would saturate it, and `t + gap` overflow).
                let gap_ms = self.arrival_rngs[i][0].exponential(3_600_000.0 / rate).round();
                if gap_ms < (piece_end - t) as f64 {
                    // Within the piece, so the sum stays below `piece_end`.
                    let at = after_ms(self.start, (t + gap_ms as i64).max(0) as u64);
                    if at < self.end {
                        self.schedule(at, Happening::Arrival(i));
                    }
                    return;
                }
            }
            t = piece_end;
        }
    }

    /// Runs the whole period, passing every event to `observer`.
    ///
    /// A run that reaches [`SimLimits::max_steps`](super::SimLimits::max_steps)
    /// stops there and says so in [`RunSummary::stopped_at`];
    /// [`simulate`](super::simulate) turns that into
    /// [`ScenarioError::OutOfSteps`].
    pub fn run(mut self, observer: &mut dyn Observer) -> RunSummary {
        self.drain_events(observer);
        loop {
            if self.summary.steps >= self.max_steps {
                self.summary.stopped_at = Some(self.now);
                break;
            }
            self.summary.steps += 1;
            let next_happening = self.calendar.next_due();
            let next_timer = self.engine.poll_timeout();
            let next = match (next_happening, next_timer) {
                (Some(h), Some(t)) => h.min(t),
                (Some(h), None) => h,
                (None, Some(t)) => t,
                (None, None) => break,
            };
            if next >= self.end {
                break;
            }
            self.now = next;
            self.calendar.advance(next);
            if next_timer == Some(next) {
                // Engine timers first at equal times: they are older than anything the world does now.
                self.engine.handle_timeout(next).expect("simulated time never runs backwards");
            } else {
                let what = self.calendar.pop().expect("next_due said something is due");
                self.happen(what);
            }
            self.drain_events(observer);
        }
        self.summary.open_at_end = self.engine.interactions().count() as u64;
        self.summary
    }

    fn command(&mut self, command: Command) -> bool {
        let ok = self.engine.handle(command, self.now).is_ok();
        self.summary.commands += u64::from(ok);
        ok
    }

    fn happen(&mut self, what: Happening) {
        match what {
            Happening::Backlog(i) => self.arrive(i),
            Happening::Arrival(i) => {
                self.arrive(i);
                self.schedule_next_arrival(i, self.now);
            }
            Happening::Answer(agent, offer) => {
                if self.engine.offer(offer).is_some() {
                    self.command(Command::Accept { agent, offer });
                }
            }
            Happening::HangUp(agent, interaction) => {
                if self.engine.interaction(interaction).map(|i| i.state())
                    == Some(InteractionState::Connected { agent })
                {
                    self.command(Command::Complete { agent, interaction });
                }
            }
            Happening::Repeat(i, case, customer) => self.arrive_as(i, Some((case, customer))),
            Happening::CallbackOffer(i, interaction) => self.offer_callback(i, interaction),
            Happening::GiveUp(interaction) => {
                // A caller who took a callback has hung up: nobody is there to give up.
                let waiting = !self.called_back.contains(&interaction)
                    && matches!(
                        self.engine.interaction(interaction).map(|i| i.state()),
                        Some(InteractionState::Queued | InteractionState::Offered { .. })
                    );
                if waiting {
                    self.command(Command::Abandon { interaction });
                }
            }
            Happening::Login(agent) => {
                self.command(Command::Login { agent });
            }
            Happening::Logout(agent) => {
                self.command(Command::Logout { agent });
            }
            Happening::BreakStart(agent) => {
                self.command(Command::Pause { agent, reason: BREAK_REASON });
            }
            Happening::BreakEnd(agent) => {
                self.command(Command::Resume { agent });
            }
            Happening::MissedOfferPauseEnds(agent) => {
                let paused = self.engine.agent(agent).map(|a| a.presence());
                if paused
                    == Some(crate::Presence::Paused(self.engine.config().missed_offer_pause().unwrap_or(BREAK_REASON)))
                {
                    self.command(Command::Resume { agent });
                }
            }
        }
    }

    /// A customer of stream `i` arrives: handle time, patience and attributes
    /// come from the stream's own generators, so two routing configurations
    /// run with one seed see exactly the same customers.
    fn arrive(&mut self, i: usize) {
        self.arrive_as(i, None);
    }

    /// A customer of stream `i` arrives, about a case they contacted before
    /// (`repeat`: the case and the customer) or, in a stream with repeat
    /// contacts, opening a case of their own.
    fn arrive_as(&mut self, i: usize, repeat: Option<(crate::ids::CaseId, CustomerId)>) {
        let spec: &ArrivalSpec = &self.scenario.arrivals[i];
        let [_, handle_rng, patience_rng, attribute_rng] = &mut self.arrival_rngs[i];
        let handle_ms = millis(spec.handle.sample(handle_rng)).max(1);
        let patience_ms = spec.patience.as_ref().map(|p| millis(p.sample(patience_rng)));
        let mut attributes = Attributes::new();
        let mut needs = Vec::new();
        for attr in &spec.attributes {
            let total: f64 = attr.values.iter().map(|v| v.weight).sum();
            let mut x = attribute_rng.uniform() * total;
            let value = attr.values.iter().find(|v| {
                x -= v.weight;
                x < 0.0
            });
            if let Some(value) = value.or(attr.values.last()) {
                attributes.insert(attr.key.clone(), value.value.clone());
                needs.extend(value.requires.iter().copied());
            }
        }
        let id = InteractionId(self.next_interaction);
        self.next_interaction += 1;
        // Most streams draw no requirement: skip building (and sorting) an empty set.
        let reqs =
            if needs.is_empty() { Ok(Requirements::none()) } else { requirements(&needs, "attribute requirements") };
        let Ok(reqs) = reqs else {
            self.summary.refused_arrivals += 1;
            return;
        };
        let (case, customer) = match repeat {
            Some((case, customer)) => (Some(case), customer),
            // The first contact's id names its case.
            None => (spec.repeat.map(|_| crate::ids::CaseId(id.0)), CustomerId(id.0)),
        };
        let mut new = NewInteraction::new(id, spec.channel, QueueId(spec.queue), customer)
            .with_priority(spec.priority)
            .with_requirements(reqs)
            .with_attributes(attributes);
        if let Some(case) = case {
            new = new.with_case(case);
        }
        if self.command(Command::Arrive(new)) {
            self.summary.arrived += 1;
            self.summary.repeat_contacts += u64::from(repeat.is_some());
            if let (None, Some(case)) = (repeat, case) {
                self.cases.insert(id, (i, case, customer));
            }
            self.customers.insert(id, handle_ms);
            if let Some(p) = patience_ms {
                self.schedule(after_ms(self.now, p), Happening::GiveUp(id));
            }
            if let Some(c) = self.scenario.arrivals[i].callback {
                self.schedule(after_ms(self.now, c.after_secs.saturating_mul(1_000)), Happening::CallbackOffer(i, id));
            }
        } else {
            self.summary.refused_arrivals += 1;
        }
    }

    /// Passes events to the observer and reacts to them as agents and customers would.
    fn drain_events(&mut self, observer: &mut dyn Observer) {
        while let Some(event) = self.engine.poll_event() {
            self.summary.events += 1;
            self.summary.steps += 1;
            observer.observe(&event, &self.engine);
            // By reference: an offer is most of an event's size, and nothing here needs to own it.
            match &event.kind {
                EventKind::InteractionOffered(offer) => {
                    let owner =
                        offer.explanation.preference == Some(crate::model::preference::PreferenceKind::CaseOwner);
                    self.summary.case_owner_offers += u64::from(owner);
                    self.ring(offer.agent, offer.id, event.at);
                }
                EventKind::OfferWithdrawn { reason: crate::WithdrawReason::Rescinded, .. } => {
                    self.summary.rescinded_offers += 1;
                }
                EventKind::OfferAccepted { interaction, agent, .. } => {
                    if let Some(handle_ms) = self.customers.get(*interaction) {
                        self.schedule(after_ms(event.at, handle_ms), Happening::HangUp(*agent, *interaction));
                    }
                }
                EventKind::AgentPresenceChanged { agent, presence: crate::Presence::Paused(r), .. }
                    if *r != BREAK_REASON =>
                {
                    // An agent paused for a missed offer gets back to work a little later.
                    self.schedule(event.at + Duration::from_secs(30), Happening::MissedOfferPauseEnds(*agent));
                }
                EventKind::InteractionEnded { interaction, outcome, .. } => {
                    self.customers.remove(*interaction);
                    self.called_back.remove(interaction);
                    if let Some((i, case, customer)) = self.cases.remove(interaction) {
                        if matches!(outcome, crate::model::interaction::Outcome::Handled { .. }) {
                            self.maybe_repeat(i, case, customer, event.at);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl Simulation<'_> {
    /// A caller of stream `i` still waiting (or ringing) is offered a callback,
    /// and takes it with the stream's take-up.
    fn offer_callback(&mut self, i: usize, interaction: InteractionId) {
        let Some(offer) = self.scenario.arrivals[i].callback else { return };
        let waiting = matches!(
            self.engine.interaction(interaction).map(|x| x.state()),
            Some(InteractionState::Queued | InteractionState::Offered { .. })
        );
        if !waiting || !self.callback_rngs[i].chance(offer.take_up) {
            return;
        }
        if self.command(Command::ConvertToCallback { interaction }) {
            self.called_back.insert(interaction);
            self.summary.callbacks_taken += 1;
        }
    }

    /// A handled first contact of stream `i` comes back, with the stream's
    /// repeat share, within its window, as a contact of its `as_arrival`.
    fn maybe_repeat(&mut self, i: usize, case: crate::ids::CaseId, customer: CustomerId, ended: Timestamp) {
        let Some(repeat) = self.scenario.arrivals[i].repeat else { return };
        let rng = &mut self.repeat_rngs[i];
        if !rng.chance(repeat.share) {
            return;
        }
        let delay_ms = (rng.uniform() * repeat.within_secs as f64 * 1_000.0) as u64;
        self.schedule(after_ms(ended, delay_ms), Happening::Repeat(repeat.as_arrival, case, customer));
    }

    /// An offer rings on an agent's desktop: they miss it with the
    /// scenario's probability, or answer after a drawn delay.
    fn ring(&mut self, agent: AgentId, offer: OfferId, at: Timestamp) {
        if self.behaviour.chance(self.scenario.missed_offer_probability) {
            return;
        }
        let delay = self.scenario.answer_delay.sample(&mut self.behaviour);
        self.schedule(after_ms(at, millis(delay)), Happening::Answer(agent, offer));
    }
}

/// `ms` milliseconds after `t`, saturating at the end of time: exactly
/// `t + Duration::from_millis(ms)`, without the round trip through seconds
/// and nanoseconds on every arrival.
fn after_ms(t: Timestamp, ms: u64) -> Timestamp {
    Timestamp::from_millis(t.as_millis().saturating_add(i64::try_from(ms).unwrap_or(i64::MAX)))
}

/// Seconds drawn from a distribution as whole milliseconds. `as` saturates
/// (and maps NaN to 0), so a huge draw becomes the end of time, never a wrap;
/// validation keeps draws far below that anyway.
fn millis(secs: f64) -> u64 {
    (secs * 1000.0).round() as u64
}

fn level(l: &SkillLevel, field: &str) -> Result<Proficiency, ScenarioError> {
    Proficiency::new(l.level).ok_or_else(|| ScenarioError::Invalid {
        field: field.to_string(),
        problem: format!("level {} of skill {} must be 1 to 5", l.level, l.skill),
    })
}

fn requirements(levels: &[SkillLevel], field: &str) -> Result<Requirements, ScenarioError> {
    let pairs = levels.iter().map(|l| Ok((SkillId(l.skill), level(l, field)?))).collect::<Result<Vec<_>, _>>()?;
    Ok(Requirements::from_pairs(pairs))
}

/// A queue rule's action as the engine takes it.
fn action(spec: &ActionSpec) -> Result<ExceptionAction, ScenarioError> {
    Ok(match spec {
        ActionSpec::Alert => ExceptionAction::Alert,
        ActionSpec::Move { queue, keep_place } => {
            ExceptionAction::Move { queue: QueueId(*queue), keep_place: *keep_place }
        }
        ActionSpec::SetPriority(priority) => ExceptionAction::SetPriority(*priority),
        ActionSpec::ChangeRequirements { add, drop } => ExceptionAction::ChangeRequirements {
            add: requirements(add, "rule requirements")?,
            drop: drop.iter().map(|s| SkillId(*s)).collect(),
        },
        ActionSpec::End(diversion) => ExceptionAction::End(*diversion),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_ms_is_adding_a_duration() {
        for t in [0, 1_767_225_600_000, Timestamp::MAX.as_millis(), i64::MAX - 5] {
            for ms in [0, 1, 999, 1_000, 180_000, u64::from(u32::MAX), i64::MAX as u64, u64::MAX] {
                let t = Timestamp::from_millis(t);
                assert_eq!(after_ms(t, ms), t + Duration::from_millis(ms), "{t:?} + {ms} ms");
            }
        }
    }
}
