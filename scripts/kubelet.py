"""A kubelet stand-in: runs the Pods that the controllers of scripts/control-plane.sh create, on
this machine, as real processes, and reports them back to the API server.

    python scripts/kubelet.py serve [--namespace NS] [--selector SEL] [--state-dir DIR] ...
    python scripts/kubelet.py exec [--state-dir DIR] -n NS POD [-c CONTAINER] -- CMD [ARG...]

`serve` runs inside the control plane's network namespace (`control-plane.sh run -- ...` or
`cp_exec`). It registers a Node and keeps it Ready, watches the Pods its filter selects (a
namespace and a label selector), binds the unbound ones to its Node (there is no scheduler:
nodeSelector, affinity, taints and resource requests are not considered), and runs each as a
kubelet does:

- Network: each Pod gets a network namespace of its own (`<control plane namespace>-<n>`, n
  from its address) with a veth on the control plane's bridge and the next free address of
  the Pod range (10.244.0.2, .3, ...; addresses are not reused soon after release), so every
  Pod has its own IP and ports and the generated `ray start` commands run unchanged.
  (Loopback addresses 127.0.0.N in the machine's one namespace would need
  `--node-ip-address` added to every command, and every per-node port that Ray opens on all
  addresses moved so that nodes do not collide.) hostNetwork Pods share the Node's
  namespace. The API server is reachable at the `kubernetes` Service's ClusterIP.
- Names: there is no cluster DNS; each Pod's /etc/hosts, kept current as Endpoints change, maps
  every Service to what DNS would answer, as `<svc>.<ns>.svc.cluster.local`, `<svc>.<ns>.svc`,
  `<svc>.<ns>` and, in the Pod's own namespace, `<svc>`: a headless Service to its endpoint
  addresses (the endpoints controller honours readiness and publishNotReadyAddresses), with
  `<hostname>.<svc>.<ns>.svc.cluster.local` for StatefulSet Pods; a Service with a ClusterIP to
  its endpoint addresses too (no kube-proxy: ClusterIPs are not routed; port must equal
  targetPort to work), except `kubernetes`, whose ClusterIP works. /etc/resolv.conf has the
  cluster's search path and a nameserver that refuses at once; ExternalName Services do not
  resolve.
- Files: each container gets a mount namespace and a UTS namespace (its hostname is the Pod's):
  the host's filesystem with its own /tmp (fresh at each start), /run (a tmpfs, so /var/run
  too) and /dev/shm (a 64 MiB tmpfs unless a volume is mounted there), the Pod's /etc/hosts,
  /etc/resolv.conf and /etc/hostname, and its volumeMounts (subPath, readOnly). A mount point
  outside these that this machine lacks is created as an empty folder or file and kept
  (removing it could unmount it from another run's containers). Images are not
  pulled: every container runs on this machine's filesystem, as root, with `--image-path`
  first on PATH (the e2e passes a virtualenv holding `ray[default]`) and `--image-env` beneath
  its own env; a container without `command` fails (no image entrypoint to fall back on).
- Volumes: emptyDir (medium Memory: a tmpfs of sizeLimit), configMap, secret, downwardAPI,
  projected (serviceAccountToken through the TokenRequest API, configMap, secret, downwardAPI;
  this is how the API server's ServiceAccount admission mounts the token, ca.crt and namespace
  at /var/run/secrets/kubernetes.io/serviceaccount), hostPath, and persistentVolumeClaim: a
  folder per claim under `<state dir>/claims/<ns>/<claim>`, kept across Pods, so a restarted
  Pod sees the same data (claims stay Pending: no provisioner; the claim must exist). Other
  kinds leave the Pod Pending with a message. Files are written once, not updated.
- Env: as the kubelet builds it: service link variables (KUBERNETES_SERVICE_HOST/PORT, ... for
  Services with a ClusterIP in the Pod's namespace and `kubernetes`), envFrom, then env with
  `$(VAR)` expansion; valueFrom fieldRef, resourceFieldRef (limits default to the Node's
  allocatable), secretKeyRef and configMapKeyRef read from the API (a missing one is
  CreateContainerConfigError until it appears, unless optional). Command and args get the
  same expansion.
- Lifecycle: init containers one after the other (each must exit 0; restartPolicy decides what
  a failure does), then all containers; restarts per restartPolicy with a doubling back-off
  (`--backoff` seconds first); startup, readiness and liveness probes (exec, httpGet,
  tcpSocket) with their delays, periods, timeouts and thresholds; Pod status written back
  (phase, hostIP, podIP, conditions, container statuses with states, exit codes and restart
  counts). `--serial-starts` starts one Pod's containers at a time (after its init
  containers), each once the previous Pod is Ready, where a kubelet starts them all at once:
  several `ray start` at once on two busy cores can miss Ray's fixed 30 s deadline for a node
  to register. A Pod being deleted gets SIGTERM in each container, SIGKILL for everything in its
  namespace after the grace period, then the Pod object is deleted at grace 0. preStop hooks,
  resource limits, security contexts and image pull are not implemented.

`exec` runs a command in a running container's namespaces and environment, like `kubectl
exec` (which needs a real kubelet's streaming server).

No generated command is rewritten.
"""

import argparse
import ipaddress
import json
import math
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubeapi  # noqa: E402

CLUSTER_DOMAIN = "cluster.local"
DEFAULT_SHM = "64m"
DEFAULT_RUN = "64m"
MAX_BACKOFF = 300


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def log(message):
    print(f"kubelet: {message}", file=sys.stderr, flush=True)


class ConfigError(Exception):
    """A container cannot be configured yet (a missing Secret, ConfigMap or claim)."""


# --- Quantities and the `$(VAR)` expansion ---------------------------------------------------

