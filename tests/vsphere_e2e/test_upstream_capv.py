"""The published CAPV v1.13.1 components (``../shared/upstream-components``), which the
vSphere end-to-end tests install as they are, against what ``providers.vsphere`` renders
and what the sim's CAPV stand-in expects: every rendered kind served at v1beta1, the
controller Deployment the stand-in's controllers are gated on, and CRD schemas that keep
every field the renderer sets and every status field the stand-in writes that Cluster API
reads (a write through the API server prunes undeclared fields)."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

from eksa_temporal.providers.capi.fetch import parse_manifests
from eksa_temporal.simulator import components
from eksa_temporal.simulator.apiserver.schema import prune
from tests.simulator.controllers import harness as h
from tests.support.paths import shared_path
from tests.vsphere_e2e import capv
from tests.vsphere_e2e.capv import INFRA_V, NS
from tests.vsphere_e2e.test_capv_standin import _available, _store

CAPV = ("upstream-components", "infrastructure-vsphere", "v1.13.1", "infrastructure-components.yaml")
# the v1beta2 contract's field: v1beta1 CAPV has none, and Cluster API's v1beta1 contract
# (and the sim's Machine and Cluster controllers) read ``status.ready`` instead
V1BETA2_ONLY = {"status.initialization"}


def _published() -> list[dict[str, Any]]:
    return parse_manifests(shared_path(*CAPV).read_text())


def _schemas() -> dict[str, dict[str, Any]]:
    """kind -> its v1beta1 openAPIV3Schema."""
    out = {}
    for crd in (d for d in _published() if d["kind"] == "CustomResourceDefinition"):
        v1beta1 = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")
        assert v1beta1["served"] and v1beta1["storage"], crd["metadata"]["name"]
        out[crd["spec"]["names"]["kind"]] = v1beta1["schema"]["openAPIV3Schema"]
    return out


def _pruned(obj: dict[str, Any], schemas: dict[str, dict[str, Any]]) -> list[str]:
    return prune(copy.deepcopy(obj), schemas[obj["kind"]])


def test_the_published_capv_serves_the_rendered_kinds_and_runs_the_gated_deployment() -> None:
    rendered = {d["kind"] for d in capv.rendered() if d["apiVersion"] == INFRA_V}
    assert rendered | {"VSphereMachine"} <= set(_schemas())
    gated = components.provider("vsphere")
    deployments = [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in _published() if d["kind"] == "Deployment"]
    assert deployments == [(gated.namespace, gated.deployment)] == [("capv-system", "capv-controller-manager")]


def test_the_published_capv_schemas_keep_every_rendered_field() -> None:
    schemas = _schemas()
    infra = [d for d in capv.rendered(workers=2) if d["apiVersion"] == INFRA_V]
    assert {d["kind"] for d in infra} == {"VSphereCluster", "VSphereMachineTemplate"}
    assert {d["metadata"]["name"]: _pruned(d, schemas) for d in infra} == {d["metadata"]["name"]: [] for d in infra}


def test_the_published_capv_schemas_keep_the_statuses_the_standin_writes(tmp_path: Path) -> None:
    store = _store(tmp_path)

    async def scenario() -> None:
        async with h.running(store, tmp_path):
            await h.wait_for(lambda: _available(store), timeout=20, what="Cluster Available")

    asyncio.run(scenario())
    schemas = _schemas()
    objects = [o for kind in ("VSphereCluster", "VSphereMachine") for o in store.list("mgmt", INFRA_V, kind, NS)]
    assert len(objects) == 4  # the cluster and its three machines
    for obj in objects:
        assert obj["status"]["ready"] is True
        kept = copy.deepcopy(obj)
        assert set(prune(kept, schemas[obj["kind"]])) <= V1BETA2_ONLY, obj["metadata"]["name"]
        assert kept["status"]["ready"] is True and kept["status"]["conditions"] == obj["status"]["conditions"]
        assert kept["spec"] == obj["spec"]  # providerID, controlPlaneEndpoint, template, ...
        if obj["kind"] == "VSphereMachine":
            assert kept["status"]["addresses"] == obj["status"]["addresses"]
