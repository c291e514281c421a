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

use super::{meta, object_labels, selector_labels};
use crate::normalize::{HpaPlan, ResolvedCluster, ResolvedGroup};
use crate::raystart::NodeType;

pub(super) fn statefulset(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    template: PodTemplateSpec,
    service: &str,
) -> StatefulSet {
    StatefulSet {
        metadata: meta(r, &g.object_name, object_labels(r, g)),
        spec: Some(StatefulSetSpec {
            replicas: if g.hpa.is_some() { None } else { Some(g.pods) },
            selector: LabelSelector {
                match_labels: Some(selector_labels(r, g)),
                ..LabelSelector::default()
            },
            service_name: Some(service.to_string()),
            pod_management_policy: (g.node == NodeType::Worker).then(|| "Parallel".to_string()),
            template,
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

pub(super) fn deployment(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    template: PodTemplateSpec,
) -> Deployment {
    Deployment {
        metadata: meta(r, &g.object_name, object_labels(r, g)),
        spec: Some(DeploymentSpec {
            replicas: if g.hpa.is_some() { None } else { Some(g.pods) },
            selector: LabelSelector {
                match_labels: Some(selector_labels(r, g)),
                ..LabelSelector::default()
            },
            template,
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
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
