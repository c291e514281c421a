"""Unit tests of the kubelet stand-in's pure parts: `$(VAR)` expansion, quantities, the
downward API, service links, env assembly and the /etc/hosts it writes. No cluster needed."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import kubeapi  # noqa: E402
import kubelet  # noqa: E402


def pod(**spec):
    return {
        "metadata": {
            "name": "p-0",
            "namespace": "ml",
            "uid": "u-1",
            "labels": {"ray.io/group": "gpu"},
            "annotations": {"a": "b"},
        },
        "spec": {
            "nodeName": "n1",
            "serviceAccountName": "sa",
            "containers": [
                {
                    "name": "c",
                    "resources": {
                        "limits": {"cpu": "1500m", "memory": "1Gi"},
                        "requests": {"cpu": "250m"},
                    },
                }
            ],
            **spec,
        },
        "status": {"podIP": "10.244.0.7", "hostIP": "10.244.0.1", "podIPs": [{"ip": "10.244.0.7"}]},
    }


def svc(name, ns, cluster_ip, ports=(), kind=None):
    spec = {"clusterIP": cluster_ip, "ports": [dict(p) for p in ports]}
    if kind:
        spec["type"] = kind
    return {"metadata": {"name": name, "namespace": ns}, "spec": spec}


KUBERNETES = svc("kubernetes", "default", "10.96.0.1", [{"name": "https", "port": 443}])


@pytest.mark.parametrize(
    "text, want",
    [
        ("$(A)", "1"),
        ("x$(A)y$(B)z", "x1y2z"),
        ("$(UNSET)", "$(UNSET)"),
        ("$$(A)", "$(A)"),
        ("$$$(A)", "$1"),
        ("$(A", "$(A"),
        ("$A", "$A"),
        ("a$", "a$"),
        ("$()", "$()"),
        ("${A}", "${A}"),
    ],
)
def test_expands_like_kubernetes(text, want):
    assert kubelet.expand(text, {"A": "1", "B": "2"}.get) == want


@pytest.mark.parametrize(
    "text, value",
    [
        ("1500m", 1.5),
        ("2Gi", 2 * 2**30),
        ("1G", 10**9),
        ("1e3", 1000),
        ("0.5", 0.5),
        ("100Ki", 102400),
    ],
)
def test_reads_quantities(text, value):
    assert kubeapi.quantity(text) == value


def test_refuses_a_bad_quantity():
    with pytest.raises(ValueError):
        kubeapi.quantity("1.5 cores")


@pytest.mark.parametrize(
    "path, want",
    [
        ("metadata.name", "p-0"),
        ("metadata.namespace", "ml"),
        ("metadata.uid", "u-1"),
        ("metadata.labels['ray.io/group']", "gpu"),
        ("metadata.labels['absent']", ""),
        ("metadata.annotations['a']", "b"),
        ("spec.nodeName", "n1"),
        ("spec.serviceAccountName", "sa"),
        ("status.podIP", "10.244.0.7"),
        ("status.hostIP", "10.244.0.1"),
        ("status.podIPs", "10.244.0.7"),
    ],
)
def test_resolves_field_refs(path, want):
    assert kubelet.field_value(pod(), path) == want


def test_volume_field_refs_list_all_labels_quoted():
    assert kubelet.field_value(pod(), "metadata.labels", volume=True) == 'ray.io/group="gpu"'


def test_refuses_an_unknown_field_ref():
    with pytest.raises(kubelet.ConfigError):
        kubelet.field_value(pod(), "spec.schedulerName")


@pytest.mark.parametrize(
    "ref, want",
    [
        ({"resource": "limits.cpu"}, "2"),  # 1.5 CPUs round up
        ({"resource": "limits.cpu", "divisor": "1m"}, "1500"),
        ({"resource": "limits.cpu", "divisor": "0"}, "2"),  # the API server's default divisor
        ({"resource": "requests.cpu", "divisor": "1m"}, "250"),
        ({"resource": "limits.memory"}, str(2**30)),
        ({"resource": "limits.memory", "divisor": "1Mi"}, "1024"),
        ({"resource": "requests.memory"}, "0"),
        ({"resource": "limits.ephemeral-storage", "divisor": "1Gi"}, "100"),  # the Node's
    ],
)
def test_resolves_resource_field_refs(ref, want):
    allocatable = {"cpu": "2", "memory": "8Gi", "ephemeral-storage": "100Gi"}
    assert kubelet.resource_value(pod(), "c", ref, allocatable) == want


def test_service_links_cover_own_namespace_and_kubernetes():
    services = [
        KUBERNETES,
        svc(
            "web-api",
            "ml",
            "10.96.3.4",
            [{"name": "http", "port": 80}, {"port": 9090, "protocol": "UDP"}],
        ),
        svc("headless", "ml", "None", [{"port": 1}]),
        svc("elsewhere", "other", "10.96.9.9", [{"port": 2}]),
    ]
    env = kubelet.service_env(services, pod())
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
    assert env["KUBERNETES_SERVICE_PORT"] == "443"
    assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
    assert env["KUBERNETES_PORT"] == "tcp://10.96.0.1:443"
    assert env["KUBERNETES_PORT_443_TCP_ADDR"] == "10.96.0.1"
    assert env["WEB_API_SERVICE_HOST"] == "10.96.3.4"
    assert env["WEB_API_PORT_9090_UDP"] == "udp://10.96.3.4:9090"
    assert env["WEB_API_PORT_9090_UDP_PROTO"] == "udp"
    assert not any(k.startswith(("HEADLESS_", "ELSEWHERE_")) for k in env)


def test_service_links_off_keeps_kubernetes():
    services = [KUBERNETES, svc("web", "ml", "10.96.3.4", [{"port": 80}])]
    env = kubelet.service_env(services, pod(enableServiceLinks=False))
    assert "KUBERNETES_SERVICE_HOST" in env and "WEB_SERVICE_HOST" not in env


def fetcher(objects):
    return lambda kind, ns, name: objects.get((kind, ns, name))


def test_env_follows_the_kubelets_order_and_expansion():
    objects = {
        ("configmap", "ml", "cm"): {
            "metadata": {"name": "cm"},
            "data": {"X": "from-cm", "Y": "y", "bad key": "skipped"},
        },
        ("secret", "ml", "s"): {"metadata": {"name": "s"}, "data": {"token": "c2VjcmV0"}},
    }
    container = {
        "name": "c",
        "envFrom": [{"configMapRef": {"name": "cm"}}, {"secretRef": {"name": "s"}, "prefix": "S_"}],
        "env": [
            {"name": "X", "value": "own"},
            {"name": "B", "value": "$(X)-$(Y)-$(KUBERNETES_SERVICE_HOST)-$(LATER)"},
            {"name": "LATER", "value": "l"},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "T", "valueFrom": {"secretKeyRef": {"name": "s", "key": "token"}}},
            {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "Y"}}},
            {
                "name": "O",
                "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k", "optional": True}},
            },
            {"name": "EMPTY"},
        ],
    }
    env = kubelet.container_env(pod(), container, [KUBERNETES], fetcher(objects), {})
    assert env["X"] == "own"
    assert env["B"] == "own-y-10.96.0.1-$(LATER)"
    assert env["S_token"] == "secret" and env["T"] == "secret"
    assert env["C"] == "y" and env["POD"] == "p-0" and env["EMPTY"] == ""
    assert "O" not in env and "bad key" not in env
    assert env["KUBERNETES_SERVICE_PORT"] == "443"


def test_a_missing_secret_is_a_config_error():
    container = {
        "name": "c",
        "env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "absent", "key": "k"}}}],
    }
    with pytest.raises(kubelet.ConfigError, match='secret "absent" not found'):
        kubelet.container_env(pod(), container, [], fetcher({}), {})


def test_a_missing_key_is_a_config_error():
    objects = {("secret", "ml", "s"): {"metadata": {"name": "s"}, "data": {}}}
    container = {
        "name": "c",
        "env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
    }
    with pytest.raises(kubelet.ConfigError, match="couldn't find key k"):
        kubelet.container_env(pod(), container, [], fetcher(objects), {})


def test_argv_is_expanded_and_needs_a_command():
    env = {"A": "1"}
    assert kubelet.container_argv(
        {"name": "c", "command": ["sh", "-c"], "args": ["echo $(A) $$(A)"]}, env
    ) == ["sh", "-c", "echo 1 $(A)"]
    with pytest.raises(kubelet.ConfigError):
        kubelet.container_argv({"name": "c", "args": ["x"]}, env)


def endpoints(name, ns, addresses):
    return {"metadata": {"name": name, "namespace": ns}, "subsets": [{"addresses": addresses}]}


def test_hosts_maps_services_as_cluster_dns_would():
    services = [
        KUBERNETES,
        svc("head-svc", "ml", "None", [{"port": 6379}]),
        svc("web", "ml", "10.96.5.5", [{"port": 80}]),
        svc("far", "other", "None", [{"port": 1}]),
        svc("ext", "ml", "", kind="ExternalName"),
    ]
    eps = [
        endpoints("head-svc", "ml", [{"ip": "10.244.0.2", "hostname": "c-head-0"}]),
        endpoints("web", "ml", [{"ip": "10.244.0.3"}, {"ip": "10.244.0.4"}]),
        endpoints("far", "other", [{"ip": "10.244.0.9"}]),
    ]
    p = pod(hostname="c-worker-0", subdomain="c-worker")
    text = kubelet.hosts_file(p, "10.244.0.7", services, eps)
    lines = text.splitlines()
    assert "10.244.0.7\tc-worker-0.c-worker.ml.svc.cluster.local c-worker-0" in lines
    assert (
        "10.96.0.1\tkubernetes.default.svc.cluster.local kubernetes.default.svc kubernetes.default"
        in lines
    )
    assert "10.244.0.2\thead-svc.ml.svc.cluster.local head-svc.ml.svc head-svc.ml head-svc" in lines
    assert "10.244.0.2\tc-head-0.head-svc.ml.svc.cluster.local" in lines
    assert "10.244.0.3\tweb.ml.svc.cluster.local web.ml.svc web.ml web" in lines
    assert "10.244.0.4\tweb.ml.svc.cluster.local web.ml.svc web.ml web" in lines
    assert "10.244.0.9\tfar.other.svc.cluster.local far.other.svc far.other" in lines
    assert "ext" not in text


def test_resolv_conf_searches_the_pods_namespace_first():
    assert kubelet.resolv_conf(pod()).startswith("search ml.svc.cluster.local svc.cluster.local ")


def test_a_prober_follows_thresholds():
    p = kubelet.Prober(
        {
            "initialDelaySeconds": 5,
            "periodSeconds": 2,
            "failureThreshold": 2,
            "successThreshold": 2,
        },
        started=100,
        initial=False,
    )
    assert not p.due(104) and p.due(105)
    p.record(True, 105)
    assert p.result is False and not p.due(106) and p.due(107)
    p.record(True, 107)
    assert p.result is True
    p.record(False, 109)
    assert p.result is True
    p.record(False, 111)
    assert p.result is False
