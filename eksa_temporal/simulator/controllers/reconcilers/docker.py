"""Stand-ins for CAPD's controllers (Cluster API's Docker infrastructure provider):
``DockerCluster`` and ``DockerMachine`` played by the shared infrastructure controllers
(``infra.py``), so a cluster rendered for the Docker provider comes up in the sim.

The kinds are reconciled only in a virtual cluster where CAPD's
``capd-system/capd-controller-manager`` Deployment is Available: CAPD's published
components are applied as they are (the sim ships no manifests for it).

What the sim makes stands for what CAPD makes with Docker:

- a ``DockerCluster`` gets a load balancer "container" ``<cluster>-lb`` in the machine
  inventory (role ``external-load-balancer``), ``spec.controlPlaneEndpoint`` (the
  emulator's address serving the workload cluster, as CAPD reports its load balancer's),
  ``status.ready`` and condition ``LoadBalancerAvailable``;
- a ``DockerMachine`` becomes an inventory machine named like CAPD names its container
  (``<cluster>-<machine>``, or the machine's name alone when it already starts with the
  cluster's name, as CAPD's ``MachineContainerName``), with ``spec.providerID``
  ``docker:////<container name>``, ``status.ready``, ``addresses`` and condition
  ``ContainerProvisioned``. Its Node in the workload cluster is named like the container,
  as a kind node's hostname is.

Every container carries CAPD's labels ``io.x-k8s.kind.cluster=<cluster>`` and
``io.x-k8s.kind.role=control-plane|worker|external-load-balancer`` plus the CAPI Cluster's
owner label, which is what ``docker ps --filter label=...`` answers from. A container
removed underneath (the admin API's machine deletion, ``docker rm -f``) is noticed within
``RECHECK_SECONDS``: its DockerMachine becomes unready and failed, as a machine whose
infrastructure is gone.
"""

from __future__ import annotations

import time

from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx
from eksa_temporal.simulator.controllers.reconcilers.infra import (
    InfraKind,
    owner_key,
    owner_of,
    reconcile_infra_cluster,
    reconcile_infra_machine,
)

CLUSTER_LABEL = "io.x-k8s.kind.cluster"
ROLE_LABEL = "io.x-k8s.kind.role"
CONTROL_PLANE_ROLE = "control-plane"
WORKER_ROLE = "worker"
LOAD_BALANCER_ROLE = "external-load-balancer"
RECHECK_SECONDS = 2.0


def container_name(cluster: str, machine: str) -> str:
    """The container CAPD runs machine ``machine`` of cluster ``cluster`` in."""
    return machine if machine.startswith(cluster) else f"{cluster}-{machine}"


def container_labels(cluster: str, role: str, owner: str = "") -> dict[str, str]:
    labels = {CLUSTER_LABEL: cluster, ROLE_LABEL: role}
    if owner:
        labels[OWNER_LABEL] = owner
    return labels


def describe_machine(machine: o.Obj, cluster: o.Obj) -> tuple[str, dict[str, str]]:
    role = CONTROL_PLANE_ROLE if o.CONTROL_PLANE_LABEL in o.labels(machine) else WORKER_ROLE
    return container_name(o.name(cluster), o.name(machine)), container_labels(o.name(cluster), role)


def _lb_key(ctx: Ctx, dc: o.Obj) -> str:
    return owner_key(ctx, dc) + "/lb"


def ensure_load_balancer(ctx: Ctx, dc: o.Obj) -> tuple[str, str] | None:
    """The cluster's load balancer container (created running when missing); never blocks
    the DockerCluster's readiness."""
    ref = o.owner_of_kind(dc, "Cluster")
    cluster = ctx.get(o.CLUSTER_V, "Cluster", o.namespace(dc), ref["name"]) if ref else None
    if cluster is None or ctx.inventory.by_owner(_lb_key(ctx, dc)) is not None:
        return None
    cname, owner = o.name(cluster), owner_of(cluster)
    record = ctx.inventory.begin(
        owner_key=_lb_key(ctx, dc),
        cluster=cname,
        machine="",
        seed=ctx.knobs().seed,
        boot_seconds=0.0,
        jitter_seconds=0.0,
        failure_rate=0.0,
        scheme="docker",
        owner=owner,
        name=f"{cname}-lb",
        labels=container_labels(cname, LOAD_BALANCER_ROLE, owner),
    )
    if record.boot_at <= time.time():
        ctx.inventory.mark_running(record.id)
    return None


def remove_load_balancer(ctx: Ctx, dc: o.Obj) -> None:
    record = ctx.inventory.by_owner(_lb_key(ctx, dc))
    if record is not None:
        ctx.inventory.mark_deleted(record.id)


DOCKER = InfraKind(
    cluster_kind="DockerCluster",
    machine_kind="DockerMachine",
    scheme="docker",
    cluster_check=ensure_load_balancer,
    cluster_condition="LoadBalancerAvailable",
    describe=describe_machine,
    machine_condition="ContainerProvisioned",
    recheck_seconds=RECHECK_SECONDS,
    cluster_deprovision=remove_load_balancer,
)


def reconcile_dockercluster(ctx: Ctx, dc: o.Obj) -> float | None:
    return reconcile_infra_cluster(DOCKER, ctx, dc)


def reconcile_dockermachine(ctx: Ctx, dm: o.Obj) -> float | None:
    return reconcile_infra_machine(DOCKER, ctx, dm)
