"""The owner identity of infrastructure, as plain values every layer may use: the label
key, annotation keys and vSphere tag category, and ``owner_id`` (the label-safe hash of one
workflow run).

A create run stamps what it makes with ``OWNER_LABEL=owner_id(workflow id, run id)``: the
Kubernetes objects it applies, the sim's virtual clusters and machines (the sim copies the
label of the CAPI ``Cluster`` onto the machines it provisions for it), vSphere VMs (tag
``<owner id>`` in category ``OWNER_TAG_CATEGORY``). The label value on a CAPI ``Cluster``
is also the cluster's identity once the create is done: leak cleanup of that cluster
removes what carries that value, never what merely has a similar name. The activity-side
helpers (the current run, reading an object's owner) are ``activities.ownership``;
providers and the sim import these constants from here (they never import activities).
"""

from __future__ import annotations

import hashlib
import re

OWNER_LABEL = "anywhere.eks.amazonaws.com/eksa-temporal-owner"
OWNER_WORKFLOW_ANNOTATION = "anywhere.eks.amazonaws.com/eksa-temporal-owner-workflow"
OWNER_RUN_ANNOTATION = "anywhere.eks.amazonaws.com/eksa-temporal-owner-run"
# vSphere: the tag category whose tag (named by ``owner_id``) marks a run's VMs
OWNER_TAG_CATEGORY = "eksa-temporal-owner"
# the cluster an operation works on (``cluster_id`` of its workflow id), on what every
# operation of that cluster may take over from an earlier one (the bootstrap cluster)
CLUSTER_LABEL = "anywhere.eks.amazonaws.com/eksa-temporal-cluster"

_PREFIX = "run-"
_HASH_CHARS = 40  # 160 bits of sha256; prefix + hash = 44 chars, within a label's 63
_OWNER_RE = re.compile(rf"^{_PREFIX}[0-9a-f]{{{_HASH_CHARS}}}$")


def owner_id(workflow_id: str, run_id: str) -> str:
    """The owner identity of one workflow run, safe as a Kubernetes label value (lower-case
    alphanumerics and ``-``, starts and ends alphanumeric, at most 63 characters)."""
    digest = hashlib.sha256(f"{workflow_id}\n{run_id}".encode()).hexdigest()
    return _PREFIX + digest[:_HASH_CHARS]


def is_owner_id(value: object) -> bool:
    """Whether ``value`` has the shape ``owner_id`` produces (an empty or foreign label
    value never names an owner)."""
    return isinstance(value, str) and bool(_OWNER_RE.match(value))


def cluster_id(workflow_id: str) -> str:
    """The identity of the cluster every operation of workflow ``workflow_id`` works on
    (``eksa/<namespace>/<name>``), safe as a Kubernetes label value."""
    digest = hashlib.sha256(f"cluster\n{workflow_id}".encode()).hexdigest()
    return "cluster-" + digest[:_HASH_CHARS]
