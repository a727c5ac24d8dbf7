"""Replay with encryption on: the stored histories (written without encryption) replay with
the encrypting converter, so turning encryption on does not break running operations; a
history whose payloads are all encrypted replays with the keys and not without them."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from eksa_temporal.codec import (
    AesGcmCodec,
    data_converter,
    is_encrypted,
    new_key_line,
    parse_keys_file,
)
from eksa_temporal.worker import lifecycle_workflows
from tests.codec.raw_history import payloads_of

pytestmark = pytest.mark.anyio
HISTORIES = sorted((Path(__file__).parent.parent / "histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_a_history_from_before_encryption_replays_with_encryption_on(path: Path) -> None:
    replayer = Replayer(workflows=lifecycle_workflows(), data_converter=data_converter(parse_keys_file(new_key_line("k1"))))
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


async def test_an_encrypted_history_replays_with_the_keys_only() -> None:
    keyring = parse_keys_file(new_key_line("k1"))
    codec = AesGcmCodec(keyring)
    path = next(p for p in HISTORIES if p.stem == "create-management")
    history = WorkflowHistory.from_json("replay-encrypted", path.read_text())
    count = 0
    for event in history.events:
        for where, payload in payloads_of(event):
            if "search_attributes" not in where:  # indexed by the server: never encoded
                payload.CopyFrom(codec.encrypt(payload))
                count += 1
    assert count > 10 and all(is_encrypted(p) for e in history.events for w, p in payloads_of(e) if "search_attributes" not in w)

    with_keys = await Replayer(workflows=lifecycle_workflows(), data_converter=data_converter(keyring)).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert with_keys.replay_failure is None, str(with_keys.replay_failure)
    without = await Replayer(workflows=lifecycle_workflows(), data_converter=pydantic_data_converter).replay_workflow(
        history, raise_on_replay_failure=False
    )
    assert "Failed decoding arguments" in str(without.replay_failure)  # binary/encrypted unknown without the codec
