//! Stage 2: a parsed document → a typed, valid [`RayCluster`], or findings that say why not.
//!
//! Takes one [`serde_json::Value`] (a document from [`crate::parse`]). First it decides what the
//! document is: a RayCluster, a misspelled one, or another object that passes through. For a
//! RayCluster it runs the JSON Schema on the untyped tree (typed deserialization would silently
//! drop unknown fields), then, only if the schema passed, reads the typed cluster and runs
//! KubeRay's offline validation rules and raycc's own. Every problem is collected; nothing
//! stops at the first. This stage never touches files and never panics.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use serde::Deserialize;
use serde_json::Value;

use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{AuthMode, AutoscalerVersion, GcsBackend, ManagedBy, RayCluster};
use crate::names;
use crate::raystart;
use crate::suggest::suggest;

/// What a document turned out to be.
#[derive(Debug)]
pub enum Validated {
    /// A RayCluster that passed every error-level check.
    Cluster(Box<RayCluster>),
    /// Another Kubernetes object (or anything raycc does not compile): passed through.
    Passthrough,
    /// A document with errors; nothing is emitted for it.
    Invalid,
}

/// The kinds KubeRay serves under `ray.io`.
const RAY_KINDS: [&str; 4] = ["RayCluster", "RayJob", "RayService", "RayCronJob"];

