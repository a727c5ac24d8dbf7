"""Reading Kubernetes status conditions (``status.conditions[]``) from plain object dicts,
as the waits' predicates need them: ``condition(obj, "Ready")``, ``condition_true(...)``."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def condition(obj: Obj | None, type_: str) -> Obj | None:
    """The status condition of ``type_`` on ``obj``, or None."""
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return None


def condition_true(obj: Obj | None, type_: str) -> bool:
    cond = condition(obj, type_)
    return cond is not None and str(cond.get("status")) == "True"
