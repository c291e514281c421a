//! Stage 4: a [`ResolvedCluster`] → the Kubernetes objects that run it ([`Manifest`]).
//!
//! The Pod templates are the Pods the KubeRay operator builds (`DefaultHeadPodTemplate`,
//! `DefaultWorkerPodTemplate`, `BuildPod` in ray-operator/controllers/ray/common/pod.go,
//! KubeRay v1.7.0); the Services follow common/service.go. Where raycc departs from the
//! operator it says so once, here:
//! - Pods are owned by StatefulSets (or Deployments), not created bare: template changes roll
//!   out natively, names are stable, and nothing has to run in the cluster to recreate Pods.
//! - No ownerReferences, no operator annotations (`ray.io/kuberay-version`, the upgrade hash)
//!   and no usage-stats variables: they describe an operator that is not there.
//! - Autoscaling is a HorizontalPodAutoscaler per group instead of the in-tree autoscaler
//!   sidecar (which needs the RayCluster CRD), so the head gets no sidecar, no RBAC and no
//!   `--no-monitor`.
//! - Environment variables the operator appends are skipped when the user already set the
//!   same name, so that no container lists a variable twice.
//! - The `wait-gcs-ready` script is the operator's, without its source-code indentation.
//!
//! All decisions were made by normalize; this stage only assembles, from the plans of the
//! [`ResolvedCluster`] alone. It never panics.
//!
//! - `pod`: the Pod templates (command, environment, probes, volumes, init containers);
//! - `service`: the head Service and the workers' governing Services;
//! - `workload`: StatefulSets, Deployments and HorizontalPodAutoscalers.

mod pod;
mod service;
mod workload;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::normalize::{ResolvedCluster, ResolvedGroup, WorkerKind};
use crate::raystart::NodeType;

/// One generated object.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    /// A Service.
    Service(Box<Service>),
    /// A StatefulSet.
    StatefulSet(Box<StatefulSet>),
    /// A Deployment.
    Deployment(Box<Deployment>),
    /// An autoscaling/v2 HorizontalPodAutoscaler.
    Hpa(Box<HorizontalPodAutoscaler>),
}

impl Object {
    /// The object as JSON, `apiVersion` and `kind` included.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let v = match self {
            Object::Service(o) => serde_json::to_value(o),
            Object::StatefulSet(o) => serde_json::to_value(o),
            Object::Deployment(o) => serde_json::to_value(o),
            Object::Hpa(o) => serde_json::to_value(o),
        };
        // k8s-openapi types always serialize to JSON.
        v.unwrap_or(Value::Null)
    }
}

/// The objects of one cluster, in output order: Services, workloads, HPAs; head first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Manifest {
    /// The objects.
    pub objects: Vec<Object>,
}

const LABEL_CLUSTER: &str = "ray.io/cluster";
const LABEL_NODE_TYPE: &str = "ray.io/node-type";
const LABEL_GROUP: &str = "ray.io/group";
const LABEL_IDENTIFIER: &str = "ray.io/identifier";
const LABEL_IS_RAY_NODE: &str = "ray.io/is-ray-node";
const LABEL_APP_NAME: &str = "app.kubernetes.io/name";
const LABEL_CREATED_BY: &str = "app.kubernetes.io/created-by";
const CREATED_BY: &str = "raycc";

/// Builds every object of a resolved cluster.
#[must_use]
pub fn build(r: &ResolvedCluster) -> Manifest {
    let head_pod = pod::pod_template(r, &r.head);
    let mut services = vec![Object::Service(Box::new(service::head(r, &head_pod)))];
    let mut workloads = vec![Object::StatefulSet(Box::new(workload::statefulset(
        r,
        &r.head,
        head_pod,
        &r.head_service.name,
    )))];
    let mut hpas = Vec::new();
    for g in &r.workers {
        services.push(Object::Service(Box::new(service::worker(r, g))));
        let pod = pod::pod_template(r, g);
        workloads.push(match g.kind {
            WorkerKind::StatefulSet => {
                Object::StatefulSet(Box::new(workload::statefulset(r, g, pod, &g.object_name)))
            }
            WorkerKind::Deployment => Object::Deployment(Box::new(workload::deployment(r, g, pod))),
        });
        if let Some(plan) = &g.hpa {
            hpas.push(Object::Hpa(Box::new(workload::hpa(r, g, plan))));
        }
    }
    services.extend(workloads);
    services.extend(hpas);
    Manifest { objects: services }
}

fn meta(r: &ResolvedCluster, name: &str, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: r.namespace.clone(),
        labels: Some(labels),
        ..ObjectMeta::default()
    }
}

fn node_type(g: &ResolvedGroup) -> &'static str {
    match g.node {
        NodeType::Head => "head",
        NodeType::Worker => "worker",
    }
}

/// Labels that never change for a group: the workload selector.
fn selector_labels(r: &ResolvedCluster, g: &ResolvedGroup) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_CLUSTER.to_string(), r.name.clone()),
        (LABEL_GROUP.to_string(), g.group.clone()),
        (LABEL_NODE_TYPE.to_string(), node_type(g).to_string()),
    ])
}

/// Labels on the generated workloads, Services and HPAs of a group.
fn object_labels(r: &ResolvedCluster, g: &ResolvedGroup) -> BTreeMap<String, String> {
    let mut l = selector_labels(r, g);
    l.insert(LABEL_APP_NAME.into(), "kuberay".into());
    l.insert(LABEL_CREATED_BY.into(), CREATED_BY.into());
    l
}
