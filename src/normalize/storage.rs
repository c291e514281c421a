//! Per-Pod storage, and what Ray keeps on it.
//!
//! A Pod template volume of the generic ephemeral kind (`ephemeral.volumeClaimTemplate`) is
//! valid Kubernetes, so the same RayCluster file still works with the CRD and the operator,
//! which gives each Pod a claim that is deleted with it. raycc reads annotations on the claim
//! template's own metadata, which the operator passes on to the claim unread:
//!
//! - `raycc.io/per-pod-claim: "true"`: the volume becomes a claim template of the group's
//!   StatefulSet (the head's too), so each Pod keeps its claim across restarts and
//!   rescheduling. The Pod's volume entry goes (the StatefulSet provides the volume under the
//!   same name) and every mount of it stays. A Deployment cannot hold per-Pod claims (error
//!   RC319); a group scaled by Ray's autoscaler keeps the ephemeral volume (warning RC320).
//! - `raycc.io/when-deleted` and `raycc.io/when-scaled` (`Retain` or `Delete`): the
//!   StatefulSet's `persistentVolumeClaimRetentionPolicy`, one per StatefulSet, so the claims of
//!   one group must agree. Kubernetes' default, `Retain`, applies to what is not set.
//! - `raycc.io/ray-use` (`object-spilling`, `tmp-ray`, or both, comma-separated): Ray spills
//!   objects to the volume's mount path in the Ray container, and keeps `/tmp/ray` (session
//!   files and logs) on the volume: the volume is mounted there with `subPath: tmp-ray`, so the
//!   autoscaler sidecar, which shares the Ray container's `/tmp/ray`, shares it too.
//!
//! Ray ≥ 2.55.0 takes a spilling directory per node (`--object-spilling-directory`, which
//! exists from 2.45.0). Before 2.55.0 every node spills to the directory of the head's
//! spilling config (`--object-spilling-directory` on the head from 2.45.0, `--system-config`
//! with `object_spilling_config` before), so raycc points spilling at volumes only when the
//! head and every worker group ask for it at the same path (error RC322 otherwise). A setting
//! the group already makes itself is kept, with warning RC321.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimTemplate, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{ResolvedGroup, Workload};
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::raystart::NodeType;

/// The claim template annotation that asks for a claim per Pod.
pub const PER_POD_CLAIM: &str = "raycc.io/per-pod-claim";
/// The claim template annotation for `persistentVolumeClaimRetentionPolicy.whenDeleted`.
pub const WHEN_DELETED: &str = "raycc.io/when-deleted";
/// The claim template annotation for `persistentVolumeClaimRetentionPolicy.whenScaled`.
pub const WHEN_SCALED: &str = "raycc.io/when-scaled";
/// The claim template annotation that says what Ray keeps on the volume.
pub const RAY_USE: &str = "raycc.io/ray-use";
/// Ray's temporary directory, shared by the Ray container and the autoscaler sidecar.
pub const RAY_TMP_PATH: &str = "/tmp/ray";
/// The part of a `tmp-ray` volume mounted at `/tmp/ray`.
pub const TMP_RAY_SUB_PATH: &str = "tmp-ray";
/// The first Ray whose `ray start` has `--object-spilling-directory`.
pub const SPILLING_FLAG_SINCE: (u64, u64, u64) = (2, 45, 0);
/// The first Ray in which a worker node spills to its own directory rather than the head's.
pub const PER_NODE_SPILLING_SINCE: (u64, u64, u64) = (2, 55, 0);

/// What happens to a group's claims when its StatefulSet is deleted or scaled down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Keep the claim and its data.
    Retain,
    /// Delete the claim.
    Delete,
}

impl Policy {
    fn parse(s: &str) -> Option<Policy> {
        match s {
            "Retain" => Some(Policy::Retain),
            "Delete" => Some(Policy::Delete),
            _ => None,
        }
    }

    /// `Retain` or `Delete`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Retain => "Retain",
            Policy::Delete => "Delete",
        }
    }
}

/// A StatefulSet's `persistentVolumeClaimRetentionPolicy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    /// When the StatefulSet is deleted.
    pub when_deleted: Policy,
    /// When it is scaled down (or suspended: scaled to zero).
    pub when_scaled: Policy,
}

