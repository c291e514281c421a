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
//! - `workload`: StatefulSets, Deployments and HorizontalPodAutoscalers;
//! - `storage`: claim templates, the embedded GCS store's claim, volume and mount;
//! - `scheduling`: the batch scheduler's Pod metadata and PodGroup;
//! - `redis_cleanup`: the Job that deletes the cluster's GCS state from Redis after it is gone.
//! - `network`: the NetworkPolicies of `spec.networkPolicy`;
//! - `tls`: mutual TLS (cert-manager's Issuer and CA Certificate, each Pod's certificate);
//! - `exposure`: the dashboard Ingress and the serve Service;
//! - `history`: the history server's collector sidecar.

mod autoscaler;
mod exposure;
mod history;
mod network;
mod pod;
mod redis_cleanup;
mod scheduling;
mod service;
mod storage;
pub mod tls;
mod workload;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, PersistentVolumeClaim, PodTemplate, PodTemplateSpec, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Serialize, Serializer};
use serde_json::Value;

pub use autoscaler::PROVIDER_SOURCE;
pub use scheduling::{NetworkTopologySpec, PodGroup, PodGroupSpec};

use crate::normalize::tls::TlsPlan;
use crate::normalize::{
    EmbeddedPlan, FaultTolerance, GcsClaimPlan, HpaPlan, IngressPlan, NetworkPolicyPlan,
    PodGroupPlan, RayAutoscalerPlan, RedisCleanupPlan, ReplicaWorkload, ResolvedCluster,
    ResolvedGroup, ServeServicePlan, Workload,
};
use crate::raystart::NodeType;

/// One generated object.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    /// The autoscaler's ServiceAccount.
    ServiceAccount(Box<ServiceAccount>),
    /// The autoscaler's Role.
    Role(Box<Role>),
    /// The autoscaler's RoleBinding.
    RoleBinding(Box<RoleBinding>),
    /// The autoscaler's provider and config.
    ConfigMap(Box<ConfigMap>),
    /// The embedded GCS store's claim.
    PersistentVolumeClaim(Box<PersistentVolumeClaim>),
    /// cert-manager's self-signed Issuer of the cluster's CA.
    Issuer(Box<tls::Issuer>),
    /// cert-manager's CA Certificate.
    Certificate(Box<tls::Certificate>),
    /// A NetworkPolicy.
    NetworkPolicy(Box<NetworkPolicy>),
    /// The dashboard Ingress.
    Ingress(Box<Ingress>),
    /// A Service.
    Service(Box<Service>),
    /// A StatefulSet.
    StatefulSet(Box<StatefulSet>),
    /// A Deployment.
    Deployment(Box<Deployment>),
    /// The Pods of a group that Ray's autoscaler scales.
    PodTemplate(Box<PodTemplate>),
    /// An autoscaling/v2 HorizontalPodAutoscaler.
    Hpa(Box<HorizontalPodAutoscaler>),
    /// A batch scheduler's PodGroup.
    PodGroup(Box<PodGroup>),
    /// The Redis cleanup Job, a hook that runs after the cluster is deleted.
    Job(Box<Job>),
}

impl Object {
    /// The object as JSON, `apiVersion` and `kind` included.
    #[must_use]
    pub fn to_value(&self) -> Value {
        // k8s-openapi types always serialize to JSON.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The object as its own type serializes it, `apiVersion` and `kind` included.
impl Serialize for Object {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Object::ServiceAccount(o) => o.serialize(serializer),
            Object::Role(o) => o.serialize(serializer),
            Object::RoleBinding(o) => o.serialize(serializer),
            Object::ConfigMap(o) => o.serialize(serializer),
            Object::PersistentVolumeClaim(o) => o.serialize(serializer),
            Object::Issuer(o) => o.serialize(serializer),
            Object::Certificate(o) => o.serialize(serializer),
            Object::NetworkPolicy(o) => o.serialize(serializer),
            Object::Ingress(o) => o.serialize(serializer),
            Object::PodTemplate(o) => o.serialize(serializer),
            Object::Service(o) => o.serialize(serializer),
            Object::StatefulSet(o) => o.serialize(serializer),
            Object::Deployment(o) => o.serialize(serializer),
            Object::Hpa(o) => o.serialize(serializer),
            Object::PodGroup(o) => o.serialize(serializer),
            Object::Job(o) => o.serialize(serializer),
        }
    }
}

/// The objects of one cluster, in output order (see `parts`): what secures or isolates the
/// Pods comes before them.
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

