"""Clean-up: every VM carrying the operation's owner identity (tag or custom attribute) is
powered off and destroyed wherever it sits, nothing else is touched - whatever its name -
and a run killed midway then re-run reaches the same end state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import yaml
from pyVmomi import vim

from eksa_temporal.ownership import OWNER_TAG_CATEGORY, owner_id
from eksa_temporal.providers.base import Ownership
from eksa_temporal.providers.vsphere import VSphereProvider
from eksa_temporal.providers.vsphere.cleanup import OWNER_ATTRIBUTE, _attribute_key, mark_owned
from eksa_temporal.providers.vsphere.inventory import inventory_path, vm_properties
from eksa_temporal.providers.vsphere.session import Session
from eksa_temporal.providers.vsphere.tags import TagClient
from eksa_temporal.providers.vsphere.tasks import wait_task
from tests.support.paths import REPO
from tests.support.vcsim import clone_vm, open_session

from .specs import SimInfo, documents, spec

SOURCE = "DC0/vm/DC0_C0_RP0_VM0"


def ownership(cluster: str, run: str = "run-1") -> Ownership:
    return Ownership(owner=owner_id(f"eksa/default/{cluster}", run))


def set_attribute(session: Session, vm: object, owner: str) -> None:
    """Only the custom attribute (as where tagging is unavailable)."""
    key = _attribute_key(session.content, create=True)
    assert key is not None, OWNER_ATTRIBUTE
    session.content.customFieldsManager.SetField(entity=vm, key=key, value=owner)


def tag_only(session: Session, vm: object, owner: str) -> None:
    with TagClient(session) as tags:
        tags.attach(vm, OWNER_TAG_CATEGORY, owner)


def inventory_state(sim: SimInfo) -> dict[str, tuple[str, bool]]:
    """Every VM: path -> (power state, is template)."""
    with open_session(sim) as session:
        rows = vm_properties(
            session.content, session.content.rootFolder, ["runtime.powerState", "config.template"]
        )
        return {
            inventory_path(r["obj"]): (str(r["runtime.powerState"]), bool(r.get("config.template")))
            for r in rows
        }


def test_cleanup_removes_the_owners_vms_and_nothing_else(
    inventory: SimInfo, vsphere_env: SimInfo
) -> None:
    mine, theirs = ownership("leaky"), ownership("leaky", run="run-2")
    with open_session(vsphere_env) as session:
        running = clone_vm(session, SOURCE, "eksa", "leaky-cp-x1")
        wait_task(running.PowerOnVM_Task())
        mark_owned(session, running, mine.owner)
        tag_only(session, clone_vm(session, SOURCE, "eksa", "leaky-md-0-7f9c-abcde"), mine.owner)
        set_attribute(session, clone_vm(session, SOURCE, "other", "worker-from-leaky"), mine.owner)
        clone_vm(session, SOURCE, "eksa", "leaky-md-0-by-a-user")  # the name fits, no owner
        mark_owned(session, clone_vm(session, SOURCE, "eksa", "leaky-cp-y2"), theirs.owner)
        clone_vm(session, SOURCE, "eksa", "leakyother-1")
        clone_vm(session, SOURCE, "eksa", "bystander")
        template = clone_vm(session, SOURCE, "eksa", "leaky-template", template=True)
        mark_owned(session, template, mine.owner)
    before = inventory_state(vsphere_env)
    ours = {
        "/DC0/vm/eksa/leaky-cp-x1",
        "/DC0/vm/eksa/leaky-md-0-7f9c-abcde",
        "/DC0/vm/other/worker-from-leaky",
    }
    assert ours <= set(before) and before["/DC0/vm/eksa/leaky-cp-x1"][0] == "poweredOn"

    result = VSphereProvider().cleanup(spec(vsphere_env, "leaky"), mine)

    assert set(result.removed) == ours
    assert result.kept == ["/DC0/vm/eksa/leaky-template"]
    after = inventory_state(vsphere_env)
    assert after == {path: state for path, state in before.items() if path not in ours}
    assert VSphereProvider().cleanup(spec(vsphere_env, "leaky"), mine).removed == []


def test_cleanup_killed_midway_then_rerun_reaches_the_same_end_state(
    inventory: SimInfo, vsphere_env: SimInfo
) -> None:
    mine = ownership("crashy")
    with open_session(vsphere_env) as session:
        for i in range(6):
            mark_owned(session, clone_vm(session, SOURCE, "eksa", f"crashy-md-0-{i}"), mine.owner)
        clone_vm(session, SOURCE, "eksa", "crashy-md-0-unowned")
        mark_owned(
            session, clone_vm(session, SOURCE, "eksa", "crashy2-keep"), ownership("crashy2").owner
        )
    before = inventory_state(vsphere_env)
    ours = {f"/DC0/vm/eksa/crashy-md-0-{i}" for i in range(6)}
    expected = {path: state for path, state in before.items() if path not in ours}

    text = yaml.safe_dump_all(documents(vsphere_env, "crashy"))
    env = os.environ | {"PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.vsphere.cleanup_child", mine.owner],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        env=env,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(text)
        proc.stdin.close()
        first = proc.stdout.readline().strip()
        assert first in ours
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    middle = inventory_state(vsphere_env)
    assert first not in middle and ours & set(middle), "the kill should land between two removals"

    VSphereProvider().cleanup(spec(vsphere_env, "crashy"), mine)
    assert inventory_state(vsphere_env) == expected


def test_templates_are_never_cleaned_up(inventory: SimInfo, vsphere_env: SimInfo) -> None:
    mine = ownership("tmplonly")
    with open_session(vsphere_env) as session:
        tmpl = clone_vm(session, SOURCE, "eksa", "tmplonly-base", template=True)
        assert isinstance(tmpl, vim.VirtualMachine)
        mark_owned(session, tmpl, mine.owner)
    result = VSphereProvider().cleanup(spec(vsphere_env, "tmplonly"), mine)
    assert result.removed == [] and result.kept == ["/DC0/vm/eksa/tmplonly-base"]


def test_machines_cloned_as_capv_would_are_sized_marked_and_cleaned_up(
    inventory: SimInfo, vsphere_env: SimInfo
) -> None:
    from eksa_temporal.providers.vsphere.machines import clone_machine
    from eksa_temporal.providers.vsphere.view import cluster_view

    mine = ownership("capv")
    view = cluster_view(spec(vsphere_env, "capv", md={"numCPUs": 4, "memoryMiB": 6144}))
    worker = view.workers[0].machine
    with open_session(vsphere_env) as session:
        vm = clone_machine(session, view, worker, "capv-md-0-aaaaa", mine.owner)
        assert clone_machine(session, view, worker, "capv-md-0-aaaaa", mine.owner) == vm
        assert (vm.config.hardware.numCPU, vm.config.hardware.memoryMB) == (4, 6144)
        assert vm.runtime.powerState == "poweredOn"
        with TagClient(session) as tags:
            assert tags.attached(vm) == [("eksa-cluster", "capv"), (OWNER_TAG_CATEGORY, mine.owner)]
        key = _attribute_key(session.content, create=False)
        assert [(v.key, v.value) for v in vm.customValue] == [(key, mine.owner)]
    result = VSphereProvider().cleanup(spec(vsphere_env, "capv"), mine)
    assert result.removed == ["/DC0/vm/eksa/capv-md-0-aaaaa"]
