//! KubeRay's rules for the features raycc compiles that the operator keeps behind feature
//! gates or builds in its own controllers: `spec.networkPolicy`, `spec.tlsOptions`,
//! `historyServerOptions` and the serve Service, with KubeRay's messages
//! (`validateNetworkPolicy`, `validateTLSOptions`, `validateCollectorOptions` and the
//! history-server part of `ValidateRayClusterSpec` in
//! ray-operator/controllers/ray/utils/validation.go, and `BuildServeService` in
//! common/service.go, KubeRay v1.7.0). raycc has no feature gates: these compile as if the
//! operator's gate were on, so the gate errors have no counterpart here. raycc's own rules for
//! the objects it adds (reserved volume names, cert-manager as a prerequisite) follow them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EnvVar, PodTemplateSpec, VolumeMount};

use super::{containers, group_ptr};
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{NetworkPolicyMode, RayCluster};
use crate::names;
use crate::normalize::exposure::{self, SERVE_SERVICE_ANNOTATION};
use crate::normalize::history::COLLECTOR_CONTAINER;
use crate::normalize::tls::{CA_VOLUME, INIT_CONTAINER, TLS_MOUNT_PATH, TLS_VOLUME};

/// Every rule of this module.
pub(super) fn check(c: &RayCluster, f: &mut Vec<Finding>) {
    network_policy(c, f);
    tls(c, f);
    history_server(c, f);
    serve_service(c, f);
}

/// The head's Pod template, when written.
fn head_template(c: &RayCluster) -> Option<&PodTemplateSpec> {
    c.spec
        .head_group_spec
        .as_ref()
        .and_then(|h| h.template.as_ref())
}

fn ray_container(t: Option<&PodTemplateSpec>) -> Option<&Container> {
    containers(t).and_then(<[Container]>::first)
}

/// Mirrors `validateNetworkPolicy`.
fn network_policy(c: &RayCluster, f: &mut Vec<Finding>) {
    let Some(np) = &c.spec.network_policy else {
        return;
    };
    let mode = np.mode.unwrap_or(NetworkPolicyMode::DenyAll);
    for (field, rules) in [("head", &np.head), ("worker", &np.worker)] {
        if let Some(r) = rules {
            open_direction(
                mode,
                &format!("/spec/networkPolicy/{field}"),
                field,
                (set(r.ingress_rules.as_ref()), set(r.egress_rules.as_ref())),
                f,
            );
        }
    }
    let groups = c.spec.worker_group_specs.as_deref().unwrap_or_default();
    for (i, g) in groups.iter().enumerate() {
        let n = g.group_name.as_str();
        // A name that is no DNS label even in lower case is RC214 already.
        if !names::is_dns1123_label(n) && names::is_dns1123_label(&n.to_ascii_lowercase()) {
            f.push(
                Finding::new(
                    Code::InvalidNetworkPolicy,
                    child(&group_ptr(i), "groupName"),
                    format!(
                        "worker group name \"{n}\" must be a valid DNS1123 label when networkPolicy is enabled (it is embedded in the NetworkPolicy name): [{}]",
                        names::dns1123_label_error(n).unwrap_or_default()
                    ),
                )
                .help("write the group name in lower case"),
            );
        }
    }
    let mut seen = BTreeMap::new();
    for (j, wg) in np.worker_groups.iter().flatten().enumerate() {
        let at = format!("/spec/networkPolicy/workerGroups/{j}");
        let g = wg.group_name.as_str();
        open_direction(
            mode,
            &at,
            &format!("workerGroups[\"{g}\"]"),
            (
                set(wg.ingress_rules.as_ref()),
                set(wg.egress_rules.as_ref()),
            ),
            f,
        );
        if !groups.iter().any(|x| x.group_name == g) {
            f.push(
                Finding::new(
                    Code::InvalidNetworkPolicy,
                    child(&at, "groupName"),
                    format!("networkPolicy.workerGroups[\"{g}\"] does not match any group name in workerGroupSpecs"),
                )
                .help("use the groupName of one of the worker groups"),
            );
        }
        // `workerGroups` is a list map keyed by groupName: the API server refuses a repeat.
        if let Some(first) = seen.insert(g, j) {
            f.push(
                Finding::new(
                    Code::InvalidNetworkPolicy,
                    child(&at, "groupName"),
                    format!("networkPolicy.workerGroups has two entries for group \"{g}\""),
                )
                .related(
                    format!("/spec/networkPolicy/workerGroups/{first}/groupName"),
                    "first entry",
                )
                .help("merge the rules into one entry"),
            );
        }
    }
}

