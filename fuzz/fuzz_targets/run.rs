//! Whatever reads as a native or XMILE model is resolved, compiled and run for a few steps. Bytes
//! that are not UTF-8 are read as U+FFFD (`fulcrum_fuzz::text`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| fulcrum_fuzz::run(bytes));
