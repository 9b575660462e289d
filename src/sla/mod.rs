//! Service levels: a queue's promise, and the standard formulas that say
//! whether it was kept.
//!
//! Contact centers do not agree on one service-level formula, so this module
//! implements the four in common use ([`ServiceLevelFormula`]) over one set of
//! counts ([`ServiceLevelCounts`]), and lets a host run several
//! [`ServiceLevelDefinition`]s side by side on the same queue. Deferrable work
//! (e-mail, callbacks) is measured against a [`ResponseTarget`] instead.
//!
//! Everything here is pure arithmetic on integers: the same counts always give
//! the same figure, and a figure can be checked by hand.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ids::CalendarId;

/// A queue's promise: `target_percent` of interactions answered within `answer_within`.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::ServiceLevelTarget;
///
/// let sla = ServiceLevelTarget::new(80, Duration::from_secs(20)); // "80/20"
/// assert_eq!(sla.target_percent(), 80);
/// ```
///
/// Deserialising refuses a percentage above 100 (the constructor clamps it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "ServiceLevelTargetFields")]
pub struct ServiceLevelTarget {
    target_percent: u8,
    #[serde(with = "crate::serde_forms::millis")]
    answer_within: Duration,
}

/// The serialised form of [`ServiceLevelTarget`], checked on the way in.
#[derive(Deserialize)]
struct ServiceLevelTargetFields {
    target_percent: u8,
    #[serde(with = "crate::serde_forms::millis")]
    answer_within: Duration,
}

impl TryFrom<ServiceLevelTargetFields> for ServiceLevelTarget {
    type Error = String;
    fn try_from(f: ServiceLevelTargetFields) -> Result<Self, String> {
        if f.target_percent > 100 {
            return Err(format!("target_percent {} is above 100", f.target_percent));
        }
        Ok(ServiceLevelTarget { target_percent: f.target_percent, answer_within: f.answer_within })
    }
}

impl ServiceLevelTarget {
    /// A target of `target_percent` (clamped to 0–100) answered within `answer_within`.
    pub fn new(target_percent: u8, answer_within: Duration) -> Self {
        ServiceLevelTarget { target_percent: target_percent.min(100), answer_within }
    }

    /// The share to answer in time, in percent.
    pub fn target_percent(&self) -> u8 {
        self.target_percent
    }

    /// The answer-time threshold.
    pub fn answer_within(&self) -> Duration {
        self.answer_within
    }
}

impl Default for ServiceLevelTarget {
    /// The industry's classic 80/20.
    fn default() -> Self {
        ServiceLevelTarget::new(80, Duration::from_secs(20))
    }
}

