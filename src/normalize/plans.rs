//! Cluster-wide plans: the head Service, token authentication and GCS fault tolerance.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;

use crate::model::{AuthMode, DeletionPolicy, GcsBackend, RayClusterSpec, RedisCredential};
use crate::names;

/// The head Service plan.
#[derive(Clone, Debug)]
pub struct HeadServicePlan {
    /// Name.
    pub name: String,
    /// `type`, when set.
    pub type_: Option<String>,
    /// Annotations from `headServiceAnnotations`.
    pub annotations: BTreeMap<String, String>,
    /// A user-provided base Service.
    pub custom: Option<Service>,
}

/// The head Service: `headGroupSpec.headService` as the base when given, its name, else
/// `<cluster>-head-svc`; the type from the base, `headGroupSpec.serviceType` or the short
/// form's `headService.type`. Mirrors `GenerateHeadServiceName`
/// (ray-operator/controllers/ray/utils/util.go) and `BuildServiceForHeadPod`
/// (common/service.go, KubeRay v1.7.0).
pub(super) fn head_service(cluster: &str, spec: &RayClusterSpec) -> HeadServicePlan {
    let head = spec.head_group_spec.as_ref();
    let custom = head.and_then(|h| h.head_service.clone());
    let name = custom
        .as_ref()
        .and_then(|s| s.metadata.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("{cluster}-head-svc"));
    let type_ = custom
        .as_ref()
        .and_then(|s| s.spec.as_ref())
        .and_then(|s| s.type_.clone())
        .or_else(|| {
            head.and_then(|h| h.service_type)
                .map(|t| t.as_str().to_string())
        })
        .or_else(|| {
            spec.head_service
                .as_ref()
                .and_then(|h| h.type_)
                .map(|t| t.as_str().to_string())
        });
    HeadServicePlan {
        name,
        type_,
        annotations: spec.head_service_annotations.clone().unwrap_or_default(),
        custom,
    }
}

/// Token authentication as the Pods carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenAuth {
    /// `RAY_AUTH_TOKEN` from this Secret's key `auth_token`.
    Secret(String),
    /// Kubernetes service-account tokens, projected into the Ray containers.
    Kubernetes,
}

/// `authOptions` with `mode: token`; the Secret defaults to the cluster name (as `CheckName`
/// clips it). Mirrors `SetContainerTokenAuthEnvVars` (common/pod.go, KubeRay v1.7.0).
pub(super) fn token_auth(cluster: &str, spec: &RayClusterSpec) -> Option<TokenAuth> {
    let a = spec
        .auth_options
        .as_ref()
        .filter(|a| a.mode == Some(AuthMode::Token))?;
    Some(if a.enable_k8s_token_auth == Some(true) {
        TokenAuth::Kubernetes
    } else {
        TokenAuth::Secret(
            a.secret_name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| names::check_name(cluster)),
        )
    })
}

/// GCS fault tolerance.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultTolerance {
    /// Off: the GCS keeps its state in memory.
    Off,
    /// The GCS keeps its state in an external Redis.
    Redis(Box<RedisPlan>),
    /// The GCS keeps its state in RocksDB on a claim mounted in the head Pod.
    Embedded(Box<EmbeddedPlan>),
}

impl FaultTolerance {
    /// True unless off.
    #[must_use]
    pub fn enabled(&self) -> bool {
        !matches!(self, FaultTolerance::Off)
    }
}

/// Redis-backed GCS fault tolerance, on the head.
#[derive(Clone, Debug, PartialEq)]
pub struct RedisPlan {
    /// The key namespace: `externalStorageNamespace`, the `ray.io/external-storage-namespace`
    /// annotation, else the cluster name (the operator uses the RayCluster's UID, which does not
    /// exist offline).
    pub storage_namespace: String,
    /// `RAY_REDIS_ADDRESS`, from `redisAddress`.
    pub address: Option<String>,
    /// `REDIS_USERNAME`, from `redisUsername`.
    pub username: Option<RedisCredential>,
    /// `REDIS_PASSWORD`, from `redisPassword`, or for a cluster enabled by the
    /// `ray.io/ft-enabled` annotation the head's `redis-password` start parameter.
    pub password: Option<RedisCredential>,
    /// The credentials come from `gcsFaultToleranceOptions`, so `ray start` reads them from the
    /// environment (`--redis-password=$REDIS_PASSWORD`).
    pub from_options: bool,
}

/// Embedded (RocksDB) GCS fault tolerance: the head mounts a claim at `/data/gcs`.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddedPlan {
    /// The claim the head mounts: `storage.claimName`, else `<cluster>-gcs-pvc`.
    pub claim_name: String,
    /// `storage.subPath`: the part of the volume mounted at `/data/gcs`.
    pub sub_path: Option<String>,
    /// The claim raycc emits; `None` when `storage.claimName` names an existing one.
    pub claim: Option<GcsClaimPlan>,
}

