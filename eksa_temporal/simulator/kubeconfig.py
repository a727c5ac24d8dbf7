"""Kubeconfig files for the simulated infrastructure's virtual clusters.

A virtual cluster ``NAME`` is served at ``<server url>/clusters/NAME`` with a bearer token;
the official ``kubernetes`` Python client and ``kubectl`` honour the path prefix in
``server``, so the kubeconfig is an ordinary one (HTTPS with the emulator's own CA). Used by the store (in-process callers),
the admin API and ``eksa-temporal sim create-cluster``.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

from eksa_temporal.files import write_private


def cluster_url(base_url: str, name: str) -> str:
    return f"{base_url.rstrip('/')}/clusters/{name}"


def build_kubeconfig(base_url: str, name: str, token: str, ca_pem: bytes | None = None) -> str:
    """Kubeconfig text with one cluster, user and context, all called ``NAME`` (+ ``-admin``).

    ``ca_pem``: the emulator's CA (HTTPS; kubectl sends tokens only over TLS)."""
    user = f"{name}-admin"
    cluster: dict[str, str] = {"server": cluster_url(base_url, name)}
    if ca_pem:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user}}],
        "current-context": name,
        "preferences": {},
    }
    return yaml.safe_dump(doc, sort_keys=False)


def write_kubeconfig(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` with mode 0600 (parents created); return the path."""
    write_private(path, text)
    return path
