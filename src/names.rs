//! Kubernetes name and label rules, and the deterministic shortening of generated names.
//!
//! The messages follow Kubernetes' apimachinery validation messages so that users recognise
//! them. Shortening uses a fixed 64-bit FNV-1a hash, so the same long name becomes the same
//! short name on every machine and in every release.

/// Longest StatefulSet name: the `controller-revision-hash` label value is the name plus an
/// 11-character suffix and must fit 63 characters.
pub const MAX_STATEFULSET_NAME: usize = 52;
/// Longest DNS-1035 label (Service names).
pub const MAX_LABEL: usize = 63;
/// KubeRay's limit on RayCluster names (`63 - len("-serve-svc")`).
pub const MAX_CLUSTER_NAME: usize = 53;

const DNS1035_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/// Checks a DNS-1035 label; returns Kubernetes' messages for each problem.
#[must_use]
pub fn dns1035_label_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > MAX_LABEL {
        errs.push(format!("must be no more than {MAX_LABEL} characters"));
    }
    let b = s.as_bytes();
    let ok = !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
    if !ok {
        errs.push(DNS1035_MSG.to_string());
    }
    errs
}

/// True for a DNS-1123 label: lower case alphanumerics and '-', alphanumeric at both ends.
#[must_use]
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LABEL
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// Checks a DNS-1123 label (namespaces, container, volume and port-less names); Kubernetes'
/// message, or `None` when valid.
#[must_use]
pub fn dns1123_label_error(s: &str) -> Option<String> {
    if s.len() > MAX_LABEL {
        return Some(format!("must be no more than {MAX_LABEL} characters"));
    }
    (!is_dns1123_label(s)).then(|| DNS1123_LABEL_MSG.to_string())
}

/// Checks a DNS-1123 subdomain (the names of Secrets, ConfigMaps, service accounts, claims);
/// Kubernetes' message, or `None` when valid.
#[must_use]
pub fn dns1123_subdomain_error(s: &str) -> Option<String> {
    if s.len() > 253 {
        return Some("must be no more than 253 characters".to_string());
    }
    let ok = !s.is_empty()
        && s.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        });
    (!ok).then(|| DNS1123_SUBDOMAIN_MSG.to_string())
}

/// Checks a port name (an IANA service name); Kubernetes' message, or `None` when valid.
#[must_use]
pub fn port_name_error(s: &str) -> Option<String> {
    if s.len() > 15 {
        return Some("must be no more than 15 characters".to_string());
    }
    if !s
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return Some(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string(),
        );
    }
    if s.contains("--") {
        return Some("must not contain consecutive hyphens".to_string());
    }
    if !s.bytes().any(|c| c.is_ascii_lowercase()) {
        return Some("must contain at least one letter (a-z)".to_string());
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Some("must not begin or end with a hyphen".to_string());
    }
    None
}

/// Checks a ConfigMap or Secret key; Kubernetes' message, or `None` when valid.
#[must_use]
pub fn config_key_error(s: &str) -> Option<String> {
    if s.len() > 253 {
        return Some("must be no more than 253 characters".to_string());
    }
    let ok = !s.is_empty()
        && s != "."
        && s != ".."
        && !s.starts_with("..")
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    (!ok).then(|| "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')".to_string())
}

/// Checks a label value; `None` when valid.
#[must_use]
pub fn label_value_error(v: &str) -> Option<String> {
    if v.is_empty() {
        return None;
    }
    if v.len() > MAX_LABEL {
        return Some(format!("must be no more than {MAX_LABEL} characters"));
    }
    if is_label_name(v) {
        None
    } else {
        Some("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".to_string())
    }
}

/// Checks a label key (a qualified name, optionally with a DNS-1123 subdomain prefix);
/// `None` when valid.
#[must_use]
pub fn label_key_error(k: &str) -> Option<String> {
    let (prefix, name) = match k.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix {
        let valid_prefix = !p.is_empty() && p.len() <= 253 && p.split('.').all(is_dns1123_label);
        if !valid_prefix {
            return Some("prefix part must be a lowercase RFC 1123 subdomain".to_string());
        }
    }
    if name.is_empty() || name.len() > MAX_LABEL || !is_label_name(name) {
        return Some("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters".to_string());
    }
    None
}

fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// KubeRay's `CheckLabel`: keep the last 63 characters; a leading punctuation character
/// becomes `r`. Mirrors `CheckLabel` (ray-operator/controllers/ray/utils/util.go, v1.7.0).
#[must_use]
pub fn check_label(s: &str) -> String {
    let mut out = tail(s, MAX_LABEL).to_string();
    if out.starts_with(|c: char| c.is_ascii_punctuation()) {
        out.replace_range(0..1, "r");
    }
    out
}

/// KubeRay's `CheckName`: keep the last 50 characters; a leading digit or punctuation
/// character becomes `r`. Mirrors `CheckName` (utils/util.go, v1.7.0).
#[must_use]
pub fn check_name(s: &str) -> String {
    let mut out = tail(s, 50).to_string();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.replace_range(0..1, "r");
    }
    if out.starts_with(|c: char| c.is_ascii_punctuation()) {
        out.replace_range(0..1, "r");
    }
    out
}

