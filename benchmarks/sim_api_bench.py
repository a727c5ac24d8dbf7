"""Benchmark of the sim API emulator: writes/s, reads/s, a 10,000-object list, and watch
event delivery latency under write load, against a real ``eksa-temporal sim serve``.

Run from the repository root: ``.venv/bin/python benchmarks/sim_api_bench.py [--objects N]``.
Prints one line per figure (targets: >= 500 writes/s, >= 2,000 reads/s, list of 10,000
< 1 s, watch p99 < 50 ms). Not a test: figures depend on the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.sim import start_sim


class RawConn:
    """A minimal keep-alive HTTP/1.1 client (far cheaper per request than aiohttp's client,
    so that on a small machine the figures measure the server, not the load generator)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {self.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        data = await self.reader.readexactly(length)
        return int(status_line.split()[1]), data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _raw_writes(conns: list[RawConn], prefix: str, names: list[str]) -> float:
    queue = list(reversed(names))
    started = time.perf_counter()

    async def worker(conn: RawConn) -> None:
        while queue:
            name = queue.pop()
            body = json.dumps({"metadata": {"name": name, "labels": {"bench": "yes"}},
                               "data": {"sent": repr(time.time()), "payload": "v" * 200}}).encode()
            status, data = await conn.request("POST", f"{prefix}/api/v1/namespaces/default/configmaps", body)
            assert status == 201, data

    await asyncio.gather(*(worker(c) for c in conns))
    return len(names) / (time.perf_counter() - started)


async def _raw_reads(conns: list[RawConn], prefix: str, name: str, total: int) -> float:
    left = [total]
    started = time.perf_counter()

    async def worker(conn: RawConn) -> None:
        while left[0] > 0:
            left[0] -= 1
            status, _ = await conn.request("GET", f"{prefix}/api/v1/namespaces/default/configmaps/{name}")
            assert status == 200

    await asyncio.gather(*(worker(c) for c in conns))
    return total / (time.perf_counter() - started)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _writes(session: aiohttp.ClientSession, base: str, names: list[str], concurrency: int) -> float:
    queue = list(reversed(names))
    started = time.perf_counter()

    async def worker() -> None:
        while queue:
            name = queue.pop()
            body = {"metadata": {"name": name, "labels": {"bench": "yes"}},
                    "data": {"payload": "v" * 200}}
            async with session.post(f"{base}/api/v1/namespaces/default/configmaps", json=body) as resp:
                assert resp.status == 201, await resp.text()
                await resp.read()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(names) / (time.perf_counter() - started)


async def _reads(session: aiohttp.ClientSession, base: str, name: str, total: int, concurrency: int) -> float:
    left = [total]
    started = time.perf_counter()

    async def worker() -> None:
        while left[0] > 0:
            left[0] -= 1
            async with session.get(f"{base}/api/v1/namespaces/default/configmaps/{name}") as resp:
                assert resp.status == 200
                await resp.read()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


def _watcher(url: str, token: str, rv: str, count: int, out: Any) -> None:
    """Child process: follow a watch and report each event's delivery latency (wall clock)."""

    async def follow() -> list[float]:
        host, port = url.split("//")[1].split("/")[0].split(":")
        path = "/" + url.split("//")[1].split("/", 1)[1]
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write((f"GET {path}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}"
                      f"&timeoutSeconds=120 HTTP/1.1\r\nHost: {host}\r\n"
                      f"Authorization: Bearer {token}\r\n\r\n").encode())
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        out.send("ready")
        lat: list[float] = []
        while len(lat) < count:
            size = await reader.readline()  # chunked encoding: size line, data, CRLF
            if not size:
                break
            n = int(size.strip() or b"0", 16)
            if n == 0:
                break
            chunk = await reader.readexactly(n + 2)
            now = time.time()
            for line in chunk[:-2].splitlines():
                ev = json.loads(line)
                if ev["type"] == "ADDED" and ev["object"]["metadata"]["name"].startswith("watch-"):
                    lat.append(now - float(ev["object"]["data"]["sent"]))
        writer.close()
        return lat

    out.send(asyncio.run(follow()))


async def _watch_latency(base: str, token: str, conns: list[RawConn], prefix: str, count: int) -> list[float]:
    import multiprocessing

    _, data = await conns[0].request("GET", f"{prefix}/api/v1/namespaces/default/configmaps?limit=1")
    rv = json.loads(data)["metadata"]["resourceVersion"]
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("fork").Process(target=_watcher, args=(base, token, rv, count, child))
    proc.start()
    try:
        assert parent.poll(30) and parent.recv() == "ready"
        await _raw_writes(conns, prefix, [f"watch-{i:05d}" for i in range(count)])
        assert parent.poll(60)
        latencies: list[float] = parent.recv()
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join()
    return latencies


async def run(objects: int, concurrency: int) -> dict[str, Any]:
    state = Path(tempfile.mkdtemp(prefix="sim-bench-"))
    server = start_sim(state, ["--no-controllers", "--http"])  # the raw-socket part speaks plain HTTP
    results: dict[str, Any] = {}
    try:
        kubeconfig = server.client.create_cluster("bench")["kubeconfig"]
        token = kubeconfig.split("token: ")[1].split()[0]
        host, port = server.http_url.split("//")[1].split(":")
        prefix = "/clusters/bench"
        conns = [RawConn(host, int(port), token) for _ in range(concurrency)]
        try:
            results["writes_per_s"] = await _raw_writes(conns, prefix, [f"obj-{i:05d}" for i in range(objects)])
            results["reads_per_s"] = await _raw_reads(conns, prefix, "obj-00001", 10_000)
            lists = []
            for _ in range(3):
                started = time.perf_counter()
                _, body = await conns[0].request("GET", f"{prefix}/api/v1/namespaces/default/configmaps")
                results["list_items"] = len(json.loads(body)["items"])
                lists.append(time.perf_counter() - started)
            results["list_seconds"] = statistics.median(lists)
            lat = await _watch_latency(server.http_url + prefix, token, conns, prefix, 2000)
            results["watch_events"] = len(lat)
            results["watch_p50_ms"] = statistics.median(lat) * 1000
            results["watch_p99_ms"] = _pct(lat, 0.99) * 1000
        finally:
            for c in conns:
                c.close()
        ctx = ssl.create_default_context(cafile=str(state / "tls" / "ca.crt"))
        connector = aiohttp.TCPConnector(limit=concurrency, ssl=ctx)
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}, connector=connector) as session:
            base = f"{server.url}{prefix}"
            results["https_writes_per_s"] = await _writes(session, base, [f"tls-{i:05d}" for i in range(1000)], concurrency)
            results["https_reads_per_s"] = await _reads(session, base, "tls-00001", 3000, concurrency)
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    r = asyncio.run(run(args.objects, args.concurrency))
    print(f"writes (create, raw http client):  {r['writes_per_s']:8.0f} /s   (target >= 500)")
    print(f"reads  (get, raw http client):     {r['reads_per_s']:8.0f} /s   (target >= 2000)")
    print(f"writes (create, aiohttp + TLS):    {r['https_writes_per_s']:8.0f} /s")
    print(f"reads  (get, aiohttp + TLS):       {r['https_reads_per_s']:8.0f} /s")
    print(f"list of {r['list_items']} objects: {r['list_seconds'] * 1000:8.0f} ms   (target < 1000)")
    print(f"watch delivery under write load ({r['watch_events']} events): "
          f"p50 {r['watch_p50_ms']:.1f} ms, p99 {r['watch_p99_ms']:.1f} ms   (target p99 < 50)")


if __name__ == "__main__":
    main()
