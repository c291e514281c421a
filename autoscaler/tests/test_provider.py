"""The node provider's Kubernetes calls, driven through Ray's NodeProvider interface the way the
v1 StandardAutoscaler drives it each round: non_terminated_nodes, create_node / terminate_nodes,
post_process."""

import shutil
import subprocess

import pytest
from ray.autoscaler.tags import (
    NODE_KIND_HEAD,
    NODE_KIND_WORKER,
    STATUS_UP_TO_DATE,
    TAG_RAY_NODE_KIND,
    TAG_RAY_NODE_STATUS,
    TAG_RAY_USER_NODE_TYPE,
)

import raycc_autoscaler
from conftest import CLUSTER, HEAD_STS, NAMESPACE, group, provider_config
from fake_kube import FakeKube


def autoscaler_round(provider, launch=None, terminate=()):
    """One autoscaler round: what Ray sees, then Ray's decisions, then the end of the round."""
    nodes = provider.non_terminated_nodes({})
    for node_type, count in (launch or {}).items():
        provider.create_node(
            {}, {TAG_RAY_USER_NODE_TYPE: node_type, TAG_RAY_NODE_KIND: NODE_KIND_WORKER}, count
        )
    if terminate:
        provider.terminate_nodes(list(terminate))
    provider.post_process()
    return nodes


def test_reports_the_head_and_the_groups_pods_with_pod_ips(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3))
    running = cluster.add_worker("cpu", "demo-cpu-worker-aaaaa")
    cluster.add_worker("cpu", "demo-cpu-worker-bbbbb", phase="Pending")
    cluster.add_worker("static", "demo-static-worker-0")  # a group the provider does not scale
    other = cluster.add_worker("cpu", "other-cpu-worker-ccccc")
    other["metadata"]["labels"]["ray.io/cluster"] = "other"

    nodes = provider.non_terminated_nodes({})

    assert sorted(nodes) == ["demo-cpu-worker-aaaaa", "demo-cpu-worker-bbbbb", f"{HEAD_STS}-0"]
    assert provider.node_tags(f"{HEAD_STS}-0") == {
        TAG_RAY_NODE_KIND: NODE_KIND_HEAD,
        TAG_RAY_USER_NODE_TYPE: "headgroup",
        TAG_RAY_NODE_STATUS: STATUS_UP_TO_DATE,
    }
    assert provider.internal_ip(f"{HEAD_STS}-0") == "127.0.0.1"
    assert provider.node_tags("demo-cpu-worker-aaaaa") == {
        TAG_RAY_NODE_KIND: NODE_KIND_WORKER,
        TAG_RAY_USER_NODE_TYPE: "cpu",
        TAG_RAY_NODE_STATUS: STATUS_UP_TO_DATE,
    }
    assert provider.internal_ip("demo-cpu-worker-aaaaa") == running["status"]["podIP"]
    assert provider.node_tags("demo-cpu-worker-bbbbb")[TAG_RAY_NODE_STATUS] == "pending"
    assert provider.internal_ip("demo-cpu-worker-bbbbb") is None
    [listing] = cluster.fake.calls("list", "pods")
    assert listing["namespace"] == NAMESPACE
    assert listing["query"] == {"labelSelector": f"ray.io/cluster={CLUSTER}"}


def test_statuses_follow_the_ray_container(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 5))
    waiting = cluster.add_worker("cpu", "w-waiting")
    waiting["status"]["containerStatuses"] = [
        {"name": "sidecar", "state": {"running": {}}},
        {"name": "ray-worker", "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
    ]
    restarting = cluster.add_worker("cpu", "w-restarting")
    restarting["status"]["containerStatuses"] = [{"name": "ray-worker", "state": {"terminated": {}}}]

    provider.non_terminated_nodes({})

    assert provider.node_tags("w-waiting")[TAG_RAY_NODE_STATUS] == "waiting"
    assert provider.node_tags("w-restarting")[TAG_RAY_NODE_STATUS] == "restarting"


def test_pods_being_deleted_are_not_nodes(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3))
    pod = cluster.add_worker("cpu", "demo-cpu-worker-aaaaa")
    pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"

    assert provider.non_terminated_nodes({}) == [f"{HEAD_STS}-0"]


