"""Stand-ins for CAPX's controllers (cluster-api-provider-nutanix v1.10.3):
``NutanixCluster`` and ``NutanixMachine`` played by the shared infrastructure controllers
(``infra.py``), so a cluster rendered by ``providers.nutanix`` comes up in the sim.

Like CAPX, a ``NutanixCluster`` becomes ready only when the credentials Secret its
``spec.prismCentral.credentialRef`` names exists in its namespace with a ``credentials``
document holding a ``basic_auth`` entry for Prism Central, and - when
``prismCentral.additionalTrustBundle`` names a ConfigMap - that ConfigMap exists with a
``ca.crt``; reported by the ``PrismCentralClientInitialized`` condition. As CAPX does, it
adds itself as an owner of that Secret and ConfigMap (so a clusterctl-style move takes them
along).
It keeps the ``controlPlaneEndpoint`` its spec sets (kube-vip's address). A
``NutanixMachine`` becomes a VM in Prism Central (``nutanix_vms.py``) and a machine of the
sim's inventory with CAPX's provider ID ``nutanix://<vm uuid>`` and ``status.ready`` plus
``addresses``; deleting it (not for a move) deletes the VM. The Secret's values are
read only to check their shape, never written into statuses, conditions or logs.

The kinds are reconciled only in a virtual cluster where CAPX's published
``capx-system/capx-controller-manager`` Deployment is Available (the sim ships no CAPX
manifests). Pause and clusterctl's move are honoured by ``infra.py``.
"""

from __future__ import annotations

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers.infra import (
    InfraKind,
    reconcile_infra_cluster,
    reconcile_infra_machine,
)
from eksa_temporal.simulator.controllers.reconcilers.nutanix_vms import (
    deprovision_vm,
    prism_login,
    provision_vm,
)

REASON = "PrismCentralClientInitializationFailed"




def prism_central_problem(ctx: Ctx, nc: o.Obj) -> tuple[str, str] | None:
    """Why CAPX could not build its Prism Central client yet (reason, message), or None;
    a usable credentials Secret gets the NutanixCluster as a (non-controller) owner."""
    prism = o.spec(nc).get("prismCentral") or {}
    ns = o.namespace(nc)
    bundle = prism.get("additionalTrustBundle") or {}
    if bundle.get("kind") == "ConfigMap":
        cm_ns = str(bundle.get("namespace") or ns)
        cm = ctx.get("v1", "ConfigMap", cm_ns, str(bundle.get("name") or ""))
        if cm is None or not (cm.get("data") or {}).get("ca.crt"):
            return (
                REASON,
                f"trust bundle ConfigMap {cm_ns}/{bundle.get('name')} not found or has no ca.crt",
            )
        cm_refs = o.with_owner(cm, nc, controller=False)
        if cm_refs is not None:
            ctx.patch(cm, {"metadata": {"ownerReferences": cm_refs}})
    ref = prism.get("credentialRef") or {}
    name = str(ref.get("name") or "")
    if not name:
        return REASON, "prismCentral.credentialRef is not set"
    secret = ctx.get("v1", "Secret", str(ref.get("namespace") or ns), name)
    if secret is None:
        return REASON, f"credentials Secret {ns}/{name} not found"
    if prism_login(secret) is None:
        return REASON, f"credentials Secret {name} has no basic_auth credentials for Prism Central"
    refs = o.with_owner(secret, nc, controller=False)
    if refs is not None:
        ctx.patch(secret, {"metadata": {"ownerReferences": refs}})
    return None


NUTANIX = InfraKind(
    cluster_kind="NutanixCluster",
    machine_kind="NutanixMachine",
    scheme="nutanix",
    cluster_check=prism_central_problem,
    cluster_condition="PrismCentralClientInitialized",
    provision=provision_vm,
    deprovision=deprovision_vm,
)


def reconcile_nutanixcluster(ctx: Ctx, nc: o.Obj) -> float | None:
    return reconcile_infra_cluster(NUTANIX, ctx, nc)


def reconcile_nutanixmachine(ctx: Ctx, nm: o.Obj) -> float | None:
    return reconcile_infra_machine(NUTANIX, ctx, nm)
