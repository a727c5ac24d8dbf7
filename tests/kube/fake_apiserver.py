"""A tiny in-process Kubernetes API server for the ``eksa_temporal.kube`` unit tests.

It serves just enough of the real API for the official client's ``DynamicClient``
(discovery, get, list, server-side apply PATCH, watch with ``resourceVersion`` and
``timeoutSeconds``) and records every request, so tests can assert that waits watch
instead of polling and recover from an expired ``resourceVersion`` (``410 Gone`` sent as
an in-stream ERROR event, as kube-apiserver does). Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

GROUP = "example.com"
RESOURCES = {
    ("", "v1"): [{"name": "configmaps", "kind": "ConfigMap", "namespaced": True}],
    (GROUP, "v1"): [{"name": "widgets", "kind": "Widget", "namespaced": True}],
}
VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


class FakeApiServer:
    """State plus a threaded HTTP server; ``requests`` lists (method, path, query)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}  # (plural, ns, name)
        self.events: list[tuple[int, str, str, dict[str, Any]]] = []  # (rv, type, plural, obj)
        self.rv = 100
        self.compacted_rv = 0  # watches from an older resourceVersion get 410
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.cond = threading.Condition()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def put(self, plural: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Create or replace an object (as a controller would), emitting a watch event."""
        with self.cond:
            meta = obj.setdefault("metadata", {})
            key = (plural, meta.get("namespace", ""), meta["name"])
            kind = "MODIFIED" if key in self.objects else "ADDED"
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            meta.setdefault("uid", f"uid-{meta['name']}")
            self.objects[key] = json.loads(json.dumps(obj))
            self.events.append((self.rv, kind, plural, self.objects[key]))
            self.cond.notify_all()
            return self.objects[key]

    def count(self, method: str, *, watch: bool | None = None, path_contains: str = "") -> int:
        n = 0
        for m, path, query in self.requests:
            is_watch = query.get("watch", ["false"])[0].lower() == "true"
            if m == method and path_contains in path and (watch is None or watch == is_watch):
                n += 1
        return n


def _handler(server: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self) -> tuple[str, str, str | None, str | None, dict[str, list[str]]]:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            server.requests.append((self.command, url.path, query))
            parts = [p for p in url.path.split("/") if p]
            # /api/v1/namespaces/NS/PLURAL[/NAME] or /apis/G/V/namespaces/NS/PLURAL[/NAME]
            rest = parts[2:] if parts[:1] == ["api"] else parts[3:]
            ns = name = None
            if rest[:1] == ["namespaces"] and len(rest) >= 3:
                ns, rest = rest[1], rest[2:]
            plural = rest[0] if rest else ""
            if len(rest) > 1:
                name = rest[1]
            return url.path, plural, ns, name, query

        def do_GET(self) -> None:
            path = urlparse(self.path).path
            if path == "/version":
                self._send(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0"})
                return
            if path == "/api":
                self._send(200, {"kind": "APIVersions", "versions": ["v1"]})
                return
            if path == "/apis":
                ver = {"groupVersion": f"{GROUP}/v1", "version": "v1"}
                listed = {"name": GROUP, "versions": [ver], "preferredVersion": ver}
                self._send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [listed]})
                return
            for (group, version), res in RESOURCES.items():
                base = f"/api/{version}" if not group else f"/apis/{group}/{version}"
                if path == base:
                    resources = [{**r, "singularName": "", "verbs": VERBS} for r in res]
                    gv = version if not group else f"{group}/{version}"
                    self._send(
                        200, {"kind": "APIResourceList", "groupVersion": gv, "resources": resources}
                    )
                    return
            _, plural, ns, name, query = self._route()
            if name is not None:
                obj = server.objects.get((plural, ns or "", name))
                if obj is None:
                    self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
                else:
                    self._send(200, obj)
                return
            field = query.get("fieldSelector", [""])[0]
            want = field.split("=", 1)[1] if field.startswith("metadata.name=") else None
            if query.get("watch", ["false"])[0].lower() == "true":
                self._watch(plural, ns, want, query)
                return
            with server.cond:
                items = [
                    o
                    for (p, n, nm), o in server.objects.items()
                    if p == plural and (ns is None or n == ns) and (want is None or nm == want)
                ]
                rv = str(server.rv)
            self._send(200, {"kind": "List", "metadata": {"resourceVersion": rv}, "items": items})

        def _watch(
            self, plural: str, ns: str | None, want: str | None, query: dict[str, list[str]]
        ) -> None:
            since = int(query.get("resourceVersion", ["0"])[0] or 0)
            end = time.monotonic() + float(query.get("timeoutSeconds", ["5"])[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def chunk(event: dict[str, Any]) -> None:
                data = (json.dumps(event) + "\n").encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            if since < server.compacted_rv:
                status = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}
                chunk({"type": "ERROR", "object": status})
            else:
                while time.monotonic() < end:
                    with server.cond:
                        pending = [e for e in server.events if e[0] > since]
                        if not pending:
                            server.cond.wait(timeout=max(0.0, min(0.2, end - time.monotonic())))
                            continue
                    for rv, kind, p, obj in pending:
                        since = rv
                        meta = obj["metadata"]
                        if p != plural or (ns is not None and meta.get("namespace") != ns):
                            continue
                        if want is not None and meta["name"] != want:
                            continue
                        chunk({"type": kind, "object": obj})
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def do_PATCH(self) -> None:
            _, plural, ns, name, query = self._route()
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            ctype = self.headers.get("Content-Type", "")
            if ctype != "application/apply-patch+yaml" or not query.get("fieldManager"):
                self._send(415, {"kind": "Status", "code": 415, "reason": "UnsupportedMediaType"})
                return
            existing = server.objects.get((plural, ns or "", name or ""))
            merged = {**(existing or {}), **body}
            merged["metadata"] = {**(existing or {}).get("metadata", {}), **body["metadata"]}
            self._send(200, server.put(plural, merged))

    return Handler
