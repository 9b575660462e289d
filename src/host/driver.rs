//! The driver: owns the engine and the host's plugs, and pumps them.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use crate::command::Command;
use crate::engine::Engine;
use crate::event::{Event, EventKind, Offer};
use crate::ids::{InteractionId, ReasonCode};
use crate::model::channel::Channel;
use crate::time::Timestamp;

use super::clock::{Clock, SystemClock};
use super::error::DriverError;
use super::journal::{Checkpoint, CommitPoint, Journal, JournalEntry, JournalError};
use super::plugs::{AdapterContext, ChannelAdapter, CustomerLookup, DeliveryFailure, DriverNotice, EventSink};

/// What the driver does when an offer cannot be delivered (the adapter returned an error, or no
/// adapter serves the channel). The commands it chooses are journaled like any other, so replay
/// reproduces the recovery exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OfferFailurePolicy {
    /// Pause the agent with this reason ([`Command::Pause`]). The engine withdraws the agent's
    /// pending offers — this one and any other — puts each interaction back at its place in line
    /// and offers it to another agent; the agent stays not ready until resumed. The default,
    /// with [`Driver::DELIVERY_FAILED`].
    PauseAgent(ReasonCode),
    /// Reject the offer on the agent's behalf ([`Command::Reject`]); the agent stays ready. The
    /// interaction goes back to its place in line — and may be offered to the same agent again at
    /// once, unless the engine is configured with `never_reoffer_to_decliners`. Use with care: an
    /// adapter that keeps failing then loops until the driver's follow-up limit.
    Reject,
    /// Reject the offer, then pause the agent with this reason: the agent is recorded as having
    /// declined the interaction (see `never_reoffer_to_decliners`), and is not ready.
    RejectAndPause(ReasonCode),
}

impl Default for OfferFailurePolicy {
    fn default() -> Self {
        OfferFailurePolicy::PauseAgent(Driver::DELIVERY_FAILED)
    }
}

impl OfferFailurePolicy {
    fn commands(self, offer: &Offer) -> Vec<Command> {
        let reject = Command::Reject { agent: offer.agent, offer: offer.id };
        let pause = |reason| Command::Pause { agent: offer.agent, reason };
        match self {
            OfferFailurePolicy::PauseAgent(reason) => vec![pause(reason)],
            OfferFailurePolicy::Reject => vec![reject],
            OfferFailurePolicy::RejectAndPause(reason) => vec![reject, pause(reason)],
        }
    }
}

/// Running counts of what the driver did, for monitoring.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DriverStats {
    /// Commands the engine accepted (and the journal recorded, if there is one).
    pub commands_accepted: u64,
    /// Commands the engine or the journal refused.
    pub commands_refused: u64,
    /// Events dispatched to adapters and sinks.
    pub events_dispatched: u64,
    /// Commands submitted on the adapters' behalf (reports during dispatch and failed-delivery commands).
    pub follow_ups: u64,
    /// Offers that could not be delivered.
    pub deliveries_failed: u64,
    /// Customer lookups that failed or were too large to apply.
    pub lookups_failed: u64,
}

/// The outcome of [`Driver::submit_batch`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BatchReport {
    /// One result per command, in order; each error is [`DriverError::Rejected`] or
    /// [`DriverError::NotJournaled`] (a fatal error fails the whole call instead).
    pub results: Vec<Result<(), DriverError>>,
    /// The next deadline, as [`Driver::next_deadline`].
    pub next_deadline: Option<Timestamp>,
}

impl BatchReport {
    /// How many commands were applied.
    pub fn accepted(&self) -> usize {
        self.results.iter().filter(|r| r.is_ok()).count()
    }
}

/// Where a command of a round comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// The host's own call; its result goes back to the caller (index in the call).
    Host(usize),
    /// An adapter (reported during dispatch or polled) or the failure policy; a refusal becomes a notice.
    FollowUp,
}

/// What a round hands to dispatch, in order.
enum Outgoing {
    Event(Event),
    Notice(DriverNotice),
}

/// The limits and results of one driver call, shared by its steps.
struct Call {
    /// Follow-up commands the call may still submit.
    budget: usize,
    /// Commands the call may still take from adapters' `poll_command`.
    polls: usize,
    /// One per host command, in order.
    results: Vec<Result<(), DriverError>>,
    /// Whether sinks already heard of follow-ups deferred in this call.
    deferral_noticed: bool,
}

/// Builds a [`Driver`]: the engine, a clock, and the host's plugs.
///
/// Nothing is required but the engine; the clock defaults to [`SystemClock`].
pub struct DriverBuilder {
    engine: Engine,
    clock: Box<dyn Clock>,
    adapters: Vec<(Vec<Channel>, Box<dyn ChannelAdapter>)>,
    sinks: Vec<Box<dyn EventSink>>,
    lookup: Option<Box<dyn CustomerLookup>>,
    journal: Option<Box<dyn Journal>>,
    last_seq: u64,
    policy: OfferFailurePolicy,
    max_follow_ups: usize,
}

