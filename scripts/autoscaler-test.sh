#!/usr/bin/env bash
# Runs the autoscaler's pytest suite (autoscaler/tests: the node provider against a fake
# Kubernetes API, Ray's own v1 StandardAutoscaler driving it, the config and the sidecar entry
# point) once with each supported end of the Ray range: ray 2.60.0 (as the project's e2e pins it)
# and ray 2.6.0 (the oldest raycc's autoscaler supports, the seed example's rayVersion).
# Installs each into its own virtualenv under target/ on first use and reuses it after.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A requirements=(
  [target/autoscaler-venv]="ray[default]==2.60.0 PyYAML==6.0.4 pytest==9.2.0"
  [target/autoscaler-venv-2.6]="ray==2.6.0 PyYAML==6.0.4 pytest==9.2.0"
)
passed=0
failed=0
status=0
for venv in target/autoscaler-venv target/autoscaler-venv-2.6; do
  wanted="${requirements[$venv]}"
  if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$wanted" ]; then
    start=$SECONDS
    rm -rf "$venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086 # one requirement a word
    "$venv/bin/pip" install --quiet --disable-pip-version-check $wanted
    echo "$wanted" > "$venv/.installed"
    echo "autoscaler-test: installed $wanted in $((SECONDS - start)) s"
  fi
  version="$("$venv/bin/python" -c 'import ray; print(ray.__version__)')"
  echo "autoscaler-test: ray $version"
  log="$venv/pytest.log"
  code=0
  "$venv/bin/python" -m pytest -q -p no:cacheprovider autoscaler/tests 2>&1 | tee "$log" || code=$?
  if [ "$code" -ne 0 ]; then
    status=1
  fi
  summary="$(tail -n 1 "$log")"
  p=0
  f=0
  for n in $(grep -oE '[0-9]+ passed' <<< "$summary" | grep -oE '^[0-9]+'); do p=$((p + n)); done
  for n in $(grep -oE '[0-9]+ (failed|errors?)' <<< "$summary" | grep -oE '^[0-9]+'); do f=$((f + n)); done
  if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1  # pytest failed without counting a failure (no tests, an interrupted run)
  fi
  passed=$((passed + p))
  failed=$((failed + f))
done
echo "autoscaler-test: $passed passed, $failed failed"
exit "$status"
