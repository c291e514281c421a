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
//! All decisions were made by normalize; this stage only assembles. It never panics.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction,
    HTTPGetAction, ObjectFieldSelector, PodTemplateSpec, Probe, ProjectedVolumeSource,
    ResourceRequirements, SecretKeySelector, Service, ServiceAccountTokenProjection, ServicePort,
    ServiceSpec, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use crate::model::{AuthMode, AutoscalerVersion};
use crate::names;
use crate::normalize::{HpaPlan, ResolvedCluster, ResolvedGroup, WorkerKind};
use crate::raystart::{self, NodeType};

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
    let head_pod = pod_template(r, &r.head);
    let mut services = vec![Object::Service(Box::new(head_service(r, &head_pod)))];
    let mut workloads = vec![Object::StatefulSet(Box::new(statefulset(
        r,
        &r.head,
        head_pod,
        &r.head_service.name,
    )))];
    let mut hpas = Vec::new();
    for g in &r.workers {
        services.push(Object::Service(Box::new(worker_service(r, g))));
        let pod = pod_template(r, g);
        workloads.push(match g.kind {
            WorkerKind::StatefulSet => {
                Object::StatefulSet(Box::new(statefulset(r, g, pod, &g.object_name)))
            }
            WorkerKind::Deployment => Object::Deployment(Box::new(deployment(r, g, pod))),
        });
        if let Some(plan) = &g.hpa {
            hpas.push(Object::Hpa(Box::new(hpa(r, g, plan))));
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

fn statefulset(
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

fn deployment(r: &ResolvedCluster, g: &ResolvedGroup, template: PodTemplateSpec) -> Deployment {
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

fn hpa(r: &ResolvedCluster, g: &ResolvedGroup, plan: &HpaPlan) -> HorizontalPodAutoscaler {
    HorizontalPodAutoscaler {
        metadata: meta(r, &g.object_name, object_labels(r, g)),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: g.kind.as_str().into(),
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

fn worker_service(r: &ResolvedCluster, g: &ResolvedGroup) -> Service {
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

/// The head Service. Mirrors `BuildServiceForHeadPod` (common/service.go, KubeRay v1.7.0).
fn head_service(r: &ResolvedCluster, head_pod: &PodTemplateSpec) -> Service {
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

fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.into()),
        value_from: None,
    }
}

fn field_env(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                api_version: None,
                field_path: path.to_string(),
            }),
            ..EnvVarSource::default()
        }),
    }
}

/// Appends `var` unless the list already has that name.
fn push_absent(list: &mut Vec<EnvVar>, var: EnvVar) {
    if !list.iter().any(|e| e.name == var.name) {
        list.push(var);
    }
}

/// The Pod template for a group. Mirrors `DefaultHeadPodTemplate`/`DefaultWorkerPodTemplate`
/// and `BuildPod` (common/pod.go, KubeRay v1.7.0).
fn pod_template(r: &ResolvedCluster, g: &ResolvedGroup) -> PodTemplateSpec {
    let mut t = g.template.clone();
    let mut m = t.metadata.take().unwrap_or_default();
    m.name = None;
    m.namespace = None;
    m.generate_name = None;
    m.labels = Some(pod_labels(r, g, m.labels.take().unwrap_or_default()));
    let mut ann = m.annotations.take().unwrap_or_default();
    if g.node == NodeType::Head {
        ann.insert("ray.io/ft-enabled".into(), r.ft_enabled.to_string());
        if r.ft_enabled {
            ann.insert(
                "ray.io/external-storage-namespace".into(),
                storage_namespace(r),
            );
        }
    }
    if r.overwrite_command {
        ann.insert("ray.io/overwrite-container-cmd".into(), "true".into());
    }
    m.annotations = (!ann.is_empty()).then_some(ann);
    t.metadata = Some(m);

    let mut spec = t.spec.take().unwrap_or_default();
    let command = raystart::render(&g.params, g.node);
    let fqdn = r.head_host.clone();
    let svc_label = fqdn.split('.').next().unwrap_or_default().to_string();
    let auth = token_auth(r);

    if let Some(ray) = spec.containers.first_mut() {
        // Worker init container, from the user's Ray container before injection.
        if g.node == NodeType::Worker {
            let mut init = wait_gcs_ready(ray, &format!("{fqdn}:{}", r.head_port));
            // Mirrors configureTokenAuth: `ray health-check` needs the token too.
            if let Some(auth) = &auth {
                set_token_auth(&mut init, auth);
            }
            spec.init_containers.get_or_insert_with(Vec::new).push(init);
        }
        set_command(ray, &command, r.overwrite_command);
        let envs = ray.env.get_or_insert_with(Vec::new);
        autoscaler_env(r, g, envs);
        fault_tolerance_env(r, g, envs);
        if let Some(auth) = &auth {
            set_token_auth(ray, auth);
        }
        let envs = ray.env.get_or_insert_with(Vec::new);
        kuberay_env(r, g, envs, &command, &fqdn, &svc_label);
        let ports = ray.ports.get_or_insert_with(Vec::new);
        if !ports.iter().any(|p| p.name.as_deref() == Some("metrics")) {
            ports.push(ContainerPort {
                name: Some("metrics".into()),
                container_port: raystart::DEFAULT_METRICS_PORT,
                ..ContainerPort::default()
            });
        }
        set_probes(r, g, ray);
    }
    for init in spec.init_containers.iter_mut().flatten() {
        let envs = init.env.get_or_insert_with(Vec::new);
        push_absent(envs, env("FQ_RAY_IP", fqdn.clone()));
        push_absent(envs, env("RAY_IP", svc_label.clone()));
    }
    add_shared_memory(g, &mut spec);
    if matches!(auth, Some(TokenAuth::Kubernetes)) {
        spec.volumes.get_or_insert_with(Vec::new).push(Volume {
            name: "ray-token".into(),
            projected: Some(ProjectedVolumeSource {
                sources: Some(vec![VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        path: "token".into(),
                        ..ServiceAccountTokenProjection::default()
                    }),
                    ..VolumeProjection::default()
                }]),
                ..ProjectedVolumeSource::default()
            }),
            ..Volume::default()
        });
    }
    t.spec = Some(spec);
    t
}

