//! The KRM function: a `ResourceList` in, a `ResourceList` out (`raycc krm`).
//!
//! Takes the `ResourceList` (`config.kubernetes.io/v1` or `v1beta1`) that kustomize or kpt
//! writes to a function's stdin, as a [`Value`]; returns the `ResourceList` to write back: every
//! `RayCluster` item replaced, at its place, by the objects it compiles to, every other item
//! kept as it came (annotations included), and one `results` entry per diagnostic
//! (`severity`, `message`, `resourceRef`, `field.path`, `file.path`/`file.index`, `tags.code`).
//! The same diagnostics come back as [`Diagnostic`]s for the CLI to print on stderr, because
//! `kustomize build` does not print `results`.
//!
//! Options come from `functionConfig`: its `data` (a `ConfigMap`) or its `spec` (a custom
//! kind such as `Raycc` from `raycc.io/v1alpha1`), with the keys in [`OPTION_KEYS`]; an unknown key or value
//! is an error, so a typo never compiles something else than asked for.
//!
//! Generated objects get the orchestrator's file annotations derived from their RayCluster's:
//! `config.kubernetes.io/path` and `internal.config.kubernetes.io/path` name
//! `[<namespace>/]<kind>-<name>.yaml` (the [`crate::layout`] name) in the RayCluster's folder,
//! and the `index` pair counts from 0 per path. Other orchestrator annotations (`config.k8s.io/id`,
//! `kustomize.config.k8s.io/id`, ...) identify the RayCluster item and are not copied: a new
//! object must not claim another item's identity. Pure: the CLI reads stdin and writes stdout.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::compile::{Compiled, compile_document};
use crate::diagnostic::{Counts, Diagnostic, Finding, field_path, locate};
use crate::layout;
use crate::normalize::{Options, WorkerKind};
use crate::parse::SpanMap;

/// The `ResourceList` API versions raycc reads; its answer uses the one it was given.
pub const API_VERSIONS: [&str; 2] = ["config.kubernetes.io/v1", "config.kubernetes.io/v1beta1"];

/// The option keys of `functionConfig.data` / `functionConfig.spec`.
pub const OPTION_KEYS: [&str; 3] = ["workerKind", "namespace", "clusterDomain"];

/// The annotations naming an item's file, legacy and current.
const PATH_KEYS: [&str; 2] = [
    "internal.config.kubernetes.io/path",
    "config.kubernetes.io/path",
];
/// The annotations giving an item's position in its file, legacy and current.
const INDEX_KEYS: [&str; 2] = [
    "internal.config.kubernetes.io/index",
    "config.kubernetes.io/index",
];

/// Why a `ResourceList` cannot be processed at all.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KrmError {
    /// The input is not a `ResourceList`.
    #[error("the input is not a ResourceList: {0}")]
    NotAResourceList(String),
    /// `functionConfig` has an option raycc does not know, or a value it cannot use.
    #[error("functionConfig: {0}")]
    FunctionConfig(String),
}

/// What processing a `ResourceList` gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Processed {
    /// The `ResourceList` to write back, `results` included.
    pub list: Value,
    /// The diagnostics behind `results`, for stderr. `file` is the item's path annotation,
    /// or `items[N]` when it has none; there is no span (the orchestrator gives no lines).
    pub diagnostics: Vec<Diagnostic>,
    /// The files the items came from; an item without a path annotation counts as one.
    pub files: usize,
}

impl Processed {
    /// True when any result is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        Counts::of(&self.diagnostics).errors > 0
    }
}

/// Processes a `ResourceList`.
pub fn process(list: &Value) -> Result<Processed, KrmError> {
    let not_a_list = |why: &str| KrmError::NotAResourceList(why.to_string());
    let obj = list
        .as_object()
        .ok_or_else(|| not_a_list("not a mapping"))?;
    if obj.get("kind").and_then(Value::as_str) != Some("ResourceList") {
        return Err(not_a_list("`kind` is not ResourceList"));
    }
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .filter(|v| API_VERSIONS.contains(v))
        .ok_or_else(|| not_a_list("`apiVersion` is not config.kubernetes.io/v1"))?;
    let items: &[Value] = match obj.get("items") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(_) => return Err(not_a_list("`items` is not a list")),
    };
    let opts = options(obj.get("functionConfig"))?;

    let mut out_items = Vec::new();
    let mut diagnostics = Vec::new();
    let mut results = Vec::new();
    // Next free index per generated path, so that two clusters never claim one (path, index).
    let mut next_index: BTreeMap<String, u64> = BTreeMap::new();
    let mut files = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let file = Location::of(item);
        files.insert(file.path.clone().unwrap_or_else(|| format!("items[{i}]")));
        let (compiled, findings) = compile_document(item.clone(), &opts);
        match compiled {
            Compiled::Generated(objects) => {
                for mut o in objects {
                    if let Some(dir) = &file.dir {
                        annotate(&mut o, dir, &mut next_index);
                    }
                    out_items.push(o);
                }
            }
            Compiled::Passthrough(value) => out_items.push(value),
            Compiled::Invalid => {}
        }
        results.extend(findings.iter().map(|f| result(f, item, &file)));
        let name = file.path.as_ref().map_or_else(
            || format!("items[{i}]"),
            |p| format!("{p} (document {})", file.index),
        );
        // The orchestrator gives no source text, so there are no spans to locate.
        diagnostics.extend(locate(findings, &name, &SpanMap::default()));
    }

    let mut out = Map::new();
    out.insert("apiVersion".into(), json!(api_version));
    out.insert("kind".into(), json!("ResourceList"));
    out.insert("items".into(), Value::Array(out_items));
    if !results.is_empty() {
        out.insert("results".into(), Value::Array(results));
    }
    Ok(Processed {
        list: Value::Object(out),
        diagnostics,
        files: files.len(),
    })
}

