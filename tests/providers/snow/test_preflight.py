"""The Snow preflight against emulated devices (moto's EC2 with IAM authentication on, our
Snowball Device API emulator, TLS with a CA made per run): a good spec passes, and each
problem EKS-A's validator finds is reported on the field or device it is about, with a
fix - missing AMI, missing named key pair, bad keys, unknown key, unreachable device,
certificate not in the CA bundle, no profile for a device, a locked device, device
software older than EKS-A supports, SnowIPPool too small. The
default key pair is imported where missing, tagged with the operation's owner identity,
and removed again by cleanup of that owner only."""

from __future__ import annotations

import secrets
import time

from eksa_temporal.ownership import owner_id
from eksa_temporal.providers.base import Ownership, PreflightOptions
from eksa_temporal.providers.snow.credentials import CA_BUNDLES_ENV, CREDENTIALS_ENV
from eksa_temporal.providers.snow.provider import SnowProvider
from eksa_temporal.providers.snow.render import default_key_name
from tests.providers.snow.conftest import DEVICES
from tests.providers.snow.emulator import CA, SnowDevices, snow_devices
from tests.providers.snow.specs import snow_spec

OPTIONS = PreflightOptions(skip_ip_check=True)
UNREACHABLE = "127.0.15.9"  # nothing listens there


def run(env: dict[str, str], spec: object) -> list[tuple[str, str, str]]:
    findings = SnowProvider(env=env, timeout=5).preflight(spec, OPTIONS)  # type: ignore[arg-type]
    return [(f.check, f.path, f.message) for f in findings]


def test_a_spec_whose_devices_hold_the_ami_passes(snow: SnowDevices) -> None:
    spec = snow_spec("good", DEVICES, snow.ami)
    start = time.monotonic()
    assert run(snow.env, spec) == []
    assert time.monotonic() - start < 10


def test_a_missing_ami_is_reported_per_device_on_the_machine_config(snow: SnowDevices) -> None:
    other = f"ami-{secrets.token_hex(9)[:17]}"
    found = run(snow.env, snow_spec("noami", DEVICES, other))
    assert {(c, p) for c, p, _ in found} == {("snow-ami", "SnowMachineConfig/noami-cp.spec.amiID")}
    assert sorted(m for _, _, m in found) == [f"aws image [{other}] does not exist on snow device [{ip}]" for ip in DEVICES]


def test_a_named_key_pair_missing_on_the_device_is_reported(snow: SnowDevices) -> None:
    found = run(snow.env, snow_spec("nokey", DEVICES[:1], snow.ami, key_name="not-imported"))
    assert found == [(
        "snow-key-pair",
        "SnowMachineConfig/nokey-cp.spec.sshKeyName",
        f"aws key pair [not-imported] does not exist on snow device [deviceIP={DEVICES[0]}]",
    )]


def test_the_default_key_pair_is_created_once_tagged_with_the_owner_and_cleaned_up_by_it(snow: SnowDevices, tmp_path) -> None:  # type: ignore[no-untyped-def]
    spec = snow_spec("keys", DEVICES, snow.ami)
    env = {**snow.env, "EKSA_SNOW_SSH_KEY_DIR": str(tmp_path)}
    provider = SnowProvider(env=env, timeout=5)
    owner = owner_id("create-keys", secrets.token_hex(8))
    name = default_key_name("keys")
    created = provider.import_default_key_pair(spec, owner)
    assert created == [f"key pair {name} on device {ip}" for ip in DEVICES]
    assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    assert provider.import_default_key_pair(spec, owner) == []  # present: nothing done
    for ip in DEVICES:
        pairs = snow.ec2(ip).describe_key_pairs(KeyNames=[name])["KeyPairs"]
        assert pairs and {"Key": "anywhere.eks.amazonaws.com/eksa-temporal-owner", "Value": owner} in pairs[0]["Tags"]
    # the rendered templates name the key pair the devices now hold, and the preflight passes
    templates = [o for o in provider.render_capi_objects(spec, ctx=None) if o["kind"] == "AWSSnowMachineTemplate"]  # type: ignore[arg-type]
    assert {t["spec"]["template"]["spec"]["sshKeyName"] for t in templates} == {name}
    assert run(env, snow_spec("keys", DEVICES, snow.ami, key_name=name)) == []

    stranger = provider.cleanup(spec, Ownership(owner=owner_id("create-other", secrets.token_hex(8))))
    assert stranger.removed == []
    result = provider.cleanup(spec, Ownership(owner=owner))
    assert sorted(result.removed) == [f"key pair {name} on device {ip}" for ip in DEVICES]
    assert all(not snow.ec2(ip).describe_key_pairs(Filters=[{"Name": "key-name", "Values": [name]}])["KeyPairs"] for ip in DEVICES)


