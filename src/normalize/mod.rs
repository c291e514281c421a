//! Stage 3: a valid [`RayCluster`] → a [`ResolvedCluster`] with every decision made.
//!
//! Everything the operator would decide at reconcile time is decided here, once, and written
//! down as plain data: object names (shortened to fit Kubernetes' limits), the head address,
//! the final `rayStartParams` of every group, Pod counts, the head Service, how each group is
//! autoscaled, whether workers run as StatefulSets or Deployments, token authentication and
//! GCS fault tolerance. The build stage then only assembles objects from these plans and
//! never reads the input cluster. This stage never reads files and never panics; it may add
//! warnings.
//!
//! - `groups`: the head and the worker groups (templates, `ray start` parameters, Pod counts);
//! - `autoscaling`: the HorizontalPodAutoscaler plans;
//! - `plans`: the head Service, token authentication and GCS fault tolerance;
//! - `storage`: per-Pod claims and what Ray keeps on them;
//! - `scheduling`: the batch scheduler, what it needs on the Pods, and its PodGroup;
//! - `redis_cleanup`: the Job that deletes the cluster's GCS state from Redis after it is gone.
//! - `network`: the NetworkPolicies of `spec.networkPolicy`;
//! - `tls`: mutual TLS (`spec.tlsOptions`);
//! - `exposure`: the dashboard Ingress and the serve Service;
//! - `history`: the history server's collector sidecar.

mod autoscaling;
pub mod exposure;
mod groups;
pub mod history;
mod network;
mod plans;
pub mod ray_autoscaler;
mod redis_cleanup;
mod scheduling;
pub mod storage;
pub mod tls;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{AutoscalerVersion, RayCluster, RayClusterSpec};
use crate::raystart::{NodeType, Params};

pub use autoscaling::{
    AUTOSCALER_ANNOTATION, DEFAULT_HPA_CPU, DEFAULT_IDLE_SECONDS, HPA_CPU_ANNOTATION, HpaPlan,
    MAX_STABILIZATION_SECONDS, Mode, requested as requested_autoscaling,
};
pub use exposure::{IngressPlan, ServeServicePlan};
pub use groups::{Replicas, ray_resources};
pub use history::CollectorPlan;
pub use network::NetworkPolicyPlan;
pub use plans::{
    EmbeddedPlan, FaultTolerance, GCS_STORAGE_PATH, GCS_STORAGE_VOLUME, GcsClaimPlan,
    HeadServicePlan, RedisPlan, TokenAuth,
};
pub use ray_autoscaler::{RayAutoscalerPlan, Sidecar};
pub use redis_cleanup::{REDIS_CLEANUP_ANNOTATION, RedisCleanupPlan};
pub use scheduling::{
    BATCH_SCHEDULER_ANNOTATION, BatchScheduler, CoschedulingPodGroup, NetworkTopology,
    PodGroupPlan, SchedulingPlan, VolcanoPodGroup,
};
pub use storage::{GroupStorage, Policy, Retention};
pub use tls::TlsPlan;

/// The RayCluster annotation that chooses the worker workload kind for every group.
pub const WORKER_KIND_ANNOTATION: &str = "raycc.io/worker-kind";
/// The annotation that keeps the Ray container's command verbatim.
pub const OVERWRITE_COMMAND_ANNOTATION: &str = "ray.io/overwrite-container-cmd";
/// Prefix of the per-group worker kind annotation: `raycc.io/worker-kind.<group>`.
pub const WORKER_KIND_GROUP_PREFIX: &str = "raycc.io/worker-kind.";

/// Compile options that do not come from the RayCluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Worker workload kind when the cluster does not choose one.
    pub worker_kind: WorkerKind,
    /// Cluster DNS domain used in the head address.
    pub cluster_domain: String,
    /// Namespace for clusters that set none (Argo CD's application namespace).
    pub default_namespace: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            worker_kind: WorkerKind::StatefulSet,
            cluster_domain: "cluster.local".to_string(),
            default_namespace: None,
        }
    }
}

