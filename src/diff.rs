//! Diff: what a change to RayCluster sources does to the cluster.
//!
//! Takes two sets of Kubernetes objects (usually both compiled by raycc) and returns a
//! [`DiffReport`]: objects matched by apiVersion, kind, namespace and name, each added,
//! removed, changed or unchanged, with a unified diff of its YAML and impact notes a generic
//! YAML differ cannot give (rolling restarts, fields the API server will not change in place,
//! scaling owned by an HPA, Service address changes). Values of environment variables whose
//! names look secret, and Secret data, are masked before anything is compared or shown.
//! Pure: the CLI reads the inputs and prints the rendering.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// Identifies an object.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ObjectKey {
    /// `apps/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// `StatefulSet`.
    pub kind: String,
    /// Namespace, if any.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    fn of(v: &Value) -> ObjectKey {
        let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
        ObjectKey {
            api_version: s("/apiVersion").unwrap_or_default(),
            kind: s("/kind").unwrap_or_default(),
            namespace: s("/metadata/namespace"),
            name: s("/metadata/name").unwrap_or_default(),
        }
    }

    /// `StatefulSet ml/train-head`.
    #[must_use]
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Only in the new set.
    Added,
    /// Only in the old set.
    Removed,
    /// In both, different.
    Changed,
    /// In both, equal.
    Unchanged,
}

impl Status {
    /// `changed`.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
        }
    }
}

/// One object's comparison.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectDiff {
    /// Which object.
    #[serde(flatten)]
    pub key: ObjectKey,
    /// What happened.
    pub status: Status,
    /// Unified diff of the YAML (secrets masked); empty when unchanged.
    pub diff: String,
    /// What the change does to the running cluster.
    pub impact: Vec<String>,
}

/// Counts per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Added objects.
    pub added: usize,
    /// Removed objects.
    pub removed: usize,
    /// Changed objects.
    pub changed: usize,
    /// Unchanged objects.
    pub unchanged: usize,
}

/// The comparison of two object sets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    /// Counts.
    pub summary: Summary,
    /// Every object, in a stable order: changed, added, removed, unchanged, each by key.
    pub objects: Vec<ObjectDiff>,
}

impl DiffReport {
    /// True when anything differs.
    #[must_use]
    pub fn has_differences(&self) -> bool {
        self.summary.added + self.summary.removed + self.summary.changed > 0
    }

    /// `1 changed, 0 added, 0 removed`.
    #[must_use]
    pub fn summary_line(&self) -> String {
        let s = self.summary;
        format!(
            "{} changed, {} added, {} removed",
            s.changed, s.added, s.removed
        )
    }
}

/// Compares two sets of objects (a slice of values, or any iterator of references to them).
/// When one side holds two objects with the same key, the later one counts.
#[must_use]
pub fn diff<'a>(
    old: impl IntoIterator<Item = &'a Value>,
    new: impl IntoIterator<Item = &'a Value>,
) -> DiffReport {
    let old: BTreeMap<ObjectKey, &Value> = old.into_iter().map(|d| (ObjectKey::of(d), d)).collect();
    let new: BTreeMap<ObjectKey, &Value> = new.into_iter().map(|d| (ObjectKey::of(d), d)).collect();
    let mut objects = Vec::new();
    let mut summary = Summary::default();
    for (key, o) in &old {
        match new.get(key) {
            None => {
                summary.removed += 1;
                objects.push(ObjectDiff {
                    key: key.clone(),
                    status: Status::Removed,
                    diff: unified(key, Some(o), None),
                    impact: removed_impact(key, o),
                });
            }
            Some(n) if n == o => {
                summary.unchanged += 1;
                objects.push(ObjectDiff {
                    key: key.clone(),
                    status: Status::Unchanged,
                    diff: String::new(),
                    impact: Vec::new(),
                });
            }
            Some(n) => {
                summary.changed += 1;
                objects.push(ObjectDiff {
                    key: key.clone(),
                    status: Status::Changed,
                    diff: unified(key, Some(o), Some(n)),
                    impact: changed_impact(key, o, n),
                });
            }
        }
    }
    for (key, n) in &new {
        if !old.contains_key(key) {
            summary.added += 1;
            objects.push(ObjectDiff {
                key: key.clone(),
                status: Status::Added,
                diff: unified(key, None, Some(n)),
                impact: added_impact(key, n),
            });
        }
    }
    objects.sort_by(|a, b| (rank(a.status), &a.key).cmp(&(rank(b.status), &b.key)));
    DiffReport { summary, objects }
}