def test_a_wrong_secret_key_is_refused_by_each_device(snow: SnowDevices) -> None:
    wrong = {ip.replace(".", "_"): (d.access_key, secrets.token_urlsafe(30)) for ip, d in snow.devices.items()}
    env = snow.env_with("wrong-secret", credentials=snow.credentials_text(**wrong))
    found = run(env, snow_spec("badkeys", DEVICES, snow.ami))
    assert [(c, p) for c, p, _ in found] == [("snow-device-auth", f"SnowMachineConfig/badkeys-cp.spec.devices[{i}]") for i in (0, 1)]
    assert all("InvalidSignatureException" in m for _, _, m in found)


def test_an_unknown_access_key_is_refused(snow: SnowDevices) -> None:
    unknown = {DEVICES[0].replace(".", "_"): (f"AKIA{secrets.token_hex(8).upper()}", secrets.token_urlsafe(30))}
    env = snow.env_with("unknown-key", credentials=snow.credentials_text(**unknown))
    found = run(env, snow_spec("unknown", DEVICES, snow.ami))
    assert [(c, m.split(":")[0]) for c, _, m in found] == [("snow-device-auth", f"device [{DEVICES[0]}]")]
    assert "UnrecognizedClientException" in found[0][2]


def test_the_ec2_api_checks_the_keys_too(snow: SnowDevices) -> None:
    """moto (IAM authentication on) refuses a wrong signature on the EC2 endpoint itself."""
    from tests.providers.snow.emulator import Device

    device = snow.devices[DEVICES[0]]
    forged = Device(device.ip, device.access_key, secrets.token_urlsafe(30))
    try:
        forged.ec2(snow.ca_file).describe_images(ImageIds=[snow.ami])
    except Exception as exc:  # botocore ClientError
        assert "AuthFailure" in str(exc)
    else:
        raise AssertionError("moto accepted a forged signature")


def test_an_unreachable_device_is_reported_with_what_to_check(snow: SnowDevices) -> None:
    text = snow.credentials_text() + f"[{UNREACHABLE}]\naws_access_key_id = AKIA{secrets.token_hex(8).upper()}\naws_secret_access_key = {secrets.token_urlsafe(30)}\n"
    env = snow.env_with("unreachable", credentials=text)
    found = run(env, snow_spec("gone", [UNREACHABLE], snow.ami))
    assert [(c, p) for c, p, _ in found] == [("snow-device-unreachable", "SnowMachineConfig/gone-cp.spec.devices[0]")]
    assert f"https://{UNREACHABLE}:9092 is unreachable" in found[0][2]


def test_a_device_certificate_outside_the_ca_bundle_fails_tls(snow: SnowDevices) -> None:
    env = snow.env_with("wrong-ca", ca=CA.generate("another-ca").pem())
    found = run(env, snow_spec("tls", DEVICES, snow.ami))
    assert {c for c, _, _ in found} == {"snow-device-tls"} and len(found) == 2


def test_missing_files_and_profiles_are_named(snow: SnowDevices) -> None:
    found = run({}, snow_spec("nofiles", DEVICES, snow.ami))
    assert [(c, p) for c, p, _ in found] == [("snow-credentials", CREDENTIALS_ENV), ("snow-credentials", CA_BUNDLES_ENV)]
    found = run(snow.env, snow_spec("noprofile", [*DEVICES, "127.0.15.7"], snow.ami))
    assert [(c, m) for c, _, m in found] == [("snow-credentials", "credentials not found for device [127.0.15.7]")]


def test_a_snow_ip_pool_smaller_than_its_machines_is_reported(snow: SnowDevices) -> None:
    found = run(snow.env, snow_spec("pool", DEVICES, snow.ami, workers=3, ip_pool=("127.0.15.50", "127.0.15.52")))
    assert [(c, p) for c, p, _ in found] == [("snow-ip-pool-capacity", "SnowIPPool/pool-pool.spec.pools")]
    assert run(snow.env, snow_spec("pool", DEVICES, snow.ami, workers=3, ip_pool=("127.0.15.50", "127.0.15.53"))) == []


def test_a_locked_device_and_old_device_software_are_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ips = ["127.0.15.5", "127.0.15.6"]
    with snow_devices(tmp_path / "old", ips, locked=(ips[1],), software_version="101") as old:
        found = run(old.env, snow_spec("old", ips, old.ami))
    assert sorted((c, m) for c, _, m in found) == [
        ("snow-device-software", f"the software version installed [101] on device [{ips[0]}] is below the minimum supported version [102]"),
        ("snow-device-unlocked", f"device [{ips[1]}] is not unlocked"),
    ]
