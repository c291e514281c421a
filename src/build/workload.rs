//! Workloads: the StatefulSets (or Deployments) that own the Pods, and the
//! HorizontalPodAutoscalers of autoscaled groups.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use std::collections::BTreeMap;

use super::{meta, object_labels, selector_labels};
use crate::normalize::{HpaPlan, ReplicaWorkload, ResolvedCluster, ResolvedGroup};

const LABEL_REPLICA_NAME: &str = "ray.io/worker-group-replica-name";
const LABEL_REPLICA_INDEX: &str = "ray.io/worker-group-replica-index";
use crate::raystart::NodeType;

/// The StatefulSet of a group, or of one replica of a multi-host group.
pub(super) fn statefulset(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    template: PodTemplateSpec,
    service: &str,
    replica: Option<&ReplicaWorkload>,
) -> StatefulSet {
    let (name, selector, replicas) = identity(r, g, replica);
    let (claims, retention) = super::storage::claim_templates(g);
    StatefulSet {
        metadata: meta(r, name, labels(r, g, replica)),
        spec: Some(StatefulSetSpec {
            replicas,
            selector,
            service_name: Some(service.to_string()),
            pod_management_policy: (g.node == NodeType::Worker).then(|| "Parallel".to_string()),
            template: with_replica_labels(template, replica),
            volume_claim_templates: claims,
            persistent_volume_claim_retention_policy: retention,
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

/// The Deployment of a group, or of one replica of a multi-host group.
pub(super) fn deployment(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    template: PodTemplateSpec,
    replica: Option<&ReplicaWorkload>,
) -> Deployment {
    let (name, selector, replicas) = identity(r, g, replica);
    Deployment {
        metadata: meta(r, name, labels(r, g, replica)),
        spec: Some(DeploymentSpec {
            replicas,
            selector,
            template: with_replica_labels(template, replica),
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

/// A workload's name, selector and Pod count: the group's, or one replica's (its hosts).
fn identity<'a>(
    r: &ResolvedCluster,
    g: &'a ResolvedGroup,
    replica: Option<&'a ReplicaWorkload>,
) -> (&'a str, LabelSelector, Option<i32>) {
    let mut selector = selector_labels(r, g);
    let (name, replicas) = match replica {
        Some(rw) => {
            selector.insert(LABEL_REPLICA_NAME.into(), rw.replica_name.clone());
            let hosts = if g.pods == 0 { 0 } else { g.replicas.hosts };
            (rw.object_name.as_str(), Some(hosts))
        }
        None => (
            g.object_name.as_str(),
            if g.hpa.is_some() { None } else { Some(g.pods) },
        ),
    };
    (
        name,
        LabelSelector {
            match_labels: Some(selector),
            ..LabelSelector::default()
        },
        replicas,
    )
}

fn labels(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    replica: Option<&ReplicaWorkload>,
) -> BTreeMap<String, String> {
    let mut l = object_labels(r, g);
    if let Some(rw) = replica {
        l.insert(LABEL_REPLICA_NAME.into(), rw.replica_name.clone());
    }
    l
}

/// KubeRay's multi-host labels on a replica's Pods (`RayMultiHostIndexing`, common/pod.go,
/// KubeRay v1.7.0); a host's index is its StatefulSet ordinal, in the Pod's name and its
/// `apps.kubernetes.io/pod-index` label.
fn with_replica_labels(
    mut t: PodTemplateSpec,
    replica: Option<&ReplicaWorkload>,
) -> PodTemplateSpec {
    if let Some(rw) = replica {
        let labels = t
            .metadata
            .get_or_insert_with(Default::default)
            .labels
            .get_or_insert_with(BTreeMap::new);
        labels.insert(LABEL_REPLICA_NAME.into(), rw.replica_name.clone());
        labels.insert(LABEL_REPLICA_INDEX.into(), rw.index.to_string());
    }
    t
}

pub(super) fn hpa(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    plan: &HpaPlan,
) -> HorizontalPodAutoscaler {
    HorizontalPodAutoscaler {
        metadata: meta(r, &g.object_name, object_labels(r, g)),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: g.workload.as_str().into(),
                name: g.object_name.clone(),
            },
            min_replicas: Some(plan.min_pods),
            max_replicas: plan.max_pods,
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(plan.cpu_utilization),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            behavior: Some(HorizontalPodAutoscalerBehavior {
                scale_down: Some(HPAScalingRules {
                    stabilization_window_seconds: Some(plan.scale_down_window),
                    ..HPAScalingRules::default()
                }),
                scale_up: Some(HPAScalingRules {
                    policies: Some(vec![HPAScalingPolicy {
                        type_: "Percent".into(),
                        value: plan.scale_up_percent,
                        period_seconds: 15,
                    }]),
                    ..HPAScalingRules::default()
                }),
            }),
        }),
        ..HorizontalPodAutoscaler::default()
    }
}
