"""The SSH hosts provider's infrastructure controller, run by the worker itself (as CAPD
runs bootstrap data with ``docker exec``): reconcile passes over one cluster's
``SSHCluster`` and ``SSHMachine`` objects in the cluster that manages it.

- ``SSHCluster``: ``spec.controlPlaneEndpoint`` (the spec's endpoint, else the Cluster's)
  and ``status.ready``.
- ``SSHMachine`` without ``status.ready``: once its CAPI Machine has bootstrap data, claim a
  free inventory host matching its ``hostSelector`` - recorded first on the SSHMachine
  (``spec.hostName``, ``spec.providerID: ssh://<host>``) with an optimistic-concurrency
  patch, never a host another SSHMachine of the namespace holds - then run the Machine's
  bootstrap data on that host over one SSH connection (``cloudinit.run_bootstrap``: read
  first, each step once, resumed at the first step not done after a crash) and report
  ``status.ready``, ``addresses`` (InternalIP = the host's address, Hostname) and the
  provider ID.
- ``SSHMachine`` being deleted (finalizer ``sshmachine.infrastructure.cluster.x-k8s.io``):
  reset the host (``reset.reset_host``), then remove the finalizer - the host is free again.
  A machine deleted for a move only loses the finalizer.

Objects of a paused Cluster, or paused themselves, are left alone. Host work runs on a
thread pool, one job per host at a time; a pass never waits for it. A job's error is kept
and raised by ``check()`` (the activity running the controller fails with it: permanent
errors stay permanent, others are retried by Temporal). ``progress()`` is host -> current
step, for heartbeats; it holds no secrets (the host library redacts its step lines).
"""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, Protocol

from eksa_temporal.errors import PermanentError
from eksa_temporal.logs import get_logger
from eksa_temporal.providers.kubeadm import CLUSTER_NAME_LABEL, CLUSTER_V, INFRA_V
from eksa_temporal.providers.ssh.hosts import SSHHost
from eksa_temporal.providers.ssh.inventory import free_host
from eksa_temporal.providers.ssh.kubeapi import Conflict, KubeApi

log = get_logger(__name__)
Obj = dict[str, Any]

MACHINE_FINALIZER = "sshmachine.infrastructure.cluster.x-k8s.io"
PROVIDER_ID_SCHEME = "ssh://"
PAUSED_ANNOTATION = "cluster.x-k8s.io/paused"
DELETE_FOR_MOVE_ANNOTATION = "clusterctl.cluster.x-k8s.io/delete-for-move"


def provider_id(host: str) -> str:
    return f"{PROVIDER_ID_SCHEME}{host}"


class HostAccess(Protocol):
    """What the controller does on hosts (``access.SSHAccess`` over paramiko; fakes in tests)."""

    def connect(self, host: SSHHost) -> AbstractContextManager[Any]: ...

    def bootstrap(self, session: Any, data: str, on_step: Callable[[str], None]) -> Any: ...

    def reset(self, session: Any) -> list[str]: ...


def _meta(obj: Obj) -> Obj:
    return obj.get("metadata") or {}


def _spec(obj: Obj | None) -> Obj:
    return (obj or {}).get("spec") or {}


def _status(obj: Obj | None) -> Obj:
    return (obj or {}).get("status") or {}


def _owner(obj: Obj, kind: str) -> str | None:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("kind") == kind:
            return str(ref.get("name"))
    return None


def _condition(ready: bool, reason: str = "", message: str = "") -> Obj:
    cond: Obj = {"type": "Ready", "status": "True" if ready else "False"}
    if not ready:
        cond.update({"reason": reason, "severity": "Info", "message": message[:300]})
    return cond


