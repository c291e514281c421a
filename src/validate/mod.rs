//! Stage 2: a parsed document → a typed, valid [`RayCluster`], or findings that say why not.
//!
//! Takes one [`serde_json::Value`] (a document from [`crate::parse`]). First it decides what the
//! document is: a RayCluster, a misspelled one, or another object that passes through. For a
//! RayCluster it runs the JSON Schema on the untyped tree (typed deserialization would silently
//! drop unknown fields), then, only if the schema passed, reads the typed cluster and runs
//! KubeRay's offline validation rules and raycc's own. Every problem is collected; nothing
//! stops at the first. This stage never touches files and never panics.

use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use serde::Deserialize;
use serde_json::Value;

use crate::codes::Code;
use crate::diagnostic::Finding;
use crate::model::{AutoscalerVersion, RayCluster};
use crate::suggest::suggest;

mod features;
mod kuberay;
mod raycc;
mod references;
mod v1alpha1;

/// What a document turned out to be.
#[derive(Debug)]
pub enum Validated {
    /// A RayCluster that passed every error-level check.
    Cluster(Box<RayCluster>),
    /// Another Kubernetes object (or anything raycc does not compile), handed back to be
    /// passed through.
    Passthrough(Value),
    /// A document with errors; nothing is emitted for it.
    Invalid,
}

/// The kinds KubeRay serves under `ray.io`.
const RAY_KINDS: [&str; 4] = ["RayCluster", "RayJob", "RayService", "RayCronJob"];

/// Validates one document. A RayCluster's typed form takes the document's strings over
/// instead of copying them.
#[must_use]
pub fn validate(doc: Value) -> (Validated, Vec<Finding>) {
    let Some(obj) = doc.as_object() else {
        let found = match doc {
            Value::Array(_) => "a list",
            _ => "a plain value",
        };
        return (
            Validated::Invalid,
            vec![
                Finding::new(
                    Code::NotAnObject,
                    "",
                    format!("this YAML document is {found}, not a Kubernetes object"),
                )
                .help("each `---` document must be a mapping with `apiVersion` and `kind`"),
            ],
        );
    };
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let mut findings = Vec::new();

    if kind != "RayCluster" {
        let ray_group = api_version.starts_with("ray.io/");
        let looks_like = suggest(kind, &["RayCluster"]).is_some();
        if looks_like || (ray_group && !RAY_KINDS.contains(&kind)) {
            findings.push(
                Finding::new(
                    Code::KindTypo,
                    "/kind",
                    format!(
                        "unknown kind `{kind}` for {}",
                        if ray_group {
                            api_version
                        } else {
                            "a RayCluster"
                        }
                    ),
                )
                .help("did you mean `kind: RayCluster`?"),
            );
            return (Validated::Invalid, findings);
        }
        // Without `apiVersion` or `kind` a mapping is no Kubernetes object: passed through, it
        // would make `kubectl apply` or Argo CD refuse the stream; dropped, a RayCluster that
        // lost its header would vanish. An error, like a list.
        if api_version.is_empty() || kind.is_empty() {
            let (pointer, what) = match (api_version.is_empty(), kind.is_empty()) {
                (true, true) => ("", "no `apiVersion` and no `kind`"),
                (true, false) => ("/kind", "no `apiVersion`"),
                _ => ("/apiVersion", "no `kind`"),
            };
            let message =
                format!("this YAML document has {what}, so it is not a Kubernetes object");
            findings.push(Finding::new(Code::MissingKind, pointer, message));
            return (Validated::Invalid, findings);
        }
        return (Validated::Passthrough(doc), findings);
    }
    match api_version {
        "ray.io/v1" => {}
        "ray.io/v1alpha1" => {
            findings.push(
                Finding::new(
                    Code::DeprecatedApiVersion,
                    "/apiVersion",
                    "ray.io/v1alpha1 is deprecated, and KubeRay will stop serving it in 1.9; raycc compiles it as ray.io/v1",
                )
                .help("change the apiVersion to `ray.io/v1`"),
            );
            v1alpha1::differences(&doc, &mut findings);
        }
        other => {
            findings.push(
                Finding::new(
                    Code::UnknownApiVersion,
                    if obj.contains_key("apiVersion") {
                        "/apiVersion"
                    } else {
                        ""
                    },
                    format!("RayCluster apiVersion `{other}` is not served by KubeRay"),
                )
                .help("use `apiVersion: ray.io/v1`"),
            );
            return (Validated::Invalid, findings);
        }
    }

    findings.extend(crate::schema::check(&doc));
    if findings.iter().any(Finding::is_error) {
        return (Validated::Invalid, findings);
    }
    let cluster = match RayCluster::deserialize(doc) {
        Ok(c) => c,
        Err(e) => {
            findings.push(Finding::new(Code::SchemaViolation, "", e.to_string()));
            return (Validated::Invalid, findings);
        }
    };
    findings.extend(rules(&cluster));
    if findings.iter().any(Finding::is_error) {
        (Validated::Invalid, findings)
    } else {
        (Validated::Cluster(Box::new(cluster)), findings)
    }
}

