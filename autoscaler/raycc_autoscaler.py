"""Ray's own autoscaler for clusters compiled by raycc, without the KubeRay operator.

raycc compiles a RayCluster with `enableInTreeAutoscaling: true` into plain Kubernetes objects:
the head StatefulSet, one `v1 PodTemplate` per worker group (the full worker Pod), and a
ConfigMap holding this file and an autoscaling config. The head Pod's `autoscaler` sidecar runs
this file from that ConfigMap (`python /etc/raycc/autoscaler/raycc_autoscaler.py ...`): it waits for the head's GCS, then runs Ray's
v1 autoscaler (`ray.autoscaler._private.monitor.Monitor`, whose `StandardAutoscaler` makes every
decision) with the node provider below, loaded by Ray as `provider: {type: external, module:
raycc_autoscaler.RayccNodeProvider}`.

What the provider does, and why:
- It is a `BatchingNodeProvider`, like KubeRay's provider: each round it lists the cluster's Pods
  once (`ray.io/cluster=<cluster>`), reports them to Ray (node id = Pod name, internal IP =
  `status.podIP`, which is how Ray matches its raylets to provider nodes), and at the end of the
  round applies what Ray decided. There is no operator: the provider creates worker Pods itself
  from the group's PodTemplate (generateName `<template>-`) and deletes exactly the Pods Ray named,
  by name, with the Pod's uid as a precondition. Ray drains a node before it names it, so the
  provider never keeps a named Pod.
- Scale-up creates no more than Ray asked for and never goes above `max_replicas`; a group below
  `min_replicas` is filled up. Multi-host groups (`num_of_hosts` > 1) are created and deleted in
  whole replicas: each host carries `ray.io/worker-group-replica-name`, `ray.io/replica-host-index`
  and `ray.io/worker-group-replica-index`, as KubeRay labels them. A replica that lost a host
  (named by Ray, failed, or gone) cannot serve multi-host work any more and is removed whole, as
  KubeRay does. Pods that ended (phase Failed or Succeeded) are deleted and not reported, so Ray
  replaces them.
- Each worker Pod carries an ownerReference to the PodTemplate it was made from (`v1
  PodTemplate`, its name and uid; controller false). raycc leaves a group's PodTemplate out of its
  output when the cluster is suspended or the group is removed, Argo CD and Flux prune it, and the
  garbage collector then deletes exactly that group's Pods; a restarted or replaced head changes
  nothing. A PodTemplate that cannot be read means no Pod of its group that round. (A PodTemplate
  deleted and created again, rather than updated, has a new uid, so its old Pods are collected.)
- No local state: every round starts from the API server. When a call fails the provider logs it
  and the next round retries; a listing that fails aborts the round (Ray then changes nothing),
  and a group whose deletions failed gets no new Pods that round, so it never ends above max.
- The Kubernetes client uses the standard library only and the Pod's service account; the token
  is read again for every request because projected tokens rotate. `RBAC_RULES` is every
  (API group, resource, verb) it uses.
- New provider code restarts the sidecar alone. The autoscaling config is read again every round,
  but this module is loaded once. raycc mounts the ConfigMap as a volume without subPath, so the
  kubelet updates the file in place (it writes a new folder and swaps the `..data` symlink to it).
  A daemon thread hashes the file's bytes every `CODE_CHECK_INTERVAL_S` seconds and, when they
  differ from what was loaded, logs it and ends the process with `EXIT_CODE_CHANGED` (3). The
  kubelet restarts the sidecar container with the new code; the head's Ray container keeps
  running, and the new provider takes the state from the API server.

Ray versions: 2.6.0 to 2.60.0. The interfaces used here (`BatchingNodeProvider`, `NodeData`,
`ScaleRequest`, the `external` provider type, `Monitor(address, autoscaling_config, log_dir,
monitor_ip, retry_on_failure)`, `ray health-check --skip-version-check`) were read in the
sources of Ray 2.6.0, 2.10.0, 2.30.0, 2.40.0, 2.47.0, 2.48.0, 2.50.0 and 2.60.0, and the tests
run against 2.6.0 and 2.60.0. Ray only runs the v1 autoscaler with an external provider; the head
must not switch the GCS to autoscaler v2 (set `RAY_enable_autoscaler_v2=0` on the head: from Ray
2.48 on, `ray start --head` turns v2 on by default when `RAY_USAGE_STATS_KUBERAY_IN_USE`,
`RAY_CLOUD_INSTANCE_ID` and `RAY_NODE_TYPE_NAME` are all set). Node-type keys that the installed
Ray's config schema does not know (`labels` and `idle_timeout_s` before 2.47) are dropped when
the config is loaded; the v1 autoscaler applies one idle timeout, `idle_timeout_minutes`, to all
groups.
"""

