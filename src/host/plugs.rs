//! The traits a host implements: channel adapters, event sinks and the customer lookup.

use std::collections::VecDeque;

use crate::command::{Command, NewInteraction};
use crate::engine::Engine;
use crate::event::{Event, Offer};
use crate::ids::{AgentId, InteractionId};
use crate::model::attributes::Attributes;
use crate::time::Timestamp;

use super::error::DriverError;

/// What an adapter (or sink) may do while the driver dispatches an event to it: read the engine,
/// and report commands back.
///
/// The engine is borrowed during dispatch, so an adapter never calls into it: the commands it
/// [reports](AdapterContext::report) are queued and submitted by the driver, in order, as soon as
/// the current round of events is dispatched — journaled like any other command.
pub struct AdapterContext<'a> {
    pub(super) engine: &'a Engine,
    pub(super) now: Timestamp,
    pub(super) outbox: &'a mut VecDeque<Command>,
}

impl<'a> AdapterContext<'a> {
    /// A read-only view of the engine, as it is after the round of commands that produced the
    /// event being dispatched (not necessarily as it was when the event happened).
    pub fn engine(&self) -> &'a Engine {
        self.engine
    }

    /// The time of the current step of the driver call: the call's own time, or the deadline it
    /// is catching up on (an adapter's, or an engine timer's before it). Schedule from this
    /// rather than from the clock, so a late call schedules as a punctual one would have.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Reports a command back (the agent accepted, the customer hung up, …). The driver submits
    /// it after the current round of events; if the engine refuses it, sinks hear of it as a
    /// [`DriverNotice::FollowUpFailed`].
    pub fn report(&mut self, command: Command) {
        self.outbox.push_back(command);
    }
}

impl std::fmt::Debug for AdapterContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdapterContext").field("now", &self.now).field("reported", &self.outbox.len()).finish()
    }
}

/// Why an adapter could not deliver an offer (the agent's desktop is unreachable, the phone
/// does not register, …).
///
/// # Example
/// ```
/// use switchboard::host::AdapterError;
///
/// let e = AdapterError::new("softphone of agent a7 is not registered");
/// assert_eq!(e.to_string(), "softphone of agent a7 is not registered");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{message}")]
pub struct AdapterError {
    message: String,
}