impl DriverBuilder {
    /// Sets the clock (default [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Registers an adapter for some channels. Each channel has at most one adapter; an adapter
    /// registered for no channel still receives the events that concern no interaction.
    pub fn adapter(
        mut self,
        channels: impl IntoIterator<Item = Channel>,
        adapter: impl ChannelAdapter + 'static,
    ) -> Self {
        self.adapters.push((channels.into_iter().collect(), Box::new(adapter)));
        self
    }

    /// Adds an event sink. Sinks see every event, in registration order.
    pub fn sink(mut self, sink: impl EventSink + 'static) -> Self {
        self.sinks.push(Box::new(sink));
        self
    }

    /// Sets the customer lookup.
    pub fn lookup(mut self, lookup: impl CustomerLookup + 'static) -> Self {
        self.lookup = Some(Box::new(lookup));
        self
    }

    /// Sets the journal. Without one, nothing is recorded.
    pub fn journal(mut self, journal: impl Journal + 'static) -> Self {
        self.journal = Some(Box::new(journal));
        self
    }

    /// Continues a journal: the engine already contains the entries up to `last_seq` (from the
    /// [`Checkpoint`] and the replay), so the next entry is `last_seq + 1`. Default 0. After
    /// `u64::MAX` no number is left: every command is refused with
    /// [`JournalError::SequenceExhausted`].
    pub fn resume_after(mut self, last_seq: u64) -> Self {
        self.last_seq = last_seq;
        self
    }

    /// Sets what happens when an offer cannot be delivered (default
    /// [`OfferFailurePolicy::PauseAgent`] with [`Driver::DELIVERY_FAILED`]).
    pub fn offer_failure(mut self, policy: OfferFailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the most follow-up commands one driver call submits, and the most it takes from the
    /// adapters' [`poll_command`](ChannelAdapter::poll_command), all adapters together (at least
    /// 1; default [`Driver::DEFAULT_MAX_FOLLOW_UPS`]); the rest wait for the next call. It bounds
    /// the work of a call even if adapters keep reporting commands.
    pub fn max_follow_ups(mut self, max: usize) -> Self {
        self.max_follow_ups = max.max(1);
        self
    }

    /// The driver.
    ///
    /// # Errors
    /// [`DriverError::ChannelTaken`] if two adapters claim the same channel.
    pub fn build(self) -> Result<Driver, DriverError> {
        let mut routes = BTreeMap::new();
        let mut adapters = Vec::with_capacity(self.adapters.len());
        for (index, (channels, adapter)) in self.adapters.into_iter().enumerate() {
            for channel in channels {
                if routes.insert(channel, index).is_some_and(|other| other != index) {
                    return Err(DriverError::ChannelTaken(channel));
                }
            }
            adapters.push(adapter);
        }
        let channels = self.engine.interactions().map(|i| (i.id(), i.channel())).collect();
        Ok(Driver {
            engine: self.engine,
            clock: self.clock,
            adapters,
            routes,
            sinks: self.sinks,
            lookup: self.lookup,
            journal: self.journal,
            last_seq: self.last_seq,
            policy: self.policy,
            max_follow_ups: self.max_follow_ups,
            channels,
            outbox: VecDeque::new(),
            stats: DriverStats::default(),
            stopped: false,
        })
    }
}

impl fmt::Debug for DriverBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DriverBuilder")
            .field("adapters", &self.adapters.iter().map(|(c, _)| c).collect::<Vec<_>>())
            .field("sinks", &self.sinks.len())
            .field("lookup", &self.lookup.is_some())
            .field("journal", &self.journal.is_some())
            .field("last_seq", &self.last_seq)
            .field("policy", &self.policy)
            .field("max_follow_ups", &self.max_follow_ups)
            .finish_non_exhaustive()
    }
}

