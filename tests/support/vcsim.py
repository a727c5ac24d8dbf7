"""The govmomi vCenter simulator (vcsim) the vSphere tests run against.

``build()`` builds ``tests/vsphere/vcsim/main.go`` once into ``tests/.cache/vcsim/`` (Go in
GOPATH mode against the Debian govmomi sources; when Go or those sources are absent the
calling test is skipped, or failed in CI: ``tests.support.paths.tool_missing``).
``run_vcsim(tmpdir, *args)`` starts it on 127.0.0.1 with a free port, TMPDIR ``tmpdir`` and
its own process group, requiring the login ``SIM_USER`` / ``SIM_PASSWORD``, and kills the
group on exit. ``add_inventory`` adds what the specs reference (folders, a tagged template,
an untagged one); ``open_session`` and ``clone_vm`` set up and inspect the inventory.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyVmomi import vim as _vim

from eksa_temporal.providers.vsphere.credentials import Credentials
from eksa_temporal.providers.vsphere.ova import ensure_folder
from eksa_temporal.providers.vsphere.session import Session, Target, vcenter_session
from eksa_temporal.providers.vsphere.tags import TagClient
from eksa_temporal.providers.vsphere.tasks import wait_task
from tests.support.paths import CACHE as TEST_CACHE
from tests.support.paths import REPO, tool_missing

CACHE = TEST_CACHE / "vcsim"
GOCODE = Path("/usr/share/gocode")
vim: Any = _vim
SIM_USER = "eksa-admin@vsphere.local"
SIM_PASSWORD = "Sim-Pa55word-9f3c1"  # distinctive, so tests can grep logs and objects for it


@dataclass(frozen=True)
class SimInfo:
    """Where a running vcsim answers and its login."""

    server: str  # host:port
    thumbprint: str
    user: str
    password: str


def build() -> Path:
    """The vcsim binary, built once from Debian's govmomi sources (one build at a time:
    parallel test workers wait for the one that builds it)."""
    binary = CACHE / "vcsim"
    source = REPO / "tests" / "vsphere" / "vcsim" / "main.go"
    if binary.exists() and binary.stat().st_mtime >= source.stat().st_mtime:
        return binary
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists() and binary.stat().st_mtime >= source.stat().st_mtime:
            return binary
        return _build(binary, source)


def _build(binary: Path, source: Path) -> Path:
    go = shutil.which("go")
    if go is None or not (GOCODE / "src" / "github.com" / "vmware" / "govmomi").is_dir():
        tool_missing(
            "the Go toolchain or the govmomi sources (golang-github-vmware-govmomi-dev) are absent"
        )
    for sub in ("gopath", "gocache", "tmp"):
        (CACHE / sub).mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "GO111MODULE": "off",
        "GOPATH": f"{CACHE / 'gopath'}:{GOCODE}",
        "GOCACHE": str(CACHE / "gocache"),
        "TMPDIR": str(CACHE / "tmp"),
        "GOFLAGS": "",
    }
    tmp = binary.with_suffix(f".building-{os.getpid()}")
    subprocess.run(
        [go, "build", "-o", str(tmp), "."], cwd=source.parent, env=env, check=True, timeout=600
    )
    tmp.replace(binary)
    return binary


@contextmanager
def run_vcsim(tmpdir: Path, *args: str) -> Iterator[SimInfo]:
    """Start the simulator (own process group, TMPDIR ``tmpdir``); kill it on exit."""
    binary = build()
    env = os.environ | {
        "TMPDIR": str(tmpdir),
        "VCSIM_USERNAME": SIM_USER,
        "VCSIM_PASSWORD": SIM_PASSWORD,
    }
    log = (tmpdir / "vcsim.log").open("w")
    proc = subprocess.Popen(
        [str(binary), "-listen", "127.0.0.1:0", *args],
        stdout=subprocess.PIPE,
        stderr=log,
        env=env,
        start_new_session=True,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, f"vcsim exited before printing its address (see {tmpdir / 'vcsim.log'})"
        info = json.loads(line)
        yield SimInfo(
            server=info["url"], thumbprint=info["thumbprint"], user=SIM_USER, password=SIM_PASSWORD
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def open_session(sim: SimInfo) -> Any:
    """A session on the simulator for test set-up and assertions."""
    creds = Credentials(username=sim.user, password=sim.password)  # type: ignore[arg-type]
    return vcenter_session(Target(server=sim.server, thumbprint=sim.thumbprint), creds)


def clone_vm(
    session: Session, source: str, folder_rel: str, name: str, template: bool = False
) -> Any:
    """Clone the simulator's VM at inventory path ``source`` into ``/DC0/vm/<folder_rel>``."""
    content = session.content
    dc = content.searchIndex.FindByInventoryPath("DC0")
    src = content.searchIndex.FindByInventoryPath(source)
    folder = ensure_folder(dc, folder_rel)
    pool = content.searchIndex.FindByInventoryPath("DC0/host/DC0_C0/Resources")
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=pool), template=False, powerOn=False)
    vm = wait_task(src.CloneVM_Task(folder=folder, name=name, spec=spec))
    if template:
        vm.MarkAsTemplate()
    return vm


def add_inventory(vcsim: SimInfo) -> SimInfo:
    """Folders ``eksa`` and ``other``, template ``Templates/ubuntu-1-28`` tagged
    ``os:ubuntu`` + ``eksdRelease:kubernetes-1-28-eks-5``, ``Templates/untagged``."""
    with open_session(vcsim) as session:
        ensure_folder(session.content.searchIndex.FindByInventoryPath("DC0"), "eksa")
        ensure_folder(session.content.searchIndex.FindByInventoryPath("DC0"), "other")
        tagged = clone_vm(
            session, "DC0/vm/DC0_C0_RP0_VM0", "Templates", "ubuntu-1-28", template=True
        )
        clone_vm(session, "DC0/vm/DC0_C0_RP0_VM0", "Templates", "untagged", template=True)
        with TagClient(session) as tags:
            tags.attach(tagged, "os", "os:ubuntu")
            tags.attach(tagged, "eksdRelease", "eksdRelease:kubernetes-1-28-eks-5")
    return vcsim
