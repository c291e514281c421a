//! The head and the worker groups: Pod templates with their defaults, the final
//! `rayStartParams` (through [`raystart::resolve`]), object names and Pod counts.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::autoscaling::{Mode, Settings};
use super::plans::FaultTolerance;
use super::{OVERWRITE_COMMAND_ANNOTATION, ReplicaWorkload, ResolvedGroup, WorkerKind, Workload};
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{HeadGroupSpec, RayClusterSpec, WorkerGroupSpec};
use crate::names;
use crate::raystart::{self, NodeType};

/// What every group of one cluster shares.
pub(super) struct Context<'a> {
    /// The cluster name.
    name: &'a str,
    /// `rayproject/ray:<rayVersion>`, for containers without an image.
    default_image: Option<String>,
    /// `<head host>:<head port>`.
    head_address: String,
    /// The head's GCS port.
    pub(super) head_port: String,
    fault_tolerance: &'a FaultTolerance,
    pub(super) mode: Mode,
    suspended: bool,
    /// The RayCluster's `ray.io/overwrite-container-cmd`.
    pub(super) overwrite_command: bool,
}

impl<'a> Context<'a> {
    pub(super) fn new(
        name: &'a str,
        spec: &RayClusterSpec,
        annotations: &BTreeMap<String, String>,
        head_host: &str,
        fault_tolerance: &'a FaultTolerance,
        mode: Mode,
    ) -> Self {
        let head_params = spec
            .head_group_spec
            .as_ref()
            .and_then(|h| h.ray_start_params.as_ref());
        let head_port = head_params.map_or_else(
            || raystart::DEFAULT_GCS_PORT.to_string(),
            raystart::head_port,
        );
        Self {
            name,
            default_image: spec
                .ray_version
                .as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| format!("rayproject/ray:{v}")),
            head_address: format!("{head_host}:{head_port}"),
            head_port,
            fault_tolerance,
            mode,
            suspended: spec.suspend.unwrap_or(false),
            overwrite_command: overwrites_command(annotations),
        }
    }
}

/// The head group: always one StatefulSet of one Pod (none when the cluster is suspended).
pub(super) fn head(
    ctx: &Context<'_>,
    spec: HeadGroupSpec,
    warnings: &mut Vec<Finding>,
) -> ResolvedGroup {
    let full = format!("{}-head", ctx.name);
    let (object_name, shortened) = names::fit(&full, names::MAX_STATEFULSET_NAME);
    if shortened {
        warnings.push(shortened_warning(
            "/metadata/name",
            "head StatefulSet",
            &full,
            &object_name,
        ));
    }
    let template = default_template(spec.template, "ray-head", ctx.default_image.as_deref());
    let mut template = always_restart(template, "/spec/headGroupSpec", warnings);
    if ctx.mode == Mode::Ray {
        // raycc's autoscaler is Ray's v1 autoscaler (warning RC315 says so).
        disable_autoscaler_v2(&mut template);
    }
    let overwrite_command = ctx.overwrite_command || template_overwrites(&template);
    let (limits, requests) = ray_resources(&template);
    let redis = match ctx.fault_tolerance {
        FaultTolerance::Redis(r) if r.from_options => (r.username.is_some(), r.password.is_some()),
        _ => (false, false),
    };
    let params = raystart::resolve(
        spec.ray_start_params.unwrap_or_default(),
        &raystart::Sources {
            node: NodeType::Head,
            resources: spec.resources.as_ref(),
            labels: spec.labels.as_ref(),
            head_address: &ctx.head_address,
            // Ray's autoscaler runs in a sidecar; otherwise the head keeps its own monitor.
            no_monitor: ctx.mode == Mode::Ray,
            redis_username: redis.0,
            redis_password: redis.1,
            limits: &limits,
            requests: &requests,
        },
    );
    ResolvedGroup {
        node: NodeType::Head,
        group: "headgroup".to_string(),
        object_name,
        template,
        params,
        ray_labels: spec.labels.unwrap_or_default(),
        overwrite_command,
        pods: i32::from(!ctx.suspended),
        replicas: Replicas {
            min: 1,
            max: 1,
            hosts: 1,
            replicas: 1,
        },
        workload: Workload::StatefulSet,
        hpa: None,
        replica_workloads: Vec::new(),
        storage: super::GroupStorage::default(),
    }
}

