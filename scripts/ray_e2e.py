"""Runs the Ray clusters raycc compiles with a real `ray start`, all on this machine.

For each fixture given (fixtures/e2e/*.yaml) the driver compiles it with raycc and does for each
Pod what the kubelet would: it runs the Pod's init containers (the worker's `wait-gcs-ready`),
then the Ray container's own command, `/bin/bash -c -- <args[0]>` with `--block`, in the
container's environment. Pods start one after the other, the head first. Then it checks, through
the Ray API, that every node joined and advertises the resources and labels the fixture's
`# e2e-expect GROUP: NAME=NUMBER ... label:KEY=VALUE ...` lines declare; runs each generated
httpGet probe; runs a task pinned by each declared custom resource and label and checks where it
ran; and stops every process it started, whatever happened.

Only what cannot be the same outside Kubernetes is changed, by editing the flag tokens of the
generated command; no command is written by hand:

  R1  worker `--address=<head Service>:<port>`: becomes 127.0.0.1 and the GCS port of R2, after
      a check that the host is the head Service's DNS name and the port the head's GCS port.
  R2  head `--port` (the GCS port): a port of this run, added when absent. The operator's
      default 6379 is often taken on a developer machine.
  R3  head `--dashboard-port`, `--ray-client-server-port`: ports of this run, for the same reason.
  R4  per-node ports, so that several nodes share one network namespace, replaced or added on
      every node: --node-manager-port, --object-manager-port, --runtime-env-agent-port,
      --dashboard-agent-grpc-port, --dashboard-agent-listen-port, --metrics-export-port,
      --min-worker-port, --max-worker-port. A probe on a moved port follows it.
  R5  `--object-store-memory`: 100000000 bytes when absent or larger, so that several nodes fit
      one small machine (in a Pod Ray sizes it from the Pod's memory and /dev/shm).
  E1  literal env values (FQ_RAY_IP, RAY_IP, RAY_ADDRESS, ...) and init container scripts:
      `<head Service>[:<GCS port>]` becomes `127.0.0.1[:<GCS port of R2>]`, and the head's
      `127.0.0.1:<GCS port>` becomes `127.0.0.1:<GCS port of R2>`. (RAY_PORT, which Ray does
      not read, stays as generated.)
  E2  `valueFrom.fieldRef` takes what the Pod would have: metadata.name the Pod name
      (`<statefulset>-<ordinal>`), metadata.namespace the object's namespace or "default",
      metadata.labels['...'] the Pod template's labels, status.podIP 127.0.0.1.
  E3  beneath the container's env, what an image and a Pod provide: PATH with the venv holding
      ray first, HOME, RAY_TMPDIR a folder of the Pod's own (each Pod has its own /tmp) and
      RAY_USAGE_STATS_ENABLED=0 (no network). RAYCC_E2E_RUN marks every process of this run, so
      that the end stops all of them and nothing else (`ray stop --force` would also stop any
      other Ray on the machine).

The kubelet's `$(VAR)` expansion of args and env values is applied as Kubernetes does. Each check
prints `ok` or `FAIL`; the last line is `ray-e2e: N passed, M failed`.

Usage: python ray_e2e.py --raycc BIN --run-id ID [--logs DIR] FIXTURE...
`python ray_e2e.py inspect REQUEST` is the part that uses the Ray API, run as a child process.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

OBJECT_STORE_BYTES = 100_000_000
# Ports of this run: fixture k uses BASE + k * 2000 and up, below Linux's ephemeral range
# (32768 and up) where the ports Ray picks at random land.
PORT_BASE = int(os.environ.get("RAY_E2E_PORT_BASE", "21000"))
CLUSTER_STRIDE = 2000
NODE_STRIDE = 100
CLUSTER_PORTS = {"port": 0, "dashboard-port": 1, "ray-client-server-port": 2}  # R2, R3
NODE_PORTS = {  # R4, offsets into the node's block of NODE_STRIDE ports
    "node-manager-port": 0,
    "object-manager-port": 1,
    "runtime-env-agent-port": 2,
    "dashboard-agent-grpc-port": 3,
    "dashboard-agent-listen-port": 4,
    "metrics-export-port": 5,
    "min-worker-port": 10,
    "max-worker-port": NODE_STRIDE - 1,
}
# What `ray start` listens on when the flag is absent (for probes that follow a moved port).
RAY_DEFAULT_PORTS = {
    "port": 6379,
    "dashboard-port": 8265,
    "ray-client-server-port": 10001,
    "dashboard-agent-listen-port": 52365,
}
STANDARD_RESOURCES = {"CPU", "GPU", "memory", "object_store_memory"}
MARKER = "RAYCC_E2E_RUN"
STARTED = "Ray runtime started."

START_TIMEOUT = 120  # one node's `ray start`, and all nodes joining
INIT_TIMEOUT = 120  # one init container
PROBE_TIMEOUT = 60
TASK_TIMEOUT = 60
STOP_TIMEOUT = 20


class Checks:
    """Counts and prints checks; a failure never stops the run."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, name, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f"\n     {detail}" if detail else ""), flush=True)
        return bool(ok)


