//! Generating the strict `RayCluster` JSON Schema from the Rust model.
//!
//! Takes nothing: [`generate`] derives the schema (draft 2020-12) from [`RayCluster`] with
//! schemars, then tightens it the way the API server reads manifests. Returns it as a
//! `serde_json::Value`, deterministic (sorted keys, no time or version). It runs only in the
//! unit tests, which compare it with the checked-in `schemas/raycluster.schema.json` that
//! [`super::check`] uses, and rewrite that file under `UPDATE_SCHEMA=1`. Never adds a
//! constraint the API server does not apply, and never leaves an object open that the API
//! server closes.

use serde_json::{Map, Value, json};

use super::{QUANTITY_PATTERN, SCHEMA_ID};
use crate::model::RayCluster;

/// The `$defs` key schemars gives k8s-openapi's `Quantity`.
const QUANTITY_DEF: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
/// The `$defs` key schemars gives k8s-openapi's `IntOrString`.
const INT_OR_STRING_DEF: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

/// Generates the strict `RayCluster` JSON Schema (draft 2020-12) from [`RayCluster`].
///
/// The output is deterministic: object keys are sorted and nothing depends on the time or the
/// version of raycc.
#[must_use]
pub fn generate() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<RayCluster>().to_value();
    tighten(&mut schema);
    if let Value::Object(root) = &mut schema {
        if let Some(Value::Object(defs)) = root.get_mut("$defs") {
            type_int_or_string(defs);
        }
        require_metadata_name(root);
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("$id".into(), json!(SCHEMA_ID));
        root.insert("title".into(), json!("RayCluster"));
    }
    schema
}

/// Applies the per-node rewrites to `schema` and every subschema below it, innermost first.
fn tighten(schema: &mut Value) {
    let Value::Object(node) = schema else {
        return;
    };
    for key in ["properties", "patternProperties", "$defs"] {
        if let Some(Value::Object(map)) = node.get_mut(key) {
            map.values_mut().for_each(tighten);
        }
    }
    for key in [
        "additionalProperties",
        "items",
        "not",
        "contains",
        "if",
        "then",
        "else",
    ] {
        if let Some(sub) = node.get_mut(key) {
            tighten(sub);
        }
    }
    for key in ["anyOf", "oneOf", "allOf", "prefixItems"] {
        if let Some(Value::Array(list)) = node.get_mut(key) {
            list.iter_mut().for_each(tighten);
        }
    }
    drop_null(node);
    enum_from_consts(node);
    bound_integer(node);
    close_object(node);
}

/// Removes `null` from `type` lists and `{type: null}` branches from `anyOf`/`oneOf`; a
/// combinator left with one branch is folded into the node (the node's own keys win, so a
/// field keeps its description).
fn drop_null(node: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = node.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            node.insert("type".into(), only);
        }
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = node.get_mut(key) else {
            continue;
        };
        branches.retain(|b| b.get("type") != Some(&json!("null")));
        if branches.len() != 1 || !branches[0].is_object() {
            continue;
        }
        if let Some(Value::Array(mut branches)) = node.remove(key)
            && let Some(Value::Object(only)) = branches.pop()
        {
            for (k, v) in only {
                node.entry(k).or_insert(v);
            }
        }
    }
}

/// Turns schemars' `oneOf` of documented string constants (a Rust unit enum with doc
/// comments) into a plain `enum`, keeping the variant docs in the description.
fn enum_from_consts(node: &mut Map<String, Value>) {
    let Some(Value::Array(branches)) = node.get("oneOf") else {
        return;
    };
    let mut values = Vec::new();
    let mut notes = Vec::new();
    for branch in branches {
        let Some(Value::String(value)) = branch.get("const") else {
            return;
        };
        if let Some(doc) = branch.get("description").and_then(Value::as_str) {
            notes.push(format!("- `{value}`: {doc}"));
        }
        values.push(json!(value));
    }
    node.remove("oneOf");
    node.insert("type".into(), json!("string"));
    node.insert("enum".into(), Value::Array(values));
    if !notes.is_empty() {
        let head = node
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let text = if head.is_empty() {
            notes.join("\n")
        } else {
            format!("{head}\n\n{}", notes.join("\n"))
        };
        node.insert("description".into(), json!(text));
    }
}