/// Worker group `i`.
pub(super) fn worker(
    ctx: &Context<'_>,
    i: usize,
    mut g: WorkerGroupSpec,
    kind: WorkerKind,
    autoscaling: &Settings,
    warnings: &mut Vec<Finding>,
) -> ResolvedGroup {
    let p = format!("/spec/workerGroupSpecs/{i}");
    let full = format!("{}-{}-worker", ctx.name, g.group_name.to_ascii_lowercase());
    let (object_name, shortened) = names::fit(&full, names::MAX_STATEFULSET_NAME);
    if shortened {
        warnings.push(shortened_warning(
            &child(&p, "groupName"),
            "worker StatefulSet, Service and HPA",
            &full,
            &object_name,
        ));
    }
    let template = default_template(
        g.template.take(),
        "ray-worker",
        ctx.default_image.as_deref(),
    );
    // Bare Pods run any restart policy; StatefulSets and Deployments only `Always`.
    let template = if ctx.mode == Mode::Ray {
        template
    } else {
        always_restart(template, &p, warnings)
    };
    let overwrite_command = ctx.overwrite_command || template_overwrites(&template);
    let (limits, requests) = ray_resources(&template);
    let params = raystart::resolve(
        g.ray_start_params.take().unwrap_or_default(),
        &raystart::Sources {
            node: NodeType::Worker,
            resources: g.resources.as_ref(),
            labels: g.labels.as_ref(),
            head_address: &ctx.head_address,
            no_monitor: false,
            redis_username: false,
            redis_password: false,
            limits: &limits,
            requests: &requests,
        },
    );
    let suspended = ctx.suspended || g.suspend == Some(true);
    let counts = Replicas::of(&g);
    let multi_host = counts.hosts > 1;
    if multi_host {
        multi_host_warnings(ctx, &g, &p, &counts, warnings);
    }
    let hpa_managed = ctx.mode == Mode::Hpa && counts.min < counts.max && !suspended && !multi_host;
    // Ray's autoscaler starts a group at minReplicas and owns the count from there.
    if !hpa_managed && ctx.mode != Mode::Ray {
        counts.warn_clamped(&g, &p, warnings);
    }
    let hpa = hpa_managed.then(|| {
        autoscaling.plan(
            &g,
            &p,
            &counts,
            has_cpu_request(&limits, &requests),
            warnings,
        )
    });
    let workload = match (ctx.mode, kind) {
        (Mode::Ray, _) => Workload::PodTemplate,
        (_, WorkerKind::StatefulSet) => Workload::StatefulSet,
        (_, WorkerKind::Deployment) => Workload::Deployment,
    };
    let replica_workloads = if multi_host && workload != Workload::PodTemplate {
        replica_workloads(&full, &g.group_name, counts.clamped())
    } else {
        Vec::new()
    };
    ResolvedGroup {
        node: NodeType::Worker,
        group: g.group_name,
        object_name,
        template,
        params,
        ray_labels: g.labels.unwrap_or_default(),
        overwrite_command,
        pods: if suspended { 0 } else { counts.pods() },
        replicas: counts,
        workload,
        hpa,
        replica_workloads,
        storage: super::GroupStorage::default(),
    }
}

/// A multi-host group is not gang-scheduled, and an HPA could not scale it in whole replicas.
fn multi_host_warnings(
    ctx: &Context<'_>,
    g: &WorkerGroupSpec,
    p: &str,
    counts: &Replicas,
    warnings: &mut Vec<Finding>,
) {
    warnings.push(
        Finding::new(
            Code::MultiHostNotGang,
            child(p, "numOfHosts"),
            format!(
                "worker group {} has numOfHosts {}: its Pods are not scheduled as one unit per replica",
                g.group_name, counts.hosts
            ),
        )
        .help("use a gang scheduler if a partly running replica is a problem"),
    );
    if ctx.mode == Mode::Hpa && counts.min < counts.max {
        warnings.push(
            Finding::new(
                Code::HpaMultiHost,
                child(p, "numOfHosts"),
                format!(
                    "worker group {} has numOfHosts {}: a HorizontalPodAutoscaler cannot scale it in whole replicas, so it keeps its replica count ({})",
                    g.group_name,
                    counts.hosts,
                    counts.clamped()
                ),
            )
            .help("let Ray's autoscaler scale it (remove `raycc.io/autoscaler: hpa`), which adds and removes whole replicas"),
        );
    }
}

/// One workload per replica of a multi-host group whose workloads are named after `full`.
fn replica_workloads(full: &str, group: &str, replicas: i32) -> Vec<ReplicaWorkload> {
    // A label value has at most 63 characters; KubeRay keeps 57 of the group name likewise.
    let prefix: String = group.chars().take(57).collect();
    (0..replicas.max(0))
        .map(|index| ReplicaWorkload {
            object_name: names::fit(&format!("{full}-{index}"), names::MAX_STATEFULSET_NAME).0,
            replica_name: format!("{prefix}-{index}"),
            index,
        })
        .collect()
}

/// A group's replica numbers, with the operator's defaults (the head: one replica of one host).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replicas {
    /// `minReplicas`, default 0.
    pub min: i32,
    /// `maxReplicas`, default 2147483647.
    pub max: i32,
    /// `numOfHosts`, at least 1.
    pub hosts: i32,
    /// `replicas`, default `minReplicas`.
    pub replicas: i32,
}

