//! The Vensim reader: any text reads or gives located diagnostics.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| fulcrum_fuzz::mdl(text));
