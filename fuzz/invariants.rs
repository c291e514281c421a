//! The invariants of the whole pipeline, stated once for the fuzz target
//! (`fuzz_targets/compile.rs`) and for the replay of the fuzz corpus in the integration tests
//! (`tests/it/fuzz_corpus.rs`): both include this file with `#[path]`.
//!
//! [`check`] takes any bytes and panics, naming the input, when one of these does not hold:
//! whatever the quick reader reads, serde-saphyr reads identically (values and spans);
//! compiling never panics; whatever compiles without errors emits YAML that parses back to the
//! same objects and re-emits to the same bytes; a set of objects never differs from itself.
//! It never reads files: the caller hands it the bytes.

use raycc::compile::{Input, compile};
use raycc::normalize::Options;
use serde_json::Value;

/// Compares the quick reader with serde-saphyr on `data`, runs parse → validate → normalize →
/// build → emit on it, then diffs the output with itself, and panics (naming `label`) when an
/// invariant does not hold.
pub fn check(label: &str, data: &[u8]) {
    if let Some(quick) = raycc::parse::quick_parse(data) {
        let saphyr = raycc::parse::parse_with_serde_saphyr(data).unwrap_or_else(|e| {
            panic!("{label}: the quick reader reads what serde-saphyr rejects: {e}")
        });
        assert_eq!(
            quick, saphyr,
            "{label}: the quick reader reads as serde-saphyr does"
        );
    }
    let out = compile(
        &[Input {
            name: "fuzz.yaml",
            bytes: data,
        }],
        &Options::default(),
    );
    if out.has_errors() {
        return;
    }
    let yaml = out.yaml();
    let docs: Vec<Value> = raycc::parse::parse(yaml.as_bytes())
        .unwrap_or_else(|e| panic!("{label}: emitted YAML does not parse: {e}"))
        .into_iter()
        .map(|d| d.value)
        .collect();
    let values: Vec<Value> = out
        .documents
        .values()
        .iter()
        .map(|d| d.value.clone())
        .collect();
    assert_eq!(
        docs, values,
        "{label}: emitted YAML reads back as the same objects"
    );
    assert_eq!(
        raycc::emit::emit(&docs),
        yaml,
        "{label}: emit is a fixed point"
    );
    assert!(
        !raycc::diff::diff(&values, &values).has_differences(),
        "{label}: an object set differs from itself"
    );
}
