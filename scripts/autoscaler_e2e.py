"""Ray's own autoscaler, as raycc compiles it, on a real control plane with a real `ray start`.

Run by scripts/autoscaler-e2e.sh inside the control plane of scripts/control-plane.sh, with one
fixture (fixtures/e2e-autoscaler/scale.yaml): a cluster with `enableInTreeAutoscaling`, a head
that runs no tasks, a group `general` (minReplicas 1) and a group `special` (minReplicas 0,
maxReplicas 2), which alone has the custom resource `Special`, and a short idle timeout. The
driver compiles it with raycc and applies it with kubectl into namespace `e2e-autoscaler`; the
StatefulSet controller creates the head Pod, and the kubelet stand-in (scripts/kubelet.py, the
same way scripts/ray_e2e.py starts it) runs it: the Ray container and the `autoscaler` sidecar,
each with its own generated command, unchanged. The sidecar runs Ray's v1 autoscaler with
raycc's node provider from the ConfigMap and calls the API server as the cluster's
ServiceAccount, with the token, CA and namespace that the stand-in projects as a kubelet does.
Every worker Pod is created by that provider, from a PodTemplate, and run by the stand-in.

What it checks, each printed `ok` or `FAIL`:

- the compiled autoscaling config carries the fixture's bounds, idle timeout and upscaling
  speed; the autoscaler's RBAC, asked of the API server (scripts/rbac-check.sh): the verbs the
  provider uses are allowed, others are denied; the Ray container holds no token, the sidecar
  does;
- the provider fills `general` up to its minimum, and creates no `special` Pod without demand;
- a driver inside the head Pod asks for work that needs `Special`: a long-running actor task
  and three short tasks, four nodes' worth. The provider creates `special` Pods only, no more
  than maxReplicas (2), each made from its PodTemplate and owned by it; they join Ray at their
  Pod IPs and the work finishes;
- once the short tasks are done, the other `special` node goes idle and is deleted after the
  idle timeout, while the node running the long task is never deleted (busy nodes removed: 0)
  and its task keeps running; `general` stays at its minimum;
- once the long task ends, its node is deleted too: `special` is back at zero;
- the sidecar ran throughout without a restart and logged no failed API call;
- deleting the head StatefulSet and the PodTemplates removes every Pod (the provider's through
  the garbage collector, by their ownerReferences) and every process.

What it measures (printed, and written to BENCHMARKS.md by the shell script): seconds from the
unschedulable demand to the first `special` Pod in the API (the scale request) and to its Ray
node joining; from each idle node's idle timeout to its deletion; and busy nodes removed.
Timings never fail the run; functional checks do. The last line is
`autoscaler-e2e: N passed, M failed`.

Usage: python autoscaler_e2e.py --raycc BIN --kubectl BIN --image-path DIR [--state DIR]
           [--numbers FILE] FIXTURE
`python autoscaler_e2e.py drive REQUEST` is the driver, run inside the head Pod;
`python autoscaler_e2e.py bench NUMBERS BENCHMARKS.md` writes a run's numbers into the file.
"""

import argparse
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, HERE)
import kubeapi  # noqa: E402
from ray_e2e import Checks, read, tail  # noqa: E402

NS = "e2e-autoscaler"
SELECTOR = "app.kubernetes.io/created-by=raycc"
SPECIAL, GENERAL = "special", "general"
RESOURCE = "Special"
SHORT_TASKS = 3
SHORT_TASK_S = 5
HEAD_TIMEOUT = 240  # the head Pod Ready and the minimum node joined
SCALE_UP_TIMEOUT = 360  # both special Pods up (one at a time, --serial-starts) and the work done
STOP_TIMEOUT = 120
DELETE_AFTER_DRAIN_TIMEOUT = 30  # a drained node's Pod deleted (that round, or a retry)
EVENT = "EVENT "


def ready(pod):
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


