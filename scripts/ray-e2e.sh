#!/usr/bin/env bash
# Runs the clusters compiled from fixtures/e2e/*.yaml on the real control plane of
# scripts/control-plane.sh, with the kubelet stand-in (scripts/kubelet.py) running every Pod
# the controllers create as real Ray nodes (`ray start`) on this machine; see scripts/ray_e2e.py
# for what is checked. No generated command is rewritten.
# Installs ray (pinned, as the Pods' "image") into a virtualenv under target/ and kubectl into
# the CI virtualenv on first use, and reuses them after. Every process started is stopped at
# the end, on success, failure or interruption (control-plane.sh stops whatever is left in the
# Pods' network namespaces). Prints `ray-e2e: N passed, M failed` last.
#
#   bash scripts/ray-e2e.sh [--drop-init-env NAME]... [--ready-timeout SECONDS] [FIXTURE...]
#
# runs the fixtures given (default: all of fixtures/e2e). `--drop-init-env` removes an env
# variable from every init container before applying, to see a regression fail the run:
#   bash scripts/ray-e2e.sh --drop-init-env RAY_AUTH_MODE --drop-init-env RAY_AUTH_TOKEN \
#     --ready-timeout 120 fixtures/e2e/token-auth.yaml     # must end with failures
set -uo pipefail
cd "$(dirname "$0")/.."
options=()
fixtures=()
while [ $# -gt 0 ]; do
  case "$1" in
    --drop-init-env | --ready-timeout)
      [ $# -ge 2 ] || {
        echo "ray-e2e: $1 needs a value" >&2
        exit 2
      }
      options+=("$1" "$2")
      shift 2
      ;;
    -*)
      echo "usage: $0 [--drop-init-env NAME]... [--ready-timeout SECONDS] [FIXTURE...]" >&2
      exit 2
      ;;
    *)
      fixtures+=("$1")
      shift
      ;;
  esac
done
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ beside the scripts

source scripts/e2e-env.sh
e2e_env ray-e2e || exit 2

cargo build --locked --quiet || exit 2
rm -rf target/ray-e2e
[ "${#fixtures[@]}" -gt 0 ] || mapfile -t fixtures < <(find fixtures/e2e -name '*.yaml' | sort)
bash scripts/control-plane.sh run -- "$venv/bin/python" scripts/ray_e2e.py \
  --raycc "$PWD/target/debug/raycc" --kubectl "$civenv/bin/kubectl" \
  --image-path "$venv/bin" --state target/ray-e2e "${options[@]}" "${fixtures[@]}"
