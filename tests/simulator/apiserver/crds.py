"""CRDs used by the conformance suite: a small ``Widget`` (status subresource) and the
real Cluster API CRDs from the shared data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import shared_path

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList",
                  "shortNames": ["wd"]},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "subresources": {"status": {}},
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}},
        }],
    },
}


def widget(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}


def capi_crd_dir() -> Path:
    """``shared/capi-crds`` (skips the test when absent)."""
    return shared_path("capi-crds")


def capi_crds() -> list[dict[str, Any]]:
    """Every CRD document under ``shared/capi-crds`` (skips the test when absent)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs: list[dict[str, Any]] = []
    for path in sorted(capi_crd_dir().rglob("*.yaml")):
        docs.extend(d for d in yaml.load_all(path.read_text(), Loader=loader) if d)
    return docs
