"""clusterctl's ``move`` label: objects of a kind whose CRD carries it (Tinkerbell's
Hardware, Rufio's BMC Machines), or objects labelled with it themselves (the BMC auth
Secrets), are moved although no Cluster owns them - with what they own - and only from the
namespace being moved."""

from __future__ import annotations

from typing import Any

from eksa_temporal.kube.move import graph
from eksa_temporal.kube.move.model import MOVE_LABEL


def obj(api: str, kind: str, name: str, ns: str = "eksa-system", owner: str | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "uid": f"{ns}/{kind}/{name}", "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [{"uid": owner}]
    return {"apiVersion": api, "kind": kind, "metadata": meta}


def test_force_moved_kinds_and_labelled_objects_go_with_the_cluster() -> None:
    objects = [
        obj("cluster.x-k8s.io/v1beta1", "Cluster", "bm"),
        obj("tinkerbell.org/v1alpha1", "Hardware", "host-0"),
        obj("bmc.tinkerbell.org/v1alpha1", "Machine", "bmc-host-0"),
        obj("v1", "Secret", "bmc-host-0-auth", labels={MOVE_LABEL: "true"}),
        obj("v1", "ConfigMap", "owned-by-hardware", owner="eksa-system/Hardware/host-0"),
        obj("v1", "Secret", "unrelated"),
        obj("tinkerbell.org/v1alpha1", "Hardware", "elsewhere", ns="other"),
    ]
    forced = [("tinkerbell.org", "Hardware"), ("bmc.tinkerbell.org", "Machine")]
    for cluster in ("bm", None):
        nodes = graph.select(graph.build_nodes(objects, (), forced), cluster, "eksa-system")
        assert {n.name for n in nodes} == {"bm", "host-0", "bmc-host-0", "bmc-host-0-auth", "owned-by-hardware"}
    # without the label nothing but the Cluster moves
    plain = graph.select(graph.build_nodes(objects[:3]), "bm", "eksa-system")
    assert [n.name for n in plain] == ["bm"]
