"""What a Cluster object's status and annotations should say, in EKS-A's status schema
(``conditions[type, status, reason, message, severity, lastTransitionTime]``,
``observedGeneration``, ``failureReason``, ``failureMessage``).

``View`` is the desired state of the three conditions and the failure fields;
``status_patch`` turns it into a merge patch of the status subresource against what the
object holds (``None`` when nothing changes, so a reconcile that finds nothing new writes
nothing and causes no watch event). The running operation goes in annotations
(``annotation_patch``): a real API server prunes status fields its CRD does not declare.
Used by ``controller.reconcile``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eksa_temporal.controller import names
from eksa_temporal.kube import Obj


@dataclass(frozen=True)
class Condition:
    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str = ""
    message: str = ""
    severity: str = ""  # "" when True; "Info" | "Warning" | "Error" otherwise


@dataclass(frozen=True)
class View:
    """The conditions to set (others are kept), observedGeneration (None: keep) and the
    failure fields (None: clear)."""

    conditions: tuple[Condition, ...]
    observed_generation: int | None = None
    failure_reason: str | None = None
    failure_message: str | None = None


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ready(generation: int | None, control_plane: Condition | None = None, workers: Condition | None = None) -> View:
    """The last operation applied this spec (``generation``): Ready when the control plane
    and the workers are (both taken as ready when not given)."""
    parts = (
        control_plane or Condition(names.CONTROL_PLANE_READY, "True"),
        workers or Condition(names.WORKERS_READY, "True"),
    )
    failing = next((c for c in parts if c.status != "True"), None)
    if failing is None:
        summary = Condition(names.READY, "True")
    else:
        summary = Condition(names.READY, "False", failing.reason, failing.message, failing.severity or "Warning")
    return View(conditions=(summary, *parts), observed_generation=generation)


def invalid(lines: list[str]) -> View:
    first = lines[0] if lines else "the spec is invalid"
    return View(
        conditions=(Condition(names.READY, "False", names.INVALID_SPEC, first, "Error"),),
        failure_reason=names.INVALID_SPEC,
        failure_message="; ".join(lines) or first,
    )


def missing_objects(lines: list[str]) -> View:
    """Objects the Cluster references do not exist (yet: ``kubectl apply`` of a file
    creates them one by one); the watch on them judges the Cluster again when they come."""
    first = lines[0] if lines else "an object the Cluster references does not exist"
    return View(
        conditions=(Condition(names.READY, "False", names.MISSING_DEPENDENT_OBJECTS, first, "Warning"),),
        failure_reason=names.MISSING_DEPENDENT_OBJECTS,
        failure_message="Dependent cluster objects don't exist: " + ("; ".join(lines) or first),
    )


def failed(operation: str, workflow_id: str, line: str) -> View:
    message = (
        f"{operation} {workflow_id} failed: {line} (fix: change the spec, or set the annotation "
        f"{names.RETRY_ANNOTATION} to a new value to run it again)"
    )
    return View(
        conditions=(Condition(names.READY, "False", names.OPERATION_FAILED, message, "Error"),),
        failure_reason=names.OPERATION_FAILED,
        failure_message=f"{operation} {workflow_id} failed: {line}",
    )


def blocked(reason: str, line: str) -> View:
    """The operation could not be started (the line says why and what to do)."""
    return View(
        conditions=(Condition(names.READY, "False", reason, line, "Warning"),),
        failure_reason=reason,
        failure_message=line,
    )


def running(operation: str, workflow_id: str, step: str | None, parked: bool = False) -> View:
    where = f" at step {step}" if step else ""
    if parked:
        message = (
            f"{operation} {workflow_id} is parked{where}, awaiting the operator "
            f"(fix: eksa-temporal retry {workflow_id}, or eksa-temporal abort {workflow_id})"
        )
        severity = "Warning"
    else:
        message = f"{operation} {workflow_id} running{where}"
        severity = "Info"
    reason = names.OPERATION_RUNNING.get(operation, names.WAITING)
    conds = [Condition(names.READY, "False", reason, message, severity)]
    if operation == "create":
        conds.append(Condition(names.CONTROL_PLANE_READY, "False", names.CONTROL_PLANE_INIT, message, "Info"))
        conds.append(Condition(names.WORKERS_READY, "False", names.WAITING_FOR_WORKERS, message, "Info"))
    elif operation == "upgrade":
        conds.append(Condition(names.CONTROL_PLANE_READY, "False", names.ROLLING_UPGRADE, message, "Info"))
        conds.append(Condition(names.WORKERS_READY, "False", names.ROLLING_UPGRADE, message, "Info"))
    return View(conditions=tuple(conds))


def _as_dict(c: Condition, old: Obj | None, at: str) -> Obj:
    same = old is not None and old.get("status") == c.status
    out: Obj = {
        "type": c.type,
        "status": c.status,
        "lastTransitionTime": (old or {}).get("lastTransitionTime") if same else at,
    }
    if c.reason:
        out["reason"] = c.reason
    if c.message:
        out["message"] = c.message
    if c.severity:
        out["severity"] = c.severity
    return out


def _comparable(cond: Obj) -> tuple[Any, ...]:
    return tuple(cond.get(k) or "" for k in ("type", "status", "reason", "message", "severity"))


def status_patch(obj: Obj, view: View, at: str | None = None) -> Obj | None:
    """The merge patch of ``status`` that makes the object show ``view``; None when it
    already does."""
    status = obj.get("status") or {}
    old_conds: list[Obj] = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    by_type = {c.get("type"): c for c in old_conds}
    stamp = at or now()
    new_conds = [dict(c) for c in old_conds]
    for cond in view.conditions:
        new = _as_dict(cond, by_type.get(cond.type), stamp)
        idx = next((i for i, c in enumerate(new_conds) if c.get("type") == cond.type), None)
        if idx is None:
            new_conds.append(new)
        else:
            new_conds[idx] = new
    order = {t: i for i, t in enumerate(names.CONDITION_TYPES)}
    new_conds.sort(key=lambda c: order.get(str(c.get("type")), len(order)))
    patch: Obj = {}
    if [_comparable(c) for c in new_conds] != [_comparable(c) for c in old_conds]:
        patch["conditions"] = new_conds
    if view.observed_generation is not None and status.get("observedGeneration") != view.observed_generation:
        patch["observedGeneration"] = view.observed_generation
    for key, value in (("failureReason", view.failure_reason), ("failureMessage", view.failure_message)):
        if status.get(key) != value:
            patch[key] = value
    return {"status": patch} if patch else None


def annotation_patch(obj: Obj, wanted: dict[str, str | None]) -> Obj | None:
    """The merge patch of ``metadata.annotations`` setting (or, for None, removing) the
    given keys; None when the object already has them so."""
    have = (obj.get("metadata") or {}).get("annotations") or {}
    changes = {k: v for k, v in wanted.items() if have.get(k) != v}
    return {"metadata": {"annotations": changes}} if changes else None


def ready_event(obj: Obj, view: View) -> tuple[str, str, str] | None:
    """``(type, reason, message)`` of the Event to record when ``view`` changes the Ready
    condition's status or reason on ``obj`` (a new step of a running operation is not one)."""
    new = next((c for c in view.conditions if c.type == names.READY), None)
    if new is None:
        return None
    old = condition_of(obj, names.READY) or {}
    if (old.get("status"), old.get("reason") or "") == (new.status, new.reason):
        return None
    if new.status == "True":
        return "Normal", names.READY, "the cluster is ready: its last operation applied this spec"
    return ("Warning" if new.severity in ("Warning", "Error") else "Normal"), new.reason, new.message


def condition_of(obj: Obj, ctype: str) -> Obj | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return None
