//! The GitOps counterpart of the operator's Redis cleanup.
//!
//! With GCS fault tolerance on Redis, the operator puts a finalizer on the RayCluster; when the
//! RayCluster is deleted it deletes the Pods, waits for the head to be gone, and runs a Job
//! that deletes the cluster's storage namespace from Redis before it lets the RayCluster go
//! (`buildRedisCleanupJob` and the finalizer in
//! `ray-operator/controllers/ray/raycluster_controller.go`, KubeRay v1.7.0). raycc has no
//! object to put a finalizer on, so on
//! request (`raycc.io/redis-cleanup: argocd`) it emits the same Job as an Argo CD `PostDelete`
//! hook, which Argo CD runs after it has deleted the application's resources.

use std::collections::BTreeMap;

use super::ResolvedGroup;
use super::plans::FaultTolerance;
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::names;

/// The RayCluster annotation that asks for the cleanup Job.
pub const REDIS_CLEANUP_ANNOTATION: &str = "raycc.io/redis-cleanup";

/// The cleanup Job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisCleanupPlan {
    /// `<cluster>-redis-cleanup`, shortened to 63 characters (the Job's Pods carry it as a
    /// label value).
    pub job_name: String,
    /// Annotations that make the Job a hook: Argo CD creates it after the application's
    /// resources are deleted and deletes it once it has succeeded (a failed one stays, to be
    /// read).
    pub hook_annotations: BTreeMap<String, String>,
    /// The Ray container's script: a guard that waits while the head still answers, then the
    /// operator's cleanup.
    pub script: String,
    /// The head runs under the ServiceAccount raycc creates for the autoscaler, which is
    /// deleted with the cluster: the Job runs under the namespace's default one instead.
    pub drop_service_account: bool,
}

/// What the plan is made from.
pub(super) struct Input<'a> {
    pub(super) name: &'a str,
    pub(super) annotations: &'a BTreeMap<String, String>,
    pub(super) fault_tolerance: &'a FaultTolerance,
    /// `<head host>:<port>` of the GCS.
    pub(super) head_address: String,
    pub(super) head: &'a ResolvedGroup,
    /// raycc creates the head's ServiceAccount.
    pub(super) own_service_account: bool,
}

/// The cleanup Job, when the RayCluster asks for it and keeps its GCS state in Redis.
pub(super) fn plan(input: &Input<'_>, findings: &mut Vec<Finding>) -> Option<RedisCleanupPlan> {
    let value = input.annotations.get(REDIS_CLEANUP_ANNOTATION)?;
    let at = child("/metadata/annotations", REDIS_CLEANUP_ANNOTATION);
    match value.to_ascii_lowercase().as_str() {
        "argocd" => {}
        "none" => return None,
        _ => {
            findings.push(
                Finding::new(
                    Code::InvalidSetting,
                    at,
                    format!("`{REDIS_CLEANUP_ANNOTATION}` must be `argocd` or `none`, found `{value}`"),
                )
                .help("use `argocd` for an Argo CD PostDelete hook Job; Flux and Helm run no such hook (the README says how to run the cleanup by hand)"),
            );
            return None;
        }
    }
    let FaultTolerance::Redis(redis) = input.fault_tolerance else {
        findings.push(
            Finding::new(
                Code::RedisCleanupWithoutRedis,
                at,
                format!("`{REDIS_CLEANUP_ANNOTATION}` is set, but the cluster keeps no GCS state in Redis: there is nothing to clean up, and no Job is emitted"),
            )
            .help("remove the annotation, or turn on GCS fault tolerance with gcsFaultToleranceOptions"),
        );
        return None;
    };
    let full = format!("{}-redis-cleanup", input.name);
    let (job_name, shortened) = names::fit(&full, names::MAX_LABEL);
    if shortened {
        findings.push(
            Finding::new(
                Code::NameShortened,
                "/metadata/name",
                format!("the Redis cleanup Job name `{full}` is too long; it is shortened to `{job_name}`"),
            )
            .help("shorten the cluster name to keep the full name"),
        );
    }
    // Mirrors the operator's `EnvVarExists(REDIS_USERNAME, ...)` on the built head container.
    let username = redis.username.is_some()
        || input
            .head
            .template
            .spec
            .as_ref()
            .and_then(|s| s.containers.first())
            .and_then(|c| c.env.as_ref())
            .is_some_and(|env| env.iter().any(|e| e.name == "REDIS_USERNAME"));
    Some(RedisCleanupPlan {
        job_name,
        hook_annotations: BTreeMap::from([
            (
                "argocd.argoproj.io/hook".to_string(),
                "PostDelete".to_string(),
            ),
            (
                "argocd.argoproj.io/hook-delete-policy".to_string(),
                "HookSucceeded".to_string(),
            ),
        ]),
        script: script(
            input.name,
            &input.head_address,
            &redis.storage_namespace,
            username,
        ),
        drop_service_account: input.own_service_account,
    })
}

