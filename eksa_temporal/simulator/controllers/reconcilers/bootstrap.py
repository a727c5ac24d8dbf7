"""The kubeadm bootstrap provider's controller (CABPK), simulated: a ``KubeadmConfig``
owned by a Machine gets its bootstrap data - cloud-init text running ``kubeadm init`` or
``kubeadm join`` - in a Secret named after it, referenced by ``status.dataSecretName``.

Like CABPK it waits for the Cluster's infrastructure, and a join configuration waits for
the control plane to be initialized. An existing data Secret (e.g. moved with the
cluster) is adopted rather than regenerated.
"""

from __future__ import annotations

import base64
from typing import Any

import yaml

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx


def reconcile_kubeadmconfig(ctx: Ctx, kc: o.Obj) -> float | None:
    if o.deleting(kc):
        return None
    ref = o.owner_of_kind(kc, "Machine")
    machine = ctx.get(o.CLUSTER_V, "Machine", o.namespace(kc), ref["name"]) if ref else None
    cluster = ctx.owner_cluster(machine if machine is not None else kc)
    if machine is None or cluster is None or ctx.paused(kc, cluster):
        return None
    kc = ctx.ensure_meta(kc, labels={o.CLUSTER_NAME_LABEL: o.name(cluster)})
    secret_name = o.name(kc)
    secret = ctx.get("v1", "Secret", o.namespace(kc), secret_name)
    if secret is None:
        if not o.status(cluster).get("infrastructureReady"):
            return _waiting(ctx, kc, "WaitingForClusterInfrastructure")
        join = is_join(kc)
        if join and not o.is_true(cluster, "ControlPlaneInitialized"):
            return _waiting(ctx, kc, "WaitingForControlPlaneAvailable")
        text = cloud_init(kc, machine, join=join)
        ctx.create(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "cluster.x-k8s.io/secret",
                "metadata": {
                    "name": secret_name,
                    "namespace": o.namespace(kc),
                    "labels": {o.CLUSTER_NAME_LABEL: o.name(cluster)},
                    "ownerReferences": [o.owner_ref(kc)],
                },
                "data": {
                    "value": base64.b64encode(text.encode()).decode(),
                    "format": base64.b64encode(b"cloud-config").decode(),
                },
            }
        )
    ctx.set_status(
        kc,
        {
            "ready": True,
            "dataSecretName": secret_name,
            "initialization": {"dataSecretCreated": True},
            "observedGeneration": kc["metadata"].get("generation", 1),
            "conditions": o.merge_conditions(
                o.status(kc).get("conditions"),
                [
                    o.condition("Ready", True),
                    o.condition("DataSecretAvailable", True),
                    o.condition("CertificatesAvailable", True),
                ],
            ),
        },
    )
    return None


def is_join(kc: o.Obj) -> bool:
    """A join configuration: ``joinConfiguration`` set, or no ``initConfiguration``."""
    sp = o.spec(kc)
    return "joinConfiguration" in sp or "initConfiguration" not in sp


def _waiting(ctx: Ctx, kc: o.Obj, reason: str) -> float | None:
    ctx.set_status(
        kc,
        {
            "ready": False,
            "observedGeneration": kc["metadata"].get("generation", 1),
            "conditions": o.merge_conditions(
                o.status(kc).get("conditions"),
                [
                    o.condition("Ready", False, reason, severity="Info"),
                    o.condition("DataSecretAvailable", False, reason, severity="Info"),
                ],
            ),
        },
    )
    return None


def cloud_init(kc: o.Obj, machine: o.Obj, *, join: bool) -> str:
    """Bootstrap data as CABPK writes it (cloud-config): the configured files, the kubeadm
    configuration, pre/post commands around ``kubeadm init|join``."""
    sp = o.spec(kc)
    files: list[dict[str, Any]] = []
    for f in sp.get("files") or []:
        entry = {k: v for k, v in f.items() if k in ("path", "owner", "permissions", "content")}
        if "contentFrom" in f:
            entry["content"] = f"# from secret {f['contentFrom'].get('secret', {}).get('name', '')}"
        files.append(entry)
    kubeadm_doc: dict[str, Any] = {
        k: sp[k] for k in ("clusterConfiguration", "initConfiguration", "joinConfiguration") if k in sp
    }
    kubeadm_doc["kubernetesVersion"] = o.spec(machine).get("version", "")
    files.append(
        {
            "path": "/run/kubeadm/kubeadm.yaml" if not join else "/run/kubeadm/kubeadm-join-config.yaml",
            "owner": "root:root",
            "permissions": "0640",
            "content": yaml.safe_dump(kubeadm_doc, sort_keys=True),
        }
    )
    verb = (
        "kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml"
        if join
        else "kubeadm init --config /run/kubeadm/kubeadm.yaml"
    )
    doc = {
        "write_files": files,
        "runcmd": [*(sp.get("preKubeadmCommands") or []), verb, *(sp.get("postKubeadmCommands") or [])],
        "users": sp.get("users") or [],
    }
    return "## template: jinja\n#cloud-config\n" + yaml.safe_dump(doc, sort_keys=False)
