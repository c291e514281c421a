//! Hostile and odd input: each case gets a clear diagnostic (or compiles, where the input is
//! merely unusual), in bounded time and memory, and never a panic.

use std::fmt::Write as _;

use raycc::codes::Code;
use raycc::compile::Output;
use raycc::diagnostic::Severity;
use raycc::normalize::Options;
use serde_json::Value;

use crate::harness::compile_bytes;

fn run(bytes: &[u8]) -> Output {
    compile_bytes("in.yaml", bytes, &Options::default())
}

/// The codes of the errors, in order.
fn errors(out: &Output) -> Vec<Code> {
    out.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code)
        .collect()
}

fn warnings(out: &Output) -> Vec<Code> {
    out.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.code)
        .collect()
}

fn cluster(spec_extra: &str) -> String {
    format!(
        "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata:\n  name: odd\nspec:\n  rayVersion: \"2.52.0\"\n{spec_extra}"
    )
}

fn first_error(out: &Output) -> (Code, usize, usize) {
    let d = out
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .expect("an error");
    let s = d.span.expect("a location");
    (d.code, s.line, s.column)
}

#[test]
fn alias_bombs_are_refused_quickly() {
    let mut y = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names: Vec<char> = "bcdefghijklmnopq".chars().collect();
    let mut prev = 'a';
    for n in names {
        let refs = vec![format!("*{prev}"); 9].join(",");
        let _ = writeln!(y, "{n}: &{n} [{refs}]");
        prev = n;
    }
    let out = run(y.as_bytes());
    assert_eq!(errors(&out), [Code::InputLimit]);
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    for doc in [
        "[".repeat(100_000),
        "a: ".repeat(100_000) + "x",
        "- ".repeat(100_000) + "x",
    ] {
        let out = run(doc.as_bytes());
        let e = errors(&out);
        assert_eq!(e.len(), 1, "{:?}", out.diagnostics);
        assert!(matches!(e[0], Code::InputLimit | Code::YamlSyntax), "{e:?}");
    }
}

#[test]
fn inputs_above_the_size_limit_are_refused() {
    let big = "#".repeat(raycc::parse::MAX_INPUT_BYTES + 1);
    assert_eq!(errors(&run(big.as_bytes())), [Code::InputLimit]);
}

#[test]
fn a_fifty_megabyte_stream_compiles() {
    let one = cluster(
        "  workerGroupSpecs:\n  - groupName: cpu\n    replicas: 1\n    minReplicas: 1\n    maxReplicas: 1\n",
    );
    let mut stream = String::with_capacity(52 << 20);
    let mut i = 0;
    while stream.len() < 50 << 20 {
        stream.push_str(&one.replace("name: odd", &format!("name: odd{i}")));
        stream.push_str("---\n");
        // Padding documents keep the number of clusters modest while the file is large.
        stream.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pad");
        stream.push_str(&i.to_string());
        stream.push_str("\ndata:\n  blob: ");
        stream.push_str(&"x".repeat(100_000));
        stream.push_str("\n---\n");
        i += 1;
    }
    let out = run(stream.as_bytes());
    assert!(
        !out.has_errors(),
        "{:?}",
        &out.diagnostics[..1.min(out.diagnostics.len())]
    );
    assert_eq!(out.clusters, i);
}

#[test]
fn a_ten_megabyte_line_gets_a_clear_error() {
    let name = "a".repeat(10 << 20);
    let y = cluster("").replace("name: odd", &format!("name: {name}"));
    let out = run(y.as_bytes());
    assert_eq!(errors(&out), [Code::ClusterNameTooLong]);
    assert!(
        out.diagnostics[0]
            .message
            .contains(&format!("(it has {})", 10 << 20))
    );
}

#[test]
fn invalid_utf8_is_located() {
    let out = run(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: \"\xff\"\n");
    assert_eq!(first_error(&out), (Code::InvalidEncoding, 6, 7));
}