def test_scale_up_creates_pods_from_the_groups_pod_template(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3))
    template = cluster.fake.get("podtemplates", NAMESPACE, "demo-cpu-worker")

    autoscaler_round(provider, launch={"cpu": 2})

    creates = cluster.fake.calls("create", "pods")
    assert len(creates) == 2
    for index, call in enumerate(creates):
        body = call["body"]
        assert call["path"] == f"/api/v1/namespaces/{NAMESPACE}/pods"
        assert body["apiVersion"] == "v1" and body["kind"] == "Pod"
        assert body["metadata"]["generateName"] == "demo-cpu-worker-"
        assert "name" not in body["metadata"]
        assert body["metadata"]["namespace"] == NAMESPACE
        assert body["metadata"]["labels"] == {
            **template["template"]["metadata"]["labels"],
            "ray.io/worker-group-replica-index": str(index),
        }
        assert body["metadata"]["annotations"] == {"example.com/team": "ml"}
        assert body["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "name": "demo-cpu-worker",
                "uid": template["metadata"]["uid"],
                "controller": False,
            }
        ]
        assert body["spec"] == template["template"]["spec"]
    assert len(cluster.worker_names("cpu")) == 2
    assert all(n.startswith("demo-cpu-worker-") for n in cluster.worker_names("cpu"))
    # The API server keeps the owner: pruning the group's PodTemplate collects these Pods.
    for pod in cluster.workers("cpu"):
        [owner] = pod["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
            "PodTemplate",
            "demo-cpu-worker",
            template["metadata"]["uid"],
            False,
        )
        assert "blockOwnerDeletion" not in owner
    # The new Pods are Ray's nodes in the next round.
    nodes = autoscaler_round(provider)
    assert sorted(nodes) == sorted(cluster.worker_names("cpu") + [f"{HEAD_STS}-0"])


def test_the_pod_template_is_read_when_pods_are_created_so_changes_apply(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3))
    autoscaler_round(provider, launch={"cpu": 1})
    template = cluster.fake.get("podtemplates", NAMESPACE, "demo-cpu-worker")
    template["template"]["spec"]["containers"][0]["image"] = "rayproject/ray:2.61.0"

    autoscaler_round(provider, launch={"cpu": 1})

    images = [c["body"]["spec"]["containers"][0]["image"] for c in cluster.fake.calls("create", "pods")]
    assert images == ["rayproject/ray:2.60.0", "rayproject/ray:2.61.0"]


def test_never_creates_more_than_max_replicas(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3))
    cluster.add_worker("cpu", "demo-cpu-worker-aaaaa")

    autoscaler_round(provider, launch={"cpu": 5})
    autoscaler_round(provider, launch={"cpu": 2})

    assert len(cluster.workers("cpu")) == 3
    assert len(cluster.fake.calls("create", "pods")) == 2


def test_nothing_is_created_or_deleted_when_ray_asks_nothing(cluster, make_provider):
    provider = make_provider(group("cpu", 1, 3))
    cluster.add_worker("cpu", "demo-cpu-worker-aaaaa")
    cluster.add_worker("cpu", "demo-cpu-worker-bbbbb")

    autoscaler_round(provider)

    assert [c["verb"] for c in cluster.fake.requests] == ["list"]


def test_a_group_below_min_is_filled_up(cluster, make_provider):
    provider = make_provider({**group("cpu", 2, 3), **group("gpu", 0, 2)})

    autoscaler_round(provider)

    assert len(cluster.workers("cpu")) == 2
    assert cluster.workers("gpu") == []


