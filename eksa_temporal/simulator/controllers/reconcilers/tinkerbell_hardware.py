"""Tinkerbell ``Hardware`` as CAPT (cluster-api-provider-tinkerbell) uses it: which hosts a
``TinkerbellMachine``'s ``hardwareAffinity`` selects, claiming one, and releasing it.

A claimed Hardware carries CAPT's labels ``v1alpha1.tinkerbell.org/ownerName`` (the
TinkerbellMachine's name) and ``v1alpha1.tinkerbell.org/ownerNamespace``. Selection follows
CAPT's ``hardwareForMachine``: the Hardware already claimed by the machine first; otherwise
the unclaimed Hardware in the machine's namespace matching any ``required`` term (a
``labelSelector`` with ``matchLabels`` / ``matchExpressions``), ordered by the summed weights
of the ``preferred`` terms it matches, then by name. The claim is one merge patch carrying
the ``resourceVersion`` the selection read (optimistic concurrency, as CAPT's update): a
claim racing another one gets a Conflict and selects again, so a host is never claimed twice.
The claim also adds CAPT's finalizer ``tinkerbellmachine.infrastructure.cluster.x-k8s.io``
(a claimed Hardware is not deleted from under its machine). A provisioned host gets
``netboot.allowPXE: false`` on its interfaces (CAPT v0.6's mark that the host is installed,
so it does not PXE boot again). Releasing removes both labels and the finalizer and allows PXE
again, under the same precondition.
"""

from __future__ import annotations

from typing import Any

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.store_api import Conflict, NotFound

HARDWARE_V = "tinkerbell.org/v1alpha1"
OWNER_NAME_LABEL = "v1alpha1.tinkerbell.org/ownerName"
OWNER_NAMESPACE_LABEL = "v1alpha1.tinkerbell.org/ownerNamespace"
FINALIZER = "tinkerbellmachine.infrastructure.cluster.x-k8s.io"


def matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy a Kubernetes ``LabelSelector`` (empty: everything)."""
    sel = selector or {}
    for key, value in (sel.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in sel.get("matchExpressions") or []:
        key, op = str(expr.get("key") or ""), str(expr.get("operator") or "")
        values = [str(v) for v in expr.get("values") or []]
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def owner_of(hw: o.Obj) -> tuple[str, str] | None:
    """(name, namespace) of the TinkerbellMachine that claimed ``hw``, or None when free."""
    lbl = o.labels(hw)
    if OWNER_NAME_LABEL not in lbl:
        return None
    return lbl[OWNER_NAME_LABEL], lbl.get(OWNER_NAMESPACE_LABEL, "")


def owned_by(hw: o.Obj, tm: o.Obj) -> bool:
    return owner_of(hw) == (o.name(tm), o.namespace(tm) or "")


def assigned(ctx: Ctx, tm: o.Obj) -> o.Obj | None:
    """The Hardware this TinkerbellMachine has claimed (by CAPT's owner labels), if any."""
    selector = f"{OWNER_NAME_LABEL}={o.name(tm)},{OWNER_NAMESPACE_LABEL}={o.namespace(tm)}"
    found = ctx.list(HARDWARE_V, "Hardware", o.namespace(tm), selector)
    return sorted(found, key=o.name)[0] if found else None


def candidates(ctx: Ctx, tm: o.Obj) -> list[o.Obj]:
    """Unclaimed Hardware the machine's ``hardwareAffinity`` allows, best first."""
    affinity = o.spec(tm).get("hardwareAffinity") or {}
    required = affinity.get("required") or [{}]
    preferred = affinity.get("preferred") or []
    free = [
        hw
        for hw in ctx.list(HARDWARE_V, "Hardware", o.namespace(tm))
        if owner_of(hw) is None
        and not o.deleting(hw)
        and any(matches(term.get("labelSelector"), o.labels(hw)) for term in required)
    ]

    def score(hw: o.Obj) -> int:
        return sum(
            int(p.get("weight") or 0)
            for p in preferred
            if matches((p.get("hardwareAffinityTerm") or {}).get("labelSelector"), o.labels(hw))
        )

    return sorted(free, key=lambda hw: (-score(hw), o.name(hw)))


def claim(ctx: Ctx, tm: o.Obj, hw: o.Obj) -> o.Obj | None:
    """Claim ``hw`` (as read, with its resourceVersion) for ``tm``; None when another
    writer changed it first (Conflict) or it is gone: select again."""
    finalizers = [*(f for f in o.finalizers(hw) if f != FINALIZER), FINALIZER]
    return _patch(ctx, hw, {
        "labels": {OWNER_NAME_LABEL: o.name(tm), OWNER_NAMESPACE_LABEL: o.namespace(tm)},
        "finalizers": finalizers,
    })


def release(ctx: Ctx, hw: o.Obj) -> bool:
    """Return ``hw`` to the pool (as read); False on a Conflict (read again and retry)."""
    finalizers = [f for f in o.finalizers(hw) if f != FINALIZER]
    meta = {"labels": {OWNER_NAME_LABEL: None, OWNER_NAMESPACE_LABEL: None}, "finalizers": finalizers or None}
    try:
        ctx.store.patch(ctx.cluster, HARDWARE_V, "Hardware", o.namespace(hw), o.name(hw), {
            "metadata": {"resourceVersion": hw["metadata"]["resourceVersion"], **meta},
            "spec": {"interfaces": _allow_pxe(hw, True)},
        })
    except NotFound:
        return True
    except Conflict:
        return False
    return True


def provisioned(hw: o.Obj) -> bool:
    """CAPT v0.6's "hardware ready": PXE is no longer allowed on any interface."""
    interfaces = o.spec(hw).get("interfaces") or []
    return bool(interfaces) and not any((i.get("netboot") or {}).get("allowPXE") for i in interfaces)


def mark_provisioned(ctx: Ctx, hw: o.Obj) -> o.Obj | None:
    """Disallow PXE on the host's interfaces (as read); None on a Conflict."""
    try:
        return ctx.store.patch(ctx.cluster, HARDWARE_V, "Hardware", o.namespace(hw), o.name(hw), {
            "metadata": {"resourceVersion": hw["metadata"]["resourceVersion"]},
            "spec": {"interfaces": _allow_pxe(hw, False)},
        })
    except (Conflict, NotFound):
        return None


def _allow_pxe(hw: o.Obj, allow: bool) -> list[dict[str, Any]]:
    out = []
    for ifc in o.spec(hw).get("interfaces") or []:
        ifc = dict(ifc)
        if ifc.get("netboot") is not None:
            ifc["netboot"] = {**ifc["netboot"], "allowPXE": allow}
        out.append(ifc)
    return out


def _patch(ctx: Ctx, hw: o.Obj, meta: dict[str, Any]) -> o.Obj | None:
    patch = {"metadata": {"resourceVersion": hw["metadata"]["resourceVersion"], **meta}}
    try:
        return ctx.store.patch(ctx.cluster, HARDWARE_V, "Hardware", o.namespace(hw), o.name(hw), patch)
    except (Conflict, NotFound):
        return None


def interface(hw: o.Obj) -> dict[str, Any]:
    """The first interface's ``dhcp`` block (ip, mac, hostname)."""
    interfaces = o.spec(hw).get("interfaces") or [{}]
    return dict(interfaces[0].get("dhcp") or {})


def hostname(hw: o.Obj) -> str:
    instance = (o.spec(hw).get("metadata") or {}).get("instance") or {}
    return str(interface(hw).get("hostname") or instance.get("hostname") or o.name(hw))


def ip_address(hw: o.Obj) -> str:
    return str((interface(hw).get("ip") or {}).get("address") or "")


def mac(hw: o.Obj) -> str:
    return str(interface(hw).get("mac") or "")
