#!/usr/bin/env bash
# End-to-end benchmarks: raycc against the tools people would use instead, side by side in one
# run, with hyperfine (apt-get install hyperfine). Prints a table of medians; BENCHMARKS.md
# explains the method and records the results.
#
#   scripts/bench.sh              # everything (RUNS=10 timed runs per command)
#   RUNS=20 scripts/bench.sh validate small
#
# Groups: validate (300 files vs check-jsonschema), stream (10,000 clusters in one stream, with
# peak memory), files (the same as 10,000 files), small (one file: process start and schema
# load included), diff (diff --base on a repository of 1,000 clusters with one changed).
#
# The corpus is generated from the KubeRay samples (RAYCC_SAMPLES, default
# ../shared/kuberay/samples) into target/bench/corpus by scripts/gen-corpus.py; the samples are
# never copied into the repository. check-jsonschema is installed into a virtualenv under
# target/bench. Nothing here is run by the tests or CI.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
OUT=target/bench
CORPUS=$OUT/corpus
RESULTS=$OUT/results
SAMPLES=${RAYCC_SAMPLES:-../shared/kuberay/samples}
GROUPS_TO_RUN=${*:-validate stream files small diff}

command -v hyperfine >/dev/null || { echo "bench.sh: hyperfine is required (apt-get install hyperfine)" >&2; exit 2; }

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"

cargo build --release --quiet
RAYCC=$PWD/target/release/raycc
mkdir -p "$RESULTS"

python3 scripts/gen-corpus.py --samples "$SAMPLES" --out "$CORPUS" --raycc "$RAYCC"

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

if [[ " $GROUPS_TO_RUN " == *" validate "* ]] && [ ! -x $OUT/venv/bin/check-jsonschema ]; then
    python3 -m venv $OUT/venv
    $OUT/venv/bin/pip install --quiet check-jsonschema==0.39.0
fi

# hyperfine NAME COMMAND... : runs the commands, keeps the JSON export. Exit codes are ignored:
# invalid samples make both raycc and check-jsonschema exit 1.
bench() {
    local name=$1
    shift
    hyperfine --style basic --ignore-failure --warmup 2 --runs "$RUNS" \
        --export-json "$RESULTS/$name.json" "$@"
}

# Peak resident memory, median of 5 runs, in MB.
peak_rss() {
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1
    done | sort -n | sed -n 3p | awk '{printf "%.0f", $1 / 1024}'
}

for group in $GROUPS_TO_RUN; do
    case $group in
        validate)
            bench validate \
                -n "raycc validate (300 files)" "$RAYCC validate --color never $CORPUS/validate" \
                -n "check-jsonschema (300 files)" \
                "$OUT/venv/bin/check-jsonschema --schemafile schemas/raycluster.schema.json $CORPUS/validate/*.yaml"
            ;;
        stream)
            bench stream -n "raycc compile (10,000-cluster stream)" \
                "$RAYCC compile --color never $CORPUS/stream.yaml"
            echo "peak RSS, 10,000-cluster stream: $(peak_rss "$RAYCC" compile --color never "$CORPUS/stream.yaml") MB" |
                tee "$RESULTS/stream-rss.txt"
            ;;
        files)
            bench files -n "raycc compile (10,000 files)" "$RAYCC compile --color never $CORPUS/files"
            echo "peak RSS, 10,000 files: $(peak_rss "$RAYCC" compile --color never "$CORPUS/files") MB" |
                tee "$RESULTS/files-rss.txt"
            ;;
        small)
            bench small \
                -n "raycc validate (one small file)" "$RAYCC validate --color never $CORPUS/small.yaml" \
                -n "raycc --version (process start)" "$RAYCC --version" \
                -n "check-jsonschema (one small file)" \
                "$OUT/venv/bin/check-jsonschema --schemafile schemas/raycluster.schema.json $CORPUS/small.yaml"
            ;;
        diff)
            bench diff \
                -n "raycc diff --base HEAD (1,000 clusters, 1 changed)" \
                "cd $CORPUS/repo && $RAYCC diff --color never --base HEAD clusters" \
                -n "git diff HEAD (the same change, text only)" "cd $CORPUS/repo && git diff HEAD"
            ;;
        *)
            echo "bench.sh: unknown group $group" >&2
            exit 2
            ;;
    esac
done

echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$RESULTS" $GROUPS_TO_RUN <<'EOF'
import json, pathlib, sys

results = pathlib.Path(sys.argv[1])
print()
print(f"| {'command':<52} | {'median':>10} | {'mean ± σ':>18} | {'CPUs':>5} | {'vs first':>9} |")
print(f"|{'-' * 54}|{'-' * 12}|{'-' * 20}|{'-' * 7}|{'-' * 11}|")
for group in sys.argv[2:]:
    data = json.loads((results / f"{group}.json").read_text())["results"]
    first = data[0]["median"]
    for r in data:
        ratio = r["median"] / first
        spread = f"{r['mean'] * 1000:.1f} ± {r['stddev'] * 1000:.1f} ms"
        # CPU time (user + system) over wall time: how many cores the command kept busy.
        cpus = (r["user"] + r["system"]) / r["mean"]
        print(f"| {r['command']:<52} | {r['median'] * 1000:>7.1f} ms | {spread:>18} | {cpus:>5.2f} | {ratio:>8.1f}× |")
for extra in ["stream-rss.txt", "files-rss.txt"]:
    path = results / extra
    if path.exists() and any(g in extra for g in sys.argv[2:]):
        print(path.read_text().strip())
EOF