/// A worker group's pointer.
fn group_ptr(i: usize) -> String {
    format!("/spec/workerGroupSpecs/{i}")
}

/// The containers of a template, if it has a spec.
fn containers(t: Option<&PodTemplateSpec>) -> Option<&[Container]> {
    t.map(|t| t.spec.as_ref().map_or(&[][..], |s| s.containers.as_slice()))
}

fn env_value<'a>(c: Option<&'a Container>, name: &str) -> Option<&'a str> {
    c?.env
        .as_ref()?
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.value.as_deref().unwrap_or(""))
}

fn has_env(c: Option<&Container>, name: &str) -> bool {
    c.and_then(|c| c.env.as_ref())
        .is_some_and(|env| env.iter().any(|e| e.name == name))
}

/// Parses `major.minor.patch` (a leading `v` and a pre-release suffix are tolerated).
#[must_use]
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let mut parts = v.splitn(3, '.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch_text = parts.next().unwrap_or("0");
    let digits: String = patch_text
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let patch = digits.parse().ok()?;
    Some((major, minor, patch))
}

/// What several rule families read: the autoscaling settings and the head's Ray container.
struct Context<'a> {
    /// `enableInTreeAutoscaling`.
    autoscaling: bool,
    /// `autoscalerOptions.version`.
    version: Option<AutoscalerVersion>,
    /// The head's `RAY_enable_autoscaler_v2` env value.
    env_v2: Option<&'a str>,
    /// Autoscaler v2 is enabled, by the version or by the env variable.
    v2: bool,
    /// The head's Ray container.
    head_ray: Option<&'a Container>,
}

impl<'a> Context<'a> {
    fn new(c: &'a RayCluster) -> Self {
        let spec = &c.spec;
        let head_tpl = spec
            .head_group_spec
            .as_ref()
            .and_then(|h| h.template.as_ref());
        let head_ray = containers(head_tpl).and_then(|cs| cs.first());
        let version = spec.autoscaler_options.as_ref().and_then(|o| o.version);
        let env_v2 = env_value(head_ray, "RAY_enable_autoscaler_v2");
        Self {
            autoscaling: spec.enable_in_tree_autoscaling.unwrap_or(false),
            version,
            env_v2,
            v2: version == Some(AutoscalerVersion::V2)
                || env_v2.is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
            head_ray,
        }
    }
}

