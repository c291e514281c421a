//! Fuzzes the whole pipeline, parse → validate → normalize → build → emit, and the diff of
//! the output with itself. Invariants: no panic; whatever compiles emits YAML that parses
//! back to the same objects and re-emits to the same bytes; an object set never differs from
//! itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use raycc::compile::{Input, compile};
use raycc::normalize::Options;

fuzz_target!(|data: &[u8]| {
    let out = compile(&[Input { name: "fuzz.yaml", bytes: data }], &Options::default());
    if out.has_errors() {
        return;
    }
    let yaml = out.yaml();
    let docs: Vec<serde_json::Value> = raycc::parse::parse(yaml.as_bytes())
        .expect("emitted YAML parses")
        .into_iter()
        .map(|d| d.value)
        .collect();
    let values: Vec<serde_json::Value> = out.documents.values().iter().map(|d| d.value.clone()).collect();
    assert_eq!(docs, values, "emitted YAML reads back as the same objects");
    assert_eq!(raycc::emit::emit(&docs), yaml, "emit is a fixed point");
    assert!(!raycc::diff::diff(&values, &values).has_differences());
});