/// The workload kind for worker Pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerKind {
    /// `apps/v1` StatefulSet (the default): stable Pod names.
    StatefulSet,
    /// `apps/v1` Deployment.
    Deployment,
}

impl WorkerKind {
    /// Parses `StatefulSet` / `Deployment`, case-insensitively.
    #[must_use]
    pub fn parse(s: &str) -> Option<WorkerKind> {
        match s.to_ascii_lowercase().as_str() {
            "statefulset" => Some(WorkerKind::StatefulSet),
            "deployment" => Some(WorkerKind::Deployment),
            _ => None,
        }
    }

    /// The Kubernetes kind.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerKind::StatefulSet => "StatefulSet",
            WorkerKind::Deployment => "Deployment",
        }
    }
}

/// One resolved group (the head or a worker group).
#[derive(Clone, Debug)]
pub struct ResolvedGroup {
    /// Head or worker.
    pub node: NodeType,
    /// `headgroup` or the group name as written (the `ray.io/group` label value).
    pub group: String,
    /// Name of the workload, its governing Service (workers) and its HPA.
    pub object_name: String,
    /// The Pod template, defaulted (never without a container; containers[0] has an image).
    pub template: PodTemplateSpec,
    /// Final `ray start` parameters.
    pub params: Params,
    /// Group `labels` (also put on the Pods).
    pub ray_labels: BTreeMap<String, String>,
    /// Keep the Ray container's command verbatim: the RayCluster or this group's Pod template
    /// has `ray.io/overwrite-container-cmd: "true"` (any case).
    pub overwrite_command: bool,
    /// Pods to run when neither autoscaler owns the count.
    pub pods: i32,
    /// The group's replica bounds and hosts per replica.
    pub replicas: Replicas,
    /// What runs the group's Pods (the head is always a StatefulSet).
    pub workload: Workload,
    /// HPA, when autoscaled by one.
    pub hpa: Option<HpaPlan>,
    /// A multi-host group that runs as StatefulSets or Deployments: one workload per replica,
    /// each running the replica's `numOfHosts` Pods; empty otherwise.
    pub replica_workloads: Vec<ReplicaWorkload>,
    /// Per-Pod claims and the Ray container's extra mounts.
    pub storage: GroupStorage,
}

/// One replica of a multi-host group, as its own workload: the replica's Pods share labels
/// that name the replica (KubeRay's multi-host labels), so they are created, kept and removed
/// together, and a StatefulSet's ordinals are the hosts' indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaWorkload {
    /// The workload's name: the group's, `-<index>`.
    pub object_name: String,
    /// `ray.io/worker-group-replica-name`: `<group>-<index>`.
    pub replica_name: String,
    /// `ray.io/worker-group-replica-index`.
    pub index: i32,
}

/// What runs a group's Pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// An `apps/v1` StatefulSet.
    StatefulSet,
    /// An `apps/v1` Deployment.
    Deployment,
    /// Bare Pods that Ray's autoscaler creates from a `v1` PodTemplate.
    PodTemplate,
}

impl Workload {
    /// The Kubernetes kind.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Workload::StatefulSet => "StatefulSet",
            Workload::Deployment => "Deployment",
            Workload::PodTemplate => "PodTemplate",
        }
    }
}

