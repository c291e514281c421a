"""scripts/ray_e2e.py: the parts that read fixtures and compiled manifests (the run itself needs
Ray and is scripts/ray-e2e.sh)."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import ray_e2e as e2e  # noqa: E402


def statefulset(name, containers, init_containers=(), volumes=()):
    labels = {"ray.io/group": name, "ray.io/node-type": "worker"}
    spec = {"containers": list(containers), "initContainers": list(init_containers)}
    if volumes:
        spec["volumes"] = list(volumes)
    return {
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


def secret_env(name, secret, key, optional=None):
    ref = {"name": secret, "key": key}
    if optional is not None:
        ref["optional"] = optional
    return {"name": name, "valueFrom": {"secretKeyRef": ref}}


def test_parse_logs_reads_e2e_log_lines_by_group():
    text = "# e2e-log head: user command on x\n#e2e-log work:  a b=1 \n# e2e-expect work: CPU=1\n"
    assert e2e.parse_logs(text) == {"head": ["user command on x"], "work": ["a b=1"]}


def test_user_commands_reads_the_first_container_of_each_group():
    text = """
apiVersion: ray.io/v1
kind: RayCluster
metadata: {name: c}
spec:
  headGroupSpec:
    template:
      spec:
        containers:
        - name: ray-head
          command: ["/bin/bash", "-lc", "--"]
          args: ['"echo hi"']
  workerGroupSpecs:
  - groupName: plain
  - groupName: own
    template:
      spec:
        containers:
        - name: ray-worker
          command: ["echo"]
"""
    assert e2e.user_commands(text) == {
        "headgroup": ["/bin/bash", "-lc", "--", '"echo hi"'],
        "own": ["echo"],
    }


def test_a_user_command_and_the_appended_ray_start_split_into_words():
    script = ' /bin/bash  -lc  --  "echo on $POD"  && ulimit -n 1; ray start --head  --block '
    words = e2e.shell_words(script)
    assert words[:4] == e2e.shell_words(" ".join(["/bin/bash", "-lc", "--", '"echo on $POD"']))
    assert words[4:] == ["&&", "ulimit", "-n", "1", ";", "ray", "start", "--head", "--block"]
    assert e2e.ray_start_flags(script) == {"head": "", "block": ""}


def test_referenced_secrets_are_the_ones_the_output_reads_and_does_not_hold():
    worker = statefulset(
        "w",
        [
            {
                "name": "ray",
                "env": [secret_env("T", "token", "auth_token"), {"name": "A", "value": "1"}],
                "envFrom": [{"secretRef": {"name": "bulk"}}],
            }
        ],
        init_containers=[
            {
                "name": "init",
                "env": [
                    secret_env("T", "token", "other"),
                    secret_env("O", "maybe", "k", optional=True),
                    secret_env("H", "held", "k"),
                ],
            }
        ],
        volumes=[{"name": "v", "secret": {"secretName": "files", "items": [{"key": "a"}]}}],
    )
    held = {"kind": "Secret", "metadata": {"name": "held"}}
    assert e2e.referenced_secrets([worker, held]) == {
        "bulk": [],
        "files": ["a"],
        "token": ["auth_token", "other"],
    }


def test_drop_init_env_removes_the_names_from_init_containers_only():
    ray = {"name": "ray", "env": [{"name": "RAY_AUTH_MODE", "value": "token"}]}
    init = {
        "name": "wait-gcs-ready",
        "env": [
            {"name": "RAY_AUTH_MODE", "value": "token"},
            secret_env("RAY_AUTH_TOKEN", "c", "auth_token"),
            {"name": "FQ_RAY_IP", "value": "c-head-svc"},
        ],
    }
    objects = [statefulset("w", [ray], init_containers=[init])]
    e2e.drop_init_env(objects, ["RAY_AUTH_MODE", "RAY_AUTH_TOKEN"])
    spec = objects[0]["spec"]["template"]["spec"]
    assert [e["name"] for e in spec["initContainers"][0]["env"]] == ["FQ_RAY_IP"]
    assert [e["name"] for e in spec["containers"][0]["env"]] == ["RAY_AUTH_MODE"]


def test_claim_path_finds_the_claim_of_the_deepest_mount_with_its_sub_path():
    spec = {
        "volumes": [
            {"name": "data", "persistentVolumeClaim": {"claimName": "data-c-worker-0"}},
            {"name": "gcs", "persistentVolumeClaim": {"claimName": "c-gcs-pvc"}},
            {"name": "cache", "emptyDir": {}},
        ]
    }
    container = {
        "volumeMounts": [
            {"name": "data", "mountPath": "/mnt"},
            {"name": "gcs", "mountPath": "/mnt/gcs/", "subPath": "clusters/c"},
            {"name": "cache", "mountPath": "/cache"},
        ]
    }
    assert e2e.claim_path(spec, container, "/mnt/spill") == ("data-c-worker-0", "spill")
    assert e2e.claim_path(spec, container, "/mnt/gcs") == ("c-gcs-pvc", "clusters/c")
    assert e2e.claim_path(spec, container, "/mnt/gcs/db") == ("c-gcs-pvc", "clusters/c/db")
    assert e2e.claim_path(spec, container, "/mnt") == ("data-c-worker-0", ".")
    assert e2e.claim_path(spec, container, "/cache/x") is None, "an emptyDir is no claim"
    assert e2e.claim_path(spec, container, "/mntx") is None, "a prefix is no parent"
    assert e2e.claim_path(spec, container, "/tmp") is None


def test_spill_directory_is_the_ray_start_flag():
    script = "ulimit -n 65536; ray start  --address=c:6379  --object-spilling-directory=/mnt/s "
    container = {"name": "ray", "command": ["/bin/bash", "-c", "--"], "args": [script]}
    assert e2e.spill_directory(container) == "/mnt/s"
    container["args"] = ["ray start --address=c:6379 --block"]
    assert e2e.spill_directory(container) is None
    assert e2e.spill_directory({"name": "ray", "command": ["ray"]}) is None


def test_gcs_storage_path_needs_the_rocksdb_backend():
    env = [
        {"name": "RAY_gcs_storage", "value": "rocksdb"},
        {"name": "RAY_gcs_storage_path", "value": "/data/gcs"},
    ]
    assert e2e.gcs_storage_path({"env": env}) == "/data/gcs"
    assert e2e.gcs_storage_path({"env": env[1:]}) is None
    assert e2e.gcs_storage_path({"env": [{"name": "RAY_gcs_storage", "value": "memory"}]}) is None


def test_files_under_keeps_files_below_a_directory_of_the_prefix(tmp_path):
    spilled = tmp_path / "session_1" / "ray_spilled_objects_ab"
    spilled.mkdir(parents=True)
    (spilled / "f1").write_bytes(b"x" * 3)
    (tmp_path / "session_1" / "log").write_bytes(b"y")
    assert e2e.files_under(str(tmp_path), "ray_spilled_objects") == {str(spilled / "f1"): 3}
    assert len(e2e.files_under(str(tmp_path))) == 2
    assert e2e.files_under(str(tmp_path / "missing")) == {}
