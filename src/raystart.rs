//! `rayStartParams` → the `ray start` command line, exactly as KubeRay renders it.
//!
//! KubeRay treats `rayStartParams` as one mutable map that several steps fill in, in a fixed
//! order spread over `DefaultHeadPodTemplate`, `DefaultWorkerPodTemplate`,
//! `configureGCSFaultTolerance` and `BuildPod` (ray-operator/controllers/ray/common/pod.go,
//! KubeRay v1.7.0). [`resolve`] runs the whole sequence, in that order; each step is a
//! function here that names the operator function it mirrors:
//!
//! 1. the group `resources` field ([`apply_group_resources`]);
//! 2. the group `labels` field ([`apply_group_labels`]);
//! 3. the missing defaults ([`set_missing`]);
//! 4. `no-monitor` on an autoscaled head ([`set_no_monitor`]);
//! 5. the Redis credentials of GCS fault tolerance ([`set_redis_credentials`]);
//! 6. the Ray container's resource limits and requests ([`apply_container_resources`]).
//!
//! [`render`] finally turns the map into flags, with the operator's spacing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::quantity::Quantity;

/// Ray start parameters: flag name (without `--`) → raw value.
pub type Params = BTreeMap<String, String>;

/// Which kind of node a command is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeType {
    /// The head node.
    Head,
    /// A worker node.
    Worker,
}

/// Default GCS port.
pub const DEFAULT_GCS_PORT: &str = "6379";
/// Default metrics export port.
pub const DEFAULT_METRICS_PORT: i32 = 8080;
/// Default dashboard agent listen port (the HTTP health endpoint).
pub const DEFAULT_AGENT_PORT: i32 = 52365;
/// Default dashboard port.
pub const DEFAULT_DASHBOARD_PORT: i32 = 8265;
/// The literal ulimit prefix of every generated command.
pub const ULIMIT: &str = "ulimit -n ${RAY_START_ULIMIT_OPEN_FILES:-65536}";

/// Flags that keep an explicit `=true`/`=false` value instead of becoming bare switches.
const VALUE_BOOLEANS: [&str; 3] = ["log-color", "include-dashboard", "include-log-monitor"];

/// The flags `ray start` accepts, and whether each takes a value of a checked kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagKind {
    /// A switch without a value (`--block`).
    Switch,
    /// Free text.
    Text,
    /// A whole number (ports, byte counts, CPU counts).
    Integer,
    /// A decimal number.
    Float,
    /// A JSON object (`--resources`).
    Json,
}

/// Known `ray start` flags, sorted: those of Ray 2.52 and later (read from its `ray start`
/// option definitions) plus a few that older Ray 2.x releases still accept.
pub const KNOWN_FLAGS: &[(&str, FlagKind)] = &[
    ("address", FlagKind::Text),
    ("autoscaling-config", FlagKind::Text),
    ("block", FlagKind::Switch),
    ("cgroup-path", FlagKind::Text),
    ("dashboard-agent-grpc-port", FlagKind::Integer),
    ("dashboard-agent-listen-port", FlagKind::Integer),
    ("dashboard-grpc-port", FlagKind::Integer),
    ("dashboard-host", FlagKind::Text),
    ("dashboard-port", FlagKind::Integer),
    ("disable-usage-stats", FlagKind::Switch),
    ("enable-object-reconstruction", FlagKind::Switch),
    ("enable-resource-isolation", FlagKind::Switch),
    ("gcs-server-port", FlagKind::Integer),
    ("head", FlagKind::Switch),
    ("include-dashboard", FlagKind::Text),
    ("include-log-monitor", FlagKind::Text),
    ("labels", FlagKind::Text),
    ("labels-file", FlagKind::Text),
    ("log-color", FlagKind::Text),
    ("log-style", FlagKind::Text),
    ("max-worker-port", FlagKind::Integer),
    ("memory", FlagKind::Integer),
    ("metrics-export-port", FlagKind::Integer),
    ("min-worker-port", FlagKind::Integer),
    ("no-monitor", FlagKind::Switch),
    ("no-redirect-output", FlagKind::Switch),
    ("node-ip-address", FlagKind::Text),
    ("node-manager-port", FlagKind::Integer),
    ("node-name", FlagKind::Text),
    ("num-cpus", FlagKind::Integer),
    ("num-gpus", FlagKind::Integer),
    ("object-manager-port", FlagKind::Integer),
    ("object-spilling-directory", FlagKind::Text),
    ("object-store-memory", FlagKind::Integer),
    ("plasma-directory", FlagKind::Text),
    ("plasma-store-socket-name", FlagKind::Text),
    ("port", FlagKind::Integer),
    ("proxy-server-url", FlagKind::Text),
    ("ray-client-server-port", FlagKind::Integer),
    ("ray-debugger-external", FlagKind::Switch),
    ("raylet-socket-name", FlagKind::Text),
    ("redis-max-memory", FlagKind::Integer),
    ("redis-password", FlagKind::Text),
    ("redis-shard-ports", FlagKind::Text),
    ("redis-username", FlagKind::Text),
    ("resources", FlagKind::Json),
    ("runtime-env-agent-port", FlagKind::Integer),
    ("storage", FlagKind::Text),
    ("system-config", FlagKind::Json),
    ("system-reserved-cpu", FlagKind::Float),
    ("system-reserved-memory", FlagKind::Integer),
    ("temp-dir", FlagKind::Text),
    ("tracing-startup-hook", FlagKind::Text),
    ("verbose", FlagKind::Switch),
    ("worker-port-list", FlagKind::Text),
];

