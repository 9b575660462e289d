//! The figures a wallboard shows and a report prints: additive counters
//! (since the start of the interval) and instantaneous gauges.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::quantile::WaitSketch;
use crate::ids::{AgentId, QueueId, SkillId};
use crate::model::agent::Presence;
use crate::model::channel::Channel;
use crate::serde_forms::counter_millis;
use crate::sla::{
    ResponseCounts, ResponseTarget, ServiceLevel, ServiceLevelCounts, ServiceLevelDefinition, ServiceLevelFormula,
};
use crate::time::Timestamp;

/// `total ÷ count`, in whole milliseconds as the figures always were.
fn average(total: Duration, count: u64) -> Option<Duration> {
    (count > 0).then(|| Duration::from_millis(counter_millis::of(total) / count))
}

/// `a + b` in whole milliseconds, saturating at `u64::MAX`.
fn sum_ms(a: Duration, b: Duration) -> u64 {
    counter_millis::of(a).saturating_add(counter_millis::of(b))
}

/// Counters of contacts for one queue, channel, skill or attribute value,
/// **since the start of the interval**. All are additive: two intervals'
/// counters [`merge`](ContactCounters::merge) into the counters of both.
///
/// A *contact* here is one visit of an interaction to a queue: it starts
/// when the interaction arrives in the queue or is transferred into it, and
/// ends when it is answered, abandoned, cancelled, declined by every qualified
/// agent (and ended), expired (its queue's time to live), ended by its closed
/// queue, or moved to another queue unanswered (a flow-out: transferred or
/// overflowed). How each way counts in the service level is tabled on
/// [`ServiceLevelFormula`]. Channel,
/// skill and attribute figures are sums over the queues' contacts, so an
/// interaction transferred once counts as offered twice there, as in most ACD
/// reports; the [`InteractionRecord`](crate::stats::InteractionRecord) has the
/// interaction's own end-to-end view.
///
/// **Interval convention.** A contact is counted as *offered* in the interval
/// in which it entered the queue; its answer, abandon, talk and wrap-up are
/// counted in the interval in which each happened (a contact offered at 09:14
/// and answered at 09:16 is offered in the 09:00 interval and answered in the
/// 09:15 one, where it was *in queue at start*). So within one interval:
///
/// ```text
/// in queue at start + offered
///     = answered + abandoned + short_abandoned + cancelled + declined + expired + closed + diverted
///       + transferred_out
///       + in queue at end
/// ```
///
/// `transferred_out` holds every flow-out, so the identity needs no other
/// term: `overflowed_out` is the part of it the engine made by a queue rule,
/// and `transferred_in` (with its part `overflowed_in`) is inside `offered`.
///
/// **Flows between queues.** Each move of an interaction from one queue to
/// another is counted twice: as a flow-out of the queue it left (unless it
/// was answered there: a connected call the host transfers counts as handled
/// in the queue it leaves, not as a flow-out) and as a flow-in, offered
/// again, in the queue it entered. Both sides tell who made the move:
///
/// | the move | source queue | target queue |
/// |---|---|---|
/// | the host's [`Command::Transfer`](crate::Command::Transfer) of an unanswered contact | `transferred_out` | `offered`, `transferred_in` |
/// | the host's transfer of a connected contact | (answered and handled there) | `offered`, `transferred_in` |
/// | an [exception rule](crate::ExceptionRule)'s or an [admission rule](crate::AdmissionRule)'s [`Move`](crate::ExceptionAction::Move) | `transferred_out`, `overflowed_out` | `offered`, `transferred_in`, `overflowed_in` |
/// | a closed queue's [`WhenClosed::Move`](crate::WhenClosed::Move) | `transferred_out`, `overflowed_out` | `offered`, `transferred_in`, `overflowed_in` |
/// | [`AllDeclined::Overflow`](crate::AllDeclined::Overflow) | `transferred_out`, `overflowed_out` | `offered`, `transferred_in`, `overflowed_in` |
///
/// So over all queues `overflowed_out` and `overflowed_in` add up to the same
/// total, while `transferred_in` may exceed `transferred_out` by the
/// transfers of connected contacts. Host transfers are `transferred_out −
/// overflowed_out` ([`host_transferred_out`](ContactCounters::host_transferred_out)).
/// None of the four changes a service-level formula: a flow-out counts as
/// one whoever made it, and a flow-in is a new contact of its queue, like an
/// arrival.
///
/// Waits are measured from entry into this queue (the engine's place in line,
/// which survives transfers, is in the interaction record).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::stats::ContactCounters;
///
/// // Two quarter hours rolled up into their half hour.
/// let mut a = ContactCounters::default();
/// (a.offered, a.answered, a.answer_wait, a.abandoned) = (10, 8, Duration::from_secs(80), 2);
/// let mut b = ContactCounters::default();
/// (b.offered, b.answered, b.answer_wait) = (5, 2, Duration::from_secs(60));
/// let mut half_hour = a.clone();
/// half_hour.merge(&b);
/// assert_eq!(half_hour.average_speed_of_answer(), Some(Duration::from_secs(14)));
/// assert_eq!(half_hour.abandon_rate(), Some(2.0 / 12.0));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactCounters {
    /// Contacts that entered the queue (arrivals and transfers in, the
    /// engine's overflows included: see `transferred_in`). Each is a new
    /// contact of this queue in the service level, measured from its entry.
    pub offered: u64,
    /// Contacts an agent accepted.
    pub answered: u64,
    /// Contacts whose customer left (at or after the short-abandon threshold).
    /// In the service level: a miss in `OfOffered`, a miss if after T in
    /// `IgnoringAbandonedWithin`, met if within T in
    /// `CreditingAbandonedWithin`, left out of `OfAnswered` (see
    /// [`ServiceLevelFormula`]).
    pub abandoned: u64,
    /// Contacts whose customer left before the short-abandon threshold of
    /// the queue's primary service-level definition. Left out of every
    /// service-level formula.
    pub short_abandoned: u64,
    /// Contacts the host cancelled before they were answered. Left out of
    /// every service-level formula.
    pub cancelled: u64,
    /// Contacts every qualified agent declined, ended by the queue's
    /// [`AllDeclined::End`](crate::AllDeclined::End). Like cancelled contacts,
    /// they are left out of every service-level formula. (With
    /// [`AllDeclined::Overflow`](crate::AllDeclined::Overflow) they are
    /// flow-outs, counted in `transferred_out` and `overflowed_out`; with `Wait` or `ForgetAfter`
    /// they stay in line.)
    #[serde(default)]
    pub declined: u64,
    /// Contacts that reached their queue's
    /// [`time_to_live`](crate::QueueConfig::time_to_live) unanswered
    /// ([`Outcome::Expired`](crate::Outcome::Expired)). Like cancelled
    /// contacts, they are left out of every service-level formula.
    #[serde(default)]
    pub expired: u64,
    /// Contacts ended because their queue was closed
    /// ([`WhenClosed::End`](crate::WhenClosed::End),
    /// [`Outcome::Closed`](crate::Outcome::Closed)). Like cancelled contacts,
    /// they are left out of every service-level formula. (A closed queue's
    /// [`WhenClosed::Move`](crate::WhenClosed::Move) is a flow-out, counted in
    /// `transferred_out` and `overflowed_out`.)
    #[serde(default)]
    pub closed: u64,
    /// Contacts a queue rule ended ([`ExceptionAction::End`](crate::ExceptionAction::End),
    /// on arrival or while waiting). Like cancelled contacts, they are left
    /// out of the service level.
    #[serde(default)]
    pub diverted: u64,
    /// Flow-outs: contacts moved to another queue before being answered here,
    /// by the host's [`Command::Transfer`](crate::Command::Transfer), an
    /// exception or admission rule's [`ExceptionAction::Move`](crate::ExceptionAction::Move),
    /// a closed queue's [`WhenClosed::Move`](crate::WhenClosed::Move) or an
    /// overflow after all agents declined
    /// ([`AllDeclined::Overflow`](crate::AllDeclined::Overflow)). In the
    /// service level a flow-out is a miss at any wait, in every formula but
    /// `OfAnswered`, which leaves it out (see [`ServiceLevelFormula`]). The
    /// queue it moved to counts it as offered there too. The total of every
    /// flow-out: the engine's part is `overflowed_out`.
    pub transferred_out: u64,
    /// Overflows out: the part of `transferred_out` the engine made by a
    /// queue rule (an exception or admission rule's
    /// [`Move`](crate::ExceptionAction::Move), a closed queue's
    /// [`WhenClosed::Move`](crate::WhenClosed::Move), an
    /// [`AllDeclined::Overflow`](crate::AllDeclined::Overflow)) rather than
    /// the host's [`Command::Transfer`](crate::Command::Transfer). Already in
    /// `transferred_out`, so it adds no term to the interval identity, and
    /// it is counted in the service level exactly as `transferred_out` is
    /// (a miss, left out of `OfAnswered`): it changes no formula.
    #[serde(default)]
    pub overflowed_out: u64,
    /// Transfers in: the part of `offered` that entered this queue from
    /// another one, by the host's transfer (before or after an answer
    /// there) or by the engine's overflow. Already in `offered`, so it adds
    /// no term to the interval identity; in the service level it is a
    /// contact like an arrival, measured from its entry here: it changes no
    /// formula.
    #[serde(default)]
    pub transferred_in: u64,
    /// Overflows in: the part of `transferred_in` the engine moved here by
    /// a rule of the queue it left (see `overflowed_out`). Already in
    /// `offered` and `transferred_in`; it changes no formula.
    #[serde(default)]
    pub overflowed_in: u64,
    /// Calls converted into a queued callback
    /// ([`Command::ConvertToCallback`](crate::Command::ConvertToCallback)):
    /// neither answered nor abandoned. Like cancelled contacts they are left
    /// out of every service-level formula; the callback is a new contact of
    /// the callback channel in the same queue, offered from the conversion.
    #[serde(default)]
    pub converted_to_callback: u64,
    /// Contacts resolved in self-service before any queue
    /// ([`Command::SelfServed`](crate::Command::SelfServed)), counted for
    /// their channel and attribute values, never for a queue. Not in
    /// `offered`, so they add no term to the interval identity and change no
    /// service-level formula; see [`ContactCounters::deflection_rate`].
    #[serde(default)]
    pub self_served: u64,
    /// Sum of the waits of answered contacts (for ASA). Serialised as
    /// `answer_wait_ms`, in whole milliseconds.
    #[serde(rename = "answer_wait_ms", with = "counter_millis")]
    pub answer_wait: Duration,
    /// Sum of the waits of abandoned contacts (not short). Serialised as
    /// `abandon_wait_ms`, in whole milliseconds.
    #[serde(rename = "abandon_wait_ms", with = "counter_millis")]
    pub abandon_wait: Duration,
    /// The longest wait of a contact answered or abandoned (short abandons
    /// included). Serialised as `longest_wait_ms`, in whole milliseconds.
    #[serde(rename = "longest_wait_ms", with = "counter_millis")]
    pub longest_wait: Duration,
    /// Conversations finished (completed, or transferred away while connected).
    pub handled: u64,
    /// Talk time of those conversations. Serialised as `talk_ms`, in whole milliseconds.
    #[serde(rename = "talk_ms", with = "counter_millis")]
    pub talk: Duration,
    /// Wrap-ups finished.
    pub wrap_ups: u64,
    /// After-contact work time of those wrap-ups. Serialised as `wrap_ms`, in
    /// whole milliseconds.
    #[serde(rename = "wrap_ms", with = "counter_millis")]
    pub wrap: Duration,
    /// Service-level counts against the queue's primary definition (for a
    /// channel, skill or attribute: each contact against its own queue's
    /// primary definition). Contacts measured by a [`ResponseTarget`] are not
    /// in them.
    pub service_level: ServiceLevelCounts,
    /// Response counts of deferrable contacts whose queue has a
    /// [`ResponseTarget`], each judged on its target's clock: business time
    /// for a target counting business hours
    /// ([`ResponseClock`](crate::ResponseClock)), wall-clock time otherwise.
    /// Counted in the interval of the response.
    pub response: ResponseCounts,
}

