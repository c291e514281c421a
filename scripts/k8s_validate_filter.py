"""Copies manifests for kubernetes-validate, leaving out the documents it cannot check.

kubernetes-validate has schemas for Kubernetes' own API groups only, and picks a schema by kind
alone: from Kubernetes 1.37 it would check a Volcano PodGroup (`scheduling.volcano.sh`) against
Kubernetes' `scheduling.k8s.io` PodGroup and fail. Every document of an API group outside
Kubernetes' (a dotted group not under `k8s.io`: the batch schedulers' PodGroups, custom
resources passed through) is left out of the copy; the unit tests of src/build/scheduling.rs
check the PodGroups against their CRDs instead.

Usage: k8s_validate_filter.py OUT_DIR FILE... prints the path of each copy, one a line, and the
number of documents left out on stderr.
"""

import os
import sys

import yaml


def is_core(doc):
    """Whether kubernetes-validate has a schema for the document's API group."""
    if not isinstance(doc, dict):
        return True
    group = str(doc.get("apiVersion", "")).rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def split(text):
    """The documents of a stream as raycc writes it, each with its own `---` line."""
    docs, current = [], []
    for line in text.splitlines(keepends=True):
        if line.rstrip("\n") == "---":
            docs.append("".join(current))
            current = []
        current.append(line)
    docs.append("".join(current))
    return [d for d in docs if d]


def core_documents(text):
    """The text without the documents of other API groups, and how many were left out."""
    kept, skipped = [], 0
    for doc in split(text):
        body = doc[4:] if doc.startswith("---\n") else doc
        if is_core(yaml.safe_load(body) if body.strip() else None):
            kept.append(doc)
        else:
            skipped += 1
    return "".join(kept), skipped


def main(out, paths):
    skipped = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text, n = core_documents(f.read())
        skipped += n
        target = os.path.join(out, path.lstrip("./"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
        print(target)
    print(f"custom resources left out: {skipped}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
