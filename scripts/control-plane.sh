#!/usr/bin/env bash
# A real Kubernetes control plane on this machine: etcd, kube-apiserver and
# kube-controller-manager (Kubernetes 1.20.2), for the checks of README "How we know it works".
#
#   bash scripts/control-plane.sh build            install and build once (cached), then exit
#   bash scripts/control-plane.sh run -- CMD ARG.. start it, run CMD with KUBECONFIG set, stop it
#
# or, from another bash script:
#
#   source scripts/control-plane.sh
#   cp_start            # sets KUBECONFIG, CP_NETNS, CP_NODE_IP, CP_DIR, ...; stops on EXIT
#   cp_exec kubectl get namespaces
#   cp_stop             # also run by the EXIT trap cp_start sets; safe to call twice
#
# No package ships kube-apiserver for Debian 12, so it is built from Debian's own source package
# `kubernetes` with Debian's Go, offline (its vendor/ tree), once: the two binaries are kept in
# ${XDG_CACHE_HOME:-$HOME/.cache}/raycc/k8s-<package version>/bin and the build tree is deleted.
# The deb-src line uses the Debian mirror of this machine's own apt sources, through a private
# apt configuration: /etc is not touched. The build takes about 10 minutes on two cores.
#
# The cluster lives in a network namespace of its own (`raycc-<pid>`), so that it can use fixed
# addresses and ports while other runs use theirs, and reaches nothing outside this machine:
#
#   127.0.0.1:2379   etcd (loopback of the namespace)
#   10.244.0.1:443   kube-apiserver, on the bridge `raycc0` (10.244.0.1/24) that Pods join; the
#                    `kubernetes` Service's ClusterIP 10.96.0.1 is also an address of the
#                    namespace, so Pods reach the API server where a real cluster points them
#                    (KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT, 10.96.0.1:443), and its
#                    serving certificate names both addresses.
#
# CMD (and cp_exec) run inside that namespace: they reach the API server and every Pod, and
# nothing else, so install what they need before. scripts/kubelet.py puts each Pod in a
# namespace of its own on the bridge (`raycc-<pid>-<n>`); cp_stop stops every process left in
# these namespaces and deletes them. Stop order: controller manager, API server, etcd.
# Logs: target/control-plane/{etcd,kube-apiserver,kube-controller-manager}.log.
# shellcheck disable=SC2317 # cp_stop runs from a trap

CP_DEB_VERSION=1.20.5+really1.20.2-1.1+deb12u1
CP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CP_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/raycc/k8s-$CP_DEB_VERSION"
CP_BIN="$CP_CACHE/bin"
CP_NODE_IP=10.244.0.1
CP_POD_CIDR=10.244.0.0/24
CP_BRIDGE=raycc0
CP_SERVICE_CIDR=10.96.0.0/16
CP_SERVICE_IP=10.96.0.1

cp_log() { echo "control-plane: $*" >&2; }

# Installs the Debian packages given (by name) that are missing.
cp_apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  cp_log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
  }
}

# The Debian mirror this machine's apt sources use for its release (deb822 or one-line form).
cp_debian_mirror() {
  local codename
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  python3 - "$codename" <<'PY'
import glob, sys
codename = sys.argv[1]
found = []
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in open(path).read().split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if line and not line.startswith(("#", " ", "\t")) and ":" in line:
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
        if ("deb" in fields.get("types", []) and codename in fields.get("suites", [])
                and "main" in fields.get("components", []) and fields.get("enabled", ["yes"]) != ["no"]):
            found += fields.get("uris", [])
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        words = [w for w in line.split("#", 1)[0].split() if not w.startswith("[")]
        if len(words) >= 4 and words[0] == "deb" and words[2] == codename and "main" in words[3:]:
            found.append(words[1])
if not found:
    sys.exit(f"no Debian source for {codename} main in /etc/apt")
print(found[0])
PY
}