def expand(text, lookup):
    """Kubernetes' `$(VAR)` expansion (third_party/forked/golang/expansion): `$$` is `$`,
    `$(NAME)` the value of a defined NAME, an undefined `$(NAME)` stays as written."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            end = text.find(")", i + 2)
            if end < 0:
                out.append("$(")
                i += 2
            else:
                name = text[i + 2 : end]
                value = lookup(name)
                out.append(value if value is not None else f"$({name})")
                i = end + 1
        else:
            out.append("$" + nxt)
            i += 2
    return "".join(out)


# --- Env -------------------------------------------------------------------------------------


def field_value(pod, path, volume=False):
    """A fieldRef as the kubelet resolves it (downward API)."""
    meta = pod["metadata"]
    status = pod.get("status") or {}
    simple = {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""),
        "spec.nodeName": pod["spec"].get("nodeName", ""),
        "spec.serviceAccountName": pod["spec"].get("serviceAccountName", ""),
        "status.hostIP": status.get("hostIP", ""),
        "status.podIP": status.get("podIP", ""),
        "status.podIPs": ",".join(p["ip"] for p in status.get("podIPs") or []),
    }
    if path in simple:
        return simple[path]
    m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']*)'\]", path)
    if m:
        return (meta.get(m[1]) or {}).get(m[2], "")
    if volume and path in ("metadata.labels", "metadata.annotations"):
        items = sorted((meta.get(path.split(".")[1]) or {}).items())
        return "\n".join(f"{k}={json.dumps(v)}" for k, v in items)
    raise ConfigError(f"unsupported fieldRef {path}")


def resource_value(pod, container_name, ref, allocatable):
    """A resourceFieldRef: limits default to the Node's allocatable; CPU rounds up to the
    divisor, like the kubelet's convertResourceCPUToString."""
    name = ref.get("containerName") or container_name
    containers = pod["spec"].get("containers", []) + pod["spec"].get("initContainers", [])
    container = next((c for c in containers if c["name"] == name), None)
    if container is None:
        raise ConfigError(f"resourceFieldRef: no container {name}")
    kind, _, resource = ref["resource"].partition(".")
    resources = container.get("resources") or {}
    value = (resources.get(kind) or {}).get(resource)
    if value is None and kind == "limits":
        value = allocatable.get(resource)
    amount = kubeapi.quantity(value if value is not None else "0")
    divisor = kubeapi.quantity(ref.get("divisor") or "1") or 1  # the API server defaults it to "0"
    return str(math.ceil(amount / divisor))


def service_env(services, pod):
    """The service link variables: every Service with a ClusterIP in the Pod's namespace (when
    enableServiceLinks is not false) and the `kubernetes` Service of `default`."""
    ns = pod["metadata"]["namespace"]
    links = pod["spec"].get("enableServiceLinks", True) is not False
    env = {}
    chosen = {}
    for svc in services:
        meta, spec = svc["metadata"], svc.get("spec") or {}
        ip = spec.get("clusterIP")
        if not ip or ip == "None":
            continue
        if meta["namespace"] == "default" and meta["name"] == "kubernetes":
            chosen[meta["name"]] = svc
        elif links and meta["namespace"] == ns and meta["name"] not in chosen:
            chosen[meta["name"]] = svc
    for name, svc in sorted(chosen.items()):
        prefix = name.upper().replace("-", "_")
        ip, ports = svc["spec"]["clusterIP"], svc["spec"].get("ports") or []
        if not ports:
            continue
        env[f"{prefix}_SERVICE_HOST"] = ip
        env[f"{prefix}_SERVICE_PORT"] = str(ports[0]["port"])
        for p in ports:
            if p.get("name"):
                env[f"{prefix}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
        first = ports[0]
        env[f"{prefix}_PORT"] = f"{first.get('protocol', 'TCP').lower()}://{ip}:{first['port']}"
        for p in ports:
            proto = p.get("protocol", "TCP")
            base = f"{prefix}_PORT_{p['port']}_{proto.upper()}"
            env[base] = f"{proto.lower()}://{ip}:{p['port']}"
            env[base + "_PROTO"] = proto.lower()
            env[base + "_PORT"] = str(p["port"])
            env[base + "_ADDR"] = ip
    return env


def key_from(fetch, kind, ns, ref):
    """The value of configMapKeyRef / secretKeyRef, None when optional and missing."""
    obj = fetch(kind, ns, ref["name"])
    optional = ref.get("optional", False)
    if obj is None:
        if optional:
            return None
        raise ConfigError(f'{kind} "{ref["name"]}" not found')
    data = object_data(kind, obj)
    if ref["key"] not in data:
        if optional:
            return None
        raise ConfigError(f'couldn\'t find key {ref["key"]} in {kind} {ns}/{ref["name"]}')
    return data[ref["key"]].decode(errors="replace")


def object_data(kind, obj):
    """A ConfigMap's or Secret's data as bytes by key."""
    import base64

    if kind == "secret":
        return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    data = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
    data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
    return data


def container_env(pod, container, services, fetch, allocatable):
    """The environment the kubelet gives a container (makeEnvironmentVariables): service
    links, then envFrom, then env in order, each value expanded over what precedes it."""
    ns = pod["metadata"]["namespace"]
    links = service_env(services, pod)
    env = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for kind, field in (("configmap", "configMapRef"), ("secret", "secretRef")):
            ref = source.get(field)
            if ref is None:
                continue
            obj = fetch(kind, ns, ref["name"])
            if obj is None:
                if ref.get("optional"):
                    continue
                raise ConfigError(f'{kind} "{ref["name"]}" not found')
            for k, v in object_data(kind, obj).items():
                if re.fullmatch(r"[-._a-zA-Z][-._a-zA-Z0-9]*", prefix + k):
                    env[prefix + k] = v.decode(errors="replace")

    def lookup(name):
        return env.get(name, links.get(name))

    for item in container.get("env") or []:
        name, source = item["name"], item.get("valueFrom")
        if item.get("value"):
            env[name] = expand(item["value"], lookup)
        elif source is None:
            env[name] = ""
        elif "fieldRef" in source:
            env[name] = field_value(pod, source["fieldRef"]["fieldPath"])
        elif "resourceFieldRef" in source:
            env[name] = resource_value(
                pod, container["name"], source["resourceFieldRef"], allocatable
            )
        elif "secretKeyRef" in source or "configMapKeyRef" in source:
            kind = "secret" if "secretKeyRef" in source else "configmap"
            value = key_from(
                fetch, kind, ns, source.get("secretKeyRef") or source["configMapKeyRef"]
            )
            if value is None:
                continue
            env[name] = value
        else:
            raise ConfigError(f"env {name}: unsupported valueFrom {sorted(source)}")
    for k, v in links.items():
        env.setdefault(k, v)
    return env


def container_argv(container, env):
    """command + args with `$(VAR)` expansion; an image entrypoint cannot be known."""
    command = [expand(a, env.get) for a in container.get("command") or []]
    args = [expand(a, env.get) for a in container.get("args") or []]
    if not command:
        raise ConfigError(f"container {container['name']} has no command (images are not run here)")
    return command + args


# --- Names -----------------------------------------------------------------------------------


def pod_hostname(pod):
    spec = pod["spec"]
    return (spec.get("hostname") or pod["metadata"]["name"])[:63]


def hosts_file(pod, pod_ip, services, endpoints):
    """/etc/hosts for a Pod: itself, localhost, and what cluster DNS would answer for every
    Service (see the module docstring)."""
    ns = pod["metadata"]["namespace"]
    hostname = pod_hostname(pod)
    lines = [
        "# Kubernetes-managed hosts file (raycc kubelet stand-in).",
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
    ]
    own = [hostname]
    if pod["spec"].get("subdomain"):
        own.insert(0, f"{hostname}.{pod['spec']['subdomain']}.{ns}.svc.{CLUSTER_DOMAIN}")
    if pod_ip:
        lines.append(f"{pod_ip}\t" + " ".join(own))
    by_key = {(e["metadata"]["namespace"], e["metadata"]["name"]): e for e in endpoints}
    records = []
    for svc in sorted(services, key=lambda s: (s["metadata"]["namespace"], s["metadata"]["name"])):
        sns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            continue
        names = [f"{name}.{sns}.svc.{CLUSTER_DOMAIN}", f"{name}.{sns}.svc", f"{name}.{sns}"]
        if sns == ns:
            names.append(name)
        if sns == "default" and name == "kubernetes" and spec.get("clusterIP"):
            records.append((spec["clusterIP"], names))
            continue
        addresses = []
        for subset in (by_key.get((sns, name)) or {}).get("subsets") or []:
            addresses += subset.get("addresses") or []
        seen = set()
        for a in addresses:
            if a["ip"] in seen:
                continue
            seen.add(a["ip"])
            records.append((a["ip"], names))
            if a.get("hostname"):
                records.append((a["ip"], [f"{a['hostname']}.{name}.{sns}.svc.{CLUSTER_DOMAIN}"]))
    for ip, names in records:
        lines.append(f"{ip}\t" + " ".join(names))
    return "\n".join(lines) + "\n"


def resolv_conf(pod):
    ns = pod["metadata"]["namespace"]
    return (
        f"search {ns}.svc.{CLUSTER_DOMAIN} svc.{CLUSTER_DOMAIN} {CLUSTER_DOMAIN}\n"
        "nameserver 127.0.0.1\noptions ndots:5 attempts:1 timeout:1\n"
    )


# --- Volumes ---------------------------------------------------------------------------------


def write_files(directory, files, default_mode):
    """files: [(relative path, bytes, mode or None)]."""
    os.makedirs(directory, exist_ok=True)
    for rel, data, mode in files:
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode if mode is not None else default_mode)


