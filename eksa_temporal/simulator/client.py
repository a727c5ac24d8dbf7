"""``SimClient``: the Python client of the simulated infrastructure's admin API.

Finds the running ``sim serve`` process through ``DIR/server.json`` and authenticates with
``DIR/admin-token``. Synchronous (urllib3), so CLI commands, activities and tests can use it
without an event loop; the connections to one server are pooled and kept alive, shared by
every client and thread of the process, as an infrastructure SDK keeps its session (a TLS
handshake per request cost the worker and the sim more CPU than the requests themselves).
Raises ``SimNotRunning`` when no server answers for the state dir.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import urllib3

from eksa_temporal import config
from eksa_temporal.simulator.apiserver.tls import CA_FILE, client_context
from eksa_temporal.simulator.knobs import Knobs


class SimError(Exception):
    """The admin API answered with an error."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class SimNotRunning(SimError):
    """No simulated infrastructure server runs for this state dir."""


# (state dir, scheme://host:port, CA file mtime) -> the pool of that server's connections
_POOLS: dict[tuple[str, str, int], urllib3.PoolManager] = {}
_POOLS_LOCK = threading.Lock()
# a failed connect is tried once more (a pooled connection the server closed is replaced
# before use); a request that reached the server is never sent twice
_RETRIES = urllib3.Retry(total=1, connect=1, read=0, status=0, other=0, redirect=0)


def _pool(state_dir: Path, url: str) -> urllib3.PoolManager:
    """The shared connection pool for the server at ``url``; a server of the same state dir
    on another address or with a new certificate authority (restarted) replaces it."""
    parts = urllib.parse.urlsplit(url)
    ca = state_dir / "tls" / CA_FILE
    try:
        ca_stamp = ca.stat().st_mtime_ns if parts.scheme == "https" else 0
    except OSError:
        ca_stamp = -1
    key = (str(state_dir), f"{parts.scheme}://{parts.netloc}", ca_stamp)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            for old in [k for k in _POOLS if k[0] == key[0]]:  # the server of this state dir restarted
                _POOLS.pop(old).clear()
            context = client_context(state_dir) if parts.scheme == "https" and ca_stamp >= 0 else None
            pool = urllib3.PoolManager(num_pools=4, maxsize=64, ssl_context=context, retries=_RETRIES)
            _POOLS[key] = pool
        return pool


class SimClient:
    """Admin API of the ``sim serve`` process owning ``state_dir`` (default:
    ``eksa_temporal.config.sim_state_dir()``)."""

    def __init__(self, state_dir: Path | None = None, *, timeout: float = 10.0) -> None:
        self.state_dir = Path(state_dir) if state_dir is not None else config.sim_state_dir()
        self.timeout = timeout

    # ---- discovery of the server -------------------------------------------------------
    def server_info(self) -> dict[str, Any]:
        path = self.state_dir / "server.json"
        try:
            info: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            raise SimNotRunning(
                f"no simulated infrastructure server runs for {self.state_dir} "
                f"(start one with: eksa-temporal sim serve --state-dir {self.state_dir})") from None
        return info

    @property
    def url(self) -> str:
        return str(self.server_info()["url"])

    def _token(self) -> str:
        try:
            return (self.state_dir / "admin-token").read_text().strip()
        except OSError:
            raise SimNotRunning(f"no admin token in {self.state_dir}") from None

    def _request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        url = self.url + path
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self._token()}", "Content-Type": "application/json"}
        try:
            resp = _pool(self.state_dir, url).request(method, url, body=data, headers=headers, timeout=self.timeout)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise SimNotRunning(
                f"the simulated infrastructure server at {url} does not answer ({exc}); "
                f"start one with: eksa-temporal sim serve --state-dir {self.state_dir}") from None
        if resp.status >= 400:
            try:
                message = json.loads(resp.data).get("message", "")
            except ValueError:
                message = resp.data.decode(errors="replace")
            raise SimError(f"{method} {path}: HTTP {resp.status}: {message}", resp.status)
        return int(resp.status), bytes(resp.data)

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        return json.loads(self._request(method, path, body)[1])

    # ---- API --------------------------------------------------------------------------
    def healthy(self) -> bool:
        try:
            return self._request("GET", "/healthz")[0] == 200
        except SimError:
            return False

    def wait_until_ready(self, timeout: float = 30.0) -> bool:
        """Poll (bounded by ``timeout``) until the server answers; True when it does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy():
                return True
            time.sleep(0.1)
        return False

    def clusters(self) -> list[dict[str, Any]]:
        """``[{"name", "url", "labels"}]`` of every virtual cluster."""
        return list(self._json("GET", "/sim/clusters")["clusters"])

    def create_cluster(self, name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
        """Create (idempotent; ``labels`` are set at creation only):
        ``{"name", "url", "labels", "kubeconfig", "created"}``."""
        body: dict[str, Any] = {"name": name}
        if labels:
            body["labels"] = labels
        result: dict[str, Any] = self._json("POST", "/sim/clusters", body)
        return result

    def delete_cluster(self, name: str) -> None:
        self._request("DELETE", f"/sim/clusters/{name}")

    def kubeconfig(self, name: str) -> str:
        return self._request("GET", f"/sim/clusters/{name}/kubeconfig")[1].decode()

    def machines(self, labels: dict[str, str] | None = None, cluster: str | None = None) -> list[dict[str, Any]]:
        """Every machine of the inventory, oldest first (those carrying all ``labels``, of
        ``cluster`` only when given):
        ``{"id", "provider_id", "cluster", "machine", "name", "labels", "owner", "state",
        "exists", ...}``; ``name`` is the VM's or container's name, ``labels`` its labels
        (CAPD's containers: ``io.x-k8s.kind.cluster``, ``io.x-k8s.kind.role``, and the owner
        label)."""
        params = [("label", f"{k}={v}") for k, v in (labels or {}).items()]
        params += [("cluster", cluster)] if cluster is not None else []
        query = urllib.parse.urlencode(params)
        return list(self._json("GET", "/sim/machines" + (f"?{query}" if query else ""))["machines"])

    def delete_machine(self, machine_id: str) -> bool:
        """Mark machine ``machine_id`` deleted, as a terminated VM or ``docker rm -f``; False
        when it was already gone (idempotent)."""
        return bool(self._json("DELETE", f"/sim/machines/{machine_id}")["deleted"])

    def knobs(self) -> Knobs:
        """The live knobs."""
        return Knobs.model_validate(self._json("GET", "/sim/knobs"))

    def set_knobs(self, **changes: Any) -> Knobs:
        """Change some knobs (the others keep their values); the knobs now in effect. An
        unknown knob or a bad value raises ``SimError`` (status 422) naming the knob, and
        changes nothing."""
        return Knobs.model_validate(self._json("PUT", "/sim/knobs", changes))