/// Looks up a flag.
#[must_use]
pub fn flag_kind(name: &str) -> Option<FlagKind> {
    KNOWN_FLAGS
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| KNOWN_FLAGS[i].1)
}

/// Why a parameter value would make `ray start` fail, or `None`. A value that is one shell
/// variable (`$RAY_NUM_CPUS`, `${RAY_NUM_CPUS}`) is bash's to expand when the container starts,
/// so it cannot be checked here and passes, as it does through the operator.
#[must_use]
pub fn value_problem(name: &str, value: &str) -> Option<String> {
    let kind = flag_kind(name)?;
    if is_shell_variable(value) {
        return None;
    }
    let is_bool = matches!(value.to_ascii_lowercase().as_str(), "true" | "false");
    match kind {
        FlagKind::Integer => {
            let v = value.trim_matches(|c| c == '\'' || c == '"');
            (v.parse::<u64>().is_err())
                .then(|| format!("`{name}` must be a whole non-negative number, found `{value}`"))
        }
        FlagKind::Float => {
            let v = value.trim_matches(|c| c == '\'' || c == '"');
            (!v.parse::<f64>().is_ok_and(|f| f.is_finite() && f >= 0.0))
                .then(|| format!("`{name}` must be a non-negative number, found `{value}`"))
        }
        FlagKind::Json => {
            let inner = strip_resources_quotes(value).replace('\\', "");
            match serde_json::from_str::<serde_json::Value>(&inner) {
                Ok(serde_json::Value::Object(_)) => None,
                _ => Some(format!(
                    "`{name}` must be a JSON object such as '{{\"custom\": 1}}', found `{value}`"
                )),
            }
        }
        FlagKind::Switch if !is_bool => Some(format!(
            "`{name}` is a switch and takes \"true\" or \"false\", found `{value}`"
        )),
        FlagKind::Switch | FlagKind::Text => None,
    }
}

/// True for `$NAME` or `${NAME}`, with a shell variable name.
#[must_use]
pub fn is_shell_variable(value: &str) -> bool {
    let Some(rest) = value.strip_prefix('$') else {
        return false;
    };
    let name = rest
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(rest);
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// What the steps read besides the user's `rayStartParams`.
#[derive(Clone, Copy, Debug)]
pub struct Sources<'a> {
    /// Head or worker.
    pub node: NodeType,
    /// The group `resources` field.
    pub resources: Option<&'a BTreeMap<String, String>>,
    /// The group `labels` field.
    pub labels: Option<&'a BTreeMap<String, String>>,
    /// `<head Service host>:<GCS port>`, the address workers join.
    pub head_address: &'a str,
    /// The head's monitor runs elsewhere (an autoscaler sidecar).
    pub no_monitor: bool,
    /// `gcsFaultToleranceOptions.redisUsername` is set (read on the head only).
    pub redis_username: bool,
    /// `gcsFaultToleranceOptions.redisPassword` is set (read on the head only).
    pub redis_password: bool,
    /// The Ray container's resource limits, as written.
    pub limits: &'a BTreeMap<String, String>,
    /// The Ray container's resource requests, as written.
    pub requests: &'a BTreeMap<String, String>,
}

