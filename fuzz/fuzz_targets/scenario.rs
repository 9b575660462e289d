#![no_main]
//! The `scenario` target: see `fuzz/harness/scenario.rs`.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use switchboard_fuzz::harness::{Mode, scenario};

static MODE: OnceLock<Mode> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mode = *MODE.get_or_init(Mode::from_env);
    scenario::run(data, mode);
});
