"""Run ``VSphereProvider.cleanup`` in a child process for the crash test: the spec YAML
comes on stdin, the owner identity as the first argument; each removed VM is printed (flushed) and followed by a pause, so the
parent can ``kill -9`` this process between two removals."""

from __future__ import annotations

import sys
import time

from eksa_temporal.logs import configure
from eksa_temporal.providers.base import Ownership
from eksa_temporal.providers.registry import load_spec_plugins
from eksa_temporal.providers.vsphere import VSphereProvider
from eksa_temporal.spec.load import load_spec


def main() -> None:
    configure(json_output=True)  # logs to stderr; stdout carries only removed paths
    load_spec_plugins()
    spec = load_spec(sys.stdin.read()).spec
    assert spec is not None

    def removed(path: str) -> None:
        print(path, flush=True)
        time.sleep(0.5)

    VSphereProvider().cleanup(spec, Ownership(owner=sys.argv[1]), on_removed=removed)
    print("done", flush=True)


if __name__ == "__main__":
    main()
