#!/usr/bin/env python3
"""Generate the benchmark corpus from the KubeRay sample RayClusters, in four YAML styles.

The samples are never copied into the repository: this script reads them at bench time and
writes renamed, varied copies under OUT (by default target/bench/corpus), once per style:

  OUT/<style>/validate/NNN-<sample>.yaml   300 files, one RayCluster each (every sample, cycled)
  OUT/<style>/clean.yaml                   one cluster per sample that compiles without errors
  OUT/<style>/stream.yaml                  10,000 clusters in one `---` stream (clean samples)
  OUT/<style>/files/NNNNN.yaml             the same 10,000 clusters, one per file
  OUT/<style>/small.yaml                   one small cluster (the pre-commit case)
  OUT/repo/clusters/NNNN.yaml              1,000 clusters for `raycc diff --base` (as written;
                                           git is bench.sh's job)

The styles are the writers Kubernetes YAML comes from:

  written  the samples as people wrote them (comments, their own key order and quoting);
  pyyaml   PyYAML's `yaml.safe_dump` with its defaults (sorted keys, single quotes, long
           strings folded over several lines, multi-line strings as multi-line single-quoted
           scalars): Python tools;
  go       what `kubectl get -o yaml`, Helm and kustomize print (go-yaml v2 through
           sigs.k8s.io/yaml): sorted keys, unindented sequences, `"..."` where a string needs
           quotes, `|` blocks for multi-line strings, long strings folded at 80 columns;
  flow     a JSON-minded writer: every collection that fits on a line is a `{}`/`[]` flow
           collection (nested ones too), lists of strings too long for a line wrap inside their
           brackets, strings that need quotes are JSON strings (`"..."` with escapes), keys in
           the order written.

Only the RayCluster document of each sample is kept (the samples also carry ConfigMaps and
Secrets, which a RayCluster schema would reject). Each copy gets a unique `metadata.name`
(`<sample name, cut to 40 characters>-<number>`), so does a head Service the sample names
itself (`headService.metadata.name`), and each copy gets a namespace (`team-0` .. `team-6`)
when the sample has none, so objects never collide across copies.

"Clean" is decided by running `raycc compile` on each candidate (--raycc BIN): the stream and
file sets must compile without errors, or raycc would emit nothing and the throughput figure
would measure only validation. The same binary checks the styles: every style's clean set must
compile to exactly the bytes the written one compiles to, and every style's validate set must
give the same diagnostic codes, so the styles differ in how they are written and in nothing
else.

Needs PyYAML (6.0.3, pinned by bench.sh, which runs this script in its virtualenv); the output
depends only on the samples and that version.
"""

import argparse
import json
import math
import pathlib
import re
import shutil
import subprocess
import sys

import yaml

STYLES = ("written", "pyyaml", "go", "flow")
KIND_RE = re.compile(r"^kind:\s*RayCluster\s*$", re.MULTILINE)
NAME_RE = re.compile(r"^  name:\s*(\S+)\s*$")
# The copy number every document is rendered with, then replaced by each copy's own.
TEMPLATE_NUMBER = 0


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
    """Renames the cluster and gives it a namespace when it has none; returns the document
    and the name and namespace it was given (the namespace is None when the sample has one)."""
    lines = doc.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if re.match(r"^metadata:\s*$", l)), None)
    if start is None:
        sys.exit("a sample RayCluster has no block `metadata:`")
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "#")) or not lines[end].strip()):
        end += 1
    block = lines[start + 1 : end]
    name = None
    for i, line in enumerate(block):
        m = NAME_RE.match(line)
        if m and name is None:
            base = m.group(1).strip("'\"")[:40].rstrip("-")
            name = f"{base}-{number:05d}"
            block[i] = f"  name: {name}\n"
    if name is None:
        sys.exit("a sample RayCluster has no `metadata.name` line")
    namespace = None
    if not any(re.match(r"^  namespace:", l) for l in block):
        namespace = f"team-{number % 7}"
        block.insert(0, f"  namespace: {namespace}\n")
    lines = lines[: start + 1] + block + lines[end:]
    names = [name, *rename_head_service(lines, number)]
    return "".join(lines), names, namespace