/// Rules are written.
fn set<T>(v: Option<&Vec<T>>) -> bool {
    v.is_some_and(|v| !v.is_empty())
}

/// A direction the mode leaves open takes no rules: `(ingress, egress)` say which rules `at`
/// has.
fn open_direction(
    mode: NetworkPolicyMode,
    at: &str,
    what: &str,
    (ingress, egress): (bool, bool),
    f: &mut Vec<Finding>,
) {
    let name = match mode {
        NetworkPolicyMode::DenyAll => "DenyAll",
        NetworkPolicyMode::DenyAllIngress => "DenyAllIngress",
        NetworkPolicyMode::DenyAllEgress => "DenyAllEgress",
    };
    if mode == NetworkPolicyMode::DenyAllEgress && ingress {
        f.push(
            Finding::new(
                Code::InvalidNetworkPolicy,
                child(at, "ingressRules"),
                format!("networkPolicy.{what}.ingressRules cannot be set when mode is \"{name}\" (ingress is not restricted)"),
            )
            .at_key()
            .help("set mode to DenyAll or DenyAllIngress, or remove the ingress rules"),
        );
    }
    if mode == NetworkPolicyMode::DenyAllIngress && egress {
        f.push(
            Finding::new(
                Code::InvalidNetworkPolicy,
                child(at, "egressRules"),
                format!("networkPolicy.{what}.egressRules cannot be set when mode is \"{name}\" (egress is not restricted)"),
            )
            .at_key()
            .help("set mode to DenyAll or DenyAllEgress, or remove the egress rules"),
        );
    }
}

/// The variables the TLS setup sets (`RAY_USE_TLS`, `RAY_TLS_*`).
const TLS_ENV: [&str; 4] = [
    "RAY_USE_TLS",
    "RAY_TLS_SERVER_CERT",
    "RAY_TLS_SERVER_KEY",
    "RAY_TLS_CA_CERT",
];

/// Mirrors `validateTLSOptions` and `validateNoConflictingTLSVolumeMount`, then raycc's rules:
/// the volumes and init container it adds are not in the templates already, and cert-manager
/// must run in the cluster.
fn tls(c: &RayCluster, f: &mut Vec<Finding>) {
    if c.spec.tls_options.as_ref().and_then(|t| t.enabled) != Some(true) {
        return;
    }
    let mut groups = vec![(
        "/spec/headGroupSpec".to_string(),
        "head Pod".to_string(),
        head_template(c),
    )];
    for (i, g) in c.spec.worker_group_specs.iter().flatten().enumerate() {
        groups.push((
            group_ptr(i),
            format!("worker group \"{}\"", g.group_name),
            g.template.as_ref(),
        ));
    }
    for (at, who, t) in &groups {
        let ray_at = format!("{at}/template/spec/containers/0");
        if let Some(ray) = ray_container(*t) {
            forbidden_tls_env(
                ray.env.as_deref(),
                &child(&ray_at, "env"),
                |name| {
                    format!(
                        "cannot set {name} environment variable in {who} when tlsOptions is set - the operator manages TLS configuration automatically"
                    )
                },
                f,
            );
            forbidden_tls_mounts(
                ray.volume_mounts.as_deref(),
                &child(&ray_at, "volumeMounts"),
                who,
                f,
            );
        }
        reserved_tls_names(*t, &format!("{at}/template/spec"), f);
    }
    if let Some(o) = &c.spec.autoscaler_options {
        forbidden_tls_env(
            o.env.as_deref(),
            "/spec/autoscalerOptions/env",
            |name| {
                format!(
                    "cannot set {name} environment variable in autoscalerOptions.env when tlsOptions is set - the operator manages TLS configuration for the autoscaler automatically"
                )
            },
            f,
        );
        forbidden_tls_mounts(
            o.volume_mounts.as_deref(),
            "/spec/autoscalerOptions/volumeMounts",
            "autoscalerOptions.volumeMounts",
            f,
        );
    }
    f.push(
        Finding::new(
            Code::ExternalPrerequisite,
            "/spec/tlsOptions",
            "mutual TLS needs cert-manager: the cluster's CA is a cert-manager Issuer and Certificate (cert-manager.io/v1), which raycc emits and cert-manager issues",
        )
        .at_key()
        .help("install cert-manager in the cluster before applying; the Ray images need `openssl`, which issues each Pod's certificate"),
    );
}

