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
//! The [`Driver`] ties them together; its documentation describes what a call does, crash
//! consistency, failing adapters, and the run loop in a plain loop and in a tokio task
//! (`examples/tokio_host.rs` runs one). Recovery is a [`Checkpoint`] plus the journal's tail.
//!
//! # Example
//! ```
//! use switchboard::host::{Checkpoint, Driver, ManualClock, MemoryJournal};
//! use switchboard::*;
//!
//! let clock = ManualClock::new(Timestamp::from_secs(1_767_258_000)); // SystemClock in production
//! let journal = MemoryJournal::new(); // JsonLinesJournal::open(path, options) on disk
//! let mut driver = Driver::builder(Engine::new(EngineConfig::default()))
//!     .clock(clock.clone())
//!     .journal(journal.clone())
//!     .build()?;
//! let checkpoint = driver.checkpoint(); // store it with serde
//! driver.submit(Command::AddQueue(QueueConfig::new(QueueId(1), "support", [Channel::Chat])))?;
//!
//! // After a crash: the checkpoint, then the journal's tail, rebuild the same engine.
//! let (engine, report) = checkpoint.recover(journal.entries(), |_event| {})?;
//! assert_eq!((report.applied, engine.snapshot()), (1, driver.engine().snapshot()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod agenda;
mod clock;
mod driver;
mod error;
mod journal;
#[cfg(feature = "json")]
pub(crate) mod jsonl;
mod plugs;

pub use agenda::Agenda;
pub use clock::{Clock, ManualClock, SystemClock};
pub use driver::{BatchReport, Driver, DriverBuilder, DriverStats, OfferFailurePolicy};
pub use error::DriverError;
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
