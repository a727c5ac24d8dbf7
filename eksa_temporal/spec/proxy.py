"""Proxy credentials kept out of workflow histories.

A spec may carry a proxy URL with credentials (``spec.proxyConfiguration.httpProxy:
http://user:pass@10.0.0.1:3128``, also ``httpsProxy``). Workflow inputs are stored in
Temporal's history in clear, so the client (``eksa_temporal.client.operation_input``), before
it starts an operation, takes the password out of the spec text (``split_credentials``):
the URL keeps its user and gets the placeholder ``${EKSA_PROXY_PASSWORD}`` instead of the
password, and the passwords go to ``<c>/generated/<c>.proxy-credentials`` (JSON by field,
mode 0600) in the cluster's output folder once the operation has started. The activities that render objects read that file
and put the password back into the loaded spec (``with_credentials``) just before rendering,
so the machines' bootstrap configuration gets the working URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

PLACEHOLDER = "${EKSA_PROXY_PASSWORD}"
# spec field (camelCase, as in the spec and the credentials file) -> model attribute
FIELDS = {"httpProxy": "http_proxy", "httpsProxy": "https_proxy"}
CREDENTIALS_SUFFIX = ".proxy-credentials"


class ProxyCredentialsError(ValueError):
    """The proxy password cannot be taken out of, or put back into, the spec (one line)."""


def credentials_path(workdir: str | Path, cluster: str) -> Path:
    """``<workdir>/generated/<cluster>.proxy-credentials``."""
    return Path(workdir) / "generated" / f"{cluster}{CREDENTIALS_SUFFIX}"


def _proxy_urls(text: str) -> dict[str, str]:
    """The proxy URLs of the spec's Cluster document, by field."""
    found: dict[str, str] = {}
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return found
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "Cluster":
            continue
        proxy = (
            (doc.get("spec") or {}).get("proxyConfiguration")
            if isinstance(doc.get("spec"), dict)
            else None
        )
        if not isinstance(proxy, dict):
            continue
        for field in FIELDS:
            value = proxy.get(field)
            if isinstance(value, str) and value:
                found[field] = value
    return found


def _password(url: str) -> str | None:
    """The password part of ``url``'s userinfo as written (percent-encoding kept)."""
    if "@" not in url or "://" not in url:
        return None
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return None
    userinfo = netloc.rpartition("@")[0]
    if ":" not in userinfo:
        return None
    password = userinfo.split(":", 1)[1]
    return password if password and password != PLACEHOLDER else None


def _masked(url: str, password: str) -> str:
    scheme, _, rest = url.partition("://")
    userinfo, _, host = rest.rpartition("@")
    user = userinfo.split(":", 1)[0]
    assert userinfo.split(":", 1)[1] == password
    return f"{scheme}://{user}:{PLACEHOLDER}@{host}"


def split_credentials(text: str) -> tuple[str, dict[str, str]]:
    """The spec text with every proxy URL password replaced by ``PLACEHOLDER``, and the
    passwords by field (empty when no proxy URL carries one; the text is then unchanged)."""
    passwords: dict[str, str] = {}
    replacements: dict[str, str] = {}
    for field, url in _proxy_urls(text).items():
        password = _password(url)
        if password is None:
            continue
        passwords[field] = password
        replacements[url] = _masked(url, password)
    for url, masked in replacements.items():
        if url not in text:
            raise ProxyCredentialsError(
                "cannot take the proxy password out of spec.proxyConfiguration (fix: write the proxy "
                "URL as a plain or single-quoted YAML value)"
            )
        text = text.replace(url, masked)
    if any(_password(url) for url in _proxy_urls(text).values()):
        raise ProxyCredentialsError(
            "cannot take the proxy password out of spec.proxyConfiguration (fix: write each proxy URL once, as a plain value)"
        )
    return text, passwords


def write_credentials(path: Path, passwords: Mapping[str, str]) -> None:
    """Store the passwords by field (mode 0600)."""
    from eksa_temporal.files import write_private

    write_private(path, json.dumps(dict(sorted(passwords.items()))) + "\n")


def read_credentials(path: Path) -> dict[str, str]:
    """The passwords by field; raises ``ProxyCredentialsError`` when missing or unreadable."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ProxyCredentialsError(
            f"the spec's proxy URL refers to a password in {path}, which does not exist "
            "(fix: start the operation again with the spec file that carries the proxy password)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ProxyCredentialsError(
            f"cannot read the proxy credentials {path}: {type(exc).__name__}"
        ) from None
    if not isinstance(data, dict):
        raise ProxyCredentialsError(f"cannot read the proxy credentials {path}: not a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def needs_credentials(spec: Any) -> bool:
    """Whether a loaded ``ClusterSpec``'s proxy URLs carry the placeholder."""
    proxy = spec.cluster.spec.proxy_configuration
    return proxy is not None and any(
        PLACEHOLDER in (getattr(proxy, attr) or "") for attr in FIELDS.values()
    )


def with_credentials(spec: Any, passwords: Mapping[str, str]) -> Any:
    """A copy of the loaded ``ClusterSpec`` whose proxy URLs carry the passwords again."""
    proxy = spec.cluster.spec.proxy_configuration
    if proxy is None:
        return spec
    updates: dict[str, str] = {}
    for field, attr in FIELDS.items():
        url = getattr(proxy, attr) or ""
        if PLACEHOLDER not in url:
            continue
        if field not in passwords:
            raise ProxyCredentialsError(
                f"the proxy credentials hold no password for spec.proxyConfiguration.{field} "
                "(fix: start the operation again with the spec file that carries the proxy password)"
            )
        updates[attr] = url.replace(PLACEHOLDER, passwords[field])
    if not updates:
        return spec
    cluster_spec = spec.cluster.spec.model_copy(
        update={"proxy_configuration": proxy.model_copy(update=updates)}
    )
    return spec.model_copy(
        update={"cluster": spec.cluster.model_copy(update={"spec": cluster_spec})}
    )


def resolve(spec: Any, workdir: str | Path) -> Any:
    """``with_credentials`` from the cluster folder's credentials file, when needed."""
    if not needs_credentials(spec):
        return spec
    return with_credentials(spec, read_credentials(credentials_path(workdir, spec.name)))
