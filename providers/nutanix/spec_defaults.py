"""Defaults of ``NutanixMachineConfig`` documents, applied before decoding."""

from __future__ import annotations

from typing import Any

from eksa_temporal.spec.defaults import dict_at

Doc = dict[str, Any]


def machine_defaults(doc: Doc) -> None:
    """EKS-A's ``setNutanixMachineConfigDefaults``: user ``eksa`` and OS family ubuntu."""
    spec = dict_at(doc, "spec")
    if spec is None:
        return
    users = spec.get("users")
    if not users:
        spec["users"] = [{"name": "eksa", "sshAuthorizedKeys": [""]}]
    elif isinstance(users, list) and isinstance(users[0], dict):
        if not users[0].get("name"):
            users[0]["name"] = "eksa"
        if not users[0].get("sshAuthorizedKeys"):
            users[0]["sshAuthorizedKeys"] = [""]
    if not spec.get("osFamily"):
        spec["osFamily"] = "ubuntu"
