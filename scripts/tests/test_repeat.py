"""scripts/repeat.py: its summary of runs, and one real run of a command."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import repeat  # noqa: E402


def test_summary_takes_the_median_and_the_busy_cpus():
    runs = [(0.001, 0.001, 1024), (0.003, 0.003, 3072), (0.002, 0.001, 2048)]
    s = repeat.summary("x", runs)
    assert s["runs"] == 3
    assert round(s["median_ms"], 6) == 2.0
    assert round(s["min_ms"], 6) == 1.0
    assert round(s["cpus"], 6) == round(0.005 / 0.006, 6)
    assert s["peak_rss_mb"] == 2.0


def test_times_a_real_command_and_appends_json(tmp_path):
    out = tmp_path / "r.jsonl"
    for _ in range(2):
        repeat.main(["--runs", "3", "--warmup", "0", "--name", "true", "--json", str(out), "true"])
    lines = [json.loads(l) for l in out.read_text().splitlines()]
    assert [l["name"] for l in lines] == ["true", "true"]
    assert all(l["runs"] == 3 and l["median_ms"] > 0 and l["peak_rss_mb"] > 0 for l in lines)
