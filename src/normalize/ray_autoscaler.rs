//! Ray's own autoscaler without the operator: the plan for the head's `autoscaler` sidecar,
//! which runs Ray's v1 autoscaler (`Monitor`) with the node provider raycc ships
//! (`autoscaler/raycc_autoscaler.py`), and for everything it needs: its ServiceAccount, Role and
//! RoleBinding, and the ConfigMap holding the provider and the autoscaling config.
//!
//! The autoscaling config is Ray's cluster config as KubeRay's `autoscaling_config.py`
//! (`python/ray/autoscaler/_private/kuberay/` in the `ray` package) derives it from a RayCluster,
//! written here once instead of read from the API server every round: the worker groups as node
//! types with their replica bounds (× `numOfHosts`), Ray resources and labels, the idle timeout
//! and the upscaling speed. The resources come from each group's final `ray start` parameters,
//! which are exactly what its nodes advertise.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EnvFromSource, EnvVar, PodTemplateSpec, ResourceRequirements, SecurityContext, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use serde_json::{Map, Value, json};

use super::{ResolvedGroup, ray_resources};
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{AutoscalerVersion, RayClusterSpec, UpscalingMode};
use crate::names;
use crate::quantity::Quantity;
use crate::raystart::Params;

/// Where the sidecar mounts the ConfigMap.
pub const MOUNT_PATH: &str = "/etc/raycc/autoscaler";
/// The ConfigMap key of the provider module.
pub const PROVIDER_FILE: &str = "raycc_autoscaler.py";
/// The ConfigMap key of the autoscaling config.
pub const CONFIG_FILE: &str = "autoscaling-config.yaml";
/// The node provider, as Ray's `external` provider type loads it.
pub const PROVIDER_MODULE: &str = "raycc_autoscaler.RayccNodeProvider";
/// The oldest Ray whose autoscaler interfaces the provider uses.
pub const MIN_RAY_VERSION: (u64, u64, u64) = (2, 6, 0);
/// Where the head's Ray container and the sidecar share Ray's logs and session files.
pub const RAY_LOGS_PATH: &str = "/tmp/ray";

/// Everything the head's autoscaler sidecar needs.
#[derive(Clone, Debug, PartialEq)]
pub struct RayAutoscalerPlan {
    /// The ServiceAccount the head Pod runs as.
    pub service_account: String,
    /// raycc creates the ServiceAccount (the head template names none); the head Pod then
    /// mounts its token into the sidecar only.
    pub create_service_account: bool,
    /// The Role and RoleBinding.
    pub rbac_name: String,
    /// The ConfigMap with the provider and the autoscaling config.
    pub config_map: String,
    /// The autoscaling config (Ray's cluster config).
    pub config: Value,
    /// The worker groups' PodTemplates, which the provider reads.
    pub pod_templates: Vec<String>,
    /// The sidecar container.
    pub sidecar: Sidecar,
}

/// The `autoscaler` sidecar: KubeRay's `BuildAutoscalerContainer` and `autoscalerOptions`
/// overrides (common/pod.go, KubeRay v1.7.0), running raycc's provider.
#[derive(Clone, Debug, PartialEq)]
pub struct Sidecar {
    /// The image; the head's Ray image unless `autoscalerOptions.image`.
    pub image: Option<String>,
    /// `autoscalerOptions.imagePullPolicy`, else `IfNotPresent`.
    pub image_pull_policy: String,
    /// `/bin/bash -c --`, or `autoscalerOptions.command`.
    pub command: Vec<String>,
    /// The start command, or `autoscalerOptions.args`.
    pub args: Vec<String>,
    /// The generated start command, also given as `KUBERAY_GEN_AUTOSCALER_START_CMD`.
    pub start_command: String,
    /// 500m CPU and 512Mi, or `autoscalerOptions.resources`.
    pub resources: ResourceRequirements,
    /// `autoscalerOptions.securityContext`.
    pub security_context: Option<SecurityContext>,
    /// `autoscalerOptions.env`, appended to raycc's.
    pub env: Vec<EnvVar>,
    /// `autoscalerOptions.envFrom`.
    pub env_from: Option<Vec<EnvFromSource>>,
    /// `autoscalerOptions.volumeMounts`, before raycc's.
    pub volume_mounts: Vec<VolumeMount>,
}

