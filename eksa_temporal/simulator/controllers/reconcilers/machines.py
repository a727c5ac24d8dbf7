"""Creating and choosing Machines, shared by the KubeadmControlPlane and MachineSet
controllers: clone the infrastructure template into a SimMachine, write the KubeadmConfig,
then create the Machine referencing both (all three share the Machine's name, as
Cluster API does), and the facts a rollout needs (up to date, ready, oldest first).
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx

_ALPHABET = string.ascii_lowercase + string.digits


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def create_machine(
    ctx: Ctx,
    *,
    owner: o.Obj,
    cluster: o.Obj,
    prefix: str,
    selector: str,
    version: str | None,
    labels: dict[str, str],
    infra_ref: dict[str, Any],
    bootstrap_spec: dict[str, Any],
    annotations: dict[str, str] | None = None,
) -> o.Obj | None:
    """Create the SimMachine (cloned from ``infra_ref``), the KubeadmConfig and the Machine,
    named ``<prefix>-<random>``; None when the infrastructure template does not exist (yet).
    A creation interrupted by a crash (infrastructure machine without its Machine, found by
    ``selector``) is completed under the same name instead of starting another."""
    ns = o.namespace(owner)
    template = ctx.ref(infra_ref, ns)
    if template is None:
        return None
    infra_kind = str(template["kind"]).removesuffix("Template")
    name = _interrupted(ctx, owner, template["apiVersion"], infra_kind, selector) or (
        f"{prefix}-{random_suffix()}"
    )
    labels = {**labels, o.CLUSTER_NAME_LABEL: o.name(cluster)}
    cloned = {
        o.CLONED_FROM_NAME: o.name(template),
        o.CLONED_FROM_KIND: f"{template['kind']}.{template['apiVersion'].rpartition('/')[0]}",
    }
    tmpl_spec = dict(((o.spec(template).get("template") or {}).get("spec")) or {})
    tmpl_spec.pop("providerID", None)
    ctx.create(
        {
            "apiVersion": template["apiVersion"],
            "kind": infra_kind,
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": labels,
                "annotations": cloned,
                "ownerReferences": [o.owner_ref(owner)],
            },
            "spec": tmpl_spec,
        }
    )
    ctx.create(
        {
            "apiVersion": o.BOOTSTRAP_V,
            "kind": "KubeadmConfig",
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": labels,
                "ownerReferences": [o.owner_ref(owner)],
            },
            "spec": bootstrap_spec,
        }
    )
    spec: dict[str, Any] = {
        "clusterName": o.name(cluster),
        "bootstrap": {
            "configRef": {"apiVersion": o.BOOTSTRAP_V, "kind": "KubeadmConfig", "name": name, "namespace": ns}
        },
        "infrastructureRef": {
            "apiVersion": template["apiVersion"], "kind": infra_kind, "name": name, "namespace": ns
        },
    }
    if version:
        spec["version"] = version
    return ctx.create(
        {
            "apiVersion": o.CLUSTER_V,
            "kind": "Machine",
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": labels,
                "annotations": annotations or {},
                "ownerReferences": [o.owner_ref(owner)],
            },
            "spec": spec,
        }
    )


def adopt_templates(ctx: Ctx, cluster: o.Obj, owner: o.Obj, refs: list[dict[str, Any] | None]) -> None:
    """Make ``cluster`` an owner (not the controller) of the templates ``refs`` name, as
    Cluster API's KubeadmControlPlane and MachineDeployment controllers do, so that a
    clusterctl-style move takes the templates along with the cluster."""
    for ref in refs:
        template = ctx.ref(ref, o.namespace(owner))
        if template is None:
            continue
        owners = o.with_owner(template, cluster, controller=False)
        if owners is not None:
            ctx.patch(template, {"metadata": {"ownerReferences": owners}})


def _interrupted(ctx: Ctx, owner: o.Obj, api_version: str, kind: str, selector: str) -> str | None:
    """The name of an infrastructure machine still controlled by ``owner`` (so never
    adopted by a Machine) whose Machine does not exist."""
    uid = owner["metadata"].get("uid")
    for infra in ctx.list(api_version, kind, o.namespace(owner), selector):
        ref = next((r for r in infra["metadata"].get("ownerReferences") or [] if r.get("controller")), None)
        if ref is None or ref.get("uid") != uid or o.deleting(infra):
            continue
        if ctx.get(o.CLUSTER_V, "Machine", o.namespace(owner), o.name(infra)) is None:
            return o.name(infra)
    return None


def infra_template_name(ctx: Ctx, m: o.Obj) -> str | None:
    """The template a Machine's infrastructure machine was cloned from."""
    infra = ctx.ref(o.spec(m).get("infrastructureRef"), o.namespace(m))
    return o.annots(infra).get(o.CLONED_FROM_NAME) if infra is not None else None


def machine_ready(m: o.Obj) -> bool:
    return bool(o.status(m).get("nodeRef")) and o.is_true(m, "Ready")


def machine_failed(m: o.Obj) -> bool:
    return bool(o.status(m).get("failureReason"))


def oldest_first(machines: list[o.Obj]) -> list[o.Obj]:
    return sorted(
        machines, key=lambda m: (m["metadata"].get("creationTimestamp", ""), o.name(m))
    )


def delete_priority(machines: list[o.Obj]) -> list[o.Obj]:
    """Which machines to remove first on scale-down: failed, then not ready, then oldest."""
    return sorted(
        oldest_first(machines),
        key=lambda m: (0 if machine_failed(m) else 1 if not machine_ready(m) else 2),
    )
