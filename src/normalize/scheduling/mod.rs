//! Batch schedulers: which one schedules the cluster's Pods, what it needs on every Pod
//! (`schedulerName`, queue and group labels and annotations) and the PodGroup it schedules
//! them as, one gang.
//!
//! KubeRay picks the scheduler with an operator flag (`--batch-scheduler`); raycc reads it
//! from the RayCluster, in this order:
//! 1. the annotation `raycc.io/batch-scheduler` (`volcano`, `yunikorn`, `kai-scheduler`,
//!    `scheduler-plugins`: the flag's values; or `none`);
//! 2. the label `ray.io/scheduler-name`, which KubeRay's samples carried until KubeRay 1.5;
//! 3. the scheduler-specific labels the samples use: `volcano.sh/queue-name` (and Volcano's
//!    network-topology labels), `yunikorn.apache.org/app-id` or `yunikorn.apache.org/queue`
//!    (or the `yunikorn.apache.org/task-groups` annotation), `kai.scheduler/queue`.
//!
//! What each scheduler adds mirrors its plugin in ray-operator/controllers/ray/batchscheduler
//! (KubeRay v1.7.0): `AddMetadataToChildResource` for the Pods and
//! `DoBatchSchedulingOnSubmission` for the PodGroup, whose size is computed in `resources`.
//! Like the operator, raycc creates no PodGroup for a suspended cluster.

mod resources;
mod task_groups;

use std::collections::BTreeMap;

use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::RayClusterSpec;
use crate::names;

/// The RayCluster annotation that chooses the batch scheduler.
pub const BATCH_SCHEDULER_ANNOTATION: &str = "raycc.io/batch-scheduler";
/// KubeRay's former RayCluster label naming the batch scheduler.
pub const SCHEDULER_NAME_LABEL: &str = "ray.io/scheduler-name";
/// The RayCluster label that turns gang scheduling on (YuniKorn, scheduler-plugins).
pub const GANG_LABEL: &str = "ray.io/gang-scheduling-enabled";
const PRIORITY_CLASS_LABEL: &str = "ray.io/priority-class-name";
const VOLCANO_QUEUE_LABEL: &str = "volcano.sh/queue-name";
const VOLCANO_TOPOLOGY_MODE_LABEL: &str = "volcano.sh/network-topology-mode";
const VOLCANO_TOPOLOGY_TIER_LABEL: &str = "volcano.sh/network-topology-highest-tier-allowed";
const VOLCANO_GROUP_ANNOTATION: &str = "scheduling.k8s.io/group-name";
const VOLCANO_TASK_ANNOTATION: &str = "volcano.sh/task-spec";
const YUNIKORN_APP_LABEL: &str = "yunikorn.apache.org/app-id";
const YUNIKORN_QUEUE_LABEL: &str = "yunikorn.apache.org/queue";
const YUNIKORN_TASK_GROUPS: &str = "yunikorn.apache.org/task-groups";
const YUNIKORN_TASK_GROUP_NAME: &str = "yunikorn.apache.org/task-group-name";
const KAI_QUEUE_LABEL: &str = "kai.scheduler/queue";
const COSCHEDULING_LABEL: &str = "scheduling.x-k8s.io/pod-group";
const ORIGINATED_FROM_CRD_LABEL: &str = "ray.io/originated-from-crd";
const ORIGINATED_FROM_NAME_LABEL: &str = "ray.io/originated-from-cr-name";

/// A batch scheduler KubeRay integrates with and raycc can compile for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BatchScheduler {
    /// Volcano: a `scheduling.volcano.sh/v1beta1` PodGroup.
    Volcano,
    /// Apache YuniKorn: task groups in the Pods' annotations, no object.
    YuniKorn,
    /// NVIDIA KAI Scheduler: a queue label; KAI makes its PodGroups itself.
    Kai,
    /// The coscheduling plugin of kubernetes-sigs/scheduler-plugins: a
    /// `scheduling.x-k8s.io/v1alpha1` PodGroup.
    SchedulerPlugins,
}

impl BatchScheduler {
    const ALL: [BatchScheduler; 4] = [
        BatchScheduler::Volcano,
        BatchScheduler::YuniKorn,
        BatchScheduler::Kai,
        BatchScheduler::SchedulerPlugins,
    ];

