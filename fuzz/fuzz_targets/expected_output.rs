//! The reader of other tools' expected outputs (CSV or Vensim TAB), from raw bytes as the
//! conformance harness reads them.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| fulcrum_fuzz::expected_output(bytes));
