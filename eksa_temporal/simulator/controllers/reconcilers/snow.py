"""Stand-ins for CAPAS's controllers (cluster-api-provider-aws-snow): ``AWSSnowCluster`` and
``AWSSnowMachine`` played by the shared infrastructure controllers (``infra.py``), so a
cluster rendered by ``providers.snow`` comes up in the sim.

Like CAPAS, an ``AWSSnowCluster`` becomes ready only when the Secret its ``spec.identityRef``
names exists in its namespace with both the ``credentials`` and the ``ca-bundle`` keys
(reported by the ``SnowDevicesAvailable`` condition), and it adds itself as an owner of that
Secret (so a clusterctl-style move takes it along); it keeps the ``controlPlaneEndpoint``
the spec sets (kube-vip's). An ``AWSSnowMachine`` becomes a machine of the sim's inventory
placed on one of its ``spec.devices`` (chosen by the machine's name), with CAPAS's
``spec.providerID`` ``aws-snow:///<device-ip>/<instance-id>``, ``status.ready`` and
``addresses``. The Secret's values are never read beyond the presence of the keys, nor
written into statuses, conditions or logs.

The kinds are reconciled only in a virtual cluster where the ``snow`` stand-in component's
``capas-system/capas-controller-manager`` Deployment is Available.
"""

from __future__ import annotations

import hashlib

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.inventory import MachineRecord
from eksa_temporal.simulator.controllers.reconcilers.infra import (
    InfraKind,
    Step,
    reconcile_infra_cluster,
    reconcile_infra_machine,
)

CREDENTIAL_KEYS = ("credentials", "ca-bundle")
SCHEME = "aws-snow"


def identity_problem(ctx: Ctx, sc: o.Obj) -> tuple[str, str] | None:
    """Why the cluster's device credentials are unusable (reason, message), or None; a
    Secret that is fine gets the AWSSnowCluster as a (non-controller) owner."""
    ref = o.spec(sc).get("identityRef") or {}
    name = str(ref.get("name") or "")
    if not name:
        return "SnowCredentialsMissing", "spec.identityRef names no Secret"
    secret = ctx.get("v1", "Secret", o.namespace(sc), name)
    if secret is None:
        return "SnowCredentialsMissing", f"identityRef Secret {o.namespace(sc)}/{name} not found"
    data = {**(secret.get("data") or {}), **(secret.get("stringData") or {})}
    missing = [k for k in CREDENTIAL_KEYS if not data.get(k)]
    if missing:
        return "SnowCredentialsMissing", f"identityRef Secret {name} has no {', '.join(missing)}"
    refs = o.with_owner(secret, sc, controller=False)
    if refs is not None:
        ctx.patch(secret, {"metadata": {"ownerReferences": refs}})
    return None


def place_instance(ctx: Ctx, sm: o.Obj, cluster: o.Obj, record: MachineRecord) -> Step:
    """The instance CAPAS would launch: on one of the machine's devices, its providerID
    ``aws-snow:///<device-ip>/<instance-id>``."""
    devices = [str(d) for d in o.spec(sm).get("devices") or []]
    if not devices:
        return Step(failure="spec.devices is empty: no Snow device to launch the instance on")
    digest = hashlib.sha256(f"{o.name(sm)}/{record.id}".encode()).hexdigest()
    device = devices[int(digest[:8], 16) % len(devices)]
    return Step(provider_id=f"{SCHEME}:///{device}/i-{digest[8:25]}")


SNOW = InfraKind(
    cluster_kind="AWSSnowCluster",
    machine_kind="AWSSnowMachine",
    scheme=SCHEME,
    cluster_check=identity_problem,
    cluster_condition="SnowDevicesAvailable",
    provision=place_instance,
    machine_condition="InstanceReady",
)


def reconcile_awssnowcluster(ctx: Ctx, sc: o.Obj) -> float | None:
    return reconcile_infra_cluster(SNOW, ctx, sc)


def reconcile_awssnowmachine(ctx: Ctx, sm: o.Obj) -> float | None:
    return reconcile_infra_machine(SNOW, ctx, sm)
