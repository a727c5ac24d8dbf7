"""Test harness (not product code): runs one move with the engine and, when
``EKSA_MOVE_CRASH_AT=<point>:<n>`` is set, SIGKILLs its own process the moment the
engine reaches that point (``pausing:0``, ``pause:1``, ``discovered:0``, ``create:N``,
``created:0``, ``delete:N``, ``deleted:0``, ``unpause:1``) - a deterministic crash.

Usage: crash_runner.py FROM_KUBECONFIG TO_KUBECONFIG CLUSTER NAMESPACE
Prints the MoveResult as JSON; exit 0 moved, 3 aborted (compensated), 1 other error.
"""

from __future__ import annotations

import json
import os
import signal
import sys


def main() -> int:
    from eksa_temporal.kube.move import MoveAborted, MoveOptions, move

    src, dst, cluster, namespace = sys.argv[1:5]
    crash_at = os.environ.get("EKSA_MOVE_CRASH_AT", "")
    point, _, n = crash_at.partition(":")

    def hook(at: str, count: int) -> None:
        if at == point and count == int(n or 0):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    options = MoveOptions(
        cluster=cluster,
        namespace=namespace,
        checkpoint_every=int(os.environ.get("CHECKPOINT", "500")),
    )
    try:
        result = move(src, dst, options, hook=hook if crash_at else None)
    except MoveAborted as exc:
        print(json.dumps({"aborted": str(exc)}))
        return 3
    print(result.model_dump_json())
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