def test_deletes_exactly_the_pods_ray_named_with_their_uid(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3))
    pods = [cluster.add_worker("cpu", f"demo-cpu-worker-{s}") for s in ("aaaaa", "bbbbb", "ccccc")]

    autoscaler_round(provider, terminate=["demo-cpu-worker-bbbbb"])

    [delete] = cluster.fake.calls("delete", "pods")
    assert delete["path"] == f"/api/v1/namespaces/{NAMESPACE}/pods/demo-cpu-worker-bbbbb"
    assert delete["body"] == {
        "apiVersion": "v1",
        "kind": "DeleteOptions",
        "preconditions": {"uid": pods[1]["metadata"]["uid"]},
    }
    assert cluster.worker_names("cpu") == ["demo-cpu-worker-aaaaa", "demo-cpu-worker-ccccc"]
    assert cluster.fake.calls("create", "pods") == []
    # Until the kubelet has stopped it, the deleted Pod is listed but is no node.
    assert "demo-cpu-worker-bbbbb" not in autoscaler_round(provider)


def test_min_zero_scales_to_zero(cluster, make_provider):
    provider = make_provider(group("gpu", 0, 2))
    cluster.add_worker("gpu", "demo-gpu-worker-aaaaa")
    cluster.add_worker("gpu", "demo-gpu-worker-bbbbb")

    autoscaler_round(provider, terminate=["demo-gpu-worker-aaaaa", "demo-gpu-worker-bbbbb"])
    cluster.fake.finish_deletions()
    autoscaler_round(provider)

    assert cluster.workers("gpu") == []
    assert cluster.fake.calls("create", "pods") == []


def test_pods_that_ended_are_deleted_and_replaced(cluster, make_provider):
    provider = make_provider(group("cpu", 1, 3))
    cluster.add_worker("cpu", "demo-cpu-worker-evict", phase="Failed")
    cluster.add_worker("cpu", "demo-cpu-worker-done", phase="Succeeded")

    nodes = autoscaler_round(provider)

    assert nodes == [f"{HEAD_STS}-0"]
    assert sorted(c["name"] for c in cluster.fake.calls("delete", "pods")) == [
        "demo-cpu-worker-done",
        "demo-cpu-worker-evict",
    ]
    assert len(cluster.fake.calls("create", "pods")) == 1


def test_replica_indices_are_the_lowest_free_ones_read_from_the_api(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 5))
    cluster.add_worker("cpu", "w-a", labels={"ray.io/worker-group-replica-index": "0"})
    cluster.add_worker("cpu", "w-c", labels={"ray.io/worker-group-replica-index": "2"})

    autoscaler_round(provider, launch={"cpu": 2})

    indices = [
        c["body"]["metadata"]["labels"]["ray.io/worker-group-replica-index"]
        for c in cluster.fake.calls("create", "pods")
    ]
    assert indices == ["1", "3"]


def test_a_restarted_provider_takes_the_state_from_the_api_server(cluster, make_provider):
    first = make_provider(group("cpu", 1, 3))
    autoscaler_round(first, launch={"cpu": 2})
    cluster.run_pods()

    second = make_provider(group("cpu", 1, 3))
    nodes = autoscaler_round(second)

    assert sorted(nodes) == sorted(cluster.worker_names("cpu") + [f"{HEAD_STS}-0"])
    assert len(cluster.fake.calls("create", "pods")) == 2  # The second one created none.


# Multi-host groups: whole replicas.


def test_multi_host_groups_are_created_in_whole_replicas(cluster, make_provider):
    provider = make_provider(group("tpu", 0, 2, hosts=4))

    autoscaler_round(provider, launch={"tpu": 1})

    bodies = [c["body"] for c in cluster.fake.calls("create", "pods")]
    assert len(bodies) == 4
    labels = [b["metadata"]["labels"] for b in bodies]
    [replica_name] = {lab["ray.io/worker-group-replica-name"] for lab in labels}
    assert replica_name.startswith("tpu-") and len(replica_name) == len("tpu-") + 5
    assert [lab["ray.io/replica-host-index"] for lab in labels] == ["0", "1", "2", "3"]
    assert {lab["ray.io/worker-group-replica-index"] for lab in labels} == {"0"}
    assert len(autoscaler_round(provider)) == 5


