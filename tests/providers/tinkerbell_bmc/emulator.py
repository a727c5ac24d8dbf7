"""Runs sushy-emulator (sushy-tools' Redfish emulator, fake systems driver) on loopback
addresses 127.0.0.2, 127.0.0.3, ... with basic auth from a bcrypt htpasswd file; each in its
own process group, stopped by process group at the end."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import requests

SUSHY_EMULATOR = Path(sys.executable).parent / "sushy-emulator"
START_TIMEOUT = 30.0


@dataclass
class Emulator:
    ip: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    tls: bool = False

    @property
    def address(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.ip}:{self.port}"


def free_port(ip: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ip, 0))
        return int(s.getsockname()[1])


def write_htpasswd(path: Path, username: str, password: str) -> None:
    digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"{username}:{digest}\n")


def fake_system(uuid: str, name: str, power_state: str = "On") -> dict[str, Any]:
    return {
        "uuid": uuid,
        "name": name,
        "power_state": power_state,
        "external_notifier": False,
        "nics": [{"mac": "00:5c:52:31:3a:9c", "ip": "172.22.0.100"}],
    }


def self_signed(directory: Path, ip: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``ip`` and its key (PEM files)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bmc")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "bmc.crt", directory / "bmc.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _wait_ready(em: Emulator, deadline: float) -> None:
    while time.monotonic() < deadline:
        if em.proc.poll() is not None:
            raise RuntimeError(f"sushy-emulator exited: {em.log_path.read_text()[-2000:]}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # unverified HTTPS to the self-signed emulator
                requests.get(f"{em.address}/redfish/v1/", timeout=1, verify=False)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(
        f"sushy-emulator on {em.address} not ready: {em.log_path.read_text()[-2000:]}"
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@contextlib.contextmanager
def emulators(
    workdir: Path,
    systems_per_bmc: list[list[dict[str, Any]]],
    htpasswd: Path,
    tls: frozenset[int] = frozenset(),
    port: int | None = None,
    first: int = 2,
) -> Iterator[list[Emulator]]:
    """One emulator per entry of ``systems_per_bmc`` (its fake systems), on 127.0.0.<first>
    up, each on a free port or all on ``port`` (one Redfish URL template for every BMC);
    the ones whose index is in ``tls`` serve HTTPS with a self-signed certificate."""
    started: list[Emulator] = []
    try:
        for i, systems in enumerate(systems_per_bmc):
            ip = f"127.0.0.{i + first}"
            bmc_port = port or free_port(ip)
            d = workdir / f"bmc{i}"
            (d / "state").mkdir(parents=True)
            config = d / "emulator.conf"
            config.write_text(
                "SUSHY_EMULATOR_FAKE_DRIVER = True\n"
                f"SUSHY_EMULATOR_FAKE_SYSTEMS = {systems!r}\n"
                f"SUSHY_EMULATOR_AUTH_FILE = {str(htpasswd)!r}\n"
                f"SUSHY_EMULATOR_STATE_DIR = {str(d / 'state')!r}\n"
            )
            if i in tls:
                cert, key = self_signed(d, ip)
                with config.open("a") as f:
                    f.write(f"SUSHY_EMULATOR_SSL_CERT = {str(cert)!r}\n")
                    f.write(f"SUSHY_EMULATOR_SSL_KEY = {str(key)!r}\n")
            log_path = d / "emulator.log"
            with log_path.open("wb") as out:
                proc = subprocess.Popen(
                    [
                        str(SUSHY_EMULATOR),
                        "--config",
                        str(config),
                        "--fake",
                        "-i",
                        ip,
                        "-p",
                        str(bmc_port),
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    cwd=d,
                )
            started.append(Emulator(ip, bmc_port, proc, log_path, tls=i in tls))
        deadline = time.monotonic() + START_TIMEOUT
        for em in started:
            _wait_ready(em, deadline)
        yield started
    finally:
        for em in started:
            _stop(em.proc)