fn rank(s: Status) -> u8 {
    match s {
        Status::Changed => 0,
        Status::Added => 1,
        Status::Removed => 2,
        Status::Unchanged => 3,
    }
}

const MASK: &str = "*****";
const SECRET_WORDS: [&str; 4] = ["PASSWORD", "TOKEN", "SECRET", "KEY"];

/// True for an environment variable name that looks secret.
#[must_use]
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_WORDS.iter().any(|w| upper.contains(w))
}

/// Secret values of an object: `(env var name or Secret key, value)`.
fn secrets(v: &Value) -> std::collections::BTreeSet<(String, String)> {
    let mut out = std::collections::BTreeSet::new();
    let mut visit = |name: &str, val: &mut Value| {
        out.insert((name.to_string(), val.to_string()));
    };
    walk_secrets(&mut v.clone(), &mut visit);
    out
}

/// Calls `f` on every secret value: literal values of secret-looking env vars anywhere, and
/// the data of Secrets.
fn walk_secrets(v: &mut Value, f: &mut dyn FnMut(&str, &mut Value)) {
    if v.get("kind").and_then(Value::as_str) == Some("Secret") {
        for field in ["data", "stringData"] {
            if let Some(Value::Object(m)) = v.get_mut(field) {
                for (k, val) in m.iter_mut() {
                    f(&format!("{field}.{k}"), val);
                }
            }
        }
    }
    walk_env(v, f);
}

fn walk_env(v: &mut Value, f: &mut dyn FnMut(&str, &mut Value)) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if k == "env"
                    && let Value::Array(items) = child
                {
                    for item in items.iter_mut() {
                        let name = item.get("name").and_then(Value::as_str).map(str::to_string);
                        if let (Some(name), Some(val)) =
                            (name.filter(|n| looks_secret(n)), item.get_mut("value"))
                        {
                            f(&name, val);
                        }
                    }
                }
                walk_env(child, f);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| walk_env(x, f)),
        _ => {}
    }
}

/// Replaces secret values by a mask; a value that the other side does not have is marked
/// as changed, so a changed password shows without being revealed.
fn masked(v: &Value, other: Option<&Value>) -> Value {
    let theirs = other.map(secrets).unwrap_or_default();
    let mut v = v.clone();
    walk_secrets(&mut v, &mut |name, val| {
        let same = other.is_none() || theirs.contains(&(name.to_string(), val.to_string()));
        *val = Value::String(if same {
            MASK.to_string()
        } else {
            format!("{MASK} (changed)")
        });
    });
    v
}

fn yaml(v: Option<&Value>) -> String {
    v.map(crate::emit::to_yaml).unwrap_or_default()
}

fn unified(key: &ObjectKey, old: Option<&Value>, new: Option<&Value>) -> String {
    let a = yaml(old.map(|o| masked(o, new)).as_ref());
    let b = yaml(new.map(|n| masked(n, old)).as_ref());
    let label = key.display();
    let diff = similar::TextDiff::from_lines(&a, &b);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{label}"), &format!("b/{label}"))
        .to_string()
}

fn is_workload(key: &ObjectKey) -> bool {
    key.kind == "StatefulSet" || key.kind == "Deployment"
}

fn is_head(v: &Value) -> bool {
    v.pointer("/spec/template/metadata/labels/ray.io~1node-type")
        .and_then(Value::as_str)
        == Some("head")
}

/// The key of raycc's autoscaler ConfigMap that holds the autoscaling config.
const AUTOSCALER_CONFIG: &str = "autoscaling-config.yaml";

fn is_autoscaler_config(key: &ObjectKey, v: &Value) -> bool {
    key.kind == "ConfigMap"
        && v.pointer("/data")
            .is_some_and(|d| d.get(AUTOSCALER_CONFIG).is_some())
}

/// An Argo CD `PostDelete` hook (raycc's Redis cleanup Job): Argo CD creates it only when the
/// application is deleted.
fn is_post_delete_hook(v: &Value) -> bool {
    v.pointer("/metadata/annotations/argocd.argoproj.io~1hook")
        .and_then(Value::as_str)
        == Some("PostDelete")
}