# Builds kube-apiserver and kube-controller-manager into $CP_BIN unless they are there.
cp_build() {
  if [ -x "$CP_BIN/kube-apiserver" ] && [ -x "$CP_BIN/kube-controller-manager" ]; then
    cp_log "using kube-apiserver and kube-controller-manager $CP_DEB_VERSION from $CP_BIN"
    return 0
  fi
  mkdir -p "$CP_CACHE"
  (
    # One build at a time on this machine; a second caller waits and then finds the binaries.
    flock 9
    if [ -x "$CP_BIN/kube-apiserver" ] && [ -x "$CP_BIN/kube-controller-manager" ]; then
      exit 0
    fi
    # Each step says `|| exit 1`: `set -e` does not hold where the caller tests the status.
    local start=$SECONDS mirror work="$CP_CACHE/build" A r codename
    cp_apt_install golang-go dpkg-dev make rsync golang-github-modern-go-reflect2-dev python3 ||
      exit 1
    mirror=$(cp_debian_mirror) || exit 1
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    rm -rf "$work"
    mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" || exit 1
    echo "deb-src $mirror $codename main" >"$work/apt/sources.list"
    A=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache")
    cp_log "building kube-apiserver and kube-controller-manager $CP_DEB_VERSION from $mirror"
    {
      apt-get "${A[@]}" update -qq &&
        (cd "$work" && apt-get "${A[@]}" source --download-only -qq "kubernetes=$CP_DEB_VERSION") &&
        # apt checked the files' hashes against the signed index; dpkg-source has no keyring.
        (cd "$work" && dpkg-source -x "kubernetes_${CP_DEB_VERSION#*:}.dsc" k8s)
    } >"$work/fetch.log" 2>&1 || {
      tail -20 "$work/fetch.log" >&2
      exit 1
    }
    # The vendored modern-go/reflect2 1.0.1 crashes under Go >= 1.18; Debian's 1.0.2 does not.
    r="$work/k8s/vendor/github.com/modern-go/reflect2"
    rm -f "$r"/*.go "$r"/*.s
    cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go \
      /usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$r/" || exit 1
    (cd "$work/k8s" && env -u GOFLAGS CGO_ENABLED=0 GOPROXY=off GOCACHE="$work/go-cache" \
      nice make WHAT="cmd/kube-apiserver cmd/kube-controller-manager") >"$work/make.log" 2>&1 || {
      tail -30 "$work/make.log" >&2
      exit 1
    }
    rm -rf "$CP_BIN.new" && mkdir -p "$CP_BIN.new" &&
      cp "$work/k8s/_output/bin/kube-apiserver" "$work/k8s/_output/bin/kube-controller-manager" \
        "$CP_BIN.new/" &&
      rm -rf "$CP_BIN" && mv "$CP_BIN.new" "$CP_BIN" || exit 1
    rm -rf "$work"
    cp_log "built in $((SECONDS - start)) s into $CP_BIN"
  ) 9>"$CP_CACHE.lock"
}

# Stops what an earlier run killed outright left: namespaces named raycc-<pid>[-n] whose
# <pid> is gone, with the processes still in them.
cp_sweep_stale() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^raycc-[0-9]+(-[0-9]+)?$'); do
    pid=${ns#raycc-}
    pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null && continue
    cp_log "removing namespace $ns left by an earlier run"
    # shellcheck disable=SC2046
    kill -KILL $(ip netns pids "$ns" 2>/dev/null) 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}

cp_exec() { ip netns exec "$CP_NETNS" env KUBECONFIG="$KUBECONFIG" "$@"; }

cp_curl() { # cp_curl PATH: GET from the API server as the admin
  cp_exec curl -sS --max-time 5 --cacert "$CP_DIR/certs/apiserver.crt" \
    -H "Authorization: Bearer $CP_TOKEN" "https://$CP_NODE_IP:443$1"
}

cp_start() {
  cp_build || return 1
  cp_apt_install etcd-server openssl iproute2 util-linux curl || return 1
  local start=$SECONDS ready=""
  cp_sweep_stale
  CP_NETNS="raycc-$$"
  CP_DIR="${CP_DIR:-$CP_ROOT/target/control-plane}"
  CP_PIDS=()
  rm -rf "$CP_DIR" && mkdir -p "$CP_DIR/certs"
  trap cp_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  ip netns add "$CP_NETNS" || return 1
  ip -n "$CP_NETNS" link set lo up &&
    ip -n "$CP_NETNS" addr add "$CP_SERVICE_IP/32" dev lo &&
    ip -n "$CP_NETNS" link add "$CP_BRIDGE" type bridge &&
    ip -n "$CP_NETNS" addr add "$CP_NODE_IP/24" dev "$CP_BRIDGE" &&
    ip -n "$CP_NETNS" link set "$CP_BRIDGE" up || return 1

  openssl genrsa -out "$CP_DIR/sa.key" 2048 2>/dev/null &&
    openssl rsa -in "$CP_DIR/sa.key" -pubout -out "$CP_DIR/sa.pub" 2>/dev/null || return 1
  CP_TOKEN=$(openssl rand -hex 24)
  echo "$CP_TOKEN,admin,admin,system:masters" >"$CP_DIR/tokens.csv"
  KUBECONFIG="$CP_DIR/kubeconfig"
  cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: raycc
  cluster:
    server: https://$CP_NODE_IP:443
    certificate-authority: $CP_DIR/certs/apiserver.crt
users:
- name: admin
  user:
    token: $CP_TOKEN
contexts:
- name: raycc
  context: {cluster: raycc, user: admin}
current-context: raycc
EOF
  export KUBECONFIG CP_NETNS CP_DIR CP_TOKEN CP_NODE_IP CP_POD_CIDR CP_BRIDGE CP_SERVICE_IP

  ip netns exec "$CP_NETNS" etcd --data-dir "$CP_DIR/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --log-level warn --logger zap \
    >"$CP_DIR/etcd.log" 2>&1 &
  CP_PIDS+=("etcd:$!")
  # --allow-privileged as kubeadm and managed clusters set it; BoundServiceAccountTokenVolume
  # (on by default from 1.21) gives Pods the projected kube-api-access volume of today's clusters,
  # GenericEphemeralVolume (on by default from 1.21) the `ephemeral` volumes of Pod templates.
  ip netns exec "$CP_NETNS" "$CP_BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=0.0.0.0 --secure-port=443 --insecure-port=0 \
    --advertise-address="$CP_NODE_IP" --cert-dir="$CP_DIR/certs" \
    --token-auth-file="$CP_DIR/tokens.csv" --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$CP_DIR/sa.pub" \
    --service-account-signing-key-file="$CP_DIR/sa.key" \
    --service-cluster-ip-range="$CP_SERVICE_CIDR" --allow-privileged=true \
    --feature-gates=BoundServiceAccountTokenVolume=true,GenericEphemeralVolume=true \
    >"$CP_DIR/kube-apiserver.log" 2>&1 &
  CP_PIDS=("kube-apiserver:$!" "${CP_PIDS[@]}") # stopped before etcd
  while [ $((SECONDS - start)) -lt 120 ]; do
    if [ "$(cp_curl /readyz 2>/dev/null)" = ok ]; then
      ready=1
      break
    fi
    sleep 0.5
  done
  if [ -z "$ready" ]; then
    cp_log "kube-apiserver not ready after 120 s:"
    tail -20 "$CP_DIR/kube-apiserver.log" >&2
    return 1
  fi
  ip netns exec "$CP_NETNS" "$CP_BIN/kube-controller-manager" --kubeconfig="$KUBECONFIG" \
    --bind-address=127.0.0.1 --port=0 --leader-elect=false --controllers='*' \
    --service-account-private-key-file="$CP_DIR/sa.key" \
    --root-ca-file="$CP_DIR/certs/apiserver.crt" \
    --feature-gates=BoundServiceAccountTokenVolume=true,GenericEphemeralVolume=true \
    >"$CP_DIR/kube-controller-manager.log" 2>&1 &
  CP_PIDS=("kube-controller-manager:$!" "${CP_PIDS[@]}") # stopped first
  cp_log "ready in $((SECONDS - start)) s (KUBECONFIG=$KUBECONFIG, namespace $CP_NETNS)"
}

cp_stop() {
  [ -n "${CP_NETNS:-}" ] || return 0
  local entry name pid ns i
  # A command of `run` still running (on INT or TERM) gets TERM and 60 s to stop its own work.
  if [ -n "${CP_CMD_PID:-}" ] && kill -TERM "$CP_CMD_PID" 2>/dev/null; then
    for ((i = 0; i < 300; i++)); do
      kill -0 "$CP_CMD_PID" 2>/dev/null || break
      sleep 0.2
    done
    CP_CMD_PID=""
  fi
  for entry in "${CP_PIDS[@]}"; do
    name=${entry%%:*} pid=${entry#*:}
    kill -TERM "$pid" 2>/dev/null || continue
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      cp_log "$name did not stop in 20 s; killing it"
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  CP_PIDS=()
  # Whatever still runs in the cluster's namespaces (Pods of a kubelet stand-in that was killed).
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$CP_NETNS(-[0-9]+)?$"); do
    # shellcheck disable=SC2046
    kill -KILL $(ip netns pids "$ns" 2>/dev/null) 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  CP_NETNS=""
}

cp_main() {
  set -uo pipefail
  case "${1:-}" in
    build) cp_build ;;
    run)
      shift
      [ "${1:-}" = -- ] && shift
      [ $# -gt 0 ] || {
        echo "usage: $0 run -- CMD [ARG...]" >&2
        return 2
      }
      cp_start || return 2
      local status=0
      cp_exec "$@" &
      CP_CMD_PID=$!
      wait "$CP_CMD_PID" || status=$?
      CP_CMD_PID=""
      return "$status"
      ;;
    *)
      echo "usage: $0 build | run -- CMD [ARG...]" >&2
      return 2
      ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  cp_main "$@"
  exit $?
fi