fn forbidden_tls_env(
    env: Option<&[EnvVar]>,
    at: &str,
    message: impl Fn(&str) -> String,
    f: &mut Vec<Finding>,
) {
    for (k, e) in env.into_iter().flatten().enumerate() {
        if TLS_ENV.contains(&e.name.as_str()) {
            f.push(
                Finding::new(Code::InvalidTlsOptions, child(at, k), message(&e.name))
                    .help("remove the variable: it is set to the certificate each Pod gets"),
            );
        }
    }
}

fn forbidden_tls_mounts(mounts: Option<&[VolumeMount]>, at: &str, who: &str, f: &mut Vec<Finding>) {
    for (k, m) in mounts.into_iter().flatten().enumerate() {
        let message = if m.name == TLS_VOLUME {
            format!(
                "cannot use volume mount named \"{TLS_VOLUME}\" in {who} when tlsOptions is set - the operator manages TLS configuration automatically"
            )
        } else if m.mount_path == TLS_MOUNT_PATH {
            format!(
                "cannot use volume mount at path \"{TLS_MOUNT_PATH}\" in {who} when tlsOptions is set - the operator manages TLS configuration automatically"
            )
        } else {
            continue;
        };
        f.push(
            Finding::new(Code::InvalidTlsOptions, child(at, k), message)
                .help("remove the mount: the Pod's certificate is mounted there"),
        );
    }
}

/// raycc adds the volumes `ray-tls` and `ray-tls-ca` and the init container `issue-tls-cert`.
fn reserved_tls_names(t: Option<&PodTemplateSpec>, at: &str, f: &mut Vec<Finding>) {
    let Some(spec) = t.and_then(|t| t.spec.as_ref()) else {
        return;
    };
    for (k, v) in spec.volumes.iter().flatten().enumerate() {
        if v.name == TLS_VOLUME || v.name == CA_VOLUME {
            f.push(
                Finding::new(
                    Code::InvalidTlsOptions,
                    child(&child(&child(at, "volumes"), k), "name"),
                    format!("volume name `{}` is reserved when tlsOptions is set: it holds the Pod's certificate or the cluster's CA", v.name),
                )
                .help("rename the volume"),
            );
        }
    }
    for (k, c) in spec.init_containers.iter().flatten().enumerate() {
        if c.name == INIT_CONTAINER {
            f.push(
                Finding::new(
                    Code::InvalidTlsOptions,
                    child(&child(&child(at, "initContainers"), k), "name"),
                    format!("init container name `{INIT_CONTAINER}` is reserved when tlsOptions is set: it issues the Pod's certificate"),
                )
                .help("rename the init container"),
            );
        }
    }
}

/// The variables the operator gives the collector.
const COLLECTOR_ENV: [&str; 8] = [
    "POD_IP",
    "FQ_RAY_IP",
    "RAY_CLUSTER_NAME",
    "RAY_CLUSTER_NAMESPACE",
    "RAY_ROLE",
    "OWNER_KIND",
    "OWNER_NAME",
    "EVENTS_PORT",
];