/// How a service level is computed from [`ServiceLevelCounts`].
///
/// Write *T* for the threshold, *offered* for [`ServiceLevelCounts::offered`]
/// (answered + abandoned + transferred out before answer; short abandons are
/// left out of every term). The variants differ only in how they treat
/// customers who hung up:
///
/// | variant | formula | abandons |
/// |---|---|---|
/// | [`OfOffered`](Self::OfOffered) | answered within T ÷ offered | every abandon is a miss |
/// | [`IgnoringAbandonedWithin`](Self::IgnoringAbandonedWithin) | answered within T ÷ (offered − abandoned within T) | early abandons do not count, late ones are misses |
/// | [`OfAnswered`](Self::OfAnswered) | answered within T ÷ answered | abandons do not count at all |
/// | [`CreditingAbandonedWithin`](Self::CreditingAbandonedWithin) | (answered within T + abandoned within T) ÷ offered | early abandons count as met |
///
/// # Every way of leaving the queue
///
/// A contact is one visit to one queue, and its *wait* runs from when it
/// entered that queue (by arrival or by a move) to when it left. Each way of
/// leaving lands in one [`ServiceLevelCounts`] field, or in none, and from
/// there in the numerator (*met*), the denominator (*counted*) or neither
/// (—) of each formula. "met" below means counted and met.
///
/// | the contact left the queue by… | counts field | `OfOffered` | `IgnoringAbandonedWithin` | `OfAnswered` | `CreditingAbandonedWithin` |
/// |---|---|---|---|---|---|
/// | an answer, wait ≤ T | `answered`, `answered_within` | met | met | met | met |
/// | an answer, wait > T | `answered` | counted | counted | counted | counted |
/// | an abandon, short-abandon threshold ≤ wait ≤ T | `abandoned`, `abandoned_within` | counted | — | — | met |
/// | an abandon, wait > T | `abandoned` | counted | counted | — | counted |
/// | an abandon before the short-abandon threshold | `short_abandoned` | — | — | — | — |
/// | a **flow-out**: moved to another queue unanswered, at any wait | `transferred_out` | counted | counted | — | counted |
/// | expiry ([`Outcome::Expired`](crate::Outcome::Expired), the queue's time to live) | none | — | — | — | — |
/// | its queue closing ([`Outcome::Closed`](crate::Outcome::Closed), [`WhenClosed::End`](crate::WhenClosed::End)) | none | — | — | — | — |
/// | all agents declining ([`Outcome::Declined`](crate::Outcome::Declined), [`AllDeclined::End`](crate::AllDeclined::End)) | none | — | — | — | — |
/// | the host cancelling it ([`Outcome::Cancelled`](crate::Outcome::Cancelled)) | none | — | — | — | — |
/// | a conversion into a callback ([`Command::ConvertToCallback`](crate::Command::ConvertToCallback)): the call, neither answered nor abandoned | none | — | — | — | — |
/// | (the callback that follows: a new contact of the callback channel in the same queue, its wait from the conversion, then one of the rows above) | | | | | |
/// | nothing yet: still waiting or ringing | none (yet) | — | — | — | — |
///
/// **Flow-outs.** Every move of an unanswered contact to another queue is a
/// flow-out, whoever made it: the host's
/// [`Command::Transfer`](crate::Command::Transfer), an exception rule's
/// [`ExceptionAction::Move`](crate::ExceptionAction::Move), a closed queue's
/// [`WhenClosed::Move`](crate::WhenClosed::Move), or
/// [`AllDeclined::Overflow`](crate::AllDeclined::Overflow) after every
/// qualified agent declined (a ringing contact is moved too: its offer is
/// withdrawn first). In Genesys Cloud's terms, `OfOffered`,
/// `IgnoringAbandonedWithin` and `CreditingAbandonedWithin` are computed with
/// the *include flow-outs* switch **on**: a flow-out is a miss, even one
/// moved before T, because this queue did not answer it (the queue it moved to
/// counts it again, as a contact of its own that entered there). `OfAnswered`
/// leaves flow-outs out, as that switch **off** does (and as it leaves out
/// abandons). A contact moved after it was answered is not a flow-out: it
/// was answered here.
///
/// **Ends that are not flow-outs.** Expiry, a closed queue's
/// [`WhenClosed::End`](crate::WhenClosed::End), [`AllDeclined::End`](crate::AllDeclined::End)
/// and a cancellation end the contact without an answer and without a move;
/// every formula leaves them out, as it does a cancellation: they are counted
/// only in [`ContactCounters`](crate::stats::ContactCounters) (`expired`, `closed`,
/// `declined`, `cancelled`). A host that wants them as misses (Genesys counts a
/// routing timeout to voicemail as a flow-out) adds those counters to the
/// denominator of `OfOffered` itself; note that they also count contacts
/// measured by a [`ResponseTarget`] instead, which no formula sees.
///
/// # Example
/// ```
/// use switchboard::{ServiceLevelCounts, ServiceLevelFormula};
///
/// // 10 calls: 6 answered (4 within T), 3 abandoned (1 within T), 1 transferred out.
/// let mut counts = ServiceLevelCounts::default();
/// (counts.answered, counts.answered_within) = (6, 4);
/// (counts.abandoned, counts.abandoned_within) = (3, 1);
/// counts.transferred_out = 1;
/// assert_eq!(counts.offered(), 10);
/// let level = |f: ServiceLevelFormula| f.apply(&counts).unwrap();
/// assert_eq!(level(ServiceLevelFormula::OfOffered).percent(), 40.0); // 4 / 10
/// assert_eq!((level(ServiceLevelFormula::IgnoringAbandonedWithin).met, level(ServiceLevelFormula::IgnoringAbandonedWithin).counted), (4, 9));
/// assert_eq!((level(ServiceLevelFormula::OfAnswered).met, level(ServiceLevelFormula::OfAnswered).counted), (4, 6));
/// assert_eq!(level(ServiceLevelFormula::CreditingAbandonedWithin).percent(), 50.0); // 5 / 10
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevelFormula {
    /// answered within T ÷ offered. The strictest and the most common
    /// textbook definition: a customer who hangs up counts as a miss,
    /// however early.
    ///
    /// * Numerator: answers within T.
    /// * Denominator: answers, abandons (not short) and flow-outs (moves to
    ///   another queue before an answer, at any wait).
    /// * Neither: short abandons, expiry, a closed queue's end, an end after
    ///   all agents declined, cancellations.
    #[default]
    #[serde(alias = "OfOffered")]
    OfOffered,
    /// answered within T ÷ (offered − abandoned within T). Customers who
    /// hang up before T are taken out of the population (they were never
    /// "owed" an answer yet); those who hang up after T are misses.
    ///
    /// * Numerator: answers within T.
    /// * Denominator: answers, abandons after T and flow-outs at any wait (a
    ///   contact moved away before T is still a miss: unlike a customer who
    ///   hung up, it was owed an answer and this queue did not give it).
    /// * Neither: abandons within T, short abandons, expiry, a closed queue's
    ///   end, an end after all agents declined, cancellations.
    #[serde(alias = "IgnoringAbandonedWithin")]
    IgnoringAbandonedWithin,
    /// answered within T ÷ answered. Only answered contacts count; abandons
    /// are reported separately as the abandonment rate.
    ///
    /// * Numerator: answers within T.
    /// * Denominator: answers.
    /// * Neither: abandons of any kind, flow-outs (Genesys's *include
    ///   flow-outs* off), expiry, a closed queue's end, an end after all agents
    ///   declined, cancellations.
    #[serde(alias = "OfAnswered")]
    OfAnswered,
    /// (answered within T + abandoned within T) ÷ offered. Customers who hang
    /// up before T count as served within target.
    ///
    /// * Numerator: answers within T and abandons within T (not short).
    /// * Denominator: answers, abandons (not short) and flow-outs at any wait
    ///   (a flow-out is never credited, even one moved before T).
    /// * Neither: short abandons, expiry, a closed queue's end, an end after
    ///   all agents declined, cancellations.
    #[serde(alias = "CreditingAbandonedWithin")]
    CreditingAbandonedWithin,
}