class Timeline:
    """What the API server showed of each Pod, and when (this machine's clock): first seen,
    Ready, deletion begun, gone. Fed by an informer on the namespace's raycc Pods."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pods = {}

    def on_change(self, kind, pod):
        if pod is None:
            return
        t = time.time()
        meta = pod["metadata"]
        labels = meta.get("labels") or {}
        with self.lock:
            rec = self.pods.setdefault(
                meta["uid"],
                {
                    "name": meta["name"],
                    "group": labels.get("ray.io/group", ""),
                    "head": labels.get("ray.io/node-type") == "head",
                    "owners": meta.get("ownerReferences") or [],
                    "seen": t,
                },
            )
            ip = (pod.get("status") or {}).get("podIP")
            if ip:
                rec["ip"] = ip
            if ready(pod) and "ready" not in rec:
                rec["ready"] = t
            if meta.get("deletionTimestamp") and "deleting" not in rec:
                rec["deleting"] = t
            if kind == "DELETED":
                rec.setdefault("deleting", t)
                rec["gone"] = t

    def group(self, group, alive_only=False):
        with self.lock:
            return [
                dict(r)
                for r in sorted(self.pods.values(), key=lambda r: r["seen"])
                if r["group"] == group and not r["head"] and not (alive_only and "deleting" in r)
            ]

    def by_name(self, name):
        with self.lock:
            return next((dict(r) for r in self.pods.values() if r["name"] == name), None)

    def by_ip(self, ip):
        with self.lock:
            live = [r for r in self.pods.values() if r.get("ip") == ip]
            return dict(max(live, key=lambda r: r["seen"])) if live else None


def most_at_once(records):
    """The most Pods that existed at the same time (from first seen to deletion begun)."""
    edges = sorted(
        [(r["seen"], 1) for r in records]
        + [(r["deleting"], -1) for r in records if "deleting" in r]
    )
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def idle_since(joined, short_results, busy_pod, pod_at):
    """When each Ray node other than the busy one went idle: at its last short task's end, or
    when it joined if it ran none. `joined` are the driver's `joined` events, `pod_at` maps a
    node's IP to its Pod's name."""
    ended = {}
    for result in short_results:
        ended.setdefault(result["pod"], []).append(result["ended"])
    since = {}
    for event in joined:
        pod = pod_at(event["ip"])
        if pod is not None and pod != busy_pod:
            since[pod] = max([event["t"], *ended.get(pod, [])])
    return since


# Ray's own warnings ("could not find a node type to satisfy ...") are not failures.
FAILED_CALL = re.compile(r"\tERROR |Traceback|[Cc]ould not (read|create|delete)|Forbidden")


def failed_calls(log):
    """The lines of the sidecar's log that show an error or a failed API call."""
    return [line for line in log.splitlines() if FAILED_CALL.search(line)]