/// What the plan reads besides the resolved groups.
pub(super) struct Input<'a> {
    pub(super) cluster: &'a str,
    pub(super) namespace: Option<&'a str>,
    pub(super) spec: &'a RayClusterSpec,
    pub(super) head_port: &'a str,
}

/// Plans the autoscaler of a cluster whose groups are resolved.
pub(super) fn plan(
    input: &Input<'_>,
    head: &ResolvedGroup,
    workers: &[ResolvedGroup],
    warnings: &mut Vec<Finding>,
) -> RayAutoscalerPlan {
    let user_sa = head
        .template
        .spec
        .as_ref()
        .and_then(|s| s.service_account_name.clone())
        .filter(|s| !s.is_empty());
    RayAutoscalerPlan {
        service_account: names::check_name(user_sa.as_deref().unwrap_or(input.cluster)),
        create_service_account: user_sa.is_none(),
        rbac_name: names::check_name(input.cluster),
        config_map: names::fit(&format!("{}-autoscaler", input.cluster), names::MAX_LABEL).0,
        config: config(input, head, workers, warnings),
        pod_templates: workers.iter().map(|g| g.object_name.clone()).collect(),
        sidecar: sidecar(input, head),
    }
}

/// What the input asks of Ray's autoscaler that it cannot give: a Ray too old for the provider
/// (an error), and autoscaler v2 settings (warnings). Reads the cluster as written.
pub(super) fn check(spec: &RayClusterSpec, warnings: &mut Vec<Finding>) {
    check_version(spec, warnings);
    v1_only(spec, warnings);
}

/// Refuses a Ray older than the provider supports.
fn check_version(spec: &RayClusterSpec, warnings: &mut Vec<Finding>) {
    let Some(v) = spec.ray_version.as_deref() else {
        return;
    };
    if let Some(parsed) = crate::validate::parse_version(v)
        && parsed < MIN_RAY_VERSION
    {
        warnings.push(
            Finding::new(
                Code::AutoscalerRayVersion,
                "/spec/rayVersion",
                format!("Ray {v} is older than 2.6.0, the oldest Ray whose autoscaler raycc can run"),
            )
            .help("use Ray 2.6.0 or newer, or scale with HorizontalPodAutoscalers (annotation `raycc.io/autoscaler: hpa`)"),
        );
    }
}

/// Ray's autoscaler v2 cannot load an external node provider, so raycc runs v1: what asks for
/// v2 is said once each.
fn v1_only(spec: &RayClusterSpec, warnings: &mut Vec<Finding>) {
    let mut v1 = |ptr: String, what: &str, help: &str| {
        warnings.push(
            Finding::new(
                Code::AutoscalerV1Only,
                ptr,
                format!("{what}, but Ray's autoscaler v2 cannot run without the operator; raycc runs the v1 autoscaler"),
            )
            .help(help),
        );
    };
    if spec.autoscaler_options.as_ref().and_then(|o| o.version) == Some(AutoscalerVersion::V2) {
        v1(
            "/spec/autoscalerOptions/version".into(),
            "autoscalerOptions.version is v2",
            "remove `version: v2`",
        );
    }
    let head_env = spec
        .head_group_spec
        .as_ref()
        .and_then(|h| h.template.as_ref())
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.containers.first())
        .and_then(|c| c.env.as_ref());
    if let Some(i) = head_env
        .into_iter()
        .flatten()
        .position(|e| e.name == "RAY_enable_autoscaler_v2")
    {
        v1(
            format!("/spec/headGroupSpec/template/spec/containers/0/env/{i}"),
            "the head sets RAY_enable_autoscaler_v2 (raycc sets it to false)",
            "remove the variable",
        );
    }
    for (i, g) in spec.worker_group_specs.iter().flatten().enumerate() {
        let p = format!("/spec/workerGroupSpecs/{i}");
        if g.idle_timeout_seconds.is_some() {
            v1(
                child(&p, "idleTimeoutSeconds"),
                &format!("worker group {} sets its own idle timeout", g.group_name),
                "set autoscalerOptions.idleTimeoutSeconds, which the v1 autoscaler applies to every group",
            );
        }
        if g.priority.is_some_and(|p| p != 0) {
            v1(
                child(&p, "priority"),
                &format!("worker group {} sets a priority", g.group_name),
                "remove it: the v1 autoscaler has no group priorities",
            );
        }
    }
}

