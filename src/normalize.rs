//! Stage 3: a valid [`RayCluster`] → a [`ResolvedCluster`] with every default applied.
//!
//! Everything the operator would decide at reconcile time is decided here, once: object
//! names (shortened to fit Kubernetes' limits), the head address, the final `rayStartParams`
//! of every group, Pod counts, Service type, whether a group is autoscaled by an HPA and with
//! which numbers, and whether workers run as StatefulSets or Deployments. The build stage then
//! only assembles objects. This stage never reads files and never panics; it may add warnings.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, Service};

use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{AutoscalerVersion, RayCluster, UpscalingMode};
use crate::names;
use crate::raystart::{self, NodeType, Params};

/// The RayCluster annotation that chooses the worker workload kind for every group.
pub const WORKER_KIND_ANNOTATION: &str = "raycc.io/worker-kind";
/// Prefix of the per-group worker kind annotation: `raycc.io/worker-kind.<group>`.
pub const WORKER_KIND_GROUP_PREFIX: &str = "raycc.io/worker-kind.";
/// The RayCluster annotation that sets the HPA CPU target.
pub const HPA_CPU_ANNOTATION: &str = "raycc.io/hpa-cpu-utilization";
/// Default HPA CPU average utilization target, in percent.
pub const DEFAULT_HPA_CPU: i32 = 80;
/// Default idle timeout, seconds (the Ray autoscaler's default of one minute).
pub const DEFAULT_IDLE_SECONDS: i32 = 60;
/// Kubernetes' upper bound for an HPA stabilization window.
pub const MAX_STABILIZATION_SECONDS: i32 = 3600;

/// Compile options that do not come from the RayCluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Worker workload kind when the cluster does not choose one.
    pub worker_kind: WorkerKind,
    /// Cluster DNS domain used in the head address.
    pub cluster_domain: String,
    /// Namespace for clusters that set none (Argo CD's application namespace).
    pub default_namespace: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            worker_kind: WorkerKind::StatefulSet,
            cluster_domain: "cluster.local".to_string(),
            default_namespace: None,
        }
    }
}

/// The workload kind for worker Pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerKind {
    /// `apps/v1` StatefulSet (the default): stable Pod names.
    StatefulSet,
    /// `apps/v1` Deployment.
    Deployment,
}

impl WorkerKind {
    /// Parses `StatefulSet` / `Deployment`, case-insensitively.
    #[must_use]
    pub fn parse(s: &str) -> Option<WorkerKind> {
        match s.to_ascii_lowercase().as_str() {
            "statefulset" => Some(WorkerKind::StatefulSet),
            "deployment" => Some(WorkerKind::Deployment),
            _ => None,
        }
    }

    /// The Kubernetes kind.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerKind::StatefulSet => "StatefulSet",
            WorkerKind::Deployment => "Deployment",
        }
    }
}

/// The HPA of an autoscaled group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HpaPlan {
    /// Pods, at least 1.
    pub min_pods: i32,
    /// Pods.
    pub max_pods: i32,
    /// CPU average utilization target, percent.
    pub cpu_utilization: i32,
    /// Scale-down stabilization window, seconds.
    pub scale_down_window: i32,
    /// Scale-up Percent policy value per 15 s.
    pub scale_up_percent: i32,
}

/// One resolved group (the head or a worker group).
#[derive(Clone, Debug)]
pub struct ResolvedGroup {
    /// Head or worker.
    pub node: NodeType,
    /// `headgroup` or the group name as written (the `ray.io/group` label value).
    pub group: String,
    /// Name of the workload, its governing Service (workers) and its HPA.
    pub object_name: String,
    /// The Pod template, defaulted (never without a container; containers[0] has an image).
    pub template: PodTemplateSpec,
    /// Final `ray start` parameters.
    pub params: Params,
    /// Group `labels` (also put on the Pods).
    pub ray_labels: BTreeMap<String, String>,
    /// Pods to run when not HPA-managed.
    pub pods: i32,
    /// Worker workload kind (the head is always a StatefulSet).
    pub kind: WorkerKind,
    /// HPA, when autoscaled.
    pub hpa: Option<HpaPlan>,
}

/// The head Service plan.
#[derive(Clone, Debug)]
pub struct HeadServicePlan {
    /// Name.
    pub name: String,
    /// `type`, when set.
    pub type_: Option<String>,
    /// Annotations from `headServiceAnnotations`.
    pub annotations: BTreeMap<String, String>,
    /// A user-provided base Service.
    pub custom: Option<Service>,
}

