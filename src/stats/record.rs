//! One record per interaction, from arrival to completion.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::event::WithdrawReason;
use crate::ids::{AgentId, CalendarId, CaseId, CustomerId, InteractionId, OfferId, QueueId};
use crate::model::attributes::Attributes;
use crate::model::channel::Channel;
use crate::model::interaction::Outcome;
use crate::serde_forms::counter_millis;
use crate::sla::ResponseTarget;
use crate::time::Timestamp;

/// How a visit to a queue ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum VisitExit {
    /// Still in the queue (only in records of live interactions).
    #[serde(alias = "InQueue")]
    InQueue,
    /// An agent accepted it.
    #[serde(alias = "Answered")]
    Answered {
        /// The agent.
        agent: AgentId,
    },
    /// The customer left.
    #[serde(alias = "Abandoned")]
    Abandoned,
    /// The host cancelled it.
    #[serde(alias = "Cancelled")]
    Cancelled,
    /// Every qualified agent declined it and the queue ended it
    /// ([`Outcome::Declined`]).
    #[serde(alias = "Declined")]
    Declined,
    /// It reached its queue's time to live unanswered ([`Outcome::Expired`]).
    #[serde(alias = "Expired")]
    Expired,
    /// Its queue was closed ([`Outcome::Closed`]).
    #[serde(alias = "Closed")]
    Closed,
    /// A queue rule ended it ([`Outcome::Diverted`]).
    #[serde(alias = "Diverted")]
    Diverted(crate::model::step::Diversion),
    /// The call was converted into a callback
    /// ([`Command::ConvertToCallback`](crate::Command::ConvertToCallback)): the
    /// callback's visit to the same queue follows.
    #[serde(alias = "ConvertedToCallback")]
    ConvertedToCallback,
    /// It was transferred to another queue before being answered.
    #[serde(alias = "Transferred")]
    Transferred {
        /// The queue it went to.
        to: QueueId,
    },
}

/// One visit of an interaction to a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueueVisit {
    /// The queue.
    pub queue: QueueId,
    /// When it entered the queue.
    pub entered_at: Timestamp,
    /// When it left (answered, abandoned, cancelled or transferred); `None` while in queue.
    pub left_at: Option<Timestamp>,
    /// How it left.
    pub exit: VisitExit,
}

impl QueueVisit {
    /// How long it waited in this queue, if it has left.
    pub fn wait(&self) -> Option<Duration> {
        self.left_at.map(|l| l.saturating_duration_since(self.entered_at))
    }
}

/// How an offer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum OfferResult {
    /// Still ringing (only in records of live interactions).
    #[serde(alias = "Pending")]
    Pending,
    /// The agent accepted.
    #[serde(alias = "Accepted")]
    Accepted,
    /// The agent rejected it.
    #[serde(alias = "Rejected")]
    Rejected,
    /// Nobody answered in time.
    #[serde(alias = "TimedOut")]
    TimedOut,
    /// The engine withdrew it.
    #[serde(alias = "Withdrawn")]
    Withdrawn(WithdrawReason),
}

/// One offer of the interaction to an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OfferRecord {
    /// The offer.
    pub offer: OfferId,
    /// To whom.
    pub agent: AgentId,
    /// From which queue.
    pub queue: QueueId,
    /// When it was made.
    pub offered_at: Timestamp,
    /// When it ended; `None` while pending.
    pub ended_at: Option<Timestamp>,
    /// How it ended.
    pub result: OfferResult,
}

impl OfferRecord {
    /// How long it rang, if it has ended.
    pub fn ring_time(&self) -> Option<Duration> {
        self.ended_at.map(|e| e.saturating_duration_since(self.offered_at))
    }
}

/// A move from one queue to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TransferRecord {
    /// When.
    pub at: Timestamp,
    /// The queue it left.
    pub from: QueueId,
    /// The queue it entered.
    pub to: QueueId,
    /// True if it was connected to an agent when transferred.
    pub after_answer: bool,
    /// True if the engine made the move by a rule of the queue it left (an
    /// overflow: an exception or admission rule's
    /// [`Move`](crate::ExceptionAction::Move), a closed queue's
    /// [`WhenClosed::Move`](crate::WhenClosed::Move), an
    /// [`AllDeclined::Overflow`](crate::AllDeclined::Overflow)); false for
    /// the host's [`Command::Transfer`](crate::Command::Transfer). Counted in
    /// `overflowed_out` and `overflowed_in` of the
    /// [`ContactCounters`](crate::stats::ContactCounters). Left out of the
    /// serialised form when false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub overflow: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The response to deferrable work, as its [`ResponseTarget`] measured it:
/// both the figure the target is judged on and the wall-clock one.
///
/// # Example
/// An e-mail that arrived on Friday at 17:00 and was answered on Monday at
/// 09:30, at an office open 09:00–18:00 on weekdays, against "within 2 business
/// hours": `response` is 1 h 30 min and `within` is true, while `wall` is
/// 64 h 30 min. Serialised, they are `response_ms` (5,400,000) and `wall_ms`
/// (232,200,000), in whole milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResponseRecord {
    /// The queue whose target measured it: the queue it was in when responded to.
    pub queue: QueueId,
    /// That target.
    pub target: ResponseTarget,
    /// When the response happened (the accept or the completion, per the
    /// target's [`ResponseMeasure`](crate::ResponseMeasure)).
    pub at: Timestamp,
    /// The calendar whose open time was counted; `None` for the wall clock
    /// (a wall-clock target, a queue that follows no calendar, or a calendar
    /// the engine did not have: see [`ResponseClock`](crate::ResponseClock)).
    pub calendar: Option<CalendarId>,
    /// The response time on the target's clock, from arrival: business
    /// time when `calendar` is set, else wall-clock time. This is the figure
    /// `within` judges. Serialised as `response_ms`, in whole milliseconds.
    #[serde(rename = "response_ms", with = "counter_millis")]
    pub response: Duration,
    /// The wall-clock time from arrival to the response. Serialised as
    /// `wall_ms`, in whole milliseconds.
    #[serde(rename = "wall_ms", with = "counter_millis")]
    pub wall: Duration,
    /// Whether `response` ≤ the target's span.
    pub within: bool,
}

impl ResponseRecord {
    /// The response time on the target's clock: the field
    /// [`response`](ResponseRecord::response).
    pub fn response_time(&self) -> Duration {
        self.response
    }

    /// The wall-clock response time: the field [`wall`](ResponseRecord::wall).
    pub fn wall_time(&self) -> Duration {
        self.wall
    }
}

/// The agent's wrap-up (disposition) code and notes.
///
/// Notes are free text and may hold personal data, so `Debug` hides them.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Disposition {
    /// The agent who recorded it.
    pub agent: AgentId,
    /// The host's wrap-up code.
    pub code: String,
    /// Free-text notes.
    pub notes: Option<String>,
}

impl fmt::Debug for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Disposition")
            .field("agent", &self.agent)
            .field("code", &self.code)
            .field("notes", &self.notes.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Everything that happened to one interaction, from arrival to completion:
/// every queue it passed through, every offer (to whom, outcome, how long),
/// answer time, talk and wrap-up time, transfers and final outcome.
///
/// Records come out of [`Statistics::poll_record`](crate::stats::Statistics::poll_record)
/// when the interaction ends. They serialise with serde; with the `json` and
/// `csv` features, `write_json_lines`, `write_records_csv` and
/// `write_offers_csv` export them for a database or BI tool.
///
/// Attributes and disposition notes may be personal data; `Debug` redacts them.
///
/// To keep memory bounded, at most
/// [`StatsConfigBuilder::max_offers_per_record`](crate::stats::StatsConfigBuilder::max_offers_per_record)
/// offers, visits and transfers are kept each (the first ones); `offer_count`,
/// `visit_count` and `transfer_count` are the true totals.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::stats::*;
/// use switchboard::*;
///
/// let mut engine = Engine::new(EngineConfig::default());
/// let mut stats = Statistics::new(StatsConfig::default());
/// let t0 = Timestamp::from_secs(1_700_000_000);
/// let mut run = |engine: &mut Engine, stats: &mut Statistics, command, now| {
///     engine.handle(command, now).unwrap();
///     while let Some(event) = engine.poll_event() {
///         stats.observe(&event, engine);
///     }
/// };
/// run(&mut engine, &mut stats, Command::AddQueue(QueueConfig::new(QueueId(1), "sales", [Channel::Chat])), t0);
/// run(&mut engine, &mut stats, Command::Arrive(NewInteraction::new(InteractionId(9), Channel::Chat, QueueId(1), CustomerId(4))), t0);
/// run(&mut engine, &mut stats, Command::Abandon { interaction: InteractionId(9) }, t0 + Duration::from_secs(42));
///
/// let record = stats.poll_record().unwrap();
/// assert_eq!(record.outcome, Some(Outcome::Abandoned { while_offered: false }));
/// assert_eq!(record.wait(), Some(Duration::from_secs(42)));
/// assert_eq!(record.visits[0].exit, VisitExit::Abandoned);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InteractionRecord {
    /// The interaction.
    pub interaction: InteractionId,
    /// The customer.
    pub customer: CustomerId,
    /// The case, if any.
    pub case: Option<CaseId>,
    /// The channel.
    pub channel: Channel,
    /// Its base priority.
    pub priority: i32,
    /// The host's attributes.
    pub attributes: Attributes,
    /// When it arrived.
    pub arrived_at: Timestamp,
    /// The queue it was in last (its first queue while live); `None` for a
    /// contact resolved in self-service, which reached no queue.
    pub last_queue: Option<QueueId>,
    /// The queue it was last answered in, if it was answered.
    pub answered_in: Option<QueueId>,
    /// Queue visits, in order.
    pub visits: Vec<QueueVisit>,
    /// Visits in total (may exceed `visits.len()`).
    pub visit_count: u32,
    /// Offers, in order.
    pub offers: Vec<OfferRecord>,
    /// Offers in total (may exceed `offers.len()`).
    pub offer_count: u32,
    /// Transfers, in order.
    pub transfers: Vec<TransferRecord>,
    /// Transfers in total (may exceed `transfers.len()`).
    pub transfer_count: u32,
    /// The part of `transfer_count` the engine made by a queue rule
    /// (overflows; see [`TransferRecord::overflow`]). Left out of the
    /// serialised form when zero.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub overflow_count: u32,
    /// When an agent first accepted it.
    pub answered_at: Option<Timestamp>,
    /// Who first accepted it.
    pub answered_by: Option<AgentId>,
    /// Talk time over all its conversations. Serialised as `talk_ms`, in
    /// whole milliseconds.
    #[serde(rename = "talk_ms", with = "counter_millis")]
    pub talk: Duration,
    /// After-contact work over all its wrap-ups. Serialised as `wrap_ms`, in
    /// whole milliseconds.
    #[serde(rename = "wrap_ms", with = "counter_millis")]
    pub wrap: Duration,
    /// Time it spent interrupted (paused by its agent's real-time work, see
    /// [Interruptible work](crate::CapacityProfile#interruptible-work)). It
    /// is *inside* `talk`: interrupted work stays connected, so its handle
    /// time counts the pause; subtract this for the time actually worked.
    /// Serialised as `interrupted_ms`, in whole milliseconds, and left out
    /// of the serialised form when zero.
    #[serde(
        rename = "interrupted_ms",
        default,
        skip_serializing_if = "counter_millis::is_zero",
        with = "counter_millis"
    )]
    pub interrupted: Duration,
    /// The last wrap-up code and notes recorded.
    pub disposition: Option<Disposition>,
    /// When it ended; `None` while live.
    pub ended_at: Option<Timestamp>,
    /// How it ended; `None` while live.
    pub outcome: Option<Outcome>,
    /// Its cost under the configured cost model; `None` while live or when
    /// its channel has no cost.
    pub cost: Option<f64>,
    /// Its response, measured once by the response target of the queue it
    /// was in, for deferrable work whose queue has one; `None` otherwise and
    /// until then. Left out of the serialised form when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseRecord>,
    /// When the call was converted into a callback, and from which channel
    /// (`channel` is then `Callback`): the journey's two legs are the visits
    /// before and after `converted_at`. Left out of the serialised form when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackRecord>,
    /// A scheduled callback's due time
    /// ([`Command::ScheduleCallback`](crate::Command::ScheduleCallback)): it
    /// entered its queue then, and its response is measured from then, not
    /// from `arrived_at` (when it was scheduled). Left out of the serialised form when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<Timestamp>,
}

