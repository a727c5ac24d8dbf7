"""An emulator of the Apache CloudStack API for tests: an HTTP server on its own loopback
address (127.0.13.x) serving ``/client/api`` as the published API does - ``command``,
``apiKey``, ``signature``, ``response=json`` in the query string or a form POST; the
HMAC-SHA1 signature verified for real (the parameters sorted by name, values URL-encoded,
the whole string lower-cased, keyed with the user's secret key, base64), ``expires`` checked
when ``signatureVersion=3``; errors as ``{"<command>response": {"errorcode": 401,
"errortext": ...}}`` with the same HTTP status; list commands paged by ``page``/``pagesize``
with the total ``count``. Inventory in memory (``Inventory``), per run.

Commands: listZones, listDomains, listAccounts, listNetworks, listTemplates,
listServiceOfferings, listDiskOfferings, listAffinityGroups, listVirtualMachines,
deployVirtualMachine / destroyVirtualMachine (asynchronous: a job id, then
queryAsyncJobResult), listCapabilities.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

Obj = dict[str, Any]

# command (lower case) -> (inventory table, item key in the response)
LISTS = {
    "listzones": ("zones", "zone"),
    "listdomains": ("domains", "domain"),
    "listaccounts": ("accounts", "account"),
    "listnetworks": ("networks", "network"),
    "listtemplates": ("templates", "template"),
    "listserviceofferings": ("serviceofferings", "serviceoffering"),
    "listdiskofferings": ("diskofferings", "diskoffering"),
    "listaffinitygroups": ("affinitygroups", "affinitygroup"),
    "listvirtualmachines": ("virtualmachines", "virtualmachine"),
}
# filters matched exactly against an item's field of the same name (when given)
FILTERS = ("id", "name", "zoneid", "domainid", "account", "level")
SCOPES = ("zoneid", "domainid", "account")


def _matches(item: Obj, key: str, wanted: str) -> bool:
    """A filter as the server applies it: ids exactly, names case-insensitively; a
    resource without a zone/domain/account (a public offering) matches any."""
    if key not in item:
        return key in SCOPES
    if key == "id":
        return bool(item[key] == wanted)
    return str(item[key]).lower() == wanted.lower()


def _id() -> str:
    return str(uuid.uuid4())


def signature(params: dict[str, str], secret_key: str) -> str:
    """CloudStack's request signature of ``params`` (without ``signature``)."""
    query = "&".join(f"{k}={quote(v, safe='*')}" for k, v in sorted(params.items()))
    digest = hmac.new(secret_key.encode(), query.lower().encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Inventory:
    """What the management server holds: users (api key -> secret key) and resources."""

    users: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[Obj]] = field(default_factory=lambda: {t: [] for t, _ in LISTS.values()})
    jobs: dict[str, Obj] = field(default_factory=dict)

    def add(self, table: str, **item: Any) -> Obj:
        item.setdefault("id", _id())
        self.tables[table].append(item)
        return item

    def remove(self, table: str, **match: Any) -> None:
        self.tables[table] = [i for i in self.tables[table] if any(i.get(k) != v for k, v in match.items())]

    def user(self) -> tuple[str, str]:
        """A new user's (api key, secret key), generated."""
        key, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.users[key] = secret
        return key, secret


def standard_inventory(zone: str = "zone1", network: str = "net1") -> Inventory:
    """ROOT domain with an ``admin`` account, one zone and network, EKS-A-like template and
    offerings, a customizable disk offering and an affinity group."""
    inv = Inventory()
    root = inv.add("domains", name="ROOT", path="ROOT", level=0)
    child = inv.add("domains", name="eksa", path="ROOT/eksa", level=1, parentdomainid=root["id"])
    z = inv.add("zones", name=zone, allocationstate="Enabled")
    for d in (root, child):
        inv.add("accounts", name="admin", domainid=d["id"], domain=d["name"], accounttype=1)
    inv.add("networks", name=network, zoneid=z["id"], domainid=root["id"], account="admin")
    inv.add("templates", name="rhel8-kube-1.31", zoneid=z["id"], isready=True)
    inv.add("templates", name="rhel8-kube-1.32", zoneid=z["id"], isready=True)
    inv.add("serviceofferings", name="m4-large", cpunumber=2, memory=8192)
    inv.add("diskofferings", name="fixed-50", disksize=50, iscustomized=False)
    inv.add("diskofferings", name="custom", disksize=0, iscustomized=True)
    inv.add("affinitygroups", name="anti", type="host anti-affinity", domainid=root["id"], account="admin")
    return inv


