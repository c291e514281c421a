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
use std::collections::BTreeMap;
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
    /// The input it came from.
    pub(super) file: Arc<str>,
    /// The RayCluster's name, or the document's own, in that input.
    pub(super) span: Option<Span>,
    /// The RayCluster it was generated from, or none when it was passed through.
    pub(super) cluster: Option<Arc<str>>,
}

impl Placed {
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

/// An error at each place of every identity that occurs more than once, in the order placed.
pub(super) fn collisions(placed: &[Placed]) -> Vec<Diagnostic> {
    // Keyed by a fingerprint first: most comparisons end on it, not on the long strings
    // identities share (group, kind, namespace, a name's prefix).
    let mut first: BTreeMap<(u64, &Key), usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, p) in placed.iter().enumerate() {
        let entry = (p.key.fingerprint(), &p.key);
        let Some(&j) = first.get(&entry) else {
            first.insert(entry, i);
            continue;
        };
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