#[test]
fn a_bom_and_crlf_line_ends_compile_like_plain_lf() {
    let plain = cluster(
        "  workerGroupSpecs:\n  - groupName: cpu\n    replicas: 1\n    minReplicas: 1\n    maxReplicas: 1\n",
    );
    let crlf = format!("\u{feff}{}", plain.replace('\n', "\r\n"));
    let a = run(plain.as_bytes());
    let b = run(crlf.as_bytes());
    assert!(!b.has_errors(), "{:?}", b.diagnostics);
    assert_eq!(a.yaml(), b.yaml());
    // Locations stay right with CRLF.
    let bad = cluster("  workerGroupSpecs:\n  - groupName: cpu\n    minReplica: 1\n")
        .replace('\n', "\r\n");
    assert_eq!(
        first_error(&run(bad.as_bytes())),
        (Code::UnknownField, 9, 5)
    );
}

#[test]
fn tabs_in_indentation_are_a_syntax_error() {
    let out = run(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n");
    assert_eq!(errors(&out), [Code::YamlSyntax]);
}

#[test]
fn duplicate_keys_are_refused_at_the_second_key() {
    let out = run(cluster("  rayVersion: \"2.9.0\"\n").as_bytes());
    assert_eq!(first_error(&out), (Code::DuplicateKey, 7, 3));
}

#[test]
fn top_level_lists_and_scalars_are_not_objects() {
    assert_eq!(errors(&run(b"- a\n- b\n")), [Code::NotAnObject]);
    assert_eq!(errors(&run(b"just a string\n")), [Code::NotAnObject]);
    assert_eq!(errors(&run(b"42\n")), [Code::NotAnObject]);
}

#[test]
fn empty_inputs_hold_nothing_and_are_fine() {
    for input in [
        "",
        "\n",
        "# only a comment\n",
        "---\n",
        "---\n---\n...\n",
        "\u{feff}",
    ] {
        let out = run(input.as_bytes());
        assert!(
            out.diagnostics.is_empty(),
            "{input:?}: {:?}",
            out.diagnostics
        );
        assert!(out.documents.is_empty());
        assert_eq!(out.yaml(), "");
    }
}

#[test]
fn numbers_out_of_range_or_of_the_wrong_kind_are_errors() {
    let group = |field: &str| {
        cluster(&format!(
            "  workerGroupSpecs:\n  - groupName: cpu\n    {field}\n"
        ))
    };
    assert_eq!(
        errors(&run(group("maxReplicas: 2147483648").as_bytes())),
        [Code::OutOfRange]
    );
    assert_eq!(
        errors(&run(group("minReplicas: -2147483649").as_bytes())),
        [Code::OutOfRange]
    );
    assert_eq!(
        errors(&run(group("replicas: 1.5").as_bytes())),
        [Code::WrongType]
    );
    assert_eq!(
        errors(&run(group("replicas: -1").as_bytes())),
        [Code::NegativeCount]
    );
    assert_eq!(
        errors(&run(group("replicas: .inf").as_bytes())),
        [Code::YamlSyntax]
    );
    // An integral float is an integer, as Kubernetes reads it.
    assert!(errors(&run(group("replicas: 2.0").as_bytes())).is_empty());
}

fn compiled(yaml: &str) -> Vec<Value> {
    let out = run(yaml.as_bytes());
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    out.documents
        .into_values()
        .into_iter()
        .map(|d| d.value)
        .collect()
}

#[test]
fn yaml_1_1_oddities_mean_what_kubernetes_reads() {
    // `yes` is a boolean where a boolean goes...
    let docs = compiled(&cluster(
        "  enableInTreeAutoscaling: yes\n  workerGroupSpecs:\n  - groupName: cpu\n    minReplicas: 1_0\n    maxReplicas: 1_000\n",
    ));
    assert!(
        docs.iter().any(|d| d["kind"] == "PodTemplate"),
        "autoscaled"
    );
    let config = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .and_then(|d| d["data"]["autoscaling-config.yaml"].as_str())
        .expect("an autoscaling config");
    assert!(
        config.contains("    max_workers: 1000\n    min_workers: 10\n"),
        "{config}"
    );
    // ...and an error where a string goes.
    let out = run(cluster("").replace("\"2.52.0\"", "yes").as_bytes());
    assert_eq!(errors(&out), [Code::WrongType]);
    assert!(
        out.diagnostics[0].message.contains("found a boolean"),
        "{}",
        out.diagnostics[0].message
    );
    // `0777` is octal 511, as kubectl reads it.
    let docs = compiled(&cluster(
        "  headGroupSpec:\n    template:\n      spec:\n        containers:\n        - name: ray-head\n          image: rayproject/ray:2.52.0\n        volumes:\n        - name: cfg\n          configMap:\n            name: cfg\n            defaultMode: 0777\n",
    ));
    let head = docs.iter().find(|d| d["kind"] == "StatefulSet").unwrap();
    assert_eq!(
        head["spec"]["template"]["spec"]["volumes"][0]["configMap"]["defaultMode"],
        511
    );
    // Strings that a YAML 1.1 reader would retype stay strings, and are quoted on output.
    let out = run(cluster(
        "  headGroupSpec:\n    template:\n      spec:\n        containers:\n        - name: ray-head\n          image: rayproject/ray:2.52.0\n          env:\n          - {name: WINDOW, value: \"12:30\"}\n          - {name: ENABLED, value: \"yes\"}\n          - {name: MODE, value: \"0755\"}\n",
    )
    .as_bytes());
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let text = out.yaml();
    for quoted in ["value: \"12:30\"", "value: \"yes\"", "value: \"0755\""] {
        assert!(text.contains(quoted), "{quoted} not in output");
    }
}

#[test]
fn a_raycluster_without_spec_or_name_is_refused() {
    let out = run(b"apiVersion: ray.io/v1\nkind: RayCluster\nmetadata:\n  name: nospec\n");
    assert_eq!(errors(&out), [Code::MissingField]);
    assert!(out.diagnostics[0].message.contains("`spec`"));
    let out = run(b"apiVersion: ray.io/v1\nkind: RayCluster\nspec: {}\n");
    assert_eq!(errors(&out), [Code::MissingField]);
    let out = run(b"apiVersion: ray.io/v3\nkind: RayCluster\nmetadata:\n  name: x\nspec: {}\n");
    assert_eq!(errors(&out), [Code::UnknownApiVersion]);
    let out = run(b"apiVersion: ray.io/v1\nkind: Raycluster\nmetadata:\n  name: x\nspec: {}\n");
    assert_eq!(errors(&out), [Code::KindTypo]);
}

#[test]
fn names_at_and_beyond_every_length_limit() {
    let named = |name: &str, group: &str| {
        cluster(&format!(
            "  workerGroupSpecs:\n  - groupName: {group}\n    minReplicas: 1\n    maxReplicas: 1\n"
        ))
        .replace("name: odd", &format!("name: {name}"))
    };
    // Cluster names: 53 characters is the limit.
    let n53 = format!("c{}", "x".repeat(52));
    assert!(errors(&run(named(&n53, "g").as_bytes())).is_empty());
    let n54 = format!("c{}", "x".repeat(53));
    assert_eq!(
        errors(&run(named(&n54, "g").as_bytes())),
        [Code::ClusterNameTooLong]
    );
    // StatefulSet names: exactly 52 fits, 53 is shortened with a warning.
    let group_for = |len: usize| "g".repeat(len - "c-".len() - "-worker".len());
    let out = run(named("c", &group_for(52)).as_bytes());
    assert!(warnings(&out).is_empty(), "{:?}", out.diagnostics);
    let out = run(named("c", &group_for(53)).as_bytes());
    assert_eq!(warnings(&out), [Code::NameShortened]);
    for d in out.documents.values() {
        let name = d.value["metadata"]["name"].as_str().unwrap();
        assert!(name.len() <= 52, "{name}");
    }
    // Group names are label values: 63 characters at most.
    assert_eq!(
        errors(&run(named("c", &"g".repeat(64)).as_bytes())),
        [Code::InvalidGroupName]
    );
    // Ray labels: values up to 63, key names up to 63.
    let labels =
        |k: &str, v: &str| cluster(&format!("  headGroupSpec:\n    labels:\n      {k}: {v}\n"));
    assert!(errors(&run(labels("k", &"v".repeat(63)).as_bytes())).is_empty());
    assert_eq!(
        errors(&run(labels("k", &"v".repeat(64)).as_bytes())),
        [Code::InvalidRayLabels]
    );
    assert!(
        errors(&run(labels(
            &format!("example.com/{}", "k".repeat(63)),
            "v"
        )
        .as_bytes()))
        .is_empty()
    );
    assert_eq!(
        errors(&run(labels(&"k".repeat(64), "v").as_bytes())),
        [Code::InvalidRayLabels]
    );
}
