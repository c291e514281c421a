#!/usr/bin/env python3
"""Generate the benchmark corpus from the KubeRay sample RayClusters.

The samples are never copied into the repository: this script reads them at bench time and
writes renamed, varied copies under OUT (by default target/bench/corpus):

  OUT/validate/NNN-<sample>.yaml   300 files, one RayCluster each (every sample, cycled)
  OUT/clean.yaml                   one cluster per sample that compiles without errors
  OUT/stream.yaml                  10,000 clusters in one `---` stream (clean samples only)
  OUT/files/NNNNN.yaml             the same 10,000 clusters, one per file
  OUT/repo/clusters/NNNN.yaml      1,000 clusters for `raycc diff --base` (git is bench.sh's job)
  OUT/small.yaml                   one small cluster (the pre-commit case)

Only the RayCluster document of each sample is kept (the samples also carry ConfigMaps and
Secrets, which a RayCluster schema would reject). Each copy gets a unique `metadata.name`
(`<sample name, cut to 40 characters>-<number>`) and a namespace (`team-0` .. `team-6`) when
the sample has none, so objects never collide across copies.

"Clean" is decided by running `raycc compile` on each candidate (--raycc BIN): the stream and
file sets must compile without errors, or raycc would emit nothing and the throughput figure
would measure only validation. The script uses the Python standard library only.
"""

import argparse
import pathlib
import re
import shutil
import subprocess
import sys

KIND_RE = re.compile(r"^kind:\s*RayCluster\s*$", re.MULTILINE)
NAME_RE = re.compile(r"^  name:\s*(\S+)\s*$")


def documents(text):
    """Splits a YAML stream on `---` lines (a line holding only `---`, maybe with a comment)."""
    docs, current = [], []
    for line in text.splitlines(keepends=True):
        if re.match(r"^---\s*(#.*)?$", line):
            docs.append("".join(current))
            current = []
        else:
            current.append(line)
    docs.append("".join(current))
    return [d for d in docs if d.strip()]


def ray_cluster(path):
    """The RayCluster document of a sample file."""
    found = [d for d in documents(path.read_text()) if KIND_RE.search(d)]
    if len(found) != 1:
        sys.exit(f"{path}: expected one RayCluster document, found {len(found)}")
    return found[0]


def vary(doc, number):
    """Renames the cluster and gives it a namespace when it has none."""
    lines = doc.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if re.match(r"^metadata:\s*$", l)), None)
    if start is None:
        sys.exit("a sample RayCluster has no block `metadata:`")
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "#")) or not lines[end].strip()):
        end += 1
    block = lines[start + 1 : end]
    renamed = False
    for i, line in enumerate(block):
        m = NAME_RE.match(line)
        if m and not renamed:
            base = m.group(1).strip("'\"")[:40].rstrip("-")
            block[i] = f"  name: {base}-{number:05d}\n"
            renamed = True
    if not renamed:
        sys.exit("a sample RayCluster has no `metadata.name` line")
    if not any(re.match(r"^  namespace:", l) for l in block):
        block.insert(0, f"  namespace: team-{number % 7}\n")
    return "".join(lines[: start + 1] + block + lines[end:])


def compiles(raycc, doc):
    """True when `raycc compile -` accepts the document without errors."""
    run = subprocess.run(
        [raycc, "compile", "--color", "never", "-"],
        input=doc.encode(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return run.returncode == 0


def fresh(path):
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", default="../shared/kuberay/samples", type=pathlib.Path)
    parser.add_argument("--out", default="target/bench/corpus", type=pathlib.Path)
    parser.add_argument("--raycc", default="target/release/raycc")
    parser.add_argument("--validate-files", type=int, default=300)
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--repo-clusters", type=int, default=1_000)
    args = parser.parse_args()

    samples = sorted(args.samples.glob("*.yaml"))
    if not samples:
        sys.exit(f"no samples in {args.samples}")
    sources = [(p.name.removesuffix(".yaml"), ray_cluster(p)) for p in samples]
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    validate = out / "validate"
    fresh(validate)
    for n in range(args.validate_files):
        stem, doc = sources[n % len(sources)]
        (validate / f"{n:03d}-{stem}.yaml").write_text(vary(doc, n))

    clean = [(stem, doc) for stem, doc in sources if compiles(args.raycc, vary(doc, 0))]
    if not clean:
        sys.exit("no sample compiles cleanly; is --raycc right?")
    (out / "clean.yaml").write_text("".join("---\n" + vary(doc, n) for n, (_, doc) in enumerate(clean)))

    files = out / "files"
    fresh(files)
    with open(out / "stream.yaml", "w") as stream:
        for n in range(args.clusters):
            doc = vary(clean[n % len(clean)][1], n)
            stream.write("---\n" + doc)
            (files / f"{n:05d}.yaml").write_text(doc)

    repo = out / "repo" / "clusters"
    fresh(out / "repo")
    repo.mkdir()
    for n in range(args.repo_clusters):
        (repo / f"{n:04d}.yaml").write_text(vary(clean[n % len(clean)][1], n))

    small = min(clean, key=lambda s: len(s[1]))
    (out / "small.yaml").write_text(vary(small[1], 0))

    print(
        f"{out}: {args.validate_files} validate files from {len(sources)} samples; "
        f"{len(clean)} clean samples; {args.clusters} clusters (stream and files); "
        f"{args.repo_clusters} in repo/; small.yaml from {small[0]}"
    )


if __name__ == "__main__":
    main()
