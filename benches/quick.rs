//! How many documents of each YAML style of the benchmark corpus the quick reader reads by
//! itself (the rest go to serde-saphyr), and how long parsing them takes.
//!
//! Run `scripts/gen-corpus.py` first (`scripts/bench.sh` does); then
//! `cargo bench --bench quick [CORPUS]`, by default on `target/bench/corpus`. Counts each file
//! of `<style>/validate` and `<style>/files` as one document. Prints one line per style.

// Counts and byte totals far below 2^52 are printed as percentages and rates.
#![allow(clippy::cast_precision_loss)]

use std::path::{Path, PathBuf};
use std::time::Instant;

fn files(folder: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

fn main() {
    let corpus = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or_else(|| PathBuf::from("target/bench/corpus"), PathBuf::from);
    for style in ["written", "pyyaml", "go", "flow"] {
        for set in ["validate", "files"] {
            let paths = files(&corpus.join(style).join(set));
            if paths.is_empty() {
                continue;
            }
            let inputs: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
            let quick = inputs
                .iter()
                .filter(|i| raycc::parse::quick_reads(i))
                .count();
            let start = Instant::now();
            let parsed = inputs
                .iter()
                .filter(|i| raycc::parse::parse(i).is_ok())
                .count();
            let elapsed = start.elapsed();
            let bytes: usize = inputs.iter().map(Vec::len).sum();
            println!(
                "{style:<8} {set:<8} quick reader {quick:>5} of {:>5} documents ({:>5.1} %); \
                 parse {parsed} in {:.1} ms, {:.0} MiB/s",
                inputs.len(),
                100.0 * quick as f64 / inputs.len() as f64,
                elapsed.as_secs_f64() * 1000.0,
                bytes as f64 / 1_048_576.0 / elapsed.as_secs_f64()
            );
        }
    }
}