impl ServiceLevelFormula {
    /// The four formulas, in declaration order.
    pub const ALL: [ServiceLevelFormula; 4] = [
        ServiceLevelFormula::OfOffered,
        ServiceLevelFormula::IgnoringAbandonedWithin,
        ServiceLevelFormula::OfAnswered,
        ServiceLevelFormula::CreditingAbandonedWithin,
    ];

    /// The service level these counts give under this formula, or `None`
    /// when the denominator is zero (nothing to measure yet).
    pub fn apply(self, counts: &ServiceLevelCounts) -> Option<ServiceLevel> {
        let offered = counts.offered();
        let (met, counted) = match self {
            ServiceLevelFormula::OfOffered => (counts.answered_within, offered),
            ServiceLevelFormula::IgnoringAbandonedWithin => {
                (counts.answered_within, offered.saturating_sub(counts.abandoned_within))
            }
            ServiceLevelFormula::OfAnswered => (counts.answered_within, counts.answered),
            ServiceLevelFormula::CreditingAbandonedWithin => {
                (counts.answered_within.saturating_add(counts.abandoned_within), offered)
            }
        };
        (counted > 0).then_some(ServiceLevel { met, counted })
    }
}

/// A measured service level: `met` of `counted` contacts were within target.
///
/// Kept as two integers so that a figure is exact and can be compared with
/// a target without rounding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceLevel {
    /// Contacts that count as within target (the numerator).
    pub met: u64,
    /// Contacts measured (the denominator); never zero.
    pub counted: u64,
}

