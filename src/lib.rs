//! # switchboard
//!
//! A pure-Rust, embeddable routing and queueing engine for omnichannel
//! contact centers.
//!
//! switchboard's core is a **pure, deterministic state machine**: it performs
//! no I/O, reads no clock, starts no thread and draws no random number. The
//! host passes in [`Command`]s with the current [`Timestamp`] and drains
//! [`Event`]s and the next deadline. The same commands at the same times
//! always produce the same events, byte for byte — which is what lets a test
//! run a whole day in milliseconds, a simulator drive the real engine, and a
//! journal of commands replay a production incident.
//!
//! The main types:
//!
//! * [`Engine`] — the state machine: queues, agents, interactions, offers, timers.
//! * [`Command`] — what the host tells it (an interaction arrives, an agent
//!   logs in, accepts an offer, completes work, …).
//! * [`Event`] — what it tells the host (an interaction is offered to an
//!   agent, with an [`OfferExplanation`] of why; an offer timed out; an
//!   interaction ended, …).
//! * [`EngineConfig`] — engine-wide settings and limits, fixed at build time.
//!
//! Around the engine, each a public module that consumes or drives it,
//! never a second implementation of routing:
//!
//! * [`stats`] — measurement: [`Statistics`](stats::Statistics) computes
//!   service levels, live figures, interval reports, interaction records and
//!   contact history from the events.
//! * [`host`] — host integration: the [`Driver`](host::Driver) pumps channel
//!   adapters, event sinks, a CRM lookup, a write-ahead
//!   [`Journal`](host::Journal), replay and [`Checkpoint`](host::Checkpoint)s.
//! * [`staffing`] — Erlang B, C and A, and the staffing searches.
//! * `sim` (feature `sim`) — a discrete-event simulator that drives the
//!   engine through a contact-center day, with staffing beside it.
//! * `tracing` (feature `tracing`) — a span per command and an event per engine event, ids only.
//!
//! ## The run-loop rule
//!
//! **After every [`Engine::handle`], drain [`Engine::poll_event`] until
//! `None`, then read [`Engine::poll_timeout`] and call
//! [`Engine::handle_timeout`] at that time.**
//!
//! ```
//! use std::time::Duration;
//! use switchboard::*;
//!
//! let mut engine = Engine::new(EngineConfig::default());
//! let mut now = Timestamp::from_secs(1_700_000_000);
//! let commands = vec![
//!     Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Chat])),
//!     Command::AddAgent(
//!         AgentConfig::new(AgentId(1), CapacityProfile::single(Channel::Chat, 2))
//!             .with_queue(QueueMembership::new(QueueId(1))),
//!     ),
//!     Command::Login { agent: AgentId(1) },
//!     Command::Arrive(NewInteraction::new(InteractionId(1), Channel::Chat, QueueId(1), CustomerId(5))),
//! ];
//! let mut log = Vec::new();
//! for command in commands {
//!     engine.handle(command, now)?;
//!     while let Some(event) = engine.poll_event() {
//!         log.push(event);
//!     }
//! }
//! // Nobody accepts: let time run to the offer's deadline.
//! now = engine.poll_timeout().unwrap();
//! engine.handle_timeout(now)?;
//! while let Some(event) = engine.poll_event() {
//!     log.push(event);
//! }
//! assert!(log.iter().any(|e| matches!(e.kind, EventKind::OfferTimedOut { .. })));
//! // The default configuration pauses an agent who misses an offer.
//! assert_eq!(engine.agent(AgentId(1)).unwrap().presence(), Presence::Paused(EngineConfig::MISSED_OFFER));
//! # Ok::<(), CommandError>(())
//! ```
//!
//! ## Concepts
//!
//! * An **interaction** is one contact on one [`Channel`]: a call, a chat, an
//!   e-mail, an SMS, a social message, a video call, a web callback or a fax
//!   (or a channel of the host's own). Real-time channels have a customer
//!   waiting live; deferrable ones can wait ([`ChannelMode`]).
//! * An **agent** holds skills at a [`Proficiency`] from 1 to 5, a
//!   [`CapacityProfile`] (per-channel caps, weighted units, exclusivity,
//!   optional [headroom](CapacityProfile#headroom) for calls, optional
//!   [interruptible work](CapacityProfile#interruptible-work) a call may be
//!   offered on top of) and
//!   the queues they serve ([`QueueMembership`], with their own priority and
//!   delay per queue, like a routing profile). Their [`Presence`] is offline,
//!   available, busy, in wrap-up or paused with a reason.
//! * A **queue** ([`QueueConfig`]) takes some channels, adds requirements, has
//!   a [`ServiceLevelTarget`], a priority, an [`AgentSelection`] strategy, a
//!   wrap-up time and optional linear [`Aging`].
//! * An **offer** reserves the agent's capacity until the agent accepts,
//!   rejects or lets it time out; a rejected or missed interaction goes back
//!   to **its place in line** (its queue-entry time is kept across re-queues
//!   and transfers), and to another agent first: its decliners are its last
//!   resort. When every qualified agent has declined it, the queue's
//!   [`AllDeclined`] rule applies, and [`Engine::why_waiting`] says so.
//! * **Blending**: real-time work first (or, with [`Blending::ServiceLevel`],
//!   whichever side is further into its own target); deferrable work is held
//!   back from an agent only for real-time work they could be offered now or
//!   within [`EngineConfigBuilder::blend_horizon`].
//! * **Bounded waits**: a queue's [`QueueConfig::max_wait`] makes its work
//!   *overdue* once it has waited that long, and overdue work goes first.
//!
//! ## Routing
//!
//! When an interaction waits, the engine picks among available qualified
//! agents by (has not declined it, the queue's [`AgentSelection`], agent id):
//! agents who declined it come last. When an
//! agent gains room, the engine picks among the waiting interactions the
//! agent could take (member delay reached, qualified, room on the channel) by
//! these keys, in order:
//!
//! 1. **overdue first** ([`QueueConfig::max_wait`] reached), earliest deadline
//!    first;
//! 2. **blending**: the best real-time and the best deferrable interaction (each
//!    by keys 1 and 3–6) are compared by [`Blending`]: real-time first, or the
//!    larger share of its own service-level threshold waited;
//! 3. the agent's priority for the queue ([`QueueMembership`]);
//! 4. effective priority (base priority plus linear aging);
//! 5. place in line (queue-entry time, kept across re-queues and transfers);
//! 6. arrival sequence.
//!
//! An interaction's requirements and base priority are those of the
//! [`RoutingStep`] it is in, if its queue has steps; an agent qualifies when
//! they also meet the [`Expression`] rules of its queue and step (over skills,
//! agent attributes, named agents and the interaction's own attributes). A
//! queue closed by its business hours ([`QueueConfig::calendar`]) offers
//! nothing. Deferrable work is not
//! taken when real-time work the agent could be offered within the blend
//! horizon beats it by keys 1–2. Every key is static between
//! events: becoming overdue is a timer at the deadline, so nothing is re-sorted
//! as time passes. Both
//! decisions use an index whose cost is set by the configuration (members
//! per queue, queues and skills per agent), not by how many interactions wait
//! or how many different requirement sets they carry; see the README's
//! architecture and scale sections. [`RoutingIndex::Scan`] makes the same
//! decisions by looking at everything, for tests and benchmark baselines.
//!
//! ## Cookbook
//!
//! * *A backup group that helps only when a queue is busy*: give those agents
//!   the queue with a low priority and a delay,
//!   `QueueMembership::new(q).with_priority(-1).with_delay(Duration::from_secs(30))`.
//! * *Never offer a declined call to the same agent again*:
//!   `EngineConfig::builder().never_reoffer_to_decliners(true)`; and say what
//!   happens when everybody has declined it, e.g. overflow to a supervisors'
//!   queue: `QueueConfig::with_all_declined(AllDeclined::Overflow(supervisors))`.
//! * *Do not pause agents who miss an offer*:
//!   `EngineConfig::builder().missed_offer_pause(None)`.
//! * *Let low-priority e-mail catch up*: `QueueConfig::with_aging(points_per_minute)`;
//!   *and never let it wait more than four hours*:
//!   `QueueConfig::with_max_wait(Duration::from_secs(4 * 3600))`.
//! * *Widen the pool as the customer waits* (experts first, then anyone with
//!   the skill): `QueueConfig::with_steps(vec![RoutingStep::new(experts).expiring_after(Duration::from_secs(30)), RoutingStep::new(anyone)])`.
//! * *Give up on a chat nobody answered in ten minutes*:
//!   `QueueConfig::with_time_to_live(Duration::from_secs(600))` (it ends
//!   [`Outcome::Expired`]).
//! * *Weigh e-mail against calls by how close each is to its target*:
//!   `EngineConfig::builder().blending(Blending::ServiceLevel)`.
//! * *Keep multitaskers reachable for calls*:
//!   `CapacityProfile::with_headroom(Channel::Voice, Duration::from_secs(30))`,
//!   or let a call interrupt e-mail: `CapacityProfile::with_interruptible(Channel::Email)`.
//! * *Spanish callers to Spanish speakers*: declare the attribute
//!   (`Command::AddAgentAttribute`), give agents `AgentAttributes`, and put
//!   `Expression::attribute("language", Comparison::Eq, Operand::Interaction("language".into()))`
//!   on the queue with [`QueueConfig::with_eligibility`].
//! * *Closed at night, voicemail after hours*: `Command::AddCalendar` and
//!   `QueueConfig::with_calendar(calendar, WhenClosed::End)`; *a 40th caller hears
//!   "call later"*: `QueueConfig::with_admission_rules(vec![AdmissionRule::new(AdmissionTrigger::QueueLength(39), ExceptionAction::End(Diversion::Message))])`.
//! * *Change a queue while calls wait*: `Command::UpdateQueue` (steps kept or restarted).
//! * *Why is this one still waiting?* [`Engine::why_waiting`]. *What in my
//!   configuration can never work?* [`Engine::check_configuration`].
//! * *Persist and recover*: [`Engine::snapshot`] and [`Engine::restore`].
//!
//! # Errors
//!
//! Every error is a typed enum (thiserror) whose message says what was wrong.
//! An error that wraps another either is transparent (the inner error says it
//! all: [`DriverError::Rejected`](host::DriverError::Rejected) shows the
//! [`CommandError`]), or names its own context and leaves the cause to
//! [`std::error::Error::source`] ([`JournalError::Io`](host::JournalError::Io),
//! [`ReplayError::Restore`](host::ReplayError::Restore)): no message repeats its
//! cause, so a reporter that walks the chain prints each once.
//!
//! # Units and serialised forms
//!
//! The API speaks [`std::time::Duration`] for spans and [`Timestamp`] for
//! times. Serialised forms (commands, events, snapshots, journals,
//! checkpoints, scenario files) follow one convention: field names and enum
//! variants in snake_case, spans in whole milliseconds (a span with a
//! sub-millisecond part keeps serde's `{"secs", "nanos"}`, so nothing is lost),
//! times in milliseconds since the Unix epoch. Hand-written scenario files give
//! spans in seconds, in fields named `…_secs`. The time counters of the
//! statistics ([`ContactCounters::talk`](stats::ContactCounters::talk),
//! [`AgentCounters::busy`](stats::AgentCounters::busy),
//! [`InteractionRecord::wrap`](stats::InteractionRecord::wrap), …) are
//! `Duration`s too; serialised, they keep their `…_ms` names
//! (`"talk_ms": 300000`) and are whole milliseconds in every format, binary
//! ones included (where other spans keep serde's `(secs, nanos)` pair).
//! The staffing maths takes and returns `Duration`s too, with
//! `Duration::MAX` standing for infinity (an unstable queue's ASA, callers who
//! never hang up). The simulator's reports are the exception, on purpose: their
//! figures are sample statistics (means with confidence intervals) in `f64`
//! seconds, in fields named `…_secs`.
//! Journals and checkpoints carry a format version (2); those written in
//! format 1 (CamelCase variants, `{"secs", "nanos"}` spans) still read.
//!
//! ```
//! use std::time::Duration;
//! use switchboard::{AgentSelection, Channel, QueueConfig, QueueId};
//!
//! let q = QueueConfig::new(QueueId(1), "support", [Channel::Voice])
//!     .with_strategy(AgentSelection::LongestIdle)
//!     .with_wrap_up(Duration::from_secs(30));
//! let json = serde_json::to_string(&q).unwrap();
//! assert!(json.contains(r#""channels":["voice"]"#) && json.contains(r#""wrap_up":30000"#));
//! assert!(json.contains(r#""strategy":"longest_idle""#));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod command;
mod config;
mod dense;
mod describe;
mod engine;
mod error;
mod event;
pub mod host;
mod ids;
mod model;
#[cfg(test)]
mod proptest_config;
#[cfg(feature = "replication")]
pub mod replication;
mod router;
mod serde_forms;
#[cfg(feature = "sim")]
pub mod sim;
mod sla;
pub mod staffing;
pub mod stats;
mod time;

