"""The ``vsphere`` provider: EKS-A's vSphere rules on pyvmomi (preflight against vCenter,
CAPV rendering, template import from OVA, VM clean-up). ``VSphereProvider`` is the entry."""

from eksa_temporal.providers.vsphere.provider import VSphereProvider

__all__ = ["VSphereProvider"]
