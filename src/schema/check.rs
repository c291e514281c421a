//! Checking a document against the embedded `RayCluster` schema: the runtime path of the
//! schema stage.
//!
//! Takes one document as a `serde_json::Value`; returns every violation as a [`Finding`]
//! located by JSON Pointer, sorted and deduplicated, with a message in the user's terms (the
//! value found, the allowed values, the known field names and the closest one) and a fix.
//!
//! Two validators of the same schema do this. One is generated from [`SCHEMA_JSON`] when raycc
//! is built and only says whether a document is valid: it needs nothing at run time, so a
//! valid document costs no more than reading it. The other, jsonschema's run-time validator,
//! is compiled once per process, offline, when a document is invalid, and reports every
//! violation. The unit tests check that both accept and reject the same documents. Never
//! reads files, never stops at the first violation, and never reports a pointer that is not
//! in the input.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{
    Draft, JsonType, PatternOptions, Registry, RegistryBuilder, ValidationError, Validator,
};
use serde_json::{Value, json};

use super::{QUANTITY_PATTERN, SCHEMA_JSON};
use crate::codes::Code;
use crate::diagnostic::{Finding, child};
use crate::suggest::suggest;

/// How many known field names an unknown-field help lists before it stops.
const MAX_LISTED_FIELDS: usize = 16;
/// How many characters of an offending value a message shows.
const MAX_SHOWN_CHARS: usize = 40;
/// How many `$ref` hops or nested combinators the schema walker follows.
const MAX_WALK_DEPTH: usize = 16;

/// Checks one `RayCluster` document against the embedded schema and returns every violation,
/// sorted by pointer and code, without duplicates.
///
/// # Panics
///
/// Panics on first use if the embedded schema does not compile, which is a bug in raycc that
/// the unit tests of this module rule out.
#[must_use]
pub fn check(document: &Value) -> Vec<Finding> {
    if Generated::is_valid(document) {
        return Vec::new();
    }
    let compiled = compiled();
    findings(&compiled.validator, &compiled.schema, document)
}

/// The validator of the embedded schema, generated from `schemas/raycluster.schema.json` when
/// raycc is built, with the options of [`compile`]. It answers whether a document is valid
/// without reading, compiling or checking any schema at run time. Its errors are not used:
/// it reports fewer than the run-time validator where one keyword's failure implies another's
/// (a `type` and an `enum` of the same value), and findings name every violation.
#[jsonschema::validator(
    path = "schemas/raycluster.schema.json",
    validate_formats = true,
    pattern_options = { engine = regex },
    methods = { is_valid = true, validate = false, iter_errors = false }
)]
struct Generated;

