"""Test helper: a workflow's history with every payload decoded, and the check that no
secret value appears in it.

``decoded_history(client, workflow_id)`` fetches the history through the temporalio client
and walks every event message: each ``Payload`` (workflow and activity inputs and results,
failure details and encoded attributes through every cause, heartbeat details, memo,
search attributes, headers, signal and update inputs and outcomes, user metadata) is
decoded with the client's data converter (external storage, codec, payload converter), and
every plain string field (failure messages, stack traces, names) is kept as it is. With
``describe=True`` (the default) the description is walked the same way, so pending
activities' heartbeat details and last failures, the current memo and search attributes
count too. The raw JSON of a history is never searched: payloads are base64 there, and a
base64 run can match a word by chance depending on its byte alignment.

``assert_no_secrets(history, secrets)`` searches the decoded text for the EXACT secret
values (and for their base64 forms, so a Secret object's data copied into a payload is
caught too). Values shorter than ``MIN_SECRET_LENGTH`` are refused: a short word is not a
secret and would match by chance. The readers below take secret values from their real
sources at test time: the sim's admin token file, the bearer tokens of kubeconfig files,
the data of Kubernetes Secret objects.

Used by the move, end-to-end and vSphere end-to-end tests::

    dump = await decoded_history(client, workflow_id)
    assert_no_secrets(dump, {"sim admin token": sim_admin_token(state_dir)})
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.converter import DataConverter

MIN_SECRET_LENGTH = 12


@dataclass(frozen=True)
class Entry:
    """One decoded payload (``kind="payload"``) or one plain string field (``kind="field"``)."""

    where: str  # e.g. "event 5 ACTIVITY_TASK_SCHEDULED .input.payloads[0]"
    kind: str
    value: Any
    text: str  # every string in ``value``, one per line


@dataclass
class DecodedHistory:
    """Every payload and string of a workflow's history (and description), decoded."""

    workflow_id: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(e.text for e in self.entries)

    @property
    def payloads(self) -> list[Any]:
        """The decoded values of every payload, in history order."""
        return [e.value for e in self.entries if e.kind == "payload"]

    def where(self, needle: str) -> list[str]:
        """The places whose decoded text holds ``needle`` (or one of its base64 forms)."""
        forms = [needle, *_base64_forms(needle)]
        return [e.where for e in self.entries if any(f in e.text for f in forms)]


async def decoded_history(
    client: Client, workflow_id: str, run_id: str | None = None, *, describe: bool = True
) -> DecodedHistory:
    """The history of ``workflow_id`` (latest run unless ``run_id``) with every payload
    decoded by ``client``'s data converter; plus the description when ``describe``."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    history = await handle.fetch_history()
    out = DecodedHistory(workflow_id)
    for event in history.events:
        await _walk_event(event, client.data_converter, out.entries)
    if describe:
        desc = await handle.describe()
        await _walk(desc.raw_description, "describe", client.data_converter, out.entries)
    return out


async def decode_events(
    events: Iterable[HistoryEvent], converter: DataConverter, workflow_id: str = ""
) -> DecodedHistory:
    """The same walk over events already at hand (a stored or synthetic history)."""
    out = DecodedHistory(workflow_id)
    for event in events:
        await _walk_event(event, converter, out.entries)
    return out


async def _walk_event(event: HistoryEvent, converter: DataConverter, entries: list[Entry]) -> None:
    name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
    await _walk(event, f"event {event.event_id} {name} ", converter, entries)


async def _walk(msg: Message, where: str, converter: DataConverter, entries: list[Entry]) -> None:
    if isinstance(msg, Payload):
        entries.append(await _decode_payload(msg, where, converter))
        return
    if isinstance(msg, Payloads):
        for i, payload in enumerate(msg.payloads):
            entries.append(await _decode_payload(payload, f"{where}.payloads[{i}]", converter))
        return
    for fd, value in msg.ListFields():
        path = f"{where}.{fd.name}"
        is_map = fd.message_type is not None and fd.message_type.GetOptions().map_entry
        if is_map:
            for key, item in value.items():
                _add_string(entries, f"{path}[{key!r}] (key)", key)
                await _walk_value(item, f"{path}[{key!r}]", converter, entries)
        elif fd.is_repeated:
            for i, item in enumerate(value):
                await _walk_value(item, f"{path}[{i}]", converter, entries)
        else:
            await _walk_value(value, path, converter, entries)


async def _walk_value(
    value: Any, where: str, converter: DataConverter, entries: list[Entry]
) -> None:
    if isinstance(value, Message):
        await _walk(value, where, converter, entries)
    else:
        _add_string(entries, where, value)


def _add_string(entries: list[Entry], where: str, value: Any) -> None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value:
        entries.append(Entry(where, "field", value, value))


async def _decode_payload(payload: Payload, where: str, converter: DataConverter) -> Entry:
    """Decode one payload; a payload the converter cannot read keeps its raw bytes as text
    (never base64) and its metadata, so a plain leak in it is still found."""
    try:
        (value,) = await converter.decode([payload])
    except Exception as exc:  # kept visible in ``where``
        raw = payload.data.decode("utf-8", "replace")
        meta = [v.decode("utf-8", "replace") for v in payload.metadata.values()]
        return Entry(f"{where} (undecodable: {exc})", "payload", raw, "\n".join([raw, *meta]))
    return Entry(where, "payload", value, "\n".join(_strings(value)))


def _strings(value: Any) -> Iterable[str]:
    """Every string in a decoded value: keys and leaves of dicts and lists, bytes as UTF-8,
    strings in protobuf messages, other leaves by ``str``."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes | bytearray):
        yield bytes(value).decode("utf-8", "replace")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, Message):
        for _, v in value.ListFields():
            yield from _strings(v)
    elif hasattr(value, "model_dump"):  # a pydantic model, when a converter returns one
        yield from _strings(value.model_dump(mode="json"))
    elif isinstance(value, Iterable):  # lists, tuples, sets, repeated protobuf fields
        for v in value:
            yield from _strings(v)
    elif value is not None:
        yield str(value)


