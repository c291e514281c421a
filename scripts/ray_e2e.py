"""Runs the Ray clusters raycc compiles on a real control plane, with a real `ray start`.

Run by scripts/ray-e2e.sh inside the control plane of scripts/control-plane.sh. For each fixture
given (fixtures/e2e/*.yaml), one after the other, the driver compiles it with raycc, applies the
output with kubectl (objects without a namespace go to `e2e-<fixture>`), after creating every
Secret the output reads and does not hold (with random values, as a user would beforehand:
the token of token authentication), and lets the controllers create the Pods, which the
kubelet stand-in (scripts/kubelet.py, started once for the run) runs as real Ray nodes on this
machine, each Pod with its own IP, hostname, /tmp and /dev/shm: the worker's
`wait-gcs-ready` init container, then the Ray container's own `/bin/bash -c` command, both
unchanged, with the environment the kubelet builds and the head Service's name resolving to
the head Pod. Then it checks:

- statically, in the manifests: one head Pod, Pods for every group that the fixture's
  `# e2e-expect GROUP: NAME=NUMBER ... label:KEY=VALUE ...` lines name, a Service that selects
  the head Pod and reaches its GCS port, every worker dialling that Service at that port, and,
  where a group gives its Ray container a `command`, the generated script running that
  command first and then `ray start`;
- every init container exits 0 after saying "GCS is ready", every `ray start` says "Ray runtime
  started." and keeps running (restarted only when an earlier attempt missed Ray's fixed 30 s
  deadline for a node to register, which a node can on two busy cores; the stand-in restarts
  it as a kubelet does), every Pod becomes Ready through the generated
  readiness probe (run by the stand-in), and each generated httpGet probe answers the driver;
- each Ray container prints what the fixture's `# e2e-log GROUP: TEXT` lines say before
  `ray start` starts (a user's command, with env from fieldRef and resourceFieldRef);
- every Pod of a StatefulSet governed by a headless Service (the head's, a multi-host
  group's `<cluster>-headless`) resolves by its DNS name, in the head Pod, to its Pod IP;
- an init container with RAY_AUTH_MODE and RAY_AUTH_TOKEN, run again in its Pod as the
  stand-in ran it, finds the GCS ready, and without them is refused: its pass used the token;
- through the Ray API (a driver run inside the head Pod): every Pod is a live Ray node at its
  Pod IP, with the resources and labels the fixture declares and Ray node group = its group;
- `ray status` in each Pod's environment (through `kubelet.py exec`) lists every node;
- a task pinned by each declared custom resource and label runs in its group, and sees its
  Pod's RAY_CLOUD_INSTANCE_ID and RAY_NODE_TYPE_NAME;
- where a Ray container's `ray start` spills objects (`--object-spilling-directory`) to a
  directory on a claim (a per-Pod claim of a StatefulSet: `<template>-<pod>`): a detached actor
  pinned to the Pod's node fills its object store twice over and keeps the objects; the spilled
  files must be in the folder the stand-in keeps for that claim, at least the bytes that cannot
  be in memory, and none in the Pod's /tmp, where Ray spills by default;
- where the head's GCS keeps its state in RocksDB (`RAY_gcs_storage=rocksdb`): the storage path
  is on a claim whose folder holds the database; a driver writes an internal KV key and a
  detached named actor; the head Pod is deleted, its StatefulSet creates it again on the same
  claim and the new head must become Ready; then the key must read back, the actor be found by
  name and answer with its value, and every worker stay the same live Ray node (a task pinned
  to it runs), its container never restarted;
- deleting the workloads stops every process of their Pods.

No generated command or env value is rewritten; what the 1.20 control plane cannot read (a
StatefulSet's persistentVolumeClaimRetentionPolicy, see kubeapi.downgrade) is left out before
applying, and the run says so. What the stand-in provides in place of the `rayproject/ray`
image: the virtualenv holding `ray[default]` (the same version) first on PATH, and
RAY_USAGE_STATS_ENABLED=0 beneath the container's env (the Pods have no network). The
stand-in starts one Pod's containers at a time (`--serial-starts`), each once the previous Pod
is Ready: `ray start` gives a new node a fixed 30 s to register, which nodes starting together
can miss on two busy cores.
Each check prints `ok` or `FAIL`; the last line is `ray-e2e: N passed, M failed`.

Usage: python ray_e2e.py --raycc BIN --kubectl BIN --image-path DIR [--state DIR]
       [--drop-init-env NAME]... [--ready-timeout SECONDS] FIXTURE...
`--drop-init-env` removes env NAME from every init container before applying: a regression,
to see the run fail.
`python ray_e2e.py inspect|spill|remember|recall REQUEST` are the parts that use the Ray API,
run inside the head Pod.
"""

import argparse
import base64
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, HERE)
import kubeapi  # noqa: E402
import kubelet  # noqa: E402

STANDARD_RESOURCES = {"CPU", "GPU", "memory", "object_store_memory"}
STARTED = "Ray runtime started."
NODE_TIMEOUT = "The current node timed out during startup."
SELECTOR = "app.kubernetes.io/created-by=raycc"
READY_TIMEOUT = 300  # every Pod of a cluster Running and Ready
AUTH_ENV = {"RAY_AUTH_MODE", "RAY_AUTH_TOKEN"}
TASK_TIMEOUT = 60
STARTED_TIMEOUT = 60  # a Ready Pod's `ray start` says it started
STOP_TIMEOUT = 120
E2E_NAMESPACE = "raycc-e2e"  # the Ray namespace of the e2e's actors and KV keys


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


