"""A small client of the Kubernetes API, for the scripts that talk to the control plane of
scripts/control-plane.sh: the kubelet stand-in (scripts/kubelet.py) and the checks.

It reads a kubeconfig (server, certificate authority, bearer token: what control-plane.sh
writes), sends JSON over HTTPS with the standard library, and follows a collection with the
list-then-watch pattern of client-go's informers (`Informer`). Only PyYAML is needed besides.
`downgrade` rewrites the fields of a manifest that the 1.20 control plane cannot read (for the
checks that apply raycc's output to it).
"""

import base64
import fractions
import http.client
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse

import yaml


class ApiError(Exception):
    def __init__(self, status, body, what):
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else str(body)
        super().__init__(f"{what}: {status} {message}")


class Api:
    """The API server named by the kubeconfig's current context."""

    def __init__(self, kubeconfig=None):
        path = kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        with open(path) as f:
            config = yaml.safe_load(f)
        context = next(
            c["context"] for c in config["contexts"] if c["name"] == config["current-context"]
        )
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        url = urllib.parse.urlsplit(cluster["server"])
        self.host, self.port = url.hostname, url.port or 443
        self.server = cluster["server"]
        self.token = user.get("token")
        self.ssl = ssl.create_default_context()
        if cluster.get("insecure-skip-tls-verify"):
            self.ssl.check_hostname = False
            self.ssl.verify_mode = ssl.CERT_NONE
        elif "certificate-authority-data" in cluster:
            data = base64.b64decode(cluster["certificate-authority-data"]).decode()
            self.ssl.load_verify_locations(cadata=data)
            self.ca_pem = data
        elif "certificate-authority" in cluster:
            self.ssl.load_verify_locations(cafile=cluster["certificate-authority"])
            with open(cluster["certificate-authority"]) as f:
                self.ca_pem = f.read()
        if "client-certificate" in user:
            self.ssl.load_cert_chain(user["client-certificate"], user["client-key"])

    def connect(self, timeout):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=timeout)

    def request(
        self,
        method,
        path,
        body=None,
        params=None,
        content_type="application/json",
        timeout=30,
        ok_missing=False,
    ):
        """One call; returns the decoded JSON answer. A 404 gives None when `ok_missing`."""
        if params:
            path += "?" + urllib.parse.urlencode(params)
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        conn = self.connect(timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            answer = json.loads(raw) if raw else {}
        except ValueError:
            answer = raw.decode(errors="replace")
        if resp.status == 404 and ok_missing:
            return None
        if resp.status >= 300:
            raise ApiError(resp.status, answer, f"{method} {path}")
        return answer

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.request("DELETE", path, body, **kw)

    def patch(self, path, body, kind="merge", **kw):
        types = {
            "merge": "application/merge-patch+json",
            "strategic": "application/strategic-merge-patch+json",
            "json": "application/json-patch+json",
        }
        return self.request("PATCH", path, body, content_type=types[kind], **kw)

    def watch(self, path, params, timeout):
        """Yields the events of one watch request until the server ends it."""
        params = {**params, "watch": "1", "timeoutSeconds": str(int(timeout))}
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        conn = self.connect(timeout + 10)
        try:
            conn.request("GET", path + "?" + urllib.parse.urlencode(params), headers=headers)
            resp = conn.getresponse()
            if resp.status >= 300:
                raise ApiError(resp.status, resp.read().decode(errors="replace"), f"watch {path}")
            while True:
                line = resp.readline()
                if not line:
                    return
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()


def path_for(api_version, kind_plural, namespace=None, name=None, subresource=None):
    """`/api/v1/namespaces/ns/pods/name/status` and the like."""
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    parts = [base]
    if namespace:
        parts += ["namespaces", namespace]
    parts.append(kind_plural)
    if name:
        parts.append(name)
    if subresource:
        parts.append(subresource)
    return "/".join(parts)


def key(obj):
    meta = obj["metadata"]
    return (meta.get("namespace", ""), meta["name"])


class Informer:
    """Keeps a local copy of a collection current: list, then watch from the list's
    resourceVersion; lists again when the watch breaks or expires (410 Gone). `on_change` is
    called with (event type, object) after the copy is updated; "SYNC" after each list, with
    None."""

    def __init__(self, api, path, params=None, on_change=None, name="informer"):
        self.api = api
        self.path = path
        self.params = dict(params or {})
        self.on_change = on_change or (lambda kind, obj: None)
        self.items = {}
        self.lock = threading.Lock()
        self.synced = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name=name, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopped.set()

    def snapshot(self):
        with self.lock:
            return list(self.items.values())

    def run(self):
        while not self.stopped.is_set():
            try:
                listed = self.api.get(self.path, params=self.params)
                version = listed["metadata"]["resourceVersion"]
                fresh = {key(o): o for o in listed["items"]}
                with self.lock:
                    old, self.items = self.items, fresh
                for k in set(old) - set(fresh):
                    self.on_change("DELETED", old[k])
                for k, o in fresh.items():
                    before = old.get(k)
                    if before is None:
                        self.on_change("ADDED", o)
                    elif before["metadata"]["resourceVersion"] != o["metadata"]["resourceVersion"]:
                        self.on_change("MODIFIED", o)
                self.on_change("SYNC", None)
                self.synced.set()
                while not self.stopped.is_set():
                    params = {
                        **self.params,
                        "resourceVersion": version,
                        "allowWatchBookmarks": "true",
                    }
                    for event in self.api.watch(self.path, params, timeout=60):
                        kind, obj = event["type"], event["object"]
                        if kind == "ERROR":
                            raise ApiError(obj.get("code", 0), obj, f"watch {self.path}")
                        version = obj["metadata"]["resourceVersion"]
                        if kind == "BOOKMARK":
                            continue
                        with self.lock:
                            if kind == "DELETED":
                                self.items.pop(key(obj), None)
                            else:
                                self.items[key(obj)] = obj
                        self.on_change(kind, obj)
                        if self.stopped.is_set():
                            return
            except Exception as e:  # noqa: BLE001 - any break of the stream: list again
                if not isinstance(e, (OSError, http.client.HTTPException)):
                    print(
                        f"informer {self.path}: {type(e).__name__}: {e}",
                        file=sys.stderr,
                        flush=True,
                    )
                if self.stopped.wait(0.5):
                    return


def wait_for(what, predicate, timeout, interval=0.2):
    """Calls `predicate` until it returns something true; returns that, or raises TimeoutError
    naming `what` and the last value."""
    deadline = time.time() + timeout
    last = None
    while True:
        try:
            last = predicate()
        except ApiError as e:
            last = e
        if last and not isinstance(last, Exception):
            return last
        if time.time() > deadline:
            raise TimeoutError(f"{what} (after {timeout} s; last: {last})")
        time.sleep(interval)


# --- Quantities -------------------------------------------------------------------------------

SUFFIXES = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "n": fractions.Fraction(1, 10**9),
    "u": fractions.Fraction(1, 10**6),
    "m": fractions.Fraction(1, 1000),
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}