/// A group's storage plan.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupStorage {
    /// The StatefulSet's claim templates, one per volume, named after it, in volume order.
    /// The Pod template loses those volumes.
    pub claims: Vec<PersistentVolumeClaim>,
    /// The retention policy, when there are claims.
    pub retention: Option<Retention>,
    /// Mounts added to the Ray container (a `tmp-ray` volume at `/tmp/ray`).
    pub ray_mounts: Vec<VolumeMount>,
}

/// What a volume asks Ray to keep on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    ObjectSpilling,
    TmpRay,
}

/// One group's request to spill to a volume.
#[derive(Clone, Debug)]
struct Spill {
    /// The volume's mount path in the Ray container.
    path: String,
    /// Where the request is written.
    at: String,
}

/// What one group asks of Ray, with its location.
struct Asks {
    /// The group's pointer.
    group_ptr: String,
    /// `head group` or `worker group NAME`.
    who: String,
    spill: Option<Spill>,
}

/// Plans every group's storage and the `ray start` flags that put Ray on it.
pub(super) fn plan(
    ray_version: Option<&str>,
    head: &mut ResolvedGroup,
    workers: &mut [ResolvedGroup],
    warnings: &mut Vec<Finding>,
) {
    let mut asks = vec![group(head, "/spec/headGroupSpec", warnings)];
    for (i, g) in workers.iter_mut().enumerate() {
        asks.push(group(g, &format!("/spec/workerGroupSpecs/{i}"), warnings));
    }
    let version = ray_version.and_then(crate::validate::parse_version);
    if !spilling_is_safe(version, ray_version, &asks, warnings) {
        return;
    }
    for (g, a) in std::iter::once(head).chain(workers.iter_mut()).zip(&asks) {
        if let Some(spill) = &a.spill {
            spill_to(g, version, &a.group_ptr, spill, warnings);
        }
    }
}

/// The group's volumes: claim templates, retention and `/tmp/ray`; returns its spilling
/// request.
fn group(g: &mut ResolvedGroup, group_ptr: &str, warnings: &mut Vec<Finding>) -> Asks {
    let who = match g.node {
        NodeType::Head => "the head group".to_string(),
        NodeType::Worker => format!("worker group {}", g.group),
    };
    let spec = g.template.spec.as_ref();
    let volumes: Vec<Volume> = spec.and_then(|s| s.volumes.clone()).unwrap_or_default();
    let ray_mounts: Vec<VolumeMount> = spec
        .and_then(|s| s.containers.first())
        .and_then(|c| c.volume_mounts.clone())
        .unwrap_or_default();
    let mut c = Collector {
        who: &who,
        workload: g.workload,
        ray_mounts: &ray_mounts,
        warnings,
        storage: GroupStorage::default(),
        retention: [None, None],
        spill: None,
        tmp: None,
    };
    for (j, v) in volumes.iter().enumerate() {
        if let Some(tpl) = v
            .ephemeral
            .as_ref()
            .and_then(|e| e.volume_claim_template.as_ref())
        {
            c.volume(&format!("{group_ptr}/template/spec/volumes/{j}"), v, tpl);
        }
    }
    let Collector {
        mut storage,
        retention,
        spill,
        tmp,
        warnings,
        ..
    } = c;
    if !storage.claims.is_empty() {
        storage.retention = Some(Retention {
            when_deleted: retention[0].as_ref().map_or(Policy::Retain, |r| r.0),
            when_scaled: retention[1].as_ref().map_or(Policy::Retain, |r| r.0),
        });
    }
    if let Some((volume, at)) = tmp {
        tmp_ray(
            g,
            group_ptr,
            &ray_mounts,
            &volume,
            &at,
            &mut storage,
            warnings,
        );
    }
    g.storage = storage;
    Asks {
        group_ptr: group_ptr.to_string(),
        who,
        spill,
    }
}

/// What one group's volumes ask for, collected volume by volume.
struct Collector<'a> {
    who: &'a str,
    workload: Workload,
    ray_mounts: &'a [VolumeMount],
    warnings: &'a mut Vec<Finding>,
    storage: GroupStorage,
    /// `whenDeleted` and `whenScaled`, with where each was first set.
    retention: [Option<(Policy, String)>; 2],
    spill: Option<Spill>,
    /// The `tmp-ray` volume, with where it was asked for.
    tmp: Option<(String, String)>,
}

