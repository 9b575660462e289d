//! The running state behind the live figures: tallies per queue, channel,
//! skill and attribute value, updated in O(1) (plus O(log n) set upkeep) per
//! event, and a tracker per live interaction.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::breakdown::{BreakdownValue, Breakdowns};
use super::figures::{
    AgentCounters, AgentCounts, ContactCounters, ContactFigures, InQueue, ResponseReading, Scope, ServiceLevelReading,
};
use super::quantile::WaitSketch;
use super::record::InteractionRecord;
use crate::ids::{AgentId, InteractionId, QueueId, SkillId};
use crate::model::agent::{Agent, Presence};
use crate::model::channel::Channel;
use crate::serde_forms::counter_millis;
use crate::sla::{ResponseTarget, ServiceLevelCounts, ServiceLevelDefinition, ServiceLevelFormula};
use crate::time::Timestamp;

/// Contacts and agents of one queue, channel or skill.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tally {
    pub(crate) counters: ContactCounters,
    pub(crate) answer_waits: WaitSketch,
    pub(crate) waiting: u64,
    pub(crate) ringing: u64,
    pub(crate) at_interval_start: u64,
    /// Contacts in queue by (entry time, id): the first is the oldest.
    pub(crate) unanswered: BTreeSet<(Timestamp, InteractionId)>,
    /// Contacts in queue with a response target, by (deadline, id).
    pub(crate) deadlines: BTreeSet<(Timestamp, InteractionId)>,
    pub(crate) agents: AgentCounts,
}

impl Tally {
    /// The instantaneous queue figures at `now`. O(log n + overdue).
    pub(crate) fn in_queue(&self, now: Timestamp) -> InQueue {
        InQueue {
            waiting: self.waiting,
            ringing: self.ringing,
            oldest_wait: self.unanswered.first().map(|(t, _)| now.saturating_duration_since(*t)),
            overdue: self.deadlines.range(..(now, InteractionId(0))).count() as u64,
            at_interval_start: self.at_interval_start,
        }
    }

    /// Starts a new interval: counters restart, gauges carry on.
    pub(crate) fn reset(&mut self) {
        self.counters = ContactCounters::default();
        self.answer_waits.clear();
        self.at_interval_start = self.waiting + self.ringing;
    }

    /// Figures for a channel or a skill.
    pub(crate) fn figures(
        &self,
        scope: Scope,
        formula: ServiceLevelFormula,
        start: Timestamp,
        now: Timestamp,
    ) -> ContactFigures {
        let response = (self.counters.response.responded > 0 || !self.deadlines.is_empty()).then(|| ResponseReading {
            target: None,
            counts: self.counters.response,
            level: self.counters.response.level(),
        });
        ContactFigures {
            scope,
            name: None,
            interval_start: start,
            counters: self.counters.clone(),
            service_levels: vec![ServiceLevelReading::new(formula, None, self.counters.service_level)],
            response,
            answer_waits: self.answer_waits.clone(),
            in_queue: self.in_queue(now),
            agents: self.agents,
        }
    }
}

/// One queue: its definitions and their counts, its tally, its recent handle time.
#[derive(Clone, Debug)]
pub(crate) struct QueueState {
    pub(crate) name: String,
    /// Never empty: the first is the primary definition.
    pub(crate) definitions: Vec<ServiceLevelDefinition>,
    pub(crate) definition_counts: Vec<ServiceLevelCounts>,
    pub(crate) response_targets: Vec<(Channel, ResponseTarget)>,
    pub(crate) tally: Tally,
    /// Exponentially weighted handle time (talk + wrap-up) of recent contacts,
    /// weight 1/8, in milliseconds; kept across intervals.
    pub(crate) recent_handle_ms: Option<u64>,
}

impl QueueState {
    pub(crate) fn new(
        name: String,
        definitions: Vec<ServiceLevelDefinition>,
        response_targets: Vec<(Channel, ResponseTarget)>,
    ) -> Self {
        let definitions = if definitions.is_empty() { vec![ServiceLevelDefinition::default()] } else { definitions };
        QueueState {
            name,
            definition_counts: vec![ServiceLevelCounts::default(); definitions.len()],
            definitions,
            response_targets,
            tally: Tally::default(),
            recent_handle_ms: None,
        }
    }

