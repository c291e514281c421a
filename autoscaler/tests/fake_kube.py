"""An in-process Kubernetes API server implementing exactly the calls the provider makes.

It follows the Kubernetes API's documented behaviour for them:
- list Pods with an equality- or existence-based `labelSelector`
  (`a=b`, `a==b`, `a!=b`, `a`, `!a`, joined by commas);
- create a Pod: `generateName` gets five random characters (the prefix cut to 58), a name in use
  is 409 AlreadyExists, neither name nor generateName is 422 Invalid, a namespace in the body
  other than the path's is 400 BadRequest; the server sets uid, resourceVersion and
  creationTimestamp and keeps ownerReferences as sent; the answer is 201 with the object;
- delete a Pod: 404 NotFound when absent, 409 Conflict when `preconditions.uid` differs; with a
  kubelet (the default) the Pod stays, with `deletionTimestamp` set, until `finish_deletions()`;
- get a PodTemplate: 404 NotFound when absent;
- a bearer token is required when one is set (401 Unauthorized), and every call, in any API
  group, is authorized against the RBAC rules given (403 Forbidden for any (verb, resource)
  they do not grant);
- the garbage collector, when `collect_garbage()` runs: an object with ownerReferences of which
  none names an object that exists (same namespace, kind and name, and that uid) is deleted as
  if through the API (background propagation); an object without ownerReferences stays.
Errors carry a `Status` object. Failures can be injected per (verb, resource), and every request
is recorded.
"""

import json
import random
import ssl
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple

SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def status(code: int, reason: str, message: str, details: Optional[Dict] = None) -> Dict:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str):
        super().__init__(message)
        self.code = code
        self.body = status(code, reason, message)


def parse_selector(selector: str) -> List[Tuple[str, str, Optional[str]]]:
    terms = []
    for raw in selector.split(","):
        term = raw.strip()
        if not term:
            continue
        if "!=" in term:
            key, value = term.split("!=", 1)
            terms.append(("!=", key.strip(), value.strip()))
        elif "==" in term:
            key, value = term.split("==", 1)
            terms.append(("=", key.strip(), value.strip()))
        elif "=" in term:
            key, value = term.split("=", 1)
            terms.append(("=", key.strip(), value.strip()))
        elif term.startswith("!"):
            terms.append(("!", term[1:].strip(), None))
        elif " " in term or "(" in term:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: {term!r}")
        else:
            terms.append(("exists", term, None))
    return terms


def matches(labels: Dict[str, str], terms) -> bool:
    for op, key, value in terms:
        if op == "=" and labels.get(key) != value:
            return False
        if op == "!=" and labels.get(key) == value:
            return False
        if op == "exists" and key not in labels:
            return False
        if op == "!" and key in labels:
            return False
    return True