    /// The operator's plugin name (`--batch-scheduler`).
    #[must_use]
    pub fn plugin_name(self) -> &'static str {
        match self {
            BatchScheduler::Volcano => "volcano",
            BatchScheduler::YuniKorn => "yunikorn",
            BatchScheduler::Kai => "kai-scheduler",
            BatchScheduler::SchedulerPlugins => "scheduler-plugins",
        }
    }

    /// The Pods' `schedulerName`: the plugin's `Name()`.
    fn scheduler_name(self) -> &'static str {
        match self {
            BatchScheduler::SchedulerPlugins => "scheduler-plugins-scheduler",
            s => s.plugin_name(),
        }
    }

    fn parse(s: &str) -> Option<BatchScheduler> {
        Self::ALL
            .into_iter()
            .find(|b| b.plugin_name().eq_ignore_ascii_case(s))
    }
}

/// How the cluster's Pods are batch-scheduled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulingPlan {
    /// The scheduler.
    pub scheduler: BatchScheduler,
    /// Every Pod's `spec.schedulerName`.
    pub scheduler_name: String,
    /// Labels every Pod gets, over the template's.
    pub pod_labels: BTreeMap<String, String>,
    /// Annotations every Pod gets, over the template's.
    pub pod_annotations: BTreeMap<String, String>,
    /// An annotation every Pod gets whose value is its group (`headgroup` or the worker group).
    pub group_annotation: Option<String>,
    /// The PodGroup that makes the Pods one gang, when the scheduler needs one.
    pub pod_group: Option<PodGroupPlan>,
    /// The scheduler starts the cluster's Pods as one gang (a PodGroup or YuniKorn's task
    /// groups), so every replica of a multi-host group starts whole.
    pub gang: bool,
}

/// A PodGroup to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PodGroupPlan {
    /// `scheduling.volcano.sh/v1beta1` PodGroup.
    Volcano(VolcanoPodGroup),
    /// `scheduling.x-k8s.io/v1alpha1` PodGroup.
    Coscheduling(CoschedulingPodGroup),
}

impl PodGroupPlan {
    /// The PodGroup's name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            PodGroupPlan::Volcano(pg) => &pg.name,
            PodGroupPlan::Coscheduling(pg) => &pg.name,
        }
    }
}

/// Volcano's PodGroup. Mirrors `createPodGroup` (`batchscheduler/volcano/volcano_scheduler.go`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolcanoPodGroup {
    /// `ray-<cluster>-pg`.
    pub name: String,
    /// The RayCluster's annotations, as the operator copies them.
    pub annotations: BTreeMap<String, String>,
    /// The head and the workers that must start together.
    pub min_member: i32,
    /// Their resources, written as Go writes quantities.
    pub min_resources: BTreeMap<String, String>,
    /// `volcano.sh/queue-name`.
    pub queue: Option<String>,
    /// `ray.io/priority-class-name`.
    pub priority_class_name: Option<String>,
    /// `volcano.sh/network-topology-mode` and `-highest-tier-allowed`.
    pub network_topology: Option<NetworkTopology>,
}

/// Volcano's network topology constraint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkTopology {
    /// `hard` or `soft`; none means Volcano's default (`hard`).
    pub mode: Option<String>,
    /// The highest network tier the gang may span.
    pub highest_tier_allowed: Option<i64>,
}

/// The coscheduling PodGroup. Mirrors `createPodGroup`
/// (`batchscheduler/scheduler-plugins/scheduler_plugins.go`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoschedulingPodGroup {
    /// The cluster's name.
    pub name: String,
    /// The head and the workers that must start together.
    pub min_member: i32,
    /// Their resources, written as Go writes quantities.
    pub min_resources: BTreeMap<String, String>,
}

/// What the plan is made from.
pub(super) struct Input<'a> {
    pub(super) name: &'a str,
    pub(super) labels: &'a BTreeMap<String, String>,
    pub(super) annotations: &'a BTreeMap<String, String>,
    pub(super) spec: &'a RayClusterSpec,
}

