//! The NetworkPolicies of `spec.networkPolicy`, from their plans. Mirrors the objects of
//! `buildHeadNetworkPolicy` and `buildWorkerGroupNetworkPolicy`
//! (ray-operator/controllers/ray/networkpolicy_controller.go, KubeRay v1.7.0): each selects the
//! head's Pods, or one group's, by the labels that never change.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{
    CREATED_BY, LABEL_APP_NAME, LABEL_CLUSTER, LABEL_CREATED_BY, LABEL_GROUP, LABEL_NODE_TYPE, meta,
};
use crate::normalize::{NetworkPolicyPlan, ResolvedCluster};
use crate::raystart::NodeType;

/// One NetworkPolicy.
pub(super) fn network_policy(r: &ResolvedCluster, plan: &NetworkPolicyPlan) -> NetworkPolicy {
    let labels = BTreeMap::from([
        (LABEL_CLUSTER.to_string(), r.name.clone()),
        (LABEL_GROUP.to_string(), plan.group.clone()),
        (LABEL_APP_NAME.to_string(), "kuberay".to_string()),
        (LABEL_CREATED_BY.to_string(), CREATED_BY.to_string()),
    ]);
    let mut selector = BTreeMap::from([(LABEL_CLUSTER.to_string(), r.name.clone())]);
    match plan.node {
        NodeType::Head => {
            selector.insert(LABEL_NODE_TYPE.into(), "head".into());
        }
        NodeType::Worker => {
            selector.insert(LABEL_NODE_TYPE.into(), "worker".into());
            selector.insert(LABEL_GROUP.into(), plan.group.clone());
        }
    }
    let mut types = Vec::new();
    if plan.ingress.is_some() {
        types.push("Ingress".to_string());
    }
    if plan.egress.is_some() {
        types.push("Egress".to_string());
    }
    NetworkPolicy {
        metadata: meta(r, &plan.name, labels),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(selector),
                match_expressions: None,
            }),
            policy_types: Some(types),
            ingress: plan.ingress.clone(),
            egress: plan.egress.clone(),
        }),
    }
}
