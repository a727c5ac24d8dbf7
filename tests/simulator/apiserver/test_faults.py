"""API fault injection from the knobs: virtual-cluster requests fail with 500, 429 (with
Retry-After) or a connection reset at ``api_error_rate``; the admin API never does."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections import Counter

from tests.support.sim import SimServer


def _outcome(url: str, token: str) -> str:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return str(resp.status)
    except urllib.error.HTTPError as exc:
        if exc.code == 429:
            assert exc.headers.get("Retry-After") == "1"
        return str(exc.code)
    except (urllib.error.URLError, http.client.RemoteDisconnected, ConnectionResetError):
        return "reset"


def test_api_error_rate_injects_500_429_and_resets_but_spares_the_admin_api(sim: SimServer, vcluster: str) -> None:
    token = sim.client.kubeconfig(vcluster).split("token: ")[1].split()[0]
    url = f"{sim.http_url}/clusters/{vcluster}/api/v1/namespaces"
    sim.client.set_knobs(api_error_rate=1.0, seed=11)
    try:
        outcomes = Counter(_outcome(url, token) for _ in range(30))
        assert sim.client.clusters()  # admin calls are never faulted
    finally:
        sim.client.set_knobs(api_error_rate=0.0)
    assert set(outcomes) == {"500", "429", "reset"}
    assert _outcome(url, token) == "200"


def test_api_latency_delays_virtual_cluster_requests(sim: SimServer, vcluster: str) -> None:
    token = sim.client.kubeconfig(vcluster).split("token: ")[1].split()[0]
    url = f"{sim.http_url}/clusters/{vcluster}/api/v1/namespaces"
    sim.client.set_knobs(api_latency_seconds=0.3)
    try:
        started = time.monotonic()
        assert _outcome(url, token) == "200"
        assert time.monotonic() - started >= 0.3
    finally:
        sim.client.set_knobs(api_latency_seconds=0.0)