impl ContactCounters {
    /// Adds another set of counters (a later interval, or another queue).
    /// Sums add up; the longest wait is the longer of the two.
    /// Saturates rather than overflows: counters may come from a deserialised report.
    pub fn merge(&mut self, other: &ContactCounters) {
        self.offered = self.offered.saturating_add(other.offered);
        self.answered = self.answered.saturating_add(other.answered);
        self.abandoned = self.abandoned.saturating_add(other.abandoned);
        self.short_abandoned = self.short_abandoned.saturating_add(other.short_abandoned);
        self.cancelled = self.cancelled.saturating_add(other.cancelled);
        self.declined = self.declined.saturating_add(other.declined);
        self.expired = self.expired.saturating_add(other.expired);
        self.closed = self.closed.saturating_add(other.closed);
        self.diverted = self.diverted.saturating_add(other.diverted);
        self.self_served = self.self_served.saturating_add(other.self_served);
        self.converted_to_callback = self.converted_to_callback.saturating_add(other.converted_to_callback);
        self.transferred_out = self.transferred_out.saturating_add(other.transferred_out);
        self.overflowed_out = self.overflowed_out.saturating_add(other.overflowed_out);
        self.transferred_in = self.transferred_in.saturating_add(other.transferred_in);
        self.overflowed_in = self.overflowed_in.saturating_add(other.overflowed_in);
        self.answer_wait = counter_millis::add(self.answer_wait, other.answer_wait);
        self.abandon_wait = counter_millis::add(self.abandon_wait, other.abandon_wait);
        self.longest_wait = self.longest_wait.max(other.longest_wait);
        self.handled = self.handled.saturating_add(other.handled);
        self.talk = counter_millis::add(self.talk, other.talk);
        self.wrap_ups = self.wrap_ups.saturating_add(other.wrap_ups);
        self.wrap = counter_millis::add(self.wrap, other.wrap);
        self.service_level.merge(&other.service_level);
        self.response.merge(&other.response);
    }