def keyed_files(kind, obj, items):
    data = object_data(kind, obj)
    if not items:
        return [(k, v, None) for k, v in sorted(data.items())]
    files = []
    for item in items:
        if item["key"] not in data:
            raise ConfigError(f"{kind} {obj['metadata']['name']} has no key {item['key']}")
        files.append((item["path"], data[item["key"]], item.get("mode")))
    return files


class Volumes:
    """Materialises a Pod's volumes under its folder; `paths[name]` is what a mount binds."""

    def __init__(self, kubelet, pod, directory):
        self.k = kubelet
        self.pod = pod
        self.dir = directory
        self.paths = {}
        self.tmpfs = []

    def fetch_required(self, kind, name, optional=False):
        obj = self.k.fetch(kind, self.pod["metadata"]["namespace"], name)
        if obj is None and not optional:
            raise ConfigError(f'{kind} "{name}" not found')
        return obj

    def downward_files(self, items):
        files = []
        for item in items or []:
            if "fieldRef" in item:
                value = field_value(self.pod, item["fieldRef"]["fieldPath"], volume=True)
            else:
                value = resource_value(self.pod, "", item["resourceFieldRef"], self.k.allocatable)
            files.append((item["path"], value.encode(), item.get("mode")))
        return files

    def token(self, source):
        pod = self.pod
        meta = pod["metadata"]
        request = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {
                "expirationSeconds": source.get("expirationSeconds", 3600),
                "boundObjectRef": {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "name": meta["name"],
                    "uid": meta["uid"],
                },
            },
        }
        if source.get("audience"):
            request["spec"]["audiences"] = [source["audience"]]
        sa = pod["spec"].get("serviceAccountName") or "default"
        path = kubeapi.path_for("v1", "serviceaccounts", meta["namespace"], sa, "token")
        try:
            answer = self.k.api.post(path, request)
        except kubeapi.ApiError as e:
            raise ConfigError(f"token for service account {sa}: {e}") from e
        return answer["status"]["token"].encode()

    def prepare(self):
        for volume in self.pod["spec"].get("volumes") or []:
            name = volume["name"]
            path = os.path.join(self.dir, "volumes", name)
            if "emptyDir" in volume:
                os.makedirs(path, exist_ok=True)
                spec = volume["emptyDir"] or {}
                if spec.get("medium") == "Memory" and path not in self.tmpfs:
                    size = spec.get("sizeLimit")
                    options = f"size={int(kubeapi.quantity(size))}" if size else "size=50%"
                    subprocess.run(
                        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", path], check=True
                    )
                    self.tmpfs.append(path)
                elif spec.get("medium") not in (None, "", "Memory"):
                    raise ConfigError(f"volume {name}: emptyDir medium {spec['medium']}")
            elif "configMap" in volume or "secret" in volume:
                kind = "configmap" if "configMap" in volume else "secret"
                spec = volume.get("configMap") or volume.get("secret")
                obj = self.fetch_required(
                    kind, spec.get("name") or spec.get("secretName"), spec.get("optional", False)
                )
                files = keyed_files(kind, obj, spec.get("items")) if obj else []
                write_files(path, files, spec.get("defaultMode", 0o644))
            elif "downwardAPI" in volume:
                spec = volume["downwardAPI"]
                write_files(
                    path, self.downward_files(spec.get("items")), spec.get("defaultMode", 0o644)
                )
            elif "projected" in volume:
                spec = volume["projected"]
                files = []
                for source in spec.get("sources") or []:
                    if "serviceAccountToken" in source:
                        sat = source["serviceAccountToken"]
                        files.append((sat["path"], self.token(sat), None))
                    elif "downwardAPI" in source:
                        files += self.downward_files(source["downwardAPI"].get("items"))
                    else:
                        kind = "configmap" if "configMap" in source else "secret"
                        ref = source.get("configMap") or source.get("secret")
                        obj = self.fetch_required(kind, ref["name"], ref.get("optional", False))
                        files += keyed_files(kind, obj, ref.get("items")) if obj else []
                write_files(path, files, spec.get("defaultMode", 0o644))
            elif "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"]["claimName"]
                self.fetch_required("persistentvolumeclaim", claim)
                path = os.path.join(
                    self.k.state_dir, "claims", self.pod["metadata"]["namespace"], claim
                )
                os.makedirs(path, exist_ok=True)
            elif "hostPath" in volume:
                path = volume["hostPath"]["path"]
                kind = volume["hostPath"].get("type", "")
                if kind == "DirectoryOrCreate":
                    os.makedirs(path, exist_ok=True)
                elif not os.path.exists(path):
                    raise ConfigError(f"volume {name}: hostPath {path} does not exist")
            else:
                kinds = sorted(set(volume) - {"name"})
                raise ConfigError(f"volume {name}: {kinds} volumes are not supported here")
            self.paths[name] = path

    def release(self):
        for path in self.tmpfs:
            subprocess.run(["umount", "-l", path], stderr=subprocess.DEVNULL)
        self.tmpfs = []


