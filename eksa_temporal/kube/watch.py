"""One bounded watch request over a collection, for ``Kube.wait_for_all``: stream the
changes after a ``resourceVersion`` for at most ``window`` seconds, keep the name -> object
state and the last seen ``resourceVersion`` (BOOKMARK events included), report each change,
and stop as soon as the predicate holds. A ``410 Gone`` surfaces as ``ApiException`` (the
caller re-lists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import watch as _kwatch

from eksa_temporal.kube.conditions import Obj

kwatch: Any = _kwatch  # untyped part of the kubernetes package

SetPredicate = Callable[[dict[str, Obj]], bool]


@dataclass
class WatchState:
    """What a wait knows: the objects by name and the resourceVersion they are as of."""

    objs: dict[str, Obj] = field(default_factory=dict)
    rv: str = ""


def watch_window(
    res: Any,
    namespace: str | None,
    selectors: dict[str, str | None],
    state: WatchState,
    window: int,
    predicate: SetPredicate,
    on_progress: Callable[[dict[str, Obj]], None] | None,
) -> bool:
    """Watch ``res`` from ``state.rv`` for up to ``window`` s, updating ``state`` in place;
    True as soon as ``predicate(state.objs)`` holds."""
    watcher = kwatch.Watch()
    stream = watcher.stream(
        res.get,
        namespace=namespace,
        label_selector=selectors.get("label_selector"),
        field_selector=selectors.get("field_selector"),
        resource_version=state.rv or None,
        allow_watch_bookmarks=True,
        timeout_seconds=window,
        serialize=False,
        _request_timeout=(10, window + 15),
    )
    try:
        for event in stream:
            obj = event.get("raw_object") or {}
            new_rv = (obj.get("metadata") or {}).get("resourceVersion")
            if new_rv:
                state.rv = str(new_rv)
            if event.get("type") == "BOOKMARK":
                continue
            name = obj["metadata"]["name"]
            if event.get("type") == "DELETED":
                state.objs.pop(name, None)
            else:
                state.objs[name] = obj
            if on_progress is not None:
                on_progress(state.objs)
            if predicate(state.objs):
                return True
    finally:
        watcher.stop()
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return False
