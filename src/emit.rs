//! Last stage: JSON values → YAML bytes.
//!
//! [`emit`] takes the finished Kubernetes objects as [`serde_json::Value`]s and returns a YAML
//! stream, one `---`-prefixed document per object, ready for `kubectl apply`. [`to_yaml`]
//! renders a single document.
//!
//! The output is deterministic: the same values give the same bytes, map keys come out sorted,
//! and nothing depends on the time or the raycc version, so a regenerated manifest only shows
//! a diff when the cluster changed. The layout is what `kubectl get -o yaml` prints: block
//! style, two-space indentation, sequence items flush with their parent key, `{}` and `[]`
//! for empty collections.
//!
//! Every string reads back as the same string with a YAML 1.1 reader such as kubectl
//! (go-yaml v2) or `PyYAML`: strings that such a reader would take for a boolean, number,
//! null, timestamp or merge key (`yes`, `on`, `y`, `0755`, `1_000`, `12:30`, `2024-01-01`,
//! `~`, `<<`) are quoted. Single-line strings are never folded, however long; multi-line
//! strings are `|` literal blocks when a literal block can hold them exactly and go-yaml can
//! read it, and double-quoted otherwise (a carriage return, or a tab opening the first line).
//!
//! This stage never fails, never does I/O, and never changes a value: numbers stay numbers,
//! booleans stay booleans, and strings stay strings.

use serde::ser::{Serialize, Serializer};
use serde_json::Value;

/// Renders one document, without a leading `---`.
#[must_use]
pub fn to_yaml(value: &Value) -> String {
    let options = serde_saphyr::ser_options! {
        // Keep long single-line strings (commands, annotations) on one line; multi-line
        // strings still become `|` blocks.
        folded_wrap_chars: usize::MAX,
    };
    serde_saphyr::to_string_with_options(&Yaml(value), options).unwrap_or_else(|_| {
        // serde-saphyr only fails on data a JSON value cannot hold. Should it ever fail,
        // JSON is YAML too, and still applies.
        serde_json::to_string(value).unwrap_or_default() + "\n"
    })
}

/// Renders a stream: each document preceded by `---`. No documents give an empty string.
#[must_use]
pub fn emit(docs: &[Value]) -> String {
    let mut out = String::new();
    for doc in docs {
        out.push_str("---\n");
        out.push_str(&to_yaml(doc));
    }
    out
}

/// A JSON value serialized with its map keys in sorted order, whatever order the map keeps.
struct Yaml<'a>(&'a Value);

impl Serialize for Yaml<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) if trips_libyaml_block_scalar(s) => {
                serde_saphyr::DoubleQuoted(s).serialize(serializer)
            }
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => serializer.collect_seq(items.iter().map(Yaml)),
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                // `serde_json::Map` is already sorted unless its `preserve_order` feature is on.
                if !entries.is_sorted_by_key(|(k, _)| *k) {
                    entries.sort_unstable_by_key(|(k, _)| *k);
                }
                serializer.collect_map(entries.into_iter().map(|(k, v)| (k, Yaml(v))))
            }
        }
    }
}