import argparse
import hashlib
import json
import logging
import math
import os
import random
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from ray.autoscaler.batching_node_provider import (
    BatchingNodeProvider,
    NodeData,
    ScaleRequest,
)
from ray.autoscaler.tags import (
    NODE_KIND_HEAD,
    NODE_KIND_WORKER,
    STATUS_UP_TO_DATE,
    STATUS_UPDATE_FAILED,
)

logger = logging.getLogger(__name__)

# Every Kubernetes API call the provider makes, as RBAC PolicyRules. raycc emits exactly these
# in the autoscaler's Role; the tests refuse any other call.
RBAC_RULES = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "list"]},
    {"apiGroups": [""], "resources": ["podtemplates"], "verbs": ["get"]},
]

LABEL_CLUSTER = "ray.io/cluster"
LABEL_GROUP = "ray.io/group"
LABEL_NODE_TYPE = "ray.io/node-type"
LABEL_REPLICA_NAME = "ray.io/worker-group-replica-name"
LABEL_REPLICA_INDEX = "ray.io/worker-group-replica-index"
LABEL_HOST_INDEX = "ray.io/replica-host-index"

# The provider section keys that BatchingNodeProvider and the v1 autoscaler require.
REQUIRED_PROVIDER_FLAGS = {
    "disable_node_updaters": True,
    "disable_launch_config_check": True,
    "foreground_node_launch": True,
    "worker_liveness_check": False,
}

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
DEFAULT_CONFIG_PATH = "/etc/raycc/autoscaler/autoscaling-config.yaml"
MIN_RAY_VERSION = (2, 6, 0)

# The sidecar's exit status when its own code changed on disk (0 is a clean end, 1 a crash, 2 a
# config or Ray version it refuses). The kubelet restarts the container in every case.
EXIT_CODE_CHANGED = 3
CODE_CHECK_INTERVAL_S = 5.0

# Replica key of a multi-host Pod without a replica name (no label value has a space).
UNLABELLED = "(unlabelled) "

# Characters the API server uses for generateName suffixes.
_NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class KubernetesError(Exception):
    """A Kubernetes API call that failed: `status` is the HTTP status, None when unreachable."""

    def __init__(self, method: str, path: str, status: Optional[int], reason: str, message: str):
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        self.message = message
        where = f"{method} {path}"
        if status is None:
            super().__init__(f"{where}: API server unreachable: {message}")
        else:
            super().__init__(f"{where}: {status} {reason}: {message}")


