"""Stand-ins for CAPV's controllers (cluster-api-provider-vsphere): ``VSphereCluster`` and
``VSphereMachine`` played by the shared infrastructure controllers (``infra.py``), so a
cluster rendered by ``providers.vsphere`` comes up in the sim.

Like CAPV, a ``VSphereCluster`` becomes ready only when the credentials its
``spec.identityRef`` names exist (a Secret with ``username`` and ``password`` in its
namespace, or a ``VSphereClusterIdentity``), reported by the ``VCenterAvailable``
condition, and it adds itself as an owner of that Secret (so a clusterctl-style move takes
the Secret along); it keeps the ``controlPlaneEndpoint`` the spec sets (kube-vip's). A
``VSphereMachine`` becomes a machine of the sim's inventory with ``spec.providerID``
``vsphere://<uuid>`` and ``status.ready`` plus ``addresses``, as CAPV reports a VM. With the
sim's ``vsphere_clone`` knob on, it is also cloned as a VM in the vCenter it names, and
destroyed with it (``vsphere_vms.py``). The Secret's values are never written into
statuses, conditions or logs.

The kinds are reconciled only in a virtual cluster where the ``vsphere`` stand-in
component's ``capv-system/capv-controller-manager`` Deployment is Available.

Pause is honoured exactly as CAPV does (``annotations.IsPaused(cluster, obj)`` before any
work): a ``VSphereCluster`` or ``VSphereMachine`` whose CAPI Cluster has ``spec.paused``,
or which carries ``cluster.x-k8s.io/paused`` itself, is not reconciled at all - not even
its deletion, so its VM stays. Nothing else protects a VM: like CAPV, the stand-in ignores
clusterctl's ``delete-for-move`` annotation (clusterctl relies on the pause and removes the
finalizers of the objects it moves away), so deleting an unpaused VSphereMachine that still
has its finalizer destroys its VM, wherever the deletion comes from.
"""

from __future__ import annotations

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers.infra import (
    InfraKind,
    reconcile_infra_cluster,
    reconcile_infra_machine,
)
from eksa_temporal.simulator.controllers.reconcilers.vsphere_vms import (
    deprovision_vm,
    provision_vm,
)

IDENTITY_KIND = "VSphereClusterIdentity"
CREDENTIAL_KEYS = ("username", "password")


def identity_problem(ctx: Ctx, vc: o.Obj) -> tuple[str, str] | None:
    """Why the cluster's vCenter credentials are unusable (reason, message), or None; an
    identity Secret that is fine gets the VSphereCluster as a (non-controller) owner, as
    CAPV's ``reconcileIdentitySecret`` does."""
    ref = o.spec(vc).get("identityRef") or {}
    if not ref.get("name"):
        return None  # CAPV then uses the manager's own credentials
    kind, name = str(ref.get("kind") or "Secret"), str(ref["name"])
    if kind == IDENTITY_KIND:
        if ctx.get(o.INFRA_V, IDENTITY_KIND, None, name) is None:
            return "VCenterUnreachable", f"{IDENTITY_KIND} {name} not found"
        return None
    secret = ctx.get("v1", "Secret", o.namespace(vc), name)
    if secret is None:
        return "VCenterUnreachable", f"identityRef Secret {o.namespace(vc)}/{name} not found"
    data = {**(secret.get("data") or {}), **(secret.get("stringData") or {})}
    missing = [k for k in CREDENTIAL_KEYS if not data.get(k)]
    if missing:
        return "VCenterUnreachable", f"identityRef Secret {name} has no {', '.join(missing)}"
    refs = o.with_owner(secret, vc, controller=False)
    if refs is not None:
        ctx.patch(secret, {"metadata": {"ownerReferences": refs}})
    return None


VSPHERE = InfraKind(
    cluster_kind="VSphereCluster",
    machine_kind="VSphereMachine",
    scheme="vsphere",
    cluster_check=identity_problem,
    cluster_condition="VCenterAvailable",
    provision=provision_vm,
    deprovision=deprovision_vm,
)


def reconcile_vspherecluster(ctx: Ctx, vc: o.Obj) -> float | None:
    return reconcile_infra_cluster(VSPHERE, ctx, vc)


def reconcile_vspheremachine(ctx: Ctx, vm: o.Obj) -> float | None:
    if o.deleting(vm) and o.DELETE_FOR_MOVE_ANNOTATION in o.annots(vm):
        vm = without_annotation(vm, o.DELETE_FOR_MOVE_ANNOTATION)  # CAPV has no such rule
    return reconcile_infra_machine(VSPHERE, ctx, vm)


def without_annotation(obj: o.Obj, key: str) -> o.Obj:
    """A copy of ``obj`` (for reading only) without annotation ``key``."""
    meta = obj["metadata"]
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != key}
    return {**obj, "metadata": {**meta, "annotations": annotations}}
