"""The Deployment controller of every virtual cluster (kube-controller-manager's part the
lifecycle needs): an ``apps/v1`` Deployment becomes Available - ``status.availableReplicas``
and condition ``Available=True`` - ``knobs.deployment_ready_seconds`` after it was created
or its spec last changed (measured from the ``Progressing`` condition's timestamp, so to
the second after a restart). No Pods are simulated.
"""

from __future__ import annotations

import calendar
import time

from eksa_temporal.simulator.controllers import objects as o
from eksa_temporal.simulator.controllers.context import Ctx


def _parse(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        return float(calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def reconcile_deployment(ctx: Ctx, dep: o.Obj) -> float | None:
    if o.deleting(dep):
        return None
    spec, st = o.spec(dep), o.status(dep)
    replicas = int(spec.get("replicas", 1))
    generation = dep["metadata"].get("generation", 1)
    progressing = st.get("observedGeneration") != generation
    if progressing:
        # a new spec: restart the readiness clock (recorded in a condition timestamp)
        start = o.now_iso()
        st = {
            "observedGeneration": generation,
            "replicas": replicas,
            "updatedReplicas": 0,
            "readyReplicas": 0,
            "availableReplicas": 0,
            "unavailableReplicas": replicas,
            "conditions": [
                {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                 "lastTransitionTime": start, "lastUpdateTime": start},
                {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                 "lastTransitionTime": start, "lastUpdateTime": start},
            ],
        }
        ctx.set_status(dep, st)
        return ctx.knobs().deployment_ready_seconds
    if o.is_true(dep, "Available") and st.get("availableReplicas") == replicas:
        return None
    progressing_since = next(
        (c.get("lastTransitionTime") for c in st.get("conditions") or [] if c.get("type") == "Progressing"),
        None,
    )
    started = _parse(progressing_since) or time.time()
    wait = started + ctx.knobs().deployment_ready_seconds - time.time()
    if wait > 0:
        return wait
    now = o.now_iso()
    ctx.set_status(
        dep,
        {
            "observedGeneration": generation,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                 "lastTransitionTime": now, "lastUpdateTime": now},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                 "lastTransitionTime": progressing_since or now, "lastUpdateTime": now},
            ],
        },
    )
    return None
