"""vSphere spec defaults that EKS-A's CRDs rely on: its Go types always write ``insecure``
and the machine sizes (no ``omitempty``) and the CRDs require them, so the EKS-A objects we
write must carry them even when the spec file leaves them out."""

from __future__ import annotations

from tests.vsphere.specs import SimInfo, documents, load

SIM = SimInfo(server="127.0.0.9:8989", thumbprint="AA:" * 19 + "AA", user="u", password="p")


def test_vsphere_objects_carry_every_field_eksas_crd_requires() -> None:
    """EKS-A's Go types always write ``insecure`` and the machine sizes, and its CRDs
    require them: a spec that leaves them out still writes objects the API server takes."""
    docs = documents(SIM, "req")
    for doc in docs[2:]:
        for key in ("numCPUs", "memoryMiB", "osFamily"):
            doc["spec"].pop(key, None)
    spec = load(docs)
    datacenter = next(o.dump() for o in spec.objects() if o.kind == "VSphereDatacenterConfig")
    machines = [o.dump() for o in spec.objects() if o.kind == "VSphereMachineConfig"]
    assert datacenter["spec"]["insecure"] is False
    assert all({"numCPUs", "memoryMiB", "osFamily"} <= set(m["spec"]) for m in machines)
