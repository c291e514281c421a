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

source scripts/e2e-env.sh
e2e_env autoscaler-e2e || exit 2

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