class Driver:
    """The driver process inside the head Pod; its `EVENT {json}` lines, as they come."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        self.events = queue.Queue()
        self.seen = []
        self.stderr = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith(EVENT):
                try:
                    self.events.put(json.loads(line[len(EVENT) :]))
                except ValueError:
                    pass
        self.events.put({"event": "exit"})

    def wait(self, name, timeout):
        """The next event called `name` (events before it are kept in `seen`); None on timeout
        or when the driver ended first."""
        deadline = time.time() + timeout
        while True:
            try:
                event = self.events.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                return None
            self.seen.append(event)
            if event["event"] == name:
                return event
            if event["event"] == "exit" or time.time() > deadline:
                return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Run:
    def __init__(self, args, checks):
        self.args = args
        self.checks = checks
        self.check = checks.check
        self.api = kubeapi.Api()
        self.state = os.path.abspath(args.state)
        self.timeline = Timeline()
        self.numbers = {}

    def kubectl(self, *argv):
        return subprocess.run([self.args.kubectl, *argv], capture_output=True, text=True)

    def pods(self):
        path = kubeapi.path_for("v1", "pods", NS)
        return self.api.get(path, params={"labelSelector": SELECTOR})["items"]

    def pod(self, name):
        return self.api.get(kubeapi.path_for("v1", "pods", NS, name), ok_missing=True)

    def pod_dir(self, pod):
        meta = pod["metadata"]
        return os.path.join(self.state, "pods", f"{NS}_{meta['name']}_{meta['uid'][:8]}")

    def exec_argv(self, pod_name, container, argv):
        return [
            sys.executable,
            os.path.join(HERE, "kubelet.py"),
            "exec",
            "--state-dir",
            self.state,
            "-n",
            NS,
            pod_name,
            "-c",
            container,
            "--",
            *argv,
        ]

    def exec(self, pod_name, container, argv, timeout=60):
        return subprocess.run(
            self.exec_argv(pod_name, container, argv),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def namespace(self):
        try:
            self.api.post(
                "/api/v1/namespaces",
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
            )
        except kubeapi.ApiError as e:
            if e.status != 409:
                raise
        kubeapi.wait_for(
            f"ServiceAccount default in {NS}",
            lambda: (
                self.api.get(
                    kubeapi.path_for("v1", "serviceaccounts", NS, "default"), ok_missing=True
                )
                or {}
            ).get("secrets"),
            60,
        )

    # --- The steps ---------------------------------------------------------------------------

    def compile(self, fixture):
        compiled = subprocess.run(
            [self.args.raycc, "compile", "--color=never", fixture], capture_output=True, text=True
        )
        if not self.check(compiled.returncode == 0, "raycc compile", compiled.stderr):
            return None
        objects = [o for o in yaml.safe_load_all(compiled.stdout) if o]
        config_map = next(
            o
            for o in objects
            if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-autoscaler")
        )
        config = yaml.safe_load(config_map["data"]["autoscaling-config.yaml"])
        groups = config["provider"]["worker_groups"]
        self.idle_timeout_s = config["idle_timeout_minutes"] * 60
        self.max_special = groups[SPECIAL]["max_replicas"]
        self.min_general = groups[GENERAL]["min_replicas"]
        self.check(
            groups[SPECIAL]["min_replicas"] == 0
            and self.max_special == 2
            and self.min_general == 1
            and config["available_node_types"][SPECIAL]["resources"].get(RESOURCE) == 1
            and RESOURCE not in config["available_node_types"][GENERAL]["resources"]
            and abs(self.idle_timeout_s - 20) < 1e-6
            and config["upscaling_speed"] == 1000,
            "the autoscaling config: special 0..2 with Special, general 1..2 without, "
            "idle timeout 20 s, upscaling speed 1000 (upscalingMode Default)",
            json.dumps(config, indent=1)[:3000],
        )
        self.templates = {o["metadata"]["name"]: o for o in objects if o["kind"] == "PodTemplate"}
        binding = next(o for o in objects if o["kind"] == "RoleBinding")
        self.service_account = binding["subjects"][0]["name"]
        self.head_set = next(o for o in objects if o["kind"] == "StatefulSet")
        return compiled.stdout, objects

    def apply(self, manifests):
        self.namespace()
        path = os.path.join(self.state, "compiled.yaml")
        with open(path, "w") as f:
            f.write(manifests)
        applied = self.kubectl("apply", "-n", NS, "-f", path)
        self.check(applied.returncode == 0, "kubectl apply", applied.stderr)
        self.manifests = path

    def rbac(self):
        """The autoscaler's account may do what the provider does, and nothing else tried."""
        ns, sa = NS, self.service_account
        mine = sorted(self.templates)
        allow = ["create pods", "delete pods", "list pods"] + [
            f"get podtemplates/{name}" for name in mine
        ]
        deny = [
            "get pods",
            "watch pods",
            "patch pods",
            "update pods",
            "create pods --subresource=exec",
            "list pods --all-namespaces",
            "list podtemplates",
            "get podtemplates/someone-elses",
            "update podtemplates/" + mine[0],
            "delete podtemplates/" + mine[0],
            "get secrets",
            "get configmaps",
            "patch statefulsets --subresource=scale",
            "delete statefulsets",
            "create rolebindings.rbac.authorization.k8s.io",
        ]
        argv = ["bash", os.path.join(HERE, "rbac-check.sh"), ns, sa]
        for pair in allow:
            argv += ["--allow", pair]
        for pair in deny:
            argv += ["--deny", pair]
        run = subprocess.run(
            argv, capture_output=True, text=True, env={**os.environ, "KUBECTL": self.args.kubectl}
        )
        # One `ok`/`FAIL` line per pair (FAIL on stderr), and the summary.
        answers = [
            ln
            for ln in run.stderr.splitlines() + run.stdout.splitlines()
            if ln.startswith(("ok   ", "FAIL "))
        ]
        for line in answers:
            self.check(line.startswith("ok"), f"RBAC: {line[5:]}")
        self.check(
            len(answers) == len(allow) + len(deny),
            f"RBAC: the API server answered every pair ({len(allow)} allowed, {len(deny)} denied)",
            run.stdout + run.stderr,
        )

    def head_up(self):
        """The head Pod Ready with its sidecar running, and `general` filled up to its minimum."""
        try:
            head = kubeapi.wait_for(
                "the head Pod Ready",
                lambda: next(
                    (
                        p
                        for p in self.pods()
                        if p["metadata"]["labels"].get("ray.io/node-type") == "head" and ready(p)
                    ),
                    None,
                ),
                HEAD_TIMEOUT,
                interval=1,
            )
        except TimeoutError as e:
            self.check(False, "the head Pod becomes Ready", str(e))
            return None
        self.head = head
        names = [c["name"] for c in head["spec"]["containers"]]
        running = {s["name"]: "running" in s["state"] for s in head["status"]["containerStatuses"]}
        self.check(
            names == ["ray-head", "autoscaler"] and all(running.values()),
            "the head Pod is Ready, its Ray container and autoscaler sidecar run",
            f"containers {names}, running {running}",
        )
        sidecar = next(c for c in head["spec"]["containers"] if c["name"] == "autoscaler")
        compiled = next(
            c
            for c in self.head_set["spec"]["template"]["spec"]["containers"]
            if c["name"] == "autoscaler"
        )
        self.check(
            sidecar["command"] == compiled["command"] and sidecar["args"] == compiled["args"],
            "the sidecar runs its generated command, unchanged",
            f"{sidecar['command']} {sidecar['args']}",
        )
        sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount"
        has = {}
        for container in ("ray-head", "autoscaler"):
            run = self.exec(
                head["metadata"]["name"],
                container,
                [
                    "/bin/sh",
                    "-c",
                    f"ls {sa_dir} 2>/dev/null | tr '\\n' ' '; cat {sa_dir}/namespace",
                ],
            )
            has[container] = run.stdout.strip()
        self.check(
            has["ray-head"] == "" and has["autoscaler"] == f"ca.crt namespace token {NS}",
            "the sidecar alone holds the service account's token, CA and namespace",
            f"{has}",
        )
        try:
            kubeapi.wait_for(
                "general at its minimum, Ready",
                lambda: len([r for r in self.timeline.group(GENERAL, True) if "ready" in r])
                >= self.min_general,
                HEAD_TIMEOUT,
                interval=1,
            )
            filled = True
        except TimeoutError:
            filled = False
        general = self.timeline.group(GENERAL)
        self.check(
            filled and len(general) == self.min_general,
            f"the provider fills general up to minReplicas {self.min_general}",
            f"general Pods: {[r['name'] for r in general]}",
        )
        special = self.timeline.group(SPECIAL)
        self.check(
            not special,
            "no special Pod without demand (minReplicas 0)",
            f"{[r['name'] for r in special]}",
        )
        return head

    def scale(self, head):
        """The demand, the scale-up, the idle scale-down around a busy node, then to zero."""
        request = {
            "resource": RESOURCE,
            "short_tasks": SHORT_TASKS,
            "short_task_s": SHORT_TASK_S,
            "idle_timeout_s": self.idle_timeout_s,
            "timeout": SCALE_UP_TIMEOUT,
        }
        driver = Driver(
            self.exec_argv(
                head["metadata"]["name"],
                "ray-head",
                ["python", os.path.abspath(__file__), "drive", json.dumps(request)],
            )
        )
        self.driver = driver
        submitted = driver.wait("submitted", 120)
        if not self.check(submitted is not None, "the driver joins the cluster and submits work"):
            return
        t_demand = submitted["t"]
        done = driver.wait("work-done", SCALE_UP_TIMEOUT)
        special = self.timeline.group(SPECIAL)
        joined = [e for e in driver.seen if e["event"] == "joined" and e.get(RESOURCE)]
        self.check(
            done is not None and not done.get("errors"),
            f"the work needing {RESOURCE} finishes (the long task started, "
            f"{SHORT_TASKS} short tasks done)",
            (done or {}).get("errors") or tail("".join(driver.stderr)),
        )
        self.check(
            len(special) == self.max_special and most_at_once(special) <= self.max_special,
            f"the provider creates special Pods up to maxReplicas {self.max_special} "
            "for 4 nodes' worth of demand, never more",
            f"special Pods: {[(r['name'], r.get('deleting')) for r in special]}",
        )
        general = self.timeline.group(GENERAL)
        self.check(
            len(general) == self.min_general and all("deleting" not in r for r in general),
            "no general Pod is created or deleted for demand that only special serves",
            f"general Pods: {[r['name'] for r in general]}",
        )
        template = next(
            t for t in self.templates.values() if t["metadata"]["labels"]["ray.io/group"] == SPECIAL
        )["metadata"]["name"]
        uid = self.api.get(kubeapi.path_for("v1", "podtemplates", NS, template))["metadata"]["uid"]
        for r in special:
            self.check(
                [(o.get("kind"), o.get("name"), o.get("uid")) for o in r["owners"]]
                == [("PodTemplate", template, uid)],
                f"{r['name']} is owned by PodTemplate {template} (its uid)",
                f"ownerReferences {r['owners']}, the PodTemplate's uid {uid}",
            )
        joined_pods = {self.pod_at(e["ip"]) for e in joined}
        self.check(
            {r["name"] for r in special} <= joined_pods,
            "every special Pod joins Ray at its Pod IP, with Special",
            f"Pods {[r['name'] for r in special]}; joined {sorted(map(str, joined_pods))}",
        )
        if special:
            self.numbers["scale request"] = special[0]["seen"] - t_demand
        if joined:
            self.numbers["joined"] = min(e["t"] for e in joined) - t_demand
        if done is None:
            return
        busy_pod = done["busy"]["pod"]
        since = idle_since(joined, done["short"], busy_pod, self.pod_at)
        ran = {}
        for result in done["short"]:
            ran[result["pod"]] = ran.get(result["pod"], 0) + 1
        print(f"     the long task runs on {busy_pod}; short tasks ran on {ran}", flush=True)

        held = driver.wait("held", self.idle_timeout_s + 180)
        special = self.timeline.group(SPECIAL)
        idle = [r for r in special if r["name"] != busy_pod]
        downs = [
            r["deleting"] - (since[r["name"]] + self.idle_timeout_s)
            for r in idle
            if "deleting" in r and r["name"] in since
        ]
        # Ray's idle clock starts at or after the last task's end; the driver sees a node join
        # up to one poll late, so one autoscaler round (5 s) of slack, never more.
        self.check(
            idle
            and all("deleting" in r for r in idle)
            and len(downs) == len(idle)
            and all(d > -5 for d in downs),
            "the idle special node is deleted, not before its idle timeout",
            f"special Pods: {[(r['name'], 'deleting' in r) for r in special]}, "
            f"idle since {since}, deleted this long after the timeout: {downs}",
        )
        busy = self.timeline.by_name(busy_pod) or {}
        removed_busy = int("deleting" in busy)
        self.numbers["busy nodes removed"] = removed_busy
        self.check(
            held is not None and held["running"] and removed_busy == 0,
            f"the busy node {busy_pod} is never deleted, and its long task keeps running "
            f"({(held or {}).get('seconds', 0):.0f} s by then)",
            f"held {held}, busy Pod {busy}",
        )
        general = self.timeline.group(GENERAL)
        self.check(
            len(general) == self.min_general and all("deleting" not in r for r in general),
            f"general stays at minReplicas {self.min_general} while idle",
            f"general Pods: {[(r['name'], 'deleting' in r) for r in general]}",
        )

        released = driver.wait("released", 60)
        gone = driver.wait("special-gone", self.idle_timeout_s + 180)
        if gone is not None:
            # Ray's autoscaler drains a node through the GCS (its raylet leaves Ray) before the
            # provider deletes its Pod, so the API shows the deletion a moment after Ray does.
            try:
                kubeapi.wait_for(
                    "no special Pod left",
                    lambda: not self.timeline.group(SPECIAL, alive_only=True),
                    DELETE_AFTER_DRAIN_TIMEOUT,
                    interval=0.5,
                )
            except TimeoutError:
                pass  # the check below says what is left
        special = self.timeline.group(SPECIAL, alive_only=True)
        created = self.timeline.group(SPECIAL)
        self.check(
            released is not None
            and gone is not None
            and not special
            and len(created) == self.max_special,
            "once the long task ends, its node is deleted too: special is back at minReplicas 0, "
            f"with no Pod created after the first {self.max_special}",
            f"released {released}, gone {gone}, special Pods left {[r['name'] for r in special]}, "
            f"created {[r['name'] for r in created]}",
        )
        busy = self.timeline.by_name(busy_pod) or {}
        if released is not None and "deleting" in busy:
            down = busy["deleting"] - (released["t"] + self.idle_timeout_s)
            downs.append(down)
            removed_busy = int(down < -self.idle_timeout_s)  # deleted before the release
            self.numbers["busy nodes removed"] = removed_busy
            self.check(
                removed_busy == 0 and down > -5,
                "the formerly busy node is deleted, not before its idle timeout",
                f"deleted {down:.1f} s after it",
            )
        if downs:
            self.numbers["scale-down"] = downs
        driver.proc.wait(timeout=60)
        self.check(
            driver.proc.returncode == 0, "the driver ends cleanly", tail("".join(driver.stderr))
        )

    def pod_at(self, ip):
        rec = self.timeline.by_ip(ip)
        return rec["name"] if rec else None

    def sidecar_log(self):
        head = self.pod(self.head["metadata"]["name"]) or self.head
        status = next(
            (s for s in head["status"].get("containerStatuses", []) if s["name"] == "autoscaler"),
            {},
        )
        log = read(os.path.join(self.pod_dir(head), "logs", "autoscaler-0.log"))
        failed = failed_calls(log)
        self.check(
            status.get("restartCount") == 0 and "running" in status.get("state", {}),
            "the autoscaler sidecar ran throughout, never restarted",
            f"{status}",
        )
        self.check(
            "Ray 2.60.0; running the v1 autoscaler" in log and not failed,
            "the sidecar ran Ray's v1 autoscaler and no API call failed",
            "\n".join(failed[:10]) or tail(log),
        )

    def stop(self):
        """Deletes the head, then the PodTemplates: the garbage collector deletes the
        provider's Pods through their ownerReferences."""
        pids = []
        for p in self.pods():
            d = self.pod_dir(p)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                if name.endswith(".exec.json"):
                    with open(os.path.join(d, name)) as f:
                        pids.append(json.load(f)["pid"])
        t0 = time.time()
        self.kubectl("delete", "-n", NS, "statefulset", self.head_set["metadata"]["name"])
        kubeapi.wait_for(
            "the head Pod gone",
            lambda: not any(
                p["metadata"]["labels"].get("ray.io/node-type") == "head" for p in self.pods()
            ),
            STOP_TIMEOUT,
            interval=1,
        )
        self.kubectl("delete", "-n", NS, "-f", self.manifests, "--wait=false")
        deadline = time.time() + STOP_TIMEOUT
        while self.pods() and time.time() < deadline:
            time.sleep(1)
        left = [p["metadata"]["name"] for p in self.pods()]
        alive = [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
        self.check(
            not left and not alive,
            "deleting the head and the PodTemplates removes every Pod and process "
            f"({time.time() - t0:.0f} s)",
            f"Pods left {left}, processes left {alive}",
        )


# --- The driver, inside the head Pod ---------------------------------------------------------


def emit(event, **fields):
    print(EVENT + json.dumps({"event": event, "t": time.time(), **fields}), flush=True)


def drive(request):
    """Asks for work that needs the custom resource, reports what Ray does, one event a line."""
    import ray

    resource = request["resource"]
    ray.init(logging_level="ERROR", log_to_driver=False)

    @ray.remote(num_cpus=1, resources={resource: 1}, max_concurrency=2)
    class Busy:
        """Holds one node's `resource` with a long task until told to stop."""

        def __init__(self):
            self.stopped = False

        def where(self):
            return {"pod": os.environ.get("RAY_CLOUD_INSTANCE_ID")}

        def spin(self):
            start = time.time()
            while not self.stopped:
                time.sleep(0.5)
            return time.time() - start

        def stop(self):
            self.stopped = True

    @ray.remote(num_cpus=1, resources={resource: 1})
    def short(seconds):
        time.sleep(seconds)
        return {"pod": os.environ.get("RAY_CLOUD_INSTANCE_ID"), "ended": time.time()}

    known = {}

    def poll_nodes():
        alive = {}
        for n in ray.nodes():
            if n["Alive"]:
                alive[n["NodeID"]] = n
        for node_id, n in alive.items():
            if node_id not in known:
                known[node_id] = n["NodeManagerAddress"]
                emit(
                    "joined",
                    ip=n["NodeManagerAddress"],
                    **{resource: n["Resources"].get(resource, 0)},
                )
        for node_id in [k for k in known if k not in alive]:
            emit("left", ip=known.pop(node_id))
        return alive

    poll_nodes()
    busy = Busy.remote()
    started = time.time()
    where = busy.where.remote()
    spin = busy.spin.remote()
    shorts = [short.remote(request["short_task_s"]) for _ in range(request["short_tasks"])]
    emit("submitted")
    deadline = started + request["timeout"]
    pending = [where, *shorts]
    while pending and time.time() < deadline:
        poll_nodes()
        _, pending = ray.wait(pending, num_returns=len(pending), timeout=0.5)
    try:
        busy_at = ray.get(where, timeout=1)
        short_results = ray.get(shorts, timeout=1)
    except Exception as e:  # noqa: BLE001 - reported, and the events below do not come
        emit("work-done", errors=f"{type(e).__name__}: {e}")
        return 1
    emit("work-done", busy=busy_at, short=short_results)

    def special_nodes():
        return {
            k: n["NodeManagerAddress"]
            for k, n in poll_nodes().items()
            if n["Resources"].get(resource)
        }

    # Hold the long task until the other special nodes are gone, then one idle timeout more.
    deadline = time.time() + request["idle_timeout_s"] + 170
    while len(special_nodes()) > 1 and time.time() < deadline:
        time.sleep(0.5)
    hold_until = time.time() + request["idle_timeout_s"]
    while time.time() < min(hold_until, deadline):
        poll_nodes()
        time.sleep(0.5)
    ready, _ = ray.wait([spin], timeout=0)
    try:
        ray.get(busy.where.remote(), timeout=30)
        answers = True
    except Exception:  # noqa: BLE001 - the check below says so
        answers = False
    emit("held", running=not ready and answers, seconds=time.time() - started)
    ray.get(busy.stop.remote(), timeout=30)
    spun = ray.get(spin, timeout=30)
    ray.kill(busy)
    emit("released", seconds=spun)
    deadline = time.time() + request["idle_timeout_s"] + 170
    while special_nodes() and time.time() < deadline:
        time.sleep(0.5)
    if not special_nodes():
        emit("special-gone")
    ray.shutdown()
    return 0


# --- BENCHMARKS.md ---------------------------------------------------------------------------

BENCH_HEADING = "## Ray autoscaler end to end"
BENCH_BEGIN = "<!-- autoscaler-e2e results: written by scripts/autoscaler-e2e.sh -->"
BENCH_END = "<!-- end of autoscaler-e2e results -->"


def bench_block(numbers, day):
    """The results table of one run, between the markers."""

    def seconds(key):
        return f"{numbers[key]:.1f}" if key in numbers else "not reached"

    downs = numbers.get("scale-down") or []
    rows = [
        (
            "unschedulable demand to the scale request (special Pod in the API), s",
            seconds("scale request"),
        ),
        ("unschedulable demand to a joined Ray node, s", seconds("joined")),
        (
            "idle timeout to scale-down (deletion begun), per idle node, s",
            ", ".join(f"{s:.1f}" for s in downs) if downs else "not reached",
        ),
        ("busy nodes removed", str(numbers.get("busy nodes removed", "not reached"))),
        ("wall time of the whole run, s", f"{numbers.get('wall', 0):.0f}"),
    ]
    failed = numbers.get("failed", 0)
    lines = [
        BENCH_BEGIN,
        f"Last run: {day}, {failed} functional checks failed.",
        "",
        "| what | measured |",
        "|---|---|",
        *(f"| {what} | {value} |" for what, value in rows),
        BENCH_END,
    ]
    return "\n".join(lines)


def with_bench_block(text, block, intro):
    """`text` with the results block replaced, or with the section (heading, intro, block)
    appended when it has none yet."""
    begin, end = text.find(BENCH_BEGIN), text.find(BENCH_END)
    if begin != -1 and end > begin:
        return text[:begin] + block + text[end + len(BENCH_END) :]
    return text.rstrip("\n") + f"\n\n{BENCH_HEADING}\n\n{intro}\n\n{block}\n"


BENCH_INTRO = """\
`bash scripts/autoscaler-e2e.sh` (also in `.ci/run`) runs `fixtures/e2e-autoscaler/scale.yaml`
on the control plane with the kubelet stand-in and real Ray nodes (see README, How we know it
works) and rewrites the table below after each run. The demand is an actor task and three short
tasks that need `Special`, which only the group `special` (minReplicas 0, maxReplicas 2) has;
times are from the driver's submission, on this machine's clock. Ray's v1 autoscaler runs a
round every 5 s, and the stand-in starts one Pod at a time (`--serial-starts`), so a joined node
includes the Pod's `wait-gcs-ready` init container and a full `ray start`. Idle timeout: 20 s;
scale-down is counted from the moment the node's last task ended (or it joined) plus 20 s, to
the provider's delete call showing in the API. Timings vary with the load of the two cores and
never fail the run."""


# --- Main ------------------------------------------------------------------------------------


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "drive":
        return drive(json.loads(sys.argv[2]))
    if len(sys.argv) == 4 and sys.argv[1] == "bench":
        with open(sys.argv[2]) as f:
            numbers = json.load(f)
        with open(sys.argv[3]) as f:
            text = f.read()
        block = bench_block(numbers, time.strftime("%Y-%m-%d", time.gmtime()))
        with open(sys.argv[3], "w") as f:
            f.write(with_bench_block(text, block, BENCH_INTRO))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raycc", required=True)
    parser.add_argument("--kubectl", required=True)
    parser.add_argument("--image-path", required=True, help="the bin folder of the ray virtualenv")
    parser.add_argument("--state", default="target/autoscaler-e2e")
    parser.add_argument("--numbers", help="write the measurements here, as JSON")
    parser.add_argument("fixture")
    args = parser.parse_args()
    checks = Checks()
    run = Run(args, checks)
    os.makedirs(run.state, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    log = open(os.path.join(run.state, "kubelet.log"), "w")
    kubelet = subprocess.Popen(
        [
            sys.executable,
            os.path.join(HERE, "kubelet.py"),
            "serve",
            "--namespace",
            NS,
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
    informer = kubeapi.Informer(
        run.api,
        kubeapi.path_for("v1", "pods", NS),
        {"labelSelector": SELECTOR},
        run.timeline.on_change,
        "pods",
    ).start()
    t0 = time.time()
    try:
        compiled = run.compile(args.fixture)
        if compiled:
            run.apply(compiled[0])
            run.rbac()
            head = run.head_up()
            if head:
                try:
                    run.scale(head)
                finally:
                    if getattr(run, "driver", None):
                        run.driver.stop()
                run.sidecar_log()
            run.stop()
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        checks.check(False, "the run", f"{type(e).__name__}: {e}")
    finally:
        informer.stop()
        kubelet.send_signal(signal.SIGTERM)
        try:
            code = kubelet.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            kubelet.kill()
            code = kubelet.wait()
        log.close()
    checks.check(code == 0, "the kubelet stand-in stops cleanly", tail(read(log.name)))
    n = run.numbers
    if "scale request" in n:
        print(f"     demand to scale request (special Pod in the API): {n['scale request']:.1f} s")
    if "joined" in n:
        print(f"     demand to a joined Ray node: {n['joined']:.1f} s")
    for i, s in enumerate(n.get("scale-down", [])):
        print(f"     idle timeout to scale-down, node {i + 1}: {s:.1f} s")
    if "busy nodes removed" in n:
        print(f"     busy nodes removed: {n['busy nodes removed']}")
    print(f"     wall time: {time.time() - t0:.0f} s")
    if checks.failed:
        print(f"     Pod logs are in {run.state}/pods")
    if args.numbers:
        with open(args.numbers, "w") as f:
            json.dump({**n, "wall": time.time() - t0, "failed": checks.failed}, f)
    print(f"autoscaler-e2e: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