/// Mirrors `labelPod` (common/pod.go, KubeRay v1.7.0): template and group labels over the
/// defaults, except the three that identify the Pod.
fn pod_labels(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    template: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let identifier = match g.node {
        NodeType::Head => format!("{}-head", r.name),
        NodeType::Worker => format!("{}-worker", r.name),
    };
    let mut labels = BTreeMap::from([
        (LABEL_IS_RAY_NODE.to_string(), "yes".to_string()),
        (
            LABEL_IDENTIFIER.to_string(),
            names::check_label(&identifier),
        ),
        (LABEL_APP_NAME.to_string(), "kuberay".to_string()),
        (LABEL_CREATED_BY.to_string(), CREATED_BY.to_string()),
    ]);
    let mut merged = template;
    merged.extend(g.ray_labels.clone());
    for (k, v) in merged {
        if ![LABEL_NODE_TYPE, LABEL_GROUP, LABEL_CLUSTER].contains(&k.as_str()) {
            labels.insert(k, v);
        }
    }
    labels.extend(selector_labels(r, g));
    labels
}

fn storage_namespace(r: &ResolvedCluster) -> String {
    r.source
        .spec
        .gcs_fault_tolerance_options
        .as_ref()
        .and_then(|o| o.external_storage_namespace.clone())
        .or_else(|| {
            r.annotations
                .get("ray.io/external-storage-namespace")
                .cloned()
        })
        .unwrap_or_else(|| r.name.clone())
}

/// Mirrors the command part of `BuildPod` (common/pod.go, KubeRay v1.7.0).
fn set_command(ray: &mut Container, command: &str, overwrite: bool) {
    let user = ray
        .command
        .iter()
        .flatten()
        .chain(ray.args.iter().flatten())
        .fold(String::new(), |mut acc, s| {
            let _ = write!(acc, " {s} ");
            acc
        });
    if overwrite || user.contains("ray start") {
        return;
    }
    // Empty lists count as absent, as in the operator (`len(Command) > 0`); so does a list of
    // blank strings, which the operator would turn into ` && ulimit ...`, a bash syntax error.
    let script = if user.trim().is_empty() {
        format!("{}; {command}", raystart::ULIMIT)
    } else {
        format!("{user} && {}; {command}", raystart::ULIMIT)
    };
    ray.command = Some(vec!["/bin/bash".into(), "-c".into(), "--".into()]);
    ray.args = Some(vec![script]);
}

/// Token authentication as the Pods carry it.
enum TokenAuth {
    /// `RAY_AUTH_TOKEN` from this Secret's key `auth_token`.
    Secret(String),
    /// Kubernetes service-account tokens, projected at [`RAY_TOKEN_MOUNT_PATH`].
    Kubernetes,
}

const RAY_TOKEN_VOLUME: &str = "ray-token";
const RAY_TOKEN_MOUNT_PATH: &str = "/var/run/secrets/ray.io/serviceaccount";

fn token_auth(r: &ResolvedCluster) -> Option<TokenAuth> {
    let a = r
        .source
        .spec
        .auth_options
        .as_ref()
        .filter(|a| a.mode == Some(AuthMode::Token))?;
    Some(if a.enable_k8s_token_auth == Some(true) {
        TokenAuth::Kubernetes
    } else {
        TokenAuth::Secret(
            a.secret_name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| names::check_name(&r.name)),
        )
    })
}

