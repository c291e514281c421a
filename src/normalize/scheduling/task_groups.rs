//! YuniKorn's task groups: the `yunikorn.apache.org/task-groups` annotation that tells YuniKorn
//! which gangs a Ray cluster is made of. Mirrors `newTaskGroupsFromRayClusterSpec`
//! (ray-operator/controllers/ray/batchscheduler/yunikorn/yunikorn_task_groups.go, KubeRay
//! v1.7.0): one group for the head (`headgroup`, one member) and one per worker group
//! (minReplicas × numOfHosts members), each with the resources of one Pod and the Pod's node
//! selector, tolerations and affinity.
//!
//! The JSON is written as Go's `json.Marshal` writes the operator's structs: fields in their
//! declaration order, map keys sorted, `<`, `>` and `&` escaped, so the annotation reads as
//! the operator's.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::resources;
use crate::model::RayClusterSpec;

/// The order of the fields of the operator's `TaskGroup` and of the Kubernetes types inside it
/// (`Affinity`, `Toleration` and their parts), as Go declares them. One order serves every
/// struct, since no two of them order a shared field differently.
const FIELD_ORDER: &[&str] = &[
    "minResource",
    "nodeSelector",
    "affinity",
    "name",
    "topologySpreadConstraints",
    "tolerations",
    "minMember",
    "nodeAffinity",
    "podAffinity",
    "podAntiAffinity",
    "requiredDuringSchedulingIgnoredDuringExecution",
    "preferredDuringSchedulingIgnoredDuringExecution",
    "nodeSelectorTerms",
    "weight",
    "preference",
    "podAffinityTerm",
    "labelSelector",
    "namespaces",
    "topologyKey",
    "namespaceSelector",
    "matchLabelKeys",
    "mismatchLabelKeys",
    "matchLabels",
    "matchExpressions",
    "matchFields",
    "key",
    "operator",
    "value",
    "values",
    "effect",
    "tolerationSeconds",
];

/// Fields that are Go maps: their keys are data, written sorted.
const MAP_FIELDS: &[&str] = &["minResource", "nodeSelector", "matchLabels"];

/// The annotation value, or `None` when a group's size does not fit (int32 members, or
/// resources beyond raycc's arithmetic).
pub(super) fn annotation(spec: &RayClusterSpec) -> Option<String> {
    let head = spec
        .head_group_spec
        .as_ref()
        .and_then(|h| h.template.as_ref());
    let mut groups = vec![group("headgroup", 1, head.and_then(|t| t.spec.as_ref()))?];
    for g in spec.worker_group_specs.iter().flatten() {
        let members =
            i64::from(g.min_replicas.unwrap_or(0)) * i64::from(g.num_of_hosts.unwrap_or(1));
        groups.push(group(
            &g.group_name,
            i32::try_from(members).ok()?,
            g.template.as_ref().and_then(|t| t.spec.as_ref()),
        )?);
    }
    Some(go_json(&Value::Array(groups), false))
}

fn group(
    name: &str,
    members: i32,
    spec: Option<&k8s_openapi::api::core::v1::PodSpec>,
) -> Option<Value> {
    let resources = resources::canonical(&resources::pod(spec)?);
    let mut g = Map::new();
    g.insert("minResource".into(), json!(resources));
    if let Some(sel) = spec
        .and_then(|s| s.node_selector.as_ref())
        .filter(|m| !m.is_empty())
    {
        g.insert("nodeSelector".into(), json!(sel));
    }
    if let Some(a) = spec.and_then(|s| s.affinity.as_ref()) {
        g.insert("affinity".into(), serde_json::to_value(a).ok()?);
    }
    g.insert("name".into(), json!(name));
    if let Some(t) = spec
        .and_then(|s| s.tolerations.as_ref())
        .filter(|t| !t.is_empty())
    {
        g.insert("tolerations".into(), serde_json::to_value(t).ok()?);
    }
    g.insert("minMember".into(), json!(members));
    Some(Value::Object(g))
}

