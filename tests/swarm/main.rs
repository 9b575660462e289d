//! The swarm tester, in the spirit of TigerBeetle's VOPR: from one `u64` seed, a whole
//! workload — an engine configuration, a topology and thousands of commands from customers,
//! agents' desktops, supervisors and a hostile host — runs through the real engine behind the
//! host `Driver` and its journal, while a fault injector crashes the process, tears journal
//! writes, jumps the clock and sets it back. After every driver call a checker compares the
//! engine with a shadow model; at the end every agent gets to work and everything waiting must
//! drain.
//!
//! ```sh
//! cargo test --all-features --test swarm                                # a short run (a few seconds)
//! cargo test --release --all-features --test swarm -- --seconds 600       # a soak, from a random seed
//! cargo test --release --all-features --test swarm -- --seed 42           # reproduce one seed
//! cargo test --release --all-features --test swarm -- --seed 42 --trace   # ... printing every call
//! cargo test --release --all-features --test swarm -- --list-classes      # the fault classes
//! ```
//!
//! `SWITCHBOARD_SEED` (one seed), `SWITCHBOARD_SWARM_SECS` (time budget) and
//! `SWITCHBOARD_SWARM_WITH` (classes to switch on) do the same from the environment. With both
//! a seed and a time budget, seeds run from that one upwards. A failure prints its seed, its step
//! and the command that reruns it, and the run exits non-zero. A plain run starts at seed 1 so
//! that CI runs the same seeds every time; the first seed of a run and every fourth seed run
//! twice and must give the same event hash. A driver call that does not return for a minute is reported as a livelock.
//!
//! The parts:
//!
//! * `generator` — configuration, topology and the command stream from the seed (swarm
//!   testing: each seed switches some kinds of command off), and the desktops' answers;
//! * `run` — one seed: the driver with its journal, checked calls, the main loop;
//! * `faults` and `tamper` — crashes, torn writes, clock jumps, time set back, snapshots edited;
//! * `checker` — the shadow model and the checks after every call;
//! * `liveness` — the drain at the end;
//! * `classes` — the named fault and hostility classes, and `KNOWN_BUG_CLASSES`, the ones that
//!   hit engine bugs and are off until their fixes merge (`--with known-bugs` to try them).

mod checker;
mod classes;
#[path = "../common/mod.rs"]
mod common;
mod faults;
mod generator;
mod liveness;
mod rng;
mod run;
mod tamper;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use classes::{Class, Classes, KNOWN_BUG_CLASSES};
use run::{Counters, Failure, Options, Outcome, Progress};

/// The time budget of a plain `cargo test` (a debug build): a short smoke run. A seed started
/// within it runs to its end, and a debug build's seeds take seconds each (seed 4 twice: 21 s),
/// so a budget of 6 s made the run 24 s, about a tenth of the README's test command.
const DEFAULT_SECONDS: f64 = 3.0;
/// The most steps one seed runs (each seed draws its own count up to it). Part of what a seed
/// means: the rerun command names it when it is not the default.
const DEFAULT_MAX_STEPS: u64 = 2_000;
/// The first seed of a plain run, so that CI runs the same seeds every time.
const DEFAULT_FIRST_SEED: u64 = 1;
/// The first seed and every n-th seed run twice, and both runs must agree on the event hash
/// (`--determinism-every 0`: none).
const DEFAULT_DETERMINISM_EVERY: u64 = 4;
/// A driver call that does not return within this long is a livelock.
const DEFAULT_STALL_SECS: u64 = 60;

#[derive(Debug)]
struct Args {
    seed: Option<u64>,
    seconds: Option<f64>,
    max_steps: u64,
    classes: Classes,
    trace: bool,
    determinism_every: u64,
    stall_secs: u64,
    filtered_out: bool,
}

fn usage() -> &'static str {
    "swarm options: --seed N, --seconds S, --steps N (most steps per seed), --with CLASS,... \
     (or known-bugs), --without CLASS,..., --trace, --determinism-every N, --stall-secs N, --list-classes"
}

fn parse_classes(list: &str, classes: &mut Classes, on: bool) -> Result<(), String> {
    for name in list.split(',').filter(|s| !s.is_empty()) {
        let chosen: Vec<Class> = match name {
            "known-bugs" => KNOWN_BUG_CLASSES.iter().map(|(c, _)| *c).collect(),
            "all" => Class::ALL.to_vec(),
            _ => vec![Class::from_name(name).ok_or_else(|| format!("unknown class {name:?} (see --list-classes)"))?],
        };
        for c in chosen {
            if on { classes.insert(c) } else { classes.remove(c) }
        }
    }
    Ok(())
}