impl AdapterError {
    /// An error with a message for logs and sinks. Keep personal data out of it.
    pub fn new(message: impl Into<String>) -> Self {
        AdapterError { message: message.into() }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The host's side of one channel, or of a group of channels: a telephony switch, a chat
/// platform, a mailbox poller.
///
/// Register it with [`DriverBuilder::adapter`](crate::host::DriverBuilder::adapter) for the channels it
/// serves. It receives, in the order they happened:
///
/// * [`offer`](ChannelAdapter::offer) for every offer on its channels (ring the agent's phone,
///   pop the chat on their desktop);
/// * [`event`](ChannelAdapter::event) for every other event about an interaction on its channels
///   — arrivals, re-queues ([`EventKind::InteractionQueued`](crate::EventKind::InteractionQueued)),
///   assignments ([`EventKind::OfferAccepted`](crate::EventKind::OfferAccepted)), cancellations
///   (offers rejected, timed out or withdrawn), completions, wrap-ups, the end — and for every
///   event that concerns no interaction (agents' presence, queues).
///
/// It reports back what happened either at once, through [`AdapterContext::report`], or later:
/// the driver asks [`poll_command`](ChannelAdapter::poll_command) on every call — at each
/// deadline the adapter gives through [`poll_timeout`](ChannelAdapter::poll_timeout) that has
/// passed, then at the call's time — or the host calls [`Driver::submit`](crate::host::Driver::submit).
/// An [`Agenda`](crate::host::Agenda) holds the commands an adapter has decided on for later.
///
/// Methods are synchronous and must not block: hand the work to your own I/O (a channel send) and
/// return. Note that an offer may already be withdrawn by the time it is dispatched (the events of
/// a round are dispatched after the round); the event that resolves it follows in order.
///
/// # Example
/// ```
/// use switchboard::host::*;
/// use switchboard::*;
///
/// /// Rings a softphone; agents with an odd id have no phone registered.
/// struct Phones;
///
/// impl ChannelAdapter for Phones {
///     fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError> {
///         if offer.agent.0 % 2 == 1 {
///             return Err(AdapterError::new(format!("no phone registered for {}", offer.agent)));
///         }
///         // The agent picks up at once.
///         ctx.report(Command::Accept { agent: offer.agent, offer: offer.id });
///         Ok(())
///     }
/// }
///
/// let clock = ManualClock::new(Timestamp::from_secs(1_700_000_000));
/// let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
///     .clock(clock)
///     .adapter([Channel::Voice], Phones)
///     .build()?;
/// driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "sales", [Channel::Voice])))?;
/// for id in [1, 2] {
///     let agent = AgentConfig::new(AgentId(id), CapacityProfile::single(Channel::Voice, 1))
///         .with_queue(QueueMembership::new(QueueId(1)));
///     driver.submit(Command::AddAgent(agent))?;
///     driver.submit(Command::Login { agent: AgentId(id) })?;
/// }
/// driver.submit(Command::Arrive(NewInteraction::new(InteractionId(9), Channel::Voice, QueueId(1), CustomerId(5))))?;
/// // Agent 1 (longest idle) was offered the call, could not get it and was paused;
/// // agent 2 got it and accepted.
/// assert_eq!(driver.engine().agent(AgentId(1)).unwrap().presence(), Presence::Paused(Driver::DELIVERY_FAILED));
/// assert_eq!(driver.engine().interaction(InteractionId(9)).unwrap().state(), InteractionState::Connected { agent: AgentId(2) });
/// # Ok::<(), DriverError>(())
/// ```
pub trait ChannelAdapter: Send {
    /// Delivers an offer to the agent.
    ///
    /// # Errors
    /// Return an [`AdapterError`] if the offer cannot reach the agent; the driver then applies
    /// its [`OfferFailurePolicy`](crate::host::OfferFailurePolicy), so the interaction is not lost.
    fn offer(&mut self, offer: &Offer, ctx: &mut AdapterContext<'_>) -> Result<(), AdapterError>;

    /// Any other event for this adapter (see the trait docs). The default ignores it.
    fn event(&mut self, event: &Event, ctx: &mut AdapterContext<'_>) {
        let _ = (event, ctx);
    }

    /// The next command this channel has to report by `now` (a new call, an answer, a hang-up),
    /// if any; asked repeatedly until `None` on every driver call, at each of the adapter's
    /// deadlines that has passed and at the call's time. The command is applied at `now`, so
    /// hand out only what is due by then. The default has none.
    fn poll_command(&mut self, now: Timestamp) -> Option<Command> {
        let _ = now;
        None
    }

    /// When the adapter next needs [`poll_command`](ChannelAdapter::poll_command) to be asked,
    /// if it keeps deadlines of its own; folded into
    /// [`Driver::next_deadline`](crate::host::Driver::next_deadline), and the time a late driver call
    /// applies what is due then (see [`Driver`](crate::host::Driver#adapters-deadlines)). The default
    /// has none.
    fn poll_timeout(&self) -> Option<Timestamp> {
        None
    }
}

/// Why an offer did not reach its agent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryFailure {
    /// The channel's adapter returned an error.
    Adapter(AdapterError),
    /// No adapter is registered for the offer's channel.
    NoAdapter,
}

impl std::fmt::Display for DeliveryFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryFailure::Adapter(e) => write!(f, "adapter error: {e}"),
            DeliveryFailure::NoAdapter => f.write_str("no adapter serves the channel"),
        }
    }
}

