//! The RayCluster input types: KubeRay's `ray.io/v1` field set (which is a superset of
//! `ray.io/v1alpha1`) plus the short forms people write by hand.
//!
//! These types are the single source of truth for the JSON Schema in
//! `schemas/raycluster.schema.json` (see [`crate::schema`]). They are read with
//! `serde_json::from_value` only after the schema has accepted the untyped tree, so serde
//! never has to report an unknown field: the schema already did, with a location.
//!
//! Pod templates, Services and the other Kubernetes shapes are the k8s-openapi types, so the
//! schema embeds the full Kubernetes `PodTemplateSpec`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EnvFromSource, EnvVar, EnvVarSource, PodTemplateSpec, ResourceRequirements, SecurityContext,
    Service, VolumeMount,
};
use k8s_openapi::api::networking::v1::{
    IngressTLS, NetworkPolicyEgressRule, NetworkPolicyIngressRule,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A KubeRay RayCluster (`ray.io/v1` or `ray.io/v1alpha1`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "RayCluster")]
pub struct RayCluster {
    /// `ray.io/v1` or the deprecated `ray.io/v1alpha1`.
    #[schemars(extend("enum" = ["ray.io/v1", "ray.io/v1alpha1"]))]
    pub api_version: String,
    /// Always `RayCluster`.
    #[schemars(extend("const" = "RayCluster"))]
    pub kind: String,
    /// Standard object metadata. `name` is required.
    #[schemars(required)]
    pub metadata: ObjectMeta,
    /// The desired cluster.
    #[schemars(required)]
    pub spec: RayClusterSpec,
    /// Status written by the operator; ignored by raycc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-kubernetes-preserve-unknown-fields" = true))]
    pub status: Option<serde_json::Value>,
}

/// The RayCluster spec.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RayClusterSpec {
    /// The head group. Optional in the short form: a missing head group means one head Pod
    /// with a `ray-head` container running `rayproject/ray:<rayVersion>`.
    pub head_group_spec: Option<HeadGroupSpec>,
    /// The worker groups.
    pub worker_group_specs: Option<Vec<WorkerGroupSpec>>,
    /// The Ray version of the images; selects the probe style and the default image.
    pub ray_version: Option<String>,
    /// Autoscale the worker groups (raycc: with HorizontalPodAutoscalers).
    pub enable_in_tree_autoscaling: Option<bool>,
    /// Autoscaler options.
    pub autoscaler_options: Option<AutoscalerOptions>,
    /// Annotations copied onto the head Service.
    pub head_service_annotations: Option<BTreeMap<String, String>>,
    /// Short form: the head Service type.
    pub head_service: Option<ShortHeadService>,
    /// Scale every group, head included, to zero.
    pub suspend: Option<bool>,
    /// Which controller manages the cluster.
    pub managed_by: Option<ManagedBy>,
    /// GCS fault tolerance.
    pub gcs_fault_tolerance_options: Option<GcsFaultToleranceOptions>,
    /// Operator upgrade strategy.
    pub upgrade_strategy: Option<UpgradeStrategy>,
    /// Ray token authentication.
    pub auth_options: Option<AuthOptions>,
    /// History server collector (operator feature gate).
    pub history_server_options: Option<HistoryServerOptions>,
    /// Network policies (operator feature gate).
    pub network_policy: Option<NetworkPolicyOptions>,
    /// Mutual TLS (operator feature gate).
    pub tls_options: Option<TlsOptions>,
}

/// `spec.headService` in the short form: only the Service type.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShortHeadService {
    /// The head Service type.
    #[serde(rename = "type")]
    pub type_: Option<ServiceType>,
}

/// A Kubernetes Service type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ServiceType {
    /// A virtual IP inside the cluster (headless for the head Service, as the operator does).
    ClusterIP,
    /// A port on every node.
    NodePort,
    /// A cloud load balancer.
    LoadBalancer,
}

impl ServiceType {
    /// The Kubernetes spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClusterIP => "ClusterIP",
            Self::NodePort => "NodePort",
            Self::LoadBalancer => "LoadBalancer",
        }
    }
}

/// `spec.managedBy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ManagedBy {
    /// The KubeRay operator (the default).
    #[serde(rename = "ray.io/kuberay-operator")]
    KubeRay,
    /// Kueue MultiKueue.
    #[serde(rename = "kueue.x-k8s.io/multikueue")]
    MultiKueue,
}