const POST_DELETE_NOTE: &str = "an Argo CD PostDelete hook: it runs only when the application is deleted (it deletes the cluster's GCS state from Redis); nothing runs now";

fn added_impact(key: &ObjectKey, n: &Value) -> Vec<String> {
    if is_post_delete_hook(n) {
        vec![POST_DELETE_NOTE.to_string()]
    } else if key.kind == "PersistentVolumeClaim" {
        vec!["a new claim: its volume starts empty".to_string()]
    } else if let Some(note) = security_added(key) {
        vec![note.to_string()]
    } else if key.kind == "PodTemplate" {
        vec!["Ray's autoscaler creates this group's Pods from it and owns their count".to_string()]
    } else if !is_workload(key) {
        Vec::new()
    } else if is_head(n) {
        vec!["a new head: a Ray cluster starts".to_string()]
    } else {
        vec![format!("a new {}: its Pods are created", key.kind)]
    }
}

/// What a new NetworkPolicy, Ingress or CA Certificate does.
fn security_added(key: &ObjectKey) -> Option<&'static str> {
    match key.kind.as_str() {
        "NetworkPolicy" => Some(
            "the Pods it selects get only the traffic its rules allow: other connections are refused from now on",
        ),
        "Ingress" => Some(
            "exposes the Ray dashboard outside the cluster: anyone who reaches it can run code on the cluster, so restrict access at the Ingress controller",
        ),
        "Certificate" => {
            Some("cert-manager issues it; Pods that mount its Secret wait until it exists")
        }
        _ => None,
    }
}

fn removed_impact(key: &ObjectKey, o: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match key.kind.as_str() {
        "NetworkPolicy" => out.push(
            "the Pods it selected are no longer isolated by it: traffic it denied is allowed"
                .to_string(),
        ),
        "Ingress" => {
            out.push("the dashboard is no longer reachable through this Ingress".to_string());
        }
        "Certificate" => {
            out.push("cert-manager stops renewing it; its Secret stays until deleted".to_string());
        }
        _ => {}
    }
    if is_workload(key) {
        if is_head(o) {
            out.push("the head is removed: the Ray cluster stops".to_string());
        } else {
            out.push(format!("every Pod of this {} is deleted", key.kind));
        }
    }
    if key.kind == "HorizontalPodAutoscaler" {
        out.push(
            "autoscaling stops; the workload keeps its current replica count until replicas is set"
                .to_string(),
        );
    }
    if key.kind == "PodTemplate" {
        out.push("the Pods Ray's autoscaler made from it are garbage-collected".to_string());
    }
    if key.kind == "PersistentVolumeClaim" {
        out.push(if retained(o) {
            "the claim leaves the manifests, but Argo CD, Flux and Helm keep it and its data (it is annotated to be retained); delete it yourself when the data is no longer needed".to_string()
        } else {
            "pruning deletes the claim, and with the usual Delete reclaim policy its volume and data".to_string()
        });
    }
    out
}

/// A claim that Argo CD, Flux and Helm keep when it leaves the manifests.
fn retained(v: &Value) -> bool {
    v.pointer("/metadata/annotations/kustomize.toolkit.fluxcd.io~1prune")
        .and_then(Value::as_str)
        == Some("disabled")
}

/// Fields the API server refuses to change in place, per kind.
fn immutable_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "StatefulSet" => &[
            "/spec/selector",
            "/spec/serviceName",
            "/spec/volumeClaimTemplates",
            "/spec/podManagementPolicy",
        ],
        "Deployment" => &["/spec/selector"],
        "PersistentVolumeClaim" => &["/spec/accessModes", "/spec/storageClassName"],
        "Service" => &["/spec/clusterIP"],
        _ => &[],
    }
}

/// What a changed `volumeClaimTemplates` does to the data: the StatefulSet must be recreated,
/// and claims that exist stay as they are. Kubernetes' documented behaviour: the field is
/// immutable; deleting with `--cascade=orphan` leaves the Pods and claims; the StatefulSet
/// controller only creates claims that are missing; the retention policy acts only when the
/// StatefulSet is deleted or scaled down.
fn claim_templates_note(name: &str) -> String {
    format!(
        "`spec.volumeClaimTemplates` cannot be changed in place: the API server will refuse the update. \
Delete the StatefulSet with `kubectl delete statefulset {name} --cascade=orphan`, which leaves its Pods and claims, then apply the new one (or let Argo CD or Flux sync it), which adopts the running Pods. \
Existing claims keep their data and are not resized or otherwise changed (grow one by editing the claim itself, if its StorageClass allows volume expansion): only missing claims are created from the new templates, and a running Pod keeps the volumes it started with until it is replaced. \
Claims of a removed template stay until you delete them. \
A deletion without `--cascade=orphan` deletes the Pods, and with `whenDeleted: Delete` every claim and its data"
    )
}

