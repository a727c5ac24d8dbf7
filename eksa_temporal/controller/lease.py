"""Leader election on a ``coordination.k8s.io/v1`` Lease (``eksa-system/eksa-temporal-controller``),
as client-go's leaderelection does: the holder renews ``renewTime`` every third of
``leaseDurationSeconds``; a candidate takes the Lease over once the record has not changed
for a whole lease duration by its own clock (or its ``renewTime`` is older than that), with
the Lease's ``resourceVersion`` as precondition, so two candidates never both win. A graceful
stop releases the Lease (empty ``holderIdentity``) so a successor takes over at once; a
killed holder's Lease expires after ``--lease-seconds``.

Used by ``controller.loop``: only the holder reconciles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes.client import exceptions as _kexc

from eksa_temporal.controller.names import LEASE_API, LEASE_NAME, LEASE_NAMESPACE
from eksa_temporal.kube import Kube, Obj
from eksa_temporal.logs import get_logger

ApiException: Any = _kexc.ApiException
log = get_logger("controller.lease")


def micro_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str | None) -> float | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


class LeaderElector:
    """One candidate for the Lease. ``step()`` is one round (blocking API calls)."""

    def __init__(
        self,
        kube: Kube,
        identity: str,
        lease_seconds: int,
        *,
        namespace: str = LEASE_NAMESPACE,
        name: str = LEASE_NAME,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kube = kube
        self.identity = identity
        self.lease_seconds = lease_seconds
        self.namespace = namespace
        self.name = name
        self.wall = wall
        self.mono = mono
        self.leader = False
        self._observed: tuple[str, str] | None = None  # (holder, renewTime) last seen
        self._observed_at = 0.0
        self._renewed_at = 0.0

    @property
    def renew_interval(self) -> float:
        return max(0.2, self.lease_seconds / 3)

    @property
    def _timeout(self) -> tuple[float, float]:
        """Connect and read bounds of one Lease request: a hung request must not outlive
        the lease it is renewing."""
        return (min(5.0, self.lease_seconds / 2), max(1.0, self.lease_seconds / 2))

    def holds(self) -> bool:
        """Whether this candidate may act now: it won the last round and its last renewal
        is younger than the lease (a renewal hanging on the API server does not count)."""
        return self.leader and self.mono() - self._renewed_at < self.lease_seconds

    def _get(self) -> Obj | None:
        res = self.kube.resource(LEASE_API, "Lease")
        try:
            found = self.kube.dynamic.get(res, name=self.name, namespace=self.namespace, _request_timeout=self._timeout)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return dict(found.to_dict())

    def _create(self, body: Obj) -> bool:
        res = self.kube.resource(LEASE_API, "Lease")
        try:
            self.kube.dynamic.create(res, body=body, namespace=self.namespace, _request_timeout=self._timeout)
        except ApiException as exc:
            if exc.status == 409:  # another candidate created it first
                return False
            raise
        return True

    def _body(self, spec: Obj, rv: str | None = None) -> Obj:
        meta: Obj = {"name": self.name, "namespace": self.namespace}
        if rv:
            meta["resourceVersion"] = rv
        return {"apiVersion": LEASE_API, "kind": "Lease", "metadata": meta, "spec": spec}

    def ensure_namespace(self) -> None:
        try:
            if self.kube.get("v1", "Namespace", self.namespace) is None:
                self.kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}})
        except ApiException as exc:
            if exc.status not in (403, 409):
                raise

    def step(self) -> bool:
        """Acquire or renew; returns whether this candidate holds the Lease now."""
        try:
            held = self._step()
        except ApiException as exc:
            log.warning("lease request failed", status=exc.status, reason=exc.reason)
            held = self.holds()
        except Exception as exc:  # connection refused/reset, timeouts: the API server is away
            log.warning("lease request failed", error=f"{type(exc).__name__}: {exc}")
            held = self.holds()
        if held != self.leader:
            log.info("leadership acquired" if held else "leadership lost", identity=self.identity, lease=f"{self.namespace}/{self.name}")
        self.leader = held
        return held

    def _step(self) -> bool:
        now = self.wall()
        lease = self._get()
        if lease is None:
            fresh: Obj = {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": self.lease_seconds,
                "acquireTime": micro_time(now),
                "renewTime": micro_time(now),
                "leaseTransitions": 0,
            }
            if not self._create(self._body(fresh)):
                return False
            self._renewed_at = self.mono()
            return True
        spec: dict[str, Any] = dict(lease.get("spec") or {})
        holder = str(spec.get("holderIdentity") or "")
        renew = str(spec.get("renewTime") or "")
        record = (holder, renew)
        if record != self._observed:
            self._observed, self._observed_at = record, self.mono()
        rv = str((lease.get("metadata") or {}).get("resourceVersion") or "")
        if holder == self.identity:
            spec.update(renewTime=micro_time(now), leaseDurationSeconds=self.lease_seconds)
            return self._replace(spec, rv)
        duration = float(spec.get("leaseDurationSeconds") or self.lease_seconds)
        renewed = parse_time(renew)
        expired = (
            not holder
            or self.mono() - self._observed_at >= duration
            or (renewed is not None and now - renewed >= duration)
        )
        if not expired:
            return False
        spec.update(
            holderIdentity=self.identity,
            leaseDurationSeconds=self.lease_seconds,
            acquireTime=micro_time(now),
            renewTime=micro_time(now),
            leaseTransitions=int(spec.get("leaseTransitions") or 0) + 1,
        )
        return self._replace(spec, rv)

    def _replace(self, spec: Obj, rv: str) -> bool:
        res = self.kube.resource(LEASE_API, "Lease")
        try:
            self.kube.dynamic.replace(res, body=self._body(spec, rv), namespace=self.namespace, _request_timeout=self._timeout)
        except ApiException as exc:
            if exc.status == 409:  # someone else wrote it first
                return False
            raise
        self._renewed_at = self.mono()
        return True

    def release(self) -> None:
        """Give the Lease up (only if still ours) so a successor need not wait."""
        if not self.leader:
            return
        self.leader = False
        try:
            lease = self._get()
            if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            spec = dict(lease.get("spec") or {})
            spec["holderIdentity"] = ""
            self._replace(spec, str((lease.get("metadata") or {}).get("resourceVersion") or ""))
            log.info("lease released", identity=self.identity)
        except Exception as exc:  # best effort: the lease expires anyway
            log.warning("lease not released", error=f"{type(exc).__name__}: {exc}")