def test_multi_host_scale_up_rounds_to_replicas_and_stops_at_max(cluster, make_provider):
    provider = make_provider(group("tpu", 0, 2, hosts=2))

    autoscaler_round(provider, launch={"tpu": 5})

    pods = cluster.workers("tpu")
    assert len(pods) == 4
    replicas = {}
    for p in pods:
        labels = p["metadata"]["labels"]
        replicas.setdefault(labels["ray.io/worker-group-replica-name"], []).append(labels)
    assert len(replicas) == 2
    assert sorted(v[0]["ray.io/worker-group-replica-index"] for v in replicas.values()) == ["0", "1"]
    for hosts in replicas.values():
        assert sorted(h["ray.io/replica-host-index"] for h in hosts) == ["0", "1"]
        assert len({h["ray.io/worker-group-replica-index"] for h in hosts}) == 1


def test_a_replica_goes_whole_when_ray_names_one_of_its_hosts(cluster, make_provider):
    provider = make_provider(group("tpu", 0, 2, hosts=2))
    autoscaler_round(provider, launch={"tpu": 4})
    cluster.run_pods()
    by_replica = {}
    for p in cluster.workers("tpu"):
        by_replica.setdefault(p["metadata"]["labels"]["ray.io/worker-group-replica-name"], []).append(
            p["metadata"]["name"]
        )
    doomed, kept = sorted(by_replica)
    autoscaler_round(provider, terminate=[sorted(by_replica[doomed])[0]])

    assert sorted(c["name"] for c in cluster.fake.calls("delete", "pods")) == sorted(by_replica[doomed])
    assert cluster.worker_names("tpu") == sorted(by_replica[kept])
    assert len(cluster.fake.calls("create", "pods")) == 4  # Nothing new: Ray scaled down.


def test_a_multi_host_group_at_min_gets_its_replica_back(cluster, make_provider):
    provider = make_provider(group("tpu", 1, 2, hosts=2))
    autoscaler_round(provider)
    cluster.run_pods()
    first = cluster.worker_names("tpu")
    assert len(first) == 2

    autoscaler_round(provider, terminate=[first[0]])

    assert sorted(c["name"] for c in cluster.fake.calls("delete", "pods")) == first
    fresh = cluster.worker_names("tpu")
    assert len(fresh) == 2 and not set(fresh) & set(first)


def test_an_incomplete_replica_is_removed_and_not_reported(cluster, make_provider):
    provider = make_provider(group("tpu", 0, 2, hosts=2))
    cluster.add_worker("tpu", "t-a0", labels={"ray.io/worker-group-replica-name": "tpu-aaaaa"})
    cluster.add_worker("tpu", "t-b0", labels={"ray.io/worker-group-replica-name": "tpu-bbbbb"})
    cluster.add_worker("tpu", "t-b1", labels={"ray.io/worker-group-replica-name": "tpu-bbbbb"})
    cluster.add_worker("tpu", "t-c0", labels={"ray.io/worker-group-replica-name": "tpu-ccccc"})
    cluster.add_worker(
        "tpu", "t-c1", phase="Failed", labels={"ray.io/worker-group-replica-name": "tpu-ccccc"}
    )
    cluster.add_worker("tpu", "t-unlabelled")

    nodes = autoscaler_round(provider)

    assert sorted(nodes) == [f"{HEAD_STS}-0", "t-b0", "t-b1"]
    assert sorted(c["name"] for c in cluster.fake.calls("delete", "pods")) == [
        "t-a0",
        "t-c0",
        "t-c1",
        "t-unlabelled",
    ]
    assert cluster.fake.calls("create", "pods") == []


