#!/usr/bin/env bash
# Checks what a ServiceAccount may and may not do, with the API server's own RBAC decision
# (`kubectl auth can-i --as=system:serviceaccount:NAMESPACE:NAME`):
#
#   bash scripts/rbac-check.sh NAMESPACE NAME [--allow 'VERB RESOURCE'].. [--deny 'VERB RESOURCE']..
#
# or, sourced, `rbac_check NAMESPACE NAME --allow ... --deny ...`. Each 'VERB RESOURCE' is given
# to `kubectl auth can-i` word by word, in NAMESPACE: `get pods`, `list pods --all-namespaces`,
# `patch statefulsets --subresource=scale` (`statefulsets/NAME` names one object, not a
# subresource), `delete pods/ray-worker-0`. A resource the server does not know fails
# both ways (a typo must not make a --deny pass). Uses $KUBECTL (default: kubectl) and
# KUBECONFIG, so run it under scripts/control-plane.sh. Prints `ok`/`FAIL` per pair and
# `rbac-check: N passed, M failed` last; returns 1 when one failed, 2 on a usage error.

rbac_check() {
  local ns=${1:-} sa=${2:-} kubectl=${KUBECTL:-kubectl} passed=0 failed=0 mode pair answer err
  if [ -z "$ns" ] || [ -z "$sa" ] || [ $# -lt 4 ]; then
    echo "usage: rbac_check NAMESPACE NAME (--allow|--deny) 'VERB RESOURCE'..." >&2
    return 2
  fi
  shift 2
  err=$(mktemp)
  while [ $# -gt 0 ]; do
    mode=$1 pair=${2:-}
    if { [ "$mode" != --allow ] && [ "$mode" != --deny ]; } || [ -z "$pair" ]; then
      echo "rbac_check: expected --allow or --deny and 'VERB RESOURCE', got: $mode $pair" >&2
      rm -f "$err"
      return 2
    fi
    shift 2
    # shellcheck disable=SC2086 # the pair is words for kubectl
    answer=$("$kubectl" auth can-i $pair -n "$ns" --as="system:serviceaccount:$ns:$sa" 2>"$err")
    if grep -qi "doesn't have a resource type\|error" "$err"; then
      echo "FAIL $ns/$sa: $pair: $(tr '\n' ' ' <"$err")" >&2
      failed=$((failed + 1))
    elif { [ "$mode" = --allow ] && [ "$answer" = yes ]; } ||
      { [ "$mode" = --deny ] && [ "$answer" = no ]; }; then
      echo "ok   $ns/$sa ${mode#--}s $pair"
      passed=$((passed + 1))
    else
      echo "FAIL $ns/$sa: $pair: can-i says '$answer', want ${mode#--}" >&2
      failed=$((failed + 1))
    fi
  done
  rm -f "$err"
  echo "rbac-check: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  rbac_check "$@"
  exit $?
fi