/// Mirrors the `HistoryServerOptions` part of `ValidateRayClusterSpec` and
/// `validateCollectorOptions`.
fn history_server(c: &RayCluster, f: &mut Vec<Finding>) {
    let Some(h) = &c.spec.history_server_options else {
        return;
    };
    let Some(o) = &h.collector_options else {
        f.push(
            Finding::new(
                Code::InvalidHistoryServer,
                "/spec/historyServerOptions",
                "historyServerOptions.collectorOptions must be set",
            )
            .at_key(),
        );
        return;
    };
    let at = "/spec/historyServerOptions/collectorOptions";
    if o.image.as_deref().is_none_or(str::is_empty) {
        f.push(
            Finding::new(
                Code::InvalidHistoryServer,
                at,
                "historyServerOptions.collectorOptions.image must be set",
            )
            .at_key()
            .help("set the collector image, e.g. quay.io/kuberay/collector:v1.7.0"),
        );
    }
    let env_at = child(at, "env");
    let mut env: BTreeMap<&str, (usize, &EnvVar)> = BTreeMap::new();
    for (k, e) in o.env.iter().flatten().enumerate() {
        env.insert(e.name.as_str(), (k, e));
    }
    for name in COLLECTOR_ENV {
        if let Some((k, _)) = env.get(name) {
            f.push(Finding::new(
                Code::InvalidHistoryServer,
                child(&env_at, k),
                format!("historyServerOptions.collectorOptions.env must not contain {name}: it is managed by KubeRay and injected automatically into the collector container"),
            ));
        }
    }
    let backend = env
        .get("STORAGE_BACKEND")
        .and_then(|(_, e)| e.value.as_deref())
        .filter(|v| !v.is_empty());
    let Some(backend) = backend else {
        f.push(
            Finding::new(
                Code::InvalidHistoryServer,
                if o.env.is_some() { env_at.clone() } else { at.to_string() },
                "STORAGE_BACKEND environment variable must be set with a literal string value in historyServerOptions.collectorOptions.env",
            )
            .at_key()
            .help("add `- {name: STORAGE_BACKEND, value: S3}` (or GCS, AZUREBLOB, ALIYUNOSS) with that backend's variables"),
        );
        return containers_named_collector(c, f);
    };
    backend_settings(backend, &env, &env_at, f);
    containers_named_collector(c, f);
}

/// The variables the storage backend needs. Mirrors the backend switch of
/// `validateCollectorOptions`.
fn backend_settings(
    backend: &str,
    env: &BTreeMap<&str, (usize, &EnvVar)>,
    env_at: &str,
    f: &mut Vec<Finding>,
) {
    let has_value = |name: &str| {
        env.get(name).is_some_and(|(_, e)| {
            e.value.as_deref().is_some_and(|v| !v.is_empty()) || e.value_from.is_some()
        })
    };
    let mut need = |name: &str, message: String| {
        if !has_value(name) {
            f.push(Finding::new(Code::InvalidHistoryServer, env_at.to_string(), message).at_key());
        }
    };
    match backend.to_ascii_uppercase().as_str() {
        "GCS" => need(
            "GCS_BUCKET",
            "GCS_BUCKET environment variable must be set when STORAGE_BACKEND is GCS".into(),
        ),
        "S3" => need(
            "S3_REGION",
            "S3_REGION environment variable must be set when STORAGE_BACKEND is S3".into(),
        ),
        "AZUREBLOB" => {
            let mode = env
                .get("AZURE_STORAGE_AUTH_MODE")
                .and_then(|(_, e)| e.value.as_deref())
                .map(|v| v.trim().to_ascii_lowercase())
                .unwrap_or_default();
            match mode.as_str() {
                "connection_string" => need(
                    "AZURE_STORAGE_CONNECTION_STRING",
                    "AZURE_STORAGE_CONNECTION_STRING environment variable must be set when STORAGE_BACKEND is AZUREBLOB and AZURE_STORAGE_AUTH_MODE is connection_string".into(),
                ),
                "workload_identity" | "default" => need(
                    "AZURE_STORAGE_ACCOUNT_URL",
                    format!("AZURE_STORAGE_ACCOUNT_URL environment variable must be set when STORAGE_BACKEND is AZUREBLOB and AZURE_STORAGE_AUTH_MODE is {mode}"),
                ),
                _ => {
                    if !has_value("AZURE_STORAGE_CONNECTION_STRING")
                        && !has_value("AZURE_STORAGE_ACCOUNT_URL")
                    {
                        f.push(Finding::new(
                            Code::InvalidHistoryServer,
                            env_at.to_string(),
                            "either AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL environment variable must be set when STORAGE_BACKEND is AZUREBLOB",
                        ).at_key());
                    }
                }
            }
        }
        "ALIYUNOSS" => {
            for name in ["OSS_BUCKET", "OSS_ENDPOINT", "OSS_REGION"] {
                need(
                    name,
                    format!(
                        "{name} environment variable must be set when STORAGE_BACKEND is ALIYUNOSS"
                    ),
                );
            }
        }
        _ => {}
    }
}