/// Gives `format: int32` and `format: int64` integers their range, which JSON Schema does
/// not derive from the format.
fn bound_integer(node: &mut Map<String, Value>) {
    let (min, max) = match node.get("format").and_then(Value::as_str) {
        Some("int32") => (i64::from(i32::MIN), i64::from(i32::MAX)),
        Some("int64") => (i64::MIN, i64::MAX),
        _ => return,
    };
    if !has_type(node, "integer") {
        return;
    }
    node.entry("minimum").or_insert(json!(min));
    node.entry("maximum").or_insert(json!(max));
}

/// Closes an object with known properties, as the API server's field validation does,
/// unless it explicitly keeps unknown fields.
fn close_object(node: &mut Map<String, Value>) {
    let preserves = node.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if node.contains_key("properties") && !preserves {
        node.entry("additionalProperties")
            .or_insert(Value::Bool(false));
    }
}

fn has_type(node: &Map<String, Value>, name: &str) -> bool {
    match node.get("type") {
        Some(Value::String(t)) => t == name,
        Some(Value::Array(ts)) => ts.iter().any(|t| t == name),
        _ => false,
    }
}

/// k8s-openapi marks `IntOrString` and `Quantity` only with `x-kubernetes-int-or-string`,
/// which JSON Schema ignores. An `IntOrString` is an int32 or a string; a `Quantity` is a
/// number or a string in the quantity grammar. Type lists (rather than `anyOf`) keep the
/// error for a wrong value to one line: `minimum`/`maximum` only apply to numbers and
/// `pattern` only to strings.
fn type_int_or_string(defs: &mut Map<String, Value>) {
    if let Some(Value::Object(def)) = defs.get_mut(INT_OR_STRING_DEF) {
        def.insert("type".into(), json!(["integer", "string"]));
        def.insert("minimum".into(), json!(i32::MIN));
        def.insert("maximum".into(), json!(i32::MAX));
    }
    if let Some(Value::Object(def)) = defs.get_mut(QUANTITY_DEF) {
        def.insert("type".into(), json!(["number", "string"]));
        def.insert("pattern".into(), json!(QUANTITY_PATTERN));
    }
}

/// Requires `metadata.name` on the `RayCluster` only. `ObjectMeta` is shared with the Pod
/// templates (where the name is optional), so the requirement sits on the `RayCluster`'s
/// `metadata` property: next to its inline properties, or next to its `$ref`.
fn require_metadata_name(root: &mut Map<String, Value>) {
    let Some(Value::Object(metadata)) = root
        .get_mut("properties")
        .and_then(|p| p.get_mut("metadata"))
    else {
        return;
    };
    let required = metadata.entry("required").or_insert_with(|| json!([]));
    if let Value::Array(names) = required
        && !names.iter().any(|n| n == "name")
    {
        names.push(json!("name"));
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::schema::SCHEMA_JSON;

    fn render(schema: &Value) -> String {
        let mut text = serde_json::to_string_pretty(schema).unwrap();
        text.push('\n');
        text
    }

    #[test]
    fn schema_file_is_not_stale() {
        let fresh = render(&generate());
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/raycluster.schema.json");
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        assert!(
            fresh == SCHEMA_JSON,
            "schemas/raycluster.schema.json is stale; run `UPDATE_SCHEMA=1 cargo test --lib schema::`"
        );
    }

    #[test]
    fn generated_schema_has_no_nulls_open_objects_or_untyped_int_or_strings() {
        fn walk(node: &Value, path: &str) {
            match node {
                Value::Object(map) => {
                    assert_ne!(map.get("type"), Some(&json!("null")), "{path}");
                    if let Some(Value::Array(types)) = map.get("type") {
                        assert!(!types.contains(&json!("null")), "{path}");
                    }
                    if map.contains_key("properties")
                        && map.get("x-kubernetes-preserve-unknown-fields").is_none()
                    {
                        assert!(map.contains_key("additionalProperties"), "{path}");
                    }
                    if map.contains_key("x-kubernetes-int-or-string") {
                        assert!(map.contains_key("type"), "{path}");
                    }
                    assert!(
                        !map.contains_key("anyOf") && !map.contains_key("oneOf"),
                        "{path}"
                    );
                    for (k, v) in map {
                        walk(v, &format!("{path}/{k}"));
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        walk(v, &format!("{path}/{i}"));
                    }
                }
                _ => {}
            }
        }
        let schema = generate();
        walk(&schema, "");
        assert_eq!(schema["$id"], json!(SCHEMA_ID));
        assert_eq!(
            schema["properties"]["status"]["x-kubernetes-preserve-unknown-fields"],
            true
        );
        assert!(
            schema["properties"]["status"]
                .get("additionalProperties")
                .is_none()
        );
    }
}