# Failures: log, retry next round, stay within min and max.


def test_a_failed_listing_aborts_the_round(cluster, make_provider):
    provider = make_provider(group("cpu", 2, 3))
    cluster.fake.fail("list", "pods", 503)

    with pytest.raises(raycc_autoscaler.KubernetesError) as e:
        provider.non_terminated_nodes({})
    provider.post_process()

    assert e.value.status == 503
    assert cluster.fake.calls("create", "pods") == []
    autoscaler_round(provider)
    assert len(cluster.workers("cpu")) == 2


def test_an_unreachable_api_server_raises_and_changes_nothing(cluster, make_provider):
    provider = make_provider(group("cpu", 2, 3))
    cluster.fake.fail("list", "pods", 0)  # The connection drops.

    with pytest.raises(raycc_autoscaler.KubernetesError) as e:
        provider.non_terminated_nodes({})
    assert e.value.status is None

    cluster.fake.stop()  # Nothing listens any more.
    with pytest.raises(raycc_autoscaler.KubernetesError) as e:
        provider.non_terminated_nodes({})
    assert e.value.status is None
    assert "unreachable" in str(e.value)


def test_a_failed_deletion_blocks_creation_in_that_group_and_is_retried(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 2))
    cluster.add_worker("cpu", "w-a")
    cluster.add_worker("cpu", "w-b")
    cluster.fake.fail("delete", "pods", 500)

    autoscaler_round(provider, launch={"cpu": 1}, terminate=["w-a"])

    assert cluster.worker_names("cpu") == ["w-a", "w-b"]
    assert cluster.fake.calls("create", "pods") == []

    autoscaler_round(provider, launch={"cpu": 1}, terminate=["w-a"])

    assert "w-a" not in cluster.worker_names("cpu")
    assert len(cluster.workers("cpu")) == 2


def test_a_pod_replaced_under_the_same_name_is_not_deleted(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 2))
    cluster.add_worker("cpu", "w-a")
    provider.non_terminated_nodes({})
    # Between the listing and the deletion the Pod was recreated: another uid.
    cluster.fake.finish_deletions()
    cluster.fake.objects.pop(("pods", NAMESPACE, "w-a"))
    replacement = cluster.add_worker("cpu", "w-a")
    provider.terminate_nodes(["w-a"])
    provider.post_process()

    [delete] = cluster.fake.calls("delete", "pods")
    assert delete["body"]["preconditions"]["uid"] != replacement["metadata"]["uid"]
    assert cluster.worker_names("cpu") == ["w-a"]


def test_failed_creations_are_retried_next_round(cluster, make_provider):
    provider = make_provider(group("cpu", 2, 3))
    cluster.fake.fail("create", "pods", 500, times=1)

    autoscaler_round(provider)
    assert cluster.workers("cpu") == []
    autoscaler_round(provider)
    assert len(cluster.workers("cpu")) == 2


def test_a_partly_created_multi_host_replica_is_replaced_whole(cluster, make_provider):
    provider = make_provider(group("tpu", 1, 1, hosts=3))
    cluster.fake.fail("create", "pods", 500, after=1)

    autoscaler_round(provider)
    partial = cluster.worker_names("tpu")
    assert len(partial) == 1
    autoscaler_round(provider)

    assert [c["name"] for c in cluster.fake.calls("delete", "pods")] == partial
    fresh = cluster.workers("tpu")
    assert len(fresh) == 3 and partial[0] not in cluster.worker_names("tpu")
    assert len({p["metadata"]["labels"]["ray.io/worker-group-replica-name"] for p in fresh}) == 1