def shell_words(script):
    """The words of a bash command string, with '...' and "..." quoting, backslash escapes
    and ${...}; control operators (; && || | & newline) are words of their own."""
    words, i, n = [], 0, len(script)
    while i < n:
        if script[i] in " \t":
            i += 1
            continue
        op = next((o for o in ("&&", "||", ";", "&", "|", "\n") if script.startswith(o, i)), None)
        if op:
            words.append(op)
            i += len(op)
            continue
        start = i
        while i < n and script[i] not in " \t\n;&|":
            c = script[i]
            if c == "'":
                i = script.index("'", i + 1) + 1
            elif c == '"':
                i += 1
                while script[i] != '"':
                    i += 2 if script[i] == "\\" else 1
                i += 1
            elif c == "\\":
                i += 2
            elif script.startswith("${", i):
                i = script.index("}", i) + 1
            else:
                i += 1
        words.append(script[start:i])
    return words


def ray_start_flags(script):
    """The `--name[=value]` flags of the `ray start` in a container script."""
    words = shell_words(script)
    at = next(i for i in range(len(words) - 1) if words[i : i + 2] == ["ray", "start"])
    flags = {}
    for word in words[at + 2 :]:
        if not word.startswith("--"):
            break
        name, _, value = word[2:].partition("=")
        flags[name] = value
    return flags


def bash_script(container):
    if container.get("command") != ["/bin/bash", "-c", "--"] or len(container.get("args", [])) != 1:
        raise ValueError(f"container {container['name']} does not run `/bin/bash -c -- SCRIPT`")
    return container["args"][0]


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


def parse_logs(text):
    """`# e2e-log GROUP: TEXT` lines of a fixture: the group's Ray container prints TEXT before
    `ray start` says it started."""
    logs = {}
    for line in text.splitlines():
        m = re.fullmatch(r"#\s*e2e-log\s+([\w.-]+):\s*(.*)", line.strip())
        if m:
            logs.setdefault(m[1], []).append(m[2])
    return logs


def user_commands(text):
    """The `command` + `args` that a fixture's groups give their Ray container, by group."""
    docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    cluster = next((d for d in docs if d.get("kind") == "RayCluster"), {})
    spec = cluster.get("spec") or {}
    groups = [("headgroup", spec.get("headGroupSpec") or {})] + [
        (g.get("groupName"), g) for g in spec.get("workerGroupSpecs") or []
    ]
    out = {}
    for name, group in groups:
        containers = ((group.get("template") or {}).get("spec") or {}).get("containers") or [{}]
        if containers[0].get("command"):
            out[name] = [*containers[0]["command"], *(containers[0].get("args") or [])]
    return out


