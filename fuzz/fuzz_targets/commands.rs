#![no_main]
//! The `commands` target: see `fuzz/harness/commands.rs`.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use switchboard_fuzz::harness::{Mode, commands};

static MODE: OnceLock<Mode> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mode = *MODE.get_or_init(Mode::from_env);
    commands::run(data, mode);
});
