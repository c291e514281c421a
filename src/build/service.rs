//! Services: the operator's head Service, and a headless governing Service per worker group.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{PodTemplateSpec, Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{
    LABEL_APP_NAME, LABEL_CLUSTER, LABEL_CREATED_BY, LABEL_IDENTIFIER, LABEL_NODE_TYPE, meta,
    object_labels, selector_labels,
};
use crate::normalize::{ResolvedCluster, ResolvedGroup};
use crate::raystart;

pub(super) fn worker(r: &ResolvedCluster, g: &ResolvedGroup) -> Service {
    Service {
        metadata: meta(r, &g.object_name, object_labels(r, g)),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            publish_not_ready_addresses: Some(true),
            selector: Some(selector_labels(r, g)),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// The workers' headless Service of a cluster with multi-host groups, the governing Service of
/// their StatefulSets. Mirrors `BuildHeadlessServiceForRayCluster` (common/service.go, KubeRay
/// v1.7.0).
pub(super) fn headless(r: &ResolvedCluster, name: &str) -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: r.namespace.clone(),
            labels: Some(BTreeMap::from([(
                "ray.io/headless-worker-svc".to_string(),
                r.name.clone(),
            )])),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            publish_not_ready_addresses: Some(true),
            selector: Some(BTreeMap::from([
                (LABEL_CLUSTER.to_string(), r.name.clone()),
                (LABEL_NODE_TYPE.to_string(), "worker".to_string()),
            ])),
            type_: Some("ClusterIP".into()),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

/// The head Service. Mirrors `BuildServiceForHeadPod` (common/service.go, KubeRay v1.7.0).
pub(super) fn head(r: &ResolvedCluster, head_pod: &PodTemplateSpec) -> Service {
    let pod_labels = head_pod
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let selector: BTreeMap<String, String> = [
        LABEL_CLUSTER,
        LABEL_NODE_TYPE,
        LABEL_IDENTIFIER,
        LABEL_APP_NAME,
        LABEL_CREATED_BY,
    ]
    .iter()
    .filter_map(|k| pod_labels.get(*k).map(|v| ((*k).to_string(), v.clone())))
    .collect();
    // The ports the user declared, read before the Pod builder adds `metrics` (as the
    // operator's getPortsFromCluster reads the spec), so that a container without ports gets
    // the default set.
    let container_ports = r
        .head
        .template
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.ports.clone())
        .unwrap_or_default();
    let mut ports: Vec<ServicePort> = if container_ports.is_empty() {
        [
            ("client", 10001),
            ("dashboard", raystart::DEFAULT_DASHBOARD_PORT),
            ("gcs-server", 6379),
            ("metrics", raystart::DEFAULT_METRICS_PORT),
            ("serve", 8000),
        ]
        .iter()
        .map(|(n, p)| service_port(n, *p))
        .collect()
    } else {
        container_ports
            .iter()
            .map(|p| {
                let name = p
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{}-port", p.container_port));
                service_port(&name, p.container_port)
            })
            .collect()
    };
    if !ports.iter().any(|p| p.name.as_deref() == Some("metrics")) {
        ports.push(service_port("metrics", raystart::DEFAULT_METRICS_PORT));
    }
    let plan = &r.head_service;
    let annotations = (!plan.annotations.is_empty()).then(|| plan.annotations.clone());
    if let Some(custom) = &plan.custom {
        // User base Service: selector forced, annotations and labels merged over the user's,
        // default ports appended (raycc skips those whose name or port the user already has).
        let mut svc = custom.clone();
        let mut m = svc.metadata.clone();
        m.name = Some(plan.name.clone());
        m.namespace.clone_from(&r.namespace);
        let mut labels = m.labels.unwrap_or_default();
        labels.extend(selector.clone());
        m.labels = Some(labels);
        let mut ann = m.annotations.unwrap_or_default();
        ann.extend(plan.annotations.clone());
        m.annotations = (!ann.is_empty()).then_some(ann);
        svc.metadata = m;
        let mut spec = svc.spec.unwrap_or_default();
        let mut all = spec.ports.unwrap_or_default();
        for p in ports {
            if !all.iter().any(|u| u.name == p.name || u.port == p.port) {
                all.push(p);
            }
        }
        spec.ports = Some(all);
        spec.selector = Some(selector);
        if spec.type_.is_none() {
            spec.type_.clone_from(&plan.type_);
        }
        svc.spec = Some(spec);
        svc.status = None;
        return svc;
    }
    ports.sort_by(|a, b| a.name.cmp(&b.name));
    let headless = plan.type_.as_deref().is_none_or(|t| t == "ClusterIP");
    Service {
        metadata: ObjectMeta {
            name: Some(plan.name.clone()),
            namespace: r.namespace.clone(),
            labels: Some(selector.clone()),
            annotations,
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            cluster_ip: headless.then(|| "None".to_string()),
            publish_not_ready_addresses: headless.then_some(true),
            ports: Some(ports),
            selector: Some(selector),
            type_: plan.type_.clone(),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

fn service_port(name: &str, port: i32) -> ServicePort {
    ServicePort {
        name: Some(name.to_string()),
        port,
        app_protocol: Some("tcp".into()),
        ..ServicePort::default()
    }
}
