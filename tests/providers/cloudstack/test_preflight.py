"""CloudStack preflight against the API emulator (signed requests verified for real):
a good spec passes; every check fails with a finding naming the spec path and a fix -
missing or malformed credentials, wrong secret key, unknown api key, a profile missing
or pointing elsewhere, zone, domain, account, network, template, compute and disk
offerings, affinity groups, an endpoint in use - and all are reported together."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from eksa_temporal.providers.base import PreflightOptions
from eksa_temporal.providers.cloudstack.api import Api
from eksa_temporal.providers.cloudstack.credentials import (
    SECRET_ENV,
    Profile,
    encode_profiles,
    read_profiles,
)
from eksa_temporal.providers.cloudstack.provider import CloudStackProvider
from eksa_temporal.spec.findings import Finding
from tests.providers.cloudstack.emulator import CloudStackServer, cloudstack_api, signature
from tests.providers.cloudstack.fixtures import (
    Docs,
    cloudstack_spec,
    credentials_env,
    profile_values,
)

OPTS = PreflightOptions(skip_ip_check=True)


@pytest.fixture(scope="module")
def server() -> Iterator[CloudStackServer]:
    with cloudstack_api("127.0.13.2") as srv:
        yield srv


def run(
    server: CloudStackServer,
    mutate: Any = None,
    env: dict[str, str] | None = None,
    options: PreflightOptions = OPTS,
    **kw: Any,
) -> list[Finding]:
    provider = CloudStackProvider(env=credentials_env(server) if env is None else env, **kw)
    return provider.preflight(cloudstack_spec(server.url, mutate), options)


def checks(findings: list[Finding]) -> dict[str, str]:
    return {f.check: f.path for f in findings}


def test_a_good_spec_passes_with_signed_posts_only(server: CloudStackServer) -> None:
    before = len(server.calls)
    assert run(server) == []
    calls = server.calls[before:]
    assert {c for c, _ in calls} >= {"listZones", "listDomains", "listAccounts", "listNetworks", "listTemplates", "listServiceOfferings"}
    assert all(query == "" for _, query in calls)  # keys and signature in the body, never in a URL


def test_missing_or_malformed_credentials_name_the_variable(server: CloudStackServer) -> None:
    for env in ({}, {SECRET_ENV: "%%%"}, {SECRET_ENV: base64.b64encode(b"[global]\napi-key = k\n").decode()}):
        found = run(server, env=env)
        assert [f.path for f in found] == [SECRET_ENV], found
        assert found[0].remediation


def test_a_wrong_secret_key_or_unknown_api_key_fails_the_login(server: CloudStackServer) -> None:
    env = credentials_env(server, **{"secret-key": "not-the-secret"})
    found = run(server, env=env)
    assert checks(found) == {"cloudstack-login": "CloudStackDatacenterConfig/cs1.spec.availabilityZones[0].credentialsRef"}
    assert "401" in found[0].message and "not-the-secret" not in found[0].line()
    env = credentials_env(server, **{"api-key": "unknown-key"})
    assert checks(run(server, env=env)) == {"cloudstack-login": "CloudStackDatacenterConfig/cs1.spec.availabilityZones[0].credentialsRef"}


def test_a_request_altered_after_signing_is_refused(server: CloudStackServer) -> None:
    key, secret = server.inventory.user()
    params = {"command": "listZones", "apiKey": key, "response": "json"}
    params["signature"] = signature(params, secret)
    assert requests.post(server.url, data=params, timeout=5).status_code == 200
    altered = {**params, "name": "zone1"}
    reply = requests.post(server.url, data=altered, timeout=5)
    assert reply.status_code == 401
    assert reply.json()["listzonesresponse"]["errorcode"] == 401


def test_a_profile_must_exist_and_match_the_endpoint(server: CloudStackServer) -> None:
    found = run(server, env=credentials_env(server, profile="other"))
    assert checks(found) == {"cloudstack-credentials": "CloudStackDatacenterConfig/cs1.spec.availabilityZones[0].credentialsRef"}

    def elsewhere(docs: Docs) -> None:
        docs[1]["spec"]["availabilityZones"][0]["managementApiEndpoint"] = "http://127.0.13.9:1/client/api"

    found = run(server, elsewhere)
    assert checks(found) == {"cloudstack-credentials": "CloudStackDatacenterConfig/cs1.spec.availabilityZones[0].managementApiEndpoint"}


def test_every_missing_resource_is_reported_together(server: CloudStackServer) -> None:
    def broken(docs: Docs) -> None:
        docs[1]["spec"]["availabilityZones"][0]["zone"]["network"]["name"] = "no-such-net"
        docs[2]["spec"]["template"]["name"] = "no-such-template"
        docs[3]["spec"]["computeOffering"]["name"] = "no-such-offering"
        docs[3]["spec"]["diskOffering"] = {"name": "no-such-disk", "mountPath": "/data", "device": "/dev/vdb", "filesystem": "ext4", "label": "data"}
        docs[3]["spec"]["affinityGroupIds"] = ["no-such-group"]

    found = run(server, broken)
    assert checks(found) == {
        "cloudstack-network": "CloudStackDatacenterConfig/cs1.spec.availabilityZones[0].zone.network.name",
        "cloudstack-template": "CloudStackMachineConfig/cs1-cp.spec.template.name",
        "cloudstack-compute-offering": "CloudStackMachineConfig/cs1-md-0.spec.computeOffering.name",
        "cloudstack-disk-offering": "CloudStackMachineConfig/cs1-md-0.spec.diskOffering.name",
        "cloudstack-affinity-group": "CloudStackMachineConfig/cs1-md-0.spec.affinityGroupIds[0]",
    }
    assert all(f.remediation for f in found)


@pytest.mark.parametrize(
    ("field", "value", "check", "path"),
    [
        ("zone", {"name": "zone9", "network": {"name": "net1"}}, "cloudstack-zone", "zone.name"),
        ("domain", "ROOT/nowhere", "cloudstack-domain", "domain"),
        ("account", "nobody", "cloudstack-account", "account"),
    ],
)
def test_zone_domain_and_account_must_exist(server: CloudStackServer, field: str, value: Any, check: str, path: str) -> None:
    def change(docs: Docs) -> None:
        docs[1]["spec"]["availabilityZones"][0][field] = value

    assert checks(run(server, change)) == {check: f"CloudStackDatacenterConfig/cs1.spec.availabilityZones[0].{path}"}


def test_a_child_domain_path_and_good_extras_pass(server: CloudStackServer) -> None:
    group = next(g for g in server.inventory.tables["affinitygroups"])

    def extras(docs: Docs) -> None:
        docs[1]["spec"]["availabilityZones"][0]["domain"] = "eksa"  # ROOT/eksa
        docs[3]["spec"]["diskOffering"] = {"name": "custom", "customSizeInGB": 20, "mountPath": "/data", "device": "/dev/vdb", "filesystem": "ext4", "label": "data"}

    # the network belongs to ROOT's admin: in ROOT/eksa it is not visible
    assert checks(run(server, extras)) == {"cloudstack-network": "CloudStackDatacenterConfig/cs1.spec.availabilityZones[0].zone.network.name"}

    def good(docs: Docs) -> None:
        docs[3]["spec"]["diskOffering"] = {"name": "custom", "customSizeInGB": 20, "mountPath": "/data", "device": "/dev/vdb", "filesystem": "ext4", "label": "data"}
        docs[3]["spec"]["affinityGroupIds"] = [group["id"]]

    assert run(server, good) == []


def test_disk_sizes_must_suit_the_offering(server: CloudStackServer) -> None:
    def fixed_with_size(docs: Docs) -> None:
        docs[3]["spec"]["diskOffering"] = {"name": "fixed-50", "customSizeInGB": 20, "mountPath": "/data", "device": "/dev/vdb", "filesystem": "ext4", "label": "data"}

    def custom_without(docs: Docs) -> None:
        docs[3]["spec"]["diskOffering"] = {"name": "custom", "mountPath": "/data", "device": "/dev/vdb", "filesystem": "ext4", "label": "data"}

    for mutate in (fixed_with_size, custom_without):
        assert checks(run(server, mutate)) == {"cloudstack-disk-offering": "CloudStackMachineConfig/cs1-md-0.spec.diskOffering.customSizeInGB"}


def test_templates_are_found_on_a_later_page(server: CloudStackServer) -> None:
    zone = server.inventory.tables["zones"][0]["id"]
    for i in range(5):
        server.inventory.add("templates", name=f"filler-{i}", zoneid=zone)
    server.inventory.add("templates", name="late-template", zoneid=zone)
    profile = read_profiles(credentials_env(server))[0]["global"]
    api = Api(profile, page_size=2)
    before = server.commands().count("listTemplates")
    assert [t["name"] for t in api.list("listTemplates", templatefilter="all", zoneid=zone, name="late-template")] == ["late-template"]
    everything = api.list("listTemplates", templatefilter="all", zoneid=zone)
    assert len(everything) >= 8 and server.commands().count("listTemplates") - before >= 5


def test_an_endpoint_in_use_is_refused_unless_skipped(server: CloudStackServer) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.13.200", 0))
        listener.listen()
        port = listener.getsockname()[1]
        found = run(server, probe_ports=(port,), options=PreflightOptions())
        assert checks(found) == {"cloudstack-endpoint": "Cluster.spec.controlPlaneConfiguration.endpoint.host"}
        assert run(server, probe_ports=(port,)) == []
    assert run(server, probe_ports=(port,), options=PreflightOptions()) == []


def test_profiles_never_show_their_keys() -> None:
    profile = Profile(name="g", api_key="k" * 20, secret_key="s" * 20, api_url="http://x/client/api")  # type: ignore[arg-type]
    assert "k" * 20 not in repr(profile) and "s" * 20 not in repr(profile)


def test_each_availability_zone_uses_its_own_endpoint_and_profile(server: CloudStackServer) -> None:
    with cloudstack_api("127.0.13.3") as second:

        def two_zones(docs: Docs) -> None:
            docs[1]["spec"]["availabilityZones"].append(
                {"name": "az-2", "credentialsRef": "second", "domain": "ROOT", "account": "admin", "managementApiEndpoint": second.url, "zone": {"name": "zone1", "network": {"name": "net1"}}}
            )

        good = {SECRET_ENV: encode_profiles({"global": profile_values(server), "second": profile_values(second)})}
        assert run(server, two_zones, env=good) == []
        assert "listTemplates" in second.commands()
        bad = {SECRET_ENV: encode_profiles({"global": profile_values(server), "second": profile_values(second, **{"secret-key": "x" * 20})})}
        found = run(server, two_zones, env=bad)
        assert checks(found) == {"cloudstack-login": "CloudStackDatacenterConfig/cs1.spec.availabilityZones[1].credentialsRef"}


def test_validate_credentials_logs_in_and_checks_nothing_else(server: CloudStackServer) -> None:
    def broken(docs: Docs) -> None:
        docs[2]["spec"]["template"]["name"] = "no-such-template"

    spec = cloudstack_spec(server.url, broken)
    assert CloudStackProvider(env=credentials_env(server)).validate_credentials(spec) == []
    bad = CloudStackProvider(env=credentials_env(server, **{"secret-key": "y" * 20}))
    assert checks(bad.validate_credentials(spec)) == {"cloudstack-login": "CloudStackDatacenterConfig/cs1.spec.availabilityZones[0].credentialsRef"}


def test_an_unreachable_management_server_is_one_finding(server: CloudStackServer) -> None:
    gone = "http://127.0.13.9:9/client/api"

    def elsewhere(docs: Docs) -> None:
        docs[1]["spec"]["availabilityZones"][0]["managementApiEndpoint"] = gone

    [found] = run(server, elsewhere, env=credentials_env(server, **{"api-url": gone}))
    assert found.check == "cloudstack-login" and "cannot reach" in found.message and found.remediation


def test_external_etcd_is_refused_with_one_line(server: CloudStackServer) -> None:
    def external_etcd(docs: Docs) -> None:
        docs[0]["spec"]["externalEtcdConfiguration"] = {"count": 3, "machineGroupRef": {"kind": "CloudStackMachineConfig", "name": "cs1-cp"}}

    [found] = run(server, external_etcd)
    assert found.path == "Cluster.spec.externalEtcdConfiguration" and found.check == "cloudstack-supported"