/// Runs the operator's steps 1 to 6, in its order, on a group's `rayStartParams`.
#[must_use]
pub fn resolve(mut params: Params, s: &Sources<'_>) -> Params {
    if let Some(r) = s.resources {
        apply_group_resources(&mut params, r);
    }
    if let Some(l) = s.labels {
        apply_group_labels(&mut params, l);
    }
    set_missing(&mut params, s.node, s.head_address);
    if s.node == NodeType::Head {
        set_no_monitor(&mut params, s.no_monitor);
        set_redis_credentials(&mut params, s.redis_username, s.redis_password);
    }
    apply_container_resources(&mut params, s.limits, s.requests);
    params
}

/// Step 1: the group `resources` field overrides the resource flags.
/// Mirrors `updateRayStartParamsResources` (common/pod.go, KubeRay v1.7.0).
pub fn apply_group_resources(params: &mut Params, resources: &BTreeMap<String, String>) {
    let mut custom = BTreeMap::new();
    for (name, raw) in resources {
        let Some(q) = Quantity::parse(raw) else {
            continue;
        };
        let lower = name.to_ascii_lowercase();
        if lower == "cpu" {
            params.insert("num-cpus".into(), q.ceil().to_string());
        } else if lower == "memory" {
            params.insert("memory".into(), q.ceil().to_string());
        } else if is_gpu_key(&lower) {
            params.insert("num-gpus".into(), q.ceil().to_string());
        } else {
            custom.insert(name.clone(), q.as_f64());
        }
    }
    if !custom.is_empty() {
        params.insert("resources".into(), format!("'{}'", go_json(&custom)));
    }
}

/// Step 2: the group `labels` field becomes `labels=k1=v1,k2=v2`, keys sorted.
/// Mirrors `updateRayStartParamsLabels` (common/pod.go, KubeRay v1.7.0).
pub fn apply_group_labels(params: &mut Params, labels: &BTreeMap<String, String>) {
    if labels.is_empty() {
        return;
    }
    let joined: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    params.insert("labels".into(), joined.join(","));
}

/// Step 3: defaults. Mirrors `setMissingRayStartParams` (common/pod.go, KubeRay v1.7.0).
/// `head_address` is `<head service address>:<head port>`, used by workers.
pub fn set_missing(params: &mut Params, node: NodeType, head_address: &str) {
    match node {
        NodeType::Worker => {
            params
                .entry("address".into())
                .or_insert_with(|| head_address.to_string());
        }
        NodeType::Head => {
            params
                .entry("dashboard-host".into())
                .or_insert_with(|| "0.0.0.0".into());
        }
    }
    params
        .entry("metrics-export-port".into())
        .or_insert_with(|| DEFAULT_METRICS_PORT.to_string());
    params.insert("block".into(), "true".into());
    params
        .entry("dashboard-agent-listen-port".into())
        .or_insert_with(|| DEFAULT_AGENT_PORT.to_string());
}

/// Step 4: an autoscaled head runs no monitor of its own, because the autoscaler runs in a
/// sidecar container. Mirrors the autoscaling branch of `DefaultHeadPodTemplate`
/// (common/pod.go, KubeRay v1.7.0). raycc asks for it only when it emits that sidecar.
pub fn set_no_monitor(params: &mut Params, no_monitor: bool) {
    if no_monitor {
        params.insert("no-monitor".into(), "true".into());
    }
}

/// Step 5: the Redis credentials reach `ray start` through the environment variables that
/// carry them. Mirrors `configureRedisFT` (common/pod.go, KubeRay v1.7.0).
pub fn set_redis_credentials(params: &mut Params, username: bool, password: bool) {
    if username {
        params.insert("redis-username".into(), "$REDIS_USERNAME".into());
    }
    if password {
        params.insert("redis-password".into(), "$REDIS_PASSWORD".into());
    }
}