/// One object of a cluster's output before it is built: which object, and for which group.
/// [`parts`] lists them in output order, so that [`build`] and [`identities`] agree.
#[derive(Clone, Copy, Debug)]
enum Part<'a> {
    /// The autoscaler's ServiceAccount, when raycc creates it.
    ServiceAccount(&'a RayAutoscalerPlan),
    /// The autoscaler's Role.
    Role(&'a RayAutoscalerPlan),
    /// The autoscaler's RoleBinding.
    RoleBinding(&'a RayAutoscalerPlan),
    /// The autoscaler's ConfigMap.
    AutoscalerConfig(&'a RayAutoscalerPlan),
    /// The claim of the GCS store (embedded fault tolerance), when raycc creates it.
    GcsClaim(&'a EmbeddedPlan, &'a GcsClaimPlan),
    /// cert-manager's self-signed Issuer of the cluster's CA.
    Issuer(&'a TlsPlan),
    /// cert-manager's CA Certificate.
    CaCertificate(&'a TlsPlan),
    /// One NetworkPolicy of `spec.networkPolicy`.
    NetworkPolicy(&'a NetworkPolicyPlan),
    /// The head Service.
    HeadService,
    /// The serve Service.
    ServeService(&'a ServeServicePlan),
    /// The dashboard Ingress.
    Ingress(&'a IngressPlan),
    /// The workers' headless Service of multi-host groups.
    HeadlessService(&'a str),
    /// Worker group `i`'s governing Service.
    WorkerService(usize),
    /// The head StatefulSet.
    Head,
    /// Worker group `i`'s workload, or one replica's.
    Worker(usize, Option<&'a ReplicaWorkload>),
    /// Worker group `i`'s PodTemplate, for Ray's autoscaler.
    PodTemplate(usize),
    /// Worker group `i`'s HorizontalPodAutoscaler.
    Hpa(usize, &'a HpaPlan),
    /// The batch scheduler's PodGroup.
    PodGroup(&'a PodGroupPlan),
    /// The Redis cleanup Job, an Argo CD `PostDelete` hook.
    RedisCleanup(&'a RedisCleanupPlan),
}

/// The objects of a cluster, in output order: the autoscaler's ServiceAccount, Role,
/// RoleBinding and ConfigMap, the GCS store's claim, the CA's Issuer and Certificate, the
/// NetworkPolicies, the batch scheduler's PodGroup (before the Pods that name it), then
/// Services, the Ingress, workloads, PodTemplates, HPAs and the Redis cleanup Job; head first.
fn parts(r: &ResolvedCluster) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    if let Some(plan) = &r.autoscaler {
        if plan.create_service_account {
            out.push(Part::ServiceAccount(plan));
        }
        out.extend([
            Part::Role(plan),
            Part::RoleBinding(plan),
            Part::AutoscalerConfig(plan),
        ]);
    }
    if let FaultTolerance::Embedded(plan) = &r.fault_tolerance
        && let Some(claim) = &plan.claim
    {
        out.push(Part::GcsClaim(plan, claim));
    }
    if let Some(plan) = &r.gated.tls {
        out.extend([Part::Issuer(plan), Part::CaCertificate(plan)]);
    }
    out.extend(r.gated.network_policies.iter().map(Part::NetworkPolicy));
    if let Some(pg) = r.scheduling.as_ref().and_then(|s| s.pod_group.as_ref()) {
        out.push(Part::PodGroup(pg));
    }
    out.push(Part::HeadService);
    if let Some(plan) = &r.gated.serve_service {
        out.push(Part::ServeService(plan));
    }
    if let Some(name) = &r.headless_service {
        out.push(Part::HeadlessService(name));
    }
    let mut workloads = vec![Part::Head];
    let mut templates = Vec::new();
    let mut hpas = Vec::new();
    for (i, g) in r.workers.iter().enumerate() {
        match g.workload {
            // A suspended cluster has no templates: the garbage collector removes their Pods.
            Workload::PodTemplate if r.suspended => {}
            Workload::PodTemplate => templates.push(Part::PodTemplate(i)),
            _ if g.replica_workloads.is_empty() => {
                out.push(Part::WorkerService(i));
                workloads.push(Part::Worker(i, None));
            }
            // One workload per replica of a multi-host group, governed by the headless Service.
            _ => workloads.extend(
                g.replica_workloads
                    .iter()
                    .map(|rw| Part::Worker(i, Some(rw))),
            ),
        }
        if let Some(plan) = &g.hpa {
            hpas.push(Part::Hpa(i, plan));
        }
    }
    if let Some(plan) = &r.gated.ingress {
        out.push(Part::Ingress(plan));
    }
    out.extend(workloads);
    out.extend(templates);
    out.extend(hpas);
    if let Some(plan) = &r.redis_cleanup {
        out.push(Part::RedisCleanup(plan));
    }
    out
}

/// An object's identity in the API server, without building it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Identity {
    /// `apiVersion`.
    pub api_version: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// `metadata.name`.
    pub name: String,
}

impl Part<'_> {
    fn identity(&self, r: &ResolvedCluster) -> Identity {
        let (api_version, kind, name) = match *self {
            Part::ServiceAccount(p) => ("v1", "ServiceAccount", p.service_account.clone()),
            Part::Role(p) => ("rbac.authorization.k8s.io/v1", "Role", p.rbac_name.clone()),
            Part::RoleBinding(p) => (
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                p.rbac_name.clone(),
            ),
            Part::AutoscalerConfig(p) => ("v1", "ConfigMap", p.config_map.clone()),
            Part::GcsClaim(p, _) => ("v1", "PersistentVolumeClaim", p.claim_name.clone()),
            Part::Issuer(p) => (
                tls::CERT_MANAGER_API,
                "Issuer",
                p.self_signed_issuer.clone(),
            ),
            Part::CaCertificate(p) => (
                tls::CERT_MANAGER_API,
                "Certificate",
                p.ca_certificate.clone(),
            ),
            Part::NetworkPolicy(p) => ("networking.k8s.io/v1", "NetworkPolicy", p.name.clone()),
            Part::HeadService => ("v1", "Service", r.head_service.name.clone()),
            Part::ServeService(p) => ("v1", "Service", p.name.clone()),
            Part::Ingress(p) => ("networking.k8s.io/v1", "Ingress", p.name.clone()),
            Part::HeadlessService(name) => ("v1", "Service", name.to_string()),
            Part::WorkerService(i) => ("v1", "Service", r.workers[i].object_name.clone()),
            Part::Head => ("apps/v1", "StatefulSet", r.head.object_name.clone()),
            Part::Worker(i, replica) => {
                let g = &r.workers[i];
                let kind = if g.workload == Workload::Deployment {
                    "Deployment"
                } else {
                    "StatefulSet"
                };
                let name = replica.map_or(&g.object_name, |rw| &rw.object_name);
                ("apps/v1", kind, name.clone())
            }
            Part::PodTemplate(i) => ("v1", "PodTemplate", r.workers[i].object_name.clone()),
            Part::Hpa(i, _) => (
                "autoscaling/v2",
                "HorizontalPodAutoscaler",
                r.workers[i].object_name.clone(),
            ),
            Part::PodGroup(pg) => (
                scheduling::api_version(pg),
                "PodGroup",
                pg.name().to_string(),
            ),
            Part::RedisCleanup(p) => ("batch/v1", "Job", p.job_name.clone()),
        };
        Identity {
            api_version,
            kind,
            name,
        }
    }
}

/// The identities of the objects [`build`] makes, in the same order, without building them
/// (`raycc validate` checks that no two objects of a run share one).
#[must_use]
pub fn identities(r: &ResolvedCluster) -> Vec<Identity> {
    parts(r).iter().map(|p| p.identity(r)).collect()
}

/// Builds every object of a resolved cluster.
#[must_use]
pub fn build(r: &ResolvedCluster) -> Manifest {
    let pod_for = |g: &ResolvedGroup| scheduling::with_scheduling(r, g, pod::pod_template(r, g));
    let parts = parts(r);
    // Each Pod template is built once: every object that takes one but the last gets a copy.
    // The head Service only reads the head's, which the head's workload then takes.
    let mut head_pod = Some(pod_for(&r.head));
    let mut worker_pods: Vec<Option<PodTemplateSpec>> = vec![None; r.workers.len()];
    let mut uses = vec![0_usize; r.workers.len()];
    for part in &parts {
        if let Part::Worker(i, _) | Part::PodTemplate(i) = part {
            uses[*i] += 1;
        }
    }
    let mut pod_of = |i: usize| -> PodTemplateSpec {
        uses[i] = uses[i].saturating_sub(1);
        let pod = &mut worker_pods[i];
        if uses[i] == 0 {
            pod.take().unwrap_or_else(|| pod_for(&r.workers[i]))
        } else {
            pod.get_or_insert_with(|| pod_for(&r.workers[i])).clone()
        }
    };
    let objects = parts
        .into_iter()
        .map(|part| match part {
            Part::ServiceAccount(p) => {
                Object::ServiceAccount(Box::new(autoscaler::service_account(r, p)))
            }
            Part::Role(p) => Object::Role(Box::new(autoscaler::role(r, p))),
            Part::RoleBinding(p) => Object::RoleBinding(Box::new(autoscaler::role_binding(r, p))),
            Part::AutoscalerConfig(p) => Object::ConfigMap(Box::new(autoscaler::config_map(r, p))),
            Part::GcsClaim(p, c) => {
                Object::PersistentVolumeClaim(Box::new(storage::gcs_claim(r, p, c)))
            }
            Part::Issuer(p) => Object::Issuer(Box::new(tls::self_signed_issuer(r, p))),
            Part::CaCertificate(p) => Object::Certificate(Box::new(tls::ca_certificate(r, p))),
            Part::NetworkPolicy(p) => {
                Object::NetworkPolicy(Box::new(network::network_policy(r, p)))
            }
            Part::HeadService => Object::Service(Box::new(service::head(
                r,
                head_pod.get_or_insert_with(|| pod_for(&r.head)),
            ))),
            Part::ServeService(p) => Object::Service(Box::new(exposure::serve_service(r, p))),
            Part::Ingress(p) => Object::Ingress(Box::new(exposure::ingress(r, p))),
            Part::HeadlessService(name) => Object::Service(Box::new(service::headless(r, name))),
            Part::WorkerService(i) => Object::Service(Box::new(service::worker(r, &r.workers[i]))),
            Part::Head => Object::StatefulSet(Box::new(workload::statefulset(
                r,
                &r.head,
                head_pod.take().unwrap_or_else(|| pod_for(&r.head)),
                &r.head_service.name,
                None,
            ))),
            Part::Worker(i, replica) => worker_workload(r, &r.workers[i], pod_of(i), replica),
            Part::PodTemplate(i) => Object::PodTemplate(Box::new(autoscaler::pod_template(
                r,
                &r.workers[i],
                pod_of(i),
            ))),
            Part::Hpa(i, plan) => Object::Hpa(Box::new(workload::hpa(r, &r.workers[i], plan))),
            Part::PodGroup(pg) => Object::PodGroup(Box::new(scheduling::pod_group(r, pg))),
            Part::RedisCleanup(p) => Object::Job(Box::new(redis_cleanup::job(r, p))),
        })
        .collect();
    Manifest { objects }
}

/// A worker group's StatefulSet or Deployment, or one replica's.
fn worker_workload(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    pod: PodTemplateSpec,
    replica: Option<&ReplicaWorkload>,
) -> Object {
    if g.workload == Workload::Deployment {
        return Object::Deployment(Box::new(workload::deployment(r, g, pod, replica)));
    }
    let service = match (replica, &r.headless_service) {
        (Some(_), Some(headless)) => headless.as_str(),
        _ => g.object_name.as_str(),
    };
    Object::StatefulSet(Box::new(workload::statefulset(r, g, pod, service, replica)))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::normalize::{Options, normalize};

    /// The objects raycc builds for a cluster named `demo` with this spec, as JSON.
    fn objects(spec: Value) -> Vec<Value> {
        objects_of(json!({"name": "demo"}), spec)
    }

    fn objects_of(metadata: Value, spec: Value) -> Vec<Value> {
        let mut v = json!({"apiVersion": "ray.io/v1", "kind": "RayCluster"});
        v["metadata"] = metadata;
        v["spec"] = spec;
        let (r, _) = normalize(serde_json::from_value(v).unwrap(), &Options::default());
        build(&r).objects.iter().map(Object::to_value).collect()
    }

    fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
        objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    }

    fn env_names(container: &Value) -> Vec<&str> {
        container["env"]
            .as_array()
            .map(|e| e.iter().filter_map(|v| v["name"].as_str()).collect())
            .unwrap_or_default()
    }

    fn worker_group(template: Value) -> Value {
        let mut spec = json!({"rayVersion": "2.52.0", "workerGroupSpecs": [{"groupName": "cpu",
            "minReplicas": 1, "maxReplicas": 1}]});
        spec["workerGroupSpecs"][0]["template"] = template;
        spec
    }

    fn worker_pod(objects: &[Value]) -> &Value {
        &find(objects, "StatefulSet", "demo-cpu-worker")["spec"]["template"]["spec"]
    }

    #[test]
    fn lists_every_built_object_among_the_identities_pod_groups_and_cleanup_job_included() {
        let redis = json!({"redisAddress": "redis:6379"});
        for (metadata, spec) in [
            (
                json!({"name": "demo", "labels": {"volcano.sh/queue-name": "q"},
                    "annotations": {"raycc.io/redis-cleanup": "argocd"}}),
                json!({"rayVersion": "2.52.0", "enableInTreeAutoscaling": true,
                    "gcsFaultToleranceOptions": redis,
                    "workerGroupSpecs": [{"groupName": "cpu", "minReplicas": 1, "maxReplicas": 2}]}),
            ),
            (
                json!({"name": "demo", "labels": {"ray.io/gang-scheduling-enabled": "true"},
                    "annotations": {"raycc.io/batch-scheduler": "scheduler-plugins"}}),
                json!({"rayVersion": "2.52.0", "workerGroupSpecs": [{"groupName": "cpu",
                    "minReplicas": 1, "maxReplicas": 2}]}),
            ),
        ] {
            let mut v = json!({"apiVersion": "ray.io/v1", "kind": "RayCluster"});
            v["metadata"] = metadata;
            v["spec"] = spec;
            let (r, _) = normalize(serde_json::from_value(v).unwrap(), &Options::default());
            let built: Vec<(String, String, String)> = build(&r)
                .objects
                .iter()
                .map(Object::to_value)
                .map(|o| {
                    let s = |p: &str| o.pointer(p).and_then(Value::as_str).unwrap().to_string();
                    (s("/apiVersion"), s("/kind"), s("/metadata/name"))
                })
                .collect();
            let ids: Vec<(String, String, String)> = identities(&r)
                .into_iter()
                .map(|i| (i.api_version.to_string(), i.kind.to_string(), i.name))
                .collect();
            assert_eq!(ids, built);
            assert!(ids.iter().any(|(_, kind, _)| kind == "PodGroup"), "{ids:?}");
        }
    }

    #[test]
    fn runs_ray_s_autoscaler_in_a_head_sidecar_over_pod_templates() {
        let spec = json!({"rayVersion": "2.52.0", "enableInTreeAutoscaling": true,
            "workerGroupSpecs": [{"groupName": "cpu", "minReplicas": 0, "maxReplicas": 3,
                "rayStartParams": {"num-cpus": "1"}}]});
        let o = objects(spec.clone());
        let kinds: Vec<_> = o
            .iter()
            .map(|o| {
                format!(
                    "{} {}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "ServiceAccount demo",
                "Role demo",
                "RoleBinding demo",
                "ConfigMap demo-autoscaler",
                "Service demo-head-svc",
                "StatefulSet demo-head",
                "PodTemplate demo-cpu-worker",
            ]
        );
        let cm = find(&o, "ConfigMap", "demo-autoscaler");
        assert_eq!(cm["data"]["raycc_autoscaler.py"], PROVIDER_SOURCE);
        let head = &find(&o, "StatefulSet", "demo-head")["spec"]["template"]["spec"];
        assert_eq!(head["serviceAccountName"], "demo");
        assert_eq!(head["automountServiceAccountToken"], false);
        let sidecar = &head["containers"][1];
        assert_eq!(sidecar["name"], "autoscaler");
        assert_eq!(sidecar["image"], "rayproject/ray:2.52.0");
        let mounts: Vec<_> = sidecar["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["mountPath"].as_str().unwrap())
            .collect();
        assert_eq!(
            mounts,
            [
                "/tmp/ray",
                "/etc/raycc/autoscaler",
                "/var/run/secrets/kubernetes.io/serviceaccount"
            ]
        );
        assert!(
            head["containers"][0]["args"][0]
                .as_str()
                .unwrap()
                .contains(" --no-monitor ")
        );
        let role = find(&o, "Role", "demo");
        assert_eq!(
            role["rules"][1]["resourceNames"],
            json!(["demo-cpu-worker"])
        );
        // Suspended: no templates, so the garbage collector removes the workers.
        let mut suspended = spec;
        suspended["suspend"] = true.into();
        let o = objects(suspended);
        assert!(o.iter().all(|o| o["kind"] != "PodTemplate"));
        assert_eq!(find(&o, "StatefulSet", "demo-head")["spec"]["replicas"], 0);
    }

    #[test]
    fn orders_services_then_workloads_then_autoscalers_head_first() {
        let o = objects_of(
            json!({"name": "demo", "annotations": {"raycc.io/autoscaler": "hpa"}}),
            json!({"rayVersion": "2.52.0", "enableInTreeAutoscaling": true,
                "workerGroupSpecs": [{"groupName": "cpu", "minReplicas": 1, "maxReplicas": 3}]}),
        );
        let kinds: Vec<_> = o
            .iter()
            .map(|o| {
                format!(
                    "{} {}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "Service demo-head-svc",
                "Service demo-cpu-worker",
                "StatefulSet demo-head",
                "StatefulSet demo-cpu-worker",
                "HorizontalPodAutoscaler demo-cpu-worker",
            ]
        );
        // The HPA owns the replica count.
        assert!(
            find(&o, "StatefulSet", "demo-cpu-worker")["spec"]
                .get("replicas")
                .is_none()
        );
        assert_eq!(find(&o, "StatefulSet", "demo-head")["spec"]["replicas"], 1);
    }

    #[test]
    fn orders_tls_and_network_policies_first_and_names_every_object_in_identities() {
        let v = json!({"apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": "demo", "annotations": {"ray.io/enable-serve-service": "true"}},
            "spec": {"rayVersion": "2.52.0", "tlsOptions": {"enabled": true},
                "networkPolicy": {"mode": "DenyAllIngress"},
                "headGroupSpec": {"enableIngress": true},
                "workerGroupSpecs": [{"groupName": "cpu", "minReplicas": 1, "maxReplicas": 1}]}});
        let (r, _) = normalize(serde_json::from_value(v).unwrap(), &Options::default());
        let built: Vec<_> = build(&r)
            .objects
            .iter()
            .map(Object::to_value)
            .map(|o| {
                format!(
                    "{} {} {}",
                    o["apiVersion"].as_str().unwrap(),
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        let named: Vec<_> = identities(&r)
            .iter()
            .map(|i| format!("{} {} {}", i.api_version, i.kind, i.name))
            .collect();
        assert_eq!(
            built,
            [
                "cert-manager.io/v1 Issuer ray-selfsigned-issuer-demo",
                "cert-manager.io/v1 Certificate ray-ca-certificate-demo",
                "networking.k8s.io/v1 NetworkPolicy demo-head",
                "networking.k8s.io/v1 NetworkPolicy demo-workers-cpu",
                "v1 Service demo-head-svc",
                "v1 Service demo-serve-svc",
                "v1 Service demo-cpu-worker",
                "networking.k8s.io/v1 Ingress demo-head-ingress",
                "apps/v1 StatefulSet demo-head",
                "apps/v1 StatefulSet demo-cpu-worker",
            ]
        );
        assert_eq!(named, built);
    }

    #[test]
    fn mounts_the_kubernetes_token_and_the_tls_certificate_into_the_autoscaler_sidecar() {
        let o = objects(
            json!({"rayVersion": "2.52.0", "enableInTreeAutoscaling": true,
            "authOptions": {"mode": "token", "enableK8sTokenAuth": true},
            "tlsOptions": {"enabled": true},
            "autoscalerOptions": {"volumeMounts": [{"name": "extra", "mountPath": "/extra"}]},
            "headGroupSpec": {"template": {"spec": {"containers": [{"name": "ray-head",
                "image": "rayproject/ray:2.52.0"}], "volumes": [{"name": "extra",
                "emptyDir": {}}]}}},
            "workerGroupSpecs": [{"groupName": "cpu", "minReplicas": 0, "maxReplicas": 1,
                "rayStartParams": {"num-cpus": "1"}}]}),
        );
        let head = &find(&o, "StatefulSet", "demo-head")["spec"]["template"]["spec"];
        let sidecar = &head["containers"][1];
        assert_eq!(sidecar["name"], "autoscaler");
        let mounts: Vec<_> = sidecar["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        let ray: Vec<_> = head["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            mounts[0], "extra",
            "the user's mounts come first: {mounts:?}"
        );
        for name in ["ray-tls", "ray-token"] {
            assert!(mounts.contains(&name), "no {name} in {mounts:?}");
            assert!(
                ray.contains(&name),
                "no {name} in the Ray container's {ray:?}"
            );
        }
        for name in [
            "RAY_ENABLE_K8S_TOKEN_AUTH",
            "RAY_USE_TLS",
            "RAY_TLS_CA_CERT",
        ] {
            assert!(env_names(sidecar).contains(&name), "no {name}");
        }
    }

    #[test]
    fn gives_the_wait_gcs_ready_init_container_the_token_of_the_ray_container() {
        let mut spec = worker_group(json!({"spec": {"containers": [{"name": "ray-worker",
            "env": [{"name": "USER_VAR", "value": "1"}]}]}}));
        spec["authOptions"] = json!({"mode": "token", "secretName": "ray-auth"});
        let o = objects(spec);
        let pod = worker_pod(&o);
        let init = &pod["initContainers"][0];
        assert_eq!(init["name"], "wait-gcs-ready");
        assert_eq!(
            env_names(init),
            [
                "USER_VAR",
                "RAY_AUTH_MODE",
                "RAY_AUTH_TOKEN",
                "FQ_RAY_IP",
                "RAY_IP"
            ]
        );
        assert_eq!(
            init["env"][2]["valueFrom"]["secretKeyRef"]["name"],
            "ray-auth"
        );
        assert_eq!(
            env_names(&pod["containers"][0])[..3],
            ["USER_VAR", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN"]
        );
    }

    #[test]
    fn runs_a_user_command_before_ray_start_and_treats_empty_lists_as_absent() {
        let cases = [
            (
                json!({"command": ["python"], "args": ["/opt/setup.py"]}),
                " python  /opt/setup.py  && ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ray start ",
            ),
            (
                json!({"command": [], "args": []}),
                "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ray start ",
            ),
            (
                json!({"args": [" "]}),
                "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}; ray start ",
            ),
        ];
        for (fields, start) in cases {
            let mut container = json!({"name": "ray-worker"});
            container
                .as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            let o = objects(worker_group(json!({"spec": {"containers": [container]}})));
            let ray = &worker_pod(&o)["containers"][0];
            assert_eq!(ray["command"], json!(["/bin/bash", "-c", "--"]));
            let args = ray["args"][0].as_str().unwrap();
            assert!(args.starts_with(start), "{args}");
        }
    }

    #[test]
    fn keeps_a_command_that_starts_ray_itself_or_is_overwritten() {
        let own = json!({"spec": {"containers": [{"name": "ray-worker",
            "command": ["bash", "-c", "ray start --address=$RAY_ADDRESS --block"]}]}});
        let o = objects(worker_group(own));
        let ray = &worker_pod(&o)["containers"][0];
        assert_eq!(
            ray["command"][2],
            "ray start --address=$RAY_ADDRESS --block"
        );
        assert!(ray.get("args").is_none());
        let mine = json!({"spec": {"containers": [{"name": "ray-worker", "command": ["sleep"], "args": ["1"]}]}});
        let o = objects_of(
            json!({"name": "demo", "annotations": {"ray.io/overwrite-container-cmd": "true"}}),
            worker_group(mine),
        );
        let pod = worker_pod(&o);
        assert_eq!(pod["containers"][0]["command"], json!(["sleep"]));
        assert!(
            env_names(&pod["containers"][0]).contains(&"KUBERAY_GEN_RAY_START_CMD"),
            "the generated command is still handed over"
        );
        assert_eq!(
            find(&o, "StatefulSet", "demo-cpu-worker")["spec"]["template"]["metadata"]["annotations"]
                ["ray.io/overwrite-container-cmd"],
            "true"
        );
        // The operator compares case-insensitively and also reads the Pod template's annotation.
        let in_template = json!({"metadata": {"annotations": {"ray.io/overwrite-container-cmd": "True"}},
            "spec": {"containers": [{"name": "ray-worker", "command": ["sleep"], "args": ["1"]}]}});
        let o = objects(worker_group(in_template));
        assert_eq!(worker_pod(&o)["containers"][0]["command"], json!(["sleep"]));
        let head =
            &find(&o, "StatefulSet", "demo-head")["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(head["command"], json!(["/bin/bash", "-c", "--"]));
    }

    #[test]
    fn never_lists_an_environment_variable_twice() {
        let o = objects(worker_group(
            json!({"spec": {"containers": [{"name": "ray-worker",
            "env": [{"name": "RAY_ADDRESS", "value": "mine:1"}, {"name": "RAY_IP", "value": "x"}]}]}}),
        ));
        let names = env_names(&worker_pod(&o)["containers"][0]);
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
        assert_eq!(worker_pod(&o)["containers"][0]["env"][0]["value"], "mine:1");
    }

    #[test]
    fn sizes_shared_memory_by_the_memory_limit_unless_plasma_has_a_directory() {
        let limited = json!({"spec": {"containers": [{"name": "ray-worker",
            "resources": {"limits": {"memory": "2Gi"}}}]}});
        let o = objects(worker_group(limited.clone()));
        let pod = worker_pod(&o);
        assert_eq!(
            pod["volumes"],
            json!([{"name": "shared-mem", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}])
        );
        let mut spec = worker_group(limited);
        spec["workerGroupSpecs"][0]["rayStartParams"] = json!({"plasma-directory": "/tmp/plasma"});
        let o = objects(spec);
        assert!(worker_pod(&o).get("volumes").is_none());
    }

    #[test]
    fn makes_the_head_service_headless_with_the_default_ports_sorted() {
        let o = objects(json!({"rayVersion": "2.52.0"}));
        let svc = &find(&o, "Service", "demo-head-svc")["spec"];
        assert_eq!(svc["clusterIP"], "None");
        assert_eq!(svc["publishNotReadyAddresses"], true);
        let ports: Vec<_> = svc["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap(), p["port"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            ports,
            [
                ("client", 10001),
                ("dashboard", 8265),
                ("gcs-server", 6379),
                ("metrics", 8080),
                ("serve", 8000)
            ]
        );
        let o = objects(
            json!({"rayVersion": "2.52.0", "headGroupSpec": {"serviceType": "LoadBalancer"}}),
        );
        let svc = &find(&o, "Service", "demo-head-svc")["spec"];
        assert_eq!(svc["type"], "LoadBalancer");
        assert!(svc.get("clusterIP").is_none());
    }

    #[test]
    fn builds_a_deployment_for_a_group_that_asks_for_one() {
        let o = objects_of(
            json!({"name": "demo", "annotations": {"raycc.io/worker-kind.cpu": "Deployment"}}),
            worker_group(json!({"spec": {"containers": [{"name": "ray-worker"}]}})),
        );
        let d = find(&o, "Deployment", "demo-cpu-worker");
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(
            d["spec"]["selector"]["matchLabels"],
            json!({"ray.io/cluster": "demo", "ray.io/group": "cpu", "ray.io/node-type": "worker"})
        );
    }

    fn disk(annotations: Value) -> Value {
        let mut v = json!({"name": "disk", "ephemeral": {"volumeClaimTemplate": {
            "metadata": {},
            "spec": {"accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "10Gi"}}}}}});
        v["ephemeral"]["volumeClaimTemplate"]["metadata"]["annotations"] = annotations;
        v
    }

    #[test]
    fn gives_each_pod_its_claim_and_shares_tmp_ray_with_the_autoscaler() {
        let head = json!({"spec": {"containers": [{"name": "ray-head",
                "volumeMounts": [{"name": "disk", "mountPath": "/mnt/disk"}]}],
            "volumes": [disk(json!({"raycc.io/per-pod-claim": "true",
                "raycc.io/when-deleted": "Delete",
                "raycc.io/ray-use": "object-spilling,tmp-ray"}))]}});
        let o = objects(
            json!({"rayVersion": "2.57.0", "enableInTreeAutoscaling": true,
            "headGroupSpec": {"template": head},
            "workerGroupSpecs": [{"groupName": "cpu", "minReplicas": 0, "maxReplicas": 2,
                "rayStartParams": {"num-cpus": "1"}}]}),
        );
        let sts = &find(&o, "StatefulSet", "demo-head")["spec"];
        assert_eq!(
            sts["volumeClaimTemplates"][0]["metadata"],
            json!({"name": "disk"})
        );
        assert_eq!(
            sts["persistentVolumeClaimRetentionPolicy"],
            json!({"whenDeleted": "Delete", "whenScaled": "Retain"})
        );
        let pod = &sts["template"]["spec"];
        let volumes: Vec<&str> = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        // The StatefulSet provides `disk`; the sidecar needs no `ray-logs` of its own.
        assert_eq!(
            volumes,
            ["shared-mem", "raycc-autoscaler", "raycc-autoscaler-token"]
        );
        let ray = &pod["containers"][0];
        assert_eq!(
            ray["volumeMounts"][1],
            json!({"name": "disk", "mountPath": "/tmp/ray", "subPath": "tmp-ray"})
        );
        assert!(
            ray["args"][0]
                .as_str()
                .unwrap()
                .contains(" --object-spilling-directory=/mnt/disk ")
        );
        assert_eq!(
            pod["containers"][1]["volumeMounts"][0],
            json!({"name": "disk", "mountPath": "/tmp/ray", "subPath": "tmp-ray"})
        );
    }

    #[test]
    fn keeps_gcs_state_on_a_claim_mounted_in_the_head() {
        let spec = json!({"rayVersion": "2.57.0",
            "gcsFaultToleranceOptions": {"backend": "rocksdb",
                "storage": {"size": "5Gi", "deletionPolicy": "Retain"}},
            "workerGroupSpecs": [{"groupName": "cpu", "minReplicas": 1, "maxReplicas": 1}]});
        let o = objects(spec);
        assert_eq!(o[0]["kind"], "PersistentVolumeClaim");
        let pvc = find(&o, "PersistentVolumeClaim", "demo-gcs-pvc");
        assert_eq!(
            pvc["spec"],
            json!({"accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "5Gi"}}})
        );
        assert_eq!(
            pvc["metadata"]["annotations"]["argocd.argoproj.io/sync-options"],
            "Prune=false,Delete=false"
        );
        let head = &find(&o, "StatefulSet", "demo-head")["spec"]["template"];
        assert_eq!(head["metadata"]["annotations"]["ray.io/ft-enabled"], "true");
        let ray = &head["spec"]["containers"][0];
        let env = env_names(ray);
        assert_eq!(env[..2], ["RAY_gcs_storage", "RAY_gcs_storage_path"]);
        assert_eq!(
            ray["volumeMounts"][0],
            json!({"name": "gcs-storage", "mountPath": "/data/gcs"})
        );
        assert_eq!(
            head["spec"]["volumes"][0],
            json!({"name": "gcs-storage", "persistentVolumeClaim": {"claimName": "demo-gcs-pvc"}})
        );
        assert!(
            env_names(&worker_pod(&o)["containers"][0])
                .contains(&"RAY_gcs_rpc_server_reconnect_timeout_s")
        );
        // An existing claim: raycc mounts it and makes none.
        let o = objects(json!({"rayVersion": "2.57.0",
            "gcsFaultToleranceOptions": {"backend": "rocksdb",
                "storage": {"claimName": "state", "subPath": "ray/demo"}}}));
        assert!(o.iter().all(|o| o["kind"] != "PersistentVolumeClaim"));
        let head = &find(&o, "StatefulSet", "demo-head")["spec"]["template"]["spec"];
        assert_eq!(
            head["volumes"][0]["persistentVolumeClaim"]["claimName"],
            "state"
        );
        assert_eq!(
            head["containers"][0]["volumeMounts"][0]["subPath"],
            "ray/demo"
        );
    }
}
