"""scripts/apiserver_check.py: its comparisons and conversions, and, against the real control
plane, that it fails what the API server or the controllers refuse (a stand-in for raycc prints
hand-written manifests). The cluster tests run under scripts/control-plane.sh with KUBECTL set.
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import apiserver_check as check  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def test_differences_allow_added_defaults_only():
    want = {"spec": {"replicas": 2, "ports": [{"port": 80}], "env": [{"name": "A", "value": "1"}]}}
    have = {
        "spec": {
            "replicas": 2,
            "ports": [{"port": 80, "protocol": "TCP"}],
            "extra": 1,
            "env": [{"name": "A", "value": "1"}],
        }
    }
    assert check.differences(want, have) == []


def test_differences_find_dropped_and_changed_fields():
    want = {"spec": {"replicas": 2, "minReadySeconds": 5, "env": [{"name": "A"}, {"name": "B"}]}}
    have = {"spec": {"replicas": 3, "env": [{"name": "A"}]}}
    found = check.differences(want, have)
    assert ".spec.replicas: 2 became 3" in found
    assert ".spec.minReadySeconds: dropped (was 5)" in found
    assert ".spec.env: 2 items became 1" in found


def test_quantities_compare_by_value():
    want = {"resources": {"limits": {"cpu": "1000m", "memory": "1Gi"}}}
    assert (
        check.differences(want, {"resources": {"limits": {"cpu": "1", "memory": "1024Mi"}}}) == []
    )
    assert check.differences(want, {"resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}) != []
    assert check.differences({"name": "1000m"}, {"name": "1"}) != [], "only under resources"


def test_keyed_lists_may_gain_items_but_not_lose_them():
    want = {
        "volumes": [{"name": "shm", "emptyDir": {}}],
        "tolerations": [{"key": "gpu", "operator": "Exists"}],
    }
    have = {
        "volumes": [{"name": "token", "projected": {}}, {"name": "shm", "emptyDir": {}}],
        "tolerations": [{"key": "x"}, {"key": "gpu", "operator": "Exists", "effect": ""}],
    }
    assert check.differences(want, have) == []
    assert check.differences(want, {"volumes": [{"name": "token"}], "tolerations": []}) == [
        ".volumes[shm]: dropped",
        '.tolerations[0]: {"key": "gpu", "operator": "Exists"} dropped',
    ]


def test_a_secret_compares_decoded_with_string_data_folded_in():
    want = {"stringData": {"a": "x"}, "data": {"b": "eQ=="}}
    assert check.secret_bytes(want) == check.secret_bytes({"data": {"a": "eA==", "b": "e\nQ=="}})


def test_the_120_copy_converts_hpas_and_leaves_out_what_is_not_served():
    served = {
        ("v1", "Service"): ("services", True),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler"): ("horizontalpodautoscalers", True),
        ("apps/v1", "StatefulSet"): ("statefulsets", True),
    }
    objects = [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}},
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h"},
        },
        {"apiVersion": "example.io/v1", "kind": "Queue", "metadata": {"name": "q"}},
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "r"},
            "spec": {
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"},
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "c",
                                "securityContext": {
                                    "appArmorProfile": {"type": "RuntimeDefault"},
                                    "privileged": False,
                                },
                            }
                        ]
                    }
                }
            },
        },
    ]
    out, notes, left_out = check.for_120(objects, served)
    assert [o["apiVersion"] for o in out] == ["v1", "autoscaling/v2beta2", "apps/v1"]
    assert [o["kind"] for o in left_out] == ["Queue"]
    container = out[2]["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"] == {"privileged": False}
    assert out[2]["spec"]["serviceName"] == ""
    assert "persistentVolumeClaimRetentionPolicy" not in out[2]["spec"]
    assert (
        len(notes) == 5
        and objects[3]["spec"]["template"]["spec"]["containers"][0]["securityContext"][
            "appArmorProfile"
        ]
        and objects[3]["spec"]["persistentVolumeClaimRetentionPolicy"]
    ), "the input is not changed"


def test_the_120_copy_checks_read_write_once_pod_as_read_write_once():
    served = {("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True)}
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "c"},
        "spec": {"accessModes": ["ReadWriteOncePod"]},
    }
    out, notes, _ = check.for_120([claim], served)
    assert out[0]["spec"]["accessModes"] == ["ReadWriteOnce"] and len(notes) == 1
    assert claim["spec"]["accessModes"] == ["ReadWriteOncePod"], "the input is not changed"


STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: %(name)s}
spec:
  serviceName: %(name)s
  replicas: 1
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: %(selector)s}}
  template:
    metadata: {labels: {app: %(name)s}}
    spec:
      containers:
      - {name: c, image: busybox, command: [sleep, "1000"], env: [{name: A, value: "1"}]}
"""