/// Ray's cluster config. Mirrors `_derive_autoscaling_config_from_ray_cr`
/// (`python/ray/autoscaler/_private/kuberay/autoscaling_config.py`, Ray 2.60).
fn config(
    input: &Input<'_>,
    head: &ResolvedGroup,
    workers: &[ResolvedGroup],
    warnings: &mut Vec<Finding>,
) -> Value {
    let options = input.spec.autoscaler_options.as_ref();
    let idle_minutes = options
        .and_then(|o| o.idle_timeout_seconds)
        .map(|s| f64::from(s) / 60.0)
        .or_else(|| options.and_then(|o| o.idle_timeout_minutes).map(f64::from))
        .unwrap_or(1.0);
    let speed = options.and_then(|o| o.upscaling_speed).unwrap_or_else(|| {
        match options.and_then(|o| o.upscaling_mode) {
            Some(UpscalingMode::Conservative) => 1.0,
            _ => 1000.0,
        }
    });
    let mut node_types = Map::new();
    node_types.insert(
        "headgroup".into(),
        json!({"min_workers": 0, "max_workers": 0, "resources": resources(head), "labels": head.ray_labels}),
    );
    let mut groups = Map::new();
    let mut max_workers: i64 = 0;
    for (i, g) in workers.iter().enumerate() {
        let r = g.replicas;
        let min = i64::from(r.min) * i64::from(r.hosts);
        let max = i64::from(r.max) * i64::from(r.hosts);
        max_workers = max_workers.saturating_add(max);
        let res = resources(g);
        if !res.contains_key("CPU") && r.min == 0 {
            warnings.push(
                Finding::new(
                    Code::AutoscalerUnknownResources,
                    format!("/spec/workerGroupSpecs/{i}"),
                    format!("worker group {} has no CPU count: the autoscaler cannot know what its nodes offer before one runs, and it has minReplicas 0", g.group),
                )
                .help("set a CPU limit or request on the Ray container, or num-cpus in rayStartParams"),
            );
        }
        node_types.insert(
            g.group.clone(),
            json!({"min_workers": min, "max_workers": max, "resources": res, "labels": g.ray_labels}),
        );
        groups.insert(
            g.group.clone(),
            json!({"pod_template": g.object_name, "num_of_hosts": r.hosts,
                   "min_replicas": r.min, "max_replicas": r.max}),
        );
    }
    let mut provider = json!({
        "type": "external",
        "module": PROVIDER_MODULE,
        "disable_node_updaters": true,
        "disable_launch_config_check": true,
        "foreground_node_launch": true,
        "worker_liveness_check": false,
        "worker_groups": groups,
    });
    if let Some(ns) = input.namespace {
        provider["namespace"] = ns.into();
    }
    json!({
        "cluster_name": input.cluster,
        "head_node_type": "headgroup",
        "max_workers": max_workers,
        "idle_timeout_minutes": idle_minutes,
        "upscaling_speed": number(speed),
        "available_node_types": node_types,
        "provider": provider,
    })
}

/// What a group's nodes advertise: its final `ray start` parameters, and where they leave a
/// resource to Ray's detection, the Ray container's requests. Mirrors
/// `_get_ray_resources_from_group_spec` (`autoscaling_config.py`, Ray 2.60), which reads the same
/// sources.
fn resources(g: &ResolvedGroup) -> BTreeMap<String, Value> {
    let p = &g.params;
    let (_, requests) = ray_resources(&g.template);
    let whole = |v: &str| v.trim().parse::<u64>().ok().map(Value::from);
    let from_requests = |key: &dyn Fn(&str) -> bool| {
        requests
            .iter()
            .filter(|(k, _)| key(k))
            .find_map(|(_, v)| Quantity::parse(v).filter(|q| !q.is_zero()))
            .map(|q| Value::from(q.ceil()))
    };
    let mut out = BTreeMap::new();
    if let Some(cpu) = p.get("num-cpus").and_then(|v| whole(v)) {
        out.insert("CPU".to_string(), cpu);
    }
    let gpu = p
        .get("num-gpus")
        .and_then(|v| whole(v))
        .or_else(|| from_requests(&|k| k.ends_with("gpu")));
    if let Some(gpu) = gpu {
        out.insert("GPU".to_string(), gpu);
    }
    let memory = p
        .get("memory")
        .and_then(|v| whole(v))
        .or_else(|| from_requests(&|k| k == "memory"));
    if let Some(memory) = memory {
        out.insert("memory".to_string(), memory);
    }
    for (k, v) in custom_resources(p) {
        out.insert(k, v);
    }
    if !out.contains_key("TPU")
        && let Some(tpu) = from_requests(&|k| k == "google.com/tpu")
    {
        out.insert("TPU".to_string(), tpu);
    }
    if out.contains_key("TPU")
        && let Some(slice) = tpu_slice(&g.template)
    {
        out.insert(format!("TPU-{slice}-head"), Value::from(1));
    }
    out
}