def rename_head_service(lines, number):
    """Gives a head Service the sample names itself (`headService.metadata.name`) a name of this
    copy, in place, so that copies do not collide (RC318); returns the names given."""
    for i, line in enumerate(lines):
        m = re.match(r"^( +)headService:\s*$", line)
        if not m:
            continue
        for j in range(i + 1, len(lines)):
            inner = lines[j]
            if inner.strip() and not inner.startswith(m.group(1) + " "):
                break
            found = re.match(r"^( +)name:\s*(\S+)\s*$", inner)
            if found:
                base = found.group(2).strip("'\"")[:40].rstrip("-")
                renamed = f"{base}-{number:05d}"
                lines[j] = f"{found.group(1)}name: {renamed}\n"
                return [renamed]
    return []


# --- The go style: PyYAML's emitter set up the way go-yaml v2 writes ----------------------------


class GoDumper(yaml.SafeDumper):
    """go-yaml v2 through sigs.k8s.io/yaml: sorted keys, unindented sequences, double quotes
    where a string needs quotes, literal blocks for multi-line strings."""

    def choose_scalar_style(self):
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def represent_go_str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


GoDumper.add_representer(str, represent_go_str)


# --- The flow style: a JSON-minded writer ----------------------------------------------------------

WIDTH = 100
# YAML 1.1 words a reader takes for something other than a string.
RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "nan", "inf"}
PLAIN_RE = re.compile(r"[A-Za-z/][A-Za-z0-9_./@=+-]*(:[A-Za-z0-9_./@=+-]+)*")
KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")


