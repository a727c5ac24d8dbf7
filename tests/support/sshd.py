"""SSH test hosts: real OpenSSH ``sshd`` processes, each on its own loopback address with a
sandbox root, for the SSH hosts provider's tests.

``SshdHosts.make(n)`` (fixture ``ssh_hosts``; ``ssh_hosts(n)`` works too) starts ``n`` hosts.
Each is a ``/usr/sbin/sshd -D -e -f <its config>`` in its own process group, listening on
``127.0.0.x`` (x from 2 up, an address no one listens on, held by a lock file while in
use) and a free port, with an ed25519 host key and an authorized client key generated for
the run. Its ``ForceCommand`` is a sandbox wrapper: every command runs in a new mount and
UTS namespace (``unshare -m -u``) chrooted into an overlayfs whose lower layer is ``/``
and whose upper layer is the host's own directory, so commands see a copy-on-write root
and never change the machine running the tests (kernel settings, ``/proc/sys`` and
``/sys``, are read-only there; the network namespace is the machine's, so a host's
address and listening ports are real). Each host has its own hostname,
``/etc/machine-id`` and ``/etc/hosts``, and the stand-ins ``tests/standins/host/kubeadm``
and ``systemctl`` in ``/usr/local/sbin`` (they record their calls in
``/var/log/eksa-standin/calls.jsonl``). Commands of one host run one at a time (a lock).

Needs root, ``/usr/sbin/sshd`` (Debian ``openssh-server``; ``scripts/install.sh --test``)
and overlayfs; otherwise the fixture fails with one message saying which is missing.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from eksa_temporal.providers.ssh.hosts import SSHHost

SSHD = Path("/usr/sbin/sshd")
STANDINS = Path(__file__).resolve().parents[1] / "standins" / "host"
LOCK_DIR = Path(tempfile.gettempdir()) / "eksa-ssh-test-hosts"
CALL_LOG = "var/log/eksa-standin/calls.jsonl"
STANDIN_STATE = "var/lib/eksa-standin"

_WRAPPER = """#!/bin/sh
# Runs the SSH command in this host's copy-on-write root (overlay of / + {dir}/upper).
H={dir}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
exec flock -o "$H/lock" unshare -m -u /bin/sh -c '
  set -e
  mount -t overlay overlay -o "lowerdir=/,upperdir=$1/upper,workdir=$1/work" "$1/root"
  for d in proc sys dev; do mount --rbind "/$d" "$1/root/$d"; done
  mount --bind "$1/root/proc/sys" "$1/root/proc/sys"
  mount -o remount,bind,ro "$1/root/proc/sys"
  mount -o remount,bind,ro "$1/root/sys"
  hostname "$2"
  cd "$1/root"
  exec chroot "$1/root" /bin/sh -c "cd /root 2>/dev/null || cd /; exec /bin/sh -c \\"\\$SSH_ORIGINAL_COMMAND\\""
