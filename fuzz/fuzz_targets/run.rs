//! Whatever reads as a native or XMILE model is resolved, compiled and run for a few steps.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| fulcrum_fuzz::read_and_run(text));