/// A cluster with every decision made.
#[derive(Clone, Debug)]
pub struct ResolvedCluster {
    /// Cluster name.
    pub name: String,
    /// Namespace, when known.
    pub namespace: Option<String>,
    /// HTTP probes (Ray ≥ 2.53.0) instead of exec probes.
    pub http_probes: bool,
    /// Head Service.
    pub head_service: HeadServicePlan,
    /// Head address host: `<svc>.<ns>.svc.<domain>` or the short Service name.
    pub head_host: String,
    /// Head GCS port.
    pub head_port: String,
    /// The RayCluster asks to keep user commands verbatim
    /// (`ray.io/overwrite-container-cmd: "true"`, any case); the Pods carry the annotation too.
    pub overwrite_command: bool,
    /// The head's `RAY_enable_autoscaler_v2` value, when set: false under Ray's autoscaler
    /// (raycc runs v1), the named version under HPAs.
    pub autoscaler_v2: Option<bool>,
    /// GCS fault tolerance.
    pub fault_tolerance: FaultTolerance,
    /// Token authentication, when enabled.
    pub auth: Option<TokenAuth>,
    /// `spec.suspend`: no Pods run (the head workload has none, and an autoscaled cluster's
    /// PodTemplates are left out, so their Pods are garbage-collected).
    pub suspended: bool,
    /// Ray's autoscaler, when it scales the cluster.
    pub autoscaler: Option<Box<RayAutoscalerPlan>>,
    /// `<cluster>-headless`, the workers' headless Service, when a group has more than one
    /// host per replica.
    pub headless_service: Option<String>,
    /// The batch scheduler, when one schedules the Pods.
    pub scheduling: Option<SchedulingPlan>,
    /// The Job that deletes the cluster's GCS state from Redis after it is deleted.
    pub redis_cleanup: Option<RedisCleanupPlan>,
    /// The head.
    pub head: ResolvedGroup,
    /// The worker groups, in input order.
    pub workers: Vec<ResolvedGroup>,
    /// The features KubeRay keeps behind feature gates or in controllers of their own.
    pub gated: GatedFeatures,
}

/// Resolves a validated cluster. Warnings are returned beside it.
#[must_use]
#[allow(clippy::too_many_lines)] // One step per plan, in the order the plans depend on each other.
pub fn normalize(c: RayCluster, opts: &Options) -> (ResolvedCluster, Vec<Finding>) {
    let mut warnings = Vec::new();
    let RayCluster {
        metadata, mut spec, ..
    } = c;
    let name = metadata.name.clone().unwrap_or_default();
    let namespace = namespace(&metadata, opts);
    let annotations = metadata.annotations.clone().unwrap_or_default();
    let labels = metadata.labels.clone().unwrap_or_default();

    let head_service = plans::head_service(&name, &spec);
    let head_host = match &namespace {
        Some(ns) => format!("{}.{ns}.svc.{}", head_service.name, opts.cluster_domain),
        None => head_service.name.clone(),
    };
    let fault_tolerance = plans::fault_tolerance(&name, &spec, &annotations);
    let auth = plans::token_auth(&name, &spec);
    let scheduling = scheduling::plan(
        &scheduling::Input {
            name: &name,
            labels: &labels,
            annotations: &annotations,
            spec: &spec,
        },
        &mut warnings,
    );
    let gated = gated_plans(
        &name,
        &metadata,
        &spec,
        &head_service,
        &head_host,
        namespace.as_deref(),
        &mut warnings,
    );
    let mode = autoscaling::mode(&spec, &annotations, &mut warnings);
    if mode == Mode::Ray {
        ray_autoscaler::check(&spec, &mut warnings);
    }
    let autoscaling = autoscaling::Settings::new(&spec, &annotations, &mut warnings);
    let ctx = groups::Context::new(
        &name,
        &spec,
        &annotations,
        &head_host,
        &fault_tolerance,
        mode,
    );
    let mut head = groups::head(
        &ctx,
        spec.head_group_spec.take().unwrap_or_default(),
        &mut warnings,
    );
    let cluster_kind = worker_kind(
        &annotations,
        WORKER_KIND_ANNOTATION,
        opts.worker_kind,
        &mut warnings,
    );
    let worker_specs = spec.worker_group_specs.take().unwrap_or_default();
    let mut workers: Vec<ResolvedGroup> = worker_specs
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let key = format!("{WORKER_KIND_GROUP_PREFIX}{}", g.group_name);
            let kind = worker_kind(&annotations, &key, cluster_kind, &mut warnings);
            groups::worker(&ctx, i, g, kind, &autoscaling, &mut warnings)
        })
        .collect();
    storage::plan(
        spec.ray_version.as_deref(),
        &mut head,
        &mut workers,
        &mut warnings,
    );
    let autoscaler = (mode == Mode::Ray).then(|| {
        let input = ray_autoscaler::Input {
            cluster: &name,
            namespace: namespace.as_deref(),
            spec: &spec,
            head_port: &ctx.head_port,
        };
        Box::new(ray_autoscaler::plan(&input, &head, &workers, &mut warnings))
    });
    let redis_cleanup = redis_cleanup::plan(
        &redis_cleanup::Input {
            name: &name,
            annotations: &annotations,
            fault_tolerance: &fault_tolerance,
            head_address: format!("{head_host}:{}", ctx.head_port),
            head: &head,
            own_service_account: autoscaler
                .as_ref()
                .is_some_and(|a| a.create_service_account),
        },
        &mut warnings,
    );

    // A gang scheduler starts every multi-host replica whole (warning RC307 is moot).
    if scheduling.as_ref().is_some_and(|s| s.gang) {
        warnings.retain(|w| w.code != Code::MultiHostNotGang);
    }
    let resolved = ResolvedCluster {
        http_probes: spec
            .ray_version
            .as_deref()
            .and_then(crate::validate::parse_version)
            .is_some_and(|v| v >= (2, 53, 0)),
        head_port: ctx.head_port,
        overwrite_command: ctx.overwrite_command,
        autoscaler_v2: autoscaler_v2(mode, &spec),
        suspended: spec.suspend.unwrap_or(false),
        headless_service: workers
            .iter()
            .any(|g| g.replicas.hosts > 1)
            .then(|| format!("{name}-headless")),
        autoscaler,
        auth,
        name,
        namespace,
        head_service,
        head_host,
        fault_tolerance,
        scheduling,
        redis_cleanup,
        head,
        workers,
        gated,
    };
    (resolved, warnings)
}