    /// The share of contacts resolved in self-service: self-served ÷
    /// (self-served + offered), from 0 to 1; `None` when there were neither.
    /// Meaningful for a channel or an attribute value (a queue counts no
    /// self-service, so its rate is 0).
    ///
    /// # Example
    /// ```
    /// use switchboard::stats::ContactCounters;
    ///
    /// let mut chat = ContactCounters::default();
    /// (chat.offered, chat.self_served) = (300, 100);
    /// assert_eq!(chat.deflection_rate(), Some(0.25));
    /// assert_eq!(ContactCounters::default().deflection_rate(), None);
    /// ```
    pub fn deflection_rate(&self) -> Option<f64> {
        let all = self.self_served.saturating_add(self.offered);
        (all > 0).then(|| self.self_served as f64 / all as f64)
    }

    /// Contacts that left the queue, in any way.
    pub fn left(&self) -> u64 {
        self.answered
            .saturating_add(self.abandoned)
            .saturating_add(self.short_abandoned)
            .saturating_add(self.cancelled)
            .saturating_add(self.declined)
            .saturating_add(self.expired)
            .saturating_add(self.closed)
            .saturating_add(self.diverted)
            .saturating_add(self.converted_to_callback)
            .saturating_add(self.transferred_out)
    }

    /// Flow-outs the host asked for ([`Command::Transfer`](crate::Command::Transfer)):
    /// `transferred_out − overflowed_out`.
    pub fn host_transferred_out(&self) -> u64 {
        self.transferred_out.saturating_sub(self.overflowed_out)
    }

