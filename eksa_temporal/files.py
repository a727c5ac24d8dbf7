"""Writing files that hold credentials (kubeconfigs, backups of Secrets): readable by the
owner only (0600), written atomically, left alone when unchanged. Used by activities, the
bootstrap seam, the sim's kubeconfig writer and the move's backup directory."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` with mode 0600 through a temporary file and a rename
    (parents created). Returns False, touching nothing but the mode, when the file already
    holds exactly ``text`` (its readers keep their cached clients)."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
