//! The experiment reader: any text reads or gives located diagnostics; an experiment that reads
//! is applied to a fixed model (the workforce model, whose names the seed experiments use) and
//! planned, and the first, second, middle and last rows of its design are drawn. Bytes that are
//! not UTF-8 are read as U+FFFD (`fulcrum_fuzz::text`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| fulcrum_fuzz::experiment(bytes));
