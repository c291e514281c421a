//! Pod templates: the operator's head and worker Pods, given a resolved group.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EmptyDirVolumeSource, EnvVar, EnvVarSource, ExecAction,
    HTTPGetAction, ObjectFieldSelector, PodSpec, PodTemplateSpec, Probe, ProjectedVolumeSource,
    ResourceRequirements, SecretKeySelector, ServiceAccountTokenProjection, Volume, VolumeMount,
    VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    CREATED_BY, LABEL_APP_NAME, LABEL_CLUSTER, LABEL_CREATED_BY, LABEL_GROUP, LABEL_IDENTIFIER,
    LABEL_IS_RAY_NODE, LABEL_NODE_TYPE, selector_labels,
};
use crate::names;
use crate::normalize::{
    FaultTolerance, GCS_STORAGE_PATH, OVERWRITE_COMMAND_ANNOTATION, ResolvedCluster, ResolvedGroup,
    TokenAuth,
};
use crate::raystart::{self, NodeType};

pub(super) fn env(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.into()),
        value_from: None,
    }
}

pub(super) fn field_env(name: &str, path: &str) -> EnvVar {
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
pub(super) fn pod_template(r: &ResolvedCluster, g: &ResolvedGroup) -> PodTemplateSpec {
    let mut t = g.template.clone();
    t.metadata = Some(pod_metadata(r, g, t.metadata.take().unwrap_or_default()));

    let mut spec = t.spec.take().unwrap_or_default();
    let command = raystart::render(&g.params, g.node);
    let fqdn = r.head_host.clone();
    let svc_label = fqdn.split('.').next().unwrap_or_default().to_string();
    let auth = r.auth.as_ref();

    if let Some(ray) = spec.containers.first_mut() {
        // Worker init container, from the user's Ray container before injection.
        if g.node == NodeType::Worker {
            let mut init = wait_gcs_ready(ray, &format!("{fqdn}:{}", r.head_port));
            // Mirrors configureTokenAuth: `ray health-check` needs the token too.
            if let Some(auth) = auth {
                set_token_auth(&mut init, auth);
            }
            spec.init_containers.get_or_insert_with(Vec::new).push(init);
        }
        set_command(ray, &command, g.overwrite_command);
        let envs = ray.env.get_or_insert_with(Vec::new);
        autoscaler_env(r, g, envs);
        fault_tolerance_env(r, g, envs);
        if g.node == NodeType::Head
            && let FaultTolerance::Embedded(plan) = &r.fault_tolerance
        {
            super::storage::add_gcs_storage(plan, ray, spec.volumes.get_or_insert_with(Vec::new));
        }
        if let Some(auth) = auth {
            set_token_auth(ray, auth);
        }
        if r.gated.tls.is_some() {
            super::tls::set_container(ray);
        }
        let envs = ray.env.get_or_insert_with(Vec::new);
        kuberay_env(r, g, envs, &command, &fqdn, &svc_label);
        if r.gated.collector.is_some() {
            super::history::event_env(envs);
        }
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
    if let Some(tls) = &r.gated.tls {
        super::tls::configure_pod(g, tls, &mut spec);
    }
    for init in spec.init_containers.iter_mut().flatten() {
        let envs = init.env.get_or_insert_with(Vec::new);
        push_absent(envs, env("FQ_RAY_IP", fqdn.clone()));
        push_absent(envs, env("RAY_IP", svc_label.clone()));
    }
    super::storage::apply(g, &mut spec);
    add_shared_memory(g, &mut spec);
    if g.node == NodeType::Head
        && let Some(plan) = &r.autoscaler
    {
        super::autoscaler::add_sidecar(r, plan, &mut spec);
    }
    if let Some(plan) = &r.gated.collector {
        super::history::add_collector(r, g, plan, &mut spec);
    }
    if auth == Some(&TokenAuth::Kubernetes) {
        spec.volumes
            .get_or_insert_with(Vec::new)
            .push(token_volume());
    }
    t.spec = Some(spec);
    t
}

/// The Pod template's metadata: no name or namespace, KubeRay's labels and annotations.
fn pod_metadata(r: &ResolvedCluster, g: &ResolvedGroup, mut m: ObjectMeta) -> ObjectMeta {
    m.name = None;
    m.namespace = None;
    m.generate_name = None;
    m.labels = Some(pod_labels(r, g, m.labels.take().unwrap_or_default()));
    let mut ann = m.annotations.take().unwrap_or_default();
    if g.node == NodeType::Head {
        ann.insert(
            "ray.io/ft-enabled".into(),
            r.fault_tolerance.enabled().to_string(),
        );
        if let FaultTolerance::Redis(redis) = &r.fault_tolerance {
            ann.insert(
                "ray.io/external-storage-namespace".into(),
                redis.storage_namespace.clone(),
            );
        }
    }
    // Mirrors initTemplateAnnotations (common/pod.go, KubeRay v1.7.0).
    if r.overwrite_command {
        ann.insert(OVERWRITE_COMMAND_ANNOTATION.into(), "true".into());
    }
    m.annotations = (!ann.is_empty()).then_some(ann);
    m
}

/// The projected service account token of Kubernetes token authentication.
fn token_volume() -> Volume {
    Volume {
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
    }
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

/// The projected service-account token volume of Kubernetes token authentication.
const RAY_TOKEN_VOLUME: &str = "ray-token";
const RAY_TOKEN_MOUNT_PATH: &str = "/var/run/secrets/ray.io/serviceaccount";

/// Mirrors `SetContainerTokenAuthEnvVars` (common/pod.go, KubeRay v1.7.0).
pub(super) fn set_token_auth(c: &mut Container, auth: &TokenAuth) {
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
        && let Some(v2) = r.autoscaler_v2
    {
        push_absent(envs, env("RAY_enable_autoscaler_v2", v2.to_string()));
    }
}

/// Mirrors the env part of `configureGCSFaultTolerance`, `configureRedisFT` and
/// `configureEmbeddedFT` (common/pod.go, KubeRay v1.7.0).
fn fault_tolerance_env(r: &ResolvedCluster, g: &ResolvedGroup, envs: &mut Vec<EnvVar>) {
    if !r.fault_tolerance.enabled() {
        return;
    }
    if g.node == NodeType::Worker {
        push_absent(envs, env("RAY_gcs_rpc_server_reconnect_timeout_s", "600"));
        return;
    }
    let redis = match &r.fault_tolerance {
        FaultTolerance::Redis(redis) => redis,
        FaultTolerance::Embedded(_) => {
            push_absent(envs, env("RAY_gcs_storage", "rocksdb"));
            push_absent(envs, env("RAY_gcs_storage_path", GCS_STORAGE_PATH));
            return;
        }
        FaultTolerance::Off => return,
    };
    push_absent(
        envs,
        env(
            "RAY_external_storage_namespace",
            redis.storage_namespace.clone(),
        ),
    );
    if let Some(addr) = &redis.address {
        push_absent(envs, env("RAY_REDIS_ADDRESS", addr.clone()));
    }
    for (name, cred) in [
        ("REDIS_USERNAME", &redis.username),
        ("REDIS_PASSWORD", &redis.password),
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
fn add_shared_memory(g: &ResolvedGroup, spec: &mut PodSpec) {
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
