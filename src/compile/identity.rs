//! Object identities across a run. The API server knows an object by its API group, kind,
//! namespace and name; two documents of one output with the same identity are one object
//! applied twice, so the second apply fails or silently replaces the first. Every output
//! document of a run (generated from a RayCluster, or passed through from the input) is placed
//! at its source, and every identity that occurs twice is an error at both places: error RC318.
//!
//! Only identities known from the input are compared: a document without a namespace counts as
//! one in the namespace it will be applied to, which raycc cannot know, so it meets only other
//! documents without one.

use std::borrow::Cow;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use serde_json::Value;

use crate::build::Identity;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};

/// An object's identity in the API server. A large run holds one per output object until its
/// end: what generated objects share (their group and kind, their cluster's namespace) is
/// shared, not copied.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Key {
    group: Cow<'static, str>,
    kind: Cow<'static, str>,
    namespace: Option<Arc<str>>,
    name: String,
}

impl Key {
    /// The identity of a document as written; none when it names no object.
    pub(super) fn of_value(v: &Value) -> Option<Key> {
        let api_version = v.get("apiVersion")?.as_str()?;
        let kind = v.get("kind")?.as_str()?;
        let meta = v.get("metadata")?;
        let name = meta.get("name")?.as_str().filter(|n| !n.is_empty())?;
        let namespace = meta
            .get("namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        Some(Key {
            group: Cow::Owned(group(api_version).to_string()),
            kind: Cow::Owned(kind.to_string()),
            namespace: namespace.map(Arc::from),
            name: name.to_string(),
        })
    }

    /// The identity of a generated object.
    pub(super) fn of_generated(id: &Identity, namespace: Option<&Arc<str>>) -> Key {
        Key {
            group: Cow::Borrowed(group(id.api_version)),
            kind: Cow::Borrowed(id.kind),
            namespace: namespace.cloned(),
            name: id.name.clone(),
        }
    }

    /// A hash of the identity, the same in every run.
    fn fingerprint(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }

    /// `Kind namespace/name`, as kubectl names objects.
    fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// The API group of an `apiVersion`: empty for the core group (`v1`).
fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// One output document at its source.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Placed {
    /// Its identity.
    pub(super) key: Key,
    /// [`Key::fingerprint`] of `key`, worked out where the document is compiled.
    fingerprint: u64,
    /// The input it came from.
    pub(super) file: Arc<str>,
    /// The RayCluster's name, or the document's own, in that input.
    pub(super) span: Option<Span>,
    /// The RayCluster it was generated from, or none when it was passed through.
    pub(super) cluster: Option<Arc<str>>,
}

impl Placed {
    pub(super) fn new(
        key: Key,
        file: Arc<str>,
        span: Option<Span>,
        cluster: Option<Arc<str>>,
    ) -> Placed {
        Placed {
            fingerprint: key.fingerprint(),
            key,
            file,
            span,
            cluster,
        }
    }

    fn source(&self) -> String {
        let place = match self.span {
            Some(s) => format!("{}:{}:{}", self.file, s.line, s.column),
            None => self.file.to_string(),
        };
        match &self.cluster {
            Some(c) => format!("generated from RayCluster {c} ({place})"),
            None => format!("written in the input ({place})"),
        }
    }
}

/// Every place whose identity was placed before, with the first place of that identity, in
/// the order placed. The places are sorted by fingerprint, so that only the few that share one
/// (nearly always the same identity) have their keys compared: a run of a hundred thousand
/// objects compares numbers, not the long strings identities share (group, kind, namespace, a
/// name's prefix).
fn repeats(placed: &[Placed]) -> Vec<(usize, usize)> {
    let mut order: Vec<(u64, usize)> = placed
        .iter()
        .enumerate()
        .map(|(i, p)| (p.fingerprint, i))
        .collect();
    order.sort_unstable();
    let mut found = Vec::new();
    for run in order
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
    {
        for (at, &(_, i)) in run.iter().enumerate() {
            // The run is in placing order: the first equal key before is the identity's first.
            if let Some(&(_, j)) = run[..at]
                .iter()
                .find(|(_, j)| placed[*j].key == placed[i].key)
            {
                found.push((i, j));
            }
        }
    }
    found.sort_unstable();
    found
}

