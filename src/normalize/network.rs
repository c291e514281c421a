//! `spec.networkPolicy`: the operator's NetworkPolicies, one for the head and one per worker
//! group, with the rules decided here.
//!
//! Mirrors `buildHeadNetworkPolicy`, `buildWorkerGroupNetworkPolicy`, `buildBaseIngressRules`,
//! `buildHeadIngressRules`, `buildRayJobPeer` and `buildBaseEgressRules`
//! (ray-operator/controllers/ray/networkpolicy_controller.go, KubeRay v1.7.0): a mode restricts
//! ingress, egress or both; a restricted direction allows all traffic between the cluster's own
//! Pods plus the user's rules (for a worker group, its `workerGroups` entry, which replaces the
//! `worker` rules); an unrestricted direction gets no rules and no policy type. As in the
//! operator, DNS and the API server are not allowed implicitly, so a worker group whose egress
//! is denied without a DNS rule is warned about (RC325): its Pods could not resolve the head.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::codes::Code;
use crate::diagnostic::Finding;
use crate::model::{NetworkPolicyMode, NetworkPolicyOptions, RayClusterSpec};
use crate::raystart::{self, NodeType};

/// The label KubeRay's `RayJob` controller puts on the clusters it creates, with the submission
/// mode.
const SUBMISSION_MODE_LABEL: &str = "ray.io/job-submission-mode";

/// One NetworkPolicy.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkPolicyPlan {
    /// `<cluster>-head` or `<cluster>-workers-<group>`.
    pub name: String,
    /// Head or worker.
    pub node: NodeType,
    /// `headgroup` or the group name: the `ray.io/group` label of the policy (and, for a
    /// worker group, of the Pods it selects).
    pub group: String,
    /// The allowed ingress, when ingress is restricted (policy type `Ingress`).
    pub ingress: Option<Vec<NetworkPolicyIngressRule>>,
    /// The allowed egress, when egress is restricted (policy type `Egress`).
    pub egress: Option<Vec<NetworkPolicyEgressRule>>,
}

/// The NetworkPolicies of a cluster with `spec.networkPolicy`: the head's, then one per worker
/// group in input order; none without it.
pub(super) fn plan(
    cluster: &str,
    metadata: &ObjectMeta,
    spec: &RayClusterSpec,
    warnings: &mut Vec<Finding>,
) -> Vec<NetworkPolicyPlan> {
    let Some(np) = &spec.network_policy else {
        return Vec::new();
    };
    let mode = np.mode.unwrap_or(NetworkPolicyMode::DenyAll);
    let restricts_ingress = matches!(
        mode,
        NetworkPolicyMode::DenyAll | NetworkPolicyMode::DenyAllIngress
    );
    let restricts_egress = matches!(
        mode,
        NetworkPolicyMode::DenyAll | NetworkPolicyMode::DenyAllEgress
    );
    let dashboard_port = head_port(spec, "dashboard-port", raystart::DEFAULT_DASHBOARD_PORT);
    let head_rules = np.head.as_ref();
    let mut head_ingress = base_ingress(cluster);
    if let Some(peer) = rayjob_submitter(metadata) {
        head_ingress.push(NetworkPolicyIngressRule {
            from: Some(vec![peer]),
            ports: Some(vec![NetworkPolicyPort {
                protocol: Some("TCP".into()),
                port: Some(IntOrString::Int(dashboard_port)),
                end_port: None,
            }]),
        });
    }
    head_ingress.extend(
        head_rules
            .and_then(|r| r.ingress_rules.clone())
            .unwrap_or_default(),
    );
    let mut head_egress = base_egress(cluster);
    head_egress.extend(
        head_rules
            .and_then(|r| r.egress_rules.clone())
            .unwrap_or_default(),
    );
    let mut plans = vec![NetworkPolicyPlan {
        name: format!("{cluster}-head"),
        node: NodeType::Head,
        group: "headgroup".into(),
        ingress: restricts_ingress.then_some(head_ingress),
        egress: restricts_egress.then_some(head_egress),
    }];
    for g in spec.worker_group_specs.iter().flatten() {
        let group = g.group_name.as_str();
        let (custom, at) = custom_rules(np, group);
        let mut ingress = base_ingress(cluster);
        ingress.extend(custom.and_then(|r| r.0.clone()).unwrap_or_default());
        let mut egress = base_egress(cluster);
        let user_egress = custom.and_then(|r| r.1.clone()).unwrap_or_default();
        if restricts_egress && !user_egress.iter().any(allows_dns) {
            warnings.push(
                Finding::new(
                    Code::NetworkPolicyBlocksDns,
                    at,
                    format!(
                        "networkPolicy mode {} denies the egress of worker group {group}, and none of its egress rules allows DNS (port 53): its Pods cannot resolve the head's address and never join the cluster",
                        mode_name(mode)
                    ),
                )
                .at_key()
                .help("add an egress rule to the cluster DNS on port 53 (UDP and TCP) in networkPolicy.worker.egressRules or in the group's networkPolicy.workerGroups entry"),
            );
        }
        egress.extend(user_egress);
        plans.push(NetworkPolicyPlan {
            name: format!("{cluster}-workers-{group}"),
            node: NodeType::Worker,
            group: group.to_string(),
            ingress: restricts_ingress.then_some(ingress),
            egress: restricts_egress.then_some(egress),
        });
    }
    plans
}