    /// Transfers in the host asked for: `transferred_in − overflowed_in`.
    pub fn host_transferred_in(&self) -> u64 {
        self.transferred_in.saturating_sub(self.overflowed_in)
    }

    /// Average speed of answer: answer waits ÷ answered.
    pub fn average_speed_of_answer(&self) -> Option<Duration> {
        average(self.answer_wait, self.answered)
    }

    /// Average time to abandon: abandon waits ÷ abandoned (short abandons excluded).
    pub fn average_abandon_time(&self) -> Option<Duration> {
        average(self.abandon_wait, self.abandoned)
    }

    /// Average talk time per handled conversation.
    pub fn average_talk_time(&self) -> Option<Duration> {
        average(self.talk, self.handled)
    }

    /// Average after-contact work per handled conversation (conversations
    /// without wrap-up count as zero).
    pub fn average_wrap_time(&self) -> Option<Duration> {
        average(self.wrap, self.handled)
    }

    /// Average handle time: (talk + wrap-up) ÷ handled conversations.
    pub fn average_handle_time(&self) -> Option<Duration> {
        (self.handled > 0).then(|| Duration::from_millis(sum_ms(self.talk, self.wrap) / self.handled))
    }

    /// Abandonment rate: abandoned ÷ (answered + abandoned), short abandons
    /// excluded; `None` before either happens.
    pub fn abandon_rate(&self) -> Option<f64> {
        let n = self.answered.saturating_add(self.abandoned);
        (n > 0).then(|| self.abandoned as f64 / n as f64)
    }
}

/// How many agents are in each state: **instantaneous**. For a queue, its
/// members; for a channel, agents whose capacity lists it; for a skill, agents
/// who hold it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgentCounts {
    /// Logged in, in any state.
    pub staffed: u64,
    /// Ready and holding no work.
    pub available: u64,
    /// Holding an offer or a live interaction.
    pub busy: u64,
    /// Holding only after-contact work.
    pub wrap_up: u64,
    /// Logged in but not ready.
    pub paused: u64,
}