fn parse() -> Result<Args, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let number = |what: &str, v: &str| v.parse::<u64>().map_err(|_| format!("{what} wants a number, got {v:?}"));
    let mut a = Args {
        seed: env("SWITCHBOARD_SEED").map(|v| number("SWITCHBOARD_SEED", &v)).transpose()?,
        seconds: env("SWITCHBOARD_SWARM_SECS")
            .map(|v| v.parse().map_err(|_| format!("bad SWITCHBOARD_SWARM_SECS {v:?}")))
            .transpose()?,
        max_steps: DEFAULT_MAX_STEPS,
        classes: Classes::default_on(),
        trace: false,
        determinism_every: DEFAULT_DETERMINISM_EVERY,
        stall_secs: DEFAULT_STALL_SECS,
        filtered_out: false,
    };
    if let Some(list) = env("SWITCHBOARD_SWARM_WITH") {
        parse_classes(&list, &mut a.classes, true)?;
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let value = |args: &mut std::iter::Skip<std::env::Args>| {
            inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{flag} wants a value"))
        };
        match flag.as_str() {
            "--seed" => a.seed = Some(number("--seed", &value(&mut args)?)?),
            "--seconds" => {
                let v = value(&mut args)?;
                a.seconds = Some(v.parse().map_err(|_| format!("--seconds wants a number, got {v:?}"))?);
            }
            "--steps" => a.max_steps = number("--steps", &value(&mut args)?)?.max(1),
            "--with" => parse_classes(&value(&mut args)?, &mut a.classes, true)?,
            "--without" => parse_classes(&value(&mut args)?, &mut a.classes, false)?,
            "--trace" => a.trace = true,
            "--determinism-every" => a.determinism_every = number("--determinism-every", &value(&mut args)?)?,
            "--stall-secs" => a.stall_secs = number("--stall-secs", &value(&mut args)?)?.max(1),
            "--list-classes" => {
                list_classes();
                std::process::exit(0);
            }
            "--list" => {
                // As libtest lists its tests.
                println!("swarm: test");
                std::process::exit(0);
            }
            "-h" | "--help" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            // libtest's flags that take a value, passed through by `cargo test -- …`.
            "--test-threads" | "--color" | "--format" | "--logfile" | "--skip" | "-Z" | "--shuffle-seed" => {
                let _ = value(&mut args);
            }
            f if f.starts_with('-') => {} // other libtest flags (--nocapture, -q, …) mean nothing here
            filter => {
                // A libtest filter: this binary's one test is named "swarm".
                if !"swarm".contains(filter) {
                    a.filtered_out = true;
                }
            }
        }
    }
    Ok(a)
}

fn list_classes() {
    let default = Classes::default_on();
    for c in Class::ALL {
        let known = KNOWN_BUG_CLASSES.iter().find(|(k, _)| *k == c).map(|(_, why)| *why);
        match known {
            Some(why) => println!("{:<20} off  known bug {why}", c.name()),
            None => println!("{:<20} {}", c.name(), if default.on(c) { "on" } else { "off" }),
        }
    }
}

/// One seed, run (and, for determinism, run again) on the worker thread.
fn run_seed(seed: u64, opts: &Options, progress: &Arc<Progress>, twice: bool) -> Result<Outcome, Failure> {
    let once = || {
        catch_unwind(AssertUnwindSafe(|| run::run(seed, opts, progress.clone()))).unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(Failure { step: progress.step.load(Ordering::Relaxed), message: format!("panicked: {message}") })
        })
    };
    let first = once()?;
    if twice {
        let second = once()?;
        if second != first {
            return Err(Failure {
                step: first.counters.steps,
                message: format!(
                    "nondeterminism: the same seed gave event hash {:016x} then {:016x} ({:?} vs {:?})",
                    first.hash, second.hash, first.counters, second.counters
                ),
            });
        }
    }
    Ok(first)
}

enum Report {
    Passed(u64, Box<Counters>),
    Failed(u64, Failure),
    Done,
}

fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("swarm: {e}\n{}", usage());
            std::process::exit(2);
        }
    };
    if args.filtered_out {
        println!("swarm: 0 passed, 0 failed (filtered out)");
        return;
    }
    let single = args.seed.is_some() && args.seconds.is_none();
    let first_seed = args.seed.unwrap_or_else(|| match args.seconds {
        // A soak starts somewhere new each time; the seed is printed, so it can be rerun.
        Some(_) => {
            rng::mix(
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64),
            ) >> 16
        }
        None => DEFAULT_FIRST_SEED,
    });
    let budget = Duration::from_secs_f64(args.seconds.unwrap_or(DEFAULT_SECONDS).max(0.0));
    let opts = Options { classes: args.classes.clone(), max_steps: args.max_steps, trace: args.trace };
    let flags = format!(
        "{}{}",
        opts.classes.flags(),
        if args.max_steps == DEFAULT_MAX_STEPS { String::new() } else { format!(" --steps {}", args.max_steps) }
    );
    if single {
        println!("swarm: seed {first_seed}{flags}");
    } else {
        println!("swarm: seeds from {first_seed} for {:.0} s{flags}", budget.as_secs_f64());
    }

    let progress = Arc::new(Progress::default());
    let (tx, rx) = mpsc::channel();
    let worker_progress = progress.clone();
    let determinism_every = args.determinism_every;
    let started = Instant::now();
    std::thread::spawn(move || {
        let mut seed = first_seed;
        loop {
            // The first seed too, so that a short run (seeds 1 and 2) checks determinism as well.
            let twice = single || (determinism_every > 0 && (seed == first_seed || seed % determinism_every == 0));
            let report = match run_seed(seed, &opts, &worker_progress, twice) {
                Ok(outcome) => Report::Passed(seed, Box::new(outcome.counters)),
                Err(failure) => Report::Failed(seed, failure),
            };
            let failed = matches!(report, Report::Failed(..));
            if tx.send(report).is_err() || failed || single || started.elapsed() >= budget {
                let _ = tx.send(Report::Done);
                return;
            }
            seed = seed.wrapping_add(1);
        }
    });

    let mut passed = 0u64;
    let mut totals = Counters::default();
    let mut last_beat = (progress.beat.load(Ordering::Relaxed), Instant::now());
    let mut current = first_seed;
    let failure = loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(Report::Passed(seed, counters)) => {
                passed += 1;
                totals.add(&counters);
                current = seed.wrapping_add(1);
            }
            Ok(Report::Failed(seed, failure)) => break Some((seed, failure)),
            Ok(Report::Done) | Err(mpsc::RecvTimeoutError::Disconnected) => break None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let beat = progress.beat.load(Ordering::Relaxed);
                if beat != last_beat.0 {
                    last_beat = (beat, Instant::now());
                } else if last_beat.1.elapsed() >= Duration::from_secs(args.stall_secs) {
                    let step = progress.step.load(Ordering::Relaxed);
                    let message =
                        format!("no driver call returned for {} s: a livelock in the engine", args.stall_secs);
                    break Some((current, Failure { step, message }));
                }
            }
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "swarm: {} steps ({:.0}/s), {} driver calls, {} commands ({} refused, {} refusals compared with timers alone), \
         {} events, {} interactions ({} handled), {} crashes, {} torn writes, {} clock jumps, {} times set back, {} checkpoints, \
         {} tampered snapshots, {} drained, {} untakeable cancelled, in {elapsed:.1} s",
        totals.steps,
        totals.steps as f64 / elapsed.max(1e-9),
        totals.calls,
        totals.commands,
        totals.refused,
        totals.refusals_compared,
        totals.events,
        totals.arrived,
        totals.handled,
        totals.crashes,
        totals.torn_writes,
        totals.clock_jumps,
        totals.backwards,
        totals.checkpoints,
        totals.tampered,
        totals.drained,
        totals.untakeable,
    );
    match failure {
        None => println!("swarm: {passed} passed, 0 failed"),
        Some((seed, failure)) => {
            println!("swarm: seed {seed} FAILED at step {}: {}", failure.step, failure.message);
            // In the build that failed: the debug build and the soak profile check overflow, a
            // plain release build does not, so `--release` could wrap past what failed here.
            let build = if cfg!(debug_assertions) { "--all-features" } else { "--profile soak" };
            println!("  rerun: cargo test {build} --test swarm -- --seed {seed}{flags}");
            println!(
                "     or: SWITCHBOARD_SEED={seed} cargo test {build} --test swarm{}",
                if flags.is_empty() { String::new() } else { format!(" --{flags}") }
            );
            println!("swarm: {passed} passed, 1 failed");
            std::process::exit(1);
        }
    }
}