/// Mirrors `SetContainerTokenAuthEnvVars` (common/pod.go, KubeRay v1.7.0).
fn set_token_auth(c: &mut Container, auth: &TokenAuth) {
    let envs = c.env.get_or_insert_with(Vec::new);
    push_absent(envs, env("RAY_AUTH_MODE", "token"));
    match auth {
        TokenAuth::Kubernetes => {
            push_absent(envs, env("RAY_ENABLE_K8S_TOKEN_AUTH", "true"));
            let mounts = c.volume_mounts.get_or_insert_with(Vec::new);
            if !mounts.iter().any(|m| m.name == RAY_TOKEN_VOLUME) {
                mounts.push(VolumeMount {
                    name: RAY_TOKEN_VOLUME.into(),
                    mount_path: RAY_TOKEN_MOUNT_PATH.into(),
                    read_only: Some(true),
                    ..VolumeMount::default()
                });
            }
        }
        TokenAuth::Secret(secret) => push_absent(
            envs,
            EnvVar {
                name: "RAY_AUTH_TOKEN".into(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: secret.clone(),
                        key: "auth_token".into(),
                        optional: None,
                    }),
                    ..EnvVarSource::default()
                }),
            },
        ),
    }
}

/// Mirrors `setAutoscalerV1EnvVars` / `setAutoscalerV2EnvVars` (common/pod.go, KubeRay v1.7.0).
fn autoscaler_env(r: &ResolvedCluster, g: &ResolvedGroup, envs: &mut Vec<EnvVar>) {
    if g.node == NodeType::Head
        && r.source.spec.enable_in_tree_autoscaling == Some(true)
        && let Some(v) = r.autoscaler_version
    {
        push_absent(
            envs,
            env(
                "RAY_enable_autoscaler_v2",
                (v == AutoscalerVersion::V2).to_string(),
            ),
        );
    }
}

/// Mirrors the env part of `configureGCSFaultTolerance` (common/pod.go, KubeRay v1.7.0).
fn fault_tolerance_env(r: &ResolvedCluster, g: &ResolvedGroup, envs: &mut Vec<EnvVar>) {
    let spec = &r.source.spec;
    if !r.ft_enabled {
        return;
    }
    match g.node {
        NodeType::Head => {
            push_absent(
                envs,
                env("RAY_external_storage_namespace", storage_namespace(r)),
            );
            if let Some(o) = &spec.gcs_fault_tolerance_options {
                if let Some(addr) = &o.redis_address {
                    push_absent(envs, env("RAY_REDIS_ADDRESS", addr.clone()));
                }
                for (name, cred) in [
                    ("REDIS_USERNAME", &o.redis_username),
                    ("REDIS_PASSWORD", &o.redis_password),
                ] {
                    if let Some(c) = cred {
                        push_absent(
                            envs,
                            EnvVar {
                                name: name.into(),
                                value: c.value.clone(),
                                value_from: c.value_from.clone(),
                            },
                        );
                    }
                }
            } else if let Some(pw) = g.params.get("redis-password") {
                push_absent(envs, env("REDIS_PASSWORD", pw.clone()));
            }
        }
        NodeType::Worker => {
            push_absent(envs, env("RAY_gcs_rpc_server_reconnect_timeout_s", "600"));
        }
    }
}

/// Mirrors `setContainerEnvVars` (common/pod.go, KubeRay v1.7.0).
fn kuberay_env(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    envs: &mut Vec<EnvVar>,
    command: &str,
    fqdn: &str,
    svc_label: &str,
) {
    if g.node == NodeType::Worker {
        push_absent(envs, env("FQ_RAY_IP", fqdn));
        push_absent(envs, env("RAY_IP", svc_label));
    }
    push_absent(
        envs,
        field_env("RAY_CLUSTER_NAME", "metadata.labels['ray.io/cluster']"),
    );
    push_absent(
        envs,
        field_env("RAY_CLUSTER_NAMESPACE", "metadata.namespace"),
    );
    push_absent(envs, field_env("RAY_CLOUD_INSTANCE_ID", "metadata.name"));
    push_absent(
        envs,
        field_env("RAY_NODE_TYPE_NAME", "metadata.labels['ray.io/group']"),
    );
    push_absent(envs, env("KUBERAY_GEN_RAY_START_CMD", command));
    push_absent(envs, env("RAY_PORT", r.head_port.clone()));
    let address = match g.node {
        NodeType::Head => format!("127.0.0.1:{}", r.head_port),
        NodeType::Worker => format!("{fqdn}:{}", r.head_port),
    };
    push_absent(envs, env("RAY_ADDRESS", address));
    push_absent(envs, env("RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE", "1"));
}

