//! The history server's collector: a sidecar in every Ray Pod, sharing the Ray container's
//! `/tmp/ray`, and the variables that make Ray send its events to it. Mirrors
//! `BuildCollectorContainer`, the collector part of `BuildPod` and of `setContainerEnvVars`
//! (ray-operator/controllers/ray/common/pod.go, KubeRay v1.7.0).

use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, VolumeMount};

use super::autoscaler::shared_ray_logs;
use super::pod::{env, field_env, set_token_auth};
use crate::normalize::history::{COLLECTOR_CONTAINER, EVENTS_PORT, EXPOSABLE_EVENT_TYPES};
use crate::normalize::ray_autoscaler::RAY_LOGS_PATH;
use crate::normalize::{CollectorPlan, ResolvedCluster, ResolvedGroup};
use crate::raystart::NodeType;

/// Ray's event variables on the Ray container, each unless set. Mirrors the history-server part
/// of `setContainerEnvVars`.
pub(super) fn event_env(envs: &mut Vec<EnvVar>) {
    for (name, value) in [
        ("RAY_enable_ray_event", "true".to_string()),
        (
            "RAY_enable_core_worker_ray_event_to_aggregator",
            "true".to_string(),
        ),
        (
            "RAY_DASHBOARD_AGGREGATOR_AGENT_EVENTS_EXPORT_ADDR",
            format!("http://localhost:{EVENTS_PORT}/v1/events"),
        ),
        (
            "RAY_DASHBOARD_AGGREGATOR_AGENT_EXPOSABLE_EVENT_TYPES",
            EXPOSABLE_EVENT_TYPES.to_string(),
        ),
        (
            "RAY_DASHBOARD_AGGREGATOR_AGENT_PUBLISHER_HTTP_ENDPOINT_EXPOSABLE_EVENT_TYPES",
            EXPOSABLE_EVENT_TYPES.to_string(),
        ),
    ] {
        if !envs.iter().any(|e| e.name == name) {
            envs.push(env(name, value));
        }
    }
}

/// Adds the collector to a Pod, after the other containers, with the Ray container's `/tmp/ray`:
/// the volume the Ray container mounts there, else KubeRay's `ray-logs` emptyDir mounted in
/// both. (The operator mounts `ray-logs` in the collector even when the Ray container keeps its
/// logs on a volume of its own, where the collector would not see them.)
pub(super) fn add_collector(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    plan: &CollectorPlan,
    spec: &mut PodSpec,
) {
    let logs = shared_ray_logs(spec);
    let mut envs = vec![
        field_env("POD_IP", "status.podIP"),
        env("RAY_CLUSTER_NAME", r.name.clone()),
        match &plan.namespace {
            Some(ns) => env("RAY_CLUSTER_NAMESPACE", ns.clone()),
            None => field_env("RAY_CLUSTER_NAMESPACE", "metadata.namespace"),
        },
        env(
            "RAY_ROLE",
            match g.node {
                NodeType::Head => "Head",
                NodeType::Worker => "Worker",
            },
        ),
        env("EVENTS_PORT", EVENTS_PORT),
        env("FQ_RAY_IP", r.head_host.clone()),
    ];
    if let Some(kind) = &plan.owner_kind {
        envs.push(env("OWNER_KIND", kind.clone()));
    }
    if let Some(name) = &plan.owner_name {
        envs.push(env("OWNER_NAME", name.clone()));
    }
    if g.node == NodeType::Head && !plan.env.iter().any(|e| e.name == "RAY_DASHBOARD_ADDRESS") {
        envs.push(env("RAY_DASHBOARD_ADDRESS", "http://localhost:8265"));
    }
    envs.extend(plan.env.iter().cloned());
    let mut c = Container {
        name: COLLECTOR_CONTAINER.into(),
        image: Some(plan.image.clone()),
        image_pull_policy: Some(plan.image_pull_policy.clone()),
        resources: Some(plan.resources.clone()),
        env: Some(envs),
        volume_mounts: Some(vec![VolumeMount {
            mount_path: RAY_LOGS_PATH.into(),
            ..logs
        }]),
        ..Container::default()
    };
    // The collector asks the dashboard, which wants the token too.
    if let Some(auth) = &r.auth {
        set_token_auth(&mut c, auth);
    }
    spec.containers.push(c);
}