/// The batch-scheduling plan, when the RayCluster asks for a batch scheduler.
pub(super) fn plan(input: &Input<'_>, findings: &mut Vec<Finding>) -> Option<SchedulingPlan> {
    let (scheduler, chosen_at) = choose(input, findings)?;
    let mut plan = SchedulingPlan {
        scheduler,
        scheduler_name: scheduler.scheduler_name().to_string(),
        pod_labels: BTreeMap::new(),
        pod_annotations: BTreeMap::new(),
        group_annotation: None,
        pod_group: None,
        gang: false,
    };
    match scheduler {
        BatchScheduler::Volcano => volcano(input, &mut plan, findings),
        BatchScheduler::YuniKorn => yunikorn(input, &mut plan, findings),
        BatchScheduler::Kai => kai(input, &chosen_at, &mut plan, findings),
        BatchScheduler::SchedulerPlugins => scheduler_plugins(input, &mut plan, findings),
    }
    Some(plan)
}

fn label_at(key: &str) -> String {
    child("/metadata/labels", key)
}

fn annotation_at(key: &str) -> String {
    child("/metadata/annotations", key)
}

/// The scheduler-specific labels (and YuniKorn's annotation) that name a scheduler, with where
/// they are.
fn hints(input: &Input<'_>) -> Vec<(BatchScheduler, String, String)> {
    let labels = [
        (BatchScheduler::Volcano, VOLCANO_QUEUE_LABEL),
        (BatchScheduler::Volcano, VOLCANO_TOPOLOGY_MODE_LABEL),
        (BatchScheduler::Volcano, VOLCANO_TOPOLOGY_TIER_LABEL),
        (BatchScheduler::YuniKorn, YUNIKORN_APP_LABEL),
        (BatchScheduler::YuniKorn, YUNIKORN_QUEUE_LABEL),
        (BatchScheduler::Kai, KAI_QUEUE_LABEL),
    ];
    let mut out: Vec<_> = labels
        .into_iter()
        .filter(|(_, k)| input.labels.contains_key(*k))
        .map(|(s, k)| (s, format!("label `{k}`"), label_at(k)))
        .collect();
    if input.annotations.contains_key(YUNIKORN_TASK_GROUPS) {
        out.push((
            BatchScheduler::YuniKorn,
            format!("annotation `{YUNIKORN_TASK_GROUPS}`"),
            annotation_at(YUNIKORN_TASK_GROUPS),
        ));
    }
    out
}

fn unsupported(at: impl Into<String>, message: String, help: &str) -> Finding {
    Finding::new(Code::BatchSchedulerUnsupported, at, message).help(help)
}

const CHOOSE_HELP: &str = "name the scheduler with the annotation `raycc.io/batch-scheduler` (volcano, yunikorn, kai-scheduler or scheduler-plugins)";