/// Mirrors `initLivenessAndReadinessProbe` (common/pod.go, KubeRay v1.7.0).
fn set_probes(r: &ResolvedCluster, g: &ResolvedGroup, ray: &mut Container) {
    let agent = raystart::port_param(
        &g.params,
        "dashboard-agent-listen-port",
        raystart::DEFAULT_AGENT_PORT,
    );
    let timeout = match g.node {
        NodeType::Head => 5,
        NodeType::Worker => 2,
    };
    let probe = |delay: i32, failures: i32| {
        let mut p = Probe {
            initial_delay_seconds: Some(delay),
            timeout_seconds: Some(timeout),
            period_seconds: Some(5),
            success_threshold: Some(1),
            failure_threshold: Some(failures),
            ..Probe::default()
        };
        if r.http_probes {
            p.http_get = Some(HTTPGetAction {
                path: Some("/api/healthz".into()),
                port: IntOrString::Int(agent),
                ..HTTPGetAction::default()
            });
        } else {
            let mut cmd = format!(
                "wget --tries 1 -T 2 -q -O- http://localhost:{agent}/api/local_raylet_healthz | grep success"
            );
            if g.node == NodeType::Head {
                let dashboard = raystart::port_param(
                    &g.params,
                    "dashboard-port",
                    raystart::DEFAULT_DASHBOARD_PORT,
                );
                let _ = write!(
                    cmd,
                    " && wget --tries 1 -T 10 -q -O- http://localhost:{dashboard}/api/gcs_healthz | grep success"
                );
            }
            p.exec = Some(ExecAction {
                command: Some(vec!["bash".into(), "-c".into(), cmd]),
            });
        }
        p
    };
    if ray.liveness_probe.is_none() {
        ray.liveness_probe = Some(probe(30, 120));
    }
    if ray.readiness_probe.is_none() {
        ray.readiness_probe = Some(probe(10, 10));
    }
}

/// Mirrors `addEmptyDir` for `/dev/shm` (common/pod.go, KubeRay v1.7.0).
fn add_shared_memory(g: &ResolvedGroup, spec: &mut k8s_openapi::api::core::v1::PodSpec) {
    if g.params.contains_key("plasma-directory") {
        return;
    }
    let Some(ray) = spec.containers.first_mut() else {
        return;
    };
    if ray
        .volume_mounts
        .iter()
        .flatten()
        .any(|m| m.mount_path == "/dev/shm")
    {
        return;
    }
    let size = ray.resources.as_ref().and_then(|r| {
        r.limits
            .as_ref()
            .and_then(|l| l.get("memory"))
            .or_else(|| r.requests.as_ref().and_then(|q| q.get("memory")))
            .cloned()
    });
    ray.volume_mounts
        .get_or_insert_with(Vec::new)
        .push(VolumeMount {
            name: "shared-mem".into(),
            mount_path: "/dev/shm".into(),
            ..VolumeMount::default()
        });
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    if !volumes.iter().any(|v| v.name == "shared-mem") {
        volumes.push(Volume {
            name: "shared-mem".into(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: Some("Memory".into()),
                size_limit: size,
            }),
            ..Volume::default()
        });
    }
}

/// The `wait-gcs-ready` init container. Mirrors the init container of
/// `DefaultWorkerPodTemplate` (common/pod.go, KubeRay v1.7.0).
fn wait_gcs_ready(ray: &Container, address: &str) -> Container {
    let script = format!(
        "SECONDS=0
while true; do
  if (( SECONDS <= 120 )); then
    if ray health-check --address {address} > /dev/null 2>&1; then
      echo \"GCS is ready.\"
      break
    fi
    echo \"$SECONDS seconds elapsed: Waiting for GCS to be ready.\"
  else
    if ray health-check --address {address}; then
      echo \"GCS is ready. Any error messages above can be safely ignored.\"
      break
    fi
    echo \"$SECONDS seconds elapsed: Still waiting for GCS to be ready. For troubleshooting, refer to the FAQ at https://docs.ray.io/en/master/cluster/kubernetes/troubleshooting.html.\"
  fi
  sleep 5
done
"
    );
    let fixed = BTreeMap::from([
        ("cpu".to_string(), Quantity("200m".into())),
        ("memory".to_string(), Quantity("256Mi".into())),
    ]);
    Container {
        name: "wait-gcs-ready".into(),
        image: ray.image.clone(),
        image_pull_policy: ray.image_pull_policy.clone(),
        command: Some(vec!["/bin/bash".into(), "-c".into(), "--".into()]),
        args: Some(vec![script]),
        security_context: ray.security_context.clone(),
        env: ray.env.clone(),
        volume_mounts: ray.volume_mounts.clone(),
        resources: Some(ResourceRequirements {
            limits: Some(fixed.clone()),
            requests: Some(fixed),
            ..ResourceRequirements::default()
        }),
        ..Container::default()
    }
}
