//! raycc where users put it, driven the way each tool drives it: the Argo CD plugin's own
//! commands read from `deploy/argocd/plugin.yaml` and run as the CMP server runs them, a
//! Helm-style manifest stream through `raycc compile -`, `raycc krm` fed the `ResourceList`s
//! kustomize writes, the kustomize legacy plugin script, the pre-commit hook entries, and
//! `compile -o DIR --kustomization`. The checks that need the real tools (pre-commit,
//! kubectl's kustomize) are in `scripts/integrations.sh`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::harness::{
    assert_exit, documents, raycc, raycc_command, raycc_stdin, root, temp_dir, with_stdin,
};

/// `PATH` with the folder of the raycc under test first, as an installed raycc would be.
fn path_with_raycc() -> OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_raycc")).parent().unwrap();
    let mut dirs = vec![bin.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// Runs a command with `input` on stdin.
fn run(mut cmd: Command, input: &[u8]) -> Output {
    with_stdin(
        cmd.env("PATH", path_with_raycc()).env_remove("NO_COLOR"),
        input,
    )
}

fn yaml_file(rel: &str) -> Value {
    let mut d = documents(&fs::read(root().join(rel)).unwrap());
    assert_eq!(d.len(), 1, "{rel} holds one document");
    d.remove(0)
}

fn kinds(objects: &[Value]) -> Vec<String> {
    objects
        .iter()
        .map(|o| {
            format!(
                "{} {}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

const CLUSTER: &str = "\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: train
spec:
  rayVersion: \"2.52.0\"
  workerGroupSpecs:
  - groupName: cpu
    replicas: 1
    minReplicas: 1
    maxReplicas: 2
";

/// [`CLUSTER`] with minReplicas above maxReplicas (RC201 at line 10, column 18).
fn invalid_cluster() -> String {
    CLUSTER.replace("minReplicas: 1", "minReplicas: 5")
}

const CONFIGMAP: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  a: \"1\"
";

// ---- Argo CD -------------------------------------------------------------------------------

/// The command and args of a plugin.yaml step (`generate`, or `discover.find`), as the CMP
/// server runs them: argv is command + args, no shell of its own.
fn plugin_step(pointer: &str) -> Command {
    let plugin = yaml_file("deploy/argocd/plugin.yaml");
    let step = plugin.pointer(pointer).unwrap();
    let argv: Vec<&str> = step["command"]
        .as_array()
        .unwrap()
        .iter()
        .chain(step["args"].as_array().into_iter().flatten())
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..]);
    cmd
}

/// Runs the plugin's generate command in `app` with the build environment Argo CD sets.
fn argo_generate(app: &Path, params: &[(&str, &str)]) -> Output {
    let mut cmd = plugin_step("/spec/generate");
    cmd.current_dir(app)
        .env("ARGOCD_APP_NAME", "ray-train")
        .env("ARGOCD_APP_NAMESPACE", "ml")
        .env("ARGOCD_APP_PROJECT_NAME", "default")
        .env(
            "ARGOCD_APP_REVISION",
            "0123456789abcdef0123456789abcdef01234567",
        )
        .env("ARGOCD_APP_SOURCE_PATH", "clusters/train")
        .env(
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example/platform.git",
        )
        .env("ARGOCD_APP_SOURCE_TARGET_REVISION", "HEAD")
        .env("KUBE_VERSION", "1.33.0");
    for (k, v) in params {
        cmd.env(k, v);
    }
    run(cmd, b"")
}

fn argo_app(files: &[(&str, &str)]) -> PathBuf {
    let app = temp_dir("argo-app");
    for (name, text) in files {
        let p = app.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    app
}

#[test]
fn argo_cd_generate_compiles_the_app_folder_into_the_app_namespace() {
    let app = argo_app(&[("ray.yaml", CLUSTER), ("extra/settings.yaml", CONFIGMAP)]);
    let out = argo_generate(&app, &[]);
    assert_exit(&out, 0);
    assert!(out.stderr.is_empty(), "a clean run logs nothing");
    let objects = documents(&out.stdout);
    assert_eq!(
        kinds(&objects),
        [
            "ConfigMap settings",
            "Service train-head-svc",
            "Service train-cpu-worker",
            "StatefulSet train-head",
            "StatefulSet train-cpu-worker"
        ]
    );
    for o in &objects[1..] {
        assert_eq!(
            o["metadata"]["namespace"], "ml",
            "{}",
            o["metadata"]["name"]
        );
    }
    // The passthrough keeps its own namespace (none): Argo CD applies it to the destination.
    assert!(objects[0]["metadata"].get("namespace").is_none());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("train-head-svc.ml.svc.cluster.local:6379")
    );
}

#[test]
fn argo_cd_generate_reads_parameters_from_param_variables() {
    let app = argo_app(&[("ray.yaml", CLUSTER)]);
    let out = argo_generate(
        &app,
        &[
            ("PARAM_WORKER_KIND", "deployment"),
            ("PARAM_CLUSTER_DOMAIN", "corp.example"),
        ],
    );
    assert!(out.status.success());
    let objects = documents(&out.stdout);
    assert_eq!(objects[3]["kind"], "Deployment");
    assert!(String::from_utf8_lossy(&out.stdout).contains("train-head-svc.ml.svc.corp.example"));
}

#[test]
fn argo_cd_generate_fails_on_warnings_when_asked() {
    // Autoscaled from zero, without a CPU count: warning RC316.
    let autoscaled = CLUSTER
        .replace("spec:\n", "spec:\n  enableInTreeAutoscaling: true\n")
        .replace("minReplicas: 1", "minReplicas: 0");
    let app = argo_app(&[("ray.yaml", &autoscaled)]);
    let ok = argo_generate(&app, &[]);
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stderr).contains("warning[RC316]"));
    let denied = argo_generate(&app, &[("PARAM_DENY_WARNINGS", "true")]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(denied.stdout.is_empty());
}

#[test]
fn argo_cd_generate_fails_with_located_errors_and_no_manifests() {
    let app = argo_app(&[
        ("ray.yaml", &invalid_cluster()),
        ("settings.yaml", CONFIGMAP),
    ]);
    let out = argo_generate(&app, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing for Argo CD to prune with");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[RC201]"), "{stderr}");
    assert!(stderr.contains("./ray.yaml:10:18"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "no colour in Argo CD's logs");
}

#[test]
fn argo_cd_discover_matches_only_folders_with_a_raycluster() {
    let with = argo_app(&[("a/b/ray.yml", CLUSTER), ("settings.yaml", CONFIGMAP)]);
    let mut cmd = plugin_step("/spec/discover/find");
    cmd.current_dir(&with);
    let out = run(cmd, b"");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "./a/b/ray.yml");

    // However the kind is written: quoted, with a comment, with CRLF line ends.
    for (i, kind) in [
        "kind: \"RayCluster\"",
        "kind: 'RayCluster'",
        "kind: RayCluster # compiled by raycc",
        "kind:   RayCluster\r",
    ]
    .iter()
    .enumerate()
    {
        let text = CLUSTER.replacen("kind: RayCluster", kind, 1);
        assert!(text.contains(kind), "the fixture lost its kind line");
        let app = argo_app(&[("ray.yaml", &text), ("settings.yaml", CONFIGMAP)]);
        let mut cmd = plugin_step("/spec/discover/find");
        cmd.current_dir(&app);
        let out = run(cmd, b"");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "./ray.yaml",
            "case {i}: {kind:?}"
        );
    }

    let without = argo_app(&[
        ("settings.yaml", CONFIGMAP),
        ("notes.txt", "kind: RayCluster"),
        ("other.yaml", "kind: RayClusterTemplate\n"),
        ("indented.yaml", "items:\n- kind: RayCluster\n"),
    ]);
    let mut cmd = plugin_step("/spec/discover/find");
    cmd.current_dir(&without);
    let out = run(cmd, b"");
    assert!(out.status.success(), "no match is not an error");
    assert!(out.stdout.is_empty());
}

