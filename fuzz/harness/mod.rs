//! The fuzz targets' logic, as plain Rust with no fuzzing dependency.
//!
//! Each target is one function from bytes to an [`Outcome`] that panics on a finding. The
//! cargo-fuzz targets under `fuzz/fuzz_targets/` call them, and so does the main crate's
//! `tests/fuzz_corpus.rs`, which replays the committed corpus on the stable toolchain (it
//! includes this file with `#[path = "../fuzz/harness/mod.rs"] mod harness;`).
//!
//! * [`commands::run`]: timed commands into an engine (JSON, or a structured byte interpreter).
//! * [`journal::run`]: bytes as a JSON-lines journal, read and replayed.
//! * [`snapshot::run`]: bytes as a snapshot (JSON, or a real snapshot edited), restored and exercised.
//! * [`scenario::run`]: bytes as a simulator scenario (JSON, or built by a byte interpreter), loaded and run.
//!
//! What counts as a finding: a panic anywhere (the engine's, or one of the harness's
//! assertions of the engine's documented promises), a hang (libFuzzer's `-timeout`), or
//! unbounded memory (`-rss_limit_mb`).

#![allow(dead_code)]

pub mod bytes;
pub mod commands;
pub mod exercise;
pub mod guards;
pub mod journal;
pub mod run;
pub mod scenario;
pub mod seeds;
pub mod snapshot;

/// When set, every step a [`run::Run`] takes is printed to stderr (for triage; off while fuzzing).
pub static TRACE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether steps are printed.
pub fn tracing() -> bool {
    TRACE.load(std::sync::atomic::Ordering::Relaxed)
}

/// The time structured inputs start at: 2023-11-14T22:13:20Z, in milliseconds.
pub const T0: i64 = 1_700_000_000_000;

/// One target: bytes in, what it did out; panics on a finding.
pub type Target = fn(&[u8], Mode) -> Outcome;

/// The targets, by name: the directories under `fuzz/corpus/` and `fuzz/regressions/`.
pub const TARGETS: [(&str, Target); 4] =
    [("commands", commands::run), ("journal", journal::run), ("snapshot", snapshot::run), ("scenario", scenario::run)];

/// Whether inputs that hit the engine's known bugs run or are skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Everything runs: the real property. The corpus replay and the regressions use this.
    Strict,
    /// Inputs that would hit a known, reported bug (see [`guards`]) are skipped, so a
    /// fuzzing run can find new bugs. Turned on with `SWITCHBOARD_FUZZ_GUARDS=1`.
    Guarded,
}

impl Mode {
    /// [`Mode::Guarded`] if `SWITCHBOARD_FUZZ_GUARDS` is set to anything but `0` or empty.
    pub fn from_env() -> Mode {
        match std::env::var("SWITCHBOARD_FUZZ_GUARDS") {
            Ok(v) if !v.is_empty() && v != "0" => Mode::Guarded,
            _ => Mode::Strict,
        }
    }
}

/// What one input did: for checking that seeds reach the engine, and for statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The input decoded into something the engine could be given.
    pub parsed: bool,
    /// A snapshot was accepted by `restore`.
    pub restored: bool,
    /// Commands and timeouts run.
    pub steps: usize,
    /// Commands the engine accepted (for `scenario`: 1 if the simulation ran).
    pub accepted: usize,
    /// Commands the engine refused.
    pub refused: usize,
    /// Steps skipped by a guard ([`Mode::Guarded`] only).
    pub skipped: usize,
    /// The known bug of the first guard that skipped something.
    pub guard: Option<guards::Bug>,
}

impl Outcome {
    /// An input skipped whole by a guard.
    pub fn guarded(bug: guards::Bug) -> Outcome {
        Outcome { skipped: 1, guard: Some(bug), ..Outcome::default() }
    }

    /// Counts a step skipped by a guard.
    pub fn skip(&mut self, bug: guards::Bug) {
        self.skipped += 1;
        self.guard.get_or_insert(bug);
    }
}