impl ServiceLevel {
    /// The level as a fraction from 0 to 1.
    pub fn fraction(&self) -> f64 {
        self.met as f64 / self.counted as f64
    }

    /// The level in percent, from 0 to 100.
    pub fn percent(&self) -> f64 {
        self.fraction() * 100.0
    }

    /// True when the level reaches `target_percent`, compared exactly in integers.
    pub fn meets(&self, target_percent: u8) -> bool {
        u128::from(self.met) * 100 >= u128::from(self.counted) * u128::from(target_percent)
    }
}

/// The counts every service-level formula is computed from, for one queue
/// and one [`ServiceLevelDefinition`] (threshold and short-abandon threshold).
///
/// A contact is counted once it has left the queue in a way the formulas
/// measure: answered, abandoned, or moved to another queue before being
/// answered (a flow-out). Contacts still waiting are not counted yet (they may
/// still be answered in time), and neither are contacts that ended without an
/// answer or a move: cancelled by the host, expired, ended by a closed queue or
/// after all agents declined (see the table on [`ServiceLevelFormula`]). A
/// short abandon (a customer who hung up before the short-abandon threshold)
/// is counted only in `short_abandoned`, and left out of every formula.
/// Deferrable contacts measured by a [`ResponseTarget`] are not counted here
/// at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceLevelCounts {
    /// Contacts answered by an agent.
    pub answered: u64,
    /// Of `answered`, those answered within the threshold (wait ≤ T).
    pub answered_within: u64,
    /// Contacts abandoned at or after the short-abandon threshold.
    pub abandoned: u64,
    /// Of `abandoned`, those abandoned within the threshold (wait ≤ T).
    pub abandoned_within: u64,
    /// Flow-outs: contacts moved to another queue before being answered here,
    /// by the host's transfer, an exception rule's move, a closed queue's move
    /// or an overflow after all agents declined, at any wait. They count as
    /// offered and never as met (like Genesys's *include flow-outs* switch on),
    /// except in [`ServiceLevelFormula::OfAnswered`], which leaves them out.
    pub transferred_out: u64,
    /// Contacts abandoned before the short-abandon threshold; excluded from the formulas.
    pub short_abandoned: u64,
}

impl ServiceLevelCounts {
    /// The population of the formulas: answered + abandoned + transferred out
    /// (short abandons excluded).
    pub fn offered(&self) -> u64 {
        self.answered.saturating_add(self.abandoned).saturating_add(self.transferred_out)
    }

    /// Adds another set of counts (a later interval, another queue).
    pub fn merge(&mut self, other: &ServiceLevelCounts) {
        self.answered = self.answered.saturating_add(other.answered);
        self.answered_within = self.answered_within.saturating_add(other.answered_within);
        self.abandoned = self.abandoned.saturating_add(other.abandoned);
        self.abandoned_within = self.abandoned_within.saturating_add(other.abandoned_within);
        self.transferred_out = self.transferred_out.saturating_add(other.transferred_out);
        self.short_abandoned = self.short_abandoned.saturating_add(other.short_abandoned);
    }
}