#[test]
fn argo_cd_plugin_announces_the_parameters_generate_reads() {
    let plugin = yaml_file("deploy/argocd/plugin.yaml");
    let script = plugin["spec"]["generate"]["args"][0].as_str().unwrap();
    for p in plugin["spec"]["parameters"]["static"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let var = format!("PARAM_{}", name.to_ascii_uppercase().replace('-', "_"));
        assert!(script.contains(&var), "generate ignores parameter {name}");
    }
}

// ---- Helm post-renderer --------------------------------------------------------------------

/// What `helm template my ray-cluster` of KubeRay's chart looks like, plus a ConfigMap from
/// another template, with the annotation Helm 3.10+ adds before post-rendering.
const HELM_STREAM: &str = "\
---
# Source: ray-cluster/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: my-settings
  labels:
    helm.sh/chart: ray-cluster-1.4.2
    app.kubernetes.io/instance: my
    app.kubernetes.io/managed-by: Helm
  annotations:
    postrenderer.helm.sh/postrender-filename: ray-cluster/templates/configmap.yaml
data:
  mode: \"on\"
---
# Source: ray-cluster/templates/raycluster-cluster.yaml
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  labels:
    helm.sh/chart: ray-cluster-1.4.2
    app.kubernetes.io/instance: my
    app.kubernetes.io/version: \"1.4.2\"
    app.kubernetes.io/managed-by: Helm
  name: my-kuberay
  annotations:
    postrenderer.helm.sh/postrender-filename: ray-cluster/templates/raycluster-cluster.yaml