    pub(crate) fn note_handle_time(&mut self, ms: u64) {
        self.recent_handle_ms = Some(match self.recent_handle_ms {
            None => ms,
            Some(avg) => {
                let (avg, ms) = (i128::from(avg), i128::from(ms));
                u64::try_from(avg + (ms - avg) / 8).unwrap_or(0)
            }
        });
    }

    pub(crate) fn reset(&mut self) {
        self.tally.reset();
        self.definition_counts.iter_mut().for_each(|c| *c = ServiceLevelCounts::default());
    }

    pub(crate) fn figures(&self, queue: QueueId, start: Timestamp, now: Timestamp) -> ContactFigures {
        let t = &self.tally;
        let response = (!self.response_targets.is_empty()).then(|| {
            let first = self.response_targets[0].1;
            ResponseReading {
                target: self.response_targets.iter().all(|(_, r)| *r == first).then_some(first),
                counts: t.counters.response,
                level: t.counters.response.level(),
            }
        });
        ContactFigures {
            scope: Scope::Queue(queue),
            name: Some(self.name.clone()),
            interval_start: start,
            counters: t.counters.clone(),
            service_levels: self
                .definitions
                .iter()
                .zip(&self.definition_counts)
                .map(|(d, c)| ServiceLevelReading::new(d.formula, Some(*d), *c))
                .collect(),
            response,
            answer_waits: t.answer_waits.clone(),
            in_queue: t.in_queue(now),
            agents: t.agents,
        }
    }
}

/// Where a contact is in its visit to a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// In queue, waiting for an offer.
    Waiting,
    /// In queue, offered to an agent.
    Ringing,
    /// Answered by an agent: talk and wrap-up are counted against this visit.
    Answered,
    /// Left unanswered (abandoned, cancelled, declined by all, expired, closed or transferred out).
    Left,
}

impl Phase {
    /// Waiting or ringing.
    pub(crate) fn in_queue(self) -> bool {
        matches!(self, Phase::Waiting | Phase::Ringing)
    }
}

/// One visit of an interaction to a queue, with what it is counted against.
#[derive(Clone, Debug)]
pub(crate) struct Stint {
    pub(crate) queue: QueueId,
    pub(crate) entered_at: Timestamp,
    pub(crate) skills: Vec<SkillId>,
    pub(crate) phase: Phase,
    pub(crate) response: Option<ResponseTarget>,
    pub(crate) deadline: Option<Timestamp>,
}

/// Who moved a contact from one queue to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// The host ([`Command::Transfer`](crate::Command::Transfer)).
    Transfer,
    /// The engine, by a rule of the queue it left (an exception or admission
    /// rule's move, a closed queue's move, an overflow after all declined).
    Overflow,
}

/// A change to count against a contact's queue, channel, skills and attribute values.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Change {
    /// Entered the queue: by arrival (`None`) or moved in from another queue.
    Enter(Option<Flow>),
    Ring,
    Unring,
    Answer {
        wait_ms: u64,
    },
    Abandon {
        wait_ms: u64,
    },
    Cancel,
    Decline,
    Expire,
    Close,
    Divert,
    /// A call converted into a callback.
    Convert,
    /// Left unanswered for another queue.
    TransferOut(Flow),
    Talk {
        ms: u64,
    },
    Wrap {
        ms: u64,
    },
    Respond {
        within: bool,
    },
}

struct Ctx {
    id: InteractionId,
    entered_at: Timestamp,
    deadline: Option<Timestamp>,
    from: Phase,
    primary: ServiceLevelDefinition,
    sl_applies: bool,
}

