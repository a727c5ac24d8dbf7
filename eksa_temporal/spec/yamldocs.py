"""Splitting a multi-document YAML spec and parsing each document, as EKS-A does.

Documents are split on ``---`` lines (extra or empty delimiters are fine); a line that
starts with ``---`` followed by other text is an invalid separator. Each document is parsed
on its own with a safe loader that keeps the text of float scalars (so ``1.20`` decodes into
a string field as ``"1.20"``). Problems are returned as findings, never raised. Called by
``eksa_temporal.spec.load``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from eksa_temporal.spec.base import YamlFloat
from eksa_temporal.spec.findings import Finding

_SEPARATOR = re.compile(r"^---[ \t]*(#.*)?$")
_BAD_SEPARATOR = re.compile(r"^---(?![ \t]|$)")


class _SpecLoader(yaml.SafeLoader):
    """SafeLoader whose floats remember their source text."""


def _construct_float(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    assert isinstance(node, yaml.ScalarNode)
    value = loader.construct_yaml_float(node)
    return YamlFloat(value, str(node.value))


_SpecLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


@dataclass
class RawDocument:
    index: int  # 0-based position among the non-empty documents
    line: int  # 1-based line where the document starts
    data: Any


def _chunks(text: str) -> tuple[list[tuple[int, str]], list[Finding]]:
    chunks: list[tuple[int, str]] = []
    findings: list[Finding] = []
    start, lines = 1, list[str]()
    for number, line in enumerate(text.splitlines(), start=1):
        if _SEPARATOR.match(line):
            chunks.append((start, "\n".join(lines)))
            start, lines = number + 1, list[str]()
            continue
        if _BAD_SEPARATOR.match(line):
            findings.append(
                Finding(
                    path=f"line {number}",
                    message=f"invalid YAML document separator: {line[:40]}",
                    remediation="put '---' alone on its own line between documents",
                    check="yaml-syntax",
                )
            )
        lines.append(line)
    chunks.append((start, "\n".join(lines)))
    return chunks, findings


def parse_documents(text: str) -> tuple[list[RawDocument], list[Finding]]:
    """All non-empty documents of ``text`` (parsed), and syntax findings."""
    chunks, findings = _chunks(text)
    docs: list[RawDocument] = []
    if findings:
        return docs, findings
    for start, chunk in chunks:
        if not chunk.strip():
            continue
        try:
            data = yaml.load(chunk, Loader=_SpecLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = start + mark.line if mark is not None else start
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            findings.append(
                Finding(
                    path=f"line {line}",
                    message=f"YAML syntax error: {problem}",
                    remediation="fix the YAML syntax at that line",
                    check="yaml-syntax",
                )
            )
            continue
        except (ValueError, RecursionError, TypeError) as exc:
            findings.append(
                Finding(
                    path=f"line {start}",
                    message=f"YAML document cannot be read: {exc}",
                    remediation="fix the YAML document starting at that line",
                    check="yaml-syntax",
                )
            )
            continue
        if data is None:
            continue
        docs.append(RawDocument(index=len(docs), line=start, data=data))
    return docs, findings
