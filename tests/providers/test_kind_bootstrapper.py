"""``KindBootstrapper`` with a fake ``kind`` (a fake ``run``) and a fake Kubernetes client:
create, reuse of a healthy cluster, a cluster whose API does not answer made again, labels
read back from the Node, options (image, mounts, mirror, proxy env), delete; and which
bootstrapper the registry gives each provider."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from eksa_temporal.bundle import load_bundle
from eksa_temporal.ownership import CLUSTER_LABEL, OWNER_LABEL
from eksa_temporal.providers.base import BootstrapOptions, ComponentRef, Provider
from eksa_temporal.providers.bootstrap import (
    Bootstrapper,
    BootstrapUnreachable,
    KindBootstrapper,
    SimBootstrapper,
    api_answers,
)
from eksa_temporal.providers.registry import Registry
from eksa_temporal.providers.sim.provider import SimProvider
from eksa_temporal.tools.kind import Kind
from eksa_temporal.tools.runner import ToolResult

LABELS = {OWNER_LABEL: "run-" + "a" * 40, CLUSTER_LABEL: "c-" + "b" * 20}


class FakeKindWorld:
    """kind's clusters as the fake ``run`` sees them: name -> node labels, health."""

    def __init__(self) -> None:
        self.clusters: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []

    def run(self, argv: list[str], **kw: Any) -> ToolResult:
        self.calls.append({"argv": list(argv), **kw})
        args = argv[1:]
        out = ""
        if args[:2] == ["get", "clusters"]:
            out = "".join(f"{n}\n" for n in self.clusters)
        elif args[:2] == ["get", "kubeconfig"]:
            out = f"kubeconfig-of: {args[3]}\n"
        elif args[:2] == ["delete", "cluster"]:
            self.clusters.pop(args[3], None)
        elif args[:2] == ["create", "cluster"]:
            name = args[args.index("--name") + 1]
            config = yaml.safe_load(Path(args[args.index("--config") + 1]).read_text())
            self.clusters[name] = {
                "labels": (config["nodes"][0].get("labels") or {}),
                "healthy": True,
                "config": config,
                "image": args[args.index("--image") + 1],
                "env": kw.get("env"),
            }
            Path(args[args.index("--kubeconfig") + 1]).write_text(f"kubeconfig-of: {name}\n")
        return ToolResult(argv=tuple(argv), exit_code=0, stdout=out, stderr="", seconds=0.0)

    def commands(self) -> list[str]:
        return [" ".join(c["argv"][1:3]) for c in self.calls]


class FakeKube:
    def __init__(self, world: FakeKindWorld, path: Path) -> None:
        self.name = path.read_text().split(": ", 1)[1].strip()
        self.world = world
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the fetched kubeconfig is private

    def list_objects(self, api_version: str, kind: str) -> tuple[list[dict[str, Any]], str]:
        assert (api_version, kind) == ("v1", "Node")
        labels = {"kubernetes.io/hostname": f"{self.name}-control-plane", **self.world.clusters[self.name]["labels"]}
        other = {"metadata": {"name": "other", "labels": {"kubernetes.io/os": "linux"}}}
        return [other, {"metadata": {"name": f"{self.name}-control-plane", "labels": labels}}], "1"


@pytest.fixture
def world() -> FakeKindWorld:
    return FakeKindWorld()


@pytest.fixture
def boot(world: FakeKindWorld, tmp_path: Path) -> KindBootstrapper:
    return KindBootstrapper(
        Kind("kind", run=world.run),
        state_dir=tmp_path / "state",
        kube=lambda path: FakeKube(world, path),  # type: ignore[arg-type,return-value]
        answers=lambda kube, timeout: bool(world.clusters[kube.name]["healthy"]),  # type: ignore[attr-defined]
    )


def test_is_a_bootstrapper(boot: KindBootstrapper) -> None:
    assert isinstance(boot, Bootstrapper)