/// Runs `validator` (compiled from `schema`) on `document` and maps every error.
fn findings(validator: &Validator, schema: &Value, document: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    for error in validator.iter_errors(document) {
        report(&error, schema, &mut findings);
    }
    findings.sort_by(|a, b| {
        pointer_order(&a.pointer, &b.pointer)
            .then(a.code.cmp(&b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
    findings.dedup_by(|a, b| a.pointer == b.pointer && a.code == b.code && a.message == b.message);
    findings
}

/// The field names the schema allows in the object at `pointer` (a JSON Pointer into a
/// `RayCluster` document), sorted. Empty when the pointer leads nowhere known or to a map.
///
/// # Panics
///
/// Like [`check`], when the embedded schema is broken.
#[must_use]
pub fn known_fields(pointer: &str) -> Vec<String> {
    let schema = &compiled().schema;
    fields_at(schema, pointer)
}

struct Compiled {
    schema: Value,
    validator: Validator,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| match compile() {
    Ok(compiled) => compiled,
    Err(message) => panic!("the embedded RayCluster schema is broken: {message}"),
});

fn compiled() -> &'static Compiled {
    &COMPILED
}

/// Builds the validator. jsonschema checks the schema it builds from against its meta-schema,
/// on every build and with no public switch to skip it: for the embedded schema that check
/// cost as much as the build itself, and it can only ever give the same answer, which the
/// unit test `embedded_schema_is_valid_against_its_meta_schema` gives once. So the validator
/// is built from a root that only refers to the embedded schema by its `$id` (the meta-schema
/// check then reads that one line), and the schema itself is handed over in a registry.
/// Validation is the same: the root applies the whole schema to the whole document, and
/// findings are located by instance paths, which the extra `$ref` does not change.
fn compile() -> Result<Compiled, String> {
    let schema: Value = serde_json::from_str(SCHEMA_JSON).map_err(|e| e.to_string())?;
    let id = schema
        .get("$id")
        .and_then(Value::as_str)
        .ok_or("the schema has no `$id`")?;
    let registry = Registry::new()
        .add(id, &schema)
        .and_then(RegistryBuilder::prepare)
        .map_err(|e| e.to_string())?;
    let root = json!({ "$schema": schema["$schema"], "$ref": id });
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_pattern_options(PatternOptions::regex())
        .should_validate_formats(true)
        .offline()
        .with_registry(&registry)
        .build(&root)
        .map_err(|e| e.to_string())?;
    drop(registry);
    Ok(Compiled { schema, validator })
}

/// Maps one validation error to findings.
fn report(error: &ValidationError<'_>, schema: &Value, out: &mut Vec<Finding>) {
    let pointer = error.instance_path().as_str();
    let instance: &Value = error.instance();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let known = fields_at(schema, pointer);
            for name in unexpected {
                out.push(unknown_field(pointer, name, &known));
            }
        }
        ValidationErrorKind::Type { kind } => {
            let expected: Vec<JsonType> = match kind {
                TypeKind::Single(t) => vec![*t],
                TypeKind::Multiple(set) => set.iter().collect(),
            };
            out.push(wrong_type(pointer, &expected, instance));
        }
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_owned);
            out.push(Finding::new(
                Code::MissingField,
                pointer,
                format!("missing required field `{name}`"),
            ));
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<&Value> = options
                .as_array()
                .map_or_else(|| vec![options.as_ref()], |a| a.iter().collect());
            out.push(invalid_value(pointer, instance, &allowed));
        }
        ValidationErrorKind::Constant { expected_value } => {
            out.push(invalid_value(pointer, instance, &[expected_value.as_ref()]));
        }
        ValidationErrorKind::Minimum { limit } => {
            out.push(out_of_range(
                pointer,
                instance,
                limit,
                "less than the minimum",
            ));
        }
        ValidationErrorKind::Maximum { limit } => {
            out.push(out_of_range(
                pointer,
                instance,
                limit,
                "greater than the maximum",
            ));
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            out.push(out_of_range(pointer, instance, limit, "not greater than"));
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            out.push(out_of_range(pointer, instance, limit, "not less than"));
        }
        ValidationErrorKind::Pattern { pattern } if pattern == QUANTITY_PATTERN => {
            out.push(Finding::new(
                Code::InvalidQuantity,
                pointer,
                format!(
                    "`{}` is not a Kubernetes quantity (e.g. `500m`, `2`, `4Gi`)",
                    shown(instance)
                ),
            ));
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            report_alternatives(pointer, instance, context, schema, out);
        }
        _ => out.push(Finding::new(
            Code::SchemaViolation,
            pointer,
            error.to_string(),
        )),
    }
}

/// Reports a failed `anyOf`/`oneOf` as one clear finding: the errors of the one branch whose
/// type the value has, or a single wrong-type finding when the value has none of their types.
fn report_alternatives(
    pointer: &str,
    instance: &Value,
    branches: &[Vec<ValidationError<'static>>],
    schema: &Value,
    out: &mut Vec<Finding>,
) {
    let is_type_miss = |e: &ValidationError<'_>| {
        e.instance_path().as_str() == pointer
            && matches!(e.kind(), ValidationErrorKind::Type { .. })
    };
    let fitting = branches
        .iter()
        .filter(|errors| !errors.iter().any(is_type_miss))
        .min_by_key(|errors| errors.len());
    if let Some(errors) = fitting {
        for error in errors {
            report(error, schema, out);
        }
        return;
    }
    let mut expected = Vec::new();
    for error in branches.iter().flatten() {
        if let ValidationErrorKind::Type { kind } = error.kind() {
            match kind {
                TypeKind::Single(t) => expected.push(*t),
                TypeKind::Multiple(set) => expected.extend(set.iter()),
            }
        }
    }
    out.push(wrong_type(pointer, &expected, instance));
}

fn unknown_field(parent: &str, name: &str, known: &[String]) -> Finding {
    let pointer = child(parent, name);
    if let Some(suggestion) = suggest(name, known) {
        return Finding::new(
            Code::UnknownField,
            pointer,
            format!("unknown field `{name}`; did you mean `{suggestion}`?"),
        )
        .at_key();
    }
    let finding = Finding::new(
        Code::UnknownField,
        pointer,
        format!("unknown field `{name}`"),
    )
    .at_key();
    if known.is_empty() {
        return finding;
    }
    let mut listed = known
        .iter()
        .take(MAX_LISTED_FIELDS)
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if known.len() > MAX_LISTED_FIELDS {
        let rest = known.len() - MAX_LISTED_FIELDS;
        listed = format!("{listed} and {rest} more");
    }
    finding.help(format!("the fields allowed here are {listed}"))
}

