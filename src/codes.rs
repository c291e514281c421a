//! Diagnostic codes: one stable `RCnnn` number and name per kind of problem, each with the
//! documentation that `raycc explain CODE` prints.
//!
//! Numbers are grouped by stage: `RC0xx` reading the input, `RC1xx` the JSON Schema,
//! `RC2xx` KubeRay's own validation rules, `RC3xx` raycc's rules about what it can compile.
//! A number is never reused; a test fails when two codes share one or a code has no doc.

use std::fmt::{self, Write as _};

use serde::{Serialize, Serializer};

use crate::diagnostic::Severity;

/// The documentation of one code.
#[derive(Debug)]
pub struct CodeInfo {
    /// `RC201`.
    pub id: &'static str,
    /// `min-replicas-above-max`.
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// What it checks.
    pub what: &'static str,
    /// Why it matters: what would break in the cluster.
    pub why: &'static str,
    /// An example that triggers it.
    pub example: &'static str,
    /// The fix.
    pub fix: &'static str,
    /// One line naming the next step, shown as a diagnostic's help when the stage that found
    /// the problem has nothing more specific to say.
    pub help: &'static str,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $name:literal, $sev:ident,
        summary: $summary:literal, what: $what:literal, why: $why:literal,
        example: $example:literal, fix: $fix:literal, help: $help:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in number order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code's documentation.
            #[must_use]
            pub fn info(self) -> &'static CodeInfo {
                match self {
                    $( Code::$variant => &CodeInfo {
                        id: $id, name: $name, severity: Severity::$sev, summary: $summary,
                        what: $what, why: $why, example: $example, fix: $fix, help: $help,
                    }, )*
                }
            }
        }
    };
}

