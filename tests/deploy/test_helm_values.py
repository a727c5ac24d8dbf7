"""The values for the official Temporal chart (deploy/helm-values/): PostgreSQL for the
default and visibility stores with the password from a Secret, the schema jobs, the
namespace the workers use, and the Job registering the search attributes (a valid
Kubernetes Job registering exactly the ones the workflows upsert)."""

from __future__ import annotations

from eksa_temporal.devserver import SEARCH_ATTRIBUTES

from .manifests import HELM_VALUES, find, kubernetes_findings, load_yaml


def test_both_stores_are_postgresql_with_the_password_from_a_secret() -> None:
    persistence = load_yaml(HELM_VALUES)["server"]["config"]["persistence"]
    for store in ("default", "visibility"):
        assert persistence[store]["driver"] == "sql", store
        sql = persistence[store]["sql"]
        assert sql["driver"] == "postgres12", store
        assert sql["existingSecret"] and "password" not in sql, store
    assert persistence["default"]["sql"]["database"] != persistence["visibility"]["sql"]["database"]


def test_the_schema_jobs_run_and_the_bundled_stores_are_off() -> None:
    values = load_yaml(HELM_VALUES)
    assert all(values["schema"][job]["enabled"] for job in ("createDatabase", "setup", "update"))
    for bundled in ("cassandra", "mysql", "postgresql", "elasticsearch"):
        assert values[bundled]["enabled"] is False, bundled


def test_the_namespace_the_workers_use_is_created() -> None:
    namespaces = load_yaml(HELM_VALUES)["server"]["config"]["namespaces"]
    assert namespaces["create"] is True
    wanted = find("ConfigMap", "eksa-temporal-connection")["data"]["TEMPORAL_NAMESPACE"]
    assert wanted in [n["name"] for n in namespaces["namespace"]]


def test_a_valid_job_registers_the_search_attributes_the_workflows_upsert() -> None:
    (job,) = [o for o in load_yaml(HELM_VALUES)["extraObjects"] if o["kind"] == "Job"]
    assert kubernetes_findings(job) is None
    (c,) = job["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in c["env"]}
    assert env["EKSA_SEARCH_ATTRIBUTES"].split() == list(SEARCH_ATTRIBUTES)
    wanted = find("ConfigMap", "eksa-temporal-connection")["data"]["TEMPORAL_NAMESPACE"]
    assert env["TEMPORAL_NAMESPACE"] == wanted
    assert "--type Keyword" in c["args"][0]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,post-upgrade"