class FakeKube:
    """The API server's state and behaviour; `url` once started."""

    def __init__(self, rbac_rules: List[Dict[str, Any]], token: Optional[str] = "token-1"):
        self.rbac_rules = rbac_rules
        self.token = token
        self.kubelet = True
        self.lock = threading.Lock()
        self.objects: Dict[Tuple[str, str, str], Dict[str, Any]] = {}
        self.requests: List[Dict[str, Any]] = []
        self.failures: List[Dict[str, Any]] = []
        self._rv = 100
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.url = ""

    # Setup and inspection, for the tests.

    def start(self, tls: Optional[Tuple[str, str]] = None) -> "FakeKube":
        """Serves on 127.0.0.1, over HTTPS with `tls` = (certificate file, key file)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    code, body = fake.handle(self.command, self.path, dict(self.headers), raw)
                except ConnectionAbortedError:
                    self.close_connection = True  # An injected dropped connection.
                    return
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    def put(self, resource: str, namespace: str, obj: Dict[str, Any]) -> Dict[str, Any]:
        with self.lock:
            meta = obj.setdefault("metadata", {})
            meta.setdefault("namespace", namespace)
            meta.setdefault("uid", str(uuid.uuid4()))
            meta["resourceVersion"] = self._next_rv()
            self.objects[(resource, namespace, meta["name"])] = obj
            return obj

    def get(self, resource: str, namespace: str, name: str) -> Optional[Dict[str, Any]]:
        return self.objects.get((resource, namespace, name))

    def pods(self, namespace: str, deleting: bool = False) -> List[Dict[str, Any]]:
        found = [
            o
            for (r, ns, _), o in sorted(self.objects.items())
            if r == "pods" and ns == namespace
        ]
        if not deleting:
            found = [p for p in found if not p["metadata"].get("deletionTimestamp")]
        return found

    def finish_deletions(self) -> None:
        """What the kubelet and the API server do once a deleted Pod's containers stopped."""
        with self.lock:
            for key, obj in list(self.objects.items()):
                if obj["metadata"].get("deletionTimestamp"):
                    del self.objects[key]

    def collect_garbage(self) -> List[str]:
        """What the garbage collector does; returns the names of the objects it deleted."""
        with self.lock:
            present = {
                (ns, o.get("kind"), o["metadata"]["name"], o["metadata"]["uid"])
                for (_, ns, _), o in self.objects.items()
            }
            collected = []
            for key, obj in sorted(self.objects.items()):
                meta = obj["metadata"]
                owners = meta.get("ownerReferences") or []
                if not owners or meta.get("deletionTimestamp"):
                    continue
                if any((key[1], o["kind"], o["name"], o["uid"]) in present for o in owners):
                    continue
                collected.append(meta["name"])
                if key[0] == "pods" and self.kubelet:
                    meta["deletionTimestamp"] = "2026-01-01T00:00:30Z"
                    meta["deletionGracePeriodSeconds"] = 30
                    meta["resourceVersion"] = self._next_rv()
                else:
                    del self.objects[key]
            return collected

    def fail(self, verb: str, resource: str, code: int = 503, times: int = 1, after: int = 0) -> None:
        """After `after` more calls of (verb, resource), the next `times` answer `code`;
        code 0 drops the connection instead."""
        self.failures.append(
            {"verb": verb, "resource": resource, "code": code, "times": times, "after": after}
        )

    def calls(self, verb: Optional[str] = None, resource: Optional[str] = None) -> List[Dict]:
        return [
            r
            for r in self.requests
            if (verb is None or r["verb"] == verb) and (resource is None or r["resource"] == resource)
        ]

    # The API.

    def allowed(self, verb: str, group: str, resource: str) -> bool:
        for rule in self.rbac_rules:
            if (
                group in rule.get("apiGroups", [])
                and resource in rule.get("resources", [])
                and verb in rule.get("verbs", [])
            ):
                return True
        return False

    def handle(self, method: str, raw_path: str, headers: Dict[str, str], raw: bytes):
        parsed = urllib.parse.urlsplit(raw_path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return 400, status(400, "BadRequest", "the body is not JSON")
        # /api/v1/... is the core group, /apis/<group>/<version>/... any other.
        parts = parsed.path.strip("/").split("/")
        if parts[:2] == ["api", "v1"]:
            group, base = "", 2
        elif parts[0] == "apis" and len(parts) >= 3:
            group, base = parts[1], 3
        else:
            return 404, status(404, "NotFound", f"the server could not find {parsed.path}")
        if len(parts) < base + 3 or parts[base] != "namespaces":
            return 404, status(404, "NotFound", f"the server could not find {parsed.path}")
        namespace = urllib.parse.unquote(parts[base + 1])
        resource = parts[base + 2]
        name = urllib.parse.unquote(parts[base + 3]) if len(parts) == base + 4 else None
        if len(parts) > base + 4:
            return 404, status(404, "NotFound", f"the server could not find {parsed.path}")
        verb = {
            ("GET", False): "list",
            ("GET", True): "get",
            ("POST", False): "create",
            ("DELETE", True): "delete",
            ("DELETE", False): "deletecollection",
            ("PATCH", True): "patch",
            ("PUT", True): "update",
        }.get((method, name is not None), "unknown")
        record = {
            "method": method,
            "path": parsed.path,
            "query": query,
            "verb": verb,
            "group": group,
            "resource": resource,
            "namespace": namespace,
            "name": name,
            "body": json.loads(raw) if body is not None else None,  # as sent
            "authorization": headers.get("Authorization"),
            "content_type": headers.get("Content-Type"),
        }
        with self.lock:
            self.requests.append(record)
            for failure in self.failures:
                if failure["times"] > 0 and failure["verb"] == verb and failure["resource"] == resource:
                    if failure["after"] > 0:
                        failure["after"] -= 1
                        continue
                    failure["times"] -= 1
                    code = failure["code"]
                    record["injected"] = code
                    if code == 0:
                        raise ConnectionAbortedError("injected")
                    return code, status(code, "InternalError" if code >= 500 else "Forbidden", "injected failure")
        if self.token is not None and headers.get("Authorization") != f"Bearer {self.token}":
            return 401, status(401, "Unauthorized", "Unauthorized")
        if not self.allowed(verb, group, resource):
            what = f"{resource}.{group}" if group else resource
            return 403, status(
                403,
                "Forbidden",
                f'{what} is forbidden: User "system:serviceaccount:{namespace}:raycc" '
                f'cannot {verb} resource "{resource}" in API group "{group}" in the namespace '
                f'"{namespace}"',
            )
        try:
            with self.lock:
                return self.serve(verb, group, resource, namespace, name, query, body)
        except ApiError as e:
            return e.code, e.body

    def serve(self, verb, group, resource, namespace, name, query, body):
        key = (resource, namespace, name)
        if verb == "get":
            obj = self.objects.get(key)
            if obj is None:
                what = f"{resource}.{group}" if group else resource
                raise ApiError(404, "NotFound", f'{what} "{name}" not found')
            return 200, obj
        if verb == "list":
            terms = parse_selector(query.get("labelSelector", ""))
            items = [
                o
                for (r, ns, _), o in sorted(self.objects.items())
                if r == resource and ns == namespace and matches(o["metadata"].get("labels") or {}, terms)
            ]
            kind = {"pods": "PodList"}.get(resource, "List")
            return 200, {
                "kind": kind,
                "apiVersion": "v1",
                "metadata": {"resourceVersion": str(self._rv)},
                "items": items,
            }
        if verb == "create" and resource == "pods":
            if not isinstance(body, dict) or body.get("kind") != "Pod":
                raise ApiError(400, "BadRequest", "the body must be a Pod")
            meta = body.setdefault("metadata", {})
            if meta.get("namespace", namespace) != namespace:
                raise ApiError(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
            meta["namespace"] = namespace
            if not meta.get("name"):
                prefix = meta.get("generateName")
                if not prefix:
                    raise ApiError(422, "Invalid", 'Pod "" is invalid: metadata.name: Required value')
                prefix = prefix[:58]
                meta["name"] = prefix + "".join(random.choice(SUFFIX_ALPHABET) for _ in range(5))
            if (resource, namespace, meta["name"]) in self.objects:
                raise ApiError(409, "AlreadyExists", f'pods "{meta["name"]}" already exists')
            meta["uid"] = str(uuid.uuid4())
            meta["resourceVersion"] = self._next_rv()
            meta["creationTimestamp"] = "2026-01-01T00:00:00Z"
            body.setdefault("status", {"phase": "Pending"})
            self.objects[(resource, namespace, meta["name"])] = body
            return 201, body
        if verb == "delete" and resource == "pods":
            obj = self.objects.get(key)
            if obj is None:
                raise ApiError(404, "NotFound", f'pods "{name}" not found')
            wanted_uid = ((body or {}).get("preconditions") or {}).get("uid")
            if wanted_uid and wanted_uid != obj["metadata"]["uid"]:
                raise ApiError(
                    409,
                    "Conflict",
                    f"Precondition failed: UID in precondition: {wanted_uid}, UID in object meta: {obj['metadata']['uid']}",
                )
            if self.kubelet:
                obj["metadata"].setdefault("deletionTimestamp", "2026-01-01T00:00:30Z")
                obj["metadata"]["deletionGracePeriodSeconds"] = 30
                obj["metadata"]["resourceVersion"] = self._next_rv()
            else:
                del self.objects[key]
            return 200, obj
        raise ApiError(405, "MethodNotAllowed", f"{verb} {resource} is not supported here")
