"""``tools.kind.Kind`` and ``tools.docker.Docker``: the exact argv of each command, the
environment and config file handed to ``kind create``, output parsing, and the tools' known
messages through the real runner (scripts standing in for the executables)."""

from __future__ import annotations

import json
import os
import stat
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from structlog.testing import capture_logs

from eksa_temporal.bundle import load_bundle
from eksa_temporal.errors import PermanentError
from eksa_temporal.tools.docker import Docker, parse_labels
from eksa_temporal.tools.kind import CLUSTER_EXISTS, Kind
from eksa_temporal.tools.runner import ToolError, ToolFailed, ToolResult


class FakeRun:
    """Records each call; answers with the queued (exit code, stdout, stderr)."""

    def __init__(self, *answers: tuple[int, str, str]) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answers = list(answers)
        self.config: Any = None
        self.config_mode = 0

    def __call__(self, argv: list[str], **kw: Any) -> ToolResult:
        self.calls.append({"argv": list(argv), **kw})
        if "--config" in argv:  # the temporary file exists only during the call
            path = Path(argv[argv.index("--config") + 1])
            self.config = yaml.safe_load(path.read_text())
            self.config_mode = stat.S_IMODE(path.stat().st_mode)
        code, out, err = self.answers.pop(0) if self.answers else (0, "", "")
        return ToolResult(argv=tuple(argv), exit_code=code, stdout=out, stderr=err, seconds=0.0)

    @property
    def argvs(self) -> list[list[str]]:
        return [c["argv"] for c in self.calls]


def test_binaries_default_to_the_bundle() -> None:
    bundle = load_bundle()
    assert Kind().binary == bundle.tools.kind.binary
    assert Docker().binary == bundle.tools.docker.binary
    assert Kind("/opt/kind").binary == "/opt/kind"


def test_kind_create_cluster_argv_config_and_env(tmp_path: Path) -> None:
    fake = FakeRun()
    config = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "nodes": [{"role": "control-plane", "labels": {"a": "b"}}],
    }
    env = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "10.0.0.0/8"}
    Kind("kind", run=fake).create_cluster(
        "c1-eks-a-cluster", tmp_path / "kc", image="kindest/node:v1.33.1", config=config, env=env
    )
    (call,) = fake.calls
    argv = call["argv"]
    assert argv[:11] == [
        "kind", "create", "cluster", "--name", "c1-eks-a-cluster", "--kubeconfig", str(tmp_path / "kc"),
        "--image", "kindest/node:v1.33.1", "--wait", "300s",
    ]  # fmt: skip
    assert argv[11] == "--config" and len(argv) == 13
    assert not Path(argv[12]).exists()  # the private config file is removed afterwards
    assert fake.config == config and fake.config_mode == 0o600
    assert call["env"] == env
    assert call["timeout"] == Kind().create_timeout


def test_kind_create_without_config() -> None:
    fake = FakeRun()
    Kind("kind", run=fake).create_cluster("c", Path("/k"), image="img", wait="60s")
    assert fake.argvs == [
        ["kind", "create", "cluster", "--name", "c", "--kubeconfig", "/k", "--image", "img", "--wait", "60s"]
    ]
    assert fake.calls[0]["env"] is None


def test_kind_get_delete_version() -> None:
    fake = FakeRun(
        (0, "one\ntwo\n", ""),
        (0, "", "No kind clusters found.\n"),
        (0, "apiVersion: v1\nkind: Config\n", ""),
        (0, "", ""),
        (0, "kind v0.29.0 go1.24.2 linux/amd64\n", ""),
    )
    kind = Kind("kind", run=fake)
    assert kind.get_clusters() == ["one", "two"]
    assert kind.get_clusters() == []
    assert kind.get_kubeconfig("one") == "apiVersion: v1\nkind: Config\n"
    kind.delete_cluster("one")
    assert kind.version() == "kind v0.29.0 go1.24.2 linux/amd64"
    assert fake.argvs == [
        ["kind", "get", "clusters"],
        ["kind", "get", "clusters"],
        ["kind", "get", "kubeconfig", "--name", "one"],
        ["kind", "delete", "cluster", "--name", "one"],
        ["kind", "version"],
    ]
    assert fake.calls[2]["sensitive_output"] is True  # kubeconfig output never logged


