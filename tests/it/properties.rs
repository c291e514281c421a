//! Invariants: the same input gives the same bytes, whatever the key order; emitted YAML parses
//! back to itself; every golden object round-trips through the k8s-openapi types; compile
//! never panics on generated RayClusters.

use std::fs;
use std::path::PathBuf;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use proptest::prelude::*;
use raycc::normalize::Options;
use serde_json::Value;

use crate::harness::{compile_bytes, documents, root};

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// The YAML `bytes` compile to, which must compile without errors.
fn compiled_yaml(bytes: &[u8]) -> String {
    let out = compile_bytes("in.yaml", bytes, &Options::default());
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    out.yaml()
}

/// Writes a value as JSON (which is YAML) with object keys in an order chosen by `seed`.
fn shuffled_json(v: &Value, seed: &mut u64) -> String {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            for i in (1..entries.len()).rev() {
                *seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let j = usize::try_from((*seed >> 33) % (i as u64 + 1)).unwrap();
                entries.swap(i, j);
            }
            let parts: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        serde_json::to_string(k).unwrap(),
                        shuffled_json(v, seed)
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(|x| shuffled_json(x, seed)).collect();
            format!("[{}]", parts.join(", "))
        }
        other => serde_json::to_string(other).unwrap(),
    }
}

#[test]
fn compiling_twice_gives_the_same_bytes() {
    for f in yaml_files("fixtures/compile") {
        let bytes = fs::read(&f).unwrap();
        assert_eq!(
            compiled_yaml(&bytes),
            compiled_yaml(&bytes),
            "{}",
            f.display()
        );
    }
}

#[test]
fn emitted_yaml_parses_back_to_the_same_bytes() {
    for f in yaml_files("fixtures/compile") {
        let out = compiled_yaml(&fs::read(&f).unwrap());
        let again = raycc::emit::emit(&documents(out.as_bytes()));
        assert_eq!(out, again, "{}", f.display());
    }
}

#[test]
fn golden_objects_round_trip_through_k8s_openapi_types() {
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> Value {
        serde_json::to_value(serde_json::from_value::<T>(v.clone()).unwrap()).unwrap()
    }
    let mut checked = 0;
    for group in ["golden/compile", "golden/warnings"] {
        for f in yaml_files(group) {
            for doc in documents(&fs::read(&f).unwrap()) {
                let back = match doc["kind"].as_str() {
                    Some("StatefulSet") => round_trip::<StatefulSet>(&doc),
                    Some("Deployment") => round_trip::<Deployment>(&doc),
                    Some("Service") => round_trip::<Service>(&doc),
                    Some("HorizontalPodAutoscaler") => round_trip::<HorizontalPodAutoscaler>(&doc),
                    Some("Job") => round_trip::<Job>(&doc),
                    Some("NetworkPolicy") => round_trip::<NetworkPolicy>(&doc),
                    Some("Ingress") => round_trip::<Ingress>(&doc),
                    // cert-manager's kinds, through raycc's types of the fields it writes.
                    Some("Issuer") => round_trip::<raycc::build::tls::Issuer>(&doc),
                    Some("Certificate") => round_trip::<raycc::build::tls::Certificate>(&doc),
                    _ => continue,
                };
                assert_eq!(back, doc, "{}", f.display());
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} objects checked");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn shuffled_keys_give_the_same_bytes(seed in any::<u64>()) {
        for f in yaml_files("fixtures/compile") {
            let bytes = fs::read(&f).unwrap();
            let want = compiled_yaml(&bytes);
            let mut s = seed;
            let shuffled = documents(&bytes).iter().fold(String::new(), |mut acc, d| {
                acc.push_str("---\n");
                acc.push_str(&shuffled_json(d, &mut s));
                acc.push('\n');
                acc
            });
            prop_assert_eq!(&compiled_yaml(shuffled.as_bytes()), &want, "{}", f.display());
        }
    }

    #[test]
    fn compile_never_panics_and_is_stable_on_generated_clusters(
        name in "[a-z][a-z0-9-]{0,60}[a-z0-9]",
        groups in proptest::collection::vec(
            ("[a-zA-Z0-9_.-]{1,70}", -2i32..6, -2i32..8, proptest::option::of(-1i32..9),
             proptest::option::of(0i32..3), proptest::option::of("[0-9]{1,3}(m|Gi|Mi)?")),
            0..4),
        autoscaling in any::<bool>(),
        namespace in proptest::option::of("[a-z]{1,10}"),
    ) {
        let groups: Vec<Value> = groups
            .into_iter()
            .map(|(g, min, max, replicas, hosts, cpu)| {
                let mut v = serde_json::json!({"groupName": g, "minReplicas": min, "maxReplicas": max});
                if let Some(r) = replicas { v["replicas"] = r.into(); }
                if let Some(h) = hosts { v["numOfHosts"] = h.into(); }
                if let Some(c) = cpu { v["resources"] = serde_json::json!({"cpu": c}); }
                v
            })
            .collect();
        let mut meta = serde_json::json!({"name": name});
        if let Some(ns) = namespace { meta["namespace"] = ns.into(); }
        let cluster = serde_json::json!({
            "apiVersion": "ray.io/v1", "kind": "RayCluster", "metadata": meta,
            "spec": {"rayVersion": "2.52.0", "enableInTreeAutoscaling": autoscaling, "workerGroupSpecs": groups}
        });
        let text = serde_json::to_string(&cluster).unwrap();
        let a = compile_bytes("gen.yaml", text.as_bytes(), &Options::default());
        let b = compile_bytes("gen.yaml", text.as_bytes(), &Options::default());
        prop_assert_eq!(&a, &b);
        if !a.has_errors() {
            let out = a.yaml();
            prop_assert_eq!(raycc::emit::emit(&documents(out.as_bytes())), out);
            for d in a.documents.values() {
                let name = d.value["metadata"]["name"].as_str().unwrap_or_default();
                prop_assert!(name.len() <= 63 && !name.is_empty());
                if d.value["kind"] == "StatefulSet" {
                    prop_assert!(name.len() <= 52, "{}", name);
                }
            }
        }
    }
}