/// Step 6: resources from the Ray container's limits and requests.
/// Mirrors the resource part of `generateRayStartCommand` and
/// `addWellKnownAcceleratorResources` (common/pod.go, KubeRay v1.7.0).
pub fn apply_container_resources(
    params: &mut Params,
    limits: &BTreeMap<String, String>,
    requests: &BTreeMap<String, String>,
) {
    let parsed = |m: &BTreeMap<String, String>, k: &str| m.get(k).and_then(|v| Quantity::parse(v));
    if !params.contains_key("num-cpus") {
        let cpu = parsed(limits, "cpu")
            .filter(|q| !q.is_zero())
            .or_else(|| parsed(requests, "cpu").filter(|q| !q.is_zero()));
        if let Some(q) = cpu {
            params.insert("num-cpus".into(), q.ceil().to_string());
        }
    }
    if !params.contains_key("memory")
        && let Some(q) = parsed(limits, "memory").filter(|q| !q.is_zero())
    {
        params.insert("memory".into(), q.ceil().to_string());
    }
    if limits.is_empty() {
        return;
    }
    // An existing `resources` that is not a JSON object of numbers disables the whole
    // accelerator step, GPUs included (`getResourcesMap` fails).
    let mut custom = match params.get("resources") {
        Some(raw) => match resources_map(raw) {
            Some(m) => m,
            None => return,
        },
        None => BTreeMap::new(),
    };
    if !params.contains_key("num-gpus") {
        let gpu = limits
            .iter()
            .filter(|(k, _)| is_gpu_key(k))
            .find_map(|(_, v)| Quantity::parse(v).filter(|q| !q.is_zero()));
        if let Some(q) = gpu {
            params.insert("num-gpus".into(), q.ceil().to_string());
        }
    }
    if custom.contains_key("neuron_cores") || custom.contains_key("TPU") {
        return;
    }
    let accelerator = limits.iter().find_map(|(k, v)| {
        let name = match k.as_str() {
            "aws.amazon.com/neuroncore" => "neuron_cores",
            "google.com/tpu" => "TPU",
            _ => return None,
        };
        Quantity::parse(v)
            .filter(|q| !q.is_zero())
            .map(|q| (name, q.as_f64()))
    });
    if let Some((name, value)) = accelerator {
        custom.insert(name.to_string(), value);
        params.insert("resources".into(), format!("'{}'", go_json(&custom)));
    }
}

/// Renders the command. Mirrors `generateRayStartCommand` / `convertParamMap`
/// (common/pod.go, KubeRay v1.7.0), double spaces and trailing space included.
#[must_use]
pub fn render(params: &Params, node: NodeType) -> String {
    let mut out = String::from(match node {
        NodeType::Head => "ray start --head ",
        NodeType::Worker => "ray start ",
    });
    for (k, v) in params {
        let lower = v.to_ascii_lowercase();
        if (lower == "true" || lower == "false") && !VALUE_BOOLEANS.contains(&k.as_str()) {
            if lower == "true" {
                let _ = write!(out, " --{k} ");
            }
        } else {
            let _ = write!(out, " --{k}={v} ");
        }
    }
    out
}

/// The head's GCS port: rayStartParams `port`, else 6379. Mirrors `GetHeadPort`.
#[must_use]
pub fn head_port(head_params: &Params) -> String {
    head_params
        .get("port")
        .cloned()
        .unwrap_or_else(|| DEFAULT_GCS_PORT.to_string())
}

/// A port from the params when it is a valid int32, else the default.
#[must_use]
pub fn port_param(params: &Params, name: &str, default: i32) -> i32 {
    params
        .get(name)
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or(default)
}

/// Mirrors `IsGPUResourceKey` (ray-operator/controllers/ray/utils/resources.go, KubeRay
/// v1.7.0): a name ending in `gpu`, or ending in `nvidia.com/mig-<n>g.<n>gb`.
fn is_gpu_key(key: &str) -> bool {
    if key.ends_with("gpu") {
        return true;
    }
    key.match_indices("nvidia.com/mig-").any(|(at, prefix)| {
        key[at + prefix.len()..]
            .split_once("g.")
            .is_some_and(|(a, b)| {
                !a.is_empty()
                    && a.bytes().all(|c| c.is_ascii_digit())
                    && b.strip_suffix("gb")
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
            })
    })
}

