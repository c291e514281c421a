//! KubeRay's own validation rules, with its messages: `ValidateRayClusterMetadata` and
//! `ValidateRayClusterSpec` (ray-operator/controllers/ray/utils/validation.go) and the webhook's
//! unique group names (ray-operator/pkg/webhooks/v1/raycluster_webhook.go), KubeRay v1.7.0.
//! Each function is one family of rules and names the part of the operator it mirrors.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Container;

use super::{Context, containers, group_ptr, has_env, parse_version};
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{
    AuthMode, AutoscalerVersion, GcsBackend, GcsFaultToleranceOptions, RayCluster, WorkerGroupSpec,
};
use crate::names;

/// Mirrors `ValidateRayClusterMetadata`: the name fits the Services derived from it.
pub(super) fn metadata(c: &RayCluster, f: &mut Vec<Finding>) {
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

/// Mirrors the head part of `ValidateRayClusterSpec`: a container, and resources and labels
/// set once.
pub(super) fn head_group(c: &RayCluster, f: &mut Vec<Finding>) {
    let head = c.spec.head_group_spec.as_ref();
    if containers(head.and_then(|h| h.template.as_ref())).is_some_and(<[Container]>::is_empty) {
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
        resources_and_labels(
            "/spec/headGroupSpec",
            "Head group",
            h.ray_start_params.as_ref(),
            h.resources.as_ref(),
            h.labels.as_ref(),
            f,
        );
    }
}

/// Mirrors the webhook's `worker group names must be unique`.
pub(super) fn unique_group_names(groups: &[WorkerGroupSpec], f: &mut Vec<Finding>) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        let name = g.group_name.as_str();
        if let Some(first) = seen.get(name) {
            f.push(
                Finding::new(
                    Code::DuplicateGroupName,
                    child(&group_ptr(i), "groupName"),
                    format!("worker group names must be unique: `{name}` is used twice"),
                )
                .related(child(&group_ptr(*first), "groupName"), "first used here")
                .help("give each worker group its own groupName"),
            );
        } else {
            seen.insert(name, i);
        }
    }
}

/// Mirrors the worker-group loop of `ValidateRayClusterSpec`: a container, replica bounds,
/// resources and labels, the autoscaler v2 fields, suspension.
pub(super) fn worker_group(
    c: &RayCluster,
    ctx: &Context<'_>,
    i: usize,
    g: &WorkerGroupSpec,
    f: &mut Vec<Finding>,
) {
    let at = group_ptr(i);
    let name = g.group_name.as_str();
    if containers(g.template.as_ref()).is_some_and(<[Container]>::is_empty) {
        f.push(
            Finding::new(
                Code::NoContainer,
                child(&at, "template"),
                "workerGroupSpec should have at least one container",
            )
            .at_key()
            .help("add the Ray worker container, or drop `template` to use the default one"),
        );
    }
    replica_bounds(&at, g, f);
    resources_and_labels(
        &at,
        &format!("worker group {name}"),
        g.ray_start_params.as_ref(),
        g.resources.as_ref(),
        g.labels.as_ref(),
        f,
    );
    if let Some(t) = g.idle_timeout_seconds {
        if t < 0 {
            f.push(Finding::new(
                Code::InvalidIdleTimeout,
                child(&at, "idleTimeoutSeconds"),
                format!("worker group {name}: idleTimeoutSeconds must be non-negative, got {t}"),
            ));
        } else if !ctx.v2 {
            f.push(
                Finding::new(
                    Code::InvalidIdleTimeout,
                    child(&at, "idleTimeoutSeconds"),
                    format!("worker group {name}: idleTimeoutSeconds is set, but autoscaler v2 is not enabled"),
                )
                .help("set .spec.autoscalerOptions.version to 'v2'"),
            );
        }
    }
    if let Some(prio) = g.priority.filter(|p| *p != 0) {
        priority(c, &at, name, prio, ctx.v2, f);
    }
    if g.suspend == Some(true) && ctx.autoscaling {
        f.push(Finding::new(
            Code::AutoscalerConflict,
            child(&at, "suspend"),
            format!("worker group {name} cannot be suspended with Autoscaler enabled"),
        ));
    }
    if ctx.autoscaling && ctx.version == Some(AutoscalerVersion::V2) {
        let rp = g
            .template
            .as_ref()
            .and_then(|t| t.spec.as_ref())
            .and_then(|s| s.restart_policy.as_deref());
        if rp.is_some_and(|r| r != "Never") {
            f.push(Finding::new(
                Code::AutoscalerConflict,
                child(&at, "template/spec/restartPolicy"),
                format!("restartPolicy for worker group {name} should be Never or unset when using autoscaler V2"),
            ));
        }
    }
}

