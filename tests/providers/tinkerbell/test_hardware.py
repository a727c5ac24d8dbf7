"""The hardware CSV: parsing, EKS-A's static rules (each finding names row and column), the
spec's hardware selectors against the inventory, the Tinkerbell objects (checked against the
tink and rufio CRD schemas), the BMC password kept out of every output, and the
``generate hardware`` command."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.providers.tinkerbell.hardware import (
    Machine,
    catalogue_objects,
    check_inventory,
    parse_csv,
)
from eksa_temporal.spec import check_spec_text, generate_cluster_config
from eksa_temporal.spec.clusterspec import ClusterSpec
from eksa_temporal.spec.findings import Finding
from tests.support.paths import EKSA, shared_path
from tests.vsphere.crd_schema import problems

HEADER = (
    "hostname,bmc_ip,bmc_username,bmc_password,mac,ip_address,netmask,gateway,"
    "nameservers,labels,disk,vlan_id"
)
PASSWORD = secrets.token_urlsafe(12)  # a fresh BMC password per run
ROWS = [
    f"cp-1,10.0.1.1,admin,{PASSWORD},00:00:5e:00:53:01,10.0.0.1,255.255.255.0,10.0.0.254,8.8.8.8|1.1.1.1,type=cp,/dev/sda,",
    f"worker-1,10.0.1.2,admin,{PASSWORD},00:00:5e:00:53:02,10.0.0.2,255.255.255.0,10.0.0.254,8.8.8.8,type=worker|rack=r1,/dev/nvme0n1,12",
    f"spare-1,10.0.1.3,admin,{PASSWORD},00:00:5e:00:53:03,10.0.0.3,255.255.255.0,10.0.0.254,8.8.8.8,type=worker,/dev/sda,",
]


def csv_text(rows: list[str] | None = None, header: str = HEADER) -> str:
    return "\n".join([header, *(ROWS if rows is None else rows)]) + "\n"


def with_cell(row: int, column: str, value: str) -> list[str]:
    """The good rows with one cell changed (``row`` is the CSV row: 2 is the first host)."""
    columns = HEADER.split(",")
    rows = [r.split(",") for r in ROWS]
    rows[row - 2][columns.index(column)] = value
    return [",".join(r) for r in rows]


def only_findings(text: str) -> list[Finding]:
    machines, findings = parse_csv(text)
    assert findings and not machines
    return findings


def tinkerbell_spec(mutate: Any = None) -> ClusterSpec:
    load_spec_plugins()
    documents = list(yaml.safe_load_all(generate_cluster_config("demo", "tinkerbell")))
    if mutate is not None:
        mutate(documents)
    spec, findings = check_spec_text("---\n".join(yaml.safe_dump(d) for d in documents))
    assert spec is not None, findings
    return spec


def test_good_csv_parses_into_frozen_machines() -> None:
    machines, findings = parse_csv(csv_text())
    assert findings == []
    assert [m.hostname for m in machines] == ["cp-1", "worker-1", "spare-1"]
    first, second, _ = machines
    assert first.row == 2 and first.nameservers == ("8.8.8.8", "1.1.1.1")
    assert second.label_map == {"type": "worker", "rack": "r1"} and second.vlan_id == "12"
    assert first.bmc_password.get_secret_value() == PASSWORD and first.has_bmc
    with pytest.raises(ValidationError):
        first.hostname = "x"  # type: ignore[misc]


def test_bmc_columns_are_optional() -> None:
    header = "hostname,mac,ip_address,netmask,gateway,nameservers,labels,disk"
    machines, findings = parse_csv(
        csv_text(
            ["h1,00:00:5e:00:53:01,10.0.0.1,255.255.255.0,10.0.0.254,8.8.8.8,type=cp,/dev/sda"],
            header,
        )
    )
    assert findings == [] and not machines[0].has_bmc
    assert [o["kind"] for o in catalogue_objects(machines)] == ["Hardware"]
    assert "bmcRef" not in catalogue_objects(machines)[0]["spec"]


def test_missing_required_column() -> None:
    findings = only_findings(csv_text(header=HEADER.replace("disk", "disks")))
    assert [f.path for f in findings] == ["hardware.csv row 1, column disk"]


def test_duplicate_mac_names_both_rows() -> None:
    findings = only_findings(csv_text(with_cell(4, "mac", "00:00:5E:00:53:01")))
    assert [f.path for f in findings] == [
        "hardware.csv row 2, column mac",
        "hardware.csv row 4, column mac",
    ]
    assert all("duplicate MAC address" in f.message and "rows 2, 4" in f.message for f in findings)


@pytest.mark.parametrize(
    ("column", "value", "what"),
    [
        ("hostname", "worker-1", "duplicate hostname"),
        ("ip_address", "10.0.0.2", "duplicate IP address"),
        ("bmc_ip", "10.0.1.2", "duplicate BMC IP address"),
    ],
)
def test_duplicates(column: str, value: str, what: str) -> None:
    findings = only_findings(csv_text(with_cell(2, column, value)))
    assert [f.path for f in findings] == [
        f"hardware.csv row 2, column {column}",
        f"hardware.csv row 3, column {column}",
    ]
    assert all(what in f.message for f in findings)


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("ip_address", "10.0.0.300", "not a valid IPv4 address"),
        ("ip_address", "", "ip_address is empty"),
        ("gateway", "gw", "not a valid IPv4 address"),
        ("bmc_ip", "::1", "not a valid IPv4 address"),
        ("netmask", "255.0.255.0", "not a valid IPv4 netmask"),
        ("mac", "00:00:5e:00:53", "not a valid MAC address"),
        ("hostname", "Bad_Host", "RFC 1123"),
        ("labels", "type", "badly formatted label"),
        ("labels", "type=cp=x", "badly formatted label"),
        ("labels", "-bad=cp", "label key"),
        ("labels", "type=c p", "label value"),
        ("nameservers", "8.8.8.8|", "empty entry"),
        ("disk", "sda", "valid linux path"),
        ("vlan_id", "4095", "between 1 and 4094"),
        ("vlan_id", "ten", "string integer"),
        ("bmc_password", "", "bmc_password is empty"),
        ("bmc_username", "", "bmc_username is empty"),
    ],
)
def test_bad_cell_names_row_and_column(column: str, value: str, text: str) -> None:
    findings = only_findings(csv_text(with_cell(3, column, value)))
    assert len(findings) == 1, findings
    assert findings[0].path == f"hardware.csv row 3, column {column}"
    assert text in findings[0].message


def test_short_row_and_empty_file() -> None:
    findings = only_findings(csv_text([*ROWS, "h9,10.0.1.9"]))
    assert findings[0].path == "hardware.csv row 5, column *"
    assert only_findings("")[0].path == "hardware.csv row 1, column header"


def test_password_never_in_repr_or_str() -> None:
    machines, _ = parse_csv(csv_text())
    for m in machines:
        for shown in (repr(m), str(m), m.model_dump_json(), repr(m.model_dump())):
            assert PASSWORD not in shown
    assert PASSWORD not in yaml.safe_dump_all(catalogue_objects(machines))


# -- the spec against the inventory ------------------------------------------------------------


def test_inventory_satisfies_the_generated_spec() -> None:
    machines, _ = parse_csv(csv_text())
    assert check_inventory(tinkerbell_spec(), machines) == []


def test_unsatisfied_selector() -> None:
    machines, _ = parse_csv(csv_text())

    def three_workers(documents: list[dict[str, Any]]) -> None:
        documents[0]["spec"]["workerNodeGroupConfigurations"][0]["count"] = 3

    findings = check_inventory(tinkerbell_spec(three_workers), machines)
    assert len(findings) == 1
    assert findings[0].path == "TinkerbellMachineConfig/demo-md-0.spec.hardwareSelector"
    assert "needs 3 hosts, the hardware CSV has 2" in findings[0].message


def test_host_matching_two_selectors() -> None:
    rows = with_cell(2, "labels", "type=cp|role=worker")
    machines, _ = parse_csv(csv_text(rows))

    def worker_by_role(documents: list[dict[str, Any]]) -> None:
        documents[-1]["spec"]["hardwareSelector"] = {"role": "worker"}

    findings = check_inventory(tinkerbell_spec(worker_by_role), machines)
    assert [f.path for f in findings] == ["hardware.csv row 2, column labels"]
    assert "cp-1 matches more than one hardware selector" in findings[0].message


def test_rolling_upgrade_counts_a_spare_host() -> None:
    spec = tinkerbell_spec()
    machines, _ = parse_csv(csv_text())
    # one cp host: enough to create, not for a rolling upgrade (+1); workers have a spare
    assert check_inventory(spec, machines) == []
    findings = check_inventory(spec, machines, rolling_upgrade=True)
    assert [f.path for f in findings] == ["TinkerbellMachineConfig/demo-cp.spec.hardwareSelector"]
    assert (
        "needs 2 hosts (including the spare hosts a rolling upgrade needs)" in findings[0].message
    )
    spare = f"cp-2,10.0.1.4,admin,{PASSWORD},00:00:5e:00:53:04,10.0.0.4,255.255.255.0,10.0.0.254,8.8.8.8,type=cp,/dev/sda,"
    more, _ = parse_csv(csv_text([*ROWS, spare]))
    assert check_inventory(spec, more, rolling_upgrade=True) == []

    def in_place(documents: list[dict[str, Any]]) -> None:
        cp = documents[0]["spec"]["controlPlaneConfiguration"]
        cp["upgradeRolloutStrategy"] = {"type": "InPlace"}

    assert check_inventory(tinkerbell_spec(in_place), machines, rolling_upgrade=True) == []


# -- the objects against the CRD schemas -------------------------------------------------------


def _crd_schemas(*files: Path) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in files:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                for version in doc["spec"]["versions"]:
                    key = (
                        f"{doc['spec']['group']}/{version['name']}",
                        doc["spec"]["names"]["kind"],
                    )
                    out[key] = version["schema"]["openAPIV3Schema"]
    return out


def test_objects_match_the_tink_and_rufio_crds() -> None:
    schemas = _crd_schemas(
        shared_path("upstream-components", "tinkerbell-stack", "tink-v0.12.2.yaml"),
        shared_path("upstream-components", "tinkerbell-stack", "rufio-v0.6.5.yaml"),
    )
    machines, _ = parse_csv(csv_text())
    objects = catalogue_objects(machines)
    checked = 0
    for obj in objects:
        if obj["kind"] == "Secret":
            assert set(obj["stringData"]) == {"username"}
            continue
        assert problems(obj, schemas[(obj["apiVersion"], obj["kind"])]) == [], obj["metadata"]
        checked += 1
    assert checked == 6
    hardware = objects[1]
    assert hardware["metadata"] == {
        "name": "worker-1",
        "namespace": "eksa-system",
        "labels": {"type": "worker", "rack": "r1"},
    }
    assert hardware["spec"]["interfaces"][0]["dhcp"]["vlan_id"] == "12"
    assert hardware["spec"]["bmcRef"]["name"] == "bmc-worker-1"


# -- the command -------------------------------------------------------------------------------


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EKSA), "generate", "hardware", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_generate_hardware(tmp_path: Path) -> None:
    path = tmp_path / "hardware.csv"
    path.write_text(csv_text())
    done = _run("-z", str(path))
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    kinds = [(d["apiVersion"], d["kind"]) for d in yaml.safe_load_all(done.stdout)]
    assert kinds.count(("tinkerbell.org/v1alpha1", "Hardware")) == 3
    assert kinds.count(("bmc.tinkerbell.org/v1alpha1", "Machine")) == 3
    assert kinds.count(("v1", "Secret")) == 3


def test_generate_hardware_bad_csv_and_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "hardware.csv"
    path.write_text(csv_text(with_cell(3, "ip_address", "10.0.0.999")))
    done = _run("-z", str(path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and "row 3, column ip_address" in lines[0]
    assert PASSWORD not in done.stdout + done.stderr
    missing = _run("-z", str(tmp_path / "absent.csv"))
    assert missing.returncode == 2 and "-z" in missing.stderr
    assert isinstance(Machine, type)