class KubernetesClient:
    """The few Kubernetes API calls the provider makes, over urllib, as the Pod's service account.

    The API server is https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT; the token,
    CA certificate and namespace are the service account's files. For tests, each can be
    overridden by environment: RAYCC_K8S_API (a base URL, http:// allowed), RAYCC_K8S_TOKEN_FILE,
    RAYCC_K8S_CA_FILE, RAYCC_K8S_NAMESPACE_FILE, RAYCC_K8S_TIMEOUT_S.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        token_file: Optional[str] = None,
        ca_file: Optional[str] = None,
        timeout_s: Optional[float] = None,
    ):
        env = os.environ
        if base_url is None:
            base_url = env.get("RAYCC_K8S_API")
        if base_url is None:
            host = env.get("KUBERNETES_SERVICE_HOST")
            if not host:
                raise ValueError(
                    "no Kubernetes API: KUBERNETES_SERVICE_HOST is not set (not in a Pod?) "
                    "and RAYCC_K8S_API is not given"
                )
            port = env.get("KUBERNETES_SERVICE_PORT", "443")
            if ":" in host and not host.startswith("["):
                host = f"[{host}]"
            base_url = f"https://{host}:{port}"
        self.base_url = base_url.rstrip("/")
        self.token_file = token_file or env.get(
            "RAYCC_K8S_TOKEN_FILE", f"{SERVICE_ACCOUNT_DIR}/token"
        )
        self.ca_file = ca_file or env.get("RAYCC_K8S_CA_FILE", f"{SERVICE_ACCOUNT_DIR}/ca.crt")
        self.timeout_s = float(timeout_s or env.get("RAYCC_K8S_TIMEOUT_S", "30"))
        self._ssl_context = None
        if self.base_url.startswith("https://"):
            if os.path.exists(self.ca_file):
                self._ssl_context = ssl.create_default_context(cafile=self.ca_file)
            else:
                self._ssl_context = ssl.create_default_context()

    def _token(self) -> Optional[str]:
        # Read on every request: projected service account tokens are rotated by the kubelet.
        try:
            with open(self.token_file, encoding="utf-8") as f:
                token = f.read().strip()
        except FileNotFoundError:
            return None
        return token or None

    def request(
        self,
        method: str,
        path: str,
        query: Optional[Dict[str, str]] = None,
        body: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Accept": "application/json"}
        token = self._token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(
                req, timeout=self.timeout_s, context=self._ssl_context
            ) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as e:
            reason, message = e.reason, ""
            try:
                status = json.loads(e.read() or b"{}")
                reason = status.get("reason") or reason
                message = status.get("message", "")
            except (ValueError, OSError):
                pass
            raise KubernetesError(method, path, e.code, str(reason), message) from None
        except (urllib.error.URLError, OSError) as e:
            raise KubernetesError(method, path, None, "", str(e)) from None
        try:
            return json.loads(payload) if payload else {}
        except ValueError as e:
            raise KubernetesError(method, path, None, "", f"invalid JSON in answer: {e}") from None

    def list_pods(self, namespace: str, label_selector: str) -> List[Dict[str, Any]]:
        answer = self.request(
            "GET",
            f"/api/v1/namespaces/{namespace}/pods",
            query={"labelSelector": label_selector},
        )
        return answer.get("items") or []

    def create_pod(self, namespace: str, pod: Dict[str, Any]) -> Dict[str, Any]:
        return self.request("POST", f"/api/v1/namespaces/{namespace}/pods", body=pod)

    def delete_pod(self, namespace: str, name: str, uid: Optional[str]) -> bool:
        """Deletes the Pod if it is still the one with this uid. False when it was gone already."""
        body = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if uid:
            body["preconditions"] = {"uid": uid}
        try:
            self.request("DELETE", f"/api/v1/namespaces/{namespace}/pods/{name}", body=body)
        except KubernetesError as e:
            if e.status == 404:
                return False
            raise
        return True

    def get_pod_template(self, namespace: str, name: str) -> Dict[str, Any]:
        return self.request("GET", f"/api/v1/namespaces/{namespace}/podtemplates/{name}")


def service_account_namespace() -> str:
    path = os.environ.get("RAYCC_K8S_NAMESPACE_FILE", f"{SERVICE_ACCOUNT_DIR}/namespace")
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


class WorkerGroup:
    """One autoscaled worker group, from the provider config's `worker_groups`."""

    def __init__(self, name: str, spec: Dict[str, Any]):
        def count(key: str, default: Optional[int] = None) -> int:
            value = spec.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"provider.worker_groups.{name}.{key} must be a whole number >= 0, "
                    f"not {value!r}"
                )
            return value

        self.name = name
        self.pod_template = spec.get("pod_template")
        if not isinstance(self.pod_template, str) or not self.pod_template:
            raise ValueError(f"provider.worker_groups.{name}.pod_template must be a name")
        self.num_of_hosts = count("num_of_hosts", 1)
        if self.num_of_hosts < 1:
            raise ValueError(f"provider.worker_groups.{name}.num_of_hosts must be at least 1")
        self.min_replicas = count("min_replicas")
        self.max_replicas = count("max_replicas")
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"provider.worker_groups.{name}: min_replicas {self.min_replicas} is above "
                f"max_replicas {self.max_replicas}"
            )

    @property
    def multi_host(self) -> bool:
        return self.num_of_hosts > 1


class Replica:
    """The Pods of one replica of a group: one Pod, or `num_of_hosts` Pods for multi-host."""

    def __init__(self, key: str):
        self.key = key
        self.pods: List[Dict[str, Any]] = []
        self.broken_because: Optional[str] = None

    @property
    def names(self) -> List[str]:
        return sorted(p["metadata"]["name"] for p in self.pods)

    @property
    def index(self) -> Optional[int]:
        for pod in self.pods:
            value = pod["metadata"].get("labels", {}).get(LABEL_REPLICA_INDEX)
            if value is not None and value.isdigit():
                return int(value)
        return None


