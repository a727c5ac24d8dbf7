"""Files and folders that hold credentials or state (kubeconfigs, backups of Secrets, the
cluster output folder, the sim's and the dev server's state): readable by the owner only
(files 0600, folders 0700), written atomically, left alone when unchanged. Used by
activities, the bootstrap seam, the sim (server, store, inventory, kubeconfig writer), the
move's backup directory and the embedded dev server.

``PRIVATE_UMASK`` is what the long-running processes (``sim serve``, the worker, the
children of ``eksa-temporal dev``) run with, so files made by libraries (SQLite's ``-wal``
and ``-shm``, the Temporal server's database) are private too."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_UMASK = 0o077
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents with mode 0700; ``path`` itself is set to
    0700 even when it exists (folders above it that existed are left alone)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another writer
            folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` with mode 0600 through a temporary file and a rename
    (missing parents created 0700). Returns False, touching nothing but the mode, when the
    file already holds exactly ``text`` (its readers keep their cached clients)."""
    private_parents(path)
    if path.exists() and path.read_text() == text:
        os.chmod(path, 0o600)
        return False
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return True


def private_sqlite(path: Path) -> Path:
    """Prepare SQLite database ``path`` to be private before it is opened: the file is
    created 0600 when missing (SQLite gives its ``-wal``/``-shm`` files the database's
    mode), and an existing one and its sidecars are set to 0600."""
    private_parents(path)
    # never open (and close) an existing database: closing any descriptor of a file drops
    # every POSIX lock this process holds on it, including those of open SQLite connections
    # (another process could then checkpoint and delete the live -wal/-shm files)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for candidate in (path, *(path.with_name(path.name + s) for s in SQLITE_SIDECARS)):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(candidate, 0o600)
    return path


def tighten(path: Path) -> None:
    """Set an existing file to 0600 or folder to 0700 (nothing when it is missing)."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def private_parents(path: Path) -> None:
    """Create the missing folders above ``path`` with mode 0700 (existing ones untouched)."""
    if not path.parent.exists():
        private_dir(path.parent)