# --- The generated command -------------------------------------------------------------------


def shell_tokens(script):
    """Splits a bash command string into words and control operators, with their spans.

    Knows what `ray start` commands hold: blanks, `;` `&&` `||` `|` `&` and newlines, '...' and
    "..." quoting, backslash escapes and ${...}. Refuses command substitution, which raycc never
    emits, rather than guess at it.
    """
    tokens = []  # (kind, start, end); kind is "word" or "op"
    i, n = 0, len(script)
    while i < n:
        if script[i] in " \t":
            i += 1
            continue
        op = next((o for o in ("&&", "||", ";", "&", "|", "\n") if script.startswith(o, i)), None)
        if op:
            tokens.append(("op", i, i + len(op)))
            i += len(op)
            continue
        start = i
        while i < n and script[i] not in " \t\n;&|":
            c = script[i]
            if c == "`" or script.startswith("$(", i):
                raise ValueError(f"command substitution at offset {i}")
            if c == "'":
                end = script.find("'", i + 1)
                if end < 0:
                    raise ValueError(f"unclosed ' at offset {i}")
                i = end + 1
            elif c == '"':
                i += 1
                while i < n and script[i] != '"':
                    if script[i] == "`" or script.startswith("$(", i):
                        raise ValueError(f"command substitution at offset {i}")
                    i += 2 if script[i] == "\\" else 1
                if i >= n:
                    raise ValueError(f'unclosed " at offset {start}')
                i += 1
            elif c == "\\":
                i += 2
            elif script.startswith("${", i):
                end = script.find("}", i)
                if end < 0:
                    raise ValueError(f"unclosed ${{ at offset {i}")
                i = end + 1
            else:
                i += 1
        tokens.append(("word", start, min(i, n)))
    return tokens


class RayStartCommand:
    """The `ray start` command inside a container script, to edit flag by flag."""

    def __init__(self, script):
        self.script = script
        tokens = shell_tokens(script)
        words = [script[s:e] for _, s, e in tokens]
        at = next(
            (i for i in range(len(tokens) - 1) if words[i] == "ray" and words[i + 1] == "start"),
            None,
        )
        if at is None:
            raise ValueError("the container script has no `ray start`")
        self.flags = {}  # name -> span of the whole `--name[=value]` word
        self.end = tokens[at + 1][2]  # where added flags go: after the last flag
        for kind, s, e in tokens[at + 2 :]:
            if kind == "op":
                break
            if not script.startswith("--", s):
                raise ValueError(f"`ray start` argument {script[s:e]!r} is not a --flag")
            self.flags[script[s + 2 : e].split("=", 1)[0]] = (s, e)
            self.end = e
        self.edits = []  # (start, end, replacement)
        self.notes = []

    def value(self, name):
        """The flag's value as written (still quoted), "" for a bare flag, None when absent."""
        if name not in self.flags:
            return None
        s, e = self.flags[name]
        return self.script[s:e].partition("=")[2]

    def set(self, name, value, why):
        if name in self.flags:
            s, e = self.flags[name]
            self.edits.append((s, e, f"--{name}={value}"))
            self.notes.append(f"{why}: --{name}={self.value(name)} -> {value}")
        else:
            self.edits.append((self.end, self.end, f"  --{name}={value}"))
            self.notes.append(f"{why}: --{name}={value} added")

    def rendered(self):
        out = self.script
        for s, e, text in sorted(self.edits, reverse=True):
            out = out[:s] + text + out[e:]
        return out