fn strip_resources_quotes(raw: &str) -> &str {
    raw.trim_matches(|c| matches!(c, '\'' | '"' | '\\' | ' '))
}

/// `rayStartParams.resources` as Go's `json.Unmarshal` into `map[string]float64` reads it,
/// after trimming quotes, backticks and spaces. Mirrors `getResourcesMap` (common/pod.go,
/// KubeRay v1.7.0).
fn resources_map(raw: &str) -> Option<BTreeMap<String, f64>> {
    let text = raw.trim_matches(|c| matches!(c, '\'' | '"' | '`' | ' '));
    match serde_json::from_str::<serde_json::Value>(text).ok()? {
        serde_json::Value::Object(m) => m
            .into_iter()
            .map(|(k, v)| v.as_f64().map(|f| (k, f)))
            .collect(),
        _ => None,
    }
}

/// A map of numbers as Go's `json.Marshal` writes a `map[string]float64`: keys sorted,
/// HTML-safe string escapes, numbers in Go's float format.
fn go_json(map: &BTreeMap<String, f64>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in k.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20
                    || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') =>
                {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push_str("\":");
        out.push_str(&go_float(*v));
    }
    out.push('}');
    out
}

/// A float64 as Go's `encoding/json` writes it: the shortest decimal that reads back, in
/// exponent form (`1e+21`, `1e-7`) below 1e-6 and from 1e21 on.
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let e = format!("{f:e}");
    match e.split_once('e') {
        Some((mantissa, exp)) if exp.starts_with('-') => format!("{mantissa}e{exp}"),
        Some((mantissa, exp)) => format!("{mantissa}e+{exp}"),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn command(node: NodeType, params: &[(&str, &str)], limits: &[(&str, &str)]) -> String {
        let mut p = map(params);
        apply_container_resources(&mut p, &map(limits), &BTreeMap::new());
        render(&p, node)
    }

    #[test]
    fn passes_shell_variables_and_refuses_other_non_numbers() {
        for ok in ["$RAY_NUM_CPUS", "${RAY_NUM_CPUS}", "$_N1", "4"] {
            assert_eq!(value_problem("num-cpus", ok), None, "{ok}");
        }
        for bad in ["$", "${}", "$1X", "${A", "$A B", "four", "$(nproc)"] {
            assert!(value_problem("num-cpus", bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn writes_custom_resources_as_go_writes_float64() {
        let mut p = Params::new();
        apply_group_resources(
            &mut p,
            &map(&[
                ("custom", "500m"),
                ("big", "2k"),
                ("tiny", "1n"),
                ("a<b", "1"),
            ]),
        );
        assert_eq!(
            p["resources"],
            r#"'{"a\u003cb":1,"big":2000,"custom":0.5,"tiny":1e-9}'"#
        );
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1.5e-7), "1.5e-7");
        assert_eq!(go_float(123_456.0), "123456");
        assert_eq!(go_float(0.000_001), "0.000001");
    }

    #[test]
    fn omits_memory_for_a_zero_limit() {
        let mut p = Params::new();
        apply_container_resources(
            &mut p,
            &map(&[("memory", "0"), ("cpu", "2")]),
            &BTreeMap::new(),
        );
        assert!(!p.contains_key("memory"));
        assert_eq!(p["num-cpus"], "2");
    }

    #[test]
    fn merges_a_fractional_accelerator_into_existing_resources() {
        let mut p = map(&[("resources", "'{\"custom\": 2.0}'")]);
        apply_container_resources(
            &mut p,
            &map(&[("google.com/tpu", "500m")]),
            &BTreeMap::new(),
        );
        assert_eq!(p["resources"], r#"'{"TPU":0.5,"custom":2}'"#);
    }

    #[test]
    fn resolves_the_operator_steps_in_their_order() {
        let limits = map(&[("cpu", "2"), ("memory", "1Gi")]);
        let resources = map(&[("cpu", "3"), ("custom", "1")]);
        let labels = map(&[("zone", "a")]);
        let sources = Sources {
            node: NodeType::Head,
            resources: Some(&resources),
            labels: Some(&labels),
            head_address: "demo-head-svc:6379",
            no_monitor: true,
            redis_username: false,
            redis_password: true,
            limits: &limits,
            requests: &BTreeMap::new(),
        };
        let params = resolve(map(&[("block", "false")]), &sources);
        // The group's cpu (step 1) wins over the container limit (step 6); memory comes from
        // the limit; block is always forced on (step 3).
        assert_eq!(
            render(&params, NodeType::Head),
            "ray start --head  --block  --dashboard-agent-listen-port=52365  --dashboard-host=0.0.0.0  --labels=zone=a  --memory=1073741824  --metrics-export-port=8080  --no-monitor  --num-cpus=3  --redis-password=$REDIS_PASSWORD  --resources='{\"custom\":1}' "
        );
        // Steps 4 and 5 are the head's alone.
        let worker = resolve(
            Params::new(),
            &Sources {
                node: NodeType::Worker,
                ..sources
            },
        );
        assert_eq!(worker["address"], "demo-head-svc:6379");
        assert!(!worker.contains_key("no-monitor") && !worker.contains_key("redis-password"));
    }

    #[test]
    fn renders_kuberay_generate_ray_start_command_table() {
        use NodeType::{Head, Worker};
        type Case<'a> = (
            NodeType,
            &'a [(&'a str, &'a str)],
            &'a [(&'a str, &'a str)],
            &'a str,
        );
        let cases: &[Case<'_>] = &[
            (
                Worker,
                &[],
                &[("nvidia.com/gpu", "1")],
                "ray start  --num-gpus=1 ",
            ),
            (
                Worker,
                &[],
                &[("nvidia.com/mig-2g.32gb", "1")],
                "ray start  --num-gpus=1 ",
            ),
            (
                Worker,
                &[],
                &[("google.com/tpu", "4")],
                "ray start  --resources='{\"TPU\":4}' ",
            ),
            (
                Head,
                &[],
                &[("aws.amazon.com/neuroncore", "4")],
                "ray start --head  --resources='{\"neuron_cores\":4}' ",
            ),
            (
                Head,
                &[],
                &[("aws.amazon.com/neuroncore", "4"), ("nvidia.com/gpu", "1")],
                "ray start --head  --num-gpus=1  --resources='{\"neuron_cores\":4}' ",
            ),
            (
                Head,
                &[],
                &[
                    ("google.com/tpu", "8"),
                    ("aws.amazon.com/neuroncore", "4"),
                    ("nvidia.com/gpu", "1"),
                ],
                "ray start --head  --num-gpus=1  --resources='{\"neuron_cores\":4}' ",
            ),
            (
                Head,
                &[("resources", "\"{\"custom_resource\":2}\"")],
                &[("aws.amazon.com/neuroncore", "4")],
                "ray start --head  --resources='{\"custom_resource\":2,\"neuron_cores\":4}' ",
            ),
            (
                Head,
                &[("resources", "'{\"custom_resource\":2,\"neuron_cores\":3}'")],
                &[("aws.amazon.com/neuroncore", "4")],
                "ray start --head  --resources='{\"custom_resource\":2,\"neuron_cores\":3}' ",
            ),
            (
                Head,
                &[("resources", "'{\"custom_resource\":2,\"TPU\":4}'")],
                &[("google.com/tpu", "8")],
                "ray start --head  --resources='{\"custom_resource\":2,\"TPU\":4}' ",
            ),
            (
                Head,
                &[("resources", "{")],
                &[("aws.amazon.com/neuroncore", "4")],
                "ray start --head  --resources={ ",
            ),
            (
                Head,
                &[("include-log-monitor", "false")],
                &[],
                "ray start --head  --include-log-monitor=false ",
            ),
            (
                Head,
                &[("include-log-monitor", "true")],
                &[],
                "ray start --head  --include-log-monitor=true ",
            ),
        ];
        for (node, params, limits, want) in cases {
            assert_eq!(
                &command(*node, params, limits),
                want,
                "{params:?} {limits:?}"
            );
        }
    }

    #[test]
    fn fills_missing_params_like_the_operator() {
        let mut head = Params::new();
        set_missing(&mut head, NodeType::Head, "unused:6379");
        apply_container_resources(
            &mut head,
            &map(&[("cpu", "1"), ("memory", "1Gi")]),
            &map(&[("cpu", "1"), ("memory", "1Gi")]),
        );
        assert_eq!(
            render(&head, NodeType::Head),
            "ray start --head  --block  --dashboard-agent-listen-port=52365  --dashboard-host=0.0.0.0  --memory=1073741824  --metrics-export-port=8080  --num-cpus=1 "
        );
        let mut worker = map(&[("port", "6379"), ("block", "false")]);
        set_missing(
            &mut worker,
            NodeType::Worker,
            "raycluster-sample-head-svc.default.svc.cluster.local:6379",
        );
        apply_container_resources(
            &mut worker,
            &map(&[("cpu", "1"), ("memory", "1Gi"), ("nvidia.com/gpu", "3")]),
            &BTreeMap::new(),
        );
        assert_eq!(
            render(&worker, NodeType::Worker),
            "ray start  --address=raycluster-sample-head-svc.default.svc.cluster.local:6379  --block  --dashboard-agent-listen-port=52365  --memory=1073741824  --metrics-export-port=8080  --num-cpus=1  --num-gpus=3  --port=6379 "
        );
    }

    #[test]
    fn falls_back_to_cpu_requests_but_not_memory_requests() {
        let mut p = Params::new();
        apply_container_resources(
            &mut p,
            &map(&[("memory", "1Gi")]),
            &map(&[("cpu", "2"), ("memory", "4Gi")]),
        );
        assert_eq!(p, map(&[("memory", "1073741824"), ("num-cpus", "2")]));
    }

    #[test]
    fn group_resources_override_params() {
        let mut p = Params::new();
        apply_group_resources(&mut p, &map(&[("cpu", "2"), ("memory", "4Gi")]));
        assert_eq!(p, map(&[("memory", "4294967296"), ("num-cpus", "2")]));
        let mut p = Params::new();
        apply_group_resources(&mut p, &map(&[("CPU", "2"), ("GPU", "4")]));
        assert_eq!(p, map(&[("num-cpus", "2"), ("num-gpus", "4")]));
        let mut p = Params::new();
        apply_group_resources(&mut p, &map(&[("nvidia.com/gpu", "1"), ("TPU", "4")]));
        assert_eq!(p, map(&[("num-gpus", "1"), ("resources", "'{\"TPU\":4}'")]));
        let mut p = map(&[
            ("num-cpus", "1"),
            ("memory", "1000"),
            ("resources", "'{\"Custom-Resource\": 10}'"),
        ]);
        apply_group_resources(&mut p, &map(&[("cpu", "4"), ("Custom-Resource", "5")]));
        assert_eq!(
            p,
            map(&[
                ("memory", "1000"),
                ("num-cpus", "4"),
                ("resources", "'{\"Custom-Resource\":5}'")
            ])
        );
    }

    #[test]
    fn group_labels_become_a_sorted_list() {
        let mut p = map(&[("labels", "old=1")]);
        apply_group_labels(
            &mut p,
            &map(&[
                ("topology.kubernetes.io/zone", "us-central2"),
                ("ray.io/node-group", "worker-group-1"),
                ("cloud.google.com/gke-spot", "true"),
            ]),
        );
        assert_eq!(
            p["labels"],
            "cloud.google.com/gke-spot=true,ray.io/node-group=worker-group-1,topology.kubernetes.io/zone=us-central2"
        );
    }

    #[test]
    fn known_flags_are_sorted_for_lookup() {
        assert!(KNOWN_FLAGS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(flag_kind("num-cpus"), Some(FlagKind::Integer));
        assert_eq!(flag_kind("num-cpu"), None);
    }

    #[test]
    fn flags_ray_start_would_reject() {
        assert!(value_problem("num-cpus", "two").is_some());
        assert!(value_problem("num-cpus", "2").is_none());
        assert!(value_problem("memory", "4Gi").is_some());
        assert!(value_problem("port", "http").is_some());
        assert!(value_problem("resources", "{").is_some());
        assert!(value_problem("resources", "'{\"A\": 1}'").is_none());
        assert!(value_problem("resources", "\"{\\\"A\\\": 1}\"").is_none());
        assert!(value_problem("block", "maybe").is_some());
        assert!(value_problem("dashboard-host", "0.0.0.0").is_none());
    }
}
