//! The Redis cleanup Job: the head Pod reduced to its Ray container, running the cleanup.
//! Mirrors `buildRedisCleanupJob` (ray-operator/controllers/ray/raycluster_controller.go,
//! KubeRay v1.7.0): `ray.io/node-type: redis-cleanup`, no probes, fixed 200m / 256Mi, the
//! Redis connection retries stretched to a minute, `restartPolicy: Never`, no retries, five
//! minutes at most.
//!
//! Where it departs, because Argo CD runs the hook after it has deleted the application's
//! objects (the operator's Job runs while the RayCluster and what it owns still exist): the
//! Job carries no token authentication (the cleanup talks only to Redis, and the token Secret
//! may be gone), keeps only the volumes its containers mount (the autoscaler's ConfigMap is
//! gone), mounts none of the head's per-Pod claims (they come from its StatefulSet's claim
//! templates), and runs under the namespace's default ServiceAccount when the head's was raycc's.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{PodSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::pod::{self, env};
use super::{LABEL_NODE_TYPE, meta};
use crate::normalize::{RedisCleanupPlan, ResolvedCluster};

/// The node type of the cleanup Pod (`RedisCleanupNode`, ray-operator/apis/ray/v1).
const REDIS_CLEANUP_NODE: &str = "redis-cleanup";
/// The token authentication variables and mount, which the cleanup does not need.
const AUTH_ENV: &[&str] = &[
    "RAY_AUTH_MODE",
    "RAY_AUTH_TOKEN",
    "RAY_ENABLE_K8S_TOKEN_AUTH",
];
const AUTH_VOLUME: &str = "ray-token";

pub(super) fn job(r: &ResolvedCluster, plan: &RedisCleanupPlan) -> Job {
    // The head Pod as the operator's `buildHeadPod` makes it: without batch-scheduling
    // metadata, which the operator adds only to the Pods it creates for the cluster.
    let mut t = pod::pod_template(r, &r.head);
    let mut m = t.metadata.take().unwrap_or_default();
    let mut labels = m.labels.take().unwrap_or_default();
    labels.insert(LABEL_NODE_TYPE.to_string(), REDIS_CLEANUP_NODE.to_string());
    m.labels = Some(labels.clone());
    let mut annotations = m.annotations.clone().unwrap_or_default();
    t.metadata = Some(m);
    let mut spec = t.spec.take().unwrap_or_default();
    cleanup_pod(&mut spec, plan);
    t.spec = Some(spec);

    annotations.extend(plan.hook_annotations.clone());
    let mut metadata: ObjectMeta = meta(r, &plan.job_name, labels);
    metadata.annotations = Some(annotations);
    Job {
        metadata,
        spec: Some(JobSpec {
            backoff_limit: Some(0),
            active_deadline_seconds: Some(300),
            template: t,
            ..JobSpec::default()
        }),
        ..Job::default()
    }
}