/// The custom resources of `rayStartParams.resources`.
fn custom_resources(p: &Params) -> Map<String, Value> {
    let Some(raw) = p.get("resources") else {
        return Map::new();
    };
    let text = raw
        .trim_matches(|c| matches!(c, '\'' | '"' | '`' | ' '))
        .replace('\\', "");
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => m
            .into_iter()
            .filter_map(|(k, v)| v.as_f64().map(|f| (k, number(f))))
            .collect(),
        _ => Map::new(),
    }
}

/// A number as an integer when it is whole.
fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        // Whole and well inside i64.
        #[allow(clippy::cast_possible_truncation)]
        let i = f as i64;
        Value::from(i)
    } else {
        Value::from(f)
    }
}

/// The TPU slice type (`v4-16`) from GKE's TPU node selectors. Mirrors
/// `tpu_node_selectors_to_type` (`python/ray/autoscaler/_private/kuberay/utils.py`, Ray 2.60).
fn tpu_slice(t: &PodTemplateSpec) -> Option<String> {
    let selector = t.spec.as_ref()?.node_selector.as_ref()?;
    let topology = selector.get("cloud.google.com/gke-tpu-topology")?;
    let generation = match selector
        .get("cloud.google.com/gke-tpu-accelerator")?
        .as_str()
    {
        "tpu-v4-podslice" => "v4",
        "tpu-v5-lite-device" | "tpu-v5-lite-podslice" => "v5litepod",
        "tpu-v5p-slice" => "v5p",
        "tpu-v6e-slice" => "v6e",
        "tpu7x" => "v7x",
        _ => return None,
    };
    let mut chips: u64 = 1;
    for dim in topology.trim().to_ascii_lowercase().split('x') {
        chips = chips.checked_mul(dim.parse().ok()?)?;
    }
    let cores_per_chip = if matches!(generation, "v5litepod" | "v6e") {
        1
    } else {
        2
    };
    Some(format!(
        "{generation}-{}",
        chips.checked_mul(cores_per_chip)?
    ))
}

/// The sidecar. Mirrors `BuildAutoscalerContainer` and `mergeAutoscalerOverrides`
/// (common/pod.go, KubeRay v1.7.0).
fn sidecar(input: &Input<'_>, head: &ResolvedGroup) -> Sidecar {
    let o = input.spec.autoscaler_options.clone().unwrap_or_default();
    let start_command = format!(
        "python {MOUNT_PATH}/{PROVIDER_FILE} --gcs-address=$(POD_IP):{port} --monitor-ip=$(POD_IP) --config={MOUNT_PATH}/{CONFIG_FILE} --log-dir={RAY_LOGS_PATH}/session_latest/logs",
        port = input.head_port,
    );
    let fixed = BTreeMap::from([
        ("cpu".to_string(), K8sQuantity("500m".into())),
        ("memory".to_string(), K8sQuantity("512Mi".into())),
    ]);
    Sidecar {
        image: o.image.filter(|i| !i.is_empty()).or_else(|| {
            head.template
                .spec
                .as_ref()
                .and_then(|s| s.containers.first())
                .and_then(|c| c.image.clone())
        }),
        image_pull_policy: o
            .image_pull_policy
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "IfNotPresent".into()),
        command: o
            .command
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| vec!["/bin/bash".into(), "-c".into(), "--".into()]),
        args: o
            .args
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| vec![start_command.clone()]),
        start_command,
        resources: o.resources.unwrap_or_else(|| ResourceRequirements {
            limits: Some(fixed.clone()),
            requests: Some(fixed),
            ..ResourceRequirements::default()
        }),
        security_context: o.security_context,
        env: o.env.unwrap_or_default(),
        env_from: o.env_from.filter(|e| !e.is_empty()),
        volume_mounts: o.volume_mounts.unwrap_or_default(),
    }
}
