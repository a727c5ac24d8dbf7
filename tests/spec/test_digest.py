"""The desired-state digest: blind to metadata noise, status and the order of documents and
keys; changed by any change of a spec field; carried by every desired object."""

from __future__ import annotations

import yaml

from eksa_temporal.spec import ClusterSpec, generate_cluster_config, load_spec
from eksa_temporal.spec.digest import (
    DIGEST_ANNOTATION,
    desired_objects,
    spec_digest,
    spec_text_digest,
)


def loaded(text: str) -> ClusterSpec:
    spec = load_spec(text).spec
    assert spec is not None
    return spec


TEXT = generate_cluster_config("dg1", "sim")


def noisy(text: str) -> str:
    """The documents in reverse order with server metadata, status and reordered keys."""
    docs = [d for d in yaml.safe_load_all(text) if d]
    out = []
    for i, doc in enumerate(reversed(docs)):
        meta = doc["metadata"]
        meta.update(
            uid=f"u-{i}", resourceVersion=str(100 + i), generation=3, creationTimestamp="2026-01-01T00:00:00Z",
            labels={"team": "a"}, annotations={DIGEST_ANNOTATION: "old", "kubectl.kubernetes.io/last-applied-configuration": "{}"},
            finalizers=["anywhere.eks.amazonaws.com/eksa-temporal"],
            managedFields=[{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {}}}],
        )
        meta.setdefault("namespace", "default")
        doc["status"] = {"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "True"}]}
        out.append(dict(reversed(list(doc.items()))))
    return yaml.safe_dump_all(out, sort_keys=True)


def test_the_digest_ignores_metadata_status_and_order() -> None:
    spec = loaded(TEXT)
    again = loaded(noisy(TEXT))
    assert again.to_yaml() != spec.to_yaml()
    assert spec_digest(again) == spec_digest(spec) == spec_text_digest(TEXT)
    assert len(spec_digest(spec)) == 64


def test_any_spec_change_changes_the_digest() -> None:
    base = spec_digest(loaded(TEXT))
    changed = [
        TEXT.replace("kubernetesVersion: '1.31'", "kubernetesVersion: '1.32'"),
        "count: 3\n".join(TEXT.rsplit("count: 1\n", 1)),
        TEXT.replace("192.168.0.0/16", "10.10.0.0/16"),
    ]
    digests = {spec_digest(loaded(t)) for t in changed}
    assert len(digests) == len(changed) and base not in digests


def test_an_unloadable_text_has_no_digest() -> None:
    assert spec_text_digest("") is None
    assert spec_text_digest("kind: Cluster\n") is None


def test_desired_objects_are_namespaced_annotated_and_end_with_the_cluster() -> None:
    spec = loaded(TEXT)
    objects = desired_objects(spec)
    assert [o["kind"] for o in objects][-1] == "Cluster"
    assert {(o["kind"], o["metadata"]["name"]) for o in objects} == {(o.kind, o.name) for o in spec.objects()}
    for obj in objects:
        assert obj["metadata"]["namespace"] == "default"
        assert obj["metadata"]["annotations"] == {DIGEST_ANNOTATION: spec_digest(spec)}
        assert "status" not in obj
    # the objects are the spec: loaded back, the same digest
    assert spec_digest(loaded(yaml.safe_dump_all(objects))) == spec_digest(spec)
