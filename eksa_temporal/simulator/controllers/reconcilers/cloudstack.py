"""Stand-ins for CAPC's controllers (cluster-api-provider-cloudstack v0.6.1):
``CloudStackCluster`` and ``CloudStackMachine`` played by the shared infrastructure
controllers (``infra.py``), so a cluster rendered by ``providers.cloudstack`` comes up in
the sim. CAPC's kinds are read at ``infrastructure.cluster.x-k8s.io/v1beta3`` (its storage
version, the one EKS-A renders).

Like CAPC, a ``CloudStackCluster`` becomes ready only when every failure domain's
``acsEndpoint`` Secret exists (in the namespace it names, else the cluster's) with an
``api-key``, ``secret-key`` and ``api-url`` - reported by the ``FailureDomainsReady``
condition; the Secret's values are never read beyond their presence, nor written
anywhere. It keeps the ``controlPlaneEndpoint`` its spec sets (kube-vip's address). A
``CloudStackMachine`` becomes a VM deployed through the failure domain's management API
(``cloudstack_vms.py``: zone, network, template and offering resolved by name or id, the
VM named like the machine) and a machine of the sim's inventory with CAPC's provider ID
``cloudstack:///<the VM's id>`` and ``status.ready`` plus ``addresses``; deleting it (not
for a move) destroys and expunges the VM.

The kinds are reconciled only in a virtual cluster where CAPC's published
``capc-system/capc-controller-manager`` Deployment is Available (the sim ships no CAPC
manifests). Pause and clusterctl's move are honoured by ``infra.py``.
"""

from __future__ import annotations

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers.cloudstack_vms import (
    deprovision_vm,
    provision_vm,
)
from eksa_temporal.simulator.controllers.reconcilers.infra import (
    InfraKind,
    reconcile_infra_cluster,
    reconcile_infra_machine,
)

CAPC_V = "infrastructure.cluster.x-k8s.io/v1beta3"
SCHEME = "cloudstack"
CREDENTIAL_KEYS = ("api-key", "secret-key", "api-url")


def provider_id(instance_id: str) -> str:
    """CAPC's provider ID of an instance: ``cloudstack:///<uuid>``."""
    return f"{SCHEME}:///{instance_id}"


def failure_domain_problem(ctx: Ctx, csc: o.Obj) -> tuple[str, str] | None:
    """Why the cluster's failure domains cannot be used yet (reason, message), or None."""
    domains = o.spec(csc).get("failureDomains") or []
    if not domains:
        return "FailureDomainsNotReady", "no failureDomains"
    for fd in domains:
        endpoint = fd.get("acsEndpoint") or {}
        name = str(endpoint.get("name") or "")
        namespace = str(endpoint.get("namespace") or o.namespace(csc))
        secret = ctx.get("v1", "Secret", namespace, name) if name else None
        if secret is None:
            return "FailureDomainsNotReady", f"failure domain {fd.get('name')}: Secret {namespace}/{name} not found"
        data = {**(secret.get("data") or {}), **(secret.get("stringData") or {})}
        missing = [k for k in CREDENTIAL_KEYS if not data.get(k)]
        if missing:
            return "FailureDomainsNotReady", f"failure domain {fd.get('name')}: Secret {name} has no {', '.join(missing)}"
    return None


CLOUDSTACK = InfraKind(
    cluster_kind="CloudStackCluster",
    machine_kind="CloudStackMachine",
    scheme=SCHEME,
    cluster_check=failure_domain_problem,
    cluster_condition="FailureDomainsReady",
    provision=provision_vm,
    deprovision=deprovision_vm,
    machine_condition="InstanceReady",
)


def reconcile_cloudstackcluster(ctx: Ctx, csc: o.Obj) -> float | None:
    return reconcile_infra_cluster(CLOUDSTACK, ctx, csc)


def reconcile_cloudstackmachine(ctx: Ctx, csm: o.Obj) -> float | None:
    return reconcile_infra_machine(CLOUDSTACK, ctx, csm)