class _Handler(BaseHTTPRequestHandler):
    server: CloudStackServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._serve(dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        self._serve({**query, **dict(parse_qsl(body, keep_blank_values=True))})

    def _send(self, status: int, body: Obj) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _serve(self, params: dict[str, str]) -> None:
        if urlsplit(self.path).path != "/client/api":
            self._send(404, {"error": "not found"})
            return
        command = params.get("command", "")
        self.server.record(command, urlsplit(self.path).query)
        status, body = self.server.handle(command, params)
        self._send(status, {f"{command.lower()}response": body})


class CloudStackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, inventory: Inventory) -> None:
        super().__init__((host, 0), _Handler)
        self.inventory = inventory
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []  # (command, the URL's query string)
        self.fail_next: dict[str, tuple[int, str]] = {}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/client/api"

    def record(self, command: str, url_query: str) -> None:
        with self.lock:
            self.calls.append((command, url_query))

    def commands(self) -> list[str]:
        with self.lock:
            return [c for c, _ in self.calls]

    # -- the API ------------------------------------------------------------------------------
    def _error(self, code: int, text: str) -> tuple[int, Obj]:
        return code, {"uuidList": [], "errorcode": code, "cserrorcode": 9999, "errortext": text}

    def _authenticate(self, params: dict[str, str]) -> tuple[int, Obj] | None:
        key, given = params.get("apiKey", ""), params.get("signature", "")
        secret = self.inventory.users.get(key)
        if not key or not given or secret is None:
            return self._error(401, "unable to verify user credentials and/or request signature")
        unsigned = {k: v for k, v in params.items() if k != "signature"}
        if not hmac.compare_digest(signature(unsigned, secret), given):
            return self._error(401, "unable to verify user credentials and/or request signature")
        if params.get("signatureVersion") == "3":
            try:
                expires = datetime.strptime(params.get("expires", ""), "%Y-%m-%dT%H:%M:%S%z")
            except ValueError:
                return self._error(401, "unable to verify user credentials and/or request signature")
            if expires < datetime.now(UTC):
                return self._error(401, "signature expired")
        return None

    def handle(self, command: str, params: dict[str, str]) -> tuple[int, Obj]:
        refused = self._authenticate(params)
        if refused is not None:
            return refused
        name = command.lower()
        with self.lock:
            if name in self.fail_next:
                return self._error(*self.fail_next.pop(name))
            if name in LISTS:
                return 200, self._list(name, params)
            if name == "listcapabilities":
                return 200, {"capability": {"cloudstackversion": "4.19.0.0", "apilimitmax": 0}}
            if name == "deployvirtualmachine":
                return self._deploy(params)
            if name == "destroyvirtualmachine":
                return self._destroy(params)
            if name == "queryasyncjobresult":
                job = self.inventory.jobs.get(params.get("jobid", ""))
                if job is None:
                    return self._error(431, f"Unable to find job by id {params.get('jobid')}")
                return 200, job
        return self._error(432, f"The given command {command!r} either does not exist, is not available for user, or not available from ip address")

    def _list(self, name: str, params: dict[str, str]) -> Obj:
        table, key = LISTS[name]
        items = self.inventory.tables[table]
        for f in FILTERS:
            if f in params and not (f == "account" and name == "listaccounts"):
                items = [i for i in items if _matches(i, f, params[f])]
        total = len(items)
        if "page" in params or "pagesize" in params:
            size = int(params.get("pagesize") or 500)
            page = int(params.get("page") or 1)
            items = items[(page - 1) * size : page * size]
        if not items:
            return {}
        return {"count": total, key: items}

    def _job(self, result: Obj) -> tuple[int, Obj]:
        job_id = _id()
        self.inventory.jobs[job_id] = {"jobid": job_id, "jobstatus": 1, "jobresultcode": 0, "jobresult": result}
        return 200, {"jobid": job_id, "id": result.get("virtualmachine", {}).get("id", "")}

    def _deploy(self, params: dict[str, str]) -> tuple[int, Obj]:
        inv = self.inventory.tables
        checks = (
            ("zoneid", "zones"), ("templateid", "templates"), ("serviceofferingid", "serviceofferings"),
        )
        for param, table in checks:
            if not any(i["id"] == params.get(param) for i in inv[table]):
                return self._error(431, f"Unable to execute API command deployvirtualmachine due to invalid value. Invalid parameter {param} value={params.get(param)} due to incorrect long value format, or entity does not exist")
        vm = self.inventory.add(
            "virtualmachines",
            name=params.get("name") or f"vm-{_id()[:8]}",
            zoneid=params["zoneid"],
            templateid=params["templateid"],
            serviceofferingid=params["serviceofferingid"],
            state="Running",
        )
        return self._job({"virtualmachine": vm})

    def _destroy(self, params: dict[str, str]) -> tuple[int, Obj]:
        vm_id = params.get("id", "")
        if not any(v["id"] == vm_id for v in self.inventory.tables["virtualmachines"]):
            return self._error(431, f"Unable to find virtual machine by id {vm_id}")
        self.inventory.remove("virtualmachines", id=vm_id)
        return self._job({"success": True})


@contextmanager
def cloudstack_api(host: str, inventory: Inventory | None = None) -> Iterator[CloudStackServer]:
    """A running emulator on ``host`` (a free port), stopped on exit."""
    server = CloudStackServer(host, inventory or standard_inventory())
    thread = threading.Thread(target=server.serve_forever, name=f"cloudstack-{host}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
