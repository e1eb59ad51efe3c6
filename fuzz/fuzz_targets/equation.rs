//! The equation parser: any text parses or gives a located error, and what parses prints as text
//! that parses to the same equation (what `fulcrum convert` relies on). Bytes that are not UTF-8
//! are read as U+FFFD (`fulcrum_fuzz::text`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| fulcrum_fuzz::equation(bytes));
