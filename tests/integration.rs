//! The scenario tests, one module per file beside this one, built as one
//! test binary: as 43 binaries, each linking the whole crate and its
//! dependencies again, they took most of the test command's time to build.
//! `cargo test --test integration <module>::` runs one file's tests
//! (`cargo test --test integration properties::`, say).
//!
//! `swarm` (its own harness), `replication` (feature `replication`) and
//! `fuzz_corpus` (left out of the published package: it reads the fuzz
//! harness) stay binaries of their own.

mod common;
// Shared by several files: loaded once, here.
#[cfg(feature = "sim")]
#[path = "common/json.rs"]
mod json;
#[path = "common/workload.rs"]
mod workload;

mod admission;
mod business_hours;
mod callbacks;
mod compact_snapshot;
mod configuration_check;
mod declines;
mod eligibility;
mod errors;
mod exceptions;
mod fairness;
mod headroom;
mod host_driver;
mod host_journal;
mod host_recovery;
mod host_replay_props;
mod hostile_input;
mod interruptible;
mod journeys;
mod lifecycle;
mod parallel_offers;
mod properties;
mod reconfigure;
mod router_reference;
mod routing;
mod routing_replay;
mod self_service;
mod sim_hostile;
mod sim_journeys;
mod sim_report;
mod sim_rules;
mod stats_business_hours;
mod stats_history;
mod stats_intervals;
mod stats_overflow;
mod stats_properties;
mod stats_scenarios;
mod steps;
mod time_to_live;
// Not `mod tracing`: that name is the `tracing` crate's.
#[path = "tracing.rs"]
mod tracing_feature;
mod why_waiting;
mod wrap_up;

/// Every scenario file beside this one is a module of it (or a test target
/// of its own in Cargo.toml): automatic test discovery is off, so a file
/// left out would silently never run.
#[test]
fn every_scenario_file_is_a_module_here() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let me = std::fs::read_to_string(dir.join("integration.rs")).expect("reads itself");
    let manifest =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).expect("reads");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("lists tests/") {
        let path = entry.expect("an entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let Some(module) = name.strip_suffix(".rs") else { continue };
        let listed = me.contains(&format!("mod {module};")) || me.contains(&format!("#[path = \"{name}\"]"));
        let own_target = manifest.contains(&format!("path = \"tests/{name}\""));
        if module != "integration" && !listed && !own_target {
            missing.push(name.to_string());
        }
    }
    assert!(missing.is_empty(), "add these to tests/integration.rs: {missing:?}");
}
