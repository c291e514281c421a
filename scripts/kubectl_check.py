"""Reads every golden manifest with a real kubectl, through `kubectl kustomize`.

The golden files (golden/**/*.yaml, raycc's output for each fixture) are listed as the resources
of a kustomization.yaml in a temporary folder, and `kubectl kustomize` must accept them and print
the same objects: the same (apiVersion, kind, namespace, name) set, and each object equal, as
PyYAML (a YAML 1.1 reader, as kubectl's own decoder is) reads both. kustomize refuses two
resources with the same id, so files whose objects collide go to separate runs: each file joins
the first run that holds none of its ids.

Each check prints `ok` or `FAIL`; the last line is `kubectl-check: N passed, M failed`.

Usage: python kubectl_check.py KUBECTL GOLDEN_DIR
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

import yaml


def object_id(obj):
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace", ""), meta.get("name"))


def show(oid):
    api, kind, ns, name = oid
    return f"{api} {kind} {ns + '/' if ns else ''}{name}"


def main():
    kubectl, golden = sys.argv[1], sys.argv[2]
    passed = failed = 0

    def check(ok, name, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"ok   {name}", flush=True)
        else:
            failed += 1
            print(f"FAIL {name}" + (f"\n     {detail}" if detail else ""), flush=True)

    files = {}  # relative path -> objects
    for path in sorted(glob.glob(os.path.join(golden, "**", "*.yaml"), recursive=True)):
        with open(path) as f:
            objects = [o for o in yaml.safe_load_all(f) if o is not None]
        if objects:
            files[os.path.relpath(path, golden)] = objects
    if not files:
        print(f"no golden manifests under {golden}", file=sys.stderr)
        return 2

    batches = []  # (ids, [file])
    for rel, objects in files.items():
        ids = [object_id(o) for o in objects]
        batch = next((b for b in batches if not b[0] & set(ids)), None)
        if batch is None or len(set(ids)) < len(ids):
            batch = (set(), [])
            batches.append(batch)
        batch[0].update(ids)
        batch[1].append(rel)

    for number, (_, members) in enumerate(batches, 1):
        folder = tempfile.mkdtemp(prefix="raycc-kustomize-")
        try:
            for rel in members:
                os.makedirs(os.path.dirname(os.path.join(folder, rel)), exist_ok=True)
                shutil.copyfile(os.path.join(golden, rel), os.path.join(folder, rel))
            with open(os.path.join(folder, "kustomization.yaml"), "w") as f:
                yaml.safe_dump(
                    {
                        "apiVersion": "kustomize.config.k8s.io/v1beta1",
                        "kind": "Kustomization",
                        "resources": members,
                    },
                    f,
                )
            run = subprocess.run([kubectl, "kustomize", folder], capture_output=True, text=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        name = f"kubectl kustomize reads {len(members)} golden files (run {number})"
        check(run.returncode == 0, name, run.stderr.strip())
        if run.returncode != 0:
            failed += len(members)
            continue
        printed = {}
        for obj in yaml.safe_load_all(run.stdout):
            if obj is not None:
                printed.setdefault(object_id(obj), []).append(obj)
        expected = set()
        for rel in members:
            want = {object_id(o): o for o in files[rel]}
            expected.update(want)
            missing = [show(i) for i in want if i not in printed]
            changed = [show(i) for i, o in want.items() if i in printed and printed[i] != [o]]
            check(
                not missing and not changed,
                f"{rel}: kustomize prints its {len(want)} objects unchanged",
                f"missing: {missing}; changed: {changed}",
            )
        extra = [show(i) for i in printed if i not in expected]
        check(not extra, f"kustomize prints nothing else (run {number})", f"extra: {extra}")

    print(f"kubectl-check: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
