"""The sim's CAPX stand-in (``simulator/controllers/reconcilers/nutanix.py``) gates a
NutanixCluster as CAPX does: not ready without its credentials Secret, with a Secret lacking
a ``basic_auth`` entry, or without the trust bundle ConfigMap it names; ready once they
exist, owning both (so a move takes them along); the Secret's values appear in no reason."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any, cast

from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers.nutanix import NUTANIX, prism_central_problem

Obj = dict[str, Any]
NS = "eksa-system"


class FakeCtx:
    """The two calls the check makes (``get``, ``patch``) over a dict of objects."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], Obj] = {}

    def add(self, obj: Obj) -> Obj:
        self.objects[(obj["kind"], obj["metadata"]["name"])] = obj
        return obj

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        return self.objects.get((kind, name))

    def patch(self, obj: Obj, patch: Obj, *, status: bool = False) -> Obj | None:
        obj["metadata"].update(patch["metadata"])
        return obj


def nutanix_cluster(bundle: bool) -> Obj:
    prism: Obj = {
        "address": "127.0.14.2",
        "port": 9440,
        "credentialRef": {"kind": "Secret", "name": "capx-nx"},
    }
    if bundle:
        prism["additionalTrustBundle"] = {
            "kind": "ConfigMap",
            "name": "nx-trust-bundle",
            "namespace": NS,
        }
    return {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
        "kind": "NutanixCluster",
        "metadata": {"name": "nx", "namespace": NS, "uid": "u-1"},
        "spec": {"prismCentral": prism},
    }


def secret(password: str, kind: str = "basic_auth") -> Obj:
    doc = [{"type": kind, "data": {"prismCentral": {"username": "admin", "password": password}}}]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "capx-nx", "namespace": NS},
        "data": {"credentials": base64.b64encode(json.dumps(doc).encode()).decode()},
    }


def test_the_cluster_waits_for_its_credentials_and_trust_bundle_then_owns_them() -> None:
    ctx, password = FakeCtx(), secrets.token_urlsafe(12)
    nc = nutanix_cluster(bundle=True)

    def problem() -> tuple[str, str] | None:
        return prism_central_problem(cast(Ctx, ctx), nc)

    assert problem() is not None and "trust bundle" in str(problem())
    cm = ctx.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "nx-trust-bundle", "namespace": NS},
            "data": {"ca.crt": "-----BEGIN CERTIFICATE-----"},
        }
    )
    assert "credentials Secret eksa-system/capx-nx not found" in str(problem())
    ctx.add(secret(password, kind="api_key"))
    assert "no basic_auth" in str(problem()) and password not in str(problem())
    made = ctx.add(secret(password))
    assert problem() is None
    for owned in (made, cm):
        assert [(r["kind"], r["name"]) for r in owned["metadata"]["ownerReferences"]] == [
            ("NutanixCluster", "nx")
        ]
    assert (
        NUTANIX.scheme == "nutanix" and NUTANIX.cluster_condition == "PrismCentralClientInitialized"
    )


def test_a_cluster_without_a_trust_bundle_needs_only_the_secret() -> None:
    ctx = FakeCtx()
    ctx.add(secret(secrets.token_urlsafe(12)))
    assert prism_central_problem(cast(Ctx, ctx), nutanix_cluster(bundle=False)) is None
