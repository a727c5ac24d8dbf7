"""Returning a host to the state before bootstrap: ``reset_host``.

Read first: when the host carries no kubeadm state and no bootstrap markers there is
nothing to do. Otherwise ``kubeadm reset -f`` (what kubeadm itself undoes: static pods,
etcd data, kubelet configuration), then the files the bootstrap runs wrote (recorded next
to their markers), ``/etc/kubernetes``, ``/run/kubeadm``, ``/run/cluster-api`` and the
markers are removed, so the next bootstrap starts from its first step.
"""

from __future__ import annotations

import shlex

from eksa_temporal.logs import get_logger
from eksa_temporal.providers.ssh.cloudinit import MARKER_ROOT
from eksa_temporal.providers.ssh.session import HostSession

log = get_logger(__name__)

KUBEADM_DIRS = ("/etc/kubernetes", "/run/kubeadm", "/run/cluster-api")
_SECTION = "--eksa-section--"


def reset_host(session: HostSession, *, timeout: float = 300.0) -> list[str]:
    """Undo bootstrap on the session's host; returns what was done (empty: nothing to do)."""
    name = session.host.name
    probe = session.run(
        f"cat {MARKER_ROOT}/*/files 2>/dev/null; echo {_SECTION}; "
        f"ls -1 {MARKER_ROOT} 2>/dev/null; echo {_SECTION}; "
        f"ls -A {' '.join(KUBEADM_DIRS)} 2>/dev/null; echo {_SECTION}; "
        "command -v kubeadm || true",
        check=True,
    ).text
    files_part, markers_part, kube_part, kubeadm_part = [*probe.split(f"{_SECTION}\n"), "", "", ""][:4]
    files = sorted({p for p in files_part.splitlines() if p.startswith("/")})
    markers = [m for m in markers_part.split() if m]
    kube_state = [x for x in kube_part.split() if x and not x.endswith(":")]
    if not (files or markers or kube_state):
        log.info("host reset: nothing to do", host=name)
        return []

    done: list[str] = []
    if kubeadm_part.strip() and (kube_state or markers):
        session.run("kubeadm reset -f", check=True, timeout=timeout)
        done.append("kubeadm reset -f")
    if files:
        session.run("rm -f -- " + " ".join(shlex.quote(p) for p in files), check=True)
        done.extend(f"removed {p}" for p in files)
    session.run(f"rm -rf -- {' '.join(KUBEADM_DIRS)} {MARKER_ROOT}", check=True)
    done.append(f"removed {', '.join(KUBEADM_DIRS)} and the bootstrap markers")
    log.info("host reset", host=name, actions=len(done))
    return done