def test_create_new_cluster_with_labels_and_options(boot: KindBootstrapper, world: FakeKindWorld, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "out" / "c1.kind.kubeconfig"
    opts = BootstrapOptions(
        labels={"team": "x", OWNER_LABEL: "ignored-owner-wins"},
        env={"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "10.0.0.0/8"},
        registry_mirror="mirror.local:5000",
        extra_mounts=[{"hostPath": "/var/run/docker.sock", "containerPath": "/var/run/docker.sock"}],
    )
    assert boot.labels("c1") is None and not boot.exists("c1")
    assert boot.create("c1", kubeconfig, dict(LABELS), opts) == kubeconfig
    assert kubeconfig.read_text() == "kubeconfig-of: c1\n"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    made = world.clusters["c1"]
    assert made["image"] == load_bundle().bootstrap_node_image()
    assert made["env"] == opts.env  # proxy settings: the environment of `kind create`
    node = made["config"]["nodes"][0]
    assert made["config"]["kind"] == "Cluster" and made["config"]["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert node["role"] == "control-plane"
    assert node["labels"] == {"team": "x", **LABELS}
    assert node["extraMounts"] == opts.extra_mounts
    (patch,) = made["config"]["containerdConfigPatches"]
    assert '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]' in patch
    assert 'endpoint = ["https://mirror.local:5000"]' in patch
    labels = boot.labels("c1")
    assert labels is not None and {k: labels[k] for k in LABELS} == LABELS


def test_node_image_from_options(boot: KindBootstrapper, world: FakeKindWorld, tmp_path: Path) -> None:
    boot.create("c2", tmp_path / "kc", None, BootstrapOptions(node_image="kindest/node:v1.31.9"))
    assert world.clusters["c2"]["image"] == "kindest/node:v1.31.9"
    assert "labels" not in world.clusters["c2"]["config"]["nodes"][0]
    assert "containerdConfigPatches" not in world.clusters["c2"]["config"]


def test_healthy_existing_cluster_is_reused(boot: KindBootstrapper, world: FakeKindWorld, tmp_path: Path) -> None:
    boot.create("c1", tmp_path / "a", dict(LABELS))
    world.calls.clear()
    kubeconfig = tmp_path / "b"
    boot.create("c1", kubeconfig, {OWNER_LABEL: "run-" + "c" * 40})
    assert "create cluster" not in world.commands() and "delete cluster" not in world.commands()
    assert kubeconfig.read_text() == "kubeconfig-of: c1\n"  # rewritten from `kind get kubeconfig`
    assert boot.labels("c1") is not None and boot.labels("c1")[OWNER_LABEL] == LABELS[OWNER_LABEL]  # type: ignore[index]


def test_existing_cluster_whose_api_does_not_answer_is_made_again(boot: KindBootstrapper, world: FakeKindWorld, tmp_path: Path) -> None:
    boot.create("c1", tmp_path / "a", dict(LABELS))
    world.clusters["c1"]["healthy"] = False
    # its labels come from the record made at create time while its API is down
    assert boot.labels("c1") == LABELS
    world.calls.clear()
    boot.create("c1", tmp_path / "b", dict(LABELS))
    assert world.commands()[-3:] == ["get kubeconfig", "delete cluster", "create cluster"]
    assert world.clusters["c1"]["healthy"]
    assert (tmp_path / "b").read_text() == "kubeconfig-of: c1\n"


def test_labels_of_a_foreign_cluster(boot: KindBootstrapper, world: FakeKindWorld) -> None:
    world.clusters["theirs"] = {"labels": {}, "healthy": True}
    assert boot.labels("theirs") == {}  # exists, no Node carries the owner label
    world.clusters["theirs"]["healthy"] = False
    with pytest.raises(BootstrapUnreachable):  # not ours to judge: retried
        boot.labels("theirs")


def test_delete(boot: KindBootstrapper, world: FakeKindWorld, tmp_path: Path) -> None:
    boot.create("c1", tmp_path / "a", dict(LABELS))
    assert boot.delete("c1") is True
    assert "c1" not in world.clusters and not (tmp_path / "state" / "c1.labels.json").exists()
    assert boot.delete("c1") is False
    assert boot.labels("c1") is None


def test_api_answers_is_bounded(tmp_path: Path) -> None:
    from eksa_temporal.kube.client import Kube

    path = tmp_path / "kc"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "x", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "x", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}],
                "current-context": "x",
            }
        )
    )
    import time

    started = time.monotonic()
    assert api_answers(Kube.from_kubeconfig(path), 2.0) is False
    assert time.monotonic() - started < 10


class _Own(Provider):
    name = "own"

    def __init__(self, boot: Any) -> None:
        self._boot = boot

    def bootstrapper(self) -> Any:
        return self._boot


class _Real(Provider):
    name = "real"

    def infrastructure_component(self) -> ComponentRef:
        return ComponentRef(name="real", version="v1")


class _OnSim(SimProvider):
    name = "onsim"


def test_registry_default_bootstrappers(tmp_path: Path, boot: KindBootstrapper) -> None:
    reg = Registry(
        tmp_path / "sim",
        providers={"own": _Own(boot), "real": _Real(), "onsim": _OnSim(tmp_path / "sim")},
        register_spec=False,
    )
    assert isinstance(reg.bootstrapper("sim"), SimBootstrapper)
    assert isinstance(reg.bootstrapper("onsim"), SimBootstrapper)  # a provider on the sim
    assert isinstance(reg.bootstrapper("real"), KindBootstrapper)
    assert isinstance(reg.bootstrapper("vsphere"), KindBootstrapper)
    assert reg.bootstrapper("own") is boot
    explicit = SimBootstrapper(object())
    assert Registry(tmp_path / "sim", bootstrapper=explicit, register_spec=False).bootstrapper("vsphere") is explicit