# --- What Kubernetes does --------------------------------------------------------------------


def kube_expand(text, env):
    """The kubelet's `$(VAR)` expansion: `$$` is `$`, a defined `$(NAME)` its value, any other
    `$(...)` stays as written."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if text.startswith("$(", i):
            end = text.find(")", i + 2)
            if end > 0:
                out.append(env.get(text[i + 2 : end], text[i : end + 1]))
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def field_ref(path, pod):
    """E2: a `valueFrom.fieldRef` as the Pod would resolve it."""
    if path == "metadata.name":
        return pod["name"]
    if path == "metadata.namespace":
        return pod["namespace"]
    if path == "status.podIP":
        return "127.0.0.1"
    m = re.fullmatch(r"metadata\.labels\['([^']+)'\]", path)
    if m:
        return pod["labels"].get(m[1], "")
    raise ValueError(f"fieldRef {path} is not simulated")


def container_env(container, pod, rewrite):
    """A container's environment as the kubelet builds it, with E1 applied to literal values."""
    env = {}
    for item in container.get("env") or []:
        source = item.get("valueFrom")
        if source is None:
            env[item["name"]] = rewrite(kube_expand(item.get("value", ""), env))
        elif "fieldRef" in source:
            env[item["name"]] = field_ref(source["fieldRef"]["fieldPath"], pod)
        else:
            raise ValueError(f"env {item['name']}: only fieldRef is simulated")
    return env


def bash_script(container):
    """args[0] of a `/bin/bash -c --` container, the shape raycc gives Ray containers."""
    if container.get("command") != ["/bin/bash", "-c", "--"] or len(container.get("args", [])) != 1:
        raise ValueError(f"container {container['name']} does not run `/bin/bash -c -- SCRIPT`")
    return container["args"][0]


