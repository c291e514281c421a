//! raycc's own rules: what would make `ray start` or the Kubernetes objects fail although
//! KubeRay's rules pass (unknown or malformed `ray start` flags, a container without an image,
//! group names that cannot be part of object names), the short form's fields, and the
//! operator features raycc refuses or ignores.

use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::{containers, group_ptr};
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::model::{AuthMode, ManagedBy, RayCluster, WorkerGroupSpec};
use crate::names;
use crate::normalize;
use crate::raystart;
use crate::suggest::suggest;
use std::collections::BTreeMap;

/// The head's `ray start` flags and image.
pub(super) fn head_group(c: &RayCluster, f: &mut Vec<Finding>) {
    let head = c.spec.head_group_spec.as_ref();
    if let Some(h) = head {
        ray_start_params("/spec/headGroupSpec", h.ray_start_params.as_ref(), f);
    }
    image(
        c,
        "/spec/headGroupSpec",
        head.and_then(|h| h.template.as_ref()),
        f,
    );
}

/// A worker group's name as part of object names, its `ray start` flags and image.
pub(super) fn worker_group(c: &RayCluster, i: usize, g: &WorkerGroupSpec, f: &mut Vec<Finding>) {
    let at = group_ptr(i);
    let name = g.group_name.as_str();
    let lower = name.to_ascii_lowercase();
    if names::label_value_error(name).is_some()
        || name.is_empty()
        || !names::is_dns1123_label(&lower)
    {
        f.push(
            Finding::new(
                Code::InvalidGroupName,
                child(&at, "groupName"),
                format!("worker group name `{name}` cannot be used in Kubernetes object names"),
            )
            .help("use lower case letters, digits and '-', starting and ending with a letter or digit"),
        );
    }
    ray_start_params(&at, g.ray_start_params.as_ref(), f);
    image(c, &at, g.template.as_ref(), f);
}

/// The short form's `idleTimeoutMinutes` and `upscalingSpeed`.
pub(super) fn autoscaler(c: &RayCluster, f: &mut Vec<Finding>) {
    let Some(o) = &c.spec.autoscaler_options else {
        return;
    };
    if let Some(t) = o.idle_timeout_minutes.filter(|t| *t < 0) {
        f.push(Finding::new(
            Code::AutoscalerConflict,
            "/spec/autoscalerOptions/idleTimeoutMinutes",
            format!("autoscalerOptions.idleTimeoutMinutes must be non-negative, got {t}"),
        ));
    }
    if let Some(s) = o
        .upscaling_speed
        .filter(|s| !(*s > 0.0 && *s <= 1_000_000.0))
    {
        f.push(Finding::new(
            Code::AutoscalerConflict,
            "/spec/autoscalerOptions/upscalingSpeed",
            format!("autoscalerOptions.upscalingSpeed must be greater than 0 and at most 1000000, got {s}"),
        ));
    }
}

/// Flags `ray start` does not know, and values it would refuse.
fn ray_start_params(p: &str, params: Option<&BTreeMap<String, String>>, f: &mut Vec<Finding>) {
    let pp = child(p, "rayStartParams");
    for (k, v) in params.into_iter().flatten() {
        let kp = child(&pp, k);
        if raystart::flag_kind(k).is_none() {
            let flags: Vec<&str> = raystart::KNOWN_FLAGS.iter().map(|(n, _)| *n).collect();
            let near = suggest(k, &flags);
            let help = match near {
                Some(n) => format!("did you mean `{n}`? `ray start` refuses unknown options"),
                None => {
                    "check the name against `ray start --help`; `ray start` refuses unknown options"
                        .to_string()
                }
            };
            f.push(
                Finding::new(
                    Code::UnknownRayStartParam,
                    kp.clone(),
                    format!("`{k}` is not a known `ray start` flag"),
                )
                .at_key()
                .help(help),
            );
        } else if let Some(problem) = raystart::value_problem(k, v) {
            f.push(
                Finding::new(Code::InvalidRayStartParam, kp, problem)
                    .help("`ray start` would exit at once and the Pod would crash-loop"),
            );
        }
    }
}

/// The operator needs the image in the template; raycc can default it from `rayVersion`.
fn image(c: &RayCluster, p: &str, tpl: Option<&PodTemplateSpec>, f: &mut Vec<Finding>) {
    if c.spec.ray_version.as_deref().is_some_and(|v| !v.is_empty()) {
        return;
    }
    let ray = containers(tpl).and_then(|cs| cs.first());
    let has_image = ray.is_some_and(|r| r.image.as_deref().is_some_and(|i| !i.is_empty()));
    if (tpl.is_none() || ray.is_some()) && !has_image {
        let at = if tpl.is_some() {
            child(p, "template/spec/containers/0")
        } else {
            p.to_string()
        };
        f.push(
            Finding::new(Code::MissingImage, at, "the Ray container has no image and spec.rayVersion is not set")
                .help("set spec.rayVersion (the image becomes rayproject/ray:<rayVersion>) or set the container image"),
        );
    }
}

