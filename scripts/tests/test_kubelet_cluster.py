"""The kubelet stand-in against the real control plane: Pods without Ray (shell commands),
created directly or by the controllers, run by `kubelet.py serve` in a namespace of their own.

Run under the control plane: `bash scripts/control-plane.sh run -- python -m pytest
scripts/tests/test_kubelet_cluster.py` (scripts/kubelet-check.sh does).
"""

import base64
import ipaddress
import json
import os
import signal
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import kubeapi  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
KUBELET = os.path.join(ROOT, "scripts", "kubelet.py")
NS = "kubelet-test"
OTHER_NS = "kubelet-test-other"
WAIT = 120  # the longest any state may take to appear; waiting stops as soon as it is there


class Cluster:
    def __init__(self, api, state):
        self.api = api
        self.state = state

    def create(self, obj, ns=NS):
        group = obj["apiVersion"]
        plural = {
            "Pod": "pods",
            "Secret": "secrets",
            "ConfigMap": "configmaps",
            "Service": "services",
            "StatefulSet": "statefulsets",
            "PersistentVolumeClaim": "persistentvolumeclaims",
        }[obj["kind"]]
        return self.api.post(kubeapi.path_for(group, plural, ns), obj)

    def pod(self, name, ns=NS):
        return self.api.get(kubeapi.path_for("v1", "pods", ns, name), ok_missing=True)

    def wait_pod(self, name, what, predicate, timeout=WAIT):
        def check():
            p = self.pod(name)
            return p if p is not None and predicate(p) else None

        return kubeapi.wait_for(f"Pod {name}: {what}", check, timeout)

    def wait_phase(self, name, phase):
        return self.wait_pod(
            name, f"phase {phase}", lambda p: p.get("status", {}).get("phase") == phase
        )

    def delete_pod(self, name, grace=None):
        body = {"gracePeriodSeconds": grace} if grace is not None else None
        return self.api.delete(kubeapi.path_for("v1", "pods", NS, name), body)

    def pod_dir(self, pod):
        meta = pod["metadata"]
        return os.path.join(
            self.state, "pods", f"{meta['namespace']}_{meta['name']}_{meta['uid'][:8]}"
        )

    def logs(self, pod, container="c", restart=0):
        with open(os.path.join(self.pod_dir(pod), "logs", f"{container}-{restart}.log")) as f:
            return f.read()

    def exec(self, name, *command, container=None):
        argv = [sys.executable, KUBELET, "exec", "--state-dir", self.state, "-n", NS, name]
        if container:
            argv += ["-c", container]
        return subprocess.run(argv + ["--"] + list(command), capture_output=True, text=True)


def ready(p):
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in p.get("status", {}).get("conditions", [])
    )


def status_of(p, name="c", init=False):
    """A container's status; an empty one before the stand-in has written any."""
    key = "initContainerStatuses" if init else "containerStatuses"
    empty = {"state": {}, "lastState": {}, "restartCount": -1, "ready": False}
    return next((s for s in p["status"].get(key, []) if s["name"] == name), empty)


def shell_pod(name, script, restart="Never", **extra):
    container = {"name": "c", "image": "busybox", "command": ["sh", "-c"], "args": [script]}
    container.update(extra.pop("container", {}))
    spec = {
        "restartPolicy": restart,
        "terminationGracePeriodSeconds": 5,
        "containers": [container],
        **extra.pop("spec", {}),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **extra.pop("metadata", {})},
        "spec": spec,
    }