impl Collector<'_> {
    fn invalid(&mut self, at: String, message: String, help: &str) {
        self.warnings
            .push(Finding::new(Code::InvalidSetting, at, message).help(help));
    }

    /// One ephemeral volume at `vp`.
    fn volume(&mut self, vp: &str, v: &Volume, tpl: &PersistentVolumeClaimTemplate) {
        let ann_ptr = format!("{vp}/ephemeral/volumeClaimTemplate/metadata/annotations");
        let empty = BTreeMap::new();
        let ann = tpl
            .metadata
            .as_ref()
            .and_then(|m| m.annotations.as_ref())
            .unwrap_or(&empty);
        let per_pod = match ann.get(PER_POD_CLAIM).map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                self.invalid(
                    child(&ann_ptr, PER_POD_CLAIM),
                    format!("`{PER_POD_CLAIM}` must be \"true\" or \"false\", found `{other}`"),
                    "write \"true\" to give each Pod its own claim",
                );
                false
            }
        };
        for (slot, key) in [WHEN_DELETED, WHEN_SCALED].into_iter().enumerate() {
            if let Some(value) = ann.get(key) {
                self.retention(slot, key, value, &child(&ann_ptr, key), per_pod, &v.name);
            }
        }
        if per_pod {
            self.per_pod_claim(vp, v, tpl);
        }
        if let Some(uses) = ann.get(RAY_USE) {
            let at = child(&ann_ptr, RAY_USE);
            for word in uses.split(',').map(str::trim) {
                self.ray_use(&at, word, &v.name);
            }
        }
    }

    /// `raycc.io/when-deleted` (slot 0) or `raycc.io/when-scaled` (slot 1).
    fn retention(
        &mut self,
        slot: usize,
        key: &str,
        value: &str,
        at: &str,
        per_pod: bool,
        volume: &str,
    ) {
        let Some(policy) = Policy::parse(value) else {
            self.invalid(
                at.to_string(),
                format!("`{key}` must be `Retain` or `Delete`, found `{value}`"),
                "write Retain to keep the claims and their data, or Delete",
            );
            return;
        };
        if !per_pod {
            self.invalid(
                at.to_string(),
                format!("`{key}` applies only to a volume with `{PER_POD_CLAIM}: \"true\"` (volume `{volume}`)"),
                "add the per-Pod claim annotation, or remove this one",
            );
            return;
        }
        match &self.retention[slot] {
            Some((earlier, first)) if *earlier != policy => {
                let finding = Finding::new(
                    Code::InvalidSetting,
                    at,
                    format!(
                        "`{key}` is `{}` here but `{}` on another claim of {}; a StatefulSet has one retention policy for all its claims",
                        policy.as_str(),
                        earlier.as_str(),
                        self.who
                    ),
                )
                .related(first.clone(), "set here")
                .help("give every claim of the group the same policy");
                self.warnings.push(finding);
            }
            Some(_) => {}
            None => self.retention[slot] = Some((policy, at.to_string())),
        }
    }

    /// A per-Pod claim: a claim template of a StatefulSet; refused for a Deployment; an
    /// ephemeral volume for Ray's autoscaler.
    fn per_pod_claim(&mut self, vp: &str, v: &Volume, tpl: &PersistentVolumeClaimTemplate) {
        let who = self.who;
        let finding = match self.workload {
            Workload::StatefulSet => {
                self.storage.claims.push(claim(&v.name, tpl));
                return;
            }
            Workload::Deployment => Finding::new(
                Code::PerPodClaimDeployment,
                vp,
                format!(
                    "volume `{}` asks for a claim per Pod, but {who} runs as a Deployment, which cannot hold per-Pod claims",
                    v.name
                ),
            )
            .help("run the group as a StatefulSet, or remove `raycc.io/per-pod-claim` to keep a volume that lives as long as its Pod"),
            Workload::PodTemplate => Finding::new(
                Code::PerPodClaimAutoscaled,
                vp,
                format!(
                    "volume `{}` stays an ephemeral volume: Ray's autoscaler creates the Pods of {who} without a StatefulSet, so its claim is created and deleted with each Pod",
                    v.name
                ),
            )
            .help("remove `raycc.io/per-pod-claim` if a volume per Pod is what you need; scale the group without Ray's autoscaler to keep claims across Pods"),
        };
        self.warnings.push(finding);
    }

    /// One word of `raycc.io/ray-use`, asked at `at` for `volume`.
    fn ray_use(&mut self, at: &str, word: &str, volume: &str) {
        let kind = match word {
            "object-spilling" => Use::ObjectSpilling,
            "tmp-ray" => Use::TmpRay,
            other => {
                self.invalid(
                    at.to_string(),
                    format!("`{RAY_USE}` takes `object-spilling` and `tmp-ray`, found `{other}`"),
                    "write `object-spilling`, `tmp-ray` or `object-spilling,tmp-ray`",
                );
                return;
            }
        };
        let first = match kind {
            Use::ObjectSpilling => self.spill.as_ref().map(|s| s.at.clone()),
            Use::TmpRay => self.tmp.as_ref().map(|t| t.1.clone()),
        };
        if let Some(first) = first {
            let finding = Finding::new(
                Code::InvalidSetting,
                at,
                format!("{} asks for `{word}` on two volumes", self.who),
            )
            .related(first, "first asked here")
            .help("ask for it on one volume");
            self.warnings.push(finding);
            return;
        }
        if kind == Use::TmpRay {
            self.tmp = Some((volume.to_string(), at.to_string()));
            return;
        }
        let Some(mount) = self.ray_mounts.iter().find(|m| m.name == volume) else {
            self.invalid(
                at.to_string(),
                format!("volume `{volume}` asks for object spilling, but the Ray container (the first container) does not mount it"),
                "mount the volume in the Ray container; Ray spills to its mount path",
            );
            return;
        };
        if !plain_path(&mount.mount_path) {
            let path = mount.mount_path.clone();
            self.invalid(
                at.to_string(),
                format!("the mount path `{path}` of volume `{volume}` cannot be passed to `ray start` as it is"),
                "mount the volume at a path of letters, digits, '/', '.', '_' and '-'",
            );
            return;
        }
        self.spill = Some(Spill {
            path: mount.mount_path.clone(),
            at: at.to_string(),
        });
    }
}

