"""The autoscaling config as the installed Ray gets it, and the sidecar's entry point."""

import os
import subprocess
import sys

import pytest
from ray.autoscaler._private.util import validate_config

import raycc_autoscaler

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "data", "autoscaling-config.yaml")
MODULE_DIR = os.path.dirname(HERE)


def test_the_example_config_is_valid_for_the_installed_ray():
    config = raycc_autoscaler.load_autoscaling_config(EXAMPLE)

    validate_config(config)  # Ray's own schema check; raises when the config is wrong.
    for key, value in raycc_autoscaler.LEGACY_DEFAULTS.items():
        assert config[key] == value
    assert all(t["node_config"] == {} for t in config["available_node_types"].values())


def test_node_type_keys_this_ray_does_not_know_are_dropped(monkeypatch):
    known = raycc_autoscaler.node_type_keys_known_to_ray()
    assert {"min_workers", "max_workers", "resources", "node_config"} <= known
    config = raycc_autoscaler.load_autoscaling_config(EXAMPLE)
    # Ray learned node-type labels in 2.47 (Ray 2.6.0's schema refuses them).
    assert ("labels" in config["available_node_types"]["small-worker"]) == ("labels" in known)

    monkeypatch.setattr(
        raycc_autoscaler, "node_type_keys_known_to_ray", lambda: known - {"labels"}
    )
    config = raycc_autoscaler.load_autoscaling_config(EXAMPLE)
    assert "labels" not in config["available_node_types"]["small-worker"]
    assert config["available_node_types"]["small-worker"]["min_workers"] == 1


def test_the_provider_is_built_from_the_example_config(cluster):
    config = raycc_autoscaler.load_autoscaling_config(EXAMPLE)
    provider = raycc_autoscaler.RayccNodeProvider(config["provider"], config["cluster_name"])

    assert provider.namespace == "ml"
    assert {n: (g.pod_template, g.num_of_hosts, g.min_replicas, g.max_replicas)
            for n, g in provider.groups.items()} == {
        "small-worker": ("basic-ray-cluster-small-worker-worker", 1, 1, 3),
        "tpu": ("basic-ray-cluster-tpu-worker", 2, 0, 2),
    }


def test_a_config_that_is_no_mapping_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("- a\n")
    with pytest.raises(ValueError, match="mapping"):
        raycc_autoscaler.load_autoscaling_config(str(path))


def test_main_refuses_a_config_for_another_provider(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text(open(EXAMPLE).read().replace("raycc_autoscaler.RayccNodeProvider", "x.Y"))

    assert raycc_autoscaler.main(["--config", str(path)]) == 2
    assert "provider must be" in capsys.readouterr().err


def test_main_waits_for_the_gcs_then_runs_the_v1_monitor(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(raycc_autoscaler, "start_code_watcher", lambda: events.append(("watch",)))
    monkeypatch.setattr(raycc_autoscaler, "wait_for_gcs", lambda address: events.append(("wait", address)))

    class Monitor:
        def __init__(self, **kwargs):
            events.append(("monitor", kwargs))

        def run(self):
            events.append(("run",))

    import ray.autoscaler._private.monitor as monitor_module

    monkeypatch.setattr(monitor_module, "Monitor", Monitor)
    logs = tmp_path / "logs"

    code = raycc_autoscaler.main(
        ["--config", EXAMPLE, "--gcs-address", "10.0.0.5:6380", "--log-dir", str(logs),
         "--monitor-ip", "10.0.0.5"]
    )

    assert code == 0
    # The code is watched from before the wait for the GCS on.
    assert [e[0] for e in events] == ["watch", "wait", "monitor", "run"]
    assert events[1] == ("wait", "10.0.0.5:6380")
    kwargs = events[2][1]
    assert kwargs["address"] == "10.0.0.5:6380"
    assert kwargs["monitor_ip"] == "10.0.0.5"
    assert kwargs["log_dir"] == str(logs)
    assert kwargs["retry_on_failure"] is True
    assert kwargs["autoscaling_config"]() == raycc_autoscaler.load_autoscaling_config(EXAMPLE)
    assert (logs / "monitor.log").exists()


def test_wait_for_gcs_checks_until_the_gcs_answers(tmp_path):
    counter = tmp_path / "n"
    counter.write_text("0")
    script = (
        "import sys; p=sys.argv[1]; n=int(open(p).read())+1; open(p,'w').write(str(n)); "
        "sys.exit(0 if n >= 3 else 1)"
    )

    raycc_autoscaler.wait_for_gcs("x:1", sleep_s=0, command=[sys.executable, "-c", script, str(counter)])

    assert counter.read_text() == "3"


def test_the_health_check_command_exists_in_this_ray():
    result = subprocess.run(
        [sys.executable, "-m", "ray.scripts.scripts", "health-check", "--help"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "--skip-version-check" in result.stdout


def test_the_sidecar_command_runs_the_module_from_its_folder():
    env = {**os.environ, "PYTHONPATH": MODULE_DIR}
    result = subprocess.run(
        [sys.executable, "-m", "raycc_autoscaler", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr
    assert "--gcs-address" in result.stdout


def test_the_installed_ray_is_supported():
    assert raycc_autoscaler.ray_version() >= raycc_autoscaler.MIN_RAY_VERSION