impl AgentCounts {
    pub(crate) fn add(&mut self, presence: Presence) {
        if let Some(slot) = self.slot(presence) {
            *slot += 1;
            self.staffed += 1;
        }
    }

    pub(crate) fn remove(&mut self, presence: Presence) {
        if let Some(slot) = self.slot(presence) {
            *slot = slot.saturating_sub(1);
            self.staffed = self.staffed.saturating_sub(1);
        }
    }

    fn slot(&mut self, presence: Presence) -> Option<&mut u64> {
        match presence {
            Presence::Offline => None,
            Presence::Available => Some(&mut self.available),
            Presence::Busy => Some(&mut self.busy),
            Presence::WrapUp => Some(&mut self.wrap_up),
            Presence::Paused(_) => Some(&mut self.paused),
        }
    }

    /// Agents who can take or are taking work: staffed and not paused.
    pub fn serving(&self) -> u64 {
        self.available.saturating_add(self.busy).saturating_add(self.wrap_up)
    }
}

/// Contacts in a queue, channel or skill: **instantaneous**, except
/// `at_interval_start`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InQueue {
    /// Waiting for an offer.
    pub waiting: u64,
    /// Offered to an agent, not yet accepted.
    pub ringing: u64,
    /// How long the longest-waiting of those has waited, if any.
    #[serde(default, with = "crate::serde_forms::option_millis")]
    pub oldest_wait: Option<Duration>,
    /// Deferrable contacts in queue that are already past their queue's
    /// response target, on the target's clock: for a target counting
    /// business hours, once the calendar's open time since arrival exceeds
    /// the span, so a contact stays within target all weekend while closed.
    /// Its deadline is worked out when the contact enters the queue, with
    /// the calendar as it is then (see [`ResponseClock`](crate::ResponseClock));
    /// a deadline more than 1,024 openings away (about four years of one
    /// opening each weekday) is never shown overdue.
    pub overdue: u64,
    /// Contacts in queue (waiting or ringing) when the interval started.
    pub at_interval_start: u64,
}

impl InQueue {
    /// Waiting plus ringing.
    pub fn total(&self) -> u64 {
        self.waiting.saturating_add(self.ringing)
    }
}

/// One service-level figure: the counts, the definition and the level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceLevelReading {
    /// The formula applied.
    pub formula: ServiceLevelFormula,
    /// The queue's definition; `None` for a channel, skill or attribute
    /// value, where each contact was judged against its own queue's primary
    /// definition and the statistics' default formula is applied.
    pub definition: Option<ServiceLevelDefinition>,
    /// The counts.
    pub counts: ServiceLevelCounts,
    /// The level; `None` while nothing has been measured.
    pub level: Option<ServiceLevel>,
}

impl ServiceLevelReading {
    pub(crate) fn new(
        formula: ServiceLevelFormula,
        definition: Option<ServiceLevelDefinition>,
        counts: ServiceLevelCounts,
    ) -> Self {
        ServiceLevelReading { formula, definition, counts, level: formula.apply(&counts) }
    }

    /// Whether the level meets the definition's target; `None` without a
    /// definition or before anything is measured.
    pub fn meets_target(&self) -> Option<bool> {
        Some(self.level?.meets(self.definition?.target.target_percent()))
    }
}

/// The response figure of deferrable work.
///
/// Which clock it is on: each contact is judged on its own target's
/// [`ResponseClock`](crate::ResponseClock), so for a queue whose target counts
/// business hours, `counts` and `level` are in business time; the target's
/// [`clock`](ResponseTarget::clock) says which. A channel, skill or attribute
/// value adds up contacts of many queues, each judged on its own queue's
/// target. Each contact's response times on both clocks are in its
/// [`InteractionRecord::response`](crate::stats::InteractionRecord::response).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseReading {
    /// The queue's target, with its clock, when all its channels share
    /// one; `None` for a channel, skill or attribute value.
    pub target: Option<ResponseTarget>,
    /// The counts, on each contact's target clock.
    pub counts: ResponseCounts,
    /// responded within ÷ responded.
    pub level: Option<ServiceLevel>,
}