/// KubeRay's offline rules and raycc's own, on a schema-valid cluster.
#[must_use]
pub fn rules(c: &RayCluster) -> Vec<Finding> {
    let mut f = Vec::new();
    let ctx = Context::new(c);
    kuberay::metadata(c, &mut f);
    kuberay::head_group(c, &mut f);
    raycc::head_group(c, &mut f);
    let groups = c.spec.worker_group_specs.as_deref().unwrap_or_default();
    kuberay::unique_group_names(groups, &mut f);
    for (i, g) in groups.iter().enumerate() {
        kuberay::worker_group(c, &ctx, i, g, &mut f);
        raycc::worker_group(c, i, g, &mut f);
    }
    kuberay::autoscaler(c, &ctx, &mut f);
    raycc::autoscaler(c, &mut f);
    kuberay::auth(c, &mut f);
    kuberay::gcs_fault_tolerance(c, &ctx, &mut f);
    features::check(c, &mut f);
    raycc::operator_features(c, &mut f);
    references::names(c, &mut f);
    f
}

/// Pointers of the findings' codes, for tests.
#[cfg(test)]
fn codes(f: &[Finding]) -> std::collections::BTreeSet<(Code, String)> {
    f.iter().map(|x| (x.code, x.pointer.clone())).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn cluster(yaml_json: serde_json::Value) -> RayCluster {
        serde_json::from_value(yaml_json).unwrap()
    }

    fn base() -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": "demo"},
            "spec": {"rayVersion": "2.52.0", "workerGroupSpecs": [
                {"groupName": "cpu", "minReplicas": 1, "maxReplicas": 3}
            ]}
        })
    }

    #[test]
    fn accepts_the_short_form() {
        assert!(rules(&cluster(base())).is_empty());
    }

    #[test]
    fn rejects_worker_min_above_max() {
        let mut v = base();
        v["spec"]["workerGroupSpecs"][0]["minReplicas"] = 5.into();
        v["spec"]["workerGroupSpecs"][0]["maxReplicas"] = 2.into();
        let f = rules(&cluster(v));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, Code::MinAboveMax);
        assert_eq!(
            f[0].message,
            "worker group cpu has minReplicas 5 greater than maxReplicas 2"
        );
        assert_eq!(f[0].pointer, "/spec/workerGroupSpecs/0/minReplicas");
        assert_eq!(
            f[0].related.as_ref().unwrap().0,
            "/spec/workerGroupSpecs/0/maxReplicas"
        );
    }

    #[test]
    fn rejects_duplicate_and_unusable_group_names() {
        let mut v = base();
        v["spec"]["workerGroupSpecs"] = serde_json::json!([
            {"groupName": "cpu"}, {"groupName": "cpu"}, {"groupName": "gpu_workers"}
        ]);
        let got = codes(&rules(&cluster(v)));
        assert!(got.contains(&(
            Code::DuplicateGroupName,
            "/spec/workerGroupSpecs/1/groupName".into()
        )));
        assert!(got.contains(&(
            Code::InvalidGroupName,
            "/spec/workerGroupSpecs/2/groupName".into()
        )));
    }

    #[test]
    fn rejects_long_and_invalid_cluster_names() {
        let mut v = base();
        v["metadata"]["name"] = "a".repeat(54).into();
        assert_eq!(
            codes(&rules(&cluster(v.clone()))),
            BTreeSet::from([(Code::ClusterNameTooLong, "/metadata/name".into())])
        );
        v["metadata"]["name"] = "Ray_Cluster".into();
        let f = rules(&cluster(v));
        assert_eq!(f[0].code, Code::InvalidClusterName);
        assert!(f[0].message.starts_with(
            "RayCluster name should be a valid DNS1035 label: [a DNS-1035 label must consist"
        ));
    }

    #[test]
    fn requires_an_image_or_a_ray_version() {
        let mut v = base();
        v["spec"].as_object_mut().unwrap().remove("rayVersion");
        let got = codes(&rules(&cluster(v)));
        assert!(got.contains(&(Code::MissingImage, "/spec/headGroupSpec".into())));
        assert!(got.contains(&(Code::MissingImage, "/spec/workerGroupSpecs/0".into())));
    }

    #[test]
    fn flags_bad_and_unknown_ray_start_params() {
        let mut v = base();
        v["spec"]["workerGroupSpecs"][0]["rayStartParams"] =
            serde_json::json!({"num-cpus": "two", "num-cpu": "2"});
        let f = rules(&cluster(v));
        let got = codes(&f);
        assert!(got.contains(&(
            Code::InvalidRayStartParam,
            "/spec/workerGroupSpecs/0/rayStartParams/num-cpus".into()
        )));
        assert!(got.contains(&(
            Code::UnknownRayStartParam,
            "/spec/workerGroupSpecs/0/rayStartParams/num-cpu".into()
        )));
        let unknown = f
            .iter()
            .find(|x| x.code == Code::UnknownRayStartParam)
            .unwrap();
        assert!(unknown.help.as_deref().unwrap().contains("`num-cpus`"));
    }

    #[test]
    fn refuses_operator_only_features() {
        let mut v = base();
        v["spec"]["managedBy"] = "kueue.x-k8s.io/multikueue".into();
        let f = rules(&cluster(v));
        assert_eq!(f[0].code, Code::UnsupportedFeature);
        assert!(f[0].is_error());
    }

    #[test]
    fn accepts_the_embedded_gcs_backend_with_kuberay_s_rules() {
        let mut v = base();
        v["spec"]["gcsFaultToleranceOptions"] =
            serde_json::json!({"backend": "rocksdb", "storage": {"size": "2Gi"}});
        assert!(rules(&cluster(v.clone())).is_empty());
        v["spec"]["gcsFaultToleranceOptions"]["externalStorageNamespace"] = "ns".into();
        v["spec"]["gcsFaultToleranceOptions"]["storage"]["claimName"] = "mine".into();
        let f = rules(&cluster(v));
        assert_eq!(
            codes(&f),
            BTreeSet::from([
                (
                    Code::GcsFtConflict,
                    "/spec/gcsFaultToleranceOptions/externalStorageNamespace".into()
                ),
                (
                    Code::GcsFtConflict,
                    "/spec/gcsFaultToleranceOptions/storage/claimName".into()
                ),
            ])
        );
        assert_eq!(
            f[0].message,
            "cannot set GcsFaultToleranceOptions.ExternalStorageNamespace when backend is 'rocksdb'"
        );
    }

    #[test]
    fn requires_ray_252_for_token_auth() {
        let mut v = base();
        v["spec"]["rayVersion"] = "2.9.0".into();
        v["spec"]["authOptions"] = serde_json::json!({"mode": "token"});
        let f = rules(&cluster(v));
        assert!(f.iter().any(|x| {
            x.code == Code::InvalidAuth
                && x.message
                    .contains("minimum Ray version is 2.52.0, got 2.9.0")
        }));
    }

    #[test]
    fn classifies_documents() {
        let (v, f) = validate(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap"}));
        assert!(matches!(v, Validated::Passthrough(_)) && f.is_empty());
        let (v, f) = validate(serde_json::json!({"apiVersion": "ray.io/v1", "kind": "RayClustr"}));
        assert!(matches!(v, Validated::Invalid));
        assert_eq!(f[0].code, Code::KindTypo);
        let (v, f) = validate(serde_json::json!({"apiVersion": "ray.io/v2", "kind": "RayCluster"}));
        assert!(matches!(v, Validated::Invalid));
        assert_eq!(f[0].code, Code::UnknownApiVersion);
        let (v, f) = validate(serde_json::json!([1, 2]));
        assert!(matches!(v, Validated::Invalid));
        assert_eq!(f[0].code, Code::NotAnObject);
    }

    #[test]
    fn parses_ray_versions() {
        assert_eq!(parse_version("2.53.0"), Some((2, 53, 0)));
        assert_eq!(parse_version("2.9"), Some((2, 9, 0)));
        assert_eq!(parse_version("nightly"), None);
        assert_eq!(parse_version("2.10.0rc1"), Some((2, 10, 0)));
    }
}
