"""Parity with EKS Anywhere: every labelled real spec file gets EKS-A's verdict, for EKS-A's
reason where the label names one."""

from __future__ import annotations

import csv

import pytest

from eksa_temporal.spec import check_spec_text, errors
from tests.support.paths import shared_path

# For invalid files: a text that an error finding (path + message) must contain.
EXPECTED_REASON = {
    "not_parseable_cluster_cloudstack.yaml": 'unknown field "idont"',
    "cluster_docker_missing_datacenter.yaml": "DockerDatacenterConfig eksa-unit-test not found",
    "invalid_format.yaml": "YAML syntax error",
    "invalid_manifest.yaml": "invalid YAML document separator",
    "nutanix__invalid-cluster.yaml": 'unknown field "idont"',
    "invalid-machineconfig-addtional-categories-key.yaml": "missing category key",
    "cluster_nutanix_with_upgrade_strategy_cp.yaml": "upgrade rollout strategy customization is not supported for nutanix",
    "not_parseable_cluster_snow.yaml": "SnowDatacenterConfig/eksa-unit-test: spec.idont",
    "cluster_without_worker_nodes_has_cp_taints.yaml": "cannot taint control plane when there is no worker node",
    "cluster_tinkerbell_mismatched_external_etcd.yaml": "machine configs (test-etcd) referenced in cluster config are not provided",
    "cluster_1_19_gitops_invalid_branch.yaml": 'spec.gitops: unknown field "gitops"',
    "cluster_1_21_awsiam_invalid_namespace.yaml": "AWSIamConfig and Cluster objects must have the same namespace",
    "cluster_1_21_awsiam_no_arn.yaml": "MapRoles RoleARN is required",
    "cluster_1_21_awsiam_no_backendmode.yaml": "BackendMode is a required field",
    "cluster_empty_cni.yaml": "no cni plugin specified",
    "cluster_invalid_cluster_name.yaml": 'cluster name "eksa-unit-test1.20" is invalid',
    "cluster_invalid_extra_identity_providers.yaml": "kind: AnotherOne for identityProviderRef is not supported",
    "cluster_invalid_gitops_empty_gitrepo.yaml": 'unknown field "gitops"',
    "cluster_invalid_gitops_unset_gitrepo.yaml": 'unknown field "gitops"',
    "cluster_invalid_missing_http_proxy.yaml": "no value set for httpProxy",
    "cluster_invalid_multiple_worker_node_groups.yaml": "workerNodeGroupConfigurations[1].name: must specify name for worker nodes",
    "cluster_invalid_non_oidc_identity_providers.yaml": "kind: DifferentConfig for identityProviderRef is not supported",
    "cluster_invalid_oidc_issuer_url_non_https.yaml": "issuerUrl should have HTTPS scheme",
    "cluster_invalid_oidc_null_issuer_url.yaml": "OIDCConfig issuerUrl is required",
    "cluster_invalid_proxy_port.yaml": "proxy port 123456 is invalid",
    "cluster_oidc_extra_required_claims.yaml": "only one OIDConfig requiredClaim is supported",
    "cluster_package_cronjob_invalid.yaml": "cronjob should not be specified for a workload cluster",
    "invalid_registry.yaml": "registry can't be set to empty in OCINamespaces",
    "not_parseable_cluster.yaml": "workerNodeGroupConfigurations[0].count: cannot decode 'four'",
    "unstacked_etcd_even_replicas.yaml": 'unknown field "etcdConfiguration"',
    "cluster_vsphere_missing_datacenter.yaml": "VSphereDatacenterConfig eksa-unit-test2 not found",
}


def _labels() -> list[dict[str, str]]:
    with shared_path("eksa-specs", "labels.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _reason_key(filename: str) -> str | None:
    matches = [k for k in EXPECTED_REASON if filename.endswith(k)]
    return max(matches, key=len) if matches else None


def test_every_labelled_file_gets_the_eksa_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _labels()
    files = shared_path("eksa-specs", "files")
    mismatches: list[str] = []
    wrong_reason: list[str] = []
    for row in rows:
        text = (files / row["file"]).read_text(encoding="utf-8")
        _, findings = check_spec_text(text, row["file"])
        found = errors(findings)
        verdict = "invalid" if found else "valid"
        if verdict != row["verdict"]:
            mismatches.append(
                f"{row['file']}: expected {row['verdict']}, got {verdict} {[f.line() for f in found]}"
            )
            continue
        key = _reason_key(row["file"])
        if row["verdict"] == "invalid":
            assert key is not None, f"no expected reason recorded for {row['file']}"
            if not any(EXPECTED_REASON[key] in f"{f.path}: {f.message}" for f in found):
                wrong_reason.append(
                    f"{row['file']}: wanted {EXPECTED_REASON[key]!r}, got {[f.line() for f in found]}"
                )
    agreed = len(rows) - len(mismatches)
    figure = f"EKS-A parity: {agreed}/{len(rows)} files ({100 * agreed / len(rows):.0f}%)"
    with capsys.disabled():
        print(
            f"\n{figure}; reasons matched for {len(rows) - len(mismatches) - len(wrong_reason)}/{len(rows)}"
        )
    assert len(rows) == 40, "labels.tsv changed: update the expected reasons"
    assert not mismatches, figure + "\n" + "\n".join(mismatches)
    assert not wrong_reason, "\n".join(wrong_reason)


def test_valid_labelled_files_load_into_a_spec_without_errors() -> None:
    files = shared_path("eksa-specs", "files")
    for row in _labels():
        if row["verdict"] != "valid":
            continue
        spec, findings = check_spec_text((files / row["file"]).read_text(encoding="utf-8"))
        assert spec is not None, row["file"]
        assert spec.provider == row["provider"], row["file"]
        assert all(not f.is_error for f in findings)


def test_real_files_round_trip_through_to_yaml() -> None:
    from eksa_temporal.spec import load_spec

    files = shared_path("eksa-specs", "files")
    for row in _labels():
        result = load_spec((files / row["file"]).read_text(encoding="utf-8"))
        if result.spec is None:
            continue
        again = load_spec(result.spec.to_yaml())
        assert again.spec == result.spec, row["file"]