/// The head group.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeadGroupSpec {
    /// The head Pod template; the Ray container is `containers[0]`.
    pub template: Option<PodTemplateSpec>,
    /// `ray start` flags, without the leading `--`.
    pub ray_start_params: Option<BTreeMap<String, String>>,
    /// The head Service type.
    pub service_type: Option<ServiceType>,
    /// A Service used as the base of the head Service.
    pub head_service: Option<Service>,
    /// Create an Ingress for the dashboard (operator only).
    pub enable_ingress: Option<bool>,
    /// Ingress options (operator only).
    pub ingress_options: Option<IngressOptions>,
    /// Ray resources; overrides the resource flags of `rayStartParams`.
    pub resources: Option<BTreeMap<String, String>>,
    /// Ray node labels; also added to the Pod labels.
    pub labels: Option<BTreeMap<String, String>>,
}

/// Ingress options for the head (operator only).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IngressOptions {
    /// Host name.
    pub host: Option<String>,
    /// Path, default `/`.
    pub path: Option<String>,
    /// Path type.
    pub path_type: Option<PathType>,
    /// TLS settings.
    pub tls: Option<Vec<IngressTLS>>,
}

/// An Ingress path type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum PathType {
    /// Exact match.
    Exact,
    /// Prefix match.
    Prefix,
    /// Left to the Ingress class.
    ImplementationSpecific,
}

/// A worker group.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerGroupSpec {
    /// The group name, unique within the cluster.
    #[schemars(required)]
    pub group_name: String,
    /// Desired replicas, clamped to [minReplicas, maxReplicas]. Default minReplicas.
    pub replicas: Option<i32>,
    /// Minimum replicas. Default 0.
    pub min_replicas: Option<i32>,
    /// Maximum replicas. Default 2147483647.
    pub max_replicas: Option<i32>,
    /// Pods per replica. Default 1.
    pub num_of_hosts: Option<i32>,
    /// The worker Pod template; the Ray container is `containers[0]`.
    pub template: Option<PodTemplateSpec>,
    /// `ray start` flags, without the leading `--`.
    pub ray_start_params: Option<BTreeMap<String, String>>,
    /// Pods for the operator to delete.
    pub scale_strategy: Option<ScaleStrategy>,
    /// Suspend this group (`RayJob` use only).
    pub suspend: Option<bool>,
    /// Idle time before a worker is removed (autoscaler v2; raycc: the HPA scale-down window).
    pub idle_timeout_seconds: Option<i32>,
    /// Scheduling priority (autoscaler v2, Ray 2.56+).
    pub priority: Option<i32>,
    /// Ray resources; overrides the resource flags of `rayStartParams`.
    pub resources: Option<BTreeMap<String, String>>,
    /// Ray node labels; also added to the Pod labels.
    pub labels: Option<BTreeMap<String, String>>,
}

/// `scaleStrategy`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScaleStrategy {
    /// Pod names the operator deletes.
    pub workers_to_delete: Option<Vec<String>>,
}

/// `autoscalerOptions`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalerOptions {
    /// Autoscaler container resources.
    pub resources: Option<ResourceRequirements>,
    /// Autoscaler image.
    pub image: Option<String>,
    /// Autoscaler image pull policy.
    pub image_pull_policy: Option<String>,
    /// Autoscaler security context.
    pub security_context: Option<SecurityContext>,
    /// Idle time before a worker is removed, in seconds.
    pub idle_timeout_seconds: Option<i32>,
    /// Short form: idle time in minutes.
    pub idle_timeout_minutes: Option<i32>,
    /// How fast to scale up.
    pub upscaling_mode: Option<UpscalingMode>,
    /// Short form: the upscaling speed factor.
    pub upscaling_speed: Option<f64>,
    /// Autoscaler version.
    pub version: Option<AutoscalerVersion>,
    /// Autoscaler env.
    pub env: Option<Vec<EnvVar>>,
    /// Autoscaler envFrom.
    pub env_from: Option<Vec<EnvFromSource>>,
    /// Autoscaler volume mounts.
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// Autoscaler command.
    pub command: Option<Vec<String>>,
    /// Autoscaler args.
    pub args: Option<Vec<String>>,
}

/// `autoscalerOptions.upscalingMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum UpscalingMode {
    /// Speed 1000.
    Default,
    /// Speed 1000.
    Aggressive,
    /// Speed 1.
    Conservative,
}