/// Owns the engine and the host's plugs, and pumps them: the `quinn` to the engine's
/// `quinn-proto`.
///
/// The plugs are small synchronous, object-safe traits the host implements:
/// [`ChannelAdapter`] (one per channel or group of channels), [`EventSink`] (monitoring),
/// [`CustomerLookup`] (CRM data, merged into arriving interactions), [`Journal`] (write-ahead log
/// of commands) and [`Clock`]. The driver adds no thread and needs no runtime: the host calls
/// [`submit`](Driver::submit) when a command arrives and [`tick`](Driver::tick) at
/// [`next_deadline`](Driver::next_deadline).
///
/// # What a call does
///
/// A call reads the [`Clock`] once (never letting time run backwards: a clock that reads earlier
/// than the engine's latest time is held there). It first **catches up on the adapters' deadlines
/// that have passed**, each at its own time (see [below](#adapters-deadlines)); then, at the
/// call's time, [`tick`](Driver::tick) fires the engine's timers, and every call takes the
/// commands each adapter has to report ([`ChannelAdapter::poll_command`]) and then the host's
/// commands. For each command, in that order:
///
/// 1. **Lookup** — for [`Command::Arrive`], ask the [`CustomerLookup`] and merge its
///    [`CustomerProfile`](crate::host::CustomerProfile) into the interaction (its own attributes win),
///    so the journal holds the enriched command and replay never calls the CRM.
/// 2. **Stage** — [`Journal::append`] encodes the entry, writing nothing yet. If it fails, the
///    command is not applied ([`DriverError::NotJournaled`]).
/// 3. **Apply** — [`Engine::handle`]. If the engine refuses the command, [`Journal::retract`]
///    drops the staged entry: **only accepted commands reach the journal.**
/// 4. **Commit** — [`Journal::commit`] with [`CommitPoint::Command`]; once the round of commands
///    is applied, with [`CommitPoint::Batch`]. A failure here stops the driver
///    ([`DriverError::JournalFailed`]): the engine holds a command the journal may not.
/// 5. **Dispatch** — each event about an interaction goes to the adapter of that interaction's
///    channel (offers to [`ChannelAdapter::offer`], the rest to [`ChannelAdapter::event`]); every
///    other event (agents, queues) to every adapter; every event, then, to every sink.
/// 6. **Follow-ups** — the commands adapters reported during dispatch, and those standing in for
///    failed deliveries, are submitted the same way as the next round, until none is left (or
///    [`DriverBuilder::max_follow_ups`] is reached; the rest wait for the next call).
///
/// # Adapters' deadlines
///
/// An adapter that keeps commands for later (the agent picks up in 4 s, a chat ends at 09:02:10 —
/// an [`Agenda`](crate::host::Agenda) is made for this) says when through
/// [`ChannelAdapter::poll_timeout`]. **Every call — [`submit`](Driver::submit),
/// [`submit_batch`](Driver::submit_batch) and [`tick`](Driver::tick) alike — first applies what
/// adapters had due at or before the call's time, each at its own deadline, and only then the
/// host's commands**, so a host that calls late (or only submits, never ticks) gets the journal
/// and the state of a host that ticked at every deadline. In detail, while some adapter's
/// deadline `d` is at or before the call's time, earliest first:
///
/// 1. if an engine timer is due at or before `d`, the timers due then are fired and their events
///    dispatched (with their follow-ups) first — so an adapter sees an offer time out before it
///    would answer it; the engine comes first on equal times, as its timers come before a command;
/// 2. otherwise the adapters whose deadline has come are asked for their commands at `d` (in
///    registration order, each until it has none), and these are applied, stamped `d`, then
///    dispatched with their follow-ups.
///
/// A deadline the engine has already passed is raised to the engine's time. An adapter that names
/// a deadline and then has nothing to report is not asked again before the call's time, and the
/// catch-up stops when [`DriverBuilder::max_follow_ups`] commands have been taken from adapters or
/// submitted as follow-ups (what is left stays due: [`next_deadline`](Driver::next_deadline) is
/// then in the past). Engine timers due after the last adapter deadline fire inside the call's
/// own step as before — stamped with their own due times by the engine; only what adapters report
/// in answer to them is stamped with the call's time. Adapters without deadlines are asked only
/// at the call's time.
///
/// # Crash consistency
///
/// The journal is written **ahead of every visible effect**: no adapter or sink sees an event
/// before the command that caused it is committed — flushed to the operating system (and to the
/// disk, with `sync`) under either flush policy, because a batch is committed before it is
/// dispatched. A crash leaves one of three situations, each recovered by a [`Checkpoint`] plus
/// the journal entries after it:
///
/// * before the commit: the command is not in the journal and nobody saw its effects — as if it
///   had never been submitted (the caller never got `Ok`);
/// * after the commit, before dispatch: the command is replayed but its events were never
///   delivered; an undelivered offer simply times out, and its interaction goes back to its place
///   in line;
/// * after dispatch: nothing is missing.
///
/// Timer events (offer timeouts, wrap-up ends) are not journaled: the engine fires timers at
/// their own due time, so replaying the commands reproduces them. After recovery, the first
/// [`tick`](Driver::tick) may deliver again the timer events that fired after the last journaled
/// command: adapters should take timer events as *at least once*.
///
/// # A failing adapter loses nothing
///
/// If [`ChannelAdapter::offer`] returns an error, or no adapter serves the channel, the driver
/// applies its [`OfferFailurePolicy`] through ordinary commands, journaled like any other. The
/// default pauses the agent with [`Driver::DELIVERY_FAILED`]: the engine withdraws the agent's
/// pending offers, puts each interaction back at **its place in line** (its queue-entry time is
/// kept) and offers it to another agent; the agent is not ready until resumed. Sinks are told
/// with a [`DriverNotice::OfferNotDelivered`].
///
/// # Running it in a plain loop
///
/// Wait for input (a socket, a channel, a sleep) until the next deadline; submit what arrives;
/// tick when the deadline passes:
///
/// ```
/// use std::time::Duration;
/// use switchboard::host::*;
/// use switchboard::*;
///
/// let clock = ManualClock::new(Timestamp::from_secs(1_700_000_000)); // SystemClock in production
/// let journal = MemoryJournal::new();
/// let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
///     .clock(clock.clone())
///     .journal(journal.clone())
///     .build()?;
/// driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Chat])))?;
/// let agent = AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Chat, 1)).with_queue(QueueMembership::new(QueueId(1)));
/// driver.submit(Command::AddAgent(agent))?;
/// let mut inbox = vec![
///     Command::Login { agent: AgentId(1) },
///     Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(3))),
/// ];
/// for _ in 0..3 {
///     // A real host blocks on its input until `driver.next_deadline()`.
///     for command in inbox.drain(..) {
///         match driver.submit(command) {
///             Ok(_next_deadline) => {}
///             Err(refused) if !refused.is_fatal() => eprintln!("refused: {refused}"), // changed nothing
///             Err(fatal) => return Err(fatal), // journal failure: recover from checkpoint + journal
///         }
///     }
///     clock.advance(Duration::from_secs(1));
///     driver.tick()?;
/// }
/// // No adapter serves chat, so the offer could not be delivered: the agent is paused and the
/// // chat waits at its place in line.
/// assert_eq!(driver.engine().agent(AgentId(1)).unwrap().presence(), Presence::Paused(Driver::DELIVERY_FAILED));
/// assert_eq!(driver.engine().waiting_count(QueueId(1)), 1);
/// assert_eq!(journal.len(), 5, "four commands and the pause standing in for the failed delivery");
/// # Ok::<(), DriverError>(())
/// ```
///
/// # Running it inside a tokio task
///
/// The library depends on no runtime. One task owns the driver (it is `Send`, not `Sync`, and
/// needs no lock); other tasks send it commands through a channel; the task sleeps until the
/// next deadline:
///
/// ```ignore
/// let (tx, mut rx) = tokio::sync::mpsc::channel::<Command>(1024);
/// let task = tokio::spawn(async move {
///     loop {
///         let wait = match driver.next_deadline() {
///             Some(at) => Duration::from_millis(at.millis_since(SystemClock.now()).max(0) as u64),
///             None => Duration::from_secs(3600),
///         };
///         tokio::select! {
///             command = rx.recv() => match command {
///                 Some(command) => match driver.submit(command) {
///                     Err(e) if e.is_fatal() => return Err(e),
///                     _ => {}
///                 },
///                 None => return Ok(driver), // every sender is gone: shut down
///             },
///             _ = tokio::time::sleep(wait) => { driver.tick()?; }
///         }
///     }
/// });
/// ```
///
/// Adapters stay synchronous: one hands work to its own I/O task (a `try_send` on a channel) and
/// returns at once. A slow CRM answers from a cache, or the host enriches the interaction before
/// submitting it.
pub struct Driver {
    engine: Engine,
    clock: Box<dyn Clock>,
    adapters: Vec<Box<dyn ChannelAdapter>>,
    routes: BTreeMap<Channel, usize>,
    sinks: Vec<Box<dyn EventSink>>,
    lookup: Option<Box<dyn CustomerLookup>>,
    journal: Option<Box<dyn Journal>>,
    /// The sequence number of the last accepted command (0 for none). The next is one more,
    /// computed with checked arithmetic: the value may come from a checkpoint file.
    last_seq: u64,
    policy: OfferFailurePolicy,
    max_follow_ups: usize,
    /// The channel of every live interaction, so events that name only the interaction reach the
    /// right adapter even after the interaction has left the engine.
    channels: BTreeMap<InteractionId, Channel>,
    outbox: VecDeque<Command>,
    stats: DriverStats,
    stopped: bool,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("routes", &self.routes)
            .field("adapters", &self.adapters.len())
            .field("sinks", &self.sinks.len())
            .field("lookup", &self.lookup.is_some())
            .field("journal", &self.journal.is_some())
            .field("last_seq", &self.last_seq)
            .field("policy", &self.policy)
            .field("pending_follow_ups", &self.outbox.len())
            .field("stats", &self.stats)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Driver>();
};

