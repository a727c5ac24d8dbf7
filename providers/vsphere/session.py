"""One pyvmomi session per provider call: thumbprint check, login, logout on exit.

``vcenter_session`` is the only place that opens a connection to vCenter. It splits
``server`` into host and port (``vc.example.com``, ``vc.example.com:8443``, ``[::1]:443``),
pins the server certificate to the spec's ``thumbprint`` (SHA-1, colon-separated hex, as
EKS-A and govc print it) unless ``insecure`` is set, logs in with the credentials resolved
by the provider and always logs out. Failures become ``VSphereError`` with the field to fix.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict
from pyVim import connect as _connect
from pyVmomi import vim
from pyVmomi.Security import ThumbprintMismatchException

from eksa_temporal.providers.vsphere.credentials import PASSWORD_ENV, USERNAME_ENV, Credentials
from eksa_temporal.providers.vsphere.errors import VSpherePermanentError, VSphereTransientError

DEFAULT_PORT = 443
connect: Any = _connect  # untyped in pyvmomi


class Target(BaseModel):
    """Where to connect and how to trust it (from a ``VSphereDatacenterConfig``)."""

    model_config = ConfigDict(frozen=True)
    server: str
    thumbprint: str = ""
    insecure: bool = False
    # the spec object that holds these fields, for error paths
    source: str = "VSphereDatacenterConfig"


def split_server(server: str) -> tuple[str, int]:
    """``host[:port]`` (IPv6 in brackets; an ``https://`` prefix or ``/sdk`` suffix is
    tolerated) -> (host, port)."""
    text = server.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0]
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    return host, int(port) if port else DEFAULT_PORT


def normalize_thumbprint(value: str) -> str:
    """Upper-case hex pairs joined by colons (accepts any case, with or without colons)."""
    digits = "".join(ch for ch in value if ch.isalnum()).upper()
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def observed_thumbprint(host: str, port: int, timeout: float = 10.0) -> str:
    """SHA-1 thumbprint of the certificate the server presents (no trust decision)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        ctx.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise VSphereTransientError(f"{host}:{port} presented no TLS certificate")
    return normalize_thumbprint(hashlib.sha1(der).hexdigest())


def _trust_context(target: Target, host: str, port: int, timeout: float) -> ssl.SSLContext:
    """The SSL context to log in with, after checking the pin (or the CA chain)."""
    field = f"{target.source}: spec.thumbprint"
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    if target.insecure:
        return unverified
    try:
        seen = observed_thumbprint(host, port, timeout)
    except OSError as exc:
        raise VSphereTransientError(
            f"cannot reach vCenter {host}:{port}: {exc}",
            "check spec.server and that the vCenter is reachable from the worker",
            f"{target.source}: spec.server",
        ) from exc
    if target.thumbprint:
        want = normalize_thumbprint(target.thumbprint)
        if want != seen:
            raise VSpherePermanentError(
                f"thumbprint mismatch: the spec says {want} but {host}:{port} presents {seen}",
                f"set spec.thumbprint to {seen} if you trust this server",
                field,
            )
        return unverified  # pinned: the certificate is exactly the one the user trusts
    verified = ssl.create_default_context()
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            verified.wrap_socket(raw, server_hostname=host),
        ):
            pass
    except ssl.SSLError as exc:
        raise VSpherePermanentError(
            f"the certificate of {host}:{port} is not trusted ({exc.reason})",
            f"set spec.thumbprint to {seen} to pin it, or spec.insecure: true",
            field,
        ) from exc
    return verified


@dataclass(frozen=True)
class Session:
    """A logged-in vCenter: ``si`` (``vim.ServiceInstance``), ``content``, and what the
    REST (tagging) client needs to open its own session on the same server."""

    si: Any
    host: str
    port: int
    ssl_context: ssl.SSLContext
    creds: Credentials = field(repr=False)

    @property
    def content(self) -> Any:
        return self.si.RetrieveContent()


@contextmanager
def vcenter_session(target: Target, creds: Credentials, timeout: float = 30.0) -> Iterator[Session]:
    """Yield a logged-in ``Session``; log out on exit, whatever happens."""
    host, port = split_server(target.server)
    context = _trust_context(target, host, port, min(timeout, 10.0))
    pinned = bool(target.thumbprint) and not target.insecure
    try:
        si = connect.SmartConnect(
            host=host,
            port=port,
            user=creds.username,
            pwd=creds.password.get_secret_value(),
            sslContext=context,
            # pyvmomi re-checks the pin only where CA verification fails on its SOAP
            # connections; the probe above is the check that always runs
            thumbprint=normalize_thumbprint(target.thumbprint) if pinned else None,
            connectionPoolTimeout=int(timeout),
        )
    except ThumbprintMismatchException as exc:
        raise VSpherePermanentError(
            f"thumbprint mismatch: {host}:{port} presents {normalize_thumbprint(exc.actual)}",
            "set spec.thumbprint to the server's thumbprint if you trust this server",
            f"{target.source}: spec.thumbprint",
        ) from exc
    except vim.fault.InvalidLogin as exc:
        raise VSpherePermanentError(
            f"vCenter {host}:{port} rejected the login for user {creds.username!r}",
            f"check {USERNAME_ENV} and {PASSWORD_ENV}",
            USERNAME_ENV,
        ) from exc
    except (OSError, vim.fault.HostConnectFault) as exc:
        raise VSphereTransientError(
            f"cannot reach vCenter {host}:{port}: {exc}",
            "check spec.server and that the vCenter is reachable from the worker",
            f"{target.source}: spec.server",
        ) from exc
    try:
        yield Session(si=si, host=host, port=port, ssl_context=context, creds=creds)
    finally:
        # logging out of a dead session must not hide the real error
        with contextlib.suppress(Exception):
            connect.Disconnect(si)
