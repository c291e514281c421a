//! Batch scheduling: what the chosen scheduler needs on every Pod template, and its PodGroup.
//! The PodGroups are custom resources (Volcano's `scheduling.volcano.sh/v1beta1` and the
//! coscheduling plugin's `scheduling.x-k8s.io/v1alpha1`), so they are typed here after the
//! fields of their CRDs that raycc writes; `status` is left to the scheduler.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::autoscaler::cluster_labels;
use super::meta;
use crate::normalize::{PodGroupPlan, ResolvedCluster, ResolvedGroup};

/// A PodGroup of Volcano or of the coscheduling plugin.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodGroup {
    /// `scheduling.volcano.sh/v1beta1` or `scheduling.x-k8s.io/v1alpha1`.
    pub api_version: &'static str,
    /// `PodGroup`.
    pub kind: &'static str,
    /// Name, namespace, labels and annotations.
    pub metadata: ObjectMeta,
    /// The gang.
    pub spec: PodGroupSpec,
}

/// The fields of the two PodGroup specs that raycc writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodGroupSpec {
    /// Pods that must be schedulable together.
    pub min_member: i32,
    /// Their resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_resources: Option<BTreeMap<String, Quantity>>,
    /// Volcano's queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Volcano's PodGroup priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Volcano's network topology constraint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_topology: Option<NetworkTopologySpec>,
}

/// Volcano's `networkTopology`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkTopologySpec {
    /// `hard` or `soft`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// The highest tier the gang may span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highest_tier_allowed: Option<i64>,
}

fn quantities(m: &BTreeMap<String, String>) -> BTreeMap<String, Quantity> {
    m.iter()
        .map(|(k, v)| (k.clone(), Quantity(v.clone())))
        .collect()
}

/// The Pod template with the scheduler's name, labels and annotations over the template's
/// own. Mirrors the plugins' `AddMetadataToChildResource`, which the operator calls on every
/// Pod after building it.
pub(super) fn with_scheduling(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    mut t: PodTemplateSpec,
) -> PodTemplateSpec {
    let Some(plan) = &r.scheduling else {
        return t;
    };
    let m = t.metadata.get_or_insert_with(ObjectMeta::default);
    if !plan.pod_labels.is_empty() {
        m.labels
            .get_or_insert_with(BTreeMap::new)
            .extend(plan.pod_labels.clone());
    }
    let mut annotations = plan.pod_annotations.clone();
    if let Some(key) = &plan.group_annotation {
        annotations.insert(key.clone(), g.group.clone());
    }
    if !annotations.is_empty() {
        m.annotations
            .get_or_insert_with(BTreeMap::new)
            .extend(annotations);
    }
    t.spec.get_or_insert_with(Default::default).scheduler_name = Some(plan.scheduler_name.clone());
    t
}

/// The `apiVersion` of a PodGroup.
pub(super) fn api_version(plan: &PodGroupPlan) -> &'static str {
    match plan {
        PodGroupPlan::Volcano(_) => "scheduling.volcano.sh/v1beta1",
        PodGroupPlan::Coscheduling(_) => "scheduling.x-k8s.io/v1alpha1",
    }
}

