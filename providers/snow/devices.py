"""Clients of one Snow device, at the endpoints EKS-A's ``pkg/aws/snow.go`` resolves: the
EC2-compatible API at ``https://<device-ip>:8243`` (boto3) and the Snowball Device API at
``https://<device-ip>:9092`` (JSON 1.1, ``X-Amz-Target: SnowballDevice_20171127.<op>``),
both signed with SigV4 for region ``snow`` and TLS verified against the CA bundles file.

``DeviceClient`` offers the calls EKS-A's ``pkg/aws`` makes (image exists, key pair exists,
import key pair, device unlocked, device software version) plus the key pair deletion
cleanup needs. Errors are raised as ``DeviceError`` with a ``kind``: ``unreachable`` (no TCP
connection or a timeout), ``tls`` (the certificate does not verify against the bundle),
``auth`` (the device refused the keys) or ``api`` (anything else the device answered).
Called by the provider's preflight, prepare and cleanup, on worker threads.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
    SSLError,
)

from eksa_temporal.providers.snow.credentials import DeviceKeys

EC2_PORT = 8243
DEVICE_PORT = 9092
REGION = "snow"
DEVICE_SERVICE = "snowballdevice"
DEVICE_TARGET = "SnowballDevice_20171127"
# one boto3 session for every device client: it caches the loaded EC2 service model
_SESSION = boto3.session.Session()
_SESSION_LOCK = threading.Lock()
AUTH_CODES = frozenset({
    "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
    "InvalidAccessKeyId", "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
})


class DeviceError(Exception):
    """A device call that failed; ``kind`` is unreachable | tls | auth | api."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ssl.SSLError, SSLError, requests.exceptions.SSLError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


@dataclass(frozen=True)
class DeviceClient:
    """One device's EC2 and Snowball Device API clients (see the module docstring)."""

    ip: str
    keys: DeviceKeys
    ca_bundle: Path
    timeout: float = 10.0

    @property
    def ec2_url(self) -> str:
        return f"https://{self.ip}:{EC2_PORT}"

    @property
    def device_url(self) -> str:
        return f"https://{self.ip}:{DEVICE_PORT}"

    def _ec2(self) -> Any:
        config = Config(
            connect_timeout=self.timeout,
            read_timeout=self.timeout,
            retries={"max_attempts": 1, "mode": "standard"},
            proxies={},
        )
        with _SESSION_LOCK:  # creating clients from one session is not thread-safe
            return _SESSION.client(
            "ec2",
            region_name=REGION,
            endpoint_url=self.ec2_url,
            aws_access_key_id=self.keys.access_key,
            aws_secret_access_key=self.keys.secret_key.get_secret_value(),
            verify=str(self.ca_bundle),
            config=config,
            )

    def _call_ec2(self, op: str, **params: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self._ec2(), op)(**params)
            return result
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            kind = "auth" if code in AUTH_CODES else "api"
            raise DeviceError(kind, f"{code}: {exc.response.get('Error', {}).get('Message', '')}".strip()) from None
        except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
            if _is_tls(exc):
                raise DeviceError("tls", f"TLS to {self.ec2_url} failed: the certificate does not verify") from None
            raise DeviceError("unreachable", f"{self.ec2_url} is unreachable ({type(exc).__name__})") from None
        except SSLError:
            raise DeviceError("tls", f"TLS to {self.ec2_url} failed: the certificate does not verify") from None

    # -- EC2 (as pkg/aws/ec2.go) ----------------------------------------------------------
    def image_exists(self, image_id: str) -> bool:
        try:
            out = self._call_ec2("describe_images", ImageIds=[image_id])
        except DeviceError as exc:
            if exc.kind == "api" and ("InvalidAMIID" in exc.message or exc.message.startswith("400")):
                return False
            raise
        return any(i.get("ImageId") == image_id for i in out.get("Images", []))

    def key_pair_exists(self, name: str) -> bool:
        try:
            out = self._call_ec2("describe_key_pairs", KeyNames=[name])
        except DeviceError as exc:
            if exc.kind == "api" and "InvalidKeyPair.NotFound" in exc.message:
                return False
            raise
        return bool(out.get("KeyPairs"))

    def import_key_pair(self, name: str, public_key: str, tags: dict[str, str]) -> None:
        params: dict[str, Any] = {"KeyName": name, "PublicKeyMaterial": public_key.encode()}
        if tags:
            params["TagSpecifications"] = [{
                "ResourceType": "key-pair",
                "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
            }]
        self._call_ec2("import_key_pair", **params)

    def key_pairs_tagged(self, key: str, value: str) -> list[str]:
        out = self._call_ec2("describe_key_pairs", Filters=[{"Name": f"tag:{key}", "Values": [value]}])
        return sorted(str(k["KeyName"]) for k in out.get("KeyPairs", []))

    def delete_key_pair(self, name: str) -> None:
        self._call_ec2("delete_key_pair", KeyName=name)

    # -- Snowball Device API (as pkg/aws/snowballdevice.go) ---------------------------------
    def _call_device(self, op: str) -> dict[str, Any]:
        url = f"{self.device_url}/"
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{DEVICE_TARGET}.{op}",
        }
        request = AWSRequest(method="POST", url=url, data=b"{}", headers=headers)
        creds = BotoCredentials(self.keys.access_key, self.keys.secret_key.get_secret_value())
        SigV4Auth(creds, DEVICE_SERVICE, REGION).add_auth(request)
        try:
            response = requests.post(
                url,
                data=b"{}",
                headers=dict(request.headers.items()),
                verify=str(self.ca_bundle),
                timeout=self.timeout,
                proxies={"http": "", "https": ""},
            )
        except requests.exceptions.SSLError:
            raise DeviceError("tls", f"TLS to {self.device_url} failed: the certificate does not verify") from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise DeviceError("unreachable", f"{self.device_url} is unreachable ({type(exc).__name__})") from None
        try:
            body: dict[str, Any] = response.json() if response.content else {}
        except ValueError:
            body = {}
        if response.status_code >= 400:
            code = str(body.get("__type", response.status_code)).rsplit("#", 1)[-1]
            kind = "auth" if code in AUTH_CODES or response.status_code == 403 else "api"
            raise DeviceError(kind, f"{code}: {body.get('message') or body.get('Message') or response.reason}")
        return body

    def unlocked(self) -> bool:
        state = (self._call_device("DescribeDevice").get("UnlockStatus") or {}).get("State")
        return bool(state == "UNLOCKED")

    def software_version(self) -> str:
        return str(self._call_device("DescribeDeviceSoftware").get("InstalledVersion") or "")

    def describe(self) -> dict[str, Any]:
        """DescribeDevice as it answers (device id, unlock state, physical interfaces)."""
        return self._call_device("DescribeDevice")

