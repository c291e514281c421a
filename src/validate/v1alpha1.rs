//! `ray.io/v1alpha1`: what the API server would do with this document under KubeRay's CRD,
//! whose v1alpha1 schema (ray-operator/config/crd/bases/ray.io_rayclusters.yaml, KubeRay v1.7.0)
//! has fewer fields than v1 and requires `rayStartParams` in every group. raycc compiles the
//! document as v1, as written; these warnings say where the operator's cluster would differ.
//! raycc's own short-form fields (`spec.headService`, `idleTimeoutMinutes`, `upscalingSpeed`,
//! a missing head group or template) are raycc's in either version and are not reported.

use serde_json::Value;

use super::group_ptr;
use crate::codes::Code;
use crate::diagnostic::{Finding, child};

/// `spec` fields that only v1 has.
const SPEC_V1_ONLY: [&str; 7] = [
    "authOptions",
    "gcsFaultToleranceOptions",
    "historyServerOptions",
    "managedBy",
    "networkPolicy",
    "tlsOptions",
    "upgradeStrategy",
];
/// `headGroupSpec` fields that only v1 has.
const HEAD_V1_ONLY: [&str; 3] = ["ingressOptions", "labels", "resources"];
/// `workerGroupSpecs[]` fields that only v1 has.
const WORKER_V1_ONLY: [&str; 6] = [
    "idleTimeoutSeconds",
    "labels",
    "numOfHosts",
    "priority",
    "resources",
    "suspend",
];
/// `autoscalerOptions` fields that only v1 has.
const AUTOSCALER_V1_ONLY: [&str; 3] = ["args", "command", "version"];

/// The warnings for a `ray.io/v1alpha1` document (its untyped tree, as written).
pub(super) fn differences(doc: &Value, f: &mut Vec<Finding>) {
    let Some(spec) = doc.get("spec") else {
        return;
    };
    pruned(spec, "/spec", &SPEC_V1_ONLY, f);
    if let Some(o) = spec.get("autoscalerOptions") {
        pruned(o, "/spec/autoscalerOptions", &AUTOSCALER_V1_ONLY, f);
    }
    if let Some(head) = spec.get("headGroupSpec") {
        pruned(head, "/spec/headGroupSpec", &HEAD_V1_ONLY, f);
        required_params(head, "/spec/headGroupSpec", "the head group", f);
    }
    for (i, g) in spec
        .get("workerGroupSpecs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = group_ptr(i);
        pruned(g, &at, &WORKER_V1_ONLY, f);
        required_params(g, &at, "every worker group", f);
    }
}

fn pruned(object: &Value, at: &str, v1_only: &[&str], f: &mut Vec<Finding>) {
    for field in v1_only {
        if object.get(*field).is_some() {
            let ptr = child(at, field);
            f.push(
                Finding::new(
                    Code::NotInV1alpha1,
                    ptr.clone(),
                    format!(
                        "ray.io/v1alpha1 has no `{}`: the API server would drop it from this RayCluster; raycc compiles it as ray.io/v1",
                        crate::diagnostic::field_path(&ptr)
                    ),
                )
                .at_key()
                .help("change the apiVersion to `ray.io/v1`"),
            );
        }
    }
}

fn required_params(group: &Value, at: &str, who: &str, f: &mut Vec<Finding>) {
    if group.get("rayStartParams").is_none() {
        f.push(
            Finding::new(
                Code::NotInV1alpha1,
                at,
                format!("ray.io/v1alpha1 requires rayStartParams in {who}: the API server would refuse this RayCluster"),
            )
            .help("change the apiVersion to `ray.io/v1`, where it is optional, or add `rayStartParams: {}`"),
        );
    }
}
