"""Bootstrap data (cloud-config as the kubeadm bootstrap provider writes it) run on a host
over SSH, once, resumably.

``run_bootstrap`` does what cloud-init does with CABPK's data, minus what a host that
already runs an OS does not need: ``write_files`` (content, ``encoding`` b64 / gzip,
``permissions``, ``owner``, ``append``) and then ``runcmd`` in order, each entry in its own
``sh -c``. Jinja host variables (``{{ ds.meta_data.local_hostname }}`` and the like) are
filled with the host's name. Other keys (``users``, ``ntp``, ``mounts``...) are left to
the host and logged.

Read first, change only what differs: files are compared by content, mode and owner and
written only when they differ; each ``runcmd`` step leaves a done-marker
(``/var/lib/eksa-temporal/bootstrap/<data sha>/<n>.done``). A step is one remote script
that takes the run's lock, checks the marker, runs the command with its output in a log
file on the host (so it finishes even when the SSH connection drops) and writes the
marker: a crash mid-bootstrap resumes at the first step not done and no step runs twice.
``kubeadm init|join`` is also taken as done when ``/etc/kubernetes/kubelet.conf`` exists.
The paths of the files a run wrote are recorded beside the markers for ``reset_host``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from eksa_temporal.logs import get_logger
from eksa_temporal.providers.ssh.hosts import BootstrapStepFailed, InvalidBootstrapData
from eksa_temporal.providers.ssh.session import (
    FileState,
    HostSession,
    file_states_command,
    parse_file_states,
)

log = get_logger(__name__)

MARKER_ROOT = "/var/lib/eksa-temporal/bootstrap"
KUBELET_CONF = "/etc/kubernetes/kubelet.conf"
STEP_TIMEOUT = 900.0
_KUBEADM_INIT_JOIN = re.compile(r"(^|[\s;&|/(])kubeadm\s+(init|join)\b")
_JINJA_HOST = re.compile(
    r"\{\{\s*(ds\.meta_data\.(local_)?hostname|v1\.(local_)?hostname|local_hostname)\s*\}\}"
)
_HANDLED = {"write_files", "runcmd"}
_STATUS = "eksa-step: "
_SECTION = "--eksa-section--"


@dataclass(frozen=True)
class CloudFile:
    path: str
    content: bytes
    permissions: str = "0644"
    owner: str = "root:root"
    append: bool = False


@dataclass(frozen=True)
class CloudConfig:
    write_files: list[CloudFile]
    runcmd: list[str]
    ignored: list[str]


class StepOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    command: str  # redacted
    outcome: Literal["ran", "done", "kubeadm-done"]
    seconds: float = 0.0


class BootstrapReport(BaseModel):
    """What one ``run_bootstrap`` did on a host."""

    model_config = ConfigDict(frozen=True)

    host: str
    data_sha: str
    files_written: list[str]
    files_unchanged: list[str]
    steps: list[StepOutcome]

    @property
    def ran(self) -> list[int]:
        """Indexes of the ``runcmd`` steps this call ran."""
        return [s.index for s in self.steps if s.outcome == "ran"]


def data_sha(data: str) -> str:
    """The short hash naming a bootstrap data's marker directory."""
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def parse_cloud_config(data: str, *, hostname: str = "") -> CloudConfig:
    """The ``write_files`` and ``runcmd`` of cloud-config ``data`` (``## template: jinja``
    host variables filled with ``hostname``)."""
    text = data
    if text.startswith("## template: jinja"):
        text = _JINJA_HOST.sub(hostname, text)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidBootstrapData(f"bootstrap data is not YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidBootstrapData("bootstrap data is not a cloud-config mapping")
    files = [_cloud_file(i, f) for i, f in enumerate(doc.get("write_files") or [])]
    runcmd: list[str] = []
    for i, entry in enumerate(doc.get("runcmd") or []):
        if isinstance(entry, str):
            runcmd.append(entry)
        elif isinstance(entry, list):
            runcmd.append(shlex.join(str(a) for a in entry))
        else:
            raise InvalidBootstrapData(f"runcmd[{i}] is neither a string nor a list")
    return CloudConfig(files, runcmd, sorted(k for k in doc if k not in _HANDLED))


def _cloud_file(i: int, raw: Any) -> CloudFile:
    if not isinstance(raw, dict) or not raw.get("path"):
        raise InvalidBootstrapData(f"write_files[{i}] has no path")
    content = raw.get("content") or b""
    data = content if isinstance(content, bytes) else str(content).encode()
    encoding = str(raw.get("encoding") or "text/plain").lower()
    try:
        if encoding in ("b64", "base64", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64"):
            data = base64.b64decode(data)
        if encoding.startswith(("gz", "gzip")):
            data = gzip.decompress(data)
    except (binascii.Error, OSError, EOFError) as exc:
        raise InvalidBootstrapData(f"write_files[{i}] ({raw['path']}): cannot decode {encoding}: {exc}") from None
    perms = raw.get("permissions", "0644")
    return CloudFile(
        path=str(raw["path"]),
        content=data,
        permissions=perms if isinstance(perms, str) else format(int(perms), "o"),
        owner=str(raw.get("owner") or "root:root"),
        append=bool(raw.get("append", False)),
    )


def _noop(_: str) -> None:
    return None


def run_bootstrap(
    session: HostSession,
    data: str,
    *,
    on_step: Callable[[str], None] = _noop,
    hostname: str | None = None,
    step_timeout: float = STEP_TIMEOUT,
    on_tick: Callable[[], None] | None = None,
) -> BootstrapReport:
    """Apply bootstrap ``data`` on the session's host: files, then each ``runcmd`` step not
    done yet. ``on_step`` gets one line (redacted) before each phase and step, ``on_tick``
    is called about every second while a step runs (heartbeats). Raises
    ``BootstrapStepFailed`` on a failing step (the next call resumes there)."""
    name = session.host.name
    sha = data_sha(data)
    run_dir = f"{MARKER_ROOT}/{sha}"
    cfg = parse_cloud_config(data, hostname=hostname or name)
    if cfg.ignored:
        log.info("cloud-config keys left to the host", host=name, keys=cfg.ignored)
    # read first, in one command: the markers of this data and the state of its files
    paths = [f.path for f in cfg.write_files]
    probe = f"ls -1 {run_dir} 2>/dev/null; echo {_SECTION}"
    if paths:
        probe += f"; {file_states_command(paths)}"
    listing, _, states_text = session.run(probe, check=True).text.partition(f"{_SECTION}\n")
    done = set(listing.split())

    written: list[str] = []
    unchanged: list[str] = []
    if "files.done" in done:
        unchanged = [f.path for f in cfg.write_files]
    else:
        on_step(f"{name}: write_files ({len(cfg.write_files)} files)")
        states = parse_file_states(session.host, paths, states_text) if paths else {}
        written, unchanged = _write_files(session, cfg.write_files, states, run_dir)

    steps: list[StepOutcome] = []
    total = len(cfg.runcmd)
    for i, cmd in enumerate(cfg.runcmd):
        shown = session.redact(cmd)
        if f"{i}.done" in done:
            steps.append(StepOutcome(index=i, command=shown, outcome="done"))
            continue
        on_step(f"{name}: runcmd {i + 1}/{total} {shown[:120]}")
        started = time.monotonic()
        res = session.run(_step_script(run_dir, i, cmd), timeout=step_timeout, on_tick=on_tick)
        if res.rc is None or res.rc != 0:
            tail = session.redact(res.stderr[-2000:].decode(errors="replace"))
            raise BootstrapStepFailed(
                session.host, shown, res.rc, tail, what=f"bootstrap step {i + 1}/{total}"
            )
        status = _status(res.text)
        steps.append(
            StepOutcome(index=i, command=shown, outcome=status, seconds=round(time.monotonic() - started, 3))
        )
        log.info("bootstrap step", host=name, step=i + 1, of=total, outcome=status, command=shown[:200])
    report = BootstrapReport(
        host=name, data_sha=sha, files_written=written, files_unchanged=unchanged, steps=steps
    )
    log.info("bootstrap complete", host=name, data_sha=sha, files_written=len(written),
             steps_ran=len(report.ran), steps_total=total)
    return report


def _write_files(
    session: HostSession, files: list[CloudFile], states: dict[str, FileState | None], run_dir: str
) -> tuple[list[str], list[str]]:
    changing = [f.path for f in files if _differs(f, states[f.path])]
    if changing:
        # recorded before writing, so a reset after a crash mid-way still finds them
        manifest = "".join(f"{p}\n" for p in changing).encode()
        session.run(
            f"mkdir -p {run_dir} && chmod 700 {run_dir} && cat >> {run_dir}/files", stdin=manifest, check=True
        )
    written: list[str] = []
    unchanged: list[str] = []
    for f in files:
        if f.append:
            changed = _append(session, f)
        else:
            changed = session.apply_file(
                f.path, f.content, mode=f.permissions, owner=f.owner, current=states[f.path]
            )
        (written if changed else unchanged).append(f.path)
    session.run(f"mkdir -p {run_dir} && touch {run_dir}/files.done", check=True)
    return written, unchanged


def _differs(f: CloudFile, state: FileState | None) -> bool:
    return state is None or f.append or state.sha256 != hashlib.sha256(f.content).hexdigest()


def _append(session: HostSession, f: CloudFile) -> bool:
    current = session.read_file(f.path) or b""
    if f.content and current.endswith(f.content):
        return False
    q = shlex.quote(f.path)
    session.run(f"mkdir -p -- $(dirname -- {q}) && cat >> {q}", stdin=f.content, check=True)
    return True


def _step_script(run_dir: str, i: int, cmd: str) -> str:
    kubeadm_guard = ""
    if _KUBEADM_INIT_JOIN.search(cmd):
        kubeadm_guard = (
            f'if [ -e {KUBELET_CONF} ]; then touch "$d/{i}.done"; echo "{_STATUS}kubeadm-done"; exit 0; fi; '
        )
    return (
        f'd={run_dir}; mkdir -p "$d" && chmod 700 "$d" || exit 1; exec 9>>"$d/lock"; flock 9 || exit 1; '
        f'if [ -e "$d/{i}.done" ]; then echo "{_STATUS}done"; exit 0; fi; '
        f"{kubeadm_guard}"
        f'/bin/sh -c {shlex.quote(cmd)} >"$d/{i}.log" 2>&1 </dev/null 9>&-; rc=$?; '
        f'tail -c 4000 "$d/{i}.log" >&2; '
        f'if [ $rc -ne 0 ]; then exit $rc; fi; '
        f'touch "$d/{i}.done" && echo "{_STATUS}ran"'
    )


def _status(stdout: str) -> Literal["ran", "done", "kubeadm-done"]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(_STATUS):
            value = line.removeprefix(_STATUS).strip()
            if value == "done":
                return "done"
            if value == "kubeadm-done":
                return "kubeadm-done"
            return "ran"
    return "ran"