/// What a set of figures is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// One queue.
    #[serde(alias = "Queue")]
    Queue(QueueId),
    /// One channel, across queues.
    #[serde(alias = "Channel")]
    Channel(Channel),
    /// Contacts requiring one skill, across queues.
    #[serde(alias = "Skill")]
    Skill(SkillId),
}

/// Everything a wallboard shows for a queue, a channel or a skill.
///
/// `counters`, `service_levels`, `response` and `answer_waits` are **since
/// the start of the interval** (`interval_start`); `in_queue` and `agents`
/// are **instantaneous** (at the time of reading, or at the end of the
/// interval in a report).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactFigures {
    /// What the figures are about.
    pub scope: Scope,
    /// The queue's name, for a queue.
    pub name: Option<String>,
    /// When the interval started.
    pub interval_start: Timestamp,
    /// Contact counters.
    pub counters: ContactCounters,
    /// Service levels: one per definition for a queue (the first is the
    /// primary); one for a channel or skill.
    pub service_levels: Vec<ServiceLevelReading>,
    /// Response level of deferrable work, when measured.
    pub response: Option<ResponseReading>,
    /// Waits of answered contacts, for percentiles.
    pub answer_waits: WaitSketch,
    /// Contacts in queue now.
    pub in_queue: InQueue,
    /// Agents now.
    pub agents: AgentCounts,
}

impl ContactFigures {
    /// The primary service level (the queue's first definition), if measured yet.
    pub fn service_level(&self) -> Option<ServiceLevel> {
        self.service_levels.first().and_then(|r| r.level)
    }

    /// Percentiles of the time to answer: (p50, p90, p99), within the
    /// [`WaitSketch`] error bound.
    pub fn answer_wait_percentiles(&self) -> (Option<Duration>, Option<Duration>, Option<Duration>) {
        (self.answer_waits.p50(), self.answer_waits.p90(), self.answer_waits.p99())
    }
}

/// Counters of one agent, **since the start of the interval**; additive.
///
/// Presence times split the agent's logged-in time; `Busy` includes time
/// ringing (an offer reserves the agent). A multitasking agent holding three
/// chats is busy once, but their talk time counts each chat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgentCounters {
    /// Offers made to the agent.
    pub offers: u64,
    /// Offers accepted.
    pub accepted: u64,
    /// Offers rejected.
    pub rejected: u64,
    /// Offers that timed out.
    pub missed: u64,
    /// Offers withdrawn by the engine (pause, logout, abandon, cancel, transfer).
    pub withdrawn: u64,
    /// Conversations finished.
    pub handled: u64,
    /// Talk time. Serialised as `talk_ms`, in whole milliseconds.
    #[serde(rename = "talk_ms", with = "counter_millis")]
    pub talk: Duration,
    /// Wrap-ups finished.
    pub wrap_ups: u64,
    /// After-contact work. Serialised as `wrap_ms`, in whole milliseconds.
    #[serde(rename = "wrap_ms", with = "counter_millis")]
    pub wrap: Duration,
    /// Time available. Serialised as `available_ms`, in whole milliseconds.
    #[serde(rename = "available_ms", with = "counter_millis")]
    pub available: Duration,
    /// Time busy (ringing or connected). Serialised as `busy_ms`, in whole milliseconds.
    #[serde(rename = "busy_ms", with = "counter_millis")]
    pub busy: Duration,
    /// Time in wrap-up only. Serialised as `wrap_up_ms`, in whole milliseconds.
    #[serde(rename = "wrap_up_ms", with = "counter_millis")]
    pub wrap_up: Duration,
    /// Time paused. Serialised as `paused_ms`, in whole milliseconds.
    #[serde(rename = "paused_ms", with = "counter_millis")]
    pub paused: Duration,
}

impl AgentCounters {
    /// Adds another set of counters.
    pub fn merge(&mut self, o: &AgentCounters) {
        self.offers = self.offers.saturating_add(o.offers);
        self.accepted = self.accepted.saturating_add(o.accepted);
        self.rejected = self.rejected.saturating_add(o.rejected);
        self.missed = self.missed.saturating_add(o.missed);
        self.withdrawn = self.withdrawn.saturating_add(o.withdrawn);
        self.handled = self.handled.saturating_add(o.handled);
        self.talk = counter_millis::add(self.talk, o.talk);
        self.wrap_ups = self.wrap_ups.saturating_add(o.wrap_ups);
        self.wrap = counter_millis::add(self.wrap, o.wrap);
        self.available = counter_millis::add(self.available, o.available);
        self.busy = counter_millis::add(self.busy, o.busy);
        self.wrap_up = counter_millis::add(self.wrap_up, o.wrap_up);
        self.paused = counter_millis::add(self.paused, o.paused);
    }

