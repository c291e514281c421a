"""Fixtures: a fake API server holding one raycc-compiled cluster, and providers pointed at it."""

import copy
import logging
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # raycc_autoscaler
sys.path.insert(0, HERE)  # fake_kube

import raycc_autoscaler  # noqa: E402
from fake_kube import FakeKube  # noqa: E402

NAMESPACE = "ml"
CLUSTER = "demo"
HEAD_STS = "demo-head"


def worker_template(group: str, image: str = "rayproject/ray:2.60.0") -> dict:
    """A PodTemplate as raycc emits it for an autoscaled worker group."""
    return {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": f"{CLUSTER}-{group}-worker", "namespace": NAMESPACE},
        "template": {
            "metadata": {
                "labels": {
                    "ray.io/cluster": CLUSTER,
                    "ray.io/group": group,
                    "ray.io/node-type": "worker",
                    "ray.io/is-ray-node": "yes",
                    "app.kubernetes.io/created-by": "raycc",
                },
                "annotations": {"example.com/team": "ml"},
            },
            "spec": {
                "initContainers": [{"name": "wait-gcs-ready", "image": image}],
                "containers": [
                    {
                        "name": "ray-worker",
                        "image": image,
                        "command": ["/bin/bash", "-c", "--"],
                        "args": ["ulimit -n 65536; ray start --address=demo-head-svc.ml.svc.cluster.local:6379 --block"],
                    }
                ],
                "restartPolicy": "Always",
            },
        },
    }


def provider_config(groups: dict, **extra) -> dict:
    config = {
        "type": "external",
        "module": "raycc_autoscaler.RayccNodeProvider",
        "namespace": NAMESPACE,
        "disable_node_updaters": True,
        "disable_launch_config_check": True,
        "foreground_node_launch": True,
        "worker_liveness_check": False,
        "worker_groups": groups,
    }
    config.update(extra)
    return config


def group(name: str, min_replicas: int, max_replicas: int, hosts: int = 1) -> dict:
    return {
        name: {
            "pod_template": f"{CLUSTER}-{name}-worker",
            "num_of_hosts": hosts,
            "min_replicas": min_replicas,
            "max_replicas": max_replicas,
        }
    }


class Cluster:
    """The fake API server with the objects raycc's output puts there, and a kubelet stand-in."""

    def __init__(self, fake: FakeKube):
        self.fake = fake
        self.next_ip = 2
        fake.put(
            "statefulsets",
            NAMESPACE,
            {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": HEAD_STS}},
        )
        fake.put(
            "pods",
            NAMESPACE,
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"{HEAD_STS}-0",
                    "labels": {
                        "ray.io/cluster": CLUSTER,
                        "ray.io/group": "headgroup",
                        "ray.io/node-type": "head",
                    },
                },
                "spec": {"containers": [{"name": "ray-head"}, {"name": "autoscaler"}]},
                "status": {
                    "phase": "Running",
                    "podIP": "127.0.0.1",
                    "containerStatuses": [
                        {"name": "autoscaler", "state": {"running": {}}},
                        {"name": "ray-head", "state": {"running": {}}},
                    ],
                },
            },
        )

    def add_template(self, group_name: str) -> dict:
        return self.fake.put("podtemplates", NAMESPACE, worker_template(group_name))

    def workers(self, group_name=None, deleting=False):
        return [
            p
            for p in self.fake.pods(NAMESPACE, deleting=deleting)
            if p["metadata"]["labels"].get("ray.io/node-type") == "worker"
            and (group_name is None or p["metadata"]["labels"].get("ray.io/group") == group_name)
        ]

    def worker_names(self, group_name=None):
        return sorted(p["metadata"]["name"] for p in self.workers(group_name))

    def run_pods(self) -> None:
        """What the scheduler and kubelet do: every pending Pod gets an IP and runs."""
        with self.fake.lock:
            for pod in self.fake.pods(NAMESPACE):
                status = pod.setdefault("status", {})
                if status.get("phase", "Pending") == "Pending":
                    status["phase"] = "Running"
                    status["podIP"] = f"127.0.0.{self.next_ip}"
                    self.next_ip += 1
                    status["containerStatuses"] = [
                        {"name": pod["spec"]["containers"][0]["name"], "state": {"running": {}}}
                    ]

    def add_worker(self, group_name: str, name: str, phase="Running", labels=None) -> dict:
        pod = copy.deepcopy(worker_template(group_name)["template"])
        pod["apiVersion"], pod["kind"] = "v1", "Pod"
        pod["metadata"]["name"] = name
        pod["metadata"]["labels"].update(labels or {})
        pod["status"] = {"phase": phase}
        if phase == "Running":
            pod["status"]["podIP"] = f"127.0.0.{self.next_ip}"
            self.next_ip += 1
            pod["status"]["containerStatuses"] = [{"name": "ray-worker", "state": {"running": {}}}]
        return self.fake.put("pods", NAMESPACE, pod)


@pytest.fixture(autouse=True)
def keep_logging_handlers():
    """main() adds log handlers to the root logger; each test starts and ends without them."""
    handlers = list(logging.root.handlers)
    level = logging.root.level
    yield
    for handler in logging.root.handlers:
        if handler not in handlers:
            handler.close()
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


@pytest.fixture
def fake(tmp_path, monkeypatch):
    server = FakeKube(raycc_autoscaler.RBAC_RULES).start()
    token = tmp_path / "token"
    token.write_text(server.token)
    namespace = tmp_path / "namespace"
    namespace.write_text(NAMESPACE)
    monkeypatch.setenv("RAYCC_K8S_API", server.url)
    monkeypatch.setenv("RAYCC_K8S_TOKEN_FILE", str(token))
    monkeypatch.setenv("RAYCC_K8S_NAMESPACE_FILE", str(namespace))
    monkeypatch.setenv("RAYCC_K8S_TIMEOUT_S", "10")
    server.token_file = token
    yield server
    server.stop()


@pytest.fixture
def cluster(fake):
    return Cluster(fake)


@pytest.fixture
def make_provider(cluster):
    def make(groups: dict, **extra):
        for name in groups:
            if cluster.fake.get("podtemplates", NAMESPACE, f"{CLUSTER}-{name}-worker") is None:
                cluster.add_template(name)
        return raycc_autoscaler.RayccNodeProvider(provider_config(groups, **extra), CLUSTER)

    return make