# --- Processes -------------------------------------------------------------------------------


def pids_in_netns(netns):
    run = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True)
    return [int(p) for p in run.stdout.split()]


def session_pids(sid):
    """Every process of a container: its main process made a session of its own."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid:
            pids.append(int(entry))
    return pids


def kill_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


LIBC = None
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


def sys_mount(source, target, fstype, flags, data=None):
    global LIBC
    if LIBC is None:
        import ctypes

        LIBC = ctypes.CDLL(None, use_errno=True)
    args = [None if a is None else a.encode() for a in (source, target, fstype, data)]
    if LIBC.mount(args[0], args[1], args[2], flags, args[3]) != 0:
        import ctypes

        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")


def container_main(spec_path, ready_fd):
    """`kubelet.py container SPEC FD`: runs inside the Pod's network namespace and a fresh mount
    and UTS namespace; sets up the container's filesystem, then becomes its command. Every
    source is opened before the first mount, so that no mount can hide another's source. A
    byte on FD tells the stand-in that the namespaces are final: only then do probes and
    `exec` enter them."""
    with open(spec_path) as f:
        spec = json.load(f)
    socket.sethostname(spec["hostname"])
    sys_mount(None, "/", None, MS_REC | MS_PRIVATE)
    fds = {
        i: os.open(m["source"], os.O_PATH)
        for i, m in enumerate(spec["mounts"])
        if not m.get("tmpfs")
    }
    for i, m in enumerate(spec["mounts"]):
        target = m["target"]
        if not os.path.lexists(target):  # inside an earlier mount of this container
            if m.get("tmpfs") or os.path.isdir(f"/proc/self/fd/{fds[i]}"):
                os.makedirs(target, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                open(target, "a").close()
        if m.get("tmpfs"):
            sys_mount("tmpfs", target, "tmpfs", 0, f"size={m['tmpfs']}")
            continue
        sys_mount(f"/proc/self/fd/{fds[i]}", target, None, MS_BIND | MS_REC)
        if m.get("readOnly"):
            sys_mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    for fd in fds.values():
        os.close(fd)
    os.chdir(spec.get("workingDir") or "/")
    os.write(ready_fd, b"1")
    os.close(ready_fd)
    argv = spec["argv"]
    try:
        os.execvpe(argv[0], argv, spec["env"])
    except OSError as e:
        print(f"exec {argv[0]}: {e}", file=sys.stderr, flush=True)
        os._exit(127 if isinstance(e, FileNotFoundError) else 126)


def enter_argv(pid, env, workdir, argv):
    """argv that runs `argv` in the namespaces and environment of process `pid`."""
    assignments = [f"{k}={v}" for k, v in env.items()]
    return (
        ["nsenter", "-t", str(pid), "-m", "-u", "-n", f"--wd={workdir or '/'}", "env", "-i"]
        + assignments
        + list(argv)
    )


# --- Probes ----------------------------------------------------------------------------------


def run_probe(probe, pod_ip, container, main_pid, env):
    """One probe attempt: (success, what happened)."""
    timeout = probe.get("timeoutSeconds", 1)
    if "exec" in probe:
        try:
            run = subprocess.run(
                enter_argv(main_pid, env, container.get("workingDir"), probe["exec"]["command"]),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            return run.returncode == 0, f"exit {run.returncode}: {(run.stdout + run.stderr)[-300:]}"
        except subprocess.TimeoutExpired:
            return False, f"timed out after {timeout} s"
    spec = probe.get("httpGet") or probe.get("tcpSocket")
    if spec is None:
        return False, f"unsupported probe {sorted(probe)}"
    port = spec["port"]
    if isinstance(port, str) and not port.isdigit():
        port = next(
            (p["containerPort"] for p in container.get("ports") or [] if p.get("name") == port),
            None,
        )
        if port is None:
            return False, f"no container port named {spec['port']}"
    host = spec.get("host") or pod_ip
    if "tcpSocket" in probe:
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return True, ""
        except OSError as e:
            return False, str(e)
    scheme = spec.get("scheme", "HTTP").lower()
    url = f"{scheme}://{host}:{port}{spec.get('path', '/')}"
    headers = {h["name"]: h["value"] for h in spec.get("httpHeaders") or []}
    context = ssl._create_unverified_context() if scheme == "https" else None
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "kube-probe/1.20", **headers})
        with urllib.request.urlopen(request, timeout=timeout, context=context) as resp:
            return 200 <= resp.status < 400, f"{url}: {resp.status}"
    except urllib.error.HTTPError as e:
        return 200 <= e.code < 400, f"{url}: {e.code}"
    except (OSError, ValueError) as e:
        return False, f"{url}: {e}"


class Prober:
    """One probe of one container: its schedule, thresholds and last result."""

    def __init__(self, probe, started, initial):
        self.probe = probe
        self.next = started + probe.get("initialDelaySeconds", 0)
        self.result = initial
        self.successes = 0
        self.failures = 0

    def due(self, t):
        return t >= self.next

    def record(self, ok, t):
        self.next = t + self.probe.get("periodSeconds", 10)
        if ok:
            self.successes += 1
            self.failures = 0
            if self.successes >= self.probe.get("successThreshold", 1):
                self.result = True
        else:
            self.failures += 1
            self.successes = 0
            if self.failures >= self.probe.get("failureThreshold", 3):
                self.result = False


# --- A Pod -----------------------------------------------------------------------------------


class Container:
    """One container of a Pod, across its restarts."""

    def __init__(self, spec, init):
        self.spec = spec
        self.name = spec["name"]
        self.init = init
        self.proc = None
        self.reaped = False
        self.log = None
        self.env = {}
        self.restarts = 0
        self.state = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state = {}
        self.started_at = None
        self.restart_at = None
        self.config_retry = False  # restart_at is a retry of a configuration error
        self.probes = {}
        self.done = False  # terminated and not to be restarted

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def ready(self):
        if not self.running:
            return False
        for kind in ("startupProbe", "readinessProbe"):
            if kind in self.probes and not self.probes[kind].result:
                return False
        return True

    def started(self):
        return self.running and (
            "startupProbe" not in self.probes or bool(self.probes["startupProbe"].result)
        )

    def status(self):
        status = {
            "name": self.name,
            "image": self.spec.get("image", ""),
            "imageID": "",
            "ready": self.ready(),
            "restartCount": self.restarts,
            "state": self.state,
            "lastState": self.last_state,
        }
        if self.proc is not None:
            status["containerID"] = f"raycc://{self.proc.pid}"
        if not self.init:
            status["started"] = self.started()
        return status


class PodWorker(threading.Thread):
    """Runs one Pod from binding to deletion."""

    def __init__(self, kubelet, pod):
        super().__init__(name=f"pod-{pod['metadata']['name']}", daemon=True)
        self.k = kubelet
        self.pod = pod
        self.uid = pod["metadata"]["uid"]
        self.ns = pod["metadata"]["namespace"]
        self.name = pod["metadata"]["name"]
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.gone = False
        self.dir = os.path.join(kubelet.state_dir, "pods", f"{self.ns}_{self.name}_{self.uid[:8]}")
        self.netns = None
        self.veth = None
        self.ip = None
        self.volumes = None
        self.inits = [Container(c, True) for c in pod["spec"].get("initContainers") or []]
        self.containers = [Container(c, False) for c in pod["spec"]["containers"]]
        self.initialized = not self.inits
        for c in self.containers if self.inits else []:
            c.state = {"waiting": {"reason": "PodInitializing"}}
        self.hosts_lock = threading.Lock()
        self.turn_since = None  # when this Pod took the start turn of --serial-starts
        self.phase = "Pending"
        self.message = None
        self.started_at = None
        self.conditions = {}
        self.last_status = None
        self.hosts_text = None

    # -- events from the informer
    def update(self, pod):
        with self.lock:
            if pod is None:
                self.gone = True
            else:
                self.pod = pod
        self.wake.set()

    def deleting(self):
        return self.gone or bool(self.pod["metadata"].get("deletionTimestamp"))

    # -- status
    def condition(self, kind, value):
        old = self.conditions.get(kind)
        if old is None or old["status"] != value:
            self.conditions[kind] = {
                "type": kind,
                "status": value,
                "lastProbeTime": None,
                "lastTransitionTime": now(),
            }

    def push_status(self):
        ready = self.initialized and all(c.ready() for c in self.containers)
        self.condition("PodScheduled", "True")
        self.condition("Initialized", "True" if self.initialized else "False")
        self.condition("ContainersReady", "True" if ready else "False")
        gates = [g["conditionType"] for g in self.pod["spec"].get("readinessGates") or []]
        others = {
            c["type"]: c["status"] for c in (self.pod.get("status") or {}).get("conditions") or []
        }
        gated = all(others.get(g) == "True" for g in gates)
        self.condition("Ready", "True" if ready and gated else "False")
        status = {
            "phase": self.phase,
            "hostIP": self.k.node_ip,
            "conditions": [
                self.conditions[k]
                for k in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
            ],
            "containerStatuses": [c.status() for c in self.containers],
        }
        if self.inits:
            status["initContainerStatuses"] = [c.status() for c in self.inits]
        if self.ip:
            status["podIP"] = self.ip
            status["podIPs"] = [{"ip": self.ip}]
        if self.started_at:
            status["startTime"] = self.started_at
        if self.message:
            status["message"] = self.message
        if status == self.last_status or self.gone:
            return
        path = kubeapi.path_for("v1", "pods", self.ns, self.name, "status")
        try:
            answer = self.k.api.patch(
                path, {"metadata": {"uid": self.uid}, "status": status}, kind="strategic"
            )
            self.last_status = status
            with self.lock:
                self.pod = answer
        except kubeapi.ApiError as e:
            if e.status != 404:
                log(f"{self.ns}/{self.name}: status: {e}")

    # -- the lifecycle
    def run(self):
        try:
            self.lifecycle()
        except Exception:  # noqa: BLE001 - a broken Pod must not stop the stand-in
            log(f"{self.ns}/{self.name}: {traceback.format_exc()}")
        finally:
            self.teardown()
            self.k.forget(self)

    def sleep(self, seconds):
        self.wake.wait(seconds)
        self.wake.clear()

    def lifecycle(self):
        if not self.pod["spec"].get("nodeName"):
            self.bind()
        self.started_at = now()
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        while not self.deleting():  # volumes wait for their Secrets, ConfigMaps and claims
            try:
                self.volumes = Volumes(self.k, self.pod, self.dir)
                self.volumes.prepare()
                self.message = None
                break
            except ConfigError as e:
                self.volumes.release()
                self.message = str(e)
                self.push_status()
                self.sleep(1)
        if self.deleting():
            return self.finish()
        self.setup_network()
        self.write_names()
        self.push_status()
        policy = self.pod["spec"].get("restartPolicy", "Always")
        for c in self.inits:
            while True:
                code = self.run_to_end(c)
                if code is None:  # deleted meanwhile
                    return self.finish()
                if code == 0:
                    break
                if policy == "Never":
                    self.phase = "Failed"
                    self.push_status()
                    self.sleep_unless_deleted(float("inf"))
                    return self.finish()
                c.state = {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": f"init container {c.name} exited {code}",
                    }
                }
                self.push_status()
                self.sleep_unless_deleted(self.backoff(c))
                if self.deleting():
                    return self.finish()
                c.restarts += 1
        self.initialized = True
        if not self.take_start_turn():
            return self.finish()
        self.phase = "Running"
        for c in self.containers:
            self.start_container(c)
        self.push_status()
        while not self.deleting():
            self.tick(policy)
            self.push_status()
            if self.turn_since is not None and (
                all(c.ready() for c in self.containers)
                or time.time() - self.turn_since > self.k.serial_starts
            ):
                self.give_start_turn()
            self.sleep(0.25)
        return self.finish()

    def take_start_turn(self):
        """With --serial-starts, waits until no other Pod is between starting its containers
        and Ready; False if the Pod is deleted meanwhile."""
        if not self.k.serial_starts:
            return True
        while not self.k.start_turn.acquire(timeout=0.5):
            if self.deleting():
                return False
        self.turn_since = time.time()
        return True

    def give_start_turn(self):
        if self.turn_since is not None:
            self.turn_since = None
            self.k.start_turn.release()

    def sleep_unless_deleted(self, seconds):
        deadline = time.time() + seconds
        while not self.deleting() and time.time() < deadline:
            self.sleep(min(0.5, deadline - time.time()))

    def backoff(self, c):
        return min(self.k.backoff * (2**c.restarts), MAX_BACKOFF)

    def tick(self, policy):
        t = time.time()
        for c in self.containers:
            if c.proc is not None and not c.reaped and not c.running:
                self.reap(c)
                restart = policy == "Always" or (
                    policy == "OnFailure" and c.state["terminated"]["exitCode"] != 0
                )
                if restart:
                    c.restart_at = t + self.backoff(c)
                    c.last_state = c.state
                    c.state = {
                        "waiting": {
                            "reason": "CrashLoopBackOff",
                            "message": f"back-off restarting failed container {c.name}",
                        }
                    }
                else:
                    c.done = True
            if c.restart_at is not None and t >= c.restart_at:
                c.restart_at = None
                if c.proc is not None and not c.config_retry:  # it ran: this is a restart
                    c.restarts += 1
                c.config_retry = False
                self.start_container(c)
            if c.running:
                self.probe(c, t)
        if all(c.done for c in self.containers):
            codes = [c.state["terminated"]["exitCode"] for c in self.containers]
            self.phase = "Succeeded" if all(code == 0 for code in codes) else "Failed"

    def probe(self, c, t):
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            p = c.probes.get(kind)
            if p is None or not p.due(t):
                continue
            if (
                kind != "startupProbe"
                and "startupProbe" in c.probes
                and not c.probes["startupProbe"].result
            ):
                continue
            if kind == "startupProbe" and p.result:
                continue
            ok, detail = run_probe(p.probe, self.ip, c.spec, c.proc.pid, c.env)
            p.record(ok, time.time())
            if not ok and p.failures == 1:  # the first of a series, as an Event would say
                log(f"{self.ns}/{self.name}: {c.name} {kind} failed: {detail}")
            if kind in ("livenessProbe", "startupProbe") and p.failures >= p.probe.get(
                "failureThreshold", 3
            ):
                log(f"{self.ns}/{self.name}: {c.name} failed its {kind}; restarting it")
                grace = p.probe.get(
                    "terminationGracePeriodSeconds",
                    self.pod["spec"].get("terminationGracePeriodSeconds", 30),
                )
                self.stop_container(c, grace)
                return

    def bind(self):
        path = kubeapi.path_for("v1", "pods", self.ns, self.name, "binding")
        body = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": self.name, "namespace": self.ns, "uid": self.uid},
            "target": {"apiVersion": "v1", "kind": "Node", "name": self.k.node_name},
        }
        try:
            self.k.api.post(path, body)
        except kubeapi.ApiError as e:
            if e.status != 409:
                raise

    def setup_network(self):
        if self.pod["spec"].get("hostNetwork"):
            self.netns, self.ip = self.k.node_netns, self.k.node_ip
            return
        self.ip, n = self.k.allocate_ip()
        self.netns, self.veth = f"{self.k.node_netns}-{n}", f"veth{n}"
        node, bridge = self.k.node_netns, self.k.bridge
        steps = [
            ["ip", "netns", "add", self.netns],
            [
                "ip",
                "-n",
                node,
                "link",
                "add",
                self.veth,
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                self.netns,
            ],
            ["ip", "-n", node, "link", "set", self.veth, "master", bridge, "up"],
            ["ip", "-n", self.netns, "link", "set", "lo", "up"],
            [
                "ip",
                "-n",
                self.netns,
                "addr",
                "add",
                f"{self.ip}/{self.k.prefix_len}",
                "dev",
                "eth0",
            ],
            ["ip", "-n", self.netns, "link", "set", "eth0", "up"],
            [
                "ip",
                "-n",
                self.netns,
                "route",
                "add",
                "default",
                "via",
                self.k.node_ip,
                "dev",
                "eth0",
                "onlink",
            ],
        ]
        for step in steps:
            subprocess.run(step, check=True, capture_output=True)

    def write_names(self):
        with open(os.path.join(self.dir, "resolv.conf"), "w") as f:
            f.write(resolv_conf(self.pod))
        with open(os.path.join(self.dir, "hostname"), "w") as f:
            f.write(pod_hostname(self.pod) + "\n")
        self.refresh_hosts()

    def refresh_hosts(self):
        """Rewrites /etc/hosts in place (it is bind-mounted: a new file would not be seen)."""
        if self.ip is None:
            return
        with self.hosts_lock:
            text = hosts_file(
                self.pod, self.ip, self.k.services.snapshot(), self.k.endpoints.snapshot()
            )
            if text == self.hosts_text:
                return
            with open(os.path.join(self.dir, "hosts"), "a+") as f:
                f.seek(0)
                f.truncate()
                f.write(text)
            self.hosts_text = text

    def mounts(self, c, tmp):
        """The container's mounts, parents first."""
        mounts = [
            {"target": "/run", "tmpfs": DEFAULT_RUN},  # also /var/run, and so the token mount
            {"source": tmp, "target": "/tmp"},
            {"source": os.path.join(self.dir, "hosts"), "target": "/etc/hosts"},
            {"source": os.path.join(self.dir, "resolv.conf"), "target": "/etc/resolv.conf"},
            {"source": os.path.join(self.dir, "hostname"), "target": "/etc/hostname"},
        ]
        targets = {m.get("mountPath") for m in c.spec.get("volumeMounts") or []}
        if "/dev/shm" not in targets:
            mounts.append({"target": "/dev/shm", "tmpfs": DEFAULT_SHM})
        for m in c.spec.get("volumeMounts") or []:
            source = self.volumes.paths.get(m["name"])
            if source is None:
                raise ConfigError(f"volumeMount {m['name']}: no such volume")
            if m.get("subPath"):
                source = os.path.join(source, m["subPath"])
                if not os.path.exists(source):
                    os.makedirs(source, exist_ok=True)
            mounts.append(
                {"source": source, "target": m["mountPath"], "readOnly": bool(m.get("readOnly"))}
            )
        for m in mounts:  # through this machine's symlinks: /var/run is /run
            m["target"] = os.path.realpath(m["target"])
        targets = [m["target"] for m in mounts]
        for m in mounts:
            target = m["target"]
            if not any(target.startswith(t.rstrip("/") + "/") for t in targets if t != target):
                self.k.ensure_mountpoint(target, bool(m.get("tmpfs")) or os.path.isdir(m["source"]))
        mounts.sort(key=lambda m: m["target"].count("/"))
        return mounts

    def start_container(self, c):
        """Starts one container (a new process in the Pod's namespaces)."""
        try:
            c.env = {
                **self.k.image_env,
                "HOSTNAME": pod_hostname(self.pod),
                **container_env(
                    self.pod, c.spec, self.k.services.snapshot(), self.k.fetch, self.k.allocatable
                ),
            }
            argv = container_argv(c.spec, c.env)
            tmp = os.path.join(self.dir, "tmp", f"{c.name}-{c.restarts}")
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            spec = {
                "hostname": pod_hostname(self.pod),
                "mounts": self.mounts(c, tmp),
                "env": c.env,
                "argv": argv,
                "workingDir": c.spec.get("workingDir"),
            }
        except ConfigError as e:
            c.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(e)}}
            c.restart_at = time.time() + 1
            c.config_retry = True
            return False
        spec_path = os.path.join(self.dir, f"{c.name}.json")
        fd = os.open(spec_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(spec, f)
        c.log = os.path.join(self.dir, "logs", f"{c.name}-{c.restarts}.log")
        c.reaped = False
        exec_info = os.path.join(self.dir, f"{c.name}.exec.json")
        if os.path.exists(exec_info):
            os.unlink(exec_info)
        ready_r, ready_w = os.pipe()
        with open(c.log, "wb") as out:
            c.proc = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    self.netns,
                    "unshare",
                    "--uts",
                    "--",
                    sys.executable,
                    os.path.abspath(__file__),
                    "container",
                    spec_path,
                    str(ready_w),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=(ready_w,),
            )
        os.close(ready_w)
        with os.fdopen(ready_r, "rb") as ready:
            set_up = ready.read(1) == b"1"  # empty: the set-up failed (see the log)
        t = time.time()
        c.started_at = now()
        c.state = {"running": {"startedAt": c.started_at}}
        c.probes = {}
        for kind, initial in (
            ("startupProbe", False),
            ("readinessProbe", False),
            ("livenessProbe", True),
        ):
            if c.spec.get(kind):
                c.probes[kind] = Prober(c.spec[kind], t, initial)
        if not set_up:
            c.probes = {}
            return True
        index = -1 if c.init else self.containers.index(c)
        fd = os.open(exec_info, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(
                {
                    "name": c.name,
                    "index": index,
                    "pid": c.proc.pid,
                    "env": c.env,
                    "workingDir": c.spec.get("workingDir"),
                },
                f,
            )
        return True

    def reap(self, c):
        c.reaped = True
        code = c.proc.wait()
        if code < 0:
            code = 128 - code
        c.state = {
            "terminated": {
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "startedAt": c.started_at,
                "finishedAt": now(),
                "containerID": f"raycc://{c.proc.pid}",
            }
        }

    def run_to_end(self, c):
        """Runs an init container until it exits; None if the Pod is deleted meanwhile."""
        while not self.start_container(c):
            self.push_status()
            self.sleep_unless_deleted(1)
            if self.deleting():
                return None
        self.push_status()
        while c.running:
            if self.deleting():  # finish() stops it within the grace period
                return None
            self.sleep(0.25)
        self.reap(c)
        self.push_status()
        return c.state["terminated"]["exitCode"]

    def stop_container(self, c, grace):
        """SIGTERM to the main process, SIGKILL to the container's session after `grace`."""
        if c.proc is None or c.proc.poll() is not None:
            return
        kill_all([c.proc.pid], signal.SIGTERM)
        try:
            c.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        kill_all(session_pids(c.proc.pid), signal.SIGKILL)
        c.proc.wait()

    def finish(self):
        """The Pod is deleted (gracefully) or gone: stop what runs, then delete the object."""
        grace = self.pod["metadata"].get("deletionGracePeriodSeconds")
        if grace is None:
            grace = self.pod["spec"].get("terminationGracePeriodSeconds", 30)
        deadline = time.time() + (0 if self.gone else grace)
        running = [c for c in self.inits + self.containers if c.running]
        for c in running:
            kill_all([c.proc.pid], signal.SIGTERM)
        while any(c.running for c in running) and time.time() < deadline and not self.gone:
            self.sleep(0.2)
        if self.netns and self.netns != self.k.node_netns:
            kill_all(pids_in_netns(self.netns), signal.SIGKILL)
        for c in running:
            kill_all(session_pids(c.proc.pid), signal.SIGKILL)
            self.reap(c)
        if self.gone:
            return
        self.push_status()
        path = kubeapi.path_for("v1", "pods", self.ns, self.name)
        try:
            self.k.api.delete(
                path,
                {
                    "apiVersion": "v1",
                    "kind": "DeleteOptions",
                    "gracePeriodSeconds": 0,
                    "preconditions": {"uid": self.uid},
                },
            )
        except kubeapi.ApiError as e:
            if e.status not in (404, 409):
                log(f"{self.ns}/{self.name}: delete: {e}")

    def teardown(self):
        self.give_start_turn()
        for c in self.inits + self.containers:
            if c.proc is not None and c.proc.poll() is None:
                kill_all(session_pids(c.proc.pid), signal.SIGKILL)
                c.proc.wait()
        if self.netns and self.netns != self.k.node_netns:
            kill_all(pids_in_netns(self.netns), signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", self.netns], stderr=subprocess.DEVNULL)
        if self.volumes:
            self.volumes.release()
        for sub in ("volumes", "tmp"):
            shutil.rmtree(os.path.join(self.dir, sub), ignore_errors=True)


# --- The stand-in ----------------------------------------------------------------------------


class Kubelet:
    def __init__(self, args):
        self.api = kubeapi.Api(args.kubeconfig)
        self.node_name = args.node_name
        self.node_netns = args.node_netns
        self.bridge = args.bridge
        self.node_ip = args.node_ip
        network = ipaddress.ip_network(args.pod_cidr)
        self.prefix_len = network.prefixlen
        self.free_ips = [str(ip) for ip in network.hosts() if str(ip) != args.node_ip]
        self.next_ip = 0
        self.ips_in_use = set()
        self.state_dir = os.path.abspath(args.state_dir)
        self.backoff = args.backoff
        self.serial_starts = args.serial_starts
        self.start_turn = threading.Lock()
        path = os.pathsep.join(
            args.image_path
            + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        )
        self.image_env = {"PATH": path, "HOME": os.environ.get("HOME", "/root")}
        for item in args.image_env:
            k, _, v = item.partition("=")
            self.image_env[k] = v
        cpus = os.cpu_count() or 1
        with open("/proc/meminfo") as f:
            mem_kib = int(re.search(r"MemTotal:\s+(\d+)", f.read())[1])
        self.allocatable = {
            "cpu": str(cpus),
            "memory": f"{mem_kib}Ki",
            "pods": "110",
            "ephemeral-storage": "100Gi",
        }
        self.lock = threading.Lock()
        self.workers = {}
        self.finished = set()
        self.stopping = threading.Event()
        self.hosts_dirty = threading.Event()
        pods_path = kubeapi.path_for("v1", "pods", args.namespace)
        params = {"labelSelector": args.selector} if args.selector else {}
        self.pods = kubeapi.Informer(self.api, pods_path, params, self.on_pod, "pods")
        self.services = kubeapi.Informer(
            self.api, "/api/v1/services", None, self.on_names, "services"
        )
        self.endpoints = kubeapi.Informer(
            self.api, "/api/v1/endpoints", None, self.on_names, "endpoints"
        )

    # -- the Node
    def node_status(self):
        t = now()
        return {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "raycc kubelet stand-in is posting ready status",
                    "lastHeartbeatTime": t,
                    "lastTransitionTime": self.ready_since,
                }
            ],
            "addresses": [
                {"type": "InternalIP", "address": self.node_ip},
                {"type": "Hostname", "address": self.node_name},
            ],
            "capacity": self.allocatable,
            "allocatable": self.allocatable,
            "nodeInfo": {
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
                "kernelVersion": os.uname().release,
                "osImage": "raycc stand-in",
                "containerRuntimeVersion": "raycc://0",
                "kubeletVersion": "v1.20.2",
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        }

    def register(self):
        self.ready_since = now()
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.node_name,
                "labels": {"kubernetes.io/hostname": self.node_name, "kubernetes.io/os": "linux"},
            },
        }
        try:
            self.api.post("/api/v1/nodes", node)
        except kubeapi.ApiError as e:
            if e.status != 409:
                raise
        self.heartbeat()

    def heartbeat(self):
        self.api.patch(
            f"/api/v1/nodes/{self.node_name}/status",
            {"status": self.node_status()},
            kind="strategic",
        )

    # -- Pods
    def on_pod(self, kind, pod):
        if pod is None:
            return
        uid = pod["metadata"]["uid"]
        node = pod["spec"].get("nodeName")
        with self.lock:
            worker = self.workers.get(uid)
            if worker is not None:
                worker.update(None if kind == "DELETED" else pod)
                return
            if (
                kind == "DELETED"
                or uid in self.finished
                or self.stopping.is_set()
                or (node and node != self.node_name)
                or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
            ):
                return
            worker = self.workers[uid] = PodWorker(self, pod)
        worker.start()

    def forget(self, worker):
        with self.lock:
            self.workers.pop(worker.uid, None)
            self.finished.add(worker.uid)
            if worker.ip and worker.netns != self.node_netns:
                self.ips_in_use.discard(worker.ip)

    def on_names(self, kind, obj):
        self.hosts_dirty.set()

    def allocate_ip(self):
        with self.lock:
            for _ in range(len(self.free_ips)):
                ip = self.free_ips[self.next_ip % len(self.free_ips)]
                self.next_ip += 1
                if ip not in self.ips_in_use:
                    self.ips_in_use.add(ip)
                    # Names follow the address, so stand-ins on disjoint ranges never collide.
                    return ip, int(ipaddress.ip_address(ip)) & 0xFFFF
        raise RuntimeError("no free Pod address")

    def fetch(self, kind, ns, name):
        plural = {
            "secret": "secrets",
            "configmap": "configmaps",
            "persistentvolumeclaim": "persistentvolumeclaims",
        }[kind]
        return self.api.get(kubeapi.path_for("v1", plural, ns, name), ok_missing=True)

    def ensure_mountpoint(self, target, directory):
        """Creates a missing mount point on this machine (an empty folder or file), which is
        kept: removing it could detach another run's mount of it."""
        if os.path.lexists(target):
            return
        with self.lock:
            if directory:
                os.makedirs(target, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                open(target, "a").close()
            log(f"created the mount point {target} on this machine")

    # -- main loop
    def serve(self):
        os.makedirs(self.state_dir, exist_ok=True)
        self.register()
        self.services.start()
        self.endpoints.start()
        self.services.synced.wait(30)
        self.endpoints.synced.wait(30)
        self.pods.start()
        log(f"node {self.node_name} ready; watching {self.pods.path} {self.pods.params or ''}")
        last_beat = time.time()
        while not self.stopping.is_set():
            if self.hosts_dirty.wait(0.5):
                self.hosts_dirty.clear()
                with self.lock:
                    workers = list(self.workers.values())
                for w in workers:
                    try:
                        w.refresh_hosts()
                    except OSError as e:
                        log(f"{w.ns}/{w.name}: hosts: {e}")
            if time.time() - last_beat > 10:
                last_beat = time.time()
                try:
                    self.heartbeat()
                except (kubeapi.ApiError, OSError) as e:
                    log(f"heartbeat: {e}")
        self.shutdown()

    def shutdown(self):
        for informer in (self.pods, self.services, self.endpoints):
            informer.stop()
        with self.lock:
            workers = list(self.workers.values())
        for w in workers:
            w.gone = True
            w.wake.set()
        for w in workers:
            w.join(30)
        log(f"stopped {len(workers)} Pods")


def exec_main(args):
    """`kubelet.py exec`: runs a command in a running container (default: the Pod's first)."""
    pods = os.path.join(os.path.abspath(args.state_dir), "pods")
    prefix = f"{args.namespace}_{args.pod}_"
    running = []
    for entry in sorted(os.listdir(pods)) if os.path.isdir(pods) else []:
        if not entry.startswith(prefix):
            continue
        for name in os.listdir(os.path.join(pods, entry)):
            if not name.endswith(".exec.json"):
                continue
            try:
                with open(os.path.join(pods, entry, name)) as f:
                    info = json.load(f)
                os.kill(info["pid"], 0)
            except (OSError, ValueError):
                continue
            if args.container in (None, info["name"]):
                running.append(info)
    if not running:
        print(
            f"no running container {args.container or ''} in Pod {args.namespace}/{args.pod}",
            file=sys.stderr,
        )
        return 1
    info = min(running, key=lambda i: i["index"])
    argv = enter_argv(info["pid"], info["env"], info.get("workingDir"), args.command)
    return subprocess.call(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["container"]:
        container_main(argv[1], int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command_name", required=True)
    serve = sub.add_parser("serve", help="run the Pods the filter selects")
    serve.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    serve.add_argument("--namespace", help="only Pods of this namespace (default: all)")
    serve.add_argument("--selector", help="only Pods with these labels (a label selector)")
    serve.add_argument("--node-name", default="raycc-node")
    serve.add_argument("--state-dir", default="target/kubelet")
    serve.add_argument("--node-netns", default=os.environ.get("CP_NETNS"))
    serve.add_argument("--bridge", default=os.environ.get("CP_BRIDGE", "raycc0"))
    serve.add_argument("--node-ip", default=os.environ.get("CP_NODE_IP", "10.244.0.1"))
    serve.add_argument("--pod-cidr", default=os.environ.get("CP_POD_CIDR", "10.244.0.0/24"))
    serve.add_argument(
        "--image-path",
        action="append",
        default=[],
        help="a folder put first on every container's PATH (repeatable)",
    )
    serve.add_argument(
        "--image-env",
        action="append",
        default=[],
        help="KEY=VALUE beneath every container's env (repeatable)",
    )
    serve.add_argument(
        "--backoff",
        type=float,
        default=10.0,
        help="first restart back-off in seconds, doubled at each restart",
    )
    serve.add_argument(
        "--serial-starts",
        type=float,
        default=0,
        metavar="SECONDS",
        help="start one Pod's containers at a time: the next Pod's wait until the previous Pod"
        " is Ready, or has been starting for SECONDS (default 0: all at once, as a kubelet)",
    )
    ex = sub.add_parser("exec", help="run a command in a running container")
    ex.add_argument("--state-dir", default="target/kubelet")
    ex.add_argument("-n", "--namespace", default="default")
    ex.add_argument("-c", "--container")
    ex.add_argument("pod")
    ex.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    if args.command_name == "exec":
        return exec_main(args)
    if not args.node_netns:
        parser.error("--node-netns (or CP_NETNS) is required: run under scripts/control-plane.sh")
    kubelet = Kubelet(args)

    def stop(signum, frame):
        kubelet.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    kubelet.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