@pytest.fixture(scope="session")
def cluster():
    if not os.environ.get("CP_NETNS") or not os.environ.get("KUBECONFIG"):
        pytest.fail("run under scripts/control-plane.sh (KUBECONFIG and CP_NETNS unset)")
    api = kubeapi.Api()
    for ns in (NS, OTHER_NS):
        api.post(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        )
    # Pods need the default ServiceAccount (and, in 1.20, its token Secret) to be admitted.
    kubeapi.wait_for(
        "the default ServiceAccount",
        lambda: (
            api.get(kubeapi.path_for("v1", "serviceaccounts", NS, "default"), ok_missing=True) or {}
        ).get("secrets"),
        WAIT,
    )
    state = os.path.join(ROOT, "target", "kubelet-test")
    subprocess.run(["rm", "-rf", state], check=True)
    os.makedirs(os.path.join(state, "host"))
    log = open(os.path.join(state, "kubelet.log"), "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            KUBELET,
            "serve",
            "--namespace",
            NS,
            "--state-dir",
            state,
            "--backoff",
            "1",
            "--node-name",
            "kubelet-test-node",
            "--pod-cidr",
            "10.244.0.0/25",  # the upper half is for test_serial_starts' stand-in
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    kubeapi.wait_for(
        "the stand-in's Node",
        lambda: api.get("/api/v1/nodes/kubelet-test-node", ok_missing=True),
        WAIT,
    )
    yield Cluster(api, state)
    pids = []  # every container process still running, to be stopped with the stand-in
    for root, _, files in os.walk(os.path.join(state, "pods")):
        for name in files:
            if name.endswith(".exec.json"):
                with open(os.path.join(root, name)) as f:
                    pid = json.load(f)["pid"]
                if alive(pid):
                    pids.append(pid)
    assert pids, "some Pods still run when the tests end"
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=90)
    log.close()
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    pod_namespaces = [
        line.split()[0]
        for line in left.splitlines()
        if line.startswith(os.environ["CP_NETNS"] + "-")
    ]
    assert code == 0, "the stand-in exits 0 on SIGTERM"
    assert pod_namespaces == [], "every Pod network namespace is deleted"
    assert [pid for pid in pids if alive(pid)] == [], "every container process is stopped"
    with open(os.path.join(state, "kubelet.log")) as f:
        created = [line for line in f if "created the mount point" in line]
    assert created == [], "every mount point is in the container's own /run or /tmp"


def test_registers_a_ready_node(cluster):
    def ready_condition():
        node = cluster.api.get("/api/v1/nodes/kubelet-test-node")
        conditions = {c["type"]: c for c in node["status"].get("conditions", [])}
        return conditions.get("Ready", {}).get("status") == "True" and conditions["Ready"]

    ready = kubeapi.wait_for("the Node Ready", ready_condition, WAIT)
    assert ready["reason"] == "KubeletReady" and ready["lastHeartbeatTime"]


def test_env_is_resolved_as_the_kubelet_does(cluster):
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "env-secret"},
            "stringData": {"password": "hunter2"},
        }
    )
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "env-cm"},
            "data": {"mode": "fast", "level": "3"},
        }
    )
    env = [
        {"name": "A", "value": "a"},
        {"name": "B", "value": "$(A)-b"},
        {"name": "ESCAPED", "value": "$$(A)"},
        {"name": "UNDEFINED", "value": "$(NOPE)"},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "POD_NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
        {
            "name": "GROUP",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['ray.io/group']"}},
        },
        {"name": "NOTE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['note']"}}},
        {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "CPUS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
        {
            "name": "MEM_MI",
            "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
        },
        {
            "name": "PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "env-secret", "key": "password"}},
        },
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "env-cm", "key": "mode"}}},
        {"name": "CM_level", "value": "overridden"},
    ]
    pod = shell_pod(
        "env-pod",
        "echo ARG=$(B); echo HOST=$(hostname); env | sort",
        metadata={"labels": {"ray.io/group": "g1"}, "annotations": {"note": "hi"}},
        container={
            "env": env,
            "envFrom": [{"configMapRef": {"name": "env-cm"}, "prefix": "CM_"}],
            "resources": {"limits": {"cpu": "1500m", "memory": "64Mi"}},
        },
    )
    cluster.create(pod)
    done = cluster.wait_phase("env-pod", "Succeeded")
    lines = cluster.logs(done).splitlines()
    got = dict(line.split("=", 1) for line in lines if "=" in line)
    pod_ip = done["status"]["podIP"]
    assert ipaddress.ip_address(pod_ip) in ipaddress.ip_network("10.244.0.0/25")
    assert pod_ip != os.environ["CP_NODE_IP"]
    want = {
        "ARG": "a-b",
        "HOST": "env-pod",
        "A": "a",
        "B": "a-b",
        "ESCAPED": "$(A)",
        "UNDEFINED": "$(NOPE)",
        "POD_NAME": "env-pod",
        "POD_NS": NS,
        "POD_IP": pod_ip,
        "HOST_IP": os.environ["CP_NODE_IP"],
        "GROUP": "g1",
        "NOTE": "hi",
        "SA": "default",
        "NODE": "kubelet-test-node",
        "CPUS": "2",
        "MEM_MI": "64",
        "PASSWORD": "hunter2",
        "MODE": "fast",
        "CM_mode": "fast",
        "CM_level": "overridden",
        "HOSTNAME": "env-pod",
        "KUBERNETES_SERVICE_HOST": os.environ["CP_SERVICE_IP"],
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_PORT": f"tcp://{os.environ['CP_SERVICE_IP']}:443",
    }
    assert {k: got.get(k) for k in want} == want
    status = status_of(done)
    assert status["state"]["terminated"]["exitCode"] == 0
    assert status["restartCount"] == 0


