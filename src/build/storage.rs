//! Storage objects and Pod parts: a group's claim templates and retention policy, the Ray
//! container's `/tmp/ray` mount, and the embedded GCS store's claim, volume and mount.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSetPersistentVolumeClaimRetentionPolicy;
use k8s_openapi::api::core::v1::{
    Container, PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    PodSpec, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{CREATED_BY, LABEL_APP_NAME, LABEL_CLUSTER, LABEL_CREATED_BY, meta};
use crate::normalize::{
    EmbeddedPlan, GCS_STORAGE_PATH, GCS_STORAGE_VOLUME, GcsClaimPlan, ResolvedCluster,
    ResolvedGroup,
};

/// What Argo CD, Flux and Helm read to leave a claim in place when it leaves the manifests: Argo CD
/// neither prunes nor deletes it with the Application, Flux does not prune it, and Helm (raycc
/// as a post-renderer) keeps it on uninstall.
const RETAIN_ANNOTATIONS: [(&str, &str); 3] = [
    (
        "argocd.argoproj.io/sync-options",
        "Prune=false,Delete=false",
    ),
    ("kustomize.toolkit.fluxcd.io/prune", "disabled"),
    ("helm.sh/resource-policy", "keep"),
];

/// The group's Pod spec without the volumes its StatefulSet provides from claim templates, and
/// with the Ray container's extra mounts (a mount path it already has is left alone).
pub(super) fn apply(g: &ResolvedGroup, spec: &mut PodSpec) {
    let s = &g.storage;
    if !s.claims.is_empty()
        && let Some(volumes) = spec.volumes.as_mut()
    {
        volumes.retain(|v| {
            !s.claims
                .iter()
                .any(|c| c.metadata.name.as_deref() == Some(v.name.as_str()))
        });
        if volumes.is_empty() {
            spec.volumes = None;
        }
    }
    if let Some(ray) = spec.containers.first_mut() {
        let mounts = ray.volume_mounts.get_or_insert_with(Vec::new);
        for m in &s.ray_mounts {
            if !mounts.iter().any(|x| x.mount_path == m.mount_path) {
                mounts.push(m.clone());
            }
        }
    }
}

/// The StatefulSet's claim templates and retention policy, when the group has claims.
pub(super) fn claim_templates(
    g: &ResolvedGroup,
) -> (
    Option<Vec<PersistentVolumeClaim>>,
    Option<StatefulSetPersistentVolumeClaimRetentionPolicy>,
) {
    let s = &g.storage;
    if s.claims.is_empty() {
        return (None, None);
    }
    let policy = s
        .retention
        .map(|r| StatefulSetPersistentVolumeClaimRetentionPolicy {
            when_deleted: Some(r.when_deleted.as_str().to_string()),
            when_scaled: Some(r.when_scaled.as_str().to_string()),
        });
    (Some(s.claims.clone()), policy)
}

/// The embedded GCS store's claim, `<cluster>-gcs-pvc`. Mirrors `BuildGCSStoragePVC`
/// (ray-operator/controllers/ray/common/gcs_ft.go, KubeRay v1.7.0). The operator makes the
/// RayCluster its owner unless `deletionPolicy: Retain`; raycc's output is applied by Argo CD or
/// Flux instead, so a retained claim carries the annotations that keep them from deleting it.
pub(super) fn gcs_claim(
    r: &ResolvedCluster,
    plan: &EmbeddedPlan,
    c: &GcsClaimPlan,
) -> PersistentVolumeClaim {
    let labels = BTreeMap::from([
        (LABEL_CLUSTER.to_string(), r.name.clone()),
        (LABEL_APP_NAME.to_string(), "kuberay".to_string()),
        (LABEL_CREATED_BY.to_string(), CREATED_BY.to_string()),
    ]);
    let mut metadata = meta(r, &plan.claim_name, labels);
    if c.retain {
        metadata.annotations = Some(
            RETAIN_ANNOTATIONS
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        );
    }
    PersistentVolumeClaim {
        metadata,
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(c.access_modes.clone()),
            storage_class_name: c.storage_class.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([(
                    "storage".to_string(),
                    Quantity(c.size.clone()),
                )])),
                limits: None,
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    }
}

/// The head's store: the claim's volume and its mount at `/data/gcs`. Mirrors the volume part
/// of `configureEmbeddedFT` (common/pod.go, KubeRay v1.7.0).
pub(super) fn add_gcs_storage(plan: &EmbeddedPlan, ray: &mut Container, volumes: &mut Vec<Volume>) {
    ray.volume_mounts
        .get_or_insert_with(Vec::new)
        .push(VolumeMount {
            name: GCS_STORAGE_VOLUME.into(),
            mount_path: GCS_STORAGE_PATH.into(),
            sub_path: plan.sub_path.clone(),
            ..VolumeMount::default()
        });
    volumes.push(Volume {
        name: GCS_STORAGE_VOLUME.into(),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name: plan.claim_name.clone(),
            read_only: None,
        }),
        ..Volume::default()
    });
}
