//! The engine's invariants, checked by tests after every step.

use std::collections::BTreeSet;

use super::{Engine, TimerKind};
use crate::ids::AgentId;
use crate::model::agent::Agent;
use crate::model::capacity::Load;
use crate::model::channel::{Channel, ChannelMode};
use crate::model::interaction::InteractionState;

/// A broken invariant: always a bug in switchboard, never the host's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invariant violated: {0}")]
pub struct InvariantViolation(pub String);

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(InvariantViolation(format!($($fmt)+)));
        }
    };
}

impl Engine {
    /// Checks every invariant the engine keeps. Tests call it after every
    /// step; it walks the whole state, so it costs O(state).
    ///
    /// What must hold: each live interaction is in exactly one place (one
    /// waiting list, one pending offer, one agent's connected set or one
    /// agent's wrap-ups); every agent's load equals the work it holds and is
    /// within its capacity (with interruptible work set aside, and the work
    /// that is not real-time fitting in full); an interaction is interrupted
    /// exactly when it is connected on one of its agent's interruptible
    /// channels while the agent holds real-time work; paused and logged-out agents hold no offer; the
    /// routing index matches the state; no real-time interaction waits while
    /// an agent who could take it now sits in its pool (unless the agent
    /// drains for headroom); agents recorded as draining are routable and their
    /// interaction waits; and the totals add up.
    ///
    /// # Errors
    /// An [`InvariantViolation`] describing the first broken invariant.
    pub fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let live = self.interactions.len() as u64;
        ensure!(
            live.checked_add(self.totals.ended()) == Some(self.totals.arrived),
            "totals: arrived {} != live {} + ended {}",
            self.totals.arrived,
            live,
            self.totals.ended()
        );

        // Queues are closed exactly when their calendars say, and each calendar waits for its next change.
        if let Some(now) = self.now {
            let closed: std::collections::BTreeSet<_> =
                self.queues.values().filter(|q| self.closed_by_calendar(q, now)).map(|q| q.id).collect();
            ensure!(
                &closed == self.router.closed_queues(),
                "closed queues {:?} but the calendars close {closed:?}",
                self.router.closed_queues()
            );
            for (id, cal) in &self.calendars {
                ensure!(
                    self.timers.due(TimerKind::BusinessHours(*id)) == cal.next_change(now),
                    "calendar {id}'s timer is not at its next change"
                );
            }
        }

        // A time to live runs while an interaction waits or rings in a queue that has one.
        for i in self.interactions.values() {
            let unanswered = matches!(i.state(), InteractionState::Queued | InteractionState::Offered { .. });
            let ttl = self.queues.get(&i.queue).and_then(|q| q.time_to_live).filter(|_| unanswered);
            let due = ttl.map(|ttl| i.joined_queue_at() + ttl);
            ensure!(
                self.timers.due(TimerKind::TimeToLive(i.id)) == due,
                "{}'s time-to-live timer is not at its end",
                i.id
            );
            let next_rule = self.queues.get(&i.queue).filter(|_| unanswered).and_then(|q| {
                let waited = self.now.map_or(0, |now| now.millis_since(i.joined_queue_at()));
                super::exceptions::next_rule_due(i, q, waited)
            });
            ensure!(
                self.timers.due(TimerKind::ExceptionRule(i.id)) == next_rule,
                "{}'s exception-rule timer is off",
                i.id
            );
            // It holds its step's eligibility, and keeps every step's when it has several.
            let Some(queue) = self.queues.get(&i.queue) else { continue };
            let held = self.held_sig(i.id);
            let eligibility = self.eligibility_in_step(i, queue, usize::from(i.step));
            ensure!(held.is_some() && held == self.router.sig_of(&eligibility), "{} holds another eligibility", i.id);
            let steps = i.steps(queue);
            if steps.len() > 1 {
                let expected: Vec<Option<u32>> = self
                    .eligibility_sets(queue, &i.own_requirements, steps, &i.attributes)
                    .iter()
                    .map(|e| self.router.sig_of(e))
                    .collect();
                let kept: Vec<Option<u32>> = self.router.reserved_by(i.id).iter().map(|s| Some(*s)).collect();
                ensure!(kept == expected, "{} keeps {kept:?} for its steps, which need {expected:?}", i.id);
            }
        }