/// Negative replica numbers, and minReplicas above maxReplicas. `numOfHosts` below 1 and a
/// negative `replicas`, which the operator would treat as 1 and as minReplicas, are refused
/// too: the file would not say what runs.
fn replica_bounds(p: &str, g: &WorkerGroupSpec, f: &mut Vec<Finding>) {
    let name = g.group_name.as_str();
    for (field, value) in [
        ("minReplicas", g.min_replicas),
        ("maxReplicas", g.max_replicas),
        ("replicas", g.replicas),
    ] {
        if let Some(n) = value.filter(|n| *n < 0) {
            f.push(
                Finding::new(
                    Code::NegativeCount,
                    child(p, field),
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
                child(p, "numOfHosts"),
                format!("worker group {name} has numOfHosts {n}; it must be at least 1"),
            )
            .help("set numOfHosts to the number of Pods per replica (1 for single-host groups)"),
        );
    }
    let min = g.min_replicas.unwrap_or(0);
    let max = g.max_replicas.unwrap_or(i32::MAX);
    if min >= 0 && max >= 0 && min > max {
        f.push(
            Finding::new(
                Code::MinAboveMax,
                child(p, "minReplicas"),
                format!("worker group {name} has minReplicas {min} greater than maxReplicas {max}"),
            )
            .related(child(p, "maxReplicas"), "maxReplicas is set here")
            .help("make minReplicas less than or equal to maxReplicas"),
        );
    }
}

/// Mirrors the resource and label checks of `ValidateRayClusterSpec` for one group.
fn resources_and_labels(
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

/// Mirrors the `priority` checks of `ValidateRayClusterSpec`.
fn priority(c: &RayCluster, p: &str, name: &str, prio: i32, v2: bool, f: &mut Vec<Finding>) {
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

/// Mirrors the autoscaler checks of `ValidateRayClusterSpec`.
pub(super) fn autoscaler(c: &RayCluster, ctx: &Context<'_>, f: &mut Vec<Finding>) {
    let (autoscaling, version, env_v2) = (ctx.autoscaling, ctx.version, ctx.env_v2);
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
        if version.is_some() && has_env(ctx.head_ray, "RAY_enable_autoscaler_v2") {
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

/// Mirrors the `authOptions` checks of `ValidateRayClusterSpec`.
pub(super) fn auth(c: &RayCluster, f: &mut Vec<Finding>) {
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

/// Mirrors the GCS fault tolerance checks of `ValidateRayClusterSpec`.
pub(super) fn gcs_fault_tolerance(c: &RayCluster, ctx: &Context<'_>, f: &mut Vec<Finding>) {
    let head_ray = ctx.head_ray;
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
        if o.backend == Some(GcsBackend::Rocksdb) {
            rocksdb_backend(c, o, head_ray, f);
        } else if o.storage.is_some() {
            f.push(Finding::new(Code::GcsFtConflict, "/spec/gcsFaultToleranceOptions/storage", "cannot set GcsFaultToleranceOptions.Storage when backend is 'redis' - it only applies to the 'rocksdb' backend"));
        }
    }
    if head_params.is_some_and(|p| p.contains_key("redis-username"))
        || has_env(head_ray, "REDIS_USERNAME")
    {
        f.push(Finding::new(Code::GcsFtConflict, "/spec/headGroupSpec", "cannot set redis username in rayStartParams or environment variables - use GcsFaultToleranceOptions.RedisUsername instead"));
    }
}

/// Mirrors the `rocksdb` case of `validateGcsFaultToleranceBackend` (validation.go, KubeRay
/// v1.7.0), without its feature gate: no Redis fields, `claimName` alone, and the head leaves
/// the store's variables, mount and volume to raycc. Each problem is its own finding.
fn rocksdb_backend(
    c: &RayCluster,
    o: &GcsFaultToleranceOptions,
    head_ray: Option<&Container>,
    f: &mut Vec<Finding>,
) {
    let at = "/spec/gcsFaultToleranceOptions";
    for (field, set) in [
        (
            "redisAddress",
            o.redis_address.as_deref().is_some_and(|a| !a.is_empty()),
        ),
        ("redisUsername", o.redis_username.is_some()),
        ("redisPassword", o.redis_password.is_some()),
        (
            "externalStorageNamespace",
            o.external_storage_namespace
                .as_deref()
                .is_some_and(|n| !n.is_empty()),
        ),
    ] {
        if set {
            let name = format!("{}{}", field[..1].to_ascii_uppercase(), &field[1..]);
            f.push(
                Finding::new(
                    Code::GcsFtConflict,
                    child(at, field),
                    format!("cannot set GcsFaultToleranceOptions.{name} when backend is 'rocksdb'"),
                )
                .at_key(),
            );
        }
    }
    if let Some(s) = o
        .storage
        .as_ref()
        .filter(|s| s.claim_name.as_deref().is_some_and(|n| !n.is_empty()))
        && (s.size.is_some()
            || s.storage_class_name.is_some()
            || s.access_modes.as_ref().is_some_and(|m| !m.is_empty()))
    {
        f.push(Finding::new(
            Code::GcsFtConflict,
            "/spec/gcsFaultToleranceOptions/storage/claimName",
            "GcsFaultToleranceOptions.Storage.ClaimName is mutually exclusive with size, storageClassName, and accessModes",
        ));
    }
    let head = "/spec/headGroupSpec/template/spec";
    if let Some(ray) = head_ray {
        for (i, e) in ray.env.iter().flatten().enumerate() {
            if e.name == "RAY_gcs_storage" || e.name == "RAY_gcs_storage_path" {
                f.push(Finding::new(
                    Code::GcsFtConflict,
                    format!("{head}/containers/0/env/{i}"),
                    "cannot set `RAY_gcs_storage` or `RAY_gcs_storage_path` env var in head Pod when the embedded GCS FT backend is used - these are managed by KubeRay",
                ));
            }
        }
        for (i, m) in ray.volume_mounts.iter().flatten().enumerate() {
            if m.mount_path == "/data/gcs" || m.name == "gcs-storage" {
                f.push(Finding::new(
                    Code::GcsFtConflict,
                    format!("{head}/containers/0/volumeMounts/{i}"),
                    "cannot set a volume mount named \"gcs-storage\" or mounted at /data/gcs in the head container when the embedded GCS FT backend is used - it is managed by KubeRay",
                ));
            }
        }
    }
    let volumes = c
        .spec
        .head_group_spec
        .as_ref()
        .and_then(|h| h.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.volumes.as_ref());
    for (i, v) in volumes.into_iter().flatten().enumerate() {
        if v.name == "gcs-storage" {
            f.push(Finding::new(
                Code::GcsFtConflict,
                format!("{head}/volumes/{i}"),
                "cannot set a volume named \"gcs-storage\" in the head Pod when the embedded GCS FT backend is used - it is managed by KubeRay",
            ));
        }
    }
}
