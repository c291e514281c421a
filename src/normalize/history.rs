//! `historyServerOptions`: the history server's collector, a sidecar in every Ray Pod that
//! ships Ray's logs and events to object storage, where KubeRay's history server reads them.
//!
//! The collector needs nothing from the operator at run time (it reads the Pod's `/tmp/ray` and
//! the dashboard, and is configured by environment variables), so raycc compiles it as the
//! operator builds it: `BuildCollectorContainer`, the shared `/tmp/ray` volume of `BuildPod` and
//! the event variables of `setContainerEnvVars` (ray-operator/controllers/ray/common/pod.go,
//! KubeRay v1.7.0).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{EnvVar, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::model::RayClusterSpec;

/// The collector container's name (`CollectorContainerName`).
pub const COLLECTOR_CONTAINER: &str = "ray-history-collector";
/// The port the collector receives Ray's events on.
pub const EVENTS_PORT: &str = "8084";
/// The event types Ray exports to the collector (`DEFAULT_RAY_EXPOSABLE_EVENT_TYPES`).
pub const EXPOSABLE_EVENT_TYPES: &str = "TASK_DEFINITION_EVENT,TASK_LIFECYCLE_EVENT,ACTOR_TASK_DEFINITION_EVENT,TASK_PROFILE_EVENT,DRIVER_JOB_DEFINITION_EVENT,DRIVER_JOB_LIFECYCLE_EVENT,ACTOR_DEFINITION_EVENT,ACTOR_LIFECYCLE_EVENT,NODE_DEFINITION_EVENT,NODE_LIFECYCLE_EVENT";

/// The collector sidecar.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectorPlan {
    /// `collectorOptions.image` (validation requires it).
    pub image: String,
    /// `collectorOptions.imagePullPolicy`, default `IfNotPresent`.
    pub image_pull_policy: String,
    /// `collectorOptions.resources`, default 50m/64Mi requested, 200m/256Mi limits.
    pub resources: ResourceRequirements,
    /// `RAY_CLUSTER_NAMESPACE`: the namespace, when known (else the Pod's, by reference).
    pub namespace: Option<String>,
    /// `OWNER_KIND`: the RayCluster's `ray.io/originated-from-crd` label.
    pub owner_kind: Option<String>,
    /// `OWNER_NAME`: the RayCluster's `ray.io/originated-from-cr-name` label.
    pub owner_name: Option<String>,
    /// `collectorOptions.env`, after the operator's.
    pub env: Vec<EnvVar>,
}

/// The collector when `historyServerOptions.collectorOptions` is set.
pub(super) fn plan(
    spec: &RayClusterSpec,
    labels: &BTreeMap<String, String>,
    namespace: Option<&str>,
) -> Option<CollectorPlan> {
    let o = spec
        .history_server_options
        .as_ref()?
        .collector_options
        .as_ref()?;
    let q = |v: &str| Quantity(v.to_string());
    let label = |k: &str| labels.get(k).filter(|v| !v.is_empty()).cloned();
    Some(CollectorPlan {
        image: o.image.clone().unwrap_or_default(),
        image_pull_policy: o
            .image_pull_policy
            .clone()
            .unwrap_or_else(|| "IfNotPresent".to_string()),
        resources: o.resources.clone().unwrap_or_else(|| ResourceRequirements {
            limits: Some(BTreeMap::from([
                ("cpu".to_string(), q("200m")),
                ("memory".to_string(), q("256Mi")),
            ])),
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), q("50m")),
                ("memory".to_string(), q("64Mi")),
            ])),
            ..ResourceRequirements::default()
        }),
        namespace: namespace.map(str::to_string),
        owner_kind: label("ray.io/originated-from-crd"),
        owner_name: label("ray.io/originated-from-cr-name"),
        env: o.env.clone().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn defaults_the_pull_policy_and_resources_and_reads_the_owner_labels() {
        let spec: RayClusterSpec = serde_json::from_value(json!({"historyServerOptions": {
            "collectorOptions": {"image": "collector:1",
                "env": [{"name": "STORAGE_BACKEND", "value": "S3"}]}}}))
        .unwrap();
        let labels = BTreeMap::from([
            (
                "ray.io/originated-from-crd".to_string(),
                "RayJob".to_string(),
            ),
            (
                "ray.io/originated-from-cr-name".to_string(),
                "job".to_string(),
            ),
        ]);
        let p = plan(&spec, &labels, Some("ml")).unwrap();
        assert_eq!(p.image_pull_policy, "IfNotPresent");
        assert_eq!(
            p.resources.requests.as_ref().unwrap()["cpu"],
            Quantity("50m".into())
        );
        assert_eq!(
            (p.owner_kind.as_deref(), p.owner_name.as_deref()),
            (Some("RayJob"), Some("job"))
        );
        assert_eq!(p.env.len(), 1);
        let none: RayClusterSpec =
            serde_json::from_value(json!({"historyServerOptions": {}})).unwrap();
        assert_eq!(plan(&none, &labels, None), None);
    }
}
