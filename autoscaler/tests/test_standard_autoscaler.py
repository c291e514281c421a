"""Ray's own v1 StandardAutoscaler, loading the provider as `type: external`, against the fake
API server: the autoscaler's LoadMetrics get the load a GCS would report (nodes, their
resources, idle times, pending demands), and its decisions must land as Pods."""

import inspect
import time
from types import SimpleNamespace

import pytest
import yaml
from ray.autoscaler._private.autoscaler import StandardAutoscaler
from ray.autoscaler._private.load_metrics import LoadMetrics
from ray.autoscaler._private.providers import _clear_provider_cache

import raycc_autoscaler
from conftest import CLUSTER, group, provider_config


class FakeGcs:
    """The GCS calls the v1 autoscaler makes: draining nodes before their termination."""

    def __init__(self):
        self.drained = []

    def drain_nodes(self, node_ids, timeout=None):  # Ray >= 2.7: a GcsClient
        self.drained.extend(node_ids)
        return list(node_ids)

    def DrainNode(self, request, timeout=None):  # noqa: N802 (Ray 2.6: a gRPC stub)
        ids = [d.node_id for d in request.drain_node_data]
        self.drained.extend(ids)
        return SimpleNamespace(drain_node_status=[SimpleNamespace(node_id=i) for i in ids])


def report(load_metrics, ip, node_id, total, available, idle_s=0.0, waiting=()):
    """One node's resource message, as Monitor.update_load_metrics passes it on."""
    params = inspect.signature(load_metrics.update).parameters
    fifth = idle_s if "node_idle_duration_s" in params else {}  # Ray 2.6: resource_load
    load_metrics.update(
        ip,
        node_id,
        dict(total),
        dict(available),
        fifth,
        waiting_bundles=[dict(w) for w in waiting],
        infeasible_bundles=[],
        pending_placement_groups=[],
    )
    if "node_idle_duration_s" not in params and idle_s:
        load_metrics.last_used_time_by_ip[ip] = time.time() - idle_s


@pytest.fixture
def config_file(tmp_path, cluster):
    for name in ("cpu", "custom"):
        cluster.add_template(name)
    config = {
        "cluster_name": CLUSTER,
        "provider": provider_config({**group("cpu", 1, 3), **group("custom", 0, 2)}),
        "head_node_type": "headgroup",
        "max_workers": 5,
        "idle_timeout_minutes": 1.0,
        "upscaling_speed": 1000,
        "available_node_types": {
            "headgroup": {"min_workers": 0, "max_workers": 0, "resources": {"CPU": 1}},
            "cpu": {"min_workers": 1, "max_workers": 3, "resources": {"CPU": 2}},
            "custom": {
                "min_workers": 0,
                "max_workers": 2,
                "resources": {"CPU": 1, "custom": 1},
                "labels": {"pool": "custom"},
            },
        },
    }
    path = tmp_path / "autoscaling-config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def make_autoscaler(config_file, gcs):
    _clear_provider_cache()
    return StandardAutoscaler(
        lambda: raycc_autoscaler.load_autoscaling_config(str(config_file)),
        LoadMetrics(),
        gcs,
        update_interval_s=0,
    )


def pod_ip(cluster, name):
    return next(p for p in cluster.workers() if p["metadata"]["name"] == name)["status"]["podIP"]


def test_ray_launches_the_right_group_and_terminates_the_idle_node(cluster, config_file):
    gcs = FakeGcs()
    autoscaler = make_autoscaler(config_file, gcs)
    assert isinstance(autoscaler.provider, raycc_autoscaler.RayccNodeProvider)
    lm = autoscaler.load_metrics
    head = ("127.0.0.1", b"head", {"CPU": 1})

    # Nothing asked: Ray brings the cpu group up to its min.
    report(lm, head[0], head[1], head[2], head[2])
    autoscaler.update()
    assert len(cluster.workers("cpu")) == 1 and cluster.workers("custom") == []
    cluster.run_pods()
    [cpu_pod] = cluster.worker_names("cpu")

    # Three tasks need `custom`, which only the custom group has; the cpu node is busy.
    demand = [{"custom": 1.0}] * 3
    report(lm, head[0], head[1], head[2], head[2], waiting=demand)
    report(lm, pod_ip(cluster, cpu_pod), b"cpu-0", {"CPU": 2}, {"CPU": 0}, waiting=demand)
    autoscaler.update()
    assert cluster.worker_names("cpu") == [cpu_pod]
    custom = cluster.worker_names("custom")
    assert len(custom) == 2  # max_replicas, though three were asked for
    cluster.run_pods()

    # The work is done on one custom node; the other stays busy; the cpu node too.
    idle, busy = custom
    report(lm, head[0], head[1], head[2], head[2])
    report(lm, pod_ip(cluster, cpu_pod), b"cpu-0", {"CPU": 2}, {"CPU": 1})
    report(lm, pod_ip(cluster, idle), b"idle", {"CPU": 1, "custom": 1}, {"CPU": 1, "custom": 1}, idle_s=3600)
    report(lm, pod_ip(cluster, busy), b"busy", {"CPU": 1, "custom": 1}, {"CPU": 1, "custom": 0})
    autoscaler.update()

    assert [c["name"] for c in cluster.fake.calls("delete", "pods")] == [idle]
    assert gcs.drained == [b"idle"]
    assert cluster.worker_names("custom") == [busy]
    assert cluster.worker_names("cpu") == [cpu_pod]


def test_ray_keeps_the_min_even_when_idle(cluster, config_file):
    gcs = FakeGcs()
    autoscaler = make_autoscaler(config_file, gcs)
    lm = autoscaler.load_metrics
    report(lm, "127.0.0.1", b"head", {"CPU": 1}, {"CPU": 1})
    autoscaler.update()
    cluster.run_pods()
    [cpu_pod] = cluster.worker_names("cpu")

    report(lm, "127.0.0.1", b"head", {"CPU": 1}, {"CPU": 1})
    report(lm, pod_ip(cluster, cpu_pod), b"cpu-0", {"CPU": 2}, {"CPU": 2}, idle_s=3600)
    autoscaler.update()

    assert cluster.fake.calls("delete", "pods") == []
    assert gcs.drained == []
    assert cluster.worker_names("cpu") == [cpu_pod]


def test_an_api_server_that_fails_costs_a_round_and_nothing_else(cluster, config_file):
    autoscaler = make_autoscaler(config_file, FakeGcs())
    report(autoscaler.load_metrics, "127.0.0.1", b"head", {"CPU": 1}, {"CPU": 1})
    cluster.fake.fail("list", "pods", 503)

    autoscaler.update()  # Logged by the autoscaler, not raised.
    assert cluster.workers() == []

    autoscaler.update()
    assert len(cluster.workers("cpu")) == 1
    assert [c["name"] for c in cluster.fake.calls("list", "pods")] == [None, None]