spec:
  headGroupSpec:
    serviceType: ClusterIP
    rayStartParams:
      dashboard-host: \"0.0.0.0\"
    template:
      metadata:
        labels:
          helm.sh/chart: ray-cluster-1.4.2
          app.kubernetes.io/instance: my
          app.kubernetes.io/managed-by: Helm
      spec:
        containers:
        - volumeMounts:
          - mountPath: /tmp/ray
            name: log-volume
          name: ray-head
          image: rayproject/ray:2.41.0
          imagePullPolicy: IfNotPresent
          resources:
            limits:
              cpu: \"1\"
              memory: 2G
            requests:
              cpu: \"1\"
              memory: 2G
        volumes:
        - emptyDir: {}
          name: log-volume
  workerGroupSpecs:
  - rayStartParams: {}
    replicas: 1
    minReplicas: 1
    maxReplicas: 5
    numOfHosts: 1
    groupName: workergroup
    template:
      metadata:
        labels:
          helm.sh/chart: ray-cluster-1.4.2
          app.kubernetes.io/instance: my
          app.kubernetes.io/managed-by: Helm
      spec:
        containers:
        - name: ray-worker
          image: rayproject/ray:2.41.0
          resources:
            limits:
              cpu: \"1\"
              memory: 1G
            requests:
              cpu: \"1\"
              memory: 1G
---
# Source: ray-cluster/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: my-token
  annotations:
    postrenderer.helm.sh/postrender-filename: ray-cluster/templates/secret.yaml
    helm.sh/hook: pre-install
type: Opaque
stringData:
  token: \"0755\"
";

#[test]
fn helm_post_renderer_expands_rayclusters_and_passes_everything_else_through() {
    let out = raycc_stdin(&["compile", "-"], HELM_STREAM.as_bytes());
    assert_exit(&out, 0);
    let input = documents(HELM_STREAM.as_bytes());
    let output = documents(&out.stdout);
    assert_eq!(
        kinds(&output),
        [
            "ConfigMap my-settings",
            "Service my-kuberay-head-svc",
            "Service my-kuberay-workergroup-worker",
            "StatefulSet my-kuberay-head",
            "StatefulSet my-kuberay-workergroup-worker",
            "Secret my-token"
        ]
    );
    // Other objects come out exactly as they went in: Helm's labels, annotations and hooks,
    // and strings a YAML 1.1 reader could misread ("on", "0755").
    assert_eq!(output[0], input[0]);
    assert_eq!(output[5], input[2]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("mode: \"on\""), "{text}");
    assert!(text.contains("token: \"0755\""), "{text}");
    // The chart's Pod template labels reach the Pods.
    assert_eq!(
        output[3]["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/instance"],
        "my"
    );
}

