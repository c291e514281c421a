//! Replays the fuzz corpus through the pipeline with the fuzz target's invariants, so every
//! input the fuzzer found interesting stays a regression test in the normal run. The corpus is
//! `fuzz/corpus/compile` (grown by `cargo +nightly fuzz run compile`) and the fixtures, which
//! are also the fuzzer's seeds.

use std::fs;

use crate::harness::{files_under, root};

#[path = "../../fuzz/invariants.rs"]
mod invariants;

#[test]
fn every_fuzz_corpus_input_compiles_or_fails_cleanly() {
    let corpus = files_under(&root().join("fuzz/corpus/compile"));
    assert!(corpus.len() > 40, "the fuzz corpus is missing");
    let seeds = ["fixtures", "fixtures-diff"]
        .iter()
        .flat_map(|dir| files_under(&root().join(dir)));
    for path in corpus.iter().cloned().chain(seeds) {
        let bytes = fs::read(&path).unwrap();
        invariants::check(&path.display().to_string(), &bytes);
    }
}
