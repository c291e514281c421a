//! Ray's own autoscaler: the head's `autoscaler` sidecar and the objects it needs (the
//! `ConfigMap` with raycc's node provider and the autoscaling config, a `ServiceAccount`, a
//! `Role` granting exactly the provider's calls, a `RoleBinding`), and a `PodTemplate` per
//! worker group, from which the provider creates the workers.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapProjection, ConfigMapVolumeSource, Container, DownwardAPIProjection,
    DownwardAPIVolumeFile, EmptyDirVolumeSource, EnvVar, KeyToPath, ObjectFieldSelector, PodSpec,
    PodTemplate, PodTemplateSpec, ProjectedVolumeSource, ServiceAccount,
    ServiceAccountTokenProjection, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};

use super::pod::{env, field_env, set_token_auth};
use super::{CREATED_BY, LABEL_APP_NAME, LABEL_CLUSTER, LABEL_CREATED_BY, meta, object_labels};
use crate::emit;
use crate::normalize::ray_autoscaler::{
    CONFIG_FILE, MOUNT_PATH, PROVIDER_FILE, RAY_LOGS_PATH, RayAutoscalerPlan,
};
use crate::normalize::{ResolvedCluster, ResolvedGroup};

/// raycc's node provider and the sidecar's entry point, shipped in the ConfigMap.
pub const PROVIDER_SOURCE: &str = include_str!("../../autoscaler/raycc_autoscaler.py");

/// The volume holding the ConfigMap, in the head Pod.
const CONFIG_VOLUME: &str = "raycc-autoscaler";
/// The volume holding the service-account token, in the head Pod, when the Ray container gets
/// none.
const TOKEN_VOLUME: &str = "raycc-autoscaler-token";
/// Where Kubernetes clients look for the service-account token.
const TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The shared log volume of KubeRay's autoscaler sidecar.
const RAY_LOGS_VOLUME: &str = "ray-logs";

/// Labels of the cluster-wide objects.
pub(super) fn cluster_labels(r: &ResolvedCluster) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_CLUSTER.to_string(), r.name.clone()),
        (LABEL_APP_NAME.to_string(), "kuberay".to_string()),
        (LABEL_CREATED_BY.to_string(), CREATED_BY.to_string()),
    ])
}

/// The ServiceAccount raycc creates when the head template names none. Mirrors
/// `BuildServiceAccount` (ray-operator/controllers/ray/common/rbac.go, KubeRay v1.7.0).
pub(super) fn service_account(r: &ResolvedCluster, plan: &RayAutoscalerPlan) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(r, &plan.service_account, cluster_labels(r)),
        ..ServiceAccount::default()
    }
}

/// The Role: every call the provider makes, and nothing else (`RBAC_RULES` in the provider).
/// The operator's Role (`BuildRole`, common/rbac.go) grants Pods get/list/watch/patch and the
/// RayCluster; raycc's provider creates and deletes Pods itself and reads only the group's
/// PodTemplates, by name.
pub(super) fn role(r: &ResolvedCluster, plan: &RayAutoscalerPlan) -> Role {
    let mut rules = vec![PolicyRule {
        api_groups: Some(vec![String::new()]),
        resources: Some(vec!["pods".into()]),
        verbs: vec!["create".into(), "delete".into(), "list".into()],
        ..PolicyRule::default()
    }];
    if !plan.pod_templates.is_empty() {
        rules.push(PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["podtemplates".into()]),
            resource_names: Some(plan.pod_templates.clone()),
            verbs: vec!["get".into()],
            ..PolicyRule::default()
        });
    }
    Role {
        metadata: meta(r, &plan.rbac_name, cluster_labels(r)),
        rules: Some(rules),
    }
}

/// The RoleBinding. Mirrors `BuildRoleBinding` (common/rbac.go, KubeRay v1.7.0).
pub(super) fn role_binding(r: &ResolvedCluster, plan: &RayAutoscalerPlan) -> RoleBinding {
    RoleBinding {
        metadata: meta(r, &plan.rbac_name, cluster_labels(r)),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: plan.rbac_name.clone(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: plan.service_account.clone(),
            namespace: r.namespace.clone(),
            ..Subject::default()
        }]),
    }
}

/// The ConfigMap: the provider module and the autoscaling config, which the sidecar reads every
/// round, so a changed config applies without restarting anything.
pub(super) fn config_map(r: &ResolvedCluster, plan: &RayAutoscalerPlan) -> ConfigMap {
    ConfigMap {
        metadata: meta(r, &plan.config_map, cluster_labels(r)),
        data: Some(BTreeMap::from([
            (CONFIG_FILE.to_string(), emit::to_yaml(&plan.config)),
            (PROVIDER_FILE.to_string(), PROVIDER_SOURCE.to_string()),
        ])),
        ..ConfigMap::default()
    }
}

/// The PodTemplate of an autoscaled worker group.
pub(super) fn pod_template(
    r: &ResolvedCluster,
    g: &ResolvedGroup,
    template: PodTemplateSpec,
) -> PodTemplate {
    PodTemplate {
        metadata: meta(r, &g.object_name, object_labels(r, g)),
        template: Some(template),
    }
}

