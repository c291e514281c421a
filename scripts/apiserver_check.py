"""Applies what raycc compiles to a real API server and checks that the controllers act on it.

Run by scripts/apiserver-check.sh inside the control plane of scripts/control-plane.sh
(Kubernetes 1.20.2). For every input (the golden inputs of fixtures/compile, fixtures/e2e and
fixtures/warnings, and every KubeRay sample raycc compiles):

1. `raycc compile FILE`; a sample raycc refuses (exit 1) is counted and listed, not applied.
2. No two objects of the output share apiVersion group, kind, namespace and name (a second one
   would silently overwrite the first on apply).
3. `kubectl apply --dry-run=server` with the namespaces raycc wrote (each is created first;
   objects without one go to `default`).
4. A real `kubectl apply` into a fresh namespace `apply-<n>`: every object's metadata.namespace
   is replaced by it (objects without one get it from `-n`), and so is a RoleBinding subject's
   that named the object's own, so that inputs sharing a namespace and names do not meet. Strings that name the old namespace (the worker's head address) stay:
   these Pods are created, not run (scripts/ray-e2e.sh runs them).
5. Each applied object, read back, still holds every field raycc wrote, unchanged (the server
   may only add defaults): a 1.20 server drops fields it does not know without a word.
6. Each StatefulSet and Deployment gets its Pods from the controllers: as many as its replicas
   (a StatefulSet with OrderedReady creates only ordinal 0: no kubelet runs here, so it never
   becomes Ready), each holding every label, annotation, container, command, argument, env var,
   probe, volume and mount of raycc's Pod template (the API server adds defaults, the
   ServiceAccount token volume and tolerations; controllers add their labels).
7. Scaling it through the scale subresource to 0 removes its Pods; to 2 creates them again
   (OrderedReady: 1).
8. Deleting it (propagation Background) garbage-collects its Pods.
9. A Pod made from each PodTemplate (the autoscaler's groups) is admitted by a server-side dry
   run and holds the template unchanged.
10. Each ServiceAccount a RoleBinding binds may create, delete and list Pods and get the
   output's PodTemplates, and may not do a sample of other things (get Pods or Secrets, touch
   other PodTemplates, scale StatefulSets, write RBAC, ...): scripts/rbac-check.sh asks the
   API server's RBAC.

What 1.20 cannot read is checked in a converted copy written beside the compiled output
(`target/apiserver-check/<input>.yaml`, its first line lists every change; the run prints them):
`autoscaling/v2` HorizontalPodAutoscalers become `autoscaling/v2beta2` (the same fields for what
raycc emits; v2 is served from 1.23), `securityContext.appArmorProfile` (1.30) and a
StatefulSet's `persistentVolumeClaimRetentionPolicy` (1.23) are left out, a claim's access mode
`ReadWriteOncePod` (1.22) is checked as `ReadWriteOnce`, and a StatefulSet without
`spec.serviceName` (optional today, required by 1.20's schema) gets "".
Objects of kinds this server does not serve (custom resources such as Volcano's or KAI's
Queue, whose CRDs are not installed) are left out of the copy and listed at the end. The
ServiceAccounts and PriorityClasses that Pod templates name and the input does not hold are
created before the apply (a cluster must have them for the Pods to be admitted) and listed.

Known raycc defects that make a check fail are listed in EXPECTED_FAILURES with a reason: they
are reported as `xfail` and still counted as failed if they pass (so that the list is pruned).
Prints `ok`/`FAIL`/`xfail` per check and `apiserver-check: N passed, M failed` last.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, HERE)
import kubeapi  # noqa: E402

WAIT = 60

# (input file name, check name prefix) -> why it fails; the check is then expected to fail.
EXPECTED_FAILURES = {}

# Lists whose items the API server or admission may add to, matched by a key instead of index.
KEYED_LISTS = {"volumes": "name", "volumeMounts": "mountPath", "tolerations": None}


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.expected = 0

    def check(self, ok, tag, name, detail=""):
        reason = next(
            (
                why
                for (f, prefix), why in EXPECTED_FAILURES.items()
                if f == tag and name.startswith(prefix)
            ),
            None,
        )
        if reason and not ok:
            self.expected += 1
            print(f"xfail {tag}: {name} (known raycc defect: {reason})\n      {detail}", flush=True)
        elif ok and reason:
            self.failed += 1
            print(
                f"FAIL {tag}: {name} passes, but EXPECTED_FAILURES says it fails ({reason})",
                flush=True,
            )
        elif ok:
            self.passed += 1
            print(f"ok   {tag}: {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {tag}: {name}" + (f"\n     {detail}" if detail else ""), flush=True)
        return ok


# --- Comparing what raycc wrote with what the server holds ------------------------------------

QUANTITY = re.compile(r"^[+-]?[0-9.]+([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$")


def differences(want, have, path="", in_quantities=False):
    """Where `have` lacks or changes what `want` holds (`have` may hold more)."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return [f"{path or '.'}: {json.dumps(want)[:80]} became {json.dumps(have)[:80]}"]
        out = []
        for k, v in want.items():
            quantities = in_quantities or k in ("limits", "requests", "capacity", "sizeLimit")
            if k not in have:
                out.append(f"{path}.{k}: dropped (was {json.dumps(v)[:80]})")
            else:
                out += differences(v, have[k], f"{path}.{k}", quantities)
        return out
    if isinstance(want, list):
        if not isinstance(have, list):
            return [f"{path}: a list became {json.dumps(have)[:80]}"]
        name = path.rsplit(".", 1)[-1]
        if name in KEYED_LISTS:
            field = KEYED_LISTS[name]
            out = []
            for i, item in enumerate(want):
                if field:
                    match = [h for h in have if h.get(field) == item.get(field)]
                    out += (
                        differences(item, match[0], f"{path}[{item.get(field)}]")
                        if match
                        else [f"{path}[{item.get(field)}]: dropped"]
                    )
                elif not any(not differences(item, h) for h in have):
                    out.append(f"{path}[{i}]: {json.dumps(item)} dropped")
            return out
        if len(want) != len(have):
            return [f"{path}: {len(want)} items became {len(have)}"]
        out = []
        for i, (w, h) in enumerate(zip(want, have)):
            out += differences(w, h, f"{path}[{i}]", in_quantities)
        return out
    if (
        in_quantities
        and isinstance(want, (str, int, float))
        and QUANTITY.match(str(want))
        and QUANTITY.match(str(have))
    ):
        if kubeapi.quantity(want) == kubeapi.quantity(have):
            return []
    if want != have:
        return [f"{path}: {json.dumps(want)[:80]} became {json.dumps(have)[:80]}"]
    return []


