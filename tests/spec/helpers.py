"""Helpers for the spec tests: a generated spec as mutable YAML documents, and re-dumping."""

from __future__ import annotations

from typing import Any

import yaml

from eksa_temporal.spec import Finding, check_spec_text, errors, generate_cluster_config


def docs(provider: str = "sim", name: str = "demo") -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(generate_cluster_config(name, provider)))


def dump(documents: list[dict[str, Any]]) -> str:
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in documents)


def error_findings(documents: list[dict[str, Any]]) -> list[Finding]:
    return errors(check_spec_text(dump(documents))[1])


def messages(documents: list[dict[str, Any]]) -> list[str]:
    return [f"{f.path}: {f.message}" for f in error_findings(documents)]
