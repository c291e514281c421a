"""New provider code restarts the sidecar: the watcher over the module's file, in a folder laid out
the way the kubelet lays out a ConfigMap volume and updates it."""

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import threading
import time

import raycc_autoscaler

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "data", "autoscaling-config.yaml")
MODULE = "raycc_autoscaler.py"
QUIET_S = 0.3  # Long enough for many checks at the tests' interval.


def watch(path, interval_s=0.01):
    changed = threading.Event()
    watcher = raycc_autoscaler.CodeWatcher(
        str(path), raycc_autoscaler.file_sha256(str(path)), interval_s, changed.set
    ).start()
    return watcher, changed


def assert_quiet_then_fires(watcher, changed, change):
    """Nothing for a while; then `change()` must make the watcher call back and end."""
    time.sleep(QUIET_S)
    assert not changed.is_set()
    assert watcher.thread.is_alive()
    change()
    assert changed.wait(10)
    watcher.thread.join(10)
    assert not watcher.thread.is_alive()


class ConfigMapVolume:
    """A ConfigMap volume as the kubelet writes it (its AtomicWriter): the files in a timestamped
    folder, `..data` a symlink to that folder, and each key a symlink to `..data/<key>`. An update
    writes a new folder, points `..data_tmp` at it, renames that over `..data` and removes the
    old folder."""

    def __init__(self, root, files):
        self.root = root
        self.generation = 0
        self.update(files)
        for name in files:
            os.symlink(os.path.join("..data", name), os.path.join(root, name))

    def update(self, files):
        old = os.readlink(self.root / "..data") if (self.root / "..data").is_symlink() else None
        self.generation += 1
        folder = f"..2026_01_01_00_00_{self.generation:02d}.000000001"
        os.mkdir(self.root / folder)
        for name, text in files.items():
            (self.root / folder / name).write_text(text)
        os.symlink(folder, self.root / "..data_tmp")
        os.rename(self.root / "..data_tmp", self.root / "..data")
        if old is not None:
            shutil.rmtree(self.root / old)


def test_the_loaded_hash_is_the_module_files():
    assert raycc_autoscaler.MODULE_PATH == os.path.abspath(raycc_autoscaler.__file__)
    with open(raycc_autoscaler.MODULE_PATH, "rb") as f:
        assert raycc_autoscaler.LOADED_SHA256 == hashlib.sha256(f.read()).hexdigest()


def test_a_changed_file_ends_the_watch_through_the_callback(tmp_path):
    path = tmp_path / MODULE
    path.write_text("v = 1\n")
    watcher, changed = watch(path)

    path.write_text("v = 2\n")

    assert changed.wait(10)
    watcher.thread.join(10)
    assert not watcher.thread.is_alive()


def test_an_unchanged_file_does_not_whatever_its_mtime(tmp_path):
    path = tmp_path / MODULE
    path.write_text("v = 1\n")
    watcher, changed = watch(path)

    path.write_text("v = 1\n")
    later = time.time() + 100
    os.utime(path, (later, later))

    assert_quiet_then_fires(watcher, changed, lambda: path.write_text("v = 2\n"))


def test_a_kubelet_update_of_the_configmap_volume_is_seen_through_the_symlinks(tmp_path):
    files = {MODULE: "v = 1\n", "autoscaling-config.yaml": "max_workers: 1\n"}
    volume = ConfigMapVolume(tmp_path, files)
    watcher, changed = watch(tmp_path / MODULE)

    # Only the autoscaling config changed: the config is read every round, no restart.
    volume.update({**files, "autoscaling-config.yaml": "max_workers: 2\n"})
    assert (tmp_path / "autoscaling-config.yaml").read_text() == "max_workers: 2\n"
    assert len([p for p in os.listdir(tmp_path) if p.startswith("..2026")]) == 1

    assert_quiet_then_fires(
        watcher, changed, lambda: volume.update({**files, MODULE: "v = 2\n"})
    )


def test_a_file_that_cannot_be_read_counts_as_unchanged_and_is_logged_once(tmp_path, caplog):
    path = tmp_path / MODULE
    path.write_text("v = 1\n")
    watcher, changed = watch(path)

    with caplog.at_level(logging.WARNING, logger="raycc_autoscaler"):
        path.unlink()
        assert_quiet_then_fires(watcher, changed, lambda: path.write_text("v = 2\n"))

    assert [r.getMessage() for r in caplog.records] == [
        f"Cannot read {path}; running on with the code loaded."
    ]


def test_the_sidecar_exits_with_its_own_status_when_its_code_changes(tmp_path):
    with open(raycc_autoscaler.MODULE_PATH, encoding="utf-8") as f:
        code = f.read()
    volume_dir = tmp_path / "volume"
    volume_dir.mkdir()
    volume = ConfigMapVolume(volume_dir, {MODULE: code})
    waiting = tmp_path / "waiting"
    # The sidecar's main, with the GCS never ready and a short check interval.
    script = (
        "import sys, time\n"
        "import raycc_autoscaler as m\n"
        "m.CODE_CHECK_INTERVAL_S = 0.05\n"
        "def wait_for_gcs(address):\n"
        f"    open({str(waiting)!r}, 'w').close()\n"
        "    time.sleep(120)\n"
        "m.wait_for_gcs = wait_for_gcs\n"
        "sys.exit(m.main(sys.argv[1:]))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "--config", EXAMPLE, "--log-dir", ""],
        env={**os.environ, "PYTHONPATH": str(volume_dir)},
        cwd=str(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not waiting.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(QUIET_S)
        assert proc.poll() is None  # Its own code, unchanged: it keeps waiting.

        volume.update({MODULE: code + "# a new revision\n"})

        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == raycc_autoscaler.EXIT_CODE_CHANGED == 3
    path = volume_dir / MODULE
    assert f"{path} changed; ending with status 3 so that the new code runs." in err
