#!/usr/bin/env bash
# Checks every golden manifest, and every KubeRay sample raycc compiles, with
# `kubernetes-validate --strict` (a YAML 1.1 reader, as kubectl is) for every Kubernetes
# version from 1.33 to the newest the package knows.
# Installs kubernetes-validate into a virtualenv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${RAYCC_VENV:-target/ci-venv}"
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'kubernetes-validate==1.37.0'
fi

mapfile -t files < <(find golden -name '*.yaml' | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no golden manifests found" >&2
  exit 1
fi

# The KubeRay samples that compile, compiled now (the corpus is not part of the project).
samples=../shared/kuberay/samples
if [ -d "$samples" ]; then
  out=target/k8s-validate-samples
  rm -rf "$out" && mkdir -p "$out"
  cargo build --quiet --locked
  for f in "$samples"/*.yaml; do
    if target/debug/raycc compile --color never "$f" > "$out/$(basename "$f")" 2>/dev/null; then
      files+=("$out/$(basename "$f")")
    else
      rm -f "$out/$(basename "$f")"
    fi
  done
  if [ ! -x target/debug/raycc ] || [ -z "$(ls -A "$out")" ]; then
    echo "no KubeRay sample compiled (is target/debug/raycc built?)" >&2
    exit 1
  fi
else
  echo "notice: $samples not found; compiled KubeRay samples not checked"
fi

# Documents of API groups outside Kubernetes' (the batch schedulers' PodGroups, custom resources
# passed through) are left out of a copy: kubernetes-validate has no schema for them and picks
# one by kind alone (see scripts/k8s_validate_filter.py).
core=target/k8s-validate-core
rm -rf "$core"
mapfile -t files < <(PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" scripts/k8s_validate_filter.py "$core" "${files[@]}")

# The Kubernetes versions the installed package ships strict schemas for, 1.33 and later.
mapfile -t versions < <("$venv/bin/python" - <<'PY'
import os, re, kubernetes_validate
root = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
found = set()
for name in os.listdir(root):
    m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)-local-strict", name)
    if m and (int(m[1]), int(m[2])) >= (1, 33):
        found.add((int(m[1]), int(m[2]), int(m[3])))
for v in sorted(found):
    print("%d.%d.%d" % v)
PY
)

passed=0
failed=0
for v in "${versions[@]}"; do
  if "$venv/bin/kubernetes-validate" --strict --quiet --no-warn -k "$v" "${files[@]}"; then
    echo "kubernetes $v: ${#files[@]} files valid"
    passed=$((passed + 1))
  else
    echo "kubernetes $v: FAILED" >&2
    failed=$((failed + 1))
  fi
done
echo "kubernetes-validate: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