def plan_pods(objects):
    """The Pods the workloads would run, head first, as dicts. An HPA's workload has no
    replicas; it runs the HPA's minReplicas."""
    hpa_min = {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"].get("minReplicas", 1)
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    pods = []
    for o in objects:
        if o["kind"] not in ("StatefulSet", "Deployment"):
            continue
        name = o["metadata"]["name"]
        template = o["spec"]["template"]
        labels = template["metadata"].get("labels", {})
        for ordinal in range(o["spec"].get("replicas", hpa_min.get(name, 1))):
            pods.append(
                {
                    "name": f"{name}-{ordinal}",  # a StatefulSet's; a Deployment's has hashes
                    "namespace": o["metadata"].get("namespace", "default"),
                    "labels": labels,
                    "group": labels.get("ray.io/group", ""),
                    "head": labels.get("ray.io/node-type") == "head",
                    "spec": template["spec"],
                }
            )
    pods.sort(key=lambda p: not p["head"])
    return pods


def head_service(objects, head_pod):
    """The Service that selects the head Pod, and the DNS names a Pod can reach it by."""
    for o in objects:
        if o["kind"] != "Service":
            continue
        selector = o["spec"].get("selector") or {}
        if selector and all(head_pod["labels"].get(k) == v for k, v in selector.items()):
            name, ns = o["metadata"]["name"], o["metadata"].get("namespace")
            hosts = [name]
            if ns:
                hosts += [f"{name}.{ns}", f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local"]
            return o, hosts
    return None, []


def parse_expectations(text):
    """`# e2e-expect GROUP: NAME=NUMBER ... label:KEY=VALUE ...` lines of a fixture."""
    expect = {}
    for line in text.splitlines():
        m = re.fullmatch(r"#\s*e2e-expect\s+([\w.-]+):\s*(.*)", line.strip())
        if not m:
            continue
        group = expect.setdefault(m[1], {"resources": {}, "labels": {}})
        for item in m[2].split():
            key, value = item.split("=", 1)
            if key.startswith("label:"):
                group["labels"][key[len("label:") :]] = value
            else:
                group["resources"][key] = float(value)
    return expect


# --- Processes -------------------------------------------------------------------------------


def marked_pids(run_id):
    """Every process whose environment carries this run's marker."""
    needle = f"{MARKER}={run_id}".encode()
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def tail(text, lines=25):
    return "\n".join(text.splitlines()[-lines:])


def number(value):
    return str(int(value)) if value == int(value) else str(value)


class Cluster:
    """One compiled RayCluster being run: its Pods, ports, processes and logs."""

    def __init__(self, index, name, objects, args):
        self.tag = name
        self.objects = objects
        self.run_id = args.run_id
        self.pods = plan_pods(objects)
        base = PORT_BASE + index * CLUSTER_STRIDE
        self.cluster_ports = {flag: base + offset for flag, offset in CLUSTER_PORTS.items()}
        self.gcs_port = self.cluster_ports["port"]
        self.node_ports = [
            {flag: base + NODE_STRIDE * (i + 1) + offset for flag, offset in NODE_PORTS.items()}
            for i in range(len(self.pods))
        ]
        self.logs = os.path.join(args.logs, name)
        os.makedirs(self.logs, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="raycc-e2e-")  # short: Ray's socket paths must fit
        self.procs = []

    def machine_env(self, pod_index):
        """E3: what the image and the Pod's own filesystem provide."""
        pod_tmp = os.path.join(self.tmp, f"p{pod_index}")
        os.makedirs(pod_tmp, exist_ok=True)
        return {
            "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/root"),
            "RAY_TMPDIR": pod_tmp,
            "RAY_USAGE_STATS_ENABLED": "0",
        }

    def spawn(self, script, env, log_path):
        """Runs `/bin/bash -c -- script` in a process group of its own, marked."""
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                ["/bin/bash", "-c", "--", script],
                env={**env, MARKER: self.run_id},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def stop(self):
        """Stops the Pods as the kubelet does: SIGTERM to each container's main process, last
        started first, a grace period, then SIGKILL to whatever of this run is left. Returns the
        processes still there afterwards (none, normally)."""
        t0 = time.time()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, t0 + STOP_TIMEOUT - time.time()))
            except subprocess.TimeoutExpired:
                pass
        # `ray start` stops its own children on SIGTERM; give them the rest of the grace period.
        while marked_pids(self.run_id) and time.time() < t0 + STOP_TIMEOUT:
            time.sleep(0.5)
        killed = marked_pids(self.run_id)
        for pid in killed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc in self.procs:
            proc.wait()
        time.sleep(0.5 if killed else 0)
        print(
            f"     {self.tag}: stopped in {time.time() - t0:.0f} s"
            + (f"; {len(killed)} processes needed SIGKILL" if killed else "")
        )
        return marked_pids(self.run_id)


# --- One cluster -----------------------------------------------------------------------------