/// Whether `s` would become a `|` block whose first content line starts with a tab.
///
/// The YAML spec allows that, but libyaml and go-yaml (so kubectl) detect a block's indentation
/// from its first non-blank line and reject a tab there ("found a tab character where an
/// indentation space is expected"); such strings are written double-quoted instead.
fn trips_libyaml_block_scalar(s: &str) -> bool {
    s.contains('\n')
        && s.split('\n')
            .map(|line| line.trim_start_matches(' '))
            .find(|rest| !rest.is_empty())
            .is_some_and(|rest| rest.starts_with('\t'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;
    use serde_json::json;

    /// Strings a careless emitter writes so that a YAML 1.1 reader gets something else back.
    const TRICKY: &[&str] = &[
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "N",
        "NO",
        "Yes",
        "True",
        "FALSE",
        "0755",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "1e3",
        "1.5",
        ".5",
        "+1",
        "-1",
        "12:30",
        "1:20:30",
        "2024-01-01",
        "2024-01-01T10:00:00Z",
        ".inf",
        "-.inf",
        ".nan",
        "~",
        "null",
        "Null",
        "",
        " ",
        "-",
        "- x",
        "--- x",
        "...",
        " lead",
        "trail ",
        "#x",
        "a #b",
        "a#b",
        ": x",
        "a: b",
        "a:b",
        "x:",
        "tab\tx",
        "\ttab",
        "tab\t",
        "ünïcödé ✓",
        "日本語",
        "=",
        "<<",
        "?",
        "? x",
        "!x",
        "!!str",
        "&a",
        "*a",
        "%x",
        "@x",
        "`x",
        "|",
        "|x",
        ">",
        "'q'",
        "\"dq\"",
        "it's",
        "[a]",
        "{a}",
        "a,b",
        "x\\y",
        "\\",
        "\u{7f}del",
        "\u{85}nel",
        "\u{feff}bom",
        "\u{2028}ls",
        "\u{a0}nbsp",
        "ctl\u{1}",
        "emoji 🚀",
        "0",
        "00",
        "-0",
        "0.",
        "1.0e+3",
        "+.inf",
        "NaN",
        "Infinity",
        "0b1_0",
        "190:20:30",
        "2001-12-14 21:59:43.10 -5",
        "1,000",
        "1__0",
        "0x_1F",
        "-0x1F",
        ".",
        "..",
        "- ",
        "http://example.com/#frag",
        "--address=$(RAY_IP):6379",
        "${VAR}",
        "%{x}",
        // Multi-line.
        "\nSECONDS=0\nwhile true; do\n\t\t\t\t\tif (( SECONDS <= 120 )); then\n  echo waiting\n\t\t\t\t\tfi\ndone\n\t\t\t\t",
        "line1\nline2",
        "line1\nline2\n",
        "line1\nline2\n\n",
        "trailing   \nspaces  ",
        "end with space \n",
        "\n",
        "\n\n",
        "\nx",
        " lead\nx",
        "  \nx",
        " \n",
        "x\n ",
        "x\n  \ny",
        "\tx\ny",
        "\n\tx",
        "  \n \tx\n",
        " \tx\ny",
        "a\n\tb",
        "a\r\nb",
        "a\rb",
        "multi\n#not a comment\n",
        "- a\n- b\n",
        "key: value\nother: 1\n",
        "---\n...\n",
        "x\n\u{85}y",
        "unicode\n✓ ok\n",
    ];

    /// Emits, parses back, and checks both the value and that emitting again is a fixed point.
    fn round_trip(value: &Value) {
        let yaml = to_yaml(value);
        let docs = parse(yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}:\n{yaml}"));
        assert_eq!(docs.len(), 1, "{yaml}");
        assert_eq!(&docs[0].value, value, "emitted:\n{yaml}");
        assert_eq!(to_yaml(&docs[0].value), yaml);
    }

    #[test]
    fn round_trips_tricky_strings() {
        for s in TRICKY {
            round_trip(&json!({ "value": s }));
            round_trip(&json!([s]));
            round_trip(&json!({ *s: "key" }));
        }
    }

    #[test]
    fn round_trips_tricky_strings_at_the_top_level() {
        for s in TRICKY {
            round_trip(&json!(s));
        }
    }

    #[test]
    fn quotes_strings_a_yaml_1_1_reader_would_retype() {
        let yaml = to_yaml(&json!({
            "a": "yes", "b": "on", "c": "y", "d": "0755", "e": "1_000", "f": "12:30",
            "g": "2024-01-01", "h": "~", "i": "<<", "j": "=", "k": "null", "l": "",
        }));
        for line in yaml.lines() {
            let value = line.split_once(": ").map_or("", |(_, v)| v);
            assert!(value.starts_with(['"', '\'']), "unquoted: {line}");
        }
    }

    #[test]
    fn keeps_plain_strings_plain() {
        assert_eq!(
            to_yaml(&json!({"image": "rayproject/ray:2.9.0", "name": "ray-head"})),
            "image: rayproject/ray:2.9.0\nname: ray-head\n"
        );
    }

    #[test]
    fn keeps_numbers_and_booleans_typed() {
        let value = json!({"a": 1, "b": -2, "c": 1.5, "d": true, "e": false, "f": u64::MAX, "g": 0.1, "h": 1e300, "i": null});
        assert_eq!(
            to_yaml(&value),
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: false\nf: 18446744073709551615\ng: 0.1\nh: 1.0e+300\ni: null\n"
        );
        round_trip(&json!([
            1,
            -2,
            1.5,
            true,
            false,
            u64::MAX,
            i64::MIN,
            0.1,
            1e300,
            1e-7,
            null
        ]));
    }

    #[test]
    fn sorts_keys_whatever_the_input_order() {
        let shuffled: Value = serde_json::from_str(
            r#"{"zeta": 1, "alpha": {"y": 2, "b": 3}, "mid": [{"k": 1, "a": 2}]}"#,
        )
        .unwrap();
        let sorted: Value = serde_json::from_str(
            r#"{"alpha": {"b": 3, "y": 2}, "mid": [{"a": 2, "k": 1}], "zeta": 1}"#,
        )
        .unwrap();
        let yaml = to_yaml(&shuffled);
        assert_eq!(yaml, to_yaml(&sorted));
        assert_eq!(
            yaml,
            "alpha:\n  b: 3\n  \"y\": 2\nmid:\n- a: 2\n  k: 1\nzeta: 1\n"
        );
    }

    #[test]
    fn indents_lists_like_kubectl() {
        let value = json!({"spec": {"containers": [{"name": "ray", "env": [{"name": "A", "value": "1"}], "ports": []}], "volumes": {}}});
        assert_eq!(
            to_yaml(&value),
            "spec:\n  containers:\n  - env:\n    - name: A\n      value: \"1\"\n    name: ray\n    ports: []\n  volumes: {}\n"
        );
    }

    #[test]
    fn writes_empty_collections_inline() {
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!([])), "[]\n");
        assert_eq!(to_yaml(&json!({"a": {}, "b": []})), "a: {}\nb: []\n");
    }

    #[test]
    fn never_folds_long_lines() {
        let long = "ray start --head --dashboard-host=0.0.0.0 ".repeat(20);
        let yaml = to_yaml(&json!({ "command": long }));
        assert_eq!(yaml.lines().count(), 1, "{yaml}");
        round_trip(&json!({ "command": long }));
    }

    #[test]
    fn writes_multi_line_strings_as_literal_blocks() {
        assert_eq!(
            to_yaml(&json!({"script": "set -e\nray start --head\n"})),
            "script: |\n  set -e\n  ray start --head\n"
        );
    }

    #[test]
    fn round_trips_the_operator_wait_script() {
        let script = "\nSECONDS=0\nwhile true; do\n\t\t\t\t\tif (( SECONDS <= 120 )); then\n\t\t\t\t\t\tif ray health-check --address $RAY_IP:$RAY_PORT > /dev/null 2>&1; then\n\t\t\t\t\t\t\techo \"GCS is ready.\"\n\t\t\t\t\t\t\tbreak\n\t\t\t\t\t\tfi\n\t\t\t\t\t\techo \"$SECONDS seconds elapsed: Waiting for GCS to be ready.\"\n\t\t\t\t\telse\n\t\t\t\t\t\tif ray health-check --address $RAY_IP:$RAY_PORT; then\n\t\t\t\t\t\t\techo \"GCS is ready. Any error messages above can be safely ignored.\"\n\t\t\t\t\t\t\tbreak\n\t\t\t\t\t\tfi\n\t\t\t\t\t\techo \"$SECONDS seconds elapsed: Still waiting for GCS to be ready. For troubleshooting, refer to the FAQ at https://github.com/ray-project/kuberay/blob/master/docs/guidance/FAQ.md.\"\n\t\t\t\t\tfi\n\t\t\t\t\tsleep 5\n\t\t\t\tdone\n\t\t\t\t";
        round_trip(&json!({"args": [script]}));
    }

    #[test]
    fn emits_each_document_after_a_separator() {
        assert_eq!(emit(&[]), "");
        assert_eq!(
            emit(&[json!({"a": 1}), json!({"b": "x\ny"})]),
            "---\na: 1\n---\nb: |-\n  x\n  y\n"
        );
        let stream = emit(&[json!({"a": 1}), json!([1]), json!("top")]);
        let values: Vec<Value> = parse(stream.as_bytes())
            .unwrap()
            .into_iter()
            .map(|d| d.value)
            .collect();
        assert_eq!(values, [json!({"a": 1}), json!([1]), json!("top")]);
    }

    #[test]
    fn double_quotes_blocks_that_would_start_with_a_tab() {
        assert_eq!(to_yaml(&json!("\tx\ny")), "\"\\tx\\ny\"\n");
        assert_eq!(to_yaml(&json!("\n  \tx\n")), "\"\\n  \\tx\\n\"\n");
        assert_eq!(to_yaml(&json!("x\n\ty")), "|-\n  x\n  \ty\n");
    }

    #[test]
    fn is_deterministic() {
        let value = json!({"b": [1, {"d": "x", "c": "yes"}], "a": "multi\nline\n"});
        assert_eq!(to_yaml(&value), to_yaml(&value.clone()));
    }

    #[test]
    fn round_trips_long_keys() {
        round_trip(&json!({ "k".repeat(2000): "v" }));
    }
}