fn count(c: &mut ContactCounters, change: Change, ctx: &Ctx) {
    let ms = Duration::from_millis;
    match change {
        Change::Enter(moved) => {
            c.offered += 1;
            c.transferred_in += u64::from(moved.is_some());
            c.overflowed_in += u64::from(moved == Some(Flow::Overflow));
        }
        Change::Ring | Change::Unring => {}
        Change::Answer { wait_ms } => {
            c.answered += 1;
            c.answer_wait = counter_millis::add(c.answer_wait, ms(wait_ms));
            c.longest_wait = c.longest_wait.max(ms(wait_ms));
            if ctx.sl_applies {
                ctx.primary.count_answer(ms(wait_ms), &mut c.service_level);
            }
        }
        Change::Abandon { wait_ms } => {
            c.longest_wait = c.longest_wait.max(ms(wait_ms));
            if ctx.primary.is_short_abandon(ms(wait_ms)) {
                c.short_abandoned += 1;
            } else {
                c.abandoned += 1;
                c.abandon_wait = counter_millis::add(c.abandon_wait, ms(wait_ms));
            }
            if ctx.sl_applies {
                ctx.primary.count_abandon(ms(wait_ms), &mut c.service_level);
            }
        }
        Change::Cancel => c.cancelled += 1,
        Change::Decline => c.declined += 1,
        Change::Expire => c.expired += 1,
        Change::Close => c.closed += 1,
        Change::Divert => c.diverted += 1,
        Change::Convert => c.converted_to_callback += 1,
        Change::TransferOut(flow) => {
            c.transferred_out += 1;
            c.overflowed_out += u64::from(flow == Flow::Overflow);
            if ctx.sl_applies {
                ctx.primary.count_transfer_out(&mut c.service_level);
            }
        }
        Change::Talk { ms: talk } => {
            c.handled += 1;
            c.talk = counter_millis::add(c.talk, ms(talk));
        }
        Change::Wrap { ms: wrap } => {
            c.wrap_ups += 1;
            c.wrap = counter_millis::add(c.wrap, ms(wrap));
        }
        Change::Respond { within } => {
            c.response.responded += 1;
            c.response.responded_within += u64::from(within);
        }
    }
}

fn count_tally(t: &mut Tally, change: Change, ctx: &Ctx) {
    count(&mut t.counters, change, ctx);
    let leave = |t: &mut Tally| {
        match ctx.from {
            Phase::Waiting => t.waiting = t.waiting.saturating_sub(1),
            Phase::Ringing => t.ringing = t.ringing.saturating_sub(1),
            Phase::Answered | Phase::Left => return,
        }
        t.unanswered.remove(&(ctx.entered_at, ctx.id));
        if let Some(d) = ctx.deadline {
            t.deadlines.remove(&(d, ctx.id));
        }
    };
    match change {
        Change::Enter(_) => {
            t.waiting += 1;
            t.unanswered.insert((ctx.entered_at, ctx.id));
            if let Some(d) = ctx.deadline {
                t.deadlines.insert((d, ctx.id));
            }
        }
        Change::Ring => {
            t.waiting = t.waiting.saturating_sub(1);
            t.ringing += 1;
        }
        Change::Unring => {
            t.ringing = t.ringing.saturating_sub(1);
            t.waiting += 1;
        }
        Change::Answer { wait_ms } => {
            leave(t);
            t.answer_waits.record(Duration::from_millis(wait_ms));
        }
        Change::Abandon { .. }
        | Change::Cancel
        | Change::Decline
        | Change::Expire
        | Change::Close
        | Change::Divert
        | Change::Convert
        | Change::TransferOut(_) => leave(t),
        Change::Talk { .. } | Change::Wrap { .. } | Change::Respond { .. } => {}
    }
}

/// Every tally, by dimension.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tallies {
    pub(crate) queues: BTreeMap<QueueId, QueueState>,
    pub(crate) channels: BTreeMap<Channel, Tally>,
    pub(crate) skills: BTreeMap<SkillId, Tally>,
    pub(crate) breakdowns: Breakdowns,
}