/// The cleanup, in bash. First a guard of raycc's, in place of the operator's wait for the
/// head Pod to be gone: while the head's GCS still accepts connections it may still write to
/// Redis, so the script waits, up to four minutes (a minute of the Job's five is left for the
/// cleanup's own Redis retries); a head that still answers then means the cluster is alive
/// (the Job was applied by something that is not Argo CD), and the Job fails without touching
/// Redis. Then the operator's program: Ray's `cleanup_redis_storage` on the first address of
/// `RAY_REDIS_ADDRESS`, with the credentials and storage namespace from the environment.
fn script(cluster: &str, head_address: &str, storage_namespace: &str, username: bool) -> String {
    let (host, port) = head_address
        .rsplit_once(':')
        .unwrap_or((head_address, "6379"));
    let credentials = if username {
        "username=os.getenv('REDIS_USERNAME', parsed.username), "
    } else {
        ""
    };
    format!(
        "head_answers() {{ timeout 5 bash -c 'exec 3<>/dev/tcp/{host}/{port}' 2>/dev/null; }}; \
for i in {{1..24}}; do head_answers || break; sleep 5; done; \
if head_answers; then \
echo \"The head of RayCluster {cluster} still answers at {head_address}: its storage namespace is left in Redis.\" >&2; exit 1; fi; \
echo \"Deleting the storage namespace {storage_namespace} of RayCluster {cluster} from Redis. To do it by hand, see https://docs.ray.io/en/master/cluster/kubernetes/user-guides/kuberay-gcs-ft.html\" && \
python -c \"from ray._private.gcs_utils import cleanup_redis_storage; \
from urllib.parse import urlparse; \
import os; \
import sys; \
redis_address = os.getenv('RAY_REDIS_ADDRESS', '').split(',')[0]; \
redis_address = redis_address if '://' in redis_address else 'redis://' + redis_address; \
parsed = urlparse(redis_address); \
sys.exit(1) if not cleanup_redis_storage(host=parsed.hostname, port=parsed.port, {credentials}password=os.getenv('REDIS_PASSWORD', parsed.password or ''), use_ssl=parsed.scheme=='rediss', storage_namespace=os.getenv('RAY_external_storage_namespace')) else None\""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_the_operator_s_cleanup_once_the_head_no_longer_answers() {
        let s = script(
            "demo",
            "demo-head-svc.ml.svc.cluster.local:6380",
            "demo",
            false,
        );
        assert!(s.starts_with(concat!(
            "head_answers() { timeout 5 bash -c 'exec 3<>/dev/tcp/demo-head-svc.ml.svc.cluster.local/6380' 2>/dev/null; }; ",
            "for i in {1..24}; do head_answers || break; sleep 5; done; ",
            "if head_answers; then "
        )));
        assert!(s.contains("; exit 1; fi; echo \"Deleting the storage namespace demo of RayCluster demo from Redis."));
        assert!(s.ends_with(
            "sys.exit(1) if not cleanup_redis_storage(host=parsed.hostname, port=parsed.port, password=os.getenv('REDIS_PASSWORD', parsed.password or ''), use_ssl=parsed.scheme=='rediss', storage_namespace=os.getenv('RAY_external_storage_namespace')) else None\""
        ));
        let s = script("demo", "demo-head-svc:6379", "demo", true);
        assert!(s.contains(
            "port=parsed.port, username=os.getenv('REDIS_USERNAME', parsed.username), password="
        ));
    }
}
