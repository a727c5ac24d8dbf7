"""The subset of Kubernetes JSONPath that CRD ``additionalPrinterColumns`` use.

Supported: field steps (``.a.b``, dots escaped as ``\\.`` inside a name, as in
``.metadata.labels.cluster\\.x-k8s\\.io/cluster-name``), quoted keys (``['a.b']``,
``["a"]``), indexes (``[0]``, ``[-1]``), wildcards (``[*]``, ``.*``) and filters
``[?(@.type=="Ready")]`` (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` against a quoted string,
a number, ``true``/``false``, or bare ``[?(@.field)]`` for existence). Missing keys yield no
result (``AllowMissingKeys``), so a column is empty rather than an error. Like
kube-apiserver, the printer uses only the first result. Used by ``apiserver.tables``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_FILTER = re.compile(r"^\?\(\s*@((?:\.[^\s=!<>]+)*)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$")


class JSONPathError(ValueError):
    """The expression is outside the supported subset."""


@dataclass(frozen=True)
class _Step:
    kind: str  # "field" | "index" | "all" | "filter"
    key: str = ""
    index: int = 0
    path: tuple[_Step, ...] = ()
    op: str = ""
    value: Any = None


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise JSONPathError(f"unsupported filter value {text!r}") from None


def _bracket(body: str) -> _Step:
    body = body.strip()
    if body == "*":
        return _Step("all")
    if len(body) >= 2 and body[0] == body[-1] and body[0] in "'\"":
        return _Step("field", key=body[1:-1].replace("\\", ""))
    if body.startswith("?"):
        m = _FILTER.match(body)
        if m is None:
            raise JSONPathError(f"unsupported filter [{body}]")
        path = parse(m.group(1)) if m.group(1) else ()
        return _Step("filter", path=path, op=m.group(2) or "", value=_literal(m.group(3)) if m.group(2) else None)
    try:
        return _Step("index", index=int(body))
    except ValueError:
        raise JSONPathError(f"unsupported subscript [{body}]") from None


def parse(expr: str) -> tuple[_Step, ...]:
    """Parse ``expr`` (with or without the surrounding ``{}``) into steps."""
    text = expr.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    steps: list[_Step] = []
    i, n = 0, len(text)
    if text.startswith("$"):
        i = 1
    while i < n:
        c = text[i]
        if c == ".":
            i += 1
            name: list[str] = []
            while i < n and text[i] not in ".[":
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                name.append(text[i])
                i += 1
            key = "".join(name)
            if key:
                steps.append(_Step("all") if key == "*" else _Step("field", key=key))
        elif c == "[":
            depth, j, quote = 0, i, ""
            while j < n:
                ch = text[j]
                if quote:
                    if ch == "\\":
                        j += 1
                    elif ch == quote:
                        quote = ""
                elif ch in "'\"":
                    quote = ch
                elif ch == "[":
                    depth += 1
                elif ch == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                raise JSONPathError(f"unclosed [ in {expr!r}")
            steps.append(_bracket(text[i + 1:j]))
            i = j + 1
        else:
            raise JSONPathError(f"unexpected {c!r} in {expr!r}")
    return tuple(steps)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    numeric = (int, float)
    if isinstance(left, numeric) and isinstance(right, numeric) and not isinstance(left, bool):
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    return False


def _apply(step: _Step, value: Any) -> list[Any]:
    if step.kind == "field":
        return [value[step.key]] if isinstance(value, dict) and step.key in value else []
    if step.kind == "index":
        if isinstance(value, list) and -len(value) <= step.index < len(value):
            return [value[step.index]]
        return []
    if step.kind == "all":
        if isinstance(value, list):
            return list(value)
        return list(value.values()) if isinstance(value, dict) else []
    items = value if isinstance(value, list) else []
    out = []
    for item in items:
        found = evaluate(step.path, item)
        if not step.op:
            if found:
                out.append(item)
        elif found and _compare(found[0], step.op, step.value):
            out.append(item)
    return out


def evaluate(steps: tuple[_Step, ...], obj: Any) -> list[Any]:
    """Every value ``steps`` select in ``obj`` (empty when a key is missing)."""
    current = [obj]
    for step in steps:
        current = [r for v in current for r in _apply(step, v)]
    return current
