"""scripts/rbac-check.sh against the real API server's RBAC: a ServiceAccount bound to a Role
that allows some verbs; the helper must pass exactly when its lists match what RBAC decides.
Run under the control plane with KUBECTL set (scripts/kubelet-check.sh does)."""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import kubeapi  # noqa: E402

SCRIPT = os.path.join(HERE, "..", "rbac-check.sh")
NS = "rbac-test"


@pytest.fixture(scope="module")
def account():
    if not os.environ.get("KUBECONFIG") or not os.environ.get("KUBECTL"):
        pytest.fail("run under scripts/control-plane.sh with KUBECTL set")
    api = kubeapi.Api()
    api.post(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    )
    api.post(
        kubeapi.path_for("v1", "serviceaccounts", NS),
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "scaler"}},
    )
    rbac = "rbac.authorization.k8s.io/v1"
    api.post(
        kubeapi.path_for(rbac, "roles", NS),
        {
            "apiVersion": rbac,
            "kind": "Role",
            "metadata": {"name": "scaler"},
            "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
                {
                    "apiGroups": ["apps"],
                    "resources": ["statefulsets/scale"],
                    "verbs": ["get", "patch"],
                },
            ],
        },
    )
    api.post(
        kubeapi.path_for(rbac, "rolebindings", NS),
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": {"name": "scaler"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "scaler"},
            "subjects": [{"kind": "ServiceAccount", "name": "scaler", "namespace": NS}],
        },
    )
    return "scaler"


def rbac_check(*argv):
    return subprocess.run(["bash", SCRIPT, NS, *argv], capture_output=True, text=True)


def test_passes_when_the_lists_match_the_role(account):
    run = rbac_check(
        account,
        "--allow",
        "get pods",
        "--allow",
        "watch pods",
        "--allow",
        "patch statefulsets --subresource=scale",
        "--deny",
        "delete pods",
        "--deny",
        "patch statefulsets",
        "--deny",
        "get secrets",
        "--deny",
        "list pods --all-namespaces",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "rbac-check: 7 passed, 0 failed"


def test_a_subresource_is_not_its_parent(account):
    run = rbac_check(
        account, "--deny", "patch statefulsets", "--deny", "get statefulsets --subresource=status"
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_fails_a_verb_the_role_lacks(account):
    run = rbac_check(account, "--allow", "get pods", "--allow", "delete pods")
    assert run.returncode == 1
    assert "delete pods: can-i says 'no', want allow" in run.stderr
    assert run.stdout.splitlines()[-1] == "rbac-check: 1 passed, 1 failed"


def test_fails_a_verb_the_role_grants_but_must_not(account):
    run = rbac_check(account, "--deny", "list pods")
    assert run.returncode == 1 and "list pods: can-i says 'yes', want deny" in run.stderr


def test_an_unknown_resource_fails_even_as_a_deny(account):
    run = rbac_check(account, "--deny", "get podz")
    assert run.returncode == 1 and "get podz" in run.stderr


def test_refuses_a_malformed_call(account):
    assert rbac_check(account, "--permit", "get pods").returncode == 2
    assert rbac_check(account).returncode == 2
