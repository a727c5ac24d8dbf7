"""The sim's CAPX stand-in (``simulator/controllers/reconcilers/nutanix.py``) gates a
NutanixCluster as CAPX does: not ready without its credentials Secret, with a Secret lacking
a ``basic_auth`` entry, or without the trust bundle ConfigMap it names; ready once they
exist, owning both (so a move takes them along); the Secret's values appear in no reason.
Each NutanixMachine becomes a VM in the Prism Central emulator (once, by name, on its
cluster's uuid, sized from its spec) and is deleted with it; refused credentials or an
unknown Prism Element cluster fail the machine."""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import Inventory, MachineRecord
from eksa_temporal.simulator.controllers.reconcilers.infra import Step
from eksa_temporal.simulator.controllers.reconcilers.nutanix import NUTANIX, prism_central_problem
from eksa_temporal.simulator.controllers.reconcilers.nutanix_vms import deprovision_vm, provision_vm
from tests.providers.nutanix.emulator import PrismCentral, prism_central, standard_inventory

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


# -- VMs in Prism Central --------------------------------------------------------------------
def capx_objects(
    ctx: FakeCtx, pc: PrismCentral, password: str, pe: str = "prism-element"
) -> tuple[Obj, Obj]:
    """A CAPI Cluster, its NutanixCluster, credentials Secret and trust bundle, and one
    NutanixMachine on Prism Element ``pe``."""
    nc = nutanix_cluster(bundle=True)
    nc["spec"]["prismCentral"].update(address=pc.ip, port=pc.port)
    ctx.add(nc)
    ctx.add(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "nx-trust-bundle", "namespace": NS},
            "data": {"ca.crt": pc.ca_pem},
        }
    )
    doc = [
        {
            "type": "basic_auth",
            "data": {"prismCentral": {"username": pc.username, "password": password}},
        }
    ]
    ctx.add(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "capx-nx", "namespace": NS},
            "stringData": {"credentials": json.dumps(doc)},
        }
    )
    cluster = ctx.add(
        {
            "apiVersion": "cluster.x-k8s.io/v1beta1",
            "kind": "Cluster",
            "metadata": {"name": "nx", "namespace": NS},
            "spec": {"infrastructureRef": {"kind": "NutanixCluster", "name": "nx"}},
        }
    )
    nm = {
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
        "kind": "NutanixMachine",
        "metadata": {
            "name": f"nx-md-0-{secrets.token_hex(3)}",
            "namespace": NS,
            "labels": {"cluster.x-k8s.io/cluster-name": "nx"},
        },
        "spec": {
            "vcpuSockets": 2,
            "vcpusPerSocket": 1,
            "memorySize": "8Gi",
            "cluster": {"type": "name", "name": pe},
        },
    }
    return cluster, nm


def record(tmp: Path, nm: Obj) -> MachineRecord:
    return Inventory(tmp).begin(
        owner_key=nm["metadata"]["name"],
        cluster="nx",
        machine=nm["metadata"]["name"],
        seed=0,
        boot_seconds=0,
        jitter_seconds=0,
        failure_rate=0,
        scheme="nutanix",
    )


def settle(step: Any, again: Any, deadline: float = 20.0) -> Any:
    end = time.monotonic() + deadline
    while (isinstance(step, Step) and step.wait is not None) or isinstance(step, float):
        assert time.monotonic() < end, "the stand-in's Prism Central job did not finish"
        time.sleep(0.05)
        step = again()
    return step


def test_a_machine_becomes_a_vm_in_prism_central_and_is_deleted_with_it(tmp_path: Path) -> None:
    with prism_central(tmp_path / "prism") as pc:
        standard_inventory(pc)
        ctx = FakeCtx()
        cluster, nm = capx_objects(ctx, pc, pc.password)
        rec = record(tmp_path / "inv", nm)

        def provision() -> Any:
            return provision_vm(cast(Ctx, ctx), nm, cluster, rec)

        step = settle(provision(), provision)
        [vm] = pc.entities("vms")
        assert step.provider_id == f"nutanix://{vm['metadata']['uuid']}" and step.failure is None
        assert vm["spec"]["name"] == nm["metadata"]["name"]
        assert vm["spec"]["cluster_reference"]["uuid"] == pc.ids["prism-element"]
        assert vm["spec"]["resources"] == {
            "num_sockets": 2,
            "num_vcpus_per_socket": 1,
            "memory_size_mib": 8192,
        }
        # a retried job (a restarted sim) finds the VM by name: no second VM
        again = settle(provision(), provision)
        assert again.provider_id == step.provider_id and len(pc.entities("vms")) == 1

        bound = replace(rec, provider_id=step.provider_id)

        def deprovision() -> Any:
            return deprovision_vm(cast(Ctx, ctx), nm, bound)

        assert settle(deprovision(), deprovision) is None
        assert pc.entities("vms") == []


def test_refused_credentials_or_an_unknown_cluster_fail_the_machine(tmp_path: Path) -> None:
    with prism_central(tmp_path / "prism") as pc:
        standard_inventory(pc)
        for password, pe, why in (
            (secrets.token_urlsafe(12), "prism-element", "Authentication required"),
            (pc.password, "no-such-pe", "not found"),
        ):
            ctx = FakeCtx()
            cluster, nm = capx_objects(ctx, pc, password, pe)
            rec = record(tmp_path / "inv", nm)

            def provision(
                ctx: FakeCtx = ctx, nm: Obj = nm, cluster: Obj = cluster, rec: MachineRecord = rec
            ) -> Any:
                return provision_vm(cast(Ctx, ctx), nm, cluster, rec)

            step = settle(provision(), provision)
            assert step.failure is not None and why in step.failure and password not in step.failure
        assert pc.entities("vms") == []