#[test]
fn helm_post_renderer_fails_helm_on_an_invalid_raycluster() {
    let stream = format!("---\n{CONFIGMAP}---\n{}", invalid_cluster());
    let out = raycc_stdin(&["compile", "-"], stream.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:18:18"));
}

#[test]
fn helm_4_plugin_script_runs_the_post_renderer() {
    let script = root().join("examples/helm/raycc-postrenderer/postrender.sh");
    let out = run(Command::new(script), HELM_STREAM.as_bytes());
    assert!(out.status.success());
    assert_eq!(documents(&out.stdout).len(), 6);
}

// ---- kustomize -----------------------------------------------------------------------------

fn resource_list(items: &[Value], config: &Value) -> Vec<u8> {
    let list = json!({
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": config,
    });
    raycc::emit::to_yaml(&list).into_bytes()
}

fn with_annotations(yaml: &str, annotations: Value) -> Value {
    let mut v = documents(yaml.as_bytes()).remove(0);
    v["metadata"]["annotations"] = annotations;
    v
}

#[test]
fn krm_function_compiles_a_transformer_resource_list() {
    // What kustomize hands a transformer: items with their file and id annotations.
    let cm = with_annotations(
        CONFIGMAP,
        json!({
            "config.kubernetes.io/index": "0",
            "internal.config.kubernetes.io/index": "0",
            "config.kubernetes.io/path": "base/settings.yaml",
            "internal.config.kubernetes.io/path": "base/settings.yaml",
            "config.k8s.io/id": "1",
            "internal.config.kubernetes.io/id": "1",
        }),
    );
    let ray = with_annotations(
        CLUSTER,
        json!({
            "config.kubernetes.io/index": "1",
            "internal.config.kubernetes.io/index": "1",
            "config.kubernetes.io/path": "base/ray.yaml",
            "internal.config.kubernetes.io/path": "base/ray.yaml",
            "config.k8s.io/id": "2",
            "internal.config.kubernetes.io/id": "2",
        }),
    );
    let config = yaml_file("examples/krm/raycc.yaml");
    let out = raycc_stdin(&["krm"], &resource_list(&[cm.clone(), ray], &config));
    assert_exit(&out, 0);
    assert!(out.stderr.is_empty());
    let list = documents(&out.stdout).remove(0);
    assert_eq!(list["kind"], "ResourceList");
    assert_eq!(list["apiVersion"], "config.kubernetes.io/v1");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0], cm, "other items keep every annotation");
    assert_eq!(
        kinds(&items[1..]),
        [
            "Service train-head-svc",
            "Service train-cpu-worker",
            "StatefulSet train-head",
            "StatefulSet train-cpu-worker"
        ]
    );
    let head = &items[3]["metadata"];
    assert_eq!(head["namespace"], "ml", "options from the example's spec");
    assert_eq!(
        head["annotations"]["internal.config.kubernetes.io/path"],
        "base/ml/statefulset-train-head.yaml"
    );
    assert_eq!(
        head["annotations"]["config.kubernetes.io/path"],
        "base/ml/statefulset-train-head.yaml"
    );
    assert_eq!(head["annotations"]["config.kubernetes.io/index"], "0");
    assert!(head["annotations"].get("config.k8s.io/id").is_none());
}

#[test]
fn krm_function_reports_errors_in_results_and_on_stderr() {
    let ray = with_annotations(
        &invalid_cluster(),
        json!({"internal.config.kubernetes.io/path": "ray.yaml"}),
    );
    let config = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "raycc"}, "data": {"workerKind": "StatefulSet"}});
    let out = raycc_stdin(
        &["krm", "--color", "never"],
        &resource_list(&[ray], &config),
    );
    assert_eq!(out.status.code(), Some(1));
    let list = documents(&out.stdout).remove(0);
    assert_eq!(
        list["results"][0],
        json!({
            "message": "[RC201] worker group cpu has minReplicas 5 greater than maxReplicas 2",
            "severity": "error",
            "resourceRef": {"apiVersion": "ray.io/v1", "kind": "RayCluster", "name": "train"},
            "field": {"path": "spec.workerGroupSpecs[0].minReplicas"},
            "file": {"path": "ray.yaml", "index": 0},
            "tags": {"code": "RC201", "help": list["results"][0]["tags"]["help"].clone()},
        })
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[RC201]"), "{stderr}");
    assert!(stderr.contains("--> ray.yaml (document 0)"), "{stderr}");
    assert!(stderr.contains("field: spec.workerGroupSpecs[0].minReplicas"));
}

#[test]
fn krm_function_refuses_bad_input_and_bad_options_with_exit_2() {
    let not_a_list = raycc_stdin(&["krm"], CONFIGMAP.as_bytes());
    assert_eq!(not_a_list.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_a_list.stderr).contains("not a ResourceList"));

    let typo = json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"workerkind": "x"}});
    let out = raycc_stdin(&["krm"], &resource_list(&[], &typo));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option `data.workerkind`"));
    assert!(out.stdout.is_empty());
}