/// The claim template made from an ephemeral volume's claim template: named after the volume,
/// with its labels, its annotations except raycc's, and its spec.
fn claim(name: &str, tpl: &PersistentVolumeClaimTemplate) -> PersistentVolumeClaim {
    let meta = tpl.metadata.clone().unwrap_or_default();
    let annotations: BTreeMap<String, String> = meta
        .annotations
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("raycc.io/"))
        .collect();
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: meta.labels.filter(|l| !l.is_empty()),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..ObjectMeta::default()
        },
        spec: Some(tpl.spec.clone()),
        status: None,
    }
}

/// `/tmp/ray` on the volume: a mount with `subPath: tmp-ray`, unless the group keeps Ray's
/// temporary directory elsewhere itself.
fn tmp_ray(
    g: &ResolvedGroup,
    group_ptr: &str,
    ray_mounts: &[VolumeMount],
    volume: &str,
    at: &str,
    storage: &mut GroupStorage,
    warnings: &mut Vec<Finding>,
) {
    if let Some(dir) = g.params.get("temp-dir") {
        warnings.push(
            Finding::new(
                Code::RayStorageKept,
                child(&child(group_ptr, "rayStartParams"), "temp-dir"),
                format!("Ray's temporary directory is `{dir}` (temp-dir), so volume `{volume}` is not mounted at /tmp/ray; raycc keeps temp-dir"),
            )
            .related(at.to_string(), "tmp-ray asked here")
            .help("remove temp-dir, or `tmp-ray` from the volume's annotation"),
        );
        return;
    }
    match ray_mounts.iter().position(|m| m.mount_path == RAY_TMP_PATH) {
        Some(i) if ray_mounts[i].name == volume => {}
        Some(i) => warnings.push(
            Finding::new(
                Code::RayStorageKept,
                format!("{group_ptr}/template/spec/containers/0/volumeMounts/{i}"),
                format!(
                    "/tmp/ray is already mounted from volume `{}`; raycc keeps that mount instead of putting it on volume `{volume}`",
                    ray_mounts[i].name
                ),
            )
            .related(at.to_string(), "tmp-ray asked here")
            .help("remove the other mount of /tmp/ray, or `tmp-ray` from the volume's annotation"),
        ),
        None => storage.ray_mounts.push(VolumeMount {
            name: volume.to_string(),
            mount_path: RAY_TMP_PATH.to_string(),
            sub_path: Some(TMP_RAY_SUB_PATH.to_string()),
            ..VolumeMount::default()
        }),
    }
}