def _base64_forms(secret: str) -> list[str]:
    """The runs of characters that ``secret`` becomes inside any base64 text (standard and
    URL-safe alphabets, at each of the three byte alignments), without the edge characters
    that depend on the neighbouring bytes. Only for secrets long enough that such a run is
    itself distinctive."""
    if len(secret) < 16:
        return []
    raw = secret.encode()
    forms: list[str] = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        start = (0, 2, 3)[shift]  # the characters that also carry bits of the padding bytes
        whole = (shift + len(raw)) // 3 * 4  # chars of complete 3-byte groups
        run = encoded[start:whole].decode()
        forms += [run, run.replace("+", "-").replace("/", "_")]
    return sorted(set(forms))


def assert_no_secrets(
    history: DecodedHistory | str,
    secrets: Mapping[str, str] | Sequence[str],
    *,
    where: str = "the workflow history",
) -> None:
    """Fail when any secret value (or a base64 form of it) is in ``history``'s decoded
    text; the message names the secret's label and the places it was found."""
    labelled = (
        dict(secrets)
        if isinstance(secrets, Mapping)
        else {f"secret #{i}": s for i, s in enumerate(secrets)}
    )
    assert labelled, "no secret values to look for: the check would pass by construction"
    for label, value in labelled.items():
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"{label} is {len(value)} characters: too short to be searched as a secret"
            )
    text = history.text if isinstance(history, DecodedHistory) else history
    for label, value in labelled.items():
        forms = [value, *_base64_forms(value)]
        if any(f in text for f in forms):
            places = history.where(value) if isinstance(history, DecodedHistory) else []
            raise AssertionError(f"{label} leaked into {where}" + (f": {places}" if places else ""))


def sim_admin_token(state_dir: Path) -> str:
    """The sim's admin bearer token (``<state dir>/admin-token``)."""
    return (state_dir / "admin-token").read_text().strip()


def kubeconfig_tokens(paths: Iterable[Path]) -> dict[str, str]:
    """The bearer tokens (and client key data) of the users in each kubeconfig file."""
    found: dict[str, str] = {}
    for path in paths:
        doc = yaml.safe_load(path.read_text()) or {}
        for user in doc.get("users") or []:
            creds = user.get("user") or {}
            for key in ("token", "client-key-data", "password"):
                if creds.get(key):
                    found[f"{key} of {user.get('name')} in {path}"] = str(creds[key])
            if creds.get("client-key-data"):  # the private key itself, PEM text
                pem = base64.b64decode(creds["client-key-data"]).decode("utf-8", "replace")
                found[f"client key of {user.get('name')} in {path}"] = pem.strip()
    return found


def secret_data_values(objects: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The ``data`` values of Kubernetes Secret objects, as stored (base64) and decoded."""
    found: dict[str, str] = {}
    for obj in objects:
        name = f"Secret {obj['metadata']['name']}"
        for key, encoded in (obj.get("data") or {}).items():
            found[f"{name} data.{key}"] = str(encoded)
            with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                found[f"{name} data.{key} (decoded)"] = base64.b64decode(
                    encoded, validate=True
                ).decode()
    return found