        let mut queued = 0usize;
        for i in self.interactions() {
            // Interrupted exactly when connected on an interruptible channel of
            // an agent who holds real-time work.
            ensure!(
                i.interrupted_by().is_some() == self.should_be_interrupted(i),
                "{} interrupted by {:?} in state {:?}, against the rule",
                i.id,
                i.interrupted_by(),
                i.state()
            );
            match i.state() {
                InteractionState::Queued => {
                    queued += 1;
                    let sig = self.held_sig(i.id);
                    let queue = &self.queues[&i.queue];
                    let eligibility = self.eligibility_in_step(i, queue, usize::from(i.step));
                    ensure!(
                        sig.is_some() && sig == self.router.sig_of(&eligibility),
                        "{} queued without holding the signature of its eligibility",
                        i.id
                    );
                    // In the step its time in the queue has reached, with that step's requirements.
                    let steps = i.steps(queue);
                    if !steps.is_empty() {
                        let (step, due) = i.step_due(queue, self.now.unwrap_or(i.joined_queue_at()));
                        ensure!(
                            step == usize::from(i.step),
                            "{} is in step {} but has waited for step {step}",
                            i.id,
                            i.step
                        );
                        let expected = queue.requirements.union(&i.own_requirements).union(&steps[step].requirements);
                        ensure!(i.requirements == expected, "{} carries requirements not of its step", i.id);
                        ensure!(
                            self.timers.due(TimerKind::StepExpiry(i.id)) == due,
                            "{}'s step timer is not at its step's end",
                            i.id
                        );
                    }
                    let at = self.interactions.slot(&i.id).unwrap_or_default();
                    let in_list = self.router.is_waiting(i, at, sig.unwrap_or_default(), queue);
                    ensure!(in_list, "{} is queued but not in its waiting list", i.id);
                    // Overdue exactly when the bound is reached; until then its timer is set.
                    let deadline = i.wait_deadline(queue).map(|d| d.as_millis());
                    let now = self.now.map(|t| t.as_millis());
                    match deadline {
                        Some(d) if i.is_overdue() => ensure!(now.is_some_and(|n| d <= n), "{} overdue early", i.id),
                        Some(d) => ensure!(
                            self.timers.due(TimerKind::MaxWait(i.id)).map(|t| t.as_millis()) == Some(d),
                            "{} has no max-wait timer at its deadline",
                            i.id
                        ),
                        None => ensure!(!i.is_overdue(), "{} overdue in a queue without a bound", i.id),
                    }
                }
                InteractionState::Scheduled { due } => {
                    let sig = self.held_sig(i.id);
                    let queue = &self.queues[&i.queue];
                    ensure!(
                        sig.is_none_or(|s| {
                            let at = self.interactions.slot(&i.id).unwrap_or_default();
                            !self.router.is_waiting(i, at, s, queue)
                        }),
                        "{} is scheduled but in a waiting list",
                        i.id
                    );
                    ensure!(
                        i.channel == crate::Channel::Callback && i.queue_entered_at == due,
                        "{} is scheduled but not a callback entering at its due time",
                        i.id
                    );
                    ensure!(
                        self.timers.due(TimerKind::CallbackDue(i.id)) == Some(due),
                        "{} is scheduled without its due timer",
                        i.id
                    );
                }
                InteractionState::Offered { offer, agent } => {
                    let p = self.offers.get(&offer);
                    ensure!(
                        p.is_some_and(|p| p.interaction == i.id && p.agent == agent),
                        "{} offered by {offer} which does not match",
                        i.id
                    );
                    ensure!(
                        self.agents.get(&agent).is_some_and(|a| a.held().offers.contains(&offer)),
                        "{agent} does not hold {offer}"
                    );
                    ensure!(self.timers.due(TimerKind::OfferTimeout(offer)).is_some(), "{offer} has no timeout");
                    // A parallel offer: the state names the earliest, and each agent rings once.
                    let others = self.ringing.get(&i.id).map_or(&[][..], Vec::as_slice);
                    ensure!(
                        others.first().is_none_or(|first| *first > offer) && others.windows(2).all(|w| w[0] < w[1]),
                        "{} names {offer}, not its earliest offer",
                        i.id
                    );
                    let agents: BTreeSet<AgentId> =
                        self.offers_of(i.id).iter().filter_map(|o| self.offers.get(o)).map(|p| p.agent).collect();
                    ensure!(agents.len() == others.len() + 1, "{} rings an agent twice", i.id);
                }
                InteractionState::Connected { agent } => {
                    ensure!(
                        self.agents.get(&agent).is_some_and(|a| a.held().connected.contains(&i.id)),
                        "{} connected to {agent} who does not hold it",
                        i.id
                    );
                }
                InteractionState::WrapUp { agent } => {
                    ensure!(
                        self.agents.get(&agent).is_some_and(|a| a.held().wrap_ups.contains(&i.id)),
                        "{} in wrap-up with {agent} who does not hold it",
                        i.id
                    );
                    let untimed = i.wrap_up_state().mode == crate::model::wrap_up::WrapUpMode::Untimed;
                    ensure!(
                        self.timers.due(TimerKind::WrapUpEnd(i.id)).is_some() != untimed,
                        "{} in wrap-up without a timer, or untimed with one",
                        i.id
                    );
                }
            }
        }
        let (listed, in_lists) = self.router.waiting_counts();
        ensure!(
            listed == queued && in_lists == queued,
            "waiting lists hold {in_lists} (counted {listed}) but {queued} are queued"
        );