impl Driver {
    /// The reason code the default [`OfferFailurePolicy`] pauses an agent with when an offer to
    /// them cannot be delivered. The engine's own [`EngineConfig::MISSED_OFFER`](crate::EngineConfig::MISSED_OFFER)
    /// is 0; this is the other end of the range, out of the way of host codes.
    pub const DELIVERY_FAILED: ReasonCode = ReasonCode(u64::MAX);

    /// The default for [`DriverBuilder::max_follow_ups`].
    pub const DEFAULT_MAX_FOLLOW_UPS: usize = 10_000;

    /// A builder around an engine — a new one, or one recovered from a checkpoint and journal
    /// (then also call [`DriverBuilder::resume_after`]).
    pub fn builder(engine: Engine) -> DriverBuilder {
        DriverBuilder {
            engine,
            clock: Box::new(SystemClock),
            adapters: Vec::new(),
            sinks: Vec::new(),
            lookup: None,
            journal: None,
            last_seq: 0,
            policy: OfferFailurePolicy::default(),
            max_follow_ups: Driver::DEFAULT_MAX_FOLLOW_UPS,
        }
    }

    // ----- Inputs -----

    /// Submits one command at the clock's time, dispatches what follows and submits the
    /// adapters' follow-ups; returns the next deadline.
    ///
    /// Before the command, it applies what the adapters had due by now, each at its own deadline
    /// (see [Adapters' deadlines](Driver#adapters-deadlines)): an accept an adapter had due at
    /// 09:00:08 is journaled and applied at 09:00:08, before a command submitted at 09:00:15.
    ///
    /// # Errors
    /// [`DriverError::Rejected`] or [`DriverError::NotJournaled`] if this command was refused (it
    /// changed nothing; events from timers due by now and pending follow-ups were still
    /// processed); [`DriverError::JournalFailed`] or [`DriverError::Stopped`] if the journal
    /// failed (see [`DriverError::is_fatal`]).
    pub fn submit(&mut self, command: Command) -> Result<Option<Timestamp>, DriverError> {
        let now = self.read_clock();
        let mut results = self.run(now, vec![command], false)?;
        match results.pop() {
            Some(Err(e)) => Err(e),
            _ => Ok(self.next_deadline()),
        }
    }

