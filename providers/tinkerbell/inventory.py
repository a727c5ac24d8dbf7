"""The bare-metal inventory in the cluster that manages a Tinkerbell cluster: the hardware
CSV's ``Hardware``, BMC ``Machine`` and auth ``Secret`` objects applied there (read first,
only what differs is applied; the Secret's password is filled from the CSV here and goes
straight to the Kubernetes client), and the hosts powered off through their BMCs before
provisioning, as EKS-A does - all hosts, or only those no machine has claimed yet.

A claimed host carries CAPT's ``v1alpha1.tinkerbell.org/ownerName`` label on its
``Hardware``; it is never powered off here, and its Hardware is not re-applied (CAPT owns
its netboot settings while a machine runs on it).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from eksa_temporal.kube.client import Kube
from eksa_temporal.logs import get_logger
from eksa_temporal.providers.tinkerbell.bmc import BmcError, BmcTarget, power_off
from eksa_temporal.providers.tinkerbell.hardware import (
    NAMESPACE,
    Machine,
    bmc_machine_object,
    bmc_secret_object,
    hardware_object,
)

log = get_logger(__name__)
OWNER_NAME_LABEL = "v1alpha1.tinkerbell.org/ownerName"
OWNER_NAMESPACE_LABEL = "v1alpha1.tinkerbell.org/ownerNamespace"
HARDWARE_V = "tinkerbell.org/v1alpha1"

Obj = dict[str, Any]


def contains(live: Any, want: Any) -> bool:
    """Whether ``live`` holds everything ``want`` sets (maps: a superset; lists: same length,
    element-wise; scalars: equal)."""
    if isinstance(want, dict):
        return isinstance(live, dict) and all(
            k in live and contains(live[k], v) for k, v in want.items()
        )
    if isinstance(want, list):
        return (
            isinstance(live, list)
            and len(live) == len(want)
            and all(contains(a, b) for a, b in zip(live, want, strict=True))
        )
    return bool(live == want)


def _secret_matches(live: Obj | None, username: str, password: str) -> bool:
    data = (live or {}).get("data") or {}

    def decoded(key: str) -> str:
        try:
            return base64.b64decode(str(data.get(key) or "")).decode()
        except ValueError:
            return ""

    return decoded("username") == username and decoded("password") == password


def _describe(obj: Obj) -> str:
    return f"{obj['kind']} {obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"


def bmc_connection(url: str) -> Obj:
    """The BMC ``Machine``'s ``spec.connection`` fields for the Redfish URL ``url``: the
    host (with its scheme when it is not https), and the Redfish port
    (``providerOptions.redfish.port``) when the URL names one."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    out: Obj = {"host": host if parts.scheme in ("", "https") else f"{parts.scheme}://{host}"}
    if parts.port:
        out["providerOptions"] = {"redfish": {"port": parts.port}}
    return out


def bmc_machine(m: Machine, redfish_url: Callable[[str], str] | None = None) -> Obj:
    """The host's BMC ``Machine`` (``hardware.bmc_machine_object``), reached at
    ``redfish_url(bmc_ip)`` when given."""
    obj = bmc_machine_object(m)
    if redfish_url is not None:
        obj["spec"]["connection"].update(bmc_connection(redfish_url(m.bmc_ip)))
    return obj


def apply_inventory(
    kube: Kube, machines: Sequence[Machine], redfish_url: Callable[[str], str] | None = None
) -> list[str]:
    """Every host's Hardware, BMC Machine (reached at ``redfish_url(bmc_ip)``) and auth
    Secret in ``eksa-system``, applied when missing or different; returns what was applied
    (empty: all in place). Never logs or returns a password."""
    if kube.get("v1", "Namespace", NAMESPACE) is None:
        kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
    done: list[str] = []
    for m in machines:
        wanted: list[Obj] = [hardware_object(m)]
        if m.has_bmc:
            wanted.insert(0, bmc_machine(m, redfish_url))
        for obj in wanted:
            meta = obj["metadata"]
            live = kube.get(obj["apiVersion"], obj["kind"], meta["name"], meta["namespace"])
            if live is not None and (contains(live, obj) or _claimed(live)):
                continue  # in place, or in use: CAPT owns a claimed host's netboot settings
            kube.apply([obj])
            done.append(f"{_describe(obj)} applied")
        if m.has_bmc:
            secret = bmc_secret_object(m)
            meta = secret["metadata"]
            live = kube.get("v1", "Secret", meta["name"], meta["namespace"])
            password = m.bmc_password.get_secret_value()
            if _secret_matches(live, m.bmc_username, password) and contains(
                live, {"metadata": meta}
            ):
                continue
            secret["stringData"] = {**secret["stringData"], "password": password}
            kube.apply([secret])
            done.append(f"{_describe(secret)} applied")
    log.info("tinkerbell inventory", hosts=len(machines), applied=len(done))
    return done


def _claimed(obj: Obj) -> bool:
    return bool(((obj.get("metadata") or {}).get("labels") or {}).get(OWNER_NAME_LABEL))


def claimed_hosts(kube: Kube) -> set[str]:
    """Names of the Hardware objects a machine has claimed (CAPT's owner labels)."""
    if not kube.serves(HARDWARE_V, "Hardware"):
        return set()
    items, _ = kube.list_objects(HARDWARE_V, "Hardware", NAMESPACE)
    return {str(h["metadata"]["name"]) for h in items if _claimed(h)}


def power_off_hosts(
    targets: Iterable[BmcTarget],
    *,
    skip: Iterable[str] = (),
    timeout: float = 10.0,
    verify: bool = True,
    max_parallel: int = 16,
) -> list[str]:
    """Every host of ``targets`` but those named in ``skip`` powered off (ForceOff, only
    when on), in parallel; returns the hosts powered off. Raises ``BmcError`` naming every
    host that could not be (after trying them all)."""
    skipped = set(skip)
    todo = [t for t in targets if t.hostname not in skipped]
    if not todo:
        return []

    def one(t: BmcTarget) -> tuple[str, bool, str]:
        try:
            return t.hostname, power_off(t, timeout=timeout, verify=verify), ""
        except BmcError as exc:
            return t.hostname, False, str(exc)

    workers = max(1, min(max_parallel, len(todo)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bmc-power") as pool:
        results = list(pool.map(one, todo))
    failed = [error for _, _, error in results if error]
    if failed:
        raise BmcError("; ".join(failed))
    return [f"host {host} powered off" for host, changed, _ in results if changed]
