"""Hand-written CAPI objects for reconciler tests (the provider renderer is tested apart)."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
NS = "eksa-system"


def namespace(name: str = NS) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def cluster_objects(name: str, *, cp: int = 1, workers: int = 2, version: str = "v1.31.2",
                    template: str = "t1", paused: bool = False) -> list[Obj]:
    meta = {"namespace": NS}
    cluster: Obj = {
        "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
        "metadata": {"name": name, **meta},
        "spec": {
            "clusterNetwork": {"pods": {"cidrBlocks": ["192.168.0.0/16"]},
                               "services": {"cidrBlocks": ["10.96.0.0/12"]}},
            "controlPlaneRef": {"apiVersion": "controlplane.cluster.x-k8s.io/v1beta1",
                                "kind": "KubeadmControlPlane", "name": name},
            "infrastructureRef": {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
                                  "kind": "SimCluster", "name": name},
        },
    }
    if paused:
        cluster["spec"]["paused"] = True
    return [
        cluster,
        {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "SimCluster",
         "metadata": {"name": name, **meta}, "spec": {}},
        sim_template(f"{name}-cp-{template}"),
        {"apiVersion": "controlplane.cluster.x-k8s.io/v1beta1", "kind": "KubeadmControlPlane",
         "metadata": {"name": name, **meta},
         "spec": {"replicas": cp, "version": version,
                  "machineTemplate": {"infrastructureRef": {
                      "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
                      "kind": "SimMachineTemplate", "name": f"{name}-cp-{template}"}},
                  "kubeadmConfigSpec": {"clusterConfiguration": {}, "initConfiguration": {},
                                        "joinConfiguration": {}}}},
        sim_template(f"{name}-md-0-{template}"),
        {"apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1", "kind": "KubeadmConfigTemplate",
         "metadata": {"name": f"{name}-md-0-{template}", **meta},
         "spec": {"template": {"spec": {"joinConfiguration": {}}}}},
        {"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "MachineDeployment",
         "metadata": {"name": f"{name}-md-0", **meta},
         "spec": {"clusterName": name, "replicas": workers, "selector": {"matchLabels": {}},
                  "template": {"spec": {
                      "clusterName": name, "version": version,
                      "bootstrap": {"configRef": {
                          "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1",
                          "kind": "KubeadmConfigTemplate", "name": f"{name}-md-0-{template}"}},
                      "infrastructureRef": {
                          "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
                          "kind": "SimMachineTemplate", "name": f"{name}-md-0-{template}"}}}}},
    ]


def sim_template(name: str) -> Obj:
    return {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "SimMachineTemplate",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"template": {"spec": {"cpus": 2, "memoryMiB": 4096}}}}