    pub(crate) fn add_presence_time(&mut self, presence: Presence, ms: u64) {
        let slot = match presence {
            Presence::Offline => return,
            Presence::Available => &mut self.available,
            Presence::Busy => &mut self.busy,
            Presence::WrapUp => &mut self.wrap_up,
            Presence::Paused(_) => &mut self.paused,
        };
        *slot = counter_millis::add(*slot, Duration::from_millis(ms));
    }

    /// Logged-in time: available + busy + wrap-up + paused (at most
    /// `u64::MAX` milliseconds, like every time counter).
    pub fn staffed(&self) -> Duration {
        Duration::from_millis(self.staffed_ms())
    }

    /// [`staffed`](AgentCounters::staffed) in whole milliseconds, saturating.
    fn staffed_ms(&self) -> u64 {
        [self.busy, self.wrap_up, self.paused]
            .iter()
            .fold(counter_millis::of(self.available), |sum, d| sum.saturating_add(counter_millis::of(*d)))
    }

    /// Occupancy: time working (busy + wrap-up) ÷ time ready or working
    /// (available + busy + wrap-up). Pauses are left out.
    pub fn occupancy(&self) -> Option<f64> {
        let working = sum_ms(self.busy, self.wrap_up);
        let open = working.saturating_add(counter_millis::of(self.available));
        (open > 0).then(|| working as f64 / open as f64)
    }

    /// Utilisation: time working (busy + wrap-up) ÷ logged-in time (pauses included).
    pub fn utilisation(&self) -> Option<f64> {
        let staffed = self.staffed_ms();
        (staffed > 0).then(|| sum_ms(self.busy, self.wrap_up) as f64 / staffed as f64)
    }

    /// Average handle time: (talk + wrap-up) ÷ handled.
    pub fn average_handle_time(&self) -> Option<Duration> {
        (self.handled > 0).then(|| Duration::from_millis(sum_ms(self.talk, self.wrap) / self.handled))
    }
}