codes! {
    /// The input is not valid YAML.
    YamlSyntax = "RC001", "yaml-syntax", Error,
        summary: "the input is not valid YAML",
        what: "The file could not be read as YAML: a bad indentation, a tab used for indentation, an unclosed quote or bracket.",
        why: "kubectl, Argo CD and Flux would refuse the same file; nothing in it can be compiled.",
        example: "spec:\n\tworkerGroupSpecs: []   # a tab indents this line",
        fix: "Fix the YAML at the reported position; indent with spaces only.",
        help: "fix the YAML at this position: indent with spaces only, and close every quote and bracket";
    /// A mapping repeats a key.
    DuplicateKey = "RC002", "duplicate-key", Error,
        summary: "a mapping has the same key twice",
        what: "Two entries of one YAML mapping have the same key.",
        why: "Tools disagree on which value wins (kubectl keeps the last one, some editors the first), so the cluster would not be what the reviewer read.",
        example: "spec:\n  rayVersion: \"2.52.0\"\n  rayVersion: \"2.9.0\"",
        fix: "Keep one of the entries.",
        help: "keep one of the two entries";
    /// A document is a list or a scalar.
    NotAnObject = "RC003", "not-an-object", Error,
        summary: "a YAML document is not a Kubernetes object",
        what: "A document in the stream is a list or a plain value instead of a mapping with `apiVersion` and `kind`.",
        why: "Only objects can be applied to a cluster; a stray value usually means a broken `---` separator or indentation.",
        example: "- apiVersion: ray.io/v1\n  kind: RayCluster",
        fix: "Make each document a mapping; put one object per `---` document.",
        help: "make each `---` document a mapping with `apiVersion` and `kind`, one object per document";
    /// The input exceeds a safety limit.
    InputLimit = "RC004", "input-limit", Error,
        summary: "the input exceeds a safety limit (size, nesting depth or alias expansion)",
        what: "The input is larger, deeper or expands more YAML aliases than raycc's documented limits allow.",
        why: "Such inputs (\"billion laughs\" alias bombs, absurd nesting) exist to exhaust memory or time in CI and in the Argo CD repo server.",
        example: "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]   # ... and so on",
        fix: "Write the document out plainly; real RayClusters are far below the limits.",
        help: "write the document out plainly, without deep nesting or chains of aliases";
    /// The input is not UTF-8.
    InvalidEncoding = "RC005", "invalid-encoding", Error,
        summary: "the input is not valid UTF-8",
        what: "A byte sequence in the file is not UTF-8.",
        why: "Kubernetes objects are JSON, which is UTF-8; the API server would reject the text.",
        example: "metadata:\n  name: caf\\xe9   # Latin-1 byte",
        fix: "Save the file as UTF-8.",
        help: "save the file as UTF-8";
    /// A RayCluster has an apiVersion raycc does not know.
    UnknownApiVersion = "RC006", "unknown-api-version", Error,
        summary: "a RayCluster has an apiVersion other than ray.io/v1 or ray.io/v1alpha1",
        what: "The document is `kind: RayCluster` but its apiVersion is not one KubeRay serves.",
        why: "The API server would reject the object; raycc cannot know which fields it means.",
        example: "apiVersion: ray.io/v2\nkind: RayCluster",
        fix: "Use `apiVersion: ray.io/v1`.",
        help: "use `apiVersion: ray.io/v1`";
    /// A kind that looks like a misspelled RayCluster.
    KindTypo = "RC007", "kind-typo", Error,
        summary: "a ray.io document has a kind that looks like a misspelled RayCluster",
        what: "The document's kind is close to `RayCluster` (or its apiVersion is ray.io and its kind is unknown to KubeRay).",
        why: "Passed through as is, the misspelled object would be rejected by the API server, or silently never become a Ray cluster.",
        example: "apiVersion: ray.io/v1\nkind: RayClustr",
        fix: "Spell the kind `RayCluster`.",
        help: "spell the kind `RayCluster`";
    /// ray.io/v1alpha1 is deprecated.
    DeprecatedApiVersion = "RC008", "deprecated-api-version", Warning,
        summary: "ray.io/v1alpha1 is deprecated",
        what: "The RayCluster uses `apiVersion: ray.io/v1alpha1`.",
        why: "KubeRay deprecated v1alpha1 and will stop serving it; raycc compiles it like v1.",
        example: "apiVersion: ray.io/v1alpha1\nkind: RayCluster",
        fix: "Change the apiVersion to `ray.io/v1`; every v1alpha1 field exists in v1.",
        help: "change the apiVersion to `ray.io/v1`";
    /// A mapping without apiVersion or kind.
    MissingKind = "RC009", "missing-kind", Error,
        summary: "a YAML document has no `apiVersion` or no `kind`, so it is not a Kubernetes object",
        what: "A document is a mapping, but it lacks `apiVersion`, `kind` or both: a Helm values file, a kustomization.yaml without a header, a RayCluster whose first lines were lost.",
        why: "Passed into the manifest stream, it would make `kubectl apply` and Argo CD refuse the whole stream; dropped, a RayCluster that lost its header would vanish from the output and be pruned from the cluster.",
        example: "# values.yaml next to the manifests\nimage:\n  tag: \"2.52.0\"",
        fix: "Add `apiVersion` and `kind` to objects. Keep files that are not manifests out of raycc's inputs: name the manifests on the command line, move the file out of the folder, or exclude it from the pre-commit hook with `exclude:`.",
        help: "add `apiVersion` and `kind`; if this file is not a Kubernetes manifest (a Helm values file, a kustomization), keep it out of raycc's inputs";
    /// A field the schema does not know.
    UnknownField = "RC101", "unknown-field", Error,
        summary: "a field is not part of the RayCluster or Kubernetes schema",
        what: "A key that no RayCluster field (or Kubernetes pod template field) has, usually a typo.",
        why: "The API server drops unknown fields silently (or rejects them under strict field validation), so the setting would never take effect.",
        example: "workerGroupSpecs:\n- groupName: cpu\n  minReplica: 1",
        fix: "Use the field name raycc suggests, or remove the field.",
        help: "remove the field, or rename it to a field this object has (`raycc schema` lists them)";
    /// A value of the wrong type.
    WrongType = "RC102", "wrong-type", Error,
        summary: "a value has the wrong type",
        what: "A value is a string where a number is expected, a list where a mapping is expected, and so on.",
        why: "The API server rejects the object, or a tool converts it to something unintended.",
        example: "workerGroupSpecs:\n- groupName: cpu\n  replicas: \"two\"",
        fix: "Write a value of the expected type; quote strings that look like numbers or booleans only where a string is expected.",
        help: "write a value of the type the message expects";
    /// A required field is missing.
    MissingField = "RC103", "missing-field", Error,
        summary: "a required field is missing",
        what: "An object lacks a field that the schema requires, such as `metadata.name` or a worker group's `groupName`.",
        why: "Without it the object cannot be named or built; the API server would reject it.",
        example: "workerGroupSpecs:\n- replicas: 1",
        fix: "Add the field.",
        help: "add the field";
    /// A value outside its allowed set.
    InvalidEnumValue = "RC104", "invalid-enum-value", Error,
        summary: "a value is not one of the allowed values",
        what: "A field that takes one of a fixed set of values has another value.",
        why: "The API server or KubeRay rejects the object.",
        example: "headGroupSpec:\n  serviceType: ClusterIp",
        fix: "Use one of the values listed in the message (they are case-sensitive).",
        help: "use one of the values the message lists (they are case-sensitive)";
    /// A number out of range.
    OutOfRange = "RC105", "out-of-range", Error,
        summary: "a number is out of range",
        what: "A number is outside the range of its field, such as a 32-bit integer above 2147483647.",
        why: "The API server rejects the object.",
        example: "workerGroupSpecs:\n- groupName: cpu\n  maxReplicas: 99999999999",
        fix: "Use a number inside the range given in the message.",
        help: "use a number inside the range the message gives";
    /// A malformed Kubernetes quantity.
    InvalidQuantity = "RC106", "invalid-quantity", Error,
        summary: "a resource quantity is not a Kubernetes quantity",
        what: "A CPU, memory or other resource amount does not follow the Kubernetes quantity syntax.",
        why: "The API server rejects the Pod template, so the cluster never starts.",
        example: "resources:\n  limits:\n    cpu: 2 cores",
        fix: "Write quantities like `500m`, `2`, `4Gi`, `1.5`.",
        help: "write a Kubernetes quantity such as `500m`, `2`, `4Gi` or `1.5`";
    /// Any other schema violation.
    SchemaViolation = "RC108", "schema-violation", Error,
        summary: "a value violates the schema",
        what: "A value breaks a schema constraint not covered by a more specific code.",
        why: "The API server would reject the object.",
        example: "(depends on the constraint)",
        fix: "Follow the message; `raycc schema` prints the whole schema.",
        help: "follow the message; `raycc schema` prints the whole schema";
    /// A field that ray.io/v1alpha1 does not have.
    NotInV1alpha1 = "RC109", "not-in-v1alpha1", Warning,
        summary: "a ray.io/v1alpha1 RayCluster uses a field only ray.io/v1 has, or lacks one v1alpha1 requires",
        what: "KubeRay's CRD serves ray.io/v1alpha1 with the schema frozen in December 2023: no gcsFaultToleranceOptions, authOptions, managedBy, numOfHosts, group resources or labels, idleTimeoutSeconds, autoscalerOptions.version, and rayStartParams is required in every group. raycc compiles the file as ray.io/v1, as written.",
        why: "Applied to a cluster with the operator, the API server drops the fields v1alpha1 does not have (the cluster silently loses them) and refuses a group without rayStartParams; KubeRay plans to stop serving v1alpha1 in 1.9.",
        example: "apiVersion: ray.io/v1alpha1\nkind: RayCluster\nspec:\n  workerGroupSpecs:\n  - groupName: tpu\n    numOfHosts: 2",
        fix: "Change the apiVersion to `ray.io/v1`.",
        help: "change the apiVersion to `ray.io/v1`, or remove what ray.io/v1alpha1 does not have";
    /// minReplicas above maxReplicas.
    MinAboveMax = "RC201", "min-replicas-above-max", Error,
        summary: "a worker group's minReplicas is greater than its maxReplicas",
        what: "KubeRay's rule that a worker group's minReplicas is at most its maxReplicas.",
        why: "The group has no valid size: KubeRay refuses the cluster, and an HPA with min above max is rejected by the API server.",
        example: "workerGroupSpecs:\n- groupName: cpu\n  minReplicas: 5\n  maxReplicas: 2",
        fix: "Make minReplicas less than or equal to maxReplicas.",
        help: "make minReplicas less than or equal to maxReplicas";
    /// A negative count.
    NegativeCount = "RC202", "negative-count", Error,
        summary: "a replica or host count is negative (or numOfHosts is below 1)",
        what: "minReplicas, maxReplicas and replicas must not be negative; numOfHosts must be at least 1.",
        why: "A StatefulSet cannot have a negative number of Pods; KubeRay refuses the cluster.",
        example: "workerGroupSpecs:\n- groupName: cpu\n  minReplicas: -1",
        fix: "Use zero or a positive number.",
        help: "use zero or a positive number (numOfHosts: 1 or more)";
    /// The cluster name is too long.
    ClusterNameTooLong = "RC203", "cluster-name-too-long", Error,
        summary: "the RayCluster name is longer than 53 characters",
        what: "KubeRay limits RayCluster names to 53 characters so that `<name>-serve-svc` fits a 63-character Service name.",
        why: "Service names derived from the cluster name would not fit Kubernetes' limits; KubeRay refuses the cluster.",
        example: "metadata:\n  name: a-very-long-cluster-name-that-goes-on-and-on-and-on-forever",
        fix: "Shorten the name to 53 characters or fewer.",
        help: "shorten the name to 53 characters or fewer";
    /// The cluster name is not a DNS-1035 label.
    InvalidClusterName = "RC204", "invalid-cluster-name", Error,
        summary: "the RayCluster name is missing or not a DNS-1035 label",
        what: "The name must consist of lower case letters, digits and '-', start with a letter and end with a letter or digit.",
        why: "It becomes part of Service names, which must be DNS-1035 labels; KubeRay refuses the cluster.",
        example: "metadata:\n  name: Ray_Cluster",
        fix: "Rename the cluster, e.g. `ray-cluster`.",
        help: "use lower case letters, digits and '-', starting with a letter, e.g. `ray-cluster`";
    /// Two worker groups share a name.
    DuplicateGroupName = "RC205", "duplicate-group-name", Error,
        summary: "two worker groups have the same groupName",
        what: "Worker group names must be unique within a RayCluster.",
        why: "Both groups would produce the same StatefulSet, Service and HPA names, and one would overwrite the other.",
        example: "workerGroupSpecs:\n- groupName: cpu\n- groupName: cpu",
        fix: "Give each group its own name.",
        help: "give each worker group its own groupName";
    /// A pod template without containers.
    NoContainer = "RC206", "no-container", Error,
        summary: "a pod template has no containers",
        what: "The head and every worker template need at least one container; the first one runs Ray.",
        why: "There would be nothing to run `ray start` in; KubeRay refuses the cluster.",
        example: "headGroupSpec:\n  template:\n    spec:\n      containers: []",
        fix: "Add a container (or drop `template` to get the default `rayproject/ray:<rayVersion>` container).",
        help: "add a container, or remove `template` to get the default `rayproject/ray:<rayVersion>` container";
    /// Resources set in both places.
    ResourcesSetTwice = "RC207", "resources-set-twice", Error,
        summary: "Ray resources are set both in rayStartParams and in the group's resources field",
        what: "A group sets `resources` while its rayStartParams also set num-cpus, num-gpus, memory or resources.",
        why: "KubeRay refuses the cluster because it is unclear which value Ray should advertise.",
        example: "rayStartParams:\n  num-cpus: \"2\"\nresources:\n  cpu: \"4\"",
        fix: "Use only the `resources` field (preferred) or only rayStartParams.",
        help: "set the resources in the group's `resources` field only, or in rayStartParams only";
    /// Bad Ray node labels.
    InvalidRayLabels = "RC208", "invalid-ray-labels", Error,
        summary: "Ray node labels are set in rayStartParams or are not valid Kubernetes labels",
        what: "`rayStartParams.labels` is not supported (use the group's `labels` field), and every label key and value must be a valid Kubernetes label.",
        why: "Group labels are also put on the Pods; an invalid label makes the API server reject the StatefulSet.",
        example: "labels:\n  \"bad key!\": x",
        fix: "Move labels to the `labels` field and use valid label keys and values.",
        help: "move the labels to the group's `labels` field, with valid label keys and values";
    /// Idle timeout misuse.
    InvalidIdleTimeout = "RC209", "invalid-idle-timeout", Error,
        summary: "idleTimeoutSeconds is negative, or set on a group without autoscaler v2",
        what: "KubeRay's rules for `idleTimeoutSeconds`: non-negative, and on a worker group only with `autoscalerOptions.version: v2`.",
        why: "KubeRay refuses the cluster; raycc uses the value as the HPA scale-down window.",
        example: "workerGroupSpecs:\n- groupName: cpu\n  idleTimeoutSeconds: -5",
        fix: "Use a non-negative value and set `spec.autoscalerOptions.version: v2` for per-group timeouts.",
        help: "use a non-negative value; per-group timeouts also need `spec.autoscalerOptions.version: v2`";
    /// Priority misuse.
    InvalidPriority = "RC210", "invalid-priority", Error,
        summary: "a worker group priority needs Ray 2.56 or later and autoscaler v2",
        what: "KubeRay's rules for a non-zero worker group `priority`.",
        why: "KubeRay refuses the cluster; older Ray ignores the field.",
        example: "rayVersion: \"2.52.0\"\nworkerGroupSpecs:\n- groupName: cpu\n  priority: 10",
        fix: "Set rayVersion to 2.56.0 or later and autoscalerOptions.version to v2, or drop priority.",
        help: "set rayVersion to 2.56.0 or later and autoscalerOptions.version to v2, or remove priority";
    /// Autoscaler configuration conflict.
    AutoscalerConflict = "RC211", "autoscaler-conflict", Error,
        summary: "the autoscaler settings contradict each other",
        what: "KubeRay's autoscaler rules: RAY_enable_autoscaler_v2 without autoscaling, both it and autoscalerOptions.version, a suspended group with autoscaling, a restartPolicy other than Never with autoscaler v2, KUBERAY_GEN_AUTOSCALER_START_CMD in autoscalerOptions.env, a negative autoscalerOptions.idleTimeoutSeconds.",
        why: "KubeRay refuses such a cluster; the scaling behaviour would be undefined.",
        example: "enableInTreeAutoscaling: true\nautoscalerOptions:\n  version: v2\nheadGroupSpec:\n  template:\n    spec:\n      restartPolicy: Always",
        fix: "Follow the message; use `autoscalerOptions.version` rather than the environment variable.",
        help: "make the autoscaler settings agree as the message says; prefer `autoscalerOptions.version` to the environment variable";
    /// Token authentication requirements.
    InvalidAuth = "RC212", "invalid-auth", Error,
        summary: "token authentication settings are inconsistent or need a newer Ray",
        what: "KubeRay's rules for `authOptions`: token mode needs rayVersion 2.52.0 or later, Kubernetes token auth needs 2.55.0, token mode, and no secretName.",
        why: "KubeRay refuses the cluster; older Ray versions do not understand the settings.",
        example: "rayVersion: \"2.9.0\"\nauthOptions:\n  mode: token",
        fix: "Raise rayVersion or change the auth settings as the message says.",
        help: "raise rayVersion, or change the auth settings as the message says";
    /// GCS fault tolerance conflict.
    GcsFtConflict = "RC213", "gcs-ft-conflict", Error,
        summary: "GCS fault tolerance is configured in conflicting ways",
        what: "KubeRay's GCS fault tolerance rules: gcsFaultToleranceOptions excludes the legacy annotation, redis-password/REDIS_PASSWORD/RAY_REDIS_ADDRESS and the external-storage-namespace annotation; RAY_REDIS_ADDRESS alone needs gcsFaultToleranceOptions; redis usernames go in the options only.",
        why: "KubeRay refuses the cluster; the head would connect to Redis with the wrong settings.",
        example: "gcsFaultToleranceOptions:\n  redisAddress: redis:6379\nheadGroupSpec:\n  rayStartParams:\n    redis-password: x",
        fix: "Configure Redis only through gcsFaultToleranceOptions.",
        help: "configure Redis only through gcsFaultToleranceOptions";
    /// Group name unusable in Kubernetes names.
    InvalidGroupName = "RC214", "invalid-group-name", Error,
        summary: "a worker group name cannot be used in Kubernetes names and labels",
        what: "The group name becomes part of the StatefulSet, Service and HPA names and the `ray.io/group` label, so it must be a valid label value that lower-cases to a DNS label.",
        why: "The API server would reject the generated objects.",
        example: "workerGroupSpecs:\n- groupName: gpu_workers",
        fix: "Use lower case letters, digits and '-', e.g. `gpu-workers`.",
        help: "use lower case letters, digits and '-', e.g. `gpu-workers`";
    /// No image can be determined.
    MissingImage = "RC215", "missing-image", Error,
        summary: "a Ray container has no image and none can be derived",
        what: "A Ray container has no `image`, and there is no `rayVersion` to derive `rayproject/ray:<rayVersion>` from.",
        why: "A Pod without an image is rejected by the API server.",
        example: "spec:\n  workerGroupSpecs:\n  - groupName: cpu   # no template, no rayVersion",
        fix: "Set `spec.rayVersion` or give the container an image.",
        help: "set `spec.rayVersion` or give the container an image";
    /// networkPolicy settings KubeRay refuses.
    InvalidNetworkPolicy = "RC216", "invalid-network-policy", Error,
        summary: "spec.networkPolicy is inconsistent with its mode or its worker groups",
        what: "KubeRay's rules for `spec.networkPolicy`: ingress rules only when the mode denies ingress (DenyAll, DenyAllIngress), egress rules only when it denies egress (DenyAll, DenyAllEgress), every `workerGroups` entry names an existing group, and every group name is a DNS-1123 label (it is part of the NetworkPolicy's name).",
        why: "KubeRay refuses the cluster; a rule for a direction the mode leaves open would never apply, and a misspelled group would silently get the `worker` rules.",
        example: "networkPolicy:\n  mode: DenyAllEgress\n  head:\n    ingressRules:\n    - from: [{podSelector: {}}]",
        fix: "Change the mode, or move the rules to the direction it denies; name only existing groups.",
        help: "change the mode, or move the rules to the direction it denies; name only existing groups";
    /// tlsOptions with settings the TLS setup owns.
    InvalidTlsOptions = "RC217", "invalid-tls-options", Error,
        summary: "mutual TLS is on and a template sets what it manages",
        what: "With `tlsOptions.enabled`, the Ray containers and `autoscalerOptions` must not set `RAY_USE_TLS`, `RAY_TLS_SERVER_CERT`, `RAY_TLS_SERVER_KEY` or `RAY_TLS_CA_CERT`, nor mount a volume named `ray-tls` or at `/etc/ray/tls` (KubeRay's rules); a Pod template must not have its own volume named `ray-tls` or `ray-tls-ca`, or an init container named `issue-tls-cert` (raycc's, which adds them).",
        why: "KubeRay refuses the cluster: the user's settings would silently replace the certificates the cluster's CA issues, and Ray would fail the TLS handshakes.",
        example: "tlsOptions:\n  enabled: true\nheadGroupSpec:\n  template:\n    spec:\n      containers:\n      - name: ray-head\n        env:\n        - {name: RAY_USE_TLS, value: \"1\"}",
        fix: "Remove the variables and mounts: raycc sets them.",
        help: "remove the variables and mounts: raycc sets them";
    /// historyServerOptions KubeRay refuses.
    InvalidHistoryServer = "RC218", "invalid-history-server", Error,
        summary: "historyServerOptions cannot run the collector",
        what: "KubeRay's rules for `historyServerOptions`: `collectorOptions` with an `image`; `STORAGE_BACKEND` set to a literal value in its `env`, with the variables its backend needs (`GCS_BUCKET` for GCS, `S3_REGION` for S3, the Azure connection string or account URL for AZUREBLOB, `OSS_BUCKET`, `OSS_ENDPOINT` and `OSS_REGION` for ALIYUNOSS); none of the variables the collector is given (`POD_IP`, `FQ_RAY_IP`, `RAY_CLUSTER_NAME`, `RAY_CLUSTER_NAMESPACE`, `RAY_ROLE`, `OWNER_KIND`, `OWNER_NAME`, `EVENTS_PORT`); and no container of the Pod templates named `ray-history-collector`.",
        why: "KubeRay refuses the cluster; the collector could not start or would upload nowhere.",
        example: "historyServerOptions:\n  collectorOptions:\n    image: quay.io/kuberay/collector:v1.7.0\n    env:\n    - {name: STORAGE_BACKEND, value: S3}",
        fix: "Set what the message names (here `S3_REGION`).",
        help: "set the variables the message names, and leave out those KubeRay manages";
    /// The serve Service has no port.
    NoServePort = "RC219", "no-serve-port", Error,
        summary: "the serve Service is asked for, but the head has no serving port",
        what: "With the annotation `ray.io/enable-serve-service: \"true\"`, the head's Ray container must have a port named `serve` or `serve-<something>` (`serve-grpc`), or no ports at all (then the default `serve: 8000` applies).",
        why: "The operator cannot build the serve Service and its reconcile fails before it creates any Pod; raycc refuses the same file.",
        example: "metadata:\n  annotations:\n    ray.io/enable-serve-service: \"true\"\nspec:\n  headGroupSpec:\n    template:\n      spec:\n        containers:\n        - name: ray-head\n          ports:\n          - {name: dashboard, containerPort: 8265}",
        fix: "Add `- {name: serve, containerPort: 8000}` to the head's ports, or remove the annotation.",
        help: "add `- {name: serve, containerPort: 8000}` to the head's ports, or remove the annotation";
    /// A generated name was shortened.
    NameShortened = "RC301", "name-shortened", Warning,
        summary: "a generated object name was too long and was shortened",
        what: "A StatefulSet name longer than 52 characters (the controller-revision-hash label limit) or a Service or HPA name longer than 63 characters was cut and given a short hash suffix.",
        why: "The shortened name is stable, but it is not the name you might search for; other objects referring to the long name would not find it.",
        example: "metadata:\n  name: a-rather-long-cluster-name-for-training\nspec:\n  workerGroupSpecs:\n  - groupName: gpu-workers-with-a-long-name",
        fix: "Shorten the cluster or group name if you want the plain name.",
        help: "shorten the cluster or group name to keep the plain name";
    /// A rayStartParams value ray start would reject.
    InvalidRayStartParam = "RC302", "invalid-ray-start-param", Error,
        summary: "a rayStartParams value would be rejected by `ray start`",
        what: "num-cpus, num-gpus, memory, object-store-memory and the port flags must be numbers (memory flags in bytes), and `resources` must be a JSON object. A value that is one shell variable (`$RAY_NUM_CPUS` or `${RAY_NUM_CPUS}`) passes unchecked: bash expands it when the container starts, as it does under the operator.",
        why: "`ray start` exits at once, so every Pod of the group crash-loops.",
        example: "rayStartParams:\n  num-cpus: \"two\"",
        fix: "Write the number, e.g. `num-cpus: \"2\"`, or move resources into the group's `resources` field.",
        help: "write a plain number (memory flags in bytes), or move resources to the group's `resources` field";
    /// An unknown ray start flag.
    UnknownRayStartParam = "RC303", "unknown-ray-start-param", Warning,
        summary: "a rayStartParams key is not a known `ray start` flag",
        what: "The key is not among the flags of `ray start` known to raycc.",
        why: "`ray start` fails on unknown options, so Pods would crash-loop; the flag may be new, hence only a warning.",
        example: "rayStartParams:\n  num-cpu: \"2\"",
        fix: "Check the spelling against `ray start --help`.",
        help: "check the spelling against `ray start --help`";
    /// replicas outside [min, max].
    ReplicasClamped = "RC304", "replicas-clamped", Warning,
        summary: "replicas is outside [minReplicas, maxReplicas] and was clamped",
        what: "A worker group's replicas is below minReplicas or above maxReplicas.",
        why: "KubeRay clamps it silently; raycc does the same but says so, since the Pod count differs from what the file says.",
        example: "workerGroupSpecs:\n- groupName: cpu\n  replicas: 10\n  minReplicas: 1\n  maxReplicas: 3",
        fix: "Set replicas inside the range.",
        help: "set replicas between minReplicas and maxReplicas";
    /// An HPA cannot scale to zero.
    HpaMinZero = "RC305", "hpa-min-zero", Warning,
        summary: "an autoscaled group has minReplicas 0, but an HPA cannot scale to zero",
        what: "The group is autoscaled by a HorizontalPodAutoscaler, whose minReplicas must be at least 1.",
        why: "The group keeps at least one replica running, unlike Ray's autoscaler, which could scale it to zero.",
        example: "enableInTreeAutoscaling: true\nworkerGroupSpecs:\n- groupName: cpu\n  minReplicas: 0\n  maxReplicas: 4",
        fix: "Accept one idle replica, or set minReplicas to 1 to make it explicit.",
        help: "set minReplicas to 1 to make the idle replica explicit";
    /// HPA without a CPU request.
    HpaNoCpuRequest = "RC306", "hpa-no-cpu-request", Warning,
        summary: "an autoscaled group's Ray container has no CPU request",
        what: "The HPA scales on CPU utilization, which is measured against the container's CPU request.",
        why: "Without a request the HPA cannot compute utilization and never scales.",
        example: "resources:\n  limits:\n    memory: 4Gi",
        fix: "Set `resources.requests.cpu` (or `limits.cpu`, which Kubernetes copies into requests).",
        help: "set `resources.requests.cpu` on the Ray container";
    /// Multi-host replicas are not gang-scheduled.
    MultiHostNotGang = "RC307", "multi-host-not-gang", Warning,
        summary: "numOfHosts > 1: a multi-host replica is not scheduled as one unit",
        what: "The group has numOfHosts above 1; raycc runs replicas × numOfHosts Pods in one StatefulSet.",
        why: "Kubernetes schedules each Pod on its own, so a replica may be partly running (KubeRay scales whole replicas).",
        example: "workerGroupSpecs:\n- groupName: tpu\n  numOfHosts: 4",
        fix: "Use a gang scheduler (Kueue, Volcano) if a partial replica is a problem.",
        help: "use a gang scheduler (Kueue, Volcano) if a partly running replica is a problem";
    /// A feature that needs the operator.
    UnsupportedFeature = "RC308", "unsupported-feature", Error,
        summary: "the RayCluster uses a KubeRay feature that cannot work without the operator",
        what: "Features that need the operator at run time or that KubeRay hides behind feature gates: network policies, mutual TLS, the history server collector, clusters managed by another controller.",
        why: "Dropping them would give a cluster less secure or less durable than the file says, so raycc refuses instead.",
        example: "spec:\n  networkPolicy:\n    mode: DenyAll",
        fix: "Remove the field and create the equivalent objects (NetworkPolicy, Certificates) yourself, or run this cluster with the KubeRay operator.",
        help: "remove the field and create the equivalent objects yourself, or run this cluster with the KubeRay operator";
    /// A setting raycc ignores.
    IgnoredFeature = "RC309", "ignored-feature", Warning,
        summary: "a RayCluster setting only the operator acts on is ignored",
        what: "Settings that only change what the operator does: enableIngress, upgradeStrategy, scaleStrategy, the autoscaler sidecar's own options, the serve Service annotation, group suspend.",
        why: "The compiled objects do not reflect the setting; you may need to create the object (an Ingress, say) yourself.",
        example: "headGroupSpec:\n  enableIngress: true",
        fix: "Remove the setting, or create what it would have created yourself.",
        help: "remove the setting, or create what it would have created yourself";
    /// Something must exist in the cluster beforehand.
    ExternalPrerequisite = "RC310", "external-prerequisite", Warning,
        summary: "the cluster needs an object that raycc does not create",
        what: "The compiled cluster refers to an object the operator would have created, such as the token-auth Secret.",
        why: "The Pods stay pending until that object exists.",
        example: "authOptions:\n  mode: token   # the Secret <cluster> with key auth_token must exist",
        fix: "Create the object (the message names it), or name an existing one.",
        help: "create the object the message names before the cluster is applied";
    /// A raycc setting has an invalid value.
    InvalidSetting = "RC311", "invalid-setting", Error,
        summary: "a raycc.io annotation or option has an invalid value",
        what: "An annotation such as `raycc.io/worker-kind` or `raycc.io/hpa-cpu-utilization` has a value raycc does not accept, or a volume's storage annotations (`raycc.io/per-pod-claim`, `raycc.io/when-deleted`, `raycc.io/when-scaled`, `raycc.io/ray-use`) cannot be honoured as written: an unknown value, a retention policy without a per-Pod claim, two claims of one group with different policies, a Ray use for a volume the Ray container does not mount, or a mount path `ray start` cannot take unquoted.",
        why: "raycc cannot tell what you meant, and guessing would change the emitted objects.",
        example: "metadata:\n  annotations:\n    raycc.io/worker-kind: Pod",
        fix: "Use a value listed in the message.",
        help: "use a value listed in the message";
    /// The idle timeout does not fit an HPA window.
    HpaWindowClamped = "RC312", "hpa-window-clamped", Warning,
        summary: "an idle timeout is longer than an HPA scale-down window can be",
        what: "The idle timeout becomes the HPA's scale-down stabilization window, which Kubernetes limits to 3600 seconds.",
        why: "Idle workers are removed after one hour instead of the configured time.",
        example: "autoscalerOptions:\n  idleTimeoutSeconds: 7200",
        fix: "Use an idle timeout of at most 3600 seconds.",
        help: "use an idle timeout of at most 3600 seconds";
    /// A name the API server would refuse.
    InvalidName = "RC313", "invalid-name", Error,
        summary: "a name in the cluster would be refused by the API server",
        what: "Every name raycc copies into its output is checked by the Kubernetes rule for its field: the namespace and container and volume names (RFC 1123 labels), the names of referenced Secrets, ConfigMaps, claims and the service account (RFC 1123 subdomains), Secret and ConfigMap keys, and port names (IANA service names).",
        why: "The JSON Schema checks only that these are strings; `kubectl apply` would refuse the generated object, after review, and Argo CD or Flux would report a failed sync.",
        example: "metadata:\n  namespace: <your-namespace>",
        fix: "Replace the placeholder or fix the name as the message says.",
        help: "replace the placeholder, or fix the name as the message says";
    /// Ray too old for raycc's autoscaler.
    AutoscalerRayVersion = "RC314", "autoscaler-ray-version", Error,
        summary: "the Ray version is too old for raycc's autoscaler",
        what: "With enableInTreeAutoscaling, the head's sidecar runs Ray's own v1 autoscaler with raycc's node provider, from the Ray image. The provider uses autoscaler interfaces that exist from Ray 2.6.0 on.",
        why: "With an older Ray the sidecar would fail at start, and no worker would ever be created.",
        example: "spec:\n  rayVersion: \"2.5.1\"\n  enableInTreeAutoscaling: true",
        fix: "Use Ray 2.6.0 or newer, or scale with HorizontalPodAutoscalers (annotation `raycc.io/autoscaler: hpa`).",
        help: "use Ray 2.6.0 or newer, or scale with HorizontalPodAutoscalers (annotation `raycc.io/autoscaler: hpa`)";
    /// Something asks for autoscaler v2.
    AutoscalerV1Only = "RC315", "autoscaler-v1-only", Warning,
        summary: "an autoscaler v2 setting is ignored: raycc runs Ray's v1 autoscaler",
        what: "`autoscalerOptions.version: v2`, a head `RAY_enable_autoscaler_v2` variable, and the v2-only group fields `idleTimeoutSeconds` and `priority`. Ray's autoscaler v2 cannot load an external node provider, so raycc runs v1 and sets `RAY_enable_autoscaler_v2` to false on the head.",
        why: "v1 applies one idle timeout, `autoscalerOptions.idleTimeoutSeconds`, to every group, and knows no group priorities: a group's own setting has no effect.",
        example: "workerGroupSpecs:\n- groupName: gpu\n  idleTimeoutSeconds: 300",
        fix: "Remove the v2 settings and set `autoscalerOptions.idleTimeoutSeconds` for the cluster.",
        help: "remove the v2 settings and set `autoscalerOptions.idleTimeoutSeconds` for the cluster";
    /// An autoscaled group's resources are unknown.
    AutoscalerUnknownResources = "RC316", "autoscaler-unknown-resources", Warning,
        summary: "the autoscaler cannot know a group's CPU count",
        what: "The autoscaler decides which group can serve pending work from each group's Ray resources, which raycc takes from `num-cpus` or the Ray container's CPU limit or request.",
        why: "Without them Ray counts the CPUs of the machine once a node runs; a group with minReplicas 0 has no node to learn from, so no work that needs CPUs scales it up.",
        example: "workerGroupSpecs:\n- groupName: cpu\n  minReplicas: 0\n  template:\n    spec:\n      containers:\n      - name: ray-worker",
        fix: "Set `resources.limits.cpu` on the Ray container, or `num-cpus` in rayStartParams.",
        help: "set `resources.limits.cpu` on the Ray container, or `num-cpus` in rayStartParams";
    /// An HPA cannot scale a multi-host group.
    HpaMultiHost = "RC317", "hpa-multi-host", Warning,
        summary: "a HorizontalPodAutoscaler cannot scale a multi-host group in whole replicas",
        what: "Under `raycc.io/autoscaler: hpa`, a worker group with numOfHosts > 1 gets no HorizontalPodAutoscaler: it runs one workload per replica with its replica count.",
        why: "An HPA adds and removes single Pods, so a multi-host replica (a TPU slice, say) would run partly, which is useless and holds its accelerators.",
        example: "metadata:\n  annotations:\n    raycc.io/autoscaler: hpa\nspec:\n  enableInTreeAutoscaling: true\n  workerGroupSpecs:\n  - groupName: tpu\n    numOfHosts: 4\n    minReplicas: 0\n    maxReplicas: 2",
        fix: "Let Ray's autoscaler scale the cluster (remove the annotation): it adds and removes whole replicas.",
        help: "remove the `raycc.io/autoscaler: hpa` annotation so that Ray's autoscaler scales whole replicas";
    /// Two output documents are one object.
    DuplicateObject = "RC318", "duplicate-object", Error,
        summary: "two documents of the output are the same Kubernetes object",
        what: "Every object raycc generates and every document it passes through is identified by its API group, kind, namespace and name; no two may share one, across RayClusters and files. A document without a namespace meets only others without one.",
        why: "The API server stores one object per identity: the second apply fails or silently replaces the first, so what runs is not what was reviewed. A typical cause is the input keeping an object raycc now generates, such as its own `<cluster>-head-svc` Service beside the RayCluster.",
        example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: train-head-svc   # raycc generates this from RayCluster train\n---\napiVersion: ray.io/v1\nkind: RayCluster\nmetadata:\n  name: train",
        fix: "Remove the written copy of a generated object, or give the RayClusters different names or namespaces.",
        help: "remove the written copy of the generated object, or give the RayClusters different names or namespaces";
    /// A per-Pod claim on a group that runs as a Deployment.
    PerPodClaimDeployment = "RC319", "per-pod-claim-deployment", Error,
        summary: "a per-Pod claim is asked for in a group that runs as a Deployment",
        what: "A Pod template volume whose `ephemeral.volumeClaimTemplate` carries `raycc.io/per-pod-claim: \"true\"` becomes a claim template of the group's StatefulSet. The group runs as a Deployment (`raycc.io/worker-kind` or `--worker-kind deployment`), which has no claim templates.",
        why: "A Deployment's Pods share one template and have no stable identity, so there is nothing to tie a claim to: dropping the request would give every Pod a volume that disappears with it, which is not what the file asks for.",
        example: "metadata:\n  annotations:\n    raycc.io/worker-kind: Deployment\nspec:\n  workerGroupSpecs:\n  - groupName: cpu\n    template:\n      spec:\n        volumes:\n        - name: spill\n          ephemeral:\n            volumeClaimTemplate:\n              metadata:\n                annotations:\n                  raycc.io/per-pod-claim: \"true\"",
        fix: "Run the group as a StatefulSet (`raycc.io/worker-kind.<group>: StatefulSet`), or remove the annotation to keep a volume that lives as long as its Pod.",
        help: "run the group as a StatefulSet, or remove the `raycc.io/per-pod-claim` annotation";
    /// A per-Pod claim on a group that Ray's autoscaler scales.
    PerPodClaimAutoscaled = "RC320", "per-pod-claim-autoscaled", Warning,
        summary: "a per-Pod claim in an autoscaled group lives only as long as its Pod",
        what: "A Pod template volume asks for a per-Pod claim (`raycc.io/per-pod-claim: \"true\"`) in a worker group that Ray's autoscaler scales. The autoscaler creates bare Pods from the group's PodTemplate, and only a StatefulSet can keep a claim for a Pod that comes back; raycc keeps the generic ephemeral volume as written.",
        why: "Kubernetes creates the ephemeral volume's claim with the Pod and deletes it with the Pod: the data is gone when the autoscaler removes the node. That is right for spilled objects and logs of a node that no longer exists, but it is not a claim that outlives the Pod.",
        example: "enableInTreeAutoscaling: true\nworkerGroupSpecs:\n- groupName: cpu\n  template:\n    spec:\n      volumes:\n      - name: spill\n        ephemeral:\n          volumeClaimTemplate:\n            metadata:\n              annotations:\n                raycc.io/per-pod-claim: \"true\"",
        fix: "Remove the annotation if a volume per Pod is what you need, or scale the group without Ray's autoscaler (fixed replicas, or `raycc.io/autoscaler: hpa`) to keep claims across Pods.",
        help: "remove the annotation, or scale the group without Ray's autoscaler to keep claims across Pods";
    /// raycc keeps a Ray storage setting the user made.
    RayStorageKept = "RC321", "ray-storage-kept", Warning,
        summary: "a volume asks Ray to use it, but the group already sets that itself",
        what: "A volume's claim template asks for `raycc.io/ray-use: object-spilling` or `tmp-ray`, and the group already chooses that place itself: `object-spilling-directory`, `temp-dir` or `system-config` in rayStartParams, or another volume mounted at /tmp/ray. raycc keeps what the group sets and does not add its own.",
        why: "Ray would not use the volume for what the annotation says: spilled objects or session files go where the group's own setting puts them.",
        example: "rayStartParams:\n  object-spilling-directory: /scratch\ntemplate:\n  spec:\n    volumes:\n    - name: spill\n      ephemeral:\n        volumeClaimTemplate:\n          metadata:\n            annotations:\n              raycc.io/ray-use: object-spilling",
        fix: "Remove either the group's own setting or the annotation.",
        help: "remove either the group's own setting or the annotation";
    /// Ray sets the spilling directory for the whole cluster.
    SpillingClusterWide = "RC322", "spilling-cluster-wide", Error,
        summary: "this Ray version spills every node's objects to the directory the head sets",
        what: "Before Ray 2.55.0 a worker node spills to the directory of the head's spilling config, whatever it sets itself. raycc can point spilling at volumes only when the head and every worker group ask for object spilling on a volume mounted at the same path.",
        why: "A worker would spill to the head's path on its own filesystem, outside its volume, which fills the node's disk or fails on a read-only root filesystem.",
        example: "rayVersion: \"2.52.0\"\nheadGroupSpec: {}   # no spilling volume\nworkerGroupSpecs:\n- groupName: cpu\n  template: ...      # a volume with raycc.io/ray-use: object-spilling",
        fix: "Use Ray 2.55.0 or newer, or give the head and every worker group a spilling volume mounted at the same path.",
        help: "use Ray 2.55.0 or newer, or give the head and every worker group a spilling volume mounted at the same path";
    /// Two objects would be written to one file of `-o DIR`.
    FileNameCollision = "RC323", "file-name-collision", Error,
        summary: "two objects would be written to the same file of `-o DIR`",
        what: "`compile -o DIR` writes each object to `<namespace>/<kind>-<name>.yaml`, so two objects with the same kind (whatever their API groups), namespace and name would share a file.",
        why: "One would overwrite the other, and Argo CD or Flux would apply only one of them.",
        example: "apiVersion: v1\nkind: Service\nmetadata:\n  name: serve\n---\napiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: serve",
        fix: "Rename one of the two objects.",
        help: "rename one of the two objects";
    /// An object whose kind or names cannot make a file name.
    UnusableFileName = "RC324", "unusable-file-name", Error,
        summary: "an object's kind, name or namespace cannot be used as a file name under `-o DIR`",
        what: "`compile -o DIR` names each file after the object's kind, namespace and name, which must then be lower-case DNS names (letters, digits, '-' and '.'), so that no input can write outside the folder.",
        why: "A name such as `../x` or `system:admin` would have to be changed, or could escape the output folder.",
        example: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:ray-reader",
        fix: "Give the object a DNS name, or compile to standard output instead of writing a folder.",
        help: "give the object a lower-case DNS name, or compile to standard output instead of `-o DIR`";
    /// A worker group's NetworkPolicy leaves no DNS.
    NetworkPolicyBlocksDns = "RC325", "network-policy-blocks-dns", Warning,
        summary: "a NetworkPolicy denies a worker group's DNS lookups",
        what: "Under `networkPolicy.mode` DenyAll or DenyAllEgress, a worker group's egress rules (its `workerGroups` entry, else `worker`) have none that allows port 53. As in KubeRay, only traffic between the cluster's own Pods is allowed implicitly.",
        why: "Workers reach the head by its Service's DNS name: without DNS their `wait-gcs-ready` init container waits forever and they never join the cluster.",
        example: "networkPolicy:\n  mode: DenyAll",
        fix: "Add an egress rule to the cluster DNS on port 53 (UDP and TCP), as KubeRay's network-policy-deny-all sample does; a named or unrestricted port also counts.",
        help: "add an egress rule to the cluster DNS on port 53 (UDP and TCP), as KubeRay's network-policy-deny-all sample does; a named or unrestricted port also counts";
    /// A batch-scheduling request raycc compiles without, or only in part.
    BatchSchedulerUnsupported = "RC326", "batch-scheduler-unsupported", Warning,
        summary: "a batch-scheduling request is compiled without (part of) what it asks for",
        what: "The RayCluster asks for batch scheduling in a way raycc cannot honour in full: gang scheduling (`ray.io/gang-scheduling-enabled`) without naming a scheduler, a scheduler raycc does not compile for (`kubernetes-was`, an unknown `ray.io/scheduler-name`), labels of another scheduler than the chosen one, or KAI Scheduler, which groups Pods by their top owner (a StatefulSet, not the RayCluster) or needs a queue label.",
        why: "KubeRay takes the scheduler from its --batch-scheduler flag, which raycc does not have; what raycc cannot see or express is left out, so the Pods may start one by one instead of as a gang, or not at all.",
        example: "metadata:\n  labels:\n    ray.io/gang-scheduling-enabled: \"true\"   # but which scheduler?",
        fix: "Name the scheduler with the annotation `raycc.io/batch-scheduler: volcano` (or yunikorn, kai-scheduler, scheduler-plugins), and remove labels meant for another one.",
        help: "name the scheduler with the annotation `raycc.io/batch-scheduler`, or run this cluster with the KubeRay operator";
    /// Batch-scheduling settings the scheduler or the operator would refuse.
    InvalidBatchScheduling = "RC327", "invalid-batch-scheduling", Error,
        summary: "the batch-scheduling labels are contradictory or invalid",
        what: "Labels that name two batch schedulers (say `volcano.sh/queue-name` and `kai.scheduler/queue`) without `raycc.io/batch-scheduler` choosing one, and Volcano settings its PodGroup cannot carry: a queue that is not a DNS subdomain, a network topology mode other than `hard` or `soft`, a highest tier that is not a whole number of at least 0. Also a gang whose size overflows.",
        why: "raycc cannot tell which scheduler you mean; the operator fails to create the PodGroup for an invalid tier, and the API server refuses one with an invalid queue or mode, so no Pod would be scheduled.",
        example: "metadata:\n  labels:\n    volcano.sh/network-topology-mode: soft\n    volcano.sh/network-topology-highest-tier-allowed: two",
        fix: "Keep the labels of one scheduler (or choose it with `raycc.io/batch-scheduler`), and fix the value as the message says.",
        help: "keep the labels of one batch scheduler, with values its PodGroup can carry";
    /// The Redis cleanup is asked for a cluster without Redis.
    RedisCleanupWithoutRedis = "RC328", "redis-cleanup-without-redis", Warning,
        summary: "the Redis cleanup Job is asked for, but the cluster keeps no GCS state in Redis",
        what: "The annotation `raycc.io/redis-cleanup` asks for the Job that deletes the cluster's storage namespace from Redis after the cluster is deleted, but the cluster keeps no GCS state in Redis: GCS fault tolerance is off (no `gcsFaultToleranceOptions`, no `ray.io/ft-enabled: \"true\"`), or it uses the embedded RocksDB backend, whose state lives on the head's volume.",
        why: "There is nothing to clean up, so no Job is emitted; the annotation probably belongs to another cluster, or fault tolerance was meant to be on.",
        example: "metadata:\n  annotations:\n    raycc.io/redis-cleanup: argocd\nspec:\n  rayVersion: \"2.52.0\"   # no gcsFaultToleranceOptions",
        fix: "Remove the annotation, or turn on GCS fault tolerance with `gcsFaultToleranceOptions.redisAddress`.",
        help: "remove the annotation, or turn on GCS fault tolerance with gcsFaultToleranceOptions.redisAddress";
}