def test_init_containers_run_first_in_order(cluster):
    # The emptyDir at /work hides this project's folder, which holds every mount's source: the
    # stand-in opens all sources before the first mount.
    def step(name):
        return {
            "name": name,
            "image": "busybox",
            "command": ["sh", "-c"],
            "args": [f"echo {name} >> /work/order"],
            "volumeMounts": [{"name": "work", "mountPath": "/work"}],
        }

    pod = shell_pod(
        "init-order",
        "cat /work/order; echo main",
        container={"volumeMounts": [{"name": "work", "mountPath": "/work"}]},
        spec={
            "initContainers": [step("first"), step("second")],
            "volumes": [{"name": "work", "emptyDir": {}}],
        },
    )
    cluster.create(pod)
    done = cluster.wait_phase("init-order", "Succeeded")
    assert cluster.logs(done).split() == ["first", "second", "main"]
    assert [
        s["state"]["terminated"]["exitCode"] for s in done["status"]["initContainerStatuses"]
    ] == [0, 0]
    assert {c["type"]: c["status"] for c in done["status"]["conditions"]}["Initialized"] == "True"


def test_a_failed_init_container_fails_a_pod_that_never_restarts(cluster):
    pod = shell_pod(
        "init-fails",
        "echo main ran",
        spec={
            "initContainers": [
                {"name": "boom", "image": "busybox", "command": ["sh", "-c", "exit 3"]}
            ]
        },
    )
    cluster.create(pod)
    failed = cluster.wait_phase("init-fails", "Failed")
    assert status_of(failed, "boom", init=True)["state"]["terminated"]["exitCode"] == 3
    assert (
        "running" not in status_of(failed)["state"]
        and "terminated" not in status_of(failed)["state"]
    )
    assert not os.path.exists(os.path.join(cluster.pod_dir(failed), "logs", "c-0.log"))


def test_a_failed_init_container_is_retried_under_restart_policy_always(cluster):
    flaky = "if [ -f /work/tried ]; then exit 0; fi; touch /work/tried; exit 1"
    pod = shell_pod(
        "init-retry",
        "sleep 100000",
        restart="Always",
        spec={
            "initContainers": [
                {
                    "name": "flaky",
                    "image": "busybox",
                    "command": ["sh", "-c", flaky],
                    "volumeMounts": [{"name": "work", "mountPath": "/work"}],
                }
            ],
            "volumes": [{"name": "work", "emptyDir": {}}],
        },
    )
    cluster.create(pod)
    running = cluster.wait_pod(
        "init-retry", "its container running", lambda p: "running" in status_of(p)["state"]
    )
    assert status_of(running, "flaky", init=True)["restartCount"] == 1
    cluster.delete_pod("init-retry", grace=0)


def test_a_missing_secret_holds_the_container_until_it_exists(cluster):
    pod = shell_pod(
        "late-secret",
        "echo got=$TOKEN",
        container={
            "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "late", "key": "k"}}}]
        },
    )
    cluster.create(pod)
    waiting = cluster.wait_pod(
        "late-secret",
        "CreateContainerConfigError",
        lambda p: status_of(p)["state"].get("waiting", {}).get("reason")
        == "CreateContainerConfigError",
    )
    assert 'secret "late" not found' in status_of(waiting)["state"]["waiting"]["message"]
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "late"},
            "stringData": {"k": "v1"},
        }
    )
    done = cluster.wait_phase("late-secret", "Succeeded")
    assert "got=v1" in cluster.logs(done)


