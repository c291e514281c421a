//! How worker groups scale ([`Mode`]): not at all, by Ray's own autoscaler (the default for
//! `enableInTreeAutoscaling: true`, planned in `ray_autoscaler`), or by a HorizontalPodAutoscaler
//! per group on request (`raycc.io/autoscaler: hpa`), with the Ray autoscaler's settings (idle
//! timeout, upscaling speed, replica bounds) carried over into the HPA.

use std::collections::BTreeMap;

use super::groups::Replicas;
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{RayClusterSpec, UpscalingMode, WorkerGroupSpec};

/// The RayCluster annotation that chooses how an autoscaled cluster scales: `ray` (the
/// default) or `hpa`.
pub const AUTOSCALER_ANNOTATION: &str = "raycc.io/autoscaler";

/// How the worker groups of a cluster scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `enableInTreeAutoscaling` is off: every group runs its replica count.
    Off,
    /// Ray's own autoscaler, in a sidecar of the head, creates and deletes worker Pods.
    Ray,
    /// A HorizontalPodAutoscaler per group scales its workload on CPU.
    Hpa,
}

/// The autoscaling mode a cluster asks for, without judging the annotation's value (an unknown
/// value counts as the default, `ray`).
#[must_use]
pub fn requested(spec: &RayClusterSpec, annotations: Option<&BTreeMap<String, String>>) -> Mode {
    if spec.enable_in_tree_autoscaling != Some(true) {
        return Mode::Off;
    }
    match annotations.and_then(|a| a.get(AUTOSCALER_ANNOTATION)) {
        Some(v) if v.eq_ignore_ascii_case("hpa") => Mode::Hpa,
        _ => Mode::Ray,
    }
}

/// The autoscaling mode: `enableInTreeAutoscaling`, then the `raycc.io/autoscaler` annotation,
/// whose value must be `ray` or `hpa`.
pub(super) fn mode(
    spec: &RayClusterSpec,
    annotations: &BTreeMap<String, String>,
    warnings: &mut Vec<Finding>,
) -> Mode {
    let enabled = spec.enable_in_tree_autoscaling == Some(true);
    let Some(v) = annotations.get(AUTOSCALER_ANNOTATION) else {
        return if enabled { Mode::Ray } else { Mode::Off };
    };
    let at = child("/metadata/annotations", AUTOSCALER_ANNOTATION);
    let chosen = match v.to_ascii_lowercase().as_str() {
        "ray" => Mode::Ray,
        "hpa" => Mode::Hpa,
        _ => {
            warnings.push(
                Finding::new(
                    Code::InvalidSetting,
                    at,
                    format!("`{AUTOSCALER_ANNOTATION}` must be `ray` or `hpa`, found `{v}`"),
                )
                .help("use `ray` (Ray's own autoscaler, the default) or `hpa` (a HorizontalPodAutoscaler per group)"),
            );
            Mode::Ray
        }
    };
    if !enabled {
        warnings.push(
            Finding::new(
                Code::InvalidSetting,
                child("/metadata/annotations", AUTOSCALER_ANNOTATION),
                format!(
                    "`{AUTOSCALER_ANNOTATION}` has no effect: enableInTreeAutoscaling is not true"
                ),
            )
            .help("set spec.enableInTreeAutoscaling: true, or remove the annotation"),
        );
        return Mode::Off;
    }
    chosen
}

/// The RayCluster annotation that sets the HPA CPU target.
pub const HPA_CPU_ANNOTATION: &str = "raycc.io/hpa-cpu-utilization";
/// Default HPA CPU average utilization target, in percent.
pub const DEFAULT_HPA_CPU: i32 = 80;
/// Default idle timeout, seconds (the Ray autoscaler's default of one minute).
pub const DEFAULT_IDLE_SECONDS: i32 = 60;
/// Kubernetes' upper bound for an HPA stabilization window.
pub const MAX_STABILIZATION_SECONDS: i32 = 3600;

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

