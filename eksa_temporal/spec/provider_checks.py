"""Helpers shared by the provider rule modules: the finding collector for one object, the
table of per-object rules a provider runs (on a spec's objects or on one object alone),
allowed OS families, SSH user rules and Kubernetes quantity parsing. Used by
``validate``, ``validate_providers`` and the per-provider ``validate_*`` modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from eksa_temporal.spec.base import KubeObject, UserConfiguration
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from eksa_temporal.spec.rules_util import Collector, object_prefix

T = TypeVar("T", bound=KubeObject)

OS_FAMILIES = {
    "vsphere": ("ubuntu", "bottlerocket", "redhat"),
    "tinkerbell": ("ubuntu", "bottlerocket", "redhat"),
    "nutanix": ("ubuntu", "redhat"),
    "snow": ("ubuntu", "bottlerocket"),
    "sim": ("ubuntu", "bottlerocket", "redhat"),
}
_QUANTITY = re.compile(r"^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
_BINARY = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}


def object_collector(obj: KubeObject, check: str) -> Collector:
    return Collector(check=check, prefix=object_prefix(obj.kind, obj.name))


@dataclass(frozen=True)
class ObjectRule(Generic[T]):
    """The static rules of one object model: ``check`` runs on every object of ``model``."""

    model: type[T]
    check: Callable[[T], list[Finding]]

    def findings(self, obj: KubeObject | None) -> list[Finding]:
        """The findings for ``obj``; none when it is not of ``model``."""
        return self.check(obj) if isinstance(obj, self.model) else []


def object_findings(obj: KubeObject, rules: Iterable[ObjectRule[Any]]) -> list[Finding]:
    """The findings of the rules for one object on its own (no Cluster to relate it to)."""
    return [f for rule in rules for f in rule.findings(obj)]


def spec_findings(spec: ClusterSpec, rules: Iterable[ObjectRule[Any]]) -> list[Finding]:
    """The findings of the rules for each of the spec's objects, in ``spec.objects()`` order
    (datacenter config, machine configs, ..., Snow IP pools)."""
    table = tuple(rules)
    return [f for obj in spec.objects() for f in object_findings(obj, table)]


def check_os_family(c: Collector, provider: str, family: str | None) -> None:
    allowed = OS_FAMILIES[provider]
    if family not in allowed:
        c.error(
            "spec.osFamily",
            f'osFamily "{family}" is not supported for {provider}'
            if family
            else f"osFamily is not set (required for {provider})",
            f"use one of {', '.join(allowed)}",
        )


def check_users(c: Collector, users: list[UserConfiguration] | None, family: str | None) -> None:
    for i, user in enumerate(users or []):
        if not user.name:
            c.error(
                f"spec.users[{i}].name",
                f"users[{i}].name is not set or is empty",
                "name the SSH user",
            )
        elif i == 0 and family == "bottlerocket" and user.name != "ec2-user":
            c.error(
                f"spec.users[{i}].name",
                f"users[{i}].name {user.name} is invalid. Please use 'ec2-user' for Bottlerocket",
                "set name: ec2-user",
            )


def quantity_bytes(value: str) -> float | None:
    match = _QUANTITY.match(value)
    if not match:
        return None
    unit = match.group(3) or ""
    return float(match.group(1)) * (_BINARY.get(unit) or _DECIMAL[unit])
