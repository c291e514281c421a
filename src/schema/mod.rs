//! The schema stage: the strict JSON Schema of a `RayCluster`, and the check of one document
//! against it.
//!
//! Takes one `RayCluster` document as an untyped `serde_json::Value` whose null map values the
//! parser has already pruned. Returns every schema violation as a [`Finding`] located by JSON
//! Pointer, sorted and deduplicated; an empty list means the tree has exactly the shape the
//! Kubernetes API server accepts for a `RayCluster`, so reading it into
//! [`crate::model::RayCluster`] cannot fail on shape and cannot silently drop a misspelled key.
//!
//! The runtime path is `check.rs`: [`check()`] compiles the embedded copy of the schema once per
//! process and maps every violation to a finding with a message and a fix. The schema itself
//! is generated from the Rust model by `generate.rs` (schemars, with the full Kubernetes
//! `PodTemplateSpec` from k8s-openapi), then tightened the way the API server reads it: every
//! object with known properties is closed, `int32`/`int64` fields get their bounds,
//! `IntOrString` and `Quantity` get real types (and the quantity grammar), Option nullability
//! is removed (nulls never reach validation) and `metadata.name` is required. The result is
//! checked in as `schemas/raycluster.schema.json`; generation runs only in the unit tests,
//! which fail when that file is stale (`UPDATE_SCHEMA=1 cargo test --lib schema::` rewrites
//! it), so the binary carries the schema but not its generator.
//!
//! This stage never reads files or the environment, never stops at the first violation, and
//! never reports a pointer that is not in the input (a missing field is reported at its
//! parent object).

mod check;
#[cfg(test)]
mod generate;

pub use check::{check, known_fields};

#[cfg(doc)]
use crate::diagnostic::Finding;

/// The `$id` of the `RayCluster` schema.
pub const SCHEMA_ID: &str = "https://raycc.dev/schemas/raycluster.schema.json";

/// The checked-in schema, as generated from the model and pretty-printed.
pub const SCHEMA_JSON: &str = include_str!("../../schemas/raycluster.schema.json");

/// The Kubernetes quantity grammar (`resource.Quantity`), as a regular expression.
pub const QUANTITY_PATTERN: &str =
    r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?$";