/// What a changed NetworkPolicy, cert-manager Certificate or Ingress does.
fn security_changed(key: &ObjectKey, o: &Value, n: &Value) -> Option<String> {
    if o.pointer("/spec") == n.pointer("/spec") {
        return None;
    }
    let note = match key.kind.as_str() {
        "NetworkPolicy" => {
            "the allowed traffic changes at once: open connections the new rules do not allow are cut"
        }
        "Certificate" => {
            "cert-manager issues the certificate anew: for the cluster's CA, Pods started from then on trust only the new one and cannot talk to running ones, so restart the head and every worker together"
        }
        "Ingress" => {
            "the dashboard's route from outside the cluster changes (host, path, TLS or class)"
        }
        _ => return None,
    };
    Some(note.to_string())
}

fn changed_impact(key: &ObjectKey, o: &Value, n: &Value) -> Vec<String> {
    if is_post_delete_hook(n) {
        return vec![POST_DELETE_NOTE.to_string()];
    }
    let mut out = Vec::new();
    let at = |v: &Value, p: &str| v.pointer(p).cloned();
    for field in immutable_fields(&key.kind) {
        if at(o, field) != at(n, field) {
            let name = field.trim_start_matches('/').replace('/', ".");
            out.push(match (key.kind.as_str(), *field) {
                ("StatefulSet", "/spec/volumeClaimTemplates") => claim_templates_note(&key.name),
                ("PersistentVolumeClaim", _) => format!(
                    "`{name}` cannot be changed in place: the API server will refuse the update; a recreated claim gets a new, empty volume, so copy the data first or keep the old value"
                ),
                _ => format!(
                    "`{name}` cannot be changed in place: the API server will refuse the update; delete and recreate the {} (Argo CD: sync option Replace=true)",
                    key.kind
                ),
            });
        }
    }
    if key.kind == "PersistentVolumeClaim" {
        let size = "/spec/resources/requests/storage";
        if let (Some(a), Some(b)) = (at(o, size), at(n, size))
            && a != b
        {
            out.push(format!("the requested size changes from {a} to {b}: the volume grows in place if its StorageClass allows volume expansion; a smaller size is refused"));
        }
    }
    if key.kind == "StatefulSet" {
        let policy = "/spec/persistentVolumeClaimRetentionPolicy";
        if at(o, policy) != at(n, policy) {
            out.push("the claims' retention policy changes in place: it decides what happens to the claims when the StatefulSet is deleted or scaled down from now on".to_string());
        }
    }
    if is_workload(key) {
        if at(o, "/spec/template") != at(n, "/spec/template") {
            if is_head(n) {
                out.push("the head Pod template changes: the head restarts, and with it the whole Ray cluster (running jobs are lost)".to_string());
            } else {
                out.push(format!(
                    "the Pod template changes: every Pod of this {} is replaced (rolling restart)",
                    key.kind
                ));
            }
        }
        let note = match (at(o, "/spec/replicas"), at(n, "/spec/replicas")) {
            (Some(a), Some(b)) if a != b => {
                Some(format!("scales from {a} to {b} Pods (no restart)"))
            }
            (Some(_), None) => Some(
                "replicas is no longer set: a HorizontalPodAutoscaler owns the replica count"
                    .to_string(),
            ),
            (None, Some(b)) => Some(format!(
                "replicas is set to {b}: the replica count is no longer owned by an autoscaler"
            )),
            _ => None,
        };
        out.extend(note);
    }
    if key.kind == "PodTemplate" && at(o, "/template") != at(n, "/template") {
        out.push("Ray's autoscaler, which owns this group's Pods, makes new ones from the changed template; running Pods keep the old one until they are replaced (delete them to roll now)".to_string());
    }
    if is_autoscaler_config(key, n) {
        if at(o, "/data/autoscaling-config.yaml") != at(n, "/data/autoscaling-config.yaml") {
            out.push("the autoscaling config changes: the autoscaler reads it in its next rounds, within about a minute; nothing restarts".to_string());
        }
        if at(o, "/data/raycc_autoscaler.py") != at(n, "/data/raycc_autoscaler.py") {
            out.push("the node provider changes: the autoscaler sidecar restarts alone with it; the head's Ray keeps running".to_string());
        }
    }
    if key.kind == "HorizontalPodAutoscaler" {
        for (field, what) in [
            ("/spec/minReplicas", "minimum"),
            ("/spec/maxReplicas", "maximum"),
        ] {
            if let (Some(a), Some(b)) = (at(o, field), at(n, field))
                && a != b
            {
                out.push(format!("autoscaling {what} changes from {a} to {b} Pods; the HPA owns the replica count"));
            }
        }
    }
    out.extend(security_changed(key, o, n));
    if key.kind == "Service" {
        let t = |v: &Value| {
            v.pointer("/spec/type")
                .and_then(Value::as_str)
                .unwrap_or("ClusterIP")
                .to_string()
        };
        if t(o) != t(n) {
            out.push(format!(
                "the Service type changes from {} to {}: its address (cluster IP, node port or load balancer) may change",
                t(o),
                t(n)
            ));
        }
    }
    out
}