/// The user's ingress and egress rules for a worker group and where they are written: its
/// `workerGroups` entry, else `worker`. Mirrors `workerGroupCustomRules`.
#[allow(clippy::type_complexity)]
fn custom_rules<'a>(
    np: &'a NetworkPolicyOptions,
    group: &str,
) -> (
    Option<(
        &'a Option<Vec<NetworkPolicyIngressRule>>,
        &'a Option<Vec<NetworkPolicyEgressRule>>,
    )>,
    String,
) {
    if let Some((j, wg)) = np
        .worker_groups
        .iter()
        .flatten()
        .enumerate()
        .find(|(_, wg)| wg.group_name == group)
    {
        return (
            Some((&wg.ingress_rules, &wg.egress_rules)),
            format!("/spec/networkPolicy/workerGroups/{j}"),
        );
    }
    match &np.worker {
        Some(w) => (
            Some((&w.ingress_rules, &w.egress_rules)),
            "/spec/networkPolicy/worker".into(),
        ),
        None => (None, "/spec/networkPolicy".into()),
    }
}

/// Whether an egress rule lets DNS through: it allows every port, port 53, a range holding
/// it, or a named port (which may be DNS).
fn allows_dns(rule: &NetworkPolicyEgressRule) -> bool {
    let ports = rule.ports.as_deref().unwrap_or_default();
    ports.is_empty()
        || ports.iter().any(|p| match &p.port {
            None | Some(IntOrString::String(_)) => true,
            Some(IntOrString::Int(n)) => {
                *n == 53 || (*n < 53 && p.end_port.is_some_and(|e| e >= 53))
            }
        })
}

fn mode_name(mode: NetworkPolicyMode) -> &'static str {
    match mode {
        NetworkPolicyMode::DenyAll => "DenyAll",
        NetworkPolicyMode::DenyAllIngress => "DenyAllIngress",
        NetworkPolicyMode::DenyAllEgress => "DenyAllEgress",
    }
}

/// Every Pod of the cluster: the peer of the intra-cluster rules.
fn cluster_peer(cluster: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(
                "ray.io/cluster".to_string(),
                cluster.to_string(),
            )])),
            match_expressions: None,
        }),
        ..NetworkPolicyPeer::default()
    }
}

/// All ports from the cluster's own Pods. Mirrors `buildBaseIngressRules`.
fn base_ingress(cluster: &str) -> Vec<NetworkPolicyIngressRule> {
    vec![NetworkPolicyIngressRule {
        from: Some(vec![cluster_peer(cluster)]),
        ports: None,
    }]
}