def test_a_replica_that_lost_hosts_is_replaced_whole(cluster, make_provider):
    provider = make_provider(group("tpu", 1, 1, hosts=3))
    autoscaler_round(provider)
    before = cluster.worker_names("tpu")
    for name in before[1:]:
        cluster.fake.objects.pop(("pods", NAMESPACE, name))

    autoscaler_round(provider)

    assert [c["name"] for c in cluster.fake.calls("delete", "pods")] == before[:1]
    assert len(cluster.workers("tpu")) == 3


def test_a_pod_template_that_cannot_be_read_means_no_pod_that_round(cluster, make_provider):
    provider = make_provider(group("cpu", 1, 3))
    cluster.fake.fail("get", "podtemplates", 503)

    autoscaler_round(provider)
    assert [c.get("injected") for c in cluster.fake.calls("get", "podtemplates")] == [503]
    assert cluster.fake.calls("create", "pods") == []

    autoscaler_round(provider)
    assert len(cluster.workers("cpu")) == 1


def test_a_pod_template_unreadable_in_one_group_does_not_stop_another(cluster, make_provider):
    provider = make_provider({**group("cpu", 1, 3), **group("gpu", 1, 3)})
    cluster.fake.fail("get", "podtemplates", 403)

    autoscaler_round(provider)

    assert [c["name"] for c in cluster.fake.calls("get", "podtemplates")] == [
        "demo-cpu-worker",
        "demo-gpu-worker",
    ]
    assert cluster.workers("cpu") == []
    assert len(cluster.workers("gpu")) == 1


def test_a_pod_template_without_a_uid_owns_no_pod(cluster, make_provider):
    provider = make_provider(group("cpu", 1, 3))
    del cluster.fake.get("podtemplates", NAMESPACE, "demo-cpu-worker")["metadata"]["uid"]

    autoscaler_round(provider)

    assert len(cluster.fake.calls("get", "podtemplates")) == 1
    assert cluster.fake.calls("create", "pods") == []


def test_pruning_a_groups_pod_template_collects_exactly_that_groups_pods(cluster, make_provider):
    provider = make_provider({**group("cpu", 1, 3), **group("gpu", 1, 3)})
    autoscaler_round(provider, launch={"cpu": 2})
    cluster.run_pods()
    cpu, gpu = cluster.worker_names("cpu"), cluster.worker_names("gpu")
    assert len(cpu) == 2 and len(gpu) == 1

    # A restarted head, even a head StatefulSet deleted and created again, collects nothing.
    cluster.fake.objects.pop(("pods", NAMESPACE, f"{HEAD_STS}-0"))
    head = cluster.fake.objects.pop(("statefulsets", NAMESPACE, HEAD_STS))
    del head["metadata"]["uid"]
    cluster.fake.put("statefulsets", NAMESPACE, head)
    assert cluster.fake.collect_garbage() == []

    # The group is removed from the output (or the cluster suspended): Argo CD prunes its
    # PodTemplate, the garbage collector deletes its Pods, and the provider makes no new ones.
    cluster.fake.objects.pop(("podtemplates", NAMESPACE, "demo-cpu-worker"))
    assert sorted(cluster.fake.collect_garbage()) == cpu
    assert cluster.worker_names("cpu") == [] and cluster.worker_names("gpu") == gpu
    cluster.fake.finish_deletions()
    autoscaler_round(provider)
    assert cluster.workers("cpu") == []
    assert cluster.fake.calls("get", "podtemplates")[-1]["name"] == "demo-cpu-worker"

    # Back in the output: a new PodTemplate, a new uid, Pods owned by it.
    template = cluster.add_template("cpu")
    autoscaler_round(provider)
    [pod] = cluster.workers("cpu")
    assert [o["uid"] for o in pod["metadata"]["ownerReferences"]] == [template["metadata"]["uid"]]
    assert cluster.fake.collect_garbage() == []