/// An error at each place of every identity that occurs more than once, in the order placed.
pub(super) fn collisions(placed: &[Placed]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, j) in repeats(placed) {
        let p = &placed[i];
        let earlier = &placed[j];
        let what = p.key.describe();
        let help = match (&earlier.cluster, &p.cluster) {
            (Some(_), Some(_)) => "give the RayClusters different names or namespaces",
            (None, None) => "keep one of the copies",
            _ => "remove the written object: raycc generates it from the RayCluster",
        };
        for (at, other, again) in [(p, earlier, false), (earlier, p, true)] {
            let message = if again {
                format!(
                    "{what} is in the output twice: it is also {}",
                    other.source()
                )
            } else {
                format!(
                    "{what} is already in the output, {}: the second apply would replace it",
                    other.source()
                )
            };
            out.push(Diagnostic {
                code: Code::DuplicateObject,
                severity: Code::DuplicateObject.severity(),
                message,
                file: at.file.to_string(),
                span: at.span,
                path: if at.cluster.is_some() {
                    "metadata.name".into()
                } else {
                    String::new()
                },
                help: Some(help.to_string()),
                related: (at.file == other.file)
                    .then_some(other.span)
                    .flatten()
                    .map(|s| (s, "the other one comes from here".to_string())),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn key(kind: &'static str, namespace: Option<&str>, name: &str) -> Key {
        Key {
            group: Cow::Borrowed(""),
            kind: Cow::Borrowed(kind),
            namespace: namespace.map(Arc::from),
            name: name.to_string(),
        }
    }

    /// Every repeat and its first place, found by comparing keys alone.
    fn repeats_by_key(placed: &[Placed]) -> Vec<(usize, usize)> {
        let mut first: BTreeMap<&Key, usize> = BTreeMap::new();
        let mut found = Vec::new();
        for (i, p) in placed.iter().enumerate() {
            match first.get(&p.key) {
                Some(&j) => found.push((i, j)),
                None => {
                    first.insert(&p.key, i);
                }
            }
        }
        found
    }

    proptest::proptest! {
        #[test]
        fn finds_the_repeats_comparing_keys_finds(
            picks in proptest::collection::vec((0..6_usize, 0..3_usize), 0..40),
            buckets in proptest::option::of(1..4_u64),
        ) {
            let kinds = ["Service", "StatefulSet"];
            let placed: Vec<Placed> = picks
                .iter()
                .map(|&(name, namespace)| {
                    let key = key(
                        kinds[name % 2],
                        ["a", "b"].get(namespace).copied(),
                        &format!("n{}", name / 2),
                    );
                    let mut p = Placed::new(key, Arc::from("f.yaml"), None, None);
                    // Fewer fingerprints than keys: different keys share one.
                    if let Some(buckets) = buckets {
                        p.fingerprint = (name * 3 + namespace) as u64 % buckets;
                    }
                    p
                })
                .collect();
            proptest::prop_assert_eq!(repeats(&placed), repeats_by_key(&placed));
        }
    }

    #[test]
    fn keys_with_one_fingerprint_are_told_apart() {
        let mut placed: Vec<Placed> = ["x", "y", "x", "z", "y", "x"]
            .iter()
            .map(|name| Placed::new(key("Service", Some("a"), name), Arc::from("f"), None, None))
            .collect();
        for p in &mut placed {
            p.fingerprint = 7;
        }
        assert_eq!(repeats(&placed), [(2, 0), (4, 1), (5, 0)]);
        assert_eq!(repeats(&placed), repeats_by_key(&placed));
        assert_eq!(collisions(&placed).len(), 6);
    }
}
