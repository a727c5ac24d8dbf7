"""``python worker.py``: runs the lifecycle worker (``eksa_temporal.worker``), the same as
``eksa-temporal worker``."""

import runpy

if __name__ == "__main__":
    runpy.run_module("eksa_temporal.worker", run_name="__main__")