fn wrong_type(pointer: &str, expected: &[JsonType], found: &Value) -> Finding {
    let mut kinds: Vec<JsonType> = Vec::new();
    for t in expected {
        if *t != JsonType::Null && !kinds.contains(t) {
            kinds.push(*t);
        }
    }
    // "a number" already admits integers.
    if kinds.contains(&JsonType::Number) {
        kinds.retain(|t| *t != JsonType::Integer);
    }
    kinds.sort_by_key(|t| type_rank(*t));
    let names: Vec<&str> = kinds.iter().map(|t| type_name(*t)).collect();
    let finding = Finding::new(
        Code::WrongType,
        pointer,
        format!("expected {}, found {}", or_list(&names), describe(found)),
    );
    match wrong_type_help(field_name(pointer).trim_matches('`'), &kinds, found) {
        Some(help) => finding.help(help),
        None => finding,
    }
}

/// The fix for the usual slips: a number or boolean in quotes, or a version number without.
fn wrong_type_help(field: &str, expected: &[JsonType], found: &Value) -> Option<String> {
    let wants = |t: JsonType| expected.contains(&t);
    match found {
        Value::String(s) => {
            let text = s.trim();
            let fits = (wants(JsonType::Integer) && text.parse::<i64>().is_ok())
                || (wants(JsonType::Number) && text.parse::<f64>().is_ok_and(f64::is_finite))
                || (wants(JsonType::Boolean) && (text == "true" || text == "false"));
            fits.then(|| format!("remove the quotes: `{field}: {text}`"))
        }
        Value::Number(_) | Value::Bool(_) if wants(JsonType::String) => {
            Some("quote the value as written, so that YAML reads it as a string".to_string())
        }
        _ => None,
    }
}

fn invalid_value(pointer: &str, found: &Value, allowed: &[&Value]) -> Finding {
    let field = field_name(pointer);
    let choices: Vec<String> = allowed.iter().map(|v| format!("`{}`", shown(v))).collect();
    let expected = if choices.len() == 1 {
        choices.join("")
    } else {
        format!("one of {}", choices.join(", "))
    };
    let finding = Finding::new(
        Code::InvalidEnumValue,
        pointer,
        format!(
            "invalid value `{}` for {field}; expected {expected}",
            shown(found)
        ),
    );
    let names: Vec<String> = allowed
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    match found.as_str().and_then(|s| suggest(s, &names)) {
        Some(suggestion) => finding.help(format!("did you mean `{suggestion}`?")),
        None => finding,
    }
}

fn out_of_range(pointer: &str, found: &Value, limit: &Value, relation: &str) -> Finding {
    let bits = if *limit == json!(i32::MAX) || *limit == json!(i32::MIN) {
        Some((32, i64::from(i32::MIN), i64::from(i32::MAX)))
    } else if *limit == json!(i64::MAX) || *limit == json!(i64::MIN) {
        Some((64, i64::MIN, i64::MAX))
    } else {
        None
    };
    match bits {
        Some((bits, min, max)) => Finding::new(
            Code::OutOfRange,
            pointer,
            format!("{found} is out of range for a {bits}-bit integer"),
        )
        .help(format!("the value must be between {min} and {max}")),
        None => Finding::new(
            Code::OutOfRange,
            pointer,
            format!("{found} is {relation} {limit}"),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Walking the schema by instance pointer.

/// The field names allowed in the object at `pointer`, sorted.
fn fields_at(schema: &Value, pointer: &str) -> Vec<String> {
    let Some(node) = schema_at(schema, pointer) else {
        return Vec::new();
    };
    let mut names = BTreeSet::new();
    for view in views(schema, node) {
        if let Some(Value::Object(props)) = view.get("properties") {
            names.extend(props.keys().cloned());
        }
    }
    names.into_iter().collect()
}

/// The subschema that governs the instance at `pointer`.
fn schema_at<'s>(schema: &'s Value, pointer: &str) -> Option<&'s Value> {
    let mut node = schema;
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        node = step(schema, node, &segment)?;
    }
    Some(node)
}