impl Tallies {
    /// Counts a change of one contact (`id`, in `stint`) against its queue,
    /// channel, skills and attribute values. The stint's phase is the phase
    /// *before* the change; the caller updates it after.
    pub(crate) fn count(
        &mut self,
        id: InteractionId,
        stint: &Stint,
        channel: Channel,
        values: &[BreakdownValue],
        change: Change,
    ) {
        let Some(q) = self.queues.get_mut(&stint.queue) else { return };
        let ctx = Ctx {
            id,
            entered_at: stint.entered_at,
            deadline: stint.deadline,
            from: stint.phase,
            primary: q.definitions[0],
            sl_applies: stint.response.is_none(),
        };
        count_tally(&mut q.tally, change, &ctx);
        if ctx.sl_applies {
            for (d, c) in q.definitions.iter().zip(q.definition_counts.iter_mut()) {
                let ms = Duration::from_millis;
                match change {
                    Change::Answer { wait_ms } => d.count_answer(ms(wait_ms), c),
                    Change::Abandon { wait_ms } => d.count_abandon(ms(wait_ms), c),
                    Change::TransferOut(_) => d.count_transfer_out(c),
                    _ => {}
                }
            }
        }
        count_tally(self.channels.entry(channel).or_default(), change, &ctx);
        for skill in &stint.skills {
            count_tally(self.skills.entry(*skill).or_default(), change, &ctx);
        }
        if !self.breakdowns.is_empty() {
            self.breakdowns.apply(values, |c| count(c, change, &ctx));
        }
    }

    /// Moves an agent from one presence to another in the gauges of their
    /// queues, channels and skills (`None` on either side: not counted).
    pub(crate) fn place_agent(&mut self, profile: &AgentProfile, from: Option<Presence>, to: Option<Presence>) {
        let apply = |counts: &mut AgentCounts| {
            if let Some(p) = from {
                counts.remove(p);
            }
            if let Some(p) = to {
                counts.add(p);
            }
        };
        for q in &profile.queues {
            if let Some(state) = self.queues.get_mut(q) {
                apply(&mut state.tally.agents);
            }
        }
        for c in &profile.channels {
            apply(&mut self.channels.entry(*c).or_default().agents);
        }
        for s in &profile.skills {
            apply(&mut self.skills.entry(*s).or_default().agents);
        }
    }

    pub(crate) fn reset(&mut self) {
        self.queues.values_mut().for_each(QueueState::reset);
        self.channels.values_mut().for_each(Tally::reset);
        self.skills.values_mut().for_each(Tally::reset);
        self.breakdowns.reset();
    }
}

/// What an agent is counted under: their queues, channels and skills.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AgentProfile {
    pub(crate) queues: Vec<QueueId>,
    pub(crate) channels: Vec<Channel>,
    pub(crate) skills: Vec<SkillId>,
}

impl AgentProfile {
    pub(crate) fn of(agent: &Agent) -> Self {
        let config = agent.config();
        AgentProfile {
            queues: config.queues.iter().map(|m| m.queue).collect(),
            channels: config.capacity.channels().map(|(c, _)| c).collect(),
            skills: config.skills.iter().map(|(s, _)| s).collect(),
        }
    }
}

/// One agent: profile, presence and counters.
#[derive(Clone, Debug)]
pub(crate) struct AgentState {
    pub(crate) profile: AgentProfile,
    pub(crate) presence: Presence,
    pub(crate) since: Timestamp,
    /// Presence time is in `counters` up to here.
    pub(crate) accrued_to: Timestamp,
    pub(crate) counters: AgentCounters,
    pub(crate) removed: bool,
}

impl AgentState {
    pub(crate) fn new(profile: AgentProfile, presence: Presence, at: Timestamp) -> Self {
        AgentState { profile, presence, since: at, accrued_to: at, counters: AgentCounters::default(), removed: false }
    }

    /// Adds the presence time up to `at`.
    pub(crate) fn accrue(&mut self, at: Timestamp) {
        if at > self.accrued_to {
            let ms = u64::try_from(at.millis_since(self.accrued_to)).unwrap_or(0);
            self.counters.add_presence_time(self.presence, ms);
            self.accrued_to = at;
        }
    }

    pub(crate) fn figures(&self, agent: AgentId, start: Timestamp, now: Timestamp) -> super::figures::AgentFigures {
        let mut counters = self.counters;
        if now > self.accrued_to {
            let ms = u64::try_from(now.millis_since(self.accrued_to)).unwrap_or(0);
            counters.add_presence_time(self.presence, ms);
        }
        super::figures::AgentFigures {
            agent,
            interval_start: start,
            presence: self.presence,
            presence_since: self.since,
            counters,
        }
    }
}