/// Validates one document.
#[must_use]
pub fn validate(doc: &Value) -> (Validated, Vec<Finding>) {
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
        return (Validated::Passthrough, findings);
    }
    match api_version {
        "ray.io/v1" => {}
        "ray.io/v1alpha1" => findings.push(
            Finding::new(
                Code::DeprecatedApiVersion,
                "/apiVersion",
                "ray.io/v1alpha1 is deprecated; raycc compiles it as ray.io/v1",
            )
            .help("change the apiVersion to `ray.io/v1`"),
        ),
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

    findings.extend(crate::schema::check(doc));
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

/// KubeRay's offline rules and raycc's own, on a schema-valid cluster.
#[must_use]
pub fn rules(c: &RayCluster) -> Vec<Finding> {
    let mut f = Vec::new();
    metadata_rules(c, &mut f);
    let spec = &c.spec;
    let autoscaling = spec.enable_in_tree_autoscaling.unwrap_or(false);
    let head = spec.head_group_spec.as_ref();
    let head_tpl = head.and_then(|h| h.template.as_ref());
    let head_ray = containers(head_tpl).and_then(|cs| cs.first());
    let version = spec.autoscaler_options.as_ref().and_then(|o| o.version);
    let env_v2 = env_value(head_ray, "RAY_enable_autoscaler_v2");
    let v2 = version == Some(AutoscalerVersion::V2)
        || env_v2.is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));

    // Head group.
    if containers(head_tpl).is_some_and(<[Container]>::is_empty) {
        f.push(
            Finding::new(
                Code::NoContainer,
                "/spec/headGroupSpec/template",
                "headGroupSpec should have at least one container",
            )
            .at_key()
            .help("add the Ray head container, or drop `template` to use the default one"),
        );
    }
    if let Some(h) = head {
        group_resource_rules(
            "/spec/headGroupSpec",
            "Head group",
            h.ray_start_params.as_ref(),
            h.resources.as_ref(),
            h.labels.as_ref(),
            &mut f,
        );
        ray_start_param_rules("/spec/headGroupSpec", h.ray_start_params.as_ref(), &mut f);
    }
    image_rule(c, "/spec/headGroupSpec", head_tpl, &mut f);

    // Worker groups.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, g) in spec.worker_group_specs.iter().flatten().enumerate() {
        let p = group_ptr(i);
        let name = g.group_name.as_str();
        if let Some(first) = seen.get(name) {
            f.push(
                Finding::new(
                    Code::DuplicateGroupName,
                    child(&p, "groupName"),
                    format!("worker group names must be unique: `{name}` is used twice"),
                )
                .related(child(&group_ptr(*first), "groupName"), "first used here")
                .help("give each worker group its own groupName"),
            );
        } else {
            seen.insert(name, i);
        }
        let lower = name.to_ascii_lowercase();
        if names::label_value_error(name).is_some()
            || name.is_empty()
            || !names::is_dns1123_label(&lower)
        {
            f.push(
                Finding::new(
                    Code::InvalidGroupName,
                    child(&p, "groupName"),
                    format!("worker group name `{name}` cannot be used in Kubernetes object names"),
                )
                .help("use lower case letters, digits and '-', starting and ending with a letter or digit"),
            );
        }
        if containers(g.template.as_ref()).is_some_and(<[Container]>::is_empty) {
            f.push(
                Finding::new(
                    Code::NoContainer,
                    child(&p, "template"),
                    "workerGroupSpec should have at least one container",
                )
                .at_key()
                .help("add the Ray worker container, or drop `template` to use the default one"),
            );
        }
        for (field, value) in [
            ("minReplicas", g.min_replicas),
            ("maxReplicas", g.max_replicas),
            ("replicas", g.replicas),
        ] {
            if let Some(n) = value.filter(|n| *n < 0) {
                f.push(
                    Finding::new(
                        Code::NegativeCount,
                        child(&p, field),
                        format!("worker group {name} has negative {field} {n}"),
                    )
                    .help(format!("set {field} to 0 or more")),
                );
            }
        }
        if let Some(n) = g.num_of_hosts.filter(|n| *n < 1) {
            f.push(
                Finding::new(
                    Code::NegativeCount,
                    child(&p, "numOfHosts"),
                    format!("worker group {name} has numOfHosts {n}; it must be at least 1"),
                )
                .help(
                    "set numOfHosts to the number of Pods per replica (1 for single-host groups)",
                ),
            );
        }
        let min = g.min_replicas.unwrap_or(0);
        let max = g.max_replicas.unwrap_or(i32::MAX);
        if min >= 0 && max >= 0 && min > max {
            f.push(
                Finding::new(
                    Code::MinAboveMax,
                    child(&p, "minReplicas"),
                    format!(
                        "worker group {name} has minReplicas {min} greater than maxReplicas {max}"
                    ),
                )
                .related(child(&p, "maxReplicas"), "maxReplicas is set here")
                .help("make minReplicas less than or equal to maxReplicas"),
            );
        }
        group_resource_rules(
            &p,
            &format!("worker group {name}"),
            g.ray_start_params.as_ref(),
            g.resources.as_ref(),
            g.labels.as_ref(),
            &mut f,
        );
        ray_start_param_rules(&p, g.ray_start_params.as_ref(), &mut f);
        image_rule(c, &p, g.template.as_ref(), &mut f);
        if let Some(t) = g.idle_timeout_seconds {
            if t < 0 {
                f.push(Finding::new(
                    Code::InvalidIdleTimeout,
                    child(&p, "idleTimeoutSeconds"),
                    format!(
                        "worker group {name}: idleTimeoutSeconds must be non-negative, got {t}"
                    ),
                ));
            } else if !v2 {
                f.push(
                    Finding::new(
                        Code::InvalidIdleTimeout,
                        child(&p, "idleTimeoutSeconds"),
                        format!("worker group {name}: idleTimeoutSeconds is set, but autoscaler v2 is not enabled"),
                    )
                    .help("set .spec.autoscalerOptions.version to 'v2'"),
                );
            }
        }
        if let Some(prio) = g.priority.filter(|p| *p != 0) {
            priority_rules(c, &p, name, prio, v2, &mut f);
        }
        if g.suspend == Some(true) && autoscaling {
            f.push(Finding::new(
                Code::AutoscalerConflict,
                child(&p, "suspend"),
                format!("worker group {name} cannot be suspended with Autoscaler enabled"),
            ));
        }
        if autoscaling && version == Some(AutoscalerVersion::V2) {
            let rp = g
                .template
                .as_ref()
                .and_then(|t| t.spec.as_ref())
                .and_then(|s| s.restart_policy.as_deref());
            if rp.is_some_and(|r| r != "Never") {
                f.push(Finding::new(
                    Code::AutoscalerConflict,
                    child(&p, "template/spec/restartPolicy"),
                    format!("restartPolicy for worker group {name} should be Never or unset when using autoscaler V2"),
                ));
            }
        }
    }

    autoscaler_rules(c, autoscaling, version, env_v2, head_ray, &mut f);
    auth_rules(c, &mut f);
    gcs_rules(c, head_ray, &mut f);
    unsupported_rules(c, &mut f);
    f
}