/// Whether the Pods are told that the autoscaler is v2 (`RAY_enable_autoscaler_v2`): raycc's
/// autoscaler is Ray's v1 autoscaler; under HPAs, what `autoscalerOptions.version` says.
fn autoscaler_v2(mode: Mode, spec: &RayClusterSpec) -> Option<bool> {
    match mode {
        Mode::Ray => Some(false),
        Mode::Hpa => spec
            .autoscaler_options
            .as_ref()
            .and_then(|o| o.version)
            .map(|v| v == AutoscalerVersion::V2),
        Mode::Off => None,
    }
}

/// The cluster's namespace, else the one the options give.
fn namespace(metadata: &ObjectMeta, opts: &Options) -> Option<String> {
    metadata
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| opts.default_namespace.clone())
}

/// The features KubeRay keeps behind feature gates (`RayClusterNetworkPolicy`,
/// `RayClusterMTLS`, `RayClusterHistoryServer`) or builds in controllers of their own (the
/// Ingress, the serve Service); raycc compiles them as if the gates were on.
#[derive(Clone, Debug, Default)]
pub struct GatedFeatures {
    /// The NetworkPolicies of `spec.networkPolicy`: the head's, then each group's.
    pub network_policies: Vec<NetworkPolicyPlan>,
    /// Mutual TLS, when `spec.tlsOptions.enabled`.
    pub tls: Option<TlsPlan>,
    /// The dashboard Ingress, when `headGroupSpec.enableIngress`.
    pub ingress: Option<IngressPlan>,
    /// The serve Service, when the `ray.io/enable-serve-service` annotation asks for it.
    pub serve_service: Option<ServeServicePlan>,
    /// The history server's collector sidecar, when `historyServerOptions` sets it.
    pub collector: Option<CollectorPlan>,
}

fn gated_plans(
    name: &str,
    metadata: &ObjectMeta,
    spec: &RayClusterSpec,
    head_service: &HeadServicePlan,
    head_host: &str,
    namespace: Option<&str>,
    warnings: &mut Vec<Finding>,
) -> GatedFeatures {
    let empty = BTreeMap::new();
    let annotations = metadata.annotations.as_ref().unwrap_or(&empty);
    GatedFeatures {
        network_policies: network::plan(name, metadata, spec, warnings),
        tls: tls::plan(
            name,
            spec.tls_options.as_ref().and_then(|t| t.enabled) == Some(true),
            head_host,
        ),
        ingress: exposure::ingress(name, spec, annotations, &head_service.name),
        serve_service: exposure::serve_service(name, spec, annotations),
        collector: history::plan(spec, metadata.labels.as_ref().unwrap_or(&empty), namespace),
    }
}