/// One way of measuring a queue's service level: a formula, a target and a
/// short-abandon threshold. A queue may carry several, so that a host
/// migrating from another platform can show the figure its managers know next
/// to its own.
///
/// Conventions: a wait *equal* to the threshold is within it; an abandon
/// *shorter* than `short_abandon` is a short abandon (so `Duration::ZERO`
/// turns short abandons off).
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{ServiceLevelCounts, ServiceLevelDefinition, ServiceLevelFormula, ServiceLevelTarget};
///
/// let def = ServiceLevelDefinition::new(ServiceLevelFormula::OfOffered, ServiceLevelTarget::new(80, Duration::from_secs(20)))
///     .with_short_abandon(Duration::from_secs(5));
/// let mut counts = ServiceLevelCounts::default();
/// def.count_answer(Duration::from_secs(20), &mut counts); // within: 20 s ≤ 20 s
/// def.count_abandon(Duration::from_secs(3), &mut counts); // short abandon: ignored
/// def.count_abandon(Duration::from_secs(40), &mut counts); // a miss
/// let level = def.level(&counts).unwrap();
/// assert_eq!((level.met, level.counted), (1, 2));
/// assert!(!level.meets(80));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceLevelDefinition {
    /// The formula.
    pub formula: ServiceLevelFormula,
    /// The target: share in percent, and the threshold T.
    pub target: ServiceLevelTarget,
    /// Abandons shorter than this are short abandons, excluded from the formulas.
    #[serde(with = "crate::serde_forms::millis")]
    pub short_abandon: Duration,
}

impl ServiceLevelDefinition {
    /// A definition with no short-abandon threshold.
    pub fn new(formula: ServiceLevelFormula, target: ServiceLevelTarget) -> Self {
        ServiceLevelDefinition { formula, target, short_abandon: Duration::ZERO }
    }

    /// Sets the short-abandon threshold.
    pub fn with_short_abandon(mut self, short_abandon: Duration) -> Self {
        self.short_abandon = short_abandon;
        self
    }

    /// Whether a wait is within the threshold (inclusive).
    pub fn is_within(&self, wait: Duration) -> bool {
        wait <= self.target.answer_within()
    }

    /// Whether an abandon after `wait` is a short abandon (strictly shorter than the threshold).
    pub fn is_short_abandon(&self, wait: Duration) -> bool {
        wait < self.short_abandon
    }

    /// Counts a contact answered after waiting `wait`.
    pub fn count_answer(&self, wait: Duration, counts: &mut ServiceLevelCounts) {
        counts.answered += 1;
        if self.is_within(wait) {
            counts.answered_within += 1;
        }
    }

    /// Counts a contact abandoned after waiting `wait`: a short abandon if
    /// `wait` is under the short-abandon threshold, else an abandon, within
    /// if `wait` ≤ T.
    pub fn count_abandon(&self, wait: Duration, counts: &mut ServiceLevelCounts) {
        if self.is_short_abandon(wait) {
            counts.short_abandoned += 1;
        } else {
            counts.abandoned += 1;
            if self.is_within(wait) {
                counts.abandoned_within += 1;
            }
        }
    }

    /// Counts a flow-out: a contact moved to another queue before it was
    /// answered (any move: transfer, exception rule, closed queue, overflow
    /// after all declined). Its wait does not matter: it is never within.
    pub fn count_transfer_out(&self, counts: &mut ServiceLevelCounts) {
        counts.transferred_out += 1;
    }

    /// The service level of `counts` under this definition's formula.
    pub fn level(&self, counts: &ServiceLevelCounts) -> Option<ServiceLevel> {
        self.formula.apply(counts)
    }
}

impl Default for ServiceLevelDefinition {
    /// [`ServiceLevelFormula::OfOffered`] against the default 80/20 target, no short abandons.
    fn default() -> Self {
        ServiceLevelDefinition::new(ServiceLevelFormula::default(), ServiceLevelTarget::default())
    }
}

/// What counts as the response to deferrable work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum ResponseMeasure {
    /// An agent accepted it: the agent opened the e-mail or started the
    /// callback ("a callback made within 15 minutes").
    #[serde(alias = "Answered")]
    Answered,
    /// The agent completed it: the reply was sent, the callback ended
    /// ("an e-mail answered within 4 hours").
    #[default]
    #[serde(alias = "Completed")]
    Completed,
}