def run_cluster(index, fixture, args, checks):
    tag = os.path.splitext(os.path.basename(fixture))[0]
    with open(fixture) as f:
        expect = parse_expectations(f.read())
    compiled = subprocess.run(
        [args.raycc, "compile", "--color=never", fixture], capture_output=True, text=True
    )
    if not checks.check(compiled.returncode == 0, f"{tag}: raycc compile", compiled.stderr):
        return
    cluster = Cluster(index, tag, [o for o in yaml.safe_load_all(compiled.stdout) if o], args)
    pods = cluster.pods
    if not checks.check(
        pods and pods[0]["head"] and sum(p["head"] for p in pods) == 1,
        f"{tag}: one head Pod among {len(pods)} Pods",
    ):
        return
    unknown = sorted(set(expect) - {p["group"] for p in pods})
    checks.check(not unknown, f"{tag}: every e2e-expect group has Pods", f"no Pods for {unknown}")
    failed_before = checks.failed
    try:
        nodes = prepare(cluster, checks)
        if nodes is not None:
            run_nodes(cluster, nodes, expect, checks)
    finally:
        left = cluster.stop()
        checks.check(not left, f"{tag}: every process stopped", f"still running: {left}")
        if checks.failed > failed_before:
            keep = os.path.join(cluster.logs, "ray-tmp")
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(
                cluster.tmp,
                keep,
                symlinks=True,
                ignore=shutil.ignore_patterns("sockets", "runtime_resources"),
            )
            print(f"     {tag}: Pod logs and Ray's own logs are in {cluster.logs}")
        shutil.rmtree(cluster.tmp, ignore_errors=True)


def prepare(cluster, checks):
    """Static checks, then each Pod's rewritten commands and environment, or None."""
    tag, pods = cluster.tag, cluster.pods
    head_cmd = RayStartCommand(bash_script(pods[0]["spec"]["containers"][0]))
    gcs_port = int(head_cmd.value("port") or RAY_DEFAULT_PORTS["port"])
    service, hosts = head_service(cluster.objects, pods[0])
    reachable = service is not None and (
        service["spec"].get("clusterIP") == "None"
        or any(p["port"] == gcs_port for p in service["spec"].get("ports", []))
    )
    checks.check(
        reachable,
        f"{tag}: a Service selects the head Pod and reaches its GCS port {gcs_port}",
        (
            f"Service {service['metadata']['name']} is not headless (type"
            f" {service['spec'].get('type')}) and has only ports"
            f" {[p['port'] for p in service['spec'].get('ports', [])]}"
        )
        if service
        else "no Service selects the head Pod",
    )

    def rewrite(text):
        """E1: `<head Service>[:<GCS port>]` and the head's own `127.0.0.1:<GCS port>` become
        `127.0.0.1[:<this run's GCS port>]`."""
        if hosts:
            names = "|".join(re.escape(h) for h in sorted(hosts, key=len, reverse=True))
            text = re.sub(
                r"(?<![\w.-])(%s)(:%d)?\b(?![.-])" % (names, gcs_port),
                lambda m: "127.0.0.1" + (f":{cluster.gcs_port}" if m[2] else ""),
                text,
            )
        own = r"(?<![\w.-])127\.0\.0\.1:%d\b" % gcs_port
        return re.sub(own, f"127.0.0.1:{cluster.gcs_port}", text)

    nodes = []
    for i, pod in enumerate(pods):
        container = pod["spec"]["containers"][0]
        env = container_env(container, pod, rewrite)
        cmd = RayStartCommand(kube_expand(bash_script(container), env))
        port_map = {}  # port as generated -> port of this run, for probes
        if pod["head"]:
            for flag, port in cluster.cluster_ports.items():
                port_map[int(cmd.value(flag) or RAY_DEFAULT_PORTS[flag])] = port
                cmd.set(flag, port, "R2/R3")
        else:
            address = cmd.value("address") or ""
            host, _, port = address.rpartition(":")
            if not checks.check(
                host in hosts and port == str(gcs_port),
                f"{tag}: {pod['name']} dials the head Service at the GCS port",
                f"--address={address}; head Service names {hosts}, GCS port {gcs_port}",
            ):
                return None
            cmd.set("address", f"127.0.0.1:{cluster.gcs_port}", "R1")
        for flag, port in cluster.node_ports[i].items():
            old = cmd.value(flag) or RAY_DEFAULT_PORTS.get(flag)
            if old is not None and str(old).isdigit():
                port_map[int(old)] = port
            cmd.set(flag, port, "R4")
        store = cmd.value("object-store-memory")
        if store is None or not store.isdigit() or int(store) > OBJECT_STORE_BYTES:
            cmd.set("object-store-memory", OBJECT_STORE_BYTES, "R5")
        print(f"     {pod['name']}: " + "; ".join(cmd.notes))
        machine = cluster.machine_env(i)
        inits = []
        for init in pod["spec"].get("initContainers") or []:
            init_env = container_env(init, pod, rewrite)
            script = rewrite(kube_expand(bash_script(init), init_env))
            inits.append((init["name"], script, {**machine, **init_env}))
        nodes.append(
            {
                "pod": pod,
                "container": container,
                "script": cmd.rendered(),
                "env": {**machine, **env},
                "init": inits,
                "port_map": port_map,
                "node_manager_port": cluster.node_ports[i]["node-manager-port"],
            }
        )
    wanted = [p for ports in cluster.node_ports for p in ports.values()]
    busy = sorted(p for p in wanted + list(cluster.cluster_ports.values()) if not port_free(p))
    if not checks.check(not busy, f"{tag}: the ports of this run are free", f"in use: {busy}"):
        return None
    return nodes