def secret_bytes(secret):
    """A Secret with stringData folded into data and every value decoded: the server stores
    stringData as data and re-encodes base64."""
    import base64

    data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    data.update({k: v.encode() for k, v in (secret.get("stringData") or {}).items()})
    out = {k: v for k, v in secret.items() if k not in ("data", "stringData")}
    out["data"] = {k: v.hex() for k, v in data.items()}
    return out


def template_differences(template, pod):
    meta = template.get("metadata") or {}
    out = differences(
        {"labels": meta.get("labels") or {}, "annotations": meta.get("annotations") or {}},
        {
            "labels": pod["metadata"].get("labels") or {},
            "annotations": pod["metadata"].get("annotations") or {},
        },
        "metadata",
    )
    return out + differences(template.get("spec") or {}, pod["spec"], "spec")


# --- One input ------------------------------------------------------------------------------


def group_of(api_version):
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def identity(obj):
    meta = obj.get("metadata") or {}
    return (
        group_of(obj.get("apiVersion", "")),
        obj.get("kind"),
        meta.get("namespace", ""),
        meta.get("name"),
    )


def for_120(objects, served):
    """The copy a 1.20 server can check, the conversions made, and the objects left out
    because the server does not serve their kind (custom resources without their CRD)."""
    notes, out, left_out = [], [], []
    for obj in objects:
        obj = json.loads(json.dumps(obj))
        if (
            obj.get("kind") == "HorizontalPodAutoscaler"
            and obj.get("apiVersion") == "autoscaling/v2"
        ):
            obj["apiVersion"] = "autoscaling/v2beta2"
            notes.append(
                f"HorizontalPodAutoscaler {obj['metadata']['name']}: autoscaling/v2 -> v2beta2"
            )
        for note in kubeapi.downgrade(obj):
            notes.append(f"{obj['kind']} {obj['metadata'].get('name')}: {note}")
        if (obj.get("apiVersion"), obj.get("kind")) not in served:
            left_out.append(obj)
            notes.append(
                f"{obj.get('kind')} {obj['metadata'].get('name')} ({obj.get('apiVersion')})"
                " left out: this server does not serve it"
            )
            continue
        out.append(obj)
    return out, notes, left_out