@pytest.fixture(scope="module")
def run_check(tmp_path_factory):
    if not os.environ.get("KUBECONFIG") or not os.environ.get("KUBECTL"):
        pytest.fail("run under scripts/control-plane.sh with KUBECTL set")
    folder = tmp_path_factory.mktemp("inputs")
    fake = folder / "fake-raycc"
    fake.write_text('#!/bin/sh\n# stands for `raycc compile --color never FILE`\nexec cat "$4"\n')
    fake.chmod(0o755)

    def run(files):
        paths = []
        for name, text in files.items():
            (folder / name).write_text(text)
            paths.append(str(folder / name))
        out = folder / "out"
        return subprocess.run(
            [
                sys.executable,
                os.path.join(ROOT, "scripts", "apiserver_check.py"),
                "--raycc",
                str(fake),
                "--kubectl",
                os.environ["KUBECTL"],
                "--out",
                str(out),
                "--samples",
                str(folder / "no-samples"),
            ]
            + paths,
            capture_output=True,
            text=True,
        )

    return run


def test_a_valid_workload_passes_every_check(run_check):
    run = run_check({"good.yaml": STATEFULSET % {"name": "good", "selector": "good"}})
    assert run.returncode == 0, run.stdout
    for name in (
        "kubectl apply --dry-run=server",
        "StatefulSet good: the controller creates 1 Pods",
        "StatefulSet good: its Pods hold the template raycc wrote",
        "StatefulSet good: scaling to 0 through /scale gives 0 Pods",
        "StatefulSet good: scaling to 2 through /scale gives 2 Pods",
        "StatefulSet good: deleting it garbage-collects its Pods",
    ):
        assert f"ok   good.yaml: {name}" in run.stdout
    assert run.stdout.splitlines()[-1].endswith(" 0 failed")


def test_a_selector_that_misses_the_template_fails_the_server_checks(run_check):
    run = run_check({"bad.yaml": STATEFULSET % {"name": "bad", "selector": "other"}})
    assert run.returncode == 1
    assert "FAIL bad.yaml: kubectl apply --dry-run=server" in run.stdout
    assert "`selector` does not match template `labels`" in run.stdout


def test_two_objects_with_one_identity_fail(run_check):
    one = STATEFULSET % {"name": "twice", "selector": "twice"}
    run = run_check({"twice.yaml": one + "---\n" + one})
    assert run.returncode == 1
    assert "FAIL twice.yaml: 2 objects, each identity once" in run.stdout


AUTOSCALER_RBAC = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: scaler}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: scaler, labels: {app.kubernetes.io/created-by: raycc}}
rules:
- {apiGroups: [""], resources: [pods], verbs: [create, delete, list]}
- {apiGroups: [""], resources: [podtemplates], resourceNames: [group-worker], verbs: [get]}
%(extra)s
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: scaler, labels: {app.kubernetes.io/created-by: raycc}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: scaler}
subjects:
- {kind: ServiceAccount, name: scaler}
---
apiVersion: v1
kind: PodTemplate
metadata: {name: group-worker}
template:
  metadata: {labels: {ray.io/group: group}}
  spec:
    containers:
    - {name: c, image: busybox, command: [sleep, "1000"]}
"""


def test_the_autoscalers_role_and_templates_pass(run_check):
    run = run_check({"scaler.yaml": AUTOSCALER_RBAC % {"extra": ""}})
    assert run.returncode == 0, run.stdout
    assert (
        "ok   scaler.yaml: RoleBinding scaler: ServiceAccount scaler may do what the autoscaler"
        " needs and no more" in run.stdout
    )
    assert (
        "ok   scaler.yaml: PodTemplate group-worker: a Pod made from it is admitted unchanged"
        in run.stdout
    )


def test_a_role_that_grants_more_fails(run_check):
    extra = '- {apiGroups: [""], resources: [secrets], verbs: [get]}'
    run = run_check({"greedy.yaml": AUTOSCALER_RBAC % {"extra": extra}})
    assert run.returncode == 1
    assert "FAIL greedy.yaml: RoleBinding scaler" in run.stdout
    assert "get secrets: can-i says 'yes', want deny" in run.stdout