def flow_scalar(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            sys.exit(f"the flow style cannot write {value}")
        return json.dumps(value)
    text = str(value)
    if PLAIN_RE.fullmatch(text) and text.lower() not in RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow_key(key):
    key = str(key)
    return key if KEY_RE.fullmatch(key) and key.lower() not in RESERVED else json.dumps(key)


def is_scalar(value):
    return not isinstance(value, (dict, list))


def flow_line(value):
    """The value as one line of flow YAML."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow_key(k)}: {flow_line(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_line(v) for v in value) + "]"
    return flow_scalar(value)


def flow_wrapped(items, column, indent):
    """A flow sequence of scalars that does not fit on a line: items filled up to the width,
    continuation lines at `indent`."""
    out, line = [], "["
    for i, item in enumerate(items):
        piece = flow_scalar(item) + ("]" if i + 1 == len(items) else ",")
        if line != "[" and column + len(line) + 1 + len(piece) > WIDTH:
            out.append(line)
            line, column = " " * indent + piece, 0
        else:
            line += ("" if line == "[" else " ") + piece
    out.append(line)
    return "\n".join(out)


def flow_entry(prefix, value, indent, out):
    """Writes `prefix` (a key and `: `, or `- `) and `value` at `indent`."""
    one = flow_line(value)
    if indent + len(prefix) + len(one) <= WIDTH or is_scalar(value) or not value:
        out.append(" " * indent + prefix + one)
    elif isinstance(value, list) and all(is_scalar(v) for v in value):
        column = indent + len(prefix)
        out.append(" " * indent + prefix + flow_wrapped(value, column, indent + 2))
    elif prefix.startswith("-"):
        flow_block(value, indent + 2, out, first=" " * indent + prefix)
    else:
        out.append(" " * indent + prefix.rstrip())
        flow_block(value, indent + 2, out)


def flow_block(value, indent, out, first=None):
    """A block mapping or (indented) block sequence at `indent`; `first` replaces the
    indentation of the first line (a `- ` entry that starts on the dash's line)."""
    for i, (prefix, item) in enumerate(
        ((f"{flow_key(k)}: ", v) for k, v in value.items())
        if isinstance(value, dict)
        else (("- ", v) for v in value)
    ):
        start = len(out)
        flow_entry(prefix, item, indent, out)
        if i == 0 and first is not None:
            out[start] = first + out[start][indent:]


def flow_dump(doc):
    out = []
    flow_block(doc, 0, out)
    return "\n".join(out) + "\n"


# --- Rendering ----------------------------------------------------------------------------------


def render(style, text):
    """The varied document `text` (as written) in `style`."""
    if style == "written":
        return text
    value = yaml.safe_load(text)
    if style == "pyyaml":
        return yaml.safe_dump(value)
    if style == "go":
        return yaml.dump(value, Dumper=GoDumper, allow_unicode=True)
    return flow_dump(value)


class Template:
    """One sample rendered in one style for copy TEMPLATE_NUMBER; `copy` makes copy n of it by
    replacing that copy's name and namespace."""

    def __init__(self, style, doc):
        text, self.names, self.namespace = vary(doc, TEMPLATE_NUMBER)
        self.text = render(style, text)
        for token in filter(None, [*self.names, self.namespace]):
            if len(re.findall(rf"(?<![\w.-]){re.escape(token)}(?![\w.-])", self.text)) != 1:
                sys.exit(f"{style}: `{token}` is not written exactly once")

    def copy(self, number):
        text = self.text
        for name in self.names:
            text = text.replace(name, name[:-5] + f"{number:05d}")
        if self.namespace:
            text = re.sub(rf"(?<![\w.-]){self.namespace}(?![\w.-])", f"team-{number % 7}", text)
        return text


def raycc_run(raycc, *args, stdin=None):
    run = subprocess.run(
        [raycc, *args],
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        check=False,
    )
    return run.returncode, run.stdout


def compiles(raycc, doc):
    """True when `raycc compile -` accepts the document without errors."""
    return raycc_run(raycc, "compile", "--color", "never", "-", stdin=doc)[0] == 0


def codes(raycc, folder):
    """The diagnostic codes of `raycc validate` on each file of `folder`."""
    _, out = raycc_run(raycc, "validate", "--format", "json", str(folder))
    found = {}
    for d in json.loads(out)["diagnostics"]:
        found.setdefault(pathlib.Path(d["file"]).name, []).append(d["code"])
    return {name: sorted(c) for name, c in found.items()}


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
    parser.add_argument("--styles", default=",".join(STYLES))
    args = parser.parse_args()
    styles = args.styles.split(",")
    if "written" not in styles or not set(styles) <= set(STYLES):
        sys.exit(f"--styles: a comma-separated list of {', '.join(STYLES)}, with written")

    samples = sorted(args.samples.glob("*.yaml"))
    if not samples:
        sys.exit(f"no samples in {args.samples}")
    sources = [(p.name.removesuffix(".yaml"), ray_cluster(p)) for p in samples]
    clean = [
        (stem, doc) for stem, doc in sources if compiles(args.raycc, vary(doc, TEMPLATE_NUMBER)[0])
    ]
    if not clean:
        sys.exit("no sample compiles cleanly; is --raycc right?")
    small = min(clean, key=lambda s: len(s[1]))
    out = args.out
    out.mkdir(parents=True, exist_ok=True)

    for style in styles:
        base = out / style
        base.mkdir(exist_ok=True)
        templates = {stem: Template(style, doc) for stem, doc in sources}

        validate = base / "validate"
        fresh(validate)
        for n in range(args.validate_files):
            stem = sources[n % len(sources)][0]
            (validate / f"{n:03d}-{stem}.yaml").write_text(templates[stem].copy(n))

        (base / "clean.yaml").write_text(
            "".join("---\n" + templates[stem].copy(n) for n, (stem, _) in enumerate(clean))
        )
        files = base / "files"
        fresh(files)
        with open(base / "stream.yaml", "w") as stream:
            for n in range(args.clusters):
                doc = templates[clean[n % len(clean)][0]].copy(n)
                stream.write("---\n" + doc)
                (files / f"{n:05d}.yaml").write_text(doc)
        (base / "small.yaml").write_text(templates[small[0]].copy(0))
        print(f"{base}: {args.validate_files} validate files, {args.clusters} clusters")

    # The styles differ in how the clusters are written, and in nothing else.
    expected = raycc_run(args.raycc, "compile", "--color", "never", str(out / "written/clean.yaml"))
    expected_codes = codes(args.raycc, out / "written/validate")
    for style in styles:
        got = raycc_run(args.raycc, "compile", "--color", "never", str(out / style / "clean.yaml"))
        if got != expected:
            sys.exit(f"{style}: clean.yaml does not compile to what the written style does")
        if codes(args.raycc, out / style / "validate") != expected_codes:
            sys.exit(f"{style}: validate/ has other diagnostic codes than the written style")

    repo = out / "repo" / "clusters"
    fresh(out / "repo")
    repo.mkdir()
    for n in range(args.repo_clusters):
        (repo / f"{n:04d}.yaml").write_text(vary(clean[n % len(clean)][1], n)[0])

    print(
        f"{out}: styles {', '.join(styles)}; {len(sources)} samples, {len(clean)} clean; "
        f"{args.repo_clusters} in repo/; small.yaml from {small[0]}"
    )


if __name__ == "__main__":
    main()