/// Reads the compile options from `functionConfig`.
fn options(config: Option<&Value>) -> Result<Options, KrmError> {
    let mut opts = Options::default();
    let Some(config) = config.filter(|c| !c.is_null()) else {
        return Ok(opts);
    };
    let bad = |msg: String| KrmError::FunctionConfig(msg);
    let config = config
        .as_object()
        .ok_or_else(|| bad("not a mapping".into()))?;
    for section in ["data", "spec"] {
        let Some(values) = config.get(section).filter(|v| !v.is_null()) else {
            continue;
        };
        let values = values
            .as_object()
            .ok_or_else(|| bad(format!("`{section}` is not a mapping")))?;
        for (key, value) in values {
            let Some(text) = value.as_str() else {
                return Err(bad(format!("`{section}.{key}` must be a string")));
            };
            match key.as_str() {
                "workerKind" => {
                    opts.worker_kind = WorkerKind::parse(text).ok_or_else(|| {
                        bad(format!(
                            "`{section}.workerKind` is `{text}`; use StatefulSet or Deployment"
                        ))
                    })?;
                }
                "namespace" | "clusterDomain" if text.is_empty() => {}
                "namespace" => opts.default_namespace = Some(text.into()),
                "clusterDomain" => opts.cluster_domain = text.into(),
                _ => {
                    let hint = match crate::suggest::suggest(key, &OPTION_KEYS) {
                        Some(known) => format!("did you mean `{section}.{known}`? "),
                        None => String::new(),
                    };
                    return Err(bad(format!(
                        "unknown option `{section}.{key}`; {hint}raycc reads {}",
                        OPTION_KEYS.join(", ")
                    )));
                }
            }
        }
    }
    Ok(opts)
}

/// Where an item came from, as its orchestrator annotations say.
struct Location {
    /// `config.kubernetes.io/path` (or the internal one).
    path: Option<String>,
    /// Its index within that file.
    index: u64,
    /// The folder of `path` with a trailing `/`, or empty for a top-level file.
    dir: Option<String>,
}