    /// Submits several commands at the clock's time as one batch: all are applied and committed
    /// (one flush with the JSON-lines journal's `FlushPolicy::EveryBatch`) before their events are
    /// dispatched. What the adapters had due by now goes first, as with [`Driver::submit`].
    ///
    /// # Errors
    /// [`DriverError::JournalFailed`] or [`DriverError::Stopped`] if the journal failed; a
    /// refused command is reported in [`BatchReport::results`] instead.
    pub fn submit_batch(&mut self, commands: impl IntoIterator<Item = Command>) -> Result<BatchReport, DriverError> {
        let now = self.read_clock();
        let results = self.run(now, commands.into_iter().collect(), false)?;
        Ok(BatchReport { results, next_deadline: self.next_deadline() })
    }

    /// Reads the clock, applies what the adapters had due by then (each at its own deadline, see
    /// [Adapters' deadlines](Driver#adapters-deadlines)), fires the engine's timers due by then,
    /// submits the commands the adapters report through [`ChannelAdapter::poll_command`] and any
    /// follow-ups left from an earlier call; returns the next deadline. Call it at (or after)
    /// [`Driver::next_deadline`].
    ///
    /// # Errors
    /// [`DriverError::JournalFailed`] or [`DriverError::Stopped`] if the journal failed. Refused
    /// adapter commands are reported to sinks as [`DriverNotice::FollowUpFailed`].
    pub fn tick(&mut self) -> Result<Option<Timestamp>, DriverError> {
        let now = self.read_clock();
        self.run(now, Vec::new(), true)?;
        Ok(self.next_deadline())
    }

    // ----- Outputs and views -----

    /// When the host should next call [`Driver::tick`]: the earliest of the engine's next timer,
    /// the adapters' own deadlines, and now if follow-ups are waiting. `None` if nothing is due.
    #[must_use]
    pub fn next_deadline(&self) -> Option<Timestamp> {
        if !self.outbox.is_empty() {
            return Some(self.engine.now().unwrap_or_else(|| self.clock.now()));
        }
        self.adapters.iter().filter_map(|a| a.poll_timeout()).chain(self.engine.poll_timeout()).min()
    }