fn step<'s>(schema: &'s Value, node: &'s Value, segment: &str) -> Option<&'s Value> {
    let views = views(schema, node);
    let named = views
        .iter()
        .find_map(|v| v.get("properties").and_then(|p| p.get(segment)));
    if named.is_some() {
        return named;
    }
    let is_index = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
    views.iter().find_map(|v| {
        let items = v.get("items").filter(|i| is_index && i.is_object());
        items.or_else(|| v.get("additionalProperties").filter(|a| a.is_object()))
    })
}

/// A node together with what it refers to (`$ref`) and its combinator branches.
fn views<'s>(schema: &'s Value, node: &'s Value) -> Vec<&'s Value> {
    let mut out = Vec::new();
    let mut pending = vec![(node, 0)];
    while let Some((current, depth)) = pending.pop() {
        if depth > MAX_WALK_DEPTH {
            continue;
        }
        out.push(current);
        if let Some(target) = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| schema.pointer(p))
        {
            pending.push((target, depth + 1));
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = current.get(key) {
                pending.extend(branches.iter().map(|b| (b, depth + 1)));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Wording.

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Null => "null",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::String => "a string",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
    }
}

fn type_rank(t: JsonType) -> u8 {
    match t {
        JsonType::Integer => 0,
        JsonType::Number => 1,
        JsonType::String => 2,
        JsonType::Boolean => 3,
        JsonType::Object => 4,
        JsonType::Array => 5,
        JsonType::Null => 6,
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(items: &[&str]) -> String {
    match items {
        [] => "nothing".to_owned(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// What a value is, with the value itself for scalars.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) if n.is_f64() => format!("a number ({n})"),
        Value::Number(n) => format!("an integer ({n})"),
        Value::String(_) => format!("a string ({})", truncate(&value.to_string())),
        Value::Array(items) if items.is_empty() => "an empty array".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(map) if map.is_empty() => "an empty object".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// A value as it would be written in YAML: strings bare, anything else as compact JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => truncate(s),
        other => truncate(&other.to_string()),
    }
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= MAX_SHOWN_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(MAX_SHOWN_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The field a pointer ends at, for messages: `` `serviceType` ``, `` `accessModes[0]` ``.
fn field_name(pointer: &str) -> String {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let is_index = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match segments.as_slice() {
        [] => "the document".to_owned(),
        [.., parent, last] if is_index(last) && !is_index(parent) => {
            format!("`{parent}[{last}]`")
        }
        [.., last] => format!("`{last}`"),
    }
}

/// Orders JSON Pointers segment by segment, array indexes numerically.
fn pointer_order(left: &str, right: &str) -> Ordering {
    let mut left = left.split('/');
    let mut right = right.split('/');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(l), Some(r)) => {
                let order = match (l.parse::<u64>(), r.parse::<u64>()) {
                    (Ok(li), Ok(ri)) => li.cmp(&ri).then_with(|| l.cmp(r)),
                    _ => l.cmp(r),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn minimal() -> Value {
        json!({
            "apiVersion": "ray.io/v1",
            "kind": "RayCluster",
            "metadata": {"name": "demo"},
            "spec": {
                "rayVersion": "2.9.0",
                "headGroupSpec": {
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [
                        {"name": "ray-head", "image": "rayproject/ray:2.9.0"}
                    ]}}
                },
                "workerGroupSpecs": [{
                    "groupName": "small",
                    "replicas": 1,
                    "minReplicas": 0,
                    "maxReplicas": 4,
                    "rayStartParams": {},
                    "template": {"spec": {"containers": [
                        {"name": "ray-worker", "image": "rayproject/ray:2.9.0"}
                    ]}}
                }]
            }
        })
    }

    /// `minimal()` with one value replaced at `pointer`.
    fn with(pointer: &str, value: Value) -> Value {
        let mut doc = minimal();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = doc.pointer_mut(parent).unwrap();
        match target {
            Value::Object(map) => {
                map.insert(key.to_owned(), value);
            }
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
            _ => panic!("{parent} is not a container"),
        }
        doc
    }

    fn only(findings: &[Finding]) -> &Finding {
        assert_eq!(findings.len(), 1, "{findings:#?}");
        &findings[0]
    }

    #[test]
    fn embedded_schema_compiles() {
        let mut fastest = std::time::Duration::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            let compiled = compile();
            let elapsed = start.elapsed();
            assert!(compiled.is_ok(), "{:?}", compiled.err());
            fastest = fastest.min(elapsed);
        }
        let start = Instant::now();
        let findings = check(&minimal());
        let first = start.elapsed();
        let start = Instant::now();
        let again = check(&minimal());
        let second = start.elapsed();
        assert_eq!(findings, again);
        println!(
            "schema: {} bytes; compile {fastest:?} (fastest of 5); \
             first check {first:?}, next check {second:?}",
            SCHEMA_JSON.len()
        );
    }

    /// Every document of the fixtures, the goldens and the KubeRay samples (when they are
    /// there). The fuzz corpus is left out: thousands of files that take most of a minute to
    /// read in a debug build, mostly not RayClusters.
    fn every_test_document() -> Vec<Value> {
        let mut documents = Vec::new();
        let mut dirs = crate::parse::tests::input_dirs();
        dirs.retain(|d| !d.ends_with("fuzz/corpus/compile"));
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for path in entries.filter_map(|e| Some(e.ok()?.path())) {
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(docs) = crate::parse::parse(&std::fs::read(&path).unwrap()) {
                    documents.extend(docs.into_iter().map(|d| d.value));
                }
            }
        }
        documents
    }

    /// `doc` with one change at a time: each scalar replaced by values of other types and
    /// shapes, and each object given a field no schema names.
    fn variants(doc: &Value) -> Vec<Value> {
        fn walk(node: &Value, pointer: &str, out: &mut Vec<(String, Value)>) {
            match node {
                Value::Object(map) => {
                    out.push((child(pointer, "zzUnknownField"), json!(1)));
                    for (k, v) in map {
                        walk(v, &child(pointer, k), out);
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        walk(v, &format!("{pointer}/{i}"), out);
                    }
                }
                _ => {
                    for value in [
                        json!("x y"),
                        json!(-1),
                        json!(4_294_967_296_i64),
                        json!(true),
                        json!({}),
                        json!(["a"]),
                    ] {
                        out.push((pointer.to_string(), value));
                    }
                }
            }
        }
        let mut changes = Vec::new();
        walk(doc, "", &mut changes);
        changes
            .into_iter()
            .map(|(pointer, value)| {
                let mut variant = doc.clone();
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                let key = key.replace("~1", "/").replace("~0", "~");
                match variant.pointer_mut(parent).unwrap() {
                    Value::Object(map) => {
                        map.insert(key, value);
                    }
                    Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
                    _ => unreachable!("{parent} is a container"),
                }
                variant
            })
            .collect()
    }

    #[test]
    fn the_generated_validator_accepts_exactly_what_the_run_time_validator_accepts() {
        let run_time = &compiled().validator;
        let mut outcomes = [0_usize; 2];
        let documents = every_test_document();
        let clusters = documents
            .iter()
            .filter(|d| d["kind"] == "RayCluster" && run_time.is_valid(d));
        // Every third valid cluster, up to 15 of them: changing every field of all of them
        // would take minutes in a debug build.
        let changed: Vec<Value> = clusters.step_by(3).take(15).flat_map(variants).collect();
        for doc in documents.iter().chain(&changed) {
            let valid = run_time.is_valid(doc);
            assert_eq!(Generated::is_valid(doc), valid, "{doc}");
            outcomes[usize::from(valid)] += 1;
        }
        // Both answers are reached, often.
        assert!(outcomes[0] > 1000 && outcomes[1] > 100, "{outcomes:?}");
    }

    #[test]
    fn a_valid_document_is_checked_without_the_run_time_validator() {
        // The generated validator answers for a valid document, so its check is the run-time
        // validator's empty list; an invalid one gets the run-time validator's findings.
        assert_eq!(check(&minimal()), vec![]);
        assert!(compiled().validator.is_valid(&minimal()));
        let invalid = with("/spec/workerGroupSpecs/0/replicas", json!("abc"));
        assert!(!Generated::is_valid(&invalid));
        assert_eq!(only(&check(&invalid)).code, Code::WrongType);
    }

    #[test]
    fn embedded_schema_is_valid_against_its_meta_schema() {
        // `compile` skips jsonschema's own meta-schema check of the embedded schema: this is it.
        let schema: Value = serde_json::from_str(SCHEMA_JSON).unwrap();
        assert_eq!(
            schema["$schema"],
            json!("https://json-schema.org/draft/2020-12/schema")
        );
        if let Err(error) = jsonschema::meta::validate(&schema) {
            panic!("the embedded schema breaks its meta-schema: {error}");
        }
    }

    #[test]
    fn the_meta_schema_check_rejects_a_broken_schema() {
        // The check above can fail: a schema with a wrong keyword type breaks the meta-schema.
        let mut schema: Value = serde_json::from_str(SCHEMA_JSON).unwrap();
        schema["required"] = json!("metadata");
        assert!(jsonschema::meta::validate(&schema).is_err());
    }

    #[test]
    fn the_validator_applies_the_whole_schema_through_its_root() {
        // Built from a root that refers to the schema: the top-level `required` and a rule deep
        // in the `$defs` (a container's fields) both still apply.
        let findings = check(&json!({"apiVersion": "ray.io/v1", "kind": "RayCluster"}));
        assert!(
            findings
                .iter()
                .any(|f| f.pointer.is_empty() && f.message.contains("`metadata`")),
            "{findings:#?}"
        );
        let findings = check(&with(
            "/spec/headGroupSpec/template/spec/containers/0/image",
            json!(7),
        ));
        assert_eq!(
            only(&findings).pointer,
            "/spec/headGroupSpec/template/spec/containers/0/image"
        );
    }

    #[test]
    fn accepts_a_minimal_cluster() {
        assert_eq!(check(&minimal()), vec![]);
    }

    #[test]
    fn accepts_a_status_of_any_shape() {
        let doc = with(
            "/status",
            json!({"state": "ready", "anything": [1, {"x": true}]}),
        );
        assert_eq!(check(&doc), vec![]);
    }

    #[test]
    fn rejects_an_unknown_container_field_with_a_suggestion() {
        let pointer = "/spec/workerGroupSpecs/0/template/spec/containers/0/imagePullPolicyy";
        let findings = check(&with(pointer, json!("Always")));
        let finding = only(&findings);
        assert_eq!(finding.code, Code::UnknownField);
        assert_eq!(finding.pointer, pointer);
        assert_eq!(finding.anchor, crate::diagnostic::Anchor::Key);
        assert_eq!(
            finding.message,
            "unknown field `imagePullPolicyy`; did you mean `imagePullPolicy`?"
        );
    }

    #[test]
    fn suggests_min_replicas_for_min_replica() {
        let findings = check(&with("/spec/workerGroupSpecs/0/minReplica", json!(1)));
        let finding = only(&findings);
        assert_eq!(finding.pointer, "/spec/workerGroupSpecs/0/minReplica");
        assert_eq!(
            finding.message,
            "unknown field `minReplica`; did you mean `minReplicas`?"
        );
    }

    #[test]
    fn lists_the_known_fields_when_nothing_is_close() {
        let findings = check(&with("/spec/workerGroupSpecs/0/foo", json!(1)));
        let finding = only(&findings);
        assert_eq!(finding.message, "unknown field `foo`");
        let help = finding.help.as_deref().unwrap();
        assert!(help.starts_with("the fields allowed here are `groupName`, `idleTimeoutSeconds`"));
        assert!(help.contains("`template`"), "{help}");
    }

    #[test]
    fn truncates_long_field_lists() {
        let findings = check(&with("/spec/headGroupSpec/template/spec/qqqq", json!(true)));
        let help = only(&findings).help.as_deref().unwrap();
        assert!(help.ends_with(" more"), "{help}");
    }

    #[test]
    fn reports_a_wrong_type_with_the_value_found() {
        let findings = check(&with("/spec/workerGroupSpecs/0/replicas", json!("abc")));
        let finding = only(&findings);
        assert_eq!(finding.code, Code::WrongType);
        assert_eq!(finding.pointer, "/spec/workerGroupSpecs/0/replicas");
        assert_eq!(
            finding.message,
            "expected an integer, found a string (\"abc\")"
        );
    }

    #[test]
    fn truncates_long_values_in_messages() {
        let long = "x".repeat(100);
        let findings = check(&with("/spec/suspend", json!(long)));
        let message = &only(&findings).message;
        assert!(
            message.starts_with("expected a boolean, found a string (\"xxx"),
            "{message}"
        );
        assert!(message.ends_with("…)"), "{message}");
        assert!(message.chars().count() < 80, "{message}");
    }

    #[test]
    fn reports_a_missing_group_name_at_the_group() {
        let mut doc = minimal();
        doc["spec"]["workerGroupSpecs"][0]
            .as_object_mut()
            .unwrap()
            .remove("groupName");
        let findings = check(&doc);
        let finding = only(&findings);
        assert_eq!(finding.code, Code::MissingField);
        assert_eq!(finding.pointer, "/spec/workerGroupSpecs/0");
        assert_eq!(finding.message, "missing required field `groupName`");
    }

    #[test]
    fn requires_the_cluster_name_but_not_a_pod_template_name() {
        let findings = check(&with("/metadata", json!({"labels": {"a": "b"}})));
        let finding = only(&findings);
        assert_eq!(finding.code, Code::MissingField);
        assert_eq!(finding.pointer, "/metadata");
        assert_eq!(finding.message, "missing required field `name`");
        let doc = with(
            "/spec/headGroupSpec/template/metadata",
            json!({"labels": {"a": "b"}}),
        );
        assert_eq!(check(&doc), vec![]);
    }

    #[test]
    fn lists_the_allowed_values_of_an_enum() {
        let findings = check(&with("/spec/headGroupSpec/serviceType", json!("Foo")));
        let finding = only(&findings);
        assert_eq!(finding.code, Code::InvalidEnumValue);
        assert_eq!(
            finding.message,
            "invalid value `Foo` for `serviceType`; expected one of `ClusterIP`, `NodePort`, `LoadBalancer`"
        );
        assert_eq!(finding.help, None);
    }

    #[test]
    fn suggests_the_right_case_of_an_enum_value() {
        let findings = check(&with("/spec/headGroupSpec/serviceType", json!("nodeport")));
        assert_eq!(
            only(&findings).help.as_deref(),
            Some("did you mean `NodePort`?")
        );
    }

    #[test]
    fn reports_a_wrong_kind_as_an_invalid_value() {
        let findings = check(&with("/kind", json!("RayJob")));
        let finding = only(&findings);
        assert_eq!(finding.code, Code::InvalidEnumValue);
        assert_eq!(
            finding.message,
            "invalid value `RayJob` for `kind`; expected `RayCluster`"
        );
    }

    #[test]
    fn rejects_replicas_beyond_int32() {
        let findings = check(&with(
            "/spec/workerGroupSpecs/0/replicas",
            json!(2_147_483_648_i64),
        ));
        let finding = only(&findings);
        assert_eq!(finding.code, Code::OutOfRange);
        assert_eq!(
            finding.message,
            "2147483648 is out of range for a 32-bit integer"
        );
    }

    #[test]
    fn rejects_a_quantity_that_is_not_one() {
        let pointer = "/spec/workerGroupSpecs/0/template/spec/containers/0/resources";
        let findings = check(&with(pointer, json!({"limits": {"cpu": "2 cores"}})));
        let finding = only(&findings);
        assert_eq!(finding.code, Code::InvalidQuantity);
        assert_eq!(finding.pointer, format!("{pointer}/limits/cpu"));
        assert_eq!(
            finding.message,
            "`2 cores` is not a Kubernetes quantity (e.g. `500m`, `2`, `4Gi`)"
        );
    }

    #[test]
    fn accepts_quantities_as_numbers_and_strings() {
        let pointer = "/spec/workerGroupSpecs/0/template/spec/containers/0/resources";
        let resources = json!({
            "limits": {"cpu": 2, "memory": "4Gi", "nvidia.com/gpu": 1},
            "requests": {"cpu": 0.5, "memory": "512M", "ephemeral-storage": "1e3", "x": "+.5m"}
        });
        assert_eq!(check(&with(pointer, resources)), vec![]);
        let findings = check(&with(pointer, json!({"limits": {"cpu": true}})));
        assert_eq!(
            only(&findings).message,
            "expected a number or a string, found a boolean (true)"
        );
    }

    #[test]
    fn accepts_an_int_or_string_probe_port_either_way() {
        let pointer = "/spec/workerGroupSpecs/0/template/spec/containers/0/livenessProbe";
        for port in [json!(8080), json!("http")] {
            let probe = json!({"httpGet": {"path": "/", "port": port}});
            assert_eq!(check(&with(pointer, probe)), vec![]);
        }
        let probe = json!({"httpGet": {"path": "/", "port": [8080]}});
        let findings = check(&with(pointer, probe));
        let finding = only(&findings);
        assert_eq!(finding.code, Code::WrongType);
        assert_eq!(
            finding.message,
            "expected an integer or a string, found an array"
        );
    }

    #[test]
    fn reports_one_finding_for_a_failed_any_of() {
        let schema = json!({
            "type": "object",
            "properties": {"size": {"anyOf": [
                {"type": "integer"},
                {"type": "string", "pattern": QUANTITY_PATTERN}
            ]}}
        });
        let validator = jsonschema::validator_for(&schema).unwrap();
        let run = |size: Value| findings(&validator, &schema, &json!({"size": size}));
        assert_eq!(run(json!(3)), vec![]);
        assert_eq!(run(json!("3Gi")), vec![]);
        let bad_string = run(json!("2 cores"));
        assert_eq!(only(&bad_string).code, Code::InvalidQuantity);
        let bad_type = run(json!(true));
        let finding = only(&bad_type);
        assert_eq!(finding.code, Code::WrongType);
        assert_eq!(finding.pointer, "/size");
        assert_eq!(
            finding.message,
            "expected an integer or a string, found a boolean (true)"
        );
    }

    #[test]
    fn collects_every_error_sorted_with_pointers_into_the_input() {
        let mut doc = minimal();
        doc["spec"]["workerGroupSpecs"][0]["replicas"] = json!("many");
        doc["spec"]["workerGroupSpecs"][0]["minReplica"] = json!(1);
        doc["spec"]["workerGroupSpecs"][0]
            .as_object_mut()
            .unwrap()
            .remove("groupName");
        doc["spec"]["headGroupSpec"]["serviceType"] = json!("Internal");
        doc["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"] =
            json!([{"containerPort": 99_999_999_999_i64}]);
        doc["spec"]["extra"] = json!(1);
        doc["metadata"] = json!({"labels": {"a": 1}});
        let findings = check(&doc);
        let codes: Vec<(&str, Code)> = findings
            .iter()
            .map(|f| (f.pointer.as_str(), f.code))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("/metadata", Code::MissingField),
                ("/metadata/labels/a", Code::WrongType),
                ("/spec/extra", Code::UnknownField),
                ("/spec/headGroupSpec/serviceType", Code::InvalidEnumValue),
                (
                    "/spec/headGroupSpec/template/spec/containers/0/ports/0/containerPort",
                    Code::OutOfRange
                ),
                ("/spec/workerGroupSpecs/0", Code::MissingField),
                ("/spec/workerGroupSpecs/0/minReplica", Code::UnknownField),
                ("/spec/workerGroupSpecs/0/replicas", Code::WrongType),
            ]
        );
        for finding in &findings {
            assert!(doc.pointer(&finding.pointer).is_some(), "{finding:?}");
        }
    }

    #[test]
    fn orders_array_indexes_numerically() {
        assert_eq!(pointer_order("/a/2/b", "/a/10"), Ordering::Less);
        assert_eq!(pointer_order("/a", "/a/0"), Ordering::Less);
        assert_eq!(pointer_order("/a/b", "/a/b"), Ordering::Equal);
    }

    #[test]
    fn knows_the_fields_of_a_container() {
        let fields = known_fields("/spec/headGroupSpec/template/spec/containers/0");
        assert!(fields.contains(&"imagePullPolicy".to_owned()), "{fields:?}");
        assert!(known_fields("/metadata/labels").is_empty());
        assert!(known_fields("/nowhere/at/all").is_empty());
    }

    /// Removes `key: null` entries at every depth, as the parser does.
    fn prune_nulls(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|_, v| !v.is_null());
                map.values_mut().for_each(prune_nulls);
            }
            Value::Array(items) => items.iter_mut().for_each(prune_nulls),
            _ => {}
        }
    }

    #[test]
    fn accepts_every_kuberay_sample_cluster() {
        let Some(dir) = crate::parse::tests::kuberay_samples() else {
            return;
        };
        let entries = std::fs::read_dir(&dir).unwrap();
        let mut paths: Vec<_> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        paths.sort();
        let mut clusters = 0;
        let mut failures = Vec::new();
        for path in &paths {
            let text = std::fs::read_to_string(path).unwrap();
            let options = serde_saphyr::options! { legacy_octal_numbers: true };
            let docs: Vec<Value> =
                serde_saphyr::from_multiple_with_options(&text, options).unwrap();
            for mut doc in docs {
                if doc.get("kind") != Some(&json!("RayCluster")) {
                    continue;
                }
                prune_nulls(&mut doc);
                clusters += 1;
                for finding in check(&doc) {
                    failures.push(format!(
                        "{}: {} {}",
                        path.display(),
                        finding.pointer,
                        finding.message
                    ));
                }
            }
        }
        println!("checked {clusters} RayClusters in {} files", paths.len());
        assert!(clusters >= 40, "only {clusters} RayClusters found");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
