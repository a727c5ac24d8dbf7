"""The sim provider's credentials check against a real sim process (admin token from the
state dir or ``EKSA_SIM_ADMIN_TOKEN``), and leak cleanup; the token never appears."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from eksa_temporal.ownership import OWNER_LABEL, owner_id
from eksa_temporal.providers.base import Ownership
from eksa_temporal.providers.sim.provider import TOKEN_ENV, SimProvider
from eksa_temporal.simulator.controllers.inventory import Inventory
from tests.support.sim import SimServer


def _spec(state_dir: Path, name: str = "c1") -> SimpleNamespace:
    return SimpleNamespace(name=name, datacenter=SimpleNamespace(spec=SimpleNamespace(state_dir=str(state_dir))))


def test_credentials_are_valid_from_the_state_dir_and_wrong_ones_are_reported(
    shared_sim: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim_server = shared_sim
    provider = SimProvider()
    spec = _spec(sim_server.state_dir)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert provider.validate_credentials(spec) == []
    monkeypatch.setenv(TOKEN_ENV, "not-the-token")
    [finding] = provider.validate_credentials(spec)
    assert "rejected" in finding.message and TOKEN_ENV in finding.remediation
    token = (sim_server.state_dir / "admin-token").read_text().strip()
    assert token not in finding.line()
    monkeypatch.setenv(TOKEN_ENV, token)
    assert provider.validate_credentials(spec) == []


def test_a_missing_or_unreachable_sim_is_a_finding_with_a_remedy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    provider = SimProvider()
    [missing] = provider.validate_credentials(_spec(tmp_path))
    assert "no sim admin token" in missing.message and "sim serve" in missing.remediation
    (tmp_path / "admin-token").write_text("x\n")
    (tmp_path / "server.json").write_text('{"url": "http://127.0.0.1:9", "pid": 1}')
    [down] = provider.validate_credentials(_spec(tmp_path))
    assert down.check == "sim-reachable" and "sim serve --state-dir" in down.remediation


def test_cleanup_removes_the_owners_machines_and_virtual_cluster(shared_sim: SimServer) -> None:
    sim_server = shared_sim
    mine = owner_id("eksa/default/c1", "run-1")
    sim_server.client.create_cluster("c1", {OWNER_LABEL: mine})
    inv = Inventory(sim_server.state_dir)
    rec = inv.begin(owner_key="k", cluster="c1", machine="m", seed=0, boot_seconds=0,
                    jitter_seconds=0, failure_rate=0, owner=mine)
    inv.mark_running(rec.id)
    other = inv.begin(owner_key="k2", cluster="c2", machine="m2", seed=0, boot_seconds=0,
                      jitter_seconds=0, failure_rate=0, owner=owner_id("eksa/default/c2", "run-1"))
    same_name = inv.begin(owner_key="k3", cluster="c1", machine="m3", seed=0, boot_seconds=0,
                          jitter_seconds=0, failure_rate=0)  # c1's name, but no owner
    provider = SimProvider(sim_server.state_dir)
    result = provider.cleanup(_spec(sim_server.state_dir), Ownership(owner=mine))
    assert result.removed == [f"machine {rec.provider_id}", "virtual cluster c1"]
    assert "c1" not in {c["name"] for c in sim_server.client.clusters()}
    states = {m["id"]: m["exists"] for m in sim_server.client.machines()}
    assert (states[rec.id], states[other.id], states[same_name.id]) == (False, True, True)
    assert provider.cleanup(_spec(sim_server.state_dir), Ownership(owner=mine)).removed == []


def test_preflight_passes_on_a_running_sim_and_warns_about_leftover_machines(shared_sim: SimServer) -> None:
    import yaml

    from eksa_temporal.providers.base import PreflightOptions
    from eksa_temporal.spec.generate import generate_cluster_config
    from eksa_temporal.spec.load import load_spec

    docs = list(yaml.safe_load_all(generate_cluster_config("pf1", "sim")))
    docs[1]["spec"]["stateDir"] = str(shared_sim.state_dir)
    loaded = load_spec(yaml.safe_dump_all(docs))
    assert loaded.spec is not None, loaded.findings
    provider = SimProvider()
    assert provider.preflight(loaded.spec, PreflightOptions()) == []
    inv = Inventory(shared_sim.state_dir)
    inv.begin(owner_key="pf", cluster="pf1", machine="m", seed=0, boot_seconds=0, jitter_seconds=0, failure_rate=0)
    [warning] = provider.preflight(loaded.spec, PreflightOptions())
    assert not warning.is_error and warning.check == "sim-leftover-machines"