/// `autoscalerOptions.version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum AutoscalerVersion {
    /// Autoscaler v1.
    #[serde(rename = "v1")]
    V1,
    /// Autoscaler v2.
    #[serde(rename = "v2")]
    V2,
}

/// `gcsFaultToleranceOptions`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GcsFaultToleranceOptions {
    /// Storage backend, default redis.
    pub backend: Option<GcsBackend>,
    /// Redis address.
    pub redis_address: Option<String>,
    /// Redis user name.
    pub redis_username: Option<RedisCredential>,
    /// Redis password.
    pub redis_password: Option<RedisCredential>,
    /// Redis key namespace.
    pub external_storage_namespace: Option<String>,
    /// Embedded storage (rocksdb backend).
    pub storage: Option<GcsStorage>,
}

/// A GCS storage backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GcsBackend {
    /// External Redis.
    Redis,
    /// Embedded RocksDB on a volume.
    Rocksdb,
}

/// A Redis credential: a literal value or a reference.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedisCredential {
    /// Literal value.
    pub value: Option<String>,
    /// Reference.
    pub value_from: Option<EnvVarSource>,
}

/// `gcsFaultToleranceOptions.storage`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GcsStorage {
    /// Existing claim.
    pub claim_name: Option<String>,
    /// Claim size.
    pub size: Option<Quantity>,
    /// Storage class.
    pub storage_class_name: Option<String>,
    /// Access modes.
    pub access_modes: Option<Vec<String>>,
    /// Sub path.
    pub sub_path: Option<String>,
    /// What happens to the claim when the cluster goes.
    pub deletion_policy: Option<DeletionPolicy>,
}

/// `storage.deletionPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum DeletionPolicy {
    /// Delete with the cluster.
    DeleteWithCluster,
    /// Keep.
    Retain,
}

/// `upgradeStrategy`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeStrategy {
    /// Strategy type.
    #[serde(rename = "type")]
    pub type_: Option<UpgradeType>,
}

/// `upgradeStrategy.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum UpgradeType {
    /// Recreate all Pods on change.
    Recreate,
    /// Leave running Pods alone.
    None,
}

/// `authOptions`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthOptions {
    /// `token` enables token authentication.
    pub mode: Option<AuthMode>,
    /// Secret holding `auth_token`.
    pub secret_name: Option<String>,
    /// Kubernetes service-account token authentication.
    #[serde(rename = "enableK8sTokenAuth")]
    #[schemars(rename = "enableK8sTokenAuth")]
    pub enable_k8s_token_auth: Option<bool>,
}

/// `authOptions.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// No authentication.
    Disabled,
    /// Token authentication.
    Token,
}

/// `historyServerOptions`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryServerOptions {
    /// The collector sidecar.
    pub collector_options: Option<CollectorOptions>,
}

/// `historyServerOptions.collectorOptions`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CollectorOptions {
    /// Image.
    pub image: Option<String>,
    /// Pull policy.
    pub image_pull_policy: Option<String>,
    /// Resources.
    pub resources: Option<ResourceRequirements>,
    /// Env.
    pub env: Option<Vec<EnvVar>>,
}

/// `networkPolicy`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicyOptions {
    /// Mode.
    pub mode: Option<NetworkPolicyMode>,
    /// Head rules.
    pub head: Option<NetworkPolicyRules>,
    /// Rules for every worker group.
    pub worker: Option<NetworkPolicyRules>,
    /// Per-group rules.
    pub worker_groups: Option<Vec<WorkerGroupNetworkPolicy>>,
}

/// `networkPolicy.mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum NetworkPolicyMode {
    /// Deny ingress and egress.
    DenyAll,
    /// Deny ingress.
    DenyAllIngress,
    /// Deny egress.
    DenyAllEgress,
}

/// Ingress and egress rules.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NetworkPolicyRules {
    /// Ingress rules.
    pub ingress_rules: Option<Vec<NetworkPolicyIngressRule>>,
    /// Egress rules.
    pub egress_rules: Option<Vec<NetworkPolicyEgressRule>>,
}

/// Rules for one worker group.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkerGroupNetworkPolicy {
    /// The group.
    #[schemars(required)]
    pub group_name: String,
    /// Ingress rules.
    pub ingress_rules: Option<Vec<NetworkPolicyIngressRule>>,
    /// Egress rules.
    pub egress_rules: Option<Vec<NetworkPolicyEgressRule>>,
}

/// `tlsOptions`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TlsOptions {
    /// Enable mutual TLS.
    pub enabled: Option<bool>,
}