def test_volumes_and_the_service_account_token(cluster):
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "vol-cm"},
            "data": {"mode": "fast", "other": "x"},
        }
    )
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "vol-secret"},
            "stringData": {"user": "ray", "pass": "s3cret"},
        }
    )
    sa = "/var/run/secrets/kubernetes.io/serviceaccount"
    script = "\n".join(
        [
            "echo cm=$(cat /run/conf/sub/mode.txt) cm_mode=$(stat -c %a /run/conf/sub/mode.txt)",
            "echo cm_files=$(ls /run/conf | tr '\\n' ,)",
            "echo secret=$(cat /run/secret/user):$(cat /run/secret/pass)",
            "echo shm=$(grep ' /run/cache ' /proc/mounts | cut -d' ' -f3,4 | tr ' ' :)",
            "echo labels=$(cat /run/podinfo/labels)",
            f"echo sa_ns=$(cat {sa}/namespace) sa_files=$(ls {sa} | tr '\\n' ,)",
            "echo aud_token=$(cat /var/run/secrets/tokens/t)",
            f'curl -s --cacert {sa}/ca.crt -H "Authorization: Bearer $(cat {sa}/token)" '
            "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/"
            f"{NS}/secrets | tr -d '\\n'; echo",
        ]
    )
    pod = shell_pod(
        "volumes",
        script,
        metadata={"labels": {"app": "vol"}},
        container={
            "volumeMounts": [
                {"name": "conf", "mountPath": "/run/conf"},
                {"name": "secret", "mountPath": "/run/secret", "readOnly": True},
                {"name": "cache", "mountPath": "/run/cache"},
                {"name": "podinfo", "mountPath": "/run/podinfo"},
                {"name": "tokens", "mountPath": "/var/run/secrets/tokens"},
            ]
        },
        spec={
            "volumes": [
                {
                    "name": "conf",
                    "configMap": {
                        "name": "vol-cm",
                        "items": [{"key": "mode", "path": "sub/mode.txt", "mode": 0o600}],
                    },
                },
                {"name": "secret", "secret": {"secretName": "vol-secret"}},
                {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "16Mi"}},
                {
                    "name": "podinfo",
                    "downwardAPI": {
                        "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]
                    },
                },
                {
                    "name": "tokens",
                    "projected": {
                        "sources": [
                            {
                                "serviceAccountToken": {
                                    "path": "t",
                                    "audience": "raycc-test",
                                    "expirationSeconds": 3600,
                                }
                            }
                        ]
                    },
                },
            ]
        },
    )
    cluster.create(pod)
    done = cluster.wait_phase("volumes", "Succeeded")
    out = cluster.logs(done)
    got = {}
    for line in out.splitlines():
        for word in line.split(" ") if not line.startswith("{") else []:
            if "=" in word:
                k, _, v = word.partition("=")
                got.setdefault(k, v)
    assert got["cm"] == "fast" and got["cm_mode"] == "600"
    assert got["cm_files"] == "sub,"
    assert got["secret"] == "ray:s3cret"
    assert got["shm"].startswith("tmpfs:rw,") and "size=16384k" in got["shm"].split(",")
    assert got["labels"] == 'app="vol"'
    assert got["sa_ns"] == NS and got["sa_files"] == "ca.crt,namespace,token,"
    payload = got["aud_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["aud"] == ["raycc-test"]
    assert claims["kubernetes.io"]["pod"]["name"] == "volumes"
    # The API server knows the token's owner (and RBAC denies it: the default account has no role).
    answer = json.loads(out.splitlines()[-1])
    assert answer["code"] == 403
    assert f"system:serviceaccount:{NS}:default" in answer["message"]


def test_a_claim_keeps_its_data_when_the_controller_recreates_the_pod(cluster):
    script = (
        "n=$(cat /run/data/n 2>/dev/null || echo 0); echo $((n + 1)) > /run/data/n; "
        "echo count=$(cat /run/data/n); exec sleep 100000"
    )
    template = shell_pod(
        "ignored",
        script,
        restart="Always",
        container={"volumeMounts": [{"name": "data", "mountPath": "/run/data"}]},
    )
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "keep"},
        "spec": {
            "replicas": 1,
            "serviceName": "keep",
            "selector": {"matchLabels": {"app": "keep"}},
            "template": {"metadata": {"labels": {"app": "keep"}}, "spec": template["spec"]},
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
        },
    }
    cluster.create(sts)
    first = cluster.wait_pod("keep-0", "running", lambda p: p["status"].get("phase") == "Running")
    kubeapi.wait_for("count=1", lambda: "count=1" in cluster.logs(first), WAIT)
    cluster.delete_pod("keep-0", grace=1)
    second = cluster.wait_pod(
        "keep-0",
        "a new Pod running",
        lambda p: p["metadata"]["uid"] != first["metadata"]["uid"]
        and p["status"].get("phase") == "Running",
    )
    kubeapi.wait_for("count=2", lambda: "count=2" in cluster.logs(second), WAIT)
    folder = os.path.join(cluster.state, "claims", NS, "data-keep-0")
    with open(os.path.join(folder, "n")) as f:
        assert f.read().strip() == "2"


