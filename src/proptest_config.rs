//! The seed and case count of the crate's own property tests, from the
//! environment, so that a failure names the seed that reproduces it and a
//! soak can raise the cases without a rebuild.

use proptest::test_runner::{Config, RngSeed};

/// `SWITCHBOARD_SEED`, or `default`.
pub(crate) fn seed(default: u64) -> u64 {
    std::env::var("SWITCHBOARD_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// A fixed-seed configuration (`seed`) with `SWITCHBOARD_PROPTEST_CASES`,
/// `SWITCHBOARD_CASES` or `PROPTEST_CASES` cases, or `cases`; no failure
/// files.
pub(crate) fn config(seed: u64, cases: u32) -> Config {
    let cases = ["SWITCHBOARD_PROPTEST_CASES", "SWITCHBOARD_CASES", "PROPTEST_CASES"]
        .iter()
        .find_map(|v| std::env::var(v).ok().and_then(|s| s.parse().ok()))
        .unwrap_or(cases);
    Config { cases, rng_seed: RngSeed::Fixed(seed), failure_persistence: None, ..Config::default() }
}
