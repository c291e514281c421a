//! The integration tests, in one test binary so that they link once: the command line, golden
//! files for every fixture, diagnostic formats and `diff` end to end through the real binary;
//! KubeRay conformance, hostile input, property tests and the fuzz corpus through the library;
//! and the tools raycc runs under (Argo CD, Helm, kustomize, pre-commit). `harness` is what
//! they share.

// Test helpers panic on unexpected input by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod cli;
mod conformance;
mod diff;
mod formats;
mod fuzz_corpus;
mod golden;
mod integrations;
mod properties;
mod robustness;
mod tls;
