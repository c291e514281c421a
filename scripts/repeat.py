#!/usr/bin/env python3
"""Time a command over many runs, process start included: the few-millisecond cases
(`raycc validate` on one small file) need hundreds of runs to give a steady median on a shared
machine, and nothing but the Python standard library.

    scripts/repeat.py [--runs N] [--warmup N] [--name NAME] [--json FILE] -- COMMAND...

Runs COMMAND (no shell, stdout and stderr to /dev/null, any exit code) WARMUP times untimed,
then RUNS times, and prints one line: median, mean ± σ, minimum of the wall time, the CPUs
kept busy ((user + system) / wall), and the median peak resident memory, from `wait4`'s
resource usage of each run. --json appends the same figures as one JSON object per line.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def run_once(command):
    """One run: (wall seconds, CPU seconds, peak RSS in KiB)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = 0  # reaped by wait4; keeps Popen from waiting again
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def summary(name, runs):
    """The figures of `runs` (a list of run_once results)."""
    walls = [r[0] for r in runs]
    return {
        "name": name,
        "runs": len(runs),
        "median_ms": statistics.median(walls) * 1000,
        "mean_ms": statistics.fmean(walls) * 1000,
        "stdev_ms": (statistics.stdev(walls) if len(walls) > 1 else 0.0) * 1000,
        "min_ms": min(walls) * 1000,
        "cpus": sum(r[1] for r in runs) / sum(walls),
        "peak_rss_mb": statistics.median(r[2] for r in runs) / 1024,
    }


def line(s):
    return (
        f"{s['name']}: median {s['median_ms']:.2f} ms, mean {s['mean_ms']:.2f} ± "
        f"{s['stdev_ms']:.2f} ms, min {s['min_ms']:.2f} ms, {s['cpus']:.2f} CPUs, "
        f"peak RSS {s['peak_rss_mb']:.0f} MB ({s['runs']} runs)"
    )


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--name")
    parser.add_argument("--json")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    for _ in range(args.warmup):
        run_once(args.command)
    runs = [run_once(args.command) for _ in range(args.runs)]
    s = summary(args.name or " ".join(args.command), runs)
    print(line(s), flush=True)
    if args.json:
        with open(args.json, "a") as out:
            out.write(json.dumps(s) + "\n")
    return s


if __name__ == "__main__":
    main(sys.argv[1:])
