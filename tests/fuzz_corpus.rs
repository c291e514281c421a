//! Replays the fuzzing corpus (`fuzz/seeds` and `fuzz/corpus/compile`, grown by
//! `cargo +nightly fuzz run compile`) through the pipeline with the fuzz target's invariants,
//! so every input the fuzzer found interesting stays a regression test in the normal run.

// Test helpers panic on unexpected input by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::PathBuf;

use raycc::compile::{Input, compile};
use raycc::normalize::Options;
use serde_json::Value;

#[test]
fn every_fuzz_corpus_input_compiles_or_fails_cleanly() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs = Vec::new();
    for dir in ["seeds", "corpus/compile"] {
        let Ok(entries) = fs::read_dir(root.join(dir)) else {
            continue;
        };
        inputs.extend(entries.map(|e| e.unwrap().path()));
    }
    inputs.sort();
    assert!(inputs.len() > 40, "the fuzz corpus is missing");
    for path in &inputs {
        let bytes = fs::read(path).unwrap();
        let out = compile(
            &[Input {
                name: "fuzz.yaml",
                bytes: &bytes,
            }],
            &Options::default(),
        );
        if out.has_errors() {
            continue;
        }
        let yaml = out.yaml();
        let docs: Vec<Value> = raycc::parse::parse(yaml.as_bytes())
            .unwrap_or_else(|e| panic!("{}: emitted YAML does not parse: {e}", path.display()))
            .into_iter()
            .map(|d| d.value)
            .collect();
        let values: Vec<Value> = out
            .documents
            .values()
            .iter()
            .map(|d| d.value.clone())
            .collect();
        assert_eq!(docs, values, "{}", path.display());
        assert_eq!(raycc::emit::emit(&docs), yaml, "{}", path.display());
    }
}