/// The workload kind an annotation asks for, else `fallback`; a value that is neither kind is
/// a warning.
fn worker_kind(
    annotations: &BTreeMap<String, String>,
    key: &str,
    fallback: WorkerKind,
    warnings: &mut Vec<Finding>,
) -> WorkerKind {
    let Some(v) = annotations.get(key) else {
        return fallback;
    };
    WorkerKind::parse(v).unwrap_or_else(|| {
        warnings.push(Finding::new(
            Code::InvalidSetting,
            child("/metadata/annotations", key),
            format!("`{key}` must be `StatefulSet` or `Deployment`, found `{v}`"),
        ));
        fallback
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names;

    fn resolve(v: serde_json::Value) -> (ResolvedCluster, Vec<Finding>) {
        resolve_with(v, &Options::default())
    }

    fn resolve_with(v: serde_json::Value, opts: &Options) -> (ResolvedCluster, Vec<Finding>) {
        normalize(serde_json::from_value(v).unwrap(), opts)
    }

    fn cluster(spec: serde_json::Value) -> serde_json::Value {
        let mut v = serde_json::json!({
            "apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": "demo"},
        });
        v["spec"] = spec;
        v
    }

    fn codes(w: &[Finding]) -> Vec<Code> {
        w.iter().map(|f| f.code).collect()
    }

    #[test]
    fn clamps_replicas_into_bounds_and_says_so() {
        let (r, w) = resolve(cluster(serde_json::json!({"rayVersion": "2.52.0",
            "workerGroupSpecs": [
                {"groupName": "low", "replicas": 0, "minReplicas": 2, "maxReplicas": 4},
                {"groupName": "high", "replicas": 9, "minReplicas": 1, "maxReplicas": 3},
                {"groupName": "unset", "minReplicas": 2, "maxReplicas": 5}]})));
        let pods: Vec<i32> = r.workers.iter().map(|g| g.pods).collect();
        assert_eq!(pods, [2, 3, 2]);
        assert_eq!(codes(&w), [Code::ReplicasClamped, Code::ReplicasClamped]);
        assert_eq!(
            w[1].message,
            "worker group high has replicas 9 outside [1, 3]; 3 replicas will run"
        );
    }

    #[test]
    fn runs_num_of_hosts_pods_per_replica() {
        let (r, w) = resolve(cluster(serde_json::json!({"rayVersion": "2.52.0",
            "workerGroupSpecs": [{"groupName": "tpu", "replicas": 2, "minReplicas": 0,
                "maxReplicas": 4, "numOfHosts": 4}]})));
        assert_eq!(r.workers[0].pods, 8);
        assert_eq!(codes(&w), [Code::MultiHostNotGang]);
    }

    #[test]
    fn runs_no_pods_for_a_suspended_cluster_or_group() {
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.52.0",
            "suspend": true,
            "workerGroupSpecs": [{"groupName": "cpu", "replicas": 1, "minReplicas": 1,
                "maxReplicas": 1}]})));
        assert_eq!((r.head.pods, r.workers[0].pods), (0, 0));
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.52.0",
            "workerGroupSpecs": [{"groupName": "cpu", "replicas": 1, "minReplicas": 1,
                "maxReplicas": 1, "suspend": true}]})));
        assert_eq!((r.head.pods, r.workers[0].pods), (1, 0));
    }

    #[test]
    fn shortens_names_that_do_not_fit_a_statefulset() {
        let name = "a".repeat(45);
        let mut v = cluster(serde_json::json!({"rayVersion": "2.52.0",
            "workerGroupSpecs": [{"groupName": "gpu", "minReplicas": 0, "maxReplicas": 1}]}));
        v["metadata"]["name"] = name.clone().into();
        let (r, w) = resolve(v);
        assert_eq!(r.head.object_name, format!("{name}-head"));
        assert_eq!(r.workers[0].object_name.len(), names::MAX_STATEFULSET_NAME);
        // A prefix of the full name, `-` and eight hex digits of its hash.
        assert!(
            r.workers[0]
                .object_name
                .starts_with(&format!("{}-", &name[..43]))
        );
        assert_eq!(codes(&w), [Code::NameShortened]);
        assert_eq!(w[0].pointer, "/spec/workerGroupSpecs/0/groupName");
    }

    #[test]
    fn addresses_the_head_by_its_service_in_the_namespace() {
        let mut v = cluster(serde_json::json!({"rayVersion": "2.52.0",
            "headGroupSpec": {"rayStartParams": {"port": "6380"}}}));
        let (r, _) = resolve(v.clone());
        assert_eq!(
            (r.head_host.as_str(), r.head_port.as_str()),
            ("demo-head-svc", "6380")
        );
        v["metadata"]["namespace"] = "ml".into();
        let opts = Options {
            cluster_domain: "corp.local".into(),
            ..Options::default()
        };
        let (r, _) = resolve_with(v, &opts);
        assert_eq!(r.head_host, "demo-head-svc.ml.svc.corp.local");
    }

    #[test]
    fn plans_an_hpa_only_for_autoscaled_groups_that_can_scale() {
        let mut v = cluster(serde_json::json!({"rayVersion": "2.52.0",
            "enableInTreeAutoscaling": true,
            "autoscalerOptions": {"idleTimeoutSeconds": 7200, "upscalingMode": "Conservative"},
            "workerGroupSpecs": [
                {"groupName": "fixed", "minReplicas": 2, "maxReplicas": 2},
                {"groupName": "elastic", "minReplicas": 0, "maxReplicas": 3},
                {"groupName": "tpu", "replicas": 1, "minReplicas": 0, "maxReplicas": 3,
                    "numOfHosts": 2}]}));
        v["metadata"]["annotations"] = serde_json::json!({"raycc.io/autoscaler": "hpa"});
        let (r, w) = resolve(v);
        assert!(r.autoscaler.is_none());
        assert_eq!(r.workers[0].hpa, None);
        // A multi-host group keeps its replicas, as one workload per replica.
        assert_eq!(r.workers[2].hpa, None);
        assert_eq!(r.workers[2].replica_workloads.len(), 1);
        assert!(codes(&w).contains(&Code::HpaMultiHost));
        assert_eq!(
            r.workers[1].hpa,
            Some(HpaPlan {
                min_pods: 1,
                max_pods: 3,
                cpu_utilization: DEFAULT_HPA_CPU,
                scale_down_window: MAX_STABILIZATION_SECONDS,
                scale_up_percent: 100,
            })
        );
        assert!(codes(&w).contains(&Code::HpaMinZero));
        assert!(codes(&w).contains(&Code::HpaWindowClamped));
        assert!(codes(&w).contains(&Code::HpaNoCpuRequest));
    }

    #[test]
    fn lets_ray_autoscale_by_default_with_its_own_config() {
        let mut v = cluster(serde_json::json!({"rayVersion": "2.9.0",
            "enableInTreeAutoscaling": true,
            "autoscalerOptions": {"idleTimeoutSeconds": 90, "upscalingMode": "Conservative"},
            "headGroupSpec": {"rayStartParams": {"num-cpus": "0"}},
            "workerGroupSpecs": [{"groupName": "tpu", "minReplicas": 1, "maxReplicas": 2,
                "numOfHosts": 2, "labels": {"pool": "tpu"},
                "rayStartParams": {"resources": "'{\"A\": 1}'"},
                "template": {"spec": {"nodeSelector": {
                        "cloud.google.com/gke-tpu-topology": "2x2x2",
                        "cloud.google.com/gke-tpu-accelerator": "tpu-v4-podslice"},
                    "containers": [{"name": "w", "resources": {"limits": {"cpu": "4",
                        "memory": "1Gi", "google.com/tpu": "4"}}}]}}}]}));
        v["metadata"]["namespace"] = "ml".into();
        let (r, w) = resolve(v);
        assert_eq!(codes(&w), [Code::MultiHostNotGang]);
        assert_eq!(r.workers[0].workload, Workload::PodTemplate);
        assert_eq!(r.head.params["no-monitor"], "true");
        assert_eq!(r.autoscaler_v2, Some(false));
        let plan = r.autoscaler.unwrap();
        assert_eq!(
            (plan.service_account.as_str(), plan.create_service_account),
            ("demo", true)
        );
        assert_eq!(plan.pod_templates, ["demo-tpu-worker"]);
        let c = &plan.config;
        assert_eq!(c["idle_timeout_minutes"], 1.5);
        assert_eq!(c["upscaling_speed"], 1);
        assert_eq!(c["max_workers"], 4);
        assert_eq!(
            c["available_node_types"]["tpu"],
            serde_json::json!({"min_workers": 2, "max_workers": 4, "labels": {"pool": "tpu"},
                "resources": {"A": 1, "CPU": 4, "TPU": 4, "TPU-v4-16-head": 1, "memory": 1_073_741_824_u64}})
        );
        assert_eq!(
            c["available_node_types"]["headgroup"]["resources"],
            serde_json::json!({"CPU": 0})
        );
        assert_eq!(c["provider"]["namespace"], "ml");
        assert_eq!(
            c["provider"]["worker_groups"]["tpu"],
            serde_json::json!({"pod_template": "demo-tpu-worker", "num_of_hosts": 2,
                "min_replicas": 1, "max_replicas": 2})
        );
    }

    #[test]
    fn binds_the_autoscaler_to_the_head_s_own_service_account() {
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.52.0",
            "enableInTreeAutoscaling": true,
            "headGroupSpec": {"template": {"spec": {"serviceAccountName": "ray-head",
                "containers": [{"name": "ray-head"}]}}}})));
        let plan = r.autoscaler.unwrap();
        assert_eq!(
            (plan.service_account.as_str(), plan.create_service_account),
            ("ray-head", false)
        );
        assert_eq!(plan.rbac_name, "demo");
    }

    #[test]
    fn refuses_a_ray_too_old_for_the_autoscaler_and_warns_about_v2_settings() {
        let (_, w) = resolve(cluster(serde_json::json!({"rayVersion": "2.5.1",
            "enableInTreeAutoscaling": true,
            "autoscalerOptions": {"version": "v2"},
            "workerGroupSpecs": [{"groupName": "cpu", "minReplicas": 0, "maxReplicas": 2}]})));
        assert_eq!(
            codes(&w),
            [
                Code::AutoscalerRayVersion,
                Code::AutoscalerV1Only,
                Code::AutoscalerUnknownResources
            ]
        );
        assert!(w[0].is_error() && !w[1].is_error());
    }

    #[test]
    fn takes_the_worker_kind_from_the_group_then_the_cluster_then_the_options() {
        let mut v = cluster(serde_json::json!({"rayVersion": "2.52.0",
            "workerGroupSpecs": [
                {"groupName": "a", "minReplicas": 0, "maxReplicas": 1},
                {"groupName": "b", "minReplicas": 0, "maxReplicas": 1}]}));
        v["metadata"]["annotations"] = serde_json::json!({
            "raycc.io/worker-kind": "Deployment",
            "raycc.io/worker-kind.b": "statefulset"});
        let (r, w) = resolve(v.clone());
        let kinds: Vec<_> = r.workers.iter().map(|g| g.workload).collect();
        assert_eq!(kinds, [Workload::Deployment, Workload::StatefulSet]);
        assert!(w.is_empty());
        v["metadata"]["annotations"]["raycc.io/worker-kind"] = "Pod".into();
        let (r, w) = resolve(v);
        assert_eq!(r.workers[0].workload, Workload::StatefulSet);
        assert_eq!(codes(&w), [Code::InvalidSetting]);
    }

    #[test]
    fn passes_redis_credentials_by_environment_reference() {
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.52.0",
            "gcsFaultToleranceOptions": {"redisAddress": "redis:6379",
                "redisPassword": {"valueFrom": {"secretKeyRef": {"name": "r", "key": "p"}}}}})));
        assert_eq!(r.head.params["redis-password"], "$REDIS_PASSWORD");
        assert!(!r.head.params.contains_key("redis-username"));
        let FaultTolerance::Redis(redis) = &r.fault_tolerance else {
            panic!("fault tolerance is on");
        };
        assert_eq!(redis.storage_namespace, "demo");
        assert_eq!(redis.address.as_deref(), Some("redis:6379"));
    }

    #[test]
    fn keeps_an_annotated_cluster_redis_password_as_written() {
        let mut v = cluster(serde_json::json!({"rayVersion": "2.52.0",
            "headGroupSpec": {"rayStartParams": {"redis-password": "secret"}}}));
        v["metadata"]["annotations"] = serde_json::json!({"ray.io/ft-enabled": "true",
            "ray.io/external-storage-namespace": "shared"});
        let (r, _) = resolve(v);
        assert_eq!(r.head.params["redis-password"], "secret");
        let FaultTolerance::Redis(redis) = &r.fault_tolerance else {
            panic!("fault tolerance is on");
        };
        assert_eq!(redis.storage_namespace, "shared");
        assert_eq!(
            redis.password.as_ref().unwrap().value.as_deref(),
            Some("secret")
        );
        assert!(!redis.from_options);
    }

    #[test]
    fn plans_the_embedded_gcs_store_as_the_operator_names_and_sizes_it() {
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.57.0",
            "gcsFaultToleranceOptions": {"backend": "rocksdb"}})));
        assert_eq!(
            r.fault_tolerance,
            FaultTolerance::Embedded(Box::new(EmbeddedPlan {
                claim_name: "demo-gcs-pvc".into(),
                sub_path: None,
                claim: Some(GcsClaimPlan {
                    size: "1Gi".into(),
                    storage_class: None,
                    access_modes: vec!["ReadWriteOnce".into()],
                    retain: false,
                }),
            }))
        );
        // No Redis parameters on the head.
        assert!(!r.head.params.contains_key("redis-password"));
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.57.0",
            "gcsFaultToleranceOptions": {"backend": "rocksdb",
                "storage": {"claimName": "mine", "subPath": "a/b"}}})));
        let FaultTolerance::Embedded(plan) = &r.fault_tolerance else {
            panic!("the embedded backend is on");
        };
        assert_eq!(
            (
                plan.claim_name.as_str(),
                plan.sub_path.as_deref(),
                &plan.claim
            ),
            ("mine", Some("a/b"), &None)
        );
    }

    #[test]
    fn reads_the_token_secret_from_auth_options_or_the_cluster_name() {
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.52.0",
            "authOptions": {"mode": "token"}})));
        assert_eq!(r.auth, Some(TokenAuth::Secret("demo".into())));
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.57.0",
            "authOptions": {"mode": "token", "enableK8sTokenAuth": true}})));
        assert_eq!(r.auth, Some(TokenAuth::Kubernetes));
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.52.0",
            "authOptions": {"mode": "disabled", "secretName": "x"}})));
        assert_eq!(r.auth, None);
    }

    #[test]
    fn defaults_a_missing_template_and_image_from_the_ray_version() {
        let (r, _) = resolve(cluster(serde_json::json!({"rayVersion": "2.9.3",
            "workerGroupSpecs": [{"groupName": "cpu", "minReplicas": 0, "maxReplicas": 1}]})));
        for (g, container) in [(&r.head, "ray-head"), (&r.workers[0], "ray-worker")] {
            let c = &g.template.spec.as_ref().unwrap().containers[0];
            assert_eq!(c.name, container);
            assert_eq!(c.image.as_deref(), Some("rayproject/ray:2.9.3"));
        }
        assert!(!r.http_probes);
    }
}