/// The `<cluster>-gcs-pvc` claim. Mirrors `BuildGCSStoragePVC`
/// (ray-operator/controllers/ray/common/gcs_ft.go, KubeRay v1.7.0).
#[derive(Clone, Debug, PartialEq)]
pub struct GcsClaimPlan {
    /// `storage.size`, default 1Gi.
    pub size: String,
    /// `storage.storageClassName`; the cluster's default class when absent.
    pub storage_class: Option<String>,
    /// `storage.accessModes`, default `[ReadWriteOnce]`.
    pub access_modes: Vec<String>,
    /// `deletionPolicy: Retain`: Argo CD, Flux and Helm must leave the claim in place when it leaves the
    /// manifests (the operator leaves out its ownerReference instead).
    pub retain: bool,
}

/// Where the embedded store is mounted in the head's Ray container. Mirrors
/// `GCSStorageMountPath` (ray-operator/controllers/ray/utils/constant.go, KubeRay v1.7.0).
pub const GCS_STORAGE_PATH: &str = "/data/gcs";
/// The head Pod's volume holding the embedded store (`GCSStorageVolumeName`).
pub const GCS_STORAGE_VOLUME: &str = "gcs-storage";

/// The embedded backend's plan. Mirrors `GetGCSStoragePVCName`
/// (ray-operator/controllers/ray/utils/util.go) and the claim `reconcileGCSStoragePVC` creates
/// (`raycluster_controller.go`, KubeRay v1.7.0): none for an existing `claimName`.
fn embedded(cluster: &str, spec: &RayClusterSpec) -> EmbeddedPlan {
    let storage = spec
        .gcs_fault_tolerance_options
        .as_ref()
        .and_then(|o| o.storage.as_ref());
    let existing = storage
        .and_then(|s| s.claim_name.clone())
        .filter(|n| !n.is_empty());
    let claim = existing.is_none().then(|| GcsClaimPlan {
        size: storage
            .and_then(|s| s.size.as_ref())
            .map_or_else(|| "1Gi".to_string(), |q| q.0.clone()),
        storage_class: storage.and_then(|s| s.storage_class_name.clone()),
        access_modes: storage
            .and_then(|s| s.access_modes.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| vec!["ReadWriteOnce".to_string()]),
        retain: storage.and_then(|s| s.deletion_policy) == Some(DeletionPolicy::Retain),
    });
    EmbeddedPlan {
        claim_name: existing.unwrap_or_else(|| format!("{cluster}-gcs-pvc")),
        sub_path: storage
            .and_then(|s| s.sub_path.clone())
            .filter(|p| !p.is_empty()),
        claim,
    }
}

/// GCS fault tolerance: on with `gcsFaultToleranceOptions` or the `ray.io/ft-enabled: "true"`
/// annotation, on RocksDB in the head Pod with `backend: rocksdb`, else on Redis. Mirrors
/// `IsGCSFaultToleranceEnabled` and `IsGCSFaultToleranceEmbedded`
/// (ray-operator/controllers/ray/utils/util.go) and `configureRedisFT` (common/pod.go,
/// KubeRay v1.7.0).
pub(super) fn fault_tolerance(
    cluster: &str,
    spec: &RayClusterSpec,
    annotations: &BTreeMap<String, String>,
) -> FaultTolerance {
    let options = spec.gcs_fault_tolerance_options.as_ref();
    let annotated = annotations
        .get("ray.io/ft-enabled")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if options.is_none() && !annotated {
        return FaultTolerance::Off;
    }
    if options.and_then(|o| o.backend) == Some(GcsBackend::Rocksdb) {
        return FaultTolerance::Embedded(Box::new(embedded(cluster, spec)));
    }
    let storage_namespace = options
        .and_then(|o| o.external_storage_namespace.clone())
        .or_else(|| {
            annotations
                .get("ray.io/external-storage-namespace")
                .cloned()
        })
        .unwrap_or_else(|| cluster.to_string());
    FaultTolerance::Redis(Box::new(match options {
        Some(o) => RedisPlan {
            storage_namespace,
            address: o.redis_address.clone(),
            username: o.redis_username.clone(),
            password: o.redis_password.clone(),
            from_options: true,
        },
        None => RedisPlan {
            storage_namespace,
            address: None,
            username: None,
            password: spec
                .head_group_spec
                .as_ref()
                .and_then(|h| h.ray_start_params.as_ref())
                .and_then(|p| p.get("redis-password"))
                .map(|pw| RedisCredential {
                    value: Some(pw.clone()),
                    value_from: None,
                }),
            from_options: false,
        },
    }))
}
