"""Proxy settings on the machines, rendered as EKS-A does for every kubeadm-based provider:
a containerd drop-in ``/etc/systemd/system/containerd.service.d/http-proxy.conf`` with
``HTTP_PROXY``, ``HTTPS_PROXY`` and ``NO_PROXY`` (the pod and service CIDRs, the spec's
``noProxy``, ``localhost``, ``127.0.0.1``, ``.svc`` and the control-plane endpoint), plus
``preKubeadmCommands`` that reload systemd and restart containerd.

Each function takes the EKS-A ``Cluster`` object (``ClusterSpec.cluster``). The spec handed
to a renderer already carries the working proxy URLs: the provision activity puts the
password back (``eksa_temporal.spec.proxy.resolve``). Used by the providers' renderers
(``providers/sim/render.py``, ``providers/docker/render.py``, ``providers/vsphere/view.py``
for ``vsphere/render.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

HTTP_PROXY_FILE = "/etc/systemd/system/containerd.service.d/http-proxy.conf"
NO_PROXY_DEFAULTS = ("localhost", "127.0.0.1", ".svc")
RESTART_CONTAINERD = ["sudo systemctl daemon-reload", "sudo systemctl restart containerd"]


def _configuration(cluster: Any) -> Any:
    return cluster.spec.proxy_configuration


def no_proxy(cluster: Any, extra: Iterable[str] = ()) -> list[str]:
    """Where machines go without the proxy (EKS-A's order, duplicates dropped); ``extra``:
    provider endpoints (the vCenter server)."""
    conf = _configuration(cluster)
    net = cluster.spec.cluster_network
    pods = list((net.pods.cidr_blocks if net and net.pods else None) or [])
    services = list((net.services.cidr_blocks if net and net.services else None) or [])
    endpoint = cluster.spec.control_plane_configuration.endpoint
    hosts = [endpoint.host] if endpoint is not None and endpoint.host else []
    out: list[str] = []
    for item in [*pods, *services, *(conf.no_proxy or []), *NO_PROXY_DEFAULTS, *extra, *hosts]:
        if item and str(item) not in out:
            out.append(str(item))
    return out


def proxy_files(cluster: Any, extra_no_proxy: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The containerd proxy drop-in as a kubeadm ``files`` entry (none without a proxy)."""
    conf = _configuration(cluster)
    if conf is None:
        return []
    content = (
        "[Service]\n"
        f'Environment="HTTP_PROXY={conf.http_proxy or ""}"\n'
        f'Environment="HTTPS_PROXY={conf.https_proxy or ""}"\n'
        f'Environment="NO_PROXY={",".join(no_proxy(cluster, extra_no_proxy))}"\n'
    )
    return [{"content": content, "owner": "root:root", "path": HTTP_PROXY_FILE}]


def proxy_commands(cluster: Any) -> list[str]:
    """``preKubeadmCommands`` that make containerd use the drop-in (none without a proxy)."""
    return list(RESTART_CONTAINERD) if _configuration(cluster) is not None else []
