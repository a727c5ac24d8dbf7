"""A lifecycle worker for the crash tests that imports everything first, then waits until
its go-file exists before it connects and polls - so a replacement for a ``kill -9``ed
worker takes over in a fraction of a second. ``python -m tests.e2e.standby_worker GOFILE``
(environment as for ``python worker.py``). Leaves via ``os._exit``."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from eksa_temporal import worker

if __name__ == "__main__":
    go = Path(sys.argv[1])
    worker.default_activities()  # warm the imports of every activity module
    deadline = time.monotonic() + 900
    while not go.exists():
        if time.monotonic() > deadline:
            os._exit(3)
        time.sleep(0.02)
    code = worker.main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
