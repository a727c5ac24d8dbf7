"""The AES-GCM payload codec and its configuration: what an encrypted payload looks like,
rotation (the first key encrypts, older keys still decrypt), refused key configurations
(one line naming the fix), and the data converter ``connect()`` uses with encryption on
and off."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from eksa_temporal import codec
from eksa_temporal.codec import (
    AesGcmCodec,
    CodecError,
    Keyring,
    data_converter,
    load_keyring,
    new_key_line,
    parse_keys_file,
)
from eksa_temporal.workflows.models import CreateClusterInput

pytestmark = pytest.mark.anyio


def ring(*ids: str) -> Keyring:
    return parse_keys_file("\n".join(new_key_line(i) for i in ids))


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_an_encrypted_payload_names_its_key_and_hides_its_data() -> None:
    secret = f"spec-{secrets.token_hex(8)}"
    keys = AesGcmCodec(ring("k1"))
    (sealed,) = await keys.encode([plain(secret)])
    assert dict(sealed.metadata) == {"encoding": b"binary/encrypted", "encryption-key-id": b"k1"}
    assert secret.encode() not in sealed.SerializeToString()
    assert b"json/plain" not in sealed.SerializeToString()  # the inner metadata is sealed too
    assert await keys.decode([sealed]) == [plain(secret)]


async def test_a_payload_round_trips_and_each_encryption_differs() -> None:
    keys = AesGcmCodec(ring("k1"))
    original = plain(secrets.token_hex(8))
    first, second = await keys.encode([original, original])
    assert first.data != second.data  # a fresh nonce each time
    assert await keys.decode([first, second]) == [original, original]


async def test_old_keys_still_decrypt_after_rotation() -> None:
    old_line, new_line = new_key_line("2026-01"), new_key_line("2026-02")
    before = AesGcmCodec(parse_keys_file(old_line))
    after = AesGcmCodec(parse_keys_file(f"{new_line}\n{old_line}\n"))  # the new key on top
    original = plain(secrets.token_hex(8))
    (old_sealed,) = await before.encode([original])
    (new_sealed,) = await after.encode([original])
    assert new_sealed.metadata["encryption-key-id"] == b"2026-02"
    assert await after.decode([old_sealed, new_sealed]) == [original, original]
    with pytest.raises(CodecError, match=r"key id 2026-02, which is not among the configured keys 2026-01 \(fix"):
        await before.decode([new_sealed])


async def test_unencrypted_payloads_pass_through_decode() -> None:
    original = plain("written before encryption was turned on")
    assert await AesGcmCodec(ring("k1")).decode([original]) == [original]


async def test_an_altered_payload_or_a_different_key_of_the_same_id_is_refused() -> None:
    (sealed,) = await AesGcmCodec(ring("k1")).encode([plain("x" * 20)])
    altered = Payload()
    altered.CopyFrom(sealed)
    altered.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(CodecError, match="does not decrypt"):
        await AesGcmCodec(ring("k1")).decode([altered])
    with pytest.raises(CodecError, match="does not decrypt"):
        await AesGcmCodec(ring("k1")).decode([sealed])  # same id, another random key
    truncated = Payload(metadata=dict(sealed.metadata), data=sealed.data[:5])
    with pytest.raises(CodecError, match="does not decrypt"):
        await AesGcmCodec(ring("k1")).decode([truncated])


async def test_the_converter_encrypts_inputs_and_failure_messages(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text(new_key_line("k1") + "\n")
    converter = data_converter(env={"EKSA_CODEC_KEYS_FILE": str(keys_file)})
    workdir = str(tmp_path / f"out-{secrets.token_hex(4)}")
    inp = CreateClusterInput(spec_yaml=f"kind: Cluster\nname: c-{secrets.token_hex(4)}\n", workdir=workdir)
    (payload,) = await converter.encode([inp])
    assert codec.is_encrypted(payload)
    assert workdir.encode() not in payload.SerializeToString()
    assert await converter.decode([payload], [CreateClusterInput]) == [inp]

    failure = Failure()
    await converter.encode_failure(ApplicationError(f"cannot write {workdir}/kubeconfig"), failure)
    assert workdir.encode() not in failure.SerializeToString()  # message moved into encrypted attributes
    assert workdir in str(await converter.decode_failure(failure))


def test_encryption_is_off_without_keys() -> None:
    assert load_keyring({}) is None
    assert data_converter(env={}) is pydantic_data_converter


def test_a_key_from_the_environment() -> None:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    keyring = load_keyring({"EKSA_CODEC_KEY": key, "EKSA_CODEC_KEY_ID": "prod-1"})
    assert keyring is not None and keyring.active == "prod-1" and keyring.ids == ["prod-1"]


def test_the_first_key_of_the_file_is_active_and_comments_are_ignored() -> None:
    text = f"# rotated 2026-02\n\n{new_key_line('b')}\n{new_key_line('a')}\n"
    keyring = parse_keys_file(text)
    assert keyring.active == "b" and keyring.ids == ["b", "a"]
    assert "keys=" not in repr(keyring)  # no key material in logs or tracebacks


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EKSA_CODEC_KEY_ID": "k1"}, "EKSA_CODEC_KEY_ID is set without EKSA_CODEC_KEY"),
        ({"EKSA_CODEC_KEY": "AAAA"}, "EKSA_CODEC_KEY is set without EKSA_CODEC_KEY_ID"),
        ({"EKSA_CODEC_KEY": base64.b64encode(b"short").decode(), "EKSA_CODEC_KEY_ID": "k1"}, "is 5 bytes, not 32"),
        ({"EKSA_CODEC_KEY": "not base64!", "EKSA_CODEC_KEY_ID": "k1"}, "not base64"),
        ({"EKSA_CODEC_KEY": "x", "EKSA_CODEC_KEYS_FILE": "/f"}, "both EKSA_CODEC_KEYS_FILE and EKSA_CODEC_KEY"),
        ({"EKSA_CODEC_KEYS_FILE": "/nonexistent/keys"}, "cannot read EKSA_CODEC_KEYS_FILE=/nonexistent/keys"),
    ],
)
def test_a_bad_key_configuration_is_one_line_naming_the_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(CodecError, match=message) as info:
        load_keyring(env)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no key"),
        ("# only a comment\n", "holds no key"),
        ("k1\n", "line 1: expected '<key-id> <base64 key>'"),
        ("k/1 " + base64.b64encode(bytes(32)).decode(), "line 1: key id 'k/1' is not valid"),
        ("{k1}\n{k1}", "line 2: key id k1 appears twice"),
        ("k1 " + base64.b64encode(bytes(16)).decode(), "line 1: the key is 16 bytes, not 32"),
    ],
)
def test_a_bad_keys_file_is_refused_with_its_line(text: str, message: str) -> None:
    text = text.replace("{k1}", new_key_line("k1"), 1)  # a fresh key for each
    text = text.replace("{k1}", new_key_line("k1"), 1)
    with pytest.raises(CodecError, match=message):
        parse_keys_file(text, "keys")
