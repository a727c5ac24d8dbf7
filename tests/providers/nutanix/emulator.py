"""An HTTPS emulator of Nutanix Prism Central's v3 REST API for the tests, with its
inventory in memory: clusters (Prism Elements), subnets, images, projects, categories and
VMs, as ``/api/nutanix/v3`` serves them.

It follows Prism's published API where the product reads it: HTTP basic auth checked on
every call (401 with Prism's error body and ``WWW-Authenticate`` otherwise; 403
``ACCESS_DENIED`` for an account without the role, ``add_viewer``);
``POST /<kind>/list`` with ``kind`` / ``offset`` / ``length`` / ``filter`` (FIQL
``name==<value>``; ``length`` capped as Prism does), answering ``metadata.total_matches``
and one page of ``entities``; ``GET /<kind>/<uuid>`` (404 ``ENTITY_NOT_FOUND``);
``GET /categories/<key>/<value>``; ``POST /vms`` (202; 422 for an unknown cluster uuid)
and ``DELETE /vms/<uuid>``. Entities have
Prism's shape (``metadata.uuid``, ``spec.name``, ``status``; subnets carry
``spec.cluster_reference`` and ``spec.resources.subnet_type``).

TLS: a CA made per run (``ca_pem``) signs the server certificate for the emulator's IP
address, so a client trusts it only with that CA. The server is a thread of the test
process on its own loopback address (default 127.0.14.2) and a free port; ``requests``
records the method and path of each authenticated call (tests assert pagination).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import secrets
import socket
import ssl
import threading
import uuid as uuidlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

API = "/api/nutanix/v3"
ADDRESS = "127.0.14.2"
MAX_LENGTH = 500  # Prism caps a page at 500 entities
KINDS = ("clusters", "subnets", "images", "projects", "vms")
Entity = dict[str, Any]


def make_ca_and_server_cert(directory: Path, ip: str) -> tuple[str, Path, Path]:
    """A CA (PEM text) and a server certificate/key it signed for ``ip`` (file paths)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"prism-test-ca-{secrets.token_hex(4)}")]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "prism-central")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "prism.crt", directory / "prism.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return ca.public_bytes(serialization.Encoding.PEM).decode(), cert_path, key_path


def _error(code: int, reason: str, message: str, kind: str = "") -> Entity:
    body: Entity = {
        "api_version": "3.1",
        "code": code,
        "message_list": [{"message": message, "reason": reason}],
        "state": "ERROR",
    }
    if kind:
        body["kind"] = kind
    return body


