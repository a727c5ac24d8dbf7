"""Label and field selectors as the Kubernetes API parses them.

Label selectors: ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``, ``a``,
``!a``, comma-separated (all must hold). Field selectors: ``path=value``, ``path==value``,
``path!=value`` on dotted paths (``metadata.name``, ``metadata.namespace``, ...). Used by
``apiserver.store`` for list/watch filtering.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from eksa_temporal.simulator.store_api import StoreError

Obj = dict[str, Any]
Predicate = Callable[[Obj], bool]


class BadSelector(StoreError):
    code = 400
    reason = "BadRequest"


_SET_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_./-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


def _split_terms(selector: str) -> list[str]:
    terms: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return [t for t in terms if t.strip()]


def _label_term(term: str) -> Callable[[dict[str, str]], bool]:
    m = _SET_RE.match(term)
    if m:
        key, op, raw = m.group(1), m.group(2), m.group(3)
        values = {v.strip() for v in raw.split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    m = _EQ_RE.match(term)
    if m:
        key, op, value = m.group(1), m.group(2), m.group(3)
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    m = _EXISTS_RE.match(term)
    if m:
        neg, key = m.group(1) == "!", m.group(2)
        if neg:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise BadSelector(f"unable to parse requirement: {term.strip()!r}")


def label_predicate(selector: str | None) -> Predicate | None:
    """A predicate on objects, or None when the selector selects everything."""
    if not selector or not selector.strip():
        return None
    terms = [_label_term(t) for t in _split_terms(selector)]

    def pred(obj: Obj) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(t(labels) for t in terms)

    return pred


def _field_value(obj: Obj, path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def field_predicate(selector: str | None) -> Predicate | None:
    """A predicate for a field selector (any dotted path; missing fields read as "")."""
    if not selector or not selector.strip():
        return None
    checks: list[tuple[str, bool, str]] = []
    for term in _split_terms(selector):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$", term)
        if not m:
            raise BadSelector(f"invalid field selector: {term.strip()!r}")
        checks.append((m.group(1), m.group(2) == "!=", m.group(3)))

    def pred(obj: Obj) -> bool:
        return all((_field_value(obj, path) == value) != neg for path, neg, value in checks)

    return pred


def field_equals(selector: str | None, path: str) -> str | None:
    """The value a selector pins ``path`` to (``metadata.name=x`` -> ``x``), if any."""
    if not selector:
        return None
    for term in _split_terms(selector):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=)\s*(.*?)\s*$", term)
        if m and m.group(1) == path:
            return m.group(3)
    return None
