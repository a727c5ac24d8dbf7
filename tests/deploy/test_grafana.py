"""The Grafana dashboard (deploy/grafana/eksa-temporal.json) and its provisioning: valid
JSON with unique panel ids, a Prometheus query in every panel, and only metric names the
worker serves (the eksa_* series of eksa_temporal.metrics, Temporal's runtime series named
in docs/operations.md "Metrics"); the e2e scrape test checks they appear on a live worker."""

from __future__ import annotations

import json
import re

from eksa_temporal import metrics
from tests.support.paths import REPO

from .manifests import DASHBOARD, DEPLOY, dashboard_metric_names, load_yaml

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def served_names() -> set[str]:
    """Our series with their histogram parts, and the runtime series the docs name."""
    ours = {m + s for m in metrics.SERIES for s in ("", *HISTOGRAM_SUFFIXES)}
    docs = (REPO / "docs" / "operations.md").read_text()
    section = docs.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    runtime = {m + s for m in re.findall(r"`(temporal_[a-z0-9_]+)`", section) for s in ("", *HISTOGRAM_SUFFIXES)}
    return ours | runtime


def test_every_panel_queries_prometheus_with_unique_ids() -> None:
    dash = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    graphs = [p for p in dash["panels"] if p["type"] != "row"]
    assert len(graphs) >= 8
    for panel in graphs:
        assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
    assert dash["uid"] and dash["title"]


def test_the_dashboard_reads_only_series_the_worker_serves() -> None:
    used = dashboard_metric_names()
    assert used - served_names() == set()
    # operations and steps, the point of the dashboard
    assert {"eksa_operations_finished", "eksa_step_attempts", "eksa_step_duration_seconds_bucket", "eksa_operations_parked"} <= used


def test_the_docs_name_every_eksa_series() -> None:
    docs = (REPO / "docs" / "operations.md").read_text()
    section = docs.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    assert [m for m in metrics.SERIES if f"`{m}`" not in section] == []


def test_the_provisioning_points_grafana_at_the_dashboard_folder() -> None:
    provider = load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "eksa-temporal.yaml")["providers"][0]
    compose = load_yaml(DEPLOY / "docker" / "compose.yaml")["services"]["grafana"]
    assert f"../grafana:{provider['options']['path']}:ro" in compose["volumes"]
    datasource = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yaml")["datasources"][0]
    assert datasource["type"] == "prometheus"
