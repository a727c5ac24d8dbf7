"""The Nutanix preflight against the Prism Central v3 emulator (HTTPS with a per-run CA,
basic auth checked, paginated lists): a good spec passes; bad or missing credentials, an
untrusted CA, an unreachable endpoint, a missing cluster, subnet, image, project or
category, a subnet on another cluster, an image not built for the Kubernetes version and an
endpoint already in use each give a finding naming the spec path and a fix, all reported
together; the password is in no finding."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator

import pytest

from eksa_temporal.providers.base import PreflightOptions
from eksa_temporal.providers.nutanix.credentials import Credentials
from eksa_temporal.providers.nutanix.preflight import version_in_image
from eksa_temporal.providers.nutanix.prism import PrismClient, PrismError
from eksa_temporal.providers.nutanix.provider import NutanixProvider
from eksa_temporal.spec.findings import Finding
from tests.providers.nutanix.emulator import PrismCentral, prism_central, standard_inventory
from tests.providers.nutanix.specs import Docs, nutanix_spec

pytestmark = pytest.mark.timeout(60)
SKIP_IP = PreflightOptions(skip_ip_check=True)


@pytest.fixture(scope="module")
def pc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismCentral]:
    with prism_central(tmp_path_factory.mktemp("prism")) as server:
        standard_inventory(server)
        yield server


def env_of(pc: PrismCentral, password: str | None = None) -> dict[str, str]:
    return {"EKSA_NUTANIX_USERNAME": pc.username, "EKSA_NUTANIX_PASSWORD": password or pc.password}


def run(
    pc: PrismCentral,
    mutate: object = None,
    *,
    env: dict[str, str] | None = None,
    options: PreflightOptions = SKIP_IP,
    **kw: object,
) -> list[Finding]:
    spec = nutanix_spec(pc, mutate, **kw)  # type: ignore[arg-type]
    findings = NutanixProvider(env=env if env is not None else env_of(pc), timeout=5).preflight(
        spec, options
    )
    text = "\n".join(f.line() for f in findings)
    assert pc.password not in text
    return findings


def paths(findings: list[Finding]) -> list[str]:
    return [f.path for f in findings]


def test_a_spec_naming_what_prism_central_has_passes(pc: PrismCentral) -> None:
    assert run(pc) == []
    assert run(pc, version="1.32", workers=2) == []

    def project_and_category(docs: Docs) -> None:
        for doc in docs[2:]:
            doc["spec"]["project"] = {"type": "name", "name": "eksa-project"}
            doc["spec"]["additionalCategories"] = [{"key": "AppType", "value": "eksa"}]

    assert run(pc, project_and_category) == []


def test_a_name_shared_by_two_entities_must_be_given_by_uuid(pc: PrismCentral) -> None:
    first, second = pc.add_image("twin-kube-v1-31"), pc.add_image("twin-kube-v1-31")

    def twin(docs: Docs) -> None:
        docs[3]["spec"]["image"]["name"] = "twin-kube-v1-31"

    try:
        findings = run(pc, twin)
        assert paths(findings) == ["NutanixMachineConfig/nx-md-0: spec.image"]
        assert (
            "2 images are named" in findings[0].message and "type: uuid" in findings[0].remediation
        )

        def by_uuid(docs: Docs) -> None:
            docs[3]["spec"]["image"] = {"type": "uuid", "uuid": first}

        assert run(pc, by_uuid) == []
    finally:
        pc.remove("images", first)
        pc.remove("images", second)


def test_lists_read_every_page_up_to_total_matches(pc: PrismCentral) -> None:
    before = len(pc.requests)
    creds = Credentials(username=pc.username, password=pc.password)  # type: ignore[arg-type]
    with PrismClient(pc.ip, pc.port, creds, trust_bundle=pc.ca_pem) as client:
        images = client.list_entities("images")
    assert len(images) == len(pc.entities("images")) >= 132
    pages = [r for r in pc.requests[before:] if r == ("POST", "/api/nutanix/v3/images/list")]
    assert len(pages) == 2  # 100 per page


def test_a_wrong_password_is_refused_with_prisms_401(pc: PrismCentral) -> None:
    wrong = secrets.token_urlsafe(12)
    findings = run(pc, env=env_of(pc, wrong))
    assert paths(findings) == ["EKSA_NUTANIX_USERNAME/EKSA_NUTANIX_PASSWORD"]
    assert "Authentication required" in findings[0].message and wrong not in findings[0].line()
    creds = Credentials(username=pc.username, password=wrong)  # type: ignore[arg-type]
    with (
        PrismClient(pc.ip, pc.port, creds, trust_bundle=pc.ca_pem) as client,
        pytest.raises(PrismError) as err,
    ):
        client.list_entities("clusters")
    assert err.value.status == 401


def test_an_account_without_the_role_is_refused_with_403(pc: PrismCentral) -> None:
    user, password = pc.add_viewer()
    findings = run(pc, env={"EKSA_NUTANIX_USERNAME": user, "EKSA_NUTANIX_PASSWORD": password})
    assert paths(findings) == ["EKSA_NUTANIX_USERNAME"]
    assert "does not have permission" in findings[0].message and password not in findings[0].line()


def test_missing_credential_variables_are_both_reported(pc: PrismCentral) -> None:
    findings = run(pc, env={})
    assert paths(findings) == ["EKSA_NUTANIX_USERNAME", "EKSA_NUTANIX_PASSWORD"]


def test_an_untrusted_ca_fails_and_insecure_skips_verification(pc: PrismCentral) -> None:
    def no_bundle(docs: Docs) -> None:
        del docs[1]["spec"]["additionalTrustBundle"]

    findings = run(pc, no_bundle)
    assert paths(findings) == ["NutanixDatacenterConfig/nx: spec.additionalTrustBundle"]
    assert "certificate verify failed" in findings[0].message

    def insecure(docs: Docs) -> None:
        no_bundle(docs)
        docs[1]["spec"]["insecure"] = True

    assert run(pc, insecure) == []


def test_an_endpoint_that_does_not_answer_is_named(pc: PrismCentral) -> None:
    with socket.socket() as s:
        s.bind((pc.ip, 0))
        closed = s.getsockname()[1]

    def wrong_port(docs: Docs) -> None:
        docs[1]["spec"]["port"] = closed

    findings = run(pc, wrong_port)
    assert paths(findings) == ["NutanixDatacenterConfig/nx: spec.endpoint"]
    assert "does not answer" in findings[0].message


def test_everything_missing_is_reported_together(pc: PrismCentral) -> None:
    def missing(docs: Docs) -> None:
        cp, md = docs[2]["spec"], docs[3]["spec"]
        cp["cluster"]["name"] = "no-such-pe"
        cp["project"] = {"type": "name", "name": "no-such-project"}
        cp["additionalCategories"] = [
            {"key": "AppType", "value": "nope"},
            {"key": "AppType", "value": "eksa"},
        ]
        md["subnet"]["name"] = "other-subnet"  # exists, but on another Prism Element
        md["image"]["name"] = "no-such-image-kube-v1-31"

    findings = run(pc, missing)
    assert paths(findings) == [
        "NutanixMachineConfig/nx-cp: spec.cluster",
        "NutanixMachineConfig/nx-cp: spec.project",
        "NutanixMachineConfig/nx-cp: spec.additionalCategories[0]",
        "NutanixMachineConfig/nx-md-0: spec.subnet",
        "NutanixMachineConfig/nx-md-0: spec.image",
    ], findings
    assert all(f.remediation for f in findings)
    assert "on the machine's Prism Element cluster" in findings[3].message


def test_uuids_overlay_subnets_and_failure_domains_are_looked_up(pc: PrismCentral) -> None:
    ids: dict[str, str] = pc.ids

    def by_uuid(docs: Docs) -> None:
        cp = docs[2]["spec"]
        cp["cluster"] = {"type": "uuid", "uuid": ids["prism-element"]}
        cp["image"] = {"type": "uuid", "uuid": ids["ubuntu-2204-kube-v1-31"]}
        cp["subnet"] = {"type": "name", "name": "overlay"}
        cp["project"] = {"type": "uuid", "uuid": ids["eksa-project"]}
        docs[1]["spec"]["failureDomains"] = [
            {
                "name": "fd-1",
                "cluster": {"type": "name", "name": "prism-element"},
                "subnets": [{"type": "name", "name": "prism-subnet"}],
                "workerMachineGroups": ["md-0"],
            },
        ]

    assert run(pc, by_uuid) == []

    def wrong(docs: Docs) -> None:
        by_uuid(docs)
        docs[2]["spec"]["image"]["uuid"] = ids["prism-element"].replace(
            ids["prism-element"][:8], "00000000"
        )
        docs[1]["spec"]["failureDomains"][0]["cluster"]["name"] = "gone"

    assert paths(run(pc, wrong)) == [
        "NutanixDatacenterConfig/nx: spec.failureDomains[0].cluster",
        "NutanixMachineConfig/nx-cp: spec.image",
    ]

    def bad_domains(docs: Docs) -> None:
        by_uuid(docs)
        docs[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = 2
        docs[1]["spec"]["failureDomains"][0].update(
            name="FD_1", workerMachineGroups=["md-0", "md-9"]
        )

    assert paths(run(pc, bad_domains)) == [
        "NutanixDatacenterConfig/nx: spec.failureDomains[0].name",
        "NutanixDatacenterConfig/nx: spec.failureDomains[0].workerMachineGroups[0]",
        "NutanixDatacenterConfig/nx: spec.failureDomains[0].workerMachineGroups[1]",
    ]


def test_the_image_must_name_the_kubernetes_version(pc: PrismCentral) -> None:
    def old_worker_image(docs: Docs) -> None:
        docs[3]["spec"]["image"]["name"] = "ubuntu-2204-kube-v1-32"

    findings = run(pc, old_worker_image)
    assert paths(findings) == ["NutanixMachineConfig/nx-md-0: spec.image"]
    assert "does not name Kubernetes 1.31" in findings[0].message
    assert version_in_image("eksa-ubuntu_2204.kube-v1.31", "1.31")
    assert not version_in_image("ubuntu-2204-kube-v1-30", "1.31")


def test_external_etcd_is_refused_rather_than_silently_stacked(pc: PrismCentral) -> None:
    def external(docs: Docs) -> None:
        docs[0]["spec"]["externalEtcdConfiguration"] = {
            "count": 3,
            "machineGroupRef": {"kind": "NutanixMachineConfig", "name": "nx-cp"},
        }

    findings = run(pc, external)
    assert [f.check for f in findings] == ["nutanix-external-etcd"]
    assert findings[0].path == "Cluster/nx: spec.externalEtcdConfiguration"


def test_an_endpoint_in_use_or_not_an_ip_is_refused(pc: PrismCentral) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.14.201", 0))
        listener.listen()
        port = listener.getsockname()[1]
        spec = nutanix_spec(pc, endpoint="127.0.14.201")
        provider = NutanixProvider(env=env_of(pc), timeout=5, probe_ports=(port,))
        findings = provider.preflight(spec, PreflightOptions())
        assert paths(findings) == ["Cluster/nx: spec.controlPlaneConfiguration.endpoint.host"]
        assert f"answers on port {port}" in findings[0].message
        assert provider.preflight(spec, SKIP_IP) == []
    findings = NutanixProvider(env=env_of(pc)).preflight(
        nutanix_spec(pc, endpoint="cp.example.com"), SKIP_IP
    )
    assert [f.check for f in findings] == ["nutanix-endpoint-ip"]


def test_a_create_finds_the_vms_capx_made_for_a_cluster_of_that_name(pc: PrismCentral) -> None:
    spec = nutanix_spec(pc, name="nx")
    provider = NutanixProvider(env=env_of(pc), timeout=5)
    assert provider.find_existing(spec) is None
    mine = pc.add_vm(
        "nx-md-0-abcde", pc.ids["prism-element"], {"kubernetes-io-cluster-nx": "owned"}
    )
    other = pc.add_vm(
        "nx2-md-0-fghij", pc.ids["prism-element"], {"kubernetes-io-cluster-nx2": "owned"}
    )
    try:
        found = provider.find_existing(spec)
        assert found is not None and "1 VM(s)" in found and "nx-md-0-abcde" in found
        assert "kubernetes-io-cluster-nx=owned" in found
        # refused credentials: nothing reported here, the preflight names the problem
        wrong = NutanixProvider(env=env_of(pc, secrets.token_urlsafe(12)), timeout=5)
        assert wrong.find_existing(spec) is None
    finally:
        pc.remove("vms", mine)
        pc.remove("vms", other)
