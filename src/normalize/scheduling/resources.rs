//! PodGroup sizes: how many Pods and how much of each resource a gang needs, computed exactly
//! as KubeRay computes them (ray-operator/controllers/ray/utils/util.go, KubeRay v1.7.0), with
//! Go's quantity arithmetic ([`Amount`]) so that the totals read as the operator writes them.
//!
//! The operator's functions are mirrored with their quirks: the desired Pod count clamps
//! `replicas` into [minReplicas, maxReplicas], while the desired resources multiply the group
//! by `replicas` as written (0 when absent, the CRD default), not clamped.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec};

use crate::model::{RayClusterSpec, WorkerGroupSpec};
use crate::quantity::Amount;

/// Resource name → amount, as Go's `corev1.ResourceList`.
pub(super) type Resources = BTreeMap<String, Amount>;

/// A gang: worker Pods (the head is added by the caller, as the operator does) and the
/// resources of the head and those workers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Gang {
    pub(super) workers: i64,
    pub(super) resources: Resources,
}

/// The resources of one Pod: per container, its requests, then its limits for the names it
/// does not request; summed over the containers (init containers do not count). Mirrors
/// `CalculatePodResource`. `None` when a sum overflows.
pub(super) fn pod(spec: Option<&PodSpec>) -> Option<Resources> {
    let mut total = Resources::new();
    for c in spec.map(|s| s.containers.as_slice()).unwrap_or_default() {
        let r = c.resources.as_ref();
        let mut own = BTreeMap::new();
        for (name, q) in r.and_then(|r| r.requests.as_ref()).into_iter().flatten() {
            own.insert(name.clone(), q);
        }
        for (name, q) in r.and_then(|r| r.limits.as_ref()).into_iter().flatten() {
            own.entry(name.clone()).or_insert(q);
        }
        for (name, q) in own {
            // The schema accepts only quantities; anything Go would not parse counts as absent.
            let Some(amount) = Amount::parse(&q.0) else {
                continue;
            };
            add(&mut total, &name, amount)?;
        }
    }
    Some(total)
}

fn add(total: &mut Resources, name: &str, amount: Amount) -> Option<()> {
    match total.get_mut(name) {
        Some(sum) => *sum = sum.checked_add(amount)?,
        None => {
            total.insert(name.to_string(), amount);
        }
    }
    Some(())
}

/// Mirrors `SumResourceList`: lists are added in order, so the first list that names a
/// resource gives its format.
fn sum(lists: Vec<Resources>) -> Option<Resources> {
    let mut total = Resources::new();
    for list in lists {
        for (name, amount) in list {
            add(&mut total, &name, amount)?;
        }
    }
    Some(total)
}

/// Mirrors `calculatePodResources`: every amount × `n`.
fn times(r: Resources, n: i64) -> Option<Resources> {
    r.into_iter()
        .map(|(k, v)| Some((k, v.checked_mul(n)?)))
        .collect()
}

fn template_spec(t: Option<&PodTemplateSpec>) -> Option<&PodSpec> {
    t.and_then(|t| t.spec.as_ref())
}

fn hosts(g: &WorkerGroupSpec) -> i64 {
    i64::from(g.num_of_hosts.unwrap_or(1))
}

fn suspended(g: &WorkerGroupSpec) -> bool {
    g.suspend == Some(true)
}

/// Mirrors `GetWorkerGroupDesiredReplicas`: 0 when suspended, else `replicas` clamped into
/// [minReplicas, maxReplicas], × numOfHosts.
fn desired_pods(g: &WorkerGroupSpec) -> i64 {
    if suspended(g) {
        return 0;
    }
    let min = g.min_replicas.unwrap_or(0);
    let max = g.max_replicas.unwrap_or(i32::MAX);
    let replicas = match g.replicas {
        None => min,
        Some(r) if r < min => min,
        Some(r) if r > max => max,
        Some(r) => r,
    };
    i64::from(replicas) * hosts(g)
}

fn groups(spec: &RayClusterSpec) -> &[WorkerGroupSpec] {
    spec.worker_group_specs.as_deref().unwrap_or_default()
}

fn head(spec: &RayClusterSpec) -> Option<Resources> {
    pod(template_spec(
        spec.head_group_spec
            .as_ref()
            .and_then(|h| h.template.as_ref()),
    ))
}

/// Every worker the cluster wants and the resources of the head and the workers. Mirrors
/// `CalculateDesiredReplicas` and `CalculateDesiredResources`.
pub(super) fn desired(spec: &RayClusterSpec) -> Option<Gang> {
    let mut lists = vec![head(spec)?];
    for g in groups(spec).iter().filter(|g| !suspended(g)) {
        let n = hosts(g) * i64::from(g.replicas.unwrap_or(0));
        lists.push(times(pod(template_spec(g.template.as_ref()))?, n)?);
    }
    Some(Gang {
        workers: groups(spec).iter().map(desired_pods).sum(),
        resources: sum(lists)?,
    })
}