/// The cluster-wide autoscaling settings every group's plan starts from.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Settings {
    /// `autoscalerOptions.idleTimeoutSeconds`, else `idleTimeoutMinutes` × 60.
    idle_seconds: Option<i32>,
    /// `upscalingSpeed`, else the speed of `upscalingMode`.
    speed: f64,
    /// The HPA CPU target, percent.
    cpu_target: i32,
}

impl Settings {
    /// Reads `autoscalerOptions` and the `raycc.io/hpa-cpu-utilization` annotation; an invalid
    /// annotation is a warning and the default applies.
    pub(super) fn new(
        spec: &RayClusterSpec,
        annotations: &BTreeMap<String, String>,
        warnings: &mut Vec<Finding>,
    ) -> Self {
        let o = spec.autoscaler_options.as_ref();
        let idle_seconds = o.and_then(|o| o.idle_timeout_seconds).or_else(|| {
            o.and_then(|o| o.idle_timeout_minutes)
                .map(|m| m.saturating_mul(60))
        });
        // The Ray autoscaler's speeds: Conservative 1, Default and Aggressive 1000.
        let speed = o.and_then(|o| o.upscaling_speed).unwrap_or_else(|| {
            match o.and_then(|o| o.upscaling_mode) {
                Some(UpscalingMode::Conservative) => 1.0,
                _ => 1000.0,
            }
        });
        let cpu_target = match annotations.get(HPA_CPU_ANNOTATION) {
            None => DEFAULT_HPA_CPU,
            Some(v) => v.parse::<i32>().ok().filter(|v| (1..=1000).contains(v)).unwrap_or_else(|| {
                warnings.push(
                    Finding::new(
                        Code::InvalidSetting,
                        child("/metadata/annotations", HPA_CPU_ANNOTATION),
                        format!("`{HPA_CPU_ANNOTATION}` must be a whole number of percent from 1 to 1000, found `{v}`"),
                    )
                    .help("for example `raycc.io/hpa-cpu-utilization: \"70\"`"),
                );
                DEFAULT_HPA_CPU
            }),
        };
        Self {
            idle_seconds,
            speed,
            cpu_target,
        }
    }

    /// The HPA of worker group `g` (at pointer `p`).
    pub(super) fn plan(
        &self,
        g: &WorkerGroupSpec,
        p: &str,
        counts: &Replicas,
        has_cpu_request: bool,
        warnings: &mut Vec<Finding>,
    ) -> HpaPlan {
        let name = &g.group_name;
        let Replicas {
            min, max, hosts, ..
        } = *counts;
        if min == 0 {
            warnings.push(
                Finding::new(
                    Code::HpaMinZero,
                    child(p, "minReplicas"),
                    format!("worker group {name} has minReplicas 0, but a HorizontalPodAutoscaler cannot scale to zero; it keeps 1 replica"),
                )
                .help("set minReplicas to 1 to make this explicit"),
            );
        }
        if !has_cpu_request {
            warnings.push(
                Finding::new(
                    Code::HpaNoCpuRequest,
                    child(p, "template"),
                    format!("worker group {name} is autoscaled on CPU, but its Ray container has no CPU request"),
                )
                .help("set resources.requests.cpu on the Ray container; without it the HPA cannot compute utilization"),
            );
        }
        let idle = g
            .idle_timeout_seconds
            .or(self.idle_seconds)
            .unwrap_or(DEFAULT_IDLE_SECONDS);
        if idle > MAX_STABILIZATION_SECONDS {
            warnings.push(Finding::new(
                Code::HpaWindowClamped,
                child(p, "idleTimeoutSeconds"),
                format!("idle timeout {idle}s for worker group {name} is longer than an HPA allows; the scale-down window is {MAX_STABILIZATION_SECONDS}s"),
            ));
        }
        HpaPlan {
            min_pods: min.max(1).saturating_mul(hosts),
            max_pods: max.saturating_mul(hosts),
            cpu_utilization: self.cpu_target,
            scale_down_window: idle.min(MAX_STABILIZATION_SECONDS),
            scale_up_percent: percent(self.speed),
        }
    }
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