impl Code {
    /// `RC201`.
    #[must_use]
    pub fn id(self) -> &'static str {
        self.info().id
    }

    /// The code's one-line help: the next step, for a diagnostic that has no more specific one.
    #[must_use]
    pub fn help(self) -> &'static str {
        self.info().help
    }

    /// Default severity.
    #[must_use]
    pub fn severity(self) -> Severity {
        self.info().severity
    }

    /// Finds a code by `RC201` (any case) or by name (`min-replicas-above-max`).
    #[must_use]
    pub fn lookup(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| {
            c.info().id.eq_ignore_ascii_case(text) || c.info().name.eq_ignore_ascii_case(text)
        })
    }

    /// The full documentation, as `raycc explain` prints it.
    #[must_use]
    pub fn explain(self) -> String {
        let i = self.info();
        let example = i.example.lines().fold(String::new(), |mut acc, l| {
            let _ = writeln!(acc, "    {l}");
            acc
        });
        format!(
            "{id} {name} ({severity}): {summary}\n\n## What it checks\n{what}\n\n## Why it matters\n{why}\n\n## Example\n{example}\n## Fix\n{fix}\n",
            id = i.id,
            name = i.name,
            severity = i.severity,
            summary = i.summary,
            what = i.what,
            why = i.why,
            fix = i.fix,
        )
    }
}