/// Plain text: a header per changed, added or removed object, its impact and its diff.
#[must_use]
pub fn render_text(r: &DiffReport, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for o in r.objects.iter().filter(|o| o.status != Status::Unchanged) {
        let (sign, c) = match o.status {
            Status::Added => ('+', "32"),
            Status::Removed => ('-', "31"),
            _ => ('~', "33"),
        };
        let header = format!(
            "{sign} {} {} ({})",
            o.key.api_version,
            o.key.display(),
            o.status.word()
        );
        let _ = writeln!(out, "{}", paint(&format!("1;{c}"), &header));
        for i in &o.impact {
            let _ = writeln!(out, "  {} {i}", paint("1;36", "impact:"));
        }
        for line in o.diff.lines() {
            let styled = if line.starts_with("+++") || line.starts_with("---") {
                paint("1", line)
            } else if line.starts_with('+') {
                paint("32", line)
            } else if line.starts_with('-') {
                paint("31", line)
            } else if line.starts_with("@@") {
                paint("36", line)
            } else {
                line.to_string()
            };
            let _ = writeln!(out, "  {styled}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}", r.summary_line());
    out
}

/// Markdown for a pull-request comment: a summary table, impact notes, collapsible diffs.
#[must_use]
pub fn render_markdown(r: &DiffReport) -> String {
    let mut out = String::from("### raycc diff\n\n");
    let _ = writeln!(out, "**{}**\n", r.summary_line());
    let changed: Vec<&ObjectDiff> = r
        .objects
        .iter()
        .filter(|o| o.status != Status::Unchanged)
        .collect();
    if changed.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }
    out.push_str("| object | status | impact |\n|---|---|---|\n");
    for o in &changed {
        let impact = if o.impact.is_empty() {
            "—".to_string()
        } else {
            o.impact.join("<br>")
        };
        let _ = writeln!(
            out,
            "| `{}` `{}` | {} | {} |",
            o.key.api_version,
            o.key.display(),
            o.status.word(),
            impact.replace('|', "\\|")
        );
    }
    out.push('\n');
    for o in &changed {
        let _ = write!(
            out,
            "<details><summary><code>{}</code> ({})</summary>\n\n```diff\n{}```\n\n</details>\n\n",
            o.key.display(),
            o.status.word(),
            o.diff.replace("```", "`\u{200b}``")
        );
    }
    out
}

/// JSON: `{"summary": {...}, "objects": [...]}`.
#[must_use]
pub fn render_json(r: &DiffReport) -> String {
    let mut s = serde_json::to_string_pretty(r).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sts(name: &str, replicas: Option<i64>, image: &str, head: bool) -> Value {
        let mut v = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "serviceName": name,
                "template": {"metadata": {"labels": {"ray.io/node-type": if head {"head"} else {"worker"}}},
                             "spec": {"containers": [{"name": "ray", "image": image,
                                 "env": [{"name": "REDIS_PASSWORD", "value": "hunter2"}]}]}}
            }
        });
        if let Some(r) = replicas {
            v["spec"]["replicas"] = r.into();
        }
        v
    }

    #[test]
    fn scaling_is_one_changed_object_without_restart() {
        let r = diff(
            &[sts("w", Some(2), "ray:1", false)],
            &[sts("w", Some(3), "ray:1", false)],
        );
        assert_eq!(
            r.summary,
            Summary {
                added: 0,
                removed: 0,
                changed: 1,
                unchanged: 0
            }
        );
        assert_eq!(
            r.objects[0].impact,
            ["scales from 2 to 3 Pods (no restart)"]
        );
        assert!(
            r.objects[0]
                .diff
                .contains("-  replicas: 2\n+  replicas: 3\n")
        );
    }

    #[test]
    fn a_head_image_bump_restarts_the_cluster() {
        let r = diff(
            &[sts("h", Some(1), "ray:1", true)],
            &[sts("h", Some(1), "ray:2", true)],
        );
        assert!(r.objects[0].impact[0].contains("the whole Ray cluster"));
    }

    #[test]
    fn says_what_the_autoscaler_owns_and_reloads() {
        let template = |image: &str| {
            json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "c-g-worker"},
                "template": {"spec": {"containers": [{"name": "ray", "image": image}]}}})
        };
        let r = diff(&[template("ray:1")], &[template("ray:2")]);
        assert!(
            r.objects[0].impact[0].starts_with("Ray's autoscaler, which owns this group's Pods")
        );
        let r = diff(&[], &[template("ray:1")]);
        assert_eq!(
            r.objects[0].impact,
            ["Ray's autoscaler creates this group's Pods from it and owns their count"]
        );
        let r = diff(&[template("ray:1")], &[]);
        assert_eq!(
            r.objects[0].impact,
            ["the Pods Ray's autoscaler made from it are garbage-collected"]
        );
        let config = |cfg: &str, provider: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c-autoscaler"},
                "data": {"autoscaling-config.yaml": cfg, "raycc_autoscaler.py": provider}})
        };
        let r = diff(&[config("a", "p")], &[config("b", "p")]);
        assert_eq!(r.objects[0].impact.len(), 1);
        assert!(r.objects[0].impact[0].contains("nothing restarts"));
        let r = diff(&[config("a", "p")], &[config("a", "q")]);
        assert!(r.objects[0].impact[0].contains("the autoscaler sidecar restarts alone"));
    }

    #[test]
    fn says_that_a_post_delete_hook_runs_only_when_the_application_is_deleted() {
        let job = |image: &str| {
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "c-redis-cleanup",
                    "annotations": {"argocd.argoproj.io/hook": "PostDelete"}},
                "spec": {"template": {"spec": {"containers": [{"name": "ray", "image": image}]}}}})
        };
        for r in [
            diff(&[], &[job("ray:1")]),
            diff(&[job("ray:1")], &[job("ray:2")]),
        ] {
            assert_eq!(r.objects[0].impact, [POST_DELETE_NOTE]);
        }
    }

    #[test]
    fn says_what_network_policies_ingresses_and_the_ca_change() {
        let np = |port: i64| {
            serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "demo-head"},
                "spec": {"policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": port}]}]}})
        };
        let r = diff(&[np(1)], &[np(2)]);
        assert_eq!(
            r.objects[0].impact,
            [
                "the allowed traffic changes at once: open connections the new rules do not allow are cut"
            ]
        );
        let r = diff(&[], &[np(1)]);
        assert!(r.objects[0].impact[0].contains("other connections are refused"));
        let r = diff(&[np(1)], &[]);
        assert!(r.objects[0].impact[0].contains("no longer isolated"));
        let ingress = serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "demo-head-ingress"}, "spec": {}});
        let r = diff(&[], &[ingress]);
        assert!(r.objects[0].impact[0].contains("anyone who reaches it can run code"));
        let ca = |bits: i64| {
            serde_json::json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                "metadata": {"name": "ray-ca-certificate-demo"},
                "spec": {"privateKey": {"algorithm": "RSA", "size": bits}}})
        };
        let r = diff(&[ca(2048)], &[ca(4096)]);
        assert!(r.objects[0].impact[0].contains("restart the head and every worker together"));
    }

    #[test]
    fn immutable_fields_need_a_recreate() {
        let mut new = sts("w", Some(1), "ray:1", false);
        new["spec"]["serviceName"] = "other".into();
        let r = diff(&[sts("w", Some(1), "ray:1", false)], &[new]);
        assert!(
            r.objects[0].impact[0].starts_with("`spec.serviceName` cannot be changed in place")
        );
    }

    #[test]
    fn a_claim_template_change_says_what_happens_to_the_data() {
        let claim = |size: &str| {
            json!([{"metadata": {"name": "spill"},
                "spec": {"accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": size}}}}])
        };
        let mut old = sts("w", Some(2), "ray:1", false);
        old["spec"]["volumeClaimTemplates"] = claim("10Gi");
        let mut new = old.clone();
        new["spec"]["volumeClaimTemplates"] = claim("20Gi");
        new["spec"]["persistentVolumeClaimRetentionPolicy"] =
            json!({"whenDeleted": "Delete", "whenScaled": "Retain"});
        let r = diff(&[old], &[new]);
        let impact = &r.objects[0].impact;
        assert_eq!(impact.len(), 2, "{impact:?}");
        let note = &impact[0];
        for part in [
            "`spec.volumeClaimTemplates` cannot be changed in place",
            "`kubectl delete statefulset w --cascade=orphan`, which leaves its Pods and claims",
            "Existing claims keep their data and are not resized or otherwise changed",
            "only missing claims are created from the new templates",
            "with `whenDeleted: Delete` every claim and its data",
        ] {
            assert!(note.contains(part), "{part} not in {note}");
        }
        assert!(impact[1].starts_with("the claims' retention policy changes in place"));
    }

    #[test]
    fn a_claim_says_what_its_changes_and_removal_do_to_its_data() {
        let pvc = |size: &str, class: &str, retain: bool| {
            let mut v = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "c-gcs-pvc"},
                "spec": {"storageClassName": class,
                    "resources": {"requests": {"storage": size}}}});
            if retain {
                v["metadata"]["annotations"] =
                    json!({"kustomize.toolkit.fluxcd.io/prune": "disabled"});
            }
            v
        };
        let r = diff(&[pvc("1Gi", "ssd", false)], &[pvc("5Gi", "hdd", false)]);
        let impact = &r.objects[0].impact;
        assert!(impact[0].starts_with("`spec.storageClassName` cannot be changed in place"));
        assert!(impact[0].contains("a new, empty volume"));
        assert!(impact[1].starts_with("the requested size changes from \"1Gi\" to \"5Gi\""));
        let r = diff(&[pvc("1Gi", "ssd", true)], &[]);
        assert!(r.objects[0].impact[0].contains("keep it and its data"));
        let r = diff(&[pvc("1Gi", "ssd", false)], &[]);
        assert!(r.objects[0].impact[0].starts_with("pruning deletes the claim"));
        let r = diff(&[], &[pvc("1Gi", "ssd", false)]);
        assert_eq!(
            r.objects[0].impact,
            ["a new claim: its volume starts empty"]
        );
    }

    #[test]
    fn equal_sets_in_any_order_do_not_differ() {
        let a = sts("a", Some(1), "x", false);
        let b = sts("b", Some(1), "x", false);
        let r = diff(&[a.clone(), b.clone()], &[b, a]);
        assert!(!r.has_differences());
        assert_eq!(r.summary.unchanged, 2);
    }

    #[test]
    fn secret_looking_env_values_are_masked() {
        let mut new = sts("w", Some(1), "ray:1", false);
        new["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] =
            "correct-horse".into();
        let r = diff(&[sts("w", Some(1), "ray:1", false)], &[new]);
        assert!(!r.objects[0].diff.contains("hunter2"));
        assert!(!r.objects[0].diff.contains("correct-horse"));
        assert!(r.has_differences());
        assert!(
            looks_secret("RAY_AUTH_TOKEN") && looks_secret("api_key") && !looks_secret("RAY_PORT")
        );
    }

    #[test]
    fn added_and_removed_objects_are_reported() {
        let r = diff(
            &[sts("old", Some(1), "x", false)],
            &[sts("new", Some(1), "x", false)],
        );
        assert_eq!(r.summary_line(), "0 changed, 1 added, 1 removed");
        assert_eq!(r.objects[0].status, Status::Added);
        assert_eq!(r.objects[1].status, Status::Removed);
    }
}