/// The scheduler the RayCluster asks for, and where: the annotation, else the former KubeRay
/// label, else the scheduler-specific labels.
fn choose(input: &Input<'_>, findings: &mut Vec<Finding>) -> Option<(BatchScheduler, String)> {
    let hints = hints(input);
    let explicit = input
        .annotations
        .get(BATCH_SCHEDULER_ANNOTATION)
        .map(|v| (v, annotation_at(BATCH_SCHEDULER_ANNOTATION), true))
        .or_else(|| {
            input
                .labels
                .get(SCHEDULER_NAME_LABEL)
                .map(|v| (v, label_at(SCHEDULER_NAME_LABEL), false))
        });
    if let Some((value, at, is_annotation)) = explicit {
        let key = if is_annotation {
            BATCH_SCHEDULER_ANNOTATION
        } else {
            SCHEDULER_NAME_LABEL
        };
        let chosen = if is_annotation && value.eq_ignore_ascii_case("none") {
            return None;
        } else if let Some(s) = BatchScheduler::parse(value) {
            s
        } else if value.eq_ignore_ascii_case("kubernetes-was") {
            findings.push(unsupported(
                at,
                format!("`{key}: {value}`: Kubernetes workload-aware scheduling needs the scheduling.k8s.io/v1alpha2 API and the Pod field `schedulingGroup`, which the Kubernetes versions raycc compiles for do not have; the Pods use the default scheduler"),
                "use another batch scheduler, or run this cluster with the KubeRay operator",
            ));
            return None;
        } else if is_annotation {
            findings.push(
                Finding::new(
                    Code::InvalidSetting,
                    at,
                    format!("`{key}` must be `volcano`, `yunikorn`, `kai-scheduler`, `scheduler-plugins` or `none`, found `{value}`"),
                )
                .help("use one of the values KubeRay's --batch-scheduler takes, or `none`"),
            );
            return None;
        } else {
            findings.push(unsupported(
                at,
                format!("`{key}: {value}` names no batch scheduler raycc compiles for (volcano, yunikorn, kai-scheduler, scheduler-plugins); the Pods use the default scheduler"),
                CHOOSE_HELP,
            ));
            return None;
        };
        for (other, what, hint_at) in hints.iter().filter(|(s, _, _)| *s != chosen) {
            findings.push(unsupported(
                hint_at.clone(),
                format!(
                    "the {what} is for {}, but the Pods are scheduled by {}: it is ignored",
                    other.plugin_name(),
                    chosen.plugin_name()
                ),
                "remove it, or choose that scheduler",
            ));
        }
        return Some((chosen, at));
    }
    let mut named: Vec<BatchScheduler> = hints.iter().map(|(s, _, _)| *s).collect();
    named.sort_unstable();
    named.dedup();
    match named.as_slice() {
        [] => {
            if input.labels.contains_key(GANG_LABEL) {
                findings.push(unsupported(
                    label_at(GANG_LABEL),
                    format!("`{GANG_LABEL}` asks for gang scheduling, but the RayCluster names no batch scheduler (KubeRay takes it from the operator's --batch-scheduler flag): the Pods use the default scheduler, one by one"),
                    CHOOSE_HELP,
                ));
            }
            None
        }
        [one] => Some((*one, hints[0].2.clone())),
        _ => {
            let first = &hints[0];
            let second = hints.iter().find(|(s, _, _)| *s != first.0)?;
            findings.push(
                Finding::new(
                    Code::InvalidBatchScheduling,
                    second.2.clone(),
                    format!(
                        "the {} is for {}, but the {} is for {}: raycc cannot tell which batch scheduler to use",
                        second.1,
                        second.0.plugin_name(),
                        first.1,
                        first.0.plugin_name()
                    ),
                )
                .related(first.2.clone(), "the other scheduler's label is here")
                .help(CHOOSE_HELP),
            );
            None
        }
    }
}

/// A non-empty label of the RayCluster, copied as the operator's `populateLabelsFromObject`.
fn copy_label(input: &Input<'_>, from: &str, to: &str, plan: &mut SchedulingPlan) {
    if let Some(v) = input.labels.get(from).filter(|v| !v.is_empty()) {
        plan.pod_labels.insert(to.to_string(), v.clone());
    }
}

fn too_large(findings: &mut Vec<Finding>) {
    findings.push(
        Finding::new(
            Code::InvalidBatchScheduling,
            "/spec",
            "the cluster's gang is too large to size: its Pod count or resources overflow",
        )
        .help("check the replica counts and resource quantities"),
    );
}