/// Which clock a [`ResponseTarget`] counts response time on.
///
/// Business hours stop the clock while closed: an e-mail that arrives on a
/// Friday at 17:00 at an office open 09:00–18:00 and is answered on Monday at
/// 09:30 waited 64 h 30 min on the wall clock but 1 h 30 min of business time,
/// and business time is what a promise such as "we reply within 4 business
/// hours" counts (Chatwoot's SLA policies with business hours, Zendesk's SLA
/// schedules and Salesforce's entitlement business hours all do).
///
/// # Which one to choose
///
/// [`QueueBusinessHours`](Self::QueueBusinessHours) is what a contact-center
/// engineer usually means by "business hours": the hours of the team that
/// answers, which is the calendar its queue already follows
/// ([`QueueConfig::calendar`](crate::QueueConfig::calendar)). The clock stops
/// exactly when the queue stops offering the work, one statistics-wide target
/// per channel follows each queue's own hours (a Berlin queue's and a New York
/// queue's), and the SLA clock cannot drift from the opening hours, because it
/// is the same calendar. A queue that follows no calendar is always open, so
/// its clock is the wall clock.
///
/// [`BusinessHours`](Self::BusinessHours) names a calendar instead, for when
/// the promise's hours are not the queue's: a contract's support hours, or a
/// queue staffed around the clock (no calendar, or a weekend on-call team)
/// whose customers were promised office hours only. Work answered while that
/// calendar is closed takes no business time at all.
///
/// # How it is measured
///
/// The response time is the calendar's open time between the contact's
/// arrival and its response,
/// [`Calendar::open_between`](crate::Calendar::open_between):
/// exact across daylight-saving changes (an opening through the night of the
/// spring-forward change is an hour shorter that night). The calendar is read
/// from the engine passed to [`Statistics::observe`](crate::stats::Statistics::observe)
/// when the response happens, so a calendar replaced meanwhile
/// ([`Command::SetCalendar`](crate::Command::SetCalendar)) applies to the whole
/// span: a holiday declared this morning stops this morning's clock too. With
/// `QueueBusinessHours` it is the calendar of the queue whose target measures
/// the contact, the queue it is in when responded to; time the contact spent
/// in earlier queues is counted on that calendar as well.
///
/// An id the engine has no calendar for (a [`BusinessHours`](Self::BusinessHours)
/// calendar never added) falls back to the wall clock: a longer response
/// time, never a shorter one, and never a panic. The interaction record says
/// which calendar was applied
/// ([`ResponseRecord::calendar`](crate::stats::ResponseRecord::calendar)), and
/// [`StatsConfig::check_calendars`](crate::stats::StatsConfig::check_calendars)
/// reports such ids as a typed error once the engine is configured.
///
/// Serialised targets written before this setting existed read as
/// [`WallClock`](Self::WallClock), and a wall-clock target is written as
/// before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum ResponseClock {
    /// Every millisecond since arrival counts (the default).
    #[default]
    #[serde(alias = "WallClock")]
    WallClock,
    /// Only the open time of this calendar counts
    /// ([`Command::AddCalendar`](crate::Command::AddCalendar)).
    #[serde(alias = "BusinessHours")]
    BusinessHours(CalendarId),
    /// Only the open time of the calendar of the contact's queue counts
    /// (the queue whose target measures it); all of it for a queue that
    /// follows no calendar.
    #[serde(alias = "QueueBusinessHours")]
    QueueBusinessHours,
}

impl ResponseClock {
    /// True for [`ResponseClock::WallClock`].
    pub fn is_wall_clock(&self) -> bool {
        *self == ResponseClock::WallClock
    }
}

