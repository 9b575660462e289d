#![no_main]
//! The `snapshot` target: see `fuzz/harness/snapshot.rs`.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use switchboard_fuzz::harness::{Mode, snapshot};

static MODE: OnceLock<Mode> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mode = *MODE.get_or_init(Mode::from_env);
    snapshot::run(data, mode);
});