/// A Volcano PodGroup named `ray-<cluster>-pg` (or after the `RayJob` that made the cluster) and
/// its Pods. Mirrors `AddMetadataToChildResource`, `handleRayCluster`,
/// `calculatePodGroupParams` and `createPodGroup` (`batchscheduler/volcano/volcano_scheduler.go`).
fn volcano(input: &Input<'_>, plan: &mut SchedulingPlan, findings: &mut Vec<Finding>) {
    let from_job = input
        .labels
        .get(ORIGINATED_FROM_CRD_LABEL)
        .is_some_and(|v| v == "RayJob");
    let owner = input
        .labels
        .get(ORIGINATED_FROM_NAME_LABEL)
        .filter(|n| from_job && !n.is_empty())
        .map_or(input.name, String::as_str);
    let name = format!("ray-{owner}-pg");
    copy_label(input, VOLCANO_QUEUE_LABEL, VOLCANO_QUEUE_LABEL, plan);
    copy_label(input, PRIORITY_CLASS_LABEL, PRIORITY_CLASS_LABEL, plan);
    plan.pod_annotations
        .insert(VOLCANO_GROUP_ANNOTATION.to_string(), name.clone());
    plan.group_annotation = Some(VOLCANO_TASK_ANNOTATION.to_string());

    let queue = input
        .labels
        .get(VOLCANO_QUEUE_LABEL)
        .filter(|q| !q.is_empty());
    if let Some(q) = queue
        && let Some(problem) = names::dns1123_subdomain_error(q)
    {
        findings.push(
            Finding::new(
                Code::InvalidBatchScheduling,
                label_at(VOLCANO_QUEUE_LABEL),
                format!("Volcano queue `{q}` is not a valid queue name: {problem}"),
            )
            .help("use the name of a Volcano Queue (lower case letters, digits, `-` and `.`)"),
        );
    }
    let network_topology = network_topology(input, findings);
    // A RayJob's cluster is part of the RayJob's PodGroup; a suspended cluster has none.
    if from_job || input.spec.suspend == Some(true) {
        return;
    }
    // The operator sizes an autoscaled cluster at its minimum, any other at its desired size.
    let gang = if input.spec.enable_in_tree_autoscaling == Some(true) {
        resources::minimum(input.spec)
    } else {
        resources::desired(input.spec)
    };
    let Some((min_member, min_resources)) = gang.as_ref().and_then(members) else {
        too_large(findings);
        return;
    };
    plan.gang = true;
    plan.pod_group = Some(PodGroupPlan::Volcano(VolcanoPodGroup {
        name,
        annotations: input.annotations.clone(),
        min_member,
        min_resources,
        queue: queue.cloned(),
        priority_class_name: input
            .labels
            .get(PRIORITY_CLASS_LABEL)
            .filter(|p| !p.is_empty())
            .cloned(),
        network_topology,
    }));
}

/// The head and the workers, and their resources as Go writes them; `None` past int32.
fn members(g: &resources::Gang) -> Option<(i32, BTreeMap<String, String>)> {
    Some((
        i32::try_from(g.workers.checked_add(1)?).ok()?,
        resources::canonical(&g.resources),
    ))
}

/// Volcano's network topology, read only with the mode label, as the operator does; values
/// the operator or Volcano's CRD would refuse are errors.
fn network_topology(input: &Input<'_>, findings: &mut Vec<Finding>) -> Option<NetworkTopology> {
    let mode = input.labels.get(VOLCANO_TOPOLOGY_MODE_LABEL)?;
    if !["", "hard", "soft"].contains(&mode.as_str()) {
        findings.push(
            Finding::new(
                Code::InvalidBatchScheduling,
                label_at(VOLCANO_TOPOLOGY_MODE_LABEL),
                format!("Volcano's network topology mode must be `hard` or `soft`, found `{mode}`"),
            )
            .help("use `hard` or `soft`"),
        );
    }
    let tier = input.labels.get(VOLCANO_TOPOLOGY_TIER_LABEL).and_then(|t| {
        // Go's strconv.Atoi, as the operator parses it; Volcano's CRD wants at least 0.
        match t.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                findings.push(
                    Finding::new(
                        Code::InvalidBatchScheduling,
                        label_at(VOLCANO_TOPOLOGY_TIER_LABEL),
                        format!("`{VOLCANO_TOPOLOGY_TIER_LABEL}` must be a whole number of at least 0, found `{t}`"),
                    )
                    .help("write the highest network tier as a number, such as \"2\""),
                );
                None
            }
        }
    });
    Some(NetworkTopology {
        mode: Some(mode.clone()).filter(|m| !m.is_empty()),
        highest_tier_allowed: tier,
    })
}

/// YuniKorn's labels and, with gang scheduling, its task groups. Mirrors
/// `AddMetadataToChildResource` and `propagateTaskGroupsAnnotation`
/// (`batchscheduler/yunikorn/yunikorn_scheduler.go`).
fn yunikorn(input: &Input<'_>, plan: &mut SchedulingPlan, findings: &mut Vec<Finding>) {
    copy_label(input, YUNIKORN_APP_LABEL, "applicationId", plan);
    copy_label(input, YUNIKORN_QUEUE_LABEL, "queue", plan);
    // Any value turns gang scheduling on, as in the operator's `isGangSchedulingEnabled`.
    if !input.labels.contains_key(GANG_LABEL) {
        return;
    }
    let groups = input
        .annotations
        .get(YUNIKORN_TASK_GROUPS)
        .filter(|v| !v.is_empty())
        .cloned()
        .or_else(|| task_groups::annotation(input.spec));
    let Some(groups) = groups else {
        too_large(findings);
        return;
    };
    plan.pod_annotations
        .insert(YUNIKORN_TASK_GROUPS.to_string(), groups);
    plan.gang = true;
    plan.group_annotation = Some(YUNIKORN_TASK_GROUP_NAME.to_string());
}

