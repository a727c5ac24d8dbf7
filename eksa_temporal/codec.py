"""Payload encryption: an AES-GCM ``PayloadCodec`` and the data converter every process
uses. ``eksa_temporal.client.connect`` (CLI, client library, controller) and the worker
(through that client) call ``data_converter()``; ``eksa-temporal codec-server`` serves the
same codec to the Web UI.

Encryption is on when keys are configured, off otherwise (the pydantic converter alone):

- ``EKSA_CODEC_KEYS_FILE``: a file of lines ``<key-id> <base64 of 32 bytes>`` (blank lines
  and ``#`` comments ignored); the FIRST key encrypts, every key decrypts - rotation puts a
  new line on top and keeps the old ones while histories encrypted with them are kept;
- or ``EKSA_CODEC_KEY`` (base64 of 32 bytes) with ``EKSA_CODEC_KEY_ID``.

An encrypted payload has the metadata ``encoding: binary/encrypted`` and
``encryption-key-id: <key-id>``; its data is a 12-byte nonce followed by the AES-256-GCM
ciphertext of the whole original payload (metadata and data), with the key id as associated
data. Payloads that are not encrypted pass through ``decode`` unchanged, so histories
written before encryption was turned on still read. Keys come only from the file or the
environment, never from a history; failure messages and stack traces are moved into the
encrypted attributes of a failure (``DefaultFailureConverterWithEncodedAttributes``).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

KEYS_FILE_ENV = "EKSA_CODEC_KEYS_FILE"
KEY_ENV = "EKSA_CODEC_KEY"
KEY_ID_ENV = "EKSA_CODEC_KEY_ID"
ENCODING = b"binary/encrypted"
KEY_ID_META = "encryption-key-id"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class CodecError(Exception):
    """Keys cannot be loaded, or a payload cannot be decrypted; one actionable line."""


@dataclasses.dataclass(frozen=True)
class Keyring:
    """Named AES-256 keys; ``active`` encrypts, every key decrypts."""

    active: str
    keys: Mapping[str, bytes] = dataclasses.field(repr=False)

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise CodecError(f"the active key id {self.active} has no key")
        for key_id, key in self.keys.items():
            if not _KEY_ID.match(key_id):
                raise CodecError(f"key id {key_id!r} is not valid (fix: letters, digits, . _ : - only, at most 64)")
            if len(key) != KEY_BYTES:
                raise CodecError(f"key {key_id} is {len(key)} bytes, not {KEY_BYTES} (fix: openssl rand -base64 32)")

    @property
    def ids(self) -> list[str]:
        return list(self.keys)


def _key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CodecError(f"{where}: the key is not base64 (fix: openssl rand -base64 32)") from exc
    if len(key) != KEY_BYTES:
        raise CodecError(f"{where}: the key is {len(key)} bytes, not {KEY_BYTES} (fix: openssl rand -base64 32)")
    return key


def parse_keys_file(text: str, where: str = KEYS_FILE_ENV) -> Keyring:
    """The keyring of a keys file's text (``<key-id> <base64 key>`` per line, first active)."""
    keys: dict[str, bytes] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise CodecError(f"{where} line {number}: expected '<key-id> <base64 key>'")
        key_id, encoded = parts
        if not _KEY_ID.match(key_id):
            raise CodecError(f"{where} line {number}: key id {key_id!r} is not valid (letters, digits, . _ : -)")
        if key_id in keys:
            raise CodecError(f"{where} line {number}: key id {key_id} appears twice (fix: give each key its own id)")
        keys[key_id] = _key(encoded, f"{where} line {number}")
    if not keys:
        raise CodecError(f"{where} holds no key (fix: add a line '<key-id> <base64 key>', e.g. from openssl rand -base64 32)")
    return Keyring(active=next(iter(keys)), keys=keys)


def load_keyring(env: Mapping[str, str] | None = None) -> Keyring | None:
    """The keyring configured in ``env`` (default: the process environment); None when
    encryption is not configured. Raises ``CodecError`` with the fix in one line."""
    env = os.environ if env is None else env
    path, key, key_id = env.get(KEYS_FILE_ENV), env.get(KEY_ENV), env.get(KEY_ID_ENV)
    if path and key:
        raise CodecError(f"both {KEYS_FILE_ENV} and {KEY_ENV} are set (fix: keep one; put every key in the file)")
    if path:
        file = Path(path).expanduser()
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CodecError(f"cannot read {KEYS_FILE_ENV}={file}: {exc.strerror or exc} (fix: the path of the keys file)") from exc
        return parse_keys_file(text, str(file))
    if key:
        if not key_id:
            raise CodecError(f"{KEY_ENV} is set without {KEY_ID_ENV} (fix: name the key, e.g. {KEY_ID_ENV}=k1)")
        if not _KEY_ID.match(key_id):
            raise CodecError(f"{KEY_ID_ENV}={key_id!r} is not valid (letters, digits, . _ : -)")
        return Keyring(active=key_id, keys={key_id: _key(key, KEY_ENV)})
    if key_id:
        raise CodecError(f"{KEY_ID_ENV} is set without {KEY_ENV} (fix: set {KEY_ENV} to a base64 32-byte key)")
    return None


def new_key_line(key_id: str) -> str:
    """A new keys-file line with a fresh random key."""
    return f"{key_id} {base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get("encoding") == ENCODING


class AesGcmCodec(PayloadCodec):
    """Encrypts every payload with the keyring's active key; decrypts with the key its
    metadata names."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.keyring.active
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID_META: key_id.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if not is_encrypted(payload):
            return payload
        key_id = payload.metadata.get(KEY_ID_META, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise CodecError(
                f"a payload is encrypted with key id {key_id or '(none)'}, which is not among the configured keys "
                f"{', '.join(self.keyring.ids)} (fix: keep that key in {KEYS_FILE_ENV} after a rotation)"
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode())
        except (InvalidTag, ValueError) as exc:  # ValueError: too short to hold a nonce
            raise CodecError(f"a payload encrypted with key id {key_id} does not decrypt: altered, or another key of that id") from exc
        out = Payload()
        out.ParseFromString(plain)
        return out


def data_converter(keyring: Keyring | None = None, *, env: Mapping[str, str] | None = None) -> DataConverter:
    """The product's data converter: pydantic, plus the AES-GCM codec and encoded failure
    attributes when a keyring is given or configured in ``env``; the pydantic converter
    itself when encryption is off."""
    ring = keyring if keyring is not None else load_keyring(env)
    if ring is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=AesGcmCodec(ring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