/// A target for deferrable work (e-mail, SMS, social, callbacks, fax): a share
/// of contacts responded to within a span counted from the contact's
/// *arrival*, however many queues it passed through, on the wall clock or in
/// business hours only ([`ResponseClock`]).
///
/// Its service level is responded within ÷ responded: a contact counts once
/// it has been responded to; one still open is visible as overdue in the live
/// figures, not as a miss, until it is responded to. A contact that ends
/// without a response (abandoned, cancelled, expired, closed, declined) is in
/// neither term.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use switchboard::{CalendarId, ResponseClock, ResponseCounts, ResponseMeasure, ResponseTarget};
///
/// let email = ResponseTarget::new(90, Duration::from_secs(4 * 3600), ResponseMeasure::Completed);
/// let mut counts = ResponseCounts::default();
/// email.count(Duration::from_secs(3 * 3600), &mut counts);
/// email.count(Duration::from_secs(5 * 3600), &mut counts);
/// assert_eq!(counts.level().unwrap().percent(), 50.0);
///
/// // "Within 4 business hours" of each queue's own opening hours, or of one named calendar.
/// let business = email.counting_queue_business_hours();
/// assert_eq!(business.clock(), ResponseClock::QueueBusinessHours);
/// let contract = email.counting_business_hours(CalendarId(7));
/// assert_eq!(contract.clock(), ResponseClock::BusinessHours(CalendarId(7)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResponseTarget {
    target_percent: u8,
    #[serde(with = "crate::serde_forms::millis")]
    within: Duration,
    measure: ResponseMeasure,
    #[serde(default, skip_serializing_if = "ResponseClock::is_wall_clock")]
    clock: ResponseClock,
}

impl ResponseTarget {
    /// A target of `target_percent` (clamped to 0–100) responded to within
    /// `within` on the wall clock.
    pub fn new(target_percent: u8, within: Duration, measure: ResponseMeasure) -> Self {
        ResponseTarget { target_percent: target_percent.min(100), within, measure, clock: ResponseClock::WallClock }
    }

    /// The same target counted on `clock`.
    pub fn with_clock(mut self, clock: ResponseClock) -> Self {
        self.clock = clock;
        self
    }

    /// The same target counting only the open time of `calendar`
    /// ([`ResponseClock::BusinessHours`]).
    pub fn counting_business_hours(self, calendar: CalendarId) -> Self {
        self.with_clock(ResponseClock::BusinessHours(calendar))
    }

    /// The same target counting only the open time of the contact's queue's
    /// calendar ([`ResponseClock::QueueBusinessHours`]).
    pub fn counting_queue_business_hours(self) -> Self {
        self.with_clock(ResponseClock::QueueBusinessHours)
    }

    /// The share to respond to in time, in percent.
    pub fn target_percent(&self) -> u8 {
        self.target_percent
    }

    /// The response-time threshold, counted from arrival on [`clock`](Self::clock).
    pub fn within(&self) -> Duration {
        self.within
    }

    /// What counts as the response.
    pub fn measure(&self) -> ResponseMeasure {
        self.measure
    }

    /// The clock response time is counted on.
    pub fn clock(&self) -> ResponseClock {
        self.clock
    }

    /// Whether a response time (on this target's clock) meets the target: ≤ `within`.
    pub fn is_within(&self, response_time: Duration) -> bool {
        response_time <= self.within
    }

    /// Counts a contact responded to `response_time` after it arrived, on
    /// this target's clock (within means ≤).
    pub fn count(&self, response_time: Duration, counts: &mut ResponseCounts) {
        counts.responded += 1;
        if self.is_within(response_time) {
            counts.responded_within += 1;
        }
    }
}

/// Counts for a [`ResponseTarget`]. `responded_within` is judged on each
/// contact's own target clock: business time for a business-hours target,
/// wall-clock time otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResponseCounts {
    /// Contacts responded to.
    pub responded: u64,
    /// Of those, responded to within the target span, on the target's clock.
    pub responded_within: u64,
}