/// A cluster with every default applied.
#[derive(Clone, Debug)]
pub struct ResolvedCluster {
    /// Cluster name.
    pub name: String,
    /// Namespace, when known.
    pub namespace: Option<String>,
    /// RayCluster annotations.
    pub annotations: BTreeMap<String, String>,
    /// Ray version as written.
    pub ray_version: Option<String>,
    /// HTTP probes (Ray ≥ 2.53.0) instead of exec probes.
    pub http_probes: bool,
    /// Head Service.
    pub head_service: HeadServicePlan,
    /// Head address host: `<svc>.<ns>.svc.<domain>` or the short Service name.
    pub head_host: String,
    /// Head GCS port.
    pub head_port: String,
    /// Autoscaler version, when set (only the head env var depends on it).
    pub autoscaler_version: Option<AutoscalerVersion>,
    /// Keep user commands verbatim (`ray.io/overwrite-container-cmd: "true"`).
    pub overwrite_command: bool,
    /// GCS fault tolerance enabled.
    pub ft_enabled: bool,
    /// The typed input, for the builders that mirror operator details.
    pub source: RayCluster,
    /// The head.
    pub head: ResolvedGroup,
    /// The worker groups, in input order.
    pub workers: Vec<ResolvedGroup>,
}

/// Resolves a validated cluster. Warnings are returned beside it.
#[must_use]
pub fn normalize(c: RayCluster, opts: &Options) -> (ResolvedCluster, Vec<Finding>) {
    let mut warnings = Vec::new();
    let spec = &c.spec;
    let name = c.metadata.name.clone().unwrap_or_default();
    let namespace = c
        .metadata
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .or_else(|| opts.default_namespace.clone());
    let annotations = c.metadata.annotations.clone().unwrap_or_default();
    let autoscaling = spec.enable_in_tree_autoscaling.unwrap_or(false);
    let suspended = spec.suspend.unwrap_or(false);
    let head_spec = spec.head_group_spec.clone().unwrap_or_default();

    // Head Service.
    let custom = head_spec.head_service.clone();
    let svc_name = custom
        .as_ref()
        .and_then(|s| s.metadata.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("{name}-head-svc"));
    let svc_type = custom
        .as_ref()
        .and_then(|s| s.spec.as_ref())
        .and_then(|s| s.type_.clone())
        .or_else(|| head_spec.service_type.map(|t| t.as_str().to_string()))
        .or_else(|| {
            spec.head_service
                .as_ref()
                .and_then(|h| h.type_)
                .map(|t| t.as_str().to_string())
        });
    let head_service = HeadServicePlan {
        name: svc_name.clone(),
        type_: svc_type,
        annotations: spec.head_service_annotations.clone().unwrap_or_default(),
        custom,
    };
    let head_host = match &namespace {
        Some(ns) => format!("{svc_name}.{ns}.svc.{}", opts.cluster_domain),
        None => svc_name.clone(),
    };
    let head_user_params = head_spec.ray_start_params.clone().unwrap_or_default();
    let head_port = raystart::head_port(&head_user_params);
    let head_address = format!("{head_host}:{head_port}");

    let default_image = spec
        .ray_version
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| format!("rayproject/ray:{v}"));

    // Head group.
    let (head_object_name, shortened) =
        names::fit(&format!("{name}-head"), names::MAX_STATEFULSET_NAME);
    if shortened {
        warnings.push(shortened_warning(
            "/metadata/name",
            "head StatefulSet",
            &format!("{name}-head"),
            &head_object_name,
        ));
    }
    let head_template = default_template(
        head_spec.template.clone(),
        "ray-head",
        default_image.as_deref(),
    );
    let head_template = always_restart(head_template, "/spec/headGroupSpec", &mut warnings);
    let head_params = resolve_params(
        head_user_params,
        head_spec.resources.as_ref(),
        head_spec.labels.as_ref(),
        NodeType::Head,
        &head_address,
        &head_template,
    );
    let mut head_params = head_params;
    if let Some(o) = &spec.gcs_fault_tolerance_options {
        // Mirrors configureGCSFaultTolerance (common/pod.go, KubeRay v1.7.0).
        if o.redis_username.is_some() {
            head_params.insert("redis-username".into(), "$REDIS_USERNAME".into());
        }
        if o.redis_password.is_some() {
            head_params.insert("redis-password".into(), "$REDIS_PASSWORD".into());
        }
    }
    let head = ResolvedGroup {
        node: NodeType::Head,
        group: "headgroup".to_string(),
        object_name: head_object_name,
        template: head_template,
        params: head_params,
        ray_labels: head_spec.labels.clone().unwrap_or_default(),
        pods: i32::from(!suspended),
        kind: WorkerKind::StatefulSet,
        hpa: None,
    };

    // Autoscaling parameters shared by every group.
    let opts_a = spec.autoscaler_options.as_ref();
    let cluster_idle = opts_a.and_then(|o| o.idle_timeout_seconds).or_else(|| {
        opts_a
            .and_then(|o| o.idle_timeout_minutes)
            .map(|m| m.saturating_mul(60))
    });
    let speed = opts_a.and_then(|o| o.upscaling_speed).unwrap_or_else(|| {
        match opts_a.and_then(|o| o.upscaling_mode) {
            Some(UpscalingMode::Conservative) => 1.0,
            _ => 1000.0,
        }
    });
    let cpu_target = annotations
        .get(HPA_CPU_ANNOTATION)
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|v| (1..=1000).contains(v))
        .unwrap_or(DEFAULT_HPA_CPU);
    if let Some(v) = annotations.get(HPA_CPU_ANNOTATION)
        && !v.parse::<i32>().is_ok_and(|v| (1..=1000).contains(&v))
    {
        warnings.push(
            Finding::new(
                Code::InvalidSetting,
                child("/metadata/annotations", HPA_CPU_ANNOTATION),
                format!("`{HPA_CPU_ANNOTATION}` must be a whole number of percent from 1 to 1000, found `{v}`"),
            )
            .help("for example `raycc.io/hpa-cpu-utilization: \"70\"`"),
        );
    }
    let cluster_kind = match annotations.get(WORKER_KIND_ANNOTATION) {
        Some(v) => WorkerKind::parse(v).unwrap_or_else(|| {
            warnings.push(invalid_kind(WORKER_KIND_ANNOTATION, v));
            opts.worker_kind
        }),
        None => opts.worker_kind,
    };

    let mut workers = Vec::new();
    for (i, g) in spec.worker_group_specs.iter().flatten().enumerate() {
        let p = format!("/spec/workerGroupSpecs/{i}");
        let lower = g.group_name.to_ascii_lowercase();
        let full = format!("{name}-{lower}-worker");
        let (object_name, shortened) = names::fit(&full, names::MAX_STATEFULSET_NAME);
        if shortened {
            warnings.push(shortened_warning(
                &child(&p, "groupName"),
                "worker StatefulSet, Service and HPA",
                &full,
                &object_name,
            ));
        }
        let kind_key = format!("{WORKER_KIND_GROUP_PREFIX}{}", g.group_name);
        let kind = match annotations.get(&kind_key) {
            Some(v) => WorkerKind::parse(v).unwrap_or_else(|| {
                warnings.push(invalid_kind(&kind_key, v));
                cluster_kind
            }),
            None => cluster_kind,
        };
        let template = default_template(g.template.clone(), "ray-worker", default_image.as_deref());
        let template = always_restart(template, &p, &mut warnings);
        let params = resolve_params(
            g.ray_start_params.clone().unwrap_or_default(),
            g.resources.as_ref(),
            g.labels.as_ref(),
            NodeType::Worker,
            &head_address,
            &template,
        );
        let min = g.min_replicas.unwrap_or(0);
        let max = g.max_replicas.unwrap_or(i32::MAX);
        let hosts = g.num_of_hosts.unwrap_or(1).max(1);
        let replicas = g.replicas.unwrap_or(min);
        let clamped = replicas.clamp(min, max.max(min));
        let hpa_managed = autoscaling && min < max && !suspended && g.suspend != Some(true);
        if g.replicas.is_some() && clamped != replicas && !hpa_managed {
            warnings.push(
                Finding::new(
                    Code::ReplicasClamped,
                    child(&p, "replicas"),
                    format!("worker group {} has replicas {replicas} outside [{min}, {max}]; {clamped} replicas will run", g.group_name),
                )
                .help("set replicas between minReplicas and maxReplicas"),
            );
        }
        if hosts > 1 {
            warnings.push(
                Finding::new(
                    Code::MultiHostNotGang,
                    child(&p, "numOfHosts"),
                    format!("worker group {} has numOfHosts {hosts}: its Pods are not scheduled as one unit per replica", g.group_name),
                )
                .help("use a gang scheduler if a partly running replica is a problem"),
            );
        }
        let pods = if suspended || g.suspend == Some(true) {
            0
        } else {
            clamped.saturating_mul(hosts)
        };
        let hpa = hpa_managed.then(|| {
            if min == 0 {
                warnings.push(
                    Finding::new(
                        Code::HpaMinZero,
                        child(&p, "minReplicas"),
                        format!("worker group {} has minReplicas 0, but a HorizontalPodAutoscaler cannot scale to zero; it keeps 1 replica", g.group_name),
                    )
                    .help("set minReplicas to 1 to make this explicit"),
                );
            }
            if !has_cpu_request(&template) {
                warnings.push(
                    Finding::new(
                        Code::HpaNoCpuRequest,
                        child(&p, "template"),
                        format!("worker group {} is autoscaled on CPU, but its Ray container has no CPU request", g.group_name),
                    )
                    .help("set resources.requests.cpu on the Ray container; without it the HPA cannot compute utilization"),
                );
            }
            let idle = g.idle_timeout_seconds.or(cluster_idle).unwrap_or(DEFAULT_IDLE_SECONDS);
            let window = if idle > MAX_STABILIZATION_SECONDS {
                warnings.push(
                    Finding::new(
                        Code::HpaWindowClamped,
                        child(&p, "idleTimeoutSeconds"),
                        format!("idle timeout {idle}s for worker group {} is longer than an HPA allows; the scale-down window is {MAX_STABILIZATION_SECONDS}s", g.group_name),
                    ),
                );
                MAX_STABILIZATION_SECONDS
            } else {
                idle
            };
            HpaPlan {
                min_pods: min.max(1).saturating_mul(hosts),
                max_pods: max.saturating_mul(hosts),
                cpu_utilization: cpu_target,
                scale_down_window: window,
                scale_up_percent: percent(speed),
            }
        });
        workers.push(ResolvedGroup {
            node: NodeType::Worker,
            group: g.group_name.clone(),
            object_name,
            template,
            params,
            ray_labels: g.labels.clone().unwrap_or_default(),
            pods,
            kind,
            hpa,
        });
    }

    let ray_version = spec.ray_version.clone();
    let http_probes = ray_version
        .as_deref()
        .and_then(crate::validate::parse_version)
        .is_some_and(|v| v >= (2, 53, 0));
    let ft_enabled = spec.gcs_fault_tolerance_options.is_some()
        || annotations
            .get("ray.io/ft-enabled")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let resolved = ResolvedCluster {
        overwrite_command: annotations
            .get("ray.io/overwrite-container-cmd")
            .is_some_and(|v| v == "true"),
        name,
        namespace,
        annotations,
        ray_version,
        http_probes,
        head_service,
        head_host,
        head_port,
        autoscaler_version: opts_a.and_then(|o| o.version),
        ft_enabled,
        source: c,
        head,
        workers,
    };
    (resolved, warnings)
}