def test_service_names_resolve_to_pods_that_each_have_their_own_ports(cluster):
    probes = {
        "srv-a": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
        "srv-b": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
    }
    for name in ("srv-a", "srv-b"):
        pod = shell_pod(
            name,
            f"mkdir -p /tmp/www && echo {name} > /tmp/www/index.html && "
            "exec python3 -m http.server 8080 --bind 0.0.0.0 --directory /tmp/www",
            restart="Always",
            metadata={"labels": {"app": "srv", "name": name}},
            container={"readinessProbe": probes[name]},
        )
        cluster.create(pod)
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "srv"},
            "spec": {"clusterIP": "None", "selector": {"app": "srv"}, "ports": [{"port": 8080}]},
        }
    )
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "srv-a-svc"},
            "spec": {"selector": {"name": "srv-a"}, "ports": [{"port": 8080}]},
        }
    )
    cluster.create(shell_pod("client", "exec sleep 100000", restart="Always"))
    a = cluster.wait_pod("srv-a", "Ready", ready)
    b = cluster.wait_pod("srv-b", "Ready", ready)
    cluster.wait_pod("client", "running", lambda p: p["status"].get("phase") == "Running")
    ips = sorted([a["status"]["podIP"], b["status"]["podIP"]])

    def resolved(name):
        run = cluster.exec("client", "getent", "ahostsv4", name)
        return sorted({line.split()[0] for line in run.stdout.splitlines()})

    kubeapi.wait_for("srv resolves to both Pods", lambda: resolved("srv") == ips, WAIT)
    assert resolved(f"srv.{NS}.svc.cluster.local") == ips
    assert resolved(f"srv.{NS}") == ips
    kubeapi.wait_for(
        "srv-a-svc resolves to srv-a", lambda: resolved("srv-a-svc") == [a["status"]["podIP"]], WAIT
    )
    for ip, name in ((a["status"]["podIP"], "srv-a"), (b["status"]["podIP"], "srv-b")):
        run = cluster.exec("client", "curl", "-s", f"http://{ip}:8080/")
        assert run.stdout.strip() == name
    assert cluster.exec("client", "curl", "-s", "http://srv-a-svc:8080/").stdout.strip() == "srv-a"
    cluster.delete_pod("srv-b", grace=1)
    kubeapi.wait_for(
        "srv resolves to srv-a alone", lambda: resolved("srv") == [a["status"]["podIP"]], WAIT
    )


def test_readiness_follows_the_probe(cluster):
    probe = {
        "exec": {"command": ["test", "-f", "/tmp/ready"]},
        "periodSeconds": 1,
        "failureThreshold": 1,
    }
    cluster.create(
        shell_pod(
            "probed", "exec sleep 100000", restart="Always", container={"readinessProbe": probe}
        )
    )
    running = cluster.wait_pod("probed", "running", lambda p: p["status"].get("phase") == "Running")
    assert not ready(running) and status_of(running)["ready"] is False
    assert cluster.exec("probed", "touch", "/tmp/ready").returncode == 0
    cluster.wait_pod("probed", "Ready", ready)
    assert cluster.exec("probed", "rm", "/tmp/ready").returncode == 0
    cluster.wait_pod("probed", "not Ready", lambda p: not ready(p))