pub use command::{Command, NewInteraction, WaitingSteps};
pub use config::{Blending, EngineConfig, EngineConfigBuilder, Limits, RoutingIndex};
#[cfg(feature = "compact")]
pub use engine::CompactSnapshotError;
pub use engine::{
    CaseView, ConfigurationFinding, Engine, EngineSnapshot, InvariantViolation, MAX_SNAPSHOT_COUNTER, PendingOffer,
    RestoreError, Timer, TimerKind, Totals, WaitingExplanation,
};
pub use error::{CommandError, ConfigError, Limit};
pub use event::{Event, EventKind, MatchedSkill, Offer, OfferExplanation, QueueReason, RoutingTrigger, WithdrawReason};
pub use ids::{AgentId, CalendarId, CaseId, CustomerId, InteractionId, OfferId, QueueId, ReasonCode, SkillId};
pub use model::agent::{Agent, AgentConfig, Presence, QueueMembership};
pub use model::attributes::Attributes;
pub use model::calendar::{
    BusinessHours, Calendar, CalendarError, DatedHours, LocalTime, Opening, ScheduleDay, WeeklyOpening,
};
pub use model::capacity::{CapacityError, CapacityProfile, ChannelCapacity, Load};
pub use model::channel::{Channel, ChannelMode};
pub use model::expression::{
    AgentAttributes, AttributeKind, AttributeValue, Comparison, Expression, ExpressionError, MAX_EXPRESSION_DEPTH,
    Operand,
};
pub use model::interaction::{DialFailure, Interaction, InteractionState, Outcome, SelfServedContact, SelfService};
pub use model::preference::{Preference, PreferenceKind};
pub use model::queue::{AgentSelection, Aging, AllDeclined, QueueConfig, WhenClosed};
pub use model::skill::{InvalidProficiency, Proficiency, Requirements, SkillRequirement, SkillSet};
pub use model::step::{
    AdmissionRule, AdmissionTrigger, Diversion, ExceptionAction, ExceptionRule, RoutingStep, Staffed, WhenEmpty,
};
pub use model::wrap_up::{WrapUpMode, WrapUpRule};
pub use sla::{
    ResponseCounts, ResponseMeasure, ResponseTarget, ServiceLevel, ServiceLevelCounts, ServiceLevelDefinition,
    ServiceLevelFormula, ServiceLevelTarget,
};
pub use time::{SpanError, Timestamp};

/// The README's code blocks run as doctests, so the embedding example stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// Measurement (`stats`) and host integration (`host`) are public modules of their own, not
// re-exported here: the root keeps the engine's vocabulary, so its documentation opens on it.
pub use sla::ResponseClock;