/// One agent's figures: counters since the start of the interval, presence now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgentFigures {
    /// The agent.
    pub agent: AgentId,
    /// When the interval started.
    pub interval_start: Timestamp,
    /// Presence now (instantaneous; at the interval's end in a report).
    pub presence: Presence,
    /// Since when (instantaneous).
    pub presence_since: Timestamp,
    /// Counters since the start of the interval, presence time included up to the time of reading.
    pub counters: AgentCounters,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ReasonCode;

    #[test]
    fn averages_and_rates() {
        let c = ContactCounters {
            answered: 4,
            answer_wait: Duration::from_secs(10),
            abandoned: 1,
            abandon_wait: Duration::from_secs(30),
            handled: 2,
            talk: Duration::from_secs(200),
            wrap: Duration::from_secs(20),
            ..Default::default()
        };
        assert_eq!(c.average_speed_of_answer(), Some(Duration::from_millis(2_500)));
        assert_eq!(c.average_abandon_time(), Some(Duration::from_secs(30)));
        assert_eq!(c.average_handle_time(), Some(Duration::from_secs(110)));
        assert_eq!(c.average_talk_time(), Some(Duration::from_secs(100)));
        assert_eq!(c.average_wrap_time(), Some(Duration::from_secs(10)));
        assert_eq!(c.abandon_rate(), Some(0.2));
        assert_eq!(ContactCounters::default().average_speed_of_answer(), None);
        let mut m = c.clone();
        m.merge(&c);
        assert_eq!(m.answered, 8);
        assert_eq!(m.average_speed_of_answer(), c.average_speed_of_answer());
    }

    #[test]
    fn counters_from_outside_saturate_instead_of_overflowing() {
        let max = ContactCounters {
            offered: u64::MAX,
            answered: u64::MAX,
            abandoned: u64::MAX,
            talk: Duration::from_millis(u64::MAX),
            wrap: Duration::MAX,
            handled: u64::MAX,
            ..Default::default()
        };
        let mut m = max.clone();
        m.merge(&max);
        // Time counters saturate where their serialised form (u64 milliseconds) does.
        let most = Duration::from_millis(u64::MAX);
        assert_eq!((m.offered, m.talk, m.wrap), (u64::MAX, most, most));
        assert_eq!(m.left(), u64::MAX);
        assert_eq!(m.average_handle_time(), Some(Duration::from_millis(1)));
        assert!(m.abandon_rate().is_some());
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!((&json["talk_ms"], &json["wrap_ms"]), (&u64::MAX.into(), &u64::MAX.into()));
        assert_eq!(serde_json::from_value::<ContactCounters>(json).unwrap(), m);
        let agent = AgentCounters {
            busy: most,
            wrap_up: Duration::MAX,
            available: Duration::from_millis(1),
            ..Default::default()
        };
        let mut a = agent;
        a.merge(&agent);
        assert_eq!((a.busy, a.wrap_up, a.staffed()), (most, most, most));
        assert!(a.occupancy().is_some() && a.utilisation().is_some());
    }

    /// The agent's counters as the API held them before it spoke `Duration`:
    /// the serialised form must not have changed.
    #[derive(Serialize)]
    struct AgentCountersInMs {
        offers: u64,
        accepted: u64,
        rejected: u64,
        missed: u64,
        withdrawn: u64,
        handled: u64,
        talk_ms: u64,
        wrap_ups: u64,
        wrap_ms: u64,
        available_ms: u64,
        busy_ms: u64,
        wrap_up_ms: u64,
        paused_ms: u64,
    }

    #[test]
    fn time_counters_keep_their_serialised_form() {
        let ms = Duration::from_millis;
        let a = AgentCounters {
            offers: 3,
            accepted: 2,
            handled: 2,
            talk: ms(123_456),
            wrap_ups: 1,
            wrap: ms(30_000),
            available: ms(1),
            busy: ms(u64::MAX),
            wrap_up: ms(300),
            paused: ms(128),
            ..Default::default()
        };
        let old = AgentCountersInMs {
            offers: 3,
            accepted: 2,
            rejected: 0,
            missed: 0,
            withdrawn: 0,
            handled: 2,
            talk_ms: 123_456,
            wrap_ups: 1,
            wrap_ms: 30_000,
            available_ms: 1,
            busy_ms: u64::MAX,
            wrap_up_ms: 300,
            paused_ms: 128,
        };
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, serde_json::to_string(&old).unwrap());
        assert_eq!(serde_json::from_str::<AgentCounters>(&json).unwrap(), a);
        #[cfg(feature = "compact")]
        {
            let bytes = postcard::to_allocvec(&a).unwrap();
            assert_eq!(bytes, postcard::to_allocvec(&old).unwrap());
            assert_eq!(postcard::from_bytes::<AgentCounters>(&bytes).unwrap(), a);
        }
        assert_eq!((a.occupancy(), a.utilisation()), (Some(1.0), Some(1.0)));
    }

    #[test]
    fn flows_merge_and_read_from_reports_written_before_them() {
        let a = ContactCounters {
            offered: 3,
            transferred_in: 2,
            overflowed_in: 1,
            transferred_out: 3,
            overflowed_out: 2,
            ..Default::default()
        };
        let mut m = a.clone();
        m.merge(&a);
        assert_eq!((m.transferred_in, m.overflowed_in, m.transferred_out, m.overflowed_out), (4, 2, 6, 4));
        assert_eq!((m.host_transferred_out(), m.host_transferred_in()), (2, 2));
        let mut old = serde_json::to_value(&a).unwrap();
        for field in ["overflowed_out", "transferred_in", "overflowed_in"] {
            old.as_object_mut().unwrap().remove(field);
        }
        let read: ContactCounters = serde_json::from_value(old).unwrap();
        assert_eq!(read, ContactCounters { transferred_in: 0, overflowed_in: 0, overflowed_out: 0, ..a });
    }

    #[test]
    fn agent_counts_and_occupancy() {
        let mut counts = AgentCounts::default();
        counts.add(Presence::Available);
        counts.add(Presence::Paused(ReasonCode(1)));
        counts.add(Presence::Offline);
        counts.remove(Presence::Available);
        counts.add(Presence::Busy);
        assert_eq!(counts, AgentCounts { staffed: 2, busy: 1, paused: 1, ..Default::default() });
        assert_eq!(counts.serving(), 1);
        let ms = Duration::from_millis;
        let a =
            AgentCounters { available: ms(20), busy: ms(60), wrap_up: ms(20), paused: ms(100), ..Default::default() };
        assert_eq!(a.occupancy(), Some(0.8));
        assert_eq!(a.utilisation(), Some(0.4));
        assert_eq!(a.staffed(), ms(200));
    }
}
