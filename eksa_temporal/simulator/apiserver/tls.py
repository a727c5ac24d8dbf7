"""TLS material of the API emulator: a private CA and a server certificate for
``127.0.0.1``/``localhost``, generated once per state dir (``DIR/tls/``).

kubectl (client-go) sends bearer tokens only over TLS, so the emulator serves HTTPS and
every kubeconfig carries the CA (``certificate-authority-data``). Used by
``simulator.server`` (server context), ``simulator.kubeconfig`` and
``simulator.client`` (client context).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_FILE = "ca.crt"
CERT_FILE = "server.crt"
KEY_FILE = "server.key"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def ensure_tls(state_dir: Path) -> Path:
    """Create ``DIR/tls/{ca.crt,server.crt,server.key}`` unless present; return the folder."""
    folder = state_dir / "tls"
    if (folder / CA_FILE).exists() and (folder / CERT_FILE).exists() and (folder / KEY_FILE).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    until = now + dt.timedelta(days=3650)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("eksa-sim-ca")).issuer_name(_name("eksa-sim-ca"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(until)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                       x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (x509.CertificateBuilder().subject_name(_name("eksa-sim-apiserver")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(until).add_extension(san, critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    _write(folder / KEY_FILE, key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()), 0o600)
    _write(folder / CERT_FILE, cert.public_bytes(pem), 0o644)
    _write(folder / CA_FILE, ca.public_bytes(pem), 0o644)
    return folder


def server_context(state_dir: Path) -> ssl.SSLContext:
    folder = ensure_tls(state_dir)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(folder / CERT_FILE, folder / KEY_FILE)
    return ctx


def client_context(state_dir: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(state_dir / "tls" / CA_FILE))


def ca_pem(state_dir: Path) -> bytes:
    return (state_dir / "tls" / CA_FILE).read_bytes()