/// Operator features: refused, ignored, or needing objects raycc does not create.
pub(super) fn operator_features(c: &RayCluster, f: &mut Vec<Finding>) {
    refused(c, f);
    ignored(c, f);
    prerequisites(c, f);
}

/// Operator features raycc refuses: a cluster another controller places (MultiKueue creates it
/// on the worker cluster it picks).
fn refused(c: &RayCluster, f: &mut Vec<Finding>) {
    let s = &c.spec;
    let refuse = |f: &mut Vec<Finding>, ptr: &str, what: &str| {
        f.push(
            Finding::new(Code::UnsupportedFeature, ptr, format!("{what} needs the KubeRay operator; raycc cannot compile it"))
                .at_key()
                .help("remove the field and create the equivalent objects yourself, or run this cluster with the KubeRay operator"),
        );
    };
    if s.managed_by == Some(ManagedBy::MultiKueue) {
        refuse(
            f,
            "/spec/managedBy",
            "a cluster managed by MultiKueue (which creates it on the worker cluster it picks)",
        );
    }
}

/// Operator features raycc ignores, with a warning.
fn ignored(c: &RayCluster, f: &mut Vec<Finding>) {
    let s = &c.spec;
    let ignore = |f: &mut Vec<Finding>, ptr: String, what: &str| {
        f.push(
            Finding::new(
                Code::IgnoredFeature,
                ptr,
                format!("{what} is ignored: only the KubeRay operator acts on it"),
            )
            .at_key(),
        );
    };
    if s.upgrade_strategy.is_some() {
        ignore(
            f,
            "/spec/upgradeStrategy".into(),
            "spec.upgradeStrategy (StatefulSets roll out template changes themselves)",
        );
    }
    let sidecar = normalize::requested_autoscaling(s, c.metadata.annotations.as_ref())
        == normalize::Mode::Ray;
    if let Some(o) = s.autoscaler_options.as_ref().filter(|_| !sidecar) {
        let sidecar_only = [
            ("image", o.image.is_some()),
            ("imagePullPolicy", o.image_pull_policy.is_some()),
            ("resources", o.resources.is_some()),
            ("securityContext", o.security_context.is_some()),
            ("env", o.env.is_some()),
            ("envFrom", o.env_from.is_some()),
            ("volumeMounts", o.volume_mounts.is_some()),
            ("command", o.command.is_some()),
            ("args", o.args.is_some()),
        ];
        for (field, set) in sidecar_only {
            if set {
                f.push(
                    Finding::new(
                        Code::IgnoredFeature,
                        child("/spec/autoscalerOptions", field),
                        format!("autoscalerOptions.{field} is ignored: HorizontalPodAutoscalers run no autoscaler sidecar"),
                    )
                    .at_key()
                    .help("remove it, or let Ray's autoscaler scale the cluster (remove `raycc.io/autoscaler: hpa`)"),
                );
            }
        }
    }
    for (i, g) in s.worker_group_specs.iter().flatten().enumerate() {
        if g.scale_strategy
            .as_ref()
            .and_then(|s| s.workers_to_delete.as_ref())
            .is_some_and(|w| !w.is_empty())
        {
            ignore(
                f,
                child(&group_ptr(i), "scaleStrategy"),
                "scaleStrategy.workersToDelete",
            );
        }
    }
}

/// Objects the output needs that raycc does not create.
fn prerequisites(c: &RayCluster, f: &mut Vec<Finding>) {
    let s = &c.spec;
    if s.auth_options
        .as_ref()
        .is_some_and(|a| a.mode == Some(AuthMode::Token) && a.enable_k8s_token_auth != Some(true))
    {
        let secret = s
            .auth_options
            .as_ref()
            .and_then(|a| a.secret_name.clone())
            .unwrap_or_else(|| names::check_name(c.metadata.name.as_deref().unwrap_or_default()));
        f.push(
            Finding::new(
                Code::ExternalPrerequisite,
                "/spec/authOptions",
                format!("token authentication reads Secret `{secret}` (key `auth_token`), which raycc does not create"),
            )
            .at_key()
            .help("create the Secret, for example with `kubectl create secret generic NAME --from-literal=auth_token=...`"),
        );
    }
}
