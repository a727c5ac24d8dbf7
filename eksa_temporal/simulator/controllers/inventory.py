"""The simulated machine inventory: every machine the sim ever provisioned, in SQLite
(``DIR/machines.db``), so that machine identity outlives the objects describing it.

The SimMachine reconciler records *provisioning intent* here (a row in state
``provisioning`` with its boot deadline and its seeded failure decision) before the boot
delay, so a ``kill -9`` mid-boot resumes the same machine instead of provisioning a second
one. A row is keyed by ``owner_key`` (the SimMachine that asked for it) and by
``provider_id`` (``sim://<cluster>/<id>``); after a clusterctl-style move the SimMachine
has a new UID but keeps ``spec.providerID``, which is how it is adopted. A row also keeps
``owner``: the owner identity label (``eksa_temporal.ownership.OWNER_LABEL``) of the CAPI
Cluster the machine was provisioned for, as a cloud keeps a VM's tags; cleanup removes
machines by that value, never by cluster name. A row also has the ``name`` the
infrastructure knows the machine by (a VM's name, a container's name) and ``labels`` (JSON;
the owner label, and the labels CAPD puts on its containers), as ``docker ps`` shows them.
State dirs from before a column existed are migrated when opened (the column is added
with its default). The admin API (``GET /sim/machines``,
``DELETE /sim/machines/ID``) reads and changes it through ``Inventory``.
"""

from __future__ import annotations

import builtins
import json
import random
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eksa_temporal.files import private_sqlite

DB_NAME = "machines.db"