def pod_status(pod: Dict[str, Any]) -> str:
    """Ray's node status of a Pod: up-to-date iff its Ray container runs (see NodeData)."""
    status = pod.get("status") or {}
    phase = status.get("phase", "Pending")
    if phase in ("Failed", "Succeeded", "Unknown"):
        return STATUS_UPDATE_FAILED
    containers = (pod.get("spec") or {}).get("containers") or [{}]
    ray_container = containers[0].get("name")
    for cs in status.get("containerStatuses") or []:
        if cs.get("name") == ray_container:
            state = cs.get("state") or {}
            if "running" in state:
                return STATUS_UP_TO_DATE
            if "waiting" in state:
                return "waiting"
            if "terminated" in state:
                return "restarting"
    return "pending"


def replica_key(group: WorkerGroup, pod: Dict[str, Any]) -> str:
    if not group.multi_host:
        return pod["metadata"]["name"]
    # A host without a replica name belongs to no replica: it is a replica of its own, broken.
    labels = pod["metadata"].get("labels") or {}
    return labels.get(LABEL_REPLICA_NAME) or UNLABELLED + pod["metadata"]["name"]


class GroupPlan:
    """What one round does to one group: the Pods to delete and the replicas to create."""

    def __init__(self):
        self.delete: List[Dict[str, Any]] = []
        self.kept: List[Replica] = []
        self.create: int = 0
        self.reasons: List[str] = []


def plan_group(
    group: WorkerGroup,
    replicas: List[Replica],
    desired_pods: int,
    named: Set[str],
) -> GroupPlan:
    """Turns Ray's request for one group into Pods to delete and replicas to create.

    `replicas` are the group's replicas as listed this round (broken ones marked),
    `desired_pods` is Ray's desired number of Pods of the group after this round, and
    `named` the Pods Ray chose to terminate. Ray has drained the named nodes already, so
    each of them goes, with the rest of its replica; broken replicas go too. New replicas
    are what Ray launched (in whole replicas), or what the group lacks below min, never
    more than max.
    """
    plan = GroupPlan()
    reported = sum(len(r.pods) for r in replicas if r.broken_because is None)
    named_here = {n for r in replicas for n in r.names if n in named}
    launched_pods = max(0, desired_pods - (reported - len(named_here)))

    for replica in replicas:
        hit = sorted(set(replica.names) & named)
        if replica.broken_because is not None:
            plan.delete.extend(replica.pods)
            plan.reasons.append(f"replica {replica.key} {replica.broken_because}")
        elif hit:
            plan.delete.extend(replica.pods)
            if len(hit) < len(replica.pods):
                plan.reasons.append(
                    f"replica {replica.key} chosen by Ray through {', '.join(hit)}"
                )
        else:
            plan.kept.append(replica)

    remaining = len(plan.kept)
    wanted = remaining + math.ceil(launched_pods / group.num_of_hosts)
    target = max(group.min_replicas, min(wanted, group.max_replicas))
    if launched_pods and wanted > group.max_replicas:
        plan.reasons.append(
            f"Ray asked for {wanted} replicas, capped at max_replicas {group.max_replicas}"
        )
    plan.create = max(0, target - remaining)
    return plan