/// Something the driver did or met that is not an engine event, for monitoring.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum DriverNotice {
    /// An offer could not be delivered; `follow_up` holds the commands queued in its place (empty
    /// if the offer was already resolved by then).
    OfferNotDelivered {
        /// The offer.
        offer: Offer,
        /// Why.
        cause: DeliveryFailure,
        /// The commands queued in its place, per the driver's policy.
        follow_up: Vec<Command>,
    },
    /// A command reported by an adapter (or standing in for a failed delivery) was refused.
    FollowUpFailed {
        /// The command (boxed: a queue's whole configuration may ride in it).
        command: Box<Command>,
        /// Why.
        error: DriverError,
    },
    /// The customer lookup failed; the interaction entered without enrichment.
    LookupFailed {
        /// The interaction.
        interaction: InteractionId,
        /// Why.
        error: LookupError,
    },
    /// The lookup's answer would make the interaction's attributes exceed the engine's limit; the
    /// interaction entered without enrichment.
    LookupTooLarge {
        /// The interaction.
        interaction: InteractionId,
        /// Bytes of attributes with the answer merged.
        bytes: usize,
        /// The engine's limit.
        limit: u32,
    },
    /// The per-call limit on follow-up commands was reached; `pending` commands wait for the next
    /// call (the next deadline is now).
    FollowUpsDeferred {
        /// Commands still queued.
        pending: usize,
    },
}

/// A consumer of events for monitoring and reporting: a wallboard, a statistics store, an audit
/// log.
///
/// Sinks see every event, in order, after the adapters, with a read-only view of the engine (as
/// it is after the round of commands that produced the event). Closures
/// `FnMut(&Event, &Engine) + Send` are sinks too.
///
/// # Example
/// ```
/// use std::sync::{Arc, Mutex};
/// use switchboard::host::*;
/// use switchboard::*;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
///     .clock(ManualClock::new(Timestamp::from_secs(0)))
///     .sink(move |event: &Event, _: &Engine| log.lock().unwrap().push(event.kind.clone()))
///     .build()?;
/// driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Email])))?;
/// assert_eq!(*seen.lock().unwrap(), vec![EventKind::QueueAdded { queue: QueueId(1) }]);
/// # Ok::<(), DriverError>(())
/// ```
pub trait EventSink: Send {
    /// One event.
    fn event(&mut self, event: &Event, engine: &Engine);

    /// A driver notice (failed deliveries, refused follow-ups, lookup failures). The default
    /// ignores it.
    fn notice(&mut self, notice: &DriverNotice, engine: &Engine) {
        let _ = (notice, engine);
    }
}

impl<F: FnMut(&Event, &Engine) + Send> EventSink for F {
    fn event(&mut self, event: &Event, engine: &Engine) {
        self(event, engine)
    }
}

/// Why a customer lookup failed (the CRM is down, timed out, …). The interaction still enters,
/// without enrichment.
///
/// # Example
/// ```
/// use switchboard::host::LookupError;
///
/// assert_eq!(LookupError::new("crm timed out").to_string(), "crm timed out");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{message}")]
pub struct LookupError {
    message: String,
}

impl LookupError {
    /// An error with a message for logs and sinks. Keep personal data out of it.
    pub fn new(message: impl Into<String>) -> Self {
        LookupError { message: message.into() }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// What the host's CRM or back office knows about a customer, as the lookup answers it.
///
/// The driver merges it into the arriving interaction before journaling the command: each
/// attribute is added unless the interaction already carries that key (what the channel says
/// about this contact wins over the CRM), and `priority_boost` is added to the interaction's
/// priority (saturating). Attribute values may be personal data; `Debug` prints only the keys.
///
/// # Example
/// ```
/// use switchboard::{AgentId};
/// use switchboard::host::{CustomerProfile};
///
/// let vip = CustomerProfile::new()
///     .with_segment("vip")
///     .with_value("gold")
///     .with_language("fr")
///     .with_preferred_agent(AgentId(7))
///     .with_priority_boost(10);
/// assert_eq!(vip.attributes.get(CustomerProfile::SEGMENT), Some("vip"));
/// assert_eq!(vip.attributes.get(CustomerProfile::PREFERRED_AGENT), Some("7"));
/// assert!(!vip.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CustomerProfile {
    /// Attributes to add to the interaction.
    pub attributes: Attributes,
    /// Points added to the interaction's base priority (negative lowers it).
    pub priority_boost: i32,
}

impl CustomerProfile {
    /// The attribute key for the customer's segment.
    pub const SEGMENT: &'static str = "segment";
    /// The attribute key for the customer's value (tier, lifetime value band).
    pub const VALUE: &'static str = "customer_value";
    /// The attribute key for the customer's preferred agent (the agent id's number).
    pub const PREFERRED_AGENT: &'static str = "preferred_agent";
    /// The attribute key for the customer's language.
    pub const LANGUAGE: &'static str = "language";

