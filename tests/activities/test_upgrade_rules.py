"""Upgrade rules: one Kubernetes minor version at a time, never down; immutable fields."""

from __future__ import annotations

from eksa_temporal.activities.upgrade_rules import (
    IMMUTABLE,
    VERSION_SKEW,
    upgrade_findings,
    version_findings,
)
from eksa_temporal.spec import ClusterSpec, check_spec_text, generate_cluster_config


def spec(text: str) -> ClusterSpec:
    loaded, findings = check_spec_text(text)
    assert loaded is not None, [f.line() for f in findings]
    return loaded


def test_one_minor_version_up_is_allowed() -> None:
    assert version_findings("1.30", "1.31") == []
    assert version_findings("1.31", "1.31") == []


def test_skipping_a_minor_version_names_the_next_one() -> None:
    found = version_findings("1.29", "1.31")
    assert [f.check for f in found] == [VERSION_SKEW]
    assert "upgrade to 1.30 first" in found[0].remediation


def test_downgrades_are_refused() -> None:
    assert [f.check for f in version_findings("1.31", "1.30")] == [VERSION_SKEW]


def test_changing_the_pod_cidr_or_endpoint_is_an_immutable_field_change() -> None:
    base = generate_cluster_config("demo", "sim")
    current = spec(base)
    desired = spec(base.replace("192.168.0.0/16", "172.16.0.0/16").replace("'1.31'", "'1.32'"))
    found = upgrade_findings(current, desired)
    assert [(f.check, f.path) for f in found] == [
        (IMMUTABLE, "spec.clusterNetwork.pods.cidrBlocks")
    ]


def test_an_unchanged_spec_passes() -> None:
    base = spec(generate_cluster_config("demo", "sim"))
    assert upgrade_findings(base, base) == []