/// All ports to the cluster's own Pods. Mirrors `buildBaseEgressRules`.
fn base_egress(cluster: &str) -> Vec<NetworkPolicyEgressRule> {
    vec![NetworkPolicyEgressRule {
        to: Some(vec![cluster_peer(cluster)]),
        ports: None,
    }]
}

/// The submitter Pod of the `RayJob` that owns this cluster in `K8sJobMode`. Mirrors
/// `buildRayJobPeer`.
fn rayjob_submitter(metadata: &ObjectMeta) -> Option<NetworkPolicyPeer> {
    let mode = metadata.labels.as_ref()?.get(SUBMISSION_MODE_LABEL)?;
    if mode != "K8sJobMode" {
        return None;
    }
    let owner = metadata.owner_references.iter().flatten().find(|o| {
        o.kind == "RayJob" && o.controller == Some(true) && o.api_version.starts_with("ray.io/")
    })?;
    Some(NetworkPolicyPeer {
        pod_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([
                (
                    "ray.io/originated-from-cr-name".to_string(),
                    owner.name.clone(),
                ),
                (
                    "ray.io/originated-from-crd".to_string(),
                    "RayJob".to_string(),
                ),
            ])),
            match_expressions: None,
        }),
        ..NetworkPolicyPeer::default()
    })
}

