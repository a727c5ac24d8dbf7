"""What SSH-provisioned hosts do on their own, simulated: the sim plays the hosts, not the
provider. The worker is the SSH provider's controller (it claims hosts, runs their
bootstrap data over SSH and writes every ``SSHCluster`` / ``SSHMachine`` status); the sim
never writes those statuses.

- ``SSHCluster``: the workload virtual cluster - the API server ``kubeadm init`` starts on
  the first control-plane host - created for the cluster (with the CAPI Cluster's owner
  label) and removed when the SSHCluster is deleted (finalizer
  ``sshcluster.infrastructure.cluster.x-k8s.io``; not for a move, not while paused; a
  self-managed cluster deleting itself ends with it). The endpoint stays the one the spec
  sets, as with CAPV.
- ``SSHMachine`` with ``status.ready``, a ``spec.providerID`` and a claimed host: the Node
  the host's kubelet registers in the workload cluster, named like the host, with the
  host's address (the SSHMachine's ``InternalIP``) and the provider ID.

No controller Deployment gates these kinds: the provider's component is CRDs only.
"""

from __future__ import annotations

from eksa_temporal.ownership import OWNER_LABEL
from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers import workload as w
from eksa_temporal.simulator.controllers.context import Ctx

SSHCLUSTER_FINALIZER = "sshcluster.infrastructure.cluster.x-k8s.io"
NODE_RETRY_SECONDS = 1.0


def reconcile_sshcluster(ctx: Ctx, sc: o.Obj) -> float | None:
    ref = o.owner_of_kind(sc, "Cluster")
    cluster = ctx.get(o.CLUSTER_V, "Cluster", o.namespace(sc), ref["name"]) if ref else None
    cname = ref["name"] if ref else o.cluster_name_of(sc)
    if o.deleting(sc):
        if SSHCLUSTER_FINALIZER not in o.finalizers(sc) or ctx.paused(sc, cluster):
            return None
        if o.DELETE_FOR_MOVE_ANNOTATION in o.annots(sc) or not cname:
            ctx.remove_finalizer(sc, SSHCLUSTER_FINALIZER)
            return None
        workload = w.workload_cluster_name(cname)
        if workload == ctx.cluster:  # the cluster deleting itself: its API ends last
            ctx.remove_finalizer(sc, SSHCLUSTER_FINALIZER)
            w.delete_virtual_cluster(ctx, workload, itself=True)
            return None
        w.delete_virtual_cluster(ctx, workload)
        ctx.remove_finalizer(sc, SSHCLUSTER_FINALIZER)
        return None
    if cluster is None or cname is None or ctx.paused(sc, cluster):
        return None  # the Cluster controller sets the owner reference first
    ctx.ensure_meta(sc, labels={o.CLUSTER_NAME_LABEL: cname}, finalizer=SSHCLUSTER_FINALIZER)
    owner = str(o.labels(cluster).get(OWNER_LABEL) or "")
    w.ensure_virtual_cluster(ctx, w.workload_cluster_name(cname), {OWNER_LABEL: owner} if owner else None)
    return None


def _internal_ip(sm: o.Obj) -> str:
    for address in o.status(sm).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address.get("address") or "")
    return ""


def reconcile_sshmachine(ctx: Ctx, sm: o.Obj) -> float | None:
    if o.deleting(sm):
        return None  # the host is reset by the worker; the Machine controller removes the Node
    host, provider_id = o.spec(sm).get("hostName"), o.spec(sm).get("providerID")
    ip = _internal_ip(sm)
    if not (o.status(sm).get("ready") and host and provider_id and ip):
        return None
    ref = o.owner_of_kind(sm, "Machine")
    machine = ctx.get(o.CLUSTER_V, "Machine", o.namespace(sm), ref["name"]) if ref else None
    cluster = ctx.owner_cluster(machine if machine is not None else sm)
    if machine is None or cluster is None or ctx.paused(sm, cluster):
        return None
    workload = w.workload_cluster_name(o.name(cluster))
    node = w.ensure_node(ctx, workload, str(host), str(provider_id), machine, ip)
    return NODE_RETRY_SECONDS if node is None else None
