"""Whether a Nutanix cluster of a name already exists, read before a create changes
anything (``NutanixProvider.find_existing``): the VMs CAPX made for a cluster carry its
category ``kubernetes-io-cluster-<name>: owned``; Prism Central's VMs are listed (all
pages) and those carrying it are reported.

CAPX's VMs carry no owner identity of ours, so every VM of the name counts (a create asks
before it makes any). Prism Central refusing the credentials, an untrusted certificate or
an unreachable endpoint report nothing here: the preflight that follows names them.
"""

from __future__ import annotations

from collections.abc import Mapping

from eksa_temporal.providers.nutanix.credentials import credential_findings, resolve_credentials
from eksa_temporal.providers.nutanix.prism import PrismClient, PrismError, entity_name
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.nutanix import NutanixDatacenterConfig


def cluster_category(name: str) -> str:
    """CAPX's category key of a cluster's VMs."""
    return f"kubernetes-io-cluster-{name}"


def find_existing(spec: ClusterSpec, env: Mapping[str, str], timeout: float = 10.0) -> str | None:
    """One line naming the VMs of a cluster named ``spec.name`` in Prism Central, or None."""
    dc = spec.datacenter
    if not isinstance(dc, NutanixDatacenterConfig) or credential_findings(env):
        return None
    key = cluster_category(spec.name)
    client = PrismClient(
        str(dc.spec.endpoint),
        int(dc.spec.port or 9440),
        resolve_credentials(env),
        trust_bundle=str(dc.spec.additional_trust_bundle or "") or None,
        insecure=bool(dc.spec.insecure),
        timeout=timeout,
    )
    try:
        with client:
            vms = client.list_entities("vms")
    except PrismError as e:
        if e.status in (0, 401, 403):
            return None  # the preflight reports why Prism Central cannot be used
        raise
    found = [
        entity_name(vm)
        for vm in vms
        if ((vm.get("metadata") or {}).get("categories") or {}).get(key) == "owned"
    ]
    if not found:
        return None
    shown = ", ".join(sorted(found)[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    return (
        f"{len(found)} VM(s) in Prism Central {dc.spec.endpoint} with category {key}=owned: {shown}"
    )
