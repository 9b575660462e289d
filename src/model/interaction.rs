//! Interactions: one contact from one customer on one channel.

use serde::{Deserialize, Serialize};

use super::attributes::Attributes;
use super::channel::Channel;
use super::skill::Requirements;
use crate::ids::{AgentId, CaseId, CustomerId, InteractionId, OfferId, QueueId};
use crate::time::Timestamp;

/// Where a live interaction is in its lifecycle.
///
/// The terminal states are not here: an interaction that ends leaves the
/// engine, and its one [`Outcome`] is reported in
/// [`EventKind::InteractionEnded`](crate::EventKind::InteractionEnded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum InteractionState {
    /// Waiting in its queue.
    #[serde(alias = "Queued")]
    Queued,
    /// A scheduled callback before its due time
    /// ([`Command::ScheduleCallback`](crate::Command::ScheduleCallback)): live
    /// and counted, but in no waiting list and offered to nobody until `due`,
    /// when it enters its queue.
    #[serde(alias = "Scheduled")]
    Scheduled {
        /// When it enters its queue.
        due: Timestamp,
    },
    /// Offered to one agent, whose capacity is reserved for it.
    #[serde(alias = "Offered")]
    Offered {
        /// The offer.
        offer: OfferId,
        /// The agent.
        agent: AgentId,
    },
    /// Connected to an agent.
    #[serde(alias = "Connected")]
    Connected {
        /// The agent.
        agent: AgentId,
    },
    /// The conversation is over; the agent is doing after-contact work.
    #[serde(alias = "WrapUp")]
    WrapUp {
        /// The agent.
        agent: AgentId,
    },
}

/// How an interaction ended. Every interaction ends exactly once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Handled by an agent (conversation and wrap-up done).
    #[serde(alias = "Handled")]
    Handled {
        /// The agent who handled it last.
        agent: AgentId,
    },
    /// The customer left while waiting or while the offer rang.
    #[serde(alias = "Abandoned")]
    Abandoned {
        /// True if an offer was pending when the customer left.
        while_offered: bool,
    },
    /// The host withdrew it (spam, duplicate, resolved elsewhere).
    #[serde(alias = "Cancelled")]
    Cancelled,
    /// Every qualified agent declined it, and its queue says
    /// [`AllDeclined::End`](crate::AllDeclined::End).
    #[serde(alias = "Declined")]
    Declined,
    /// It waited (or rang) longer than its queue's
    /// [`time_to_live`](crate::QueueConfig::time_to_live) unanswered.
    #[serde(alias = "Expired")]
    Expired,
    /// Real-time work in a closed queue whose rule is
    /// [`WhenClosed::End`](crate::WhenClosed::End): it arrived while the
    /// queue was closed, or waited in it at closing.
    #[serde(alias = "Closed")]
    Closed,
    /// Ended by one of its queue's rules
    /// ([`ExceptionAction::End`](crate::ExceptionAction::End)), sent where
    /// the host is to send it.
    #[serde(alias = "Diverted")]
    Diverted(crate::model::step::Diversion),
    /// A callback whose every dial failed: its queue's
    /// [`callback_attempts`](crate::QueueConfig::callback_attempts) were all
    /// used ([`Command::CallbackFailed`](crate::Command::CallbackFailed)); the last failure.
    #[serde(alias = "CallbackFailed")]
    CallbackFailed(DialFailure),
    /// Resolved in self-service before reaching any queue
    /// ([`Command::SelfServed`](crate::Command::SelfServed)): only in the
    /// statistics' records and contact history; the engine never held it.
    #[serde(alias = "SelfServed")]
    SelfServed(SelfService),
}

/// Why the host's dial of a callback failed ([`Command::CallbackFailed`](crate::Command::CallbackFailed)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum DialFailure {
    /// Nobody answered.
    #[serde(alias = "NoAnswer")]
    NoAnswer,
    /// The line was busy.
    #[serde(alias = "Busy")]
    Busy,
    /// An answering machine or voicemail picked up.
    #[serde(alias = "Voicemail")]
    Voicemail,
    /// The number did not connect (invalid, unreachable).
    #[serde(alias = "Unreachable")]
    Unreachable,
}