' sandbox "$H" {name}
"""

_CONFIG = """ListenAddress {address}:{port}
HostKey {dir}/ssh_host_ed25519_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {authorized}
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers root
ForceCommand {dir}/sandbox
UseDNS no
PrintMotd no
PrintLastLog no
PermitTTY no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
MaxStartups 100:30:200
MaxSessions 50
LogLevel INFO
# root's shell (bash) skips ~/.bashrc: commands run in the sandbox, not in a login environment
SetEnv SHLVL=1
"""


def _keypair(path: Path) -> str:
    """Write an ed25519 private key (OpenSSH format, mode 600) at ``path``; return the
    public key line."""
    key = Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    Path(f"{path}.pub").write_text(public + "\n")
    return public


def _listening_addresses() -> set[str]:
    used: set[str] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == "0A":
            used.add(str(ipaddress.IPv4Address(bytes.fromhex(fields[1].split(":")[0])[::-1])))
    return used


def _free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        port: int = s.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    """PIDs of the direct children of ``pid`` (from /proc)."""
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _end_orphan(address: str) -> None:
    """Stop the sshd a test bed that died left on ``address`` (its lock is free, so its
    owner is gone): only the PID recorded for the address, and only while that process is
    still the sshd started with the recorded config."""
    record = LOCK_DIR / f"{address}.pid"
    with contextlib.suppress(OSError, ValueError):
        pid_text, config = record.read_text().split()
        pid = int(pid_text)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()  # sshd rewrites it: "sshd: <argv> [listener]"
        if str(SSHD).encode() in cmdline and config.encode() in cmdline:
            for child in _children(pid):
                os.kill(child, signal.SIGTERM)
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.05)
    record.unlink(missing_ok=True)


def check_test_bed() -> str | None:
    """Why SSH test hosts cannot run here (``None``: they can)."""
    if os.geteuid() != 0:
        return "SSH test hosts need root (sshd, mount namespaces and overlayfs)"
    if not SSHD.exists():
        return f"{SSHD} is missing: install Debian's openssh-server (scripts/install.sh --test)"
    for tool in ("unshare", "flock", "chroot", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (util-linux / coreutils)"
    with tempfile.TemporaryDirectory(prefix="eksa-overlay-check-") as tmp:
        for d in ("upper", "work", "root"):
            Path(tmp, d).mkdir()
        proc = subprocess.run(
            ["unshare", "-m", "sh", "-c",
             f"mount -t overlay overlay -o lowerdir=/,upperdir={tmp}/upper,workdir={tmp}/work {tmp}/root "
             f"&& chroot {tmp}/root true"],
            capture_output=True, text=True, timeout=30, check=False,
        )
        if proc.returncode != 0:
            return f"overlayfs over / in a mount namespace failed: {proc.stderr.strip() or proc.returncode}"
    return None


class TestHost:
    """One sshd host: its address and port, its ``SSHHost``, its sandbox's changed files
    (``upper``) and stand-in call log, and controls to stop, restart or re-key it."""

    __test__ = False

    def __init__(self, bed: SshdHosts, name: str, address: str, directory: Path) -> None:
        self.bed = bed
        self.name = name
        self.address = address
        self.dir = directory
        self.upper = directory / "upper"
        self.port = _free_port(address)
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.public_key = ""

    @property
    def host(self) -> SSHHost:
        return SSHHost(
            name=self.name,
            address=self.address,
            port=self.port,
            private_key_file=str(self.bed.client_key),
            known_hosts_file=str(self.bed.known_hosts),
        )

    @property
    def known_hosts_line(self) -> str:
        name = self.address if self.port == 22 else f"[{self.address}]:{self.port}"
        return f"{name} {' '.join(self.public_key.split()[:2])}\n"

    def file(self, path: str) -> Path:
        """Where the sandbox's ``path`` is stored when a command changed or created it."""
        return self.upper / path.lstrip("/")

    def calls(self, tool: str | None = None) -> list[dict[str, Any]]:
        """The stand-ins' recorded calls (``tool``, ``argv``, ``time``, ``rc``), oldest first."""
        log = self.file(CALL_LOG)
        if not log.exists():
            return []
        calls = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        return [c for c in calls if tool is None or c["tool"] == tool]

    def fail_next(self, tool: str, subcommand: str) -> None:
        """Make the next ``<tool> <subcommand>`` on this host fail once."""
        marker = self.file(f"{STANDIN_STATE}/fail-next-{tool}-{subcommand}")
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("")

    def setup(self) -> None:
        for d in ("upper", "work", "root"):
            (self.dir / d).mkdir(parents=True, exist_ok=True)
        self.public_key = _keypair(self.dir / "ssh_host_ed25519_key")
        sbin = self.file("/usr/local/sbin")
        sbin.mkdir(parents=True, exist_ok=True)
        for tool in ("kubeadm", "systemctl"):
            shutil.copy2(STANDINS / tool, sbin / tool)
            (sbin / tool).chmod(0o755)
        etc = self.file("/etc")
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "hostname").write_text(self.name + "\n")
        (etc / "machine-id").write_text(secrets.token_hex(16) + "\n")
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n{self.address} {self.name}\n")
        self.file(CALL_LOG).parent.mkdir(parents=True, exist_ok=True)
        wrapper = self.dir / "sandbox"
        wrapper.write_text(_WRAPPER.format(dir=self.dir, name=self.name))
        wrapper.chmod(0o755)
        (self.dir / "sshd_config").write_text(
            _CONFIG.format(address=self.address, port=self.port, dir=self.dir, authorized=self.bed.authorized_keys)
        )

    def start(self) -> None:
        """Start (or restart) this host's sshd and wait until it accepts connections."""
        if self.proc is not None and self.proc.poll() is None:
            return
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
        config = self.dir / "sshd_config"
        test = subprocess.run([str(SSHD), "-t", "-f", str(config)], capture_output=True, text=True, check=False)
        if test.returncode != 0:
            pytest.fail(f"sshd config of {self.name} rejected: {test.stderr.strip()}")
        self._log = (self.dir / "sshd.log").open("ab")
        self.proc = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        (LOCK_DIR / f"{self.address}.pid").write_text(f"{self.proc.pid} {config}\n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"sshd of {self.name} exited: {(self.dir / 'sshd.log').read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection((self.address, self.port), timeout=0.5):
                return
            time.sleep(0.05)
        pytest.fail(f"sshd of {self.name} did not listen on {self.address}:{self.port}")

    def stop(self, *, drop_sessions: bool = True) -> None:
        """Stop this host's sshd (the host becomes unreachable) and, unless
        ``drop_sessions=False``, its open connections (sshd's per-connection children,
        which run in their own sessions)."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            if drop_sessions:
                for child in _children(proc.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(child, signal.SIGTERM)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def rotate_host_key(self) -> None:
        """Give the host a new host key (as a reinstall would) and restart its sshd."""
        self.stop()
        for suffix in ("", ".pub"):
            Path(f"{self.dir}/ssh_host_ed25519_key{suffix}").unlink(missing_ok=True)
        self.public_key = _keypair(self.dir / "ssh_host_ed25519_key")
        self.start()


class SshdHosts:
    """The SSH test hosts of one test: a client key authorized on all of them and a
    known-hosts file pinning each host's key (unless made with ``pin=False``)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.client_key = base / "client_ed25519"
        self.authorized_keys = base / "authorized_keys"
        self.known_hosts = base / "known_hosts"
        self.authorized_keys.write_text(_keypair(self.client_key) + "\n")
        self.known_hosts.write_text("")
        self.hosts: list[TestHost] = []
        self._locks: list[IO[str]] = []

    def __call__(self, n: int, **kwargs: Any) -> list[TestHost]:
        return self.make(n, **kwargs)

    def make(self, n: int, *, pin: bool = True, prefix: str = "host") -> list[TestHost]:
        """Start ``n`` hosts named ``<prefix>-<i>``; ``pin`` records their keys in ``known_hosts``."""
        made: list[TestHost] = []
        for address in self._claim_addresses(n):
            index = len(self.hosts) + 1
            host = TestHost(self, f"{prefix}-{index}", address, self.base / f"{prefix}-{index}")
            host.setup()
            self.hosts.append(host)
            host.start()
            made.append(host)
            if pin:
                with self.known_hosts.open("a") as fh:
                    fh.write(host.known_hosts_line)
        return made

    def wrong_key(self) -> Path:
        """A private key no host authorizes."""
        path = self.base / "unauthorized_ed25519"
        if not path.exists():
            _keypair(path)
        return path

    def _claim_addresses(self, n: int) -> list[str]:
        LOCK_DIR.mkdir(parents=True, exist_ok=True)
        claimed: list[str] = []
        for x in range(2, 255):
            if len(claimed) == n:
                break
            address = f"127.0.0.{x}"
            fh = (LOCK_DIR / f"{address}.lock").open("w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            _end_orphan(address)
            if address in _listening_addresses():
                fh.close()
                continue
            self._locks.append(fh)
            claimed.append(address)
        if len(claimed) < n:
            pytest.fail(f"only {len(claimed)} free loopback addresses for {n} SSH test hosts")
        return claimed

    def close(self) -> None:
        for host in self.hosts:
            host.stop()
        for fh in self._locks:
            fh.close()
        self._locks.clear()


@pytest.fixture
def ssh_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdHosts]:
    """SSH test hosts for one test (``ssh_hosts(n)`` starts n); stopped at teardown."""
    problem = check_test_bed()
    if problem:
        pytest.fail(problem)
    bed = SshdHosts(tmp_path_factory.mktemp("sshd"))
    try:
        yield bed
    finally:
        bed.close()