fn metadata_rules(c: &RayCluster, f: &mut Vec<Finding>) {
    let Some(name) = c.metadata.name.as_deref() else {
        f.push(
            Finding::new(
                Code::InvalidClusterName,
                "/metadata",
                "RayCluster has no metadata.name",
            )
            .help("add `metadata.name`"),
        );
        return;
    };
    if name.len() > names::MAX_CLUSTER_NAME {
        f.push(
            Finding::new(
                Code::ClusterNameTooLong,
                "/metadata/name",
                format!(
                    "RayCluster name should be no more than 53 characters (it has {})",
                    name.len()
                ),
            )
            .help("shorten the name"),
        );
    }
    let errs = names::dns1035_label_errors(name);
    if !errs.iter().all(|e| e.starts_with("must be no more")) {
        let errs: Vec<_> = errs
            .into_iter()
            .filter(|e| !e.starts_with("must be no more"))
            .collect();
        f.push(
            Finding::new(
                Code::InvalidClusterName,
                "/metadata/name",
                format!(
                    "RayCluster name should be a valid DNS1035 label: [{}]",
                    errs.join(", ")
                ),
            )
            .help("use lower case letters, digits and '-', starting with a letter"),
        );
    }
}

fn group_resource_rules(
    p: &str,
    who: &str,
    params: Option<&BTreeMap<String, String>>,
    resources: Option<&BTreeMap<String, String>>,
    labels: Option<&BTreeMap<String, String>>,
    f: &mut Vec<Finding>,
) {
    let empty = BTreeMap::new();
    let params = params.unwrap_or(&empty);
    let resource_params = ["num-cpus", "num-gpus", "memory", "resources"];
    if resources.is_some_and(|r| !r.is_empty())
        && resource_params
            .iter()
            .any(|k| params.get(*k).is_some_and(|v| !v.is_empty()))
    {
        f.push(
            Finding::new(
                Code::ResourcesSetTwice,
                child(p, "resources"),
                format!("resource fields should not be set in both rayStartParams and Resources for {who}; please use only one"),
            )
            .at_key()
            .help("remove num-cpus, num-gpus, memory and resources from rayStartParams"),
        );
    }
    if params.contains_key("labels") {
        f.push(
            Finding::new(
                Code::InvalidRayLabels,
                child(&child(p, "rayStartParams"), "labels"),
                format!("rayStartParams['labels'] is not supported for {who}; please use the top-level Labels field instead"),
            )
            .at_key(),
        );
    }
    for (k, v) in labels.into_iter().flatten() {
        let lp = child(&child(p, "labels"), k);
        if let Some(e) = names::label_key_error(k) {
            f.push(
                Finding::new(
                    Code::InvalidRayLabels,
                    lp.clone(),
                    format!("invalid label key for {who}: '{k}', error: {e}"),
                )
                .at_key(),
            );
        }
        if let Some(e) = names::label_value_error(v) {
            f.push(Finding::new(
                Code::InvalidRayLabels,
                lp,
                format!("invalid label value for key '{k}' in {who}: '{v}', error: {e}"),
            ));
        }
    }
}

fn ray_start_param_rules(p: &str, params: Option<&BTreeMap<String, String>>, f: &mut Vec<Finding>) {
    let pp = child(p, "rayStartParams");
    for (k, v) in params.into_iter().flatten() {
        let kp = child(&pp, k);
        if raystart::flag_kind(k).is_none() {
            let flags: Vec<&str> = raystart::KNOWN_FLAGS.iter().map(|(n, _)| *n).collect();
            let near = suggest(k, &flags);
            let help = match near {
                Some(n) => format!("did you mean `{n}`? `ray start` refuses unknown options"),
                None => {
                    "check the name against `ray start --help`; `ray start` refuses unknown options"
                        .to_string()
                }
            };
            f.push(
                Finding::new(
                    Code::UnknownRayStartParam,
                    kp.clone(),
                    format!("`{k}` is not a known `ray start` flag"),
                )
                .at_key()
                .help(help),
            );
        } else if let Some(problem) = raystart::value_problem(k, v) {
            f.push(
                Finding::new(Code::InvalidRayStartParam, kp, problem)
                    .help("`ray start` would exit at once and the Pod would crash-loop"),
            );
        }
    }
}