/// Where a contact was resolved without an agent (deflection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case")]
pub enum SelfService {
    /// An IVR menu.
    #[serde(alias = "Ivr")]
    Ivr,
    /// A FAQ or knowledge-base article.
    #[serde(alias = "Faq")]
    Faq,
    /// A bot (chat or voice).
    #[serde(alias = "Bot")]
    Bot,
    /// Anything else the host counts as self-service (a web form, an app).
    #[serde(alias = "Other")]
    Other,
}

/// A contact resolved in self-service before any queue
/// ([`Command::SelfServed`](crate::Command::SelfServed)): the web visitor
/// who found the answer in the FAQ, the caller the IVR served.
///
/// # Example
/// ```
/// use switchboard::{Channel, CustomerId, InteractionId, SelfService, SelfServedContact};
///
/// let faq = SelfServedContact::new(InteractionId(9), Channel::Chat, CustomerId(42), SelfService::Faq)
///     .with_reason("password reset");
/// assert_eq!(faq.reason.as_deref(), Some("password reset"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SelfServedContact {
    /// The contact's id, chosen by the host; not the id of a live interaction.
    pub id: InteractionId,
    /// Its channel.
    pub channel: Channel,
    /// The customer.
    pub customer: CustomerId,
    /// The case it belongs to, if any.
    #[serde(default)]
    pub case: Option<CaseId>,
    /// Where it was resolved.
    pub via: SelfService,
    /// Why the customer came (a menu choice, an intent), if the host knows.
    #[serde(default)]
    pub reason: Option<String>,
    /// Host attributes, as an arrival's (they go into the statistics' breakdowns).
    #[serde(default)]
    pub attributes: Attributes,
}

impl SelfServedContact {
    /// A contact with no case, reason or attributes.
    pub fn new(id: InteractionId, channel: Channel, customer: CustomerId, via: SelfService) -> Self {
        SelfServedContact { id, channel, customer, case: None, via, reason: None, attributes: Attributes::new() }
    }

    /// Sets the reason.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets the case.
    pub fn with_case(mut self, case: CaseId) -> Self {
        self.case = Some(case);
        self
    }

    /// Sets the attributes.
    pub fn with_attributes(mut self, attributes: Attributes) -> Self {
        self.attributes = attributes;
        self
    }
}

/// A live interaction, as the engine holds it.
///
/// # Example
/// ```
/// # use switchboard::*;
/// # let mut engine = Engine::new(EngineConfig::default());
/// # let t = Timestamp::from_secs(0);
/// # engine.handle(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat])), t).unwrap();
/// engine.handle(Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(9))), t).unwrap();
/// let i = engine.interaction(InteractionId(1)).unwrap();
/// assert_eq!(i.state(), InteractionState::Queued);
/// assert_eq!(i.customer(), CustomerId(9));
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "InteractionRecord", into = "InteractionRecord")]
pub struct Interaction {
    pub(crate) id: InteractionId,
    pub(crate) seq: u64,
    pub(crate) channel: Channel,
    pub(crate) queue: QueueId,
    pub(crate) customer: CustomerId,
    /// Its case when marked [`IN_CASE`], else `CaseId(0)` (one
    /// representation, for the derived equality): an `Option<CaseId>` took
    /// eight bytes more of every interaction, a flag takes a bit of padding.
    /// See [`Interaction::case`].
    case: CaseId,
    /// [`IN_CASE`] and [`OVERDUE`] in one byte: as two `bool`s, beside the
    /// state's tag, the channel, the step and the two 32-bit counts, the
    /// small fields took seventeen bytes, padded to twenty-four.
    marks: u8,
    pub(crate) own_requirements: Requirements,
    pub(crate) requirements: Requirements,
    pub(crate) priority: i32,
    pub(crate) arrived_at: Timestamp,
    pub(crate) queue_entered_at: Timestamp,
    pub(crate) attributes: Attributes,
    /// Its [`InteractionState`] as a tag and two words (see
    /// [`Interaction::state`]): the enum takes 24 bytes, its tag padded to
    /// eight, while here the tag sits in a byte of the padding that the
    /// small fields below leave anyway.
    state_kind: StateKind,
    /// The agent of an offered, connected or wrapped-up interaction, or
    /// the due time (in milliseconds) of a scheduled one.
    state_word: u64,
    /// The offer of an offered interaction.
    state_offer: OfferId,
    pub(crate) offers: u32,
    /// The routing step it is in (0 when its queue has none).
    pub(crate) step: u16,
    /// What few interactions carry, boxed so that the many waiting without
    /// it do not pay for it; `None` exactly when it is all empty.
    rare: Option<Box<Rare>>,
}

