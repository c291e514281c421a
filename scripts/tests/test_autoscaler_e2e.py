"""Unit tests of scripts/autoscaler_e2e.py's pure parts: the Pod timeline it keeps from the API
server's events, the arithmetic of its measurements, what counts as a failed call in the
sidecar's log, and the BENCHMARKS.md section it writes. No cluster needed."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import autoscaler_e2e as e2e  # noqa: E402


def pod(name, uid, group="special", ready=False, deleting=False, ip=None, head=False):
    meta = {
        "name": name,
        "uid": uid,
        "labels": {"ray.io/group": group, "ray.io/node-type": "head" if head else "worker"},
        "ownerReferences": [{"kind": "PodTemplate", "name": f"c-{group}-worker"}],
    }
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    status = {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    if ip:
        status["podIP"] = ip
    return {"metadata": meta, "status": status}


def test_the_timeline_records_when_a_pod_was_seen_ready_deleting_and_gone(monkeypatch):
    clock = iter([10.0, 12.0, 15.0, 16.0])
    monkeypatch.setattr(e2e.time, "time", lambda: next(clock))
    timeline = e2e.Timeline()
    timeline.on_change("ADDED", pod("w-1", "u1"))
    timeline.on_change("MODIFIED", pod("w-1", "u1", ready=True, ip="10.244.0.5"))
    timeline.on_change("MODIFIED", pod("w-1", "u1", ready=True, deleting=True))
    timeline.on_change("DELETED", pod("w-1", "u1", ready=True, deleting=True))
    [rec] = timeline.group("special")
    assert (rec["seen"], rec["ready"], rec["deleting"], rec["gone"]) == (10.0, 12.0, 15.0, 16.0)
    assert rec["ip"] == "10.244.0.5"
    assert timeline.by_ip("10.244.0.5")["name"] == "w-1"
    assert timeline.group("special", alive_only=True) == []


def test_the_timeline_keeps_groups_apart_and_leaves_the_head_out():
    timeline = e2e.Timeline()
    timeline.on_change("ADDED", pod("h-0", "u0", group="headgroup", head=True))
    timeline.on_change("ADDED", pod("g-1", "u1", group="general"))
    timeline.on_change("ADDED", pod("s-1", "u2"))
    timeline.on_change("SYNC", None)
    assert [r["name"] for r in timeline.group("general")] == ["g-1"]
    assert [r["name"] for r in timeline.group("special")] == ["s-1"]
    assert timeline.group("headgroup") == []


def test_a_pod_deleted_without_a_deletion_mark_counts_as_deleting_when_gone():
    timeline = e2e.Timeline()
    timeline.on_change("ADDED", pod("s-1", "u1"))
    timeline.on_change("DELETED", pod("s-1", "u1"))
    [rec] = timeline.group("special")
    assert rec["deleting"] == rec["gone"]


def test_most_at_once_counts_pods_that_overlapped():
    records = [
        {"seen": 0, "deleting": 10},
        {"seen": 1, "deleting": 5},
        {"seen": 6},
        {"seen": 11},
    ]
    assert e2e.most_at_once(records) == 2
    assert e2e.most_at_once([]) == 0


def test_idle_since_is_the_last_task_end_or_the_join_and_skips_the_busy_node():
    joined = [
        {"ip": "10.0.0.2", "t": 100.0},
        {"ip": "10.0.0.3", "t": 105.0},
        {"ip": "10.0.0.4", "t": 107.0},
    ]
    pods = {"10.0.0.2": "a", "10.0.0.3": "busy", "10.0.0.4": "c"}
    shorts = [{"pod": "a", "ended": 120.0}, {"pod": "a", "ended": 125.0}]
    since = e2e.idle_since(joined, shorts, "busy", pods.get)
    assert since == {"a": 125.0, "c": 107.0}


def test_rays_own_warnings_are_not_failed_calls():
    log = "\n".join(
        [
            "2026-12-02 08:00:45,306\tWARNING resource_demand_scheduler.py:790 -- The autoscaler"
            " could not find a node type to satisfy the request: [{'Special': 1.0}].",
            "2026-12-02 08:00:46,000\tINFO raycc_autoscaler.py:570 -- Worker group special:"
            " created Pod c-special-worker-abcde.",
            "2026-12-02 08:00:47,000\tERROR raycc_autoscaler.py:575 -- Worker group special:"
            " could not create a Pod: POST /api/v1/namespaces/n/pods: 403 Forbidden: no",
            "2026-12-02 08:00:48,000\tERROR raycc_autoscaler.py:530 -- Worker group special:"
            " could not delete Pod p: API server unreachable",
        ]
    )
    failed = e2e.failed_calls(log)
    assert [line.split("--")[1].split(":")[0] for line in failed] == [
        " Worker group special",
        " Worker group special",
    ]
    assert all("\tERROR " in line for line in failed)


NUMBERS = {
    "scale request": 3.24,
    "joined": 92.1,
    "scale-down": [1.12, 0.6],
    "busy nodes removed": 0,
    "wall": 426.4,
    "failed": 0,
}


def test_the_bench_block_shows_every_number():
    block = e2e.bench_block(NUMBERS, "2026-12-02")
    assert block.startswith(e2e.BENCH_BEGIN) and block.endswith(e2e.BENCH_END)
    assert "Last run: 2026-12-02, 0 functional checks failed." in block
    assert (
        "| unschedulable demand to the scale request (special Pod in the API), s | 3.2 |" in block
    )
    assert "| unschedulable demand to a joined Ray node, s | 92.1 |" in block
    assert "| 1.1, 0.6 |" in block
    assert "| busy nodes removed | 0 |" in block
    assert "| wall time of the whole run, s | 426 |" in block


def test_the_bench_block_says_what_a_failed_run_did_not_reach():
    block = e2e.bench_block({"scale request": 3.0, "wall": 100, "failed": 4}, "2026-12-02")
    assert "4 functional checks failed" in block
    assert "| unschedulable demand to a joined Ray node, s | not reached |" in block
    assert "| busy nodes removed | not reached |" in block


def test_the_section_is_appended_once_then_its_block_replaced():
    text = "# Benchmarks\n\n## Results\n\nkept\n"
    first = e2e.with_bench_block(text, e2e.bench_block(NUMBERS, "2026-12-01"), "Intro.")
    assert first.startswith(text.rstrip("\n"))
    assert first.count(e2e.BENCH_HEADING) == 1 and "\n\nIntro.\n\n" in first
    again = e2e.with_bench_block(
        first + "\n## After\n", e2e.bench_block({**NUMBERS, "joined": 50.0}, "2026-12-02"), "x"
    )
    assert again.count(e2e.BENCH_HEADING) == 1 and again.count(e2e.BENCH_BEGIN) == 1
    assert "| 50.0 |" in again and "| 92.1 |" not in again
    assert "2026-12-02" in again and "2026-12-01" not in again
    assert again.endswith("\n## After\n") and "kept" in again and "\nx\n" not in again
