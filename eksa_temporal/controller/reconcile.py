"""``Reconciler.reconcile(namespace, name)``: bring one EKS-A workload ``Cluster`` object and
its cluster together, level-triggered and idempotent. It compares the spec the objects hold
now (its digest) with the cluster's latest operation in Temporal (state and the digest its
memo records) and decides; it keeps no state of its own, so a restart, a missed event or a
second call changes nothing.

1. Being deleted: the latest operation a completed delete (or none ever) -> remove the
   finalizer; running -> wait; a failed delete -> say so (retry annotation runs it again);
   else start the delete.
2. Ensure the finalizer.
3. Build the spec from the objects and validate it (the static checks of ``validate``):
   a referenced object missing -> ``Ready=False MissingDependentObjects`` naming it (EKS-A's
   reason; the watch on configs judges again when it comes); invalid -> ``Ready=False
   InvalidSpec`` naming the field and the fix; nothing started in either case.
4. Running -> show it, look again soon (never a second operation); the last create/upgrade
   completed with this digest -> Ready; failed/cancelled with this digest -> say so, and
   start again only when the retry annotation has a new value; otherwise start a create
   (no completed create since the last delete) or an upgrade.

Self-managed Clusters (a management cluster's own object) are left alone. Called by the
watch loop (``controller.loop``); returns when to look again (seconds) or None.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes.client import exceptions as _kexc

from eksa_temporal.controller import names, status
from eksa_temporal.controller.health import cluster_health
from eksa_temporal.controller.lifecycle import Busy, Lifecycle, Operation, Refused, Unavailable
from eksa_temporal.controller.objects import gather, is_self_managed, wrong_management
from eksa_temporal.kube import Kube, Obj
from eksa_temporal.logs import get_logger
from eksa_temporal.spec import ClusterSpec, Finding, check_spec_text, proxy
from eksa_temporal.spec.digest import spec_digest
from eksa_temporal.workflows.models import (
    CREATE,
    DELETE,
    UPGRADE,
    CreateClusterInput,
    DeleteClusterInput,
    OperationInput,
    Timeouts,
    UpgradeClusterInput,
)

ApiException: Any = _kexc.ApiException
log = get_logger("controller")

_INPUTS: dict[str, type[OperationInput]] = {
    CREATE: CreateClusterInput,
    UPGRADE: UpgradeClusterInput,
    DELETE: DeleteClusterInput,
}
REFUSED = "OperationRefused"


@dataclass
class Desired:
    """The spec the objects hold: text as a workflow input carries it (proxy passwords
    taken out), the loaded spec and its digest, or the findings that make it invalid."""

    text: str = ""
    passwords: dict[str, str] = field(default_factory=dict)
    spec: ClusterSpec | None = None
    digest: str = ""
    findings: list[Finding] = field(default_factory=list)
    missing: bool = False  # the findings name referenced objects that do not exist

    @property
    def lines(self) -> list[str]:
        return [f.line() for f in self.findings if f.is_error]


def desired_from_text(text: str) -> Desired:
    """Load and check a spec text as ``validate`` does."""
    try:
        clean, passwords = proxy.split_credentials(text)
    except proxy.ProxyCredentialsError as exc:
        return Desired(findings=[Finding(path="spec.clusterNetwork", message=str(exc), check="proxy")])
    spec, findings = check_spec_text(clean, source="Cluster")
    errors = [f for f in findings if f.is_error]
    if spec is None or errors:
        return Desired(text=clean, findings=errors or [Finding(path="<document>", message="the spec is invalid")])
    if spec.provider == "tinkerbell":
        return Desired(
            text=clean,
            findings=[
                Finding(
                    path="spec.datacenterRef",
                    message="a bare-metal cluster needs the hardware CSV, which the controller does not take",
                    remediation="create and change it with eksa-temporal start create-cluster -f <spec> -z <hardware.csv>",
                    check="controller",
                )
            ],
        )
    return Desired(text=clean, passwords=dict(passwords), spec=spec, digest=spec_digest(spec))


def next_operation(last: Operation | None) -> str:
    """Create while no create has completed since the last delete; upgrade otherwise."""
    if last is None or last.operation == DELETE:
        return CREATE
    if last.operation == CREATE and last.state != "completed":
        return CREATE
    return UPGRADE


class Reconciler:
    """Reconciles Cluster objects of one management cluster against Temporal."""

    def __init__(
        self,
        kube: Kube,
        lifecycle: Lifecycle,
        *,
        workdir: Path,
        management_kubeconfig: Path,
        poll_seconds: float = 1.0,
        retry_seconds: float = 5.0,
        timeouts: Timeouts | None = None,
        identity: str = "",
    ) -> None:
        self.kube = kube
        self.lc = lifecycle
        self.workdir = workdir
        self.management_kubeconfig = management_kubeconfig
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.timeouts = timeouts or Timeouts()
        self.identity = identity

    # -- the decision --------------------------------------------------------------------
    async def reconcile(self, namespace: str, name: str) -> float | None:
        """One pass; returns seconds until the next look, or None (wait for an event)."""
        try:
            return await self._reconcile(namespace, name)
        except Unavailable as exc:
            log.warning("Temporal unavailable; will look again", cluster=f"{namespace}/{name}", error=str(exc))
            return self.retry_seconds
        except ApiException as exc:
            if exc.status == 409:  # the object changed under us: read it again
                return 0.1
            log.warning("API error; will look again", cluster=f"{namespace}/{name}", status=exc.status, reason=exc.reason)
            return self.retry_seconds

    async def _reconcile(self, namespace: str, name: str) -> float | None:
        obj = await asyncio.to_thread(self.kube.get, names.EKSA_API, names.CLUSTER_KIND, name, namespace)
        if obj is None or is_self_managed(obj):
            return None
        last = await self.lc.last(namespace, name)
        if (obj.get("metadata") or {}).get("deletionTimestamp"):
            return await self._deleting(obj, last)
        if not (last is not None and last.running and last.operation == DELETE):
            # (a running delete takes the finalizer off and the objects away itself)
            obj = await self._ensure_finalizer(obj)
        desired = await asyncio.to_thread(self._desired, obj)
        if last is not None and last.running:
            await self._show(obj, self._running_view(last), last)
            return self.poll_seconds
        if desired.spec is None:
            view = status.missing_objects(desired.lines) if desired.missing else status.invalid(desired.lines)
            await self._show(obj, view, last)
            return None
        if last is not None and last.digest == desired.digest and last.operation in (CREATE, UPGRADE):
            if last.state == "completed":
                generation = (obj.get("metadata") or {}).get("generation")
                control_plane, workers = await asyncio.to_thread(cluster_health, self.kube, str(obj["metadata"]["name"]))
                view = status.ready(int(generation) if generation else None, control_plane, workers)
                await self._show(obj, view, last)
                healthy = control_plane.status == workers.status == "True"
                return None if healthy else self.retry_seconds  # nothing watches the CAPI objects
            if not self._retry_requested(obj):
                await self._show(obj, status.failed(last.operation, last.workflow_id, last.error or last.state), last)
                return None
        elif last is not None and last.digest == desired.digest and last.state != "completed" and not self._retry_requested(obj):
            # a failed or cancelled delete of this very spec: not restarted on its own
            await self._show(obj, status.failed(last.operation, last.workflow_id, last.error or last.state), last)
            return None
        return await self._start(obj, next_operation(last), desired)

    async def _deleting(self, obj: Obj, last: Operation | None) -> float | None:
        if not has_finalizer(obj):
            return None
        if last is None:  # nothing was ever started for it
            await self._remove_finalizer(obj)
            return None
        if last.running:
            await self._show(obj, self._running_view(last), last)
            return self.poll_seconds
        if last.operation == DELETE:
            if last.state == "completed":
                await self._remove_finalizer(obj)
                return None
            if not self._retry_requested(obj):
                await self._show(obj, status.failed(last.operation, last.workflow_id, last.error or last.state), last)
                return None
        desired = await asyncio.to_thread(self._desired, obj)
        if desired.spec is None:  # the configs may be gone already: delete what the last operation made
            text = await self.lc.spec_text(last)
            if text:
                fallback = await asyncio.to_thread(desired_from_text, text)
                if fallback.spec is not None:
                    desired = fallback
        if desired.spec is None:
            view = status.missing_objects(desired.lines) if desired.missing else status.invalid(desired.lines)
            await self._show(obj, view, last)
            return None
        return await self._start(obj, DELETE, desired)

    # -- actions -------------------------------------------------------------------------
    async def _start(self, obj: Obj, operation: str, desired: Desired) -> float | None:
        meta = obj.get("metadata") or {}
        cluster = f"{meta.get('namespace') or 'default'}/{meta.get('name')}"
        retry = (meta.get("annotations") or {}).get(names.RETRY_ANNOTATION)
        if retry is not None:  # recorded before the start: a retry is acted on at most once
            obj = await self._annotate(obj, {names.RETRY_SEEN_ANNOTATION: retry})
        name = str(meta.get("name"))
        inp = _INPUTS[operation](
            spec_yaml=desired.text,
            workdir=str((self.workdir / name).resolve()),
            management_kubeconfig=str(self.management_kubeconfig.resolve()),
            origin=names.ORIGIN,
            timeouts=self.timeouts,
        )
        try:
            started = await self.lc.start(operation, inp, desired.passwords)
        except Busy:
            return self.poll_seconds
        except Refused as exc:
            log.warning("operation refused", cluster=cluster, operation=operation, error=str(exc))
            await self._show(obj, status.blocked(REFUSED, str(exc)), None)
            return None
        log.info("operation started", cluster=cluster, operation=operation, workflow_id=started.workflow_id)
        await self._show(obj, self._running_view(started), started)
        return self.poll_seconds

    def _running_view(self, op: Operation) -> status.View:
        return status.running(op.operation, op.workflow_id, op.step, parked=op.state == "awaiting-operator")

    def _desired(self, obj: Obj) -> Desired:
        elsewhere = wrong_management(self.kube, obj)
        if elsewhere is not None:
            return Desired(findings=[elsewhere])
        gathered = gather(self.kube, obj)
        if gathered.missing:
            return Desired(text=gathered.text(), findings=gathered.missing, missing=True)
        return desired_from_text(gathered.text())

    @staticmethod
    def _retry_requested(obj: Obj) -> bool:
        ann = (obj.get("metadata") or {}).get("annotations") or {}
        value = ann.get(names.RETRY_ANNOTATION)
        return value is not None and value != ann.get(names.RETRY_SEEN_ANNOTATION)

    async def _show(self, obj: Obj, view: status.View, op: Operation | None) -> None:
        """Write the view into status and the operation into annotations, if they differ."""
        if op is not None:
            wanted: dict[str, str | None] = {
                names.WORKFLOW_ANNOTATION: op.workflow_id,
                names.WORKFLOW_UI_ANNOTATION: op.ui_url or None,
                names.OPERATION_ANNOTATION: op.operation,
                names.STEP_ANNOTATION: op.step if op.running else None,
            }
            obj = await self._annotate(obj, wanted)
        patch = status.status_patch(obj, view)
        if patch is not None:
            await asyncio.to_thread(self._patch_status, obj, patch)
            event = status.ready_event(obj, view)
            if event is not None:
                await asyncio.to_thread(self._event, obj, *event)

    async def _annotate(self, obj: Obj, wanted: dict[str, str | None]) -> Obj:
        patch = status.annotation_patch(obj, wanted)
        if patch is None:
            return obj
        return await asyncio.to_thread(self._patch, obj, patch)

    async def _ensure_finalizer(self, obj: Obj) -> Obj:
        finalizers = list((obj.get("metadata") or {}).get("finalizers") or [])
        if names.FINALIZER in finalizers:
            return obj
        return await asyncio.to_thread(self._patch, obj, {"metadata": {"finalizers": [*finalizers, names.FINALIZER]}})

    async def _remove_finalizer(self, obj: Obj) -> None:
        finalizers = list((obj.get("metadata") or {}).get("finalizers") or [])
        if names.FINALIZER not in finalizers:
            return
        meta = obj.get("metadata") or {}
        log.info("finalizer removed", cluster=f"{meta.get('namespace')}/{meta.get('name')}")
        await asyncio.to_thread(self._patch, obj, {"metadata": {"finalizers": [f for f in finalizers if f != names.FINALIZER]}})

    # -- writes (blocking; called in a thread) ---------------------------------------------
    def _patch(self, obj: Obj, patch: Obj) -> Obj:
        """Merge patch with the object's resourceVersion as precondition (409 if it changed)."""
        meta = obj.get("metadata") or {}
        body = {**patch, "metadata": {**(patch.get("metadata") or {}), "resourceVersion": meta.get("resourceVersion")}}
        try:
            return self.kube.merge_patch(names.EKSA_API, names.CLUSTER_KIND, str(meta["name"]), meta.get("namespace"), body)
        except ApiException as exc:
            if exc.status == 404:
                return obj
            raise

    def _event(self, obj: Obj, kind: str, reason: str, message: str) -> None:
        """Record an Event on the Cluster (``kubectl describe``); a refused Event is logged."""
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace") or "default"
        at = status.now()
        body: Obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{meta.get('name')}.", "namespace": ns},
            "involvedObject": {
                "apiVersion": names.EKSA_API,
                "kind": names.CLUSTER_KIND,
                "name": meta.get("name"),
                "namespace": ns,
                "uid": meta.get("uid"),
            },
            "type": kind,
            "reason": reason,
            "message": message[:1024],
            "source": {"component": names.EVENT_SOURCE},
            "reportingComponent": names.EVENT_SOURCE,
            "reportingInstance": self.identity,
            "firstTimestamp": at,
            "lastTimestamp": at,
            "count": 1,
        }
        try:
            self.kube.create(body)
        except ApiException as exc:
            log.warning("event not recorded", cluster=f"{ns}/{meta.get('name')}", status=exc.status, reason=reason)

    def _patch_status(self, obj: Obj, patch: Obj) -> None:
        meta = obj.get("metadata") or {}
        res = self.kube.resource(names.EKSA_API, names.CLUSTER_KIND)
        try:
            self.kube.dynamic.patch(
                res.status,
                body=patch,
                name=meta["name"],
                namespace=meta.get("namespace") or "default",
                content_type="application/merge-patch+json",
            )
        except ApiException as exc:
            if exc.status != 404:
                raise


def has_finalizer(obj: Obj) -> bool:
    return names.FINALIZER in ((obj.get("metadata") or {}).get("finalizers") or [])