class RayccNodeProvider(BatchingNodeProvider):
    """Ray's node provider over bare Pods made from raycc's PodTemplates (see the module doc)."""

    def __init__(self, provider_config: Dict[str, Any], cluster_name: str):
        for key, value in REQUIRED_PROVIDER_FLAGS.items():
            if provider_config.get(key) is not value:
                raise ValueError(f"the provider config must set {key}: {json.dumps(value)}")
        groups = provider_config.get("worker_groups")
        if not isinstance(groups, dict):
            raise ValueError("the provider config must map worker_groups to their PodTemplates")
        self.cluster_name = cluster_name
        self.groups = {name: WorkerGroup(name, spec) for name, spec in sorted(groups.items())}
        self.namespace = provider_config.get("namespace") or service_account_namespace()
        self.client = KubernetesClient()
        self._replicas: Dict[str, List[Replica]] = {}
        self._round_listed = False
        self._warned_groups: Set[str] = set()
        BatchingNodeProvider.__init__(self, provider_config, cluster_name)

    # BatchingNodeProvider interface.

    def get_node_data(self) -> Dict[str, NodeData]:
        self._round_listed = False
        pods = self.client.list_pods(self.namespace, f"{LABEL_CLUSTER}={self.cluster_name}")
        nodes: Dict[str, NodeData] = {}
        replicas: Dict[str, Dict[str, Replica]] = {name: {} for name in self.groups}
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
            meta = pod["metadata"]
            if meta.get("deletionTimestamp"):
                continue  # Being deleted: no longer a node.
            labels = meta.get("labels") or {}
            group_name = labels.get(LABEL_GROUP, "")
            if labels.get(LABEL_NODE_TYPE) == "head":
                nodes[meta["name"]] = NodeData(
                    kind=NODE_KIND_HEAD,
                    type=group_name,
                    ip=(pod.get("status") or {}).get("podIP"),
                    status=pod_status(pod),
                )
                continue
            group = self.groups.get(group_name)
            if group is None:
                if group_name not in self._warned_groups:
                    self._warned_groups.add(group_name)
                    logger.warning(
                        "Pods of worker group %r are not autoscaled; leaving them alone.",
                        group_name,
                    )
                continue
            key = replica_key(group, pod)
            replica = replicas[group_name].setdefault(key, Replica(key))
            replica.pods.append(pod)

        self._replicas = {}
        for group_name, by_key in replicas.items():
            group = self.groups[group_name]
            listed = [by_key[k] for k in sorted(by_key)]
            for replica in listed:
                phases = {(p.get("status") or {}).get("phase") for p in replica.pods}
                ended = phases & {"Failed", "Succeeded"}
                if ended:
                    replica.broken_because = f"has a Pod that ended ({', '.join(sorted(ended))})"
                elif group.multi_host and replica.key.startswith(UNLABELLED):
                    replica.broken_because = f"has a Pod without the {LABEL_REPLICA_NAME} label"
                elif len(replica.pods) != group.num_of_hosts:
                    replica.broken_because = (
                        f"has {len(replica.pods)} of {group.num_of_hosts} hosts"
                    )
                if replica.broken_because is None:
                    for pod in replica.pods:
                        nodes[pod["metadata"]["name"]] = NodeData(
                            kind=NODE_KIND_WORKER,
                            type=group_name,
                            ip=(pod.get("status") or {}).get("podIP"),
                            status=pod_status(pod),
                        )
            self._replicas[group_name] = listed
        self._round_listed = True
        return nodes

    def post_process(self) -> None:
        # Every round, not only when Ray asked for a change: ended Pods and broken replicas
        # are cleaned up and groups below min are filled up even when Ray is idle.
        if not self._round_listed:
            return
        self._round_listed = False
        self.scale_change_needed = False
        self.submit_scale_request(self.scale_request)

    def submit_scale_request(self, scale_request: ScaleRequest) -> None:
        for name, group in self.groups.items():
            replicas = self._replicas.get(name, [])
            current = sum(len(r.pods) for r in replicas if r.broken_because is None)
            desired = scale_request.desired_num_workers.get(name, current)
            plan = plan_group(group, replicas, desired, set(scale_request.workers_to_delete))
            for reason in plan.reasons:
                logger.info("Worker group %s: %s.", name, reason)
            if not self._delete_pods(name, plan.delete):
                logger.warning(
                    "Worker group %s: not creating Pods this round, as a deletion failed.", name
                )
                continue
            if plan.create == 0:
                continue
            self._create_replicas(group, plan.create, plan.kept)

    # Kubernetes side.

    def _delete_pods(self, group: str, pods: List[Dict[str, Any]]) -> bool:
        ok = True
        for pod in pods:
            meta = pod["metadata"]
            try:
                self.client.delete_pod(self.namespace, meta["name"], meta.get("uid"))
                logger.info("Worker group %s: deleted Pod %s.", group, meta["name"])
            except KubernetesError as e:
                if e.status == 409:
                    # The precondition failed: that name is another Pod now; ours is gone.
                    logger.info("Worker group %s: Pod %s was replaced already.", group, meta["name"])
                    continue
                logger.error("Worker group %s: could not delete Pod %s: %s", group, meta["name"], e)
                ok = False
        return ok

    def _create_replicas(self, group: WorkerGroup, count: int, kept: List[Replica]) -> None:
        # Read when Pods are made, so a changed template applies to the next Pods, and so the
        # owner's uid is the PodTemplate's that exists now.
        try:
            template = self.client.get_pod_template(self.namespace, group.pod_template)
        except KubernetesError as e:
            logger.error(
                "Worker group %s: could not read PodTemplate %s, so no Pod is created: %s",
                group.name,
                group.pod_template,
                e,
            )
            return
        owner = pod_template_owner_reference(template)
        if owner is None:
            logger.error(
                "Worker group %s: PodTemplate %s has no name or uid to own Pods, so no Pod is "
                "created.",
                group.name,
                group.pod_template,
            )
            return
        used_indices = {r.index for r in kept if r.index is not None}
        used_names = {r.key for r in kept}
        for _ in range(count):
            index = next(i for i in range(len(used_indices) + 1) if i not in used_indices)
            used_indices.add(index)
            replica_name = None
            if group.multi_host:
                replica_name = _replica_name(group.name, used_names)
                used_names.add(replica_name)
            for host in range(group.num_of_hosts):
                pod = self.pod_from_template(template, group, index, replica_name, host, owner)
                try:
                    created = self.client.create_pod(self.namespace, pod)
                except KubernetesError as e:
                    # A partial multi-host replica is removed in the next round.
                    logger.error("Worker group %s: could not create a Pod: %s", group.name, e)
                    return
                logger.info(
                    "Worker group %s: created Pod %s.",
                    group.name,
                    created.get("metadata", {}).get("name"),
                )

    def pod_from_template(
        self,
        pod_template: Dict[str, Any],
        group: WorkerGroup,
        replica_index: int,
        replica_name: Optional[str],
        host_index: int,
        owner: Dict[str, Any],
    ) -> Dict[str, Any]:
        template = pod_template.get("template") or {}
        template_meta = template.get("metadata") or {}
        labels = dict(template_meta.get("labels") or {})
        labels[LABEL_CLUSTER] = self.cluster_name
        labels[LABEL_GROUP] = group.name
        labels[LABEL_NODE_TYPE] = "worker"
        labels[LABEL_REPLICA_INDEX] = str(replica_index)
        if replica_name is not None:
            labels[LABEL_REPLICA_NAME] = replica_name
            labels[LABEL_HOST_INDEX] = str(host_index)
        metadata: Dict[str, Any] = {
            "generateName": pod_template["metadata"]["name"] + "-",
            "namespace": self.namespace,
            "labels": labels,
            "ownerReferences": [owner],
        }
        if template_meta.get("annotations"):
            metadata["annotations"] = dict(template_meta["annotations"])
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": metadata,
            "spec": template.get("spec") or {},
        }