fn image_rule(c: &RayCluster, p: &str, tpl: Option<&PodTemplateSpec>, f: &mut Vec<Finding>) {
    if c.spec.ray_version.as_deref().is_some_and(|v| !v.is_empty()) {
        return;
    }
    let ray = containers(tpl).and_then(|cs| cs.first());
    let has_image = ray.is_some_and(|r| r.image.as_deref().is_some_and(|i| !i.is_empty()));
    if (tpl.is_none() || ray.is_some()) && !has_image {
        let at = if tpl.is_some() {
            child(p, "template/spec/containers/0")
        } else {
            p.to_string()
        };
        f.push(
            Finding::new(Code::MissingImage, at, "the Ray container has no image and spec.rayVersion is not set")
                .help("set spec.rayVersion (the image becomes rayproject/ray:<rayVersion>) or set the container image"),
        );
    }
}

fn priority_rules(c: &RayCluster, p: &str, name: &str, prio: i32, v2: bool, f: &mut Vec<Finding>) {
    let at = child(p, "priority");
    match c.spec.ray_version.as_deref().filter(|v| !v.is_empty()) {
        None => f.push(Finding::new(
            Code::InvalidPriority,
            at.clone(),
            format!("worker group {name}: priority is set, but RayVersion was not specified. Ray version 2.56.0 or later is required"),
        )),
        Some(v) => match parse_version(v) {
            None => f.push(Finding::new(
                Code::InvalidPriority,
                at.clone(),
                format!("worker group {name}: priority is set, but RayVersion format is invalid: {v}"),
            )),
            Some(ver) if ver < (2, 56, 0) => f.push(Finding::new(
                Code::InvalidPriority,
                at.clone(),
                format!("worker group {name}: priority is set, but minimum Ray version is 2.56.0, got {v}"),
            )),
            Some(_) => {}
        },
    }
    if !v2 {
        f.push(Finding::new(
            Code::InvalidPriority,
            at,
            format!("worker group {name}: priority is set to {prio}, but autoscaler v2 is not enabled. Priority is only supported with autoscaler v2 enabled"),
        ));
    }
}

fn autoscaler_rules(
    c: &RayCluster,
    autoscaling: bool,
    version: Option<AutoscalerVersion>,
    env_v2: Option<&str>,
    head_ray: Option<&Container>,
    f: &mut Vec<Finding>,
) {
    let env_ptr = "/spec/headGroupSpec/template/spec/containers/0/env";
    let env_on = env_v2.is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    if !autoscaling && env_on {
        f.push(Finding::new(
            Code::AutoscalerConflict,
            env_ptr,
            format!("environment variable RAY_enable_autoscaler_v2 cannot be set to '{}' when enableInTreeAutoscaling is false. Please set enableInTreeAutoscaling: true to use autoscaler v2", env_v2.unwrap_or_default()),
        ));
    }
    if autoscaling {
        if version.is_some() && has_env(head_ray, "RAY_enable_autoscaler_v2") {
            f.push(Finding::new(
                Code::AutoscalerConflict,
                "/spec/autoscalerOptions/version",
                "both .spec.autoscalerOptions.version and head Pod env var RAY_enable_autoscaler_v2 are set, please only use the former",
            ));
        }
        if version == Some(AutoscalerVersion::V2) {
            let rp = c
                .spec
                .head_group_spec
                .as_ref()
                .and_then(|h| h.template.as_ref())
                .and_then(|t| t.spec.as_ref())
                .and_then(|s| s.restart_policy.as_deref());
            if rp.is_some_and(|r| r != "Never") {
                f.push(Finding::new(
                    Code::AutoscalerConflict,
                    "/spec/headGroupSpec/template/spec/restartPolicy",
                    "restartPolicy for head Pod should be Never or unset when using autoscaler V2",
                ));
            }
        }
    }
    if let Some(o) = &c.spec.autoscaler_options {
        if let Some(t) = o.idle_timeout_seconds.filter(|t| *t < 0) {
            f.push(Finding::new(
                Code::AutoscalerConflict,
                "/spec/autoscalerOptions/idleTimeoutSeconds",
                format!("autoscalerOptions.idleTimeoutSeconds must be non-negative, got {t}"),
            ));
        }
        if let Some(t) = o.idle_timeout_minutes.filter(|t| *t < 0) {
            f.push(Finding::new(
                Code::AutoscalerConflict,
                "/spec/autoscalerOptions/idleTimeoutMinutes",
                format!("autoscalerOptions.idleTimeoutMinutes must be non-negative, got {t}"),
            ));
        }
        if let Some(s) = o
            .upscaling_speed
            .filter(|s| !(*s > 0.0 && *s <= 1_000_000.0))
        {
            f.push(Finding::new(
                Code::AutoscalerConflict,
                "/spec/autoscalerOptions/upscalingSpeed",
                format!("autoscalerOptions.upscalingSpeed must be greater than 0 and at most 1000000, got {s}"),
            ));
        }
        if o.env
            .iter()
            .flatten()
            .any(|e| e.name == "KUBERAY_GEN_AUTOSCALER_START_CMD")
        {
            f.push(Finding::new(
                Code::AutoscalerConflict,
                "/spec/autoscalerOptions/env",
                "autoscalerOptions.env must not contain KUBERAY_GEN_AUTOSCALER_START_CMD: it is managed by KubeRay and injected automatically into the autoscaler container",
            ));
        }
    }
}

