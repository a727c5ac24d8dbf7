"""Test helper: a workflow's history and description exactly as the server stores them (no
codec applied) - their serialised bytes, where plaintext would show, and every payload with
the field path leading to it, to check what is encrypted."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client


def payloads_of(message: Message, where: str = "") -> Iterator[tuple[str, Payload]]:
    """Every ``Payload`` inside ``message`` with the field path leading to it."""
    if isinstance(message, Payload):
        yield where, message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                if isinstance(item, Message):
                    yield from payloads_of(item, f"{where}.{field.name}[{key}]")
        elif field.is_repeated:
            for i, item in enumerate(value):
                yield from payloads_of(item, f"{where}.{field.name}[{i}]")
        else:
            yield from payloads_of(value, f"{where}.{field.name}")


async def raw_history(
    client: Client, workflow_id: str, run_id: str | None = None
) -> tuple[bytes, list[tuple[str, Payload]], list[Payload]]:
    """The stored history and description as the server returns them (no codec applied):
    their serialised bytes, every payload with its place, the started event's input."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    history = await handle.fetch_history()
    desc = await handle.describe()
    messages: list[Message] = [*history.events, desc.raw_description]
    found = [(f"{type(m).__name__}{where}", p) for m in messages for where, p in payloads_of(m)]
    started = next(e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    return b"".join(m.SerializeToString() for m in messages), found, list(started.workflow_execution_started_event_attributes.input.payloads)


def key_ids(payloads: list[tuple[str, Payload]]) -> set[str]:
    """The key ids of the payloads that are not search attributes (which the server
    indexes, so they stay plain)."""
    return {p.metadata.get("encryption-key-id", b"(plain)").decode() for where, p in payloads if "search_attributes" not in where}