def referenced_secrets(objects):
    """{Secret name: keys} for every Secret that a Pod template reads (env `secretKeyRef`,
    `envFrom`, `secret` volumes; optional ones aside) and the output does not hold."""
    own = {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}
    wanted = {}
    for w, *_ in workloads(objects):
        spec = w["spec"]["template"]["spec"]
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            for item in c.get("env") or []:
                ref = (item.get("valueFrom") or {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    wanted.setdefault(ref["name"], set()).add(ref["key"])
            for source in c.get("envFrom") or []:
                ref = source.get("secretRef")
                if ref and not ref.get("optional"):
                    wanted.setdefault(ref["name"], set())
        for volume in spec.get("volumes") or []:
            ref = volume.get("secret")
            if ref and not ref.get("optional"):
                keys = wanted.setdefault(ref["secretName"], set())
                keys.update(item["key"] for item in ref.get("items") or [])
    return {name: sorted(keys) for name, keys in sorted(wanted.items()) if name not in own}


def drop_init_env(objects, names):
    """Removes the env variables `names` from every init container of every workload: the
    regression `--drop-init-env` simulates."""
    for w, *_ in workloads(objects):
        for c in w["spec"]["template"]["spec"].get("initContainers") or []:
            c["env"] = [e for e in c.get("env") or [] if e["name"] not in names]


def workloads(objects):
    """(workload, replicas, labels, group, is_head) for each StatefulSet/Deployment; an HPA's
    workload runs the HPA's minReplicas."""
    hpa_min = {
        o["spec"]["scaleTargetRef"]["name"]: o["spec"].get("minReplicas", 1)
        for o in objects
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    out = []
    for o in objects:
        if o["kind"] not in ("StatefulSet", "Deployment"):
            continue
        labels = o["spec"]["template"]["metadata"].get("labels", {})
        replicas = o["spec"].get("replicas", hpa_min.get(o["metadata"]["name"], 1))
        out.append(
            (
                o,
                replicas,
                labels,
                labels.get("ray.io/group", ""),
                labels.get("ray.io/node-type") == "head",
            )
        )
    return out


def head_service(objects, head_labels):
    """The Service that selects the head Pod, and the DNS names a Pod can reach it by."""
    for o in objects:
        if o["kind"] != "Service":
            continue
        selector = o["spec"].get("selector") or {}
        if selector and all(head_labels.get(k) == v for k, v in selector.items()):
            name, ns = o["metadata"]["name"], o["metadata"].get("namespace")
            hosts = [name]
            if ns:
                hosts += [f"{name}.{ns}", f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local"]
            return o, hosts
    return None, []


def claim_path(pod_spec, container, path):
    """(claim, folder inside it) holding `path` of `container` in a Pod: the deepest mount that
    holds the path, when its volume is a persistentVolumeClaim (as the StatefulSet controller
    gives each Pod its volumeClaimTemplates entries: claim `<template>-<pod>`). None otherwise."""
    path = os.path.normpath(path)
    best = None
    for m in container.get("volumeMounts") or []:
        mount = os.path.normpath(m["mountPath"])
        if os.path.commonpath([path, mount]) == mount and (
            best is None or len(mount) > len(os.path.normpath(best["mountPath"]))
        ):
            best = m
    if best is None:
        return None
    volume = next((v for v in pod_spec.get("volumes") or [] if v["name"] == best["name"]), {})
    claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
    if not claim:
        return None
    inside = os.path.relpath(path, os.path.normpath(best["mountPath"]))
    return claim, os.path.normpath(os.path.join(best.get("subPath") or "", inside))


def spill_directory(container):
    """The directory the Ray container's `ray start` spills objects to
    (`--object-spilling-directory`), or None."""
    try:
        return ray_start_flags(bash_script(container)).get("object-spilling-directory") or None
    except (ValueError, StopIteration):
        return None


def gcs_storage_path(container):
    """The path of the GCS's RocksDB when the container runs it (`RAY_gcs_storage=rocksdb`), or
    None."""
    env = {e["name"]: e.get("value") for e in container.get("env") or []}
    if env.get("RAY_gcs_storage") != "rocksdb":
        return None
    return env.get("RAY_gcs_storage_path") or ""


def files_under(folder, name_prefix=""):
    """{path: size} of the regular files below `folder` in a directory whose name starts with
    `name_prefix` (anywhere below it)."""
    out = {}
    for root, _, names in os.walk(folder):
        inside = os.path.relpath(root, folder).split(os.sep)
        if name_prefix and not any(part.startswith(name_prefix) for part in inside):
            continue
        for name in names:
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                out[path] = os.path.getsize(path)
    return out


def number(value):
    return str(int(value)) if value == int(value) else str(value)


def tail(text, lines=25):
    return "\n".join(text.splitlines()[-lines:])


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# --- The run ---------------------------------------------------------------------------------


class Run:
    def __init__(self, args, checks):
        self.args = args
        self.checks = checks
        self.api = kubeapi.Api()
        self.state = os.path.abspath(args.state)

    def kubectl(self, *argv):
        return subprocess.run([self.args.kubectl, *argv], capture_output=True, text=True)

    def pods(self, ns):
        path = kubeapi.path_for("v1", "pods", ns)
        return self.api.get(path, params={"labelSelector": SELECTOR})["items"]

    def pod_dir(self, pod):
        meta = pod["metadata"]
        return os.path.join(
            self.state, "pods", f"{meta['namespace']}_{meta['name']}_{meta['uid'][:8]}"
        )

    def log(self, pod, container, attempt=0):
        return read(os.path.join(self.pod_dir(pod), "logs", f"{container}-{attempt}.log"))

    def started_log(self, pod, status):
        """The log of the container's current attempt, once `ray start` has said it started
        or STARTED_TIMEOUT has passed: a readiness probe can pass, on the raylet's health,
        before `ray start` prints its last lines."""
        deadline = time.time() + STARTED_TIMEOUT
        while True:
            log = self.log(pod, status.get("name", ""), status.get("restartCount", 0))
            running = "running" in status.get("state", {})
            if STARTED in log or not running or time.time() > deadline:
                return log
            time.sleep(1)

    def restarts_explained(self, pod, status):
        """Every earlier attempt of the container ended at Ray's fixed 30 s deadline for a new
        node to register, which nodes starting together can miss on two busy cores (the
        kubelet then restarts the container, as it does in a cluster). Returns the attempts
        that ended otherwise."""
        return [
            i
            for i in range(status.get("restartCount", 0))
            if NODE_TIMEOUT not in self.log(pod, status["name"], i)
        ]

    def exec(self, pod, argv, timeout=120):
        meta = pod["metadata"]
        return subprocess.run(
            [
                sys.executable,
                os.path.join(HERE, "kubelet.py"),
                "exec",
                "--state-dir",
                self.state,
                "-n",
                meta["namespace"],
                meta["name"],
                "--",
            ]
            + argv,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def namespace(self, ns):
        try:
            self.api.post(
                "/api/v1/namespaces",
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
            )
        except kubeapi.ApiError as e:
            if e.status != 409:
                raise
        kubeapi.wait_for(
            f"ServiceAccount default in {ns}",
            lambda: (
                self.api.get(
                    kubeapi.path_for("v1", "serviceaccounts", ns, "default"), ok_missing=True
                )
                or {}
            ).get("secrets"),
            60,
        )

    def fixture(self, path):
        check = self.checks.check
        tag = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            text = f.read()
        expect = parse_expectations(text)
        compiled = subprocess.run(
            [self.args.raycc, "compile", "--color=never", path], capture_output=True, text=True
        )
        if not check(compiled.returncode == 0, f"{tag}: raycc compile", compiled.stderr):
            return
        objects = [o for o in yaml.safe_load_all(compiled.stdout) if o]
        manifests = compiled.stdout
        notes = [
            f"{o['kind']} {o['metadata'].get('name')}: {note}"
            for o in objects
            for note in kubeapi.downgrade(o)
        ]
        for note in notes:
            print(f"     {tag}: for Kubernetes 1.20, {note}")
        if self.args.drop_init_env:
            drop_init_env(objects, self.args.drop_init_env)
            print(f"     {tag}: init containers run without {self.args.drop_init_env}")
        if notes or self.args.drop_init_env:
            manifests = yaml.safe_dump_all(objects, sort_keys=False)
        plan = workloads(objects)
        heads = [w for w in plan if w[4]]
        total = sum(w[1] for w in plan)
        if not check(
            len(heads) == 1 and heads[0][1] == 1, f"{tag}: one head Pod among {total} Pods"
        ):
            return
        unknown = sorted(set(expect) - {w[3] for w in plan})
        check(not unknown, f"{tag}: every e2e-expect group has Pods", f"no Pods for {unknown}")
        head_workload = heads[0][0]
        head_container = head_workload["spec"]["template"]["spec"]["containers"][0]
        gcs_port = int(ray_start_flags(bash_script(head_container)).get("port") or 6379)
        service, hosts = head_service(objects, heads[0][2])
        reachable = service is not None and (
            service["spec"].get("clusterIP") == "None"
            or any(p["port"] == gcs_port for p in service["spec"].get("ports", []))
        )
        check(
            reachable,
            f"{tag}: a Service selects the head Pod and reaches its GCS port {gcs_port}",
            f"Service {service['metadata']['name'] if service else None}",
        )
        commands = user_commands(text)
        for w, _, _, group, _ in plan:
            if group not in commands:
                continue
            user = shell_words(" ".join(commands[group]))
            words = shell_words(bash_script(w["spec"]["template"]["spec"]["containers"][0]))
            after = words[len(user) :]
            check(
                words[: len(user)] == user
                and any(after[i : i + 2] == ["ray", "start"] for i in range(len(after))),
                f"{tag}: {w['metadata']['name']} runs the user's command, then `ray start`",
                f"user command {user}; script {words}",
            )
        for w, *_ in plan:
            if w is head_workload:
                continue
            address = ray_start_flags(
                bash_script(w["spec"]["template"]["spec"]["containers"][0])
            ).get("address", "")
            host, _, port = address.rpartition(":")
            check(
                host in hosts and port == str(gcs_port),
                f"{tag}: {w['metadata']['name']} dials the head Service at the GCS port",
                f"--address={address}; head Service names {hosts}, GCS port {gcs_port}",
            )

        ns = head_workload["metadata"].get("namespace") or f"e2e-{tag}"
        self.namespace(ns)
        for name, keys in referenced_secrets(objects).items():
            # What a user creates beforehand (raycc says so, RC310): random values.
            data = {k: base64.b64encode(secrets.token_hex(24).encode()).decode() for k in keys}
            body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": data}
            self.api.post(kubeapi.path_for("v1", "secrets", ns), body)
            print(f"     {tag}: created the Secret {ns}/{name} ({', '.join(keys)}) it reads")
        applied = subprocess.run(
            [self.args.kubectl, "apply", "-n", ns, "-f", "-"],
            input=manifests,
            capture_output=True,
            text=True,
        )
        if not check(applied.returncode == 0, f"{tag}: kubectl apply -n {ns}", applied.stderr):
            return
        t0 = time.time()
        try:
            self.run_cluster(tag, ns, objects, plan, expect, parse_logs(text), total, t0)
        finally:
            self.stop(tag, ns, plan)

    def wait_ready(self, ns, total):
        deadline = time.time() + self.args.ready_timeout
        while time.time() < deadline:
            pods = self.pods(ns)
            if len(pods) == total and all(
                any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in p.get("status", {}).get("conditions", [])
                )
                for p in pods
            ):
                return pods
            time.sleep(1)
        return self.pods(ns)

    def run_cluster(self, tag, ns, objects, plan, expect, logs, total, t0):
        check = self.checks.check
        pods = self.wait_ready(ns, total)
        by_group = {}
        for p in pods:
            by_group.setdefault(p["metadata"]["labels"].get("ray.io/group"), []).append(p)
        check(
            len(pods) == total,
            f"{tag}: the controllers create all {total} Pods",
            f"{len(pods)} Pods",
        )
        unready = []
        for p in sorted(pods, key=lambda p: p["metadata"]["name"]):
            name = p["metadata"]["name"]
            status = p.get("status", {})
            for init in status.get("initContainerStatuses", []):
                done = init["state"].get("terminated", {})
                log = self.log(p, init["name"])
                check(
                    done.get("exitCode") == 0 and "GCS is ready" in log,
                    f"{tag}: {name} init container {init['name']} passes",
                    f"state {init['state']}:\n{tail(log)}",
                )
            ray = status.get("containerStatuses", [{}])[0]
            log = self.started_log(p, ray)
            check(
                "running" in ray.get("state", {}) and STARTED in log,
                f"{tag}: {name} `ray start` runs",
                f"state {ray.get('state')}:\n{tail(log)}",
            )
            ready = any(
                c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
            )
            if not check(
                ready,
                f"{tag}: {name} is Ready (its readiness probe passes)",
                f"conditions {status.get('conditions')}",
            ):
                unready.append(name)
        if unready or len(pods) != total:  # failed above; the Ray checks would only wait
            print(f"     {tag}: not all Pods Ready; the checks through Ray are left out")
            return
        print(f"     {tag}: all Pods Ready {time.time() - t0:.0f} s after apply", flush=True)
        for p in sorted(pods, key=lambda p: p["metadata"]["name"]):
            ray = p.get("status", {}).get("containerStatuses", [{}])[0]
            log = self.log(p, ray.get("name", ""), ray.get("restartCount", 0))
            for text in logs.get(p["metadata"]["labels"].get("ray.io/group"), []):
                at, started = log.find(text), log.find(STARTED)
                check(
                    0 <= at < started,
                    f"{tag}: {p['metadata']['name']} prints {text!r} before `ray start` starts",
                    tail(log),
                )
        heads = [p for p in pods if p["metadata"]["labels"].get("ray.io/node-type") == "head"]
        if not heads:
            return
        head = heads[0]
        self.resolve_hosts(tag, head, objects, pods)
        for p in sorted(pods, key=lambda p: p["metadata"]["name"]):
            for init in p["spec"].get("initContainers") or []:
                names = {e["name"] for e in init.get("env") or []}
                if AUTH_ENV <= names:
                    self.init_needs_token(tag, p, init["name"])

        tasks = []
        for group, want in sorted(expect.items()):
            for resource in sorted(set(want["resources"]) - STANDARD_RESOURCES):
                tasks.append(
                    {"what": f"resource {resource}", "group": group, "resources": {resource: 1}}
                )
            for key, value in sorted(want["labels"].items()):
                tasks.append(
                    {"what": f"label {key}={value}", "group": group, "labels": {key: value}}
                )
        report = self.ask_ray(head, {"nodes": total, "tasks": tasks})
        alive = report.get("nodes", [])
        check(
            len(alive) == total,
            f"{tag}: all {total} nodes alive in the GCS",
            report.get("error") or f"{len(alive)} alive",
        )
        by_ip = {n["NodeManagerAddress"]: n for n in alive}
        pods = self.pods(ns)
        for p in sorted(pods, key=lambda p: p["metadata"]["name"]):
            name = p["metadata"]["name"]
            group = p["metadata"]["labels"].get("ray.io/group", "")
            ray = p["status"]["containerStatuses"][0]
            unexplained = self.restarts_explained(p, ray)
            check(
                "running" in ray["state"] and not unexplained,
                f"{tag}: {name} `ray start --block` still runs, restarted only after Ray's "
                f"node start deadline ({ray['restartCount']} restarts)",
                f"{ray['state']}; attempts that ended otherwise: "
                + "\n".join(tail(self.log(p, ray["name"], i), 10) for i in unexplained),
            )
            info = by_ip.get(p["status"].get("podIP"))
            if not check(
                info is not None,
                f"{tag}: {name} is a live Ray node at its Pod IP " f"{p['status'].get('podIP')}",
                f"Ray's nodes: {sorted(by_ip)}",
            ):
                continue
            want = expect.get(group, {"resources": {}, "labels": {}})
            have = info["Resources"]
            wrong = {
                k: have.get(k, 0)
                for k, v in want["resources"].items()
                if abs(have.get(k, 0) - v) > 1e-9
            }
            if want["resources"]:
                shown = " ".join(f"{k}={number(v)}" for k, v in sorted(want["resources"].items()))
                check(not wrong, f"{tag}: {name} has {shown}", f"Ray has {wrong}; all: {have}")
            labels = info.get("Labels") or {}
            check(
                labels.get("ray.io/node-group") == group,
                f"{tag}: {name} is in Ray node group {group} (from RAY_NODE_TYPE_NAME)",
                f"Ray's labels: {labels}",
            )
            wrong = {k: labels.get(k) for k, v in want["labels"].items() if labels.get(k) != v}
            if want["labels"]:
                shown = " ".join(f"{k}={v}" for k, v in sorted(want["labels"].items()))
                check(
                    not wrong,
                    f"{tag}: {name} has labels {shown}",
                    f"Ray has {wrong}; all: {labels}",
                )
            container = next(
                w
                for w, *_ in workloads(objects)
                if w["spec"]["selector"]["matchLabels"].items() <= p["metadata"]["labels"].items()
            )["spec"]["template"]["spec"]["containers"][0]
            for kind in ("readinessProbe", "livenessProbe"):
                if container.get(kind):
                    self.probe(tag, p, container, kind)
            self.ray_status(tag, p, total)
        nodes = {n["NodeID"]: n["NodeManagerAddress"] for n in alive}
        pod_at = {p["status"].get("podIP"): p for p in pods}
        for task, outcome in zip(tasks, report.get("tasks", [])):
            pod = pod_at.get(nodes.get(outcome.get("node_id")), {"metadata": {"labels": {}}})
            meta = pod["metadata"]
            env = outcome.get("env", {})
            seen = {
                "RAY_CLOUD_INSTANCE_ID": meta.get("name"),
                "RAY_NODE_TYPE_NAME": meta["labels"].get("ray.io/group"),
            }
            check(
                meta["labels"].get("ray.io/group") == task["group"] and env == seen,
                f"{tag}: a task pinned by {task['what']} runs in group {task['group']}"
                ", in its Pod's env",
                outcome.get("error") or f"it ran in {meta.get('name')} and saw {env}",
            )
        pods = self.pods(ns)
        for p in sorted(pods, key=lambda p: p["metadata"]["name"]):
            self.spilling(tag, head, p)
        self.head_restart(tag, ns, head, pods)

    def claim_folder(self, pod, container, path):
        """The folder the stand-in gives the claim that holds `path` in the Pod's container,
        with the claim's name; None when no claim holds it."""
        on = claim_path(pod["spec"], container, path)
        if on is None:
            return None, None
        claim, inside = on
        folder = os.path.join(self.state, "claims", pod["metadata"]["namespace"], claim, inside)
        return os.path.normpath(folder), claim

    def spilling(self, tag, head, pod):
        """A Ray container whose `ray start` spills to a directory on a claim: a detached actor
        pinned to the Pod's node fills its object store twice over and keeps the objects, so
        Ray must spill at least the store's size. The spilled files must be in that node's
        folder, `ray_spilled_objects_<node id>`, in the folder the stand-in keeps for the claim
        (at least the bytes that cannot be in memory), and none in the Pod's /tmp, where Ray
        spills by default."""
        container = pod["spec"]["containers"][0]
        directory = spill_directory(container)
        if directory is None:
            return
        name = pod["metadata"]["name"]
        folder, claim = self.claim_folder(pod, container, directory)
        if not self.checks.check(
            folder, f"{tag}: {name} spills to {directory}, on a claim", "no claim holds it"
        ):
            return
        t0 = time.time()
        answer = self.ask_ray(
            head, {"ip": pod["status"]["podIP"], "name": f"spill-{name}"}, "spill", 180
        )
        seconds = time.time() - t0
        node = answer.get("node_id", "")
        spilled = files_under(os.path.join(folder, f"ray_spilled_objects_{node}"))
        in_tmp = files_under(os.path.join(self.pod_dir(pod), "tmp"), "ray_spilled_objects")
        put = answer.get("size", 0) * answer.get("count", 0)
        must = put - answer.get("capacity", 0)
        total = sum(spilled.values())
        mb = 1e6
        self.checks.check(
            node and total >= must > 0 and not in_tmp,
            f"{tag}: {name} spills to its claim {claim}: {total / mb:.0f} MB in "
            f"{len(spilled)} files of {put / mb:.0f} MB put into an object store of "
            f"{answer.get('capacity', 0) / mb:.0f} MB ({seconds:.0f} s), none in /tmp",
            answer.get("error")
            or f"{folder}: {sorted(spilled.items())}; in /tmp: {sorted(in_tmp.items())}",
        )

    def head_restart(self, tag, ns, head, pods):
        """A head whose GCS keeps its state in RocksDB (`RAY_gcs_storage=rocksdb`): the storage
        path must be on a claim whose folder holds the database; then a driver writes state (an
        internal KV key, a detached named actor), the head Pod is deleted, and its StatefulSet
        creates it again on the same claim, where `ray start --head` runs again. The new head
        must become Ready, the KV key read back, the actor be found by name and answer with its
        value, and every worker stay the same live Ray node, run a task pinned to it, and never
        have restarted its container."""
        container = head["spec"]["containers"][0]
        path = gcs_storage_path(container)
        if path is None:
            return
        check = self.checks.check
        name = head["metadata"]["name"]
        folder, claim = self.claim_folder(head, container, path)
        database = [p for p in files_under(folder or "/nonexistent") if p.endswith("/CURRENT")]
        if not check(
            folder and database,
            f"{tag}: the GCS keeps RocksDB at {path} on the claim {claim}",
            f"no claim holds {path}" if not folder else f"no RocksDB CURRENT file in {folder}",
        ):
            return
        value = secrets.token_hex(8)
        request = {"key": f"e2e-{tag}", "value": value, "actor": f"keeper-{tag}"}
        before = self.ask_ray(head, request, "remember", 180)
        if not check(
            before.get("actor", {}).get("value") == value,
            f"{tag}: a KV key and a detached actor written before the head restarts",
            before.get("error") or json.dumps(before.get("actor")),
        ):
            return
        workers = {
            p["status"]["podIP"]: (p, p["status"]["containerStatuses"][0]["restartCount"])
            for p in pods
            if p["metadata"]["name"] != name
        }
        node_of = {ip: node for node, ip in before["nodes"].items()}
        request["nodes"] = sorted(node_of[ip] for ip in workers if ip in node_of)
        uid = head["metadata"]["uid"]
        t0 = time.time()
        self.kubectl("delete", "pod", "-n", ns, name, "--wait=false")
        new = None
        deadline = t0 + STOP_TIMEOUT + self.args.ready_timeout
        while new is None and time.time() < deadline:
            time.sleep(1)
            for p in self.pods(ns):
                ready = any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in p.get("status", {}).get("conditions", [])
                )
                if p["metadata"]["name"] == name and p["metadata"]["uid"] != uid and ready:
                    new = p
        seconds = time.time() - t0
        if not check(
            new is not None,
            f"{tag}: the head Pod {name}, deleted, is created again and Ready ({seconds:.0f} s)",
            f"no new Ready head Pod in {seconds:.0f} s",
        ):
            return
        after = self.ask_ray(new, request, "recall", 180)
        names = {p["status"].get("podIP"): p["metadata"]["name"] for p in pods + [new]}

        def where(answer):
            node = (answer.get("actor") or {}).get("node_id")
            ip = (answer.get("nodes") or {}).get(node)
            return f"{names.get(ip, 'an unknown Pod')} ({ip})"

        print(
            f"     {tag}: the actor ran in {where(before)} before the restart, in {where(after)}"
            " after",
            flush=True,
        )
        check(
            after.get("kv") == value,
            f"{tag}: the internal KV key written before the restart reads back",
            after.get("error") or f"read {after.get('kv')!r}, wrote {value!r}",
        )
        check(
            after.get("actor", {}).get("value") == value,
            f"{tag}: the detached actor {request['actor']} is found by name and answers",
            after.get("error") or json.dumps(after.get("actor")),
        )
        now = {p["status"].get("podIP"): p for p in self.pods(ns)}
        for ip, (p, restarts) in sorted(workers.items()):
            status = (now.get(ip) or {}).get("status", {}).get("containerStatuses", [{}])[0]
            node = node_of.get(ip)
            check(
                node in after.get("nodes", {})
                and after.get("ran", {}).get(node) == node
                and status.get("restartCount") == restarts,
                f"{tag}: {p['metadata']['name']} stays the same live Ray node through the "
                "head's restart and runs a task pinned to it, its container not restarted",
                f"node {node} before; live after: {after.get('nodes')}; the task: "
                f"{after.get('ran', {}).get(node)}; restarts {restarts} -> "
                f"{status.get('restartCount')}",
            )

    def resolve_hosts(self, tag, head, objects, pods):
        """Every Pod of a StatefulSet governed by a headless Service that selects it has a DNS
        name, `<pod>.<service>.<namespace>.svc.cluster.local`, which resolves in the head Pod
        to the Pod's IP."""
        services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
        for w in objects:
            if w["kind"] != "StatefulSet":
                continue
            svc = services.get(w["spec"].get("serviceName"))
            labels = w["spec"]["template"]["metadata"].get("labels", {})
            if (
                svc is None
                or svc["spec"].get("clusterIP") != "None"
                or not (svc["spec"].get("selector") or {}).items() <= labels.items()
            ):
                continue
            selector = w["spec"]["selector"]["matchLabels"].items()
            for p in pods:
                if not selector <= p["metadata"]["labels"].items():
                    continue
                meta, ip = p["metadata"], p["status"].get("podIP")
                name = f"{meta['name']}.{svc['metadata']['name']}.{meta['namespace']}.svc"
                name += ".cluster.local"
                run = self.exec(head, ["getent", "hosts", name])
                self.checks.check(
                    run.stdout.split()[:1] == [ip],
                    f"{tag}: {name} resolves to {meta['name']}'s IP in the head Pod",
                    f"getent: {run.stdout.strip()} {run.stderr.strip()}; Pod IP {ip}",
                )

    def init_needs_token(self, tag, pod, init):
        """The init container `init` passed (checked before): it runs again in its Pod, as the
        stand-in ran it, once as compiled and once without RAY_AUTH_MODE and RAY_AUTH_TOKEN.
        As compiled it must find the GCS ready; without them the GCS must refuse its health
        check, so that its pass shows it used the token (and a raycc that stopped giving it the
        token would fail this run)."""
        name = pod["metadata"]["name"]
        asis = self.rerun_init(pod, init, set())
        without = self.rerun_init(pod, init, AUTH_ENV)
        if self.checks.check(
            "GCS is ready" in asis and "Waiting for GCS" in without,
            f"{tag}: {name} {init} finds the GCS ready with its token auth env and is refused "
            f"without {'/'.join(sorted(AUTH_ENV))}",
            f"as compiled: {asis!r}; without: {without!r}",
        ):
            print(f"     {tag}: {init} as compiled: {asis!r}; without the token: {without!r}")

    def rerun_init(self, pod, init, drop):
        """Runs the init container `init` of `pod` again, with the argv and env the stand-in
        gave it (`<pod dir>/<init>.json`) less the names in `drop`, in the namespaces of the
        Pod's running Ray container, until it says whether the GCS is ready; returns that
        line ('' if it said neither within TASK_TIMEOUT)."""
        with open(os.path.join(self.pod_dir(pod), f"{init}.json")) as f:
            spec = json.load(f)
        ray = pod["spec"]["containers"][0]["name"]
        with open(os.path.join(self.pod_dir(pod), f"{ray}.exec.json")) as f:
            pid = json.load(f)["pid"]
        env = {k: v for k, v in spec["env"].items() if k not in drop}
        proc = subprocess.Popen(
            kubelet.enter_argv(pid, env, spec.get("workingDir"), spec["argv"]),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        timer = threading.Timer(TASK_TIMEOUT, os.killpg, (proc.pid, signal.SIGKILL))
        timer.start()
        answer = ""
        try:
            for line in proc.stdout:
                if "GCS is ready" in line or "Waiting for GCS" in line:
                    answer = line.strip()
                    break
        finally:
            timer.cancel()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        return answer

    def probe(self, tag, pod, container, kind):
        """A generated httpGet probe, sent by the driver to the Pod's IP (200-399 passes)."""
        probe = container[kind]
        http = probe.get("httpGet")
        name = pod["metadata"]["name"]
        if not http:
            print(f"     {name}: {kind} is not httpGet; the stand-in ran it")
            return
        port = http["port"]
        if isinstance(port, str):
            port = next(
                p["containerPort"] for p in container.get("ports", []) if p.get("name") == port
            )
        url = f"http://{pod['status']['podIP']}:{port}{http.get('path', '/')}"
        try:
            with urllib.request.urlopen(url, timeout=probe.get("timeoutSeconds", 1) + 1) as resp:
                status, detail = resp.status, ""
        except urllib.error.HTTPError as e:
            status, detail = e.code, e.read(200).decode(errors="replace")
        except OSError as e:
            status, detail = None, str(e)
        self.checks.check(
            status is not None and 200 <= status < 400,
            f"{tag}: {name} {kind} GET {http.get('path', '/')} passes",
            f"{url}: {status} {detail}",
        )

    def ray_status(self, tag, pod, count):
        """`ray status` in the Pod (it finds the cluster through RAY_ADDRESS) must list every
        node as active. The autoscaler's view lags a little; it gets a few tries."""
        deadline = time.time() + 60
        while True:
            try:
                run = self.exec(pod, ["ray", "status"])
                output = run.stdout + run.stderr
            except subprocess.TimeoutExpired:
                output = "timed out"
            active = re.search(r"^Active:\n((?:[ \t]+\d+ \S+\n)*)", output, re.M)
            listed = sum(int(n) for n in re.findall(r"(\d+) \S+\n", active[1])) if active else 0
            if listed == count or time.time() > deadline:
                break
            time.sleep(2)
        self.checks.check(
            listed == count,
            f"{tag}: `ray status` in {pod['metadata']['name']} lists {count} active nodes",
            tail(output),
        )

    def ask_ray(self, head, request, side="inspect", timeout=None):
        """Runs `side` (inspect, spill, remember, recall) inside the head Pod (it joins the
        cluster as a driver) and returns the JSON line it printed."""
        if timeout is None:
            timeout = 120 + TASK_TIMEOUT * (len(request["tasks"]) + 1)
        try:
            run = self.exec(
                head,
                ["python", os.path.abspath(__file__), side, json.dumps(request)],
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {"error": "the Ray API side timed out"}
        try:
            return json.loads(run.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return {"error": "the Ray API side gave no answer:\n" + tail(run.stderr)}

    def stop(self, tag, ns, plan):
        """Deletes the workloads; their Pods must go, and every process with them."""
        pods = self.pods(ns)
        pids = []
        for p in pods:
            for name in os.listdir(self.pod_dir(p)) if os.path.isdir(self.pod_dir(p)) else []:
                if name.endswith(".exec.json"):
                    with open(os.path.join(self.pod_dir(p), name)) as f:
                        pids.append(json.load(f)["pid"])
        t0 = time.time()
        for w, *_ in plan:
            self.kubectl(
                "delete", "-n", ns, w["kind"].lower(), w["metadata"]["name"], "--wait=false"
            )
        deadline = time.time() + STOP_TIMEOUT
        while self.pods(ns) and time.time() < deadline:
            time.sleep(1)
        left = [p["metadata"]["name"] for p in self.pods(ns)]
        netns = [
            line.split()[0]
            for line in subprocess.run(
                ["ip", "netns", "list"], capture_output=True, text=True
            ).stdout.splitlines()
        ]
        alive = [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
        self.checks.check(
            not left and not alive,
            f"{tag}: deleting the workloads stops every Pod and process "
            f"({time.time() - t0:.0f} s)",
            f"Pods left {left}, processes left {alive}, namespaces {netns}",
        )
        if self.checks.failed:
            print(f"     {tag}: Pod logs are in {self.state}/pods")


def inspect(request):
    """Waits for the nodes, runs the pinned tasks, prints one JSON line."""
    import ray

    ray.init(logging_level="ERROR", log_to_driver=False)
    deadline = time.time() + 120
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
        except Exception as e:  # noqa: BLE001 - reported as the task's outcome
            outcomes.append({"error": f"{type(e).__name__}: {e}"})
    keep = ("NodeID", "NodeManagerAddress", "Resources", "Labels")
    nodes = [{k: n.get(k) for k in keep} for n in ray.nodes() if n["Alive"]]
    print(json.dumps({"nodes": nodes, "tasks": outcomes}))
    ray.shutdown()


def spill(request):
    """Fills the object store of the node at Pod IP `ip` to twice its size and keeps it full: a
    detached actor `name`, pinned to that node, puts objects of a quarter of the store's size
    and holds their references, so Ray must spill at least the store's size to that node's
    spilling directory. Prints one JSON line: node_id, capacity, size, count."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    ray.init(namespace=E2E_NAMESPACE, logging_level="ERROR", log_to_driver=False)
    node = next(
        (n for n in ray.nodes() if n["Alive"] and n["NodeManagerAddress"] == request["ip"]), None
    )
    if node is None:
        print(json.dumps({"error": f"no live Ray node at {request['ip']}"}))
        return
    capacity = int(node["Resources"]["object_store_memory"])
    size, count = capacity // 4, 8
    holder = ray.remote(Holder).options(
        name=request["name"],
        lifetime="detached",
        num_cpus=0,
        scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False),
    )
    try:
        node_id = ray.get(holder.remote().fill.remote(size, count), timeout=TASK_TIMEOUT)
    except Exception as e:  # noqa: BLE001 - reported as the answer
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return
    print(json.dumps({"node_id": node_id, "capacity": capacity, "size": size, "count": count}))


class Holder:
    """Holds the objects it puts, so they stay in the object store or spilled."""

    def fill(self, size, count):
        import ray

        self.refs = [ray.put(bytes(size)) for _ in range(count)]
        return ray.get_runtime_context().get_node_id()


class Keeper:
    """A detached actor that answers with the value it was created with."""

    def __init__(self, value):
        self.kept = value

    def value(self):
        import ray

        return {"value": self.kept, "node_id": ray.get_runtime_context().get_node_id()}


def remember(request):
    """Writes state the GCS keeps: internal KV key `key` = `value` in namespace E2E_NAMESPACE,
    and a detached actor `actor` of that namespace created with `value` (it may restart).
    Prints one JSON line: where the actor runs and the live nodes."""
    import ray
    from ray.experimental import internal_kv

    ray.init(namespace=E2E_NAMESPACE, logging_level="ERROR", log_to_driver=False)
    internal_kv._internal_kv_put(request["key"], request["value"], namespace=E2E_NAMESPACE)
    keeper = ray.remote(Keeper).options(
        name=request["actor"], lifetime="detached", max_restarts=-1, num_cpus=0
    )
    try:
        answer = ray.get(keeper.remote(request["value"]).value.remote(), timeout=TASK_TIMEOUT)
    except Exception as e:  # noqa: BLE001 - reported as the answer
        answer = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps({"actor": answer, "nodes": live_nodes(ray)}))


def recall(request):
    """Reads back what `remember` wrote: the KV key, and the detached actor looked up by name
    and asked for its value; runs a task pinned to each node of `nodes`. Prints one JSON line:
    kv, actor, live nodes, and the nodes where the pinned task ran."""
    import ray
    from ray.experimental import internal_kv
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    ray.init(namespace=E2E_NAMESPACE, logging_level="ERROR", log_to_driver=False)
    kv = internal_kv._internal_kv_get(request["key"], namespace=E2E_NAMESPACE)
    try:
        keeper = ray.get_actor(request["actor"])
        answer = ray.get(keeper.value.remote(), timeout=TASK_TIMEOUT)
    except Exception as e:  # noqa: BLE001 - reported as the answer
        answer = {"error": f"{type(e).__name__}: {e}"}
    ran = {}
    for node in request["nodes"]:
        task = ray.remote(lambda: ray.get_runtime_context().get_node_id()).options(
            num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)
        )
        try:
            ran[node] = ray.get(task.remote(), timeout=TASK_TIMEOUT)
        except Exception as e:  # noqa: BLE001 - reported as the answer
            ran[node] = f"{type(e).__name__}: {e}"
    print(
        json.dumps(
            {
                "kv": kv.decode(errors="replace") if kv is not None else None,
                "actor": answer,
                "nodes": live_nodes(ray),
                "ran": ran,
            }
        )
    )


def live_nodes(ray):
    return {n["NodeID"]: n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"]}


RAY_SIDE = {"inspect": inspect, "spill": spill, "remember": remember, "recall": recall}


def main():
    if len(sys.argv) == 3 and sys.argv[1] in RAY_SIDE:
        RAY_SIDE[sys.argv[1]](json.loads(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raycc", required=True)
    parser.add_argument("--kubectl", required=True)
    parser.add_argument("--image-path", required=True, help="the bin folder of the ray virtualenv")
    parser.add_argument("--state", default="target/ray-e2e")
    parser.add_argument(
        "--drop-init-env",
        action="append",
        default=[],
        metavar="NAME",
        help="remove env NAME from every init container before applying (a regression to see"
        " fail; repeatable)",
    )
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=READY_TIMEOUT,
        metavar="SECONDS",
        help=f"how long a cluster's Pods get to be Ready (default {READY_TIMEOUT})",
    )
    parser.add_argument("fixtures", nargs="+")
    args = parser.parse_args()
    checks = Checks()
    run = Run(args, checks)
    os.makedirs(run.state, exist_ok=True)
    # SIGTERM unwinds like an exception, so that the `finally` below stops the stand-in.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    log = open(os.path.join(run.state, "kubelet.log"), "w")
    stand_in = subprocess.Popen(
        [
            sys.executable,
            os.path.join(HERE, "kubelet.py"),
            "serve",
            "--selector",
            SELECTOR,
            "--state-dir",
            run.state,
            "--image-path",
            args.image_path,
            "--image-env",
            "RAY_USAGE_STATS_ENABLED=0",
            "--serial-starts",
            "180",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    t0 = time.time()
    try:
        for fixture in args.fixtures:
            started = time.time()
            print(f"--- {fixture}", flush=True)
            try:
                run.fixture(fixture)
            except Exception as e:  # noqa: BLE001 - a broken manifest fails its fixture only
                checks.check(False, f"{fixture} runs", f"{type(e).__name__}: {e}")
            print(f"     {fixture}: {time.time() - started:.0f} s", flush=True)
    finally:
        stand_in.send_signal(signal.SIGTERM)
        try:
            code = stand_in.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            stand_in.kill()
            code = stand_in.wait()
        log.close()
    checks.check(code == 0, "the kubelet stand-in stops cleanly", tail(read(log.name)))
    print(f"     all fixtures: {time.time() - t0:.0f} s")
    print(f"ray-e2e: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