class PrismCentral:
    """The emulator: its inventory, credentials, CA and server (see the module docstring)."""

    def __init__(self, directory: Path, ip: str = ADDRESS) -> None:
        self.ip = ip
        self.username = f"admin-{secrets.token_hex(3)}"
        self.password = secrets.token_urlsafe(18)
        self.ca_pem, self._cert, self._key = make_ca_and_server_cert(directory, ip)
        self._lock = threading.Lock()
        self._entities: dict[str, dict[str, Entity]] = {k: {} for k in KINDS}
        self._categories: dict[str, set[str]] = {}
        self.requests: list[tuple[str, str]] = []
        self.failed_logins = 0
        self._viewers: dict[str, str] = {}
        self.ids: dict[str, str] = {}  # name -> uuid of what ``standard_inventory`` made
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- inventory ----------------------------------------------------------------------------
    def _add(
        self, kind: str, name: str, spec: Entity | None = None, resources: Entity | None = None
    ) -> str:
        uid = str(uuidlib.uuid4())
        entity: Entity = {
            "api_version": "3.1",
            "metadata": {"kind": kind.rstrip("s"), "uuid": uid, "spec_version": 0},
            "spec": {"name": name, "resources": dict(resources or {}), **(spec or {})},
            "status": {
                "name": name,
                "state": "COMPLETE",
                "resources": dict(resources or {}),
                **(spec or {}),
            },
        }
        with self._lock:
            self._entities[kind][uid] = entity
        return uid

    def add_cluster(self, name: str) -> str:
        return self._add("clusters", name)

    def add_subnet(
        self, name: str, cluster_uuid: str | None = None, *, overlay: bool = False
    ) -> str:
        spec = (
            {}
            if cluster_uuid is None
            else {"cluster_reference": {"kind": "cluster", "uuid": cluster_uuid}}
        )
        return self._add("subnets", name, spec, {"subnet_type": "OVERLAY" if overlay else "VLAN"})

    def add_image(self, name: str) -> str:
        return self._add("images", name, resources={"image_type": "DISK_IMAGE"})

    def add_project(self, name: str) -> str:
        return self._add("projects", name)

    def add_vm(self, name: str, cluster_uuid: str, categories: dict[str, str] | None = None) -> str:
        uid = self._add(
            "vms", name, {"cluster_reference": {"kind": "cluster", "uuid": cluster_uuid}}
        )
        with self._lock:
            self._entities["vms"][uid]["metadata"]["categories"] = dict(categories or {})
        return uid

    def add_category(self, key: str, value: str) -> None:
        with self._lock:
            self._categories.setdefault(key, set()).add(value)

    def remove(self, kind: str, uid: str) -> None:
        with self._lock:
            self._entities[kind].pop(uid, None)

    def entities(self, kind: str) -> list[Entity]:
        with self._lock:
            return [json.loads(json.dumps(e)) for e in self._entities[kind].values()]

    # -- server --------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return self.ip

    def start(self) -> None:
        handler = _handler(self)
        self.port = _free_port(self.ip)
        server = ThreadingHTTPServer((self.ip, self.port), handler)
        server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self._cert, self._key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    # -- request handling (called by the handler thread) -----------------------------------------
    def add_viewer(self) -> tuple[str, str]:
        """An account that logs in but may not read the inventory (403 on every call);
        returns its username and password."""
        user, password = f"viewer-{secrets.token_hex(3)}", secrets.token_urlsafe(18)
        with self._lock:
            self._viewers[user] = password
        return user, password

    def account(self, header: str | None) -> str | None:
        """The account a basic-auth header logs in (None: 401)."""
        with self._lock:
            accounts = {self.username: self.password, **self._viewers}
        for user, password in accounts.items():
            expected = base64.b64encode(f"{user}:{password}".encode()).decode()
            if header is not None and secrets.compare_digest(
                header.encode(), f"Basic {expected}".encode()
            ):
                return user
        with self._lock:
            self.failed_logins += 1
        return None

    def allowed(self, user: str) -> bool:
        return user == self.username

    def answer(self, method: str, path: str, body: Entity) -> tuple[int, Entity]:
        with self._lock:
            self.requests.append((method, path))
        if not path.startswith(API + "/"):
            return 404, _error(404, "NOT_FOUND", f"no such path {path}")
        parts = [p for p in path[len(API) + 1 :].split("/") if p]
        if len(parts) == 3 and parts[0] == "categories" and method == "GET":
            key, value = parts[1], parts[2]
            with self._lock:
                known = value in self._categories.get(key, set())
            if not known:
                return 404, _error(
                    404,
                    "ENTITY_NOT_FOUND",
                    f"CATEGORY_NAME_VALUE_MISMATCH: {key}:{value} not found",
                    "category",
                )
            return 200, {"name": value, "value": value, "description": "", "system_defined": False}
        if not parts or parts[0] not in KINDS:
            return 404, _error(404, "NOT_FOUND", f"no such path {path}")
        kind = parts[0]
        if len(parts) == 2 and parts[1] == "list" and method == "POST":
            return 200, self._list(kind, body)
        if len(parts) == 1 and kind == "vms" and method == "POST":
            return self._create_vm(body)
        if len(parts) == 2 and method in ("GET", "DELETE"):
            with self._lock:
                entity = self._entities[kind].get(parts[1])
                if entity is not None and method == "DELETE":
                    del self._entities[kind][parts[1]]
            if entity is None:
                return 404, _error(
                    404,
                    "ENTITY_NOT_FOUND",
                    f"ENTITY_NOT_FOUND: {kind.rstrip('s')} {parts[1]} not found",
                    kind.rstrip("s"),
                )
            return (
                (202, {"status": {"state": "DELETE_PENDING"}})
                if method == "DELETE"
                else (200, entity)
            )
        return 405, _error(405, "METHOD_NOT_ALLOWED", f"{method} {path} is not allowed")

    def _create_vm(self, body: Entity) -> tuple[int, Entity]:
        """``POST /vms``: a VM on a known Prism Element cluster (by uuid), 202 with its uuid."""
        spec = body.get("spec") or {}
        cluster = str((spec.get("cluster_reference") or {}).get("uuid") or "")
        with self._lock:
            known = cluster in self._entities["clusters"]
        if not spec.get("name") or not known:
            return 422, _error(
                422, "INVALID_REQUEST", f"spec.cluster_reference {cluster!r} is not a cluster", "vm"
            )
        uid = self._add(
            "vms",
            str(spec["name"]),
            {"cluster_reference": {"kind": "cluster", "uuid": cluster}},
            dict(spec.get("resources") or {}),
        )
        with self._lock:
            self._entities["vms"][uid]["metadata"]["categories"] = dict(
                (body.get("metadata") or {}).get("categories") or {}
            )
        return 202, {"metadata": {"kind": "vm", "uuid": uid}, "status": {"state": "PENDING"}}

    def _list(self, kind: str, body: Entity) -> Entity:
        offset = max(0, int(body.get("offset") or 0))
        length = min(MAX_LENGTH, max(1, int(body.get("length") or 20)))
        flt = str(body.get("filter") or "")
        with self._lock:
            matches = list(self._entities[kind].values())
        if flt:
            field, _, value = flt.partition("==")
            if field == "name":
                matches = [e for e in matches if e["spec"]["name"] == value]
        page = matches[offset : offset + length]
        return {
            "api_version": "3.1",
            "metadata": {
                "kind": kind.rstrip("s"),
                "total_matches": len(matches),
                "length": len(page),
                "offset": offset,
                **({"filter": flt} if flt else {}),
            },
            "entities": json.loads(json.dumps(page)),
        }