        for p in self.offers() {
            let state = self.interactions.get(&p.interaction).map(|i| i.state());
            let named = state == Some(InteractionState::Offered { offer: p.id, agent: p.agent });
            let parallel = matches!(state, Some(InteractionState::Offered { .. }))
                && self.ringing.get(&p.interaction).is_some_and(|o| o.contains(&p.id));
            ensure!(named || parallel, "{} points at {} in state {state:?}", p.id, p.interaction);
        }
        for (iid, others) in &self.ringing {
            ensure!(!others.is_empty(), "{iid} has an empty list of parallel offers");
            ensure!(
                others.iter().all(|o| self.offers.get(o).is_some_and(|p| p.interaction == *iid)),
                "{iid} lists a parallel offer that is not pending for it"
            );
        }

        for a in self.agents() {
            let mut load = Load::default();
            let mut count = 0usize;
            for offer in &a.held().offers {
                let p = self.offers.get(offer);
                ensure!(p.is_some_and(|p| p.agent == a.id()), "{} holds {offer} which is not theirs", a.id());
                load.reserve(&a.config.capacity, p.map(|p| p.channel).unwrap_or(crate::Channel::Voice));
                count += 1;
            }
            for iid in a.held().connected.iter().chain(&a.held().wrap_ups) {
                let i = self.interactions.get(iid);
                let expected =
                    [InteractionState::Connected { agent: a.id() }, InteractionState::WrapUp { agent: a.id() }];
                ensure!(
                    i.is_some_and(|i| expected.contains(&i.state())),
                    "{} holds {iid} which is not with them",
                    a.id()
                );
                load.reserve(&a.config.capacity, i.map(|i| i.channel).unwrap_or(crate::Channel::Voice));
                count += 1;
            }
            ensure!(load == a.load, "{} load {:?} != held work {:?}", a.id(), a.load, load);
            ensure!(
                a.held().talking_since.is_some() != a.held().connected.is_empty()
                    && a.held().talking_since.is_none_or(|t| self.now.is_some_and(|now| t <= now)),
                "{} talking since {:?} holding {} connected",
                a.id(),
                a.held().talking_since,
                a.held().connected.len()
            );
            ensure!(count == a.load.items() as usize, "{} holds an interaction twice", a.id());
            ensure!(self.load_fits(a), "{} over capacity: {:?}", a.id(), a.load);
            ensure!(a.is_routable() || a.held().offers.is_empty(), "{} is not routable but holds offers", a.id());
            ensure!(
                a.reported_presence == a.presence(),
                "{} presence {:?} was reported as {:?}",
                a.id(),
                a.presence(),
                a.reported_presence
            );
        }

        // Agents held back by headroom are routed again when their interaction
        // leaves its list, so each record names a routable agent and a waiting interaction.
        ensure!(self.router.drained.consistent(), "the records of draining agents disagree");
        for (a, i) in self.router.drained.iter() {
            ensure!(self.agents.get(&a).is_some_and(|a| a.is_routable()), "drained {a} is not routable");
            ensure!(
                self.interactions.get(&i).is_some_and(|i| i.is_queued()),
                "{a} is recorded as draining for {i}, which does not wait"
            );
        }

        self.check_index()
    }

    /// The channel of each piece of work `a` holds: offers ringing, interactions connected and
    /// in wrap-up (what their load must be made of).
    pub(super) fn held_channels<'a>(&'a self, a: &'a Agent) -> impl Iterator<Item = Channel> + 'a {
        let held = a.held();
        let offered = held.offers.iter().filter_map(|o| self.offers.get(o).map(|p| p.channel));
        let working = held.connected.iter().chain(&held.wrap_ups);
        offered.chain(working.filter_map(|i| self.interactions.get(i).map(|i| i.channel)))
    }

    /// Whether an agent's load fits their profile: with interruptible work set
    /// aside (real-time work may be taken on top of it), and, for the work
    /// that is not real-time, with nothing set aside (it was taken when
    /// everything held counted).
    pub(super) fn load_fits(&self, a: &Agent) -> bool {
        let profile = &a.config.capacity;
        if !a.load.within(profile) {
            return false;
        }
        let mut rest = Load::default();
        for channel in self.held_channels(a).filter(|c| self.config.channel_mode(*c) != Some(ChannelMode::RealTime)) {
            rest.reserve(profile, channel);
        }
        rest.within_in_full(profile)
    }

    /// The routing index against the state it is derived from.
    fn check_index(&self) -> Result<(), InvariantViolation> {
        let now = self.now.unwrap_or_default();
        let never = self.config.never_reoffer_to_decliners();
        self.router.check(&self.agents, &self.interactions, &self.queues, never, now).map_err(InvariantViolation)
    }
}