    /// The engine, read-only: every change goes through the driver, so that it is journaled.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine's state and the last journal entry it contains, for recovery. Events are
    /// always drained between driver calls, so the snapshot is complete. Follow-up commands
    /// deferred by the per-call limit are not in it.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint::new(self.last_seq(), self.engine.snapshot())
    }

    /// The sequence number of the last accepted command (0 for none). Counted with or without a journal.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Running counts.
    pub fn stats(&self) -> DriverStats {
        self.stats
    }

    /// Follow-up commands waiting for the next call (see [`DriverBuilder::max_follow_ups`]).
    pub fn pending_follow_ups(&self) -> usize {
        self.outbox.len()
    }

    /// True once a journal failure has stopped the driver.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Replaces the journal, returning the old one — to rotate journal files: take a
    /// [`checkpoint`](Driver::checkpoint), store it, then switch to a new file whose first entry
    /// will be `checkpoint.last_seq + 1`.
    pub fn replace_journal(&mut self, journal: impl Journal + 'static) -> Option<Box<dyn Journal>> {
        self.journal.replace(Box::new(journal))
    }

    /// Gives the engine back, dropping the plugs.
    pub fn into_engine(self) -> Engine {
        self.engine
    }

    // ----- The pump -----

    /// The clock's time, held at the engine's latest time if the clock reads earlier.
    fn read_clock(&self) -> Timestamp {
        let now = self.clock.now();
        match self.engine.now() {
            Some(last) if last > now => last,
            _ => now,
        }
    }

    /// Runs one driver call and returns one result per host command.
    ///
    /// First it catches up on the adapters' deadlines that passed (see "Adapters' deadlines" in
    /// the type's docs): each step at its own time, so a late call applies what adapters had due
    /// as a punctual host would have. Then, at the call's time: the engine's timers (a tick), the
    /// commands every adapter has to report, and the host's commands. Deferred follow-ups from an
    /// earlier call go first, in the first round, being older than anything due now.
    fn run(
        &mut self,
        now: Timestamp,
        host: Vec<Command>,
        fire_timers: bool,
    ) -> Result<Vec<Result<(), DriverError>>, DriverError> {
        if self.stopped {
            return Err(DriverError::Stopped);
        }
        let mut call = Call {
            budget: self.max_follow_ups,
            polls: self.max_follow_ups,
            results: Vec::new(),
            deferral_noticed: false,
        };
        let mut first = self.take_follow_ups(&mut call);
        // Adapters that had nothing to say at a deadline they gave are not asked again before
        // the call's time: a stale deadline must not make the catch-up spin.
        let mut quiet = vec![false; self.adapters.len()];
        // Each step either fires at least one engine timer or applies at least one polled
        // command, and both are bounded (timers by the engine, polls by `call.polls`). A
        // follow-up budget spent stops the catch-up too: later adapter commands must not
        // overtake the deferred follow-ups.
        while call.budget > 0 && call.polls > 0 {
            let Some(due) = self.adapter_deadline(now, &quiet) else { break };
            // Never behind the engine: an adapter may name a time the engine has already passed.
            let at = self.engine.now().map_or(due, |last| due.max(last));
            let mut out = Vec::new();
            if let Some(timer) = self.engine.poll_timeout().filter(|&timer| timer <= at) {
                // The engine's timers before the adapter's deadline come first, dispatched on
                // their own, so adapters see (say) an offer time out before they answer it.
                let timer = self.engine.now().map_or(timer, |last| timer.max(last));
                self.fire_timers(timer, &mut out);
                self.round(timer, std::mem::take(&mut first), out, &mut call)?;
                if self.engine.poll_timeout().is_some_and(|next| next <= timer) {
                    break; // no progress; the call's own step fires the rest
                }
                continue;
            }
            let polled = self.poll(at, Some(&mut quiet), &mut call);
            if polled.is_empty() {
                continue;
            }
            let mut round = std::mem::take(&mut first);
            round.extend(polled);
            self.round(at, round, out, &mut call)?;
        }
        let mut out = Vec::new();
        if fire_timers {
            self.fire_timers(now, &mut out);
        }
        let mut round = first;
        round.extend(self.poll(now, None, &mut call));
        round.extend(host.into_iter().enumerate().map(|(i, c)| (c, Origin::Host(i))));
        self.round(now, round, out, &mut call)?;
        Ok(call.results)
    }

    /// The earliest deadline ≤ `now` of an adapter not marked quiet.
    fn adapter_deadline(&self, now: Timestamp, quiet: &[bool]) -> Option<Timestamp> {
        self.adapters
            .iter()
            .zip(quiet)
            .filter(|(_, quiet)| !**quiet)
            .filter_map(|(adapter, _)| adapter.poll_timeout())
            .filter(|&due| due <= now)
            .min()
    }

    /// Fires the engine's timers due by `at`; their events go to `out`.
    fn fire_timers(&mut self, at: Timestamp, out: &mut Vec<Outgoing>) {
        // `at` is never before the engine's time (the clock is held there and adapter deadlines
        // are raised to it), so only a time outside the engine's range is refused — and then
        // there is nothing to fire.
        let _fired_or_out_of_range = self.engine.handle_timeout(at);
        self.drain(out);
    }

    /// Asks adapters for their commands at `at`, in registration order, each until it has none
    /// (within the call's poll budget). With `quiet`, only the adapters whose deadline has come
    /// are asked, and one that answers nothing is marked quiet; without it, every adapter is.
    fn poll(&mut self, at: Timestamp, mut quiet: Option<&mut Vec<bool>>, call: &mut Call) -> Vec<(Command, Origin)> {
        let mut polled = Vec::new();
        for (index, adapter) in self.adapters.iter_mut().enumerate() {
            if let Some(quiet) = quiet.as_deref() {
                if quiet[index] || adapter.poll_timeout().is_none_or(|due| due > at) {
                    continue;
                }
            }
            let before = polled.len();
            while call.polls > 0 {
                let Some(command) = adapter.poll_command(at) else { break };
                polled.push((command, Origin::FollowUp));
                call.polls -= 1;
            }
            if let Some(quiet) = quiet.as_deref_mut() {
                quiet[index] |= polled.len() == before && call.polls > 0;
            }
        }
        self.stats.follow_ups += polled.len() as u64;
        polled
    }

    /// Takes deferred follow-ups from the outbox, as many as the budget allows.
    fn take_follow_ups(&mut self, call: &mut Call) -> Vec<(Command, Origin)> {
        let take = self.outbox.len().min(call.budget);
        call.budget -= take;
        self.stats.follow_ups += take as u64;
        self.outbox.drain(..take).map(|c| (c, Origin::FollowUp)).collect()
    }

    /// Applies a round of commands at `at`, commits the batch, dispatches `out` and what the
    /// round produced, then rounds of follow-ups until none is left or the budget is spent.
    fn round(
        &mut self,
        at: Timestamp,
        mut round: Vec<(Command, Origin)>,
        mut out: Vec<Outgoing>,
        call: &mut Call,
    ) -> Result<(), DriverError> {
        loop {
            for (command, origin) in round {
                let result = self.apply(command, origin, at, &mut out);
                match (origin, result) {
                    (_, Err(e)) if e.is_fatal() => return Err(e),
                    (Origin::Host(_), result) => call.results.push(result),
                    (Origin::FollowUp, _) => {}
                }
            }
            self.commit(CommitPoint::Batch)?;
            self.dispatch(out, at);
            out = Vec::new();
            if self.outbox.is_empty() {
                return Ok(());
            }
            if call.budget == 0 {
                if !call.deferral_noticed {
                    call.deferral_noticed = true;
                    let notice = DriverNotice::FollowUpsDeferred { pending: self.outbox.len() };
                    for sink in &mut self.sinks {
                        sink.notice(&notice, &self.engine);
                    }
                }
                return Ok(());
            }
            round = self.take_follow_ups(call);
        }
    }

    /// Lookup, stage, handle, commit or retract one command; its events (and any notice) go to `out`.
    fn apply(
        &mut self,
        command: Command,
        origin: Origin,
        now: Timestamp,
        out: &mut Vec<Outgoing>,
    ) -> Result<(), DriverError> {
        let refused = |this: &mut Driver, command: Option<Command>, error: DriverError, out: &mut Vec<Outgoing>| {
            this.stats.commands_refused += 1;
            if let Some(command) = command {
                out.push(Outgoing::Notice(DriverNotice::FollowUpFailed {
                    command: Box::new(command),
                    error: error.clone(),
                }));
            }
            Err(error)
        };
        let Some(seq) = self.last_seq.checked_add(1) else {
            // Checked before the lookup, so an exhausted journal does not bother the back office.
            let error = DriverError::NotJournaled(JournalError::SequenceExhausted { last: self.last_seq });
            let keep = (origin == Origin::FollowUp).then_some(command);
            return refused(self, keep, error, out);
        };
        let command = self.enrich(command, now, out);
        let entry = JournalEntry::new(seq, now, command);
        let keep = (origin == Origin::FollowUp).then(|| entry.command.clone());
        if let Some(journal) = &mut self.journal {
            if let Err(e) = journal.append(&entry) {
                return refused(self, keep, DriverError::NotJournaled(e), out);
            }
        }
        let handled = self.engine.handle(entry.command, now);
        self.drain(out);
        if let Err(e) = handled {
            if let Some(journal) = &mut self.journal {
                journal.retract();
            }
            return refused(self, keep, DriverError::Rejected(e), out);
        }
        self.last_seq = seq;
        self.stats.commands_accepted += 1;
        self.commit(CommitPoint::Command)
    }

    fn commit(&mut self, point: CommitPoint) -> Result<(), DriverError> {
        if let Some(journal) = &mut self.journal {
            if let Err(e) = journal.commit(point) {
                self.stopped = true;
                return Err(DriverError::JournalFailed(e));
            }
        }
        Ok(())
    }

    fn drain(&mut self, out: &mut Vec<Outgoing>) {
        while let Some(event) = self.engine.poll_event() {
            out.push(Outgoing::Event(event));
        }
    }

    /// Merges the customer lookup's answer into an arriving interaction.
    fn enrich(&mut self, command: Command, now: Timestamp, out: &mut Vec<Outgoing>) -> Command {
        let Command::Arrive(mut new) = command else { return command };
        let Some(lookup) = &mut self.lookup else { return Command::Arrive(new) };
        if self.engine.interaction(new.id).is_some() {
            // A duplicate the engine will refuse: do not bother the back office.
            return Command::Arrive(new);
        }
        match lookup.lookup(&new, now) {
            Ok(profile) if profile.is_empty() => {}
            Ok(profile) => {
                let mut attributes = new.attributes.clone();
                for (key, value) in profile.attributes.iter() {
                    if attributes.get(key).is_none() {
                        attributes.insert(key, value);
                    }
                }
                let bytes: usize = attributes.iter().map(|(k, v)| k.len() + v.len()).sum();
                let limit = self.engine.config().limits().max_attribute_bytes;
                if bytes > limit as usize {
                    self.stats.lookups_failed += 1;
                    out.push(Outgoing::Notice(DriverNotice::LookupTooLarge { interaction: new.id, bytes, limit }));
                } else {
                    new.attributes = attributes;
                    new.priority = new.priority.saturating_add(profile.priority_boost);
                }
            }
            Err(error) => {
                self.stats.lookups_failed += 1;
                out.push(Outgoing::Notice(DriverNotice::LookupFailed { interaction: new.id, error }));
            }
        }
        Command::Arrive(new)
    }

    /// Sends each event to its adapter(s) and to every sink, in order; failed deliveries queue
    /// the policy's commands in the outbox.
    fn dispatch(&mut self, out: Vec<Outgoing>, now: Timestamp) {
        let Driver { engine, adapters, routes, sinks, channels, outbox, policy, stats, .. } = self;
        let engine: &Engine = engine;
        for item in out {
            let event = match item {
                Outgoing::Notice(notice) => {
                    for sink in sinks.iter_mut() {
                        sink.notice(&notice, engine);
                    }
                    continue;
                }
                Outgoing::Event(event) => event,
            };
            stats.events_dispatched += 1;
            let mut ctx = AdapterContext { engine, now, outbox: &mut *outbox };
            let mut failure = None;
            match &event.kind {
                EventKind::InteractionOffered(offer) => {
                    channels.entry(offer.interaction).or_insert(offer.channel);
                    let delivered = match routes.get(&offer.channel) {
                        Some(&index) => adapters[index].offer(offer, &mut ctx).map_err(DeliveryFailure::Adapter),
                        None => Err(DeliveryFailure::NoAdapter),
                    };
                    if let Err(cause) = delivered {
                        failure = Some((offer.clone(), cause));
                    }
                }
                kind => match kind.interaction() {
                    Some(interaction) => {
                        if let EventKind::InteractionArrived { channel, .. } = kind {
                            channels.insert(interaction, *channel);
                        }
                        let channel = channels
                            .get(&interaction)
                            .copied()
                            .or_else(|| engine.interaction(interaction).map(|i| i.channel()));
                        if let Some(&index) = channel.and_then(|c| routes.get(&c)) {
                            adapters[index].event(&event, &mut ctx);
                        }
                    }
                    None => {
                        for adapter in adapters.iter_mut() {
                            adapter.event(&event, &mut ctx);
                        }
                    }
                },
            }
            for sink in sinks.iter_mut() {
                sink.event(&event, engine);
            }
            if let EventKind::InteractionEnded { interaction, .. } = event.kind {
                channels.remove(&interaction);
            }
            if let Some((offer, cause)) = failure {
                stats.deliveries_failed += 1;
                // An offer already answered, withdrawn or expired needs nothing more.
                let mut follow_up = Vec::new();
                if engine.offer(offer.id).is_some() {
                    for command in policy.commands(&offer) {
                        if !outbox.contains(&command) {
                            outbox.push_back(command.clone());
                            follow_up.push(command);
                        }
                    }
                }
                let notice = DriverNotice::OfferNotDelivered { offer, cause, follow_up };
                for sink in sinks.iter_mut() {
                    sink.notice(&notice, engine);
                }
            }
        }
    }
}