def _free_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


def _handler(pc: PrismCentral) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet

        def _send(self, code: int, body: Entity, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.path in ("/", "/console/"):
                self._send(200, {"name": "Prism Central"})
                return
            user = pc.account(self.headers.get("Authorization"))
            if user is None:
                self._send(
                    401,
                    _error(401, "AUTHENTICATION_REQUIRED", "Authentication required."),
                    {"WWW-Authenticate": 'Basic realm="Intent Gateway Login Required"'},
                )
                return
            if not pc.allowed(user):
                self._send(
                    403,
                    _error(
                        403,
                        "ACCESS_DENIED",
                        f"User {user} does not have permission to perform this action.",
                    ),
                )
                return
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                self._send(400, _error(400, "INVALID_REQUEST", "request body is not JSON"))
                return
            code, answer = pc.answer(
                method, self.path.split("?")[0], body if isinstance(body, dict) else {}
            )
            self._send(code, answer)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler


@contextmanager
def prism_central(directory: Path, ip: str = ADDRESS) -> Iterator[PrismCentral]:
    """A started emulator, stopped on exit."""
    pc = PrismCentral(directory, ip)
    pc.start()
    try:
        yield pc
    finally:
        pc.stop()


def standard_inventory(
    pc: PrismCentral, *, versions: tuple[str, ...] = ("1.31", "1.32")
) -> dict[str, str]:
    """The inventory the spec example names (``prism-element``, ``prism-subnet``, one image
    per Kubernetes version), plus a project, a category and 130 filler images (more than
    one page of the client's lists). Returns name -> uuid."""
    ids = {"prism-element": pc.add_cluster("prism-element"), "other-pe": pc.add_cluster("other-pe")}
    ids["prism-subnet"] = pc.add_subnet("prism-subnet", ids["prism-element"])
    ids["other-subnet"] = pc.add_subnet("other-subnet", ids["other-pe"])
    ids["overlay"] = pc.add_subnet("overlay", overlay=True)
    for i in range(130):
        pc.add_image(f"filler-{i:03d}")
    for v in versions:
        name = f"ubuntu-2204-kube-v{v.replace('.', '-')}"
        ids[name] = pc.add_image(name)
    ids["eksa-project"] = pc.add_project("eksa-project")
    pc.add_category("AppType", "eksa")
    pc.ids.update(ids)
    return ids
