"""``VSphereProvider.find_existing`` against vcsim: the VMs of cluster ``prod`` are found by
the tag ``eksa-cluster:prod`` or by CAPV's machine names in the cluster's folders - never
``prod-b``'s VMs, which share the prefix ``prod-`` - and VMs carrying the asking create
run's owner identity are that run's own."""

from __future__ import annotations

from eksa_temporal.ownership import owner_id
from eksa_temporal.providers.vsphere import VSphereProvider
from eksa_temporal.providers.vsphere.cleanup import mark_owned
from eksa_temporal.providers.vsphere.existing import CLUSTER_TAG_CATEGORY, machine_name_pattern
from eksa_temporal.providers.vsphere.tags import TagClient
from eksa_temporal.providers.vsphere.view import cluster_view
from tests.support.vcsim import clone_vm, open_session

from .specs import SimInfo, spec

SOURCE = "DC0/vm/DC0_C0_RP0_VM0"


def clones(sim: SimInfo, folder: str, *names: str) -> None:
    with open_session(sim) as session:
        for name in names:
            clone_vm(session, SOURCE, folder, name)


def test_machine_names_of_a_cluster_exclude_longer_cluster_names(vsphere_env: SimInfo) -> None:
    pattern = machine_name_pattern(cluster_view(spec(vsphere_env, "prod")))
    assert pattern.match("prod-x7k2p") and pattern.match("prod-etcd-x7k2p")
    assert pattern.match("prod-md-0-5f7c9d8b4-x7k2p")
    for other in ("prod-b-x7k2p", "prod-b-md-0-5f7c9d8b4-x7k2p", "prod-b-etcd-x7k2p", "prodx-x7k2p", "prod"):
        assert not pattern.match(other), other


def test_finds_the_clusters_vms_by_name_in_its_folder_and_never_prod_b(
    inventory: SimInfo, vsphere_env: SimInfo
) -> None:
    provider = VSphereProvider()
    clones(vsphere_env, "eksa", "prod-b-k3j9a", "prod-b-md-0-7d9f8c-q2w3e")
    clones(vsphere_env, "other", "prod-z8x7c")  # prod's name, but not in prod's folders
    assert provider.find_existing(spec(vsphere_env, "prod")) is None
    assert provider.find_existing(spec(vsphere_env, "prod-b")) is not None

    clones(vsphere_env, "eksa", "prod-a1b2c", "prod-md-0-7d9f8c-r4t5y")
    where = provider.find_existing(spec(vsphere_env, "prod"))
    assert where is not None
    assert "2 VM(s) of cluster prod" in where and vsphere_env.server in where
    assert "/DC0/vm/eksa/prod-a1b2c" in where and "/DC0/vm/eksa/prod-md-0-7d9f8c-r4t5y" in where
    assert "prod-b" not in where and "prod-z8x7c" not in where


def test_finds_vms_tagged_for_the_cluster_anywhere_and_skips_those_tagged_for_another(
    inventory: SimInfo, vsphere_env: SimInfo
) -> None:
    provider = VSphereProvider()
    with open_session(vsphere_env) as session:
        moved = clone_vm(session, SOURCE, "other", "somewhere-else")
        claimed = clone_vm(session, SOURCE, "eksa", "tagged-a9s8d")  # named like tagged's, tagged for another
        with TagClient(session) as tags:
            tags.attach(moved, CLUSTER_TAG_CATEGORY, "tagged")
            tags.attach(claimed, CLUSTER_TAG_CATEGORY, "tagged-b")
    where = provider.find_existing(spec(vsphere_env, "tagged"))
    assert where is not None and "/DC0/vm/other/somewhere-else" in where and "tagged-a9s8d" not in where


def test_vms_made_by_the_asking_run_are_its_own(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    provider = VSphereProvider()
    mine, other = owner_id("eksa/default/resumed", "run-1"), owner_id("eksa/default/resumed", "run-0")
    with open_session(vsphere_env) as session:
        mark_owned(session, clone_vm(session, SOURCE, "eksa", "resumed-p0o9i"), mine)
    clones(vsphere_env, "eksa", "resumed-md-0-6c5b4a-u7y6t")  # not marked (yet): part of the run's cluster
    resumed = spec(vsphere_env, "resumed")
    assert provider.find_existing(resumed, mine) is None
    assert provider.find_existing(resumed, other) is not None
    assert provider.find_existing(resumed) is not None
