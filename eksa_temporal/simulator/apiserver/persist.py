"""SQLite persistence of the API emulator (``DIR/store.db``, WAL mode).

The database is the durable copy; memory is the read path. Every acknowledged write is
committed before the HTTP response is sent (WAL + ``synchronous=NORMAL`` survives a
process crash, ``kill -9`` included). Tables: ``clusters`` (name, token, labels JSON), ``objects``
(one row per object, JSON text) and ``meta`` (the global resourceVersion counter). Used
by ``apiserver.store`` only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clusters (name TEXT PRIMARY KEY, token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    cluster TEXT NOT NULL, gk TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (cluster, gk, ns, name));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Database:
    """A thin, synchronous wrapper; one connection owned by the server's event loop."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(clusters)")}
        if "labels" not in columns:  # a store.db written before virtual clusters had labels
            self.conn.execute("ALTER TABLE clusters ADD COLUMN labels TEXT NOT NULL DEFAULT '{}'")

    def close(self) -> None:
        self.conn.close()

    def load_rv(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key='rv'").fetchone()
        return int(row[0]) if row else 0

    def load_clusters(self) -> list[tuple[str, str, dict[str, str]]]:
        """(name, token, labels) of every virtual cluster."""
        rows = self.conn.execute("SELECT name, token, labels FROM clusters")
        return [(str(n), str(t), {str(k): str(v) for k, v in json.loads(ls or "{}").items()})
                for n, t, ls in rows]

    def load_objects(self) -> Iterator[tuple[str, str, str]]:
        """(cluster, gk, json) rows; CRDs first so their types exist before their objects."""
        cur = self.conn.execute(
            "SELECT cluster, gk, data FROM objects ORDER BY gk != 'apiextensions.k8s.io/CustomResourceDefinition'")
        for cluster, gk, data in cur:
            yield str(cluster), str(gk), str(data)

    def put_cluster(self, name: str, token: str, labels: dict[str, str] | None = None) -> None:
        self.conn.execute("INSERT OR REPLACE INTO clusters (name, token, labels) VALUES (?, ?, ?)",
                          (name, token, json.dumps(labels or {}, sort_keys=True)))

    def delete_cluster(self, name: str) -> None:
        self.conn.execute("BEGIN")
        self.conn.execute("DELETE FROM clusters WHERE name=?", (name,))
        self.conn.execute("DELETE FROM objects WHERE cluster=?", (name,))
        self.conn.execute("COMMIT")

    def write(self, rv: int, puts: list[tuple[str, str, str, str, str]],
              deletes: list[tuple[str, str, str, str]]) -> None:
        """One transaction: upserts ``(cluster, gk, ns, name, data)``, deletes, the rv."""
        c = self.conn
        c.execute("BEGIN")
        try:
            if puts:
                c.executemany("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?)", puts)
            if deletes:
                c.executemany("DELETE FROM objects WHERE cluster=? AND gk=? AND ns=? AND name=?", deletes)
            c.execute("INSERT OR REPLACE INTO meta VALUES ('rv', ?)", (str(rv),))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
