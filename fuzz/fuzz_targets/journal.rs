#![no_main]
//! The `journal` target: see `fuzz/harness/journal.rs`.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use switchboard_fuzz::harness::{Mode, journal};

static MODE: OnceLock<Mode> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mode = *MODE.get_or_init(Mode::from_env);
    journal::run(data, mode);
});