fn auth_rules(c: &RayCluster, f: &mut Vec<Finding>) {
    let Some(a) = &c.spec.auth_options else {
        return;
    };
    let token = a.mode == Some(AuthMode::Token);
    let k8s = a.enable_k8s_token_auth == Some(true);
    let version = c.spec.ray_version.as_deref().filter(|v| !v.is_empty());
    if token {
        match version {
            None => f.push(Finding::new(Code::InvalidAuth, "/spec/authOptions/mode", "authOptions.mode is 'token' but RayVersion was not specified. Ray version 2.52.0 or later is required")),
            Some(v) => match parse_version(v) {
                None => f.push(Finding::new(Code::InvalidAuth, "/spec/rayVersion", format!("authOptions.mode is 'token' but RayVersion format is invalid: {v}"))),
                Some(ver) if ver < (2, 52, 0) => f.push(Finding::new(Code::InvalidAuth, "/spec/rayVersion", format!("authOptions.mode is 'token' but minimum Ray version is 2.52.0, got {v}"))),
                Some(ver) if k8s && ver < (2, 55, 0) => f.push(Finding::new(Code::InvalidAuth, "/spec/authOptions/enableK8sTokenAuth", format!("authOptions.enableK8sTokenAuth is enabled but minimum Ray version is 2.55.0, got {v}"))),
                Some(_) => {}
            },
        }
    }
    if k8s && a.secret_name.is_some() {
        f.push(Finding::new(
            Code::InvalidAuth,
            "/spec/authOptions/secretName",
            "authOptions.enableK8sTokenAuth is enabled and authOptions.secretName is also set",
        ));
    }
    if k8s && !token {
        f.push(Finding::new(
            Code::InvalidAuth,
            "/spec/authOptions/enableK8sTokenAuth",
            "authOptions.enableK8sTokenAuth is enabled but authOptions.mode not set to 'token'",
        ));
    }
}