/// A live interaction: its record so far and where it is counted.
#[derive(Clone, Debug)]
pub(crate) struct Tracker {
    pub(crate) record: InteractionRecord,
    pub(crate) values: Vec<BreakdownValue>,
    pub(crate) stint: Option<Stint>,
    /// The index of the current visit in `record.visits`, if it was listed.
    pub(crate) visit: Option<usize>,
    pub(crate) talking: Option<(AgentId, Timestamp)>,
    pub(crate) wrapping: Option<(AgentId, Timestamp)>,
    pub(crate) responded: bool,
    /// Since when it has been interrupted, while it is (interruptible work).
    pub(crate) interrupted: Option<Timestamp>,
    /// A queue rule has just decided to move it (an exception or admission
    /// rule's move, an overflow after all declined): the transfer that
    /// follows is the engine's.
    pub(crate) overflowing: bool,
    /// How it is entering its next queue, between its transfer and its
    /// `InteractionQueued`.
    pub(crate) entering: Option<Flow>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::{ResponseMeasure, ServiceLevelTarget};

    /// (met, counted) under one formula; `None` when the contact is in neither term.
    type Level = Option<(u64, u64)>;
    const MET: Level = Some((1, 1));
    const MISS: Level = Some((0, 1));
    const OUT: Level = None;

    /// A queue measured by the four formulas, T = 20 s, short abandons under 5 s.
    fn tallies() -> Tallies {
        let target = ServiceLevelTarget::new(80, Duration::from_secs(20));
        let definitions = ServiceLevelFormula::ALL
            .iter()
            .map(|f| ServiceLevelDefinition::new(*f, target).with_short_abandon(Duration::from_secs(5)))
            .collect();
        let mut t = Tallies::default();
        t.queues.insert(QueueId(1), QueueState::new("q1".into(), definitions, Vec::new()));
        t
    }

    /// One contact enters the queue (and rings, from `phase` Ringing), then leaves by `change`.
    fn one_contact(phase: Phase, change: Change, response: Option<ResponseTarget>) -> Tallies {
        let mut t = tallies();
        let mut stint = Stint {
            queue: QueueId(1),
            entered_at: Timestamp::from_secs(1_700_000_000),
            skills: Vec::new(),
            phase: Phase::Waiting,
            response,
            deadline: None,
        };
        t.count(InteractionId(1), &stint, Channel::Voice, &[], Change::Enter(None));
        if phase == Phase::Ringing {
            t.count(InteractionId(1), &stint, Channel::Voice, &[], Change::Ring);
            stint.phase = Phase::Ringing;
        }
        t.count(InteractionId(1), &stint, Channel::Voice, &[], change);
        t
    }