/// Its fields as they read, not as they are packed: the state as an
/// [`InteractionState`], the case as an `Option`, the overdue flag.
impl std::fmt::Debug for Interaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interaction")
            .field("id", &self.id)
            .field("seq", &self.seq)
            .field("channel", &self.channel)
            .field("queue", &self.queue)
            .field("customer", &self.customer)
            .field("case", &self.case())
            .field("own_requirements", &self.own_requirements)
            .field("requirements", &self.requirements)
            .field("priority", &self.priority)
            .field("arrived_at", &self.arrived_at)
            .field("queue_entered_at", &self.queue_entered_at)
            .field("attributes", &self.attributes)
            .field("state", &self.state())
            .field("offers", &self.offers)
            .field("overdue", &self.is_overdue())
            .field("step", &self.step)
            .field("rare", &self.rare)
            .finish()
    }
}

/// In [`Interaction::marks`]: it belongs to a case.
const IN_CASE: u8 = 1;
/// In [`Interaction::marks`]: it waited past its queue's
/// [`max_wait`](crate::QueueConfig::max_wait) (set when the bound is
/// reached, kept until it leaves the queue for good).
const OVERDUE: u8 = 2;

/// `flag` when `set`, else nothing.
fn mark(flag: u8, set: bool) -> u8 {
    if set { flag } else { 0 }
}

/// Which [`InteractionState`] an interaction is in, without its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StateKind {
    Queued,
    Scheduled,
    Offered,
    Connected,
    WrapUp,
}

/// The parts of an interaction that most never have (see [`Interaction::edit_rare`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rare {
    /// Agents who declined it, sorted.
    pub(crate) declined_by: Vec<AgentId>,
    /// Its own routing steps, replacing its queue's, in the queue it arrived in.
    pub(crate) own_steps: Option<Vec<crate::model::step::RoutingStep>>,
    /// When it entered its current queue, if not at its place in line (after a transfer).
    pub(crate) joined_at: Option<Timestamp>,
    /// Paused by real-time work of its agent (interruptible work): the
    /// real-time interaction whose accept paused it.
    pub(crate) interrupted_by: Option<InteractionId>,
    /// Its preference phase, when it arrived with one: the first steps of
    /// `own_steps` offer it only to the agents it prefers.
    pub(crate) preference: Option<super::preference::PreferencePhase>,
    /// Failed dials of a callback so far.
    pub(crate) dial_failures: u32,
    /// While in wrap-up under a mode other than optional, or extended: how.
    pub(crate) wrap_up: Option<super::wrap_up::WrapUpState>,
    /// A disposition code has been given.
    pub(crate) coded: bool,
}