def test_a_missing_pod_template_creates_nothing(cluster, make_provider):
    provider = make_provider(group("cpu", 1, 3))
    cluster.fake.objects.pop(("podtemplates", NAMESPACE, "demo-cpu-worker"))

    autoscaler_round(provider)

    [get] = cluster.fake.calls("get", "podtemplates")
    assert get["name"] == "demo-cpu-worker"
    assert cluster.workers("cpu") == []


def test_the_token_is_read_again_for_every_request(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3))
    provider.non_terminated_nodes({})
    cluster.fake.token = "token-2"
    cluster.fake.token_file.write_text("token-2\n")

    provider.non_terminated_nodes({})

    assert [c["authorization"] for c in cluster.fake.calls("list", "pods")] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_the_namespace_defaults_to_the_service_accounts(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3), namespace=None)
    assert provider.namespace == NAMESPACE


# Configuration.


@pytest.mark.parametrize(
    "change, message",
    [
        ({"disable_node_updaters": False}, "disable_node_updaters"),
        ({"foreground_node_launch": None}, "foreground_node_launch"),
        ({"worker_liveness_check": True}, "worker_liveness_check"),
        ({"worker_groups": [1]}, "worker_groups"),
    ],
)
def test_refuses_a_provider_config_that_cannot_work(cluster, change, message):
    config = provider_config(group("cpu", 0, 1))
    config.update(change)
    with pytest.raises(ValueError, match=message):
        raycc_autoscaler.RayccNodeProvider(config, CLUSTER)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"pod_template": "t", "min_replicas": 2, "max_replicas": 1}, "above max_replicas"),
        ({"pod_template": "t", "min_replicas": -1, "max_replicas": 1}, "min_replicas"),
        ({"pod_template": "t", "min_replicas": 0}, "max_replicas"),
        ({"pod_template": "t", "min_replicas": 0, "max_replicas": 1, "num_of_hosts": 0}, "num_of_hosts"),
        ({"min_replicas": 0, "max_replicas": 1}, "pod_template"),
    ],
)
def test_refuses_a_worker_group_that_cannot_work(spec, message):
    with pytest.raises(ValueError, match=message):
        raycc_autoscaler.WorkerGroup("cpu", spec)


# RBAC.


def exercise_every_call(cluster, provider):
    cluster.add_worker("cpu", "w-a")
    autoscaler_round(provider, launch={"cpu": 1}, terminate=["w-a"])


def test_rbac_rules_cover_every_call_and_nothing_more(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3))

    exercise_every_call(cluster, provider)

    assert all(c.get("injected") is None for c in cluster.fake.requests)
    used = {(c["group"], c["resource"], c["verb"]) for c in cluster.fake.requests}
    granted = {
        (g, r, v)
        for rule in raycc_autoscaler.RBAC_RULES
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }
    assert used == granted


@pytest.mark.parametrize("missing", range(4))
def test_the_fake_api_server_refuses_calls_the_rules_do_not_grant(cluster, make_provider, missing):
    granted = [
        (g, r, v)
        for rule in raycc_autoscaler.RBAC_RULES
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    ]
    assert len(granted) == 4
    dropped = granted[missing]
    cluster.fake.rbac_rules = [
        {"apiGroups": [g], "resources": [r], "verbs": [v]} for (g, r, v) in granted if (g, r, v) != dropped
    ]
    provider = make_provider(group("cpu", 0, 3))

    try:
        exercise_every_call(cluster, provider)
    except raycc_autoscaler.KubernetesError as e:
        assert e.status == 403
    refused = [c for c in cluster.fake.requests if (c["group"], c["resource"], c["verb"]) == dropped]
    assert refused


def test_the_fake_api_server_wants_the_token(cluster, make_provider):
    provider = make_provider(group("cpu", 0, 3))
    cluster.fake.token_file.write_text("stale")

    with pytest.raises(raycc_autoscaler.KubernetesError) as e:
        provider.non_terminated_nodes({})
    assert e.value.status == 401