/// A head `rayStartParams` port, else the default. Mirrors `getHeadPort`.
fn head_port(spec: &RayClusterSpec, key: &str, default: i32) -> i32 {
    spec.head_group_spec
        .as_ref()
        .and_then(|h| h.ray_start_params.as_ref())
        .and_then(|p| p.get(key))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn plans(spec: serde_json::Value) -> (Vec<NetworkPolicyPlan>, Vec<Finding>) {
        plans_with(json!({"name": "demo"}), spec)
    }

    fn plans_with(
        metadata: serde_json::Value,
        spec: serde_json::Value,
    ) -> (Vec<NetworkPolicyPlan>, Vec<Finding>) {
        let spec: RayClusterSpec = serde_json::from_value(spec).unwrap();
        let metadata: ObjectMeta = serde_json::from_value(metadata).unwrap();
        let mut w = Vec::new();
        (plan("demo", &metadata, &spec, &mut w), w)
    }

    fn dns_rule() -> serde_json::Value {
        json!({"to": [{"namespaceSelector": {}}], "ports": [{"port": 53, "protocol": "UDP"}]})
    }

    #[test]
    fn plans_no_policy_without_network_policy() {
        let (p, w) = plans(json!({"workerGroupSpecs": [{"groupName": "cpu"}]}));
        assert!(p.is_empty() && w.is_empty());
    }

    #[test]
    fn denies_all_by_default_but_allows_the_cluster_s_own_pods() {
        let (p, w) = plans(
            json!({"networkPolicy": {"worker": {"egressRules": [dns_rule()]}},
            "workerGroupSpecs": [{"groupName": "cpu"}]}),
        );
        assert!(w.is_empty(), "{w:?}");
        let names: Vec<_> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["demo-head", "demo-workers-cpu"]);
        let head = &p[0];
        let ingress = head.ingress.as_ref().unwrap();
        assert_eq!(ingress.len(), 1);
        assert_eq!(
            serde_json::to_value(&ingress[0]).unwrap(),
            json!({"from": [{"podSelector": {"matchLabels": {"ray.io/cluster": "demo"}}}]})
        );
        assert_eq!(head.egress.as_ref().unwrap().len(), 1);
        // The worker rules follow the intra-cluster rule.
        assert_eq!(p[1].egress.as_ref().unwrap().len(), 2);
        assert_eq!(
            serde_json::to_value(&p[1].egress.as_ref().unwrap()[1]).unwrap(),
            dns_rule()
        );
    }

    #[test]
    fn restricts_only_the_direction_the_mode_names() {
        let (p, _) = plans(json!({"networkPolicy": {"mode": "DenyAllIngress",
            "head": {"ingressRules": [{"ports": [{"port": 8265}]}]}}}));
        assert_eq!(p[0].ingress.as_ref().unwrap().len(), 2);
        assert!(p[0].egress.is_none());
        let (p, _) = plans(json!({"networkPolicy": {"mode": "DenyAllEgress"}}));
        assert!(p[0].ingress.is_none());
        assert_eq!(p[0].egress.as_ref().unwrap().len(), 1);
    }

    #[test]
    fn a_group_entry_replaces_the_worker_rules() {
        let (p, w) = plans(json!({"networkPolicy": {"mode": "DenyAllIngress",
                "worker": {"ingressRules": [{"ports": [{"port": 1}]}, {"ports": [{"port": 2}]}]},
                "workerGroups": [{"groupName": "gpu", "ingressRules": [{"ports": [{"port": 3}]}]}]},
            "workerGroupSpecs": [{"groupName": "cpu"}, {"groupName": "gpu"}]}));
        assert!(w.is_empty());
        assert_eq!(p[1].ingress.as_ref().unwrap().len(), 3);
        let gpu = p[2].ingress.as_ref().unwrap();
        assert_eq!(gpu.len(), 2);
        assert_eq!(
            gpu[1].ports.as_ref().unwrap()[0].port,
            Some(IntOrString::Int(3))
        );
    }

    #[test]
    fn warns_when_a_worker_group_cannot_resolve_the_head() {
        let (_, w) = plans(json!({"networkPolicy": {"mode": "DenyAllEgress",
                "workerGroups": [{"groupName": "gpu",
                    "egressRules": [{"ports": [{"port": 443, "protocol": "TCP"}]}]}]},
            "workerGroupSpecs": [{"groupName": "cpu"}, {"groupName": "gpu"}]}));
        let at: Vec<_> = w.iter().map(|f| (f.code, f.pointer.as_str())).collect();
        assert_eq!(
            at,
            [
                (Code::NetworkPolicyBlocksDns, "/spec/networkPolicy"),
                (
                    Code::NetworkPolicyBlocksDns,
                    "/spec/networkPolicy/workerGroups/0"
                )
            ]
        );
        assert!(
            w[0].message.starts_with(
                "networkPolicy mode DenyAllEgress denies the egress of worker group cpu"
            )
        );
    }

    #[test]
    fn counts_all_ports_ranges_and_named_ports_as_allowing_dns() {
        let rule = |ports: serde_json::Value| -> NetworkPolicyEgressRule {
            serde_json::from_value(json!({"ports": ports})).unwrap()
        };
        assert!(allows_dns(&rule(json!([]))));
        assert!(allows_dns(&rule(json!([{"port": 53}]))));
        assert!(allows_dns(&rule(json!([{"port": 1, "endPort": 100}]))));
        assert!(allows_dns(&rule(json!([{"port": "dns"}]))));
        assert!(!allows_dns(&rule(
            json!([{"port": 443}, {"port": 54, "endPort": 60}])
        )));
    }

    #[test]
    fn lets_the_submitter_of_an_owning_rayjob_reach_the_dashboard() {
        let metadata = json!({"name": "demo",
            "labels": {"ray.io/job-submission-mode": "K8sJobMode"},
            "ownerReferences": [{"apiVersion": "ray.io/v1", "kind": "RayJob", "name": "job",
                "uid": "u", "controller": true}]});
        let (p, _) = plans_with(
            metadata,
            json!({"networkPolicy": {"mode": "DenyAllIngress"},
                "headGroupSpec": {"rayStartParams": {"dashboard-port": "9000"}}}),
        );
        let rules = p[0].ingress.as_ref().unwrap();
        assert_eq!(
            serde_json::to_value(&rules[1]).unwrap(),
            json!({"from": [{"podSelector": {"matchLabels": {
                    "ray.io/originated-from-cr-name": "job", "ray.io/originated-from-crd": "RayJob"}}}],
                "ports": [{"port": 9000, "protocol": "TCP"}]})
        );
    }
}