/// The workers at every group's minimum and the resources of the head and those workers.
/// Mirrors `CalculateMinReplicas` and `CalculateMinResources`.
pub(super) fn minimum(spec: &RayClusterSpec) -> Option<Gang> {
    let mut lists = vec![head(spec)?];
    let mut workers = 0;
    for g in groups(spec).iter().filter(|g| !suspended(g)) {
        let n = hosts(g) * i64::from(g.min_replicas.unwrap_or(0));
        workers += n;
        lists.push(times(pod(template_spec(g.template.as_ref()))?, n)?);
    }
    Some(Gang {
        workers,
        resources: sum(lists)?,
    })
}

/// Resources as Go writes them.
pub(super) fn canonical(r: &Resources) -> BTreeMap<String, String> {
    r.iter().map(|(k, v)| (k.clone(), v.canonical())).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The cluster of KubeRay's batch scheduler tests (`createTestRayCluster` in
    /// `volcano_scheduler_test.go` and `scheduler_plugins_test.go`, KubeRay v1.7.0).
    fn operator_test_cluster(num_of_hosts: i32) -> serde_json::Value {
        json!({
            "headGroupSpec": {"template": {"spec": {"containers": [{"name": "ray-head",
                "resources": {"limits": {"cpu": "500m", "memory": "512Mi"},
                              "requests": {"cpu": "256m", "memory": "256Mi"}}}]}}},
            "workerGroupSpecs": [{"groupName": "worker", "replicas": 2, "numOfHosts": num_of_hosts,
                "minReplicas": 1, "maxReplicas": 4,
                "template": {"spec": {"containers": [{"name": "ray-worker",
                    "resources": {"limits": {"cpu": "500m", "memory": "512Mi", "nvidia.com/gpu": "1"},
                                  "requests": {"cpu": "256m", "memory": "256Mi"}}}]}}}]
        })
    }

    fn spec(v: serde_json::Value) -> RayClusterSpec {
        serde_json::from_value(v).unwrap()
    }

    fn written(g: &Gang) -> BTreeMap<String, String> {
        canonical(&g.resources)
    }

    fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn sizes_the_gang_as_the_operator_s_tests_expect() {
        // TestCreatePodGroupForRayCluster: 1 head + 2 workers, requests over limits.
        let g = desired(&spec(operator_test_cluster(1))).unwrap();
        assert_eq!(g.workers + 1, 3);
        assert_eq!(
            written(&g),
            strings(&[
                ("cpu", "768m"),
                ("memory", "768Mi"),
                ("nvidia.com/gpu", "2")
            ])
        );
        // TestCreatePodGroupForRayCluster_NumOfHosts2: 2 replicas × 2 hosts + 1 head.
        let g = desired(&spec(operator_test_cluster(2))).unwrap();
        assert_eq!(g.workers + 1, 5);
        assert_eq!(
            written(&g),
            strings(&[
                ("cpu", "1280m"),
                ("memory", "1280Mi"),
                ("nvidia.com/gpu", "4")
            ])
        );
    }

    #[test]
    fn leaves_suspended_groups_out() {
        // CleanupOnCompletion's "worker suspended" case: the head alone.
        let mut v = operator_test_cluster(1);
        v["workerGroupSpecs"][0]["suspend"] = true.into();
        let g = desired(&spec(v.clone())).unwrap();
        assert_eq!(g.workers + 1, 1);
        assert_eq!(
            written(&g),
            strings(&[("cpu", "256m"), ("memory", "256Mi")])
        );
        let g = minimum(&spec(v)).unwrap();
        assert_eq!(g.workers, 0);
    }

    #[test]
    fn sizes_an_autoscaled_gang_at_the_minimum() {
        // minReplicas 1 × numOfHosts 2, plus the head.
        let g = minimum(&spec(operator_test_cluster(2))).unwrap();
        assert_eq!(g.workers + 1, 3);
        assert_eq!(
            written(&g),
            strings(&[
                ("cpu", "768m"),
                ("memory", "768Mi"),
                ("nvidia.com/gpu", "2")
            ])
        );
    }

    #[test]
    fn counts_clamped_replicas_but_sizes_replicas_as_written() {
        let mut v = operator_test_cluster(1);
        v["workerGroupSpecs"][0]["replicas"] = 9.into();
        let g = desired(&spec(v.clone())).unwrap();
        // Four Pods (maxReplicas), but nine Pods' resources, as the operator computes them.
        assert_eq!(g.workers, 4);
        assert_eq!(written(&g)["cpu"], "2560m");
        v["workerGroupSpecs"][0]
            .as_object_mut()
            .unwrap()
            .remove("replicas");
        let g = desired(&spec(v)).unwrap();
        assert_eq!(g.workers, 1);
        assert_eq!(written(&g)["cpu"], "256m");
    }

    #[test]
    fn adds_every_container_and_takes_the_first_format() {
        let s: PodSpec = serde_json::from_value(json!({"containers": [
            {"name": "a", "resources": {"limits": {"memory": "1Gi", "cpu": "1"}}},
            {"name": "b", "resources": {"requests": {"memory": "512Mi", "cpu": "500m"}}},
            {"name": "c"}],
            "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "8"}}}]}))
        .unwrap();
        assert_eq!(
            canonical(&pod(Some(&s)).unwrap()),
            strings(&[("cpu", "1500m"), ("memory", "1536Mi")])
        );
        assert!(pod(None).unwrap().is_empty());
    }
}