impl Code {
    /// The documentation as Markdown: headings, and the example as a fenced YAML block.
    #[must_use]
    pub fn explain_markdown(self) -> String {
        let i = self.info();
        format!(
            "**{id} {name}** ({severity}): {summary}\n\n## What it checks\n{what}\n\n## Why it matters\n{why}\n\n## Example\n```yaml\n{example}\n```\n\n## Fix\n{fix}\n",
            id = i.id,
            name = i.name,
            severity = i.severity,
            summary = i.summary,
            what = i.what,
            why = i.why,
            example = i.example,
            fix = i.fix,
        )
    }

    /// The documentation as plain text, for viewers that show text as it is.
    #[must_use]
    pub fn explain_text(self) -> String {
        let i = self.info();
        let example = i.example.lines().fold(String::new(), |mut acc, l| {
            let _ = writeln!(acc, "    {l}");
            acc
        });
        format!(
            "{id} {name} ({severity}): {summary}\n\nWhat it checks: {what}\n\nWhy it matters: {why}\n\nExample:\n{example}\nFix: {fix}\n",
            id = i.id,
            name = i.name,
            severity = i.severity,
            summary = i.summary,
            what = i.what,
            why = i.why,
            fix = i.fix,
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_code_has_a_unique_number_and_name() {
        let ids: BTreeSet<_> = Code::ALL.iter().map(|c| c.id()).collect();
        let names: BTreeSet<_> = Code::ALL.iter().map(|c| c.info().name).collect();
        assert_eq!(ids.len(), Code::ALL.len());
        assert_eq!(names.len(), Code::ALL.len());
    }

    #[test]
    fn every_code_is_fully_documented() {
        for c in Code::ALL {
            let i = c.info();
            assert!(i.id.starts_with("RC") && i.id.len() == 5, "{}", i.id);
            for part in [i.summary, i.what, i.why, i.example, i.fix, i.help] {
                assert!(!part.trim().is_empty(), "{} has an empty doc part", i.id);
            }
        }
    }

    #[test]
    fn codes_are_listed_in_number_order() {
        let ids: Vec<_> = Code::ALL.iter().map(|c| c.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn docs_come_as_markdown_and_as_plain_text() {
        for c in Code::ALL {
            let i = c.info();
            let markdown = c.explain_markdown();
            assert!(markdown.contains("## Fix\n"), "{}", i.id);
            assert!(
                markdown.contains(&format!("```yaml\n{}\n```", i.example)),
                "{}",
                i.id
            );
            let text = c.explain_text();
            assert!(!text.contains("## ") && !text.contains("```"), "{}", i.id);
            for part in [i.summary, i.what, i.why, i.fix] {
                assert!(text.contains(part) && markdown.contains(part), "{}", i.id);
            }
        }
    }

    #[test]
    fn lookup_accepts_id_and_name() {
        assert_eq!(Code::lookup("rc201"), Some(Code::MinAboveMax));
        assert_eq!(
            Code::lookup("min-replicas-above-max"),
            Some(Code::MinAboveMax)
        );
        assert_eq!(Code::lookup("RC999"), None);
    }
}