/// KAI's queue label. Mirrors `AddMetadataToChildResource`
/// (`batchscheduler/kai-scheduler/kai_scheduler.go`). KAI's `PodGrouper` makes the PodGroups, one
/// per top owner of the Pods.
fn kai(input: &Input<'_>, at: &str, plan: &mut SchedulingPlan, findings: &mut Vec<Finding>) {
    copy_label(input, KAI_QUEUE_LABEL, KAI_QUEUE_LABEL, plan);
    if !plan.pod_labels.contains_key(KAI_QUEUE_LABEL) {
        findings.push(unsupported(
            "/metadata/labels",
            format!("KAI Scheduler schedules only Pods in a queue, and the RayCluster has no `{KAI_QUEUE_LABEL}` label: the Pods stay Pending"),
            "add the label `kai.scheduler/queue` with the name of a KAI Queue",
        ));
    }
    findings.push(unsupported(
        at,
        "KAI Scheduler groups Pods by their top owner: under the operator that is the RayCluster, so the whole cluster starts as one gang; raycc's Pods belong to their StatefulSets, Deployments or PodTemplates, so KAI groups the head and each worker workload separately, and the cluster does not start as one gang".to_string(),
        "if the whole cluster must start together, use Volcano, YuniKorn or scheduler-plugins, or run this cluster with the KubeRay operator",
    ));
}