@pytest.mark.parametrize(
    "policy, code, phase", [("Never", 3, "Failed"), ("OnFailure", 0, "Succeeded")]
)
def test_a_finished_container_stays_finished_when_its_policy_says_so(cluster, policy, code, phase):
    name = f"ends-{policy.lower()}"
    cluster.create(shell_pod(name, f"exit {code}", restart=policy))
    done = cluster.wait_phase(name, phase)
    terminated = status_of(done)["state"]["terminated"]
    assert terminated["exitCode"] == code
    assert terminated["reason"] == ("Completed" if code == 0 else "Error")
    assert status_of(done)["restartCount"] == 0


def test_a_failing_container_restarts_under_restart_policy_always(cluster):
    cluster.create(shell_pod("crashes", "echo run; exit 3", restart="Always"))
    crashed = cluster.wait_pod(
        "crashes", "two restarts", lambda p: status_of(p)["restartCount"] >= 2
    )
    assert status_of(crashed)["lastState"]["terminated"]["exitCode"] == 3
    assert crashed["status"]["phase"] == "Running"
    cluster.delete_pod("crashes", grace=0)


def test_a_failing_liveness_probe_restarts_the_container(cluster):
    probe = {
        "exec": {"command": ["test", "!", "-f", "/tmp/dead"]},
        "periodSeconds": 1,
        "failureThreshold": 1,
    }
    cluster.create(
        shell_pod(
            "liveness", "exec sleep 100000", restart="Always", container={"livenessProbe": probe}
        )
    )
    cluster.wait_pod("liveness", "running", lambda p: p["status"].get("phase") == "Running")
    assert cluster.exec("liveness", "touch", "/tmp/dead").returncode == 0
    restarted = cluster.wait_pod(
        "liveness",
        "one restart",
        lambda p: status_of(p)["restartCount"] == 1 and "running" in status_of(p)["state"],
    )
    assert "terminated" in status_of(restarted)["lastState"]


def exec_info(cluster, pod):
    with open(os.path.join(cluster.pod_dir(pod), "c.exec.json")) as f:
        return json.load(f)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_deletion_sends_sigterm_then_removes_the_pod(cluster):
    out = os.path.join(cluster.state, "host", "term")
    script = "trap 'echo terminated > /run/out/term; exit 0' TERM; while :; do sleep 0.1; done"
    cluster.create(
        shell_pod(
            "graceful",
            script,
            restart="Always",
            container={"volumeMounts": [{"name": "out", "mountPath": "/run/out"}]},
            spec={
                "volumes": [
                    {"name": "out", "hostPath": {"path": os.path.dirname(out), "type": "Directory"}}
                ]
            },
        )
    )
    running = cluster.wait_pod(
        "graceful", "running", lambda p: p["status"].get("phase") == "Running"
    )
    pid = exec_info(cluster, running)["pid"]
    cluster.delete_pod("graceful", grace=60)
    kubeapi.wait_for("the Pod object gone", lambda: cluster.pod("graceful") is None, WAIT)
    with open(out) as f:
        assert f.read().strip() == "terminated"
    assert not alive(pid)


def test_deletion_kills_what_ignores_sigterm_after_the_grace_period(cluster):
    cluster.create(
        shell_pod("stubborn", "trap '' TERM; while :; do sleep 0.1; done", restart="Always")
    )
    running = cluster.wait_pod(
        "stubborn", "running", lambda p: p["status"].get("phase") == "Running"
    )
    pid = exec_info(cluster, running)["pid"]
    deleting = cluster.delete_pod("stubborn", grace=2)  # the object, marked for deletion
    assert deleting["metadata"].get("deletionTimestamp")
    assert deleting["metadata"].get("deletionGracePeriodSeconds") == 2
    kubeapi.wait_for("the Pod object gone", lambda: cluster.pod("stubborn") is None, WAIT)
    assert not alive(pid)