/// Upscaling speed → HPA Percent policy value (100 × speed), within int32.
fn percent(speed: f64) -> i32 {
    let p = (speed * 100.0).round();
    if p >= f64::from(i32::MAX) {
        i32::MAX
    } else if p < 1.0 {
        1
    } else {
        // In range by the checks above.
        #[allow(clippy::cast_possible_truncation)]
        let v = p as i32;
        v
    }
}

fn shortened_warning(ptr: &str, what: &str, full: &str, short: &str) -> Finding {
    Finding::new(
        Code::NameShortened,
        ptr,
        format!("the {what} name `{full}` is too long; it is shortened to `{short}`"),
    )
    .help("shorten the cluster or group name to keep the full name")
}

fn invalid_kind(key: &str, v: &str) -> Finding {
    Finding::new(
        Code::InvalidSetting,
        child("/metadata/annotations", key),
        format!("`{key}` must be `StatefulSet` or `Deployment`, found `{v}`"),
    )
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

fn quantities(
    m: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
) -> BTreeMap<String, String> {
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

fn has_cpu_request(t: &PodTemplateSpec) -> bool {
    let (limits, requests) = ray_resources(t);
    requests.contains_key("cpu") || limits.contains_key("cpu")
}

/// The rayStartParams pipeline of reference §2.3, steps 1–3 and 6.
fn resolve_params(
    mut params: Params,
    resources: Option<&BTreeMap<String, String>>,
    labels: Option<&BTreeMap<String, String>>,
    node: NodeType,
    head_address: &str,
    template: &PodTemplateSpec,
) -> Params {
    if let Some(r) = resources {
        raystart::apply_group_resources(&mut params, r);
    }
    if let Some(l) = labels {
        raystart::apply_group_labels(&mut params, l);
    }
    raystart::set_missing(&mut params, node, head_address);
    let (limits, requests) = ray_resources(template);
    raystart::apply_container_resources(&mut params, &limits, &requests);
    params
}