def quantity(text):
    """A Kubernetes quantity ("1500m", "2Gi", "1e3") as an exact Fraction."""
    m = re.fullmatch(r"([+-]?[0-9.]+)(e[+-]?[0-9]+|E[+-]?[0-9]+|[KMGTPE]i|[numkMGTPE]?)", str(text))
    if not m:
        raise ValueError(f"not a quantity: {text!r}")
    number = fractions.Fraction(m[1])
    if m[2][:1] in ("e", "E") and len(m[2]) > 1 and m[2] not in SUFFIXES:
        return number * fractions.Fraction(10) ** int(m[2][1:])
    return number * SUFFIXES[m[2]]


# --- What Kubernetes 1.20 cannot read ---------------------------------------------------------


def pod_specs(obj):
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return [spec]
    template = spec.get("template") or (spec.get("jobTemplate") or {}).get("spec", {}).get(
        "template"
    )
    return [template["spec"]] if template and template.get("spec") else []


def downgrade(obj):
    """Rewrites what a 1.20 server (and kubectl's check against its schema) cannot read but a
    current one can; returns what was changed."""
    notes = []
    for spec in pod_specs(obj):
        holders = [("Pod", spec)] + [
            (f"container {c.get('name')}", c)
            for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
        ]
        for where, holder in holders:
            context = holder.get("securityContext") or {}
            if "appArmorProfile" in context:
                del context["appArmorProfile"]
                notes.append(f"{where} securityContext.appArmorProfile (1.30) left out")
    if obj.get("kind") == "StatefulSet" and "serviceName" not in obj.get("spec", {}):
        obj["spec"]["serviceName"] = ""
        notes.append('spec.serviceName (required by the 1.20 schema, optional today) set to ""')
    if obj.get("kind") == "StatefulSet" and obj["spec"].pop(
        "persistentVolumeClaimRetentionPolicy", None
    ):
        notes.append("spec.persistentVolumeClaimRetentionPolicy (1.23) left out")
    claims = [obj["spec"]] if obj.get("kind") == "PersistentVolumeClaim" else []
    templates = (obj.get("spec") or {}).get("volumeClaimTemplates") or []
    claims += [t.get("spec") or {} for t in templates]
    for spec in pod_specs(obj):
        for volume in spec.get("volumes") or []:
            template = (volume.get("ephemeral") or {}).get("volumeClaimTemplate") or {}
            claims.append(template.get("spec") or {})
    for claim in claims:
        modes = claim.get("accessModes") or []
        if "ReadWriteOncePod" in modes:
            claim["accessModes"] = [m.replace("ReadWriteOncePod", "ReadWriteOnce") for m in modes]
            notes.append("accessModes ReadWriteOncePod (1.22) checked as ReadWriteOnce")
    return notes