fn gcs_rules(c: &RayCluster, head_ray: Option<&Container>, f: &mut Vec<Finding>) {
    let annotations = c.metadata.annotations.as_ref();
    let annotation = |k: &str| annotations.and_then(|a| a.get(k));
    let head_params = c
        .spec
        .head_group_spec
        .as_ref()
        .and_then(|h| h.ray_start_params.as_ref());
    let env_ptr = "/spec/headGroupSpec/template/spec/containers/0/env";
    let opts = c.spec.gcs_fault_tolerance_options.as_ref();
    if opts.is_some() && annotation("ray.io/ft-enabled").is_some() {
        f.push(Finding::new(Code::GcsFtConflict, "/metadata/annotations/ray.io~1ft-enabled", "ray.io/ft-enabled annotation and GcsFaultToleranceOptions are both set. Please use only GcsFaultToleranceOptions to configure GCS fault tolerance").at_key());
    }
    let ft_annotation =
        annotation("ray.io/ft-enabled").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if opts.is_none() && !ft_annotation && has_env(head_ray, "RAY_REDIS_ADDRESS") {
        f.push(Finding::new(Code::GcsFtConflict, env_ptr, "RAY_REDIS_ADDRESS is set which implicitly enables GCS fault tolerance, but GcsFaultToleranceOptions is not set. Please set GcsFaultToleranceOptions to enable GCS fault tolerance"));
    }
    if let Some(o) = opts {
        if head_params.is_some_and(|p| p.contains_key("redis-password")) {
            f.push(Finding::new(Code::GcsFtConflict, "/spec/headGroupSpec/rayStartParams/redis-password", "cannot set `redis-password` in rayStartParams when GcsFaultToleranceOptions is enabled - use GcsFaultToleranceOptions.RedisPassword instead").at_key());
        }
        if has_env(head_ray, "REDIS_PASSWORD") {
            f.push(Finding::new(Code::GcsFtConflict, env_ptr, "cannot set `REDIS_PASSWORD` env var in head Pod when GcsFaultToleranceOptions is enabled - use GcsFaultToleranceOptions.RedisPassword instead"));
        }
        if has_env(head_ray, "RAY_REDIS_ADDRESS") {
            f.push(Finding::new(Code::GcsFtConflict, env_ptr, "cannot set `RAY_REDIS_ADDRESS` env var in head Pod when GcsFaultToleranceOptions is enabled - use GcsFaultToleranceOptions.RedisAddress instead"));
        }
        if annotation("ray.io/external-storage-namespace").is_some() {
            f.push(Finding::new(Code::GcsFtConflict, "/metadata/annotations/ray.io~1external-storage-namespace", "cannot set `ray.io/external-storage-namespace` annotation when GcsFaultToleranceOptions is enabled - use GcsFaultToleranceOptions.ExternalStorageNamespace instead").at_key());
        }
        if o.backend != Some(GcsBackend::Rocksdb) && o.storage.is_some() {
            f.push(Finding::new(Code::GcsFtConflict, "/spec/gcsFaultToleranceOptions/storage", "cannot set GcsFaultToleranceOptions.Storage when backend is 'redis' - it only applies to the 'rocksdb' backend"));
        }
    }
    if head_params.is_some_and(|p| p.contains_key("redis-username"))
        || has_env(head_ray, "REDIS_USERNAME")
    {
        f.push(Finding::new(Code::GcsFtConflict, "/spec/headGroupSpec", "cannot set redis username in rayStartParams or environment variables - use GcsFaultToleranceOptions.RedisUsername instead"));
    }
}