    /// The table on [`ServiceLevelFormula`], pinned: how each way of leaving
    /// the queue unanswered (or answered) counts in the numerator and the
    /// denominator of each formula, for the queue's four definitions and for
    /// the channel under each formula, waiting or ringing when it leaves. A
    /// flow-out is a miss at any wait, even 1 ms (the statistics count
    /// `TransferOut` for every `InteractionTransferred` of an unanswered
    /// contact: the host's transfer as a `Flow::Transfer`; an exception or
    /// admission rule's move, a closed queue's move and an overflow after
    /// all declined as a `Flow::Overflow`; the scenario tests
    /// `tests/stats_business_hours.rs` and `tests/stats_overflow.rs` drive
    /// each through the engine).
    #[test]
    fn every_way_of_leaving_in_every_formula() {
        type Field = fn(&ContactCounters) -> u64;
        let cases: [(&str, Change, [Level; 4], Field); 12] = [
            ("answered at T", Change::Answer { wait_ms: 20_000 }, [MET, MET, MET, MET], |c| c.answered),
            ("answered after T", Change::Answer { wait_ms: 20_001 }, [MISS, MISS, MISS, MISS], |c| c.answered),
            ("abandoned at the short threshold", Change::Abandon { wait_ms: 5_000 }, [MISS, OUT, OUT, MET], |c| {
                c.abandoned
            }),
            ("abandoned after T", Change::Abandon { wait_ms: 20_001 }, [MISS, MISS, OUT, MISS], |c| c.abandoned),
            ("short abandon", Change::Abandon { wait_ms: 4_999 }, [OUT; 4], |c| c.short_abandoned),
            ("flow-out", Change::TransferOut(Flow::Transfer), [MISS, MISS, OUT, MISS], |c| c.transferred_out),
            ("transfer out", Change::TransferOut(Flow::Transfer), [MISS, MISS, OUT, MISS], |c| {
                c.host_transferred_out()
            }),
            ("overflow out", Change::TransferOut(Flow::Overflow), [MISS, MISS, OUT, MISS], |c| c.overflowed_out),
            ("expired", Change::Expire, [OUT; 4], |c| c.expired),
            ("ended by its closed queue", Change::Close, [OUT; 4], |c| c.closed),
            ("ended after all declined", Change::Decline, [OUT; 4], |c| c.declined),
            ("cancelled", Change::Cancel, [OUT; 4], |c| c.cancelled),
        ];
        let now = Timestamp::from_secs(1_700_000_100);
        for (name, change, expected, field) in cases {
            for phase in [Phase::Waiting, Phase::Ringing] {
                let t = one_contact(phase, change, None);
                let q = t.queues[&QueueId(1)].figures(QueueId(1), now, now);
                let got: Vec<Level> = q.service_levels.iter().map(|r| r.level.map(|l| (l.met, l.counted))).collect();
                assert_eq!(got, expected, "{name}, {phase:?}: queue definitions in ServiceLevelFormula::ALL order");
                assert_eq!((field(&q.counters), q.counters.offered, q.counters.left()), (1, 1, 1), "{name}");
                assert_eq!(q.in_queue.total(), 0, "{name}: left the queue");
                let channel = &t.channels[&Channel::Voice];
                for (formula, want) in ServiceLevelFormula::ALL.into_iter().zip(expected) {
                    let c = channel.figures(Scope::Channel(Channel::Voice), formula, now, now);
                    // The channel judges each contact against its queue's primary definition (OfOffered here);
                    // only the formula differs.
                    let got = c.service_levels[0].level.map(|l| (l.met, l.counted));
                    assert_eq!(got, want, "{name}, {phase:?}: channel under {formula:?}");
                }
            }
        }
        // A deferrable contact measured by a response target is in no formula, however it leaves.
        let email = ResponseTarget::new(90, Duration::from_secs(3_600), ResponseMeasure::Completed);
        for (name, change, _, field) in cases {
            let t = one_contact(Phase::Waiting, change, Some(email));
            let q = t.queues[&QueueId(1)].figures(QueueId(1), now, now);
            assert!(q.service_levels.iter().all(|r| r.level.is_none()), "{name}: deferrable");
            assert_eq!(q.counters.service_level, ServiceLevelCounts::default(), "{name}: deferrable");
            assert_eq!(field(&q.counters), 1, "{name}: still counted in the contact counters");
        }
    }

    /// A contact that enters by a move counts in `transferred_in` (and, when
    /// the engine made it, `overflowed_in`) besides `offered`, and leaves
    /// the service level as an arrival would: answered within T, it is met.
    #[test]
    fn flows_in_are_offered_and_change_no_formula() {
        let now = Timestamp::from_secs(1_700_000_100);
        for (moved, want) in [(None, (0, 0)), (Some(Flow::Transfer), (1, 0)), (Some(Flow::Overflow), (1, 1))] {
            let mut t = tallies();
            let stint = Stint {
                queue: QueueId(1),
                entered_at: Timestamp::from_secs(1_700_000_000),
                skills: Vec::new(),
                phase: Phase::Waiting,
                response: None,
                deadline: None,
            };
            t.count(InteractionId(1), &stint, Channel::Voice, &[], Change::Enter(moved));
            t.count(InteractionId(1), &stint, Channel::Voice, &[], Change::Answer { wait_ms: 1_000 });
            let q = t.queues[&QueueId(1)].figures(QueueId(1), now, now);
            assert_eq!((q.counters.transferred_in, q.counters.overflowed_in), want, "{moved:?}");
            assert_eq!((q.counters.offered, q.counters.left()), (1, 1), "{moved:?}");
            let levels: Vec<_> = q.service_levels.iter().map(|r| r.level.map(|l| (l.met, l.counted))).collect();
            assert_eq!(levels, vec![Some((1, 1)); 4], "{moved:?}");
            let channel = &t.channels[&Channel::Voice].counters;
            assert_eq!((channel.transferred_in, channel.overflowed_in), want, "{moved:?}: the channel too");
        }
    }
}
