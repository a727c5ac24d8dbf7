"""A Snowball Device API emulator (the ``snowballEdge`` device management endpoint on port
9092): AWS JSON 1.1 over HTTPS, ``POST /`` with ``X-Amz-Target:
SnowballDevice_20171127.<operation>``, every request's SigV4 signature (service
``snowballdevice``, region ``snow``) verified against the device's own access key.

Answers ``DescribeDevice`` (device id, unlock state, physical network interfaces) and
``DescribeDeviceSoftware`` (installed version), the two operations EKS-A's
``pkg/aws/snowballdevice.go`` calls; anything else is ``UnsupportedOperation``. A wrong key
is ``UnrecognizedClientException`` (403), a wrong signature ``InvalidSignatureException``
(403), as AWS JSON services answer.

Run as a process: ``python -m tests.providers.snow.device_api --host IP --port 9092
--cert C --key K --access-key A --secret-file F [--locked] [--software-version N]``
(the secret is read from a file so it is in no process listing).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import ssl
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

TARGET = "SnowballDevice_20171127"


class Device:
    def __init__(self, ip: str, access_key: str, secret: str, locked: bool, version: str) -> None:
        self.ip = ip
        self.access_key = access_key
        self.secret = secret
        self.locked = locked
        self.version = version
        self.device_id = f"JID{uuid.uuid4().hex[:24]}"

    def answer(self, op: str) -> tuple[int, dict[str, Any]]:
        if op == "DescribeDevice":
            return 200, {
                "DeviceId": self.device_id,
                "DeviceType": "SBE_C",
                "UnlockStatus": {"State": "LOCKED" if self.locked else "UNLOCKED"},
                "PhysicalNetworkInterfaces": [{
                    "PhysicalNetworkInterfaceId": f"s.ni-{uuid.uuid5(uuid.NAMESPACE_DNS, self.ip).hex[:17]}",
                    "PhysicalConnectorType": "RJ45",
                    "IpAddressAssignment": "STATIC",
                    "IpAddress": self.ip,
                    "Netmask": "255.255.255.0",
                }],
            }
        if op == "DescribeDeviceSoftware":
            return 200, {"InstalledVersion": self.version, "InstallState": "NA"}
        return 400, {"__type": "UnsupportedOperation", "message": f"{op} is not supported"}


def _signature(header: str) -> tuple[str, str]:
    """(access key, signature) of an ``AWS4-HMAC-SHA256`` Authorization header."""
    parts = dict(
        p.strip().split("=", 1) for p in header.removeprefix("AWS4-HMAC-SHA256").split(",") if "=" in p
    )
    return parts.get("Credential", "").split("/")[0], parts.get("Signature", "")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def expected_signature(handler: BaseHTTPRequestHandler, body: bytes, secret: str) -> str:
    """The SigV4 signature of the request as received, over the headers it says it signed."""
    header = handler.headers.get("Authorization", "")
    parts = dict(p.strip().split("=", 1) for p in header.removeprefix("AWS4-HMAC-SHA256").split(",") if "=" in p)
    signed = parts.get("SignedHeaders", "").split(";")
    scope = parts.get("Credential", "").split("/", 1)[-1]  # date/region/service/aws4_request
    date, region, service, _ = ([*scope.split("/"), "", "", "", ""])[:4]
    amz_date = handler.headers.get("X-Amz-Date", "")
    canonical = "\n".join([
        handler.command,
        handler.path.split("?")[0] or "/",
        handler.path.split("?", 1)[1] if "?" in handler.path else "",
        "".join(f"{h}:{' '.join(str(handler.headers.get(h, '')).split())}\n" for h in signed),
        ";".join(signed),
        hashlib.sha256(body).hexdigest(),
    ])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), date), region), service), "aws4_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def make_handler(device: Device) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            access, signature = _signature(self.headers.get("Authorization", ""))
            if access != device.access_key:
                self._send(403, {"__type": "UnrecognizedClientException", "message": "The security token included in the request is invalid."})
                return
            if not signature or signature != expected_signature(self, body, device.secret):
                self._send(403, {"__type": "InvalidSignatureException", "message": "The request signature we calculated does not match the signature you provided."})
                return
            target = self.headers.get("X-Amz-Target", "")
            if not target.startswith(f"{TARGET}."):
                self._send(400, {"__type": "UnknownOperationException", "message": target})
                return
            self._send(*device.answer(target.split(".", 1)[1]))

    return Handler


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=9092)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-file", required=True)
    p.add_argument("--locked", action="store_true")
    p.add_argument("--software-version", default="130")
    a = p.parse_args()
    device = Device(a.host, a.access_key, Path(a.secret_file).read_text().strip(), a.locked, a.software_version)
    server = ThreadingHTTPServer((a.host, a.port), make_handler(device))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(a.cert, a.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
