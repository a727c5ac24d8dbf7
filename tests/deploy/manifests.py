"""Readers shared by the deploy/ tests: the YAML documents of the Kubernetes manifests, the
compose file, the helm values, the metric names a Grafana dashboard queries, the options a
CLI command accepts, and the two validators CI runs (check-jsonschema with the builtin
compose-spec schema, kubernetes-validate), each returning its findings."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import kubernetes_validate
import yaml

from tests.support.paths import BIN, REPO

DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
COMPOSE = DEPLOY / "docker" / "compose.yaml"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
HELM_VALUES = DEPLOY / "helm-values" / "temporal-values.yaml"
DASHBOARD = DEPLOY / "grafana" / "eksa-temporal.json"
KUBERNETES_VERSION = "1.31.0"  # the oldest minor the manifests are checked against

Doc = dict[str, Any]


def manifest_docs(folder: Path = KUBERNETES) -> Iterator[tuple[Path, Doc]]:
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path, doc


def find(kind: str, name: str) -> Doc:
    for _, doc in manifest_docs():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind} {name} in {KUBERNETES}")


def kubernetes_findings(doc: Doc, version: str = KUBERNETES_VERSION) -> str | None:
    """None when ``doc`` is valid (strict: unknown fields refused), else the error."""
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}: {exc.message} at {list(exc.path)}"
    return None


def compose_findings(path: Path) -> str | None:
    """None when the compose file validates against the compose-spec schema."""
    out = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return None if out.returncode == 0 else out.stdout + out.stderr


def load_yaml(path: Path) -> Doc:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), path
    return data


def cli_options(command: str) -> set[str]:
    """Every option string of ``eksa-temporal <command>`` (from the real click command)."""
    from eksa_temporal.cli.commands import COMMANDS, load_module_commands

    cmd = load_module_commands(COMMANDS[command])[command]
    found: set[str] = set()
    for param in cmd.params:
        if isinstance(param, click.Option):
            found.update(param.opts)
    return found


def option_names(args: list[str]) -> set[str]:
    """The ``--option`` names of an argument list (``--a=b`` and ``--a b`` alike)."""
    return {a.split("=", 1)[0] for a in args if a.startswith("--")}


def option_value(args: list[str], name: str) -> str:
    for i, arg in enumerate(args):
        if arg == name:
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    raise AssertionError(f"{name} not in {args}")


_METRIC = re.compile(r"\b((?:eksa|temporal)_[a-z0-9_]+)\b")


def dashboard_metric_names(path: Path = DASHBOARD) -> set[str]:
    """The metric names the dashboard's queries (and variables) read."""
    dash = json.loads(path.read_text())
    exprs: list[str] = []
    for panel in dash["panels"]:
        exprs += [t["expr"] for t in panel.get("targets", [])]
    for var in dash.get("templating", {}).get("list", []):
        q = var.get("query")
        exprs.append(q.get("query", "") if isinstance(q, dict) else str(q or ""))
    return {m for e in exprs for m in _METRIC.findall(e)}