/// Adds the sidecar to the head Pod, with its volumes and service account. Mirrors the
/// autoscaling part of `DefaultHeadPodTemplate` and `BuildPod` (common/pod.go, KubeRay v1.7.0).
pub(super) fn add_sidecar(r: &ResolvedCluster, plan: &RayAutoscalerPlan, spec: &mut PodSpec) {
    spec.service_account_name = Some(plan.service_account.clone());
    if plan.create_service_account && spec.automount_service_account_token.is_none() {
        // Only the sidecar needs the token: Ray's processes run user code.
        spec.automount_service_account_token = Some(false);
    }
    let token = spec.automount_service_account_token == Some(false);
    // The Ray container's `/tmp/ray`, shared so that Ray's log monitor reads the autoscaler's
    // events.
    let logs = shared_ray_logs(spec);
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    volumes.push(Volume {
        name: CONFIG_VOLUME.into(),
        config_map: Some(ConfigMapVolumeSource {
            name: plan.config_map.clone(),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    });
    if token {
        volumes.push(token_volume());
    }
    let container = sidecar(r, plan, logs, token);
    spec.containers.push(container);
}

/// The mount of the Ray container's `/tmp/ray`, for a sidecar that shares it: the container's
/// own mount there when it has one, else KubeRay's `ray-logs` emptyDir, added to the Pod and
/// mounted in the Ray container.
pub(super) fn shared_ray_logs(spec: &mut PodSpec) -> VolumeMount {
    let own = spec
        .containers
        .first()
        .and_then(|c| {
            c.volume_mounts
                .iter()
                .flatten()
                .find(|m| m.mount_path == RAY_LOGS_PATH)
        })
        .cloned();
    if let Some(m) = own {
        return m;
    }
    let volumes = spec.volumes.get_or_insert_with(Vec::new);
    if !volumes.iter().any(|v| v.name == RAY_LOGS_VOLUME) {
        volumes.push(Volume {
            name: RAY_LOGS_VOLUME.into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Volume::default()
        });
    }
    let m = VolumeMount {
        name: RAY_LOGS_VOLUME.into(),
        mount_path: RAY_LOGS_PATH.into(),
        ..VolumeMount::default()
    };
    if let Some(ray) = spec.containers.first_mut() {
        ray.volume_mounts
            .get_or_insert_with(Vec::new)
            .push(m.clone());
    }
    m
}

/// What the kubelet mounts for a service account: a bound token, the cluster's CA and the
/// namespace.
fn token_volume() -> Volume {
    Volume {
        name: TOKEN_VOLUME.into(),
        projected: Some(ProjectedVolumeSource {
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        path: "token".into(),
                        expiration_seconds: Some(3600),
                        ..ServiceAccountTokenProjection::default()
                    }),
                    ..VolumeProjection::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: "kube-root-ca.crt".into(),
                        items: Some(vec![KeyToPath {
                            key: "ca.crt".into(),
                            path: "ca.crt".into(),
                            ..KeyToPath::default()
                        }]),
                        ..ConfigMapProjection::default()
                    }),
                    ..VolumeProjection::default()
                },
                VolumeProjection {
                    downward_api: Some(DownwardAPIProjection {
                        items: Some(vec![DownwardAPIVolumeFile {
                            path: "namespace".into(),
                            field_ref: Some(ObjectFieldSelector {
                                api_version: Some("v1".into()),
                                field_path: "metadata.namespace".into(),
                            }),
                            ..DownwardAPIVolumeFile::default()
                        }]),
                    }),
                    ..VolumeProjection::default()
                },
            ]),
            ..ProjectedVolumeSource::default()
        }),
        ..Volume::default()
    }
}

/// The `autoscaler` container.
fn sidecar(
    r: &ResolvedCluster,
    plan: &RayAutoscalerPlan,
    logs: VolumeMount,
    token: bool,
) -> Container {
    let s = &plan.sidecar;
    let mut c = Container {
        name: "autoscaler".into(),
        image: s.image.clone(),
        image_pull_policy: Some(s.image_pull_policy.clone()),
        command: Some(s.command.clone()),
        args: Some(s.args.clone()),
        env: Some(vec![
            field_env("RAY_CLUSTER_NAME", "metadata.labels['ray.io/cluster']"),
            field_env("RAY_CLUSTER_NAMESPACE", "metadata.namespace"),
            field_env("RAY_HEAD_POD_NAME", "metadata.name"),
            field_env("POD_IP", "status.podIP"),
            env("KUBERAY_GEN_AUTOSCALER_START_CMD", s.start_command.clone()),
        ]),
        env_from: s.env_from.clone(),
        resources: Some(s.resources.clone()),
        security_context: s.security_context.clone(),
        ..Container::default()
    };
    if let Some(auth) = &r.auth {
        set_token_auth(&mut c, auth);
    }
    if r.gated.tls.is_some() {
        super::tls::set_container(&mut c);
    }
    // The user's variables come last and win over raycc's of the same name.
    let envs = c.env.get_or_insert_with(Vec::new);
    for user in &s.env {
        match envs.iter_mut().find(|e| e.name == user.name) {
            Some(e) => *e = user.clone(),
            None => envs.push(EnvVar::clone(user)),
        }
    }
    // The user's mounts, then those of token authentication and TLS.
    let mut mounts = s.volume_mounts.clone();
    mounts.extend(c.volume_mounts.take().unwrap_or_default());
    if !mounts.iter().any(|m| m.mount_path == RAY_LOGS_PATH) {
        mounts.push(VolumeMount {
            mount_path: RAY_LOGS_PATH.into(),
            ..logs
        });
    }
    mounts.push(VolumeMount {
        name: CONFIG_VOLUME.into(),
        mount_path: MOUNT_PATH.into(),
        read_only: Some(true),
        ..VolumeMount::default()
    });
    if token {
        mounts.push(VolumeMount {
            name: TOKEN_VOLUME.into(),
            mount_path: TOKEN_PATH.into(),
            read_only: Some(true),
            ..VolumeMount::default()
        });
    }
    c.volume_mounts = Some(mounts);
    c
}