/// A call converted into a callback ([`InteractionRecord::callback`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallbackRecord {
    /// When the customer took the callback.
    pub converted_at: Timestamp,
    /// The channel the call was on.
    pub from: Channel,
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

impl InteractionRecord {
    /// A record of an interaction that just arrived, with no case, priority 0 and no attributes yet.
    pub(crate) fn new(
        interaction: InteractionId,
        customer: CustomerId,
        channel: Channel,
        queue: QueueId,
        arrived_at: Timestamp,
    ) -> Self {
        InteractionRecord {
            interaction,
            customer,
            case: None,
            channel,
            priority: 0,
            attributes: Attributes::new(),
            arrived_at,
            last_queue: Some(queue),
            answered_in: None,
            visits: Vec::new(),
            visit_count: 0,
            offers: Vec::new(),
            offer_count: 0,
            transfers: Vec::new(),
            transfer_count: 0,
            overflow_count: 0,
            answered_at: None,
            answered_by: None,
            talk: Duration::ZERO,
            wrap: Duration::ZERO,
            interrupted: Duration::ZERO,
            disposition: None,
            ended_at: None,
            outcome: None,
            cost: None,
            response: None,
            callback: None,
            scheduled_for: None,
        }
    }

    /// Time from arrival to the first answer, or to the end if never answered.
    pub fn wait(&self) -> Option<Duration> {
        self.answered_at.or(self.ended_at).map(|t| t.saturating_duration_since(self.arrived_at))
    }

    /// Talk plus wrap-up time (at most `u64::MAX` milliseconds, like every time counter).
    pub fn handle_time(&self) -> Duration {
        counter_millis::add(self.talk, self.wrap)
    }

    /// The queue it was answered in last, or else its last queue: where its
    /// cost is booked. `None` for a contact resolved in self-service.
    pub fn handling_queue(&self) -> Option<QueueId> {
        self.answered_in.or(self.last_queue)
    }

    /// The record of a contact resolved in self-service at `at`: it arrived
    /// and ended at once, in no queue.
    pub(crate) fn self_served(contact: &crate::model::interaction::SelfServedContact, at: Timestamp) -> Self {
        let mut r = InteractionRecord::new(contact.id, contact.customer, contact.channel, QueueId(0), at);
        r.last_queue = None;
        r.case = contact.case;
        r.attributes = contact.attributes.clone();
        r.ended_at = Some(at);
        r.outcome = Some(Outcome::SelfServed(contact.via));
        r
    }

    /// The final agent: who handled it, if it was handled.
    pub fn handled_by(&self) -> Option<AgentId> {
        match self.outcome {
            Some(Outcome::Handled { agent }) => Some(agent),
            _ => None,
        }
    }
}