/// The coscheduling label and PodGroup, with gang scheduling. Mirrors `createPodGroup`,
/// `DoBatchSchedulingOnSubmission` and `AddMetadataToChildResource`
/// (`batchscheduler/scheduler-plugins/scheduler_plugins.go`).
fn scheduler_plugins(input: &Input<'_>, plan: &mut SchedulingPlan, findings: &mut Vec<Finding>) {
    if !input.labels.contains_key(GANG_LABEL) {
        return;
    }
    plan.pod_labels
        .insert(COSCHEDULING_LABEL.to_string(), input.name.to_string());
    plan.gang = true;
    if input.spec.suspend == Some(true) {
        return;
    }
    // The operator sizes the gang at the desired size, autoscaled or not.
    let Some((min_member, min_resources)) =
        resources::desired(input.spec).as_ref().and_then(members)
    else {
        too_large(findings);
        return;
    };
    plan.pod_group = Some(PodGroupPlan::Coscheduling(CoschedulingPodGroup {
        name: input.name.to_string(),
        min_member,
        min_resources,
    }));
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    struct Case {
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
        spec: RayClusterSpec,
    }

    fn case(labels: Value, annotations: Value, spec: Value) -> Case {
        Case {
            labels: serde_json::from_value(labels).unwrap(),
            annotations: serde_json::from_value(annotations).unwrap(),
            spec: serde_json::from_value(spec).unwrap(),
        }
    }

    fn run(c: &Case) -> (Option<SchedulingPlan>, Vec<Finding>) {
        let mut findings = Vec::new();
        let plan = plan(
            &Input {
                name: "demo",
                labels: &c.labels,
                annotations: &c.annotations,
                spec: &c.spec,
            },
            &mut findings,
        );
        (plan, findings)
    }

    fn codes(f: &[Finding]) -> Vec<Code> {
        f.iter().map(|f| f.code).collect()
    }

    fn workers() -> Value {
        json!({"workerGroupSpecs": [{"groupName": "cpu", "replicas": 2, "minReplicas": 1,
            "maxReplicas": 3, "template": {"spec": {"containers": [{"name": "w",
                "resources": {"requests": {"cpu": "1"}}}]}}}]})
    }

    #[test]
    fn takes_the_annotation_then_the_former_label_then_the_scheduler_s_labels() {
        let chosen = |labels: Value, annotations: Value| {
            run(&case(labels, annotations, json!({})))
                .0
                .map(|p| p.scheduler)
        };
        assert_eq!(
            chosen(
                json!({"ray.io/scheduler-name": "volcano"}),
                json!({"raycc.io/batch-scheduler": "YuniKorn"})
            ),
            Some(BatchScheduler::YuniKorn)
        );
        assert_eq!(
            chosen(json!({"ray.io/scheduler-name": "volcano"}), json!({})),
            Some(BatchScheduler::Volcano)
        );
        assert_eq!(
            chosen(json!({"kai.scheduler/queue": "a"}), json!({})),
            Some(BatchScheduler::Kai)
        );
        assert_eq!(
            chosen(json!({}), json!({"yunikorn.apache.org/task-groups": "[]"})),
            Some(BatchScheduler::YuniKorn)
        );
        assert_eq!(
            chosen(
                json!({"volcano.sh/queue-name": "q"}),
                json!({"raycc.io/batch-scheduler": "none"})
            ),
            None
        );
        assert_eq!(chosen(json!({}), json!({})), None);
    }

    #[test]
    fn refuses_labels_that_name_two_schedulers() {
        let (plan, f) = run(&case(
            json!({"yunikorn.apache.org/queue": "root", "kai.scheduler/queue": "a",
                "yunikorn.apache.org/app-id": "x"}),
            json!({}),
            json!({}),
        ));
        assert_eq!(plan, None);
        assert_eq!(codes(&f), [Code::InvalidBatchScheduling]);
        assert!(f[0].is_error());
        assert_eq!(
            f[0].message,
            "the label `kai.scheduler/queue` is for kai-scheduler, but the label `yunikorn.apache.org/app-id` is for yunikorn: raycc cannot tell which batch scheduler to use"
        );
    }

    #[test]
    fn warns_about_gang_scheduling_without_a_scheduler() {
        let (plan, f) = run(&case(
            json!({"ray.io/gang-scheduling-enabled": "true"}),
            json!({}),
            json!({}),
        ));
        assert_eq!(plan, None);
        assert_eq!(codes(&f), [Code::BatchSchedulerUnsupported]);
        assert_eq!(
            f[0].pointer,
            "/metadata/labels/ray.io~1gang-scheduling-enabled"
        );
    }

    #[test]
    fn sizes_volcano_s_gang_at_the_minimum_when_autoscaled() {
        let mut spec = workers();
        spec["enableInTreeAutoscaling"] = true.into();
        let (plan, f) = run(&case(
            json!({"volcano.sh/queue-name": "q"}),
            json!({}),
            spec,
        ));
        assert!(f.is_empty(), "{f:?}");
        let Some(PodGroupPlan::Volcano(pg)) = plan.unwrap().pod_group else {
            panic!("a Volcano PodGroup");
        };
        assert_eq!((pg.min_member, pg.min_resources["cpu"].as_str()), (2, "1"));
        let (plan, _) = run(&case(
            json!({"volcano.sh/queue-name": "q"}),
            json!({}),
            workers(),
        ));
        let Some(PodGroupPlan::Volcano(pg)) = plan.unwrap().pod_group else {
            panic!("a Volcano PodGroup");
        };
        assert_eq!((pg.min_member, pg.min_resources["cpu"].as_str()), (3, "2"));
    }

    #[test]
    fn names_the_pod_group_of_a_ray_job_s_cluster_after_the_job_and_makes_none() {
        let (plan, _) = run(&case(
            json!({"ray.io/scheduler-name": "volcano", "ray.io/originated-from-crd": "RayJob",
                "ray.io/originated-from-cr-name": "nightly"}),
            json!({}),
            workers(),
        ));
        let plan = plan.unwrap();
        assert_eq!(
            plan.pod_annotations["scheduling.k8s.io/group-name"],
            "ray-nightly-pg"
        );
        assert_eq!(plan.pod_group, None);
    }

    #[test]
    fn parses_the_topology_tier_as_go_s_atoi() {
        let tier = |t: &str| {
            let (plan, f) = run(&case(
                json!({"volcano.sh/queue-name": "q", "volcano.sh/network-topology-mode": "",
                    "volcano.sh/network-topology-highest-tier-allowed": t}),
                json!({}),
                json!({}),
            ));
            let Some(PodGroupPlan::Volcano(pg)) = plan.unwrap().pod_group else {
                panic!("a Volcano PodGroup");
            };
            (pg.network_topology.unwrap(), codes(&f))
        };
        assert_eq!(
            tier("+3"),
            (
                NetworkTopology {
                    mode: None,
                    highest_tier_allowed: Some(3)
                },
                vec![]
            )
        );
        assert_eq!(tier("007").0.highest_tier_allowed, Some(7));
        for bad in ["-1", "2.0", " 2", "two"] {
            assert_eq!(tier(bad).1, [Code::InvalidBatchScheduling], "{bad}");
        }
        // Without the mode label the operator reads no tier at all.
        let (plan, f) = run(&case(
            json!({"volcano.sh/queue-name": "q",
                "volcano.sh/network-topology-highest-tier-allowed": "two"}),
            json!({}),
            json!({}),
        ));
        assert!(f.is_empty());
        let Some(PodGroupPlan::Volcano(pg)) = plan.unwrap().pod_group else {
            panic!("a Volcano PodGroup");
        };
        assert_eq!(pg.network_topology, None);
    }

    #[test]
    fn gives_yunikorn_its_labels_and_task_groups_only_with_gang_scheduling() {
        let labels = json!({"yunikorn.apache.org/app-id": "app", "yunikorn.apache.org/queue": ""});
        let (plan, f) = run(&case(labels.clone(), json!({}), workers()));
        let plan = plan.unwrap();
        assert!(f.is_empty());
        assert_eq!(plan.scheduler_name, "yunikorn");
        // An empty label is not copied, as in the operator.
        assert_eq!(
            plan.pod_labels,
            BTreeMap::from([("applicationId".to_string(), "app".to_string())])
        );
        assert!(plan.pod_annotations.is_empty() && plan.group_annotation.is_none());
        assert!(!plan.gang);
        let mut gang = labels;
        gang["ray.io/gang-scheduling-enabled"] = "false".into();
        let (plan, _) = run(&case(
            gang.clone(),
            json!({"yunikorn.apache.org/task-groups": "[{\"name\":\"mine\"}]"}),
            workers(),
        ));
        let plan = plan.unwrap();
        // Any value of the label turns gang scheduling on; the cluster's own groups win.
        assert_eq!(
            plan.pod_annotations["yunikorn.apache.org/task-groups"],
            "[{\"name\":\"mine\"}]"
        );
        assert_eq!(
            plan.group_annotation.as_deref(),
            Some("yunikorn.apache.org/task-group-name")
        );
        let (plan, _) = run(&case(gang, json!({}), workers()));
        assert!(
            plan.unwrap().pod_annotations["yunikorn.apache.org/task-groups"]
                .contains(r#""name":"cpu","minMember":1"#)
        );
    }

    #[test]
    fn sets_only_the_scheduler_name_for_scheduler_plugins_without_gang_scheduling() {
        let (plan, f) = run(&case(
            json!({}),
            json!({"raycc.io/batch-scheduler": "scheduler-plugins"}),
            workers(),
        ));
        let plan = plan.unwrap();
        assert!(f.is_empty());
        assert_eq!(plan.scheduler_name, "scheduler-plugins-scheduler");
        assert!(plan.pod_labels.is_empty() && plan.pod_group.is_none());
    }

    #[test]
    fn warns_that_kai_does_not_gang_the_whole_cluster_and_needs_a_queue() {
        let (plan, f) = run(&case(
            json!({"kai.scheduler/queue": "team"}),
            json!({}),
            workers(),
        ));
        assert_eq!(plan.unwrap().pod_labels["kai.scheduler/queue"], "team");
        assert_eq!(codes(&f), [Code::BatchSchedulerUnsupported]);
        let (_, f) = run(&case(
            json!({}),
            json!({"raycc.io/batch-scheduler": "kai-scheduler"}),
            workers(),
        ));
        assert_eq!(
            codes(&f),
            [
                Code::BatchSchedulerUnsupported,
                Code::BatchSchedulerUnsupported
            ]
        );
        assert!(f[0].message.contains("the Pods stay Pending"));
    }
}