fn cleanup_pod(spec: &mut PodSpec, plan: &RedisCleanupPlan) {
    spec.containers.truncate(1);
    if let Some(init) = spec.init_containers.as_mut() {
        init.retain(|c| c.name != "wait-for-tls-ip-san");
    }
    if let Some(ray) = spec.containers.first_mut() {
        ray.command = Some(vec!["/bin/bash".into(), "-c".into(), "--".into()]);
        ray.args = Some(vec![plan.script.clone()]);
        ray.liveness_probe = None;
        ray.readiness_probe = None;
        let envs = ray.env.get_or_insert_with(Vec::new);
        envs.retain(|e| !AUTH_ENV.contains(&e.name.as_str()));
        for (name, value) in [
            ("RAY_redis_db_connect_retries", "120"),
            ("RAY_redis_db_connect_wait_milliseconds", "500"),
        ] {
            if !envs.iter().any(|e| e.name == name) {
                envs.push(env(name, value));
            }
        }
        if let Some(mounts) = ray.volume_mounts.as_mut() {
            mounts.retain(|v| v.name != AUTH_VOLUME);
        }
        let fixed = BTreeMap::from([
            ("cpu".to_string(), Quantity("200m".into())),
            ("memory".to_string(), Quantity("256Mi".into())),
        ]);
        ray.resources = Some(ResourceRequirements {
            limits: Some(fixed.clone()),
            requests: Some(fixed),
            ..ResourceRequirements::default()
        });
    }
    // The head's per-Pod claims come from its StatefulSet's claim templates, which a Job does
    // not have: their mounts go (the cleanup reads nothing from them).
    let present: Vec<String> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.clone())
        .collect();
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        if let Some(mounts) = c.volume_mounts.as_mut() {
            mounts.retain(|m| present.contains(&m.name));
        }
        if let Some(devices) = c.volume_devices.as_mut() {
            devices.retain(|d| present.contains(&d.name));
        }
    }
    let mounted: Vec<String> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .flat_map(|c| {
            c.volume_mounts
                .iter()
                .flatten()
                .map(|m| m.name.clone())
                .chain(c.volume_devices.iter().flatten().map(|d| d.name.clone()))
        })
        .collect();
    if let Some(volumes) = spec.volumes.as_mut() {
        volumes.retain(|v| mounted.contains(&v.name));
        if volumes.is_empty() {
            spec.volumes = None;
        }
    }
    if plan.drop_service_account {
        spec.service_account_name = None;
    }
    spec.restart_policy = Some("Never".into());
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::build::{Object, build};
    use crate::codes::Code;
    use crate::normalize::{Options, normalize};

    fn compile(metadata: Value, spec: Value) -> (Vec<Value>, Vec<(Code, String)>) {
        let mut v = json!({"apiVersion": "ray.io/v1", "kind": "RayCluster"});
        v["metadata"] = metadata;
        v["spec"] = spec;
        let (r, w) = normalize(serde_json::from_value(v).unwrap(), &Options::default());
        (
            build(&r).objects.iter().map(Object::to_value).collect(),
            w.into_iter().map(|f| (f.code, f.message)).collect(),
        )
    }

    fn job(objects: &[Value]) -> Option<&Value> {
        objects.iter().find(|o| o["kind"] == "Job")
    }

    fn redis_spec() -> Value {
        json!({"rayVersion": "2.52.0", "enableInTreeAutoscaling": true,
            "authOptions": {"mode": "token"},
            "gcsFaultToleranceOptions": {"redisAddress": "redis:6379"},
            "headGroupSpec": {"template": {"spec": {"containers": [{"name": "ray-head",
                "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}}})
    }

    fn annotated(name: &str) -> Value {
        json!({"name": name, "annotations": {"raycc.io/redis-cleanup": "argocd"},
            "labels": {"volcano.sh/queue-name": "q"}})
    }

    #[test]
    fn runs_the_operator_s_cleanup_job_as_an_argo_cd_post_delete_hook() {
        let (o, _) = compile(annotated("demo"), redis_spec());
        let job = job(&o).unwrap();
        assert_eq!(o.last(), Some(job), "the Job comes last");
        assert_eq!(job["apiVersion"], "batch/v1");
        assert_eq!(job["metadata"]["name"], "demo-redis-cleanup");
        assert_eq!(
            job["metadata"]["annotations"]["argocd.argoproj.io/hook"],
            "PostDelete"
        );
        assert_eq!(
            job["metadata"]["annotations"]["argocd.argoproj.io/hook-delete-policy"],
            "HookSucceeded"
        );
        assert_eq!(
            job["metadata"]["labels"]["ray.io/node-type"],
            "redis-cleanup"
        );
        let spec = &job["spec"];
        assert_eq!(
            (
                spec["backoffLimit"].as_i64(),
                spec["activeDeadlineSeconds"].as_i64()
            ),
            (Some(0), Some(300))
        );
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        let containers = pod["containers"].as_array().unwrap();
        assert_eq!(containers.len(), 1, "the autoscaler sidecar is left out");
        let ray = &containers[0];
        assert_eq!(ray["command"], json!(["/bin/bash", "-c", "--"]));
        assert!(
            ray["args"][0]
                .as_str()
                .unwrap()
                .contains("cleanup_redis_storage(host=parsed.hostname")
        );
        assert!(ray.get("livenessProbe").is_none() && ray.get("readinessProbe").is_none());
        assert_eq!(
            ray["resources"],
            json!({"limits": {"cpu": "200m", "memory": "256Mi"},
                "requests": {"cpu": "200m", "memory": "256Mi"}})
        );
        let env: Vec<&str> = ray["env"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert!(
            env.contains(&"RAY_external_storage_namespace") && env.contains(&"RAY_REDIS_ADDRESS")
        );
        assert!(!env.contains(&"RAY_AUTH_TOKEN") && !env.contains(&"RAY_AUTH_MODE"));
        assert_eq!(
            env[env.len() - 2..],
            [
                "RAY_redis_db_connect_retries",
                "RAY_redis_db_connect_wait_milliseconds"
            ]
        );
        // raycc's ServiceAccount and the autoscaler's volumes go with the cluster.
        assert!(pod.get("serviceAccountName").is_none());
        let volumes: Vec<&str> = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(volumes, ["shared-mem", "ray-logs"]);
        // The operator builds the Job from the head Pod before any batch scheduler sees it.
        assert!(pod.get("schedulerName").is_none());
        assert!(
            spec["template"]["metadata"]["labels"]
                .get("volcano.sh/queue-name")
                .is_none()
        );
    }

    #[test]
    fn mounts_none_of_the_head_s_per_pod_claims() {
        let mut spec = redis_spec();
        spec["rayVersion"] = "2.55.0".into();
        let head = &mut spec["headGroupSpec"]["template"]["spec"];
        head["containers"][0]["volumeMounts"] =
            json!([{"name": "scratch", "mountPath": "/scratch"}]);
        head["volumes"] = json!([{"name": "scratch", "ephemeral": {"volumeClaimTemplate": {
            "metadata": {"annotations": {"raycc.io/per-pod-claim": "true",
                "raycc.io/ray-use": "tmp-ray"}},
            "spec": {"accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}}}}}}]);
        let (o, _) = compile(annotated("demo"), spec);
        let pod = &job(&o).unwrap()["spec"]["template"]["spec"];
        let volumes: Vec<&str> = pod["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert!(!volumes.contains(&"scratch"), "{volumes:?}");
        for c in pod["containers"]
            .as_array()
            .unwrap()
            .iter()
            .chain(pod["initContainers"].as_array().into_iter().flatten())
        {
            for m in c["volumeMounts"].as_array().into_iter().flatten() {
                let name = m["name"].as_str().unwrap();
                assert!(volumes.contains(&name), "mount {name} has no volume");
                assert_ne!(name, "scratch");
            }
        }
    }

    #[test]
    fn keeps_a_service_account_the_head_names_itself() {
        let mut spec = redis_spec();
        spec["headGroupSpec"]["template"]["spec"]["serviceAccountName"] = "ray-head".into();
        let (o, _) = compile(annotated("demo"), spec);
        assert_eq!(
            job(&o).unwrap()["spec"]["template"]["spec"]["serviceAccountName"],
            "ray-head"
        );
    }

    #[test]
    fn emits_the_job_only_on_request_and_only_with_redis() {
        let (o, _) = compile(json!({"name": "demo"}), redis_spec());
        assert!(job(&o).is_none());
        let (o, w) = compile(annotated("demo"), json!({"rayVersion": "2.52.0"}));
        assert!(job(&o).is_none());
        let codes: Vec<Code> = w.iter().map(|(c, _)| *c).collect();
        assert_eq!(codes, [Code::RedisCleanupWithoutRedis]);
    }

    #[test]
    fn shortens_a_job_name_that_would_not_fit_a_label() {
        let name = "c".repeat(53);
        let (o, w) = compile(annotated(&name), redis_spec());
        let job_name = job(&o).unwrap()["metadata"]["name"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(job_name.len() <= 63, "{job_name}");
        assert!(job_name.starts_with(&format!("{name}-")));
        assert!(w.iter().any(|(c, m)| *c == Code::NameShortened
            && m.starts_with(&format!(
                "the Redis cleanup Job name `{name}-redis-cleanup` is too long"
            ))));
    }
}
