"""Tinkerbell upgrade rules (what EKS-A keeps immutable: tinkerbellIP, the endpoint, the
hardware selector of the control plane and of a worker group that stays) and cleanup,
which removes nothing: the hosts are the user's inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eksa_temporal.ownership import owner_id
from eksa_temporal.providers.base import Ownership
from eksa_temporal.providers.tinkerbell.hardware import csv_sha256
from eksa_temporal.providers.tinkerbell.provider import TinkerbellProvider
from eksa_temporal.spec.clusterspec import HardwareCsvRef
from tests.providers.tinkerbell.test_hardware import csv_text, tinkerbell_spec

PROVIDER = TinkerbellProvider(env={})


def test_an_unchanged_spec_and_a_new_worker_group_may_be_applied() -> None:
    def more(documents: list[dict[str, Any]]) -> None:
        groups = documents[0]["spec"]["workerNodeGroupConfigurations"]
        groups[0]["count"] = 2
        groups.append({**groups[0], "name": "md-1"})
        documents[0]["spec"]["kubernetesVersion"] = "1.32"

    old = tinkerbell_spec()
    assert PROVIDER.validate_upgrade(old, tinkerbell_spec()) == []
    assert PROVIDER.validate_upgrade(old, tinkerbell_spec(more)) == []


def test_selector_ip_and_endpoint_are_immutable() -> None:
    def changed(documents: list[dict[str, Any]]) -> None:
        documents[0]["spec"]["controlPlaneConfiguration"]["endpoint"]["host"] = "10.0.0.11"
        documents[1]["spec"]["tinkerbellIP"] = "192.168.0.6"
        documents[3]["spec"]["hardwareSelector"] = {"type": "big-worker"}

    findings = PROVIDER.validate_upgrade(tinkerbell_spec(), tinkerbell_spec(changed))
    assert [f.check for f in findings] == ["tinkerbell-immutable"] * 3
    paths = [f.path for f in findings]
    assert paths[0] == "TinkerbellDatacenterConfig.spec.tinkerbellIP"
    assert paths[1] == "Cluster.spec.controlPlaneConfiguration.endpoint.host"
    assert "workerNodeGroupConfigurations[md-0]" in paths[2]
    assert "'type': 'big-worker'" in findings[2].message


def test_cleanup_keeps_every_host(tmp_path: Path) -> None:
    path = tmp_path / "hardware.csv"
    path.write_text(csv_text())
    spec = tinkerbell_spec().model_copy(
        update={"hardware_csv": HardwareCsvRef(path=str(path), sha256=csv_sha256(path))}
    )
    result = PROVIDER.cleanup(spec, Ownership(owner=owner_id("wf", "run")))
    assert result.removed == []
    assert result.kept == [f"host {h} (the user's inventory)" for h in ("cp-1", "worker-1", "spare-1")]