def test_docker_argv_and_parsing() -> None:
    info = {"ServerVersion": "28.0.0", "MemTotal": 8 << 30, "NCPU": 4, "OperatingSystem": "Linux"}
    rows = [
        {"ID": "abc", "Names": "c1-md-0", "Labels": "io.x-k8s.kind.cluster=c1,io.x-k8s.kind.role=worker", "State": "running", "Image": "kindest/node"},
        {"ID": "def", "Names": "c1-cp", "Labels": "io.x-k8s.kind.cluster=c1", "State": "exited", "Image": "kindest/node"},
    ]
    fake = FakeRun((0, json.dumps(info) + "\n", ""), (0, "\n".join(json.dumps(r) for r in rows) + "\n", ""), (0, "", ""), (0, "", ""))
    docker = Docker("docker", run=fake)
    assert docker.info() == info
    assert docker.ps({"io.x-k8s.kind.cluster": "c1", "io.x-k8s.kind.role": "worker"}) == rows
    docker.ps({"x": "y"}, all=False)
    docker.rm([])  # no-op: no command
    docker.rm(["abc", "def"])
    assert fake.argvs == [
        ["docker", "info", "--format", "{{json .}}"],
        ["docker", "ps", "-a", "--no-trunc", "--format", "{{json .}}", "--filter", "label=io.x-k8s.kind.cluster=c1", "--filter", "label=io.x-k8s.kind.role=worker"],
        ["docker", "ps", "--no-trunc", "--format", "{{json .}}", "--filter", "label=x=y"],
        ["docker", "rm", "-f", "abc", "def"],
    ]
    assert parse_labels(rows[0]["Labels"]) == {"io.x-k8s.kind.cluster": "c1", "io.x-k8s.kind.role": "worker"}
    assert parse_labels("") == {}


def test_docker_rm_of_containers_already_gone_is_fine() -> None:
    fake = FakeRun((1, "", "Error response from daemon: No such container: abc\n"))
    Docker("docker", run=fake).rm(["abc"])
    fake = FakeRun((1, "", "Error response from daemon: removal of container abc is already in progress\n"))
    with pytest.raises(ToolError):
        Docker("docker", run=fake).rm(["abc"])


def test_docker_info_server_errors_are_mapped() -> None:
    down = {"ServerErrors": ["Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"]}
    with pytest.raises(ToolError) as caught:
        Docker("docker", run=FakeRun((0, json.dumps(down), ""))).info()
    assert caught.value.retryable and not isinstance(caught.value, PermanentError)
    denied = {"ServerErrors": ["permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock"]}
    with pytest.raises(ToolFailed) as failed:
        Docker("docker", run=FakeRun((0, json.dumps(denied), ""))).info()
    assert "docker group" in str(failed.value)


# -- through the real runner: scripts standing in for the executables --------------------


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return str(path)


def test_kind_cluster_exists_is_permanent(tmp_path: Path) -> None:
    kind = script(
        tmp_path,
        "kind",
        """\
        echo 'ERROR: failed to create cluster: node(s) already exist for a cluster with the name "c1"' >&2
        exit 1
        """,
    )
    with pytest.raises(ToolFailed) as caught:
        Kind(kind).create_cluster("c1", tmp_path / "kc", image="img")
    assert caught.value.meaning == CLUSTER_EXISTS.meaning
    assert "kind delete cluster" in str(caught.value)


def test_docker_daemon_messages_through_kind_and_docker(tmp_path: Path) -> None:
    down = script(tmp_path, "down", "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2; exit 1\n")
    with pytest.raises(ToolError) as caught:
        Docker(down).ps({"a": "b"})
    assert caught.value.retryable and not isinstance(caught.value, PermanentError)
    denied = script(tmp_path, "denied", "echo 'ERROR: failed to list clusters: command \"docker ps\" failed: permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock' >&2; exit 1\n")
    with pytest.raises(ToolFailed) as failed:
        Kind(denied).get_clusters()
    assert failed.value.non_retryable and "docker group" in str(failed.value)


def test_missing_binary_is_permanent(tmp_path: Path) -> None:
    with pytest.raises(ToolFailed):
        Kind(str(tmp_path / "kind")).version()
    with pytest.raises(ToolFailed):
        Docker(str(tmp_path / "docker")).info()


def test_kind_create_env_reaches_kind_and_proxy_credentials_stay_out_of_logs(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    kind = script(tmp_path, "kind", f'echo "$HTTPS_PROXY" > {seen}\ncat "$7" >/dev/null 2>&1; echo ok\n')
    with capture_logs() as logs:
        Kind(kind).create_cluster("c", tmp_path / "kc", image="img", env={"HTTPS_PROXY": "http://user:pa55@proxy:3128"})
    assert seen.read_text().strip() == "http://user:pa55@proxy:3128"
    assert "pa55" not in repr(logs)
    (line,) = [e for e in logs if e.get("event") == "command"]
    assert line["env"] == {"HTTPS_PROXY": "http://***@proxy:3128"}
    assert line["argv"][1:4] == ["create", "cluster", "--name"]
    assert os.environ.get("HTTPS_PROXY") != "http://user:pa55@proxy:3128"
