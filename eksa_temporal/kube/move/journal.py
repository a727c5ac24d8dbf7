"""Where a move's journal lives so that a new worker finds it: ConfigMaps in the TARGET
cluster (``<ns>/move-journal-<cluster>``, gzip-compressed JSON, split over generation-
stamped part ConfigMaps when large), or a file beside a ``--to-directory`` backup.

The journal holds identities, phases and uid maps only - never object bodies, so no
Secret data. Writes are fenced: the head ConfigMap is replaced with the
``resourceVersion`` last read, so a stale second mover gets ``JournalConflict`` instead
of overwriting newer progress. The engine calls ``load``/``save``/``delete``.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from eksa_temporal.kube.move.api import CONFIG_MAP, NAMESPACE, ApiError, MoveApi
from eksa_temporal.kube.move.errors import JournalConflict
from eksa_temporal.kube.move.model import MoveJournal

Obj = dict[str, Any]
JOURNAL_LABEL = "move.eksa-temporal.io/journal"
PART_BYTES = 700_000  # raw gzip bytes per ConfigMap (base64 grows them by a third)


class JournalStore(Protocol):
    def load(self) -> MoveJournal | None: ...

    def save(self, journal: MoveJournal) -> None: ...

    def delete(self) -> None: ...


def encode(journal: MoveJournal) -> bytes:
    return gzip.compress(journal.model_dump_json(exclude_defaults=False).encode(), compresslevel=6)


def decode(blob: bytes) -> MoveJournal:
    return MoveJournal.model_validate(json.loads(gzip.decompress(blob)))


def journal_name(cluster: str | None, namespace: str) -> str:
    return f"move-journal-{cluster or 'ns-' + namespace}"[:253]


class ConfigMapJournal:
    """The journal as ConfigMaps in the target cluster."""

    def __init__(self, api: MoveApi, namespace: str, name: str) -> None:
        self.api = api
        self.namespace = namespace
        self.name = name
        self._rv: str | None = None  # resourceVersion of the head we last read/wrote
        self._gen = 0
        self._parts = 0
        self._ns_ready = False

    def _part_name(self, gen: int, i: int) -> str:
        return f"{self.name}-g{gen}-{i}"

    def load(self) -> MoveJournal | None:
        head = self.api.get(CONFIG_MAP, self.namespace, self.name)
        if head is None:
            self._rv = None
            return None
        self._rv = head["metadata"].get("resourceVersion")
        data = head.get("data") or {}
        self._gen = int(data.get("generation", "0"))
        self._parts = int(data.get("parts", "1"))
        chunks = [base64.b64decode((head.get("binaryData") or {}).get("journal.gz", ""))]
        for i in range(1, self._parts):
            part = self.api.get(CONFIG_MAP, self.namespace, self._part_name(self._gen, i))
            if part is None:
                raise JournalConflict(f"journal part {self._part_name(self._gen, i)} is missing")
            chunks.append(base64.b64decode((part.get("binaryData") or {}).get("journal.gz", "")))
        return decode(b"".join(chunks))

    def _ensure_namespace(self) -> None:
        if self._ns_ready:
            return
        try:
            self.api.create(
                NAMESPACE,
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}},
            )
        except ApiError as exc:
            if not exc.already_exists:
                raise
        self._ns_ready = True

    def _cm(self, name: str, blob: bytes, data: dict[str, str] | None = None) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": {JOURNAL_LABEL: self.name},
            },
            "data": data or {},
            "binaryData": {"journal.gz": base64.b64encode(blob).decode()},
        }

    def save(self, journal: MoveJournal) -> None:
        blob = encode(journal)
        chunks = [blob[i : i + PART_BYTES] for i in range(0, len(blob), PART_BYTES)] or [b""]
        old_gen, old_parts = self._gen, self._parts
        gen = old_gen + 1 if len(chunks) > 1 or old_parts > 1 else old_gen
        for i, chunk in enumerate(chunks[1:], start=1):
            self._put(self._cm(self._part_name(gen, i), chunk), fenced=False)
        head = self._cm(
            self.name,
            chunks[0],
            {
                "phase": journal.phase.value,
                "moveId": journal.move_id,
                "generation": str(gen),
                "parts": str(len(chunks)),
            },
        )
        self._put(head, fenced=True)
        self._gen, self._parts = gen, len(chunks)
        if gen != old_gen:
            for i in range(1, old_parts):
                self.api.delete(CONFIG_MAP, self.namespace, self._part_name(old_gen, i))

    def _put(self, cm: Obj, *, fenced: bool) -> None:
        if fenced and self._rv is None:
            self._ensure_namespace()
            try:
                out = self.api.create(CONFIG_MAP, cm)
            except ApiError as exc:
                if exc.already_exists:
                    raise JournalConflict(
                        f"{self.namespace}/{self.name} was created by another mover"
                    ) from exc
                raise
            self._rv = out["metadata"].get("resourceVersion")
            return
        if fenced:
            cm["metadata"]["resourceVersion"] = self._rv
        try:
            out = self.api.replace(CONFIG_MAP, cm)
        except ApiError as exc:
            if exc.status == 404 and not fenced:
                self._ensure_namespace()
                out = self.api.create(CONFIG_MAP, cm)
            elif exc.conflict or exc.status == 404:
                raise JournalConflict(
                    f"{self.namespace}/{self.name} changed under this mover ({exc})"
                ) from exc
            else:
                raise
        if fenced:
            self._rv = out["metadata"].get("resourceVersion")

    def delete(self) -> None:
        """Remove the head last, so a crash midway leaves a journal that still loads."""
        for i in range(1, self._parts):
            self.api.delete(CONFIG_MAP, self.namespace, self._part_name(self._gen, i))
        if self._parts > 1:  # parts of an interrupted save of a newer generation
            for cm in self.api.list(
                CONFIG_MAP, self.namespace, label_selector=f"{JOURNAL_LABEL}={self.name}"
            ):
                if cm["metadata"]["name"] != self.name:
                    self.api.delete(CONFIG_MAP, self.namespace, cm["metadata"]["name"])
        self.api.delete(CONFIG_MAP, self.namespace, self.name)
        self._rv = None


class FileJournal:
    """The journal as one file (for ``--to-directory``: the backup's own pause state)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> MoveJournal | None:
        try:
            return decode(self.path.read_bytes())
        except FileNotFoundError:
            return None

    def save(self, journal: MoveJournal) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".journal-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(encode(journal))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