#[test]
fn krm_function_as_a_generator_passes_its_local_config_through() {
    // kustomize hands a generator its own config, marked local, as the only item; it drops it
    // from the output again.
    let mut config = yaml_file("examples/krm/raycc.yaml");
    config["metadata"]["annotations"]["config.kubernetes.io/local-config"] = json!("true");
    let out = raycc_stdin(
        &["krm"],
        &resource_list(std::slice::from_ref(&config), &config),
    );
    assert!(out.status.success());
    assert_eq!(documents(&out.stdout)[0]["items"], json!([config]));
}

#[test]
fn kustomize_legacy_plugin_compiles_the_files_its_config_names() {
    // kustomize runs the plugin in the kustomization folder with the config's path as $1 and
    // `argsOneLiner` split after it.
    let example = root().join("examples/kustomize");
    let config = yaml_file("examples/kustomize/raycc.yaml");
    let args: Vec<&str> = config["argsOneLiner"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    let mut cmd = Command::new(example.join("plugin/raycc.io/v1alpha1/raycc/Raycc"));
    cmd.current_dir(&example)
        .arg(example.join("raycc.yaml"))
        .args(args);
    let out = run(cmd, b"");
    assert_exit(&out, 0);
    let objects = documents(&out.stdout);
    assert_eq!(objects[2]["kind"], "StatefulSet");
    assert_eq!(objects[2]["metadata"]["namespace"], "ml");
}

#[test]
fn kustomize_plugin_lives_where_its_config_says() {
    let config = yaml_file("examples/kustomize/raycc.yaml");
    let kind = config["kind"].as_str().unwrap();
    let plugin = root()
        .join("examples/kustomize/plugin")
        .join(config["apiVersion"].as_str().unwrap())
        .join(kind.to_ascii_lowercase())
        .join(kind);
    assert!(plugin.is_file(), "{}", plugin.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_ne!(
            fs::metadata(&plugin).unwrap().permissions().mode() & 0o111,
            0
        );
    }
}

// ---- Flux: rendered manifests --------------------------------------------------------------

#[test]
fn compile_writes_a_kustomization_listing_the_rendered_files() {
    let dir = temp_dir("rendered");
    let src = dir.join("ray.yaml");
    fs::write(&src, CLUSTER).unwrap();
    let out_dir = dir.join("rendered");
    let o = out_dir.to_str().unwrap();
    let s = src.to_str().unwrap();
    let write = raycc(&["compile", "--kustomization", "-o", o, s]);
    assert!(write.status.success());
    let k = fs::read_to_string(out_dir.join("kustomization.yaml")).unwrap();
    assert!(k.starts_with(raycc::layout::HEADER));
    let listed: Vec<String> = documents(k.as_bytes())[0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    let mut on_disk: Vec<String> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "kustomization.yaml")
        .collect();
    on_disk.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, on_disk);

    let check = |extra: &[&str]| {
        let mut args = vec!["compile", "--check", "-o", o, s];
        args.extend_from_slice(extra);
        raycc(&args).status.code()
    };
    assert_eq!(check(&["--kustomization"]), Some(0));
    // Without the flag the kustomization is a file raycc wrote that it would not write now.
    assert_eq!(check(&[]), Some(1));
    // --prune without the flag removes it.
    assert!(raycc(&["compile", "--prune", "-o", o, s]).status.success());
    assert!(!out_dir.join("kustomization.yaml").exists());
}

// ---- pre-commit ----------------------------------------------------------------------------

fn hooks() -> Vec<Value> {
    yaml_file(".pre-commit-hooks.yaml")
        .as_array()
        .unwrap()
        .clone()
}

/// Runs a hook's entry the way pre-commit does: entry words, then args, then file names.
fn run_hook(id: &str, args: &[&str], files: &[&Path]) -> Output {
    let hook = hooks().into_iter().find(|h| h["id"] == id).unwrap();
    let entry: Vec<String> = hook["entry"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(entry[0], "raycc");
    let mut cmd = raycc_command(&[]);
    cmd.args(&entry[1..]).args(args).args(files);
    run(cmd, b"")
}

#[test]
fn pre_commit_hooks_install_the_wheel_and_have_rust_twins() {
    let hooks = hooks();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "raycc-validate",
            "raycc-compile-check",
            "raycc-validate-rust",
            "raycc-compile-check-rust"
        ]
    );
    let (python, rust) = hooks.split_at(2);
    for (p, r) in python.iter().zip(rust) {
        assert_eq!(p["language"], "python");
        assert_eq!(r["language"], "rust");
        assert_eq!(r["id"], format!("{}-rust", p["id"].as_str().unwrap()));
        // Apart from how raycc is installed, the twins are the same hook.
        let same = |h: &Value| {
            let mut h = h.clone();
            for key in ["id", "language", "description"] {
                h.as_object_mut().unwrap().remove(key);
            }
            h
        };
        assert_eq!(same(p), same(r));
    }
    assert_eq!(hooks[1]["pass_filenames"], false);
}