PROVISIONING = "provisioning"
RUNNING = "running"
FAILED = "failed"
DELETED = "deleted"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS machines (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    provider_id TEXT NOT NULL UNIQUE,
    cluster TEXT NOT NULL,
    machine TEXT NOT NULL,
    owner_key TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    boot_at REAL NOT NULL,
    ready_at REAL,
    deleted_at REAL,
    fail INTEGER NOT NULL DEFAULT 0,
    failure TEXT,
    owner TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS machines_owner ON machines(owner_key);
CREATE INDEX IF NOT EXISTS machines_cluster ON machines(cluster);
"""


# columns added after the first release: name -> SQL type with default (migrated in place)
_ADDED_COLUMNS = {
    "owner": "TEXT NOT NULL DEFAULT ''",
    "name": "TEXT NOT NULL DEFAULT ''",
    "labels": "TEXT NOT NULL DEFAULT '{}'",
}


def provider_id_for(cluster: str, machine_id: str, scheme: str = "sim", name: str = "") -> str:
    """The provider ID of a machine: ``sim://<cluster>/<id>`` for sim machines,
    ``docker:////<name>`` for CAPD's containers (named, not numbered) and ``<scheme>://<id>``
    for the other providers the sim stands in for (``vsphere://<uuid>``)."""
    if scheme == "sim":
        return f"sim://{cluster}/{machine_id}"
    if scheme == "docker":
        return f"docker:////{name}"
    return f"{scheme}://{machine_id}"


@dataclass(frozen=True)
class MachineRecord:
    """One inventory row. ``exists`` is true while the machine is provisioning or running."""

    id: str
    provider_id: str
    cluster: str
    machine: str
    owner_key: str
    state: str
    created_at: float
    boot_at: float
    ready_at: float | None
    deleted_at: float | None
    fail: bool
    failure: str | None
    seq: int
    owner: str = ""
    name: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.state in (PROVISIONING, RUNNING)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["exists"] = self.exists
        return out


class Inventory:
    """SQLite-backed machine inventory under ``state_dir`` (safe to open from several
    processes: WAL mode, short transactions)."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / DB_NAME
        self._db = sqlite3.connect(private_sqlite(self.path), timeout=10.0, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with _transaction(self._db):
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(machines)")}
            for column, decl in _ADDED_COLUMNS.items():
                if columns and column not in columns:  # a machines.db from before the column
                    self._db.execute(f"ALTER TABLE machines ADD COLUMN {column} {decl}")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # facts -------------------------------------------------------------------------
    def list(self, cluster: str | None = None) -> list[dict[str, Any]]:
        """Every machine ever provisioned (optionally of one cluster), oldest first."""
        return [r.as_dict() for r in self.records(cluster)]

    def records(self, cluster: str | None = None) -> builtins.list[MachineRecord]:
        if cluster is None:
            rows = self._db.execute("SELECT * FROM machines ORDER BY seq").fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM machines WHERE cluster = ? ORDER BY seq", (cluster,)
            ).fetchall()
        return [_record(r) for r in rows]

    def by_id(self, machine_id: str) -> MachineRecord | None:
        row = self._db.execute("SELECT * FROM machines WHERE id = ?", (machine_id,)).fetchone()
        return _record(row) if row else None

    def by_provider_id(self, provider_id: str) -> MachineRecord | None:
        row = self._db.execute(
            "SELECT * FROM machines WHERE provider_id = ?", (provider_id,)
        ).fetchone()
        return _record(row) if row else None

    def by_owner(self, owner_key: str) -> MachineRecord | None:
        """The newest machine provisioned for ``owner_key`` (a SimMachine identity)."""
        row = self._db.execute(
            "SELECT * FROM machines WHERE owner_key = ? ORDER BY seq DESC LIMIT 1", (owner_key,)
        ).fetchone()
        return _record(row) if row else None

    # operations --------------------------------------------------------------------
    def begin(
        self,
        *,
        owner_key: str,
        cluster: str,
        machine: str,
        seed: int,
        boot_seconds: float,
        jitter_seconds: float,
        failure_rate: float,
        scheme: str = "sim",
        owner: str = "",
        name: str = "",
        labels: dict[str, str] | None = None,
        provider_id: str | None = None,
    ) -> MachineRecord:
        """Record provisioning intent for ``owner_key`` (idempotent: an existing row for the
        owner is returned unchanged). Boot time and failure are drawn from a generator
        seeded by ``seed`` and the machine's sequence number, so a run is reproducible.
        ``scheme`` shapes the provider ID (``provider_id_for``); other schemes than ``sim``
        get a full UUID as machine id, as a vSphere VM's BIOS UUID. ``owner`` is the owner
        identity the machine is tagged with (empty: untagged). ``name`` is the name the
        infrastructure knows the machine by (default: ``machine``) and ``labels`` its labels.

        With scheme ``docker`` the provider ID is made of the name, as CAPD's container
        names are: a machine of that name that is gone (deleted, failed) is retired (its
        provider ID gets a ``#<seq>`` suffix) so the name can be used again, and one that
        still exists is taken over by ``owner_key`` (CAPD reuses a container it finds by
        name), keeping its boot state. An explicit ``provider_id`` (CAPT's
        ``tinkerbell://<namespace>/<hardware>``: a host, reused once released) follows the
        same rule."""
        with _transaction(self._db):
            existing = self.by_owner(owner_key)
            if existing is not None:
                return existing
            seq = int(self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM machines").fetchone()[0])
            rng = random.Random(f"{seed}:{seq}")
            jitter = rng.uniform(0, jitter_seconds) if jitter_seconds else 0.0
            fail = rng.random() < failure_rate
            now = time.time()
            name = name or machine
            if scheme == "sim":
                machine_id = uuid.uuid4().hex[:10]
            elif scheme == "docker":
                machine_id = uuid.uuid4().hex + uuid.uuid4().hex  # a container ID's 64 hex digits
            else:
                machine_id = str(uuid.uuid4())
            provider_id = provider_id or provider_id_for(cluster, machine_id, scheme, name)
            same = self._db.execute(
                "SELECT * FROM machines WHERE provider_id = ?", (provider_id,)
            ).fetchone()
            if same is not None:
                if same["state"] in (PROVISIONING, RUNNING):
                    self._db.execute(
                        "UPDATE machines SET owner_key = ? WHERE seq = ?", (owner_key, same["seq"])
                    )
                    return _record(same, owner_key=owner_key)
                self._db.execute(
                    "UPDATE machines SET provider_id = ? WHERE seq = ?",
                    (f"{provider_id}#{same['seq']}", same["seq"]),
                )
            self._db.execute(
                "INSERT INTO machines (seq, id, provider_id, cluster, machine, owner_key, state,"
                " created_at, boot_at, fail, owner, name, labels)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    seq,
                    machine_id,
                    provider_id,
                    cluster,
                    machine,
                    owner_key,
                    PROVISIONING,
                    now,
                    now + boot_seconds + jitter,
                    int(fail),
                    owner,
                    name,
                    json.dumps(labels or {}, sort_keys=True),
                ),
            )
        record = self.by_owner(owner_key)
        assert record is not None
        return record

    def rebind(self, machine_id: str, provider_id: str) -> None:
        """Give a machine still provisioning the provider ID its infrastructure reported
        (a cloned VM's ``vsphere://<BIOS UUID>``), and the ID's last segment as its id, so
        the inventory lists the VM's UUID; later states keep theirs."""
        self._db.execute(
            "UPDATE machines SET id = ?, provider_id = ? WHERE id = ? AND state = ?",
            (provider_id.rsplit("/", 1)[-1], provider_id, machine_id, PROVISIONING),
        )

    def mark_running(self, machine_id: str) -> None:
        self._db.execute(
            "UPDATE machines SET state = ?, ready_at = ? WHERE id = ? AND state = ?",
            (RUNNING, time.time(), machine_id, PROVISIONING),
        )

    def mark_failed(self, machine_id: str, failure: str) -> None:
        self._db.execute(
            "UPDATE machines SET state = ?, failure = ?, deleted_at = ? WHERE id = ? AND state = ?",
            (FAILED, failure, time.time(), machine_id, PROVISIONING),
        )

    def mark_deleted(self, machine_id: str) -> bool:
        """Mark a machine deleted; returns False when it was already gone."""
        cur = self._db.execute(
            "UPDATE machines SET state = ?, deleted_at = ? WHERE id = ? AND state IN (?, ?)",
            (DELETED, time.time(), machine_id, PROVISIONING, RUNNING),
        )
        return cur.rowcount > 0


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) on an autocommit
    connection, so concurrent writers serialise."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _labels(text: str | None) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _record(row: sqlite3.Row, *, owner_key: str | None = None) -> MachineRecord:
    return MachineRecord(
        id=row["id"],
        provider_id=row["provider_id"],
        cluster=row["cluster"],
        machine=row["machine"],
        owner_key=owner_key if owner_key is not None else row["owner_key"],
        state=row["state"],
        created_at=row["created_at"],
        boot_at=row["boot_at"],
        ready_at=row["ready_at"],
        deleted_at=row["deleted_at"],
        fail=bool(row["fail"]),
        failure=row["failure"],
        seq=row["seq"],
        owner=row["owner"] or "",
        name=row["name"] or row["machine"],
        labels=_labels(row["labels"]),
    )
