//! Host integration: channel adapters, event sinks, customer lookup, the driver, clocks and the command journal.
//!
//! The engine is sans-IO. This layer — like the `quinn` crate over `quinn-proto` — owns an
//! [`Engine`](crate::Engine) and pumps it through small, synchronous, object-safe traits the host
//! implements:
//!
//! * [`ChannelAdapter`] — one per channel or group of channels (a telephony switch, a chat
//!   widget, a mailbox): it receives the offers, assignments, re-queues and cancellations of its
//!   channels and reports back what happened (accepted, rejected, ended, the customer hung up).
//! * [`EventSink`] — monitoring and reporting: every event, in order, with a read-only view of
//!   the engine.
//! * [`CustomerLookup`] — the host's CRM or back office: asked once when an interaction arrives;
//!   its answer becomes attributes (and optionally a priority boost) on the interaction
//!   *before* the command is journaled, so the engine stays deterministic and replay never calls
//!   the CRM.
//! * [`Journal`] — a write-ahead log of accepted commands ([`MemoryJournal`]; with the `json`
//!   feature, `JsonLinesJournal`).
//! * [`Clock`] — [`SystemClock`] in production, [`ManualClock`] in tests.
//! * [`Agenda`] — a time-ordered schedule of future commands, for adapters, hosts and tests that
//!   decide now what happens later.
//!
//! The [`Driver`] ties them together; its documentation (public, unlike this private module's)
//! describes what a call does, crash consistency, failing adapters, and the run loop in a plain
//! loop and in a tokio task.

mod agenda;
mod clock;
mod driver;
mod journal;
#[cfg(feature = "json")]
mod jsonl;
mod plugs;

pub use agenda::Agenda;
pub use clock::{Clock, ManualClock, SystemClock};
pub use driver::{BatchReport, Driver, DriverBuilder, DriverError, DriverStats, OfferFailurePolicy};
pub use journal::{
    Checkpoint, CommitPoint, Journal, JournalEntry, JournalError, MemoryJournal, ReplayError, ReplayReport, Replayer,
    replay,
};
#[cfg(feature = "json")]
pub use jsonl::{FlushPolicy, JsonLinesJournal, JsonLinesOptions, JsonLinesReader, Recovered, RecoveryReport};
pub use plugs::{
    AdapterContext, AdapterError, ChannelAdapter, CustomerLookup, CustomerProfile, DeliveryFailure, DriverNotice,
    EventSink, LookupError,
};
