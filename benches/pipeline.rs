//! Per-stage benchmarks of the raycc pipeline, and the floor it is measured against.
//!
//! The input is every KubeRay sample file that compiles without errors (read at bench time from
//! `RAYCC_SAMPLES`, by default `../shared/kuberay/samples`; the samples are not part of the
//! repository), concatenated into one `---` stream: about 40 RayClusters plus the ConfigMaps and
//! Secrets that travel with them. Without the samples the benches fall back to
//! `fixtures/compile`. Each stage is timed on the output of the one before it:
//!
//! - `parse`: bytes → spanned documents;
//! - `schema` and `validate` (schema, then typed read and KubeRay's rules);
//! - `normalize+build`: typed cluster → Kubernetes objects as JSON values;
//! - `emit`: values → YAML text;
//! - `compile`: all of the above through `compile::compile` (one thread), plus the YAML of the
//!   result;
//! - `floor`: the bare YAML round trip of the same documents with the same crates: the input
//!   parsed by serde-saphyr into `serde_json::Value`s, the output values serialized by
//!   serde-saphyr. `compile` over `floor` is the price of everything raycc adds;
//! - `floor-raycc`: the same round trip with raycc's own reader and writer (`parse` with its
//!   spans, then `emit`), the stricter floor;
//! - `diff`: 1,000 compiled clusters against the same with one cluster changed.
//!
//! Run with `cargo bench --bench pipeline`; `scripts/bench.sh` does the end-to-end comparisons
//! against other tools. Benchmarks are never run by the tests or CI.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use raycc::compile::{Input, compile};
use raycc::normalize::Options;
use raycc::validate::Validated;
use raycc::{build, emit, normalize, parse, schema, validate};
use serde_json::Value;

/// The binary's allocator, so that the stages are timed as the binary runs them.
#[cfg(target_env = "gnu")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The sample stream: every sample file that compiles cleanly, joined with `---`.
fn sample_stream() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("RAYCC_SAMPLES")
        .map_or_else(|| root.join("../shared/kuberay/samples"), PathBuf::from);
    let dir = if dir.is_dir() {
        dir
    } else {
        root.join("fixtures/compile")
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    let mut stream = String::new();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let out = compile(
            &[Input {
                name: "sample",
                bytes: text.as_bytes(),
            }],
            &Options::default(),
        );
        if out.clusters > 0 && !out.has_errors() {
            stream.push_str(&text);
            stream.push_str("\n---\n");
        }
    }
    assert!(
        !stream.is_empty(),
        "no sample compiles in {}",
        dir.display()
    );
    stream
}

fn compiled_values(stream: &str) -> Vec<Value> {
    compile(
        &[Input {
            name: "stream",
            bytes: stream.as_bytes(),
        }],
        &Options::default(),
    )
    .documents
    .into_values()
    .into_iter()
    .map(|d| d.value)
    .collect()
}

fn stages(c: &mut Criterion) {
    let stream = sample_stream();
    let opts = Options::default();
    let docs = parse::parse(stream.as_bytes()).unwrap_or_default();
    let clusters: Vec<Value> = docs
        .iter()
        .map(|d| d.value.clone())
        .filter(|v| v.get("kind").and_then(Value::as_str) == Some("RayCluster"))
        .collect();
    let typed: Vec<_> = clusters
        .iter()
        .filter_map(|v| match validate::validate(v.clone()).0 {
            Validated::Cluster(c) => Some(c),
            _ => None,
        })
        .collect();
    let values = compiled_values(&stream);
    let yaml_out = emit::emit(&values);
    eprintln!(
        "sample stream: {} bytes, {} documents, {} RayClusters; output {} objects, {} bytes",
        stream.len(),
        docs.len(),
        clusters.len(),
        values.len(),
        yaml_out.len()
    );

    let mut g = c.benchmark_group("stage");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| parse::parse(black_box(stream.as_bytes())));
    });
    g.bench_function("schema", |b| {
        b.iter(|| clusters.iter().map(schema::check).count());
    });
    g.bench_function("validate", |b| {
        // validate takes the document by value: each round starts from fresh copies.
        b.iter_batched(
            || clusters.clone(),
            |clusters| clusters.into_iter().map(validate::validate).count(),
            BatchSize::LargeInput,
        );
    });
    g.bench_function("normalize+build", |b| {
        // normalize takes the cluster by value: each round starts from fresh copies.
        b.iter_batched(
            || typed.clone(),
            |typed| {
                typed
                    .into_iter()
                    .flat_map(|c| {
                        let (resolved, _) = normalize::normalize(*c, &opts);
                        build::build(&resolved).objects
                    })
                    .map(|o| o.to_value())
                    .collect::<Vec<_>>()
            },
            BatchSize::SmallInput,
        );
    });
    g.bench_function("emit", |b| b.iter(|| emit::emit(black_box(&values))));
    g.bench_function("compile", |b| {
        b.iter(|| {
            let input = Input {
                name: "stream",
                bytes: stream.as_bytes(),
            };
            compile(&[input], &opts).yaml()
        });
    });
    g.bench_function("floor", |b| {
        b.iter(|| {
            let parsed: Vec<Value> =
                serde_saphyr::from_multiple(black_box(&stream)).unwrap_or_default();
            let mut out = String::new();
            for v in &values {
                out.push_str("---\n");
                out.push_str(&serde_saphyr::to_string(v).unwrap_or_default());
            }
            (parsed, out)
        });
    });
    g.bench_function("floor-raycc", |b| {
        b.iter(|| {
            let parsed = parse::parse(black_box(stream.as_bytes()));
            (parsed, emit::emit(black_box(&values)))
        });
    });
    g.finish();
    diff_repository(c, &values, clusters.len());
}

/// `diff` over a repository of 1,000 clusters (the samples' objects, renamed per copy), one of
/// which changes its replicas.
fn diff_repository(c: &mut Criterion, values: &[Value], clusters: usize) {
    let per_copy = clusters.max(1);
    let mut old = Vec::new();
    for copy in 0..1_000_usize.div_ceil(per_copy) {
        for v in values {
            let mut v = v.clone();
            if let Some(Value::String(name)) = v.pointer_mut("/metadata/name") {
                name.push('-');
                name.push_str(&copy.to_string());
            }
            old.push(v);
        }
    }
    let mut new = old.clone();
    if let Some(r) = new
        .iter_mut()
        .rev()
        .find_map(|v| v.pointer_mut("/spec/replicas").filter(|r| r.is_i64()))
    {
        *r = Value::from(r.as_i64().unwrap_or(0) + 1);
    }
    let mut g = c.benchmark_group("diff");
    g.sample_size(20);
    g.bench_function("1000-clusters-one-changed", |b| {
        b.iter(|| raycc::diff::diff(black_box(&old), black_box(&new)));
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