fn unsupported_rules(c: &RayCluster, f: &mut Vec<Finding>) {
    let s = &c.spec;
    let refuse = |f: &mut Vec<Finding>, ptr: &str, what: &str| {
        f.push(
            Finding::new(Code::UnsupportedFeature, ptr, format!("{what} needs the KubeRay operator; raycc cannot compile it"))
                .at_key()
                .help("remove the field and create the equivalent objects yourself, or run this cluster with the KubeRay operator"),
        );
    };
    if s.network_policy.is_some() {
        refuse(
            f,
            "/spec/networkPolicy",
            "spec.networkPolicy (operator-generated NetworkPolicies)",
        );
    }
    if s.tls_options
        .as_ref()
        .is_some_and(|t| t.enabled == Some(true))
    {
        refuse(
            f,
            "/spec/tlsOptions",
            "spec.tlsOptions (operator-managed mutual TLS with cert-manager)",
        );
    }
    if s.history_server_options.is_some() {
        refuse(
            f,
            "/spec/historyServerOptions",
            "spec.historyServerOptions (the history server collector)",
        );
    }
    if s.gcs_fault_tolerance_options
        .as_ref()
        .is_some_and(|o| o.backend == Some(GcsBackend::Rocksdb))
    {
        refuse(
            f,
            "/spec/gcsFaultToleranceOptions/backend",
            "the embedded RocksDB GCS backend (operator-managed storage)",
        );
    }
    if s.managed_by == Some(ManagedBy::MultiKueue) {
        refuse(f, "/spec/managedBy", "a cluster managed by MultiKueue");
    }
    let ignore = |f: &mut Vec<Finding>, ptr: String, what: &str| {
        f.push(
            Finding::new(
                Code::IgnoredFeature,
                ptr,
                format!("{what} is ignored: only the KubeRay operator acts on it"),
            )
            .at_key(),
        );
    };
    if s.head_group_spec
        .as_ref()
        .is_some_and(|h| h.enable_ingress == Some(true))
    {
        ignore(
            f,
            "/spec/headGroupSpec/enableIngress".into(),
            "headGroupSpec.enableIngress (create the Ingress yourself)",
        );
    }
    if s.upgrade_strategy.is_some() {
        ignore(
            f,
            "/spec/upgradeStrategy".into(),
            "spec.upgradeStrategy (StatefulSets roll out template changes themselves)",
        );
    }
    if let Some(o) = &s.autoscaler_options {
        let sidecar_only = [
            ("image", o.image.is_some()),
            ("imagePullPolicy", o.image_pull_policy.is_some()),
            ("resources", o.resources.is_some()),
            ("securityContext", o.security_context.is_some()),
            ("env", o.env.is_some()),
            ("envFrom", o.env_from.is_some()),
            ("volumeMounts", o.volume_mounts.is_some()),
            ("command", o.command.is_some()),
            ("args", o.args.is_some()),
        ];
        for (field, set) in sidecar_only {
            if set {
                ignore(
                    f,
                    child("/spec/autoscalerOptions", field),
                    &format!("autoscalerOptions.{field} (raycc runs no autoscaler sidecar)"),
                );
            }
        }
    }
    for (i, g) in s.worker_group_specs.iter().flatten().enumerate() {
        if g.scale_strategy
            .as_ref()
            .and_then(|s| s.workers_to_delete.as_ref())
            .is_some_and(|w| !w.is_empty())
        {
            ignore(
                f,
                child(&group_ptr(i), "scaleStrategy"),
                "scaleStrategy.workersToDelete",
            );
        }
    }
    if c.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("ray.io/enable-serve-service"))
        .is_some_and(|v| v == "true")
    {
        ignore(
            f,
            "/metadata/annotations/ray.io~1enable-serve-service".into(),
            "the ray.io/enable-serve-service annotation (create the serve Service yourself)",
        );
    }
    if s.auth_options
        .as_ref()
        .is_some_and(|a| a.mode == Some(AuthMode::Token) && a.enable_k8s_token_auth != Some(true))
    {
        let secret = s
            .auth_options
            .as_ref()
            .and_then(|a| a.secret_name.clone())
            .unwrap_or_else(|| names::check_name(c.metadata.name.as_deref().unwrap_or_default()));
        f.push(
            Finding::new(
                Code::ExternalPrerequisite,
                "/spec/authOptions",
                format!("token authentication reads Secret `{secret}` (key `auth_token`), which raycc does not create"),
            )
            .at_key()
            .help("create the Secret, for example with `kubectl create secret generic NAME --from-literal=auth_token=...`"),
        );
    }
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
        v["spec"]["networkPolicy"] = serde_json::json!({"mode": "DenyAll"});
        let f = rules(&cluster(v));
        assert_eq!(f[0].code, Code::UnsupportedFeature);
        assert!(f[0].is_error());
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
        let (v, f) = validate(&serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap"}));
        assert!(matches!(v, Validated::Passthrough) && f.is_empty());
        let (v, f) = validate(&serde_json::json!({"apiVersion": "ray.io/v1", "kind": "RayClustr"}));
        assert!(matches!(v, Validated::Invalid));
        assert_eq!(f[0].code, Code::KindTypo);
        let (v, f) =
            validate(&serde_json::json!({"apiVersion": "ray.io/v2", "kind": "RayCluster"}));
        assert!(matches!(v, Validated::Invalid));
        assert_eq!(f[0].code, Code::UnknownApiVersion);
        let (v, f) = validate(&serde_json::json!([1, 2]));
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
