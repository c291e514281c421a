#!/usr/bin/env bash
# Runs the clusters compiled from fixtures/e2e/*.yaml with a real `ray start`: every Pod's init
# container and Ray container command as the kubelet would run them, on this machine. See
# scripts/ray_e2e.py for what is checked and the few rewrites (ports, the head address) that
# running outside Kubernetes needs.
# Installs ray (pinned) into a virtualenv under target/ on first use and reuses it after.
# Every process started is stopped at the end, on success, failure or interruption.
# shellcheck disable=SC2317 # sweep and on_exit run from the traps
set -euo pipefail
cd "$(dirname "$0")/.."

# ray[default] as in the rayproject/ray image: the dashboard agent serves the probes.
requirements=('ray[default]==2.60.0' 'PyYAML==6.0.4')
venv="${RAY_E2E_VENV:-target/ray-venv}"
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "${requirements[*]}" ]; then
  start=$SECONDS
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
  echo "${requirements[*]}" > "$venv/.installed"
  echo "ray-e2e: installed ${requirements[*]} in $((SECONDS - start)) s"
fi

cargo build --locked --quiet
raycc="$PWD/target/debug/raycc"
rm -rf target/ray-e2e

# Every process of this run carries RAYCC_E2E_RUN=<id> in its environment (the driver adds it
# to what it starts, not to itself), so that the cleanup finds all of them and nothing else.
run_id="$$-$(date +%s%N)"
driver=""
sweep() {
  local f pid pids=()
  for f in /proc/[0-9]*/environ; do
    if { tr "\0" "\n" < "$f"; } 2>/dev/null | grep -qx "RAYCC_E2E_RUN=$run_id"; then
      pid="${f#/proc/}"
      pids+=("${pid%/environ}")
    fi
  done
  if [ "${#pids[@]}" -gt 0 ]; then
    echo "ray-e2e: stopping ${#pids[@]} leftover processes" >&2
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
}
on_exit() {
  if [ -n "$driver" ]; then
    kill -TERM "$driver" 2>/dev/null || true
    wait "$driver" || true
  fi
  sweep
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mapfile -t fixtures < <(find fixtures/e2e -name '*.yaml' | sort)
"$venv/bin/python" scripts/ray_e2e.py --raycc "$raycc" --run-id "$run_id" \
  --logs target/ray-e2e "${fixtures[@]}" &
driver=$!
status=0
wait "$driver" || status=$?
driver=""
exit "$status"
