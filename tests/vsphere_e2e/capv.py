"""Helpers of the CAPV stand-in tests: a vSphere cluster's objects as ``providers.vsphere``
renders them (no vCenter needed to render), with its credentials Secret, and the sim's
``vsphere`` stand-in component installed into a virtual cluster of an in-process store."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from eksa_temporal.providers.base import RenderContext
from eksa_temporal.providers.vsphere.credentials import PASSWORD_ENV, USERNAME_ENV
from eksa_temporal.providers.vsphere.provider import VSphereProvider
from eksa_temporal.simulator import components
from eksa_temporal.simulator.apiserver.store import Store
from eksa_temporal.simulator.store_api import AlreadyExists
from tests.vsphere import specs

Obj = dict[str, Any]
INFRA_V = "infrastructure.cluster.x-k8s.io/v1beta1"
NS = "eksa-system"
ENDPOINT = "127.0.0.201"
PASSWORD = "Standin-Pa55-7d1e"
FAKE_VCENTER = specs.SimInfo(
    server="127.0.0.1:9", thumbprint="AB:" * 19 + "CD", user="u@vsphere.local", password=PASSWORD
)


def rendered(
    name: str = "alpha",
    *,
    workers: int = 2,
    secret: bool = True,
    vcenter: specs.SimInfo = FAKE_VCENTER,
    **machine: Any,
) -> list[Obj]:
    """The namespace, (optionally) the credentials Secret, and every rendered object
    (``machine``: overrides of both machine configs)."""
    env = {USERNAME_ENV: vcenter.user, PASSWORD_ENV: vcenter.password}
    provider = VSphereProvider(env=env)
    spec = specs.spec(
        vcenter, name, endpoint=ENDPOINT, workers=workers, cp=dict(machine), md=dict(machine)
    )
    ctx = RenderContext()
    docs: list[Obj] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}]
    if secret:
        docs.append(provider.credentials_secret(spec, ctx))
    return docs + provider.render_capi_objects(spec, ctx)


def install_standin(store: Store, cluster: str, *, deployments: bool = True) -> None:
    """Apply the ``vsphere`` stand-in component (namespace, CRDs, controller Deployment)."""
    for doc in components.manifests("vsphere"):
        if doc["kind"] == "Deployment" and not deployments:
            continue
        with suppress(AlreadyExists):
            store.create(cluster, doc)


def infra(store: Store, cluster: str, kind: str, name: str) -> Obj | None:
    return store.get(cluster, INFRA_V, kind, NS, name)
