//! Fuzzes the whole pipeline, parse → validate → normalize → build → emit, and the diff of
//! the output with itself, against the invariants of `../invariants.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| invariants::check("fuzz input", data));