/// An interaction as snapshots write it: every field flat, in the order
/// and with the names snapshots have always had.
#[derive(Serialize, Deserialize)]
struct InteractionRecord {
    id: InteractionId,
    seq: u64,
    channel: Channel,
    queue: QueueId,
    customer: CustomerId,
    case: Option<CaseId>,
    own_requirements: Requirements,
    requirements: Requirements,
    priority: i32,
    arrived_at: Timestamp,
    queue_entered_at: Timestamp,
    attributes: Attributes,
    state: InteractionState,
    declined_by: Vec<AgentId>,
    offers: u32,
    #[serde(default)]
    overdue: bool,
    // No `skip_serializing_if`: the compact snapshot's format has no field names.
    #[serde(default)]
    own_steps: Option<Vec<crate::model::step::RoutingStep>>,
    #[serde(default)]
    step: u16,
    #[serde(default)]
    joined_at: Option<Timestamp>,
    #[serde(default)]
    interrupted_by: Option<InteractionId>,
    #[serde(default)]
    preference: Option<super::preference::PreferencePhase>,
    #[serde(default)]
    dial_failures: u32,
    #[serde(default)]
    wrap_up: Option<super::wrap_up::WrapUpState>,
    #[serde(default)]
    coded: bool,
}

impl From<InteractionRecord> for Interaction {
    fn from(r: InteractionRecord) -> Self {
        let mut i = Interaction {
            id: r.id,
            seq: r.seq,
            channel: r.channel,
            queue: r.queue,
            customer: r.customer,
            case: r.case.unwrap_or(CaseId(0)),
            marks: mark(IN_CASE, r.case.is_some()) | mark(OVERDUE, r.overdue),
            own_requirements: r.own_requirements,
            requirements: r.requirements,
            priority: r.priority,
            arrived_at: r.arrived_at,
            queue_entered_at: r.queue_entered_at,
            attributes: r.attributes,
            state_kind: StateKind::Queued,
            state_word: 0,
            state_offer: OfferId(0),
            offers: r.offers,
            step: r.step,
            rare: None,
        };
        i.set_state(r.state);
        i.edit_rare(|rare| {
            *rare = Rare {
                declined_by: r.declined_by,
                own_steps: r.own_steps,
                joined_at: r.joined_at,
                interrupted_by: r.interrupted_by,
                preference: r.preference,
                dial_failures: r.dial_failures,
                wrap_up: r.wrap_up,
                coded: r.coded,
            }
        });
        i
    }
}

impl From<Interaction> for InteractionRecord {
    fn from(i: Interaction) -> Self {
        let (state, case, overdue) = (i.state(), i.case(), i.is_overdue());
        let rare = i.rare.map(|rare| *rare).unwrap_or_default();
        InteractionRecord {
            id: i.id,
            seq: i.seq,
            channel: i.channel,
            queue: i.queue,
            customer: i.customer,
            case,
            own_requirements: i.own_requirements,
            requirements: i.requirements,
            priority: i.priority,
            arrived_at: i.arrived_at,
            queue_entered_at: i.queue_entered_at,
            attributes: i.attributes,
            state,
            declined_by: rare.declined_by,
            offers: i.offers,
            overdue,
            own_steps: rare.own_steps,
            step: i.step,
            joined_at: rare.joined_at,
            interrupted_by: rare.interrupted_by,
            preference: rare.preference,
            dial_failures: rare.dial_failures,
            wrap_up: rare.wrap_up,
            coded: rare.coded,
        }
    }
}