def run_init_container(cluster, node, name, script, env, checks):
    """Runs an init container to its end, as the kubelet does before the Ray container."""
    log = os.path.join(cluster.logs, f"{node['pod']['name']}.{name}.log")
    t0 = time.time()
    proc = cluster.spawn(script, env, log)
    try:
        code = proc.wait(timeout=INIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        code = "none (timed out)"
    return checks.check(
        code == 0 and "GCS is ready" in read(log),
        f"{cluster.tag}: {node['pod']['name']} init container {name} passes"
        f" ({time.time() - t0:.0f} s)",
        f"exit {code}:\n{tail(read(log))}",
    )


def start_node(cluster, node, checks):
    """Starts a Pod's Ray container; waits until `ray start` says the node runs.

    One node at a time: on two cores, Ray nodes that start together can miss Ray's fixed 30 s
    deadline for a new node to register.
    """
    log = os.path.join(cluster.logs, f"{node['pod']['name']}.log")
    t0 = time.time()
    node["proc"] = proc = cluster.spawn(node["script"], node["env"], log)
    while time.time() - t0 < START_TIMEOUT and proc.poll() is None and STARTED not in read(log):
        time.sleep(0.2)
    return checks.check(
        proc.poll() is None and STARTED in read(log),
        f"{cluster.tag}: {node['pod']['name']} `ray start` runs ({time.time() - t0:.0f} s)",
        f"exit {proc.poll()}:\n{tail(read(log))}",
    )


def run_nodes(cluster, nodes, expect, checks):
    tag = cluster.tag
    t0 = time.time()
    if not start_node(cluster, nodes[0], checks):
        return
    for node in nodes[1:]:
        if all(run_init_container(cluster, node, *init, checks) for init in node["init"]):
            start_node(cluster, node, checks)

    tasks = []
    for group, want in sorted(expect.items()):
        for resource in sorted(set(want["resources"]) - STANDARD_RESOURCES):
            task = {"what": f"resource {resource}", "group": group, "resources": {resource: 1}}
            tasks.append(task)
        for key, value in sorted(want["labels"].items()):
            tasks.append({"what": f"label {key}={value}", "group": group, "labels": {key: value}})
    request = {"address": f"127.0.0.1:{cluster.gcs_port}", "nodes": len(nodes), "tasks": tasks}
    report = ask_ray(cluster, request)
    alive = report.get("nodes", [])
    checks.check(
        len(alive) == len(nodes),
        f"{tag}: all {len(nodes)} nodes alive in the GCS"
        f" ({time.time() - t0:.0f} s after the head started)",
        report.get("error") or f"{len(alive)} alive",
    )
    for node in nodes:
        if "proc" in node:
            checks.check(
                node["proc"].poll() is None,
                f"{tag}: {node['pod']['name']} `ray start --block` still runs",
                f"exit {node['proc'].poll()}:\n"
                + tail(read(os.path.join(cluster.logs, node["pod"]["name"] + ".log"))),
            )
    by_port = {n["NodeManagerPort"]: n for n in alive}
    for node in nodes:
        pod = node["pod"]
        info = by_port.get(node["node_manager_port"])
        if not checks.check(info is not None, f"{tag}: {pod['name']} is a live Ray node"):
            continue
        want = expect.get(pod["group"], {"resources": {}, "labels": {}})
        have = info["Resources"]
        wrong = {
            k: have.get(k, 0)
            for k, v in want["resources"].items()
            if abs(have.get(k, 0) - v) > 1e-9
        }
        if want["resources"]:
            shown = " ".join(f"{k}={number(v)}" for k, v in sorted(want["resources"].items()))
            checks.check(
                not wrong, f"{tag}: {pod['name']} has {shown}", f"Ray has {wrong}; all: {have}"
            )
        labels = info.get("Labels") or {}
        checks.check(
            labels.get("ray.io/node-group") == pod["group"],
            f"{tag}: {pod['name']} is in Ray node group {pod['group']} (from RAY_NODE_TYPE_NAME)",
            f"Ray's labels: {labels}",
        )
        wrong = {k: labels.get(k) for k, v in want["labels"].items() if labels.get(k) != v}
        if want["labels"]:
            shown = " ".join(f"{k}={v}" for k, v in sorted(want["labels"].items()))
            checks.check(
                not wrong,
                f"{tag}: {pod['name']} has labels {shown}",
                f"Ray has {wrong}; all: {labels}",
            )
        for kind in ("readinessProbe", "livenessProbe"):
            if node["container"].get(kind):
                run_probe(cluster, node, kind, checks)
    for node in nodes:
        if "proc" in node:
            run_ray_status(cluster, node, len(nodes), checks)
    pods_by_node_id = {
        by_port[node["node_manager_port"]]["NodeID"]: node["pod"]
        for node in nodes
        if node["node_manager_port"] in by_port
    }
    for task, outcome in zip(tasks, report.get("tasks", [])):
        pod = pods_by_node_id.get(outcome.get("node_id"), {})
        env = outcome.get("env", {})
        seen = {"RAY_CLOUD_INSTANCE_ID": pod.get("name"), "RAY_NODE_TYPE_NAME": pod.get("group")}
        checks.check(
            pod.get("group") == task["group"] and env == seen,
            f"{tag}: a task pinned by {task['what']} runs in group {task['group']}"
            ", in its Pod's env",
            outcome.get("error") or f"it ran in {pod.get('name')} and saw {env}",
        )


def run_ray_status(cluster, node, count, checks):
    """`ray status` in the Pod's environment (it finds the cluster through RAY_ADDRESS) must list
    every node as active. The autoscaler's view lags a little; it gets a few tries."""
    deadline = time.time() + 30
    while True:
        try:
            run = subprocess.run(
                ["ray", "status"],
                env={**node["env"], MARKER: cluster.run_id},
                capture_output=True,
                text=True,
                timeout=60,
            )
            output = run.stdout + run.stderr
        except subprocess.TimeoutExpired:
            output = "timed out"
        active = re.search(r"^Active:\n((?:[ \t]+\d+ \S+\n)*)", output, re.M)
        listed = sum(int(n) for n in re.findall(r"(\d+) \S+\n", active[1])) if active else 0
        if listed == count or time.time() > deadline:
            break
        time.sleep(2)
    checks.check(
        listed == count,
        f"{cluster.tag}: `ray status` in {node['pod']['name']} lists {count} active nodes",
        tail(output),
    )


def ask_ray(cluster, request):
    """Runs `inspect` in a child process (it imports ray and joins the cluster as a driver)."""
    try:
        result = subprocess.run(
            [sys.executable, __file__, "inspect", json.dumps(request)],
            env={**cluster.machine_env(0), MARKER: cluster.run_id},
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT + TASK_TIMEOUT * (len(request["tasks"]) + 1),
        )
    except subprocess.TimeoutExpired:
        return {"error": "the Ray API side timed out"}
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": "the Ray API side gave no answer:\n" + tail(result.stderr)}


def run_probe(cluster, node, kind, checks):
    """An httpGet probe as the kubelet runs it (200-399 is success), on the moved port."""
    pod, probe = node["pod"], node["container"][kind]
    http = probe.get("httpGet")
    if not http:
        print(f"     {pod['name']}: {kind} is not httpGet; not run")
        return
    port = http["port"]
    if isinstance(port, str):
        ports = node["container"].get("ports", [])
        named = [p["containerPort"] for p in ports if p.get("name") == port]
        port = named[0] if named else port
    moved = node["port_map"].get(port)
    if not checks.check(
        moved is not None,
        f"{cluster.tag}: {pod['name']} {kind} port {port} is a port Ray listens on",
        f"Ray's ports here: {sorted(node['port_map'])}",
    ):
        return
    url = f"http://127.0.0.1:{moved}{http.get('path', '/')}"
    deadline = time.time() + PROBE_TIMEOUT
    status, detail = None, ""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=probe.get("timeoutSeconds", 1) + 1) as resp:
                status, detail = resp.status, ""
        except urllib.error.HTTPError as e:
            status, detail = e.code, e.read(200).decode(errors="replace")
        except OSError as e:
            status, detail = None, str(e)
        if (status is not None and 200 <= status < 400) or time.time() > deadline:
            break
        time.sleep(1)
    checks.check(
        status is not None and 200 <= status < 400,
        f"{cluster.tag}: {pod['name']} {kind} GET {http.get('path', '/')} passes",
        f"{url}: {status} {detail}",
    )


