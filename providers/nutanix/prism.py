"""A small client of the Prism Central v3 REST API (``/api/nutanix/v3``): what the Nutanix
preflight reads - clusters, subnets, images, projects and categories.

Requests use HTTP basic auth with the credentials of ``credentials.resolve_credentials``;
TLS is verified against the system CAs plus the datacenter's ``additionalTrustBundle``
(written to a private temporary file for the client's lifetime), or not at all when the
datacenter sets ``insecure: true``, as CAPX and EKS-A do. Lists use Prism's
``POST /<kind>/list`` with ``filter`` / ``offset`` / ``length`` and page until
``metadata.total_matches`` entities were read. Errors carry the HTTP status and Prism's own
message (``message_list[].message``); nothing here logs or returns the password.

Used by ``preflight.py`` (read-only) inside the preflight activity, and by the simulator's
CAPX stand-in for the VMs it makes (``create_vm`` / ``delete_vm``); blocking (``requests``).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import certifi
import requests
from urllib3.exceptions import InsecureRequestWarning

from eksa_temporal.providers.nutanix.credentials import Credentials

API = "/api/nutanix/v3"
PAGE = 100  # entities per list request
MAX_PAGES = 1000  # a bound on paging, whatever the server says

Entity = dict[str, Any]


class PrismError(Exception):
    """A Prism Central request failed: ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PrismClient:
    """Prism Central at ``https://<endpoint>:<port>``; use as a context manager."""

    def __init__(
        self,
        endpoint: str,
        port: int,
        creds: Credentials,
        *,
        trust_bundle: str | None = None,
        insecure: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.base = f"https://{endpoint}:{port}{API}"
        self._timeout = timeout
        self._session = requests.Session()
        self._session.auth = (creds.username, creds.password.get_secret_value())
        self._session.headers.update({"Accept": "application/json"})
        self._session.trust_env = False  # never route Prism calls through a proxy variable
        self._bundle: Path | None = None
        if insecure:
            self._session.verify = False
        elif trust_bundle:
            fd, name = tempfile.mkstemp(prefix="prism-ca-", suffix=".pem")
            with os.fdopen(fd, "w") as f:
                f.write(Path(certifi.where()).read_text() + "\n" + trust_bundle.strip() + "\n")
            self._bundle = Path(name)
            self._session.verify = name

    def __enter__(self) -> PrismClient:
        return self

    def __exit__(
        self, exc: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()
        if self._bundle is not None:
            self._bundle.unlink(missing_ok=True)
            self._bundle = None

    # -- requests ---------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base}/{path.lstrip('/')}"
        try:
            with warnings.catch_warnings():
                # ``insecure: true`` was chosen in the spec; the preflight warns about it once
                warnings.simplefilter("ignore", InsecureRequestWarning)
                resp = self._session.request(method, url, json=body, timeout=self._timeout)
        except requests.exceptions.SSLError as e:
            raise PrismError(0, f"TLS verification of {self.base} failed: {_reason(e)}") from None
        except requests.exceptions.RequestException as e:
            raise PrismError(0, f"cannot reach {self.base}: {_reason(e)}") from None
        if resp.status_code >= 400:
            raise PrismError(resp.status_code, _error_message(resp))
        try:
            data = resp.json()
        except ValueError:
            raise PrismError(resp.status_code, f"{method} {path}: not a JSON answer") from None
        return data if isinstance(data, dict) else {}

    def list_entities(self, kind: str, filter: str = "") -> list[Entity]:
        """Every entity of ``kind`` (``clusters``, ``subnets``, ``images``, ``projects``)
        matching the FIQL ``filter`` (e.g. ``name==web``), all pages read."""
        return list(self._pages(kind, filter))

    def _pages(self, kind: str, filter: str) -> Iterator[Entity]:
        offset = 0
        for _ in range(MAX_PAGES):
            body: dict[str, Any] = {"kind": kind.rstrip("s"), "offset": offset, "length": PAGE}
            if filter:
                body["filter"] = filter
            data = self._call("POST", f"{kind}/list", body)
            entities = [e for e in data.get("entities") or [] if isinstance(e, dict)]
            yield from entities
            offset += len(entities)
            total = int((data.get("metadata") or {}).get("total_matches") or 0)
            if not entities or offset >= total:
                return

    def list_one(self) -> list[Entity]:
        """One cluster (the credentials check: any authenticated list answers)."""
        data = self._call("POST", "clusters/list", {"kind": "cluster", "offset": 0, "length": 1})
        return [e for e in data.get("entities") or [] if isinstance(e, dict)]

    def get(self, kind: str, uuid: str) -> Entity:
        return self._call("GET", f"{kind}/{uuid}")

    def category_value(self, key: str, value: str) -> Entity:
        """``GET /categories/<key>/<value>`` (PrismError 404 when either does not exist)."""
        return self._call("GET", f"categories/{key}/{value}")

    # -- VMs (used by the simulator's CAPX stand-in, as CAPX creates and deletes them) -------
    def create_vm(self, body: Entity) -> str:
        """``POST /vms``; the new VM's uuid (Prism answers 202 and creates it in a task)."""
        return entity_uuid(self._call("POST", "vms", body))

    def delete_vm(self, uuid: str) -> bool:
        """``DELETE /vms/<uuid>``; False when there was no such VM."""
        try:
            self._call("DELETE", f"vms/{uuid}")
        except PrismError as e:
            if e.status == 404:
                return False
            raise
        return True


def entity_name(entity: Entity) -> str:
    """An entity's name (its spec's, else its status's)."""
    for part in ("spec", "status"):
        name = (entity.get(part) or {}).get("name")
        if name:
            return str(name)
    return ""


def entity_uuid(entity: Entity) -> str:
    return str((entity.get("metadata") or {}).get("uuid") or "")


def _error_message(resp: requests.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}"
    messages = (
        [
            str(m.get("message") or m.get("reason"))
            for m in (data.get("message_list") or [])
            if isinstance(m, dict)
        ]
        if isinstance(data, dict)
        else []
    )
    return f"HTTP {resp.status_code}: {'; '.join(messages) or resp.reason}"


def _reason(e: Exception) -> str:
    """The innermost reason of a requests error, short (no URL with credentials)."""
    text = str(e.args[0] if e.args else e)
    known = (
        ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed (the server's CA is not trusted)"),
        ("Failed to resolve", "the name does not resolve"),
        ("Name or service not known", "the name does not resolve"),
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("CERTIFICATE", "TLS handshake failed"),
    )
    for needle, reason in known:
        if needle in text:
            return reason
    return text.split("(Caused by ")[-1].rstrip(")")[:200]
