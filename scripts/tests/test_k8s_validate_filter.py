"""Unit tests of the copy scripts/k8s-validate.sh gives kubernetes-validate. No cluster needed."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import k8s_validate_filter as f  # noqa: E402

STREAM = """apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata:
  name: ray-a-pg
---
apiVersion: v1
kind: Service
metadata:
  name: a-head-svc
---
apiVersion: scheduling.x-k8s.io/v1alpha1
kind: PodGroup
metadata:
  name: a
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: a
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: a-head
"""


def test_leaves_out_the_documents_of_api_groups_outside_kubernetes():
    text, skipped = f.core_documents(STREAM)
    assert skipped == 2
    assert "PodGroup" not in text
    assert text == (
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: a-head-svc\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: a\n"
        "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: a-head\n"
    )


def test_keeps_kubernetes_own_groups_and_documents_without_an_api_version():
    assert f.is_core({"apiVersion": "v1"})
    assert f.is_core({"apiVersion": "autoscaling/v2"})
    assert f.is_core({"apiVersion": "scheduling.k8s.io/v1"})
    assert f.is_core({"kind": "List"})
    assert f.is_core(None)
    assert not f.is_core({"apiVersion": "ray.io/v1"})
    assert not f.is_core({"apiVersion": "scheduling.volcano.sh/v1beta1"})


def test_a_stream_of_only_custom_resources_becomes_empty():
    text, skipped = f.core_documents("apiVersion: ray.io/v1\nkind: RayCluster\n")
    assert (text, skipped) == ("", 1)
