#!/bin/sh
# Flux cannot run raycc (kustomize-controller runs no plugins), so CI renders the manifests
# and Flux applies the result. Run from the repository root; clusters/ holds the RayClusters.
set -eu

# 1. Render: one file per object plus a kustomization.yaml that lists them.
raycc compile --prune --kustomization -o rendered/ clusters/

# 2a. Either commit rendered/ and point a Flux Kustomization at it (path: ./rendered),
#     guarded by `raycc compile --check --kustomization -o rendered/ clusters/` in CI and in
#     the raycc-compile-check pre-commit hook;
# 2b. or push it as an OCI artifact that an OCIRepository follows:
flux push artifact "oci://ghcr.io/${GITHUB_REPOSITORY:?}/ray-manifests:$(git rev-parse --short HEAD)" \
  --path=rendered/ \
  --source="$(git config --get remote.origin.url)" \
  --revision="$(git branch --show-current)@sha1:$(git rev-parse HEAD)"
flux tag artifact "oci://ghcr.io/${GITHUB_REPOSITORY:?}/ray-manifests:$(git rev-parse --short HEAD)" --tag latest
