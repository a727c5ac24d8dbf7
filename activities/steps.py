"""One record per lifecycle step: the ``step`` decorator declares, on the activity method
itself, the step's name (the kebab-case activity name the Web UI shows as ``summary``,
EKS Anywhere's task name where one exists), whether it is long (waits on infrastructure:
long start-to-close timeout, heartbeats), what it changes (empty for a step without side
effects) and the permanent errors it raises. The method is named after the step
(``capi-backup`` -> ``capi_backup``), so a name seen in the Web UI greps to the one method
that runs it. ``step_info`` reads the record back; ``all_steps`` lists a class's steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from temporalio import activity

from eksa_temporal.errors import PermanentError

F = TypeVar("F", bound=Callable[..., Any])

_ATTR = "__eksa_step__"


@dataclass(frozen=True)
class StepInfo:
    """The facts of one step, declared once on its activity method."""

    name: str  # activity name == Web UI summary
    long: bool  # waits on infrastructure: long timeout and heartbeats
    changes: str  # what it changes; "" = nothing (validation)
    errors: tuple[str, ...]  # the permanent error classes it raises (class names)
    module: str
    qualname: str

    @property
    def side_effects(self) -> bool:
        return bool(self.changes)


_DECLARED: dict[str, StepInfo] = {}  # every step declared so far, by name


def method_name(step_name: str) -> str:
    """The activity method of a step: ``capi-backup`` -> ``capi_backup``."""
    return step_name.replace("-", "_")


def step(
    name: str,
    *,
    long: bool = False,
    changes: str = "",
    errors: tuple[type[PermanentError], ...] = (),
) -> Callable[[F], F]:
    """Declare an activity method as the lifecycle step ``name`` (also its activity name)."""

    def declare(fn: F) -> F:
        if fn.__name__ != method_name(name):
            raise TypeError(
                f"step {name} must be a method named {method_name(name)}, not {fn.__name__}"
            )
        info = StepInfo(
            name=name,
            long=long,
            changes=changes,
            errors=tuple(e.__name__ for e in errors),
            module=fn.__module__,
            qualname=fn.__qualname__,
        )
        setattr(fn, _ATTR, info)
        _DECLARED[name] = info
        return activity.defn(name=name)(fn)

    return declare


def declared(name: str) -> StepInfo | None:
    """The record of the step named ``name`` (None for an activity that is no step)."""
    return _DECLARED.get(name)


def step_info(fn: Callable[..., Any]) -> StepInfo:
    """The record of a step method (bound or unbound)."""
    info = getattr(getattr(fn, "__func__", fn), _ATTR, None)
    if not isinstance(info, StepInfo):
        raise TypeError(f"{getattr(fn, '__qualname__', fn)!r} is not a lifecycle step (no @step)")
    return info


def is_step(fn: object) -> bool:
    return isinstance(getattr(getattr(fn, "__func__", fn), _ATTR, None), StepInfo)


def all_steps(cls_or_obj: object) -> list[Callable[..., Any]]:
    """The step methods of an activity class (unbound) or instance (bound), by name."""
    cls = cls_or_obj if isinstance(cls_or_obj, type) else type(cls_or_obj)
    found = []
    for attr in sorted(dir(cls)):
        if attr.startswith("_") or not is_step(getattr(cls, attr)):
            continue
        found.append(getattr(cls_or_obj, attr))
    return found