impl Location {
    fn of(item: &Value) -> Location {
        let annotation = |keys: &[&str]| {
            keys.iter().find_map(|k| {
                item.pointer("/metadata/annotations")
                    .and_then(|a| a.get(*k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
        };
        let path = annotation(&PATH_KEYS);
        let index = annotation(&INDEX_KEYS)
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        let dir = path
            .as_deref()
            .map(|p| p.rfind('/').map_or(String::new(), |i| p[..=i].to_string()));
        Location { path, index, dir }
    }
}

/// Gives a generated object the path and index annotations of its file.
fn annotate(object: &mut Value, dir: &str, next_index: &mut BTreeMap<String, u64>) {
    let Ok(name) = layout::object_path(object) else {
        return;
    };
    let path = format!("{dir}{name}");
    let counter = next_index.entry(path.clone()).or_insert(0);
    let index = counter.to_string();
    *counter += 1;
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(a) = annotations.as_object_mut() {
        for key in PATH_KEYS {
            a.insert(key.into(), json!(path));
        }
        for key in INDEX_KEYS {
            a.insert(key.into(), json!(index));
        }
    }
}

/// One `results` entry.
fn result(f: &Finding, item: &Value, file: &Location) -> Value {
    let mut r = Map::new();
    r.insert(
        "message".into(),
        json!(format!("[{}] {}", f.code, f.message)),
    );
    r.insert("severity".into(), json!(f.severity.to_string()));
    let text = |p: &str| item.pointer(p).and_then(Value::as_str);
    // The spec requires a name in resourceRef, and a resourceRef for a field.
    if let Some(name) = text("/metadata/name") {
        let mut reference = Map::new();
        reference.insert(
            "apiVersion".into(),
            json!(text("/apiVersion").unwrap_or("")),
        );
        reference.insert("kind".into(), json!(text("/kind").unwrap_or("")));
        reference.insert("name".into(), json!(name));
        if let Some(ns) = text("/metadata/namespace") {
            reference.insert("namespace".into(), json!(ns));
        }
        r.insert("resourceRef".into(), Value::Object(reference));
        let field = field_path(&f.pointer);
        if !field.is_empty() {
            r.insert("field".into(), json!({ "path": field }));
        }
    }
    if let Some(path) = &file.path {
        r.insert("file".into(), json!({ "path": path, "index": file.index }));
    }
    let mut tags = Map::new();
    tags.insert("code".into(), json!(f.code.id()));
    if let Some(help) = &f.help {
        tags.insert("help".into(), json!(help));
    }
    r.insert("tags".into(), Value::Object(tags));
    Value::Object(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &Value, config: &Value) -> Value {
        json!({
            "apiVersion": "config.kubernetes.io/v1",
            "kind": "ResourceList",
            "items": items,
            "functionConfig": config,
        })
    }

    fn cluster(name: &str, annotations: &Value) -> Value {
        json!({
            "apiVersion": "ray.io/v1",
            "kind": "RayCluster",
            "metadata": {"name": name, "annotations": annotations},
            "spec": {
                "rayVersion": "2.52.0",
                "workerGroupSpecs": [
                    {"groupName": "cpu", "replicas": 1, "minReplicas": 1, "maxReplicas": 2}
                ]
            }
        })
    }

    fn kinds(v: &Value) -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| format!("{}/{}", i["kind"].as_str().unwrap(), i["metadata"]["name"]))
            .collect()
    }

    #[test]
    fn replaces_a_raycluster_in_place_and_keeps_other_items() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a",
            "annotations": {"config.kubernetes.io/path": "x/cm.yaml",
                            "internal.config.kubernetes.io/index": "3",
                            "kustomize.config.k8s.io/id": "kind: ConfigMap"}}});
        let out = process(&list(
            &json!([cm.clone(), cluster("ray", &json!({})), cm.clone()]),
            &Value::Null,
        ))
        .unwrap();
        assert_eq!(
            kinds(&out.list),
            [
                "ConfigMap/\"a\"",
                "Service/\"ray-head-svc\"",
                "Service/\"ray-cpu-worker\"",
                "StatefulSet/\"ray-head\"",
                "StatefulSet/\"ray-cpu-worker\"",
                "ConfigMap/\"a\""
            ]
        );
        assert_eq!(out.list["items"][0], cm);
        assert_eq!(out.list["items"][5], cm);
        assert!(out.list.get("results").is_none());
        assert!(!out.has_errors());
    }

    #[test]
    fn names_generated_files_beside_the_source() {
        let source = cluster(
            "ray",
            &json!({"config.kubernetes.io/path": "clusters/ray.yaml",
                   "internal.config.kubernetes.io/path": "clusters/ray.yaml",
                   "config.k8s.io/id": "7"}),
        );
        let out = process(&list(&json!([source]), &Value::Null)).unwrap();
        let head = &out.list["items"][2]["metadata"]["annotations"];
        assert_eq!(
            head,
            &json!({
                "config.kubernetes.io/path": "clusters/statefulset-ray-head.yaml",
                "internal.config.kubernetes.io/path": "clusters/statefulset-ray-head.yaml",
                "config.kubernetes.io/index": "0",
                "internal.config.kubernetes.io/index": "0",
            })
        );
    }

    #[test]
    fn gives_colliding_paths_distinct_indexes() {
        let a = cluster("ray", &json!({"config.kubernetes.io/path": "ray.yaml"}));
        let out = process(&list(&json!([a.clone(), a]), &Value::Null)).unwrap();
        let index = |i: usize| {
            out.list["items"][i]["metadata"]["annotations"]["config.kubernetes.io/index"].clone()
        };
        assert_eq!(index(0), json!("0"));
        assert_eq!(index(4), json!("1"));
    }

    #[test]
    fn leaves_generated_objects_unannotated_without_a_source_path() {
        let out = process(&list(&json!([cluster("ray", &json!({}))]), &Value::Null)).unwrap();
        assert!(
            out.list["items"][2]["metadata"]
                .get("annotations")
                .is_none()
        );
    }

    #[test]
    fn reads_options_from_configmap_data_or_spec() {
        let data = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"workerKind": "Deployment", "namespace": "ml"}});
        let out = process(&list(&json!([cluster("ray", &json!({}))]), &data)).unwrap();
        assert_eq!(out.list["items"][3]["kind"], "Deployment");
        assert_eq!(out.list["items"][3]["metadata"]["namespace"], "ml");

        let spec = json!({"apiVersion": "raycc.io/v1alpha1", "kind": "Raycc",
            "metadata": {"name": "c"}, "spec": {"clusterDomain": "corp.example", "namespace": "ml"}});
        let out = process(&list(&json!([cluster("ray", &json!({}))]), &spec)).unwrap();
        assert_eq!(out.list["items"][3]["kind"], "StatefulSet");
        assert!(
            out.list["items"][3]
                .to_string()
                .contains("ray-head-svc.ml.svc.corp.example")
        );
    }

    #[test]
    fn rejects_unknown_options_and_values() {
        for data in [
            json!({"workerkind": "Deployment"}),
            json!({"workerKind": "Pod"}),
            json!({"namespace": 3}),
        ] {
            let config = json!({"kind": "ConfigMap", "data": data});
            assert!(matches!(
                process(&list(&json!([]), &config)),
                Err(KrmError::FunctionConfig(_))
            ));
        }
    }

    #[test]
    fn suggests_the_option_an_unknown_one_was_meant_to_be() {
        let config = json!({"kind": "Raycc", "spec": {"clusterDomian": "corp.example"}});
        let Err(KrmError::FunctionConfig(message)) = process(&list(&json!([]), &config)) else {
            panic!("an unknown option must be refused");
        };
        assert!(
            message.contains("did you mean `spec.clusterDomain`?"),
            "{message}"
        );
        let config = json!({"kind": "Raycc", "spec": {"replicas": "3"}});
        let Err(KrmError::FunctionConfig(message)) = process(&list(&json!([]), &config)) else {
            panic!("an unknown option must be refused");
        };
        assert!(!message.contains("did you mean"), "{message}");
    }

    #[test]
    fn rejects_what_is_not_a_resource_list() {
        for v in [
            json!([]),
            json!({"kind": "List", "apiVersion": "v1", "items": []}),
            json!({"kind": "ResourceList", "apiVersion": "v1", "items": []}),
            json!({"kind": "ResourceList", "apiVersion": "config.kubernetes.io/v1", "items": {}}),
        ] {
            assert!(matches!(process(&v), Err(KrmError::NotAResourceList(_))));
        }
    }

    #[test]
    fn reports_errors_as_results_with_resource_field_and_file() {
        let mut bad = cluster(
            "ray",
            &json!({"internal.config.kubernetes.io/path": "c/ray.yaml",
                   "internal.config.kubernetes.io/index": "2"}),
        );
        bad["metadata"]["namespace"] = json!("ml");
        bad["spec"]["workerGroupSpecs"][0]["minReplicas"] = json!(5);
        let out = process(&list(&json!([bad]), &Value::Null)).unwrap();
        assert!(out.has_errors());
        assert_eq!(out.list["items"], json!([]));
        let r = &out.list["results"][0];
        assert_eq!(r["severity"], "error");
        assert_eq!(r["tags"]["code"], "RC201");
        assert!(r["message"].as_str().unwrap().starts_with("[RC201] "));
        assert_eq!(
            r["resourceRef"],
            json!({"apiVersion": "ray.io/v1", "kind": "RayCluster", "name": "ray", "namespace": "ml"})
        );
        assert_eq!(r["field"]["path"], "spec.workerGroupSpecs[0].minReplicas");
        assert_eq!(r["file"], json!({"path": "c/ray.yaml", "index": 2}));
        assert_eq!(out.diagnostics[0].file, "c/ray.yaml (document 2)");
    }

    #[test]
    fn reports_warnings_without_failing() {
        let mut c = cluster("ray", &json!({}));
        c["spec"]["enableInTreeAutoscaling"] = json!(true);
        c["spec"]["workerGroupSpecs"][0]["minReplicas"] = json!(0);
        let out = process(&list(&json!([c]), &Value::Null)).unwrap();
        assert!(!out.has_errors());
        assert!(
            out.list["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["severity"] == "warning")
        );
        assert_eq!(out.diagnostics[0].file, "items[0]");
    }

    #[test]
    fn passes_a_generator_function_config_item_through() {
        // kustomize hands a generator its own config as the only item.
        let config = json!({"apiVersion": "raycc.io/v1alpha1", "kind": "Raycc",
            "metadata": {"name": "c", "annotations": {"config.kubernetes.io/local-config": "true"}}});
        let out = process(&list(&json!([config.clone()]), &config)).unwrap();
        assert_eq!(out.list["items"], json!([config]));
    }
}
