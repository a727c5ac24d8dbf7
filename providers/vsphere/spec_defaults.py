"""Defaults of ``VSphereMachineConfig`` documents (EKS-A's ``SetDefaults`` and the
CLI's user defaults) and of ``VSphereDatacenterConfig`` documents, applied before decoding."""

from __future__ import annotations

from typing import Any

from eksa_temporal.spec.defaults import default_user_name

Doc = dict[str, Any]


def machine_defaults(doc: Doc) -> None:
    spec = doc.get("spec")
    if spec is None:
        spec = doc["spec"] = {}
    if not isinstance(spec, dict):
        return
    for key, value in (("memoryMiB", 8192), ("numCPUs", 2), ("diskGiB", 25)):
        current = spec.get(key)
        if current is None or (type(current) is int and current <= 0):
            spec[key] = value
    memory = spec.get("memoryMiB")
    if type(memory) is int and memory < 2048:
        spec["memoryMiB"] = 2048  # EKS-A raises a smaller size to its minimum
    if not spec.get("osFamily"):
        spec["osFamily"] = "bottlerocket"
    default_user_name(spec, "ec2-user" if spec.get("osFamily") == "bottlerocket" else "capv")


def datacenter_defaults(doc: Doc) -> None:
    """``insecure: false`` when unset: EKS-A's Go type always writes the field (no
    ``omitempty``) and its CRD requires it, so an object written without it is refused by
    the API server."""
    spec = doc.get("spec")
    if isinstance(spec, dict) and spec.get("insecure") is None:
        spec["insecure"] = False