impl Interaction {
    /// The id.
    pub fn id(&self) -> InteractionId {
        self.id
    }
    /// The engine's arrival sequence number: the final tie-break between equal interactions.
    pub fn arrival_seq(&self) -> u64 {
        self.seq
    }
    /// The channel.
    pub fn channel(&self) -> Channel {
        self.channel
    }
    /// The queue it is in (or was routed from).
    pub fn queue(&self) -> QueueId {
        self.queue
    }
    /// The customer.
    pub fn customer(&self) -> CustomerId {
        self.customer
    }
    /// The case, if any.
    pub fn case(&self) -> Option<CaseId> {
        (self.marks & IN_CASE != 0).then_some(self.case)
    }
    /// The effective requirements: the queue's and the interaction's own.
    pub fn requirements(&self) -> &Requirements {
        &self.requirements
    }
    /// The base priority (higher first).
    pub fn priority(&self) -> i32 {
        self.priority
    }
    /// When it arrived.
    pub fn arrived_at(&self) -> Timestamp {
        self.arrived_at
    }
    /// Its place in line: when it first entered a queue. Kept across
    /// re-queue after a reject or timeout and across transfers.
    pub fn queue_entered_at(&self) -> Timestamp {
        self.queue_entered_at
    }
    /// The host's attributes.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }
    /// The routing step it is in, counted from 0 (0 when its queue has no
    /// [steps](crate::RoutingStep)).
    pub fn step(&self) -> usize {
        usize::from(self.step)
    }
    /// When it entered the queue it is in: its place in line, or the time
    /// of its last transfer. Routing steps count from here.
    pub fn joined_queue_at(&self) -> Timestamp {
        self.joined_at().unwrap_or(self.queue_entered_at)
    }
    /// The routing steps that apply to it in `queue` (its own, or the queue's).
    pub(crate) fn steps<'a>(
        &'a self,
        queue: &'a crate::model::queue::QueueConfig,
    ) -> &'a [crate::model::step::RoutingStep] {
        self.own_steps().map_or(&queue.steps, Vec::as_slice)
    }
    /// A new interaction in its first queue, as it arrives.
    pub(crate) fn arriving(
        new: crate::command::NewInteraction,
        seq: u64,
        own_requirements: Requirements,
        requirements: Requirements,
        now: Timestamp,
    ) -> Self {
        let mut i = Interaction {
            id: new.id,
            seq,
            channel: new.channel,
            queue: new.queue,
            customer: new.customer,
            case: new.case.unwrap_or(CaseId(0)),
            marks: mark(IN_CASE, new.case.is_some()),
            own_requirements,
            requirements,
            priority: new.priority,
            arrived_at: now,
            queue_entered_at: now,
            attributes: new.attributes,
            state_kind: StateKind::Queued,
            state_word: 0,
            state_offer: OfferId(0),
            offers: 0,
            step: 0,
            rare: None,
        };
        i.edit_rare(|rare| rare.own_steps = new.steps);
        i
    }
    /// The preference it is offered under now: its preference phase's kind
    /// while its step is one of the phase's.
    pub(crate) fn preferring(&self) -> Option<super::preference::PreferenceKind> {
        let phase = self.rare.as_ref()?.preference?;
        (self.step < phase.steps).then_some(phase.kind)
    }
    /// Its wrap-up's mode and whether it was extended (optional, not extended, when not kept).
    pub(crate) fn wrap_up_state(&self) -> super::wrap_up::WrapUpState {
        self.rare.as_ref().and_then(|r| r.wrap_up).unwrap_or_default()
    }
    /// Failed dials of this callback so far.
    pub fn dial_failures(&self) -> u32 {
        self.rare.as_ref().map_or(0, |r| r.dial_failures)
    }
    /// Whether a disposition code has been given.
    pub(crate) fn coded(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.coded)
    }
    /// Its preference phase, if it arrived with one (see [`Rare::preference`]).
    pub(crate) fn preference_phase(&self) -> Option<super::preference::PreferencePhase> {
        self.rare.as_ref()?.preference
    }
    /// Changes its rare parts; they are boxed only while not all empty.
    pub(crate) fn edit_rare(&mut self, edit: impl FnOnce(&mut Rare)) {
        // Edited in place when boxed, and on the stack when not, so that the
        // common edits that leave it empty (clearing an interruption on
        // every completion) never allocate.
        match &mut self.rare {
            Some(rare) => {
                edit(rare);
                if **rare == Rare::default() {
                    self.rare = None;
                }
            }
            None => {
                let mut rare = Rare::default();
                edit(&mut rare);
                if rare != Rare::default() {
                    self.rare = Some(Box::new(rare));
                }
            }
        }
    }
    /// Its own routing steps, if it has them (replacing its queue's).
    pub(crate) fn own_steps(&self) -> Option<&Vec<crate::model::step::RoutingStep>> {
        self.rare.as_ref()?.own_steps.as_ref()
    }
    /// When it entered its current queue, if not at its place in line (after a transfer).
    pub(crate) fn joined_at(&self) -> Option<Timestamp> {
        self.rare.as_ref()?.joined_at
    }
    /// When its wait reaches `queue`'s [`max_wait`](crate::QueueConfig::max_wait), if the queue has one.
    pub(crate) fn wait_deadline(&self, queue: &crate::model::queue::QueueConfig) -> Option<Timestamp> {
        let bound = queue.max_wait_ms()?;
        Some(Timestamp::from_millis(self.queue_entered_at.as_millis().saturating_add(bound)))
    }
    /// The routing step its time in `queue` has reached at `now`, and when
    /// that step ends, if it is not the last (step 0 and no end without steps).
    pub(crate) fn step_due(
        &self,
        queue: &crate::model::queue::QueueConfig,
        now: Timestamp,
    ) -> (usize, Option<Timestamp>) {
        let joined = self.joined_queue_at();
        let (step, end) = crate::model::step::step_at(self.steps(queue), now.millis_since(joined));
        (step, end.map(|end| Timestamp::from_millis(joined.as_millis().saturating_add(end))))
    }
    /// The priority its current step adds.
    pub(crate) fn step_boost(&self, queue: &crate::model::queue::QueueConfig) -> i32 {
        self.steps(queue).get(usize::from(self.step)).map_or(0, |s| s.priority_boost)
    }
    /// Whether it has waited past its queue's
    /// [`max_wait`](crate::QueueConfig::max_wait): it then ranks ahead of
    /// queue priority and blending, earliest deadline first.
    pub fn is_overdue(&self) -> bool {
        self.marks & OVERDUE != 0
    }
    /// Marks it overdue, or no longer overdue.
    pub(crate) fn set_overdue(&mut self, overdue: bool) {
        self.marks = self.marks & !OVERDUE | mark(OVERDUE, overdue);
    }
    /// The real-time interaction that interrupted it, while it is
    /// interrupted: it is connected on a channel its agent's profile makes
    /// interruptible, and it pauses while the agent holds real-time work (see
    /// [Interruptible work](crate::CapacityProfile#interruptible-work)). It
    /// stays interrupted while the agent holds *any* real-time work, so the
    /// interaction named may have ended already. `None` when it is not
    /// interrupted.
    pub fn interrupted_by(&self) -> Option<InteractionId> {
        self.rare.as_ref()?.interrupted_by
    }

    /// Where it is in its lifecycle.
    pub fn state(&self) -> InteractionState {
        match self.state_kind {
            StateKind::Queued => InteractionState::Queued,
            StateKind::Scheduled => InteractionState::Scheduled { due: Timestamp::from_millis(self.state_word as i64) },
            StateKind::Offered => {
                InteractionState::Offered { offer: self.state_offer, agent: AgentId(self.state_word) }
            }
            StateKind::Connected => InteractionState::Connected { agent: AgentId(self.state_word) },
            StateKind::WrapUp => InteractionState::WrapUp { agent: AgentId(self.state_word) },
        }
    }
    /// Moves it to `state`. Words a state does not use are zero, so that the
    /// derived equality compares states, not leftovers.
    pub(crate) fn set_state(&mut self, state: InteractionState) {
        (self.state_kind, self.state_word, self.state_offer) = match state {
            InteractionState::Queued => (StateKind::Queued, 0, OfferId(0)),
            InteractionState::Scheduled { due } => (StateKind::Scheduled, due.as_millis() as u64, OfferId(0)),
            InteractionState::Offered { offer, agent } => (StateKind::Offered, agent.0, offer),
            InteractionState::Connected { agent } => (StateKind::Connected, agent.0, OfferId(0)),
            InteractionState::WrapUp { agent } => (StateKind::WrapUp, agent.0, OfferId(0)),
        };
    }
    /// Whether it waits in its queue ([`InteractionState::Queued`]).
    pub(crate) fn is_queued(&self) -> bool {
        self.state_kind == StateKind::Queued
    }
    /// Agents who declined it (it is never offered to them again when the
    /// engine is configured that way), sorted by id.
    pub fn declined_by(&self) -> &[AgentId] {
        self.rare.as_ref().map_or(&[], |rare| &rare.declined_by)
    }
    /// How many offers it has had.
    pub fn offers(&self) -> u32 {
        self.offers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::NewInteraction;

    fn arrived(case: Option<CaseId>) -> Interaction {
        let mut new = NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(9));
        if let Some(case) = case {
            new = new.with_case(case);
        }
        Interaction::arriving(new, 0, Requirements::none(), Requirements::none(), Timestamp::EPOCH)
    }

    /// Case 0 is a case like any other, and no case is none, through a
    /// snapshot's record too; an interaction stays 120 bytes.
    #[test]
    fn the_case_flag_keeps_case_zero_apart_from_none() {
        for case in [None, Some(CaseId(0)), Some(CaseId(7)), Some(CaseId(u64::MAX))] {
            let i = arrived(case);
            assert_eq!(i.case(), case);
            let back = Interaction::from(InteractionRecord::from(i.clone()));
            assert_eq!(back, i, "{case:?} through the record");
            assert_eq!(back.case(), case);
        }
        assert_ne!(arrived(None), arrived(Some(CaseId(0))));
        let mut overdue = arrived(Some(CaseId(3)));
        overdue.set_overdue(true);
        assert_eq!((overdue.case(), overdue.is_overdue()), (Some(CaseId(3)), true), "the flags share a byte");
        overdue.set_overdue(false);
        assert_eq!(overdue, arrived(Some(CaseId(3))));
        #[cfg(target_pointer_width = "64")]
        assert_eq!(std::mem::size_of::<Interaction>(), 120);
    }
    /// Every state, with ids and times at their edges, reads back as it was
    /// set, through a snapshot's record too, and leaves nothing behind: an
    /// interaction moved back to `Queued` equals one that never left it.
    #[test]
    fn states_read_back_as_set_and_leave_nothing_behind() {
        let edges = [(0, 0), (1, 2), (u64::MAX, u64::MAX), (u64::MAX - 1, 7)];
        let mut states = vec![InteractionState::Queued];
        for (a, b) in edges {
            states.push(InteractionState::Offered { offer: OfferId(a), agent: AgentId(b) });
            states.push(InteractionState::Connected { agent: AgentId(a) });
            states.push(InteractionState::WrapUp { agent: AgentId(b) });
        }
        for due in [i64::MIN, -1, 0, 1, Timestamp::MAX.as_millis(), i64::MAX] {
            states.push(InteractionState::Scheduled { due: Timestamp::from_millis(due) });
        }
        for state in states {
            let mut i = arrived(None);
            i.set_state(state);
            assert_eq!(i.state(), state);
            assert_eq!(i.is_queued(), state == InteractionState::Queued, "{state:?}");
            assert_eq!(Interaction::from(InteractionRecord::from(i.clone())), i, "{state:?} through the record");
            i.set_state(InteractionState::Queued);
            assert_eq!(i, arrived(None), "back from {state:?}");
        }
        // Between states that are not `Queued` too: an offer's words do not
        // outlive it.
        let moved = |from: InteractionState, to: InteractionState| {
            let mut i = arrived(None);
            i.set_state(from);
            i.set_state(to);
            i
        };
        let direct = |to: InteractionState| moved(to, to);
        let offered = InteractionState::Offered { offer: OfferId(9), agent: AgentId(4) };
        let scheduled = InteractionState::Scheduled { due: Timestamp::from_millis(-5) };
        for to in [
            InteractionState::Connected { agent: AgentId(4) },
            InteractionState::WrapUp { agent: AgentId(4) },
            InteractionState::Offered { offer: OfferId(1), agent: AgentId(2) },
            scheduled,
        ] {
            assert_eq!(moved(offered, to), direct(to), "offered, then {to:?}");
            assert_eq!(moved(scheduled, to), direct(to), "scheduled, then {to:?}");
        }
    }
}