/// pre-commit's `pip install .` installs the root pyproject.toml, which must pin the raycc
/// wheel of this very version; the wheel takes its version from Cargo.toml.
#[test]
fn the_hook_package_pins_the_wheel_of_this_version() {
    let version = env!("CARGO_PKG_VERSION");
    let root_project = fs::read_to_string(root().join("pyproject.toml")).unwrap();
    assert!(
        root_project.contains(&format!("\nversion = \"{version}\"\n")),
        "pyproject.toml: version must be {version}"
    );
    assert!(
        root_project.contains(&format!("dependencies = [\"raycc=={version}\"]")),
        "pyproject.toml must depend on raycc=={version}"
    );
    let wheel_project = fs::read_to_string(root().join("pypi/pyproject.toml")).unwrap();
    assert!(wheel_project.contains("dynamic = [\"version\"]"));
    assert!(wheel_project.contains("manifest-path = \"../Cargo.toml\""));
    assert!(wheel_project.contains("bindings = \"bin\""));
}

#[test]
fn pre_commit_validate_hook_passes_other_yaml_and_fails_bad_rayclusters() {
    let dir = temp_dir("hook");
    let files = [
        ("good.yaml", CLUSTER),
        ("list.yaml", "- id: not-kubernetes\n"),
        (
            "chart-template.yaml",
            "metadata:\n  name: {{ .Release.Name }}\n",
        ),
        ("settings.yaml", CONFIGMAP),
    ];
    let paths: Vec<PathBuf> = files
        .iter()
        .map(|(n, t)| {
            let p = dir.join(n);
            fs::write(&p, t).unwrap();
            p
        })
        .collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let out = run_hook("raycc-validate", &[], &refs);
    assert_exit(&out, 0);

    let bad = dir.join("bad.yaml");
    fs::write(&bad, invalid_cluster()).unwrap();
    let out = run_hook("raycc-validate", &[], &[&bad]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:10:18", bad.display())),
        "{stderr}"
    );
}

#[test]
fn pre_commit_compile_check_hook_fails_when_the_rendered_folder_is_stale() {
    let dir = temp_dir("hook-check");
    let src = dir.join("ray.yaml");
    fs::write(&src, CLUSTER).unwrap();
    let rendered = dir.join("rendered");
    let args = ["-o", rendered.to_str().unwrap(), src.to_str().unwrap()];
    assert_eq!(
        run_hook("raycc-compile-check", &args, &[]).status.code(),
        Some(1)
    );
    assert!(!rendered.exists(), "the hook writes nothing");
    let mut write = vec!["compile"];
    write.extend_from_slice(&args);
    assert!(raycc(&write).status.success());
    assert!(run_hook("raycc-compile-check", &args, &[]).status.success());
}

// ---- GitHub Actions ------------------------------------------------------------------------

#[test]
fn github_workflow_runs_raycc_commands_that_exist() {
    // Each `raycc ...` line of the workflow, run in a checkout-like folder: whatever it finds,
    // clap must accept every subcommand and flag (a usage error prints `Usage:`).
    let workflow = yaml_file("examples/github-actions.yaml");
    let checkout = temp_dir("checkout");
    fs::create_dir_all(checkout.join("clusters")).unwrap();
    fs::write(checkout.join("clusters/ray.yaml"), CLUSTER).unwrap();
    let mut seen = Vec::new();
    for step in workflow["jobs"]["raycc"]["steps"].as_array().unwrap() {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        for line in script.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("raycc ") else {
                continue;
            };
            let words: Vec<String> = rest
                .split_whitespace()
                .take_while(|w| *w != ">")
                .map(|w| w.replace("${{ github.base_ref }}", "main").replace('"', ""))
                .collect();
            let mut cmd = raycc_command(&[]);
            cmd.current_dir(&checkout).args(&words);
            let out = run(cmd, b"");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("Usage:"), "`raycc {rest}`: {stderr}");
            seen.push(words[0].clone());
        }
    }
    assert_eq!(seen, ["validate", "compile", "diff"]);
}
