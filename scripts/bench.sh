#!/usr/bin/env bash
# End-to-end benchmarks: raycc against the tools people would use instead, side by side in one
# run, on the same clusters written in four YAML styles (scripts/gen-corpus.py: written, pyyaml,
# go, flow). Whole commands, process start included, are timed by scripts/repeat.py (median of
# RUNS runs, peak memory from each run's resource usage). BENCHMARKS.md explains the method and
# records the results.
#
#   scripts/bench.sh              # everything (RUNS=10 timed runs per command)
#   RUNS=20 STYLES="written go" scripts/bench.sh validate stream
#
# Groups: validate (300 files vs check-jsonschema, per style), compile (the 42 clean samples in
# one stream, per style), stream (10,000 clusters in one stream, per style: clusters/s and peak
# memory), files (the same as 10,000 files, as written), small (one file, SMALL_RUNS=300 runs:
# process start and schema load included), quick (how many documents of each style the quick
# reader takes, `cargo bench --bench quick`), diff (diff --base on a repository of 1,000
# clusters with one changed, vs git diff).
#
# The corpus is generated from the KubeRay samples (RAYCC_SAMPLES, default
# ../shared/kuberay/samples) into target/bench/corpus by scripts/gen-corpus.py; the samples are
# never copied into the repository. check-jsonschema and PyYAML are installed into a
# virtualenv under target/bench. Nothing here is run by the tests or CI.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
SMALL_RUNS=${SMALL_RUNS:-300}
STYLES=${STYLES:-written pyyaml go flow}
OUT=target/bench
CORPUS=$OUT/corpus
RESULTS=$OUT/results
SAMPLES=${RAYCC_SAMPLES:-../shared/kuberay/samples}
GROUPS_TO_RUN=${*:-validate compile stream files small quick diff}

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"

cargo build --release --quiet
RAYCC=$PWD/target/release/raycc
mkdir -p "$RESULTS"
rm -f "$RESULTS/runs.jsonl"

if [ ! -x $OUT/venv/bin/check-jsonschema ] || [ ! -x $OUT/venv/bin/python ]; then
    python3 -m venv $OUT/venv
    $OUT/venv/bin/pip install --quiet check-jsonschema==0.39.0 PyYAML==6.0.3
fi
PY=$OUT/venv/bin/python

$PY scripts/gen-corpus.py --samples "$SAMPLES" --out "$CORPUS" --raycc "$RAYCC" \
    --styles "$(echo "$STYLES" | tr ' ' ,)"

# The 1,000-cluster repository for diff --base: one commit, then one cluster changed.
(
    cd "$CORPUS/repo"
    git init -q .
    git add -A
    git -c user.name=bench -c user.email=bench@localhost commit -q -m base
    # Move the middle cluster to another Ray image: every Pod template of it changes.
    python3 - <<'PY'
import pathlib, re
for path in sorted(pathlib.Path("clusters").glob("*.yaml"))[500:]:
    text = path.read_text()
    changed = re.sub(r"(?m)^(\s*-?\s*image: )(\S+)$", r"\1\2-changed", text)
    if changed != text:
        path.write_text(changed)
        print(f"diff --base: {path} changed")
        break
PY
    ! git diff --quiet || { echo "bench.sh: no cluster was changed" >&2; exit 2; }
    # The timed command must find the change: exit 1, differences.
    status=0
    "$RAYCC" diff --color never --base HEAD clusters >/dev/null || status=$?
    [ "$status" -eq 1 ] || { echo "bench.sh: raycc diff --base exited $status, not 1" >&2; exit 2; }
)

# bench NAME [RUNS] -- COMMAND... : times the command (any exit code: invalid samples make both
# raycc and check-jsonschema exit 1) and appends its figures to runs.jsonl.
bench() {
    local name=$1 runs=$RUNS
    shift
    if [ "$1" != -- ]; then runs=$1; shift; fi
    shift
    $PY scripts/repeat.py --runs "$runs" --warmup 2 --name "$name" --json "$RESULTS/runs.jsonl" -- "$@"
}

for group in $GROUPS_TO_RUN; do
    case $group in
        validate)
            for style in $STYLES; do
                bench "raycc validate (300 files, $style)" -- \
                    "$RAYCC" validate --color never "$CORPUS/$style/validate"
            done
            # check-jsonschema on the same files, every style: its YAML reader is slower on
            # some styles than on others, as raycc's is.
            for style in $STYLES; do
                bench "check-jsonschema (300 files, $style)" -- bash -c \
                    "$OUT/venv/bin/check-jsonschema --schemafile schemas/raycluster.schema.json $CORPUS/$style/validate/*.yaml"
            done
            ;;
        compile)
            for style in $STYLES; do
                bench "raycc compile (42 clusters, $style)" -- \
                    "$RAYCC" compile --color never "$CORPUS/$style/clean.yaml"
            done
            ;;
        stream)
            for style in $STYLES; do
                bench "raycc compile (10,000-cluster stream, $style)" -- \
                    "$RAYCC" compile --color never "$CORPUS/$style/stream.yaml"
            done
            ;;
        files)
            bench "raycc compile (10,000 files, written)" -- \
                "$RAYCC" compile --color never "$CORPUS/written/files"
            ;;
        small)
            bench "raycc validate (one small file)" "$SMALL_RUNS" -- \
                "$RAYCC" validate --color never "$CORPUS/written/small.yaml"
            bench "raycc --version (process start)" "$SMALL_RUNS" -- "$RAYCC" --version
            bench "check-jsonschema (one small file)" -- \
                "$OUT/venv/bin/check-jsonschema" --schemafile schemas/raycluster.schema.json \
                "$CORPUS/written/small.yaml"
            ;;
        quick)
            cargo bench --quiet --bench quick -- "$CORPUS"
            ;;
        diff)
            bench "raycc diff --base HEAD (1,000 clusters, 1 changed)" -- \
                bash -c "cd $CORPUS/repo && $RAYCC diff --color never --base HEAD clusters"
            bench "git diff HEAD (the same change, text only)" -- \
                bash -c "cd $CORPUS/repo && git diff HEAD"
            ;;
        *)
            echo "bench.sh: unknown group $group" >&2
            exit 2
            ;;
    esac
done

echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
