"""The vSphere provider's public API for code outside the provider (the simulator's CAPV
stand-in clones and destroys VMs with it): vCenter sessions, the views a machine is cloned
from, cloning, owner-checked destruction and inventory look-ups. Everything else in
``providers.vsphere`` is private to the provider.
"""

from __future__ import annotations

from eksa_temporal.providers.vsphere.cleanup import destroy_vm, is_owned
from eksa_temporal.providers.vsphere.credentials import Credentials
from eksa_temporal.providers.vsphere.inventory import find_datacenter, resolve
from eksa_temporal.providers.vsphere.machines import clone_machine
from eksa_temporal.providers.vsphere.session import Target, vcenter_session
from eksa_temporal.providers.vsphere.view import ClusterView, GroupView, MachineView

__all__ = [
    "ClusterView",
    "Credentials",
    "GroupView",
    "MachineView",
    "Target",
    "clone_machine",
    "destroy_vm",
    "find_datacenter",
    "is_owned",
    "resolve",
    "vcenter_session",
]