def test_an_ordered_statefulset_waits_for_each_pod_to_be_ready(cluster):
    probe = {"exec": {"command": ["test", "-f", "/tmp/ready"]}, "periodSeconds": 1}
    template = shell_pod(
        "ignored", "exec sleep 100000", restart="Always", container={"readinessProbe": probe}
    )
    cluster.create(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "ord"},
            "spec": {
                "replicas": 2,
                "serviceName": "ord",
                "selector": {"matchLabels": {"app": "ord"}},
                "template": {"metadata": {"labels": {"app": "ord"}}, "spec": template["spec"]},
            },
        }
    )
    cluster.wait_pod("ord-0", "running", lambda p: p["status"].get("phase") == "Running")
    assert cluster.pod("ord-1") is None
    assert cluster.exec("ord-0", "touch", "/tmp/ready").returncode == 0
    cluster.wait_pod("ord-1", "running", lambda p: p["status"].get("phase") == "Running")
    assert cluster.exec("ord-1", "touch", "/tmp/ready").returncode == 0
    kubeapi.wait_for(
        "readyReplicas 2",
        lambda: cluster.api.get(kubeapi.path_for("apps/v1", "statefulsets", NS, "ord"))[
            "status"
        ].get("readyReplicas")
        == 2,
        WAIT,
    )


def test_pods_outside_the_filter_are_left_alone(cluster):
    cluster.create(shell_pod("elsewhere", "exit 0"), ns=OTHER_NS)
    # Pods of the watched namespace created later still run, so the filter has been read by then.
    cluster.create(shell_pod("after-elsewhere", "exit 0"))
    cluster.wait_phase("after-elsewhere", "Succeeded")
    other = cluster.api.get(kubeapi.path_for("v1", "pods", OTHER_NS, "elsewhere"))
    assert not other["spec"].get("nodeName") and other["status"]["phase"] == "Pending"


def test_a_startup_probe_holds_the_other_probes_back(cluster):
    container = {
        "startupProbe": {
            "exec": {"command": ["test", "-f", "/tmp/started"]},
            "periodSeconds": 1,
            "failureThreshold": 1000,
        },
        "readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 1},
    }
    cluster.create(
        shell_pod("starting", "exec sleep 100000", restart="Always", container=container)
    )
    running = cluster.wait_pod(
        "starting", "running", lambda p: p["status"].get("phase") == "Running"
    )
    assert status_of(running)["started"] is False and not ready(running)
    assert cluster.exec("starting", "touch", "/tmp/started").returncode == 0
    started = cluster.wait_pod("starting", "Ready", ready)
    assert status_of(started)["started"] is True and status_of(started)["restartCount"] == 0


def test_serial_starts_start_one_pod_at_a_time(cluster):
    """A second stand-in, with --serial-starts, on the other half of the Pod range."""
    ns = "kubelet-serial"
    cluster.api.post(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
    )
    kubeapi.wait_for(
        "the default ServiceAccount",
        lambda: (
            cluster.api.get(
                kubeapi.path_for("v1", "serviceaccounts", ns, "default"), ok_missing=True
            )
            or {}
        ).get("secrets"),
        WAIT,
    )
    state = os.path.join(cluster.state, "serial")
    os.makedirs(state)
    with open(os.path.join(state, "kubelet.log"), "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                KUBELET,
                "serve",
                "--namespace",
                ns,
                "--state-dir",
                state,
                "--node-name",
                "kubelet-serial-node",
                "--pod-cidr",
                "10.244.0.128/25",
                "--serial-starts",
                "600",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        probe = {"exec": {"command": ["test", "-f", "/tmp/ready"]}, "periodSeconds": 1}
        for name in ("first", "second"):
            pod = shell_pod(
                name, "exec sleep 100000", restart="Always", container={"readinessProbe": probe}
            )
            cluster.create(pod, ns=ns)
            if name == "first":
                kubeapi.wait_for(
                    "first running",
                    lambda: (cluster.pod("first", ns) or {}).get("status", {}).get("phase")
                    == "Running",
                    WAIT,
                )
        second = kubeapi.wait_for(
            "second bound and waiting for its turn",
            lambda: (lambda p: p if p and p["status"].get("podIP") else None)(
                cluster.pod("second", ns)
            ),
            WAIT,
        )
        assert second["status"]["phase"] == "Pending"
        assert "waiting" in status_of(second)["state"]
        argv = [
            sys.executable,
            KUBELET,
            "exec",
            "--state-dir",
            state,
            "-n",
            ns,
            "first",
            "--",
            "touch",
            "/tmp/ready",
        ]
        assert subprocess.run(argv).returncode == 0
        started = kubeapi.wait_for(
            "second running",
            lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(
                cluster.pod("second", ns)
            ),
            WAIT,
        )
        assert ipaddress.ip_address(started["status"]["podIP"]) in ipaddress.ip_network(
            "10.244.0.128/25"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0