def pod_template_owner_reference(template: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The ownerReference that makes a Pod garbage when this PodTemplate is gone; None without
    a name or uid. Not the controller: no controller manages these Pods, the provider does."""
    meta = template.get("metadata") or {}
    if not meta.get("name") or not meta.get("uid"):
        return None
    return {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": False,
    }


def _replica_name(group: str, taken: Set[str]) -> str:
    # KubeRay's form: the group name and five random characters, within a label value's 63.
    while True:
        suffix = "".join(random.choice(_NAME_SUFFIX_ALPHABET) for _ in range(5))
        name = f"{group[:57]}-{suffix}"
        if name not in taken:
            return name


# The autoscaling config and the monitor.

LEGACY_DEFAULTS = {
    "file_mounts": {},
    "cluster_synced_files": [],
    "file_mounts_sync_continuously": False,
    "initialization_commands": [],
    "setup_commands": [],
    "head_setup_commands": [],
    "worker_setup_commands": [],
    "head_start_ray_commands": [],
    "worker_start_ray_commands": [],
    "auth": {},
}


def node_type_keys_known_to_ray() -> Optional[Set[str]]:
    """The node-type keys the installed Ray's config schema accepts, None if unknown."""
    import ray.autoscaler

    path = os.path.join(os.path.dirname(ray.autoscaler.__file__), "ray-schema.json")
    try:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        patterns = schema["properties"]["available_node_types"]["patternProperties"]
        return set(next(iter(patterns.values()))["properties"])
    except (OSError, ValueError, KeyError, StopIteration):
        return None


def load_autoscaling_config(path: str) -> Dict[str, Any]:
    """Reads raycc's autoscaling config (YAML or JSON) as the installed Ray needs it.

    Fills in the legacy keys the v1 autoscaler reads but raycc has no use for, gives every node
    type a `node_config`, and drops node-type keys that this Ray's schema does not know.
    """
    import yaml

    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict):
        raise ValueError(f"{path}: the autoscaling config must be a mapping")
    for key, value in LEGACY_DEFAULTS.items():
        config.setdefault(key, value)
    known = node_type_keys_known_to_ray()
    for name, node_type in (config.get("available_node_types") or {}).items():
        node_type.setdefault("node_config", {})
        if known is None:
            continue
        for key in sorted(set(node_type) - known):
            del node_type[key]
            _warn_once(
                f"dropped:{name}:{key}",
                f"Node type {name}: this Ray version does not know {key!r}; ignoring it.",
            )
    return config