def served_kinds(api):
    """{(apiVersion, kind): (plural, namespaced)} for everything the server serves."""
    served = {}
    versions = ["v1"] + [
        v["groupVersion"] for g in api.get("/apis")["groups"] for v in g["versions"]
    ]
    for gv in versions:
        listing = api.get("/api/v1" if gv == "v1" else f"/apis/{gv}")
        for r in listing["resources"]:
            if "/" not in r["name"]:
                served[(gv, r["kind"])] = (r["name"], r["namespaced"])
    return served


class Run:
    def __init__(self, args, checks):
        self.args = args
        self.checks = checks
        self.api = kubeapi.Api()
        self.count = 0
        self.applied = 0
        self.unserved = {}  # kind -> inputs
        self.provided = []
        self.served = served_kinds(self.api)

    def kubectl(self, *argv):
        return subprocess.run([self.args.kubectl, *argv], capture_output=True, text=True)

    def provide_references(self, objects, ns):
        """Creates the ServiceAccounts and PriorityClasses the Pod templates name and the input
        does not hold: a cluster must have them before the controllers can create the Pods."""
        held = {(o["kind"], o["metadata"]["name"]) for o in objects}
        for o in objects:
            if o["kind"] not in ("StatefulSet", "Deployment"):
                continue
            spec = o["spec"]["template"].get("spec") or {}
            sa = spec.get("serviceAccountName") or spec.get("serviceAccount")
            if sa and sa != "default" and ("ServiceAccount", sa) not in held:
                self.create(
                    kubeapi.path_for("v1", "serviceaccounts", ns),
                    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa}},
                    f"ServiceAccount {ns}/{sa}",
                )
                kubeapi.wait_for(
                    f"the token of ServiceAccount {sa}",
                    lambda: (
                        self.api.get(kubeapi.path_for("v1", "serviceaccounts", ns, sa)) or {}
                    ).get("secrets"),
                    WAIT,
                )
            pc = spec.get("priorityClassName")
            if pc and not pc.startswith("system-") and ("PriorityClass", pc) not in held:
                self.create(
                    "/apis/scheduling.k8s.io/v1/priorityclasses",
                    {
                        "apiVersion": "scheduling.k8s.io/v1",
                        "kind": "PriorityClass",
                        "metadata": {"name": pc},
                        "value": 1000,
                    },
                    f"PriorityClass {pc}",
                )

    def create(self, path, body, what):
        try:
            self.api.post(path, body)
            self.provided.append(what)
        except kubeapi.ApiError as e:
            if e.status != 409:
                raise

    def ensure_namespace(self, ns):
        try:
            self.api.post(
                "/api/v1/namespaces",
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
            )
        except kubeapi.ApiError as e:
            if e.status != 409:
                return str(e)
        kubeapi.wait_for(
            f"ServiceAccount default in {ns}",
            lambda: (
                self.api.get(
                    kubeapi.path_for("v1", "serviceaccounts", ns, "default"), ok_missing=True
                )
                or {}
            ).get("secrets"),
            WAIT,
        )
        return None

    def input(self, path, sample):
        tag = os.path.basename(path)
        check = lambda ok, name, detail="": self.checks.check(ok, tag, name, detail)  # noqa: E731
        compiled = subprocess.run(
            [self.args.raycc, "compile", "--color", "never", path], capture_output=True, text=True
        )
        if compiled.returncode == 1 and sample:
            return "refused", compiled.stderr
        if not check(compiled.returncode == 0, "raycc compile", compiled.stderr[-2000:]):
            return "failed", None
        objects = [o for o in yaml.safe_load_all(compiled.stdout) if o]
        self.count += 1
        n = self.count
        ids = [identity(o) for o in objects]
        dupes = sorted({i for i in ids if ids.count(i) > 1}, key=str)
        check(
            not dupes,
            f"{len(objects)} objects, each identity once",
            "; ".join(f"{k} {ns}/{name} ({g or 'core'}) twice" for g, k, ns, name in dupes),
        )
        served, notes, left_out = for_120(objects, self.served)
        for obj in left_out:
            self.unserved.setdefault(f"{obj['apiVersion']} {obj['kind']}", []).append(tag)
        stem = os.path.join(self.args.out, f"{'sample-' if sample else ''}{tag}")
        with open(stem, "w") as f:
            f.write(
                f"# {path} compiled by raycc"
                + (", converted for Kubernetes 1.20: " + "; ".join(notes) if notes else "")
                + "\n"
            )
            yaml.safe_dump_all(served, f, sort_keys=False)
        for note in notes:
            print(f"     {tag}: converted copy: {note}")

        for ns in sorted(
            {o["metadata"].get("namespace") for o in served if o["metadata"].get("namespace")}
        ):
            error = self.ensure_namespace(ns)
            if error:
                print(f"     {tag}: namespace {ns}: {error}")
        dry = self.kubectl("apply", "--dry-run=server", "-f", stem)
        check(dry.returncode == 0, "kubectl apply --dry-run=server", dry.stderr.strip())

        fresh = f"apply-{n}"
        self.ensure_namespace(fresh)
        moved = []
        for obj in served:
            obj = json.loads(json.dumps(obj))
            old = obj["metadata"].get("namespace")
            if self.served[(obj["apiVersion"], obj["kind"])][1]:
                obj["metadata"]["namespace"] = fresh
            for subject in obj.get("subjects") or [] if obj["kind"].endswith("RoleBinding") else []:
                if subject.get("kind") == "ServiceAccount" and subject.get("namespace") == old:
                    subject["namespace"] = fresh
            moved.append(obj)
        real_path = stem + ".applied"
        with open(real_path, "w") as f:
            yaml.safe_dump_all(moved, f, sort_keys=False)
        self.provide_references(moved, fresh)
        real = self.kubectl("apply", "-n", fresh, "-f", real_path)
        if not check(
            real.returncode == 0, f"kubectl apply into namespace {fresh}", real.stderr.strip()
        ):
            return "failed", None
        self.applied += len(moved)
        for want in moved:
            self.object_checks(check, want, fresh)
        self.rbac_checks(check, moved, fresh)
        return "applied", None

    def read(self, obj, ns, subresource=None):
        plural, namespaced = self.served[(obj["apiVersion"], obj["kind"])]
        return self.api.get(
            kubeapi.path_for(
                obj["apiVersion"],
                plural,
                ns if namespaced else None,
                obj["metadata"]["name"],
                subresource,
            ),
            ok_missing=True,
        )

    def object_checks(self, check, want, ns):
        kind, name = want["kind"], want["metadata"]["name"]
        have = self.read(want, ns)
        want_fields = {k: v for k, v in want.items() if k not in ("apiVersion", "kind", "status")}
        want_fields["metadata"] = {
            k: v
            for k, v in want["metadata"].items()
            if k in ("labels", "annotations", "name", "namespace")
        }
        if kind == "Secret" and have is not None:
            want_fields, have = secret_bytes(want_fields), secret_bytes(have)
        diff = differences(want_fields, have or {}, "")
        check(
            have is not None and not diff,
            f"{kind} {name}: the server keeps every field raycc wrote",
            "; ".join(diff[:8]),
        )
        if kind in ("StatefulSet", "Deployment") and have is not None:
            self.workload_checks(check, want, have, ns)
        if kind == "PodTemplate" and have is not None:
            self.pod_template_check(check, want, ns)

    def pod_template_check(self, check, want, ns):
        """A Pod made from the template, as the autoscaler's provider makes them, is admitted
        (a server-side dry run: validation, defaulting and admission, nothing stored)."""
        template = want["template"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {**template.get("metadata", {}), "generateName": "dry-run-"},
            "spec": template["spec"],
        }
        try:
            made = self.api.post(kubeapi.path_for("v1", "pods", ns), pod, params={"dryRun": "All"})
            diff = template_differences(template, made)
            error = "; ".join(diff[:8])
        except kubeapi.ApiError as e:
            diff, error = [str(e)], str(e)
        check(
            not diff,
            f"PodTemplate {want['metadata']['name']}: a Pod made from it is admitted unchanged",
            error,
        )

    def rbac_checks(self, check, objects, ns):
        """Each ServiceAccount a RoleBinding of the output binds may do what the autoscaler's
        node provider needs (README: Autoscaling) and nothing the checks below sample beyond it,
        asked of the API server's RBAC through scripts/rbac-check.sh."""
        templates = [o["metadata"]["name"] for o in objects if o["kind"] == "PodTemplate"]
        made = [
            o
            for o in objects
            if o["kind"] == "RoleBinding"
            and (o["metadata"].get("labels") or {}).get("app.kubernetes.io/created-by") == "raycc"
        ]
        for binding in made:
            for subject in binding.get("subjects") or []:
                if subject.get("kind") != "ServiceAccount":
                    continue
                sa = subject["name"]
                allow = ["create pods", "delete pods", "list pods"]
                allow += [f"get podtemplates/{t}" for t in templates]
                deny = [
                    "get pods",
                    "watch pods",
                    "patch pods",
                    "update pods",
                    "get secrets",
                    "list secrets",
                    "list podtemplates",
                    "get podtemplates/not-this-cluster",
                    "list pods --all-namespaces",
                    "patch statefulsets --subresource=scale",
                    "create roles",
                    "create rolebindings",
                    "create pods --subresource=exec",
                ]
                deny += [f"delete podtemplates/{t}" for t in templates]
                argv = ["bash", os.path.join(HERE, "rbac-check.sh"), ns, sa]
                for pair in allow:
                    argv += ["--allow", pair]
                for pair in deny:
                    argv += ["--deny", pair]
                run = subprocess.run(
                    argv,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "KUBECTL": self.args.kubectl},
                )
                check(
                    run.returncode == 0,
                    f"RoleBinding {binding['metadata']['name']}: ServiceAccount {sa} may do what "
                    "the autoscaler needs and no more",
                    (
                        run.stderr + run.stdout.splitlines()[-1] if run.stdout else run.stderr
                    ).strip(),
                )

    def owned_pods(self, workload, ns):
        uid = workload["metadata"]["uid"]
        owners = {uid}
        if workload["kind"] == "Deployment":
            sets = self.api.get(kubeapi.path_for("apps/v1", "replicasets", ns))["items"]
            owners |= {
                rs["metadata"]["uid"]
                for rs in sets
                if any(o["uid"] == uid for o in rs["metadata"].get("ownerReferences", []))
            }
        pods = self.api.get(kubeapi.path_for("v1", "pods", ns))["items"]
        return [
            p
            for p in pods
            if any(o["uid"] in owners for o in p["metadata"].get("ownerReferences", []))
            and not p["metadata"].get("deletionTimestamp")
        ]

    def expected_pods(self, have, replicas):
        ordered = (
            have["kind"] == "StatefulSet"
            and have["spec"].get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        )
        return min(replicas, 1) if ordered else replicas

    def wait_pods(self, have, ns, count):
        """The workload's Pods once there are `count` of them; None if that never happens."""
        found = []

        def settled():
            found[:] = self.owned_pods(have, ns)
            return len(found) == count

        try:
            kubeapi.wait_for(f"{count} Pods", settled, WAIT)
        except TimeoutError:
            return None
        return list(found)

    def workload_checks(self, check, want, have, ns):
        kind, name = want["kind"], want["metadata"]["name"]
        what = f"{kind} {name}"
        replicas = kubeapi.wait_for("replicas", lambda: self.read(want, ns), WAIT)["spec"][
            "replicas"
        ]
        count = self.expected_pods(have, replicas)
        pods = self.wait_pods(have, ns, count)
        got = len(self.owned_pods(have, ns))
        if not check(
            pods is not None,
            f"{what}: the controller creates {count} Pods " f"(replicas {replicas})",
            f"{got} Pods; events: {self.events(ns)}",
        ):
            return
        diffs = []
        for pod in pods:
            diffs += [
                f"{pod['metadata']['name']} {d}"
                for d in template_differences(want["spec"]["template"], pod)
            ]
        if count:
            check(
                not diffs, f"{what}: its Pods hold the template raycc wrote", "; ".join(diffs[:8])
            )
        plural = self.served[(want["apiVersion"], kind)][0]
        path = kubeapi.path_for(have["apiVersion"], plural, ns, name, "scale")
        for target in (0, 2):
            self.api.patch(path, {"spec": {"replicas": target}})
            want_count = self.expected_pods(have, target)
            scaled = self.wait_pods(have, ns, want_count)
            check(
                scaled is not None,
                f"{what}: scaling to {target} through /scale gives " f"{want_count} Pods",
                f"{len(self.owned_pods(have, ns))} Pods",
            )
        self.api.delete(
            kubeapi.path_for(have["apiVersion"], plural, ns, name),
            {"propagationPolicy": "Background"},
        )
        gone = self.wait_pods(have, ns, 0)
        check(
            gone is not None,
            f"{what}: deleting it garbage-collects its Pods",
            f"{len(self.owned_pods(have, ns))} Pods left",
        )

    def events(self, ns):
        items = self.api.get(kubeapi.path_for("v1", "events", ns))["items"]
        return "; ".join(
            f"{e['involvedObject']['name']}: {e['message']}"
            for e in items
            if e.get("type") == "Warning"
        )[-1500:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raycc", required=True)
    parser.add_argument("--kubectl", required=True)
    parser.add_argument("--out", default="target/apiserver-check")
    parser.add_argument("--samples", default="../shared/kuberay/samples")
    parser.add_argument("fixtures", nargs="+")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    checks = Checks()
    run = Run(args, checks)
    t0 = time.time()
    for path in args.fixtures:
        try:
            run.input(path, sample=False)
        except Exception as e:  # noqa: BLE001 - one broken input must not hide the others
            checks.check(False, os.path.basename(path), "runs", f"{type(e).__name__}: {e}")
    fixture_seconds = time.time() - t0
    refused = []
    compiled = 0
    if os.path.isdir(args.samples):
        for name in sorted(os.listdir(args.samples)):
            if not name.endswith(".yaml"):
                continue
            try:
                outcome, detail = run.input(os.path.join(args.samples, name), sample=True)
            except Exception as e:  # noqa: BLE001
                checks.check(False, name, "runs", f"{type(e).__name__}: {e}")
                continue
            if outcome == "refused":
                code = re.search(r"error\[(RC\d+)\]", detail or "")
                refused.append(f"{name} ({code[1] if code else 'exit 1'})")
            else:
                compiled += 1
        print(
            f"     samples: {compiled} compiled and checked; raycc refuses {len(refused)}: "
            + ", ".join(refused)
        )
        checks.check(compiled > 0, "samples", "at least one KubeRay sample compiled")
    else:
        print(f"notice: {args.samples} not found; KubeRay samples not checked")
    for kind, tags in sorted(run.unserved.items()):
        print(
            f"     not served by this control plane, left out of the applied copy: {kind} "
            f"({len(tags)}: {', '.join(sorted(set(tags)))})"
        )
    if run.provided:
        print(f"     provided because Pod templates name them: {', '.join(run.provided)}")
    print(
        f"     {run.applied} objects applied from {run.count} inputs "
        f"(fixtures {fixture_seconds:.0f} s, all {time.time() - t0:.0f} s);"
        f" {checks.expected} known raycc defects"
    )
    print(f"apiserver-check: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