    /// Nothing known: no attributes, no boost.
    pub fn new() -> Self {
        CustomerProfile::default()
    }

    /// Adds one attribute.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.insert(key, value);
        self
    }

    /// Sets the segment ([`CustomerProfile::SEGMENT`]).
    pub fn with_segment(self, segment: impl Into<String>) -> Self {
        self.with(Self::SEGMENT, segment)
    }

    /// Sets the customer's value ([`CustomerProfile::VALUE`]).
    pub fn with_value(self, value: impl Into<String>) -> Self {
        self.with(Self::VALUE, value)
    }

    /// Sets the preferred agent ([`CustomerProfile::PREFERRED_AGENT`]).
    pub fn with_preferred_agent(self, agent: AgentId) -> Self {
        self.with(Self::PREFERRED_AGENT, agent.0.to_string())
    }

    /// Sets the language ([`CustomerProfile::LANGUAGE`]).
    pub fn with_language(self, language: impl Into<String>) -> Self {
        self.with(Self::LANGUAGE, language)
    }

    /// Sets the priority boost.
    pub fn with_priority_boost(mut self, boost: i32) -> Self {
        self.priority_boost = boost;
        self
    }

    /// True when the profile would change nothing.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.priority_boost == 0
    }
}

/// The host's CRM or back office, asked once about each arriving interaction.
///
/// Called by the driver for every [`Command::Arrive`] before the command is journaled, so the
/// journal holds the enriched command and replay never calls the lookup. Synchronous: answer from
/// a cache, or enrich the interaction before submitting it if the CRM is slow. Closures
/// `FnMut(&NewInteraction, Timestamp) -> Result<CustomerProfile, LookupError> + Send` are lookups
/// too.
///
/// # Example
/// ```
/// use switchboard::host::*;
/// use switchboard::*;
///
/// let crm = |new: &NewInteraction, _now: Timestamp| -> Result<CustomerProfile, LookupError> {
///     Ok(if new.customer.0 < 100 { CustomerProfile::new().with_segment("vip").with_priority_boost(5) } else { CustomerProfile::new() })
/// };
/// let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
///     .clock(ManualClock::new(Timestamp::from_secs(0)))
///     .lookup(crm)
///     .build()?;
/// driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "q", [Channel::Chat])))?;
/// driver.submit(Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(42))))?;
/// let i = driver.engine().interaction(InteractionId(1)).unwrap();
/// assert_eq!(i.attributes().get("segment"), Some("vip"));
/// assert_eq!(i.priority(), 5);
/// # Ok::<(), DriverError>(())
/// ```
pub trait CustomerLookup: Send {
    /// What is known about the customer of an arriving interaction.
    ///
    /// # Errors
    /// A [`LookupError`] if the back office cannot answer; the interaction then enters unenriched
    /// and sinks get a [`DriverNotice::LookupFailed`].
    fn lookup(&mut self, interaction: &NewInteraction, now: Timestamp) -> Result<CustomerProfile, LookupError>;
}

impl<F> CustomerLookup for F
where
    F: FnMut(&NewInteraction, Timestamp) -> Result<CustomerProfile, LookupError> + Send,
{
    fn lookup(&mut self, interaction: &NewInteraction, now: Timestamp) -> Result<CustomerProfile, LookupError> {
        self(interaction, now)
    }
}