_warned: Set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        logger.warning(message)


def ray_version() -> Tuple[int, ...]:
    import ray

    parts = []
    for part in ray.__version__.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def wait_for_gcs(address: str, sleep_s: float = 5.0, command: Optional[List[str]] = None) -> None:
    """Returns once `ray health-check` reaches the GCS at `address`."""
    command = command or [
        sys.executable,
        "-m",
        "ray.scripts.scripts",
        "health-check",
        "--address",
        address,
        "--skip-version-check",
    ]
    while True:
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if result.returncode == 0:
            logger.info("The GCS at %s is ready.", address)
            return
        logger.info("The GCS at %s is not ready yet; checking again in %s s.", address, sleep_s)
        time.sleep(sleep_s)


# New provider code: restart the sidecar.


def file_sha256(path: str) -> Optional[str]:
    """The SHA-256 of the file's bytes, through symlinks; None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


# This module as Python loaded it. The path is the one Python found (in a ConfigMap volume, a
# symlink to `..data/raycc_autoscaler.py`), not the folder it resolves to now: the kubelet
# deletes that folder when it swaps `..data` to the new one.
MODULE_PATH = os.path.abspath(__file__)
LOADED_SHA256 = file_sha256(MODULE_PATH)


class CodeWatcher:
    """A daemon thread that calls `on_change` once the file at `path` no longer holds the bytes
    whose hash is `loaded_sha256`, checking every `interval_s` seconds.

    It compares content, not mtime: a ConfigMap update swaps a symlink to a new folder, and an
    update that changed only another key swaps it too, with this file's bytes unchanged. A file
    that cannot be read counts as unchanged (logged once): the sidecar would not start again
    without it.
    """

    def __init__(
        self,
        path: str,
        loaded_sha256: str,
        interval_s: float = CODE_CHECK_INTERVAL_S,
        on_change: Optional[Callable[[], None]] = None,
    ):
        self.path = path
        self.loaded_sha256 = loaded_sha256
        self.interval_s = interval_s
        self.on_change = on_change or exit_for_new_code
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="raycc-code-watcher", daemon=True)

    def changed(self) -> bool:
        current = file_sha256(self.path)
        if current is None:
            _warn_once(
                f"unreadable:{self.path}",
                f"Cannot read {self.path}; running on with the code loaded.",
            )
            return False
        return current != self.loaded_sha256

    def start(self) -> "CodeWatcher":
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            if self.changed():
                logger.info(
                    "%s changed; ending with status %d so that the new code runs.",
                    self.path,
                    EXIT_CODE_CHANGED,
                )
                self.on_change()
                return


def exit_for_new_code() -> None:
    """Ends the process with EXIT_CODE_CHANGED, from any thread, once the logs are flushed.

    `os._exit`, because `sys.exit` in a thread ends only that thread, and a signal would make
    Ray's Monitor report to every driver that the autoscaler failed.
    """
    for handler in logging.root.handlers:
        handler.flush()
    sys.stderr.flush()
    os._exit(EXIT_CODE_CHANGED)


def start_code_watcher() -> Optional[CodeWatcher]:
    """Watches this module's file, as loaded, for the rest of the process."""
    if LOADED_SHA256 is None:
        logger.warning("Cannot read %s; not watching it for new code.", MODULE_PATH)
        return None
    return CodeWatcher(MODULE_PATH, LOADED_SHA256, CODE_CHECK_INTERVAL_S).start()