impl Replicas {
    fn of(g: &WorkerGroupSpec) -> Self {
        let min = g.min_replicas.unwrap_or(0);
        Self {
            min,
            max: g.max_replicas.unwrap_or(i32::MAX),
            hosts: g.num_of_hosts.unwrap_or(1).max(1),
            replicas: g.replicas.unwrap_or(min),
        }
    }

    /// Replicas clamped to [min, max]. Mirrors `GetWorkerGroupDesiredReplicas`
    /// (ray-operator/controllers/ray/utils/util.go, KubeRay v1.7.0).
    fn clamped(&self) -> i32 {
        self.replicas.clamp(self.min, self.max.max(self.min))
    }

    /// Pods: clamped replicas × numOfHosts.
    fn pods(&self) -> i32 {
        self.clamped().saturating_mul(self.hosts)
    }

    fn warn_clamped(&self, g: &WorkerGroupSpec, p: &str, warnings: &mut Vec<Finding>) {
        let clamped = self.clamped();
        if g.replicas.is_some() && clamped != self.replicas {
            warnings.push(
                Finding::new(
                    Code::ReplicasClamped,
                    child(p, "replicas"),
                    format!(
                        "worker group {} has replicas {} outside [{}, {}]; {clamped} replicas will run",
                        g.group_name, self.replicas, self.min, self.max
                    ),
                )
                .help("set replicas between minReplicas and maxReplicas"),
            );
        }
    }
}

/// Sets the Ray container's own `RAY_enable_autoscaler_v2` to false.
fn disable_autoscaler_v2(t: &mut PodTemplateSpec) {
    let env = t
        .spec
        .as_mut()
        .and_then(|s| s.containers.first_mut())
        .and_then(|c| c.env.as_mut());
    for e in env.into_iter().flatten() {
        if e.name == "RAY_enable_autoscaler_v2" {
            e.value = Some("false".into());
            e.value_from = None;
        }
    }
}

/// `ray.io/overwrite-container-cmd: "true"`, compared case-insensitively. Mirrors
/// `isOverwriteRayContainerCmd` (common/pod.go, KubeRay v1.7.0).
fn overwrites_command(annotations: &BTreeMap<String, String>) -> bool {
    annotations
        .get(OVERWRITE_COMMAND_ANNOTATION)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The operator's `BuildPod` also reads the annotation from the Pod template.
fn template_overwrites(t: &PodTemplateSpec) -> bool {
    t.metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
        .is_some_and(overwrites_command)
}

fn shortened_warning(ptr: &str, what: &str, full: &str, short: &str) -> Finding {
    Finding::new(
        Code::NameShortened,
        ptr,
        format!("the {what} name `{full}` is too long; it is shortened to `{short}`"),
    )
    .help("shorten the cluster or group name to keep the full name")
}

/// The template, or the default one; fills containers[0].image from rayVersion when missing.
fn default_template(
    t: Option<PodTemplateSpec>,
    container: &str,
    image: Option<&str>,
) -> PodTemplateSpec {
    let mut t = t.unwrap_or_else(|| PodTemplateSpec {
        metadata: None,
        spec: Some(PodSpec {
            containers: vec![Container {
                name: container.to_string(),
                ..Container::default()
            }],
            ..PodSpec::default()
        }),
    });
    if let Some(c) = t.spec.as_mut().and_then(|s| s.containers.first_mut())
        && c.image.as_deref().is_none_or(str::is_empty)
    {
        c.image = image.map(str::to_string);
    }
    t
}

/// StatefulSets and Deployments only run Pods with `restartPolicy: Always` (the default), so
/// another policy (KubeRay sets `Never` for autoscaler v2) is dropped with a warning.
fn always_restart(
    mut t: PodTemplateSpec,
    group_ptr: &str,
    warnings: &mut Vec<Finding>,
) -> PodTemplateSpec {
    if let Some(spec) = t.spec.as_mut()
        && let Some(policy) = spec.restart_policy.take_if(|p| p != "Always")
    {
        warnings.push(
            Finding::new(
                Code::IgnoredFeature,
                child(group_ptr, "template/spec/restartPolicy"),
                format!("restartPolicy `{policy}` is ignored: StatefulSets and Deployments always restart Pods"),
            )
            .help("remove restartPolicy from the template"),
        );
    }
    t
}

fn quantities(m: Option<&BTreeMap<String, Quantity>>) -> BTreeMap<String, String> {
    m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect())
        .unwrap_or_default()
}

/// The Ray container's limits and requests as plain strings.
#[must_use]
pub fn ray_resources(t: &PodTemplateSpec) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let r = t
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.resources.as_ref());
    (
        quantities(r.and_then(|r| r.limits.as_ref())),
        quantities(r.and_then(|r| r.requests.as_ref())),
    )
}

fn has_cpu_request(limits: &BTreeMap<String, String>, requests: &BTreeMap<String, String>) -> bool {
    requests.contains_key("cpu") || limits.contains_key("cpu")
}