fn rank(key: &str) -> usize {
    FIELD_ORDER
        .iter()
        .position(|k| *k == key)
        .unwrap_or(FIELD_ORDER.len())
}

/// JSON as Go's `json.Marshal` writes it: struct fields in [`FIELD_ORDER`], map keys sorted.
fn go_json(v: &Value, is_map: bool) -> String {
    let mut out = String::new();
    write_value(&mut out, v, is_map);
    out
}

fn write_value(out: &mut String, v: &Value, is_map: bool) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            if !is_map {
                // Stable: unknown fields keep their sorted order, after the known ones.
                keys.sort_by_key(|k| rank(k));
            }
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, &m[k], MAP_FIELDS.contains(&k.as_str()));
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, false);
            }
            out.push(']');
        }
        Value::String(s) => write_string(out, s),
        other => out.push_str(&other.to_string()),
    }
}

/// A JSON string as Go's encoder escapes it (HTML-safe).
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: Value) -> RayClusterSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn describes_the_head_and_each_worker_group_as_the_operator_s_test_expects() {
        // TestPropagateTaskGroupsAnnotationToPod (yunikorn_scheduler_test.go, KubeRay v1.7.0).
        let s = spec(json!({
            "headGroupSpec": {"template": {"spec": {"containers": [{"name": "ray-head",
                "resources": {"requests": {"cpu": "5", "memory": "5Gi"}}}]}}},
            "workerGroupSpecs": [{"groupName": "worker-group-1", "replicas": 2,
                "minReplicas": 2, "maxReplicas": 2, "numOfHosts": 3,
                "template": {"spec": {"containers": [{"name": "ray-worker",
                    "resources": {"requests": {"cpu": "2", "memory": "10Gi", "nvidia.com/gpu": "1"}}}]}}}]
        }));
        assert_eq!(
            annotation(&s).unwrap(),
            concat!(
                r#"[{"minResource":{"cpu":"5","memory":"5Gi"},"name":"headgroup","minMember":1},"#,
                r#"{"minResource":{"cpu":"2","memory":"10Gi","nvidia.com/gpu":"1"},"name":"worker-group-1","minMember":6}]"#
            )
        );
    }

    #[test]
    fn carries_placement_in_go_s_field_order() {
        let s = spec(json!({
            "headGroupSpec": {"template": {"spec": {
                "nodeSelector": {"pool": "head", "name": "x"},
                "tolerations": [{"effect": "NoSchedule", "key": "a&b", "operator": "Equal", "value": "<v>"}],
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                    {"nodeSelectorTerms": [{"matchExpressions": [{"values": ["x"], "operator": "In", "key": "zone"}]}]}}},
                "containers": [{"name": "ray-head"}]}}}
        }));
        assert_eq!(
            annotation(&s).unwrap(),
            concat!(
                r#"[{"minResource":{},"nodeSelector":{"name":"x","pool":"head"},"#,
                r#""affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":"#,
                r#"{"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["x"]}]}]}}},"#,
                r#""name":"headgroup","#,
                r#""tolerations":[{"key":"a\u0026b","operator":"Equal","value":"\u003cv\u003e","effect":"NoSchedule"}],"#,
                r#""minMember":1}]"#
            )
        );
    }

    #[test]
    fn escapes_strings_as_go_does() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\n\u{1}\u{8}\u{2028}é");
        assert_eq!(out, r#""a\"b\\c\n\u0001\b\u2028é""#);
    }

    #[test]
    fn counts_a_worker_group_at_its_minimum_even_when_suspended() {
        let s = spec(
            json!({"workerGroupSpecs": [{"groupName": "g", "minReplicas": 3,
            "maxReplicas": 5, "suspend": true}]}),
        );
        assert!(
            annotation(&s)
                .unwrap()
                .ends_with(r#""name":"g","minMember":3}]"#)
        );
    }
}
