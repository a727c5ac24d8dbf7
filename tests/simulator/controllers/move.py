"""A minimal clusterctl-style move between two virtual clusters of one in-process store
(pause, create in the target with new UIDs and rebuilt owner references, delete from the
source with ``delete-for-move`` and finalizers removed, unpause) - test support only."""

from __future__ import annotations

from typing import Any

from eksa_temporal.simulator.apiserver.store import Store

Obj = dict[str, Any]
ORDER = [
    ("cluster.x-k8s.io/v1beta1", "Cluster"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "SimCluster"),
    ("controlplane.cluster.x-k8s.io/v1beta1", "KubeadmControlPlane"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "SimMachineTemplate"),
    ("bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfigTemplate"),
    ("cluster.x-k8s.io/v1beta1", "MachineDeployment"),
    ("cluster.x-k8s.io/v1beta1", "MachineSet"),
    ("cluster.x-k8s.io/v1beta1", "Machine"),
    ("bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfig"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "SimMachine"),
    ("v1", "Secret"),
]


def move(store: Store, src: str, dst: str, ns: str, cluster: str) -> None:
    store.patch(src, "cluster.x-k8s.io/v1beta1", "Cluster", ns, cluster, {"spec": {"paused": True}})
    new_uids: dict[str, str] = {}
    moved: list[Obj] = []
    for av, kind in ORDER:
        for obj in store.list(src, av, kind, ns):
            meta = obj["metadata"]
            old_uid = meta["uid"]
            copy: Obj = {k: v for k, v in obj.items() if k != "status"}
            copy["metadata"] = {k: v for k, v in meta.items()
                                if k in ("name", "namespace", "labels", "annotations", "finalizers")}
            refs = [dict(r, uid=new_uids[r["uid"]]) for r in meta.get("ownerReferences") or [] if r["uid"] in new_uids]
            if refs:
                copy["metadata"]["ownerReferences"] = refs
            created = store.create(dst, copy)
            new_uids[old_uid] = created["metadata"]["uid"]
            moved.append(obj)
    for obj in reversed(moved):
        av, kind, name = obj["apiVersion"], obj["kind"], obj["metadata"]["name"]
        if store.get(src, av, kind, ns, name) is None:
            continue
        store.patch(src, av, kind, ns, name,
                    {"metadata": {"annotations": {"clusterctl.cluster.x-k8s.io/delete-for-move": ""}}})
        store.delete(src, av, kind, ns, name)
        if store.get(src, av, kind, ns, name) is not None:
            store.patch(src, av, kind, ns, name, {"metadata": {"finalizers": None}})
    store.patch(dst, "cluster.x-k8s.io/v1beta1", "Cluster", ns, cluster, {"spec": {"paused": None}})