/// The last `n` bytes of `s`, moved forward to a character boundary (names are ASCII once
/// validated; this keeps rules that run on invalid names from panicking).
fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Fits `name` into `limit` characters: unchanged when it fits, otherwise a prefix, `-`, and
/// eight hex digits of the FNV-1a hash of the whole name. Returns the name and whether it
/// was shortened. `name` must be ASCII (generated names are validated DNS labels).
#[must_use]
pub fn fit(name: &str, limit: usize) -> (String, bool) {
    if name.len() <= limit {
        return (name.to_string(), false);
    }
    let hash = format!("{:08x}", fnv1a(name.as_bytes()) & 0xffff_ffff);
    let keep = limit.saturating_sub(hash.len() + 1);
    let prefix = name.get(..keep).unwrap_or(name).trim_end_matches('-');
    (format!("{prefix}-{hash}"), true)
}

/// 64-bit FNV-1a; also the fingerprint hash of [`crate::report`].
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_names_by_the_kubernetes_rule_of_their_field() {
        assert_eq!(dns1123_label_error("ml-team"), None);
        assert!(dns1123_label_error("<your-namespace>").is_some());
        assert!(dns1123_label_error(&"a".repeat(64)).is_some());
        assert_eq!(dns1123_subdomain_error("ray.secrets-1"), None);
        for bad in ["", "Ray", "a..b", "-a", "a_b"] {
            assert!(dns1123_subdomain_error(bad).is_some(), "{bad}");
        }
        assert_eq!(port_name_error("gcs-server"), None);
        for (bad, why) in [
            ("dashboard-http-port", "must be no more than 15 characters"),
            ("8080", "must contain at least one letter (a-z)"),
            ("a--b", "must not contain consecutive hyphens"),
            ("-ab", "must not begin or end with a hyphen"),
            (
                "Http",
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            ),
        ] {
            assert_eq!(port_name_error(bad).as_deref(), Some(why), "{bad}");
        }
        assert_eq!(config_key_error("auth_token.v1"), None);
        for bad in ["", ".", "..", "..x", "auth token"] {
            assert!(config_key_error(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn dns1035_accepts_kubernetes_examples() {
        assert!(dns1035_label_errors("my-name").is_empty());
        assert!(dns1035_label_errors("abc-123").is_empty());
        assert_eq!(dns1035_label_errors("123-abc").len(), 1);
        assert_eq!(dns1035_label_errors("Ray_Cluster").len(), 1);
        assert_eq!(dns1035_label_errors("").len(), 1);
    }

    #[test]
    fn check_name_matches_kuberay_tests() {
        assert_eq!(
            check_name("72fbcc7e-a661-4b18e-ca41-e903-fc3ae634b18e-lazer090scholar-director-s"),
            "rca41-e903-fc3ae634b18e-lazer090scholar-director-s"
        );
        assert_eq!(
            check_name("--------566666--------444433-----------222222----------4444"),
            "r6666--------444433-----------222222----------4444"
        );
    }

    #[test]
    fn check_label_keeps_the_tail() {
        let long = format!("-{}", "a".repeat(70));
        let out = check_label(&long);
        assert_eq!(out.len(), 63);
        assert_eq!(check_label("-x"), "rx");
    }

    #[test]
    fn checks_never_split_a_character() {
        let name = format!("é{}", "a".repeat(60));
        assert_eq!(check_name(&name).len(), 50);
        assert!(check_label(&"é".repeat(40)).chars().all(|c| c == 'é'));
    }

    #[test]
    fn fit_shortens_deterministically() {
        let long = "a-really-long-cluster-name-for-training-jobs-gpu-workers-worker";
        let (a, shortened) = fit(long, MAX_STATEFULSET_NAME);
        assert!(shortened);
        assert_eq!(a.len(), MAX_STATEFULSET_NAME);
        assert_eq!(fit(long, MAX_STATEFULSET_NAME).0, a);
        assert!(is_dns1123_label(&a));
        assert_eq!(fit("short", 52), ("short".to_string(), false));
    }

    #[test]
    fn fit_never_leaves_a_dash_before_the_hash() {
        let name = format!("{}-{}", "a".repeat(42), "b".repeat(20));
        let (out, _) = fit(&name, 52);
        assert!(!out.contains("--"), "{out}");
    }

    #[test]
    fn label_keys_and_values_follow_kubernetes() {
        assert_eq!(label_key_error("ray.io/node-group"), None);
        assert_eq!(label_key_error("cloud.google.com/gke-spot"), None);
        assert!(label_key_error("bad key!").is_some());
        assert!(label_key_error("UPPER.io/x").is_some());
        assert_eq!(label_value_error("us-central2"), None);
        assert_eq!(label_value_error(""), None);
        assert!(label_value_error("-x").is_some());
    }
}
