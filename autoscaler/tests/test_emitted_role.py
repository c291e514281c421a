"""The Role raycc emits grants exactly the calls the provider makes (`RBAC_RULES`).

Reads the compiled output kept in golden/compile/autoscaling.yaml (raycc's golden tests keep it
equal to what raycc compiles), so a provider that needs a new call, or a Role that grants one it
does not need, fails here.
"""

import os

import yaml

import raycc_autoscaler

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "golden", "compile", "autoscaling.yaml")


def _granted(rules):
    return sorted(
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    )


def test_the_emitted_role_grants_exactly_the_providers_calls():
    with open(GOLDEN, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    roles = [d for d in docs if d["kind"] == "Role"]
    assert len(roles) == 1
    assert _granted(roles[0]["rules"]) == _granted(raycc_autoscaler.RBAC_RULES)
    # The PodTemplates are granted by name: the cluster's own, and no other.
    templates = sorted(d["metadata"]["name"] for d in docs if d["kind"] == "PodTemplate")
    named = [r for r in roles[0]["rules"] if r["resources"] == ["podtemplates"]]
    assert sorted(named[0]["resourceNames"]) == templates


def test_the_emitted_config_map_carries_this_provider():
    with open(GOLDEN, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    (config_map,) = [d for d in docs if d["kind"] == "ConfigMap"]
    with open(raycc_autoscaler.__file__, encoding="utf-8") as f:
        assert config_map["data"]["raycc_autoscaler.py"] == f.read()