def test_the_fake_api_server_names_generated_pods_and_refuses_conflicts(fake):
    client = raycc_autoscaler.KubernetesClient()
    created = client.create_pod(NAMESPACE, {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "x" * 70 + "-"}})
    assert created["metadata"]["name"].startswith("x" * 58) and len(created["metadata"]["name"]) == 63
    client.create_pod(NAMESPACE, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fixed"}})
    fake.rbac_rules = raycc_autoscaler.RBAC_RULES
    with pytest.raises(raycc_autoscaler.KubernetesError) as e:
        client.create_pod(NAMESPACE, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fixed"}})
    assert (e.value.status, e.value.reason) == (409, "AlreadyExists")
    with pytest.raises(raycc_autoscaler.KubernetesError) as e:
        client.create_pod(NAMESPACE, {"apiVersion": "v1", "kind": "Pod", "metadata": {}})
    assert e.value.status == 422
    with pytest.raises(raycc_autoscaler.KubernetesError) as e:
        client.create_pod(NAMESPACE, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "y", "namespace": "other"}})
    assert e.value.status == 400
    assert client.delete_pod(NAMESPACE, "nothing-here", None) is False
    with pytest.raises(raycc_autoscaler.KubernetesError) as e:
        client.get_pod_template(NAMESPACE, "nothing-here")
    assert e.value.status == 404


def test_the_fake_api_server_refuses_apps_calls_the_rules_do_not_grant(cluster):
    client = raycc_autoscaler.KubernetesClient()

    with pytest.raises(raycc_autoscaler.KubernetesError) as e:
        client.request("GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/statefulsets/{HEAD_STS}")

    assert e.value.status == 403
    [call] = cluster.fake.requests
    assert (call["group"], call["resource"], call["verb"]) == ("apps", "statefulsets", "get")


def test_the_fake_api_server_selects_by_labels(fake):
    from fake_kube import matches, parse_selector

    labels = {"a": "1", "b": "2"}
    assert matches(labels, parse_selector("a=1,b==2"))
    assert not matches(labels, parse_selector("a=1,b!=2"))
    assert matches(labels, parse_selector("a,!c"))
    assert not matches(labels, parse_selector("!a"))
    with pytest.raises(Exception):
        parse_selector("a in (1,2)")


def test_the_client_defaults_to_the_in_cluster_address(monkeypatch):
    monkeypatch.delenv("RAYCC_K8S_API", raising=False)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")
    assert raycc_autoscaler.KubernetesClient().base_url == "https://[fd00::1]:6443"
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    with pytest.raises(ValueError, match="KUBERNETES_SERVICE_HOST"):
        raycc_autoscaler.KubernetesClient()


def self_signed(tmp_path, name):
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_the_client_speaks_https_and_checks_the_servers_certificate(fake, tmp_path, monkeypatch):
    cert, key = self_signed(tmp_path, "apiserver")
    other_ca, _ = self_signed(tmp_path, "other")
    server = FakeKube(raycc_autoscaler.RBAC_RULES).start(tls=(cert, key))
    try:
        server.put("podtemplates", NAMESPACE, {"metadata": {"name": "t"}})
        monkeypatch.setenv("RAYCC_K8S_API", server.url)
        monkeypatch.setenv("RAYCC_K8S_CA_FILE", cert)
        assert server.url.startswith("https://")

        template = raycc_autoscaler.KubernetesClient().get_pod_template(NAMESPACE, "t")
        assert template["metadata"]["name"] == "t"
        assert server.calls("get", "podtemplates")[0]["authorization"] == "Bearer token-1"

        monkeypatch.setenv("RAYCC_K8S_CA_FILE", other_ca)
        with pytest.raises(raycc_autoscaler.KubernetesError) as e:
            raycc_autoscaler.KubernetesClient().get_pod_template(NAMESPACE, "t")
        assert e.value.status is None and "certificate" in str(e.value).lower()
    finally:
        server.stop()