/// No Pod template has a container named like the collector.
fn containers_named_collector(c: &RayCluster, f: &mut Vec<Finding>) {
    let named = |t: Option<&PodTemplateSpec>| {
        containers(t)
            .unwrap_or_default()
            .iter()
            .position(|x| x.name == COLLECTOR_CONTAINER)
    };
    if let Some(k) = named(head_template(c)) {
        f.push(Finding::new(
            Code::InvalidHistoryServer,
            format!("/spec/headGroupSpec/template/spec/containers/{k}/name"),
            format!("head pod template must not define a container with name '{COLLECTOR_CONTAINER}' when history server collector options are enabled"),
        ));
    }
    for (i, g) in c.spec.worker_group_specs.iter().flatten().enumerate() {
        if let Some(k) = named(g.template.as_ref()) {
            f.push(Finding::new(
                Code::InvalidHistoryServer,
                format!("{}/template/spec/containers/{k}/name", group_ptr(i)),
                format!("worker group {} pod template must not define a container with name '{COLLECTOR_CONTAINER}' when history server collector options are enabled", g.group_name),
            ));
        }
    }
}

/// Mirrors the error of `BuildServeService` when the head has no serving port.
fn serve_service(c: &RayCluster, f: &mut Vec<Finding>) {
    let Some(annotations) = &c.metadata.annotations else {
        return;
    };
    if !exposure::wants_serve_service(annotations) {
        return;
    }
    let ports = exposure::service_ports(head_template(c));
    if !ports.keys().any(|p| exposure::is_serving_port(p)) {
        f.push(
            Finding::new(
                Code::NoServePort,
                child("/metadata/annotations", SERVE_SERVICE_ANNOTATION),
                "Please specify a port named 'serve' (or with the prefix 'serve-', e.g. 'serve-grpc') in the Ray head container; otherwise, the Kubernetes service for Ray Serve will not be created",
            )
            .at_key()
            .related(
                "/spec/headGroupSpec/template/spec/containers/0/ports",
                "the head's ports",
            )
            .help("add `- {name: serve, containerPort: 8000}` to the head's ports, or remove the annotation"),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn findings(v: serde_json::Value) -> Vec<Finding> {
        let mut c = json!({"apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": "demo"}});
        c["spec"] = v;
        let mut f = Vec::new();
        check(&serde_json::from_value(c).unwrap(), &mut f);
        f
    }

    fn messages(f: &[Finding]) -> Vec<(Code, &str, &str)> {
        f.iter()
            .map(|x| (x.code, x.pointer.as_str(), x.message.as_str()))
            .collect()
    }

    #[test]
    fn refuses_rules_for_a_direction_the_mode_leaves_open() {
        let f = findings(json!({"networkPolicy": {"mode": "DenyAllEgress",
            "head": {"ingressRules": [{}]}, "worker": {"egressRules": [{}]},
            "workerGroups": [{"groupName": "cpu", "ingressRules": [{}]}]},
            "workerGroupSpecs": [{"groupName": "cpu"}]}));
        assert_eq!(
            messages(&f),
            [
                (
                    Code::InvalidNetworkPolicy,
                    "/spec/networkPolicy/head/ingressRules",
                    "networkPolicy.head.ingressRules cannot be set when mode is \"DenyAllEgress\" (ingress is not restricted)"
                ),
                (
                    Code::InvalidNetworkPolicy,
                    "/spec/networkPolicy/workerGroups/0/ingressRules",
                    "networkPolicy.workerGroups[\"cpu\"].ingressRules cannot be set when mode is \"DenyAllEgress\" (ingress is not restricted)"
                ),
            ]
        );
        let f = findings(json!({"networkPolicy": {"mode": "DenyAllIngress",
            "worker": {"egressRules": [{}]}}}));
        assert_eq!(
            f[0].message,
            "networkPolicy.worker.egressRules cannot be set when mode is \"DenyAllIngress\" (egress is not restricted)"
        );
    }

    #[test]
    fn refuses_unknown_repeated_and_upper_case_groups() {
        let f = findings(json!({"networkPolicy": {"workerGroups": [
                {"groupName": "gpu"}, {"groupName": "GPU"}, {"groupName": "GPU"}]},
            "workerGroupSpecs": [{"groupName": "GPU"}]}));
        let got = messages(&f);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].2.starts_with("worker group name \"GPU\" must be a valid DNS1123 label when networkPolicy is enabled (it is embedded in the NetworkPolicy name): [a lowercase RFC 1123 label"));
        assert_eq!(
            got[1],
            (
                Code::InvalidNetworkPolicy,
                "/spec/networkPolicy/workerGroups/0/groupName",
                "networkPolicy.workerGroups[\"gpu\"] does not match any group name in workerGroupSpecs"
            )
        );
        assert_eq!(got[2].1, "/spec/networkPolicy/workerGroups/2/groupName");
        assert!(findings(json!({"workerGroupSpecs": [{"groupName": "GPU"}]})).is_empty());
    }

    #[test]
    fn keeps_the_tls_settings_to_itself_and_names_cert_manager() {
        let f = findings(json!({"tlsOptions": {"enabled": true},
            "autoscalerOptions": {"env": [{"name": "RAY_TLS_CA_CERT", "value": "x"}],
                "volumeMounts": [{"name": "certs", "mountPath": "/etc/ray/tls"}]},
            "headGroupSpec": {"template": {"spec": {
                "containers": [{"name": "ray-head", "env": [{"name": "A"}, {"name": "RAY_USE_TLS", "value": "1"}],
                    "volumeMounts": [{"name": "ray-tls", "mountPath": "/certs"}]}],
                "volumes": [{"name": "ray-tls-ca", "emptyDir": {}}]}}},
            "workerGroupSpecs": [{"groupName": "cpu", "template": {"spec": {
                "initContainers": [{"name": "issue-tls-cert"}],
                "containers": [{"name": "w", "env": [{"name": "RAY_TLS_SERVER_KEY"}]}]}}}]}));
        assert_eq!(
            messages(&f),
            [
                (
                    Code::InvalidTlsOptions,
                    "/spec/headGroupSpec/template/spec/containers/0/env/1",
                    "cannot set RAY_USE_TLS environment variable in head Pod when tlsOptions is set - the operator manages TLS configuration automatically"
                ),
                (
                    Code::InvalidTlsOptions,
                    "/spec/headGroupSpec/template/spec/containers/0/volumeMounts/0",
                    "cannot use volume mount named \"ray-tls\" in head Pod when tlsOptions is set - the operator manages TLS configuration automatically"
                ),
                (
                    Code::InvalidTlsOptions,
                    "/spec/headGroupSpec/template/spec/volumes/0/name",
                    "volume name `ray-tls-ca` is reserved when tlsOptions is set: it holds the Pod's certificate or the cluster's CA"
                ),
                (
                    Code::InvalidTlsOptions,
                    "/spec/workerGroupSpecs/0/template/spec/containers/0/env/0",
                    "cannot set RAY_TLS_SERVER_KEY environment variable in worker group \"cpu\" when tlsOptions is set - the operator manages TLS configuration automatically"
                ),
                (
                    Code::InvalidTlsOptions,
                    "/spec/workerGroupSpecs/0/template/spec/initContainers/0/name",
                    "init container name `issue-tls-cert` is reserved when tlsOptions is set: it issues the Pod's certificate"
                ),
                (
                    Code::InvalidTlsOptions,
                    "/spec/autoscalerOptions/env/0",
                    "cannot set RAY_TLS_CA_CERT environment variable in autoscalerOptions.env when tlsOptions is set - the operator manages TLS configuration for the autoscaler automatically"
                ),
                (
                    Code::InvalidTlsOptions,
                    "/spec/autoscalerOptions/volumeMounts/0",
                    "cannot use volume mount at path \"/etc/ray/tls\" in autoscalerOptions.volumeMounts when tlsOptions is set - the operator manages TLS configuration automatically"
                ),
                (
                    Code::ExternalPrerequisite,
                    "/spec/tlsOptions",
                    "mutual TLS needs cert-manager: the cluster's CA is a cert-manager Issuer and Certificate (cert-manager.io/v1), which raycc emits and cert-manager issues"
                ),
            ]
        );
        assert!(
            findings(json!({"tlsOptions": {"enabled": false},
            "headGroupSpec": {"template": {"spec": {"containers": [{"name": "h",
                "env": [{"name": "RAY_USE_TLS", "value": "1"}]}]}}}}))
            .is_empty()
        );
    }

    #[test]
    fn requires_a_collector_image_and_its_storage_settings() {
        let f = findings(json!({"historyServerOptions": {}}));
        assert_eq!(
            f[0].message,
            "historyServerOptions.collectorOptions must be set"
        );
        let f = findings(json!({"historyServerOptions": {"collectorOptions": {}}}));
        let got: Vec<_> = f.iter().map(|x| x.message.as_str()).collect();
        assert_eq!(
            got,
            [
                "historyServerOptions.collectorOptions.image must be set",
                "STORAGE_BACKEND environment variable must be set with a literal string value in historyServerOptions.collectorOptions.env"
            ]
        );
        let cases = [
            (
                json!([{"name": "STORAGE_BACKEND", "value": "gcs"}]),
                vec!["GCS_BUCKET environment variable must be set when STORAGE_BACKEND is GCS"],
            ),
            (
                json!([{"name": "STORAGE_BACKEND", "value": "S3"}, {"name": "S3_REGION", "value": ""}]),
                vec!["S3_REGION environment variable must be set when STORAGE_BACKEND is S3"],
            ),
            (
                json!([{"name": "STORAGE_BACKEND", "value": "S3"},
                    {"name": "S3_REGION", "valueFrom": {"configMapKeyRef": {"name": "s3", "key": "region"}}}]),
                vec![],
            ),
            (
                json!([{"name": "STORAGE_BACKEND", "value": "AZUREBLOB"}]),
                vec![
                    "either AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL environment variable must be set when STORAGE_BACKEND is AZUREBLOB",
                ],
            ),
            (
                json!([{"name": "STORAGE_BACKEND", "value": "AZUREBLOB"},
                    {"name": "AZURE_STORAGE_AUTH_MODE", "value": " Workload_Identity "}]),
                vec![
                    "AZURE_STORAGE_ACCOUNT_URL environment variable must be set when STORAGE_BACKEND is AZUREBLOB and AZURE_STORAGE_AUTH_MODE is workload_identity",
                ],
            ),
            (
                json!([{"name": "STORAGE_BACKEND", "value": "ALIYUNOSS"}, {"name": "OSS_REGION", "value": "r"}]),
                vec![
                    "OSS_BUCKET environment variable must be set when STORAGE_BACKEND is ALIYUNOSS",
                    "OSS_ENDPOINT environment variable must be set when STORAGE_BACKEND is ALIYUNOSS",
                ],
            ),
            (
                json!([{"name": "STORAGE_BACKEND", "value": "GCS"}, {"name": "GCS_BUCKET", "value": "b"},
                    {"name": "EVENTS_PORT", "value": "1"}]),
                vec![
                    "historyServerOptions.collectorOptions.env must not contain EVENTS_PORT: it is managed by KubeRay and injected automatically into the collector container",
                ],
            ),
        ];
        for (env, want) in cases {
            let f = findings(json!({"historyServerOptions": {"collectorOptions": {
                "image": "c:1", "env": env}}}));
            let got: Vec<_> = f.iter().map(|x| x.message.as_str()).collect();
            assert_eq!(got, want, "{env}");
        }
        let f = findings(
            json!({"historyServerOptions": {"collectorOptions": {"image": "c:1",
                "env": [{"name": "STORAGE_BACKEND", "value": "GCS"}, {"name": "GCS_BUCKET", "value": "b"}]}},
            "workerGroupSpecs": [{"groupName": "cpu", "template": {"spec": {"containers": [
                {"name": "ray-worker"}, {"name": "ray-history-collector"}]}}}]}),
        );
        assert_eq!(
            messages(&f),
            [(
                Code::InvalidHistoryServer,
                "/spec/workerGroupSpecs/0/template/spec/containers/1/name",
                "worker group cpu pod template must not define a container with name 'ray-history-collector' when history server collector options are enabled"
            )]
        );
    }

    #[test]
    fn refuses_a_serve_service_without_a_serving_port() {
        let annotated = |ports: serde_json::Value| {
            let mut c = json!({"apiVersion": "ray.io/v1", "kind": "RayCluster",
                "metadata": {"name": "demo", "annotations": {"ray.io/enable-serve-service": "true"}},
                "spec": {"headGroupSpec": {"template": {"spec": {"containers": [
                    {"name": "ray-head"}]}}}}});
            c["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"] = ports;
            let mut f = Vec::new();
            check(&serde_json::from_value(c).unwrap(), &mut f);
            f
        };
        let f = annotated(json!([{"name": "dashboard", "containerPort": 8265}]));
        assert_eq!(f[0].code, Code::NoServePort);
        assert_eq!(
            f[0].pointer,
            "/metadata/annotations/ray.io~1enable-serve-service"
        );
        assert!(annotated(json!([{"name": "serve-grpc", "containerPort": 9000}])).is_empty());
        // No ports at all: the default `serve: 8000` applies.
        assert!(annotated(json!([])).is_empty());
    }
}