/// Before Ray 2.55.0 every node spills to the head's directory: asking for a spilling volume
/// is honoured only when the head and every worker group ask at the same path.
fn spilling_is_safe(
    version: Option<(u64, u64, u64)>,
    written: Option<&str>,
    asks: &[Asks],
    warnings: &mut Vec<Finding>,
) -> bool {
    let Some(first) = asks.iter().find_map(|a| a.spill.as_ref()) else {
        return true;
    };
    // An unknown version (`nightly`, or none: the images decide) is taken as current.
    if version.is_none_or(|v| v >= PER_NODE_SPILLING_SINCE) {
        return true;
    }
    let odd = asks.iter().find_map(|a| match &a.spill {
        None => Some(format!(
            "{} does not ask for object spilling on a volume",
            a.who
        )),
        Some(s) if s.path != first.path => Some(format!(
            "{} spills to `{}`, not `{}`",
            a.who, s.path, first.path
        )),
        Some(_) => None,
    });
    let Some(odd) = odd else { return true };
    warnings.push(
        Finding::new(
            Code::SpillingClusterWide,
            first.at.clone(),
            format!(
                "Ray {} spills every node's objects to the directory the head sets, but {odd}",
                written.unwrap_or_default()
            ),
        )
        .help("use Ray 2.55.0 or newer, where each node spills to its own directory, or give the head and every worker group a spilling volume at the same path"),
    );
    false
}

/// Points the group's spilling at its volume, unless it sets a spilling directory itself.
fn spill_to(
    g: &mut ResolvedGroup,
    version: Option<(u64, u64, u64)>,
    group_ptr: &str,
    spill: &Spill,
    warnings: &mut Vec<Finding>,
) {
    let flag = version.is_none_or(|v| v >= SPILLING_FLAG_SINCE);
    // Before 2.45.0 only the head's system config sets it, for every node.
    let param = match (flag, g.node) {
        (true, _) => "object-spilling-directory",
        (false, NodeType::Head) => "system-config",
        (false, NodeType::Worker) => return,
    };
    if let Some(own) = g.params.get(param) {
        warnings.push(
            Finding::new(
                Code::RayStorageKept,
                child(&child(group_ptr, "rayStartParams"), param),
                format!("{param} is already set (`{own}`); raycc keeps it, so Ray does not spill to `{}`", spill.path),
            )
            .related(spill.at.clone(), "object spilling asked here")
            .help(if flag {
                "remove object-spilling-directory, or `object-spilling` from the volume's annotation"
            } else {
                "add object_spilling_config to the system config yourself, or remove `object-spilling` from the volume's annotation"
            }),
        );
        return;
    }
    let value = if flag {
        spill.path.clone()
    } else {
        let config =
            serde_json::json!({"type": "filesystem", "params": {"directory_path": spill.path}});
        format!(
            "'{}'",
            serde_json::json!({"object_spilling_config": config.to_string()})
        )
    };
    g.params.insert(param.to_string(), value);
}

