#!/usr/bin/env bash
# Builds raycc's Python wheel into target/wheels/: maturin (pinned) packs the static
# x86_64-unknown-linux-musl binary described by pypi/pyproject.toml, and since that binary links
# no C library at all, the wheel is tagged for glibc (manylinux) and musl (musllinux) Linux
# alike. This is the wheel a release publishes to PyPI; scripts/integrations.sh builds it
# (without LTO, as its other release builds) and installs it with pip, pipx, uv and pre-commit.
#
# Installs maturin and wheel into the CI virtualenv on first use, and the Rust target when
# missing. Prints the wheel's path last.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${RAYCC_VENV:-target/ci-venv}"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
pins=('maturin==1.16.0' 'wheel==0.48.0')
if ! "$venv/bin/python" - "${pins[@]}" 2>/dev/null <<'PY'; then
import sys, importlib.metadata as m
sys.exit(any(m.version(n) != v for n, v in (p.split("==") for p in sys.argv[1:])))
PY
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
fi
venv=$(cd "$venv" && pwd)

target=$(sed -n 's/^ARG TARGET=//p' Dockerfile)
tag=manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64
rustup target list --installed | grep -qx "$target" || rustup target add "$target" >&2
rm -rf target/wheels
(cd pypi && "$venv/bin/maturin" build --quiet --release --locked --target "$target" \
  --out ../target/wheels) >&2
"$venv/bin/wheel" tags --remove --platform-tag "$tag" target/wheels/raycc-*.whl >/dev/null
ls target/wheels/raycc-*.whl