impl ResponseCounts {
    /// responded within ÷ responded, or `None` before the first response.
    pub fn level(&self) -> Option<ServiceLevel> {
        (self.responded > 0).then_some(ServiceLevel { met: self.responded_within, counted: self.responded })
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, other: &ResponseCounts) {
        self.responded = self.responded.saturating_add(other.responded);
        self.responded_within = self.responded_within.saturating_add(other.responded_within);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn four_formulas_by_hand() {
        // T = 20 s, short abandon < 5 s.
        let def = |f| ServiceLevelDefinition::new(f, ServiceLevelTarget::new(80, s(20))).with_short_abandon(s(5));
        let answers = [5, 10, 20, 21, 30, 60];
        let abandons = [2, 8, 15, 45];
        let mut counts = ServiceLevelCounts::default();
        let d = def(ServiceLevelFormula::OfOffered);
        answers.iter().for_each(|w| d.count_answer(s(*w), &mut counts));
        abandons.iter().for_each(|w| d.count_abandon(s(*w), &mut counts));
        d.count_transfer_out(&mut counts);
        assert_eq!(
            counts,
            ServiceLevelCounts {
                answered: 6,
                answered_within: 3,
                abandoned: 3,
                abandoned_within: 2,
                transferred_out: 1,
                short_abandoned: 1
            }
        );
        assert_eq!(counts.offered(), 10);
        let got: Vec<(u64, u64)> =
            ServiceLevelFormula::ALL.iter().map(|f| f.apply(&counts).map(|l| (l.met, l.counted)).unwrap()).collect();
        assert_eq!(got, vec![(3, 10), (3, 8), (3, 6), (5, 10)]);
    }

    #[test]
    fn empty_counts_have_no_level_and_meets_is_exact() {
        for f in ServiceLevelFormula::ALL {
            assert_eq!(f.apply(&ServiceLevelCounts::default()), None);
        }
        let only_early_abandons = ServiceLevelCounts { abandoned: 2, abandoned_within: 2, ..Default::default() };
        assert_eq!(ServiceLevelFormula::IgnoringAbandonedWithin.apply(&only_early_abandons), None);
        assert!(ServiceLevel { met: 4, counted: 5 }.meets(80));
        assert!(!ServiceLevel { met: 79, counted: 100 }.meets(80));
        assert!(ServiceLevel { met: 0, counted: 1 }.meets(0));
    }

    #[test]
    fn response_targets_are_inclusive() {
        let t = ResponseTarget::new(200, s(900), ResponseMeasure::Answered);
        assert_eq!(t.target_percent(), 100);
        let mut c = ResponseCounts::default();
        t.count(s(900), &mut c);
        t.count(s(901), &mut c);
        assert_eq!(c, ResponseCounts { responded: 2, responded_within: 1 });
        assert_eq!(ResponseCounts::default().level(), None);
    }

    #[test]
    fn response_clocks_default_to_the_wall_clock_and_old_targets_still_read() {
        let t = ResponseTarget::new(90, s(4 * 3600), ResponseMeasure::Completed);
        assert_eq!(t.clock(), ResponseClock::WallClock);
        // A target serialised before clocks existed reads as a wall-clock target, and one is written as before.
        let old = r#"{"target_percent":90,"within":{"secs":14400,"nanos":0},"measure":"Completed"}"#;
        assert_eq!(serde_json::from_str::<ResponseTarget>(old).unwrap(), t);
        // Written in format 2's naming (snake_case, milliseconds), still without a clock.
        let now = r#"{"target_percent":90,"within":14400000,"measure":"completed"}"#;
        assert_eq!(serde_json::to_string(&t).unwrap(), now);
        assert_eq!(serde_json::from_str::<ResponseTarget>(now).unwrap(), t);
        for clock in [ResponseClock::BusinessHours(CalendarId(3)), ResponseClock::QueueBusinessHours] {
            let business = t.with_clock(clock);
            let json = serde_json::to_string(&business).unwrap();
            assert!(json.contains(r#""clock":"#), "{json}");
            assert_eq!(serde_json::from_str::<ResponseTarget>(&json).unwrap(), business);
        }
        assert_eq!(t.counting_business_hours(CalendarId(3)).clock(), ResponseClock::BusinessHours(CalendarId(3)));
        assert_eq!(t.counting_queue_business_hours().clock(), ResponseClock::QueueBusinessHours);
    }
}