class HostController:
    """Reconciles the SSH kinds of one cluster (see the module docstring)."""

    def __init__(
        self,
        kube: KubeApi,
        cluster: str,
        namespace: str,
        hosts: list[SSHHost],
        access: HostAccess,
        *,
        endpoint: Obj | None = None,
        max_workers: int = 16,
    ) -> None:
        self.kube = kube
        self.cluster = cluster
        self.namespace = namespace
        self.hosts = {h.name: h for h in hosts}
        self.order = list(hosts)
        self.access = access
        self.endpoint = endpoint or {}
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ssh-host")
        self._jobs: dict[str, Future[None]] = {}  # host name -> running job
        self._lock = threading.Lock()
        self._progress: dict[str, str] = {}
        self._errors: dict[str, BaseException] = {}  # host -> the last job's error

    # -- what the activity reads -------------------------------------------------------------
    def progress(self) -> dict[str, str]:
        """Host name -> the step it is at (no secrets)."""
        with self._lock:
            return dict(self._progress)

    def check(self) -> None:
        """Raise the first error a host job met (permanent ones first)."""
        with self._lock:
            errors = list(self._errors.values())
        if errors:
            permanent = [e for e in errors if isinstance(e, PermanentError)]
            raise (permanent or errors)[0]

    def _note(self, host: str, step: str) -> None:
        with self._lock:
            self._progress[host] = step

    # -- running ------------------------------------------------------------------------------
    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Reconcile passes every ``interval`` seconds until ``stop`` is set; a pass that
        fails on the API is logged and tried again on the next one."""
        while not stop.is_set():
            try:
                self.reconcile()
            except Exception as exc:  # the API blinked: the next pass reads again
                log.info("ssh controller pass failed", cluster=self.cluster, error=str(exc)[:300])
            stop.wait(interval)

    def close(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def wait_idle(self) -> None:
        """Wait for the running host jobs (tests)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            with contextlib.suppress(Exception):
                job.result()

    # -- one pass -----------------------------------------------------------------------------
    def reconcile(self) -> None:
        cluster = self.kube.get(CLUSTER_V, "Cluster", self.cluster, self.namespace)
        paused = bool(_spec(cluster).get("paused"))
        self._reconcile_cluster(cluster, paused)
        machines, _ = self.kube.list_objects(INFRA_V, "SSHMachine", self.namespace)
        held = {str(_spec(m).get("hostName")): _meta(m).get("name") for m in machines if _spec(m).get("hostName")}
        for machine in machines:
            if self._ours(machine):
                try:
                    self._reconcile_machine(machine, paused, held)
                except Conflict:
                    continue  # changed since listed: read again on the next pass

    def _ours(self, obj: Obj) -> bool:
        return (_meta(obj).get("labels") or {}).get(CLUSTER_NAME_LABEL) == self.cluster

    def _reconcile_cluster(self, cluster: Obj | None, paused: bool) -> None:
        sc = self.kube.get(INFRA_V, "SSHCluster", self.cluster, self.namespace)
        if sc is None or cluster is None or paused or _meta(sc).get("deletionTimestamp"):
            return
        if PAUSED_ANNOTATION in (_meta(sc).get("annotations") or {}):
            return
        if not (_spec(sc).get("controlPlaneEndpoint") or {}).get("host"):
            endpoint = self.endpoint if self.endpoint.get("host") else _spec(cluster).get("controlPlaneEndpoint") or {}
            if not endpoint.get("host"):
                return
            sc = self.kube.merge_patch(INFRA_V, "SSHCluster", self.cluster, self.namespace, {"spec": {"controlPlaneEndpoint": endpoint}})
        if not _status(sc).get("ready"):
            self.kube.patch_status(
                INFRA_V, "SSHCluster", self.cluster, self.namespace,
                {"status": {"ready": True, "initialization": {"provisioned": True}, "conditions": [_condition(True)]}},
            )

    def _reconcile_machine(self, sm: Obj, paused: bool, held: dict[str, Any]) -> None:
        meta = _meta(sm)
        name = str(meta["name"])
        host_name = str(_spec(sm).get("hostName") or "")
        if paused or PAUSED_ANNOTATION in (meta.get("annotations") or {}):
            return
        if host_name and self._busy(host_name):
            return
        if meta.get("deletionTimestamp"):
            if MACHINE_FINALIZER not in (meta.get("finalizers") or []):
                return
            if DELETE_FOR_MOVE_ANNOTATION in (meta.get("annotations") or {}) or not host_name:
                self._remove_finalizer(name)
            elif host_name in self.hosts:
                self._submit(host_name, self._reset, name, self.hosts[host_name])
            else:
                log.warning("ssh machine's host is not in the inventory; released without a reset", machine=name, host=host_name)
                self._remove_finalizer(name)
            return
        if MACHINE_FINALIZER not in (meta.get("finalizers") or []):
            self.kube.merge_patch(
                INFRA_V, "SSHMachine", name, self.namespace,
                {"metadata": {"finalizers": [*(meta.get("finalizers") or []), MACHINE_FINALIZER], "resourceVersion": meta.get("resourceVersion")}},
            )
            return  # the next pass reads it with the finalizer
        if _status(sm).get("ready"):
            return
        machine_name = _owner(sm, "Machine")
        machine = self.kube.get(CLUSTER_V, "Machine", machine_name, self.namespace) if machine_name else None
        secret = ((_spec(machine).get("bootstrap") or {}).get("dataSecretName")) if machine else None
        if not secret:
            return  # infrastructure providers wait for the bootstrap data
        if not host_name:
            selector = (_spec(sm).get("hostSelector") or {}).get("matchLabels") or {}
            host = free_host(self.order, selector, held)
            if host is None:
                self._note(f"({name})", f"waiting for a free host matching {selector}")
                return
            try:
                self._claim(sm, host.name)
            except Conflict:
                return  # someone else wrote it: read again on the next pass
            held[host.name] = name
            host_name = host.name
        host = self.hosts.get(host_name)
        if host is None:
            with self._lock:
                self._errors[host_name] = PermanentError(
                    f"SSHMachine {name} holds host {host_name}, which the inventory does not list",
                    fix="add the host back to SSHDatacenterConfig.spec.hosts",
                )
            return
        self._submit(host_name, self._bootstrap, name, host, str(secret))

    def _busy(self, host: str) -> bool:
        with self._lock:
            job = self._jobs.get(host)
            return job is not None and not job.done()

    def _submit(self, host: str, fn: Callable[..., None], *args: Any) -> None:
        def job() -> None:
            try:
                fn(*args)
            except BaseException as exc:
                self._note(host, f"failed: {type(exc).__name__}")
                log.warning("ssh host job failed", host=host, error=f"{type(exc).__name__}: {str(exc)[:300]}")
                with self._lock:
                    self._errors[host] = exc
            else:
                with self._lock:
                    self._errors.pop(host, None)

        with self._lock:
            self._jobs[host] = self._pool.submit(job)

    # -- claims -------------------------------------------------------------------------------
    def _claim(self, sm: Obj, host: str) -> None:
        """Record the claim on the SSHMachine, only if it is unchanged since read."""
        meta = _meta(sm)
        self.kube.merge_patch(
            INFRA_V, "SSHMachine", str(meta["name"]), self.namespace,
            {"metadata": {"resourceVersion": meta.get("resourceVersion")}, "spec": {"hostName": host, "providerID": provider_id(host)}},
        )
        self._note(host, f"claimed by {meta['name']}")
        log.info("ssh host claimed", host=host, machine=meta["name"], cluster=self.cluster)

    # -- host jobs ----------------------------------------------------------------------------
    def _bootstrap(self, machine: str, host: SSHHost, secret_name: str) -> None:
        secret = self.kube.get("v1", "Secret", secret_name, self.namespace)
        value = ((secret or {}).get("data") or {}).get("value")
        if not value:
            self._note(host.name, "waiting for bootstrap data")
            return
        data = base64.b64decode(value).decode()
        self._note(host.name, "connecting")
        with self.access.connect(host) as session:
            self.access.bootstrap(session, data, lambda line: self._note(host.name, line))
        self.kube.patch_status(
            INFRA_V, "SSHMachine", machine, self.namespace,
            {"status": {
                "ready": True,
                "initialization": {"provisioned": True},
                "addresses": [{"type": "InternalIP", "address": host.address}, {"type": "Hostname", "address": host.name}],
                "conditions": [_condition(True)],
            }},
        )
        self._note(host.name, "ready")
        log.info("ssh host bootstrapped", host=host.name, machine=machine, cluster=self.cluster)

    def _reset(self, machine: str, host: SSHHost) -> None:
        self._note(host.name, "resetting")
        with self.access.connect(host) as session:
            done = self.access.reset(session)
        log.info("ssh host reset", host=host.name, machine=machine, done=done)
        self._remove_finalizer(machine)
        self._note(host.name, "free")

    def _remove_finalizer(self, machine: str) -> None:
        sm = self.kube.get(INFRA_V, "SSHMachine", machine, self.namespace)
        if sm is None:
            return
        meta = _meta(sm)
        rest = [f for f in meta.get("finalizers") or [] if f != MACHINE_FINALIZER]
        if len(rest) == len(meta.get("finalizers") or []):
            return
        with contextlib.suppress(Conflict):  # changed meanwhile: the next pass tries again
            self.kube.merge_patch(
                INFRA_V, "SSHMachine", machine, self.namespace,
                {"metadata": {"finalizers": rest or None, "resourceVersion": meta.get("resourceVersion")}},
            )


@contextlib.contextmanager
def running(controller: HostController, interval: float = 1.0) -> Iterator[HostController]:
    """``controller``'s passes in a background thread for the duration of the block."""
    stop = threading.Event()
    thread = threading.Thread(target=controller.run, args=(stop, interval), name=f"ssh-controller-{controller.cluster}", daemon=True)
    thread.start()
    try:
        yield controller
    finally:
        stop.set()
        thread.join(timeout=30)
        controller.close(wait=True)