def _log_formatter() -> logging.Formatter:
    from ray._private import ray_constants

    return logging.Formatter(ray_constants.LOGGER_FORMAT)


def setup_logging() -> None:
    """Logs at info level to stderr, the container's log."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_log_formatter())
    logging.root.setLevel(logging.INFO)
    logging.root.addHandler(handler)


def log_to_folder(log_dir: Optional[str]) -> None:
    """Also logs to monitor.log in the head's Ray log folder (shared with the sidecar), where
    Ray's log monitor finds the autoscaler's events and shows them to drivers."""
    if not log_dir:
        return
    try:
        os.makedirs(log_dir, exist_ok=True)
        file_handler = logging.FileHandler(os.path.join(log_dir, "monitor.log"))
    except OSError as e:
        logger.warning("Not writing monitor.log to %s: %s", log_dir, e)
        return
    file_handler.setFormatter(_log_formatter())
    logging.root.addHandler(file_handler)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="raycc_autoscaler",
        description="Run Ray's v1 autoscaler with raycc's node provider against the head's GCS.",
    )
    parser.add_argument("--gcs-address", default="127.0.0.1:6379", help="the head's GCS, host:port")
    parser.add_argument("--config", default=DEFAULT_CONFIG_PATH, help="the autoscaling config file")
    parser.add_argument(
        "--log-dir",
        default="/tmp/ray/session_latest/logs",
        help="where to write monitor.log (the head's Ray log folder); empty for stderr only",
    )
    parser.add_argument(
        "--monitor-ip",
        default=None,
        help="the Pod IP: publishes the autoscaler's Prometheus metrics on it (port 44217)",
    )
    args = parser.parse_args(argv)

    import ray

    if ray_version() < MIN_RAY_VERSION:
        print(
            f"raycc_autoscaler: Ray {ray.__version__} is older than "
            f"{'.'.join(map(str, MIN_RAY_VERSION))}, the oldest it supports",
            file=sys.stderr,
        )
        return 2
    # Fail before waiting when the config cannot work at all.
    config = load_autoscaling_config(args.config)
    provider = config.get("provider") or {}
    if provider.get("type") != "external" or not str(provider.get("module", "")).startswith(
        "raycc_autoscaler."
    ):
        print(
            f"raycc_autoscaler: {args.config}: provider must be "
            "{type: external, module: raycc_autoscaler.RayccNodeProvider}",
            file=sys.stderr,
        )
        return 2

    setup_logging()
    # From now on, also while the GCS is awaited.
    start_code_watcher()
    wait_for_gcs(args.gcs_address)
    # The head's Ray container makes its log folder once the GCS runs.
    log_to_folder(args.log_dir)
    logger.info("Ray %s; running the v1 autoscaler with %s.", ray.__version__, args.config)

    from ray.autoscaler._private.monitor import Monitor

    monitor = Monitor(
        address=args.gcs_address,
        # A callable: read again each round, so it is adapted to this Ray every time.
        autoscaling_config=lambda: load_autoscaling_config(args.config),
        log_dir=args.log_dir or None,
        monitor_ip=args.monitor_ip,
        # An API server or GCS that fails is logged and retried next round.
        retry_on_failure=True,
    )
    _check_v1(monitor)
    monitor.run()
    return 0


def _check_v1(monitor: Any) -> None:
    try:
        from ray.autoscaler.v2.utils import is_autoscaler_v2
    except ImportError:
        return  # Before autoscaler v2 existed.
    gcs_client = getattr(monitor, "gcs_client", None)
    if gcs_client is None:
        return  # Ray before 2.7 keeps no client to ask with.
    try:
        v2 = is_autoscaler_v2(fetch_from_server=True, gcs_client=gcs_client)
    except Exception as e:  # The answer only decides a warning.
        logger.warning("Could not ask the GCS which autoscaler it expects: %s", e)
        return
    if v2:
        logger.error(
            "The GCS runs in autoscaler v2 mode, but raycc runs the v1 autoscaler: set "
            "RAY_enable_autoscaler_v2=0 on the head's Ray container. `ray status` will not "
            "show this autoscaler's state."
        )


if __name__ == "__main__":
    # Import under its own name so Ray's `raycc_autoscaler.RayccNodeProvider` is this module.
    import raycc_autoscaler

    sys.exit(raycc_autoscaler.main())
