"""Kubernetes helpers on the official ``kubernetes`` client, shared by activities and the
move: a client built from a kubeconfig file path (``client.Kube``), server-side apply,
and waits that watch (never poll) an object or a collection until a predicate holds.

Written for real API servers: server-side apply with a field manager, watches resumed
from the last ``resourceVersion`` and restarted on ``410 Gone``. Nothing here knows about
the simulator.
"""

from eksa_temporal.kube.client import (
    Kube,
    KubeError,
    Obj,
    UnknownKind,
    WaitTimeout,
    condition,
    condition_true,
    kube_for,
)

__all__ = [
    "Kube",
    "KubeError",
    "Obj",
    "UnknownKind",
    "WaitTimeout",
    "condition",
    "condition_true",
    "kube_for",
]