# --- The Ray API side: `ray_e2e.py inspect REQUEST` ------------------------------------------


def inspect(request):
    """Waits for the nodes, runs the pinned tasks, prints one JSON line."""
    import ray

    ray.init(address=request["address"], logging_level="ERROR", log_to_driver=False)
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline:
        if sum(n["Alive"] for n in ray.nodes()) >= request["nodes"]:
            break
        time.sleep(0.5)

    def where():
        return {
            "node_id": ray.get_runtime_context().get_node_id(),
            "env": {k: os.environ.get(k) for k in ("RAY_CLOUD_INSTANCE_ID", "RAY_NODE_TYPE_NAME")},
        }

    outcomes = []
    for task in request["tasks"]:
        options = {"num_cpus": 0, "resources": task.get("resources", {})}
        if "labels" in task:
            options["label_selector"] = task["labels"]
        try:
            ref = ray.remote(where).options(**options).remote()
            outcomes.append(ray.get(ref, timeout=TASK_TIMEOUT))
        except Exception as e:  # reported as the task's outcome; the other tasks still run
            outcomes.append({"error": f"{type(e).__name__}: {e}"})
    keep = ("NodeID", "NodeManagerPort", "Resources", "Labels")
    nodes = [{k: n.get(k) for k in keep} for n in ray.nodes() if n["Alive"]]
    print(json.dumps({"nodes": nodes, "tasks": outcomes}))
    ray.shutdown()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "inspect":
        inspect(json.loads(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raycc", required=True, help="the raycc binary")
    parser.add_argument("--run-id", required=True, help="marks every process this run starts")
    parser.add_argument("--logs", default="target/ray-e2e", help="where Pod logs go")
    parser.add_argument("fixtures", nargs="+")
    args = parser.parse_args()
    # SIGTERM unwinds like an exception, so that every cluster's `finally` stops its processes.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    checks = Checks()
    t0 = time.time()
    for index, fixture in enumerate(args.fixtures):
        started = time.time()
        print(f"--- {fixture}", flush=True)
        try:
            run_cluster(index, fixture, args, checks)
        except Exception as e:  # a broken manifest fails its fixture, not the whole run
            checks.check(False, f"{fixture} runs", f"{type(e).__name__}: {e}")
        print(f"     {fixture}: {time.time() - started:.0f} s", flush=True)
    print(f"ray-e2e: {checks.passed} passed, {checks.failed} failed ({time.time() - t0:.0f} s)")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
