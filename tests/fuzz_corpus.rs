//! Replays the fuzzers' corpus as ordinary tests, on the stable toolchain.
//!
//! Every file of `fuzz/corpus/<target>/` goes through the same function the cargo-fuzz
//! target calls (`fuzz/harness/`, included below), in strict mode: the corpus holds only
//! inputs that pass on today's engine, so a failure here is a regression. The reproducers
//! of bugs the fuzzers found live in `fuzz/regressions/<target>/` and replay clean too.
#![cfg(feature = "sim")]

#[path = "../fuzz/harness/mod.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use harness::{Mode, Outcome, TARGETS, Target};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted; none if the directory is absent.
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = dir.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Runs one input on its own thread; the receiver gets `Err` with the message if it panicked.
fn spawn(run: Target, data: Vec<u8>, mode: Mode) -> mpsc::Receiver<Result<Outcome, String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = catch_unwind(AssertUnwindSafe(|| run(&data, mode)));
        let _ = tx.send(result.map_err(|p| {
            let message = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            format!("panicked: {message}")
        }));
    });
    rx
}

/// Waits for a spawned input until `deadline`. A hung thread is left spinning until the test
/// binary exits.
fn wait(rx: &mpsc::Receiver<Result<Outcome, String>>, deadline: Duration) -> Result<Outcome, String> {
    match rx.recv_timeout(deadline) {
        Ok(result) => result,
        Err(_) => Err(format!("still running after {deadline:?}")),
    }
}

/// Runs one input with a deadline: `Err` says it panicked (with the message) or did not finish.
fn run_with_deadline(run: Target, data: Vec<u8>, mode: Mode, deadline: Duration) -> Result<Outcome, String> {
    wait(&spawn(run, data, mode), deadline)
}

/// Runs every file of `fuzz/<kind>/` through its target in strict mode, as many at once as
/// there are cores (each core's worker takes the next input as soon as its last one ends), each
/// with a deadline, and fails naming every input that panicked or did not finish.
fn replay(kind: &str, deadline: Duration) -> usize {
    let inputs: Vec<(PathBuf, Target)> =
        TARGETS.iter().flat_map(|(target, run)| files(kind, target).into_iter().map(|p| (p, *run))).collect();
    let width = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut failures: Vec<(usize, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..width)
            .map(|_| {
                scope.spawn(|| {
                    let mut failures = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((path, run)) = inputs.get(i) else { break };
                        let data = std::fs::read(path).expect("corpus files read");
                        if let Err(e) = run_with_deadline(*run, data, Mode::Strict, deadline) {
                            failures.push((i, format!("{}: {e}", path.display())));
                        }
                    }
                    failures
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a replay worker panicked")).collect()
    });
    failures.sort();
    let failures: Vec<String> = failures.into_iter().map(|(_, f)| f).collect();
    assert!(failures.is_empty(), "{} of {} inputs failed:\n{}", failures.len(), inputs.len(), failures.join("\n"));
    inputs.len()
}

#[test]
fn corpus_replays_clean() {
    for (target, _) in TARGETS {
        assert!(!files("corpus", target).is_empty(), "fuzz/corpus/{target}/ is empty");
    }
    replay("corpus", Duration::from_secs(60));
}

/// The inputs the fuzzers found that broke the engine (issue #9): each hung, panicked or was
/// wrongly accepted before its fix, and must replay clean now. Each runs with a 10 s deadline,
/// so a hang that comes back fails instead of stalling the suite.
#[test]
fn regressions_replay_clean() {
    replay("regressions", Duration::from_secs(10));
}

/// The committed seeds are the ones `harness::seeds` writes today, and each still reaches the
/// engine: if a serde format changes, this says so instead of letting the seeds rot.
#[test]
fn seeds_are_current_and_reach_the_engine() {
    for seed in harness::seeds::all() {
        let run = TARGETS.iter().find(|(t, _)| *t == seed.target).map(|(_, run)| run).expect("a known target");
        let outcome: Outcome = run(&seed.bytes, Mode::Strict);
        assert!(outcome.parsed, "seed {}/{} does not decode: {outcome:?}", seed.target, seed.name);
        assert!(
            outcome.accepted > 0 || outcome.restored,
            "seed {}/{} does nothing: {outcome:?}",
            seed.target,
            seed.name
        );
        let path = fuzz_dir().join("corpus").join(seed.target).join(seed.name);
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == seed.bytes,
            "{} is out of date: run `cargo test --test fuzz_corpus -- --ignored write_seeds`",
            path.display()
        );
    }
}

/// Writes the seeds into `fuzz/corpus/<target>/seed-*`.
#[test]
#[ignore = "writes files: run on purpose to regenerate the seeds"]
fn write_seeds() {
    for seed in harness::seeds::all() {
        let dir = fuzz_dir().join("corpus").join(seed.target);
        std::fs::create_dir_all(&dir).expect("the corpus directory can be created");
        std::fs::write(dir.join(seed.name), &seed.bytes).expect("seeds write");
    }
}

/// Triage: for each file named in `SWITCHBOARD_FUZZ_TRIAGE` (separated by spaces; the target
/// is the file's directory name, as in `fuzz/artifacts/<target>/`), prints what it does in
/// strict mode (`SWITCHBOARD_FUZZ_TRIAGE_SECS` deadline, 10 s by default, 0 to skip it) and
/// which known bug's guard, if any, skips it. With `SWITCHBOARD_FUZZ_TRACE=1`, both runs also
/// print every command and timeout they run (and `scenario`, the scenario as JSON).
///
/// `SWITCHBOARD_FUZZ_TRIAGE="$(ls fuzz/artifacts/commands/*)" cargo test --test fuzz_corpus -- --ignored triage --nocapture`
#[test]
#[ignore = "a tool: run on purpose with SWITCHBOARD_FUZZ_TRIAGE set"]
fn triage() {
    let trace = std::env::var("SWITCHBOARD_FUZZ_TRACE").is_ok_and(|v| v == "1");
    // 0 skips the strict run: each hung strict run leaves a thread spinning until the end.
    let secs: u64 = std::env::var("SWITCHBOARD_FUZZ_TRIAGE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let list = std::env::var("SWITCHBOARD_FUZZ_TRIAGE").unwrap_or_default();
    for path in list.split_whitespace().map(PathBuf::from) {
        let target = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or_default();
        let Some((_, run)) = TARGETS.iter().find(|(t, _)| *t == target) else {
            println!("{}: not under a target's directory", path.display());
            continue;
        };
        let data = std::fs::read(&path).expect("triage files read");
        harness::TRACE.store(trace, std::sync::atomic::Ordering::Relaxed);
        let guarded = run_with_deadline(*run, data.clone(), Mode::Guarded, Duration::from_secs(10));
        let strict = if secs == 0 {
            Ok(Outcome::default())
        } else {
            run_with_deadline(*run, data, Mode::Strict, Duration::from_secs(secs))
        };
        harness::TRACE.store(false, std::sync::atomic::Ordering::Relaxed);
        let guard = match &guarded {
            Ok(Outcome { guard: Some(bug), .. }) => format!("known bug: {bug}"),
            Ok(_) => "no guard".to_string(),
            Err(e) => format!("NEW, guarded run {e}"),
        };
        let strict = match strict {
            Ok(_) if secs == 0 => "not run".to_string(),
            Ok(_) => "passes".to_string(),
            Err(e) => e,
        };
        println!("{}\n    strict: {}\n    {guard}", path.display(), strict.lines().next().unwrap_or_default());
    }
}
