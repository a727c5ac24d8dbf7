"""Credentials and trust: env vars, vCenter login, TLS thumbprint pinning, host:port."""

from __future__ import annotations

import pytest

from eksa_temporal.providers.base import PreflightOptions
from eksa_temporal.providers.vsphere import VSphereProvider
from eksa_temporal.providers.vsphere.credentials import PASSWORD_ENV, USERNAME_ENV
from eksa_temporal.providers.vsphere.session import (
    normalize_thumbprint,
    observed_thumbprint,
    split_server,
)

from .specs import SimInfo, spec

WRONG = "01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14"


def test_valid_credentials_and_thumbprint_log_in(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    assert VSphereProvider().validate_credentials(spec(vsphere_env)) == []


def test_missing_username_names_the_variable_and_the_fix(
    vcsim: SimInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(USERNAME_ENV, raising=False)
    monkeypatch.setenv(PASSWORD_ENV, vcsim.password)
    findings = VSphereProvider().validate_credentials(spec(vcsim))
    assert [f.message for f in findings] == ["EKSA_VSPHERE_USERNAME is not set or is empty"]
    assert findings[0].remediation.startswith("export EKSA_VSPHERE_USERNAME")


def test_empty_username_and_password_are_both_reported(
    vcsim: SimInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(USERNAME_ENV, "")
    monkeypatch.setenv(PASSWORD_ENV, "")
    findings = VSphereProvider().preflight(spec(vcsim), PreflightOptions())
    assert [f.path for f in findings] == [USERNAME_ENV, PASSWORD_ENV]


def test_wrong_password_is_rejected_by_the_vcenter(
    vsphere_env: SimInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    findings = VSphereProvider().validate_credentials(spec(vsphere_env))
    assert len(findings) == 1
    assert "rejected the login" in findings[0].message
    assert USERNAME_ENV in findings[0].remediation and PASSWORD_ENV in findings[0].remediation


def test_wrong_thumbprint_fails_with_the_observed_one(vsphere_env: SimInfo) -> None:
    findings = VSphereProvider().validate_credentials(spec(vsphere_env, dc={"thumbprint": WRONG}))
    assert len(findings) == 1
    assert findings[0].path == "VSphereDatacenterConfig/alpha: spec.thumbprint"
    assert (
        vsphere_env.thumbprint in findings[0].message
        and vsphere_env.thumbprint in findings[0].remediation
    )


def test_insecure_skips_thumbprint_verification(vsphere_env: SimInfo) -> None:
    assert (
        VSphereProvider().validate_credentials(
            spec(vsphere_env, dc={"thumbprint": "", "insecure": True})
        )
        == []
    )


def test_self_signed_certificate_without_thumbprint_is_not_trusted(vsphere_env: SimInfo) -> None:
    findings = VSphereProvider().validate_credentials(spec(vsphere_env, dc={"thumbprint": ""}))
    assert len(findings) == 1 and "not trusted" in findings[0].message
    assert vsphere_env.thumbprint in findings[0].remediation


def test_observed_thumbprint_is_the_sha1_govc_prints(vcsim: SimInfo) -> None:
    host, port = split_server(vcsim.server)
    assert observed_thumbprint(host, port) == vcsim.thumbprint


def test_unreachable_server_is_a_transient_error(
    vcsim: SimInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eksa_temporal.providers.vsphere.errors import VSphereTransientError

    monkeypatch.setenv(USERNAME_ENV, vcsim.user)
    monkeypatch.setenv(PASSWORD_ENV, vcsim.password)
    with pytest.raises(VSphereTransientError):
        VSphereProvider().validate_credentials(spec(vcsim, dc={"server": "127.0.0.1:1"}))


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("vc.example.com", ("vc.example.com", 443)),
        ("vc.example.com:8443", ("vc.example.com", 8443)),
        ("https://vc.example.com:9443/sdk", ("vc.example.com", 9443)),
        ("[fd00::1]:4443", ("fd00::1", 4443)),
        ("fd00::1", ("fd00::1", 443)),
    ],
)
def test_server_may_carry_a_port(server: str, expected: tuple[str, int]) -> None:
    assert split_server(server) == expected


def test_thumbprints_compare_in_any_case_and_separator() -> None:
    assert normalize_thumbprint("2c11edd7") == "2C:11:ED:D7"
    assert normalize_thumbprint("2C:11:ed:D7") == "2C:11:ED:D7"
