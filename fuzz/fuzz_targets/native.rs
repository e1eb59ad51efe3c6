//! The native (TOML) model reader: any text reads or gives located diagnostics. Bytes that are
//! not UTF-8 are read as U+FFFD (`fulcrum_fuzz::text`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| fulcrum_fuzz::native(bytes));
