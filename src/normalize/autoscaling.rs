//! Autoscaling plans: a HorizontalPodAutoscaler per autoscaled worker group, with the Ray
//! autoscaler's settings (idle timeout, upscaling speed, replica bounds) carried over.

use std::collections::BTreeMap;

use super::groups::Counts;
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{RayClusterSpec, UpscalingMode, WorkerGroupSpec};

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
        counts: &Counts,
        has_cpu_request: bool,
        warnings: &mut Vec<Finding>,
    ) -> HpaPlan {
        let name = &g.group_name;
        let Counts {
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