/// A path `ray start` takes unquoted inside the container's `bash -c` script.
fn plain_path(p: &str) -> bool {
    !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::normalize::{Options, ResolvedCluster, normalize};

    fn resolve(metadata: Value, spec: Value) -> (ResolvedCluster, Vec<Finding>) {
        let mut v = json!({"apiVersion": "ray.io/v1", "kind": "RayCluster"});
        v["metadata"] = metadata;
        v["spec"] = spec;
        normalize(serde_json::from_value(v).unwrap(), &Options::default())
    }

    /// A template whose Ray container mounts `volume` at `path`, the volume's claim template
    /// carrying `annotations`.
    fn template(container: &str, path: &str, annotations: Value) -> Value {
        let mut t = json!({"spec": {
            "containers": [{"name": container,
                "volumeMounts": [{"name": "disk", "mountPath": path}]}],
            "volumes": [{"name": "disk", "ephemeral": {"volumeClaimTemplate": {
                "metadata": {"labels": {"tier": "fast"}},
                "spec": {"accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "10Gi"}}}}}}]}});
        t["spec"]["volumes"][0]["ephemeral"]["volumeClaimTemplate"]["metadata"]["annotations"] =
            annotations;
        t
    }

    fn cluster(version: &str, head: Option<Value>, worker: Value) -> Value {
        let mut spec = json!({"rayVersion": version, "workerGroupSpecs": [{"groupName": "cpu",
            "replicas": 1, "minReplicas": 1, "maxReplicas": 1}]});
        spec["workerGroupSpecs"][0]["template"] = worker;
        if let Some(h) = head {
            spec["headGroupSpec"] = json!({"template": h});
        }
        spec
    }

    fn codes(w: &[Finding]) -> Vec<Code> {
        w.iter().map(|f| f.code).collect()
    }

    #[test]
    fn turns_a_per_pod_claim_into_a_claim_template_without_raycc_s_annotations() {
        let (r, w) = resolve(
            json!({"name": "demo"}),
            cluster(
                "2.57.0",
                None,
                template(
                    "ray-worker",
                    "/mnt/disk",
                    json!({"raycc.io/per-pod-claim": "true", "raycc.io/when-scaled": "Delete",
                    "backup.example.com/skip": "true"}),
                ),
            ),
        );
        assert!(w.is_empty(), "{w:?}");
        let s = &r.workers[0].storage;
        assert_eq!(s.claims.len(), 1);
        let claim = serde_json::to_value(&s.claims[0]).unwrap();
        assert_eq!(claim["metadata"]["name"], "disk");
        assert_eq!(
            claim["metadata"]["annotations"],
            json!({"backup.example.com/skip": "true"})
        );
        assert_eq!(claim["metadata"]["labels"], json!({"tier": "fast"}));
        assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "10Gi");
        assert_eq!(
            s.retention,
            Some(Retention {
                when_deleted: Policy::Retain,
                when_scaled: Policy::Delete
            })
        );
        assert_eq!(r.head.storage, GroupStorage::default());
    }

    #[test]
    fn spills_to_each_node_s_own_volume_from_ray_2_55() {
        let (r, w) = resolve(
            json!({"name": "demo"}),
            cluster(
                "2.55.0",
                None,
                template(
                    "ray-worker",
                    "/mnt/disk",
                    json!({"raycc.io/ray-use": "object-spilling"}),
                ),
            ),
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            r.workers[0].params["object-spilling-directory"],
            "/mnt/disk"
        );
        assert!(!r.head.params.contains_key("object-spilling-directory"));
        // Not a per-Pod claim: the volume stays ephemeral.
        assert!(r.workers[0].storage.claims.is_empty());
    }

    #[test]
    fn spills_to_the_head_s_directory_before_ray_2_55_only_when_every_group_agrees() {
        let spill = json!({"raycc.io/ray-use": "object-spilling"});
        let worker = template("ray-worker", "/mnt/spill", spill.clone());
        let (_, w) = resolve(
            json!({"name": "demo"}),
            cluster("2.54.0", None, worker.clone()),
        );
        assert_eq!(codes(&w), [Code::SpillingClusterWide]);
        assert!(
            w[0].message
                .ends_with("but the head group does not ask for object spilling on a volume")
        );
        let head_elsewhere = template("ray-head", "/mnt/other", spill.clone());
        let (_, w) = resolve(
            json!({"name": "demo"}),
            cluster("2.54.0", Some(head_elsewhere), worker.clone()),
        );
        assert!(
            w[0].message
                .ends_with("worker group cpu spills to `/mnt/spill`, not `/mnt/other`")
        );
        let head = template("ray-head", "/mnt/spill", spill);
        let (r, w) = resolve(
            json!({"name": "demo"}),
            cluster("2.45.0", Some(head.clone()), worker.clone()),
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(r.head.params["object-spilling-directory"], "/mnt/spill");
        assert_eq!(
            r.workers[0].params["object-spilling-directory"],
            "/mnt/spill"
        );
        // Before 2.45 only the head's system config can say it, for every node.
        let (r, w) = resolve(
            json!({"name": "demo"}),
            cluster("2.44.1", Some(head), worker),
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            r.head.params["system-config"],
            r#"'{"object_spilling_config":"{\"params\":{\"directory_path\":\"/mnt/spill\"},\"type\":\"filesystem\"}"}'"#
        );
        assert!(!r.workers[0].params.contains_key("system-config"));
        assert!(
            !r.workers[0]
                .params
                .contains_key("object-spilling-directory")
        );
    }

    #[test]
    fn keeps_tmp_ray_on_the_volume_unless_the_group_keeps_it_elsewhere() {
        let tmp = json!({"raycc.io/ray-use": "tmp-ray"});
        let (r, w) = resolve(
            json!({"name": "demo"}),
            cluster(
                "2.57.0",
                Some(template("ray-head", "/mnt/disk", tmp.clone())),
                json!(null),
            ),
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            r.head.storage.ray_mounts,
            [VolumeMount {
                name: "disk".into(),
                mount_path: "/tmp/ray".into(),
                sub_path: Some("tmp-ray".into()),
                ..VolumeMount::default()
            }]
        );
        // Mounted at /tmp/ray already: nothing to add, nothing to say.
        let (r, w) = resolve(
            json!({"name": "demo"}),
            cluster(
                "2.57.0",
                Some(template("ray-head", "/tmp/ray", tmp.clone())),
                json!(null),
            ),
        );
        assert!(w.is_empty() && r.head.storage.ray_mounts.is_empty());
        let mut spec = cluster(
            "2.57.0",
            Some(template("ray-head", "/mnt/disk", tmp)),
            json!(null),
        );
        spec["headGroupSpec"]["rayStartParams"] = json!({"temp-dir": "/scratch/ray"});
        let (r, w) = resolve(json!({"name": "demo"}), spec);
        assert_eq!(codes(&w), [Code::RayStorageKept]);
        assert_eq!(w[0].pointer, "/spec/headGroupSpec/rayStartParams/temp-dir");
        assert!(r.head.storage.ray_mounts.is_empty());
    }

    #[test]
    fn says_where_a_group_already_chooses_its_spilling_directory() {
        let mut spec = cluster(
            "2.57.0",
            None,
            template(
                "ray-worker",
                "/mnt/disk",
                json!({"raycc.io/ray-use": "object-spilling"}),
            ),
        );
        spec["workerGroupSpecs"][0]["rayStartParams"] =
            json!({"object-spilling-directory": "/scratch"});
        let (r, w) = resolve(json!({"name": "demo"}), spec);
        assert_eq!(codes(&w), [Code::RayStorageKept]);
        assert_eq!(r.workers[0].params["object-spilling-directory"], "/scratch");
    }

    #[test]
    fn refuses_per_pod_claims_in_deployments_and_keeps_them_ephemeral_under_ray_s_autoscaler() {
        let worker = template(
            "ray-worker",
            "/mnt/disk",
            json!({"raycc.io/per-pod-claim": "true"}),
        );
        let (r, w) = resolve(
            json!({"name": "demo", "annotations": {"raycc.io/worker-kind": "Deployment"}}),
            cluster("2.57.0", None, worker.clone()),
        );
        assert_eq!(codes(&w), [Code::PerPodClaimDeployment]);
        assert!(w[0].is_error());
        assert_eq!(
            w[0].pointer,
            "/spec/workerGroupSpecs/0/template/spec/volumes/0"
        );
        assert!(r.workers[0].storage.claims.is_empty());
        let mut spec = cluster("2.57.0", None, worker);
        spec["enableInTreeAutoscaling"] = true.into();
        let (r, w) = resolve(json!({"name": "demo"}), spec);
        assert!(codes(&w).contains(&Code::PerPodClaimAutoscaled));
        assert!(w.iter().all(|f| !f.is_error()));
        assert!(r.workers[0].storage.claims.is_empty());
    }
}
