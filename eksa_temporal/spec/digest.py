"""The desired-state digest of a cluster spec and the EKS-A objects that carry it.

``spec_digest(spec)`` is the sha256 of the spec's canonical text: every object of the spec
with its ``apiVersion``, ``kind``, ``metadata.name``, ``metadata.namespace`` (the cluster's
namespace when unset) and body, without status or any other metadata (uid,
resourceVersion, generation, labels, annotations, finalizers, managed fields), keys sorted,
the Cluster first and the other objects ordered by kind, namespace and name. The same cluster
therefore has the same digest whether its spec came from a file or from the objects read
back from an API server. The client records it in every operation's memo
(``eksa_spec_digest``); the controller compares it with the digest of the objects on the
management cluster to decide whether an operation is due.

``desired_objects(spec)`` are those objects as manifests to apply to the managing cluster,
each annotated with the digest (``DIGEST_ANNOTATION``). Used by the ``write-cluster-config``
activity (CLI-started operations) and by the controller.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from eksa_temporal.spec.base import KubeObject
from eksa_temporal.spec.clusterspec import ClusterSpec, object_document
from eksa_temporal.spec.load import load_spec

DIGEST_ANNOTATION = "anywhere.eks.amazonaws.com/eksa-temporal-spec-digest"


def _document(obj: KubeObject, namespace: str) -> dict[str, Any]:
    doc = object_document(obj)
    doc.pop("status", None)
    doc["metadata"] = {"name": obj.metadata.name, "namespace": obj.metadata.namespace or namespace}
    return doc


def canonical_documents(spec: ClusterSpec) -> list[dict[str, Any]]:
    """The spec's objects without status and metadata noise: the Cluster first, then the
    others by kind, namespace and name."""
    ns = spec.namespace
    cluster, *others = spec.objects()
    docs = [_document(o, ns) for o in others]
    docs.sort(key=lambda d: (d["kind"], d["metadata"]["namespace"], d["metadata"]["name"]))
    return [_document(cluster, ns), *docs]


def spec_digest(spec: ClusterSpec) -> str:
    """The sha256 (hex) of the spec's canonical text."""
    text = json.dumps(canonical_documents(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def spec_text_digest(text: str) -> str | None:
    """``spec_digest`` of a spec's YAML text; None when the text does not load."""
    spec = load_spec(text).spec
    return None if spec is None else spec_digest(spec)


def desired_objects(spec: ClusterSpec) -> list[dict[str, Any]]:
    """The spec's EKS-A objects as manifests to apply: the referenced configs first, the
    Cluster last (so a watcher that sees the Cluster finds its configs), each with
    ``metadata.namespace`` set and annotated ``DIGEST_ANNOTATION: <spec_digest(spec)>``."""
    digest = spec_digest(spec)
    cluster, *others = canonical_documents(spec)
    out: list[dict[str, Any]] = []
    for doc in [*others, cluster]:
        doc["metadata"]["annotations"] = {DIGEST_ANNOTATION: digest}
        out.append(doc)
    return out