/// The scheduler's PodGroup.
pub(super) fn pod_group(r: &ResolvedCluster, plan: &PodGroupPlan) -> PodGroup {
    let api_version = api_version(plan);
    match plan {
        PodGroupPlan::Volcano(pg) => {
            let mut metadata = meta(r, &pg.name, cluster_labels(r));
            metadata.annotations = (!pg.annotations.is_empty()).then(|| pg.annotations.clone());
            PodGroup {
                api_version,
                kind: "PodGroup",
                metadata,
                spec: PodGroupSpec {
                    min_member: pg.min_member,
                    // Volcano's field is a pointer the operator always sets: `{}` when empty.
                    min_resources: Some(quantities(&pg.min_resources)),
                    queue: pg.queue.clone(),
                    priority_class_name: pg.priority_class_name.clone(),
                    network_topology: pg.network_topology.as_ref().map(|n| NetworkTopologySpec {
                        mode: n.mode.clone(),
                        highest_tier_allowed: n.highest_tier_allowed,
                    }),
                },
            }
        }
        PodGroupPlan::Coscheduling(pg) => PodGroup {
            api_version,
            kind: "PodGroup",
            metadata: meta(r, &pg.name, cluster_labels(r)),
            spec: PodGroupSpec {
                min_member: pg.min_member,
                min_resources: (!pg.min_resources.is_empty())
                    .then(|| quantities(&pg.min_resources)),
                queue: None,
                priority_class_name: None,
                network_topology: None,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::build::{Object, build};
    use crate::normalize::{Options, normalize};

    fn objects(metadata: Value, spec: Value) -> Vec<Value> {
        let mut v = json!({"apiVersion": "ray.io/v1", "kind": "RayCluster"});
        v["metadata"] = metadata;
        v["spec"] = spec;
        let (r, _) = normalize(serde_json::from_value(v).unwrap(), &Options::default());
        build(&r).objects.iter().map(Object::to_value).collect()
    }

    fn pod_group(objects: &[Value]) -> Option<&Value> {
        objects.iter().find(|o| o["kind"] == "PodGroup")
    }

    /// The quantity of a CRD's `minResources` (int-or-string, Kubernetes' quantity pattern).
    fn quantity_schema() -> Value {
        json!({"anyOf": [{"type": "integer"}, {"type": "string"}],
            "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"})
    }

    /// The fields of Volcano's PodGroup (`podgroups.scheduling.volcano.sh`, v1beta1, in
    /// config/crd/volcano/bases of volcano-sh/volcano) that raycc can write. Fields the CRD does
    /// not have are refused here, since the API server would prune them.
    fn volcano_schema() -> Value {
        json!({
            "type": "object",
            "required": ["apiVersion", "kind", "metadata", "spec"],
            "additionalProperties": false,
            "properties": {
                "apiVersion": {"const": "scheduling.volcano.sh/v1beta1"},
                "kind": {"const": "PodGroup"},
                "metadata": {"type": "object"},
                "spec": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "minMember": {"type": "integer", "minimum": 0, "maximum": i32::MAX},
                        "minResources": {"type": "object", "additionalProperties": quantity_schema()},
                        "priorityClassName": {"type": "string", "maxLength": 253},
                        "queue": {"type": "string", "maxLength": 253,
                            "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"},
                        "networkTopology": {
                            "type": "object",
                            "additionalProperties": false,
                            "properties": {
                                "mode": {"enum": ["hard", "soft"]},
                                "highestTierAllowed": {"type": "integer", "minimum": 0},
                                "highestTierName": {"type": "string", "maxLength": 253}
                            }
                        }
                    }
                }
            }
        })
    }

    /// The fields of the coscheduling PodGroup (`podgroups.scheduling.x-k8s.io`, v1alpha1, in
    /// config/crd/bases of kubernetes-sigs/scheduler-plugins).
    fn coscheduling_schema() -> Value {
        json!({
            "type": "object",
            "required": ["apiVersion", "kind", "metadata", "spec"],
            "additionalProperties": false,
            "properties": {
                "apiVersion": {"const": "scheduling.x-k8s.io/v1alpha1"},
                "kind": {"const": "PodGroup"},
                "metadata": {"type": "object"},
                "spec": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "minMember": {"type": "integer", "minimum": 1, "maximum": i32::MAX},
                        "minResources": {"type": "object", "additionalProperties": quantity_schema()},
                        "scheduleTimeoutSeconds": {"type": "integer"}
                    }
                }
            }
        })
    }

    fn assert_valid(schema: &Value, object: &Value) {
        let validator = jsonschema::validator_for(schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(object)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:?}\n{object:#}");
        // Metadata that the API server accepts for any object.
        let m = &object["metadata"];
        assert!(crate::names::dns1123_subdomain_error(m["name"].as_str().unwrap()).is_none());
    }

    fn volcano_cluster() -> (Value, Value) {
        (
            json!({"name": "demo", "namespace": "ml",
                "labels": {"volcano.sh/queue-name": "q", "ray.io/priority-class-name": "high",
                    "volcano.sh/network-topology-mode": "hard",
                    "volcano.sh/network-topology-highest-tier-allowed": "1"},
                "annotations": {"note": "copied"}}),
            json!({"rayVersion": "2.52.0",
                "headGroupSpec": {"template": {"spec": {"schedulerName": "mine",
                    "containers": [{"name": "ray-head",
                        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]}}},
                "workerGroupSpecs": [{"groupName": "cpu", "replicas": 3, "minReplicas": 1,
                    "maxReplicas": 5, "template": {"metadata": {"labels": {"volcano.sh/queue-name": "other"}},
                    "spec": {"containers": [{"name": "ray-worker",
                        "resources": {"limits": {"cpu": "1", "memory": "2Gi"}}}]}}}]}),
        )
    }

    #[test]
    fn writes_volcano_s_pod_group_within_its_crd() {
        let (metadata, spec) = volcano_cluster();
        let o = objects(metadata, spec);
        let pg = pod_group(&o).unwrap();
        assert_valid(&volcano_schema(), pg);
        assert_eq!(
            pg,
            &json!({"apiVersion": "scheduling.volcano.sh/v1beta1", "kind": "PodGroup",
                "metadata": {"name": "ray-demo-pg", "namespace": "ml",
                    "annotations": {"note": "copied"},
                    "labels": {"app.kubernetes.io/created-by": "raycc",
                        "app.kubernetes.io/name": "kuberay", "ray.io/cluster": "demo"}},
                "spec": {"minMember": 4,
                    "minResources": {"cpu": "3500m", "memory": "7Gi"},
                    "queue": "q", "priorityClassName": "high",
                    "networkTopology": {"mode": "hard", "highestTierAllowed": 1}}})
        );
        // The PodGroup comes before the Pods that name it.
        assert_eq!(o[0]["kind"], "PodGroup");
    }

    #[test]
    fn puts_the_scheduler_over_the_template_s_own_settings() {
        let (metadata, spec) = volcano_cluster();
        let o = objects(metadata, spec);
        let worker = o
            .iter()
            .find(|o| o["metadata"]["name"] == "demo-cpu-worker" && o["kind"] == "StatefulSet")
            .unwrap();
        let t = &worker["spec"]["template"];
        assert_eq!(t["spec"]["schedulerName"], "volcano");
        assert_eq!(t["metadata"]["labels"]["volcano.sh/queue-name"], "q");
        assert_eq!(
            t["metadata"]["labels"]["ray.io/priority-class-name"],
            "high"
        );
        assert_eq!(
            t["metadata"]["annotations"],
            json!({"scheduling.k8s.io/group-name": "ray-demo-pg", "volcano.sh/task-spec": "cpu"})
        );
        let head = o
            .iter()
            .find(|o| o["metadata"]["name"] == "demo-head" && o["kind"] == "StatefulSet")
            .unwrap();
        assert_eq!(head["spec"]["template"]["spec"]["schedulerName"], "volcano");
        assert_eq!(
            head["spec"]["template"]["metadata"]["annotations"]["volcano.sh/task-spec"],
            "headgroup"
        );
    }

    #[test]
    fn writes_the_coscheduling_pod_group_within_its_crd() {
        let o = objects(
            json!({"name": "demo", "labels": {"ray.io/gang-scheduling-enabled": "true"},
                "annotations": {"raycc.io/batch-scheduler": "scheduler-plugins"}}),
            json!({"rayVersion": "2.52.0", "enableInTreeAutoscaling": true,
                "workerGroupSpecs": [{"groupName": "cpu", "replicas": 2, "minReplicas": 0,
                    "maxReplicas": 3}]}),
        );
        let pg = pod_group(&o).unwrap();
        assert_valid(&coscheduling_schema(), pg);
        // Sized at the desired replicas even when autoscaled, as the operator does; no
        // resources are requested, so there are none to write.
        assert_eq!(pg["spec"], json!({"minMember": 3}));
        let template = &o.iter().find(|o| o["kind"] == "PodTemplate").unwrap()["template"];
        assert_eq!(
            template["spec"]["schedulerName"],
            "scheduler-plugins-scheduler"
        );
        assert_eq!(
            template["metadata"]["labels"]["scheduling.x-k8s.io/pod-group"],
            "demo"
        );
    }

    #[test]
    fn makes_no_pod_group_for_a_suspended_cluster() {
        let (metadata, mut spec) = volcano_cluster();
        spec["suspend"] = true.into();
        let o = objects(metadata, spec);
        assert!(pod_group(&o).is_none());
        let head = o.iter().find(|o| o["kind"] == "StatefulSet").unwrap();
        assert_eq!(head["spec"]["template"]["spec"]["schedulerName"], "volcano");
    }

    #[test]
    fn leaves_the_pods_alone_without_a_batch_scheduler() {
        let o = objects(
            json!({"name": "demo"}),
            json!({"rayVersion": "2.52.0", "headGroupSpec": {"template": {"spec": {
                "schedulerName": "mine", "containers": [{"name": "ray-head"}]}}}}),
        );
        assert!(pod_group(&o).is_none());
        let head = o.iter().find(|o| o["kind"] == "StatefulSet").unwrap();
        assert_eq!(head["spec"]["template"]["spec"]["schedulerName"], "mine");
    }
}
